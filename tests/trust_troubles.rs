//! Trust: the traced program behaves exactly as untraced, and forkscope's
//! own troubles never harm it. Each test runs the real case untraced and
//! traced and compares output and exit status, and replays (and verifies)
//! the trace where one is written:
//! - the program's own seccomp filter (SECCOMP_RET_TRACE means ENOSYS untraced);
//! - ptrace's limits (PTRACE_TRACEME, set-user-ID programs) are said, not hidden;
//! - a closed stderr or a full stdout makes no panic;
//! - a trace that cannot be written (full disk, closed pipe) stops the
//!   trace, not the program.

mod common;

use common::{fixture, forkscope, record};
use forkscope::trace::{read_all, EventKind};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

/// The exit status as a shell reports it (128+N for death by signal N),
/// which is what forkscope exits with.
fn shell_code(s: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    s.code()
        .unwrap_or_else(|| 128 + s.signal().expect("exited or signalled"))
}

fn untraced(cmd: &[&str]) -> std::process::Output {
    Command::new(cmd[0]).args(&cmd[1..]).output().unwrap()
}

fn replay_verify(trace: &Path) -> std::process::Output {
    forkscope()
        .args(["replay", "--verify"])
        .arg(trace)
        .output()
        .unwrap()
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true")
}

// ---- 5. the program's own seccomp filter ----

#[test]
fn a_programs_own_seccomp_ret_trace_fails_with_enosys_under_forkscope_as_untraced() {
    let prog = fixture("own_seccomp_trace");
    let p = prog.to_str().unwrap();
    let plain = untraced(&[p]);
    let plain_out = String::from_utf8_lossy(&plain.stdout).into_owned();
    // The untraced run is the reference: both calls fail without running.
    assert!(
        plain_out.contains("getppid: Function not implemented")
            && plain_out.contains("dup: Function not implemented"),
        "untraced: {plain_out}"
    );
    let r = record(&[p]);
    assert_eq!(r.stdout(), plain_out, "stderr: {}", r.stderr());
    assert_eq!(r.code(), shell_code(plain.status));
    // The dup that the program's filter refused is recorded as failing with
    // ENOSYS (forkscope traces dup too, but the program's filter decided).
    let dups: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Dup { errno, .. } => Some(errno.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(dups, vec![Some("ENOSYS".to_string())]);
    // forkscope's own stops go on under the stacked filter.
    assert_eq!(r.count("pipe"), 1);
    assert!(r.of_kind("exec").any(|e| matches!(
        &e.kind,
        EventKind::Exec { ok: true, path, .. } if path.to_string() == "/bin/true"
    )));
    let v = replay_verify(&r.trace);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

// ---- 6. ptrace limits are said, not hidden ----

#[test]
fn ptrace_traceme_gets_eperm_under_forkscope_and_it_is_said_once_and_recorded() {
    let prog = fixture("ptrace_traceme");
    let p = prog.to_str().unwrap();
    let plain = untraced(&[p]);
    assert_eq!(String::from_utf8_lossy(&plain.stdout), "traceme: ok\n");
    // Twice, to see the warning said once per kind and recorded each time.
    let r = record(&["sh", "-c", &format!("{p}; {p}")]);
    assert_eq!(r.stdout(), "traceme: Operation not permitted\n".repeat(2));
    assert_eq!(r.code(), shell_code(plain.status));
    let stderr = r.stderr();
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{}", r.stderr());
    assert!(
        warnings[0].contains("got EPERM from PTRACE_TRACEME")
            && warnings[0].contains("only one tracer"),
        "{}",
        warnings[0]
    );
    let limits: Vec<_> = r
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::PtraceLimit { limit, request, .. } => Some((limit.clone(), request.clone())),
            _ => None,
        })
        .collect();
    let want = (
        "nested_ptrace".to_string(),
        Some("PTRACE_TRACEME".to_string()),
    );
    assert_eq!(limits, vec![want.clone(), want]);
    assert!(replay_verify(&r.trace).status.success());
    let timeline = forkscope().arg("replay").arg(&r.trace).output().unwrap();
    let text = String::from_utf8_lossy(&timeline.stdout);
    assert!(text.contains("ptrace(PTRACE_TRACEME) = -1 EPERM"), "{text}");

    // The same warning in Chinese.
    let dir = tempfile::tempdir().unwrap();
    let out = forkscope()
        .args(["--lang", "zh", "record", "-q", "-o"])
        .arg(dir.path().join("t.jsonl"))
        .arg("--")
        .arg(p)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("forkscope：警告：") && err.contains("PTRACE_TRACEME 得到 EPERM"),
        "{err}"
    );
}

