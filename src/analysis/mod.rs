//! Findings: what went wrong in a recorded trace, explained. Pure: events
//! in, [`Finding`]s out; no I/O beyond reading the trace it is handed.
//!
//! Each finding lives in its own file and implements [`Analysis`]. The
//! [`Doctor`] replays the trace into a [`Model`] one event at a time and
//! shows every analysis each event twice: just before it is applied (the
//! model still holds what the event takes away: the fds of a process that
//! is about to exit) and just after, with the [`Applied`] notes (a pipe's
//! last write end closing, a zombie, an orphan). Analyses keep only small
//! per-process or per-pipe state, never the trace.
//!
//! | code | file | what |
//! |---|---|---|
//! | `leaked-write-end` | [`leaked_write_end`] | a write end kept open where nobody writes, so a reader never (or late) sees EOF |
//! | `fd-leaked-into-exec` | [`fd_leaked_into_exec`] | a pipe end inherited across exec by a program that never uses it, or a stdout a background job inherited and held after every other writer was done |
//! | `long-zombie` | [`long_zombie`] | a child reaped only long after it exited |
//! | `orphan` | [`orphan`] | a process whose parent exited first |
//! | `killed-by-sigpipe` | [`killed_by_sigpipe`] | a process killed by SIGPIPE, with the pipe and who closed its last read end |
//! | `never-reaped` | [`never_reaped`] | a child that exited and that its parent never waited for |
//! | `wait-on-stopped-child` | [`wait_on_stopped_child`] | a parent blocked in a wait without WUNTRACED while its child was stopped |
//! | `hang` | [`hang`] | the program hung and the recorder explained it live (`record --stall-timeout`): the recorded report |

pub mod fact;
pub mod fd_leaked_into_exec;
pub mod hang;
pub mod killed_by_sigpipe;
pub mod leaked_write_end;
pub mod long_zombie;
pub mod never_reaped;
pub mod orphan;
pub mod shared;
pub mod wait_on_stopped_child;
pub mod waitfor;

#[cfg(test)]
mod testkit;

pub use fact::{
    CloseHow, Closer, DelayedEof, EventFact, ExecLeak, FdObject, FindingFact, LeakEnd, Proc,
    ReaderEnd, Release, StopEnd, StopEvidence,
};

use crate::model::hash::IdSet;
use crate::model::labels::Labels;
use crate::model::{
    Anomaly, Applied, Model, Moment, Object, OpenFile, OpenFileId, Origin, PipeEnd, PipeId,
    PipeOrigin, Process,
};
use crate::trace::{DupVia, Event, EventKind, Pid, RawStr, TraceError, TraceReader};
use serde::Serialize;
use shared::Shared;
use std::io::BufRead;

/// Errors of the analysis layer.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The trace could not be read.
    #[error(transparent)]
    Trace(#[from] TraceError),
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; often intended (a daemon orphans itself on purpose).
    Info,
    /// Probably a bug, with no visible harm in this run.
    Warning,
    /// A bug that visibly hurt this run: a hang, a delayed EOF, a lost wait.
    Error,
}

impl Severity {
    /// `error`, `warning`, `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Which finding: a stable code, also the name of the file that finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// See [`leaked_write_end`].
    LeakedWriteEnd,
    /// See [`fd_leaked_into_exec`].
    FdLeakedIntoExec,
    /// See [`long_zombie`].
    LongZombie,
    /// See [`orphan`].
    Orphan,
    /// See [`killed_by_sigpipe`].
    KilledBySigpipe,
    /// See [`never_reaped`].
    NeverReaped,
    /// See [`wait_on_stopped_child`].
    WaitOnStoppedChild,
    /// See [`hang`].
    Hang,
}

