//! Reads a trace back: the header, then events one at a time (streaming, so
//! memory does not grow with the file).
//!
//! Damage is handled the way a user needs: a last line cut short (the tracer
//! was killed mid-write) ends the stream with a warning; a malformed line in
//! the middle is an error naming its line number; an unknown event kind (from
//! a newer forkscope) is skipped with one warning per kind.

use super::event::{Event, EventKind, Header};
use super::TraceError;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

mod ahead;

/// Something the reader noticed that did not stop it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadWarning {
    /// The last line has no newline and does not parse: the tracer was likely killed.
    TruncatedTail {
        /// 1-based line number.
        line: u64,
    },
    /// Events of a kind this build does not know were skipped (first occurrence).
    UnknownKind {
        /// The kind.
        kind: String,
        /// 1-based line of the first one.
        line: u64,
    },
}

impl std::fmt::Display for ReadWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadWarning::TruncatedTail { line } => write!(
                f,
                "line {line} is cut short (was the tracer killed?); replaying the events before it"
            ),
            ReadWarning::UnknownKind { kind, line } => write!(
                f,
                "line {line}: skipping events of unknown kind {kind:?} (written by a newer forkscope?)"
            ),
        }
    }
}

/// A trace opened for reading.
pub struct TraceReader<R> {
    /// `None` once a thread reads ahead ([`TraceReader::read_ahead`]): it has the input.
    input: Option<R>,
    path: PathBuf,
    header: Header,
    line_no: u64,
    buf: Vec<u8>,
    unknown: BTreeSet<String>,
    warnings: Vec<ReadWarning>,
    last_seq: Option<u64>,
    done: bool,
    /// The event [`TraceReader::advance`] read last, until handed out.
    current: Option<Event>,
    /// The thread reading ahead, if one does.
    ahead: Option<ahead::Ahead>,
    /// Bytes of the input consumed so far (the header line included).
    consumed: u64,
}

/// Where in a trace file an event's line ends: enough to go on reading
/// after it without reading what came before ([`TraceReader::open_at`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// The byte offset just after the event's line.
    pub offset: u64,
    /// The event's 1-based line number.
    pub line: u64,
    /// The event's seq.
    pub seq: u64,
}

impl TraceReader<BufReader<File>> {
    /// Opens a trace file and reads its header. With a second core, a
    /// thread reads and parses the events ahead of the caller
    /// ([`TraceReader::read_ahead`]); the caller sees the same either way.
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        let f = open_input(path).map_err(|e| TraceError::Io {
            path: path.to_path_buf(),
            err: e,
        })?;
        let r = TraceReader::new(BufReader::with_capacity(1 << 16, f), path)?;
        Ok(if ahead::worth_it() { r.read_ahead() } else { r })
    }

    /// Opens a trace file to read the events after `at` (a position
    /// [`TraceReader::position`] gave for this file): the header is read,
    /// then reading goes on from there, with line numbers and the seq
    /// order check as if every event before had been read.
    pub fn open_at(path: &Path, at: Position) -> Result<Self, TraceError> {
        use std::io::{Seek, SeekFrom};
        let f = open_input(path).map_err(|e| TraceError::Io {
            path: path.to_path_buf(),
            err: e,
        })?;
        let mut r = TraceReader::new(BufReader::with_capacity(1 << 16, f), path)?;
        if let Some(input) = r.input.as_mut() {
            input
                .seek(SeekFrom::Start(at.offset))
                .map_err(|e| TraceError::Io {
                    path: path.to_path_buf(),
                    err: e,
                })?;
        }
        r.consumed = at.offset;
        r.line_no = at.line;
        r.last_seq = Some(at.seq);
        Ok(r)
    }
}

