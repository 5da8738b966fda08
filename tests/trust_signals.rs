//! Trust: the traced program behaves exactly as untraced, as far as signals
//! go. Each test runs the same case twice, untraced and under `forkscope
//! record`, in a process group of its own (as a shell job), and compares
//! what a user or the invoking parent sees: output, exit status or the
//! signal the process died of, the signal lines of /proc/self/status; then
//! `forkscope replay --verify` checks the trace.

mod common;

use common::*;
use forkscope::trace::{EventKind, Sig, Status};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

/// What to change in the child before it runs (untraced: the command;
/// traced: forkscope), as a parent shell or wrapper would.
type Setup = fn();

fn nothing() {}

/// One run of a case.
struct Run {
    stdout: String,
    stderr: String,
    status: ExitStatus,
    trace: Option<PathBuf>,
    _dir: tempfile::TempDir,
}

impl Run {
    /// How it ended, as the parent sees it.
    fn ended(&self) -> String {
        match (self.status.code(), self.status.signal()) {
            (Some(c), _) => format!("exit {c}"),
            (_, Some(s)) => format!("killed by signal {s}"),
            _ => "?".into(),
        }
    }
}

/// `cmd` untraced, or (traced) under `forkscope record -q`, in its own
/// process group, after `setup` in the child.
fn command(cmd: &[&str], traced: bool, setup: Setup, dir: &Path) -> Command {
    let mut c = if traced {
        let mut c = forkscope();
        c.args(["record", "-q", "-o"])
            .arg(dir.join("t.jsonl"))
            .arg("--")
            .args(cmd);
        c
    } else {
        let mut c = Command::new(cmd[0]);
        c.args(&cmd[1..]);
        c
    };
    c.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: the setups only make async-signal-safe libc calls.
    unsafe {
        c.pre_exec(move || {
            setup();
            Ok(())
        });
    }
    c
}

fn finish(mut child: Child, traced: bool, dir: tempfile::TempDir) -> Run {
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    Run {
        stdout,
        stderr,
        status,
        trace: traced.then(|| dir.path().join("t.jsonl")),
        _dir: dir,
    }
}

fn run(cmd: &[&str], traced: bool, setup: Setup) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let child = command(cmd, traced, setup, dir.path()).spawn().unwrap();
    finish(child, traced, dir)
}

/// Reads the trace back (checking its invariants) and replays it with
/// `--verify`, which must find no divergence.
fn verified(trace: &Path) -> (forkscope::trace::Header, Vec<forkscope::trace::Event>) {
    let (h, events, warnings) = forkscope::trace::read_all(trace).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    check_invariants(&h, &events);
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(trace)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "replay --verify: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    (h, events)
}

/// Runs `cmd` both ways and checks that output and ending are the same.
fn same_both_ways(cmd: &[&str], setup: Setup) -> (Run, Run) {
    let native = run(cmd, false, setup);
    let traced = run(cmd, true, setup);
    assert_eq!(traced.stdout, native.stdout, "stdout of {cmd:?}");
    assert_eq!(traced.ended(), native.ended(), "{cmd:?}: {}", traced.stderr);
    (native, traced)
}

fn signal_events(events: &[forkscope::trace::Event], pid: i32, sig: i32) -> usize {
    events
        .iter()
        .filter(|e| {
            e.pid == pid && matches!(e.kind, EventKind::Signal { signal, .. } if signal == Sig(sig))
        })
        .count()
}

/// `kill -SIG 0` from the program reaches its whole process group, forkscope
/// included. Untraced the program handles it and goes on; traced it must
/// too, with forkscope still alive (were forkscope killed, PTRACE_O_EXITKILL
/// would kill the program) and the signal delivered once, not forwarded a
/// second time.
#[test]
fn every_signal_sent_to_the_process_group_reaches_the_program_once_and_forkscope_survives() {
    let sigs = [
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGALRM,
        libc::SIGVTALRM,
        libc::SIGPROF,
        libc::SIGXCPU,
        libc::SIGXFSZ,
        libc::SIGSYS,
        libc::SIGPWR,
        libc::SIGTRAP,
        libc::SIGSTKFLT,
        libc::SIGHUP,
        libc::SIGTERM,
        libc::SIGRTMIN() + 1,
        libc::SIGRTMAX(),
    ];
    for sig in sigs {
        let script = format!("trap 'echo got {sig}' {sig}; kill -{sig} 0; sleep .2; echo alive");
        let (native, traced) = same_both_ways(&["sh", "-c", &script], nothing);
        assert_eq!(native.stdout, format!("got {sig}\nalive\n"));
        let (h, events) = verified(traced.trace.as_deref().unwrap());
        assert_eq!(
            signal_events(&events, h.root_pid, sig),
            1,
            "signal {sig} delivered to the program once"
        );
    }
}

