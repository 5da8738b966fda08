//! Events in words: the call as a programmer would write it (`dup2(4, 1)`)
//! and one plain sentence saying what changed (`fd 1 now writes into pipe#1;
//! it was /dev/pts/0`). Pure: reads the model before and after an event.

use super::describe;
use super::labels::Labels;
use crate::model::{Applied, Model, Note};
use crate::trace::{DupVia, Event, EventKind, Pid, RawStr, Status};

/// What an event is about to replace, read from the model before applying it.
#[derive(Clone, Debug, Default)]
pub struct Before {
    /// What the fd being overwritten or closed referred to.
    pub replaced: Option<String>,
}

impl Before {
    /// Looks at the fd the event will close or overwrite.
    pub fn capture(model: &Model, ev: &Event, labels: &Labels) -> Before {
        let fd = match ev.kind {
            EventKind::Dup {
                new_fd,
                old_fd,
                errno: None,
                ..
            } if new_fd != old_fd => Some(new_fd),
            EventKind::Close { fd } => Some(fd),
            _ => None,
        };
        Before {
            replaced: fd.and_then(|fd| describe::fd(model, ev.pid, fd, labels)),
        }
    }
}

fn q(s: &RawStr) -> String {
    format!("{:?}", s.lossy())
}

fn argv_text(argv: &[RawStr]) -> String {
    let shown: Vec<String> = argv.iter().take(8).map(q).collect();
    let more = if argv.len() > 8 {
        format!(", ... {} more", argv.len() - 8)
    } else {
        String::new()
    };
    format!("[{}{more}]", shown.join(", "))
}

/// Text of an exit status: `exit 0`, `killed by SIGPIPE`.
pub fn status(s: &Status) -> String {
    match s {
        Status::Exited { exited } => format!("exit {exited}"),
        Status::Signaled { signaled, core } => {
            format!(
                "killed by {signaled}{}",
                if *core { " (core dumped)" } else { "" }
            )
        }
        Status::Stopped { stopped } => format!("stopped by {stopped}"),
        Status::Continued { .. } => "continued".into(),
    }
}

