//! Lost wakeups: a task waiting for a signal (pause, sigsuspend, an untimed
//! rt_sigtimedwait) that nothing in the tree will send.
//!
//! Claimed only for SIGCHLD, and only when it is certain: the signals the
//! wait can end on include SIGCHLD and none that a process outside the tree
//! or a timer may send (SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM,
//! SIGTERM, SIGVTALRM, SIGPROF, SIGIO, the real-time signals); the process
//! has children and every one of them has exited (zombies: the kernel sends
//! SIGCHLD once per exit, so the ones that could come have come). A daemon
//! waiting for SIGTERM, or a parent with a live child, is never claimed.
//! Whether every other task of the tree is stuck too is the fixpoint's work
//! ([`super::graph::Releasers::Nobody`]).

use crate::model::snapshot::{Snapshot, Task};
use crate::model::wait::Wait;
use crate::trace::Pid;

/// The bit of signal `n` in a /proc mask.
const fn bit(n: u32) -> u64 {
    1 << (n - 1)
}

const SIGCHLD: u64 = bit(17);
/// Signals another process or a timer may send: a wait that ends on one of
/// them may end from outside the tree.
const FROM_OUTSIDE: u64 = bit(1) // SIGHUP
    | bit(2) // SIGINT
    | bit(3) // SIGQUIT
    | bit(10) // SIGUSR1
    | bit(12) // SIGUSR2
    | bit(14) // SIGALRM
    | bit(15) // SIGTERM
    | bit(26) // SIGVTALRM
    | bit(27) // SIGPROF
    | bit(29) // SIGIO
    | !((1u64 << 31) - 1); // 32..64: the real-time signals

/// The signals the wait of `t` in `call` can end on, when known: for pause
/// and sigsuspend the caught ones it does not block; for rt_sigtimedwait the
/// set it names.
fn awaited(t: &Task, call: &str) -> Option<u64> {
    let m = t.signals?;
    match call {
        "pause" | "rt_sigsuspend" | "sigsuspend" => Some(m.caught & !m.blocked),
        "rt_sigtimedwait" => m.waited,
        _ => None,
    }
}

/// The zombie children of `t`'s process when its signal wait is a lost
/// wakeup (see the module's rules), else None.
pub(super) fn lost_wakeup(snap: &Snapshot, t: &Task, call: &str) -> Option<Vec<Pid>> {
    let set = awaited(t, call)?;
    if set & SIGCHLD == 0 || set & FROM_OUTSIDE != 0 {
        return None;
    }
    let kids: Vec<&Task> = snap
        .tasks
        .iter()
        .filter(|c| c.ppid == t.pid && c.tid == c.pid && c.pid != t.pid)
        .collect();
    let dead = |c: &&Task| {
        snap.threads(c.pid)
            .all(|k| matches!(crate::model::wait::classify(snap, k), Wait::Zombie))
    };
    if kids.is_empty() || !kids.iter().all(dead) {
        return None;
    }
    Some(kids.iter().map(|c| c.pid).collect())
}

#[cfg(test)]
mod tests {
    use super::super::snap_builder::Snap;
    use super::super::{analyse, HangKind};
    use crate::model::snapshot::{SigMasks, Snapshot};
    use crate::trace::hang::{Fix, Step, Summary};

    /// Process 1 in `call` catching `caught`, blocking `blocked`, with
    /// children 2 (in state `kid`) and, when `other`, an unrelated process 3
    /// sleeping in a timed poll.
    fn parent(call: &str, caught: u64, blocked: u64, kid: Option<char>, other: bool) -> Snapshot {
        let mut s = Snap::new(1).proc(1, 0, "p", 'S').blocked(1, call, &[0x7ff]);
        if let Some(state) = kid {
            s = s.proc(2, 1, "c", state);
        }
        if other {
            s = s.proc(3, 0, "q", 'S').blocked(3, "poll", &[0x7ff, 1, 500]);
        }
        let mut snap = s.done();
        snap.tasks[0].signals = Some(SigMasks {
            caught,
            blocked,
            waited: None,
        });
        snap
    }

    const CHLD: u64 = 1 << 16;
    const TERM: u64 = 1 << 14;

    #[test]
    fn a_pause_for_sigchld_after_the_only_child_exited_is_a_lost_wakeup() {
        let r = analyse(&parent("pause", CHLD, 0, Some('Z'), false));
        assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
        let h = &r.hangs[0];
        assert_eq!(h.kind, HangKind::Stuck);
        assert_eq!(h.tasks, vec![1, 2], "the waiter, then its zombie");
        assert!(
            matches!(&h.facts.summary, Summary::LostWakeup { zombies, .. } if zombies[0].pid == 2)
        );
        assert!(matches!(&h.facts.steps[..], [Step::LostWakeup { call, .. }] if call == "pause"));
        assert!(matches!(&h.facts.fix, Fix::BlockSigchldBeforeFork { who, .. } if who.pid == 1));
    }

    #[test]
    fn sigsuspend_waits_for_what_its_mask_leaves_unblocked() {
        // SIGCHLD blocked during the call: it does not wait for it.
        let r = analyse(&parent("rt_sigsuspend", CHLD, CHLD, Some('Z'), false));
        assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
        let r = analyse(&parent("rt_sigsuspend", CHLD, 0, Some('Z'), false));
        assert_eq!(r.hangs.len(), 1);
    }

    #[test]
    fn no_lost_wakeup_is_claimed_while_anything_may_still_send_the_signal() {
        // A live child will send SIGCHLD when it exits.
        assert!(analyse(&parent("pause", CHLD, 0, Some('S'), false))
            .hangs
            .is_empty());
        // No child ever seen: a daemon waiting for whatever comes.
        assert!(analyse(&parent("pause", CHLD, 0, None, false))
            .hangs
            .is_empty());
        // SIGTERM caught too: someone outside may send it.
        assert!(analyse(&parent("pause", CHLD | TERM, 0, Some('Z'), false))
            .hangs
            .is_empty());
        // SIGCHLD not caught: its exit never wakes a pause.
        assert!(analyse(&parent("pause", 0, 0, Some('Z'), false))
            .hangs
            .is_empty());
        // Another process of the tree is free: it may signal.
        assert!(analyse(&parent("pause", CHLD, 0, Some('Z'), true))
            .hangs
            .is_empty());
    }

    #[test]
    fn sigtimedwait_waits_for_the_set_it_names() {
        let mut s = parent("rt_sigtimedwait", 0, CHLD, Some('Z'), false);
        s.tasks[0].signals.as_mut().unwrap().waited = Some(CHLD);
        assert_eq!(analyse(&s).hangs.len(), 1);
        s.tasks[0].signals.as_mut().unwrap().waited = None;
        assert!(analyse(&s).hangs.is_empty(), "an unread set claims nothing");
    }
}
