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
#[cfg(feature = "ebpf")]
use std::process::Stdio;

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
            EventKind::Exit { status, .. } => format!("exit {status:?}"),
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
    let exe = fixture_from("course", "ps_grep");
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

/// Every event but opens, closes and fd snapshots, per process, as JSON
/// with the pids replaced by their place in the tree (see [`plumbing`]) and
/// inodes numbered in order of appearance; an exec's fd table is left to
/// `--verify`. A process's received signals and its waits are compared as
/// sorted lists of their own: when a SIGCHLD or a child's exit arrives
/// between the parent's own calls is the scheduler's choice.
#[cfg(feature = "ebpf")]
fn calls(events: &[Event]) -> HashMap<String, Vec<String>> {
    use serde_json::Value;
    let mut name: HashMap<i64, String> = HashMap::new();
    let mut children: HashMap<String, usize> = HashMap::new();
    let mut inodes: HashMap<String, usize> = HashMap::new();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for e in events {
        if let EventKind::Spawn { .. } = e.kind {
            name.insert(e.pid as i64, "0".into());
        }
        let Some(me) = name.get(&(e.pid as i64)).cloned() else {
            continue;
        };
        if let EventKind::Fork { child, .. } = e.kind {
            let n = children.entry(me.clone()).or_default();
            name.insert(child as i64, format!("{me}.{n}"));
            *n += 1;
        }
        let Ok(Value::Object(mut map)) = serde_json::to_value(&e.kind) else {
            panic!("an event kind serialises to an object")
        };
        let kind = map["kind"].as_str().unwrap_or_default().to_string();
        // A wait the kernel restarts (a signal arrived while it blocked) is
        // recorded, but whether one happens depends on timing.
        if map
            .get("errno")
            .and_then(Value::as_str)
            .is_some_and(|e| e.starts_with("ERESTART"))
        {
            continue;
        }
        if matches!(
            kind.as_str(),
            "open" | "close" | "fd_snapshot" | "spawn" | "stall"
        ) {
            continue;
        }
        for k in ["fds", "elf", "flags"] {
            if kind == "exec" || (k == "flags" && kind == "fork") {
                map.remove(k);
            }
        }
        // The name a process gave itself is read by the ptrace backend as
        // it ends, when /proc still shows it (best effort, timing-dependent);
        // the eBPF backend does not record it (docs/trace-format.md).
        if kind == "exit" {
            map.remove("comm");
        }
        let via_pidfd = map.get("via").and_then(Value::as_str) == Some("pidfd_send_signal");
        for (k, v) in map.iter_mut() {
            let pid_key = matches!(
                k.as_str(),
                "child" | "reaped" | "from" | "target" | "sid" | "pgid"
            );
            if let (true, Some(n)) = (pid_key && !via_pidfd, v.as_i64()) {
                if let Some(p) = name.get(&n.abs()) {
                    *v = Value::String(if n < 0 { format!("-{p}") } else { p.clone() });
                }
            }
            if let Some(t) = v.as_str().map(String::from) {
                // Each run has a directory of its own.
                if let Some(at) = t.find("/tmp/.tmp") {
                    let end = (at + "/tmp/.tmp".len() + 6).min(t.len());
                    *v = Value::String(format!("{}$TMP{}", &t[..at], &t[end..]));
                }
                for prefix in ["pipe:[", "socket:["] {
                    if let Some(ino) = t.strip_prefix(prefix) {
                        let n = inodes.len();
                        let id = *inodes.entry(format!("{prefix}{ino}")).or_insert(n);
                        *v = Value::String(format!("{prefix}#{id}]"));
                    }
                }
            }
            if k == "pipe_id" {
                let n = inodes.len();
                let id = *inodes.entry(format!("pipe_id {v}")).or_insert(n);
                *v = Value::from(id);
            }
        }
        let line = Value::Object(map).to_string();
        let bucket = match kind.as_str() {
            "signal" | "wait" | "stop" | "continue" => format!("{me} {kind}s"),
            _ => me,
        };
        let lines = out.entry(bucket.clone()).or_default();
        lines.push(line);
        if bucket.ends_with('s') && bucket.contains(' ') {
            lines.sort();
            // A SIGCHLD sent while one is pending is merged into it for a
            // ptraced parent (it is queued, then delivered once); untraced,
            // one the parent ignores is dropped as it is sent, and the eBPF
            // backend records each. How many: timing.
            lines.dedup_by(|a, b| a == b && a.contains("\"SIGCHLD\""));
        }
    }
    out
}

/// Runs `bin` in an empty directory with stdin from /dev/null and no fd
/// above 2, natively and recorded by each backend; the recordings must
/// agree call for call ([`calls`]), the program must behave as untraced,
/// and the eBPF trace must verify clean.
#[cfg(feature = "ebpf")]
fn both_backends_record_the_same_calls(bin: &std::path::Path) {
    use std::os::unix::process::CommandExt;
    let run = |args: &[&str], trace: Option<&std::path::Path>| {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = match trace {
            Some(t) => {
                let mut c = forkscope();
                c.args(["record", "-q"])
                    .args(args)
                    .arg("-o")
                    .arg(t)
                    .arg("--");
                c.arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.current_dir(dir.path()).stdin(Stdio::null());
        // SAFETY: close_range is async-signal-safe and touches no memory;
        // the closure runs in the forked child before exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
                Ok(())
            });
        }
        cmd.output().unwrap()
    };
    let traces = tempfile::tempdir().unwrap();
    let (te, tp) = (traces.path().join("e.jsonl"), traces.path().join("p.jsonl"));
    let native = run(&[], None);
    let ebpf = run(&["--backend", "ebpf"], Some(&te));
    let ptrace = run(&["--backend", "ptrace"], Some(&tp));
    assert_eq!(ptrace.stdout, native.stdout, "{}", bin.display());
    let name = bin.display();
    assert_eq!(
        ebpf.status.code(),
        native.status.code(),
        "{name}: {}",
        String::from_utf8_lossy(&ebpf.stderr)
    );
    assert_eq!(ebpf.stdout, native.stdout, "{name}");
    let (_, e, _) = forkscope::trace::read_all(&te).unwrap();
    let (_, p, _) = forkscope::trace::read_all(&tp).unwrap();
    let (e, p) = (calls(&e), calls(&p));
    let mut keys: Vec<&String> = e.keys().chain(p.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut diff = String::new();
    for k in keys {
        let (le, lp) = (
            e.get(k).cloned().unwrap_or_default(),
            p.get(k).cloned().unwrap_or_default(),
        );
        if le != lp {
            diff.push_str(&format!(
                "process {k}:\n  ebpf:   {le:#?}\n  ptrace: {lp:#?}\n"
            ));
        }
    }
    assert!(diff.is_empty(), "{name}: the backends disagree:\n{diff}");
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&te)
        .output()
        .unwrap();
    assert!(
        v.status.success() && !String::from_utf8_lossy(&v.stdout).contains("divergence #"),
        "{name}: replay --verify on the eBPF trace:\n{}",
        String::from_utf8_lossy(&v.stdout)
    );
}

