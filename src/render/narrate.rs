//! Events in words: the call as a programmer would write it (`dup2(4, 1)`)
//! and one plain sentence saying what changed (`fd 1 now writes into pipe#1;
//! it was /dev/pts/0`). Pure: reads the model before and after an event.
//!
//! This module finds the facts of a sentence ([`Said`], [`File`]);
//! `crate::words::narrate` words them in the language it is given. The
//! call text stays as strace would print it in every language.

use super::describe;
use crate::model::labels::Labels;
use crate::model::{Applied, Model, Note, Object, OpenFile, PipeEnd};
use crate::trace::{DupVia, Event, EventKind, Pid, RawStr, Status};
use crate::words::narrate::{File, Said};
use crate::words::put::put;
use crate::words::Lang;
use std::fmt::Write as _;

/// What an event is about to replace, read from the model before applying it.
#[derive(Clone, Debug, Default)]
pub struct Before {
    /// What the fd being overwritten or closed referred to.
    pub replaced: Option<File>,
    /// The process (tgid) of the acting task.
    pub pid: Pid,
    /// Its fd table before the event: (fd, open file, what it refers to,
    /// whether it is a regular file), for the change marks of a drawing
    /// (an event changes only the acting process's fd table).
    pub fds: Vec<(i32, crate::model::OpenFileId, File, bool)>,
}

impl Before {
    /// Looks at the fd the event will close or overwrite.
    pub fn capture(model: &Model, ev: &Event, labels: &Labels) -> Before {
        let fd = replaced_fd(ev);
        let pid = model
            .tree()
            .process_of_task(ev.pid)
            .map_or(ev.pid, |p| p.pid);
        let fds = model
            .fds(ev.pid)
            .iter()
            .map(|v| {
                let regular = matches!(&v.file.object, Object::File { path } if !path.as_bytes().starts_with(b"/dev/"));
                (v.fd, v.file.id, file(v.file, labels), regular)
            })
            .collect();
        Before {
            replaced: fd.and_then(|fd| fd_file(model, ev.pid, fd, labels)),
            pid,
            fds,
        }
    }

    /// What [`Before::capture`] reads except the fd table (`fds` empty):
    /// all that sentences, filters and exports need; only drawings mark
    /// changes in the fd table.
    pub fn for_words(model: &Model, ev: &Event, labels: &Labels) -> Before {
        let fd = replaced_fd(ev);
        Before {
            replaced: fd.and_then(|fd| fd_file(model, ev.pid, fd, labels)),
            pid: model
                .tree()
                .process_of_task(ev.pid)
                .map_or(ev.pid, |p| p.pid),
            fds: Vec::new(),
        }
    }
}

/// What an fd refers to, as a fact: a pipe or FIFO end, or a name (a path,
/// a socket) that reads the same in every language.
pub fn file(f: &OpenFile, labels: &Labels) -> File {
    file_in(&mut Owned, f, labels)
}

/// Where the texts of facts go: each its own `String` ([`Owned`]), or
/// anything else that can hold a text written into a `String` and hand
/// back an `S` for it (the exports keep all the texts of a batch of
/// events in one buffer, and the facts hold ranges of it).
pub(crate) trait Texts {
    /// What a fact holds for a text.
    type S: Clone;
    /// Keeps the text `write` writes.
    fn text(&mut self, write: impl FnOnce(&mut String)) -> Self::S;
}

/// Texts as `String`s of their own.
pub(crate) struct Owned;

impl Texts for Owned {
    type S = String;
    fn text(&mut self, write: impl FnOnce(&mut String)) -> String {
        let mut t = String::new();
        write(&mut t);
        t
    }
}

