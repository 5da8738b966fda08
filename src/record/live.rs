//! A live process tree's state, read from /proc without stopping anything:
//! for every task its state letter, wchan, the syscall it is blocked in and
//! that syscall's arguments (/proc/PID/syscall), its progress counters
//! (utime+stime, rchar/wchar/syscr/syscw), its process's fd table with
//! access modes, and for the pipes involved how full they are. The result is
//! the pure [`Snapshot`] that `analysis::waitfor` explains.
//!
//! Tasks forkscope itself traces are read through a [`Traced`]: /proc shows
//! them as `t` whether they are held in a group-stop (PTRACE_LISTEN: stopped,
//! `T` for the analysis) or passing through a ptrace-stop. In a
//! signal-delivery-stop (Ctrl-C reaching a hung tracee) wchan is
//! `ptrace_stop` but /proc/PID/syscall still shows the syscall the signal
//! interrupted (orig_ax and its arguments: `0 0x3 ...` for a read of fd 3),
//! which restarts unless the signal kills it; such a task is read as still
//! blocked in that syscall (`S`).
//!
//! Nothing here uses ptrace. Reading /proc/PID/syscall, /proc/PID/io and
//! /proc/PID/mem (the path argument of a blocked open, the fd_set bitmaps
//! or pollfd array of a blocked select or poll) needs the same permission
//! as ptrace (PTRACE_MODE_ATTACH): the same user or root. An epoll_wait's
//! fds come from the epoll fd's /proc/PID/fdinfo (its interest list).
//!
//! Measuring a pipe's fill level is the one read that is not passive.
//! /proc shows no fill level, so the pipe is opened again through a holder's
//! /proc/PID/fd/N link (which opens the pipe itself, as a FIFO) with
//! O_RDONLY|O_NONBLOCK, asked FIONREAD (bytes in it) and F_GETPIPE_SZ (its
//! capacity), and closed, within microseconds. Opening a pipe for reading
//! adds a reader for that time. That changes nothing for anybody only if
//! the pipe already has a reader: EOF depends on writers only; SIGPIPE and
//! EPIPE happen only when no reader is left, and there is one; and
//! fs/pipe.c's fifo_open wakes a process blocked opening a FIFO for writing
//! only when the reader count goes from 0 to 1. So a pipe is measured only
//! when some process of the snapshot holds a read end of it; otherwise its
//! fill is left unknown (and the analysis relies on the wchan:
//! `pipe_read` means the pipe was empty, `pipe_write` that it was full). It
//! is never opened for writing: an extra writer would hold back EOF.

use crate::model::snapshot::{
    Access, Fd, PipeInfo, Polled, Progress, SigMasks, Snapshot, Syscall, Task,
};
use crate::model::wait::{self as waitfor, Wait};
use crate::trace::Pid;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};

/// Errors reading a live tree.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The process does not exist (or is not visible here).
    #[error("no process {pid}")]
    NoSuchProcess {
        /// The pid asked for.
        pid: Pid,
    },
}

/// How to read tasks that forkscope itself traces.
#[derive(Clone, Debug, Default)]
pub struct Traced {
    /// Tids held in a group-stop (PTRACE_LISTEN): /proc shows them as `t`,
    /// they are stopped (`T`) for the analysis.
    pub group_stopped: HashSet<Pid>,
}

/// A process and its threads.
fn tids_of(pid: Pid) -> Vec<Pid> {
    let mut v: Vec<Pid> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// Every pid in /proc.
pub(super) fn all_pids() -> Vec<Pid> {
    let mut v: Vec<Pid> = std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// The fields of /proc/PID/stat after the command name.
struct Stat {
    comm: String,
    state: char,
    ppid: Pid,
    pgid: Pid,
    ticks: u64,
}

fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
    let num = |i: usize| rest.get(i).and_then(|s| s.parse::<i64>().ok());
    Some(Stat {
        comm,
        state: rest.first()?.chars().next()?,
        ppid: num(1)? as Pid,
        pgid: num(2)? as Pid,
        ticks: (num(11)? + num(12)?) as u64,
    })
}

fn read_stat(pid: Pid, tid: Pid) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?)
}

