//! Starting the command for the eBPF backend: forked, then held before its
//! execve (it blocks reading a pipe) until its pid is in the kernel's traced
//! set, so the exec and everything after it is seen. No ptrace, no seccomp
//! filter: the program runs as it would untraced. It starts with the
//! signal state and stdio forkscope was started with, restored by the
//! same code as the ptrace launcher's ([`signals::restore_in_child`]).

use crate::record::{signals, RecordError};
use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A child waiting before its exec.
pub struct Held {
    /// Its pid.
    pub pid: i32,
    go: OwnedFd,
}

impl Held {
    /// Lets it exec.
    pub fn release(self) -> Result<(), RecordError> {
        nix::unistd::write(&self.go, &[1u8]).map_err(|e| RecordError::Spawn {
            msg: format!("releasing the child: {e}"),
        })?;
        Ok(())
    }

    /// Kills and reaps it (loading the programs failed after the fork).
    pub fn abandon(self) {
        let pid = nix::unistd::Pid::from_raw(self.pid);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(pid, None);
    }
}

fn cstring(s: &OsStr) -> Result<CString, RecordError> {
    CString::new(s.as_bytes()).map_err(|_| RecordError::Spawn {
        msg: format!("argument {:?} contains a NUL byte", s.to_string_lossy()),
    })
}

/// Forks a child that will exec `prog` with `argv` once released.
pub fn hold(prog: &Path, argv: &[OsString]) -> Result<Held, RecordError> {
    // Everything the child needs is prepared here: after fork it may only
    // make async-signal-safe calls.
    let c_prog = cstring(prog.as_os_str())?;
    let c_args: Vec<CString> = argv.iter().map(|a| cstring(a)).collect::<Result<_, _>>()?;
    let mut c_argv: Vec<*const libc::c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
    c_argv.push(std::ptr::null());
    let (sync_r, sync_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| RecordError::Spawn {
            msg: format!("pipe2: {e}"),
        })?;
    let (rfd, wfd) = (sync_r.as_raw_fd(), sync_w.as_raw_fd());
    // The child says on this one when its fd table is final (fds 0-2
    // closed as forkscope found them): the caller reads it after that.
    let (ready_r, ready_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| RecordError::Spawn {
            msg: format!("pipe2: {e}"),
        })?;
    let (ready_rfd, ready_wfd) = (ready_r.as_raw_fd(), ready_w.as_raw_fd());
    let inherited = signals::inherited();
    // forkscope's own fds above 2 (the BPF programs, maps and links: more
    // than a hundred), listed before the fork: see the child's branch.
    let own_fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .filter(|&fd| fd > 2)
                .collect()
        })
        .unwrap_or_default();
    // No handler of forkscope's may run in the child: every signal is
    // blocked across the fork, and the child sets its own mask.
    let mask = signals::block_all();
    // SAFETY: the child branch only calls async-signal-safe functions
    // (close, fcntl, read, write, sigaction, sigprocmask, execv, _exit) on data prepared
    // before the fork; it never returns.
    let forked = unsafe { nix::unistd::fork() };
    if !matches!(forked, Ok(nix::unistd::ForkResult::Child)) {
        signals::set_mask(&mask);
    }
    match forked.map_err(|errno| RecordError::ForkFailed { errno })? {
        nix::unistd::ForkResult::Child => {
            // SAFETY: raw libc calls on valid fds and pointers prepared above.
            unsafe {
                libc::close(wfd);
                // The program starts with what forkscope was started with:
                // its mask, its ignored signals (not the SIGPIPE the Rust
                // runtime ignores, nor forkscope's handlers), its closed
                // stdio. Done before waiting, so that the fd table the
                // parent reads meanwhile is the one the program gets.
                signals::restore_in_child(&inherited);
                // Close now what exec would close anyway (forkscope's
                // close-on-exec fds): the parent reads this fd table
                // meanwhile, comparing its fds pairwise (kcmp), which with
                // forkscope's fds in it took longer than loading the BPF
                // programs. Closed or not, the program gets the same table.
                for &fd in &own_fds {
                    let flags = libc::fcntl(fd, libc::F_GETFD);
                    if fd != rfd && fd != ready_wfd && flags > 0 && flags & libc::FD_CLOEXEC != 0 {
                        libc::close(fd);
                    }
                }
                libc::close(ready_rfd);
                let mut b = 0u8;
                libc::write(ready_wfd, (&b as *const u8).cast(), 1);
                libc::close(ready_wfd);
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
                libc::execv(c_prog.as_ptr(), c_argv.as_ptr());
                let code = if *libc::__errno_location() == libc::ENOENT {
                    127
                } else {
                    126
                };
                libc::_exit(code);
            }
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(sync_r);
            drop(ready_w);
            let mut b = [0u8; 1];
            // 1 byte: ready; 0 or an error: the child is gone (its exit
            // will be seen).
            while let Err(nix::errno::Errno::EINTR) = nix::unistd::read(&ready_r, &mut b) {}
            Ok(Held {
                pid: child.as_raw(),
                go: sync_w,
            })
        }
    }
}
