//! Calls that make one new fd and are not open, pipe, dup or socket
//! (epoll_create1, eventfd2, memfd_create, pidfd_open, fsopen, mq_open,
//! the fd-making bpf commands, ...): the fd is the
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
    if !makes_an_fd(name, &p.call.args, fd) {
        return Ok(());
    }
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

/// bpf(2) commands whose result is a new fd (<linux/bpf.h>: BPF_MAP_CREATE,
/// BPF_PROG_LOAD, BPF_OBJ_GET, BPF_PROG_GET_FD_BY_ID, BPF_MAP_GET_FD_BY_ID,
/// BPF_RAW_TRACEPOINT_OPEN, BPF_BTF_LOAD, BPF_BTF_GET_FD_BY_ID,
/// BPF_LINK_CREATE, BPF_LINK_GET_FD_BY_ID, BPF_ITER_CREATE,
/// BPF_TOKEN_CREATE); the others return 0 or a count.
const BPF_FD_CMDS: &[u64] = &[0, 5, 7, 13, 14, 17, 18, 19, 28, 30, 33, 36];

/// Did a successful call with these arguments, returning `fd`, make a new
/// fd? Not always: signalfd/signalfd4 given an existing signalfd change its
/// mask and return that same fd; most bpf commands and
/// landlock_create_ruleset with LANDLOCK_CREATE_RULESET_VERSION or _ERRATA
/// return numbers that are not fds.
pub(crate) fn makes_an_fd(name: &str, args: &[u64; 6], fd: i32) -> bool {
    match name {
        "signalfd" | "signalfd4" => args[0] as u32 as i32 == -1 || args[0] as u32 as i32 != fd,
        "bpf" => BPF_FD_CMDS.contains(&(args[0] & 0xffff_ffff)),
        "landlock_create_ruleset" => args[2] == 0,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::makes_an_fd;

    #[test]
    fn a_signalfd_given_its_own_fd_makes_no_new_one() {
        let minus_one = u64::from(u32::MAX);
        assert!(makes_an_fd("signalfd4", &[minus_one, 0, 8, 0, 0, 0], 3));
        assert!(!makes_an_fd("signalfd4", &[3, 0, 8, 0, 0, 0], 3));
        assert!(!makes_an_fd("bpf", &[1, 0, 0, 0, 0, 0], 0)); // BPF_MAP_LOOKUP_ELEM
        assert!(makes_an_fd("bpf", &[0, 0, 0, 0, 0, 0], 5)); // BPF_MAP_CREATE
        assert!(!makes_an_fd(
            "landlock_create_ruleset",
            &[0, 0, 1, 0, 0, 0],
            4
        ));
    }
}
