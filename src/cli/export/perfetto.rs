//! `forkscope export --format perfetto` ([`crate::render::perfetto`]) in one
//! pass over the trace, on three threads joined by bounded channels:
//!
//! 1. the reader's thread parses the trace ([`super::open`] reads ahead);
//! 2. a model thread replays the events (pipe names, the model just before
//!    and after each event), shows each to the [`Planner`] and puts what its
//!    element needs into a [`Batch`] (the call, the sentence, the pipe, the
//!    fields, already JSON);
//! 3. this thread writes the batches' elements to a [`Spool`], an unnamed
//!    temporary file.
//!
//! The document's metadata comes first and names each process by its last
//! program, and each slice is written at the event that starts it with its
//! length: both need the end of the trace. So once the trace is replayed the
//! planner makes the plan from the final model, and this thread writes the
//! metadata, then the spooled elements with the slices between them. The
//! bytes are those of the plan-first, two-pass export ([`PerfettoExport`]
//! fed batch by batch); the trace is read and replayed once, and memory holds
//! the model and the plan's slices, not the elements (they wait on disk).

use crate::model::labels::Labels;
use crate::model::Model;
use crate::render::json::{Prior, Seen};
use crate::render::perfetto::{Batch, PerfettoExport, Plan, Planner, Spool};
use crate::trace::{TraceError, TraceReader};
use crate::words::diagram::{notice, Notice};
use crate::words::Lang;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

/// Events per batch handed between threads.
const BATCH: usize = 1024;

/// Batches in flight: the bound on what waits between the threads.
const IN_FLIGHT: usize = 8;

/// Writes the Perfetto export of the trace at `trace` to `out` and hands
/// `out` back, not flushed. Reader warnings go to stderr, before anything
/// is written to `out`; a trace that cannot be read writes nothing.
pub(super) fn export<W: Write>(trace: &Path, lang: Lang, out: W) -> Result<W> {
    let replay_err = || notice(lang, &Notice::CannotReplay(trace.display().to_string()));
    let reader = super::open(trace, lang)?;
    let header = reader.header().clone();
    let mut spool = Spool::new(BufWriter::with_capacity(1 << 16, temporary()?));
    let (plan, mut reader) = thread::scope(|s| -> Result<_> {
        let (batches, looked) = sync_channel::<Batch>(IN_FLIGHT);
        let (recycle, empties) = sync_channel::<Batch>(IN_FLIGHT + 2);
        // Owned here, so that an early return (a spool that cannot be
        // written) drops it and the model thread's next send fails, before
        // the scope waits for it.
        let looked = looked;
        let modeler = s.spawn(move || look(reader, lang, &batches, &empties));
        for mut batch in looked.iter() {
            spool
                .batch(&batch)
                .context("cannot write the export's temporary file")?;
            batch.clear();
            let _ = recycle.try_send(batch);
        }
        let (plan, reader) = modeler
            .join()
            .map_err(|_| anyhow::anyhow!("the export's model thread panicked"))?;
        Ok((plan.with_context(replay_err)?, reader))
    })?;
    for w in reader.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", trace.display());
    }
    let mut spooled = spool
        .into_inner()
        .into_inner()
        .map_err(|e| e.into_error())
        .context("cannot write the export's temporary file")?;
    spooled
        .seek(SeekFrom::Start(0))
        .context("cannot read the export's temporary file")?;
    let mut doc = PerfettoExport::new(out, &header, plan)?;
    doc.unspool(spooled)?;
    Ok(doc.finish()?)
}

/// An unnamed file in the temporary directory (`$TMPDIR`, else `/tmp`),
/// gone once closed: `O_TMPFILE` where the file system has it, else a
/// file removed as soon as it is made.
fn temporary() -> Result<File> {
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
    let path = dir.join(format!(
        ".forkscope-export-{}-{nanos}",
        std::process::id()
    ));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let _ = std::fs::remove_file(&path);
    Ok(f)
}

/// The model thread: replays every event of `reader` as the export sees it
/// (pipe names, the model just before each event and after it), shows it to
/// the planner and sends the events' [`Batch`]es to `batches` (reusing the
/// emptied ones from `empties`). Returns the plan (or the read error that
/// ended the replay) and the reader, for its warnings; stops early when the
/// receiver is gone.
fn look(
    mut reader: TraceReader<BufReader<File>>,
    lang: Lang,
    batches: &SyncSender<Batch>,
    empties: &Receiver<Batch>,
) -> (Result<Plan, TraceError>, TraceReader<BufReader<File>>) {
    let mut model = Model::new();
    let mut labels = Labels::default();
    let mut planner = Planner::new();
    let fresh = || {
        empties
            .try_recv()
            .unwrap_or_else(|_| Batch::with_capacity(BATCH))
    };
    let mut batch = fresh();
    loop {
        let ev = match reader.next_ref() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => return (Err(e), reader),
        };
        labels.observe(ev);
        let prior = Prior::capture(&model, ev, &labels);
        let applied = model.apply(ev);
        let seen = Seen {
            event: ev,
            prior: &prior,
            applied: &applied,
            model: &model,
            labels: &labels,
            lang,
        };
        planner.observe(&seen);
        batch.push(&seen);
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, fresh());
            if batches.send(full).is_err() {
                return (Ok(Plan::default()), reader);
            }
        }
    }
    if !batch.is_empty() && batches.send(batch).is_err() {
        return (Ok(Plan::default()), reader);
    }
    (Ok(planner.finish(&model)), reader)
}
