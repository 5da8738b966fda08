//! close and close_range: recorded at entry, with no exit stop. A close of an
//! fd that is not open fails with EBADF and changes nothing; replay treats
//! such a close as a no-op and `--verify` reports it.

use super::{Call, Entry};
use crate::record::{sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::EventKind;

/// CLOSE_RANGE_CLOEXEC from <linux/close_range.h>.
const CLOSE_RANGE_CLOEXEC: u64 = 1 << 2;

/// CLOSE_RANGE_UNSHARE from <linux/close_range.h>.
const CLOSE_RANGE_UNSHARE: u64 = 1 << 1;

/// Records the close.
pub fn entry(t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    // close_range(2): "EINVAL flags is not valid or first is greater than
    // last"; the kernel checks both before touching the table, so such a
    // call changes nothing and is not recorded.
    if call.sys == Sys::CloseRange
        && (call.args[2] as u32 as u64 & !(CLOSE_RANGE_CLOEXEC | CLOSE_RANGE_UNSHARE) != 0
            || (call.args[0] as u32) > (call.args[1] as u32))
    {
        return Ok(Entry::Done);
    }
    let ev = if call.sys == Sys::Close {
        EventKind::Close { fd: call.int(0) }
    } else {
        EventKind::CloseRange {
            first: call.args[0] as u32,
            last: call.args[1] as u32,
            cloexec: call.args[2] & CLOSE_RANGE_CLOEXEC != 0,
        }
    };
    t.emit(pid, ev)?;
    Ok(Entry::Done)
}
