//! The annotated timeline, as `replay` prints it and as `demo` and
//! `record --live` show it: a line per kept event (text, with wall-clock
//! or relative times and durations, or JSON), and the `--kind`, `--pid`,
//! `--failed` and `--range` choices turned into a [`Filter`].

use super::style::Style;
use super::ReplayArgs;
use crate::render::state;
use crate::replay::filter::Filter;
use crate::replay::{Replay, Step};
use crate::trace::{EventKind, Pid};
use crate::words::narrate::{listing, Listing};
use crate::words::Lang;
use std::collections::HashSet;
use std::io::Write;

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
    ("prctl", "rename", false),
];

/// The [`Filter`] `replay`'s options ask for; an unknown `--kind` is an
/// error naming the kinds and syscall names there are.
pub(super) fn filter(args: &ReplayArgs, lang: Lang) -> anyhow::Result<Filter> {
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

pub(crate) fn timeline_in<R: std::io::BufRead>(
    lang: Lang,
    r: &mut Replay<R>,
    out: &mut impl Write,
    style: &Style,
    args: &ReplayArgs,
) -> anyhow::Result<i32> {
    let mut filter = filter(args, lang)?;
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