/// Opens `path` for reading; `-` is stdin. Stdin is read once into an
/// anonymous memory file (memfd), so that a command that reads the trace
/// twice (diagram, demo) reads the same bytes each time: each call opens
/// the memfd afresh through /proc/self/fd, with its own offset.
fn open_input(path: &Path) -> std::io::Result<File> {
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::sync::Mutex;
    if path.as_os_str() != "-" {
        return File::open(path);
    }
    static COPY: Mutex<Option<File>> = Mutex::new(None);
    let mut copy = COPY.lock().unwrap_or_else(|p| p.into_inner());
    if copy.is_none() {
        // SAFETY: memfd_create with a NUL-terminated name and valid flags;
        // the fd returned (if any) is owned by the File from here on.
        let fd = unsafe { libc::memfd_create(c"forkscope-stdin".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh fd we own (see above).
        let mut f = unsafe { File::from_raw_fd(fd) };
        std::io::copy(&mut std::io::stdin().lock(), &mut f)?;
        *copy = Some(f);
    }
    let fd = copy.as_ref().map_or(-1, |f| f.as_raw_fd());
    File::open(format!("/proc/self/fd/{fd}"))
}

impl<R: BufRead> TraceReader<R> {
    /// Reads the header from `input`; `path` is only used in messages.
    pub fn new(mut input: R, path: &Path) -> Result<Self, TraceError> {
        let mut buf = Vec::with_capacity(4096);
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| TraceError::Io {
                path: path.to_path_buf(),
                err: e,
            })?;
        let bad = |msg: String| TraceError::Format {
            path: path.to_path_buf(),
            line: 1,
            msg,
        };
        if n == 0 {
            return Err(bad("the file is empty, not a forkscope trace".into()));
        }
        // A byte-order mark (an editor on Windows saved it) is not data.
        if buf.starts_with(b"\xef\xbb\xbf") {
            buf.drain(..3);
        }
        let header: Header = serde_json::from_slice(trim_newline(&buf)).map_err(|e| {
            // Say "wrong version" before "missing field" when we can tell.
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(trim_newline(&buf)) {
                if v.get("format").and_then(|f| f.as_str()) == Some(super::FORMAT_NAME) {
                    if let Some(ver) = v.get("version").and_then(|x| x.as_u64()) {
                        if ver != u64::from(super::FORMAT_VERSION) {
                            return bad(format!(
                                "trace format version {ver} is not supported (this forkscope reads version {})",
                                super::FORMAT_VERSION
                            ));
                        }
                    }
                }
            }
            bad(format!("the header line is not a forkscope trace header: {e}"))
        })?;
        header.check().map_err(bad)?;
        Ok(TraceReader {
            input: Some(input),
            path: path.to_path_buf(),
            header,
            line_no: 1,
            buf,
            unknown: BTreeSet::new(),
            warnings: Vec::new(),
            last_seq: None,
            done: false,
            current: None,
            ahead: None,
            consumed: n as u64,
        })
    }

    /// Where the event read last ends, asked right after reading it
    /// (`None` before the first event and at the end).
    pub fn position(&self) -> Option<Position> {
        match &self.ahead {
            Some(a) => a.position(),
            None if self.done => None,
            None => Some(Position {
                offset: self.consumed,
                line: self.line_no,
                seq: self.last_seq?,
            }),
        }
    }

    /// From here on a second thread reads and parses the events while the
    /// caller works on the ones it has (see the `ahead` module): the same
    /// events, warnings and errors as before, sooner. Stays as it is when
    /// no thread can be started, or one already reads ahead.
    pub fn read_ahead(mut self) -> Self
    where
        R: Send + 'static,
    {
        if self.ahead.is_some() {
            return self;
        }
        let front = TraceReader {
            input: None,
            path: self.path.clone(),
            header: self.header.clone(),
            line_no: self.line_no,
            buf: Vec::new(),
            unknown: BTreeSet::new(),
            warnings: std::mem::take(&mut self.warnings),
            last_seq: self.last_seq,
            done: false,
            current: self.current.take(),
            ahead: None,
            consumed: self.consumed,
        };
        match ahead::Ahead::start(self) {
            Ok(a) => TraceReader {
                ahead: Some(a),
                ..front
            },
            Err(back) => {
                let mut back = *back;
                back.warnings = front.warnings;
                back.current = front.current;
                back
            }
        }
    }

    /// The header line.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Warnings so far (a truncated tail, unknown kinds).
    pub fn warnings(&self) -> &[ReadWarning] {
        &self.warnings
    }

    /// Takes the warnings gathered so far.
    pub fn take_warnings(&mut self) -> Vec<ReadWarning> {
        std::mem::take(&mut self.warnings)
    }

    /// The next event, `Ok(None)` at the end.
    pub fn next_event(&mut self) -> Result<Option<Event>, TraceError> {
        Ok(if self.advance()? {
            self.take_current()
        } else {
            None
        })
    }

    /// The next event, lent: for callers that only look at each event (an
    /// event is a few hundred bytes, and handing it out by value through
    /// each `Result` and `Option` moved it several times: a tenth of a
    /// replay's time). `Ok(None)` at the end.
    pub fn next_ref(&mut self) -> Result<Option<&Event>, TraceError> {
        Ok(if self.advance()? {
            match &self.ahead {
                Some(a) => a.current(),
                None => self.current.as_ref(),
            }
        } else {
            None
        })
    }

    /// Takes the event [`TraceReader::next_ref`] lent last, to keep it.
    pub fn take_current(&mut self) -> Option<Event> {
        match &mut self.ahead {
            Some(a) => a.take(),
            None => self.current.take(),
        }
    }

    /// Reads the next event into `self.current` (or, reading ahead, moves
    /// to it); `false` at the end.
    fn advance(&mut self) -> Result<bool, TraceError> {
        if let Some(a) = &mut self.ahead {
            return a.advance(&mut self.warnings);
        }
        loop {
            if self.done {
                return Ok(false);
            }
            if self.next_in_place()? {
                return Ok(true);
            }
            self.buf.clear();
            let Some(input) = self.input.as_mut() else {
                return Ok(false);
            };
            let n = input
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| TraceError::Io {
                    path: self.path.clone(),
                    err: e,
                })?;
            if n == 0 {
                self.done = true;
                return Ok(false);
            }
            self.consumed += n as u64;
            self.line_no += 1;
            let complete = self.buf.last() == Some(&b'\n');
            let text = trim_newline(&self.buf);
            if text.iter().all(u8::is_ascii_whitespace) {
                if !complete {
                    self.done = true;
                }
                continue;
            }
            match parse_event(text) {
                Ok(ev) => {
                    if let Some(prev) = self.last_seq {
                        if ev.seq <= prev {
                            return Err(self.format_err(format!(
                                "seq {} does not follow seq {prev} (events must be in increasing order)",
                                ev.seq
                            )));
                        }
                    }
                    self.last_seq = Some(ev.seq);
                    self.current = Some(ev);
                    return Ok(true);
                }
                Err(e) => {
                    if !complete {
                        self.warnings
                            .push(ReadWarning::TruncatedTail { line: self.line_no });
                        self.done = true;
                        return Ok(false);
                    }
                    if let Some(kind) = unknown_kind(text) {
                        if self.unknown.insert(kind.clone()) {
                            self.warnings.push(ReadWarning::UnknownKind {
                                kind,
                                line: self.line_no,
                            });
                        }
                        continue;
                    }
                    return Err(self.format_err(format!("malformed event: {e}")));
                }
            }
        }
    }

    /// Reads the next event into `self.current` when its whole line is
    /// already in the input's buffer and [`parse_fast`] reads it: parsed
    /// where it lies, without copying the line. `Ok(false)` leaves the line
    /// (if any) unread, for the general path.
    #[inline]
    fn next_in_place(&mut self) -> Result<bool, TraceError> {
        match self.fast_line()? {
            Some(ev) => {
                self.current = Some(ev);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Moves to the next event as [`TraceReader::advance`] does, but
    /// appends it to `out` (an event read on the fast path goes there
    /// straight from the parser, not through `current`: each move of an
    /// event is a copy of a few hundred bytes). `false` at the end.
    #[inline]
    pub(super) fn advance_into(&mut self, out: &mut Vec<Event>) -> Result<bool, TraceError> {
        if self.fast_line_into(out)? {
            return Ok(true);
        }
        let got = self.advance()?;
        if got {
            out.extend(self.current.take());
        }
        Ok(got)
    }

    /// [`TraceReader::fast_line`], appending the event to `out` (parsed
    /// into its place there, not moved through `Option`s and `Result`s).
    #[inline]
    fn fast_line_into(&mut self, out: &mut Vec<Event>) -> Result<bool, TraceError> {
        if self.done {
            return Ok(false);
        }
        let Some(input) = self.input.as_mut() else {
            return Ok(false);
        };
        let buf = input.fill_buf().map_err(|e| TraceError::Io {
            path: self.path.clone(),
            err: e,
        })?;
        let Some(end) = newline(buf) else {
            return Ok(false);
        };
        if !parse_fast_into(trim_newline(&buf[..=end]), out) {
            return Ok(false);
        }
        input.consume(end + 1);
        self.line_no += 1;
        self.consumed += end as u64 + 1;
        let seq = out.last().map_or(0, |e| e.seq);
        if let Some(prev) = self.last_seq {
            if seq <= prev {
                out.pop();
                return Err(self.format_err(format!(
                    "seq {seq} does not follow seq {prev} (events must be in increasing order)"
                )));
            }
        }
        self.last_seq = Some(seq);
        Ok(true)
    }

    /// The next event when its whole line is already in the input's buffer
    /// and [`parse_fast`] reads it; `None` leaves the line (if any) unread.
    #[inline]
    fn fast_line(&mut self) -> Result<Option<Event>, TraceError> {
        if self.done {
            return Ok(None);
        }
        let Some(input) = self.input.as_mut() else {
            return Ok(None);
        };
        let buf = input.fill_buf().map_err(|e| TraceError::Io {
            path: self.path.clone(),
            err: e,
        })?;
        let Some(end) = newline(buf) else {
            return Ok(None);
        };
        let Some(ev) = parse_fast(trim_newline(&buf[..=end])) else {
            return Ok(None);
        };
        input.consume(end + 1);
        self.line_no += 1;
        self.consumed += end as u64 + 1;
        if let Some(prev) = self.last_seq {
            if ev.seq <= prev {
                return Err(self.format_err(format!(
                    "seq {} does not follow seq {prev} (events must be in increasing order)",
                    ev.seq
                )));
            }
        }
        self.last_seq = Some(ev.seq);
        Ok(Some(ev))
    }

    fn format_err(&self, msg: String) -> TraceError {
        TraceError::Format {
            path: self.path.clone(),
            line: self.line_no,
            msg,
        }
    }
}

impl<R: BufRead> Iterator for TraceReader<R> {
    type Item = Result<Event, TraceError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_event().transpose()
    }
}

/// Parses one event line; the same result as
/// `serde_json::from_slice::<Event>`, faster.
///
/// forkscope writes every event as `{"seq":N,"ts_ns":N,"pid":N,"kind":"K",
/// ...fields}`. For that layout the three numbers are read directly and the
/// rest is parsed as `{"K":{...fields}}` into the externally tagged twin of
/// [`EventKind`], which serde reads in one streaming pass (the internally
/// tagged form makes it buffer the whole object first). Any other layout —
/// another key order, whitespace, an unknown kind — takes the generic path.
pub fn parse_event(text: &[u8]) -> serde_json::Result<Event> {
    if let Some(e) = parse_fast(text) {
        return Ok(e);
    }
    #[derive(serde::Deserialize)]
    struct Common {
        seq: u64,
        ts_ns: u64,
        pid: super::Pid,
    }
    let c: Common = serde_json::from_slice(text)?;
    let kind: EventKind = serde_json::from_slice(text)?;
    Ok(Event {
        seq: c.seq,
        ts_ns: c.ts_ns,
        pid: c.pid,
        kind,
    })
}

/// Reads `KEY` then an unsigned integer at the start of `b`; returns it and the rest.
fn take_uint<'a>(b: &'a [u8], key: &[u8]) -> Option<(u64, &'a [u8])> {
    let b = b.strip_prefix(key)?;
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 20 {
        return None;
    }
    let mut v = 0u64;
    for &d in &b[..n] {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some((v, &b[n..]))
}

#[inline]
fn parse_fast(text: &[u8]) -> Option<Event> {
    let (seq, ts_ns, pid, name, rest) = parse_head(text)?;
    Some(Event {
        seq,
        ts_ns,
        pid,
        kind: parse_kind(name, rest)?,
    })
}

/// [`parse_fast`], appending the event to `out`; `false` (and nothing
/// appended) when the fast path does not read the line.
#[inline]
fn parse_fast_into(text: &[u8], out: &mut Vec<Event>) -> bool {
    let Some((seq, ts_ns, pid, name, rest)) = parse_head(text) else {
        return false;
    };
    let Some(kind) = parse_kind(name, rest) else {
        return false;
    };
    out.push(Event {
        seq,
        ts_ns,
        pid,
        kind,
    });
    true
}

/// What [`parse_head`] reads: seq, time, pid, the kind's name, and the
/// rest of the line after it.
type Head<'a> = (u64, u64, super::Pid, &'a [u8], &'a [u8]);

/// The seq, time, pid and kind name at the start of an event line in
/// forkscope's layout, and the rest of the line after the kind.
#[inline]
fn parse_head(text: &[u8]) -> Option<Head<'_>> {
    let (seq, rest) = take_uint(text, b"{\"seq\":")?;
    let (ts_ns, rest) = take_uint(rest, b",\"ts_ns\":")?;
    let rest = rest.strip_prefix(b",\"pid\":")?;
    let (neg, rest) = match rest.strip_prefix(b"-") {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let (pid, rest) = take_uint(rest, b"")?;
    let pid = i32::try_from(pid).ok()?;
    let pid = if neg { -pid } else { pid };
    let rest = rest.strip_prefix(b",\"kind\":\"")?;
    let name_len = rest
        .iter()
        .take_while(|c| c.is_ascii_lowercase() || **c == b'_')
        .count();
    let (name, rest) = rest.split_at(name_len);
    let rest = rest.strip_prefix(b"\"")?;
    Some((seq, ts_ns, pid, name, rest))
}

/// The kind of an event from its name and the fields after it (`,...}`
/// or `}`).
#[inline]
fn parse_kind(name: &[u8], rest: &[u8]) -> Option<EventKind> {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    if let Some(kind) = super::quick::kind(name, rest) {
        return Some(kind);
    }
    SCRATCH.with(|cell| {
        let mut buf = cell.borrow_mut();
        buf.clear();
        buf.extend_from_slice(b"{\"");
        buf.extend_from_slice(name);
        buf.extend_from_slice(b"\":{");
        match rest.first()? {
            b'}' => buf.extend_from_slice(b"}}"),
            b',' => {
                buf.extend_from_slice(&rest[1..]);
                buf.push(b'}');
            }
            _ => return None,
        }
        let twin: super::event::EventKindTwin = serde_json::from_slice(&buf).ok()?;
        Some(twin.into())
    })
}

/// Where the first `\n` in `b` is, eight bytes at a time (the byte-wise
/// search was a tenth of a replay's time).
#[inline]
fn newline(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().expect("8 bytes")) ^ (LO * u64::from(b'\n'));
        let hit = v.wrapping_sub(LO) & !v & HI;
        if hit != 0 {
            // The lowest flagged byte is a true match (borrows run upwards).
            return Some(at + (hit.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'\n')
        .map(|i| at + i)
}

fn trim_newline(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// If `text` is a well-formed event object whose kind we do not know, that kind.
fn unknown_kind(text: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[allow(dead_code)]
        seq: u64,
        kind: String,
    }
    let p: Probe = serde_json::from_slice(text).ok()?;
    (!EventKind::KNOWN.contains(&p.kind.as_str())).then_some(p.kind)
}

/// Reads a whole trace into memory (tests and small traces). Warnings are returned too.
pub fn read_all(path: &Path) -> Result<(Header, Vec<Event>, Vec<ReadWarning>), TraceError> {
    let mut r = TraceReader::open(path)?;
    let mut events = Vec::new();
    while let Some(e) = r.next_event()? {
        events.push(e);
    }
    let w = r.take_warnings();
    Ok((r.header.clone(), events, w))
}

/// Reads a trace from any byte source (for fuzzing and tests).
pub fn read_from<R: Read>(input: R) -> Result<(Header, Vec<Event>, Vec<ReadWarning>), TraceError> {
    let mut r = TraceReader::new(BufReader::new(input), Path::new("<input>"))?;
    let mut events = Vec::new();
    while let Some(e) = r.next_event()? {
        events.push(e);
    }
    let w = r.take_warnings();
    Ok((r.header.clone(), events, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"{"format":"forkscope-trace","version":1,"argv":["sh"],"start":"2026-01-01T00:00:00Z","start_unix_ns":0,"root_pid":10,"cwd":"/","tracer":"forkscope test","kernel":"Linux","arch":"x86_64"}"#;

    fn read(s: &str) -> Result<(Header, Vec<Event>, Vec<ReadWarning>), TraceError> {
        read_from(s.as_bytes())
    }

    #[test]
    fn a_cut_short_last_line_replays_what_came_before_with_a_warning() {
        let t = format!(
            "{HEADER}\n{}\n{}",
            r#"{"seq":0,"ts_ns":1,"pid":10,"kind":"close","fd":3}"#,
            r#"{"seq":1,"ts_ns":2,"pid":10,"kind":"clo"#
        );
        let (_, ev, w) = read(&t).unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(w, vec![ReadWarning::TruncatedTail { line: 3 }]);
    }

    #[test]
    fn a_malformed_line_in_the_middle_names_its_line_number() {
        let t = format!(
            "{HEADER}\n{}\nnot json\n{}\n",
            r#"{"seq":0,"ts_ns":1,"pid":10,"kind":"close","fd":3}"#,
            r#"{"seq":1,"ts_ns":2,"pid":10,"kind":"close","fd":4}"#
        );
        let err = read(&t).unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn unknown_kinds_are_skipped_with_one_warning_per_kind() {
        let t = format!(
            "{HEADER}\n{}\n{}\n{}\n",
            r#"{"seq":0,"ts_ns":1,"pid":10,"kind":"teleport","to":"mars"}"#,
            r#"{"seq":1,"ts_ns":1,"pid":10,"kind":"teleport","to":"venus"}"#,
            r#"{"seq":2,"ts_ns":2,"pid":10,"kind":"close","fd":4}"#
        );
        let (_, ev, w) = read(&t).unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(
            w,
            vec![ReadWarning::UnknownKind {
                kind: "teleport".into(),
                line: 2
            }]
        );
    }

    #[test]
    fn an_unknown_version_is_a_clear_error() {
        let t = HEADER.replace("\"version\":1", "\"version\":7");
        let err = read(&t).unwrap_err().to_string();
        assert!(err.contains("version 7 is not supported"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_a_trace_says_so() {
        let err = read("hello\n").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        let err = read("").unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
    }

    #[test]
    fn the_fast_parser_agrees_with_serde_on_every_committed_event() {
        for sample in [
            include_str!("../../fixtures/traces/sample.jsonl"),
            include_str!("../../fixtures/traces/handmade-pipeline.jsonl"),
            include_str!("../../fixtures/traces/sh-pipeline.jsonl"),
        ] {
            for line in sample.lines().skip(1) {
                let a: Event = serde_json::from_str(line).unwrap();
                assert_eq!(parse_fast(line.as_bytes()), Some(a.clone()), "{line}");
                let mut into = vec![a.clone()];
                assert!(parse_fast_into(line.as_bytes(), &mut into), "{line}");
                assert_eq!(into, [a.clone(), a.clone()]);
                assert_eq!(parse_event(line.as_bytes()).unwrap(), a);
            }
        }
    }

    #[test]
    fn other_layouts_take_the_generic_path_and_parse_the_same() {
        let a = r#"{"kind":"dup","pid":-4,"seq":1,"ts_ns":2,"old_fd":3,"new_fd":1,"via":"dup2"}"#;
        let b = r#"{"seq":1,"ts_ns":2,"pid":-4,"kind":"dup","old_fd":3,"new_fd":1,"via":"dup2"}"#;
        let spaced = r#"{ "seq": 1, "ts_ns": 2, "pid": -4, "kind": "dup", "old_fd": 3, "new_fd": 1, "via": "dup2" }"#;
        assert!(parse_fast(a.as_bytes()).is_none());
        let mut into = Vec::new();
        assert!(!parse_fast_into(a.as_bytes(), &mut into));
        assert!(into.is_empty());
        let want = parse_event(b.as_bytes()).unwrap();
        assert_eq!(want.pid, -4);
        assert_eq!(parse_event(a.as_bytes()).unwrap(), want);
        assert_eq!(parse_event(spaced.as_bytes()).unwrap(), want);
        let cont = r#"{"seq":1,"ts_ns":2,"pid":4,"kind":"continue"}"#;
        assert_eq!(
            parse_fast(cont.as_bytes()).unwrap().kind,
            EventKind::Continue {}
        );
        // Unknown kinds fall through (and the reader then skips them).
        assert!(parse_fast(br#"{"seq":1,"ts_ns":2,"pid":4,"kind":"teleport","x":1}"#).is_none());
    }

    #[test]
    fn the_newline_search_finds_the_first_newline_wherever_it_is() {
        for len in 0..40 {
            for at in 0..=len {
                let mut b = vec![b'x'; len];
                // Bytes that differ from '\n' by one bit or borrow past it.
                for (i, c) in b.iter_mut().enumerate() {
                    *c = [b'x', 0x0b, 0x09, 0x8a, 0x00, 0xff][i % 6];
                }
                if at < len {
                    b[at] = b'\n';
                    if at + 1 < len {
                        b[at + 1] = b'\n';
                    }
                }
                let want = b.iter().position(|&c| c == b'\n');
                assert_eq!(newline(&b), want, "{b:?}");
            }
        }
    }

    /// Everything a caller sees, call by call: each event (lent, then
    /// taken every third call), the warnings after each call, each error
    /// (going on after it), the end.
    fn seen<R: BufRead>(mut r: TraceReader<R>) -> Vec<String> {
        let mut out = Vec::new();
        for call in 0..10_000 {
            match r.next_ref() {
                Ok(Some(ev)) => {
                    out.push(format!("{ev:?}"));
                    out.push(format!("at {:?}", r.position()));
                }
                Ok(None) => {
                    out.push(format!("end {:?}", r.take_warnings()));
                    return out;
                }
                Err(e) => out.push(format!("error {e}")),
            }
            if call % 3 == 0 {
                out.push(format!("took {:?}", r.take_current()));
                out.push(format!("then {:?}", r.take_current()));
            }
            out.push(format!("{:?}", r.take_warnings()));
        }
        out
    }

    #[test]
    fn reading_ahead_on_a_thread_gives_what_the_plain_reader_gives() {
        let close =
            |seq: u64| format!(r#"{{"seq":{seq},"ts_ns":1,"pid":10,"kind":"close","fd":3}}"#);
        let mut long = format!("{HEADER}\n");
        for seq in 0..3000u64 {
            long += &close(seq);
            long.push('\n');
            match seq {
                // Chunks end at warnings, errors and every few hundred events.
                7 | 511 | 512 | 1023 => {
                    long += r#"{"seq":1,"ts_ns":1,"pid":10,"kind":"teleport","to":"mars"}"#;
                    long.push('\n');
                }
                900 => long += "not json\n",
                1500 => long += &format!("{}\n", close(3)),
                2000 => long += "\n",
                _ => {}
            }
        }
        let cut = format!("{long}{}", r#"{"seq":5000,"ts_ns":2,"pid":10,"kind":"clo"#);
        let plain = format!("{HEADER}\n{}\n", close(0));
        for text in [long, cut, plain, format!("{HEADER}\n")] {
            let make = || {
                let input = BufReader::new(std::io::Cursor::new(text.clone().into_bytes()));
                TraceReader::new(input, Path::new("t")).unwrap()
            };
            let want = seen(make());
            assert!(!want.is_empty());
            if want.len() > 3000 {
                let has = |w: &str| want.iter().any(|l| l.contains(w));
                assert!(
                    has("error") && has("UnknownKind") && has("took Some"),
                    "{want:?}"
                );
            }
            assert_eq!(seen(make().read_ahead()), want);
        }
    }

    #[test]
    fn reading_from_a_position_gives_the_events_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        // A byte-order mark, a blank line and an unknown kind on the way.
        let mut t = format!("\u{feff}{HEADER}\n");
        for seq in 0..50u64 {
            t += &format!(
                "{{\"seq\":{seq},\"ts_ns\":1,\"pid\":10,\"kind\":\"close\",\"fd\":{seq}}}\n"
            );
            if seq % 7 == 0 {
                t += "\n{\"seq\":1,\"ts_ns\":1,\"pid\":10,\"kind\":\"teleport\"}\n";
            }
        }
        t += "{ \"seq\": 50, \"ts_ns\": 1, \"pid\": 10, \"kind\": \"close\", \"fd\": 50 }\n";
        std::fs::write(&path, t).unwrap();
        for ahead in [false, true] {
            let file = BufReader::new(File::open(&path).unwrap());
            let mut r = TraceReader::new(file, &path).unwrap();
            if ahead {
                r = r.read_ahead();
            }
            let mut all = Vec::new();
            while let Some(e) = r.next_event().unwrap() {
                all.push((e, r.position().unwrap()));
            }
            assert_eq!(all.len(), 51);
            assert_eq!(r.position(), None);
            for (i, (e, at)) in all.iter().enumerate() {
                assert_eq!(at.seq, e.seq);
                let mut rest = TraceReader::open_at(&path, *at).unwrap();
                let mut got = Vec::new();
                while let Some(e) = rest.next_event().unwrap() {
                    got.push((e, rest.position().unwrap()));
                }
                assert_eq!(got, all[i + 1..], "after seq {}", e.seq);
            }
        }
    }

    #[test]
    fn a_reader_dropped_before_the_end_stops_its_thread() {
        let mut t = format!("{HEADER}\n");
        for seq in 0..20_000 {
            t += &format!("{{\"seq\":{seq},\"ts_ns\":1,\"pid\":10,\"kind\":\"close\",\"fd\":3}}\n");
        }
        let input = BufReader::new(std::io::Cursor::new(t.into_bytes()));
        let mut r = TraceReader::new(input, Path::new("t"))
            .unwrap()
            .read_ahead();
        assert_eq!(r.next_event().unwrap().map(|e| e.seq), Some(0));
        // Joins the thread: this returns only once it has stopped.
        drop(r);
    }

    #[test]
    fn out_of_order_seq_is_an_error() {
        let t = format!(
            "{HEADER}\n{}\n{}\n",
            r#"{"seq":5,"ts_ns":1,"pid":10,"kind":"close","fd":3}"#,
            r#"{"seq":5,"ts_ns":2,"pid":10,"kind":"close","fd":4}"#
        );
        let err = read(&t).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("seq 5"), "{err}");
    }
}
