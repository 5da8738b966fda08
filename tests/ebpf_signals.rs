//! The eBPF backend and forkscope's own signals (cargo feature `ebpf`): a
//! signal sent to the process group that the program holds blocked reaches
//! it once, as untraced; once the command's first process has exited,
//! forkscope names the processes still running, records on until they end,
//! and SIGTERM ends the recording at once with the command's status while
//! they run on, never stopped. Each case is compared with the untraced run.
#![cfg(feature = "ebpf")]

mod common;

use common::*;
use forkscope::trace::{Event, EventKind};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Kills the processes a test started, whatever happens.
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

/// `prog args` untraced, or under `forkscope record --backend ebpf` (or
/// `ptrace`) writing `trace`, in a process group of its own, with stdin
/// and only fds 0-2.
fn start(backend: Option<&str>, trace: &Path, prog: &[&str]) -> Child {
    let mut c = match backend {
        Some(b) => {
            let mut c = forkscope();
            c.args(["record", "--backend", b, "-o"])
                .arg(trace)
                .arg("--")
                .args(prog);
            c
        }
        None => {
            let mut c = Command::new(prog[0]);
            c.args(&prog[1..]);
            c
        }
    };
    c.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: close_range(2) is async-signal-safe; the child keeps 0-2.
    unsafe {
        c.pre_exec(|| {
            libc::syscall(libc::SYS_close_range, 3, u32::MAX, 0);
            Ok(())
        });
    }
    c.spawn().unwrap()
}

/// The state letter of `pid` in /proc/PID/stat (None once it is gone).
fn state(pid: i32) -> Option<char> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    s.rsplit_once(") ")?.1.chars().next()
}

fn events(trace: &Path) -> Vec<Event> {
    forkscope::trace::read_all(trace).unwrap().1
}

fn verify_clean(trace: &Path) {
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(trace)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "replay --verify:\n{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

/// A real-time signal (queued once per kill) sent once to the process
/// group, which holds forkscope too, while the program has it blocked: the
/// program must find it pending once, as untraced. forkscope's copy must
/// not be passed on as a second one: it sees the program's copy pending
/// (with eBPF there is no TracerPid to know the program by, so it asks the
/// recorder's live set).
#[test]
fn a_signal_sent_to_the_group_that_the_program_has_blocked_reaches_it_once_with_ebpf() {
    let prog = fixture("blocked_group_signal");
    let prog = prog.to_str().unwrap();
    let mut counts = Vec::new();
    for backend in [None, Some("ebpf"), Some("ptrace")] {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("t.jsonl");
        let mut child = start(backend, &trace, &[prog]);
        let reaper = Reaper(vec![-(child.id() as i32)]);
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        assert_eq!(line, "ready\n", "{backend:?}");
        // SAFETY: kill(2) of the process group this test made.
        let r = unsafe { libc::kill(-(child.id() as i32), libc::SIGRTMIN() + 1) };
        assert_eq!(r, 0);
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let st = child.wait().unwrap();
        let mut rest = String::new();
        err.read_to_string(&mut rest).unwrap();
        assert_eq!(st.code(), Some(0), "{backend:?}: {rest}");
        drop(reaper);
        if backend.is_some() {
            verify_clean(&trace);
        }
        counts.push(out);
    }
    assert_eq!(counts[0], "pending 1\n", "untraced");
    assert_eq!(counts[1], counts[0], "with eBPF");
    assert_eq!(counts[2], counts[0], "with ptrace");
}

/// `sh -c 'sleep 30 >/dev/null 2>&1 & echo $!; exit 3'` recorded with eBPF: once sh has
/// exited forkscope says the sleep is still running and records on; SIGTERM
/// to forkscope then ends it at once with sh's status (3), saying so, while
/// the sleep runs on, neither stopped nor killed; the trace has the sleep's
/// exec and verifies.
#[test]
fn with_ebpf_a_process_that_outlives_the_command_is_named_and_sigterm_ends_the_recording_as_the_command_did(
) {
    // The sleep lets go of the pipes, so that reading them to their end
    // waits for forkscope alone.
    let script = "sleep 30 >/dev/null 2>&1 & echo $!; exit 3";
    let native = Command::new("sh").args(["-c", script]).output().unwrap();
    let leftover: i32 = String::from_utf8_lossy(&native.stdout)
        .trim()
        .parse()
        .unwrap();
    // SAFETY: kill(2) of the sleep the untraced run left.
    unsafe {
        libc::kill(leftover, libc::SIGKILL);
    }
    assert_eq!(native.status.code(), Some(3));

    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut child = start(Some("ebpf"), &trace, &["sh", "-c", script]);
    let mut reaper = Reaper(vec![child.id() as i32]);
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let bg: i32 = line.trim().parse().unwrap();
    reaper.0.push(bg);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut notice = String::new();
    err.read_line(&mut notice).unwrap();
    assert!(
        notice.contains("has exited, but 1 process it started is still running")
            && notice.contains(&format!("{bg} (sleep)"))
            && notice.contains("records on"),
        "{notice}"
    );
    // Recorded on, never held (not 't' or 'T'), untraced by ptrace.
    assert!(matches!(state(bg), Some('S' | 'R')), "{:?}", state(bg));
    let status = std::fs::read_to_string(format!("/proc/{bg}/status")).unwrap();
    assert!(status.contains("TracerPid:\t0\n"), "{status}");
    // SAFETY: kill(2) of forkscope, which this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let st = child.wait().unwrap();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    assert_eq!(st.code(), Some(3), "{rest}");
    assert_eq!(st.signal(), None);
    assert!(
        rest.contains("SIGTERM after the command exited: the recording ends here")
            && rest.contains(&format!("{bg} (sleep) runs on, unrecorded")),
        "{rest}"
    );
    // forkscope ended on SIGTERM, not when the sleep did: it runs on.
    assert!(matches!(state(bg), Some('S' | 'R')), "{:?}", state(bg));
    let evs = events(&trace);
    assert!(
        evs.iter()
            .any(|e| e.pid == bg && matches!(e.kind, EventKind::Exec { .. })),
        "the sleep's exec is in the trace"
    );
    assert!(
        !evs.iter()
            .any(|e| e.pid == bg && matches!(e.kind, EventKind::Exit { .. })),
        "the sleep had not exited when the recording ended"
    );
    verify_clean(&trace);
}
