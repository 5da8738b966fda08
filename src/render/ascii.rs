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

use super::scene::{FdRow, OpenFileNode, ProcBox, Scene};
use crate::trace::Pid;
use crate::words::diagram::{access, phrase, pipe_verdict, state, word, Phrase, Word};
pub use crate::words::text::{char_cols, pieces, visible, width};
use crate::words::Lang;
use owo_colors::OwoColorize;
use std::borrow::Cow;
use std::fmt::Write as _;

/// The widest line the drawing aims for.
pub const WIDTH: usize = 100;

/// The narrowest a box's content gets, however deep the tree.
const MIN_INNER: usize = 36;

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

/// `s` cut to at most `max` terminal columns (see [`width`]), ending in `…`
/// when cut. The same as [`truncate`] for text without wide characters.
fn fit(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    let room = max.saturating_sub(1);
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + char_cols(c) > room {
            break;
        }
        used += char_cols(c);
        out.push(c);
    }
    out.push('…');
    Cow::Owned(out)
}

/// Colour, applied to text already laid out (padding is computed on the
/// plain text, so colour never shifts a column).
#[derive(Clone, Copy)]
struct Paint {
    color: bool,
    /// The language of the drawing's words.
    lang: Lang,
    /// The widest line to aim for.
    width: usize,
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
    /// Each `pipe#N` in `s` in its own colour (N picks it), so the ends of
    /// one pipe are found at a glance.
    fn pipes(&self, s: &str) -> String {
        if !self.color || !s.contains("pipe#") {
            return s.to_string();
        }
        let mut out = String::with_capacity(s.len() + 32);
        let mut rest = s;
        while let Some(at) = rest.find("pipe#") {
            out.push_str(&rest[..at]);
            let after = &rest[at + 5..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let name = &rest[at..at + 5 + digits];
            let n: usize = after[..digits].parse().unwrap_or(0);
            // Colours distinct from the ones that mean something here (red
            // bad, green good, yellow changed, cyan pid).
            const PALETTE: [u8; 6] = [33, 208, 135, 37, 166, 99];
            let _ = write!(
                out,
                "\x1b[38;5;{}m{name}\x1b[39m",
                PALETTE[n % PALETTE.len()]
            );
            rest = &rest[at + 5 + digits..];
        }
        out.push_str(rest);
        out
    }
}

/// How to draw for a terminal.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    /// ANSI colour.
    pub color: bool,
    /// The widest line to aim for (the terminal's width).
    pub width: usize,
    /// Pure ASCII: no box-drawing, `×`, `▶`, `→`, `…` (East Asian
    /// ambiguous characters that terminals set to double width misdraw).
    pub plain: bool,
}

/// The width of the terminal on stdout: `COLUMNS` when set, else what the
/// terminal says (TIOCGWINSZ), else [`WIDTH`]; never below 40.
pub fn terminal_width() -> usize {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0);
    let w = from_env.or_else(|| {
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        // SAFETY: TIOCGWINSZ writes a `struct winsize` into the pointer we
        // pass, which points to one; on a non-terminal it fails with ENOTTY
        // and writes nothing.
        let r = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
        (r == 0 && ws.ws_col > 0).then_some(ws.ws_col as usize)
    });
    w.unwrap_or(WIDTH).max(40)
}

/// `s` in pure ASCII: box-drawing becomes `+-|`, `▶` `>`, `×` `x`, arrows
/// `>` and `<`, `…` `~`, `—` `-`, `·` `.` — one column each, so the
/// layout keeps its columns. Wide (CJK) text is left as it is: it is not
/// ambiguous.
pub fn plain(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '─' | '━' | '—' | '–' => '-',
            '│' | '┃' => '|',
            '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' => '+',
            '▶' | '→' | '▸' => '>',
            '←' | '◀' => '<',
            '×' => 'x',
            '…' => '~',
            '·' => '.',
            '✓' => 'v',
            c => c,
        })
        .collect()
}

/// Draws `scene` for a terminal; `color` turns on ANSI colour.
pub fn render(scene: &Scene, color: bool) -> String {
    render_with(
        scene,
        Opts {
            color,
            width: WIDTH,
            plain: false,
        },
    )
}

