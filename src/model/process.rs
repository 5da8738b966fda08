//! The process tree: tasks (threads, named by tid) grouped into processes
//! (thread groups, named by tgid), parents and children, every exec, and
//! each process's lifetime: born, exited (zombie), reaped, orphaned.
//!
//! Processes live in an arena indexed by [`ProcId`], because the kernel
//! reuses pids: once a process is reaped its pid can name a new one, and the
//! tree must still tell them apart. Reaped processes stay (for the tree view)
//! but hold no tasks and no fds. The arena, each process's children and the
//! pid index are copy-on-write storage (model/shared.rs): a copy shares every
//! process it does not change, so checkpoints cost the live part only.

use super::fd_table::FdTableId;
use super::hash::IdMap;
use super::shared::{PidMap, SharedVec};
use super::Moment;
use crate::trace::{ForkFlavor, Pid, RawStr, Sig, Status};

/// Names one process of the trace (unique even when pids are reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcId(pub(crate) u32);

impl ProcId {
    /// Position in creation order (0 = the first process the model saw).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One live task (thread). Exited tasks are forgotten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    /// Its tid.
    pub tid: Pid,
    /// The process (thread group) it belongs to.
    pub process: ProcId,
    /// The fd table it uses.
    pub fd_table: FdTableId,
}

/// Where a process is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessState {
    /// Has at least one live task.
    Running,
    /// In a group-stop.
    Stopped {
        /// The stopping signal.
        signal: Sig,
    },
    /// Every task has exited; not reaped yet (or reaped outside the trace
    /// without the model learning of it).
    Zombie,
    /// Reaped by a wait, or known to be gone.
    Reaped,
}

/// How a process came to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The first traced process (`spawn`), with the argv it was about to run.
    Spawn {
        /// The command line.
        argv: Vec<RawStr>,
        /// Already running when forkscope attached to it (`record -p`).
        attached: bool,
    },
    /// fork/vfork/clone by a traced task.
    Fork {
        /// What kind of creation.
        flavor: ForkFlavor,
        /// The tid that called it.
        by: Pid,
        /// It shares its creator's fd table (CLONE_FILES).
        shares_fds: bool,
    },
    /// First seen acting without being created in the trace (an anomaly).
    Unknown,
}

/// One execve/execveat call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecRecord {
    /// When.
    pub at: Moment,
    /// The tid that called it (differs from the pid when a non-leader thread exec'd).
    pub tid: Pid,
    /// The path as passed.
    pub path: RawStr,
    /// The argv.
    pub argv: Vec<RawStr>,
    /// The new program started.
    pub ok: bool,
    /// Why not.
    pub errno: Option<String>,
}

/// Points at one exec record of some process: the program a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecRef {
    /// The process that exec'd.
    pub process: ProcId,
    /// Index into its `execs`.
    pub index: u32,
}

/// The end of a process's last task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit {
    /// When (the exit event of the last task).
    pub at: Moment,
    /// The status of that event (`None` when the model ended the process
    /// itself after an anomaly).
    pub status: Option<Status>,
}

/// A process leaving the zombie state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reap {
    /// When: the wait, or (when `by` is `None`) the moment the model learned
    /// it was gone (its pid reused), an upper bound.
    pub at: Moment,
    /// The process whose wait reaped it; `None` outside the trace (init, a
    /// subreaper, auto-reaping because SIGCHLD is ignored).
    pub by: Option<ProcId>,
    /// The status the wait reported.
    pub status: Option<Status>,
    /// The kernel reaped it as it exited, because its parent ignores
    /// SIGCHLD or set SA_NOCLDWAIT: it never was a zombie.
    pub by_kernel: bool,
}

/// A process whose parent exited first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Orphaning {
    /// When its parent exited.
    pub at: Moment,
    /// The traced process that later reaped it, if any; `None`: adopted
    /// outside the trace (init or the nearest subreaper).
    pub adopted_by: Option<ProcId>,
}

/// A process's SIGCHLD disposition, as far as reaping goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sigchld {
    /// SIGCHLD is ignored (SIG_IGN).
    pub ignored: bool,
    /// SA_NOCLDWAIT is set.
    pub nocldwait: bool,
}

