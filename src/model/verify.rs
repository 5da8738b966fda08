//! Checking the model against the kernel: after a successful exec the trace
//! carries the kernel's fd table (from /proc); the model's table for that
//! process should say the same.
//!
//! /proc shows less than the model knows: no pipe direction (only the
//! inode), resolved absolute paths where the model may hold the relative path
//! passed to open. So the comparison is by fd number and object: pipes by
//! inode, sockets by inode when the model knows it, files like with like:
//! the kernel's name of the fd when the open recorded it (`kernel_name`:
//! `/usr/bin/dash` for `/bin/sh`, `/dev/pts/0` for `/dev/stdin`), else the
//! path loosely (the kernel's path ends with the model's). An fd the model
//! holds as unknown matches nothing: it is reported.
//!
//! io_uring can open and close fds without a syscall (IORING_OP_OPENAT,
//! IORING_OP_CLOSE): in a table holding an io_uring instance, an fd only one
//! side has is reported as `unseen` (appeared or vanished unseen), which is
//! a limit of tracing syscalls, not a model error.

use super::fd_table::FdTable;
use super::open_file::{Object, OpenFile, OpenFileId};
use crate::trace::{parse_bracket_inode, FdEntry, Pid};
use std::cmp::Ordering;
use std::fmt;

/// One fd on which the model and the kernel disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The event whose snapshot showed it.
    pub seq: u64,
    /// The process.
    pub pid: Pid,
    /// The fd.
    pub fd: i32,
    /// What the model has there (`None`: the fd is not open in the model).
    pub model: Option<String>,
    /// What the kernel has there (`None`: the fd is not open in the kernel).
    pub kernel: Option<String>,
    /// The table holds an io_uring instance and only one side has the fd:
    /// it appeared or vanished unseen, through io_uring rather than a
    /// syscall. Not a model error.
    pub unseen: bool,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let say = |s: &Option<String>| s.clone().unwrap_or_else(|| "nothing".into());
        write!(
            f,
            "seq {}: pid {} fd {}: the model has {}, the kernel has {}",
            self.seq,
            self.pid,
            self.fd,
            say(&self.model),
            say(&self.kernel)
        )
    }
}

/// Compares a model fd table (`None`: the model has no such process) with a
/// kernel snapshot; `file` looks up open files.
pub(crate) fn compare<'a>(
    seq: u64,
    pid: Pid,
    table: Option<&FdTable>,
    file: impl Fn(OpenFileId) -> Option<&'a OpenFile>,
    snapshot: &[FdEntry],
) -> Vec<Divergence> {
    let mut kernel: Vec<&FdEntry> = snapshot.iter().collect();
    kernel.sort_by_key(|e| e.fd);
    let mut model = table.into_iter().flat_map(|t| t.iter()).peekable();
    let mut kernel = kernel.into_iter().peekable();
    let mut out = Vec::new();
    let describe = |id: OpenFileId| match file(id) {
        None => format!("open file {id} (lost)"),
        Some(f) if f.object == Object::Unknown => "an fd it does not know".to_string(),
        Some(f) => f.to_string(),
    };
    let uring = table.is_some_and(|t| {
        t.used_io_uring()
            || t.iter().any(|(_, s)| {
                file(s.file).is_some_and(
                |f| matches!(&f.object, Object::Other { target } if target.as_bytes() == IO_URING),
            )
            })
    });
    loop {
        let order = match (model.peek(), kernel.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(m), Some(k)) => m.0.cmp(&k.fd),
        };
        match order {
            Ordering::Less => {
                let Some((fd, slot)) = model.next() else {
                    break;
                };
                out.push(Divergence {
                    seq,
                    pid,
                    fd,
                    model: Some(describe(slot.file)),
                    kernel: None,
                    unseen: uring,
                });
            }
            Ordering::Greater => {
                let Some(k) = kernel.next() else { break };
                out.push(Divergence {
                    seq,
                    pid,
                    fd: k.fd,
                    model: None,
                    kernel: Some(k.target.lossy().into_owned()),
                    unseen: uring,
                });
            }
            Ordering::Equal => {
                let (Some((fd, slot)), Some(k)) = (model.next(), kernel.next()) else {
                    break;
                };
                let same = file(slot.file).is_some_and(|f| file_matches(f, k.target.as_bytes()));
                if !same {
                    out.push(Divergence {
                        seq,
                        pid,
                        fd,
                        model: Some(describe(slot.file)),
                        kernel: Some(k.target.lossy().into_owned()),
                        unseen: false,
                    });
                }
            }
        }
    }
    out
}

/// The close-on-exec flags of a snapshot that read them (`fd_snapshot`
/// with `cloexec`): each fd both sides hold, with the same object, must
/// have the flag the kernel shows. (A different object or a missing fd is
/// [`compare`]'s to report.)
pub(crate) fn compare_cloexec<'a>(
    seq: u64,
    pid: Pid,
    table: Option<&FdTable>,
    file: impl Fn(OpenFileId) -> Option<&'a OpenFile>,
    snapshot: &[FdEntry],
) -> Vec<Divergence> {
    let Some(table) = table else {
        return Vec::new();
    };
    let flag = |on: bool| {
        if on {
            "close-on-exec"
        } else {
            "not close-on-exec"
        }
    };
    snapshot
        .iter()
        .filter_map(|k| {
            let slot = table.get(k.fd)?;
            let f = file(slot.file)?;
            (file_matches(f, k.target.as_bytes()) && slot.cloexec != k.cloexec).then(|| {
                Divergence {
                    seq,
                    pid,
                    fd: k.fd,
                    model: Some(format!("{f}, {}", flag(slot.cloexec))),
                    kernel: Some(format!("{}, {}", k.target.lossy(), flag(k.cloexec))),
                    unseen: false,
                }
            })
        })
        .collect()
}