/// [`file`] with its texts kept in `texts`.
pub(crate) fn file_in<T: Texts>(texts: &mut T, f: &OpenFile, labels: &Labels) -> File<T::S> {
    match &f.object {
        Object::Pipe { pipe, fifo } => File::Pipe {
            label: texts.text(|o| write_pipe_label(o, labels, *pipe)),
            end: f.pipe_end().unwrap_or(PipeEnd::Unknown),
            fifo: fifo.as_ref().map(|p| texts.text(|o| write_shown(o, p))),
        },
        Object::File { path } | Object::Tty { path } | Object::Other { target: path } => {
            File::Named(texts.text(|o| write_shown(o, path)))
        }
        _ => File::Named(texts.text(|o| o.push_str(&describe::open_file(f, labels)))),
    }
}

/// [`describe::shown`] written at the end of `out`, printable ASCII (which
/// it leaves as it is) copied without the lossy UTF-8 walk.
pub(crate) fn write_shown(out: &mut String, raw: &RawStr) {
    match printable(raw) {
        Some(s) => out.push_str(s),
        None => out.push_str(&describe::shown(raw)),
    }
}

/// [`describe::program_name`] written at the end of `out`.
pub(crate) fn write_program_name(out: &mut String, argv: &[RawStr], path: &RawStr) {
    let raw = argv.first().unwrap_or(path);
    match printable(raw) {
        Some(s) => out.push_str(s.rsplit('/').next().unwrap_or(s)),
        None => out.push_str(&describe::program_name(argv, path)),
    }
}

/// `raw` as a `&str` when it is all printable ASCII (` ` to `~`).
pub(crate) fn printable(raw: &RawStr) -> Option<&str> {
    let b = raw.as_bytes();
    if b.iter().all(|c| (b' '..=b'~').contains(c)) {
        // SAFETY: every byte is ASCII (below 0x80), and ASCII is UTF-8.
        // (`from_utf8` would read the bytes a second time, for every path
        // and name of a trace.)
        Some(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        None
    }
}

/// What an fd refers to, in words of `lang`: in English exactly
/// [`describe::open_file`] (`pipe#1 write end`, `/dev/pts/0`).
pub fn open_file(lang: Lang, f: &OpenFile, labels: &Labels) -> String {
    crate::words::narrate::file(lang, &file(f, labels))
}

/// What `fd` of `pid` refers to now, if open.
fn fd_file(model: &Model, pid: Pid, fd: i32, labels: &Labels) -> Option<File> {
    model.fd(pid, fd).map(|v| file(v.file, labels))
}

/// What `fd` of `pid` refers to now, if open, its texts kept in `texts`.
pub(crate) fn fd_file_in<T: Texts>(
    texts: &mut T,
    model: &Model,
    pid: Pid,
    fd: i32,
    labels: &Labels,
) -> Option<File<T::S>> {
    model.fd(pid, fd).map(|v| file_in(texts, v.file, labels))
}

/// Text of an exit status: `exit 0`, `killed by SIGPIPE` (English, as in
/// strace's `+++ exit 0 +++`; see [`crate::words::text::status`] for
/// sentences).
pub fn status(s: &Status) -> String {
    crate::words::text::status_call(s)
}

/// The event as a call: `pipe([3, 4])`, `dup2(4, 1)`, `execve("/bin/cat", ["cat"])`.
pub fn call(ev: &Event, labels: &Labels) -> String {
    let mut t = String::new();
    write_call(&mut t, ev, labels);
    t
}

/// `argv` as a call shows it: at most 8 words, quoted.
fn write_argv(out: &mut String, argv: &[RawStr]) {
    out.push('[');
    for (i, a) in argv.iter().take(8).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        quoted(out, a);
    }
    if argv.len() > 8 {
        put!(out; ", ... ", argv.len() - 8, " more");
    }
    out.push(']');
}

/// [`RawStr::write_quoted`], with printable ASCII that needs no escape
/// (most paths and words) copied as it is.
fn quoted(out: &mut String, raw: &RawStr) {
    match printable(raw) {
        Some(s) if !s.bytes().any(|c| matches!(c, b'"' | b'\\' | b'\'')) => {
            put!(out; '"', s, '"')
        }
        _ => {
            let _ = raw.write_quoted(out);
        }
    }
}

