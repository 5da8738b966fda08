//! Applying one event: the kernel's semantics of each syscall and process
//! event, as changes to the tree and the file side.
//!
//! Each handler follows what the kernel does (fork copies or shares the fd
//! table; exec unshares it, ends the other threads and closes FD_CLOEXEC
//! fds; dup2 closes its target first; the last task's exit closes every fd
//! and leaves a zombie). A contradiction becomes an [`Anomaly`]; nothing panics.

use super::anomaly::Anomaly;
use super::fd_table::{FdSlot, FdTableId};
use super::note::{Applied, CloseCause, Note};
use super::open_file::{Access, Object, OpenFileId, StatusFlags};
use super::pipe::PipeOrigin;
use super::process::{ExecRecord, Exit, Origin, Orphaning, ProcId, ProcessState, Reap, Task};
use super::{Model, Moment, KEPT_ANOMALIES};

/// CLONE_FILES from <linux/sched.h>.
const CLONE_FILES: u64 = 0x400;
use crate::trace::{
    parse_bracket_inode, DupVia, Event, EventKind, FdEntry, ForkFlavor, Pid, RawStr, Status,
};

/// The event being applied and what it did so far.
struct Cx<'a> {
    at: Moment,
    pid: Pid,
    kind: &'static str,
    out: &'a mut Applied,
}

impl Cx<'_> {
    fn anomaly(&mut self, a: Anomaly) {
        self.out.anomalies.push(a);
    }

    fn note(&mut self, n: Note) {
        self.out.notes.push(n);
    }

    fn unknown_fd(&mut self, fd: i32, op: &'static str) {
        let (seq, pid) = (self.at.seq, self.pid);
        self.anomaly(Anomaly::UnknownFd { seq, pid, fd, op });
    }
}

