//! Names written to /proc: a task's comm can also be set by writing
//! /proc/PID/comm or /proc/PID/task/TID/comm (what glibc's
//! pthread_setname_np does to name a thread other than the caller; for the
//! caller it calls prctl, see `prctl.rs`). proc(5): "a thread may modify
//! its comm value, or that of any of other thread in the same thread group
//! (see the discussion of CLONE_THREAD in clone(2)), by writing to the file
//! /proc/self/task/tid/comm".
//!
//! There is no syscall to stop on for the write itself (every write would
//! have to stop), so the open of such a file for writing, which is rare, is
//! remembered with the name the task had then; when the opener closes that
//! fd, the name is read again from /proc and a `rename` is recorded for the
//! renamed task if it changed. Until something is remembered, a close pays
//! one emptiness check of the tracer's `CommFiles`. Not seen: a name
//! written through an fd that is closed by exec, close_range, dup2 or the
//! task's exit, or closed by another thread of its process.

use crate::record::{procfs, tracer::Tracer, RecordError};
use crate::trace::{EventKind, RawStr};

/// An open comm file: who opened it, its fd, whose comm it is, and the
/// name that task had when it was opened.
struct Open {
    opener: i32,
    fd: i32,
    task: i32,
    before: Option<RawStr>,
}

/// The comm files open for writing, kept by the tracer.
#[derive(Default)]
pub struct CommFiles(Vec<Open>);

impl CommFiles {
    /// Is any comm file remembered? (What a close checks first.)
    pub fn watching(&self) -> bool {
        !self.0.is_empty()
    }
}
/// At most this many are remembered (an fd that is never closed, or closed
/// unseen, is forgotten after that many more).
const KEPT: usize = 64;

/// Whose comm a path names: `/proc/PID/comm` is PID's (a tid names that
/// thread), `/proc/PID/task/TID/comm` is TID's; `self` and `thread-self`
/// are the opener's process and the opener (the kernel's name of the open
/// file, when known, has them resolved to numbers already).
fn task_of(path: &[u8], opener: i32) -> Option<i32> {
    let rest = path.strip_prefix(b"/proc/")?;
    let parts: Vec<&[u8]> = rest.split(|b| *b == b'/').collect();
    let num = |p: &[u8]| -> Option<i32> {
        match p {
            b"thread-self" => Some(opener),
            // The process: its main thread, named by the process's pid.
            b"self" => procfs_tgid(opener),
            _ => std::str::from_utf8(p).ok()?.parse().ok().filter(|n| *n > 0),
        }
    };
    match parts.as_slice() {
        [pid, b"comm"] => num(pid),
        [pid, b"task", tid, b"comm"] if *pid != b"thread-self" => {
            num(pid)?;
            num(tid)
        }
        _ => None,
    }
}

/// The process (thread group) id of task `tid`, from /proc/TID/status.
fn procfs_tgid(tid: i32) -> Option<i32> {
    let s = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// An open by `opener` returned `fd` for `path` (the kernel's name for it
/// when known) with open `flags`: remembered when it is a comm file opened
/// for writing. Costs two byte comparisons for any other open.
pub fn opened(open: &mut CommFiles, opener: i32, fd: i32, path: &RawStr, flags: Option<u64>) {
    let p = path.as_bytes();
    if fd < 0 || !p.starts_with(b"/proc/") || !p.ends_with(b"/comm") {
        return;
    }
    let access = flags.unwrap_or(0) as i32 & libc::O_ACCMODE;
    if access != libc::O_WRONLY && access != libc::O_RDWR {
        return;
    }
    let Some(task) = task_of(p, opener) else {
        return;
    };
    let open = &mut open.0;
    open.retain(|o| !(o.opener == opener && o.fd == fd));
    if open.len() >= KEPT {
        open.remove(0);
    }
    open.push(Open {
        opener,
        fd,
        task,
        before: procfs::comm(task),
    });
}

/// `opener` is closing `fd`: when it is a remembered comm file, records a
/// `rename` of its task if the name changed since the open and the task is
/// in the opener's thread group (the kernel refuses the write otherwise).
pub fn closing(t: &mut Tracer, opener: i32, fd: i32) -> Result<(), RecordError> {
    let open = &mut t.comm_files.0;
    let at = open.iter().position(|o| o.opener == opener && o.fd == fd);
    let Some(o) = at.map(|i| open.remove(i)) else {
        return Ok(());
    };
    let same_group = o.task == opener
        || std::path::Path::new(&format!("/proc/{opener}/task/{}", o.task)).exists();
    let now = procfs::comm(o.task);
    if !same_group || now.is_none() || now == o.before {
        return Ok(());
    }
    let name = now.unwrap_or_default();
    t.emit(o.task, EventKind::Rename { name, errno: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comm_paths_name_the_task_whose_comm_they_are() {
        assert_eq!(task_of(b"/proc/42/comm", 7), Some(42));
        assert_eq!(task_of(b"/proc/42/task/43/comm", 7), Some(43));
        assert_eq!(task_of(b"/proc/thread-self/comm", 7), Some(7));
        assert_eq!(task_of(b"/proc/self/task/9/comm", 7), Some(9));
        let me = std::process::id() as i32;
        assert_eq!(task_of(b"/proc/self/comm", me), Some(me));
        for other in [
            &b"/proc/42/status"[..],
            b"/proc/42/task/comm",
            b"/proc/x/comm",
            b"/proc/42/fd/3/comm",
            b"/tmp/comm",
        ] {
            assert_eq!(
                task_of(other, 7),
                None,
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }
}
