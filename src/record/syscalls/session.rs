//! setsid and setpgid: sessions and process groups (job control, ptys).

use super::{errno_of, Pending, SysResult};
use crate::record::{sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::EventKind;

/// Records the call and its result.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let ev = if p.call.sys == Sys::Setsid {
        EventKind::Setsid {
            sid: res.ok().map(|v| v as i32),
            errno: errno_of(res),
        }
    } else {
        EventKind::Setpgid {
            target: p.call.int(0),
            pgid: p.call.int(1),
            ok: res.is_ok(),
            errno: errno_of(res),
        }
    };
    t.emit(pid, ev)
}
