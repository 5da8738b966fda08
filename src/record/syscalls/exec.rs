//! execve and execveat. Path and argv are read at entry (after a successful
//! exec the old memory is gone). Success is learnt from PTRACE_EVENT_EXEC,
//! where the kernel's fd table and the ELF facts are read; failure from the
//! syscall-exit stop.

use super::{errno_of, Call, Entry, Pending, Saved, SysResult};
use crate::record::{mem, procfs, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::{EventKind, RawStr};
use nix::unistd::Pid;
use std::os::unix::fs::MetadataExt;

/// Reads path and argv.
pub fn entry(_t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    let tracee = Pid::from_raw(pid);
    let (path_at, argv_at) = if call.sys == Sys::Execveat {
        (1, 2)
    } else {
        (0, 1)
    };
    let mut unreadable = Vec::new();
    let path = match mem::read_cstr(tracee, call.args[path_at]) {
        Ok(p) => p,
        Err(e) => {
            mem::warn_unreadable(pid, e);
            unreadable.push("path".to_string());
            RawStr::default()
        }
    };
    // Keep every word that could be read: a failed exec with one bad
    // pointer in argv must not look like an exec with no argv.
    let a = mem::read_argv_marked(tracee, call.args[argv_at], call.abi);
    if let Some(e) = a.error {
        mem::warn_unreadable(pid, e);
    }
    unreadable.extend(a.unreadable);
    Ok(Entry::AwaitExit(Pending {
        call,
        saved: Saved::Exec {
            path,
            argv: a.words,
            argv_null: a.null,
            unreadable,
        },
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
    let Saved::Exec {
        path,
        argv,
        argv_null,
        unreadable,
    } = p.saved
    else {
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
            argv_null,
            unreadable,
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
    let (path, argv, dirfd, argv_null, mut unreadable) = match pending {
        Some(Pending {
            saved:
                Saved::Exec {
                    path,
                    argv,
                    argv_null,
                    unreadable,
                },
            call,
        }) => {
            let dirfd =
                (call.sys == Sys::Execveat && call.int(0) != libc::AT_FDCWD).then(|| call.int(0));
            (path, argv, dirfd, argv_null, unreadable)
        }
        // Should not happen (every exec has an entry stop); keep what /proc says.
        _ => (
            procfs::fd_target(pid, -1).unwrap_or_default(),
            Vec::new(),
            None,
            false,
            Vec::new(),
        ),
    };
    // After an exec of an execute-only or set-user-ID binary the process is
    // not dumpable, and /proc/PID/fd is closed to an unprivileged tracer: an
    // empty table would look real, so none is recorded and it is marked.
    let fds = match procfs::try_fd_table(pid, false) {
        Ok(t) => Some(t),
        Err(e) => {
            mem::warn_unreadable(
                pid,
                nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0)),
            );
            unreadable.push("fds".to_string());
            None
        }
    };
    let elf = t.elf.facts_for_pid(pid);
    // A script: the kernel ran its interpreter, whose ELF facts we have; the
    // script's own #! line says which.
    let script = if path.as_bytes().is_empty() {
        None
    } else {
        let file = procfs::resolve(pid, dirfd, path.as_bytes());
        // The path is the very file the kernel runs (one stat, rather than
        // opening and reading it): an ELF, not a script, whose interpreter
        // would be the program instead.
        let exe = t.elf.exe_id(pid);
        let same = |m: std::fs::Metadata| Some((m.dev(), m.ino())) == exe;
        if exe.is_some() && std::fs::metadata(&file).is_ok_and(same) {
            None
        } else {
            crate::record::elf::shebang(&file)
        }
    };
    t.stats.execs += 1;
    t.emit(
        pid,
        EventKind::Exec {
            path,
            argv,
            ok: true,
            errno: None,
            fds,
            elf,
            script,
            former_tid: (former != pid).then_some(former),
            argv_null,
            unreadable,
        },
    )
}