impl Sigchld {
    /// The kernel reaps this process's children as they exit: "If a parent
    /// process sets the action for SIGCHLD to SIG_IGN \[or sets
    /// SA_NOCLDWAIT\], then children that terminate do not become zombies"
    /// (waitpid(2)).
    pub fn auto_reaps(&self) -> bool {
        self.ignored || self.nocldwait
    }
}

/// One process (thread group).
#[derive(Clone, Debug)]
pub struct Process {
    /// Its id in the tree.
    pub id: ProcId,
    /// Its pid (the tgid).
    pub pid: Pid,
    /// The process that made it (the real parent; CLONE_PARENT honoured).
    /// `None` for the root or a process first seen mid-trace.
    pub parent: Option<ProcId>,
    /// Processes it made, in creation order (kept after they are reaped).
    pub children: SharedVec<ProcId>,
    /// Tids of its live tasks (empty once it exited).
    pub tasks: Vec<Pid>,
    /// How it came to be.
    pub origin: Origin,
    /// When it was created (or first seen).
    pub born: Moment,
    /// The program it ran when it was created (its parent's current program).
    pub inherited_program: Option<ExecRef>,
    /// Every exec it called, failed ones included.
    pub execs: Vec<ExecRecord>,
    pub(crate) last_ok_exec: Option<u32>,
    /// Its state now.
    pub state: ProcessState,
    /// Set once its last task exited.
    pub exit: Option<Exit>,
    /// Set once it was reaped.
    pub reap: Option<Reap>,
    /// Set when its parent exited before it was reaped.
    pub orphaned: Option<Orphaning>,
    /// Process group, when known (inherited, or from setpgid/setsid).
    pub pgid: Option<Pid>,
    /// Session, when known (inherited, or from setsid).
    pub sid: Option<Pid>,
    /// Its SIGCHLD disposition (inherited at fork; exec keeps an ignored
    /// one and clears SA_NOCLDWAIT).
    pub sigchld: Sigchld,
    /// The name its main thread gave itself (comm, as `ps` shows it): set
    /// by `rename` events (prctl PR_SET_NAME), inherited at fork, reset by
    /// exec (`None`: the name exec gave it); in traces older than `rename`,
    /// from the `exit` event. Shown where it differs from the program's
    /// name ([`Process::renamed`]).
    pub comm: Option<RawStr>,
}

impl Process {
    /// The name it gave itself, when that is not what exec named it: its
    /// comm differs from the basename of the path of `program`, the one it
    /// runs (exec sets comm to that, cut to 15 bytes).
    pub fn renamed(&self, program: &ExecRecord) -> Option<&RawStr> {
        let comm = self.comm.as_ref()?;
        let path = program.path.as_bytes();
        let base = path.rsplit(|b| *b == b'/').next().unwrap_or(path);
        (comm.as_bytes() != &base[..base.len().min(15)]).then_some(comm)
    }

    /// It still has a live task (running or stopped).
    pub fn is_alive(&self) -> bool {
        matches!(
            self.state,
            ProcessState::Running | ProcessState::Stopped { .. }
        )
    }

    /// It exited and is not reaped.
    pub fn is_zombie(&self) -> bool {
        self.state == ProcessState::Zombie
    }

    /// Its successful execs, oldest first: the exec chain.
    pub fn exec_chain(&self) -> impl Iterator<Item = &ExecRecord> + '_ {
        self.execs.iter().filter(|e| e.ok)
    }

    /// Its latest successful exec.
    pub fn last_exec(&self) -> Option<&ExecRecord> {
        self.last_ok_exec.map(|i| &self.execs[i as usize])
    }

    /// The processes it names by id: its parent, the owner of the program
    /// it inherited, the process that reaped it, the one that adopted it.
    pub(crate) fn references(&self) -> impl Iterator<Item = ProcId> {
        [
            self.parent,
            self.inherited_program.map(|r| r.process),
            self.reap.and_then(|r| r.by),
            self.orphaned.and_then(|o| o.adopted_by),
        ]
        .into_iter()
        .flatten()
    }

    /// The zombie interval: from exit to reap (`None` at the end while still a zombie).
    pub fn zombie_span(&self) -> Option<(Moment, Option<Moment>)> {
        let exit = self.exit?;
        Some((exit.at, self.reap.map(|r| r.at)))
    }

    /// Nanoseconds spent as a zombie, once reaped by a traced wait.
    pub fn zombie_ns(&self) -> Option<u64> {
        let reap = self.reap?;
        reap.by?;
        Some(reap.at.ts_ns.saturating_sub(self.exit?.at.ts_ns))
    }
}

