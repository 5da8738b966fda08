//! `forkscope export --format perfetto`: the timeline as Chrome trace-event
//! JSON (the "JSON Object Format"), which ui.perfetto.dev and
//! chrome://tracing open.
//!
//! ```json
//! {"traceEvents":[
//! {"ph":"i","name":"pipe","cat":"fd","pid":18576,"tid":18576,"ts":812.204,"s":"t","args":{...}},
//! {"ph":"X","name":"echo","cat":"exec","pid":18577,"tid":18577,"ts":5686.431,"dur":2380.345,"args":{...}},
//! ...
//! {"ph":"M","name":"process_name","pid":18577,"tid":18577,"args":{"name":"18577 echo"}},
//! ...
//! ],
//! "displayTimeUnit":"ns","otherData":{"command":"...","start":"...","root_pid":18576,...}}
//! ```
//!
//! What is drawn:
//!
//! - **One track per process**: `pid` is the process's pid and `tid` the
//!   task's tid, so a multi-threaded process has one thread track per thread
//!   and its program slices sit on the main thread (`tid` = `pid`).
//! - **Metadata** (`"ph":"M"`): `process_name` is
//!   `PID PROGRAM` (the last program it ran; `PID A / B` when the kernel
//!   reused the pid for a second process, which then shares the track, after
//!   the first); `thread_name` is the program for
//!   the main thread and `thread` for the others. Trace-event JSON has no
//!   parent/child nesting of processes, so the tree is encoded the way
//!   chrome://tracing reads it: `process_sort_index` numbers processes in
//!   depth-first order of the process tree (each child right after its parent
//!   and its parent's earlier children), and `process_labels` says `child of
//!   PPID PROGRAM` (the root: `traced command`) and how it ended. Perfetto
//!   ignores both; there the fork arrows show the tree.
//! - **A slice per program lifetime** (`"ph":"X"`, on the main thread):
//!   `cat` `exec` from each successful exec, `fork` from the fork for the
//!   program inherited from the parent, `spawn` for the root before its first
//!   exec (named `spawn`), `unknown` for a process first seen mid-trace; each
//!   lasts until the next successful exec, the exit, or the end of the trace.
//!   `name` is the program (the last path component of argv\[0\]); `args`
//!   hold the command line, the exec'd path, the seq that started it, the
//!   parent and what ended it.
//! - **A slice per thread** (`cat` `thread`, named `thread`) on its own
//!   track, from its creation to its exit (or the exec that ended it).
//! - **The zombie interval**: a slice named `zombie` (`cat` `zombie`) on the
//!   process's main track from its exit to its reaping, or to the end of the
//!   trace when nothing in the trace reaped it; `args` say how it ended, who
//!   reaped it (and the program it ran then) and when.
//! - **A fork arrow** per fork, vfork, clone and thread creation: a flow start
//!   (`"ph":"s"`) on the creating task at the fork and a flow finish
//!   (`"ph":"f"`, `"bp":"e"`) on the new task at the same moment, bound to its
//!   first slice; both have `"cat":"fork"`, `"name":"fork"` and the fork
//!   event's seq as `id`.
//! - **An instant** (`"ph":"i"`, `"s":"t"`) on the acting task for every
//!   other event: pipe, dup, open, close, close_range, fcntl, socket, mkfifo
//!   (`cat` `fd`), a failed exec, wait, setsid, setpgid (`cat` `process`),
//!   kill, signal delivery, stop, continue (`cat` `signal`). `name` is the
//!   call (`pipe`, `dup2`, `wait4`, `kill`) or the signal delivered
//!   (`SIGCHLD`); `args` are the event's element of the normalized stream
//!   ([`super::json`]) less what the track already says: `seq`, `call`,
//!   `effect`, `pipe`, `closed` and the event's fields (fds, path, status...).
//!
//! Times: `ts` and `dur` are microseconds since the trace started, as
//! floats, written so that both ways trace processors read them (the
//! decimal digits, or the double times 1000 truncated) give back the exact
//! nanosecond: adjacent slices then neither overlap nor gap. `displayTimeUnit`
//! `ns` makes chrome://tracing show nanoseconds (Perfetto ignores it).
//!
//! Order: the document is written in one pass over the trace, as the events
//! go by, so memory follows what is alive rather than the trace's length.
//! Trace-event JSON does not ask for any order ("the events do not have to
//! be in timestamp-sorted order"; both viewers sort by `ts`, and read
//! metadata wherever it is), so each element is written as soon as it is
//! known: an instant or a fork's arrow start at its event; a slice at the
//! event that ends it, once its length is known (a thread's at its exit or
//! the exec that ends it; a process's program slices and zombie time at the
//! event that reaps it, or at the end of the trace), followed by the arrow
//! end that lands on the process's or thread's first slice (after it, so
//! that a reader that keeps the file's order among equal times has the
//! slice open when the arrow lands); the metadata last, once the whole
//! tree is known. A [`Slicer`], beside the model, decides what each event
//! ends and keeps for each process drawn only what the metadata needs
//! (its pid, parent, program and end: a few dozen bytes); a
//! [`PerfettoExport`] writes the elements.

mod batch;
mod out;

pub use batch::{instant, Batch};

use describe::{write_command_line, write_process_name};
use narrate::write_program_name;

