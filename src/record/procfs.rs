//! What the kernel says about a tracee, from /proc: its fd table (targets and
//! close-on-exec flags), one fd's target, its working directory.

use crate::trace::{FdEntry, RawStr};
use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// O_CLOEXEC as shown in the octal `flags:` line of /proc/PID/fdinfo/N.
const FDINFO_O_CLOEXEC: u64 = 0o2000000;

/// The target of `/proc/PID/fd/FD` (`/dev/pts/0`, `pipe:[1234]`).
pub fn fd_target(pid: i32, fd: i32) -> Option<RawStr> {
    let link = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    Some(RawStr(link.as_os_str().as_bytes().to_vec()))
}

/// What fd `fd` of `pid` refers to when it is not a plain file or
/// directory: `pipe:[INODE]` for pipes and FIFOs (one stat through the /proc
/// link), else the link's text for sockets and anonymous inodes. `None` for
/// files, directories and devices, whose path is what was opened.
pub fn fd_kind_target(pid: i32, fd: i32) -> Option<RawStr> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let link = format!("/proc/{pid}/fd/{fd}");
    let md = std::fs::metadata(&link).ok()?;
    let ft = md.file_type();
    if ft.is_fifo() {
        return Some(RawStr(format!("pipe:[{}]", md.ino()).into_bytes()));
    }
    if ft.is_file() || ft.is_dir() || ft.is_char_device() || ft.is_block_device() {
        return None;
    }
    fd_target(pid, fd).filter(|t| t.as_bytes().first() != Some(&b'/'))
}

/// [`fd_kind_target`] and the link's text (what the kernel calls the fd),
/// with one stat and one readlink.
pub fn fd_kind_and_name(pid: i32, fd: i32) -> (Option<RawStr>, Option<RawStr>) {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let link = format!("/proc/{pid}/fd/{fd}");
    let name = std::fs::read_link(&link)
        .ok()
        .map(|l| RawStr(l.as_os_str().as_bytes().to_vec()));
    let Ok(md) = std::fs::metadata(&link) else {
        return (None, name);
    };
    let ft = md.file_type();
    if ft.is_fifo() {
        return (
            Some(RawStr(format!("pipe:[{}]", md.ino()).into_bytes())),
            name,
        );
    }
    if ft.is_file() || ft.is_dir() || ft.is_char_device() || ft.is_block_device() {
        return (None, name);
    }
    let target = name.clone().filter(|t| t.as_bytes().first() != Some(&b'/'));
    (target, name)
}

/// Kernel names of files opened before, by the absolute path the program
/// passed and the file that path reached: see [`fd_kind_and_name_cached`].
#[derive(Debug, Default)]
pub struct NameCache {
    names: HashMap<NameKey, RawStr>,
}

/// (path as passed, st_dev, st_ino, mount id, ctime) of an opened file.
type NameKey = (Vec<u8>, u64, u64, u64, (i64, u32));

/// Bound on [`NameCache`]'s entries (it is emptied when full).
const NAME_CACHE_MAX: usize = 4096;

/// What one statx through `/proc/PID/fd/FD` says of the open file.
struct FdStat {
    mode: u32,
    dev: u64,
    ino: u64,
    /// The mount's id, when the kernel gives it (STATX_MNT_ID, Linux 5.8).
    mnt_id: Option<u64>,
    /// The inode's change time (seconds, nanoseconds).
    ctime: (i64, u32),
    /// The kernel filled in `ctime`.
    ctime_ok: bool,
}

