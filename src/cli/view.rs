//! `forkscope view`: the interactive terminal stepper (see [`crate::tui`]).

use super::style::Style;
use super::ViewArgs;
use crate::words::Lang;

/// Runs `forkscope view`, in the language `--lang` (or the locale) chose.
pub fn run(args: ViewArgs, style: Style, lang: Lang) -> anyhow::Result<i32> {
    // The language cli::run resolved once; read here, at the CLI edge, and
    // passed down (the view reads no thread-local).
    crate::tui::run(&args.trace, style, lang)
}