/// `pkill -USR1 -f NAME` that matches forkscope's command line as well as
/// the program's sends the signal to both: the program must get it once.
#[test]
fn pkill_that_matches_forkscope_too_delivers_the_signal_to_the_program_once() {
    let marker = format!("pkill-marker-{}", std::process::id());
    let script = format!("trap 'echo got' USR1; echo ready >&2; sleep 1; echo alive # {marker}");
    let cmd = ["sh", "-c", script.as_str()];
    let mut outs = Vec::new();
    for traced in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = command(&cmd, traced, nothing, dir.path()).spawn().unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        assert_eq!(line, "ready\n");
        let p = Command::new("pkill")
            .args(["-USR1", "-f", &marker])
            .status()
            .unwrap();
        assert!(p.success());
        child.stderr = None;
        let mut r = finish_with(child, traced, dir);
        err.read_to_string(&mut r.stderr).unwrap();
        outs.push(r);
    }
    assert_eq!(outs[0].stdout, "got\nalive\n");
    assert_eq!(outs[1].stdout, outs[0].stdout, "{}", outs[1].stderr);
    assert_eq!(outs[1].ended(), outs[0].ended());
    let (h, events) = verified(outs[1].trace.as_deref().unwrap());
    assert_eq!(signal_events(&events, h.root_pid, libc::SIGUSR1), 1);
}

/// [`finish`] for a child whose stderr was taken already.
fn finish_with(mut child: Child, traced: bool, dir: tempfile::TempDir) -> Run {
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    Run {
        stdout,
        stderr: String::new(),
        status,
        trace: traced.then(|| dir.path().join("t.jsonl")),
        _dir: dir,
    }
}

/// [`finish_with`] for a child whose stdout is being read through `out`.
fn finish_with_stdout(
    mut child: Child,
    mut out: BufReader<std::process::ChildStdout>,
    dir: tempfile::TempDir,
) -> Run {
    let mut stdout = String::new();
    out.read_to_string(&mut stdout).unwrap();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut stderr).unwrap();
    }
    let status = child.wait().unwrap();
    Run {
        stdout,
        stderr,
        status,
        trace: None,
        _dir: dir,
    }
}

/// Starts `cmd` (untraced or traced), waits for its "ready" line on stderr,
/// calls `send(pid)` with the pid the parent knows (the program's untraced,
/// forkscope's traced), and collects the run.
fn send_when_ready(cmd: &[&str], traced: bool, send: &dyn Fn(i32)) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(cmd, traced, nothing, dir.path()).spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    send(child.id() as i32);
    let mut r = finish_with(child, traced, dir);
    err.read_to_string(&mut r.stderr).unwrap();
    r
}

/// A signal sent to forkscope's pid alone (a parent's `kill PID`) is meant
/// for the program, which untraced would have had that pid: it is passed on.
#[test]
fn a_signal_sent_to_forkscope_alone_is_passed_on_to_the_program() {
    let cmd = [
        "sh",
        "-c",
        "trap 'echo got USR1' USR1; trap 'echo got 40' 40; echo ready >&2; sleep 1; echo alive",
    ];
    let send = |pid: i32| {
        // SAFETY: kill(2) of a child of ours.
        unsafe {
            libc::kill(pid, libc::SIGUSR1);
        }
    };
    let native = send_when_ready(&cmd, false, &send);
    let traced = send_when_ready(&cmd, true, &send);
    assert_eq!(native.stdout, "got USR1\nalive\n");
    assert_eq!(traced.stdout, native.stdout, "{}", traced.stderr);
    assert_eq!(traced.ended(), native.ended());
    let (h, events) = verified(traced.trace.as_deref().unwrap());
    assert_eq!(signal_events(&events, h.root_pid, libc::SIGUSR1), 1);
}

