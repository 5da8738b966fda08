//! Why a live process tree is stuck: the wait-for graph of a [`Snapshot`].
//!
//! Pure: a snapshot of tasks (state, the syscall each is blocked in, its fd
//! table, its progress counters) and of the pipes they hold comes in, a
//! [`Report`] goes out. `record::live` reads snapshots from /proc; the unit
//! tests below build them by hand.
//!
//! Each blocked task waits for something only certain processes can give:
//! - a reader of an empty pipe, for a writer: any process holding a write
//!   end (the pipe rules: `read` blocks while the pipe is empty and a write
//!   end is open; it returns 0, EOF, only once every write end is closed);
//! - a writer of a full pipe, for a process holding a read end to read;
//! - a wait4/waitid, for one of the children it covers to exit;
//! - an open of a FIFO, for some process to open the other side;
//! - a stopped task, a pause(), an untimed futex wait: for some process
//!   to send a signal (or wake the futex);
//! - an untimed select, poll or epoll_wait on pipe ends only, for any one of
//!   them to become ready: the union of what each would wait for alone (a
//!   writer of each pipe it would read, a reader of each pipe it would
//!   write). An fd that is not a pipe (a socket, a terminal, an eventfd)
//!   makes the wait external: someone outside may make it ready.
//!
//! A task is *stuck* when every process that could release it is stuck too
//! (the greatest fixpoint: start from every blocked task, and free those
//! with at least one free releaser until nothing changes). Running tasks,
//! timed sleeps (nanosleep, poll with a timeout), and waits on things outside
//! the tree (a terminal, a socket, a process we could not see) are free, so a
//! busy pipeline, a `sleep 3` or a producer that writes once a second is
//! never reported. Stuck tasks are reported as a [`Hang`]: a *deadlock* when
//! their waits on pipes and children form a cycle, *stuck* otherwise (a
//! stopped child nobody will continue, FIFOs opened in opposite orders).
//!
//! One more hang is not a cycle: a reader waits for EOF on a pipe whose
//! write end is held only by an orphaned process that has never written a
//! byte and is not running (a background job that inherited a pipeline's
//! stdout: `{ sleep 30 & echo hi; } | cat`). The reader will wait until that
//! process exits: *eof-held-open*.

use crate::render::lang::{self, Lang};
use crate::trace::Pid;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// A moment of a live process tree, as /proc showed it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The process the snapshot was taken for (the root of the tree).
    pub root: Pid,
    /// Every task (thread) of the tree, and of processes outside it that
    /// hold an end of a pipe a blocked task of the tree waits on.
    pub tasks: Vec<Task>,
    /// The pipes and FIFOs the tasks hold.
    pub pipes: Vec<PipeInfo>,
}

/// One task (a thread; a single-threaded process is one task).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Its process (thread group) id.
    pub pid: Pid,
    /// Its own id (= `pid` for the main thread).
    pub tid: Pid,
    /// Its parent process.
    pub ppid: Pid,
    /// Its process group.
    pub pgid: Pid,
    /// The program its process runs (basename of `argv[0]`, else comm).
    pub name: String,
    /// The state letter of /proc/PID/stat: `R` running, `S` sleeping, `D`
    /// disk sleep, `T` stopped, `t` stopped by a tracer, `Z` zombie.
    pub state: char,
    /// Where in the kernel it sleeps (`anon_pipe_read`, `do_wait`), or empty.
    #[serde(default)]
    pub wchan: String,
    /// The syscall it is in, when blocked in one.
    #[serde(default)]
    pub syscall: Option<Syscall>,
    /// Counters that move when it makes progress.
    #[serde(default)]
    pub progress: Progress,
    /// Its process's fd table (only on one task per process, normally the
    /// main thread: threads share it).
    #[serde(default)]
    pub fds: Vec<Fd>,
    /// Part of the tree asked for; false for a process outside it that was
    /// included only because it holds an end of one of the tree's pipes.
    pub in_tree: bool,
}

/// A syscall a task is blocked in, from /proc/PID/syscall.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Syscall {
    /// Its number.
    pub nr: i64,
    /// Its name (`read`, `wait4`), `syscall_N` when unknown.
    pub name: String,
    /// The six raw arguments.
    pub args: [u64; 6],
    /// For an open: the path argument, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// For an open: the path is a FIFO.
    #[serde(default)]
    pub fifo: bool,
    /// For an untimed select, pselect6, poll, ppoll or epoll_wait family
    /// call: the fds it waits on, when they could be read (its fd_set
    /// bitmaps or pollfd array, or the epoll fd's interest list). Absent:
    /// not such a call, or the set is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polled: Option<Vec<Polled>>,
}

/// One fd of a select/poll/epoll set, and what the call waits for on it.
/// An fd with neither flag is still watched for a hang-up or an error
/// (poll and epoll report POLLHUP and POLLERR whatever was asked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Polled {
    /// The fd.
    pub fd: i32,
    /// Waits for it to become readable (select's readfds; POLLIN, POLLPRI,
    /// POLLRDNORM, POLLRDBAND; EPOLLIN, EPOLLPRI, ...).
    #[serde(default)]
    pub read: bool,
    /// Waits for it to become writable (select's writefds; POLLOUT,
    /// POLLWRNORM, POLLWRBAND; EPOLLOUT, ...).
    #[serde(default)]
    pub write: bool,
}

/// Per-task counters; a task that changed none of them made no progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    /// Bytes read (any fd).
    pub rchar: u64,
    /// Bytes written (any fd).
    pub wchar: u64,
    /// read-family syscalls.
    pub syscr: u64,
    /// write-family syscalls.
    pub syscw: u64,
}

/// How an fd may be used (its open file's access mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// O_RDONLY.
    Read,
    /// O_WRONLY.
    Write,
    /// O_RDWR.
    ReadWrite,
}

impl Access {
    /// Can read.
    pub fn reads(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }

    /// Can write.
    pub fn writes(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }
}

/// One fd.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fd {
    /// The number.
    pub fd: i32,
    /// What /proc/PID/fd/N points to (`pipe:[123]`, `/dev/pts/0`).
    pub target: String,
    /// Its access mode.
    pub access: Access,
    /// The pipe or FIFO it is an end of: its id in [`Snapshot::pipes`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipe: Option<String>,
}

/// A pipe or FIFO.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipeInfo {
    /// `pipe:[INODE]` for a pipe, the path for a FIFO.
    pub id: String,
    /// A named FIFO rather than an anonymous pipe.
    #[serde(default)]
    pub fifo: bool,
    /// Bytes in it (FIONREAD), when it could be measured.
    #[serde(default)]
    pub fill: Option<u64>,
    /// Its capacity (F_GETPIPE_SZ), when it could be measured.
    #[serde(default)]
    pub capacity: Option<u64>,
}

/// (pid, fd) pairs holding one end of a pipe.
pub type Holders = Vec<(Pid, i32)>;

impl Snapshot {
    /// The task with this tid.
    pub fn task(&self, tid: Pid) -> Option<&Task> {
        self.tasks.iter().find(|t| t.tid == tid)
    }

    /// The tasks of process `pid`.
    pub fn threads(&self, pid: Pid) -> impl Iterator<Item = &Task> {
        self.tasks.iter().filter(move |t| t.pid == pid)
    }

    /// The fd table of process `pid` (from whichever of its tasks carries it).
    pub fn fds(&self, pid: Pid) -> &[Fd] {
        self.threads(pid)
            .find(|t| !t.fds.is_empty())
            .map_or(&[], |t| t.fds.as_slice())
    }

    /// The pipe with this id.
    pub fn pipe(&self, id: &str) -> Option<&PipeInfo> {
        self.pipes.iter().find(|p| p.id == id)
    }

    /// The process ids, in order of first appearance.
    pub fn processes(&self) -> Vec<Pid> {
        let mut seen = HashSet::new();
        self.tasks
            .iter()
            .filter(|t| seen.insert(t.pid))
            .map(|t| t.pid)
            .collect()
    }

    /// (pid, fd) holding an end of `pipe` that can read / write.
    pub fn holders(&self, pipe: &str) -> (Holders, Holders) {
        let (mut readers, mut writers) = (Vec::new(), Vec::new());
        for pid in self.processes() {
            for f in self.fds(pid) {
                if f.pipe.as_deref() == Some(pipe) {
                    if f.access.reads() {
                        readers.push((pid, f.fd));
                    }
                    if f.access.writes() {
                        writers.push((pid, f.fd));
                    }
                }
            }
        }
        (readers, writers)
    }
}

/// Which children a wait covers (its pid argument, as wait4 takes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitTarget {
    /// -1: any child.
    Any,
    /// 0: any child in the caller's process group.
    OwnGroup,
    /// < -1: any child in that process group.
    Group(Pid),
    /// > 0: that child.
    Child(Pid),
}

/// A pipe end a multiplexer ([`Wait::Poll`]) waits on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolledPipe {
    /// The fd.
    pub fd: i32,
    /// The pipe.
    pub pipe: String,
    /// Waits for it to become readable: data, or EOF (every write end
    /// closed). A read end watched for nothing but a hang-up waits for the
    /// same writers.
    pub read: bool,
    /// Waits for it to become writable: room, or EPIPE (every read end
    /// closed).
    pub write: bool,
}

/// What a task is doing, as far as the wait-for graph is concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Wait {
    /// On a CPU, or ready to be.
    Running,
    /// Exited, not yet reaped.
    Zombie,
    /// Stopped by a signal (SIGSTOP, SIGTSTP, ...): waits for SIGCONT.
    Stopped,
    /// Stopped by a debugger or tracer (not ours): it decides.
    Traced,
    /// A sleep with a timeout: it will wake by itself.
    Sleeping {
        /// The call (`clock_nanosleep`, `poll`).
        call: String,
    },
    /// Reading an empty pipe.
    ReadPipe {
        /// The fd.
        fd: i32,
        /// The pipe.
        pipe: String,
    },
    /// Writing a full pipe.
    WritePipe {
        /// The fd.
        fd: i32,
        /// The pipe.
        pipe: String,
    },
    /// Opening a FIFO, which blocks until the other side is opened.
    OpenFifo {
        /// Its path.
        path: String,
        /// Opening it for writing (true), reading (false), unknown (None).
        write: Option<bool>,
    },
    /// In wait4/waitid.
    Child {
        /// `wait4` or `waitid`.
        call: String,
        /// Which children.
        target: WaitTarget,
        /// WUNTRACED / WSTOPPED given: a stop would be reported.
        stops: bool,
    },
    /// An untimed select, poll or epoll_wait whose fds are all pipe ends:
    /// any one of them becoming ready releases it.
    Poll {
        /// The call (`select`, `pselect6`, `poll`, `ppoll`, `epoll_wait`,
        /// `epoll_pwait`, `epoll_pwait2`).
        call: String,
        /// The pipe ends it waits on, in fd order.
        fds: Vec<PolledPipe>,
    },
    /// Waiting for any signal, untimed (pause, sigsuspend, sigwait; a
    /// select or poll on no fd at all).
    Signal {
        /// The call.
        call: String,
    },
    /// An untimed futex wait: a lock, a condition variable, a thread join.
    Futex {
        /// Not FUTEX_PRIVATE: another process may wake it.
        shared: bool,
    },
    /// Blocked on something outside the analysis: a terminal, a socket, a
    /// file, a poll set with such an fd in it (or one that could not be read).
    External {
        /// The call.
        call: String,
        /// On what (the fd's target), when known.
        what: String,
    },
}

impl Wait {
    /// Can this wait last forever (so that the task may be stuck)?
    fn may_block_forever(&self) -> bool {
        matches!(
            self,
            Wait::Stopped
                | Wait::ReadPipe { .. }
                | Wait::WritePipe { .. }
                | Wait::Poll { .. }
                | Wait::OpenFifo { .. }
                | Wait::Child { .. }
                | Wait::Signal { .. }
                | Wait::Futex { .. }
        )
    }

    /// Not running, not about to run by itself (for the eof-held-open check).
    fn idle(&self) -> bool {
        !matches!(self, Wait::Running | Wait::Zombie)
    }
}

/// What a task waits for, and whether it is stuck.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskWait {
    /// Its process.
    pub pid: Pid,
    /// The task.
    pub tid: Pid,
    /// What it waits for.
    pub wait: Wait,
    /// Nothing that could release it is free.
    pub stuck: bool,
}

/// The kind of a hang.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HangKind {
    /// Tasks wait for each other in a cycle of pipes and waits.
    Deadlock,
    /// Tasks wait for something only stuck tasks could do, without a cycle
    /// (a stopped child, a FIFO nobody will open).
    Stuck,
    /// A reader waits for EOF that an idle, orphaned process holds back.
    EofHeldOpen,
}

impl HangKind {
    /// `deadlock`, `stuck`, `eof-held-open`.
    pub fn as_str(self) -> &'static str {
        match self {
            HangKind::Deadlock => "deadlock",
            HangKind::Stuck => "stuck",
            HangKind::EofHeldOpen => "eof-held-open",
        }
    }
}

/// An fd named in a hang.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HangFd {
    /// The process.
    pub pid: Pid,
    /// The fd.
    pub fd: i32,
    /// The pipe it is an end of.
    pub pipe: String,
    /// `reader`, `writer`, `blocked-reader`, `blocked-writer`.
    pub role: &'static str,
}