impl Model {
    /// Applies one event and says what it changed that is worth telling.
    /// Events must come in trace order.
    pub fn apply(&mut self, ev: &Event) -> Applied {
        self.tree.reaped_now.clear();
        let mut out = Applied::default();
        let mut cx = Cx {
            at: Moment::of(ev),
            pid: ev.pid,
            kind: ev.kind.name(),
            out: &mut out,
        };
        match &ev.kind {
            EventKind::Spawn {
                argv,
                fds,
                attached,
                parent,
                threads,
            } => self.on_spawn(&mut cx, argv, fds, *attached, *parent, threads),
            EventKind::Fork {
                child,
                flavor,
                shares_fds,
                flags,
                fds,
                ..
            } => {
                self.on_fork(
                    &mut cx,
                    *child,
                    *flavor,
                    (*shares_fds, fds.as_deref()),
                    *flags,
                );
                self.name_at_fork(ev.pid, *child);
            }
            EventKind::Exec {
                path,
                argv,
                ok,
                errno,
                former_tid,
                fds,
                ..
            } => {
                let threads = if *ok {
                    self.threads_before_exec(former_tid.unwrap_or(ev.pid))
                } else {
                    Vec::new()
                };
                self.on_exec(&mut cx, path, argv, *ok, errno, *former_tid);
                if *ok {
                    self.name_at_exec(ev.pid, &threads);
                    self.sync_io_uring(&mut cx, fds.as_deref());
                }
            }
            EventKind::Pipe {
                read_fd,
                write_fd,
                pipe_id,
                cloexec,
                nonblock,
            } => self.on_pipe(&mut cx, *read_fd, *write_fd, *pipe_id, *cloexec, *nonblock),
            EventKind::Dup {
                old_fd,
                new_fd,
                via,
                cloexec,
                errno,
            } => {
                if errno.is_none() {
                    self.on_dup(&mut cx, *old_fd, *new_fd, *via, *cloexec);
                }
            }
            EventKind::Open {
                fd,
                path,
                flags,
                target,
                errno,
                kernel_name,
                unreadable,
                ..
            } => {
                if *fd >= 0 && errno.is_none() {
                    self.on_open(&mut cx, *fd, path, flags, target.as_ref());
                    // A path that could not be read (a non-dumpable
                    // program) and no kernel name: the model does not know
                    // what the fd is, and must not pretend it does.
                    let lost = unreadable.iter().any(|u| u == "path")
                        && kernel_name.is_none()
                        && target.is_none();
                    self.name_by_kernel(&mut cx, *fd, kernel_name.as_ref(), lost);
                }
            }
            EventKind::Close { fd } => self.on_close(&mut cx, *fd),
            EventKind::CloseRange {
                first,
                last,
                cloexec,
                unshare,
                errno: None,
            } => {
                if *unshare {
                    self.unshare_files(&mut cx);
                }
                self.on_close_range(&mut cx, *first, *last, *cloexec)
            }
            EventKind::Unshare { flags, errno: None } if flags & CLONE_FILES != 0 => {
                self.unshare_files(&mut cx)
            }
            EventKind::SetCloexec {
                fd, cloexec, errno, ..
            } => {
                if errno.is_none() {
                    self.on_set_cloexec(&mut cx, *fd, *cloexec);
                }
            }
            EventKind::Socket {
                fds,
                domain,
                listen_fd,
                target,
                cloexec,
                ..
            } => self.on_socket(&mut cx, fds, domain, *listen_fd, target.as_ref(), *cloexec),
            EventKind::NewFd {
                fd,
                target,
                cloexec,
                ..
            } => self.on_new_fd(&mut cx, *fd, target.as_ref(), *cloexec),
            EventKind::Wait {
                reaped: Some(child),
                status: Some(status),
                errno: None,
                ..
            } if status.is_final() => self.on_wait(&mut cx, *child, *status),
            // wait(NULL) / waitpid(pid, NULL, 0): no status was read, but a
            // child that has exited and is reported is reaped, with the
            // status of its exit. So does one that reaped it and then
            // failed to store the status (EFAULT, recorded with `reaped`).
            EventKind::Wait {
                reaped: Some(child),
                status: None,
                errno,
                ..
            } if errno.as_deref().is_none_or(|e| e == "EFAULT") => {
                let exited = self
                    .tree
                    .id_of(*child)
                    .map(|id| self.tree.proc(id))
                    .filter(|p| p.state == ProcessState::Zombie)
                    .and_then(|p| p.exit.and_then(|e| e.status));
                if let Some(status) = exited {
                    self.on_wait(&mut cx, *child, status);
                }
            }
            EventKind::Stop { signal } => {
                if let Some(p) = self.live_process_of(&mut cx) {
                    let p = self.tree.proc_mut(p);
                    if p.is_alive() {
                        p.state = ProcessState::Stopped { signal: *signal };
                    }
                }
            }
            EventKind::Continue {} => {
                if let Some(p) = self.live_process_of(&mut cx) {
                    let p = self.tree.proc_mut(p);
                    if let ProcessState::Stopped { .. } = p.state {
                        p.state = ProcessState::Running;
                    }
                }
            }
            EventKind::Setsid {
                sid: Some(sid),
                errno: None,
            } => {
                let p = self.task_or_adopt(&mut cx, ev.pid).process;
                let p = self.tree.proc_mut(p);
                p.sid = Some(*sid);
                p.pgid = Some(*sid);
            }
            EventKind::Setpgid {
                target,
                pgid,
                ok: true,
                ..
            } => self.on_setpgid(&mut cx, *target, *pgid),
            EventKind::Exit { status, comm } => {
                self.name_at_exit(cx.pid, comm.as_ref());
                self.on_exit(&mut cx, *status)
            }
            EventKind::Rename { name, errno: None } => {
                let task = self.task_or_adopt(&mut cx, ev.pid);
                self.on_rename(ev.pid, task.process, name);
            }
            EventKind::Sigchld {
                action, nocldwait, ..
            } => {
                let p = self.task_or_adopt(&mut cx, ev.pid).process;
                self.tree.proc_mut(p).sigchld = super::Sigchld {
                    ignored: action == "ignore",
                    nocldwait: *nocldwait,
                };
            }
            // No change to the state the model keeps.
            EventKind::PipeFailed { .. }
            | EventKind::CloseRange { .. }
            | EventKind::Unshare { .. }
            | EventKind::Mkfifo { .. }
            | EventKind::Wait { .. }
            | EventKind::Kill { .. }
            | EventKind::Signal { .. }
            | EventKind::Setsid { .. }
            | EventKind::Rename { .. }
            | EventKind::Setpgid { .. }
            | EventKind::Stall { .. }
            | EventKind::FdSnapshot { .. }
            | EventKind::PtraceLimit { .. }
            | EventKind::Lost { .. }
            | EventKind::FrontExit { .. } => {}
        }
        for a in &out.anomalies {
            self.anomaly_count += 1;
            if self.anomalies.len() < KEPT_ANOMALIES {
                self.anomalies.push(*a);
            }
        }
        out
    }

