//! Long waits on idle holders (issue 12, hang class 3), for real: a reader
//! waits for EOF on a pipe whose write end only idle processes hold (a
//! background job that inherited a pipeline's stdout, asleep or waiting for
//! its own children). It may end one day: `record --stall-timeout 1
//! --on-deadlock kill` explains it (who waits, who holds which fd, what it
//! does and for how long it sleeps, the fix) and kills nothing, so the
//! program ends as it does untraced; `doctor` tells it again from the trace
//! in English and Chinese; `snapshot` finds it in the program started
//! untraced; Ctrl-C explains it before the program dies.
//!
//! Every program runs in its own process group, killed when the test ends.
//! Timing is printed, never asserted.

mod common;

use common::{check_invariants, forkscope, repo, Group};
use forkscope::trace::{read_all, Event, EventKind};
use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// One `forkscope record --stall-timeout 1 --on-deadlock kill` run.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    events: Vec<Event>,
    dir: tempfile::TempDir,
}

impl Run {
    fn has(&self, s: &str) {
        assert!(
            self.stderr.contains(s),
            "stderr should contain {s:?}:\n{}",
            self.stderr
        );
    }

    /// The pid that exec'd `prog` (the `n`th such exec).
    fn execd(&self, prog: &str, n: usize) -> i32 {
        self.events
            .iter()
            .filter(|e| match &e.kind {
                EventKind::Exec { argv, ok: true, .. } => {
                    argv.first().is_some_and(|a| a.lossy() == prog)
                }
                _ => false,
            })
            .nth(n)
            .unwrap_or_else(|| panic!("no exec {n} of {prog}"))
            .pid
    }

    fn stalls(&self) -> Vec<&Event> {
        self.events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Stall { .. }))
            .collect()
    }

    /// `forkscope --lang LANG doctor` on the trace: (stdout, exit status).
    fn doctor(&self, lang: &str) -> (String, i32) {
        let out = forkscope()
            .args(["--color", "never", "--lang", lang, "doctor"])
            .arg(self.dir.path().join("t.jsonl"))
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            out.status.code().unwrap(),
        )
    }
}