/// One hang, explained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hang {
    /// Which kind.
    pub kind: HangKind,
    /// One line.
    pub summary: String,
    /// One sentence per blocked task, in wait order.
    pub steps: Vec<String>,
    /// What to change.
    pub fix: String,
    /// The tasks around the cycle, in wait order (empty when no cycle).
    pub cycle: Vec<Pid>,
    /// Every task involved (blocked ones first).
    pub tasks: Vec<Pid>,
    /// The fds involved.
    pub fds: Vec<HangFd>,
    /// The pipes involved.
    pub pipes: Vec<String>,
    /// Summary, steps and fix in Chinese, for text shown when `--lang zh`
    /// (never serialized: JSON and the trace stay English).
    #[serde(skip)]
    pub zh: Option<Box<HangZh>>,
}

/// A hang's texts in Chinese.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HangZh {
    /// 一句话。
    pub summary: String,
    /// 每个阻塞任务一句；`None` 时沿用英文。
    pub steps: Option<Vec<String>>,
    /// 怎么改。
    pub fix: String,
}

impl Hang {
    /// The summary in the language of [`lang::current`].
    pub fn summary_text(&self) -> &str {
        match (&self.zh, lang::current()) {
            (Some(z), Lang::Zh) => &z.summary,
            _ => &self.summary,
        }
    }

    /// The steps in the language of [`lang::current`] (English when they
    /// have no Chinese wording yet).
    pub fn steps_text(&self) -> &[String] {
        match (&self.zh, lang::current()) {
            (Some(z), Lang::Zh) => z.steps.as_deref().unwrap_or(&self.steps),
            _ => &self.steps,
        }
    }

    /// The fix in the language of [`lang::current`].
    pub fn fix_text(&self) -> &str {
        match (&self.zh, lang::current()) {
            (Some(z), Lang::Zh) => &z.fix,
            _ => &self.fix,
        }
    }

    /// `Fix:`, or `怎么改：` in Chinese.
    pub fn fix_label() -> &'static str {
        lang::current().pick("Fix:", "怎么改：")
    }

    /// Identifies the hang, to report each one once: its kind, tasks and pipes.
    pub fn key(&self) -> String {
        let mut tasks = self.tasks.clone();
        tasks.sort_unstable();
        let mut pipes = self.pipes.clone();
        pipes.sort();
        format!("{} {tasks:?} {pipes:?}", self.kind.as_str())
    }

    /// The hang as plain text: summary, steps, fix.
    pub fn text(&self) -> String {
        let mut s = format!("{}: {}\n", self.kind.as_str(), self.summary_text());
        for st in self.steps_text() {
            s.push_str("  ");
            s.push_str(st);
            s.push('\n');
        }
        s.push_str("  ");
        s.push_str(Hang::fix_label());
        if lang::current() == Lang::En {
            s.push(' ');
        }
        s.push_str(self.fix_text());
        s.push('\n');
        s
    }
}

/// The analysis of one snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// What each task waits for.
    pub waits: Vec<TaskWait>,
    /// The hangs found (empty: nothing is wrong).
    pub hangs: Vec<Hang>,
}

impl Report {
    /// What task `tid` waits for.
    pub fn wait(&self, tid: Pid) -> Option<&TaskWait> {
        self.waits.iter().find(|w| w.tid == tid)
    }
}

const O_ACCMODE: u64 = 3;
const WUNTRACED: u64 = 2; // = WSTOPPED for waitid
const FUTEX_PRIVATE_FLAG: u64 = 128;
const FUTEX_CMD_MASK: u64 = !(128 | 256);
const FUTEX_WAIT: u64 = 0;
const FUTEX_LOCK_PI: u64 = 6;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAIT_REQUEUE_PI: u64 = 11;
const FUTEX_LOCK_PI2: u64 = 13;
const P_ALL: u64 = 0;
const P_PID: u64 = 1;
const P_PGID: u64 = 2;

/// What `t` waits for, from its state, wchan and syscall.
pub fn classify(snap: &Snapshot, t: &Task) -> Wait {
    match t.state {
        'Z' | 'X' | 'x' => return Wait::Zombie,
        'T' => return Wait::Stopped,
        't' => return Wait::Traced,
        'R' | 'W' => return Wait::Running,
        _ => {}
    }
    // Asleep but no syscall: /proc/PID/syscall could not be read (another
    // user's process, or one forkscope may not inspect).
    let Some(sc) = &t.syscall else {
        return Wait::External {
            call: "?".into(),
            what: String::new(),
        };
    };
    let call = sc.name.clone();
    let a = sc.args;
    let int = |i: usize| a[i] as u32 as i32;
    let fd_of = |fd: i32| snap.fds(t.pid).iter().find(|f| f.fd == fd);
    let external = |what: String| Wait::External {
        call: call.clone(),
        what,
    };
    let on_fd = |fd: i32, write: bool| -> Wait {
        match fd_of(fd) {
            Some(Fd {
                pipe: Some(p),
                access,
                ..
            }) if (write && access.writes()) || (!write && access.reads()) => {
                if write {
                    Wait::WritePipe {
                        fd,
                        pipe: p.clone(),
                    }
                } else {
                    Wait::ReadPipe {
                        fd,
                        pipe: p.clone(),
                    }
                }
            }
            Some(f) => external(format!("fd {fd} ({})", f.target)),
            None => external(format!("fd {fd}")),
        }
    };
    match sc.name.as_str() {
        "read" | "readv" => on_fd(int(0), false),
        "write" | "writev" => on_fd(int(0), true),
        "open" | "openat" | "openat2" | "creat" => {
            let fifo_wait = t.wchan.contains("fifo_open") || t.wchan.contains("wait_for_partner");
            if !(sc.fifo || fifo_wait) {
                return external(sc.path.clone().unwrap_or_default());
            }
            let flags = match sc.name.as_str() {
                "open" => Some(a[1]),
                "openat" => Some(a[2]),
                "creat" => Some(1),
                _ => None,
            };
            Wait::OpenFifo {
                path: sc.path.clone().unwrap_or_else(|| "a FIFO".into()),
                write: flags.map(|f| f & O_ACCMODE != 0),
            }
        }
        "wait4" | "waitpid" => {
            let pid = int(0);
            let target = match pid {
                -1 => WaitTarget::Any,
                0 => WaitTarget::OwnGroup,
                p if p < -1 => WaitTarget::Group(-p),
                p => WaitTarget::Child(p),
            };
            Wait::Child {
                call,
                target,
                stops: a[2] & WUNTRACED != 0,
            }
        }
        "waitid" => {
            let target = match a[0] {
                P_ALL => WaitTarget::Any,
                P_PID => WaitTarget::Child(int(1)),
                P_PGID if int(1) == 0 => WaitTarget::OwnGroup,
                P_PGID => WaitTarget::Group(int(1)),
                _ => WaitTarget::Any, // P_PIDFD: a specific child we cannot name
            };
            Wait::Child {
                call,
                target,
                stops: a[3] & WUNTRACED != 0,
            }
        }
        // restart_syscall resumes only timed calls (nanosleep, poll, futex).
        "nanosleep" | "clock_nanosleep" | "clock_nanosleep_time64" | "restart_syscall" => {
            Wait::Sleeping { call }
        }
        "pause" | "rt_sigsuspend" | "sigsuspend" => Wait::Signal { call },
        "rt_sigtimedwait" => {
            if a[2] == 0 {
                Wait::Signal { call }
            } else {
                Wait::Sleeping { call }
            }
        }
        "futex" => {
            let cmd = a[1] & FUTEX_CMD_MASK;
            let waits = matches!(
                cmd,
                FUTEX_WAIT
                    | FUTEX_WAIT_BITSET
                    | FUTEX_LOCK_PI
                    | FUTEX_WAIT_REQUEUE_PI
                    | FUTEX_LOCK_PI2
            );
            if waits && a[3] == 0 {
                Wait::Futex {
                    shared: a[1] & FUTEX_PRIVATE_FLAG == 0,
                }
            } else if waits {
                Wait::Sleeping { call }
            } else {
                external(String::new())
            }
        }
        // Timed forms of the multiplexers are sleeps; untimed ones wait on
        // their fd set, when `record::live` could read it.
        "select" | "pselect6" if a[4] != 0 => Wait::Sleeping { call },
        "poll" | "epoll_wait" | "epoll_pwait" if int(if call == "poll" { 2 } else { 3 }) >= 0 => {
            Wait::Sleeping { call }
        }
        "ppoll" if a[2] != 0 => Wait::Sleeping { call },
        "epoll_pwait2" if a[3] != 0 => Wait::Sleeping { call },
        "select" | "pselect6" | "poll" | "ppoll" | "epoll_wait" | "epoll_pwait"
        | "epoll_pwait2" => match &sc.polled {
            Some(set) => poll_wait(snap.fds(t.pid), call, set),
            None => external(String::new()),
        },
        _ => external(String::new()),
    }
}

/// An untimed multiplexer on `set`: a [`Wait::Poll`] when every fd in it
/// is a pipe end, [`Wait::External`] as soon as one is not (a socket, a
/// terminal, an eventfd: something outside may make it ready).
fn poll_wait(table: &[Fd], call: String, set: &[Polled]) -> Wait {
    // No fd at all, untimed: only a signal ends it, as pause() does.
    if set.is_empty() {
        return Wait::Signal { call };
    }
    let mut fds = Vec::new();
    for p in set {
        match table.iter().find(|f| f.fd == p.fd) {
            Some(Fd {
                pipe: Some(pipe),
                access,
                ..
            }) => {
                // poll and epoll report a hang-up (every writer gone, for a
                // read end) and an error (every reader gone, for a write
                // end) whatever was asked, and select counts them as ready:
                // a one-way end waits on the other side's holders whatever
                // the interest. A FIFO open O_RDWR never sees either.
                let read = access.reads() && (p.read || !access.writes());
                let write = access.writes() && (p.write || !access.reads());
                if read || write {
                    fds.push(PolledPipe {
                        fd: p.fd,
                        pipe: pipe.clone(),
                        read,
                        write,
                    });
                }
            }
            Some(f) => {
                return Wait::External {
                    call,
                    what: format!("fd {} ({})", p.fd, f.target),
                }
            }
            None => {
                return Wait::External {
                    call,
                    what: format!("fd {}", p.fd),
                }
            }
        }
    }
    if fds.is_empty() {
        return Wait::External {
            call,
            what: String::new(),
        };
    }
    Wait::Poll { call, fds }
}

/// Who can release a blocked task.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Releasers {
    /// These processes (holders of the other end, the children waited for).
    Procs(Vec<Pid>),
    /// Any other process (by a signal, by opening the FIFO).
    Anyone,
    /// Another thread of the same process, or (shared) any other process.
    Threads { shared: bool },
    /// Nobody can be named: treat the task as free.
    Free,
}

fn dedup(mut v: Vec<Pid>) -> Vec<Pid> {
    let mut seen = HashSet::new();
    v.retain(|p| seen.insert(*p));
    v
}

/// The children of process `pid` a wait for `target` covers, alive or zombie.
fn covered_children(snap: &Snapshot, waiter: &Task, target: WaitTarget) -> Vec<Pid> {
    let kids: Vec<&Task> = snap
        .tasks
        .iter()
        .filter(|c| c.ppid == waiter.pid && c.tid == c.pid && c.pid != waiter.pid)
        .collect();
    dedup(
        kids.into_iter()
            .filter(|c| match target {
                WaitTarget::Any => true,
                WaitTarget::OwnGroup => c.pgid == waiter.pgid,
                WaitTarget::Group(g) => c.pgid == g,
                WaitTarget::Child(p) => c.pid == p,
            })
            .map(|c| c.pid)
            .collect(),
    )
}

/// Who can make `pipe` readable (`write` false: its writers) or writable
/// (`write` true: its readers) for a task waiting on it.
fn pipe_releasers(snap: &Snapshot, pipe: &str, write: bool) -> Releasers {
    let fill = snap.pipe(pipe).and_then(|i| i.fill);
    let (readers, writers) = snap.holders(pipe);
    let others = if write {
        if fill == Some(0) {
            return Releasers::Free;
        }
        readers // none: EPIPE is due; or holders we cannot see
    } else {
        if fill.is_some_and(|n| n > 0) {
            return Releasers::Free; // data is there: it is about to read it
        }
        writers // none: EOF is due; or holders we cannot see
    };
    if others.is_empty() {
        return Releasers::Free;
    }
    Releasers::Procs(dedup(others.into_iter().map(|h| h.0).collect()))
}

