//! A hang as facts: what the wait-for analysis found when a traced tree
//! stopped making progress, with the pids, fds, pipes and calls each
//! sentence needs and no prose. `analysis::waitfor` builds them from a
//! snapshot of /proc, `words::hang` words them in each language, and the
//! trace's `stall` event carries them (its `facts` field), so a recorded
//! hang can be told again in any language.
//!
//! They live in the trace layer because the trace stores them: the recorder
//! writes them and every reader (doctor, replay) reads them back.

use super::Pid;
use serde::{Deserialize, Serialize};

/// The kind of a hang.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    /// `deadlock`, `stuck`, `eof-held-open`: the label of the kind, the same
    /// in every language (it is also the trace's `hang` field).
    pub fn as_str(self) -> &'static str {
        match self {
            HangKind::Deadlock => "deadlock",
            HangKind::Stuck => "stuck",
            HangKind::EofHeldOpen => "eof-held-open",
        }
    }

    /// A long wait rather than a hang for good: it ends when an idle
    /// holder wakes or exits (eof-held-open), so forkscope explains it but
    /// never kills the tree for it (not even with `--on-deadlock kill`).
    pub fn may_end(self) -> bool {
        matches!(self, HangKind::EofHeldOpen)
    }

    /// The kind from the trace's `hang` field.
    pub fn parse(s: &str) -> Option<HangKind> {
        match s {
            "deadlock" => Some(HangKind::Deadlock),
            "stuck" => Some(HangKind::Stuck),
            "eof-held-open" => Some(HangKind::EofHeldOpen),
            _ => None,
        }
    }
}

/// Which children a wait covers (its pid argument, as wait4 takes it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// A pipe end a multiplexer (select, poll, epoll) waits on.
///
/// In a `hangup` list (the ends a multiplexer watches only for the other
/// side to go, not for data or room) `read` marks a read end, woken once
/// its last writer is gone (POLLHUP), and `write` a write end, woken once
/// its last reader is gone (POLLERR).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// What kind of wake-up channel an event loop holds both ends of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WakeKind {
    /// An eventfd (libuv, GLib, Tokio): one fd, both ends.
    Eventfd,
    /// A unix socket pair (asyncio's self-pipe).
    SocketPair,
    /// A pipe whose read and write ends the loop holds (the self-pipe
    /// trick).
    SelfPipe,
}

/// One wake-up fd of an event loop whose every end only its own process
/// holds: nothing outside can make it ready.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeFd {
    /// The fd in the wait set.
    pub fd: i32,
    /// What it is.
    pub kind: WakeKind,
    /// Its other ends in the same process (the socket pair's peer, the
    /// self-pipe's write end).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<i32>,
}

/// A task named in a hang: its process, its thread (= `pid` for the main
/// thread) and the program it runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Who {
    /// The process.
    pub pid: Pid,
    /// The task.
    pub tid: Pid,
    /// Its program (raw, from /proc).
    pub name: String,
    /// The name it gave itself (its comm, as `ps` shows it), when that
    /// differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comm: Option<String>,
}

/// A process named in a hang, with its program when it was seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcName {
    /// The process.
    pub pid: Pid,
    /// Its program, when the snapshot had it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The name it gave itself (its comm, as `ps` shows it), when that
    /// differs from `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comm: Option<String>,
}

/// A process holding one end of a pipe, and by which fds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The process.
    pub proc: ProcName,
    /// Its fds on that end.
    pub fds: Vec<i32>,
    /// It is the waiting task's own process.
    #[serde(default)]
    pub itself: bool,
}

/// What the next task of a cycle is doing, told at the end of a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Then {
    /// Its thread, when it is not its process's main thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<Pid>,
    /// What it does.
    pub doing: Doing,
}

