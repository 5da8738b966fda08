//! Forgetting reaped processes, so that a replay's memory follows the live
//! state rather than every process the trace ever showed.
//!
//! A process that was reaped is of no more use to a replay that prints
//! only what is alive at some moment (`replay`, `diagram`, `doctor`,
//! `export -f json`): once nothing refers to it, it can go; `tree` draws
//! each process's line as it is reaped, before it can go. Commands that
//! print other history (`export -f perfetto`, the TUI's checkpoints) keep
//! every process, as before: forgetting is switched on per model
//! ([`crate::model::Model::forget_reaped`]).
//!
//! When a process may go, all at once:
//! - it was reaped, and at least [`WINDOW`] other processes were reaped
//!   after it: the last few reaped stay, so a late event naming one of them
//!   (a second wait, a kill that lost a race with the exit) is worded as
//!   before, with its program;
//! - no process still kept refers to it by [`ProcId`]: as its parent, as
//!   the owner of the program it inherited ([`crate::model::ExecRef`]), as
//!   the process that reaped or adopted it. These references are counted
//!   ("pins"); a process whose last pin goes while it is due to be
//!   forgotten goes then.
//!
//! A forgotten process is gone from [`ProcessTree::get`], `by_id`, `iter`,
//! `roots`, `live` and `children`; its pid still maps to it, so the model
//! knows the pid is taken by a process long reaped (a second wait for it
//! is still `ReapedTwice`). Memory goes back to the allocator one chunk of
//! the arena at a time: a chunk (32 consecutive processes) is freed once
//! all of its processes are forgotten, so a long-lived process keeps at
//! most 31 neighbours' records. A parent's list of children drops the
//! forgotten ones once they are half of it.

use super::hash::{IdMap, IdSet};
use super::process::{ProcId, ProcessTree, PROCS_CHUNK};
use super::shared::SharedVec;
use std::collections::VecDeque;

/// How many reaped processes are kept after their reaping, at least.
pub const WINDOW: usize = 1024;

/// What a forgetting tree keeps to know when a process may go.
#[derive(Clone, Debug, Default)]
pub(crate) struct Forgetting {
    /// How many reaped processes stay (see [`WINDOW`]).
    window: usize,
    /// The last reaped, oldest first.
    recent: VecDeque<ProcId>,
    /// Out of the window but still pinned: forgotten with their last pin.
    due: IdSet<ProcId>,
    /// How many references kept processes hold to each process (absent: none).
    pins: IdMap<ProcId, u32>,
    /// One bit per process: forgotten.
    gone: Vec<u64>,
    /// Forgotten processes per chunk of the arena.
    gone_in_chunk: Vec<u8>,
    /// Forgotten children still listed in their parent's `children`.
    stale_children: IdMap<ProcId, u32>,
}

impl Forgetting {
    fn is_gone(&self, id: ProcId) -> bool {
        self.gone
            .get(id.index() / 64)
            .is_some_and(|w| w & (1 << (id.index() % 64)) != 0)
    }

    fn mark_gone(&mut self, id: ProcId) -> u8 {
        let (w, c) = (id.index() / 64, id.index() / PROCS_CHUNK);
        if self.gone.len() <= w {
            self.gone.resize(w + 1, 0);
        }
        self.gone[w] |= 1 << (id.index() % 64);
        if self.gone_in_chunk.len() <= c {
            self.gone_in_chunk.resize(c + 1, 0);
        }
        self.gone_in_chunk[c] += 1;
        self.gone_in_chunk[c]
    }

    fn pin(&mut self, id: ProcId) {
        *self.pins.entry(id).or_insert(0) += 1;
    }

    /// Takes one pin off `id`; true when that was its last.
    fn unpin(&mut self, id: ProcId) -> bool {
        match self.pins.get_mut(&id) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                self.pins.remove(&id);
                true
            }
            None => true,
        }
    }
}

impl ProcessTree {
    /// Starts forgetting reaped processes, keeping the last `window`
    /// reaped (see the module's docs). The processes already in the tree
    /// are counted as if they had been added with it on.
    pub(crate) fn start_forgetting(&mut self, window: usize) {
        if self.forget.is_some() {
            return;
        }
        let mut f = Forgetting {
            window,
            ..Forgetting::default()
        };
        for p in self.procs.iter() {
            for r in p.references() {
                f.pin(r);
            }
        }
        self.forget = Some(Box::new(f));
        let reaped: Vec<ProcId> = self
            .procs
            .iter()
            .filter(|p| p.reap.is_some())
            .map(|p| p.id)
            .collect();
        for id in reaped {
            self.reaped(id);
        }
    }

    /// Whether `id` was forgotten.
    pub(crate) fn is_gone(&self, id: ProcId) -> bool {
        self.forget.as_ref().is_some_and(|f| f.is_gone(id))
    }

    /// A process was just added: it pins what it refers to.
    pub(crate) fn pin_references(&mut self, id: ProcId) {
        if let Some(f) = self.forget.as_mut() {
            for r in self.procs[id.index()].references() {
                f.pin(r);
            }
        }
    }

    /// `by` is now referred to by one more process (as its reaper or adopter).
    pub(crate) fn pin(&mut self, by: ProcId) {
        if let Some(f) = self.forget.as_mut() {
            f.pin(by);
        }
    }

    /// `id` was just reaped: it is listed in [`ProcessTree::reaped_now`],
    /// joins the window, and the oldest of the
    /// window leaves it (forgotten now, or with its last pin).
    pub(crate) fn reaped(&mut self, id: ProcId) {
        self.reaped_now.push(id);
        let Some(f) = self.forget.as_mut() else {
            return;
        };
        f.recent.push_back(id);
        loop {
            let Some(f) = self.forget.as_mut() else {
                return;
            };
            if f.recent.len() <= f.window {
                return;
            }
            let Some(old) = f.recent.pop_front() else {
                return;
            };
            if f.pins.contains_key(&old) {
                f.due.insert(old);
            } else {
                self.forget_now(old);
            }
        }
    }

    /// Forgets `id`, then whatever its references held back.
    fn forget_now(&mut self, id: ProcId) {
        let mut work = vec![id];
        while let Some(id) = work.pop() {
            let p = &self.procs[id.index()];
            let (parent, refs) = (p.parent, p.references());
            let Some(f) = self.forget.as_mut() else {
                return;
            };
            let in_chunk = f.mark_gone(id);
            for r in refs {
                if f.unpin(r) && f.due.remove(&r) {
                    work.push(r);
                }
            }
            if let Some(pp) = parent {
                let stale = f.stale_children.entry(pp).or_insert(0);
                *stale += 1;
                let stale = *stale as usize;
                let listed = self.procs[pp.index()].children.len();
                if listed >= 64 && stale * 2 > listed {
                    f.stale_children.remove(&pp);
                    let kept: SharedVec<ProcId> = self.procs[pp.index()]
                        .children
                        .iter()
                        .copied()
                        .filter(|c| !f.is_gone(*c))
                        .collect();
                    self.procs[pp.index()].children = kept;
                }
            }
            if let Some(f) = self.forget.as_mut() {
                f.stale_children.remove(&id);
            }
            if in_chunk as usize == PROCS_CHUNK {
                self.procs.drop_chunk_of(id.index());
            }
        }
    }
}
