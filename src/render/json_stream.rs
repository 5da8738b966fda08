//! `forkscope export --format json`, written by hand: the same bytes as
//! [`super::json::JsonExport`] (which builds a `serde_json::Value` per
//! event and stays as the reference the tests compare with), about ten times
//! faster. Each element is written straight into one reusable byte buffer:
//! numbers digit by digit, strings escaped as serde_json escapes them, the
//! call and the sentence written by the narration's `write_*` functions into
//! one reusable `String`, and the event's own fields in the order a
//! `serde_json::Map` (a `BTreeMap`) keeps them: alphabetical. The kinds that
//! are rare and deeply nested (`stall`, `ptrace_limit`, `front_exit`) take
//! the reference's own field map.
//!
//! The buffer goes to the writer in blocks of [`BLOCK`] bytes, so the writer
//! sees few large writes and memory does not grow with the trace.

use super::json::{fields, Seen};
use super::narrate::write_pipe_label;
use crate::model::labels::Labels;
use crate::model::PipeId;
use crate::trace::{ElfFacts, Event, EventKind, FdEntry, RawStr, Sig, Status};
use std::io::{self, Write};

mod looks;

pub(crate) use looks::{Before, Looks, Span, Take};

/// How many bytes are gathered before they are handed to the writer.
pub const BLOCK: usize = 1 << 17;

/// Writes the normalized event stream: `[`, one element per line, `]`.
pub struct JsonStream<W: Write> {
    out: W,
    buf: Vec<u8>,
    /// Reused for the texts that are written before they are escaped.
    text: String,
    written: u64,
}

impl<W: Write> JsonStream<W> {
    /// Starts the array.
    pub fn new(out: W) -> Self {
        let mut buf = Vec::with_capacity(BLOCK + 4096);
        buf.push(b'[');
        JsonStream {
            out,
            buf,
            text: String::new(),
            written: 0,
        }
    }

