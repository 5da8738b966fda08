//! Starting the command under ptrace: find it as a shell would, fork, seize
//! the child with PTRACE_SEIZE while it waits on a pipe, then let it install
//! the seccomp filter and exec. The child keeps forkscope's process group,
//! terminal, stdio and environment, as under strace.
//!
//! Or attaching to processes already running ([`attach`]): every thread of
//! the process and of its descendants is seized, with the same options but
//! PTRACE_O_EXITKILL: processes forkscope did not start must outlive it.

use super::RecordError;
use nix::sys::ptrace::{self, Options};
use nix::unistd::{fork, ForkResult, Pid};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Asked for with `record --snapshots exit`: PTRACE_O_TRACEEXIT is added to
/// [`ptrace_options`]. Off by default, so that no process stops at its exit.
static TRACE_EXIT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns PTRACE_O_TRACEEXIT on or off for the tracees seized from now on:
/// ptrace(2), "Stop the tracee at exit ... the tracee's exit status can be
/// retrieved with PTRACE_GETEVENTMSG ... while registers are still
/// available", and so is its fd table in /proc.
pub fn set_trace_exit(on: bool) {
    TRACE_EXIT.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// The ptrace options every tracee gets (children inherit them).
pub fn ptrace_options() -> Options {
    let exit = if TRACE_EXIT.load(std::sync::atomic::Ordering::Relaxed) {
        Options::PTRACE_O_TRACEEXIT
    } else {
        Options::empty()
    };
    exit | Options::PTRACE_O_TRACESYSGOOD
        | Options::PTRACE_O_TRACEFORK
        | Options::PTRACE_O_TRACEVFORK
        | Options::PTRACE_O_TRACECLONE
        | Options::PTRACE_O_TRACEEXEC
        | Options::PTRACE_O_TRACESECCOMP
        // If forkscope dies, the kernel SIGKILLs every tracee: none is ever
        // left stopped under a tracer that is gone.
        | Options::PTRACE_O_EXITKILL
}

/// The options for attached processes: [`ptrace_options`] without
/// PTRACE_O_EXITKILL. If forkscope dies, the kernel detaches them (exit_ptrace)
/// and they run on.
pub fn attach_options() -> Options {
    ptrace_options() - Options::PTRACE_O_EXITKILL
}

/// A process seized by [`attach`], with its threads.
#[derive(Debug, Clone)]
pub struct SeizedProcess {
    /// Its pid.
    pub pid: i32,
    /// Its threads (tids), the main one included.
    pub tids: Vec<i32>,
}

/// What [`attach`] seized, parents before children.
#[derive(Debug, Clone, Default)]
pub struct Seized {
    /// The processes.
    pub processes: Vec<SeizedProcess>,
}

/// Is `tid` traced by this process already (a child auto-attached through
/// PTRACE_O_TRACEFORK / TRACECLONE while the tree was being seized)?
fn traced_by_me(tid: i32) -> bool {
    let me = std::process::id().to_string();
    std::fs::read_to_string(format!("/proc/{tid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("TracerPid:"))
                .map(|v| v.trim() == me)
        })
        .unwrap_or(false)
}

fn tids_of(pid: i32) -> Vec<i32> {
    let mut v: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// Seizes every thread of `pid` and of its descendants with
/// [`attach_options`], without stopping them (call [`interrupt`] once their
/// `spawn` events are written). The tree is scanned again until a scan finds
/// nothing new, so processes forked while seizing are not missed: those
/// forked by an already seized task are attached by the kernel itself and
/// reported later as forks.
pub fn attach(pid: i32) -> Result<Seized, RecordError> {
    let me = std::process::id() as i32;
    if pid <= 0 || pid == me {
        return Err(RecordError::Spawn {
            msg: format!("cannot attach to {pid}: not a process forkscope can trace"),
        });
    }
    if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
        return Err(RecordError::Spawn {
            msg: format!("no process {pid}"),
        });
    }
    let mut seized = Seized::default();
    let mut seen: std::collections::HashSet<i32> = std::collections::HashSet::new();
    for _round in 0..50 {
        let mut new = false;
        // Never ourselves (`record -p $$` from a shell: forkscope is one of
        // its descendants).
        for p in super::live::tree(pid).into_iter().filter(|p| *p != me) {
            for tid in tids_of(p) {
                if !seen.insert(tid) {
                    continue;
                }
                match ptrace::seize(Pid::from_raw(tid), attach_options()) {
                    Ok(()) => {
                        new = true;
                        match seized.processes.iter_mut().find(|s| s.pid == p) {
                            Some(s) => s.tids.push(tid),
                            None => seized.processes.push(SeizedProcess {
                                pid: p,
                                tids: vec![tid],
                            }),
                        }
                    }
                    Err(nix::errno::Errno::ESRCH) => {}
                    Err(_) if traced_by_me(tid) => {}
                    Err(e) if tid == pid => {
                        release(&seized);
                        return Err(RecordError::Spawn {
                            msg: format!(
                                "cannot attach to {pid}: ptrace(PTRACE_SEIZE) failed: {e} (is it \
                                 another user's, already traced, or is ptrace restricted by \
                                 kernel.yama.ptrace_scope?)"
                            ),
                        });
                    }
                    // A descendant we may not trace: left alone.
                    Err(_) => {}
                }
            }
        }
        if !new {
            break;
        }
    }
    if seized.processes.is_empty() {
        return Err(RecordError::Spawn {
            msg: format!("no process {pid}"),
        });
    }
    Ok(seized)
}

/// [`attach`] to each of `pids` (`record -p A -p B`), in order: a pid that
/// is already seized (a descendant of an earlier one) is not seized again.
/// If one cannot be attached, the ones seized so far are let go.
pub fn attach_all(pids: &[i32]) -> Result<Seized, RecordError> {
    let mut all = Seized::default();
    for &pid in pids {
        if all.processes.iter().any(|p| p.pid == pid) {
            continue;
        }
        match attach(pid) {
            Ok(s) => all.processes.extend(
                s.processes
                    .into_iter()
                    .filter(|p| !all.processes.iter().any(|q| q.pid == p.pid))
                    .collect::<Vec<_>>(),
            ),
            Err(e) => {
                release(&all);
                return Err(e);
            }
        }
    }
    Ok(all)
}

/// Stops every seized task (PTRACE_INTERRUPT): each reports a
/// PTRACE_EVENT_STOP, where the tracer resumes it under PTRACE_SYSCALL.
pub fn interrupt(seized: &Seized) {
    for p in &seized.processes {
        for &tid in &p.tids {
            let _ = ptrace::interrupt(Pid::from_raw(tid));
        }
    }
}

/// Lets go of tasks seized by [`attach`] when recording cannot start: each is
/// interrupted, waited for and detached, with any signal it was about to
/// receive handed back to it.
pub fn release(seized: &Seized) {
    use super::stops::{self, Mode, Report, Waited};
    interrupt(seized);
    for p in &seized.processes {
        for &tid in &p.tids {
            let pid = Pid::from_raw(tid);
            if let Ok(Waited::Report(Report::Stop(s))) =
                stops::wait(Some(pid), Mode::EverySyscall, || false)
            {
                let _ = s.detach();
            }
        }
    }
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
    let forked = fork_command(prog, argv, filter)?;
    let child = forked.child;
    // The caller is the tracer and the command's parent: an ancestor, which
    // Yama allows without naming it.
    forked.name_tracer(0)?;
    forked.seize_and_release()?;
    Ok(child)
}

/// A command forked by [`fork_command`], waiting on its pipe before its
/// exec: it waits to be told who its tracer is ([`Forked::name_tracer`]),
/// then to be seized and released ([`Forked::seize_and_release`]).
#[derive(Debug)]
pub struct Forked {
    /// The command's pid.
    pub child: Pid,
    /// To the child: its tracer's pid (4 bytes), then the release (1 byte).
    sync_w: std::os::fd::OwnedFd,
    /// From the child: it named its tracer (1 byte), then its fd table is
    /// final (1 byte).
    ready_r: std::os::fd::OwnedFd,
}

impl Forked {
    /// Tells the child which process will trace it (0: its parent, nothing
    /// to name). The child names it with `prctl(PR_SET_PTRACER)`, so that
    /// under Yama's `ptrace_scope` 1 ("only a descendant, or a process
    /// named with PR_SET_PTRACER, may be attached") a tracer that is the
    /// child's sibling may seize it.
    pub fn name_tracer(&self, tracer: i32) -> Result<(), RecordError> {
        nix::unistd::write(&self.sync_w, &tracer.to_ne_bytes())
            .map(|_| ())
            .map_err(|e| RecordError::Spawn {
                msg: format!("releasing the child: {e}"),
            })
    }

    /// In the tracer: waits until the child named its tracer, seizes it with
    /// [`ptrace_options`], releases it, and waits until its fd table is
    /// final (fds 0-2 closed as forkscope found them), so that the caller
    /// reads it after that. On failure the child is killed.
    pub fn seize_and_release(self) -> Result<(), RecordError> {
        let child = self.child;
        let mut b = [0u8; 1];
        // 1 byte: named; 0 or an error: the child is gone, and the seize
        // below says so.
        while let Err(nix::errno::Errno::EINTR) = nix::unistd::read(&self.ready_r, &mut b) {}
        if let Err(e) = ptrace::seize(child, ptrace_options()) {
            let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
            // Reaped if the caller is its parent; a tracer that is its
            // sibling gets ECHILD at once, and the parent reaps it.
            let _ = nix::sys::wait::waitpid(child, None);
            return Err(RecordError::Spawn {
                msg: format!(
                    "cannot trace the command: ptrace(PTRACE_SEIZE) failed: {e} \
                     (is forkscope itself being traced, or is ptrace forbidden here by \
                     seccomp, a container or kernel.yama.ptrace_scope?)"
                ),
            });
        }
        nix::unistd::write(&self.sync_w, &[1u8]).map_err(|e| RecordError::Spawn {
            msg: format!("releasing the child: {e}"),
        })?;
        drop(self.sync_w);
        // 1 byte: ready; 0 or another error: the child is gone, which
        // the tracer will report.
        while let Err(nix::errno::Errno::EINTR) = nix::unistd::read(&self.ready_r, &mut b) {}
        Ok(())
    }
}

/// Forks the child, which waits on a pipe: to be told its tracer's pid
/// (which it names with `prctl(PR_SET_PTRACER)`), then to be released, at
/// which point it restores what forkscope inherited, installs `filter` and
/// execs `prog` with `argv`. If every copy of the pipe's write end is
/// closed before the release, the child exits 127 without running anything.
pub fn fork_command(
    prog: &Path,
    argv: &[OsString],
    filter: &[libc::sock_filter],
) -> Result<Forked, RecordError> {
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
    // The child says on this one when it named its tracer, and when its fd
    // table is final.
    let (ready_r, ready_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| RecordError::Spawn {
            msg: format!("pipe2: {e}"),
        })?;
    let (ready_rfd, ready_wfd) = (ready_r.as_raw_fd(), ready_w.as_raw_fd());
    let inherited = super::signals::inherited();
    // No handler of forkscope's may run in the child: every signal is
    // blocked across the fork, and the child sets its own mask.
    let mask = super::signals::block_all();
    // SAFETY: the child branch below only calls async-signal-safe functions
    // (close, read, sigaction, sigprocmask, prctl, syscall, execv, write,
    // _exit) on data prepared before the fork; it never returns.
    let forked = unsafe { fork() };
    if !matches!(forked, Ok(ForkResult::Child)) {
        super::signals::set_mask(&mask);
    }

    match forked.map_err(|errno| RecordError::ForkFailed { errno })? {
        ForkResult::Child => {
            // SAFETY: raw libc calls on valid fds and pointers prepared above;
            // see the comment on the fork.
            unsafe {
                libc::close(wfd);
                libc::close(ready_rfd);
                // Reads exactly `buf.len()` bytes, or exits 127: every
                // write end was closed (forkscope gave up on the command).
                let read_all = |buf: &mut [u8]| {
                    let mut got = 0;
                    while got < buf.len() {
                        let n = libc::read(rfd, buf[got..].as_mut_ptr().cast(), buf.len() - got);
                        if n < 0 && *libc::__errno_location() == libc::EINTR {
                            continue;
                        }
                        if n <= 0 {
                            libc::_exit(127);
                        }
                        got += n as usize;
                    }
                };
                let mut tracer = [0u8; 4];
                read_all(&mut tracer);
                let tracer = i32::from_ne_bytes(tracer);
                let b = 1u8;
                if tracer > 0 {
                    // prctl(2): "PR_SET_PTRACER ... allow the process with
                    // this pid to call ptrace(2) on the caller" (Yama). An
                    // EINVAL without Yama is of no consequence.
                    libc::prctl(libc::PR_SET_PTRACER, tracer as libc::c_ulong, 0, 0, 0);
                }
                libc::write(ready_wfd, (&b as *const u8).cast(), 1);
                let mut release = [0u8; 1];
                read_all(&mut release);
                if tracer > 0 {
                    // Seized: the exception is no longer needed, and the
                    // program does not keep one it would not have untraced.
                    libc::prctl(libc::PR_SET_PTRACER, 0, 0, 0, 0);
                }
                libc::close(rfd);
                // The program starts with what forkscope was started with:
                // its mask, its ignored signals (not the SIGPIPE the Rust
                // runtime ignores, nor forkscope's handlers), its closed stdio.
                super::signals::restore_in_child(&inherited);
                libc::write(ready_wfd, (&b as *const u8).cast(), 1);
                // SPEC_ALLOW: a seccomp filter must not turn on the
                // Speculative Store Bypass mitigation for the program (the
                // kernel's default on machines that mitigate "via prctl and
                // seccomp"); untraced, it would run without it. Kernels
                // older than 4.17 refuse the flag: then without it.
                let install = || {
                    let with = |flags: libc::c_ulong| {
                        libc::syscall(
                            libc::SYS_seccomp,
                            libc::SECCOMP_SET_MODE_FILTER,
                            flags,
                            &fprog as *const libc::sock_fprog,
                        )
                    };
                    let r = with(libc::SECCOMP_FILTER_FLAG_SPEC_ALLOW);
                    if r != 0 && *libc::__errno_location() == libc::EINVAL {
                        with(0)
                    } else {
                        r
                    }
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
            drop(ready_w);
            Ok(Forked {
                child,
                sync_w,
                ready_r,
            })
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
