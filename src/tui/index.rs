//! The trace behind `forkscope view`, opened for random access: one pass
//! over the file keeps, per event, its byte offset, seq, pid, kind and
//! whether it only opens or closes a file (21 bytes an event), and now and
//! then a checkpoint: a copy of the model before that event. Going to any
//! event replays from the nearest checkpoint at or before it.
//!
//! The pass runs on a thread of its own and hands its work to the view in
//! batches ([`Index::poll`]): the first screen is drawn once the first few
//! hundred events are read, and the rest comes in while the reader looks
//! (on a trace of 1,000,000 events the pass takes seconds). The same pass
//! follows a trace a recorder is still writing (`record --tui`), as
//! `tail -f` would, handing over what it read before each wait.
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
//! so the labels as of the last event read name every pipe as it was
//! named then.
use crate::model::labels::Labels;
use crate::model::Model;
use crate::replay::{Replay, Step};
use crate::trace::{EventKind, Pid, ReadWarning, TraceError, TraceReader};
use std::cell::Cell;
use std::fs::File;
use std::io::{BufRead, BufReader, Chain, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

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
/// next line once a line has been read), and says when its buffer is used
/// up (the next read goes to the file, and may wait for a recorder).
struct Counting<R> {
    inner: BufReader<R>,
    pos: Rc<Cell<u64>>,
    drained: Rc<Cell<bool>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos.set(self.pos.get() + n as u64);
        self.drained.set(self.inner.buffer().is_empty());
        Ok(n)
    }
}

impl<R: Read> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.pos.set(self.pos.get() + n as u64);
        self.inner.consume(n);
        self.drained.set(self.inner.buffer().is_empty());
    }
}

/// A trace file a recorder is still writing: a read at its end waits for
/// more until `done` is set, then reads what is left, once (as `tail -f`).
struct Follow {
    file: File,
    done: Arc<AtomicBool>,
}

impl Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            // `done` is read before the read: data written before it was
            // set is then seen by this read.
            let finished = self.done.load(Ordering::Acquire);
            let n = self.file.read(buf)?;
            if n > 0 || finished {
                return Ok(n);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The model before event `at`.
struct Checkpoint {
    at: usize,
    model: Model,
}

/// A replay reading from the middle of the trace file.
pub type Resumed = Replay<Chain<Cursor<Rc<[u8]>>, BufReader<File>>>;

/// What the indexing pass found and the view has not taken yet: the pass
/// hands its work over in batches ([`Index::poll`] takes them), so the
/// first screen is drawn long before a big trace is read to its end.
#[derive(Default)]
struct Found {
    /// The header line and the traced command line, once read.
    header: Option<(Vec<u8>, String)>,
    offsets: Vec<u64>,
    seqs: Vec<u64>,
    pids: Vec<Pid>,
    kinds: Vec<u8>,
    checkpoints: Vec<Checkpoint>,
    /// The pipe labels as of the last event handed over.
    labels: Option<Labels>,
    /// Set when the pass is over: its warnings, or why it stopped.
    end: Option<Result<Vec<ReadWarning>, TraceError>>,
}

/// [`Found`] shared with the indexing thread; the condvar says "more".
type Shared = Arc<(Mutex<Found>, Condvar)>;

/// The indexing pass hands over a batch at least this often while it
/// reads (a bigger gap makes the view lag, a smaller one copies the pipe
/// labels, shared with the view, more often).
const HAND_OVER: Duration = Duration::from_millis(100);

/// Events the pass reads before it hands over its first batch: enough for
/// a first screen.
const FIRST_BATCH: usize = 512;

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
    /// The indexing pass still under way (None once it is over).
    shared: Option<Shared>,
    /// Why the indexing pass stopped early, if it did.
    pub failed: Option<String>,
    /// The same, for [`Index::open`] to return.
    end_error: Option<TraceError>,
}

impl Index {
    /// Reads the whole trace once, before returning.
    pub fn open(path: &Path) -> Result<Index, TraceError> {
        let shared = Shared::default();
        index_pass(path, None, &shared);
        let mut ix = Index::empty(path, Some(shared));
        ix.poll();
        if let Some(e) = ix.end_error.take() {
            return Err(e);
        }
        Ok(ix)
    }

