//! The trace file: a versioned JSON Lines timeline (format in
//! `docs/trace-format.md`). Owns the schema, writing and reading; knows
//! nothing of ptrace or of the model built from it.

pub mod bytes;
pub mod event;
pub mod hang;
mod quick;
pub mod reader;
pub mod signal;
pub mod writer;

pub use bytes::RawStr;
pub use event::*;
pub use reader::{read_all, ReadWarning, TraceReader};
pub use signal::{errno_name, Sig};
pub use writer::{TraceWriter, WriteFailure};

use std::path::PathBuf;

/// Errors reading or writing a trace file.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The file could not be opened, read or written.
    #[error("{}: {err}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error (shown in the message, so not also chained as a source).
        err: std::io::Error,
    },
    /// A line is not what the format says.
    #[error("{}: line {line}: {msg}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        msg: String,
    },
}
