//! The per-syscall test matrix, in strace's style: one small C program per
//! recorded syscall family (`fixtures/syscalls/FAMILY.c`) makes the
//! successful calls, the calls the kernel refuses (EBADF, EINVAL, EFAULT,
//! EMFILE, ...), unknown flag bits, NULL and unreadable pointers, the
//! largest and smallest fds; it is traced with `--snapshots exec,exit`, and
//! its events, normalised (see [`normalise`]), must equal
//! `fixtures/syscalls/FAMILY.expected` (`FAMILY.m32.expected` for the `-m32`
//! build). Each recording must also verify clean (`replay --verify`: no
//! divergence at any exec or exit snapshot; the anomalies the model reports,
//! e.g. for a deliberate close of a bad fd, are part of the expected file),
//! and the program's output and exit status must equal its untraced run's.
//!
//! `FORKSCOPE_BLESS=1 cargo test --test syscall_matrix` rewrites the
//! expected files from what the recorder records today. They are the truth
//! only after review: read every line against the program before
//! committing. A case whose expected file states the truth that today's
//! recorder gets wrong is listed in [`KNOWN_FAILING`] (bless leaves its file
//! alone); such a case must keep failing, so that a fix removes its entry.
//!
//! A coverage check ([`every_traced_syscall_and_fcntl_command_has_a_program`])
//! fails when a syscall in the seccomp filter, or an fcntl command it stops
//! on, has no program here exercising it.

mod common;

use common::*;
use forkscope::record::sysno::{self, Sys};
use forkscope::trace::{read_all, Event, EventKind};
use serde_json::Value;
use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Cases (`FAMILY` or `FAMILY.m32`) whose expected file is the truth and
/// today's recorder gets wrong, with the defect in one line. The case must
/// fail (its events differ from the file, or --verify diverges); when it
/// passes, the test fails until the entry is removed.
const KNOWN_FAILING: &[(&str, &str)] = &[];

/// The program that exercises each syscall the recorder decodes, by the
/// kernel's name for it.
const PROGRAM_OF: &[(&str, &str)] = &[
    ("execve", "exec"),
    ("execveat", "exec"),
    ("pipe", "pipe"),
    ("pipe2", "pipe"),
    ("dup", "dup"),
    ("dup2", "dup"),
    ("dup3", "dup"),
    ("fcntl", "fcntl"),
    ("open", "open"),
    ("openat", "open"),
    ("openat2", "open"),
    ("creat", "open"),
    ("socket", "socket"),
    ("socketpair", "socket"),
    ("accept", "socket"),
    ("accept4", "socket"),
    ("close", "close"),
    ("close_range", "close"),
    ("mknod", "mknod"),
    ("mknodat", "mknod"),
    ("wait4", "wait"),
    ("waitpid", "wait"),
    ("waitid", "wait"),
    ("kill", "kill"),
    ("tkill", "kill"),
    ("tgkill", "kill"),
    ("rt_sigqueueinfo", "kill"),
    ("rt_tgsigqueueinfo", "kill"),
    ("pidfd_send_signal", "kill"),
    ("setsid", "session"),
    ("setpgid", "session"),
    ("prctl", "prctl"),
    ("ioctl", "ioctl_fd"),
    ("unshare", "unshare"),
    ("fork", "fork"),
    ("vfork", "fork"),
    ("clone", "fork"),
    ("clone3", "fork"),
];

/// Traced syscalls no matrix program can make, and why. Keep it short.
const NOT_RUN_HERE: &[(&str, &str)] = &[(
    "ptrace",
    "it cannot behave the same traced and untraced (a process has one tracer); \
     tests/trust_troubles.rs traces PTRACE_TRACEME",
)];

/// The program that exercises each fcntl command the filter stops on, and
/// a line its expected file must hold.
const FCNTL_PROGRAM_OF: &[(u32, &str, &str, &str)] = &[
    (
        libc::F_DUPFD as u32,
        "F_DUPFD,",
        "fcntl",
        "P0 dup new_fd=3 old_fd=0 via=\"fcntl\"",
    ),
    (
        libc::F_DUPFD_CLOEXEC as u32,
        "F_DUPFD_CLOEXEC,",
        "fcntl",
        "P0 dup cloexec=true new_fd=5 old_fd=0 via=\"fcntl\"",
    ),
    (
        libc::F_SETFD as u32,
        "F_SETFD,",
        "fcntl",
        "P0 set_cloexec cloexec=true fd=3",
    ),
];

