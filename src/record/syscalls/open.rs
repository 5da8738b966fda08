//! open, openat, openat2 and creat: the path is read at entry (the tracee may
//! reuse its buffer), the new fd and what the kernel says it refers to at exit.

use super::{errno_of, Call, Entry, Pending, Saved, SysResult};
use crate::record::{mem, procfs, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::{EventKind, RawStr};
use nix::unistd::Pid;

/// What an open's entry read from the tracee.
#[derive(Debug)]
pub struct Args {
    /// The path (empty when unreadable).
    path: RawStr,
    /// openat2: `how->flags`, when the kernel accepts the struct and it
    /// could be read.
    how_flags: Option<u64>,
    /// openat2: the kernel rejects the `how` struct (size or trailing bytes).
    how_rejected: bool,
    /// What could not be read: `path`, `how`.
    unreadable: Vec<String>,
}

/// `OPEN_HOW_SIZE_VER0` from <linux/openat2.h>: the smallest `struct
/// open_how` the kernel accepts, and the part of it forkscope reads.
const OPEN_HOW_SIZE_VER0: u64 = 24;

/// Reads the path, and openat2's `how` as the kernel will see it.
pub fn entry(_t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    let at = match call.sys {
        Sys::Open | Sys::Creat => 0,
        _ => 1,
    };
    let tracee = Pid::from_raw(pid);
    let mut unreadable = Vec::new();
    let path = match mem::read_cstr(tracee, call.args[at]) {
        Ok(p) => p,
        Err(e) => {
            mem::warn_unreadable(pid, e);
            unreadable.push("path".to_string());
            RawStr::default()
        }
    };
    let (mut how_flags, mut how_rejected) = (None, false);
    if call.sys == Sys::Openat2 {
        match read_how(tracee, call.args[2], call.args[3]) {
            How::Flags(f) => how_flags = Some(f),
            How::Rejected => how_rejected = true,
            How::Unreadable(e) => {
                mem::warn_unreadable(pid, e);
                unreadable.push("how".to_string());
            }
        }
    }
    Ok(Entry::AwaitExit(Pending {
        call,
        saved: Saved::Open(Args {
            path,
            how_flags,
            how_rejected,
            unreadable,
        }),
    }))
}

/// openat2's `struct open_how` as the kernel takes it.
enum How {
    Flags(u64),
    /// EINVAL (size below VER0) or E2BIG (above a page, or non-zero bytes
    /// past the fields this kernel knows), as `copy_struct_from_user()`.
    Rejected,
    Unreadable(nix::errno::Errno),
}

fn read_how(pid: Pid, addr: u64, size: u64) -> How {
    if !(OPEN_HOW_SIZE_VER0..=4096).contains(&size) {
        return How::Rejected;
    }
    let mut b = [0u8; 4096];
    let want = size as usize;
    match mem::read_bytes(pid, addr, &mut b[..want]) {
        Ok(n) if n == want => {}
        Ok(_) => return How::Unreadable(nix::errno::Errno::EFAULT),
        Err(e) => return How::Unreadable(e),
    }
    // This kernel's struct may be larger than VER0 (then forkscope cannot
    // tell its new fields' rules); a non-zero byte past the 24 known here
    // is rejected by kernels that know only VER0, which is all there is.
    if b[OPEN_HOW_SIZE_VER0 as usize..want].iter().any(|&x| x != 0) {
        return How::Rejected;
    }
    How::Flags(u64::from_ne_bytes(b[..8].try_into().unwrap_or_default()))
}

/// Records the open.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let c = p.call;
    let Saved::Open(args) = p.saved else {
        return Ok(());
    };
    let Args {
        path,
        how_flags,
        how_rejected,
        unreadable,
    } = args;
    let flags = match c.sys {
        Sys::Open => Some(c.args[1]),
        Sys::Creat => Some((libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u64),
        Sys::Openat => Some(c.args[2]),
        _ => how_flags,
    };
    let dirfd = match c.sys {
        Sys::Openat | Sys::Openat2 if c.int(0) != libc::AT_FDCWD => Some(c.int(0)),
        _ => None,
    };
    let fd = res.map(|v| v as i32).unwrap_or(-1);
    // What was opened, when it is not a plain file: a FIFO is recorded as
    // `pipe:[INODE]` (its /proc link shows only its path, so it is stat'ed),
    // which is how replay joins it to the other processes' ends of the same
    // FIFO; sockets and anonymous inodes keep the kernel's name. And what
    // the kernel calls the fd (one readlink), when that is not the path as
    // passed: `--verify` compares later snapshots with it, not with the path.
    let (target, kernel_name) = if fd >= 0 {
        let (target, name) =
            procfs::fd_kind_and_name_cached(pid, fd, path.as_bytes(), &mut t.names);
        let name = name.filter(|n| *n != path && Some(n) != target.as_ref());
        (target, name)
    } else {
        (None, None)
    };
    super::comm_file::opened(
        &mut t.comm_files,
        pid,
        fd,
        kernel_name.as_ref().unwrap_or(&path),
        flags,
    );
    t.emit(
        pid,
        EventKind::Open {
            fd,
            path,
            flags: flags.map_or_else(String::new, |f| open_flags(f as i32)),
            dirfd,
            target,
            errno: errno_of(res),
            kernel_name,
            how_rejected,
            unreadable,
        },
    )
}

/// The kernel's O_LARGEFILE bit. libc defines O_LARGEFILE as 0 on 64-bit
/// targets, but the kernel sets the bit on every open file there, and
/// fdinfo shows it.
#[cfg(target_arch = "x86_64")]
const O_LARGEFILE_KERNEL: i32 = 0o100000;
#[cfg(not(target_arch = "x86_64"))]
const O_LARGEFILE_KERNEL: i32 = 0o400000;

/// `O_WRONLY|O_CREAT|O_CLOEXEC`-style names for open flags.
pub fn open_flags(f: i32) -> String {
    let mut out = String::from(match f & libc::O_ACCMODE {
        libc::O_RDONLY => "O_RDONLY",
        libc::O_WRONLY => "O_WRONLY",
        libc::O_RDWR => "O_RDWR",
        _ => "O_ACCMODE",
    });
    const NAMES: &[(i32, &str)] = &[
        (libc::O_CREAT, "O_CREAT"),
        (libc::O_EXCL, "O_EXCL"),
        (libc::O_NOCTTY, "O_NOCTTY"),
        (libc::O_TRUNC, "O_TRUNC"),
        (libc::O_APPEND, "O_APPEND"),
        (libc::O_NONBLOCK, "O_NONBLOCK"),
        (libc::O_DSYNC, "O_DSYNC"),
        (libc::O_DIRECT, "O_DIRECT"),
        (O_LARGEFILE_KERNEL, "O_LARGEFILE"),
        (libc::O_DIRECTORY, "O_DIRECTORY"),
        (libc::O_NOFOLLOW, "O_NOFOLLOW"),
        (libc::O_NOATIME, "O_NOATIME"),
        (libc::O_CLOEXEC, "O_CLOEXEC"),
        (libc::O_PATH, "O_PATH"),
        (libc::O_TMPFILE & !libc::O_DIRECTORY, "O_TMPFILE"),
    ];
    let mut rest = f & !libc::O_ACCMODE;
    // O_SYNC includes O_DSYNC's bit.
    if rest & libc::O_SYNC == libc::O_SYNC {
        out.push_str("|O_SYNC");
        rest &= !libc::O_SYNC;
    }
    for (bit, name) in NAMES {
        if rest & bit == *bit && *bit != 0 {
            out.push('|');
            out.push_str(name);
            rest &= !bit;
        }
    }
    if rest != 0 {
        out.push_str(&format!("|{rest:#o}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_read_like_strace() {
        assert_eq!(open_flags(libc::O_RDONLY), "O_RDONLY");
        assert_eq!(
            open_flags(libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC),
            "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC"
        );
        assert_eq!(
            open_flags(libc::O_RDWR | libc::O_NONBLOCK),
            "O_RDWR|O_NONBLOCK"
        );
    }
}
