//! Calls that change fd tables and used to be missed or misread, and the
//! `--verify` check comparing like with like: each fixture runs untraced and
//! traced (same output, same exit status), and `replay --verify` on its
//! trace is clean where the model should be exact.

mod common;
use common::*;
use forkscope::trace::{Event, EventKind};
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `fixture` untraced and traced (stdin /dev/null both times), checks
/// they print the same and exit the same, and returns the recording.
fn same_traced_and_untraced(name: &str) -> Recorded {
    let exe = fixture(name);
    let plain = Command::new(&exe).stdin(Stdio::null()).output().unwrap();
    let r = record(&[&exe]);
    assert_eq!(r.stdout(), String::from_utf8_lossy(&plain.stdout), "{name}");
    assert_eq!(
        r.out.status.code(),
        plain.status.code(),
        "{name}: {}",
        r.stderr()
    );
    r
}

/// `forkscope replay --verify` on a trace: exit code and report.
fn verify(trace: &Path) -> (i32, String) {
    let o = forkscope()
        .args(["replay", "--verify"])
        .arg(trace)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

fn assert_clean(r: &Recorded) {
    let (code, text) = verify(&r.trace);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("0 divergences; 0 anomalies"), "{text}");
}

fn root_events(r: &Recorded) -> impl Iterator<Item = &Event> + '_ {
    r.events.iter().filter(move |e| e.pid == r.header.root_pid)
}

#[test]
fn a_close_range_that_fails_closes_nothing() {
    let r = same_traced_and_untraced("close_range_fails");
    assert!(r.stdout().contains("fd 3 open: yes"), "{}", r.stdout());
    let failed = r
        .events
        .iter()
        .filter(
            |e| matches!(&e.kind, EventKind::CloseRange { errno: Some(e), .. } if e == "EINVAL"),
        )
        .count();
    assert_eq!(failed, 2);
    assert_clean(&r);
}

#[test]
fn unshare_files_in_a_clone_files_child_keeps_the_parents_fd_open() {
    let r = same_traced_and_untraced("unshare_files");
    assert!(r.stdout().contains("fd 3 open: yes"), "{}", r.stdout());
    assert_eq!(r.count("unshare"), 1);
    assert_clean(&r);
}

#[test]
fn close_range_unshare_in_a_clone_files_child_keeps_the_parents_fd_open() {
    let r = same_traced_and_untraced("close_range_unshare");
    assert!(r.stdout().contains("fd 3 open: yes"), "{}", r.stdout());
    assert!(r.events.iter().any(|e| matches!(
        e.kind,
        EventKind::CloseRange {
            unshare: true,
            errno: None,
            ..
        }
    )));
    assert_clean(&r);
}

#[test]
fn ioctl_fioclex_and_fionclex_change_close_on_exec() {
    let r = same_traced_and_untraced("ioctl_cloexec");
    let vias: Vec<(i32, bool, String)> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::SetCloexec {
                fd,
                cloexec,
                via: Some(v),
                ..
            } => Some((*fd, *cloexec, v.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        vias,
        vec![
            (3, true, "ioctl(FIOCLEX)".to_string()),
            (4, false, "ioctl(FIONCLEX)".to_string())
        ]
    );
    assert_clean(&r);
}

#[test]
fn fds_returned_by_ioctl_are_recorded() {
    let r = same_traced_and_untraced("ioctl_new_fd");
    // What the program says each ioctl returned, as recorded.
    for line in r.stdout().lines() {
        let (name, fd) = line.split_once(' ').unwrap();
        let fd: i32 = fd.parse().unwrap();
        let want = format!("ioctl({name})");
        let got = r.events.iter().find_map(|e| match &e.kind {
            EventKind::NewFd { fd, syscall, .. } if *syscall == want => Some(*fd),
            _ => None,
        });
        assert_eq!(got, (fd >= 0).then_some(fd), "{line}");
    }
    assert!(r.stdout().contains("NS_GET_USERNS 4"), "{}", r.stdout());
    assert_clean(&r);
}

#[test]
fn signalfd_on_its_own_fd_makes_no_second_fd() {
    let r = same_traced_and_untraced("signalfd_reuse");
    assert_eq!(r.stdout(), "first 3, again 3\n");
    let made: Vec<&Event> = root_events(&r)
        .filter(|e| matches!(&e.kind, EventKind::NewFd { syscall, .. } if syscall.starts_with("signalfd")))
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert_clean(&r);
}

#[test]
fn fds_from_the_mount_api_mq_open_bpf_landlock_and_memfd_secret_are_recorded() {
    let r = same_traced_and_untraced("more_new_fds");
    for line in r.stdout().lines() {
        let (name, fd) = line.split_once(' ').unwrap();
        let fd: i32 = fd.parse().unwrap();
        let got: Vec<i32> = r
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::NewFd { fd, syscall, .. } if syscall == name => Some(*fd),
                _ => None,
            })
            .collect();
        let want: Vec<i32> = if fd >= 0 { vec![fd] } else { vec![] };
        // landlock's version query returned a number, not an fd.
        assert_eq!(got, want, "{line}");
    }
    assert_clean(&r);
}

