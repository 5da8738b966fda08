//! `forkscope export --format perfetto` ([`crate::render::perfetto`]) in one
//! pass over the trace, on three threads joined by bounded channels:
//!
//! 1. the reader's thread parses the trace ([`super::open`] reads ahead);
//! 2. a model thread replays the events (the model just before and after
//!    each, the events lent by the reader), takes what the model says about
//!    each into a [`Batch`] (its process; for an instant, the call, the
//!    sentence's facts, the pipe, the fd replaced and the fields), as
//!    export -f json's model thread does, and shows each to the [`Slicer`],
//!    which adds the slices the event ended;
//! 3. this thread words, escapes and writes the batches' elements, then,
//!    with the model after the last event, has the slicer write what is
//!    still open and the metadata.
//!
//! The model forgets reaped processes ([`Model::forget_reaped`]), the
//! labels released pipes, as for export -f json: memory follows the live
//! state, plus a few dozen bytes per process for the metadata.

use super::look_at;
use crate::model::labels::Labels;
use crate::model::Model;
use crate::render::perfetto::{Batch, PerfettoExport, Slicer};
use crate::trace::TraceError;
use crate::words::diagram::{notice, Notice};
use crate::words::Lang;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::thread;

/// Batches in flight: the bound on what waits between the threads.
const IN_FLIGHT: usize = 4;

impl super::Batch for Batch {
    fn empty() -> Self {
        Batch::with_capacity(super::BATCH)
    }
    fn looks(&mut self) -> &mut crate::render::json_stream::Looks {
        Batch::looks(self)
    }
    fn len(&self) -> usize {
        Batch::len(self)
    }
}

/// Writes the Perfetto export of the trace at `trace` to `out` and hands
/// `out` back, not flushed. Reader warnings go to stderr at the end. The
/// elements of the events before a read error are written before the error
/// is returned.
pub(super) fn export<W: Write>(trace: &Path, lang: Lang, out: W) -> Result<W> {
    let reader = super::open(trace, lang)?;
    let header = reader.header().clone();
    let mut doc = PerfettoExport::new(out, &header, lang);
    let (slicer, model, mut reader) = thread::scope(|s| -> Result<_> {
        let (batches, looked) = sync_channel::<Result<Batch, TraceError>>(IN_FLIGHT);
        let (recycle, empties) = sync_channel::<Batch>(IN_FLIGHT + 2);
        // Owned here, so that an early return (a closed stdout) drops it and
        // the model thread's next send fails, before the scope waits for it.
        let looked = looked;
        let modeler = s.spawn(move || {
            let mut slicer = Slicer::new();
            let window = crate::replay::forget_window();
            let (mut model, mut labels) = (Model::new(), Labels::default());
            model.forget_reaped(window.max(Slicer::MIN_FORGET_WINDOW));
            labels.forget_released_after(window);
            let (reader, model) = look_at(
                reader,
                model,
                labels,
                &batches,
                &empties,
                |batch: &mut Batch, now| {
                    let tgid = batch.push_applied(
                        now.event,
                        now.model,
                        now.labels,
                        now.applied,
                        now.before,
                    );
                    slicer.after(now.event, tgid, now.model, batch.ended_mut());
                },
            );
            (slicer, model, reader)
        });
        for batch in looked.iter() {
            let mut batch = batch.with_context(|| {
                notice(lang, &Notice::CannotReplay(trace.display().to_string()))
            })?;
            doc.batch(&batch)?;
            batch.clear();
            let _ = recycle.try_send(batch);
        }
        modeler
            .join()
            .map_err(|_| anyhow::anyhow!("the export's model thread panicked"))
    })?;
    slicer.finish(&model, &mut doc)?;
    for w in reader.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", trace.display());
    }
    Ok(doc.finish()?)
}
