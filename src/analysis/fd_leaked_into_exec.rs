//! `fd-leaked-into-exec`: a pipe end survives execve into a program that
//! never uses it.
//!
//! execve keeps every fd that is not close-on-exec (FD_CLOEXEC). A pipe end
//! the new program knows nothing about stays open for its whole life: a
//! leaked write end keeps the pipe's readers from seeing EOF until the
//! program exits; a leaked read end keeps writers from getting EPIPE when
//! the real reader quits, so they may block on a full pipe instead.
//!
//! Candidates: at every successful exec, each fd of 3 or more that is a pipe
//! end made inside the trace and not close-on-exec. A candidate is dropped
//! as soon as the program shows it knows the fd: it closes it, dups it,
//! changes its close-on-exec flag, opens `/dev/fd/N`, or the exec's argv
//! names it (a word with `/dev/fd/N`, or a word about fds such as
//! `--status-fd=N` or `--jobserver-auth=R,W`). What is left when the program
//! exits (or the trace ends) is reported, one finding per open file
//! description: an end that leaked into several programs is one finding.
//!
//! Stdio (fds 0-2) is passed on purpose, so a write end there is a
//! candidate only when the process inherited it through fork as it was
//! (it did not dup or open onto that fd itself: a background job sharing
//! its shell's stdout, `{ sleep 9 & echo hi; } | cat`), and it is reported
//! only when it visibly hurt: every other write end was closed and the
//! readers' EOF waited for this program to exit.
//!
//! Not reported: other stdio fds; pipes inherited from
//! outside the trace; ends made inheritable on purpose ([`Deliberate`]);
//! make's jobserver pipe. Severity is error when the leak visibly hurt: the
//! program's exit is what finally closed the pipe's last write end while
//! readers waited for EOF, or the program reads the same pipe (it can never
//! see EOF while it holds a write end of its own input).

use super::{
    Analysis, Code, Context, DelayedEof, Deliberate, EventFact, EventRef, ExecLeak, FdObject,
    Finding, FindingFact, LeakEnd, PipeFd, Proc, Role, Severity, EXIT_ORDER_SLOP_NS,
};
use crate::model::hash::{IdMap, IdSet};
use crate::model::{Applied, Note, OpenFileId, Origin, PipeEnd, PipeId, PipeOrigin};
use crate::trace::{Event, EventKind, Pid, RawStr};
use std::collections::BTreeMap;

/// Finds pipe ends that leak across exec.
#[derive(Default)]
pub struct FdLeakedIntoExec {
    /// Leaks of live processes, by process.
    open: IdMap<Pid, Vec<Leak>>,
    /// Leaks whose program ended (or the trace did).
    done: Vec<Leak>,
    deliberate: Deliberate,
    /// Stdio fds a live process put in place itself (dup2, open, pipe)
    /// rather than inherited as they were.
    placed: IdSet<(Pid, i32)>,
}

/// One fd of one process that came through exec unused.
struct Leak {
    pid: Pid,
    fd: i32,
    file: OpenFileId,
    pipe: PipeId,
    label: String,
    end: PipeEnd,
    program: String,
    /// The execs it survived, oldest first.
    execs: Vec<EventRef>,
    /// Where the pipe was made.
    made: Option<EventRef>,
    /// Another fd of the same process reading the same pipe.
    reads_same: Option<i32>,
    /// An fd 0-2 inherited through fork as it was.
    stdio: bool,
    /// The program's exit, or the end of the trace.
    end_ev: Option<EventRef>,
    /// Still open when the trace ended.
    at_end: bool,
    /// Its exit closed the pipe's last write end with this many readers left.
    eof_delayed: Option<u32>,
    /// When every other write end of the pipe had closed while it still
    /// had a reader: from then on only leaked copies kept it open.
    others_done: Option<EventRef>,
    /// When the pipe's last reader went away after `others_done`.
    readers_gone: Option<EventRef>,
    /// The readers (pid, fd, program) at `others_done`.
    readers: Vec<(Pid, i32, String)>,
}