fn fd_statx(link: &std::ffi::CStr) -> Option<FdStat> {
    const STATX_MNT_ID: u32 = 0x1000;
    // SAFETY: statx writes only into `sx`, a zeroed statx struct of ours;
    // `link` is a NUL-terminated path that outlives the call.
    let mut sx: libc::statx = unsafe { std::mem::zeroed() };
    let r = unsafe {
        libc::statx(
            libc::AT_FDCWD,
            link.as_ptr(),
            0,
            libc::STATX_TYPE | libc::STATX_INO | libc::STATX_CTIME | STATX_MNT_ID,
            &mut sx,
        )
    };
    if r != 0 || sx.stx_mask & libc::STATX_TYPE == 0 {
        return None;
    }
    Some(FdStat {
        mode: sx.stx_mode as u32,
        dev: libc::makedev(sx.stx_dev_major, sx.stx_dev_minor),
        ino: sx.stx_ino,
        mnt_id: (sx.stx_mask & STATX_MNT_ID != 0).then_some(sx.stx_mnt_id),
        ctime: (sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec),
        ctime_ok: sx.stx_mask & libc::STATX_CTIME != 0,
    })
}

/// [`fd_kind_and_name`] for the fd an open of `path` just returned, with
/// one statx, and the readlink only when `cache` does not know the name.
///
/// What the kernel calls a file (`d_path` of the dentry and mount the open
/// reached, as the process's root sees it) is fixed by what the path
/// resolved to: the same absolute path reaching the same inode, unchanged
/// since (same ctime: a rename or a new hard link changes it), on the same
/// mount names the same file, so a loop that opens the same locale files in
/// every process reads each name once. Kept only for absolute paths (a
/// relative one also depends on the cwd or dirfd) and for plain files,
/// directories and devices (a FIFO's readlink is kept: it is rare). The one
/// case it misses: a file with two hard links made before it was first
/// opened, and a symlink on the path moved from one link to the other; the
/// first link's name is recorded then (see docs/trace-format.md).
pub fn fd_kind_and_name_cached(
    pid: i32,
    fd: i32,
    path: &[u8],
    cache: &mut NameCache,
) -> (Option<RawStr>, Option<RawStr>) {
    let link = format!("/proc/{pid}/fd/{fd}");
    let Ok(c_link) = std::ffi::CString::new(link.clone()) else {
        return fd_kind_and_name(pid, fd);
    };
    let Some(st) = fd_statx(&c_link) else {
        return fd_kind_and_name(pid, fd);
    };
    let fmt = st.mode & libc::S_IFMT;
    let plain = matches!(
        fmt,
        libc::S_IFREG | libc::S_IFDIR | libc::S_IFCHR | libc::S_IFBLK
    );
    let read_name = || {
        std::fs::read_link(&link)
            .ok()
            .map(|l| RawStr(l.as_os_str().as_bytes().to_vec()))
    };
    if fmt == libc::S_IFIFO {
        return (
            Some(RawStr(format!("pipe:[{}]", st.ino).into_bytes())),
            read_name(),
        );
    }
    if !plain {
        let name = read_name();
        let target = name.clone().filter(|t| t.as_bytes().first() != Some(&b'/'));
        return (target, name);
    }
    let (true, Some(mnt_id), true) = (path.first() == Some(&b'/'), st.mnt_id, st.ctime_ok) else {
        return (None, read_name());
    };
    let key = (path.to_vec(), st.dev, st.ino, mnt_id, st.ctime);
    if let Some(name) = cache.names.get(&key) {
        return (None, Some(name.clone()));
    }
    let name = read_name();
    if let Some(n) = name
        .as_ref()
        .filter(|n| !n.as_bytes().ends_with(b" (deleted)"))
    {
        if cache.names.len() >= NAME_CACHE_MAX {
            cache.names.clear();
        }
        cache.names.insert(key, n.clone());
    }
    (None, name)
}

/// The `flags:` word of /proc/PID/fdinfo/FD: the open file's status flags,
/// plus O_CLOEXEC standing for the fd's FD_CLOEXEC.
pub fn fd_flags(pid: i32, fd: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    let flags = text.lines().find_map(|l| l.strip_prefix("flags:"))?.trim();
    u64::from_str_radix(flags, 8).ok()
}