impl Code {
    /// Every code.
    pub const ALL: &'static [Code] = &[
        Code::LeakedWriteEnd,
        Code::FdLeakedIntoExec,
        Code::LongZombie,
        Code::Orphan,
        Code::KilledBySigpipe,
        Code::NeverReaped,
        Code::WaitOnStoppedChild,
        Code::Hang,
    ];

    /// The code as shown and as in JSON: `leaked-write-end`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::LeakedWriteEnd => "leaked-write-end",
            Code::FdLeakedIntoExec => "fd-leaked-into-exec",
            Code::LongZombie => "long-zombie",
            Code::Orphan => "orphan",
            Code::KilledBySigpipe => "killed-by-sigpipe",
            Code::NeverReaped => "never-reaped",
            Code::WaitOnStoppedChild => "wait-on-stopped-child",
            Code::Hang => "hang",
        }
    }
}

/// What a process or fd has to do with a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Reads the pipe (or holds its read end).
    Reader,
    /// Writes the pipe (or holds its write end on purpose).
    Writer,
    /// Holds the end that should have been closed; for an fd: that end.
    Leaked,
    /// The parent.
    Parent,
    /// The child.
    Child,
    /// The process that reaped an orphan.
    Adopter,
    /// Closed the last read end of a pipe.
    Closer,
    /// Sent the signal.
    Sender,
    /// Blocked in a hang.
    Blocked,
    /// Holds a file lock another process waits for.
    LockHolder,
    /// Waits to take a file lock.
    LockWaiter,
}

/// A process named in a finding, with its program at that moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessRef {
    /// Its pid.
    pub pid: Pid,
    /// The program it ran (`grep`), raw from the trace; `?` when unknown.
    pub program: String,
    /// Its part in the finding.
    pub role: Role,
}

/// An fd named in a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdRef {
    /// The process holding it.
    pub pid: Pid,
    /// The fd number.
    pub fd: i32,
    /// What it refers to (an end of `pipe#1`).
    pub object: FdObject,
    /// Its part in the finding.
    pub role: Role,
}

/// An event named in a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRef {
    /// Its seq (`#57`).
    pub seq: u64,
    /// Its time, in nanoseconds since the trace started.
    pub ts_ns: u64,
    /// The task that did it.
    pub pid: Pid,
    /// What happened.
    pub what: EventFact,
}

impl EventRef {
    /// Names the moment `at` of task `pid`.
    pub fn new(at: Moment, pid: Pid, what: EventFact) -> EventRef {
        EventRef {
            seq: at.seq,
            ts_ns: at.ts_ns,
            pid,
            what,
        }
    }

    /// Names an event.
    pub fn of(ev: &Event, what: EventFact) -> EventRef {
        EventRef::new(Moment::of(ev), ev.pid, what)
    }

    /// Its moment.
    pub fn moment(&self) -> Moment {
        Moment {
            seq: self.seq,
            ts_ns: self.ts_ns,
        }
    }
}

/// One thing the doctor found: its facts, and the processes, fds, pipes
/// and events it names. [`crate::words::finding`] words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Which finding.
    pub code: Code,
    /// How bad.
    pub severity: Severity,
    /// The seq where it shows (for ordering).
    pub at: u64,
    /// What was found.
    pub fact: FindingFact,
    /// The processes involved.
    pub processes: Vec<ProcessRef>,
    /// The fds involved.
    pub fds: Vec<FdRef>,
    /// The pipes involved (`pipe#1`).
    pub pipes: Vec<String>,
    /// The events that show it, in trace order.
    pub events: Vec<EventRef>,
    /// How long it lasted, when that is the point (a zombie's time).
    pub duration_ns: Option<u64>,
}

impl Finding {
    /// A finding of `code` at seq `at` with its facts; name what it
    /// involves with the builders.
    pub fn new(code: Code, severity: Severity, at: u64, fact: FindingFact) -> Finding {
        Finding {
            code,
            severity,
            at,
            fact,
            processes: Vec::new(),
            fds: Vec::new(),
            pipes: Vec::new(),
            events: Vec::new(),
            duration_ns: None,
        }
    }