/// sigqueue(3) to forkscope's pid reaches the program as sent: SI_QUEUE,
/// from the sender, with the sender's value.
#[test]
fn a_sigqueue_to_forkscope_reaches_the_program_with_its_sender_and_value() {
    let bin = fixture("sigqueue_wait");
    let me = std::process::id().to_string();
    let cmd = [bin.to_str().unwrap(), me.as_str()];
    let send = |pid: i32| {
        let value = libc::sigval {
            sival_ptr: 42usize as *mut libc::c_void,
        };
        // SAFETY: sigqueue(3) to a child of ours with a plain value.
        assert_eq!(
            unsafe { libc::sigqueue(pid, libc::SIGRTMIN() + 2, value) },
            0
        );
    };
    let native = send_when_ready(&cmd, false, &send);
    let traced = send_when_ready(&cmd, true, &send);
    assert_eq!(
        native.stdout,
        format!("code={} from_sender=yes value=42\n", libc::SI_QUEUE)
    );
    assert_eq!(traced.stdout, native.stdout, "{}", traced.stderr);
    assert_eq!(traced.ended(), native.ended());
    verified(traced.trace.as_deref().unwrap());
}

/// When the program dies of a signal, forkscope dies of the same one after
/// the trace is complete, so that a parent (a shell loop stopping on
/// Ctrl-C) sees what it would untraced.
#[test]
fn forkscope_dies_of_the_signal_that_killed_the_program() {
    for sig in [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGKILL,
        libc::SIGUSR1,
        libc::SIGPIPE,
        libc::SIGRTMIN() + 3,
    ] {
        let script = format!("kill -{sig} $$; echo not reached");
        let (native, traced) = same_both_ways(&["sh", "-c", &script], nothing);
        assert_eq!(native.status.signal(), Some(sig));
        let (h, events) = verified(traced.trace.as_deref().unwrap());
        assert_eq!(
            exits(&events)[&h.root_pid],
            Status::Signaled {
                signaled: Sig(sig),
                core: false
            }
        );
    }
}

fn core_unlimited() {
    let inf = libc::rlimit {
        rlim_cur: libc::RLIM_INFINITY,
        rlim_max: libc::RLIM_INFINITY,
    };
    // SAFETY: setrlimit reads one rlimit.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &inf);
    }
}

fn cores_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.starts_with("core"))
                .collect()
        })
        .unwrap_or_default()
}

/// A program that dumps core: forkscope dies of the same signal but with
/// RLIMIT_CORE 0, so its own core never replaces (or joins) the program's.
#[test]
fn forkscope_dies_of_a_core_dumping_signal_without_a_core_of_its_own() {
    let script = "mkdir sub && cd sub && kill -SEGV $$";
    let native = run(&["sh", "-c", script], false, core_unlimited);
    assert_eq!(native.status.signal(), Some(libc::SIGSEGV));
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    // The program's core lands in its cwd when the pattern is a plain file
    // name and the kernel did dump it; otherwise cores cannot be seen here.
    let visible =
        native.status.core_dumped() && !pattern.starts_with('|') && !pattern.contains('/');
    let dir = tempfile::tempdir().unwrap();
    let child = command(&["sh", "-c", script], true, core_unlimited, dir.path())
        .spawn()
        .unwrap();
    let traced = finish(child, true, dir);
    assert_eq!(
        traced.status.signal(),
        Some(libc::SIGSEGV),
        "{}",
        traced.stderr
    );
    assert!(!traced.status.core_dumped(), "forkscope dumps no core");
    let (h, events) = verified(traced.trace.as_deref().unwrap());
    assert!(matches!(
        exits(&events)[&h.root_pid],
        Status::Signaled { signaled, .. } if signaled == Sig(libc::SIGSEGV)
    ));
    // With a core pattern that names a file in the cwd, the program's core
    // is in sub/ and none is in forkscope's cwd.
    if visible {
        let root = traced._dir.path();
        assert!(
            !cores_in(&root.join("sub")).is_empty(),
            "the program's core"
        );
        assert!(cores_in(root).is_empty(), "no core of forkscope's");
    }
}

