//! Open file descriptions (`struct file` in the kernel) and the objects they
//! refer to.
//!
//! The model keeps the kernel's three layers apart: an fd table slot points
//! to an [`OpenFile`]; several slots (after dup or fork) can point to the same
//! one; the open file refers to an [`Object`]: a path, a pipe end, a socket, a
//! tty. "Is the write end still open?" is a question about open files, not
//! about fds.

use super::fd_table::FdTableId;
use super::{Moment, PipeId};
use crate::trace::{parse_bracket_inode, Pid, RawStr};
use std::fmt;

/// Names an open file description for as long as the model lives (ids are
/// never reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpenFileId(pub(crate) u64);

impl OpenFileId {
    /// The number behind the id (for display: `#17`).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for OpenFileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The access mode an open file description was opened with (`O_ACCMODE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// O_RDONLY, or the read end of a pipe.
    Read,
    /// O_WRONLY, or the write end of a pipe.
    Write,
    /// O_RDWR (sockets are always this).
    ReadWrite,
    /// Not known: inherited fds seen only in a /proc snapshot.
    Unknown,
}

impl Access {
    /// The access mode and O_CLOEXEC of symbolic open flags
    /// (`O_WRONLY|O_CREAT|O_CLOEXEC`), in one pass.
    pub fn from_open_flags(flags: &str) -> (Access, bool) {
        let mut access = Access::Read;
        let mut cloexec = false;
        let b = flags.as_bytes();
        let mut start = 0;
        for end in 0..=b.len() {
            if end < b.len() && b[end] != b'|' {
                continue;
            }
            match &b[start..end] {
                b"O_RDWR" => access = Access::ReadWrite,
                b"O_WRONLY" => access = Access::Write,
                b"O_CLOEXEC" => cloexec = true,
                _ => {}
            }
            start = end + 1;
        }
        (access, cloexec)
    }

    /// Could a reader read through it (`Unknown` counts as maybe)?
    pub fn may_read(self) -> bool {
        !matches!(self, Access::Write)
    }

    /// Could a writer write through it (`Unknown` counts as maybe)?
    pub fn may_write(self) -> bool {
        !matches!(self, Access::Read)
    }
}

/// Which end of a pipe an open file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PipeEnd {
    /// The read end.
    Read,
    /// The write end.
    Write,
    /// Both (a FIFO opened O_RDWR).
    Both,
    /// Not known (inherited, seen only as `pipe:[N]` in a snapshot).
    Unknown,
}

impl From<Access> for PipeEnd {
    fn from(a: Access) -> PipeEnd {
        match a {
            Access::Read => PipeEnd::Read,
            Access::Write => PipeEnd::Write,
            Access::ReadWrite => PipeEnd::Both,
            Access::Unknown => PipeEnd::Unknown,
        }
    }
}

impl fmt::Display for PipeEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PipeEnd::Read => "read end",
            PipeEnd::Write => "write end",
            PipeEnd::Both => "both ends",
            PipeEnd::Unknown => "unknown end",
        })
    }
}

/// What an open file refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Object {
    /// A file by path: as passed to open (possibly relative), or absolute
    /// when it came from the kernel (a snapshot, or an open's `target`).
    File {
        /// The path.
        path: RawStr,
    },
    /// A terminal (`/dev/pts/N`, `/dev/tty*`, `/dev/console`, `/dev/ptmx`).
    Tty {
        /// The device path.
        path: RawStr,
    },
    /// An end of a pipe, or a FIFO opened by path (same kernel object).
    Pipe {
        /// The pipe's inode.
        pipe: PipeId,
        /// The FIFO's path when it was opened by name.
        fifo: Option<RawStr>,
    },
    /// A socket.
    Socket {
        /// The socket inode when the kernel said (`socket:[N]`).
        inode: Option<u64>,
        /// The address family (`AF_UNIX`) when known.
        domain: Option<String>,
    },
    /// Anything else the kernel names (`anon_inode:[eventfd]`, ...).
    Other {
        /// The kernel's name for it.
        target: RawStr,
    },
    /// The model never learned what it is (an fd used without being opened in
    /// the trace; an anomaly was reported when it was first seen).
    Unknown,
}

impl Object {
    /// Classifies a target as `/proc/PID/fd/N` shows it.
    pub fn from_target(target: &RawStr) -> Object {
        let b = target.as_bytes();
        if let Some(pipe) = parse_bracket_inode(b, b"pipe:[") {
            Object::Pipe { pipe, fifo: None }
        } else if let Some(inode) = parse_bracket_inode(b, b"socket:[") {
            Object::Socket {
                inode: Some(inode),
                domain: None,
            }
        } else if is_tty(b) {
            Object::Tty {
                path: target.clone(),
            }
        } else if b.starts_with(b"/") {
            Object::File {
                path: target.clone(),
            }
        } else {
            Object::Other {
                target: target.clone(),
            }
        }
    }

    /// Classifies a path as passed to open.
    pub fn from_path(path: &RawStr) -> Object {
        if is_tty(path.as_bytes()) {
            Object::Tty { path: path.clone() }
        } else {
            Object::File { path: path.clone() }
        }
    }

