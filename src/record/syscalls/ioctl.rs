//! ioctl, for the few commands that change an fd table: FIOCLEX and
//! FIONCLEX (set or clear FD_CLOEXEC, like fcntl(F_SETFD)) and the commands
//! whose result is a new fd (NS_GET_USERNS, NS_GET_PARENT, PIDFD_GET_*_NAMESPACE,
//! SIOCGSKNS, TIOCGPTPEER, ...). The seccomp filter stops only for these
//! (see `sysno::IOCTL_TRACED_CMDS`): terminals make ioctl one of the most
//! frequent calls, and every other command runs without a stop.

use super::{errno_of, Pending, SysResult};
use crate::record::{procfs, sysno, tracer::Tracer, RecordError};
use crate::trace::EventKind;

/// Records the close-on-exec change or the new fd.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let c = p.call;
    let cmd = c.args[1] as u32;
    let fd = c.int(0);
    if cmd == sysno::FIOCLEX || cmd == sysno::FIONCLEX {
        let name = if cmd == sysno::FIOCLEX {
            "ioctl(FIOCLEX)"
        } else {
            "ioctl(FIONCLEX)"
        };
        return t.emit(
            pid,
            EventKind::SetCloexec {
                fd,
                cloexec: cmd == sysno::FIOCLEX,
                errno: errno_of(res),
                via: Some(name.into()),
            },
        );
    }
    let (Ok(v), Some(name)) = (res, sysno::ioctl_new_fd(cmd)) else {
        return Ok(());
    };
    let new = v as i32;
    t.emit(
        pid,
        EventKind::NewFd {
            fd: new,
            syscall: format!("ioctl({name})"),
            target: procfs::fd_target(pid, new),
            cloexec: procfs::fd_cloexec(pid, new).unwrap_or(false),
        },
    )
}
