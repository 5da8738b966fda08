//! Graphviz DOT for a [`Scene`]: each process a table node whose rows are
//! its fds (each row a port), each pipe a node of its own with an edge from
//! every writer fd into it and from it to every reader fd (drawn
//! backwards, so readers keep their rank in the tree; a pipe held by many
//! processes lists their pids instead of an edge from each), dashed edges
//! from parent to child, shared open files as nodes tied to each fd that
//! holds them (or listing the pids, when many processes do), the event's
//! process and fds highlighted, warnings as red notes. Every string from the trace goes through [`html`], so a path
//! holding `<b>`, `"` or a newline stays text.

use super::ascii::visible;
use super::scene::{FdRow, PipeNode, ProcBox, Scene};
use super::svg::fit;
use crate::trace::Pid;
use crate::words::diagram::{phrase, pipe_verdict, state, word, Phrase, Word};
use crate::words::Lang;
use std::collections::HashSet;
use std::fmt::Write as _;

/// The longest label text kept (longer ones end in `…`).
const LABEL_MAX: usize = 80;

const HOT_BG: &str = "#ffe8cc";
/// The event's process's border (the SVG's highlight outline).
const HOT: &str = "#e8590c";
const HOT_ROW_BG: &str = "#fff3bf";
const HEAD_BG: &str = "#e7f5ff";
const ZOMBIE_BG: &str = "#dee2e6";
const BAD: &str = "#c92a2a";
/// Write orange and read blue, as in the SVG and the kernel view.
const WRITE: &str = "#c2410c";
const READ: &str = "#1c5fb8";
/// A pipe whose readers get EOF (green, as in the SVG).
const GOOD: &str = "#2b8a3e";
/// Links and outlines (the SVG's grey).
const LINK: &str = "#868e96";
/// Shared open files (the SVG's purple).
const SHARED_FILL: &str = "#f8f0fc";
const SHARED: &str = "#9c36b5";
/// A pipe's (fill, outline) by origin, as the SVG's tubes.
fn pipe_colours(origin: &str) -> (&'static str, &'static str) {
    match origin {
        "fifo" => ("#f3f0ff", "#7048e8"),
        "inherited" => ("#fff9db", "#e67700"),
        _ => ("#e3fafc", "#0c8599"),
    }
}

/// `s` as text inside a Graphviz HTML-like label: control characters made
/// visible, `&`, `<`, `>`, `"` and `'` as entities, cut to `LABEL_MAX`
/// columns in the middle (a path keeps its file name).
pub fn html(s: &str) -> String {
    escape(&fit(&visible(s), LABEL_MAX))
}

/// Entities for the characters HTML-like labels give meaning to.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Splits `s` into lines of about `width` characters at spaces.
fn lines(s: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    out.push(cur);
    out
}

/// `s` escaped and broken into left-justified lines of about `width`
/// characters (a word longer than a line is cut in its middle; a line of
/// several words never is).
fn block(s: &str, width: usize) -> String {
    let mut out = String::new();
    for l in lines(&visible(s), width) {
        let l = if l.contains(' ') {
            escape(&l)
        } else {
            escape(&fit(&l, width.max(LABEL_MAX)))
        };
        let _ = write!(out, "{l}<br align=\"left\"/>");
    }
    out
}

fn proc_id(pid: Pid) -> String {
    format!("p{pid}")
}

/// A process holding a drawn pipe's end, itself not drawn.
fn outside_id(pid: Pid) -> String {
    format!("out{pid}")
}

fn port(fd: i32) -> String {
    format!("fd{fd}")
}

