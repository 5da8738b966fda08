//! `orphan`: a process whose parent exited while it still ran.
//!
//! The kernel re-parents an orphan to init (pid 1) or to the nearest
//! ancestor that made itself a subreaper (PR_SET_CHILD_SUBREAPER), which
//! then waits for it. The model says who reaped it when that was a traced
//! process; otherwise it was adopted outside the trace. Often intended
//! (daemons orphan themselves on purpose), hence severity info. A child
//! that had already exited when its parent did is a zombie nobody waited
//! for: [`never_reaped`](super::never_reaped) reports those.

use super::{Analysis, Code, Context, EventRef, Finding, Role, Severity};
use crate::model::{Applied, Note};
use crate::trace::{Event, Pid};
use std::collections::HashMap;

/// Finds processes that outlived their parent.
#[derive(Default)]
pub struct Orphans {
    found: Vec<Orphan>,
    /// Latest orphan per pid, as an index into `found`.
    by_pid: HashMap<Pid, usize>,
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
        let summary = format!(
            "{c} ({cprog}) was orphaned: its parent {p} ({pprog}) exited at #{} while it still ran",
            self.at.seq
        );
        let ran_on = match &self.exit {
            Some(e) => format!(" {c} ran on and exited at #{}.", e.seq),
            None => format!(" {c} was still running when the trace ended."),
        };
        let adopted = match &self.adopter {
            Some((a, aprog, e)) => format!(
                " {a} ({aprog}) adopted it: it reaped it at #{}.",
                e.seq
            ),
            None => " No traced process waited for it: it was adopted by init or a subreaper outside the trace, which reaps it.".into(),
        };
        let explanation = format!(
            "When a parent exits before its child, the kernel hands the child to init (pid 1) or to the nearest subreaper, which will wait() for it; nothing in the program itself learns how it ended.{ran_on}{adopted}"
        );
        let fix = format!(
            "If {pprog} should outlive its children, make it wait for them (waitpid) before exiting. If {cprog} is meant to run on alone (a daemon), this is expected."
        );
        let summary_zh = format!(
            "{c}（{cprog}）成了孤儿进程：它还在运行，父进程 {p}（{pprog}）就在 #{} 退出了",
            self.at.seq
        );
        let ran_on_zh = match &self.exit {
            Some(e) => format!("{c} 继续运行，在 #{} 退出。", e.seq),
            None => format!("跟踪结束时 {c} 还在运行。"),
        };
        let adopted_zh = match &self.adopter {
            Some((a, aprog, e)) => format!("{a}（{aprog}）收养了它：在 #{} 回收了它。", e.seq),
            None => "被跟踪的进程里没有谁 wait 它：它被 init 或跟踪范围之外的 subreaper 收养，由它们来回收。".into(),
        };
        let explanation_zh = format!(
            "父进程先于子进程退出时，内核会把子进程交给 init（pid 1）或最近的 subreaper，由它来 wait()；程序本身则无从得知这个子进程是怎么结束的。{ran_on_zh}{adopted_zh}"
        );
        let fix_zh = format!(
            "如果 {pprog} 应该比子进程活得久，就让它在退出前 wait 它们（waitpid）。如果 {cprog} 本来就要独自运行（守护进程），那这是预期之中的。"
        );
        let mut f = Finding::new(Code::Orphan, Severity::Info, self.at.seq)
            .text(summary, explanation, fix)
            .zh(summary_zh, explanation_zh, fix_zh)
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
                        at: EventRef::of(ev, format!("{parent} exits while {pid} runs on"))
                            .zh(format!("{parent} 退出，{pid} 还在运行")),
                        adopter: None,
                        exit: None,
                    });
                }
                Note::Zombie { pid, .. } => {
                    if let Some(&i) = self.by_pid.get(&pid) {
                        let o = &mut self.found[i];
                        if o.exit.is_none() {
                            o.program = cx.name(pid);
                            o.exit = Some(
                                EventRef::of(ev, format!("orphan {pid} exits"))
                                    .zh(format!("孤儿进程 {pid} 退出")),
                            );
                        }
                    }
                }
                Note::Adopted { pid, by } => {
                    if let Some(&i) = self.by_pid.get(&pid) {
                        let e = EventRef::of(ev, format!("{by} reaps orphan {pid}"))
                            .zh(format!("{by} 回收孤儿进程 {pid}"));
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
    use super::super::testkit::Script;
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
            .explanation
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
