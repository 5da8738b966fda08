//! The kernel view of a [`Scene`] as SVG: the three tables of the textbook
//! figure (APUE 3.7–3.9, CSAPP 10.12–10.14). On the left each process's fd
//! table, in the middle the system open file table (one entry per open file
//! description: access mode, O_APPEND/O_NONBLOCK as opened, the one offset
//! its fds share, its reference count), on the right what the entries refer
//! to: files, ttys, sockets, and pipes drawn as tubes with a write mouth at
//! the top and a read mouth at the bottom. Arrows go fd → open file →
//! object, so `2>&1` reads as two arrows into one open file and a fork as a
//! second process's arrows into the same entries (their refcounts go up).
//! cloexec is drawn on the fd, where the kernel keeps it.
//!
//! Columns are separated by gaps and every arrow runs only inside the gap
//! between the two columns it joins, so no arrow crosses a box; [`layout`]
//! returns the geometry so tests can check that, and that no two boxes
//! overlap.

use super::scene::{OpenFileNode, PipeNode, ProcBox, Scene};
use super::svg::{self, cols, esc, fit, n, text, wrap, Opts};
use crate::trace::Pid;
use crate::words::diagram::{access, phrase, pipe_verdict, state, word, Phrase, Word};
use crate::words::Lang;
use std::fmt::Write;

const CH: f64 = 7.2;
const MARGIN: f64 = 16.0;
const PAD: f64 = 8.0;
const HEAD_H: f64 = 22.0;
const ROW_H: f64 = 18.0;
const LINE_H: f64 = 16.0;
const GAP: f64 = 96.0;
const BOX_GAP: f64 = 12.0;
const INDENT: f64 = 14.0;
const TUBE_W: f64 = 24.0;
const MIN_TUBE_H: f64 = 96.0;
/// Longest program name in a header, and object name, drawn in full.
const NAME_COLS: usize = 34;
/// Columns a pipe's verdict wraps at.
const VERDICT_COLS: usize = 30;

/// A box in the drawing (for geometry tests).
#[derive(Clone, Debug, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// What it is: `fd table 12`, `open file #3`, `object pipe#1`.
    pub what: String,
}

impl Rect {
    /// Do the two overlap (touching edges do not count)?
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    /// Is the point strictly inside?
    pub fn contains(&self, px: f64, py: f64) -> bool {
        px > self.x + 0.5
            && px < self.x + self.w - 0.5
            && py > self.y + 0.5
            && py < self.y + self.h - 0.5
    }
}

/// A line of text or a badge in the drawing (for geometry tests): where
/// it reaches, estimated from its columns (the monospace font's advance at
/// its size), and the box it is drawn in (`None` for a column's heading).
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Its extent; `what` is the text.
    pub rect: Rect,
    /// Index into [`Layout::rects`] of the box it belongs in.
    pub owner: Option<usize>,
}

/// Advance of one column at 11 px (the flags, mouths and verdicts).
const SMALL_CH: f64 = 6.6;

/// Records a line of `s` with its baseline at (`x`, `y`) (offset by `at`,
/// the group it is drawn in): 12 px text, or 11 px when `small`.
fn label(
    l: &mut Option<Vec<Label>>,
    owner: Option<usize>,
    at: (f64, f64),
    x: f64,
    y: f64,
    s: &str,
    small: bool,
) {
    let Some(l) = l else { return };
    let (adv, up) = if small { (SMALL_CH, 9.0) } else { (CH, 10.0) };
    l.push(Label {
        rect: Rect {
            x: at.0 + x,
            y: at.1 + y - up,
            w: cols(s) as f64 * adv,
            h: up + 3.0,
            what: s.to_string(),
        },
        owner,
    });
}

/// Whether a text class is drawn at 11 px.
fn small(class: &str) -> bool {
    matches!(
        class,
        "fs-kflag" | "fs-kmouth" | "fs-keof" | "fs-kbad" | "fs-more"
    )
}

/// An arrow: a cubic curve from one box to another, its control points at
/// the middle of the gap.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// The box it starts in (index into [`Layout::rects`]).
    pub from: usize,
    /// The box it ends at.
    pub to: usize,
    /// Start.
    pub a: (f64, f64),
    /// End.
    pub b: (f64, f64),
    /// `fs-cw` (write), `fs-cr` (read), `fs-crw`, `fs-cu` (unknown).
    pub class: &'static str,
}

