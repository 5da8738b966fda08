//! The errors of the recording layer: a command that cannot be started, a
//! ptrace or wait request that failed, a trace that cannot be written. Each
//! carries what a reader needs (the command, the pid, the errno); the CLI
//! words it and chooses the exit code (`cli::Exit`).

use crate::trace::TraceError;

/// Errors while recording.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The command was not found (a shell says 127).
    #[error("{cmd}: command not found")]
    NotFound {
        /// The command as given.
        cmd: String,
    },
    /// The command exists but cannot be run (a shell says 126).
    #[error("{cmd}: cannot execute: {why}")]
    NotExecutable {
        /// The command as given.
        cmd: String,
        /// Why.
        why: String,
    },
    /// `record -p PID`: there is no such process.
    #[error("no process {pid}")]
    NoProcess {
        /// The pid asked for.
        pid: i32,
    },
    /// fork failed before the command could start.
    #[error("cannot start the command: fork failed: {errno}{}", if *errno == nix::errno::Errno::EAGAIN { " (the limit on processes is reached: RLIMIT_NPROC, the cgroup's pids.max or kernel.threads-max)" } else { "" })]
    ForkFailed {
        /// Why.
        errno: nix::errno::Errno,
    },
    /// Starting the traced command failed.
    #[error("{msg}")]
    Spawn {
        /// What failed.
        msg: String,
    },
    /// A ptrace or wait request failed unexpectedly.
    #[error("{op} on pid {pid} failed: {errno}")]
    Ptrace {
        /// The request.
        op: &'static str,
        /// The tracee.
        pid: i32,
        /// The error.
        errno: nix::errno::Errno,
    },
    /// Writing the trace failed.
    #[error(transparent)]
    Trace(#[from] TraceError),
}