use super::describe;
use super::narrate;
use crate::model::{Model, Moment, Origin, ProcId, Process};
use crate::trace::{DupVia, Event, EventKind, ForkFlavor, Header, KillVia, Pid, Status, WaitVia};
use crate::words::Lang;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
/// Microseconds for `ts`/`dur`: the f64 nearest above `ns / 1000` whose
/// double times 1000, truncated, is `ns` (its shortest decimal form then
/// has `ns`'s digits up to the third decimal, which is what a reader of the
/// digits keeps). Perfetto's importer reads `ts` by its digits but, in some
/// versions, `dur` as a double times 1000 truncated; the plain `ns / 1000`
/// loses a nanosecond that way for about one value in 130, enough to make a
/// slice overlap the next one on its track.
pub fn micros(ns: u64) -> f64 {
    let mut us = ns as f64 / 1000.0;
    while ((us * 1000.0) as u64) < ns {
        // The next double up; `us` is positive and finite.
        us = f64::from_bits(us.to_bits() + 1);
    }
    us
}

/// A piece of an [`EndedList`]'s text.
#[derive(Clone, Copy, Debug, Default)]
struct Piece(u32, u32);

/// What a slice's `args` say (each only when set, in this order); the
/// words are pieces of the [`EndedList`]'s text.
#[derive(Clone, Copy, Debug, Default)]
struct SliceArgs {
    /// The command line of the program.
    command: Option<Piece>,
    /// The path given to execve.
    path: Option<Piece>,
    /// The seq of the event that started the slice.
    from_seq: Option<u64>,
    /// The seq of the event that ended it.
    until_seq: Option<u64>,
    /// The parent process.
    parent: Option<Pid>,
    /// What ended it: `exec`, `exit 0`, `killed by SIGPIPE`, `end of trace`...
    ended_by: Option<Piece>,
    /// Zombies: how the process ended.
    status: Option<Piece>,
    /// Zombies: how it left the zombie state, in words.
    reaped: Option<Piece>,
    /// Zombies: the process whose wait reaped it.
    reaped_by: Option<Pid>,
}

/// A slice (`X`): where it is, how long, its name and args (its words in
/// the [`EndedList`] that holds it).
#[derive(Clone, Copy, Debug)]
pub struct Slice {
    start: Moment,
    end_ns: u64,
    pid: Pid,
    tid: Pid,
    name: Piece,
    cat: &'static str,
    args: SliceArgs,
}

/// Why a thread's slice ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ThreadEnd {
    Exit,
    Exec,
}

/// A live thread (a task created with CLONE_THREAD): its slice, and the
/// fork arrow that lands on it, wait for its end.
#[derive(Clone, Copy, Debug)]
struct Thread {
    pid: Pid,
    tid: Pid,
    start: Moment,
}

/// How a process came to be traced, as its `process_labels` say when it
/// has no parent in the trace (one with a parent is `child of ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rooted {
    Traced,
    Attached,
    MidTrace,
}

/// What the metadata says of a process once its slices are written: a few
/// dozen bytes, where the model's record of the process can be forgotten.
#[derive(Clone, Copy, Debug)]
struct Meta {
    pid: Pid,
    parent: Option<ProcId>,
    /// Its program's name, an index into [`Slicer::names`].
    name: u32,
    rooted: Rooted,
    /// How it ended (`None`: it had not; `Some(None)`: ended, status unknown).
    end: Option<Option<Status>>,
}

/// The model thread's side of the export: sees each event just after the
/// model applied it and adds, as [`Ended`] elements, the slices that event
/// ends (see the module's "Order"), then at the end of the trace what is
/// still open and the metadata.
#[derive(Debug, Default)]
pub struct Slicer {
    /// Live threads, by tid.
    threads: HashMap<Pid, Thread>,
    /// Fork arrows waiting for the first slice of the child (by pid): the
    /// fork's seq and time.
    landings: HashMap<Pid, Moment>,
    /// One bit per process (by [`ProcId`]): its slices are written.
    drawn: Vec<u64>,
    /// What the metadata needs of each process written, by [`ProcId`].
    meta: Vec<Option<Meta>>,
    /// Program names, each once.
    names: Vec<String>,
    name_ids: HashMap<String, u32>,
    /// Reused for a process's name before it is looked up.
    scratch: String,
    last: Option<Moment>,
}

impl Slicer {
    /// A slicer that has seen nothing.
    pub fn new() -> Slicer {
        Slicer::default()
    }

    /// The forget window a model feeding a [`Slicer`] needs at least
    /// ([`Model::forget_reaped`]): a process reaped by an event is drawn
    /// just after it, so it must outlive that event's other reapings.
    pub const MIN_FORGET_WINDOW: usize = 16;

    /// Sees `ev`, just applied to `model` (a forgetting model keeps at least
    /// [`Slicer::MIN_FORGET_WINDOW`] reaped processes), whose task belongs
    /// to process `tgid` (as [`super::json::Seen::tgid`] says, read before the event);
    /// appends to `out` the elements it ends.
    pub fn after(&mut self, ev: &Event, tgid: Pid, model: &Model, out: &mut EndedList) {
        let at = Moment::of(ev);
        self.last = Some(at);
        // First the processes it reaped: a fork may reap the last holder
        // of the pid it hands out, whose arrow must land before the new one
        // waits under the same pid.
        for &id in model.tree().reaped_now() {
            if let Some(p) = model.tree().by_id(id) {
                self.draw(model, p, at, out);
            }
        }
        match &ev.kind {
            EventKind::Fork {
                child,
                flavor: ForkFlavor::Thread,
                ..
            } => {
                let t = Thread {
                    pid: tgid,
                    tid: *child,
                    start: at,
                };
                self.threads.insert(*child, t);
                out.push(Ended::ThreadName {
                    pid: tgid,
                    tid: *child,
                });
            }
            EventKind::Fork { child, .. } => {
                self.landings.insert(*child, at);
            }
            EventKind::Exit { .. } => {
                if let Some(t) = self.threads.remove(&ev.pid) {
                    thread_slices(out, &t, Some((at, ThreadEnd::Exit)), at);
                }
            }
            EventKind::Exec { ok: true, .. } => {
                // de_thread(): every other thread ends, and the one that
                // exec'd carries on as the main thread.
                let mut ended: Vec<Thread> = self
                    .threads
                    .values()
                    .filter(|t| t.pid == tgid)
                    .copied()
                    .collect();
                ended.sort_by_key(|t| t.start.seq);
                for t in ended {
                    self.threads.remove(&t.tid);
                    thread_slices(out, &t, Some((at, ThreadEnd::Exec)), at);
                }
            }
            _ => {}
        }
    }

