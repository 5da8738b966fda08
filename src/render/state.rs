//! The text of `forkscope replay`: one timeline line per event, the state
//! at one moment (`--at`, as text or JSON), and the report of `--verify`.
//! The words are [`crate::words::narrate`]'s: the sentence facts of each
//! event and the [`Listing`] facts around them.

use super::style::Style;
use crate::model::{Divergence, Note, ProcessState};
use crate::render::{describe, narrate};
use crate::replay::{Replay, Step};
use crate::trace::{EventKind, Pid};
use crate::words::narrate::{listing, Listing, Said};
use crate::words::Lang;
use std::collections::HashSet;
use std::io::{BufRead, Write};

/// How a timeline line's sentence is coloured.
fn tone(facts: &[Said], style: &Style, s: String) -> String {
    let sigpipe = |sig: &crate::trace::Sig| sig.0 == libc::SIGPIPE;
    let killed_by_sigpipe = |st: &crate::trace::Status| matches!(st, crate::trace::Status::Signaled { signaled, .. } if sigpipe(signaled));
    let bad = facts.iter().any(|f| match f {
        Said::Zombie { .. } | Said::ReapedByKernel { .. } | Said::NoZombies { .. } => true,
        Said::Broken { .. } => true,
        Said::Arrives { signal, .. }
        | Said::Sends { signal, .. }
        | Said::Stopped { signal, .. } => sigpipe(signal),
        Said::Reaps { status, .. } | Said::Ends { status, .. } => killed_by_sigpipe(status),
        _ => false,
    });
    if bad {
        style.bad(&s)
    } else if facts.iter().any(|f| matches!(f, Said::Eof { .. })) {
        style.good(&s)
    } else {
        s
    }
}

/// One timeline line: `#41 4102 sh  dup2(4, 1)  fd 1 now writes into ...`,
/// its sentence in `lang`.
pub fn timeline_line<R: BufRead>(lang: Lang, r: &Replay<R>, step: &Step, style: &Style) -> String {
    let ev = &step.event;
    let call = narrate::call(ev, &r.labels);
    let facts = narrate::facts(&r.model, ev, &step.before, &step.applied, &r.labels);
    let sentence = crate::words::narrate::sentence(lang, &facts);
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
        line.push_str("  ");
        line.push_str(&style.dim("\u{2014}"));
        line.push(' ');
        line.push_str(&tone(&facts, style, s));
    }
    line
}

/// `--durations`: how long what the step ended lasted, where the trace
/// knows: a process's life at its exit, a child's zombie time at the wait
/// that reaped it.
pub fn lasted<R: BufRead>(lang: Lang, r: &Replay<R>, step: &Step) -> Option<String> {
    let ev = &step.event;
    let tree = r.model.tree();
    match &ev.kind {
        EventKind::Exit { .. } => {
            let p = tree.get(ev.pid)?;
            let exit = p.exit?;
            if exit.at.seq != ev.seq {
                return None;
            }
            let d = super::tree::secs(exit.at.ts_ns.saturating_sub(p.born.ts_ns));
            Some(listing(lang, &Listing::Lived(d)))
        }
        EventKind::Wait {
            reaped: Some(child),
            ..
        } => {
            let c = tree
                .iter()
                .find(|p| p.pid == *child && p.reap.is_some_and(|rp| rp.at.seq == ev.seq))?;
            let d = super::tree::secs(c.reap?.at.ts_ns.saturating_sub(c.exit?.at.ts_ns));
            Some(listing(lang, &Listing::ZombieTime(d)))
        }
        _ => None,
    }
}

