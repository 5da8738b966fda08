//! What each finding found, as facts: the pids, fds, pipes, programs,
//! statuses, seqs and durations its sentences need, and no prose.
//! [`crate::words::finding`] words them in every language (the summary, the
//! explanation, the fix and each event line); `doctor --json` carries the
//! English words beside the facts for old readers.
//!
//! Program names, paths and pipe labels are data from the trace, kept raw
//! (words escape them with [`crate::words::text::visible`]).

use crate::model::PipeEnd;
use crate::trace::{Pid, Sig, Status};

/// A process and the program it runs (raw, as the trace has it; `?` when
/// unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    /// Its pid.
    pub pid: Pid,
    /// Its program.
    pub program: String,
    /// The program it ran when it forked, when that differs (it exec'd
    /// since): `bash` for a bash that forked and then became `cat`.
    pub forked_as: Option<String>,
    /// The name it gave itself (comm, as `ps` shows it), when the trace
    /// recorded one that differs from its program's.
    pub comm: Option<String>,
}

impl Proc {
    /// A process running `program`.
    pub fn new(pid: Pid, program: impl Into<String>) -> Proc {
        Proc {
            pid,
            program: program.into(),
            forked_as: None,
            comm: None,
        }
    }
}

/// What an fd refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FdObject {
    /// An end of a pipe (`pipe#1 write end`), or of a FIFO at `fifo`.
    Pipe {
        /// `pipe#N`.
        label: String,
        /// Which end; `None` when the model cannot tell.
        end: Option<PipeEnd>,
        /// The FIFO's path.
        fifo: Option<String>,
    },
    /// A file, terminal or anything else named by a path or target.
    Path(String),
    /// A socket.
    Socket {
        /// Its inode.
        inode: Option<u64>,
        /// `AF_UNIX`, ...
        domain: Option<String>,
    },
    /// Not known.
    Unknown,
}

impl FdObject {
    /// An end of pipe `label`.
    pub fn pipe(label: &str, end: PipeEnd) -> FdObject {
        FdObject::Pipe {
            label: label.to_string(),
            end: Some(end),
            fifo: None,
        }
    }
}

/// How a reader that waited for EOF ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReaderEnd {
    /// Killed by `signal` (`None`: not by a signal) at `seq`, `after_ns`
    /// after it was born.
    Killed {
        /// The signal.
        signal: Option<Sig>,
        /// The seq of its exit.
        seq: u64,
        /// Since it was born.
        after_ns: Option<u64>,
    },
    /// Still waiting when the trace ended, at `seq`.
    StillWaiting {
        /// The trace's last seq.
        seq: u64,
    },
}

/// How a holder let go of a write end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// It exited.
    Exited,
    /// It closed fd.
    Closed(i32),
    /// Some other way.
    Other,
}

/// How the last read end of a pipe closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseHow {
    /// The holder exited.
    Exit,
    /// close or close_range.
    Close,
    /// close-on-exec.
    Exec,
    /// dup2 onto it.
    Dup,
    /// Another way.
    Other,
}

/// One program that got a pipe end through exec (fd-leaked-into-exec).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecLeak {
    /// The process and the program it exec'd.
    pub proc: Proc,
    /// The fd.
    pub fd: i32,
    /// The seq of its first exec with the fd open.
    pub exec_seq: u64,
    /// How it let go of the fd: at `seq`, `after_ns` after the exec;
    /// `at_end` when the trace ended first.
    pub end: Option<LeakEnd>,
    /// It also reads the same pipe on this fd.
    pub reads_same: Option<i32>,
    /// The readers' EOF waited for it.
    pub delayed: Option<DelayedEof>,
}

/// When a leaked fd went away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeakEnd {
    /// The seq.
    pub seq: u64,
    /// Since the exec.
    pub after_ns: u64,
    /// The trace ended (rather than the process exiting).
    pub at_end: bool,
}

