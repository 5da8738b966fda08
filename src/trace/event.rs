//! The trace's data: the header line and one event per line.
//!
//! These types are the file format (see `docs/trace-format.md`). Within
//! format version 1 fields may be added, never removed or changed in meaning.
//! Nothing here knows how it is recorded or shown.

use super::bytes::RawStr;
use super::signal::Sig;
use serde::{Deserialize, Serialize};

/// Value of the header's `format` field.
pub const FORMAT_NAME: &str = "forkscope-trace";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// A process or thread id as the kernel numbers it (a tid for threads).
pub type Pid = i32;

/// Line 1 of every trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always `"forkscope-trace"`.
    pub format: String,
    /// Format version; readers refuse versions they do not know.
    pub version: u32,
    /// The command line that was traced.
    pub argv: Vec<RawStr>,
    /// Wall-clock start, RFC 3339 UTC.
    pub start: String,
    /// Wall-clock start in nanoseconds since the Unix epoch; `ts_ns` counts from here.
    pub start_unix_ns: u64,
    /// The pid of the first traced process.
    pub root_pid: Pid,
    /// Working directory the command started in.
    pub cwd: RawStr,
    /// `forkscope <version>` that wrote the file.
    pub tracer: String,
    /// `uname -sr` and machine of the host.
    pub kernel: String,
    /// Hardware the trace was taken on (`x86_64`, `aarch64`).
    pub arch: String,
    /// The environment, only when the user asked for it (`--env`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<RawStr>>,
}

impl Header {
    /// Is this a header this build can read?
    pub fn check(&self) -> Result<(), String> {
        if self.format != FORMAT_NAME {
            return Err(format!(
                "not a forkscope trace (format is {:?}, expected {:?})",
                self.format, FORMAT_NAME
            ));
        }
        if self.version != FORMAT_VERSION {
            return Err(format!(
                "trace format version {} is not supported (this forkscope reads version {})",
                self.version, FORMAT_VERSION
            ));
        }
        Ok(())
    }
}

/// One line after the header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// 0, 1, 2, ... strictly increasing, no gaps.
    pub seq: u64,
    /// Nanoseconds since the header's start.
    pub ts_ns: u64,
    /// The task that did it.
    pub pid: Pid,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// One entry of an fd table as /proc shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FdEntry {
    /// The descriptor number.
    pub fd: i32,
    /// What `/proc/PID/fd/N` points to: a path, `pipe:[INODE]`, `socket:[INODE]`, `anon_inode:[...]`.
    pub target: RawStr,
    /// FD_CLOEXEC is set.
    #[serde(default, skip_serializing_if = "is_false")]
    pub cloexec: bool,
    /// The open file's status flags (`O_WRONLY|O_APPEND`), when read from
    /// fdinfo (in `spawn` snapshots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<String>,
    /// The lowest fd in the same snapshot that refers to the same open file
    /// description (kcmp KCMP_FILE), when there is one (in `spawn` snapshots):
    /// e.g. fds 0, 1 and 2 of a terminal session are usually one description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<i32>,
    /// With `same_as`: the process whose fd `same_as` is meant, when that is
    /// another process spawned earlier in the trace (attached recordings:
    /// descriptions shared across processes since a fork before forkscope
    /// attached, e.g. a shell's terminal in its children).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as_pid: Option<Pid>,
}

impl FdEntry {
    /// The pipe inode if this fd is a pipe or FIFO end known by inode (`pipe:[N]`).
    pub fn pipe_inode(&self) -> Option<u64> {
        parse_bracket_inode(self.target.as_bytes(), b"pipe:[")
    }
}

