//! The file side of the model: fd tables, the open files their slots point
//! to, and the pipes those open files are ends of.
//!
//! Every change goes through here so the three layers stay consistent: a
//! slot added to a table is a holder added to its open file; a holder
//! removed that was the last one frees the open file, and if it was a pipe
//! end, updates the pipe's counts and reports EOF or a broken pipe.

use super::fd_table::{FdSlot, FdTable, FdTableId};
use super::hash::IdMap;
use super::note::{CloseCause, Note};
use super::open_file::{Access, Holders, Object, OpenFile, OpenFileId, StatusFlags};
use super::pipe::{Pipe, PipeOrigin};
use super::{Moment, PipeId};
use crate::trace::Pid;

/// fd tables, open files and pipes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Files {
    pub(crate) tables: IdMap<FdTableId, FdTable>,
    pub(crate) files: IdMap<OpenFileId, OpenFile>,
    pub(crate) pipes: IdMap<PipeId, Pipe>,
    /// How many fd slots hold an end of a pipe (the sum of the pipe open
    /// files' reference counts), kept as slots come and go.
    pub(crate) pipe_slots: usize,
    next_table: u64,
    next_file: u64,
}

impl Files {
    fn table_id(&mut self) -> FdTableId {
        let id = FdTableId(self.next_table);
        self.next_table += 1;
        id
    }

    /// A new empty table used by `user`.
    pub(crate) fn new_table(&mut self, user: Pid) -> FdTableId {
        let id = self.table_id();
        self.tables.insert(id, FdTable::new(id, user));
        id
    }

    /// A copy of `src` (fork without CLONE_FILES, or exec unsharing): every
    /// fd refers to the same open file as in `src`.
    pub(crate) fn copy_table(&mut self, src: FdTableId, user: Pid) -> FdTableId {
        let id = self.table_id();
        let (fds, used_io_uring) = self
            .tables
            .get(&src)
            .map(|t| (t.fds.clone(), t.used_io_uring))
            .unwrap_or_default();
        for (fd, slot) in fds.iter() {
            if let Some(f) = self.files.get_mut(&slot.file) {
                f.holders.push((id, fd));
                self.pipe_slots += usize::from(f.object.pipe_id().is_some());
            }
        }
        self.tables.insert(
            id,
            FdTable {
                id,
                fds,
                users: vec![user],
                used_io_uring,
            },
        );
        id
    }

    /// Marks a table as one where io_uring may open and close fds.
    pub(crate) fn mark_io_uring(&mut self, table: FdTableId) {
        if let Some(t) = self.tables.get_mut(&table) {
            t.used_io_uring = true;
        }
    }

    /// How many tasks use the table.
    pub(crate) fn users(&self, table: FdTableId) -> usize {
        self.tables.get(&table).map_or(0, |t| t.users.len())
    }

    pub(crate) fn add_user(&mut self, table: FdTableId, tid: Pid) {
        if let Some(t) = self.tables.get_mut(&table) {
            t.users.push(tid);
        }
    }

    pub(crate) fn rename_user(&mut self, table: FdTableId, old: Pid, new: Pid) {
        if let Some(t) = self.tables.get_mut(&table) {
            for u in t.users.iter_mut().filter(|u| **u == old) {
                *u = new;
            }
        }
    }

    /// A task stops using the table; when it was the last user every fd
    /// closes (`pid` is the process named in notes).
    pub(crate) fn remove_user(
        &mut self,
        table: FdTableId,
        tid: Pid,
        pid: Pid,
        notes: &mut Vec<Note>,
    ) {
        let Some(t) = self.tables.get_mut(&table) else {
            return;
        };
        if let Some(i) = t.users.iter().position(|u| *u == tid) {
            t.users.swap_remove(i);
        }
        if !t.users.is_empty() {
            return;
        }
        if let Some(t) = self.tables.remove(&table) {
            for (fd, slot) in t.fds.iter() {
                self.release(slot.file, table, fd, pid, notes);
            }
        }
    }

    /// A new open file with no holder yet; install it at once.
    pub(crate) fn new_file(
        &mut self,
        object: Object,
        access: Access,
        opened: Moment,
        opened_by: Pid,
        pipe_origin: impl FnOnce() -> PipeOrigin,
    ) -> OpenFileId {
        let id = OpenFileId(self.next_file);
        self.next_file += 1;
        if let Some(p) = object.pipe_id() {
            let pipe = self
                .pipes
                .entry(p)
                .or_insert_with(|| Pipe::new(p, pipe_origin()));
            pipe.files.push(id);
            pipe.count(access, 1);
        }
        self.files.insert(
            id,
            OpenFile {
                id,
                object,
                access,
                opened,
                opened_by,
                kernel_name: None,
                status: StatusFlags::default(),
                holders: Holders::default(),
            },
        );
        id
    }

    /// Sets the status flags `file` was made with.
    pub(crate) fn set_status(&mut self, file: OpenFileId, status: StatusFlags) {
        if let Some(f) = self.files.get_mut(&file) {
            f.status = status;
        }
    }

