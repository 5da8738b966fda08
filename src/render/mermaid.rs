//! A Mermaid `flowchart LR` for a [`Scene`]: each process a subgraph
//! holding one node per fd, each pipe a node with an edge from every writer
//! fd into it and from it to every reader fd, dotted parent -> child links,
//! shared open files as nodes tied to their fds, the event as a note on its
//! process, warnings as red notes. Every string from the trace goes through
//! [`text`], which writes anything that could end a label, start markup,
//! an entity or a directive as a `#NN;` code, so argv and paths stay text.

use super::ascii::{truncate, visible};
use super::scene::{ProcBox, Scene};
use crate::trace::Pid;
use crate::words::diagram::{phrase, pipe_verdict, state, word, Phrase, Word};
use crate::words::Lang;
use std::fmt::Write as _;

/// The longest label text kept (longer ones end in `…`).
const LABEL_MAX: usize = 80;

/// `s` as text inside a quoted Mermaid label: control characters made
/// visible, cut to `LABEL_MAX`, and every ASCII character other than
/// letters, digits, space and `/ . _ - : ; , + = @ ~ ( ) [ ] ! ? * '` written
/// as a decimal entity code (`"` is `#34;`, `#` is `#35;`, `<` is `#60;`).
pub fn text(s: &str) -> String {
    escape(&truncate(&visible(s), LABEL_MAX))
}

/// `s` (a sentence) in lines of about `width` characters joined by `<br>`,
/// each escaped like [`text`] but not cut.
fn paragraph(s: &str, width: usize) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in visible(s).split(' ') {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(escape(&std::mem::take(&mut cur)));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    lines.push(escape(&cur));
    lines.join("<br>")
}

/// The entity codes of [`text`], on text already made visible.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let plain = c.is_ascii_alphanumeric()
            || !c.is_ascii()
            || matches!(
                c,
                ' ' | '/'
                    | '.'
                    | '_'
                    | '-'
                    | ':'
                    | ';'
                    | ','
                    | '+'
                    | '='
                    | '@'
                    | '~'
                    | '('
                    | ')'
                    | '['
                    | ']'
                    | '!'
                    | '?'
                    | '*'
                    | '\''
            );
        if plain {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", c as u32);
        }
    }
    out
}

fn proc_id(pid: Pid) -> String {
    format!("p{pid}")
}

fn fd_id(pid: Pid, fd: i32) -> String {
    format!("p{pid}_fd{fd}")
}

