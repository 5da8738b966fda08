//! `forkscope replay`: the annotated timeline (text or JSON), the full state
//! at one moment (`--at`), and the check of the model against the kernel's
//! fd tables (`--verify`).

use super::style::Style;
use super::{ReplayArgs, SeqRange};
use crate::render::lang::{self, Lang};
use crate::render::{describe, narrate};
use crate::replay::{Replay, Step};
use crate::trace::{EventKind, Pid};
use anyhow::Context;
use std::collections::HashSet;
use std::io::{BufWriter, Write};

/// Syscall names `--kind` accepts besides event kinds: (name, the event
/// kind it makes, whether the call's own name must match too, as for
/// dup2 among the dups; otherwise every event of the kind matches, as
/// openat for every open).
const SYSCALL_KINDS: &[(&str, &str, bool)] = &[
    ("execve", "exec", false),
    ("execveat", "exec", false),
    ("fork", "fork", true),
    ("vfork", "fork", true),
    ("clone", "fork", true),
    ("clone3", "fork", true),
    ("pipe2", "pipe", false),
    ("dup2", "dup", true),
    ("dup3", "dup", true),
    ("fcntl", "dup", true),
    ("openat", "open", false),
    ("openat2", "open", false),
    ("creat", "open", false),
    ("socketpair", "socket", true),
    ("accept", "socket", true),
    ("accept4", "socket", true),
    ("mknod", "mkfifo", false),
    ("mknodat", "mkfifo", false),
    ("wait4", "wait", true),
    ("waitid", "wait", true),
    ("waitpid", "wait", false),
    ("tkill", "kill", true),
    ("tgkill", "kill", true),
    ("exit_group", "exit", false),
];

/// The syscall a step's call names (`dup2` in `dup2(4, 1)`), and for a
/// fork the syscall under it (`clone` under glibc's `fork()`).
fn call_names(step: &Step) -> [String; 2] {
    let call = narrate::call(&step.event, &crate::render::labels::Labels::default());
    let name = call.split('(').next().unwrap_or_default().to_string();
    let under = match &step.event.kind {
        EventKind::Fork { syscall, .. } => syscall.clone(),
        _ => String::new(),
    };
    [name, under]
}

/// Did the call fail (an errno, or an exec that did not happen)?
fn failed(ev: &crate::trace::Event) -> bool {
    match serde_json::to_value(&ev.kind) {
        Ok(v) => {
            v.get("errno").is_some_and(|e| !e.is_null())
                || v.get("ok").is_some_and(|ok| ok == false)
        }
        Err(_) => false,
    }
}

/// Which events to show.
pub(super) struct Filter {
    /// Syscall names asked for whose call name must match (dup2, wait4).
    calls: HashSet<String>,
    /// Failed calls only (Some(true)) or successful ones only (Some(false)).
    failed: Option<bool>,
    kinds: Option<HashSet<String>>,
    pids: Option<HashSet<Pid>>,
    descendants: bool,
    collapse_files: bool,
    range: SeqRange,
}

impl Filter {
    /// The steps of a diagram's HTML page: events of `pid` and its
    /// descendants (all with `None`), without regular-file opens and closes
    /// when `collapse_files`, within `range`.
    pub(super) fn steps(pid: Option<Pid>, collapse_files: bool, range: SeqRange) -> Filter {
        Filter {
            calls: HashSet::new(),
            failed: None,
            kinds: None,
            pids: pid.map(|p| HashSet::from([p])),
            descendants: true,
            collapse_files,
            range,
        }
    }

    /// No event after `seq` can be kept.
    pub(super) fn done_after(&self, seq: u64) -> bool {
        self.range.ended_by(seq)
    }