    /// Writes the element of one event.
    pub fn event(&mut self, seen: &Seen) -> io::Result<()> {
        let first = self.written == 0;
        element(&mut self.buf, &mut self.text, seen, first);
        self.written += 1;
        if self.buf.len() >= BLOCK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes one element with `write`, which appends it (with the `,\n`
    /// or `\n` before it, as `first` says) to the buffer it is given.
    pub(crate) fn write_with(&mut self, write: impl FnOnce(&mut Vec<u8>, bool)) -> io::Result<()> {
        write(&mut self.buf, self.written == 0);
        self.written += 1;
        if self.buf.len() >= BLOCK {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Closes the array and hands back the writer (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.buf.extend_from_slice(b"\n]\n");
        self.out.write_all(&self.buf)?;
        Ok(self.out)
    }
}

/// Appends one element (with the `,\n` or `\n` before it) to `buf`.
pub(crate) fn element(buf: &mut Vec<u8>, text: &mut String, seen: &Seen, first: bool) {
    let mut looks = Looks::default();
    let before = looks.before_of(seen.prior);
    let take = Take {
        program: true,
        words: true,
    };
    looks.push(
        seen.event,
        seen.model,
        seen.labels,
        seen.applied,
        before,
        take,
    );
    looks.write(0, buf, text, seen.lang, first);
}

fn pipe_label(buf: &mut Vec<u8>, text: &mut String, labels: &Labels, id: PipeId) {
    text.clear();
    write_pipe_label(text, labels, id);
    string(buf, text);
}

/// `,"key":` (every field follows another key).
fn key(buf: &mut Vec<u8>, k: &str) {
    buf.extend_from_slice(b",\"");
    buf.extend_from_slice(k.as_bytes());
    buf.extend_from_slice(b"\":");
}

fn flag(buf: &mut Vec<u8>, k: &str, on: bool) {
    if on {
        key(buf, k);
        buf.extend_from_slice(b"true");
    }
}

fn boolean(buf: &mut Vec<u8>, k: &str, v: bool) {
    key(buf, k);
    buf.extend_from_slice(if v { b"true" } else { b"false" });
}

fn opt_str(buf: &mut Vec<u8>, k: &str, v: &Option<String>) {
    if let Some(s) = v {
        key(buf, k);
        string(buf, s);
    }
}

fn opt_int(buf: &mut Vec<u8>, k: &str, v: Option<i64>) {
    if let Some(n) = v {
        key(buf, k);
        int(buf, n);
    }
}

fn opt_raw(buf: &mut Vec<u8>, k: &str, v: &Option<RawStr>) {
    if let Some(r) = v {
        key(buf, k);
        raw(buf, r);
    }
}

fn ints(buf: &mut Vec<u8>, v: impl IntoIterator<Item = i64>) {
    buf.push(b'[');
    for (i, n) in v.into_iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        int(buf, n);
    }
    buf.push(b']');
}

fn strings(buf: &mut Vec<u8>, v: &[String]) {
    buf.push(b'[');
    for (i, s) in v.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        string(buf, s);
    }
    buf.push(b']');
}

fn raws(buf: &mut Vec<u8>, v: &[RawStr]) {
    buf.push(b'[');
    for (i, s) in v.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        raw(buf, s);
    }
    buf.push(b']');
}

fn sig(buf: &mut Vec<u8>, s: Sig) {
    string(buf, &s.name());
}

/// A status as its untagged serde form, keys in order.
fn status(buf: &mut Vec<u8>, s: &Status) {
    match *s {
        Status::Exited { exited } => {
            buf.extend_from_slice(b"{\"exited\":");
            int(buf, exited.into());
        }
        Status::Signaled { signaled, core } => {
            buf.extend_from_slice(if core {
                b"{\"core\":true,\"signaled\":"
            } else {
                b"{\"core\":false,\"signaled\":"
            });
            sig(buf, signaled);
        }
        Status::Stopped { stopped } => {
            buf.extend_from_slice(b"{\"stopped\":");
            sig(buf, stopped);
        }
        Status::Continued { continued } => {
            buf.extend_from_slice(if continued {
                b"{\"continued\":true"
            } else {
                b"{\"continued\":false"
            });
        }
    }
    buf.push(b'}');
}

fn elf(buf: &mut Vec<u8>, e: &ElfFacts) {
    buf.extend_from_slice(b"{\"bits\":");
    uint(buf, e.bits.into());
    opt_raw(buf, "interp", &e.interp);
    key(buf, "linkage");
    string(buf, &e.linkage);
    key(buf, "machine");
    string(buf, &e.machine);
    buf.push(b'}');
}

/// An fd snapshot; with `labels`, each pipe entry with its `pipe` name (the
/// reference names them in `spawn`, `exec` and `fd_snapshot`, not in `fork`).
fn fd_entries(buf: &mut Vec<u8>, text: &mut String, fds: &[FdEntry], labels: Option<&Labels>) {
    buf.push(b'[');
    for (i, e) in fds.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.push(b'{');
        if e.cloexec {
            buf.extend_from_slice(b"\"cloexec\":true,");
        }
        buf.extend_from_slice(b"\"fd\":");
        int(buf, e.fd.into());
        opt_str(buf, "flags", &e.flags);
        if let Some((id, labels)) = labels.and_then(|l| Some((e.pipe_inode()?, l))) {
            key(buf, "pipe");
            pipe_label(buf, text, labels, id);
        }
        opt_int(buf, "same_as", e.same_as.map(i64::from));
        opt_int(buf, "same_as_pid", e.same_as_pid.map(i64::from));
        key(buf, "target");
        raw(buf, &e.target);
        buf.push(b'}');
    }
    buf.push(b']');
}

