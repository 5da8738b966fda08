//! wait4 (and i386 waitpid) and waitid: who waited for what, and which child
//! was reaped with which status. A WNOHANG poll that found nothing is
//! recorded too (reaped: null). waitid with WNOWAIT only peeks and is skipped.

use super::{errno_of, Pending, SysResult};
use crate::record::{mem, sysno::Abi, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::{EventKind, Sig, Status, WaitVia};
use nix::unistd::Pid;

/// P_* id types of waitid.
const P_ALL: i32 = 0;
const P_PID: i32 = 1;
const P_PGID: i32 = 2;

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
        let target = match idtype {
            P_ALL => -1,
            P_PID => id,
            P_PGID => -id,
            _ => id,
        };
        let (reaped, status) = match res {
            Ok(_) if c.args[2] != 0 => read_siginfo(tracee, c.args[2], c.abi),
            _ => (None, None),
        };
        (target, options, WaitVia::Waitid, reaped, status)
    } else {
        let options = c.int(2);
        let reaped = match res {
            Ok(v) if v > 0 => Some(v as i32),
            _ => None,
        };
        let status = match reaped {
            Some(_) if c.args[1] != 0 => mem::read_i32(tracee, c.args[1])
                .ok()
                .map(Status::from_wait_status),
            _ => None,
        };
        (c.int(0) as i64, options, WaitVia::Wait4, reaped, status)
    };
    // The reaped child's own exit must come first in the timeline.
    if let (Some(child), Some(st)) = (reaped, status) {
        match st {
            Status::Stopped { stopped } => t.stop_before_report(child, stopped.0)?,
            _ if st.is_final() => t.exit_before_reap(child, st)?,
            _ => {}
        }
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
    let status = match code {
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
    };
    (Some(child), Some(status))
}