/// A pipe's label, `pipe#N`, as [`Labels::pipe`] writes it.
pub(crate) fn write_pipe_label(out: &mut String, labels: &Labels, id: crate::model::PipeId) {
    match labels.number(id) {
        Some(n) => put!(out; "pipe#", n),
        None => put!(out; "pipe:[", id, ']'),
    }
}

/// [`call`] written at the end of `out`: the same text, without a `String`
/// of its own (the exports write one per event).
pub fn write_call(out: &mut String, ev: &Event, labels: &Labels) {
    // The errno comes from the trace: escaped like every name from it.
    fn err(out: &mut String, e: &Option<String>) {
        if let Some(e) = e {
            out.push_str(" = -1 ");
            out.push_str(&crate::words::text::visible(e));
        }
    }
    match &ev.kind {
        EventKind::Spawn { argv, .. } => {
            out.push_str("spawn ");
            write_argv(out, argv);
        }
        EventKind::Fork {
            child,
            syscall,
            flavor,
            ..
        } => match flavor {
            // As the program wrote it: glibc's fork() is a clone syscall.
            crate::trace::ForkFlavor::Fork => put!(out; "fork() = ", child),
            crate::trace::ForkFlavor::Vfork => put!(out; "vfork() = ", child),
            crate::trace::ForkFlavor::Thread => {
                put!(out; syscall.as_str(), "(CLONE_THREAD) = ", child)
            }
            crate::trace::ForkFlavor::Clone => put!(out; syscall.as_str(), "() = ", child),
        },
        EventKind::Exec {
            path, argv, errno, ..
        } => {
            out.push_str("execve(");
            quoted(out, path);
            out.push_str(", ");
            write_argv(out, argv);
            out.push(')');
            err(out, errno);
        }
        EventKind::Pipe {
            read_fd,
            write_fd,
            pipe_id,
            cloexec,
            nonblock,
        } => {
            let name = if *cloexec || *nonblock {
                "pipe2"
            } else {
                "pipe"
            };
            put!(out; name, "([", read_fd, ", ", write_fd, ']');
            match (*cloexec, *nonblock) {
                (false, false) => {}
                (true, false) => out.push_str(", O_CLOEXEC"),
                (false, true) => out.push_str(", O_NONBLOCK"),
                (true, true) => out.push_str(", O_CLOEXEC|O_NONBLOCK"),
            }
            out.push_str(") ");
            write_pipe_label(out, labels, *pipe_id);
        }
        EventKind::PipeFailed { errno } => {
            put!(out; "pipe() = -1 ", &*crate::words::text::visible(errno))
        }
        EventKind::Dup {
            old_fd,
            new_fd,
            via,
            cloexec,
            errno,
        } => match via {
            // A failed call shows -1 and the errno once, as strace does.
            DupVia::Dup if errno.is_some() => {
                put!(out; "dup(", old_fd, ')');
                err(out, errno);
            }
            DupVia::Dup => put!(out; "dup(", old_fd, ") = ", new_fd),
            DupVia::Dup2 => {
                put!(out; "dup2(", old_fd, ", ", new_fd, ')');
                err(out, errno);
            }
            DupVia::Dup3 => {
                put!(out;
                    "dup3(", old_fd, ", ", new_fd, ", ",
                    if *cloexec { "O_CLOEXEC" } else { "0" },
                    ')'
                );
                err(out, errno);
            }
            DupVia::Fcntl => {
                put!(out;
                    "fcntl(", old_fd, ", ",
                    if *cloexec { "F_DUPFD_CLOEXEC" } else { "F_DUPFD" },
                    ')'
                );
                match errno {
                    Some(_) => err(out, errno),
                    None => put!(out; " = ", new_fd),
                }
            }
        },
        EventKind::Open {
            fd,
            path,
            flags,
            errno,
            ..
        } => {
            out.push_str("open(");
            quoted(out, path);
            match errno {
                Some(e) => put!(out; ", ", flags.as_str(), ") = -1 ", e.as_str()),
                None => put!(out; ", ", flags.as_str(), ") = ", fd),
            }
        }
        EventKind::Close { fd } => put!(out; "close(", fd, ')'),
        EventKind::CloseRange {
            first,
            last,
            cloexec,
            unshare,
            errno,
        } => {
            put!(out; "close_range(", first, ", ");
            if *last == u32::MAX {
                out.push_str("~0U");
            } else {
                put!(out; last);
            }
            let f = match (*cloexec, *unshare) {
                (false, false) => "0",
                (true, false) => "CLOSE_RANGE_CLOEXEC",
                (false, true) => "CLOSE_RANGE_UNSHARE",
                (true, true) => "CLOSE_RANGE_UNSHARE|CLOSE_RANGE_CLOEXEC",
            };
            put!(out; ", ", f, ')');
            err(out, errno);
        }
        EventKind::SetCloexec {
            fd,
            errno,
            via: Some(via),
            ..
        } => {
            match via.strip_prefix("ioctl(").and_then(|c| c.strip_suffix(')')) {
                Some(cmd) => put!(out; "ioctl(", fd, ", ", cmd, ')'),
                None => put!(out; via.as_str(), '(', fd, ')'),
            }
            err(out, errno);
        }
        EventKind::SetCloexec {
            fd, cloexec, errno, ..
        } => {
            put!(out;
                "fcntl(", fd, ", F_SETFD, ",
                if *cloexec { "FD_CLOEXEC" } else { "0" },
                ')'
            );
            err(out, errno);
        }
        EventKind::Unshare { flags, errno } => {
            let _ = write!(out, "unshare({flags:#x})");
            err(out, errno);
        }
        // As strace has them: `socket(AF_UNIX) = 4`, `socketpair(AF_UNIX,
        // [3, 4]) = 0`, `accept(3) = 5` (the type and protocol are not recorded).
        EventKind::Socket {
            fds,
            syscall,
            domain,
            listen_fd,
            ..
        } => {
            let first = fds.first().copied().unwrap_or(-1);
            let _ = match (syscall.as_str(), domain, listen_fd) {
                ("socketpair", d, _) => write!(
                    out,
                    "socketpair({}{fds:?}) = 0",
                    d.as_ref().map(|d| format!("{d}, ")).unwrap_or_default()
                ),
                (_, _, Some(l)) => write!(out, "{syscall}({l}) = {first}"),
                (_, Some(d), None) => write!(out, "{syscall}({d}) = {first}"),
                (_, None, None) => write!(out, "{syscall}() = {first}"),
            };
        }
        // An ioctl is named with its command: `ioctl(NS_GET_USERNS) = 4`.
        EventKind::NewFd { fd, syscall, .. } if syscall.ends_with(')') => {
            put!(out; syscall.as_str(), " = ", fd)
        }
        EventKind::NewFd { fd, syscall, .. } => put!(out; syscall.as_str(), "() = ", fd),
        EventKind::Mkfifo { path, errno, .. } => {
            out.push_str("mkfifo(");
            quoted(out, path);
            out.push(')');
            err(out, errno);
        }
        EventKind::Wait {
            target,
            reaped,
            status: st,
            nohang,
            via,
            errno,
            ..
        } => {
            let opt = if *nohang { ", WNOHANG" } else { "" };
            let name = match via {
                crate::trace::WaitVia::Wait4 => "wait4",
                crate::trace::WaitVia::Waitid => "waitid",
            };
            put!(out; name, '(', target, opt);
            match (reaped, errno) {
                (_, Some(e)) => put!(out; ") = -1 ", e.as_str()),
                (Some(r), _) => {
                    put!(out; ") = ", r);
                    if let Some(s) = st {
                        out.push_str(" (");
                        crate::words::text::write_status(out, crate::words::Lang::En, s);
                        out.push(')');
                    }
                }
                (None, _) => out.push_str(") = 0"),
            }
        }
        EventKind::Kill {
            target,
            signal,
            via,
            errno,
            ..
        } => {
            let name = serde_json::to_value(via)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "kill".into());
            put!(out; name.as_str(), '(', target, ", ", signal, ')');
            err(out, errno);
        }
        EventKind::Signal { signal, from } => match from {
            Some(f) => put!(out; "--- ", signal, " from ", f, " ---"),
            None => put!(out; "--- ", signal, " ---"),
        },
        EventKind::Stop { signal } => put!(out; "--- stopped by ", signal, " ---"),
        EventKind::Continue {} => out.push_str("--- continued ---"),
        EventKind::Sigchld {
            action,
            nocldwait,
            syscall,
        } => {
            let act = match action.as_str() {
                "ignore" => "SIG_IGN",
                "default" => "SIG_DFL",
                _ => "handler",
            };
            let flags = if *nocldwait { ", SA_NOCLDWAIT" } else { "" };
            if syscall == "inherited" {
                put!(out; "--- SIGCHLD ", act, " (inherited) ---")
            } else {
                put!(out; syscall.as_str(), "(SIGCHLD, ", act, flags, ") = 0")
            }
        }
        EventKind::Setsid { sid, errno } => match sid {
            Some(s) => put!(out; "setsid() = ", s),
            None => {
                out.push_str("setsid()");
                err(out, errno);
            }
        },
        EventKind::Setpgid {
            target,
            pgid,
            errno,
            ..
        } => {
            put!(out; "setpgid(", target, ", ", pgid, ')');
            err(out, errno);
        }
        EventKind::Exit { status: s, .. } => {
            out.push_str("+++ ");
            crate::words::text::write_status(out, crate::words::Lang::En, s);
            out.push_str(" +++");
        }
        EventKind::Rename { name, errno } => {
            out.push_str("prctl(PR_SET_NAME, ");
            quoted(out, name);
            out.push(')');
            err(out, errno);
        }
        EventKind::Stall { hang, summary, .. } => {
            let _ = write!(out, "*** hang ({hang}): {summary} ***");
        }
        EventKind::FdSnapshot { at, fds, .. } => {
            put!(out; "--- fd table at ", at.as_str(), ": [");
            for (i, e) in fds.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                put!(out; e.fd);
            }
            out.push_str("] ---");
        }
        EventKind::PtraceLimit {
            limit,
            path,
            request,
            target,
            ..
        } => {
            let _ = match (request, path) {
                (Some(r), _) => write!(
                    out,
                    "*** ptrace limit ({limit}): ptrace({r}{}) = -1 EPERM ***",
                    target.map(|t| format!(", {t}")).unwrap_or_default()
                ),
                (None, Some(p)) => write!(out, "*** ptrace limit ({limit}): {p} ***"),
                (None, None) => write!(out, "*** ptrace limit ({limit}) ***"),
            };
        }
        EventKind::Lost { records } => {
            put!(out; "*** ", records, " records lost (ring buffer full) ***")
        }
        EventKind::FrontExit {
            front,
            signal,
            running,
            ..
        } => {
            put!(out; "*** forkscope ", front, " exited on ", signal, "; traced on: ");
            for (i, p) in running.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                put!(out; p);
            }
            out.push_str(" ***");
        }
    }
}

