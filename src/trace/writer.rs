//! Writes a trace incrementally. Events are appended to a buffer of whole
//! lines and handed to the kernel with one `write(2)` by [`TraceWriter::flush`],
//! which the tracer calls each time before it waits for the next ptrace stop:
//! after it has resumed the tracee, so the write does not delay the traced
//! program. If the tracer dies (even by SIGKILL) the file holds every event up
//! to the last stop it finished handling, in complete lines.

use super::event::{Event, EventKind, Header, Pid};
use super::TraceError;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// An open trace file being written.
pub struct TraceWriter {
    // `line` holds whole lines not yet written.
    file: File,
    path: PathBuf,
    line: Vec<u8>,
    next_seq: u64,
    start: Instant,
}

impl TraceWriter {
    /// Creates (truncates) `path` and writes the header line. The file is
    /// opened close-on-exec so traced programs never inherit it.
    pub fn create(path: &Path, header: &Header) -> Result<TraceWriter, TraceError> {
        let file = File::create(path).map_err(|e| TraceError::Io {
            path: path.to_path_buf(),
            err: e,
        })?;
        let mut w = TraceWriter {
            file,
            path: path.to_path_buf(),
            line: Vec::with_capacity(4096),
            next_seq: 0,
            start: Instant::now(),
        };
        serde_json::to_writer(&mut w.line, header).expect("header serialises");
        w.line.push(b'\n');
        w.flush()?;
        Ok(w)
    }

    /// The instant `ts_ns` counts from.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Where the trace goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of events written so far.
    pub fn events_written(&self) -> u64 {
        self.next_seq
    }

    /// Appends one event, stamped with the next seq and the time now, to the
    /// buffer (see [`TraceWriter::flush`]). A large buffer is written at once.
    pub fn emit(&mut self, pid: Pid, kind: EventKind) -> Result<u64, TraceError> {
        let seq = self.next_seq;
        let ev = Event {
            seq,
            ts_ns: self.start.elapsed().as_nanos() as u64,
            pid,
            kind,
        };
        serde_json::to_writer(&mut self.line, &ev).expect("events serialise");
        self.line.push(b'\n');
        self.next_seq += 1;
        if self.line.len() >= 1 << 16 {
            self.flush()?;
        }
        Ok(seq)
    }

    /// Writes the buffered lines to the file.
    pub fn flush(&mut self) -> Result<(), TraceError> {
        if self.line.is_empty() {
            return Ok(());
        }
        self.flush_line()?;
        self.line.clear();
        Ok(())
    }

    fn flush_line(&mut self) -> Result<(), TraceError> {
        self.file.write_all(&self.line).map_err(|e| TraceError::Io {
            path: self.path.clone(),
            err: e,
        })
    }
}

impl Drop for TraceWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
