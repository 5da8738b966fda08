//! Cross-check against strace: run real programs once under `strace -ff` and
//! once under `forkscope record`, reduce both to the same pid-independent
//! summary, and require the two to agree. Built with the `ebpf` feature,
//! each program is also recorded with `--backend ebpf`, whose trace must
//! agree with strace's in the same way and pass `replay --verify`.
//!
//! Pids differ between the two runs, so nothing is compared by pid. Each
//! task's actions are kept in order and every process is named by its exec
//! chain; a pipe, a dup or a kill is attributed to the program that made it
//! (its argv at that moment), and a process is described by the program that
//! forked it, its own exec chain and how it ended. The checks compare
//! multisets of those descriptions, so the order in which concurrent
//! processes ran (make -j2, xargs -P2) does not matter:
//!
//! 1. processes: count of processes and of threads (strace's per-task files
//!    are told apart by CLONE_THREAD in the creating call), one line per
//!    process (`forker ⇒ exec chain [exit status]`), and how each task was
//!    created (syscall, fork/vfork/clone/thread, shared fd table);
//! 2. successful execs (path and argv) and failed ones (with errno);
//! 3. pipes made (fd pair, by whom);
//! 4. dup, dup2, dup3 and fcntl(F_DUPFD*) that succeeded; fcntl(F_SETFD);
//!    close_range;
//! 5. successful kill/tkill/tgkill, by signal and by what the target is;
//! 6. exit statuses, and the statuses that wait4/waitid reaped.
//!
//! A workload may declare entries that depend on timing rather than on the
//! tracer (make's stdin juggling); those are left out on both sides, with a
//! note. On a mismatch the test prints, per check, what only one side has,
//! and keeps the run's directory (strace's files and forkscope's trace).
//!
//! strace options: `-ff -o DIR/t` writes one file per task, so lines never
//! interleave; `-q` drops attach notes but keeps the `+++ exited with N +++`
//! lines (`-qq` would drop those). Signals are NOT filtered with
//! `-e signal=none`: strace 6.1 then also drops `+++ killed by SIGX +++`, so
//! the `--- SIGX ... ---` lines are skipped by the parser instead.

use forkscope::trace::{self, DupVia, EventKind, ForkFlavor, KillVia, Status};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

// ---------------------------------------------------------------------------
// The common ground: what each task did, in order.

/// A task (thread or process) id, as either tracer saw it.
type Tid = i32;

/// One thing a task did that the cross-check compares.
#[derive(Debug, Clone, PartialEq)]
enum Act {
    /// Created `child` (fork, vfork, clone, clone3); `how` is
    /// `syscall → flavor` as [`creation`] spells it.
    Spawn {
        child: Tid,
        thread: bool,
        how: String,
    },
    /// execve/execveat; `errno` is None when it succeeded.
    Exec {
        path: Vec<u8>,
        argv: Vec<Vec<u8>>,
        errno: Option<String>,
    },
    /// A successful pipe/pipe2.
    Pipe { read_fd: i32, write_fd: i32 },
    /// A successful dup, dup2, dup3 or fcntl(F_DUPFD*): `call` names which.
    Dup {
        call: &'static str,
        old_fd: i32,
        new_fd: i32,
    },
    /// A successful fcntl(F_SETFD).
    SetCloexec { fd: i32, on: bool },
    /// close_range(first, last, flags), whatever its result.
    CloseRange {
        first: u32,
        last: u32,
        cloexec: bool,
    },
    /// A successful kill/tkill/tgkill.
    Kill {
        call: &'static str,
        target: i64,
        signal: String,
    },
    /// wait4/waitid reported a child (`status` as [`status_text`] spells it).
    Reap { status: String },
    /// The task ended.
    End { status: String },
}

/// Everything one tracer recorded of one run, per task.
#[derive(Debug, Default)]
struct Run {
    tasks: BTreeMap<Tid, Vec<Act>>,
}

impl Run {
    fn push(&mut self, tid: Tid, act: Act) {
        self.tasks.entry(tid).or_default().push(act);
    }
}

fn exited(code: i32) -> String {
    format!("exited {code}")
}

fn killed(sig: &str, core: bool) -> String {
    if core {
        format!("killed by {sig} (core dumped)")
    } else {
        format!("killed by {sig}")
    }
}

/// One spelling of how a task was created, for both sides: the syscall and
/// forkscope's flavor (`fork`, `vfork`, `clone`, `thread`).
fn creation(syscall: &str, flavor: &str, shares_fds: bool) -> String {
    let fds = if shares_fds { ", shared fd table" } else { "" };
    format!("{syscall} → {flavor}{fds}")
}

/// One spelling of a wait/exit status for both sides.
fn status_text(st: &Status) -> String {
    match *st {
        Status::Exited { exited: code } => exited(code),
        Status::Signaled { signaled, core } => killed(&signaled.name(), core),
        Status::Stopped { stopped } => format!("stopped by {}", stopped.name()),
        Status::Continued { .. } => "continued".into(),
    }
}

// ---------------------------------------------------------------------------
// forkscope's side: the trace, read with the library's reader.

