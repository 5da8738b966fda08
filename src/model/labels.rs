//! Stable short names for things whose kernel numbers change from run to
//! run: pipes are `pipe#1`, `pipe#2`, ... in order of first appearance in
//! the trace, instead of their inode numbers.
//!
//! A replay that forgets (see model/forget.rs) also forgets the number of
//! a pipe once [`crate::model::FORGET_WINDOW`] other pipes were released
//! after it ([`Labels::forget_released`]), so the names kept follow the
//! live pipes. The kernel hands out pipe inodes from a counter, so a
//! released pipe's inode does not come back; if it ever did that late, it
//! would be a new pipe and get a new number.

use crate::model::hash::IdMap;
use crate::model::{Applied, Note, PipeId};
use crate::trace::{parse_bracket_inode, Event, EventKind};
use std::collections::VecDeque;
use std::sync::Arc;

/// Names given so far.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    /// Shared by copies (`forkscope view` hands one to each replay it
    /// resumes): a copy that only reads numbers costs a pointer.
    pipes: Arc<IdMap<PipeId, u32>>,
    /// Numbers given so far (the next is one more).
    given: u32,
    /// Set when numbers of released pipes are forgotten: how many released
    /// pipes keep theirs, and those pipes, oldest first.
    forget: Option<(usize, VecDeque<PipeId>)>,
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
        self.given += 1;
        let next = self.given;
        Arc::make_mut(&mut self.pipes).insert(id, next);
        next
    }

    /// From now on, forgets the number of a released pipe once `window`
    /// other pipes were released after it (see the module's docs).
    pub fn forget_released_after(&mut self, window: usize) {
        self.forget = Some((window, VecDeque::new()));
    }

    /// Notes the pipes an applied event released (call after applying
    /// each event, when forgetting).
    pub fn forget_released(&mut self, applied: &Applied) {
        let Some((window, recent)) = self.forget.as_mut() else {
            return;
        };
        // Pipes released before this event go first: the ones it released
        // are named by its own sentence.
        if recent.len() > *window {
            let map = Arc::make_mut(&mut self.pipes);
            while recent.len() > *window {
                if let Some(p) = recent.pop_front() {
                    map.remove(&p);
                }
            }
        }
        for n in &applied.notes {
            if let Note::PipeReleased { pipe } = n {
                recent.push_back(*pipe);
            }
        }
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
