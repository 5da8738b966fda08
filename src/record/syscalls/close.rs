//! close and close_range. close is recorded at entry, with no exit stop: a
//! close of an fd that is not open fails with EBADF and changes nothing;
//! replay treats such a close as a no-op and `--verify` reports it.
//! close_range is rare and can fail as a whole (EINVAL for unknown flags or
//! first > last), so it is recorded at exit, with its result.

use super::{errno_of, Call, Entry, Pending, Saved, SysResult};
use crate::record::{sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::EventKind;

/// CLOSE_RANGE_UNSHARE from <linux/close_range.h>.
const CLOSE_RANGE_UNSHARE: u64 = 1 << 1;
/// CLOSE_RANGE_CLOEXEC from <linux/close_range.h>.
const CLOSE_RANGE_CLOEXEC: u64 = 1 << 2;

/// Records the close; close_range waits for its exit.
pub fn entry(t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    if call.sys == Sys::Close {
        if t.comm_files.watching() {
            super::comm_file::closing(t, pid, call.int(0))?;
        }
        t.emit(pid, EventKind::Close { fd: call.int(0) })?;
        return Ok(Entry::Done);
    }
    Ok(Entry::AwaitExit(Pending {
        call,
        saved: Saved::Nothing,
    }))
}

/// Records close_range with its result.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let c = p.call;
    t.emit(
        pid,
        EventKind::CloseRange {
            first: c.args[0] as u32,
            last: c.args[1] as u32,
            cloexec: c.args[2] & CLOSE_RANGE_CLOEXEC != 0,
            unshare: c.args[2] & CLOSE_RANGE_UNSHARE != 0,
            errno: errno_of(res),
        },
    )
}

/// Records unshare(2); replay acts on CLONE_FILES (the caller's fd table
/// becomes its own copy).
pub fn unshare_exit(
    t: &mut Tracer,
    pid: i32,
    p: Pending,
    res: SysResult,
) -> Result<(), RecordError> {
    t.emit(
        pid,
        EventKind::Unshare {
            flags: p.call.args[0],
            errno: errno_of(res),
        },
    )
}