impl Edge {
    /// The point at `t` (0..=1) along the curve.
    pub fn at(&self, t: f64) -> (f64, f64) {
        let mx = (self.a.0 + self.b.0) / 2.0;
        let p = [self.a, (mx, self.a.1), (mx, self.b.1), self.b];
        let u = 1.0 - t;
        let c = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
        (
            p.iter().zip(c).map(|(p, c)| p.0 * c).sum(),
            p.iter().zip(c).map(|(p, c)| p.1 * c).sum(),
        )
    }
}

/// The kernel view laid out.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// Every box, label block included.
    pub rects: Vec<Rect>,
    /// Every arrow.
    pub edges: Vec<Edge>,
    /// Every line of text and badge, with the box it is drawn in.
    pub labels: Vec<Label>,
    /// The drawing's size (without a caption).
    pub width: f64,
    /// Its height.
    pub height: f64,
    /// The SVG elements.
    body: String,
}

/// The kernel view as a standalone SVG document (caption and style in).
pub fn render(scene: &Scene) -> String {
    render_with(
        scene,
        Opts {
            caption: true,
            style: true,
        },
    )
}

/// Lines of text with their classes.
type Lines = Vec<(String, &'static str)>;

/// An object in the right column.
struct Obj<'a> {
    name: &'a str,
    kind: &'static str,
    pipe: Option<&'a PipeNode>,
    files: Vec<usize>,
}

fn kind_word(lang: Lang, kind: &str) -> &'static str {
    word(
        lang,
        match kind {
            "file" => Word::KindFileInode,
            "tty" => Word::KindTty,
            "socket" => Word::KindSocket,
            _ => Word::KindOther,
        },
    )
}

fn edge_class(access: &str) -> &'static str {
    match access {
        "write" => "fs-cw",
        "read" => "fs-cr",
        "read/write" => "fs-crw",
        _ => "fs-cu",
    }
}

fn marker(class: &str) -> &'static str {
    match class {
        "fs-cw" => " marker-end=\"url(#fs-aw)\"",
        "fs-cr" => " marker-end=\"url(#fs-ar)\"",
        "fs-crw" => " marker-end=\"url(#fs-arw)\"",
        _ => "",
    }
}

fn badge(out: &mut String, x: f64, y: f64, s: &str) -> f64 {
    let w = cols(s) as f64 * 6.2 + 10.0;
    let _ = write!(
        out,
        "<rect class=\"fs-newb\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" rx=\"7\"/><text class=\"fs-newt\" x=\"{}\" y=\"{}\">{}</text>",
        n(x),
        n(y),
        n(w),
        n(x + w / 2.0),
        n(y + 10.5),
        esc(s)
    );
    w
}

/// Records a badge drawn at (`x`, `y`), `w` wide, in box `owner`.
fn badge_label(l: &mut Option<Vec<Label>>, owner: usize, at: (f64, f64), x: f64, y: f64, w: f64) {
    let Some(l) = l else { return };
    l.push(Label {
        rect: Rect {
            x: at.0 + x,
            y: at.1 + y,
            w,
            h: 14.0,
            what: "badge".to_string(),
        },
        owner: Some(owner),
    });
}

/// The line saying how many fds `collapse_files` left out.
fn hidden_text(lang: Lang, hidden: usize) -> String {
    format!("\u{2026} {}", phrase(lang, &Phrase::FdsNotShown(hidden)))
}

fn header_text(lang: Lang, p: &ProcBox) -> String {
    let prog = fit(&p.program, NAME_COLS);
    match p.state {
        "running" => format!("{} {prog}", p.pid),
        s => format!("{} {prog} [{}]", p.pid, state(lang, s)),
    }
}

fn ghost_text(lang: Lang, fd: i32, was: &str) -> String {
    format!(
        "{fd:>3}  {}",
        phrase(lang, &Phrase::Was(fit(was, NAME_COLS).to_string()))
    )
}

fn ofile_lines(lang: Lang, o: &OpenFileNode) -> Vec<(String, &'static str)> {
    let mut v = vec![(format!("{} {}", o.id, access(lang, o.access)), "fs-kid")];
    let mut flags = Vec::new();
    if o.append {
        flags.push("O_APPEND");
    }
    if o.nonblock {
        flags.push("O_NONBLOCK");
    }
    if !flags.is_empty() {
        v.push((flags.join(" "), "fs-kflag"));
    }
    v.push((phrase(lang, &Phrase::Refcount(o.refcount)), ""));
    if o.refcount > 1 && o.kind == "file" {
        v.push((word(lang, Word::SharedOffset).to_string(), "fs-kflag"));
    }
    v
}

