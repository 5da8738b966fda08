//! What several analyses need from (almost) every event, kept once by the
//! [`Doctor`](super::Doctor) instead of once per analysis: the latest close
//! of each live pipe's write ends ([`leaked_write_end`](super::leaked_write_end)
//! and [`fd_leaked_into_exec`](super::fd_leaked_into_exec) name it as
//! evidence), and each live process's latest own action
//! ([`leaked_write_end`](super::leaked_write_end) and
//! [`wait_on_stopped_child`](super::wait_on_stopped_child) measure how long a
//! wait was blocked from it).
//!
//! A replay meets a close or an action at almost every event and a finding
//! needs one only rarely, so what is kept is small and owns no text: a
//! close is its moment, fds and pipe number, worded into an [`EventRef`]
//! only when a finding asks for it. The words are the same as if they had
//! been made at the time: the pipe's number is the one it had then.

use super::Proc;
use super::{proc_of, process_pid, EventFact, EventRef, FdObject};
use crate::model::hash::IdMap;
use crate::model::labels::Labels;
use crate::model::{Applied, Model, Moment, Note, Object, PipeEnd, PipeId};
use crate::trace::{Event, EventKind, Pid};

/// A close() of a pipe's write end, as it was at the time.
#[derive(Clone, Debug)]
pub struct WriteClose {
    /// The close's moment.
    at: Moment,
    /// The task that closed it.
    tid: Pid,
    /// Its process.
    pid: Pid,
    /// The fd.
    fd: i32,
    /// The pipe.
    pipe: PipeId,
    /// The pipe's `pipe#N` number then (`None`: not numbered yet).
    number: Option<u32>,
    /// Which end (as the fd's object names it).
    end: Option<PipeEnd>,
    /// The FIFO's path, for a FIFO.
    fifo: Option<String>,
}

impl WriteClose {
    /// The task that closed it (not its process).
    pub fn tid(&self) -> Pid {
        self.tid
    }

    /// The close as evidence: "closes fd 4 (pipe#1 write end)".
    pub fn event(&self) -> EventRef {
        let label = match self.number {
            Some(n) => Labels::numbered(n),
            None => Labels::unnumbered(self.pipe),
        };
        let object = FdObject::Pipe {
            label,
            end: self.end,
            fifo: self.fifo.clone(),
        };
        let what = EventFact::ClosesFd {
            pid: self.pid,
            fd: self.fd,
            object,
        };
        EventRef::new(self.at, self.tid, what)
    }
}

/// The latest ways a pipe's write ends went.
#[derive(Clone, Debug, Default)]
struct PipeWrites {
    /// The latest close().
    close: Option<WriteClose>,
    /// An exit that closed one after that close (the latest such).
    exit: Option<EventRef>,
}

/// A live process's latest own actions, by the two analyses' measures.
#[derive(Clone, Copy, Debug, Default)]
struct Actions {
    /// Anything but a signal arriving or an interrupted wait.
    any: Option<Moment>,
    /// Anything but a signal arriving, a stop, a continue, or an
    /// interrupted blocking wait.
    own: Option<Moment>,
}

/// Per-event facts shared by analyses (see the module doc).
#[derive(Clone, Debug, Default)]
pub struct Shared {
    writes: IdMap<PipeId, PipeWrites>,
    actions: IdMap<Pid, Actions>,
}