/// What /proc shows for an io_uring instance.
const IO_URING: &[u8] = b"anon_inode:[io_uring]";

/// Does the model's open file match what /proc shows? Like with like: the
/// name the kernel gave the fd when it was opened, when the trace has it
/// (a file unlinked since shows as `NAME (deleted)`), else [`matches`].
pub(crate) fn file_matches(f: &OpenFile, kernel: &[u8]) -> bool {
    match (&f.kernel_name, &f.object) {
        (_, Object::Unknown) => false,
        (Some(name), Object::File { .. } | Object::Tty { .. }) => {
            let strip =
                |b: &'_ [u8]| -> Vec<u8> { b.strip_suffix(b" (deleted)").unwrap_or(b).to_vec() };
            strip(name.as_bytes()) == strip(kernel)
        }
        _ => matches(&f.object, kernel),
    }
}

/// The fds of a fork snapshot that the kernel said are still the parent's
/// (`same_as_pid`): where the model's parent `table` has that fd open, it
/// must hold the object the kernel showed.
pub(crate) fn compare_shared<'a>(
    seq: u64,
    parent: Pid,
    table: &FdTable,
    file: impl Fn(OpenFileId) -> Option<&'a OpenFile>,
    snapshot: &[FdEntry],
) -> Vec<Divergence> {
    let mut out = Vec::new();
    for e in snapshot.iter().filter(|e| e.same_as_pid.is_some()) {
        let Some(fd) = e.same_as else { continue };
        let Some(slot) = table.get(fd) else { continue };
        let model = file(slot.file);
        if !model.is_some_and(|f| file_matches(f, e.target.as_bytes())) {
            out.push(Divergence {
                seq,
                pid: parent,
                fd,
                model: Some(model.map_or_else(
                    || format!("open file {} (lost)", slot.file),
                    |f| f.to_string(),
                )),
                kernel: Some(e.target.lossy().into_owned()),
                unseen: false,
            });
        }
    }
    out
}

/// Does the model's object plausibly match what /proc shows?
pub(crate) fn matches(object: &Object, kernel: &[u8]) -> bool {
    match object {
        // /proc shows an anonymous pipe as pipe:[INODE] but a FIFO by its path.
        Object::Pipe { pipe, fifo } => {
            parse_bracket_inode(kernel, b"pipe:[") == Some(*pipe)
                || fifo
                    .as_ref()
                    .is_some_and(|f| path_matches(f.as_bytes(), kernel))
        }
        Object::Socket { inode: Some(i), .. } => {
            parse_bracket_inode(kernel, b"socket:[") == Some(*i)
        }
        Object::Socket { inode: None, .. } => kernel.starts_with(b"socket:["),
        Object::File { path } | Object::Tty { path } => path_matches(path.as_bytes(), kernel),
        Object::Other { target } => target.as_bytes() == kernel,
        // An fd the model does not know cannot be vouched for.
        Object::Unknown => false,
    }
}

/// A path as the model knows it (possibly relative, `./x`, `../x`) against
/// the kernel's absolute one (possibly `... (deleted)`).
fn path_matches(model: &[u8], kernel: &[u8]) -> bool {
    // A file unlinked since (or, from a snapshot, already: a memfd) shows
    // as `PATH (deleted)`.
    let kernel = kernel.strip_suffix(b" (deleted)").unwrap_or(kernel);
    let mut m = model.strip_suffix(b" (deleted)").unwrap_or(model);
    while let Some(rest) = m.strip_prefix(b"./") {
        m = rest;
    }
    if m.is_empty() || m == b"." || kernel == m {
        return true;
    }
    if m.starts_with(b"/") && !m.windows(4).any(|w| w == b"/../") {
        return false;
    }
    // `../x` or `a/../b`: only the last component can be compared.
    if m.starts_with(b"../") || m.windows(4).any(|w| w == b"/../") {
        let last = |p: &[u8]| p.rsplit(|b| *b == b'/').next().map(<[u8]>::to_vec);
        return last(m) == last(kernel);
    }
    kernel.len() > m.len() && kernel.ends_with(m) && kernel[kernel.len() - m.len() - 1] == b'/'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_match_the_absolute_path_they_end() {
        assert!(path_matches(b"out.txt", b"/home/u/out.txt"));
        assert!(path_matches(b"./out.txt", b"/home/u/out.txt"));
        assert!(path_matches(b"/tmp/x", b"/tmp/x (deleted)"));
        assert!(path_matches(b"../x", b"/home/x"));
        assert!(!path_matches(b"t.txt", b"/home/u/out.txt"));
        assert!(!path_matches(b"/tmp/a", b"/tmp/b"));
    }

    #[test]
    fn pipes_match_by_inode_and_sockets_by_inode_when_known() {
        let pipe = Object::Pipe {
            pipe: 7,
            fifo: None,
        };
        assert!(matches(&pipe, b"pipe:[7]"));
        assert!(!matches(&pipe, b"pipe:[8]"));
        let sock = Object::Socket {
            inode: None,
            domain: None,
        };
        assert!(matches(&sock, b"socket:[99]"));
        assert!(!matches(&sock, b"pipe:[99]"));
    }
}
