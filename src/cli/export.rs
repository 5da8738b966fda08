//! `forkscope export`: replay a trace and write it for other tools, as
//! Chrome trace-event JSON for ui.perfetto.dev and chrome://tracing
//! ([`crate::render::perfetto`], which reads the trace twice) or as the
//! normalized JSON event stream ([`crate::render::json`], one pass), to a
//! file (`-o`) or to stdout.

use super::{ExportArgs, ExportFormat};
use crate::model::labels::Labels;
use crate::model::Model;
use crate::render::json::{JsonExport, Prior, Seen};
use crate::trace::{Header, TraceReader};
use crate::words::diagram::{notice, Notice};
use crate::words::Lang;
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

mod perfetto;

/// Runs `forkscope export`.
pub fn run(args: ExportArgs, lang: Lang) -> Result<i32> {
    let Some(path) = &args.output else {
        let stdout = io::stdout();
        // A closed stdout (`| head`) comes back as a BrokenPipe error, which
        // main ends quietly.
        export(
            &args.trace,
            args.format,
            lang,
            BufWriter::new(stdout.lock()),
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
        ExportFormat::Json => {
            let reader = open(trace, lang)?;
            let mut doc = JsonExport::new(out)?;
            walk(reader, trace, lang, true, |seen| doc.event(seen))?;
            Ok(doc.finish()?)
        }
        ExportFormat::Perfetto => perfetto::export(trace, lang, out),
    }
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
fn walk<R: BufRead>(
    mut reader: TraceReader<R>,
    trace: &Path,
    lang: Lang,
    warn: bool,
    mut visit: impl FnMut(&Seen) -> io::Result<()>,
) -> Result<(Header, Model)> {
    let mut model = Model::new();
    let mut labels = Labels::default();
    while let Some(event) = reader
        .next_ref()
        .with_context(|| notice(lang, &Notice::CannotReplay(trace.display().to_string())))?
    {
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
    if warn {
        for w in reader.take_warnings() {
            crate::errln!("forkscope: warning: {}: {w}", trace.display());
        }
    }
    Ok((reader.header().clone(), model))
}
