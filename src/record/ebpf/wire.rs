//! The ring buffer's records (bpf/wire.h), read field by field at the
//! offsets that header lays out. A record shorter than its kind needs is
//! refused (`None`), never read past.

/// `enum rec_kind` of bpf/wire.h.
pub const REC_FORK: u32 = 1;
/// A successful exec (its fds follow as [`REC_FD`], then [`REC_EXEC_END`]).
pub const REC_EXEC: u32 = 2;
/// One fd: of the table at exec, or the new fd of an open.
pub const REC_FD: u32 = 3;
/// The table at exec is complete.
pub const REC_EXEC_END: u32 = 4;
/// A task ended.
pub const REC_EXIT: u32 = 5;
/// A syscall returned.
pub const REC_SYS: u32 = 6;
/// An execve/execveat failed.
pub const REC_EXEC_FAIL: u32 = 7;
/// A traced task receives a signal.
pub const REC_SIGNAL: u32 = 8;

/// `enum sys_id` of bpf/wire.h.
#[allow(missing_docs)]
pub mod sys {
    pub const PIPE: u32 = 1;
    pub const PIPE2: u32 = 2;
    pub const DUP: u32 = 3;
    pub const DUP2: u32 = 4;
    pub const DUP3: u32 = 5;
    pub const FCNTL: u32 = 6;
    pub const OPEN: u32 = 7;
    pub const OPENAT: u32 = 8;
    pub const CREAT: u32 = 9;
    pub const CLOSE: u32 = 10;
    pub const WAIT4: u32 = 11;
    pub const KILL: u32 = 12;
    pub const TKILL: u32 = 13;
    pub const TGKILL: u32 = 14;
    pub const RT_SIGQUEUEINFO: u32 = 15;
    pub const RT_TGSIGQUEUEINFO: u32 = 16;
    pub const PIDFD_SEND_SIGNAL: u32 = 17;
    pub const WAITID: u32 = 18;
    pub const SOCKET: u32 = 19;
    pub const SOCKETPAIR: u32 = 20;
    pub const ACCEPT: u32 = 21;
    pub const ACCEPT4: u32 = 22;
    pub const NEWFD: u32 = 23;
    pub const CLOSE_RANGE: u32 = 24;
    pub const UNSHARE: u32 = 25;
    pub const SETSID: u32 = 26;
    pub const SETPGID: u32 = 27;
    /// prctl(PR_SET_NAME): its `str` is the name the task has after it.
    pub const PRCTL: u32 = 28;
}

/// `enum sig_at` of bpf/wire.h: where a signal record was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigAt {
    /// signal_deliver: the task takes it now.
    Delivered,
    /// signal_generate: dropped at once, being ignored.
    Ignored,
    /// signal_generate of a SIGCONT that is not ignored (delivered later).
    Cont,
}

/// `enum fd_type` of bpf/wire.h.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdType {
    /// A file, directory or device: its dentry names make the path.
    Path,
    /// An anonymous pipe (pipefs).
    Pipe,
    /// A socket.
    Socket,
    /// An anonymous inode (its one name is `[eventpoll]` and the like).
    Anon,
    /// A named FIFO: its dentry names make the path.
    Fifo,
    /// A pidfd (pidfs).
    Pidfd,
    /// A file on no path (memfd): its one name is its name.
    Pseudo,
}

const STR_MAX: usize = 256;
const ARGV_MAX: usize = 4096;
const FAILED_ARGS: usize = 16;
const FAILED_ARG_LEN: usize = 128;
const PATH_DEPTH: usize = 24;
const NAME_LEN: usize = 64;
/// sizeof(struct rec_sys).
const SYS_LEN: usize = 88;

/// Little reader over one record.
struct R<'a>(&'a [u8]);