/// Processes in a chunk of the arena: a write to one process copies its
/// chunk when a checkpoint shares it (a few KiB), and a copy of the tree
/// holds one pointer per chunk.
pub(crate) const PROCS_CHUNK: usize = 32;

/// Every process the trace showed, and the live tasks.
#[derive(Clone, Debug, Default)]
pub struct ProcessTree {
    pub(crate) procs: SharedVec<Process, PROCS_CHUNK>,
    pub(crate) by_pid: PidMap,
    pub(crate) tasks: IdMap<Pid, Task>,
    /// The names of threads that do not go by their process's (see
    /// model/names.rs): a thread that renamed itself, or that kept the name
    /// its process had before its main thread renamed it (`None`: the name
    /// exec gave). Empty unless a process renamed itself.
    pub(crate) thread_names: IdMap<Pid, Option<RawStr>>,
    /// Set when reaped processes are forgotten (model/forget.rs).
    pub(crate) forget: Option<Box<super::forget::Forgetting>>,
    /// The processes the last event applied reaped, in the order it did.
    pub(crate) reaped_now: Vec<ProcId>,
}

impl ProcessTree {
    /// The processes the last event applied to the model reaped (by a
    /// wait, by the kernel at exit, or found reaped outside the trace when
    /// the kernel handed their pid out again), in the order it did: each
    /// is still in the tree, with its reaping, when the event has been
    /// applied. A history written as the trace goes by finishes a
    /// process's part here.
    pub fn reaped_now(&self) -> &[ProcId] {
        &self.reaped_now
    }

    /// The process that has (or last had) this pid.
    pub fn get(&self, pid: Pid) -> Option<&Process> {
        self.by_id(*self.by_pid.get(&pid)?)
    }

    /// The id of the process that has (or last had) this pid, unless it
    /// was forgotten.
    pub(crate) fn id_of(&self, pid: Pid) -> Option<ProcId> {
        self.by_pid
            .get(&pid)
            .copied()
            .filter(|id| !self.is_gone(*id))
    }

    /// The id of the process that has (or last had) this pid, even if it
    /// was forgotten (model/forget.rs): [`ProcessTree::get`] of a model that
    /// keeps every process.
    pub fn last_holder(&self, pid: Pid) -> Option<ProcId> {
        self.by_pid.get(&pid).copied()
    }

    /// Whether `pid` named a process that was forgotten, reaped long ago
    /// (model/forget.rs), and no process since.
    pub fn forgot(&self, pid: Pid) -> bool {
        self.by_pid.get(&pid).is_some_and(|id| self.is_gone(*id))
    }

    /// A process by id (`None` for an id from another model).
    pub fn by_id(&self, id: ProcId) -> Option<&Process> {
        if self.is_gone(id) {
            return None;
        }
        self.procs.get(id.index())
    }

    /// A live task by tid.
    pub fn task(&self, tid: Pid) -> Option<&Task> {
        self.tasks.get(&tid)
    }

    /// The process a live task belongs to.
    pub fn process_of_task(&self, tid: Pid) -> Option<&Process> {
        self.tasks.get(&tid).map(|t| &self.procs[t.process.index()])
    }