/// What `nohup`, `trap '' PIPE` or a wrapper that blocks signals set up:
/// blocked USR2 and SIGRTMIN+5, ignored HUP, PIPE and USR1.
fn blocked_and_ignored() {
    // SAFETY: sigprocmask and signal on valid arguments.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR2);
        libc::sigaddset(&mut set, libc::SIGRTMIN() + 5);
        libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::signal(libc::SIGUSR1, libc::SIG_IGN);
    }
}

/// The program starts with the mask and ignored signals forkscope was
/// started with, not the SIGPIPE default and empty mask it used to reset
/// them to: `yes | head -n1` under `trap '' PIPE` ends yes with EPIPE
/// (exit 1), not SIGPIPE (141).
#[test]
fn the_program_inherits_the_signal_mask_and_ignored_signals_forkscope_was_started_with() {
    let script = "grep -E '^Sig(Blk|Ign|Cgt):' /proc/self/status";
    let (native, traced) = same_both_ways(&["sh", "-c", script], blocked_and_ignored);
    let ign = 1u64 << (libc::SIGPIPE - 1);
    assert!(
        native.stdout.lines().any(|l| l.starts_with("SigIgn:")
            && u64::from_str_radix(l[7..].trim(), 16).is_ok_and(|m| m & ign != 0)),
        "{}",
        native.stdout
    );
    verified(traced.trace.as_deref().unwrap());
    let pipe = "yes | head -n1 >/dev/null; echo ${PIPESTATUS[0]}";
    let (native, traced) = same_both_ways(&["bash", "-c", pipe], blocked_and_ignored);
    assert_eq!(native.stdout, "1\n");
    verified(traced.trace.as_deref().unwrap());
    // And with nothing changed, yes dies of SIGPIPE both ways.
    let (native, _) = same_both_ways(&["bash", "-c", pipe], nothing);
    assert_eq!(native.stdout, "141\n");
}

fn close_stdin() {
    // SAFETY: close(2) of fd 0.
    unsafe {
        libc::close(0);
    }
}

fn close_stdout() {
    // SAFETY: close(2) of fd 1.
    unsafe {
        libc::close(1);
    }
}

/// `<&-`: the program finds fd 0 closed, as untraced, although the Rust
/// runtime reopens closed stdio on /dev/null before forkscope's main.
#[test]
fn closed_stdin_stays_closed_for_the_program() {
    let (native, traced) = same_both_ways(&["sh", "-c", "cat; echo $?"], close_stdin);
    assert_eq!(native.stdout, "1\n");
    assert_eq!(traced.stderr, native.stderr);
    let (_, events) = verified(traced.trace.as_deref().unwrap());
    match &events[0].kind {
        EventKind::Spawn { fds, .. } => assert!(
            fds.iter().all(|f| f.fd != 0),
            "the spawn event shows fd 0 closed: {fds:?}"
        ),
        other => panic!("{other:?}"),
    }
}

/// `>&-`: writes to fd 1 fail with EBADF, traced as untraced.
#[test]
fn closed_stdout_stays_closed_for_the_program() {
    let (native, traced) = same_both_ways(
        &[
            "sh",
            "-c",
            "echo x; echo \"rc=$?\" >&2; ls -d /proc/self/fd/1 2>&1 >&2",
        ],
        close_stdout,
    );
    assert_eq!(traced.stderr, native.stderr);
    assert!(native.stderr.contains("rc=1"), "{}", native.stderr);
    verified(traced.trace.as_deref().unwrap());
}

