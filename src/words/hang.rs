//! Words for hangs: the facts of [`crate::trace::hang`] (a hang's summary,
//! steps and fix), the task listing of `snapshot` (what each task of a
//! [`Snapshot`] is doing) and the lines around a live report. One table per
//! language (`en`, `zh`), each an exhaustive `match` over the facts.
//!
//! Program names and paths come from /proc or the trace: they are escaped
//! ([`visible`]) when worded.

mod en;
mod zh;

use super::text::visible;
use super::Lang;
use crate::model::snapshot::Snapshot;
use crate::model::wait::Wait;
use crate::trace::hang::{Fix, HangKind, Step, Summary};
use crate::trace::Sig;
use std::time::Duration;

/// Why a live tree was analysed (the line before a live report).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// No progress for this long.
    Stalled(Duration),
    /// This signal reached the tracees from outside (Ctrl-C, kill).
    Signal(Sig),
    /// forkscope is about to detach.
    Detach,
}

/// The kind of a hang as a label, with the colon that follows it:
/// (`deadlock`, `: `), (`死锁`, `：`).
pub fn kind(lang: Lang, k: HangKind) -> (&'static str, &'static str) {
    match lang {
        Lang::En => (k.as_str(), ": "),
        Lang::Zh => (zh::kind_label(k), "："),
    }
}

/// The kind of a hang from the trace's `hang` field, as a label with its
/// colon (a kind this forkscope does not know is shown as written).
pub(crate) fn kind_of_recorded(lang: Lang, hang: &str) -> String {
    match HangKind::parse(hang) {
        Some(k) => {
            let (label, colon) = kind(lang, k);
            format!("{label}{colon}")
        }
        None => format!("{}: ", visible(hang)),
    }
}

/// The hang in one line.
pub fn summary(lang: Lang, s: &Summary) -> String {
    match lang {
        Lang::En => en::summary(s),
        Lang::Zh => zh::tidy(zh::summary(s)),
    }
}

/// One step, with its ending punctuation.
pub fn step(lang: Lang, s: &Step) -> String {
    match lang {
        Lang::En => en::step(s),
        Lang::Zh => zh::tidy(zh::step(s)),
    }
}

/// The steps, one sentence each.
pub fn steps(lang: Lang, steps: &[Step]) -> Vec<String> {
    steps.iter().map(|s| step(lang, s)).collect()
}

/// What to change.
pub fn fix(lang: Lang, f: &Fix) -> String {
    match lang {
        Lang::En => en::fix(f),
        Lang::Zh => zh::tidy(zh::fix(f)),
    }
}

/// The label before the fix, with the space that follows it (none after a
/// full-width colon).
pub fn fix_label(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::En => ("Fix:", " "),
        Lang::Zh => ("怎么改：", ""),
    }
}

/// What a task is doing, in a few words (the task listing of `snapshot`);
/// `timeout`: how long its timed wait asked to wait, when known.
pub(crate) fn doing(
    lang: Lang,
    snap: &Snapshot,
    w: &Wait,
    timeout: Option<crate::model::snapshot::Timeout>,
) -> String {
    match lang {
        Lang::En => en::doing(snap, w, timeout),
        Lang::Zh => zh::doing(snap, w, timeout),
    }
}

/// The first line of `snapshot`: its root, how many processes and tasks
/// (`root` and `name` come styled).
pub(crate) fn snapshot_header(
    lang: Lang,
    root: &str,
    name: &str,
    procs: usize,
    tasks: usize,
) -> String {
    match lang {
        Lang::En => format!(
            "snapshot of {root} ({name}): {procs} process{}, {tasks} task{}\n",
            if procs == 1 { "" } else { "es" },
            if tasks == 1 { "" } else { "s" },
        ),
        Lang::Zh => format!("{root}（{name}）此刻的快照：{procs} 个进程，{tasks} 个任务\n"),
    }
}

/// The title of a snapshot drawn as a diagram.
pub(crate) fn snapshot_title(lang: Lang, root: i32, name: &str) -> String {
    let name = visible(name);
    match lang {
        Lang::En => format!("snapshot of {root} ({name})"),
        Lang::Zh => format!("{root}（{name}）此刻的快照"),
    }
}