fn releasers(snap: &Snapshot, t: &Task, w: &Wait) -> Releasers {
    match w {
        Wait::ReadPipe { pipe, .. } => pipe_releasers(snap, pipe, false),
        Wait::WritePipe { pipe, .. } => pipe_releasers(snap, pipe, true),
        Wait::Poll { fds, .. } => {
            // Any one fd becoming ready releases it: the union of the
            // releasers of each, free as soon as one is.
            let mut all = Vec::new();
            for f in fds {
                for (wanted, write) in [(f.read, false), (f.write, true)] {
                    if !wanted {
                        continue;
                    }
                    match pipe_releasers(snap, &f.pipe, write) {
                        Releasers::Procs(ps) => all.extend(ps),
                        _ => return Releasers::Free,
                    }
                }
            }
            if all.is_empty() {
                return Releasers::Free;
            }
            Releasers::Procs(dedup(all))
        }
        Wait::Child { target, .. } => {
            let kids = covered_children(snap, t, *target);
            let zombie = kids.iter().any(|k| {
                snap.threads(*k)
                    .all(|c| matches!(classify(snap, c), Wait::Zombie))
            });
            if kids.is_empty() || zombie {
                Releasers::Free
            } else {
                Releasers::Procs(kids)
            }
        }
        Wait::OpenFifo { .. } | Wait::Signal { .. } | Wait::Stopped => Releasers::Anyone,
        Wait::Futex { shared } => Releasers::Threads { shared: *shared },
        _ => Releasers::Free,
    }
}

