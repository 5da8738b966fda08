//! Where everything of the SVG drawing goes: process boxes in an indented
//! tree (each in its own horizontal band), pipe tubes in a lane of columns
//! right of the boxes, and the route of every arrow between a row and a
//! tube; plus [`problems`], the geometric check of a layout that the tests
//! run on real traces (no two boxes or tubes overlap, no label leaves its
//! tube, no arrow or parent link crosses a box or tube it does not connect).
//!
//! Tubes take columns in pipeline order (by their first writer's row), a
//! pipe held by many processes (make's jobserver) in the columns farthest
//! out, so the short pipes of a pipeline sit next to their stages. An arrow
//! runs along its row into the lane; where a tube of a nearer column spans
//! its row, the arrow steps aside in the channel before that column (beside
//! the tube, where nothing is drawn) to a height that column leaves free,
//! and meets its own tube within its span.

use super::scene::Scene;
use super::svg::{
    chain_text, cols, fit, ghost_label, header_w, mark_w, shared_mark, tube_label, tube_verdict,
    wrap,
};
use crate::trace::Pid;
use crate::words::diagram::{word, Word};
use std::collections::HashMap;

// Geometry, in px. CH is the advance of one column of DejaVu Sans Mono (and
// most monospace fonts) at 12 px; SMALL_CH the same at 11 px.
pub(crate) const CH: f64 = 7.2;
pub(crate) const SMALL_CH: f64 = 6.6;
pub(crate) const MARGIN: f64 = 16.0;
pub(crate) const PAD: f64 = 8.0;
pub(crate) const HEAD_H: f64 = 22.0;
pub(crate) const CHAIN_H: f64 = 16.0;
pub(crate) const ROW_H: f64 = 18.0;
pub(crate) const WARN_H: f64 = 15.0;
pub(crate) const INDENT: f64 = 32.0;
pub(crate) const BOX_GAP: f64 = 14.0;
pub(crate) const MIN_BOX_W: f64 = 200.0;
pub(crate) const LANE_GAP: f64 = 44.0;
/// One column of the pipe lane: a tube, its verdict, and a channel
/// where routed arrows run vertically.
pub(crate) const SLOT_W: f64 = 44.0;
pub(crate) const TUBE_W: f64 = 18.0;
/// Room right of a tube for its verdict (one rotated line of 10 px text).
pub(crate) const VERDICT_W: f64 = 14.0;
pub(crate) const MIN_WIDTH: f64 = 720.0;
/// Longest fd label drawn in full; longer ones lose their middle.
pub(crate) const LABEL_COLS: usize = 48;
/// Longest program name drawn in full.
pub(crate) const PROG_COLS: usize = 40;
/// Longest pipe name drawn on a tube.
pub(crate) const TUBE_COLS: usize = 24;
/// Narrowest column count warnings wrap at.
pub(crate) const WARN_COLS: usize = 36;
/// Shared open files listed at the bottom, at most.
pub(crate) const SHARED_SHOWN: usize = 20;
/// Holders listed per shared file, at most.
pub(crate) const HOLDERS_SHOWN: usize = 12;

/// Where one process box goes.
pub(crate) struct Placed {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) w: f64,
    pub(crate) h: f64,
    /// Where its chain line, rows, hidden count and warnings start.
    pub(crate) rows_y: f64,
    /// Columns: the label's width and where the marks start.
    pub(crate) label_cols: usize,
    /// Some row has FD_CLOEXEC (reserve its mark's column).
    pub(crate) any_cloexec: bool,
    /// The warnings about it, wrapped.
    pub(crate) warnings: Vec<String>,
    /// Rows named by a warning.
    pub(crate) warn_fds: Vec<i32>,
}

/// Where one pipe's tube goes.
pub(crate) struct Tube {
    /// Index in `scene.pipes`.
    pub(crate) pipe: usize,
    /// Its column in the lane (0 nearest the boxes).
    pub(crate) column: usize,
    pub(crate) x: f64,
    pub(crate) top: f64,
    pub(crate) bottom: f64,
}

pub(crate) struct Layout {
    pub(crate) boxes: Vec<Placed>,
    /// Pid to index in `scene.processes` (and `boxes`).
    pub(crate) index: HashMap<Pid, usize>,
    /// (pid, fd) to the right end of the row, where arrows attach.
    pub(crate) anchors: HashMap<(Pid, i32), (f64, f64)>,
    pub(crate) tubes: Vec<Tube>,
    /// Every arrow between a row and a tube.
    pub(crate) routes: Vec<Route>,
    /// Right edge of everything drawn.
    pub(crate) right: f64,
    /// Bottom edge of the boxes.
    pub(crate) bottom: f64,
}