impl Leak {
    /// Did a reader wait for EOF that only this leak's end delivered?
    fn delayed_eof(&self) -> bool {
        if self.eof_delayed.is_some_and(|r| r > 0) {
            return true;
        }
        // The recorder writes `exit` once the process is fully gone, after
        // the kernel closed its fds: a reader woken by that EOF may exit
        // first in the trace. A reader gone just before counts too.
        match (&self.others_done, &self.readers_gone, &self.end_ev) {
            (Some(_), Some(g), Some(e)) if !self.at_end => {
                e.ts_ns.saturating_sub(g.ts_ns) <= EXIT_ORDER_SLOP_NS
            }
            _ => false,
        }
    }
}

/// Does an argv word name `fd` (`/dev/fd/4`, `--status-fd=4`, `--jobserver-auth=3,4`)?
fn argv_names(argv: &[RawStr], fd: i32) -> bool {
    let n = fd.to_string();
    argv.iter().any(|w| {
        let w = w.lossy().to_ascii_lowercase();
        if w.contains(&format!("/dev/fd/{n}")) || w.contains(&format!("/fd/{n}")) {
            return true;
        }
        (w.contains("fd") || w.contains("jobserver") || w.contains("pipe"))
            && w.split(|c: char| !c.is_ascii_digit()).any(|t| t == n)
    })
}

/// The fd a `/dev/fd/N` or `/proc/.../fd/N` path opens, if it is one.
fn fd_path(path: &RawStr) -> Option<i32> {
    let p = path.lossy();
    let rest = p.strip_prefix("/dev/fd/").or_else(|| {
        p.strip_prefix("/proc/")
            .and_then(|r| r.split_once("/fd/"))
            .map(|(_, n)| n)
    })?;
    rest.parse().ok()
}

impl FdLeakedIntoExec {
    /// `pid` closed `fd`: a program that closes an fd knows it, except
    /// stdio, which programs close on their way out (coreutils' close_stdout):
    /// that close is where the inherited write end finally goes.
    fn close_fd(&mut self, ev: &Event, pid: Pid, fd: i32) {
        if let Some(v) = self.open.get_mut(&pid) {
            for l in v.iter_mut().filter(|l| l.stdio && l.fd == fd) {
                let what = EventFact::ClosesFd {
                    pid,
                    fd,
                    object: FdObject::pipe(&l.label, l.end),
                };
                l.end_ev = Some(EventRef::of(ev, what));
            }
            v.retain(|l| l.fd != fd || l.end_ev.is_some());
        }
    }

    fn drop_fd(&mut self, pid: Pid, fd: i32) {
        if let Some(v) = self.open.get_mut(&pid) {
            v.retain(|l| l.fd != fd);
        }
    }

    /// A successful exec: which pipe ends came through it.
    /// `fd` of `pid` is as the process inherited it through fork.
    fn inherited_as_is(&self, cx: &Context<'_>, pid: Pid, fd: i32) -> bool {
        let forked = cx
            .model
            .process(pid)
            .is_some_and(|p| matches!(p.origin, Origin::Fork { .. }));
        forked && !self.placed.contains(&(pid, fd))
    }

    /// Remembers the stdio fds `ev` puts in place.
    fn place(&mut self, pid: Pid, ev: &Event) {
        let fds = match ev.kind {
            EventKind::Dup {
                new_fd,
                errno: None,
                ..
            } => [new_fd, -1],
            EventKind::Open { fd, .. } => [fd, -1],
            EventKind::Pipe {
                read_fd, write_fd, ..
            } => [read_fd, write_fd],
            _ => return,
        };
        for fd in fds.into_iter().filter(|fd| (0..3).contains(fd)) {
            self.placed.insert((pid, fd));
        }
    }

    /// Can `f` have come through the exec of `pid` (with `argv`) unused?
    fn candidate(&self, cx: &Context<'_>, pid: Pid, f: &PipeFd, argv: &[RawStr]) -> bool {
        let stdio = f.fd < 3;
        !((stdio && !(f.writes() && self.inherited_as_is(cx, pid, f.fd)))
            || f.cloexec
            || !cx.traced_pipe(f.pipe)
            || cx.is_jobserver(f.pipe)
            || self.deliberate.contains(f.file)
            || argv_names(argv, f.fd))
    }

