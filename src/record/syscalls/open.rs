//! open, openat, openat2 and creat: the path is read at entry (the tracee may
//! reuse its buffer), the new fd and what the kernel says it refers to at exit.

use super::{errno_of, Call, Entry, Pending, Saved, SysResult};
use crate::record::{mem, procfs, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::EventKind;
use nix::unistd::Pid;

/// Reads the path.
pub fn entry(_t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    let at = match call.sys {
        Sys::Open | Sys::Creat => 0,
        _ => 1,
    };
    let path = mem::read_cstr(Pid::from_raw(pid), call.args[at]).unwrap_or_default();
    Ok(Entry::AwaitExit(Pending {
        call,
        saved: Saved::Path(path),
    }))
}

/// Records the open.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let c = p.call;
    let Saved::Path(path) = p.saved else {
        return Ok(());
    };
    let flags = match c.sys {
        Sys::Open => c.args[1],
        Sys::Creat => (libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u64,
        Sys::Openat => c.args[2],
        // openat2(dirfd, path, struct open_how *how, size): how->flags is the first u64.
        _ => {
            let mut b = [0u8; 8];
            match mem::read_bytes(Pid::from_raw(pid), c.args[2], &mut b) {
                Ok(8) => u64::from_ne_bytes(b),
                _ => 0,
            }
        }
    } as i32;
    let dirfd = match c.sys {
        Sys::Openat | Sys::Openat2 if c.int(0) != libc::AT_FDCWD => Some(c.int(0)),
        _ => None,
    };
    let fd = res.map(|v| v as i32).unwrap_or(-1);
    // What was opened, when it is not a plain file: a FIFO is recorded as
    // `pipe:[INODE]` (its /proc link shows only its path, so it is stat'ed),
    // which is how replay joins it to the other processes' ends of the same
    // FIFO; sockets and anonymous inodes keep the kernel's name.
    let target = if fd >= 0 {
        procfs::fd_kind_target(pid, fd)
    } else {
        None
    };
    t.emit(
        pid,
        EventKind::Open {
            fd,
            path,
            flags: open_flags(flags),
            dirfd,
            target,
            errno: errno_of(res),
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
