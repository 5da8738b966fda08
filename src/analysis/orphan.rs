//! `orphan`: a process whose parent exited while it still ran.
//!
//! The kernel re-parents an orphan to init (pid 1) or to the nearest
//! ancestor that made itself a subreaper (PR_SET_CHILD_SUBREAPER), which
//! then waits for it. The model says who reaped it when that was a traced
//! process; otherwise it was adopted outside the trace. Often intended
//! (daemons orphan themselves on purpose), hence severity info. A child
//! that had already exited when its parent did is a zombie nobody waited
//! for: [`never_reaped`](super::never_reaped) reports those.

use super::{
    Analysis, Code, Context, EventFact, EventRef, Finding, FindingFact, Proc, Role, Severity,
};
use crate::model::hash::IdMap;
use crate::model::{Applied, Note};
use crate::trace::{Event, Pid};

/// Finds processes that outlived their parent.
#[derive(Default)]
pub struct Orphans {
    found: Vec<Orphan>,
    /// Latest orphan per pid, as an index into `found`.
    by_pid: IdMap<Pid, usize>,
}

struct Orphan {
    pid: Pid,
    program: String,
    parent: Pid,
    parent_program: String,
    at: EventRef,
    adopter: Option<(Pid, String, EventRef)>,
    exit: Option<EventRef>,
}

impl Orphan {
    fn finding(&self) -> Finding {
        let (c, cprog, p, pprog) = (self.pid, &self.program, self.parent, &self.parent_program);
        let fact = FindingFact::Orphan {
            child: Proc::new(c, cprog.clone()),
            parent: Proc::new(p, pprog.clone()),
            at_seq: self.at.seq,
            exit_seq: self.exit.as_ref().map(|e| e.seq),
            adopter: self
                .adopter
                .as_ref()
                .map(|(a, aprog, e)| (Proc::new(*a, aprog.clone()), e.seq)),
        };
        let mut f = Finding::new(Code::Orphan, Severity::Info, self.at.seq, fact)
            .process(c, cprog, Role::Child)
            .process(p, pprog, Role::Parent)
            .event(self.at.clone())
            .maybe_event(self.exit.clone());
        if let Some((a, aprog, e)) = &self.adopter {
            f = f.process(*a, aprog, Role::Adopter).event(e.clone());
        }
        f
    }
}

impl Analysis for Orphans {
    fn after(&mut self, cx: &Context<'_>, ev: &Event, applied: &Applied, _out: &mut Vec<Finding>) {
        for n in &applied.notes {
            match *n {
                Note::Orphaned { pid, parent } => {
                    if cx.live(pid).is_none() {
                        continue; // a zombie: never_reaped's
                    }
                    self.by_pid.insert(pid, self.found.len());
                    self.found.push(Orphan {
                        pid,
                        program: cx.name(pid),
                        parent,
                        parent_program: cx.name(parent),
                        at: EventRef::of(ev, EventFact::ExitsWhileChildRuns { parent, child: pid }),
                        adopter: None,
                        exit: None,
                    });
                }
                Note::Zombie { pid, .. } if !self.by_pid.is_empty() => {
                    if let Some(&i) = self.by_pid.get(&pid) {
                        let o = &mut self.found[i];
                        if o.exit.is_none() {
                            o.program = cx.name(pid);
                            o.exit = Some(EventRef::of(ev, EventFact::OrphanExits { pid }));
                        }
                    }
                }
                Note::Adopted { pid, by } if !self.by_pid.is_empty() => {
                    if let Some(&i) = self.by_pid.get(&pid) {
                        let e = EventRef::of(ev, EventFact::ReapsOrphan { by, pid });
                        self.found[i].adopter = Some((by, cx.name(by), e));
                    }
                }
                _ => {}
            }
        }
    }

    fn finish(&mut self, _cx: &Context<'_>, out: &mut Vec<Finding>) {
        out.extend(self.found.iter().map(Orphan::finding));
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{English, Script};
    use super::super::{Code, Role};

    #[test]
    fn a_child_that_outlives_its_parent_is_an_orphan_adopted_outside_the_trace() {
        let mut s = Script::new(100, "orphan");
        s.fork(100, 101).exit(100, 0).at(50).exit(101, 0);
        let f = s.findings_of(Code::Orphan);
        assert_eq!(f.len(), 1, "{f:#?}");
        let child = f[0]
            .processes
            .iter()
            .find(|p| p.role == Role::Child)
            .unwrap();
        assert_eq!(child.pid, 101);
        assert!(f[0]
            .explanation()
            .contains("init or a subreaper outside the trace"));
    }

    #[test]
    fn a_traced_grandparent_that_reaps_the_orphan_is_named_as_adopter() {
        let mut s = Script::new(100, "sh");
        s.fork(100, 101)
            .fork(101, 102)
            .exit(101, 0)
            .reap(100, -1, 101);
        s.exit(102, 0).reap(100, -1, 102).exit(100, 0);
        let f = s.findings_of(Code::Orphan);
        assert_eq!(f.len(), 1, "{f:#?}");
        let a = f[0]
            .processes
            .iter()
            .find(|p| p.role == Role::Adopter)
            .unwrap();
        assert_eq!(a.pid, 100);
    }

    #[test]
    fn a_child_that_exited_before_its_parent_is_not_an_orphan() {
        let mut s = Script::new(100, "sh");
        s.fork(100, 101)
            .exit(101, 0)
            .reap(100, 101, 101)
            .exit(100, 0);
        assert!(s.findings_of(Code::Orphan).is_empty());
    }
}
