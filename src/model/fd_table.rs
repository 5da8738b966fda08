//! File descriptor tables (`struct files_struct`): fd number -> open file,
//! with the per-fd close-on-exec flag.
//!
//! A table belongs to tasks, not to a process: threads share one, and so do
//! processes made with CLONE_FILES. The model reaches a task's table through
//! an [`FdTableId`], so a close in one thread is seen by every task using
//! that table.

use super::open_file::OpenFileId;
use crate::trace::Pid;
use std::collections::BTreeMap;
use std::fmt;

/// Names an fd table for as long as the model lives (ids are never reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FdTableId(pub(crate) u64);

impl FdTableId {
    /// The number behind the id.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for FdTableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fdtable#{}", self.0)
    }
}

/// One fd: the open file it refers to and its FD_CLOEXEC flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdSlot {
    /// The open file description.
    pub file: OpenFileId,
    /// FD_CLOEXEC: the fd closes at a successful exec.
    pub cloexec: bool,
}

/// fd number -> slot: a dense vector for the usual small fds (indexing, no
/// tree walk, a fork copies it with one memcpy), an ordered map above.
#[derive(Clone, Debug, Default)]
pub(crate) struct FdMap {
    low: Vec<Option<FdSlot>>,
    high: BTreeMap<i32, FdSlot>,
    len: usize,
}

/// fds below this live in the dense part. Kept small: a lone high fd (bash's
/// 255, a harness's 251) must not make every fork copy hundreds of empty slots.
const DENSE: i32 = 64;

fn dense(fd: i32) -> Option<usize> {
    (0..DENSE).contains(&fd).then_some(fd as usize)
}

impl FdMap {
    pub(crate) fn get(&self, fd: i32) -> Option<&FdSlot> {
        match dense(fd) {
            Some(i) => self.low.get(i)?.as_ref(),
            None => self.high.get(&fd),
        }
    }

    pub(crate) fn get_mut(&mut self, fd: i32) -> Option<&mut FdSlot> {
        match dense(fd) {
            Some(i) => self.low.get_mut(i)?.as_mut(),
            None => self.high.get_mut(&fd),
        }
    }

    /// Sets `fd`; returns what it held.
    pub(crate) fn insert(&mut self, fd: i32, slot: FdSlot) -> Option<FdSlot> {
        let old = match dense(fd) {
            Some(i) => {
                if i >= self.low.len() {
                    self.low.resize(i + 1, None);
                }
                self.low[i].replace(slot)
            }
            None => self.high.insert(fd, slot),
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    pub(crate) fn remove(&mut self, fd: i32) -> Option<FdSlot> {
        let old = match dense(fd) {
            Some(i) => {
                let old = self.low.get_mut(i)?.take();
                while let Some(None) = self.low.last() {
                    self.low.pop();
                }
                old
            }
            None => self.high.remove(&fd),
        };
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i32, &FdSlot)> + '_ {
        let negative = self.high.range(..0);
        let low = self
            .low
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i as i32, s)));
        let high = self.high.range(DENSE..);
        negative
            .map(|(fd, s)| (*fd, s))
            .chain(low)
            .chain(high.map(|(fd, s)| (*fd, s)))
    }

    /// Removes and returns every fd in `lo..=hi` that matches `pred`.
    pub(crate) fn take_if(
        &mut self,
        lo: i32,
        hi: i32,
        mut pred: impl FnMut(&FdSlot) -> bool,
    ) -> Vec<(i32, FdSlot)> {
        if lo > hi || self.len == 0 {
            return Vec::new();
        }
        let mut gone = Vec::new();
        let dense_hi = (hi.min(DENSE - 1) as i64 + 1).min(self.low.len() as i64);
        let dense_lo = i64::from(lo.max(0));
        for i in dense_lo..dense_hi.max(dense_lo) {
            let cell = &mut self.low[i as usize];
            if cell.as_ref().is_some_and(&mut pred) {
                if let Some(slot) = cell.take() {
                    gone.push((i as i32, slot));
                }
            }
        }
        while let Some(None) = self.low.last() {
            self.low.pop();
        }
        let high: Vec<i32> = self
            .high
            .range(lo..=hi)
            .filter(|(_, s)| pred(s))
            .map(|(fd, _)| *fd)
            .collect();
        for fd in high {
            if let Some(slot) = self.high.remove(&fd) {
                gone.push((fd, slot));
            }
        }
        gone.sort_unstable_by_key(|(fd, _)| *fd);
        self.len -= gone.len();
        gone
    }

    /// Every slot in `lo..=hi`, mutably.
    pub(crate) fn for_range(&mut self, lo: i32, hi: i32, mut f: impl FnMut(&mut FdSlot)) {
        if lo > hi {
            return;
        }
        let end = (i64::from(hi.min(DENSE - 1)) + 1).min(self.low.len() as i64);
        for i in i64::from(lo.max(0))..end {
            if let Some(s) = self.low[i as usize].as_mut() {
                f(s);
            }
        }
        for (_, s) in self.high.range_mut(lo..=hi) {
            f(s);
        }
    }
}

/// One fd table and the tasks that use it.
#[derive(Clone, Debug)]
pub struct FdTable {
    /// Its id.
    pub id: FdTableId,
    pub(crate) fds: FdMap,
    /// Tids of the tasks using this table (its reference count).
    pub(crate) users: Vec<Pid>,
    /// An io_uring instance was made in this table or one it was copied
    /// from: fds may come and go through it without a syscall.
    pub(crate) used_io_uring: bool,
}

impl FdTable {
    pub(crate) fn new(id: FdTableId, user: Pid) -> FdTable {
        FdTable {
            id,
            fds: FdMap::default(),
            users: vec![user],
            used_io_uring: false,
        }
    }

    /// The slot for `fd`, if it is open.
    pub fn get(&self, fd: i32) -> Option<&FdSlot> {
        self.fds.get(fd)
    }

    /// The open fds in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &FdSlot)> + '_ {
        self.fds.iter()
    }

    /// How many fds are open.
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    /// No fd is open.
    pub fn is_empty(&self) -> bool {
        self.fds.len() == 0
    }

    /// Tids of the tasks that use this table.
    pub fn users(&self) -> &[Pid] {
        &self.users
    }

    /// Did its process (or one it was copied from) set up io_uring, which
    /// opens and closes fds without syscalls?
    pub fn used_io_uring(&self) -> bool {
        self.used_io_uring
    }
}
