//! `leaked-write-end`: a pipe's write end stays open in a process that is
//! not writing, so a process reading the pipe never sees EOF, or sees it
//! late.
//!
//! read(2) on a pipe returns 0 (end of file) only once every write end is
//! closed, in every process, the reader's own copy included (pipe(7)). That
//! is why, after fork, each side closes the end it does not use. Reads and
//! writes are not recorded, so who reads and who writes is inferred; a
//! finding needs one of two pieces of evidence:
//!
//! 1. **The reader was killed while waiting.** A process C holding the read
//!    end of pipe P is killed by a signal other than SIGPIPE (or is still
//!    alive when the trace ends) while write ends of P are still open, and
//!    - C holds one of them itself: it could never see EOF (the reader
//!      forgot `close(p[1])` after fork); or
//!    - another process X holds it on fd 3 or above (a copy left over from
//!      fork, not a stdout some program writes through) and X was seen
//!      blocked in a wait for C (rule 2's evidence). Without that evidence X
//!      may simply have been writing through the fd when C was killed, and
//!      nothing is reported; a write end on fd 1 or 2 always counts as a
//!      real writer, so `sleep 9 | cat` killed by a timeout is not reported.
//! 2. **The holder waited for the reader.** Process X's blocking wait comes
//!    back interrupted (EINTR, or ERESTART* as a tracer sees it), so X was
//!    blocked in it, while X holds a write end of P and the child the wait
//!    is for (named by the wait, or X's only live child for a wait on any
//!    child) holds P's read end and no write end. X waits for C, C waits
//!    for EOF from X. Reported when X then closes P's last write end (or
//!    exits) while C is still alive: C was waiting for exactly that. If C
//!    exits first, it did not need EOF and nothing is reported.
//!
//! Never reported: pipes inherited from outside the trace; non-blocking
//! pipes (a self-pipe's reader never blocks for EOF); make's jobserver pipe
//! and ends made inheritable on purpose ([`Deliberate`]); FIFOs opened
//! O_RDWR (their reader holds a write end by design).

use super::shared::WriteClose;
use super::{
    interrupted, wait_covers, Analysis, Code, Context, Deliberate, EventFact, EventRef, FdObject,
    Finding, FindingFact, Proc, ReaderEnd, Release, Role, Severity,
};
use crate::model::hash::IdSet;
use crate::model::{Applied, Moment, Note, Origin, PipeEnd, PipeId};
use crate::trace::{Event, EventKind, Pid, Status};

/// Finds write ends that keep a reader from EOF.
#[derive(Default)]
pub struct LeakedWriteEnd {
    /// Waits by a write-end holder for a reader of the same pipe, not yet confirmed.
    suspects: Vec<Suspect>,
    /// (holder, reader, pipe) already reported.
    reported: IdSet<(Pid, Pid, PipeId)>,
    /// Pipes made O_NONBLOCK.
    nonblock: IdSet<PipeId>,
    deliberate: Deliberate,
}

/// X waited for C while holding a write end of the pipe C reads.
struct Suspect {
    holder: Pid,
    holder_prog: String,
    reader: Pid,
    reader_prog: String,
    pipe: PipeId,
    label: String,
    holder_fd: i32,
    reader_fd: i32,
    wait: EventRef,
    blocked_since: Option<Moment>,
}

/// How the reader's wait for EOF ended.
enum Outcome<'a> {
    /// Killed by this exit event.
    Killed(&'a Event, Status),
    /// Still alive at the end of the trace.
    StillAlive(Moment),
}

impl LeakedWriteEnd {
    fn ignored(&self, cx: &Context<'_>, pipe: PipeId) -> bool {
        !cx.traced_pipe(pipe) || self.nonblock.contains(&pipe) || cx.is_jobserver(pipe)
    }

