//! `forkscope export --format json`: the normalized event stream, and the
//! per-event facts every export needs ([`Prior`], [`Seen`], [`Record`]).
//!
//! The output is one JSON array with one element per trace event, in trace
//! order, one element per line:
//!
//! ```json
//! [
//! {"seq":15,"ts_ns":5763910,"pid":18578,"program":"pipe_fork_exec","kind":"dup","call":"dup2(3, 0)","effect":"fd 0 now reads from pipe#1 read end (same open file as fd 3); its old /dev/pts/0 was closed","pipe":"pipe#1","closed":"/dev/pts/0","new_fd":0,"old_fd":3,"via":"dup2"},
//! ...
//! ]
//! ```
//!
//! Each element has, in this order:
//!
//! - `seq`, `ts_ns`, `pid`: as in the trace (real pids and tids, not renumbered);
//! - `process`: the process (thread-group id) the task belongs to, only when
//!   it differs from `pid` (an event of a non-leader thread);
//! - `program`: the program the process runs once the event happened (the
//!   last path component of argv\[0\]): for a successful exec the new
//!   program, for a failed one the old, for an exit the one that ended;
//! - `kind`: the event kind, as in the trace;
//! - `call`: the event as a call, strace-like (`dup2(3, 0)`, `execve("/usr/bin/tr", ...)`);
//! - `effect`: one plain sentence saying what changed, when something did;
//! - `pipe`: the stable name (`pipe#N`, numbered in order of first
//!   appearance) of the pipe the event concerns: the pipe a `pipe` call
//!   made, the FIFO an `open` opened, the pipe end a `dup` installed (else
//!   the one it closed), the pipe end a `close` closed;
//! - `closed`: what the fd a `close` closes, or a `dup2`/`dup3` overwrites,
//!   referred to (`/dev/pts/0`, `pipe#1 write end`), when it was open;
//! - then the event's own fields, exactly as in the trace (`kind` aside), in
//!   alphabetical order; in the fd snapshots of `spawn` and `exec` every entry
//!   whose target is a pipe (`pipe:[INODE]`) also gets its `pipe` name.
//!
//! Pure: the caller replays the trace and hands over each event with what
//! the model knew before and after it.

use super::describe;
use super::narrate::{self, Before};
use crate::model::labels::Labels;
use crate::model::{Applied, Model, Object, PipeId, ProcId, Process};
use crate::trace::{Event, EventKind, Pid};
use crate::words::Lang;
use serde::Serialize;
use serde_json::{Map, Value};
use std::io::{self, Write};

/// What the model knew just before an event was applied.
#[derive(Clone, Debug, Default)]
pub struct Prior {
    /// What the fd the event closes or overwrites referred to (the narration's view).
    pub before: Before,
    /// The pipe that fd was an end of.
    pub closed_pipe: Option<PipeId>,
    /// The process the acting task belonged to.
    pub process: Option<ProcId>,
}

impl Prior {
    /// Reads `model` (not yet changed by `ev`).
    pub fn capture(model: &Model, ev: &Event, labels: &Labels) -> Prior {
        Prior {
            before: Before::for_words(model, ev, labels),
            closed_pipe: narrate::replaced_fd(ev).and_then(|fd| pipe_of(model, ev.pid, fd)),
            process: process_before(model, ev),
        }
    }
}

/// The process the acting task of `ev` belongs to, read from `model`
/// before `ev` is applied ([`Prior::process`]).
pub(crate) fn process_before(model: &Model, ev: &Event) -> Option<ProcId> {
    let tree = model.tree();
    tree.process_of_task(ev.pid)
        .or_else(|| match ev.kind {
            EventKind::Exec {
                former_tid: Some(t),
                ..
            } => tree.process_of_task(t),
            _ => None,
        })
        .or_else(|| model.process(ev.pid))
        .map(|p| p.id)
}

/// The process of `ev`'s task once `ev` is applied to `model`, from what
/// [`process_before`] found ([`Seen::process`]).
pub(crate) fn process_after<'a>(
    model: &'a Model,
    ev: &Event,
    before: Option<ProcId>,
) -> Option<&'a Process> {
    let tree = model.tree();
    match before {
        Some(id) => tree.by_id(id),
        None => tree
            .process_of_task(ev.pid)
            .or_else(|| model.process(ev.pid)),
    }
}

/// The pipe `ev` concerns (see the module doc), by inode, read from `model`
/// once `ev` is applied; `closed_pipe` is [`Prior::closed_pipe`].
pub(crate) fn pipe_concerned(
    model: &Model,
    ev: &Event,
    closed_pipe: Option<PipeId>,
) -> Option<PipeId> {
    match &ev.kind {
        EventKind::Pipe { pipe_id, .. } => Some(*pipe_id),
        EventKind::Open {
            target: Some(t),
            errno: None,
            ..
        } => crate::trace::parse_bracket_inode(t.as_bytes(), b"pipe:["),
        EventKind::Dup {
            new_fd,
            errno: None,
            ..
        } => pipe_of(model, ev.pid, *new_fd).or(closed_pipe),
        EventKind::Close { .. } => closed_pipe,
        _ => None,
    }
}

