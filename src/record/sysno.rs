//! The syscalls forkscope stops on, with their numbers for each ABI a tracee
//! on this machine may use (x86_64 native, and i386 via int 0x80 / compat).
//!
//! Everything not listed here runs without stopping the tracee: the seccomp
//! filter built from this table returns ALLOW for it.

/// A traced syscall, ABI-independent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sys {
    Execve,
    Execveat,
    Pipe,
    Pipe2,
    Dup,
    Dup2,
    Dup3,
    /// fcntl and fcntl64; only F_DUPFD, F_DUPFD_CLOEXEC and F_SETFD stop.
    Fcntl,
    Open,
    Openat,
    Openat2,
    Creat,
    Socket,
    Socketpair,
    Accept,
    Accept4,
    Close,
    CloseRange,
    Mknod,
    Mknodat,
    Wait4,
    /// i386 only: waitpid(pid, status, options).
    Waitpid,
    Waitid,
    Kill,
    Tkill,
    Tgkill,
    RtSigqueueinfo,
    RtTgsigqueueinfo,
    PidfdSendSignal,
    Setsid,
    Setpgid,
    /// ioctl; only FIOCLEX, FIONCLEX and the commands that return a new fd
    /// stop (`IOCTL_TRACED_CMDS`).
    Ioctl,
    /// unshare (CLONE_FILES gives the caller its own fd table).
    Unshare,
    /// A call that makes one new fd and is none of the above (epoll_create1,
    /// eventfd2, memfd_create, pidfd_open, ...), by name.
    NewFd(&'static str),
    /// ptrace: only its failures to trace (a tracee cannot be traced twice) are recorded.
    Ptrace,
    /// rt_sigaction (and i386 sigaction, signal), by name; the seccomp
    /// filter stops on it only when the signal (`args[0]`) is SIGCHLD.
    SigchldAction(&'static str),
    /// prctl; the seccomp filter stops on it only for PR_SET_NAME
    /// (`args[0]`): the name a task gives itself.
    Prctl,
    /// Not stopped on by seccomp (fork events carry them); named to decode registers.
    Fork,
    Vfork,
    Clone,
    Clone3,
}

/// An ABI a tracee can make syscalls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    /// The machine's own 64-bit ABI.
    Native,
    /// 32-bit x86 on an x86_64 kernel.
    I386,
}

impl Abi {
    /// Pointer size in the tracee's address space.
    pub fn word_size(self) -> usize {
        match self {
            Abi::Native => std::mem::size_of::<usize>(),
            Abi::I386 => 4,
        }
    }

    /// The ABI from `ptrace_syscall_info.arch` (an AUDIT_ARCH_* value).
    pub fn from_audit_arch(arch: u32) -> Option<Abi> {
        match arch {
            AUDIT_ARCH_NATIVE => Some(Abi::Native),
            AUDIT_ARCH_I386 if cfg!(target_arch = "x86_64") => Some(Abi::I386),
            _ => None,
        }
    }
}

/// AUDIT_ARCH_X86_64 / AUDIT_ARCH_AARCH64 from <linux/audit.h>.
#[cfg(target_arch = "x86_64")]
pub const AUDIT_ARCH_NATIVE: u32 = 0xC000_003E;
#[cfg(target_arch = "aarch64")]
pub const AUDIT_ARCH_NATIVE: u32 = 0xC000_00B7;
/// AUDIT_ARCH_I386 from <linux/audit.h>.
pub const AUDIT_ARCH_I386: u32 = 0x4000_0003;