    /// Rule 1: reader `c` is dying (or the trace ends) while its pipe still has writers.
    fn check_reader(&mut self, cx: &Context<'_>, c: Pid, how: Outcome<'_>, out: &mut Vec<Finding>) {
        let fds = cx.pipe_fds(c);
        for r in fds.iter().filter(|r| r.end == PipeEnd::Read) {
            let pipe = r.pipe;
            if self.ignored(cx, pipe) {
                continue;
            }
            let Some(holders) = cx.model.pipe_holders(pipe) else {
                continue;
            };
            if holders.writers.is_empty() {
                continue; // EOF was there to be read; it died of something else
            }
            let own: Vec<i32> = fds
                .iter()
                .filter(|w| w.pipe == pipe && w.writes() && !self.deliberate.contains(w.file))
                .map(|w| w.fd)
                .collect();
            if let Some(&wfd) = own.first() {
                if self.reported.insert((c, c, pipe)) {
                    out.push(self.own_copy(cx, c, r.fd, wfd, pipe, &how));
                }
                continue;
            }
            let others: Vec<(Pid, i32)> = holders
                .writers
                .iter()
                .copied()
                .filter(|(p, _)| *p != c)
                .collect();
            if others.is_empty() || others.iter().any(|(_, fd)| *fd < 3) {
                continue;
            }
            let deliberate = others.iter().any(|(p, fd)| {
                cx.model
                    .fd(*p, *fd)
                    .is_some_and(|v| self.deliberate.contains(v.file.id))
            });
            if deliberate {
                continue;
            }
            // Only a holder seen waiting for C is known not to be writing.
            let Some(i) = self.suspects.iter().position(|s| {
                s.reader == c && s.pipe == pipe && others.iter().any(|o| o.0 == s.holder)
            }) else {
                continue;
            };
            let s = self.suspects.swap_remove(i);
            if !self.reported.insert((s.holder, c, pipe)) {
                continue;
            }
            out.push(self.held_elsewhere(cx, c, r.fd, s.holder, s.holder_fd, pipe, s.wait, &how));
        }
    }

    /// The reader holds its own write end.
    fn own_copy(
        &self,
        cx: &Context<'_>,
        c: Pid,
        rfd: i32,
        wfd: i32,
        pipe: PipeId,
        how: &Outcome<'_>,
    ) -> Finding {
        let label = cx.pipe(pipe);
        let prog = cx.name(c);
        let born = cx
            .model
            .process(c)
            .filter(|p| matches!(p.origin, Origin::Fork { .. }))
            .map(|p| {
                let by = cx.model.tree().parent(p.id).map_or(c, |pp| pp.pid);
                EventRef::new(p.born, by, EventFact::ForkGetsBothEnds { child: c })
            });
        // The latest close() of a write end of the pipe (the doctor keeps
        // it for every live pipe), unless the reader made it.
        let closed = cx
            .shared
            .last_write_close(pipe)
            .filter(|e| cx.process_pid(e.tid()) != c)
            .map(WriteClose::event);
        let (outcome, end_ev, sev) = outcome_fact(cx, c, how);
        let fact = FindingFact::OwnWriteEnd {
            reader: Proc::new(c, prog.clone()),
            pipe: label.clone(),
            rfd,
            wfd,
            forked_at: born.as_ref().map(|b| b.seq),
            others_closed_at: closed.as_ref().map(|e| e.seq),
            outcome,
        };
        Finding::new(Code::LeakedWriteEnd, sev, end_ev.seq, fact)
            .process(c, &prog, Role::Reader)
            .fd(c, wfd, FdObject::pipe(&label, PipeEnd::Write), Role::Leaked)
            .fd(c, rfd, FdObject::pipe(&label, PipeEnd::Read), Role::Reader)
            .pipe(&label)
            .maybe_event(born)
            .maybe_event(closed)
            .event(end_ev)
    }

    #[allow(clippy::too_many_arguments)]
    fn held_elsewhere(
        &self,
        cx: &Context<'_>,
        c: Pid,
        rfd: i32,
        x: Pid,
        wfd: i32,
        pipe: PipeId,
        wait: EventRef,
        how: &Outcome<'_>,
    ) -> Finding {
        let label = cx.pipe(pipe);
        let (cprog, xprog) = (cx.name(c), cx.name(x));
        let (outcome, end_ev, sev) = outcome_fact(cx, c, how);
        let fact = FindingFact::HeldElsewhere {
            holder: Proc::new(x, xprog.clone()),
            reader: Proc::new(c, cprog.clone()),
            pipe: label.clone(),
            rfd,
            wfd,
            wait_seq: wait.seq,
            outcome,
        };
        Finding::new(Code::LeakedWriteEnd, sev, end_ev.seq, fact)
            .process(x, &xprog, Role::Leaked)
            .process(c, &cprog, Role::Reader)
            .fd(x, wfd, FdObject::pipe(&label, PipeEnd::Write), Role::Leaked)
            .fd(c, rfd, FdObject::pipe(&label, PipeEnd::Read), Role::Reader)
            .pipe(&label)
            .event(wait)
            .event(end_ev)
    }