/// Places `items` (each a wanted top and a height) in order, top to
/// bottom, each at its wanted top or just below the one before.
fn stack(items: &[(f64, f64)], top: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(items.len());
    let mut next = top;
    for (want, h) in items {
        let y = want.max(next);
        out.push(y);
        next = y + h + BOX_GAP;
    }
    out
}

/// Lays the kernel view out, from `top` down.
pub fn layout(scene: &Scene, top: f64) -> Layout {
    layout_in(scene, top, &across(scene), true)
}

/// What decides the kernel view's columns across: the same wherever the
/// drawing starts down, so [`render_with`] measures it once, for the
/// width its caption wraps at and for the layout.
struct Across<'a> {
    /// The fd tables' column width (the widest table).
    col_a: f64,
    /// The open file table's column width.
    col_b: f64,
    /// Each open file's lines.
    ofiles: Vec<Lines>,
    /// The objects of the right column, in the order of the open files.
    objs: Vec<Obj<'a>>,
    /// Each object's width, height and lines.
    sizes: Vec<(f64, f64, Lines)>,
}

impl Across<'_> {
    /// The drawing's width (as [`Layout::width`]).
    fn width(&self) -> f64 {
        let bx = MARGIN + self.col_a + GAP;
        let cx = bx + self.col_b + GAP;
        let right = self.sizes.iter().fold(cx, |r, s| r.max(cx + s.0));
        (right + MARGIN).max(720.0).ceil()
    }
}

/// Measures the kernel view's columns.
fn across(scene: &Scene) -> Across<'_> {
    let lang = scene.lang;
    let mut col_a = 150.0f64;
    for p in &scene.processes {
        let indent = INDENT * p.depth.min(4) as f64;
        let mut c = cols(&header_text(lang, p)) + if p.new { 6 } else { 0 };
        for f in &p.fds {
            c = c.max(12 + if f.cloexec { 9 } else { 0 } + if f.new { 5 } else { 0 });
        }
        for (fd, was) in &p.ghosts {
            c = c.max(cols(&ghost_text(lang, *fd, was)));
        }
        // The 11 px line under the rows: fds left out, or none open.
        let note = if p.hidden_files > 0 {
            cols(&hidden_text(lang, p.hidden_files))
        } else if p.fds.is_empty() {
            cols(word(lang, Word::NoOpenFds))
        } else {
            0
        };
        col_a = col_a
            .max(indent + c as f64 * CH + 2.0 * PAD)
            .max(indent + note as f64 * SMALL_CH + 2.0 * PAD);
    }
    let files = &scene.open_files;
    let ofiles: Vec<Lines> = files.iter().map(|o| ofile_lines(lang, o)).collect();
    let col_b = ofiles
        .iter()
        .flatten()
        .map(|(s, _)| cols(s) as f64 * CH + 2.0 * PAD)
        .fold(150.0f64, f64::max);
    // Objects, in the order of the open files they are wanted by.
    let mut objs: Vec<Obj> = Vec::new();
    for (i, o) in files.iter().enumerate() {
        match objs.iter_mut().find(|b| b.name == o.object) {
            Some(b) => b.files.push(i),
            None => objs.push(Obj {
                name: &o.object,
                kind: o.kind,
                pipe: o
                    .pipe
                    .and_then(|r| scene.pipes.iter().find(|p| p.number == r.number)),
                files: vec![i],
            }),
        }
    }
    let sizes: Vec<(f64, f64, Lines)> = objs
        .iter()
        .map(|o| match o.pipe {
            Some(p) => {
                let mut lines = vec![
                    (fit(&p.label, NAME_COLS), "fs-kpipe"),
                    (
                        phrase(
                            lang,
                            &Phrase::PipeCounts {
                                writers: p.writers.len(),
                                readers: p.readers.len(),
                                unknown: p.unknown.len(),
                            },
                        ),
                        "",
                    ),
                ];
                if let Some(v) = pipe_verdict(
                    lang,
                    p.writers.len(),
                    p.readers.len(),
                    p.unknown.len(),
                    p.origin == "inherited",
                ) {
                    let class = if v.eof {
                        "fs-keof"
                    } else if v.bad {
                        "fs-kbad"
                    } else {
                        "fs-kflag"
                    };
                    for line in wrap(&v.text, VERDICT_COLS) {
                        lines.push((line, class));
                    }
                }
                let text_w = lines.iter().map(|l| cols(&l.0)).max().unwrap_or(0) as f64 * CH;
                let text_h = 28.0 + (lines.len() + 1) as f64 * LINE_H;
                (
                    TUBE_W + 10.0 + text_w.max(cols(word(lang, Word::WriteMouth)) as f64 * CH),
                    text_h.max(MIN_TUBE_H),
                    lines,
                )
            }
            None => {
                let lines = vec![
                    (fit(o.name, NAME_COLS), "fs-kname"),
                    (kind_word(lang, o.kind).to_string(), "fs-kflag"),
                ];
                let w = lines.iter().map(|l| cols(&l.0)).max().unwrap_or(0) as f64 * CH;
                (w + 2.0 * PAD, 8.0 + 2.0 * LINE_H, lines)
            }
        })
        .collect();
    Across {
        col_a,
        col_b,
        ofiles,
        objs,
        sizes,
    }
}