    /// The live task `tid`; an unknown one is an anomaly and is adopted as a
    /// new process with an empty fd table, so later events apply.
    fn task_or_adopt(&mut self, cx: &mut Cx, tid: Pid) -> Task {
        if let Some(t) = self.tree.tasks.get(&tid) {
            return *t;
        }
        cx.anomaly(Anomaly::UnknownTask {
            seq: cx.at.seq,
            pid: tid,
            kind: cx.kind,
        });
        let process = self
            .tree
            .add_process(tid, None, None, Origin::Unknown, cx.at);
        let fd_table = self.files.new_table(tid);
        self.tree.add_task(tid, process, fd_table);
        Task {
            tid,
            process,
            fd_table,
        }
    }

    /// The process of the acting task for events that only change its
    /// state (stop, continue); unknown is an anomaly, not adopted.
    fn live_process_of(&mut self, cx: &mut Cx) -> Option<ProcId> {
        let p = self.tree.tasks.get(&cx.pid).map(|t| t.process);
        if p.is_none() {
            cx.anomaly(Anomaly::UnknownTask {
                seq: cx.at.seq,
                pid: cx.pid,
                kind: cx.kind,
            });
        }
        p
    }

    /// The acting task's fd table and its process's pid (for notes).
    fn table_of(&mut self, cx: &mut Cx) -> (FdTableId, Pid) {
        let t = self.task_or_adopt(cx, cx.pid);
        (t.fd_table, self.tree.proc(t.process).pid)
    }

    /// Installs a freshly made open file at `fd`; an fd the model already had
    /// open is an anomaly (the kernel only hands out free fds).
    fn install_new(
        &mut self,
        cx: &mut Cx,
        table: FdTableId,
        pid: Pid,
        fd: i32,
        file: OpenFileId,
        cloexec: bool,
    ) {
        let replaced = self.files.install(
            table,
            fd,
            file,
            cloexec,
            CloseCause::Reused,
            pid,
            &mut cx.out.notes,
        );
        if replaced {
            cx.anomaly(Anomaly::FdAlreadyOpen {
                seq: cx.at.seq,
                pid: cx.pid,
                fd,
                op: cx.kind,
            });
        }
    }

    /// An fd the kernel used that the model lacks becomes an unknown open file.
    fn adopt_fd(&mut self, cx: &mut Cx, table: FdTableId, pid: Pid, fd: i32) -> FdSlot {
        let file = self.files.new_file(
            Object::Unknown,
            Access::Unknown,
            cx.at,
            cx.pid,
            // An unknown object is never a pipe.
            || PipeOrigin::Inherited { at: cx.at },
        );
        self.install_new(cx, table, pid, fd, file, false);
        FdSlot {
            file,
            cloexec: false,
        }
    }

    fn on_spawn(
        &mut self,
        cx: &mut Cx,
        argv: &[RawStr],
        fds: &[FdEntry],
        attached: bool,
        parent: Option<Pid>,
        threads: &[Pid],
    ) {
        let pid = cx.pid;
        for &tid in std::iter::once(&pid).chain(threads) {
            if self.tree.tasks.contains_key(&tid) {
                cx.anomaly(Anomaly::TaskAlreadyAlive {
                    seq: cx.at.seq,
                    pid,
                    child: tid,
                });
                self.end_task(cx, tid, None);
            }
            self.vanished.remove(&tid);
        }
        let origin = Origin::Spawn {
            argv: argv.to_vec(),
            attached,
        };
        // Attached under a traced parent: a child in the tree, though its
        // fork happened before the trace began.
        let parent = parent
            .and_then(|p| self.tree.id_of(p))
            .filter(|&p| self.tree.proc(p).is_alive());
        let process = self.tree.add_process(pid, parent, None, origin, cx.at);
        let table = self.files.new_table(pid);
        self.tree.add_task(pid, process, table);
        for &tid in threads {
            self.files.add_user(table, tid);
            self.tree.add_task(tid, process, table);
        }
        let at = cx.at;
        for e in fds {
            // fds the recorder saw sharing one open file description (kcmp)
            // share one here too, so refcounts and pipe ends are right.
            let holder = match e.same_as_pid {
                Some(p) => self.tree.task(p).map(|t| t.fd_table),
                None => Some(table),
            };
            let shared = e
                .same_as
                .zip(holder)
                .and_then(|(s, t)| self.files.slot(t, s))
                .map(|slot| slot.file);
            let file = match shared {
                Some(f) => f,
                None => {
                    let object = Object::from_target(&e.target);
                    let access = e
                        .flags
                        .as_deref()
                        .map_or(Access::Unknown, |f| Access::from_open_flags(f).0);
                    let file = self
                        .files
                        .new_file(object, access, at, pid, || PipeOrigin::Inherited { at });
                    if let Some(flags) = &e.flags {
                        self.files.set_status(file, StatusFlags::from_flags(flags));
                    }
                    file
                }
            };
            self.install_new(cx, table, pid, e.fd, file, e.cloexec);
        }
    }