/// Which syscalls stop, per ABI: (syscall, number). The seccomp filter is
/// generated from these lists and the decoder maps numbers back through them.
#[cfg(target_arch = "x86_64")]
pub const NATIVE: &[(Sys, i64)] = &[
    (Sys::Execve, libc::SYS_execve),
    (Sys::Execveat, libc::SYS_execveat),
    (Sys::Pipe, libc::SYS_pipe),
    (Sys::Pipe2, libc::SYS_pipe2),
    (Sys::Dup, libc::SYS_dup),
    (Sys::Dup2, libc::SYS_dup2),
    (Sys::Dup3, libc::SYS_dup3),
    (Sys::Fcntl, libc::SYS_fcntl),
    (Sys::Open, libc::SYS_open),
    (Sys::Openat, libc::SYS_openat),
    (Sys::Openat2, libc::SYS_openat2),
    (Sys::Creat, libc::SYS_creat),
    (Sys::Socket, libc::SYS_socket),
    (Sys::Socketpair, libc::SYS_socketpair),
    (Sys::Accept, libc::SYS_accept),
    (Sys::Accept4, libc::SYS_accept4),
    (Sys::Close, libc::SYS_close),
    (Sys::CloseRange, libc::SYS_close_range),
    (Sys::Mknod, libc::SYS_mknod),
    (Sys::Mknodat, libc::SYS_mknodat),
    (Sys::Wait4, libc::SYS_wait4),
    (Sys::Waitid, libc::SYS_waitid),
    (Sys::Kill, libc::SYS_kill),
    (Sys::Tkill, libc::SYS_tkill),
    (Sys::Tgkill, libc::SYS_tgkill),
    (Sys::RtSigqueueinfo, libc::SYS_rt_sigqueueinfo),
    (Sys::RtTgsigqueueinfo, libc::SYS_rt_tgsigqueueinfo),
    (Sys::PidfdSendSignal, libc::SYS_pidfd_send_signal),
    (Sys::SigchldAction("rt_sigaction"), libc::SYS_rt_sigaction),
    (Sys::Setsid, libc::SYS_setsid),
    (Sys::Setpgid, libc::SYS_setpgid),
    (Sys::NewFd("epoll_create"), libc::SYS_epoll_create),
    (Sys::NewFd("epoll_create1"), libc::SYS_epoll_create1),
    (Sys::NewFd("eventfd"), libc::SYS_eventfd),
    (Sys::NewFd("eventfd2"), libc::SYS_eventfd2),
    (Sys::NewFd("signalfd"), libc::SYS_signalfd),
    (Sys::NewFd("signalfd4"), libc::SYS_signalfd4),
    (Sys::NewFd("timerfd_create"), libc::SYS_timerfd_create),
    (Sys::NewFd("inotify_init"), libc::SYS_inotify_init),
    (Sys::NewFd("inotify_init1"), libc::SYS_inotify_init1),
    (Sys::NewFd("fanotify_init"), libc::SYS_fanotify_init),
    (Sys::NewFd("memfd_create"), libc::SYS_memfd_create),
    (Sys::NewFd("userfaultfd"), libc::SYS_userfaultfd),
    (Sys::NewFd("perf_event_open"), libc::SYS_perf_event_open),
    (Sys::NewFd("io_uring_setup"), libc::SYS_io_uring_setup),
    (Sys::NewFd("pidfd_open"), libc::SYS_pidfd_open),
    (Sys::NewFd("pidfd_getfd"), libc::SYS_pidfd_getfd),
    (Sys::NewFd("open_by_handle_at"), libc::SYS_open_by_handle_at),
    (Sys::Ptrace, libc::SYS_ptrace),
    (Sys::Ioctl, libc::SYS_ioctl),
    (Sys::Unshare, libc::SYS_unshare),
    (Sys::NewFd("fsopen"), libc::SYS_fsopen),
    (Sys::NewFd("fsmount"), libc::SYS_fsmount),
    (Sys::NewFd("fspick"), libc::SYS_fspick),
    (Sys::NewFd("open_tree"), libc::SYS_open_tree),
    (Sys::NewFd("memfd_secret"), libc::SYS_memfd_secret),
    (Sys::NewFd("mq_open"), libc::SYS_mq_open),
    (Sys::NewFd("bpf"), libc::SYS_bpf),
    (
        Sys::NewFd("landlock_create_ruleset"),
        libc::SYS_landlock_create_ruleset,
    ),
    (Sys::Prctl, libc::SYS_prctl),
];

