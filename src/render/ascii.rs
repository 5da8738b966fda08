//! The terminal drawing of a [`Scene`]: one box-drawn box per process with
//! its fd table, children indented under their parents with tree lines,
//! then the pipes (who writes, who reads, whether readers see EOF), the
//! open files several fds share, the event just applied with its sentence,
//! and the warnings. Lines stay within [`WIDTH`] columns where they can;
//! long labels are cut with `…`. Colour (owo-colors) only when asked.
//!
//! Also home of [`visible`], the one place that turns control and
//! direction-changing characters from the trace into visible escapes; the
//! other formats use it before their own escaping.

use super::scene::{FdRow, PipeNode, ProcBox, Scene};
use crate::trace::Pid;
use owo_colors::OwoColorize;
use std::borrow::Cow;
use std::fmt::Write as _;

/// The widest line the drawing aims for.
pub const WIDTH: usize = 100;

/// The narrowest a box's content gets, however deep the tree.
const MIN_INNER: usize = 36;

/// `s` with every control character (newline, escape, ...) and every
/// invisible formatting character (bidi overrides, zero-width spaces)
/// written as a visible escape (`\n`, `\x1b`, `\u{202e}`), so a path from
/// the trace can neither break a layout nor drive a terminal.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(invisible) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if invisible(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if invisible(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Control characters and the format characters that change how the
/// surrounding text is shown (bidi embeddings, overrides and isolates,
/// zero-width characters, the byte-order mark).
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x00ad | 0x061c | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e
            | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb)
}