#[test]
fn strace_under_forkscope_gets_eperm_and_it_is_said() {
    if Command::new("strace").arg("-V").output().is_err() {
        assert!(!in_ci(), "CI installs strace (.ci/run)");
        eprintln!("note: strace is not installed; skipping");
        return;
    }
    let cmd = ["strace", "-f", "-qq", "-e", "trace=none", "/bin/true"];
    let plain = untraced(&cmd);
    assert_eq!(plain.status.code(), Some(0));
    let r = record(&cmd);
    // strace cannot trace: it says so itself and fails, and forkscope
    // says why, once.
    assert_ne!(r.code(), 0);
    let stderr = r.stderr();
    assert!(stderr.contains("Operation not permitted"), "{stderr}");
    let said: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(said.len(), 1, "{stderr}");
    assert!(
        said[0].contains("cannot run under forkscope"),
        "{}",
        said[0]
    );
    assert!(r.count("ptrace_limit") >= 1);
    assert!(replay_verify(&r.trace).status.success());
}

/// Runs `cmd` as user nobody (uid and gid 65534) with setpriv.
fn as_nobody(cmd: &[&OsStrLike]) -> Option<std::process::Output> {
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(cmd)
        .output()
        .ok()?;
    Some(out)
}

type OsStrLike = std::ffi::OsStr;

#[test]
fn a_set_user_id_program_runs_without_its_privileges_under_an_unprivileged_forkscope_and_it_is_said(
) {
    // A directory nobody can enter, with a set-user-ID-root copy of the
    // fixture and of forkscope (the build tree may be closed to nobody).
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let ids = dir.path().join("print_ids");
    std::fs::copy(fixture("print_ids"), &ids).unwrap();
    std::fs::set_permissions(&ids, std::fs::Permissions::from_mode(0o4755)).unwrap();
    let fs = dir.path().join("forkscope");
    std::fs::copy(env!("CARGO_BIN_EXE_forkscope"), &fs).unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let trace = out_dir.join("t.jsonl");

    let Some(plain) = as_nobody(&[ids.as_os_str()]) else {
        assert!(!in_ci(), "setpriv is needed (util-linux)");
        eprintln!("note: setpriv is not installed; skipping");
        return;
    };
    let plain_out = String::from_utf8_lossy(&plain.stdout).into_owned();
    if !plain_out.contains("euid=0") {
        // A nosuid mount (the machine's choice, not a missing install):
        // nothing to lose, nothing to say.
        eprintln!("note: set-user-ID is not honoured here ({plain_out}); skipping");
        return;
    }
    let traced = as_nobody(&[
        fs.as_os_str(),
        "record".as_ref(),
        "-o".as_ref(),
        trace.as_os_str(),
        "--".as_ref(),
        ids.as_os_str(),
    ])
    .unwrap();
    let out = String::from_utf8_lossy(&traced.stdout);
    let err = String::from_utf8_lossy(&traced.stderr);
    // The difference is exactly the one said: euid stays nobody's.
    assert_eq!(out, plain_out.replace("euid=0", "euid=65534"), "{err}");
    assert_eq!(traced.status.code(), plain.status.code());
    let said: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(said.len(), 1, "{err}");
    assert!(
        said[0].contains("is set-user-ID but ran with effective uid 65534, not 0"),
        "{}",
        said[0]
    );
    let (_, events, _) = read_all(&trace).unwrap();
    let limit = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::PtraceLimit {
                limit,
                granted,
                kept,
                path,
                ..
            } => Some((limit.clone(), *granted, *kept, path.clone())),
            _ => None,
        })
        .expect("a ptrace_limit event");
    assert_eq!(
        (limit.0.as_str(), limit.1, limit.2),
        ("setuid", Some(0), Some(65534))
    );
    assert_eq!(limit.3.unwrap().to_string(), ids.to_str().unwrap());
    assert!(replay_verify(&trace).status.success());

    // Run by root, forkscope is a privileged tracer: the bit is honoured,
    // exactly as untraced, and nothing is said.
    let r = record(&[ids.to_str().unwrap()]);
    assert_eq!(
        r.stdout(),
        String::from_utf8_lossy(&untraced(&[ids.to_str().unwrap()]).stdout)
    );
    assert!(!r.stderr().contains("warning"), "{}", r.stderr());
    assert_eq!(r.count("ptrace_limit"), 0);
}