/// The header above the processes outside the tree.
pub(crate) fn outside_header(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "outside the tree, holding an end of one of its pipes:\n",
        Lang::Zh => "不在这棵进程树里，却持有树里某个管道的一端：\n",
    }
}

/// A thread in the task listing (`pid` comes styled).
pub(crate) fn thread(lang: Lang, pid: &str, tid: i32) -> String {
    match lang {
        Lang::En => format!("{pid} thread {tid}"),
        Lang::Zh => format!("{pid} 的线程 {tid}"),
    }
}

/// The mark of a stuck task.
pub(crate) fn stuck_mark(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "STUCK",
        Lang::Zh => "卡住了",
    }
}

/// The line saying nothing is stuck.
pub(crate) fn no_hang(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "no hang: every blocked task can still be released by a task that is running, sleeping with a timeout, or outside the tree",
        Lang::Zh => "没有卡死：每个阻塞的任务都还有人能把它放出来——那个任务要么正在运行，要么只是带着超时在睡眠，要么在这棵进程树之外",
    }
}

/// An fd of a diagram that is an end of a pipe: `pipe:[5] read end`.
pub(crate) fn pipe_end(lang: Lang, target: &str, read: bool, write: bool) -> String {
    let target = visible(target);
    match (lang, read, write) {
        (Lang::En, true, false) => format!("{target} read end"),
        (Lang::En, false, true) => format!("{target} write end"),
        (Lang::En, _, _) => format!("{target} both end"),
        (Lang::Zh, true, false) => format!("{target} 的读端"),
        (Lang::Zh, false, true) => format!("{target} 的写端"),
        (Lang::Zh, _, _) => format!("{target} 的读写两端"),
    }
}

/// The line before a live report: what led to the check.
pub(crate) fn trigger(lang: Lang, t: Trigger) -> String {
    match (lang, t) {
        (Lang::En, Trigger::Stalled(d)) => format!(
            "forkscope: no traced process has made progress for {:.1} s:\n",
            d.as_secs_f64()
        ),
        (Lang::En, Trigger::Signal(sig)) => {
            format!("forkscope: {sig} arrived while the traced processes were stuck:\n")
        }
        (Lang::En, Trigger::Detach) => {
            "forkscope: detaching from processes that are stuck:\n".into()
        }
        (Lang::Zh, Trigger::Stalled(d)) => format!(
            "forkscope：被跟踪的进程已经 {:.1} 秒没有任何进展了：\n",
            d.as_secs_f64()
        ),
        (Lang::Zh, Trigger::Signal(sig)) => {
            format!("forkscope：被跟踪的进程卡住时收到了 {sig}：\n")
        }
        (Lang::Zh, Trigger::Detach) => "forkscope：正在从卡住的进程上脱离：\n".into(),
    }
}

/// The line after a live report when the tree is killed for it.
pub(crate) fn killing(lang: Lang, exit: i32) -> String {
    match lang {
        Lang::En => format!(
            "forkscope: killing the traced processes (--on-deadlock kill; exit status {exit}).\n"
        ),
        Lang::Zh => {
            format!("forkscope：正在杀死被跟踪的进程（--on-deadlock kill；退出状态 {exit}）。\n")
        }
    }
}

/// `snapshot PID` could not read the tree.
pub(crate) fn cannot_read_tree(lang: Lang, pid: i32) -> String {
    match lang {
        Lang::En => format!("cannot read the process tree of {pid}"),
        Lang::Zh => format!("读不到进程 {pid} 的进程树"),
    }
}

/// `snapshot --format html` is refused.
pub(crate) fn no_html_snapshot(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "--format html steps through a recorded trace; a snapshot is one moment: use ascii, svg, dot or mermaid",
        Lang::Zh => "--format html 是用来一步步翻看录下来的 trace 的；快照只有一个时刻：请用 ascii、svg、dot 或 mermaid",
    }
}

/// A hang recorded in a trace, as `doctor` tells it: (summary,
/// explanation, fix, the event's note). `when` is how long nothing had
/// progressed; `killed` whether forkscope killed the tree for it.
pub(crate) struct Recorded<'a> {
    /// The kind's label (`deadlock`).
    pub kind: &'a str,
    /// The summary, in the language asked.
    pub summary: String,
    /// The steps, in the language asked.
    pub steps: Vec<String>,
    /// The fix, in the language asked.
    pub fix: String,
    /// How long nothing had progressed.
    pub stalled_ns: Option<u64>,
    /// forkscope killed the tree.
    pub killed: bool,
}

