//! `forkscope doctor`: replays a trace through every analysis (see
//! [`crate::analysis`]) and prints the findings, as text (coloured when the
//! style says so) or as JSON (see [`crate::render::doctor`]). Exit status 0
//! when nothing is found, 1 when something is; a trace that cannot be read
//! is an error.

use super::*;
use crate::analysis;
use crate::render::doctor as out_doctor;
use crate::trace::TraceReader;
use crate::words::finding as words;
use crate::words::lang;
use anyhow::Context as _;
use std::io::{BufWriter, Write};

/// Runs the subcommand.
pub fn run(args: DoctorArgs, style: style::Style) -> anyhow::Result<i32> {
    // The language is resolved once, at the command line's edge.
    let lang = lang::current();
    let path = &args.trace;
    let reading = || words::reading_trace(lang);
    let mut reader = TraceReader::open(path).with_context(reading)?;
    let report = analysis::diagnose(&mut reader).with_context(reading)?;
    for w in reader.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", path.display());
    }
    if report.anomalies > 0 && !args.json {
        crate::errln!("{}", words::anomalies_note(lang, report.anomalies));
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    if args.json {
        out_doctor::write_json(&mut out, &path.display().to_string(), &report)?;
    } else {
        out_doctor::write_text(&mut out, &report, lang, style)?;
    }
    out.flush()?;
    Ok(if report.findings.is_empty() { 0 } else { 1 })
}