    /// The pipe inode if this is a pipe end or FIFO.
    pub fn pipe_id(&self) -> Option<PipeId> {
        match self {
            Object::Pipe { pipe, .. } => Some(*pipe),
            _ => None,
        }
    }

    /// A one-word kind: `file`, `tty`, `pipe`, `fifo`, `socket`, `other`, `unknown`.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::File { .. } => "file",
            Object::Tty { .. } => "tty",
            Object::Pipe { fifo: None, .. } => "pipe",
            Object::Pipe { fifo: Some(_), .. } => "fifo",
            Object::Socket { .. } => "socket",
            Object::Other { .. } => "other",
            Object::Unknown => "unknown",
        }
    }
}

fn is_tty(b: &[u8]) -> bool {
    b.starts_with(b"/dev/pts/")
        || b.starts_with(b"/dev/tty")
        || b == b"/dev/console"
        || b == b"/dev/ptmx"
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::File { path } | Object::Tty { path } => write!(f, "{path}"),
            Object::Pipe { pipe, fifo: None } => write!(f, "pipe:[{pipe}]"),
            Object::Pipe {
                pipe,
                fifo: Some(path),
            } => write!(f, "fifo {path} pipe:[{pipe}]"),
            Object::Socket { inode, domain } => {
                match inode {
                    Some(i) => write!(f, "socket:[{i}]")?,
                    None => f.write_str("socket")?,
                }
                match domain {
                    Some(d) => write!(f, " {d}"),
                    None => Ok(()),
                }
            }
            Object::Other { target } => write!(f, "{target}"),
            Object::Unknown => f.write_str("(unknown)"),
        }
    }
}

/// One open file description: what it refers to, how it was opened, and
/// which fd table slots hold it (its reference count).
#[derive(Clone, Debug)]
pub struct OpenFile {
    /// Its id.
    pub id: OpenFileId,
    /// What it refers to.
    pub object: Object,
    /// How it was opened.
    pub access: Access,
    /// When it was made.
    pub opened: Moment,
    /// The task that made it.
    pub opened_by: Pid,
    /// What the kernel called it when it was opened (`/proc/PID/fd/N`),
    /// when the trace says and it differs from the path passed.
    pub kernel_name: Option<RawStr>,
    /// The status flags it was made with (O_APPEND, O_NONBLOCK: from an
    /// open's flags, pipe2's O_NONBLOCK, a spawn snapshot's fdinfo).
    /// Only flags set at creation are known (fcntl F_SETFL is not recorded).
    pub status: StatusFlags,
    /// Every fd table slot that refers to it.
    pub(crate) holders: Holders,
}

/// The status flags of an open file that the kernel view names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusFlags {
    /// O_APPEND: every write goes to the end.
    pub append: bool,
    /// O_NONBLOCK: reads and writes that would block fail with EAGAIN.
    pub nonblock: bool,
}

impl StatusFlags {
    /// From symbolic flags (`O_WRONLY|O_APPEND`).
    pub fn from_flags(flags: &str) -> StatusFlags {
        // One pass over the words (an open's flags come with every open).
        let mut st = StatusFlags::default();
        for f in flags.as_bytes().split(|b| *b == b'|') {
            match f {
                b"O_APPEND" => st.append = true,
                b"O_NONBLOCK" | b"O_NDELAY" => st.nonblock = true,
                _ => {}
            }
        }
        st
    }

    /// Any flag set.
    pub fn any(self) -> bool {
        self.append || self.nonblock
    }
}

/// The fd table slots holding an open file. Most open files have exactly
/// one, kept inline so opening a file costs no extra allocation.
#[derive(Clone, Debug, Default)]
pub(crate) struct Holders {
    first: Option<(FdTableId, i32)>,
    rest: Vec<(FdTableId, i32)>,
}

impl Holders {
    pub(crate) fn push(&mut self, h: (FdTableId, i32)) {
        if self.first.is_none() {
            self.first = Some(h);
        } else {
            self.rest.push(h);
        }
    }

    /// Removes one occurrence of `h`.
    /// Removes `h`; false when it was not there.
    pub(crate) fn remove(&mut self, h: (FdTableId, i32)) -> bool {
        if self.first == Some(h) {
            self.first = self.rest.pop();
        } else if let Some(i) = self.rest.iter().position(|x| *x == h) {
            self.rest.swap_remove(i);
        } else {
            return false;
        }
        true
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (FdTableId, i32)> + '_ {
        self.first.iter().chain(self.rest.iter()).copied()
    }
}

impl OpenFile {
    /// How many fd table slots refer to it (the kernel's `f_count`, less
    /// in-flight references).
    pub fn refcount(&self) -> usize {
        self.holders.len()
    }

    /// The fd table slots that refer to it: (table, fd), in no particular
    /// order. [`Model::holders`](super::Model::holders) names processes instead.
    pub fn holders(&self) -> impl Iterator<Item = (FdTableId, i32)> + '_ {
        self.holders.iter()
    }

    /// Which end of a pipe it is, if it is one.
    pub fn pipe_end(&self) -> Option<PipeEnd> {
        self.object.pipe_id().map(|_| self.access.into())
    }
}

impl fmt::Display for OpenFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pipe_end() {
            Some(end) => write!(f, "{} {end}", self.object),
            None => write!(f, "{}", self.object),
        }
    }
}