fn parse_io(text: &str, p: &mut Progress) {
    for l in text.lines() {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let v: u64 = v.trim().parse().unwrap_or(0);
        match k {
            "rchar" => p.rchar = v,
            "wchar" => p.wchar = v,
            "syscr" => p.syscr = v,
            "syscw" => p.syscw = v,
            _ => {}
        }
    }
}

/// The progress counters of one task, and its state letter.
pub fn progress(pid: Pid, tid: Pid) -> Option<(char, Progress)> {
    let st = read_stat(pid, tid)?;
    let mut p = Progress {
        cpu_ticks: st.ticks,
        ..Progress::default()
    };
    if let Ok(io) = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/io")) {
        parse_io(&io, &mut p);
    }
    Some((st.state, p))
}

/// Parses /proc/PID/syscall: `nr a1 .. a6 sp pc` while blocked in a
/// syscall, `-1 sp pc` when blocked outside one, `running`.
fn parse_syscall(text: &str) -> Option<(i64, [u64; 6])> {
    let mut it = text.split_whitespace();
    let nr: i64 = it.next()?.parse().ok()?;
    if nr < 0 {
        return None;
    }
    let mut args = [0u64; 6];
    for a in args.iter_mut() {
        let w = it.next()?;
        *a = u64::from_str_radix(w.trim_start_matches("0x"), 16).ok()?;
    }
    Some((nr, args))
}

/// The name of native syscall `nr` (the crate's one name table,
/// [`crate::model::syscalls`]), `syscall_N` when it is not listed.
fn syscall_name(nr: i64) -> String {
    crate::model::syscalls::native_name(nr)
}

/// The name of i386 syscall `nr`, as the native table names it (see
/// [`crate::model::syscalls`]), `syscall_N` when it is not listed.
fn syscall_name_i386(nr: i64) -> String {
    crate::model::syscalls::i386_name(nr)
}

