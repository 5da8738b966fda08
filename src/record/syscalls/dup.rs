//! dup, dup2, dup3 and fcntl(F_DUPFD, F_DUPFD_CLOEXEC, F_SETFD): one decoder
//! for the family (as strace's dup.c), recorded at exit with the result.

use super::{errno_of, Pending, SysResult};
use crate::record::{sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::{DupVia, EventKind};

/// Records the dup or the close-on-exec change.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let c = p.call;
    let errno = errno_of(res);
    let new = res.unwrap_or(-1) as i32;
    let ev = match c.sys {
        Sys::Dup => EventKind::Dup {
            old_fd: c.int(0),
            new_fd: new,
            via: DupVia::Dup,
            cloexec: false,
            errno,
        },
        Sys::Dup2 | Sys::Dup3 => EventKind::Dup {
            old_fd: c.int(0),
            new_fd: c.int(1),
            via: if c.sys == Sys::Dup2 {
                DupVia::Dup2
            } else {
                DupVia::Dup3
            },
            cloexec: c.sys == Sys::Dup3 && c.int(2) & libc::O_CLOEXEC != 0,
            errno,
        },
        Sys::Fcntl if c.int(1) == libc::F_SETFD => EventKind::SetCloexec {
            fd: c.int(0),
            cloexec: c.int(2) & libc::FD_CLOEXEC != 0,
            errno,
            via: None,
        },
        Sys::Fcntl => EventKind::Dup {
            old_fd: c.int(0),
            new_fd: new,
            via: DupVia::Fcntl,
            cloexec: c.int(1) == libc::F_DUPFD_CLOEXEC,
            errno,
        },
        _ => return Ok(()),
    };
    t.emit(pid, ev)
}