/// Records `cmd` under a 1 s stall timeout and --on-deadlock kill (killed
/// after 60 s at worst); prints when the report came.
fn record(cmd: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let mut g = Group::spawn(
        forkscope()
            .args(["--color", "never", "record", "-q", "-o"])
            .arg(dir.path().join("t.jsonl"))
            .args(["--stall-timeout", "1", "--on-deadlock", "kill", "--"])
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let mut out = g.0.stdout.take().unwrap();
    let mut err = g.0.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut first = None;
        let mut buf = [0u8; 4096];
        while let Ok(n) = err.read(&mut buf) {
            if n == 0 {
                break;
            }
            text.extend_from_slice(&buf[..n]);
            if first.is_none() && String::from_utf8_lossy(&text).contains("Fix:") {
                first = Some(start.elapsed());
            }
        }
        (String::from_utf8_lossy(&text).into_owned(), first)
    });
    let status = loop {
        if let Some(st) = g.0.try_wait().unwrap() {
            break st;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{cmd:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.join().unwrap();
    let (stderr, first) = err.join().unwrap();
    eprintln!(
        "{cmd:?}: report {:.2} s after start (stall timeout 1 s), ended after {:.2} s",
        first.map_or(f64::NAN, |d| d.as_secs_f64()),
        start.elapsed().as_secs_f64()
    );
    let (header, events, _) = read_all(&dir.path().join("t.jsonl")).unwrap();
    check_invariants(&header, &events);
    Run {
        status,
        stdout,
        stderr,
        events,
        dir,
    }
}

/// The untraced run of `cmd`: (stdout, exit code).
fn untraced(cmd: &[&str]) -> (String, Option<i32>) {
    let out = Command::new(cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}

/// The run was explained once as a long wait, killed nothing, ended as
/// untraced, and its trace replays and verifies.
fn explained_not_killed(r: &Run, cmd: &[&str]) {
    assert_eq!(
        (r.stdout.clone(), r.status.code()),
        untraced(cmd),
        "the traced run ends as the untraced one: nothing was killed\n{}",
        r.stderr
    );
    r.has("eof-held-open: ");
    assert_eq!(r.stderr.matches("Fix:").count(), 1, "{}", r.stderr);
    assert!(!r.stderr.contains("killing the traced"), "{}", r.stderr);
    let stalls = r.stalls();
    assert_eq!(stalls.len(), 1);
    match &stalls[0].kind {
        EventKind::Stall {
            hang, killed, fix, ..
        } => {
            assert_eq!(hang, "eof-held-open");
            assert!(!killed, "a long wait is never killed");
            r.has(fix);
        }
        _ => unreachable!(),
    }
    let verify = forkscope()
        .args(["replay", "--verify"])
        .arg(r.dir.path().join("t.jsonl"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn a_background_job_sleeping_with_the_pipelines_write_end_is_explained_and_not_killed() {
    let script = repo().join("fixtures/hang/background_job.sh");
    let cmd = ["sh", script.to_str().unwrap()];
    let r = record(&cmd);
    explained_not_killed(&r, &cmd);
    let (cat, sleep) = (r.execd("cat", 0), r.execd("sleep", 0));
    r.has(&format!(
        "eof-held-open: {cat} (cat) waits for EOF on pipe:["
    ));
    r.has(&format!("which {sleep} (sleep) holds open without writing"));
    r.has(&format!("{cat} (cat) is blocked reading pipe:["));
    r.has(&format!(
        "{sleep} (sleep) fd 1 (an orphaned background process: its parent is gone"
    ));
    // How long it sleeps, from its call's arguments.
    r.has("it has written nothing and is sleeping 4 s in ");
    r.has(" of it left)");
    r.has(&format!(
        "Fix: do not let {sleep} (sleep) inherit the write end of pipe:["
    ));
    r.has("redirect or close fd 1 when starting it (for a background job: `cmd >/dev/null &`)");
    // doctor tells it again, as a warning, in both languages.
    let flat = |s: &str| s.split_whitespace().collect::<String>();
    let (en, code) = r.doctor("en");
    assert!(en.contains("warning[hang]"), "{en}");
    assert!(flat(&en).contains(&flat("sleeping 4 s in")), "{en}");
    assert_eq!(code, 1, "a warning fails the default --fail-on warning");
    let (zh, _) = r.doctor("zh");
    assert!(
        flat(&zh).contains(&flat(&format!("别让 {sleep}（sleep）继承"))),
        "{zh}"
    );
    assert!(flat(&zh).contains("里睡4秒"), "{zh}");
}

#[test]
fn a_background_subshell_waiting_for_its_sleeping_child_is_explained_with_both() {
    let cmd = ["sh", "-c", "sh -c '(sleep 3; true) & echo hi' | cat"];
    let r = record(&cmd);
    explained_not_killed(&r, &cmd);
    let sleep = r.execd("sleep", 0);
    let cat = r.execd("cat", 0);
    // The subshell forked the sleep: it is the sleep's parent in the trace.
    let job = r
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Fork { child, .. } if *child == sleep => Some(e.pid),
            _ => None,
        })
        .unwrap();
    r.has(&format!("{cat} (cat) waits for EOF on pipe:["));
    r.has(&format!("{job} (sh) fd 1 (an orphaned background process"));
    r.has(&format!(
        "is waiting in wait4 for its child {sleep} (sleep))"
    ));
    r.has(&format!(
        "{sleep} (sleep) fd 1 (a child of the orphaned background process {job} (sh); it has written nothing and is sleeping 3 s in "
    ));
    r.has("will wait until those processes exit.");
    // The fix is for the job that inherited the pipe, not for its sleep.
    r.has(&format!("Fix: do not let {job} (sh) inherit the write end"));
}

#[test]
fn snapshot_explains_a_long_wait_in_a_pipeline_started_untraced() {
    let script = repo().join("fixtures/hang/background_job.sh");
    let g = Group::spawn(
        Command::new("sh")
            .arg(&script)
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    );
    let mut text = None;
    for _ in 0..60 {
        let out = forkscope()
            .args(["--color", "never", "snapshot"])
            .arg(g.pid().to_string())
            .output()
            .unwrap();
        if out.status.code() == Some(1) {
            text = Some(String::from_utf8_lossy(&out.stdout).into_owned());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = text.expect("snapshot names the long wait");
    assert!(text.contains("eof-held-open: "), "{text}");
    assert!(text.contains("(cat) is blocked reading pipe:["), "{text}");
    assert!(
        text.contains("(sleep) fd 1 (an orphaned background process"),
        "{text}"
    );
    assert!(text.contains("sleeping 4 s in "), "{text}");
    assert!(text.contains("`cmd >/dev/null &`"), "{text}");
    // The task listing says how long the sleep is too, as the report does.
    assert!(
        text.lines()
            .any(|l| l.contains(" sleep [S] sleeping 4 s in ") && l.contains(" of it left")),
        "{text}"
    );
}

#[test]
fn ctrl_c_on_a_long_wait_explains_it_before_the_program_dies() {
    let script = repo().join("fixtures/hang/background_job.sh");
    // Until cat waits and the sleep that holds its pipe open is in its
    // sleep (on a loaded machine, cat can wait while sleep is still being
    // exec'd), then Ctrl-C.
    let argv = [std::path::PathBuf::from("sh"), script];
    let (_, err) = common::ctrl_c_when_showing(&argv, 60, "sleeping 4 s in ");
    assert!(
        err.contains("SIGINT arrived while the traced processes were stuck"),
        "{err}"
    );
    assert!(err.contains("eof-held-open: "), "{err}");
    assert!(err.contains("sleeping 4 s in "), "{err}");
}
