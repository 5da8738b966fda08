//! Writes a trace incrementally: every event goes to the kernel as one
//! `write(2)` of one complete line the moment it is recorded, so if the tracer
//! dies (even by SIGKILL) every event before that point is in the file.

use super::event::{Event, EventKind, Header, Pid};
use super::TraceError;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// An open trace file being written.
pub struct TraceWriter {
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
        w.line.clear();
        serde_json::to_writer(&mut w.line, header).expect("header serialises");
        w.line.push(b'\n');
        w.flush_line()?;
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

    /// Appends one event, stamped with the next seq and the time now.
    pub fn emit(&mut self, pid: Pid, kind: EventKind) -> Result<u64, TraceError> {
        let seq = self.next_seq;
        let ev = Event {
            seq,
            ts_ns: self.start.elapsed().as_nanos() as u64,
            pid,
            kind,
        };
        self.line.clear();
        serde_json::to_writer(&mut self.line, &ev).expect("events serialise");
        self.line.push(b'\n');
        self.flush_line()?;
        self.next_seq += 1;
        Ok(seq)
    }

    fn flush_line(&mut self) -> Result<(), TraceError> {
        self.file.write_all(&self.line).map_err(|e| TraceError::Io {
            path: self.path.clone(),
            err: e,
        })
    }
}
