//! `forkscope record` on real programs: the edge cases of ptrace that a
//! faithful recorder must get right, the transparency rules (exit status,
//! signals, stdio) and bad input. Every test traces for real.

mod common;

use common::*;
use forkscope::trace::{EventKind, ForkFlavor, RawStr, Sig, Status};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::time::Duration;

/// Every recording in this file also takes exit snapshots
/// (`--snapshots exec,exit`), and `replay --verify` checks each process's
/// last fd table: see [`common::record_at_exit`].
fn record<S: AsRef<std::ffi::OsStr>>(cmd: &[S]) -> Recorded {
    record_at_exit(cmd)
}

#[test]
fn exit_status_is_the_commands_own() {
    let r = record(&["sh", "-c", "exit 7"]);
    assert_eq!(r.code(), 7);
    let r = record(&["sh", "-c", "kill -9 $$"]);
    assert_eq!(
        r.signal(),
        Some(libc::SIGKILL),
        "killed by SIGKILL: forkscope dies of it too"
    );
    assert_eq!(
        exits(&r.events)[&r.header.root_pid],
        Status::Signaled {
            signaled: Sig(libc::SIGKILL),
            core: false
        }
    );
}

#[test]
fn stdout_and_stdin_pass_through_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut child = forkscope()
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["--", "tr", "a-z", "A-Z"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "HELLO\n");
    assert!(out.stderr.is_empty(), "-q prints nothing");
}

