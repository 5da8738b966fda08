//! The one printer of hangs: `kind: summary`, one indented line per step,
//! and the fix, in the language asked. `record` prints it live (after a
//! stall, at Ctrl-C, at a detach), `snapshot` after its task listing, and
//! `doctor` words recorded hangs with the same words (`words::hang`).

use crate::trace::hang::Hang;
use crate::words::hang::{self as words, Trigger};
use crate::words::Lang;
use owo_colors::OwoColorize;
use serde::Serialize;

/// Colours on or off (red for the kind, green for the fix label, as the
/// rest of forkscope's terminal output).
#[derive(Clone, Copy, Debug, Default)]
pub struct Paint {
    /// Colour on.
    pub color: bool,
}

impl Paint {
    pub(crate) fn bad(self, s: &str) -> String {
        if self.color {
            s.red().to_string()
        } else {
            s.to_string()
        }
    }

    pub(crate) fn good(self, s: &str) -> String {
        if self.color {
            s.green().to_string()
        } else {
            s.to_string()
        }
    }

    pub(crate) fn pid(self, s: &str) -> String {
        if self.color {
            s.cyan().to_string()
        } else {
            s.to_string()
        }
    }

    pub(crate) fn prog(self, s: &str) -> String {
        if self.color {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }
}

/// One hang as text: `kind: summary`, the steps, the fix.
pub fn text(h: &Hang, lang: Lang, paint: Paint) -> String {
    let (kind, colon) = words::kind(lang, h.kind);
    let mut s = format!(
        "{}{colon}{}\n",
        paint.bad(kind),
        words::summary(lang, &h.facts.summary)
    );
    for st in words::steps(lang, &h.facts.steps) {
        s.push_str("  ");
        s.push_str(&st);
        s.push('\n');
    }
    let (label, sep) = words::fix_label(lang);
    s.push_str(&format!(
        "  {}{sep}{}\n",
        paint.good(label),
        words::fix(lang, &h.facts.fix)
    ));
    s
}

/// A live report: what led to the check, each new hang, and, when the tree
/// is killed for them, the exit status forkscope will end with.
pub(crate) fn live_report(
    trigger: Trigger,
    hangs: &[Hang],
    killing: Option<i32>,
    lang: Lang,
    paint: Paint,
) -> String {
    let mut s = words::trigger(lang, trigger);
    for h in hangs {
        s.push_str(&text(h, lang, paint));
    }
    if let Some(exit) = killing {
        s.push_str(&words::killing(lang, exit));
    }
    s
}

/// A hang as JSON (`snapshot --json`): its facts worded in English, as
/// machine readers have always had them, with its tasks, fds and pipes.
#[derive(Serialize)]
pub(crate) struct HangJson<'a> {
    /// `deadlock`, `stuck`, `eof-held-open`.
    pub kind: &'static str,
    /// One line.
    pub summary: String,
    /// One sentence per blocked task.
    pub steps: Vec<String>,
    /// What to change.
    pub fix: String,
    /// The cycle.
    pub cycle: &'a [i32],
    /// Every task involved.
    pub tasks: &'a [i32],
    /// The fds involved.
    pub fds: &'a [crate::trace::hang::HangFd],
    /// The pipes involved.
    pub pipes: &'a [String],
}

/// [`HangJson`] of `h`.
pub(crate) fn json(h: &Hang) -> HangJson<'_> {
    HangJson {
        kind: h.kind.as_str(),
        summary: words::summary(Lang::En, &h.facts.summary),
        steps: words::steps(Lang::En, &h.facts.steps),
        fix: words::fix(Lang::En, &h.facts.fix),
        cycle: &h.cycle,
        tasks: &h.tasks,
        fds: &h.fds,
        pipes: &h.pipes,
    }
}