/// `replay --at`: every live process (in `scope`, when given) with its fd
/// table, then every pipe with its holders, after the event on `line`.
pub fn text<R: BufRead>(
    lang: Lang,
    r: &Replay<R>,
    line: &str,
    scope: Option<&HashSet<Pid>>,
    style: &Style,
) -> String {
    use std::fmt::Write as _;
    let m = &r.model;
    let mut out = String::new();
    let _ = writeln!(out, "{}", listing(lang, &Listing::StateAfter(line.into())));
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", style.prog(&listing(lang, &Listing::Processes)));
    for p in m.tree().iter() {
        if p.state == ProcessState::Reaped {
            continue;
        }
        if scope.is_some_and(|s| !s.contains(&p.pid)) {
            continue;
        }
        let parent = m
            .tree()
            .parent(p.id)
            .map(|pp| listing(lang, &Listing::Parent(pp.pid)))
            .unwrap_or_default();
        let state = listing(lang, &Listing::State(p.state));
        let state = if p.state == ProcessState::Zombie {
            style.bad(&state)
        } else {
            state
        };
        let _ = writeln!(
            out,
            "  {} {}{}",
            style.pid(&p.pid.to_string()),
            style.prog(&describe::process_name(m, p)),
            listing(lang, &Listing::Aside(format!("{state}{parent}"))),
        );
        for v in m.fds(p.pid) {
            let shared = match v.file.refcount() {
                0..=1 => String::new(),
                n => listing(
                    lang,
                    &Listing::SharedBy {
                        file: v.file.id.to_string(),
                        n,
                    },
                ),
            };
            let cloexec = if v.cloexec {
                listing(lang, &Listing::Cloexec)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "      fd {:<3} -> {}{cloexec}{shared}",
                v.fd,
                narrate::open_file(lang, v.file, &r.labels)
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", style.prog(&listing(lang, &Listing::Pipes)));
    let pipes = m.pipes();
    if pipes.is_empty() {
        let _ = writeln!(out, "{}", listing(lang, &Listing::NoPipes));
    }
    for p in pipes {
        let Some(h) = m.pipe_holders(p.id) else {
            continue;
        };
        // The same words as every drawing (an inherited pipe may have ends
        // outside the trace: it promises neither EOF nor SIGPIPE).
        let inherited = matches!(p.origin, crate::model::PipeOrigin::Inherited { .. });
        let extra = match crate::words::diagram::pipe_verdict(
            lang,
            h.writers.len(),
            h.readers.len(),
            h.unknown.len(),
            inherited,
        ) {
            Some(v) if v.eof => style.good(&listing(lang, &Listing::Note(v.text))),
            Some(v) if v.bad => style.bad(&listing(lang, &Listing::Note(v.text))),
            _ => String::new(),
        };
        let holders = Listing::PipeHolders {
            pipe: r.labels.pipe(p.id),
            writers: h.writers,
            readers: h.readers,
            unknown: h.unknown,
        };
        let _ = writeln!(out, "{}{extra}", listing(lang, &holders));
    }
    out
}

/// `replay --at SEQ --json`: the state after event `seq` as one JSON
/// object (documented in the README): `after` (the seq), `processes` (each
/// live or zombie process with `pid`, `program`, `state`, `parent` and its
/// `fds`: `fd`, `cloexec`, `file` (the open file's id), `what`, `access`,
/// `shared_by`), and `pipes` (`name`, `writers`, `readers`, `unknown`: lists
/// of `[pid, fd]`).
pub fn json<R: BufRead>(
    lang: Lang,
    r: &Replay<R>,
    seq: u64,
    scope: Option<&HashSet<Pid>>,
) -> serde_json::Value {
    use crate::model::Access;
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
                        "what": narrate::open_file(lang, v.file, &r.labels),
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

/// `replay --verify`: replays the rest of the trace, checking the model
/// against every fd table the kernel showed, and writes each divergence,
/// note and anomaly, then the summary, in `lang`. 1 when the check fails
/// (a divergence, or an anomaly that contradicts the kernel), else 0.
pub fn verify<R: BufRead>(
    lang: Lang,
    r: &mut Replay<R>,
    out: &mut impl Write,
    style: &Style,
    trace: &str,
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
                unseen_note(lang, out, style, &d, &prog)?;
                continue;
            }
            divergences += 1;
            let text = Listing::Divergence {
                label: style.bad(&listing(lang, &Listing::DivergenceWord)),
                seq: d.seq,
                pid: d.pid,
                program: prog,
                fd: d.fd,
                model: d.model.clone(),
                kernel: d.kernel.clone(),
            };
            writeln!(out, "{}", listing(lang, &text))?;
        }
        for n in &step.applied.notes {
            if let Note::FdUnseen { pid, fd, appeared } = *n {
                unseen += 1;
                let prog = describe::pid_name(&r.model, pid);
                let what = r
                    .model
                    .fds(pid)
                    .into_iter()
                    .find(|v| v.fd == fd)
                    .map(|v| v.file.object.to_string());
                let d = Divergence {
                    seq: step.event.seq,
                    pid,
                    fd,
                    model: (!appeared).then(String::new),
                    kernel: if appeared { what } else { None },
                    unseen: true,
                };
                unseen_note(lang, out, style, &d, &prog)?;
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
            writeln!(out, "{} {a}", style.dim(&listing(lang, &Listing::Anomaly)))?;
        }
    }
    let summary = Listing::Verified {
        trace: trace.to_string(),
        events,
        at_exec: snapshots,
        at_exit: exit_snapshots,
        divergences,
        anomalies,
    };
    writeln!(out, "{}", listing(lang, &summary))?;
    if unseen > 0 {
        let note = Listing::UnseenTotal {
            label: style.dim(&listing(lang, &Listing::NoteWord)),
            n: unseen,
        };
        writeln!(out, "{}", listing(lang, &note))?;
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
    lang: Lang,
    out: &mut impl Write,
    style: &Style,
    d: &Divergence,
    prog: &str,
) -> std::io::Result<()> {
    let what = d
        .kernel
        .as_deref()
        .or(d.model.as_deref())
        .filter(|w| !w.is_empty())
        .map(str::to_string);
    let note = Listing::Unseen {
        label: style.dim(&listing(lang, &Listing::NoteWord)),
        seq: d.seq,
        pid: d.pid,
        program: prog.to_string(),
        fd: d.fd,
        appeared: d.model.is_none(),
        what,
    };
    writeln!(out, "{}", listing(lang, &note))
}