/// Native numbers of the process-creation calls (decoded at fork events, not filtered).
#[cfg(target_arch = "x86_64")]
pub const NATIVE_CREATE: &[(Sys, i64)] = &[
    (Sys::Fork, libc::SYS_fork),
    (Sys::Vfork, libc::SYS_vfork),
    (Sys::Clone, libc::SYS_clone),
    (Sys::Clone3, libc::SYS_clone3),
];

#[cfg(target_arch = "aarch64")]
pub const NATIVE: &[(Sys, i64)] = &[
    (Sys::Execve, libc::SYS_execve),
    (Sys::Execveat, libc::SYS_execveat),
    (Sys::Pipe2, libc::SYS_pipe2),
    (Sys::Dup, libc::SYS_dup),
    (Sys::Dup3, libc::SYS_dup3),
    (Sys::Fcntl, libc::SYS_fcntl),
    (Sys::Openat, libc::SYS_openat),
    (Sys::Openat2, libc::SYS_openat2),
    (Sys::Socket, libc::SYS_socket),
    (Sys::Socketpair, libc::SYS_socketpair),
    (Sys::Accept, libc::SYS_accept),
    (Sys::Accept4, libc::SYS_accept4),
    (Sys::Close, libc::SYS_close),
    (Sys::CloseRange, libc::SYS_close_range),
    (Sys::Mknodat, libc::SYS_mknodat),
    (Sys::Wait4, libc::SYS_wait4),
    (Sys::Waitid, libc::SYS_waitid),
    (Sys::Kill, libc::SYS_kill),
    (Sys::Tkill, libc::SYS_tkill),
    (Sys::Tgkill, libc::SYS_tgkill),
    (Sys::RtSigqueueinfo, libc::SYS_rt_sigqueueinfo),
    (Sys::RtTgsigqueueinfo, libc::SYS_rt_tgsigqueueinfo),
    (Sys::PidfdSendSignal, libc::SYS_pidfd_send_signal),
    (Sys::SigchldAction("rt_sigaction"), libc::SYS_rt_sigaction),
    (Sys::Setsid, libc::SYS_setsid),
    (Sys::Setpgid, libc::SYS_setpgid),
    (Sys::NewFd("epoll_create1"), libc::SYS_epoll_create1),
    (Sys::NewFd("eventfd2"), libc::SYS_eventfd2),
    (Sys::NewFd("signalfd4"), libc::SYS_signalfd4),
    (Sys::NewFd("timerfd_create"), libc::SYS_timerfd_create),
    (Sys::NewFd("inotify_init1"), libc::SYS_inotify_init1),
    (Sys::NewFd("fanotify_init"), libc::SYS_fanotify_init),
    (Sys::NewFd("memfd_create"), libc::SYS_memfd_create),
    (Sys::NewFd("userfaultfd"), libc::SYS_userfaultfd),
    (Sys::NewFd("perf_event_open"), libc::SYS_perf_event_open),
    (Sys::NewFd("io_uring_setup"), libc::SYS_io_uring_setup),
    (Sys::NewFd("pidfd_open"), libc::SYS_pidfd_open),
    (Sys::NewFd("pidfd_getfd"), libc::SYS_pidfd_getfd),
    (Sys::NewFd("open_by_handle_at"), libc::SYS_open_by_handle_at),
    (Sys::Ptrace, libc::SYS_ptrace),
    (Sys::Ioctl, libc::SYS_ioctl),
    (Sys::Unshare, libc::SYS_unshare),
    (Sys::NewFd("fsopen"), libc::SYS_fsopen),
    (Sys::NewFd("fsmount"), libc::SYS_fsmount),
    (Sys::NewFd("fspick"), libc::SYS_fspick),
    (Sys::NewFd("open_tree"), libc::SYS_open_tree),
    (Sys::NewFd("memfd_secret"), libc::SYS_memfd_secret),
    (Sys::NewFd("mq_open"), libc::SYS_mq_open),
    (Sys::NewFd("bpf"), libc::SYS_bpf),
    (
        Sys::NewFd("landlock_create_ruleset"),
        libc::SYS_landlock_create_ruleset,
    ),
    (Sys::Prctl, libc::SYS_prctl),
];

