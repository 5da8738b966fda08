//! What the kernel says about a tracee, from /proc: its fd table (targets and
//! close-on-exec flags), one fd's target, its working directory.

use crate::trace::{FdEntry, RawStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// O_CLOEXEC as shown in the octal `flags:` line of /proc/PID/fdinfo/N.
const FDINFO_O_CLOEXEC: u64 = 0o2000000;

/// The target of `/proc/PID/fd/FD` (`/dev/pts/0`, `pipe:[1234]`).
pub fn fd_target(pid: i32, fd: i32) -> Option<RawStr> {
    let link = std::fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    Some(RawStr(link.as_os_str().as_bytes().to_vec()))
}

/// Is FD_CLOEXEC set on `fd` of `pid`? (fdinfo's `flags:` carries O_CLOEXEC.)
pub fn fd_cloexec(pid: i32, fd: i32) -> Option<bool> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    let flags = text.lines().find_map(|l| l.strip_prefix("flags:"))?.trim();
    let v = u64::from_str_radix(flags, 8).ok()?;
    Some(v & FDINFO_O_CLOEXEC != 0)
}

/// The fd table of `pid`, sorted by fd. With `flags`, each fd's
/// close-on-exec flag is read from fdinfo as well (one more read per fd).
pub fn fd_table(pid: i32, flags: bool) -> Vec<FdEntry> {
    let dir = match std::fs::read_dir(format!("/proc/{pid}/fd")) {
        Ok(d) => d,
        Err(_) => return Vec::new(),
    };
    let mut out: Vec<FdEntry> = dir
        .filter_map(|e| {
            let e = e.ok()?;
            let fd: i32 = e.file_name().to_str()?.parse().ok()?;
            let target = fd_target(pid, fd)?;
            let cloexec = flags && fd_cloexec(pid, fd).unwrap_or(false);
            Some(FdEntry {
                fd,
                target,
                cloexec,
            })
        })
        .collect();
    out.sort_by_key(|e| e.fd);
    out
}

/// The working directory of `pid`.
pub fn cwd(pid: i32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/cwd")).ok()
}

/// `path` as seen by `pid`: relative paths are resolved against its cwd (or
/// against `dirfd` when given), through /proc so mount namespaces agree.
pub fn resolve(pid: i32, dirfd: Option<i32>, path: &[u8]) -> PathBuf {
    use std::ffi::OsStr;
    let p = OsStr::from_bytes(path);
    if path.first() == Some(&b'/') {
        return PathBuf::from(format!("/proc/{pid}/root")).join(
            std::path::Path::new(p)
                .strip_prefix("/")
                .unwrap_or(std::path::Path::new(p)),
        );
    }
    match dirfd {
        Some(fd) => PathBuf::from(format!("/proc/{pid}/fd/{fd}")).join(p),
        None => PathBuf::from(format!("/proc/{pid}/cwd")).join(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_fd_table_lists_stdio_and_knows_cloexec() {
        let me = std::process::id() as i32;
        let f = std::fs::File::open("/proc/self/status").unwrap(); // O_CLOEXEC from std
        use std::os::fd::AsRawFd;
        let fd = f.as_raw_fd();
        let t = fd_table(me, true);
        let e = t.iter().find(|e| e.fd == fd).expect("the file we opened");
        assert!(e.cloexec);
        assert!(e.target.lossy().ends_with("/status"), "{:?}", e.target);
    }
}