/// What a blocked task does, briefly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "doing", rename_all = "snake_case")]
pub enum Doing {
    /// In wait4/waitid for these children.
    Child {
        /// The call.
        call: String,
        /// Which children.
        target: WaitTarget,
    },
    /// Reading an empty pipe.
    ReadPipe {
        /// The pipe.
        pipe: String,
        /// The fd.
        fd: i32,
    },
    /// Writing a full pipe.
    WritePipe {
        /// The pipe.
        pipe: String,
        /// The fd.
        fd: i32,
    },
    /// In a multiplexer on pipe ends.
    Poll {
        /// The call.
        call: String,
        /// The ends.
        fds: Vec<PolledPipe>,
        /// Ends it watches only for the other side to go (every reader of
        /// a write end, every writer of a read end).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hangup: Vec<PolledPipe>,
    },
    /// Opening a FIFO.
    OpenFifo {
        /// Its path.
        path: String,
    },
    /// Waiting on a futex.
    Futex,
    /// Taking a file lock.
    Lock {
        /// The call (`fcntl`, `flock`).
        call: String,
        /// The fd.
        fd: i32,
    },
    /// Blocked in some other way.
    Blocked,
    /// An event loop in a multiplexer on pipe ends and its own wake-up fds.
    Loop {
        /// The call.
        call: String,
        /// The pipe ends.
        fds: Vec<PolledPipe>,
        /// Ends it watches only for the other side to go.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hangup: Vec<PolledPipe>,
    },
}

/// How a step ends: it leads to the next one of a cycle, closes the cycle,
/// or stands alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    /// Another step of the cycle follows.
    Next,
    /// The last step of the cycle.
    Cycle,
    /// A step outside the cycle.
    Alone,
}

/// One side of a multiplexer's wait: a pipe it would read (or write), and
/// who holds the other end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollClause {
    /// The pipe.
    pub pipe: String,
    /// It waits to write (room), not to read (data or EOF).
    pub write: bool,
    /// The holders of the other end.
    pub holders: Vec<Holder>,
}

/// What an idle holder of a write end is doing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "idle", rename_all = "snake_case")]
pub enum Idle {
    /// Sleeping with a timeout.
    Sleeping {
        /// The call.
        call: String,
    },
    /// Stopped by a signal.
    Stopped,
    /// Blocked in a call.
    Blocked {
        /// The call.
        call: String,
    },
    /// Nothing known.
    Idle,
    /// Sleeping with a timeout whose length was read from the call's
    /// arguments.
    Timed {
        /// The call.
        call: String,
        /// The duration it asked for, in ns.
        asked_ns: u64,
        /// What is left of it, at least and at most, in ns, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        left_ns: Option<(u64, u64)>,
    },
    /// Waiting for its own children, which hold the write end too.
    Children {
        /// The call (`wait4`, `waitid`).
        call: String,
        /// The children it waits for.
        kids: Vec<ProcName>,
    },
    /// Waiting for a client or a message on a socket (accept, a read, a
    /// poll set with a socket in it): a server or daemon.
    Socket {
        /// The call.
        call: String,
        /// The socket's fd, when the call names one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fd: Option<i32>,
    },
}

/// An orphaned process holding a write end open without writing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdleHolder {
    /// The process.
    pub proc: ProcName,
    /// Its fds on the write end.
    pub fds: Vec<i32>,
    /// Its parent now (init or a subreaper).
    pub parent: Pid,
    /// What it does.
    pub doing: Idle,
    /// The orphan it descends from, when it is not one itself (a child of
    /// a background job, started after the job inherited the write end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub under: Option<ProcName>,
}