/// What a process can see of how it was started, from /proc/self/status:
/// speculation mitigations, no_new_privs, blocked and ignored signals. The
/// seccomp filter must not change any of them (its own `Seccomp:` line is the
/// one visible difference, as under strace --seccomp-bpf).
#[test]
fn the_traced_program_sees_the_same_mitigations_privileges_and_signal_state() {
    let script = "grep -E '^(Speculation_Store_Bypass|SpeculationIndirectBranch|NoNewPrivs|SigBlk|SigIgn):' /proc/self/status";
    let native = std::process::Command::new("sh")
        .args(["-c", script])
        .output()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let traced = forkscope()
        .args(["record", "-q", "-o"])
        .arg(dir.path().join("t.jsonl"))
        .args(["--", "sh", "-c", script])
        .output()
        .unwrap();
    assert!(native.status.success() && traced.status.success());
    // Without CAP_SYS_ADMIN the kernel accepts a seccomp filter only from a
    // process with no_new_privs set (strace has the same constraint).
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let keep = |out: &[u8]| -> String {
        String::from_utf8_lossy(out)
            .lines()
            .filter(|l| root || !l.starts_with("NoNewPrivs:"))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let native = keep(&native.stdout);
    assert!(native.contains("SigBlk:"), "{native}");
    assert_eq!(keep(&traced.stdout), native);
}

#[test]
fn a_summary_names_the_counts_and_the_trace() {
    let r = record(&["sh", "-c", "echo x | cat >/dev/null"]);
    let err = r.stderr();
    assert!(err.contains("exited with status 0"), "{err}");
    assert!(err.contains("1 pipe"), "{err}");
    assert!(err.contains(&r.trace.display().to_string()), "{err}");
}

#[test]
fn a_hand_built_pipeline_records_pipe_fork_dup2_close_exec_and_wait() {
    let r = record(&[fixture("pipe_fork_exec")]);
    assert_eq!(r.code(), 0);
    assert_eq!(r.stdout(), "HELLO\n");
    let root = r.header.root_pid;
    let pipe_id = r
        .of_kind("pipe")
        .find(|e| e.pid == root)
        .map(|e| match e.kind {
            EventKind::Pipe { pipe_id, .. } => pipe_id,
            _ => unreachable!(),
        })
        .expect("the parent made a pipe");
    assert!(pipe_id > 0, "the pipe id is its inode");
    let children: Vec<i32> = r
        .of_kind("fork")
        .filter(|e| e.pid == root)
        .map(|e| match e.kind {
            EventKind::Fork { child, flavor, .. } => {
                assert_eq!(flavor, ForkFlavor::Fork);
                child
            }
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(children.len(), 2);
    // Each child dup2s one end onto stdio, then execs.
    let dup2s: Vec<(i32, i32, i32)> = r
        .of_kind("dup")
        .map(|e| match e.kind {
            EventKind::Dup { old_fd, new_fd, .. } => (e.pid, old_fd, new_fd),
            _ => unreachable!(),
        })
        .collect();
    assert!(
        dup2s.iter().any(|d| d.0 == children[0] && d.2 == 1),
        "{dup2s:?}"
    );
    assert!(
        dup2s.iter().any(|d| d.0 == children[1] && d.2 == 0),
        "{dup2s:?}"
    );
    // At exec, the kernel's table shows the pipe on the right stdio fd.
    for (child, fd) in [(children[0], 1), (children[1], 0)] {
        let fds = r
            .events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Exec { ok: true, fds, .. } if e.pid == child => fds.clone(),
                _ => None,
            })
            .expect("child exec'd");
        let entry = fds.iter().find(|f| f.fd == fd).expect("stdio fd present");
        assert_eq!(entry.pipe_inode(), Some(pipe_id), "{fds:?}");
        assert!(
            fds.iter()
                .filter(|f| f.pipe_inode() == Some(pipe_id))
                .count()
                == 1,
            "the unused ends were closed before exec: {fds:?}"
        );
    }
    let reaped: Vec<i32> = r
        .of_kind("wait")
        .filter_map(|e| match e.kind {
            EventKind::Wait { reaped, .. } => reaped,
            _ => None,
        })
        .collect();
    assert_eq!(reaped.len(), 2);
}

#[test]
fn exec_from_a_non_leader_thread_takes_over_the_leaders_pid() {
    let r = record(&[fixture("thread_exec")]);
    assert_eq!(r.code(), 0);
    let root = r.header.root_pid;
    let thread = r
        .of_kind("fork")
        .find_map(|e| match e.kind {
            EventKind::Fork {
                child,
                flavor: ForkFlavor::Thread,
                shares_fds,
                ..
            } => {
                assert!(shares_fds, "threads share the fd table");
                Some(child)
            }
            _ => None,
        })
        .expect("a thread was created");
    let exec = r
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Exec { ok: true, argv, .. } if argv.first().map(|a| a.lossy() == "echo").unwrap_or(false)))
        .expect("echo was exec'd");
    assert_eq!(
        exec.pid, root,
        "the exec'ing thread now has the leader's pid"
    );
    match &exec.kind {
        EventKind::Exec { former_tid, .. } => assert_eq!(*former_tid, Some(thread)),
        _ => unreachable!(),
    }
    assert!(
        !exits(&r.events).contains_key(&thread),
        "the old tid never exits on its own"
    );
}

#[test]
fn vfork_is_recorded_as_vfork_and_the_child_execs() {
    let r = record(&[fixture("vfork_exec")]);
    assert_eq!(r.code(), 0);
    let child = r
        .of_kind("fork")
        .find_map(|e| match e.kind {
            EventKind::Fork {
                child,
                flavor: ForkFlavor::Vfork,
                ..
            } => Some(child),
            _ => None,
        })
        .expect("a vfork");
    assert!(r
        .of_kind("exec")
        .any(|e| e.pid == child && matches!(e.kind, EventKind::Exec { ok: true, .. })));
}

