//! A hand-written parser for the fields of the event kinds that fill most
//! traces (`close`, `dup`, `pipe`, `fork`, `open`, `exec`, `exit`, `wait`),
//! as forkscope writes them: one JSON object, no whitespace, strings
//! without escapes. It reads the line in place (no copy, no serde), and
//! gives up (`None`) on anything else: another key (a newer field, or one
//! it does not read, such as an exec's `fds`), a key twice, an escape, a
//! float, whitespace. The caller then takes serde's path, so the result is
//! always what serde makes of the line; the unit tests compare the two.

use super::bytes::RawStr;
use super::event::{DupVia, EventKind, ForkFlavor, Status, WaitVia};
use super::Pid;

/// A JSON value of the few shapes these kinds use.
enum Val<'a> {
    /// An integer: negative?, magnitude.
    Int(bool, u64),
    /// A string without escapes.
    Str(&'a str),
    Bool(bool),
    Null,
    /// An array of strings without escapes.
    Strs(Vec<&'a str>),
    /// `{"exited":N}`.
    Exited(i32),
}

impl Val<'_> {
    fn i32(&self) -> Option<i32> {
        match *self {
            Val::Int(neg, m) => {
                let v = i64::try_from(m).ok()?;
                i32::try_from(if neg { -v } else { v }).ok()
            }
            _ => None,
        }
    }

    fn i64(&self) -> Option<i64> {
        match *self {
            Val::Int(false, m) => i64::try_from(m).ok(),
            Val::Int(true, m) => 0i64.checked_sub_unsigned(m),
            _ => None,
        }
    }

    fn u64(&self) -> Option<u64> {
        match *self {
            Val::Int(false, m) => Some(m),
            _ => None,
        }
    }

    fn bool(&self) -> Option<bool> {
        match *self {
            Val::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match *self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    fn raw(&self) -> Option<RawStr> {
        self.str().map(|s| RawStr(s.as_bytes().to_vec()))
    }

    fn opt_string(&self) -> Option<Option<String>> {
        match self {
            Val::Null => Some(None),
            Val::Str(s) => Some(Some((*s).to_owned())),
            _ => None,
        }
    }
}

/// Reads a string's body after its opening quote; returns it and the rest
/// after the closing quote.
fn string(b: &[u8]) -> Option<(&str, &[u8])> {
    let end = b
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
    if b[end] != b'"' {
        return None;
    }
    Some((std::str::from_utf8(&b[..end]).ok()?, &b[end + 1..]))
}

fn int(b: &[u8]) -> Option<(Val<'static>, &[u8])> {
    let (neg, b) = match b.strip_prefix(b"-") {
        Some(r) => (true, r),
        None => (false, b),
    };
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    // No -0 (serde_json reads it as a float), no leading zeros.
    if n == 0 || n > 19 || (n > 1 && b[0] == b'0') || (neg && b[0] == b'0') {
        return None;
    }
    if matches!(b.get(n), Some(b'.' | b'e' | b'E')) {
        return None;
    }
    let mut m = 0u64;
    for &d in &b[..n] {
        m = m * 10 + u64::from(d - b'0');
    }
    Some((Val::Int(neg, m), &b[n..]))
}

fn value(b: &[u8]) -> Option<(Val<'_>, &[u8])> {
    match *b.first()? {
        b'"' => string(&b[1..]).map(|(s, r)| (Val::Str(s), r)),
        b't' => Some((Val::Bool(true), b.strip_prefix(b"true")?)),
        b'f' => Some((Val::Bool(false), b.strip_prefix(b"false")?)),
        b'n' => Some((Val::Null, b.strip_prefix(b"null")?)),
        b'[' => {
            let mut r = &b[1..];
            let mut v = Vec::new();
            if let Some(rest) = r.strip_prefix(b"]") {
                return Some((Val::Strs(v), rest));
            }
            loop {
                let (s, rest) = string(r.strip_prefix(b"\"")?)?;
                v.push(s);
                match *rest.first()? {
                    b',' => r = &rest[1..],
                    b']' => return Some((Val::Strs(v), &rest[1..])),
                    _ => return None,
                }
            }
        }
        b'{' => {
            let (v, rest) = int(b.strip_prefix(b"{\"exited\":")?)?;
            Some((Val::Exited(v.i32()?), rest.strip_prefix(b"}")?))
        }
        _ => int(b),
    }
}

/// The fields after the kind: `}` or `,"key":value,...}`, up to the end.
/// Calls `f` with each key and value; stops with `None` when `f` does.
fn fields<'a>(mut b: &'a [u8], mut f: impl FnMut(&'a str, Val<'a>) -> Option<()>) -> Option<()> {
    loop {
        match *b.first()? {
            b'}' => return (b.len() == 1).then_some(()),
            b',' => {
                let (key, rest) = string(b.get(1..)?.strip_prefix(b"\"")?)?;
                let (v, rest) = value(rest.strip_prefix(b":")?)?;
                f(key, v)?;
                b = rest;
            }
            _ => return None,
        }
    }
}

/// Sets `slot` once; a second value for the same key gives up.
fn once<T>(slot: &mut Option<T>, v: Option<T>) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(v?);
    Some(())
}