/// The event's own fields (`kind` aside), in alphabetical order, as
/// [`super::json`]'s field map writes them.
pub(crate) fn own_fields(buf: &mut Vec<u8>, text: &mut String, ev: &Event, labels: &Labels) {
    match &ev.kind {
        EventKind::Spawn {
            argv,
            fds,
            attached,
            parent,
            threads,
        } => {
            key(buf, "argv");
            raws(buf, argv);
            flag(buf, "attached", *attached);
            key(buf, "fds");
            fd_entries(buf, text, fds, Some(labels));
            opt_int(buf, "parent", parent.map(i64::from));
            if !threads.is_empty() {
                key(buf, "threads");
                ints(buf, threads.iter().map(|&t| i64::from(t)));
            }
        }
        EventKind::Fork {
            child,
            flavor,
            shares_fds,
            syscall,
            flags,
            fds,
        } => {
            key(buf, "child");
            int(buf, (*child).into());
            if let Some(fds) = fds {
                key(buf, "fds");
                fd_entries(buf, text, fds, None);
            }
            key(buf, "flags");
            uint(buf, *flags);
            key(buf, "flavor");
            buf.extend_from_slice(match flavor {
                crate::trace::ForkFlavor::Fork => b"\"fork\"",
                crate::trace::ForkFlavor::Vfork => b"\"vfork\"",
                crate::trace::ForkFlavor::Clone => b"\"clone\"",
                crate::trace::ForkFlavor::Thread => b"\"thread\"",
            });
            boolean(buf, "shares_fds", *shares_fds);
            key(buf, "syscall");
            string(buf, syscall);
        }
        EventKind::Exec {
            path,
            argv,
            ok,
            errno,
            fds,
            elf: e,
            script,
            former_tid,
            argv_null,
            unreadable,
        } => {
            key(buf, "argv");
            raws(buf, argv);
            flag(buf, "argv_null", *argv_null);
            if let Some(e) = e {
                key(buf, "elf");
                elf(buf, e);
            }
            opt_str(buf, "errno", errno);
            if let Some(fds) = fds {
                key(buf, "fds");
                fd_entries(buf, text, fds, Some(labels));
            }
            opt_int(buf, "former_tid", former_tid.map(i64::from));
            boolean(buf, "ok", *ok);
            key(buf, "path");
            raw(buf, path);
            opt_raw(buf, "script", script);
            if !unreadable.is_empty() {
                key(buf, "unreadable");
                strings(buf, unreadable);
            }
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
            uint(buf, *pipe_id);
            key(buf, "read_fd");
            int(buf, (*read_fd).into());
            key(buf, "write_fd");
            int(buf, (*write_fd).into());
        }
        EventKind::PipeFailed { errno } => {
            key(buf, "errno");
            string(buf, errno);
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
            int(buf, (*new_fd).into());
            key(buf, "old_fd");
            int(buf, (*old_fd).into());
            key(buf, "via");
            buf.extend_from_slice(match via {
                crate::trace::DupVia::Dup => b"\"dup\"",
                crate::trace::DupVia::Dup2 => b"\"dup2\"",
                crate::trace::DupVia::Dup3 => b"\"dup3\"",
                crate::trace::DupVia::Fcntl => b"\"fcntl\"",
            });
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
        } => {
            opt_int(buf, "dirfd", dirfd.map(i64::from));
            opt_str(buf, "errno", errno);
            key(buf, "fd");
            int(buf, (*fd).into());
            key(buf, "flags");
            string(buf, flags);
            flag(buf, "how_rejected", *how_rejected);
            opt_raw(buf, "kernel_name", kernel_name);
            key(buf, "path");
            raw(buf, path);
            opt_raw(buf, "target", target);
            if !unreadable.is_empty() {
                key(buf, "unreadable");
                strings(buf, unreadable);
            }
        }
        EventKind::Close { fd } => {
            key(buf, "fd");
            int(buf, (*fd).into());
        }
        EventKind::CloseRange {
            first,
            last,
            cloexec,
            unshare,
            errno,
        } => {
            flag(buf, "cloexec", *cloexec);
            opt_str(buf, "errno", errno);
            key(buf, "first");
            uint(buf, (*first).into());
            key(buf, "last");
            uint(buf, (*last).into());
            flag(buf, "unshare", *unshare);
        }
        EventKind::SetCloexec {
            fd,
            cloexec,
            errno,
            via,
        } => {
            boolean(buf, "cloexec", *cloexec);
            opt_str(buf, "errno", errno);
            key(buf, "fd");
            int(buf, (*fd).into());
            opt_str(buf, "via", via);
        }
        EventKind::Socket {
            fds,
            syscall,
            domain,
            listen_fd,
            target,
            cloexec,
        } => {
            flag(buf, "cloexec", *cloexec);
            opt_str(buf, "domain", domain);
            key(buf, "fds");
            ints(buf, fds.iter().map(|&f| i64::from(f)));
            opt_int(buf, "listen_fd", listen_fd.map(i64::from));
            key(buf, "syscall");
            string(buf, syscall);
            opt_raw(buf, "target", target);
        }
        EventKind::NewFd {
            fd,
            syscall,
            target,
            cloexec,
        } => {
            flag(buf, "cloexec", *cloexec);
            key(buf, "fd");
            int(buf, (*fd).into());
            key(buf, "syscall");
            string(buf, syscall);
            opt_raw(buf, "target", target);
        }
        EventKind::Unshare { flags, errno } => {
            opt_str(buf, "errno", errno);
            key(buf, "flags");
            uint(buf, *flags);
        }
        EventKind::Mkfifo {
            path,
            dirfd,
            ok,
            errno,
        } => {
            opt_int(buf, "dirfd", dirfd.map(i64::from));
            opt_str(buf, "errno", errno);
            boolean(buf, "ok", *ok);
            key(buf, "path");
            raw(buf, path);
        }
        EventKind::Wait {
            target,
            reaped,
            status: st,
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
                Some(r) => int(buf, (*r).into()),
                None => buf.extend_from_slice(b"null"),
            }
            if let Some(s) = st {
                key(buf, "status");
                status(buf, s);
            }
            key(buf, "target");
            int(buf, *target);
            flag(buf, "untraced", *untraced);
            key(buf, "via");
            buf.extend_from_slice(match via {
                crate::trace::WaitVia::Wait4 => b"\"wait4\"",
                crate::trace::WaitVia::Waitid => b"\"waitid\"",
            });
        }
        EventKind::Signal { signal, from } => {
            opt_int(buf, "from", from.map(i64::from));
            key(buf, "signal");
            sig(buf, *signal);
        }
        EventKind::Stop { signal } => {
            key(buf, "signal");
            sig(buf, *signal);
        }
        EventKind::Continue {} => {}
        EventKind::Sigchld {
            action,
            nocldwait,
            syscall,
        } => {
            key(buf, "action");
            string(buf, action);
            flag(buf, "nocldwait", *nocldwait);
            key(buf, "syscall");
            string(buf, syscall);
        }
        EventKind::Setsid { sid, errno } => {
            opt_str(buf, "errno", errno);
            key(buf, "sid");
            match sid {
                Some(s) => int(buf, (*s).into()),
                None => buf.extend_from_slice(b"null"),
            }
        }
        EventKind::Setpgid {
            target,
            pgid,
            ok,
            errno,
        } => {
            opt_str(buf, "errno", errno);
            boolean(buf, "ok", *ok);
            key(buf, "pgid");
            int(buf, (*pgid).into());
            key(buf, "target");
            int(buf, (*target).into());
        }
        EventKind::Exit { status: s, comm } => {
            opt_raw(buf, "comm", comm);
            key(buf, "status");
            status(buf, s);
        }
        EventKind::Rename { name, errno } => {
            opt_str(buf, "errno", errno);
            key(buf, "name");
            raw(buf, name);
        }
        EventKind::FdSnapshot { at, fds, cloexec } => {
            key(buf, "at");
            string(buf, at);
            flag(buf, "cloexec", *cloexec);
            key(buf, "fds");
            fd_entries(buf, text, fds, Some(labels));
        }
        EventKind::Lost { records } => {
            key(buf, "records");
            uint(buf, *records);
        }
        // Rare and nested: the reference's own map.
        EventKind::Kill { .. }
        | EventKind::Stall { .. }
        | EventKind::PtraceLimit { .. }
        | EventKind::FrontExit { .. } => {
            for (k, v) in fields(ev, labels) {
                key(buf, &k);
                // Writing into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *buf, &v);
            }
        }
    }
}

