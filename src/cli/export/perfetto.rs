//! `forkscope export --format perfetto` ([`crate::render::perfetto`]) in one
//! pass over the trace, on three threads joined by bounded channels:
//!
//! 1. the reader's thread parses the trace ([`super::open`] reads ahead);
//! 2. a model thread replays the events (the model just before and after
//!    each, the events lent by the reader), shows each to the [`Planner`]
//!    and takes what the model says about it into a [`Batch`] (its
//!    process; for an instant, the call, the sentence's facts, the pipe,
//!    the fd replaced and the fields), as export -f json's model thread
//!    does;
//! 3. this thread words, escapes and writes the batches' elements to a
//!    [`Spool`], an unnamed temporary file.
//!
//! The document's metadata comes first and names each process by its last
//! program, and each slice is written at the event that starts it with its
//! length: both need the end of the trace. So once the trace is replayed the
//! planner makes the plan from the final model, and this thread writes the
//! metadata, then the spooled elements with the slices between them. The
//! bytes are those of the plan-first, two-pass export ([`PerfettoExport`]
//! fed batch by batch); the trace is read and replayed once, and memory holds
//! the model and the plan's slices, not the elements (they wait on disk).

use super::look_at;
use crate::model::labels::Labels;
use crate::model::Model;
use crate::render::perfetto::{Batch, PerfettoExport, Planner, Spool};
use crate::trace::TraceError;
use crate::words::diagram::{notice, Notice};
use crate::words::Lang;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
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
/// `out` back, not flushed. Reader warnings go to stderr, before anything
/// is written to `out`; a trace that cannot be read writes nothing.
pub(super) fn export<W: Write>(trace: &Path, lang: Lang, out: W) -> Result<W> {
    let reader = super::open(trace, lang)?;
    let header = reader.header().clone();
    let mut spool = Spool::new(temporary(lang)?, lang);
    let (plan, mut reader) = thread::scope(|s| -> Result<_> {
        let (batches, looked) = sync_channel::<Result<Batch, TraceError>>(IN_FLIGHT);
        let (recycle, empties) = sync_channel::<Batch>(IN_FLIGHT + 2);
        // Owned here, so that an early return (a spool that cannot be
        // written) drops it and the model thread's next send fails, before
        // the scope waits for it.
        let looked = looked;
        let modeler = s.spawn(move || {
            let mut planner = Planner::new();
            // The metadata names every process: the model keeps them all.
            let (reader, model) = look_at(
                reader,
                Model::new(),
                Labels::default(),
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
                    planner.observe_event(now.event, tgid);
                },
            );
            (planner.finish(model), reader)
        });
        for batch in looked.iter() {
            let mut batch = batch.with_context(|| {
                notice(lang, &Notice::CannotReplay(trace.display().to_string()))
            })?;
            spool
                .batch(&batch)
                .context("cannot write the export's temporary file")?;
            batch.clear();
            let _ = recycle.try_send(batch);
        }
        modeler
            .join()
            .map_err(|_| anyhow::anyhow!("the export's model thread panicked"))
    })?;
    for w in reader.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", trace.display());
    }
    let mut spooled = spool
        .finish()
        .context("cannot write the export's temporary file")?;
    spooled
        .seek(SeekFrom::Start(0))
        .context("cannot read the export's temporary file")?;
    let mut doc = PerfettoExport::new(out, &header, plan, lang)?;
    doc.unspool(spooled)?;
    Ok(doc.finish()?)
}

/// An unnamed file in the temporary directory (`$TMPDIR`, else `/tmp`),
/// gone once closed: `O_TMPFILE` where the file system has it, else a
/// file removed as soon as it is made.
fn temporary(lang: Lang) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = std::env::temp_dir();
    let made = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_TMPFILE)
        .mode(0o600)
        .open(&dir);
    if let Ok(f) = made {
        return Ok(f);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let path = dir.join(format!(".forkscope-export-{}-{nanos}", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| notice(lang, &Notice::CannotSpool(dir.display().to_string())))?;
    let _ = std::fs::remove_file(&path);
    Ok(f)
}