    /// Every process, in creation order (reaped ones and reused pids
    /// included, unless forgotten: model/forget.rs).
    pub fn iter(&self) -> impl Iterator<Item = &Process> + '_ {
        self.procs.iter().filter(|p| !self.is_gone(p.id))
    }

    /// Processes with a live task, in creation order.
    pub fn live(&self) -> impl Iterator<Item = &Process> + '_ {
        self.procs.iter().filter(|p| p.is_alive())
    }

    /// Processes with no traced parent (the root, processes first seen mid-trace).
    pub fn roots(&self) -> impl Iterator<Item = &Process> + '_ {
        self.iter().filter(|p| p.parent.is_none())
    }

    /// The children of a process, in creation order.
    pub fn children(&self, id: ProcId) -> impl Iterator<Item = &Process> + '_ {
        self.by_id(id)
            .into_iter()
            .flat_map(|p| p.children.iter())
            .filter(|c| !self.is_gone(**c))
            .map(|c| &self.procs[c.index()])
    }

    /// The parent of a process.
    pub fn parent(&self, id: ProcId) -> Option<&Process> {
        self.by_id(self.by_id(id)?.parent?)
    }

    /// How many processes the tree has seen.
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    /// It has seen none.
    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// How many tasks are alive.
    pub fn live_tasks(&self) -> usize {
        self.tasks.len()
    }

    /// The exec record an [`ExecRef`] points at.
    pub fn exec(&self, r: ExecRef) -> Option<&ExecRecord> {
        self.by_id(r.process)?.execs.get(r.index as usize)
    }

    /// The program a process runs now: its latest successful exec, or the one
    /// it inherited at fork. `None` when no exec was seen (e.g. the root before
    /// its first exec: see [`Origin::Spawn`]).
    pub fn program(&self, id: ProcId) -> Option<&ExecRecord> {
        self.exec(self.program_ref(id)?)
    }

    pub(crate) fn program_ref(&self, id: ProcId) -> Option<ExecRef> {
        let p = self.by_id(id)?;
        match p.last_ok_exec {
            Some(index) => Some(ExecRef { process: id, index }),
            None => p.inherited_program,
        }
    }

    /// Adds a process and makes it the owner of `pid`; it inherits program,
    /// process group and session from `creator`. A previous process with that
    /// pid, if still a zombie, must have been reaped outside the trace (by
    /// init, a subreaper, or auto-reaping): it is marked so.
    pub(crate) fn add_process(
        &mut self,
        pid: Pid,
        parent: Option<ProcId>,
        creator: Option<ProcId>,
        origin: Origin,
        at: Moment,
    ) -> ProcId {
        let id = ProcId(self.procs.len() as u32);
        if let Some(old) = self.by_pid.insert(pid, id).filter(|o| !self.is_gone(*o)) {
            let p = &mut self.procs[old.index()];
            if p.state == ProcessState::Zombie {
                p.state = ProcessState::Reaped;
                p.reap = Some(Reap {
                    at,
                    by: None,
                    status: None,
                    by_kernel: false,
                });
                self.reaped(old);
            }
        }
        let (inherited_program, pgid, sid) = match creator {
            Some(pp) => {
                let par = &self.procs[pp.index()];
                (self.program_ref(pp), par.pgid, par.sid)
            }
            None => (None, None, None),
        };
        let sigchld = creator.map_or_else(Sigchld::default, |c| self.procs[c.index()].sigchld);
        if let Some(pp) = parent {
            self.procs[pp.index()].children.push(id);
        }
        self.procs.push(Process {
            id,
            pid,
            parent,
            children: SharedVec::default(),
            tasks: Vec::new(),
            origin,
            born: at,
            inherited_program,
            execs: Vec::new(),
            last_ok_exec: None,
            state: ProcessState::Running,
            exit: None,
            reap: None,
            orphaned: None,
            pgid,
            sid,
            sigchld,
            comm: None,
        });
        self.pin_references(id);
        id
    }

    pub(crate) fn add_task(&mut self, tid: Pid, process: ProcId, fd_table: FdTableId) {
        let tasks = &mut self.procs[process.index()].tasks;
        if tasks.capacity() == 0 {
            // Most processes never have a second thread.
            tasks.reserve_exact(1);
        }
        tasks.push(tid);
        self.tasks.insert(
            tid,
            Task {
                tid,
                process,
                fd_table,
            },
        );
    }

    pub(crate) fn proc_mut(&mut self, id: ProcId) -> &mut Process {
        &mut self.procs[id.index()]
    }

    pub(crate) fn proc(&self, id: ProcId) -> &Process {
        &self.procs[id.index()]
    }
}
