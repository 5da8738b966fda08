//! The two passes of `forkscope export --format perfetto`
//! ([`crate::render::perfetto`]) on two threads joined by bounded channels,
//! so the two cores share the work and memory stays bounded:
//!
//! 1. this thread parses the trace into batches of events; a worker thread
//!    replays them into the model and the [`Planner`], which makes the plan;
//! 2. a worker thread parses the trace again, replays it (pipe names, the
//!    model before and after each event) and puts what each event's element
//!    needs into a [`Batch`] (the call, the sentence, the pipe, the fields,
//!    already JSON); this thread writes the elements and the slices.
//!
//! The result is what one thread doing the same in order writes. Each pass
//! builds its model on a spawned thread, so the second pass's model reuses
//! the memory the first one's freed (glibc gives a new thread the arena of
//! one that ended) instead of adding to it.

use crate::model::labels::Labels;
use crate::model::Model;
use crate::render::json::{Prior, Seen};
use crate::render::perfetto::{Batch, PerfettoExport, Planner};
use crate::trace::{Event, TraceError, TraceReader};
use crate::words::diagram::{notice, Notice};
use crate::words::Lang;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

/// Events per batch handed between threads.
const BATCH: usize = 1024;

/// Batches in flight per channel: the bound on what waits between threads.
const IN_FLIGHT: usize = 8;

/// Writes the Perfetto export of the trace at `trace` to `out` and hands
/// `out` back, not flushed. Reader warnings (of the first pass) go to stderr.
pub(super) fn export<W: Write>(trace: &Path, lang: Lang, out: W) -> Result<W> {
    let replay_err = || notice(lang, &Notice::CannotReplay(trace.display().to_string()));

    // The first pass: the plan.
    let mut reader = super::open(trace, lang)?;
    let header = reader.header().clone();
    let plan = thread::scope(|s| -> Result<_> {
        let (tx, rx) = sync_channel::<Vec<Event>>(IN_FLIGHT);
        let planner = s.spawn(move || plan(rx, lang));
        let mut batch = Vec::with_capacity(BATCH);
        let mut read = Ok(());
        loop {
            match reader.next_event() {
                Ok(Some(ev)) => {
                    batch.push(ev);
                    if batch.len() < BATCH {
                        continue;
                    }
                }
                Ok(None) => {}
                Err(e) => read = Err(e),
            }
            if read.is_err() || batch.is_empty() {
                break;
            }
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            // The planner ends only when the channel closes.
            let _ = tx.send(full);
        }
        drop(tx);
        let plan = planner
            .join()
            .expect("the export's planner thread panicked");
        read.with_context(replay_err)?;
        Ok(plan)
    })?;
    for w in reader.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", trace.display());
    }

    // The second pass: the document.
    let reader = super::open(trace, lang)?;
    let mut doc = PerfettoExport::new(out, &header, plan)?;
    thread::scope(|s| -> Result<()> {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let worker = s.spawn(move || look(reader, tx, lang));
        let mut written = Ok(());
        for batch in rx {
            written = doc.batch(&batch);
            if written.is_err() {
                // Dropping `rx` stops the worker.
                break;
            }
        }
        written?;
        worker
            .join()
            .expect("the export worker thread panicked")
            .with_context(replay_err)
    })?;
    Ok(doc.finish()?)
}

/// The first pass's replay: the model and the planner see every event of
/// the batches from `rx`; makes the plan once the channel closes.
fn plan(rx: Receiver<Vec<Event>>, lang: Lang) -> crate::render::perfetto::Plan {
    let mut model = Model::new();
    let mut planner = Planner::new();
    let none = Labels::default();
    for batch in rx {
        for ev in &batch {
            if !Planner::needs_process(ev) {
                model.apply(ev);
                planner.observe_event(ev, ev.pid);
                continue;
            }
            let prior = Prior::capture(&model, ev, &none);
            let applied = model.apply(ev);
            let seen = Seen {
                event: ev,
                prior: &prior,
                applied: &applied,
                model: &model,
                labels: &none,
                lang,
            };
            planner.observe_event(ev, seen.tgid());
        }
    }
    planner.finish(&model)
}

/// The second pass's replay: reads the trace, replays it as the export sees
/// it (pipe names, the model just before each event and after it) and sends
/// the events' [`Batch`]es to `tx`; stops at a read error (returned) or when
/// `tx`'s receiver is gone.
fn look(
    mut reader: TraceReader<BufReader<File>>,
    tx: SyncSender<Batch>,
    lang: Lang,
) -> Result<(), TraceError> {
    let mut model = Model::new();
    let mut labels = Labels::default();
    let mut batch = Batch::with_capacity(BATCH);
    while let Some(ev) = reader.next_ref()? {
        labels.observe(ev);
        let prior = Prior::capture(&model, ev, &labels);
        let applied = model.apply(ev);
        batch.push(&Seen {
            event: ev,
            prior: &prior,
            applied: &applied,
            model: &model,
            labels: &labels,
            lang,
        });
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Batch::with_capacity(BATCH));
            if tx.send(full).is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
    Ok(())
}