    /// The slot at `fd`.
    pub(crate) fn slot(&self, table: FdTableId, fd: i32) -> Option<FdSlot> {
        self.tables.get(&table)?.fds.get(fd).copied()
    }

    /// Points `fd` at `file`. If `fd` was open, its old open file is released
    /// and noted as closed by `cause`; returns whether that happened.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn install(
        &mut self,
        table: FdTableId,
        fd: i32,
        file: OpenFileId,
        cloexec: bool,
        cause: CloseCause,
        pid: Pid,
        notes: &mut Vec<Note>,
    ) -> bool {
        let Some(t) = self.tables.get_mut(&table) else {
            return false;
        };
        let old = t.fds.insert(fd, FdSlot { file, cloexec });
        if let Some(f) = self.files.get_mut(&file) {
            f.holders.push((table, fd));
            self.pipe_slots += usize::from(f.object.pipe_id().is_some());
        }
        match old {
            Some(old) => {
                notes.push(Note::ImplicitClose {
                    pid,
                    fd,
                    file: old.file,
                    cause,
                });
                self.release(old.file, table, fd, pid, notes);
                true
            }
            None => false,
        }
    }

    /// close(fd): the open file it referred to, or `None` when it was not open.
    pub(crate) fn close(
        &mut self,
        table: FdTableId,
        fd: i32,
        pid: Pid,
        notes: &mut Vec<Note>,
    ) -> Option<OpenFileId> {
        let slot = self.tables.get_mut(&table)?.fds.remove(fd)?;
        self.release(slot.file, table, fd, pid, notes);
        Some(slot.file)
    }

    /// close_range(lo, hi) (inclusive), or with CLOSE_RANGE_CLOEXEC only marks.
    pub(crate) fn close_range(
        &mut self,
        table: FdTableId,
        lo: i32,
        hi: i32,
        cloexec: bool,
        pid: Pid,
        notes: &mut Vec<Note>,
    ) {
        let Some(t) = self.tables.get_mut(&table) else {
            return;
        };
        if cloexec {
            t.fds.for_range(lo, hi, |s| s.cloexec = true);
            return;
        }
        for (fd, slot) in t.fds.take_if(lo, hi, |_| true) {
            self.release(slot.file, table, fd, pid, notes);
        }
    }

    /// Sets or clears FD_CLOEXEC; false when `fd` is not open.
    pub(crate) fn set_cloexec(&mut self, table: FdTableId, fd: i32, on: bool) -> bool {
        match self.tables.get_mut(&table).and_then(|t| t.fds.get_mut(fd)) {
            Some(s) => {
                s.cloexec = on;
                true
            }
            None => false,
        }
    }

    /// A successful exec: every FD_CLOEXEC fd closes.
    pub(crate) fn close_cloexec(&mut self, table: FdTableId, pid: Pid, notes: &mut Vec<Note>) {
        let Some(t) = self.tables.get_mut(&table) else {
            return;
        };
        let gone = t.fds.take_if(i32::MIN, i32::MAX, |s| s.cloexec);
        for (fd, slot) in gone {
            notes.push(Note::ImplicitClose {
                pid,
                fd,
                file: slot.file,
                cause: CloseCause::Exec,
            });
            self.release(slot.file, table, fd, pid, notes);
        }
    }

    /// Drops the reference slot (`table`, `fd`) held on `file`; the last one
    /// frees it and, for a pipe end, may leave the pipe at EOF or broken.
    fn release(
        &mut self,
        file: OpenFileId,
        table: FdTableId,
        fd: i32,
        pid: Pid,
        notes: &mut Vec<Note>,
    ) {
        let Some(f) = self.files.get_mut(&file) else {
            return;
        };
        if f.holders.remove((table, fd)) && f.object.pipe_id().is_some() {
            self.pipe_slots -= 1;
        }
        if !f.holders.is_empty() {
            return;
        }
        let Some(f) = self.files.remove(&file) else {
            return;
        };
        let Some(pipe_id) = f.object.pipe_id() else {
            return;
        };
        let Some(p) = self.pipes.get_mut(&pipe_id) else {
            return;
        };
        if let Some(i) = p.files.iter().position(|x| *x == file) {
            p.files.swap_remove(i);
        }
        p.count(f.access, -1);
        if f.access.may_write() && p.writers == 0 && p.unknown == 0 && p.readers > 0 {
            notes.push(Note::PipeEof {
                pipe: pipe_id,
                pid,
                fd,
                readers: p.readers,
            });
        }
        if f.access.may_read() && p.readers == 0 && p.unknown == 0 && p.writers > 0 {
            notes.push(Note::PipeBroken {
                pipe: pipe_id,
                pid,
                fd,
                writers: p.writers,
            });
        }
        if p.files.is_empty() {
            self.pipes.remove(&pipe_id);
            notes.push(Note::PipeReleased { pipe: pipe_id });
        }
    }
}