impl Layout {
    pub(crate) fn new(scene: &Scene) -> Layout {
        let lang = scene.lang;
        let mut index = HashMap::with_capacity(scene.processes.len());
        for (i, p) in scene.processes.iter().enumerate() {
            index.entry(p.pid).or_insert(i);
        }
        let mut warns: HashMap<Pid, Vec<&super::scene::Warning>> = HashMap::new();
        for w in &scene.warnings {
            warns.entry(w.pid).or_default().push(w);
        }
        let mut boxes = Vec::with_capacity(scene.processes.len());
        let mut anchors = HashMap::new();
        let mut y = 0.0;
        let mut right: f64 = 0.0;
        for p in &scene.processes {
            let x = MARGIN + INDENT * p.depth as f64;
            let label_cols = p
                .fds
                .iter()
                .map(|f| cols(&fit(&f.label, LABEL_COLS)))
                .chain(p.ghosts.iter().map(|g| cols(&ghost_label(lang, &g.1))))
                .max()
                .unwrap_or(0);
            let any_new = p.fds.iter().any(|f| f.new);
            let any_cloexec = p.fds.iter().any(|f| f.cloexec);
            let any_shared = p
                .fds
                .iter()
                .map(|f| shared_mark(f).map_or(0, |m| cols(&m)))
                .max();
            // Row: PAD, fd number (3 columns), a space, label, marks, PAD.
            let mut row_w = PAD + 4.0 * CH + label_cols as f64 * CH + PAD;
            if any_cloexec {
                row_w += CH + mark_w("cloexec");
            }
            if let Some(m) = any_shared.filter(|m| *m > 0) {
                row_w += CH + m as f64 * 6.0 + 8.0;
            }
            if any_new {
                row_w += CH + mark_w(word(lang, Word::NewMark));
            }
            let head_w = PAD + header_w(lang, p) + PAD;
            let chain = chain_text(lang, p);
            let chain_w = chain
                .as_ref()
                .map_or(0.0, |c| PAD + cols(c) as f64 * SMALL_CH + PAD);
            let mut w = MIN_BOX_W.max(row_w).max(head_w).max(chain_w).ceil();
            let mut lines = Vec::new();
            let mut warn_fds = Vec::new();
            if let Some(ws) = warns.get(&p.pid) {
                let wcols = (((w - 2.0 * PAD) / SMALL_CH) as usize).max(WARN_COLS);
                w = w.max((2.0 * PAD + wcols as f64 * SMALL_CH).ceil());
                for wn in ws {
                    lines.extend(wrap(&format!("\u{26a0} {}", wn.text), wcols));
                    if let Some(fd) = wn.fd {
                        warn_fds.push(fd);
                    }
                }
            }
            let rows_y = y + HEAD_H + if chain.is_some() { CHAIN_H } else { 4.0 };
            for (i, f) in p.fds.iter().enumerate() {
                let cy = rows_y + ROW_H * i as f64 + ROW_H / 2.0;
                anchors.insert((p.pid, f.fd), (x + w, cy));
            }
            let rows = p.fds.len().max(1) + p.ghosts.len() + usize::from(p.hidden_files > 0);
            let mut h = rows_y - y + ROW_H * rows as f64 + 4.0;
            if !lines.is_empty() {
                h += 4.0 + WARN_H * lines.len() as f64;
            }
            h += 4.0;
            right = right.max(x + w);
            boxes.push(Placed {
                x,
                y,
                w,
                h,
                rows_y,
                label_cols,
                any_cloexec,
                warnings: lines,
                warn_fds,
            });
            y += h + BOX_GAP;
        }
        let bottom = (y - BOX_GAP).max(0.0);

        // The pipe lane: each tube spans its holders' rows; tubes whose spans
        // overlap take different slots (first fit, in order of their tops).
        let lane_x = right + LANE_GAP;
        let mut spans: Vec<(f64, f64, usize)> = Vec::new();
        for (i, pn) in scene.pipes.iter().enumerate() {
            let ys: Vec<f64> = pn
                .writers
                .iter()
                .chain(&pn.readers)
                .chain(&pn.unknown)
                .filter_map(|k| anchors.get(k).map(|a| a.1))
                .collect();
            if ys.is_empty() {
                continue;
            }
            let lo = ys.iter().copied().fold(f64::INFINITY, f64::min) - 9.0;
            let hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max) + 9.0;
            let need = cols(&tube_label(lang, pn))
                .max(tube_verdict(lang, pn).map_or(0, |v| cols(&v.text)))
                as f64
                * SMALL_CH
                + 20.0;
            let (lo, hi) = if hi - lo < need {
                // Long enough for its name, but never above the first box.
                let lo = ((lo + hi) / 2.0 - need / 2.0).max(0.0);
                (lo, lo + need)
            } else {
                (lo, hi)
            };
            spans.push((lo, hi, i));
        }
        let tubes = columns(scene, &anchors, &spans, lane_x);
        let columns_used = tubes.iter().map(|t| t.column + 1).max().unwrap_or(0);
        if columns_used > 0 {
            right = lane_x + SLOT_W * (columns_used - 1) as f64 + TUBE_W + VERDICT_W;
        }
        let routes = route_all(scene, &anchors, &tubes, lane_x);
        let bottom = tubes.iter().map(|t| t.bottom).fold(bottom, f64::max);
        Layout {
            boxes,
            index,
            anchors,
            tubes,
            routes,
            right,
            bottom,
        }
    }
}