impl<'a> R<'a> {
    fn bytes<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.0.get(at..at + N)?.try_into().ok()
    }
    fn u32(&self, at: usize) -> Option<u32> {
        self.bytes(at).map(u32::from_ne_bytes)
    }
    fn i32(&self, at: usize) -> Option<i32> {
        self.bytes(at).map(i32::from_ne_bytes)
    }
    fn u64(&self, at: usize) -> Option<u64> {
        self.bytes(at).map(u64::from_ne_bytes)
    }
    fn i64(&self, at: usize) -> Option<i64> {
        self.bytes(at).map(i64::from_ne_bytes)
    }
    /// A NUL-terminated string in a `max`-byte field.
    fn cstr(&self, at: usize, max: usize) -> Option<Vec<u8>> {
        self.cstr_ref(at, max).map(<[u8]>::to_vec)
    }
    /// [`R::cstr`], borrowed from the record.
    fn cstr_ref(&self, at: usize, max: usize) -> Option<&'a [u8]> {
        let f = self.0.get(at..at + max)?;
        let end = f.iter().position(|b| *b == 0).unwrap_or(max);
        Some(&f[..end])
    }
}

/// One record, decoded.
#[derive(Clone, Debug)]
pub enum Rec {
    /// `pid` created `child` in syscall `nr` with clone flags `flags`.
    Fork { child: i32, nr: i64, flags: u64 },
    /// A successful exec.
    Exec {
        old_pid: i32,
        path: Vec<u8>,
        /// The argument area: NUL-separated elements.
        argv: Vec<u8>,
        /// The area was longer than the record holds.
        argv_cut: bool,
    },
    /// One fd and what it refers to.
    Fd {
        fd: i32,
        ty: FdType,
        ino: u64,
        /// What /proc/PID/fd/N would show ([`fd_text`] of the dentry
        /// names the record carries, leaf first).
        text: Vec<u8>,
        /// The chain was deeper than the record holds.
        cut: bool,
        /// Close-on-exec (new fds of opens and the one-fd calls).
        cloexec: bool,
    },
    /// The fds of an exec are all sent.
    ExecEnd,
    /// A task ended with this wait status word.
    Exit { code: i32 },
    /// A syscall returned.
    Sys {
        sys: u32,
        /// The kernel's syscall number (-1 when recorded before the exit).
        nr: i64,
        args: [i64; 4],
        ret: i64,
        aux: Option<[i32; 2]>,
        ino: u64,
        /// An open's path (empty for the other calls).
        str: Vec<u8>,
    },
    /// A signal for this task.
    Signal {
        sig: i32,
        at: SigAt,
        /// si_code, si_pid and si_status of its siginfo.
        code: i32,
        from: i32,
        status: i32,
        /// Delivered with the default action of a stop signal.
        stops: bool,
    },
    /// An execve failed.
    ExecFail {
        ret: i64,
        path: Vec<u8>,
        argv: Vec<Vec<u8>>,
        more: bool,
    },
}

/// A record with its head: the task and the kernel's CLOCK_MONOTONIC time.
#[derive(Clone, Debug)]
pub struct Record {
    /// The task (tid).
    pub pid: i32,
    /// bpf_ktime_get_ns().
    pub ts: u64,
    /// The rest.
    pub rec: Rec,
}

