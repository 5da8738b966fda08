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
    assert!(
        o.status.success(),
        "{sub}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
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
    assert_eq!(
        tree.matches("reaped by the kernel at exit").count(),
        3,
        "{tree}"
    );
    assert!(!tree.contains("never reaped"), "{tree}");
    let doctor = show("doctor", trace);
    assert!(!doctor.contains("never-reaped"), "{doctor}");
    assert!(!doctor.contains("long-zombie"), "{doctor}");
    let timeline = show("replay", trace);
    assert_eq!(
        timeline.matches("the kernel reaps").count(),
        3,
        "{timeline}"
    );
    assert!(
        !timeline.contains("zombie until its parent waits"),
        "{timeline}"
    );
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
    assert_eq!(
        traced.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&traced.stderr)
    );
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

/// `cmd` under `unshare --pid --fork --mount-proc` (a new pid namespace
/// with its own /proc), as root or else in a new user namespace; `None`
/// (and a note) when this machine allows neither (e.g. a container whose
/// seccomp profile refuses unshare).
fn in_pid_namespace(cmd: &[&str]) -> Option<Vec<String>> {
    let ways: [&[&str]; 2] = [
        &["--pid", "--fork", "--mount-proc"],
        &[
            "--user",
            "--map-root-user",
            "--pid",
            "--fork",
            "--mount-proc",
        ],
    ];
    for way in ways {
        let ok = Command::new("unshare")
            .args(way)
            .arg("true")
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            let mut full = vec!["unshare"];
            full.extend_from_slice(way);
            full.extend_from_slice(cmd);
            return Some(full.iter().map(|s| s.to_string()).collect());
        }
    }
    eprintln!("unshare --pid is not allowed here; skipping");
    None
}

/// Every wait in the trace that reaped names a process the trace forked,
/// `tree` shows no child never reaped and `doctor` calls none so; replay
/// meets no anomaly.
fn every_child_reaped(r: &Recorded) {
    let (clean, text) = verify(&r.trace);
    assert!(clean, "{text}");
    let forked: Vec<i32> = r
        .of_kind("fork")
        .filter_map(|e| match e.kind {
            EventKind::Fork { child, .. } => Some(child),
            _ => None,
        })
        .collect();
    let reaped: Vec<i32> = r
        .of_kind("wait")
        .filter_map(|e| match e.kind {
            EventKind::Wait { reaped, .. } => reaped,
            _ => None,
        })
        .collect();
    assert!(!reaped.is_empty());
    for p in &reaped {
        assert!(
            forked.contains(p),
            "wait reaped {p}, not a forked pid: {forked:?}"
        );
    }
    let tree = show("tree", &r.trace);
    assert!(!tree.contains("never reaped"), "{tree}");
    let doctor = show("doctor", &r.trace);
    assert!(!doctor.contains("never-reaped"), "{doctor}");
}

#[test]
fn waits_and_kills_inside_a_pid_namespace_are_recorded_with_the_pids_forkscope_sees() {
    let bin = fixture("wait_kill_children");
    let Some(cmd) = in_pid_namespace(&[bin.to_str().unwrap()]) else {
        return;
    };
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let r = record(&cmd);
    same_as_untraced(&cmd, &r);
    assert_eq!(r.stdout(), "exited 3, then killed by SIGTERM: yes\n");
    every_child_reaped(&r);
    // The kill names the child it killed; the signals name their senders.
    let forked: Vec<i32> = r
        .of_kind("fork")
        .filter_map(|e| match e.kind {
            EventKind::Fork { child, .. } => Some(child),
            _ => None,
        })
        .collect();
    let kill = r.of_kind("kill").next().expect("a kill");
    let EventKind::Kill { target, .. } = kill.kind else {
        unreachable!()
    };
    assert!(forked.contains(&(target as i32)), "kill target {target}");
    let term = r
        .of_kind("signal")
        .find(|e| matches!(&e.kind, EventKind::Signal { signal, .. } if signal.0 == libc::SIGTERM))
        .expect("SIGTERM delivered");
    assert_eq!(term.pid as i64, target);
    assert!(matches!(term.kind, EventKind::Signal { from: Some(f), .. } if f == kill.pid));
    for e in r.of_kind("signal") {
        if let EventKind::Signal { from: Some(f), .. } = e.kind {
            assert!(
                forked.contains(&f) || f == r.header.root_pid,
                "signal from {f}"
            );
        }
    }
}

#[test]
fn waitid_through_a_pidfd_records_the_child_not_the_fd() {
    let bin = fixture("waitid_pidfd");
    let cmd = [bin.to_str().unwrap()];
    let r = record(&cmd);
    same_as_untraced(&cmd, &r);
    assert_eq!(r.stdout(), "reaped through a pidfd: yes\n");
    every_child_reaped(&r);
    let child = r
        .of_kind("fork")
        .find_map(|e| match e.kind {
            EventKind::Fork { child, .. } => Some(child),
            _ => None,
        })
        .unwrap();
    let w = r.of_kind("wait").next().unwrap();
    assert!(
        matches!(w.kind, EventKind::Wait { target, reaped: Some(c), .. } if target == child as i64 && c == child),
        "{w:?}"
    );
}

#[test]
fn waitid_with_no_siginfo_records_the_child_it_reaped() {
    let bin = fixture("waitid_null");
    let cmd = [bin.to_str().unwrap()];
    let r = record(&cmd);
    same_as_untraced(&cmd, &r);
    assert_eq!(r.stdout(), "two children reaped without a siginfo: yes\n");
    every_child_reaped(&r);
    let mut reaped: Vec<i32> = r
        .of_kind("wait")
        .filter_map(|e| match e.kind {
            EventKind::Wait { reaped, .. } => reaped,
            _ => None,
        })
        .collect();
    reaped.sort();
    let mut forked: Vec<i32> = r
        .of_kind("fork")
        .filter_map(|e| match e.kind {
            EventKind::Fork { child, .. } => Some(child),
            _ => None,
        })
        .collect();
    forked.sort();
    assert_eq!(reaped, forked);
}

#[test]
fn pidfd_and_siginfo_less_waits_inside_a_pid_namespace_name_the_pids_forkscope_sees() {
    for name in ["waitid_pidfd", "waitid_null"] {
        let bin = fixture(name);
        let Some(cmd) = in_pid_namespace(&[bin.to_str().unwrap()]) else {
            return;
        };
        let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let r = record(&cmd);
        same_as_untraced(&cmd, &r);
        every_child_reaped(&r);
    }
}