/// Reads a NUL-terminated string at `addr` in `pid`'s memory.
fn read_c_string(pid: Pid, addr: u64) -> Option<String> {
    if addr == 0 {
        return None;
    }
    let f = std::fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let mut buf = vec![0u8; 4096];
    // A read may stop at a page boundary: read what is there.
    let n = f.read_at(&mut buf, addr).ok()?;
    let end = buf[..n].iter().position(|b| *b == 0)?;
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// Reads exactly `len` bytes at `addr` in `pid`'s memory, or nothing.
pub(super) fn read_mem(pid: Pid, addr: u64, len: usize) -> Option<Vec<u8>> {
    if addr == 0 {
        return None;
    }
    let f = std::fs::File::open(format!("/proc/{pid}/mem")).ok()?;
    let mut buf = vec![0u8; len];
    // read_exact_at goes on after a read that stopped at a page boundary.
    f.read_exact_at(&mut buf, addr).ok()?;
    Some(buf)
}

/// Most fds of a select read (bits of each fd_set): 8 KiB of bitmaps.
const MAX_SELECT_FDS: u64 = 1 << 16;
/// Most pollfds of a poll, or items of an epoll interest list, read.
const MAX_POLL_FDS: u64 = 4096;
/// poll(2) and epoll(7) interest bits (the same values in both).
const POLL_READ: u32 = (libc::POLLIN | libc::POLLPRI | libc::POLLRDNORM | libc::POLLRDBAND) as u32;
const POLL_WRITE: u32 = (libc::POLLOUT | libc::POLLWRNORM | libc::POLLWRBAND) as u32;

/// For an untimed select, poll or epoll_wait family call: the fds it waits
/// on. None when it is not such a call, it has a timeout (it will wake by
/// itself), or the set could not be read whole. A 32-bit task's sets read
/// the same way on x86: a pollfd has the same layout, and an fd_set of
/// 32-bit longs read as 64-bit little-endian words keeps every fd's bit.
fn polled_set(pid: Pid, tid: Pid, name: &str, a: &[u64; 6]) -> Option<Vec<Polled>> {
    let int = |i: usize| a[i] as u32 as i32;
    let mut set: std::collections::BTreeMap<i32, Polled> = Default::default();
    let mut add = |fd: i32, read: bool, write: bool| {
        let p = set.entry(fd).or_insert(Polled {
            fd,
            read: false,
            write: false,
        });
        p.read |= read;
        p.write |= write;
    };
    match name {
        // select(nfds, readfds, writefds, exceptfds, timeout): each fd_set
        // an array of longs, bit fd % 64 of long fd / 64.
        "select" | "pselect6" if a[4] == 0 => {
            let nfds = a[0] as u32 as i32;
            if !(0..=MAX_SELECT_FDS as i32).contains(&nfds) {
                return None;
            }
            let words = (nfds as usize).div_ceil(64);
            // Exceptional conditions (POLLPRI) never happen on a pipe, but
            // a socket waited on only there must still count.
            for (k, (read, write)) in [(true, false), (false, true), (false, false)]
                .into_iter()
                .enumerate()
            {
                let addr = a[1 + k];
                if addr == 0 || words == 0 {
                    continue;
                }
                let bytes = read_mem(pid, addr, words * 8)?;
                for (w, chunk) in bytes.chunks_exact(8).enumerate() {
                    let bits = u64::from_ne_bytes(chunk.try_into().ok()?);
                    for b in 0..64 {
                        let fd = (w * 64 + b) as i32;
                        if fd < nfds && bits & (1 << b) != 0 {
                            add(fd, read, write);
                        }
                    }
                }
            }
        }
        // poll(fds, nfds, timeout_ms), ppoll(fds, nfds, tsp, sigmask, size):
        // struct pollfd { int fd; short events; short revents; }.
        "poll" | "ppoll" => {
            let untimed = if name == "poll" {
                int(2) < 0
            } else {
                a[2] == 0
            };
            if !untimed || a[1] > MAX_POLL_FDS {
                return None;
            }
            let n = a[1] as usize;
            let bytes = if n == 0 {
                Vec::new()
            } else {
                read_mem(pid, a[0], n * 8)?
            };
            for p in bytes.chunks_exact(8) {
                let fd = i32::from_ne_bytes([p[0], p[1], p[2], p[3]]);
                let events = u32::from(u16::from_ne_bytes([p[4], p[5]]));
                // A negative fd is skipped by the kernel.
                if fd >= 0 {
                    add(fd, events & POLL_READ != 0, events & POLL_WRITE != 0);
                }
            }
        }
        // epoll_wait(epfd, events, maxevents, timeout_ms), epoll_pwait(...,
        // sigmask), epoll_pwait2(epfd, events, maxevents, tsp, sigmask).
        "epoll_wait" | "epoll_pwait" | "epoll_pwait2" => {
            let untimed = if name == "epoll_pwait2" {
                a[3] == 0
            } else {
                int(3) < 0
            };
            if !untimed {
                return None;
            }
            for (fd, events) in epoll_interest(pid, tid, int(0))? {
                add(fd, events & POLL_READ != 0, events & POLL_WRITE != 0);
            }
        }
        _ => return None,
    }
    Some(set.into_values().collect())
}

/// The interest list of epoll fd `epfd`: (fd, events), from its fdinfo
/// (fs/eventpoll.c ep_show_fdinfo: `tfd: %8d events: %8x data: %16llx
/// pos:%lli ino:%lx sdev:%x` per item). None unless every item is still the
/// file that fd number names: an item outlives a close of its fd while a
/// dup of the file (in a child, say) keeps it open, and the number may
/// since name another file.
fn epoll_interest(pid: Pid, tid: Pid, epfd: i32) -> Option<Vec<(i32, u32)>> {
    let dir = format!("/proc/{pid}/task/{tid}");
    let link = std::fs::read_link(format!("{dir}/fd/{epfd}")).ok()?;
    if link.to_string_lossy() != "anon_inode:[eventpoll]" {
        return None;
    }
    let info = std::fs::read_to_string(format!("{dir}/fdinfo/{epfd}")).ok()?;
    let items = parse_epoll_fdinfo(&info)?;
    if items.len() as u64 > MAX_POLL_FDS {
        return None;
    }
    use std::os::unix::fs::MetadataExt;
    for &(fd, _, ino) in &items {
        if std::fs::metadata(format!("{dir}/fd/{fd}")).ok()?.ino() != ino {
            return None;
        }
    }
    Some(items.into_iter().map(|(fd, ev, _)| (fd, ev)).collect())
}

/// The items of an epoll fd's fdinfo: (fd, events, inode). None when a
/// `tfd:` line does not parse.
fn parse_epoll_fdinfo(info: &str) -> Option<Vec<(i32, u32, u64)>> {
    let mut out = Vec::new();
    for line in info.lines().filter(|l| l.starts_with("tfd:")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        // `tfd:        5` and `ino:5e4`: the value is the next word or
        // the rest of this one.
        let field = |key: &str| {
            words.iter().enumerate().find_map(|(k, w)| {
                if *w == key {
                    words.get(k + 1).copied()
                } else {
                    w.strip_prefix(key).filter(|v| !v.is_empty())
                }
            })
        };
        let fd: i32 = field("tfd:")?.parse().ok()?;
        let events = u32::from_str_radix(field("events:")?, 16).ok()?;
        let ino = u64::from_str_radix(field("ino:")?, 16).ok()?;
        out.push((fd, events, ino));
    }
    Some(out)
}

/// For an open-family call: (the path as the process sees it, whether it is a FIFO).
fn open_path(pid: Pid, name: &str, args: &[u64; 6]) -> (Option<String>, bool) {
    let (dirfd, addr) = match name {
        "open" | "creat" => (None, args[0]),
        "openat" | "openat2" => (Some(args[0] as u32 as i32), args[1]),
        _ => return (None, false),
    };
    let Some(path) = read_c_string(pid, addr) else {
        return (None, false);
    };
    let base = if path.starts_with('/') {
        format!("/proc/{pid}/root")
    } else {
        match dirfd {
            Some(fd) if fd != libc::AT_FDCWD => format!("/proc/{pid}/fd/{fd}"),
            _ => format!("/proc/{pid}/cwd"),
        }
    };
    let full = format!("{base}/{path}");
    let fifo = std::fs::metadata(&full)
        .map(|m| m.file_type().is_fifo())
        .unwrap_or(false);
    // Show a relative path as absolute, resolved against its directory.
    let shown = if path.starts_with('/') {
        path
    } else {
        match std::fs::read_link(&base) {
            Ok(dir) => format!("{}/{path}", dir.display()),
            Err(_) => path,
        }
    };
    (Some(visible(&shown)), fifo)
}

/// The program a process runs: basename of argv[0], else its comm.
fn program_name(pid: Pid, comm: &str) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    let base = argv0.rsplit(|b| *b == b'/').next().unwrap_or_default();
    if base.is_empty() {
        visible(comm)
    } else {
        visible(&String::from_utf8_lossy(base))
    }
}

