//! prctl(PR_SET_NAME): the name a task gives itself (its comm, what `ps`
//! and /proc/PID/comm show). The seccomp filter stops on prctl only for
//! this option, so every other prctl runs free.
//!
//! prctl(2): "PR_SET_NAME: Set the name of the calling thread, using the
//! value in the location pointed to by (char *) arg2. The name can be up to
//! 16 bytes long, including the terminating null byte. (If the length of
//! the string, including the terminating null byte, exceeds 16 bytes, the
//! string is silently truncated.)" The kernel copies at most 15 bytes
//! (strncpy_from_user into `comm`), so the name is read at the exit stop,
//! cut the same way.

use super::{errno_of, Call, Entry, Pending, Saved, SysResult};
use crate::record::{mem, procfs, tracer::Tracer, RecordError};
use crate::trace::{EventKind, RawStr};
use nix::unistd::Pid;

/// TASK_COMM_LEN - 1: the most bytes of a name the kernel keeps.
const COMM_MAX: usize = 15;

/// Waits for the result: a failed call renamed nothing.
pub fn entry(_t: &mut Tracer, _pid: i32, call: Call) -> Result<Entry, RecordError> {
    if call.args[0] as u32 != libc::PR_SET_NAME as u32 {
        return Ok(Entry::Done);
    }
    Ok(Entry::exit(call, Saved::Nothing))
}

/// Records the name as the kernel kept it.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let mut name = read_name(pid, p.call.args[1]);
    if name.is_none() && res.is_ok() {
        // Memory closed to the tracer (not dumpable): /proc/TID/comm is
        // readable by anyone and holds the name just set.
        name = procfs::comm(pid);
    }
    let ev = EventKind::Rename {
        name: name.unwrap_or_default(),
        errno: errno_of(res),
    };
    t.emit(pid, ev)
}

/// The name at `addr` as the kernel copies it: up to the first NUL, at most
/// 15 bytes.
fn read_name(pid: i32, addr: u64) -> Option<RawStr> {
    let mut buf = [0u8; COMM_MAX];
    // A short read (the string ends just before an unmapped page) keeps
    // what was readable.
    let n = match mem::read_bytes(Pid::from_raw(pid), addr, &mut buf) {
        Ok(n) if n > 0 => n,
        Ok(_) => return None,
        Err(e) => {
            mem::warn_unreadable(pid, e);
            return None;
        }
    };
    let end = buf[..n].iter().position(|&b| b == 0).unwrap_or(n);
    Some(RawStr(buf[..end].to_vec()))
}
