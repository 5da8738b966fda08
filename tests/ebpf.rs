//! The eBPF backend (`record --backend ebpf`, cargo feature `ebpf`): the
//! same real programs recorded with both backends give the same process
//! and pipe plumbing (execs with argv, pipes, dups, forks, waits, exits, the
//! tree), `replay --verify` is clean on the eBPF trace, and the program
//! behaves as untraced. Without the feature, `--backend ebpf` refuses in
//! one line and `--backend auto` records with ptrace.

mod common;

use common::*;
#[cfg(feature = "ebpf")]
use forkscope::trace::{Event, EventKind};
#[cfg(feature = "ebpf")]
use std::collections::HashMap;
#[cfg(feature = "ebpf")]
use std::process::Command;

/// The plumbing of a trace, per process, with processes named by their
/// place in the tree (`0` the first, `0.1` its second child, ...) instead
/// of pids, which differ between runs. Opens and closes are left out
/// (libraries, locale files and /proc reads vary between runs); `--verify`
/// checks the fd tables instead. Which child a wait-for-any reaps first is
/// up to the scheduler, not the backend: each process's waits are compared
/// as a sorted list of their own.
#[cfg(feature = "ebpf")]
fn plumbing(events: &[Event]) -> HashMap<String, Vec<String>> {
    let mut name: HashMap<i32, String> = HashMap::new();
    let mut children: HashMap<String, usize> = HashMap::new();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for e in events {
        if let EventKind::Spawn { .. } = e.kind {
            name.insert(e.pid, "0".into());
        }
        let Some(me) = name.get(&e.pid).cloned() else {
            continue;
        };
        let line = match &e.kind {
            EventKind::Fork { child, flavor, .. } => {
                let n = children.entry(me.clone()).or_default();
                let c = format!("{me}.{n}");
                *n += 1;
                name.insert(*child, c.clone());
                format!("fork {c} {flavor:?}")
            }
            EventKind::Exec {
                argv, ok, errno, ..
            } => {
                let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
                format!("exec {argv:?} ok={ok} {errno:?}")
            }
            EventKind::Pipe {
                read_fd, write_fd, ..
            } => format!("pipe {read_fd} {write_fd}"),
            EventKind::Dup {
                old_fd,
                new_fd,
                via,
                errno,
                ..
            } => format!("dup {old_fd} {new_fd} {via:?} {errno:?}"),
            EventKind::Wait { reaped, status, .. } => {
                let w = format!(
                    "wait {} {status:?}",
                    reaped.map_or("-".into(), |r| name.get(&r).cloned().unwrap_or_default())
                );
                let waits = out.entry(format!("{me} waits")).or_default();
                waits.push(w);
                waits.sort();
                continue;
            }
            EventKind::Exit { status } => format!("exit {status:?}"),
            _ => continue,
        };
        out.entry(me).or_default().push(line);
    }
    out
}

#[cfg(feature = "ebpf")]
fn verify_clean(r: &Recorded) {
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&r.trace)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "replay --verify on the eBPF trace:\n{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
}

/// Records `cmd` with both backends and with none; checks that they agree.
#[cfg(feature = "ebpf")]
fn both_backends_agree(cmd: &[&str]) {
    let native = Command::new(cmd[0]).args(&cmd[1..]).output().unwrap();
    let ebpf = record_with(cmd, &["--backend", "ebpf", "-q"]);
    let ptrace = record_with(cmd, &["--backend", "ptrace", "-q"]);
    assert_eq!(ebpf.stdout(), String::from_utf8_lossy(&native.stdout));
    assert_eq!(
        ebpf.out.status.code(),
        native.status.code(),
        "{}",
        ebpf.stderr()
    );
    let seen = plumbing(&ebpf.events);
    assert!(
        seen.values().flatten().any(|l| l.starts_with("exec ")),
        "{seen:?}"
    );
    assert_eq!(seen, plumbing(&ptrace.events));
    verify_clean(&ebpf);
}

#[cfg(feature = "ebpf")]
#[test]
fn a_hand_built_pipeline_records_the_same_with_ebpf_as_with_ptrace() {
    let prog = fixture("pipe_fork_exec");
    both_backends_agree(&[prog.to_str().unwrap()]);
}

