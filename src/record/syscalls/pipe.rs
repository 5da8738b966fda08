//! pipe and pipe2: the two new fds are read from the tracee's `int[2]` at exit,
//! and the pipe's identity (its inode) from /proc/PID/fd.

use super::{Pending, SysResult};
use crate::record::{mem, procfs, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::{errno_name, EventKind};
use nix::unistd::Pid;

/// Records the pipe.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    if let Err(e) = res {
        return t.emit(
            pid,
            EventKind::PipeFailed {
                errno: errno_name(e),
            },
        );
    }
    let Ok([read_fd, write_fd]) = mem::read_i32_pair(Pid::from_raw(pid), p.call.args[0]) else {
        return Ok(());
    };
    let flags = if p.call.sys == Sys::Pipe2 {
        p.call.args[1] as i32
    } else {
        0
    };
    let pipe_id = procfs::fd_target(pid, read_fd)
        .and_then(|t| crate::trace::parse_bracket_inode(t.as_bytes(), b"pipe:["))
        .unwrap_or(0);
    t.stats.pipes += 1;
    t.emit(
        pid,
        EventKind::Pipe {
            read_fd,
            write_fd,
            pipe_id,
            cloexec: flags & libc::O_CLOEXEC != 0,
            nonblock: flags & libc::O_NONBLOCK != 0,
        },
    )
}
