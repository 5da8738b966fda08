//! Writes a trace incrementally. Events are appended to a buffer of whole
//! lines and handed to the kernel with one `write(2)` by [`TraceWriter::flush`],
//! which the tracer calls each time before it waits for the next ptrace stop:
//! after it has resumed the tracee, so the write does not delay the traced
//! program. If the tracer dies (even by SIGKILL) the file holds every event up
//! to the last stop it finished handling, in complete lines.
//!
//! When a write fails (a full disk, a reader that closed the pipe), the
//! writer keeps only whole lines: a partly written last line is cut off the
//! file (when it is a regular file), the failure is kept ([`TraceWriter::failure`])
//! and every later event is dropped without a write. The recorder then lets
//! the program run on unrecorded.

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
    /// Bytes of whole lines in the file.
    durable: u64,
    /// Events in the file.
    durable_events: u64,
    /// Why writing stopped, once it did.
    failure: Option<WriteFailure>,
}

/// Why a trace stopped being written, and where.
#[derive(Debug, Clone)]
pub struct WriteFailure {
    /// Events 0..at_event are in the file, in whole lines; the rest are not.
    pub at_event: u64,
    /// The write error.
    pub error: std::io::ErrorKind,
    /// The error as the OS says it, with the file's name.
    pub message: String,
}

/// Creates (truncates) `path`; `-` is a close-on-exec duplicate of stdout.
fn open_trace_file(path: &Path) -> std::io::Result<File> {
    if path.as_os_str() == "-" {
        use std::os::fd::AsFd;
        return Ok(File::from(std::io::stdout().as_fd().try_clone_to_owned()?));
    }
    File::create(path)
}

impl TraceWriter {
    /// Creates (truncates) `path` and writes the header line. The file is
    /// opened close-on-exec so traced programs never inherit it.
    pub fn create(path: &Path, header: &Header) -> Result<TraceWriter, TraceError> {
        let file = open_trace_file(path).map_err(|e| TraceError::Io {
            path: path.to_path_buf(),
            err: e,
        })?;
        let mut w = TraceWriter {
            file,
            path: path.to_path_buf(),
            line: Vec::with_capacity(4096),
            next_seq: 0,
            start: Instant::now(),
            durable: 0,
            durable_events: 0,
            failure: None,
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
        let ts_ns = self.start.elapsed().as_nanos() as u64;
        self.emit_at(pid, kind, ts_ns)
    }

    /// [`TraceWriter::emit`] with the time given (nanoseconds since
    /// [`TraceWriter::start`]): the eBPF recorder stamps events with the
    /// kernel's clock when they happened, not when they were read.
    pub fn emit_at(&mut self, pid: Pid, kind: EventKind, ts_ns: u64) -> Result<u64, TraceError> {
        let seq = self.next_seq;
        if self.failure.is_some() {
            self.next_seq += 1;
            return Ok(seq);
        }
        let ev = Event {
            seq,
            ts_ns,
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

    /// Writes the buffered lines to the file. The first failure is
    /// returned (and kept, see [`TraceWriter::failure`]); after it, nothing
    /// more is written and this returns `Ok`.
    pub fn flush(&mut self) -> Result<(), TraceError> {
        if self.line.is_empty() {
            return Ok(());
        }
        if self.failure.is_some() {
            self.line.clear();
            return Ok(());
        }
        let r = self.flush_line();
        self.line.clear();
        r
    }

    /// Why writing stopped, if it did.
    pub fn failure(&self) -> Option<&WriteFailure> {
        self.failure.as_ref()
    }

    fn flush_line(&mut self) -> Result<(), TraceError> {
        let mut done = 0;
        while done < self.line.len() {
            match self.file.write(&self.line[done..]) {
                Ok(0) => {
                    return self.failed(done, std::io::Error::from(std::io::ErrorKind::WriteZero))
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return self.failed(done, e),
            }
        }
        self.durable += done as u64;
        // Every buffered line is an event (the header is written by
        // `create` before any event exists).
        self.durable_events = self.next_seq;
        Ok(())
    }

    /// A write failed after `done` bytes of the buffer went out: keep the
    /// whole lines among them, cut a partial one off the file, remember why.
    fn failed(&mut self, done: usize, err: std::io::Error) -> Result<(), TraceError> {
        let sent = &self.line[..done];
        let whole = sent.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        self.durable_events += sent[..whole].iter().filter(|b| **b == b'\n').count() as u64;
        self.durable += whole as u64;
        if whole < done {
            // Only a regular file can be cut; a pipe's reader has the bytes already.
            let _ = self.file.set_len(self.durable);
        }
        let kind = err.kind();
        let e = TraceError::Io {
            path: self.path.clone(),
            err,
        };
        self.failure = Some(WriteFailure {
            at_event: self.durable_events,
            error: kind,
            message: e.to_string(),
        });
        Err(e)
    }
}

impl Drop for TraceWriter {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