fn pipe_of<T: Texts>(
    texts: &mut T,
    model: &Model,
    pid: Pid,
    fd: i32,
    labels: &Labels,
) -> File<T::S> {
    fd_file_in(texts, model, pid, fd, labels)
        .unwrap_or_else(|| File::Named(texts.text(|o| o.push('?'))))
}

/// One plain sentence saying what the event changed, in `lang`, or `None`
/// when it changed nothing worth a sentence (a failed call says why it
/// failed).
pub fn sentence(
    lang: Lang,
    model: &Model,
    ev: &Event,
    before: &Before,
    applied: &Applied,
    labels: &Labels,
) -> Option<String> {
    crate::words::narrate::sentence(lang, &facts(model, ev, before, applied, labels))
}

/// The facts of the sentence about `ev`, in order.
pub fn facts(
    model: &Model,
    ev: &Event,
    before: &Before,
    applied: &Applied,
    labels: &Labels,
) -> Vec<Said> {
    let mut parts = Vec::new();
    facts_into(&mut parts, model, ev, before, applied, labels);
    parts
}

/// The facts of the sentence about `ev`, in order, appended to `parts`
/// (what [`facts`] returns, without a vector per event).
pub(crate) fn facts_into(
    parts: &mut Vec<Said>,
    model: &Model,
    ev: &Event,
    before: &Before,
    applied: &Applied,
    labels: &Labels,
) {
    facts_in(
        parts,
        &mut Owned,
        model,
        ev,
        before.replaced.as_ref(),
        applied,
        labels,
    );
}