/// Is FD_CLOEXEC set on `fd` of `pid`?
pub fn fd_cloexec(pid: i32, fd: i32) -> Option<bool> {
    fd_flags(pid, fd).map(|v| v & FDINFO_O_CLOEXEC != 0)
}

/// Do `a` and `b` of `pid` refer to the same open file description?
/// kcmp(2) with KCMP_FILE; None when the kernel cannot tell (no kcmp).
fn same_file(pid: i32, a: i32, b: i32) -> Option<bool> {
    same_file_across((pid, a), (pid, b))
}

/// Do fd `a.1` of process `a.0` and fd `b.1` of process `b.0` refer to the
/// same open file description? As `same_file`, across processes.
pub fn same_file_across(a: (i32, i32), b: (i32, i32)) -> Option<bool> {
    const KCMP_FILE: libc::c_long = 0;
    // SAFETY: kcmp takes only integers; it reads no memory of ours.
    let r = unsafe {
        libc::syscall(
            libc::SYS_kcmp,
            a.0 as libc::c_long,
            b.0 as libc::c_long,
            KCMP_FILE,
            a.1 as libc::c_long,
            b.1 as libc::c_long,
        )
    };
    (r >= 0).then_some(r == 0)
}

/// The fd tables of attached processes (parents before children), each as
/// [`fd_table_full`], with each fd that shares its open file description
/// with an fd of an earlier process pointing at it (`same_as_pid`).
pub fn fd_tables_across(pids: &[i32]) -> Vec<Vec<FdEntry>> {
    let mut tables: Vec<Vec<FdEntry>> = pids.iter().map(|&p| fd_table_full(p)).collect();
    for i in 1..tables.len() {
        let (earlier, rest) = tables.split_at_mut(i);
        for e in rest[0].iter_mut().filter(|e| e.same_as.is_none()) {
            // Only an fd's first holder is a target: the others name it.
            let found = earlier.iter().zip(pids).find_map(|(t, &p)| {
                t.iter()
                    .filter(|h| h.same_as.is_none() && h.target == e.target)
                    .find(|h| same_file_across((p, h.fd), (pids[i], e.fd)) == Some(true))
                    .map(|h| (p, h.fd))
            });
            if let Some((p, fd)) = found {
                e.same_as = Some(fd);
                e.same_as_pid = Some(p);
            }
        }
    }
    tables
}

/// The full fd table of a process about to run the command: targets, flags,
/// close-on-exec, and which fds share one open file description. Costs a few
/// reads per fd; used once, for the `spawn` event.
pub fn fd_table_full(pid: i32) -> Vec<FdEntry> {
    let mut t = fd_table(pid, false);
    // An fd whose fdinfo cannot be read was closed after the directory was
    // listed (the child may be closing forkscope's close-on-exec sync pipe
    // as we look): it is not part of the table the program will start with.
    t.retain_mut(|e| match fd_flags(pid, e.fd) {
        Some(f) => {
            e.cloexec = f & FDINFO_O_CLOEXEC != 0;
            e.flags = Some(crate::record::syscalls::open::open_flags(
                (f & !FDINFO_O_CLOEXEC) as i32,
            ));
            true
        }
        None => false,
    });
    if t.len() <= 256 {
        for i in 0..t.len() {
            let (head, rest) = t.split_at_mut(i);
            let e = &mut rest[0];
            e.same_as = head
                .iter()
                .filter(|h| h.same_as.is_none() && h.target == e.target)
                .find(|h| same_file(pid, h.fd, e.fd) == Some(true))
                .map(|h| h.fd);
        }
    }
    t
}