    /// Names a process (once per pid and role).
    pub fn process(mut self, pid: Pid, program: impl Into<String>, role: Role) -> Finding {
        if !self
            .processes
            .iter()
            .any(|p| p.pid == pid && p.role == role)
        {
            self.processes.push(ProcessRef {
                pid,
                program: program.into(),
                role,
            });
        }
        self
    }

    /// Names an fd (once per pid and fd).
    pub fn fd(mut self, pid: Pid, fd: i32, object: FdObject, role: Role) -> Finding {
        if !self.fds.iter().any(|f| f.pid == pid && f.fd == fd) {
            self.fds.push(FdRef {
                pid,
                fd,
                object,
                role,
            });
        }
        self
    }

    /// Names a pipe (once).
    pub fn pipe(mut self, label: impl Into<String>) -> Finding {
        let label = label.into();
        if !self.pipes.contains(&label) {
            self.pipes.push(label);
        }
        self
    }

    /// Adds evidence; events are kept in trace order, once per seq.
    pub fn event(mut self, e: EventRef) -> Finding {
        if !self.events.iter().any(|x| x.seq == e.seq) {
            let at = self.events.partition_point(|x| x.seq < e.seq);
            self.events.insert(at, e);
        }
        self
    }

    /// Adds evidence when there is some.
    pub fn maybe_event(self, e: Option<EventRef>) -> Finding {
        match e {
            Some(e) => self.event(e),
            None => self,
        }
    }

    /// Sets the duration.
    pub fn duration(mut self, ns: u64) -> Finding {
        self.duration_ns = Some(ns);
        self
    }
}

/// What an analysis sees at each step: the model (before or after the
/// event, depending on the hook), the pipe names, what the doctor keeps for
/// every analysis, and the moment.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The replayed state.
    pub model: &'a Model,
    /// `pipe#N` names, including the current event's pipes.
    pub labels: &'a Labels,
    /// Latest write-end closes and own actions, up to the event before
    /// this one.
    pub shared: &'a Shared,
    /// In [`Analysis::after`]: the process of the current event's task
    /// (its [`Context::process_pid`], looked up once for every analysis).
    /// 0 in [`Analysis::before`] and [`Analysis::finish`].
    pub pid: Pid,
    /// The current event's moment; in [`Analysis::finish`], the last event's.
    pub now: Moment,
}

impl Context<'_> {
    /// The program `pid` runs now, raw from the trace (`?` when unknown).
    pub fn name(&self, pid: Pid) -> String {
        program_of(self.model, pid)
    }

    /// `pid` with the program it runs now (and the name it gave itself,
    /// once the trace recorded it).
    pub fn proc(&self, pid: Pid) -> Proc {
        proc_of(self.model, pid)
    }

    /// The process (thread group) a live task belongs to; the tid itself
    /// when the model does not know it.
    pub fn process_pid(&self, tid: Pid) -> Pid {
        process_pid(self.model, tid)
    }

    /// `pipe#N`.
    pub fn pipe(&self, id: PipeId) -> String {
        self.labels.pipe(id)
    }

    /// What `fd` of `pid` refers to now (an end of `pipe#1`, a path).
    pub fn fd_object(&self, pid: Pid, fd: i32) -> FdObject {
        match self.model.fd(pid, fd) {
            Some(v) => fd_object(v.file, self.labels),
            None => FdObject::Unknown,
        }
    }

    /// The pipe ends `pid` holds now, by fd.
    pub fn pipe_fds(&self, pid: Pid) -> Vec<PipeFd> {
        self.pipe_fds_iter(pid).collect()
    }

    /// The pipe ends `pid` holds now, by fd, without collecting them.
    pub fn pipe_fds_iter(&self, pid: Pid) -> impl Iterator<Item = PipeFd> + '_ {
        let model = self.model;
        model
            .fd_table(pid)
            .into_iter()
            .flat_map(|t| t.iter())
            .filter_map(move |(fd, slot)| {
                let file = model.open_file(slot.file)?;
                Some(PipeFd {
                    fd,
                    pipe: file.object.pipe_id()?,
                    end: file.pipe_end()?,
                    file: file.id,
                    cloexec: slot.cloexec,
                })
            })
    }

    /// The pipe was made (or its FIFO opened) inside the trace, so its
    /// holders are all known. A pipe inherited from outside the trace (the
    /// harness's, the terminal's) is someone else's business.
    pub fn traced_pipe(&self, id: PipeId) -> bool {
        matches!(
            self.model.pipe(id).map(|p| &p.origin),
            Some(PipeOrigin::Created { .. } | PipeOrigin::Fifo { .. })
        )
    }

    /// The pipe is a make jobserver: created by `make`, whose protocol
    /// hands both ends to sub-makes on purpose (MAKEFLAGS names the fds).
    pub fn is_jobserver(&self, id: PipeId) -> bool {
        match self.model.pipe(id).map(|p| &p.origin) {
            Some(PipeOrigin::Created { by, .. }) => {
                matches!(self.name(*by).as_str(), "make" | "gmake" | "remake")
            }
            _ => false,
        }
    }

    /// A live process.
    pub fn live(&self, pid: Pid) -> Option<&Process> {
        self.model.process(pid).filter(|p| p.is_alive())
    }
}