/// Draws `scene` as a DOT digraph.
pub fn render(scene: &Scene) -> String {
    let lang = scene.lang;
    let mut out = String::new();
    out.push_str("digraph forkscope {\n");
    let mut title = format!("<b>{}</b><br align=\"left\"/>", html(&scene.title));
    if let Some(e) = &scene.event {
        let (seq, pid, call) = (e.seq, e.pid, html(&e.call));
        let after = phrase(lang, &Phrase::DotTitleAfter { seq, pid, call });
        let _ = write!(title, "{after}<br align=\"left\"/>");
        if let Some(s) = &e.sentence {
            title.push_str(&block(s, 80));
        }
    }
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, labelloc=t, labeljust=l, fontname=\"Helvetica\", fontsize=11, \
         nodesep=0.3, ranksep=0.6, label=<{title}>];"
    );
    out.push_str("  node [fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");

    // (pid, fd) rows drawn, so edges only name ports that exist.
    let rows = scene.drawn_fds();
    let shown = scene.drawn_pids();
    let at = |pid: Pid, fd: i32| {
        if rows.contains(&(pid, fd)) {
            // The row's east side (rankdir=LR): edges leave from the end of
            // the row, not from the middle of its text.
            format!("{}:{}:e", proc_id(pid), port(fd))
        } else if shown.contains(&pid) {
            proc_id(pid)
        } else {
            outside_id(pid)
        }
    };
    let hot: HashSet<(Pid, i32)> = scene
        .processes
        .iter()
        .flat_map(|p| {
            p.fds
                .iter()
                .filter(|f| f.highlight)
                .map(move |f| (p.pid, f.fd))
        })
        .collect();
    let warned: HashSet<(Pid, i32)> = scene
        .warnings
        .iter()
        .filter_map(|w| w.fd.map(|fd| (w.pid, fd)))
        .collect();

    out.push_str("\n  // processes and their fd tables\n");
    for p in &scene.processes {
        process(&mut out, lang, p, &warned);
    }

    if !scene.processes.iter().all(|p| p.parent.is_none()) {
        out.push_str("\n  // parent -> child\n");
    }
    for p in &scene.processes {
        if let Some(parent) = p.parent {
            let _ = writeln!(
                out,
                "  {}:h -> {}:h [style=dashed, color=\"{LINK}\", arrowhead=empty];",
                proc_id(parent),
                proc_id(p.pid)
            );
        }
    }

    if !scene.pipes.is_empty() {
        out.push_str("\n  // pipes: writer fd -> pipe -> reader fd\n");
    }
    // Holders of a drawn pipe that are not drawn themselves.
    let mut outside: Vec<Pid> = scene
        .pipes
        .iter()
        .flat_map(|p| p.readers.iter().chain(&p.writers).chain(&p.unknown))
        .map(|h| h.0)
        .filter(|pid| !shown.contains(pid))
        .collect();
    outside.sort_unstable();
    outside.dedup();
    for pid in outside {
        let _ = writeln!(
            out,
            "  {} [shape=box, style=dashed, color=\"{LINK}\", fontcolor=\"#5c636a\", \
             label=<{pid}<br/><font point-size=\"8\">{}</font>>];",
            outside_id(pid),
            word(lang, Word::NotDrawn)
        );
    }
    for (i, p) in scene.pipes.iter().enumerate() {
        let holders = holder_pids(p.writers.iter().chain(&p.readers).chain(&p.unknown));
        // A pipe held by many processes (make's jobserver), or inherited
        // and held by several, lists its holders instead of an edge from
        // each (every row names it; the fan-out crossed the picture), as
        // the Mermaid drawing does.
        let listed =
            holders.len() >= MANY_HOLDERS || (p.origin == "inherited" && holders.len() > 1);
        pipe(&mut out, lang, i, p, listed.then_some(&holders[..]));
        if listed {
            continue;
        }
        let id = format!("pipe{i}");
        let bold = |k: &(Pid, i32)| {
            if hot.contains(k) {
                ", penwidth=2.5"
            } else {
                ""
            }
        };
        for w in &p.writers {
            let _ = writeln!(
                out,
                "  {} -> {id} [color=\"{WRITE}\"{}];",
                at(w.0, w.1),
                bold(w)
            );
        }
        // A reader's edge is written reader -> pipe and drawn backwards
        // (`dir=back`: the arrow points into the reader's row), so the
        // pipe ranks right of its writers and its readers alike and the
        // readers keep their rank in the tree: a pipeline of siblings is
        // one column of boxes with its pipes beside it, not a staircase of
        // ranks (pipe, reader, pipe, reader...) across the page.
        // (`constraint=false` would do it, but Graphviz 2.43 misreads it on
        // an edge from a compass port.)
        for r in &p.readers {
            let _ = writeln!(
                out,
                "  {} -> {id} [dir=back, color=\"{READ}\"{}];",
                at(r.0, r.1),
                bold(r)
            );
        }
        for u in &p.unknown {
            let _ = writeln!(
                out,
                "  {} -> {id} [dir=none, style=dotted, label=\"{}\"{}];",
                at(u.0, u.1),
                word(lang, Word::EndQuestion),
                bold(u)
            );
        }
    }

    if !scene.shared.is_empty() {
        out.push_str("\n  // open files shared by several fds\n");
    }
    for (i, s) in scene.shared.iter().enumerate() {
        // Held by many processes: their pids listed, no edge from each.
        let holders = holder_pids(&s.holders);
        let listed = holders.len() >= MANY_HOLDERS;
        let list = if listed {
            format!("<br/><font point-size=\"8\">{}</font>", pid_list(&holders))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  file{i} [shape=note, style=filled, fillcolor=\"{SHARED_FILL}\", color=\"{SHARED}\", label=<{} {}<br/>\
             <font point-size=\"8\">{}</font>{list}>];",
            html(&s.id),
            html(&s.label),
            phrase(lang, &Phrase::FdCount(s.holders.len()))
        );
        if listed {
            continue;
        }
        for h in &s.holders {
            let _ = writeln!(
                out,
                // weight=0, not constraint=false: Graphviz 2.43 misreads a
                // `dir=none` edge from a compass port with `constraint=false`
                // ("Arrow type \"false\" unknown"); weight 0 keeps these
                // edges from pulling the ranks just the same.
                "  {} -> file{i} [dir=none, style=dotted, color=\"{SHARED}\", weight=0];",
                at(h.0, h.1)
            );
        }
    }

    if !scene.warnings.is_empty() {
        out.push_str("\n  // warnings\n");
    }
    for (i, w) in scene.warnings.iter().enumerate() {
        let _ = writeln!(
            out,
            "  warn{i} [shape=note, color=\"{BAD}\", fontcolor=\"{BAD}\", label=<{}>];",
            block(&w.text, 48)
        );
        if shown.contains(&w.pid) {
            let target = match w.fd {
                Some(fd) => at(w.pid, fd),
                None => format!("{}:h", proc_id(w.pid)),
            };
            let _ = writeln!(
                out,
                "  warn{i} -> {target} [color=\"{BAD}\", style=dashed, arrowhead=none];"
            );
        }
    }
    out.push_str("}\n");
    out
}