#[cfg(feature = "ebpf")]
fn matrix_program(family: &str) -> std::path::PathBuf {
    try_fixture_from("syscalls", family, &["-static"]).unwrap()
}

#[cfg(feature = "ebpf")]
#[test]
fn every_kill_family_call_and_the_signals_they_send_record_the_same_with_ebpf() {
    both_backends_record_the_same_calls(&matrix_program("kill"));
}

#[cfg(feature = "ebpf")]
#[test]
fn signals_stops_and_continues_record_the_same_with_ebpf() {
    for f in [
        "signals_once",
        "group_stop",
        "sigpipe",
        "wait_kill_children",
    ] {
        both_backends_record_the_same_calls(&fixture(f));
    }
}

#[cfg(feature = "ebpf")]
#[test]
fn sockets_and_every_other_fd_making_call_record_the_same_with_ebpf() {
    for f in ["socket", "newfd", "signalfd_existing"] {
        both_backends_record_the_same_calls(&matrix_program(f));
    }
    both_backends_record_the_same_calls(&fixture("new_fds"));
}

#[cfg(feature = "ebpf")]
#[test]
fn close_range_unshare_sessions_and_waitid_record_the_same_with_ebpf() {
    for f in ["close", "unshare", "session", "wait"] {
        both_backends_record_the_same_calls(&matrix_program(f));
    }
    for f in ["unshare_files", "close_range_unshare", "waitid_pidfd"] {
        both_backends_record_the_same_calls(&fixture(f));
    }
}

#[cfg(feature = "ebpf")]
#[test]
fn renames_by_prctl_pr_set_name_record_the_same_with_ebpf() {
    both_backends_record_the_same_calls(&matrix_program("prctl"));
}

/// The minimal BTF build.rs cuts for this kernel (bpftool gen
/// min_core_btf) relocates the programs as the kernel's whole BTF does:
/// the same calls, fd targets and names either way. The default start uses
/// it here (the build ran on this kernel: `minimal_btf=1`), and
/// FORKSCOPE_EBPF_FULL_BTF=1 makes libbpf search the whole kernel BTF.
#[cfg(feature = "ebpf")]
#[test]
fn the_minimal_btf_and_the_kernels_whole_btf_record_the_same_calls() {
    let traces = tempfile::tempdir().unwrap();
    for family in ["open", "newfd", "socket"] {
        let bin = matrix_program(family);
        let run = |full: bool| {
            let t = traces.path().join(format!("{family}-{full}.jsonl"));
            // Its own directory: the programs make files and sockets there.
            let cwd = tempfile::tempdir().unwrap();
            let mut c = forkscope();
            c.args(["record", "-q", "--backend", "ebpf", "-o"])
                .arg(&t)
                .arg("--")
                .arg(&bin)
                .current_dir(cwd.path())
                .stdin(Stdio::null())
                .env("FORKSCOPE_EBPF_PHASES", "1");
            if full {
                c.env("FORKSCOPE_EBPF_FULL_BTF", "1");
            }
            let out = c.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(out.status.code().is_some(), "{family}: {err}");
            let minimal = if full {
                "minimal_btf=0"
            } else {
                "minimal_btf=1"
            };
            assert!(err.contains(minimal), "{family}: {err}");
            calls(&forkscope::trace::read_all(&t).unwrap().1)
        };
        let (min, full) = (run(false), run(true));
        assert!(!min.is_empty(), "{family}: nothing recorded");
        assert_eq!(min, full, "{family}");
    }
}

/// Runs `cmd` natively and recorded with eBPF, both started as a wrapper
/// like `nohup` or a service manager would: SIGUSR2 and SIGRTMIN+5
/// blocked, SIGHUP and SIGUSR1 ignored, stdin closed. Returns both outputs.
#[cfg(feature = "ebpf")]
fn as_started_by_a_wrapper(cmd: &[&str]) -> (String, String) {
    use std::os::unix::process::CommandExt;
    fn setup(c: &mut Command) {
        // SAFETY: sigprocmask, signal and close are async-signal-safe;
        // the closure runs in the forked child before exec.
        unsafe {
            c.pre_exec(|| {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, libc::SIGUSR2);
                libc::sigaddset(&mut set, libc::SIGRTMIN() + 5);
                libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
                libc::signal(libc::SIGHUP, libc::SIG_IGN);
                libc::signal(libc::SIGUSR1, libc::SIG_IGN);
                libc::close(0);
                Ok(())
            });
        }
    }
    let mut native = Command::new(cmd[0]);
    native.args(&cmd[1..]);
    setup(&mut native);
    let native = native.output().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut traced = forkscope();
    traced
        .args(["record", "-q", "--backend", "ebpf", "-o"])
        .arg(&trace)
        .arg("--")
        .args(cmd);
    setup(&mut traced);
    let traced = traced.output().unwrap();
    assert_eq!(traced.status.code(), native.status.code());
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&trace)
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    (
        String::from_utf8_lossy(&native.stdout).into_owned(),
        String::from_utf8_lossy(&traced.stdout).into_owned(),
    )
}

#[cfg(feature = "ebpf")]
#[test]
fn with_ebpf_the_program_starts_with_the_signal_mask_ignored_signals_and_closed_stdin_forkscope_had(
) {
    let (native, traced) =
        as_started_by_a_wrapper(&["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"]);
    let blk = native
        .lines()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .expect("SigBlk line");
    assert_ne!(blk & 1 << (libc::SIGUSR2 - 1), 0, "{native}");
    assert_eq!(traced, native);
    let stdin = "[ -e /proc/$$/fd/0 ] && echo stdin open || echo stdin closed";
    let (native, traced) = as_started_by_a_wrapper(&["sh", "-c", stdin]);
    assert_eq!(native, "stdin closed\n");
    assert_eq!(traced, native);
}

