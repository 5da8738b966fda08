//! `forkscope view`: the interactive terminal stepper (see [`crate::tui`]).

use super::style::Style;
use super::{Exit, RecordArgs, ViewArgs};
use crate::words::Lang;

/// Runs `forkscope view`, in the language `--lang` (or the locale) chose.
pub fn run(args: ViewArgs, style: Style, lang: Lang) -> anyhow::Result<i32> {
    // The language cli::run resolved once; read here, at the CLI edge, and
    // passed down (the view reads no thread-local).
    crate::tui::run(&args.trace, style, lang)
}

/// Runs `forkscope record --tui`: the recorder on a pseudo-terminal under
/// the view (see [`crate::tui::live`]); ends as the recorder did, so as
/// the program did (its status, or its signal).
pub fn record(args: RecordArgs, style: Style, lang: Lang) -> anyhow::Result<Exit> {
    use crate::tui::facts::Refusal;
    use std::os::unix::process::ExitStatusExt;
    crate::tui::needs_terminal(lang)?;
    if args.output.as_deref() == Some(std::path::Path::new("-")) {
        let said = crate::words::tui::refusal(lang, &Refusal::RecordNeedsAFile);
        return Err(anyhow::anyhow!(said));
    }
    let named = args.output.is_some();
    let argv0 = args.command.first().cloned().unwrap_or_default();
    let path = crate::record::output_path(args.output.clone(), &argv0)?;
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let recorder = crate::tui::live::recorder_args(&raw, args.command.len(), &path, named);
    let status = crate::tui::record(&recorder, &path, style, lang)?;
    if let Some(sig) = status.signal() {
        // As plain `record` ends when the program was killed: by the same
        // signal, for the shell that started forkscope.
        crate::record::signals::die_of(sig);
    }
    Ok(Exit::Program(Some(crate::trace::Status::Exited {
        exited: status.code().unwrap_or(1),
    })))
}
