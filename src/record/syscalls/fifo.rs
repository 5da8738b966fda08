//! mknod/mknodat (what mkfifo(3) calls): only FIFOs are recorded, with
//! mknodat's dirfd when the path is relative to a directory fd.

use super::{errno_of, Call, Entry, Pending, Saved, SysResult};
use crate::record::{mem, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::EventKind;
use nix::unistd::Pid;

/// Reads the path if a FIFO is being made.
pub fn entry(_t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    let (path_at, mode_at) = if call.sys == Sys::Mknod {
        (0, 1)
    } else {
        (1, 2)
    };
    if call.args[mode_at] as u32 & libc::S_IFMT != libc::S_IFIFO {
        return Ok(Entry::Done);
    }
    let path = mem::read_cstr(Pid::from_raw(pid), call.args[path_at]).unwrap_or_default();
    Ok(Entry::AwaitExit(Pending {
        call,
        saved: Saved::Path(path),
    }))
}

/// Records the FIFO.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let Saved::Path(path) = p.saved else {
        return Ok(());
    };
    let c = p.call;
    let dirfd = (c.sys == Sys::Mknodat && c.int(0) != libc::AT_FDCWD).then(|| c.int(0));
    t.emit(
        pid,
        EventKind::Mkfifo {
            path,
            dirfd,
            ok: res.is_ok(),
            errno: errno_of(res),
        },
    )
}