/// A byte string as the trace has it: a JSON string when it is UTF-8,
/// else `{"hex":"..."}`.
fn raw(buf: &mut Vec<u8>, r: &RawStr) {
    match std::str::from_utf8(r.as_bytes()) {
        Ok(s) => string(buf, s),
        Err(_) => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            buf.extend_from_slice(b"{\"hex\":\"");
            for b in r.as_bytes() {
                buf.push(HEX[(b >> 4) as usize]);
                buf.push(HEX[(b & 15) as usize]);
            }
            buf.extend_from_slice(b"\"}");
        }
    }
}

/// `s` as a JSON string, escaped exactly as serde_json escapes it: `"`,
/// `\\` and the control characters below U+0020 (`\b \t \n \f \r`, the
/// others `\u00XX` in lowercase hex); everything else as it is.
pub(crate) fn string(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none needs an escape.
        if let Some(chunk) = bytes.get(i..i + 8) {
            if !needs_escape(u64::from_le_bytes(chunk.try_into().expect("8 bytes"))) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => &[],
            _ => {
                i += 1;
                continue;
            }
        };
        buf.extend_from_slice(&bytes[start..i]);
        if esc.is_empty() {
            buf.extend_from_slice(b"\\u00");
            buf.push(HEX[(b >> 4) as usize]);
            buf.push(HEX[(b & 15) as usize]);
        } else {
            buf.extend_from_slice(esc);
        }
        i += 1;
        start = i;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

/// Does any of the eight bytes of `v` need a JSON escape (below 0x20, `"`
/// or `\\`)? The classic has-zero-byte test, on `v` and on `v` xor each
/// character (a false alarm only sends the bytes to the exact check).
#[inline]
fn needs_escape(v: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    // Bytes below 0x20: v - 0x20 borrows into the high bit, for bytes
    // without it set already.
    let control = v.wrapping_sub(LO * 0x20) & !v & HI;
    control | zero(v ^ (LO * u64::from(b'"'))) | zero(v ^ (LO * u64::from(b'\\'))) != 0
}

/// `n` in decimal, as serde_json writes it.
pub(crate) fn uint(buf: &mut Vec<u8>, n: u64) {
    crate::words::put::digits_into(buf, n);
}

/// `n` in decimal, as serde_json writes it.
pub(crate) fn int(buf: &mut Vec<u8>, n: i64) {
    if n < 0 {
        buf.push(b'-');
    }
    uint(buf, n.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_read_as_serde_json_writes_them() {
        let mut values: Vec<u64> = vec![0, u64::MAX, u64::MAX - 1];
        for k in 0..20 {
            let p = 10u64.pow(k);
            values.extend([p - 1, p, p + 1]);
        }
        let mut buf = b"x".to_vec();
        for v in values {
            buf.truncate(1);
            uint(&mut buf, v);
            assert_eq!(buf[1..], *serde_json::to_string(&v).unwrap().as_bytes());
            for i in [v as i64, (v as i64).wrapping_neg(), i64::MIN, i64::MAX] {
                buf.truncate(1);
                int(&mut buf, i);
                assert_eq!(buf[1..], *serde_json::to_string(&i).unwrap().as_bytes());
            }
        }
    }
    use crate::render::json::{replay_events, JsonExport};
    use crate::trace::reader::parse_event;

    /// Every kind, with every optional field somewhere, and names that need
    /// escaping (as trace lines, the way the recorder writes them).
    const LINES: &[&str] = &[
        r##"{"seq":0,"ts_ns":1,"pid":10,"kind":"spawn","argv":["/bin/s\"h","-c","a\\b\u0001\n\t\b\f\r\u001f\u007f \u4e2d\u6587"],"fds":[{"fd":0,"target":"pipe:[77]","cloexec":true,"flags":"O_RDONLY"},{"fd":1,"target":{"hex":"2f746d702fff"},"same_as":0,"same_as_pid":9},{"fd":2,"target":"/dev/pts/0"}],"attached":true,"parent":1,"threads":[11,12]}"##,
        r##"{"seq":1,"ts_ns":2,"pid":10,"kind":"pipe","read_fd":3,"write_fd":4,"pipe_id":500,"cloexec":true,"nonblock":true}"##,
        r##"{"seq":2,"ts_ns":3,"pid":10,"kind":"fork","child":20,"flavor":"clone","shares_fds":true,"syscall":"clone3","flags":1024,"fds":[{"fd":3,"target":"pipe:[500]"}]}"##,
        r##"{"seq":3,"ts_ns":4,"pid":20,"kind":"dup","old_fd":4,"new_fd":0,"via":"dup3","cloexec":true}"##,
        r##"{"seq":4,"ts_ns":5,"pid":20,"kind":"dup","old_fd":9,"new_fd":1,"via":"fcntl","errno":"EBADF"}"##,
        r##"{"seq":5,"ts_ns":6,"pid":20,"kind":"open","fd":5,"path":"/tmp/f\"i\\fo","flags":"O_RDWR|O_NONBLOCK","dirfd":3,"target":"pipe:[600]","kernel_name":{"hex":"ff00"},"how_rejected":true,"unreadable":["how"]}"##,
        r##"{"seq":6,"ts_ns":7,"pid":20,"kind":"open","fd":-1,"path":"/no\u001bpe","flags":"O_RDONLY","errno":"ENOENT"}"##,
        r##"{"seq":7,"ts_ns":8,"pid":20,"kind":"exec","path":{"hex":"2fff"},"argv":["a","b","c","d","e","f","g","h","i"],"ok":true,"fds":[{"fd":0,"target":"pipe:[500]"}],"elf":{"bits":64,"machine":"x86_64","linkage":"dynamic","interp":"/lib/ld.so"},"script":"#!/bin/sh","former_tid":21,"argv_null":true,"unreadable":["argv[2]"]}"##,
        r##"{"seq":8,"ts_ns":9,"pid":20,"kind":"exec","path":"/nope","argv":[],"ok":false,"errno":"ENOENT"}"##,
        r##"{"seq":9,"ts_ns":10,"pid":20,"kind":"close_range","first":3,"last":4294967295,"cloexec":true,"unshare":true,"errno":"EINVAL"}"##,
        r##"{"seq":10,"ts_ns":11,"pid":20,"kind":"close_range","first":6,"last":9}"##,
        r##"{"seq":11,"ts_ns":12,"pid":20,"kind":"set_cloexec","fd":0,"cloexec":false,"errno":"EBADF","via":"ioctl(FIONCLEX)"}"##,
        r##"{"seq":12,"ts_ns":13,"pid":20,"kind":"socket","fds":[6,7],"syscall":"socketpair","domain":"AF_UNIX","target":"socket:[9]","cloexec":true}"##,
        r##"{"seq":13,"ts_ns":14,"pid":20,"kind":"socket","fds":[8],"syscall":"accept4","listen_fd":6}"##,
        r##"{"seq":14,"ts_ns":15,"pid":20,"kind":"new_fd","fd":9,"syscall":"ioctl(NS_GET_USERNS)","target":"anon_inode:[x]","cloexec":true}"##,
        r##"{"seq":15,"ts_ns":16,"pid":20,"kind":"unshare","flags":1024,"errno":"EPERM"}"##,
        r##"{"seq":16,"ts_ns":17,"pid":20,"kind":"mkfifo","path":"f\"f","dirfd":3,"ok":false,"errno":"EEXIST"}"##,
        r##"{"seq":17,"ts_ns":18,"pid":20,"kind":"kill","target":-20,"signal":"SIGRTMIN+3","ok":false,"via":"rt_tgsigqueueinfo","errno":"ESRCH"}"##,
        r##"{"seq":18,"ts_ns":19,"pid":20,"kind":"signal","signal":"SIGUSR1","from":10}"##,
        r##"{"seq":19,"ts_ns":20,"pid":20,"kind":"stop","signal":"SIGTSTP"}"##,
        r##"{"seq":20,"ts_ns":21,"pid":20,"kind":"continue"}"##,
        r##"{"seq":21,"ts_ns":22,"pid":10,"kind":"sigchld","action":"handler","nocldwait":true,"syscall":"rt_sigaction"}"##,
        r##"{"seq":22,"ts_ns":23,"pid":20,"kind":"setsid","sid":null,"errno":"EPERM"}"##,
        r##"{"seq":23,"ts_ns":24,"pid":20,"kind":"setpgid","target":0,"pgid":0,"ok":true}"##,
        r##"{"seq":24,"ts_ns":25,"pid":20,"kind":"rename","name":{"hex":"77ff"},"errno":"EFAULT"}"##,
        r##"{"seq":25,"ts_ns":26,"pid":20,"kind":"fd_snapshot","at":"exit","fds":[{"fd":0,"target":"pipe:[500]","cloexec":true}],"cloexec":true}"##,
        r##"{"seq":26,"ts_ns":27,"pid":20,"kind":"ptrace_limit","limit":"nested_ptrace","request":"PTRACE_ATTACH","target":30}"##,
        r##"{"seq":27,"ts_ns":28,"pid":20,"kind":"lost","records":5}"##,
        r##"{"seq":28,"ts_ns":29,"pid":20,"kind":"exit","status":{"signaled":"SIGSEGV","core":true},"comm":"wor\"ker"}"##,
        r##"{"seq":29,"ts_ns":30,"pid":10,"kind":"wait","target":-1,"reaped":20,"status":{"signaled":"SIGSEGV","core":true},"nohang":true,"untraced":true,"continued":true,"via":"waitid"}"##,
        r##"{"seq":30,"ts_ns":31,"pid":10,"kind":"wait","target":-1,"reaped":null,"nohang":true,"via":"wait4"}"##,
        r##"{"seq":31,"ts_ns":32,"pid":10,"kind":"wait","target":5,"reaped":5,"status":{"stopped":"SIGSTOP"},"via":"wait4"}"##,
        r##"{"seq":32,"ts_ns":33,"pid":10,"kind":"wait","target":5,"reaped":5,"status":{"continued":true},"via":"wait4","errno":"EINTR"}"##,
        r##"{"seq":33,"ts_ns":34,"pid":10,"kind":"pipe_failed","errno":"EMFILE"}"##,
        r##"{"seq":34,"ts_ns":35,"pid":10,"kind":"stall","hang":"deadlock","trigger":"stalled","stalled_ns":5,"summary":"a \"b\"","steps":["x\ny"],"fix":"f","cycle":[10],"tasks":[10],"fds":[{"pid":10,"fd":3,"pipe":"pipe:[500]","role":"holder"}],"pipes":["pipe:[500]"],"killed":false}"##,
        r##"{"seq":35,"ts_ns":36,"pid":10,"kind":"front_exit","front":9,"signal":"SIGINT","status":{"exited":130},"running":[10,11]}"##,
        r##"{"seq":36,"ts_ns":37,"pid":11,"kind":"close","fd":1}"##,
        r##"{"seq":37,"ts_ns":38,"pid":10,"kind":"exit","status":{"exited":0}}"##,
    ];

    fn exported(events: &[Event], lang: Lang, fast: bool) -> Vec<u8> {
        let mut reference = JsonExport::new(Vec::new()).unwrap();
        let mut stream = JsonStream::new(Vec::new());
        let mut model = crate::model::Model::new();
        let mut labels = Labels::default();
        for e in events {
            labels.observe(e);
            let prior = crate::render::json::Prior::capture(&model, e, &labels);
            let applied = model.apply(e);
            let seen = Seen {
                event: e,
                prior: &prior,
                applied: &applied,
                model: &model,
                labels: &labels,
                lang,
            };
            if fast {
                stream.event(&seen).unwrap();
            } else {
                reference.event(&seen).unwrap();
            }
        }
        if fast {
            stream.finish().unwrap()
        } else {
            reference.finish().unwrap()
        }
    }

    use crate::words::Lang;

    #[test]
    fn every_kind_and_field_is_written_as_the_reference_writes_it() {
        let events: Vec<Event> = LINES
            .iter()
            .map(|l| parse_event(l.as_bytes()).unwrap())
            .collect();
        for lang in [Lang::En, Lang::Zh] {
            let fast = String::from_utf8(exported(&events, lang, true)).unwrap();
            let reference = String::from_utf8(exported(&events, lang, false)).unwrap();
            for (f, r) in fast.lines().zip(reference.lines()) {
                assert_eq!(f, r);
            }
            assert_eq!(fast, reference);
        }
        // The replay helper the other renderers' tests use agrees too.
        let mut n = 0;
        replay_events(&events, |_| n += 1);
        assert_eq!(n, LINES.len());
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut all = String::new();
        for c in (0u32..0x80).chain([0xa0, 0x2028, 0x4e2d, 0x1f980]) {
            all.push(char::from_u32(c).unwrap());
        }
        // Every length around the eight-byte steps.
        for end in 0..all.len() {
            for start in 0..end.min(17) {
                let Some(s) = all.get(start..end) else {
                    continue;
                };
                let mut buf = Vec::new();
                string(&mut buf, s);
                assert_eq!(buf, serde_json::to_vec(s).unwrap(), "{s:?}");
            }
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for n in [
            0i64,
            1,
            -1,
            9,
            10,
            99,
            100,
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut buf = Vec::new();
            int(&mut buf, n);
            assert_eq!(buf, serde_json::to_vec(&n).unwrap());
        }
        let mut buf = Vec::new();
        uint(&mut buf, u64::MAX);
        assert_eq!(buf, serde_json::to_vec(&u64::MAX).unwrap());
    }
}
