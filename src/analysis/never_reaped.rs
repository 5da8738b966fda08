//! `never-reaped`: a child that exited and that its parent never waited
//! for, either because the parent exited without waiting (the zombie is
//! handed to init or a subreaper, which reaps it) or because the trace
//! ended with the parent still alive and the child still a zombie.
//!
//! Not reported: the root process (forkscope itself reaps it); children
//! still running at the end (they are not zombies); children of a parent
//! whose wait later failed with ECHILD while the model still saw a zombie:
//! the kernel had reaped it already, which is what happens when SIGCHLD is
//! ignored (SIG_IGN or SA_NOCLDWAIT) and is not a bug.

use super::{
    Analysis, Code, Context, EventFact, EventRef, Finding, FindingFact, Proc, Role, Severity,
};
use crate::model::hash::IdSet;
use crate::model::{Applied, Moment, Note, Process};
use crate::trace::{Event, EventKind, Pid, Status};

/// A child that exited less than this before its parent was killed by a
/// signal is not reported: they were killed together.
const KILLED_TOGETHER_NS: u64 = 100_000_000;

/// Finds exited children nobody waited for.
#[derive(Default)]
pub struct NeverReaped {
    /// Parents whose children the kernel reaps by itself.
    auto_reaping: IdSet<Pid>,
}

fn finding(
    cx: &Context<'_>,
    c: &Process,
    parent: Pid,
    ended: Option<&Event>,
    now: Moment,
) -> Option<Finding> {
    let exit = c.exit?;
    let (cprog, pprog) = (cx.name(c.pid), cx.name(parent));
    let until = ended.map_or(now, Moment::of);
    let zombie_ns = until.ts_ns.saturating_sub(exit.at.ts_ns);
    let c_pid = c.pid;
    let end_ev = match ended {
        Some(ev) => EventRef::of(
            ev,
            EventFact::ExitsWithoutWaiting {
                parent,
                child: c_pid,
            },
        ),
        None => EventRef::new(now, parent, EventFact::TraceEndsWithZombie { child: c_pid }),
    };
    // The parent may have exec'd since it forked the child (bash running
    // `cat <(echo a)` forks for `echo a`, then becomes cat): the program
    // that forked it, and should have waited, is the one it ran then.
    let forked_as = super::program_at_fork(cx.model, c).filter(|was| *was != pprog);
    let fact = FindingFact::NeverReaped {
        child: Proc {
            comm: super::renamed_as(cx.model, c_pid),
            ..Proc::new(c_pid, cprog.clone())
        },
        parent: Proc {
            forked_as,
            ..Proc::new(parent, pprog.clone())
        },
        exit_seq: exit.at.seq,
        status: exit.status,
        parent_exit_seq: ended.map(|e| e.seq),
        zombie_ns,
    };
    Some(
        Finding::new(Code::NeverReaped, Severity::Warning, exit.at.seq, fact)
            .process(c_pid, &cprog, Role::Child)
            .process(parent, &pprog, Role::Parent)
            .event(EventRef::new(
                exit.at,
                c_pid,
                EventFact::Exits {
                    pid: c_pid,
                    status: exit.status,
                },
            ))
            .event(end_ev)
            .duration(zombie_ns),
    )
}

impl NeverReaped {
    /// Does `parent` have a child the model still thinks is a zombie?
    fn has_zombie_child(cx: &Context<'_>, parent: Pid) -> bool {
        cx.model
            .process(parent)
            .is_some_and(|p| cx.model.tree().children(p.id).any(Process::is_zombie))
    }
}