/// [`facts_into`] with the facts' texts kept in `texts`; `replaced` is
/// what the fd the event closes or overwrites referred to
/// ([`Before::replaced`]).
pub(crate) fn facts_in<T: Texts>(
    parts: &mut Vec<Said<T::S>>,
    texts: &mut T,
    model: &Model,
    ev: &Event,
    replaced: Option<&File<T::S>>,
    applied: &Applied,
    labels: &Labels,
) {
    let pid = ev.pid;
    match &ev.kind {
        EventKind::Spawn {
            fds,
            attached: false,
            ..
        } => parts.push(Said::Starts {
            pid,
            fds: fds.len(),
        }),
        EventKind::Spawn {
            fds,
            attached: true,
            parent,
            threads,
            ..
        } => {
            parts.push(Said::Attached {
                pid,
                parent: *parent,
                fds: fds.len(),
            });
            if !threads.is_empty() {
                parts.push(Said::OtherThreads {
                    threads: threads.clone(),
                });
            }
        }
        EventKind::Fork {
            child,
            flavor,
            shares_fds,
            ..
        } => {
            let child = *child;
            parts.push(match flavor {
                crate::trace::ForkFlavor::Thread => Said::StartsThread { pid, child },
                _ if *shares_fds => Said::BornSharing { pid, child },
                crate::trace::ForkFlavor::Vfork => Said::BornVfork { pid, child },
                _ => Said::BornCopy { pid, child },
            })
        }
        EventKind::Exec {
            ok: true,
            argv,
            path,
            ..
        } => parts.push(Said::Runs {
            pid,
            program: texts.text(|o| write_program_name(o, argv, path)),
        }),
        EventKind::Exec {
            ok: false, errno, ..
        } => parts.push(Said::ExecFailed {
            pid,
            errno: errno
                .as_deref()
                .map(|e| texts.text(|o| o.push_str(&crate::words::text::visible(e)))),
        }),
        EventKind::Pipe {
            read_fd,
            write_fd,
            pipe_id,
            ..
        } => parts.push(Said::PipeMade {
            pipe: texts.text(|o| write_pipe_label(o, labels, *pipe_id)),
            read_fd: *read_fd,
            write_fd: *write_fd,
        }),
        EventKind::Dup {
            old_fd,
            new_fd,
            errno: None,
            ..
        } => {
            if old_fd == new_fd {
                parts.push(Said::FdUnchanged { fd: *new_fd });
            } else {
                parts.push(Said::Duped {
                    fd: *new_fd,
                    old_fd: *old_fd,
                    what: pipe_of(texts, model, pid, *new_fd, labels),
                    replaced: replaced.cloned(),
                });
            }
        }
        EventKind::Open {
            fd, errno: None, ..
        }
        | EventKind::NewFd { fd, .. } => parts.push(Said::Refers {
            fd: *fd,
            what: pipe_of(texts, model, pid, *fd, labels),
        }),
        EventKind::Close { fd } => parts.push(match replaced {
            Some(what) => Said::Closed {
                fd: *fd,
                what: what.clone(),
            },
            None => Said::NotOpen { fd: *fd },
        }),
        EventKind::CloseRange { errno: Some(_), .. } => {}
        // unshare(CLONE_FILES) or close_range(CLOSE_RANGE_UNSHARE) of a
        // shared table (the close_range's own sentence follows).
        EventKind::Unshare { .. } | EventKind::CloseRange { unshare: true, .. }
            if applied
                .notes
                .iter()
                .any(|n| matches!(n, crate::model::Note::FdTableUnshared { .. })) =>
        {
            parts.push(Said::OwnTable { pid });
            if let EventKind::CloseRange { first, last, .. } = &ev.kind {
                parts.push(Said::RangeClosed {
                    first: *first,
                    last: *last,
                });
            }
        }
        EventKind::CloseRange {
            first,
            last,
            cloexec: false,
            ..
        } => parts.push(Said::RangeClosed {
            first: *first,
            last: *last,
        }),
        EventKind::CloseRange {
            first,
            last,
            cloexec: true,
            ..
        } => parts.push(Said::RangeCloexec {
            first: *first,
            last: *last,
        }),
        EventKind::Wait {
            reaped: Some(r),
            status: Some(s),
            ..
        } if s.is_final() => parts.push(Said::Reaps {
            pid,
            child: *r,
            status: *s,
        }),
        // wait(NULL): no status copied out, but the model saw the reap.
        EventKind::Wait {
            reaped: Some(r),
            status: None,
            ..
        } if applied
            .notes
            .iter()
            .any(|n| matches!(n, Note::Reaped { pid: c, .. } if c == r)) =>
        {
            parts.push(Said::ReapsUnasked { pid, child: *r })
        }
        EventKind::Wait {
            reaped: None,
            nohang: true,
            errno: None,
            ..
        } => parts.push(Said::NothingYet),
        EventKind::Kill {
            target,
            signal,
            ok: true,
            ..
        } => parts.push(Said::Sends {
            pid,
            signal: *signal,
            target: *target,
        }),
        EventKind::Signal { signal, .. } => parts.push(Said::Arrives {
            pid,
            signal: *signal,
        }),
        EventKind::Stop { signal } => parts.push(Said::Stopped {
            pid,
            signal: *signal,
        }),
        EventKind::Continue {} => parts.push(Said::Continues { pid }),
        EventKind::Sigchld {
            action, nocldwait, ..
        } => parts.push(if action.as_str() == "ignore" || *nocldwait {
            Said::NoZombies { pid }
        } else {
            Said::SigchldSet {
                pid,
                action: texts.text(|o| o.push_str(action)),
            }
        }),
        EventKind::Exit { status: s, .. } => parts.push(Said::Ends { pid, status: *s }),
        EventKind::Rename { name, errno: None } => {
            if let Some(p) = model.tree().process_of_task(pid) {
                parts.push(Said::Renames {
                    pid,
                    program: texts.text(|o| o.push_str(&describe::process_name(model, p))),
                    name: texts.text(|o| o.push_str(&crate::words::text::visible(&name.lossy()))),
                    thread: p.pid != pid,
                })
            }
        }
        _ => {}
    }
    for n in &applied.notes {
        match n {
            Note::PipeEof { pipe, readers, .. } if *readers > 0 => parts.push(Said::Eof {
                pipe: texts.text(|o| write_pipe_label(o, labels, *pipe)),
            }),
            Note::PipeBroken { pipe, writers, .. } if *writers > 0 => parts.push(Said::Broken {
                pipe: texts.text(|o| write_pipe_label(o, labels, *pipe)),
            }),
            Note::Zombie { pid, .. }
                if model
                    .process(*pid)
                    .and_then(|p| p.reap)
                    .is_some_and(|r| r.by_kernel) =>
            {
                parts.push(Said::ReapedByKernel { pid: *pid })
            }
            Note::Zombie { pid, .. } => {
                // Its parent is in the trace and still alive (an orphan's
                // new parent is init or a subreaper, outside the trace).
                let inside = model
                    .process(*pid)
                    .filter(|p| p.orphaned.is_none())
                    .and_then(|p| model.tree().parent(p.id))
                    .is_some_and(|parent| parent.is_alive());
                parts.push(Said::Zombie {
                    pid: *pid,
                    parent_traced: inside,
                })
            }
            Note::Orphaned { pid, .. } => parts.push(Said::Orphaned { pid: *pid }),
            Note::ImplicitClose {
                fd,
                cause: crate::model::CloseCause::Exec,
                ..
            } => parts.push(Said::ClosedAtExec { fd: *fd }),
            _ => {}
        }
    }
}