impl Shared {
    /// Before `ev` is applied (`model` still shows the fds it closes).
    pub(super) fn before(&mut self, model: &Model, labels: &Labels, ev: &Event) {
        match ev.kind {
            EventKind::Close { fd } => {
                let Some(v) = model.fd(ev.pid, fd) else {
                    return;
                };
                let Object::Pipe { pipe, fifo } = &v.file.object else {
                    return;
                };
                if !v.file.access.may_write() {
                    return;
                }
                let close = WriteClose {
                    at: Moment::of(ev),
                    tid: ev.pid,
                    pid: process_pid(model, ev.pid),
                    fd,
                    pipe: *pipe,
                    number: labels.number(*pipe),
                    end: v.file.pipe_end().filter(|e| *e != PipeEnd::Unknown),
                    fifo: fifo.as_ref().map(|p| p.lossy().into_owned()),
                };
                let w = self.writes.entry(*pipe).or_default();
                w.close = Some(close);
                w.exit = None;
            }
            EventKind::Exit { .. } => {
                // The last task's exit closes the process's write ends too.
                let Some(p) = model
                    .tree()
                    .process_of_task(ev.pid)
                    .filter(|p| p.tasks.len() == 1)
                else {
                    return;
                };
                let owner = p.pid;
                let Some(table) = model.fd_table(owner) else {
                    return;
                };
                // Each write end, in fd order; the process is named once
                // (and the last one takes that name instead of a copy).
                let mut proc: Option<Proc> = None;
                let mut held: Option<(PipeId, i32)> = None;
                let mut exits = |pipe: PipeId, fd: i32, proc: Proc| {
                    let what = EventFact::ExitsClosingFd { proc, fd };
                    self.writes.entry(pipe).or_default().exit = Some(EventRef::of(ev, what));
                };
                for (fd, slot) in table.iter() {
                    let Some(f) = model.open_file(slot.file) else {
                        continue;
                    };
                    let (Some(pipe), Some(end)) = (f.object.pipe_id(), f.pipe_end()) else {
                        continue;
                    };
                    if !matches!(end, PipeEnd::Write | PipeEnd::Both) {
                        continue;
                    }
                    if let Some((pipe, fd)) = held.replace((pipe, fd)) {
                        let p = proc.get_or_insert_with(|| proc_of(model, owner)).clone();
                        exits(pipe, fd, p);
                    }
                }
                if let Some((pipe, fd)) = held {
                    let p = proc.unwrap_or_else(|| proc_of(model, owner));
                    exits(pipe, fd, p);
                }
            }
            _ => {}
        }
    }

    /// After `ev` was applied and every analysis saw it; `pid` is its process.
    pub(super) fn after(&mut self, ev: &Event, pid: Pid, applied: &Applied) {
        let (any, own) = match &ev.kind {
            EventKind::Signal { .. } => (false, false),
            EventKind::Stop { .. } | EventKind::Continue {} => (true, false),
            EventKind::Wait { nohang, errno, .. } if super::interrupted(errno.as_deref()) => {
                (false, *nohang)
            }
            _ => (true, true),
        };
        if any || own {
            let a = self.actions.entry(pid).or_default();
            let at = Moment::of(ev);
            if any {
                a.any = Some(at);
            }
            if own {
                a.own = Some(at);
            }
        }
        for n in &applied.notes {
            match *n {
                Note::Zombie { pid, .. } => {
                    self.actions.remove(&pid);
                }
                Note::PipeReleased { pipe } => {
                    self.writes.remove(&pipe);
                }
                _ => {}
            }
        }
    }

    /// The latest close() of one of `pipe`'s write ends.
    pub fn last_write_close(&self, pipe: PipeId) -> Option<&WriteClose> {
        self.writes.get(&pipe)?.close.as_ref()
    }

    /// The latest close() of one of `pipe`'s write ends, or exit of a
    /// process that held one, whichever came last.
    pub fn last_write_gone(&self, pipe: PipeId) -> Option<EventRef> {
        let w = self.writes.get(&pipe)?;
        match &w.exit {
            Some(e) => Some(e.clone()),
            None => w.close.as_ref().map(WriteClose::event),
        }
    }

    /// `pid`'s latest own action: anything but a signal arriving or an
    /// interrupted wait.
    pub fn last_action(&self, pid: Pid) -> Option<Moment> {
        self.actions.get(&pid)?.any
    }

