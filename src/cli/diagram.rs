//! `forkscope diagram`: replay a trace to one moment and draw it (ascii,
//! svg, dot, mermaid), or draw every moment into one step-through HTML page.
//! Chooses the moment when none is given (see [`crate::render::steps`]).

use super::style::Style;
use super::{DiagramArgs, DiagramFormat, DiagramView};
use crate::render::scene::{Scene, SceneOptions};
use crate::render::steps::{html_page, key_scene, scene_after, seq_before, KeyFound};
use crate::render::{ascii, dot, kernel, mermaid, svg};
use crate::words::diagram::{notice, phrase, Notice, Phrase};
use crate::words::Lang;
use anyhow::{Context, Result};
use std::io::Write;

/// Runs `forkscope diagram`.
pub fn run(args: DiagramArgs, style: Style, lang: Lang) -> Result<i32> {
    let path = args.trace.as_path();
    let opts = SceneOptions {
        pid: args.pid,
        collapse_files: args.collapse_files,
        hide_cloexec: args.hide_cloexec,
        lang,
    };
    let text = if args.format == DiagramFormat::Html {
        if args.at.is_some() {
            crate::errln!("{}", notice(opts.lang, &Notice::AtIgnored));
        }
        let h = html_page(path, &opts, args.range, args.view == DiagramView::Kernel)?;
        if let Some(capped) = h.capped() {
            crate::errln!("{}", notice(lang, &capped));
        }
        let page = h.page;
        let size = Phrase::PageSize {
            steps: h.steps,
            bytes: page.len(),
        };
        eprintln!("forkscope: {}", phrase(opts.lang, &size));
        page
    } else {
        if args.range.is_some() {
            crate::errln!("{}", notice(opts.lang, &Notice::RangeIgnored));
        }
        let (seq, key) = match args.at {
            Some(seq) => (seq, None),
            None => {
                // Found and drawn with one read of the trace.
                let k = KeyFound::find(path)?;
                let drawing = Notice::Drawing {
                    seq: k.moment.seq(),
                    why: k.moment.why(),
                };
                crate::errln!("{}", notice(opts.lang, &drawing));
                (k.moment.seq(), Some(k))
            }
        };
        let scene = match key {
            Some(k) => key_scene(path, k, &opts)?,
            None => scene_after(path, seq, &opts)?,
        };
        if let Some(pid) = args.pid {
            if !scene.processes.iter().any(|p| p.pid == pid) {
                // An error, not the unfiltered tree: --pid asked for one.
                anyhow::bail!("{}", notice(opts.lang, &Notice::NotAlive { pid, seq }))
            }
        }
        let ascii_opts = ascii::Opts {
            color: style.color && args.output.is_none(),
            width: if args.output.is_none() {
                ascii::terminal_width()
            } else {
                ascii::WIDTH
            },
            plain: args.ascii_plain,
        };
        let kernel = args.view == DiagramView::Kernel;
        if kernel && matches!(args.format, DiagramFormat::Dot | DiagramFormat::Mermaid) {
            let format = if args.format == DiagramFormat::Dot {
                "dot"
            } else {
                "mermaid"
            };
            eprintln!("{}", notice(opts.lang, &Notice::NoKernelView(format)));
        }
        let draw = |scene: &Scene| match (args.format, kernel) {
            (DiagramFormat::Ascii, false) => ascii::render_with(scene, ascii_opts),
            (DiagramFormat::Ascii, true) => ascii::render_kernel(scene, ascii_opts),
            (DiagramFormat::Svg, false) => svg::render(scene),
            (DiagramFormat::Svg, true) => kernel::render(scene),
            (DiagramFormat::Dot, _) => dot::render(scene),
            (DiagramFormat::Mermaid, _) => mermaid::render(scene),
            (DiagramFormat::Html, _) => unreachable!("handled above"),
        };
        let after = draw(&scene);
        if args.before {
            let before = match seq_before(path, seq)? {
                Some(b) => draw(&scene_after(path, b, &opts)?),
                None => draw(&Scene {
                    title: scene.title.clone(),
                    lang: opts.lang,
                    ..Scene::default()
                }),
            };
            let (bh, ah) = (
                phrase(opts.lang, &Phrase::BeforeHeading(seq)),
                phrase(opts.lang, &Phrase::AfterHeading(seq)),
            );
            match args.format {
                DiagramFormat::Svg => svg::side_by_side(&before, &after, &bh, &ah),
                DiagramFormat::Ascii => format!("== {bh} ==\n{before}\n== {ah} ==\n{after}"),
                _ => {
                    eprintln!("{}", notice(opts.lang, &Notice::BeforeOnly));
                    after
                }
            }
        } else {
            after
        }
    };
    match &args.output {
        Some(file) => {
            std::fs::write(file, text.as_bytes()).with_context(|| {
                notice(opts.lang, &Notice::CannotWrite(file.display().to_string()))
            })?;
            super::say_wrote(lang, file);
        }
        None => {
            let mut out = super::out::stdout();
            out.write_all(text.as_bytes()).and_then(|_| out.flush())?;
        }
    }
    Ok(0)
}
