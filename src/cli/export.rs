//! `forkscope export`: replay a trace and write it for other tools, as
//! Chrome trace-event JSON for ui.perfetto.dev and chrome://tracing
//! ([`crate::render::perfetto`]) or as the normalized JSON event stream
//! ([`crate::render::json`]), each in one pass over the trace, to a file
//! (`-o`) or to stdout.

use super::{ExportArgs, ExportFormat};
use crate::model::labels::Labels;
use crate::model::Model;
use crate::render::json::{JsonExport, Prior, Seen};
use crate::render::json_stream::{Before, JsonStream, Looks, Take};
use crate::trace::{Event, Header, TraceError, TraceReader};
use crate::words::diagram::{notice, Notice};
use crate::words::Lang;
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::mpsc;

mod perfetto;

/// Runs `forkscope export`.
pub fn run(args: ExportArgs, lang: Lang) -> Result<i32> {
    let Some(path) = &args.output else {
        // A closed stdout (`| head`) comes back as a BrokenPipe error, which
        // main ends quietly.
        export(
            &args.trace,
            args.format,
            lang,
            BufWriter::new(super::out::stdout()),
        )?
        .flush()?;
        return Ok(0);
    };
    refuse_to_overwrite(&args.trace, path, lang)?;
    let file = File::create(path)
        .with_context(|| notice(lang, &Notice::CannotCreate(path.display().to_string())))?;
    let written =
        export(&args.trace, args.format, lang, BufWriter::new(file)).and_then(|mut out| {
            out.flush()
                .with_context(|| notice(lang, &Notice::CannotWrite(path.display().to_string())))
        });
    if let Err(e) = written {
        // Leave no half-written document behind.
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    super::say_wrote(lang, path);
    Ok(0)
}

/// `-o` naming the trace itself would truncate it before it is read.
fn refuse_to_overwrite(trace: &Path, output: &Path, lang: Lang) -> Result<()> {
    if let (Ok(t), Ok(o)) = (std::fs::metadata(trace), std::fs::metadata(output)) {
        if (t.dev(), t.ino()) == (o.dev(), o.ino()) {
            bail!(
                "{}",
                notice(lang, &Notice::IsTheTrace(output.display().to_string()))
            )
        }
    }
    Ok(())
}

/// Writes the export of the trace at `trace` in `format` to `out` and hands
/// `out` back, not flushed. Reader warnings go to stderr.
/// The export's words (`effect`, `closed`) are in `lang`.
pub fn export<W: Write>(trace: &Path, format: ExportFormat, lang: Lang, out: W) -> Result<W> {
    match format {
        ExportFormat::Json => export_json(trace, lang, out),
        ExportFormat::Perfetto => perfetto::export(trace, lang, out),
    }
}

/// The JSON export as [`JsonExport`] writes it, one `serde_json::Value`
/// per event: slow, and kept as the reference the fast writer
/// ([`JsonStream`]) is tested against.
pub fn export_json_reference<W: Write>(trace: &Path, lang: Lang, out: W) -> Result<W> {
    let reader = open(trace, lang)?;
    let mut doc = JsonExport::new(out)?;
    walk(reader, trace, lang, false, |seen| doc.event(seen))?;
    Ok(doc.finish()?)
}

/// The JSON export on three threads joined by bounded channels: the
/// reader's thread parses the trace ([`TraceReader::open`] reads ahead), a
/// model thread replays the events (lent by the reader, which frees them
/// where it made them) and takes what the model says about each, with the
/// event's call and fields ([`Looks`]: the process, the program, the
/// sentence's facts, the pipe, the fd replaced), and this thread words,
/// escapes and writes the elements. The model thread hands over [`BATCH`]
/// events at a time, at most [`IN_FLIGHT`] batches ahead, so memory stays
/// bounded whatever the trace's length. The bytes, warnings and errors are
/// what one thread doing the same in order gives: the elements of the
/// events before a read error are written, in blocks of
/// [`crate::render::json_stream::BLOCK`], before the error is returned.
fn export_json<W: Write>(trace: &Path, lang: Lang, out: W) -> Result<W> {
    let reader = open(trace, lang)?;
    let mut doc = JsonStream::new(out);
    let mut words = String::new();
    std::thread::scope(|s| -> Result<()> {
        let (batches, looked) = mpsc::sync_channel::<Result<Looks, TraceError>>(IN_FLIGHT);
        let (recycle, empties) = mpsc::sync_channel::<Looks>(IN_FLIGHT + 2);
        // Owned here, so that an early return (a closed stdout) drops it and
        // the model thread's next send fails, before the scope waits for it.
        let looked = looked;
        let take = Take {
            program: true,
            words: true,
        };
        let modeler = s.spawn(move || {
            // Each event is written as it comes: reaped processes can go.
            let (mut model, mut labels) = (Model::new(), Labels::default());
            model.forget_reaped(crate::replay::forget_window());
            labels.forget_released_after(crate::replay::forget_window());
            look_at(
                reader,
                model,
                labels,
                &batches,
                &empties,
                |looks: &mut Looks, now| {
                    looks.push(
                        now.event,
                        now.model,
                        now.labels,
                        now.applied,
                        now.before,
                        take,
                    );
                },
            )
            .0
        });
        for batch in looked.iter() {
            let mut batch = batch.with_context(|| {
                notice(lang, &Notice::CannotReplay(trace.display().to_string()))
            })?;
            for i in 0..batch.len() {
                doc.write_with(|buf, first| batch.write(i, buf, &mut words, lang, first))?;
            }
            batch.clear();
            // Back to the model thread, to be filled again.
            let _ = recycle.try_send(batch);
        }
        let mut reader = modeler
            .join()
            .map_err(|_| anyhow::anyhow!("the export's model thread panicked"))?;
        for w in reader.take_warnings() {
            crate::errln!("forkscope: warning: {}: {w}", trace.display());
        }
        Ok(())
    })?;
    Ok(doc.finish()?)
}

/// A batch of events as the model thread fills it: what the model said
/// about them ([`Looks`]), and whatever else a writer keeps of each.
pub(crate) trait Batch: Send {
    /// An empty batch.
    fn empty() -> Self;
    /// What the model said about its events.
    fn looks(&mut self) -> &mut Looks;
    /// How many events it holds.
    fn len(&self) -> usize;
}

impl Batch for Looks {
    fn empty() -> Self {
        Looks::default()
    }
    fn looks(&mut self) -> &mut Looks {
        self
    }
    fn len(&self) -> usize {
        Looks::len(self)
    }
}

/// One event as the model thread sees it: applied to `model` (which said
/// `applied`), with what [`Looks::before`] read before; `labels` have seen it.
pub(crate) struct Now<'a> {
    event: &'a Event,
    model: &'a Model,
    labels: &'a Labels,
    applied: &'a crate::model::Applied,
    before: Before,
}

