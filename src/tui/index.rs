//! The trace behind `forkscope view`, opened for random access: one pass
//! over the file keeps, per event, its byte offset, seq, pid, kind and
//! whether it only opens or closes a file (21 bytes an event), and now and
//! then a checkpoint: a copy of the model before that event. Going to any
//! event replays from the nearest checkpoint at or before it.
//!
//! Checkpoints come every [`EVERY`] events, or further apart when the
//! model's live state is big. A copy shares every process it does not
//! change with the model it was copied from (see `model::shared`: the
//! process arena is chunks behind reference counts), so it costs the live
//! state (tasks, fds, open files, pipes) plus one pointer per chunk of 32
//! processes (counted as one item per [`PROCS_PER_ITEM`] processes); the
//! gap is at least that many items times [`SPACING`]. The checkpoints together then hold about `events /
//! SPACING` items of their own, and a jump costs about one copy plus as
//! much replaying. (Before the sharing, a copy held every process ever
//! seen: on a trace of 83,000 processes checkpoints were 170,000 events
//! apart and a jump took 180 ms.) Pipe labels are not
//! copied: numbers are given in order of first appearance and never change,
//! so the labels of the whole trace name every pipe as it was named then.
use crate::model::labels::Labels;
use crate::model::Model;
use crate::replay::{Replay, Step};
use crate::trace::{EventKind, Pid, ReadWarning, TraceError, TraceReader};
use std::cell::Cell;
use std::fs::File;
use std::io::{BufRead, BufReader, Chain, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The fewest events between two checkpoints.
pub const EVERY: usize = 2048;

/// Events between two checkpoints per item of the model (see the module doc).
pub const SPACING: usize = 2;

/// Processes (shared, see the module doc) that count as one item of a
/// copy: the copy holds a pointer per 32 of them (8 bytes against the ~100
/// of a live item), and copying a pointer is a reference count increment.
pub const PROCS_PER_ITEM: usize = 256;

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

/// The model before event `at`.
struct Checkpoint {
    at: usize,
    model: Model,
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
    labels: Labels,
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
            labels: Labels::default(),
            warnings: Vec::new(),
        };
        let mut next_checkpoint = 0;
        loop {
            let n = ix.offsets.len();
            let at = pos.get();
            if n == next_checkpoint {
                let c = r.model.census();
                let items = c.tasks + c.fds + c.open_files + c.pipes + c.processes / PROCS_PER_ITEM;
                next_checkpoint = n + EVERY.max(items * SPACING);
                ix.checkpoints.push(Checkpoint {
                    at: n,
                    model: r.model.clone(),
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
            let file = if crate::replay::filter::only_about_a_file(&step) {
                FILE_ONLY
            } else {
                0
            };
            ix.kinds.push(kind | file);
        }
        ix.warnings = r.take_warnings();
        ix.labels = r.labels;
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
    /// [`crate::replay::filter::only_about_a_file`])?
    pub fn file_only(&self, i: usize) -> bool {
        self.kinds[i] & FILE_ONLY != 0
    }

    /// The first event whose seq is `seq` or later.
    pub fn by_seq(&self, seq: u64) -> usize {
        self.seqs.partition_point(|s| *s < seq)
    }

    /// Bytes held by the per-event index.
    pub fn index_bytes(&self) -> usize {
        self.offsets.capacity() * (std::mem::size_of::<u64>() * 2 + std::mem::size_of::<Pid>() + 1)
    }

    /// The first event of the checkpoint at or before event `i`.
    pub fn checkpoint_before(&self, i: usize) -> usize {
        let c = self.checkpoints.partition_point(|c| c.at <= i);
        self.checkpoints[c.saturating_sub(1)].at
    }

    /// How many checkpoints.
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// A replay about to read event `i`, from the checkpoint at or before it.
    fn resume(&self, i: usize) -> Result<(Resumed, usize), TraceError> {
        let c = self
            .checkpoints
            .partition_point(|c| c.at <= i)
            .saturating_sub(1);
        let start = self.checkpoints[c].at;
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
            Replay::resume(reader, cp.model.clone(), self.labels.clone()),
            start,
        ))
    }
}

/// A replay standing just after one event: the model there, and the step.
#[derive(Default)]
pub struct At {
    replay: Option<Resumed>,
    /// The index of the next event the replay reads.
    next: usize,
    last: Option<Step>,
}

impl At {
    /// Moves to just after event `i`: forward by replaying when that is
    /// close, else from the nearest checkpoint. Returns the replay (its
    /// model is the state after `i`) and the step of event `i`.
    pub fn goto(&mut self, ix: &Index, i: usize) -> Result<(&Resumed, &Step), TraceError> {
        let here = self.replay.is_some() && self.last.is_some() && self.next == i + 1;
        if !here {
            // Going on is never slower than starting again from the
            // checkpoint when it is already past that checkpoint.
            let near =
                self.replay.is_some() && self.next <= i && self.next >= ix.checkpoint_before(i);
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
