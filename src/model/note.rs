//! What one event changed that is worth telling: implicit closes, a pipe's
//! last write end going away, a process turning zombie, an orphan.
//!
//! `Model::apply` returns these so analyses can react to the moment they
//! happen without diffing the model.

use super::anomaly::Anomaly;
use super::open_file::OpenFileId;
use super::PipeId;
use crate::trace::{Pid, Status};
use std::fmt;

/// Why an fd closed without a close call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseCause {
    /// dup2/dup3 onto an open fd closes it first.
    Dup2,
    /// FD_CLOEXEC at a successful exec.
    Exec,
    /// The kernel handed out an fd the model had open (an anomaly).
    Reused,
}

/// A notable change made by one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// `fd` of `pid` was closed implicitly.
    ImplicitClose {
        /// The process (tgid) that lost it.
        pid: Pid,
        /// The fd.
        fd: i32,
        /// The open file it referred to.
        file: OpenFileId,
        /// Why.
        cause: CloseCause,
    },
    /// The last fd that could write to the pipe closed (`fd` of `pid`): its
    /// readers now see EOF once the buffer drains.
    PipeEof {
        /// The pipe.
        pipe: PipeId,
        /// Who closed it (the acting task's process).
        pid: Pid,
        /// The fd that went.
        fd: i32,
        /// Open read-end descriptions left.
        readers: u32,
    },
    /// The last fd that could read from the pipe closed: writes now fail with
    /// EPIPE / SIGPIPE.
    PipeBroken {
        /// The pipe.
        pipe: PipeId,
        /// Who closed it.
        pid: Pid,
        /// The fd that went.
        fd: i32,
        /// Open write-end descriptions left.
        writers: u32,
    },
    /// No traced fd refers to the pipe any more; the model forgets it.
    PipeReleased {
        /// The pipe.
        pipe: PipeId,
    },
    /// The last task of a process exited: it is a zombie until reaped.
    Zombie {
        /// The process.
        pid: Pid,
        /// Its exit status (`None`: ended by the model after an anomaly).
        status: Option<Status>,
    },
    /// A wait reaped a zombie.
    Reaped {
        /// The reaped process.
        pid: Pid,
        /// The process that waited.
        by: Pid,
    },
    /// A process's parent exited first; it is adopted outside the trace.
    Orphaned {
        /// The orphan.
        pid: Pid,
        /// The parent that exited.
        parent: Pid,
    },
    /// A traced process reaped an orphan that was not its child: it had adopted it.
    Adopted {
        /// The orphan.
        pid: Pid,
        /// The adopter.
        by: Pid,
    },
    /// exec, unshare(CLONE_FILES) or close_range(CLOSE_RANGE_UNSHARE) gave a
    /// process that shared its fd table (CLONE_FILES) its own copy.
    FdTableUnshared {
        /// The process.
        pid: Pid,
    },
    /// exec ended every other thread of the process.
    ThreadsEnded {
        /// The process.
        pid: Pid,
        /// How many tasks vanished.
        count: usize,
    },
    /// The kernel's fd table at an exec of a process that used io_uring
    /// showed an fd that appeared (or vanished) without a syscall the trace
    /// could have: io_uring's IORING_OP_OPENAT / IORING_OP_CLOSE. The model
    /// takes the kernel's word.
    FdUnseen {
        /// The process.
        pid: Pid,
        /// The fd.
        fd: i32,
        /// It appeared (else it vanished).
        appeared: bool,
    },
    /// A process forkscope attached to (`record -p`) reaped a child the
    /// trace never saw: one that had already exited, or was exiting, when
    /// forkscope attached (a zombie cannot be seized).
    ReapedFromBeforeAttach {
        /// The waiter.
        pid: Pid,
        /// The reaped child.
        child: Pid,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::ImplicitClose {
                pid,
                fd,
                file,
                cause,
            } => {
                let why = match cause {
                    CloseCause::Dup2 => "by dup2",
                    CloseCause::Exec => "at exec (FD_CLOEXEC)",
                    CloseCause::Reused => "because the kernel reused it",
                };
                write!(f, "fd {fd} of {pid} (open file {file}) was closed implicitly {why}")
            }
            Note::PipeEof {
                pipe,
                pid,
                fd,
                readers,
            } => write!(
                f,
                "pipe#{pipe}: last write end closed ({pid} fd {fd}), {readers} reader(s) now see EOF"
            ),
            Note::PipeBroken {
                pipe,
                pid,
                fd,
                writers,
            } => write!(
                f,
                "pipe#{pipe}: last read end closed ({pid} fd {fd}), {writers} writer(s) now get EPIPE/SIGPIPE"
            ),
            Note::PipeReleased { pipe } => write!(f, "pipe#{pipe}: no fd refers to it any more"),
            Note::Zombie { pid, status } => match status {
                Some(st) => write!(
                    f,
                    "process {pid} exited ({}) and is a zombie until reaped",
                    describe_status(st)
                ),
                None => write!(f, "process {pid} ended and is a zombie until reaped"),
            },
            Note::Reaped { pid, by } => write!(f, "process {pid} was reaped by {by}"),
            Note::Orphaned { pid, parent } => {
                write!(f, "process {pid} was orphaned: its parent {parent} exited")
            }
            Note::Adopted { pid, by } => write!(f, "orphan {pid} was adopted and reaped by {by}"),
            Note::FdTableUnshared { pid } => {
                write!(f, "process {pid} got its own copy of a shared fd table (exec, unshare(CLONE_FILES) or CLOSE_RANGE_UNSHARE)")
            }
            Note::ThreadsEnded { pid, count } => {
                write!(f, "exec in process {pid} ended {count} other thread(s)")
            }
            Note::FdUnseen { pid, fd, appeared } => write!(
                f,
                "fd {fd} of {pid} {} unseen (io_uring)",
                if *appeared { "appeared" } else { "vanished" }
            ),
            Note::ReapedFromBeforeAttach { pid, child } => write!(
                f,
                "{pid} reaped {child}, a child that had exited before forkscope attached"
            ),
        }
    }
}

fn describe_status(st: &Status) -> String {
    match *st {
        Status::Exited { exited } => format!("exit {exited}"),
        Status::Signaled { signaled, core } => {
            format!("{signaled}{}", if core { ", core dumped" } else { "" })
        }
        Status::Stopped { stopped } => format!("stopped by {stopped}"),
        Status::Continued { .. } => "continued".into(),
    }
}

/// What applying one event did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Notable changes, in the order they happened.
    pub notes: Vec<Note>,
    /// Contradictions found (also kept by the model, up to a limit).
    pub anomalies: Vec<Anomaly>,
}

impl Applied {
    /// Nothing notable happened.
    pub fn is_quiet(&self) -> bool {
        self.notes.is_empty() && self.anomalies.is_empty()
    }
}
