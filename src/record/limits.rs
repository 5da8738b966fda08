//! What ptrace itself changes for the traced program, said rather than
//! hidden (as strace users expect):
//! - a set-user-ID / set-group-ID program, or one with file capabilities,
//!   runs without those privileges: execve(2) says the bits are ignored
//!   "if the process is being ptraced" (unless the tracer is privileged
//!   enough, kernel/ptrace.c ptracer_capable); forkscope run by an
//!   unprivileged user also sets no_new_privs to install its filter, with
//!   the same effect;
//! - a traced process cannot be traced again: PTRACE_TRACEME, or
//!   PTRACE_ATTACH / PTRACE_SEIZE of another traced process, fails with
//!   EPERM (so strace and gdb cannot run under forkscope).
//!
//! Found at rare events only (exec, a ptrace call); each is recorded as a
//! `ptrace_limit` event and handed to the caller's [`LimitSink`].

use crate::trace::RawStr;
use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

/// Which limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// A set-user-ID program kept the caller's effective uid.
    Setuid,
    /// A set-group-ID program kept the caller's effective gid.
    Setgid,
    /// A program with file capabilities ran without (some of) them.
    FileCaps,
    /// A ptrace request failed with EPERM because the caller or its target
    /// is traced by forkscope already.
    NestedPtrace,
}

impl LimitKind {
    /// The name in the trace (`limit` field).
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Setuid => "setuid",
            LimitKind::Setgid => "setgid",
            LimitKind::FileCaps => "file_caps",
            LimitKind::NestedPtrace => "nested_ptrace",
        }
    }
}

/// One time a limit changed what the program got.
#[derive(Clone, Debug)]
pub struct Limit {
    /// Which.
    pub kind: LimitKind,
    /// The process it happened to.
    pub pid: i32,
    /// The program exec'd (setuid, setgid, file_caps).
    pub path: Option<RawStr>,
    /// The uid or gid the file would have given, and the one the process
    /// kept (setuid, setgid).
    pub ids: Option<(u32, u32)>,
    /// The ptrace request (`PTRACE_TRACEME`, ...) and its target pid
    /// (nested_ptrace; no target for TRACEME).
    pub request: Option<(&'static str, Option<i32>)>,
}

/// Receives each limit met while recording (the CLI says it once per kind).
#[derive(Clone)]
pub struct LimitSink(pub Arc<dyn Fn(&Limit) + Send + Sync>);

impl std::fmt::Debug for LimitSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LimitSink")
    }
}

/// The ptrace requests that make the caller (TRACEME) or the target a tracee.
pub fn tracing_request(req: u64) -> Option<&'static str> {
    match req as i64 {
        x if x == libc::PTRACE_TRACEME as i64 => Some("PTRACE_TRACEME"),
        x if x == libc::PTRACE_ATTACH as i64 => Some("PTRACE_ATTACH"),
        x if x == libc::PTRACE_SEIZE as i64 => Some("PTRACE_SEIZE"),
        _ => None,
    }
}

/// A number from a `Name:\tv1\tv2...` line of /proc/PID/status, field `i`.
fn status_field<'a>(status: &'a str, name: &str, i: usize) -> Option<&'a str> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))?
        .split_whitespace()
        .nth(i)
}

/// The permitted set of a `security.capability` xattr (struct
/// vfs_cap_data: magic_etc, then {permitted, inheritable} per 32 bits).
fn file_permitted(xattr: &[u8]) -> u64 {
    let word = |at: usize| {
        xattr
            .get(at..at + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64)
    };
    word(4) | (word(12) << 32)
}

fn get_xattr(path: &std::ffi::CStr, name: &std::ffi::CStr) -> Option<Vec<u8>> {
    let mut buf = [0u8; 64];
    // SAFETY: getxattr writes at most buf.len() bytes into buf; both names
    // are NUL-terminated.
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    (n > 0).then(|| buf[..n as usize].to_vec())
}

/// Just after `pid` exec'd: did the program lose the privileges its
/// file grants? Compares the file (/proc/PID/exe: set-ID bits, owner,
/// file capabilities) with the process's credentials now. A file on a
/// `nosuid` mount grants nothing untraced either, and is passed over.
pub fn after_exec(pid: i32) -> Vec<Limit> {
    after_exec_with(pid, None, &mut CapsCache::default())
}