    fn on_wait(&mut self, cx: &Context<'_>, ev: &Event, x: Pid, target: i64) {
        let Some(waiter) = cx.live(x) else {
            return;
        };
        let live_children: Vec<Pid> = cx
            .model
            .tree()
            .children(waiter.id)
            .filter(|p| p.is_alive())
            .map(|p| p.pid)
            .collect();
        // Its latest own action (not a signal arriving, not an interrupted
        // wait), to tell how long it was blocked.
        let since = cx.shared.last_action(x);
        for w in cx.pipe_fds(x).iter().filter(|w| w.writes()) {
            if self.ignored(cx, w.pipe) || self.deliberate.contains(w.file) {
                continue;
            }
            let Some(holders) = cx.model.pipe_holders(w.pipe) else {
                continue;
            };
            for &(c, rfd) in &holders.readers {
                if c == x || holders.writers.iter().any(|(p, _)| *p == c) {
                    continue;
                }
                let Some(child) = cx.live(c) else {
                    continue;
                };
                let for_c = target == i64::from(c)
                    || (live_children == [c] && wait_covers(target, child, waiter));
                let known = self
                    .suspects
                    .iter()
                    .any(|s| s.holder == x && s.reader == c && s.pipe == w.pipe);
                if !for_c || known || self.reported.contains(&(x, c, w.pipe)) {
                    continue;
                }
                let what = EventFact::WaitInterrupted {
                    waiter: x,
                    child: c,
                    after_ns: since.map(|s| ev.ts_ns.saturating_sub(s.ts_ns)),
                };
                self.suspects.push(Suspect {
                    holder: x,
                    holder_prog: cx.name(x),
                    reader: c,
                    reader_prog: cx.name(c),
                    pipe: w.pipe,
                    label: cx.pipe(w.pipe),
                    holder_fd: w.fd,
                    reader_fd: rfd,
                    wait: EventRef::of(ev, what),
                    blocked_since: since,
                });
            }
        }
    }

    /// The last write end of `pipe` closed, by `by`.
    fn on_eof(
        &mut self,
        cx: &Context<'_>,
        ev: &Event,
        pipe: PipeId,
        by: Pid,
        out: &mut Vec<Finding>,
    ) {
        let mut i = 0;
        while i < self.suspects.len() {
            if self.suspects[i].pipe != pipe {
                i += 1;
                continue;
            }
            let s = self.suspects.swap_remove(i);
            if s.holder != by
                || cx.live(s.reader).is_none()
                || !self.reported.insert((s.holder, s.reader, pipe))
            {
                continue;
            }
            out.push(confirmed(ev, s));
        }
    }
}

/// Text, event and severity for how the reader's wait ended.
/// How the reader's wait ended, the event that shows it, and how bad that is.
fn outcome_fact(cx: &Context<'_>, c: Pid, how: &Outcome<'_>) -> (ReaderEnd, EventRef, Severity) {
    match how {
        Outcome::Killed(ev, status) => {
            let signal = match status {
                Status::Signaled { signaled, .. } => Some(*signaled),
                _ => None,
            };
            let after_ns = cx
                .model
                .process(c)
                .map(|p| ev.ts_ns.saturating_sub(p.born.ts_ns));
            (
                ReaderEnd::Killed {
                    signal,
                    seq: ev.seq,
                    after_ns,
                },
                EventRef::of(ev, EventFact::KilledWhileReading { pid: c, signal }),
                Severity::Error,
            )
        }
        Outcome::StillAlive(at) => (
            ReaderEnd::StillWaiting { seq: at.seq },
            EventRef::new(*at, c, EventFact::TraceEndsWaitingForEof { pid: c }),
            Severity::Warning,
        ),
    }
}

