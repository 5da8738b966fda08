//! Starting the command under ptrace: find it as a shell would, fork, seize
//! the child with PTRACE_SEIZE while it waits on a pipe, then let it install
//! the seccomp filter and exec. The child keeps forkscope's process group,
//! terminal, stdio and environment, as under strace.

use super::RecordError;
use nix::sys::ptrace::{self, Options};
use nix::unistd::{fork, ForkResult, Pid};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The ptrace options every tracee gets (children inherit them).
pub fn ptrace_options() -> Options {
    Options::PTRACE_O_TRACESYSGOOD
        | Options::PTRACE_O_TRACEFORK
        | Options::PTRACE_O_TRACEVFORK
        | Options::PTRACE_O_TRACECLONE
        | Options::PTRACE_O_TRACEEXEC
        | Options::PTRACE_O_TRACESECCOMP
        // If forkscope dies, the kernel SIGKILLs every tracee: none is ever
        // left stopped under a tracer that is gone.
        | Options::PTRACE_O_EXITKILL
}

/// Finds `cmd` the way a shell does: a name with a slash is a path; otherwise
/// the first executable match in $PATH. Errors carry the shell's exit codes
/// (127 not found, 126 found but not executable).
pub fn resolve_program(cmd: &OsStr) -> Result<PathBuf, RecordError> {
    let name = cmd.to_string_lossy().into_owned();
    if cmd.is_empty() {
        return Err(RecordError::NotFound { cmd: name });
    }
    let check = |p: &Path| -> Result<PathBuf, RecordError> {
        let md = std::fs::metadata(p).map_err(|_| RecordError::NotFound { cmd: name.clone() })?;
        if md.is_dir() {
            return Err(RecordError::NotExecutable {
                cmd: name.clone(),
                why: "is a directory".into(),
            });
        }
        if md.permissions().mode() & 0o111 == 0
            || nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).is_err()
        {
            return Err(RecordError::NotExecutable {
                cmd: name.clone(),
                why: "permission denied".into(),
            });
        }
        Ok(p.to_path_buf())
    };
    if cmd.as_bytes().contains(&b'/') {
        return check(Path::new(cmd));
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    let mut first_err = None;
    for dir in std::env::split_paths(&path) {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let cand = dir.join(cmd);
        if !cand.exists() {
            continue;
        }
        match check(&cand) {
            Ok(p) => return Ok(p),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    Err(first_err.unwrap_or(RecordError::NotFound { cmd: name }))
}

fn cstring(s: &OsStr) -> Result<CString, RecordError> {
    CString::new(s.as_bytes()).map_err(|_| RecordError::Spawn {
        msg: format!("argument {:?} contains a NUL byte", s.to_string_lossy()),
    })
}

/// Forks the child, seizes it, and releases it to install `filter` and exec
/// `prog` with `argv`. Returns the child's pid; its first stop is the seccomp
/// stop of that execve.
pub fn launch(
    prog: &Path,
    argv: &[OsString],
    filter: &[libc::sock_filter],
) -> Result<Pid, RecordError> {
    // Everything the child needs is prepared here: after fork it may only
    // make async-signal-safe calls.
    let c_prog = cstring(prog.as_os_str())?;
    let c_args: Vec<CString> = argv.iter().map(|a| cstring(a)).collect::<Result<_, _>>()?;
    let mut c_argv: Vec<*const libc::c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
    c_argv.push(std::ptr::null());
    let fprog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    let (sync_r, sync_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| RecordError::Spawn {
            msg: format!("pipe2: {e}"),
        })?;
    use std::os::fd::AsRawFd;
    let (rfd, wfd) = (sync_r.as_raw_fd(), sync_w.as_raw_fd());

    // SAFETY: the child branch below only calls async-signal-safe functions
    // (close, read, sigprocmask, signal, prctl, syscall, execv, write, _exit)
    // on data prepared before the fork; it never returns.
    match unsafe { fork() }.map_err(|e| RecordError::Spawn {
        msg: format!("fork: {e}"),
    })? {
        ForkResult::Child => {
            // SAFETY: raw libc calls on valid fds and pointers prepared above;
            // see the comment on the fork.
            unsafe {
                libc::close(wfd);
                let mut b = 0u8;
                let n = loop {
                    let n = libc::read(rfd, (&mut b as *mut u8).cast(), 1);
                    if n < 0 && *libc::__errno_location() == libc::EINTR {
                        continue;
                    }
                    break n;
                };
                if n != 1 {
                    libc::_exit(127);
                }
                libc::close(rfd);
                // Rust ignores SIGPIPE in its own process; the traced program
                // must start with the default, as it would from a shell.
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                let mut empty: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut empty);
                libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
                let install = || {
                    libc::syscall(
                        libc::SYS_seccomp,
                        libc::SECCOMP_SET_MODE_FILTER,
                        0,
                        &fprog as *const libc::sock_fprog,
                    )
                };
                if install() != 0 {
                    // Without CAP_SYS_ADMIN the kernel requires no_new_privs
                    // for a seccomp filter (strace does the same).
                    libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                    if install() != 0 {
                        let m = b"forkscope: cannot install the seccomp filter\n";
                        libc::write(2, m.as_ptr().cast(), m.len());
                        libc::_exit(126);
                    }
                }
                libc::execv(c_prog.as_ptr(), c_argv.as_ptr());
                let code = if *libc::__errno_location() == libc::ENOENT {
                    127
                } else {
                    126
                };
                libc::_exit(code);
            }
        }
        ForkResult::Parent { child } => {
            drop(sync_r);
            if let Err(e) = ptrace::seize(child, ptrace_options()) {
                let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                let _ = nix::sys::wait::waitpid(child, None);
                return Err(RecordError::Spawn {
                    msg: format!(
                        "cannot trace the command: ptrace(PTRACE_SEIZE) failed: {e} \
                         (is forkscope itself being traced, or is ptrace forbidden here by \
                         seccomp, a container or kernel.yama.ptrace_scope?)"
                    ),
                });
            }
            nix::unistd::write(&sync_w, &[1u8]).map_err(|e| RecordError::Spawn {
                msg: format!("releasing the child: {e}"),
            })?;
            drop(sync_w);
            Ok(child)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_resolve_through_path_like_a_shell() {
        assert!(resolve_program(OsStr::new("sh")).unwrap().is_absolute());
        match resolve_program(OsStr::new("no-such-command-xyz")) {
            Err(RecordError::NotFound { .. }) => {}
            other => panic!("{other:?}"),
        }
        match resolve_program(OsStr::new("/etc/passwd")) {
            Err(RecordError::NotExecutable { .. }) => {}
            other => panic!("{other:?}"),
        }
        match resolve_program(OsStr::new("/")) {
            Err(RecordError::NotExecutable { why, .. }) => assert_eq!(why, "is a directory"),
            other => panic!("{other:?}"),
        }
    }
}
