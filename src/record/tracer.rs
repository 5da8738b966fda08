//! The event loop: wait for the next ptrace-stop of any tracee, turn it into
//! trace events, resume it. Keeps per-task state (the syscall awaiting its
//! exit stop, group-stop, thread group) and the ordering rules that keep the
//! timeline causal:
//! - a new task's stops are held until its parent's fork event is recorded;
//! - a child's exit is recorded before the wait that reaps it;
//! - a kill is recorded before its signal is seen arriving.

use super::elf::ElfCache;
use super::stops::{self, Report, StopKind, Stopped};
use super::syscalls::{self, signal::InFlight, Call, Pending};
use super::sysno::{self, Abi};
use super::RecordError;
use crate::trace::{EventKind, ForkFlavor, Sig, Status, TraceWriter};
use nix::sys::ptrace;
use nix::unistd::Pid;
use std::collections::{HashMap, HashSet};

/// Counts for the summary line.
#[derive(Debug, Default, Clone)]
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
    /// Its exit was recorded already (ahead of a reaping wait).
    pub exit_recorded: bool,
}

impl Task {
    fn new(tgid: i32) -> Task {
        Task {
            tgid,
            pending: None,
            group_stopped: false,
            exit_recorded: false,
        }
    }
}

/// Something a task did before its parent's fork event was seen.
#[derive(Debug)]
enum Held {
    Stop(Stopped, StopKind),
    Gone(Status),
}

/// The tracer's state.
pub struct Tracer {
    w: TraceWriter,
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
}

/// Who sent the signal being delivered to `pid`, when the kernel says: a
/// process that called kill/tkill/sigqueue, or the child behind a SIGCHLD.
fn sender(pid: Pid, sig: i32) -> Option<i32> {
    let si = ptrace::getsiginfo(pid).ok()?;
    // SAFETY: si_pid is valid for SI_USER, SI_TKILL, SI_QUEUE and for SIGCHLD
    // with a CLD_* code, which are the only cases read.
    let from = unsafe { si.si_pid() };
    let by_process = matches!(si.si_code, libc::SI_USER | libc::SI_TKILL | libc::SI_QUEUE);
    let by_child = sig == libc::SIGCHLD && si.si_code > 0;
    (by_process || by_child).then_some(from).filter(|p| *p > 0)
}