    /// Starts reading the trace on another thread and returns once the
    /// first screen's worth is read (or all of it, or the reading failed
    /// at its start): [`Index::poll`] takes in the rest as it comes.
    pub fn open_in_background(path: &Path) -> Result<Index, TraceError> {
        let shared = Shared::default();
        let (p, s) = (path.to_path_buf(), Arc::clone(&shared));
        std::thread::Builder::new()
            .name("forkscope-index".into())
            .spawn(move || index_pass(&p, None, &s))
            .map_err(|err| TraceError::Io {
                path: path.to_path_buf(),
                err,
            })?;
        {
            let (lock, more) = &*shared;
            let mut found = lock.lock().unwrap_or_else(|e| e.into_inner());
            while found.end.is_none() && found.offsets.is_empty() {
                found = more.wait(found).unwrap_or_else(|e| e.into_inner());
            }
        }
        let mut ix = Index::empty(path, Some(shared));
        ix.poll();
        if let Some(e) = ix.end_error.take() {
            if ix.header_line.is_empty() || ix.is_empty() {
                return Err(e);
            }
            ix.failed = Some(e.to_string());
        }
        Ok(ix)
    }

    /// Follows a trace file a recorder is writing (`record --tui`): reads
    /// it on another thread as it grows, until `done` is set and the rest
    /// is read. Returns at once: the header may not be written yet.
    pub fn follow(path: &Path, done: Arc<AtomicBool>) -> Index {
        let shared = Shared::default();
        let (p, s) = (path.to_path_buf(), Arc::clone(&shared));
        let spawned = std::thread::Builder::new()
            .name("forkscope-follow".into())
            .spawn(move || {
                // Reading must not take CPU from the traced program: the
                // lowest priority for this thread (Linux applies nice per
                // thread), as `record --live` does.
                // SAFETY: gettid and setpriority take integers only.
                unsafe {
                    let tid = libc::gettid();
                    libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19);
                }
                index_pass(&p, Some(done), &s)
            });
        let mut ix = Index::empty(path, Some(shared));
        if let Err(e) = spawned {
            ix.failed = Some(e.to_string());
            ix.shared = None;
        }
        ix
    }

    fn empty(path: &Path, shared: Option<Shared>) -> Index {
        Index {
            path: path.to_path_buf(),
            header_line: Rc::from(Vec::new()),
            title: String::new(),
            offsets: Vec::new(),
            seqs: Vec::new(),
            pids: Vec::new(),
            kinds: Vec::new(),
            checkpoints: Vec::new(),
            labels: Labels::default(),
            warnings: Vec::new(),
            shared,
            failed: None,
            end_error: None,
        }
    }

    /// Takes in what the indexing pass found since the last call; true if
    /// there are new events or the pass just ended.
    pub fn poll(&mut self) -> bool {
        let Some(shared) = &self.shared else {
            return false;
        };
        let mut found = {
            let mut f = shared.0.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *f)
        };
        if let Some((line, title)) = found.header.take() {
            self.header_line = line.into();
            self.title = title;
        }
        let grew = !found.offsets.is_empty();
        if self.offsets.is_empty() {
            self.offsets = std::mem::take(&mut found.offsets);
            self.seqs = std::mem::take(&mut found.seqs);
            self.pids = std::mem::take(&mut found.pids);
            self.kinds = std::mem::take(&mut found.kinds);
        } else {
            self.offsets.append(&mut found.offsets);
            self.seqs.append(&mut found.seqs);
            self.pids.append(&mut found.pids);
            self.kinds.append(&mut found.kinds);
        }
        self.checkpoints.append(&mut found.checkpoints);
        if let Some(l) = found.labels {
            self.labels = l;
        }
        match found.end {
            None => grew,
            Some(end) => {
                self.shared = None;
                // Grown batch by batch: give back what doubling reserved.
                self.offsets.shrink_to_fit();
                self.seqs.shrink_to_fit();
                self.pids.shrink_to_fit();
                self.kinds.shrink_to_fit();
                match end {
                    Ok(w) => self.warnings = w,
                    Err(e) => {
                        self.failed = Some(e.to_string());
                        self.end_error = Some(e);
                    }
                }
                true
            }
        }
    }

    /// Is the whole trace read (or did reading it stop for good)?
    pub fn complete(&self) -> bool {
        self.shared.is_none()
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

/// The indexing pass: reads the trace at `path` once (following it while
/// a recorder writes it, when `follow` is given), keeping per event its
/// offset, seq, pid and kind and now and then a checkpoint, and hands them
/// to `shared` in batches: at the start, before a read that may wait for
/// the recorder, and every [`HAND_OVER`] otherwise. Ends by setting
/// `end`, whatever happens.
fn index_pass(path: &Path, follow: Option<Arc<AtomicBool>>, shared: &Shared) {
    let end = read_pass(path, follow, shared);
    let (lock, more) = &**shared;
    lock.lock().unwrap_or_else(|e| e.into_inner()).end = Some(end);
    more.notify_all();
}

fn read_pass(
    path: &Path,
    follow: Option<Arc<AtomicBool>>,
    shared: &Shared,
) -> Result<Vec<ReadWarning>, TraceError> {
    let io = |err| TraceError::Io {
        path: path.to_path_buf(),
        err,
    };
    let file = File::open(path).map_err(io)?;
    // The file's length, to tell whether a read at the end of the buffer
    // would wait for the recorder.
    let probe = file.try_clone().map_err(io)?;
    let live = follow.is_some();
    let source: Box<dyn Read> = match follow {
        Some(done) => Box::new(Follow { file, done }),
        None => Box::new(file),
    };
    let pos = Rc::new(Cell::new(0));
    let drained = Rc::new(Cell::new(true));
    let input = Counting {
        inner: BufReader::with_capacity(1 << 16, source),
        pos: pos.clone(),
        drained: drained.clone(),
    };
    let reader = TraceReader::new(input, path)?;
    let mut header_line = vec![0; pos.get() as usize];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut header_line))
        .map_err(io)?;
    let title = crate::render::describe::command_line(&reader.header().argv);
    {
        let (lock, more) = &**shared;
        lock.lock().unwrap_or_else(|e| e.into_inner()).header = Some((header_line, title));
        more.notify_all();
    }
    // The pass replays as `Replay::step` does (labels, then the model),
    // without reading what each event replaces for its sentence: that read
    // lists the process's whole fd table with its words, and took a third
    // of the pass. Only a close needs one fact of it (was the fd a file?).
    let mut reader = reader;
    let mut model = Model::new();
    let mut labels = Labels::default();
    let mut batch = Found::default();
    let mut n = 0usize;
    let mut next_checkpoint = 0;
    let mut handed = false;
    let mut last = Instant::now();
    loop {
        let at = pos.get();
        if n == next_checkpoint {
            let c = model.census();
            let items = c.tasks + c.fds + c.open_files + c.pipes + c.processes / PROCS_PER_ITEM;
            next_checkpoint = n + EVERY.max(items * SPACING);
            batch.checkpoints.push(Checkpoint {
                at: n,
                model: model.clone(),
            });
        }
        // Hand over what is read before a read that may wait (the
        // recorder writes whole lines, so a drained buffer is the end of
        // what it wrote so far), and now and then.
        let due = !batch.offsets.is_empty()
            && if !handed {
                batch.offsets.len() >= FIRST_BATCH || (drained.get() && at_end(live, &probe, at))
            } else {
                drained.get() && (at_end(live, &probe, at) || last.elapsed() >= HAND_OVER)
            };
        if due {
            hand_over(shared, &mut batch, &labels);
            handed = true;
            last = Instant::now();
        }
        let Some(event) = reader.next_event()? else {
            break;
        };
        labels.observe(&event);
        let closes_a_file = match event.kind {
            EventKind::Close { fd } => model
                .fd(event.pid, fd)
                .is_some_and(|v| crate::render::narrate::file(v.file, &labels).is_path()),
            _ => false,
        };
        model.apply(&event);
        batch.offsets.push(at);
        batch.seqs.push(event.seq);
        batch.pids.push(event.pid);
        let kind = EventKind::KNOWN
            .iter()
            .position(|k| *k == event.kind.name())
            .map_or(UNKNOWN_KIND, |k| k as u8);
        let step = Step {
            event,
            before: Default::default(),
            applied: Default::default(),
        };
        let file = if closes_a_file || crate::replay::filter::only_about_a_file(&step) {
            FILE_ONLY
        } else {
            0
        };
        batch.kinds.push(kind | file);
        n += 1;
    }
    hand_over(shared, &mut batch, &labels);
    Ok(reader.take_warnings())
}

/// Has a pass at byte `at` read all the file holds now? Only asked of a
/// followed file (a whole file is never waited for).
fn at_end(live: bool, file: &File, at: u64) -> bool {
    live && file.metadata().is_ok_and(|m| m.len() <= at)
}

/// Moves `batch` into `shared`, with the labels as of its last event.
fn hand_over(shared: &Shared, batch: &mut Found, labels: &Labels) {
    let (lock, more) = &**shared;
    let mut found = lock.lock().unwrap_or_else(|e| e.into_inner());
    found.offsets.append(&mut batch.offsets);
    found.seqs.append(&mut batch.seqs);
    found.pids.append(&mut batch.pids);
    found.kinds.append(&mut batch.kinds);
    found.checkpoints.append(&mut batch.checkpoints);
    found.labels = Some(labels.clone());
    more.notify_all();
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
