//! `forkscope snapshot PID`: why a running tree is stuck, read-only. Reads
//! the tree's live state from /proc (see [`crate::record::live`]; no ptrace,
//! nothing is stopped), builds the wait-for graph
//! ([`crate::analysis::waitfor`]) and prints what each task waits for and
//! every hang found ([`crate::render::snapshot`]): as text, as JSON, or as
//! a diagram (every format but html draws the one moment). Exit status 0
//! when nothing is wrong, 1 when a hang is found. Text and drawings follow
//! `--lang`; JSON stays English.

use super::*;
use crate::analysis::waitfor;
use crate::record::live;
use crate::render::hang::Paint;
use crate::render::{ascii, dot, mermaid, snapshot as render, svg};
use crate::words::hang as words;
use crate::words::Lang;
use anyhow::Context as _;
use std::io::Write;

/// Runs the subcommand.
pub fn run(args: SnapshotArgs, style: style::Style, lang: Lang) -> anyhow::Result<i32> {
    let snap =
        live::snapshot_tree(args.pid).with_context(|| words::cannot_read_tree(lang, args.pid))?;
    let report = waitfor::analyse(&snap);
    let mut out = super::out::stdout();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &render::json(&snap, &report))
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(out))
    } else if let Some(format) = args.format {
        let scene = render::scene(&snap, &report, lang);
        let text = match format {
            DiagramFormat::Ascii => ascii::render(&scene, style.color),
            DiagramFormat::Svg => svg::render(&scene),
            DiagramFormat::Dot => dot::render(&scene),
            DiagramFormat::Mermaid => mermaid::render(&scene),
            DiagramFormat::Html => anyhow::bail!("{}", words::no_html_snapshot(lang)),
        };
        out.write_all(text.as_bytes())
    } else {
        let paint = Paint { color: style.color };
        out.write_all(render::text(&snap, &report, lang, paint).as_bytes())
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    Ok(if report.hangs.is_empty() { 0 } else { 1 })
}