/// One pipe end held by a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipeFd {
    /// The fd.
    pub fd: i32,
    /// The pipe.
    pub pipe: PipeId,
    /// Which end.
    pub end: PipeEnd,
    /// The open file description.
    pub file: OpenFileId,
    /// FD_CLOEXEC.
    pub cloexec: bool,
}

impl PipeFd {
    /// Can write (write end, or a FIFO opened O_RDWR).
    pub fn writes(&self) -> bool {
        matches!(self.end, PipeEnd::Write | PipeEnd::Both)
    }

    /// Can read.
    pub fn reads(&self) -> bool {
        matches!(self.end, PipeEnd::Read | PipeEnd::Both)
    }
}

/// A wait-family call that came back because a signal arrived while it
/// was blocked: EINTR, or one of the kernel's ERESTART* codes that a tracer
/// sees at syscall exit (`E512` is ERESTARTSYS). It proves the caller was
/// inside the wait at that moment.
pub fn interrupted(errno: Option<&str>) -> bool {
    matches!(
        errno,
        Some(
            "EINTR"
                | "ERESTARTSYS"
                | "ERESTARTNOINTR"
                | "ERESTARTNOHAND"
                | "ERESTART_RESTARTBLOCK"
                | "E512"
                | "E513"
                | "E514"
                | "E516"
        )
    )
}

/// Could a wait for `target` (as given to wait4/waitid) report `child`?
pub fn wait_covers(target: i64, child: &Process, waiter: &Process) -> bool {
    match target {
        -1 => true,
        0 => child.pgid.is_none() || child.pgid == waiter.pgid,
        t if t < -1 => match child.pgid {
            Some(g) => i64::from(g) == -t,
            None => true,
        },
        t => t == i64::from(child.pid),
    }
}

/// The recorder writes a process's `exit` once it is fully gone, after the
/// kernel closed its fds, so a process woken by that close (a reader
/// seeing EOF, a writer getting SIGPIPE) can exit first in the trace.
/// Analyses that pair such events accept this much reversal: 50 ms.
pub const EXIT_ORDER_SLOP_NS: u64 = 50_000_000;

/// The process (thread group) a live task belongs to; the tid itself when
/// the model does not know it.
pub fn process_pid(model: &Model, tid: Pid) -> Pid {
    model.tree().process_of_task(tid).map_or(tid, |p| p.pid)
}

/// `pid` with the program it runs now (and the name it gave itself, once
/// the trace recorded it).
pub fn proc_of(model: &Model, pid: Pid) -> Proc {
    Proc {
        comm: renamed_as(model, pid),
        ..Proc::new(pid, program_of(model, pid))
    }
}

