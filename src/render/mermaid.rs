//! A Mermaid `flowchart TB` for a [`Scene`]: each process one HTML-label
//! node holding its fd table (rows in fd order), declared in tree order with
//! its dotted parent -> child links first, so the layout ranks parents above
//! children (Mermaid's dagre reverses a pipe edge that points back up the
//! tree, never a fork). Each pipe is a tube node with an edge from every
//! writer process into it and from it to every reader (labelled with the
//! fds); shared open files are nodes tied to their processes while only a few
//! processes hold them, else one list. A family of more than four
//! children folds into rows of two (each row ranked below the one before
//! by invisible `~~~` links), and identical childless siblings in it are one
//! node (`16 × sleep` and their pids), so a `make -j8` or a 40-process tree
//! is not one rank thousands of pixels wide; the nodes without edges then
//! stand in a column above the tree. The event is a note on its process,
//! warnings red notes. Colours mean what they mean in the SVG: write orange,
//! read blue, pipes teal, FIFOs violet, inherited pipes amber, shared files
//! purple, the event's process orange. Every string from the trace goes
//! through [`text`], which writes anything that could end a label, start
//! markup, an entity or a directive as a `#NN;` code, so argv and paths stay
//! text.

use super::ascii::visible;
use super::scene::{FdRow, ProcBox, Scene};
use super::svg::fit;
use crate::trace::Pid;
use crate::words::diagram::{phrase, pipe_verdict, state, word, Phrase, Word};
use crate::words::Lang;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The longest label text kept (longer ones end in `…`).
const LABEL_MAX: usize = 80;

