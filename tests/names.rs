//! Processes that name themselves (prctl PR_SET_NAME): `ps` shows that
//! name, forkscope shows the program's name and that one where they
//! differ. The `exit` event carries the name (`comm`) when /proc still
//! shows the process as it ends (here a zombie its parent has not reaped);
//! `tree` and `doctor` show both names from the trace, in English and
//! Chinese. Live hang reports read it from /proc (tests/hang_fixes.rs).
//!
//! Since `rename` events (prctl PR_SET_NAME) the names come from the
//! trace's renames, exactly: a child that renames itself and is reaped at
//! once is named in every run, a thread's rename leaves its process's name
//! alone, and exec names a process after its program again. The exit's
//! `comm` is only read for traces without renames.

mod common;

use common::{fixture, forkscope, record};
use forkscope::trace::EventKind;
use std::process::Command;

/// `forkscope [--lang LANG] ARGS... TRACE`: stdout.
fn run_cmd(lang: &str, args: &[&str], trace: &std::path::Path) -> String {
    let out = forkscope()
        .args(["--color", "never", "--lang", lang])
        .args(args)
        .arg(trace)
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `forkscope [--lang LANG] SUBCOMMAND TRACE`: stdout.
fn run(lang: &str, sub: &str, trace: &std::path::Path) -> String {
    let out = forkscope()
        .args(["--color", "never", "--lang", lang, sub])
        .arg(trace)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_child_that_names_itself_is_shown_by_both_names_in_tree_and_doctor() {
    let bin = fixture("renamed_child");
    let untraced = Command::new(&bin).output().unwrap();
    assert_eq!(untraced.status.code(), Some(0));
    let r = record(&[&bin]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let child: i32 = r.stdout().trim().parse().expect("the child's pid");
    let comm = r.events.iter().find_map(|e| match &e.kind {
        EventKind::Exit { comm, .. } if e.pid == child => Some(comm.clone()),
        _ => None,
    });
    assert_eq!(
        comm.flatten().map(|c| c.lossy().into_owned()).as_deref(),
        Some("worker-1"),
        "the child's exit carries the name it gave itself"
    );
    // The root's own name is its program's: nothing extra.
    let verify = forkscope()
        .args(["replay", "--verify"])
        .arg(&r.trace)
        .output()
        .unwrap();
    assert!(verify.status.success(), "{verify:?}");
    let tree = run("en", "tree", &r.trace);
    assert!(
        tree.contains(&format!("{child} renamed_child (ps: worker-1)")),
        "{tree}"
    );
    assert_eq!(tree.matches("(ps: ").count(), 1, "{tree}");
    let tree = run("zh", "tree", &r.trace);
    assert!(
        tree.contains(&format!("{child} renamed_child（ps 显示为 worker-1）")),
        "{tree}"
    );
    let flat = |s: &str| s.split_whitespace().collect::<String>();
    let doctor = run("en", "doctor", &r.trace);
    assert!(
        flat(&doctor).contains(&flat(&format!(
            "{child} (renamed_child (ps: worker-1)) exited at"
        ))),
        "{doctor}"
    );
    let doctor = run("zh", "doctor", &r.trace);
    assert!(
        flat(&doctor).contains(&flat(&format!(
            "{child}（renamed_child（ps 显示为 worker-1））"
        ))),
        "{doctor}"
    );
}

/// The pids `named_workers` prints: worker-1..4 and the child that execs.
fn workers(stdout: &str) -> ([i32; 4], i32) {
    let mut w = [0; 4];
    let mut exec = 0;
    for line in stdout.lines() {
        let mut words = line.split(' ');
        match words.next() {
            Some("workers") => {
                for (slot, word) in w.iter_mut().zip(words) {
                    *slot = word.parse().expect("a worker's pid");
                }
            }
            Some("exec") => exec = words.next().unwrap().parse().expect("a pid"),
            _ => panic!("unexpected output {line:?}"),
        }
    }
    assert!(w.iter().all(|p| *p > 0) && exec > 0, "{stdout}");
    (w, exec)
}

/// The trace with every line rewritten by `f` (a JSON value per event).
fn rewritten(trace: &std::path::Path, f: impl Fn(&mut serde_json::Value) -> bool) -> Vec<u8> {
    let text = std::fs::read_to_string(trace).unwrap();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
            continue;
        }
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        if f(&mut v) {
            out.extend_from_slice(serde_json::to_string(&v).unwrap().as_bytes());
            out.push(b'\n');
        }
    }
    out
}

#[test]
fn children_that_rename_themselves_and_are_reaped_at_once_are_named_in_every_run() {
    let bin = fixture("named_workers");
    let untraced = Command::new(&bin).output().unwrap();
    assert_eq!(untraced.status.code(), Some(0));
    workers(&String::from_utf8_lossy(&untraced.stdout));
    let flat = |s: &str| s.split_whitespace().collect::<String>();
    for run in 0..20 {
        let r = record(&[&bin]);
        assert_eq!(r.code(), 0, "run {run}: {}", r.stderr());
        let (w, exec) = workers(&r.stdout());
        let root = r.header.root_pid;
        let tree = run_cmd("en", &["tree"], &r.trace);
        for (n, pid) in (1..).zip(w) {
            let want = format!("{pid} named_workers (ps: worker-{n}) ");
            assert!(tree.contains(&want), "run {run}: no {want:?} in\n{tree}");
        }
        // The thread's helper-t is not its process's name; exec named the
        // child after its program again.
        let line_of = |pid: i32| {
            let at = format!("{pid} named_workers");
            let line = tree.lines().find(|l| l.contains(&at));
            line.unwrap_or_else(|| panic!("run {run}: no {pid} in\n{tree}"))
        };
        assert!(!line_of(root).contains("(ps: "), "run {run}:\n{tree}");
        assert!(!line_of(exec).contains("(ps: "), "run {run}:\n{tree}");
        assert_eq!(tree.matches("(ps: ").count(), 4, "run {run}:\n{tree}");
        let doctor = run_cmd("en", &["doctor"], &r.trace);
        let want = format!("{} (named_workers (ps: worker-4)) exited at", w[3]);
        assert!(flat(&doctor).contains(&flat(&want)), "run {run}:\n{doctor}");
        let replay = run_cmd("en", &["replay"], &r.trace);
        let want = format!("{} (named_workers) names itself worker-1", w[0]);
        assert!(replay.contains(&want), "run {run}:\n{replay}");
        assert!(
            replay.contains("names itself helper-t; its process keeps its name"),
            "run {run}:\n{replay}"
        );
        if run == 0 {
            let tree = run_cmd("zh", &["tree"], &r.trace);
            let want = format!("{} named_workers（ps 显示为 worker-2）", w[1]);
            assert!(tree.contains(&want), "{tree}");
            let replay = run_cmd("zh", &["replay"], &r.trace);
            let want = format!("{}（named_workers）给自己改名为 worker-3", w[2]);
            assert!(replay.contains(&want), "{replay}");
            assert!(
                replay.contains("给自己改名为 helper-t；进程名不变"),
                "{replay}"
            );
            let verify = forkscope()
                .args(["replay", "--verify"])
                .arg(&r.trace)
                .output()
                .unwrap();
            assert!(verify.status.success(), "{verify:?}");
        }
    }
}

#[test]
fn the_names_come_from_the_renames_and_the_exit_comm_only_fills_in_old_traces() {
    let bin = fixture("named_workers");
    let r = record(&[&bin]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let tree = run_cmd("en", &["tree"], &r.trace);
    let dir = tempfile::tempdir().unwrap();
    // Without any exit comm the tree is the same: the renames name the
    // workers, exec names its child after its program.
    let no_comm = dir.path().join("no_comm.jsonl");
    let text = rewritten(&r.trace, |v| {
        if let Some(o) = v.as_object_mut() {
            o.remove("comm");
        }
        true
    });
    std::fs::write(&no_comm, text).unwrap();
    assert_eq!(run_cmd("en", &["tree"], &no_comm), tree);
    // A trace from before `rename` (no renames): the exit comm, where the
    // recorder could read it, still names the never-reaped worker-4.
    let old = dir.path().join("old.jsonl");
    let text = rewritten(&r.trace, |v| v["kind"] != "rename");
    std::fs::write(&old, text).unwrap();
    let (w, _) = workers(&r.stdout());
    let old_tree = run_cmd("en", &["tree"], &old);
    assert!(
        old_tree.contains(&format!("{} named_workers (ps: worker-4) ", w[3])),
        "{old_tree}"
    );
}

#[test]
fn names_written_to_proc_comm_are_recorded_as_renames_in_every_run() {
    let bin = fixture("named_by_proc");
    let untraced = Command::new(&bin).output().unwrap();
    assert_eq!(untraced.status.code(), Some(0));
    let pids = |out: &str| -> (i32, i32) {
        let mut it = out.lines().map(|l| {
            let (_, p) = l.split_once(' ').expect("a word and a pid");
            p.parse::<i32>().expect("a pid")
        });
        (it.next().unwrap(), it.next().unwrap())
    };
    pids(&String::from_utf8_lossy(&untraced.stdout));
    for run in 0..20 {
        let r = record(&[&bin]);
        assert_eq!(r.code(), 0, "run {run}: {}", r.stderr());
        let (by_proc, thread_child) = pids(&r.stdout());
        let tree = run_cmd("en", &["tree"], &r.trace);
        for want in [
            format!("{by_proc} named_by_proc (ps: by-proc) "),
            format!("{thread_child} named_by_proc (ps: helper-p) "),
        ] {
            assert!(tree.contains(&want), "run {run}: no {want:?} in\n{tree}");
        }
        // The thread's name is not its process's.
        assert_eq!(tree.matches("(ps: ").count(), 2, "run {run}:\n{tree}");
        if run == 0 {
            let replay = run_cmd("en", &["replay"], &r.trace);
            assert!(
                replay.contains("names itself helper-p; its process keeps its name"),
                "{replay}"
            );
        }
    }
}
