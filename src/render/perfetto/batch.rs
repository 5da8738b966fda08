//! The events of the Perfetto export as its model thread takes them
//! ([`Batch`]): their own elements (an instant, a fork's arrow start),
//! worded and escaped where they are written ([`super::PerfettoExport`]),
//! and the elements each event ended ([`super::Ended`]: slices, arrow
//! ends, made by the [`super::Slicer`] beside the model).

use super::{instant_name, micros, out, Ended, EndedList};
use crate::model::labels::Labels;
use crate::model::{Applied, Model};
use crate::render::json::Seen;
use crate::render::json_stream::{string, Before, Looks, Span, Take};
use crate::trace::{Event, EventKind, Pid};
use crate::words::Lang;

/// Events with what the model said about them that their elements need
/// (`json_stream::Looks`: the process, and for an instant the call, the sentence's
/// facts, the pipe, the fd replaced and the fields), filled where the
/// model is and written elsewhere (possibly on another thread).
#[derive(Debug, Default)]
pub struct Batch {
    looks: Looks,
    what: Vec<What>,
    /// The elements the events ended, and where each event's first is.
    ended: EndedList,
    ended_from: Vec<u32>,
}

/// What an event adds besides the slices it starts.
#[derive(Clone, Copy, Debug)]
enum What {
    /// Nothing (a spawn, a successful exec, an exit: their slices say it).
    Nothing,
    /// A fork: the start of its arrow (the end lands with the child's
    /// first slice).
    Fork,
    /// An instant: its name (this span of the looks' text) and category.
    Instant { name: Span, cat: &'static str },
}

impl Batch {
    /// An empty batch with room for `n` events.
    pub fn with_capacity(n: usize) -> Batch {
        Batch {
            looks: Looks::default(),
            what: Vec::with_capacity(n),
            ended: EndedList::default(),
            ended_from: Vec::with_capacity(n),
        }
    }

    /// How many events it holds.
    pub fn len(&self) -> usize {
        self.what.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.what.is_empty()
    }

    /// Forgets every event (keeping the memory).
    pub fn clear(&mut self) {
        self.looks.clear();
        self.what.clear();
        self.ended.clear();
        self.ended_from.clear();
    }

    /// What the model said about its events.
    pub(crate) fn looks(&mut self) -> &mut Looks {
        &mut self.looks
    }

    /// Adds one event: takes what its elements need from `seen`. Returns
    /// the process of its task (its pid), as [`Seen::tgid`] says.
    pub fn push(&mut self, seen: &Seen) -> Pid {
        let before = self.looks.before_of(seen.prior);
        self.push_applied(seen.event, seen.model, seen.labels, seen.applied, before)
    }

    /// Where the elements the last event pushed ended go
    /// ([`super::Slicer::after`]).
    pub fn ended_mut(&mut self) -> &mut EndedList {
        &mut self.ended
    }

    /// The elements the `i`th event ended.
    pub(crate) fn ended(&self, i: usize) -> (&[Ended], &EndedList) {
        let from = self.ended_from[i] as usize;
        let to = self
            .ended_from
            .get(i + 1)
            .map_or(self.ended.len(), |&t| t as usize);
        (&self.ended.items[from..to], &self.ended)
    }

    /// Adds `ev`, now applied to `model` (which said `applied`), from what
    /// [`Looks::before`] read before; `labels` have seen `ev`. Returns the
    /// process of `ev`'s task (its pid).
    pub(crate) fn push_applied(
        &mut self,
        ev: &Event,
        model: &Model,
        labels: &Labels,
        applied: &Applied,
        before: Before,
    ) -> Pid {
        let words = instant(&ev.kind);
        let take = Take {
            program: false,
            words,
        };
        let tgid = self.looks.push(ev, model, labels, applied, before, take);
        let what = match &ev.kind {
            EventKind::Fork { .. } => What::Fork,
            _ if !words => What::Nothing,
            kind => {
                let (name, cat) = instant_name(kind);
                What::Instant {
                    name: self.looks.keep(|o| o.push_str(&name)),
                    cat,
                }
            }
        };
        self.what.push(what);
        self.ended_from.push(self.ended.len() as u32);
        tgid
    }

    /// Whether the `i`th event has an element of its own (an instant, a
    /// fork's arrow start), besides what it ended.
    pub(crate) fn has_element(&self, i: usize) -> bool {
        !matches!(self.what[i], What::Nothing)
    }

    /// Appends the `i`th event's own element to `b` (nothing when it has
    /// none); `words` is a scratch string, `lang` the language of the
    /// instants' words.
    pub(crate) fn element(&self, i: usize, b: &mut Vec<u8>, words: &mut String, lang: Lang) {
        let looks = &self.looks;
        let (tid, tgid) = (looks.pid(i), looks.tgid(i));
        let ts = micros(looks.ts_ns(i));
        match self.what[i] {
            What::Nothing => {}
            What::Fork => {
                head(b, "s", "fork", "fork", tgid, tid);
                b.extend_from_slice(b",\"ts\":");
                out::f64(b, ts);
                b.extend_from_slice(b",\"id\":");
                out::u64(b, looks.seq(i));
                b.push(b'}');
            }
            What::Instant { name, cat } => {
                head(b, "i", looks.text(name), cat, tgid, tid);
                b.extend_from_slice(b",\"ts\":");
                out::f64(b, ts);
                b.extend_from_slice(b",\"s\":\"t\",\"args\":");
                looks.write_args(i, b, words, lang);
                b.push(b'}');
            }
        }
    }
}

/// Whether an event is drawn as an instant, with its call and sentence as
/// args (a spawn, a successful exec and an exit are said by their slices,
/// a fork by its arrow).
pub fn instant(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::Fork { .. }
            | EventKind::Spawn { .. }
            | EventKind::Exec { ok: true, .. }
            | EventKind::Exit { .. }
    )
}

/// `{"ph":PH,"name":NAME,"cat":CAT,"pid":PID,"tid":TID`, the start of
/// every element but the metadata.
pub(super) fn head(b: &mut Vec<u8>, ph: &str, name: &str, cat: &str, pid: Pid, tid: Pid) {
    b.extend_from_slice(b"{\"ph\":\"");
    b.extend_from_slice(ph.as_bytes());
    b.extend_from_slice(b"\",\"name\":");
    string(b, name);
    b.extend_from_slice(b",\"cat\":");
    string(b, cat);
    b.extend_from_slice(b",\"pid\":");
    out::i64(b, pid.into());
    b.extend_from_slice(b",\"tid\":");
    out::i64(b, tid.into());
}
