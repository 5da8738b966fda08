//! The kill family: kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo
//! and pidfd_send_signal. Recorded with their result at exit; but if the
//! target is seen receiving the signal before the sender's exit stop is
//! handled, the kill is recorded right then (it evidently succeeded), so the
//! timeline never shows an effect before its cause.

use super::{errno_of, Call, Entry, Pending, Saved, SysResult};
use crate::record::{sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::{KillVia, Sig};

/// A kill whose sender has not reached its exit stop yet.
#[derive(Debug, Clone)]
pub struct InFlight {
    /// The sender.
    pub pid: i32,
    /// The target as given.
    pub target: i64,
    /// The signal.
    pub sig: Sig,
    /// Which call.
    pub via: KillVia,
    /// Already recorded (ahead of the exit stop).
    pub recorded: bool,
}

/// Decodes (target, signal, via) from the arguments.
fn decode(c: &Call) -> (i64, i32, KillVia) {
    match c.sys {
        Sys::Kill => (c.int(0) as i64, c.int(1), KillVia::Kill),
        Sys::Tkill => (c.int(0) as i64, c.int(1), KillVia::Tkill),
        Sys::Tgkill => (c.int(1) as i64, c.int(2), KillVia::Tgkill),
        Sys::RtSigqueueinfo => (c.int(0) as i64, c.int(1), KillVia::RtSigqueueinfo),
        Sys::RtTgsigqueueinfo => (c.int(1) as i64, c.int(2), KillVia::RtTgsigqueueinfo),
        _ => (c.int(0) as i64, c.int(1), KillVia::PidfdSendSignal),
    }
}

/// Notes the kill as in flight and asks for its exit stop.
pub fn entry(t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    let (target, sig, via) = decode(&call);
    // The pid (tid, -pgid) as forkscope sees it; pidfd_send_signal's is an fd.
    let target = match via {
        KillVia::PidfdSendSignal => target,
        _ => t.pidns.global_target(pid, target),
    };
    t.kills.retain(|k| k.pid != pid);
    t.kills.push(InFlight {
        pid,
        target,
        sig: Sig(sig),
        via,
        recorded: false,
    });
    Ok(Entry::AwaitExit(Pending {
        call,
        saved: Saved::Nothing,
    }))
}

/// Records the kill with its result, unless it was recorded ahead.
pub fn exit(t: &mut Tracer, pid: i32, _p: Pending, res: SysResult) -> Result<(), RecordError> {
    let Some(i) = t.kills.iter().position(|k| k.pid == pid) else {
        return Ok(());
    };
    let k = t.kills.swap_remove(i);
    if k.recorded {
        return Ok(());
    }
    t.emit_kill(&k, res.is_ok(), errno_of(res))
}
