//! The command line's facts in English.

use crate::cli::message::{Message, StraceHabit};
use crate::words::text::visible;

pub(super) fn message(m: &Message) -> String {
    match m {
        Message::Error { chain } => format!("forkscope: error: {chain}"),
        Message::Wrote { path } => format!("forkscope: wrote {}", path.display()),
        Message::LiveNeedsAFile => {
            "forkscope: --live follows the trace file, so it cannot go with -o -".into()
        }
        Message::StallTimeoutNotPositive => {
            "forkscope: --stall-timeout must be a positive number of seconds".into()
        }
        Message::EbpfUnavailable { why } => {
            format!("forkscope: --backend ebpf cannot run here: {why}")
        }
        Message::EbpfNotBuilt => "forkscope: --backend ebpf needs a forkscope built with the `ebpf` feature (cargo build --features ebpf)".into(),
        Message::CannotExecute { program, why } => {
            format!("forkscope: {}: cannot execute: {why}", visible(program))
        }
        Message::NotFound { cmd } => format!("forkscope: {}: command not found", visible(cmd)),
        Message::NotExecutable { cmd, why } => {
            format!("forkscope: {}: cannot execute: {why}", visible(cmd))
        }
        Message::NoSubcommand { name, names } => format!(
            "forkscope: error: no subcommand {:?}; the subcommands are: {}",
            name,
            names.join(", ")
        ),
        Message::Lost { records } => format!("forkscope: {records} records were lost (the eBPF ring buffer was full): the trace misses what they said (`lost` events mark where)"),
    }
}

pub(super) fn tip(h: StraceHabit) -> &'static str {
    match h {
        StraceHabit::FollowForks => "forks are always followed: forkscope records every process the command starts (no -f needed)",
        StraceHabit::Expr => "forkscope records a fixed set of calls; to choose what to show, use `forkscope replay TRACE --kind exec,pipe,...` (syscall names work too)",
        StraceHabit::StringLimit => "argv and paths are recorded in full; `forkscope tree` shortens long argv and says how much it cut",
        StraceHabit::Timestamps => "every event is recorded with its time; show it with `forkscope replay TRACE -t` (wall clock) or `-r` (since the previous line)",
        StraceHabit::SyscallTimes => "show how long waits, reads and processes lasted with `forkscope replay TRACE --durations`",
        StraceHabit::DecodeFds => "fds are always decoded: `forkscope replay TRACE --at SEQ` shows what every fd is",
        StraceHabit::Summary => "the summary is printed when the recording ends; `forkscope tree TRACE` and `forkscope doctor TRACE` summarize a trace",
        StraceHabit::FailedOnly => "use `forkscope replay TRACE --failed` to show only failed calls",
        StraceHabit::SuccessfulOnly => "use `forkscope replay TRACE --successful` to show only successful calls",
    }
}
