//! Locks copied by fork: a single-threaded child blocked on a private futex
//! (a mutex) whose parent, running the same program, has several threads.
//! fork copies the memory as it is, a mutex held by another thread
//! included, but only the thread that called fork: "The child process is
//! created with a single thread—the one that called fork(). The entire
//! virtual address space of the parent is replicated in the child,
//! including the states of mutexes" (fork(2)). The holder does not exist in
//! the child, so nobody there will unlock it. The wait itself is already
//! stuck (a private futex with no other thread); this only names why.

use super::graph::Graph;
use crate::model::wait::Wait;
use crate::trace::Pid;

impl Graph<'_> {
    /// The live tasks of process `pid`.
    fn live_threads(&self, pid: Pid) -> usize {
        self.snap
            .tasks
            .iter()
            .enumerate()
            .filter(|(j, t)| t.pid == pid && !matches!(self.waits[*j], Wait::Zombie))
            .count()
    }

    /// When task `i` waits on a lock fork copied locked: its parent's pid
    /// and live thread count.
    pub(super) fn fork_copied_lock(&self, i: usize) -> Option<(Pid, usize)> {
        let t = &self.snap.tasks[i];
        if !matches!(self.waits[i], Wait::Futex { shared: false }) || self.live_threads(t.pid) != 1
        {
            return None;
        }
        let parent = self.snap.threads(t.ppid).next()?;
        let threads = self.live_threads(parent.pid);
        // The same program (no exec since the fork), several threads.
        (parent.pid != t.pid && parent.name == t.name && threads > 1)
            .then_some((parent.pid, threads))
    }
}

#[cfg(test)]
mod tests {
    use super::super::analyse;
    use super::super::snap_builder::Snap;
    use crate::trace::hang::{Fix, Step, Summary};

    /// Process 1 (`p`, threads 1 and 2 when `threaded`) waits for its
    /// child 3 (program `child`), which waits on a private futex.
    fn forked(threaded: bool, child: &str) -> crate::model::snapshot::Snapshot {
        let mut s = Snap::new(1)
            .proc(1, 0, "p", 'S')
            .blocked(1, "wait4", &[3, 0, 0]);
        if threaded {
            s = s.thread(1, 2, 'S').blocked(2, "pause", &[]);
        }
        s.proc(3, 1, child, 'S')
            .blocked(3, "futex", &[0x7ff, 128, 2, 0])
            .done()
    }

    #[test]
    fn a_child_of_a_threaded_parent_waiting_on_a_private_futex_waits_on_a_copied_lock() {
        let r = analyse(&forked(true, "p"));
        assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
        let f = &r.hangs[0].facts;
        assert!(
            matches!(&f.summary, Summary::ForkCopiedLock { who, parent } if who.pid == 3 && parent.pid == 1)
        );
        assert!(f
            .steps
            .iter()
            .any(|s| matches!(s, Step::ForkCopiedLock { threads: 2, .. })));
        assert!(matches!(f.fix, Fix::NoForkFromThreads { child: 3, .. }));
    }

    #[test]
    fn a_futex_wait_after_exec_or_under_a_single_threaded_parent_is_not_called_a_copied_lock() {
        for snap in [forked(true, "other"), forked(false, "p")] {
            let r = analyse(&snap);
            assert_eq!(r.hangs.len(), 1, "still stuck: {:#?}", r.hangs);
            let f = &r.hangs[0].facts;
            assert!(
                !matches!(f.summary, Summary::ForkCopiedLock { .. }),
                "{f:#?}"
            );
            assert!(f.steps.iter().any(|s| matches!(s, Step::Futex { .. })));
        }
    }
}