/// One step of a hang: what one blocked task waits for and who holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Reading an empty pipe whose write end `writers` hold.
    ReadPipe {
        /// The task.
        who: Who,
        /// The fd.
        fd: i32,
        /// The pipe.
        pipe: String,
        /// The holders of its write end.
        writers: Vec<Holder>,
        /// What the next task of the cycle does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<Then>,
        /// How the step ends.
        end: End,
    },
    /// Writing a full pipe whose read end only `readers` hold.
    WritePipe {
        /// The task.
        who: Who,
        /// The fd.
        fd: i32,
        /// The pipe.
        pipe: String,
        /// (bytes in it, capacity), when measured.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fill: Option<(u64, u64)>,
        /// The holders of its read end.
        readers: Vec<Holder>,
        /// What the next task of the cycle does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<Then>,
        /// How the step ends.
        end: End,
    },
    /// In wait4/waitid for children.
    Child {
        /// The task.
        who: Who,
        /// The call.
        call: String,
        /// Which children it covers.
        target: WaitTarget,
        /// The children it waits for.
        kids: Vec<ProcName>,
        /// The task of the cycle among them, when it is not the only one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        among: Option<Who>,
        /// How the step ends.
        end: End,
    },
    /// Opening a FIFO while every other process is blocked.
    OpenFifo {
        /// The task.
        who: Who,
        /// The FIFO.
        path: String,
        /// Opening it for writing (true), reading (false), unknown (None).
        #[serde(default)]
        write: Option<bool>,
        /// How the step ends.
        end: End,
    },
    /// An untimed multiplexer on pipe ends none of which can become ready.
    Poll {
        /// The task.
        who: Who,
        /// The call.
        call: String,
        /// The ends it waits on, in fd order.
        fds: Vec<PolledPipe>,
        /// Each end it could wake on, with the holders of the other side,
        /// the one the next task of the cycle holds last.
        clauses: Vec<PollClause>,
        /// Ends it watches only for the other side to go, with who holds
        /// that side (`write`: a write end, waiting for its last reader;
        /// else a read end, waiting for its last writer), by fd.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hangup: Vec<(i32, PollClause)>,
        /// What the next task of the cycle does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<Then>,
        /// How the step ends.
        end: End,
    },
    /// Waiting for a signal while every other process is blocked.
    Signal {
        /// The task.
        who: Who,
        /// The call.
        call: String,
        /// How the step ends.
        end: End,
    },
    /// Waiting for SIGCHLD (pause, sigsuspend, sigwaitinfo) when every
    /// child has exited already: nothing in the tree will send it.
    LostWakeup {
        /// The task.
        who: Who,
        /// The call.
        call: String,
        /// Its children, all exited and not reaped (zombies).
        zombies: Vec<ProcName>,
        /// How the step ends.
        end: End,
    },
    /// A single-threaded child waits on a lock fork copied locked from its
    /// multi-threaded parent: the holder thread does not exist in it.
    ForkCopiedLock {
        /// The child.
        who: Who,
        /// Its parent (the same program).
        parent: ProcName,
        /// The parent's live threads.
        threads: usize,
        /// How the step ends.
        end: End,
    },
    /// An untimed futex wait only blocked tasks could release.
    Futex {
        /// The task.
        who: Who,
        /// How the step ends.
        end: End,
    },
    /// Taking a file lock that `holders` hold (fcntl F_SETLKW or
    /// F_OFD_SETLKW, lockf, flock without LOCK_NB).
    Lock {
        /// The task.
        who: Who,
        /// The call (`fcntl`, `flock`).
        call: String,
        /// The fd it locks through.
        fd: i32,
        /// The file (the fd's target, raw from /proc).
        path: String,
        /// The lock wanted: `POSIX` (fcntl, lockf), `FLOCK` or `OFDLCK`.
        class: String,
        /// A write (exclusive) lock is wanted, not a read (shared) one.
        write: bool,
        /// The processes holding a conflicting lock on the file, and by
        /// which fds.
        holders: Vec<Holder>,
        /// What the next task of the cycle does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<Then>,
        /// How the step ends.
        end: End,
    },
    /// Stopped, with nobody free left to continue it.
    Stopped {
        /// The task.
        who: Who,
    },
    /// Reading an empty pipe whose write end idle orphans hold open.
    EofHeldOpen {
        /// The reader.
        who: Who,
        /// Its fd.
        fd: i32,
        /// The pipe.
        pipe: String,
        /// The orphans holding its write end.
        holders: Vec<IdleHolder>,
    },
    /// An event loop in an untimed multiplexer on pipe ends none of which
    /// can become ready, and on wake-up channels only its own process holds
    /// (which nothing outside can make ready).
    Loop {
        /// The task.
        who: Who,
        /// The call.
        call: String,
        /// The pipe ends it waits on, in fd order.
        fds: Vec<PolledPipe>,
        /// Its own wake-up fds in the set.
        wake: Vec<WakeFd>,
        /// Each end it could wake on, with the holders of the other side.
        clauses: Vec<PollClause>,
        /// Ends it watches only for the other side to go (write ends for
        /// their last reader, read ends for their last writer), with who
        /// holds that side.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hangup: Vec<(i32, PollClause)>,
        /// What the next task of the cycle does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<Then>,
        /// How the step ends.
        end: End,
    },
    /// Another wait (none today: a wait that cannot block forever is never
    /// part of a hang), named by its call.
    Other {
        /// The task.
        who: Who,
        /// What it waits in, as the analysis named it.
        what: String,
        /// How the step ends.
        end: End,
    },
}

