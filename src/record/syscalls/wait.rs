//! wait4 (and i386 waitpid) and waitid: who waited for what, and which child
//! was reaped with which status. A WNOHANG poll that found nothing is
//! recorded too (reaped: null). waitid with WNOWAIT only peeks and is skipped.
//!
//! Pids are recorded as forkscope sees them (see [`crate::record::pidns`]).
//! waitid(P_PIDFD, fd) is recorded with the pid of the process the pidfd
//! refers to, read at entry (once reaped, fdinfo no longer names it).
//! waitid with a NULL siginfo returns 0 without saying which child it
//! reaped: the child is found among the caller's children whose exit was
//! seen, as the one whose /proc entry is gone (see [`Unreaped`]).
//! So is the child reaped by a wait that then fails with EFAULT: the kernel
//! reaps before it copies the status (or siginfo, or rusage) out (see
//! `reaped_before_efault`).

use super::{errno_of, Call, Entry, Pending, Saved, SysResult};
use crate::record::{mem, sysno::Abi, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::{EventKind, Sig, Status, WaitVia};
use nix::unistd::Pid;
use std::collections::HashMap;

/// P_* id types of waitid.
const P_ALL: i32 = 0;
const P_PID: i32 = 1;
const P_PGID: i32 = 2;
const P_PIDFD: i32 = 3;

/// Traced processes whose exit was seen and that no recorded wait reaped
/// yet, with their parents: where a waitid with a NULL siginfo finds the
/// child it reaped. Updated at rare events only (fork, exit, reap).
#[derive(Debug, Default)]
pub struct Unreaped {
    /// Child pid -> parent pid, for processes not known to be reaped.
    parent: HashMap<i32, i32>,
    /// Exited ones: pid -> (order of exit, status).
    exited: HashMap<i32, (u64, Status)>,
    exits: u64,
}

impl Unreaped {
    /// `child` (a process) was created with parent process `parent`.
    pub fn born(&mut self, child: i32, parent: i32) {
        self.exited.remove(&child);
        self.parent.insert(child, parent);
    }

    /// The process `pid` ended with `status`.
    pub fn exited(&mut self, pid: i32, status: Status) {
        if self.parent.contains_key(&pid) {
            self.exits += 1;
            self.exited.insert(pid, (self.exits, status));
        }
    }

    /// A recorded wait reaped `pid`.
    pub fn reaped(&mut self, pid: i32) {
        self.parent.remove(&pid);
        self.exited.remove(&pid);
    }

    /// The child of `waiter` (matching `only`, when given) that a wait
    /// without siginfo just reaped: the first to exit of those whose /proc
    /// entry is gone (a reaped process is released; a zombie still has one).
    fn find(&self, waiter: i32, only: Option<i32>) -> Option<(i32, Status)> {
        self.exited
            .iter()
            .filter(|(c, _)| self.parent.get(c) == Some(&waiter))
            .filter(|(c, _)| only.is_none_or(|o| o == **c))
            .filter(|(c, _)| !std::path::Path::new(&format!("/proc/{c}")).exists())
            .min_by_key(|(_, (order, _))| *order)
            .map(|(c, (_, st))| (*c, *st))
    }
}

/// waitid(P_PIDFD, fd, ...): reads which process the pidfd names now, while
/// it is not yet reaped.
pub fn entry(_t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    let saved = if call.int(0) == P_PIDFD {
        pidfd_pid(pid, call.int(1)).map_or(Saved::Nothing, Saved::Pid)
    } else {
        Saved::Nothing
    };
    Ok(Entry::AwaitExit(Pending { call, saved }))
}

/// The `Pid:` line of /proc/PID/fdinfo/FD for a pidfd: the process's pid
/// in the namespace of forkscope's /proc (-1 once it is reaped).
fn pidfd_pid(pid: i32, fd: i32) -> Option<i32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    let p: i32 = text
        .lines()
        .find_map(|l| l.strip_prefix("Pid:"))?
        .trim()
        .parse()
        .ok()?;
    (p > 0).then_some(p)
}

