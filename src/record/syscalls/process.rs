//! fork, vfork, clone and clone3, learnt from PTRACE_EVENT_FORK/VFORK/CLONE
//! stops (no seccomp stop needed). The clone flags, which say whether the
//! child is a thread and whether it shares the fd table, are read from the
//! parent's registers at the event stop.

use crate::record::sysno::{self, Abi, Sys};
use crate::record::{tracer::Tracer, RecordError};
use crate::trace::{EventKind, ForkFlavor};
use nix::unistd::Pid;

/// (syscall, clone flags) of the creation the parent is stopped in.
fn creating_call(parent: Pid) -> (Option<Sys>, u64) {
    let Ok(info) = nix::sys::ptrace::syscall_info(parent) else {
        return (None, 0);
    };
    let abi = Abi::from_audit_arch(info.arch).unwrap_or(Abi::Native);
    regs_call(parent, abi)
}

#[cfg(target_arch = "x86_64")]
fn regs_call(parent: Pid, abi: Abi) -> (Option<Sys>, u64) {
    let Ok(regs) = nix::sys::ptrace::getregs(parent) else {
        return (None, 0);
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
    (sys, flags)
}

#[cfg(not(target_arch = "x86_64"))]
fn regs_call(_parent: Pid, _abi: Abi) -> (Option<Sys>, u64) {
    (None, 0)
}

/// Records that `parent` created `child` (the event stop said `event`), and
/// returns (flavor, whether the child is a thread of the parent's process).
pub fn created(
    t: &mut Tracer,
    parent: i32,
    event: i32,
    child: i32,
) -> Result<ForkFlavor, RecordError> {
    let (sys, flags) = creating_call(Pid::from_raw(parent));
    let f = |c: libc::c_int| flags & c as u64 != 0;
    let flavor = if f(libc::CLONE_THREAD) {
        ForkFlavor::Thread
    } else if event == libc::PTRACE_EVENT_VFORK || f(libc::CLONE_VFORK) {
        ForkFlavor::Vfork
    } else if f(libc::CLONE_VM | libc::CLONE_FILES | libc::CLONE_FS | libc::CLONE_SIGHAND)
        || (event == libc::PTRACE_EVENT_CLONE && sys.is_none())
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