#[test]
fn ten_thousand_short_lived_children_are_all_recorded_in_causal_order() {
    // check_invariants (in record()) asserts that no child acts before its
    // fork event, which is what holding early first stops guarantees.
    let r = record(&[fixture("many_children").into_os_string(), "10000".into()]);
    assert_eq!(r.code(), 0);
    assert_eq!(r.count("fork"), 10_000);
    assert_eq!(
        exits(&r.events).len(),
        10_001,
        "every child and the parent exit"
    );
    let reaped = r
        .of_kind("wait")
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Wait {
                    reaped: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(reaped, 10_000);
}

#[test]
fn a_child_stopped_by_sigstop_stays_stopped_until_sigcont() {
    // The fixture itself fails (exit 3) if the child runs on while stopped.
    let r = record(&[fixture("group_stop")]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let child = r
        .of_kind("fork")
        .find_map(|e| match e.kind {
            EventKind::Fork { child, .. } => Some(child),
            _ => None,
        })
        .unwrap();
    let seq_of = |pred: &dyn Fn(&EventKind) -> bool, pid: i32| {
        r.events
            .iter()
            .find(|e| e.pid == pid && pred(&e.kind))
            .map(|e| e.seq)
            .unwrap()
    };
    let stop = seq_of(
        &|k| matches!(k, EventKind::Stop { signal } if *signal == Sig(libc::SIGSTOP)),
        child,
    );
    let cont_kill = seq_of(
        &|k| matches!(k, EventKind::Kill { signal, .. } if *signal == Sig(libc::SIGCONT)),
        r.header.root_pid,
    );
    let resumed = seq_of(&|k| matches!(k, EventKind::Continue {}), child);
    assert!(stop < cont_kill && cont_kill < resumed);
}

#[test]
fn signals_are_delivered_exactly_once() {
    let r = record(&[fixture("signals_once")]);
    assert_eq!(
        r.code(),
        32,
        "3 SIGUSR1 and 2 SIGUSR2 handled, no more, no less"
    );
    let count = |s: i32| {
        r.of_kind("signal")
            .filter(|e| matches!(e.kind, EventKind::Signal { signal, .. } if signal == Sig(s)))
            .count()
    };
    assert_eq!(count(libc::SIGUSR1), 3);
    assert_eq!(count(libc::SIGUSR2), 2);
    let kills = r
        .of_kind("kill")
        .filter(|e| matches!(e.kind, EventKind::Kill { ok: true, .. }))
        .count();
    assert_eq!(kills, 5);
    // A kill is recorded before its delivery.
    let first_kill = r.of_kind("kill").next().unwrap().seq;
    let first_usr1 = r.of_kind("signal").next().unwrap().seq;
    assert!(first_kill < first_usr1);
}

#[test]
fn death_by_sigpipe_is_recorded_and_forkscope_dies_of_it_too() {
    let r = record(&[fixture("sigpipe")]);
    assert_eq!(r.signal(), Some(libc::SIGPIPE));
    assert!(r.of_kind("signal").any(
        |e| matches!(e.kind, EventKind::Signal { signal, .. } if signal == Sig(libc::SIGPIPE))
    ));
    assert_eq!(
        exits(&r.events)[&r.header.root_pid],
        Status::Signaled {
            signaled: Sig(libc::SIGPIPE),
            core: false
        }
    );
    assert!(r.stderr().contains("killed by SIGPIPE"), "{}", r.stderr());
}

#[test]
fn argv_that_is_not_utf8_survives_byte_for_byte() {
    let weird: Vec<u8> = vec![b'a', 0xff, 0xfe, b'\n', b'<', 0x80];
    let cmd: Vec<OsString> = vec![
        "sh".into(),
        "-c".into(),
        "exec echo \"$0\" >/dev/null".into(),
        OsString::from_vec(weird.clone()),
    ];
    let r = record(&cmd);
    assert_eq!(r.code(), 0);
    assert_eq!(r.header.argv[3], RawStr(weird.clone()));
    let echoed = r
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Exec { ok: true, argv, .. } if argv[0].lossy() == "echo" => {
                Some(argv.clone())
            }
            _ => None,
        })
        .expect("echo exec'd");
    assert_eq!(echoed[1], RawStr(weird));
    let text = std::fs::read_to_string(&r.trace).unwrap();
    assert!(
        text.contains(r#"{"hex":"61fffe0a3c80"}"#),
        "documented encoding"
    );
}

#[test]
fn a_static_binary_is_traced_and_described_as_static() {
    let Ok(bin) = try_fixture("pipe_fork_exec", &["-static"]) else {
        eprintln!("no static libc here; skipping");
        return;
    };
    let r = record(&[bin]);
    assert_eq!(r.code(), 0);
    let elf = r
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Exec { ok: true, elf, .. } if e.pid == r.header.root_pid => elf.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!(elf.linkage, "static");
    assert_eq!(r.count("pipe"), 1);
    assert_eq!(r.count("fork"), 2);
}

#[test]
fn a_32_bit_binary_is_traced_through_the_i386_syscall_table() {
    let bin = match try_fixture("pipe_fork_exec", &["-m32"]) {
        Ok(b) => b,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("cannot build 32-bit here ({e}); skipping (CI installs gcc-multilib)");
            return;
        }
        Err(e) => panic!("CI must be able to build 32-bit fixtures: {e}"),
    };
    let r = record(&[bin]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    assert_eq!(r.stdout(), "HELLO\n");
    let elf = r
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Exec { ok: true, elf, .. } if e.pid == r.header.root_pid => elf.clone(),
            _ => None,
        })
        .unwrap();
    assert_eq!((elf.bits, elf.machine.as_str()), (32, "i386"));
    assert_eq!(r.count("pipe"), 1);
    assert_eq!(r.count("fork"), 2);
    let dup2_targets: Vec<i32> = r
        .of_kind("dup")
        .map(|e| match e.kind {
            EventKind::Dup { new_fd, .. } => new_fd,
            _ => unreachable!(),
        })
        .collect();
    assert!(
        dup2_targets.contains(&0) && dup2_targets.contains(&1),
        "{dup2_targets:?}"
    );
    assert_eq!(
        r.of_kind("wait")
            .filter(|e| matches!(
                e.kind,
                EventKind::Wait {
                    reaped: Some(_),
                    ..
                }
            ))
            .count(),
        2
    );
}

