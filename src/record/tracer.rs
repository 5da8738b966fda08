//! The event loop: wait for the next ptrace-stop of any tracee, turn it into
//! trace events, resume it. Keeps per-task state (the syscall awaiting its
//! exit stop, group-stop, thread group) and the ordering rules that keep the
//! timeline causal:
//! - a new task's stops are held until its parent's fork event is recorded;
//! - a child's exit is recorded before the wait that reaps it;
//! - a kill is recorded before its signal is seen arriving.
//!
//! Started tracees stop only at the syscalls the seccomp filter picks and
//! are resumed with PTRACE_CONT. Attached ones (no filter can be added to a
//! running process) are resumed with PTRACE_SYSCALL and stop at every
//! syscall entry and exit; PTRACE_GET_SYSCALL_INFO tells which. On request
//! (Ctrl-C, SIGTERM) every attached task is interrupted and detached.
//!
//! The tracer shares its task list and a count of the stops it processed
//! with the hang [`Watch`], and has the first terminating signal from
//! outside checked for a hang before re-injecting it.

use super::elf::ElfCache;
use super::stops::{
    self, AtEntry, EventStop, ExitStop, Mode, Report, SeccompStop, SignalStop, Stop, SyscallSide,
    SyscallStop, Waited,
};
use super::syscalls::{self, signal::InFlight, Call, Pending};
use super::sysno::{self, Abi};
use super::{RecordError, Watch, WatchedTask, Why};
use crate::trace::{EventKind, ForkFlavor, Sig, Status, TraceWriter};
use nix::unistd::Pid;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Counts for the summary line.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    /// Processes (the first one included; threads not).
    pub processes: u64,
    /// Threads created.
    pub threads: u64,
    /// Successful execs.
    pub execs: u64,
    /// Failed execs.
    pub exec_failures: u64,
    /// Pipes made.
    pub pipes: u64,
    /// Signals delivered.
    pub signals: u64,
}

/// What the tracer knows of one traced task.
#[derive(Debug)]
pub struct Task {
    /// Its thread group (process) id.
    pub tgid: i32,
    /// The syscall whose exit stop is awaited.
    pub pending: Option<Pending>,
    /// In a group-stop, listened to.
    pub group_stopped: bool,
    /// Its group-stop was recorded ahead of the ptrace report (the parent's
    /// wait or SIGCHLD told of it first).
    pub stop_recorded: bool,
    /// Its exit was recorded already (ahead of a reaping wait).
    pub exit_recorded: bool,
    /// It passed its PTRACE_EVENT_EXIT stop (`--snapshots exit` only).
    pub exit_stopped: bool,
}

impl Task {
    fn new(tgid: i32) -> Task {
        Task {
            tgid,
            pending: None,
            group_stopped: false,
            stop_recorded: false,
            exit_recorded: false,
            exit_stopped: false,
        }
    }
}

/// Something a task did before its parent's fork event was seen.
#[derive(Debug)]
enum Held {
    Stop(Stop),
    Gone(Status),
}

/// The tracer's state.
pub struct Tracer {
    w: Arc<Mutex<TraceWriter>>,
    /// Live traced tasks by tid.
    pub tasks: HashMap<i32, Task>,
    held: HashMap<i32, Vec<Held>>,
    /// Tids that vanished in another thread's exec; their exit reports are not events.
    vanished: HashSet<i32>,
    /// Kills whose sender has not reached its exit stop.
    pub kills: Vec<InFlight>,
    /// ELF facts cache.
    pub elf: ElfCache,
    /// Summary counts.
    pub stats: Stats,
    /// Why the command itself could not be started (its first exec failed).
    pub root_exec_error: Option<i32>,
    root: i32,
    root_status: Option<Status>,
    /// An error met after a tracee was already resumed; ends the run.
    error: Option<RecordError>,
    /// Attached to running processes: resume with PTRACE_SYSCALL, detach on request.
    attached: bool,
    /// Every task was detached (attached recordings that ended on request).
    pub detached: bool,
    /// The hang watch, when there is one.
    pub watch: Option<Arc<Watch>>,
    /// The first terminating signal from outside was checked for a hang.
    signal_checked: bool,
    /// The kinds of ptrace limit said already (each is said once).
    limits_said: HashSet<super::limits::LimitKind>,
    /// Processes (tgids) whose fd table is or was shared with another task
    /// (threads, CLONE_FILES) since their last exec: their forks record the
    /// child's fd table (see `syscalls::process`).
    pub shared_fd_tables: HashSet<i32>,
    /// Pids of tracees in other pid namespaces.
    pub pidns: super::pidns::PidNs,
    /// Exited processes not reaped by a recorded wait, with their parents.
    pub unreaped: syscalls::wait::Unreaped,
    /// Processes whose children the kernel reaps (SIGCHLD ignored, SA_NOCLDWAIT).
    pub sigchld: syscalls::sigchld::Dispositions,
    /// Kernel names of opened files already read (see `procfs::NameCache`).
    pub names: super::procfs::NameCache,
    /// /proc comm files open for writing (see `syscalls/comm_file.rs`).
    pub comm_files: super::syscalls::comm_file::CommFiles,
    /// File capabilities of programs exec'd before.
    caps: super::limits::CapsCache,
}

