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
//! | `fd-leaked-into-exec` | [`fd_leaked_into_exec`] | a pipe end inherited across exec by a program that never uses it |
//! | `long-zombie` | [`long_zombie`] | a child reaped only long after it exited |
//! | `orphan` | [`orphan`] | a process whose parent exited first |
//! | `killed-by-sigpipe` | [`killed_by_sigpipe`] | a process killed by SIGPIPE, with the pipe and who closed its last read end |
//! | `never-reaped` | [`never_reaped`] | a child that exited and that its parent never waited for |
//! | `wait-on-stopped-child` | [`wait_on_stopped_child`] | a parent blocked in a wait without WUNTRACED while its child was stopped |
//! | `hang` | [`hang`] | the program hung and the recorder explained it live (`record --stall-timeout`): the recorded report |

pub mod fd_leaked_into_exec;
pub mod hang;
pub mod killed_by_sigpipe;
pub mod leaked_write_end;
pub mod long_zombie;
pub mod never_reaped;
pub mod orphan;
pub mod wait_on_stopped_child;
pub mod waitfor;

#[cfg(test)]
mod testkit;

use crate::model::{
    Anomaly, Applied, Model, Moment, OpenFileId, PipeEnd, PipeId, PipeOrigin, Process,
};
use crate::render::describe;
use crate::render::labels::Labels;
use crate::render::lang::{self, Lang};
use crate::trace::{DupVia, Event, EventKind, Pid, TraceError, TraceReader};
use serde::Serialize;
use std::collections::HashSet;
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
}

/// A process named in a finding, with its program at that moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProcessRef {
    /// Its pid.
    pub pid: Pid,
    /// The program it ran (`grep`), `?` when unknown.
    pub program: String,
    /// Its part in the finding.
    pub role: Role,
}

/// An fd named in a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FdRef {
    /// The process holding it.
    pub pid: Pid,
    /// The fd number.
    pub fd: i32,
    /// What it refers to (`pipe#1 write end`).
    pub object: String,
    /// Its part in the finding.
    pub role: Role,
}

/// An event named in a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRef {
    /// Its seq (`#57`).
    pub seq: u64,
    /// Its time, in nanoseconds since the trace started.
    pub ts_ns: u64,
    /// The task that did it.
    pub pid: Pid,
    /// What happened, in a few words.
    pub what: String,
    /// The same in Chinese, for the text output (never in JSON).
    #[serde(skip)]
    pub what_zh: Option<String>,
}

impl EventRef {
    /// Names the moment `at` of task `pid`.
    pub fn new(at: Moment, pid: Pid, what: impl Into<String>) -> EventRef {
        EventRef {
            seq: at.seq,
            ts_ns: at.ts_ns,
            pid,
            what: what.into(),
            what_zh: None,
        }
    }

    /// Adds the Chinese wording of `what`.
    pub fn zh(mut self, what: impl Into<String>) -> EventRef {
        self.what_zh = Some(what.into());
        self
    }

    /// `what` in the language of [`lang::current`].
    pub fn what_text(&self) -> &str {
        match (&self.what_zh, lang::current()) {
            (Some(z), Lang::Zh) => z,
            _ => &self.what,
        }
    }

    /// Names an event.
    pub fn of(ev: &Event, what: impl Into<String>) -> EventRef {
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

/// One thing the doctor found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which finding.
    pub code: Code,
    /// How bad.
    pub severity: Severity,
    /// The seq where it shows (for ordering).
    pub at: u64,
    /// One line: what happened.
    pub summary: String,
    /// Why it matters, in plain words, with the evidence.
    pub explanation: String,
    /// What to change.
    pub fix: String,
    /// The processes involved.
    pub processes: Vec<ProcessRef>,
    /// The fds involved.
    pub fds: Vec<FdRef>,
    /// The pipes involved (`pipe#1`).
    pub pipes: Vec<String>,
    /// The events that show it, in trace order.
    pub events: Vec<EventRef>,
    /// How long it lasted, when that is the point (a zombie's time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ns: Option<u64>,
    /// The three texts in Chinese, for the text output when `--lang zh`
    /// (see [`Finding::zh`]); never in JSON, which stays English.
    #[serde(skip)]
    pub zh: Option<Box<ZhText>>,
}

/// A finding's summary, explanation and fix, in Chinese.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZhText {
    /// 一句话：发生了什么。
    pub summary: String,
    /// 为什么要紧。
    pub explanation: String,
    /// 怎么改。
    pub fix: String,
}

