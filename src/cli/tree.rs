//! `forkscope tree`: the process tree of the whole recording, like pstree
//! but for history: each process with its exec chain, lifetime, how it
//! ended, its zombie time (exit to reap), and orphan adoption.

use super::style::Style;
use super::TreeArgs;
use crate::model::{Model, Origin, Process, ProcessState};
use crate::render::describe;
use crate::render::lang::{self, Lang};
use crate::replay::Replay;
use std::io::{BufWriter, Write};

/// A duration for a reader: `40µs`, `12.3ms`, `1.25s`.
pub(super) fn secs(ns: u64) -> String {
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
fn short_args(args: &[crate::trace::RawStr], zh: bool) -> String {
    let all = describe::command_line(args);
    let n = all.chars().count();
    if n <= ARGS_SHOWN {
        return all;
    }
    let kept: String = all.chars().take(ARGS_SHOWN - 1).collect();
    let cut = n - (ARGS_SHOWN - 1);
    match zh {
        false => format!("{kept}… (+{cut} chars)"),
        true => format!("{kept}…（还有 {cut} 个字符）"),
    }
}

/// One process's line (after the tree prefix).
fn describe_process(m: &Model, p: &Process, style: &Style, end_ns: u64) -> String {
    let zh = lang::current() == Lang::Zh;
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
    if let Some(e) = p.last_exec() {
        if e.argv.len() > 1 {
            s.push_str(&style.dim(&format!(" {}", short_args(&e.argv[1..], zh))));
        }
    }
    if let Origin::Fork { flavor, .. } = p.origin {
        if flavor == crate::trace::ForkFlavor::Vfork {
            s.push_str(&style.dim(" (vfork)"));
        }
    }
    if p.tasks.len() > 1 {
        s.push_str(&match zh {
            false => format!(" [{} threads]", p.tasks.len()),
            true => format!(" [{} 个线程]", p.tasks.len()),
        });
    }
    let start = p.born.ts_ns;
    let end = p.exit.map(|e| e.at.ts_ns);
    s.push_str(&format!(
        "  {}",
        style.dim(&format!(
            "{}–{}",
            secs(start),
            end.map(secs)
                .unwrap_or_else(|| if zh { "结束" } else { "end" }.into())
        ))
    ));
    match (p.exit.and_then(|e| e.status), p.state) {
        (Some(st), _) => {
            let t = crate::words::text::status(lang::current(), &st);
            s.push_str("  ");
            s.push_str(&if st.shell_code() == 0 {
                style.good(&t)
            } else {
                style.bad(&t)
            });
        }
        (None, ProcessState::Stopped { signal }) => {
            s.push_str(&match zh {
                false => format!("  stopped by {signal}"),
                true => format!("  被 {signal} 暂停"),
            });
        }
        (None, _) if p.exit.is_none() => s.push_str(if zh {
            "  到跟踪结束时还在运行"
        } else {
            "  still running at the end"
        }),
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
                s.push_str(&style.dim(if zh {
                    "退出时由内核回收（父进程忽略 SIGCHLD 或设了 SA_NOCLDWAIT），没有成为僵尸"
                } else {
                    "reaped by the kernel at exit (its parent ignores SIGCHLD or set SA_NOCLDWAIT), never a zombie"
                }));
            }
            (Some(r), Some(_)) => {
                let by = r.by.and_then(|id| m.tree().by_id(id)).map(|b| b.pid);
                let z = match (zh, by) {
                    (false, Some(by)) => format!("zombie {}, reaped by {by}", secs(dur)),
                    (false, None) => {
                        format!("zombie {}, reaped by someone outside the trace", secs(dur))
                    }
                    (true, Some(by)) => format!("僵尸 {}，由 {by} 回收", secs(dur)),
                    (true, None) => format!("僵尸 {}，由跟踪范围外的进程回收", secs(dur)),
                };
                s.push_str("  ");
                s.push_str(&if dur >= 1_000_000_000 {
                    style.bad(&z)
                } else {
                    style.dim(&z)
                });
            }
            _ if m.tree().parent(p.id).is_some() => {
                s.push_str("  ");
                s.push_str(&style.bad(&match zh {
                    false => format!("never reaped in the trace (zombie {}+)", secs(dur)),
                    true => format!("直到跟踪结束都没有被回收（僵尸 {} 以上）", secs(dur)),
                }));
            }
            _ => {}
        }
    }
    if let Some(o) = p.orphaned {
        let adopter = o.adopted_by.and_then(|id| m.tree().by_id(id));
        s.push_str(&match (zh, adopter) {
            (false, Some(b)) => format!("  orphaned at #{} (adopted by {})", o.at.seq, b.pid),
            (false, None) => format!(
                "  orphaned at #{} (adopted by init or a subreaper outside the trace)",
                o.at.seq
            ),
            (true, Some(b)) => format!("  在 #{} 成了孤儿进程（被 {} 收养）", o.at.seq, b.pid),
            (true, None) => format!(
                "  在 #{} 成了孤儿进程（被跟踪范围外的 init 或 subreaper 收养）",
                o.at.seq
            ),
        });
    }
    s
}

/// Runs `forkscope tree`.
pub fn run(args: TreeArgs, style: Style) -> anyhow::Result<i32> {
    let mut r = Replay::open(&args.trace)?.without_narration();
    let mut end_ns = 0;
    while let Some(step) = r.step()? {
        end_ns = step.event.ts_ns;
    }
    for w in r.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", args.trace.display());
    }
    let m = &r.model;
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let roots: Vec<&Process> = match args.pid {
        Some(pid) => vec![m.tree().get(pid).ok_or_else(|| match lang::current() {
            Lang::En => anyhow::anyhow!("{}: no process {pid} in the trace", args.trace.display()),
            Lang::Zh => anyhow::anyhow!("{}：trace 里没有进程 {pid}", args.trace.display()),
        })?],
        None => m.tree().roots().collect(),
    };
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
        writeln!(
            out,
            "{prefix}{branch}{}",
            describe_process(m, p, &style, end_ns)
        )?;
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
    out.flush()?;
    Ok(0)
}