/// The fd table of a new child `child` that its parent's task `parent`
/// just forked, read while the child is stopped before it runs: each fd as
/// [`fd_table_full`], and one that is still the same open file description
/// as the parent's fd of the same number (kcmp KCMP_FILE) names it
/// (`same_as` = that fd, `same_as_pid` = `parent`). Costs a few reads per
/// fd; taken only for forks from a shared fd table (see
/// `syscalls::process::created`).
pub fn fork_fd_table(child: i32, parent: i32) -> Vec<FdEntry> {
    let mut t = fd_table_full(child);
    for e in &mut t {
        let parent_has = fd_target(parent, e.fd).is_some_and(|p| p == e.target);
        if parent_has && same_file_across((child, e.fd), (parent, e.fd)) == Some(true) {
            e.same_as = Some(e.fd);
            e.same_as_pid = Some(parent);
        }
    }
    t
}

/// The fd table of `pid` (targets only), sorted by fd. With `flags`, each
/// fd's close-on-exec flag is read from fdinfo as well (one more read per fd).
pub fn fd_table(pid: i32, flags: bool) -> Vec<FdEntry> {
    try_fd_table(pid, flags).unwrap_or_default()
}

/// As [`fd_table`], with the error when /proc/PID/fd cannot be listed (a
/// non-dumpable process under an unprivileged tracer: EACCES) or any of its
/// links read (EPERM, EACCES), rather than a table that looks empty.
pub fn try_fd_table(pid: i32, flags: bool) -> std::io::Result<Vec<FdEntry>> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd"))?;
    let mut denied = None;
    let out = fd_table_of(pid, flags, dir, &mut denied);
    match denied {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn fd_table_of(
    pid: i32,
    flags: bool,
    dir: std::fs::ReadDir,
    denied: &mut Option<std::io::Error>,
) -> Vec<FdEntry> {
    let mut out: Vec<FdEntry> = dir
        .filter_map(|e| {
            let e = e.ok()?;
            let fd: i32 = e.file_name().to_str()?.parse().ok()?;
            let target = match std::fs::read_link(format!("/proc/{pid}/fd/{fd}")) {
                Ok(l) => RawStr(l.as_os_str().as_bytes().to_vec()),
                Err(e) => {
                    if matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES)) {
                        denied.get_or_insert(e);
                    }
                    return None;
                }
            };
            let cloexec = flags && fd_cloexec(pid, fd).unwrap_or(false);
            Some(FdEntry {
                fd,
                target,
                cloexec,
                flags: None,
                same_as: None,
                same_as_pid: None,
            })
        })
        .collect();
    out.sort_by_key(|e| e.fd);
    out
}

/// Will task `tid` end without another ptrace stop? True when it is gone
/// or a zombie, or has SIGKILL pending (another thread's exit_group sent it:
/// a task with a fatal signal pending does not stop at PTRACE_EVENT_EXIT).
pub fn dying(tid: i32) -> bool {
    // PF_EXITING (0x4 in the flags, the 9th field of /proc/TID/stat): the
    // task is already in do_exit. A thread killed by another's exit_group
    // dequeues its SIGKILL and may skip its PTRACE_EVENT_EXIT stop (a fatal
    // signal makes ptrace_stop return at once), so SigPnd alone misses it.
    const PF_EXITING: u64 = 0x4;
    if let Ok(stat) = std::fs::read_to_string(format!("/proc/{tid}/stat")) {
        // The fields after the command name, which is in parentheses and may
        // hold spaces: state is field 3, flags field 9.
        let flags = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(6))
            .and_then(|f| f.parse::<u64>().ok());
        if flags.is_some_and(|f| f & PF_EXITING != 0) {
            return true;
        }
    }
    let Ok(status) = std::fs::read_to_string(format!("/proc/{tid}/status")) else {
        return true;
    };
    let sigkill = 1u64 << (libc::SIGKILL - 1);
    status.lines().any(|l| {
        if let Some(state) = l.strip_prefix("State:") {
            let state = state.trim_start();
            return state.starts_with('Z') || state.starts_with('X');
        }
        l.strip_prefix("SigPnd:")
            .or_else(|| l.strip_prefix("ShdPnd:"))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .is_some_and(|mask| mask & sigkill != 0)
    })
}