/// A hang in one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "summary", rename_all = "snake_case")]
pub enum Summary {
    /// A cycle of one task.
    WaitsForItself {
        /// The task.
        who: Who,
    },
    /// A cycle of several tasks.
    WaitForEachOther {
        /// The tasks, in wait order.
        tasks: Vec<Who>,
    },
    /// Tasks blocked on a stopped one.
    BlockedOnStopped {
        /// The blocked tasks.
        blocked: Vec<Who>,
        /// The stopped task.
        stopped: Who,
    },
    /// Opens of FIFOs that wait for each other.
    FifoOpens {
        /// The tasks in open.
        openers: Vec<Who>,
        /// The FIFOs, sorted.
        paths: Vec<String>,
    },
    /// Blocked tasks nobody free can release.
    Blocked {
        /// The tasks.
        tasks: Vec<Who>,
    },
    /// A child waits on a lock fork copied locked.
    ForkCopiedLock {
        /// The child.
        who: Who,
        /// Its multi-threaded parent.
        parent: ProcName,
    },
    /// A task waits for SIGCHLD after its last child exited.
    LostWakeup {
        /// The task.
        who: Who,
        /// The call.
        call: String,
        /// Its children, exited and not reaped.
        zombies: Vec<ProcName>,
    },
    /// A reader waits for EOF that idle holders keep off.
    EofHeldOpen {
        /// The reader.
        who: Who,
        /// The pipe.
        pipe: String,
        /// The holders of its write end.
        holders: Vec<ProcName>,
    },
}