#[test]
fn a_missing_command_exits_127_and_a_non_executable_one_126() {
    let dir = tempfile::tempdir().unwrap();
    let out = forkscope()
        .current_dir(dir.path())
        .args(["record", "--", "no-such-command-forkscope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim(),
        "forkscope: no-such-command-forkscope: command not found"
    );
    let data = dir.path().join("data.txt");
    std::fs::write(&data, "not a program\n").unwrap();
    let out = forkscope()
        .current_dir(dir.path())
        .args(["record", "--"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot execute"));
    // Executable bits but no format the kernel knows: the exec fails inside.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = forkscope()
        .current_dir(dir.path())
        .args(["record", "-o", "t.jsonl", "--"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot execute: Exec format error"), "{err}");
}

#[test]
fn an_unwritable_output_fails_before_the_command_starts() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let out = forkscope()
        .args(["record", "-o", "/nonexistent-dir/t.jsonl", "--", "touch"])
        .arg(&marker)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent-dir/t.jsonl"), "{err}");
    assert!(!marker.exists(), "the command must not have run");
}

#[test]
fn no_environment_is_recorded_unless_asked() {
    let r = record(&["true"]);
    assert!(r.header.env.is_none());
    let text = std::fs::read_to_string(&r.trace).unwrap();
    assert!(!text.contains("\"env\""));
    let r = record_with(&["true"], &["--env"]);
    let env = r.header.env.expect("--env records it");
    assert!(env.iter().any(|v| v.as_bytes().starts_with(b"PATH=")));
}

#[test]
fn a_killed_tracer_leaves_a_readable_trace_and_no_tracee_behind() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut fs = forkscope()
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["--", "sh", "-c", "echo a | cat >/dev/null; sleep 30"])
        .spawn()
        .unwrap();
    // Wait until the sleep has started (its exec is in the trace).
    let start = std::time::Instant::now();
    let sleep_pid = loop {
        let text = std::fs::read_to_string(&trace).unwrap_or_default();
        if let Some(l) = text
            .lines()
            .find(|l| l.contains(r#""kind":"exec""#) && l.contains(r#""argv":["sleep""#))
        {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            break v["pid"].as_i64().unwrap() as i32;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "sleep never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    fs.kill().unwrap(); // SIGKILL: no chance to clean up
    fs.wait().unwrap();
    let (_, events, warnings) = forkscope::trace::read_all(&trace).unwrap();
    assert!(
        warnings.is_empty(),
        "every line was written whole: {warnings:?}"
    );
    assert!(events.iter().any(|e| e.kind.name() == "pipe"));
    // PTRACE_O_EXITKILL: the tracee dies with its tracer.
    let gone = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        !std::path::Path::new(&format!("/proc/{sleep_pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{sleep_pid}/stat"))
                .map(|s| s.contains(") Z"))
                .unwrap_or(true)
    });
    assert!(gone, "the traced sleep must not outlive a killed tracer");
}

#[test]
fn sigint_to_the_foreground_group_ends_the_command_and_completes_the_trace() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut cmd = forkscope();
    cmd.args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["--", "sleep", "30"])
        .process_group(0); // its own group, like a shell job
    let mut fs = cmd.spawn().unwrap();
    let pgid = fs.id() as i32;
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&trace)
        .unwrap_or_default()
        .contains(r#""kind":"exec""#)
    {
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    // What the terminal does on Ctrl-C: SIGINT to the whole foreground group.
    // SAFETY: plain kill(2) on a process group we created.
    assert_eq!(unsafe { libc::kill(-pgid, libc::SIGINT) }, 0);
    let status = fs.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGINT),
        "forkscope dies of the command's SIGINT"
    );
    let (h, events, w) = forkscope::trace::read_all(&trace).unwrap();
    assert!(w.is_empty());
    assert_eq!(
        exits(&events)[&h.root_pid],
        Status::Signaled {
            signaled: Sig(libc::SIGINT),
            core: false
        }
    );
    let sigints = events
        .iter()
        .filter(
            |e| matches!(e.kind, EventKind::Signal { signal, .. } if signal == Sig(libc::SIGINT)),
        )
        .count();
    assert_eq!(sigints, 1, "delivered once, not forwarded a second time");
}

#[test]
fn sigterm_sent_to_forkscope_is_passed_on_to_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut fs = forkscope()
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["--", "sleep", "30"])
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&trace)
        .unwrap_or_default()
        .contains(r#""kind":"exec""#)
    {
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: plain kill(2) of our child.
    assert_eq!(unsafe { libc::kill(fs.id() as i32, libc::SIGTERM) }, 0);
    let status = fs.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGTERM)
    );
}

