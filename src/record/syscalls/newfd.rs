//! Calls that make one new fd and are not open, pipe, dup or socket
//! (epoll_create1, eventfd2, memfd_create, pidfd_open, ...): the fd is the
//! return value; what it is and its close-on-exec flag are read from /proc
//! at the exit stop, while the tracee is stopped and the fd is certainly
//! still the new one.

use super::{Pending, SysResult};
use crate::record::{procfs, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::EventKind;

/// Records the new fd (a failed call changed nothing and is not recorded).
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let (Ok(v), Sys::NewFd(name)) = (res, p.call.sys) else {
        return Ok(());
    };
    let fd = v as i32;
    t.emit(
        pid,
        EventKind::NewFd {
            fd,
            syscall: name.into(),
            target: procfs::fd_target(pid, fd),
            cloexec: procfs::fd_cloexec(pid, fd).unwrap_or(false),
        },
    )
}
