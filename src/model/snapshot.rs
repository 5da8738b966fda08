//! A moment of a live process tree, as /proc showed it: every task with
//! its state, the syscall it is blocked in, its progress counters and its
//! process's fd table, and the pipes they hold. `record::live` reads one;
//! `model::wait` says what each task waits for; `analysis::waitfor` finds
//! the hangs. Pure data: nothing here reads /proc.

use crate::trace::Pid;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

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
    /// The file locks (fcntl, flock, OFD) that matter to a task blocked
    /// taking one: the locks it waits for, and who holds locks on the same
    /// file. Empty when no task waits on a lock.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locks: Vec<FileLock>,
}

/// A file lock, as /proc/locks (a wanted one) or a holder's
/// /proc/PID/fdinfo/FD `lock:` line (a held one) shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLock {
    /// The process holding it (from the fdinfo it was read in) or waiting
    /// for it (from /proc/locks).
    pub pid: Pid,
    /// The fd it is held by, or wanted through.
    pub fd: i32,
    /// The file, as /proc/locks names it: `MAJOR:MINOR:INODE` (hex device).
    pub file: String,
    /// `POSIX` (fcntl, lockf), `FLOCK` or `OFDLCK`.
    pub class: String,
    /// A write (exclusive) lock, not a read (shared) one.
    pub write: bool,
    /// Wanted, not held: the task waits for it (a `->` line).
    pub waiting: bool,
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
    /// Its signal masks, when /proc showed them (for lost wakeups).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signals: Option<SigMasks>,
    /// The name it gave itself, as `ps` shows it (/proc/PID/task/TID/comm:
    /// prctl PR_SET_NAME, pthread_setname_np), when it differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comm: Option<String>,
}

/// The name a task gave itself (`comm`, at most 15 bytes), when it is not
/// just its program's `name` (`name` cut to 15 bytes, as exec sets comm).
pub fn renamed(name: &str, comm: &str) -> bool {
    let n = name.as_bytes();
    comm.as_bytes() != &n[..n.len().min(15)]
}

/// A task's signal masks: bit `n - 1` stands for signal `n`, as in
/// /proc/PID/status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigMasks {
    /// SigCgt: the signals it has a handler for.
    pub caught: u64,
    /// SigBlk: the signals it blocks (during sigsuspend, the mask the call
    /// installed).
    pub blocked: u64,
    /// For rt_sigtimedwait: the set it waits for, read from its memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited: Option<u64>,
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
    /// For a timed wait (nanosleep, clock_nanosleep, a select, poll or
    /// epoll_wait with a timeout): how long it asked to wait, read from
    /// its arguments, when they could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Timeout>,
}

/// How long a timed wait asked to wait, and what is left of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeout {
    /// The duration asked for, in ns (for an absolute deadline: what was
    /// left of it when /proc was read).
    pub asked_ns: u64,
    /// What is left, at least and at most, in ns, when known: exactly, for
    /// an absolute deadline; for a relative one, at most all of it and at
    /// least what the task's age leaves of it (the wait began after the
    /// task was born).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_ns: Option<(u64, u64)>,
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
    /// For an eventfd or a connected unix socket: the channel it is an
    /// end of (`eventfd:ID`, `socketpair:INODE-INODE`, the smaller inode
    /// first), so that every holder of it can be found. Read only for the
    /// fds of an untimed multiplexer's set (an event loop's wake-up fd).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
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

    /// (pid, fd) holding an end of the eventfd or socket pair `channel`.
    pub fn channel_holders(&self, channel: &str) -> Holders {
        let mut out = Vec::new();
        for pid in self.processes() {
            for f in self.fds(pid) {
                if f.channel.as_deref() == Some(channel) {
                    out.push((pid, f.fd));
                }
            }
        }
        out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn task(pid: Pid, fds: Vec<Fd>) -> Task {
        Task {
            pid,
            tid: pid,
            ppid: 1,
            pgid: 1,
            name: "p".into(),
            state: 'S',
            wchan: String::new(),
            syscall: None,
            progress: Progress::default(),
            fds,
            in_tree: true,
            signals: None,
            comm: None,
        }
    }

    fn end(fd: i32, access: Access) -> Fd {
        Fd {
            fd,
            target: "pipe:[1]".into(),
            access,
            pipe: Some("pipe:[1]".into()),
            channel: None,
        }
    }

    #[test]
    fn holders_of_a_pipe_are_split_by_what_their_fd_may_do() {
        let snap = Snapshot {
            root: 1,
            tasks: vec![
                task(1, vec![end(3, Access::Read), end(4, Access::Write)]),
                task(2, vec![end(5, Access::ReadWrite)]),
            ],
            pipes: Vec::new(),
            locks: Vec::new(),
        };
        let (readers, writers) = snap.holders("pipe:[1]");
        assert_eq!(readers, vec![(1, 3), (2, 5)]);
        assert_eq!(writers, vec![(1, 4), (2, 5)]);
        assert_eq!(snap.processes(), vec![1, 2]);
        assert!(snap.holders("pipe:[2]").0.is_empty());
    }
}
