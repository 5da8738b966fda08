//! Pipes (and FIFOs, the same kernel object): which open files are its read
//! and write ends, so "does the reader see EOF yet?" is a count, and "who
//! still holds the write end?" is a lookup.
//!
//! A pipe is named by its inode (`pipe_id`), as `pipe:[N]` in /proc. Only
//! traced holders are known: a pipe inherited from outside the trace may have
//! other ends the model never sees.

use super::open_file::{Access, OpenFileId};
use super::{Moment, PipeId};
use crate::trace::{Pid, RawStr};

/// How the model first learned of a pipe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PipeOrigin {
    /// pipe/pipe2 by a traced task.
    Created {
        /// When.
        at: Moment,
        /// The task.
        by: Pid,
    },
    /// A FIFO opened by path.
    Fifo {
        /// When it was first opened in the trace.
        at: Moment,
        /// The path it was opened by.
        path: RawStr,
    },
    /// Seen as `pipe:[N]` in an fd snapshot (inherited from outside the trace).
    Inherited {
        /// When.
        at: Moment,
    },
}

/// One live pipe: its open file descriptions, counted by end.
#[derive(Clone, Debug)]
pub struct Pipe {
    /// Its inode.
    pub id: PipeId,
    /// How the model learned of it.
    pub origin: PipeOrigin,
    pub(crate) files: Vec<OpenFileId>,
    pub(crate) readers: u32,
    pub(crate) writers: u32,
    pub(crate) unknown: u32,
}

impl Pipe {
    pub(crate) fn new(id: PipeId, origin: PipeOrigin) -> Pipe {
        Pipe {
            id,
            origin,
            files: Vec::with_capacity(2),
            readers: 0,
            writers: 0,
            unknown: 0,
        }
    }

    /// The open file descriptions that refer to it.
    pub fn files(&self) -> &[OpenFileId] {
        &self.files
    }

    /// Open file descriptions that can read (read ends, FIFOs opened O_RDWR).
    pub fn read_ends(&self) -> u32 {
        self.readers
    }

    /// Open file descriptions that can write (write ends, FIFOs opened O_RDWR).
    pub fn write_ends(&self) -> u32 {
        self.writers
    }

    /// Open file descriptions whose end is not known (seen only in a snapshot).
    pub fn unknown_ends(&self) -> u32 {
        self.unknown
    }

    /// A reader would see EOF now: no traced fd can write to it (ends of
    /// unknown direction count as possible writers).
    pub fn reader_sees_eof(&self) -> bool {
        self.writers == 0 && self.unknown == 0
    }

    pub(crate) fn count(&mut self, access: Access, delta: i32) {
        let bump = |n: &mut u32| *n = n.saturating_add_signed(delta);
        match access {
            Access::Read => bump(&mut self.readers),
            Access::Write => bump(&mut self.writers),
            Access::ReadWrite => {
                bump(&mut self.readers);
                bump(&mut self.writers);
            }
            Access::Unknown => bump(&mut self.unknown),
        }
    }
}

/// Who holds a pipe's ends right now: (process pid, fd), sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PipeHolders {
    /// fds on the read end (a FIFO opened O_RDWR is in both lists).
    pub readers: Vec<(Pid, i32)>,
    /// fds on the write end.
    pub writers: Vec<(Pid, i32)>,
    /// fds whose end the model does not know.
    pub unknown: Vec<(Pid, i32)>,
}
