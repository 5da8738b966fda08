//! What the model says about a run of events, taken where the model is
//! ([`Looks::before`] and [`Looks::push`], on the exports' model thread)
//! and written elsewhere ([`Looks::write`], [`Looks::write_args`], on the
//! thread that writes), so that the model's thread only applies events and
//! finds facts while the words, escaping and digits are done beside it.
//!
//! Nothing is allocated per event: the texts of a batch (programs, calls,
//! the facts' paths and pipe names) are written one after the other into
//! one `String` and the facts hold [`Span`]s of it; the event's own fields
//! are written as JSON into one byte buffer. The events themselves stay
//! with the reader (they are only lent), so they are freed where they were
//! made.

use super::{own_fields, string};
use crate::model::labels::Labels;
use crate::model::{Applied, Model, Origin, PipeId, ProcId};
use crate::render::json::{pipe_concerned, process_after, process_before};
use crate::render::narrate::replaced_fd;
use crate::render::narrate::{self, Texts};
use crate::trace::{Event, Pid};
use crate::words::narrate::{File, Said};
use crate::words::Lang;

/// A range of a [`Looks`]' text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span(usize, usize);

/// The facts' texts, kept in a batch's text ([`Texts`]).
struct Arena<'a>(&'a mut String);

impl Texts for Arena<'_> {
    type S = Span;
    fn text(&mut self, write: impl FnOnce(&mut String)) -> Span {
        let start = self.0.len();
        write(self.0);
        Span(start, self.0.len())
    }
}

/// What a writer needs of each event besides what every writer needs (its
/// seq, time, task and process).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Take {
    /// The program the process runs.
    pub(crate) program: bool,
    /// The call, the sentence's facts, the pipe, what the fd replaced held
    /// and the event's own fields.
    pub(crate) words: bool,
}

/// What the model knew of an event before it was applied.
#[derive(Debug, Default)]
pub(crate) struct Before {
    /// What the fd the event closes or overwrites referred to.
    replaced: Option<File<Span>>,
    /// The pipe that fd was an end of.
    closed_pipe: Option<PipeId>,
    /// The process of the acting task.
    process: Option<ProcId>,
}

/// What the model said about a run of events (see the module doc).
#[derive(Debug, Default)]
pub(crate) struct Looks {
    /// The texts, unescaped.
    text: String,
    /// The events' own fields, as JSON.
    json: Vec<u8>,
    /// The facts of every sentence, one after the other.
    facts: Vec<Said<Span>>,
    looks: Vec<Look>,
    /// Reused by the fields' writer.
    scratch: String,
}

/// What the model said about one event.
#[derive(Debug)]
struct Look {
    seq: u64,
    ts_ns: u64,
    /// The acting task.
    pid: Pid,
    /// Its process ([`crate::render::json::Seen::tgid`]).
    tgid: Pid,
    /// The event's kind.
    kind: &'static str,
    /// Its program ([`crate::render::json::Seen::program`]).
    program: Span,
    /// The event as a call.
    call: Span,
    /// The sentence's facts: this range of [`Looks::facts`].
    facts: (usize, usize),
    /// The name of the pipe the event concerns.
    pipe: Option<Span>,
    /// What the fd it closes or overwrites referred to.
    replaced: Option<File<Span>>,
    /// Its own fields: this range of [`Looks::json`].
    fields: (usize, usize),
}

impl Looks {
    /// How many events it holds.
    pub(crate) fn len(&self) -> usize {
        self.looks.len()
    }