/// A name or path from /proc as it is shown: control and invisible
/// formatting characters escaped (a program controls its own argv, comm
/// and file names; none of them may drive the reader's terminal). The
/// escaping is the trace layer's, the one every output format uses.
fn visible(s: &str) -> String {
    crate::trace::bytes::visible(s).into_owned()
}

/// The fd table of a process, read through one of its live tasks.
fn fds_of(pid: Pid, tids: &[Pid]) -> Vec<Fd> {
    let mut order = vec![pid];
    order.extend(tids.iter().copied().filter(|t| *t != pid));
    for tid in order {
        let dir = format!("/proc/{pid}/task/{tid}/fd");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut out: Vec<Fd> = rd
            .filter_map(|e| {
                let e = e.ok()?;
                let fd: i32 = e.file_name().to_str()?.parse().ok()?;
                let link = std::fs::read_link(e.path()).ok()?;
                let target = visible(&link.to_string_lossy());
                let flags = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/fdinfo/{fd}"))
                    .ok()
                    .and_then(|t| {
                        let f = t.lines().find_map(|l| l.strip_prefix("flags:"))?.trim();
                        u64::from_str_radix(f, 8).ok()
                    })
                    .unwrap_or(0);
                let access = match flags & libc::O_ACCMODE as u64 {
                    0 => Access::Read,
                    1 => Access::Write,
                    _ => Access::ReadWrite,
                };
                // A FIFO's link is its path; stat says what it is.
                let is_pipe = target.starts_with("pipe:[")
                    || (target.starts_with('/')
                        && std::fs::metadata(e.path()).is_ok_and(|m| m.file_type().is_fifo()));
                let pipe = is_pipe.then(|| target.clone());
                Some(Fd {
                    fd,
                    target,
                    access,
                    pipe,
                    channel: None,
                })
            })
            .collect();
        if out.is_empty() {
            continue;
        }
        out.sort_by_key(|f| f.fd);
        return out;
    }
    Vec::new()
}