/// The event kind `name` with the fields in `rest` (what follows
/// `"kind":"NAME"`), or `None` to leave the line to serde.
pub(crate) fn kind(name: &[u8], rest: &[u8]) -> Option<EventKind> {
    match name {
        b"close" => {
            let mut fd = None;
            fields(rest, |k, v| match k {
                "fd" => once(&mut fd, v.i32()),
                _ => None,
            })?;
            Some(EventKind::Close { fd: fd? })
        }
        b"dup" => {
            let (mut old_fd, mut new_fd, mut via, mut cloexec, mut errno) =
                (None, None, None, None, None);
            fields(rest, |k, v| match k {
                "old_fd" => once(&mut old_fd, v.i32()),
                "new_fd" => once(&mut new_fd, v.i32()),
                "via" => once(
                    &mut via,
                    match v.str()? {
                        "dup" => Some(DupVia::Dup),
                        "dup2" => Some(DupVia::Dup2),
                        "dup3" => Some(DupVia::Dup3),
                        "fcntl" => Some(DupVia::Fcntl),
                        _ => None,
                    },
                ),
                "cloexec" => once(&mut cloexec, v.bool()),
                "errno" => once(&mut errno, v.opt_string()),
                _ => None,
            })?;
            Some(EventKind::Dup {
                old_fd: old_fd?,
                new_fd: new_fd?,
                via: via?,
                cloexec: cloexec.unwrap_or(false),
                errno: errno.flatten(),
            })
        }
        b"pipe" => {
            let (mut read_fd, mut write_fd, mut pipe_id, mut cloexec, mut nonblock) =
                (None, None, None, None, None);
            fields(rest, |k, v| match k {
                "read_fd" => once(&mut read_fd, v.i32()),
                "write_fd" => once(&mut write_fd, v.i32()),
                "pipe_id" => once(&mut pipe_id, v.u64()),
                "cloexec" => once(&mut cloexec, v.bool()),
                "nonblock" => once(&mut nonblock, v.bool()),
                _ => None,
            })?;
            Some(EventKind::Pipe {
                read_fd: read_fd?,
                write_fd: write_fd?,
                pipe_id: pipe_id?,
                cloexec: cloexec.unwrap_or(false),
                nonblock: nonblock.unwrap_or(false),
            })
        }
        b"fork" => {
            let (mut child, mut flavor, mut shares_fds, mut syscall, mut flags) =
                (None, None, None, None, None);
            fields(rest, |k, v| match k {
                "child" => once(&mut child, v.i32()),
                "flavor" => once(
                    &mut flavor,
                    match v.str()? {
                        "fork" => Some(ForkFlavor::Fork),
                        "vfork" => Some(ForkFlavor::Vfork),
                        "clone" => Some(ForkFlavor::Clone),
                        "thread" => Some(ForkFlavor::Thread),
                        _ => None,
                    },
                ),
                "shares_fds" => once(&mut shares_fds, v.bool()),
                "syscall" => once(&mut syscall, v.str().map(str::to_owned)),
                "flags" => once(&mut flags, v.u64()),
                _ => None,
            })?;
            Some(EventKind::Fork {
                child: child?,
                flavor: flavor?,
                shares_fds: shares_fds?,
                syscall: syscall?,
                flags: flags.unwrap_or(0),
                fds: None,
            })
        }
        b"exit" => {
            let mut status = None;
            fields(rest, |k, v| match (k, v) {
                ("status", Val::Exited(n)) => once(&mut status, Some(n)),
                _ => None,
            })?;
            // An exit with the name the process gave itself (`comm`) is an
            // unknown key here: serde reads it.
            Some(EventKind::Exit {
                status: Status::Exited { exited: status? },
                comm: None,
            })
        }
        b"wait" => {
            let (mut target, mut reaped, mut status, mut via, mut errno) =
                (None, None, None, None, None);
            let (mut nohang, mut untraced, mut continued) = (None, None, None);
            fields(rest, |k, v| match k {
                "target" => once(&mut target, v.i64()),
                "reaped" => once(
                    &mut reaped,
                    match v {
                        Val::Null => Some(None::<Pid>),
                        v => v.i32().map(Some),
                    },
                ),
                "status" => once(
                    &mut status,
                    match v {
                        Val::Null => Some(None),
                        Val::Exited(n) => Some(Some(Status::Exited { exited: n })),
                        _ => None,
                    },
                ),
                "nohang" => once(&mut nohang, v.bool()),
                "untraced" => once(&mut untraced, v.bool()),
                "continued" => once(&mut continued, v.bool()),
                "via" => once(
                    &mut via,
                    match v.str()? {
                        "wait4" => Some(WaitVia::Wait4),
                        "waitid" => Some(WaitVia::Waitid),
                        _ => None,
                    },
                ),
                "errno" => once(&mut errno, v.opt_string()),
                _ => None,
            })?;
            Some(EventKind::Wait {
                target: target?,
                reaped: reaped.flatten(),
                status: status.flatten(),
                nohang: nohang.unwrap_or(false),
                untraced: untraced.unwrap_or(false),
                continued: continued.unwrap_or(false),
                via: via?,
                errno: errno.flatten(),
            })
        }
        b"open" => {
            let (mut fd, mut path, mut flags, mut errno) = (None, None, None, None);
            fields(rest, |k, v| match k {
                "fd" => once(&mut fd, v.i32()),
                "path" => once(&mut path, v.raw()),
                "flags" => once(&mut flags, v.str().map(str::to_owned)),
                "errno" => once(&mut errno, v.opt_string()),
                _ => None,
            })?;
            Some(EventKind::Open {
                fd: fd?,
                path: path?,
                flags: flags?,
                dirfd: None,
                target: None,
                errno: errno.flatten(),
                kernel_name: None,
                how_rejected: false,
                unreadable: Vec::new(),
            })
        }
        b"exec" => {
            let (mut path, mut argv, mut ok, mut errno) = (None, None, None, None);
            fields(rest, |k, v| match k {
                "path" => once(&mut path, v.raw()),
                "argv" => once(
                    &mut argv,
                    match v {
                        Val::Strs(v) => Some(
                            v.iter()
                                .map(|s| RawStr(s.as_bytes().to_vec()))
                                .collect::<Vec<_>>(),
                        ),
                        _ => None,
                    },
                ),
                "ok" => once(&mut ok, v.bool()),
                "errno" => once(&mut errno, v.opt_string()),
                _ => None,
            })?;
            Some(EventKind::Exec {
                path: path?,
                argv: argv?,
                ok: ok?,
                errno: errno.flatten(),
                fds: None,
                elf: None,
                script: None,
                former_tid: None,
                argv_null: false,
                unreadable: Vec::new(),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Event;

    /// What serde makes of an event line: `Some(kind)` or `None` (an error).
    fn serde_kind(line: &str) -> Option<EventKind> {
        serde_json::from_str::<Event>(line).ok().map(|e| e.kind)
    }

    /// The hand parser's reading of a line, from its `"kind":"..."` on.
    fn quick_kind(line: &str) -> Option<EventKind> {
        let at = line.find(",\"kind\":\"")? + 9;
        let rest = &line.as_bytes()[at..];
        let n = rest.iter().position(|&c| c == b'"')?;
        kind(&rest[..n], &rest[n + 1..])
    }

    /// Wherever the hand parser reads a line, serde reads it the same.
    fn agrees(line: &str) -> bool {
        match quick_kind(line) {
            Some(k) => {
                assert_eq!(Some(k), serde_kind(line), "{line}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn the_hand_parser_reads_every_committed_event_as_serde_does() {
        let mut read = 0;
        for sample in [
            include_str!("../../fixtures/traces/sample.jsonl"),
            include_str!("../../fixtures/traces/handmade-pipeline.jsonl"),
            include_str!("../../fixtures/traces/sh-pipeline.jsonl"),
            include_str!("../../fixtures/traces/every-kind.jsonl"),
            include_str!("../../fixtures/traces/hostile.jsonl"),
            include_str!("../../fixtures/traces/redirect.jsonl"),
            include_str!("../../fixtures/traces/attached.jsonl"),
        ] {
            for line in sample.lines().skip(1) {
                read += usize::from(agrees(line));
            }
        }
        // It does read most of them (the rest go to serde).
        assert!(read > 150, "{read}");
    }

    #[test]
    fn the_hand_parser_reads_the_usual_lines_of_each_kind() {
        let p = r#"{"seq":1,"ts_ns":2,"pid":3,"#;
        for fields in [
            r#""kind":"close","fd":3}"#,
            r#""kind":"close","fd":-1}"#,
            r#""kind":"dup","old_fd":4,"new_fd":1,"via":"dup2"}"#,
            r#""kind":"dup","old_fd":4,"new_fd":1,"via":"dup3","cloexec":true}"#,
            r#""kind":"dup","old_fd":4,"new_fd":9,"via":"fcntl","errno":"EBADF"}"#,
            r#""kind":"dup","old_fd":4,"new_fd":9,"via":"dup","errno":null}"#,
            r#""kind":"pipe","read_fd":3,"write_fd":4,"pipe_id":18446744073709551}"#,
            r#""kind":"pipe","read_fd":3,"write_fd":4,"pipe_id":7,"cloexec":true,"nonblock":false}"#,
            r#""kind":"fork","child":1000,"flavor":"fork","shares_fds":false,"syscall":"clone","flags":18874385}"#,
            r#""kind":"fork","child":1000,"flavor":"thread","shares_fds":true,"syscall":"clone3"}"#,
            r#""kind":"fork","child":1000,"flavor":"vfork","shares_fds":false,"syscall":"vfork","flags":0}"#,
            r#""kind":"open","fd":3,"path":"/lib/libc.so.6","flags":"O_RDONLY|O_CLOEXEC"}"#,
            r#""kind":"open","fd":-1,"path":"/nope","flags":"O_RDONLY","errno":"ENOENT"}"#,
            r#""kind":"open","fd":3,"path":"/tmp/été ☃","flags":"O_RDONLY"}"#,
            r#""kind":"exec","path":"/usr/bin/wc","argv":["wc","-l"],"ok":true}"#,
            r#""kind":"exec","path":"/usr/bin/wc","argv":[],"ok":false,"errno":"ENOENT"}"#,
            r#""kind":"exit","status":{"exited":0}}"#,
            r#""kind":"exit","status":{"exited":-1}}"#,
            r#""kind":"wait","target":-1,"reaped":1000,"status":{"exited":0},"via":"wait4"}"#,
            r#""kind":"wait","target":-9223372036854775807,"reaped":null,"nohang":true,"via":"waitid","errno":"ECHILD"}"#,
            r#""kind":"wait","target":0,"via":"wait4","untraced":true,"continued":true}"#,
        ] {
            let line = format!("{p}{fields}");
            assert!(agrees(&line), "the hand parser left {line} to serde");
        }
    }

    #[test]
    fn lines_the_hand_parser_does_not_read_are_left_to_serde() {
        let p = r#"{"seq":1,"ts_ns":2,"pid":3,"#;
        for fields in [
            // A key twice (serde: an error), an unknown or unread key.
            r#""kind":"close","fd":3,"fd":4}"#,
            r#""kind":"close","fd":3,"extra":1}"#,
            r#""kind":"fork","child":1,"flavor":"thread","shares_fds":true,"syscall":"clone","fds":[]}"#,
            r#""kind":"exec","path":"/bin/sh","argv":["sh"],"ok":true,"fds":[{"fd":0,"target":"/dev/null"}]}"#,
            // Escapes, numbers serde reads otherwise, out of range.
            r#""kind":"open","fd":3,"path":"/tmp/a\"b","flags":"O_RDONLY"}"#,
            r#""kind":"open","fd":3,"path":"/tmp/a\nb","flags":"O_RDONLY"}"#,
            r#""kind":"open","fd":3,"path":"/tmp/\u00e9t\u00e9 \u2603","flags":"O_RDONLY"}"#,
            r#""kind":"open","fd":3,"path":{"hex":"ff00"},"flags":"O_RDONLY"}"#,
            r#""kind":"close","fd":3.0}"#,
            r#""kind":"close","fd":-0}"#,
            r#""kind":"close","fd":03}"#,
            r#""kind":"close","fd":1e2}"#,
            r#""kind":"close","fd":2147483648}"#,
            r#""kind":"pipe","read_fd":3,"write_fd":4,"pipe_id":-7}"#,
            r#""kind":"pipe","read_fd":3,"write_fd":4,"pipe_id":99999999999999999999}"#,
            // Missing fields, wrong types, other statuses, whitespace.
            r#""kind":"close"}"#,
            r#""kind":"dup","old_fd":4,"via":"dup2"}"#,
            r#""kind":"dup","old_fd":4,"new_fd":1,"via":"dup9"}"#,
            r#""kind":"dup","old_fd":4,"new_fd":1,"via":"dup2","cloexec":null}"#,
            r#""kind":"exit","status":{"signaled":"SIGPIPE","core":false}}"#,
            r#""kind":"exit","status":{"exited":0,"core":false}}"#,
            r#""kind":"wait","target":-1,"reaped":5,"status":{"stopped":"SIGSTOP"},"via":"wait4"}"#,
            r#""kind":"close","fd": 3}"#,
            r#""kind":"close","fd":3} "#,
            r#""kind":"close","fd":3}}"#,
            r#""kind":"close","fd":3"#,
            r#""kind":"teleport","to":"mars"}"#,
        ] {
            let line = format!("{p}{fields}");
            assert!(!agrees(&line), "the hand parser read {line}");
        }
    }
}
