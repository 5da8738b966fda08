//! SVG: one [`Scene`] drawn as a standalone picture, laid out by forkscope
//! itself (no Graphviz). Processes are boxes in an indented tree (a child sits
//! below its parent, one indent to the right), each listing its fd table;
//! pipes are vertical tubes in a lane to the right of every box, spanning
//! from their writers to their readers, with an arrow from each writer fd
//! into the tube and from the tube to each reader fd. Every box owns its own
//! horizontal band, so an arrow from a row to the lane crosses no other box.
//!
//! Sizes come from text length in a monospace font (7.2 px a column at
//! 12 px), the output is a pure function of the scene, and the work is linear
//! in the scene's size (plus the pipe lane's slot search).

use super::scene::{FdRow, ProcBox, Scene};
use crate::trace::Pid;
use crate::words::diagram::{phrase, pipe_verdict, state, word, Phrase, Word};
use crate::words::Lang;
use std::fmt::Write;

/// Draws a scene as a standalone SVG document: the event's call and sentence
/// as a caption at the top, then the diagram, with its stylesheet inside.
pub fn render(scene: &Scene) -> String {
    render_with(
        scene,
        Opts {
            caption: true,
            style: true,
        },
    )
}

/// What [`render_with`] puts in besides the diagram.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Opts {
    /// The title, call and sentence at the top.
    pub caption: bool,
    /// The `<style>` element (leave out when the page holding the SVG
    /// carries [`STYLE`] once for many SVGs).
    pub style: bool,
}

