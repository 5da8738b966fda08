//! Contradictions between the trace and the model: an event the kernel could
//! not have produced from the state the model holds (a close of an fd the
//! model does not have, a wait that reaps a process that never exited, ...).
//!
//! They never stop the replay: the model reports them, repairs what it can
//! (an unknown task is adopted, an unknown fd is taken on as an
//! [`Object::Unknown`](super::Object::Unknown) when the kernel used it) and
//! carries on. A trace that starts mid-way, or a recorder bug, shows up here.

use crate::trace::Pid;

/// One contradiction. Every variant carries the event's seq and pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Anomaly {
    /// An event from a task the model does not know; the model adopts it as a
    /// new process with an empty fd table (or ignores the event when there is
    /// nothing to adopt, e.g. an exit).
    #[error("seq {seq}: {kind} by pid {pid}, which the model does not know")]
    UnknownTask {
        /// Event seq.
        seq: u64,
        /// The task.
        pid: Pid,
        /// The event kind.
        kind: &'static str,
    },
    /// A call that succeeded used an fd the model does not have open (the
    /// model takes the fd on as an unknown object).
    #[error("seq {seq}: pid {pid}: {op} of fd {fd}, which the model does not have open")]
    UnknownFd {
        /// Event seq.
        seq: u64,
        /// The task.
        pid: Pid,
        /// The fd.
        fd: i32,
        /// The call (`dup`, `fcntl(F_SETFD)`).
        op: &'static str,
    },
    /// close() of an fd the model does not have open. close is recorded at
    /// entry, so this is usually the program's own harmless EBADF (bash
    /// closes some fds twice); it is a model error only if the fd was in
    /// fact open (the kernel's next snapshot will say).
    #[error("seq {seq}: pid {pid}: close of fd {fd}, which is not open in the model (EBADF, or an fd the model missed)")]
    CloseNotOpen {
        /// Event seq.
        seq: u64,
        /// The task.
        pid: Pid,
        /// The fd.
        fd: i32,
    },
    /// A call returned an fd the model thinks is already open (the model
    /// closes the old one and continues).
    #[error("seq {seq}: pid {pid}: {op} returned fd {fd}, which the model has open already")]
    FdAlreadyOpen {
        /// Event seq.
        seq: u64,
        /// The task.
        pid: Pid,
        /// The fd.
        fd: i32,
        /// The call.
        op: &'static str,
    },
    /// A fork made a task whose tid the model thinks is alive.
    #[error("seq {seq}: pid {pid} created {child}, which the model thinks is still alive")]
    TaskAlreadyAlive {
        /// Event seq.
        seq: u64,
        /// The creator.
        pid: Pid,
        /// The new task.
        child: Pid,
    },
    /// A wait reaped a pid the model never saw.
    #[error("seq {seq}: pid {pid} reaped {child}, which the model does not know")]
    UnknownChild {
        /// Event seq.
        seq: u64,
        /// The waiter.
        pid: Pid,
        /// The reaped pid.
        child: Pid,
    },
    /// A wait reaped a process whose exit the model had not seen (the model
    /// ends its tasks there).
    #[error("seq {seq}: pid {pid} reaped {child} before its exit was seen")]
    ReapedAlive {
        /// Event seq.
        seq: u64,
        /// The waiter.
        pid: Pid,
        /// The reaped pid.
        child: Pid,
    },
    /// A wait reaped a process already reaped.
    #[error("seq {seq}: pid {pid} reaped {child}, which was reaped already")]
    ReapedTwice {
        /// Event seq.
        seq: u64,
        /// The waiter.
        pid: Pid,
        /// The reaped pid.
        child: Pid,
    },
    /// A wait reaped a process that is neither its child nor an orphan.
    #[error("seq {seq}: pid {pid} reaped {child}, which is not its child")]
    NotAChild {
        /// Event seq.
        seq: u64,
        /// The waiter.
        pid: Pid,
        /// The reaped pid.
        child: Pid,
    },
}

impl Anomaly {
    /// The seq of the event it was found at.
    pub fn seq(&self) -> u64 {
        match *self {
            Anomaly::UnknownTask { seq, .. }
            | Anomaly::UnknownFd { seq, .. }
            | Anomaly::CloseNotOpen { seq, .. }
            | Anomaly::FdAlreadyOpen { seq, .. }
            | Anomaly::TaskAlreadyAlive { seq, .. }
            | Anomaly::UnknownChild { seq, .. }
            | Anomaly::ReapedAlive { seq, .. }
            | Anomaly::ReapedTwice { seq, .. }
            | Anomaly::NotAChild { seq, .. } => seq,
        }
    }

    /// The pid of the event it was found at.
    pub fn pid(&self) -> Pid {
        match *self {
            Anomaly::UnknownTask { pid, .. }
            | Anomaly::UnknownFd { pid, .. }
            | Anomaly::CloseNotOpen { pid, .. }
            | Anomaly::FdAlreadyOpen { pid, .. }
            | Anomaly::TaskAlreadyAlive { pid, .. }
            | Anomaly::UnknownChild { pid, .. }
            | Anomaly::ReapedAlive { pid, .. }
            | Anomaly::ReapedTwice { pid, .. }
            | Anomaly::NotAChild { pid, .. } => pid,
        }
    }
}