    /// Writes the slices of `p` (its programs, its time as a zombie, the
    /// arrow landing on its first slice) unless they are written, and keeps
    /// what the metadata needs of it; `last` is the last event so far.
    fn draw(&mut self, model: &Model, p: &Process, last: Moment, out: &mut EndedList) {
        let i = p.id.index();
        if self.drawn.len() <= i / 64 {
            self.drawn.resize(i / 64 + 1, 0);
        }
        if self.drawn[i / 64] & (1 << (i % 64)) != 0 {
            return;
        }
        self.drawn[i / 64] |= 1 << (i % 64);
        program_slices(model, p, last, out);
        zombie_slice(model, p, last, out);
        if let Some(fork) = self.landings.remove(&p.pid) {
            out.push(Ended::Landing {
                pid: p.pid,
                tid: p.pid,
                fork,
            });
        }
        self.scratch.clear();
        write_process_name(&mut self.scratch, model, p);
        let name = match self.name_ids.get(self.scratch.as_str()) {
            Some(&n) => n,
            None => {
                let n = self.names.len() as u32;
                self.name_ids.insert(self.scratch.clone(), n);
                self.names.push(self.scratch.clone());
                n
            }
        };
        let parent = model.tree().parent(p.id).map(|pp| pp.id);
        let rooted = match &p.origin {
            Origin::Spawn { attached: true, .. } => Rooted::Attached,
            Origin::Spawn { .. } => Rooted::Traced,
            _ => Rooted::MidTrace,
        };
        if self.meta.len() <= i {
            self.meta.resize(i + 1, None);
        }
        self.meta[i] = Some(Meta {
            pid: p.pid,
            parent,
            name,
            rooted,
            end: p.exit.map(|e| e.status),
        });
    }

    /// After the last event (`model` is the model then): writes to `doc`
    /// what is still open (threads, the processes not reaped, arrows whose
    /// child never showed) and the metadata.
    pub fn finish<W: Write>(
        mut self,
        model: &Model,
        doc: &mut PerfettoExport<W>,
    ) -> io::Result<()> {
        let Some(last) = self.last else {
            return Ok(());
        };
        let mut out = EndedList::default();
        let mut threads: Vec<Thread> = self.threads.drain().map(|(_, t)| t).collect();
        threads.sort_by_key(|t| t.start.seq);
        for t in &threads {
            thread_slices(&mut out, t, None, last);
        }
        doc.ended(&mut out)?;
        for p in model.tree().iter() {
            self.draw(model, p, last, &mut out);
            doc.ended(&mut out)?;
        }
        let mut landings: Vec<(Pid, Moment)> = self.landings.drain().collect();
        landings.sort_by_key(|(_, at)| at.seq);
        for (pid, fork) in landings {
            out.push(Ended::Landing {
                pid,
                tid: pid,
                fork,
            });
        }
        doc.ended(&mut out)?;
        self.metadata(doc)
    }
}

/// An element an event ended, made beside the model and written (escaped)
/// where the document is.
#[derive(Clone, Copy, Debug)]
pub enum Ended {
    /// A slice (`X`).
    Slice(Slice),
    /// The end of the arrow of the fork made at `fork` (its seq is the
    /// arrow's id), landing on task `tid` of process `pid`.
    Landing { pid: Pid, tid: Pid, fork: Moment },
    /// The `thread_name` of a thread, when it is made.
    ThreadName { pid: Pid, tid: Pid },
}

impl Ended {
    /// Appends the element to `b`; its words are in `list`.
    fn write(&self, b: &mut Vec<u8>, list: &EndedList) {
        match self {
            Ended::Slice(s) => write_slice(b, s, list),
            Ended::Landing { pid, tid, fork } => landing(b, *pid, *tid, *fork),
            Ended::ThreadName { pid, tid } => {
                meta_element(b, "thread_name", *pid, *tid, "name", Ok("thread"))
            }
        }
    }
}

/// Elements ended, with the words of their slices in one buffer: a
/// process's slices are a handful of words, and there is a process every
/// few events, so no word has a string of its own.
#[derive(Clone, Debug, Default)]
pub struct EndedList {
    items: Vec<Ended>,
    text: String,
}

impl EndedList {
    /// Keeps what `write` appends to the text, as a piece of it.
    fn keep(&mut self, write: impl FnOnce(&mut String)) -> Piece {
        let from = self.text.len() as u32;
        write(&mut self.text);
        Piece(from, self.text.len() as u32)
    }

    /// Keeps `s`.
    fn keep_str(&mut self, s: &str) -> Piece {
        self.keep(|t| t.push_str(s))
    }

    /// The text of `p`.
    fn text(&self, p: Piece) -> &str {
        &self.text[p.0 as usize..p.1 as usize]
    }

    fn push(&mut self, e: Ended) {
        self.items.push(e);
    }

    /// How many elements it holds.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Forgets every element (keeping the memory).
    pub fn clear(&mut self) {
        self.items.clear();
        self.text.clear();
    }
}