/// A waitpid that failed other than by ECHILD or EINTR.
fn wait_failed(errno: nix::errno::Errno) -> RecordError {
    RecordError::Ptrace {
        op: "waitpid",
        pid: -1,
        errno,
    }
}

fn is_terminating(sig: i32) -> bool {
    matches!(
        sig,
        libc::SIGINT | libc::SIGTERM | libc::SIGHUP | libc::SIGQUIT
    )
}

/// Who sent the signal being delivered to `pid`, when the kernel says: a
/// process that called kill/tkill/sigqueue, or the child behind a SIGCHLD.
/// With the si_code and si_status of the signal.
fn sender_info(s: &SignalStop) -> Option<(i32, i32, i32)> {
    let sig = s.signal();
    let si = s.siginfo().ok()?;
    // SAFETY: si_pid and si_status are valid for SIGCHLD with a CLD_* code;
    // si_pid also for SI_USER, SI_TKILL and SI_QUEUE. Only those are read.
    let (from, status) = unsafe { (si.si_pid(), si.si_status()) };
    let by_process = matches!(si.si_code, libc::SI_USER | libc::SI_TKILL | libc::SI_QUEUE);
    let by_child = sig == libc::SIGCHLD && si.si_code > 0;
    (by_process || by_child)
        .then_some((from, si.si_code, status))
        .filter(|(p, _, _)| *p > 0)
}

impl Tracer {
    /// A tracer for the tree rooted at `root`, writing to `w`.
    pub fn new(w: Arc<Mutex<TraceWriter>>, root: i32) -> Tracer {
        let mut tasks = HashMap::new();
        tasks.insert(root, Task::new(root));
        Tracer {
            w,
            tasks,
            held: HashMap::new(),
            vanished: HashSet::new(),
            kills: Vec::new(),
            elf: ElfCache::default(),
            stats: Stats {
                processes: 1,
                ..Stats::default()
            },
            root,
            root_status: None,
            error: None,
            root_exec_error: None,
            attached: false,
            detached: false,
            watch: None,
            signal_checked: false,
            limits_said: HashSet::new(),
            shared_fd_tables: HashSet::new(),
            pidns: Default::default(),
            unreaped: Default::default(),
            sigchld: Default::default(),
            names: Default::default(),
            comm_files: Default::default(),
            caps: Default::default(),
        }
    }

    /// A tracer for processes attached while running (see
    /// [`super::spawn::attach`]); add their tasks with [`Tracer::adopt`].
    pub fn attached(w: Arc<Mutex<TraceWriter>>, root: i32) -> Tracer {
        let mut t = Tracer::new(w, root);
        t.tasks.clear();
        t.stats.processes = 0;
        t.attached = true;
        t
    }

    /// Takes on task `tid` of process `tgid`, seized already.
    pub fn adopt(&mut self, tid: i32, tgid: i32) {
        if tid != tgid {
            self.shared_fd_tables.insert(tgid);
        }
        self.tasks.insert(tid, Task::new(tgid));
    }