/// The program `pid` runs (the last name of its argv\[0\], or of its
/// path), raw from the trace; `?` when unknown.
/// The name process `pid` gave itself (prctl PR_SET_NAME), when the trace
/// recorded one that differs from what exec named it.
pub fn renamed_as(model: &Model, pid: Pid) -> Option<String> {
    let p = model
        .tree()
        .process_of_task(pid)
        .or_else(|| model.process(pid))?;
    let program = model.tree().program(p.id).or_else(|| {
        let inherited = p.inherited_program.and_then(|r| model.tree().exec(r));
        inherited.or_else(|| {
            model
                .tree()
                .parent(p.id)
                .and_then(|q| model.tree().program(q.id))
        })
    })?;
    p.renamed(program).map(|c| c.lossy().into_owned())
}

pub fn program_of(model: &Model, pid: Pid) -> String {
    let Some(p) = model
        .tree()
        .process_of_task(pid)
        .or_else(|| model.process(pid))
    else {
        return "?".into();
    };
    let name = |argv: &[RawStr], path: &RawStr| {
        let s = argv.first().unwrap_or(path).lossy();
        s.rsplit('/').next().unwrap_or(&s).to_string()
    };
    match model.tree().program(p.id) {
        Some(e) => name(&e.argv, &e.path),
        None => match &p.origin {
            Origin::Spawn { argv, .. } => name(argv, &RawStr::default()),
            _ => "?".into(),
        },
    }
}

/// The program `child`'s parent ran when it forked `child` (the program
/// the child started with), raw; `None` when unknown.
pub fn program_at_fork(model: &Model, child: &Process) -> Option<String> {
    let e = model.tree().exec(child.inherited_program?)?;
    let s = e.argv.first().unwrap_or(&e.path).lossy().into_owned();
    Some(s.rsplit('/').next().unwrap_or(&s).to_string())
}

/// What an open file is, as a fact.
pub fn fd_object(f: &OpenFile, labels: &Labels) -> FdObject {
    match &f.object {
        Object::Pipe { pipe, fifo } => FdObject::Pipe {
            label: labels.pipe(*pipe),
            end: f.pipe_end().filter(|e| *e != PipeEnd::Unknown),
            fifo: fifo.as_ref().map(|p| p.lossy().into_owned()),
        },
        Object::File { path } | Object::Tty { path } => FdObject::Path(path.lossy().into_owned()),
        Object::Other { target } => FdObject::Path(target.lossy().into_owned()),
        Object::Socket { inode, domain } => FdObject::Socket {
            inode: *inode,
            domain: domain.clone(),
        },
        Object::Unknown => FdObject::Unknown,
    }
}

/// Open file descriptions a process deliberately made inheritable: it
/// cleared FD_CLOEXEC (`fcntl(fd, F_SETFD, 0)`: make and cargo do this to
/// hand their jobserver pipe to a child), or placed it on a chosen fd of 3
/// or more with dup2/dup3 (`exec 3>&1`, systemd-style fd passing). An fd
/// passed on purpose is not a leak.
#[derive(Clone, Debug, Default)]
pub struct Deliberate {
    files: IdSet<OpenFileId>,
}

impl Deliberate {
    /// Learns from `ev` (call after it was applied).
    pub fn after(&mut self, cx: &Context<'_>, ev: &Event) {
        let fd = match ev.kind {
            EventKind::SetCloexec {
                fd,
                cloexec: false,
                errno: None,
                ..
            } => fd,
            EventKind::Dup {
                old_fd,
                new_fd,
                via: DupVia::Dup2 | DupVia::Dup3,
                cloexec: false,
                errno: None,
            } if new_fd >= 3 && new_fd != old_fd => new_fd,
            _ => return,
        };
        if let Some(v) = cx.model.fd(ev.pid, fd) {
            self.files.insert(v.file.id);
        }
    }

    /// Was this open file made inheritable on purpose?
    pub fn contains(&self, file: OpenFileId) -> bool {
        self.files.contains(&file)
    }
}