impl Finding {
    /// An empty finding of `code` at seq `at`; fill it with the builders.
    pub fn new(code: Code, severity: Severity, at: u64) -> Finding {
        Finding {
            code,
            severity,
            at,
            summary: String::new(),
            explanation: String::new(),
            fix: String::new(),
            processes: Vec::new(),
            fds: Vec::new(),
            pipes: Vec::new(),
            events: Vec::new(),
            duration_ns: None,
            zh: None,
        }
    }

    /// Sets the three texts in Chinese, shown instead of the English ones
    /// by the text output when the language is Chinese.
    pub fn zh(
        mut self,
        summary: impl Into<String>,
        explanation: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        self.zh = Some(Box::new(ZhText {
            summary: summary.into(),
            explanation: explanation.into(),
            fix: fix.into(),
        }));
        self
    }

    /// Summary, explanation and fix in the language of [`lang::current`]
    /// (English when no Chinese text was given).
    pub fn texts(&self) -> (&str, &str, &str) {
        match (&self.zh, lang::current()) {
            (Some(z), Lang::Zh) => (&z.summary, &z.explanation, &z.fix),
            _ => (&self.summary, &self.explanation, &self.fix),
        }
    }

    /// Sets the three texts.
    pub fn text(
        mut self,
        summary: impl Into<String>,
        explanation: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        self.summary = summary.into();
        self.explanation = explanation.into();
        self.fix = fix.into();
        self
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
    pub fn fd(mut self, pid: Pid, fd: i32, object: impl Into<String>, role: Role) -> Finding {
        if !self.fds.iter().any(|f| f.pid == pid && f.fd == fd) {
            self.fds.push(FdRef {
                pid,
                fd,
                object: object.into(),
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
/// event, depending on the hook), the pipe names, and the moment.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The replayed state.
    pub model: &'a Model,
    /// `pipe#N` names, including the current event's pipes.
    pub labels: &'a Labels,
    /// The current event's moment; in [`Analysis::finish`], the last event's.
    pub now: Moment,
}

impl Context<'_> {
    /// The program `pid` runs now (`?` when unknown).
    pub fn name(&self, pid: Pid) -> String {
        describe::pid_name(self.model, pid)
    }

    /// The process (thread group) a live task belongs to; the tid itself
    /// when the model does not know it.
    pub fn process_pid(&self, tid: Pid) -> Pid {
        self.model
            .tree()
            .process_of_task(tid)
            .map_or(tid, |p| p.pid)
    }

    /// `pipe#N`.
    pub fn pipe(&self, id: PipeId) -> String {
        self.labels.pipe(id)
    }

    /// What `fd` of `pid` refers to now (`pipe#1 write end`), or `fd N`.
    pub fn fd_text(&self, pid: Pid, fd: i32) -> String {
        describe::fd(self.model, pid, fd, self.labels).unwrap_or_else(|| format!("fd {fd}"))
    }

    /// The pipe ends `pid` holds now, by fd.
    pub fn pipe_fds(&self, pid: Pid) -> Vec<PipeFd> {
        self.model
            .fds(pid)
            .into_iter()
            .filter_map(|v| {
                Some(PipeFd {
                    fd: v.fd,
                    pipe: v.file.object.pipe_id()?,
                    end: v.file.pipe_end()?,
                    file: v.file.id,
                    cloexec: v.cloexec,
                })
            })
            .collect()
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

/// An exit status in Chinese, as a clause in parentheses: `（退出码 0）`,
/// `（被 SIGPIPE 杀死）`; the Chinese of `narrate::status`, whatever the
/// current language (findings carry both languages).
pub fn status_zh(s: &crate::trace::Status) -> String {
    use crate::trace::Status;
    let t = match s {
        Status::Exited { exited } => format!("退出码 {exited}"),
        Status::Signaled { signaled, core } => format!(
            "被 {signaled} 杀死{}",
            if *core { "，产生了 core dump" } else { "" }
        ),
        Status::Stopped { stopped } => format!("被 {stopped} 暂停"),
        Status::Continued { .. } => "继续运行".into(),
    };
    format!("（{t}）")
}

/// What an fd refers to, in Chinese: `pipe#1 write end` reads
/// `pipe#1 的写端`; paths and anything else stay as they are.
pub fn object_zh(object: &str) -> String {
    for (en, zh) in [
        (" write end", " 的写端"),
        (" read end", " 的读端"),
        (" both ends", " 的两端"),
        (" unknown end", " 的某一端"),
    ] {
        if let Some(head) = object.strip_suffix(en) {
            return format!("{head}{zh}");
        }
    }
    object.to_string()
}

/// `1.50 s`, `300 ms`, `12 µs`.
pub fn duration_text(ns: u64) -> String {
    if ns >= 1_000_000_000 {
        format!("{:.2} s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{} ms", ns / 1_000_000)
    } else {
        format!("{} µs", ns / 1_000)
    }
}

/// Open file descriptions a process deliberately made inheritable: it
/// cleared FD_CLOEXEC (`fcntl(fd, F_SETFD, 0)`: make and cargo do this to
/// hand their jobserver pipe to a child), or placed it on a chosen fd of 3
/// or more with dup2/dup3 (`exec 3>&1`, systemd-style fd passing). An fd
/// passed on purpose is not a leak.
#[derive(Clone, Debug, Default)]
pub struct Deliberate {
    files: HashSet<OpenFileId>,
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

/// What the doctor found in one trace.
#[derive(Clone, Debug, Serialize)]
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
    analyses: Vec<Box<dyn Analysis>>,
    findings: Vec<Finding>,
    last: Moment,
    events: u64,
    anomalies: u64,
}

impl Default for Doctor {
    fn default() -> Self {
        Doctor::with(all())
    }
}

impl Doctor {
    /// A doctor running every analysis.
    pub fn new() -> Doctor {
        Doctor::default()
    }

    /// A doctor running only these analyses.
    pub fn with(analyses: Vec<Box<dyn Analysis>>) -> Doctor {
        Doctor {
            model: Model::new(),
            labels: Labels::default(),
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
        let cx = Context {
            model: &self.model,
            labels: &self.labels,
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
        let cx = Context {
            model: &self.model,
            labels: &self.labels,
            now: self.last,
        };
        for a in &mut self.analyses {
            a.after(&cx, ev, &applied, &mut self.findings);
        }
    }

    /// The trace ended: collects the findings, in trace order.
    pub fn finish(mut self) -> Report {
        let cx = Context {
            model: &self.model,
            labels: &self.labels,
            now: self.last,
        };
        for a in &mut self.analyses {
            a.finish(&cx, &mut self.findings);
        }
        let mut findings = self.findings;
        findings.sort_by_key(|f| (f.at, f.code));
        Report {
            findings,
            events: self.events,
            anomalies: self.anomalies,
        }
    }
}

/// Reads a whole trace, streaming, and reports what is wrong in it.
pub fn diagnose<R: BufRead>(reader: &mut TraceReader<R>) -> Result<Report, AnalysisError> {
    let mut doctor = Doctor::new();
    while let Some(ev) = reader.next_event()? {
        doctor.observe(&ev);
    }
    Ok(doctor.finish())
}

/// Runs every analysis over events in memory (tests, small traces).
pub fn diagnose_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Report {
    let mut doctor = Doctor::new();
    for ev in events {
        doctor.observe(ev);
    }
    doctor.finish()
}