/// The children of `pid`, by scanning /proc for its ppid.
fn children_of(pid: i32) -> Vec<i32> {
    let mut v: Vec<i32> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/status")).is_ok_and(|s| {
                s.lines().any(|l| {
                    l.strip_prefix("PPid:")
                        .is_some_and(|v| v.trim() == pid.to_string())
                })
            })
        })
        .collect();
    v.sort_unstable();
    v
}

/// `record -p` of a shell running `sleep | sleep` with stderr on a file: the
/// children's stderr is the shell's open file (inherited before forkscope
/// attached), and the pipe joins the two sleeps.
#[test]
fn attaching_links_open_files_shared_across_processes() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let mut target = std::process::Command::new("sh")
        .args(["-c", "sleep 30 | sleep 30"])
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .process_group(0)
        .spawn()
        .unwrap();
    let sh = target.id() as i32;
    let start = std::time::Instant::now();
    let kids = loop {
        let k = children_of(sh);
        if k.len() == 2 {
            break k;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "sh never started both sleeps"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let trace = dir.path().join("t.jsonl");
    let mut fs = forkscope()
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["-p", &sh.to_string()])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill and killpg take integers only.
    unsafe {
        libc::kill(fs.id() as i32, libc::SIGINT);
    }
    let status = fs.wait().unwrap();
    unsafe {
        libc::killpg(sh, libc::SIGKILL);
    }
    let _ = target.wait();
    assert!(status.success(), "{status:?}");

    let (_, events, _) = forkscope::trace::read_all(&trace).unwrap();
    let fds_of = |pid: i32| {
        events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::Spawn { fds, .. } if e.pid == pid => Some(fds.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no spawn for {pid}"))
    };
    for &k in &kids {
        let err = fds_of(k).into_iter().find(|e| e.fd == 2).unwrap();
        assert_eq!(
            (err.same_as, err.same_as_pid),
            (Some(2), Some(sh)),
            "{k}: {err:?}"
        );
    }
    let mut model = forkscope::model::Model::new();
    for e in &events {
        model.apply(e);
    }
    assert!(model.anomalies().is_empty(), "{:?}", model.anomalies());
    let file = |pid: i32, fd: i32| model.fd(pid, fd).unwrap().file.id;
    assert_eq!(file(kids[0], 2), file(sh, 2));
    assert_eq!(file(kids[1], 2), file(sh, 2));
    // The pipe: the first sleep writes into it, the second reads from it.
    assert_eq!(
        model.fd(kids[0], 1).unwrap().file.object,
        model.fd(kids[1], 0).unwrap().file.object
    );
}

/// epoll_create1, eventfd2, memfd_create, timerfd_create, signalfd4,
/// inotify_init1 and pidfd_open each make an fd: all recorded with what the
/// kernel calls it and its close-on-exec flag, and replay's fd table equals
/// the kernel's at the exec that follows.
#[test]
fn fds_from_epoll_eventfd_memfd_and_friends_are_recorded() {
    let bin = fixture("new_fds");
    let r = record(&[bin.as_os_str()]);
    assert_eq!(
        r.out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.out.stderr)
    );
    let got: Vec<(i32, String, String, bool)> = r
        .of_kind("new_fd")
        .map(|e| match &e.kind {
            EventKind::NewFd {
                fd,
                syscall,
                target,
                cloexec,
            } => (
                *fd,
                syscall.clone(),
                target
                    .as_ref()
                    .map(|t| t.lossy().into_owned())
                    .unwrap_or_default(),
                *cloexec,
            ),
            _ => unreachable!(),
        })
        .collect();
    let want = [
        (3, "epoll_create1", "anon_inode:[eventpoll]", false),
        (4, "eventfd2", "anon_inode:[eventfd]", true),
        (5, "memfd_create", "/memfd:scratch (deleted)", false),
        (6, "timerfd_create", "anon_inode:[timerfd]", true),
        (7, "signalfd4", "anon_inode:[signalfd]", false),
        (8, "inotify_init1", "anon_inode:inotify", true),
        (9, "pidfd_open", "anon_inode:[pidfd]", true),
    ];
    let want: Vec<(i32, String, String, bool)> = want
        .iter()
        .map(|(f, s, t, c)| (*f, s.to_string(), t.to_string(), *c))
        .collect();
    assert_eq!(got, want);
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&r.trace)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(v.status.success(), "{text}");
    assert!(text.contains("0 divergences; 0 anomalies"), "{text}");
}

