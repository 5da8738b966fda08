//! fork, vfork, clone and clone3, learnt from PTRACE_EVENT_FORK/VFORK/CLONE
//! stops (no seccomp stop needed). The clone flags, which say whether the
//! child is a thread and whether it shares the fd table, are read from the
//! parent's registers at the event stop.
//!
//! CLONE_PIDFD also gives the parent a new fd, a pidfd for the child: its
//! number is read at the same stop from where the kernel stored it (see
//! `pidfd_slot`) and recorded as a `new_fd` after the `fork` event.

use crate::record::sysno::{self, Abi, Sys};
use crate::record::{procfs, tracer::Tracer, RecordError};
use crate::trace::{EventKind, ForkFlavor};
use nix::unistd::Pid;

/// (syscall, clone flags, where a CLONE_PIDFD pidfd was stored) of the
/// creation the parent is stopped in.
fn creating_call(parent: Pid) -> (Option<Sys>, u64, u64) {
    let Ok(info) = nix::sys::ptrace::syscall_info(parent) else {
        return (None, 0, 0);
    };
    let abi = Abi::from_audit_arch(info.arch).unwrap_or(Abi::Native);
    regs_call(parent, abi)
}

#[cfg(target_arch = "x86_64")]
fn regs_call(parent: Pid, abi: Abi) -> (Option<Sys>, u64, u64) {
    let Ok(regs) = nix::sys::ptrace::getregs(parent) else {
        return (None, 0, 0);
    };
    let nr = regs.orig_rax as i64;
    // First syscall argument: rdi natively, ebx for i386.
    let arg0 = match abi {
        Abi::Native => regs.rdi,
        Abi::I386 => regs.rbx & 0xffff_ffff,
    };
    let sys = sysno::lookup(abi, nr);
    let flags = match sys {
        Some(Sys::Clone) => arg0,
        // clone3(struct clone_args *args, size): flags is the first u64.
        Some(Sys::Clone3) => {
            let mut b = [0u8; 8];
            match crate::record::mem::read_bytes(parent, arg0, &mut b) {
                Ok(8) => u64::from_ne_bytes(b),
                _ => 0,
            }
        }
        _ => 0,
    };
    // Third argument of clone (parent_tid): rdx natively, edx for i386.
    let arg2 = match abi {
        Abi::Native => regs.rdx,
        Abi::I386 => regs.rdx & 0xffff_ffff,
    };
    (sys, flags, pidfd_slot(parent, sys, flags, arg0, arg2))
}

#[cfg(not(target_arch = "x86_64"))]
fn regs_call(_parent: Pid, _abi: Abi) -> (Option<Sys>, u64, u64) {
    (None, 0, 0)
}

/// Where the kernel stored the parent's pidfd for a CLONE_PIDFD creation
/// (0 without CLONE_PIDFD): clone's `parent_tid` argument (clone(2): "the
/// PID file descriptor is stored at the location pointed to by
/// parent_tid"; i386 passes it third too), clone3's `struct
/// clone_args.pidfd` (the second u64, after `flags`).
fn pidfd_slot(parent: Pid, sys: Option<Sys>, flags: u64, arg0: u64, arg2: u64) -> u64 {
    if flags & libc::CLONE_PIDFD as u64 == 0 {
        return 0;
    }
    match sys {
        Some(Sys::Clone) => arg2,
        Some(Sys::Clone3) => {
            let mut b = [0u8; 8];
            match crate::record::mem::read_bytes(parent, arg0.wrapping_add(8), &mut b) {
                Ok(8) => u64::from_ne_bytes(b),
                _ => 0,
            }
        }
        _ => 0,
    }
}

/// Records the pidfd a CLONE_PIDFD creation gave `parent`, read from `slot`
/// in its memory at the event stop.
///
/// The kernel has finished with it by then: copy_process() (kernel/fork.c)
/// reserves the fd and `put_user(pidfd, args->pidfd)`s its number, then at
/// the end, "past the last point of failure", `fd_install`s it, and only
/// after copy_process returns does kernel_clone() report
/// PTRACE_EVENT_FORK/VFORK/CLONE. The fd is reserved in the parent's table
/// after copy_files(), so a child with its own table does not get it; one
/// sharing the parent's (CLONE_FILES) does, which replaying the `new_fd`
/// after the `fork` gives. The kernel makes it O_CLOEXEC.
fn record_pidfd(t: &mut Tracer, parent: i32, syscall: &str, slot: u64) -> Result<(), RecordError> {
    let fd = match crate::record::mem::read_i32(Pid::from_raw(parent), slot) {
        Ok(fd) => fd,
        // The kernel wrote there (or the call would have failed): only a
        // tracee closed to forkscope's reads gets here.
        Err(e) => {
            crate::record::mem::warn_unreadable(parent, e);
            return Ok(());
        }
    };
    if fd < 0 {
        return Ok(());
    }
    t.emit(
        parent,
        EventKind::NewFd {
            fd,
            syscall: syscall.into(),
            target: procfs::fd_target(parent, fd),
            cloexec: procfs::fd_cloexec(parent, fd).unwrap_or(true),
        },
    )
}

