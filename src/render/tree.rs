//! The text of `forkscope tree`: the process tree of the whole recording,
//! like pstree but for history: each process with its exec chain, lifetime,
//! how it ended, its zombie time (exit to reap), and orphan adoption. Its
//! words are in [`crate::words::narrate::Listing`].

use super::style::Style;
use crate::model::{Model, Origin, Process, ProcessState};
use crate::render::describe;
use crate::words::narrate::{listing, Listing};
use crate::words::Lang;
use std::fmt::Write as _;

/// A duration for a reader: `40µs`, `12.3ms`, `1.25s`.
pub fn secs(ns: u64) -> String {
    if ns < 1_000_000 {
        format!("{:.0}µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.1}ms", ns as f64 / 1e6)
    } else {
        format!("{:.2}s", ns as f64 / 1e9)
    }
}

/// The most characters of argv a tree line shows.
const ARGS_SHOWN: usize = 60;

/// Arguments as a shell would need them quoted, cut to [`ARGS_SHOWN`]
/// characters with a visible `…` and how much was cut: `-c 'echo a' x…
/// (+41 chars)`.
fn short_args(lang: Lang, args: &[crate::trace::RawStr]) -> String {
    let all = describe::command_line(args);
    let n = all.chars().count();
    if n <= ARGS_SHOWN {
        return all;
    }
    let kept: String = all.chars().take(ARGS_SHOWN - 1).collect();
    let cut = n - (ARGS_SHOWN - 1);
    listing(lang, &Listing::ArgsCut { kept, cut })
}

/// One process's line (after the tree prefix).
fn describe_process(lang: Lang, m: &Model, p: &Process, style: &Style, end_ns: u64) -> String {
    let mut chain: Vec<String> = p
        .exec_chain()
        .map(|e| describe::program_name(&e.argv, &e.path))
        .collect();
    if chain.is_empty() || matches!(p.origin, Origin::Fork { .. }) {
        // It started as a copy of its parent's program: the one the parent
        // ran when it forked (not its last: bash forks, then execs cat).
        if let Some(parent) = m.tree().parent(p.id) {
            let inherited = p
                .inherited_program
                .and_then(|r| m.tree().exec(r))
                .or_else(|| m.tree().program(parent.id).filter(|e| e.at <= p.born))
                .map(|e| describe::program_name(&e.argv, &e.path));
            if let Some(i) = inherited {
                if chain.first() != Some(&i) {
                    chain.insert(0, i);
                }
            }
        }
    }
    let mut s = format!(
        "{} {}",
        style.pid(&p.pid.to_string()),
        style.prog(&chain.join(" → "))
    );
    // The name it gave itself (prctl PR_SET_NAME), where ps shows that.
    let program = p.last_exec().or_else(|| {
        let inherited = p.inherited_program.and_then(|r| m.tree().exec(r));
        inherited.or_else(|| m.tree().parent(p.id).and_then(|q| m.tree().program(q.id)))
    });
    if let Some(comm) = program.and_then(|e| p.renamed(e)) {
        s.push_str(&crate::words::text::ps_name(lang, &comm.lossy()));
    }
    if let Some(e) = p.last_exec() {
        if e.argv.len() > 1 {
            s.push_str(&style.dim(&format!(" {}", short_args(lang, &e.argv[1..]))));
        }
    }
    if let Origin::Fork { flavor, .. } = p.origin {
        if flavor == crate::trace::ForkFlavor::Vfork {
            s.push_str(&style.dim(" (vfork)"));
        }
    }
    if p.tasks.len() > 1 {
        s.push_str(&listing(lang, &Listing::Threads(p.tasks.len())));
    }
    let start = p.born.ts_ns;
    let end = p.exit.map(|e| e.at.ts_ns);
    s.push_str(&format!(
        "  {}",
        style.dim(&format!(
            "{}–{}",
            secs(start),
            end.map(secs)
                .unwrap_or_else(|| listing(lang, &Listing::End))
        ))
    ));
    match (p.exit.and_then(|e| e.status), p.state) {
        (Some(st), _) => {
            let t = crate::words::text::status(lang, &st);
            s.push_str("  ");
            s.push_str(&if st.shell_code() == 0 {
                style.good(&t)
            } else {
                style.bad(&t)
            });
        }
        (None, ProcessState::Stopped { signal }) => {
            s.push_str(&listing(lang, &Listing::StoppedBy(signal)));
        }
        (None, _) if p.exit.is_none() => s.push_str(&listing(lang, &Listing::StillRunning)),
        _ => {}
    }
    if let Some((from, to)) = p.zombie_span() {
        let dur = to
            .map(|t| t.ts_ns)
            .unwrap_or(end_ns)
            .saturating_sub(from.ts_ns);
        match (p.reap, to) {
            (Some(r), Some(_)) if r.by_kernel => {
                s.push_str("  ");
                s.push_str(&style.dim(&listing(lang, &Listing::ReapedByKernel)));
            }
            (Some(r), Some(_)) => {
                let by = r.by.and_then(|id| m.tree().by_id(id)).map(|b| b.pid);
                let z = listing(
                    lang,
                    &Listing::ZombieFor {
                        time: secs(dur),
                        by,
                    },
                );
                s.push_str("  ");
                s.push_str(&if dur >= 1_000_000_000 {
                    style.bad(&z)
                } else {
                    style.dim(&z)
                });
            }
            _ if m.tree().parent(p.id).is_some() => {
                s.push_str("  ");
                s.push_str(&style.bad(&listing(lang, &Listing::NeverReaped { time: secs(dur) })));
            }
            _ => {}
        }
    }
    if let Some(o) = p.orphaned {
        let adopter = o.adopted_by.and_then(|id| m.tree().by_id(id));
        s.push_str(&listing(
            lang,
            &Listing::Orphaned {
                seq: o.at.seq,
                by: adopter.map(|b| b.pid),
            },
        ));
    }
    s
}

/// The tree under `roots` (each process's line after pstree-style
/// branches), in `lang`; `end_ns` is the time of the last event (for the
/// zombie time of a process never reaped).
pub fn text(lang: Lang, m: &Model, roots: &[&Process], style: &Style, end_ns: u64) -> String {
    let mut out = String::new();
    // Depth-first, with pstree-style branches.
    let mut stack: Vec<(&Process, String, bool, bool)> = roots
        .iter()
        .rev()
        .map(|p| (*p, String::new(), true, true))
        .collect();
    while let Some((p, prefix, last, root)) = stack.pop() {
        let branch = if root {
            ""
        } else if last {
            "└─ "
        } else {
            "├─ "
        };
        let _ = writeln!(
            out,
            "{prefix}{branch}{}",
            describe_process(lang, m, p, style, end_ns)
        );
        let child_prefix = if root {
            prefix.clone()
        } else {
            format!("{prefix}{}", if last { "   " } else { "│  " })
        };
        let kids: Vec<&Process> = m.tree().children(p.id).collect();
        let n = kids.len();
        for (i, k) in kids.into_iter().enumerate().rev() {
            stack.push((k, child_prefix.clone(), i + 1 == n, false));
        }
    }
    out
}
