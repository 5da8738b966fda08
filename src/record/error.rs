//! The errors of the recording layer: a command that cannot be started, a
//! ptrace or wait request that failed, a trace that cannot be written. Each
//! carries what a reader needs (the command, the pid, the errno), and knows
//! the exit code a shell would give for it.

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

impl RecordError {
    /// The exit code a shell would give for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            RecordError::NotFound { .. } => 127,
            RecordError::NotExecutable { .. } => 126,
            _ => super::TRACE_FAILED_EXIT,
        }
    }
}