/// An arrow between a row and a tube: the points from the row's anchor to
/// the tube's side (axis-parallel segments).
#[derive(Clone, Debug)]
pub(crate) struct Route {
    /// The row.
    pub(crate) from: (Pid, i32),
    /// Index in `Layout::tubes`.
    pub(crate) tube: usize,
    /// `write`, `read` or `unknown`.
    pub(crate) end: &'static str,
    pub(crate) points: Vec<(f64, f64)>,
}

/// A pipe holding ends in at least this many processes goes to the outer
/// columns (a lane of its own, out of the pipeline's way).
const MANY_HOLDERS: usize = 4;
/// Room kept between an arrow and the end of a tube it passes.
const CLEAR: f64 = 5.0;

/// The columns of the tubes, each in the first column where it overlaps no
/// tube, taken in this order: pipes held by many processes last; then a
/// tube standing in front of fewer rows of other pipes first (so a short
/// pipe sits inside a long one, and fewer arrows need to step around); then
/// pipeline order (the first writer's row, the top of the span). Returns the tubes in
/// `scene.pipes` order.
fn columns(
    scene: &Scene,
    anchors: &HashMap<(Pid, i32), (f64, f64)>,
    spans: &[(f64, f64, usize)],
    lane_x: f64,
) -> Vec<Tube> {
    // Every row holding a pipe end, by pipe, to count how many rows of
    // other pipes a tube's span would stand in front of.
    let rows_of = |i: usize| -> Vec<f64> {
        let pn = &scene.pipes[i];
        pn.writers
            .iter()
            .chain(&pn.readers)
            .chain(&pn.unknown)
            .filter_map(|k| anchors.get(k).map(|a| a.1))
            .collect()
    };
    let rows: Vec<(usize, Vec<f64>)> = spans.iter().map(|s| (s.2, rows_of(s.2))).collect();
    let mut order: Vec<(bool, usize, f64, f64, usize)> = spans
        .iter()
        .map(|&(lo, hi, i)| {
            let pn = &scene.pipes[i];
            let mut pids: Vec<Pid> = pn
                .writers
                .iter()
                .chain(&pn.readers)
                .chain(&pn.unknown)
                .map(|k| k.0)
                .collect();
            pids.sort_unstable();
            pids.dedup();
            let covered = rows
                .iter()
                .filter(|r| r.0 != i)
                .flat_map(|r| &r.1)
                .filter(|y| lo < **y && **y < hi)
                .count();
            let first_writer = pn
                .writers
                .iter()
                .filter_map(|k| anchors.get(k).map(|a| a.1))
                .reduce(f64::min)
                .unwrap_or(lo);
            (pids.len() >= MANY_HOLDERS, covered, first_writer, lo, i)
        })
        .collect();
    order.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(a.1.cmp(&b.1))
            .then(a.2.total_cmp(&b.2))
            .then(a.3.total_cmp(&b.3))
            .then(a.4.cmp(&b.4))
    });
    let span_of: HashMap<usize, (f64, f64)> = spans.iter().map(|s| (s.2, (s.0, s.1))).collect();
    let mut cols_taken: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut tubes = Vec::with_capacity(order.len());
    for (_, _, _, _, i) in order {
        let (lo, hi) = span_of[&i];
        let free = |c: &Vec<(f64, f64)>| c.iter().all(|&(a, b)| hi + 10.0 <= a || b + 10.0 <= lo);
        let column = match cols_taken.iter().position(free) {
            Some(c) => c,
            None => {
                cols_taken.push(Vec::new());
                cols_taken.len() - 1
            }
        };
        cols_taken[column].push((lo, hi));
        tubes.push(Tube {
            pipe: i,
            column,
            x: lane_x + SLOT_W * column as f64,
            top: lo,
            bottom: hi,
        });
    }
    tubes.sort_by_key(|t| t.pipe);
    tubes
}

