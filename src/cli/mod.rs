//! The command line: clap definitions (each field's doc comment is its help
//! text) and one function per subcommand. The only place that prints for the
//! user and decides exit codes.

pub mod record;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

/// forkscope: see which processes a program spawns, which fds each holds,
/// and which process keeps a pipe open.
///
/// Record a program once (`forkscope record -- CMD`), then replay the trace
/// as often as you like: replay rebuilds the process tree and fd tables from
/// the recorded events, without running anything again.
#[derive(Debug, Parser)]
#[command(name = "forkscope", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command under the tracer and write its process/fd timeline.
    ///
    /// The command runs exactly as from the shell (same terminal, stdio,
    /// environment and signals) and forkscope exits with its exit status
    /// (128+N if it was killed by signal N).
    ///
    /// Example: forkscope record -o build.jsonl -- make -j2
    #[command(visible_alias = "r")]
    Record(RecordArgs),
}

/// Arguments of `forkscope record`.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Write the trace here (default: forkscope-CMD-TIMESTAMP.jsonl in the current directory).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also record the environment (off by default: environments hold secrets).
    #[arg(long)]
    pub env: bool,

    /// Do not print the summary at the end.
    #[arg(short, long)]
    pub quiet: bool,

    /// The command to run and its arguments (put `--` before it).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Record(args) => record::run(args),
    }
}