#[test]
fn verify_compares_the_kernels_names_for_symlinks_slashes_dev_stdin_and_o_tmpfile() {
    let r = same_traced_and_untraced("open_names");
    let names: Vec<String> = root_events(&r)
        .filter_map(|e| match &e.kind {
            EventKind::Open {
                fd: 3..=7,
                kernel_name: Some(n),
                ..
            } => Some(n.lossy().into_owned()),
            _ => None,
        })
        .collect();
    assert!(names.iter().any(|n| n == "/etc/hostname"), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("/tmp/#")), "{names:?}");
    assert_clean(&r);
}

#[test]
fn a_shell_redirect_from_a_symlink_does_not_diverge() {
    let r = record(&["sh", "-c", "exec 7</bin/sh; exec /bin/true"]);
    assert_eq!(r.code(), 0);
    assert_clean(&r);
}

#[test]
fn a_failed_exec_keeps_the_readable_argv_and_tells_null_from_empty() {
    let r = same_traced_and_untraced("exec_bad_argv");
    let failed: Vec<(Vec<String>, bool, Vec<String>)> = root_events(&r)
        .filter_map(|e| match &e.kind {
            EventKind::Exec {
                ok: false,
                argv,
                argv_null,
                unreadable,
                ..
            } => Some((
                argv.iter().map(|a| a.lossy().into_owned()).collect(),
                *argv_null,
                unreadable.clone(),
            )),
            _ => None,
        })
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        failed,
        vec![
            (
                s(&["test.execve\nfilename", "first", "second", "", "last"]),
                false,
                s(&["argv[3]"])
            ),
            (vec![], true, vec![]),
            (vec![], false, vec![]),
        ]
    );
    assert_clean(&r);
}

