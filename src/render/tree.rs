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

/// Pushes `s` as `paint` styles it (unstyled text is pushed as it is).
fn put(out: &mut String, style: &Style, paint: fn(&Style, &str) -> String, s: &str) {
    if style.color {
        out.push_str(&paint(style, s));
    } else {
        out.push_str(s);
    }
}

/// [`secs`], appended to `out` (no string of its own).
fn push_secs(out: &mut String, ns: u64) {
    let _ = if ns < 1_000_000 {
        write!(out, "{:.0}µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        write!(out, "{:.1}ms", ns as f64 / 1e6)
    } else {
        write!(out, "{:.2}s", ns as f64 / 1e9)
    };
}

/// One process's line (after the tree prefix), appended to `s`.
fn describe_process(
    s: &mut String,
    lang: Lang,
    m: &Model,
    p: &Process,
    style: &Style,
    end_ns: u64,
) {
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
    if style.color {
        let _ = write!(
            s,
            "{} {}",
            style.pid(&p.pid.to_string()),
            style.prog(&chain.join(" → "))
        );
    } else {
        let _ = write!(s, "{} ", p.pid);
        for (i, name) in chain.iter().enumerate() {
            if i > 0 {
                s.push_str(" → ");
            }
            s.push_str(name);
        }
    }
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
            let args = short_args(lang, &e.argv[1..]);
            if style.color {
                s.push_str(&style.dim(&format!(" {args}")));
            } else {
                s.push(' ');
                s.push_str(&args);
            }
        }
    }
    if let Origin::Fork { flavor, .. } = p.origin {
        if flavor == crate::trace::ForkFlavor::Vfork {
            put(s, style, Style::dim, " (vfork)");
        }
    }
    if p.tasks.len() > 1 {
        s.push_str(&listing(lang, &Listing::Threads(p.tasks.len())));
    }
    let start = p.born.ts_ns;
    let end = p.exit.map(|e| e.at.ts_ns);
    s.push_str("  ");
    if style.color {
        s.push_str(&style.dim(&format!(
            "{}–{}",
            secs(start),
            end.map(secs)
                .unwrap_or_else(|| listing(lang, &Listing::End))
        )));
    } else {
        push_secs(s, start);
        s.push('–');
        match end {
            Some(end) => push_secs(s, end),
            None => s.push_str(&listing(lang, &Listing::End)),
        }
    }
    match (p.exit.and_then(|e| e.status), p.state) {
        (Some(st), _) => {
            let t = crate::words::text::status(lang, &st);
            s.push_str("  ");
            if st.shell_code() == 0 {
                put(s, style, Style::good, &t);
            } else {
                put(s, style, Style::bad, &t);
            }
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
                put(
                    s,
                    style,
                    Style::dim,
                    &listing(lang, &Listing::ReapedByKernel),
                );
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
                if dur >= 1_000_000_000 {
                    put(s, style, Style::bad, &z);
                } else {
                    put(s, style, Style::dim, &z);
                }
            }
            _ if m.tree().parent(p.id).is_some() => {
                s.push_str("  ");
                let never = listing(lang, &Listing::NeverReaped { time: secs(dur) });
                put(s, style, Style::bad, &never);
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
}

/// One line of the tree: a process after its prefix (an index into the
/// prefixes, which siblings share) and its branch.
struct Line<'m> {
    process: &'m Process,
    prefix: usize,
    branch: &'static str,
}

/// Lines drawn per thread at a time: a large tree is drawn and written a
/// batch at a time, so its whole text is never held at once.
const LINES_PER_THREAD: usize = 4096;

/// The tree under `roots` (each process's line after pstree-style
/// branches), in `lang`; `end_ns` is the time of the last event (for the
/// zombie time of a process never reaped).
pub fn text(lang: Lang, m: &Model, roots: &[&Process], style: &Style, end_ns: u64) -> String {
    let mut out = Vec::new();
    // Writing to a vector cannot fail.
    let _ = write(&mut out, lang, m, roots, style, end_ns);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`text`], written to `out` a batch of lines at a time.
pub fn write(
    out: &mut dyn std::io::Write,
    lang: Lang,
    m: &Model,
    roots: &[&Process],
    style: &Style,
    end_ns: u64,
) -> std::io::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    write_on(out, (lang, m, roots, style, end_ns), cores.min(8))
}

