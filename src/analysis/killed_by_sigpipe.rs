//! `killed-by-sigpipe`: a process died of SIGPIPE, with the pipe it wrote
//! to and who closed that pipe's last read end.
//!
//! Writing to a pipe that has no read end open anywhere fails with EPIPE
//! and first raises SIGPIPE, whose default action kills the writer
//! (pipe(7)). Writes are not recorded, so the pipe is inferred: among the
//! write ends (of pipes made in the trace) the process held when it died,
//! one whose pipe had no read end left, stdout first. The model's
//! `PipeBroken` note for that pipe names the process, fd and event that
//! closed the last read end.
//!
//! The recorder writes a process's `exit` once it is fully gone, after the
//! kernel closed its fds, so a reader's exit can come after the death it
//! caused. When none of the writer's pipes is broken yet, the finding waits
//! up to [`EXIT_ORDER_SLOP_NS`] for one of them to lose its last reader.
//!
//! In a shell pipeline whose reader stops early (`yes | head -1`) this is
//! the normal way the writer learns to stop, and the finding is only info
//! (the writer's stdout was the pipe and the last reader's stdin); anywhere
//! else it is a warning: usually a reader that quit or crashed too soon.

use super::{
    fact, Analysis, CloseHow, Code, Context, EventFact, EventRef, FdObject, Finding, FindingFact,
    Proc, Role, Severity, EXIT_ORDER_SLOP_NS,
};
use crate::model::hash::IdMap;
use crate::model::{Applied, Note, PipeEnd, PipeId};
use crate::trace::{Event, EventKind, Pid, Status};

#[derive(Default)]
pub struct KilledBySigpipe {
    /// Per live pipe with no reader left: who closed the last read end.
    broken: IdMap<PipeId, Closer>,
    /// SIGPIPE sent with kill() to a pid.
    sent: IdMap<Pid, EventRef>,
    /// Deaths whose pipe had readers left in the model at the time.
    pending: Vec<Death>,
    /// For pending deaths: the readers of their pipes before the current event.
    readers_before: IdMap<PipeId, Vec<(Pid, i32)>>,
}

#[derive(Clone)]
struct Closer {
    pid: Pid,
    program: String,
    fd: i32,
    ev: EventRef,
}

/// A writer dead of SIGPIPE.
struct Death {
    pid: Pid,
    program: String,
    ev: EventRef,
    /// Its write ends on pipes made in the trace: (fd, pipe), stdout first.
    writes: Vec<(i32, PipeId)>,
}

/// The last read end of `label` closing: `pid`'s `fd`, by `ev`.
fn closer_event(ev: &Event, pid: Pid, program: &str, fd: i32, label: &str) -> EventFact {
    let how = match ev.kind {
        EventKind::Exit { .. } => CloseHow::Exit,
        EventKind::Close { .. } | EventKind::CloseRange { .. } => CloseHow::Close,
        EventKind::Exec { .. } => CloseHow::Exec,
        EventKind::Dup { .. } => CloseHow::Dup,
        _ => CloseHow::Other,
    };
    EventFact::LastReadEndCloses {
        proc: Proc::new(pid, program),
        fd,
        pipe: label.to_string(),
        how,
    }
}

impl Death {
    fn base(&self, fact: FindingFact) -> Finding {
        Finding::new(Code::KilledBySigpipe, Severity::Warning, self.ev.seq, fact).process(
            self.pid,
            &self.program,
            Role::Writer,
        )
    }

    fn finding(
        self,
        cx: &Context<'_>,
        fd: i32,
        pipe: PipeId,
        closer: Option<Closer>,
        late: bool,
    ) -> Finding {
        let c = self.pid;
        let label = cx.pipe(pipe);
        let fact = FindingFact::SigpipeBrokenPipe {
            writer: Proc::new(c, self.program.clone()),
            pipe: label.clone(),
            fd,
            closer: closer.as_ref().map(|k| fact::Closer {
                proc: Proc::new(k.pid, k.program.clone()),
                fd: k.fd,
                seq: k.ev.seq,
                event: k.ev.what.clone(),
            }),
            late,
            death_seq: self.ev.seq,
        };
        let mut f = self
            .base(fact)
            .fd(c, fd, FdObject::pipe(&label, PipeEnd::Write), Role::Writer)
            .pipe(&label);
        if fd == 1 && closer.as_ref().is_some_and(|k| k.fd == 0) {
            f.severity = Severity::Info;
        }
        if let Some(k) = closer {
            f = f
                .process(k.pid, &k.program, Role::Closer)
                .fd(
                    k.pid,
                    k.fd,
                    FdObject::pipe(&label, PipeEnd::Read),
                    Role::Closer,
                )
                .event(k.ev);
        }
        f.event(self.ev)
    }
}

