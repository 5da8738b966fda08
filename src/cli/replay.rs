//! `forkscope replay`: the annotated timeline (text or JSON), the full state
//! at one moment (`--at`), and the check of the model against the kernel's
//! fd tables (`--verify`).

use super::style::Style;
use super::{ReplayArgs, SeqRange};
use crate::render::{narrate, state};
use crate::replay::{Replay, Step};
use crate::trace::{EventKind, Pid};
use crate::words::narrate::{listing, Listing};
use crate::words::Lang;
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
    let call = narrate::call(&step.event, &crate::model::labels::Labels::default());
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

    pub(super) fn new(args: &ReplayArgs, lang: Lang) -> anyhow::Result<Filter> {
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
                let unknown = Listing::UnknownKind {
                    kind: k.clone(),
                    kinds: EventKind::KNOWN.join(", "),
                    syscalls: names.join(", "),
                };
                anyhow::bail!("{}", listing(lang, &unknown));
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

/// Runs `forkscope replay`.
pub fn run(args: ReplayArgs, style: Style, lang: Lang) -> anyhow::Result<i32> {
    let mut r = Replay::open(&args.trace)?;
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let code = if args.verify {
        let trace = args.trace.display().to_string();
        state::verify(lang, &mut r, &mut out, &style, &trace).context("writing the report")?
    } else if let Some(at) = args.at {
        state_at(lang, &mut r, &mut out, &style, at, &args)?
    } else {
        timeline_in(lang, &mut r, &mut out, &style, &args)?
    };
    out.flush()?;
    for w in r.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", args.trace.display());
    }
    Ok(code)
}

pub(crate) fn timeline_in<R: std::io::BufRead>(
    lang: Lang,
    r: &mut Replay<R>,
    out: &mut impl Write,
    style: &Style,
    args: &ReplayArgs,
) -> anyhow::Result<i32> {
    let mut filter = Filter::new(args, lang)?;
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
            line.push_str(&state::timeline_line(lang, r, &step, style));
            if args.durations {
                if let Some(d) = state::lasted(lang, r, &step) {
                    line.push_str(&style.dim(&d));
                }
            }
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{}", state::timeline_line(lang, r, &step, style))?;
        }
        if filter.done_after(seq) {
            break;
        }
    }
    no_such_pid(lang, r, args, pid_seen)?;
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

/// Is `pid` the event's process, or the child its fork made?
fn mentions(step: &Step, pid: Option<Pid>) -> bool {
    let Some(pid) = pid else { return false };
    step.event.pid == pid
        || matches!(step.event.kind, EventKind::Fork { child, .. } if child == pid)
}

/// `--pid` of a process the trace never shows is an error, not an empty
/// timeline (the rest of the trace is read when the range ended early).
fn no_such_pid<R: std::io::BufRead>(
    lang: Lang,
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
    match (seen, args.pid) {
        (false, Some(pid)) => {
            let trace = args.trace.display().to_string();
            anyhow::bail!(
                "{}",
                listing(lang, &Listing::NoProcessInTimeline { trace, pid })
            )
        }
        _ => Ok(()),
    }
}

fn state_at<R: std::io::BufRead>(
    lang: Lang,
    r: &mut Replay<R>,
    out: &mut impl Write,
    style: &Style,
    at: u64,
    args: &ReplayArgs,
) -> anyhow::Result<i32> {
    let mut last = None;
    while let Some(step) = r.step()? {
        let seq = step.event.seq;
        last = Some((seq, state::timeline_line(lang, r, &step, style)));
        if seq >= at {
            break;
        }
    }
    let trace = args.trace.display().to_string();
    let Some((seq, line)) = last else {
        anyhow::bail!("{}", listing(lang, &Listing::NoEvents { trace }))
    };
    if seq < at {
        let no = Listing::NoSuchEvent {
            trace,
            at,
            last: seq,
        };
        anyhow::bail!("{}", listing(lang, &no))
    }
    let m = &r.model;
    if let Some(pid) = args.pid {
        let alive = m
            .tree()
            .get(pid)
            .is_some_and(|p| p.state != crate::model::ProcessState::Reaped);
        if !alive {
            let not = Listing::NotAlive { trace, pid, seq };
            anyhow::bail!("{}", listing(lang, &not))
        }
    }
    let scope: Option<HashSet<Pid>> = args.pid.map(|p| subtree(m, p, !args.no_descendants));
    if args.json {
        let v = state::json(lang, r, seq, scope.as_ref());
        serde_json::to_writer(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(0);
    }
    out.write_all(state::text(lang, r, &line, scope.as_ref(), style).as_bytes())?;
    Ok(0)
}

/// `pid` and (optionally) its live descendants.
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