/// Writes the slice of thread `t`, ended by `end` (or by the end of the
/// trace, at `last`), and the fork arrow landing on it.
fn thread_slices(out: &mut EndedList, t: &Thread, end: Option<(Moment, ThreadEnd)>, last: Moment) {
    let (until, ended_by) = match end {
        Some((at, ThreadEnd::Exit)) => (at, "exit"),
        Some((at, ThreadEnd::Exec)) => (at, "exec in another thread"),
        None => (last, "end of trace"),
    };
    let s = Slice {
        start: t.start,
        end_ns: until.ts_ns,
        pid: t.pid,
        tid: t.tid,
        name: out.keep_str("thread"),
        cat: "thread",
        args: SliceArgs {
            from_seq: Some(t.start.seq),
            until_seq: end.map(|(at, _)| at.seq),
            ended_by: Some(out.keep_str(ended_by)),
            ..SliceArgs::default()
        },
    };
    out.push(Ended::Slice(s));
    out.push(Ended::Landing {
        pid: t.pid,
        tid: t.tid,
        fork: t.start,
    });
}

/// Appends the end of the fork arrow made at `fork` (its seq is the arrow's
/// id), landing on task `tid` of process `pid`.
fn landing(b: &mut Vec<u8>, pid: Pid, tid: Pid, fork: Moment) {
    batch::head(b, "f", "fork", "fork", pid, tid);
    b.extend_from_slice(b",\"ts\":");
    out::f64(b, micros(fork.ts_ns));
    b.extend_from_slice(b",\"id\":");
    out::u64(b, fork.seq);
    b.extend_from_slice(b",\"bp\":\"e\"}");
}

use describe::command_line;

/// How a process ended, in words.
fn end_text(p: &Process) -> Option<String> {
    ended(p.exit.map(|e| e.status))
}

/// How a process ended, in words, from its status (`None`: it had not
/// ended; `Some(None)`: it ended, the status unknown).
fn ended(end: Option<Option<Status>>) -> Option<String> {
    Some(match end? {
        Some(st) => narrate::status(&st),
        None => "ended".into(),
    })
}

/// Writes the slices of the programs `p` ran, on its main thread: from its
/// birth, then from each successful exec, each until the next, the last
/// until its exit (or `last`, the end of the trace).
fn program_slices(model: &Model, p: &Process, last: Moment, out: &mut EndedList) {
    let tree = model.tree();
    let parent = tree.parent(p.id).map(|pp| pp.pid);
    let mut run = match &p.origin {
        Origin::Spawn { argv, .. } => Slice {
            start: p.born,
            end_ns: 0,
            pid: p.pid,
            tid: p.pid,
            name: out.keep_str("spawn"),
            cat: "spawn",
            args: SliceArgs {
                command: Some(out.keep(|t| write_command_line(t, argv))),
                ..SliceArgs::default()
            },
        },
        Origin::Fork { .. } => {
            let inherited = p.inherited_program.and_then(|r| tree.exec(r));
            Slice {
                start: p.born,
                end_ns: 0,
                pid: p.pid,
                tid: p.pid,
                name: out.keep(|t| match inherited {
                    Some(e) => write_program_name(t, &e.argv, &e.path),
                    None => t.push('?'),
                }),
                cat: "fork",
                args: SliceArgs {
                    command: inherited.map(|e| out.keep(|t| write_command_line(t, &e.argv))),
                    parent,
                    ..SliceArgs::default()
                },
            }
        }
        Origin::Unknown => Slice {
            start: p.born,
            end_ns: 0,
            pid: p.pid,
            tid: p.pid,
            name: out.keep_str("?"),
            cat: "unknown",
            args: SliceArgs::default(),
        },
    };
    // Each program runs until the next one starts.
    for e in p.exec_chain() {
        run.end_ns = e.at.ts_ns;
        run.args.from_seq = Some(run.start.seq);
        run.args.until_seq = Some(e.at.seq);
        run.args.ended_by = Some(out.keep_str("exec"));
        out.push(Ended::Slice(run));
        run = Slice {
            start: e.at,
            end_ns: 0,
            pid: p.pid,
            tid: p.pid,
            name: out.keep(|t| write_program_name(t, &e.argv, &e.path)),
            cat: "exec",
            args: SliceArgs {
                command: Some(out.keep(|t| write_command_line(t, &e.argv))),
                path: Some(out.keep(|t| t.push_str(&e.path.lossy()))),
                parent,
                ..SliceArgs::default()
            },
        };
    }
    let end = match p.exit {
        Some(exit) => {
            let why = end_text(p).unwrap_or_default();
            run.args.ended_by = Some(out.keep_str(&why));
            exit.at
        }
        None => {
            run.args.ended_by = Some(out.keep_str("end of trace"));
            last
        }
    };
    run.end_ns = end.ts_ns;
    run.args.from_seq = Some(run.start.seq);
    run.args.until_seq = Some(end.seq);
    out.push(Ended::Slice(run));
}

/// Writes the zombie slice of `p`, if it exited.
fn zombie_slice(model: &Model, p: &Process, last: Moment, out: &mut EndedList) {
    let Some((exit, reap)) = p.zombie_span() else {
        return;
    };
    let tree = model.tree();
    let by = p.reap.and_then(|r| r.by).and_then(|id| tree.by_id(id));
    let reaped = out.keep(|t| match (p.reap, by) {
        (Some(_), Some(w)) => {
            let _ = write!(t, "by {} ", w.pid);
            write_process_name(t, model, w);
        }
        (Some(_), None) => {
            t.push_str("outside the trace (by init or a subreaper, or its pid was reused)")
        }
        (None, _) => t.push_str("not by the end of the trace"),
    });
    let end = reap.unwrap_or(last);
    let status = end_text(p).map(|e| out.keep_str(&e));
    let s = Slice {
        start: exit,
        end_ns: end.ts_ns,
        pid: p.pid,
        tid: p.pid,
        name: out.keep_str("zombie"),
        cat: "zombie",
        args: SliceArgs {
            from_seq: Some(exit.seq),
            until_seq: Some(end.seq),
            status,
            reaped: Some(reaped),
            reaped_by: by.map(|w| w.pid),
            ..SliceArgs::default()
        },
    };
    out.push(Ended::Slice(s));
}