/// `s` cut to at most `max` characters, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().count() <= max {
        return Cow::Borrowed(s);
    }
    let keep = max.saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    out.push('…');
    Cow::Owned(out)
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Colour, applied to text already laid out (padding is computed on the
/// plain text, so colour never shifts a column).
#[derive(Clone, Copy)]
struct Paint {
    color: bool,
}

impl Paint {
    fn with(&self, s: &str, f: impl Fn(&str) -> String) -> String {
        if self.color {
            f(s)
        } else {
            s.to_string()
        }
    }
    fn pid(&self, s: &str) -> String {
        self.with(s, |s| s.cyan().to_string())
    }
    fn bold(&self, s: &str) -> String {
        self.with(s, |s| s.bold().to_string())
    }
    fn dim(&self, s: &str) -> String {
        self.with(s, |s| s.dimmed().to_string())
    }
    fn hot(&self, s: &str) -> String {
        self.with(s, |s| s.yellow().bold().to_string())
    }
    fn call(&self, s: &str) -> String {
        self.with(s, |s| s.yellow().to_string())
    }
    fn bad(&self, s: &str) -> String {
        self.with(s, |s| s.red().to_string())
    }
    fn good(&self, s: &str) -> String {
        self.with(s, |s| s.green().to_string())
    }
}

/// Draws `scene` for a terminal; `color` turns on ANSI colour.
pub fn render(scene: &Scene, color: bool) -> String {
    let paint = Paint { color };
    let mut out = String::new();
    let title = visible(&scene.title);
    let head = match &scene.event {
        Some(e) => format!("{title} — after #{}", e.seq),
        None => title.into_owned(),
    };
    line(&mut out, &paint.bold(&truncate(&head, WIDTH)));
    out.push('\n');
    processes(&mut out, scene, paint);
    legend(&mut out, scene, paint);
    pipes(&mut out, scene, paint);
    shared(&mut out, scene, paint);
    event(&mut out, scene, paint);
    warnings(&mut out, scene, paint);
    out
}

fn line(out: &mut String, s: &str) {
    out.push_str(s);
    out.push('\n');
}

/// Where each box starts: the prefix of its first line, of its other
/// lines, and of its children's lines.
struct Lead {
    first: String,
    rest: String,
    kids: String,
}

fn leads(procs: &[ProcBox]) -> Vec<Lead> {
    let mut leads: Vec<Lead> = Vec::with_capacity(procs.len());
    for (i, p) in procs.iter().enumerate() {
        // The nearest box before this one that is its parent.
        let parent = p.parent.and_then(|pp| {
            (0..i)
                .rev()
                .find(|&j| procs[j].pid == pp && procs[j].depth < p.depth)
        });
        let lead = match parent {
            None => Lead {
                first: String::new(),
                rest: String::new(),
                kids: "  ".into(),
            },
            Some(j) => {
                let last = !procs[i + 1..].iter().any(|q| q.parent == p.parent);
                let base = &leads[j].kids;
                let rest = format!("{base}{}", if last { "    " } else { "│   " });
                Lead {
                    first: format!("{base}{}", if last { "└── " } else { "├── " }),
                    kids: format!("{rest}  "),
                    rest,
                }
            }
        };
        leads.push(lead);
    }
    leads
}

/// The box's title, `▶ pid program [state]` with the exec chain and the
/// thread count, within `max` columns: the chain goes first, then the
/// program name is cut.
fn header(p: &ProcBox, max: usize) -> String {
    let mark = if p.highlight { "▶ " } else { "" };
    let threads = match p.threads {
        0 => String::new(),
        1 => "  +1 thread".into(),
        n => format!("  +{n} threads"),
    };
    let chain = if p.chain.len() > 1 {
        let chain: Vec<Cow<str>> = p.chain.iter().map(|c| visible(c)).collect();
        format!("  ran {}", chain.join(" → "))
    } else {
        String::new()
    };
    let program = visible(&p.program);
    let line = |program: &str, chain: &str| {
        format!("{mark}{} {program} [{}]{chain}{threads}", p.pid, p.state)
    };
    let base = width(&line(&program, ""));
    if base + width(&chain) <= max {
        return line(&program, &chain);
    }
    if max >= base + 12 {
        return line(&program, &truncate(&chain, max - base));
    }
    let room = max.saturating_sub(base - width(&program)).max(8);
    line(&truncate(&program, room), "")
}

/// The notes after an fd's label: sharing and close-on-exec.
fn notes(f: &FdRow) -> String {
    let mut n = Vec::new();
    if f.refcount > 1 {
        n.push(format!("{} ×{}", f.open_file, f.refcount));
    }
    if f.cloexec {
        n.push("cloexec".into());
    }
    n.join("  ")
}

fn processes(out: &mut String, scene: &Scene, paint: Paint) {
    if scene.processes.is_empty() {
        line(out, &paint.dim("(no live processes)"));
        return;
    }
    let leads = leads(&scene.processes);
    for (i, (p, lead)) in scene.processes.iter().zip(&leads).enumerate() {
        let has_kids = scene.processes[i + 1..]
            .iter()
            .any(|q| q.parent == Some(p.pid) && q.depth > p.depth);
        let budget = WIDTH.saturating_sub(width(&lead.rest) + 4).max(MIN_INNER);
        let head = header(p, budget - 2);
        let fd_w = p
            .fds
            .iter()
            .map(|f| f.fd.to_string().len())
            .max()
            .unwrap_or(1);
        let labels: Vec<String> = p
            .fds
            .iter()
            .map(|f| visible(&f.label).into_owned())
            .collect();
        let notes: Vec<String> = p.fds.iter().map(notes).collect();
        let note_w = notes.iter().map(|n| width(n)).max().unwrap_or(0);
        // `▶ ` + fd + ` -> ` + label + `  ` + notes
        let fixed = 2 + fd_w + 4 + if note_w > 0 { 2 + note_w } else { 0 };
        let label_max = budget.saturating_sub(fixed).max(12);
        let label_w = labels
            .iter()
            .map(|l| width(l).min(label_max))
            .max()
            .unwrap_or(0);
        let mut rows: Vec<(String, bool)> = Vec::new();
        for ((f, label), note) in p.fds.iter().zip(&labels).zip(&notes) {
            let label = truncate(label, label_max);
            let mut r = format!(
                "{} {:>fd_w$} -> {label}",
                if f.highlight { "▶" } else { " " },
                f.fd
            );
            if !note.is_empty() {
                let pad = label_w.saturating_sub(width(&label));
                let _ = write!(r, "{}  {note}", " ".repeat(pad));
            }
            rows.push((r, f.highlight));
        }
        if p.fds.is_empty() && p.hidden_files == 0 {
            rows.push(("  (no open fds)".into(), false));
        }
        if p.hidden_files > 0 {
            rows.push((
                format!(
                    "  … {} fd{} not shown",
                    p.hidden_files,
                    if p.hidden_files == 1 { "" } else { "s" }
                ),
                false,
            ));
        }
        // Rows are `│ row │`; the top is `┌─ header ─…┐`, at least one `─`
        // after the header.
        let inner = rows
            .iter()
            .map(|(r, _)| width(r))
            .chain([width(&head) + 2])
            .max()
            .unwrap_or(0);
        let head_painted = paint_header(&head, p, paint);
        line(
            out,
            &format!(
                "{}┌─ {head_painted} {}┐",
                lead.first,
                "─".repeat(inner - width(&head) - 1)
            ),
        );
        for (r, hot) in &rows {
            let padded = format!("{r}{}", " ".repeat(inner - width(r)));
            let shown = if *hot { paint.hot(&padded) } else { padded };
            line(out, &format!("{}│ {shown} │", lead.rest));
        }
        let bottom = if has_kids {
            format!("└─┬{}┘", "─".repeat(inner))
        } else {
            format!("└{}┘", "─".repeat(inner + 2))
        };
        line(out, &format!("{}{bottom}", lead.rest));
    }
}

fn paint_header(head: &str, p: &ProcBox, paint: Paint) -> String {
    if !paint.color {
        return head.to_string();
    }
    let pid = p.pid.to_string();
    match head.find(&pid) {
        Some(at) => {
            let (before, rest) = head.split_at(at);
            let (pid_s, after) = rest.split_at(pid.len());
            let after = if p.state == "zombie" {
                paint.bad(after)
            } else {
                paint.bold(after)
            };
            let before = if p.highlight {
                paint.hot(before)
            } else {
                before.to_string()
            };
            format!("{before}{}{after}", paint.pid(pid_s))
        }
        None => head.to_string(),
    }
}

fn legend(out: &mut String, scene: &Scene, paint: Paint) {
    let rows = || scene.processes.iter().flat_map(|p| &p.fds);
    let mut parts = Vec::new();
    if let Some(e) = &scene.event {
        if scene.processes.iter().any(|p| p.highlight) {
            parts.push(format!("▶ changed by #{}", e.seq));
        }
    }
    if rows().any(|f| f.refcount > 1) {
        parts.push("#N ×K: open file #N, shared by K fds".into());
    }
    if rows().any(|f| f.cloexec) {
        parts.push("cloexec: closed at the next exec".into());
    }
    if !parts.is_empty() {
        line(out, &paint.dim(&format!("({})", parts.join("; "))));
    }
}

fn holders(v: &[(Pid, i32)]) -> String {
    if v.is_empty() {
        return "none".into();
    }
    v.iter()
        .map(|(p, fd)| format!("{p}:{fd}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Words of `text` laid out in lines of at most [`WIDTH`] columns (a single
/// word wider than that stays whole), the first line starting with `first`,
/// the others with `rest`; `f` paints the words, not the prefix.
fn wrap(out: &mut String, first: &str, rest: &str, text: &str, f: impl Fn(&str) -> String) {
    let mut prefix = first;
    let mut body = String::new();
    for word in text.split(' ') {
        if !body.is_empty() && width(prefix) + width(&body) + 1 + width(word) > WIDTH {
            line(out, &format!("{prefix}{}", f(&body)));
            prefix = rest;
            body.clear();
        }
        if !body.is_empty() {
            body.push(' ');
        }
        body.push_str(word);
    }
    line(out, &format!("{prefix}{}", f(&body)));
}

/// What the pipe's ends mean for its readers and writers, and whether that
/// is fine. Only traced holders are known, hence "in the trace"; an fd whose
/// end is unknown might be either, so it rules out both claims.
fn pipe_status(p: &PipeNode) -> Option<(String, bool)> {
    if !p.unknown.is_empty() {
        return None;
    }
    let inherited = p.origin == "inherited";
    match (p.writers.len(), p.readers.len()) {
        (0, 0) => None,
        (0, _) if inherited => Some((
            "no writer in the trace (a process outside it may still hold one)".into(),
            false,
        )),
        (_, 0) if inherited => Some((
            "no reader in the trace (a process outside it may still hold one)".into(),
            false,
        )),
        (0, _) => Some(("no writer left in the trace: readers see EOF".into(), true)),
        (_, 0) => Some((
            "no reader left in the trace: a write raises SIGPIPE (or fails with EPIPE)".into(),
            false,
        )),
        (1, _) => Some(("readers see EOF once the write end is closed".into(), true)),
        (2, _) => Some((
            "readers see EOF once both write ends are closed".into(),
            true,
        )),
        (n, _) => Some((
            format!("readers see EOF once all {n} write ends are closed"),
            true,
        )),
    }
}

fn pipes(out: &mut String, scene: &Scene, paint: Paint) {
    if scene.pipes.is_empty() {
        return;
    }
    out.push('\n');
    line(out, &paint.bold("pipes"));
    for p in &scene.pipes {
        let label = truncate(&visible(&p.label), 60).into_owned();
        let indent = " ".repeat(width(&label) + 4);
        let mut text = format!(
            "writers {} -> readers {}",
            holders(&p.writers),
            holders(&p.readers)
        );
        if !p.unknown.is_empty() {
            let _ = write!(text, "; end unknown {}", holders(&p.unknown));
        }
        wrap(out, &format!("  {label}: "), &indent, &text, |s| {
            s.to_string()
        });
        let drawn = |pid: &Pid| scene.processes.iter().any(|b| b.pid == *pid);
        let mut outside: Vec<Pid> = p
            .readers
            .iter()
            .chain(&p.writers)
            .chain(&p.unknown)
            .map(|h| h.0)
            .filter(|pid| !drawn(pid))
            .collect();
        outside.sort_unstable();
        outside.dedup();
        if !outside.is_empty() {
            let pids: Vec<String> = outside.iter().map(Pid::to_string).collect();
            let text = format!("not drawn here: {}", pids.join(", "));
            wrap(out, &indent, &indent, &text, |s| paint.dim(s));
        }
        if let Some((status, fine)) = pipe_status(p) {
            let f = |s: &str| {
                if p.writers.is_empty() && !p.readers.is_empty() {
                    paint.good(s)
                } else if fine {
                    paint.dim(s)
                } else {
                    paint.bad(s)
                }
            };
            wrap(out, &indent, &indent, &status, f);
        }
    }
}

fn shared(out: &mut String, scene: &Scene, paint: Paint) {
    if scene.shared.is_empty() {
        return;
    }
    out.push('\n');
    line(out, &paint.bold("shared open files"));
    for s in &scene.shared {
        let head = format!("  {} {}: ", s.id, truncate(&visible(&s.label), 60));
        wrap(out, &head, "      ", &holders(&s.holders), |s| {
            s.to_string()
        });
    }
}

fn event(out: &mut String, scene: &Scene, paint: Paint) {
    let Some(e) = &scene.event else { return };
    out.push('\n');
    line(out, &paint.bold("event"));
    let call = truncate(&visible(&e.call), WIDTH - 4 - e.seq.to_string().len() - 12).into_owned();
    line(
        out,
        &format!(
            "  {} {} {}",
            paint.dim(&format!("#{}", e.seq)),
            paint.pid(&e.pid.to_string()),
            paint.call(&call)
        ),
    );
    if let Some(s) = &e.sentence {
        wrap(out, "    ", "    ", &visible(s), |s| s.to_string());
    }
}

fn warnings(out: &mut String, scene: &Scene, paint: Paint) {
    if scene.warnings.is_empty() {
        return;
    }
    out.push('\n');
    line(out, &paint.bad("warnings"));
    for w in &scene.warnings {
        wrap(out, "  ! ", "    ", &visible(&w.text), |s| paint.bad(s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_become_visible_escapes() {
        assert_eq!(visible("a\nb\tc\x1b[31m"), "a\\nb\\tc\\x1b[31m");
        assert_eq!(visible("x\u{202e}y"), "x\\u{202e}y");
        assert!(matches!(visible("/dev/pts/0"), Cow::Borrowed(_)));
    }

    #[test]
    fn truncation_keeps_the_width_and_ends_in_an_ellipsis() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }

    #[test]
    fn wrapped_text_stays_within_the_width() {
        let mut out = String::new();
        let text = "word ".repeat(60);
        wrap(&mut out, "  ! ", "    ", text.trim(), |s| s.to_string());
        assert!(out.lines().count() > 2);
        for l in out.lines() {
            assert!(width(l) <= WIDTH, "{l}");
            assert!(l.starts_with("  ! ") || l.starts_with("    "));
        }
    }
}
