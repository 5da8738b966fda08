//! Processes that outlive the command (issue 10 item 9): once the command's
//! first process has exited, SIGINT, SIGTERM or SIGHUP to forkscope ends it
//! at once with the first process's status, while the processes left behind
//! run on untouched (not stopped, not killed, their traced calls working),
//! traced to the end in the background; the trace then is complete and
//! verifies. Each case is compared with the untraced run.

mod common;

use common::*;
use forkscope::trace::{Event, EventKind, Sig, Status};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

/// Kills a process this test started, whatever happens (no test leaves
/// processes behind).
struct Reaper(Vec<i32>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for &p in &self.0 {
            // SAFETY: kill(2) of a process this test started.
            unsafe {
                libc::kill(p, libc::SIGKILL);
            }
        }
    }
}

/// The state letter of `pid` in /proc/PID/stat (None once it is gone).
fn state(pid: i32) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s.rsplit_once(") ")?.1.chars().next()
}

/// Who traces `pid` (0: nobody).
fn tracer_of(pid: i32) -> i32 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("TracerPid:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Waits until `pid` has ended (gone, or a zombie for init to reap).
fn until_gone(pid: i32) {
    while state(pid).is_some_and(|c| c != 'Z' && c != 'X') {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for `path` to exist and reads the pid in it.
fn pid_in(path: &Path) -> i32 {
    loop {
        if let Ok(s) = std::fs::read_to_string(path) {
            return s.trim().parse().unwrap();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How a process ended, as its parent sees it.
fn ended(s: ExitStatus) -> String {
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit {c}"),
        (_, Some(sig)) => format!("killed by signal {sig}"),
        _ => "?".into(),
    }
}

/// One run of the outlive_daemon fixture.
struct Outlived {
    /// What the background child printed.
    output: String,
    /// How the command (untraced) or forkscope (traced) ended.
    ended: String,
    /// The trace, with its front_exit event checked, when traced.
    events: Vec<Event>,
    bg: i32,
}

/// Runs outlive_daemon (with `extra` args) untraced, or traced with `send`
/// sent to forkscope once it said that the background child outlived the
/// command. Traced, checks on the way that forkscope ended before the
/// child, which is then running (not stopped), still traced, and that
/// forkscope's stderr reached its end while the child still ran (the
/// tracer process let go of it).
fn outlive(extra: &[&str], traced: Option<i32>) -> Outlived {
    let prog = fixture("outlive_daemon");
    let dir = tempfile::tempdir().unwrap();
    let go = dir.path().join("go");
    let pidfile = dir.path().join("pid");
    let out = dir.path().join("out");
    let trace = dir.path().join("t.jsonl");
    let mut c = match traced {
        Some(_) => {
            let mut c = forkscope();
            c.args(["record", "-o"]).arg(&trace).arg("--").arg(&prog);
            c
        }
        None => Command::new(&prog),
    };
    c.arg(&go)
        .arg(&pidfile)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = c.spawn().unwrap();
    let mut reaper = Reaper(vec![child.id() as i32]);
    let bg = pid_in(&pidfile);
    reaper.0.push(bg);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let status = match traced {
        None => child.wait().unwrap(),
        Some(sig) => {
            let mut notice = String::new();
            err.read_line(&mut notice).unwrap();
            assert!(
                notice.contains("still running and traced")
                    && notice.contains(&format!("{bg} (outlive_daemon)")),
                "{notice}"
            );
            // SAFETY: kill(2) of forkscope, which this test started.
            unsafe {
                libc::kill(child.id() as i32, sig);
            }
            let status = child.wait().unwrap();
            let mut rest = String::new();
            // Read to its end: every holder of the pipe let go, the
            // tracer process included, while the child still runs.
            err.read_to_string(&mut rest).unwrap();
            assert!(
                rest.contains("after the command exited: forkscope ends now"),
                "{rest}"
            );
            let st = state(bg);
            assert!(matches!(st, Some('S' | 'R')), "child state {st:?}");
            let t = tracer_of(bg);
            assert!(t > 0 && t != child.id() as i32, "traced by {t}");
            reaper.0.push(t);
            std::fs::write(&go, "").unwrap();
            until_gone(bg);
            until_gone(t);
            status
        }
    };
    if traced.is_none() {
        std::fs::write(&go, "").unwrap();
        until_gone(bg);
    }
    let events = match traced {
        Some(sig) => {
            let (h, events, warnings) = forkscope::trace::read_all(&trace).unwrap();
            assert!(warnings.is_empty(), "{warnings:?}");
            check_invariants(&h, &events);
            let v = forkscope()
                .args(["replay", "--verify"])
                .arg(&trace)
                .output()
                .unwrap();
            assert!(
                v.status.success(),
                "replay --verify: {}{}",
                String::from_utf8_lossy(&v.stdout),
                String::from_utf8_lossy(&v.stderr)
            );
            let front: Vec<&Event> = events
                .iter()
                .filter(|e| matches!(e.kind, EventKind::FrontExit { .. }))
                .collect();
            assert_eq!(front.len(), 1, "one front_exit event");
            let EventKind::FrontExit {
                signal, running, ..
            } = &front[0].kind
            else {
                unreachable!()
            };
            assert_eq!(*signal, Sig(sig));
            assert!(running.contains(&bg), "{running:?}");
            // Everything the child did after the front left is in the trace.
            let after: Vec<&str> = events
                .iter()
                .skip_while(|e| !matches!(e.kind, EventKind::FrontExit { .. }))
                .filter(|e| e.pid == bg)
                .map(|e| e.kind.name())
                .collect();
            for kind in ["open", "close", "pipe", "fork", "wait", "exit"] {
                assert!(
                    after.contains(&kind),
                    "no {kind} after front_exit: {after:?}"
                );
            }
            events
        }
        None => Vec::new(),
    };
    drop(reaper);
    Outlived {
        output: std::fs::read_to_string(&out).unwrap(),
        ended: ended(status),
        events,
        bg,
    }
}

/// Traced with `sig` sent to forkscope after the notice, against untraced.
fn same_as_untraced(extra: &[&str], sig: i32) -> Outlived {
    let native = outlive(extra, None);
    let traced = outlive(extra, Some(sig));
    assert_eq!(traced.output, native.output);
    assert!(native.output.contains("fork: ok") && native.output.contains("child: exit 7"));
    assert!(!traced.output.contains("Function not implemented"));
    assert_eq!(traced.ended, native.ended);
    assert_eq!(
        exits(&traced.events)[&traced.bg],
        Status::Exited { exited: 0 },
        "the child's exit is in the trace"
    );
    traced
}

#[test]
fn ctrl_c_after_the_command_exited_ends_forkscope_with_its_status_and_the_child_runs_on_traced() {
    let t = same_as_untraced(&[], libc::SIGINT);
    assert_eq!(t.ended, "exit 5");
}

#[test]
fn sigterm_after_the_command_exited_ends_forkscope_with_its_status_and_the_child_runs_on_traced() {
    let t = same_as_untraced(&[], libc::SIGTERM);
    assert_eq!(t.ended, "exit 5");
}

#[test]
fn sighup_after_the_command_exited_ends_forkscope_with_its_status_and_the_child_runs_on_traced() {
    let t = same_as_untraced(&[], libc::SIGHUP);
    assert_eq!(t.ended, "exit 5");
}

#[test]
fn ctrl_c_after_the_command_was_killed_makes_forkscope_die_of_the_commands_signal() {
    let t = same_as_untraced(&["usr1"], libc::SIGINT);
    assert_eq!(t.ended, format!("killed by signal {}", libc::SIGUSR1));
}

/// `$(forkscope record -- sh -c 'sleep 30 >/dev/null &')`: the caller reads
/// forkscope's stdout to its end, which comes when forkscope's front has
/// ended (on Ctrl-C), while the sleep still runs: the tracer process holds
/// none of the caller's stdio.
#[test]
fn a_caller_reading_forkscopes_stdout_gets_its_end_when_the_front_exits() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut child = forkscope()
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args([
            "--",
            "sh",
            "-c",
            "sleep 30 </dev/null >/dev/null 2>&1 & echo $!",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let mut reaper = Reaper(vec![child.id() as i32]);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let sleep: i32 = line.trim().parse().unwrap();
    reaper.0.push(sleep);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut notice = String::new();
    err.read_line(&mut notice).unwrap();
    assert!(notice.contains(&format!("{sleep} (sleep)")), "{notice}");
    let t = tracer_of(sleep);
    assert!(t > 0);
    reaper.0.push(t);
    // SAFETY: kill(2) of forkscope, which this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "");
    // The end of stdout came with the sleep still running, still traced.
    assert!(matches!(state(sleep), Some('S' | 'R')));
    assert_eq!(tracer_of(sleep), t);
    assert_eq!(ended(child.wait().unwrap()), "exit 0");
    // SAFETY: kill(2) of the sleep this test started.
    unsafe {
        libc::kill(sleep, libc::SIGTERM);
    }
    until_gone(sleep);
    until_gone(t);
    let (h, events, _) = forkscope::trace::read_all(&trace).unwrap();
    check_invariants(&h, &events);
    assert_eq!(
        exits(&events)[&sleep],
        Status::Signaled {
            signaled: Sig(libc::SIGTERM),
            core: false
        }
    );
}

/// A trace written to stdout (`-o -`) goes on in the background: the
/// caller's stdout ends only with the trace, which is then complete.
#[test]
fn a_trace_on_stdout_goes_on_to_its_end_after_the_front_exits() {
    let mut child = forkscope()
        .args(["record", "-q", "-o", "-", "--", "sh", "-c"])
        .arg("sleep 30 </dev/null >/dev/null 2>&1 & echo $! >&2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let mut reaper = Reaper(vec![child.id() as i32]);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let sleep: i32 = line.trim().parse().unwrap();
    reaper.0.push(sleep);
    let mut notice = String::new();
    err.read_line(&mut notice).unwrap();
    assert!(notice.contains(&format!("{sleep} (sleep)")), "{notice}");
    // SAFETY: kill(2) of forkscope, which this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    assert_eq!(ended(child.wait().unwrap()), "exit 0");
    // stderr ends once the tracer process has recorded the front's exit
    // and let go of it.
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert!(matches!(state(sleep), Some('S' | 'R')));
    // SAFETY: kill(2) of the sleep this test started.
    unsafe {
        libc::kill(sleep, libc::SIGKILL);
    }
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    std::fs::write(&trace, &text).unwrap();
    let (h, events, warnings) = forkscope::trace::read_all(&trace).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    check_invariants(&h, &events);
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::FrontExit { .. })));
    assert_eq!(
        exits(&events)[&sleep],
        Status::Signaled {
            signaled: Sig(libc::SIGKILL),
            core: false
        }
    );
}

/// The notice and the front's last words, in both languages.
#[test]
fn the_front_says_what_it_leaves_in_english_and_chinese() {
    use forkscope::record::signals::Notice;
    use forkscope::words::{record::notice, Lang};
    let remaining = vec![(4105, "sleep".to_string())];
    for (lang, tag) in [(Lang::En, "en"), (Lang::Zh, "zh")] {
        insta::assert_snapshot!(
            format!("traced_on_{tag}"),
            notice(
                lang,
                &Notice::TracedOn {
                    root: 4102,
                    remaining: remaining.clone()
                }
            )
        );
        insta::assert_snapshot!(
            format!("front_left_{tag}"),
            notice(
                lang,
                &Notice::FrontLeft {
                    signal: libc::SIGINT,
                    trace: "t.jsonl".into()
                }
            )
        );
    }
}
