//! The replay model: events in, the state of the traced world out, as the
//! Linux kernel would hold it at that moment. Pure: no I/O, no ptrace, no
//! /proc.
//!
//! Feed it one [`Event`] at a time with [`Model::apply`]. It keeps
//!
//! - the [`ProcessTree`]: tasks and processes, parents and children, exec
//!   history, lifetimes (zombie time, reaping, orphans);
//! - the three layers of the file side: [`FdTable`] (shared by threads and by
//!   CLONE_FILES processes, reached through an [`FdTableId`]) -> [`OpenFile`]
//!   (shared by dup and fork; its holders are its refcount) -> [`Object`]
//!   (a path, a [`Pipe`] end, a socket, a tty);
//! - live [`Pipe`]s with their ends, so "who still holds the write end" and
//!   "does the reader see EOF yet" are lookups.
//!
//! Memory follows the live state: exited tasks, closed fds, freed open files
//! and released pipes are forgotten. Only per-process history stays (execs,
//! exit and reap), so the tree can still be drawn.
//!
//! The model never panics on a contradictory trace: it reports an
//! [`Anomaly`], repairs what it can and goes on. [`Model::verify`] compares
//! it with the kernel's fd snapshots taken at exec.

mod anomaly;
mod apply;
mod fd_table;
mod files;
mod forget;
pub(crate) mod hash;
pub mod labels;
mod names;
mod note;
mod open_file;
mod pipe;
mod process;
mod shared;
pub mod snapshot;
pub mod syscalls;
mod verify;
pub mod wait;

#[cfg(test)]
mod tests;

pub use anomaly::Anomaly;
pub use fd_table::{FdSlot, FdTable, FdTableId};
pub use forget::WINDOW as FORGET_WINDOW;
pub use note::{Applied, CloseCause, Note};
pub use open_file::{Access, Object, OpenFile, OpenFileId, PipeEnd, StatusFlags};
pub use pipe::{Pipe, PipeHolders, PipeOrigin};
pub use process::{
    ExecRecord, ExecRef, Exit, Origin, Orphaning, ProcId, Process, ProcessState, ProcessTree, Reap,
    Sigchld, Task,
};
pub use shared::SharedVec;
pub use verify::Divergence;

use crate::trace::{Event, EventKind, FdEntry, Pid};
use files::Files;
use hash::IdHasher;
use std::collections::HashSet;
use std::fmt;
use std::hash::BuildHasherDefault;

/// A pipe's id: its inode, as in `pipe:[N]`.
pub type PipeId = u64;

/// A point in the trace: an event's seq and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Moment {
    /// The event's seq.
    pub seq: u64,
    /// Its `ts_ns` (nanoseconds since the trace started).
    pub ts_ns: u64,
}

impl Moment {
    /// The moment of an event.
    pub fn of(ev: &Event) -> Moment {
        Moment {
            seq: ev.seq,
            ts_ns: ev.ts_ns,
        }
    }
}

/// How many anomalies the model keeps; later ones are only counted (and
/// still returned by `apply`).
pub const KEPT_ANOMALIES: usize = 10_000;

/// The state of the traced world.
#[derive(Clone, Debug, Default)]
pub struct Model {
    tree: ProcessTree,
    files: Files,
    /// Tids ended by another thread's exec whose exit events may still come.
    vanished: HashSet<Pid, BuildHasherDefault<IdHasher>>,
    anomalies: Vec<Anomaly>,
    anomaly_count: u64,
}

/// One fd of a process as renderers show it.
#[derive(Clone, Copy, Debug)]
pub struct FdView<'a> {
    /// The fd number.
    pub fd: i32,
    /// FD_CLOEXEC.
    pub cloexec: bool,
    /// The open file it refers to (its `id`, `object`, `access`, refcount).
    pub file: &'a OpenFile,
}

impl fmt::Display for FdView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fd {} -> {} {}", self.fd, self.file.id, self.file)?;
        if self.cloexec {
            f.write_str(" (cloexec)")?;
        }
        Ok(())
    }
}