/// `--snapshots exec,exit` when the thread-group leader exits first: the
/// process's last fd table is read from its last running thread, and
/// `replay --verify` finds it equal to the model's.
#[test]
fn a_process_whose_leader_exits_first_is_snapshotted_by_its_last_thread() {
    let r = record(&[fixture("leader_exits_first")]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let root = r.header.root_pid;
    let snaps: Vec<_> = r.of_kind("fd_snapshot").collect();
    let last = snaps.last().expect("the process's fd table at exit");
    assert_ne!(last.pid, root, "taken by a thread, not the leader");
    let EventKind::FdSnapshot { fds, .. } = &last.kind else {
        unreachable!()
    };
    let Some(EventKind::Spawn { fds: inherited, .. }) = r.events.first().map(|e| &e.kind) else {
        unreachable!("the first event is the spawn")
    };
    let write_ends = fds
        .iter()
        .filter(|e| e.target.lossy().starts_with("pipe:["))
        .filter(|e| !inherited.iter().any(|i| i.fd == e.fd))
        .count();
    assert_eq!(write_ends, 3, "each thread left one pipe end open: {fds:?}");
}

#[test]
fn record_p_given_twice_records_both_running_processes_and_ctrl_c_leaves_both_running() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let start = |script: &str| {
        std::process::Command::new("sh")
            .args(["-c", script])
            .stdout(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap()
    };
    let mut a = start("exec sleep 30");
    let mut b = start("exec sleep 31");
    let (pa, pb) = (a.id() as i32, b.id() as i32);
    // Both have exec'd sleep before forkscope looks.
    let t0 = std::time::Instant::now();
    while [pa, pb].iter().any(|p| {
        std::fs::read(format!("/proc/{p}/cmdline")).map_or(true, |c| !c.starts_with(b"sleep"))
    }) {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "sleep never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let trace = dir.path().join("t.jsonl");
    let mut fs = forkscope()
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["-p", &pa.to_string(), "-p", &pb.to_string()])
        .spawn()
        .unwrap();
    // Ctrl-C once both spawn events are in the trace (the tracer is then
    // running with its handlers in place).
    let t0 = std::time::Instant::now();
    while std::fs::read_to_string(&trace).map_or(0, |s| s.matches("\"spawn\"").count()) < 2 {
        assert!(t0.elapsed() < Duration::from_secs(20), "no spawn events");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: kill takes integers only.
    unsafe {
        libc::kill(fs.id() as i32, libc::SIGINT);
    }
    let status = fs.wait().unwrap();
    let alive_untraced = |p: i32| {
        std::fs::read_to_string(format!("/proc/{p}/status")).is_ok_and(|s| {
            s.lines().any(|l| l == "TracerPid:\t0")
                && !s.lines().any(|l| l.starts_with("State:\tZ"))
        })
    };
    let (alive_a, alive_b) = (alive_untraced(pa), alive_untraced(pb));
    // SAFETY: killpg takes integers only.
    unsafe {
        libc::killpg(pa, libc::SIGKILL);
        libc::killpg(pb, libc::SIGKILL);
    }
    let _ = (a.wait(), b.wait());
    assert!(status.success(), "{status:?}");
    assert!(alive_a && alive_b, "detached, both sleeps run on untraced");
    let (header, events, _) = forkscope::trace::read_all(&trace).unwrap();
    assert_eq!(header.root_pid, pa, "the first -p names the trace");
    let spawned: Vec<i32> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Spawn { attached: true, .. }))
        .map(|e| e.pid)
        .collect();
    assert_eq!(spawned, vec![pa, pb]);
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&trace)
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