fn bless() -> bool {
    std::env::var_os("FORKSCOPE_BLESS").is_some_and(|v| v == "1")
}

fn dir() -> PathBuf {
    repo().join("fixtures/syscalls")
}

/// Runs `cmd` with no fd above 2 open (whatever the test harness holds), in
/// `cwd`, stdin from /dev/null, and collects its output.
fn run_clean(mut cmd: Command, cwd: &Path) -> Output {
    cmd.current_dir(cwd).stdin(Stdio::null());
    // SAFETY: close_range is async-signal-safe and touches no memory; the
    // closure runs in the forked child before exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            Ok(())
        });
    }
    cmd.output().expect("running a matrix program")
}

/// Numbers the pids, pipes and sockets of a trace in order of appearance.
#[derive(Default)]
struct Names {
    pids: HashMap<i64, usize>,
    inodes: HashMap<(String, u64), usize>,
}

impl Names {
    fn pid(&mut self, p: i64) -> String {
        let n = self.pids.len();
        format!("P{}", self.pids.entry(p).or_insert(n))
    }

    fn inode(&mut self, kind: &str, i: u64) -> usize {
        let n = self.inodes.keys().filter(|(k, _)| k == kind).count();
        *self.inodes.entry((kind.to_string(), i)).or_insert(n)
    }

    /// A path or `/proc` target: the temp dir, the binary, pty numbers and
    /// inodes replaced by stable names.
    fn target(&mut self, s: &str, tmp: &str, bin: &str) -> String {
        for kind in ["pipe", "socket"] {
            let prefix = format!("{kind}:[");
            if let Some(n) = s
                .strip_prefix(&prefix)
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
            {
                return format!("{kind}:[#{}]", self.inode(kind, n));
            }
        }
        if let Some(rest) = s.strip_prefix("/dev/pts/") {
            if rest.chars().all(|c| c.is_ascii_digit()) {
                return "/dev/pts/N".into();
            }
        }
        s.replace(bin, "$BIN").replace(tmp, "$TMP")
    }
}

/// Keys whose integer values are pids (or -pgid) when they name a traced task.
const PID_KEYS: &[&str] = &[
    "child",
    "reaped",
    "from",
    "target",
    "sid",
    "pgid",
    "former_tid",
    "parent",
    "threads",
    "same_as_pid",
];

