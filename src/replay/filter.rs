//! Which steps of a replay to show: a process and its descendants
//! (following forks), a range of seqs, event kinds and call names, failed
//! or successful calls, and whether opens and closes of regular files are
//! left out. Shared by the timeline, the HTML page and the terminal view.

use crate::render::narrate;
use crate::replay::Step;
use crate::trace::{EventKind, Pid};
use std::collections::HashSet;

/// A range of event seqs, `A..B` (both included); either end may be left
/// out: `100..`, `..500`, `..`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeqRange {
    /// The first seq shown.
    pub from: Option<u64>,
    /// The last seq shown.
    pub to: Option<u64>,
}

impl SeqRange {
    /// Is `seq` in the range?
    pub fn contains(&self, seq: u64) -> bool {
        self.from.is_none_or(|f| seq >= f) && self.to.is_none_or(|t| seq <= t)
    }

    /// Is every seq after `seq` past the end of the range?
    pub fn ended_by(&self, seq: u64) -> bool {
        self.to.is_some_and(|t| seq >= t)
    }
}

impl std::str::FromStr for SeqRange {
    type Err = String;

    fn from_str(s: &str) -> Result<SeqRange, String> {
        let Some((a, b)) = s.split_once("..") else {
            return Err(format!(
                "{s:?} is not a range of event numbers: write A..B, A.. or ..B (e.g. 120..480)"
            ));
        };
        let end = |x: &str| -> Result<Option<u64>, String> {
            let x = x.trim().trim_start_matches('#');
            if x.is_empty() {
                return Ok(None);
            }
            x.parse()
                .map(Some)
                .map_err(|_| format!("{x:?} in {s:?} is not an event number (a seq like 120)"))
        };
        let r = SeqRange {
            from: end(a)?,
            to: end(b)?,
        };
        if let (Some(f), Some(t)) = (r.from, r.to) {
            if f > t {
                return Err(format!("{s:?} is empty: it starts after it ends"));
            }
        }
        Ok(r)
    }
}

/// Which events to show.
pub struct Filter {
    /// Syscall names asked for whose call name must match (dup2, wait4).
    pub(crate) calls: HashSet<String>,
    /// Failed calls only (Some(true)) or successful ones only (Some(false)).
    pub(crate) failed: Option<bool>,
    pub(crate) kinds: Option<HashSet<String>>,
    pub(crate) pids: Option<HashSet<Pid>>,
    pub(crate) descendants: bool,
    pub(crate) collapse_files: bool,
    pub(crate) range: SeqRange,
}

impl Filter {
    /// The steps of a diagram's HTML page: events of `pid` and its
    /// descendants (all with `None`), without regular-file opens and closes
    /// when `collapse_files`, within `range`.
    pub fn steps(pid: Option<Pid>, collapse_files: bool, range: SeqRange) -> Filter {
        Filter {
            calls: HashSet::new(),
            failed: None,
            kinds: None,
            pids: pid.map(|p| HashSet::from([p])),
            descendants: true,
            collapse_files,
            range,
        }
    }

    /// No event after `seq` can be kept.
    pub fn done_after(&self, seq: u64) -> bool {
        self.range.ended_by(seq)
    }

    /// Decides for one step (and follows forks into the pid set).
    pub fn keep(&mut self, step: &Step) -> bool {
        let ev = &step.event;
        let pid_ok = match &mut self.pids {
            None => true,
            Some(set) => {
                let inside = set.contains(&ev.pid);
                if inside {
                    if let EventKind::Fork { child, flavor, .. } = ev.kind {
                        if self.descendants || flavor == crate::trace::ForkFlavor::Thread {
                            set.insert(child);
                        }
                    }
                }
                inside
            }
        };
        let kind_ok = match &self.kinds {
            None => true,
            Some(k) => {
                k.contains(ev.kind.name())
                    || (!self.calls.is_empty()
                        && call_names(step).iter().any(|n| self.calls.contains(n)))
            }
        };
        pid_ok
            && self.range.contains(ev.seq)
            && kind_ok
            && self.failed.is_none_or(|f| f == failed(ev))
            && !(self.collapse_files && only_about_a_file(step))
    }
}

impl Filter {
    /// Can [`Filter::keep_event`] decide from an event alone: no opens and
    /// closes of files left out (a close's file is what the step replaced)
    /// and no kinds or call names asked for?
    pub fn event_only(&self) -> bool {
        !self.collapse_files && self.kinds.is_none()
    }

    /// [`Filter::keep`] for a filter that can decide from the event alone
    /// ([`Filter::event_only`]), without a [`Step`]: the same answer, and
    /// it follows forks into the pid set the same way.
    pub fn keep_event(&mut self, ev: &crate::trace::Event) -> bool {
        debug_assert!(self.event_only());
        let pid_ok = match &mut self.pids {
            None => true,
            Some(set) => {
                let inside = set.contains(&ev.pid);
                if inside {
                    if let EventKind::Fork { child, flavor, .. } = ev.kind {
                        if self.descendants || flavor == crate::trace::ForkFlavor::Thread {
                            set.insert(child);
                        }
                    }
                }
                inside
            }
        };
        pid_ok && self.range.contains(ev.seq) && self.failed.is_none_or(|f| f == failed(ev))
    }
}

/// The syscall a step's call names (`dup2` in `dup2(4, 1)`), and for a
/// fork the syscall under it (`clone` under glibc's `fork()`).
pub(crate) fn call_names(step: &Step) -> [String; 2] {
    let call = narrate::call(&step.event, &crate::model::labels::Labels::default());
    let name = call.split('(').next().unwrap_or_default().to_string();
    let under = match &step.event.kind {
        EventKind::Fork { syscall, .. } => syscall.clone(),
        _ => String::new(),
    };
    [name, under]
}

/// Did the call fail (an errno, or an exec that did not happen)?
fn failed(ev: &crate::trace::Event) -> bool {
    match serde_json::to_value(&ev.kind) {
        Ok(v) => {
            v.get("errno").is_some_and(|e| !e.is_null())
                || v.get("ok").is_some_and(|ok| ok == false)
        }
        Err(_) => false,
    }
}

/// Does the event only open or close a file (a regular file, /proc, a
/// directory: nothing about processes, pipes, FIFOs, sockets or devices)?
/// Failed opens count too: they change nothing.
pub fn only_about_a_file(step: &Step) -> bool {
    let file = |what: &str| what.starts_with('/') && !what.starts_with("/dev/");
    match &step.event.kind {
        EventKind::Open { errno: Some(_), .. } => true,
        EventKind::Open {
            target: None, path, ..
        } => file(&path.lossy()) || !path.as_bytes().starts_with(b"/dev/"),
        EventKind::Close { .. } => step.before.replaced.as_ref().is_some_and(|f| f.is_path()),
        _ => false,
    }
}