    /// Appends an event by `pid` (written at the next flush). A failed
    /// write is not an error here: the writer keeps it, and the event loop
    /// sees it at its next flush and lets the program run on unrecorded.
    pub fn emit(&mut self, pid: i32, kind: EventKind) -> Result<(), RecordError> {
        let _ = self
            .w
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .emit(pid, kind);
        Ok(())
    }

    /// Why the trace stopped being written, if it did.
    pub fn write_failure(&self) -> Option<crate::trace::WriteFailure> {
        self.w
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .failure()
            .cloned()
    }

    /// Writes the buffered events; false once the trace cannot be written.
    fn flush_still_writing(&self) -> bool {
        let mut w = self.w.lock().unwrap_or_else(|e| e.into_inner());
        let _ = w.flush();
        w.failure().is_none()
    }

    /// The trace can no longer be written (a full disk, a closed pipe):
    /// forkscope's trouble must not become the program's. Attached
    /// processes are detached and left running. Started ones cannot be
    /// detached: their seccomp filter outlives the tracer, and a
    /// SECCOMP_RET_TRACE with no tracer "returns a failure status with
    /// errno set to ENOSYS" (seccomp(2)) — every fork, open and close would
    /// fail. So forkscope stays their tracer but records nothing: each stop
    /// is resumed at once (signals re-injected, group-stops listened to)
    /// until the last tracee is gone. Returns how the first process ended.
    fn run_unrecorded(&mut self) -> Result<Option<Status>, RecordError> {
        if self.attached {
            self.detach_all()?;
            return Ok(self.root_status);
        }
        for (pid, held) in std::mem::take(&mut self.held) {
            for h in held {
                match h {
                    Held::Stop(s) => {
                        let _ = s.pass();
                    }
                    Held::Gone(st) => self.ended_unrecorded(pid, st),
                }
            }
        }
        // Never gives up: runs until no tracee is left.
        while let Waited::Report(report) =
            stops::wait(None, self.mode(), || false).map_err(wait_failed)?
        {
            if let Some(w) = &self.watch {
                w.stop_seen();
                if w.killed() {
                    if let Report::Stop(s) = &report {
                        let _ = nix::sys::signal::kill(s.pid(), nix::sys::signal::Signal::SIGKILL);
                    }
                }
            }
            match report {
                Report::Exited(pid, code) => {
                    self.ended_unrecorded(pid.as_raw(), Status::Exited { exited: code })
                }
                Report::Signaled(pid, sig, core) => self.ended_unrecorded(
                    pid.as_raw(),
                    Status::Signaled {
                        signaled: Sig(sig),
                        core,
                    },
                ),
                Report::Stop(s) => {
                    let _ = s.pass();
                }
            }
        }
        self.tasks.clear();
        Ok(self.root_status)
    }

    /// A task ended while the program ran on unrecorded.
    fn ended_unrecorded(&mut self, pid: i32, status: Status) {
        if pid == self.root {
            self.root_status = Some(status);
        }
    }

    /// Number of events written so far.
    pub fn events_written(&self) -> u64 {
        self.w
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .events_written()
    }

    /// A ptrace limit changed what the program got: record it, and say it
    /// (the first time of its kind) through the caller's sink.
    pub fn limit(&mut self, l: super::limits::Limit) -> Result<(), RecordError> {
        let (granted, kept) = l.ids.unzip();
        let (request, target) = l.request.unzip();
        self.emit(
            l.pid,
            EventKind::PtraceLimit {
                limit: l.kind.as_str().into(),
                path: l.path.clone(),
                granted,
                kept,
                request: request.map(String::from),
                target: target.flatten(),
            },
        )?;
        if self.limits_said.insert(l.kind) {
            if let Some(sink) = self.watch.as_ref().and_then(|w| w.opts.limits.clone()) {
                (sink.0)(&l);
            }
        }
        Ok(())
    }

    /// The traced tasks, for the hang watch.
    fn watched(&self) -> Vec<WatchedTask> {
        let mut v: Vec<WatchedTask> = self
            .tasks
            .iter()
            .map(|(tid, t)| (*tid, t.tgid, t.group_stopped))
            .collect();
        v.sort_unstable();
        v
    }

    fn publish(&self) {
        if let Some(w) = &self.watch {
            if w.sampling() {
                w.publish(self.watched());
            }
        }
    }