    fn on_exec(&mut self, cx: &Context<'_>, ev: &Event, pid: Pid, argv: &[RawStr]) {
        let mut old = self.open.remove(&pid).unwrap_or_default();
        // Most execs keep no pipe end they could leak: look before naming.
        if !cx
            .pipe_fds_iter(pid)
            .any(|f| self.candidate(cx, pid, &f, argv))
        {
            return;
        }
        let fds = cx.pipe_fds(pid);
        let program = cx.name(pid);
        let mut now = Vec::new();
        for f in &fds {
            let stdio = f.fd < 3;
            if !self.candidate(cx, pid, f, argv) {
                continue;
            }
            let label = cx.pipe(f.pipe);
            let what = EventFact::ExecsWithFd {
                pid,
                program: program.clone(),
                fd: f.fd,
                pipe: label.clone(),
                end: f.end,
            };
            let exec = EventRef::of(ev, what);
            let reads_same = fds
                .iter()
                .find(|o| f.writes() && o.pipe == f.pipe && o.fd != f.fd && o.reads())
                .map(|o| o.fd);
            match old.iter().position(|l| l.fd == f.fd && l.file == f.file) {
                Some(i) => {
                    let mut l = old.swap_remove(i);
                    l.execs.push(exec);
                    l.program = program.clone();
                    l.reads_same = reads_same;
                    now.push(l);
                }
                None => {
                    let made = match cx.model.pipe(f.pipe).map(|p| &p.origin) {
                        Some(PipeOrigin::Created { at, by }) => Some(EventRef::new(
                            *at,
                            *by,
                            EventFact::MakesPipe {
                                by: *by,
                                pipe: label.clone(),
                            },
                        )),
                        _ => None,
                    };
                    now.push(Leak {
                        pid,
                        fd: f.fd,
                        file: f.file,
                        pipe: f.pipe,
                        label,
                        end: f.end,
                        program: program.clone(),
                        execs: vec![exec],
                        made,
                        reads_same,
                        stdio,
                        end_ev: None,
                        at_end: false,
                        eof_delayed: None,
                        others_done: None,
                        readers_gone: None,
                        readers: Vec::new(),
                    });
                }
            }
        }
        if !now.is_empty() {
            self.open.insert(pid, now);
        }
    }

    /// After an event that may close write ends: notes each pipe whose only
    /// remaining writers are leaked copies while it still has a reader.
    fn watch_writers(&mut self, cx: &Context<'_>, ev: &Event) {
        if !matches!(
            ev.kind,
            EventKind::Close { .. }
                | EventKind::CloseRange { .. }
                | EventKind::Exit { .. }
                | EventKind::Exec { .. }
                | EventKind::Dup { .. }
        ) {
            return;
        }
        let mut pipes: Vec<PipeId> = self
            .open
            .values()
            .flatten()
            .filter(|l| l.others_done.is_none() && matches!(l.end, PipeEnd::Write | PipeEnd::Both))
            .map(|l| l.pipe)
            .collect();
        pipes.sort_unstable();
        pipes.dedup();
        for pipe in pipes {
            let Some(h) = cx.model.pipe_holders(pipe) else {
                continue;
            };
            let leaked = |(pid, fd): &(Pid, i32)| {
                self.open
                    .get(pid)
                    .is_some_and(|v| v.iter().any(|l| l.fd == *fd && l.pipe == pipe))
            };
            if h.readers.is_empty() || !h.unknown.is_empty() || !h.writers.iter().all(leaked) {
                continue;
            }
            // At an exec, the latest close (or exit) of another write end
            // is when only leaked copies were left.
            let last = match ev.kind {
                EventKind::Exec { .. } => cx.shared.last_write_gone(pipe),
                _ => None,
            };
            let since = match last {
                Some(c) => c,
                None => EventRef::of(
                    ev,
                    EventFact::OnlyLeakedCopiesLeft {
                        pipe: cx.pipe(pipe),
                    },
                ),
            };
            let readers: Vec<(Pid, i32, String)> = h
                .readers
                .iter()
                .map(|&(p, fd)| (p, fd, cx.name(p)))
                .collect();
            for l in self.open.values_mut().flatten().filter(|l| l.pipe == pipe) {
                l.others_done = Some(since.clone());
                l.readers = readers.clone();
            }
        }
    }