/// [`layout`] with the columns measured; the labels and the boxes' names
/// (for tests) only when `full`.
fn layout_in(scene: &Scene, top: f64, across: &Across, full: bool) -> Layout {
    let lang = scene.lang;
    let mut l = Layout {
        body: String::with_capacity(8192),
        ..Layout::default()
    };
    let mut marks: Option<Vec<Label>> = full.then(Vec::new);
    let out = &mut l.body;
    let head_y = top + 12.0;
    let y0 = top + 26.0;
    let col_a = across.col_a;
    let ax = MARGIN;
    let mut row_pos: Vec<((Pid, i32), f64, usize)> = Vec::new();
    let mut y = y0;
    text(out, ax, head_y, "fs-section", word(lang, Word::FdTables));
    label(
        &mut marks,
        None,
        (0.0, 0.0),
        ax,
        head_y,
        word(lang, Word::FdTables),
        false,
    );
    for p in &scene.processes {
        let indent = INDENT * p.depth.min(4) as f64;
        let x = ax + indent;
        let w = col_a - indent;
        let extra = if p.hidden_files > 0 { 1 } else { 0 };
        let h = HEAD_H + (p.fds.len().max(1) + p.ghosts.len() + extra) as f64 * ROW_H + 6.0;
        let idx = l.rects.len();
        l.rects.push(Rect {
            x,
            y,
            w,
            h,
            what: if full {
                format!("fd table {}", p.pid)
            } else {
                String::new()
            },
        });
        // Drawn at the origin and placed, so a box that did not change is
        // the same text in every step (the HTML page stores each line once).
        let _ = writeln!(out, "<g transform=\"translate({},{})\">", n(x), n(y));
        let gy = y;
        let at = (x, y);
        {
            let (x, y) = (0.0f64, 0.0f64);
            let mut class = String::from("fs-proc");
            if p.highlight {
                class.push_str(" fs-hl");
            }
            if p.state == "zombie" {
                class.push_str(" fs-zombie");
            }
            let _ = write!(
            out,
            "<g class=\"{class}\" data-pid=\"{}\"><rect class=\"fs-box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\"/><rect class=\"fs-head\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{HEAD_H}\" rx=\"6\"/><rect class=\"fs-outline\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\"/>",
            p.pid,
            n(x),
            n(y),
            n(w),
            n(h),
            n(x + 0.5),
            n(y + 0.5),
            n(w - 1.0),
            n(x),
            n(y),
            n(w),
            n(h)
        );
            let head = header_text(lang, p);
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\"><tspan class=\"fs-pid\">{}</tspan></text>",
                n(x + PAD),
                n(y + 15.0),
                esc(&head)
            );
            label(&mut marks, Some(idx), at, x + PAD, y + 15.0, &head, false);
            if p.new {
                let bx = x + PAD + cols(&head) as f64 * CH + 6.0;
                let w = badge(out, bx, y + 4.0, word(lang, Word::NewMark));
                badge_label(&mut marks, idx, at, bx, y + 4.0, w);
            }
            let mut ry = y + HEAD_H;
            for f in &p.fds {
                let cy = ry + ROW_H / 2.0;
                if f.highlight {
                    let _ = write!(
                    out,
                    "<rect class=\"fs-rowhl\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{ROW_H}\"/>",
                    n(x + 1.0),
                    n(ry),
                    n(w - 2.0)
                );
                }
                let _ = write!(
                    out,
                    "<text x=\"{}\" y=\"{}\">fd {}</text>",
                    n(x + PAD),
                    n(cy + 4.0),
                    f.fd
                );
                if full {
                    label(
                        &mut marks,
                        Some(idx),
                        at,
                        x + PAD,
                        cy + 4.0,
                        &format!("fd {}", f.fd),
                        false,
                    );
                }
                let mut mx = x + PAD + 7.0 * CH;
                if f.cloexec {
                    label(&mut marks, Some(idx), at, mx, cy + 4.0, "cloexec", true);
                    let _ = write!(
                        out,
                        "<text class=\"fs-kflag\" x=\"{}\" y=\"{}\">cloexec</text>",
                        n(mx),
                        n(cy + 4.0)
                    );
                    mx += 8.5 * CH;
                }
                if f.new {
                    let w = badge(out, mx, cy - 7.0, word(lang, Word::NewMark));
                    badge_label(&mut marks, idx, at, mx, cy - 7.0, w);
                }
                // The arrow's start dot.
                let _ = write!(
                    out,
                    "<circle class=\"fs-dot\" cx=\"{}\" cy=\"{}\" r=\"3\"/>",
                    n(x + w),
                    n(cy)
                );
                out.push('\n');
                row_pos.push(((p.pid, f.fd), gy + cy, idx));
                ry += ROW_H;
            }
            for (fd, was) in &p.ghosts {
                let cy = ry + ROW_H / 2.0;
                let ghost = ghost_text(lang, *fd, was);
                let _ = write!(
                    out,
                    "<text class=\"fs-ghost\" x=\"{}\" y=\"{}\">{}</text>",
                    n(x + PAD),
                    n(cy + 4.0),
                    esc(&ghost)
                );
                label(&mut marks, Some(idx), at, x + PAD, cy + 4.0, &ghost, false);
                ry += ROW_H;
            }
            if p.hidden_files > 0 {
                let more = hidden_text(lang, p.hidden_files);
                let _ = write!(
                    out,
                    "<text class=\"fs-more\" x=\"{}\" y=\"{}\">{}</text>",
                    n(x + PAD),
                    n(ry + 13.0),
                    esc(&more)
                );
                label(&mut marks, Some(idx), at, x + PAD, ry + 13.0, &more, true);
            } else if p.fds.is_empty() {
                let _ = write!(
                    out,
                    "<text class=\"fs-more\" x=\"{}\" y=\"{}\">{}</text>",
                    n(x + PAD),
                    n(ry + 13.0),
                    esc(word(lang, Word::NoOpenFds))
                );
                label(
                    &mut marks,
                    Some(idx),
                    at,
                    x + PAD,
                    ry + 13.0,
                    word(lang, Word::NoOpenFds),
                    true,
                );
            }
            out.push_str("</g>\n</g>\n");
        }
        y += h + BOX_GAP;
    }
    let mut bottom = y;

    // Middle: open files.
    let bx = ax + col_a + GAP;
    let files = &scene.open_files;
    let col_b = across.col_b;
    let wants: Vec<(f64, f64)> = files
        .iter()
        .zip(&across.ofiles)
        .map(|(o, lines)| {
            let h = 8.0 + lines.len() as f64 * LINE_H;
            let ys: Vec<f64> = o
                .holders
                .iter()
                .filter_map(|h| row_pos.iter().find(|r| r.0 == *h).map(|r| r.1))
                .collect();
            let mid = ys.iter().sum::<f64>() / ys.len().max(1) as f64;
            (mid - h / 2.0, h)
        })
        .collect();
    // Barycentre order: each open file near the middle of its fds, which
    // keeps arrows from crossing where it can.
    let mut forder: Vec<usize> = (0..files.len()).collect();
    forder.sort_by(|a, b| {
        (wants[*a].0 + wants[*a].1 / 2.0).total_cmp(&(wants[*b].0 + wants[*b].1 / 2.0))
    });
    let sorted: Vec<(f64, f64)> = forder.iter().map(|i| wants[*i]).collect();
    let sorted_tops = stack(&sorted, y0);
    let mut tops = vec![0.0; files.len()];
    for (k, i) in forder.iter().enumerate() {
        tops[*i] = sorted_tops[k];
    }
    text(
        out,
        bx,
        head_y,
        "fs-section",
        word(lang, Word::OpenFileTable),
    );
    label(
        &mut marks,
        None,
        (0.0, 0.0),
        bx,
        head_y,
        word(lang, Word::OpenFileTable),
        false,
    );
    let mut file_rect = Vec::with_capacity(files.len());
    for (((o, (_, h)), fy), lines) in files.iter().zip(&wants).zip(&tops).zip(&across.ofiles) {
        let idx = l.rects.len();
        file_rect.push(idx);
        l.rects.push(Rect {
            x: bx,
            y: *fy,
            w: col_b,
            h: *h,
            what: if full {
                format!("open file {}", o.id)
            } else {
                String::new()
            },
        });
        let _ = writeln!(out, "<g transform=\"translate({},{})\">", n(bx), n(*fy));
        let (bx_abs, fy_abs) = (bx, fy);
        {
            let (bx, fy) = (0.0f64, &0.0f64);
            let _ = write!(
            out,
            "<g class=\"fs-ofile\" data-id=\"{}\"><rect class=\"fs-ofbox\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"/>",
            esc(&o.id),
            n(bx),
            n(*fy),
            n(col_b),
            n(*h)
        );
            for (i, (line, class)) in lines.iter().enumerate() {
                let ly = fy + 4.0 + LINE_H * (i as f64 + 0.75);
                text(out, bx + PAD, ly, class, line);
                label(
                    &mut marks,
                    Some(idx),
                    (bx_abs, *fy_abs),
                    bx + PAD,
                    ly,
                    line,
                    small(class),
                );
            }
            out.push_str("</g>\n</g>\n");
        }
        bottom = bottom.max(fy + h + BOX_GAP);
        // Arrows from each drawn fd.
        let class = edge_class(o.access);
        for hd in &o.holders {
            if let Some((_, cy, from)) = row_pos.iter().find(|r| r.0 == *hd) {
                let a = (l.rects[*from].x + l.rects[*from].w, *cy);
                let b = (bx - 1.0, fy + h / 2.0);
                l.edges.push(Edge {
                    from: *from,
                    to: idx,
                    a,
                    b,
                    class,
                });
            }
        }
    }

    // Right: objects.
    let cx = bx + col_b + GAP;
    let (objs, sizes) = (&across.objs, &across.sizes);
    // Where each object wants to be: around its arrows' ends.
    let mut order: Vec<usize> = (0..objs.len()).collect();
    let want_mid = |i: usize| {
        let ys: Vec<f64> = objs[i]
            .files
            .iter()
            .map(|f| l.rects[file_rect[*f]].y + l.rects[file_rect[*f]].h / 2.0)
            .collect();
        ys.iter().sum::<f64>() / ys.len().max(1) as f64
    };
    order.sort_by(|a, b| want_mid(*a).total_cmp(&want_mid(*b)));
    let items: Vec<(f64, f64)> = order
        .iter()
        .map(|i| (want_mid(*i) - sizes[*i].1 / 2.0, sizes[*i].1))
        .collect();
    let otops = stack(&items, y0);
    text(out, cx, head_y, "fs-section", word(lang, Word::Objects));
    label(
        &mut marks,
        None,
        (0.0, 0.0),
        cx,
        head_y,
        word(lang, Word::Objects),
        false,
    );
    let mut right = cx;
    for (k, i) in order.iter().enumerate() {
        let o = &objs[*i];
        let (w, h, lines) = &sizes[*i];
        let oy = otops[k];
        let oy_abs = oy;
        let idx = l.rects.len();
        l.rects.push(Rect {
            x: cx,
            y: oy,
            w: *w,
            h: *h,
            what: if full {
                format!("object {}", o.name)
            } else {
                String::new()
            },
        });
        right = right.max(cx + w);
        bottom = bottom.max(oy + h + BOX_GAP);
        let (write_y, read_y, mid_y) = (oy + 14.0, oy + h - 14.0, oy + h / 2.0);
        // A tube's lines sit between its mouths' labels.
        let first_line =
            write_y + LINE_H + ((read_y - write_y) - (lines.len() as f64 + 1.0) * LINE_H) / 2.0;
        let _ = writeln!(out, "<g transform=\"translate({},{})\">", n(cx), n(oy));
        let at = (cx, oy);
        {
            let (cx, oy) = (0.0f64, 0.0f64);
            let (write_y, read_y, first_line) =
                (write_y - oy_abs, read_y - oy_abs, first_line - oy_abs);
            match o.pipe {
                Some(p) => {
                    let class = match p.origin {
                        "fifo" => " fs-fifo",
                        "inherited" => " fs-inherited",
                        _ => "",
                    };
                    let _ = write!(
                    out,
                    "<g class=\"fs-kobj\" data-pipe=\"{}\"><rect class=\"fs-tube{class}\" x=\"{}\" y=\"{}\" width=\"{TUBE_W}\" height=\"{}\" rx=\"10\"/>",
                    p.number,
                    n(cx),
                    n(oy),
                    n(*h)
                );
                    // Data flows down the tube, from the write mouth to the read mouth.
                    let _ = write!(
                        out,
                        "<path class=\"fs-flow\" d=\"M{},{}V{}\" marker-end=\"url(#fs-af)\"/>",
                        n(cx + TUBE_W / 2.0),
                        n(write_y + 8.0),
                        n(read_y - 8.0)
                    );
                    let tx = cx + TUBE_W + 10.0;
                    for (my, mouth) in [
                        (write_y, word(lang, Word::WriteMouth)),
                        (read_y, word(lang, Word::ReadMouth)),
                    ] {
                        text(out, tx, my + 4.0, "fs-kmouth", mouth);
                        label(&mut marks, Some(idx), at, tx, my + 4.0, mouth, true);
                    }
                    for (j, (line, class)) in lines.iter().enumerate() {
                        let ly = first_line + j as f64 * LINE_H + 4.0;
                        text(out, tx, ly, class, line);
                        label(&mut marks, Some(idx), at, tx, ly, line, small(class));
                    }
                    out.push_str("</g>\n");
                }
                None => {
                    let _ = write!(
                    out,
                    "<g class=\"fs-kobj\"><rect class=\"fs-objbox\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\"/>",
                    n(cx),
                    n(oy),
                    n(*w),
                    n(*h)
                );
                    for (j, (line, class)) in lines.iter().enumerate() {
                        let ly = oy + 4.0 + LINE_H * (j as f64 + 0.75);
                        text(out, cx + PAD, ly, class, line);
                        label(&mut marks, Some(idx), at, cx + PAD, ly, line, small(class));
                    }
                    out.push_str("</g>\n");
                }
            }
            out.push_str("</g>\n");
        }
        for f in &o.files {
            let of = &files[*f];
            let r = &l.rects[file_rect[*f]];
            let end_y = match (o.pipe.is_some(), of.access) {
                (true, "write") => write_y,
                (true, "read") => read_y,
                _ => mid_y,
            };
            l.edges.push(Edge {
                from: file_rect[*f],
                to: idx,
                a: (r.x + r.w, r.y + r.h / 2.0),
                b: (cx - 1.0, end_y),
                class: edge_class(of.access),
            });
        }
    }
    // Arrows under the boxes' text: drawn first.
    let mut arrows = String::with_capacity(l.edges.len() * 120);
    for e in &l.edges {
        let mx = (e.a.0 + e.b.0) / 2.0;
        let _ = writeln!(
            arrows,
            "<path class=\"{}\" d=\"M{},{}C{},{} {},{} {},{}\"{}/>",
            e.class,
            n(e.a.0),
            n(e.a.1),
            n(mx),
            n(e.a.1),
            n(mx),
            n(e.b.1),
            n(e.b.0),
            n(e.b.1),
            marker(e.class)
        );
    }
    l.body = arrows + &l.body;
    l.width = (right + MARGIN).max(720.0).ceil();
    debug_assert_eq!(l.width, across.width());
    l.height = bottom;
    l.labels = marks.unwrap_or_default();
    l
}