    pub(super) fn new(args: &ReplayArgs) -> anyhow::Result<Filter> {
        let mut calls = HashSet::new();
        let kinds = if args.kind.is_empty() {
            None
        } else {
            let mut kinds = HashSet::new();
            for k in &args.kind {
                if EventKind::KNOWN.contains(&k.as_str()) {
                    kinds.insert(k.clone());
                    continue;
                }
                if let Some((_, kind, exact)) = SYSCALL_KINDS.iter().find(|(n, ..)| n == k) {
                    if *exact {
                        calls.insert(k.clone());
                    } else {
                        kinds.insert(kind.to_string());
                    }
                    continue;
                }
                let names: Vec<&str> = SYSCALL_KINDS.iter().map(|(n, ..)| *n).collect();
                match lang::current() {
                    Lang::En => anyhow::bail!(
                        "unknown event kind {k:?}; kinds are: {}; syscall names: {}",
                        EventKind::KNOWN.join(", "),
                        names.join(", ")
                    ),
                    Lang::Zh => anyhow::bail!(
                        "没有 {k:?} 这种事件；事件种类有：{}；系统调用名有：{}",
                        EventKind::KNOWN.join(", "),
                        names.join(", ")
                    ),
                }
            }
            Some(kinds)
        };
        Ok(Filter {
            calls,
            failed: match (args.failed, args.successful) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            kinds,
            pids: args.pid.map(|p| HashSet::from([p])),
            descendants: !args.no_descendants,
            collapse_files: args.collapse_files,
            range: args.range.unwrap_or_default(),
        })
    }

    /// Decides for one step (and follows forks into the pid set).
    pub(super) fn keep(&mut self, step: &Step) -> bool {
        let ev = &step.event;
        let pid_ok = match &mut self.pids {
            None => true,
            Some(set) => {
                let inside = set.contains(&ev.pid);
                if inside {
                    if let EventKind::Fork { child, flavor, .. } = ev.kind {
                        if self.descendants || flavor == crate::trace::ForkFlavor::Thread {
                            set.insert(child);
                        }
                    }
                }
                inside
            }
        };
        let kind_ok = match &self.kinds {
            None => true,
            Some(k) => {
                k.contains(ev.kind.name())
                    || (!self.calls.is_empty()
                        && call_names(step).iter().any(|n| self.calls.contains(n)))
            }
        };
        pid_ok
            && self.range.contains(ev.seq)
            && kind_ok
            && self.failed.is_none_or(|f| f == failed(ev))
            && !(self.collapse_files && only_about_a_file(step))
    }
}

/// Does the event only open or close a file (a regular file, /proc, a
/// directory: nothing about processes, pipes, FIFOs, sockets or devices)?
/// Failed opens count too: they change nothing.
pub fn only_about_a_file(step: &Step) -> bool {
    let file = |what: &str| what.starts_with('/') && !what.starts_with("/dev/");
    match &step.event.kind {
        EventKind::Open { errno: Some(_), .. } => true,
        EventKind::Open {
            target: None, path, ..
        } => file(&path.lossy()) || !path.as_bytes().starts_with(b"/dev/"),
        EventKind::Close { .. } => step.before.replaced.as_ref().is_some_and(|f| f.is_path()),
        _ => false,
    }
}

/// One timeline line: `#41 4102 sh  dup2(4, 1)  fd 1 now writes into ...`.
pub fn timeline_line<R: std::io::BufRead>(r: &Replay<R>, step: &Step, style: &Style) -> String {
    let ev = &step.event;
    let call = narrate::call(ev, &r.labels);
    let sentence = narrate::sentence(
        lang::current(),
        &r.model,
        ev,
        &step.before,
        &step.applied,
        &r.labels,
    );
    let prog = describe::pid_name(&r.model, ev.pid);
    let failed = matches!(
        &ev.kind,
        EventKind::Exec { ok: false, .. }
            | EventKind::Open { errno: Some(_), .. }
            | EventKind::Dup { errno: Some(_), .. }
    );
    let call = if failed {
        style.bad(&call)
    } else {
        style.call(&call)
    };
    let mut line = format!(
        "{} {} {}  {call}",
        style.dim(&format!("#{}", ev.seq)),
        style.pid(&ev.pid.to_string()),
        style.prog(&prog),
    );
    if let Some(s) = sentence {
        let s = if s.contains("zombie") || s.contains("僵尸") || s.contains("SIGPIPE") {
            style.bad(&s)
        } else if s.contains("EOF") {
            style.good(&s)
        } else {
            s
        };
        line.push_str("  ");
        line.push_str(&style.dim("—"));
        line.push(' ');
        line.push_str(&s);
    }
    line
}