/// The pipe `fd` of task or process `pid` is an end of, if it is open and a pipe.
pub(crate) fn pipe_of(model: &Model, pid: Pid, fd: i32) -> Option<PipeId> {
    match model.fd(pid, fd)?.file.object {
        Object::Pipe { pipe, .. } => Some(pipe),
        _ => None,
    }
}

/// One applied event with everything an export needs.
#[derive(Clone, Copy, Debug)]
pub struct Seen<'a> {
    /// The event.
    pub event: &'a Event,
    /// What the model knew just before it.
    pub prior: &'a Prior,
    /// What applying it changed.
    pub applied: &'a Applied,
    /// The model after it.
    pub model: &'a Model,
    /// Pipe names so far (including the pipes this event introduced).
    pub labels: &'a Labels,
    /// The language of the words (`effect`, `closed`).
    pub lang: Lang,
}

impl<'a> Seen<'a> {
    /// The process the acting task belongs (or belonged) to.
    pub fn process(&self) -> Option<&'a Process> {
        process_after(self.model, self.event, self.prior.process)
    }

    /// Its pid (the thread-group id); the task's own id when it is unknown.
    pub fn tgid(&self) -> Pid {
        self.process().map_or(self.event.pid, |p| p.pid)
    }

    /// The program the process runs once the event happened ("?" when unknown).
    pub fn program(&self) -> String {
        self.process()
            .map(|p| describe::process_name(self.model, p))
            .unwrap_or_else(|| "?".into())
    }

    /// The pipe the event concerns (see the module doc), by inode.
    pub fn pipe(&self) -> Option<PipeId> {
        pipe_concerned(self.model, self.event, self.prior.closed_pipe)
    }
}

/// One element of the normalized event stream (see the module doc).
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    /// The event's seq.
    pub seq: u64,
    /// Nanoseconds since the trace started.
    pub ts_ns: u64,
    /// The task that did it.
    pub pid: Pid,
    /// Its process, when that differs from `pid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Pid>,
    /// The program the process runs once the event happened.
    pub program: String,
    /// The event kind.
    pub kind: &'static str,
    /// The event as a call.
    pub call: String,
    /// What changed, in one sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    /// The pipe the event concerns, `pipe#N`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipe: Option<String>,
    /// What the fd it closes or overwrites referred to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
    /// The event's own fields, as in the trace (without `kind`).
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl Record {
    /// Builds the element for one event.
    pub fn of(seen: &Seen) -> Record {
        let ev = seen.event;
        let tgid = seen.tgid();
        Record {
            seq: ev.seq,
            ts_ns: ev.ts_ns,
            pid: ev.pid,
            process: (tgid != ev.pid).then_some(tgid),
            program: seen.program(),
            kind: ev.kind.name(),
            call: narrate::call(ev, seen.labels),
            effect: narrate::sentence(
                seen.lang,
                seen.model,
                ev,
                &seen.prior.before,
                seen.applied,
                seen.labels,
            ),
            pipe: seen.pipe().map(|p| seen.labels.pipe(p)),
            closed: seen
                .prior
                .before
                .replaced
                .as_ref()
                .map(|f| crate::words::narrate::file(seen.lang, f)),
            fields: fields(ev, seen.labels),
        }
    }
}

/// The event's own fields, with pipe names added to fd snapshot entries.
pub(crate) fn fields(ev: &Event, labels: &Labels) -> Map<String, Value> {
    let mut map = match serde_json::to_value(&ev.kind) {
        Ok(Value::Object(m)) => m,
        // An event kind always serializes to an object with a `kind` tag.
        _ => Map::new(),
    };
    map.remove("kind");
    let snapshot = match &ev.kind {
        EventKind::Spawn { fds, .. } | EventKind::Exec { fds: Some(fds), .. } => fds,
        EventKind::FdSnapshot { fds, .. } => fds,
        _ => return map,
    };
    if let Some(Value::Array(entries)) = map.get_mut("fds") {
        for (entry, fd) in entries.iter_mut().zip(snapshot) {
            if let (Value::Object(e), Some(id)) = (entry, fd.pipe_inode()) {
                e.insert("pipe".into(), Value::String(labels.pipe(id)));
            }
        }
    }
    map
}

/// Writes the normalized event stream: `[`, one element per line, `]`.
pub struct JsonExport<W: Write> {
    out: W,
    written: u64,
}

impl<W: Write> JsonExport<W> {
    /// Starts the array.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"[")?;
        Ok(JsonExport { out, written: 0 })
    }

    /// Writes the element of one event.
    pub fn event(&mut self, seen: &Seen) -> io::Result<()> {
        self.out
            .write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut self.out, &Record::of(seen))?;
        self.written += 1;
        Ok(())
    }

    /// Closes the array and hands back the writer (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(b"\n]\n")?;
        Ok(self.out)
    }
}