    fn on_fork(
        &mut self,
        cx: &mut Cx,
        child: Pid,
        flavor: ForkFlavor,
        (shares, fds): (bool, Option<&[FdEntry]>),
        flags: u64,
    ) {
        let parent = self.task_or_adopt(cx, cx.pid);
        if self.tree.tasks.contains_key(&child) {
            cx.anomaly(Anomaly::TaskAlreadyAlive {
                seq: cx.at.seq,
                pid: cx.pid,
                child,
            });
            self.end_task(cx, child, None);
        }
        self.vanished.remove(&child);
        let table = if shares {
            self.files.add_user(parent.fd_table, child);
            parent.fd_table
        } else if let Some(fds) = fds {
            self.fork_table(cx, parent.fd_table, child, fds)
        } else {
            self.files.copy_table(parent.fd_table, child)
        };
        let process = if flavor == ForkFlavor::Thread {
            parent.process
        } else {
            // CLONE_PARENT: the child's parent is the caller's parent.
            let real_parent = if flags & libc::CLONE_PARENT as u64 != 0 {
                self.tree.proc(parent.process).parent
            } else {
                Some(parent.process)
            };
            let origin = Origin::Fork {
                flavor,
                by: cx.pid,
                shares_fds: shares,
            };
            self.tree
                .add_process(child, real_parent, Some(parent.process), origin, cx.at)
        };
        self.tree.add_task(child, process, table);
    }

    /// The child's fd table as the kernel copied it (recorded for forks from
    /// a shared table), instead of a copy of the model's parent table. An fd
    /// the recorder saw sharing its open file description with the parent's
    /// fd of that number shares the model's open file there, if the model's
    /// parent holds a matching object at that fd; any other fd is an open
    /// file of its own, named by its /proc target.
    fn fork_table(
        &mut self,
        cx: &mut Cx,
        parent: FdTableId,
        child: Pid,
        fds: &[FdEntry],
    ) -> FdTableId {
        let table = self.files.new_table(child);
        for e in fds {
            let holder = if e.same_as_pid.is_some() {
                parent
            } else {
                table
            };
            let shared = e
                .same_as
                .and_then(|s| self.files.slot(holder, s))
                .map(|slot| slot.file)
                .filter(|f| {
                    self.files
                        .files
                        .get(f)
                        .is_some_and(|f| super::verify::matches(&f.object, e.target.as_bytes()))
                });
            let file = match shared {
                Some(f) => f,
                None => {
                    let object = Object::from_target(&e.target);
                    let access = e
                        .flags
                        .as_deref()
                        .map_or(Access::Unknown, |f| Access::from_open_flags(f).0);
                    let at = cx.at;
                    self.files
                        .new_file(object, access, at, cx.pid, || PipeOrigin::Inherited { at })
                }
            };
            self.install_new(cx, table, child, e.fd, file, e.cloexec);
        }
        table
    }

