//! Wake-up channels of event loops, for a snapshot of a live tree (`live`):
//! for the eventfds and unix sockets in the set of a task blocked in an
//! untimed select, poll or epoll_wait, which channel each is an end of, and
//! who else holds an end of it, anywhere on the system. An event loop
//! (asyncio, libuv, GLib) waits on such a channel as well as on its real
//! fds; when only its own process holds the channel, nothing outside can
//! make it ready, and `model::wait` sets it apart (`Wait::Loop`) so that it
//! does not hide a deadlock on the other fds.
//!
//! An eventfd is named by its `eventfd-id:` (its /proc/PID/fdinfo, Linux
//! 6.0 and later: every eventfd's link reads `anon_inode:[eventfd]`); a
//! unix socket by its inode and its peer's, asked of the kernel through
//! NETLINK_SOCK_DIAG (sock_diag(7): a `unix_diag_req` for that inode with
//! UDIAG_SHOW_PEER, answered with a UNIX_DIAG_PEER attribute). A socket
//! without a peer (a listening one, or one whose peer is gone) is no
//! channel: someone may connect or it is at EOF, and it stays outside the
//! analysis. Processes outside the snapshot that hold an end are added to
//! it (as holders of its pipes are), so the analysis sees them.
//!
//! Read only for the rare snapshot with such a wait; nothing here is on the
//! recorder's hot path.

use crate::model::snapshot::Snapshot;
use crate::trace::Pid;
use std::collections::{BTreeMap, HashSet};

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const UDIAG_SHOW_PEER: u32 = 4;
const UNIX_DIAG_PEER: u16 = 2;
const NLMSG_ERROR: u16 = 2;

/// The eventfd-id of `pid`'s fd `fd`, from its fdinfo.
fn eventfd_id(pid: Pid, fd: i32) -> Option<u64> {
    let info = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("eventfd-id:"))
        .and_then(|v| v.trim().parse().ok())
}