/// Replays `events` into a fresh model, handing each to `f` as the export
/// driver does (for the renderers' unit tests).
#[cfg(test)]
pub(crate) fn replay_events(events: &[Event], mut f: impl FnMut(&Seen)) -> Model {
    let mut model = Model::new();
    let mut labels = Labels::default();
    for e in events {
        labels.observe(e);
        let prior = Prior::capture(&model, e, &labels);
        let applied = model.apply(e);
        f(&Seen {
            event: e,
            prior: &prior,
            applied: &applied,
            model: &model,
            labels: &labels,
            lang: Lang::En,
        });
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{DupVia, FdEntry, RawStr};

    fn ev(seq: u64, pid: Pid, kind: EventKind) -> Event {
        Event {
            seq,
            ts_ns: seq * 1000,
            pid,
            kind,
        }
    }

    /// Replays `events` and returns the element of each.
    fn records(events: &[Event]) -> Vec<Value> {
        let mut out = JsonExport::new(Vec::new()).unwrap();
        replay_events(events, |seen| out.event(seen).unwrap());
        let text = String::from_utf8(out.finish().unwrap()).unwrap();
        assert_eq!(text.lines().count(), events.len() + 2, "{text}");
        serde_json::from_str::<Vec<Value>>(&text).unwrap()
    }

    fn spawn(pid: Pid) -> Event {
        ev(
            0,
            pid,
            EventKind::spawned(
                vec![RawStr::from("/bin/sh")],
                vec![FdEntry {
                    fd: 1,
                    target: RawStr::from("/dev/pts/0"),
                    cloexec: false,
                    flags: Some("O_RDWR".into()),
                    same_as: None,
                    same_as_pid: None,
                }],
            ),
        )
    }

    #[test]
    fn a_close_names_the_pipe_end_it_let_go_of() {
        let r = records(&[
            spawn(10),
            ev(
                1,
                10,
                EventKind::Pipe {
                    read_fd: 3,
                    write_fd: 4,
                    pipe_id: 777,
                    cloexec: false,
                    nonblock: false,
                },
            ),
            ev(2, 10, EventKind::Close { fd: 4 }),
        ]);
        assert_eq!(r[1]["pipe"], "pipe#1");
        assert_eq!(r[1]["pipe_id"], 777);
        assert_eq!(r[2]["pipe"], "pipe#1");
        assert_eq!(r[2]["closed"], "pipe#1 write end");
        assert_eq!(r[2]["call"], "close(4)");
        assert_eq!(r[2]["program"], "sh");
        assert!(r[2].get("process").is_none());
    }

    #[test]
    fn a_dup2_over_a_tty_names_the_pipe_it_installs_and_what_it_closed() {
        let r = records(&[
            spawn(10),
            ev(
                1,
                10,
                EventKind::Pipe {
                    read_fd: 3,
                    write_fd: 4,
                    pipe_id: 777,
                    cloexec: false,
                    nonblock: false,
                },
            ),
            ev(
                2,
                10,
                EventKind::Dup {
                    old_fd: 4,
                    new_fd: 1,
                    via: DupVia::Dup2,
                    cloexec: false,
                    errno: None,
                },
            ),
        ]);
        assert_eq!(r[2]["pipe"], "pipe#1");
        assert_eq!(r[2]["closed"], "/dev/pts/0");
        assert_eq!(r[2]["old_fd"], 4);
        assert_eq!(r[2]["kind"], "dup");
    }

    #[test]
    fn a_thread_event_names_its_process_and_an_exec_the_new_program() {
        let r = records(&[
            spawn(10),
            ev(
                1,
                10,
                EventKind::Fork {
                    child: 11,
                    flavor: crate::trace::ForkFlavor::Thread,
                    shares_fds: true,
                    syscall: "clone3".into(),
                    flags: 0,
                    fds: None,
                },
            ),
            ev(2, 11, EventKind::Close { fd: 1 }),
            ev(
                3,
                10,
                EventKind::Exec {
                    path: RawStr::from("/usr/bin/tr"),
                    argv: vec![RawStr::from("tr"), RawStr::from("a-z")],
                    ok: true,
                    errno: None,
                    fds: None,
                    elf: None,
                    script: None,
                    former_tid: None,
                    argv_null: false,
                    unreadable: Vec::new(),
                },
            ),
            ev(
                4,
                10,
                EventKind::Exit {
                    status: crate::trace::Status::Exited { exited: 0 },
                    comm: None,
                },
            ),
        ]);
        assert_eq!(r[2]["pid"], 11);
        assert_eq!(r[2]["process"], 10);
        assert_eq!(r[2]["program"], "sh");
        assert_eq!(r[3]["program"], "tr");
        assert_eq!(r[4]["program"], "tr");
    }
}
