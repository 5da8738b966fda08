//! Reading ahead: a second thread reads and parses the trace while the
//! caller applies (and analyses, and draws) the events it already has. On
//! a machine with two cores a replay then takes about as long as the slower
//! of the two halves instead of their sum (parsing is about half of it).
//!
//! What the caller sees is exactly what the plain reader gives, in the same
//! order: the same events, the same warnings at the same point of the
//! stream (a warning found before an event is handed over before that
//! event), the same errors (after an error the next call goes on with the
//! next line, as the plain reader does). The thread runs the plain reader
//! ([`TraceReader::advance`]) and hands its results over in chunks through
//! a bounded channel, so memory stays a few chunks ahead of the caller. The
//! chunks come back to the thread once read, so the events the caller only
//! looked at are freed (and their vector reused) where they were made.

use super::{Position, ReadWarning, TraceReader};
use crate::trace::{Event, EventKind, TraceError};
use std::io::BufRead;
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::thread::JoinHandle;

/// Events per chunk: enough that handing a chunk over costs nothing next
/// to parsing it, few enough that a chunk stays in the cache.
const CHUNK: usize = 512;
/// Chunks parsed ahead of the caller at most.
const IN_FLIGHT: usize = 4;

/// What the reading thread found, in stream order: events, then warnings
/// noticed after them, then an error or the end.
struct Chunk {
    events: Vec<Event>,
    /// Where each event's line ends.
    ats: Vec<Position>,
    warnings: Vec<ReadWarning>,
    error: Option<TraceError>,
    end: bool,
}

/// The caller's side of a reader whose thread reads ahead.
pub(super) struct Ahead {
    rx: Option<Receiver<Chunk>>,
    back: Sender<(Vec<Event>, Vec<Position>)>,
    chunk: Option<Chunk>,
    /// Events of `chunk` handed out so far; the last of them is the current one.
    pos: usize,
    /// The current event is still in `chunk` (not taken).
    lent: bool,
    done: bool,
    thread: Option<JoinHandle<()>>,
}

/// Is a second thread worth starting? Only with a second core to run it.
pub(super) fn worth_it() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}

/// An event that owns nothing, left where an event was taken out of a chunk.
fn hole() -> Event {
    Event {
        seq: 0,
        ts_ns: 0,
        pid: 0,
        kind: EventKind::Continue {},
    }
}

impl Ahead {
    /// Starts a thread reading events from `reader` (a plain reader, its
    /// header already read); hands `reader` back if no thread can be had.
    pub(super) fn start<R: BufRead + Send + 'static>(
        reader: TraceReader<R>,
    ) -> Result<Ahead, Box<TraceReader<R>>> {
        let (tx, rx) = sync_channel::<Chunk>(IN_FLIGHT);
        let (back, returned) = channel::<(Vec<Event>, Vec<Position>)>();
        // The reader goes to the thread once it runs (a failed spawn would
        // drop what it was given).
        let (give, given) = channel::<TraceReader<R>>();
        let thread = std::thread::Builder::new()
            .name("forkscope-read".into())
            .spawn(move || {
                let Ok(mut reader) = given.recv() else {
                    return;
                };
                let fresh = || match returned.try_recv() {
                    // Dropping the events the caller left frees them here.
                    Ok((mut v, mut a)) => {
                        v.clear();
                        a.clear();
                        (v, a)
                    }
                    Err(_) => (Vec::with_capacity(CHUNK), Vec::with_capacity(CHUNK)),
                };
                let (mut events, mut ats) = fresh();
                loop {
                    let before = events.len();
                    let got = reader.advance_into(&mut events);
                    let warnings = reader.take_warnings();
                    if !warnings.is_empty() {
                        // Found before the event this call returns (if any).
                        let (mut e, a) = fresh();
                        // That event goes with the next chunk.
                        e.extend(events.drain(before..));
                        let c = Chunk {
                            events: std::mem::replace(&mut events, e),
                            ats: std::mem::replace(&mut ats, a),
                            warnings,
                            error: None,
                            end: false,
                        };
                        if tx.send(c).is_err() {
                            return;
                        }
                    }
                    let (error, end) = match got {
                        Ok(true) => {
                            ats.extend(reader.position());
                            if events.len() < CHUNK {
                                continue;
                            }
                            (None, false)
                        }
                        Ok(false) => (None, true),
                        Err(e) => (Some(e), false),
                    };
                    let (e, a) = fresh();
                    let c = Chunk {
                        events: std::mem::replace(&mut events, e),
                        ats: std::mem::replace(&mut ats, a),
                        warnings: Vec::new(),
                        error,
                        end,
                    };
                    if tx.send(c).is_err() || end {
                        return;
                    }
                }
            });
        let Ok(thread) = thread else {
            return Err(Box::new(reader));
        };
        if let Err(std::sync::mpsc::SendError(reader)) = give.send(reader) {
            return Err(Box::new(reader));
        }
        Ok(Ahead {
            rx: Some(rx),
            back,
            chunk: None,
            pos: 0,
            lent: false,
            done: false,
            thread: Some(thread),
        })
    }

    /// Moves to the next event; `false` at the end. Warnings found before
    /// it are appended to `warnings`.
    pub(super) fn advance(&mut self, warnings: &mut Vec<ReadWarning>) -> Result<bool, TraceError> {
        self.lent = false;
        loop {
            if let Some(c) = &mut self.chunk {
                if self.pos < c.events.len() {
                    self.pos += 1;
                    self.lent = true;
                    return Ok(true);
                }
                warnings.append(&mut c.warnings);
                let (error, end) = (c.error.take(), c.end);
                let used = (std::mem::take(&mut c.events), std::mem::take(&mut c.ats));
                self.chunk = None;
                // The thread may be gone (at the end): then they drop here.
                let _ = self.back.send(used);
                if let Some(e) = error {
                    return Err(e);
                }
                if end {
                    self.done = true;
                }
            }
            if self.done {
                return Ok(false);
            }
            let got = self.rx.as_ref().map(Receiver::recv);
            match got {
                Some(Ok(c)) => {
                    self.chunk = Some(c);
                    self.pos = 0;
                }
                _ => {
                    // The thread ended without saying so: it panicked.
                    self.done = true;
                    if let Some(Err(panic)) = self.thread.take().map(JoinHandle::join) {
                        std::panic::resume_unwind(panic);
                    }
                    return Ok(false);
                }
            }
        }
    }

    /// The current event, lent.
    pub(super) fn current(&self) -> Option<&Event> {
        match &self.chunk {
            Some(c) if self.lent => c.events.get(self.pos - 1),
            _ => None,
        }
    }

    /// Where the current event's line ends.
    pub(super) fn position(&self) -> Option<Position> {
        match &self.chunk {
            Some(c) if self.pos > 0 => c.ats.get(self.pos - 1).copied(),
            _ => None,
        }
    }

    /// Takes the current event (once).
    pub(super) fn take(&mut self) -> Option<Event> {
        match &mut self.chunk {
            Some(c) if self.lent => {
                self.lent = false;
                Some(std::mem::replace(c.events.get_mut(self.pos - 1)?, hole()))
            }
            _ => None,
        }
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        // The thread's next send fails once the receiver is gone, and it ends.
        self.rx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
