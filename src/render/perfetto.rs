//! `forkscope export --format perfetto`: the timeline as Chrome trace-event
//! JSON (the "JSON Object Format"), which ui.perfetto.dev and
//! chrome://tracing open.
//!
//! ```json
//! {"traceEvents":[
//! {"ph":"M","name":"process_name","pid":18577,"tid":18577,"args":{"name":"18577 echo"}},
//! {"ph":"X","name":"echo","cat":"exec","pid":18577,"tid":18577,"ts":5686.431,"dur":2380.345,"args":{...}},
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
//! - **Metadata** (`"ph":"M"`, first in the file): `process_name` is
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
//!   reaped it and when.
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
//! Order: the metadata, then every timed event in trace order, each slice at
//! the event that starts it. That needs to know when each slice ends before
//! the events that follow it are written: a [`Planner`] sees every event
//! and, with the final model, makes the [`Plan`] (memory in proportion to
//! processes, execs and threads, which the model keeps anyway); a
//! [`PerfettoExport`] then writes the metadata and, in order, the slices
//! and each event's elements. The events' elements are made as the events
//! go by (the model at that moment knows their words) and wait in a
//! [`Spool`], a file, until the plan is known; or the trace is read a
//! second time and a [`PerfettoExport`] writes them as they go by again.

mod batch;
mod out;

pub use batch::{instant, Batch, Spool};

use super::describe;
use super::json::Seen;
use super::narrate;
use crate::model::{Model, Moment, Origin, ProcId, Process};
use crate::trace::{DupVia, Event, EventKind, ForkFlavor, Header, KillVia, Pid, RawStr, WaitVia};
use crate::words::Lang;
use serde::Serialize;
use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
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

/// What a slice's `args` say (each only when set, in this order).
#[derive(Clone, Debug, Default)]
struct SliceArgs {
    /// The command line of the program.
    command: Option<String>,
    /// The path given to execve.
    path: Option<String>,
    /// The seq of the event that started the slice.
    from_seq: Option<u64>,
    /// The seq of the event that ended it.
    until_seq: Option<u64>,
    /// The parent process.
    parent: Option<Pid>,
    /// What ended it: `exec`, `exit 0`, `killed by SIGPIPE`, `end of trace`...
    ended_by: Option<String>,
    /// Zombies: how the process ended.
    status: Option<String>,
    /// Zombies: how it left the zombie state, in words.
    reaped: Option<String>,
    /// Zombies: the process whose wait reaped it.
    reaped_by: Option<Pid>,
}

/// A slice to write when the event at `start.seq` goes by.
#[derive(Clone, Debug)]
struct Slice {
    start: Moment,
    end_ns: u64,
    pid: Pid,
    tid: Pid,
    name: String,
    cat: &'static str,
    args: SliceArgs,
}

/// Why a thread's slice ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ThreadEnd {
    Exit,
    Exec,
}

/// A thread (a task created with CLONE_THREAD) seen in the first pass.
#[derive(Clone, Debug)]
struct Thread {
    pid: Pid,
    tid: Pid,
    start: Moment,
    end: Option<(Moment, ThreadEnd)>,
}

/// The first pass: sees every event and remembers what the final model
/// forgets (threads), then makes the [`Plan`].
#[derive(Clone, Debug, Default)]
pub struct Planner {
    threads: Vec<Thread>,
    live: HashMap<Pid, usize>,
    last: Option<Moment>,
}

impl Planner {
    /// A planner that has seen nothing.
    pub fn new() -> Planner {
        Planner::default()
    }

    /// Sees one event (call for every event, in order).
    pub fn observe(&mut self, seen: &Seen) {
        let tgid = if Planner::needs_process(seen.event) {
            seen.tgid()
        } else {
            seen.event.pid
        };
        self.observe_event(seen.event, tgid);
    }

