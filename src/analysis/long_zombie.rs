//! `long-zombie`: a child stayed a zombie (exited, not yet reaped) for at
//! least [`ZOMBIE_THRESHOLD_NS`] of trace time before its parent waited for
//! it.
//!
//! A process that has exited keeps its pid and exit status in the kernel
//! until its parent collects them with wait(); until then it is a zombie
//! (`<defunct>` in ps). One is harmless; a long-running parent that never
//! gets round to waiting piles them up until fork fails with EAGAIN.
//! Children that were never reaped at all are reported by
//! [`never_reaped`](super::never_reaped) instead; the root process, which
//! forkscope itself reaps, is neither.

use super::{
    Analysis, Code, Context, EventFact, EventRef, Finding, FindingFact, Proc, Role, Severity,
};
use crate::model::hash::IdMap;
use crate::model::{Applied, Note};
use crate::trace::{Event, EventKind, Pid};

/// A zombie this long (in trace time) is reported: 1 s.
pub const ZOMBIE_THRESHOLD_NS: u64 = 1_000_000_000;

/// Finds children reaped long after they exited.
#[derive(Default)]
pub struct LongZombie {
    /// Per zombie: when SIGCHLD for it reached the parent.
    sigchld: IdMap<Pid, EventRef>,
}

impl Analysis for LongZombie {
    fn after(&mut self, cx: &Context<'_>, ev: &Event, applied: &Applied, out: &mut Vec<Finding>) {
        if let EventKind::Signal {
            signal,
            from: Some(child),
        } = ev.kind
        {
            let zombie = cx.model.process(child).is_some_and(|p| p.is_zombie());
            if signal.0 == libc::SIGCHLD && zombie && !self.sigchld.contains_key(&child) {
                let what = EventFact::SigchldReaches {
                    child,
                    parent: ev.pid,
                };
                self.sigchld.insert(child, EventRef::of(ev, what));
            }
        }
        for n in &applied.notes {
            let Note::Reaped { pid: c, by } = *n else {
                continue;
            };
            let sigchld = if self.sigchld.is_empty() {
                None
            } else {
                self.sigchld.remove(&c)
            };
            let Some(p) = cx.model.process(c) else {
                continue;
            };
            let (Some(ns), Some(exit)) = (p.zombie_ns(), p.exit) else {
                continue;
            };
            if ns < ZOMBIE_THRESHOLD_NS {
                continue;
            }
            let (cprog, byprog) = (cx.name(c), cx.name(by));
            let fact = FindingFact::LongZombie {
                child: Proc::new(c, cprog.clone()),
                parent: Proc::new(by, byprog.clone()),
                exit_seq: exit.at.seq,
                status: exit.status,
                reap_seq: ev.seq,
                zombie_ns: ns,
                sigchld: sigchld
                    .as_ref()
                    .map(|s| (s.seq, s.ts_ns.saturating_sub(exit.at.ts_ns))),
            };
            let f = Finding::new(Code::LongZombie, Severity::Warning, exit.at.seq, fact)
                .process(c, &cprog, Role::Child)
                .process(by, &byprog, Role::Parent)
                .event(EventRef::new(
                    exit.at,
                    c,
                    EventFact::Exits {
                        pid: c,
                        status: exit.status,
                    },
                ))
                .maybe_event(sigchld)
                .event(EventRef::of(ev, EventFact::Reaps { by, child: c }))
                .duration(ns);
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{English, Script};
    use super::super::Code;

    #[test]
    fn a_child_reaped_a_second_and_a_half_after_it_exited_is_a_long_zombie() {
        let mut s = Script::new(100, "zombie");
        s.fork(100, 101)
            .at(1)
            .exit(101, 0)
            .signal(100, libc::SIGCHLD, Some(101));
        s.at(1501).reap(100, 101, 101).exit(100, 0);
        let f = s.findings_of(Code::LongZombie);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].processes[0].pid, 101);
        assert_eq!(f[0].processes[1].pid, 100);
        assert!(f[0].duration_ns.unwrap() >= 1_500_000_000);
        assert!(f[0].summary().contains("1.50 s"), "{}", f[0].summary());
        assert!(f[0].explanation().contains("SIGCHLD told 100"));
    }

    #[test]
    fn a_child_reaped_promptly_is_no_finding() {
        let mut s = Script::new(100, "sh");
        s.fork(100, 101)
            .at(1)
            .exit(101, 0)
            .at(900)
            .reap(100, -1, 101)
            .exit(100, 0);
        assert!(s.findings().is_empty());
    }
}