/// gcc's temporary files (`/tmp/ccAbC123.s`) get new random names each run.
#[cfg(feature = "ebpf")]
fn mask_temp_names(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"/cc")
            && b.len() >= i + 10
            && b[i + 3..i + 9].iter().all(u8::is_ascii_alphanumeric)
            && b[i + 9] == b'.'
        {
            out.push_str("/ccXXXXXX.");
            i += 10;
        } else {
            let ch = s[i..].chars().next().expect("char boundary");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// One program of the strace cross-check corpus (tests/strace_crosscheck.rs)
/// run natively and recorded by both backends, from the same state each
/// time (`before`: e.g. `make clean`). The two traces must give the same
/// [`plumbing`] per process (execs with argv, forks, pipes, dups, waits,
/// exits: the tree, pids mapped to places in it), with gcc's temporary
/// names masked, and waits that reaped nothing and the lines `unstable`
/// says depend on timing left out on both sides; the program must end and
/// print as untraced (its lines in any order), and
/// `replay --verify` must be clean on the eBPF trace.
#[cfg(feature = "ebpf")]
fn corpus_agrees(
    cmd: &[&str],
    cwd: Option<&std::path::Path>,
    before: &dyn Fn(),
    unstable: &dyn Fn(&str) -> bool,
) {
    let dir = tempfile::tempdir().unwrap();
    let cwd = cwd.unwrap_or(dir.path());
    let run = |opts: Option<(&str, &std::path::Path)>| {
        before();
        let mut c = match opts {
            Some((backend, trace)) => {
                let mut c = forkscope();
                c.args(["record", "-q", "--backend", backend, "-o"])
                    .arg(trace)
                    .arg("--")
                    .args(cmd);
                c
            }
            None => {
                let mut c = Command::new(cmd[0]);
                c.args(&cmd[1..]);
                c
            }
        };
        c.current_dir(cwd).stdin(Stdio::null()).output().unwrap()
    };
    let (te, tp) = (dir.path().join("e.jsonl"), dir.path().join("p.jsonl"));
    let native = run(None);
    let ebpf = run(Some(("ebpf", &te)));
    let ptrace = run(Some(("ptrace", &tp)));
    let name = cmd.join(" ");
    for (side, out) in [("ebpf", &ebpf), ("ptrace", &ptrace)] {
        assert_eq!(
            out.status.code(),
            native.status.code(),
            "{name}: exit under {side}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // (Lines in the order they came: xargs -P2's two echos race.)
    let lines = |b: &[u8]| {
        let mut l: Vec<Vec<u8>> = b.split(|c| *c == b'\n').map(<[u8]>::to_vec).collect();
        l.sort();
        l
    };
    assert_eq!(
        lines(&ebpf.stdout),
        lines(&native.stdout),
        "{name}: stdout under ebpf"
    );
    let per_process = |t: &std::path::Path| {
        let (_, events, _) = forkscope::trace::read_all(t).unwrap();
        let mut p = plumbing(&events);
        for lines in p.values_mut() {
            // Waits that reaped nothing: how often make or xargs -P polls
            // (WNOHANG) before a child has ended is timing.
            lines.retain(|l| !unstable(l) && l != "wait - None");
            for l in lines.iter_mut() {
                *l = mask_temp_names(l);
            }
        }
        p.retain(|_, lines| !lines.is_empty());
        p
    };
    let (e, p) = (per_process(&te), per_process(&tp));
    assert!(
        e.values().flatten().any(|l| l.starts_with("exec ")),
        "{e:?}"
    );
    let mut keys: Vec<&String> = e.keys().chain(p.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut diff = String::new();
    for k in keys {
        let (le, lp) = (e.get(k), p.get(k));
        if le != lp {
            diff.push_str(&format!(
                "process {k}:\n  ebpf:   {le:#?}\n  ptrace: {lp:#?}\n"
            ));
        }
    }
    assert!(diff.is_empty(), "{name}: the backends disagree:\n{diff}");
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&te)
        .output()
        .unwrap();
    assert!(
        v.status.success() && !String::from_utf8_lossy(&v.stdout).contains("divergence #"),
        "{name}: replay --verify on the eBPF trace:\n{}",
        String::from_utf8_lossy(&v.stdout)
    );
}

#[cfg(feature = "ebpf")]
fn installed(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(feature = "ebpf")]
#[test]
fn the_strace_cross_check_corpus_records_the_same_with_ebpf_as_with_ptrace() {
    let none = |_: &str| false;
    let nothing = || {};
    let pipeline = "seq 1000 | sort -r | head -3; echo done >&2; exit 3";
    for shell in ["sh", "bash", "dash"] {
        if installed(shell) {
            corpus_agrees(&[shell, "-c", pipeline], None, &nothing, &none);
        }
    }
    let python = if std::path::Path::new("/usr/bin/python3").exists() {
        Some("/usr/bin/python3")
    } else {
        None
    };
    if let Some(py) = python {
        let run = r#"import subprocess; print(subprocess.run(["sh","-c","echo a | cat"], capture_output=True).stdout)"#;
        corpus_agrees(&[py, "-c", run], None, &nothing, &none);
        let thread = r#"import os, subprocess, threading
t = threading.Thread(target=lambda: subprocess.run(["sh", "-c", "exit 7"]))
t.start(); t.join()
os.kill(os.getpid(), 0)"#;
        corpus_agrees(&[py, "-c", thread], None, &nothing, &none);
    }
    corpus_agrees(
        &["sh", "-c", "seq 20 | xargs -P2 -n1 echo"],
        None,
        &nothing,
        &none,
    );
    corpus_agrees(
        &["timeout", "5", "sh", "-c", "sleep 0.1; exit 4"],
        None,
        &nothing,
        &none,
    );
    corpus_agrees(
        &["timeout", "-s", "TERM", "0.2", "sleep", "5"],
        None,
        &nothing,
        &none,
    );
    if installed("perl") {
        let fork_pipe = r#"pipe(R,W); if (fork) { close W; print <R>; wait } else { close R; print W "hi\n"; exit 3 }"#;
        corpus_agrees(&["perl", "-e", fork_pipe], None, &nothing, &none);
    }
}

#[cfg(feature = "ebpf")]
#[test]
fn a_parallel_make_build_records_the_same_with_ebpf_as_with_ptrace() {
    if !installed("make") || !installed("cc") {
        return;
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cproject");
    let proj = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), proj.path().join(entry.file_name())).unwrap();
    }
    let clean = || {
        let st = Command::new("make")
            .arg("clean")
            .current_dir(proj.path())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "make clean");
    };
    // make hands its real stdin to one job at a time and gives the others
    // a dead pipe (dup2(bad, 0) in the child): which job gets which is
    // timing (as in the strace cross-check).
    let stdin_juggling = |l: &str| l.starts_with("dup ") && l.contains(" 0 Dup2");
    corpus_agrees(&["make", "-j2"], Some(proj.path()), &clean, &stdin_juggling);
}