#[test]
fn an_attached_process_setting_other_signals_records_no_sigchld_disposition() {
    // Attached, every syscall stops (no seccomp filter picks sigaction by
    // signal): an rt_sigaction for SIGINT must not read as one for SIGCHLD.
    use std::os::unix::process::CommandExt;
    let mut target = std::process::Command::new("perl")
        .args([
            "-e",
            r#"for (1..3000) { $SIG{INT} = "IGNORE"; $SIG{INT} = "DEFAULT"; select(undef, undef, undef, 0.005) }"#,
        ])
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = target.id() as i32;
    std::thread::sleep(Duration::from_millis(200));
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut fs = forkscope()
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["-p", &pid.to_string()])
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while !std::fs::read_to_string(&trace).is_ok_and(|s| s.contains("\"spawn\"")) {
        assert!(t0.elapsed() < Duration::from_secs(20), "no spawn event");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let it change SIGINT's disposition many times while traced.
    std::thread::sleep(Duration::from_millis(400));
    // SAFETY: kill and killpg take integers only.
    unsafe {
        libc::kill(fs.id() as i32, libc::SIGINT);
    }
    let status = fs.wait().unwrap();
    unsafe {
        libc::killpg(pid, libc::SIGKILL);
    }
    let _ = target.wait();
    assert!(status.success(), "{status:?}");
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(!text.contains("\"sigchld\""), "{text}");
}
