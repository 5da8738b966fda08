//! What a blocked task waits for, from its state, wchan and the syscall
//! /proc shows it in: the classification both `record::live` (which reads
//! more of /proc for the waits that need it) and the wait-for analysis use.

use super::snapshot::{Fd, Polled, Snapshot, Task};
pub use crate::trace::hang::{PolledPipe, WaitTarget, WakeFd, WakeKind};
use serde::Serialize;

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
        /// The pipe ends it waits on for data, EOF, room or EPIPE, in fd
        /// order.
        fds: Vec<PolledPipe>,
        /// The ends it watches only for the other side to go, in fd order:
        /// a write end asked for no room (poll events 0 or POLLIN, epoll
        /// without EPOLLOUT, select's readfds) wakes only once its last
        /// reader is gone, a read end asked for no data (poll and epoll
        /// without POLLIN) only once its last writer is gone.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hangup: Vec<PolledPipe>,
    },
    /// An event loop: an untimed multiplexer on pipe ends (maybe none) and
    /// on wake-up channels (an eventfd, a socket pair, a self-pipe) that
    /// only its own process holds, so that only its own threads (or a
    /// signal handler) can make them ready.
    Loop {
        /// The call.
        call: String,
        /// The pipe ends it waits on, in fd order.
        fds: Vec<PolledPipe>,
        /// Its own wake-up fds.
        wake: Vec<WakeFd>,
        /// Ends it watches only for the other side to go, as in
        /// [`Wait::Poll`]: asyncio watches a subprocess's stdin pipe for an
        /// error (every reader gone), not for room.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        hangup: Vec<PolledPipe>,
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
    /// Taking a file lock that another open file or process holds
    /// (fcntl F_SETLKW / F_OFD_SETLKW, lockf F_LOCK, flock without LOCK_NB).
    Lock {
        /// The call (`fcntl`, `flock`).
        call: String,
        /// The fd it locks through.
        fd: i32,
        /// The file, as /proc/locks names it (`MAJOR:MINOR:INODE`), when
        /// the wanted lock was found there.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
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
    pub(crate) fn may_block_forever(&self) -> bool {
        matches!(
            self,
            Wait::Stopped
                | Wait::ReadPipe { .. }
                | Wait::WritePipe { .. }
                | Wait::Poll { .. }
                | Wait::Loop { .. }
                | Wait::OpenFifo { .. }
                | Wait::Child { .. }
                | Wait::Signal { .. }
                | Wait::Futex { .. }
                | Wait::Lock { .. }
        )
    }

    /// Not running, not about to run by itself (for the eof-held-open check).
    pub(crate) fn idle(&self) -> bool {
        !matches!(self, Wait::Running | Wait::Zombie)
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
const F_SETLKW: u64 = 7;
const F_SETLKW64_I386: u64 = 14;
const F_OFD_SETLKW: u64 = 38;
const LOCK_SH: u64 = 1;
const LOCK_EX: u64 = 2;
const LOCK_NB: u64 = 4;
const P_ALL: u64 = 0;
const P_PID: u64 = 1;
const P_PGID: u64 = 2;

/// The fd of a call that blocks until it gets a file lock: fcntl
/// F_SETLKW or F_OFD_SETLKW (lockf(F_LOCK) is an F_SETLKW in libc; i386's
/// fcntl64 has F_SETLKW64), flock LOCK_SH or LOCK_EX without LOCK_NB.
pub(crate) fn lock_fd(sc: &super::snapshot::Syscall) -> Option<i32> {
    let fd = sc.args[0] as u32 as i32;
    let cmd = sc.args[1];
    let waits = match sc.name.as_str() {
        "fcntl" => cmd == F_SETLKW || cmd == F_OFD_SETLKW,
        "fcntl64" => cmd == F_SETLKW || cmd == F_SETLKW64_I386 || cmd == F_OFD_SETLKW,
        "flock" => cmd & LOCK_NB == 0 && cmd & (LOCK_SH | LOCK_EX) != 0,
        _ => false,
    };
    waits.then_some(fd)
}

/// What `t` waits for, from its state, wchan and syscall (named by the
/// crate's one name table, [`super::syscalls`]).
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
    if let Some(fd) = lock_fd(sc) {
        let file = snap
            .locks
            .iter()
            .find(|l| l.waiting && l.pid == t.pid && l.fd == fd)
            .map(|l| l.file.clone());
        return Wait::Lock { call, fd, file };
    }
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
            Some(set) => loop_wait(snap, t, call, set),
            None => external(String::new()),
        },
        _ => external(String::new()),
    }
}

