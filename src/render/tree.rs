//! The text of `forkscope tree`: the process tree of the whole recording,
//! like pstree but for history: each process with its exec chain, lifetime,
//! how it ended, its zombie time (exit to reap), and orphan adoption. Its
//! words are in [`crate::words::narrate::Listing`].

use super::style::Style;
use crate::model::hash::IdMap;
use crate::model::{ExecRecord, Model, Origin, ProcId, Process, ProcessState};
use crate::render::describe;
use crate::words::narrate::{listing, Listing};
use crate::words::Lang;
use std::fmt::Write as _;

/// A duration for a reader: `40µs`, `12.3ms`, `1.25s`.
pub fn secs(ns: u64) -> String {
    if ns < 1_000_000 {
        format!("{:.0}µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.1}ms", ns as f64 / 1e6)
    } else {
        format!("{:.2}s", ns as f64 / 1e9)
    }
}

/// The most characters of argv a tree line shows.
const ARGS_SHOWN: usize = 60;

/// Arguments as a shell would need them quoted, cut to [`ARGS_SHOWN`]
/// characters with a visible `…` and how much was cut: `-c 'echo a' x…
/// (+41 chars)`.
fn short_args(lang: Lang, args: &[crate::trace::RawStr]) -> String {
    let all = describe::command_line(args);
    let n = all.chars().count();
    if n <= ARGS_SHOWN {
        return all;
    }
    let kept: String = all.chars().take(ARGS_SHOWN - 1).collect();
    let cut = n - (ARGS_SHOWN - 1);
    listing(lang, &Listing::ArgsCut { kept, cut })
}

/// Pushes `s` as `paint` styles it (unstyled text is pushed as it is).
fn put(out: &mut String, style: &Style, paint: fn(&Style, &str) -> String, s: &str) {
    if style.color {
        out.push_str(&paint(style, s));
    } else {
        out.push_str(s);
    }
}

