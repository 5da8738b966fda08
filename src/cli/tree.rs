//! `forkscope tree` (being written).

use super::*;

/// Runs the subcommand.
pub fn run(_args: TreeArgs, _style: style::Style) -> anyhow::Result<i32> {
    anyhow::bail!("forkscope tree is not available yet")
}
