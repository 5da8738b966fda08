//! ptrace, made by the traced program itself. A process has one tracer:
//! under forkscope, PTRACE_TRACEME fails with EPERM ("the calling thread
//! is already being traced"), and so does PTRACE_ATTACH or PTRACE_SEIZE of
//! another traced process ("already being traced"). Untraced they would
//! succeed; the failure is a `ptrace_limit`. Other requests run unrecorded.

use super::{Call, Entry, Pending, Saved, SysResult};
use crate::record::limits::{self, Limit, LimitKind};
use crate::record::{tracer::Tracer, RecordError};

/// A request that makes a tracee waits for its result; others run.
pub fn entry(_t: &mut Tracer, _pid: i32, call: Call) -> Result<Entry, RecordError> {
    Ok(match limits::tracing_request(call.args[0]) {
        Some(_) => Entry::AwaitExit(Pending {
            call,
            saved: Saved::Nothing,
        }),
        None => Entry::Done,
    })
}

/// EPERM for TRACEME, or for a target forkscope traces: a limit.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let Some(name) = limits::tracing_request(p.call.args[0]) else {
        return Ok(());
    };
    if res != Err(libc::EPERM) {
        return Ok(());
    }
    let target = (name != "PTRACE_TRACEME").then(|| p.call.int(1));
    if target.is_some_and(|tg| !t.tasks.contains_key(&tg)) {
        // Not one of ours: refused for its own reasons, as untraced.
        return Ok(());
    }
    t.limit(Limit {
        kind: LimitKind::NestedPtrace,
        pid,
        path: None,
        ids: None,
        request: Some((name, target)),
    })
}