    /// How tracees go on after a stop: PTRACE_CONT under forkscope's
    /// filter, PTRACE_SYSCALL when attached.
    fn mode(&self) -> Mode {
        if self.attached {
            Mode::EverySyscall
        } else {
            Mode::Filtered
        }
    }

    /// Is `pid` the first traced process?
    pub fn is_root(&self, pid: i32) -> bool {
        pid == self.root
    }

    /// Writes the buffered events to the file (a failure is kept by the
    /// writer: see [`Tracer::write_failure`]).
    pub fn flush(&self) -> Result<(), RecordError> {
        let _ = self.w.lock().unwrap_or_else(|e| e.into_inner()).flush();
        Ok(())
    }

    /// Runs until no tracee is left (or, attached, until a detach is asked
    /// for and done). Returns how the first process ended.
    pub fn run(&mut self) -> Result<Option<Status>, RecordError> {
        self.publish();
        loop {
            // The tracee of the last stop is already running again: write its
            // events now, off its critical path, before waiting for the next.
            if !self.flush_still_writing() {
                return self.run_unrecorded();
            }
            // Attached, a signal handler may ask for a detach: it interrupts
            // the wait, and is looked at before every wait.
            let attached = self.attached;
            let detach = || attached && super::signals::detach_requested();
            let report = match stops::wait(None, self.mode(), detach).map_err(wait_failed)? {
                Waited::Report(r) => r,
                Waited::GaveUp => {
                    self.detach_all()?;
                    break;
                }
                Waited::NoTracee => break,
            };
            let structural = !matches!(
                report,
                Report::Stop(
                    Stop::Seccomp(_) | Stop::Syscall(_) | Stop::Signal(_) | Stop::Other(_)
                )
            );
            if let Some(w) = &self.watch {
                w.stop_seen();
                if w.killed() {
                    // The tree is being killed for a hang: so is anything
                    // it forked meanwhile.
                    if let Report::Stop(s) = &report {
                        let _ = nix::sys::signal::kill(s.pid(), nix::sys::signal::Signal::SIGKILL);
                    }
                }
            }
            self.handle(report)?;
            if structural {
                self.publish();
            }
            if let Some(e) = self.error.take() {
                return Err(e);
            }
        }
        self.flush()?;
        Ok(self.root_status)
    }

