//! Turns ring-buffer records into trace events: the same [`EventKind`]
//! values, with the same field meanings, as the ptrace decoders in
//! `record::syscalls` write. An exec's fd table arrives as one record per
//! fd between the exec record and its end record; an open's new fd as one
//! record after the open's; both are gathered per task here.

use super::wire::{self, FdType, Rec, Record, SigAt};
use crate::record::syscalls::open::open_flags;
use crate::record::syscalls::{newfd, socket, wait};
use crate::record::sysno::{self, Abi, Sys};
use crate::record::tracer::Stats;
use crate::trace::{
    errno_name, DupVia, EventKind, FdEntry, ForkFlavor, KillVia, RawStr, Sig, Status, WaitVia,
};
use std::collections::{HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;

/// An exec whose fds are still arriving.
struct ExecPending {
    path: Vec<u8>,
    argv: Vec<RawStr>,
    former_tid: Option<i32>,
    fds: Vec<FdEntry>,
    ts: u64,
    unreadable: Vec<String>,
}

/// Per-recording decoding state.
pub struct Decoder {
    execs: HashMap<i32, ExecPending>,
    /// An open (or a one-fd call) waiting for its fd record, with its
    /// kernel time.
    opens: HashMap<i32, (EventKind, u64)>,
    /// Tasks in a group-stop (a stop signal delivered with its default
    /// action), until a SIGCONT is sent to them.
    stopped: HashSet<i32>,
    /// Tasks alive as far as the records tell.
    pub live: HashSet<i32>,
    /// The process (thread group id) of each task in `live`, for the hang
    /// watch, and how many times `live` changed (it publishes on change).
    tgids: HashMap<i32, i32>,
    /// Bumped at each fork, exec of a non-leader thread, and exit.
    pub changes: u64,
    /// Counts for the summary.
    pub stats: Stats,
    /// The first process's exec failed with this errno.
    pub root_exec_error: Option<i32>,
    root: i32,
    root_started: bool,
    /// ELF facts per program file, read once per version of it.
    elf: crate::record::elf::ElfCache,
}

/// An event ready to be written: task, kernel time, event.
pub type Out = (i32, u64, EventKind);

impl Decoder {
    /// State for a recording whose first process is `root`.
    pub fn new(root: i32) -> Decoder {
        Decoder {
            execs: HashMap::new(),
            opens: HashMap::new(),
            stopped: HashSet::new(),
            live: HashSet::from([root]),
            tgids: HashMap::from([(root, root)]),
            changes: 0,
            stats: Stats {
                processes: 1,
                ..Stats::default()
            },
            root_exec_error: None,
            root,
            root_started: false,
            elf: Default::default(),
        }
    }

    /// State for a recording attached to running processes: `tasks` are
    /// their (tid, tgid), already past their exec; `root` is the first
    /// process asked for.
    pub fn attached(root: i32, tasks: &[(i32, i32)]) -> Decoder {
        let mut d = Decoder::new(root);
        d.root_started = true;
        d.live = tasks.iter().map(|t| t.0).collect();
        d.tgids = tasks.iter().copied().collect();
        let processes = tasks.iter().filter(|t| t.0 == t.1).count();
        d.stats.processes = processes as u64;
        d.stats.threads = (tasks.len() - processes) as u64;
        d
    }

    /// The live tasks as (tid, tgid), by tid.
    pub fn tasks(&self) -> Vec<(i32, i32)> {
        let mut v: Vec<(i32, i32)> = self
            .live
            .iter()
            .map(|&t| (t, self.tgids.get(&t).copied().unwrap_or(t)))
            .collect();
        v.sort_unstable();
        v
    }

    /// A task left `live` without its exit record (lost, or never to
    /// come): keeps the task tables in step.
    pub fn forget(&mut self, tid: i32) {
        if self.live.remove(&tid) {
            self.tgids.remove(&tid);
            self.changes += 1;
        }
    }

    /// Takes one record; pushes the events it completes onto `out`.
    pub fn feed(&mut self, r: Record, out: &mut Vec<Out>) {
        let pid = r.pid;
        // Until its first exec the first process is forkscope's own code
        // (closing the pipe it waited on): not the program's.
        if pid == self.root && !self.root_started {
            if !matches!(r.rec, Rec::Exec { .. } | Rec::ExecFail { .. }) {
                return;
            }
            self.root_started = true;
        }
        if !matches!(r.rec, Rec::Fd { .. }) {
            if let Some((ev, ts)) = self.opens.remove(&pid) {
                out.push((pid, ts, ev));
            }
        }
        match r.rec {
            Rec::Fork { child, nr, flags } => {
                let kind = fork_kind(child, nr, flags);
                if let EventKind::Fork { flavor, .. } = &kind {
                    if *flavor == ForkFlavor::Thread {
                        self.stats.threads += 1;
                    } else {
                        self.stats.processes += 1;
                    }
                }
                self.live.insert(child);
                let tgid = match &kind {
                    EventKind::Fork {
                        flavor: ForkFlavor::Thread,
                        ..
                    } => self.tgids.get(&pid).copied().unwrap_or(pid),
                    _ => child,
                };
                self.tgids.insert(child, tgid);
                self.changes += 1;
                out.push((pid, r.ts, kind));
            }
            Rec::Exec {
                old_pid,
                path,
                argv,
                argv_cut,
            } => {
                let mut args: Vec<RawStr> = argv
                    .split(|b| *b == 0)
                    .map(|a| RawStr(a.to_vec()))
                    .collect();
                // The area ends with a NUL: the split leaves one empty tail.
                if argv.last() == Some(&0) {
                    args.pop();
                }
                // An argument area longer than the record: the last element
                // kept is cut short; drop it and say from where on argv is
                // missing, as the ptrace backend does for unreadable memory.
                let mut unreadable = Vec::new();
                if argv_cut {
                    args.pop();
                    unreadable.push(format!("argv[{}..]", args.len()));
                }
                if old_pid != pid {
                    self.live.remove(&old_pid);
                    self.tgids.remove(&old_pid);
                    self.live.insert(pid);
                    self.tgids.insert(pid, pid);
                    self.changes += 1;
                }
                self.execs.insert(
                    pid,
                    ExecPending {
                        path,
                        argv: args,
                        former_tid: (old_pid != pid).then_some(old_pid),
                        fds: Vec::new(),
                        ts: r.ts,
                        unreadable,
                    },
                );
            }
            Rec::Fd {
                fd,
                ty,
                ino,
                text,
                cut: _,
                cloexec,
            } => {
                if let Some(e) = self.execs.get_mut(&pid) {
                    e.fds.push(FdEntry {
                        fd,
                        target: RawStr(text),
                        cloexec: false,
                        flags: None,
                        same_as: None,
                        same_as_pid: None,
                    });
                } else if let Some((mut ev, ts)) = self.opens.remove(&pid) {
                    match &mut ev {
                        EventKind::Open {
                            path,
                            target,
                            kernel_name,
                            ..
                        } => {
                            // As procfs::fd_kind_and_name: FIFOs and pipes by
                            // inode, sockets and anonymous inodes by the
                            // kernel's name, files by their path.
                            *target = match ty {
                                FdType::Fifo | FdType::Pipe => {
                                    Some(RawStr(format!("pipe:[{ino}]").into_bytes()))
                                }
                                FdType::Socket | FdType::Anon | FdType::Pidfd => {
                                    Some(RawStr(text.clone()))
                                }
                                FdType::Path | FdType::Pseudo => None,
                            };
                            let name = RawStr(text);
                            if name != *path && Some(&name) != target.as_ref() {
                                *kernel_name = Some(name);
                            }
                        }
                        EventKind::NewFd {
                            target, cloexec: c, ..
                        } => {
                            // As procfs::fd_target: the link text.
                            *target = Some(RawStr(text));
                            *c = cloexec;
                        }
                        _ => {}
                    }
                    out.push((pid, ts, ev));
                }
            }
            Rec::ExecEnd => {
                if let Some(e) = self.execs.remove(&pid) {
                    self.stats.execs += 1;
                    let mut fds = e.fds;
                    fds.sort_by_key(|f| f.fd);
                    // Facts about the binary, from the path (while it is there).
                    let elf = self
                        .elf
                        .facts_for_path(std::path::Path::new(std::ffi::OsStr::from_bytes(&e.path)));
                    out.push((
                        pid,
                        e.ts,
                        EventKind::Exec {
                            path: RawStr(e.path),
                            argv: e.argv,
                            ok: true,
                            errno: None,
                            fds: Some(fds),
                            elf,
                            script: None,
                            former_tid: e.former_tid,
                            argv_null: false,
                            unreadable: e.unreadable,
                        },
                    ));
                }
            }
            Rec::Exit { code } => {
                self.live.remove(&pid);
                self.tgids.remove(&pid);
                self.changes += 1;
                out.push((
                    pid,
                    r.ts,
                    EventKind::Exit {
                        status: Status::from_wait_status(code),
                        comm: None,
                    },
                ));
            }
            Rec::ExecFail {
                ret,
                path,
                argv,
                more,
            } => {
                let errno = (-ret) as i32;
                self.stats.exec_failures += 1;
                if pid == self.root && self.stats.execs == 0 {
                    self.root_exec_error = Some(errno);
                }
                out.push((
                    pid,
                    r.ts,
                    EventKind::Exec {
                        path: RawStr(path),
                        argv: argv.into_iter().map(RawStr).collect(),
                        ok: false,
                        errno: Some(errno_name(errno)),
                        fds: None,
                        elf: None,
                        script: None,
                        former_tid: None,
                        argv_null: false,
                        unreadable: if more {
                            vec![format!("argv[{}..]", argv_len_kept())]
                        } else {
                            Vec::new()
                        },
                    },
                ));
            }
            Rec::Sys {
                sys,
                nr,
                args,
                ret,
                aux,
                ino,
                str,
            } => {
                if let Some(ev) = self.syscall(sys, nr, args, ret, aux, ino, str) {
                    let awaits_fd = match &ev {
                        EventKind::Open { fd, .. } => *fd >= 0,
                        EventKind::NewFd { .. } => true,
                        _ => false,
                    };
                    if awaits_fd {
                        self.opens.insert(pid, (ev, r.ts));
                    } else {
                        out.push((pid, r.ts, ev));
                    }
                }
            }
            Rec::Signal {
                sig,
                at,
                code,
                from,
                status: _,
                stops,
            } => self.signal(pid, r.ts, sig, at, code, from, stops, out),
        }
    }

    /// A signal record: what the ptrace backend writes at the task's
    /// signal-delivery stop (`signal`, with the sender as `sender_info`
    /// reads it from the siginfo), at its group-stop (`stop`) and when a
    /// SIGCONT ends that (`continue`, before the SIGCONT's own delivery).
    #[allow(clippy::too_many_arguments)]
    fn signal(
        &mut self,
        pid: i32,
        ts: u64,
        sig: i32,
        at: SigAt,
        code: i32,
        from: i32,
        stops: bool,
        out: &mut Vec<Out>,
    ) {
        if sig == libc::SIGCONT && at != SigAt::Delivered && self.stopped.remove(&pid) {
            out.push((pid, ts, EventKind::Continue {}));
        }
        if at == SigAt::Cont {
            return;
        }
        let by_process = matches!(code, libc::SI_USER | libc::SI_TKILL | libc::SI_QUEUE);
        let by_child = sig == libc::SIGCHLD && code > 0;
        let from = ((by_process || by_child) && from > 0).then_some(from);
        self.stats.signals += 1;
        out.push((
            pid,
            ts,
            EventKind::Signal {
                signal: Sig(sig),
                from,
            },
        ));
        if stops {
            self.stopped.insert(pid);
            out.push((pid, ts, EventKind::Stop { signal: Sig(sig) }));
        }
    }

    /// Every open still waiting for its fd record (the fd was closed by
    /// another thread before the record was made).
    pub fn finish(&mut self, out: &mut Vec<Out>) {
        let mut rest: Vec<_> = self.opens.drain().map(|(p, (e, t))| (p, t, e)).collect();
        rest.sort_by_key(|o| o.1);
        out.extend(rest);
    }

    #[allow(clippy::too_many_arguments)]
    fn syscall(
        &mut self,
        sys: u32,
        nr: i64,
        args: [i64; 4],
        ret: i64,
        aux: Option<[i32; 2]>,
        ino: u64,
        path: Vec<u8>,
    ) -> Option<EventKind> {
        let int = |i: usize| args[i] as i32;
        let errno = (ret < 0).then(|| errno_name((-ret) as i32));
        let new = if ret < 0 { -1 } else { ret as i32 };
        Some(match sys {
            wire::sys::PIPE | wire::sys::PIPE2 => {
                if let Some(e) = errno {
                    return Some(EventKind::PipeFailed { errno: e });
                }
                let [read_fd, write_fd] = aux?;
                let flags = if sys == wire::sys::PIPE2 { int(1) } else { 0 };
                self.stats.pipes += 1;
                EventKind::Pipe {
                    read_fd,
                    write_fd,
                    pipe_id: ino,
                    cloexec: flags & libc::O_CLOEXEC != 0,
                    nonblock: flags & libc::O_NONBLOCK != 0,
                }
            }
            wire::sys::DUP => EventKind::Dup {
                old_fd: int(0),
                new_fd: new,
                via: DupVia::Dup,
                cloexec: false,
                errno,
            },
            wire::sys::DUP2 | wire::sys::DUP3 => EventKind::Dup {
                old_fd: int(0),
                new_fd: int(1),
                via: if sys == wire::sys::DUP2 {
                    DupVia::Dup2
                } else {
                    DupVia::Dup3
                },
                cloexec: sys == wire::sys::DUP3 && int(2) & libc::O_CLOEXEC != 0,
                errno,
            },
            wire::sys::FCNTL if int(1) == libc::F_SETFD => EventKind::SetCloexec {
                fd: int(0),
                cloexec: int(2) & libc::FD_CLOEXEC != 0,
                errno,
                via: None,
            },
            wire::sys::FCNTL => EventKind::Dup {
                old_fd: int(0),
                new_fd: new,
                via: DupVia::Fcntl,
                cloexec: int(1) == libc::F_DUPFD_CLOEXEC,
                errno,
            },
            wire::sys::CLOSE => EventKind::Close { fd: int(0) },
            wire::sys::OPEN | wire::sys::OPENAT | wire::sys::CREAT => {
                let flags = match sys {
                    wire::sys::OPEN => int(1),
                    wire::sys::OPENAT => int(2),
                    _ => libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC,
                };
                EventKind::Open {
                    fd: new,
                    path: RawStr(path),
                    flags: open_flags(flags),
                    dirfd: (sys == wire::sys::OPENAT && int(0) != libc::AT_FDCWD).then_some(int(0)),
                    target: None,
                    errno,
                    kernel_name: None,
                    how_rejected: false,
                    unreadable: Vec::new(),
                }
            }
            wire::sys::WAIT4 => {
                let options = int(2);
                let reaped = (ret > 0).then_some(ret as i32);
                EventKind::Wait {
                    target: int(0) as i64,
                    reaped,
                    status: reaped.and(aux).map(|a| Status::from_wait_status(a[0])),
                    nohang: options & libc::WNOHANG != 0,
                    untraced: options & libc::WUNTRACED != 0,
                    continued: options & libc::WCONTINUED != 0,
                    via: WaitVia::Wait4,
                    errno,
                }
            }
            wire::sys::KILL
            | wire::sys::TKILL
            | wire::sys::TGKILL
            | wire::sys::RT_SIGQUEUEINFO
            | wire::sys::RT_TGSIGQUEUEINFO
            | wire::sys::PIDFD_SEND_SIGNAL => {
                // As record::syscalls::signal decodes them.
                let (target, signal, via) = match sys {
                    wire::sys::KILL => (int(0), int(1), KillVia::Kill),
                    wire::sys::TKILL => (int(0), int(1), KillVia::Tkill),
                    wire::sys::TGKILL => (int(1), int(2), KillVia::Tgkill),
                    wire::sys::RT_SIGQUEUEINFO => (int(0), int(1), KillVia::RtSigqueueinfo),
                    wire::sys::RT_TGSIGQUEUEINFO => (int(1), int(2), KillVia::RtTgsigqueueinfo),
                    _ => (int(0), int(1), KillVia::PidfdSendSignal),
                };
                EventKind::Kill {
                    target: target as i64,
                    signal: Sig(signal),
                    ok: ret == 0,
                    via,
                    errno,
                }
            }
            wire::sys::WAITID => {
                // args: idtype, id, the pid a P_PIDFD named, options;
                // aux: si_pid and si_status; ino: si_code.
                let options = int(3);
                let target = match int(0) {
                    P_ALL => -1,
                    P_PID => int(1) as i64,
                    P_PGID => -(int(1) as i64),
                    P_PIDFD if args[2] > 0 => args[2],
                    _ => int(1) as i64,
                };
                let (reaped, status) = match aux {
                    Some([child, st]) if ret == 0 && child > 0 => {
                        (Some(child), Some(wait::siginfo_status(ino as i32, st)))
                    }
                    _ => (None, None),
                };
                EventKind::Wait {
                    target,
                    reaped,
                    status,
                    nohang: options & libc::WNOHANG != 0,
                    untraced: options & libc::WUNTRACED != 0,
                    continued: options & libc::WCONTINUED != 0,
                    via: WaitVia::Waitid,
                    errno,
                }
            }
            wire::sys::SOCKET | wire::sys::SOCKETPAIR | wire::sys::ACCEPT | wire::sys::ACCEPT4 => {
                // As record::syscalls::socket::exit (failures never come).
                let fds = match (sys, aux) {
                    (wire::sys::SOCKETPAIR, Some(pair)) => pair.to_vec(),
                    (wire::sys::SOCKETPAIR, None) => return None,
                    _ => vec![new],
                };
                let (domain, listen_fd, cloexec, syscall) = match sys {
                    wire::sys::SOCKET | wire::sys::SOCKETPAIR => (
                        Some(socket::domain_name(int(0))),
                        None,
                        int(1) & libc::SOCK_CLOEXEC != 0,
                        if sys == wire::sys::SOCKET {
                            "socket"
                        } else {
                            "socketpair"
                        },
                    ),
                    wire::sys::ACCEPT => (None, Some(int(0)), false, "accept"),
                    _ => (
                        None,
                        Some(int(0)),
                        int(3) & libc::SOCK_CLOEXEC != 0,
                        "accept4",
                    ),
                };
                EventKind::Socket {
                    fds,
                    syscall: syscall.into(),
                    domain,
                    listen_fd,
                    target: (ino != 0).then(|| RawStr(format!("socket:[{ino}]").into_bytes())),
                    cloexec,
                }
            }
            wire::sys::NEWFD => {
                let Some(Sys::NewFd(name)) = sysno::lookup(Abi::Native, nr) else {
                    return None;
                };
                let raw = args.map(|a| a as u64);
                let raw6 = [raw[0], raw[1], raw[2], raw[3], 0, 0];
                if !newfd::makes_an_fd(name, &raw6, new) {
                    return None;
                }
                EventKind::NewFd {
                    fd: new,
                    syscall: name.into(),
                    target: None,
                    cloexec: false,
                }
            }
            wire::sys::CLOSE_RANGE => EventKind::CloseRange {
                first: args[0] as u32,
                last: args[1] as u32,
                cloexec: args[2] as u64 & CLOSE_RANGE_CLOEXEC != 0,
                unshare: args[2] as u64 & CLOSE_RANGE_UNSHARE != 0,
                errno,
            },
            wire::sys::UNSHARE => EventKind::Unshare {
                flags: args[0] as u64,
                errno,
            },
            wire::sys::SETSID => EventKind::Setsid {
                sid: (ret >= 0).then_some(ret as i32),
                errno,
            },
            wire::sys::SETPGID => EventKind::Setpgid {
                target: int(0),
                pgid: int(1),
                ok: ret == 0,
                errno,
            },
            wire::sys::PRCTL => EventKind::Rename {
                name: RawStr(path),
                errno,
            },
            _ => return None,
        })
    }
}

/// waitid's id types (<linux/wait.h>).
const P_ALL: i32 = 0;
const P_PID: i32 = 1;
const P_PGID: i32 = 2;
const P_PIDFD: i32 = 3;
/// close_range flags (<linux/close_range.h>).
const CLOSE_RANGE_UNSHARE: u64 = 1 << 1;
const CLOSE_RANGE_CLOEXEC: u64 = 1 << 2;

/// How many argv elements a failed-exec record keeps.
fn argv_len_kept() -> usize {
    16
}

/// The fork event, decided as `record::syscalls::process::created` does
/// from the syscall and its clone flags.
fn fork_kind(child: i32, nr: i64, flags: u64) -> EventKind {
    let sys = sysno::lookup(Abi::Native, nr);
    let f = |c: libc::c_int| flags & c as u64 != 0;
    let (flavor, syscall) = crate::record::syscalls::process::flavor_of(flags, sys, false, false);
    EventKind::Fork {
        child,
        flavor,
        shares_fds: f(libc::CLONE_FILES),
        syscall: syscall.into(),
        flags,
        fds: None,
    }
}