#[cfg(target_arch = "aarch64")]
pub const NATIVE_CREATE: &[(Sys, i64)] = &[
    (Sys::Clone, libc::SYS_clone),
    (Sys::Clone3, libc::SYS_clone3),
];

/// i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl). i386 has no plain
/// accept syscall: accept goes through socketcall, which is not decoded.
pub const I386: &[(Sys, i64)] = &[
    (Sys::Execve, 11),
    (Sys::Execveat, 358),
    (Sys::Pipe, 42),
    (Sys::Pipe2, 331),
    (Sys::Dup, 41),
    (Sys::Dup2, 63),
    (Sys::Dup3, 330),
    (Sys::Fcntl, 55),
    (Sys::Fcntl, 221), // fcntl64
    (Sys::Open, 5),
    (Sys::Openat, 295),
    (Sys::Openat2, 437),
    (Sys::Creat, 8),
    (Sys::Socket, 359),
    (Sys::Socketpair, 360),
    (Sys::Accept4, 364),
    (Sys::Close, 6),
    (Sys::CloseRange, 436),
    (Sys::Mknod, 14),
    (Sys::Mknodat, 297),
    (Sys::Waitpid, 7),
    (Sys::Wait4, 114),
    (Sys::Waitid, 284),
    (Sys::Kill, 37),
    (Sys::Tkill, 238),
    (Sys::Tgkill, 270),
    (Sys::RtSigqueueinfo, 178),
    (Sys::RtTgsigqueueinfo, 335),
    (Sys::PidfdSendSignal, 424),
    (Sys::SigchldAction("rt_sigaction"), 174),
    (Sys::SigchldAction("sigaction"), 67),
    (Sys::SigchldAction("signal"), 48),
    (Sys::Setsid, 66),
    (Sys::Setpgid, 57),
    (Sys::NewFd("epoll_create"), 254),
    (Sys::NewFd("epoll_create1"), 329),
    (Sys::NewFd("eventfd"), 323),
    (Sys::NewFd("eventfd2"), 328),
    (Sys::NewFd("signalfd"), 321),
    (Sys::NewFd("signalfd4"), 327),
    (Sys::NewFd("timerfd_create"), 322),
    (Sys::NewFd("inotify_init"), 291),
    (Sys::NewFd("inotify_init1"), 332),
    (Sys::NewFd("fanotify_init"), 338),
    (Sys::NewFd("memfd_create"), 356),
    (Sys::NewFd("userfaultfd"), 374),
    (Sys::NewFd("perf_event_open"), 336),
    (Sys::NewFd("io_uring_setup"), 425),
    (Sys::NewFd("pidfd_open"), 434),
    (Sys::NewFd("pidfd_getfd"), 438),
    (Sys::NewFd("open_by_handle_at"), 342),
    (Sys::Ptrace, 26),
    (Sys::Ioctl, 54),
    (Sys::Unshare, 310),
    (Sys::NewFd("fsopen"), 430),
    (Sys::NewFd("fsmount"), 432),
    (Sys::NewFd("fspick"), 433),
    (Sys::NewFd("open_tree"), 428),
    (Sys::NewFd("mq_open"), 277),
    (Sys::NewFd("bpf"), 357),
    (Sys::NewFd("landlock_create_ruleset"), 444),
    (Sys::Prctl, 172),
];

/// i386 process-creation numbers.
pub const I386_CREATE: &[(Sys, i64)] = &[
    (Sys::Fork, 2),
    (Sys::Vfork, 190),
    (Sys::Clone, 120),
    (Sys::Clone3, 435),
];

/// The traced syscall behind number `nr` in `abi`, if any.
pub fn lookup(abi: Abi, nr: i64) -> Option<Sys> {
    let (a, b) = match abi {
        Abi::Native => (NATIVE, NATIVE_CREATE),
        Abi::I386 => (I386, I386_CREATE),
    };
    a.iter()
        .chain(b.iter())
        .find(|(_, n)| *n == nr)
        .map(|(s, _)| *s)
}

