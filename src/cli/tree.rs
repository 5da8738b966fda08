//! `forkscope tree`: the process tree of the whole recording, like pstree
//! but for history: each process with its exec chain, lifetime, how it
//! ended, its zombie time (exit to reap), and orphan adoption. The text is
//! made by [`crate::render::tree`].

use super::style::Style;
use super::TreeArgs;
use crate::model::Process;
use crate::render::tree::text;
use crate::replay::Replay;
use crate::words::narrate::{listing, Listing};
use crate::words::Lang;
use std::io::{BufWriter, Write};

/// Runs `forkscope tree`.
pub fn run(args: TreeArgs, style: Style, lang: Lang) -> anyhow::Result<i32> {
    let mut r = Replay::open(&args.trace)?.without_narration();
    // Only the end matters: no step is built on the way.
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
    out.write_all(text(lang, m, &roots, &style, end_ns).as_bytes())?;
    out.flush()?;
    Ok(0)
}