/// An untimed multiplexer on `set`, with the wake-up channels only its own
/// process holds set apart: a [`Wait::Loop`] when there are any, else what
/// [`poll_wait`] says. A pipe both of whose ends only this process holds
/// counts as a wake-up channel (a self-pipe) only next to other fds: alone,
/// it is a reader holding its own write end.
fn loop_wait(snap: &Snapshot, t: &Task, call: String, set: &[Polled]) -> Wait {
    let table = snap.fds(t.pid);
    let mine = |hs: &[(crate::trace::Pid, i32)]| hs.iter().all(|h| h.0 == t.pid);
    let mut wake = Vec::new();
    let mut self_pipes = Vec::new();
    let mut rest = Vec::new();
    for p in set {
        let f = table.iter().find(|f| f.fd == p.fd);
        match f {
            Some(Fd {
                channel: Some(key), ..
            }) => {
                let hs = snap.channel_holders(key);
                if !mine(&hs) {
                    rest.push(*p);
                    continue;
                }
                let kind = if key.starts_with("eventfd:") {
                    WakeKind::Eventfd
                } else {
                    WakeKind::SocketPair
                };
                wake.push(WakeFd {
                    fd: p.fd,
                    kind,
                    others: hs.iter().map(|h| h.1).filter(|fd| *fd != p.fd).collect(),
                });
            }
            Some(Fd {
                pipe: Some(pipe),
                access: super::snapshot::Access::Read,
                ..
            }) => {
                let (readers, writers) = snap.holders(pipe);
                if !writers.is_empty() && mine(&readers) && mine(&writers) {
                    self_pipes.push((
                        *p,
                        WakeFd {
                            fd: p.fd,
                            kind: WakeKind::SelfPipe,
                            others: writers.iter().map(|h| h.1).collect(),
                        },
                    ));
                } else {
                    rest.push(*p);
                }
            }
            _ => rest.push(*p),
        }
    }
    // No wake-up channel, or only pipes it holds both ends of (a reader
    // holding its own write end, not an event loop).
    if wake.is_empty() && (rest.is_empty() || self_pipes.is_empty()) {
        return poll_wait(table, call, set);
    }
    wake.extend(self_pipes.into_iter().map(|(_, w)| w));
    wake.sort_by_key(|w| w.fd);
    if rest.is_empty() {
        return Wait::Loop {
            call,
            fds: Vec::new(),
            wake,
            hangup: Vec::new(),
        };
    }
    match poll_wait(table, call, &rest) {
        Wait::Poll { call, fds, hangup } => Wait::Loop {
            call,
            fds,
            wake,
            hangup,
        },
        other => other,
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
    let select = matches!(call.as_str(), "select" | "pselect6");
    let mut fds = Vec::new();
    let mut hangup = Vec::new();
    for p in set {
        match table.iter().find(|f| f.fd == p.fd) {
            Some(Fd {
                pipe: Some(pipe),
                access,
                ..
            }) => {
                let end = |read: bool, write: bool| PolledPipe {
                    fd: p.fd,
                    pipe: pipe.clone(),
                    read,
                    write,
                };
                match pipe_interest(*access, p.read, p.write, select) {
                    Interest::Ready { read, write } => fds.push(end(read, write)),
                    Interest::Hangup { write } => hangup.push(end(!write, write)),
                    Interest::Never => {}
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
    if fds.is_empty() && hangup.is_empty() {
        return Wait::External {
            call,
            what: String::new(),
        };
    }
    Wait::Poll { call, fds, hangup }
}

/// What wakes a multiplexer on one pipe end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Interest {
    /// Data or EOF (`read`), room or EPIPE (`write`).
    Ready { read: bool, write: bool },
    /// Only the other side going: every reader of a write end (`write`),
    /// every writer of a read end.
    Hangup { write: bool },
    /// Nothing ever.
    Never,
}

/// What wakes a multiplexer on a pipe end opened with `access`, asked for
/// `read` (POLLIN, EPOLLIN, select's readfds) and `write` (POLLOUT,
/// EPOLLOUT, select's writefds).
///
/// fs/pipe.c pipe_poll(): a read end is readable (EPOLLIN) when the pipe
/// holds data and hung up (EPOLLHUP) once every writer is gone; a write end
/// is writable (EPOLLOUT) when it has room and in error (EPOLLERR) once
/// every reader is gone; a read end is never in error nor a write end hung
/// up. poll(2) and epoll(7) always report EPOLLHUP and EPOLLERR, asked or
/// not ("events ... may be 0, in which case the only events that can be
/// returned are POLLHUP, POLLERR, and POLLNVAL"); select counts EPOLLHUP
/// and EPOLLERR as ready in readfds, EPOLLERR in writefds, neither in
/// exceptfds (fs/select.c POLLIN_SET, POLLOUT_SET, POLLEX_SET). A FIFO
/// open O_RDWR is its own reader and writer: it never sees either.
fn pipe_interest(
    access: super::snapshot::Access,
    read: bool,
    write: bool,
    select: bool,
) -> Interest {
    match (access.reads(), access.writes()) {
        (true, true) if read || write => Interest::Ready { read, write },
        (true, false) if read => Interest::Ready {
            read: true,
            write: false,
        },
        // select: a read end is never in error, so writefds and exceptfds
        // never wake on it.
        (true, false) if !select => Interest::Hangup { write: false },
        (false, true) if write => Interest::Ready {
            read: false,
            write: true,
        },
        (false, true) if read || !select => Interest::Hangup { write: true },
        _ => Interest::Never,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::snapshot::{Access, Progress, Syscall};

    fn blocked(name: &str, args: &[u64], fds: Vec<Fd>) -> (Snapshot, Task) {
        let mut a = [0u64; 6];
        a[..args.len()].copy_from_slice(args);
        let t = Task {
            pid: 5,
            tid: 5,
            ppid: 1,
            pgid: 1,
            name: "p".into(),
            state: 'S',
            wchan: String::new(),
            syscall: Some(Syscall {
                nr: 0,
                name: name.into(),
                args: a,
                path: None,
                fifo: false,
                polled: None,
                timeout: None,
            }),
            progress: Progress::default(),
            fds,
            in_tree: true,
            signals: None,
            comm: None,
        };
        let snap = Snapshot {
            root: 5,
            tasks: vec![t.clone()],
            pipes: Vec::new(),
            locks: Vec::new(),
        };
        (snap, t)
    }

    #[test]
    fn a_read_of_a_pipe_end_waits_on_the_pipe_and_of_a_terminal_outside() {
        let pipe = Fd {
            fd: 0,
            target: "pipe:[9]".into(),
            access: Access::Read,
            pipe: Some("pipe:[9]".into()),
            channel: None,
        };
        let (s, t) = blocked("read", &[0, 0, 10], vec![pipe]);
        assert_eq!(
            classify(&s, &t),
            Wait::ReadPipe {
                fd: 0,
                pipe: "pipe:[9]".into()
            }
        );
        let tty = Fd {
            fd: 0,
            target: "/dev/pts/0".into(),
            access: Access::ReadWrite,
            pipe: None,
            channel: None,
        };
        let (s, t) = blocked("read", &[0, 0, 10], vec![tty]);
        assert!(
            matches!(classify(&s, &t), Wait::External { what, .. } if what == "fd 0 (/dev/pts/0)")
        );
    }

    #[test]
    fn waits_for_children_name_their_target_and_timed_calls_are_sleeps() {
        let (s, t) = blocked("wait4", &[u64::MAX, 0, 2], Vec::new());
        assert_eq!(
            classify(&s, &t),
            Wait::Child {
                call: "wait4".into(),
                target: WaitTarget::Any,
                stops: true
            }
        );
        let (s, t) = blocked("waitid", &[1, 42, 0, 0], Vec::new());
        assert!(matches!(
            classify(&s, &t),
            Wait::Child {
                target: WaitTarget::Child(42),
                ..
            }
        ));
        let (s, t) = blocked("futex", &[0x7ff, 128, 1, 0x7ff], Vec::new());
        assert!(matches!(classify(&s, &t), Wait::Sleeping { .. }));
        let (s, t) = blocked("futex", &[0x7ff, 0, 1, 0], Vec::new());
        assert_eq!(classify(&s, &t), Wait::Futex { shared: true });
        let (s, t) = blocked("poll", &[0x7ff, 1, 500], Vec::new());
        assert!(matches!(classify(&s, &t), Wait::Sleeping { .. }));
    }

    #[test]
    fn what_wakes_a_multiplexer_on_a_pipe_end_follows_pipe_poll() {
        use Access::{Read, ReadWrite, Write};
        let ready = |read, write| Interest::Ready { read, write };
        let hangup = |write| Interest::Hangup { write };
        // (access, asked read, asked write, select) -> what wakes it.
        let table = [
            (Read, true, false, false, ready(true, false)),
            (Read, false, false, false, hangup(false)),
            (Read, false, true, false, hangup(false)),
            (Read, true, false, true, ready(true, false)),
            (Read, false, true, true, Interest::Never),
            (Read, false, false, true, Interest::Never),
            (Write, false, true, false, ready(false, true)),
            (Write, false, false, false, hangup(true)),
            (Write, true, false, false, hangup(true)),
            (Write, false, true, true, ready(false, true)),
            (Write, true, false, true, hangup(true)),
            (Write, false, false, true, Interest::Never),
            (ReadWrite, true, false, false, ready(true, false)),
            (ReadWrite, false, false, false, Interest::Never),
        ];
        for (access, read, write, select, want) in table {
            assert_eq!(
                pipe_interest(access, read, write, select),
                want,
                "{access:?} read {read} write {write} select {select}"
            );
        }
    }

    #[test]
    fn only_blocking_lock_requests_are_lock_waits() {
        // flock(3, LOCK_EX) waits; with LOCK_NB, or LOCK_UN, it does not.
        let (s, t) = blocked("flock", &[3, 2], Vec::new());
        assert!(matches!(
            classify(&s, &t),
            Wait::Lock {
                fd: 3,
                file: None,
                ..
            }
        ));
        let (s, t) = blocked("flock", &[3, 2 | 4], Vec::new());
        assert!(matches!(classify(&s, &t), Wait::External { .. }));
        let (s, t) = blocked("flock", &[3, 8], Vec::new());
        assert!(matches!(classify(&s, &t), Wait::External { .. }));
        // fcntl F_SETLKW and F_OFD_SETLKW wait; F_SETLK and F_GETLK do not.
        for cmd in [7, 38] {
            let (s, t) = blocked("fcntl", &[4, cmd, 0x7ff0], Vec::new());
            assert!(
                matches!(classify(&s, &t), Wait::Lock { fd: 4, .. }),
                "{cmd}"
            );
        }
        for cmd in [5, 6, 36, 37] {
            let (s, t) = blocked("fcntl", &[4, cmd, 0x7ff0], Vec::new());
            assert!(!matches!(classify(&s, &t), Wait::Lock { .. }), "{cmd}");
        }
    }
}
