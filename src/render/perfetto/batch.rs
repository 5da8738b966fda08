//! The events of the Perfetto export as its model thread takes them
//! ([`Batch`]) and their elements (an instant, a fork's two arrow ends),
//! written by [`super::PerfettoExport`] or kept in a [`Spool`] until the
//! plan is known.

use super::{instant_name, micros, out};
use crate::model::labels::Labels;
use crate::model::{Applied, Model};
use crate::render::json::Seen;
use crate::render::json_stream::{string, Before, Looks, Span, Take};
use crate::trace::{Event, EventKind, ForkFlavor, Pid};
use crate::words::Lang;
use std::io::{self, Write};

/// Events with what the model said about them that their elements need
/// (`json_stream::Looks`: the process, and for an instant the call, the sentence's
/// facts, the pipe, the fd replaced and the fields), filled where the
/// model is and written elsewhere (possibly on another thread).
#[derive(Debug, Default)]
pub struct Batch {
    looks: Looks,
    what: Vec<What>,
}

/// What an event adds besides the slices it starts.
#[derive(Clone, Copy, Debug)]
enum What {
    /// Nothing (a spawn, a successful exec, an exit: their slices say it).
    Nothing,
    /// A fork's arrow to `child` (a task of the same process for a thread).
    Fork { child: Pid, thread: bool },
    /// An instant: its name (this span of the looks' text) and category.
    Instant { name: Span, cat: &'static str },
}

impl Batch {
    /// An empty batch with room for `n` events.
    pub fn with_capacity(n: usize) -> Batch {
        Batch {
            looks: Looks::default(),
            what: Vec::with_capacity(n),
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
    }

    /// What the model said about its events.
    pub(crate) fn looks(&mut self) -> &mut Looks {
        &mut self.looks
    }

    /// Adds one event: takes what its elements need from `seen`.
    pub fn push(&mut self, seen: &Seen) {
        let before = self.looks.before_of(seen.prior);
        self.push_applied(seen.event, seen.model, seen.labels, seen.applied, before);
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
            EventKind::Fork { child, flavor, .. } => What::Fork {
                child: *child,
                thread: *flavor == ForkFlavor::Thread,
            },
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
        tgid
    }

    /// The `i`th event's seq.
    pub(crate) fn seq(&self, i: usize) -> u64 {
        self.looks.seq(i)
    }

    /// How many elements the `i`th event adds besides its slices.
    pub(crate) fn elements(&self, i: usize) -> usize {
        match self.what[i] {
            What::Nothing => 0,
            What::Fork { .. } => 2,
            What::Instant { .. } => 1,
        }
    }

    /// Appends the `k`th element the `i`th event adds to `b`; `words` is a
    /// scratch string, `lang` the language of the instants' words.
    pub(crate) fn element(
        &self,
        i: usize,
        k: usize,
        b: &mut Vec<u8>,
        words: &mut String,
        lang: Lang,
    ) {
        let looks = &self.looks;
        let (tid, tgid) = (looks.pid(i), looks.tgid(i));
        let ts = micros(looks.ts_ns(i));
        match self.what[i] {
            What::Nothing => {}
            What::Fork { child, thread } => {
                let (ph, pid, tid) = match k {
                    0 => ("s", tgid, tid),
                    _ => ("f", if thread { tgid } else { child }, child),
                };
                head(b, ph, "fork", "fork", pid, tid);
                b.extend_from_slice(b",\"ts\":");
                out::f64(b, ts);
                b.extend_from_slice(b",\"id\":");
                out::u64(b, looks.seq(i));
                b.extend_from_slice(if k == 0 { b"}" } else { b",\"bp\":\"e\"}" });
            }
            What::Instant { name, cat } => {
                b.extend_from_slice(b"{\"ph\":\"i\",\"name\":");
                string(b, looks.text(name));
                b.extend_from_slice(b",\"cat\":");
                string(b, cat);
                b.extend_from_slice(b",\"pid\":");
                out::i64(b, tgid.into());
                b.extend_from_slice(b",\"tid\":");
                out::i64(b, tid.into());
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

/// The elements of a run of batches, kept aside (in a file, so memory does
/// not grow with the trace) until the plan is known: the one-pass export
/// writes them here as the events go by, then
/// [`super::PerfettoExport::unspool`] writes the document from them. Each
/// element is recorded as its event's seq (8 bytes, little-endian), its
/// length (4 bytes) and its bytes; they are gathered into blocks of
/// a MiB before they are written.
pub struct Spool<W: Write> {
    out: W,
    buf: Vec<u8>,
    words: String,
    lang: Lang,
}

/// How much a [`Spool`] gathers before it writes.
const SPOOL_BLOCK: usize = 1 << 20;

impl<W: Write> Spool<W> {
    /// A spool writing to `out`, the instants' words in `lang`.
    pub fn new(out: W, lang: Lang) -> Spool<W> {
        Spool {
            out,
            buf: Vec::with_capacity(SPOOL_BLOCK + (1 << 16)),
            words: String::new(),
            lang,
        }
    }

    /// Records the elements the events of `b` add.
    pub fn batch(&mut self, b: &Batch) -> io::Result<()> {
        for i in 0..b.len() {
            for k in 0..b.elements(i) {
                let at = self.buf.len();
                self.buf.extend_from_slice(&b.seq(i).to_le_bytes());
                self.buf.extend_from_slice(&[0; 4]);
                b.element(i, k, &mut self.buf, &mut self.words, self.lang);
                let len = u32::try_from(self.buf.len() - at - 12).map_err(|_| {
                    io::Error::new(io::ErrorKind::InvalidData, "an element over 4 GiB")
                })?;
                self.buf[at + 8..at + 12].copy_from_slice(&len.to_le_bytes());
            }
            if self.buf.len() >= SPOOL_BLOCK {
                self.out.write_all(&self.buf)?;
                self.buf.clear();
            }
        }
        Ok(())
    }

    /// Writes what is gathered and hands back the writer (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&self.buf)?;
        Ok(self.out)
    }
}