/// One `forkscope record` of `cmd` with `opts`, in its own process group
/// (killed when the test ends), stderr drained all along; ends it with
/// `stop` once `ready` says so (never, for `None`), and kills it after 60 s
/// at worst. Returns the status, stderr and the trace.
#[cfg(feature = "ebpf")]
fn guarded(
    cmd: &[&str],
    opts: &[&str],
    ready: Option<&dyn Fn(&std::path::Path) -> bool>,
    stop: &dyn Fn(&Group),
) -> (
    std::process::ExitStatus,
    String,
    forkscope::trace::Header,
    Vec<Event>,
) {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut g = Group::spawn(
        forkscope()
            .args(["--color", "never", "record", "-o"])
            .arg(&trace)
            .args(opts)
            .arg("--")
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let mut err = g.0.stderr.take().unwrap();
    let drain = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    if let Some(ready) = ready {
        while !ready(&trace) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never ready: {cmd:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        stop(&g);
    }
    let status = loop {
        if let Some(st) = g.0.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "forkscope did not end within 60 s: {cmd:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(g);
    let stderr = drain.join().unwrap();
    let (header, events, _) = forkscope::trace::read_all(&trace)
        .unwrap_or_else(|e| panic!("reading the trace: {e}\nstderr: {stderr}"));
    check_invariants(&header, &events);
    (status, stderr, header, events)
}

/// The words of a hang report with pids named by their place in the tree
/// (as [`plumbing`] names them) and pipes by their order of creation: the
/// lines from the first that names a hang to its `Fix:` line.
#[cfg(feature = "ebpf")]
fn report_by_place(stderr: &str, events: &[Event]) -> Vec<String> {
    let mut name: Vec<(String, String)> = Vec::new();
    let mut children: HashMap<i32, usize> = HashMap::new();
    let mut place: HashMap<i32, String> = HashMap::new();
    let mut pipes = 0;
    for e in events {
        match &e.kind {
            EventKind::Spawn { .. } => {
                place.insert(e.pid, "P0".into());
            }
            EventKind::Fork { child, .. } => {
                let me = place.get(&e.pid).cloned().unwrap_or_default();
                let n = children.entry(e.pid).or_default();
                place.insert(*child, format!("{me}.{n}"));
                *n += 1;
            }
            EventKind::Pipe { pipe_id, .. } => {
                name.push((format!("pipe:[{pipe_id}]"), format!("pipe#{pipes}")));
                pipes += 1;
            }
            _ => {}
        }
    }
    // Longest pids first, so that 123 is not replaced inside 1234.
    let mut pids: Vec<(&i32, &String)> = place.iter().collect();
    pids.sort_by_key(|(p, _)| std::cmp::Reverse(p.to_string().len()));
    let lines: Vec<&str> = stderr.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.contains("deadlock:") || l.contains("stuck:"))
        .unwrap_or_else(|| panic!("no hang in:\n{stderr}"));
    let last = first
        + lines[first..]
            .iter()
            .position(|l| l.contains("Fix:"))
            .unwrap_or_else(|| panic!("no fix in:\n{stderr}"));
    lines[first..=last]
        .iter()
        .map(|l| {
            let mut l = l.to_string();
            for (from, to) in &name {
                l = l.replace(from, to);
            }
            for (pid, p) in &pids {
                l = l.replace(&pid.to_string(), p);
            }
            l
        })
        .collect()
}

#[cfg(feature = "ebpf")]
const WATCH: &[&str] = &["--stall-timeout", "1", "--on-deadlock", "kill"];

/// `fixtures/hang/NAME` recorded with both backends under `--stall-timeout
/// 1 --on-deadlock kill`: the same report on stderr (pids named by their
/// place in the tree), the same `stall` event, exit 124 for both.
#[cfg(feature = "ebpf")]
fn a_hang_is_explained_and_killed_the_same_with_ebpf(name: &str) {
    let bin = fixture_from("hang", name);
    let cmd = [bin.to_str().unwrap()];
    let run = |backend: &str| {
        let mut opts = vec!["--backend", backend];
        opts.extend_from_slice(WATCH);
        guarded(&cmd, &opts, None, &|_| {})
    };
    let (e_status, e_err, _, e_events) = run("ebpf");
    let (p_status, p_err, _, p_events) = run("ptrace");
    assert_eq!(e_status.code(), Some(124), "{e_err}");
    assert_eq!(p_status.code(), Some(124), "{p_err}");
    for err in [&e_err, &p_err] {
        assert!(
            err.contains("forkscope: no traced process has made progress for"),
            "{err}"
        );
        assert!(
            err.contains("killing the traced processes (--on-deadlock kill; exit status 124)"),
            "{err}"
        );
    }
    assert_eq!(
        report_by_place(&e_err, &e_events),
        report_by_place(&p_err, &p_events)
    );
    // The same finding in the trace: kind, killed, and the fds by role.
    let stall = |events: &[Event]| -> (String, bool, Vec<(i32, String)>) {
        let stalls: Vec<_> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Stall {
                    hang, killed, fds, ..
                } => Some((
                    hang.clone(),
                    *killed,
                    fds.iter().map(|f| (f.fd, f.role.clone())).collect(),
                )),
                _ => None,
            })
            .collect();
        assert_eq!(stalls.len(), 1, "one stall event: {stalls:?}");
        stalls[0].clone()
    };
    assert_eq!(stall(&e_events), stall(&p_events));
    // Each process was killed after the finding was written.
    let at = e_events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Stall { .. }))
        .unwrap();
    assert!(
        e_events[at..]
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Exit { .. }))
            .count()
            >= 2,
        "the kills come after the finding"
    );
}