    /// Whether [`Planner::observe_event`] needs the process (thread-group
    /// id) of `ev`'s task: for thread creations and successful execs.
    pub fn needs_process(ev: &Event) -> bool {
        matches!(
            ev.kind,
            EventKind::Fork {
                flavor: ForkFlavor::Thread,
                ..
            } | EventKind::Exec { ok: true, .. }
        )
    }

    /// Sees one event (call for every event, in order), with the process
    /// its task belongs to as [`Seen::tgid`] says, when
    /// [`Planner::needs_process`] (otherwise any value).
    pub fn observe_event(&mut self, ev: &Event, tgid: Pid) {
        let at = Moment::of(ev);
        self.last = Some(at);
        match &ev.kind {
            EventKind::Fork {
                child,
                flavor: ForkFlavor::Thread,
                ..
            } => {
                self.live.insert(*child, self.threads.len());
                self.threads.push(Thread {
                    pid: tgid,
                    tid: *child,
                    start: at,
                    end: None,
                });
            }
            EventKind::Exit { .. } => {
                if let Some(i) = self.live.remove(&ev.pid) {
                    self.threads[i].end = Some((at, ThreadEnd::Exit));
                }
            }
            EventKind::Exec { ok: true, .. } => {
                // de_thread(): every other thread ends, and the one that
                // exec'd carries on as the main thread.
                let pid = tgid;
                let threads = &mut self.threads;
                self.live.retain(|_, i| {
                    let t = &mut threads[*i];
                    if t.pid == pid {
                        t.end = Some((at, ThreadEnd::Exec));
                    }
                    t.pid != pid
                });
            }
            _ => {}
        }
    }

    /// Makes the plan from what was seen and the model after the last
    /// event, which the plan keeps to draw the slices from.
    pub fn finish(self, model: Model) -> Plan {
        let Some(last) = self.last else {
            return Plan::default();
        };
        // Each slice is numbered in the order the slices are listed (each
        // process's, then each thread's): at one event, slices keep that order.
        let mut sources = Vec::new();
        let mut number = 0;
        for p in model.tree().iter() {
            let execs = p.exec_chain().map(|e| e.at.seq);
            let zombie = p.zombie_span().map(|(exit, _)| exit.seq);
            let first = execs.chain(zombie).fold(p.born.seq, u64::min);
            sources.push((first, number, Source::Process(p.id)));
            number += 1 + p.exec_chain().count() + usize::from(zombie.is_some());
        }
        for (i, t) in self.threads.iter().enumerate() {
            sources.push((t.start.seq, number, Source::Thread(i)));
            number += 1;
        }
        sources.sort_by_key(|&(seq, _, _)| seq);
        Plan {
            metadata: metadata(&model, &self.threads),
            model,
            threads: self.threads,
            sources,
            last: Some(last),
        }
    }
}

/// The program name of argv/path, as the slice and process names show it.
fn program(argv: &[RawStr], path: &RawStr) -> String {
    describe::program_name(argv, path)
}

use describe::command_line;

/// How a process ended, in words.
fn end_text(p: &Process) -> Option<String> {
    let exit = p.exit?;
    Some(match exit.status {
        Some(st) => narrate::status(&st),
        None => "ended".into(),
    })
}