impl Slicer {
    /// Writes the metadata of every process drawn, in depth-first order of
    /// the process tree (children in creation order): for each pid, at its
    /// first process in that order, `process_name` (the programs of every
    /// process that had the pid, in that order), `process_sort_index`,
    /// `process_labels` and the main thread's `thread_name`.
    fn metadata<W: Write>(&self, doc: &mut PerfettoExport<W>) -> io::Result<()> {
        const NONE: u32 = u32::MAX;
        let n = self.meta.len();
        let meta = |id: usize| self.meta.get(id).copied().flatten();
        // Each process's children, in creation order: a list threaded
        // through `next`, filled from the last process back.
        let mut first = vec![NONE; n];
        let mut next = vec![NONE; n];
        let mut roots = Vec::new();
        for i in (0..n).rev() {
            let Some(m) = meta(i) else {
                continue;
            };
            match m.parent.filter(|pp| meta(pp.index()).is_some()) {
                Some(pp) => {
                    next[i] = first[pp.index()];
                    first[pp.index()] = i as u32;
                }
                None => roots.push(i as u32),
            }
        }
        let mut order: Vec<u32> = Vec::with_capacity(n);
        let mut stack = roots;
        let mut kids = Vec::new();
        while let Some(i) = stack.pop() {
            order.push(i);
            let mut k = first[i as usize];
            while k != NONE {
                kids.push(k);
                k = next[k as usize];
            }
            stack.extend(kids.drain(..).rev());
        }
        drop((first, next));
        // The first process of each pid in that order, and the programs
        // of the later ones.
        let mut first_of: HashMap<Pid, u32> = HashMap::with_capacity(order.len());
        let mut later: HashMap<u32, Vec<u32>> = HashMap::new();
        for &i in &order {
            let Some(m) = meta(i as usize) else { continue };
            match first_of.get(&m.pid) {
                Some(&f) => later.entry(f).or_default().push(m.name),
                None => {
                    first_of.insert(m.pid, i);
                }
            }
        }
        let mut index = 0u64;
        let mut text = String::new();
        for &i in &order {
            let Some(m) = meta(i as usize) else { continue };
            if first_of.get(&m.pid) != Some(&i) {
                continue;
            }
            let more = later.get(&i).map_or(&[][..], Vec::as_slice);
            let name = |n: u32| self.names[n as usize].as_str();
            text.clear();
            let _ = write!(text, "{} {}", m.pid, name(m.name));
            for &n in more {
                text.push_str(" / ");
                text.push_str(name(n));
            }
            let pid = m.pid;
            doc.element(|b| meta_element(b, "process_name", pid, pid, "name", Ok(&text)))?;
            doc.element(|b| {
                meta_element(b, "process_sort_index", pid, pid, "sort_index", Err(index))
            })?;
            text.clear();
            match (m.parent.and_then(|pp| meta(pp.index())), m.rooted) {
                (Some(pp), _) => {
                    let _ = write!(text, "child of {} {}", pp.pid, name(pp.name));
                }
                (None, Rooted::Attached) => text.push_str("attached while running"),
                (None, Rooted::Traced) => text.push_str("traced command"),
                (None, Rooted::MidTrace) => text.push_str("first seen mid-trace"),
            }
            if let Some(end) = ended(m.end) {
                text.push_str(", ");
                text.push_str(&end);
            }
            doc.element(|b| meta_element(b, "process_labels", pid, pid, "labels", Ok(&text)))?;
            let main = name(more.last().copied().unwrap_or(m.name));
            doc.element(|b| meta_element(b, "thread_name", pid, pid, "name", Ok(main)))?;
            index += 1;
        }
        Ok(())
    }
}

/// A metadata element (`"ph":"M"`) whose args hold one string or integer.
fn meta_element(
    b: &mut Vec<u8>,
    name: &str,
    pid: Pid,
    tid: Pid,
    key: &str,
    value: Result<&str, u64>,
) {
    b.extend_from_slice(b"{\"ph\":\"M\",\"name\":");
    out::str(b, name);
    b.extend_from_slice(b",\"pid\":");
    out::i64(b, pid.into());
    b.extend_from_slice(b",\"tid\":");
    out::i64(b, tid.into());
    b.extend_from_slice(b",\"args\":{");
    out::key(b, key);
    match value {
        Ok(s) => out::str(b, s),
        Err(n) => out::u64(b, n),
    }
    b.extend_from_slice(b"}}");
}

/// Appends `s` (an `X` event) to `b`; its words are in `list`.
fn write_slice(b: &mut Vec<u8>, s: &Slice, list: &EndedList) {
    batch::head(b, "X", list.text(s.name), s.cat, s.pid, s.tid);
    b.extend_from_slice(b",\"ts\":");
    out::f64(b, micros(s.start.ts_ns));
    b.extend_from_slice(b",\"dur\":");
    out::f64(b, micros(s.end_ns.saturating_sub(s.start.ts_ns)));
    b.extend_from_slice(b",\"args\":{");
    let a = &s.args;
    let text = |b: &mut Vec<u8>, k: &str, v: Option<Piece>| {
        if let Some(v) = v {
            out::key(b, k);
            out::str(b, list.text(v));
        }
    };
    let int = |b: &mut Vec<u8>, k: &str, v: Option<i64>| {
        if let Some(v) = v {
            out::key(b, k);
            out::i64(b, v);
        }
    };
    let uint = |b: &mut Vec<u8>, k: &str, v: Option<u64>| {
        if let Some(v) = v {
            out::key(b, k);
            out::u64(b, v);
        }
    };
    text(b, "command", a.command);
    text(b, "path", a.path);
    uint(b, "from_seq", a.from_seq);
    uint(b, "until_seq", a.until_seq);
    int(b, "parent", a.parent.map(i64::from));
    text(b, "ended_by", a.ended_by);
    text(b, "status", a.status);
    text(b, "reaped", a.reaped);
    int(b, "reaped_by", a.reaped_by.map(i64::from));
    b.extend_from_slice(b"}}");
}