#[cfg(feature = "ebpf")]
#[test]
fn with_ebpf_a_parent_waiting_while_holding_the_write_end_is_explained_and_killed_as_with_ptrace() {
    a_hang_is_explained_and_killed_the_same_with_ebpf("parent_keeps_write_end");
}

#[cfg(feature = "ebpf")]
#[test]
fn with_ebpf_waiting_for_a_writer_before_reading_its_output_is_explained_and_killed_as_with_ptrace()
{
    a_hang_is_explained_and_killed_the_same_with_ebpf("wait_before_read");
}

#[cfg(feature = "ebpf")]
#[test]
fn with_ebpf_a_command_that_only_sleeps_is_not_reported_as_hung() {
    let mut opts = vec!["--backend", "ebpf"];
    opts.extend_from_slice(WATCH);
    let (status, err, _, events) =
        guarded(&["sh", "-c", "sleep 2.5; echo done"], &opts, None, &|_| {});
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(
        !err.contains("made progress") && !err.contains("Fix:"),
        "{err}"
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Stall { .. })));
}

/// Ctrl-C (SIGINT to the whole group, as a terminal sends it) on a program
/// hung for a while, recorded with eBPF: nothing holds the tracees, which
/// die at once, so the report is the explanation forkscope kept when the
/// tree went quiet. Run a few times: each time forkscope dies of SIGINT as
/// the program did, both processes got their SIGINT, and a report, when one
/// comes, names the deadlock as ptrace's does; it must come at least once
/// (how often is printed).
#[cfg(feature = "ebpf")]
#[test]
fn with_ebpf_ctrl_c_on_a_program_hung_for_a_while_explains_the_hang_it_kept() {
    let bin = fixture_from("hang", "parent_keeps_write_end");
    let cmd = [bin.to_str().unwrap()];
    let mut reports = 0;
    let tries = 4;
    for _ in 0..tries {
        let hung_a_while = |trace: &std::path::Path| {
            if !hung_within(trace, 1) {
                return false;
            }
            // Quiet for longer than forkscope waits before keeping an
            // explanation (1 s), with room for a loaded machine.
            std::thread::sleep(std::time::Duration::from_millis(2500));
            true
        };
        let (status, err, header, events) = guarded(
            &cmd,
            &["--backend", "ebpf", "-q"],
            Some(&hung_a_while),
            &|g| {
                // SAFETY: killpg takes integers only.
                unsafe {
                    libc::killpg(g.pid(), libc::SIGINT);
                }
            },
        );
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGINT),
            "{err}"
        );
        let sigint = events
            .iter()
            .filter(
                |e| matches!(&e.kind, EventKind::Signal { signal, .. } if signal.0 == libc::SIGINT),
            )
            .count();
        assert_eq!(sigint, 2, "both processes got their SIGINT, once");
        if err.contains("SIGINT arrived while the traced processes were stuck") {
            reports += 1;
            let root = header.root_pid;
            assert!(
                err.contains(&format!(
                    "{root} (parent_keeps_write_end) fd 4, which is blocked in wait4 for"
                )),
                "{err}"
            );
            let stall = events
                .iter()
                .position(|e| matches!(&e.kind, EventKind::Stall { trigger, killed: false, .. } if trigger == "signal"))
                .expect("the report is in the trace");
            let first_sigint = events
                .iter()
                .position(|e| matches!(&e.kind, EventKind::Signal { signal, .. } if signal.0 == libc::SIGINT))
                .unwrap();
            assert!(
                stall < first_sigint,
                "the state it tells is the one before the signal"
            );
        } else {
            assert!(!err.contains("Fix:"), "{err}");
        }
    }
    eprintln!("Ctrl-C reports: {reports} of {tries}");
    assert!(reports > 0, "no Ctrl-C report in {tries} tries");
}

/// A hung pair beside a process that keeps working (in the background,
/// where SIGINT is ignored): the tree is never quiet, so with eBPF no
/// explanation is kept and Ctrl-C reports nothing (with ptrace, which
/// holds the tracees at the signal, it would).
#[cfg(feature = "ebpf")]
#[test]
fn with_ebpf_ctrl_c_reports_nothing_while_another_traced_process_keeps_moving() {
    let bin = fixture_from("hang", "parent_keeps_write_end");
    // The mover runs in the background, where sh ignores SIGINT: it ends
    // by itself after a hundred rounds.
    let script = format!(
        "(i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo x >/dev/null; sleep 0.05; done) & exec {}",
        bin.to_str().unwrap()
    );
    let hung_a_while = |trace: &std::path::Path| {
        let (_, events, _) = match forkscope::trace::read_all(trace) {
            Ok(t) => t,
            Err(_) => return false,
        };
        let started = events.iter().any(|e| {
            matches!(&e.kind, EventKind::Exec { argv, ok: true, .. }
                if argv.first().is_some_and(|a| a.to_string().ends_with("parent_keeps_write_end")))
        });
        if started {
            std::thread::sleep(std::time::Duration::from_millis(2500));
        }
        started
    };
    let (status, err, _, _) = guarded(
        &["sh", "-c", &script],
        &["--backend", "ebpf", "-q"],
        Some(&hung_a_while),
        &|g| {
            // SAFETY: killpg takes integers only.
            unsafe {
                libc::killpg(g.pid(), libc::SIGINT);
            }
        },
    );
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGINT),
        "{err}"
    );
    assert!(!err.contains("Fix:"), "{err}");
}

