//! `forkscope record`: trace a command, print the summary, exit with its status.

use super::RecordArgs;
use crate::record::{self, RecordError, RecordOptions};

/// Records and returns the command's exit code (or forkscope's own failure code).
pub fn run(args: RecordArgs) -> anyhow::Result<i32> {
    let opts = RecordOptions {
        argv: args.command.clone(),
        output: args.output,
        env: args.env,
    };
    match record::record(&opts) {
        Ok(out) => {
            let argv0 = args.command[0].to_string_lossy();
            if let Some(errno) = out.exec_error {
                // As a shell says it: the command never ran.
                eprintln!(
                    "forkscope: {argv0}: cannot execute: {}",
                    nix::errno::Errno::from_raw(errno).desc()
                );
                return Ok(out.exit_code());
            }
            if !args.quiet {
                eprintln!("{}", out.summary(&argv0));
            }
            Ok(out.exit_code())
        }
        Err(e @ (RecordError::NotFound { .. } | RecordError::NotExecutable { .. })) => {
            eprintln!("forkscope: {e}");
            Ok(e.exit_code())
        }
        Err(e) => Err(e.into()),
    }
}