    fn on_exec(
        &mut self,
        cx: &mut Cx,
        path: &RawStr,
        argv: &[RawStr],
        ok: bool,
        errno: &Option<String>,
        former_tid: Option<Pid>,
    ) {
        let tid = match former_tid {
            Some(t) if self.tree.tasks.contains_key(&t) => t,
            _ => cx.pid,
        };
        let task = self.task_or_adopt(cx, tid);
        let process = task.process;
        let record = ExecRecord {
            at: cx.at,
            tid,
            path: path.clone(),
            argv: argv.to_vec(),
            ok,
            errno: errno.clone(),
        };
        if !ok {
            let execs = &mut self.tree.proc_mut(process).execs;
            execs.reserve_exact(1);
            execs.push(record);
            return;
        }
        let pid = self.tree.proc(process).pid;
        // de_thread(): every other thread of the group ends. Their exit
        // events may still follow; the old leader's never does.
        if self.tree.proc(process).tasks.len() > 1 {
            let others: Vec<Pid> = self
                .tree
                .proc(process)
                .tasks
                .iter()
                .copied()
                .filter(|t| *t != tid)
                .collect();
            for t in &others {
                self.end_task(cx, *t, None);
                if *t != cx.pid {
                    self.vanished.insert(*t);
                }
            }
            cx.note(Note::ThreadsEnded {
                pid,
                count: others.len(),
            });
        }
        // The exec'ing thread takes the leader's pid.
        let mut table = task.fd_table;
        if tid != cx.pid {
            self.tree.tasks.remove(&tid);
            self.tree.tasks.insert(
                cx.pid,
                Task {
                    tid: cx.pid,
                    process,
                    fd_table: table,
                },
            );
            self.tree.proc_mut(process).tasks = vec![cx.pid];
            self.files.rename_user(table, tid, cx.pid);
        }
        // unshare_files(): a table still shared (CLONE_FILES) is copied.
        if self.files.users(table) > 1 {
            let own = self.files.copy_table(table, cx.pid);
            self.files
                .remove_user(table, cx.pid, pid, &mut cx.out.notes);
            if let Some(t) = self.tree.tasks.get_mut(&cx.pid) {
                t.fd_table = own;
            }
            table = own;
            cx.note(Note::FdTableUnshared { pid });
        }
        self.files.close_cloexec(table, pid, &mut cx.out.notes);
        let p = self.tree.proc_mut(process);
        // execve(2): handled signals are reset to the default, ignored
        // ones stay ignored; the kernel clears every sa_flags.
        p.sigchld.nocldwait = false;
        p.last_ok_exec = Some(p.execs.len() as u32);
        p.execs.reserve_exact(1);
        p.execs.push(record);
        p.state = ProcessState::Running;
    }

    fn on_pipe(
        &mut self,
        cx: &mut Cx,
        read_fd: i32,
        write_fd: i32,
        pipe: u64,
        cloexec: bool,
        nonblock: bool,
    ) {
        let (table, pid) = self.table_of(cx);
        let (at, by) = (cx.at, cx.pid);
        for (fd, access) in [(read_fd, Access::Read), (write_fd, Access::Write)] {
            let object = Object::Pipe { pipe, fifo: None };
            let file = self
                .files
                .new_file(object, access, at, by, || PipeOrigin::Created { at, by });
            if nonblock {
                self.files.set_status(
                    file,
                    StatusFlags {
                        append: false,
                        nonblock: true,
                    },
                );
            }
            self.install_new(cx, table, pid, fd, file, cloexec);
        }
    }

    fn on_dup(&mut self, cx: &mut Cx, old_fd: i32, new_fd: i32, via: DupVia, cloexec: bool) {
        let (table, pid) = self.table_of(cx);
        let slot = match self.files.slot(table, old_fd) {
            Some(s) => s,
            None => {
                cx.unknown_fd(old_fd, "dup");
                self.adopt_fd(cx, table, pid, old_fd)
            }
        };
        if old_fd == new_fd {
            // dup2(fd, fd) returns fd and changes nothing (dup3 would fail).
            return;
        }
        let cause = match via {
            DupVia::Dup2 | DupVia::Dup3 => CloseCause::Dup2,
            DupVia::Dup | DupVia::Fcntl => CloseCause::Reused,
        };
        let replaced = self.files.install(
            table,
            new_fd,
            slot.file,
            cloexec,
            cause,
            pid,
            &mut cx.out.notes,
        );
        if replaced && cause == CloseCause::Reused {
            cx.anomaly(Anomaly::FdAlreadyOpen {
                seq: cx.at.seq,
                pid: cx.pid,
                fd: new_fd,
                op: "dup",
            });
        }
    }

    fn on_open(
        &mut self,
        cx: &mut Cx,
        fd: i32,
        path: &RawStr,
        flags: &str,
        target: Option<&RawStr>,
    ) {
        let (table, pid) = self.table_of(cx);
        let object = match target.map(Object::from_target) {
            Some(Object::Pipe { pipe, .. }) => Object::Pipe {
                pipe,
                fifo: Some(path.clone()),
            },
            Some(o) => o,
            None => Object::from_path(path),
        };
        let (access, cloexec) = Access::from_open_flags(flags);
        let at = cx.at;
        let file = self
            .files
            .new_file(object, access, at, cx.pid, || PipeOrigin::Fifo {
                at,
                path: path.clone(),
            });
        self.files.set_status(file, StatusFlags::from_flags(flags));
        self.install_new(cx, table, pid, fd, file, cloexec);
    }

