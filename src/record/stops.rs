//! Wait statuses decoded once into typed stops, and the ways to resume them.
//!
//! A [`Stopped`] token is what lets the tracer resume a tracee; every resume
//! method consumes it, so one stop cannot be resumed twice by mistake. The
//! decoding follows ptrace(2) for tracees attached with PTRACE_SEIZE:
//! `status>>8 == SIGTRAP|0x80` is a syscall-stop (PTRACE_O_TRACESYSGOOD);
//! `status>>16` is the PTRACE_EVENT_* of an event stop, PTRACE_EVENT_STOP
//! being a group-stop when its signal is a stopping signal and an
//! attach/interrupt/listen-end trap when it is SIGTRAP; anything else is a
//! signal-delivery-stop.

use nix::errno::Errno;
use nix::sys::ptrace;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

/// A tracee in a ptrace-stop, which must be resumed exactly once.
#[must_use = "a stopped tracee must be resumed"]
#[derive(Debug)]
pub struct Stopped {
    pid: Pid,
}

impl Stopped {
    /// The stopped task.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// PTRACE_CONT, delivering `sig` (0 for none). ESRCH (the tracee was
    /// killed meanwhile) is not an error: its exit will be reported.
    pub fn cont(self, sig: i32) -> nix::Result<()> {
        let s = if sig == 0 {
            None
        } else {
            Signal::try_from(sig).ok()
        };
        let r = if s.is_none() && sig != 0 {
            // Real-time signals have no nix Signal; use the raw request.
            raw(libc::PTRACE_CONT, self.pid, sig)
        } else {
            ptrace::cont(self.pid, s)
        };
        ok_unless_gone(r)
    }

    /// PTRACE_SYSCALL: resume and stop again at this syscall's exit.
    pub fn to_syscall_exit(self) -> nix::Result<()> {
        ok_unless_gone(ptrace::syscall(self.pid, None))
    }

    /// PTRACE_LISTEN: leave a group-stopped tracee stopped, but let the
    /// tracer hear when SIGCONT (or another event) ends the stop.
    pub fn listen(self) -> nix::Result<()> {
        ok_unless_gone(raw(libc::PTRACE_LISTEN, self.pid, 0))
    }

    /// The tracee is known to be gone (a ptrace request said ESRCH): there is
    /// nothing to resume.
    pub fn gone(self) {}
}

fn raw(req: libc::c_uint, pid: Pid, data: i32) -> nix::Result<()> {
    // SAFETY: PTRACE_CONT/PTRACE_LISTEN take no pointers: addr is ignored and
    // data is a signal number passed by value.
    let r = unsafe {
        libc::ptrace(
            req,
            pid.as_raw(),
            std::ptr::null_mut::<libc::c_void>(),
            data as libc::c_long,
        )
    };
    Errno::result(r).map(drop)
}

fn ok_unless_gone(r: nix::Result<()>) -> nix::Result<()> {
    match r {
        Err(Errno::ESRCH) => Ok(()),
        other => other,
    }
}

/// What a `waitpid(-1, __WALL)` reported.
#[derive(Debug)]
pub enum Report {
    /// The task exited with a code.
    Exited(Pid, i32),
    /// The task was killed by a signal.
    Signaled(Pid, i32, bool),
    /// The task is in a ptrace-stop.
    Stop(Stopped, StopKind),
}

/// Which ptrace-stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// PTRACE_EVENT_SECCOMP: entry to a syscall our filter traces.
    Seccomp,
    /// Syscall-exit-stop (we only ask for exits, after a seccomp stop).
    SyscallExit,
    /// PTRACE_EVENT_FORK / VFORK / CLONE (the event number): the task created another.
    Created(i32),
    /// PTRACE_EVENT_EXEC: a successful exec.
    Exec,
    /// PTRACE_EVENT_STOP with a stopping signal: group-stop.
    GroupStop(i32),
    /// PTRACE_EVENT_STOP with SIGTRAP: attach stop, interrupt, or the end of a listened group-stop.
    Trap,
    /// Signal-delivery-stop.
    Signal(i32),
    /// PTRACE_EVENT_EXIT: the task is about to exit, its fd table still
    /// intact (only with `record --snapshots exit`, which asks for it).
    Exit,
    /// An event we did not ask for (e.g. PTRACE_EVENT_VFORK_DONE).
    Other,
}

/// Blocks for the next report from any tracee. `Ok(None)` when no tracee is left.
pub fn wait_any() -> nix::Result<Option<Report>> {
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: waitpid writes one int through a valid pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::__WALL) };
        if pid < 0 {
            match Errno::last() {
                Errno::EINTR => continue,
                Errno::ECHILD => return Ok(None),
                e => return Err(e),
            }
        }
        return Ok(Some(decode(Pid::from_raw(pid), status)));
    }
}

/// Decodes one wait status.
pub fn decode(pid: Pid, status: i32) -> Report {
    if libc::WIFEXITED(status) {
        return Report::Exited(pid, libc::WEXITSTATUS(status));
    }
    if libc::WIFSIGNALED(status) {
        return Report::Signaled(pid, libc::WTERMSIG(status), libc::WCOREDUMP(status));
    }
    let sig = libc::WSTOPSIG(status);
    let event = (status >> 16) & 0xffff;
    let kind = if sig == (libc::SIGTRAP | 0x80) {
        StopKind::SyscallExit
    } else {
        match event {
            0 => StopKind::Signal(sig),
            libc::PTRACE_EVENT_SECCOMP => StopKind::Seccomp,
            libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE => {
                StopKind::Created(event)
            }
            libc::PTRACE_EVENT_EXEC => StopKind::Exec,
            libc::PTRACE_EVENT_EXIT => StopKind::Exit,
            libc::PTRACE_EVENT_STOP => {
                if matches!(
                    sig,
                    libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
                ) {
                    StopKind::GroupStop(sig)
                } else {
                    StopKind::Trap
                }
            }
            _ => StopKind::Other,
        }
    };
    Report::Stop(Stopped { pid }, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(status: i32) -> StopKind {
        match decode(Pid::from_raw(1), status) {
            Report::Stop(s, k) => {
                s.gone();
                k
            }
            other => panic!("{other:?}"),
        }
    }

    fn stopped(sig: i32, event: i32) -> i32 {
        (event << 16) | (sig << 8) | 0x7f
    }

    #[test]
    fn stops_decode_as_ptrace_2_describes_them() {
        assert_eq!(
            kind(stopped(libc::SIGTRAP | 0x80, 0)),
            StopKind::SyscallExit
        );
        assert_eq!(
            kind(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_SECCOMP)),
            StopKind::Seccomp
        );
        assert_eq!(
            kind(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_VFORK)),
            StopKind::Created(libc::PTRACE_EVENT_VFORK)
        );
        assert_eq!(
            kind(stopped(libc::SIGSTOP, libc::PTRACE_EVENT_STOP)),
            StopKind::GroupStop(libc::SIGSTOP)
        );
        assert_eq!(
            kind(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_STOP)),
            StopKind::Trap
        );
        assert_eq!(
            kind(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_EXIT)),
            StopKind::Exit
        );
        assert_eq!(
            kind(stopped(libc::SIGPIPE, 0)),
            StopKind::Signal(libc::SIGPIPE)
        );
        assert!(matches!(
            decode(Pid::from_raw(1), 7 << 8),
            Report::Exited(_, 7)
        ));
    }
}
