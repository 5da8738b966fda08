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

/// One fd table and the tasks that use it.
#[derive(Clone, Debug)]
pub struct FdTable {
    /// Its id.
    pub id: FdTableId,
    pub(crate) fds: BTreeMap<i32, FdSlot>,
    /// Tids of the tasks using this table (its reference count).
    pub(crate) users: Vec<Pid>,
}

impl FdTable {
    pub(crate) fn new(id: FdTableId, user: Pid) -> FdTable {
        FdTable {
            id,
            fds: BTreeMap::new(),
            users: vec![user],
        }
    }

    /// The slot for `fd`, if it is open.
    pub fn get(&self, fd: i32) -> Option<&FdSlot> {
        self.fds.get(&fd)
    }

    /// The open fds in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &FdSlot)> + '_ {
        self.fds.iter().map(|(fd, s)| (*fd, s))
    }

    /// How many fds are open.
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    /// No fd is open.
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }

    /// Tids of the tasks that use this table.
    pub fn users(&self) -> &[Pid] {
        &self.users
    }
}