/// The `otherData` object: where the trace came from.
#[derive(Serialize)]
struct OtherData {
    command: String,
    start: String,
    root_pid: Pid,
    cwd: String,
    kernel: String,
    arch: String,
    tracer: String,
}

/// Writes the trace-event document as the elements come: the events'
/// ([`Batch`]), then what the [`Slicer`] writes at the end.
pub struct PerfettoExport<W: Write> {
    out: W,
    /// What is written but not yet handed to `out`.
    buf: Vec<u8>,
    written: u64,
    other: OtherData,
    /// The language of the instants' words.
    lang: Lang,
    /// Reused for the words before they are escaped.
    words: String,
}

/// How much [`PerfettoExport`] gathers before it writes to its writer.
const CHUNK: usize = 1 << 17;

impl<W: Write> PerfettoExport<W> {
    /// Starts the document; the instants' words (`effect`, `closed`) will
    /// be in `lang`.
    pub fn new(out: W, header: &Header, lang: Lang) -> Self {
        let other = OtherData {
            command: command_line(&header.argv),
            start: header.start.clone(),
            root_pid: header.root_pid,
            cwd: header.cwd.lossy().into_owned(),
            kernel: header.kernel.clone(),
            arch: header.arch.clone(),
            tracer: header.tracer.clone(),
        };
        let mut buf = Vec::with_capacity(CHUNK * 2);
        buf.extend_from_slice(b"{\"traceEvents\":[");
        PerfettoExport {
            out,
            buf,
            written: 0,
            other,
            lang,
            words: String::new(),
        }
    }

    /// Starts the next element of `traceEvents`: the separator.
    fn begin(&mut self) {
        let sep: &[u8] = if self.written == 0 { b"\n" } else { b",\n" };
        self.buf.extend_from_slice(sep);
        self.written += 1;
    }

    /// Hands what is gathered to the writer once there is enough.
    fn spill(&mut self) -> io::Result<()> {
        if self.buf.len() >= CHUNK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes what the events of `b` add, in order: each event's own
    /// elements (an instant, a fork's arrow start), then what it ended.
    pub fn batch(&mut self, b: &Batch) -> io::Result<()> {
        for i in 0..b.len() {
            if b.has_element(i) {
                self.begin();
                b.element(i, &mut self.buf, &mut self.words, self.lang);
            }
            let (ended, list) = b.ended(i);
            for e in ended {
                self.begin();
                e.write(&mut self.buf, list);
            }
            self.spill()?;
        }
        Ok(())
    }

    /// Writes one element, as `write` writes it.
    fn element(&mut self, write: impl FnOnce(&mut Vec<u8>)) -> io::Result<()> {
        self.begin();
        write(&mut self.buf);
        self.spill()
    }

    /// Writes the elements of `list` (ended at the end of the trace), and
    /// empties it.
    fn ended(&mut self, list: &mut EndedList) -> io::Result<()> {
        for e in &list.items {
            self.element(|b| e.write(b, list))?;
        }
        list.clear();
        Ok(())
    }

    /// Closes the document and hands back the writer (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.buf
            .extend_from_slice(b"\n],\"displayTimeUnit\":\"ns\",\"otherData\":");
        serde_json::to_writer(&mut self.buf, &self.other)?;
        self.buf.extend_from_slice(b"}\n");
        self.out.write_all(&self.buf)?;
        Ok(self.out)
    }
}

