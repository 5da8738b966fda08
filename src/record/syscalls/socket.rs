//! socket, socketpair, accept and accept4: the new fds at exit.

use super::{Pending, SysResult};
use crate::record::{mem, procfs, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::EventKind;
use nix::unistd::Pid;

/// The name of address family `d` as recorded (`AF_UNIX`, ...).
pub(crate) fn domain_name(d: i32) -> String {
    match d {
        libc::AF_UNIX => "AF_UNIX".into(),
        libc::AF_INET => "AF_INET".into(),
        libc::AF_INET6 => "AF_INET6".into(),
        libc::AF_NETLINK => "AF_NETLINK".into(),
        libc::AF_PACKET => "AF_PACKET".into(),
        other => format!("AF_{other}"),
    }
}

/// Records the new socket fds (failures are not recorded: nothing changed).
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let Ok(v) = res else { return Ok(()) };
    let c = p.call;
    let (fds, domain, listen_fd, cloexec) = match c.sys {
        Sys::Socket => (
            vec![v as i32],
            Some(domain_name(c.int(0))),
            None,
            c.int(1) & libc::SOCK_CLOEXEC != 0,
        ),
        Sys::Socketpair => {
            let Ok(pair) = mem::read_i32_pair(Pid::from_raw(pid), c.args[3]) else {
                return Ok(());
            };
            (
                pair.to_vec(),
                Some(domain_name(c.int(0))),
                None,
                c.int(1) & libc::SOCK_CLOEXEC != 0,
            )
        }
        Sys::Accept => (vec![v as i32], None, Some(c.int(0)), false),
        _ => (
            vec![v as i32],
            None,
            Some(c.int(0)),
            c.int(3) & libc::SOCK_CLOEXEC != 0,
        ),
    };
    let target = procfs::fd_target(pid, fds[0]);
    let syscall = match c.sys {
        Sys::Socket => "socket",
        Sys::Socketpair => "socketpair",
        Sys::Accept => "accept",
        _ => "accept4",
    };
    t.emit(
        pid,
        EventKind::Socket {
            fds,
            syscall: syscall.into(),
            domain,
            listen_fd,
            target,
            cloexec,
        },
    )
}