/// Routes every arrow (see the module's words).
fn route_all(
    scene: &Scene,
    anchors: &HashMap<(Pid, i32), (f64, f64)>,
    tubes: &[Tube],
    lane_x: f64,
) -> Vec<Route> {
    let ncols = tubes.iter().map(|t| t.column + 1).max().unwrap_or(0);
    // Per column, the spans its tubes take (with room to pass).
    let mut taken: Vec<Vec<(f64, f64)>> = vec![Vec::new(); ncols];
    for t in tubes {
        taken[t.column].push((t.top - CLEAR, t.bottom + CLEAR));
    }
    for c in &mut taken {
        c.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    // The channel before column c: beside the boxes for column 0, else
    // between column c-1's verdict and column c's tube.
    // Arrows to different tubes, and writers and readers, step aside on
    // different lines of the channel, so they do not merge into one.
    let channel = |c: usize, lane: usize| {
        if c == 0 {
            lane_x - LANE_GAP / 2.0 + 5.0 * ((lane % 7) as f64 - 3.0)
        } else {
            let prev_end = lane_x + SLOT_W * (c - 1) as f64 + TUBE_W + VERDICT_W;
            (prev_end + lane_x + SLOT_W * c as f64) / 2.0 + 3.0 * ((lane % 3) as f64 - 1.0)
        }
    };
    let mut routes = Vec::new();
    for (ti, t) in tubes.iter().enumerate() {
        let pn = &scene.pipes[t.pipe];
        let ends = pn
            .writers
            .iter()
            .map(|k| (k, "write"))
            .chain(pn.readers.iter().map(|k| (k, "read")))
            .chain(pn.unknown.iter().map(|k| (k, "unknown")));
        for (k, end) in ends {
            let Some(&(ax, ay)) = anchors.get(k) else {
                continue;
            };
            let (lo, hi) = (t.top + CLEAR, t.bottom - CLEAR);
            let lane = 2 * t.column + usize::from(end == "read");
            let mut points = vec![(ax, ay)];
            let mut y = ay;
            for (c, spans) in taken.iter().enumerate().take(t.column) {
                if let Some(ny) = free_y(spans, y, lo.min(hi), hi.max(lo)) {
                    let cx = channel(c, lane);
                    points.push((cx, y));
                    points.push((cx, ny));
                    y = ny;
                }
            }
            let want = y.clamp(lo.min(hi), hi.max(lo));
            if want != y {
                let cx = channel(t.column, lane);
                points.push((cx, y));
                points.push((cx, want));
                y = want;
            }
            points.push((t.x, y));
            routes.push(Route {
                from: *k,
                tube: ti,
                end,
                points,
            });
        }
    }
    routes
}

/// When `y` lies in one of `spans` (sorted, disjoint), the free height
/// nearest to it, leaning toward `[lo, hi]` (where the arrow must end up);
/// `None` when `y` is free.
fn free_y(spans: &[(f64, f64)], y: f64, lo: f64, hi: f64) -> Option<f64> {
    let i = spans.iter().position(|&(a, b)| a < y && y < b)?;
    let (a, b) = spans[i];
    let above_free = i == 0 || spans[i - 1].1 < a - 1.0;
    let below_free = i + 1 == spans.len() || spans[i + 1].0 > b + 1.0;
    let cost = |v: f64| (v - y).abs() + (v - v.clamp(lo, hi)).abs();
    let (up, down) = (a - 1.0, b + 1.0);
    Some(match (above_free && up >= -CLEAR, below_free) {
        (true, true) => {
            if cost(up) <= cost(down) {
                up
            } else {
                down
            }
        }
        (true, false) => up,
        _ => down,
    })
}

/// A rectangle: x, y, width, height.
type Rect = (f64, f64, f64, f64);

/// Whether the open interiors of an axis-parallel segment and `r` meet
/// (touching an edge is not crossing).
fn crosses(p: (f64, f64), q: (f64, f64), r: Rect) -> bool {
    let (x0, x1) = (p.0.min(q.0), p.0.max(q.0));
    let (y0, y1) = (p.1.min(q.1), p.1.max(q.1));
    let (rx0, ry0, rx1, ry1) = (r.0 + 0.5, r.1 + 0.5, r.0 + r.2 - 0.5, r.1 + r.3 - 0.5);
    x0 < rx1 && x1 > rx0 && y0 < ry1 && y1 > ry0
}

fn overlap(a: Rect, b: Rect) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

/// What is wrong with the layout of `scene`, in words for a test failure:
/// boxes or tubes (with their verdicts) that overlap, a tube's name or
/// verdict longer than the tube, and arrows or parent links that cross a
/// box or tube they do not connect. Empty for a good layout.
pub fn problems(scene: &Scene) -> Vec<String> {
    let lang = scene.lang;
    let l = Layout::new(scene);
    let mut out = Vec::new();
    let boxes: Vec<(Pid, Rect)> = scene
        .processes
        .iter()
        .zip(&l.boxes)
        .map(|(p, b)| (p.pid, (b.x, b.y, b.w, b.h)))
        .collect();
    let tubes: Vec<(u32, Rect)> = l
        .tubes
        .iter()
        .map(|t| {
            let pn = &scene.pipes[t.pipe];
            let w = TUBE_W
                + if tube_verdict(lang, pn).is_some() {
                    VERDICT_W
                } else {
                    0.0
                };
            (pn.number, (t.x, t.top, w, t.bottom - t.top))
        })
        .collect();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            if overlap(a.1, b.1) {
                out.push(format!("boxes of {} and {} overlap", a.0, b.0));
            }
        }
        for t in &tubes {
            if overlap(a.1, t.1) {
                out.push(format!("box of {} and pipe#{} overlap", a.0, t.0));
            }
        }
    }
    for (i, a) in tubes.iter().enumerate() {
        for b in &tubes[i + 1..] {
            if overlap(a.1, b.1) {
                out.push(format!("pipe#{} and pipe#{} overlap", a.0, b.0));
            }
        }
    }
    for t in &l.tubes {
        let pn = &scene.pipes[t.pipe];
        let len = cols(&tube_label(lang, pn))
            .max(tube_verdict(lang, pn).map_or(0, |v| cols(&v.text))) as f64
            * SMALL_CH;
        if len > t.bottom - t.top {
            out.push(format!(
                "pipe#{}'s name or verdict is longer than its tube",
                pn.number
            ));
        }
    }
    for r in &l.routes {
        let own_tube = scene.pipes[l.tubes[r.tube].pipe].number;
        for w in r.points.windows(2) {
            for (pid, b) in &boxes {
                if *pid != r.from.0 && crosses(w[0], w[1], *b) {
                    out.push(format!(
                        "the {} arrow of {} fd {} to pipe#{own_tube} crosses the box of {pid}",
                        r.end, r.from.0, r.from.1
                    ));
                }
            }
            for (n, t) in &tubes {
                if *n != own_tube && crosses(w[0], w[1], *t) {
                    out.push(format!(
                        "the {} arrow of {} fd {} to pipe#{own_tube} crosses pipe#{n}",
                        r.end, r.from.0, r.from.1
                    ));
                }
            }
        }
    }
    for (child, points) in l.links(scene) {
        let parent = scene.processes[l.index[&child]].parent;
        for w in points.windows(2) {
            for (pid, b) in &boxes {
                if *pid != child && Some(*pid) != parent && crosses(w[0], w[1], *b) {
                    out.push(format!("the link to {child} crosses the box of {pid}"));
                }
            }
            for (n, t) in &tubes {
                if crosses(w[0], w[1], *t) {
                    out.push(format!("the link to {child} crosses pipe#{n}"));
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

impl Layout {
    /// Each parent -> child link: the child, and the points from the
    /// parent's bottom down beside its children to the child's header.
    pub(crate) fn links(&self, scene: &Scene) -> Vec<(Pid, [(f64, f64); 3])> {
        let mut out = Vec::new();
        for (p, b) in scene.processes.iter().zip(&self.boxes) {
            let Some(parent) = p.parent.and_then(|pp| self.index.get(&pp)) else {
                continue;
            };
            let pb = &self.boxes[*parent];
            if pb.y >= b.y {
                continue;
            }
            let lx = pb.x + 12.0;
            out.push((
                p.pid,
                [
                    (lx, pb.y + pb.h),
                    (lx, b.y + HEAD_H / 2.0),
                    (b.x, b.y + HEAD_H / 2.0),
                ],
            ));
        }
        out
    }
}