    /// Detaches every attached task, leaving it as it was: each is
    /// interrupted (PTRACE_INTERRUPT), waited for, and detached, with the
    /// signal it was about to receive handed back. A task in a group-stop
    /// stays stopped: the kernel re-enters the stop on detach.
    fn detach_all(&mut self) -> Result<(), RecordError> {
        if let Some(w) = self.watch.clone() {
            w.check(&self.watched(), Why::Detach);
        }
        // Tasks held since before their fork event are stopped already.
        for (_, held) in std::mem::take(&mut self.held) {
            for h in held {
                if let Held::Stop(s) = h {
                    let _ = s.detach();
                }
            }
        }
        let mut pending: HashSet<i32> = self.tasks.keys().copied().collect();
        for &tid in &pending {
            let _ = nix::sys::ptrace::interrupt(Pid::from_raw(tid));
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        let late = || Instant::now() >= deadline;
        while !pending.is_empty() {
            let report = match stops::wait(None, self.mode(), late).map_err(wait_failed)? {
                Waited::Report(r) => r,
                Waited::NoTracee | Waited::GaveUp => break,
            };
            match report {
                Report::Exited(pid, code) => {
                    pending.remove(&pid.as_raw());
                    self.gone(pid.as_raw(), Status::Exited { exited: code })?;
                }
                Report::Signaled(pid, sig, core) => {
                    pending.remove(&pid.as_raw());
                    self.gone(
                        pid.as_raw(),
                        Status::Signaled {
                            signaled: Sig(sig),
                            core,
                        },
                    )?;
                }
                Report::Stop(s) => {
                    let pid = s.pid();
                    if let Stop::Created(e, _) = &s {
                        // Its new child was attached by the kernel: let it
                        // go too when it reports.
                        if let Ok(child) = e.message() {
                            pending.insert(child as i32);
                        }
                    }
                    let _ = s.detach();
                    pending.remove(&pid.as_raw());
                }
            }
        }
        self.tasks.clear();
        self.detached = true;
        Ok(())
    }

    /// The first SIGINT/SIGTERM/SIGHUP/SIGQUIT sent from outside the traced
    /// tree (the terminal, `kill`): before it is delivered, check the tree
    /// for a hang, so that the report is printed while the state is intact.
    fn check_on_signal(&mut self, sig: i32, from: Option<i32>) {
        if self.signal_checked || !is_terminating(sig) {
            return;
        }
        if from.is_some_and(|f| self.tasks.values().any(|t| t.tgid == f)) {
            return;
        }
        self.signal_checked = true;
        if let Some(w) = self.watch.clone() {
            w.check(&self.watched(), Why::Signal(sig));
        }
    }

    fn handle(&mut self, report: Report) -> Result<(), RecordError> {
        match report {
            Report::Exited(pid, code) => self.gone(pid.as_raw(), Status::Exited { exited: code }),
            Report::Signaled(pid, sig, core) => {
                self.kill_seen(Sig(sig))?;
                self.gone(
                    pid.as_raw(),
                    Status::Signaled {
                        signaled: Sig(sig),
                        core,
                    },
                )
            }
            Report::Stop(s) => {
                let pid = s.pid().as_raw();
                if !self.tasks.contains_key(&pid) {
                    self.hold(pid, Held::Stop(s));
                    return Ok(());
                }
                self.stop(s)
            }
        }
    }

    fn hold(&mut self, pid: i32, h: Held) {
        self.held.entry(pid).or_default().push(h);
    }

    fn stop(&mut self, s: Stop) -> Result<(), RecordError> {
        let pid = s.pid().as_raw();
        let resumed = match s {
            Stop::Seccomp(s) => self.syscall_entry(s),
            Stop::Syscall(s) if self.attached => self.syscall_stop(s),
            Stop::Syscall(s) => self.syscall_exit(s),
            Stop::Created(s, event) => self.created(s, event),
            Stop::Exec(s) => self.exec(s),
            Stop::Group(s) => {
                let sig = s.signal();
                self.kill_seen(Sig(sig))?;
                let ahead = self
                    .tasks
                    .get_mut(&pid)
                    .map(|t| std::mem::replace(&mut t.stop_recorded, false))
                    .unwrap_or(false);
                if !ahead {
                    self.emit(pid, EventKind::Stop { signal: Sig(sig) })?;
                }
                if let Some(t) = self.tasks.get_mut(&pid) {
                    t.group_stopped = true;
                }
                s.listen()
            }
            Stop::Trap(s) => {
                let was_stopped = self
                    .tasks
                    .get_mut(&pid)
                    .map(|t| std::mem::replace(&mut t.group_stopped, false))
                    .unwrap_or(false);
                if was_stopped {
                    // The SIGCONT that woke it was sent by a kill still in
                    // flight (its exit stop may come later): the kill comes
                    // first in the timeline, as for a delivered signal.
                    self.kill_seen(Sig(libc::SIGCONT))?;
                    self.emit(pid, EventKind::Continue {})?;
                }
                s.go_on()
            }
            Stop::Signal(s) => {
                let sig = s.signal();
                self.kill_seen(Sig(sig))?;
                // si_pid is a pid of the receiver's pid namespace.
                let info =
                    sender_info(&s).map(|(f, code, st)| (self.pidns.global(pid, f), code, st));
                let from = info.map(|(f, _, _)| f);
                // A SIGCHLD telling the parent that a child stopped: the
                // child's stop comes first in the timeline.
                if let Some((child, libc::CLD_STOPPED, stopsig)) = info {
                    self.stop_before_report(child, stopsig)?;
                }
                self.check_on_signal(sig, from);
                super::signals::delivered(sig, info.map_or(0, |(_, c, _)| c), from);
                self.stats.signals += 1;
                self.emit(
                    pid,
                    EventKind::Signal {
                        signal: Sig(sig),
                        from,
                    },
                )?;
                s.deliver()
            }
            Stop::Exit(s) => self.exit_stop(s),
            Stop::Other(s) => s.go_on(),
        };
        // A tracee that vanished between stop and resume is not an error: its exit will be reported.
        resumed.map_err(|e| RecordError::Ptrace {
            op: "resume",
            pid,
            errno: e,
        })?;
        Ok(())
    }

    fn syscall_entry(&mut self, s: SeccompStop) -> nix::Result<()> {
        let Some(c) = s.call() else {
            return s.go_on();
        };
        if self.attached || c.data != super::seccomp::FILTER_DATA {
            return self.programs_own_stop(s, c.arch, c.nr, c.args);
        }
        self.entry_call(s, c.arch, c.nr, c.args)
    }

    /// A seccomp stop that forkscope's filter did not cause: the program's
    /// own filter returned SECCOMP_RET_TRACE (see [`super::own_filter`]).
    /// The call is skipped with ENOSYS, as it would be untraced, and
    /// recorded as failing so (a close, recorded at entry, is not recorded:
    /// it did not happen). Attached, the syscall-entry stop recorded the
    /// call already and its exit stop will see the ENOSYS.
    fn programs_own_stop(
        &mut self,
        s: SeccompStop,
        arch: u32,
        nr: u64,
        args: [u64; 6],
    ) -> nix::Result<()> {
        let pid = s.pid();
        if super::own_filter::skip_with_enosys(&s).is_err() || self.attached {
            return s.go_on();
        }
        let call = Abi::from_audit_arch(arch)
            .and_then(|abi| sysno::lookup(abi, nr as i64).map(|sys| Call { sys, abi, args }));
        if let Some(call) = call.filter(|c| {
            !matches!(
                c.sys,
                sysno::Sys::Close
                    | sysno::Sys::CloseRange
                    | sysno::Sys::Fork
                    | sysno::Sys::Vfork
                    | sysno::Sys::Clone
                    | sysno::Sys::Clone3
            )
        }) {
            let r = match syscalls::entry(self, pid.as_raw(), call) {
                Ok(syscalls::Entry::AwaitExit(p)) => {
                    syscalls::exit(self, pid.as_raw(), p, Err(libc::ENOSYS))
                }
                Ok(syscalls::Entry::Done) => Ok(()),
                Err(e) => Err(e),
            };
            if let Err(e) = r {
                self.fail(e);
            }
        }
        s.go_on()
    }

    /// A syscall-stop of an attached tracee (PTRACE_SYSCALL): an entry or an
    /// exit, as PTRACE_GET_SYSCALL_INFO says.
    fn syscall_stop(&mut self, s: SyscallStop) -> nix::Result<()> {
        match s.side() {
            SyscallSide::Entry(s, arch, nr, args) => self.entry_call(s, arch, nr, args),
            SyscallSide::Exit(s, res) => match self.take_pending(s.pid()) {
                Some(p) => self.exit_call(s, p, res),
                None => s.go_on(),
            },
            SyscallSide::Unknown(s) => s.go_on(),
        }
    }

    /// A syscall entry (seccomp stop, or syscall-enter-stop when attached).
    fn entry_call(
        &mut self,
        s: impl AtEntry,
        arch: u32,
        nr: u64,
        args: [u64; 6],
    ) -> nix::Result<()> {
        let pid = s.pid();
        let Some(abi) = Abi::from_audit_arch(arch) else {
            return s.go_on();
        };
        let Some(sys) = sysno::lookup(abi, nr as i64) else {
            return s.go_on();
        };
        let call = Call { sys, abi, args };
        match syscalls::entry(self, pid.as_raw(), call) {
            Ok(syscalls::Entry::Done) => s.go_on(),
            Ok(syscalls::Entry::AwaitExit(p)) => {
                if let Some(t) = self.tasks.get_mut(&pid.as_raw()) {
                    t.pending = Some(p);
                }
                s.stop_at_exit()
            }
            Err(e) => {
                let r = s.go_on();
                self.fail(e);
                r
            }
        }
    }

    /// The syscall whose exit stop `pid` was awaiting, taken.
    fn take_pending(&mut self, pid: Pid) -> Option<Pending> {
        self.tasks
            .get_mut(&pid.as_raw())
            .and_then(|t| t.pending.take())
    }

    /// A started tracee's syscall-exit-stop (asked for at the entry).
    fn syscall_exit(&mut self, s: SyscallStop) -> nix::Result<()> {
        let Some(p) = self.take_pending(s.pid()) else {
            return s.go_on();
        };
        match s.side() {
            SyscallSide::Exit(s, res) => self.exit_call(s, p, res),
            SyscallSide::Entry(s, ..) => s.go_on(),
            SyscallSide::Unknown(s) => s.go_on(),
        }
    }

    /// Records the end of syscall `p`, which returned `res`.
    fn exit_call(&mut self, s: ExitStop, p: Pending, res: Result<i64, i32>) -> nix::Result<()> {
        let r = syscalls::exit(self, s.pid().as_raw(), p, res);
        let resumed = s.go_on();
        if let Err(e) = r {
            self.fail(e);
        }
        resumed
    }

    fn created(&mut self, s: EventStop, event: i32) -> nix::Result<()> {
        let parent = s.pid();
        let Ok(msg) = s.message() else {
            return s.go_on();
        };
        let child = msg as i32;
        let flavor = match syscalls::process::created(self, parent.as_raw(), event, child) {
            Ok(f) => f,
            Err(e) => {
                let r = s.go_on();
                self.fail(e);
                return r;
            }
        };
        let tgid = if flavor == ForkFlavor::Thread {
            self.tasks.get(&parent.as_raw()).map_or(child, |t| t.tgid)
        } else {
            child
        };
        self.task_born(parent.as_raw(), child, flavor);
        self.tasks.insert(child, Task::new(tgid));
        super::signals::member(tgid);
        let r = s.go_on();
        self.release_held(child);
        r
    }

    /// Notes a new process's parent (taken to be the creator's process:
    /// CLONE_PARENT is not followed here) and SIGCHLD disposition.
    fn task_born(&mut self, creator: i32, child: i32, flavor: ForkFlavor) {
        if flavor != ForkFlavor::Thread {
            let parent = self.tasks.get(&creator).map_or(creator, |t| t.tgid);
            self.unreaped.born(child, parent);
            self.sigchld.forked(parent, child);
        }
    }

    /// Replays what a new task did before its fork event was recorded.
    fn release_held(&mut self, child: i32) {
        for h in self.held.remove(&child).unwrap_or_default() {
            let r = match h {
                Held::Stop(s) => self.stop(s),
                Held::Gone(st) => self.gone(child, st),
            };
            if let Err(e) = r {
                self.fail(e);
            }
        }
    }

    fn exec(&mut self, s: EventStop) -> nix::Result<()> {
        let pid = s.pid().as_raw();
        let former = s.message().map(|m| m as i32).unwrap_or(pid);
        // The exec'ing task keeps its pending execve; if it was a non-leader
        // thread it now has the leader's id.
        let mut task = if former != pid {
            self.tasks.remove(&former)
        } else {
            self.tasks.remove(&pid)
        }
        .unwrap_or_else(|| Task::new(pid));
        let pending = task.pending.take();
        // Every other thread of the process is gone.
        let others: Vec<i32> = self
            .tasks
            .iter()
            .filter(|(_, t)| t.tgid == pid || t.tgid == task.tgid)
            .map(|(tid, _)| *tid)
            .collect();
        for tid in others {
            self.tasks.remove(&tid);
            self.vanished.insert(tid);
        }
        self.vanished.remove(&pid);
        // exec unshares the fd table and ends the other threads.
        self.shared_fd_tables.remove(&pid);
        self.sigchld.exec(pid);
        self.pidns.exec(pid);
        task.tgid = pid;
        self.tasks.insert(pid, task);
        let r = syscalls::exec::succeeded(self, pid, former, pending).and_then(|_| {
            let meta = self.elf.take_exe_meta(pid);
            super::limits::after_exec_with(pid, meta, &mut self.caps)
                .into_iter()
                .try_for_each(|l| self.limit(l))
        });
        let resumed = s.go_on();
        if let Err(e) = r {
            self.fail(e);
        }
        resumed
    }

    /// A task ended (the kernel reported its death to us).
    fn gone(&mut self, pid: i32, status: Status) -> Result<(), RecordError> {
        if self.vanished.remove(&pid) {
            return Ok(());
        }
        let Some(task) = self.tasks.remove(&pid) else {
            self.hold(pid, Held::Gone(status));
            return Ok(());
        };
        if pid == self.root {
            self.root_status = Some(status);
            if !self.attached {
                super::signals::root_gone(pid);
            }
        }
        self.kills.retain(|k| k.pid != pid);
        if !task.exit_recorded {
            let comm = super::procfs::comm(pid);
            self.emit(pid, EventKind::Exit { status, comm })?;
        }
        self.unreaped.exited(pid, status);
        Ok(())
    }

    /// Records `child`'s exit now, because a wait is about to report it reaped.
    /// Records `child`'s group-stop now, because its parent is about to be
    /// told of it (a wait reporting it, or the SIGCHLD for it) before the
    /// child's own ptrace report was handled.
    pub fn stop_before_report(&mut self, child: i32, sig: i32) -> Result<(), RecordError> {
        let need = match self.tasks.get_mut(&child) {
            Some(t) if !t.group_stopped && !t.stop_recorded => {
                t.stop_recorded = true;
                true
            }
            _ => false,
        };
        if need {
            self.emit(child, EventKind::Stop { signal: Sig(sig) })?;
        }
        Ok(())
    }

    pub fn exit_before_reap(&mut self, child: i32, status: Status) -> Result<(), RecordError> {
        let need = match self.tasks.get_mut(&child) {
            Some(t) if !t.exit_recorded => {
                t.exit_recorded = true;
                true
            }
            _ => false,
        };
        if need {
            let comm = super::procfs::comm(child);
            self.emit(child, EventKind::Exit { status, comm })?;
        }
        Ok(())
    }

    /// A task is seen receiving `sig`: kills of that signal still waiting for
    /// their sender's exit stop evidently succeeded; record them first.
    fn kill_seen(&mut self, sig: Sig) -> Result<(), RecordError> {
        if self.kills.is_empty() {
            return Ok(());
        }
        let due: Vec<InFlight> = self
            .kills
            .iter_mut()
            .filter(|k| !k.recorded && k.sig == sig)
            .map(|k| {
                k.recorded = true;
                k.clone()
            })
            .collect();
        for k in due {
            self.emit_kill(&k, true, None)?;
        }
        Ok(())
    }

    /// Writes a kill event.
    pub fn emit_kill(
        &mut self,
        k: &InFlight,
        ok: bool,
        errno: Option<String>,
    ) -> Result<(), RecordError> {
        self.emit(
            k.pid,
            EventKind::Kill {
                target: k.target,
                signal: k.sig,
                ok,
                via: k.via,
                errno,
            },
        )
    }

    /// PTRACE_EVENT_EXIT (`record --snapshots exit`): the task is in do_exit,
    /// its fd table not yet released. Threads share one table, so it is read
    /// only at the exit stop of the last thread of the process that still
    /// runs (rarely two snapshots, when a thread killed meanwhile stops after
    /// all): from `/proc/TID/fd` of that thread (a leader that exited first
    /// shows an empty table), and written as an `fd_snapshot` by that tid.
    /// ptrace(2): "PTRACE_EVENT_EXIT stop ... the tracee is stopped early
    /// during process exit, when registers are still available".
    fn exit_stop(&mut self, s: EventStop) -> nix::Result<()> {
        let tid = s.pid().as_raw();
        let Some(tgid) = self.tasks.get_mut(&tid).map(|t| {
            t.exit_stopped = true;
            t.tgid
        }) else {
            return s.go_on();
        };
        // A thread killed by another's exit_group (SIGKILL pending) exits
        // without an exit stop of its own: it does not count as running.
        let last = self.tasks.iter().all(|(id, t)| {
            *id == tid || t.tgid != tgid || t.exit_stopped || super::procfs::dying(*id)
        });
        if last {
            // With each fd's close-on-exec flag (one fdinfo read per fd,
            // at exit only), which --verify compares as well.
            let fds = super::procfs::fd_table(tid, true);
            let ev = EventKind::FdSnapshot {
                at: "exit".into(),
                fds,
                cloexec: true,
            };
            if let Err(e) = self.emit(tid, ev) {
                let r = s.go_on();
                self.fail(e);
                return r;
            }
        }
        s.go_on()
    }

    /// An error while handling a stop after the tracee was already resumed:
    /// keep it, stop at the next opportunity.
    fn fail(&mut self, e: RecordError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }
}