/// How a leaked write end delayed its readers' EOF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelayedEof {
    /// Every other write end was closed at this seq, this long before the
    /// leaked one went.
    pub others_done: Option<(u64, u64)>,
}

/// What showed that a parent was waiting while its child was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopEvidence {
    /// A wait covering the child was interrupted at this seq.
    Interrupted(u64),
    /// Its wait returned at this seq and it did nothing else before.
    Returned(u64),
    /// It did nothing else.
    Idle,
}

/// How a stopped child's wait ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopEnd {
    /// `sender` sent SIGCONT at `sent`; the child ran on at `cont`.
    ContinuedBy {
        /// Who sent SIGCONT.
        sender: Proc,
        /// The seq of the kill.
        sent: u64,
        /// The seq of the continue.
        cont: u64,
    },
    /// The child was continued at this seq.
    Continued(u64),
    /// The trace ended with the child stopped.
    StillStopped,
}

/// The last reader of a pipe, who closed it before a writer died of SIGPIPE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closer {
    /// The reader.
    pub proc: Proc,
    /// Its read fd.
    pub fd: i32,
    /// The event that closed it.
    pub seq: u64,
    /// What that event was.
    pub event: EventFact,
}

/// One finding's facts: one variant per kind of finding (a code may have
/// several, one per situation it tells apart).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindingFact {
    /// leaked-write-end: a reader held its own write end.
    OwnWriteEnd {
        /// The reader.
        reader: Proc,
        /// `pipe#N`.
        pipe: String,
        /// Its read fd and its own write fd.
        rfd: i32,
        /// Its own write fd.
        wfd: i32,
        /// It got both ends when forked at this seq.
        forked_at: Option<u64>,
        /// Every other write end was closed, the last at this seq.
        others_closed_at: Option<u64>,
        /// How its wait ended.
        outcome: ReaderEnd,
    },
    /// leaked-write-end: a write end held elsewhere, by a process that
    /// was itself waiting for the reader.
    HeldElsewhere {
        /// Holds the write end.
        holder: Proc,
        /// Waits for EOF.
        reader: Proc,
        /// `pipe#N`.
        pipe: String,
        /// The reader's fd.
        rfd: i32,
        /// The holder's fd.
        wfd: i32,
        /// The holder's interrupted wait.
        wait_seq: u64,
        /// How the reader's wait ended.
        outcome: ReaderEnd,
    },
    /// leaked-write-end: a holder waited for the reader while holding the
    /// write end, until it let go.
    WaitedHoldingWriteEnd {
        /// Holds the write end.
        holder: Proc,
        /// Waits for EOF.
        reader: Proc,
        /// `pipe#N`.
        pipe: String,
        /// The reader's fd.
        rfd: i32,
        /// The holder's fd.
        wfd: i32,
        /// The holder's interrupted wait.
        wait_seq: u64,
        /// How long it had been blocked by then.
        blocked_ns: Option<u64>,
        /// How it let go.
        release: Release,
        /// When.
        release_seq: u64,
    },
    /// fd-leaked-into-exec.
    LeakedIntoExec {
        /// `pipe#N`.
        pipe: String,
        /// Which end.
        end: PipeEnd,
        /// The programs that got it, in exec order.
        leaks: Vec<ExecLeak>,
        /// Some reader's EOF waited for a leak, or a leak reads its own pipe.
        hurt: bool,
    },
    /// fd-leaked-into-exec: a stdio write end inherited through fork as
    /// it was (a background job's stdout) kept the pipe open for writing
    /// after every other writer was done, and its readers waited for it.
    StdioHeldOpen {
        /// The program and its fd.
        leak: ExecLeak,
        /// `pipe#N`.
        pipe: String,
        /// How long the readers waited for it after every other write end
        /// was closed.
        late_ns: u64,
    },
    /// long-zombie.
    LongZombie {
        /// The zombie.
        child: Proc,
        /// Who reaped it.
        parent: Proc,
        /// When it exited, and how.
        exit_seq: u64,
        /// Its status.
        status: Option<Status>,
        /// When it was reaped.
        reap_seq: u64,
        /// How long it was a zombie.
        zombie_ns: u64,
        /// SIGCHLD reached the parent at this seq, this long after the exit.
        sigchld: Option<(u64, u64)>,
    },
    /// orphan.
    Orphan {
        /// The orphan.
        child: Proc,
        /// Its parent, which exited first.
        parent: Proc,
        /// When the parent exited.
        at_seq: u64,
        /// When the orphan exited.
        exit_seq: Option<u64>,
        /// A traced process that reaped it, and when.
        adopter: Option<(Proc, u64)>,
    },
    /// killed-by-sigpipe: writing to a pipe that lost its readers.
    SigpipeBrokenPipe {
        /// The writer.
        writer: Proc,
        /// `pipe#N`.
        pipe: String,
        /// Its write fd.
        fd: i32,
        /// Who closed the last read end.
        closer: Option<Closer>,
        /// The closer's exit is listed after the death it caused.
        late: bool,
        /// The death's seq.
        death_seq: u64,
    },
    /// killed-by-sigpipe: sent with kill().
    SigpipeSent {
        /// The dead.
        writer: Proc,
        /// Who sent it.
        sender: Pid,
        /// When.
        sent_seq: u64,
    },
    /// killed-by-sigpipe: no traced pipe lost its reader.
    SigpipeElsewhere {
        /// The dead.
        writer: Proc,
        /// A write end of a pipe from outside the trace it held (fd, `pipe#N`).
        outside: Option<(i32, String)>,
    },
    /// never-reaped.
    NeverReaped {
        /// The zombie.
        child: Proc,
        /// Its parent (the process that forked it).
        parent: Proc,
        /// When it exited.
        exit_seq: u64,
        /// How.
        status: Option<Status>,
        /// The parent exited at this seq (`None`: it still ran at the end).
        parent_exit_seq: Option<u64>,
        /// How long it was a zombie.
        zombie_ns: u64,
    },
    /// wait-on-stopped-child.
    WaitOnStoppedChild {
        /// The waiting parent.
        parent: Proc,
        /// The stopped child.
        child: Proc,
        /// The stop signal.
        signal: Sig,
        /// When it stopped.
        stop_seq: u64,
        /// How long the parent waited.
        idle_ns: u64,
        /// What shows the parent waited.
        evidence: StopEvidence,
        /// How it ended.
        end: StopEnd,
    },
    /// hang: a recorded Stall event (its texts are as the recorder wrote
    /// them, in English).
    Hang {
        /// `deadlock`, `eof-held-open`, `stuck`.
        hang: String,
        /// The recorded summary.
        summary: String,
        /// The recorded steps.
        steps: Vec<String>,
        /// The recorded fix.
        fix: String,
        /// How long it stalled.
        stalled_ns: Option<u64>,
        /// forkscope killed the tree.
        killed: bool,
        /// The blocked processes.
        tasks: Vec<Proc>,
        /// The hang as facts (traces recorded since they carry them), so
        /// it can be worded in any language; `None` in older traces.
        facts: Option<Box<crate::trace::hang::HangFacts>>,
    },
}