/// `forkscope record -p PID` of `target` with `backend`, ended by SIGINT to
/// forkscope once the trace shows a pipe and execs of cat and sleep (a
/// whole iteration of the loop, whichever backend is slower): its status,
/// stderr and trace (checked: invariants, `replay --verify` clean).
#[cfg(feature = "ebpf")]
fn attach_and_stop(target: i32, backend: &str) -> (std::process::ExitStatus, String, Vec<Event>) {
    let ready = |trace: &std::path::Path| {
        forkscope::trace::read_all(trace).is_ok_and(|(_, events, _)| {
            events
                .iter()
                .any(|e| matches!(e.kind, EventKind::Pipe { .. }))
                && ["cat", "sleep"].iter().all(|prog| {
                    events.iter().any(|e| {
                        matches!(&e.kind, EventKind::Exec { argv, ok: true, .. }
                            if argv.first().is_some_and(|a| a.to_string() == *prog))
                    })
                })
        })
    };
    let pid = target.to_string();
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut g = Group::spawn(
        forkscope()
            .args(["--color", "never", "record", "--backend", backend, "-o"])
            .arg(&trace)
            .args(["-p", &pid])
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let start = std::time::Instant::now();
    while !ready(&trace) {
        assert!(
            start.elapsed().as_secs() < 30,
            "the trace never showed the loop"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // SAFETY: kill takes integers only.
    unsafe {
        libc::kill(g.pid(), libc::SIGINT);
    }
    let status = g.0.wait().unwrap();
    let mut err = String::new();
    use std::io::Read;
    g.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let (header, events, _) = forkscope::trace::read_all(&trace).unwrap();
    assert_eq!(header.root_pid, target);
    // As check_invariants, with every attached process known from its spawn.
    let mut known: std::collections::HashSet<i32> = std::collections::HashSet::new();
    let mut last_ts = 0;
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64);
        assert!(e.ts_ns >= last_ts, "time went back at seq {}", e.seq);
        last_ts = e.ts_ns;
        match &e.kind {
            EventKind::Spawn { threads, .. } => {
                known.insert(e.pid);
                known.extend(threads);
            }
            EventKind::Fork { child, .. } => {
                known.insert(*child);
            }
            _ => {}
        }
        assert!(
            known.contains(&e.pid),
            "seq {}: {e:?} before its fork or spawn",
            e.seq
        );
    }
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&trace)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "replay --verify on the {backend} -p trace:\n{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    (status, err, events)
}

/// What a `-p` trace of the counting loop shows: each process's kind of
/// work (the programs exec'd, pipes made, forks), the first spawn.
#[cfg(feature = "ebpf")]
fn loop_shape(events: &[Event]) -> (bool, std::collections::BTreeSet<String>) {
    let attached = matches!(&events[0].kind, EventKind::Spawn { attached: true, .. });
    let mut kinds = std::collections::BTreeSet::new();
    for e in events {
        match &e.kind {
            EventKind::Exec { argv, ok: true, .. } => {
                kinds.insert(format!("exec {}", argv[0]));
            }
            EventKind::Pipe { .. } => {
                kinds.insert("pipe".into());
            }
            EventKind::Fork { .. } => {
                kinds.insert("fork".into());
            }
            EventKind::Dup { .. } => {
                kinds.insert("dup".into());
            }
            _ => {}
        }
    }
    (attached, kinds)
}

