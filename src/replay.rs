//! Replaying a trace: read events one by one, apply each to the model, and
//! hand back what each step changed. Streams: memory follows the live state
//! of the traced world, not the length of the trace. No re-execution.

pub mod filter;

use crate::model::labels::Labels;
use crate::model::{Applied, Divergence, Model};
use crate::render::narrate::Before;
use crate::trace::reader::Position;
use crate::trace::{Event, EventKind, Header, Pid, ReadWarning, TraceError, TraceReader};
use std::io::BufRead;
use std::path::Path;

/// One applied event.
#[derive(Debug)]
pub struct Step {
    /// The event.
    pub event: Event,
    /// What it replaced (read before applying it).
    pub before: Before,
    /// What applying it changed.
    pub applied: Applied,
}

/// A trace being replayed into a model.
pub struct Replay<R> {
    reader: TraceReader<R>,
    /// The state after the last step.
    pub model: Model,
    /// Stable names (pipe#N) given so far.
    pub labels: Labels,
    /// The first seq whose step reads what it replaces ([`Before`]);
    /// `u64::MAX` for none.
    narrate_from: u64,
    /// Whether [`Before`] includes the acting task's fd table (for drawings).
    fd_tables: bool,
    /// Whether pipes are given names ([`Replay::labels`]).
    naming: bool,
}

impl Replay<std::io::BufReader<std::fs::File>> {
    /// Opens a trace file.
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        Ok(Replay::new(TraceReader::open(path)?))
    }

    /// Replays the trace file at `path` from just after `at`, starting
    /// from the model and labels a replay of the same file had there
    /// ([`Replay::position`] gave `at`; see [`Replay::resume`]).
    pub fn open_at(
        path: &Path,
        at: Position,
        model: Model,
        labels: Labels,
    ) -> Result<Self, TraceError> {
        Ok(Replay::resume(
            TraceReader::open_at(path, at)?,
            model,
            labels,
        ))
    }
}

/// An event applied by [`Replay::step_lent`], lent with the state after it.
pub struct Lent<'a> {
    /// The event.
    pub event: &'a Event,
    /// What applying it changed.
    pub applied: Applied,
    /// The state after it.
    pub model: &'a Model,
    /// The pipe names after it.
    pub labels: &'a Labels,
}

impl<R: BufRead> Replay<R> {
    /// Replays from a reader.
    pub fn new(reader: TraceReader<R>) -> Self {
        Replay {
            reader,
            model: Model::new(),
            labels: Labels::default(),
            narrate_from: 0,
            fd_tables: true,
            naming: true,
        }
    }

    /// Replays from a reader positioned anywhere in a trace, starting from a
    /// model and labels saved after the events before that position (the
    /// checkpoints of `forkscope view`).
    pub fn resume(reader: TraceReader<R>, model: Model, labels: Labels) -> Self {
        Replay {
            reader,
            model,
            labels,
            narrate_from: 0,
            fd_tables: true,
            naming: true,
        }
    }

    /// Skips reading what each event replaces (faster; for bulk replay).
    pub fn without_narration(mut self) -> Self {
        self.narrate_from = u64::MAX;
        self
    }

    /// Reads what each event replaces only for events from seq `seq` on
    /// (`u64::MAX`: never): the steps before it get an empty [`Before`].
    /// For a caller that words or draws only the steps from there.
    pub fn narrate_from(&mut self, seq: u64) {
        self.narrate_from = seq;
    }

    /// Forgets reaped processes once nothing refers to them
    /// ([`Model::forget_reaped`]), so memory follows the live state: for
    /// callers that show the state at a moment, or each event as it comes,
    /// never the whole history (not `forkscope tree`).
    pub fn forgetting(mut self) -> Self {
        self.model.forget_reaped(forget_window());
        self.labels.forget_released_after(forget_window());
        self
    }

    /// Gives pipes no names on the way ([`Replay::labels`] stays empty):
    /// for callers that never show a pipe's name (`forkscope tree`).
    pub fn without_labels(mut self) -> Self {
        self.naming = false;
        self
    }

    /// Steps read what an event replaces without the fd table before it
    /// ([`Before::for_words`]): for callers that word steps but draw none.
    pub fn words_only(&mut self) {
        self.fd_tables = false;
    }

    /// The trace header.
    pub fn header(&self) -> &Header {
        self.reader.header()
    }

    /// Reader warnings so far (truncated tail, unknown kinds).
    pub fn take_warnings(&mut self) -> Vec<ReadWarning> {
        self.reader.take_warnings()
    }

    /// Applies the next event; `Ok(None)` at the end.
    pub fn step(&mut self) -> Result<Option<Step>, TraceError> {
        let Some(event) = self.reader.next_event()? else {
            return Ok(None);
        };
        Ok(Some(self.apply_step(event)))
    }

