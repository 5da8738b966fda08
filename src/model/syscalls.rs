//! Syscall names by number, for the ABIs a tracee may use (the machine's
//! own, and i386 on x86_64): the one table that turns the number
//! /proc/PID/syscall shows into the name [`super::wait::classify`] reads.
//! It lists the calls the wait analysis knows and a few more that make a
//! task listing readable; others are `syscall_N`.
//!
//! The recorder's stop table (`record::sysno`, which calls stop and how
//! they decode) is keyed by its own enum for speed on the hot path; this
//! table serves the rare reads of /proc (a stall, `snapshot`).

/// One syscall: its name, its native number (if this architecture has it)
/// and its i386 numbers (the `_time64` variants share their base name: only
/// whether a timeout is given matters, and their arguments come in the
/// same order).
struct Row {
    name: &'static str,
    native: Option<i64>,
    i386: &'static [i64],
}

const fn row(name: &'static str, native: Option<i64>, i386: &'static [i64]) -> Row {
    Row { name, native, i386 }
}

/// The calls only x86_64 has natively (aarch64 has only their `*at` or
/// `p*` forms).
#[cfg(target_arch = "x86_64")]
mod legacy {
    pub(crate) const OPEN: Option<i64> = Some(libc::SYS_open);
    pub(crate) const CREAT: Option<i64> = Some(libc::SYS_creat);
    pub(crate) const PAUSE: Option<i64> = Some(libc::SYS_pause);
    pub(crate) const SELECT: Option<i64> = Some(libc::SYS_select);
    pub(crate) const POLL: Option<i64> = Some(libc::SYS_poll);
    pub(crate) const EPOLL_WAIT: Option<i64> = Some(libc::SYS_epoll_wait);
    pub(crate) const SENDFILE: Option<i64> = Some(libc::SYS_sendfile);
}

#[cfg(not(target_arch = "x86_64"))]
mod legacy {
    pub(crate) const OPEN: Option<i64> = None;
    pub(crate) const CREAT: Option<i64> = None;
    pub(crate) const PAUSE: Option<i64> = None;
    pub(crate) const SELECT: Option<i64> = None;
    pub(crate) const POLL: Option<i64> = None;
    pub(crate) const EPOLL_WAIT: Option<i64> = None;
    pub(crate) const SENDFILE: Option<i64> = None;
}

/// i386 numbers from arch/x86/entry/syscalls/syscall_32.tbl. Number 82,
/// the old select with its arguments in a struct, is left unnamed.
const TABLE: &[Row] = &[
    row("restart_syscall", Some(libc::SYS_restart_syscall), &[0]),
    row("read", Some(libc::SYS_read), &[3]),
    row("write", Some(libc::SYS_write), &[4]),
    row("open", legacy::OPEN, &[5]),
    row("waitpid", None, &[7]),
    row("creat", legacy::CREAT, &[8]),
    row("pause", legacy::PAUSE, &[29]),
    row("kill", Some(libc::SYS_kill), &[37]),
    row("ioctl", Some(libc::SYS_ioctl), &[54]),
    row("wait4", Some(libc::SYS_wait4), &[114]),
    row("select", legacy::SELECT, &[142]),
    row("flock", Some(libc::SYS_flock), &[143]),
    row("readv", Some(libc::SYS_readv), &[145]),
    row("writev", Some(libc::SYS_writev), &[146]),
    row("nanosleep", Some(libc::SYS_nanosleep), &[162]),
    row("poll", legacy::POLL, &[168]),
    row(
        "rt_sigtimedwait",
        Some(libc::SYS_rt_sigtimedwait),
        &[177, 421],
    ),
    row("sigsuspend", None, &[72]),
    row("rt_sigsuspend", Some(libc::SYS_rt_sigsuspend), &[179]),
    row("pread64", Some(libc::SYS_pread64), &[180]),
    row("pwrite64", Some(libc::SYS_pwrite64), &[181]),
    row("futex", Some(libc::SYS_futex), &[240, 422]),
    row("epoll_wait", legacy::EPOLL_WAIT, &[256]),
    row("clock_nanosleep", Some(libc::SYS_clock_nanosleep), &[267]),
    row("waitid", Some(libc::SYS_waitid), &[284]),
    row("openat", Some(libc::SYS_openat), &[295]),
    row("pselect6", Some(libc::SYS_pselect6), &[308, 413]),
    row("ppoll", Some(libc::SYS_ppoll), &[309, 414]),
    row("epoll_pwait", Some(libc::SYS_epoll_pwait), &[319]),
    row("clock_nanosleep_time64", None, &[407]),
    row("openat2", Some(libc::SYS_openat2), &[437]),
    row("epoll_pwait2", Some(libc::SYS_epoll_pwait2), &[441]),
    row("accept", Some(libc::SYS_accept), &[]),
    row("accept4", Some(libc::SYS_accept4), &[]),
    row("recvfrom", Some(libc::SYS_recvfrom), &[]),
    row("recvmsg", Some(libc::SYS_recvmsg), &[]),
    row("sendto", Some(libc::SYS_sendto), &[]),
    row("sendmsg", Some(libc::SYS_sendmsg), &[]),
    row("connect", Some(libc::SYS_connect), &[]),
    row("fcntl", Some(libc::SYS_fcntl), &[]),
    row("msgrcv", Some(libc::SYS_msgrcv), &[]),
    row("semop", Some(libc::SYS_semop), &[]),
    row("semtimedop", Some(libc::SYS_semtimedop), &[]),
    row("splice", Some(libc::SYS_splice), &[]),
    row("tee", Some(libc::SYS_tee), &[]),
    row("sendfile", legacy::SENDFILE, &[]),
    row("tgkill", Some(libc::SYS_tgkill), &[]),
    row("execve", Some(libc::SYS_execve), &[]),
    row("clone", Some(libc::SYS_clone), &[]),
    row("clone3", Some(libc::SYS_clone3), &[]),
    row("exit_group", Some(libc::SYS_exit_group), &[]),
];

