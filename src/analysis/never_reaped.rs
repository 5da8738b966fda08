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

use super::{duration_text, Analysis, Code, Context, EventRef, Finding, Role, Severity};
use crate::model::{Applied, Moment, Note, Process};
use crate::render::narrate;
use crate::trace::{Event, EventKind, Pid, Status};
use std::collections::HashSet;

/// A child that exited less than this before its parent was killed by a
/// signal is not reported: they were killed together.
const KILLED_TOGETHER_NS: u64 = 100_000_000;

/// Finds exited children nobody waited for.
#[derive(Default)]
pub struct NeverReaped {
    /// Parents whose children the kernel reaps by itself.
    auto_reaping: HashSet<Pid>,
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
    let status = exit
        .status
        .map(|s| format!(" ({})", narrate::status(&s)))
        .unwrap_or_default();
    let status_zh = exit
        .status
        .map(|s| super::status_zh(&s))
        .unwrap_or_default();
    let until = ended.map_or(now, Moment::of);
    let dur = duration_text(until.ts_ns.saturating_sub(exit.at.ts_ns));
    let c_pid = c.pid;
    let (summary_zh, what_zh) = match ended {
        Some(ev) => (
            format!(
                "{c_pid}（{cprog}）在 #{} 退出了，可它的父进程 {parent}（{pprog}）在 #{} 退出时都没有 wait 它",
                exit.at.seq, ev.seq
            ),
            format!(
                "它当了 {dur} 的僵尸进程，直到 {parent} 自己也退出；之后由 init 或跟踪范围之外的 subreaper 回收，{parent} 始终不知道它是怎么结束的。"
            ),
        ),
        None => (
            format!(
                "{c_pid}（{cprog}）在 #{} 退出后一直没有被回收：跟踪结束时它的父进程 {parent}（{pprog}）还在运行",
                exit.at.seq
            ),
            format!("过了 {dur}，到跟踪结束时它还是僵尸进程。"),
        ),
    };
    let (summary, what, end_ev) = match ended {
        Some(ev) => (
            format!(
                "{c_pid} ({cprog}) exited at #{} but its parent {parent} ({pprog}) exited at #{} without waiting for it",
                exit.at.seq, ev.seq
            ),
            format!(
                "It stayed a zombie for {dur}, until {parent} itself exited; then init or a subreaper outside the trace reaped it, and {parent} never learned how it ended."
            ),
            EventRef::of(ev, format!("{parent} exits without waiting for {c_pid}"))
                .zh(format!("{parent} 没有 wait {c_pid} 就退出了")),
        ),
        None => (
            format!(
                "{c_pid} ({cprog}) exited at #{} and was never reaped: its parent {parent} ({pprog}) was still running when the trace ended",
                exit.at.seq
            ),
            format!("It was still a zombie {dur} later, when the trace ended."),
            EventRef::new(now, parent, format!("the trace ends with {c_pid} still a zombie"))
                .zh(format!("跟踪结束时 {c_pid} 仍是僵尸进程")),
        ),
    };
    let explanation = format!(
        "A process that has exited stays a zombie until its parent collects its exit status with wait(). {c_pid} exited{status} at #{}. {what}",
        exit.at.seq
    );
    let fix = format!(
        "In {pprog}, wait for every child it starts: waitpid(child, &status, 0) before exiting, or a SIGCHLD handler that reaps; set SIGCHLD to SIG_IGN only if the exit status is never needed."
    );
    let explanation_zh = format!(
        "进程退出后会一直是僵尸进程，直到父进程用 wait() 取走它的退出状态。{c_pid} 在 #{} 退出{status_zh}。{what_zh}",
        exit.at.seq
    );
    let fix_zh = format!(
        "在 {pprog} 里，启动的每个子进程都要 wait：退出前调用 waitpid(child, &status, 0)，或者用 SIGCHLD 处理函数来回收；只有在根本不需要退出状态时，才把 SIGCHLD 设为 SIG_IGN。"
    );
    Some(
        Finding::new(Code::NeverReaped, Severity::Warning, exit.at.seq)
            .text(summary, explanation, fix)
            .zh(summary_zh, explanation_zh, fix_zh)
            .process(c_pid, &cprog, Role::Child)
            .process(parent, &pprog, Role::Parent)
            .event(
                EventRef::new(exit.at, c_pid, format!("{c_pid} exits{status}"))
                    .zh(format!("{c_pid} 退出{status_zh}")),
            )
            .event(end_ev)
            .duration(until.ts_ns.saturating_sub(exit.at.ts_ns)),
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
                    status: Status::Signaled { .. }
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
    use super::super::testkit::Script;
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
        assert!(f[0].summary.contains("still running when the trace ended"));
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
