//! The trace behind `forkscope view`, opened for random access: one pass
//! over the file keeps, per event, its byte offset, seq, pid, kind and
//! whether it only opens or closes a file (21 bytes an event), and every
//! [`EVERY`] events a checkpoint: a copy of the model and the pipe labels
//! before that event. Going to any event then replays at most [`EVERY`]
//! events from the nearest checkpoint, so memory follows the live state
//! (times the number of checkpoints) and a jump costs the same anywhere in
//! the trace.

use crate::model::Model;
use crate::render::labels::Labels;
use crate::replay::{Replay, Step};
use crate::trace::{EventKind, Pid, ReadWarning, TraceError, TraceReader};
use std::cell::Cell;
use std::fs::File;
use std::io::{BufRead, BufReader, Chain, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Events between two checkpoints: a jump replays at most this many.
pub const EVERY: usize = 2048;

/// The kind byte of an event of a kind this build does not list.
const UNKNOWN_KIND: u8 = 0x7f;
/// Set in the kind byte when the event only opens or closes a file.
const FILE_ONLY: u8 = 0x80;

/// A reader that counts the bytes consumed through it (the offset of the
/// next line once a line has been read).
struct Counting<R> {
    inner: R,
    pos: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.set(self.pos.get() + n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.pos.set(self.pos.get() + n as u64);
        self.inner.consume(n);
    }
}

/// The model and labels before event `EVERY * i`.
struct Checkpoint {
    model: Model,
    labels: Labels,
}

/// A replay reading from the middle of the trace file.
pub type Resumed = Replay<Chain<Cursor<Rc<[u8]>>, BufReader<File>>>;

/// A trace indexed for random access.
pub struct Index {
    path: PathBuf,
    header_line: Rc<[u8]>,
    /// The traced command line.
    pub title: String,
    offsets: Vec<u64>,
    seqs: Vec<u64>,
    pids: Vec<Pid>,
    kinds: Vec<u8>,
    checkpoints: Vec<Checkpoint>,
    /// What the reader warned about (a truncated tail, unknown kinds).
    pub warnings: Vec<ReadWarning>,
}

impl Index {
    /// Reads the whole trace once.
    pub fn open(path: &Path) -> Result<Index, TraceError> {
        let io = |err| TraceError::Io {
            path: path.to_path_buf(),
            err,
        };
        let file = File::open(path).map_err(io)?;
        let pos = Rc::new(Cell::new(0));
        let input = Counting {
            inner: BufReader::with_capacity(1 << 16, file),
            pos: pos.clone(),
        };
        let reader = TraceReader::new(input, path)?;
        let mut header_line = vec![0; pos.get() as usize];
        File::open(path)
            .and_then(|mut f| f.read_exact(&mut header_line))
            .map_err(io)?;
        let title = crate::render::describe::command_line(&reader.header().argv);
        let mut r = Replay::new(reader);
        let mut ix = Index {
            path: path.to_path_buf(),
            header_line: header_line.into(),
            title,
            offsets: Vec::new(),
            seqs: Vec::new(),
            pids: Vec::new(),
            kinds: Vec::new(),
            checkpoints: Vec::new(),
            warnings: Vec::new(),
        };
        loop {
            let n = ix.offsets.len();
            let at = pos.get();
            if n % EVERY == 0 && ix.checkpoints.len() * EVERY == n {
                ix.checkpoints.push(Checkpoint {
                    model: r.model.clone(),
                    labels: r.labels.clone(),
                });
            }
            let Some(step) = r.step()? else { break };
            ix.offsets.push(at);
            ix.seqs.push(step.event.seq);
            ix.pids.push(step.event.pid);
            let kind = EventKind::KNOWN
                .iter()
                .position(|k| *k == step.event.kind.name())
                .map_or(UNKNOWN_KIND, |k| k as u8);
            let file = if crate::cli::replay::only_about_a_file(&step) {
                FILE_ONLY
            } else {
                0
            };
            ix.kinds.push(kind | file);
        }
        ix.warnings = r.take_warnings();
        Ok(ix)
    }

    /// The trace file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many events.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// No events at all?
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// The seq of event `i`.
    pub fn seq(&self, i: usize) -> u64 {
        self.seqs[i]
    }

    /// The pid of event `i`.
    pub fn pid(&self, i: usize) -> Pid {
        self.pids[i]
    }

    /// The kind of event `i`, as in [`EventKind::KNOWN`] (None if unlisted).
    pub fn kind(&self, i: usize) -> Option<&'static str> {
        EventKind::KNOWN
            .get(usize::from(self.kinds[i] & !FILE_ONLY))
            .copied()
    }

    /// Does event `i` only open or close a regular file (see
    /// [`crate::cli::replay::only_about_a_file`])?
    pub fn file_only(&self, i: usize) -> bool {
        self.kinds[i] & FILE_ONLY != 0
    }

    /// The first event whose seq is `seq` or later.
    pub fn by_seq(&self, seq: u64) -> usize {
        self.seqs.partition_point(|s| *s < seq)
    }

    /// Bytes held by the index and the checkpoints (an estimate of the
    /// checkpoints: their census times a generous size per item).
    pub fn memory(&self) -> (usize, usize) {
        let per_event = std::mem::size_of::<u64>() * 2 + std::mem::size_of::<Pid>() + 1;
        let index = self.offsets.capacity() * per_event;
        let models: usize = self
            .checkpoints
            .iter()
            .map(|c| {
                let n = c.model.census();
                256 * n.processes + 128 * (n.fd_tables + n.fds + n.open_files + n.pipes) + 1024
            })
            .sum();
        (index, models)
    }

    /// How many checkpoints.
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// A replay about to read event `i`, from the checkpoint at or before it.
    fn resume(&self, i: usize) -> Result<(Resumed, usize), TraceError> {
        let c = (i / EVERY).min(self.checkpoints.len().saturating_sub(1));
        let start = c * EVERY;
        let io = |err| TraceError::Io {
            path: self.path.clone(),
            err,
        };
        let mut f = File::open(&self.path).map_err(io)?;
        if let Some(off) = self.offsets.get(start) {
            f.seek(SeekFrom::Start(*off)).map_err(io)?;
        }
        let input = Cursor::new(self.header_line.clone()).chain(BufReader::new(f));
        let reader = TraceReader::new(input, &self.path)?;
        let cp = &self.checkpoints[c];
        Ok((
            Replay::resume(reader, cp.model.clone(), cp.labels.clone()),
            start,
        ))
    }
}