    /// unshare(CLONE_FILES) or close_range(CLOSE_RANGE_UNSHARE): the
    /// acting task gets its own copy of its fd table when others share it
    /// (`unshare_fd()` in the kernel copies only a shared table); the others
    /// keep the original.
    fn unshare_files(&mut self, cx: &mut Cx) {
        let task = self.task_or_adopt(cx, cx.pid);
        if self.files.users(task.fd_table) <= 1 {
            return;
        }
        let pid = self.tree.proc(task.process).pid;
        let own = self.files.copy_table(task.fd_table, cx.pid);
        self.files
            .remove_user(task.fd_table, cx.pid, pid, &mut cx.out.notes);
        if let Some(t) = self.tree.tasks.get_mut(&cx.pid) {
            t.fd_table = own;
        }
        cx.note(Note::FdTableUnshared { pid });
    }

    /// After an exec of a process that used io_uring, takes the kernel's fd
    /// table as it is: io_uring opens and closes fds without syscalls, so
    /// the model cannot have seen those. Each difference is a
    /// [`Note::FdUnseen`].
    fn sync_io_uring(&mut self, cx: &mut Cx, snapshot: Option<&[FdEntry]>) {
        let Some(snapshot) = snapshot else { return };
        let Some(task) = self.tree.tasks.get(&cx.pid).copied() else {
            return;
        };
        let Some(t) = self.files.tables.get(&task.fd_table) else {
            return;
        };
        if !t.used_io_uring() {
            return;
        }
        let pid = self.tree.proc(task.process).pid;
        let gone: Vec<i32> = t
            .iter()
            .map(|(fd, _)| fd)
            .filter(|fd| !snapshot.iter().any(|e| e.fd == *fd))
            .collect();
        for fd in gone {
            self.files.close(task.fd_table, fd, pid, &mut cx.out.notes);
            cx.note(Note::FdUnseen {
                pid,
                fd,
                appeared: false,
            });
        }
        let at = cx.at;
        for e in snapshot {
            if self.files.slot(task.fd_table, e.fd).is_some() {
                continue;
            }
            let file = self.files.new_file(
                Object::from_target(&e.target),
                Access::Unknown,
                at,
                cx.pid,
                || PipeOrigin::Inherited { at },
            );
            self.install_new(cx, task.fd_table, pid, e.fd, file, e.cloexec);
            cx.note(Note::FdUnseen {
                pid,
                fd: e.fd,
                appeared: true,
            });
        }
        // The new program starts without io_uring unless it kept the ring.
        let kept = snapshot
            .iter()
            .any(|e| e.target.as_bytes() == b"anon_inode:[io_uring]");
        if let Some(t) = self.files.tables.get_mut(&task.fd_table) {
            t.used_io_uring = kept;
        }
    }

    /// Keeps what the kernel called a newly opened fd (`kernel_name` of an
    /// open), which `--verify` compares with later snapshots.
    /// With `lost`, the open file's object becomes unknown.
    fn name_by_kernel(&mut self, cx: &mut Cx, fd: i32, name: Option<&RawStr>, lost: bool) {
        if name.is_none() && !lost {
            return;
        }
        let Some(table) = self.tree.tasks.get(&cx.pid).map(|t| t.fd_table) else {
            return;
        };
        if let Some(slot) = self.files.slot(table, fd) {
            if let Some(f) = self.files.files.get_mut(&slot.file) {
                f.kernel_name = name.cloned();
                if lost {
                    f.object = Object::Unknown;
                }
            }
        }
    }

    fn on_close(&mut self, cx: &mut Cx, fd: i32) {
        let (table, pid) = self.table_of(cx);
        // close(-1) and friends fail with EBADF whatever the table holds.
        if fd < 0 {
            return;
        }
        if self
            .files
            .close(table, fd, pid, &mut cx.out.notes)
            .is_none()
        {
            cx.anomaly(Anomaly::CloseNotOpen {
                seq: cx.at.seq,
                pid: cx.pid,
                fd,
            });
        }
    }