/// fcntl commands worth a stop: they create fds or change FD_CLOEXEC.
pub const FCNTL_TRACED_CMDS: &[u32] = &[
    libc::F_DUPFD as u32,
    libc::F_DUPFD_CLOEXEC as u32,
    libc::F_SETFD as u32,
];

/// ioctl(FIOCLEX): set FD_CLOEXEC (<asm-generic/ioctls.h>).
pub const FIOCLEX: u32 = 0x5451;
/// ioctl(FIONCLEX): clear FD_CLOEXEC.
pub const FIONCLEX: u32 = 0x5450;

/// ioctl commands whose result is a new fd, with their names: `_IO(type, nr)`
/// is `type << 8 | nr`.
const IOCTL_NEW_FD: &[(u32, &str)] = &[
    // <linux/nsfs.h>: NS_GET_NSTYPE and NS_GET_OWNER_UID return no fd.
    (0xb701, "NS_GET_USERNS"),
    (0xb702, "NS_GET_PARENT"),
    // <linux/pidfd.h>: a namespace fd of the pidfd's process.
    (0xff01, "PIDFD_GET_CGROUP_NAMESPACE"),
    (0xff02, "PIDFD_GET_IPC_NAMESPACE"),
    (0xff03, "PIDFD_GET_MNT_NAMESPACE"),
    (0xff04, "PIDFD_GET_NET_NAMESPACE"),
    (0xff05, "PIDFD_GET_PID_NAMESPACE"),
    (0xff06, "PIDFD_GET_PID_FOR_CHILDREN_NAMESPACE"),
    (0xff07, "PIDFD_GET_TIME_NAMESPACE"),
    (0xff08, "PIDFD_GET_TIME_FOR_CHILDREN_NAMESPACE"),
    (0xff09, "PIDFD_GET_USER_NAMESPACE"),
    (0xff0a, "PIDFD_GET_UTS_NAMESPACE"),
    // <linux/sockios.h>: the socket's network namespace.
    (0x894c, "SIOCGSKNS"),
    // <asm-generic/ioctls.h>: the peer of a pty master.
    (0x5441, "TIOCGPTPEER"),
    // <linux/if_tun.h>: the tun device's network namespace.
    (0x54e3, "TUNGETDEVNETNS"),
    // <linux/kvm.h>.
    (0xae01, "KVM_CREATE_VM"),
    (0xae41, "KVM_CREATE_VCPU"),
    (0xaece, "KVM_GET_STATS_FD"),
];

/// The name of an ioctl command that returns a new fd.
pub fn ioctl_new_fd(cmd: u32) -> Option<&'static str> {
    IOCTL_NEW_FD
        .iter()
        .find(|(c, _)| *c == cmd)
        .map(|(_, n)| *n)
}

/// ioctl commands worth a stop (the seccomp filter compares the low 32 bits
/// of the command argument, as it does fcntl's).
pub fn ioctl_traced_cmds() -> impl Iterator<Item = u32> {
    [FIOCLEX, FIONCLEX]
        .into_iter()
        .chain(IOCTL_NEW_FD.iter().map(|(c, _)| *c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_map_back_to_their_syscalls() {
        for (s, n) in NATIVE.iter().chain(NATIVE_CREATE) {
            assert_eq!(lookup(Abi::Native, *n), Some(*s), "native {n}");
        }
        assert_eq!(lookup(Abi::I386, 221), Some(Sys::Fcntl));
        assert_eq!(lookup(Abi::I386, 11), Some(Sys::Execve));
        assert_eq!(lookup(Abi::Native, libc::SYS_read), None);
    }

    #[test]
    fn no_number_is_listed_twice_in_one_abi() {
        for table in [NATIVE, I386] {
            let mut nrs: Vec<i64> = table.iter().map(|(_, n)| *n).collect();
            nrs.sort();
            let before = nrs.len();
            nrs.dedup();
            assert_eq!(before, nrs.len());
        }
    }
}