/// The exports' model thread: replays every event of `reader` into
/// `model` and `labels` (empty; forgetting or not, as the export needs)
/// and sends
/// them in batches of [`BATCH`], with what `look` took of each, to
/// `batches` (reusing the emptied batches that come back on `empties`); a
/// read error is sent after the events before it, and ends the replay.
/// Stops early when the receiver is gone (the export stopped). Hands back
/// the reader, for its warnings, and the model after the last event
/// replayed.
fn look_at<B: Batch>(
    mut reader: TraceReader<BufReader<File>>,
    mut model: Model,
    mut labels: Labels,
    batches: &mpsc::SyncSender<Result<B, TraceError>>,
    empties: &mpsc::Receiver<B>,
    mut look: impl FnMut(&mut B, Now),
) -> (TraceReader<BufReader<File>>, Model) {
    let fresh = || empties.try_recv().unwrap_or_else(|_| B::empty());
    let mut batch = fresh();
    loop {
        let ev = match reader.next_ref() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => {
                if batch.len() > 0 && batches.send(Ok(batch)).is_err() {
                    return (reader, model);
                }
                let _ = batches.send(Err(e));
                return (reader, model);
            }
        };
        labels.observe(ev);
        let before = batch.looks().before(&model, ev, &labels);
        let applied = model.apply(ev);
        look(
            &mut batch,
            Now {
                event: ev,
                model: &model,
                labels: &labels,
                applied: &applied,
                before,
            },
        );
        labels.forget_released(&applied);
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, fresh());
            if batches.send(Ok(full)).is_err() {
                return (reader, model);
            }
        }
    }
    if batch.len() > 0 {
        let _ = batches.send(Ok(batch));
    }
    (reader, model)
}

