//! The recorded model tells the truth where the kernel's order is not the
//! recorder's: threads racing a fork, pid namespaces, auto-reaped children.
//! Each test runs the real program untraced and traced, compares output and
//! exit status, and checks `forkscope replay --verify` on the trace.

mod common;

use common::*;
use forkscope::trace::{Event, EventKind};
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

/// `forkscope SUB TRACE` output.
fn show(sub: &str, trace: &Path) -> String {
    let o = forkscope().arg(sub).arg(trace).output().unwrap();
    assert!(o.status.success(), "{sub}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The recording of an auto-reaping parent: its three children show in
/// `tree` as reaped by the kernel, none as a zombie, and `doctor` does not
/// call them never reaped.
fn children_reaped_by_the_kernel(trace: &Path, events: &[Event], action: &str, nocldwait: bool) {
    let (clean, text) = verify(trace);
    assert!(clean, "{text}");
    assert!(
        events.iter().any(|e| matches!(&e.kind,
            EventKind::Sigchld { action: a, nocldwait: n, .. } if a == action && *n == nocldwait)),
        "no sigchld event {action}"
    );
    let tree = show("tree", trace);
    assert_eq!(tree.matches("reaped by the kernel at exit").count(), 3, "{tree}");
    assert!(!tree.contains("never reaped"), "{tree}");
    let doctor = show("doctor", trace);
    assert!(!doctor.contains("never-reaped"), "{doctor}");
    assert!(!doctor.contains("long-zombie"), "{doctor}");
}

#[test]
fn children_of_a_parent_that_ignores_sigchld_are_reaped_by_the_kernel_not_left_as_zombies() {
    let bin = fixture("auto_reap");
    let cmd = [bin.to_str().unwrap(), "ignore"];
    let r = record(&cmd);
    same_as_untraced(&cmd, &r);
    children_reaped_by_the_kernel(&r.trace, &r.events, "ignore", false);
}

#[test]
fn children_of_a_parent_with_sa_nocldwait_are_reaped_by_the_kernel() {
    let bin = fixture("auto_reap");
    let cmd = [bin.to_str().unwrap(), "nocldwait"];
    let r = record(&cmd);
    same_as_untraced(&cmd, &r);
    children_reaped_by_the_kernel(&r.trace, &r.events, "handler", true);
}

#[test]
fn an_ignored_sigchld_survives_exec_and_its_children_are_still_auto_reaped() {
    let bin = fixture("auto_reap");
    let cmd = [bin.to_str().unwrap(), "exec"];
    let r = record(&cmd);
    same_as_untraced(&cmd, &r);
    assert_eq!(r.count("exec"), 2);
    children_reaped_by_the_kernel(&r.trace, &r.events, "ignore", false);
}

#[test]
fn a_sigchld_ignored_before_forkscope_started_is_recorded_as_inherited() {
    let bin = fixture("auto_reap");
    // perl sets SIGCHLD to SIG_IGN, then execs: the ignored disposition is
    // inherited by forkscope and by the command it starts.
    let wrap = |prog: &[&str]| {
        let mut c = Command::new("perl");
        c.args(["-e", "$SIG{CHLD} = 'IGNORE'; exec @ARGV or die"]);
        c.args(prog);
        c
    };
    let native = wrap(&[bin.to_str().unwrap(), "keep"]).output().unwrap();
    assert_eq!(native.status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let fs = env!("CARGO_BIN_EXE_forkscope");
    let traced = wrap(&[fs, "record", "-q", "-o", trace.to_str().unwrap(), "--"])
        .arg(&bin)
        .arg("keep")
        .output()
        .unwrap();
    assert_eq!(traced.status.code(), Some(0), "{}", String::from_utf8_lossy(&traced.stderr));
    assert_eq!(traced.stdout, native.stdout);
    let (header, events, _) = forkscope::trace::read_all(&trace).unwrap();
    check_invariants(&header, &events);
    assert!(events.iter().any(|e| matches!(&e.kind,
        EventKind::Sigchld { action, syscall, .. } if action == "ignore" && syscall == "inherited")));
    children_reaped_by_the_kernel(&trace, &events, "ignore", false);
}

#[test]
fn a_32_bit_parent_ignoring_sigchld_is_recorded_through_the_i386_table() {
    let bin = match try_fixture("auto_reap", &["-m32"]) {
        Ok(b) => b,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("cannot build 32-bit here ({e}); skipping (CI installs gcc-multilib)");
            return;
        }
        Err(e) => panic!("CI must be able to build 32-bit fixtures: {e}"),
    };
    for (mode, action, nocldwait) in [("ignore", "ignore", false), ("nocldwait", "handler", true)] {
        let cmd = [bin.to_str().unwrap(), mode];
        let r = record(&cmd);
        same_as_untraced(&cmd, &r);
        children_reaped_by_the_kernel(&r.trace, &r.events, action, nocldwait);
    }
}