#[cfg(feature = "ebpf")]
#[test]
fn a_shell_pipeline_with_redirections_records_the_same_with_ebpf_as_with_ptrace() {
    both_backends_agree(&[
        "sh",
        "-c",
        "echo one two | tr a-z A-Z | wc -w; ls /nonexistent 2>/dev/null; (exit 3); echo $?",
    ]);
}

#[cfg(feature = "ebpf")]
#[test]
fn vfork_and_failed_execs_record_the_same_with_ebpf_as_with_ptrace() {
    let prog = fixture("vfork_exec");
    both_backends_agree(&[prog.to_str().unwrap()]);
    both_backends_agree(&["sh", "-c", "/no/such/program; exit 0"]);
}

#[cfg(feature = "ebpf")]
#[test]
fn the_course_ps_grep_records_the_same_with_ebpf_as_with_ptrace() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("ps_grep");
    let src = repo().join("fixtures/course/ps_grep.c");
    let cc = Command::new("cc")
        .args(["-O1", "-Wall", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        cc.status.success(),
        "{}",
        String::from_utf8_lossy(&cc.stderr)
    );
    // ps lists different processes each run: compare the plumbing only.
    let cmd = [exe.to_str().unwrap()];
    let ebpf = record_with(&cmd, &["--backend", "ebpf", "-q"]);
    let ptrace = record_with(&cmd, &["--backend", "ptrace", "-q"]);
    assert_eq!(ebpf.code(), ptrace.code(), "{}", ebpf.stderr());
    assert_eq!(plumbing(&ebpf.events), plumbing(&ptrace.events));
    verify_clean(&ebpf);
}

#[cfg(feature = "ebpf")]
#[test]
fn the_fd_table_at_exec_is_read_in_the_kernel_with_pipe_inodes_and_paths() {
    let r = record_with(
        &["sh", "-c", "exec 7</dev/null; echo x | cat >/dev/null"],
        &["--backend", "ebpf", "-q"],
    );
    let cat = r
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Exec {
                argv, fds: Some(f), ..
            } if argv.first().map(|a| a.to_string()).as_deref() == Some("cat") => Some(f.clone()),
            _ => None,
        })
        .expect("cat's exec with its fd table");
    let pipe = r
        .of_kind("pipe")
        .find_map(|e| match e.kind {
            EventKind::Pipe { pipe_id, .. } => Some(pipe_id),
            _ => None,
        })
        .expect("the shell's pipe");
    let target = |fd: i32| {
        cat.iter()
            .find(|f| f.fd == fd)
            .map(|f| f.target.to_string())
    };
    assert_eq!(target(0), Some(format!("pipe:[{pipe}]")));
    assert_eq!(target(1).as_deref(), Some("/dev/null"));
    assert_eq!(target(7).as_deref(), Some("/dev/null"));
    verify_clean(&r);
}

#[cfg(feature = "ebpf")]
#[test]
fn records_the_ring_buffer_had_no_room_for_are_counted_written_and_said() {
    // A one-page ring buffer cannot hold an exec's record: every exec is
    // lost, and the trace and the summary say how many records were.
    let out_dir = tempfile::tempdir().unwrap();
    let trace = out_dir.path().join("t.jsonl");
    let out = forkscope()
        .env("FORKSCOPE_EBPF_RING_BYTES", "4096")
        .args(["record", "--backend", "ebpf", "-o"])
        .arg(&trace)
        .args(["--", "sh", "-c", "for i in 1 2 3 4 5; do /bin/true; done"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let (_, events, _) = forkscope::trace::read_all(&trace).unwrap();
    let lost: u64 = events
        .iter()
        .map(|e| match e.kind {
            EventKind::Lost { records } => records,
            _ => 0,
        })
        .sum();
    assert!(lost >= 6, "lost records: {lost}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{lost} records were lost")),
        "{stderr}"
    );
}

#[cfg(not(feature = "ebpf"))]
#[test]
fn without_the_feature_backend_ebpf_refuses_in_one_line_and_auto_uses_ptrace() {
    let dir = tempfile::tempdir().unwrap();
    let out = forkscope()
        .args(["record", "--backend", "ebpf", "-o"])
        .arg(dir.path().join("t.jsonl"))
        .args(["--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("`ebpf` feature"), "{err}");
    let r = record_with(&["sh", "-c", "exit 4"], &["--backend", "auto", "-q"]);
    assert_eq!(r.code(), 4);
    assert_eq!(r.count("exec"), 1);
}