fn process(out: &mut String, lang: Lang, p: &ProcBox, warned: &HashSet<(Pid, i32)>) {
    let bg = if p.highlight {
        HOT_BG
    } else if p.state == "zombie" {
        ZOMBIE_BG
    } else {
        HEAD_BG
    };
    let mut head = format!(
        "<b>{} {}</b> [{}]",
        p.pid,
        html(&p.program),
        html(state(lang, p.state))
    );
    if p.chain.len() > 1 {
        let chain: Vec<String> = p.chain.iter().map(|c| html(c)).collect();
        let _ = write!(
            head,
            "<br/><font point-size=\"8\">{} {}</font>",
            word(lang, Word::Ran),
            chain.join(" → ")
        );
    }
    if p.threads > 0 {
        let _ = write!(
            head,
            "<br/><font point-size=\"8\">{}</font>",
            phrase(lang, &Phrase::Threads(p.threads))
        );
    }
    let _ = writeln!(
        out,
        "  {} [shape=plain, label=<<table border=\"1\" cellborder=\"0\" cellspacing=\"0\" \
         cellpadding=\"3\"{}>",
        proc_id(p.pid),
        if p.highlight {
            format!(" color=\"{HOT}\"")
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "    <tr><td port=\"h\" colspan=\"3\" bgcolor=\"{bg}\">{head}</td></tr>"
    );
    for f in &p.fds {
        row(out, p.pid, f, warned);
    }
    if p.fds.is_empty() && p.hidden_files == 0 {
        let _ = writeln!(
            out,
            "    <tr><td colspan=\"3\"><i>{}</i></td></tr>",
            word(lang, Word::NoOpenFds)
        );
    }
    if p.hidden_files > 0 {
        let _ = writeln!(
            out,
            "    <tr><td colspan=\"3\"><i>… {}</i></td></tr>",
            phrase(lang, &Phrase::FdsNotShown(p.hidden_files))
        );
    }
    out.push_str("  </table>>];\n");
}

fn row(out: &mut String, pid: Pid, f: &FdRow, warned: &HashSet<(Pid, i32)>) {
    let bg = if f.highlight {
        format!(" bgcolor=\"{HOT_ROW_BG}\"")
    } else {
        String::new()
    };
    let mut label = html(&f.label);
    if warned.contains(&(pid, f.fd)) {
        label = format!("<font color=\"{BAD}\">{label}</font>");
    }
    if f.highlight {
        label = format!("<b>{label}</b>");
    }
    let mut notes = Vec::new();
    if f.refcount > 1 {
        notes.push(format!("{} ×{}", html(&f.open_file), f.refcount));
    }
    if f.cloexec {
        notes.push("cloexec".to_string());
    }
    // Graphviz refuses an empty <font></font>.
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(
            "<font point-size=\"8\" color=\"#666666\">{}</font>",
            notes.join(" ")
        )
    };
    let _ = writeln!(
        out,
        "    <tr><td align=\"right\"{bg}>{}</td><td port=\"{}\" align=\"left\"{bg}>{label}</td>\
         <td align=\"left\"{bg}>{notes}</td></tr>",
        f.fd,
        port(f.fd),
    );
}