/// Sizes of the live state (for memory checks and summaries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Processes ever seen (the tree keeps them).
    pub processes: usize,
    /// Live tasks.
    pub tasks: usize,
    /// Live fd tables.
    pub fd_tables: usize,
    /// Open fds over all tables.
    pub fds: usize,
    /// Live open file descriptions.
    pub open_files: usize,
    /// Live pipes.
    pub pipes: usize,
}

impl Model {
    /// An empty model.
    pub fn new() -> Model {
        Model::default()
    }

    /// From now on, forgets each reaped process once `window` others were
    /// reaped after it and no process kept refers to it, so memory follows
    /// the live state (model/forget.rs). For replays that print the state
    /// at some moment, not the whole history.
    pub fn forget_reaped(&mut self, window: usize) {
        self.tree.start_forgetting(window);
    }

    /// The process tree.
    pub fn tree(&self) -> &ProcessTree {
        &self.tree
    }

    /// The process that has (or last had) `pid`.
    pub fn process(&self, pid: Pid) -> Option<&Process> {
        self.tree.get(pid)
    }

    /// The fd table of a task (by tid), or of a process (by pid, through
    /// its first live task).
    pub fn fd_table(&self, pid: Pid) -> Option<&FdTable> {
        let task = match self.tree.task(pid) {
            Some(t) => t,
            None => self.tree.task(*self.tree.get(pid)?.tasks.first()?)?,
        };
        self.files.tables.get(&task.fd_table)
    }

    /// An fd table by id.
    pub fn fd_table_by_id(&self, id: FdTableId) -> Option<&FdTable> {
        self.files.tables.get(&id)
    }

    /// A live open file description.
    pub fn open_file(&self, id: OpenFileId) -> Option<&OpenFile> {
        self.files.files.get(&id)
    }

