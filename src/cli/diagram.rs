//! `forkscope diagram` (being written).

use super::*;

/// Runs the subcommand.
pub fn run(_args: DiagramArgs, _style: style::Style) -> anyhow::Result<i32> {
    anyhow::bail!("forkscope diagram is not available yet")
}