/// An instant's name and category.
pub(crate) fn instant_name(kind: &EventKind) -> (Cow<'static, str>, &'static str) {
    let fixed = |n: &'static str, c| (Cow::Borrowed(n), c);
    match kind {
        EventKind::Dup { via, .. } => fixed(
            match via {
                DupVia::Dup => "dup",
                DupVia::Dup2 => "dup2",
                DupVia::Dup3 => "dup3",
                DupVia::Fcntl => "fcntl",
            },
            "fd",
        ),
        EventKind::SetCloexec { .. } => fixed("fcntl", "fd"),
        EventKind::Socket { syscall, .. } | EventKind::NewFd { syscall, .. } => {
            (Cow::Owned(syscall.clone()), "fd")
        }
        EventKind::Exec { .. } => fixed("execve", "process"),
        EventKind::Wait { via, .. } => fixed(
            match via {
                WaitVia::Wait4 => "wait4",
                WaitVia::Waitid => "waitid",
            },
            "process",
        ),
        EventKind::Setsid { .. } | EventKind::Setpgid { .. } => fixed(kind.name(), "process"),
        EventKind::Kill { via, .. } => fixed(
            match via {
                KillVia::Kill => "kill",
                KillVia::Tkill => "tkill",
                KillVia::Tgkill => "tgkill",
                KillVia::RtSigqueueinfo => "rt_sigqueueinfo",
                KillVia::RtTgsigqueueinfo => "rt_tgsigqueueinfo",
                KillVia::PidfdSendSignal => "pidfd_send_signal",
            },
            "signal",
        ),
        EventKind::Signal { signal, .. } => (Cow::Owned(signal.to_string()), "signal"),
        EventKind::Stop { .. } | EventKind::Continue {} => fixed(kind.name(), "signal"),
        _ => fixed(kind.name(), "fd"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::json::replay_events;
    use crate::trace::{Event, RawStr, Status};
    use serde_json::Value;

    /// What a trace processor reading the digits gets: the integer part and
    /// three decimals, as nanoseconds.
    fn digits_ns(text: &str) -> u64 {
        assert!(!text.contains(['e', 'E']), "{text}");
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let frac: String = frac.chars().chain("000".chars()).take(3).collect();
        format!("{int}{frac}").parse().unwrap()
    }

    #[test]
    fn micros_read_back_as_the_exact_nanosecond_both_ways() {
        let hour = 3_600_000_000_000u64;
        let values = (0..300_000u64)
            .chain(hour..hour + 100_000)
            .chain((1..40).map(|k| 1u64 << k))
            .chain([999_999_999_999_999, 123_456_789_012_345]);
        for ns in values {
            let us = micros(ns);
            assert_eq!((us * 1000.0) as u64, ns, "double reading of {us}");
            let text = serde_json::to_string(&us).unwrap();
            assert_eq!(digits_ns(&text), ns, "digit reading of {text}");
        }
    }

    fn ev(seq: u64, pid: Pid, kind: EventKind) -> Event {
        Event {
            seq,
            ts_ns: 1000 + seq * 1000,
            pid,
            kind,
        }
    }

    fn fork(child: Pid, flavor: ForkFlavor) -> EventKind {
        EventKind::Fork {
            child,
            flavor,
            shares_fds: flavor == ForkFlavor::Thread,
            syscall: "clone".into(),
            flags: 0,
            fds: None,
        }
    }

    fn exec(prog: &str, former_tid: Option<Pid>) -> EventKind {
        EventKind::Exec {
            path: RawStr::from(format!("/bin/{prog}").as_str()),
            argv: vec![RawStr::from(prog)],
            ok: true,
            errno: None,
            fds: None,
            elf: None,
            script: None,
            former_tid,
            argv_null: false,
            unreadable: Vec::new(),
        }
    }

    fn exit() -> EventKind {
        EventKind::Exit {
            status: Status::Exited { exited: 0 },
            comm: None,
        }
    }

    fn header(root: Pid) -> Header {
        Header {
            format: crate::trace::FORMAT_NAME.into(),
            version: crate::trace::FORMAT_VERSION,
            argv: vec![RawStr::from("sh")],
            start: "2026-01-01T00:00:00Z".into(),
            start_unix_ns: 0,
            root_pid: root,
            cwd: RawStr::from("/"),
            tracer: "forkscope test".into(),
            kernel: "Linux".into(),
            arch: "x86_64".into(),
            env: None,
        }
    }

    /// The whole document for `events`, written in one pass as the export
    /// writes it: each event's batch (its own element and what it ended),
    /// then what the slicer writes at the end.
    fn document_text(events: &[Event]) -> String {
        let mut slicer = Slicer::new();
        let mut out = PerfettoExport::new(Vec::new(), &header(events[0].pid), Lang::En);
        let model = replay_events(events, |s| {
            let mut b = Batch::with_capacity(1);
            let tgid = b.push(s);
            slicer.after(s.event, tgid, s.model, b.ended_mut());
            out.batch(&b).unwrap();
        });
        slicer.finish(&model, &mut out).unwrap();
        String::from_utf8(out.finish().unwrap()).unwrap()
    }

    /// [`document_text`], parsed, and its `traceEvents`.
    fn document(events: &[Event]) -> Vec<Value> {
        let doc: Value = serde_json::from_str(&document_text(events)).unwrap();
        assert_eq!(doc["displayTimeUnit"], "ns");
        doc["traceEvents"].as_array().unwrap().clone()
    }

    fn ns(v: &Value) -> u64 {
        (v.as_f64().unwrap() * 1000.0) as u64
    }

    /// (ts, end) in ns of the `X` events named `name` on (pid, tid).
    fn spans(doc: &[Value], name: &str, pid: Pid, tid: Pid) -> Vec<(u64, u64)> {
        doc.iter()
            .filter(|e| e["ph"] == "X" && e["name"] == name && e["pid"] == pid && e["tid"] == tid)
            .map(|e| (ns(&e["ts"]), ns(&e["ts"]) + ns(&e["dur"])))
            .collect()
    }

    #[test]
    fn each_slice_is_written_at_the_event_that_ends_it_and_the_arrow_after_it() {
        let events: Vec<Event> = [
            (10, EventKind::spawned(vec![RawStr::from("sh")], vec![])),
            (10, exec("sh", None)),
            (10, fork(11, ForkFlavor::Thread)),
            (10, fork(20, ForkFlavor::Fork)),
            (11, EventKind::Close { fd: 5 }),
            (20, exec("cat", None)),
            (20, EventKind::Close { fd: 1 }),
            (20, exit()),
            (10, fork(20, ForkFlavor::Fork)),
            (10, exec("tr", Some(11))),
            (20, exit()),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (pid, k))| ev(i as u64, pid, k))
        .collect();
        let text = document_text(&events);
        let doc: Value = serde_json::from_str(&text).unwrap();
        let doc = doc["traceEvents"].as_array().unwrap();
        // Where each element is: (ph, name, pid, tid).
        let at = |ph: &str, name: &str, pid: Pid, tid: Pid| {
            doc.iter()
                .position(|e| {
                    e["ph"] == ph && e["name"] == name && e["pid"] == pid && e["tid"] == tid
                })
                .unwrap_or_else(|| panic!("no {ph} {name} {pid}/{tid} in {text}"))
        };
        let close = |fd: i32| {
            doc.iter()
                .position(|e| e["name"] == "close" && e["args"]["fd"] == fd)
                .unwrap()
        };
        // The thread's slice waits for the exec that ends it (seq 9), after
        // the first 20's exit (seq 7); the arrow landing on it comes next.
        let thread = at("X", "thread", 10, 11);
        assert!(thread > close(1));
        assert_eq!(doc[thread + 1]["ph"], "f");
        assert_eq!(doc[thread + 1]["id"], 2);
        // The first 20 is reaped outside the trace when the kernel hands
        // its pid out again (seq 8): its slices come then, before the
        // second 20's, which only end with the trace.
        let cat = at("X", "cat", 20, 20);
        assert!(cat > close(1) && cat < thread);
        assert_eq!(doc[cat - 1]["name"], "sh", "the program it inherited");
        assert_eq!(doc[cat + 1]["name"], "zombie");
        assert_eq!(
            (&doc[cat + 2]["ph"], &doc[cat + 2]["id"]),
            (&"f".into(), &3.into())
        );
        // The metadata comes last: each pid once, the tree in depth-first order.
        let first_meta = doc
            .iter()
            .position(|e| e["ph"] == "M" && e["name"] == "process_name");
        assert!(doc[first_meta.unwrap()..].iter().all(|e| e["ph"] == "M"));
        let sorted: Vec<(&Value, &Value)> = doc
            .iter()
            .filter(|e| e["name"] == "process_sort_index")
            .map(|e| (&e["pid"], &e["args"]["sort_index"]))
            .collect();
        assert_eq!(sorted, [(&10.into(), &0.into()), (&20.into(), &1.into())]);
        // Every fork has its arrow's two ends.
        for id in [2, 3, 8] {
            let ends: Vec<&Value> = doc
                .iter()
                .filter(|e| e["id"] == id)
                .map(|e| &e["ph"])
                .collect();
            assert_eq!(ends, [&Value::from("s"), &Value::from("f")], "fork #{id}");
        }
    }

    #[test]
    fn threads_get_their_own_tracks_until_an_exec_ends_them() {
        let doc = document(
            &[
                EventKind::spawned(vec![RawStr::from("sh")], vec![]),
                exec("sh", None),
                fork(11, ForkFlavor::Thread),
                fork(12, ForkFlavor::Thread),
                EventKind::Close { fd: 5 },
                exec("tr", Some(11)),
                exit(),
            ]
            .into_iter()
            .enumerate()
            .map(|(i, k)| {
                let pid = match i {
                    3 => 11,
                    4 => 12,
                    _ => 10,
                };
                ev(i as u64, pid, k)
            })
            .collect::<Vec<_>>(),
        );
        // Thread 11 made thread 12; thread 11's exec (seq 5) ended both.
        assert_eq!(spans(&doc, "thread", 10, 11), [(3000, 6000)]);
        assert_eq!(spans(&doc, "thread", 10, 12), [(4000, 6000)]);
        assert_eq!(spans(&doc, "sh", 10, 10), [(2000, 6000)]);
        assert_eq!(spans(&doc, "tr", 10, 10), [(6000, 7000)]);
        let f: Vec<&Value> = doc.iter().filter(|e| e["ph"] == "f").collect();
        assert_eq!(f.len(), 2);
        assert_eq!(
            (&f[1]["pid"], &f[1]["tid"], &f[1]["id"]),
            (&10.into(), &12.into(), &3.into())
        );
        let s: Vec<&Value> = doc.iter().filter(|e| e["ph"] == "s").collect();
        assert_eq!((&s[1]["pid"], &s[1]["tid"]), (&10.into(), &11.into()));
        let close = doc.iter().find(|e| e["name"] == "close").unwrap();
        assert_eq!(
            (&close["pid"], &close["tid"], &close["ph"]),
            (&10.into(), &12.into(), &"i".into())
        );
        let mut names: Vec<(&Value, &Value)> = doc
            .iter()
            .filter(|e| e["name"] == "thread_name")
            .map(|e| (&e["tid"], &e["args"]["name"]))
            .collect();
        // Each thread's name when it is made; the main thread's at the end.
        names.sort_by_key(|(tid, _)| tid.as_i64());
        assert_eq!(
            names,
            [
                (&10.into(), &"tr".into()),
                (&11.into(), &"thread".into()),
                (&12.into(), &"thread".into())
            ]
        );
    }

    #[test]
    fn a_reused_pid_shows_both_processes_one_after_the_other() {
        let doc = document(&[
            ev(0, 10, EventKind::spawned(vec![RawStr::from("sh")], vec![])),
            ev(1, 10, exec("sh", None)),
            ev(2, 10, fork(20, ForkFlavor::Fork)),
            ev(3, 20, exec("cat", None)),
            ev(4, 20, exit()),
            // Nothing in the trace reaps the first 20; the kernel hands its pid out again.
            ev(5, 10, fork(20, ForkFlavor::Fork)),
            ev(6, 20, exit()),
        ]);
        assert_eq!(spans(&doc, "sh", 20, 20), [(3000, 4000), (6000, 7000)]);
        assert_eq!(spans(&doc, "cat", 20, 20), [(4000, 5000)]);
        assert_eq!(spans(&doc, "zombie", 20, 20), [(5000, 6000), (7000, 7000)]);
        let zombies: Vec<&Value> = doc
            .iter()
            .filter(|e| e["name"] == "zombie" && e["pid"] == 20)
            .collect();
        assert!(zombies[0]["args"]["reaped"]
            .as_str()
            .unwrap()
            .starts_with("outside the trace"));
        assert_eq!(zombies[1]["args"]["reaped"], "not by the end of the trace");
        let name = doc
            .iter()
            .filter(|e| e["name"] == "process_name" && e["pid"] == 20);
        let name: Vec<&Value> = name.map(|e| &e["args"]["name"]).collect();
        assert_eq!(name, [&Value::from("20 cat / sh")]);
        // The root never exited: its program runs to the end of the trace.
        assert_eq!(spans(&doc, "sh", 10, 10), [(2000, 7000)]);
        assert!(spans(&doc, "zombie", 10, 10).is_empty());
    }
}