fn confirmed(ev: &Event, s: Suspect) -> Finding {
    let Suspect {
        holder: x,
        holder_prog: xprog,
        reader: c,
        reader_prog: cprog,
        label,
        holder_fd: wfd,
        reader_fd: rfd,
        wait,
        blocked_since,
        ..
    } = s;
    let release = match ev.kind {
        EventKind::Exit { .. } => Release::Exited,
        EventKind::Close { fd } => Release::Closed(fd),
        _ => Release::Other,
    };
    let fact = FindingFact::WaitedHoldingWriteEnd {
        holder: Proc::new(x, xprog.clone()),
        reader: Proc::new(c, cprog.clone()),
        pipe: label.clone(),
        rfd,
        wfd,
        wait_seq: wait.seq,
        blocked_ns: blocked_since.map(|since| wait.ts_ns.saturating_sub(since.ts_ns)),
        release,
        release_seq: ev.seq,
    };
    let mut f = Finding::new(Code::LeakedWriteEnd, Severity::Error, wait.seq, fact)
        .process(x, &xprog, Role::Leaked)
        .process(c, &cprog, Role::Reader)
        .fd(x, wfd, FdObject::pipe(&label, PipeEnd::Write), Role::Leaked)
        .fd(c, rfd, FdObject::pipe(&label, PipeEnd::Read), Role::Reader)
        .pipe(&label)
        .event(wait)
        .event(EventRef::of(
            ev,
            EventFact::LastWriteEndGoes {
                holder: x,
                release,
                reader: c,
            },
        ));
    if let Some(since) = blocked_since {
        f = f.duration(ev.ts_ns.saturating_sub(since.ts_ns));
    }
    f
}

impl Analysis for LeakedWriteEnd {
    fn before(&mut self, cx: &Context<'_>, ev: &Event, out: &mut Vec<Finding>) {
        match ev.kind {
            EventKind::Exit {
                status: Status::Signaled { signaled, .. },
                ..
            } if signaled.0 != libc::SIGPIPE => {
                // Only the exit of the last task ends the process.
                let last = cx
                    .model
                    .tree()
                    .process_of_task(ev.pid)
                    .filter(|p| p.tasks.len() == 1)
                    .map(|p| p.pid);
                if let (Some(c), EventKind::Exit { status, .. }) = (last, &ev.kind) {
                    self.check_reader(cx, c, Outcome::Killed(ev, *status), out);
                }
            }
            _ => {}
        }
    }

    fn after(&mut self, cx: &Context<'_>, ev: &Event, applied: &Applied, out: &mut Vec<Finding>) {
        self.deliberate.after(cx, ev);
        let x = cx.pid;
        match &ev.kind {
            EventKind::Pipe {
                pipe_id,
                nonblock: true,
                ..
            } => {
                self.nonblock.insert(*pipe_id);
            }
            EventKind::Wait {
                target,
                nohang: false,
                errno,
                ..
            } if interrupted(errno.as_deref()) => self.on_wait(cx, ev, x, *target),
            _ => {}
        }
        for n in &applied.notes {
            match *n {
                Note::PipeEof { pipe, pid, .. } => self.on_eof(cx, ev, pipe, pid, out),
                Note::Zombie { pid, .. } => {
                    self.suspects.retain(|s| s.reader != pid && s.holder != pid);
                }
                Note::PipeReleased { pipe } => {
                    if !self.nonblock.is_empty() {
                        self.nonblock.remove(&pipe);
                    }
                    self.suspects.retain(|s| s.pipe != pipe);
                }
                _ => {}
            }
        }
    }