/// Runs `forkscope replay`.
pub fn run(args: ReplayArgs, style: Style) -> anyhow::Result<i32> {
    let mut r = Replay::open(&args.trace)?;
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let code = if args.verify {
        verify(&mut r, &mut out, &style, &args)?
    } else if let Some(at) = args.at {
        state_at(&mut r, &mut out, &style, at, &args)?
    } else {
        timeline(&mut r, &mut out, &style, &args)?
    };
    out.flush()?;
    for w in r.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", args.trace.display());
    }
    Ok(code)
}

pub(super) fn timeline<R: std::io::BufRead>(
    r: &mut Replay<R>,
    out: &mut impl Write,
    style: &Style,
    args: &ReplayArgs,
) -> anyhow::Result<i32> {
    let mut filter = Filter::new(args)?;
    let mut pid_seen = args.pid.is_none();
    let mut last_ts: Option<u64> = None;
    while let Some(step) = r.step()? {
        let seq = step.event.seq;
        pid_seen = pid_seen || mentions(&step, args.pid);
        if !filter.keep(&step) {
            if filter.done_after(seq) {
                break;
            }
            continue;
        }
        if args.json {
            serde_json::to_writer(&mut *out, &step.event)?;
            writeln!(out)?;
        } else if args.time || args.relative || args.durations {
            let ts = step.event.ts_ns;
            let mut line = String::new();
            if args.time {
                let unix_ns = r.header().start_unix_ns.saturating_add(ts);
                line.push_str(&style.dim(&wall_clock(unix_ns)));
                line.push(' ');
            }
            if args.relative {
                let since = ts.saturating_sub(last_ts.unwrap_or(ts));
                line.push_str(&style.dim(&format!("{:>10.6}", since as f64 / 1e9)));
                line.push(' ');
                last_ts = Some(ts);
            }
            line.push_str(&timeline_line(r, &step, style));
            if args.durations {
                if let Some(d) = lasted(r, &step) {
                    line.push_str(&style.dim(&d));
                }
            }
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{}", timeline_line(r, &step, style))?;
        }
        if filter.done_after(seq) {
            break;
        }
    }
    no_such_pid(r, args, pid_seen)?;
    Ok(0)
}

/// `HH:MM:SS.uuuuuu` in local time, as strace -tt prints it.
fn wall_clock(unix_ns: u64) -> String {
    let secs = (unix_ns / 1_000_000_000) as libc::time_t;
    let micros = (unix_ns % 1_000_000_000) / 1000;
    // SAFETY: localtime_r reads `secs` and writes only into `tm`, which is
    // a plain C struct for which all-zero bytes are a valid value.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&secs, &mut tm).is_null() {
            return format!("{}.{micros:06}", unix_ns / 1_000_000_000);
        }
        tm
    };
    format!(
        "{:02}:{:02}:{:02}.{micros:06}",
        tm.tm_hour, tm.tm_min, tm.tm_sec
    )
}

/// `--durations`: how long what the step ended lasted, where the trace
/// knows: a process's life at its exit, a child's zombie time at the wait
/// that reaped it.
fn lasted<R: std::io::BufRead>(r: &Replay<R>, step: &Step) -> Option<String> {
    let ev = &step.event;
    let tree = r.model.tree();
    let zh = lang::current() == Lang::Zh;
    match &ev.kind {
        EventKind::Exit { .. } => {
            let p = tree.get(ev.pid)?;
            let exit = p.exit?;
            if exit.at.seq != ev.seq {
                return None;
            }
            let d = super::tree::secs(exit.at.ts_ns.saturating_sub(p.born.ts_ns));
            Some(match zh {
                false => format!("  <lived {d}>"),
                true => format!("  <活了 {d}>"),
            })
        }
        EventKind::Wait {
            reaped: Some(child),
            ..
        } => {
            let c = tree
                .iter()
                .find(|p| p.pid == *child && p.reap.is_some_and(|rp| rp.at.seq == ev.seq))?;
            let d = super::tree::secs(c.reap?.at.ts_ns.saturating_sub(c.exit?.at.ts_ns));
            Some(match zh {
                false => format!("  <zombie {d}>"),
                true => format!("  <僵尸 {d}>"),
            })
        }
        _ => None,
    }
}

/// Is `pid` the event's process, or the child its fork made?
fn mentions(step: &Step, pid: Option<Pid>) -> bool {
    let Some(pid) = pid else { return false };
    step.event.pid == pid
        || matches!(step.event.kind, EventKind::Fork { child, .. } if child == pid)
}