fn forkscope_run(trace_path: &Path) -> Run {
    let (_header, events, warnings) = trace::read_all(trace_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", trace_path.display()));
    assert!(
        warnings.is_empty(),
        "reading {} gave warnings: {warnings:?}",
        trace_path.display()
    );
    let mut run = Run::default();
    for ev in events {
        let pid = ev.pid;
        let act = match ev.kind {
            EventKind::Fork {
                child,
                flavor,
                shares_fds,
                syscall,
                ..
            } => {
                let name = match flavor {
                    ForkFlavor::Fork => "fork",
                    ForkFlavor::Vfork => "vfork",
                    ForkFlavor::Clone => "clone",
                    ForkFlavor::Thread => "thread",
                };
                Act::Spawn {
                    child,
                    thread: flavor == ForkFlavor::Thread,
                    how: creation(&syscall, name, shares_fds),
                }
            }
            EventKind::Exec {
                path,
                argv,
                ok,
                errno,
                ..
            } => Act::Exec {
                path: path.0,
                argv: argv.into_iter().map(|a| a.0).collect(),
                errno: if ok {
                    None
                } else {
                    Some(errno.unwrap_or_else(|| "(no errno)".into()))
                },
            },
            EventKind::Pipe {
                read_fd, write_fd, ..
            } => Act::Pipe { read_fd, write_fd },
            EventKind::Dup {
                old_fd,
                new_fd,
                via,
                errno: None,
                ..
            } => Act::Dup {
                call: match via {
                    DupVia::Dup => "dup",
                    DupVia::Dup2 => "dup2",
                    DupVia::Dup3 => "dup3",
                    DupVia::Fcntl => "fcntl",
                },
                old_fd,
                new_fd,
            },
            EventKind::SetCloexec {
                fd,
                cloexec,
                errno: None,
                via: None,
            } => Act::SetCloexec { fd, on: cloexec },
            EventKind::CloseRange {
                first,
                last,
                cloexec,
                ..
            } => Act::CloseRange {
                first,
                last,
                cloexec,
            },
            EventKind::Kill {
                target,
                signal,
                ok: true,
                via,
                ..
            } => {
                let call = match via {
                    KillVia::Kill => "kill",
                    KillVia::Tkill => "tkill",
                    KillVia::Tgkill => "tgkill",
                    // Not in strace's -e trace= list.
                    _ => continue,
                };
                Act::Kill {
                    call,
                    target,
                    signal: signal.name(),
                }
            }
            EventKind::Wait {
                reaped: Some(child),
                status,
                ..
            } if child > 0 => Act::Reap {
                status: status.map_or_else(|| "unknown".into(), |s| status_text(&s)),
            },
            EventKind::Exit { status, .. } => Act::End {
                status: status_text(&status),
            },
            _ => continue,
        };
        run.push(pid, act);
    }
    run
}

// ---------------------------------------------------------------------------
// strace's side: a parser for just the lines this test asks strace for.

mod strace {
    use super::{creation, exited, killed, Act, Run, Tid};
    use forkscope::trace::Sig;
    use std::path::Path;

    /// A syscall's result as strace prints it after `=`.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Ret {
        /// A value (decimal or 0x hex).
        Val(i64),
        /// `-1 ENOENT (...)`.
        Err(String),
        /// `?` (no return: exit, a successful exec's exit in another task, ERESTART*).
        Unknown,
    }

    /// One complete syscall line.
    #[derive(Debug)]
    pub struct Call<'a> {
        pub name: &'a str,
        pub args: Vec<&'a str>,
        pub ret: Ret,
    }

    /// The syscalls the test asks strace to trace (and parses).
    pub const TRACED: &str = "execve,execveat,fork,vfork,clone,clone3,pipe,pipe2,\
                              dup,dup2,dup3,fcntl,close_range,kill,tkill,tgkill,wait4,waitid";

    /// Reads every `t.<tid>` file of `strace -ff -o DIR/t`. Lines for traced
    /// syscalls that cannot be parsed are returned as problems, never skipped
    /// silently.
    pub fn read_dir(dir: &Path) -> (Run, Vec<String>) {
        let mut run = Run::default();
        let mut problems = Vec::new();
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
        for entry in entries {
            let entry = entry.expect("directory entry");
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(tid) = name.strip_prefix("t.").and_then(|t| t.parse::<Tid>().ok()) else {
                continue;
            };
            let bytes = std::fs::read(entry.path()).expect("read strace output");
            let text = String::from_utf8_lossy(&bytes);
            let acts = parse_task(&text, &mut |line, why| {
                problems.push(format!("{name}: {why}: {line}"))
            });
            run.tasks.entry(tid).or_default().extend(acts);
        }
        (run, problems)
    }

    /// Parses one task's file into its actions, in order.
    pub fn parse_task(text: &str, problem: &mut dyn FnMut(&str, &str)) -> Vec<Act> {
        let mut acts = Vec::new();
        // `foo(a, <unfinished ...>` waits here for its `<... foo resumed>b) = 0`.
        let mut unfinished: Option<String> = None;
        for raw in text.lines() {
            let raw = raw.trim_end();
            if raw.is_empty() || raw.starts_with("--- ") {
                continue; // signal deliveries and stops
            }
            if let Some(rest) = raw.strip_prefix("+++ ") {
                unfinished = None;
                if let Some(end) = parse_end(rest) {
                    acts.push(Act::End { status: end });
                } else if !rest.starts_with("superseded by execve") {
                    problem(raw, "unknown +++ line");
                }
                continue;
            }
            let line = if let Some(rest) = raw.strip_prefix("<... ") {
                let Some(i) = rest.find(" resumed>") else {
                    problem(raw, "malformed resumed line");
                    continue;
                };
                match unfinished.take() {
                    Some(head) => head + &rest[i + " resumed>".len()..],
                    None => {
                        problem(raw, "resumed without unfinished");
                        continue;
                    }
                }
            } else {
                raw.to_string()
            };
            if let Some(head) = line.strip_suffix("<unfinished ...>") {
                unfinished = Some(head.trim_end().to_string() + " ");
                continue;
            }
            let name_end = line.find('(').unwrap_or(0);
            let name = &line[..name_end];
            if !TRACED.split(',').any(|t| t == name) {
                continue;
            }
            match parse_call(&line) {
                Some(call) => match to_act(&call) {
                    Ok(Some(act)) => acts.push(act),
                    Ok(None) => {}
                    Err(why) => problem(&line, &why),
                },
                None => problem(&line, "unparsable syscall line"),
            }
        }
        acts
    }

    /// `exited with 3 +++`, `killed by SIGTERM +++`, `killed by SIGSEGV (core dumped) +++`.
    fn parse_end(rest: &str) -> Option<String> {
        let rest = rest.strip_suffix(" +++")?;
        if let Some(code) = rest.strip_prefix("exited with ") {
            return Some(exited(code.trim().parse().ok()?));
        }
        let sig = rest.strip_prefix("killed by ")?;
        Some(match sig.strip_suffix(" (core dumped)") {
            Some(sig) => killed(&signal_name(sig)?, true),
            None => killed(&signal_name(sig)?, false),
        })
    }

    /// Converts one parsed syscall to an action (None: nothing to compare).
    fn to_act(c: &Call<'_>) -> Result<Option<Act>, String> {
        let arg = |i: usize| {
            c.args
                .get(i)
                .copied()
                .ok_or_else(|| format!("argument {i} missing"))
        };
        let int = |i: usize| -> Result<i64, String> {
            let a = arg(i)?;
            parse_int(a).ok_or_else(|| format!("argument {i} ({a}) is not a number"))
        };
        let ok = matches!(c.ret, Ret::Val(_));
        let val = match c.ret {
            Ret::Val(v) => v,
            _ => -1,
        };
        Ok(Some(match c.name {
            "clone" | "clone3" | "fork" | "vfork" => {
                if val <= 0 {
                    return Ok(None);
                }
                // `flags=A|B|SIGCHLD` (clone) or `{flags=A|B, ...}` (clone3).
                let flags: Vec<&str> = c
                    .args
                    .iter()
                    .find_map(|a| {
                        let i = a.find("flags=")? + "flags=".len();
                        let v = &a[i..];
                        Some(&v[..v.find([',', '}']).unwrap_or(v.len())])
                    })
                    .map(|v| v.split('|').map(str::trim).collect())
                    .unwrap_or_default();
                let has = |f: &str| flags.contains(&f);
                // The flavors as docs/trace-format (src/trace/event.rs) defines them.
                let flavor = if has("CLONE_THREAD") {
                    "thread"
                } else if c.name == "vfork" || has("CLONE_VFORK") {
                    "vfork"
                } else if ["CLONE_VM", "CLONE_FILES", "CLONE_FS", "CLONE_SIGHAND"]
                    .iter()
                    .any(|f| has(f))
                {
                    "clone"
                } else {
                    "fork"
                };
                Act::Spawn {
                    child: val as Tid,
                    thread: flavor == "thread",
                    how: creation(c.name, flavor, has("CLONE_FILES")),
                }
            }
            "close_range" => {
                let last = arg(1)?;
                Act::CloseRange {
                    first: int(0)? as u32,
                    last: if last.starts_with("~0") {
                        u32::MAX
                    } else {
                        int(1)? as u32
                    },
                    cloexec: arg(2)?.contains("CLOSE_RANGE_CLOEXEC"),
                }
            }
            "execve" | "execveat" => {
                let (p, a) = if c.name == "execve" { (0, 1) } else { (1, 2) };
                let errno = match &c.ret {
                    Ret::Val(_) => None,
                    Ret::Err(e) => Some(e.clone()),
                    Ret::Unknown => return Ok(None),
                };
                let path = c_string(arg(p)?).ok_or("bad path string")?;
                let argv = string_array(arg(a)?).ok_or("bad argv array")?;
                Act::Exec { path, argv, errno }
            }
            "pipe" | "pipe2" if ok => {
                let fds = int_array(arg(0)?).ok_or("bad fd pair")?;
                let [read_fd, write_fd] = fds[..] else {
                    return Err("not two fds".into());
                };
                Act::Pipe { read_fd, write_fd }
            }
            "dup" if ok => Act::Dup {
                call: "dup",
                old_fd: int(0)? as i32,
                new_fd: val as i32,
            },
            "dup2" | "dup3" if ok => Act::Dup {
                call: if c.name == "dup2" { "dup2" } else { "dup3" },
                old_fd: int(0)? as i32,
                new_fd: int(1)? as i32,
            },
            "fcntl" if ok => match arg(1)? {
                "F_DUPFD" | "F_DUPFD_CLOEXEC" => Act::Dup {
                    call: "fcntl",
                    old_fd: int(0)? as i32,
                    new_fd: val as i32,
                },
                "F_SETFD" => Act::SetCloexec {
                    fd: int(0)? as i32,
                    on: arg(2)?.contains("FD_CLOEXEC") || parse_int(arg(2)?).unwrap_or(0) & 1 != 0,
                },
                _ => return Ok(None),
            },
            "kill" | "tkill" | "tgkill" if ok => {
                let (t, s) = if c.name == "tgkill" { (1, 2) } else { (0, 1) };
                Act::Kill {
                    call: match c.name {
                        "kill" => "kill",
                        "tkill" => "tkill",
                        _ => "tgkill",
                    },
                    target: int(t)?,
                    signal: signal_name(arg(s)?).ok_or("bad signal")?,
                }
            }
            "wait4" if val > 0 => Act::Reap {
                status: wait4_status(arg(1)?).ok_or("bad wait status")?,
            },
            "waitid" if ok => {
                if arg(3)?.contains("WNOWAIT") {
                    return Ok(None);
                }
                match waitid_status(arg(2)?) {
                    Some(status) => Act::Reap { status },
                    None => return Ok(None), // WNOHANG, nothing to report
                }
            }
            _ => return Ok(None),
        }))
    }

    /// `SIGTERM`, `0`, `SIGRTMIN`, `SIGRT_3`, `15` in forkscope's spelling.
    pub fn signal_name(s: &str) -> Option<String> {
        let s = s.trim();
        if let Some(n) = parse_int(s) {
            return Some(Sig(n as i32).name());
        }
        if s == "SIGRTMIN" {
            return Some("SIGRTMIN+0".into());
        }
        if let Some(n) = s.strip_prefix("SIGRT_") {
            return Some(format!("SIGRTMIN+{}", n.parse::<i32>().ok()?));
        }
        // strace may show a combination (`SIGRTMIN+2`) or a plain name.
        Sig::from_name(s).map(|sig| sig.name())
    }

    /// `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]` and friends.
    fn wait4_status(s: &str) -> Option<String> {
        let after = |key: &str| -> Option<&str> {
            let i = s.find(key)? + key.len();
            let rest = &s[i..];
            let end = rest.find(['}', ' ']).unwrap_or(rest.len());
            Some(&rest[..end])
        };
        if s == "NULL" || s.starts_with("0x") {
            return Some("unknown".into());
        }
        if s.contains("WIFEXITED") {
            return Some(exited(parse_int(after("WEXITSTATUS(s) == ")?)? as i32));
        }
        if s.contains("WIFSIGNALED") {
            let sig = signal_name(after("WTERMSIG(s) == ")?)?;
            return Some(killed(&sig, s.contains("WCOREDUMP")));
        }
        if s.contains("WIFSTOPPED") {
            return Some(format!(
                "stopped by {}",
                signal_name(after("WSTOPSIG(s) == ")?)?
            ));
        }
        if s.contains("WIFCONTINUED") {
            return Some("continued".into());
        }
        None
    }

    /// `{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=12, ..., si_status=0, ...}`.
    fn waitid_status(s: &str) -> Option<String> {
        let inner = s.strip_prefix('{')?.strip_suffix('}')?;
        let field = |k: &str| {
            split_args(inner)
                .into_iter()
                .find_map(|f| f.strip_prefix(k)?.strip_prefix('='))
        };
        let pid = parse_int(field("si_pid")?)?;
        if pid == 0 {
            return None;
        }
        let st = field("si_status")?;
        Some(match field("si_code")? {
            "CLD_EXITED" => exited(parse_int(st)? as i32),
            "CLD_KILLED" => killed(&signal_name(st)?, false),
            "CLD_DUMPED" => killed(&signal_name(st)?, true),
            "CLD_STOPPED" | "CLD_TRAPPED" => format!("stopped by {}", signal_name(st)?),
            _ => "continued".into(),
        })
    }

    /// `name(args) = ret [ERRNO (text)]`, with args split at top-level commas.
    pub fn parse_call(line: &str) -> Option<Call<'_>> {
        let open = line.find('(')?;
        let name = &line[..open];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
        let close = matching_close(line, open)?;
        let rest = line[close + 1..]
            .trim_start()
            .strip_prefix('=')?
            .trim_start();
        let mut words = rest.split_whitespace();
        let value = words.next()?;
        let ret = if value == "?" {
            Ret::Unknown
        } else if value == "-1" {
            Ret::Err(words.next()?.to_string())
        } else {
            Ret::Val(parse_int(value)?)
        };
        Some(Call {
            name,
            args: split_args(&line[open + 1..close]),
            ret,
        })
    }

    /// The index of the bracket closing the one at `open`, skipping strings.
    fn matching_close(s: &str, open: usize) -> Option<usize> {
        let b = s.as_bytes();
        let mut depth = 0usize;
        let mut i = open;
        while i < b.len() {
            match b[i] {
                b'"' => i = string_end(b, i)?,
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// The index of the quote ending the string literal starting at `start`.
    fn string_end(b: &[u8], start: usize) -> Option<usize> {
        let mut i = start + 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return Some(i),
                _ => i += 1,
            }
        }
        None
    }

    /// Splits at commas outside strings and brackets; trims each piece.
    pub fn split_args(s: &str) -> Vec<&str> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let (mut depth, mut start, mut i) = (0i32, 0usize, 0usize);
        while i < b.len() {
            match b[i] {
                b'"' => i = string_end(b, i).unwrap_or(b.len() - 1),
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    out.push(s[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        let last = s[start..].trim();
        if !last.is_empty() || !out.is_empty() {
            out.push(last);
        }
        out
    }

    /// Decimal, negative or 0x-hex.
    pub fn parse_int(s: &str) -> Option<i64> {
        let s = s.trim();
        if let Some(h) = s.strip_prefix("0x") {
            return i64::from_str_radix(h, 16).ok();
        }
        s.parse().ok()
    }

    /// A C string literal as strace prints it (`"a\"b\n\33"`, maybe
    /// followed by `...` when cut at -s), decoded to bytes.
    pub fn c_string(s: &str) -> Option<Vec<u8>> {
        let b = s.trim().as_bytes();
        if b.first() != Some(&b'"') {
            return None;
        }
        let mut out = Vec::new();
        let mut i = 1;
        while i < b.len() {
            match b[i] {
                b'"' => return Some(out),
                b'\\' => {
                    let c = *b.get(i + 1)?;
                    i += 2;
                    match c {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'v' => out.push(0x0b),
                        b'f' => out.push(0x0c),
                        b'a' => out.push(0x07),
                        b'b' => out.push(0x08),
                        b'x' => {
                            let hex = std::str::from_utf8(b.get(i..i + 2)?).ok()?;
                            out.push(u8::from_str_radix(hex, 16).ok()?);
                            i += 2;
                        }
                        b'0'..=b'7' => {
                            let mut v = u32::from(c - b'0');
                            for _ in 0..2 {
                                match b.get(i) {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        i += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        other => out.push(other),
                    }
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        None
    }

    /// `["a", "b"]` (an abbreviated tail `...` is kept as the word `...`).
    pub fn string_array(s: &str) -> Option<Vec<Vec<u8>>> {
        let s = s.trim();
        if s == "NULL" {
            return Some(Vec::new());
        }
        let inner = s.strip_prefix('[')?.strip_suffix(']')?;
        split_args(inner)
            .into_iter()
            .map(|w| {
                if w == "..." {
                    Some(b"...".to_vec())
                } else {
                    c_string(w)
                }
            })
            .collect()
    }

    /// `[3, 4]`.
    pub fn int_array(s: &str) -> Option<Vec<i32>> {
        let inner = s.trim().strip_prefix('[')?.strip_suffix(']')?;
        split_args(inner)
            .into_iter()
            .map(|w| parse_int(w).map(|v| v as i32))
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Reducing a run to pid-independent multisets.

/// key -> how many times.
type Multiset = BTreeMap<String, usize>;

/// The comparable summary of a run: check name -> multiset.
#[derive(Debug, Default)]
struct Summary {
    checks: BTreeMap<&'static str, Multiset>,
}

impl Summary {
    fn add(&mut self, check: &'static str, key: String) {
        *self
            .checks
            .entry(check)
            .or_default()
            .entry(key)
            .or_default() += 1;
    }

    fn count(&self, check: &str) -> usize {
        self.checks.get(check).map_or(0, |m| m.values().sum())
    }
}

const PROCESSES: &str = "processes (forker ⇒ exec chain [status])";
const COUNTS: &str = "process and thread counts";
const EXECS_OK: &str = "successful execs";
const EXECS_FAILED: &str = "failed execs";
const PIPES: &str = "pipes";
const DUPS: &str = "dups";
const SETFD: &str = "fcntl(F_SETFD)";
const CREATIONS: &str = "process and thread creations";
const CLOSE_RANGES: &str = "close_range calls";
const KILLS: &str = "kills";
const REAPS: &str = "reaped statuses";
const EXITS: &str = "exit statuses";

/// gcc's temporary files (`/tmp/ccAbC123.s`) get new random names each run.
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

fn word(w: &[u8]) -> String {
    let s = String::from_utf8_lossy(w);
    if s.is_empty() || s.contains(|c: char| c.is_whitespace() || "\"'\\$`".contains(c)) {
        format!("{s:?}")
    } else {
        s.into_owned()
    }
}

fn argv_text(argv: &[Vec<u8>]) -> String {
    mask_temp_names(&argv.iter().map(|w| word(w)).collect::<Vec<_>>().join(" "))
}

/// A program named as context (who made a pipe, who forked): shortened.
fn context(label: &str) -> String {
    const MAX: usize = 100;
    if label.chars().count() <= MAX {
        label.to_string()
    } else {
        label.chars().take(MAX).collect::<String>() + "…"
    }
}

/// The label of a task before any exec it made.
const NO_EXEC: &str = "(no exec)";

fn summarize(run: &Run) -> Summary {
    let mut s = Summary::default();
    // Who created whom.
    let mut creator: HashMap<Tid, (Tid, bool)> = HashMap::new();
    let mut known: Vec<Tid> = run.tasks.keys().copied().collect();
    for (&tid, acts) in &run.tasks {
        for a in acts {
            if let Act::Spawn { child, thread, .. } = *a {
                creator.insert(child, (tid, thread));
                known.push(child);
            }
        }
    }
    known.sort_unstable();
    known.dedup();
    let process_of = |mut t: Tid| {
        // Threads belong to their creator's process (bounded: no cycles in real runs).
        for _ in 0..known.len() + 1 {
            match creator.get(&t) {
                Some(&(parent, true)) => t = parent,
                _ => break,
            }
        }
        t
    };

    // Walk from the tasks nobody created, parents before children, so each
    // task starts with its creator's label at the moment of creation.
    let mut queue: VecDeque<(Tid, String)> = known
        .iter()
        .filter(|t| !creator.contains_key(t))
        .map(|&t| (t, NO_EXEC.to_string()))
        .collect();
    let mut forker: HashMap<Tid, String> = HashMap::new();
    let mut chain: BTreeMap<Tid, Vec<String>> = BTreeMap::new();
    let mut ended: HashMap<Tid, String> = HashMap::new();
    let mut kills: Vec<(String, &'static str, i64, String)> = Vec::new();
    let (mut processes, mut threads) = (0usize, 0usize);
    while let Some((tid, mut label)) = queue.pop_front() {
        let pid = process_of(tid);
        if pid == tid {
            processes += 1;
            chain.entry(pid).or_default();
        } else {
            threads += 1;
        }
        for a in run.tasks.get(&tid).map_or(&[][..], |v| &v[..]) {
            let who = context(&label);
            match a {
                Act::Spawn { child, thread, how } => {
                    s.add(CREATIONS, format!("{who}: {how}"));
                    if !thread {
                        forker.insert(*child, who);
                    }
                    queue.push_back((*child, label.clone()));
                }
                Act::Exec {
                    path,
                    argv,
                    errno: None,
                } => {
                    label = argv_text(argv);
                    chain.entry(pid).or_default().push(label.clone());
                    s.add(
                        EXECS_OK,
                        format!(
                            "{}: {}",
                            mask_temp_names(&String::from_utf8_lossy(path)),
                            label
                        ),
                    );
                }
                Act::Exec {
                    path,
                    argv,
                    errno: Some(e),
                } => s.add(
                    EXECS_FAILED,
                    format!(
                        "{}: {} → {e}",
                        mask_temp_names(&String::from_utf8_lossy(path)),
                        argv_text(argv)
                    ),
                ),
                Act::Pipe { read_fd, write_fd } => {
                    s.add(PIPES, format!("{who}: pipe [{read_fd}, {write_fd}]"))
                }
                Act::Dup {
                    call,
                    old_fd,
                    new_fd,
                } => s.add(DUPS, format!("{who}: {call} {old_fd} → {new_fd}")),
                Act::SetCloexec { fd, on } => s.add(
                    SETFD,
                    format!("{who}: fd {fd} cloexec {}", if *on { "on" } else { "off" }),
                ),
                Act::CloseRange {
                    first,
                    last,
                    cloexec,
                } => s.add(
                    CLOSE_RANGES,
                    format!(
                        "{who}: {first}..={last}{}",
                        if *cloexec { " (cloexec)" } else { "" }
                    ),
                ),
                Act::Kill {
                    call,
                    target,
                    signal,
                } => kills.push((who, call, *target, signal.clone())),
                Act::Reap { status } => s.add(REAPS, format!("{who} reaped: {status}")),
                Act::End { status } => {
                    if pid == tid {
                        ended.insert(pid, status.clone());
                    }
                }
            }
        }
    }

    let last_label = |t: Tid| -> String {
        chain
            .get(&process_of(t))
            .and_then(|c| c.last())
            .map_or_else(|| NO_EXEC.to_string(), |l| context(l))
    };
    for (who, call, target, signal) in kills {
        let target = match target {
            t if t > 0 && known.contains(&(t as Tid)) => {
                format!("traced {}", last_label(t as Tid))
            }
            t if t > 0 => "an untraced pid".to_string(),
            0 => "own process group".to_string(),
            -1 => "every process".to_string(),
            _ => "a process group".to_string(),
        };
        s.add(KILLS, format!("{who}: {call}({target}, {signal})"));
    }
    for (pid, execs) in &chain {
        let status = ended
            .get(pid)
            .cloned()
            .unwrap_or_else(|| "no exit seen".into());
        let from = forker
            .get(pid)
            .cloned()
            .unwrap_or_else(|| "(no creator: root)".into());
        let execs = if execs.is_empty() {
            NO_EXEC.to_string()
        } else {
            execs.join(" ⇒ ")
        };
        s.add(PROCESSES, format!("{from} ⇒ {execs} [{status}]"));
        s.add(EXITS, status);
    }
    *s.checks.entry(COUNTS).or_default() = Multiset::from([
        ("processes".to_string(), processes),
        ("threads".to_string(), threads),
    ]);
    s
}

/// Per-check differences, or empty when the two agree.
fn diff(strace: &Summary, forkscope: &Summary) -> String {
    let mut out = String::new();
    let empty = Multiset::new();
    let mut names: Vec<&str> = strace.checks.keys().copied().collect();
    names.extend(forkscope.checks.keys().copied());
    names.sort_unstable();
    names.dedup();
    for name in names {
        let a = strace.checks.get(name).unwrap_or(&empty);
        let b = forkscope.checks.get(name).unwrap_or(&empty);
        let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut lines = String::new();
        for k in keys {
            let (x, y) = (
                a.get(k).copied().unwrap_or(0),
                b.get(k).copied().unwrap_or(0),
            );
            if x != y {
                let _ = writeln!(lines, "    strace {x:>3} × | forkscope {y:>3} × | {k}");
            }
        }
        if !lines.is_empty() {
            let _ = writeln!(
                out,
                "  {name} (strace {} in all, forkscope {}):\n{lines}",
                a.values().sum::<usize>(),
                b.values().sum::<usize>()
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Running a workload both ways.

/// Decides whether an entry of a check is left out of the comparison
/// (for behaviour that depends on timing, not on the tracer).
type Unstable = fn(check: &str, key: &str) -> bool;

struct Workload {
    /// For messages.
    name: &'static str,
    /// The command.
    argv: Vec<String>,
    /// Working directory (default: the run's temp dir).
    cwd: Option<PathBuf>,
    /// Run before each run (e.g. `make clean`).
    before_each: Option<Box<dyn Fn()>>,
    /// The command's exit code, when known.
    expect_code: Option<i32>,
    /// Its exact stdout, when deterministic.
    expect_stdout: Option<&'static str>,
    /// Timing-dependent entries to leave out.
    unstable: Option<Unstable>,
}

impl Workload {
    fn new(name: &'static str, argv: &[&str]) -> Workload {
        Workload {
            name,
            argv: argv.iter().map(|s| s.to_string()).collect(),
            cwd: None,
            before_each: None,
            expect_code: None,
            expect_stdout: None,
            unstable: None,
        }
    }

    fn code(mut self, c: i32) -> Self {
        self.expect_code = Some(c);
        self
    }

    fn stdout(mut self, s: &'static str) -> Self {
        self.expect_stdout = Some(s);
        self
    }
}

/// The shell's exit code for how a process ended.
fn exit_code(out: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    out.status
        .code()
        .or_else(|| out.status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `w` under strace and under forkscope and asserts that they agree.
fn crosscheck(w: Workload) {
    if !have("strace") {
        eprintln!("note: strace is not installed; skipping {}", w.name);
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("forkscope-xcheck-")
        .tempdir()
        .expect("temp dir");
    let cwd = w.cwd.clone().unwrap_or_else(|| dir.path().to_path_buf());
    let strace_dir = dir.path().join("strace");
    std::fs::create_dir(&strace_dir).expect("mkdir");
    let trace_path = dir.path().join("trace.jsonl");

    let run = |mut cmd: Command| -> Output {
        if let Some(f) = &w.before_each {
            f();
        }
        cmd.current_dir(&cwd).stdin(Stdio::null());
        cmd.output().expect("run the command")
    };

    let mut cmd = Command::new("strace");
    cmd.args(["-ff", "-q", "--seccomp-bpf", "-s", "65536", "-e"])
        .arg(format!("trace={}", strace::TRACED))
        .arg("-o")
        .arg(strace_dir.join("t"))
        .arg("--")
        .args(&w.argv);
    let s_out = run(cmd);

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_forkscope"));
    cmd.args(["record", "-q", "-o"])
        .arg(&trace_path)
        .arg("--")
        .args(&w.argv);
    let f_out = run(cmd);

    // Built with the eBPF backend (issue 16's cross-check): the same
    // program recorded by `--backend ebpf` must agree with strace as well.
    #[cfg(feature = "ebpf")]
    let (e_path, e_out) = {
        let path = dir.path().join("trace-ebpf.jsonl");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_forkscope"));
        cmd.args(["record", "-q", "--backend", "ebpf", "-o"])
            .arg(&path)
            .arg("--")
            .args(&w.argv);
        (path.clone(), run(cmd))
    };

    let (s_run, problems) = strace::read_dir(&strace_dir);
    let f_run = forkscope_run(&trace_path);
    let mut s_sum = summarize(&s_run);
    let mut f_sum = summarize(&f_run);
    #[cfg(feature = "ebpf")]
    let mut e_sum = summarize(&forkscope_run(&e_path));

    let mut notes = Vec::new();
    if let Some(unstable) = w.unstable {
        // (Only the eBPF side is pushed onto it.)
        #[cfg_attr(not(feature = "ebpf"), allow(unused_mut))]
        let mut sides = vec![("strace", &mut s_sum), ("forkscope", &mut f_sum)];
        #[cfg(feature = "ebpf")]
        sides.push(("forkscope --backend ebpf", &mut e_sum));
        for (side, sum) in sides {
            for (check, set) in sum.checks.iter_mut() {
                let before: usize = set.values().sum();
                set.retain(|k, _| !unstable(check, k));
                let left_out = before - set.values().sum::<usize>();
                if left_out > 0 {
                    notes.push(format!(
                        "{side}: {left_out} timing-dependent {check} left out"
                    ));
                }
            }
        }
    }

    let mut failures = String::new();
    if !problems.is_empty() {
        let _ = writeln!(
            failures,
            "  strace lines the parser could not read:\n    {}",
            problems.join("\n    ")
        );
    }
    let (s_code, f_code) = (exit_code(&s_out), exit_code(&f_out));
    if s_code != f_code || w.expect_code.is_some_and(|c| c != s_code) {
        let _ = writeln!(
            failures,
            "  exit codes: strace run {s_code}, forkscope run {f_code}, expected {:?}\n  \
             strace stderr: {}\n  forkscope stderr: {}",
            w.expect_code,
            String::from_utf8_lossy(&s_out.stderr),
            String::from_utf8_lossy(&f_out.stderr),
        );
    }
    if let Some(want) = w.expect_stdout {
        for (side, out) in [("strace", &s_out), ("forkscope", &f_out)] {
            let got = String::from_utf8_lossy(&out.stdout);
            if got != want {
                let _ = writeln!(
                    failures,
                    "  stdout under {side}: {got:?}, expected {want:?}"
                );
            }
        }
    }
    failures.push_str(&diff(&s_sum, &f_sum));
    #[cfg(feature = "ebpf")]
    ebpf_failures(
        &w,
        &mut failures,
        (&s_out, &s_sum),
        (&e_out, &e_sum),
        &e_path,
    );

    let summary = format!(
        "{}: {} processes, {} threads, {} creations, {} execs ({} failed), {} pipes, {} dups, \
         {} close_range, {} F_SETFD, {} kills, {} reaps",
        w.name,
        s_sum.checks[COUNTS]["processes"],
        s_sum.checks[COUNTS]["threads"],
        s_sum.count(CREATIONS),
        s_sum.count(EXECS_OK),
        s_sum.count(EXECS_FAILED),
        s_sum.count(PIPES),
        s_sum.count(DUPS),
        s_sum.count(CLOSE_RANGES),
        s_sum.count(SETFD),
        s_sum.count(KILLS),
        s_sum.count(REAPS),
    );
    if failures.is_empty() {
        eprintln!("{summary}: strace and forkscope agree");
        for n in notes {
            eprintln!("  note: {n}");
        }
        return;
    }
    let kept = dir.keep();
    panic!(
        "{summary}\nforkscope's trace and strace -ff disagree on `{}`:\n{failures}{}\
         files kept in {} (strace/t.<tid>, trace.jsonl, trace-ebpf.jsonl with the eBPF backend)",
        argv_text(
            &w.argv
                .iter()
                .map(|a| a.as_bytes().to_vec())
                .collect::<Vec<_>>()
        ),
        notes
            .iter()
            .map(|n| format!("  note: {n}\n"))
            .collect::<String>(),
        kept.display()
    );
}

/// The eBPF backend's side of a cross-check: its run must end and print as
/// strace's did, its trace must agree with strace's view, and
/// `replay --verify` must be clean on it (the fd tables the kernel showed
/// at each exec, read by the BPF programs, match the replayed model).
#[cfg(feature = "ebpf")]
fn ebpf_failures(
    w: &Workload,
    failures: &mut String,
    (s_out, s_sum): (&Output, &Summary),
    (e_out, e_sum): (&Output, &Summary),
    e_path: &Path,
) {
    let (s_code, e_code) = (exit_code(s_out), exit_code(e_out));
    if s_code != e_code {
        let _ = writeln!(
            failures,
            "  exit codes: strace run {s_code}, forkscope --backend ebpf run {e_code}\n  \
             forkscope --backend ebpf stderr: {}",
            String::from_utf8_lossy(&e_out.stderr),
        );
    }
    if let Some(want) = w.expect_stdout {
        let got = String::from_utf8_lossy(&e_out.stdout);
        if got != want {
            let _ = writeln!(
                failures,
                "  stdout under forkscope --backend ebpf: {got:?}, expected {want:?}"
            );
        }
    }
    let d = diff(s_sum, e_sum);
    if !d.is_empty() {
        let _ = write!(
            failures,
            "  with --backend ebpf (its counts in the forkscope column):\n{d}"
        );
    }
    let v = Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .args(["replay", "--verify"])
        .arg(e_path)
        .output()
        .expect("run forkscope replay --verify");
    let said = String::from_utf8_lossy(&v.stdout);
    if !v.status.success() || said.contains("divergence #") {
        let _ = writeln!(
            failures,
            "  replay --verify on the eBPF trace:\n{said}{}",
            String::from_utf8_lossy(&v.stderr)
        );
    }
}

// ---------------------------------------------------------------------------
// The workloads.

/// A pipeline, a redirected builtin (fcntl F_DUPFD + dup2) and an exit code.
const PIPELINE: &str = "seq 1000 | sort -r | head -3; echo done >&2; exit 3";

fn shell_pipeline(shell: &str) {
    if !have(shell) {
        eprintln!("note: {shell} is not installed; skipping its pipeline");
        return;
    }
    crosscheck(
        Workload::new("shell pipeline", &[shell, "-c", PIPELINE])
            .code(3)
            .stdout("999\n998\n997\n"),
    );
}

#[test]
fn an_sh_pipeline_is_recorded_as_strace_sees_it() {
    shell_pipeline("sh");
}

#[test]
fn a_bash_pipeline_is_recorded_as_strace_sees_it() {
    shell_pipeline("bash");
}

#[test]
fn a_dash_pipeline_is_recorded_as_strace_sees_it() {
    shell_pipeline("dash");
}

#[test]
fn a_parallel_make_build_is_recorded_as_strace_sees_it() {
    if !have("make") || !have("cc") {
        eprintln!("note: make or cc is not installed; skipping the make build");
        return;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cproject");
    let proj = tempfile::Builder::new()
        .prefix("forkscope-xcheck-make-")
        .tempdir()
        .expect("temp dir");
    for entry in std::fs::read_dir(&src).expect("fixtures/cproject") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), proj.path().join(entry.file_name())).expect("copy fixture");
    }
    let proj_dir = proj.path().to_path_buf();
    let clean_dir = proj_dir.clone();
    let mut w = Workload::new("make -j2", &["make", "-j2"]).code(0);
    w.cwd = Some(proj_dir);
    // Both runs must do the same work: start each from a clean tree.
    w.before_each = Some(Box::new(move || {
        let st = Command::new("make")
            .arg("clean")
            .current_dir(&clean_dir)
            .stdout(Stdio::null())
            .status()
            .expect("make clean");
        assert!(st.success(), "make clean failed");
    }));
    // make hands its real stdin to one job at a time and gives the others a
    // dead pipe (dup2(bad, 0) in the child): how many get which depends on
    // which jobs overlap.
    w.unstable = Some(|check, key| {
        check == DUPS && key.starts_with("make -j2: dup2 ") && key.ends_with("→ 0")
    });
    crosscheck(w);
}

#[test]
fn a_python_subprocess_run_is_recorded_as_strace_sees_it() {
    let Some(python) = python3() else {
        eprintln!("note: python3 is not installed; skipping");
        return;
    };
    crosscheck(
        Workload::new(
            "python subprocess",
            &[
                &python,
                "-c",
                r#"import subprocess; print(subprocess.run(["sh","-c","echo a | cat"], capture_output=True).stdout)"#,
            ],
        )
        .code(0)
        .stdout("b'a\\n'\n"),
    );
}

#[test]
fn xargs_running_two_echos_at_a_time_is_recorded_as_strace_sees_it() {
    crosscheck(Workload::new("xargs -P2", &["sh", "-c", "seq 20 | xargs -P2 -n1 echo"]).code(0));
}

#[test]
fn timeout_passing_on_an_exit_status_is_recorded_as_strace_sees_it() {
    crosscheck(
        Workload::new(
            "timeout, command exits",
            &["timeout", "5", "sh", "-c", "sleep 0.1; exit 4"],
        )
        .code(4),
    );
}

#[test]
fn timeout_killing_its_command_is_recorded_as_strace_sees_it() {
    crosscheck(
        Workload::new(
            "timeout, command killed",
            &["timeout", "-s", "TERM", "0.2", "sleep", "5"],
        )
        .code(124),
    );
}

#[test]
fn a_perl_fork_and_pipe_is_recorded_as_strace_sees_it() {
    if !have("perl") {
        eprintln!("note: perl is not installed; skipping");
        return;
    }
    crosscheck(
        Workload::new(
            "perl fork + pipe",
            &[
                "perl",
                "-e",
                r#"pipe(R,W); if (fork) { close W; print <R>; wait } else { close R; print W "hi\n"; exit 3 }"#,
            ],
        )
        .code(0)
        .stdout("hi\n"),
    );
}

/// The python interpreter itself, not a pyenv-style shim script (which would
/// add its own processes), or None when there is none.
fn python3() -> Option<String> {
    if Path::new("/usr/bin/python3").exists() {
        return Some("/usr/bin/python3".into());
    }
    match Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
    {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        _ => None,
    }
}

#[test]
fn a_thread_spawning_a_process_is_recorded_as_strace_sees_it() {
    let Some(python) = python3() else {
        eprintln!("note: python3 is not installed; skipping");
        return;
    };
    // One extra thread (clone3 with CLONE_THREAD) that vforks a shell, and a
    // kill(self, 0) from the main thread. One thread only: two would race
    // for fd numbers.
    let script = r#"import os, subprocess, threading
t = threading.Thread(target=lambda: subprocess.run(["sh", "-c", "exit 7"]))
t.start(); t.join()
os.kill(os.getpid(), 0)"#;
    crosscheck(Workload::new("python thread", &[&python, "-c", script]).code(0));
}

// ---------------------------------------------------------------------------
// The checker itself.

#[test]
fn strace_lines_parse_into_actions() {
    let text = r#"execve("/usr/bin/sh", ["sh", "-c", "echo \"a\\tb\"\n\33[0m"], 0x7ffd /* 3 vars */) = 0
pipe2([3, 4], O_CLOEXEC)                = 0
clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 41
clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS, child_tid=0x7f, parent_tid=0x7f, exit_signal=0, stack=0x7f, stack_size=0x7fff00, tls=0x7f} => {parent_tid=[42]}, 88) = 42
clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f, stack_size=0x9000}, 88) = 44
close_range(3, 4294967295, 0)           = 0
close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) = 0
wait4(-1,  <unfinished ...>
--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=41, si_uid=0, si_status=0} ---
<... wait4 resumed>[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], 0, NULL) = 41
wait4(-1, 0x7ffd, WNOHANG, NULL)        = -1 ECHILD (No child processes)
waitid(P_ALL, 0, {si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=43, si_uid=0, si_status=SIGKILL, si_utime=0, si_stime=0}, WEXITED, NULL) = 0
dup2(4, 1)                              = 1
dup3(3, 0, O_CLOEXEC)                   = 0
dup(9)                                  = -1 EBADF (Bad file descriptor)
fcntl(1, F_DUPFD, 10)                   = 11
fcntl(11, F_SETFD, FD_CLOEXEC)          = 0
fcntl(3, F_GETFD)                       = 0x1 (flags FD_CLOEXEC)
execve("/nope", ["nope"], 0x7ffd /* 3 vars */) = -1 ENOENT (No such file or directory)
kill(41, SIGTERM)                       = 0
tgkill(40, 42, SIGRT_1)                 = 0
kill(0, 0)                              = 0
exit_group(0)                           = ?
+++ killed by SIGSEGV (core dumped) +++
"#;
    let mut problems = Vec::new();
    let acts = strace::parse_task(text, &mut |l, why| problems.push(format!("{why}: {l}")));
    assert!(problems.is_empty(), "{problems:?}");
    let s = |x: &str| x.as_bytes().to_vec();
    let want = vec![
        Act::Exec {
            path: s("/usr/bin/sh"),
            argv: vec![s("sh"), s("-c"), s("echo \"a\\tb\"\n\x1b[0m")],
            errno: None,
        },
        Act::Pipe {
            read_fd: 3,
            write_fd: 4,
        },
        Act::Spawn {
            child: 41,
            thread: false,
            how: "clone → fork".into(),
        },
        Act::Spawn {
            child: 42,
            thread: true,
            how: "clone3 → thread, shared fd table".into(),
        },
        Act::Spawn {
            child: 44,
            thread: false,
            how: "clone3 → vfork".into(),
        },
        Act::CloseRange {
            first: 3,
            last: u32::MAX,
            cloexec: false,
        },
        Act::CloseRange {
            first: 3,
            last: u32::MAX,
            cloexec: true,
        },
        Act::Reap {
            status: "killed by SIGSEGV (core dumped)".into(),
        },
        Act::Reap {
            status: "killed by SIGKILL".into(),
        },
        Act::Dup {
            call: "dup2",
            old_fd: 4,
            new_fd: 1,
        },
        Act::Dup {
            call: "dup3",
            old_fd: 3,
            new_fd: 0,
        },
        Act::Dup {
            call: "fcntl",
            old_fd: 1,
            new_fd: 11,
        },
        Act::SetCloexec { fd: 11, on: true },
        Act::Exec {
            path: s("/nope"),
            argv: vec![s("nope")],
            errno: Some("ENOENT".into()),
        },
        Act::Kill {
            call: "kill",
            target: 41,
            signal: "SIGTERM".into(),
        },
        Act::Kill {
            call: "tgkill",
            target: 42,
            signal: "SIGRTMIN+1".into(),
        },
        Act::Kill {
            call: "kill",
            target: 0,
            signal: "SIG0".into(),
        },
        Act::End {
            status: "killed by SIGSEGV (core dumped)".into(),
        },
    ];
    assert_eq!(acts, want);
}

#[test]
fn gcc_temp_names_are_masked() {
    assert_eq!(
        mask_temp_names("-o /tmp/ccBWBF7g.s x"),
        "-o /tmp/ccXXXXXX.s x"
    );
    assert_eq!(mask_temp_names("/usr/bin/cc"), "/usr/bin/cc");
    assert_eq!(
        mask_temp_names("-fresolution=/tmp/cccOpylZ.res"),
        "-fresolution=/tmp/ccXXXXXX.res"
    );
}

#[test]
fn a_missing_event_on_one_side_is_reported_as_a_diff() {
    let exec = |argv: &[&str]| Act::Exec {
        path: format!("/usr/bin/{}", argv[0]).into_bytes(),
        argv: argv.iter().map(|a| a.as_bytes().to_vec()).collect(),
        errno: None,
    };
    let build = |root: Tid, with_pipe: bool| {
        let mut r = Run::default();
        r.push(root, exec(&["sh", "-c", "seq 3 | cat"]));
        if with_pipe {
            r.push(
                root,
                Act::Pipe {
                    read_fd: 3,
                    write_fd: 4,
                },
            );
        }
        r.push(
            root,
            Act::Spawn {
                child: root + 1,
                thread: false,
                how: creation("clone", "fork", false),
            },
        );
        r.push(root + 1, exec(&["seq", "3"]));
        r.push(root + 1, Act::End { status: exited(0) });
        r.push(root, Act::End { status: exited(0) });
        r
    };
    // Different pids, same behaviour: no difference.
    assert_eq!(
        diff(&summarize(&build(100, true)), &summarize(&build(7, true))),
        ""
    );
    let d = diff(&summarize(&build(100, true)), &summarize(&build(7, false)));
    assert!(
        d.contains("pipes") && d.contains("sh -c \"seq 3 | cat\": pipe [3, 4]"),
        "{d}"
    );
    assert!(d.contains("strace   1 × | forkscope   0 ×"), "{d}");
}

#[test]
fn threads_are_not_counted_as_processes() {
    let mut r = Run::default();
    r.push(
        1,
        Act::Spawn {
            child: 2,
            thread: true,
            how: creation("clone3", "thread", true),
        },
    );
    r.push(
        2,
        Act::Spawn {
            child: 3,
            thread: false,
            how: creation("clone", "fork", false),
        },
    );
    r.push(2, Act::End { status: exited(0) });
    r.push(3, Act::End { status: exited(5) });
    r.push(1, Act::End { status: exited(0) });
    let s = summarize(&r);
    assert_eq!(s.checks[COUNTS]["processes"], 2);
    assert_eq!(s.checks[COUNTS]["threads"], 1);
    assert_eq!(s.count(EXITS), 2);
}
