//! Why a live process tree is stuck: the wait-for graph of a [`Snapshot`].
//!
//! Files: `graph` (who can release whom, the stuck tasks, the cycles, and
//! each hang's facts), `eof` (the EOF-held-open heuristic). The snapshot
//! itself is [`crate::model::snapshot`] and what each task waits for
//! [`crate::model::wait`]; the facts are [`crate::trace::hang`], worded by
//! `words::hang`.
//!
//! Pure: a snapshot of tasks (state, the syscall each is blocked in, its fd
//! table, its progress counters) and of the pipes they hold comes in, a
//! [`Report`] goes out. `record::live` reads snapshots from /proc; the unit
//! tests below build them by hand.
//!
//! Each blocked task waits for something only certain processes can give:
//! - a reader of an empty pipe, for a writer: any process holding a write
//!   end (the pipe rules: `read` blocks while the pipe is empty and a write
//!   end is open; it returns 0, EOF, only once every write end is closed);
//! - a writer of a full pipe, for a process holding a read end to read;
//! - a wait4/waitid, for one of the children it covers to exit;
//! - an open of a FIFO, for some process to open the other side;
//! - a stopped task, a pause(), an untimed futex wait: for some process
//!   to send a signal (or wake the futex);
//! - an untimed select, poll or epoll_wait on pipe ends only, for any one of
//!   them to become ready: the union of what each would wait for alone (a
//!   writer of each pipe it would read, a reader of each pipe it would
//!   write). An fd that is not a pipe (a socket, a terminal, an eventfd)
//!   makes the wait external: someone outside may make it ready.
//!   An end watched only for the other side to go (poll events 0, no
//!   EPOLLOUT on a write end, no POLLIN on a read end) is woken only by
//!   POLLERR or POLLHUP: it waits for every holder of the other side to
//!   close it, whatever data or room the pipe has.
//!
//! A task is *stuck* when every process that could release it is stuck too
//! (the greatest fixpoint: start from every blocked task, and free those
//! with at least one free releaser until nothing changes). Running tasks,
//! timed sleeps (nanosleep, poll with a timeout), and waits on things outside
//! the tree (a terminal, a socket, a process we could not see) are free, so a
//! busy pipeline, a `sleep 3` or a producer that writes once a second is
//! never reported. Stuck tasks are reported as a [`Hang`]: a *deadlock* when
//! their waits on pipes and children form a cycle, *stuck* otherwise (a
//! stopped child nobody will continue, FIFOs opened in opposite orders).
//!
//! An event loop (asyncio, libuv, GLib) waits on its own wake-up channel
//! (an eventfd, a socket pair, a self-pipe) as well as on its real fds. A
//! channel whose every end only its own process holds can be made ready by
//! its own threads only: `model::wait` sets it apart (a `Wait::Loop`) and
//! the loop waits on its real fds, so it does not hide a deadlock on them.
//! A channel another process holds an end of keeps the wait external.
//!
//! One more hang is not a cycle: a reader waits for EOF on a pipe whose
//! write end is held only by an orphaned process that has never written a
//! byte and is not running (a background job that inherited a pipeline's
//! stdout: `{ sleep 30 & echo hi; } | cat`). The reader will wait until that
//! process exits: *eof-held-open*, a long wait rather than a hang for good
//! ([`HangKind::may_end`]: explained, never killed). The holders may also be
//! the idle children of such an orphan (a background subshell waiting for
//! its sleep), or a daemon waiting on a socket; what each does, and for how
//! long a sleeper sleeps, is in the facts (`eof`).

mod eof;
mod fixes;
mod forked;
mod graph;
#[cfg(test)]
mod hangup_tests;
mod locks;
#[cfg(test)]
mod loop_tests;
mod signals;
#[cfg(test)]
mod snap_builder;
#[cfg(test)]
mod tests;

pub use crate::model::snapshot::Snapshot;
pub use crate::model::wait::{classify, Wait};
pub use crate::trace::hang::{Hang, HangKind};
use crate::trace::Pid;
use graph::{releasers, Graph, Releasers};
use serde::Serialize;
use std::collections::BTreeSet;