/// What to change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fix", rename_all = "snake_case")]
pub enum Fix {
    /// Do not fork from a multi-threaded program without exec right after.
    NoForkFromThreads {
        /// The multi-threaded parent.
        parent: ProcName,
        /// The child.
        child: Pid,
    },
    /// A lost SIGCHLD: block it before fork and wait with sigsuspend (or
    /// wait in waitpid).
    BlockSigchldBeforeFork {
        /// The waiting task.
        who: Who,
        /// The call it waits in.
        call: String,
    },
    /// Continue the stopped process (and let its waiter use WUNTRACED).
    Continue {
        /// The stopped process.
        pid: Pid,
        /// The task waiting for it without WUNTRACED.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        waiter: Option<Who>,
    },
    /// Open the FIFOs in the same order everywhere.
    FifoOrder,
    /// No single fix: each step says what the task waits for.
    SeeSteps,
    /// The reader holds a write end of its own pipe: close it before reading.
    CloseOwnBeforeRead {
        /// The reader.
        who: Who,
        /// Its write-end fds.
        fds: Vec<i32>,
        /// The pipe.
        pipe: String,
    },
    /// A waiter for a child holds the write end the child reads.
    CloseBeforeWait {
        /// The process to close them in.
        holder: Pid,
        /// Its write-end fds.
        fds: Vec<i32>,
        /// The child it waits for (the reader).
        reader: Pid,
        /// The pipe.
        pipe: String,
    },
    /// A feeder waiting in a multiplexer holds the write end its child reads.
    CloseBeforePoll {
        /// The process to close them in.
        holder: Pid,
        /// Its write-end fds.
        fds: Vec<i32>,
        /// The reader.
        reader: Pid,
        /// The multiplexer it waits in.
        call: String,
        /// The pipe.
        pipe: String,
    },
    /// A holder of the write end should close it once it has written all.
    CloseWhenWritten {
        /// The process to close them in.
        holder: Pid,
        /// Its write-end fds.
        fds: Vec<i32>,
        /// The reader.
        reader: Pid,
        /// The pipe.
        pipe: String,
    },
    /// Read a child's output to EOF before waiting for it.
    ReadBeforeWait {
        /// The process to read in.
        reader: Pid,
        /// Its read end.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fd: Option<i32>,
        /// The child it waits for.
        child: Pid,
        /// The pipe's capacity.
        capacity: u64,
    },
    /// Read a filter's output while writing its input.
    ReadWhileWriting {
        /// The process feeding the filter.
        feeder: Pid,
        /// The filter.
        filter: Pid,
        /// The feeder's read end of the filter's output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fd: Option<i32>,
    },
    /// A multiplexer waits on a pipe it holds the write end of itself.
    CloseOwnBeforePoll {
        /// The task.
        who: Who,
        /// Its write-end fds.
        fds: Vec<i32>,
        /// The pipe.
        pipe: String,
        /// The multiplexer.
        call: String,
    },
    /// A multiplexer waits for EOF that another process's write end holds off.
    CloseWhenWrittenPolled {
        /// The process to close them in.
        holder: Pid,
        /// Its write-end fds.
        fds: Vec<i32>,
        /// The waiting process.
        waiter: Pid,
        /// The multiplexer.
        call: String,
        /// The pipe.
        pipe: String,
    },
    /// A multiplexer watches a write end it holds for its last reader to
    /// go, while that reader reads the pipe until EOF, which needs this
    /// write end closed: close it once written, and wait for the reader
    /// some other way (waitpid, a pidfd).
    CloseWatchedWriteEnd {
        /// The process to close them in (the poller).
        holder: Pid,
        /// Its write-end fds.
        fds: Vec<i32>,
        /// The reader waiting for EOF.
        reader: Pid,
        /// The multiplexer.
        call: String,
        /// The pipe.
        pipe: String,
    },
    /// A multiplexer watches a pipe end only for the other side to go
    /// (every reader of a write end, every writer of a read end): the
    /// holder of that side should close it once done with it.
    CloseForHangup {
        /// The process to close them in (may be the waiter itself).
        holder: Pid,
        /// Its fds on the other side.
        fds: Vec<i32>,
        /// The waiting process.
        waiter: Pid,
        /// The multiplexer.
        call: String,
        /// The pipe.
        pipe: String,
        /// The watched end is a write end (the holder's fds are read
        /// ends), not a read end.
        write: bool,
    },
    /// A holder of a file lock waits for the process that wants it:
    /// release it before waiting, or take it in the child only.
    UnlockBeforeWait {
        /// The process holding the lock.
        holder: Pid,
        /// Its fds holding it.
        fds: Vec<i32>,
        /// The lock's kind: `POSIX`, `FLOCK` or `OFDLCK`.
        class: String,
        /// The file (raw).
        path: String,
        /// The process blocked taking it.
        waiter: Pid,
        /// What the holder waits in (`wait4`, `read`, ...).
        call: String,
    },
    /// A cycle without a telling edge.
    BreakCycle,
    /// Do not let an idle holder inherit the write end.
    DoNotInherit {
        /// The first idle holder.
        holder: ProcName,
        /// The pipe.
        pipe: String,
        /// Its fd on the write end (-1 when unknown).
        fd: i32,
    },
    /// A daemon (a process in the background serving a socket) inherited
    /// the write end: it should point its stdio at /dev/null when it
    /// detaches, or be started with its output redirected.
    DaemonStdio {
        /// The daemon.
        holder: ProcName,
        /// The pipe.
        pipe: String,
        /// Its fd on the write end.
        fd: i32,
    },
    /// A reader reads one pipe to the end while the process that holds its
    /// write end is blocked writing a second, full pipe that only the
    /// reader holds the read end of and does not read (a Python parent
    /// reading `p.stdout` while the child fills stderr): read both at once.
    ReadBothPipes {
        /// The reader.
        reader: Pid,
        /// The fd it reads.
        fd: i32,
        /// Its read end of the full pipe, when it holds one fd of it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        other_fd: Option<i32>,
        /// The writer, blocked on the full pipe.
        writer: Pid,
        /// The full pipe.
        other: String,
        /// The reader's runtime, when its program says (Python: communicate()).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runtime: Option<Runtime>,
    },
    /// Openers of FIFOs all wait for the other side, and no process has the
    /// FIFOs open or is opening them the other way: start that side first.
    StartOtherSideFirst {
        /// The first opener.
        opener: Who,
        /// The FIFOs, sorted.
        paths: Vec<String>,
        /// They are opened for writing (the reader is missing), not reading.
        write: bool,
    },
    /// The holder of a write end got it by inheritance and has written
    /// nothing at all: it should close it, or not inherit it.
    InheritedWriteEnd {
        /// The process holding it.
        holder: ProcName,
        /// Its fds on the write end.
        fds: Vec<i32>,
        /// Its parent, which it got the fds from.
        parent: ProcName,
        /// It runs the same program as its parent (forked, no exec).
        forked: bool,
        /// The reader waiting for EOF.
        reader: Pid,
        /// The pipe.
        pipe: String,
        /// The holder's runtime, when its program says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runtime: Option<Runtime>,
    },
}

/// The language runtime a process runs, when its program's name says so:
/// it decides which remedy a fix names (`communicate()`, a start method).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Runtime {
    /// CPython (`python`, `python3`, `python3.12`).
    Python,
}

impl Runtime {
    /// The runtime a program name (basename of `argv[0]`) shows, if any.
    pub fn of_program(name: &str) -> Option<Runtime> {
        let rest = name.strip_prefix("python")?;
        rest.chars()
            .all(|c| c.is_ascii_digit() || c == '.')
            .then_some(Runtime::Python)
    }
}