/// [`write`] on at most `threads` threads.
fn write_on(
    out: &mut dyn std::io::Write,
    (lang, m, roots, style, end_ns): (Lang, &Model, &[&Process], &Style, u64),
    threads: usize,
) -> std::io::Result<()> {
    // Depth-first, with pstree-style branches: first the order of the
    // lines and their prefixes, then the lines themselves (on more than
    // one thread for a large tree: each line depends only on the model).
    let mut prefixes: Vec<String> = vec![String::new()];
    let mut lines: Vec<Line> = Vec::new();
    let mut stack: Vec<(&Process, usize, bool, bool)> =
        roots.iter().rev().map(|p| (*p, 0, true, true)).collect();
    let mut kids: Vec<&Process> = Vec::new();
    while let Some((p, prefix, last, root)) = stack.pop() {
        let branch = if root {
            ""
        } else if last {
            "└─ "
        } else {
            "├─ "
        };
        lines.push(Line {
            process: p,
            prefix,
            branch,
        });
        kids.clear();
        kids.extend(m.tree().children(p.id));
        if kids.is_empty() {
            continue;
        }
        let child_prefix = if root {
            prefix
        } else {
            let ext = if last { "   " } else { "│  " };
            prefixes.push(format!("{}{ext}", prefixes[prefix]));
            prefixes.len() - 1
        };
        let n = kids.len();
        for (i, k) in kids.drain(..).enumerate().rev() {
            stack.push((k, child_prefix, i + 1 == n, false));
        }
    }
    let draw = |part: &[Line]| {
        let mut out = String::new();
        for l in part {
            out.push_str(&prefixes[l.prefix]);
            out.push_str(l.branch);
            describe_process(&mut out, lang, m, l.process, style, end_ns);
            out.push('\n');
        }
        out
    };
    let threads = threads.min(lines.len() / LINES_PER_THREAD).max(1);
    for batch in lines.chunks(threads * LINES_PER_THREAD) {
        if threads == 1 {
            out.write_all(draw(batch).as_bytes())?;
            continue;
        }
        let parts: Vec<String> = std::thread::scope(|s| {
            let running: Vec<_> = batch
                .chunks(LINES_PER_THREAD)
                .map(|part| s.spawn(|| draw(part)))
                .collect();
            running
                .into_iter()
                .map(|t| t.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for part in parts {
            out.write_all(part.as_bytes())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::reader::parse_event;

    /// A shell that runs `n` pipelines of two children (some killed, some
    /// left as zombies, some vforked), each child with a grandchild.
    fn busy_model(n: u32) -> Model {
        let mut m = Model::new();
        let mut seq = 0u64;
        let mut ev = |m: &mut Model, pid: u32, rest: &str| {
            let line = format!(
                r#"{{"seq":{seq},"ts_ns":{},"pid":{pid},{rest}}}"#,
                1000 + seq * 1700
            );
            m.apply(&parse_event(line.as_bytes()).unwrap());
            seq += 1;
        };
        ev(
            &mut m,
            100,
            r#""kind":"spawn","argv":["sh","-c","loop"],"fds":[]"#,
        );
        for k in 0..n {
            let (a, b, g) = (1000 + 3 * k, 1001 + 3 * k, 1002 + 3 * k);
            let flavor = if k % 5 == 0 { "vfork" } else { "fork" };
            for child in [a, b] {
                ev(
                    &mut m,
                    100,
                    &format!(
                        r#""kind":"fork","child":{child},"flavor":"{flavor}","shares_fds":false,"syscall":"clone""#
                    ),
                );
            }
            ev(
                &mut m,
                a,
                r#""kind":"exec","path":"/usr/bin/printf","argv":["printf","a b\n","it's"],"ok":true"#,
            );
            ev(
                &mut m,
                b,
                &format!(
                    r#""kind":"fork","child":{g},"flavor":"fork","shares_fds":false,"syscall":"clone""#
                ),
            );
            ev(
                &mut m,
                g,
                r#""kind":"exec","path":"/bin/wc","argv":["wc","-l"],"ok":true"#,
            );
            ev(&mut m, a, r#""kind":"exit","status":{"exited":0}"#);
            let status = if k % 3 == 0 {
                r#"{"signaled":"SIGPIPE","core":false}"#
            } else {
                r#"{"exited":1}"#
            };
            ev(&mut m, b, &format!(r#""kind":"exit","status":{status}"#));
            ev(
                &mut m,
                100,
                &format!(
                    r#""kind":"wait","target":-1,"reaped":{a},"status":{{"exited":0}},"via":"wait4""#
                ),
            );
            if k % 7 != 0 {
                ev(
                    &mut m,
                    100,
                    &format!(
                        r#""kind":"wait","target":-1,"reaped":{b},"status":{status},"via":"wait4""#
                    ),
                );
            }
        }
        m
    }

    #[test]
    fn a_large_tree_drawn_on_several_threads_is_the_tree_drawn_on_one() {
        let m = busy_model(4000);
        let roots: Vec<&Process> = m.tree().roots().collect();
        for lang in [Lang::En, Lang::Zh] {
            for style in [Style::plain(), Style { color: true }] {
                let draw = |threads| {
                    let mut out = Vec::new();
                    write_on(&mut out, (lang, &m, &roots, &style, 99), threads).unwrap();
                    String::from_utf8(out).unwrap()
                };
                let one = draw(1);
                assert_eq!(one.lines().count(), m.tree().len());
                assert!(one.contains("12999"), "{}", &one[one.len() - 300..]);
                for threads in [2, 3, 8] {
                    assert!(draw(threads) == one, "{threads} threads drew another tree");
                }
            }
        }
    }
}