/// Decodes one ring-buffer record; `None` for a short or unknown one.
pub fn decode(b: &[u8]) -> Option<Record> {
    let r = R(b);
    let kind = r.u32(0)?;
    let pid = r.i32(4)?;
    let ts = r.u64(8)?;
    let rec = match kind {
        REC_FORK => Rec::Fork {
            child: r.i32(16)?,
            nr: r.i32(20)? as i64,
            flags: r.u64(24)?,
        },
        REC_EXEC => {
            let len = (r.u32(20)? as usize).min(ARGV_MAX);
            Rec::Exec {
                old_pid: r.i32(16)?,
                argv_cut: r.u32(24)? != 0,
                path: r.cstr(32, STR_MAX)?,
                argv: b.get(288..288 + len)?.to_vec(),
            }
        }
        REC_FD => {
            let n = (r.u32(36)? as usize).min(PATH_DEPTH);
            // The names stay in the ring's memory until joined: one
            // allocation for the text, not one per name.
            let mut names = [&b""[..]; PATH_DEPTH];
            for (i, name) in names.iter_mut().enumerate().take(n) {
                *name = r.cstr_ref(48 + i * NAME_LEN, NAME_LEN)?;
            }
            let ino = r.u64(24)?;
            let ty = match r.u32(20)? {
                1 => FdType::Path,
                2 => FdType::Pipe,
                3 => FdType::Socket,
                4 => FdType::Anon,
                5 => FdType::Fifo,
                6 => FdType::Pidfd,
                7 => FdType::Pseudo,
                _ => return None,
            };
            Rec::Fd {
                fd: r.i32(16)?,
                ty,
                ino,
                text: fd_text(ty, ino, &names[..n]),
                cut: r.u32(40)? != 0,
                cloexec: r.u32(32)? != 0,
            }
        }
        REC_EXEC_END => Rec::ExecEnd,
        REC_EXIT => Rec::Exit { code: r.i32(16)? },
        REC_SYS => Rec::Sys {
            sys: r.u32(16)?,
            aux: (r.u32(28)? != 0).then_some([r.i32(20)?, r.i32(24)?]),
            args: [r.i64(32)?, r.i64(40)?, r.i64(48)?, r.i64(56)?],
            ret: r.i64(64)?,
            ino: r.u64(72)?,
            nr: r.i32(80)? as i64,
            // struct rec_open: the path after the rec_sys.
            str: if b.len() > SYS_LEN {
                r.cstr(SYS_LEN, STR_MAX)?
            } else {
                Vec::new()
            },
        },
        REC_SIGNAL => Rec::Signal {
            sig: r.i32(16)?,
            at: match r.u32(20)? {
                1 => SigAt::Delivered,
                2 => SigAt::Ignored,
                3 => SigAt::Cont,
                _ => return None,
            },
            code: r.i32(24)?,
            from: r.i32(28)?,
            status: r.i32(32)?,
            stops: r.u32(36)? != 0,
        },
        REC_EXEC_FAIL => {
            let argc = (r.u32(24)? as usize).min(FAILED_ARGS);
            Rec::ExecFail {
                ret: r.i64(16)?,
                more: r.u32(28)? != 0,
                path: r.cstr(32, STR_MAX)?,
                argv: (0..argc)
                    .map(|i| r.cstr(288 + i * FAILED_ARG_LEN, FAILED_ARG_LEN))
                    .collect::<Option<Vec<_>>>()?,
            }
        }
        _ => return None,
    };
    Some(Record { pid, ts, rec })
}

/// The /proc/PID/fd link text the kernel would show for an fd, from a
/// [`Rec::Fd`]: `pipe:[N]`, `socket:[N]`, `anon_inode:[eventpoll]`, or the
/// path (names joined from the root down).
pub fn fd_text(ty: FdType, ino: u64, comp: &[&[u8]]) -> Vec<u8> {
    match ty {
        FdType::Pipe => format!("pipe:[{ino}]").into_bytes(),
        FdType::Socket => format!("socket:[{ino}]").into_bytes(),
        FdType::Anon => {
            let mut s = b"anon_inode:".to_vec();
            s.extend_from_slice(comp.first().map_or(&b""[..], |c| c));
            s
        }
        FdType::Pidfd => b"anon_inode:[pidfd]".to_vec(),
        FdType::Pseudo => {
            let mut s = b"/".to_vec();
            s.extend_from_slice(comp.first().map_or(&b""[..], |c| c));
            s.extend_from_slice(b" (deleted)");
            s
        }
        FdType::Path | FdType::Fifo => {
            if comp.is_empty() {
                return b"/".to_vec();
            }
            let mut s = Vec::with_capacity(comp.iter().map(|c| c.len() + 1).sum());
            for c in comp.iter().rev() {
                s.push(b'/');
                s.extend_from_slice(c);
            }
            s
        }
    }
}