/// A replay standing just after one event: the model there, and the step.
pub struct At {
    replay: Option<Resumed>,
    /// The index of the next event the replay reads.
    next: usize,
    last: Option<Step>,
}

impl Default for At {
    fn default() -> Self {
        At {
            replay: None,
            next: 0,
            last: None,
        }
    }
}

impl At {
    /// Moves to just after event `i`: forward by replaying when that is
    /// close, else from the nearest checkpoint. Returns the replay (its
    /// model is the state after `i`) and the step of event `i`.
    pub fn goto(&mut self, ix: &Index, i: usize) -> Result<(&Resumed, &Step), TraceError> {
        let here = self.replay.is_some() && self.last.is_some() && self.next == i + 1;
        if !here {
            let near = self.replay.is_some() && self.next <= i && i - self.next < EVERY;
            if !near {
                let (r, start) = ix.resume(i)?;
                self.replay = Some(r);
                self.next = start;
                self.last = None;
            }
            while self.next <= i {
                let step = self.replay.as_mut().expect("set above").step();
                if step.is_err() {
                    self.replay = None;
                }
                match step? {
                    Some(s) => self.last = Some(s),
                    None => {
                        self.replay = None;
                        return Err(TraceError::Format {
                            path: ix.path.clone(),
                            line: 0,
                            msg: format!("the trace ended before event #{}", ix.seq(i)),
                        });
                    }
                }
                self.next += 1;
            }
        }
        match (&self.replay, &self.last) {
            (Some(r), Some(s)) => Ok((r, s)),
            _ => unreachable!("a replay and a step were set above"),
        }
    }
}