/// What a task waits for, and whether it is stuck.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskWait {
    /// Its process.
    pub pid: Pid,
    /// The task.
    pub tid: Pid,
    /// What it waits for.
    pub wait: Wait,
    /// Nothing that could release it is free.
    pub stuck: bool,
}

/// The analysis of one snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// What each task waits for.
    pub waits: Vec<TaskWait>,
    /// The hangs found (empty: nothing is wrong).
    pub hangs: Vec<Hang>,
}

impl Report {
    /// What task `tid` waits for.
    pub fn wait(&self, tid: Pid) -> Option<&TaskWait> {
        self.waits.iter().find(|w| w.tid == tid)
    }
}

/// Analyses a snapshot: what each task waits for, which are stuck, and why.
pub fn analyse(snap: &Snapshot) -> Report {
    let waits: Vec<Wait> = snap.tasks.iter().map(|t| classify(snap, t)).collect();
    let rel: Vec<Releasers> = snap
        .tasks
        .iter()
        .zip(&waits)
        .map(|(t, w)| releasers(snap, t, w))
        .collect();
    // Greatest fixpoint: every task that may block forever starts stuck;
    // free it when one of its releasers has a free task.
    let mut stuck: Vec<bool> = snap
        .tasks
        .iter()
        .zip(&waits)
        .zip(&rel)
        .map(|((t, w), r)| t.in_tree && w.may_block_forever() && *r != Releasers::Free)
        .collect();
    let procs = snap.processes();
    let live = |i: usize| !matches!(waits[i], Wait::Zombie);
    loop {
        let proc_stuck = |pid: Pid, stuck: &[bool]| {
            let mut any = false;
            for (i, t) in snap.tasks.iter().enumerate() {
                if t.pid == pid && live(i) {
                    any = true;
                    if !stuck[i] {
                        return false;
                    }
                }
            }
            any
        };
        let mut changed = false;
        for i in 0..snap.tasks.len() {
            if !stuck[i] {
                continue;
            }
            let t = &snap.tasks[i];
            let held = match &rel[i] {
                Releasers::Procs(ps) => ps.iter().all(|p| proc_stuck(*p, &stuck)),
                // Nobody else around: a server waiting for a client, a
                // daemon waiting for a signal. Not a hang.
                Releasers::Anyone => {
                    let others: Vec<&Pid> = procs
                        .iter()
                        .filter(|p| {
                            **p != t.pid
                                && (0..snap.tasks.len())
                                    .any(|j| snap.tasks[j].pid == **p && live(j))
                        })
                        .collect();
                    !others.is_empty() && others.iter().all(|p| proc_stuck(**p, &stuck))
                }
                Releasers::Threads { shared } => {
                    let threads_stuck = snap
                        .tasks
                        .iter()
                        .enumerate()
                        .filter(|(j, o)| o.pid == t.pid && *j != i && live(*j))
                        .all(|(j, _)| stuck[j]);
                    threads_stuck
                        && (!shared
                            || procs
                                .iter()
                                .filter(|p| **p != t.pid)
                                .all(|p| proc_stuck(*p, &stuck)))
                }
                Releasers::Nobody => (0..snap.tasks.len())
                    .filter(|&j| j != i && live(j))
                    .all(|j| stuck[j]),
                Releasers::Free => false,
            };
            if !held {
                stuck[i] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let report_waits: Vec<TaskWait> = snap
        .tasks
        .iter()
        .zip(&waits)
        .zip(&stuck)
        .map(|((t, w), s)| TaskWait {
            pid: t.pid,
            tid: t.tid,
            wait: w.clone(),
            stuck: *s,
        })
        .collect();
    let g = Graph {
        snap,
        waits: &waits,
        rel: &rel,
        stuck: &stuck,
    };
    let mut hangs = g.stuck_hangs();
    hangs.extend(g.eof_held_open());
    Report {
        waits: report_waits,
        hangs,
    }
}

/// The set of tids the hangs name (for tests and the recorder).
pub fn hung_tids(r: &Report) -> BTreeSet<Pid> {
    r.hangs
        .iter()
        .flat_map(|h| h.tasks.iter().copied())
        .collect()
}