/// The parent process of `pid` (the `PPid:` line of /proc/PID/status).
pub fn ppid(pid: i32) -> Option<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))?
        .trim()
        .parse()
        .ok()
}

/// The argv\[0\] of `pid` as its /proc cmdline shows it (empty when the
/// process is gone or unreadable).
pub fn argv0(pid: i32) -> Vec<u8> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let first = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    first.to_vec()
}

/// The working directory of `pid`.
pub fn cwd(pid: i32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/cwd")).ok()
}

/// `path` as seen by `pid`: relative paths are resolved against its cwd (or
/// against `dirfd` when given), through /proc so mount namespaces agree.
pub fn resolve(pid: i32, dirfd: Option<i32>, path: &[u8]) -> PathBuf {
    use std::ffi::OsStr;
    let p = OsStr::from_bytes(path);
    if path.first() == Some(&b'/') {
        return PathBuf::from(format!("/proc/{pid}/root")).join(
            std::path::Path::new(p)
                .strip_prefix("/")
                .unwrap_or(std::path::Path::new(p)),
        );
    }
    match dirfd {
        Some(fd) => PathBuf::from(format!("/proc/{pid}/fd/{fd}")).join(p),
        None => PathBuf::from(format!("/proc/{pid}/cwd")).join(p),
    }
}

/// The name task `tid` gave itself (/proc/TID/comm without its newline), or
/// `None` once /proc no longer shows it. Read once per exit (a zombie still
/// has its comm until it is reaped), never per syscall.
pub fn comm(tid: i32) -> Option<RawStr> {
    let mut c = std::fs::read(format!("/proc/{tid}/comm")).ok()?;
    if c.last() == Some(&b'\n') {
        c.pop();
    }
    (!c.is_empty()).then_some(RawStr(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_fd_table_lists_stdio_and_knows_cloexec() {
        let me = std::process::id() as i32;
        let f = std::fs::File::open("/proc/self/status").unwrap(); // O_CLOEXEC from std
        use std::os::fd::AsRawFd;
        let fd = f.as_raw_fd();
        let t = fd_table(me, true);
        let e = t.iter().find(|e| e.fd == fd).expect("the file we opened");
        assert!(e.cloexec);
        assert!(e.target.lossy().ends_with("/status"), "{:?}", e.target);
    }

    #[test]
    fn a_fifo_is_named_by_its_inode_and_a_file_by_nothing() {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::MetadataExt;
        let me = std::process::id() as i32;
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("f");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        // O_RDWR does not block on a FIFO (Linux).
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo)
            .unwrap();
        let ino = std::fs::metadata(&fifo).unwrap().ino();
        let t = fd_kind_target(me, f.as_raw_fd()).unwrap();
        assert_eq!(t.lossy(), format!("pipe:[{ino}]"));
        let plain = std::fs::File::open("/etc/hostname").unwrap();
        assert_eq!(fd_kind_target(me, plain.as_raw_fd()), None);
    }

    #[test]
    fn the_full_table_knows_flags_and_which_fds_share_a_description() {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        let me = std::process::id() as i32;
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open("/dev/null")
            .unwrap();
        // SAFETY: dup of an fd we own; the result is owned by `g`.
        let g = unsafe { OwnedFd::from_raw_fd(libc::dup(f.as_raw_fd())) };
        let t = fd_table_full(me);
        let a = t.iter().find(|e| e.fd == f.as_raw_fd()).unwrap();
        let b = t.iter().find(|e| e.fd == g.as_raw_fd()).unwrap();
        assert_eq!(a.flags.as_deref(), Some("O_WRONLY|O_APPEND|O_LARGEFILE"));
        // dup gives the lowest free fd, which may be below `f`'s when another
        // test thread closed one meanwhile: the higher names the lower.
        let (low, high) = if a.fd < b.fd { (a, b) } else { (b, a) };
        assert_eq!(high.same_as, Some(low.fd));
        assert!(low.same_as.is_none());
    }
}