/// One line per event: `P0 kind key=value ...`, keys sorted, without seq
/// and ts_ns; pids as P0, P1, ... in order of appearance (also in fields
/// naming pids), pipe and socket inodes as #0, #1, ..., the temp dir as
/// $TMP, the program as $BIN, ELF interpreters left out; fd tables as
/// `fd=target` lists.
fn normalise(events: &[Event], tmp: &str, bin: &str) -> Vec<String> {
    let mut names = Names::default();
    let mut known: Vec<i64> = Vec::new();
    for e in events {
        known.push(e.pid as i64);
        if let EventKind::Fork { child, .. } = e.kind {
            known.push(child as i64);
        }
    }
    let mut lines = Vec::new();
    for e in events {
        // A wait the kernel will restart (ERESTART*: a signal arrived while it
        // blocked) is recorded, but whether one happens depends on timing.
        if let EventKind::Wait {
            errno: Some(errno), ..
        } = &e.kind
        {
            if errno.starts_with("ERESTART") {
                continue;
            }
        }
        let who = names.pid(e.pid as i64);
        let Ok(Value::Object(mut map)) = serde_json::to_value(&e.kind) else {
            panic!("an event kind serialises to an object")
        };
        let kind = map
            .remove("kind")
            .and_then(|k| k.as_str().map(String::from));
        // An exit's comm is read as the task ends, when /proc still shows it
        // (its parent has not reaped it yet): whether it is there depends on
        // timing, and it is no syscall's decoding (tests/names.rs checks it).
        map.remove("comm");
        let mut line = format!("{who} {}", kind.unwrap_or_default());
        let mut keys: Vec<String> = map.keys().cloned().collect();
        keys.sort();
        for k in keys {
            let v = map[&k].clone();
            let shown = match (k.as_str(), v) {
                ("elf", Value::Object(mut o)) => {
                    o.remove("interp");
                    Value::Object(o).to_string()
                }
                ("fds", Value::Array(a)) if a.first().is_some_and(Value::is_object) => {
                    let parts: Vec<String> = a
                        .iter()
                        .map(|en| {
                            let fd = en["fd"].as_i64().unwrap_or(-1);
                            let t = names.target(en["target"].as_str().unwrap_or("?"), tmp, bin);
                            let mut s = format!("{fd}={t}");
                            if en["cloexec"] == Value::Bool(true) {
                                s.push_str(" cloexec");
                            }
                            if let Some(f) = en["flags"].as_str() {
                                s.push_str(&format!(" {f}"));
                            }
                            if let Some(n) = en["same_as"].as_i64() {
                                s.push_str(&format!(" same_as={n}"));
                            }
                            s
                        })
                        .collect();
                    format!("[{}]", parts.join(", "))
                }
                ("pipe_id", Value::Number(n)) => {
                    format!("#{}", names.inode("pipe", n.as_u64().unwrap_or(0)))
                }
                ("target" | "path" | "script" | "kernel_name", Value::String(s)) => {
                    Value::String(names.target(&s, tmp, bin)).to_string()
                }
                (k, Value::Number(n)) if PID_KEYS.contains(&k) => {
                    let v = n.as_i64().unwrap_or(0);
                    if v != 0 && known.contains(&v.abs()) && !(kind_is(e, "kill") && via_pidfd(e)) {
                        let p = names.pid(v.abs());
                        if v < 0 {
                            format!("-{p}")
                        } else {
                            p
                        }
                    } else {
                        v.to_string()
                    }
                }
                (k, Value::Array(a)) if PID_KEYS.contains(&k) => {
                    let v: Vec<String> = a
                        .iter()
                        .map(|x| names.pid(x.as_i64().unwrap_or(0)))
                        .collect();
                    format!("[{}]", v.join(", "))
                }
                ("argv", Value::Array(a)) => {
                    let v: Vec<Value> = a
                        .into_iter()
                        .map(|x| match x {
                            Value::String(s) => Value::String(names.target(&s, tmp, bin)),
                            other => other,
                        })
                        .collect();
                    Value::Array(v).to_string()
                }
                (_, v) => v.to_string(),
            };
            line.push_str(&format!(" {k}={shown}"));
        }
        lines.push(line);
    }
    lines
}

fn kind_is(e: &Event, k: &str) -> bool {
    e.kind.name() == k
}

fn via_pidfd(e: &Event) -> bool {
    matches!(
        e.kind,
        EventKind::Kill {
            via: forkscope::trace::KillVia::PidfdSendSignal,
            ..
        }
    )
}

/// `anomaly seq N: pid P: text` with the pid named as in the events.
fn normalise_anomaly(line: &str, events: &[Event], tmp: &str, bin: &str) -> String {
    // The names must match the event lines': number the pids the same way.
    let mut names = Names::default();
    for e in events {
        names.pid(e.pid as i64);
        if let EventKind::Fork { child, .. } = e.kind {
            names.pid(child as i64);
        }
    }
    let mut out = Vec::new();
    for w in line.split(' ') {
        let digits = w.trim_end_matches([':', ',', ')']);
        let tail = &w[digits.len()..];
        match digits.parse::<i64>() {
            Ok(n) if names.pids.contains_key(&n) => {
                out.push(format!("{}{tail}", names.pid(n)));
            }
            _ => out.push(names.target(w, tmp, bin)),
        }
    }
    out.join(" ")
}