    /// Forgets every event (keeping the memory).
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.json.clear();
        self.facts.clear();
        self.looks.clear();
    }

    /// Reads `model`, not yet changed by `ev`: what `ev`'s fd referred to,
    /// and its task's process. `labels` have seen `ev`.
    pub(crate) fn before(&mut self, model: &Model, ev: &Event, labels: &Labels) -> Before {
        let open = replaced_fd(ev).and_then(|fd| model.fd(ev.pid, fd));
        Before {
            replaced: open.map(|v| narrate::file_in(&mut Arena(&mut self.text), v.file, labels)),
            closed_pipe: open.and_then(|v| match v.file.object {
                crate::model::Object::Pipe { pipe, .. } => Some(pipe),
                _ => None,
            }),
            process: process_before(model, ev),
        }
    }

    /// [`Looks::before`] from what [`crate::render::json::Prior`] read.
    pub(crate) fn before_of(&mut self, prior: &crate::render::json::Prior) -> Before {
        Before {
            replaced: prior
                .before
                .replaced
                .as_ref()
                .map(|f| f.map(|t| Arena(&mut self.text).text(|o| o.push_str(t)))),
            closed_pipe: prior.closed_pipe,
            process: prior.process,
        }
    }

    /// Takes what `take` asks for of `ev`, now applied to `model` (which
    /// said `applied`), from what [`Looks::before`] read; `labels` have
    /// seen `ev`. Returns the process of `ev`'s task (its pid).
    pub(crate) fn push(
        &mut self,
        ev: &Event,
        model: &Model,
        labels: &Labels,
        applied: &Applied,
        before: Before,
        take: Take,
    ) -> Pid {
        let process = process_after(model, ev, before.process);
        let tgid = process.map_or(ev.pid, |p| p.pid);
        let start = self.text.len();
        if take.program {
            program(&mut self.text, model, process);
        }
        let program = Span(start, self.text.len());
        let facts = self.facts.len();
        let fields = self.json.len();
        let mut look = Look {
            seq: ev.seq,
            ts_ns: ev.ts_ns,
            pid: ev.pid,
            tgid,
            kind: ev.kind.name(),
            program,
            call: Span::default(),
            facts: (facts, facts),
            pipe: None,
            replaced: None,
            fields: (fields, fields),
        };
        if take.words {
            let mut texts = Arena(&mut self.text);
            look.call = texts.text(|o| narrate::write_call(o, ev, labels));
            narrate::facts_in(
                &mut self.facts,
                &mut texts,
                model,
                ev,
                before.replaced.as_ref(),
                applied,
                labels,
            );
            look.facts.1 = self.facts.len();
            look.pipe = pipe_concerned(model, ev, before.closed_pipe)
                .map(|p| texts.text(|o| narrate::write_pipe_label(o, labels, p)));
            look.replaced = before.replaced;
            own_fields(&mut self.json, &mut self.scratch, ev, labels);
            look.fields.1 = self.json.len();
        }
        self.looks.push(look);
        tgid
    }

    /// The text `s` spans.
    pub(crate) fn text(&self, s: Span) -> &str {
        &self.text[s.0..s.1]
    }

    /// Keeps the text `write` writes, for a writer's own use.
    pub(crate) fn keep(&mut self, write: impl FnOnce(&mut String)) -> Span {
        Arena(&mut self.text).text(write)
    }

    /// The `i`th event's seq.
    pub(crate) fn seq(&self, i: usize) -> u64 {
        self.looks[i].seq
    }

    /// The `i`th event's time.
    pub(crate) fn ts_ns(&self, i: usize) -> u64 {
        self.looks[i].ts_ns
    }

    /// The `i`th event's task.
    pub(crate) fn pid(&self, i: usize) -> Pid {
        self.looks[i].pid
    }

    /// The `i`th event's process ([`crate::render::json::Seen::tgid`]).
    pub(crate) fn tgid(&self, i: usize) -> Pid {
        self.looks[i].tgid
    }

    /// Appends the normalized stream's element of the `i`th event to `buf`
    /// (with the `,\n` or `\n` before it, as `first` says); `words` is a
    /// scratch string.
    pub(crate) fn write(
        &self,
        i: usize,
        buf: &mut Vec<u8>,
        words: &mut String,
        lang: Lang,
        first: bool,
    ) {
        let look = &self.looks[i];
        buf.extend_from_slice(if first { b"\n" } else { b",\n" });
        buf.extend_from_slice(b"{\"seq\":");
        super::uint(buf, look.seq);
        buf.extend_from_slice(b",\"ts_ns\":");
        super::uint(buf, look.ts_ns);
        buf.extend_from_slice(b",\"pid\":");
        super::int(buf, look.pid.into());
        if look.tgid != look.pid {
            buf.extend_from_slice(b",\"process\":");
            super::int(buf, look.tgid.into());
        }
        buf.extend_from_slice(b",\"program\":");
        string(buf, self.text(look.program));
        buf.extend_from_slice(b",\"kind\":\"");
        buf.extend_from_slice(look.kind.as_bytes());
        buf.push(b'"');
        self.write_words(look, buf, words, lang);
        buf.push(b'}');
    }

    /// Appends the args of the `i`th event's instant in the Perfetto
    /// export: `{"seq":N,"call":...}`, its element of the normalized
    /// stream less what the track says.
    pub(crate) fn write_args(&self, i: usize, buf: &mut Vec<u8>, words: &mut String, lang: Lang) {
        let look = &self.looks[i];
        buf.extend_from_slice(b"{\"seq\":");
        super::uint(buf, look.seq);
        self.write_words(look, buf, words, lang);
        buf.push(b'}');
    }

    /// `,"call":...`, then `effect`, `pipe`, `closed` when there are, and
    /// the event's own fields.
    fn write_words(&self, look: &Look, buf: &mut Vec<u8>, words: &mut String, lang: Lang) {
        buf.extend_from_slice(b",\"call\":");
        string(buf, self.text(look.call));
        let facts = &self.facts[look.facts.0..look.facts.1];
        if !facts.is_empty() {
            words.clear();
            crate::words::narrate::write_sentence_in(words, lang, facts, |s| self.text(*s));
            buf.extend_from_slice(b",\"effect\":");
            string(buf, words);
        }
        if let Some(p) = look.pipe {
            buf.extend_from_slice(b",\"pipe\":");
            string(buf, self.text(p));
        }
        if let Some(f) = &look.replaced {
            words.clear();
            crate::words::narrate::write_file(words, lang, &f.map(|s| self.text(*s)));
            buf.extend_from_slice(b",\"closed\":");
            string(buf, words);
        }
        buf.extend_from_slice(&self.json[look.fields.0..look.fields.1]);
    }
}

/// The program `process` runs, as [`crate::render::json::Seen::program`]
/// names it, written at the end of `out`.
fn program(out: &mut String, model: &Model, process: Option<&crate::model::Process>) {
    let Some(p) = process else {
        out.push('?');
        return;
    };
    match model.tree().program(p.id) {
        Some(e) => narrate::write_program_name(out, &e.argv, &e.path),
        None => match &p.origin {
            Origin::Spawn { argv, .. } => {
                narrate::write_program_name(out, argv, &crate::trace::RawStr::default())
            }
            _ => out.push('?'),
        },
    }
}