/// `--pid` of a process the trace never shows is an error, not an empty
/// timeline (the rest of the trace is read when the range ended early).
fn no_such_pid<R: std::io::BufRead>(
    r: &mut Replay<R>,
    args: &ReplayArgs,
    mut seen: bool,
) -> anyhow::Result<()> {
    while !seen {
        match r.step()? {
            Some(step) => seen = mentions(&step, args.pid),
            None => break,
        }
    }
    match (seen, args.pid, lang::current()) {
        (false, Some(pid), Lang::En) => anyhow::bail!(
            "{}: no process {pid} in the trace (`forkscope tree` lists them)",
            args.trace.display()
        ),
        (false, Some(pid), Lang::Zh) => anyhow::bail!(
            "{}：trace 里没有进程 {pid}（`forkscope tree` 会列出所有进程）",
            args.trace.display()
        ),
        _ => Ok(()),
    }
}

fn state_at<R: std::io::BufRead>(
    r: &mut Replay<R>,
    out: &mut impl Write,
    style: &Style,
    at: u64,
    args: &ReplayArgs,
) -> anyhow::Result<i32> {
    let mut last = None;
    while let Some(step) = r.step()? {
        let seq = step.event.seq;
        last = Some((seq, timeline_line(r, &step, style)));
        if seq >= at {
            break;
        }
    }
    let zh = lang::current() == Lang::Zh;
    let Some((seq, line)) = last else {
        match zh {
            false => anyhow::bail!("{}: the trace has no events", args.trace.display()),
            true => anyhow::bail!("{}：这个 trace 里没有事件", args.trace.display()),
        }
    };
    if seq < at {
        match zh {
            false => anyhow::bail!(
                "{}: there is no event #{at}: the last one is #{seq}",
                args.trace.display()
            ),
            true => anyhow::bail!(
                "{}：没有事件 #{at}，最后一个事件是 #{seq}",
                args.trace.display()
            ),
        }
    }
    let m = &r.model;
    if let Some(pid) = args.pid {
        let alive = m
            .tree()
            .get(pid)
            .is_some_and(|p| p.state != crate::model::ProcessState::Reaped);
        if !alive {
            match zh {
                false => anyhow::bail!(
                    "{}: process {pid} is not alive after #{seq}: choose a moment when it is (`forkscope tree` shows when each process lived)",
                    args.trace.display()
                ),
                true => anyhow::bail!(
                    "{}：#{seq} 之后进程 {pid} 已经不在了：请选一个它还活着的时刻（`forkscope tree` 显示每个进程活着的时段）",
                    args.trace.display()
                ),
            }
        }
    }
    let scope: Option<HashSet<Pid>> = args.pid.map(|p| subtree(m, p, !args.no_descendants));
    if args.json {
        let v = state_json(r, seq, scope.as_ref());
        serde_json::to_writer(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(0);
    }
    match zh {
        false => writeln!(out, "State after {line}")?,
        true => writeln!(out, "执行完这一步之后的状态：{line}")?,
    }
    writeln!(out)?;
    writeln!(out, "{}", style.prog(if zh { "进程" } else { "Processes" }))?;
    for p in m.tree().iter() {
        if p.state == crate::model::ProcessState::Reaped {
            continue;
        }
        if scope.as_ref().is_some_and(|s| !s.contains(&p.pid)) {
            continue;
        }
        let parent = m
            .tree()
            .parent(p.id)
            .map(|pp| match zh {
                false => format!(", parent {}", pp.pid),
                true => format!("，父进程 {}", pp.pid),
            })
            .unwrap_or_default();
        let state = match (zh, p.state) {
            (false, crate::model::ProcessState::Running) => "running".to_string(),
            (true, crate::model::ProcessState::Running) => "运行中".to_string(),
            (false, crate::model::ProcessState::Stopped { signal }) => {
                format!("stopped by {signal}")
            }
            (true, crate::model::ProcessState::Stopped { signal }) => {
                format!("被 {signal} 暂停")
            }
            (false, crate::model::ProcessState::Zombie) => style.bad("zombie"),
            (true, crate::model::ProcessState::Zombie) => style.bad("僵尸进程"),
            (false, crate::model::ProcessState::Reaped) => "reaped".to_string(),
            (true, crate::model::ProcessState::Reaped) => "已回收".to_string(),
        };
        let (open, close) = if zh { ("（", "）") } else { (" (", ")") };
        writeln!(
            out,
            "  {} {}{open}{state}{parent}{close}",
            style.pid(&p.pid.to_string()),
            style.prog(&describe::process_name(m, p)),
        )?;
        for v in m.fds(p.pid) {
            let shared = match (zh, v.file.refcount()) {
                (_, 0..=1) => String::new(),
                (false, n) => format!(" [open file {} shared by {n} fds]", v.file.id),
                (true, n) => format!(" [打开文件 {}，被 {n} 个 fd 共享]", v.file.id),
            };
            let cloexec = match (zh, v.cloexec) {
                (_, false) => "",
                (false, true) => " (close-on-exec)",
                (true, true) => "（close-on-exec）",
            };
            writeln!(
                out,
                "      fd {:<3} -> {}{cloexec}{shared}",
                v.fd,
                narrate::open_file(lang::current(), v.file, &r.labels)
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "{}", style.prog(if zh { "管道" } else { "Pipes" }))?;
    let pipes = m.pipes();
    if pipes.is_empty() {
        writeln!(
            out,
            "{}",
            if zh {
                "  （没有打开的管道）"
            } else {
                "  (none open)"
            }
        )?;
    }
    let fmt = |v: &[(Pid, i32)]| {
        if v.is_empty() {
            if zh { "无" } else { "none" }.to_string()
        } else {
            v.iter()
                .map(|(p, fd)| format!("{p} fd {fd}"))
                .collect::<Vec<_>>()
                .join(if zh { "、" } else { ", " })
        }
    };
    for p in pipes {
        let Some(h) = m.pipe_holders(p.id) else {
            continue;
        };
        // The same words as every drawing (an inherited pipe may have ends
        // outside the trace: it promises neither EOF nor SIGPIPE).
        let inherited = matches!(p.origin, crate::model::PipeOrigin::Inherited { .. });
        let extra = match crate::words::diagram::pipe_verdict(
            lang::current(),
            h.writers.len(),
            h.readers.len(),
            h.unknown.len(),
            inherited,
        ) {
            Some(v) if v.eof => style.good(&paren(&v.text, zh)),
            Some(v) if v.bad => style.bad(&paren(&v.text, zh)),
            _ => String::new(),
        };
        match zh {
            false => writeln!(
                out,
                "  {}: write end held by {}; read end held by {}{}{extra}",
                r.labels.pipe(p.id),
                fmt(&h.writers),
                fmt(&h.readers),
                if h.unknown.is_empty() {
                    String::new()
                } else {
                    format!("; unknown end held by {}", fmt(&h.unknown))
                },
            )?,
            true => {
                // 写端由 18576 fd 4 持有 / 没有进程持有写端
                let held = |v: &[(Pid, i32)], end: &str| {
                    if v.is_empty() {
                        format!("没有进程持有{end}")
                    } else {
                        format!("{end}由 {} 持有", fmt(v))
                    }
                };
                let unknown = if h.unknown.is_empty() {
                    String::new()
                } else {
                    format!("；{} 也持有它，但不知道是哪一端", fmt(&h.unknown))
                };
                writeln!(
                    out,
                    "  {}：{}；{}{unknown}{extra}",
                    r.labels.pipe(p.id),
                    held(&h.writers, "写端"),
                    held(&h.readers, "读端"),
                )?
            }
        }
    }
    Ok(0)
}

/// `replay --at SEQ --json`: the state after event `seq` as one JSON
/// object (documented in the README): `after` (the seq), `processes` (each
/// live or zombie process with `pid`, `program`, `state`, `parent` and its
/// `fds`: `fd`, `cloexec`, `file` (the open file's id), `what`, `access`,
/// `shared_by`), and `pipes` (`name`, `writers`, `readers`, `unknown`: lists
/// of `[pid, fd]`).
fn state_json<R: std::io::BufRead>(
    r: &Replay<R>,
    seq: u64,
    scope: Option<&HashSet<Pid>>,
) -> serde_json::Value {
    use crate::model::{Access, ProcessState};
    use serde_json::json;
    let m = &r.model;
    let processes: Vec<serde_json::Value> = m
        .tree()
        .iter()
        .filter(|p| p.state != ProcessState::Reaped)
        .filter(|p| scope.is_none_or(|s| s.contains(&p.pid)))
        .map(|p| {
            let state = match p.state {
                ProcessState::Running => "running".to_string(),
                ProcessState::Stopped { signal } => format!("stopped by {signal}"),
                ProcessState::Zombie => "zombie".to_string(),
                ProcessState::Reaped => "reaped".to_string(),
            };
            let fds: Vec<serde_json::Value> = m
                .fds(p.pid)
                .into_iter()
                .map(|v| {
                    json!({
                        "fd": v.fd,
                        "cloexec": v.cloexec,
                        "file": v.file.id.get(),
                        "what": narrate::open_file(lang::current(), v.file, &r.labels),
                        "access": match v.file.access {
                            Access::Read => "read",
                            Access::Write => "write",
                            Access::ReadWrite => "read-write",
                            Access::Unknown => "unknown",
                        },
                        "shared_by": v.file.refcount(),
                    })
                })
                .collect();
            json!({
                "pid": p.pid,
                "program": describe::process_name(m, p),
                "state": state,
                "parent": m.tree().parent(p.id).map(|pp| pp.pid),
                "fds": fds,
            })
        })
        .collect();
    let pipes: Vec<serde_json::Value> = m
        .pipes()
        .iter()
        .filter_map(|p| {
            let h = m.pipe_holders(p.id)?;
            Some(json!({
                "name": r.labels.pipe(p.id).to_string(),
                "writers": h.writers,
                "readers": h.readers,
                "unknown": h.unknown,
            }))
        })
        .collect();
    json!({ "after": seq, "processes": processes, "pipes": pipes })
}

/// `pid` and (optionally) its live descendants.
/// `  (text)`, with Chinese brackets in Chinese.
fn paren(text: &str, zh: bool) -> String {
    if zh {
        format!("  （{text}）")
    } else {
        format!("  ({text})")
    }
}

fn subtree(m: &crate::model::Model, pid: Pid, descendants: bool) -> HashSet<Pid> {
    let mut set = HashSet::from([pid]);
    if let (true, Some(p)) = (descendants, m.tree().get(pid)) {
        let mut stack = vec![p.id];
        while let Some(id) = stack.pop() {
            for c in m.tree().children(id) {
                set.insert(c.pid);
                stack.push(c.id);
            }
        }
    }
    set
}

fn verify<R: std::io::BufRead>(
    r: &mut Replay<R>,
    out: &mut impl Write,
    style: &Style,
    args: &ReplayArgs,
) -> anyhow::Result<i32> {
    let mut snapshots = 0u64;
    let mut exit_snapshots = 0u64;
    let mut divergences = 0u64;
    let mut anomalies = 0u64;
    let mut events = 0u64;
    let (mut unseen, mut contradictions) = (0u64, 0u64);
    while let Some(step) = r.step()? {
        events += 1;
        if matches!(
            step.event.kind,
            EventKind::Exec {
                fds: Some(_),
                ok: true,
                ..
            }
        ) {
            snapshots += 1;
        }
        if matches!(step.event.kind, EventKind::FdSnapshot { .. }) {
            exit_snapshots += 1;
        }
        for d in r.verify(&step) {
            let prog = describe::pid_name(&r.model, d.pid);
            if d.unseen {
                unseen += 1;
                unseen_note(out, style, &d, &prog)?;
                continue;
            }
            divergences += 1;
            let nothing = lang::current().pick("nothing", "无");
            match lang::current() {
                Lang::En => writeln!(
                    out,
                    "{} #{} pid {} ({prog}) fd {}: model has {}, kernel has {}",
                    style.bad("divergence"),
                    d.seq,
                    d.pid,
                    d.fd,
                    d.model.as_deref().unwrap_or(nothing),
                    d.kernel.as_deref().unwrap_or(nothing),
                )?,
                Lang::Zh => writeln!(
                    out,
                    "{} #{} pid {}（{prog}）fd {}：模型里是 {}，内核里是 {}",
                    style.bad("不一致"),
                    d.seq,
                    d.pid,
                    d.fd,
                    d.model.as_deref().unwrap_or(nothing),
                    d.kernel.as_deref().unwrap_or(nothing),
                )?,
            }
        }
        for n in &step.applied.notes {
            if let crate::model::Note::FdUnseen { pid, fd, appeared } = *n {
                unseen += 1;
                let prog = describe::pid_name(&r.model, pid);
                let what = r
                    .model
                    .fds(pid)
                    .into_iter()
                    .find(|v| v.fd == fd)
                    .map(|v| v.file.object.to_string());
                let d = crate::model::Divergence {
                    seq: step.event.seq,
                    pid,
                    fd,
                    model: (!appeared).then(String::new),
                    kernel: if appeared { what } else { None },
                    unseen: true,
                };
                unseen_note(out, style, &d, &prog)?;
            }
        }
        for a in &step.applied.anomalies {
            anomalies += 1;
            // A close of an fd the model does not have is the program's own
            // EBADF (shells do it) unless a kernel snapshot shows the fd was
            // open, which is then a divergence: it does not fail the check.
            if !matches!(a, crate::model::Anomaly::CloseNotOpen { .. }) {
                contradictions += 1;
            }
            writeln!(
                out,
                "{} {a}",
                style.dim(lang::current().pick("anomaly", "异常"))
            )?;
        }
    }
    match lang::current() {
        Lang::En => writeln!(
            out,
            "{}: {events} events replayed; {snapshots} kernel fd tables checked at exec{}; {} divergence{}; {anomalies} anomal{}",
            args.trace.display(),
            if exit_snapshots > 0 {
                format!(", {exit_snapshots} at exit")
            } else {
                String::new()
            },
            divergences,
            if divergences == 1 { "" } else { "s" },
            if anomalies == 1 { "y" } else { "ies" },
        ),
        Lang::Zh => writeln!(
            out,
            "{}：重放了 {events} 个事件；在 exec 时对照了 {snapshots} 张内核 fd 表{}；{divergences} 处不一致；{anomalies} 处异常",
            args.trace.display(),
            if exit_snapshots > 0 {
                format!("，在退出时对照了 {exit_snapshots} 张")
            } else {
                String::new()
            },
        ),
    }
    .context("writing the report")?;
    if unseen > 0 {
        match lang::current() {
            Lang::En => writeln!(
                out,
                "{}: {unseen} fd(s) appeared or vanished unseen: io_uring opens and closes fds without a syscall, which forkscope cannot see",
                style.dim("note")
            ),
            Lang::Zh => writeln!(
                out,
                "{}：有 {unseen} 个 fd 在没被看到的情况下出现或消失了：io_uring 不经过系统调用就能打开和关闭 fd，forkscope 看不到",
                style.dim("注意")
            ),
        }
        .context("writing the report")?;
    }
    // Divergences, and anomalies that contradict the kernel, fail the check.
    Ok(if divergences > 0 || contradictions > 0 {
        1
    } else {
        0
    })
}

/// One fd that appeared or vanished in a process using io_uring.
fn unseen_note(
    out: &mut impl Write,
    style: &Style,
    d: &crate::model::Divergence,
    prog: &str,
) -> anyhow::Result<()> {
    let appeared = d.model.is_none();
    let what = d
        .kernel
        .as_deref()
        .or(d.model.as_deref())
        .filter(|w| !w.is_empty())
        .map(|w| format!("{w}{}", lang::current().pick("; ", "；")))
        .unwrap_or_default();
    match (lang::current(), appeared) {
        (Lang::En, true) => writeln!(
            out,
            "{} #{} pid {} ({prog}) fd {}: appeared unseen ({what}the process uses io_uring)",
            style.dim("note"),
            d.seq,
            d.pid,
            d.fd
        )?,
        (Lang::En, false) => writeln!(
            out,
            "{} #{} pid {} ({prog}) fd {}: vanished unseen ({what}the process uses io_uring)",
            style.dim("note"),
            d.seq,
            d.pid,
            d.fd
        )?,
        (Lang::Zh, true) => writeln!(
            out,
            "{} #{} pid {}（{prog}）fd {}：没被看到就出现了（{what}这个进程用了 io_uring）",
            style.dim("注意"),
            d.seq,
            d.pid,
            d.fd
        )?,
        (Lang::Zh, false) => writeln!(
            out,
            "{} #{} pid {}（{prog}）fd {}：没被看到就消失了（{what}这个进程用了 io_uring）",
            style.dim("注意"),
            d.seq,
            d.pid,
            d.fd
        )?,
    }
    Ok(())
}