/// Is `pid` a 32-bit program on a 64-bit kernel? Its /proc/PID/syscall
/// numbers are then the compat ones, named by [`syscall_name_i386`].
fn is_compat(pid: Pid) -> bool {
    if cfg!(target_pointer_width = "32") {
        return false;
    }
    let mut ident = [0u8; 5];
    std::fs::File::open(format!("/proc/{pid}/exe"))
        .and_then(|f| f.read_exact_at(&mut ident, 0))
        .is_ok_and(|_| ident[..4] == *b"\x7fELF" && ident[4] == 1)
}

/// For a task waiting for a signal (pause, sigsuspend, an untimed
/// rt_sigtimedwait): its masks from /proc/PID/task/TID/status (SigCgt,
/// SigBlk; during sigsuspend SigBlk is the mask the call installed:
/// sigsuspend(2) "temporarily replaces the signal mask of the calling thread
/// with the mask given by mask"), and the set rt_sigtimedwait waits for,
/// read from its memory (a sigset_t: 64 bits, also for a 32-bit task).
/// Read only for these rare waits.
fn signal_masks(pid: Pid, tid: Pid, name: &str, args: &[u64; 6]) -> Option<SigMasks> {
    if !matches!(
        name,
        "pause" | "rt_sigsuspend" | "sigsuspend" | "rt_sigtimedwait"
    ) {
        return None;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?;
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
    };
    let waited = if name == "rt_sigtimedwait" {
        read_mem(pid, args[0], 8).map(|b| u64::from_le_bytes(b[..8].try_into().expect("8 bytes")))
    } else {
        None
    };
    Some(SigMasks {
        caught: field("SigCgt:")?,
        blocked: field("SigBlk:")?,
        waited,
    })
}

/// Adds the children of the tasks waiting for a signal that forkscope no
/// longer traces: a traced child that exited was reaped by forkscope as its
/// tracer, and stays a zombie of its real parent until that one waits, but
/// is no longer among the traced tasks. The lost-wakeup check needs them.
fn add_exited_children(tasks: &mut Vec<Task>, seen: &mut HashSet<Pid>) {
    let waiting: Vec<Pid> = tasks
        .iter()
        .filter(|t| t.signals.is_some())
        .map(|t| t.pid)
        .collect();
    for pid in waiting {
        for tid in tids_of(pid) {
            let kids = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/children"))
                .unwrap_or_default();
            for kid in kids.split_whitespace().filter_map(|k| k.parse().ok()) {
                if seen.insert(kid) {
                    tasks.extend(read_process(kid, true, None));
                }
            }
        }
    }
}

/// Reads one process (all its threads) into tasks.
pub(super) fn read_process(pid: Pid, in_tree: bool, traced: Option<&Traced>) -> Vec<Task> {
    let tids = tids_of(pid);
    let compat = is_compat(pid);
    let mut tasks = Vec::new();
    let mut name = None;
    for &tid in &tids {
        let Some(st) = read_stat(pid, tid) else {
            continue;
        };
        let name = name
            .get_or_insert_with(|| program_name(pid, &st.comm))
            .clone();
        let wchan = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/wchan"))
            .map(|w| w.trim().to_string())
            .unwrap_or_default();
        let sc = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall"))
            .ok()
            .and_then(|t| parse_syscall(&t));
        let mut state = st.state;
        if state == 't' {
            if let Some(tr) = traced {
                // Ours: held in a group-stop, or momentarily in a ptrace-stop
                // (a signal being delivered) while blocked in a syscall that
                // will restart.
                state = if tr.group_stopped.contains(&tid) {
                    'T'
                } else if sc.is_some() {
                    'S'
                } else {
                    'R'
                };
            }
        }
        let syscall = if matches!(state, 'S' | 'D' | 'I') {
            sc.map(|(nr, args)| {
                let name = if compat {
                    syscall_name_i386(nr)
                } else {
                    syscall_name(nr)
                };
                let (path, fifo) = open_path(pid, &name, &args);
                let polled = polled_set(pid, tid, &name, &args);
                let timeout = super::timeouts::timeout(pid, tid, &name, &args, compat);
                Syscall {
                    nr,
                    name,
                    args,
                    path,
                    fifo,
                    polled,
                    timeout,
                }
            })
        } else {
            None
        };
        let signals = syscall
            .as_ref()
            .and_then(|sc| signal_masks(pid, tid, &sc.name, &sc.args));
        let mut progress = Progress {
            cpu_ticks: st.ticks,
            ..Progress::default()
        };
        if let Ok(io) = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/io")) {
            parse_io(&io, &mut progress);
        }
        let comm = crate::model::snapshot::renamed(&name, &st.comm).then(|| visible(&st.comm));
        tasks.push(Task {
            comm,
            pid,
            tid,
            ppid: st.ppid,
            pgid: st.pgid,
            name,
            state,
            wchan,
            syscall,
            progress,
            fds: Vec::new(),
            in_tree,
            signals,
        });
    }
    if let Some(first) = tasks.first_mut() {
        first.fds = fds_of(pid, &tids);
    }
    // Keep the fd table on the main thread when it is there.
    if let Some(lead) = tasks.iter().position(|t| t.tid == pid) {
        if lead != 0 {
            let fds = std::mem::take(&mut tasks[0].fds);
            tasks[lead].fds = fds;
        }
    }
    tasks
}