/// The words of a hang as facts: its summary, its steps in wait order, and
/// its fix. Stored in the trace's `stall` events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HangFacts {
    /// The hang in one line.
    pub summary: Summary,
    /// One step per blocked task, in wait order.
    pub steps: Vec<Step>,
    /// What to change.
    pub fix: Fix,
}

/// The part an fd plays in a hang.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FdRole {
    /// Holds the read end the blocked writer needs read.
    Reader,
    /// Holds the write end the blocked reader needs closed or written.
    Writer,
    /// The end a task is blocked reading.
    BlockedReader,
    /// The end a task is blocked writing.
    BlockedWriter,
    /// Holds a file lock a blocked task wants.
    LockHolder,
    /// The fd a task is blocked taking a file lock through.
    LockWaiter,
}

impl FdRole {
    /// `reader`, `writer`, `blocked-reader`, `blocked-writer`.
    pub fn as_str(self) -> &'static str {
        match self {
            FdRole::Reader => "reader",
            FdRole::Writer => "writer",
            FdRole::BlockedReader => "blocked-reader",
            FdRole::BlockedWriter => "blocked-writer",
            FdRole::LockHolder => "lock-holder",
            FdRole::LockWaiter => "lock-waiter",
        }
    }
}

/// An fd named in a hang.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HangFd {
    /// The process.
    pub pid: Pid,
    /// The fd.
    pub fd: i32,
    /// The pipe it is an end of (for a file lock's fd: the file).
    pub pipe: String,
    /// Its part.
    pub role: FdRole,
}

/// One hang, as facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hang {
    /// Which kind.
    pub kind: HangKind,
    /// Its summary, steps and fix.
    pub facts: HangFacts,
    /// The tasks around the cycle, in wait order (empty when no cycle).
    pub cycle: Vec<Pid>,
    /// Every task involved (blocked ones first).
    pub tasks: Vec<Pid>,
    /// The fds involved.
    pub fds: Vec<HangFd>,
    /// The pipes involved.
    pub pipes: Vec<String>,
}

impl Hang {
    /// Identifies the hang, to report each one once: its kind, tasks and pipes.
    pub fn key(&self) -> String {
        let mut tasks = self.tasks.clone();
        tasks.sort_unstable();
        let mut pipes = self.pipes.clone();
        pipes.sort();
        format!("{} {tasks:?} {pipes:?}", self.kind.as_str())
    }
}

/// Reads a stall's `facts` leniently: facts a newer forkscope wrote in a
/// shape this one does not know are dropped (the English fields still tell
/// the hang), never an error that would make the whole trace unreadable.
pub(crate) fn lenient_facts<'de, D>(d: D) -> Result<Option<Box<HangFacts>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_go_through_json_and_back() {
        let who = Who {
            pid: 7,
            tid: 7,
            name: "a\nb".into(),
            comm: None,
        };
        let facts = HangFacts {
            summary: Summary::WaitsForItself { who: who.clone() },
            steps: vec![Step::Poll {
                who: who.clone(),
                call: "poll".into(),
                fds: vec![PolledPipe {
                    fd: 3,
                    pipe: "pipe:[1]".into(),
                    read: true,
                    write: false,
                }],
                clauses: vec![PollClause {
                    pipe: "pipe:[1]".into(),
                    write: false,
                    holders: vec![Holder {
                        proc: ProcName {
                            pid: 7,
                            name: Some("a\nb".into()),
                            comm: None,
                        },
                        fds: vec![4],
                        itself: true,
                    }],
                }],
                hangup: vec![(
                    5,
                    PollClause {
                        pipe: "pipe:[2]".into(),
                        write: true,
                        holders: Vec::new(),
                    },
                )],
                then: None,
                end: End::Cycle,
            }],
            fix: Fix::CloseOwnBeforePoll {
                who,
                fds: vec![4],
                pipe: "pipe:[1]".into(),
                call: "poll".into(),
            },
        };
        let json = serde_json::to_string(&facts).unwrap();
        assert_eq!(serde_json::from_str::<HangFacts>(&json).unwrap(), facts);
    }

    #[test]
    fn facts_of_an_unknown_shape_are_dropped_not_an_error() {
        #[derive(Deserialize)]
        struct S {
            #[serde(default, deserialize_with = "lenient_facts")]
            facts: Option<Box<HangFacts>>,
        }
        let s: S = serde_json::from_str(r#"{"facts":{"summary":{"summary":"new_kind"}}}"#).unwrap();
        assert!(s.facts.is_none());
        let s: S = serde_json::from_str("{}").unwrap();
        assert!(s.facts.is_none());
    }
}
