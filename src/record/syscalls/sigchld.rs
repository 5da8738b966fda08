//! The SIGCHLD disposition: rt_sigaction (i386 also sigaction and signal)
//! with SIGCHLD as its signal (the seccomp filter stops on no other signal,
//! so handlers for other signals cost nothing). A parent that ignores
//! SIGCHLD or sets SA_NOCLDWAIT has its children reaped by the kernel when
//! they exit: "If a parent process sets the action for SIGCHLD to SIG_IGN
//! \[or sets SA_NOCLDWAIT\], then children that terminate do not become
//! zombies" (waitpid(2), sigaction(2)). Replay needs it to know those
//! children are not left as zombies.
//!
//! Only what matters for reaping is recorded: a call that makes the kernel
//! start or stop reaping the process's children (SIGCHLD ignored or
//! SA_NOCLDWAIT set, or no longer). Shells and posix_spawn install and
//! reset SIGCHLD handlers all the time; those calls cost their seccomp stop
//! and one memory read, and nothing more. To know what changes, the
//! recorder keeps the auto-reaping state of each process
//! ([`Dispositions`]): from /proc/PID/status (`SigIgn:`) at spawn or
//! attach, copied at fork, and at exec an ignored SIGCHLD stays ignored
//! while a handler and the flags are reset (execve(2)). Replay follows the
//! same rules.

use super::{Call, Entry, Pending, Saved, SysResult};
use crate::record::{mem, sysno::Abi, sysno::Sys, tracer::Tracer, RecordError};
use crate::trace::EventKind;
use nix::unistd::Pid;
use std::collections::HashMap;

/// SA_NOCLDWAIT from <asm/signal.h> (the same on x86 and arm64).
const SA_NOCLDWAIT: u64 = 2;

/// (SIGCHLD ignored, SA_NOCLDWAIT set) of the processes that have either;
/// every other process does neither.
#[derive(Debug, Default)]
pub struct Dispositions {
    auto: HashMap<i32, (bool, bool)>,
}

impl Dispositions {
    fn get(&self, tgid: i32) -> (bool, bool) {
        self.auto.get(&tgid).copied().unwrap_or((false, false))
    }

    fn set(&mut self, tgid: i32, state: (bool, bool)) {
        if state == (false, false) {
            self.auto.remove(&tgid);
        } else {
            self.auto.insert(tgid, state);
        }
    }

    /// A new process `child` created by process `parent` (a copy of its
    /// signal actions).
    pub fn forked(&mut self, parent: i32, child: i32) {
        let s = self.get(parent);
        self.set(child, s);
    }

    /// Process `tgid` exec'd: the flags are cleared, an ignored signal stays ignored.
    pub fn exec(&mut self, tgid: i32) {
        if self.auto.is_empty() {
            return;
        }
        let (ignored, _) = self.get(tgid);
        self.set(tgid, (ignored, false));
    }
}

/// (ignored, SA_NOCLDWAIT) from a handler and flags; a handler other than
/// SIG_IGN with SA_NOCLDWAIT clear is (false, false) whatever it is.
fn state(handler: u64, flags: u64) -> (bool, bool) {
    (handler == 1, flags & SA_NOCLDWAIT != 0)
}

fn tgid_of(t: &Tracer, pid: i32) -> i32 {
    t.tasks.get(&pid).map_or(pid, |x| x.tgid)
}

/// Reads the new action; asks for the exit stop only when it would change
/// whether the kernel reaps the children. A query (NULL act) changes nothing.
pub fn entry(t: &mut Tracer, pid: i32, call: Call) -> Result<Entry, RecordError> {
    let Sys::SigchldAction(name) = call.sys else {
        return Ok(Entry::Done);
    };
    // signal(SIGCHLD, handler) always sets; the others only with an act.
    if name != "signal" && call.args[1] == 0 {
        return Ok(Entry::Done);
    }
    let Some((handler, flags)) = read_action(Pid::from_raw(pid), name, call) else {
        return Ok(Entry::Done);
    };
    if state(handler, flags) == t.sigchld.get(tgid_of(t, pid)) {
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
    let tgid = tgid_of(t, pid);
    t.sigchld.set(tgid, state(handler, flags));
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
        t.sigchld.set(pid, (true, false));
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
