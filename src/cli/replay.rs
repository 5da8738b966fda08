//! `forkscope replay` (being written).

use super::*;

/// Runs the subcommand.
pub fn run(_args: ReplayArgs, _style: style::Style) -> anyhow::Result<i32> {
    anyhow::bail!("forkscope replay is not available yet")
}