/// Draws the kernel view with or without its caption and style.
pub(crate) fn render_with(scene: &Scene, opts: Opts) -> String {
    let lang = scene.lang;
    let mut top = String::new();
    let mut y = MARGIN;
    // The columns, measured once: the width the caption wraps at, and the
    // layout below it.
    let across = across(scene);
    let wrap_cols = (((across.width() - 2.0 * MARGIN) / CH).floor() as usize).max(40);
    if opts.caption {
        if !scene.title.is_empty() {
            y += 11.0;
            text(
                &mut top,
                MARGIN,
                y,
                "fs-title",
                &fit(&scene.title, wrap_cols),
            );
            y += 8.0;
        }
        if let Some(ev) = &scene.event {
            for line in wrap(
                &format!("#{} \u{b7} {} \u{b7} {}", ev.seq, ev.pid, ev.call),
                wrap_cols,
            ) {
                y += 16.0;
                text(&mut top, MARGIN, y, "fs-call", &line);
            }
            if let Some(s) = &ev.sentence {
                for line in wrap(s, wrap_cols) {
                    y += 15.0;
                    text(&mut top, MARGIN, y, "", &line);
                }
            }
            y += 6.0;
        }
    }
    let mut legend = vec![word(lang, Word::KernelLegend).to_string()];
    if scene
        .processes
        .iter()
        .any(|p| p.new || !p.ghosts.is_empty() || p.fds.iter().any(|f| f.new))
    {
        legend.push(word(lang, Word::MarksLegend).to_string());
    }
    for item in &legend {
        for line in wrap(item, wrap_cols * 12 / 11) {
            y += 14.0;
            text(&mut top, MARGIN, y, "fs-legend", &line);
        }
    }
    for w in &scene.warnings {
        for line in wrap(&format!("\u{26a0} {}", w.text), wrap_cols * 12 / 11) {
            y += 14.0;
            text(&mut top, MARGIN, y, "fs-warn", &line);
        }
    }
    y += 6.0;
    let l = layout_in(scene, y, &across, false);
    let (width, height) = (l.width, (l.height + MARGIN).ceil());
    let mut out = String::with_capacity(l.body.len() + top.len() + 2048);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"fs fs-kernel\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\""
    );
    if let (true, Some(ev)) = (opts.caption, &scene.event) {
        let _ = write!(out, " data-seq=\"{}\"", ev.seq);
    }
    out.push_str(">\n");
    if opts.caption {
        let t = match &scene.event {
            Some(ev) => format!("{} \u{2014} #{} {}", scene.title, ev.seq, ev.call),
            None => scene.title.clone(),
        };
        let _ = writeln!(out, "<title>{}</title>", esc(&t));
    }
    if opts.style {
        let _ = writeln!(out, "<style>\n{}</style>", svg::STYLE);
    }
    out.push_str(svg::DEFS);
    let _ = writeln!(
        out,
        "<rect width=\"{width}\" height=\"{height}\" fill=\"#fff\"/>"
    );
    out.push_str(&top);
    out.push_str(&l.body);
    out.push_str("</svg>\n");
    out
}