impl KilledBySigpipe {
    fn on_death(&mut self, cx: &Context<'_>, ev: &Event, c: Pid, out: &mut Vec<Finding>) {
        let program = cx.name(c);
        let fds = cx.pipe_fds(c);
        // Only a pipe made in the trace has all its readers known; one
        // inherited from outside (the recorder's own stdout, say) may be
        // read by a process the model never sees.
        let mut writes: Vec<(i32, PipeId)> = fds
            .iter()
            .filter(|w| w.writes() && cx.traced_pipe(w.pipe))
            .map(|w| (w.fd, w.pipe))
            .collect();
        writes.sort_by_key(|(fd, _)| (*fd != 1, *fd));
        let death = Death {
            pid: c,
            ev: EventRef::of(
                ev,
                EventFact::KilledBySigpipe {
                    proc: Proc::new(c, program.clone()),
                },
            ),
            program,
            writes,
        };
        if let Some(k) = self.sent.remove(&c) {
            let fact = FindingFact::SigpipeSent {
                writer: Proc::new(c, death.program.clone()),
                sender: k.pid,
                sent_seq: k.seq,
            };
            let f = death.base(fact).event(k);
            out.push(f.event(death.ev));
            return;
        }
        let broken = death.writes.iter().copied().find(|(_, p)| {
            cx.model
                .pipe(*p)
                .is_some_and(|p| p.read_ends() == 0 && p.unknown_ends() == 0)
        });
        if let Some((fd, pipe)) = broken {
            let closer = self.broken.get(&pipe).cloned();
            out.push(death.finding(cx, fd, pipe, closer, false));
            return;
        }
        if !death.writes.is_empty() {
            self.pending.push(death);
            return;
        }
        let fact = FindingFact::SigpipeElsewhere {
            writer: Proc::new(c, death.program.clone()),
            outside: fds
                .iter()
                .find(|w| w.writes())
                .map(|o| (o.fd, cx.pipe(o.pipe))),
        };
        let f = death.base(fact);
        out.push(f.event(death.ev));
    }

    fn settle(&mut self, cx: &Context<'_>, ev: &Event, out: &mut Vec<Finding>) {
        let mut i = 0;
        while i < self.pending.len() {
            let d = &self.pending[i];
            let found = d.writes.iter().find_map(|&(fd, pipe)| {
                let before = self.readers_before.get(&pipe)?;
                let now = cx
                    .model
                    .pipe_holders(pipe)
                    .map(|h| h.readers)
                    .unwrap_or_default();
                if before.is_empty() || !now.is_empty() {
                    return None;
                }
                let p = cx.process_pid(ev.pid);
                let &(pid, rfd) = before.iter().find(|(x, _)| *x == p).unwrap_or(&before[0]);
                let program = cx.name(pid);
                let what = closer_event(ev, pid, &program, rfd, &cx.pipe(pipe));
                let ev = EventRef::of(ev, what);
                Some((
                    fd,
                    pipe,
                    Closer {
                        pid,
                        program,
                        fd: rfd,
                        ev,
                    },
                ))
            });
            let expired = ev.ts_ns.saturating_sub(d.ev.ts_ns) > EXIT_ORDER_SLOP_NS;
            match found {
                Some((fd, pipe, k)) => {
                    let d = self.pending.swap_remove(i);
                    out.push(d.finding(cx, fd, pipe, Some(k), true));
                }
                None if expired => {
                    let d = self.pending.swap_remove(i);
                    let (fd, pipe) = d.writes[0];
                    out.push(d.finding(cx, fd, pipe, None, false));
                }
                None => i += 1,
            }
        }
        self.readers_before.clear();
    }
}

impl Analysis for KilledBySigpipe {
    fn before(&mut self, cx: &Context<'_>, ev: &Event, out: &mut Vec<Finding>) {
        for d in &self.pending {
            for &(_, pipe) in &d.writes {
                let readers = cx
                    .model
                    .pipe_holders(pipe)
                    .map(|h| h.readers)
                    .unwrap_or_default();
                self.readers_before.insert(pipe, readers);
            }
        }
        let EventKind::Exit {
            status: Status::Signaled { signaled, .. },
            ..
        } = ev.kind
        else {
            return;
        };
        if signaled.0 != libc::SIGPIPE {
            return;
        }
        let last = cx
            .model
            .tree()
            .process_of_task(ev.pid)
            .filter(|p| p.tasks.len() == 1)
            .map(|p| p.pid);
        if let Some(c) = last {
            self.on_death(cx, ev, c, out);
        }
    }