/// The inode of a `socket:[N]` link target.
fn socket_inode(target: &str) -> Option<u64> {
    target
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The inode of the peer of unix socket `ino`, asked of sock_diag.
fn unix_peer(ino: u64) -> Option<u64> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let ino = u32::try_from(ino).ok()?;
    // SAFETY: socket takes integers and returns a new fd or -1.
    let raw = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            libc::NETLINK_SOCK_DIAG,
        )
    };
    if raw < 0 {
        return None;
    }
    // SAFETY: raw is a new fd that nothing else owns.
    let sock = unsafe { OwnedFd::from_raw_fd(raw) };
    // struct nlmsghdr (16 bytes) + struct unix_diag_req (24 bytes).
    let mut req = Vec::with_capacity(40);
    req.extend_from_slice(&40u32.to_ne_bytes());
    req.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req.extend_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
    req.extend_from_slice(&1u32.to_ne_bytes()); // seq
    req.extend_from_slice(&0u32.to_ne_bytes()); // pid: the kernel
    req.push(libc::AF_UNIX as u8); // sdiag_family
    req.push(0); // sdiag_protocol
    req.extend_from_slice(&0u16.to_ne_bytes()); // pad
    req.extend_from_slice(&u32::MAX.to_ne_bytes()); // udiag_states: all
    req.extend_from_slice(&ino.to_ne_bytes());
    req.extend_from_slice(&UDIAG_SHOW_PEER.to_ne_bytes());
    req.extend_from_slice(&u32::MAX.to_ne_bytes()); // no cookie
    req.extend_from_slice(&u32::MAX.to_ne_bytes());
    // SAFETY: send reads req.len() bytes from a live buffer.
    let sent = unsafe { libc::send(sock.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) };
    if sent != req.len() as isize {
        return None;
    }
    let mut buf = [0u8; 8192];
    // SAFETY: recv writes at most buf.len() bytes into a live buffer. The
    // socket is blocking: the kernel answers a diag request at once.
    let n = unsafe { libc::recv(sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    let buf = &buf[..usize::try_from(n).ok()?];
    parse_peer(buf)
}

/// The UNIX_DIAG_PEER attribute of a sock_diag answer.
fn parse_peer(buf: &[u8]) -> Option<u64> {
    let u16_at = |i: usize| Some(u16::from_ne_bytes(buf.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_ne_bytes(buf.get(i..i + 4)?.try_into().ok()?));
    let len = u32_at(0)? as usize;
    if u16_at(4)? == NLMSG_ERROR || len > buf.len() {
        return None;
    }
    // nlmsghdr (16) + unix_diag_msg (16), then 4-aligned rtattrs.
    let mut at = 32;
    while at + 4 <= len {
        let (alen, atype) = (u16_at(at)? as usize, u16_at(at + 2)?);
        if alen < 4 {
            return None;
        }
        if atype == UNIX_DIAG_PEER && alen >= 8 {
            return u32_at(at + 4).map(u64::from).filter(|p| *p != 0);
        }
        at += (alen + 3) & !3;
    }
    None
}

/// The channel key of an eventfd or socket `target` of `pid`'s `fd`.
fn key_of(
    pid: Pid,
    fd: i32,
    target: &str,
    peers: &mut BTreeMap<u64, Option<u64>>,
) -> Option<String> {
    if target == "anon_inode:[eventfd]" {
        return eventfd_id(pid, fd).map(|id| format!("eventfd:{id}"));
    }
    let ino = socket_inode(target)?;
    let peer = (*peers.entry(ino).or_insert_with(|| unix_peer(ino)))?;
    let (a, b) = (ino.min(peer), ino.max(peer));
    Some(format!("socketpair:{a}-{b}"))
}

/// Names the wake-up channels in the wait sets of the snapshot's blocked
/// multiplexers, and every end of them (adding the processes outside the
/// snapshot that hold one).
pub(super) fn add_channels(snap: &mut Snapshot) {
    let mut peers: BTreeMap<u64, Option<u64>> = BTreeMap::new();
    let mut keys: HashSet<String> = HashSet::new();
    let mut inodes: HashSet<u64> = HashSet::new();
    let mut eventfds = false;
    for t in &snap.tasks {
        let Some(set) = t.syscall.as_ref().and_then(|s| s.polled.as_ref()) else {
            continue;
        };
        for p in set {
            let Some(f) = snap.fds(t.pid).iter().find(|f| f.fd == p.fd) else {
                continue;
            };
            if let Some(k) = key_of(t.pid, f.fd, &f.target, &mut peers) {
                eventfds |= k.starts_with("eventfd:");
                if let Some(ino) = socket_inode(&f.target) {
                    inodes.insert(ino);
                    if let Some(Some(peer)) = peers.get(&ino) {
                        inodes.insert(*peer);
                    }
                }
                keys.insert(k);
            }
        }
    }
    if keys.is_empty() {
        return;
    }
    let me = std::process::id() as Pid;
    let known: HashSet<Pid> = snap.tasks.iter().map(|t| t.pid).collect();
    // Every end of those channels, anywhere: (pid, fd, key).
    let mut ends: Vec<(Pid, i32, String)> = Vec::new();
    for pid in super::live::all_pids() {
        if pid == me {
            continue;
        }
        let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let Some(fd) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            let Ok(link) = std::fs::read_link(e.path()) else {
                continue;
            };
            let target = link.to_string_lossy();
            let wanted = (eventfds && target == "anon_inode:[eventfd]")
                || socket_inode(&target).is_some_and(|i| inodes.contains(&i));
            if !wanted {
                continue;
            }
            if let Some(k) = key_of(pid, fd, &target, &mut peers).filter(|k| keys.contains(k)) {
                ends.push((pid, fd, k));
            }
        }
    }
    for &(pid, _, _) in &ends {
        if !known.contains(&pid) && !snap.tasks.iter().any(|t| t.pid == pid) {
            snap.tasks
                .extend(super::live::read_process(pid, false, None));
        }
    }
    for t in snap.tasks.iter_mut() {
        for f in t.fds.iter_mut() {
            if let Some((_, _, k)) = ends.iter().find(|e| e.0 == t.pid && e.1 == f.fd) {
                f.channel = Some(k.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn the_peer_of_one_end_of_a_socket_pair_is_the_other() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let ino = |fd: i32| {
            std::fs::metadata(format!("/proc/self/fd/{fd}"))
                .unwrap()
                .ino()
        };
        let (ia, ib) = (ino(a.as_raw_fd()), ino(b.as_raw_fd()));
        assert_eq!(unix_peer(ia), Some(ib));
        assert_eq!(unix_peer(ib), Some(ia));
        drop(b);
        assert_eq!(unix_peer(ia), None, "a socket whose peer is gone has none");
    }

    #[test]
    fn a_sock_diag_error_or_a_short_answer_names_no_peer() {
        assert_eq!(parse_peer(&[]), None);
        let mut err = vec![0u8; 36];
        err[..4].copy_from_slice(&36u32.to_ne_bytes());
        err[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
        assert_eq!(parse_peer(&err), None);
    }
}
