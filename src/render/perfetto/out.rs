//! The Perfetto export's JSON, written by hand into a reusable byte
//! buffer: the same bytes `serde_json::to_writer` makes (its escaping, its
//! integer and float forms), without building a `serde_json::Value` or a
//! `String` per event. Event fields are written here only for the kinds that
//! fill most traces (`close`, `dup`, `pipe`, `open`, `wait`) and only in the
//! shapes these writers know; for anything else [`fields`] says no and the
//! caller takes serde's path. The unit tests compare both paths.

use crate::render::json_stream;
use crate::trace::{DupVia, EventKind, RawStr, Status, WaitVia};
use serde_json::ser::{CompactFormatter, Formatter};

/// Appends `s` as a JSON string (quotes included), escaped as serde_json
/// does: export's writer's escaping ([`json_stream::string`]).
pub(crate) fn str(buf: &mut Vec<u8>, s: &str) {
    json_stream::string(buf, s);
}

/// Appends an unsigned integer.
pub(crate) fn u64(buf: &mut Vec<u8>, v: u64) {
    json_stream::uint(buf, v);
}

/// Appends a signed integer.
pub(crate) fn i64(buf: &mut Vec<u8>, v: i64) {
    json_stream::int(buf, v);
}

/// Appends a float as serde_json writes a finite `f64`.
pub(crate) fn f64(buf: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        let _ = CompactFormatter.write_f64(buf, v);
    } else {
        buf.extend_from_slice(b"null");
    }
}

/// Appends `,"key":` (or `"key":` at the start of an object, after `{`).
pub(crate) fn key(buf: &mut Vec<u8>, k: &str) {
    if buf.last() != Some(&b'{') {
        buf.push(b',');
    }
    buf.push(b'"');
    buf.extend_from_slice(k.as_bytes());
    buf.extend_from_slice(b"\":");
}

/// A `RawStr` that serializes as a plain string (valid UTF-8), else `None`
/// (serde writes `{"hex":...}`).
fn text(r: &RawStr) -> Option<&str> {
    std::str::from_utf8(r.as_bytes()).ok()
}

/// Appends `,"k":"v"` when `v` is set.
fn opt_str(buf: &mut Vec<u8>, k: &str, v: &Option<String>) {
    if let Some(v) = v {
        key(buf, k);
        str(buf, v);
    }
}

/// Appends `,"k":true` when `v`.
fn flag(buf: &mut Vec<u8>, k: &str, v: bool) {
    if v {
        key(buf, k);
        buf.extend_from_slice(b"true");
    }
}

/// Appends the event's own fields (without `kind`) as the normalized
/// stream has them: keys in alphabetical order (a `serde_json::Map`), after
/// what is already in `buf`. `false` (and `buf` as it was) for a kind or a
/// shape these writers do not know: a `RawStr` that is not UTF-8, a status
/// other than an exit code, fd snapshots.
pub(crate) fn fields(buf: &mut Vec<u8>, kind: &EventKind) -> bool {
    if !knows(kind) {
        return false;
    }
    let mark = buf.len();
    let done = match kind {
        EventKind::Close { fd } => {
            key(buf, "fd");
            i64(buf, *fd as i64);
            true
        }
        EventKind::Dup {
            old_fd,
            new_fd,
            via,
            cloexec,
            errno,
        } => {
            flag(buf, "cloexec", *cloexec);
            opt_str(buf, "errno", errno);
            key(buf, "new_fd");
            i64(buf, *new_fd as i64);
            key(buf, "old_fd");
            i64(buf, *old_fd as i64);
            key(buf, "via");
            str(
                buf,
                match via {
                    DupVia::Dup => "dup",
                    DupVia::Dup2 => "dup2",
                    DupVia::Dup3 => "dup3",
                    DupVia::Fcntl => "fcntl",
                },
            );
            true
        }
        EventKind::Pipe {
            read_fd,
            write_fd,
            pipe_id,
            cloexec,
            nonblock,
        } => {
            flag(buf, "cloexec", *cloexec);
            flag(buf, "nonblock", *nonblock);
            key(buf, "pipe_id");
            u64(buf, *pipe_id);
            key(buf, "read_fd");
            i64(buf, *read_fd as i64);
            key(buf, "write_fd");
            i64(buf, *write_fd as i64);
            true
        }
        EventKind::Open {
            fd,
            path,
            flags,
            dirfd,
            target,
            errno,
            kernel_name,
            how_rejected,
            unreadable,
        } => open(
            buf,
            *fd,
            path,
            flags,
            *dirfd,
            target.as_ref(),
            errno,
            kernel_name.as_ref(),
            *how_rejected,
            unreadable,
        ),
        EventKind::Wait {
            target,
            reaped,
            status,
            nohang,
            untraced,
            continued,
            via,
            errno,
        } => {
            flag(buf, "continued", *continued);
            opt_str(buf, "errno", errno);
            flag(buf, "nohang", *nohang);
            key(buf, "reaped");
            match reaped {
                Some(p) => i64(buf, *p as i64),
                None => buf.extend_from_slice(b"null"),
            }
            let known = match status {
                None => true,
                Some(Status::Exited { exited }) => {
                    key(buf, "status");
                    buf.extend_from_slice(b"{\"exited\":");
                    i64(buf, *exited as i64);
                    buf.push(b'}');
                    true
                }
                Some(_) => false,
            };
            key(buf, "target");
            i64(buf, *target);
            flag(buf, "untraced", *untraced);
            key(buf, "via");
            str(
                buf,
                match via {
                    WaitVia::Wait4 => "wait4",
                    WaitVia::Waitid => "waitid",
                },
            );
            known
        }
        _ => false,
    };
    if !done {
        buf.truncate(mark);
    }
    done
}