    /// Applies the events before the first one whose seq is `seq` or more
    /// without handing them back (no [`Step`] is built for them, nothing
    /// is read for narration), then applies that one and returns its step
    /// as [`Replay::step`] would. The model and labels end as after the
    /// same calls to `step`. For callers that show one moment (`--at`) or
    /// only the end (`u64::MAX`).
    pub fn skip_to(&mut self, seq: u64) -> Result<Skipped, TraceError> {
        let mut last = None;
        // Lent, not moved: most events are only applied.
        while let Some(event) = self.reader.next_ref()? {
            if event.seq >= seq {
                let last = Some((event.seq, event.ts_ns));
                let event = self.reader.take_current().expect("just read");
                return Ok(Skipped {
                    step: Some(self.apply_step(event)),
                    last,
                });
            }
            // What `step` does but the look before (which changes nothing).
            if self.naming {
                self.labels.observe(event);
            }
            let applied = self.model.apply(event);
            self.labels.forget_released(&applied);
            last = Some((event.seq, event.ts_ns));
        }
        Ok(Skipped { step: None, last })
    }

    /// Reads the next event without applying it, lent: from here on the
    /// model and labels stay as after the last event applied. For a caller
    /// that only counts or filters the rest of a trace (an HTML page past
    /// its last step), which still reads every line, so a malformed one is
    /// the same error and a cut-short tail the same warning. `Ok(None)` at
    /// the end.
    pub fn next_unapplied(&mut self) -> Result<Option<&Event>, TraceError> {
        self.reader.next_ref()
    }

    fn apply_step(&mut self, event: Event) -> Step {
        if self.naming {
            self.labels.observe(&event);
        }
        let before = if event.seq < self.narrate_from {
            Before::default()
        } else if !self.fd_tables {
            Before::for_words(&self.model, &event, &self.labels)
        } else {
            Before::capture(&self.model, &event, &self.labels)
        };
        let applied = self.model.apply(&event);
        self.labels.forget_released(&applied);
        Step {
            event,
            before,
            applied,
        }
    }

    /// Applies the next event and lends it with what it changed and the
    /// state after it, for callers that look at every event but keep none:
    /// nothing is moved or read for narration (no [`Before`]). The model
    /// and labels end as after [`Replay::step`]. `Ok(None)` at the end.
    pub fn step_lent(&mut self) -> Result<Option<Lent<'_>>, TraceError> {
        let Some(event) = self.reader.next_ref()? else {
            return Ok(None);
        };
        if self.naming {
            self.labels.observe(event);
        }
        let applied = self.model.apply(event);
        self.labels.forget_released(&applied);
        Ok(Some(Lent {
            event,
            applied,
            model: &self.model,
            labels: &self.labels,
        }))
    }

    /// Where the event applied last ends in the trace file, asked right
    /// after applying it: with a copy of the model and labels, where
    /// [`Replay::open_at`] can go on from.
    pub fn position(&self) -> Option<Position> {
        self.reader.position()
    }

    /// Compares the model with the kernel's snapshot the step carries, if any.
    pub fn verify(&self, step: &Step) -> Vec<Divergence> {
        self.model.verify(&step.event)
    }
}

/// Where [`Replay::skip_to`] stopped.
#[derive(Debug)]
pub struct Skipped {
    /// The step of the first event at or after the seq asked for; `None`
    /// when the trace ended before it.
    pub step: Option<Step>,
    /// The seq and time of the last event applied; `None` for a trace
    /// without events.
    pub last: Option<(u64, u64)>,
}

/// The (pid, fd) pairs an event creates or changes, for highlighting.
pub fn touched(ev: &Event) -> Vec<(Pid, i32)> {
    let p = ev.pid;
    match &ev.kind {
        EventKind::Pipe {
            read_fd, write_fd, ..
        } => vec![(p, *read_fd), (p, *write_fd)],
        EventKind::Dup {
            new_fd,
            errno: None,
            ..
        } => vec![(p, *new_fd)],
        EventKind::Open {
            fd, errno: None, ..
        } => vec![(p, *fd)],
        EventKind::Close { fd } => vec![(p, *fd)],
        EventKind::SetCloexec { fd, .. } => vec![(p, *fd)],
        EventKind::Socket { fds, .. } => fds.iter().map(|f| (p, *f)).collect(),
        EventKind::NewFd { fd, .. } => vec![(p, *fd)],
        _ => Vec::new(),
    }
}

/// How many reaped processes a forgetting replay keeps after their reaping
/// ([`crate::model::FORGET_WINDOW`]; `FORKSCOPE_FORGET_WINDOW` sets
/// another, e.g. 0 to check in tests that nothing needs a process once
/// it is gone).
pub fn forget_window() -> usize {
    std::env::var("FORKSCOPE_FORGET_WINDOW")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(crate::model::FORGET_WINDOW)
}
