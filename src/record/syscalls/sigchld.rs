//! The SIGCHLD disposition: rt_sigaction (i386 also sigaction and signal)
//! with SIGCHLD as its signal (the seccomp filter stops on no other signal,
//! so handlers for other signals cost nothing). A parent that ignores
//! SIGCHLD or sets SA_NOCLDWAIT has its children reaped by the kernel when
//! they exit: "If a parent process sets the action for SIGCHLD to SIG_IGN
//! [or sets SA_NOCLDWAIT], then children that terminate do not become
//! zombies" (waitpid(2), sigaction(2)). Replay needs it to know those
//! children are not left as zombies.
//!
//! The disposition a process enters the trace with is read from
//! /proc/PID/status (`SigIgn:`) once, at spawn or attach; after that,
//! fork copies it and exec keeps an ignored SIGCHLD and resets a handler
//! and the flags (execve(2)), which replay follows.

use super::{Call, Entry, Pending, Saved, SysResult};
use crate::record::{mem, sysno::Abi, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::EventKind;
use nix::unistd::Pid;

/// SA_NOCLDWAIT from <asm/signal.h> (the same on x86 and arm64).
const SA_NOCLDWAIT: u64 = 2;

/// Asks for the exit stop of a call that sets a disposition; a query (NULL
/// act) changes nothing and is not recorded.
pub fn entry(_t: &mut Tracer, _pid: i32, call: Call) -> Result<Entry, RecordError> {
    let Sys::SigchldAction(name) = call.sys else {
        return Ok(Entry::Done);
    };
    // signal(SIGCHLD, handler) always sets; the others only with an act.
    if name != "signal" && call.args[1] == 0 {
        return Ok(Entry::Done);
    }
    Ok(Entry::AwaitExit(Pending {
        call,
        saved: Saved::Nothing,
    }))
}

/// Records the disposition the call set, if it succeeded.
pub fn exit(t: &mut Tracer, pid: i32, p: Pending, res: SysResult) -> Result<(), RecordError> {
    let c = p.call;
    let Sys::SigchldAction(name) = c.sys else {
        return Ok(());
    };
    if res.is_err() {
        return Ok(());
    }
    let Some((handler, flags)) = read_action(Pid::from_raw(pid), name, c) else {
        return Ok(());
    };
    let action = match handler {
        0 => "default",
        1 => "ignore",
        _ => "handler",
    };
    t.emit(
        pid,
        EventKind::Sigchld {
            action: action.into(),
            nocldwait: flags & SA_NOCLDWAIT != 0,
            syscall: name.into(),
        },
    )
}

/// (handler, flags) of the new action. The kernel's layouts: native
/// `struct sigaction` starts with the handler and the flags as two longs;
/// i386 rt_sigaction with both as 32-bit words; i386 sigaction's
/// `struct old_sigaction` is handler, mask, flags; signal(2) passes the
/// handler itself and sets no SA_NOCLDWAIT.
fn read_action(pid: Pid, name: &str, c: Call) -> Option<(u64, u64)> {
    if name == "signal" {
        return Some((c.args[1] & 0xffff_ffff, 0));
    }
    let mut b = [0u8; 16];
    let n = mem::read_bytes(pid, c.args[1], &mut b).ok()?;
    let word = |o: usize| u32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]) as u64;
    match (c.abi, name) {
        (Abi::Native, _) if c.abi.word_size() == 8 && n >= 16 => {
            let long = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
            Some((long(0), long(8)))
        }
        (_, "sigaction") if n >= 12 => Some((word(0), word(8))),
        (_, _) if n >= 8 => Some((word(0), word(4))),
        _ => None,
    }
}

/// Records the SIGCHLD disposition a process entered the trace with, when
/// it is not the default: only "ignored" is visible in /proc (`SigIgn:`).
pub fn inherited(t: &mut Tracer, pid: i32) -> Result<(), RecordError> {
    if ignored_in_proc(pid) {
        t.emit(
            pid,
            EventKind::Sigchld {
                action: "ignore".into(),
                nocldwait: false,
                syscall: "inherited".into(),
            },
        )?;
    }
    Ok(())
}

/// Is SIGCHLD in the `SigIgn:` mask of /proc/PID/status?
fn ignored_in_proc(pid: i32) -> bool {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    text.lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .is_some_and(|m| m & (1 << (libc::SIGCHLD - 1)) != 0)
}
