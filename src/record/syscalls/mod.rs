//! Decoders for the traced syscalls, one file per family. Each family has an
//! `entry` (at the seccomp stop: read the arguments, maybe record) and an
//! `exit` (at the syscall-exit stop, only when entry asked for it: read the
//! result, record). A syscall whose result does not matter (close) records at
//! entry and costs one stop instead of two.

pub mod close;
pub mod comm_file;
pub mod dup;
pub mod exec;
pub mod fifo;
pub mod ioctl;
pub mod newfd;
pub mod open;
pub mod pipe;
pub mod prctl;
pub mod process;
pub mod ptrace;
pub mod session;
pub mod sigchld;
pub mod signal;
pub mod socket;
pub mod wait;

use super::sysno::{self, Abi, Sys};
use super::tracer::Tracer;
use super::RecordError;
use crate::trace::RawStr;

/// A syscall as seen at its seccomp stop.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    /// Which syscall.
    pub sys: Sys,
    /// In which ABI it was made.
    pub abi: Abi,
    /// Its six raw arguments.
    pub args: [u64; 6],
}

impl Call {
    /// Argument `i` as a C int (fds, flags, pids).
    pub fn int(&self, i: usize) -> i32 {
        self.args[i] as u32 as i32
    }
}

/// What entry read from memory that exit will need.
#[derive(Debug)]
pub enum Saved {
    /// Nothing beyond the arguments.
    Nothing,
    /// A path argument (open, mkfifo).
    Path(RawStr),
    /// What an open's entry read (see `open::Args`).
    Open(open::Args),
    /// A pid read at entry (waitid(P_PIDFD): the process the pidfd names).
    Pid(i32),
    /// execve's path and argv.
    Exec {
        /// The path as passed.
        path: RawStr,
        /// The argv.
        argv: Vec<RawStr>,
        /// The argv pointer was NULL.
        argv_null: bool,
        /// What could not be read (`path`, `argv[N]`, `argv[N..]`).
        unreadable: Vec<String>,
    },
}

/// A syscall waiting for its exit stop.
#[derive(Debug)]
pub struct Pending {
    /// The call.
    pub call: Call,
    /// What entry read.
    pub saved: Saved,
}

/// What entry decided.
pub enum Entry {
    /// Recorded (or nothing to record): let the syscall run, no exit stop.
    Done,
    /// Stop again at exit.
    AwaitExit(Pending),
}

impl Entry {
    fn exit(call: Call, saved: Saved) -> Entry {
        Entry::AwaitExit(Pending { call, saved })
    }
}

/// The result at a syscall-exit stop: a value, or an errno.
pub type SysResult = Result<i64, i32>;

/// Dispatches a seccomp stop to its family.
pub fn entry(t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    use Sys::*;
    match call.sys {
        // Attached tracees stop at every syscall, with no seccomp filter to
        // pick fcntl and ioctl commands: the same choice is made here.
        Fcntl if !sysno::FCNTL_TRACED_CMDS.contains(&(call.args[1] as u32)) => Ok(Entry::Done),
        Ioctl if !sysno::ioctl_traced_cmds().any(|c| c == call.args[1] as u32) => Ok(Entry::Done),
        // Likewise the filter stops sigaction only for SIGCHLD.
        SigchldAction(_) if call.args[0] as u32 != libc::SIGCHLD as u32 => Ok(Entry::Done),
        Execve | Execveat => exec::entry(t, pid, call),
        Pipe | Pipe2 => Ok(Entry::exit(call, Saved::Nothing)),
        Dup | Dup2 | Dup3 | Fcntl => Ok(Entry::exit(call, Saved::Nothing)),
        Open | Openat | Openat2 | Creat => open::entry(t, pid, call),
        Socket | Socketpair | Accept | Accept4 => Ok(Entry::exit(call, Saved::Nothing)),
        Close | CloseRange => close::entry(t, pid, call),
        Mknod | Mknodat => fifo::entry(t, pid, call),
        Waitid => wait::entry(t, pid, call),
        Wait4 | Waitpid => Ok(Entry::exit(call, Saved::Nothing)),
        Kill | Tkill | Tgkill | RtSigqueueinfo | RtTgsigqueueinfo | PidfdSendSignal => {
            signal::entry(t, pid, call)
        }
        Setsid | Setpgid => Ok(Entry::exit(call, Saved::Nothing)),
        NewFd(_) | Ioctl | Unshare => Ok(Entry::exit(call, Saved::Nothing)),
        SigchldAction(_) => sigchld::entry(t, pid, call),
        Prctl => prctl::entry(t, pid, call),
        Fork | Vfork | Clone | Clone3 => Ok(Entry::Done),
        Ptrace => ptrace::entry(t, pid, call),
    }
}

/// Dispatches a syscall-exit stop to its family.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    use Sys::*;
    match p.call.sys {
        Execve | Execveat => exec::exit_failed(t, pid, p, res),
        Pipe | Pipe2 => pipe::exit(t, pid, p, res),
        Dup | Dup2 | Dup3 | Fcntl => dup::exit(t, pid, p, res),
        Open | Openat | Openat2 | Creat => open::exit(t, pid, p, res),
        Socket | Socketpair | Accept | Accept4 => socket::exit(t, pid, p, res),
        Mknod | Mknodat => fifo::exit(t, pid, p, res),
        Wait4 | Waitpid | Waitid => wait::exit(t, pid, p, res),
        Kill | Tkill | Tgkill | RtSigqueueinfo | RtTgsigqueueinfo | PidfdSendSignal => {
            signal::exit(t, pid, p, res)
        }
        Setsid | Setpgid => session::exit(t, pid, p, res),
        NewFd(_) => newfd::exit(t, pid, p, res),
        Ptrace => ptrace::exit(t, pid, p, res),
        CloseRange => close::exit(t, pid, p, res),
        Ioctl => ioctl::exit(t, pid, p, res),
        Unshare => close::unshare_exit(t, pid, p, res),
        SigchldAction(_) => sigchld::exit(t, pid, p, res),
        Prctl => prctl::exit(t, pid, p, res),
        Close | Fork | Vfork | Clone | Clone3 => Ok(()),
    }
}

/// The errno name for a failed result, as the trace spells it.
pub fn errno_of(res: SysResult) -> Option<String> {
    res.err().map(crate::trace::errno_name)
}