/// The permitted file capabilities (0: none) of exec'd files, by (device,
/// inode, ctime): setting or removing the `security.capability` xattr
/// changes the file's ctime, so a file looked at before is not read again.
#[derive(Debug, Default)]
pub struct CapsCache(std::collections::HashMap<(u64, u64, i64, i64), u64>);

/// As [`after_exec`], with the metadata of the program's file when the
/// caller has it already (an fstat of /proc/PID/exe) and a cache of file
/// capabilities: a loop exec'ing one program pays no stat and no getxattr.
pub fn after_exec_with(
    pid: i32,
    meta: Option<std::fs::Metadata>,
    cache: &mut CapsCache,
) -> Vec<Limit> {
    let exe = format!("/proc/{pid}/exe");
    let Some(meta) = meta.or_else(|| std::fs::metadata(&exe).ok()) else {
        return Vec::new();
    };
    let mode = meta.mode();
    let setuid = mode & libc::S_ISUID != 0;
    // A set-group-ID file without group execute is mandatory locking, not set-gid.
    let setgid = mode & libc::S_ISGID != 0 && mode & libc::S_IXGRP != 0;
    let c_exe = std::ffi::CString::new(exe.clone()).expect("no NUL in a /proc path");
    let key = (meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec());
    if cache.0.len() > 4096 {
        cache.0.clear();
    }
    let permitted = *cache.0.entry(key).or_insert_with(|| {
        get_xattr(&c_exe, c"security.capability").map_or(0, |x| file_permitted(&x))
    });
    let caps = Some(permitted).filter(|p| *p != 0);
    if !setuid && !setgid && caps.is_none() {
        return Vec::new();
    }
    // SAFETY: statvfs writes one struct through a valid pointer.
    let mut vfs: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c_exe is NUL-terminated; vfs is a valid out-pointer.
    if unsafe { libc::statvfs(c_exe.as_ptr(), &mut vfs) } == 0 && vfs.f_flag & libc::ST_NOSUID != 0
    {
        return Vec::new();
    }
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return Vec::new();
    };
    let path = std::fs::read_link(&exe)
        .map(|p| RawStr(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()).to_vec()))
        .unwrap_or_default();
    let id = |name| status_field(&status, name, 1).and_then(|v| v.parse::<u32>().ok());
    let mut out = Vec::new();
    let mut limit = |kind, ids| {
        out.push(Limit {
            kind,
            pid,
            path: Some(path.clone()),
            ids,
            request: None,
        })
    };
    if let Some(euid) = id("Uid").filter(|e| setuid && *e != meta.uid()) {
        limit(LimitKind::Setuid, Some((meta.uid(), euid)));
    }
    if let Some(egid) = id("Gid").filter(|e| setgid && *e != meta.gid()) {
        limit(LimitKind::Setgid, Some((meta.gid(), egid)));
    }
    if let Some(want) = caps {
        let have = status_field(&status, "CapPrm", 0)
            .and_then(|v| u64::from_str_radix(v, 16).ok())
            .unwrap_or(0);
        if want & !have != 0 {
            limit(LimitKind::FileCaps, None);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_by_name_and_position() {
        let s = "Name:\tx\nUid:\t1000\t0\t0\t0\nCapPrm:\t0000000000003000\n";
        assert_eq!(status_field(s, "Uid", 1), Some("0"));
        assert_eq!(status_field(s, "CapPrm", 0), Some("0000000000003000"));
        assert_eq!(status_field(s, "Gid", 1), None);
    }

    #[test]
    fn the_permitted_set_of_a_v2_capability_xattr_is_read() {
        // cap_net_raw (13) permitted, effective flag set: VFS_CAP_REVISION_2.
        let mut x = vec![0x01, 0x00, 0x00, 0x02];
        x.extend_from_slice(&(1u32 << 13).to_le_bytes());
        x.extend_from_slice(&0u32.to_le_bytes());
        x.extend_from_slice(&0u32.to_le_bytes());
        x.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(file_permitted(&x), 1 << 13);
    }
}
