//! `forkscope export` (being written).

use super::*;

/// Runs the subcommand.
pub fn run(_args: ExportArgs) -> anyhow::Result<i32> {
    anyhow::bail!("forkscope export is not available yet")
}