// ---- 7. a broken stderr or stdout panics nowhere ----

/// A pipe whose read end is already closed: writing to it fails with EPIPE.
fn closed_pipe() -> std::fs::File {
    let (r, w) = nix::unistd::pipe().unwrap();
    drop(r);
    std::fs::File::from(w)
}

#[test]
fn a_closed_stderr_leaves_forkscopes_exit_status_the_programs() {
    let dir = tempfile::tempdir().unwrap();
    for script in ["exit 3", "echo to-stderr >&2; exit 3"] {
        let plain = Command::new("sh")
            .args(["-c", script])
            .stderr(closed_pipe())
            .status()
            .unwrap();
        let traced = forkscope()
            .arg("record")
            .arg("-o")
            .arg(dir.path().join("t.jsonl"))
            .args(["--", "sh", "-c", script])
            .stderr(closed_pipe())
            .status()
            .unwrap();
        // Ends as the program did: the same exit status, or (the program
        // killed by SIGPIPE writing to the closed stderr) the same signal.
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            (traced.code(), traced.signal()),
            (plain.code(), plain.signal()),
            "{script}: untraced {plain:?}, traced {traced:?}"
        );
        let v = replay_verify(&dir.path().join("t.jsonl"));
        assert!(v.status.success(), "{script}");
    }
}

#[test]
fn completions_man_and_demo_report_a_full_stdout_instead_of_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    for args in [
        vec!["completions", "bash"],
        vec!["completions", "zsh"],
        vec!["man"],
        vec!["man", "record"],
        vec!["demo", "--list"],
        vec!["demo", "--out-dir", out_dir],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = forkscope().args(&args).stdout(full).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.contains("No space left on device"), "{args:?}: {err}");
        // A closed pipe ends them quietly, as `| head` would.
        let out = forkscope()
            .args(&args)
            .stdout(closed_pipe())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

// ---- 8. a trace that cannot be written stops the trace, not the program ----

/// A 48 KiB tmpfs, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=48k", "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// A shell script with many events (each /bin/true is a fork, an exec with
/// its fd table, a wait, an exit), then a known output and status.
fn busy_script(out: &Path) -> String {
    format!(
        "i=0; while [ $i -lt 300 ]; do /bin/true; i=$((i+1)); done; echo finished-$i > {}; echo on-stdout; exit 7",
        out.display()
    )
}