/// Analyses a snapshot: what each task waits for, which are stuck, and why.
pub fn analyse(snap: &Snapshot) -> Report {
    let waits: Vec<Wait> = snap.tasks.iter().map(|t| classify(snap, t)).collect();
    let rel: Vec<Releasers> = snap
        .tasks
        .iter()
        .zip(&waits)
        .map(|(t, w)| releasers(snap, t, w))
        .collect();
    // Greatest fixpoint: every task that may block forever starts stuck;
    // free it when one of its releasers has a free task.
    let mut stuck: Vec<bool> = snap
        .tasks
        .iter()
        .zip(&waits)
        .zip(&rel)
        .map(|((t, w), r)| t.in_tree && w.may_block_forever() && *r != Releasers::Free)
        .collect();
    let procs = snap.processes();
    let live = |i: usize| !matches!(waits[i], Wait::Zombie);
    loop {
        let proc_stuck = |pid: Pid, stuck: &[bool]| {
            let mut any = false;
            for (i, t) in snap.tasks.iter().enumerate() {
                if t.pid == pid && live(i) {
                    any = true;
                    if !stuck[i] {
                        return false;
                    }
                }
            }
            any
        };
        let mut changed = false;
        for i in 0..snap.tasks.len() {
            if !stuck[i] {
                continue;
            }
            let t = &snap.tasks[i];
            let held = match &rel[i] {
                Releasers::Procs(ps) => ps.iter().all(|p| proc_stuck(*p, &stuck)),
                // Nobody else around: a server waiting for a client, a
                // daemon waiting for a signal. Not a hang.
                Releasers::Anyone => {
                    let others: Vec<&Pid> = procs
                        .iter()
                        .filter(|p| {
                            **p != t.pid
                                && (0..snap.tasks.len())
                                    .any(|j| snap.tasks[j].pid == **p && live(j))
                        })
                        .collect();
                    !others.is_empty() && others.iter().all(|p| proc_stuck(**p, &stuck))
                }
                Releasers::Threads { shared } => {
                    let threads_stuck = snap
                        .tasks
                        .iter()
                        .enumerate()
                        .filter(|(j, o)| o.pid == t.pid && *j != i && live(*j))
                        .all(|(j, _)| stuck[j]);
                    threads_stuck
                        && (!shared
                            || procs
                                .iter()
                                .filter(|p| **p != t.pid)
                                .all(|p| proc_stuck(*p, &stuck)))
                }
                Releasers::Free => false,
            };
            if !held {
                stuck[i] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let report_waits: Vec<TaskWait> = snap
        .tasks
        .iter()
        .zip(&waits)
        .zip(&stuck)
        .map(|((t, w), s)| TaskWait {
            pid: t.pid,
            tid: t.tid,
            wait: w.clone(),
            stuck: *s,
        })
        .collect();
    let g = Graph {
        snap,
        waits: &waits,
        rel: &rel,
        stuck: &stuck,
    };
    let mut hangs = g.stuck_hangs();
    hangs.extend(g.eof_held_open());
    Report {
        waits: report_waits,
        hangs,
    }
}

/// The analysis state the hang descriptions are built from.
struct Graph<'a> {
    snap: &'a Snapshot,
    waits: &'a [Wait],
    rel: &'a [Releasers],
    stuck: &'a [bool],
}

/// `4102 (cat)`, or `4102 (cat) thread 4105`.
fn who(t: &Task) -> String {
    if t.tid == t.pid {
        format!("{} ({})", t.pid, t.name)
    } else {
        format!("{} ({}) thread {}", t.pid, t.name, t.tid)
    }
}

/// [`who`] in Chinese: `4102（cat）`, `4102（cat）的线程 4105`.
fn who_zh(t: &Task) -> String {
    if t.tid == t.pid {
        format!("{}（{}）", t.pid, t.name)
    } else {
        format!("{}（{}）的线程 {}", t.pid, t.name, t.tid)
    }
}

/// Chinese spacing: no space between full-width punctuation and the
/// Chinese text that follows it (`4102（cat）阻塞`, not `4102（cat） 阻塞`).
fn tidy_zh(s: String) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (k, &c) in chars.iter().enumerate() {
        if c == ' ' && k > 0 && k + 1 < chars.len() {
            let (prev, next) = (chars[k - 1], chars[k + 1]);
            if "）：，；。、".contains(prev) && !next.is_ascii() {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// [`list`] in Chinese: `a、b 和 c`.
fn list_zh(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} 和 {last}", init.join("、")),
    }
}

fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `to read pipe:[5] (fd 4) or to write to pipe:[6] (fd 5)`, or in
/// Chinese `读 pipe:[5]（fd 4）或者写 pipe:[6]（fd 5）`.
fn poll_targets(fds: &[PolledPipe], zh: bool) -> String {
    poll_targets_in(fds, zh, false)
}

/// [`poll_targets`] as a sentence says it: `to read pipe:[5] via fd 4`,
/// `通过 fd 4 读 pipe:[5]`.
fn poll_targets_via(fds: &[PolledPipe], zh: bool) -> String {
    poll_targets_in(fds, zh, true)
}

fn poll_targets_in(fds: &[PolledPipe], zh: bool, via: bool) -> String {
    let mut parts = Vec::new();
    for f in fds {
        let (fd, pipe) = (f.fd, &f.pipe);
        for (wanted, write) in [(f.read, false), (f.write, true)] {
            if !wanted {
                continue;
            }
            parts.push(match (zh, write, via) {
                (false, false, false) => format!("to read {pipe} (fd {fd})"),
                (false, true, false) => format!("to write to {pipe} (fd {fd})"),
                (false, false, true) => format!("to read {pipe} via fd {fd}"),
                (false, true, true) => format!("to write to {pipe} via fd {fd}"),
                (true, false, false) => format!("读 {pipe}（fd {fd}）"),
                (true, true, false) => format!("写 {pipe}（fd {fd}）"),
                (true, false, true) => format!("通过 fd {fd} 读 {pipe}"),
                (true, true, true) => format!("通过 fd {fd} 写 {pipe}"),
            });
        }
    }
    parts.join(if zh { " 或者 " } else { " or " })
}

impl Graph<'_> {
    fn proc_name_zh(&self, pid: Pid) -> String {
        self.proc_name_in(pid, true)
    }

    fn proc_name(&self, pid: Pid) -> String {
        self.proc_name_in(pid, false)
    }

    /// `4102 (cat)`, or `4102（cat）` in Chinese.
    fn proc_name_in(&self, pid: Pid, zh: bool) -> String {
        match self.snap.threads(pid).next() {
            Some(t) if zh => format!("{pid}（{}）", t.name),
            Some(t) => format!("{pid} ({})", t.name),
            None => pid.to_string(),
        }
    }

    /// The stuck tasks that task `i` waits for directly, through a pipe or a
    /// child (the edges a cycle is made of), own process last.
    fn specific_edges(&self, i: usize) -> Vec<usize> {
        let t = &self.snap.tasks[i];
        let ps = match &self.rel[i] {
            Releasers::Procs(ps) => ps,
            Releasers::Threads { .. } => {
                return (0..self.snap.tasks.len())
                    .filter(|&j| j != i && self.stuck[j] && self.snap.tasks[j].pid == t.pid)
                    .collect();
            }
            _ => return Vec::new(),
        };
        let mut ps = ps.clone();
        ps.sort_by_key(|p| *p == t.pid);
        let mut out = Vec::new();
        for p in ps {
            for (j, o) in self.snap.tasks.iter().enumerate() {
                if o.pid == p && self.stuck[j] && j != i {
                    out.push(j);
                    break;
                }
            }
            if p == t.pid && out.is_empty() && self.stuck[i] {
                // Its own process holds the other end and has no other
                // stuck thread: it waits for itself.
                out.push(i);
            }
        }
        out
    }

    /// A cycle through `start` along specific edges, if any.
    fn cycle_from(&self, start: usize) -> Option<Vec<usize>> {
        // Iterative DFS keeping the path.
        let mut path = vec![start];
        let mut next = vec![0usize];
        let mut on_path: HashSet<usize> = HashSet::from([start]);
        let mut done: HashSet<usize> = HashSet::new();
        while let Some(&cur) = path.last() {
            let edges = self.specific_edges(cur);
            let k = next.last_mut().expect("same depth as path");
            if *k >= edges.len() {
                done.insert(cur);
                on_path.remove(&cur);
                path.pop();
                next.pop();
                continue;
            }
            let n = edges[*k];
            *k += 1;
            if n == start {
                return Some(path);
            }
            if on_path.contains(&n) || done.contains(&n) {
                continue;
            }
            on_path.insert(n);
            path.push(n);
            next.push(0);
        }
        None
    }

    /// Groups the stuck tasks (linked by any wait) and explains each group.
    fn stuck_hangs(&self) -> Vec<Hang> {
        let n = self.snap.tasks.len();
        // Union-find over stuck tasks, joined by specific edges and by
        // threads of one process.
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], x: usize) -> usize {
            let mut r = x;
            while p[r] != r {
                r = p[r];
            }
            p[x] = r;
            r
        }
        for i in 0..n {
            if !self.stuck[i] {
                continue;
            }
            let mut linked = self.specific_edges(i);
            let pid = self.snap.tasks[i].pid;
            linked.extend((0..n).filter(|&j| self.stuck[j] && self.snap.tasks[j].pid == pid));
            for j in linked {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
        // A task waiting on "anyone" (a FIFO, a signal) is stuck only when
        // every other process is: it belongs with all of them in one hang.
        let anyone: Vec<usize> = (0..n)
            .filter(|&i| self.stuck[i] && matches!(self.rel[i], Releasers::Anyone))
            .filter(|&i| !matches!(self.waits[i], Wait::Stopped))
            .collect();
        if let Some(&first) = anyone.first() {
            for j in (0..n).filter(|&j| self.stuck[j]) {
                let (a, b) = (find(&mut parent, first), find(&mut parent, j));
                parent[a] = b;
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            if self.stuck[i] {
                let r = find(&mut parent, i);
                groups.entry(r).or_default().push(i);
            }
        }
        let mut hangs = Vec::new();
        for members in groups.values() {
            // A group of stopped tasks only (a job stopped with Ctrl-Z) is
            // not a hang: nobody is blocked on it.
            if members
                .iter()
                .all(|&i| matches!(self.waits[i], Wait::Stopped))
            {
                continue;
            }
            hangs.push(self.explain(members));
        }
        hangs
    }

    /// One hang for a group of stuck tasks.
    fn explain(&self, members: &[usize]) -> Hang {
        // Start the cycle search at a pipe waiter (the most telling edge).
        let mut order: Vec<usize> = members.to_vec();
        order.sort_by_key(|&i| match self.waits[i] {
            Wait::ReadPipe { .. } | Wait::WritePipe { .. } => (0, i),
            Wait::Poll { .. } => (1, i),
            Wait::Child { .. } => (2, i),
            _ => (3, i),
        });
        let cycle = order.iter().find_map(|&i| self.cycle_from(i));
        let mut steps = Vec::new();
        let mut steps_zh = Vec::new();
        let mut told: Vec<usize> = Vec::new();
        let mut fds = Vec::new();
        let mut pipes = Vec::new();
        if let Some(cyc) = &cycle {
            let mut chain: Vec<String> = Vec::new();
            let mut chain_zh: Vec<String> = Vec::new();
            for (k, &i) in cyc.iter().enumerate() {
                let next = cyc[(k + 1) % cyc.len()];
                told.push(i);
                // A wait for a child was said already by the previous
                // sentence ("..., which is blocked in wait4 for 4102").
                if k > 0 && matches!(self.waits[i], Wait::Child { .. }) {
                    continue;
                }
                chain.push(self.sentence(i, Some(next), &mut fds, &mut pipes));
                chain_zh.push(self.sentence_zh(i, Some(next)));
            }
            let last = chain.len() - 1;
            for (k, mut s) in chain.into_iter().enumerate() {
                s.push_str(if k == last { ": a cycle." } else { ";" });
                steps.push(s);
            }
            for (k, mut s) in chain_zh.into_iter().enumerate() {
                s.push_str(if k == last {
                    "：形成了一个环。"
                } else {
                    "；"
                });
                steps_zh.push(s);
            }
        }
        // The other blocked members, pipe waits first.
        for &i in &order {
            if told.contains(&i) || matches!(self.waits[i], Wait::Stopped) {
                continue;
            }
            let mut s = self.sentence(i, None, &mut fds, &mut pipes);
            s.push('.');
            steps.push(s);
            steps_zh.push(format!("{}。", self.sentence_zh(i, None)));
            told.push(i);
        }
        // Stopped members last.
        let mut stopped = Vec::new();
        for &i in &order {
            if matches!(self.waits[i], Wait::Stopped) && !told.contains(&i) {
                stopped.push(i);
                steps.push(format!(
                    "{} is stopped (by SIGSTOP or another stop signal) and no free process is left to send it SIGCONT.",
                    who(&self.snap.tasks[i])
                ));
                steps_zh.push(format!(
                    "{} 被暂停了（被 SIGSTOP 或别的暂停信号），已经没有空闲的进程能给它发 SIGCONT。",
                    who_zh(&self.snap.tasks[i])
                ));
                told.push(i);
            }
        }
        let tasks: Vec<Pid> = told.iter().map(|&i| self.snap.tasks[i].tid).collect();
        let (kind, summary, fix, zh) = match &cycle {
            Some(cyc) => {
                let names: Vec<String> = cyc.iter().map(|&i| who(&self.snap.tasks[i])).collect();
                let names_zh: Vec<String> =
                    cyc.iter().map(|&i| who_zh(&self.snap.tasks[i])).collect();
                let (summary, summary_zh) = if cyc.len() == 1 {
                    (
                        format!("{} waits for itself", names[0]),
                        format!("{} 在等它自己", names_zh[0]),
                    )
                } else {
                    (
                        format!("{} wait for each other", list(&names)),
                        format!("{} 在互相等待", list_zh(&names_zh)),
                    )
                };
                let (fix, fix_zh) = self.fix(cyc);
                (HangKind::Deadlock, summary, fix, (summary_zh, fix_zh))
            }
            None => {
                let (summary, fix, summary_zh, fix_zh) = self.stuck_summary(&order, &stopped);
                (HangKind::Stuck, summary, fix, (summary_zh, fix_zh))
            }
        };
        let mut seen = HashSet::new();
        fds.retain(|f: &HangFd| seen.insert((f.pid, f.fd)));
        let mut extra: Vec<Pid> = fds
            .iter()
            .map(|f| f.pid)
            .filter(|p| {
                !tasks
                    .iter()
                    .any(|t| self.snap.task(*t).is_some_and(|t| t.pid == *p))
            })
            .collect();
        extra.dedup();
        let mut all = tasks;
        all.extend(extra);
        Hang {
            kind,
            summary,
            steps,
            fix,
            zh: Some(Box::new(HangZh {
                summary: tidy_zh(zh.0),
                steps: Some(steps_zh.into_iter().map(tidy_zh).collect()),
                fix: tidy_zh(zh.1),
            })),
            cycle: cycle
                .unwrap_or_default()
                .iter()
                .map(|&i| self.snap.tasks[i].tid)
                .collect(),
            tasks: all,
            fds,
            pipes,
        }
    }

    /// Summary and fix of a group without a cycle.
    fn stuck_summary(
        &self,
        order: &[usize],
        stopped: &[usize],
    ) -> (String, String, String, String) {
        let names: Vec<String> = order
            .iter()
            .filter(|&&i| !matches!(self.waits[i], Wait::Stopped))
            .map(|&i| who(&self.snap.tasks[i]))
            .collect();
        let names_zh: Vec<String> = order
            .iter()
            .filter(|&&i| !matches!(self.waits[i], Wait::Stopped))
            .map(|&i| who_zh(&self.snap.tasks[i]))
            .collect();
        let fifos: Vec<&String> = order
            .iter()
            .filter_map(|&i| match &self.waits[i] {
                Wait::OpenFifo { path, .. } => Some(path),
                _ => None,
            })
            .collect();
        let verb = |n: usize| if n == 1 { "is" } else { "are" };
        if let Some(&s) = stopped.first() {
            let st = who(&self.snap.tasks[s]);
            let pid = self.snap.tasks[s].pid;
            let waiter = order.iter().find(|&&i| {
                matches!(&self.waits[i], Wait::Child { stops: false, .. })
                    && matches!(&self.rel[i], Releasers::Procs(ps) if ps.contains(&pid))
            });
            let fix = match waiter {
                Some(&w) => format!(
                    "continue it (kill -CONT {pid}), or let {} wait with WUNTRACED so that it sees the stop and can react",
                    who(&self.snap.tasks[w])
                ),
                None => format!("continue it (kill -CONT {pid})"),
            };
            let fix_zh = match waiter {
                Some(&w) => format!(
                    "让它继续运行（kill -CONT {pid}），或者让 {} 带上 WUNTRACED 去 wait，这样它能看到子进程暂停并作出反应",
                    who_zh(&self.snap.tasks[w])
                ),
                None => format!("让它继续运行（kill -CONT {pid}）"),
            };
            return (
                format!(
                    "{} {} blocked on {st}, which is stopped",
                    list(&names),
                    verb(names.len())
                ),
                fix,
                format!(
                    "{} 阻塞在 {} 上，而它已经被暂停了",
                    list_zh(&names_zh),
                    who_zh(&self.snap.tasks[s])
                ),
                fix_zh,
            );
        }
        if !fifos.is_empty() {
            let mut paths: Vec<String> = fifos.iter().map(|p| p.to_string()).collect();
            paths.sort();
            paths.dedup();
            let openers: Vec<String> = order
                .iter()
                .filter(|&&i| matches!(self.waits[i], Wait::OpenFifo { .. }))
                .map(|&i| who(&self.snap.tasks[i]))
                .collect();
            let openers_zh: Vec<String> = order
                .iter()
                .filter(|&&i| matches!(self.waits[i], Wait::OpenFifo { .. }))
                .map(|&i| who_zh(&self.snap.tasks[i]))
                .collect();
            let summary_zh = format!(
                "{} 阻塞在打开 FIFO {} 上：每个 open 都在等一个永远不会来的对端",
                list_zh(&openers_zh),
                list_zh(&paths)
            );
            return (
                format!(
                    "{} {} blocked opening {} {}: each open waits for a partner that never comes",
                    list(&openers),
                    verb(openers.len()),
                    if paths.len() == 1 { "the FIFO" } else { "the FIFOs" },
                    list(&paths)
                ),
                "open the FIFOs in the same order in every process (an open of a FIFO blocks until the other side is opened), or open one with O_RDWR or O_NONBLOCK".into(),
                summary_zh,
                "让每个进程都按同样的顺序打开这些 FIFO（打开 FIFO 会一直阻塞，直到另一端也被打开），或者用 O_RDWR 或 O_NONBLOCK 打开其中一个".into(),
            );
        }
        (
            format!(
                "{} {} blocked and no free process is left to release them",
                list(&names),
                verb(names.len())
            ),
            "see the steps: each names what the task waits for".into(),
            format!(
                "{} 都阻塞了，已经没有空闲的进程能把它们放出来",
                list_zh(&names_zh)
            ),
            "看上面的每一步：每一步都写明了这个任务在等什么".into(),
        )
    }

    /// The writers or readers holding the other end of `pipe`, as text.
    fn holders_text(&self, me: &Task, pipe: &str, writers: bool) -> (String, Vec<(Pid, i32)>) {
        let (r, w) = self.snap.holders(pipe);
        let hs = if writers { w } else { r };
        let mut by_pid: BTreeMap<Pid, Vec<i32>> = BTreeMap::new();
        let mut order = Vec::new();
        for (p, fd) in &hs {
            if !by_pid.contains_key(p) {
                order.push(*p);
            }
            by_pid.entry(*p).or_default().push(*fd);
        }
        let parts: Vec<String> = order
            .iter()
            .map(|p| {
                let fds = &by_pid[p];
                let fdt = if fds.len() == 1 {
                    format!("fd {}", fds[0])
                } else {
                    format!(
                        "fds {}",
                        list(&fds.iter().map(|f| f.to_string()).collect::<Vec<_>>())
                    )
                };
                if *p == me.pid {
                    format!("{} itself ({fdt})", self.proc_name(*p))
                } else {
                    format!("{} {fdt}", self.proc_name(*p))
                }
            })
            .collect();
        (list(&parts), hs)
    }

    /// What task `i` does, in words; `next` is the task it waits for in a
    /// cycle (the sentence then ends by naming what that one does).
    fn sentence(
        &self,
        i: usize,
        next: Option<usize>,
        fds: &mut Vec<HangFd>,
        pipes: &mut Vec<String>,
    ) -> String {
        let t = &self.snap.tasks[i];
        let me = who(t);
        let mut add_pipe = |p: &String| {
            if !pipes.contains(p) {
                pipes.push(p.clone());
            }
        };
        match &self.waits[i] {
            Wait::ReadPipe { fd, pipe } => {
                add_pipe(pipe);
                fds.push(HangFd {
                    pid: t.pid,
                    fd: *fd,
                    pipe: pipe.clone(),
                    role: "blocked-reader",
                });
                let (held, hs) = self.holders_text(t, pipe, true);
                for (p, f) in hs {
                    fds.push(HangFd {
                        pid: p,
                        fd: f,
                        pipe: pipe.clone(),
                        role: "writer",
                    });
                }
                format!(
                    "{me} is blocked reading {pipe} via fd {fd}; the pipe is empty and its write end is still open in {held}{}",
                    self.then(i, next)
                )
            }
            Wait::WritePipe { fd, pipe } => {
                add_pipe(pipe);
                fds.push(HangFd {
                    pid: t.pid,
                    fd: *fd,
                    pipe: pipe.clone(),
                    role: "blocked-writer",
                });
                let (held, hs) = self.holders_text(t, pipe, false);
                for (p, f) in hs {
                    fds.push(HangFd {
                        pid: p,
                        fd: f,
                        pipe: pipe.clone(),
                        role: "reader",
                    });
                }
                let fill = match self.snap.pipe(pipe) {
                    Some(PipeInfo {
                        fill: Some(f),
                        capacity: Some(c),
                        ..
                    }) => format!(" ({f} of {c} bytes)"),
                    _ => String::new(),
                };
                format!(
                    "{me} is blocked writing to {pipe} via fd {fd}; the pipe is full{fill} and its read end is open only in {held}{}",
                    self.then(i, next)
                )
            }
            Wait::Child { call, target, .. } => {
                let kids = match &self.rel[i] {
                    Releasers::Procs(ps) => ps.clone(),
                    _ => Vec::new(),
                };
                let names: Vec<String> = kids.iter().map(|k| self.proc_name(*k)).collect();
                let what = match target {
                    WaitTarget::Child(_) => list(&names),
                    WaitTarget::Any => format!("any child ({})", list(&names)),
                    WaitTarget::OwnGroup => {
                        format!("any child in its process group ({})", list(&names))
                    }
                    WaitTarget::Group(g) => {
                        format!("any child in process group {g} ({})", list(&names))
                    }
                };
                let mut s = format!("{me} is blocked in {call} for {what}");
                if let Some(n) = next {
                    let nt = &self.snap.tasks[n];
                    if !kids.contains(&nt.pid) || kids.len() > 1 {
                        s.push_str(&format!(", among them {}", who(nt)));
                    }
                }
                s
            }
            Wait::OpenFifo { path, write } => {
                let how = match write {
                    Some(true) => "for writing; the open waits until some process opens it for reading",
                    Some(false) => "for reading; the open waits until some process opens it for writing",
                    None => "; the open waits until some process opens the other side",
                };
                format!("{me} is blocked opening the FIFO {path} {how}, and every other process is blocked too")
            }
            Wait::Poll { call, fds: polled } => {
                for f in polled {
                    add_pipe(&f.pipe);
                    fds.push(HangFd {
                        pid: t.pid,
                        fd: f.fd,
                        pipe: f.pipe.clone(),
                        role: if f.read {
                            "blocked-reader"
                        } else {
                            "blocked-writer"
                        },
                    });
                    for (wanted, writers, role) in [(f.read, true, "writer"), (f.write, false, "reader")] {
                        if wanted {
                            for (p, fd) in self.holders_text(t, &f.pipe, writers).1 {
                                fds.push(HangFd {
                                    pid: p,
                                    fd,
                                    pipe: f.pipe.clone(),
                                    role,
                                });
                            }
                        }
                    }
                }
                self.poll_sentence(i, next, call, polled, false)
            }
            Wait::Signal { call } => {
                format!("{me} waits for a signal in {call}, and every other process is blocked")
            }
            Wait::Futex { .. } => format!(
                "{me} waits on a futex (a lock, a condition variable or a thread join) that only blocked tasks could release"
            ),
            other => format!("{me}: {other:?}"),
        }
    }

    /// What task `i`, blocked in `call` on the pipe ends `fds`, waits for:
    /// each end it could wake on, and who holds the other side of each;
    /// the end that `next` (in a cycle) holds is told last, just before
    /// what `next` does.
    fn poll_sentence(
        &self,
        i: usize,
        next: Option<usize>,
        call: &str,
        fds: &[PolledPipe],
        zh: bool,
    ) -> String {
        let t = &self.snap.tasks[i];
        let next_pid = next.map(|n| self.snap.tasks[n].pid);
        // (pipe, waits to write, holders of the other side)
        let mut clauses: Vec<(&str, bool, Vec<Pid>)> = Vec::new();
        for f in fds {
            for (wanted, write) in [(f.read, false), (f.write, true)] {
                if wanted {
                    let (r, w) = self.snap.holders(&f.pipe);
                    let hs = if write { r } else { w };
                    clauses.push((&f.pipe, write, hs.iter().map(|h| h.0).collect()));
                }
            }
        }
        clauses.sort_by_key(|c| next_pid.is_some_and(|p| c.2.contains(&p)));
        let one = clauses.len() == 1;
        let said: Vec<String> = clauses
            .iter()
            .map(|(pipe, write, _)| {
                let held = if zh {
                    self.holders_text_zh(t, pipe, !write)
                } else {
                    self.holders_text(t, pipe, !write).0
                };
                match (zh, write, one) {
                    (false, false, true) => {
                        format!("the pipe is empty and its write end is still open in {held}")
                    }
                    (false, false, false) => {
                        format!("{pipe} is empty and its write end is still open in {held}")
                    }
                    (false, true, true) => {
                        format!("the pipe is full and its read end is open only in {held}")
                    }
                    (false, true, false) => {
                        format!("{pipe} is full and its read end is open only in {held}")
                    }
                    (true, false, true) => format!("管道是空的，而它的写端还开在 {held} 里"),
                    (true, false, false) => format!("{pipe} 是空的，而它的写端还开在 {held} 里"),
                    (true, true, true) => format!("管道已经满了，而它的读端只开在 {held} 里"),
                    (true, true, false) => format!("{pipe} 已经满了，而它的读端只开在 {held} 里"),
                }
            })
            .collect();
        if zh {
            format!(
                "{} 阻塞在 {call} 里，等着{}；{}{}",
                who_zh(t),
                poll_targets_via(fds, true),
                said.join("；"),
                self.then_zh(i, next)
            )
        } else {
            format!(
                "{} is blocked in {call} waiting {}; {}{}",
                who(t),
                poll_targets_via(fds, false),
                if one {
                    said.concat()
                } else {
                    format!("none can become ready: {}", list(&said))
                },
                self.then(i, next)
            )
        }
    }

    /// [`Graph::holders_text`] in Chinese: `4102（cat）的 fd 4`.
    fn holders_text_zh(&self, me: &Task, pipe: &str, writers: bool) -> String {
        let (r, w) = self.snap.holders(pipe);
        let hs = if writers { w } else { r };
        let mut by_pid: BTreeMap<Pid, Vec<i32>> = BTreeMap::new();
        let mut order = Vec::new();
        for (p, fd) in &hs {
            if !by_pid.contains_key(p) {
                order.push(*p);
            }
            by_pid.entry(*p).or_default().push(*fd);
        }
        let parts: Vec<String> = order
            .iter()
            .map(|p| {
                let fdt = list_zh(&by_pid[p].iter().map(|f| f.to_string()).collect::<Vec<_>>());
                if *p == me.pid {
                    format!("{} 自己（fd {fdt}）", self.proc_name_zh(*p))
                } else {
                    format!("{} 的 fd {fdt}", self.proc_name_zh(*p))
                }
            })
            .collect();
        list_zh(&parts)
    }

    /// [`Graph::sentence`] in Chinese (without recording fds and pipes).
    fn sentence_zh(&self, i: usize, next: Option<usize>) -> String {
        let t = &self.snap.tasks[i];
        let me = who_zh(t);
        match &self.waits[i] {
            Wait::ReadPipe { fd, pipe } => format!(
                "{me} 阻塞在通过 fd {fd} 读 {pipe} 上；管道是空的，而它的写端还开在 {} 里{}",
                self.holders_text_zh(t, pipe, true),
                self.then_zh(i, next)
            ),
            Wait::WritePipe { fd, pipe } => {
                let fill = match self.snap.pipe(pipe) {
                    Some(PipeInfo {
                        fill: Some(f),
                        capacity: Some(c),
                        ..
                    }) => format!("（{c} 字节里已有 {f} 字节）"),
                    _ => String::new(),
                };
                format!(
                    "{me} 阻塞在通过 fd {fd} 写 {pipe} 上；管道已经满了{fill}，而它的读端只开在 {} 里{}",
                    self.holders_text_zh(t, pipe, false),
                    self.then_zh(i, next)
                )
            }
            Wait::Child { call, target, .. } => {
                let kids = match &self.rel[i] {
                    Releasers::Procs(ps) => ps.clone(),
                    _ => Vec::new(),
                };
                let names: Vec<String> = kids.iter().map(|k| self.proc_name_zh(*k)).collect();
                let what = match target {
                    WaitTarget::Child(_) => list_zh(&names),
                    WaitTarget::Any => format!("任意一个子进程（{}）", list_zh(&names)),
                    WaitTarget::OwnGroup => {
                        format!("自己进程组里的任意一个子进程（{}）", list_zh(&names))
                    }
                    WaitTarget::Group(g) => {
                        format!("进程组 {g} 里的任意一个子进程（{}）", list_zh(&names))
                    }
                };
                let mut s = format!("{me} 阻塞在 {call} 里等 {what}");
                if let Some(n) = next {
                    let nt = &self.snap.tasks[n];
                    if !kids.contains(&nt.pid) || kids.len() > 1 {
                        s.push_str(&format!("，其中包括 {}", who_zh(nt)));
                    }
                }
                s
            }
            Wait::OpenFifo { path, write } => {
                let how = match write {
                    Some(true) => "（为了写）上；这个 open 要等到有进程以读方式打开它",
                    Some(false) => "（为了读）上；这个 open 要等到有进程以写方式打开它",
                    None => "上；这个 open 要等到有进程打开另一端",
                };
                format!("{me} 阻塞在打开 FIFO {path}{how}，而其他进程也都阻塞了")
            }
            Wait::Poll { call, fds } => self.poll_sentence(i, next, call, fds, true),
            Wait::Signal { call } => {
                format!("{me} 在 {call} 里等信号，而其他进程都阻塞了")
            }
            Wait::Futex { .. } => format!(
                "{me} 在等一个 futex（锁、条件变量或线程 join），只有已经阻塞的任务才能释放它"
            ),
            other => format!("{me}：{other:?}"),
        }
    }

    /// [`Graph::then`] in Chinese: `，后者正阻塞在 wait4 里等 4102`.
    fn then_zh(&self, i: usize, next: Option<usize>) -> String {
        self.then_in(i, next, true)
    }

    /// `, which is blocked in wait4 for 4102` — what `next` does, briefly.
    fn then(&self, i: usize, next: Option<usize>) -> String {
        self.then_in(i, next, false)
    }

    /// [`Graph::then`] in English or Chinese: one decision, two wordings.
    fn then_in(&self, i: usize, next: Option<usize>, zh: bool) -> String {
        let Some(n) = next else { return String::new() };
        if n == i {
            return String::new();
        }
        let nt = &self.snap.tasks[n];
        let pick = |en: String, cn: String| if zh { cn } else { en };
        let what = match &self.waits[n] {
            Wait::Child { call, target, .. } => match target {
                WaitTarget::Child(c) => pick(
                    format!("blocked in {call} for {c}"),
                    format!("阻塞在 {call} 里等 {c}"),
                ),
                _ => pick(
                    format!("blocked in {call} for a child"),
                    format!("阻塞在 {call} 里等一个子进程"),
                ),
            },
            Wait::ReadPipe { pipe, fd } => pick(
                format!("blocked reading {pipe} (fd {fd})"),
                format!("阻塞在读 {pipe}（fd {fd}）上"),
            ),
            Wait::WritePipe { pipe, fd } => pick(
                format!("blocked writing to {pipe} (fd {fd})"),
                format!("阻塞在写 {pipe}（fd {fd}）上"),
            ),
            Wait::Poll { call, fds } => pick(
                format!("blocked in {call} waiting {}", poll_targets(fds, false)),
                format!("阻塞在 {call} 里等着{}", poll_targets(fds, true)),
            ),
            Wait::OpenFifo { path, .. } => pick(
                format!("blocked opening {path}"),
                format!("阻塞在打开 {path} 上"),
            ),
            Wait::Futex { .. } => pick("waiting on a futex".into(), "在等一个 futex".into()),
            _ => pick("blocked too".into(), "也阻塞了".into()),
        };
        match (nt.tid != nt.pid, zh) {
            (true, false) => format!(", whose thread {} is {what}", nt.tid),
            (false, false) => format!(", which is {what}"),
            (true, true) => format!("，后者的线程 {} 正{what}", nt.tid),
            (false, true) => format!("，后者正{what}"),
        }
    }

    /// The fix for a deadlock cycle, from its most telling edge.
    fn fix(&self, cyc: &[usize]) -> (String, String) {
        for (k, &i) in cyc.iter().enumerate() {
            let t = &self.snap.tasks[i];
            let next = cyc[(k + 1) % cyc.len()];
            let nt = &self.snap.tasks[next];
            match &self.waits[i] {
                Wait::ReadPipe { pipe, .. } => {
                    let (_, writers) = self.snap.holders(pipe);
                    let mine: Vec<i32> = writers
                        .iter()
                        .filter(|h| h.0 == nt.pid)
                        .map(|h| h.1)
                        .collect();
                    let fdt = list(&mine.iter().map(|f| f.to_string()).collect::<Vec<_>>());
                    let fdt_zh = list_zh(&mine.iter().map(|f| f.to_string()).collect::<Vec<_>>());
                    if nt.pid == t.pid {
                        return (
                            format!(
                                "close fd {fdt} (its own copy of the write end of {pipe}) in {} before reading: a reader sees EOF only once every write end is closed, its own included",
                                who(t)
                            ),
                            format!(
                                "在 {} 开始读之前关闭 fd {fdt_zh}（它自己手里那份 {pipe} 写端的副本）：只有所有写端都关闭了，读者才会看到 EOF，它自己的那份也算",
                                who_zh(t)
                            ),
                        );
                    }
                    return match &self.waits[next] {
                        Wait::Child { .. } => (
                            format!(
                                "close fd {fdt} in {} before waiting for {}: a reader sees EOF only once every write end of {pipe} is closed",
                                nt.pid, t.pid
                            ),
                            format!(
                                "在 {} 等待 {} 之前，先关闭 fd {fdt_zh}：只有 {pipe} 的所有写端都关闭了，读者才会看到 EOF",
                                nt.pid, t.pid
                            ),
                        ),
                        // Feeding a child and then waiting for its output
                        // (subprocess with stdin=PIPE, stdout=PIPE and no
                        // close of stdin): the child's EOF never comes.
                        Wait::Poll { call, .. } => (
                            format!(
                                "close fd {fdt} in {} as soon as it has written all it will, before it waits in {call}: {} sees EOF only once every write end of {pipe} is closed, and it will not finish until then",
                                nt.pid, t.pid
                            ),
                            format!(
                                "{} 一写完就关闭 fd {fdt_zh}，别等到在 {call} 里等的时候：只有 {pipe} 的所有写端都关闭了，{} 才会看到 EOF，在那之前它不会结束",
                                nt.pid, t.pid
                            ),
                        ),
                        _ => (
                            format!(
                                "close fd {fdt} in {} as soon as it has written all it will (close it after fork where it is not needed, or make it close-on-exec): {} sees EOF only once every write end of {pipe} is closed",
                                nt.pid, t.pid
                            ),
                            format!(
                                "{} 一写完就关闭 fd {fdt_zh}（不需要它的地方 fork 之后就关，或者设成 close-on-exec）：只有 {pipe} 的所有写端都关闭了，{} 才会看到 EOF",
                                nt.pid, t.pid
                            ),
                        ),
                    };
                }
                Wait::WritePipe { pipe, .. } => {
                    let (readers, _) = self.snap.holders(pipe);
                    let rfd = readers
                        .iter()
                        .find(|h| h.0 == nt.pid)
                        .map(|h| h.1.to_string())
                        .unwrap_or_default();
                    match &self.waits[next] {
                        Wait::Child { .. } => {
                            let cap = self
                                .snap
                                .pipe(pipe)
                                .and_then(|p| p.capacity)
                                .unwrap_or(65536);
                            return (
                                format!(
                                    "in {}, read fd {rfd} until EOF before waiting for {}: a pipe holds only {cap} bytes, so a writer of more blocks until someone reads",
                                    nt.pid, t.pid,
                                ),
                                format!(
                                    "在 {} 里，先把 fd {rfd} 读到 EOF，再去等待 {}：管道只能容纳 {cap} 字节，写得更多的写者会阻塞，直到有人来读",
                                    nt.pid, t.pid,
                                ),
                            );
                        }
                        Wait::WritePipe { pipe: back, .. } => {
                            // Fix the parent of the pair: it feeds the child
                            // and collects its output.
                            let (feeder, filter, out_pipe) = if t.ppid == nt.pid {
                                (nt, t, pipe)
                            } else {
                                (t, nt, back)
                            };
                            let (readers, _) = self.snap.holders(out_pipe);
                            let rfd2 = readers
                                .iter()
                                .find(|h| h.0 == feeder.pid)
                                .map_or(String::new(), |h| format!(" on fd {}", h.1));
                            let rfd2_zh = readers
                                .iter()
                                .find(|h| h.0 == feeder.pid)
                                .map_or(String::new(), |h| format!("从 fd {} ", h.1));
                            return (
                                format!(
                                    "in {}, read the output of {}{rfd2} while writing its input (poll(2), a second thread, or a temporary file) instead of writing everything before reading: both pipes are full and each side waits for the other to read",
                                    feeder.pid, filter.pid
                                ),
                                format!(
                                    "在 {} 里，一边往 {} 的输入写，一边{rfd2_zh}读它的输出（用 poll(2)、再开一个线程，或者借助临时文件），而不是全部写完再读：两个管道都满了，双方都在等对方来读",
                                    feeder.pid, filter.pid
                                ),
                            );
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        // Only multiplexers around the cycle: name the pipes whose write end
        // the next process could close, or whose read end it could drain.
        for (k, &i) in cyc.iter().enumerate() {
            let t = &self.snap.tasks[i];
            let nt = &self.snap.tasks[cyc[(k + 1) % cyc.len()]];
            let Wait::Poll { call, fds } = &self.waits[i] else {
                continue;
            };
            for f in fds.iter().filter(|f| f.read) {
                let (_, writers) = self.snap.holders(&f.pipe);
                let mine: Vec<String> = writers
                    .iter()
                    .filter(|h| h.0 == nt.pid)
                    .map(|h| h.1.to_string())
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                let pipe = &f.pipe;
                let (fdt, fdt_zh) = (list(&mine), list_zh(&mine));
                return if nt.pid == t.pid {
                    (
                        format!(
                            "close fd {fdt} (its own copy of the write end of {pipe}) in {} before waiting in {call}: {pipe} becomes readable at EOF only once every write end is closed, its own included",
                            who(t)
                        ),
                        format!(
                            "在 {} 进入 {call} 等待之前关闭 fd {fdt_zh}（它自己手里那份 {pipe} 写端的副本）：只有所有写端都关闭了，{pipe} 才会因为 EOF 变得可读，它自己的那份也算",
                            who_zh(t)
                        ),
                    )
                } else {
                    (
                        format!(
                            "close fd {fdt} in {} as soon as it has written all it will: {} waits in {call} for {pipe} to become readable, which happens at EOF only once every write end is closed",
                            nt.pid, t.pid
                        ),
                        format!(
                            "{} 一写完就关闭 fd {fdt_zh}：{} 在 {call} 里等 {pipe} 变得可读，而只有所有写端都关闭了才会有 EOF",
                            nt.pid, t.pid
                        ),
                    )
                };
            }
        }
        (
            "break the cycle: see the steps, each names what the task waits for and who could release it".into(),
            "打破这个环：看上面的每一步，每一步都写明了这个任务在等什么、谁能把它放出来".into(),
        )
    }

    /// Readers waiting for EOF that an idle orphan holds back.
    fn eof_held_open(&self) -> Vec<Hang> {
        let snap = self.snap;
        let in_tree: HashSet<Pid> = snap
            .tasks
            .iter()
            .filter(|t| t.in_tree)
            .map(|t| t.pid)
            .collect();
        let proc_idle = |pid: Pid| {
            snap.tasks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.pid == pid)
                .all(|(j, _)| self.stuck[j] || self.waits[j].idle())
        };
        let wchar = |pid: Pid| -> u64 { snap.threads(pid).map(|t| t.progress.wchar).sum() };
        // Reparented: a process of the tree whose parent is no longer in it,
        // or any process whose parent is now init.
        let orphan = |pid: Pid| {
            snap.threads(pid).next().is_some_and(|t| {
                pid != snap.root && (t.ppid == 1 || (t.in_tree && !in_tree.contains(&t.ppid)))
            })
        };
        let mut out = Vec::new();
        for (i, t) in snap.tasks.iter().enumerate() {
            let Wait::ReadPipe { fd, pipe } = &self.waits[i] else {
                continue;
            };
            if self.stuck[i] || !t.in_tree || !matches!(self.rel[i], Releasers::Procs(_)) {
                continue;
            }
            let (_, writers) = snap.holders(pipe);
            let holders = dedup(writers.iter().map(|h| h.0).collect());
            let leaked: Vec<Pid> = holders
                .iter()
                .copied()
                .filter(|p| *p != t.pid && proc_idle(*p) && wchar(*p) == 0 && orphan(*p))
                .collect();
            let others_ok = holders
                .iter()
                .all(|p| leaked.contains(p) || *p == t.pid || self.proc_is_stuck(*p));
            if leaked.is_empty() || !others_ok {
                continue;
            }
            let me = who(t);
            let mut fds = vec![HangFd {
                pid: t.pid,
                fd: *fd,
                pipe: pipe.clone(),
                role: "blocked-reader",
            }];
            let mut parts = Vec::new();
            let mut parts_zh = Vec::new();
            for p in &leaked {
                let pfds: Vec<i32> = writers.iter().filter(|h| h.0 == *p).map(|h| h.1).collect();
                for f in &pfds {
                    fds.push(HangFd {
                        pid: *p,
                        fd: *f,
                        pipe: pipe.clone(),
                        role: "writer",
                    });
                }
                let lead = snap.threads(*p).next().expect("a holder has a task");
                let doing = match snap
                    .tasks
                    .iter()
                    .position(|x| x.pid == *p)
                    .map(|j| &self.waits[j])
                {
                    Some(Wait::Sleeping { call }) => format!("sleeping in {call}"),
                    Some(Wait::Stopped) => "stopped".into(),
                    Some(Wait::Child { call, .. } | Wait::Poll { call, .. }) => {
                        format!("blocked in {call}")
                    }
                    Some(Wait::External { call, .. }) if call != "?" => {
                        format!("blocked in {call}")
                    }
                    _ => "idle".into(),
                };
                let doing_zh = match snap
                    .tasks
                    .iter()
                    .position(|x| x.pid == *p)
                    .map(|j| &self.waits[j])
                {
                    Some(Wait::Sleeping { call }) => format!("睡在 {call} 里"),
                    Some(Wait::Stopped) => "处于暂停状态".into(),
                    Some(Wait::Child { call, .. } | Wait::Poll { call, .. }) => {
                        format!("阻塞在 {call} 里")
                    }
                    Some(Wait::External { call, .. }) if call != "?" => {
                        format!("阻塞在 {call} 里")
                    }
                    _ => "闲着".into(),
                };
                parts_zh.push(format!(
                    "{} 的 fd {}（一个孤儿后台进程：它的父进程已经不在了，现在是 {} 的子进程；它什么也没写过，正{doing_zh}）",
                    self.proc_name_zh(*p),
                    list_zh(&pfds.iter().map(|f| f.to_string()).collect::<Vec<_>>()),
                    lead.ppid
                ));
                parts.push(format!(
                    "{} fd {} (an orphaned background process: its parent is gone and it is now a child of {}; it has written nothing and is {doing})",
                    self.proc_name(*p),
                    list(&pfds.iter().map(|f| f.to_string()).collect::<Vec<_>>()),
                    lead.ppid
                ));
            }
            let first = leaked[0];
            let ffd = fds.iter().find(|f| f.pid == first).map_or(-1, |f| f.fd);
            let stdio = if (0..=2).contains(&ffd) {
                format!(
                    " (for a background job: `cmd {}/dev/null &`)",
                    if ffd == 0 {
                        "<"
                    } else if ffd == 1 {
                        ">"
                    } else {
                        "2>"
                    }
                )
            } else {
                String::new()
            };
            let stdio_zh = if (0..=2).contains(&ffd) {
                format!(
                    "（后台任务可以这样写：`cmd {}/dev/null &`）",
                    if ffd == 0 {
                        "<"
                    } else if ffd == 1 {
                        ">"
                    } else {
                        "2>"
                    }
                )
            } else {
                String::new()
            };
            let me_zh = who_zh(t);
            let holders_zh = list_zh(
                &leaked
                    .iter()
                    .map(|p| self.proc_name_zh(*p))
                    .collect::<Vec<_>>(),
            );
            let zh = HangZh {
                summary: format!(
                    "{me_zh} 在 {pipe} 上等 EOF，可 {holders_zh} 一直开着写端却不写"
                ),
                steps: Some(vec![format!(
                    "{me_zh} 阻塞在通过 fd {fd} 读 {pipe} 上；管道是空的，而它的写端还开在 {} 里：{me_zh} 会一直等到那个进程退出。",
                    list_zh(&parts_zh)
                )]),
                fix: format!(
                    "别让 {} 继承 {pipe} 的写端：启动它的时候把 fd {ffd} 重定向或关掉{stdio_zh}",
                    self.proc_name_zh(first)
                ),
            };
            let mut tasks = vec![t.tid];
            tasks.extend(leaked.iter().copied());
            out.push(Hang {
                kind: HangKind::EofHeldOpen,
                summary: format!(
                    "{me} waits for EOF on {pipe}, which {} holds open without writing",
                    list(&leaked.iter().map(|p| self.proc_name(*p)).collect::<Vec<_>>())
                ),
                steps: vec![format!(
                    "{me} is blocked reading {pipe} via fd {fd}; the pipe is empty and its write end is still open in {}: {me} will wait until that process exits.",
                    list(&parts)
                )],
                fix: format!(
                    "do not let {} inherit the write end of {pipe}: redirect or close fd {ffd} when starting it{stdio}",
                    self.proc_name(first)
                ),
                cycle: Vec::new(),
                tasks,
                fds,
                pipes: vec![pipe.clone()],
                zh: Some(Box::new(HangZh {
                    summary: tidy_zh(zh.summary),
                    steps: zh.steps.map(|v| v.into_iter().map(tidy_zh).collect()),
                    fix: tidy_zh(zh.fix),
                })),
            });
        }
        out
    }

    fn proc_is_stuck(&self, pid: Pid) -> bool {
        let mut any = false;
        for (j, t) in self.snap.tasks.iter().enumerate() {
            if t.pid == pid && !matches!(self.waits[j], Wait::Zombie) {
                any = true;
                if !self.stuck[j] {
                    return false;
                }
            }
        }
        any
    }
}

/// The set of tids the hangs name (for tests and the recorder).
pub fn hung_tids(r: &Report) -> BTreeSet<Pid> {
    r.hangs
        .iter()
        .flat_map(|h| h.tasks.iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds snapshots by hand.
    #[derive(Default)]
    struct Snap(Snapshot);

    impl Snap {
        fn new(root: Pid) -> Snap {
            Snap(Snapshot {
                root,
                ..Snapshot::default()
            })
        }

        /// A single-threaded process in state `state`.
        fn proc(mut self, pid: Pid, ppid: Pid, name: &str, state: char) -> Snap {
            self.0.tasks.push(Task {
                pid,
                tid: pid,
                ppid,
                pgid: ppid.max(1),
                name: name.into(),
                state,
                wchan: String::new(),
                syscall: None,
                progress: Progress::default(),
                fds: Vec::new(),
                in_tree: true,
            });
            self
        }

        fn thread(mut self, pid: Pid, tid: Pid, state: char) -> Snap {
            let mut t = self.last_of(pid).clone();
            t.tid = tid;
            t.state = state;
            t.fds.clear();
            t.syscall = None;
            self.0.tasks.push(t);
            self
        }

        fn last_of(&mut self, pid: Pid) -> &mut Task {
            self.0
                .tasks
                .iter_mut()
                .rev()
                .find(|t| t.pid == pid)
                .expect("the process was added")
        }

        fn outside(mut self, pid: Pid) -> Snap {
            self.last_of(pid).in_tree = false;
            self
        }

        fn wchar(mut self, pid: Pid, n: u64) -> Snap {
            self.last_of(pid).progress.wchar = n;
            self
        }

        /// Process `pid` holds `fd` on pipe `n` (`pipe:[n]`).
        fn pipe_fd(mut self, pid: Pid, fd: i32, n: u64, access: Access) -> Snap {
            let id = format!("pipe:[{n}]");
            let t = self
                .0
                .tasks
                .iter_mut()
                .find(|t| t.pid == pid && t.tid == pid)
                .expect("the process was added");
            t.fds.push(Fd {
                fd,
                target: id.clone(),
                access,
                pipe: Some(id.clone()),
            });
            if self.0.pipe(&id).is_none() {
                self.0.pipes.push(PipeInfo {
                    id,
                    fifo: false,
                    fill: None,
                    capacity: Some(65536),
                });
            }
            self
        }

        fn tty(mut self, pid: Pid, fd: i32) -> Snap {
            self.last_of(pid).fds.push(Fd {
                fd,
                target: "/dev/pts/0".into(),
                access: Access::ReadWrite,
                pipe: None,
            });
            self
        }

        fn fill(mut self, n: u64, fill: u64) -> Snap {
            let id = format!("pipe:[{n}]");
            let p = self.0.pipes.iter_mut().find(|p| p.id == id).unwrap();
            p.fill = Some(fill);
            self
        }

        /// Task `tid` is blocked in `name(args...)`.
        fn blocked(mut self, tid: Pid, name: &str, args: &[u64]) -> Snap {
            let t = self.0.tasks.iter_mut().find(|t| t.tid == tid).unwrap();
            let mut a = [0u64; 6];
            a[..args.len()].copy_from_slice(args);
            t.state = 'S';
            t.wchan = match name {
                "read" => "anon_pipe_read",
                "write" => "anon_pipe_write",
                "wait4" | "waitid" => "do_wait",
                "openat" => "fifo_open",
                _ => "",
            }
            .into();
            t.syscall = Some(Syscall {
                nr: 0,
                name: name.into(),
                args: a,
                path: None,
                fifo: false,
                polled: None,
            });
            self
        }

        /// Task `tid`, blocked in an untimed multiplexer, waits on these
        /// (fd, read, write).
        fn polled(mut self, tid: Pid, set: &[(i32, bool, bool)]) -> Snap {
            let t = self.0.tasks.iter_mut().find(|t| t.tid == tid).unwrap();
            t.syscall.as_mut().unwrap().polled = Some(
                set.iter()
                    .map(|&(fd, read, write)| Polled { fd, read, write })
                    .collect(),
            );
            self
        }

        /// Process `pid` holds a socket as `fd`.
        fn socket(mut self, pid: Pid, fd: i32) -> Snap {
            self.last_of(pid).fds.push(Fd {
                fd,
                target: "socket:[999]".into(),
                access: Access::ReadWrite,
                pipe: None,
            });
            self
        }

        fn fifo_open(mut self, tid: Pid, path: &str, flags: u64) -> Snap {
            self = self.blocked(tid, "openat", &[(-100i64) as u64, 0x1000, flags]);
            let t = self.0.tasks.iter_mut().find(|t| t.tid == tid).unwrap();
            let sc = t.syscall.as_mut().unwrap();
            sc.path = Some(path.into());
            sc.fifo = true;
            self
        }

        fn done(self) -> Snapshot {
            self.0
        }
    }

    const ANY: u64 = u64::MAX; // -1 as a raw argument

    fn only_hang(r: &Report) -> &Hang {
        assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
        &r.hangs[0]
    }

    #[test]
    fn a_reader_holding_its_own_write_end_waits_for_itself() {
        // 4101 forked 4102; 4102 reads fd 3 and still holds fd 4 (write end);
        // 4101 closed its ends and waits for 4102.
        let s = Snap::new(4101)
            .proc(4101, 1, "rhwe", 'S')
            .proc(4102, 4101, "rhwe", 'S')
            .pipe_fd(4102, 3, 77, Access::Read)
            .pipe_fd(4102, 4, 77, Access::Write)
            .fill(77, 0)
            .blocked(4102, "read", &[3, 0, 64])
            .blocked(4101, "wait4", &[4102, 0, 0])
            .done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Deadlock);
        assert_eq!(h.cycle, vec![4102]);
        assert!(h.steps[0].contains("4102 (rhwe) is blocked reading pipe:[77] via fd 3"));
        assert!(h.steps[0].contains("4102 (rhwe) itself (fd 4)"), "{h:#?}");
        assert!(h.steps[1].contains("4101 (rhwe) is blocked in wait4 for 4102"));
        assert!(h.fix.contains("close fd 4"), "{}", h.fix);
        assert!(h.summary.contains("waits for itself"));
        assert!(r.wait(4101).unwrap().stuck && r.wait(4102).unwrap().stuck);
    }

    #[test]
    fn a_parent_keeping_the_write_end_while_waiting_is_a_cycle() {
        let s = Snap::new(4101)
            .proc(4101, 1, "sh", 'S')
            .proc(4102, 4101, "cat", 'S')
            .pipe_fd(4101, 4, 123, Access::Write)
            .pipe_fd(4102, 0, 123, Access::Read)
            .blocked(4102, "read", &[0, 0, 4096])
            .blocked(4101, "wait4", &[4102, 0, 0])
            .done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Deadlock);
        assert_eq!(h.cycle, vec![4102, 4101]);
        let text = h.text();
        assert!(
            text.contains("4102 (cat) is blocked reading pipe:[123] via fd 0; the pipe is empty and its write end is still open in 4101 (sh) fd 4, which is blocked in wait4 for 4102"),
            "{text}"
        );
        assert!(text.contains("a cycle."), "{text}");
        assert!(
            h.fix.starts_with("close fd 4 in 4101 before waiting"),
            "{}",
            h.fix
        );
        assert!(h
            .fds
            .iter()
            .any(|f| f.pid == 4101 && f.fd == 4 && f.role == "writer"));
    }

    #[test]
    fn waiting_for_a_child_before_reading_its_output_is_a_cycle() {
        let s = Snap::new(10)
            .proc(10, 1, "wbr", 'S')
            .proc(11, 10, "wbr", 'S')
            .pipe_fd(10, 3, 5, Access::Read)
            .pipe_fd(11, 4, 5, Access::Write)
            .fill(5, 65536)
            .blocked(11, "write", &[4, 0, 100_000])
            .blocked(10, "wait4", &[11, 0, 0])
            .done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Deadlock);
        assert_eq!(h.cycle, vec![11, 10]);
        assert!(
            h.steps[0].contains("the pipe is full (65536 of 65536 bytes)"),
            "{h:#?}"
        );
        assert!(
            h.fix.contains("read fd 3 until EOF before waiting for 11"),
            "{}",
            h.fix
        );
    }

    #[test]
    fn both_pipes_full_is_a_cycle_of_two_writers() {
        // 20 writes the child's stdin (pipe 1) and would read its stdout (pipe 2).
        let s = Snap::new(20)
            .proc(20, 1, "bpf", 'S')
            .proc(21, 20, "cat", 'S')
            .pipe_fd(20, 4, 1, Access::Write)
            .pipe_fd(20, 5, 2, Access::Read)
            .pipe_fd(21, 0, 1, Access::Read)
            .pipe_fd(21, 1, 2, Access::Write)
            .fill(1, 65536)
            .fill(2, 65536)
            .blocked(20, "write", &[4, 0, 1 << 20])
            .blocked(21, "write", &[1, 0, 131072])
            .done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Deadlock);
        assert_eq!(h.cycle.len(), 2);
        assert!(
            h.fix
                .contains("in 20, read the output of 21 on fd 5 while writing"),
            "{}",
            h.fix
        );
        assert_eq!(h.pipes.len(), 2);
    }

    #[test]
    fn fifos_opened_in_opposite_orders_are_stuck() {
        let s = Snap::new(30)
            .proc(30, 1, "foo", 'S')
            .proc(31, 30, "foo", 'S')
            .proc(32, 30, "foo", 'S')
            .blocked(30, "wait4", &[ANY, 0, 0])
            .fifo_open(31, "/tmp/x/a", 0)
            .fifo_open(32, "/tmp/x/b", 0)
            .done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Stuck);
        assert!(h.summary.contains("/tmp/x/a and /tmp/x/b"), "{}", h.summary);
        assert!(h.fix.contains("same order"));
        let t = h.text();
        assert!(
            t.contains("31 (foo) is blocked opening the FIFO /tmp/x/a for reading"),
            "{t}"
        );
    }

    #[test]
    fn a_fifo_open_with_a_free_process_around_is_not_reported() {
        let s = Snap::new(30)
            .proc(30, 1, "server", 'S')
            .proc(31, 30, "client", 'R')
            .fifo_open(30, "/tmp/x/a", 0)
            .done();
        assert!(analyse(&s).hangs.is_empty());
    }

    #[test]
    fn a_background_job_holding_the_write_end_delays_eof() {
        // sh -c '{ sleep 30 & echo hi; } | cat': the subshell is gone, its
        // background sleep (reparented to 1) holds the pipe as stdout.
        let s = Snap::new(40)
            .proc(40, 1, "sh", 'S')
            .proc(42, 40, "cat", 'S')
            .proc(43, 1, "sleep", 'S')
            .pipe_fd(42, 0, 9, Access::Read)
            .pipe_fd(43, 1, 9, Access::Write)
            .blocked(40, "wait4", &[ANY, 0, 0])
            .blocked(42, "read", &[0, 0, 131072])
            .blocked(43, "clock_nanosleep", &[0, 0, 0x7ffd, 0x7ffd])
            .done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::EofHeldOpen);
        assert!(h.steps[0].contains("43 (sleep) fd 1"), "{h:#?}");
        assert!(h.steps[0].contains("sleeping in clock_nanosleep"));
        assert!(h.fix.contains(">/dev/null &"), "{}", h.fix);
        assert!(h.fds.iter().any(|f| f.pid == 43 && f.fd == 1));
        // The same holder seen from outside the tree (snapshot of sh only).
        let s2 = Snap(s).outside(43).done();
        assert_eq!(analyse(&s2).hangs.len(), 1);
    }

    #[test]
    fn a_stopped_child_blocks_a_parent_waiting_without_wuntraced() {
        let s = Snap::new(50)
            .proc(50, 1, "sc", 'S')
            .proc(51, 50, "sc", 'T')
            .blocked(50, "wait4", &[51, 0, 0])
            .done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Stuck);
        assert!(
            h.summary.contains("51 (sc), which is stopped"),
            "{}",
            h.summary
        );
        assert!(h.fix.contains("kill -CONT 51"));
        assert!(h.fix.contains("WUNTRACED"));
    }

    #[test]
    fn a_stopped_child_with_a_waker_sleeping_is_not_reported() {
        let s = Snap::new(50)
            .proc(50, 1, "sc", 'S')
            .proc(51, 50, "sc", 'T')
            .proc(52, 50, "waker", 'S')
            .blocked(50, "wait4", &[51, 0, 0])
            .blocked(52, "nanosleep", &[0x7ff, 0])
            .done();
        assert!(analyse(&s).hangs.is_empty());
    }

    #[test]
    fn a_job_stopped_with_ctrl_z_is_not_a_hang() {
        let s = Snap::new(60)
            .proc(60, 1, "yes", 'T')
            .proc(61, 1, "head", 'T')
            .pipe_fd(60, 1, 3, Access::Write)
            .pipe_fd(61, 0, 3, Access::Read)
            .done();
        assert!(analyse(&s).hangs.is_empty());
    }

    #[test]
    fn a_busy_pipeline_is_not_reported() {
        // yes | head | wc: running or briefly blocked on a pipe whose other
        // end is held by a running process.
        let s = Snap::new(70)
            .proc(70, 1, "sh", 'S')
            .proc(71, 70, "yes", 'R')
            .proc(72, 70, "head", 'S')
            .proc(73, 70, "wc", 'R')
            .pipe_fd(71, 1, 1, Access::Write)
            .pipe_fd(72, 0, 1, Access::Read)
            .pipe_fd(72, 1, 2, Access::Write)
            .pipe_fd(73, 0, 2, Access::Read)
            .blocked(70, "wait4", &[ANY, 0, 0])
            .blocked(72, "write", &[1, 0, 4096])
            .done();
        let r = analyse(&s);
        assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
        assert!(!r.wait(72).unwrap().stuck);
    }

    #[test]
    fn a_sleeping_process_is_not_reported() {
        let s = Snap::new(80)
            .proc(80, 1, "sleep", 'S')
            .blocked(80, "clock_nanosleep", &[0, 0, 0x7ff, 0x7ff])
            .done();
        let r = analyse(&s);
        assert!(r.hangs.is_empty());
        assert_eq!(
            r.wait(80).unwrap().wait,
            Wait::Sleeping {
                call: "clock_nanosleep".into()
            }
        );
    }

    #[test]
    fn a_slow_producer_between_writes_is_not_reported() {
        // for i in 1 2 3 4; do echo $i; sleep 1; done | cat
        let s = Snap::new(90)
            .proc(90, 1, "sh", 'S')
            .proc(91, 90, "sh", 'S')
            .proc(92, 90, "cat", 'S')
            .proc(93, 91, "sleep", 'S')
            .pipe_fd(91, 1, 4, Access::Write)
            .pipe_fd(93, 1, 4, Access::Write)
            .pipe_fd(92, 0, 4, Access::Read)
            .wchar(91, 2)
            .blocked(90, "wait4", &[ANY, 0, 0])
            .blocked(91, "wait4", &[ANY, 0, 0])
            .blocked(92, "read", &[0, 0, 131072])
            .blocked(93, "clock_nanosleep", &[0, 0, 0x7ff, 0])
            .done();
        let r = analyse(&s);
        assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
    }

    #[test]
    fn a_producer_in_c_sleeping_between_writes_is_not_reported() {
        // ./tick | cat, tick writes then sleeps; not orphaned, has written.
        let s = Snap::new(100)
            .proc(100, 1, "sh", 'S')
            .proc(101, 100, "tick", 'S')
            .proc(102, 100, "cat", 'S')
            .pipe_fd(101, 1, 4, Access::Write)
            .pipe_fd(102, 0, 4, Access::Read)
            .wchar(101, 6)
            .blocked(100, "wait4", &[ANY, 0, 0])
            .blocked(101, "nanosleep", &[0x7ff, 0])
            .blocked(102, "read", &[0, 0, 131072])
            .done();
        assert!(analyse(&s).hangs.is_empty());
    }

    #[test]
    fn a_reader_of_the_terminal_is_not_reported() {
        let s = Snap::new(110)
            .proc(110, 1, "cat", 'S')
            .tty(110, 0)
            .blocked(110, "read", &[0, 0, 131072])
            .done();
        let r = analyse(&s);
        assert!(r.hangs.is_empty());
        assert!(matches!(r.wait(110).unwrap().wait, Wait::External { .. }));
    }

    #[test]
    fn a_writer_outside_the_tree_frees_the_reader() {
        let s = Snap::new(120)
            .proc(120, 1, "cat", 'S')
            .proc(5, 4, "bash", 'S')
            .outside(5)
            .pipe_fd(120, 0, 8, Access::Read)
            .pipe_fd(5, 9, 8, Access::Write)
            .blocked(120, "read", &[0, 0, 4096])
            .blocked(5, "wait4", &[ANY, 0, 0])
            .done();
        assert!(analyse(&s).hangs.is_empty());
    }

    #[test]
    fn a_thread_holding_the_write_end_keeps_its_sibling_reader_free() {
        // Thread 131 of 130 is running: it may still write.
        let s = Snap::new(130)
            .proc(130, 1, "app", 'S')
            .pipe_fd(130, 3, 6, Access::Read)
            .pipe_fd(130, 4, 6, Access::Write)
            .blocked(130, "read", &[3, 0, 10])
            .thread(130, 131, 'R')
            .done();
        assert!(analyse(&s).hangs.is_empty());
        // Both threads blocked: the joiner waits on a futex, the reader on
        // its own pipe.
        let s = Snap::new(130)
            .proc(130, 1, "app", 'S')
            .pipe_fd(130, 3, 6, Access::Read)
            .pipe_fd(130, 4, 6, Access::Write)
            .thread(130, 131, 'S')
            .blocked(130, "futex", &[0x7ff, 128, 131, 0])
            .blocked(131, "read", &[3, 0, 10])
            .done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Deadlock, "{h:#?}");
        assert!(h.text().contains("thread 131"), "{}", h.text());
    }

    #[test]
    fn a_wait_for_a_zombie_child_is_not_stuck() {
        let s = Snap::new(140)
            .proc(140, 1, "sh", 'S')
            .proc(141, 140, "x", 'Z')
            .blocked(140, "wait4", &[ANY, 0, 0])
            .done();
        assert!(analyse(&s).hangs.is_empty());
    }

    #[test]
    fn hang_keys_ignore_order_and_identify_the_hang() {
        let s = Snap::new(4101)
            .proc(4101, 1, "sh", 'S')
            .proc(4102, 4101, "cat", 'S')
            .pipe_fd(4101, 4, 123, Access::Write)
            .pipe_fd(4102, 0, 123, Access::Read)
            .blocked(4102, "read", &[0, 0, 4096])
            .blocked(4101, "wait4", &[4102, 0, 0])
            .done();
        let a = analyse(&s);
        let mut s2 = s.clone();
        s2.tasks.reverse();
        let b = analyse(&s2);
        assert_eq!(a.hangs[0].key(), b.hangs[0].key());
        assert_eq!(hung_tids(&a), BTreeSet::from([4101, 4102]));
    }

    #[test]
    fn timed_waits_are_sleeps_and_untimed_ones_are_not() {
        let s = Snap::new(1)
            .proc(1, 0, "p", 'S')
            .blocked(1, "poll", &[0x7ff, 1, 500])
            .done();
        assert!(matches!(analyse(&s).waits[0].wait, Wait::Sleeping { .. }));
        let s = Snap::new(1)
            .proc(1, 0, "p", 'S')
            .blocked(1, "poll", &[0x7ff, 1, u32::MAX as u64])
            .done();
        assert!(matches!(analyse(&s).waits[0].wait, Wait::External { .. }));
        // Alone in pause(): a daemon waiting for a signal, not a hang.
        let s = Snap::new(1)
            .proc(1, 0, "p", 'S')
            .blocked(1, "pause", &[])
            .done();
        assert!(analyse(&s).hangs.is_empty());
        // In pause() for the SIGCHLD of a child that is stuck on its own pipe.
        let s = Snap::new(1)
            .proc(1, 0, "p", 'S')
            .proc(2, 1, "c", 'S')
            .pipe_fd(2, 3, 1, Access::Read)
            .pipe_fd(2, 4, 1, Access::Write)
            .blocked(1, "pause", &[])
            .blocked(2, "read", &[3, 0, 1])
            .done();
        let r = analyse(&s);
        assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
        assert!(r.wait(1).unwrap().stuck);
    }

    /// python3 feeds `cat` through pipe 1 and reads its output from pipe 2
    /// in select(), but never closes its write end of pipe 1 (fd 4).
    fn python_and_cat(call: &str, args: &[u64]) -> Snap {
        Snap::new(28418)
            .proc(28418, 1, "python3", 'S')
            .proc(28419, 28418, "cat", 'S')
            .pipe_fd(28418, 4, 1, Access::Write)
            .pipe_fd(28418, 5, 2, Access::Read)
            .pipe_fd(28419, 0, 1, Access::Read)
            .pipe_fd(28419, 1, 2, Access::Write)
            .fill(1, 0)
            .fill(2, 0)
            .blocked(28418, call, args)
            .polled(28418, &[(5, true, false)])
            .blocked(28419, "read", &[0, 0, 131072])
    }

    #[test]
    fn a_select_on_the_output_of_a_child_fed_without_eof_is_a_cycle() {
        let s = python_and_cat("pselect6", &[6, 0x7ff0, 0, 0, 0, 0]).done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Deadlock);
        assert_eq!(h.cycle, vec![28419, 28418]);
        let text = h.text();
        assert!(
            text.contains("28419 (cat) is blocked reading pipe:[1] via fd 0; the pipe is empty and its write end is still open in 28418 (python3) fd 4, which is blocked in pselect6 waiting to read pipe:[2] (fd 5);"),
            "{text}"
        );
        assert!(
            text.contains("28418 (python3) is blocked in pselect6 waiting to read pipe:[2] via fd 5; the pipe is empty and its write end is still open in 28419 (cat) fd 1, which is blocked reading pipe:[1] (fd 0): a cycle."),
            "{text}"
        );
        assert!(
            h.fix.starts_with("close fd 4 in 28418 as soon as it has written all it will, before it waits in pselect6"),
            "{}",
            h.fix
        );
        assert!(h
            .fds
            .iter()
            .any(|f| f.pid == 28418 && f.fd == 5 && f.role == "blocked-reader"));
        assert!(h
            .fds
            .iter()
            .any(|f| f.pid == 28418 && f.fd == 4 && f.role == "writer"));
        let zh = h.zh.as_ref().unwrap();
        let steps = zh.steps.as_ref().unwrap();
        assert!(
            steps[1].starts_with(
                "28418（python3）阻塞在 pselect6 里，等着通过 fd 5 读 pipe:[2]；管道是空的"
            ),
            "{steps:?}"
        );
        assert!(zh.fix.contains("一写完就关闭 fd 4"), "{}", zh.fix);
        assert!(matches!(
            &r.wait(28418).unwrap().wait,
            Wait::Poll { call, fds } if call == "pselect6" && fds.len() == 1 && fds[0].read
        ));
    }

    #[test]
    fn a_poll_with_data_waiting_in_one_of_its_pipes_is_not_reported() {
        let s = python_and_cat("poll", &[0x7ff0, 1, u32::MAX as u64])
            .fill(2, 6)
            .done();
        let r = analyse(&s);
        assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
        assert!(!r.wait(28418).unwrap().stuck && !r.wait(28419).unwrap().stuck);
    }

    #[test]
    fn a_poll_on_a_pipe_and_a_socket_is_not_reported() {
        let s = python_and_cat("poll", &[0x7ff0, 2, u32::MAX as u64])
            .socket(28418, 7)
            .polled(28418, &[(5, true, false), (7, true, false)])
            .done();
        let r = analyse(&s);
        assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
        assert!(matches!(
            &r.wait(28418).unwrap().wait,
            Wait::External { what, .. } if what == "fd 7 (socket:[999])"
        ));
    }

    #[test]
    fn an_epoll_on_two_pipes_whose_writer_is_stuck_is_a_cycle() {
        // 10 feeds 11's stdin (pipe 1, fd 4, never closed) and waits in
        // epoll_wait (epoll fd 3) on its stdout (pipe 2, fd 5) and stderr
        // (pipe 3, fd 6); 11 reads its stdin until EOF.
        let s = Snap::new(10)
            .proc(10, 1, "runner", 'S')
            .proc(11, 10, "filter", 'S')
            .pipe_fd(10, 4, 1, Access::Write)
            .pipe_fd(10, 5, 2, Access::Read)
            .pipe_fd(10, 6, 3, Access::Read)
            .pipe_fd(11, 0, 1, Access::Read)
            .pipe_fd(11, 1, 2, Access::Write)
            .pipe_fd(11, 2, 3, Access::Write)
            .blocked(10, "epoll_wait", &[3, 0x7ff0, 16, u32::MAX as u64])
            .polled(10, &[(5, true, false), (6, true, false)])
            .blocked(11, "read", &[0, 0, 4096])
            .done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Deadlock);
        let text = h.text();
        assert!(
            text.contains("10 (runner) is blocked in epoll_wait waiting to read pipe:[2] via fd 5 or to read pipe:[3] via fd 6; none can become ready: pipe:[2] is empty and its write end is still open in 11 (filter) fd 1 and pipe:[3] is empty and its write end is still open in 11 (filter) fd 2, which is blocked reading pipe:[1] (fd 0)"),
            "{text}"
        );
        assert!(
            text.contains("which is blocked in epoll_wait waiting to read pipe:[2] (fd 5) or to read pipe:[3] (fd 6)"),
            "{text}"
        );
        assert!(h.fix.starts_with("close fd 4 in 10"), "{}", h.fix);
        assert_eq!(h.pipes.len(), 3, "{:?}", h.pipes);
        // The same wait with a running writer of one of its pipes is free.
        let mut s2 = s.clone();
        s2.tasks.push(Task {
            pid: 12,
            tid: 12,
            ppid: 10,
            state: 'R',
            fds: vec![Fd {
                fd: 1,
                target: "pipe:[3]".into(),
                access: Access::Write,
                pipe: Some("pipe:[3]".into()),
            }],
            ..s.tasks[1].clone()
        });
        assert!(analyse(&s2).hangs.is_empty());
    }

    #[test]
    fn a_poll_on_a_pipe_only_it_writes_to_waits_for_itself() {
        let s = Snap::new(7)
            .proc(7, 1, "selfpoll", 'S')
            .pipe_fd(7, 3, 1, Access::Read)
            .pipe_fd(7, 4, 1, Access::Write)
            .blocked(7, "poll", &[0x7ff0, 1, u32::MAX as u64])
            .polled(7, &[(3, true, false)])
            .done();
        let r = analyse(&s);
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Deadlock);
        assert!(h.summary.contains("waits for itself"), "{}", h.summary);
        assert!(
            h.steps[0].contains("still open in 7 (selfpoll) itself (fd 4)"),
            "{h:#?}"
        );
        assert!(
            h.fix.starts_with("close fd 4 (its own copy of the write end of pipe:[1]) in 7 (selfpoll) before waiting in poll"),
            "{}",
            h.fix
        );
    }

    #[test]
    fn an_untimed_poll_on_no_fd_waits_for_a_signal_and_an_unread_set_is_external() {
        let s = Snap::new(1)
            .proc(1, 0, "p", 'S')
            .blocked(1, "ppoll", &[0, 0, 0, 0])
            .polled(1, &[])
            .done();
        assert_eq!(
            analyse(&s).waits[0].wait,
            Wait::Signal {
                call: "ppoll".into()
            }
        );
        // A timed select is a sleep whatever its set.
        let s = Snap::new(1)
            .proc(1, 0, "p", 'S')
            .pipe_fd(1, 3, 1, Access::Read)
            .pipe_fd(1, 4, 1, Access::Write)
            .blocked(1, "select", &[4, 0x7ff0, 0, 0, 0x7ff8])
            .polled(1, &[(3, true, false)])
            .done();
        assert!(analyse(&s).hangs.is_empty());
        // An fd the snapshot does not know (closed since): external.
        let s = Snap::new(1)
            .proc(1, 0, "p", 'S')
            .blocked(1, "epoll_pwait", &[3, 0x7ff0, 1, u32::MAX as u64])
            .polled(1, &[(9, true, false)])
            .done();
        assert!(matches!(
            &analyse(&s).waits[0].wait,
            Wait::External { what, .. } if what == "fd 9"
        ));
    }

    #[test]
    fn a_poll_for_room_in_a_full_pipe_waits_for_its_reader() {
        // 20 polls for POLLOUT on pipe 1 (full); its only reader 21 waits
        // for 20 to exit.
        let s = Snap::new(20)
            .proc(20, 1, "w", 'S')
            .proc(21, 1, "r", 'S')
            .pipe_fd(20, 4, 1, Access::Write)
            .pipe_fd(21, 3, 1, Access::Read)
            .fill(1, 65536)
            .blocked(20, "poll", &[0x7ff0, 1, u32::MAX as u64])
            .polled(20, &[(4, false, true)])
            .blocked(21, "futex", &[0x7ff, 0, 1, 0])
            .done();
        let r = analyse(&s);
        assert!(matches!(
            &r.wait(20).unwrap().wait,
            Wait::Poll { fds, .. } if fds[0].write && !fds[0].read
        ));
        let h = only_hang(&r);
        assert!(
            h.text().contains("20 (w) is blocked in poll waiting to write to pipe:[1] via fd 4; the pipe is full and its read end is open only in 21 (r) fd 3"),
            "{}",
            h.text()
        );
    }
}