/// Records the wait.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let c = p.call;
    let tracee = Pid::from_raw(pid);
    let (target, options, via, reaped, status) = if c.sys == Sys::Waitid {
        let idtype = c.int(0);
        let id = c.int(1) as i64;
        let options = c.int(3);
        if options & libc::WNOWAIT != 0 {
            return Ok(());
        }
        let target = match (idtype, &p.saved) {
            (P_ALL, _) => -1,
            (P_PID, _) => t.pidns.global_target(pid, id),
            (P_PGID, _) => t.pidns.global_target(pid, -id),
            (P_PIDFD, Saved::Pid(p)) => *p as i64,
            _ => id,
        };
        let (reaped, status) = match res {
            Ok(_) if c.args[2] != 0 => {
                let (r, st) = read_siginfo(tracee, c.args[2], c.abi);
                (r.map(|r| t.pidns.global(pid, r)), st)
            }
            // No siginfo: which child, if any, is gone now?
            Ok(_) if options & libc::WEXITED != 0 => {
                let waiter = t.tasks.get(&pid).map_or(pid, |w| w.tgid);
                let only = (target > 0).then_some(target as i32);
                match t.unreaped.find(waiter, only) {
                    Some((child, _)) => (Some(child), None),
                    None => (None, None),
                }
            }
            Err(e) if options & libc::WEXITED != 0 => {
                let only = (target > 0).then_some(target as i32);
                (reaped_before_efault(t, pid, e, only), None)
            }
            _ => (None, None),
        };
        (target, options, WaitVia::Waitid, reaped, status)
    } else {
        let options = c.int(2);
        let target = t.pidns.global_target(pid, c.int(0) as i64);
        let reaped = match res {
            Ok(v) if v > 0 => Some(t.pidns.global(pid, v as i32)),
            Err(e) => reaped_before_efault(t, pid, e, (target > 0).then_some(target as i32)),
            _ => None,
        };
        let status = match (reaped, res) {
            (Some(_), Ok(_)) if c.args[1] != 0 => mem::read_i32(tracee, c.args[1])
                .ok()
                .map(Status::from_wait_status),
            _ => None,
        };
        (target, options, WaitVia::Wait4, reaped, status)
    };
    // The reaped child's own exit must come first in the timeline.
    if let (Some(child), Some(st)) = (reaped, status) {
        match st {
            Status::Stopped { stopped } => t.stop_before_report(child, stopped.0)?,
            _ if st.is_final() => t.exit_before_reap(child, st)?,
            _ => {}
        }
    }
    if let Some(child) = reaped.filter(|_| status.is_none_or(|s| s.is_final())) {
        t.unreaped.reaped(child);
    }
    t.emit(
        pid,
        EventKind::Wait {
            target,
            reaped,
            status,
            nohang: options & libc::WNOHANG != 0,
            untraced: options & libc::WUNTRACED != 0,
            continued: options & libc::WCONTINUED != 0,
            via,
            errno: errno_of(res),
        },
    )
}

/// The child a wait that failed with `errno` reaped all the same, if any.
///
/// Only EFAULT, and then only after a child was reported: kernel_wait4()
/// (kernel/exit.c) runs do_wait(), whose wait_task_zombie() releases the
/// zombie (release_task) and leaves its status in `wo_stat`, and only then
/// `if (ret > 0 && stat_addr && put_user(wo.wo_stat, stat_addr)) ret =
/// -EFAULT;` (the rusage copy likewise); waitid() copies its siginfo out
/// after kernel_waitid() returned too. The call returns no pid, so the
/// child is found as for a waitid without siginfo: the waiter's exited
/// child (`only` that one, for a pid target) whose /proc entry is gone. A
/// stopped or continued child reported before an EFAULT is not reaped and
/// is not among the exited ones.
fn reaped_before_efault(t: &Tracer, pid: i32, errno: i32, only: Option<i32>) -> Option<i32> {
    if errno != libc::EFAULT {
        return None;
    }
    let waiter = t.tasks.get(&pid).map_or(pid, |w| w.tgid);
    t.unreaped.find(waiter, only).map(|(child, _)| child)
}

/// Reads si_pid, si_code and si_status from a waitid siginfo_t.
fn read_siginfo(pid: Pid, addr: u64, abi: Abi) -> (Option<i32>, Option<Status>) {
    // siginfo_t: si_signo, si_errno, si_code (ints), then the union, aligned
    // to the pointer size: at 16 on 64-bit, at 12 on i386.
    let union_at = if abi.word_size() == 8 { 16 } else { 12 };
    let mut b = [0u8; 32];
    match mem::read_bytes(pid, addr, &mut b) {
        Ok(n) if n >= union_at + 12 => {}
        _ => return (None, None),
    }
    let int = |o: usize| i32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    let code = int(8);
    let child = int(union_at);
    let st = int(union_at + 8);
    if child == 0 {
        return (None, None); // WNOHANG and nothing to report
    }
    (Some(child), Some(siginfo_status(code, st)))
}

/// The status a waitid siginfo reports, from its si_code and si_status.
pub(crate) fn siginfo_status(code: i32, st: i32) -> Status {
    match code {
        libc::CLD_EXITED => Status::Exited { exited: st },
        libc::CLD_KILLED => Status::Signaled {
            signaled: Sig(st),
            core: false,
        },
        libc::CLD_DUMPED => Status::Signaled {
            signaled: Sig(st),
            core: true,
        },
        libc::CLD_STOPPED | libc::CLD_TRAPPED => Status::Stopped { stopped: Sig(st) },
        _ => Status::Continued { continued: true },
    }
}