/// Parses `PREFIX<digits>]`, e.g. `pipe:[1234]`.
pub fn parse_bracket_inode(target: &[u8], prefix: &[u8]) -> Option<u64> {
    let rest = target.strip_prefix(prefix)?.strip_suffix(b"]")?;
    std::str::from_utf8(rest).ok()?.parse().ok()
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An fd taking part in a hang.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StallFd {
    /// The process.
    pub pid: Pid,
    /// The fd.
    pub fd: i32,
    /// The pipe it is an end of (`pipe:[INODE]` or a FIFO's path).
    pub pipe: String,
    /// Its part: e.g. `blocked-reader`, `blocked-writer`, `holder`.
    pub role: String,
}

/// How a task came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForkFlavor {
    /// A new process with a copy of everything (fork, or clone without sharing).
    Fork,
    /// The parent is suspended until the child execs or exits (vfork, CLONE_VFORK).
    Vfork,
    /// A new process that shares some of its parent's state (clone with CLONE_FILES, CLONE_VM, ...).
    Clone,
    /// A new thread in the same process (CLONE_THREAD).
    Thread,
}

/// How a task ended, or what a wait reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Status {
    /// `{"exited": N}`: exit(N).
    Exited {
        /// The exit code.
        exited: i32,
    },
    /// `{"signaled": "SIGPIPE", "core": false}`: killed by a signal.
    Signaled {
        /// The signal.
        signaled: Sig,
        /// A core dump was written.
        core: bool,
    },
    /// `{"stopped": "SIGSTOP"}`: a wait with WUNTRACED saw a stop.
    Stopped {
        /// The signal that stopped it.
        stopped: Sig,
    },
    /// `{"continued": true}`: a wait with WCONTINUED saw a continue.
    Continued {
        /// Always true.
        continued: bool,
    },
}

impl Status {
    /// Decodes a wait(2) status word.
    pub fn from_wait_status(w: i32) -> Status {
        if libc::WIFEXITED(w) {
            Status::Exited {
                exited: libc::WEXITSTATUS(w),
            }
        } else if libc::WIFSIGNALED(w) {
            Status::Signaled {
                signaled: Sig(libc::WTERMSIG(w)),
                core: libc::WCOREDUMP(w),
            }
        } else if libc::WIFSTOPPED(w) {
            Status::Stopped {
                stopped: Sig(libc::WSTOPSIG(w)),
            }
        } else {
            Status::Continued { continued: true }
        }
    }

    /// The exit code a shell reports for this status: N, or 128+signal.
    pub fn shell_code(&self) -> i32 {
        match *self {
            Status::Exited { exited } => exited,
            Status::Signaled { signaled, .. } => 128 + signaled.0,
            Status::Stopped { stopped } => 128 + stopped.0,
            Status::Continued { .. } => 0,
        }
    }

    /// Did the task end (as opposed to stop or continue)?
    pub fn is_final(&self) -> bool {
        matches!(self, Status::Exited { .. } | Status::Signaled { .. })
    }
}

/// ELF facts about an exec'd program, from its headers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfFacts {
    /// 32 or 64.
    pub bits: u8,
    /// Machine, e.g. `x86_64`, `i386`, `aarch64`.
    pub machine: String,
    /// `dynamic` (has an interpreter), `static`, or `static-pie`.
    pub linkage: String,
    /// The program interpreter (dynamic loader), when dynamic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interp: Option<RawStr>,
}

/// How a dup happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DupVia {
    /// dup(2): lowest free fd.
    Dup,
    /// dup2(2): onto `new_fd`, closing it first if open.
    Dup2,
    /// dup3(2): like dup2, with O_CLOEXEC possible.
    Dup3,
    /// fcntl(F_DUPFD / F_DUPFD_CLOEXEC): lowest free fd at or above an argument.
    Fcntl,
}

/// Which wait-family call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitVia {
    /// wait4 (also wait, waitpid, wait3 in glibc).
    Wait4,
    /// waitid.
    Waitid,
}

/// Which kill-family call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KillVia {
    /// kill(2): a process, a process group (target <= 0) or everyone (-1).
    Kill,
    /// tkill(2): one thread.
    Tkill,
    /// tgkill(2): one thread of a thread group.
    Tgkill,
    /// rt_sigqueueinfo(2) (sigqueue).
    RtSigqueueinfo,
    /// rt_tgsigqueueinfo(2).
    RtTgsigqueueinfo,
    /// pidfd_send_signal(2).
    PidfdSendSignal,
}

