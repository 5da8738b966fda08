//! The recorded model tells the truth where the kernel's order is not the
//! recorder's: threads racing a fork, pid namespaces, auto-reaped children.
//! Each test runs the real program untraced and traced, compares output and
//! exit status, and checks `forkscope replay --verify` on the trace.

mod common;

use common::*;
use forkscope::trace::EventKind;
use std::path::Path;
use std::process::{Command, Output};

/// `forkscope replay --verify TRACE`: (clean, report).
fn verify(trace: &Path) -> (bool, String) {
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(trace)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&v.stdout).into_owned();
    let clean = v.status.success() && text.contains(" 0 divergences; 0 anomalies");
    (clean, text)
}

fn untraced(cmd: &[&str]) -> Output {
    Command::new(cmd[0]).args(&cmd[1..]).output().unwrap()
}

/// Output and exit status must match; so must the trace's replay.
fn same_as_untraced(cmd: &[&str], r: &Recorded) {
    let native = untraced(cmd);
    assert_eq!(r.out.status.code(), native.status.code(), "{}", r.stderr());
    assert_eq!(r.stdout(), String::from_utf8_lossy(&native.stdout));
}

#[test]
fn forks_racing_pipes_and_closes_in_other_threads_replay_exactly_in_a_hundred_runs() {
    let bin = fixture("threads_fork");
    let cmd = [bin.to_str().unwrap()];
    let native = untraced(&cmd);
    assert_eq!(native.status.code(), Some(0));
    let mut snapshots = 0;
    for run in 0..100 {
        let r = record(&cmd);
        assert_eq!(r.code(), 0, "run {run}: {}", r.stderr());
        assert_eq!(r.out.stdout, native.stdout, "run {run}");
        let (clean, text) = verify(&r.trace);
        assert!(clean, "run {run}: {text}");
        snapshots += r
            .of_kind("fork")
            .filter(|e| matches!(&e.kind, EventKind::Fork { fds: Some(_), .. }))
            .count();
    }
    // Each run's four forks come from a threaded process: all carry the child's table.
    assert_eq!(snapshots, 400);
}

#[test]
fn many_rounds_of_threads_racing_forks_replay_exactly() {
    let bin = fixture("threads_fork");
    let cmd = [bin.to_str().unwrap(), "25"];
    let r = record(&cmd);
    same_as_untraced(&cmd, &r);
    let (clean, text) = verify(&r.trace);
    assert!(clean, "{text}");
    assert!(text.contains("101 kernel fd tables checked"), "{text}");
}

#[test]
fn a_fork_from_a_single_threaded_process_records_no_fd_snapshot() {
    let bin = fixture("pipe_fork_exec");
    let r = record(&[bin.as_os_str()]);
    assert_eq!(r.code(), 0);
    assert!(r
        .of_kind("fork")
        .all(|e| matches!(&e.kind, EventKind::Fork { fds: None, .. })));
}