/// The event as a call: `pipe([3, 4])`, `dup2(4, 1)`, `execve("/bin/cat", ["cat"])`.
pub fn call(ev: &Event, labels: &Labels) -> String {
    let err = |e: &Option<String>| e.as_ref().map(|e| format!(" = -1 {e}")).unwrap_or_default();
    match &ev.kind {
        EventKind::Spawn { argv, .. } => format!("spawn {}", argv_text(argv)),
        EventKind::Fork {
            child,
            syscall,
            flavor,
            ..
        } => match flavor {
            // As the program wrote it: glibc's fork() is a clone syscall.
            crate::trace::ForkFlavor::Fork => format!("fork() = {child}"),
            crate::trace::ForkFlavor::Vfork => format!("vfork() = {child}"),
            crate::trace::ForkFlavor::Thread => format!("{syscall}(CLONE_THREAD) = {child}"),
            crate::trace::ForkFlavor::Clone => format!("{syscall}() = {child}"),
        },
        EventKind::Exec {
            path, argv, errno, ..
        } => format!("execve({}, {}){}", q(path), argv_text(argv), err(errno)),
        EventKind::Pipe {
            read_fd,
            write_fd,
            pipe_id,
            cloexec,
            nonblock,
        } => {
            let mut flags = Vec::new();
            if *cloexec {
                flags.push("O_CLOEXEC");
            }
            if *nonblock {
                flags.push("O_NONBLOCK");
            }
            let name = if flags.is_empty() { "pipe" } else { "pipe2" };
            let f = if flags.is_empty() {
                String::new()
            } else {
                format!(", {}", flags.join("|"))
            };
            format!(
                "{name}([{read_fd}, {write_fd}]{f}) {}",
                labels.pipe(*pipe_id)
            )
        }
        EventKind::PipeFailed { errno } => format!("pipe() = -1 {errno}"),
        EventKind::Dup {
            old_fd,
            new_fd,
            via,
            cloexec,
            errno,
        } => match via {
            DupVia::Dup => format!("dup({old_fd}) = {new_fd}{}", err(errno)),
            DupVia::Dup2 => format!("dup2({old_fd}, {new_fd}){}", err(errno)),
            DupVia::Dup3 => format!(
                "dup3({old_fd}, {new_fd}, {}){}",
                if *cloexec { "O_CLOEXEC" } else { "0" },
                err(errno)
            ),
            DupVia::Fcntl => format!(
                "fcntl({old_fd}, {}) = {new_fd}{}",
                if *cloexec {
                    "F_DUPFD_CLOEXEC"
                } else {
                    "F_DUPFD"
                },
                err(errno)
            ),
        },
        EventKind::Open {
            fd,
            path,
            flags,
            errno,
            ..
        } => match errno {
            Some(e) => format!("open({}, {flags}) = -1 {e}", q(path)),
            None => format!("open({}, {flags}) = {fd}", q(path)),
        },
        EventKind::Close { fd } => format!("close({fd})"),
        EventKind::CloseRange {
            first,
            last,
            cloexec,
        } => {
            let last = if *last == u32::MAX {
                "~0U".to_string()
            } else {
                last.to_string()
            };
            let f = if *cloexec { "CLOSE_RANGE_CLOEXEC" } else { "0" };
            format!("close_range({first}, {last}, {f})")
        }
        EventKind::SetCloexec { fd, cloexec, errno } => format!(
            "fcntl({fd}, F_SETFD, {}){}",
            if *cloexec { "FD_CLOEXEC" } else { "0" },
            err(errno)
        ),
        EventKind::Socket { fds, syscall, .. } => format!("{syscall}() = {fds:?}"),
        EventKind::Mkfifo { path, errno, .. } => format!("mkfifo({}){}", q(path), err(errno)),
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
            match (reaped, errno) {
                (_, Some(e)) => format!("{name}({target}{opt}) = -1 {e}"),
                (Some(r), _) => format!(
                    "{name}({target}{opt}) = {r}{}",
                    st.map(|s| format!(" ({})", status(&s))).unwrap_or_default()
                ),
                (None, _) => format!("{name}({target}{opt}) = 0"),
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
            format!("{name}({target}, {signal}){}", err(errno))
        }
        EventKind::Signal { signal, from } => match from {
            Some(f) => format!("--- {signal} from {f} ---"),
            None => format!("--- {signal} ---"),
        },
        EventKind::Stop { signal } => format!("--- stopped by {signal} ---"),
        EventKind::Continue {} => "--- continued ---".into(),
        EventKind::Setsid { sid, errno } => match sid {
            Some(s) => format!("setsid() = {s}"),
            None => format!("setsid(){}", err(errno)),
        },
        EventKind::Setpgid {
            target,
            pgid,
            errno,
            ..
        } => format!("setpgid({target}, {pgid}){}", err(errno)),
        EventKind::Exit { status: s } => format!("+++ {} +++", status(s)),
    }
}

fn pipe_of(model: &Model, pid: Pid, fd: i32, labels: &Labels) -> String {
    describe::fd(model, pid, fd, labels).unwrap_or_else(|| "?".into())
}