/// A pipe or shared file held by at least this many processes lists their
/// pids instead of an edge from each (as in the Mermaid drawing).
const MANY_HOLDERS: usize = 4;

/// The distinct pids of `holders`, in order.
fn holder_pids<'a>(holders: impl IntoIterator<Item = &'a (Pid, i32)>) -> Vec<Pid> {
    let mut pids: Vec<Pid> = holders.into_iter().map(|h| h.0).collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// `pids` in lines of about 40 characters (every pid, none cut).
fn pid_list(pids: &[Pid]) -> String {
    let all: Vec<String> = pids.iter().map(|p| p.to_string()).collect();
    lines(&all.join(" "), 40).join("<br/>")
}

fn pipe(out: &mut String, lang: Lang, i: usize, p: &PipeNode, listed: Option<&[Pid]>) {
    // Only traced holders are known; an end of unknown direction rules out both claims.
    // The same words as every drawing (inherited pipes may have ends
    // outside the trace, so they promise neither EOF nor SIGPIPE).
    let verdict = pipe_verdict(
        lang,
        p.writers.len(),
        p.readers.len(),
        p.unknown.len(),
        p.origin == "inherited",
    )
    .filter(|v| v.eof || v.bad);
    // The verdict in green (EOF) or red (SIGPIPE), the pipe in its
    // origin's colours: as on the SVG's tubes.
    let status = match &verdict {
        Some(v) => format!(
            "<br/><font point-size=\"8\" color=\"{}\">{}</font>",
            if v.eof { GOOD } else { BAD },
            html(&v.text)
        ),
        None => String::new(),
    };
    let (fill, color) = pipe_colours(p.origin);
    let _ = writeln!(
        out,
        "  pipe{i} [shape=cds, style=filled, fillcolor=\"{fill}\", color=\"{color}\", \
         label=<{}{status}{}>];",
        html(&p.label),
        listed.map_or(String::new(), |pids| format!(
            "<br/><font point-size=\"8\">{}</font>",
            pid_list(pids)
        ))
    );
}

#[cfg(test)]
mod colour_tests {
    use super::*;

    #[test]
    fn write_and_read_mean_the_same_colours_as_in_the_svg() {
        let style = super::super::svg::STYLE;
        assert!(style.contains(&format!(".fs-cw{{stroke:{WRITE};")), "write");
        assert!(style.contains(&format!(".fs-cr{{stroke:{READ};")), "read");
        assert!(style.contains(&format!("fs-keof{{font-size:11px;fill:{GOOD};")));
        assert!(style.contains(&format!("fs-kbad{{font-size:11px;fill:{BAD};")));
        assert!(style.contains(&format!(".fs-hl .fs-outline{{stroke:{HOT};")));
        assert!(style.contains(&format!(".fs-hl .fs-head{{fill:{HOT_BG}}}")));
        assert!(style.contains(&format!(".fs-head{{fill:{HEAD_BG}}}")));
        assert!(style.contains(&format!(".fs-zombie .fs-head{{fill:{ZOMBIE_BG}}}")));
        assert!(style.contains(&format!(".fs-shared{{fill:none;stroke:{SHARED}}}")));
        assert!(style.contains(&format!(".fs-ofbox{{fill:{SHARED_FILL};stroke:{SHARED};")));
        for origin in ["created", "fifo", "inherited"] {
            let (fill, stroke) = pipe_colours(origin);
            let class = match origin {
                "created" => String::new(),
                o => format!(".fs-{o}"),
            };
            assert!(
                style.contains(&format!(".fs-tube{class}{{fill:{fill};stroke:{stroke}")),
                "{origin}"
            );
        }
    }
}
