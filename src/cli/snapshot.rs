//! `forkscope snapshot` (being written).

use super::*;

/// Runs the subcommand.
pub fn run(_args: SnapshotArgs, _style: style::Style) -> anyhow::Result<i32> {
    anyhow::bail!("forkscope snapshot is not available yet")
}