/// `root` and all its descendants (processes), parents first.
pub fn tree(root: Pid) -> Vec<Pid> {
    let mut kids: HashMap<Pid, Vec<Pid>> = HashMap::new();
    for pid in all_pids() {
        if let Some(st) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|t| parse_stat(&t))
        {
            kids.entry(st.ppid).or_default().push(pid);
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        if let Some(k) = kids.get(&out[i]) {
            out.extend(k.iter().copied().filter(|p| *p != root));
        }
        i += 1;
    }
    out
}

/// The pipes a blocked task waits on, each with whether it waits to write
/// (true) or to read (false): one for a read or a write, one or more for a
/// select, poll or epoll_wait on pipe ends.
fn waited_pipes(snap: &Snapshot, t: &Task) -> Vec<(String, bool)> {
    if t.syscall.is_none() {
        return Vec::new();
    }
    match waitfor::classify(snap, t) {
        Wait::ReadPipe { pipe, .. } => vec![(pipe, false)],
        Wait::WritePipe { pipe, .. } => vec![(pipe, true)],
        // The ends watched only for a hang-up wait on the other side's
        // holders too: a holder outside the tree must be seen.
        Wait::Poll { fds, hangup, .. } | Wait::Loop { fds, hangup, .. } => fds
            .into_iter()
            .chain(hangup)
            .flat_map(|f| {
                let mut v = Vec::new();
                if f.read {
                    v.push((f.pipe.clone(), false));
                }
                if f.write {
                    v.push((f.pipe, true));
                }
                v
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Pipes the blocked tasks wait on whose other end no task of the snapshot
/// holds: holders may be outside (a background job reparented to init).
fn pipes_missing_holders(snap: &Snapshot) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in &snap.tasks {
        for (pipe, write) in waited_pipes(snap, t) {
            let (readers, writers) = snap.holders(&pipe);
            let others = if write { readers } else { writers };
            if others.iter().all(|h| h.0 == t.pid) {
                out.insert(pipe);
            }
        }
    }
    out
}

/// Adds processes outside the snapshot that hold an end of `pipes`.
fn add_outside_holders(snap: &mut Snapshot, pipes: &BTreeSet<String>) {
    if pipes.is_empty() {
        return;
    }
    let known: HashSet<Pid> = snap.tasks.iter().map(|t| t.pid).collect();
    let me = std::process::id() as Pid;
    for pid in all_pids() {
        if known.contains(&pid) || pid == me {
            continue;
        }
        let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        let holds = rd.filter_map(|e| e.ok()).any(|e| {
            std::fs::read_link(e.path())
                .is_ok_and(|l| pipes.contains(&visible(&l.to_string_lossy())))
        });
        if holds {
            snap.tasks.extend(read_process(pid, false, None));
        }
    }
}

/// Measures a pipe (see the module doc for why this is safe): bytes in it
/// and capacity, only when a read end is already held by someone.
fn measure(snap: &Snapshot, id: &str) -> (Option<u64>, Option<u64>) {
    let (readers, writers) = snap.holders(id);
    let Some(&(pid, fd)) = readers.first().or(writers.first()) else {
        return (None, None);
    };
    if readers.is_empty() {
        return (None, None);
    }
    let path = format!("/proc/{pid}/fd/{fd}");
    let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(&path)
    else {
        return (None, None);
    };
    use std::os::fd::AsRawFd;
    let raw = f.as_raw_fd();
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through a valid pointer.
    let fill = (unsafe { libc::ioctl(raw, libc::FIONREAD, &mut n) } == 0).then_some(n as u64);
    // SAFETY: F_GETPIPE_SZ takes no pointer; it returns the capacity or -1.
    let cap = unsafe { libc::fcntl(raw, libc::F_GETPIPE_SZ) };
    drop(f); // closed at once: the extra reader lived for three syscalls
    (fill, (cap > 0).then_some(cap as u64))
}

/// Lists every pipe the snapshot's fds name, measured when safe and useful
/// (pipes a blocked task reads or writes).
fn fill_pipes(snap: &mut Snapshot) {
    let mut ids: Vec<String> = Vec::new();
    let mut fifo: HashSet<String> = HashSet::new();
    for t in &snap.tasks {
        for f in &t.fds {
            if let Some(p) = &f.pipe {
                if !ids.contains(p) {
                    ids.push(p.clone());
                }
                if !p.starts_with("pipe:[") {
                    fifo.insert(p.clone());
                }
            }
        }
    }
    let waited: HashSet<String> = snap
        .tasks
        .iter()
        .flat_map(|t| waited_pipes(snap, t))
        .map(|(p, _)| p)
        .collect();
    let pipes = ids
        .into_iter()
        .map(|id| {
            let (fill, capacity) = if waited.contains(&id) {
                measure(snap, &id)
            } else {
                (None, None)
            };
            PipeInfo {
                fifo: fifo.contains(&id),
                id,
                fill,
                capacity,
            }
        })
        .collect();
    snap.pipes = pipes;
}

fn finish(mut snap: Snapshot) -> Snapshot {
    super::channels::add_channels(&mut snap);
    let missing = pipes_missing_holders(&snap);
    add_outside_holders(&mut snap, &missing);
    fill_pipes(&mut snap);
    super::locks::add_locks(&mut snap);
    snap
}

/// A snapshot of `root` and all its descendants, plus any process outside
/// that holds the other end of a pipe one of them is blocked on.
pub fn snapshot_tree(root: Pid) -> Result<Snapshot, LiveError> {
    // A thread id stands for its process.
    let root = std::fs::read_to_string(format!("/proc/{root}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Tgid:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .ok_or(LiveError::NoSuchProcess { pid: root })?;
    let mut tasks = Vec::new();
    for pid in tree(root) {
        tasks.extend(read_process(pid, true, None));
    }
    if tasks.is_empty() {
        return Err(LiveError::NoSuchProcess { pid: root });
    }
    Ok(finish(Snapshot {
        root,
        tasks,
        pipes: Vec::new(),
        locks: Vec::new(),
    }))
}

/// A snapshot of the processes forkscope traces (`pids`: their thread group
/// ids), `root` being the first traced process.
pub fn snapshot_traced(root: Pid, pids: &[Pid], traced: &Traced) -> Snapshot {
    let mut seen = HashSet::new();
    let mut tasks = Vec::new();
    for &pid in pids {
        if seen.insert(pid) {
            tasks.extend(read_process(pid, true, Some(traced)));
        }
    }
    add_exited_children(&mut tasks, &mut seen);
    finish(Snapshot {
        root,
        tasks,
        pipes: Vec::new(),
        locks: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_even_with_spaces_and_parens_in_the_name() {
        let s = parse_stat("42 (a (b) c) S 1 42 42 0 -1 4194304 1 0 0 0 7 5 0 0 20 0 1 0 1 1 1")
            .unwrap();
        assert_eq!(s.comm, "a (b) c");
        assert_eq!(s.state, 'S');
        assert_eq!((s.ppid, s.pgid, s.ticks), (1, 42, 12));
    }

    #[test]
    fn syscall_lines_parse_blocked_and_running() {
        let (nr, a) = parse_syscall(
            "0 0x3 0x7fb6e38cc000 0x20000 0x7fb6e395eb60 0xffffffff 0x0 0x7ffec68ee8a8 0x7fb6e3a472ad",
        )
        .unwrap();
        assert_eq!(nr, 0);
        assert_eq!(a[0], 3);
        assert_eq!(a[4], 0xffff_ffff);
        assert!(parse_syscall("running").is_none());
        assert!(parse_syscall("-1 0x7ffe 0x7fb6").is_none());
        #[allow(clippy::unnecessary_cast)] // c_long is 32 bits on 32-bit targets
        let wait4 = libc::SYS_wait4 as i64;
        assert_eq!(syscall_name(wait4), "wait4");
        assert_eq!(syscall_name(100_000), "syscall_100000");
    }

    #[test]
    fn epoll_fdinfo_items_parse_with_their_events_and_inodes() {
        let info = "pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1057\n\
                    tfd:        5 events:       19 data:                5  pos:0 ino:1a5f3 sdev:d\n\
                    tfd:        7 events:        4 data:       7ffc00000007  pos:0 ino:1a5f4 sdev:d\n";
        assert_eq!(
            parse_epoll_fdinfo(info),
            Some(vec![(5, 0x19, 0x1a5f3), (7, 4, 0x1a5f4)])
        );
        assert_eq!(parse_epoll_fdinfo("pos:\t0\n"), Some(vec![]));
        assert_eq!(parse_epoll_fdinfo("tfd: x events: 1 ino:1\n"), None);
    }

    #[test]
    fn an_untimed_poll_on_a_pipe_is_read_from_the_task_with_its_fds() {
        use std::os::fd::AsRawFd;
        // A child in poll(POLLIN) on a pipe whose write end we hold, and
        // on nothing else (the test's own fds are closed in it).
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let mut child = std::process::Command::new("python3")
            .args([
                "-c",
                "import select, sys; p = select.poll(); p.register(0, select.POLLIN); p.poll()",
            ])
            .stdin(std::process::Stdio::from(r))
            .spawn()
            .unwrap();
        let pid = child.id() as Pid;
        let mut seen = None;
        for _ in 0..300 {
            let s = snapshot_tree(pid).unwrap();
            if let Some(sc) = s.task(pid).and_then(|t| t.syscall.clone()) {
                if sc.name.contains("poll") {
                    seen = Some((s, sc));
                    break;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        let (s, sc) = seen.expect("python blocks in poll");
        assert_eq!(
            sc.polled,
            Some(vec![Polled {
                fd: 0,
                read: true,
                write: false
            }]),
            "{sc:?}"
        );
        let t = s.task(pid).unwrap();
        assert!(matches!(waitfor::classify(&s, t), Wait::Poll { .. }));
        assert!(w.as_raw_fd() > 2);
    }

    #[test]
    fn a_pipe_reader_is_seen_blocked_with_an_empty_pipe_and_the_writer_named() {
        use std::os::fd::AsRawFd;
        // cat reading a pipe whose write end we hold (close-on-exec, so
        // that cat does not inherit the write end and wait for itself).
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        struct Kill(std::process::Child);
        impl Drop for Kill {
            fn drop(&mut self) {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
        let child = Kill(
            std::process::Command::new("cat")
                .stdin(std::process::Stdio::from(r))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap(),
        );
        let pid = child.0.id() as Pid;
        // Wait until it blocks in read.
        let mut snap = None;
        for _ in 0..200 {
            let s = snapshot_tree(pid).unwrap();
            if s.task(pid)
                .and_then(|t| t.syscall.as_ref())
                .is_some_and(|sc| sc.name == "read")
            {
                snap = Some(s);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let s = snap.expect("cat blocks in read");
        let t = s.task(pid).unwrap();
        assert_eq!(t.name, "cat");
        let fd0 = s.fds(pid).iter().find(|f| f.fd == 0).unwrap();
        assert_eq!(fd0.access, Access::Read);
        let pipe = fd0.pipe.clone().unwrap();
        // The write end is ours (forkscope never lists itself as a holder).
        let p = s.pipe(&pipe).unwrap();
        assert_eq!(p.fill, Some(0));
        assert_eq!(p.capacity, Some(65536));
        assert!(w.as_raw_fd() > 2);
        let ends = s.fds(pid).iter().filter(|f| f.pipe.as_ref() == Some(&pipe));
        assert_eq!(ends.count(), 1, "cat holds only its stdin end");
        drop(w);
        drop(child);
    }
}