    fn after(&mut self, cx: &Context<'_>, ev: &Event, applied: &Applied, out: &mut Vec<Finding>) {
        if !self.pending.is_empty() {
            self.settle(cx, ev, out);
        }
        if let EventKind::Kill {
            target,
            signal,
            ok: true,
            ..
        } = ev.kind
        {
            if signal.0 == libc::SIGPIPE && target > 0 && target != i64::from(ev.pid) {
                let what = EventFact::SendsSigpipe {
                    from: ev.pid,
                    to: target,
                };
                self.sent.insert(target as Pid, EventRef::of(ev, what));
            }
        }
        for n in &applied.notes {
            match *n {
                Note::PipeBroken { pipe, pid, fd, .. } => {
                    let program = cx.name(pid);
                    let what = closer_event(ev, pid, &program, fd, &cx.pipe(pipe));
                    self.broken.insert(
                        pipe,
                        Closer {
                            pid,
                            program,
                            fd,
                            ev: EventRef::of(ev, what),
                        },
                    );
                }
                Note::PipeReleased { pipe } if !self.broken.is_empty() => {
                    self.broken.remove(&pipe);
                }
                Note::Zombie { pid, .. } if !self.sent.is_empty() => {
                    self.sent.remove(&pid);
                }
                _ => {}
            }
        }
    }

    fn finish(&mut self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for d in self.pending.drain(..) {
            let (fd, pipe) = d.writes[0];
            out.push(d.finding(cx, fd, pipe, None, false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{English, Script};
    use super::super::{Code, Role, Severity};

    /// 100 makes pipe 7 (3, 4); reader 101 closes its write end; writer 102
    /// keeps fd 4 and dies of SIGPIPE once 101 is gone.
    fn reader_quits_first(recorded_late: bool) -> Script {
        let mut s = Script::new(100, "sigpipe");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .close(101, 4)
            .close(100, 3)
            .fork(100, 102)
            .close(100, 4);
        if !recorded_late {
            s.exit(101, 0);
        }
        s.signal(102, libc::SIGPIPE, Some(102))
            .killed(102, libc::SIGPIPE);
        if recorded_late {
            s.exit(101, 0);
        }
        s.reap(100, 101, 101).reap(100, 102, 102).exit(100, 0);
        s
    }

    #[test]
    fn a_writer_killed_by_sigpipe_names_the_pipe_and_the_last_reader() {
        for late in [false, true] {
            let f = reader_quits_first(late).findings_of(Code::KilledBySigpipe);
            assert_eq!(f.len(), 1, "{f:#?}");
            let w = f[0].fds.iter().find(|x| x.role == Role::Writer).unwrap();
            assert_eq!((w.pid, w.fd), (102, 4));
            let c = f[0].fds.iter().find(|x| x.role == Role::Closer).unwrap();
            assert_eq!((c.pid, c.fd), (101, 3), "late: {late}");
            assert_eq!(f[0].pipes, vec!["pipe#1".to_string()]);
            assert!(
                f[0].summary().contains("its last reader, 101"),
                "{}",
                f[0].summary()
            );
        }
    }

    #[test]
    fn a_pipeline_writer_stopped_by_an_early_reader_is_only_info() {
        // `yes | head -1`
        let mut s = Script::new(100, "sh");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .dup2(101, 4, 1)
            .close(101, 3)
            .close(101, 4);
        s.fork(100, 102)
            .dup2(102, 3, 0)
            .close(102, 3)
            .close(102, 4)
            .close(100, 3)
            .close(100, 4);
        s.exec(101, "yes", &["yes"])
            .exec(102, "head", &["head", "-1"])
            .exit(102, 0);
        s.killed(101, libc::SIGPIPE)
            .reap(100, -1, 102)
            .reap(100, -1, 101)
            .exit(100, 0);
        let f = s.findings_of(Code::KilledBySigpipe);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].summary().contains("(yes)"), "{}", f[0].summary());
    }

    #[test]
    fn sigpipe_sent_by_kill_is_told_apart_from_a_broken_pipe() {
        let mut s = Script::new(100, "sh");
        s.fork(100, 101)
            .kill(100, 101, libc::SIGPIPE)
            .killed(101, libc::SIGPIPE);
        s.reap(100, 101, 101).exit(100, 0);
        let f = s.findings_of(Code::KilledBySigpipe);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].summary().contains("sent with kill() by 100"),
            "{}",
            f[0].summary()
        );
    }
}