/// Checks the stopped trace: whole lines only, as many events as the
/// summary says, and it replays.
fn check_stopped_trace(trace: &Path, stderr: &str) {
    let bytes = std::fs::read(trace).unwrap();
    assert_eq!(bytes.last(), Some(&b'\n'), "the trace ends in a whole line");
    let (_, events, warnings) = read_all(trace).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let at: u64 = stderr
        .split("the trace stopped at event ")
        .nth(1)
        .and_then(|s| s.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no 'trace stopped at event N': {stderr}"));
    assert_eq!(events.len() as u64, at, "{stderr}");
    let replay = forkscope().arg("replay").arg(trace).output().unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let v = replay_verify(trace);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

#[test]
fn a_full_disk_stops_the_trace_and_the_program_runs_on_to_its_own_end() {
    let Some(disk) = SmallDisk::mount() else {
        assert!(!in_ci(), "mounting a tmpfs must work in CI (root)");
        eprintln!("note: cannot mount a tmpfs here; skipping");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let (out_plain, out_traced) = (work.path().join("plain"), work.path().join("traced"));
    let plain = untraced(&["sh", "-c", &busy_script(&out_plain)]);
    let trace = disk.path().join("t.jsonl");
    let traced = forkscope()
        .arg("record")
        .arg("-o")
        .arg(&trace)
        .args(["--", "sh", "-c", &busy_script(&out_traced)])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&traced.stderr);
    assert_eq!(traced.stdout, plain.stdout, "{err}");
    assert_eq!(
        std::fs::read_to_string(&out_traced).unwrap(),
        std::fs::read_to_string(&out_plain).unwrap()
    );
    assert_eq!(
        traced.status.code(),
        Some(forkscope::record::TRACE_FAILED_EXIT),
        "{err}"
    );
    assert!(
        err.contains("No space left on device")
            && err.contains(&format!(
                "ran on unrecorded and exited with status {}",
                shell_code(plain.status)
            )),
        "{err}"
    );
    check_stopped_trace(&trace, &err);
    // No tracee is left behind: every traced process ended.
    drop(disk);
}

#[test]
fn a_trace_into_a_closed_pipe_stops_and_the_program_runs_on_to_its_own_end() {
    let work = tempfile::tempdir().unwrap();
    let (out_plain, out_traced) = (work.path().join("plain"), work.path().join("traced"));
    let script = |out: &PathBuf| busy_script(out).replace("echo on-stdout", "echo on-stderr >&2");
    let plain = untraced(&["sh", "-c", &script(&out_plain)]);
    // `forkscope record -o /dev/stdout … | head -c100`
    let mut child = forkscope()
        .args(["record", "-o", "/dev/stdout", "--", "sh", "-c"])
        .arg(script(&out_traced))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // The reader is gone now (dropped above).
    let traced = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&traced.stderr);
    assert!(err.starts_with("on-stderr\n"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&out_traced).unwrap(),
        std::fs::read_to_string(&out_plain).unwrap()
    );
    assert_eq!(
        traced.status.code(),
        Some(forkscope::record::TRACE_FAILED_EXIT),
        "{err}"
    );
    assert!(
        err.contains("Broken pipe")
            && err.contains(&format!(
                "ran on unrecorded and exited with status {}",
                shell_code(plain.status)
            )),
        "{err}"
    );
    assert!(head.starts_with(b"{\"format\":\"forkscope-trace\""));
}

#[test]
fn a_full_disk_while_attached_detaches_and_leaves_the_program_running_to_its_own_end() {
    let Some(disk) = SmallDisk::mount() else {
        assert!(!in_ci(), "mounting a tmpfs must work in CI (root)");
        eprintln!("note: cannot mount a tmpfs here; skipping");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let stop = work.path().join("stop");
    // Makes events until told to stop (so it is still running when the
    // disk fills), then says so and exits 4.
    let script = format!(
        "while [ ! -e {} ]; do /bin/true; done; echo finished; exit 4",
        stop.display()
    );
    let prog = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = prog.id();
    let trace = disk.path().join("t.jsonl");
    let traced = forkscope()
        .args(["record", "-p", &pid.to_string(), "-o"])
        .arg(&trace)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&traced.stderr);
    std::fs::write(&stop, "").unwrap();
    let out = prog.wait_with_output().unwrap();
    assert_eq!(
        traced.status.code(),
        Some(forkscope::record::TRACE_FAILED_EXIT),
        "{err}"
    );
    // (Named "sh", or "pid N" when forkscope looked before sh's exec.)
    assert!(
        err.contains("forkscope detached from ")
            && err.contains(&format!("(pid {pid}), which runs on")),
        "{err}"
    );
    // Untraced, with the stop file there from the start: the same end.
    let plain = untraced(&["sh", "-c", &script]);
    assert_eq!(out.stdout, plain.stdout);
    assert_eq!(out.status.code(), plain.status.code());
    check_stopped_trace(&trace, &err);
}