/// The stylesheet every drawing uses (class names are prefixed `fs-` so it
/// can sit in an HTML page without touching the page's own elements).
pub(crate) const STYLE: &str = "\
svg.fs{font-family:'DejaVu Sans Mono',Menlo,Consolas,'Liberation Mono','Noto Sans Mono CJK SC','Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei','PingFang SC','Hiragino Sans GB','Microsoft YaHei',monospace;font-size:12px}
.fs text{fill:#212529}
.fs .fs-title{font-size:11px;fill:#5c636a}
.fs .fs-call{font-size:13px;font-weight:bold}
.fs .fs-legend{font-size:11px;fill:#5c636a}
.fs .fs-box{fill:#fff;stroke:#868e96;stroke-width:1}
.fs .fs-outline{fill:none;stroke:#868e96;stroke-width:1}
.fs .fs-head{fill:#e7f5ff}
.fs .fs-pid{font-weight:bold}
.fs .fs-prog{font-weight:bold;fill:#1864ab}
.fs .fs-chain{font-size:11px;fill:#5c636a}
.fs .fs-hl .fs-outline{stroke:#e8590c;stroke-width:3}
.fs .fs-hl .fs-head{fill:#ffe8cc}
.fs .fs-zombie .fs-box{fill:#f1f3f5}
.fs .fs-zombie .fs-outline{stroke-dasharray:5 3}
.fs .fs-zombie .fs-head{fill:#dee2e6}
.fs .fs-zombie text{fill:#5c636a}
.fs .fs-stopped .fs-outline{stroke:#f08c00;stroke-dasharray:2 2}
.fs .fs-stopped .fs-head{fill:#fff3bf}
.fs .fs-badge{fill:#495057}
.fs text.fs-badget{fill:#fff;font-size:10px;font-weight:bold;text-anchor:middle}
.fs .fs-zombie .fs-badge{fill:#495057}
.fs .fs-stopped .fs-badge{fill:#f08c00}
.fs text.fs-fd{fill:#495057;text-anchor:end}
.fs .fs-rowhl{fill:#fff3bf}
.fs .fs-hl .fs-rowhl{fill:#ffd8a8}
.fs .fs-write{fill:#c2410c}
.fs .fs-read{fill:#1c5fb8}
.fs .fs-rowhl-text{font-weight:bold}
.fs .fs-mark{fill:none;stroke:#adb5bd}
.fs text.fs-markt{font-size:10px;fill:#5c636a;text-anchor:middle}
.fs .fs-shared{fill:none;stroke:#9c36b5}
.fs text.fs-sharedt{font-size:10px;fill:#9c36b5;text-anchor:middle}
.fs .fs-more{font-size:11px;fill:#5c636a;font-style:italic}
.fs .fs-warnbg{fill:#fff5f5}
.fs text.fs-warn{fill:#c92a2a;font-size:11px}
.fs text.fs-warnrow{fill:#c92a2a}
.fs .fs-link{fill:none;stroke:#adb5bd;stroke-width:1.2;stroke-dasharray:4 3}
.fs .fs-tube{fill:#e3fafc;stroke:#0c8599;stroke-width:1.5}
.fs text.fs-tubet{font-size:11px;fill:#0b7285;font-weight:bold;paint-order:stroke;stroke:#e3fafc;stroke-width:4px;text-anchor:middle;dominant-baseline:central}
.fs .fs-tube.fs-fifo{fill:#f3f0ff;stroke:#7048e8}
.fs .fs-tube.fs-inherited{fill:#fff9db;stroke:#e67700}
.fs .fs-tube.fs-partial{stroke-dasharray:5 3}
.fs text.fs-tubet.fs-fifo{fill:#5f3dc4;stroke:#f3f0ff}
.fs text.fs-tubet.fs-inherited{fill:#d9480f;stroke:#fff9db}
.fs .fs-halo{stroke:#fff;stroke-width:5;fill:none}
.fs .fs-cw{stroke:#c2410c;stroke-width:1.5;fill:none}
.fs .fs-cr{stroke:#1c5fb8;stroke-width:1.5;fill:none}
.fs .fs-cu{stroke:#868e96;stroke-width:1.2;stroke-dasharray:3 3;fill:none}
.fs .fs-chl{stroke-width:3}
.fs .fs-section{font-weight:bold;fill:#495057}
.fs .fs-crw{stroke:#7048e8;stroke-width:1.5;fill:none}
.fs .fs-dot{fill:#495057}
.fs .fs-ofbox{fill:#f8f0fc;stroke:#9c36b5;stroke-width:1.2}
.fs .fs-objbox{fill:#f1f3f5;stroke:#495057;stroke-width:1}
.fs text.fs-kid{font-weight:bold;fill:#862e9c}
.fs text.fs-kflag{font-size:11px;fill:#495057}
.fs text.fs-kname{font-weight:bold}
.fs text.fs-kpipe{font-weight:bold;fill:#0b7285}
.fs text.fs-kmouth{font-size:11px;fill:#0b7285;font-style:italic}
.fs text.fs-keof{font-size:11px;fill:#2b8a3e;font-weight:bold}
.fs text.fs-kbad{font-size:11px;fill:#c92a2a;font-weight:bold}
.fs .fs-flow{stroke:#0c8599;stroke-width:1.5;fill:none}
.fs text.fs-ghost{fill:#6c757d;text-decoration:line-through}
.fs .fs-newb{fill:#2b8a3e}
.fs text.fs-newt{fill:#fff;font-size:10px;font-weight:bold;text-anchor:middle}
.fs text.fs-verdict{font-size:10px;font-weight:bold;text-anchor:middle}
";

/// The arrow heads every drawing uses: write (orange), read (blue), and
/// the flow inside a pipe's tube.
pub(crate) const DEFS: &str = concat!(
    "<defs>",
    "<marker id=\"fs-aw\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#c2410c\"/></marker>",
    "<marker id=\"fs-ar\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#1c5fb8\"/></marker>",
    "<marker id=\"fs-arw\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#7048e8\"/></marker>",
    "<marker id=\"fs-af\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"#0c8599\"/></marker>",
    "</defs>\n"
);

use super::layout::*;

/// Draws `scene` as an SVG document.
pub(crate) fn render_with(scene: &Scene, opts: Opts) -> String {
    pieces(scene, opts).join()
}

/// A drawing cut where a page can share the pieces between steps: a box
/// that did not change between two steps is the same text, wherever it
/// moved to, because it is drawn at the origin and placed by a wrapper.
#[derive(Clone, Debug)]
pub(crate) struct Pieces {
    /// The `<svg>` tag, definitions, caption, legend and parent links.
    pub head: String,
    /// Each process box drawn at the origin, and where it goes (whole px).
    pub boxes: Vec<(String, i64, i64)>,
    /// The pipes with their arrows, the shared files, the end tags.
    pub tail: String,
}

impl Pieces {
    /// The wrapper that places a box (the page's script writes the same).
    pub(crate) fn place(out: &mut String, part: &str, x: i64, y: i64) {
        let _ = writeln!(out, "<g transform=\"translate({x},{y})\">{part}</g>");
    }

    /// The whole SVG document.
    pub(crate) fn join(&self) -> String {
        let mut out = String::with_capacity(
            self.head.len()
                + self.tail.len()
                + self.boxes.iter().map(|b| b.0.len() + 48).sum::<usize>(),
        );
        out.push_str(&self.head);
        for (part, x, y) in &self.boxes {
            Pieces::place(&mut out, part, *x, *y);
        }
        out.push_str(&self.tail);
        out
    }
}

/// Draws `scene` in [`Pieces`].
pub(crate) fn pieces(scene: &Scene, opts: Opts) -> Pieces {
    let lang = scene.lang;
    let layout = Layout::new(scene);
    let mut body = String::with_capacity(4096);
    let content_w = layout.right.max(MIN_WIDTH - MARGIN);
    let width = (content_w + MARGIN).ceil();
    let wrap_cols = (((width - 2.0 * MARGIN) / CH).floor() as usize).max(20);

    // The caption (and the legend) first, so the height of the diagram's
    // offset is known.
    let mut y = MARGIN;
    let mut top = String::new();
    if opts.caption {
        if !scene.title.is_empty() {
            y += 11.0;
            text(
                &mut top,
                MARGIN,
                y,
                "fs-title",
                &fit(&scene.title, wrap_cols * 12 / 11),
            );
            y += 8.0;
        }
        if let Some(ev) = &scene.event {
            let call = format!("#{} · {} · {}", ev.seq, ev.pid, ev.call);
            for line in wrap(&call, wrap_cols * 12 / 13) {
                y += 16.0;
                text(&mut top, MARGIN, y, "fs-call", &line);
            }
            if let Some(s) = &ev.sentence {
                y += 2.0;
                for line in wrap(s, wrap_cols) {
                    y += 15.0;
                    text(&mut top, MARGIN, y, "", &line);
                }
            }
            y += 6.0;
        }
    }
    // Each item stays on one line (no-break spaces inside it).
    let legend = [
        Word::CloexecKeyShort,
        Word::SharedMarkKeyShort,
        Word::WritesArrow,
        Word::ReadsArrow,
        Word::DashedParent,
    ]
    .map(|w| word(lang, w).replace(' ', "\u{a0}"))
    .join("\u{a0}\u{b7} ");
    for line in wrap_at_spaces(&legend, wrap_cols * 12 / 11) {
        y += 14.0;
        text(&mut top, MARGIN, y, "fs-legend", &line);
    }
    // Warnings about processes not drawn (none today, but never lose one).
    for w in &scene.warnings {
        if !layout.index.contains_key(&w.pid) {
            for line in wrap(&format!("\u{26a0} {}", w.text), wrap_cols * 12 / 11) {
                y += 14.0;
                text(&mut top, MARGIN, y, "fs-warn", &line);
            }
        }
    }
    y += 14.0;
    let offset = y;

    // The shared open files, listed under the diagram.
    let mut bottom = String::new();
    let mut by = layout.bottom;
    if !scene.shared.is_empty() {
        by += 20.0;
        text(
            &mut bottom,
            MARGIN,
            by,
            "fs-section",
            word(lang, Word::SharedFilesLong),
        );
        for f in scene.shared.iter().take(SHARED_SHOWN) {
            let holders = holders_text(lang, &f.holders);
            let (id, label, k) = (
                &f.id,
                &f.label,
                phrase(lang, &Phrase::FdCount(f.holders.len())),
            );
            let line = phrase(
                lang,
                &Phrase::SharedLine {
                    id: id.clone(),
                    label: label.clone(),
                    count: k,
                    holders,
                },
            );
            // Wrapped, never cut: a cut would drop pids and fds from the
            // middle of the list.
            for part in wrap(&line, wrap_cols) {
                by += 16.0;
                text(&mut bottom, MARGIN, by, "", &part);
            }
        }
        if scene.shared.len() > SHARED_SHOWN {
            by += 16.0;
            let rest = scene.shared.len() - SHARED_SHOWN;
            let more = phrase(lang, &Phrase::MoreNotListed(rest));
            text(&mut bottom, MARGIN, by, "fs-more", &more);
        }
    }
    let height = (offset + by + MARGIN).ceil();

    let _ = write!(
        body,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"fs\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\""
    );
    if opts.caption {
        if let Some(ev) = &scene.event {
            let _ = write!(body, " data-seq=\"{}\"", ev.seq);
        }
    }
    body.push_str(">\n");
    if opts.caption {
        let t = match &scene.event {
            Some(ev) => format!("{} \u{2014} #{} {}", scene.title, ev.seq, ev.call),
            None => scene.title.clone(),
        };
        let _ = writeln!(body, "<title>{}</title>", esc(&t));
    }
    if opts.style {
        let _ = writeln!(body, "<style>\n{STYLE}</style>");
    }
    body.push_str(DEFS);
    let _ = writeln!(
        body,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>"
    );
    body.push_str(&top);
    let _ = writeln!(body, "<g transform=\"translate(0,{offset})\">");
    layout.draw_links(scene, &mut body);
    let boxes = scene
        .processes
        .iter()
        .zip(&layout.boxes)
        .map(|(p, b)| {
            let mut part = String::with_capacity(256 + p.fds.len() * 400);
            draw_box(lang, p, b, &mut part);
            debug_assert!(
                b.x.fract() == 0.0 && b.y.fract() == 0.0,
                "boxes sit on whole px"
            );
            (part, b.x as i64, b.y as i64)
        })
        .collect();
    let mut tail = String::with_capacity(1024 + scene.pipes.len() * 600);
    layout.draw_pipes(scene, &mut tail);
    tail.push_str(&bottom);
    tail.push_str("</g>\n</svg>\n");
    Pieces {
        head: body,
        boxes,
        tail,
    }
}

impl Layout {
    /// Parent -> child links (drawn first, under everything).
    fn draw_links(&self, scene: &Scene, out: &mut String) {
        for (_, [a, b, c]) in self.links(scene) {
            let _ = writeln!(
                out,
                "<path class=\"fs-link\" d=\"M{},{}V{}H{}\"/>",
                n(a.0),
                n(a.1),
                n(b.1),
                n(c.0)
            );
        }
    }

    /// Tubes, then the arrows over them (with a white halo, so an arrow
    /// that crosses another pipe's tube visibly passes over it).
    fn draw_pipes(&self, scene: &Scene, out: &mut String) {
        let lang = scene.lang;
        for t in &self.tubes {
            let pn = &scene.pipes[t.pipe];
            let h = t.bottom - t.top;
            // Holders outside the scene (a --pid subtree) have no row to
            // point at: the tube is dashed and its tooltip counts them.
            let outside = pn
                .writers
                .iter()
                .chain(&pn.readers)
                .chain(&pn.unknown)
                .filter(|k| !self.anchors.contains_key(k))
                .count();
            let mut tooltip = pipe_tooltip(lang, pn);
            if outside > 0 {
                tooltip.push_str(&phrase(lang, &Phrase::OutsideFds(outside)));
            }
            let _ = write!(
                out,
                "<g class=\"fs-pipe\" data-pipe=\"{}\"><title>{}</title><rect class=\"fs-tube{}{}\" x=\"{}\" y=\"{}\" width=\"{TUBE_W}\" height=\"{}\" rx=\"{}\"/>",
                pn.number,
                esc(&tooltip),
                origin_class(pn.origin),
                if outside > 0 { " fs-partial" } else { "" },
                n(t.x),
                n(t.top),
                n(h),
                TUBE_W / 2.0
            );
            out.push_str("</g>\n");
        }
        let highlighted = |k: &(Pid, i32)| {
            self.index
                .get(&k.0)
                .and_then(|i| scene.processes[*i].fds.iter().find(|f| f.fd == k.1))
                .is_some_and(|f| f.highlight)
        };
        for r in &self.routes {
            let (class, marker) = match r.end {
                "write" => ("fs-cw", Some("fs-aw")),
                "read" => ("fs-cr", Some("fs-ar")),
                _ => ("fs-cu", None),
            };
            let hl = if highlighted(&r.from) { " fs-chl" } else { "" };
            // Under the arrow a white halo, 3 px short of both ends.
            let mut halo = r.points.clone();
            nudge(&mut halo, 3.0);
            // Writers (and unknown ends) are drawn from the row to the
            // tube, readers from the tube to the row; the head stops 1 px
            // short of what it points at.
            let mut line = r.points.clone();
            if r.end == "read" {
                line.reverse();
            }
            nudge_last(&mut line, 1.0);
            let _ = write!(
                out,
                "<path class=\"fs-halo\" d=\"{}\"/><path class=\"{class}{hl}\" d=\"{}\"",
                path_d(&halo),
                path_d(&line)
            );
            if let Some(m) = marker {
                let _ = write!(out, " marker-end=\"url(#{m})\"");
            }
            out.push_str("/>\n");
        }
        // Tube names last, haloed in the tube's colour, so no arrow hides them.
        for t in &self.tubes {
            let pn = &scene.pipes[t.pipe];
            let cx = t.x + TUBE_W / 2.0;
            let cy = (t.top + t.bottom) / 2.0;
            let _ = writeln!(
                out,
                "<text class=\"fs-tubet{}\" x=\"{}\" y=\"{}\" transform=\"rotate(-90 {} {})\">{}</text>",
                origin_class(pn.origin),
                n(cx),
                n(cy),
                n(cx),
                n(cy),
                esc(&tube_label(lang, pn))
            );
            // What the ends mean, beside the tube: EOF or SIGPIPE.
            if let Some(v) = tube_verdict(lang, pn) {
                let vx = t.x + TUBE_W + 8.0;
                let _ = writeln!(
                    out,
                    "<text class=\"fs-verdict {}\" x=\"{}\" y=\"{}\" transform=\"rotate(-90 {} {})\">{}</text>",
                    if v.eof { "fs-keof" } else { "fs-kbad" },
                    n(vx),
                    n(cy),
                    n(vx),
                    n(cy),
                    esc(&v.text)
                );
            }
        }
    }
}

/// Axis-parallel points as path data: `M x,y` then `H x` or `V y`.
fn path_d(points: &[(f64, f64)]) -> String {
    let mut d = String::new();
    let _ = write!(d, "M{},{}", n(points[0].0), n(points[0].1));
    for w in points.windows(2) {
        if w[1].1 == w[0].1 {
            let _ = write!(d, "H{}", n(w[1].0));
        } else {
            let _ = write!(d, "V{}", n(w[1].1));
        }
    }
    d
}

/// Pulls the last point `by` px back along its (horizontal) last segment.
fn nudge_last(points: &mut [(f64, f64)], by: f64) {
    let k = points.len() - 1;
    let dir = (points[k].0 - points[k - 1].0).signum();
    points[k].0 -= dir * by;
}

/// Pulls both ends of a route `by` px in (along their horizontal segments).
fn nudge(points: &mut [(f64, f64)], by: f64) {
    let k = points.len() - 1;
    let first = (points[1].0 - points[0].0).signum();
    points[0].0 += first * by;
    let last = (points[k].0 - points[k - 1].0).signum();
    points[k].0 -= last * by;
}

/// The name on a tube with its writer and reader counts.
pub(crate) fn tube_label(lang: Lang, pn: &super::scene::PipeNode) -> String {
    format!(
        "{} \u{b7} {}",
        fit(&pn.label, TUBE_COLS),
        phrase(
            lang,
            &Phrase::PipeCounts {
                writers: pn.writers.len(),
                readers: pn.readers.len(),
                unknown: pn.unknown.len()
            }
        )
    )
}

/// The verdict beside a tube, when it is news: EOF, SIGPIPE, or ends that
/// may be held outside the trace.
pub(crate) fn tube_verdict(
    lang: Lang,
    pn: &super::scene::PipeNode,
) -> Option<crate::words::diagram::PipeVerdict> {
    pipe_verdict(
        lang,
        pn.writers.len(),
        pn.readers.len(),
        pn.unknown.len(),
        pn.origin == "inherited",
    )
    .filter(|v| v.eof || v.bad)
}

/// A ghost row's text: what the fd was before the event.
pub(crate) fn ghost_label(lang: Lang, was: &str) -> String {
    phrase(lang, &Phrase::Was(fit(was, LABEL_COLS).to_string()))
}

/// Two drawings side by side (`--before`), each under its heading.
pub fn side_by_side(left: &str, right: &str, left_head: &str, right_head: &str) -> String {
    fn size(svg: &str) -> (f64, f64) {
        let attr = |name: &str| {
            let key = format!(" {name}=\"");
            svg.find(&key)
                .and_then(|i| svg[i + key.len()..].split('"').next())
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (attr("width"), attr("height"))
    }
    let (lw, lh) = size(left);
    let (rw, rh) = size(right);
    let head = 28.0;
    let width = (lw + rw + 3.0 * MARGIN).ceil();
    let height = (lh.max(rh) + head).ceil();
    let mut out = String::with_capacity(left.len() + right.len() + 1024);
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"fs\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\n<style>\n{STYLE}</style>\n<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>"
    );
    text(&mut out, MARGIN, 20.0, "fs-call", left_head);
    text(&mut out, lw + 2.0 * MARGIN, 20.0, "fs-call", right_head);
    let _ = writeln!(
        out,
        "<line x1=\"{}\" y1=\"4\" x2=\"{}\" y2=\"{height}\" stroke=\"#adb5bd\" stroke-dasharray=\"4 3\"/>",
        n(lw + MARGIN),
        n(lw + MARGIN)
    );
    for (svg, x) in [(left, 0.0), (right, lw + MARGIN)] {
        // Nested: the inner document's root, placed.
        let inner = svg.replacen("<svg ", &format!("<svg x=\"{}\" y=\"{head}\" ", n(x)), 1);
        out.push_str(&inner);
    }
    out.push_str("</svg>\n");
    out
}

fn draw_box(lang: Lang, p: &ProcBox, b: &Placed, out: &mut String) {
    let mut class = String::from("fs-proc");
    if p.highlight {
        class.push_str(" fs-hl");
    }
    match p.state {
        "zombie" => class.push_str(" fs-zombie"),
        "stopped" => class.push_str(" fs-stopped"),
        _ => {}
    }
    let _ = write!(
        out,
        "<g class=\"{class}\" data-pid=\"{}\"><title>{}</title>",
        p.pid,
        esc(&box_tooltip(lang, p))
    );
    // At the origin: the page places it (see [`Pieces`]).
    let (x, y, w, h) = (0.0, 0.0, b.w, b.h);
    let rows_y = b.rows_y - b.y;
    let _ = write!(
        out,
        "<rect class=\"fs-box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\"/>\
         <rect class=\"fs-head\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{HEAD_H}\" rx=\"6\"/>\
         <rect class=\"fs-head\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"6\"/>",
        n(x),
        n(y),
        n(w),
        n(h),
        n(x + 0.5),
        n(y + 0.5),
        n(w - 1.0),
        n(x + 0.5),
        n(y + HEAD_H - 6.0),
        n(w - 1.0),
    );
    // Header: pid, program, badges.
    let ty = y + 15.0;
    let pid = p.pid.to_string();
    let prog = fit(&p.program, PROG_COLS);
    let _ = write!(
        out,
        "<text x=\"{}\" y=\"{}\"><tspan class=\"fs-pid\">{pid}</tspan> <tspan class=\"fs-prog\">{}</tspan></text>",
        n(x + PAD),
        n(ty),
        esc(&prog)
    );
    let mut bx = x + PAD + (cols(&pid) + 1 + cols(&prog)) as f64 * CH + CH;
    for badge in badges(lang, p) {
        let bw = badge_w(&badge);
        let bclass = if p.new && badge == word(lang, Word::NewMark) {
            "fs-newb"
        } else {
            "fs-badge"
        };
        let _ = write!(
            out,
            "<rect class=\"{bclass}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" rx=\"7\"/><text class=\"fs-badget\" x=\"{}\" y=\"{}\">{}</text>",
            n(bx),
            n(y + 4.0),
            n(bw),
            n(bx + bw / 2.0),
            n(y + 14.5),
            esc(&badge)
        );
        bx += bw + 4.0;
    }
    if let Some(c) = chain_text(lang, p) {
        let _ = write!(
            out,
            "<text class=\"fs-chain\" x=\"{}\" y=\"{}\">{}</text>",
            n(x + PAD),
            n(y + HEAD_H + 12.0),
            esc(&c)
        );
    }
    // The fd table.
    let mark_x = x + PAD + (4 + b.label_cols) as f64 * CH + CH;
    for (i, f) in p.fds.iter().enumerate() {
        let top = rows_y + ROW_H * i as f64;
        let base = top + 13.0;
        if f.highlight {
            let _ = write!(
                out,
                "<rect class=\"fs-rowhl\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{ROW_H}\"/>",
                n(x + 1.5),
                n(top),
                n(w - 3.0)
            );
        }
        let mut lclass = match f.pipe.map(|r| r.end) {
            Some("write") => "fs-write".to_string(),
            Some("read") => "fs-read".to_string(),
            _ => String::new(),
        };
        if f.highlight {
            lclass.push_str(" fs-rowhl-text");
        }
        if b.warn_fds.contains(&f.fd) {
            lclass.push_str(" fs-warnrow");
        }
        let _ = write!(
            out,
            "<g class=\"fs-row\" data-fd=\"{}\"><title>{}</title><text class=\"fs-fd\" x=\"{}\" y=\"{}\">{}</text><text{} x=\"{}\" y=\"{}\">{}</text>",
            f.fd,
            esc(&row_tooltip(lang, p.pid, f)),
            n(x + PAD + 3.0 * CH),
            n(base),
            f.fd,
            class_attr(lclass.trim()),
            n(x + PAD + 4.0 * CH),
            n(base),
            esc(&fit(&f.label, LABEL_COLS))
        );
        let mut mx = mark_x;
        if b.any_cloexec {
            if f.cloexec {
                mark(out, mx, top, "cloexec", "fs-mark", "fs-markt");
            }
            mx += mark_w("cloexec") + CH;
        }
        if let Some(m) = shared_mark(f) {
            mark(out, mx, top, &m, "fs-shared", "fs-sharedt");
            mx += mark_w(&m) + CH;
        }
        if f.new {
            mark(
                out,
                mx,
                top,
                word(lang, Word::NewMark),
                "fs-newb",
                "fs-newt",
            );
        }
        out.push_str("</g>");
    }
    let mut ry = rows_y + ROW_H * p.fds.len() as f64;
    for (fd, was) in &p.ghosts {
        let base = ry + 13.0;
        let _ = write!(
            out,
            "<g class=\"fs-row fs-gone\" data-fd=\"{fd}\"><text class=\"fs-fd fs-ghost\" x=\"{}\" y=\"{}\">{fd}</text><text class=\"fs-ghost\" x=\"{}\" y=\"{}\">{}</text></g>",
            n(x + PAD + 3.0 * CH),
            n(base),
            n(x + PAD + 4.0 * CH),
            n(base),
            esc(&ghost_label(lang, was))
        );
        ry += ROW_H;
    }
    if p.fds.is_empty() {
        let _ = write!(
            out,
            "<text class=\"fs-more\" x=\"{}\" y=\"{}\">{}</text>",
            n(x + PAD),
            n(ry + 13.0),
            word(lang, Word::NoOpenFds)
        );
        ry += ROW_H;
    }
    if p.hidden_files > 0 {
        let hidden = phrase(lang, &Phrase::FdsNotShown(p.hidden_files));
        let _ = write!(
            out,
            "<text class=\"fs-more\" x=\"{}\" y=\"{}\">{}</text>",
            n(x + PAD),
            n(ry + 13.0),
            phrase(lang, &Phrase::Hidden(hidden))
        );
        ry += ROW_H;
    }
    if !b.warnings.is_empty() {
        ry += 4.0;
        let wh = WARN_H * b.warnings.len() as f64 + 4.0;
        let _ = write!(
            out,
            "<rect class=\"fs-warnbg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
            n(x + 1.0),
            n(ry - 2.0),
            n(w - 2.0),
            n(wh)
        );
        for (i, line) in b.warnings.iter().enumerate() {
            let _ = write!(
                out,
                "<text class=\"fs-warn\" x=\"{}\" y=\"{}\">{}</text>",
                n(x + PAD),
                n(ry + 10.0 + WARN_H * i as f64),
                esc(line)
            );
        }
    }
    let _ = writeln!(
        out,
        "<rect class=\"fs-outline\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\"/></g>",
        n(x),
        n(y),
        n(w),
        n(h)
    );
}

/// ` class="..."`, or nothing for no class.
fn class_attr(class: &str) -> String {
    if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    }
}

/// A small outlined label in a row.
fn mark(out: &mut String, x: f64, top: f64, s: &str, class: &str, tclass: &str) {
    let w = mark_w(s);
    let _ = write!(
        out,
        "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"13\" rx=\"3\"/><text class=\"{tclass}\" x=\"{}\" y=\"{}\">{}</text>",
        n(x),
        n(top + 2.5),
        n(w),
        n(x + w / 2.0),
        n(top + 12.5),
        esc(s)
    );
}

/// Width of a [`mark`] (10 px text: 6 px a column).
pub(crate) fn mark_w(s: &str) -> f64 {
    cols(s) as f64 * 6.0 + 8.0
}

fn badge_w(s: &str) -> f64 {
    cols(s) as f64 * 6.2 + 12.0
}

/// `#3×2` for an open file description several fds share.
pub(crate) fn shared_mark(f: &FdRow) -> Option<String> {
    (f.refcount > 1).then(|| format!("{}\u{d7}{}", f.open_file, f.refcount))
}

fn badges(lang: Lang, p: &ProcBox) -> Vec<String> {
    let mut v = Vec::new();
    match p.state {
        "running" => {}
        s => v.push(state(lang, s).to_string()),
    }
    if p.threads > 0 {
        v.push(phrase(lang, &Phrase::Threads(p.threads)));
    }
    if p.new {
        v.push(word(lang, Word::NewMark).to_string());
    }
    v
}

pub(crate) fn header_w(lang: Lang, p: &ProcBox) -> f64 {
    let mut w = (cols(&p.pid.to_string()) + 1 + cols(&fit(&p.program, PROG_COLS))) as f64 * CH;
    for b in badges(lang, p) {
        w += 4.0 + badge_w(&b);
    }
    w + CH
}

/// `exec: sh → echo`, when the process ran more than one program.
pub(crate) fn chain_text(lang: Lang, p: &ProcBox) -> Option<String> {
    if p.chain.len() < 2 {
        return None;
    }
    let skip = p.chain.len().saturating_sub(4);
    let names: Vec<String> = p.chain[skip..].iter().map(|c| fit(c, 20)).collect();
    let lead = if skip > 0 { "\u{2026} \u{2192} " } else { "" };
    let names = names.join(" \u{2192} ");
    Some(phrase(lang, &Phrase::Chain(format!("{lead}{names}"))))
}

fn box_tooltip(lang: Lang, p: &ProcBox) -> String {
    phrase(
        lang,
        &Phrase::BoxTip {
            pid: p.pid,
            program: p.program.clone(),
            state: state(lang, p.state).to_string(),
            parent: p.parent,
            chain: (!p.chain.is_empty()).then(|| p.chain.join(" \u{2192} ")),
        },
    )
}

fn row_tooltip(lang: Lang, pid: Pid, f: &FdRow) -> String {
    phrase(
        lang,
        &Phrase::RowTip {
            pid,
            fd: f.fd,
            label: f.label.clone(),
            cloexec: f.cloexec,
            file: f.open_file.clone(),
            count: f.refcount,
        },
    )
}

/// A class for a pipe that was not made by `pipe()` in the trace.
fn origin_class(origin: &str) -> &'static str {
    match origin {
        "fifo" => " fs-fifo",
        "inherited" => " fs-inherited",
        _ => "",
    }
}

fn pipe_tooltip(lang: Lang, p: &super::scene::PipeNode) -> String {
    let list = |v: &[(Pid, i32)]| {
        if v.is_empty() {
            word(lang, Word::Nobody).to_string()
        } else {
            holders_text(lang, v)
        }
    };
    phrase(
        lang,
        &Phrase::PipeTip {
            label: p.label.clone(),
            writers: list(&p.writers),
            readers: list(&p.readers),
            unknown: (!p.unknown.is_empty()).then(|| list(&p.unknown)),
            origin: crate::words::diagram::Origin::of(p.origin),
        },
    )
}

/// `18576 fd 0,1,2 · 18577 fd 0,2`, at most [`HOLDERS_SHOWN`] fds.
fn holders_text(lang: Lang, v: &[(Pid, i32)]) -> String {
    let mut groups: Vec<(Pid, Vec<i32>)> = Vec::new();
    for &(pid, fd) in v.iter().take(HOLDERS_SHOWN) {
        match groups.last_mut() {
            Some((p, fds)) if *p == pid => fds.push(fd),
            _ => groups.push((pid, vec![fd])),
        }
    }
    let mut s = groups
        .iter()
        .map(|(p, fds)| {
            let fds: Vec<String> = fds.iter().map(|f| f.to_string()).collect();
            format!("{p} fd {}", fds.join(","))
        })
        .collect::<Vec<_>>()
        .join(" \u{b7} ");
    if v.len() > HOLDERS_SHOWN {
        let rest = v.len() - HOLDERS_SHOWN;
        s.push_str(&phrase(lang, &Phrase::MoreHolders(rest)));
    }
    s
}

pub(crate) fn text(out: &mut String, x: f64, y: f64, class: &str, s: &str) {
    if class.is_empty() {
        let _ = write!(out, "<text x=\"{}\" y=\"{}\">", n(x), n(y));
    } else {
        let _ = write!(
            out,
            "<text class=\"{class}\" x=\"{}\" y=\"{}\">",
            n(x),
            n(y)
        );
    }
    esc_into(out, s);
    out.push_str("</text>\n");
}

/// A coordinate with at most one decimal, without trailing zeros.
pub(crate) fn n(v: f64) -> Num {
    Num(v)
}

/// [`n`]'s number, written where it is formatted (no string of its own,
/// no float formatting: a drawing writes thousands of them).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Num(f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // In tenths: `r` below is the double nearest `t / 10`, which `{:.1}`
        // writes as exactly those tenths (and as a whole number when `t`
        // is a multiple of ten), for any `t` far below 2^53.
        let t = (self.0 * 10.0).round();
        if t.is_nan() || t.abs() >= 1e15 {
            let r = t / 10.0;
            return if r == r.trunc() {
                f.pad(&format!("{}", r as i64))
            } else {
                f.pad(&format!("{r:.1}"))
            };
        }
        let t = t as i64;
        let mut buf = [0u8; 24];
        let mut at = buf.len();
        let mut a = t.unsigned_abs();
        if a % 10 != 0 {
            at -= 2;
            buf[at] = b'.';
            buf[at + 1] = b'0' + (a % 10) as u8;
        }
        a /= 10;
        loop {
            at -= 1;
            buf[at] = b'0' + (a % 10) as u8;
            a /= 10;
            if a == 0 {
                break;
            }
        }
        if t < 0 {
            at -= 1;
            buf[at] = b'-';
        }
        f.pad(std::str::from_utf8(&buf[at..]).expect("ASCII digits"))
    }
}

/// Escapes text for XML 1.0 (and HTML) content and attribute values: the
/// five markup characters become entities; the control characters XML 1.0
/// forbids, U+FFFE and U+FFFF become U+FFFD, and so do DEL, the C1 controls
/// (which XML discourages) and the bidi embeddings and isolates (which would
/// reorder a label on screen); tab, newline and carriage return become
/// spaces (one line of text each).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    esc_into(&mut out, s);
    out
}

/// Appends [`esc`] of `s` to `out`.
pub(crate) fn esc_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{fffe}'
            | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

use super::ascii::char_cols;

/// Columns `s` takes.
pub(crate) fn cols(s: &str) -> usize {
    crate::words::text::width(s)
}

/// `s` cut to at most `max` columns: the middle gives way to `…` (the end of
/// a path names the file, the start says where it is).
pub(crate) fn fit(s: &str, max: usize) -> String {
    if cols(s) <= max {
        return s.to_string();
    }
    let max = max.max(2);
    let head_cols = (max - 1) / 3;
    let tail_cols = max - 1 - head_cols;
    let mut head = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + char_cols(c) > head_cols {
            break;
        }
        used += char_cols(c);
        head.push(c);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        if used + char_cols(c) > tail_cols {
            break;
        }
        used += char_cols(c);
        tail.push(c);
    }
    head.push('\u{2026}');
    head.extend(tail.into_iter().rev());
    head
}

/// `s` broken into lines of at most `width` columns, at spaces where it
/// can, and between two Chinese characters (never before closing nor after
/// opening punctuation: see [`super::ascii::pieces`]). Text without wide
/// characters breaks only at spaces.
pub(crate) fn wrap(s: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    crate::words::text::lay_out(crate::words::text::pieces(s), width, width, true)
}

/// [`wrap`] at spaces only, so each run between spaces (a legend item
/// joined with no-break spaces) stays on one line.
fn wrap_at_spaces(s: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let words = s.split(' ').enumerate();
    let pieces = words.map(|(i, w)| (i > 0, w.to_string())).collect();
    crate::words::text::lay_out(pieces, width, width, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::scene::{EventInfo, PipeNode, PipeRef, SharedFile, Warning};

    fn row(fd: i32, label: &str, pipe: Option<(u32, &'static str)>, refcount: usize) -> FdRow {
        FdRow {
            fd,
            cloexec: false,
            label: label.into(),
            kind: if pipe.is_some() { "pipe" } else { "tty" },
            pipe: pipe.map(|(number, end)| PipeRef { number, end }),
            open_file: format!("#{fd}"),
            refcount,
            highlight: false,
            new: false,
        }
    }

    fn proc_box(pid: Pid, parent: Option<Pid>, depth: usize, fds: Vec<FdRow>) -> ProcBox {
        ProcBox {
            pid,
            parent,
            depth,
            program: "sh".into(),
            chain: vec!["sh".into()],
            state: "running",
            threads: 0,
            fds,
            hidden_files: 0,
            highlight: false,
            new: false,
            ghosts: Vec::new(),
        }
    }

    /// A shell with `n` children in a pipeline: child i writes pipe i+1 and
    /// reads pipe i.
    fn pipeline(n: usize) -> Scene {
        let mut processes = vec![proc_box(100, None, 0, vec![row(0, "/dev/pts/0", None, 1)])];
        let mut pipes = Vec::new();
        for i in 0..n {
            let pid = 1000 + i as Pid;
            let mut fds = vec![row(2, "/dev/pts/0", None, 1)];
            if i > 0 {
                let p = i as u32;
                fds.insert(
                    0,
                    row(0, &format!("pipe#{p} read end"), Some((p, "read")), 1),
                );
            }
            if i + 1 < n {
                let p = i as u32 + 1;
                fds.insert(
                    1.min(fds.len()),
                    row(1, &format!("pipe#{p} write end"), Some((p, "write")), 1),
                );
                pipes.push(PipeNode {
                    number: p,
                    label: format!("pipe#{p}"),
                    origin: "created",
                    readers: vec![(pid + 1, 0)],
                    writers: vec![(pid, 1)],
                    unknown: vec![],
                });
            }
            processes.push(proc_box(pid, Some(100), 1, fds));
        }
        Scene {
            title: "sh -c 'a | b'".into(),
            event: Some(EventInfo {
                seq: 7,
                pid: 100,
                call: "fork() = 1000".into(),
                sentence: Some("1000 is born".into()),
            }),
            processes,
            pipes,
            shared: vec![],
            warnings: vec![],
            open_files: Vec::new(),
            lang: Lang::En,
        }
    }

    #[test]
    fn the_shared_files_footer_wraps_and_never_cuts_a_holder_list() {
        let mut sc = pipeline(2);
        let holders: Vec<(Pid, i32)> = (0..12).map(|i| (27950 + i, i % 3)).collect();
        sc.shared.push(super::super::scene::SharedFile {
            id: "#9".into(),
            label: "/var/log/a-rather-long-directory-name/and-a-long-file-name.log".into(),
            holders,
        });
        let out = render(&sc);
        let footer = &out[out.find("Open files shared by several fds").unwrap()..];
        assert!(!footer.contains('\u{2026}'), "{footer}");
        for i in 0..12 {
            assert!(footer.contains(&format!("{}", 27950 + i)), "{footer}");
        }
    }

    #[test]
    fn a_coordinate_is_written_as_rounding_and_float_formatting_write_it() {
        fn by_format(v: f64) -> String {
            let r = (v * 10.0).round() / 10.0;
            if r == r.trunc() {
                format!("{}", r as i64)
            } else {
                format!("{r:.1}")
            }
        }
        let mut values = vec![
            0.0,
            -0.0,
            0.05,
            -0.05,
            0.15,
            0.25,
            -0.25,
            1e15,
            -3e16,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        values.extend((-40_000..40_000).map(|k| f64::from(k) * 0.05));
        values.extend((-40_000..40_000).map(|k| f64::from(k) * 0.37 / 7.0));
        values.extend((0..2000).map(|k| 720.0 + f64::from(k) * CH / 3.0));
        for v in values {
            assert_eq!(n(v).to_string(), by_format(v), "{v}");
            assert_eq!(format!("{:>8}", n(v)), format!("{:>8}", by_format(v)));
        }
    }

    #[test]
    fn escaping_covers_markup_and_forbidden_controls() {
        assert_eq!(
            esc("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            esc("a\u{0}b\u{1b}c\u{fffe}d\u{7f}\u{85}e\u{202e}"),
            "a\u{fffd}b\u{fffd}c\u{fffd}d\u{fffd}\u{fffd}e\u{fffd}"
        );
        assert_eq!(esc("a\tb\nc"), "a b c");
    }

    #[test]
    fn long_text_loses_its_middle_and_wraps_at_spaces() {
        let p = "/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache";
        let f = fit(p, 20);
        assert_eq!(cols(&f), 20);
        assert!(
            f.starts_with("/usr/") && f.ends_with("modules.cache"),
            "{f}"
        );
        assert_eq!(wrap("aa bb cc dd", 8), vec!["aa bb cc", "dd"]);
        assert_eq!(wrap("abcdefghij", 8), vec!["abcdefgh", "ij"]);
        assert_eq!(wrap("a  b", 8), vec!["a  b"]);
        assert_eq!(wrap_at_spaces("aa bb cc dd", 8), wrap("aa bb cc dd", 8));
    }

    #[test]
    fn wide_text_wraps_between_characters_but_a_legend_item_stays_whole() {
        // 9 columns: four wide characters a line (the sign takes one).
        assert_eq!(
            wrap(
                "\u{26a0} 12 \u{ac00}\u{ac01}\u{ac02}\u{ac03}\u{ac04}\u{ac05}",
                9
            ),
            [
                "\u{26a0} 12 \u{ac00}\u{ac01}",
                "\u{ac02}\u{ac03}\u{ac04}\u{ac05}"
            ]
        );
        // A legend item (no-break spaces inside) moves to the next line whole.
        assert_eq!(
            wrap_at_spaces("ab\u{a0}c defghij", 8),
            ["ab\u{a0}c", "defghij"]
        );
    }

    #[test]
    fn a_pipeline_draws_boxes_a_tube_and_arrows_both_ways() {
        let svg = render(&pipeline(2));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert_eq!(svg.matches("<g class=\"fs-proc").count(), 3);
        assert_eq!(svg.matches("class=\"fs-tube\"").count(), 1);
        assert!(svg.contains("marker-end=\"url(#fs-aw)\""));
        assert!(svg.contains("marker-end=\"url(#fs-ar)\""));
        assert_eq!(svg.matches("class=\"fs-link\"").count(), 2);
        assert!(svg.contains("#7 · 100 · fork() = 1000"));
        assert!(svg.contains("data-seq=\"7\""));
    }

    #[test]
    fn rows_never_overlap_and_arrows_start_at_their_rows() {
        let scene = pipeline(6);
        let l = Layout::new(&scene);
        for w in l.boxes.windows(2) {
            assert!(w[0].y + w[0].h < w[1].y, "boxes overlap");
        }
        for t in &l.tubes {
            assert!(t.x > l.boxes.iter().map(|b| b.x + b.w).fold(0.0, f64::max));
        }
        // Consecutive pipes overlap in y, so they take different slots.
        assert!(l
            .tubes
            .windows(2)
            .all(|w| w[0].x != w[1].x || w[0].bottom < w[1].top));
    }

    #[test]
    fn zombies_stopped_and_warnings_are_marked() {
        let mut s = pipeline(2);
        s.processes[1].state = "zombie";
        s.processes[2].state = "stopped";
        s.processes[2].highlight = true;
        s.warnings.push(Warning {
            pid: 1001,
            fd: Some(0),
            text: "1001 <holds> both ends".into(),
        });
        s.shared.push(SharedFile {
            id: "#0".into(),
            label: "/dev/pts/0".into(),
            holders: vec![(100, 0), (1000, 2), (1001, 2)],
        });
        let svg = render(&s);
        assert!(svg.contains("fs-proc fs-zombie"));
        assert!(svg.contains("fs-proc fs-hl fs-stopped"));
        assert!(svg.contains("\u{26a0} 1001 &lt;holds&gt; both ends"));
        assert!(svg.contains("100 fd 0 · 1000 fd 2 · 1001 fd 2"));
    }

    #[test]
    fn fifos_inherited_pipes_and_holders_not_drawn_are_marked() {
        let mut s = pipeline(3);
        s.pipes[0].origin = "fifo";
        s.pipes[1].origin = "inherited";
        s.pipes[1].writers.push((9999, 7));
        let svg = render(&s);
        assert!(svg.contains("class=\"fs-tube fs-fifo\""));
        assert!(svg.contains("class=\"fs-tube fs-inherited fs-partial\""));
        assert!(svg.contains("and 1 fd in processes not drawn"));
        assert!(svg.contains("inherited from outside the trace"));
    }
}