/// Draws `scene` for a terminal as `opts` says.
pub fn render_with(scene: &Scene, opts: Opts) -> String {
    let out = draw(scene, opts);
    if opts.plain {
        plain(&out)
    } else {
        out
    }
}

fn draw(scene: &Scene, opts: Opts) -> String {
    let paint = Paint {
        color: opts.color,
        lang: scene.lang,
        width: opts.width.max(40),
    };
    let mut out = String::new();
    let title = visible(&scene.title);
    let lang = scene.lang;
    let head = match &scene.event {
        Some(e) => phrase(
            lang,
            &Phrase::TitleAfter {
                title: title.into_owned(),
                seq: e.seq,
            },
        ),
        None => title.into_owned(),
    };
    line(&mut out, &paint.bold(&fit(&head, paint.width)));
    out.push('\n');
    processes(&mut out, scene, paint);
    legend(&mut out, scene, paint);
    pipes(&mut out, scene, paint);
    shared(&mut out, scene, paint);
    event(&mut out, scene, paint);
    warnings(&mut out, scene, paint);
    out
}

/// The kernel view for a terminal: one tree per object (file, tty, pipe),
/// its open files under it (mode, flags, refcount), and under each open
/// file the fds that refer to it; then what the event removed. Read from
/// the right of the textbook figure to the left: two fds under one open
/// file share it (dup, fork), and share its offset.
pub fn render_kernel(scene: &Scene, opts: Opts) -> String {
    let out = draw_kernel(scene, opts);
    if opts.plain {
        plain(&out)
    } else {
        out
    }
}

fn ofile_text(lang: Lang, o: &OpenFileNode) -> String {
    let mut t = format!("{} {}", o.id, access(lang, o.access));
    if o.append {
        t.push_str(" O_APPEND");
    }
    if o.nonblock {
        t.push_str(" O_NONBLOCK");
    }
    let _ = write!(t, " \u{b7} {}", phrase(lang, &Phrase::Refcount(o.refcount)));
    if o.refcount > 1 && o.kind == "file" {
        let _ = write!(t, " \u{b7} {}", word(lang, Word::SharedOffset));
    }
    t
}