/// `doctor`'s finding for a recorded hang: (summary, explanation, fix,
/// event note).
pub(crate) fn recorded(lang: Lang, r: &Recorded<'_>) -> (String, String, String, String) {
    match lang {
        Lang::En => en::recorded(r),
        Lang::Zh => zh::recorded(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::hang::{End, Holder, ProcName, Who};

    fn hostile() -> Who {
        Who {
            pid: 7,
            tid: 7,
            name: "evil\n\u{1b}[2J\u{202e}".into(),
            comm: None,
        }
    }

    #[test]
    fn program_names_from_proc_are_escaped_in_every_language() {
        let read = Step::ReadPipe {
            who: hostile(),
            fd: 3,
            pipe: "pipe:[1]".into(),
            writers: vec![Holder {
                proc: ProcName {
                    pid: 7,
                    name: Some(hostile().name),
                    comm: None,
                },
                fds: vec![4],
                itself: true,
            }],
            then: None,
            end: End::Cycle,
        };
        for lang in [Lang::En, Lang::Zh] {
            let s = step(lang, &read);
            assert!(!s.contains('\n') && !s.contains('\u{1b}') && !s.contains('\u{202e}'));
            assert!(s.contains("evil\\n\\x1b[2J\\u{202e}"), "{s}");
        }
        assert_eq!(
            step(Lang::En, &read),
            "7 (evil\\n\\x1b[2J\\u{202e}) is blocked reading pipe:[1] via fd 3; the pipe is empty and its write end is still open in 7 (evil\\n\\x1b[2J\\u{202e}) itself (fd 4): a cycle."
        );
    }

    #[test]
    fn every_fix_has_words_in_both_languages_and_chinese_keeps_no_stray_spaces() {
        let fixes = [
            Fix::SeeSteps,
            Fix::BreakCycle,
            Fix::FifoOrder,
            Fix::CloseWhenWritten {
                holder: 5,
                fds: vec![4, 6],
                reader: 6,
                pipe: "pipe:[2]".into(),
            },
            Fix::CloseWhenWrittenPolled {
                holder: 5,
                fds: vec![4],
                waiter: 6,
                call: "poll".into(),
                pipe: "pipe:[2]".into(),
            },
            Fix::DoNotInherit {
                holder: ProcName {
                    pid: 9,
                    name: None,
                    comm: None,
                },
                pipe: "pipe:[2]".into(),
                fd: 7,
            },
            Fix::CloseWatchedWriteEnd {
                holder: 5,
                fds: vec![4],
                reader: 6,
                call: "poll".into(),
                pipe: "pipe:[2]".into(),
            },
            Fix::CloseForHangup {
                holder: 6,
                fds: vec![3],
                waiter: 5,
                call: "poll".into(),
                pipe: "pipe:[2]".into(),
                write: true,
            },
            Fix::CloseForHangup {
                holder: 5,
                fds: vec![3],
                waiter: 5,
                call: "epoll_wait".into(),
                pipe: "pipe:[2]".into(),
                write: false,
            },
        ];
        for f in &fixes {
            let (en, zh) = (fix(Lang::En, f), fix(Lang::Zh, f));
            assert!(!en.is_empty() && !zh.is_empty() && en != zh, "{f:?}");
            assert!(!zh.contains("， ") && !zh.contains("： "), "{zh}");
        }
        assert_eq!(
            fix(Lang::En, &fixes[3]),
            "close fd 4 and 6 in 5 as soon as it has written all it will (close it after fork where it is not needed, or make it close-on-exec): 6 sees EOF only once every write end of pipe:[2] is closed"
        );
        assert_eq!(
            fix(Lang::En, &fixes[8]),
            "close fd 3 (its own copy of the write end of pipe:[2]) in 5 before waiting in epoll_wait: pipe:[2] loses its last writer only once every write end is closed, its own included"
        );
        assert_eq!(
            fix(Lang::Zh, &fixes[5]),
            "别让 9 继承 pipe:[2] 的写端：启动它的时候把 fd 7 重定向或关掉"
        );
    }
}