#[test]
fn openat2_records_a_null_path_and_a_how_the_kernel_rejects() {
    let r = same_traced_and_untraced("openat2_bad");
    assert_eq!(r.stdout(), "-1 -1 -1 3\n");
    let opens: Vec<(i32, String, String, bool, Vec<String>)> = root_events(&r)
        .filter_map(|e| match &e.kind {
            EventKind::Open {
                fd,
                path,
                flags,
                errno,
                how_rejected,
                unreadable,
                ..
            } if path.as_bytes() == b"/dev/null" || path.as_bytes().is_empty() => Some((
                *fd,
                errno.clone().unwrap_or_default(),
                flags.clone(),
                *how_rejected,
                unreadable.clone(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        opens,
        vec![
            (
                -1,
                "EFAULT".into(),
                "O_RDONLY".into(),
                false,
                vec!["path".into()]
            ),
            (-1, "EINVAL".into(), "".into(), true, vec![]),
            (-1, "E2BIG".into(), "".into(), true, vec![]),
            (3, "".into(), "O_RDONLY".into(), false, vec![]),
        ]
    );
    assert_clean(&r);
}

#[test]
fn fds_opened_and_closed_by_io_uring_are_noted_as_unseen() {
    let r = same_traced_and_untraced("io_uring_open");
    if r.stdout().contains("no io_uring") {
        eprintln!("io_uring is not available here; nothing to check");
        return;
    }
    let (code, text) = verify(&r.trace);
    assert!(text.contains("fd 3: vanished unseen"), "{text}");
    assert!(
        text.contains("appeared unseen (/etc/hostname; the process uses io_uring)"),
        "{text}"
    );
    assert!(text.contains("0 divergences; 0 anomalies"), "{text}");
    assert_eq!(code, 0, "{text}");
}

/// Records `exe` as user nobody (forkscope itself unprivileged, so no
/// CAP_SYS_PTRACE), from a directory nobody can write; returns the trace
/// path's directory, forkscope's stderr and the program's stdout.
fn record_as_nobody(exe: &Path, dir: &Path) -> (std::process::Output, Vec<Event>) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let trace = dir.join("t.jsonl");
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_forkscope"))
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .arg("--")
        .arg(exe)
        .env("LANG", "C.UTF-8")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (header, events, _) = forkscope::trace::read_all(&trace).unwrap();
    check_invariants(&header, &events);
    (out, events)
}

#[test]
fn a_non_dumpable_program_traced_without_root_is_recorded_with_marks_and_one_warning() {
    let exe = fixture("not_dumpable");
    let dir = tempfile::tempdir().unwrap();
    let plain = Command::new(&exe).stdin(Stdio::null()).output().unwrap();
    let (out, events) = record_as_nobody(&exe, dir.path());
    assert_eq!(out.stdout, plain.stdout);
    assert_eq!(out.status.code(), plain.status.code());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("cannot read the memory").count(), 1, "{err}");
    // Its open and its failed exec: the path and argv are marked, not empty
    // values that look real.
    let marked = |e: &&Event| match &e.kind {
        EventKind::Open { unreadable, .. } => unreadable == &["path"],
        EventKind::Exec {
            ok: false,
            unreadable,
            ..
        } => unreadable == &["path", "argv[0..]"],
        _ => false,
    };
    assert_eq!(events.iter().filter(marked).count(), 2, "{events:?}");
    // The model does not know what fd 3 is; --verify says so.
    let (code, text) = verify(&dir.path().join("t.jsonl"));
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("fd 3: model has an fd it does not know, kernel has /dev/null"),
        "{text}"
    );
}

#[test]
fn an_execute_only_program_traced_without_root_has_its_fd_table_marked_unreadable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("xo");
    std::fs::copy(fixture("open_names"), &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o711)).unwrap();
    let plain = Command::new(&exe).stdin(Stdio::null()).output().unwrap();
    let (out, events) = record_as_nobody(&exe, dir.path());
    assert_eq!(out.stdout, plain.stdout);
    assert_eq!(out.status.code(), plain.status.code());
    let first = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Exec {
                ok: true,
                fds,
                unreadable,
                ..
            } => Some((fds.clone(), unreadable.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(first, (None, vec!["fds".to_string()]));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("warning").count(), 1, "{err}");
}