    fn on_close_range(&mut self, cx: &mut Cx, first: u32, last: u32, cloexec: bool) {
        // first > last is EINVAL; fds above i32::MAX do not exist.
        let Ok(lo) = i32::try_from(first) else {
            return;
        };
        if first > last {
            return;
        }
        let hi = i32::try_from(last).unwrap_or(i32::MAX);
        let (table, pid) = self.table_of(cx);
        self.files
            .close_range(table, lo, hi, cloexec, pid, &mut cx.out.notes);
    }

    fn on_set_cloexec(&mut self, cx: &mut Cx, fd: i32, on: bool) {
        let (table, pid) = self.table_of(cx);
        if !self.files.set_cloexec(table, fd, on) {
            cx.unknown_fd(fd, "fcntl(F_SETFD)");
            self.adopt_fd(cx, table, pid, fd);
            self.files.set_cloexec(table, fd, on);
        }
    }

    fn on_socket(
        &mut self,
        cx: &mut Cx,
        fds: &[i32],
        domain: &Option<String>,
        listen_fd: Option<i32>,
        target: Option<&RawStr>,
        cloexec: bool,
    ) {
        let (table, pid) = self.table_of(cx);
        // accept: the family is the listening socket's.
        let domain = match (domain, listen_fd) {
            (Some(d), _) => Some(d.clone()),
            (None, Some(l)) => self
                .files
                .slot(table, l)
                .and_then(|s| self.files.files.get(&s.file))
                .and_then(|f| match &f.object {
                    Object::Socket { domain, .. } => domain.clone(),
                    _ => None,
                }),
            (None, None) => None,
        };
        let at = cx.at;
        for (i, &fd) in fds.iter().enumerate() {
            // The target names the first fd only (socketpair's second differs).
            let inode = match (i, target) {
                (0, Some(t)) => parse_bracket_inode(t.as_bytes(), b"socket:["),
                _ => None,
            };
            let object = Object::Socket {
                inode,
                domain: domain.clone(),
            };
            let file = self
                .files
                .new_file(object, Access::ReadWrite, at, cx.pid, || {
                    PipeOrigin::Inherited { at }
                });
            self.install_new(cx, table, pid, fd, file, cloexec);
        }
    }

    /// An fd from epoll_create1, eventfd2, memfd_create, ...: a new open
    /// file, named by its /proc target.
    fn on_new_fd(&mut self, cx: &mut Cx, fd: i32, target: Option<&RawStr>, cloexec: bool) {
        let (table, pid) = self.table_of(cx);
        if target.is_some_and(|t| t.as_bytes() == b"anon_inode:[io_uring]") {
            self.files.mark_io_uring(table);
        }
        let object = target.map_or(Object::Unknown, Object::from_target);
        let at = cx.at;
        let file = self
            .files
            .new_file(object, Access::Unknown, at, cx.pid, || {
                PipeOrigin::Inherited { at }
            });
        self.install_new(cx, table, pid, fd, file, cloexec);
    }

    fn on_setpgid(&mut self, cx: &mut Cx, target: Pid, pgid: Pid) {
        let process = if target == 0 {
            Some(self.task_or_adopt(cx, cx.pid).process)
        } else {
            self.tree.id_of(target)
        };
        if let Some(id) = process {
            let p = self.tree.proc_mut(id);
            p.pgid = Some(if pgid == 0 { p.pid } else { pgid });
        }
    }

    fn on_exit(&mut self, cx: &mut Cx, status: Status) {
        if self.tree.tasks.contains_key(&cx.pid) {
            self.end_task(cx, cx.pid, Some(status));
        } else if !self.vanished.remove(&cx.pid) {
            cx.anomaly(Anomaly::UnknownTask {
                seq: cx.at.seq,
                pid: cx.pid,
                kind: cx.kind,
            });
        }
    }

