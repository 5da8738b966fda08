//! `forkscope tree`: the process tree of the whole recording, like pstree
//! but for history: each process with its exec chain, lifetime, how it
//! ended, its zombie time (exit to reap), and orphan adoption. The text is
//! made by [`crate::render::tree`].

use super::style::Style;
use super::TreeArgs;
use crate::model::Process;
use crate::render::tree::write;
use crate::replay::Replay;
use crate::words::narrate::{listing, Listing};
use crate::words::Lang;
use std::io::{BufWriter, Write};

/// Runs `forkscope tree`.
pub fn run(args: TreeArgs, style: Style, lang: Lang) -> anyhow::Result<i32> {
    // Only the end matters: no step is built on the way, and the tree
    // names no pipe.
    let mut r = Replay::open(&args.trace)?
        .without_narration()
        .without_labels();
    let end_ns = r.skip_to(u64::MAX)?.last.map_or(0, |(_, ts)| ts);
    for w in r.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", args.trace.display());
    }
    let m = &r.model;
    let out = std::io::stdout();
    let mut out = BufWriter::new(out.lock());
    let roots: Vec<&Process> = match args.pid {
        Some(pid) => vec![m.tree().get(pid).ok_or_else(|| {
            let trace = args.trace.display().to_string();
            anyhow::anyhow!("{}", listing(lang, &Listing::NoProcess { trace, pid }))
        })?],
        None => m.tree().roots().collect(),
    };
    write(&mut out, lang, m, &roots, &style, end_ns)?;
    out.flush()?;
    drop(out);
    // The model is not freed piece by piece just before the process ends
    // (a call to free for each exec string of each process); the reader's
    // thread has ended, as the trace was read to its end.
    std::mem::forget(r);
    Ok(0)
}