impl Tracer {
    /// A tracer for the tree rooted at `root`, writing to `w`.
    pub fn new(w: TraceWriter, root: i32) -> Tracer {
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
        }
    }

    /// Appends an event by `pid`.
    pub fn emit(&mut self, pid: i32, kind: EventKind) -> Result<(), RecordError> {
        self.w.emit(pid, kind)?;
        Ok(())
    }

    /// Is `pid` the first traced process?
    pub fn is_root(&self, pid: i32) -> bool {
        pid == self.root
    }

    /// The writer (for the summary).
    pub fn writer(&self) -> &TraceWriter {
        &self.w
    }

    /// Runs until no tracee is left. Returns how the first process ended.
    pub fn run(&mut self) -> Result<Option<Status>, RecordError> {
        loop {
            // The tracee of the last stop is already running again: write its
            // events now, off its critical path, before waiting for the next.
            self.w.flush()?;
            let Some(report) = stops::wait_any().map_err(|e| RecordError::Ptrace {
                op: "waitpid",
                pid: -1,
                errno: e,
            })?
            else {
                break;
            };
            self.handle(report)?;
            if let Some(e) = self.error.take() {
                return Err(e);
            }
        }
        self.w.flush()?;
        Ok(self.root_status)
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
            Report::Stop(s, kind) => {
                let pid = s.pid().as_raw();
                if !self.tasks.contains_key(&pid) {
                    self.hold(pid, Held::Stop(s, kind));
                    return Ok(());
                }
                self.stop(s, kind)
            }
        }
    }

    fn hold(&mut self, pid: i32, h: Held) {
        self.held.entry(pid).or_default().push(h);
    }

    fn stop(&mut self, s: Stopped, kind: StopKind) -> Result<(), RecordError> {
        let pid = s.pid().as_raw();
        let resumed = match kind {
            StopKind::Seccomp => self.syscall_entry(s),
            StopKind::SyscallExit => self.syscall_exit(s),
            StopKind::Created(event) => self.created(s, event),
            StopKind::Exec => self.exec(s),
            StopKind::GroupStop(sig) => {
                self.kill_seen(Sig(sig))?;
                self.emit(pid, EventKind::Stop { signal: Sig(sig) })?;
                if let Some(t) = self.tasks.get_mut(&pid) {
                    t.group_stopped = true;
                }
                s.listen()
            }
            StopKind::Trap => {
                let was_stopped = self
                    .tasks
                    .get_mut(&pid)
                    .map(|t| std::mem::replace(&mut t.group_stopped, false))
                    .unwrap_or(false);
                if was_stopped {
                    self.emit(pid, EventKind::Continue {})?;
                }
                s.cont(0)
            }
            StopKind::Signal(sig) => {
                self.kill_seen(Sig(sig))?;
                let from = sender(s.pid(), sig);
                self.stats.signals += 1;
                self.emit(
                    pid,
                    EventKind::Signal {
                        signal: Sig(sig),
                        from,
                    },
                )?;
                s.cont(sig)
            }
            StopKind::Other => s.cont(0),
        };
        // A tracee that vanished between stop and resume is not an error: its exit will be reported.
        resumed.map_err(|e| RecordError::Ptrace {
            op: "resume",
            pid,
            errno: e,
        })?;
        Ok(())
    }

    fn syscall_entry(&mut self, s: Stopped) -> nix::Result<()> {
        let pid = s.pid();
        let info = match ptrace::syscall_info(pid) {
            Ok(i) => i,
            Err(_) => return s.cont(0),
        };
        if info.op != libc::PTRACE_SYSCALL_INFO_SECCOMP {
            return s.cont(0);
        }
        let Some(abi) = Abi::from_audit_arch(info.arch) else {
            return s.cont(0);
        };
        // SAFETY: op is PTRACE_SYSCALL_INFO_SECCOMP, so the `seccomp` member
        // of the union is the one the kernel filled in.
        let (nr, args) = unsafe { (info.u.seccomp.nr, info.u.seccomp.args) };
        let Some(sys) = sysno::lookup(abi, nr as i64) else {
            return s.cont(0);
        };
        let call = Call { sys, abi, args };
        match syscalls::entry(self, pid.as_raw(), call) {
            Ok(syscalls::Entry::Done) => s.cont(0),
            Ok(syscalls::Entry::AwaitExit(p)) => {
                if let Some(t) = self.tasks.get_mut(&pid.as_raw()) {
                    t.pending = Some(p);
                }
                s.to_syscall_exit()
            }
            Err(e) => {
                let r = s.cont(0);
                self.fail(e);
                r
            }
        }
    }

    fn syscall_exit(&mut self, s: Stopped) -> nix::Result<()> {
        let pid = s.pid();
        let pending = self
            .tasks
            .get_mut(&pid.as_raw())
            .and_then(|t| t.pending.take());
        let Some(p) = pending else {
            return s.cont(0);
        };
        let res = match ptrace::syscall_info(pid) {
            // SAFETY: op is PTRACE_SYSCALL_INFO_EXIT, so `exit` is the filled member.
            Ok(i) if i.op == libc::PTRACE_SYSCALL_INFO_EXIT => unsafe {
                if i.u.exit.is_error != 0 {
                    Err(-i.u.exit.sval as i32)
                } else {
                    Ok(i.u.exit.sval)
                }
            },
            _ => return s.cont(0),
        };
        let r = syscalls::exit(self, pid.as_raw(), p, res);
        let resumed = s.cont(0);
        if let Err(e) = r {
            self.fail(e);
        }
        resumed
    }

    fn created(&mut self, s: Stopped, event: i32) -> nix::Result<()> {
        let parent = s.pid();
        let Ok(msg) = ptrace::getevent(parent) else {
            return s.cont(0);
        };
        let child = msg as i32;
        let flavor = match syscalls::process::created(self, parent.as_raw(), event, child) {
            Ok(f) => f,
            Err(e) => {
                let r = s.cont(0);
                self.fail(e);
                return r;
            }
        };
        let tgid = if flavor == ForkFlavor::Thread {
            self.tasks.get(&parent.as_raw()).map_or(child, |t| t.tgid)
        } else {
            child
        };
        self.tasks.insert(child, Task::new(tgid));
        let r = s.cont(0);
        self.release_held(child);
        r
    }

    /// Replays what a new task did before its fork event was recorded.
    fn release_held(&mut self, child: i32) {
        for h in self.held.remove(&child).unwrap_or_default() {
            let r = match h {
                Held::Stop(s, k) => self.stop(s, k),
                Held::Gone(st) => self.gone(child, st),
            };
            if let Err(e) = r {
                self.fail(e);
            }
        }
    }

    fn exec(&mut self, s: Stopped) -> nix::Result<()> {
        let pid = s.pid().as_raw();
        let former = ptrace::getevent(s.pid()).map(|m| m as i32).unwrap_or(pid);
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
        task.tgid = pid;
        self.tasks.insert(pid, task);
        let r = syscalls::exec::succeeded(self, pid, former, pending);
        let resumed = s.cont(0);
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
        }
        self.kills.retain(|k| k.pid != pid);
        if !task.exit_recorded {
            self.emit(pid, EventKind::Exit { status })?;
        }
        Ok(())
    }

    /// Records `child`'s exit now, because a wait is about to report it reaped.
    pub fn exit_before_reap(&mut self, child: i32, status: Status) -> Result<(), RecordError> {
        let need = match self.tasks.get_mut(&child) {
            Some(t) if !t.exit_recorded => {
                t.exit_recorded = true;
                true
            }
            _ => false,
        };
        if need {
            self.emit(child, EventKind::Exit { status })?;
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

    /// An error while handling a stop after the tracee was already resumed:
    /// keep it, stop at the next opportunity.
    fn fail(&mut self, e: RecordError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }
}