    fn on_wait(&mut self, cx: &mut Cx, child: Pid, status: Status) {
        let waiter = self.task_or_adopt(cx, cx.pid).process;
        let waiter_pid = self.tree.proc(waiter).pid;
        let (seq, pid) = (cx.at.seq, cx.pid);
        let Some(&id) = self.tree.by_pid.get(&child) else {
            // A process already running when forkscope attached may reap a
            // child that was a zombie then (or exiting): no task to seize,
            // so the trace never names it. Not a model error.
            if matches!(
                self.tree.proc(waiter).origin,
                Origin::Spawn { attached: true, .. }
            ) {
                cx.note(Note::ReapedFromBeforeAttach {
                    pid: waiter_pid,
                    child,
                });
            } else {
                cx.anomaly(Anomaly::UnknownChild { seq, pid, child });
            }
            return;
        };
        if self.tree.is_gone(id) {
            // Reaped long ago, and forgotten (model/forget.rs).
            cx.anomaly(Anomaly::ReapedTwice { seq, pid, child });
            return;
        }
        match self.tree.proc(id).state {
            ProcessState::Reaped => {
                cx.anomaly(Anomaly::ReapedTwice { seq, pid, child });
                return;
            }
            ProcessState::Running | ProcessState::Stopped { .. } => {
                cx.anomaly(Anomaly::ReapedAlive { seq, pid, child });
                for t in self.tree.proc(id).tasks.clone() {
                    self.end_task(cx, t, Some(status));
                }
            }
            ProcessState::Zombie => {}
        }
        let mut adopted = false;
        let p = self.tree.proc_mut(id);
        if p.parent != Some(waiter) {
            match p.orphaned.as_mut() {
                Some(o) => {
                    o.adopted_by = Some(waiter);
                    adopted = true;
                    cx.note(Note::Adopted {
                        pid: child,
                        by: waiter_pid,
                    });
                }
                None => cx.anomaly(Anomaly::NotAChild { seq, pid, child }),
            }
        }
        p.state = ProcessState::Reaped;
        p.reap = Some(Reap {
            at: cx.at,
            by: Some(waiter),
            status: Some(status),
            by_kernel: false,
        });
        self.tree.pin(waiter);
        if adopted {
            self.tree.pin(waiter);
        }
        self.tree.reaped(id);
        cx.note(Note::Reaped {
            pid: child,
            by: waiter_pid,
        });
    }

    /// A process that just became a zombie whose live parent ignores
    /// SIGCHLD or set SA_NOCLDWAIT is reaped by the kernel at once (the
    /// kernel's do_notify_parent(): autoreap; with ptrace, once the tracer
    /// has collected it). A child created with another exit signal than
    /// SIGCHLD (clone) would not be; the trace does not say, so every child
    /// is taken as a SIGCHLD child.
    fn auto_reap(&mut self, cx: &mut Cx, id: ProcId, status: Option<Status>) {
        let p = self.tree.proc(id);
        let auto = p
            .parent
            .map(|pp| self.tree.proc(pp))
            .is_some_and(|pp| pp.is_alive() && pp.sigchld.auto_reaps());
        if !auto || p.orphaned.is_some() {
            return;
        }
        let p = self.tree.proc_mut(id);
        p.state = ProcessState::Reaped;
        p.reap = Some(Reap {
            at: cx.at,
            by: None,
            status,
            by_kernel: true,
        });
        self.tree.reaped(id);
    }

    /// A task ends: it lets go of its fd table (the last user closes every
    /// fd); the last task of a process leaves a zombie and orphans its children.
    fn end_task(&mut self, cx: &mut Cx, tid: Pid, status: Option<Status>) {
        let Some(task) = self.tree.tasks.remove(&tid) else {
            return;
        };
        let pid = self.tree.proc(task.process).pid;
        self.files
            .remove_user(task.fd_table, tid, pid, &mut cx.out.notes);
        let p = self.tree.proc_mut(task.process);
        if let Some(i) = p.tasks.iter().position(|t| *t == tid) {
            p.tasks.swap_remove(i);
        }
        if !p.tasks.is_empty() {
            return;
        }
        p.tasks = Vec::new();
        p.state = ProcessState::Zombie;
        p.exit = Some(Exit { at: cx.at, status });
        cx.note(Note::Zombie { pid, status });
        self.auto_reap(cx, task.process, status);
        let at = cx.at;
        for i in 0..self.tree.proc(task.process).children.len() {
            let c = self.tree.proc(task.process).children[i];
            if self.tree.is_gone(c) {
                continue; // reaped long ago
            }
            let child = self.tree.proc_mut(c);
            if child.state != ProcessState::Reaped && child.orphaned.is_none() {
                child.orphaned = Some(Orphaning {
                    at,
                    adopted_by: None,
                });
                cx.note(Note::Orphaned {
                    pid: child.pid,
                    parent: pid,
                });
            }
        }
    }
}