    /// A stdio write end inherited through fork that kept a pipe open for
    /// writing after every other writer was done.
    fn stdio_finding(l: &Leak) -> Finding {
        let exec = &l.execs[0];
        let late = match (&l.others_done, &l.end_ev) {
            (Some(o), Some(e)) => e.ts_ns.saturating_sub(o.ts_ns),
            _ => 0,
        };
        let fact = FindingFact::StdioHeldOpen {
            leak: Self::exec_leak(l),
            pipe: l.label.clone(),
            late_ns: late,
        };
        let mut f = Finding::new(Code::FdLeakedIntoExec, Severity::Warning, exec.seq, fact)
            .pipe(&l.label)
            .process(l.pid, &l.program, Role::Leaked)
            .fd(
                l.pid,
                l.fd,
                FdObject::pipe(&l.label, PipeEnd::Write),
                Role::Leaked,
            )
            .event(exec.clone())
            .maybe_event(l.others_done.clone())
            .maybe_event(l.end_ev.clone())
            .duration(late);
        for (p, fd, prog) in &l.readers {
            f = f.process(*p, prog, Role::Reader).fd(
                *p,
                *fd,
                FdObject::pipe(&l.label, PipeEnd::Read),
                Role::Reader,
            );
        }
        f
    }

    /// The facts of one leak.
    fn exec_leak(l: &Leak) -> ExecLeak {
        let exec = &l.execs[0];
        ExecLeak {
            proc: Proc::new(l.pid, l.program.clone()),
            fd: l.fd,
            exec_seq: exec.seq,
            end: l.end_ev.as_ref().map(|e| LeakEnd {
                seq: e.seq,
                after_ns: e.ts_ns.saturating_sub(exec.ts_ns),
                at_end: l.at_end,
            }),
            reads_same: l.reads_same,
            delayed: match (l.delayed_eof(), &l.end_ev) {
                (true, Some(e)) => Some(DelayedEof {
                    others_done: l
                        .others_done
                        .as_ref()
                        .map(|o| (o.seq, e.ts_ns.saturating_sub(o.ts_ns))),
                }),
                _ => None,
            },
        }
    }

    fn finding(leaks: &[&Leak]) -> Finding {
        let first = leaks[0];
        let label = &first.label;
        let end = first.end;
        let hurt = leaks
            .iter()
            .any(|l| l.delayed_eof() || l.reads_same.is_some());
        let severity = if hurt {
            Severity::Error
        } else {
            Severity::Warning
        };
        let at = first.execs[0].seq;
        let fact = FindingFact::LeakedIntoExec {
            pipe: label.clone(),
            end,
            hurt,
            leaks: leaks.iter().map(|l| Self::exec_leak(l)).collect(),
        };
        let mut f = Finding::new(Code::FdLeakedIntoExec, severity, at, fact)
            .pipe(label)
            .maybe_event(first.made.clone());
        for l in leaks {
            f = f.process(l.pid, &l.program, Role::Leaked).fd(
                l.pid,
                l.fd,
                FdObject::pipe(label, end),
                Role::Leaked,
            );
            for e in &l.execs {
                f = f.event(e.clone());
            }
            if l.delayed_eof() {
                f = f.maybe_event(l.others_done.clone());
                for (p, fd, prog) in &l.readers {
                    f = f.process(*p, prog, Role::Reader).fd(
                        *p,
                        *fd,
                        FdObject::pipe(label, PipeEnd::Read),
                        Role::Reader,
                    );
                }
            }
            f = f.maybe_event(l.end_ev.clone());
        }
        if leaks.len() == 1 {
            if let Some(e) = &first.end_ev {
                f = f.duration(e.ts_ns.saturating_sub(first.execs[0].ts_ns));
            }
        }
        f
    }
}