impl Analysis for NeverReaped {
    fn after(&mut self, cx: &Context<'_>, ev: &Event, applied: &Applied, out: &mut Vec<Finding>) {
        if let EventKind::Wait { errno: Some(e), .. } = &ev.kind {
            let p = cx.process_pid(ev.pid);
            if e == "ECHILD" && Self::has_zombie_child(cx, p) {
                self.auto_reaping.insert(p);
            }
        }
        for n in &applied.notes {
            let Note::Orphaned { pid, parent } = *n else {
                continue;
            };
            if self.auto_reaping.contains(&parent) {
                continue;
            }
            let Some(c) = cx.model.process(pid).filter(|c| c.is_zombie()) else {
                continue;
            };
            // A parent killed by a signal just after its child exited had no
            // chance to wait (a tree killed at once, e.g. by
            // `--on-deadlock kill`): the kill is the story, not the wait.
            let killed = matches!(
                ev.kind,
                EventKind::Exit {
                    status: Status::Signaled { .. },
                    ..
                }
            );
            let zombie_ns = c
                .exit
                .map_or(u64::MAX, |e| cx.now.ts_ns.saturating_sub(e.at.ts_ns));
            if killed && zombie_ns < KILLED_TOGETHER_NS {
                continue;
            }
            out.extend(finding(cx, c, parent, Some(ev), cx.now));
        }
    }

    fn finish(&mut self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let tree = cx.model.tree();
        for c in tree
            .iter()
            .filter(|c| c.is_zombie() && c.orphaned.is_none())
        {
            let Some(parent) = tree.parent(c.id) else {
                continue; // the root: forkscope reaps it
            };
            if !parent.is_alive() || self.auto_reaping.contains(&parent.pid) {
                continue;
            }
            out.extend(finding(cx, c, parent.pid, None, cx.now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{English, Script};
    use super::super::{Code, Role};

    #[test]
    fn a_parent_that_exits_without_waiting_leaves_its_exited_child_never_reaped() {
        let mut s = Script::new(100, "never_reaped");
        s.fork(100, 101).exit(101, 0).at(50).exit(100, 0);
        let f = s.findings_of(Code::NeverReaped);
        assert_eq!(f.len(), 1, "{f:#?}");
        let c = f[0]
            .processes
            .iter()
            .find(|p| p.role == Role::Child)
            .unwrap();
        assert_eq!(c.pid, 101);
        assert!(
            s.findings_of(Code::Orphan).is_empty(),
            "a zombie is not an orphan"
        );
    }

    #[test]
    fn a_zombie_left_when_the_trace_ends_with_its_parent_alive_is_never_reaped() {
        let mut s = Script::new(100, "server");
        s.fork(100, 101).exit(101, 0).at(10);
        let f = s.findings_of(Code::NeverReaped);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(f[0]
            .summary()
            .contains("still running when the trace ended"));
    }

    #[test]
    fn a_parent_that_exec_d_since_it_forked_is_named_by_the_program_that_forked() {
        let mut s = Script::new(100, "bash");
        s.fork(100, 101).exec(100, "cat", &["cat"]);
        s.exit(101, 0).at(50).exit(100, 0);
        let f = s.findings_of(Code::NeverReaped);
        assert_eq!(f.len(), 1, "{f:#?}");
        match &f[0].fact {
            crate::analysis::FindingFact::NeverReaped { parent, .. } => {
                assert_eq!((parent.pid, parent.program.as_str()), (100, "cat"));
                assert_eq!(parent.forked_as.as_deref(), Some("bash"));
            }
            other => panic!("{other:?}"),
        }
        assert!(f[0].fix().starts_with("In bash, which forked it,"));
    }

    #[test]
    fn the_root_and_running_children_are_not_never_reaped() {
        let mut s = Script::new(100, "sh");
        s.fork(100, 101).exit(100, 0);
        assert!(s.findings_of(Code::NeverReaped).is_empty());
    }

    #[test]
    fn children_of_a_parent_that_ignores_sigchld_are_not_never_reaped() {
        let mut s = Script::new(100, "daemon");
        s.fork(100, 101)
            .exit(101, 0)
            .wait_failed(100, -1, "ECHILD")
            .exit(100, 0);
        assert!(s.findings_of(Code::NeverReaped).is_empty());
    }
}
