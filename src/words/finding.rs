//! Words for findings ([`crate::analysis::FindingFact`] and its
//! [`crate::analysis::EventFact`]s): a finding's summary, explanation and
//! fix, each event line, what an fd refers to, a role, and the words of
//! the doctor's report around them. One table per language (`en`,
//! `zh`), each an exhaustive `match` over the facts.
//!
//! To word a new fact: add its variant in analysis/fact.rs, then an arm in
//! every function of en.rs and zh.rs (the compiler lists the ones missing).

mod en;
mod zh;

use super::text::visible;
use super::Lang;
use crate::analysis::{EventFact, FdObject, Finding, FindingFact, Proc, Role, Severity};
use std::borrow::Cow;

/// One line: what happened.
pub fn summary(lang: Lang, f: &FindingFact) -> String {
    match lang {
        Lang::En => en::summary(f),
        Lang::Zh => zh::summary(f),
    }
}

/// Why it matters, with the evidence.
pub fn explanation(lang: Lang, f: &FindingFact) -> String {
    match lang {
        Lang::En => en::explanation(f),
        Lang::Zh => zh::explanation(f),
    }
}

/// What to change.
pub fn fix(lang: Lang, f: &FindingFact) -> String {
    match lang {
        Lang::En => en::fix(f),
        Lang::Zh => zh::fix(f),
    }
}

/// Summary, explanation and fix of a finding.
pub fn texts(lang: Lang, f: &Finding) -> (String, String, String) {
    (
        summary(lang, &f.fact),
        explanation(lang, &f.fact),
        fix(lang, &f.fact),
    )
}

/// What an event did, in a few words.
pub fn event(lang: Lang, e: &EventFact) -> String {
    match lang {
        Lang::En => en::event(e),
        Lang::Zh => zh::event(e),
    }
}

/// What an fd refers to: `pipe#1 write end` / `pipe#1 的写端`.
pub fn object(lang: Lang, o: &FdObject) -> String {
    match lang {
        Lang::En => en::object(o),
        Lang::Zh => zh::object(o),
    }
}

/// A role: `reader` / `读者`.
pub fn role(lang: Lang, r: Role) -> &'static str {
    match lang {
        Lang::En => en::role(r),
        Lang::Zh => zh::role(r),
    }
}

/// The words around the findings in the doctor's report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    /// The label of the processes line.
    Processes,
    /// The label of the fds line.
    Fds,
    /// The label of the first event line.
    Events,
    /// The label of the fix line.
    Fix,
}

/// A label of the doctor's report.
pub fn frame(lang: Lang, f: Frame) -> &'static str {
    match lang {
        Lang::En => en::frame(f),
        Lang::Zh => zh::frame(f),
    }
}

/// A role in parentheses after a name: ` (reader)` / `（读者）`.
pub fn paren(lang: Lang, r: Role) -> String {
    match lang {
        Lang::En => format!(" ({})", en::role(r)),
        Lang::Zh => format!("（{}）", zh::role(r)),
    }
}

/// The separator of the processes and fds lists.
pub fn separator(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ", ",
        Lang::Zh => "，",
    }
}

/// `no findings in 12 events`, with `good` painting the key words.
pub fn none_found(lang: Lang, events: u64, good: &dyn Fn(&str) -> String) -> String {
    match lang {
        Lang::En => format!("{} in {events} events", good("no findings")),
        Lang::Zh => format!("{events} 个事件里{}", good("没有发现问题")),
    }
}

/// `3 findings in 120 events: 2 errors, 1 info`.
pub fn totals(lang: Lang, events: u64, counts: &[(Severity, usize)]) -> String {
    match lang {
        Lang::En => en::totals(events, counts),
        Lang::Zh => zh::totals(events, counts),
    }
}

/// The note printed when the model met contradictions.
pub fn anomalies_note(lang: Lang, n: u64) -> String {
    match lang {
        Lang::En => format!(
            "forkscope: note: the model met {n} contradiction(s) replaying this trace (see `forkscope replay --verify`); findings near them may be off"
        ),
        Lang::Zh => format!(
            "forkscope：注意：重放这份跟踪时，模型遇到了 {n} 处矛盾（见 `forkscope replay --verify`）；它们附近的发现可能不准"
        ),
    }
}

/// The context of an error reading the trace.
pub fn reading_trace(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "reading the trace",
        Lang::Zh => "读 trace 文件时出错",
    }
}

/// A name from the trace, escaped for a terminal.
fn v(s: &str) -> Cow<'_, str> {
    visible(s)
}

/// A process's program, escaped; with the program it ran when it forked
/// when that differs: `bash, now cat` / `bash，现在是 cat`.
fn prog(lang: Lang, p: &Proc) -> String {
    let ps = p
        .comm
        .as_deref()
        .map_or(String::new(), |c| super::text::ps_name(lang, c));
    match (&p.forked_as, lang) {
        (Some(was), Lang::En) => format!("{}, now {}{ps}", v(was), v(&p.program)),
        (Some(was), Lang::Zh) => format!("{}，现在是 {}{ps}", v(was), v(&p.program)),
        (None, _) => format!("{}{ps}", v(&p.program)),
    }
}
