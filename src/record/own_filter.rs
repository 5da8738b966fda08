//! The traced program's own seccomp filter. A program may install a filter
//! that returns SECCOMP_RET_TRACE for its own purposes. Untraced, the
//! kernel answers such a call at once: "If there is no tracer present, the
//! system call is not executed and returns a failure status with errno set
//! to ENOSYS" (seccomp(2)). Under forkscope a tracer is present, so the
//! kernel stops the task instead, and forkscope must give the program what
//! it would get untraced: skip the call and make it return -ENOSYS.
//!
//! forkscope's own filter returns SECCOMP_RET_TRACE with
//! [`super::seccomp::FILTER_DATA`] in SECCOMP_RET_DATA; the kernel passes
//! the data of the filter that decided to the seccomp stop (filters run
//! newest first, and "the first filter with the highest-precedence return"
//! wins, kernel/seccomp.c seccomp_run_filters), so any other data at a
//! seccomp stop is the program's own filter speaking, even for a syscall
//! forkscope's filter traces too.

use super::stops::SeccompStop;
#[cfg(not(target_arch = "x86_64"))]
use nix::errno::Errno;

/// Skips the syscall a task is stopped at (a seccomp stop) so that it
/// returns -ENOSYS: seccomp(2) says "The tracer can skip the system call by
/// changing the system call number to -1 [...] the system call will appear
/// to return the value that the tracer puts in the return value register."
#[cfg(target_arch = "x86_64")]
pub(crate) fn skip_with_enosys(s: &SeccompStop) -> nix::Result<()> {
    let pid = s.pid();
    let mut regs = nix::sys::ptrace::getregs(pid)?;
    regs.orig_rax = u64::MAX; // -1: no syscall
    regs.rax = (-(libc::ENOSYS as i64)) as u64;
    nix::sys::ptrace::setregs(pid, regs)
}

/// See the x86_64 version: on arm64 the syscall number is its own register
/// set (NT_ARM_SYSTEM_CALL) and the return value is x0.
#[cfg(target_arch = "aarch64")]
pub(crate) fn skip_with_enosys(s: &SeccompStop) -> nix::Result<()> {
    let pid = s.pid();
    const NT_ARM_SYSTEM_CALL: libc::c_int = 0x404;
    let mut nr: libc::c_int = -1;
    let mut iov = libc::iovec {
        iov_base: (&mut nr as *mut libc::c_int).cast(),
        iov_len: std::mem::size_of::<libc::c_int>(),
    };
    // SAFETY: PTRACE_SETREGSET reads iov_len bytes from iov_base, a live int.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_SETREGSET,
            pid.as_raw(),
            NT_ARM_SYSTEM_CALL as usize as *mut libc::c_void,
            &mut iov as *mut libc::iovec,
        )
    };
    Errno::result(r)?;
    // SAFETY: user_regs_struct is plain integers; all zeroes is a valid value.
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec {
        iov_base: (&mut regs as *mut libc::user_regs_struct).cast(),
        iov_len: std::mem::size_of::<libc::user_regs_struct>(),
    };
    // SAFETY: PTRACE_GETREGSET writes at most iov_len bytes into `regs`.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GETREGSET,
            pid.as_raw(),
            libc::NT_PRSTATUS as usize as *mut libc::c_void,
            &mut iov as *mut libc::iovec,
        )
    };
    Errno::result(r)?;
    regs.regs[0] = (-(libc::ENOSYS as i64)) as u64;
    // SAFETY: PTRACE_SETREGSET reads iov_len bytes from `regs`.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_SETREGSET,
            pid.as_raw(),
            libc::NT_PRSTATUS as usize as *mut libc::c_void,
            &mut iov as *mut libc::iovec,
        )
    };
    Errno::result(r).map(drop)
}

/// Other architectures: not emulated; the call runs as under any tracer.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) fn skip_with_enosys(_s: &SeccompStop) -> nix::Result<()> {
    Err(Errno::ENOTSUP)
}