    fn finish(&mut self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let live: Vec<Pid> = cx.model.tree().live().map(|p| p.pid).collect();
        for c in live {
            self.check_reader(cx, c, Outcome::StillAlive(cx.now), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{clean_pipeline, English, Script};
    use super::super::{Code, Role, Severity};

    fn leaked_fd(f: &super::Finding) -> (i32, i32) {
        let l = f.fds.iter().find(|d| d.role == Role::Leaked).unwrap();
        (l.pid, l.fd)
    }

    /// 100 makes pipe 7 (3, 4) and forks reader 101, which forgets close(4).
    fn reader_keeps_its_copy() -> Script {
        let mut s = Script::new(100, "prog");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .close(100, 3)
            .close(100, 4);
        s.at(300)
            .kill(100, 101, libc::SIGTERM)
            .signal(101, libc::SIGTERM, Some(100));
        s.killed(101, libc::SIGTERM)
            .reap(100, 101, 101)
            .exit(100, 0);
        s
    }

    #[test]
    fn a_reader_killed_while_holding_its_own_write_end_is_reported() {
        let f = reader_keeps_its_copy().findings_of(Code::LeakedWriteEnd);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(leaked_fd(&f[0]), (101, 4));
        assert_eq!(f[0].severity, Severity::Error);
        assert_eq!(f[0].pipes, vec!["pipe#1".to_string()]);
        assert!(
            f[0].summary().contains("held its own write end (fd 4)"),
            "{}",
            f[0].summary()
        );
    }

    #[test]
    fn a_parent_waiting_for_its_reader_while_holding_the_write_end_is_reported() {
        let mut s = Script::new(100, "prog");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .close(101, 4)
            .close(100, 3);
        s.at(300)
            .wait_interrupted(100, 101)
            .signal(100, libc::SIGALRM, None);
        s.close(100, 4)
            .exit(101, 0)
            .reap(100, 101, 101)
            .exit(100, 0);
        let f = s.findings_of(Code::LeakedWriteEnd);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(leaked_fd(&f[0]), (100, 4));
        let reader = f[0].fds.iter().find(|d| d.role == Role::Reader).unwrap();
        assert_eq!((reader.pid, reader.fd), (101, 3));
        assert!(f[0].duration_ns.unwrap() >= 299_000_000);
    }

    #[test]
    fn a_reader_that_exits_on_its_own_before_the_write_end_closes_is_not_reported() {
        let mut s = Script::new(100, "prog");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .close(101, 4)
            .close(100, 3);
        s.at(300)
            .wait_interrupted(100, 101)
            .exit(101, 0)
            .close(100, 4);
        s.reap(100, 101, 101).exit(100, 0);
        assert!(s.findings_of(Code::LeakedWriteEnd).is_empty());
    }

    #[test]
    fn a_reader_killed_while_its_parent_waits_for_it_with_the_write_end_is_reported() {
        let mut s = Script::new(100, "prog");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .close(101, 4)
            .close(100, 3);
        s.at(300)
            .wait_interrupted(100, 101)
            .killed(101, libc::SIGINT);
        s.reap(100, 101, 101).exit(100, 0);
        let f = s.findings_of(Code::LeakedWriteEnd);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(leaked_fd(&f[0]), (100, 4));
    }

    #[test]
    fn a_killed_reader_whose_parent_may_still_be_writing_is_not_reported() {
        let mut s = Script::new(100, "prog");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .close(101, 4)
            .close(100, 3);
        s.at(300)
            .kill(100, 101, libc::SIGTERM)
            .killed(101, libc::SIGTERM);
        s.reap(100, 101, 101).exit(100, 0);
        assert!(s.findings_of(Code::LeakedWriteEnd).is_empty());
    }

    #[test]
    fn a_killed_reader_whose_writer_writes_through_stdout_is_not_reported() {
        // `sleep 9 | cat` stopped by a timeout: the write end is sleep's fd 1.
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
        s.at(1000)
            .killed(102, libc::SIGTERM)
            .killed(101, libc::SIGTERM);
        assert!(s.findings_of(Code::LeakedWriteEnd).is_empty());
    }

    #[test]
    fn a_nonblocking_self_pipe_is_not_reported() {
        let mut s = Script::new(100, "daemon");
        s.ev(
            100,
            crate::trace::EventKind::Pipe {
                read_fd: 3,
                write_fd: 4,
                pipe_id: 7,
                cloexec: true,
                nonblock: true,
            },
        );
        s.fork(100, 101).exit(101, 0).reap(100, -1, 101);
        s.at(500).killed(100, libc::SIGTERM);
        assert!(s.findings_of(Code::LeakedWriteEnd).is_empty());
    }

    #[test]
    fn a_clean_pipeline_has_no_leaked_write_end() {
        assert!(clean_pipeline()
            .findings_of(Code::LeakedWriteEnd)
            .is_empty());
    }
}
