//! File locks for the hang analysis: for every task blocked taking a lock
//! (fcntl F_SETLKW / F_OFD_SETLKW, lockf, flock without LOCK_NB), the lock
//! it wants, from /proc/locks, and the locks held on the same file, from
//! each process's /proc/PID/fdinfo/FD `lock:` lines.
//!
//! /proc/locks (fs/locks.c, locks_show) prints one line per lock held,
//! `ID: CLASS MODE TYPE PID MAJ:MIN:INODE START END`, followed by a line
//! per task waiting for it, the same fields after `-> `. The PID of an OFD
//! lock is -1, and that of a flock lock is the process that took it, which
//! may have exited while a child keeps the open file: so the holders are
//! read from fdinfo instead, whose `lock:` lines list the locks that open
//! file (flock, OFD) or that process (POSIX) holds (fs/locks.c,
//! show_fd_locks). Read only when some task waits on a lock: never on the
//! recorder's hot path.

use crate::model::snapshot::{FileLock, Snapshot};
use crate::model::wait::lock_fd;
use crate::trace::Pid;
use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;

/// One lock line: (pid, file, class, write, waiting).
fn parse_lock_line(line: &str) -> Option<(Pid, String, String, bool, bool)> {
    let mut it = line.split_whitespace();
    it.next()?.strip_suffix(':')?;
    let mut class = it.next()?;
    let waiting = class == "->";
    if waiting {
        class = it.next()?;
    }
    let _mode = it.next()?;
    let kind = it.next()?;
    let pid: Pid = it.next()?.parse().ok()?;
    let file = it.next()?;
    if file.split(':').count() != 3 {
        return None;
    }
    Some((
        pid,
        file.to_string(),
        class.to_string(),
        kind == "WRITE",
        waiting,
    ))
}

/// The file of `pid`'s fd as /proc/locks names it (`%02x:%02x:%lu` of the
/// inode's device and number), for OFD waiters, which /proc/locks shows
/// with pid -1.
fn file_of(pid: Pid, fd: i32) -> Option<String> {
    let m = std::fs::metadata(format!("/proc/{pid}/fd/{fd}")).ok()?;
    let dev = m.dev();
    Some(format!(
        "{:02x}:{:02x}:{}",
        libc::major(dev),
        libc::minor(dev),
        m.ino()
    ))
}

/// Fills `snap.locks` when a task of it waits on a file lock.
pub(crate) fn add_locks(snap: &mut Snapshot) {
    let waiters: Vec<(Pid, i32)> = snap
        .tasks
        .iter()
        .filter(|t| t.state != 'R' && t.state != 'Z')
        .filter_map(|t| Some((t.pid, lock_fd(t.syscall.as_ref()?)?)))
        .collect();
    if waiters.is_empty() {
        return;
    }
    let all = std::fs::read_to_string("/proc/locks").unwrap_or_default();
    let lines: Vec<_> = all.lines().filter_map(parse_lock_line).collect();
    let mut locks = Vec::new();
    for &(pid, fd) in &waiters {
        let own = lines.iter().find(|l| l.4 && l.0 == pid);
        let found = own.or_else(|| {
            let file = file_of(pid, fd)?;
            lines.iter().find(|l| l.4 && l.0 == -1 && l.1 == file)
        });
        if let Some((_, file, class, write, _)) = found {
            locks.push(FileLock {
                pid,
                fd,
                file: file.clone(),
                class: class.clone(),
                write: *write,
                waiting: true,
            });
        }
    }
    let wanted: BTreeSet<String> = locks.iter().map(|l| l.file.clone()).collect();
    for pid in snap.processes() {
        for f in snap.fds(pid) {
            if f.pipe.is_some() {
                continue;
            }
            let Ok(info) = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", f.fd)) else {
                continue;
            };
            for l in info.lines().filter_map(|l| l.strip_prefix("lock:")) {
                let Some((_, file, class, write, waiting)) = parse_lock_line(l) else {
                    continue;
                };
                if !waiting && wanted.contains(&file) {
                    locks.push(FileLock {
                        pid,
                        fd: f.fd,
                        file,
                        class,
                        write,
                        waiting: false,
                    });
                }
            }
        }
    }
    snap.locks = locks;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_lines_parse_held_and_waiting_with_fdinfo_prefix_too() {
        assert_eq!(
            parse_lock_line("1: FLOCK  ADVISORY  WRITE 23389 fe:00:5816240 0 EOF"),
            Some((23389, "fe:00:5816240".into(), "FLOCK".into(), true, false))
        );
        assert_eq!(
            parse_lock_line("1: -> POSIX  ADVISORY  READ 7 08:01:9 0 EOF"),
            Some((7, "08:01:9".into(), "POSIX".into(), false, true))
        );
        assert_eq!(
            parse_lock_line("\t2: OFDLCK ADVISORY  WRITE -1 00:2d:5 0 EOF"),
            Some((-1, "00:2d:5".into(), "OFDLCK".into(), true, false))
        );
        assert_eq!(parse_lock_line("garbage"), None);
    }
}