fn open(trace: &Path, lang: Lang) -> Result<TraceReader<BufReader<File>>> {
    TraceReader::open(trace)
        .with_context(|| notice(lang, &Notice::CannotRead(trace.display().to_string())))
}

/// Replays the trace once, handing every event to `visit` with what the
/// model knew just before it and the model after it; returns the header and
/// the final model. With `warn`, prints the reader's warnings.
///
/// This is [`crate::replay::Replay::step`]'s loop (labels, the look before,
/// apply), driven here because an export also needs the model just before
/// each event (the pipe a `close` or `dup2` lets go of) and `step` applies
/// an event in one go.
///
/// Two threads: one reads and parses the trace, in batches of [`BATCH`]
/// events, while this one replays and writes the batch before (the machine
/// time of an export is about half parsing, half the rest). At most
/// [`IN_FLIGHT`] batches wait between them, so memory stays bounded
/// whatever the trace's length; the events, warnings and errors come out
/// exactly as one thread would give them.
fn walk<R: BufRead + Send>(
    mut reader: TraceReader<R>,
    trace: &Path,
    lang: Lang,
    warn: bool,
    mut visit: impl FnMut(&Seen) -> io::Result<()>,
) -> Result<(Header, Model)> {
    let mut model = Model::new();
    let mut labels = Labels::default();
    let (batches, parsed) = mpsc::sync_channel::<Result<Vec<Event>, TraceError>>(IN_FLIGHT);
    let (recycle, empties) = mpsc::sync_channel::<Vec<Event>>(IN_FLIGHT + 2);
    std::thread::scope(|s| -> Result<(Header, Model)> {
        // Owned here, so that an early return (a closed stdout) drops it
        // and the parser's next send fails, before the scope waits for the
        // parser.
        let parsed = parsed;
        let parser = s.spawn(move || {
            parse_in_batches(&mut reader, &batches, &empties);
            reader
        });
        for batch in parsed.iter() {
            let batch = batch.with_context(|| {
                notice(lang, &Notice::CannotReplay(trace.display().to_string()))
            })?;
            for event in &batch {
                labels.observe(event);
                let prior = Prior::capture(&model, event, &labels);
                let applied = model.apply(event);
                visit(&Seen {
                    event,
                    prior: &prior,
                    applied: &applied,
                    model: &model,
                    labels: &labels,
                    lang,
                })?;
            }
            // Back to the parsing thread, which frees the events it made.
            let _ = recycle.try_send(batch);
        }
        let mut reader = parser
            .join()
            .map_err(|_| anyhow::anyhow!("the trace reader thread panicked"))?;
        if warn {
            for w in reader.take_warnings() {
                crate::errln!("forkscope: warning: {}: {w}", trace.display());
            }
        }
        Ok((reader.header().clone(), std::mem::take(&mut model)))
    })
}

/// Events per batch handed from the parsing thread to the replaying one.
const BATCH: usize = 1024;
/// Batches parsed ahead at most.
const IN_FLIGHT: usize = 4;

/// Reads every event of `reader` into batches sent to `batches` (reusing
/// the emptied ones that come back on `empties`); an error is sent after
/// the events before it, and ends the reading. Stops early when the
/// receiver is gone (the export stopped).
fn parse_in_batches<R: BufRead>(
    reader: &mut TraceReader<R>,
    batches: &mpsc::SyncSender<Result<Vec<Event>, TraceError>>,
    empties: &mpsc::Receiver<Vec<Event>>,
) {
    loop {
        let mut batch = empties
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        batch.clear();
        let mut end = None;
        while batch.len() < BATCH {
            match reader.next_event() {
                Ok(Some(e)) => batch.push(e),
                Ok(None) => {
                    end = Some(None);
                    break;
                }
                Err(e) => {
                    end = Some(Some(e));
                    break;
                }
            }
        }
        if !batch.is_empty() && batches.send(Ok(batch)).is_err() {
            return;
        }
        match end {
            None => {}
            Some(None) => return,
            Some(Some(e)) => {
                let _ = batches.send(Err(e));
                return;
            }
        }
    }
}