/// Defines [`EventKind`] once and derives from the same definition an
/// externally tagged twin (`{"close": {"fd": 3}}`) that serde parses without
/// buffering. The file format is the internally tagged form (`"kind":
/// "close"` beside the fields), which serde can only parse by buffering the
/// whole object first; the reader turns each line's tail into the twin's
/// shape and parses that instead (see `trace::reader::parse_event`), which
/// is about twice as fast. The twin exists only for that and is never
/// written.
macro_rules! event_kinds {
    (
        $(#[$enum_meta:meta])*
        pub enum EventKind {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident {
                    $(
                        $(#[$field_meta:meta])*
                        $field:ident : $ty:ty
                    ),* $(,)?
                }
            ),* $(,)?
        }
    ) => {
        $(#[$enum_meta])*
        pub enum EventKind {
            $(
                $(#[$variant_meta])*
                $variant {
                    $(
                        $(#[$field_meta])*
                        $field: $ty,
                    )*
                },
            )*
        }

        /// The externally tagged twin of [`EventKind`], for fast parsing.
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub(crate) enum EventKindTwin {
            $(
                $variant {
                    $(
                        $(#[$field_meta])*
                        $field: $ty,
                    )*
                },
            )*
        }

        impl From<EventKindTwin> for EventKind {
            fn from(t: EventKindTwin) -> EventKind {
                match t {
                    $(
                        EventKindTwin::$variant { $($field),* } => EventKind::$variant { $($field),* },
                    )*
                }
            }
        }
    };
}

event_kinds! {
/// What happened. `kind` in the JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A process enters the trace. Started by forkscope: before it runs the
    /// command, with its argv and the fds it inherits (read from /proc; only
    /// fds that survive exec). Attached (`record -p`): already running, with
    /// its command line and whole fd table at the moment of attaching.
    Spawn {
        /// The command line it is about to run (or runs, attached).
        argv: Vec<RawStr>,
        /// The fd table it starts with.
        fds: Vec<FdEntry>,
        /// It was already running and forkscope attached to it.
        #[serde(default, skip_serializing_if = "is_false")]
        attached: bool,
        /// Attached: its parent process, when that is traced too (spawned
        /// earlier in the trace).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<Pid>,
        /// Attached: its other threads (tids), which share its fd table.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        threads: Vec<Pid>,
    },
    /// `pid` created `child`.
    Fork {
        /// The new task.
        child: Pid,
        /// What kind of creation.
        flavor: ForkFlavor,
        /// The child shares the parent's fd table (CLONE_FILES; always for threads).
        shares_fds: bool,
        /// The syscall: `fork`, `vfork`, `clone` or `clone3`.
        syscall: String,
        /// Raw clone flags (0 for fork/vfork).
        #[serde(default)]
        flags: u64,
        /// The child's own fd table as the kernel copied it, read from /proc
        /// while the child was still stopped before its first instruction.
        /// Recorded only when the parent's fd table was shared at the fork
        /// (by threads or CLONE_FILES processes): another task may have
        /// changed the table around the copy, so the parent's events do not
        /// tell what the child got. An fd with `same_as` and `same_as_pid`
        /// (the forking task) is the same open file description as the
        /// parent's fd `same_as` (kcmp KCMP_FILE, checked when the snapshot
        /// was taken); with `same_as` alone, as the child's own lower fd.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fds: Option<Vec<FdEntry>>,
    },
    /// execve/execveat, successful or not.
    Exec {
        /// The path as passed to execve (relative to cwd or dirfd).
        path: RawStr,
        /// The new argv.
        argv: Vec<RawStr>,
        /// Did the new program start?
        ok: bool,
        /// Why not, when `ok` is false (`"ENOENT"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
        /// On success, the kernel's fd table right after the exec
        /// (close-on-exec fds are already gone), for `replay --verify`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fds: Option<Vec<FdEntry>>,
        /// On success, facts about the binary that now runs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        elf: Option<ElfFacts>,
        /// On success, the `#!` line when `path` is a script.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        script: Option<RawStr>,
        /// When a non-leader thread exec'd, its old tid; it now has `pid`,
        /// the thread-group leader's id, and every other thread is gone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        former_tid: Option<Pid>,
        /// The argv pointer was NULL (`argv` is then empty; an empty argv
        /// array `{NULL}` leaves this false).
        #[serde(default, skip_serializing_if = "is_false")]
        argv_null: bool,
        /// What forkscope could not read (the tracee's memory or /proc was
        /// closed to it, e.g. a non-dumpable program): `path`,
        /// `argv[N]` (that element is an empty placeholder), `argv[N..]`
        /// (the pointer array could not be read from element N on: `argv`
        /// holds the elements before), `fds` (the kernel's fd table).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unreadable: Vec<String>,
    },
    /// pipe/pipe2 made a pipe.
    Pipe {
        /// The read end.
        read_fd: i32,
        /// The write end.
        write_fd: i32,
        /// The pipe's inode: the same pipe has the same id everywhere in the trace.
        pipe_id: u64,
        /// Both ends were made O_CLOEXEC.
        #[serde(default, skip_serializing_if = "is_false")]
        cloexec: bool,
        /// Both ends were made O_NONBLOCK.
        #[serde(default, skip_serializing_if = "is_false")]
        nonblock: bool,
    },
    /// A pipe/pipe2 that failed.
    PipeFailed {
        /// Why (`"EMFILE"`).
        errno: String,
    },
    /// dup/dup2/dup3/fcntl(F_DUPFD*): `new_fd` now refers to what `old_fd` does.
    Dup {
        /// The source fd.
        old_fd: i32,
        /// The resulting fd; for dup2/dup3 any open file it held was closed first.
        new_fd: i32,
        /// Which call.
        via: DupVia,
        /// `new_fd` has FD_CLOEXEC.
        #[serde(default, skip_serializing_if = "is_false")]
        cloexec: bool,
        /// Set when the call failed (then nothing changed); `new_fd` is the fd asked for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// open/openat/openat2/creat.
    Open {
        /// The new fd, or -1 when it failed.
        fd: i32,
        /// The path as passed (relative to cwd, or to `dirfd`).
        path: RawStr,
        /// Open flags, symbolic (`O_WRONLY|O_CREAT|O_CLOEXEC`).
        flags: String,
        /// The dirfd of openat/openat2 when it is not AT_FDCWD.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dirfd: Option<i32>,
        /// What the fd refers to, per the kernel, when it is not the path itself
        /// (a FIFO shows as `pipe:[N]`; paths are resolved).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<RawStr>,
        /// Set when the open failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
        /// What the kernel calls the new fd (`/proc/PID/fd/N` right after
        /// the open), when that differs from `path` and from `target`:
        /// `/usr/bin/dash` for `/bin/sh`, `/dev/pts/0` for `/dev/stdin`,
        /// `/tmp/#1234 (deleted)` for O_TMPFILE.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kernel_name: Option<RawStr>,
        /// openat2 only: the kernel rejected the `how` struct (its size is
        /// below 24 or above a page, or bytes past the ones it knows are not
        /// zero); `flags` is then empty.
        #[serde(default, skip_serializing_if = "is_false")]
        how_rejected: bool,
        /// What forkscope could not read: `path` (then `path` is empty), `how`
        /// (openat2's struct; `flags` is then empty).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unreadable: Vec<String>,
    },
    /// close(fd). Recorded at entry (the result is not waited for).
    Close {
        /// The fd.
        fd: i32,
    },
    /// close_range(first, last, flags). Recorded at entry.
    CloseRange {
        /// First fd.
        first: u32,
        /// Last fd, inclusive (u32::MAX for "all").
        last: u32,
        /// CLOSE_RANGE_CLOEXEC: mark close-on-exec instead of closing.
        #[serde(default, skip_serializing_if = "is_false")]
        cloexec: bool,
        /// CLOSE_RANGE_UNSHARE: the process first got its own copy of a
        /// shared fd table (as `unshare(CLONE_FILES)`), then closed in it.
        #[serde(default, skip_serializing_if = "is_false")]
        unshare: bool,
        /// Set when the call failed (EINVAL for unknown flags or first >
        /// last): nothing changed. Traces that lack it recorded close_range
        /// at entry, without its result.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// fcntl(fd, F_SETFD) or ioctl(fd, FIOCLEX / FIONCLEX): the
    /// close-on-exec flag changed.
    SetCloexec {
        /// The fd.
        fd: i32,
        /// FD_CLOEXEC now set.
        cloexec: bool,
        /// Set when the call failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
        /// The call when it was not fcntl: `ioctl(FIOCLEX)`, `ioctl(FIONCLEX)`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    /// socket/socketpair/accept/accept4 made fds.
    Socket {
        /// The new fds (two for socketpair).
        fds: Vec<i32>,
        /// `socket`, `socketpair`, `accept` or `accept4`.
        syscall: String,
        /// Address family (`AF_UNIX`, `AF_INET`, ...), for socket/socketpair.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        domain: Option<String>,
        /// The listening fd, for accept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        listen_fd: Option<i32>,
        /// What the kernel calls the first fd (`socket:[N]`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<RawStr>,
        /// FD_CLOEXEC set on the new fds.
        #[serde(default, skip_serializing_if = "is_false")]
        cloexec: bool,
    },
    /// One new fd from a call that is not open, pipe, dup or socket:
    /// epoll_create(1), eventfd(2), signalfd(4), timerfd_create,
    /// inotify_init(1), fanotify_init, memfd_create, userfaultfd,
    /// perf_event_open, io_uring_setup, pidfd_open, pidfd_getfd,
    /// open_by_handle_at, fsopen, fsmount, fspick, open_tree, memfd_secret,
    /// mq_open, bpf (the commands that make fds), landlock_create_ruleset,
    /// and ioctls that return a new fd (`ioctl(NS_GET_USERNS)`, ...).
    /// Failures are not recorded (nothing changed), nor is a signalfd call
    /// that changed the mask of the signalfd it was given.
    NewFd {
        /// The new fd.
        fd: i32,
        /// The call that made it.
        syscall: String,
        /// What `/proc/PID/fd/N` points to (`anon_inode:[eventpoll]`,
        /// `/memfd:name (deleted)`, a path for open_by_handle_at).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<RawStr>,
        /// FD_CLOEXEC set on it (read from fdinfo).
        #[serde(default, skip_serializing_if = "is_false")]
        cloexec: bool,
    },
    /// unshare(flags). With CLONE_FILES the calling task gets its own copy
    /// of an fd table it shared with others (CLONE_FILES children, threads):
    /// later closes and opens are its own.
    Unshare {
        /// The raw flags (CLONE_FILES is 0x400).
        flags: u64,
        /// Set when it failed (then nothing changed).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// mkfifo/mknod(at) of a FIFO.
    Mkfifo {
        /// The path as passed (relative to cwd, or to `dirfd`).
        path: RawStr,
        /// The dirfd of mknodat when it is not AT_FDCWD.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dirfd: Option<i32>,
        /// Did it succeed?
        ok: bool,
        /// Why not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// wait4/waitid returned.
    Wait {
        /// The pid argument as given (-1 any child, 0 own group, -PGID, PID).
        target: i64,
        /// The child reaped (or whose stop/continue was reported); null for a
        /// WNOHANG poll that found nothing, or an error (except EFAULT after
        /// the kernel reaped a child but could not copy its status out).
        reaped: Option<Pid>,
        /// The status it reported.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<Status>,
        /// WNOHANG was given.
        #[serde(default, skip_serializing_if = "is_false")]
        nohang: bool,
        /// WUNTRACED (wait4) or WSTOPPED (waitid) was given: stopped children are reported.
        #[serde(default, skip_serializing_if = "is_false")]
        untraced: bool,
        /// WCONTINUED was given: continued children are reported.
        #[serde(default, skip_serializing_if = "is_false")]
        continued: bool,
        /// Which call.
        via: WaitVia,
        /// Set when it failed (`"ECHILD"`, `"EINTR"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// A signal was sent by kill/tkill/tgkill/sigqueue/pidfd_send_signal.
    Kill {
        /// The target as given (a pid, a tid, -pgid, 0, -1, or for pidfd the fd).
        target: i64,
        /// The signal (`"SIG0"` for the existence check).
        signal: Sig,
        /// Did the call succeed?
        ok: bool,
        /// Which call.
        via: KillVia,
        /// Why not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// A signal is being delivered to `pid` (ptrace signal-delivery-stop).
    Signal {
        /// The signal.
        signal: Sig,
        /// Who sent it, when the kernel says (kill by a process, or the child
        /// behind a SIGCHLD).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<Pid>,
    },
    /// `pid` entered a group-stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU).
    Stop {
        /// The stopping signal.
        signal: Sig,
    },
    /// `pid` left a group-stop (SIGCONT).
    Continue {},
    /// The SIGCHLD disposition of `pid`'s process: set by rt_sigaction
    /// (i386 also sigaction, signal) with SIGCHLD, or, with `syscall`
    /// `"inherited"`, found ignored when the process entered the trace. A
    /// process that ignores SIGCHLD or sets SA_NOCLDWAIT has its children
    /// reaped by the kernel as they exit (no zombies).
    Sigchld {
        /// `"default"`, `"ignore"` or `"handler"`.
        action: String,
        /// SA_NOCLDWAIT was set.
        #[serde(default, skip_serializing_if = "is_false")]
        nocldwait: bool,
        /// `rt_sigaction`, `sigaction`, `signal`, or `inherited`.
        syscall: String,
    },
    /// setsid().
    Setsid {
        /// The new session id, or null when it failed.
        sid: Option<Pid>,
        /// Why it failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// setpgid(target, pgid).
    Setpgid {
        /// The pid argument (0: the caller).
        target: Pid,
        /// The pgid argument (0: same as the target's pid).
        pgid: Pid,
        /// Did it succeed?
        ok: bool,
        /// Why not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// `pid` is gone.
    Exit {
        /// How it ended.
        status: Status,
        /// The name it gave itself (/proc/PID/comm, as `ps` shows it), read
        /// as it ended, when /proc still showed it (added in format v1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comm: Option<RawStr>,
    },
    /// prctl(PR_SET_NAME): task `pid` named itself (its comm, as `ps` shows
    /// it; added in format v1). For a process's main thread that is the
    /// process's name; another thread renames only itself.
    Rename {
        /// The name as the kernel keeps it: at most 15 bytes (read from the
        /// caller's memory; empty when it could not be read).
        name: RawStr,
        /// Set when it failed (`"EFAULT"`): then nothing was renamed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// The traced tree hung (`record --stall-timeout`, or Ctrl-C / detach on
    /// a hung tree): who waits for whom, read from /proc at that moment.
    /// `pid` is the first blocked task.
    Stall {
        /// `deadlock` (a cycle of waits), `stuck` (no cycle, nothing will
        /// free it) or `eof-held-open` (a reader waits for EOF that an idle
        /// process holds off).
        hang: String,
        /// What started the check: `stalled`, `signal` or `detach`.
        trigger: String,
        /// How long nothing had progressed, for `stalled`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stalled_ns: Option<u64>,
        /// One sentence.
        summary: String,
        /// The chain of waits, one sentence each.
        steps: Vec<String>,
        /// What to change.
        fix: String,
        /// The tasks forming the cycle, in order (empty when there is none).
        cycle: Vec<Pid>,
        /// Every task involved.
        tasks: Vec<Pid>,
        /// The fds involved.
        fds: Vec<StallFd>,
        /// The pipes involved: `pipe:[INODE]` or a FIFO's path.
        pipes: Vec<String>,
        /// forkscope killed the traced tree because of it (`--on-deadlock kill`).
        killed: bool,
        /// The hang as facts (summary, steps and fix with their pids, fds
        /// and pipes), so that a reader can tell it in any language; the
        /// English fields above stay for older readers. Absent in older
        /// traces; dropped when written in a shape this reader does not know.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "super::hang::lenient_facts"
        )]
        facts: Option<Box<super::hang::HangFacts>>,
    },
    /// The kernel's fd table of `pid` at a moment the recorder was asked to
    /// look (`record --snapshots exit`: just before the process exits, at
    /// the PTRACE_EVENT_EXIT stop of its last thread), for `replay --verify`.
    /// Changes nothing in the model.
    FdSnapshot {
        /// When it was taken: `exit`.
        at: String,
        /// The fd table, as /proc showed it.
        fds: Vec<FdEntry>,
        /// Each entry's `cloexec` was read (from fdinfo), so `replay
        /// --verify` compares the close-on-exec flags too (absent in older
        /// traces, whose entries do not say).
        #[serde(default, skip_serializing_if = "is_false")]
        cloexec: bool,
    },
    /// ptrace itself changed what `pid` got, where untraced it would have
    /// gone otherwise (forkscope also says so on stderr, once per kind).
    PtraceLimit {
        /// `setuid` / `setgid` (an exec'd set-ID program kept the caller's
        /// effective id), `file_caps` (it ran without its file
        /// capabilities), `nested_ptrace` (a ptrace request failed with
        /// EPERM: a process has one tracer, and forkscope is it).
        limit: String,
        /// The program exec'd (setuid, setgid, file_caps).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<RawStr>,
        /// setuid/setgid: the id the file grants (its owner or group).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        granted: Option<u32>,
        /// setuid/setgid: the effective id the process kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kept: Option<u32>,
        /// nested_ptrace: `PTRACE_TRACEME`, `PTRACE_ATTACH` or `PTRACE_SEIZE`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request: Option<String>,
        /// nested_ptrace: the pid the request named (none for TRACEME).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<Pid>,
    },
    /// forkscope's front process, the one its caller waits for, exited here
    /// (on SIGINT, SIGTERM or SIGHUP after the command's first process had
    /// exited) with the first process's status, while traced processes
    /// were still running: they ran on, traced to the end by forkscope's
    /// tracer process, and the events after this one were recorded in the
    /// background. `pid` is the first of `running`. Changes nothing in the
    /// model.
    FrontExit {
        /// The front's pid (the pid the caller knew as forkscope's).
        front: Pid,
        /// The signal that made it exit.
        signal: Sig,
        /// The status it exited with (or the signal it died of): the
        /// command's first process's.
        status: Status,
        /// The traced processes still running at that moment.
        running: Vec<Pid>,
    },
    /// The eBPF recorder's ring buffer was full: the kernel dropped
    /// `records` records (events, or fds of an exec's table) since the last
    /// `lost` event. What they said is missing from the trace.
    Lost {
        /// How many records were dropped.
        records: u64,
    },
}
}

impl EventKind {
    /// The `spawn` of a process forkscope started itself (not attached).
    pub fn spawned(argv: Vec<RawStr>, fds: Vec<FdEntry>) -> EventKind {
        EventKind::Spawn {
            argv,
            fds,
            attached: false,
            parent: None,
            threads: Vec::new(),
        }
    }

    /// The `kind` string, as in the JSON.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Spawn { .. } => "spawn",
            EventKind::Fork { .. } => "fork",
            EventKind::Exec { .. } => "exec",
            EventKind::Pipe { .. } => "pipe",
            EventKind::PipeFailed { .. } => "pipe_failed",
            EventKind::Dup { .. } => "dup",
            EventKind::Open { .. } => "open",
            EventKind::Close { .. } => "close",
            EventKind::CloseRange { .. } => "close_range",
            EventKind::SetCloexec { .. } => "set_cloexec",
            EventKind::Socket { .. } => "socket",
            EventKind::NewFd { .. } => "new_fd",
            EventKind::Unshare { .. } => "unshare",
            EventKind::Mkfifo { .. } => "mkfifo",
            EventKind::Wait { .. } => "wait",
            EventKind::Kill { .. } => "kill",
            EventKind::Signal { .. } => "signal",
            EventKind::Stop { .. } => "stop",
            EventKind::Continue { .. } => "continue",
            EventKind::Sigchld { .. } => "sigchld",
            EventKind::Setsid { .. } => "setsid",
            EventKind::Setpgid { .. } => "setpgid",
            EventKind::Exit { .. } => "exit",
            EventKind::Rename { .. } => "rename",
            EventKind::Stall { .. } => "stall",
            EventKind::FdSnapshot { .. } => "fd_snapshot",
            EventKind::PtraceLimit { .. } => "ptrace_limit",
            EventKind::Lost { .. } => "lost",
            EventKind::FrontExit { .. } => "front_exit",
        }
    }

    /// Every kind name this build knows.
    pub const KNOWN: &'static [&'static str] = &[
        "spawn",
        "fork",
        "exec",
        "pipe",
        "pipe_failed",
        "dup",
        "open",
        "close",
        "close_range",
        "set_cloexec",
        "socket",
        "new_fd",
        "unshare",
        "mkfifo",
        "wait",
        "kill",
        "signal",
        "stop",
        "continue",
        "sigchld",
        "setsid",
        "setpgid",
        "exit",
        "rename",
        "stall",
        "fd_snapshot",
        "ptrace_limit",
        "lost",
        "front_exit",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_one_flat_json_object() {
        let e = Event {
            seq: 3,
            ts_ns: 1500,
            pid: 4102,
            kind: EventKind::Dup {
                old_fd: 4,
                new_fd: 1,
                via: DupVia::Dup2,
                cloexec: false,
                errno: None,
            },
        };
        let s = serde_json::to_string(&e).unwrap();
        assert_eq!(
            s,
            r#"{"seq":3,"ts_ns":1500,"pid":4102,"kind":"dup","old_fd":4,"new_fd":1,"via":"dup2"}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&s).unwrap(), e);
    }

    #[test]
    fn exit_statuses_use_the_documented_shapes() {
        let s = |st: Status| serde_json::to_string(&st).unwrap();
        assert_eq!(s(Status::Exited { exited: 3 }), r#"{"exited":3}"#);
        assert_eq!(
            s(Status::Signaled {
                signaled: Sig(libc::SIGPIPE),
                core: false
            }),
            r#"{"signaled":"SIGPIPE","core":false}"#
        );
        for st in [
            Status::Exited { exited: 0 },
            Status::Signaled {
                signaled: Sig(9),
                core: true,
            },
            Status::Stopped {
                stopped: Sig(libc::SIGSTOP),
            },
            Status::Continued { continued: true },
        ] {
            assert_eq!(serde_json::from_str::<Status>(&s(st)).unwrap(), st);
        }
    }

    #[test]
    fn wait_status_words_decode_like_the_c_macros() {
        assert_eq!(
            Status::from_wait_status(3 << 8),
            Status::Exited { exited: 3 }
        );
        assert_eq!(
            Status::from_wait_status(libc::SIGKILL),
            Status::Signaled {
                signaled: Sig(libc::SIGKILL),
                core: false
            }
        );
        assert_eq!(Status::from_wait_status(libc::SIGKILL).shell_code(), 137);
        assert_eq!(
            Status::from_wait_status((libc::SIGSTOP << 8) | 0x7f),
            Status::Stopped {
                stopped: Sig(libc::SIGSTOP)
            }
        );
    }

    #[test]
    fn every_kind_name_is_listed_as_known() {
        let e = EventKind::Continue {};
        assert!(EventKind::KNOWN.contains(&e.name()));
        let json = serde_json::to_value(EventKind::Close { fd: 1 }).unwrap();
        assert_eq!(json["kind"], "close");
    }

    #[test]
    fn pipe_targets_parse_to_inodes() {
        assert_eq!(parse_bracket_inode(b"pipe:[1234]", b"pipe:["), Some(1234));
        assert_eq!(parse_bracket_inode(b"/dev/null", b"pipe:["), None);
    }
}