    /// `pid`'s latest own action, not counting stops and continues either,
    /// but counting an interrupted wait that did not block (WNOHANG).
    pub fn last_own_action(&self, pid: Pid) -> Option<Moment> {
        self.actions.get(&pid)?.own
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::Script;
    use super::super::{Doctor, EventFact, FdObject};
    use crate::model::PipeEnd;

    /// Replays `s` through a doctor running no analysis (only what it keeps
    /// for all of them).
    fn replayed(s: &Script) -> Doctor {
        let mut d = Doctor::with(Vec::new());
        for ev in &s.events {
            d.observe(ev);
        }
        d
    }

    /// 100 makes pipe 7 (3, 4) and forks 101 and 102, which keep both ends.
    fn two_writers() -> Script {
        let mut s = Script::new(100, "sh");
        s.pipe(100, 3, 4, 7).fork(100, 101).fork(100, 102);
        s
    }

    fn closes(what: &EventFact) -> Option<(i32, i32, String)> {
        match what {
            EventFact::ClosesFd {
                pid,
                fd,
                object:
                    FdObject::Pipe {
                        label,
                        end: Some(PipeEnd::Write),
                        fifo: None,
                    },
            } => Some((*pid, *fd, label.clone())),
            _ => None,
        }
    }

    #[test]
    fn a_write_ends_latest_close_is_worded_with_the_closer_the_fd_and_the_pipes_number() {
        let mut s = two_writers();
        s.close(101, 3).close(101, 4);
        let seq = s.events.len() as u64 - 1;
        let d = replayed(&s);
        let c = d
            .shared
            .last_write_close(7)
            .expect("a close of a write end");
        assert_eq!(c.tid(), 101);
        let e = c.event();
        assert_eq!((e.seq, e.pid), (seq, 101));
        assert_eq!(closes(&e.what), Some((101, 4, "pipe#1".to_string())));
        assert!(
            d.shared.last_write_close(8).is_none(),
            "no other pipe was closed"
        );
    }

    #[test]
    fn an_exit_closing_a_write_end_after_the_latest_close_is_the_latest_way_one_went() {
        let mut s = two_writers();
        s.close(101, 4).exit(102, 0);
        let d = replayed(&s);
        let gone = d.shared.last_write_gone(7).expect("a write end went");
        assert!(
            matches!(gone.what, EventFact::ExitsClosingFd { ref proc, fd: 4 } if proc.pid == 102),
            "{gone:?}"
        );
        let c = d
            .shared
            .last_write_close(7)
            .expect("the close is still the latest close");
        assert_eq!(c.tid(), 101);

        let mut s = two_writers();
        s.exit(102, 0).close(101, 4);
        let d = replayed(&s);
        let gone = d.shared.last_write_gone(7).expect("a write end went");
        assert_eq!(closes(&gone.what), Some((101, 4, "pipe#1".to_string())));
    }

    #[test]
    fn a_pipe_no_fd_refers_to_any_more_is_forgotten() {
        let mut s = two_writers();
        for pid in [100, 101, 102] {
            s.close(pid, 4);
        }
        assert!(replayed(&s).shared.last_write_close(7).is_some());
        for pid in [100, 101, 102] {
            s.close(pid, 3);
        }
        let d = replayed(&s);
        assert!(d.shared.last_write_close(7).is_none());
        assert!(d.shared.last_write_gone(7).is_none());
    }

    #[test]
    fn signals_and_interrupted_waits_are_not_own_actions_and_stops_count_only_as_any() {
        let mut s = Script::new(100, "sh");
        s.fork(100, 101).at(1).close(100, 9);
        let acted = s.events.len() as u64 - 1;
        s.at(2)
            .signal(100, libc::SIGCHLD, Some(101))
            .wait_interrupted(100, 101);
        s.at(3).stop(101);
        let stopped = s.events.len() as u64 - 1;
        let d = replayed(&s);
        assert_eq!(d.shared.last_action(100).map(|m| m.seq), Some(acted));
        assert_eq!(d.shared.last_own_action(100).map(|m| m.seq), Some(acted));
        assert_eq!(d.shared.last_action(101).map(|m| m.seq), Some(stopped));
        assert_ne!(d.shared.last_own_action(101).map(|m| m.seq), Some(stopped));
    }
}
