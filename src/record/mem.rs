//! Reading a stopped tracee's memory: C strings and NULL-terminated pointer
//! arrays (argv), with process_vm_readv, page by page.
//!
//! A read can fail: a bad pointer (EFAULT, the program's own mistake, which
//! the kernel answers with EFAULT too), or a tracee whose memory is closed to
//! forkscope. process_vm_readv(2) needs PTRACE_MODE_ATTACH_REALCREDS access,
//! and ptrace(2) ("Ptrace access mode checking") denies it for a task that is
//! not dumpable (prctl(PR_SET_DUMPABLE, 0), an execute-only or set-user-ID
//! binary) unless the tracer has CAP_SYS_PTRACE: being its tracer is not
//! enough. Such failures are marked in the trace (`unreadable`), never turned
//! into empty values that look real, and [`warn_unreadable`] says so once.

use super::sysno::Abi;
use crate::trace::RawStr;
use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;
use std::io::IoSliceMut;
use std::sync::atomic::{AtomicBool, Ordering};

/// Longest string read (PATH_MAX is 4096; argv words may be longer).
const MAX_STR: usize = 1 << 20;
/// Most argv words read.
const MAX_ARGS: usize = 1 << 16;
const PAGE: usize = 4096;

/// Reads `len` bytes at `addr`; short reads return what was readable.
pub fn read_bytes(pid: Pid, addr: u64, buf: &mut [u8]) -> nix::Result<usize> {
    if addr == 0 {
        return Err(nix::errno::Errno::EFAULT);
    }
    let mut local = [IoSliceMut::new(buf)];
    let remote = [RemoteIoVec {
        base: addr as usize,
        len: local[0].len(),
    }];
    process_vm_readv(pid, &mut local, &remote)
}

/// Reads a NUL-terminated string at `addr`.
pub fn read_cstr(pid: Pid, addr: u64) -> nix::Result<RawStr> {
    let mut out = Vec::new();
    let mut at = addr;
    let mut chunk = [0u8; PAGE];
    while out.len() < MAX_STR {
        // Never cross a page boundary in one read: the next page may be unmapped.
        let room = PAGE - (at as usize % PAGE);
        let n = read_bytes(pid, at, &mut chunk[..room])?;
        if n == 0 {
            break;
        }
        if let Some(z) = chunk[..n].iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..z]);
            return Ok(RawStr(out));
        }
        out.extend_from_slice(&chunk[..n]);
        at += n as u64;
    }
    Ok(RawStr(out))
}

/// Reads a C `int`.
pub fn read_i32(pid: Pid, addr: u64) -> nix::Result<i32> {
    let mut b = [0u8; 4];
    if read_bytes(pid, addr, &mut b)? < 4 {
        return Err(nix::errno::Errno::EFAULT);
    }
    Ok(i32::from_ne_bytes(b))
}

/// Reads two C `int`s (pipe and socketpair results).
pub fn read_i32_pair(pid: Pid, addr: u64) -> nix::Result<[i32; 2]> {
    let mut b = [0u8; 8];
    if read_bytes(pid, addr, &mut b)? < 8 {
        return Err(nix::errno::Errno::EFAULT);
    }
    Ok([
        i32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        i32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
    ])
}

/// Reads a NULL-terminated array of string pointers (argv).
pub fn read_argv(pid: Pid, addr: u64, abi: Abi) -> nix::Result<Vec<RawStr>> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    let w = abi.word_size() as u64;
    // Read the pointer array a block at a time rather than word by word.
    let mut block = [0u8; 512];
    let mut at = addr;
    'outer: while out.len() < MAX_ARGS {
        let room = (PAGE - (at as usize % PAGE)).min(block.len());
        let n = read_bytes(pid, at, &mut block[..room])?;
        let words = n / w as usize;
        if words == 0 {
            break;
        }
        for i in 0..words {
            let b = &block[i * w as usize..(i + 1) * w as usize];
            let p = if w == 4 {
                u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
            } else {
                u64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
            };
            if p == 0 {
                break 'outer;
            }
            out.push(read_cstr(pid, p)?);
        }
        at += words as u64 * w;
    }
    Ok(out)
}

/// What [`read_argv_marked`] could read of an argv.
#[derive(Debug, Default)]
pub struct Argv {
    /// The words read; an unreadable word is an empty placeholder.
    pub words: Vec<RawStr>,
    /// The argv pointer was NULL.
    pub null: bool,
    /// What could not be read: `argv[N]` (a word), `argv[N..]` (the pointer
    /// array from element N on).
    pub unreadable: Vec<String>,
    /// The first error met, for [`warn_unreadable`].
    pub error: Option<nix::errno::Errno>,
}

/// Reads argv as far as it can: unlike [`read_argv`], an unreadable word
/// (strace shows `0xffffffffffffffff`) leaves a placeholder and a mark, and
/// an unreadable pointer array keeps the words before it.
pub fn read_argv_marked(pid: Pid, addr: u64, abi: Abi) -> Argv {
    let mut out = Argv::default();
    if addr == 0 {
        out.null = true;
        return out;
    }
    let w = abi.word_size() as u64;
    let mut at = addr;
    let mut block = [0u8; 512];
    'outer: while out.words.len() < MAX_ARGS {
        let room = (PAGE - (at as usize % PAGE)).min(block.len());
        let n = match read_bytes(pid, at, &mut block[..room]) {
            Ok(n) if n >= w as usize => n,
            Ok(_) => {
                out.unreadable.push(format!("argv[{}..]", out.words.len()));
                out.error.get_or_insert(nix::errno::Errno::EFAULT);
                break;
            }
            Err(e) => {
                out.unreadable.push(format!("argv[{}..]", out.words.len()));
                out.error.get_or_insert(e);
                break;
            }
        };
        let words = n / w as usize;
        for i in 0..words {
            let b = &block[i * w as usize..(i + 1) * w as usize];
            let p = if w == 4 {
                u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
            } else {
                u64::from_ne_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
            };
            if p == 0 {
                break 'outer;
            }
            match read_cstr(pid, p) {
                Ok(s) => out.words.push(s),
                Err(e) => {
                    out.unreadable.push(format!("argv[{}]", out.words.len()));
                    out.error.get_or_insert(e);
                    out.words.push(RawStr(Vec::new()));
                }
            }
        }
        at += words as u64 * w;
    }
    out
}

static WARNED: AtomicBool = AtomicBool::new(false);

/// Says once per run, through the notice sink ([`Notice::Unreadable`]),
/// that a tracee's memory or /proc entries could not be read because
/// access was denied (EPERM, EACCES): the trace marks what is missing.
/// Bad pointers (EFAULT) are the program's own and say nothing.
///
/// [`Notice::Unreadable`]: super::signals::Notice::Unreadable
pub fn warn_unreadable(pid: i32, e: nix::errno::Errno) {
    use nix::errno::Errno;
    if !matches!(e, Errno::EPERM | Errno::EACCES) || WARNED.swap(true, Ordering::Relaxed) {
        return;
    }
    super::signals::notify(&super::signals::Notice::Unreadable {
        pid,
        errno: e as i32,
    });
}
