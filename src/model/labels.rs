//! Stable short names for things whose kernel numbers change from run to
//! run: pipes are `pipe#1`, `pipe#2`, ... in order of first appearance in
//! the trace, instead of their inode numbers.

use crate::model::hash::IdMap;
use crate::model::PipeId;
use crate::trace::{parse_bracket_inode, Event, EventKind};
use std::sync::Arc;

/// Names given so far.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    /// Shared by copies (`forkscope view` hands one to each replay it
    /// resumes): a copy that only reads numbers costs a pointer.
    pipes: Arc<IdMap<PipeId, u32>>,
}

impl Labels {
    /// Learns the pipes an event mentions (call for every event, in order).
    pub fn observe(&mut self, ev: &Event) {
        match &ev.kind {
            EventKind::Pipe { pipe_id, .. } => {
                self.pipe_number(*pipe_id);
            }
            EventKind::Open { target, .. } => {
                if let Some(id) = target
                    .as_ref()
                    .and_then(|t| parse_bracket_inode(t.as_bytes(), b"pipe:["))
                {
                    self.pipe_number(id);
                }
            }
            EventKind::Spawn { fds, .. } | EventKind::Exec { fds: Some(fds), .. } => {
                for f in fds {
                    if let Some(id) = f.pipe_inode() {
                        self.pipe_number(id);
                    }
                }
            }
            _ => {}
        }
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