/// The first process exits and leaves a background child running, stopped:
/// forkscope waits for it (as strace -f does) and says so once on stderr,
/// naming it; the child stays stopped, traced by forkscope's tracer process
/// (letting go of a process under the seccomp filter would make its traced
/// system calls fail with ENOSYS). SIGTERM to forkscope then ends forkscope
/// at once with the first process's status. Its process group is then
/// orphaned with a stopped member, so the kernel sends it SIGHUP and
/// SIGCONT, which end the child as they do untraced when the command
/// exits; the trace then ends with that.
#[test]
fn a_process_that_outlives_the_command_is_named_and_sigterm_ends_forkscope_as_the_command_did() {
    let script = "sleep 100 >/dev/null 2>&1 & p=$!; kill -STOP $p; echo $p; exit 3";
    // Untraced: the stopped child may hold the stdout pipe (stopped before
    // its redirections), so it is killed before the rest is read.
    let native = {
        let dir = tempfile::tempdir().unwrap();
        let mut child = command(&["sh", "-c", script], false, nothing, dir.path())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let leftover: i32 = line.trim().parse().unwrap();
        // SAFETY: kill(2) of the stopped child the untraced run left.
        unsafe {
            libc::kill(leftover, libc::SIGKILL);
        }
        child.stdout = None;
        let r = finish_with_stdout(child, out, dir);
        assert_eq!(r.stdout, "");
        r
    };
    assert_eq!(native.ended(), "exit 3");

    let dir = tempfile::tempdir().unwrap();
    let mut child = command(&["sh", "-c", script], true, nothing, dir.path())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let bg: i32 = line.trim().parse().unwrap();
    // Whatever happens below, the stopped sleep does not outlive the test.
    struct Kill(i32);
    impl Drop for Kill {
        fn drop(&mut self) {
            // SAFETY: kill(2) of the background process this test started.
            unsafe {
                libc::kill(self.0, libc::SIGKILL);
            }
        }
    }
    let guard = Kill(bg);
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut notice = String::new();
    err.read_line(&mut notice).unwrap();
    assert!(
        notice.contains("has exited, but 1 process it started is still running")
            && notice.contains(&format!("{bg} (")),
        "{notice}"
    );
    let proc_status = std::fs::read_to_string(format!("/proc/{bg}/status")).unwrap();
    let field = |k: &str| {
        proc_status
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .map(|v| v.trim().to_string())
            .unwrap()
    };
    assert!(
        field("State:").starts_with('t') || field("State:").starts_with('T'),
        "{proc_status}"
    );
    let tracer: i32 = field("TracerPid:").parse().unwrap();
    assert!(
        tracer > 0 && tracer != child.id() as i32,
        "traced by {tracer}"
    );
    // SAFETY: kill(2) of our child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let mut again = String::new();
    err.read_line(&mut again).unwrap();
    assert!(
        again.contains("SIGTERM after the command exited: forkscope ends now"),
        "{again}"
    );
    let status = child.wait().unwrap();
    // The tracer process ends once the child has: then the trace is whole.
    while std::fs::read_to_string(format!("/proc/{tracer}/stat"))
        .is_ok_and(|s| !s.rsplit_once(") ").is_some_and(|(_, r)| r.starts_with('Z')))
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(guard);
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "nothing more on stdout");
    let r = Run {
        stdout: line,
        stderr: String::new(),
        status,
        trace: Some(dir.path().join("t.jsonl")),
        _dir: dir,
    };
    assert_eq!(r.stdout.trim(), bg.to_string());
    assert_eq!(r.ended(), native.ended());
    let (_, events) = verified(r.trace.as_deref().unwrap());
    assert_eq!(
        exits(&events)[&bg],
        Status::Signaled {
            signaled: Sig(libc::SIGHUP),
            core: false
        }
    );
}

/// A fork that fails at launch (the process limit reached: here
/// RLIMIT_NPROC 1 for an unused uid, as pids.max would) gives a clear error
/// and leaves a trace that has its header. Needs root to change uid.
#[test]
fn a_fork_that_fails_at_launch_says_why_and_leaves_a_trace_with_its_header() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run forkscope as another uid");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut c = forkscope();
    c.args(["record", "-o"]).arg(&trace).args(["--", "true"]);
    // SAFETY: setgroups/setgid/setuid/setrlimit are async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            let one = libc::rlimit {
                rlim_cur: 1,
                rlim_max: 1,
            };
            libc::setgroups(0, std::ptr::null());
            libc::setgid(64123);
            libc::setrlimit(libc::RLIMIT_NPROC, &one);
            if libc::setuid(64123) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // forkscope's own failure: 125, as env(1) and timeout(1) say it.
    assert_eq!(
        out.status.code(),
        Some(forkscope::record::TRACE_FAILED_EXIT),
        "{err}"
    );
    assert!(
        err.contains("fork failed") && err.contains("limit on processes"),
        "{err}"
    );
    let (h, events, warnings) = forkscope::trace::read_all(&trace).unwrap();
    assert!(warnings.is_empty() && events.is_empty());
    assert_eq!(h.root_pid, 0, "nothing ran");
    assert_eq!(h.argv.len(), 1);
}