/// `s` as text inside a quoted Mermaid label: control characters made
/// visible, cut to `LABEL_MAX` columns in the middle (a path keeps its
/// file name), and every ASCII character other than
/// letters, digits, space and `/ . _ - : ; , + = @ ~ ( ) [ ] ! ? * '` written
/// as a decimal entity code (`"` is `#34;`, `#` is `#35;`, `<` is `#60;`).
pub fn text(s: &str) -> String {
    escape(&fit(&visible(s), LABEL_MAX))
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

/// Colours, the SVG's (`svg::STYLE`).
const WRITE: &str = "#c2410c";
const READ: &str = "#1c5fb8";
const LINK: &str = "#868e96";

/// A pipe held by at least this many processes gets no edges: its node
/// lists the holders' pids (at most [`HOLDERS_LISTED`]).
const MANY_HOLDERS: usize = 4;
const HOLDERS_LISTED: usize = 24;
/// Shared open files listed in their note, at most. (They get no edges:
/// each row already names its open file and count, and a fan-out of dotted
/// lines to every holder crossed the picture.)
const SHARED_LISTED: usize = 12;

/// The statements, with the edges counted for `linkStyle`.
struct Out {
    text: String,
    edges: usize,
    /// Edge numbers per colour, for one `linkStyle` line each.
    styles: BTreeMap<&'static str, Vec<usize>>,
}

impl Out {
    fn edge(&mut self, line: std::fmt::Arguments<'_>, style: &'static str) {
        let _ = writeln!(self.text, "  {line}");
        self.styles.entry(style).or_default().push(self.edges);
        self.edges += 1;
    }
}

/// Draws `scene` as a Mermaid flowchart.
pub fn render(scene: &Scene) -> String {
    let lang = scene.lang;
    let mut out = Out {
        // Straight segments through the layout's bend points (the default
        // curves cut the corners of the boxes beside them), and fd rows
        // wide enough not to wrap.
        text: String::new(),
        edges: 0,
        styles: BTreeMap::new(),
    };
    let tree = Tree::new(scene);
    // A folded tree's long fork links run side by side: closer together
    // (Mermaid's node spacing is also what dagre keeps between them).
    let spacing = if tree.folded {
        "    nodeSpacing: 20\n"
    } else {
        ""
    };
    let _ = write!(
        out.text,
        "---\nconfig:\n  flowchart:\n    curve: linear\n    wrappingWidth: 480\n{spacing}---\nflowchart TB\n"
    );
    let o = &mut out.text;
    let _ = writeln!(o, "  %% {}", text(&scene.title));
    o.push_str("  classDef proc fill:#ffffff,stroke:#868e96,color:#212529,text-align:left\n");
    o.push_str("  classDef hot fill:#ffe8cc,stroke:#e8590c,stroke-width:3px,color:#212529,text-align:left\n");
    o.push_str(
        "  classDef zombie fill:#f1f3f5,stroke:#868e96,stroke-dasharray:5 3,color:#5c636a,text-align:left\n",
    );
    o.push_str("  classDef stopped fill:#fff3bf,stroke:#f08c00,stroke-dasharray:2 2,color:#212529,text-align:left\n");
    o.push_str("  classDef pipe fill:#e3fafc,stroke:#0c8599,color:#0b7285\n");
    o.push_str("  classDef fifo fill:#f3f0ff,stroke:#7048e8,color:#5f3dc4\n");
    o.push_str("  classDef inherited fill:#fff9db,stroke:#e67700,color:#d9480f\n");
    o.push_str("  classDef file fill:#f8f0fc,stroke:#9c36b5,color:#862e9c\n");
    o.push_str("  classDef note fill:#ffffff,stroke:#adb5bd,color:#212529\n");
    o.push_str("  classDef warn fill:#fff5f5,stroke:#c92a2a,color:#c92a2a\n");

    let shown = scene.drawn_pids();
    let at = |pid: Pid| {
        if shown.contains(&pid) {
            proc_id(pid)
        } else {
            format!("out{pid}")
        }
    };

    // Processes (in tree order, as the scene lists them, runs of identical
    // siblings as one node), then the links that rank them, before any
    // other edge: fork links, then the invisible links that fold a wide
    // family into rows.
    for (i, p) in scene.processes.iter().enumerate() {
        match &tree.group[i] {
            Some(members) if members[0] == i => group(&mut out.text, scene, members),
            Some(_) => {}
            None => process(&mut out.text, scene, p),
        }
    }
    for (i, p) in scene.processes.iter().enumerate() {
        if let (Some(parent), true) = (p.parent, tree.drawn(i)) {
            // Unlabelled in a folded family: the links to its later rows
            // are long, and a label on each widens every rank they pass
            // (dagre gives a label room of its own).
            let label = if tree.in_fold(i) { "" } else { "|fork|" };
            out.edge(
                format_args!("{} -.->{label} {}", proc_id(parent), proc_id(p.pid)),
                LINK,
            );
        }
    }
    for (above, below) in tree.folds() {
        let _ = writeln!(out.text, "  {above} ~~~ {below}");
        out.edges += 1;
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
        out.text.push_str(
            "  classDef outside fill:#ffffff,stroke:#868e96,stroke-dasharray:4 3,color:#5c636a\n",
        );
    }
    for pid in outside {
        let _ = writeln!(
            out.text,
            "  out{pid}[\"{pid}<br>{}\"]:::outside",
            word(lang, Word::NotDrawn)
        );
    }
    // Pipes drawn without edges (their holders listed).
    let mut listed_pipes: Vec<String> = Vec::new();
    for (i, p) in scene.pipes.iter().enumerate() {
        // The same words as every drawing (inherited pipes may have ends
        // outside the trace, so they promise neither EOF nor SIGPIPE).
        let counts = phrase(
            lang,
            &Phrase::PipeCounts {
                writers: p.writers.len(),
                readers: p.readers.len(),
                unknown: p.unknown.len(),
            },
        );
        let status = pipe_verdict(
            lang,
            p.writers.len(),
            p.readers.len(),
            p.unknown.len(),
            p.origin == "inherited",
        )
        .filter(|v| v.eof || v.bad)
        .map(|v| format!("<br>{}", paragraph(&v.text, 40)))
        .unwrap_or_default();
        let class = match p.origin {
            "fifo" => "fifo",
            "inherited" => "inherited",
            _ => "pipe",
        };
        let mut pids: Vec<String> = p
            .writers
            .iter()
            .chain(&p.readers)
            .chain(&p.unknown)
            .map(|h| h.0.to_string())
            .collect();
        pids.sort_unstable_by_key(|p| p.parse::<i64>().unwrap_or(0));
        pids.dedup();
        let held = if lists_holders(p, pids.len()) {
            let shown: Vec<&str> = pids
                .iter()
                .take(HOLDERS_LISTED)
                .map(String::as_str)
                .collect();
            let more = if pids.len() > HOLDERS_LISTED {
                " …"
            } else {
                ""
            };
            format!("<br>{}{more}", paragraph(&shown.join(" "), 40))
        } else {
            String::new()
        };
        let _ = writeln!(
            out.text,
            "  pipe{i}[(\"<b>{}</b><br>{}{held}{status}\")]:::{class}",
            text(&p.label),
            text(&counts)
        );
        // A pipe held by many processes (make's jobserver), or inherited
        // from outside the trace (a build tool's jobserver again, mostly),
        // lists its holders instead of an edge from each: every process row
        // already names it, and a fan-out from every box crosses the picture.
        let mut holders: Vec<Pid> = p
            .writers
            .iter()
            .chain(&p.readers)
            .chain(&p.unknown)
            .map(|h| h.0)
            .collect();
        holders.sort_unstable();
        holders.dedup();
        if lists_holders(p, holders.len()) {
            listed_pipes.push(format!("pipe{i}"));
            continue;
        }
        for (pid, fds) in by_process(&p.writers) {
            out.edge(
                format_args!(
                    "{} -->|\"{} {}\"| pipe{i}",
                    at(pid),
                    fds,
                    word(lang, Word::Write)
                ),
                WRITE,
            );
        }
        for (pid, fds) in by_process(&p.readers) {
            out.edge(
                format_args!(
                    "pipe{i} -->|\"{} {}\"| {}",
                    fds,
                    word(lang, Word::Read),
                    at(pid)
                ),
                READ,
            );
        }
        for (pid, fds) in by_process(&p.unknown) {
            out.edge(
                format_args!(
                    "{} -.-|\"{} {}\"| pipe{i}",
                    at(pid),
                    fds,
                    word(lang, Word::EndUnknown)
                ),
                LINK,
            );
        }
    }
    let listed: Vec<_> = scene.shared.iter().collect();
    if !listed.is_empty() {
        let mut label = format!("<b>{}</b>", word(lang, Word::SharedFilesLong));
        for s in listed.iter().take(SHARED_LISTED) {
            let holders: Vec<String> = by_process(&s.holders)
                .into_iter()
                .map(|(pid, fds)| format!("{pid}: {fds}"))
                .collect();
            let _ = write!(
                label,
                "<br>{} {} · {} ({})",
                text(&s.id),
                text(&s.label),
                phrase(lang, &Phrase::FdCount(s.holders.len())),
                // Every holder, wrapped, never cut (a cut list read as
                // a wrong pid).
                paragraph(&holders.join(" · "), 60)
            );
        }
        if listed.len() > SHARED_LISTED {
            let more = phrase(lang, &Phrase::MoreNotListed(listed.len() - SHARED_LISTED));
            let _ = write!(label, "<br>{}", text(&more));
        }
        let _ = writeln!(out.text, "  shared[\"{label}\"]:::file");
        // Above the tree (an invisible link ranks it), where no edge runs.
        if !tree.folded {
            if let Some(root) = scene.processes.first() {
                let _ = writeln!(out.text, "  shared ~~~ {}", proc_id(root.pid));
                out.edges += 1;
            }
        }
    }
    // In a folded tree, the nodes without edges (the shared files, the
    // pipes listing their holders) go in one column above the tree, not
    // side by side on its first rank.
    if tree.folded {
        let mut column: Vec<String> = Vec::new();
        if !listed.is_empty() {
            column.push("shared".to_string());
        }
        column.extend(listed_pipes);
        if let Some(&root) = tree.roots.first() {
            column.push(proc_id(scene.processes[root].pid));
        }
        for w in column.windows(2) {
            let _ = writeln!(out.text, "  {} ~~~ {}", w[0], w[1]);
            out.edges += 1;
        }
    }
    // The event and warnings sit in their process's node; a note of their
    // own only for a process not drawn.
    if let Some(e) = scene.event.as_ref().filter(|e| !shown.contains(&e.pid)) {
        let _ = writeln!(out.text, "  ev[\"{}\"]:::note", event_text(e, true));
    }
    for (i, w) in scene.warnings.iter().enumerate() {
        if !shown.contains(&w.pid) {
            let _ = writeln!(
                out.text,
                "  warn{i}[\"⚠ {}\"]:::warn",
                paragraph(&w.text, 48)
            );
        }
    }
    for (colour, edges) in &out.styles {
        let list: Vec<String> = edges.iter().map(|e| e.to_string()).collect();
        let width = if *colour == WRITE || *colour == READ {
            "2px"
        } else {
            "1px"
        };
        let _ = writeln!(
            out.text,
            "  linkStyle {} stroke:{colour},stroke-width:{width},color:{colour}",
            list.join(",")
        );
    }
    out.text
}

/// Whether pipe `p`, held by `processes` processes, is drawn without edges,
/// listing its holders.
fn lists_holders(p: &super::scene::PipeNode, processes: usize) -> bool {
    processes >= MANY_HOLDERS || (p.origin == "inherited" && processes > 1)
}

/// `(pid, "fd 3,4")` per process, in the order the processes first appear.
fn by_process(v: &[(Pid, i32)]) -> Vec<(Pid, String)> {
    let mut groups: Vec<(Pid, Vec<i32>)> = Vec::new();
    for &(pid, fd) in v {
        match groups.iter_mut().find(|g| g.0 == pid) {
            Some(g) => g.1.push(fd),
            None => groups.push((pid, vec![fd])),
        }
    }
    groups
        .into_iter()
        .map(|(pid, mut fds)| {
            fds.sort_unstable();
            let fds: Vec<String> = fds.iter().map(|f| f.to_string()).collect();
            (pid, format!("fd {}", fds.join(",")))
        })
        .collect()
}

/// One fd row of a process's table.
fn row(f: &FdRow, lang: Lang) -> String {
    let mut label = format!("{} → {}", f.fd, text(&f.label));
    if f.refcount > 1 {
        let _ = write!(label, " · {} ×{}", text(&f.open_file), f.refcount);
    }
    if f.cloexec {
        label.push_str(" · cloexec");
    }
    if f.new {
        let _ = write!(label, " · {}", word(lang, Word::NewMark));
    }
    if f.highlight {
        format!("<b>▶ {label}</b>")
    } else {
        label
    }
}

/// The event's seq, call (after the pid when `pid`) and sentence.
fn event_text(e: &super::scene::EventInfo, pid: bool) -> String {
    let mut label = if pid {
        format!("#35;{} {} {}", e.seq, e.pid, text(&e.call))
    } else {
        format!("#35;{} {}", e.seq, text(&e.call))
    };
    if let Some(s) = &e.sentence {
        let _ = write!(label, "<br>{}", paragraph(s, 60));
    }
    label
}

/// A family with more children than this folds them into rows of
/// [`FOLD_COLS`] (each row ranked below the one before, by invisible
/// links), so a `make -j8` is not one rank of boxes thousands of pixels
/// wide; smaller families (every course program and demo) stay on one rank.
const FOLD_AT: usize = 4;
/// Children per row of a folded family (two boxes of at most the
/// wrapping width, 480 px, and their gaps, about 1,100 px).
const FOLD_COLS: usize = 2;
/// In a folded family, at least this many identical childless siblings
/// (same program, state, exec chain and fd rows, word for word; no pipe
/// drawn with edges, nothing the event changed) are drawn as one node,
/// `8 × cc1`, listing their pids.
const SAME_MIN: usize = 3;

/// The tree as drawn: groups of identical siblings, and each drawn
/// process's drawn children.
struct Tree {
    /// Per process (index in `scene.processes`): the group of identical
    /// siblings it is drawn in (indices, the first one's node stands for
    /// all), if any.
    group: Vec<Option<Vec<usize>>>,
    /// Per process, its drawn children in order.
    children: Vec<Vec<usize>>,
    /// Processes whose parent is not drawn.
    roots: Vec<usize>,
    /// Per process, its node's id.
    ids: Vec<String>,
    /// Per process, the pipes drawn with edges it writes into (indices in
    /// `scene.pipes`).
    writes: Vec<Vec<usize>>,
    /// Whether a family in the drawing is folded.
    folded: bool,
}

impl Tree {
    fn new(scene: &Scene) -> Tree {
        let lang = scene.lang;
        let procs = &scene.processes;
        let index: BTreeMap<Pid, usize> = procs
            .iter()
            .enumerate()
            .map(|(i, p)| (p.pid, i))
            .rev()
            .collect();
        let mut all: Vec<Vec<usize>> = vec![Vec::new(); procs.len()];
        let mut roots = Vec::new();
        for (i, p) in procs.iter().enumerate() {
            match p.parent.and_then(|pp| index.get(&pp)) {
                Some(&parent) if parent != i => all[parent].push(i),
                _ => roots.push(i),
            }
        }
        // Pipes drawn with edges: their holders stay boxes of their own.
        let edged: Vec<u32> = scene
            .pipes
            .iter()
            .filter(|pn| {
                let mut pids: Vec<Pid> = pn
                    .writers
                    .iter()
                    .chain(&pn.readers)
                    .chain(&pn.unknown)
                    .map(|h| h.0)
                    .collect();
                pids.sort_unstable();
                pids.dedup();
                !lists_holders(pn, pids.len())
            })
            .map(|pn| pn.number)
            .collect();
        let plain = |i: usize| {
            let p = &procs[i];
            all[i].is_empty()
                && !p.highlight
                && !p.new
                && p.ghosts.is_empty()
                && p.fds.iter().all(|f| {
                    !f.highlight && !f.new && f.pipe.is_none_or(|r| !edged.contains(&r.number))
                })
                && scene.event.as_ref().is_none_or(|e| e.pid != p.pid)
                && scene.warnings.iter().all(|w| w.pid != p.pid)
        };
        let mut group = vec![None; procs.len()];
        for kids in all.iter().filter(|k| k.len() > FOLD_AT) {
            let mut same: Vec<(String, Vec<usize>)> = Vec::new();
            for &c in kids.iter().filter(|&&c| plain(c)) {
                let p = &procs[c];
                let rows: Vec<String> = p.fds.iter().map(|f| row(f, lang)).collect();
                let key = format!(
                    "{}\0{}\0{}\0{}\0{}\0{}",
                    p.program,
                    p.state,
                    p.chain.join("\0"),
                    p.threads,
                    p.hidden_files,
                    rows.join("\0")
                );
                match same.iter_mut().find(|s| s.0 == key) {
                    Some(s) => s.1.push(c),
                    None => same.push((key, vec![c])),
                }
            }
            for (_, members) in same.into_iter().filter(|s| s.1.len() >= SAME_MIN) {
                for &m in &members {
                    group[m] = Some(members.clone());
                }
            }
        }
        let drawn = |i: usize| group[i].as_ref().is_none_or(|g: &Vec<usize>| g[0] == i);
        let children = all
            .iter()
            .map(|kids| kids.iter().copied().filter(|&c| drawn(c)).collect())
            .collect();
        let writes = procs
            .iter()
            .map(|p| {
                (0..scene.pipes.len())
                    .filter(|&k| {
                        edged.contains(&scene.pipes[k].number)
                            && scene.pipes[k].writers.iter().any(|w| w.0 == p.pid)
                    })
                    .collect()
            })
            .collect();
        let folded = all.iter().any(|k| k.len() > FOLD_AT);
        Tree {
            group,
            children,
            roots,
            ids: procs.iter().map(|p| proc_id(p.pid)).collect(),
            writes,
            folded,
        }
    }

    /// Whether process `i` is a child in a folded family.
    fn in_fold(&self, i: usize) -> bool {
        self.children
            .iter()
            .any(|k| k.len() > FOLD_AT && k.contains(&i))
    }

    /// Whether process `i` has a node (it is not a group's later member).
    fn drawn(&self, i: usize) -> bool {
        self.group[i].as_ref().is_none_or(|g| g[0] == i)
    }

    /// The invisible links (above, below) that fold each large family:
    /// its children in rows of [`FOLD_COLS`], each child of a row below
    /// the deepest node of the row before (its children's subtrees
    /// included), so no rank holds more than a row and its descendants.
    fn folds(&self) -> Vec<(String, String)> {
        let mut ranks = vec![0; self.children.len()];
        let mut folds = Vec::new();
        for &r in &self.roots {
            self.place(r, 0, &mut ranks, &mut folds);
        }
        folds
    }

    /// Ranks `i`'s subtree from `rank` on (as dagre will, given the fold
    /// links: a pipe drawn with edges one rank below its writer),
    /// recording the fold links; returns its deepest node: (rank, id).
    fn place(
        &self,
        i: usize,
        rank: usize,
        ranks: &mut [usize],
        folds: &mut Vec<(String, String)>,
    ) -> (usize, String) {
        ranks[i] = rank;
        let kids = &self.children[i];
        let fold = kids.len() > FOLD_AT;
        let mut deepest = (rank, self.ids[i].clone());
        if let Some(pipe) = self.writes[i].first() {
            deepest = (rank + 1, format!("pipe{pipe}"));
        }
        // The deepest node of the row before, and of this row so far.
        let mut above: Option<(usize, String)> = None;
        let mut row_deepest: Option<(usize, String)> = None;
        for (k, &c) in kids.iter().enumerate() {
            if fold && k > 0 && k % FOLD_COLS == 0 {
                above = row_deepest.take();
            }
            let r = match &above {
                Some((a_rank, a)) => {
                    folds.push((a.clone(), self.ids[c].clone()));
                    a_rank + 1
                }
                None => rank + 1,
            };
            let d = self.place(c, r, ranks, folds);
            if row_deepest.as_ref().is_none_or(|t| d.0 > t.0) {
                row_deepest = Some(d.clone());
            }
            if d.0 > deepest.0 {
                deepest = d;
            }
        }
        deepest
    }
}

/// A run of identical siblings (`members`, indices) as one node: how many,
/// the program, their pids, and the fd rows they all have.
fn group(out: &mut String, scene: &Scene, members: &[usize]) {
    let first = &scene.processes[members[0]];
    let pids: Vec<String> = members
        .iter()
        .map(|&m| scene.processes[m].pid.to_string())
        .collect();
    let head = format!(
        "<b>{} × {}</b> [{}]<br>{}",
        members.len(),
        text(&first.program),
        text(state(scene.lang, first.state)),
        paragraph(&pids.join(" "), 48)
    );
    node(out, scene, first, head);
}

fn process(out: &mut String, scene: &Scene, p: &ProcBox) {
    let lang = scene.lang;
    let head = format!(
        "<b>{} {}</b> [{}]",
        p.pid,
        text(&p.program),
        text(state(lang, p.state))
    );
    node(out, scene, p, head);
}

/// The node of `p` (or of a group `p` stands for) under `head`.
fn node(out: &mut String, scene: &Scene, p: &ProcBox, mut head: String) {
    let lang = scene.lang;
    if p.new {
        let _ = write!(head, " {}", word(lang, Word::NewMark));
    }
    if p.chain.len() > 1 {
        let chain: Vec<String> = p.chain.iter().map(|c| text(c)).collect();
        let _ = write!(head, "<br>{} {}", word(lang, Word::Ran), chain.join(" → "));
    }
    if p.threads > 0 {
        let _ = write!(head, " {}", phrase(lang, &Phrase::Threads(p.threads)));
    }
    // Rows in fd order, each ghost (what the event removed) struck through
    // where its fd sits.
    let mut rows: Vec<(i32, String)> = p
        .ghosts
        .iter()
        .map(|(fd, was)| {
            let was = phrase(lang, &Phrase::Was(was.clone()));
            (*fd, format!("<s>{fd} → {}</s>", text(&was)))
        })
        .collect();
    rows.extend(p.fds.iter().map(|f| (f.fd, row(f, lang))));
    rows.sort_by_key(|r| r.0);
    let mut label = head;
    if let Some(e) = scene.event.as_ref().filter(|e| e.pid == p.pid) {
        let _ = write!(label, "<br><i>{}</i>", event_text(e, true));
    }
    for w in scene.warnings.iter().filter(|w| w.pid == p.pid) {
        let _ = write!(label, "<br><i>⚠ {}</i>", paragraph(&w.text, 48));
    }
    for (_, r) in &rows {
        let _ = write!(label, "<br>{r}");
    }
    if p.fds.is_empty() && p.hidden_files == 0 {
        let _ = write!(label, "<br>{}", word(lang, Word::NoOpenFds));
    }
    if p.hidden_files > 0 {
        let _ = write!(
            label,
            "<br>… {}",
            phrase(lang, &Phrase::FdsNotShown(p.hidden_files))
        );
    }
    let class = if p.highlight {
        "hot"
    } else {
        match p.state {
            "zombie" => "zombie",
            "stopped" => "stopped",
            _ => "proc",
        }
    };
    let _ = writeln!(out, "  {}[\"{label}\"]:::{class}", proc_id(p.pid));
}