/// One kind of finding, fed the trace as it is replayed.
pub trait Analysis {
    /// Before `ev` is applied: the model still shows what it will change
    /// (the fds of a process about to exit).
    fn before(&mut self, _cx: &Context<'_>, _ev: &Event, _out: &mut Vec<Finding>) {}

    /// After `ev` was applied, with what it changed.
    fn after(&mut self, cx: &Context<'_>, ev: &Event, applied: &Applied, out: &mut Vec<Finding>);

    /// The trace ended: report what is still open.
    fn finish(&mut self, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}
}

/// Every analysis, in the order of the table above.
pub fn all() -> Vec<Box<dyn Analysis>> {
    vec![
        Box::new(leaked_write_end::LeakedWriteEnd::default()),
        Box::new(fd_leaked_into_exec::FdLeakedIntoExec::default()),
        Box::new(long_zombie::LongZombie::default()),
        Box::new(orphan::Orphans::default()),
        Box::new(killed_by_sigpipe::KilledBySigpipe::default()),
        Box::new(never_reaped::NeverReaped::default()),
        Box::new(wait_on_stopped_child::WaitOnStoppedChild::default()),
        Box::new(hang::Hangs),
    ]
}

/// Every analysis, in the order of the table above, called directly (no
/// dynamic dispatch per analysis and event: the doctor's default).
#[derive(Default)]
struct Every {
    leaked_write_end: leaked_write_end::LeakedWriteEnd,
    fd_leaked_into_exec: fd_leaked_into_exec::FdLeakedIntoExec,
    long_zombie: long_zombie::LongZombie,
    orphan: orphan::Orphans,
    killed_by_sigpipe: killed_by_sigpipe::KilledBySigpipe,
    never_reaped: never_reaped::NeverReaped,
    wait_on_stopped_child: wait_on_stopped_child::WaitOnStoppedChild,
    hang: hang::Hangs,
}

impl Analysis for Every {
    fn before(&mut self, cx: &Context<'_>, ev: &Event, out: &mut Vec<Finding>) {
        self.leaked_write_end.before(cx, ev, out);
        self.fd_leaked_into_exec.before(cx, ev, out);
        self.long_zombie.before(cx, ev, out);
        self.orphan.before(cx, ev, out);
        self.killed_by_sigpipe.before(cx, ev, out);
        self.never_reaped.before(cx, ev, out);
        self.wait_on_stopped_child.before(cx, ev, out);
        self.hang.before(cx, ev, out);
    }

    fn after(&mut self, cx: &Context<'_>, ev: &Event, applied: &Applied, out: &mut Vec<Finding>) {
        self.leaked_write_end.after(cx, ev, applied, out);
        self.fd_leaked_into_exec.after(cx, ev, applied, out);
        self.long_zombie.after(cx, ev, applied, out);
        self.orphan.after(cx, ev, applied, out);
        self.killed_by_sigpipe.after(cx, ev, applied, out);
        self.never_reaped.after(cx, ev, applied, out);
        self.wait_on_stopped_child.after(cx, ev, applied, out);
        self.hang.after(cx, ev, applied, out);
    }

    fn finish(&mut self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        self.leaked_write_end.finish(cx, out);
        self.fd_leaked_into_exec.finish(cx, out);
        self.long_zombie.finish(cx, out);
        self.orphan.finish(cx, out);
        self.killed_by_sigpipe.finish(cx, out);
        self.never_reaped.finish(cx, out);
        self.wait_on_stopped_child.finish(cx, out);
        self.hang.finish(cx, out);
    }
}

/// What the doctor found in one trace.
#[derive(Clone, Debug)]
pub struct Report {
    /// The findings, in trace order.
    pub findings: Vec<Finding>,
    /// Events replayed.
    pub events: u64,
    /// Contradictions the model met, other than closes of fds that were
    /// not open (plain EBADF); findings near them may be off.
    pub anomalies: u64,
}

/// Replays events into a model and runs every analysis on them.
pub struct Doctor {
    model: Model,
    labels: Labels,
    shared: Shared,
    analyses: Vec<Box<dyn Analysis>>,
    findings: Vec<Finding>,
    last: Moment,
    events: u64,
    anomalies: u64,
}

impl Default for Doctor {
    fn default() -> Self {
        Doctor::with(vec![Box::new(Every::default())])
    }
}

impl Doctor {
    /// A doctor running every analysis.
    pub fn new() -> Doctor {
        Doctor::default()
    }

    /// A doctor running only these analyses.
    pub fn with(analyses: Vec<Box<dyn Analysis>>) -> Doctor {
        // Findings are made, and worded, as events come: reaped processes
        // can go, and so can the numbers of pipes long released.
        let mut model = Model::new();
        model.forget_reaped(crate::replay::forget_window());
        let mut labels = Labels::default();
        labels.forget_released_after(crate::replay::forget_window());
        Doctor {
            model,
            labels,
            shared: Shared::default(),
            analyses,
            findings: Vec::new(),
            last: Moment { seq: 0, ts_ns: 0 },
            events: 0,
            anomalies: 0,
        }
    }

    /// Applies the next event (in trace order) and lets every analysis see it.
    pub fn observe(&mut self, ev: &Event) {
        self.labels.observe(ev);
        self.last = Moment::of(ev);
        self.events += 1;
        self.shared.before(&self.model, &self.labels, ev);
        let cx = Context {
            model: &self.model,
            labels: &self.labels,
            shared: &self.shared,
            pid: 0,
            now: self.last,
        };
        for a in &mut self.analyses {
            a.before(&cx, ev, &mut self.findings);
        }
        let applied = self.model.apply(ev);
        // A close of an fd that is not open is only EBADF: programs do it
        // on purpose (closing fds they may not have).
        self.anomalies += applied
            .anomalies
            .iter()
            .filter(|a| !matches!(a, Anomaly::CloseNotOpen { .. }))
            .count() as u64;
        let pid = process_pid(&self.model, ev.pid);
        let cx = Context {
            model: &self.model,
            labels: &self.labels,
            shared: &self.shared,
            pid,
            now: self.last,
        };
        for a in &mut self.analyses {
            a.after(&cx, ev, &applied, &mut self.findings);
        }
        self.shared.after(ev, pid, &applied);
        self.labels.forget_released(&applied);
    }

    /// The trace ended: collects the findings, in trace order.
    pub fn finish(self) -> Report {
        self.finish_keeping_model().0
    }

    /// [`Doctor::finish`], handing back the replayed model too (a caller
    /// about to exit may skip freeing it: a million events' model takes
    /// milliseconds to free).
    pub fn finish_keeping_model(mut self) -> (Report, Model) {
        let cx = Context {
            model: &self.model,
            labels: &self.labels,
            shared: &self.shared,
            pid: 0,
            now: self.last,
        };
        for a in &mut self.analyses {
            a.finish(&cx, &mut self.findings);
        }
        let mut findings = self.findings;
        findings.sort_by_key(|f| (f.at, f.code));
        let report = Report {
            findings,
            events: self.events,
            anomalies: self.anomalies,
        };
        (report, self.model)
    }
}

/// Reads a whole trace, streaming, and reports what is wrong in it.
pub fn diagnose<R: BufRead>(reader: &mut TraceReader<R>) -> Result<Report, AnalysisError> {
    Ok(diagnose_keeping_model(reader)?.0)
}

/// [`diagnose`], handing back the replayed model too (see
/// [`Doctor::finish_keeping_model`]).
pub fn diagnose_keeping_model<R: BufRead>(
    reader: &mut TraceReader<R>,
) -> Result<(Report, Model), AnalysisError> {
    let mut doctor = Doctor::new();
    while let Some(ev) = reader.next_ref()? {
        doctor.observe(ev);
    }
    Ok(doctor.finish_keeping_model())
}

/// Runs every analysis over events in memory (tests, small traces).
pub fn diagnose_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Report {
    let mut doctor = Doctor::new();
    for ev in events {
        doctor.observe(ev);
    }
    doctor.finish()
}
