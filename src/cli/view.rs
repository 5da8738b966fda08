//! `forkscope view`: the interactive terminal stepper (see [`crate::tui`]).

use super::style::Style;
use super::ViewArgs;

/// Runs `forkscope view`, in the language `--lang` (or the locale) chose.
pub fn run(args: ViewArgs, style: Style) -> anyhow::Result<i32> {
    // The language cli::run resolved once; read here, at the CLI edge, and
    // passed down (the view reads no thread-local).
    let lang = crate::words::lang::current();
    crate::tui::run(&args.trace, style, lang)
}
