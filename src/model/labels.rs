//! Stable short names for things whose kernel numbers change from run to
//! run: pipes are `pipe#1`, `pipe#2`, ... in order of first appearance in
//! the trace, instead of their inode numbers.
//!
//! Also remembers the status flags (O_APPEND, O_NONBLOCK) an open file was
//! made with, for the kernel view's open file table: the model keeps only
//! the access mode, and the flags are in the event that made the open file
//! (open's `flags`, pipe2's `nonblock`, a spawn snapshot's fdinfo `flags`).
//! Only flags set at creation are known (fcntl F_SETFL is not recorded).

use crate::model::hash::IdMap;
use crate::model::PipeId;
use crate::trace::{parse_bracket_inode, Event, EventKind};
use std::collections::HashMap;
use std::sync::Arc;

/// Names given so far.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    /// Shared by copies (`forkscope view` hands one to each replay it
    /// resumes): a copy that only reads numbers costs a pointer.
    pipes: Arc<IdMap<PipeId, u32>>,
    /// Status flags by the seq of the open/pipe2 that set them (only
    /// entries with a flag set are kept, so this stays small).
    status: IdMap<u64, Status>,
    /// Status flags from spawn snapshots: by (seq, /proc target).
    snapshot_status: HashMap<(u64, String), Status>,
}

/// The status flags of an open file that the kernel view names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// O_APPEND: every write goes to the end.
    pub append: bool,
    /// O_NONBLOCK: reads and writes that would block fail with EAGAIN.
    pub nonblock: bool,
}

impl Status {
    /// From symbolic flags (`O_WRONLY|O_APPEND`).
    pub fn from_flags(flags: &str) -> Status {
        // One pass over the words (an open's flags come with every open).
        let mut st = Status::default();
        for f in flags.as_bytes().split(|b| *b == b'|') {
            match f {
                b"O_APPEND" => st.append = true,
                b"O_NONBLOCK" | b"O_NDELAY" => st.nonblock = true,
                _ => {}
            }
        }
        st
    }

    fn any(self) -> bool {
        self.append || self.nonblock
    }
}

impl Labels {
    /// Learns the pipes an event mentions (call for every event, in order).
    pub fn observe(&mut self, ev: &Event) {
        match &ev.kind {
            EventKind::Pipe {
                pipe_id, nonblock, ..
            } => {
                self.pipe_number(*pipe_id);
                if *nonblock {
                    self.status.insert(
                        ev.seq,
                        Status {
                            append: false,
                            nonblock: true,
                        },
                    );
                }
            }
            EventKind::Open { target, flags, .. } => {
                if let Some(id) = target
                    .as_ref()
                    .and_then(|t| parse_bracket_inode(t.as_bytes(), b"pipe:["))
                {
                    self.pipe_number(id);
                }
                let st = Status::from_flags(flags);
                if st.any() {
                    self.status.insert(ev.seq, st);
                }
            }
            EventKind::Spawn { fds, .. } | EventKind::Exec { fds: Some(fds), .. } => {
                let spawn = matches!(ev.kind, EventKind::Spawn { .. });
                for f in fds {
                    if let Some(id) = f.pipe_inode() {
                        self.pipe_number(id);
                    }
                    if let (true, Some(flags)) = (spawn, &f.flags) {
                        let st = Status::from_flags(flags);
                        if st.any() {
                            self.snapshot_status
                                .insert((ev.seq, f.target.lossy().into_owned()), st);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The status flags the open file made by event `seq` was made with;
    /// `target` is its object as /proc names it (for spawn snapshots, which
    /// make many open files at one seq).
    pub fn status(&self, seq: u64, target: &str) -> Status {
        if let Some(s) = self.status.get(&seq) {
            return *s;
        }
        if self.snapshot_status.is_empty() {
            return Status::default();
        }
        self.snapshot_status
            .get(&(seq, target.to_string()))
            .copied()
            .unwrap_or_default()
    }

    /// The pipe's number, giving it the next one if new.
    pub fn pipe_number(&mut self, id: PipeId) -> u32 {
        if let Some(n) = self.pipes.get(&id) {
            return *n;
        }
        let next = self.pipes.len() as u32 + 1;
        Arc::make_mut(&mut self.pipes).insert(id, next);
        next
    }

    /// The pipe's number, if it was observed.
    pub fn number(&self, id: PipeId) -> Option<u32> {
        self.pipes.get(&id).copied()
    }

    /// `pipe#N` (or `pipe:[INODE]` for a pipe never observed).
    pub fn pipe(&self, id: PipeId) -> String {
        match self.pipes.get(&id) {
            Some(n) => Labels::numbered(*n),
            None => Labels::unnumbered(id),
        }
    }

    /// `pipe#N`: the label of the pipe numbered `n`.
    pub fn numbered(n: u32) -> String {
        format!("pipe#{n}")
    }

    /// `pipe:[INODE]`: the label of a pipe never observed.
    pub fn unnumbered(id: PipeId) -> String {
        format!("pipe:[{id}]")
    }
}