#[test]
fn an_attached_recording_ignores_fcntl_and_ioctl_commands_that_change_no_fd() {
    use std::io::Write;
    let exe = fixture("attached_fcntl_ioctl");
    let plain = Command::new(&exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    plain.stdin.as_ref().unwrap().write_all(b"x").unwrap();
    let plain = plain.wait_with_output().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut target = Command::new(&exe)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = target.id();
    let trace = dir.path().join("t.jsonl");
    let mut fs = forkscope()
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["-p", &pid.to_string()])
        .spawn()
        .unwrap();
    // Go on once forkscope has seized the program (TracerPid) and stopped
    // it once (the attach's interrupt stop, `t`), after which every syscall
    // stops; the stop may be too short to see, so a second at most.
    let status = || std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let mut seized: Option<std::time::Instant> = None;
    loop {
        let s = status();
        if s.lines().any(|l| l.starts_with("State:\tt")) {
            break;
        }
        let traced = s
            .lines()
            .any(|l| l.starts_with("TracerPid:") && l.trim_end() != "TracerPid:\t0");
        if traced
            && seized
                .get_or_insert_with(std::time::Instant::now)
                .elapsed()
                .as_secs()
                >= 1
        {
            break;
        }
        assert!(fs.try_wait().unwrap().is_none(), "forkscope ended early");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    target.stdin.take().unwrap().write_all(b"x").unwrap();
    let out = target.wait_with_output().unwrap();
    assert!(fs.wait().unwrap().success());
    assert_eq!(out.stdout, plain.stdout);
    assert_eq!(out.status.code(), plain.status.code());
    let (_, events, _) = forkscope::trace::read_all(&trace).unwrap();
    let fd_events: Vec<&EventKind> = events
        .iter()
        .map(|e| &e.kind)
        .filter(|k| matches!(k, EventKind::Dup { .. } | EventKind::SetCloexec { .. }))
        .collect();
    assert_eq!(
        fd_events,
        vec![&EventKind::SetCloexec {
            fd: 3,
            cloexec: true,
            errno: None,
            via: Some("ioctl(FIOCLEX)".into()),
        }]
    );
    let (code, text) = verify(&trace);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn the_new_fd_table_calls_are_decoded_in_32_bit_programs_too() {
    for name in [
        "ioctl_cloexec",
        "unshare_files",
        "close_range_fails",
        "exec_bad_argv",
    ] {
        let bin = match try_fixture(name, &["-m32"]) {
            Ok(b) => b,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("cannot build 32-bit here ({e}); skipping (CI installs gcc-multilib)");
                return;
            }
            Err(e) => panic!("CI must be able to build 32-bit fixtures: {e}"),
        };
        let plain = Command::new(&bin).stdin(Stdio::null()).output().unwrap();
        let r = record(&[&bin]);
        assert_eq!(r.stdout(), String::from_utf8_lossy(&plain.stdout), "{name}");
        assert_eq!(r.out.status.code(), plain.status.code(), "{name}");
        assert_clean(&r);
    }
    let r = record(&[try_fixture("ioctl_cloexec", &["-m32"]).unwrap()]);
    assert_eq!(r.count("set_cloexec"), 2);
}

/// A recording of `/bin/true` with one more event by the root process just
/// before its exit.
fn with_event(extra: EventKind) -> (Recorded, std::path::PathBuf) {
    let r = record(&["/bin/true"]);
    let text = std::fs::read_to_string(&r.trace).unwrap();
    let mut out = format!("{}\n", text.lines().next().unwrap());
    let (exit, rest) = r.events.split_last().unwrap();
    let mut events: Vec<Event> = rest.to_vec();
    events.push(Event {
        seq: exit.seq,
        ts_ns: exit.ts_ns,
        pid: r.header.root_pid,
        kind: extra,
    });
    events.push(Event {
        seq: exit.seq + 1,
        ..exit.clone()
    });
    for e in &events {
        out.push_str(&serde_json::to_string(e).unwrap());
        out.push('\n');
    }
    let path = r.trace.with_file_name("more.jsonl");
    std::fs::write(&path, out).unwrap();
    (r, path)
}

#[test]
fn verify_exits_1_on_an_anomaly_but_not_on_a_close_of_an_fd_not_open() {
    let (_r, t) = with_event(EventKind::SetCloexec {
        fd: 9,
        cloexec: true,
        errno: None,
        via: None,
    });
    let (code, text) = verify(&t);
    assert!(text.contains("0 divergences; 1 anomaly"), "{text}");
    assert_eq!(code, 1, "{text}");
    // The program's own EBADF: listed, but not a contradiction.
    let (_r, t) = with_event(EventKind::Close { fd: 9 });
    let (code, text) = verify(&t);
    assert!(text.contains("0 divergences; 1 anomaly"), "{text}");
    assert_eq!(code, 0, "{text}");
}