fn draw_kernel(scene: &Scene, opts: Opts) -> String {
    let paint = Paint {
        color: opts.color,
        lang: scene.lang,
        width: opts.width.max(40),
    };
    let mut out = String::new();
    let title = visible(&scene.title);
    let lang = scene.lang;
    let head = match &scene.event {
        Some(e) => phrase(
            lang,
            &Phrase::TitleAfter {
                title: title.into_owned(),
                seq: e.seq,
            },
        ),
        None => title.into_owned(),
    };
    line(&mut out, &paint.bold(&fit(&head, paint.width)));
    wrap(
        &mut out,
        paint.width,
        "",
        "",
        word(lang, Word::KernelLegend),
        |s| paint.dim(s),
    );
    out.push('\n');
    let name = |pid: Pid| {
        scene
            .processes
            .iter()
            .find(|p| p.pid == pid)
            .map(|p| visible(&p.program).into_owned())
            .unwrap_or_default()
    };
    let row = |pid: Pid, fd: i32| {
        scene
            .processes
            .iter()
            .find(|p| p.pid == pid)
            .and_then(|p| p.fds.iter().find(|f| f.fd == fd))
    };
    let mut objects: Vec<&str> = Vec::new();
    for o in &scene.open_files {
        if !objects.contains(&o.object.as_str()) {
            objects.push(&o.object);
        }
    }
    if objects.is_empty() {
        line(&mut out, &paint.dim(word(lang, Word::NoOpenFds)));
    }
    for obj in objects {
        let files: Vec<&OpenFileNode> = scene
            .open_files
            .iter()
            .filter(|o| o.object == obj)
            .collect();
        let pipe = files[0]
            .pipe
            .and_then(|r| scene.pipes.iter().find(|p| p.number == r.number));
        let kind = match files[0].kind {
            "file" => word(lang, Word::KindFile),
            "tty" => word(lang, Word::KindTty),
            "socket" => word(lang, Word::KindSocket),
            "pipe" | "fifo" => "",
            _ => word(lang, Word::KindOther),
        };
        let mut head = fit(&visible(obj), paint.width.saturating_sub(20)).into_owned();
        if !kind.is_empty() {
            let _ = write!(head, "  ({kind})");
        }
        if let Some(p) = pipe {
            let _ = write!(
                head,
                "  [{}]",
                phrase(
                    lang,
                    &Phrase::PipeCounts {
                        writers: p.writers.len(),
                        readers: p.readers.len(),
                        unknown: p.unknown.len()
                    }
                )
            );
        }
        line(&mut out, &paint.bold(&paint.pipes(&head)));
        if let Some(p) = pipe {
            if let Some(v) = pipe_verdict(
                lang,
                p.writers.len(),
                p.readers.len(),
                p.unknown.len(),
                p.origin == "inherited",
            ) {
                let f = |s: &str| {
                    if v.eof {
                        paint.good(s)
                    } else if v.bad {
                        paint.bad(s)
                    } else {
                        paint.dim(s)
                    }
                };
                wrap(&mut out, paint.width, "  ", "  ", &v.text, f);
            }
        }
        for (i, o) in files.iter().enumerate() {
            let last = i + 1 == files.len();
            let (branch, under) = if last {
                ("└─ ", "   ")
            } else {
                ("├─ ", "│  ")
            };
            let mouth = match (pipe.is_some(), o.access) {
                (true, "write") => format!("{}: ", word(lang, Word::WriteMouth)),
                (true, "read") => format!("{}: ", word(lang, Word::ReadMouth)),
                _ => String::new(),
            };
            line(
                &mut out,
                &format!("  {branch}{mouth}{}", ofile_text(lang, o)),
            );
            for (j, (pid, fd)) in o.holders.iter().enumerate() {
                let b = if j + 1 == o.holders.len() {
                    "└─ "
                } else {
                    "├─ "
                };
                let mut t = format!("{pid} {} fd {fd}", name(*pid));
                let r = row(*pid, *fd);
                if r.is_some_and(|r| r.cloexec) {
                    t.push_str("  cloexec");
                }
                if r.is_some_and(|r| r.new) {
                    let _ = write!(t, "  ({})", word(lang, Word::NewMark));
                }
                let t = fit(&t, paint.width.saturating_sub(12)).into_owned();
                let t = if r.is_some_and(|r| r.highlight) {
                    paint.hot(&format!("▶ {t}"))
                } else {
                    t
                };
                line(&mut out, &format!("  {under}   {b}{t}"));
            }
        }
    }
    let ghosts: Vec<(Pid, i32, &str)> = scene
        .processes
        .iter()
        .flat_map(|p| {
            p.ghosts
                .iter()
                .map(move |(fd, was)| (p.pid, *fd, was.as_str()))
        })
        .collect();
    let born: Vec<Pid> = scene
        .processes
        .iter()
        .filter(|p| p.new)
        .map(|p| p.pid)
        .collect();
    if !ghosts.is_empty() || !born.is_empty() {
        out.push('\n');
        line(&mut out, &paint.dim(word(lang, Word::MarksLegend)));
        for pid in born {
            line(
                &mut out,
                &format!("  {pid} {}  ({})", name(pid), word(lang, Word::NewMark)),
            );
        }
        for (pid, fd, was) in ghosts {
            let t = format!(
                "x {pid} {} fd {fd} -/ {}",
                name(pid),
                phrase(lang, &Phrase::Was(visible(was).to_string()))
            );
            line(&mut out, &paint.dim(&fit(&t, paint.width)));
        }
    }
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
fn header(lang: Lang, p: &ProcBox, max: usize) -> String {
    let mark = if p.highlight { "▶ " } else { "" };
    let threads = match p.threads {
        0 => String::new(),
        n => format!("  {}", phrase(lang, &Phrase::Threads(n))),
    };
    let chain = if p.chain.len() > 1 {
        let chain: Vec<Cow<str>> = p.chain.iter().map(|c| visible(c)).collect();
        format!("  {} {}", word(lang, Word::Ran), chain.join(" → "))
    } else {
        String::new()
    };
    let program = visible(&p.program);
    let state = state(lang, p.state);
    let new = if p.new {
        format!(" ({})", word(lang, Word::NewMark))
    } else {
        String::new()
    };
    let line = |program: &str, chain: &str| {
        format!("{mark}{} {program} [{state}]{new}{chain}{threads}", p.pid)
    };
    let base = width(&line(&program, ""));
    if base + width(&chain) <= max {
        return line(&program, &chain);
    }
    if max >= base + 12 {
        return line(&program, &fit(&chain, max - base));
    }
    let room = max.saturating_sub(base - width(&program)).max(8);
    line(&fit(&program, room), "")
}

/// The notes after an fd's label: sharing and close-on-exec.
fn notes(lang: Lang, f: &FdRow) -> String {
    let mut n = Vec::new();
    if f.refcount > 1 {
        n.push(format!("{} ×{}", f.open_file, f.refcount));
    }
    if f.cloexec {
        n.push("cloexec".into());
    }
    if f.new {
        n.push(format!("({})", word(lang, Word::NewMark)));
    }
    n.join("  ")
}

fn processes(out: &mut String, scene: &Scene, paint: Paint) {
    let lang = paint.lang;
    if scene.processes.is_empty() {
        line(out, &paint.dim(word(paint.lang, Word::NoLiveProcesses)));
        return;
    }
    let leads = leads(&scene.processes);
    for (i, (p, lead)) in scene.processes.iter().zip(&leads).enumerate() {
        let has_kids = scene.processes[i + 1..]
            .iter()
            .any(|q| q.parent == Some(p.pid) && q.depth > p.depth);
        let budget = paint
            .width
            .saturating_sub(width(&lead.rest) + 4)
            .max(MIN_INNER);
        let head = header(lang, p, budget - 2);
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
        let notes: Vec<String> = p.fds.iter().map(|f| notes(lang, f)).collect();
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
            let label = fit(label, label_max);
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
        for (fd, was) in &p.ghosts {
            let was = fit(&visible(was), label_max).into_owned();
            rows.push((
                format!(
                    "x {fd:>fd_w$} -/ {}",
                    phrase(lang, &Phrase::Was(was.to_string()))
                ),
                false,
            ));
        }
        if p.fds.is_empty() && p.hidden_files == 0 {
            rows.push((phrase(lang, &Phrase::NoOpenFdsRow), false));
        }
        if p.hidden_files > 0 {
            rows.push((
                format!("  … {}", phrase(lang, &Phrase::FdsNotShown(p.hidden_files))),
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
            let shown = if *hot {
                paint.hot(&padded)
            } else {
                paint.pipes(&padded)
            };
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
    let lang = paint.lang;
    let mut parts = Vec::new();
    if let Some(e) = &scene.event {
        if scene.processes.iter().any(|p| p.highlight) {
            parts.push(phrase(lang, &Phrase::ChangedBy(e.seq)));
        }
    }
    if rows().any(|f| f.refcount > 1) {
        parts.push(word(lang, Word::SharedMarkKey).to_string());
    }
    if rows().any(|f| f.cloexec) {
        parts.push(word(lang, Word::CloexecKey).to_string());
    }
    if !parts.is_empty() {
        line(out, &paint.dim(&phrase(lang, &Phrase::Keys(parts))));
    }
}

fn holders(lang: Lang, v: &[(Pid, i32)]) -> String {
    if v.is_empty() {
        return word(lang, Word::Nobody).into();
    }
    v.iter()
        .map(|(p, fd)| format!("{p}:{fd}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Words of `text` laid out in lines of at most `max` columns (a single
/// word wider than that stays whole; see [`crate::words::text::wrap`]), the
/// first line starting with `first`, the others with `rest`; `f` paints the
/// words, not the prefix.
fn wrap(
    out: &mut String,
    max: usize,
    first: &str,
    rest: &str,
    text: &str,
    f: impl Fn(&str) -> String,
) {
    let lines = crate::words::text::wrap(
        text,
        max.saturating_sub(width(first)),
        max.saturating_sub(width(rest)),
    );
    for (i, body) in lines.iter().enumerate() {
        let prefix = if i == 0 { first } else { rest };
        line(out, &format!("{prefix}{}", f(body)));
    }
}

fn pipes(out: &mut String, scene: &Scene, paint: Paint) {
    if scene.pipes.is_empty() {
        return;
    }
    let lang = paint.lang;
    out.push('\n');
    line(out, &paint.bold(word(lang, Word::PipesHeading)));
    for p in &scene.pipes {
        let label = fit(&visible(&p.label), 60).into_owned();
        let painted = paint.pipes(&label);
        // `  label: ` in English and its Chinese form: both label + 4 columns.
        let indent = " ".repeat(width(&label) + 4);
        let text = phrase(
            lang,
            &Phrase::Holders {
                writers: holders(lang, &p.writers),
                readers: holders(lang, &p.readers),
                unknown: (!p.unknown.is_empty()).then(|| holders(lang, &p.unknown)),
            },
        );
        let head = phrase(lang, &Phrase::Head(painted));
        wrap(out, paint.width, &head, &indent, &text, |s| s.to_string());
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
            let text = phrase(lang, &Phrase::NotDrawnHere(pids.join(", ")));
            wrap(out, paint.width, &indent, &indent, &text, |s| paint.dim(s));
        }
        if let Some(v) = pipe_verdict(
            lang,
            p.writers.len(),
            p.readers.len(),
            p.unknown.len(),
            p.origin == "inherited",
        ) {
            let f = |s: &str| {
                if v.eof {
                    paint.good(s)
                } else if v.bad {
                    paint.bad(s)
                } else {
                    paint.dim(s)
                }
            };
            wrap(out, paint.width, &indent, &indent, &v.text, f);
        }
    }
}

fn shared(out: &mut String, scene: &Scene, paint: Paint) {
    if scene.shared.is_empty() {
        return;
    }
    out.push('\n');
    line(out, &paint.bold(word(paint.lang, Word::SharedFiles)));
    for s in &scene.shared {
        let head = phrase(
            paint.lang,
            &Phrase::Head(format!("{} {}", s.id, fit(&visible(&s.label), 60))),
        );
        wrap(
            out,
            paint.width,
            &head,
            "      ",
            &holders(paint.lang, &s.holders),
            |s| s.to_string(),
        );
    }
}

fn event(out: &mut String, scene: &Scene, paint: Paint) {
    let Some(e) = &scene.event else { return };
    out.push('\n');
    line(out, &paint.bold(word(paint.lang, Word::EventHeading)));
    let call = fit(
        &visible(&e.call),
        paint.width.saturating_sub(4 + e.seq.to_string().len() + 12),
    )
    .into_owned();
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
        wrap(out, paint.width, "    ", "    ", &visible(s), |s| {
            s.to_string()
        });
    }
}

fn warnings(out: &mut String, scene: &Scene, paint: Paint) {
    if scene.warnings.is_empty() {
        return;
    }
    out.push('\n');
    line(out, &paint.bad(word(paint.lang, Word::WarningsHeading)));
    for w in &scene.warnings {
        wrap(out, paint.width, "  ! ", "    ", &visible(&w.text), |s| {
            paint.bad(s)
        });
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
    fn ascii_text_breaks_only_at_spaces() {
        let p = pieces("fd 1  now (x)");
        let words: Vec<(bool, &str)> = p.iter().map(|(s, w)| (*s, w.as_str())).collect();
        assert_eq!(
            words,
            [
                (false, "fd"),
                (true, "1"),
                (true, ""),
                (true, "now"),
                (true, "(x)")
            ]
        );
    }

    #[test]
    fn display_width_counts_wide_characters_twice_and_fit_cuts_by_it() {
        assert_eq!(width("abc"), 3);
        // Hangul syllables are wide, as Chinese is (tests in src/words/
        // hold the Chinese).
        assert_eq!(width("\u{ac00}\u{ac01}\u{ac02}\u{ac03}\u{ac04}"), 10);
        assert_eq!(
            fit("\u{ac00}\u{ac01}\u{ac02}\u{ac03}\u{ac04}", 6),
            "\u{ac00}\u{ac01}…"
        );
        assert_eq!(fit("abcdef", 4), truncate("abcdef", 4));
    }

    #[test]
    fn wrapped_text_stays_within_the_width() {
        let mut out = String::new();
        let text = "word ".repeat(60);
        wrap(&mut out, WIDTH, "  ! ", "    ", text.trim(), |s| {
            s.to_string()
        });
        assert!(out.lines().count() > 2);
        for l in out.lines() {
            assert!(width(l) <= WIDTH, "{l}");
            assert!(l.starts_with("  ! ") || l.starts_with("    "));
        }
    }
}
