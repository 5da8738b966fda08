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
use std::borrow::Cow;

/// A JSON value of the few shapes these kinds use.
enum Val<'a> {
    /// An integer: negative?, magnitude.
    Int(bool, u64),
    /// A string's bytes (valid UTF-8: [`kind`] checks the whole line
    /// once), borrowed from the line unless it had escapes.
    Str(Cow<'a, [u8]>),
    Bool(bool),
    Null,
    /// An array of strings.
    Strs(Vec<Cow<'a, [u8]>>),
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

    fn str(&self) -> Option<&[u8]> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    fn string(&self) -> Option<String> {
        String::from_utf8(self.str()?.to_vec()).ok()
    }

    fn raw(self) -> Option<RawStr> {
        match self {
            Val::Str(s) => Some(RawStr(s.into_owned())),
            _ => None,
        }
    }

    fn opt_string(&self) -> Option<Option<String>> {
        match self {
            Val::Null => Some(None),
            Val::Str(_) => Some(Some(self.string()?)),
            _ => None,
        }
    }
}

/// Where the next `"`, `\` or control character is in `b` (SWAR: eight
/// bytes at a time).
fn special(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for c in &mut chunks {
        let v = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        // Bytes < 0x20 (high bit clear and v - 0x20 borrows), '"' and '\'.
        let ctl = v.wrapping_sub(LO * 0x20) & !v & HI;
        let hit =
            ctl | has_zero(v ^ (LO * u64::from(b'"'))) | has_zero(v ^ (LO * u64::from(b'\\')));
        if hit != 0 {
            // The lowest flagged byte is a true match (borrows only run upwards).
            return Some(at + (hit.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|i| at + i)
}

/// Reads a string's body after its opening quote; returns its bytes and the
/// rest after the closing quote. The escapes serde decodes to one ASCII byte
/// (`\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t`) are decoded; `\u` gives up.
fn string(b: &[u8]) -> Option<(Cow<'_, [u8]>, &[u8])> {
    let end = special(b)?;
    match b[end] {
        b'"' => return Some((Cow::Borrowed(&b[..end]), &b[end + 1..])),
        b'\\' => {}
        _ => return None,
    }
    let mut out = b[..end].to_vec();
    let mut r = &b[end..];
    loop {
        let end = special(r)?;
        out.extend_from_slice(&r[..end]);
        match r[end] {
            b'"' => return Some((Cow::Owned(out), &r[end + 1..])),
            b'\\' => {
                out.push(match *r.get(end + 1)? {
                    c @ (b'"' | b'\\' | b'/') => c,
                    b'b' => 0x08,
                    b'f' => 0x0c,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    _ => return None,
                });
                r = &r[end + 2..];
            }
            _ => return None,
        }
    }
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
/// Calls `f` with each key and value; stops with `None` when `f` does. A
/// key with an escape gives up.
fn fields<'a>(mut b: &'a [u8], mut f: impl FnMut(&'a [u8], Val<'a>) -> Option<()>) -> Option<()> {
    loop {
        match *b.first()? {
            b'}' => return (b.len() == 1).then_some(()),
            b',' => {
                let (key, rest) = string(b.get(1..)?.strip_prefix(b"\"")?)?;
                let Cow::Borrowed(key) = key else {
                    return None;
                };
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
    // serde rejects a line that is not UTF-8: so does this parser, checking
    // the line once (an ASCII line needs no more) instead of each string.
    if !rest.is_ascii() && std::str::from_utf8(rest).is_err() {
        return None;
    }
    match name {
        b"close" => {
            let mut fd = None;
            fields(rest, |k, v| match k {
                b"fd" => once(&mut fd, v.i32()),
                _ => None,
            })?;
            Some(EventKind::Close { fd: fd? })
        }
        b"dup" => {
            let (mut old_fd, mut new_fd, mut via, mut cloexec, mut errno) =
                (None, None, None, None, None);
            fields(rest, |k, v| match k {
                b"old_fd" => once(&mut old_fd, v.i32()),
                b"new_fd" => once(&mut new_fd, v.i32()),
                b"via" => once(
                    &mut via,
                    match v.str()? {
                        b"dup" => Some(DupVia::Dup),
                        b"dup2" => Some(DupVia::Dup2),
                        b"dup3" => Some(DupVia::Dup3),
                        b"fcntl" => Some(DupVia::Fcntl),
                        _ => None,
                    },
                ),
                b"cloexec" => once(&mut cloexec, v.bool()),
                b"errno" => once(&mut errno, v.opt_string()),
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
                b"read_fd" => once(&mut read_fd, v.i32()),
                b"write_fd" => once(&mut write_fd, v.i32()),
                b"pipe_id" => once(&mut pipe_id, v.u64()),
                b"cloexec" => once(&mut cloexec, v.bool()),
                b"nonblock" => once(&mut nonblock, v.bool()),
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
                b"child" => once(&mut child, v.i32()),
                b"flavor" => once(
                    &mut flavor,
                    match v.str()? {
                        b"fork" => Some(ForkFlavor::Fork),
                        b"vfork" => Some(ForkFlavor::Vfork),
                        b"clone" => Some(ForkFlavor::Clone),
                        b"thread" => Some(ForkFlavor::Thread),
                        _ => None,
                    },
                ),
                b"shares_fds" => once(&mut shares_fds, v.bool()),
                b"syscall" => once(&mut syscall, v.string()),
                b"flags" => once(&mut flags, v.u64()),
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
                (b"status", Val::Exited(n)) => once(&mut status, Some(n)),
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
                b"target" => once(&mut target, v.i64()),
                b"reaped" => once(
                    &mut reaped,
                    match v {
                        Val::Null => Some(None::<Pid>),
                        v => v.i32().map(Some),
                    },
                ),
                b"status" => once(
                    &mut status,
                    match v {
                        Val::Null => Some(None),
                        Val::Exited(n) => Some(Some(Status::Exited { exited: n })),
                        _ => None,
                    },
                ),
                b"nohang" => once(&mut nohang, v.bool()),
                b"untraced" => once(&mut untraced, v.bool()),
                b"continued" => once(&mut continued, v.bool()),
                b"via" => once(
                    &mut via,
                    match v.str()? {
                        b"wait4" => Some(WaitVia::Wait4),
                        b"waitid" => Some(WaitVia::Waitid),
                        _ => None,
                    },
                ),
                b"errno" => once(&mut errno, v.opt_string()),
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
                b"fd" => once(&mut fd, v.i32()),
                b"path" => once(&mut path, v.raw()),
                b"flags" => once(&mut flags, v.string()),
                b"errno" => once(&mut errno, v.opt_string()),
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
                b"path" => once(&mut path, v.raw()),
                b"argv" => once(
                    &mut argv,
                    match v {
                        Val::Strs(v) => Some(
                            v.into_iter()
                                .map(|s| RawStr(s.into_owned()))
                                .collect::<Vec<_>>(),
                        ),
                        _ => None,
                    },
                ),
                b"ok" => once(&mut ok, v.bool()),
                b"errno" => once(&mut errno, v.opt_string()),
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
            // The escapes serde decodes to one byte, in paths and argv.
            r#""kind":"open","fd":3,"path":"/tmp/a\"b","flags":"O_RDONLY"}"#,
            r#""kind":"open","fd":3,"path":"/tmp/a\nb\\c\/d\te\rf\bg\fh","flags":"O_RDONLY"}"#,
            r#""kind":"open","fd":3,"path":"0123456789abcdef\"\"\\","flags":"O_RDONLY"}"#,
            r#""kind":"exec","path":"/usr/bin/printf","argv":["printf","a\nb\n"],"ok":true}"#,
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
            // \u escapes, bad escapes, raw control characters, an escaped
            // key, numbers serde reads otherwise, out of range.
            r#""kind":"open","fd":3,"path":"/tmp/\u00e9t\u00e9 \u2603","flags":"O_RDONLY"}"#,
            r#""kind":"open","fd":3,"path":"/tmp/a\qb","flags":"O_RDONLY"}"#,
            r#""kind":"open","fd":3,"path":"/tmp/a\"#,
            "\"kind\":\"open\",\"fd\":3,\"path\":\"/tmp/a\tb\",\"flags\":\"O_RDONLY\"}",
            r#""kind":"open","f\u0064":3,"path":"/tmp/a","flags":"O_RDONLY"}"#,
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

    #[test]
    fn every_escape_is_either_read_as_serde_reads_it_or_left_to_serde() {
        let p = r#"{"seq":1,"ts_ns":2,"pid":3,"kind":"exec","path":"/bin/"#;
        let mut read = 0;
        for c in 0x20u8..0x7f {
            let esc = format!("\\{}", c as char);
            // Alone, after eight bytes (the word-at-a-time search), in argv.
            for line in [
                format!(r#"{p}x{esc}y","argv":["a"],"ok":true}}"#),
                format!(r#"{p}01234567{esc}","argv":["a"],"ok":true}}"#),
                format!(r#"{p}x","argv":["a{esc}","{esc}{esc}"],"ok":true}}"#),
            ] {
                read += usize::from(agrees(&line));
            }
        }
        // The eight escapes serde decodes to one byte, three lines each.
        assert_eq!(read, 8 * 3);
    }

    #[test]
    fn a_line_that_is_not_utf8_is_left_to_serde() {
        let rest = b",\"fd\":3,\"path\":\"/tmp/\xff\",\"flags\":\"O_RDONLY\"}";
        assert!(kind(b"open", rest).is_none());
        let ok = b",\"fd\":3,\"path\":\"/tmp/\xc3\xa9\",\"flags\":\"O_RDONLY\"}";
        assert!(kind(b"open", ok).is_some());
    }
}