/// The slices of the programs `p` ran, on its main thread.
fn program_slices(model: &Model, p: &Process, last: Moment, out: &mut Vec<Slice>) {
    let tree = model.tree();
    let parent = tree.parent(p.id).map(|pp| pp.pid);
    let first = match &p.origin {
        Origin::Spawn { argv, .. } => Slice {
            start: p.born,
            end_ns: 0,
            pid: p.pid,
            tid: p.pid,
            name: "spawn".into(),
            cat: "spawn",
            args: SliceArgs {
                command: Some(command_line(argv)),
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
                name: inherited.map_or_else(|| "?".into(), |e| program(&e.argv, &e.path)),
                cat: "fork",
                args: SliceArgs {
                    command: inherited.map(|e| command_line(&e.argv)),
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
            name: "?".into(),
            cat: "unknown",
            args: SliceArgs::default(),
        },
    };
    let mut run = vec![first];
    for e in p.exec_chain() {
        run.push(Slice {
            start: e.at,
            end_ns: 0,
            pid: p.pid,
            tid: p.pid,
            name: program(&e.argv, &e.path),
            cat: "exec",
            args: SliceArgs {
                command: Some(command_line(&e.argv)),
                path: Some(e.path.lossy().into_owned()),
                parent,
                ..SliceArgs::default()
            },
        });
    }
    let ends: Vec<(Moment, String)> = run
        .iter()
        .skip(1)
        .map(|s| (s.start, "exec".to_string()))
        .chain(std::iter::once(match p.exit {
            Some(exit) => (exit.at, end_text(p).unwrap_or_default()),
            None => (last, "end of trace".to_string()),
        }))
        .collect();
    for (mut s, (end, why)) in run.into_iter().zip(ends) {
        s.end_ns = end.ts_ns;
        s.args.from_seq = Some(s.start.seq);
        s.args.until_seq = Some(end.seq);
        s.args.ended_by = Some(why);
        out.push(s);
    }
}

/// The zombie slice of `p`, if it exited.
fn zombie_slice(model: &Model, p: &Process, last: Moment) -> Option<Slice> {
    let (exit, reap) = p.zombie_span()?;
    let tree = model.tree();
    let by = p.reap.and_then(|r| r.by).and_then(|id| tree.by_id(id));
    let reaped = match (p.reap, by) {
        (Some(_), Some(w)) => format!("by {} {}", w.pid, describe::process_name(model, w)),
        (Some(_), None) => {
            "outside the trace (by init or a subreaper, or its pid was reused)".into()
        }
        (None, _) => "not by the end of the trace".into(),
    };
    let end = reap.unwrap_or(last);
    Some(Slice {
        start: exit,
        end_ns: end.ts_ns,
        pid: p.pid,
        tid: p.pid,
        name: "zombie".into(),
        cat: "zombie",
        args: SliceArgs {
            from_seq: Some(exit.seq),
            until_seq: Some(end.seq),
            status: end_text(p),
            reaped: Some(reaped),
            reaped_by: by.map(|w| w.pid),
            ..SliceArgs::default()
        },
    })
}

/// The metadata of one pid (several processes when the pid was reused).
#[derive(Clone, Debug)]
struct Track {
    pid: Pid,
    programs: Vec<String>,
    labels: String,
    threads: Vec<Pid>,
}

/// Metadata for every pid, in depth-first order of the process tree.
fn metadata(model: &Model, threads: &[Thread]) -> Vec<Track> {
    let tree = model.tree();
    let mut order = Vec::with_capacity(tree.len());
    let mut stack: Vec<&Process> = tree.roots().collect();
    stack.reverse();
    while let Some(p) = stack.pop() {
        order.push(p);
        let mut kids: Vec<&Process> = tree.children(p.id).collect();
        kids.reverse();
        stack.extend(kids);
    }
    let mut tracks: Vec<Track> = Vec::new();
    let mut index: HashMap<Pid, usize> = HashMap::new();
    for p in order {
        let name = describe::process_name(model, p);
        if let Some(&i) = index.get(&p.pid) {
            tracks[i].programs.push(name);
            continue;
        }
        let mut labels = vec![match (&p.origin, tree.parent(p.id)) {
            (_, Some(pp)) => format!("child of {} {}", pp.pid, describe::process_name(model, pp)),
            (Origin::Spawn { attached: true, .. }, None) => "attached while running".to_string(),
            (Origin::Spawn { .. }, None) => "traced command".to_string(),
            (_, None) => "first seen mid-trace".to_string(),
        }];
        labels.extend(end_text(p));
        index.insert(p.pid, tracks.len());
        tracks.push(Track {
            pid: p.pid,
            programs: vec![name],
            labels: labels.join(", "),
            threads: Vec::new(),
        });
    }
    let mut seen = HashSet::new();
    for t in threads {
        if let Some(&i) = index.get(&t.pid) {
            if seen.insert((t.pid, t.tid)) {
                tracks[i].threads.push(t.tid);
            }
        }
    }
    tracks
}

/// Where slices come from: a process's (its programs, then its time as a
/// zombie) or a thread's.
#[derive(Clone, Copy, Debug)]
enum Source {
    Process(ProcId),
    Thread(usize),
}

/// Appends `s` (an `X` event) to `b`.
fn write_slice(b: &mut Vec<u8>, s: &Slice) {
    b.extend_from_slice(b"{\"ph\":\"X\",\"name\":");
    out::str(b, &s.name);
    b.extend_from_slice(b",\"cat\":");
    out::str(b, s.cat);
    b.extend_from_slice(b",\"pid\":");
    out::i64(b, s.pid.into());
    b.extend_from_slice(b",\"tid\":");
    out::i64(b, s.tid.into());
    b.extend_from_slice(b",\"ts\":");
    out::f64(b, micros(s.start.ts_ns));
    b.extend_from_slice(b",\"dur\":");
    out::f64(b, micros(s.end_ns.saturating_sub(s.start.ts_ns)));
    b.extend_from_slice(b",\"args\":{");
    let a = &s.args;
    let text = |b: &mut Vec<u8>, k: &str, v: &Option<String>| {
        if let Some(v) = v {
            out::key(b, k);
            out::str(b, v);
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
    text(b, "command", &a.command);
    text(b, "path", &a.path);
    uint(b, "from_seq", a.from_seq);
    uint(b, "until_seq", a.until_seq);
    int(b, "parent", a.parent.map(i64::from));
    text(b, "ended_by", &a.ended_by);
    text(b, "status", &a.status);
    text(b, "reaped", &a.reaped);
    int(b, "reaped_by", a.reaped_by.map(i64::from));
    b.extend_from_slice(b"}}");
}

/// What the first pass learned: the metadata, and where each slice comes
/// from. The slices are drawn from the final model when the first event
/// of their process or thread goes by ([`PerfettoExport`] keeps them until
/// their own event), so memory holds the slices of the processes alive in
/// the document, not all of them.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    metadata: Vec<Track>,
    /// The model after the last event.
    model: Model,
    threads: Vec<Thread>,
    /// (seq of the first slice, number of the first slice, source), by seq.
    sources: Vec<(u64, usize, Source)>,
    last: Option<Moment>,
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

/// The second pass: writes the trace-event document as events go by.
pub struct PerfettoExport<W: Write> {
    out: W,
    /// What is written but not yet handed to `out`.
    buf: Vec<u8>,
    plan: Plan,
    /// The next of the plan's sources to draw.
    next: usize,
    /// Slices drawn and not written yet: (seq of the event that starts
    /// them, number, JSON), the next one first.
    pending: BinaryHeap<Reverse<(u64, usize, Vec<u8>)>>,
    written: u64,
    other: OtherData,
    /// The language of the instants' words.
    lang: Lang,
    /// Reused for the words before they are escaped.
    words: String,
}

/// How much [`PerfettoExport`] gathers before it writes to its writer.
const CHUNK: usize = 1 << 17;

/// How much of a [`Spool`] [`PerfettoExport::unspool`] reads at a time.
const SPOOL_READ: usize = 1 << 20;

impl<W: Write> PerfettoExport<W> {
    /// Starts the document and writes the metadata; the instants' words
    /// (`effect`, `closed`) will be in `lang`.
    pub fn new(out: W, header: &Header, plan: Plan, lang: Lang) -> io::Result<Self> {
        let other = OtherData {
            command: command_line(&header.argv),
            start: header.start.clone(),
            root_pid: header.root_pid,
            cwd: header.cwd.lossy().into_owned(),
            kernel: header.kernel.clone(),
            arch: header.arch.clone(),
            tracer: header.tracer.clone(),
        };
        let mut me = PerfettoExport {
            out,
            buf: Vec::with_capacity(CHUNK * 2),
            plan,
            next: 0,
            pending: BinaryHeap::new(),
            written: 0,
            other,
            lang,
            words: String::new(),
        };
        me.buf.extend_from_slice(b"{\"traceEvents\":[");
        let tracks = std::mem::take(&mut me.plan.metadata);
        for (i, t) in tracks.iter().enumerate() {
            me.metadata(t, i)?;
        }
        Ok(me)
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

    /// A metadata element whose args hold one string or integer.
    fn meta(&mut self, name: &str, pid: Pid, tid: Pid, key: &str, value: Result<&str, u64>) {
        self.begin();
        let b = &mut self.buf;
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

    fn metadata(&mut self, t: &Track, index: usize) -> io::Result<()> {
        let pid = t.pid;
        let name = format!("{pid} {}", t.programs.join(" / "));
        self.meta("process_name", pid, pid, "name", Ok(&name));
        self.meta(
            "process_sort_index",
            pid,
            pid,
            "sort_index",
            Err(index as u64),
        );
        self.meta("process_labels", pid, pid, "labels", Ok(&t.labels));
        let main = t.programs.last().map_or("", String::as_str);
        self.meta("thread_name", pid, pid, "name", Ok(main));
        for &tid in &t.threads {
            self.meta("thread_name", pid, tid, "name", Ok("thread"));
        }
        self.spill()
    }

    /// Writes the slices that start at or before event `seq`.
    fn slices_until(&mut self, seq: u64) -> io::Result<()> {
        // Every slice starting by `seq` comes from a source whose first
        // slice starts by `seq`: draw those, then write in (seq, number) order.
        while let Some(&(first, number, source)) = self.plan.sources.get(self.next) {
            if first > seq {
                break;
            }
            self.next += 1;
            self.draw(number, source);
        }
        while let Some(Reverse((at, _, _))) = self.pending.peek() {
            if *at > seq {
                break;
            }
            let Some(Reverse((_, _, text))) = self.pending.pop() else {
                break;
            };
            self.begin();
            self.buf.extend_from_slice(&text);
            self.spill()?;
        }
        Ok(())
    }

    /// Draws the slices of `source`, numbered from `number`, into `pending`.
    fn draw(&mut self, number: usize, source: Source) {
        let Some(last) = self.plan.last else {
            return;
        };
        let mut keep = |n: usize, s: &Slice| {
            let mut text = Vec::with_capacity(256);
            write_slice(&mut text, s);
            self.pending.push(Reverse((s.start.seq, number + n, text)));
        };
        match source {
            Source::Process(id) => {
                let model = &self.plan.model;
                let Some(p) = model.tree().by_id(id) else {
                    return;
                };
                let mut run = Vec::new();
                program_slices(model, p, last, &mut run);
                for (n, s) in run.iter().enumerate() {
                    keep(n, s);
                }
                if let Some(z) = zombie_slice(model, p, last) {
                    keep(run.len(), &z);
                }
            }
            Source::Thread(i) => {
                let t = &self.plan.threads[i];
                let (end, ended_by) = match t.end {
                    Some((at, ThreadEnd::Exit)) => (at, "exit"),
                    Some((at, ThreadEnd::Exec)) => (at, "exec in another thread"),
                    None => (last, "end of trace"),
                };
                keep(
                    0,
                    &Slice {
                        start: t.start,
                        end_ns: end.ts_ns,
                        pid: t.pid,
                        tid: t.tid,
                        name: "thread".into(),
                        cat: "thread",
                        args: SliceArgs {
                            from_seq: Some(t.start.seq),
                            until_seq: t.end.map(|(at, _)| at.seq),
                            ended_by: Some(ended_by.into()),
                            ..SliceArgs::default()
                        },
                    },
                );
            }
        }
    }

    /// Writes what one event adds: the slices it starts, a fork's arrow, or an instant.
    pub fn event(&mut self, seen: &Seen) -> io::Result<()> {
        let mut b = Batch::default();
        b.push(seen);
        self.batch(&b)
    }

    /// Writes what the events of `b` add, in order.
    pub fn batch(&mut self, b: &Batch) -> io::Result<()> {
        for i in 0..b.len() {
            let seq = b.seq(i);
            if !matches!(self.plan.last, Some(l) if seq <= l.seq) {
                // Not seen by the first pass (the file grew in between).
                continue;
            }
            self.slices_until(seq)?;
            for k in 0..b.elements(i) {
                self.begin();
                b.element(i, k, &mut self.buf, &mut self.words, self.lang);
            }
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the elements a [`Spool`] holds, each after the slices that
    /// start at or before its event: the document as [`PerfettoExport::batch`]
    /// would have written it from the same batches.
    pub fn unspool(&mut self, mut spooled: impl io::Read) -> io::Result<()> {
        use io::Read as _;
        let mut chunk: Vec<u8> = Vec::with_capacity(SPOOL_READ + CHUNK);
        let mut at = 0;
        loop {
            while let Some(head) = chunk.get(at..at + 12) {
                let seq = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
                let len = u32::from_le_bytes(head[8..].try_into().expect("4 bytes")) as usize;
                let Some(element) = chunk.get(at + 12..at + 12 + len) else {
                    break;
                };
                self.slices_until(seq)?;
                self.begin();
                self.buf.extend_from_slice(element);
                at += 12 + len;
                self.spill()?;
            }
            chunk.drain(..at);
            at = 0;
            let want = SPOOL_READ.max(chunk.len());
            if spooled.by_ref().take(want as u64).read_to_end(&mut chunk)? == 0 {
                return if chunk.is_empty() {
                    Ok(())
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                };
            }
        }
    }

    /// Writes any slice not written yet, closes the document and hands back
    /// the writer (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.slices_until(u64::MAX)?;
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
    use crate::trace::{Event, Status};
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

    /// The whole document for `events`, parsed, and its `traceEvents`.
    fn document(events: &[Event]) -> Vec<Value> {
        let mut planner = Planner::new();
        let model = replay_events(events, |s| planner.observe(s));
        let plan = planner.finish(model);
        let mut out =
            PerfettoExport::new(Vec::new(), &header(events[0].pid), plan, Lang::En).unwrap();
        replay_events(events, |s| out.event(s).unwrap());
        let text = String::from_utf8(out.finish().unwrap()).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
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

    /// The document as the one-pass export writes it (the elements through
    /// a [`Spool`]) and as [`PerfettoExport`] writes it from the batches.
    fn spooled_and_direct(events: &[Event]) -> (Vec<u8>, Vec<u8>) {
        let mut planner = Planner::new();
        let mut batches = vec![Batch::with_capacity(2)];
        let model = replay_events(events, |s| {
            planner.observe(s);
            if batches.last().is_some_and(|b| b.len() == 2) {
                batches.push(Batch::with_capacity(2));
            }
            batches.last_mut().unwrap().push(s);
        });
        let plan = planner.finish(model);
        let head = header(events[0].pid);
        let mut direct = PerfettoExport::new(Vec::new(), &head, plan.clone(), Lang::En).unwrap();
        let mut spool = Spool::new(Vec::new(), Lang::En);
        for b in &batches {
            direct.batch(b).unwrap();
            spool.batch(b).unwrap();
        }
        let mut spooled = PerfettoExport::new(Vec::new(), &head, plan, Lang::En).unwrap();
        spooled.unspool(&spool.finish().unwrap()[..]).unwrap();
        (spooled.finish().unwrap(), direct.finish().unwrap())
    }

    #[test]
    fn the_spooled_document_is_the_one_written_batch_by_batch() {
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
        let (spooled, direct) = spooled_and_direct(&events);
        assert!(direct.len() > 1000, "{}", String::from_utf8_lossy(&direct));
        assert_eq!(
            String::from_utf8(spooled).unwrap(),
            String::from_utf8(direct).unwrap()
        );
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
        let names: Vec<(&Value, &Value)> = doc
            .iter()
            .filter(|e| e["name"] == "thread_name")
            .map(|e| (&e["tid"], &e["args"]["name"]))
            .collect();
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