/// Whether [`fields`] writes the fields of `kind`.
pub(crate) fn knows(kind: &EventKind) -> bool {
    let utf8 = |r: &Option<RawStr>| r.as_ref().is_none_or(|r| text(r).is_some());
    match kind {
        EventKind::Close { .. } | EventKind::Dup { .. } | EventKind::Pipe { .. } => true,
        EventKind::Open {
            path,
            target,
            kernel_name,
            ..
        } => text(path).is_some() && utf8(target) && utf8(kernel_name),
        EventKind::Wait { status, .. } => {
            matches!(status, None | Some(Status::Exited { .. }))
        }
        _ => false,
    }
}

/// The fields of an `open`, alphabetically; `false` when a path is not UTF-8.
#[allow(clippy::too_many_arguments)]
fn open(
    buf: &mut Vec<u8>,
    fd: i32,
    path: &RawStr,
    flags: &str,
    dirfd: Option<i32>,
    target: Option<&RawStr>,
    errno: &Option<String>,
    kernel_name: Option<&RawStr>,
    how_rejected: bool,
    unreadable: &[String],
) -> bool {
    let (Some(path), Some(target), Some(kernel_name)) = (
        text(path),
        target.map_or(Some(None), |t| text(t).map(Some)),
        kernel_name.map_or(Some(None), |t| text(t).map(Some)),
    ) else {
        return false;
    };
    if let Some(d) = dirfd {
        key(buf, "dirfd");
        i64(buf, d as i64);
    }
    opt_str(buf, "errno", errno);
    key(buf, "fd");
    i64(buf, fd as i64);
    key(buf, "flags");
    str(buf, flags);
    flag(buf, "how_rejected", how_rejected);
    if let Some(k) = kernel_name {
        key(buf, "kernel_name");
        str(buf, k);
    }
    key(buf, "path");
    str(buf, path);
    if let Some(t) = target {
        key(buf, "target");
        str(buf, t);
    }
    if !unreadable.is_empty() {
        key(buf, "unreadable");
        buf.push(b'[');
        for (i, u) in unreadable.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            str(buf, u);
        }
        buf.push(b']');
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Sig;
    use serde_json::Value;

    /// What the normalized stream makes of the kind's fields: a Map, `kind` removed.
    fn by_serde(kind: &EventKind) -> String {
        let Ok(Value::Object(mut m)) = serde_json::to_value(kind) else {
            panic!("not an object");
        };
        m.remove("kind");
        let mut text = serde_json::to_string(&m).unwrap();
        // `{...}` less the braces: what follows a key already written.
        text.remove(0);
        text.pop();
        text
    }

    fn by_hand(kind: &EventKind) -> Option<String> {
        let mut buf = b"{".to_vec();
        if !fields(&mut buf, kind) {
            assert_eq!(buf, b"{", "a refusal leaves the buffer as it was");
            return None;
        }
        Some(String::from_utf8(buf[1..].to_vec()).unwrap())
    }

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let mut all: String = (0u8..128).map(char::from).collect();
        all.push_str("\u{e9}\u{4e2d}\u{2028}\u{7f}\u{80}\u{10ffff}\"\\/");
        for s in [all.as_str(), "", "plain", "a\nb", "\u{1}\u{1f}"] {
            let mut buf = Vec::new();
            str(&mut buf, s);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for v in [0.0, 1.0, 4.4, 1699998.3, 0.001, 1e16, 123456789.123, 1e-7] {
            let mut buf = Vec::new();
            f64(&mut buf, v);
            assert_eq!(
                String::from_utf8(buf).unwrap(),
                serde_json::to_string(&v).unwrap()
            );
        }
        for v in [0i64, -1, i64::MIN, i64::MAX, 42] {
            let mut buf = Vec::new();
            i64(&mut buf, v);
            assert_eq!(String::from_utf8(buf).unwrap(), v.to_string());
        }
        let mut buf = Vec::new();
        u64(&mut buf, u64::MAX);
        assert_eq!(buf, u64::MAX.to_string().as_bytes());
    }

    #[test]
    fn hand_written_fields_are_the_normalized_streams_fields_byte_for_byte() {
        let odd = RawStr::from(vec![b'/', 0xff, b'x']);
        let mut kinds = vec![
            EventKind::Close { fd: 3 },
            EventKind::Close { fd: -1 },
            EventKind::Pipe {
                read_fd: 3,
                write_fd: 4,
                pipe_id: u64::MAX,
                cloexec: false,
                nonblock: false,
            },
            EventKind::Pipe {
                read_fd: 5,
                write_fd: 6,
                pipe_id: 77,
                cloexec: true,
                nonblock: true,
            },
        ];
        for via in [DupVia::Dup, DupVia::Dup2, DupVia::Dup3, DupVia::Fcntl] {
            for (cloexec, errno) in [(false, None), (true, Some("EBADF\n\"x".to_string()))] {
                kinds.push(EventKind::Dup {
                    old_fd: 4,
                    new_fd: 1,
                    via,
                    cloexec,
                    errno,
                });
            }
        }
        for (target, kernel_name, path) in [
            (None, None, RawStr::from("/lib/libc.so.6")),
            (
                Some(RawStr::from("pipe:[9]")),
                Some(RawStr::from("/dev/pts/0")),
                RawStr::from("a\tb\"c\\"),
            ),
            (None, None, odd.clone()),
            (Some(odd.clone()), None, RawStr::from("/x")),
            (None, Some(odd.clone()), RawStr::from("/x")),
        ] {
            for (dirfd, errno, how_rejected, unreadable) in [
                (None, None, false, vec![]),
                (
                    Some(-100),
                    Some("ENOENT".to_string()),
                    true,
                    vec!["path".to_string(), "how".to_string()],
                ),
            ] {
                kinds.push(EventKind::Open {
                    fd: 3,
                    path: path.clone(),
                    flags: "O_RDONLY|O_CLOEXEC".into(),
                    dirfd,
                    target: target.clone(),
                    errno,
                    kernel_name: kernel_name.clone(),
                    how_rejected,
                    unreadable,
                });
            }
        }
        let statuses = [
            None,
            Some(Status::Exited { exited: -3 }),
            Some(Status::Signaled {
                signaled: Sig(13),
                core: true,
            }),
            Some(Status::Stopped { stopped: Sig(19) }),
            Some(Status::Continued { continued: true }),
        ];
        for status in statuses {
            for (reaped, flags, errno) in [
                (Some(1000), false, None),
                (None, true, Some("ECHILD".to_string())),
            ] {
                for via in [WaitVia::Wait4, WaitVia::Waitid] {
                    kinds.push(EventKind::Wait {
                        target: -1,
                        reaped,
                        status,
                        nohang: flags,
                        untraced: flags,
                        continued: flags,
                        via,
                        errno: errno.clone(),
                    });
                }
            }
        }
        kinds.push(EventKind::Continue {});
        let mut fast = 0;
        for k in &kinds {
            if let Some(hand) = by_hand(k) {
                fast += 1;
                assert_eq!(hand, by_serde(k), "{k:?}");
            }
        }
        // Only what the writers cannot do goes the slow way.
        // (opens with a path that is not UTF-8, waits with another status, `continue`)
        assert_eq!(kinds.len() - fast, 3 * 2 + 3 * 2 * 2 + 1, "{fast}");
    }
}