/// What is wrong with a kernel view layout, in words for a test failure
/// (the kernel view's counterpart of [`super::layout::problems`]): boxes
/// that overlap, a line of text or badge that leaves its box or overlaps
/// another in it, a column heading on a box, and an arrow that passes
/// through a box it does not join. Empty for a good layout.
pub fn problems(l: &Layout) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in l.rects.iter().enumerate() {
        for b in &l.rects[i + 1..] {
            if a.overlaps(b) {
                out.push(format!("{} and {} overlap", a.what, b.what));
            }
        }
    }
    for (i, t) in l.labels.iter().enumerate() {
        let r = &t.rect;
        match t.owner {
            Some(o) => {
                let b = &l.rects[o];
                if r.x < b.x + 0.5
                    || r.x + r.w > b.x + b.w + 0.5
                    || r.y < b.y - 0.5
                    || r.y + r.h > b.y + b.h + 0.5
                {
                    out.push(format!("{:?} leaves {}", r.what, b.what));
                }
            }
            None => {
                for b in l.rects.iter().filter(|b| r.overlaps(b)) {
                    out.push(format!("the heading {:?} lies on {}", r.what, b.what));
                }
            }
        }
        for u in &l.labels[i + 1..] {
            if (u.owner == t.owner || u.owner.is_none() || t.owner.is_none()) && r.overlaps(&u.rect)
            {
                out.push(format!("{:?} and {:?} overlap", r.what, u.rect.what));
            }
        }
    }
    for e in &l.edges {
        // The curve stays in the box of its control points.
        let (x0, x1) = (e.a.0.min(e.b.0), e.a.0.max(e.b.0));
        let (y0, y1) = (e.a.1.min(e.b.1), e.a.1.max(e.b.1));
        for (i, r) in l.rects.iter().enumerate() {
            if i == e.from
                || i == e.to
                || r.x >= x1
                || r.x + r.w <= x0
                || r.y >= y1
                || r.y + r.h <= y0
            {
                continue;
            }
            if (1..200).any(|k| {
                let (x, y) = e.at(k as f64 / 200.0);
                r.contains(x, y)
            }) {
                out.push(format!(
                    "the arrow {} -> {} passes through {}",
                    l.rects[e.from].what, l.rects[e.to].what, r.what
                ));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
