//! `forkscope tree`: the process tree of the whole recording, like pstree
//! but for history: each process with its exec chain, lifetime, how it
//! ended, its zombie time (exit to reap), and orphan adoption. The text is
//! made by [`crate::render::tree`].
//!
//! The replay forgets reaped processes (`Model::forget_reaped`): each
//! process's line is drawn once it was reaped and kept as text
//! ([`crate::render::tree::Lines`]), so memory follows the text and the
//! live state, not every process's record. Should the model forget a
//! process before its line was drawn (an event that reaps more processes
//! than the model keeps after their reaping), the trace is replayed again
//! with a model that keeps every process.

use super::style::Style;
use super::TreeArgs;
use crate::model::Process;
use crate::render::tree::{write, Lines};
use crate::replay::{forget_window, Replay};
use crate::words::narrate::{listing, Listing};
use crate::words::Lang;
use std::io::{BufWriter, Write};

/// Runs `forkscope tree`.
pub fn run(args: TreeArgs, style: Style, lang: Lang) -> anyhow::Result<i32> {
    // No step is built on the way, and the tree names no pipe (so pipe
    // labels need no forgetting either: `Replay::forgetting` would).
    let mut r = Replay::open(&args.trace)?
        .without_narration()
        .without_labels();
    r.model.forget_reaped(forget_window());
    let mut lines = Lines::new(lang, style);
    let mut end_ns = 0;
    while let Some(step) = r.step_lent()? {
        end_ns = step.event.ts_ns;
        lines.applied(step.model);
    }
    for w in r.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", args.trace.display());
    }
    let no_process = |pid| {
        let trace = args.trace.display().to_string();
        anyhow::anyhow!("{}", listing(lang, &Listing::NoProcess { trace, pid }))
    };
    let mut out = BufWriter::new(super::out::stdout());
    if lines.finish(&r.model) {
        let root = match args.pid {
            Some(pid) => Some(
                r.model
                    .tree()
                    .last_holder(pid)
                    .ok_or_else(|| no_process(pid))?,
            ),
            None => None,
        };
        lines.write(&mut out, &r.model, root, end_ns)?;
    } else {
        every_process(&args, &mut out, &style, lang, no_process)?;
    }
    out.flush()?;
    drop(out);
    // The model and the lines are not freed piece by piece just before the
    // process ends; the reader's thread has ended, as the trace was read to
    // its end.
    std::mem::forget(r);
    std::mem::forget(lines);
    Ok(0)
}

/// The tree from a replay that keeps every process: when the forgetting
/// replay lost a line. Warnings were told by the first replay.
fn every_process(
    args: &TreeArgs,
    out: &mut dyn Write,
    style: &Style,
    lang: Lang,
    no_process: impl Fn(crate::trace::Pid) -> anyhow::Error,
) -> anyhow::Result<()> {
    let mut r = Replay::open(&args.trace)?
        .without_narration()
        .without_labels();
    let end_ns = r.skip_to(u64::MAX)?.last.map_or(0, |(_, ts)| ts);
    let m = &r.model;
    let roots: Vec<&Process> = match args.pid {
        Some(pid) => vec![m.tree().get(pid).ok_or_else(|| no_process(pid))?],
        None => m.tree().roots().collect(),
    };
    write(out, lang, m, &roots, style, end_ns)?;
    std::mem::forget(r);
    Ok(())
}