/// Attaching with eBPF to a running shell loop that forks, pipes and
/// execs: the trace starts with the loop's `spawn` (attached) and records
/// what it does next, as ptrace's `-p` does; `replay --verify` is clean;
/// SIGINT to forkscope ends the recording and leaves the loop running,
/// never stopped, its output intact.
#[cfg(feature = "ebpf")]
#[test]
fn attaching_with_ebpf_records_a_running_loop_and_leaves_it_running_unharmed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("count");
    let script = format!(
        "i=0; while :; do i=$((i+1)); echo $i | cat >>{}; sleep 0.05; done",
        out.display()
    );
    let target = Group::spawn(
        Command::new("sh")
            .args(["-c", &script])
            .stdout(Stdio::null()),
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (status, err, events) = attach_and_stop(target.pid(), "ebpf");
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("with eBPF, never stopping them"), "{err}");
    assert_eq!(events[0].pid, target.pid());
    let (_, p_err, p_events) = attach_and_stop(target.pid(), "ptrace");
    let shape = loop_shape(&events);
    assert!(shape.0, "the first spawn is marked attached");
    assert!(
        ["fork", "pipe", "exec cat", "exec sleep"]
            .iter()
            .all(|k| shape.1.contains(*k)),
        "{shape:?}"
    );
    assert_eq!(shape, loop_shape(&p_events), "{p_err}");
    // The loop runs on, untraced and never stopped: it keeps counting,
    // one line per number, none lost or doubled.
    let count = |s: &str| s.lines().count();
    let before = count(&std::fs::read_to_string(&out).unwrap());
    std::thread::sleep(std::time::Duration::from_millis(600));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(count(&text) > before, "the loop keeps running");
    for (i, l) in text.lines().enumerate() {
        assert_eq!(
            l,
            (i + 1).to_string(),
            "line {} of the loop's output",
            i + 1
        );
    }
    let st = std::fs::read_to_string(format!("/proc/{}/status", target.pid())).unwrap();
    assert!(
        st.contains("TracerPid:\t0") && !st.contains("State:\tZ"),
        "{st}"
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

/// The resident probe (`forkscope ebpf load`) of these tests: pinned under
/// a bpffs directory of their own (`FORKSCOPE_EBPF_RESIDENT_DIR`), not the
/// machine's /sys/fs/bpf, so that the other tests, running meanwhile, never
/// see it and load their own programs as always. The resident tests run
/// one at a time (an flock on a file of theirs: each loads 59 links).
/// Dropping it unloads the probe and removes the directory, even when the
/// test failed.
#[cfg(feature = "ebpf")]
struct ResidentProbe {
    dir: std::path::PathBuf,
    _serial: std::fs::File,
}

#[cfg(feature = "ebpf")]
impl ResidentProbe {
    /// Loads one, after the resident test before has ended.
    fn load() -> ResidentProbe {
        use std::os::fd::AsRawFd;
        let serial = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(std::env::temp_dir().join("forkscope-resident-tests.lock"))
            .unwrap();
        // SAFETY: flock(2) on an open file.
        while unsafe { libc::flock(serial.as_raw_fd(), libc::LOCK_EX) } != 0 {}
        // bpffs refuses names with a dot; not `forkscope-*`, which `ebpf
        // status` would list.
        let dir = std::path::PathBuf::from(format!("/sys/fs/bpf/fstest_{}", std::process::id()));
        let probe = ResidentProbe {
            dir,
            _serial: serial,
        };
        let out = probe.forkscope().args(["ebpf", "load"]).output().unwrap();
        assert!(
            out.status.success(),
            "ebpf load: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        probe
    }

    /// forkscope, told to find the resident probe here.
    fn forkscope(&self) -> Command {
        let mut c = forkscope();
        c.env("FORKSCOPE_EBPF_RESIDENT_DIR", &self.dir)
            .env("FORKSCOPE_EBPF_PHASES", "1");
        c
    }

    /// `forkscope record --backend ebpf -o TRACE -- CMD` with `env` set
    /// ([`PRIVATE`]: without the resident probe); `stdin` given to the
    /// command.
    fn record(&self, cmd: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> ResidentRun {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("t.jsonl");
        let mut c = self.forkscope();
        c.args(["record", "-q", "--backend", "ebpf", "-o"])
            .arg(&trace)
            .arg("--")
            .args(cmd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c.envs(env.iter().copied());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        ResidentRun::finish(child.wait_with_output().unwrap(), trace, dir)
    }
}

#[cfg(feature = "ebpf")]
impl Drop for ResidentProbe {
    fn drop(&mut self) {
        let _ = self.forkscope().args(["ebpf", "unload", "--all"]).output();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The environment of a recording that loads programs of its own though
/// the resident probe is free.
#[cfg(feature = "ebpf")]
const PRIVATE: &[(&str, &str)] = &[("FORKSCOPE_EBPF_RESIDENT", "0")];

/// A recording with the resident probe or without: its output, its phases
/// line and its trace (invariants checked, `replay --verify` clean).
#[cfg(feature = "ebpf")]
struct ResidentRun {
    out: std::process::Output,
    phases: String,
    events: Vec<Event>,
    _dir: tempfile::TempDir,
}

#[cfg(feature = "ebpf")]
impl ResidentRun {
    fn finish(
        out: std::process::Output,
        trace: std::path::PathBuf,
        dir: tempfile::TempDir,
    ) -> ResidentRun {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let phases = err
            .lines()
            .find(|l| l.starts_with("ebpf-phases-ms"))
            .unwrap_or_else(|| panic!("no phases line: {err}"))
            .to_string();
        let (header, events, _) = forkscope::trace::read_all(&trace).unwrap();
        common::check_invariants(&header, &events);
        let v = forkscope()
            .args(["replay", "--verify"])
            .arg(&trace)
            .output()
            .unwrap();
        assert!(
            v.status.success() && !String::from_utf8_lossy(&v.stdout).contains("divergence #"),
            "replay --verify:\n{}",
            String::from_utf8_lossy(&v.stdout)
        );
        ResidentRun {
            out,
            phases,
            events,
            _dir: dir,
        }
    }

    /// Did it use the resident probe (`resident=1` on its phases line)?
    fn resident(&self) -> bool {
        self.phases.split_whitespace().any(|kv| kv == "resident=1")
    }
}

/// The pids a trace shows: its processes and threads.
#[cfg(feature = "ebpf")]
fn pids_of(events: &[Event]) -> std::collections::HashSet<i32> {
    let mut p: std::collections::HashSet<i32> = events.iter().map(|e| e.pid).collect();
    for e in events {
        if let EventKind::Fork { child, .. } = e.kind {
            p.insert(child);
        }
    }
    p
}

#[cfg(feature = "ebpf")]
#[test]
fn with_the_resident_probe_the_cross_check_programs_record_the_same_as_with_programs_of_their_own()
{
    let probe = ResidentProbe::load();
    // (command, compared call by call rather than by plumbing)
    let mut cmds: Vec<(Vec<String>, bool)> = Vec::new();
    let sh = |c: &str| (vec!["sh".to_string(), "-c".into(), c.into()], false);
    cmds.push(sh("seq 1000 | sort -r | head -3; echo done >&2; exit 3"));
    cmds.push(sh("seq 20 | xargs -P2 -n1 echo"));
    if installed("perl") {
        let fork_pipe = r#"pipe(R,W); if (fork) { close W; print <R>; wait } else { close R; print W "hi\n"; exit 3 }"#;
        cmds.push((vec!["perl".into(), "-e".into(), fork_pipe.into()], false));
    }
    // Syscall matrix programs: their calls, one by one.
    for family in ["kill", "dup", "pipe", "newfd"] {
        let p = matrix_program(family);
        cmds.push((vec![p.display().to_string()], true));
    }
    // What is fixed at load, asked otherwise by a recording, makes it load
    // programs of its own.
    let echo = ["sh", "-c", "echo a | cat"];
    let other_ring = probe.record(&echo, &[("FORKSCOPE_EBPF_RING_BYTES", "65536")], b"");
    assert!(
        other_ring.phases.contains("resident_why=ring_size"),
        "{}",
        other_ring.phases
    );
    let full_btf = probe.record(&echo, &[("FORKSCOPE_EBPF_FULL_BTF", "1")], b"");
    assert!(
        full_btf.phases.contains("resident_why=full_btf"),
        "{}",
        full_btf.phases
    );
    assert_eq!(plumbing(&other_ring.events), plumbing(&full_btf.events));
    for (cmd, by_call) in &cmds {
        let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let shape = |events: &[Event]| {
            let mut p = if *by_call {
                calls(events)
            } else {
                plumbing(events)
            };
            for lines in p.values_mut() {
                // Waits that reaped nothing: how often xargs -P polls is
                // timing.
                lines.retain(|l| l != "wait - None");
            }
            p.retain(|_, l| !l.is_empty());
            p
        };
        let private = probe.record(&cmd, PRIVATE, b"");
        assert!(
            !private.resident() && private.phases.contains("resident_why=off"),
            "{}",
            private.phases
        );
        // Twice: the second claims what the first left.
        for _ in 0..2 {
            let resident = probe.record(&cmd, &[], b"");
            assert!(resident.resident(), "{cmd:?}: {}", resident.phases);
            assert_eq!(resident.out.status.code(), private.out.status.code());
            let sorted = |b: &[u8]| {
                let mut l: Vec<Vec<u8>> = b.split(|c| *c == b'\n').map(<[u8]>::to_vec).collect();
                l.sort();
                l
            };
            assert_eq!(sorted(&resident.out.stdout), sorted(&private.out.stdout));
            assert_eq!(
                shape(&resident.events),
                shape(&private.events),
                "{cmd:?}: the resident probe's trace differs"
            );
        }
    }
}

/// A recording that holds the resident probe while a second one starts:
/// the second loads programs of its own (`resident_why=busy`), and each
/// trace shows its own program, as a recording alone shows it.
#[cfg(feature = "ebpf")]
#[test]
fn a_second_recording_while_one_holds_the_resident_probe_loads_its_own_and_both_traces_are_right() {
    let probe = ResidentProbe::load();
    let first_cmd = ["sh", "-c", "read x; echo $x | cat"];
    let second_cmd = ["sh", "-c", "echo b | tr b c"];
    let alone_first = probe.record(&first_cmd, PRIVATE, b"a\n");
    let alone_second = probe.record(&second_cmd, PRIVATE, b"");
    // The first waits on its stdin until the second has ended.
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut first = probe.forkscope();
    first
        .args(["record", "-q", "--backend", "ebpf", "-o"])
        .arg(&trace)
        .arg("--")
        .args(first_cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut first = Group::spawn(&mut first);
    // Its spawn event is written once it holds the resident probe.
    let start = std::time::Instant::now();
    while !forkscope::trace::read_all(&trace).is_ok_and(|(_, e, _)| !e.is_empty()) {
        assert!(
            start.elapsed().as_secs() < 30,
            "the first recording never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = probe.record(&second_cmd, &[], b"");
    {
        use std::io::Write;
        let mut stdin = first.0.stdin.take().unwrap();
        stdin.write_all(b"a\n").unwrap();
    }
    let mut out = std::process::Output {
        status: first.0.wait().unwrap(),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    use std::io::Read;
    first
        .0
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut out.stdout)
        .unwrap();
    first
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut out.stderr)
        .unwrap();
    let first = ResidentRun::finish(out, trace, dir);
    assert!(first.resident(), "{}", first.phases);
    assert!(
        !second.resident() && second.phases.contains("resident_why=busy"),
        "{}",
        second.phases
    );
    assert_eq!(first.out.stdout, b"a\n");
    assert_eq!(second.out.stdout, b"c\n");
    assert_eq!(plumbing(&first.events), plumbing(&alone_first.events));
    assert_eq!(plumbing(&second.events), plumbing(&alone_second.events));
    assert!(pids_of(&first.events).is_disjoint(&pids_of(&second.events)));
}

/// A recording killed with SIGKILL leaves its program running, with its
/// tasks in the resident probe's pid set: the next recording empties the
/// set and drops what they left in the ring buffer, so that its trace
/// shows only its own program; and at its end the set is empty, though
/// the killed recording's program still runs and forks.
#[cfg(feature = "ebpf")]
#[test]
fn a_recording_killed_with_sigkill_leaves_no_task_that_shows_up_in_the_next_recordings_trace() {
    let probe = ResidentProbe::load();
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut killed = probe.forkscope();
    killed
        .args(["record", "-q", "--backend", "ebpf", "-o"])
        .arg(&trace)
        .args([
            "--",
            "sh",
            "-c",
            "while :; do echo x | cat >/dev/null; sleep 0.01; done",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Its process group holds the loop too: dropped, it is killed.
    let mut killed = Group::spawn(&mut killed);
    let start = std::time::Instant::now();
    while !forkscope::trace::read_all(&trace).is_ok_and(|(_, e, _)| {
        e.iter().any(|e| {
            matches!(&e.kind, EventKind::Exec { argv, .. }
            if argv.first().is_some_and(|a| a.to_string() == "sleep"))
        })
    }) {
        assert!(start.elapsed().as_secs() < 30, "the loop never showed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let (header, _, _) = forkscope::trace::read_all(&trace).unwrap();
    let loop_pid = header.root_pid;
    let status = probe.forkscope().args(["ebpf", "status"]).output().unwrap();
    let said = String::from_utf8_lossy(&status.stdout);
    assert!(said.contains("in use by a recording"), "{said}");
    // SAFETY: kill takes integers only.
    unsafe {
        libc::kill(killed.pid(), libc::SIGKILL);
    }
    // Reaped (so that its lock is gone), the loop still running.
    killed.0.wait().unwrap();
    assert!(std::path::Path::new(&format!("/proc/{loop_pid}")).exists());
    let cmd = ["sh", "-c", "echo b | tr b c"];
    let next = probe.record(&cmd, &[], b"");
    assert!(next.resident(), "{}", next.phases);
    assert_eq!(next.out.stdout, b"c\n");
    let alone = probe.record(&cmd, PRIVATE, b"");
    assert_eq!(plumbing(&next.events), plumbing(&alone.events));
    assert!(!pids_of(&next.events).contains(&loop_pid));
    // The loop still runs; nothing of it is in the pid set.
    assert!(std::path::Path::new(&format!("/proc/{loop_pid}")).exists());
    let dump = Command::new("bpftool")
        .args(["-j", "map", "dump", "pinned"])
        .arg(pinned_dir(&probe).join("map_pids"))
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let entries: serde_json::Value = serde_json::from_slice(&dump.stdout).unwrap();
    assert_eq!(entries.as_array().map(Vec::len), Some(0), "{entries}");
    drop(killed);
}

/// The resident probe's pin directory (the one `forkscope-*` directory
/// under the tests' bpffs directory).
#[cfg(feature = "ebpf")]
fn pinned_dir(probe: &ResidentProbe) -> std::path::PathBuf {
    let dirs: Vec<std::path::PathBuf> = std::fs::read_dir(&probe.dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

/// `forkscope ebpf unload` removes every pin and returns once the kernel
/// has detached the links: bpftool shows none of them any more.
#[cfg(feature = "ebpf")]
#[test]
fn unloading_the_resident_probe_removes_its_pins_and_detaches_every_link() {
    let probe = ResidentProbe::load();
    let pinned = pinned_dir(&probe);
    let status = probe.forkscope().args(["ebpf", "status"]).output().unwrap();
    let said = String::from_utf8_lossy(&status.stdout);
    assert!(
        said.contains("this build") && said.contains("free"),
        "{said}"
    );
    let mut ids = Vec::new();
    for e in std::fs::read_dir(&pinned).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("link_") {
            let show = Command::new("bpftool")
                .args(["-j", "link", "show", "pinned"])
                .arg(e.path())
                .output()
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
            ids.push(v["id"].as_u64().unwrap());
        }
    }
    assert!(ids.len() > 20, "{ids:?}");
    let out = probe.forkscope().args(["ebpf", "unload"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!pinned.exists());
    assert_eq!(std::fs::read_dir(&probe.dir).unwrap().count(), 0);
    let list = Command::new("bpftool")
        .args(["-j", "link", "list"])
        .output()
        .unwrap();
    let links: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let left: Vec<u64> = links
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["id"].as_u64())
        .filter(|id| ids.contains(id))
        .collect();
    assert!(left.is_empty(), "links still attached: {left:?}");
    let status = probe.forkscope().args(["ebpf", "status"]).output().unwrap();
    assert!(String::from_utf8_lossy(&status.stdout).starts_with("no resident eBPF probe"));
}