/// Records one build of a program and compares it with its expected file.
/// `Err` says what differs.
fn run_case(case: &str, bin: &Path) -> Result<(), String> {
    let plain_dir = tempfile::tempdir().unwrap();
    let traced_dir = tempfile::tempdir().unwrap();
    let trace_dir = tempfile::tempdir().unwrap();
    let trace = trace_dir.path().join("t.jsonl");
    let plain = run_clean(Command::new(bin), plain_dir.path());
    let mut rec = forkscope();
    rec.args(["record", "-q", "--snapshots", "exec,exit", "-o"])
        .arg(&trace)
        .arg("--")
        .arg(bin);
    let traced = run_clean(rec, traced_dir.path());
    let mut problems = Vec::new();
    if plain.status.code() != traced.status.code() {
        problems.push(format!(
            "exit status: untraced {:?}, traced {:?} (stderr: {})",
            plain.status,
            traced.status,
            String::from_utf8_lossy(&traced.stderr)
        ));
    }
    if plain.stdout != traced.stdout {
        problems.push(format!(
            "stdout differs:\nuntraced:\n{}\ntraced:\n{}",
            String::from_utf8_lossy(&plain.stdout),
            String::from_utf8_lossy(&traced.stdout)
        ));
    }
    if plain.stderr != traced.stderr {
        problems.push(format!(
            "stderr differs:\nuntraced:\n{}\ntraced:\n{}",
            String::from_utf8_lossy(&plain.stderr),
            String::from_utf8_lossy(&traced.stderr)
        ));
    }
    let (header, events, warnings) =
        read_all(&trace).map_err(|e| format!("{case}: reading the trace: {e}"))?;
    if !warnings.is_empty() {
        problems.push(format!("reader warnings: {warnings:?}"));
    }
    check_invariants(&header, &events);
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&trace)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&v.stdout).into_owned();
    if !v.status.success() || report.contains("divergence #") {
        problems.push(format!("replay --verify diverges:\n{report}"));
    }
    let tmp = std::fs::canonicalize(traced_dir.path())
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let bin_s = bin.to_string_lossy().into_owned();
    // Each process's events in their order; processes one after another
    // (P0's, then P1's, ...): how the kernel interleaves processes that run
    // at once is not the recorder's to fix. For the same reason a SIGCHLD's
    // arrival (before or after the parent's wait, as the child's exit races
    // it) goes at the end of its process's events.
    let mut got = normalise(&events, &tmp, &bin_s);
    got.sort_by_key(|l| {
        let pid = l
            .split(' ')
            .next()
            .and_then(|p| p.trim_start_matches('P').parse::<usize>().ok());
        (pid, l.contains(" signal ") && l.contains("\"SIGCHLD\""))
    });
    got.extend(
        report
            .lines()
            .filter(|l| l.starts_with("anomaly "))
            .map(|l| normalise_anomaly(l, &events, &tmp, &bin_s)),
    );
    let got = got.join("\n") + "\n";
    let file = dir().join(format!("{case}.expected"));
    let known = KNOWN_FAILING.iter().any(|(c, _)| *c == case);
    if bless() && !known {
        std::fs::write(&file, &got).unwrap();
    }
    let want = std::fs::read_to_string(&file)
        .map_err(|e| format!("{case}: no expected file {}: {e}", file.display()))?;
    if want != got {
        let keep = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{case}.got"));
        let _ = std::fs::write(&keep, &got);
        problems.push(format!(
            "events differ from {} (what was recorded: {}):\n{}",
            file.display(),
            keep.display(),
            diff(&want, &got)
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{case}:\n{}", problems.join("\n")))
    }
}

/// The lines only in `want` (-) and only in `got` (+), in order.
fn diff(want: &str, got: &str) -> String {
    let w: Vec<&str> = want.lines().collect();
    let g: Vec<&str> = got.lines().collect();
    let mut out = String::new();
    for l in &w {
        if !g.contains(l) {
            out.push_str(&format!("- {l}\n"));
        }
    }
    for l in &g {
        if !w.contains(l) {
            out.push_str(&format!("+ {l}\n"));
        }
    }
    if out.is_empty() {
        out.push_str("(same lines, in another order)\n");
    }
    out
}

/// Builds `family` (64-bit, and -m32 unless `native_only`), runs each build,
/// and checks the outcome against [`KNOWN_FAILING`].
fn matrix(family: &str, native_only: bool) {
    let mut failures = Vec::new();
    // Static: no dynamic loader's opens in the expected files (they would
    // name the libc and the test's LD_LIBRARY_PATH).
    let builds: &[&[&str]] = if native_only {
        &[&["-static"]]
    } else {
        &[&["-static"], &["-static", "-m32"]]
    };
    for flags in builds {
        let m32 = flags.contains(&"-m32");
        let case = if !m32 {
            family.to_string()
        } else {
            format!("{family}.m32")
        };
        let bin = match try_fixture_from("syscalls", family, flags) {
            Ok(b) => b,
            Err(e) if m32 && std::env::var_os("CI").is_none() => {
                eprintln!("note: no 32-bit C library here (gcc-multilib), {case} skipped: {e}");
                continue;
            }
            Err(e) => panic!("building {case}: {e}"),
        };
        let outcome = run_case(&case, &bin);
        let known = KNOWN_FAILING.iter().find(|(c, _)| *c == case);
        match (outcome, known) {
            (Ok(()), None) => {}
            (Err(e), None) => failures.push(e),
            (Ok(()), Some((_, why))) => failures.push(format!(
                "{case} now records as expected: remove it from KNOWN_FAILING (\"{why}\")"
            )),
            (Err(e), Some((_, why))) => {
                eprintln!("known failing, {why}:\n{e}");
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn pipe_and_pipe2_record_as_their_expected_file() {
    matrix("pipe", false);
}

#[test]
fn dup_dup2_and_dup3_record_as_their_expected_file() {
    matrix("dup", false);
}

#[test]
fn fcntl_dupfd_and_setfd_record_as_their_expected_file() {
    matrix("fcntl", false);
}

#[test]
fn open_openat_creat_and_openat2_record_as_their_expected_file() {
    matrix("open", false);
}

#[test]
fn close_and_close_range_record_as_their_expected_file() {
    matrix("close", false);
}

#[test]
fn mknod_and_mknodat_record_as_their_expected_file() {
    matrix("mknod", false);
}

#[test]
fn execve_and_execveat_record_as_their_expected_file() {
    matrix("exec", false);
}

#[test]
fn fork_vfork_clone_and_clone3_record_as_their_expected_file() {
    matrix("fork", false);
}

#[test]
fn wait4_waitid_and_waitpid_record_as_their_expected_file() {
    matrix("wait", false);
}

#[test]
fn kill_and_every_other_signal_sender_record_as_their_expected_file() {
    matrix("kill", false);
}

#[test]
fn setsid_and_setpgid_record_as_their_expected_file() {
    matrix("session", false);
}

#[test]
fn prctl_pr_set_name_records_as_its_expected_file() {
    matrix("prctl", false);
}

#[test]
fn socket_socketpair_accept_and_accept4_record_as_their_expected_file() {
    matrix("socket", false);
}

#[test]
fn every_other_fd_making_call_records_as_its_expected_file() {
    matrix("newfd", false);
}

#[test]
fn signalfd_given_an_existing_signalfd_makes_no_new_fd() {
    matrix("signalfd_existing", false);
}

#[test]
fn execve_with_an_unreadable_argv_element_records_what_can_be_read() {
    matrix("exec_bad_argv", false);
}

#[test]
fn openat2_refused_for_its_path_or_its_how_records_the_refusal() {
    matrix("openat2_bad", false);
}

#[test]
fn an_fd_made_by_ioctl_is_recorded() {
    matrix("ioctl_fd", false);
}

/// `CloseRange` -> `close_range`; `NewFd("eventfd2")` -> `eventfd2`;
/// `SigchldAction("rt_sigaction")` -> `rt_sigaction`.
fn kernel_name(sys: Sys) -> String {
    if let Sys::NewFd(name) | Sys::SigchldAction(name) = sys {
        return name.to_string();
    }
    let mut out = String::new();
    for (i, c) in format!("{sys:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A piece of an event line that only this syscall's success or failure
/// records (or, where events do not name their syscall, its event kind).
fn marker(sys: Sys, name: &str) -> String {
    use Sys::*;
    match sys {
        NewFd(_) | Socket | Socketpair | Accept | Accept4 | Fork | Vfork | Clone | Clone3 => {
            format!("syscall=\"{name}\"")
        }
        Kill | Tkill | Tgkill | RtSigqueueinfo | RtTgsigqueueinfo | PidfdSendSignal => {
            format!("via=\"{name}\"")
        }
        Dup | Dup2 | Dup3 => format!("via=\"{name}\""),
        Execve | Execveat => " exec ".into(),
        Pipe | Pipe2 => " pipe ".into(),
        Fcntl => "via=\"fcntl\"".into(),
        Open | Openat | Openat2 | Creat => " open ".into(),
        Close => " close ".into(),
        CloseRange => " close_range ".into(),
        Mknod | Mknodat => " mkfifo ".into(),
        Wait4 | Waitpid | Waitid => " wait ".into(),
        Setsid => " setsid ".into(),
        Setpgid => " setpgid ".into(),
        Ioctl => "\"ioctl(".into(),
        Unshare => " unshare ".into(),
        Ptrace => " ptrace_limit ".into(),
        SigchldAction(_) => " sigchld ".into(),
        Prctl => " rename ".into(),
    }
}

/// The coverage check: every syscall in the seccomp filter (both ABIs), the
/// process-creation calls the recorder decodes, and every fcntl command the
/// filter stops on has a program here that makes the call (its source names
/// it) and an expected file holding what the call records.
#[test]
fn every_traced_syscall_and_fcntl_command_has_a_program() {
    let tables: [(&[(Sys, i64)], &str); 4] = [
        (sysno::NATIVE, ""),
        (sysno::NATIVE_CREATE, ""),
        (sysno::I386, ".m32"),
        (sysno::I386_CREATE, ".m32"),
    ];
    let mut missing = Vec::new();
    for (table, suffix) in tables {
        for (sys, _) in table {
            let name = kernel_name(*sys);
            if let Some((_, why)) = NOT_RUN_HERE.iter().find(|(n, _)| *n == name) {
                eprintln!("note: {name} has no matrix program: {why}");
                continue;
            }
            let family = match *sys {
                Sys::NewFd(_) => "newfd",
                Sys::SigchldAction(_) => "sigchld",
                _ => match PROGRAM_OF.iter().find(|(n, _)| *n == name) {
                    Some((_, f)) => f,
                    None => {
                        missing.push(format!("{name}: no program in PROGRAM_OF"));
                        continue;
                    }
                },
            };
            let src = std::fs::read_to_string(dir().join(format!("{family}.c"))).unwrap();
            if !src.contains(&format!("SYS_{name},")) && !src.contains(&format!("{name}(")) {
                missing.push(format!("{name}: {family}.c never calls it"));
            }
            let exp = dir().join(format!("{family}{suffix}.expected"));
            let text = std::fs::read_to_string(&exp).unwrap_or_default();
            let m = marker(*sys, &name);
            if !text.lines().any(|l| l.contains(&m)) {
                missing.push(format!("{name}: {} has no line with {m:?}", exp.display()));
            }
        }
    }
    for cmd in sysno::FCNTL_TRACED_CMDS {
        match FCNTL_PROGRAM_OF.iter().find(|(c, ..)| c == cmd) {
            None => missing.push(format!("fcntl command {cmd}: no program")),
            Some((_, spelled, family, line)) => {
                let src = std::fs::read_to_string(dir().join(format!("{family}.c"))).unwrap();
                let exp =
                    std::fs::read_to_string(dir().join(format!("{family}.expected"))).unwrap();
                if !src.contains(spelled) || !exp.lines().any(|l| l == *line) {
                    missing.push(format!("fcntl {spelled} not exercised by {family}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "not covered:\n{}", missing.join("\n"));
}

#[test]
fn clone_and_clone3_with_clone_pidfd_give_the_parent_a_pidfd() {
    matrix("clone_pidfd", false);
}

#[test]
fn a_wait_that_reaps_but_cannot_store_the_status_still_reaps() {
    matrix("wait_efault", false);
}

#[test]
fn unshare_clone_files_gives_the_caller_its_own_fd_table() {
    matrix("unshare", false);
}

#[test]
fn sigchld_dispositions_that_reap_children_record_as_their_expected_file() {
    matrix("sigchld", false);
}
