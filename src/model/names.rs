//! The names tasks give themselves (their comm, what `ps` shows), as the
//! kernel keeps them: per task, set by prctl(PR_SET_NAME) (a `rename`
//! event), copied from the creating task by fork and clone, and reset by
//! exec to the basename of the program (the model's `None`).
//!
//! A process's name is its main thread's ([`Process::comm`]). Another
//! thread's name is kept in [`ProcessTree::thread_names`] only where it
//! differs from its process's: so nothing is stored for a program that
//! never renames itself.
//!
//! [`Process::comm`]: super::Process::comm
//! [`ProcessTree::thread_names`]: super::ProcessTree

use super::{Model, ProcId};
use crate::trace::{Pid, RawStr};

impl Model {
    /// The name task `tid` (of `process`) has now (`None`: its program's).
    fn name_of(&self, tid: Pid, process: ProcId) -> Option<RawStr> {
        match self.tree.thread_names.get(&tid) {
            Some(own) => own.clone(),
            None => self.tree.proc(process).comm.clone(),
        }
    }

    /// prctl(PR_SET_NAME) by `tid`: the main thread renames its process
    /// (the other threads keep the name they had), another thread only
    /// itself.
    pub(super) fn on_rename(&mut self, tid: Pid, process: ProcId, name: &RawStr) {
        let p = self.tree.proc(process);
        if p.pid != tid {
            self.tree.thread_names.insert(tid, Some(name.clone()));
            return;
        }
        let old = p.comm.clone();
        let others: Vec<Pid> = p.tasks.iter().copied().filter(|t| *t != tid).collect();
        for t in others {
            self.tree
                .thread_names
                .entry(t)
                .or_insert_with(|| old.clone());
        }
        self.tree.proc_mut(process).comm = Some(name.clone());
    }

    /// `child` was created by `creator`: it starts with its creator's name
    /// (a new process as its name, a new thread as its own).
    pub(super) fn name_at_fork(&mut self, creator: Pid, child: Pid) {
        if self.tree.thread_names.is_empty()
            && self
                .tree
                .process_of_task(creator)
                .is_none_or(|p| p.comm.is_none())
        {
            return;
        }
        let (Some(c), Some(k)) = (self.tree.task(creator), self.tree.task(child)) else {
            return;
        };
        let (c, k) = (*c, *k);
        let name = self.name_of(creator, c.process);
        self.tree.thread_names.remove(&child);
        if k.process == c.process {
            if self.tree.proc(k.process).comm != name {
                self.tree.thread_names.insert(child, name);
            }
        } else {
            self.tree.proc_mut(k.process).comm = name;
        }
    }

    /// The threads of `process` before an exec of it: exec ends them.
    pub(super) fn threads_before_exec(&self, tid: Pid) -> Vec<Pid> {
        if self.tree.thread_names.is_empty() {
            return Vec::new();
        }
        self.tree
            .process_of_task(tid)
            .map(|p| p.tasks.clone())
            .unwrap_or_default()
    }

    /// A successful exec by `tid` (now the process's main thread): the
    /// kernel names the process after the program (begin_new_exec:
    /// `__set_task_comm(me, kbasename(bprm->filename))`), and its other
    /// threads are gone.
    pub(super) fn name_at_exec(&mut self, tid: Pid, threads: &[Pid]) {
        for t in threads {
            self.tree.thread_names.remove(t);
        }
        if let Some(process) = self.tree.task(tid).map(|t| t.process) {
            self.tree.proc_mut(process).comm = None;
        }
    }

