//! File locks in the wait-for graph: a task blocked taking a lock (fcntl
//! F_SETLKW or F_OFD_SETLKW, lockf F_LOCK, flock without LOCK_NB) waits
//! for the processes holding a conflicting lock on the same file to
//! release it (fcntl(2): "if a conflicting lock is held on the file, then
//! wait for that lock to be released"; flock(2): "flock() may block if an
//! incompatible lock is held by another process"). The lock it wants and
//! the locks held come from the snapshot's `locks` (read from /proc/locks
//! and the holders' fdinfo by `record::locks`).
//!
//! A holder that is running or sleeping frees the waiter (it may release
//! the lock any moment): no claim. A holder that waits for the waiter
//! (wait4 for it, a pipe it should write, another lock) closes a cycle: a
//! deadlock whose fix is to release the lock before that wait.

use super::graph::{dedup, who, Graph, Releasers};
use crate::model::snapshot::{FileLock, Snapshot, Task};
use crate::model::wait::Wait;
use crate::trace::hang::{End, FdRole, Fix, HangFd, Holder, Step};
use crate::trace::Pid;

/// The lock task `t` wants through `fd`, as the snapshot found it.
fn wanted<'a>(snap: &'a Snapshot, t: &Task, fd: i32) -> Option<&'a FileLock> {
    snap.locks
        .iter()
        .find(|l| l.waiting && l.pid == t.pid && l.fd == fd)
}

/// The held locks that conflict with the one `t` wants through `fd`: on
/// the same file, a write lock on either side, and not its own (a process
/// never conflicts with its own POSIX locks, nor an open file with its own
/// flock or OFD lock).
pub(super) fn conflicting<'a>(snap: &'a Snapshot, t: &Task, fd: i32) -> Vec<&'a FileLock> {
    let Some(want) = wanted(snap, t, fd) else {
        return Vec::new();
    };
    snap.locks
        .iter()
        .filter(|l| !l.waiting && l.file == want.file && (l.write || want.write))
        .filter(|l| l.pid != t.pid || (want.class != "POSIX" && l.class != "POSIX" && l.fd != fd))
        .collect()
}

/// Who can release a task blocked taking a lock: the holders of the
/// conflicting locks; free when none is known (it may be outside the tree,
/// or released since /proc was read).
pub(super) fn releasers(snap: &Snapshot, t: &Task, fd: i32) -> Releasers {
    let holders: Vec<Pid> = conflicting(snap, t, fd).iter().map(|l| l.pid).collect();
    if holders.is_empty() {
        return Releasers::Free;
    }
    Releasers::Procs(dedup(holders))
}

impl Graph<'_> {
    /// The fd's target in `pid`'s table (the file's path), or empty.
    fn path_of(&self, pid: Pid, fd: i32) -> String {
        self.snap
            .fds(pid)
            .iter()
            .find(|f| f.fd == fd)
            .map(|f| f.target.clone())
            .unwrap_or_default()
    }

    /// The step of task `i`, blocked in `call` taking a lock through `fd`.
    pub(super) fn lock_step(
        &self,
        i: usize,
        next: Option<usize>,
        end: End,
        fds: &mut Vec<HangFd>,
    ) -> Step {
        let t = &self.snap.tasks[i];
        let Wait::Lock { call, fd, .. } = &self.waits[i] else {
            unreachable!("lock_step is called for lock waits only")
        };
        let path = self.path_of(t.pid, *fd);
        fds.push(HangFd {
            pid: t.pid,
            fd: *fd,
            pipe: path.clone(),
            role: FdRole::LockWaiter,
        });
        let want = wanted(self.snap, t, *fd);
        let mut holders: Vec<Holder> = Vec::new();
        for l in conflicting(self.snap, t, *fd) {
            fds.push(HangFd {
                pid: l.pid,
                fd: l.fd,
                pipe: path.clone(),
                role: FdRole::LockHolder,
            });
            match holders.iter_mut().find(|h| h.proc.pid == l.pid) {
                Some(h) if !h.fds.contains(&l.fd) => h.fds.push(l.fd),
                Some(_) => {}
                None => holders.push(Holder {
                    proc: self.proc_name(l.pid),
                    fds: vec![l.fd],
                    itself: l.pid == t.pid,
                }),
            }
        }
        Step::Lock {
            who: who(t),
            call: call.clone(),
            fd: *fd,
            path,
            class: want.map(|w| w.class.clone()).unwrap_or_default(),
            write: want.is_some_and(|w| w.write),
            holders,
            then: self.then_of(i, next),
            end,
        }
    }

    /// The fix of a cycle with a lock wait in it: the first holder around
    /// it releases the lock before it waits.
    pub(super) fn lock_fix_of(&self, cyc: &[usize]) -> Option<Fix> {
        cyc.iter()
            .enumerate()
            .find_map(|(k, &i)| self.lock_fix(i, cyc[(k + 1) % cyc.len()]))
    }

    /// The fix when task `i`, blocked taking a lock, waits for `next` in a
    /// cycle: `next` holds the lock and waits (for `i`, or for someone
    /// waiting for `i`); it should release the lock before it waits.
    fn lock_fix(&self, i: usize, next: usize) -> Option<Fix> {
        let t = &self.snap.tasks[i];
        let Wait::Lock { fd, .. } = &self.waits[i] else {
            return None;
        };
        let nt = &self.snap.tasks[next];
        let held: Vec<&FileLock> = conflicting(self.snap, t, *fd)
            .into_iter()
            .filter(|l| l.pid == nt.pid)
            .collect();
        let first = held.first()?;
        let mut fds: Vec<i32> = held.iter().map(|l| l.fd).collect();
        fds.dedup();
        let (holder, class, waiter) = (nt.pid, first.class.clone(), t.pid);
        let path = self.path_of(t.pid, *fd);
        Some(match &self.waits[next] {
            Wait::Child { call, .. }
            | Wait::Poll { call, .. }
            | Wait::Lock { call, .. }
            | Wait::Signal { call } => Fix::UnlockBeforeWait {
                holder,
                fds,
                class,
                path,
                waiter,
                call: call.clone(),
            },
            Wait::ReadPipe { .. } => Fix::UnlockBeforeWait {
                holder,
                fds,
                class,
                path,
                waiter,
                call: "read".into(),
            },
            Wait::WritePipe { .. } => Fix::UnlockBeforeWait {
                holder,
                fds,
                class,
                path,
                waiter,
                call: "write".into(),
            },
            _ => return None,
        })
    }
}