/// The fd `ev` closes or overwrites, if any.
pub(crate) fn replaced_fd(ev: &Event) -> Option<i32> {
    match ev.kind {
        EventKind::Dup {
            old_fd,
            new_fd,
            errno: None,
            ..
        } if old_fd != new_fd => Some(new_fd),
        EventKind::Close { fd } => Some(fd),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::FdEntry;

    fn ev(m: &mut Model, labels: &mut Labels, seq: u64, kind: EventKind) {
        let e = Event {
            seq,
            ts_ns: seq * 1000,
            pid: 100,
            kind,
        };
        labels.observe(&e);
        m.apply(&e);
    }

    /// fd 0 an inherited pipe of unknown end, fd 3/4/5 a FIFO opened for
    /// reading, writing and both, fd 6 a plain file.
    fn model() -> (Model, Labels) {
        let (mut m, mut labels) = (Model::new(), Labels::default());
        let fds = vec![FdEntry {
            fd: 0,
            target: RawStr::from("pipe:[8]"),
            cloexec: false,
            flags: None,
            same_as: None,
            same_as_pid: None,
        }];
        let argv = vec![RawStr::from("sh")];
        ev(&mut m, &mut labels, 0, EventKind::spawned(argv, fds));
        let opens = [
            (3, "O_RDONLY", "pipe:[31]"),
            (4, "O_WRONLY", "pipe:[31]"),
            (5, "O_RDWR", "pipe:[31]"),
            (6, "O_RDONLY", "/etc/passwd"),
        ];
        for (seq, (fd, flags, target)) in (1..).zip(opens) {
            let path = if fd == 6 { "/etc/passwd" } else { "/tmp/f" };
            let kind = EventKind::Open {
                fd,
                path: RawStr::from(path),
                flags: flags.into(),
                dirfd: None,
                target: Some(RawStr::from(target)),
                errno: None,
                how_rejected: false,
                kernel_name: None,
                unreadable: Vec::new(),
            };
            ev(&mut m, &mut labels, seq, kind);
        }
        (m, labels)
    }

    #[test]
    fn english_labels_are_describes_own() {
        let (m, labels) = model();
        for fd in [0, 3, 4, 5, 6] {
            assert_eq!(
                fd_file(&m, 100, fd, &labels).map(|f| crate::words::narrate::file(Lang::En, &f)),
                describe::fd(&m, 100, fd, &labels)
            );
        }
    }

    #[test]
    fn fifo_ends_are_facts_with_their_path_and_end() {
        let (m, labels) = model();
        assert_eq!(
            fd_file(&m, 100, 4, &labels),
            Some(File::Pipe {
                label: "pipe#2".into(),
                end: PipeEnd::Write,
                fifo: Some("/tmp/f".into()),
            })
        );
        assert_eq!(
            fd_file(&m, 100, 6, &labels),
            Some(File::Named("/etc/passwd".into()))
        );
    }
}