impl Analysis for FdLeakedIntoExec {
    fn after(&mut self, cx: &Context<'_>, ev: &Event, applied: &Applied, _out: &mut Vec<Finding>) {
        self.deliberate.after(cx, ev);
        let pid = cx.pid;
        self.place(pid, ev);
        for n in &applied.notes {
            if let Note::Zombie { pid, .. } = *n {
                if !self.placed.is_empty() {
                    self.placed.retain(|(p, _)| *p != pid);
                }
            }
        }
        if let EventKind::Exec { ok: true, argv, .. } = &ev.kind {
            self.on_exec(cx, ev, pid, argv);
        }
        if self.open.is_empty() {
            // Nothing leaked is open: nothing below can change.
            return;
        }
        match &ev.kind {
            EventKind::Close { fd } => self.close_fd(ev, pid, *fd),
            EventKind::SetCloexec { fd, .. } => self.drop_fd(pid, *fd),
            EventKind::CloseRange { first, last, .. } => {
                if let Some(v) = self.open.get_mut(&pid) {
                    v.retain(|l| {
                        let fd = l.fd as u32;
                        fd < *first || fd > *last
                    });
                }
            }
            EventKind::Dup {
                old_fd,
                new_fd,
                errno: None,
                ..
            } => {
                self.drop_fd(pid, *old_fd);
                self.drop_fd(pid, *new_fd);
            }
            EventKind::Open {
                path, errno: None, ..
            } => {
                if let Some(fd) = fd_path(path) {
                    self.drop_fd(pid, fd);
                }
            }
            _ => {}
        }
        if self.open.is_empty() {
            return;
        }
        self.watch_writers(cx, ev);
        for n in &applied.notes {
            match *n {
                Note::ImplicitClose { pid, fd, .. } => self.drop_fd(pid, fd),
                Note::PipeBroken { pipe, .. } => {
                    for l in self.open.values_mut().flatten() {
                        if l.pipe == pipe && l.others_done.is_some() && l.readers_gone.is_none() {
                            let what = EventFact::LastReaderGone {
                                pipe: l.label.clone(),
                            };
                            l.readers_gone = Some(EventRef::of(ev, what));
                        }
                    }
                }
                Note::PipeEof {
                    pipe, pid, readers, ..
                } => {
                    if let Some(v) = self.open.get_mut(&pid) {
                        for l in v.iter_mut().filter(|l| l.pipe == pipe) {
                            l.eof_delayed = Some(readers);
                        }
                    }
                }
                Note::Zombie { pid, .. } => {
                    if let Some(v) = self.open.remove(&pid) {
                        for mut l in v {
                            let what = EventFact::ExitsClosingFd {
                                proc: Proc::new(pid, l.program.clone()),
                                fd: l.fd,
                            };
                            l.end_ev = Some(EventRef::of(ev, what));
                            self.done.push(l);
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(v) = self.open.get_mut(&pid) {
            // Stdio leaks whose fd this event closed are done.
            let (closed, kept): (Vec<Leak>, Vec<Leak>) = std::mem::take(v)
                .into_iter()
                .partition(|l| l.end_ev.is_some());
            *v = kept;
            self.done.extend(closed);
            if v.is_empty() {
                self.open.remove(&pid);
            }
        }
    }

    fn finish(&mut self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut open: Vec<(Pid, Vec<Leak>)> = self.open.drain().collect();
        open.sort_by_key(|(p, _)| *p);
        for (pid, v) in open {
            for mut l in v {
                let what = EventFact::TraceEndsFdOpen { pid, fd: l.fd };
                l.end_ev = Some(EventRef::new(cx.now, pid, what));
                l.at_end = true;
                self.done.push(l);
            }
        }
        let mut by_file: BTreeMap<(u64, OpenFileId), Vec<&Leak>> = BTreeMap::new();
        let mut first_seq: IdMap<OpenFileId, u64> = IdMap::default();
        for l in &self.done {
            let s = first_seq.entry(l.file).or_insert(l.execs[0].seq);
            *s = (*s).min(l.execs[0].seq);
        }
        self.done
            .retain(|l| !l.stdio || (l.delayed_eof() && l.others_done.is_some()));
        for l in self.done.iter().filter(|l| l.stdio) {
            out.push(Self::stdio_finding(l));
        }
        for l in self.done.iter().filter(|l| !l.stdio) {
            by_file
                .entry((first_seq[&l.file], l.file))
                .or_default()
                .push(l);
        }
        for leaks in by_file.values_mut() {
            leaks.sort_by_key(|l| l.execs[0].seq);
            out.push(Self::finding(leaks));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{clean_pipeline, object, English, Script};
    use super::super::{Code, Role, Severity};
    use super::{argv_names, fd_path};
    use crate::trace::RawStr;

    /// `{ sleep & echo hi; } | cat` by hand: 100 makes pipe 7 (3, 4); the
    /// subshell 101 puts the write end on fd 1 and forks 103, which gets
    /// fd 1 as it was and execs sleep (in the background when 101 does not
    /// wait for it); 102 puts the read end on fd 0 and execs cat.
    fn background_job(wait_for_it: bool) -> Script {
        let mut s = Script::new(100, "sh");
        s.pipe(100, 3, 4, 7).fork(100, 101).fork(100, 102);
        s.close(100, 3).close(100, 4);
        s.dup2(101, 4, 1).close(101, 3).close(101, 4).fork(101, 103);
        s.dup2(102, 3, 0).close(102, 3).close(102, 4);
        s.exec(102, "cat", &["cat"])
            .exec(103, "sleep", &["sleep", "1"]);
        if wait_for_it {
            s.at(1000).exit(103, 0).reap(101, -1, 103).exit(101, 0);
        } else {
            s.at(10).exit(101, 0).at(1000).exit(103, 0);
        }
        s.exit(102, 0);
        s
    }

    #[test]
    fn a_background_job_holding_its_shells_stdout_past_the_others_is_a_leak() {
        let s = background_job(false);
        let f = s.findings_of(Code::FdLeakedIntoExec);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!((f[0].fds[0].pid, f[0].fds[0].fd), (103, 1));
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(
            f[0].summary().contains("stayed open in sleep (103)"),
            "{}",
            f[0].summary()
        );
    }

    #[test]
    fn a_foreground_job_sharing_its_shells_stdout_is_no_leak() {
        let s = background_job(true);
        assert!(s.findings_of(Code::FdLeakedIntoExec).is_empty());
    }

    #[test]
    fn a_pipeline_stage_that_put_the_pipe_on_its_own_stdout_is_no_leak() {
        // 101 dup2s the write end onto fd 1 and execs the writer itself:
        // its stdout is its output, however late the reader sees EOF.
        let mut s = Script::new(100, "sh");
        s.pipe(100, 3, 4, 7).fork(100, 101).fork(100, 102);
        s.close(100, 3).close(100, 4);
        s.dup2(101, 4, 1).close(101, 3).close(101, 4);
        s.exec(101, "sleep", &["sleep", "1"]);
        s.dup2(102, 3, 0).close(102, 3).close(102, 4);
        s.exec(102, "cat", &["cat"]);
        s.at(1000).exit(101, 0).exit(102, 0);
        assert!(s.findings_of(Code::FdLeakedIntoExec).is_empty());
    }

    /// 100 makes pipe 7 (3, 4); reader 101 closes 4; helper 102 closes 3
    /// but not 4 and execs `sleep`.
    fn helper_forgets_the_write_end() -> Script {
        let mut s = Script::new(100, "prog");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .close(101, 4)
            .fork(100, 102)
            .close(102, 3);
        s.exec(102, "sleep", &["sleep", "0.2"])
            .close(100, 3)
            .close(100, 4);
        s.at(200).exit(102, 0).exit(101, 0);
        s.reap(100, 101, 101).reap(100, 102, 102).exit(100, 0);
        s
    }

    #[test]
    fn a_write_end_left_open_across_exec_is_reported_with_the_program_and_fd() {
        let f = helper_forgets_the_write_end().findings_of(Code::FdLeakedIntoExec);
        assert_eq!(f.len(), 1, "{f:#?}");
        let l = f[0].fds.iter().find(|d| d.role == Role::Leaked).unwrap();
        assert_eq!(
            (l.pid, l.fd, object(&l.object).as_str()),
            (102, 4, "pipe#1 write end")
        );
        assert!(f[0]
            .summary()
            .starts_with("fd 4 (pipe#1 write end) leaked into sleep at exec"));
        let r = f[0].fds.iter().find(|d| d.role == Role::Reader).unwrap();
        assert_eq!((r.pid, r.fd), (101, 3));
        assert_eq!(
            f[0].severity,
            Severity::Error,
            "the reader waited for sleep to exit"
        );
    }

    #[test]
    fn a_reader_whose_exit_is_recorded_just_before_the_leaking_program_still_counts_as_delayed() {
        // The recorder writes `exit` once a process is fully gone, so the
        // reader woken by sleep's exit can come first in the trace.
        let mut s = Script::new(100, "prog");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .close(101, 4)
            .fork(100, 102)
            .close(102, 3);
        s.exec(102, "sleep", &["sleep", "0.2"])
            .close(100, 3)
            .close(100, 4);
        s.at(200).exit(101, 0).exit(102, 0);
        s.reap(100, 101, 101).reap(100, 102, 102).exit(100, 0);
        let f = s.findings_of(Code::FdLeakedIntoExec);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0]
            .explanation()
            .contains("saw EOF only when sleep exited"));
    }

    #[test]
    fn an_fd_the_program_closes_itself_is_not_reported() {
        let mut s = Script::new(100, "prog");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .exec(101, "daemon", &["daemon"]);
        s.close(101, 3)
            .close(101, 4)
            .exit(101, 0)
            .reap(100, 101, 101)
            .exit(100, 0);
        assert!(s.findings_of(Code::FdLeakedIntoExec).is_empty());
    }

    #[test]
    fn an_fd_made_inheritable_on_purpose_is_not_reported() {
        let mut s = Script::new(100, "make");
        s.pipe(100, 5, 6, 7)
            .fork(100, 101)
            .set_cloexec(101, 5, false)
            .set_cloexec(101, 6, false);
        s.exec(101, "worker", &["worker"])
            .exit(101, 0)
            .reap(100, 101, 101)
            .exit(100, 0);
        assert!(s.findings_of(Code::FdLeakedIntoExec).is_empty());
    }

    #[test]
    fn make_handing_its_jobserver_pipe_to_a_sub_make_is_not_reported() {
        let mut s = Script::new(100, "make");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .exec(101, "make", &["make", "-C", "sub"]);
        s.exit(101, 0).reap(100, -1, 101).exit(100, 0);
        assert!(s.findings_of(Code::FdLeakedIntoExec).is_empty());
    }

    #[test]
    fn an_fd_named_in_argv_is_passed_on_purpose() {
        let mut s = Script::new(100, "prog");
        s.pipe(100, 3, 4, 7).fork(100, 101).close(101, 3);
        s.exec(101, "gpg", &["gpg", "--status-fd=4"]).exit(101, 0);
        s.reap(100, 101, 101).exit(100, 0);
        assert!(s.findings_of(Code::FdLeakedIntoExec).is_empty());
    }

    #[test]
    fn a_leak_inherited_by_a_grandchild_names_both_programs_in_one_finding() {
        let mut s = Script::new(100, "prog");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .close(101, 3)
            .exec(101, "sh", &["sh", "-c", "cat"]);
        s.fork(101, 102)
            .exec(102, "cat", &["cat"])
            .exit(102, 0)
            .reap(101, -1, 102);
        s.exit(101, 0).reap(100, 101, 101).exit(100, 0);
        let f = s.findings_of(Code::FdLeakedIntoExec);
        assert_eq!(f.len(), 1, "{f:#?}");
        let pids: Vec<i32> = f[0].processes.iter().map(|p| p.pid).collect();
        assert_eq!(pids, vec![101, 102]);
    }

    #[test]
    fn a_clean_pipeline_leaks_nothing_into_exec() {
        assert!(clean_pipeline()
            .findings_of(Code::FdLeakedIntoExec)
            .is_empty());
    }

    #[test]
    fn argv_words_about_fds_name_them_and_other_numbers_do_not() {
        let argv = |w: &[&str]| w.iter().map(|s| RawStr::from(*s)).collect::<Vec<_>>();
        assert!(argv_names(&argv(&["make", "--jobserver-auth=3,4"]), 4));
        assert!(argv_names(&argv(&["diff", "/dev/fd/63", "x"]), 63));
        assert!(!argv_names(&argv(&["sleep", "4"]), 4));
        assert_eq!(fd_path(&RawStr::from("/proc/self/fd/5")), Some(5));
        assert_eq!(fd_path(&RawStr::from("/dev/fd/63")), Some(63));
        assert_eq!(fd_path(&RawStr::from("/etc/passwd")), None);
    }
}
