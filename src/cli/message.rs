//! What the command line tells a reader, as facts: the errors and notes
//! forkscope itself says (not the traced program's words), and the strace
//! habits a mistyped option betrays. `crate::words::cli` words them in
//! each language; the CLI prints the result.

use std::path::PathBuf;

/// One message of forkscope's own on stderr.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Message {
    /// forkscope itself failed: the error with its causes, as the lower
    /// layers say them (anyhow's `{:#}`: `t.jsonl: line 2: ...`).
    Error {
        /// The error chain.
        chain: String,
    },
    /// A file or folder was written (`-o FILE`, `man --out-dir`).
    Wrote {
        /// What was written.
        path: PathBuf,
    },
    /// `record --live -o -`: the live view follows the trace file.
    LiveNeedsAFile,
    /// `--stall-timeout` of zero, a negative number or one too large.
    StallTimeoutNotPositive,
    /// `--backend ebpf` cannot load on this machine.
    #[cfg_attr(not(feature = "ebpf"), allow(dead_code))]
    EbpfUnavailable {
        /// Why, as the loader says it.
        why: String,
    },
    /// `--backend ebpf` in a build without the `ebpf` feature.
    #[cfg_attr(feature = "ebpf", allow(dead_code))]
    EbpfNotBuilt,
    /// The command's exec failed after it was started (`why`: strerror).
    CannotExecute {
        /// The program's name, raw.
        program: String,
        /// Why, as the C library says it.
        why: String,
    },
    /// The command was not found (exit status 127).
    NotFound {
        /// The command as given.
        cmd: String,
    },
    /// The command exists but cannot be run (exit status 126).
    NotExecutable {
        /// The command as given.
        cmd: String,
        /// Why.
        why: String,
    },
    /// `man NAME` for a subcommand forkscope does not have.
    NoSubcommand {
        /// The name given.
        name: String,
        /// The subcommands there are.
        names: Vec<String>,
    },
    /// The eBPF ring buffer was full: records were lost.
    Lost {
        /// How many.
        records: u64,
    },
}

/// An strace option typed out of habit, and what forkscope does instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StraceHabit {
    /// `-f`: forks are always followed.
    FollowForks,
    /// `-e trace=...`: choose what to show at replay.
    Expr,
    /// `-s`, `-v`: argv and paths are recorded in full.
    StringLimit,
    /// `-t`, `-r`: every event has its time; replay shows it.
    Timestamps,
    /// `-T`: replay --durations.
    SyscallTimes,
    /// `-y`: fds are always decoded.
    DecodeFds,
    /// `-c`, `-C`: the summary, tree and doctor.
    Summary,
    /// `-Z`: replay --failed.
    FailedOnly,
    /// `-z`: replay --successful.
    SuccessfulOnly,
}