    /// Task `tid` ended; `comm` is the name the `exit` event read from
    /// /proc, if any (best effort: traces older than `rename` have only
    /// that). It names the process only when no `rename` did.
    pub(super) fn name_at_exit(&mut self, tid: Pid, comm: Option<&RawStr>) {
        if !self.tree.thread_names.is_empty() {
            self.tree.thread_names.remove(&tid);
        }
        let Some(comm) = comm else { return };
        let Some(process) = self.tree.task(tid).map(|t| t.process) else {
            return;
        };
        let p = self.tree.proc_mut(process);
        if p.pid == tid && p.comm.is_none() {
            p.comm = Some(comm.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Model;
    use crate::trace::{Event, EventKind, ForkFlavor, Pid, RawStr, Status};

    /// Applies `kinds` in order (each `(pid, kind)`), as one trace.
    fn replay(kinds: Vec<(Pid, EventKind)>) -> Model {
        let mut m = Model::new();
        for (seq, (pid, kind)) in (0..).zip(kinds) {
            m.apply(&Event {
                seq,
                ts_ns: seq * 1000,
                pid,
                kind,
            });
        }
        m
    }

    fn spawn() -> EventKind {
        EventKind::spawned(vec![RawStr::from("prog")], Vec::new())
    }

    fn exec(path: &str) -> EventKind {
        EventKind::Exec {
            path: RawStr::from(path),
            argv: vec![RawStr::from(path)],
            ok: true,
            errno: None,
            fds: None,
            elf: None,
            script: None,
            former_tid: None,
            argv_null: false,
            unreadable: Vec::new(),
        }
    }

    fn clone(child: Pid, flavor: ForkFlavor) -> EventKind {
        EventKind::Fork {
            child,
            flavor,
            shares_fds: flavor == ForkFlavor::Thread,
            syscall: "clone".into(),
            flags: 0,
            fds: None,
        }
    }

    fn rename(name: &str) -> EventKind {
        EventKind::Rename {
            name: RawStr::from(name),
            errno: None,
        }
    }

    fn exit(comm: Option<&str>) -> EventKind {
        EventKind::Exit {
            status: Status::Exited { exited: 0 },
            comm: comm.map(RawStr::from),
        }
    }

    /// The name `ps` would show for process `pid`, when not its program's.
    fn shown(m: &Model, pid: Pid) -> Option<String> {
        let p = m.tree().get(pid)?;
        let program = m.tree().program(p.id)?;
        p.renamed(program).map(|c| c.lossy().into_owned())
    }

    #[test]
    fn a_main_thread_renames_its_process_and_a_fork_inherits_the_name() {
        let m = replay(vec![
            (1, spawn()),
            (1, exec("/bin/prog")),
            (1, rename("master")),
            (1, clone(2, ForkFlavor::Fork)),
        ]);
        assert_eq!(shown(&m, 1).as_deref(), Some("master"));
        assert_eq!(shown(&m, 2).as_deref(), Some("master"));
    }

    #[test]
    fn a_thread_renames_only_itself_and_its_fork_takes_its_name() {
        let m = replay(vec![
            (1, spawn()),
            (1, exec("/bin/prog")),
            (1, clone(11, ForkFlavor::Thread)),
            (11, rename("helper")),
            (11, clone(2, ForkFlavor::Fork)),
            (1, clone(3, ForkFlavor::Fork)),
        ]);
        assert_eq!(shown(&m, 1), None);
        assert_eq!(shown(&m, 2).as_deref(), Some("helper"));
        assert_eq!(shown(&m, 3), None);
    }

    #[test]
    fn a_thread_keeps_the_old_name_when_the_main_thread_renames_later() {
        let m = replay(vec![
            (1, spawn()),
            (1, exec("/bin/prog")),
            (1, clone(11, ForkFlavor::Thread)),
            (1, rename("main-now")),
            (11, clone(2, ForkFlavor::Fork)),
        ]);
        assert_eq!(shown(&m, 1).as_deref(), Some("main-now"));
        // The thread was named by exec, and so is the child it forked.
        assert_eq!(shown(&m, 2), None);
    }

    #[test]
    fn exec_names_the_process_after_its_program_again() {
        let m = replay(vec![
            (1, spawn()),
            (1, exec("/bin/prog")),
            (1, rename("before")),
            (1, exec("/bin/other")),
        ]);
        assert_eq!(shown(&m, 1), None);
    }

    #[test]
    fn the_exit_comm_names_a_process_only_when_no_rename_did() {
        // A trace from before `rename`: the exit's comm is all there is.
        let old = replay(vec![
            (1, spawn()),
            (1, exec("/bin/prog")),
            (1, clone(2, ForkFlavor::Fork)),
            (2, exit(Some("worker-1"))),
        ]);
        assert_eq!(shown(&old, 2).as_deref(), Some("worker-1"));
        // The rename is exact; an exit comm read later does not undo it.
        let new = replay(vec![
            (1, spawn()),
            (1, exec("/bin/prog")),
            (1, clone(2, ForkFlavor::Fork)),
            (2, rename("worker-1")),
            (2, exit(Some("prog"))),
        ]);
        assert_eq!(shown(&new, 2).as_deref(), Some("worker-1"));
        // A failed rename renames nothing.
        let failed = replay(vec![
            (1, spawn()),
            (1, exec("/bin/prog")),
            (
                1,
                EventKind::Rename {
                    name: RawStr::default(),
                    errno: Some("EFAULT".into()),
                },
            ),
        ]);
        assert_eq!(shown(&failed, 1), None);
    }
}
