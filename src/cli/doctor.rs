//! `forkscope doctor` (being written).

use super::*;

/// Runs the subcommand.
pub fn run(_args: DoctorArgs, _style: style::Style) -> anyhow::Result<i32> {
    anyhow::bail!("forkscope doctor is not available yet")
}