/// One plain sentence saying what the event changed, or `None` when it
/// changed nothing worth a sentence (a failed call says why it failed).
pub fn sentence(
    model: &Model,
    ev: &Event,
    before: &Before,
    applied: &Applied,
    labels: &Labels,
) -> Option<String> {
    let pid = ev.pid;
    let mut parts: Vec<String> = Vec::new();
    match &ev.kind {
        EventKind::Spawn { fds, .. } => parts.push(format!(
            "{pid} starts with {} fd{} inherited",
            fds.len(),
            if fds.len() == 1 { "" } else { "s" }
        )),
        EventKind::Fork {
            child,
            flavor,
            shares_fds,
            ..
        } => parts.push(match flavor {
            crate::trace::ForkFlavor::Thread => format!("{pid} starts thread {child}"),
            _ if *shares_fds => format!("{child} is born sharing {pid}'s fd table"),
            crate::trace::ForkFlavor::Vfork => format!(
                "{child} is born with a copy of {pid}'s fds; {pid} waits until it execs or exits"
            ),
            _ => format!("{child} is born with a copy of {pid}'s fds (each open file now has one more holder)"),
        }),
        EventKind::Exec {
            ok: true, argv, path, ..
        } => parts.push(format!(
            "{pid} now runs {}",
            describe::program_name(argv, path)
        )),
        EventKind::Exec { ok: false, errno, .. } => parts.push(format!(
            "the exec failed ({}); {pid} still runs its old program",
            errno.as_deref().unwrap_or("error")
        )),
        EventKind::Pipe {
            read_fd,
            write_fd,
            pipe_id,
            ..
        } => parts.push(format!(
            "{} made: read end fd {read_fd}, write end fd {write_fd}",
            labels.pipe(*pipe_id)
        )),
        EventKind::Dup {
            old_fd,
            new_fd,
            errno: None,
            ..
        } => {
            if old_fd == new_fd {
                parts.push(format!("fd {new_fd} is unchanged"));
            } else {
                let what = pipe_of(model, pid, *new_fd, labels);
                let verb = if what.ends_with("write end") {
                    "now writes into"
                } else if what.ends_with("read end") {
                    "now reads from"
                } else {
                    "now refers to"
                };
                let mut s = format!("fd {new_fd} {verb} {what} (same open file as fd {old_fd})");
                if let Some(old) = &before.replaced {
                    s.push_str(&format!("; its old {old} was closed"));
                }
                parts.push(s);
            }
        }
        EventKind::Open {
            fd, errno: None, ..
        } => parts.push(format!(
            "fd {fd} now refers to {}",
            pipe_of(model, pid, *fd, labels)
        )),
        EventKind::Close { fd } => match &before.replaced {
            Some(what) => parts.push(format!("fd {fd} ({what}) is closed")),
            None => parts.push(format!("fd {fd} was not open: nothing changes (EBADF)")),
        },
        EventKind::CloseRange { first, last, cloexec: false } => {
            parts.push(format!("fds {first}..{} are closed", if *last == u32::MAX { "max".into() } else { last.to_string() }))
        }
        EventKind::CloseRange { first, last, cloexec: true } => {
            parts.push(format!("fds {first}..{} will close at the next exec", if *last == u32::MAX { "max".into() } else { last.to_string() }))
        }
        EventKind::Wait {
            reaped: Some(r),
            status: Some(s),
            ..
        } if s.is_final() => parts.push(format!("{pid} reaps {r} ({})", status(s))),
        EventKind::Wait {
            reaped: None,
            nohang: true,
            errno: None,
            ..
        } => parts.push("no child has changed state yet".into()),
        EventKind::Kill {
            target,
            signal,
            ok: true,
            ..
        } => parts.push(format!("{pid} sends {signal} to {target}")),
        EventKind::Signal { signal, .. } => parts.push(format!("{signal} arrives at {pid}")),
        EventKind::Stop { signal } => parts.push(format!("{pid} is stopped by {signal}")),
        EventKind::Continue {} => parts.push(format!("{pid} continues")),
        EventKind::Exit { status: s } => parts.push(format!("{pid} ends ({}); its fds are closed", status(s))),
        _ => {}
    }
    for n in &applied.notes {
        match n {
            Note::PipeEof { pipe, readers, .. } if *readers > 0 => parts.push(format!(
                "the last write end of {} is closed: its reader now sees EOF",
                labels.pipe(*pipe)
            )),
            Note::PipeBroken { pipe, writers, .. } if *writers > 0 => parts.push(format!(
                "the last read end of {} is closed: a write into it now raises SIGPIPE",
                labels.pipe(*pipe)
            )),
            Note::Zombie { pid, .. } => {
                let inside = model
                    .process(*pid)
                    .and_then(|p| model.tree().parent(p.id))
                    .is_some();
                parts.push(if inside {
                    format!("{pid} is a zombie until its parent waits for it")
                } else {
                    format!("{pid} is a zombie until its parent (outside the trace) waits for it")
                })
            }
            Note::Orphaned { pid, .. } => {
                parts.push(format!("{pid} is orphaned: its parent is gone"))
            }
            Note::ImplicitClose {
                fd,
                cause: crate::model::CloseCause::Exec,
                ..
            } => parts.push(format!("fd {fd} closed at exec (close-on-exec)")),
            _ => {}
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}