/// The name of native syscall `nr`, `syscall_N` when the table lacks it.
pub fn native_name(nr: i64) -> String {
    TABLE
        .iter()
        .find(|r| r.native == Some(nr))
        .map_or_else(|| format!("syscall_{nr}"), |r| r.name.to_string())
}

/// The name of i386 syscall `nr` (the `_time64` variants by their base
/// name), `syscall_N` when the table lacks it.
pub fn i386_name(nr: i64) -> String {
    TABLE
        .iter()
        .find(|r| r.i386.contains(&nr))
        .map_or_else(|| format!("syscall_{nr}"), |r| r.name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_name_their_calls_in_each_abi_and_the_rest_are_numbered() {
        assert_eq!(native_name(libc::SYS_wait4), "wait4");
        assert_eq!(native_name(libc::SYS_read), "read");
        assert_eq!(native_name(100_000), "syscall_100000");
        assert_eq!(i386_name(114), "wait4");
        assert_eq!(i386_name(413), "pselect6");
        assert_eq!(i386_name(407), "clock_nanosleep_time64");
        assert_eq!(i386_name(82), "syscall_82");
    }

    #[test]
    fn every_call_the_wait_analysis_classifies_is_in_the_table() {
        // The names super::wait::classify matches on.
        for name in [
            "read",
            "readv",
            "write",
            "writev",
            "open",
            "openat",
            "openat2",
            "creat",
            "wait4",
            "waitpid",
            "waitid",
            "nanosleep",
            "clock_nanosleep",
            "clock_nanosleep_time64",
            "restart_syscall",
            "pause",
            "rt_sigsuspend",
            "sigsuspend",
            "rt_sigtimedwait",
            "futex",
            "select",
            "pselect6",
            "poll",
            "ppoll",
            "epoll_wait",
            "epoll_pwait",
            "epoll_pwait2",
        ] {
            assert!(TABLE.iter().any(|r| r.name == name), "{name}");
        }
    }

    #[test]
    fn no_number_names_two_calls_in_one_abi() {
        let mut native: Vec<i64> = TABLE.iter().filter_map(|r| r.native).collect();
        let mut i386: Vec<i64> = TABLE.iter().flat_map(|r| r.i386.iter().copied()).collect();
        for v in [&mut native, &mut i386] {
            let n = v.len();
            v.sort_unstable();
            v.dedup();
            assert_eq!(v.len(), n);
        }
        let mut names: Vec<&str> = TABLE.iter().map(|r| r.name).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "one row per name");
    }
}