/// Draws `scene` as a Mermaid flowchart.
pub fn render(scene: &Scene) -> String {
    let lang = scene.lang;
    let mut out = String::from("flowchart LR\n");
    let _ = writeln!(out, "  %% {}", text(&scene.title));
    out.push_str("  classDef hot fill:#ffe08a,stroke:#b8860b,stroke-width:2px\n");
    out.push_str("  classDef warn fill:#fde2e2,stroke:#c62828,color:#c62828\n");
    out.push_str("  classDef note fill:#fff8dc,stroke:#999999\n");
    out.push_str("  classDef pipe fill:#eef6ee,stroke:#2e7d32\n");
    out.push_str("  classDef file fill:#f5f5f5,stroke:#999999\n");

    let rows = scene.drawn_fds();
    // An fd's node when it is drawn, else its process's subgraph.
    let shown = scene.drawn_pids();
    let at = |pid: Pid, fd: i32| {
        if rows.contains(&(pid, fd)) {
            fd_id(pid, fd)
        } else if shown.contains(&pid) {
            proc_id(pid)
        } else {
            format!("out{pid}")
        }
    };

    for p in &scene.processes {
        process(&mut out, lang, p);
    }
    for p in &scene.processes {
        if let Some(parent) = p.parent {
            let _ = writeln!(out, "  {} -.->|fork| {}", proc_id(parent), proc_id(p.pid));
        }
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
    if !outside.is_empty() {
        out.push_str("  classDef outside fill:#ffffff,stroke:#777777,stroke-dasharray:4 3\n");
    }
    for pid in outside {
        let _ = writeln!(
            out,
            "  out{pid}[\"{pid}<br>{}\"]:::outside",
            word(lang, Word::NotDrawn)
        );
    }
    for (i, p) in scene.pipes.iter().enumerate() {
        // Only traced holders are known; an end of unknown direction rules out both claims.
        // The same words as every drawing (inherited pipes may have ends
        // outside the trace, so they promise neither EOF nor SIGPIPE).
        let status = pipe_verdict(
            lang,
            p.writers.len(),
            p.readers.len(),
            p.unknown.len(),
            p.origin == "inherited",
        )
        .filter(|v| v.eof || v.bad)
        .map(|v| format!("<br>{}", text(&v.text)))
        .unwrap_or_default();
        let _ = writeln!(out, "  pipe{i}>\"{}{status}\"]:::pipe", text(&p.label));
        for (pid, fd) in &p.writers {
            let _ = writeln!(
                out,
                "  {} -->|{}| pipe{i}",
                at(*pid, *fd),
                word(lang, Word::Write)
            );
        }
        for (pid, fd) in &p.readers {
            let _ = writeln!(
                out,
                "  pipe{i} -->|{}| {}",
                word(lang, Word::Read),
                at(*pid, *fd)
            );
        }
        for (pid, fd) in &p.unknown {
            let _ = writeln!(
                out,
                "  {} -.-|{}| pipe{i}",
                at(*pid, *fd),
                word(lang, Word::EndUnknown)
            );
        }
    }
    for (i, s) in scene.shared.iter().enumerate() {
        let _ = writeln!(
            out,
            "  file{i}[(\"{} {}<br>{}\")]:::file",
            text(&s.id),
            text(&s.label),
            phrase(lang, &Phrase::FdCount(s.holders.len()))
        );
        for (pid, fd) in &s.holders {
            let _ = writeln!(out, "  {} -.- file{i}", at(*pid, *fd));
        }
    }
    if let Some(e) = &scene.event {
        let mut label = format!("#35;{} {} {}", e.seq, e.pid, text(&e.call));
        if let Some(s) = &e.sentence {
            let _ = write!(label, "<br>{}", paragraph(s, 60));
        }
        let _ = writeln!(out, "  ev[\"{label}\"]:::note");
        if shown.contains(&e.pid) {
            let _ = writeln!(out, "  ev -.- {}", proc_id(e.pid));
        }
    }
    for (i, w) in scene.warnings.iter().enumerate() {
        let _ = writeln!(out, "  warn{i}[\"⚠ {}\"]:::warn", paragraph(&w.text, 48));
        if shown.contains(&w.pid) {
            let target = match w.fd {
                Some(fd) => at(w.pid, fd),
                None => proc_id(w.pid),
            };
            let _ = writeln!(out, "  warn{i} -.- {target}");
        }
    }
    out
}

fn process(out: &mut String, lang: Lang, p: &ProcBox) {
    let mut head = format!(
        "{} {} [{}]",
        p.pid,
        text(&p.program),
        text(state(lang, p.state))
    );
    if p.chain.len() > 1 {
        let chain: Vec<String> = p.chain.iter().map(|c| text(c)).collect();
        let _ = write!(head, " {} {}", word(lang, Word::Ran), chain.join(" → "));
    }
    if p.threads > 0 {
        let _ = write!(head, " {}", phrase(lang, &Phrase::Threads(p.threads)));
    }
    let id = proc_id(p.pid);
    let _ = writeln!(out, "  subgraph {id}[\"{head}\"]");
    for f in &p.fds {
        let mut label = format!("{} → {}", f.fd, text(&f.label));
        if f.refcount > 1 {
            let _ = write!(label, " · {} ×{}", text(&f.open_file), f.refcount);
        }
        if f.cloexec {
            label.push_str(" · cloexec");
        }
        let class = if f.highlight { ":::hot" } else { "" };
        let _ = writeln!(out, "    {}[\"{label}\"]{class}", fd_id(p.pid, f.fd));
    }
    if p.fds.is_empty() && p.hidden_files == 0 {
        let _ = writeln!(out, "    {id}_none[\"{}\"]", word(lang, Word::NoOpenFds));
    }
    if p.hidden_files > 0 {
        let _ = writeln!(
            out,
            "    {id}_hidden[\"… {}\"]",
            phrase(lang, &Phrase::FdsNotShown(p.hidden_files))
        );
    }
    out.push_str("  end\n");
    if p.highlight {
        let _ = writeln!(
            out,
            "  style {id} fill:#fff3c4,stroke:#b8860b,stroke-width:2px"
        );
    } else if p.state == "zombie" {
        let _ = writeln!(out, "  style {id} fill:#e0e0e0,stroke:#777777");
    }
}