    /// The open fds of a task or process, ascending.
    pub fn fds(&self, pid: Pid) -> Vec<FdView<'_>> {
        let Some(t) = self.fd_table(pid) else {
            return Vec::new();
        };
        t.iter()
            .filter_map(|(fd, slot)| self.view(fd, slot))
            .collect()
    }

    /// One fd of a task or process.
    pub fn fd(&self, pid: Pid, fd: i32) -> Option<FdView<'_>> {
        let slot = self.fd_table(pid)?.get(fd)?;
        self.view(fd, slot)
    }

    fn view(&self, fd: i32, slot: &FdSlot) -> Option<FdView<'_>> {
        Some(FdView {
            fd,
            cloexec: slot.cloexec,
            file: self.files.files.get(&slot.file)?,
        })
    }

    /// Every (process pid, fd) that refers to an open file, sorted. A table
    /// shared by several processes (CLONE_FILES) lists each of them.
    pub fn holders(&self, file: OpenFileId) -> Vec<(Pid, i32)> {
        let mut out = Vec::new();
        if let Some(f) = self.files.files.get(&file) {
            self.push_holders(f, &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn push_holders(&self, f: &OpenFile, out: &mut Vec<(Pid, i32)>) {
        for (table, fd) in f.holders.iter() {
            let Some(t) = self.files.tables.get(&table) else {
                continue;
            };
            for tid in &t.users {
                if let Some(p) = self.tree.process_of_task(*tid) {
                    out.push((p.pid, fd));
                }
            }
        }
    }

    /// A live pipe.
    pub fn pipe(&self, id: PipeId) -> Option<&Pipe> {
        self.files.pipes.get(&id)
    }

    /// Every live pipe, by id.
    pub fn pipes(&self) -> Vec<&Pipe> {
        let mut v: Vec<&Pipe> = self.files.pipes.values().collect();
        v.sort_unstable_by_key(|p| p.id);
        v
    }

    /// How many fd slots hold an end of a live pipe or FIFO (an fd table
    /// shared by threads counts once): the sum of [`OpenFile::refcount`]
    /// over the pipes' open files, kept as fds come and go.
    pub fn pipe_end_slots(&self) -> usize {
        self.files.pipe_slots
    }

    /// Every live pipe, in no particular order (for sums and counts: no
    /// vector is made).
    pub fn live_pipes(&self) -> impl Iterator<Item = &Pipe> + '_ {
        self.files.pipes.values()
    }

    /// Who holds each end of a live pipe: (process pid, fd), sorted.
    pub fn pipe_holders(&self, id: PipeId) -> Option<PipeHolders> {
        let pipe = self.files.pipes.get(&id)?;
        let mut h = PipeHolders::default();
        for file in &pipe.files {
            let Some(f) = self.files.files.get(file) else {
                continue;
            };
            let mut held = Vec::new();
            self.push_holders(f, &mut held);
            match f.access {
                Access::Read => h.readers.extend(held),
                Access::Write => h.writers.extend(held),
                Access::ReadWrite => {
                    h.readers.extend(held.iter().copied());
                    h.writers.extend(held);
                }
                Access::Unknown => h.unknown.extend(held),
            }
        }
        for v in [&mut h.readers, &mut h.writers, &mut h.unknown] {
            v.sort_unstable();
            v.dedup();
        }
        Some(h)
    }

    /// Anomalies found so far (the first [`KEPT_ANOMALIES`]).
    pub fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }

    /// How many anomalies were found in all.
    pub fn anomaly_count(&self) -> u64 {
        self.anomaly_count
    }

    /// Sizes of the live state.
    pub fn census(&self) -> Census {
        Census {
            processes: self.tree.len(),
            tasks: self.tree.live_tasks(),
            fd_tables: self.files.tables.len(),
            fds: self.files.tables.values().map(FdTable::len).sum(),
            open_files: self.files.files.len(),
            pipes: self.files.pipes.len(),
        }
    }

    /// After applying `ev`: if it carries the kernel's fd table (a successful
    /// exec, a spawn, or an `fd_snapshot`), compares the model's table of that process with it.
    /// Empty when they agree or when `ev` carries no snapshot.
    pub fn verify(&self, ev: &Event) -> Vec<Divergence> {
        match &ev.kind {
            EventKind::Exec {
                ok: true,
                fds: Some(fds),
                ..
            }
            | EventKind::Spawn { fds, .. } => self.compare_fds(ev.seq, ev.pid, fds),
            EventKind::FdSnapshot {
                fds, cloexec: true, ..
            } => {
                let mut out = self.compare_fds(ev.seq, ev.pid, fds);
                let table = self.fd_table(ev.pid);
                let file = |id| self.files.files.get(&id);
                out.extend(verify::compare_cloexec(ev.seq, ev.pid, table, file, fds));
                out
            }
            EventKind::FdSnapshot { fds, .. } => self.compare_fds(ev.seq, ev.pid, fds),
            EventKind::Fork {
                child,
                fds: Some(fds),
                ..
            } => self.verify_fork(ev.seq, ev.pid, *child, fds),
            _ => Vec::new(),
        }
    }

    /// A fork's snapshot of the child's fd table: the child's table must be
    /// it, and each fd the recorder saw still shared with the parent's fd
    /// of that number must hold the same object in the model's parent table
    /// when the model has that fd open (it may lack it: another thread's
    /// pipe or open made before the fork can be recorded after it).
    fn verify_fork(&self, seq: u64, parent: Pid, child: Pid, fds: &[FdEntry]) -> Vec<Divergence> {
        let mut out = self.compare_fds(seq, child, fds);
        if let Some(table) = self.fd_table(parent) {
            let file = |id| self.files.files.get(&id);
            out.extend(verify::compare_shared(seq, parent, table, file, fds));
        }
        out
    }

    /// Compares the model's fd table of `pid` with a kernel snapshot; each
    /// divergence names `seq`, `pid` and the fd.
    pub fn compare_fds(&self, seq: u64, pid: Pid, snapshot: &[FdEntry]) -> Vec<Divergence> {
        let table = self.fd_table(pid);
        verify::compare(seq, pid, table, |id| self.files.files.get(&id), snapshot)
    }
}
