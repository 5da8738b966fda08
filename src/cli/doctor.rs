//! `forkscope doctor`: replays a trace through every analysis (see
//! [`crate::analysis`]) and prints the findings, as text (coloured when the
//! style says so) or as JSON (see [`crate::render::doctor`]). Exit status 1
//! when a finding is at least as severe as `--fail-on` (default: warning),
//! else 0, so info-only findings (`yes | head -1`'s SIGPIPE) pass; a trace
//! that cannot be read is an error.

use super::*;
use crate::analysis;
use crate::render::doctor as out_doctor;
use crate::trace::TraceReader;
use crate::words::finding as words;
use anyhow::Context as _;
use std::io::{BufWriter, Write};

/// Runs the subcommand.
pub fn run(args: DoctorArgs, style: style::Style, lang: Lang) -> anyhow::Result<i32> {
    // The language is resolved once, at the command line's edge.
    let path = &args.trace;
    let reading = || words::reading_trace(lang);
    let mut reader = TraceReader::open(path).with_context(reading)?;
    let (report, model) = analysis::diagnose_keeping_model(&mut reader).with_context(reading)?;
    // The process exits once the findings are out: freeing the replayed
    // model (every process of the trace) would only cost time.
    std::mem::forget(model);
    for w in reader.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", path.display());
    }
    if report.anomalies > 0 && !args.json {
        crate::errln!("{}", words::anomalies_note(lang, report.anomalies));
    }
    let mut out = BufWriter::new(super::out::stdout());
    if args.json {
        out_doctor::write_json(&mut out, &path.display().to_string(), &report)?;
    } else {
        out_doctor::write_text(&mut out, &report, lang, style)?;
    }
    out.flush()?;
    let failed = report
        .findings
        .iter()
        .any(|f| f.severity >= args.fail_on.severity());
    Ok(i32::from(failed))
}

/// The least severe finding that makes `doctor` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Any finding.
    Info,
    /// A warning or an error.
    Warning,
    /// Only an error.
    Error,
}

impl FailOn {
    /// As a severity.
    pub fn severity(self) -> analysis::Severity {
        match self {
            FailOn::Info => analysis::Severity::Info,
            FailOn::Warning => analysis::Severity::Warning,
            FailOn::Error => analysis::Severity::Error,
        }
    }
}
