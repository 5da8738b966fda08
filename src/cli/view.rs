//! `forkscope view`: the interactive terminal stepper (see [`crate::tui`]).

use super::style::Style;
use super::ViewArgs;

/// Runs `forkscope view`.
pub fn run(args: ViewArgs, style: Style) -> anyhow::Result<i32> {
    crate::tui::run(&args.trace, style)
}