/// [`secs`], appended to `out` (no string of its own).
fn push_secs(out: &mut String, ns: u64) {
    let _ = if ns < 1_000_000 {
        write!(out, "{:.0}µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        write!(out, "{:.1}ms", ns as f64 / 1e6)
    } else {
        write!(out, "{:.2}s", ns as f64 / 1e9)
    };
}

/// One process's line (after the tree prefix), appended to `s`.
fn describe_process(
    s: &mut String,
    lang: Lang,
    m: &Model,
    p: &Process,
    style: &Style,
    end_ns: u64,
) {
    let tree = m.tree();
    let inherited = p.inherited_program.and_then(|r| tree.exec(r));
    let parent = tree.parent(p.id).map(|q| tree.program(q.id));
    describe_head(s, lang, p, (inherited, parent), style);
    describe_rest(s, lang, m, p, style, end_ns);
}

/// The start of a process's line: its pid, its exec chain and the name it
/// gave itself. Besides the process, it reads the program it inherited
/// (`inherited`, when the model has it) and, when it has a parent, the
/// program that parent runs now (`parent`: `Some` for a process with a
/// parent, holding that parent's program).
fn describe_head(
    s: &mut String,
    lang: Lang,
    p: &Process,
    (inherited, parent): (Option<&ExecRecord>, Option<Option<&ExecRecord>>),
    style: &Style,
) {
    let mut chain: Vec<String> = p
        .exec_chain()
        .map(|e| describe::program_name(&e.argv, &e.path))
        .collect();
    if chain.is_empty() || matches!(p.origin, Origin::Fork { .. }) {
        // It started as a copy of its parent's program: the one the parent
        // ran when it forked (not its last: bash forks, then execs cat).
        if let Some(parent_program) = parent {
            let inherited = inherited
                .or_else(|| parent_program.filter(|e| e.at <= p.born))
                .map(|e| describe::program_name(&e.argv, &e.path));
            if let Some(i) = inherited {
                if chain.first() != Some(&i) {
                    chain.insert(0, i);
                }
            }
        }
    }
    if style.color {
        let _ = write!(
            s,
            "{} {}",
            style.pid(&p.pid.to_string()),
            style.prog(&chain.join(" → "))
        );
    } else {
        let _ = write!(s, "{} ", p.pid);
        for (i, name) in chain.iter().enumerate() {
            if i > 0 {
                s.push_str(" → ");
            }
            s.push_str(name);
        }
    }
    // The name it gave itself (prctl PR_SET_NAME), where ps shows that.
    let program = p
        .last_exec()
        .or_else(|| inherited.or_else(|| parent.flatten()));
    if let Some(comm) = program.and_then(|e| p.renamed(e)) {
        s.push_str(&crate::words::text::ps_name(lang, &comm.lossy()));
    }
}

/// The rest of a process's line, after [`describe_head`]: arguments,
/// threads, lifetime, how it ended, its zombie time, who reaped or adopted
/// it. `end_ns` is the time of the last event (for a zombie never reaped).
fn describe_rest(s: &mut String, lang: Lang, m: &Model, p: &Process, style: &Style, end_ns: u64) {
    if let Some(e) = p.last_exec() {
        if e.argv.len() > 1 {
            let args = short_args(lang, &e.argv[1..]);
            if style.color {
                s.push_str(&style.dim(&format!(" {args}")));
            } else {
                s.push(' ');
                s.push_str(&args);
            }
        }
    }
    if let Origin::Fork { flavor, .. } = p.origin {
        if flavor == crate::trace::ForkFlavor::Vfork {
            put(s, style, Style::dim, " (vfork)");
        }
    }
    if p.tasks.len() > 1 {
        s.push_str(&listing(lang, &Listing::Threads(p.tasks.len())));
    }
    let start = p.born.ts_ns;
    let end = p.exit.map(|e| e.at.ts_ns);
    s.push_str("  ");
    if style.color {
        s.push_str(&style.dim(&format!(
            "{}–{}",
            secs(start),
            end.map(secs)
                .unwrap_or_else(|| listing(lang, &Listing::End))
        )));
    } else {
        push_secs(s, start);
        s.push('–');
        match end {
            Some(end) => push_secs(s, end),
            None => s.push_str(&listing(lang, &Listing::End)),
        }
    }
    match (p.exit.and_then(|e| e.status), p.state) {
        (Some(st), _) => {
            let t = crate::words::text::status(lang, &st);
            s.push_str("  ");
            if st.shell_code() == 0 {
                put(s, style, Style::good, &t);
            } else {
                put(s, style, Style::bad, &t);
            }
        }
        (None, ProcessState::Stopped { signal }) => {
            s.push_str(&listing(lang, &Listing::StoppedBy(signal)));
        }
        (None, _) if p.exit.is_none() => s.push_str(&listing(lang, &Listing::StillRunning)),
        _ => {}
    }
    if let Some((from, to)) = p.zombie_span() {
        let dur = to
            .map(|t| t.ts_ns)
            .unwrap_or(end_ns)
            .saturating_sub(from.ts_ns);
        match (p.reap, to) {
            (Some(r), Some(_)) if r.by_kernel => {
                s.push_str("  ");
                put(
                    s,
                    style,
                    Style::dim,
                    &listing(lang, &Listing::ReapedByKernel),
                );
            }
            (Some(r), Some(_)) => {
                let by = r.by.and_then(|id| m.tree().by_id(id)).map(|b| b.pid);
                let z = listing(
                    lang,
                    &Listing::ZombieFor {
                        time: secs(dur),
                        by,
                    },
                );
                s.push_str("  ");
                if dur >= 1_000_000_000 {
                    put(s, style, Style::bad, &z);
                } else {
                    put(s, style, Style::dim, &z);
                }
            }
            _ if m.tree().parent(p.id).is_some() => {
                s.push_str("  ");
                let never = listing(lang, &Listing::NeverReaped { time: secs(dur) });
                put(s, style, Style::bad, &never);
            }
            _ => {}
        }
    }
    if let Some(o) = p.orphaned {
        let adopter = o.adopted_by.and_then(|id| m.tree().by_id(id));
        s.push_str(&listing(
            lang,
            &Listing::Orphaned {
                seq: o.at.seq,
                by: adopter.map(|b| b.pid),
            },
        ));
    }
}

/// Bytes of text gathered before they are written out.
const WRITE_CHUNK: usize = 1 << 16;

/// Writes a tree depth-first with pstree-style branches: the nodes under
/// `roots`, each node's children listed by `children` (in order), each
/// node's line (after its prefix and branch) appended by `line`. The text
/// goes out a chunk at a time, so the whole of it is never held at once.
fn draw<N: Copy>(
    out: &mut dyn std::io::Write,
    roots: &[N],
    mut children: impl FnMut(N, &mut Vec<N>),
    mut line: impl FnMut(N, &mut String),
) -> std::io::Result<()> {
    // A prefix is shared by siblings: each is an index into `prefixes`.
    let mut prefixes: Vec<String> = vec![String::new()];
    let mut stack: Vec<(N, usize, bool, bool)> =
        roots.iter().rev().map(|p| (*p, 0, true, true)).collect();
    let mut kids: Vec<N> = Vec::new();
    let mut text = String::new();
    while let Some((p, prefix, last, root)) = stack.pop() {
        let branch = if root {
            ""
        } else if last {
            "└─ "
        } else {
            "├─ "
        };
        text.push_str(&prefixes[prefix]);
        text.push_str(branch);
        line(p, &mut text);
        text.push('\n');
        if text.len() >= WRITE_CHUNK {
            out.write_all(text.as_bytes())?;
            text.clear();
        }
        kids.clear();
        children(p, &mut kids);
        if kids.is_empty() {
            continue;
        }
        let child_prefix = if root {
            prefix
        } else {
            let ext = if last { "   " } else { "│  " };
            prefixes.push(format!("{}{ext}", prefixes[prefix]));
            prefixes.len() - 1
        };
        let n = kids.len();
        for (i, k) in kids.drain(..).enumerate().rev() {
            stack.push((k, child_prefix, i + 1 == n, false));
        }
    }
    out.write_all(text.as_bytes())
}

/// The tree under `roots` (each process's line after pstree-style
/// branches), in `lang`, from a model that kept every process; `end_ns` is
/// the time of the last event (for the zombie time of a process never
/// reaped). [`Lines`] draws the same text from a replay that forgets.
pub fn text(lang: Lang, m: &Model, roots: &[&Process], style: &Style, end_ns: u64) -> String {
    let mut out = Vec::new();
    // Writing to a vector cannot fail.
    let _ = write(&mut out, lang, m, roots, style, end_ns);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// [`text`], written to `out` a chunk at a time.
pub fn write(
    out: &mut dyn std::io::Write,
    lang: Lang,
    m: &Model,
    roots: &[&Process],
    style: &Style,
    end_ns: u64,
) -> std::io::Result<()> {
    draw(
        out,
        roots,
        |p, kids| kids.extend(m.tree().children(p.id)),
        |p, s| describe_process(s, lang, m, p, style, end_ns),
    )
}

/// [`Lines::line`] of a process whose line is not drawn yet.
const OPEN: u32 = u32::MAX;
/// [`Lines::line`] of a process whose line waits for its parent's last
/// program ([`Waiting`]).
const WAITS: u32 = u32::MAX - 1;
/// [`Lines::line`] of a process the model forgot before its line was drawn.
const LOST: u32 = u32::MAX - 2;
/// No process ([`Lines::parent`] of a root).
const NONE: u32 = u32::MAX;

/// A reaped process whose line starts with what its parent, still alive,
/// runs in the end: it inherited no program the model knows (its creator
/// had run none), so its line names its parent's program when that began
/// before it (only a CLONE_PARENT child's can), and compares the name it
/// gave itself with its parent's program when it ran none of its own.
/// Both change if the parent execs again, so that part is drawn once the
/// parent can no longer exec: when it is reaped, or at the end.
struct Waiting {
    /// The process (its id).
    id: u32,
    /// What [`describe_head`] reads of it: the process without its
    /// children and tasks (a reaped process has none).
    head: Process,
    /// The rest of its line ([`describe_rest`]), final at its reaping.
    rest: String,
}

/// The lines of `forkscope tree`, drawn while a replay that forgets reaped
/// processes ([`Model::forget_reaped`]) goes: after each event,
/// [`Lines::applied`]. A process's line is final once the process was
/// reaped (its exit, zombie time, reaper, adoption, execs and name no
/// longer change; the processes it names, its parent, reaper, adopter and
/// the owner of the program it inherited, are kept by the model as long as
/// it is: model/forget.rs), so it is drawn then and kept as text, with its
/// parent; the model may then forget the process. At the end,
/// [`Lines::write`] draws the tree in the order and with the branches of
/// [`write()`], drawing the processes still in the model from it: the same
/// bytes as [`write()`] from a model that kept every process, in memory that
/// follows the text and the live state rather than every process's record.
pub struct Lines {
    lang: Lang,
    style: Style,
    /// The lines drawn so far, one after another.
    text: String,
    /// Where each line drawn so far ends in `text` (line `k` begins where
    /// line `k - 1` ends).
    ends: Vec<usize>,
    /// Per process (by [`ProcId::index`]): its line in `ends`, or [`OPEN`],
    /// [`WAITS`] or [`LOST`].
    line: Vec<u32>,
    /// Per process: its parent's index, or [`NONE`].
    parent: Vec<u32>,
    /// Lines waiting for their parent's last program, by parent.
    waiting: IdMap<u32, Vec<Waiting>>,
    /// Processes the model forgot before their line was drawn (an event
    /// reaped more processes than the model keeps after their reaping).
    lost: usize,
}

impl Lines {
    /// No lines yet, to be drawn in `lang` with `style`.
    pub fn new(lang: Lang, style: Style) -> Self {
        Lines {
            lang,
            style,
            text: String::new(),
            ends: Vec::new(),
            line: Vec::new(),
            parent: Vec::new(),
            waiting: IdMap::default(),
            lost: 0,
        }
    }

    /// Takes in one applied event: `m` is the model after it. Every event
    /// must be passed, in order, from the first on. The processes the event
    /// reaped ([`crate::model::ProcessTree::reaped_now`]: by a wait, by the
    /// kernel as their last task ended, or as a zombie whose pid a new
    /// process took) get their lines drawn. (Should the model have
    /// forgotten one already, its line is lost and [`Lines::finish`] says
    /// so.)
    pub fn applied(&mut self, m: &Model) {
        let tree = m.tree();
        for index in self.line.len()..tree.len() {
            let id = index as u32;
            let Some(p) = tree.by_id(ProcId(id)) else {
                // Made and forgotten by the same event.
                self.line.push(LOST);
                self.parent.push(NONE);
                self.lost += 1;
                continue;
            };
            self.line.push(OPEN);
            self.parent.push(p.parent.map_or(NONE, |q| q.0));
        }
        for &id in tree.reaped_now() {
            if self.line[id.index()] != OPEN {
                continue;
            }
            match tree.by_id(id) {
                None => self.forgotten(id.0),
                Some(p) => self.reaped(m, p),
            }
        }
    }

    /// `id`, not drawn yet, is no longer in the model.
    fn forgotten(&mut self, id: u32) {
        self.lost += 1;
        self.line[id as usize] = LOST;
    }

    /// Draws the line of `p`, just reaped, and the lines that waited for
    /// it to exec no more.
    fn reaped(&mut self, m: &Model, p: &Process) {
        let id = p.id.0;
        let tree = m.tree();
        let inherited = p.inherited_program.and_then(|r| tree.exec(r));
        let parent = tree.parent(p.id);
        let waits = match parent {
            Some(q) if inherited.is_none() && q.is_alive() => {
                // What the parent runs now, if it began before `p`, may
                // start its line; the name it gave itself may be compared
                // with what the parent runs: both until the parent execs.
                let runs_first = (p.exec_chain().next().is_none()
                    || matches!(p.origin, Origin::Fork { .. }))
                    && tree.program(q.id).is_some_and(|e| e.at <= p.born);
                let named = p.last_exec().is_none() && p.comm.is_some();
                runs_first || named
            }
            _ => false,
        };
        let (lang, style) = (self.lang, self.style);
        if waits {
            let mut rest = String::new();
            // A reaped process's zombie time ends at its reaping, not at the end.
            describe_rest(&mut rest, lang, m, p, &style, 0);
            let head = Process {
                children: Default::default(),
                tasks: Vec::new(),
                ..p.clone()
            };
            let parent = p.parent.map_or(NONE, |q| q.0);
            self.waiting
                .entry(parent)
                .or_default()
                .push(Waiting { id, head, rest });
            self.line[id as usize] = WAITS;
        } else {
            describe_process(&mut self.text, lang, m, p, &style, 0);
            self.end_line(id);
        }
        if let Some(kids) = self.waiting.remove(&id) {
            let program = tree.program(p.id);
            for w in kids {
                self.finish_waiting(w, program);
            }
        }
    }

    /// Draws a waiting line, its parent's last program being `program`.
    fn finish_waiting(&mut self, w: Waiting, program: Option<&ExecRecord>) {
        let style = self.style;
        describe_head(
            &mut self.text,
            self.lang,
            &w.head,
            (None, Some(program)),
            &style,
        );
        self.text.push_str(&w.rest);
        self.end_line(w.id);
    }

    /// The line of `id` ends here in `text`.
    fn end_line(&mut self, id: u32) {
        self.line[id as usize] = self.ends.len() as u32;
        self.ends.push(self.text.len());
    }

    /// After the last event: draws the lines that waited for a parent still
    /// alive (or never reaped), from `m`, the model at the end. False when
    /// a process's line could not be drawn (the model forgot it first: see
    /// [`Lines::applied`]); then [`Lines::write`] must not be used, and the
    /// tree is to be drawn from a model that keeps every process.
    pub fn finish(&mut self, m: &Model) -> bool {
        let tree = m.tree();
        let mut parents: Vec<u32> = self.waiting.keys().copied().collect();
        parents.sort_unstable();
        for parent in parents {
            let kids = self.waiting.remove(&parent).unwrap_or_default();
            match tree.by_id(ProcId(parent)) {
                Some(q) => {
                    let program = tree.program(q.id);
                    for w in kids {
                        self.finish_waiting(w, program);
                    }
                }
                None => self.lost += kids.len(),
            }
        }
        for (index, line) in self.line.iter().enumerate() {
            if *line == OPEN && tree.by_id(ProcId(index as u32)).is_none() {
                self.lost += 1;
            }
        }
        self.lost == 0
    }

    /// Writes the tree under `root` (every root when `None`), as [`write()`]
    /// would from a model that kept every process; `m` is the model at the
    /// end ([`Lines::finish`] returned true), `end_ns` the time of the last
    /// event.
    pub fn write(
        &self,
        out: &mut dyn std::io::Write,
        m: &Model,
        root: Option<ProcId>,
        end_ns: u64,
    ) -> std::io::Result<()> {
        let n = self.parent.len();
        // Each process's children, in creation order: those of `p` are
        // kids[first[p]..first[p + 1]].
        let mut first = vec![0u32; n + 1];
        for &p in &self.parent {
            if p != NONE {
                first[p as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut kids = vec![0u32; first[n] as usize];
        let mut next = first.clone();
        for (c, &p) in self.parent.iter().enumerate() {
            if p != NONE {
                kids[next[p as usize] as usize] = c as u32;
                next[p as usize] += 1;
            }
        }
        drop(next);
        let roots: Vec<u32> = match root {
            Some(r) => vec![r.0],
            None => (0..n as u32)
                .filter(|i| self.parent[*i as usize] == NONE)
                .collect(),
        };
        let (lang, style) = (self.lang, self.style);
        draw(
            out,
            &roots,
            |p, list| {
                let p = p as usize;
                list.extend_from_slice(&kids[first[p] as usize..first[p + 1] as usize]);
            },
            |p, s| match self.line[p as usize] {
                // Not after `finish` said true.
                WAITS | LOST => {}
                OPEN => {
                    if let Some(p) = m.tree().by_id(ProcId(p)) {
                        describe_process(s, lang, m, p, &style, end_ns);
                    }
                }
                k => {
                    let k = k as usize;
                    let start = if k == 0 { 0 } else { self.ends[k - 1] };
                    s.push_str(&self.text[start..self.ends[k]]);
                }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::reader::parse_event;
    use crate::trace::{Event, Pid};

    /// The events of a shell that runs `n` pipelines of two children (some
    /// killed, some left as zombies, some vforked), the second with a
    /// grandchild it leaves as an orphan (some adopted by the shell); pids
    /// come back every 40 pipelines, so a zombie left behind is reaped when
    /// its pid is taken. The shell runs no program of its own until a third
    /// of the way (so its children inherit none), then execs twice; before
    /// that, some children rename themselves without exec'ing (one reaped
    /// by the shell, one by a child); some children make a CLONE_PARENT
    /// child of the shell, and so does a child that runs no program after
    /// each of the shell's execs.
    fn busy_events(n: u32) -> Vec<Event> {
        let mut events = Vec::new();
        let mut seq = 0u64;
        let mut ev = |pid: u32, rest: &str| {
            let line = format!(
                r#"{{"seq":{seq},"ts_ns":{},"pid":{pid},{rest}}}"#,
                1000 + seq * 1700
            );
            events.push(parse_event(line.as_bytes()).unwrap());
            seq += 1;
        };
        let fork = |child: u32, flavor: &str, flags: u32| {
            format!(
                r#""kind":"fork","child":{child},"flavor":"{flavor}","shares_fds":false,"syscall":"clone","flags":{flags}"#
            )
        };
        let wait = |child: u32, status: &str| {
            format!(r#""kind":"wait","target":-1,"reaped":{child},"status":{status},"via":"wait4""#)
        };
        let exited = r#"{"exited":0}"#;
        let exit = format!(r#""kind":"exit","status":{exited}"#);
        ev(100, r#""kind":"spawn","argv":["sh","-c","loop"],"fds":[]"#);
        for k in 0..n {
            let base = 1000 + 5 * (k % 40);
            let (a, b, g, s, c) = (base, base + 1, base + 2, base + 3, base + 4);
            if k == n / 3 {
                // A child that runs no program, made before the shell's first.
                ev(100, &fork(999, "fork", 0));
            }
            if k == n / 3 || k == 2 * n / 3 {
                let (path, name) = if k == n / 3 {
                    ("/bin/bash", "bash")
                } else {
                    ("/usr/bin/make", "make")
                };
                ev(
                    100,
                    &format!(r#""kind":"exec","path":"{path}","argv":["{name}"],"ok":true"#),
                );
            }
            if k == n / 3 + 1 || k == 2 * n / 3 + 1 {
                // CLONE_PARENT children of the shell, made by the child that
                // runs no program: they inherit none, and start with the
                // shell's (bash, until the shell's next exec; make).
                ev(999, &fork(998, "fork", 0x8000));
                ev(998, &exit);
                ev(100, &wait(998, exited));
            }
            let flavor = if k % 5 == 0 { "vfork" } else { "fork" };
            for child in [a, b] {
                ev(100, &fork(child, flavor, 0));
            }
            ev(
                a,
                r#""kind":"exec","path":"/usr/bin/printf","argv":["printf","a b\n","it's"],"ok":true"#,
            );
            ev(b, &fork(g, "fork", 0));
            ev(
                g,
                r#""kind":"exec","path":"/bin/wc","argv":["wc","-l"],"ok":true"#,
            );
            if k % 9 == 1 {
                // A subshell of the shell that names itself.
                ev(100, &fork(s, "fork", 0));
                ev(s, r#""kind":"rename","name":"worker""#);
                ev(s, &exit);
                ev(100, &wait(s, exited));
            } else if k % 9 == 2 {
                // One of the second child.
                ev(b, &fork(s, "fork", 0));
                ev(s, r#""kind":"rename","name":"helper""#);
                ev(s, &exit);
                ev(b, &wait(s, exited));
            }
            if k % 11 == 3 {
                // CLONE_PARENT: a child of the shell, made by `b`.
                ev(b, &fork(c, "fork", 0x8000));
                ev(c, &exit);
                ev(100, &wait(c, exited));
            }
            ev(a, &exit);
            let status = if k % 3 == 0 {
                r#"{"signaled":"SIGPIPE","core":false}"#
            } else {
                r#"{"exited":1}"#
            };
            ev(b, &format!(r#""kind":"exit","status":{status}"#));
            ev(g, &exit);
            ev(100, &wait(a, exited));
            if k % 7 != 0 {
                ev(100, &wait(b, status));
            }
            if k % 4 == 0 {
                ev(100, &wait(g, exited));
            }
        }
        events
    }

    /// The tree [`Lines`] draws from a replay of `events` that forgets
    /// reaped processes, keeping `window` after their reaping; `None` when
    /// it lost a line. Also the model at the end.
    fn drawn(
        events: &[Event],
        window: usize,
        lang: Lang,
        style: Style,
        pid: Option<Pid>,
    ) -> (Option<String>, Model) {
        let mut m = Model::new();
        m.forget_reaped(window);
        let mut lines = Lines::new(lang, style);
        for e in events {
            m.apply(e);
            lines.applied(&m);
        }
        if !lines.finish(&m) {
            return (None, m);
        }
        let root = pid.map(|pid| m.tree().last_holder(pid).unwrap());
        let mut out = Vec::new();
        let end = events.last().map_or(0, |e| e.ts_ns);
        lines.write(&mut out, &m, root, end).unwrap();
        (Some(String::from_utf8(out).unwrap()), m)
    }

    #[test]
    fn a_tree_drawn_while_processes_are_forgotten_is_the_tree_of_every_process() {
        let events = busy_events(700);
        let mut full = Model::new();
        for e in &events {
            full.apply(e);
        }
        let end = events.last().unwrap().ts_ns;
        assert!(full.tree().len() > 2000);
        for lang in [Lang::En, Lang::Zh] {
            for style in [Style::plain(), Style { color: true }] {
                for pid in [None, Some(100), Some(1001), Some(1003), Some(1199)] {
                    let roots: Vec<&Process> = match pid {
                        Some(pid) => vec![full.tree().get(pid).unwrap()],
                        None => full.tree().roots().collect(),
                    };
                    let want = text(lang, &full, &roots, &style, end);
                    for window in [1, 5, 1_000_000] {
                        let (got, m) = drawn(&events, window, lang, style, pid);
                        let got = got.expect("no line lost");
                        if window < 1000 {
                            let kept = m.tree().iter().count();
                            assert!(kept < 100, "{kept} processes kept: nothing forgotten");
                        }
                        if got != want {
                            let (w, g): (Vec<_>, Vec<_>) =
                                (want.lines().collect(), got.lines().collect());
                            let at = w.iter().zip(&g).position(|(a, b)| a != b);
                            panic!(
                                "{lang:?}, {style:?}, --pid {pid:?}, window {window}: differs at line {at:?} of {}: {:?} vs {:?}",
                                w.len(),
                                at.map(|i| w[i]),
                                at.map(|i| g[i])
                            );
                        }
                    }
                }
            }
        }
        // What the tree shows was made: all of it, the names that are only
        // known at the end, orphans, takeovers of pids.
        let all = text(
            Lang::En,
            &full,
            &full.tree().roots().collect::<Vec<_>>(),
            &Style::plain(),
            end,
        );
        assert_eq!(all.lines().count(), full.tree().len());
        let worker = crate::words::text::ps_name(Lang::En, "worker");
        assert!(all.contains(&format!("{worker}  ")), "{all}");
        assert!(all.contains("\n├─ 998   "), "{all}");
        assert!(all.contains("\n├─ 998 make  "), "{all}");
    }

    #[test]
    fn a_line_the_model_forgot_before_it_was_drawn_is_told() {
        let events = busy_events(50);
        let (got, m) = drawn(&events, 0, Lang::En, Style::plain(), None);
        assert!(m.tree().iter().count() < m.tree().len());
        assert!(
            got.is_none(),
            "a window of 0 forgets a process as it is reaped"
        );
    }
}