/// Records that `parent` created `child` (the event stop said `event`), and
/// returns (flavor, whether the child is a thread of the parent's process).
pub fn created(
    t: &mut Tracer,
    parent: i32,
    event: i32,
    child: i32,
) -> Result<ForkFlavor, RecordError> {
    let (sys, flags, pidfd_at) = creating_call(Pid::from_raw(parent));
    let (flavor, syscall) = flavor_of(
        flags,
        sys,
        event == libc::PTRACE_EVENT_VFORK,
        event == libc::PTRACE_EVENT_CLONE && sys.is_none(),
    );
    let f = |c: libc::c_int| flags & c as u64 != 0;
    let shares_fds = f(libc::CLONE_FILES);
    let fds = fork_snapshot(t, parent, child, flavor, shares_fds);
    let tgid = t.tasks.get(&parent).map_or(parent, |p| p.tgid);
    let thread = flavor == ForkFlavor::Thread;
    t.pidns
        .created(child, (parent, tgid), thread, f(libc::CLONE_NEWPID));
    if flavor == ForkFlavor::Thread {
        t.stats.threads += 1;
    } else {
        t.stats.processes += 1;
    }
    t.emit(
        parent,
        EventKind::Fork {
            child,
            flavor,
            shares_fds,
            syscall: syscall.into(),
            flags,
            fds,
        },
    )?;
    if pidfd_at != 0 {
        record_pidfd(t, parent, syscall, pidfd_at)?;
    }
    Ok(flavor)
}

/// The child's fd table, when the parent's was shared at the fork.
///
/// Threads (and CLONE_FILES processes) share one fd table: while one task
/// forks, another may be making or closing fds, and the order in which their
/// stops are handled need not be the order in which the kernel acted (a
/// close is recorded at its entry, a pipe at its exit). The child's copy is
/// the truth for the child; it is read here, at the parent's event stop:
/// the child cannot have run yet, since an auto-attached child "starts with
/// SIGSTOP" (or, seized, PTRACE_EVENT_STOP) before returning to user space
/// (ptrace(2)), and no other task uses its new table. Only forks from a
/// table known to be shared pay for the /proc reads.
fn fork_snapshot(
    t: &mut Tracer,
    parent: i32,
    child: i32,
    flavor: ForkFlavor,
    shares_fds: bool,
) -> Option<Vec<crate::trace::FdEntry>> {
    let tgid = t.tasks.get(&parent).map_or(parent, |p| p.tgid);
    if flavor == ForkFlavor::Thread || shares_fds {
        t.shared_fd_tables.insert(tgid);
        if flavor != ForkFlavor::Thread {
            t.shared_fd_tables.insert(child);
        }
        return None;
    }
    t.shared_fd_tables
        .contains(&tgid)
        .then(|| crate::record::procfs::fork_fd_table(child, parent))
}

/// The flavour of a process creation and the name of the call that made it,
/// from its clone flags and syscall (`sys`, when known), as both recording
/// backends decode it. `vfork`: the kernel reported a vfork;
/// `clone_unknown`: a clone whose syscall could not be read.
pub fn flavor_of(
    flags: u64,
    sys: Option<Sys>,
    vfork: bool,
    clone_unknown: bool,
) -> (ForkFlavor, &'static str) {
    let f = |c: libc::c_int| flags & c as u64 != 0;
    let flavor = if f(libc::CLONE_THREAD) {
        ForkFlavor::Thread
    } else if vfork || sys == Some(Sys::Vfork) || f(libc::CLONE_VFORK) {
        ForkFlavor::Vfork
    } else if clone_unknown
        || f(libc::CLONE_VM | libc::CLONE_FILES | libc::CLONE_FS | libc::CLONE_SIGHAND)
    {
        ForkFlavor::Clone
    } else {
        ForkFlavor::Fork
    };
    let syscall = match sys {
        Some(Sys::Fork) => "fork",
        Some(Sys::Vfork) => "vfork",
        Some(Sys::Clone3) => "clone3",
        _ => "clone",
    };
    (flavor, syscall)
}
