//! execve and execveat. Path and argv are read at entry (after a successful
//! exec the old memory is gone). Success is learnt from PTRACE_EVENT_EXEC,
//! where the kernel's fd table and the ELF facts are read; failure from the
//! syscall-exit stop.

use super::{errno_of, Call, Entry, Pending, Saved, SysResult};
use crate::record::{mem, procfs, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::EventKind;
use nix::unistd::Pid;

/// Reads path and argv.
pub fn entry(_t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    let tracee = Pid::from_raw(pid);
    let (path_at, argv_at) = if call.sys == Sys::Execveat {
        (1, 2)
    } else {
        (0, 1)
    };
    let path = mem::read_cstr(tracee, call.args[path_at]).unwrap_or_default();
    let argv = mem::read_argv(tracee, call.args[argv_at], call.abi).unwrap_or_default();
    Ok(Entry::AwaitExit(Pending {
        call,
        saved: Saved::Exec { path, argv },
    }))
}

/// The exec failed (a successful one never reaches its exit stop: forkscope
/// resumes it with PTRACE_CONT after PTRACE_EVENT_EXEC).
pub fn exit_failed(
    t: &mut Tracer,
    pid: i32,
    p: Pending,
    res: SysResult,
) -> Result<(), RecordError> {
    let Saved::Exec { path, argv } = p.saved else {
        return Ok(());
    };
    if res.is_ok() {
        return Ok(());
    }
    t.stats.exec_failures += 1;
    if t.stats.execs == 0 && t.is_root(pid) {
        if let Err(e) = res {
            t.root_exec_error = Some(e);
        }
    }
    t.emit(
        pid,
        EventKind::Exec {
            path,
            argv,
            ok: false,
            errno: errno_of(res),
            fds: None,
            elf: None,
            script: None,
            former_tid: None,
        },
    )
}

/// Records a successful exec by `pid` (formerly thread `former`), whose
/// entry left `pending`.
pub fn succeeded(
    t: &mut Tracer,
    pid: i32,
    former: i32,
    pending: Option<Pending>,
) -> Result<(), RecordError> {
    let (path, argv, dirfd) = match pending {
        Some(Pending {
            saved: Saved::Exec { path, argv },
            call,
        }) => {
            let dirfd =
                (call.sys == Sys::Execveat && call.int(0) != libc::AT_FDCWD).then(|| call.int(0));
            (path, argv, dirfd)
        }
        // Should not happen (every exec has an entry stop); keep what /proc says.
        _ => (
            procfs::fd_target(pid, -1).unwrap_or_default(),
            Vec::new(),
            None,
        ),
    };
    let fds = procfs::fd_table(pid, false);
    let elf = t.elf.facts_for_pid(pid);
    // A script: the kernel ran its interpreter, whose ELF facts we have; the
    // script's own #! line says which.
    let script = if path.as_bytes().is_empty() {
        None
    } else {
        crate::record::elf::shebang(&procfs::resolve(pid, dirfd, path.as_bytes()))
    };
    t.stats.execs += 1;
    t.emit(
        pid,
        EventKind::Exec {
            path,
            argv,
            ok: true,
            errno: None,
            fds: Some(fds),
            elf,
            script,
            former_tid: (former != pid).then_some(former),
        },
    )
}
