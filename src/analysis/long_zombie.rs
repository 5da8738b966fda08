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

use super::{duration_text, Analysis, Code, Context, EventRef, Finding, Role, Severity};
use crate::model::{Applied, Note};
use crate::render::narrate;
use crate::trace::{Event, EventKind, Pid};
use std::collections::HashMap;

/// A zombie this long (in trace time) is reported: 1 s.
pub const ZOMBIE_THRESHOLD_NS: u64 = 1_000_000_000;

/// Finds children reaped long after they exited.
#[derive(Default)]
pub struct LongZombie {
    /// Per zombie: when SIGCHLD for it reached the parent.
    sigchld: HashMap<Pid, EventRef>,
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
                let what = format!("SIGCHLD for {child} reaches {}", ev.pid);
                let zh = format!("{child} 的 SIGCHLD 送达 {}", ev.pid);
                self.sigchld.insert(child, EventRef::of(ev, what).zh(zh));
            }
        }
        for n in &applied.notes {
            let Note::Reaped { pid: c, by } = *n else {
                continue;
            };
            let sigchld = self.sigchld.remove(&c);
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
            let dur = duration_text(ns);
            let status = exit
                .status
                .map(|s| format!(" ({})", narrate::status(&s)))
                .unwrap_or_default();
            let status_zh = exit
                .status
                .map(|s| super::status_zh(&s))
                .unwrap_or_default();
            let (told, told_zh) = match &sigchld {
                Some(s) => {
                    let d = duration_text(s.ts_ns.saturating_sub(exit.at.ts_ns));
                    (
                        format!(
                            " SIGCHLD told {by} at #{}, {d} after the exit, but it did not wait then.",
                            s.seq
                        ),
                        format!(
                            "退出 {d} 之后，SIGCHLD 在 #{} 就通知了 {by}，可它当时并没有 wait。",
                            s.seq
                        ),
                    )
                }
                None => (String::new(), String::new()),
            };
            let summary = format!(
                "{c} ({cprog}) was a zombie for {dur}: it exited at #{} but {by} ({byprog}) waited for it only at #{}",
                exit.at.seq, ev.seq
            );
            let explanation = format!(
                "A process that has exited stays a zombie, its pid and exit status kept by the kernel, until its parent collects it with wait(). {c} exited{status} at #{} and {by} reaped it at #{}, {dur} later.{told} One zombie is harmless; a long-running parent that waits late piles them up until fork() fails with EAGAIN.",
                exit.at.seq, ev.seq
            );
            let fix = format!(
                "Reap children as soon as they end: in {byprog}, call waitpid() when the child is expected to be done, or handle SIGCHLD with a loop of waitpid(-1, &status, WNOHANG)."
            );
            let summary_zh = format!(
                "{c}（{cprog}）当了 {dur} 的僵尸进程：它在 #{} 就退出了，{by}（{byprog}）却到 #{} 才 wait 它",
                exit.at.seq, ev.seq
            );
            let explanation_zh = format!(
                "进程退出后会变成僵尸进程：内核替它保留着 pid 和退出状态，直到父进程用 wait() 把它回收。{c} 在 #{} 退出{status_zh}，{by} 到 #{} 才回收它，晚了 {dur}。{told_zh}一个僵尸进程无伤大雅；但长期运行的父进程总是迟迟不 wait，僵尸就会越积越多，直到 fork() 因 EAGAIN 失败。",
                exit.at.seq, ev.seq
            );
            let fix_zh = format!(
                "子进程一结束就回收：在 {byprog} 里，估计子进程该结束时就调用 waitpid()，或者处理 SIGCHLD，在处理函数里循环调用 waitpid(-1, &status, WNOHANG)。"
            );
            let f = Finding::new(Code::LongZombie, Severity::Warning, exit.at.seq)
                .text(summary, explanation, fix)
                .zh(summary_zh, explanation_zh, fix_zh)
                .process(c, &cprog, Role::Child)
                .process(by, &byprog, Role::Parent)
                .event(
                    EventRef::new(exit.at, c, format!("{c} exits{status}"))
                        .zh(format!("{c} 退出{status_zh}")),
                )
                .maybe_event(sigchld)
                .event(EventRef::of(ev, format!("{by} reaps {c}")).zh(format!("{by} 回收 {c}")))
                .duration(ns);
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::Script;
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
        assert!(f[0].summary.contains("1.50 s"), "{}", f[0].summary);
        assert!(f[0].explanation.contains("SIGCHLD told 100"));
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