/// What an event named in a finding did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventFact {
    /// `child` got both ends of a pipe through fork.
    ForkGetsBothEnds {
        /// The child.
        child: Pid,
    },
    /// `pid` closed `fd`.
    ClosesFd {
        /// The process.
        pid: Pid,
        /// The fd.
        fd: i32,
        /// What it was.
        object: FdObject,
    },
    /// `waiter`'s wait for `child` was interrupted, after being blocked
    /// `after_ns`.
    WaitInterrupted {
        /// The waiter.
        waiter: Pid,
        /// The child.
        child: Pid,
        /// How long it had blocked.
        after_ns: Option<u64>,
    },
    /// A reader was killed while reading.
    KilledWhileReading {
        /// The reader.
        pid: Pid,
        /// The signal (`None`: not a signal).
        signal: Option<Sig>,
    },
    /// The trace ended with `pid` still waiting for EOF.
    TraceEndsWaitingForEof {
        /// The reader.
        pid: Pid,
    },
    /// `holder` let go of the last write end; `reader` sees EOF.
    LastWriteEndGoes {
        /// The holder.
        holder: Pid,
        /// How.
        release: Release,
        /// The reader.
        reader: Pid,
    },
    /// `pid` exec'd `program` with `fd` (an end of `pipe`) open.
    ExecsWithFd {
        /// The process.
        pid: Pid,
        /// Its new program.
        program: String,
        /// The fd.
        fd: i32,
        /// `pipe#N`.
        pipe: String,
        /// Which end.
        end: PipeEnd,
    },
    /// `by` made `pipe`.
    MakesPipe {
        /// The maker.
        by: Pid,
        /// `pipe#N`.
        pipe: String,
    },
    /// Only leaked copies of `pipe`'s write end are left.
    OnlyLeakedCopiesLeft {
        /// `pipe#N`.
        pipe: String,
    },
    /// The last reader of `pipe` is gone.
    LastReaderGone {
        /// `pipe#N`.
        pipe: String,
    },
    /// `proc` exited, closing `fd`.
    ExitsClosingFd {
        /// The process.
        proc: Proc,
        /// The fd.
        fd: i32,
    },
    /// The trace ended with `fd` still open in `pid`.
    TraceEndsFdOpen {
        /// The process.
        pid: Pid,
        /// The fd.
        fd: i32,
    },
    /// SIGCHLD for `child` reached `parent`.
    SigchldReaches {
        /// The child.
        child: Pid,
        /// The parent.
        parent: Pid,
    },
    /// `pid` exited with `status`.
    Exits {
        /// The process.
        pid: Pid,
        /// How.
        status: Option<Status>,
    },
    /// `by` reaped `child`.
    Reaps {
        /// The reaper.
        by: Pid,
        /// The child.
        child: Pid,
    },
    /// `parent` exited while `child` ran on.
    ExitsWhileChildRuns {
        /// The parent.
        parent: Pid,
        /// The child.
        child: Pid,
    },
    /// Orphan `pid` exited.
    OrphanExits {
        /// The orphan.
        pid: Pid,
    },
    /// `by` reaped orphan `pid`.
    ReapsOrphan {
        /// The reaper.
        by: Pid,
        /// The orphan.
        pid: Pid,
    },
    /// The last read end of `pipe` closed: `proc`'s `fd`.
    LastReadEndCloses {
        /// The holder.
        proc: Proc,
        /// The fd.
        fd: i32,
        /// `pipe#N`.
        pipe: String,
        /// How.
        how: CloseHow,
    },
    /// `proc` was killed by SIGPIPE.
    KilledBySigpipe {
        /// The dead.
        proc: Proc,
    },
    /// `from` sent SIGPIPE to `to` with kill().
    SendsSigpipe {
        /// The sender.
        from: Pid,
        /// The target.
        to: i64,
    },
    /// `parent` exited without waiting for `child`.
    ExitsWithoutWaiting {
        /// The parent.
        parent: Pid,
        /// The child.
        child: Pid,
    },
    /// The trace ended with `child` still a zombie.
    TraceEndsWithZombie {
        /// The zombie.
        child: Pid,
    },
    /// `pid` stopped.
    Stops {
        /// The process.
        pid: Pid,
        /// The signal.
        signal: Sig,
    },
    /// `pid` continued.
    Continues {
        /// The process.
        pid: Pid,
    },
    /// `pid`'s wait returned.
    WaitReturns {
        /// The waiter.
        pid: Pid,
    },
    /// `from` sent SIGCONT to `to`.
    SendsSigcont {
        /// The sender.
        from: Pid,
        /// The target.
        to: i64,
    },
    /// The recorder found a hang live (its recorded summary).
    HangFound {
        /// The recorded summary, in English.
        summary: String,
        /// The hang as facts, when the trace has them.
        facts: Option<Box<crate::trace::hang::HangFacts>>,
    },
}
