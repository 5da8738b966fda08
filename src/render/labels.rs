//! Stable short names for things whose kernel numbers change from run to
//! run: pipes are `pipe#1`, `pipe#2`, ... in order of first appearance in
//! the trace, instead of their inode numbers.

use crate::model::PipeId;
use crate::trace::{parse_bracket_inode, Event, EventKind};
use std::collections::HashMap;

/// Names given so far.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    pipes: HashMap<PipeId, u32>,
}

impl Labels {
    /// Learns the pipes an event mentions (call for every event, in order).
    pub fn observe(&mut self, ev: &Event) {
        match &ev.kind {
            EventKind::Pipe { pipe_id, .. } => {
                self.pipe_number(*pipe_id);
            }
            EventKind::Open {
                target: Some(t), ..
            } => {
                if let Some(id) = parse_bracket_inode(t.as_bytes(), b"pipe:[") {
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
        let next = self.pipes.len() as u32 + 1;
        *self.pipes.entry(id).or_insert(next)
    }

    /// The pipe's number, if it was observed.
    pub fn number(&self, id: PipeId) -> Option<u32> {
        self.pipes.get(&id).copied()
    }

    /// `pipe#N` (or `pipe:[INODE]` for a pipe never observed).
    pub fn pipe(&self, id: PipeId) -> String {
        match self.pipes.get(&id) {
            Some(n) => format!("pipe#{n}"),
            None => format!("pipe:[{id}]"),
        }
    }
}
