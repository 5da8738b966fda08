//! Events in words: the call as a programmer would write it (`dup2(4, 1)`)
//! and one plain sentence saying what changed (`fd 1 now writes into pipe#1;
//! it was /dev/pts/0`). Pure: reads the model before and after an event.
//!
//! The sentences are written in the language of [`lang::current`]; the call
//! text stays as strace would print it in every language.

use super::describe;
use super::labels::Labels;
use super::lang::{self, Lang};
use crate::model::{Applied, Model, Note, Object, OpenFile, PipeEnd};
use crate::trace::{DupVia, Event, EventKind, Pid, RawStr, Status};

/// What an event is about to replace, read from the model before applying it.
#[derive(Clone, Debug, Default)]
pub struct Before {
    /// What the fd being overwritten or closed referred to, in words of the
    /// current language (see [`open_file`]; a path is a path in any language).
    pub replaced: Option<String>,
    /// The process (tgid) of the acting task.
    pub pid: Pid,
    /// Its fd table before the event: (fd, open file, words for it,
    /// whether it is a regular file), for the change marks of a drawing
    /// (an event changes only the acting process's fd table).
    pub fds: Vec<(i32, crate::model::OpenFileId, String, bool)>,
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
        let pid = model
            .tree()
            .process_of_task(ev.pid)
            .map_or(ev.pid, |p| p.pid);
        let fds = model
            .fds(ev.pid)
            .iter()
            .map(|v| {
                let regular = matches!(&v.file.object, Object::File { path } if !path.as_bytes().starts_with(b"/dev/"));
                (v.fd, v.file.id, open_file(v.file, labels), regular)
            })
            .collect();
        Before {
            replaced: fd.and_then(|fd| fd_text(model, ev.pid, fd, labels)),
            pid,
            fds,
        }
    }
}

fn q(s: &RawStr) -> String {
    s.quoted()
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

/// What an fd refers to, in words of the current language: in English
/// exactly [`describe::open_file`] (`pipe#1 write end`, `/dev/pts/0`); in
/// Chinese a pipe end reads `pipe#1 的写端`, a FIFO end
/// `FIFO /tmp/f（pipe#2）的读端`, and paths and sockets stay as they are.
pub fn open_file(f: &OpenFile, labels: &Labels) -> String {
    match (lang::current(), &f.object) {
        (Lang::Zh, Object::Pipe { pipe, fifo }) => {
            let end = match f.pipe_end() {
                Some(PipeEnd::Read) => "的读端",
                Some(PipeEnd::Write) => "的写端",
                Some(PipeEnd::Both) => "的两端",
                _ => "的某一端",
            };
            match fifo {
                Some(path) => format!(
                    "FIFO {}（{}）{end}",
                    describe::shown(path),
                    labels.pipe(*pipe)
                ),
                None => format!("{} {end}", labels.pipe(*pipe)),
            }
        }
        _ => describe::open_file(f, labels),
    }
}

/// The space Chinese text puts after `s` before more Chinese: one after
/// Latin text (`/dev/pts/0 被关闭了`), none after Chinese (`的写端被关闭了`).
fn gap(s: &str) -> &'static str {
    match s.chars().last() {
        Some(c) if super::ascii::char_cols(c) == 2 => "",
        _ => " ",
    }
}

/// What `fd` of `pid` refers to now, if open, in the current language.
fn fd_text(model: &Model, pid: Pid, fd: i32, labels: &Labels) -> Option<String> {
    model.fd(pid, fd).map(|v| open_file(v.file, labels))
}

/// An exit status in words of the current language, for sentences and
/// listings: `exit 0` / `退出码 0`, `killed by SIGPIPE` / `被 SIGPIPE 杀死`.
/// (The call text keeps [`status`], as strace writes it.)
pub fn status_text(s: &Status) -> String {
    match lang::current() {
        Lang::En => status(s),
        Lang::Zh => match s {
            Status::Exited { exited } => format!("退出码 {exited}"),
            Status::Signaled { signaled, core } => format!(
                "被 {signaled} 杀死{}",
                if *core { "，产生了 core dump" } else { "" }
            ),
            Status::Stopped { stopped } => format!("被 {stopped} 暂停"),
            Status::Continued { .. } => "继续运行".into(),
        },
    }
}

/// Text of an exit status: `exit 0`, `killed by SIGPIPE` (English, as in
/// strace's `+++ exit 0 +++`; see [`status_text`] for sentences).
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
            // A failed call shows -1 and the errno once, as strace does.
            DupVia::Dup if errno.is_some() => format!("dup({old_fd}){}", err(errno)),
            DupVia::Dup => format!("dup({old_fd}) = {new_fd}"),
            DupVia::Dup2 => format!("dup2({old_fd}, {new_fd}){}", err(errno)),
            DupVia::Dup3 => format!(
                "dup3({old_fd}, {new_fd}, {}){}",
                if *cloexec { "O_CLOEXEC" } else { "0" },
                err(errno)
            ),
            DupVia::Fcntl => format!(
                "fcntl({old_fd}, {}){}",
                if *cloexec {
                    "F_DUPFD_CLOEXEC"
                } else {
                    "F_DUPFD"
                },
                match errno {
                    Some(_) => err(errno),
                    None => format!(" = {new_fd}"),
                }
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
            unshare,
            errno,
        } => {
            let last = if *last == u32::MAX {
                "~0U".to_string()
            } else {
                last.to_string()
            };
            let f = match (*cloexec, *unshare) {
                (false, false) => "0",
                (true, false) => "CLOSE_RANGE_CLOEXEC",
                (false, true) => "CLOSE_RANGE_UNSHARE",
                (true, true) => "CLOSE_RANGE_UNSHARE|CLOSE_RANGE_CLOEXEC",
            };
            format!("close_range({first}, {last}, {f}){}", err(errno))
        }
        EventKind::SetCloexec {
            fd,
            errno,
            via: Some(via),
            ..
        } => match via.strip_prefix("ioctl(").and_then(|c| c.strip_suffix(')')) {
            Some(cmd) => format!("ioctl({fd}, {cmd}){}", err(errno)),
            None => format!("{via}({fd}){}", err(errno)),
        },
        EventKind::SetCloexec {
            fd, cloexec, errno, ..
        } => format!(
            "fcntl({fd}, F_SETFD, {}){}",
            if *cloexec { "FD_CLOEXEC" } else { "0" },
            err(errno)
        ),
        EventKind::Unshare { flags, errno } => format!("unshare({flags:#x}){}", err(errno)),
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
            match (syscall.as_str(), domain, listen_fd) {
                ("socketpair", d, _) => format!(
                    "socketpair({}{fds:?}) = 0",
                    d.as_ref().map(|d| format!("{d}, ")).unwrap_or_default()
                ),
                (_, _, Some(l)) => format!("{syscall}({l}) = {first}"),
                (_, Some(d), None) => format!("{syscall}({d}) = {first}"),
                (_, None, None) => format!("{syscall}() = {first}"),
            }
        }
        // An ioctl is named with its command: `ioctl(NS_GET_USERNS) = 4`.
        EventKind::NewFd { fd, syscall, .. } if syscall.ends_with(')') => {
            format!("{syscall} = {fd}")
        }
        EventKind::NewFd { fd, syscall, .. } => format!("{syscall}() = {fd}"),
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
                format!("--- SIGCHLD {act} (inherited) ---")
            } else {
                format!("{syscall}(SIGCHLD, {act}{flags}) = 0")
            }
        }
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
        EventKind::Stall { hang, summary, .. } => format!("*** hang ({hang}): {summary} ***"),
        EventKind::FdSnapshot { at, fds, .. } => {
            let list: Vec<String> = fds.iter().map(|e| e.fd.to_string()).collect();
            format!("--- fd table at {at}: [{}] ---", list.join(" "))
        }
        EventKind::PtraceLimit {
            limit,
            path,
            request,
            target,
            ..
        } => match (request, path) {
            (Some(r), _) => format!(
                "*** ptrace limit ({limit}): ptrace({r}{}) = -1 EPERM ***",
                target.map(|t| format!(", {t}")).unwrap_or_default()
            ),
            (None, Some(p)) => format!("*** ptrace limit ({limit}): {p} ***"),
            (None, None) => format!("*** ptrace limit ({limit}) ***"),
        },
        EventKind::Lost { records } => format!("*** {records} records lost (ring buffer full) ***"),
    }
}

fn pipe_of(model: &Model, pid: Pid, fd: i32, labels: &Labels) -> String {
    fd_text(model, pid, fd, labels).unwrap_or_else(|| "?".into())
}

/// `fds 3..9` / `fd 3..9`, `fds 3..max` / `fd 3 及以上的所有 fd`.
fn fd_range(first: u32, last: u32) -> String {
    match (lang::current(), last == u32::MAX) {
        (Lang::En, true) => format!("fds {first}..max"),
        (Lang::En, false) => format!("fds {first}..{last}"),
        (Lang::Zh, true) => format!("fd {first} 及以上的所有 fd"),
        (Lang::Zh, false) => format!("fd {first}..{last}"),
    }
}

/// One plain sentence saying what the event changed, or `None` when it
/// changed nothing worth a sentence (a failed call says why it failed).
/// In the language of [`lang::current`].
pub fn sentence(
    model: &Model,
    ev: &Event,
    before: &Before,
    applied: &Applied,
    labels: &Labels,
) -> Option<String> {
    let pid = ev.pid;
    let l = lang::current();
    let mut parts: Vec<String> = Vec::new();
    match &ev.kind {
        EventKind::Spawn {
            fds,
            attached: false,
            ..
        } => parts.push(match l {
            Lang::En => format!(
                "{pid} starts with {} fd{} inherited",
                fds.len(),
                if fds.len() == 1 { "" } else { "s" }
            ),
            Lang::Zh => format!("{pid} 开始运行，继承了 {} 个文件描述符", fds.len()),
        }),
        EventKind::Spawn {
            fds,
            attached: true,
            parent,
            threads,
            ..
        } => {
            let n = fds.len();
            parts.push(match (l, parent) {
                (Lang::En, Some(p)) => format!(
                    "{pid} was already running (attached), a child of {p}, with {n} fd{} open",
                    if n == 1 { "" } else { "s" }
                ),
                (Lang::En, None) => format!(
                    "{pid} was already running (attached), with {n} fd{} open",
                    if n == 1 { "" } else { "s" }
                ),
                (Lang::Zh, Some(p)) => {
                    format!("{pid} 早已在运行（forkscope 中途附加），是 {p} 的子进程，打开着 {n} 个文件描述符")
                }
                (Lang::Zh, None) => {
                    format!("{pid} 早已在运行（forkscope 中途附加），打开着 {n} 个文件描述符")
                }
            });
            if !threads.is_empty() {
                let list = threads
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                parts.push(match l {
                    Lang::En if threads.len() == 1 => {
                        format!("its other thread {list} shares its fd table")
                    }
                    Lang::En => format!("its other threads {list} share its fd table"),
                    Lang::Zh => format!("它的其他线程 {list} 共用这张 fd 表"),
                });
            }
        }
        EventKind::Fork {
            child,
            flavor,
            shares_fds,
            ..
        } => parts.push(match (l, flavor) {
            (Lang::En, crate::trace::ForkFlavor::Thread) => format!("{pid} starts thread {child}"),
            (Lang::Zh, crate::trace::ForkFlavor::Thread) => format!("{pid} 创建了线程 {child}"),
            (Lang::En, _) if *shares_fds => format!("{child} is born sharing {pid}'s fd table"),
            (Lang::Zh, _) if *shares_fds => {
                format!("{child} 被创建出来，和 {pid} 共用同一张文件描述符表")
            }
            (Lang::En, crate::trace::ForkFlavor::Vfork) => format!(
                "{child} is born with a copy of {pid}'s fds; {pid} waits until it execs or exits"
            ),
            (Lang::Zh, crate::trace::ForkFlavor::Vfork) => format!(
                "{child} 被创建出来，复制了 {pid} 的文件描述符；{pid} 要一直等到它 exec 或退出"
            ),
            (Lang::En, _) => format!("{child} is born with a copy of {pid}'s fds (each open file now has one more holder)"),
            (Lang::Zh, _) => format!(
                "{child} 被创建出来，复制了 {pid} 的文件描述符（每个打开文件的引用计数都加 1）"
            ),
        }),
        EventKind::Exec {
            ok: true, argv, path, ..
        } => {
            let prog = describe::program_name(argv, path);
            parts.push(match l {
                Lang::En => format!("{pid} now runs {prog}"),
                Lang::Zh => format!("{pid} 现在运行 {prog}（exec 替换了进程映像）"),
            })
        }
        EventKind::Exec { ok: false, errno, .. } => parts.push(match l {
            Lang::En => format!(
                "the exec failed ({}); {pid} still runs its old program",
                errno.as_deref().unwrap_or("error")
            ),
            Lang::Zh => format!(
                "exec 失败了（{}）；{pid} 还在运行原来的程序",
                errno.as_deref().unwrap_or("出错")
            ),
        }),
        EventKind::Pipe {
            read_fd,
            write_fd,
            pipe_id,
            ..
        } => parts.push(match l {
            Lang::En => format!(
                "{} made: read end fd {read_fd}, write end fd {write_fd}",
                labels.pipe(*pipe_id)
            ),
            Lang::Zh => format!(
                "建好了 {}：读端是 fd {read_fd}，写端是 fd {write_fd}",
                labels.pipe(*pipe_id)
            ),
        }),
        EventKind::Dup {
            old_fd,
            new_fd,
            errno: None,
            ..
        } => {
            if old_fd == new_fd {
                parts.push(match l {
                    Lang::En => format!("fd {new_fd} is unchanged"),
                    Lang::Zh => format!("fd {new_fd} 没有变化"),
                });
            } else {
                let what = pipe_of(model, pid, *new_fd, labels);
                let s = match l {
                    Lang::En => {
                        let verb = if what.ends_with("write end") {
                            "now writes into"
                        } else if what.ends_with("read end") {
                            "now reads from"
                        } else {
                            "now refers to"
                        };
                        let mut s =
                            format!("fd {new_fd} {verb} {what} (same open file as fd {old_fd})");
                        if let Some(old) = &before.replaced {
                            s.push_str(&format!("; its old {old} was closed"));
                        }
                        s
                    }
                    Lang::Zh => {
                        let mut s = format!(
                            "fd {new_fd} 现在指向 {what}（和 fd {old_fd} 是同一个打开文件）"
                        );
                        if let Some(old) = &before.replaced {
                            s.push_str(&format!("；它原来指向的 {old}{}被关闭了", gap(old)));
                        }
                        s
                    }
                };
                parts.push(s);
            }
        }
        EventKind::Open {
            fd, errno: None, ..
        }
        | EventKind::NewFd { fd, .. } => {
            let what = pipe_of(model, pid, *fd, labels);
            parts.push(match l {
                Lang::En => format!("fd {fd} now refers to {what}"),
                Lang::Zh => format!("fd {fd} 现在指向 {what}"),
            })
        }
        EventKind::Close { fd } => parts.push(match (l, &before.replaced) {
            (Lang::En, Some(what)) => format!("fd {fd} ({what}) is closed"),
            (Lang::Zh, Some(what)) => format!("fd {fd}（{what}）被关闭了"),
            (Lang::En, None) => format!("fd {fd} was not open: nothing changes (EBADF)"),
            (Lang::Zh, None) => format!("fd {fd} 本来就没有打开：什么也没变（EBADF）"),
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
            parts.push(match l {
                Lang::En => format!(
                    "{pid} now has its own copy of the fd table it shared: its opens and closes no longer touch the others'"
                ),
                Lang::Zh => format!(
                    "{pid} 现在有了自己的一份 fd 表（原来是和别人共享的）：它之后打开、关闭 fd 不再影响别的进程"
                ),
            });
            if let EventKind::CloseRange { first, last, .. } = &ev.kind {
                parts.push(match l {
                    Lang::En => format!("{} are closed", fd_range(*first, *last)),
                    Lang::Zh => format!("{} 都被关闭了", fd_range(*first, *last)),
                });
            }
        }
        EventKind::CloseRange {
            first,
            last,
            cloexec: false,
            ..
        } => parts.push(match l {
            Lang::En => format!("{} are closed", fd_range(*first, *last)),
            Lang::Zh => format!("{} 都被关闭了", fd_range(*first, *last)),
        }),
        EventKind::CloseRange {
            first,
            last,
            cloexec: true,
            ..
        } => parts.push(match l {
            Lang::En => format!("{} will close at the next exec", fd_range(*first, *last)),
            Lang::Zh => format!("{} 会在下一次 exec 时关闭", fd_range(*first, *last)),
        }),
        EventKind::Wait {
            reaped: Some(r),
            status: Some(s),
            ..
        } if s.is_final() => parts.push(match l {
            Lang::En => format!("{pid} reaps {r} ({})", status(s)),
            Lang::Zh => format!("{pid} 回收了 {r}（{}）", status_text(s)),
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
            parts.push(match l {
                Lang::En => format!("{pid} reaps {r} (its status is not asked for)"),
                Lang::Zh => format!("{pid} 回收了 {r}（没有要它的退出状态）"),
            })
        }
        EventKind::Wait {
            reaped: None,
            nohang: true,
            errno: None,
            ..
        } => parts.push(
            l.pick(
                "nothing to report yet: WNOHANG returns 0 at once",
                "暂时没有可回收或可报告的子进程：带 WNOHANG 的 wait 立刻返回 0",
            )
                .into(),
        ),
        EventKind::Kill {
            target,
            signal,
            ok: true,
            ..
        } => parts.push(match l {
            Lang::En => format!("{pid} sends {signal} to {target}"),
            Lang::Zh => format!("{pid} 向 {target} 发送 {signal}"),
        }),
        EventKind::Signal { signal, .. } => parts.push(match l {
            Lang::En => format!("{signal} arrives at {pid}"),
            Lang::Zh => format!("{pid} 收到 {signal}"),
        }),
        EventKind::Stop { signal } => parts.push(match l {
            Lang::En => format!("{pid} is stopped by {signal}"),
            Lang::Zh => format!("{pid} 被 {signal} 暂停了"),
        }),
        EventKind::Continue {} => parts.push(match l {
            Lang::En => format!("{pid} continues"),
            Lang::Zh => format!("{pid} 继续运行"),
        }),
        EventKind::Sigchld {
            action, nocldwait, ..
        } => parts.push(match (l, action.as_str() == "ignore" || *nocldwait) {
            (Lang::En, true) => {
                format!("{pid} lets the kernel reap its children: they exit without becoming zombies")
            }
            (Lang::Zh, true) => format!("{pid} 让内核回收它的子进程：子进程退出后不会成为僵尸进程"),
            (Lang::En, false) => format!("{pid} sets SIGCHLD to {action}: its exited children wait for its wait()"),
            (Lang::Zh, false) => format!("{pid} 把 SIGCHLD 设为 {action}：退出的子进程要等它 wait() 回收"),
        }),
        EventKind::Exit { status: s } => parts.push(match l {
            Lang::En => format!("{pid} ends ({}); its fds are closed", status(s)),
            Lang::Zh => format!(
                "{pid} 结束了（{}），它的文件描述符全部关闭",
                status_text(s)
            ),
        }),
        _ => {}
    }
    for n in &applied.notes {
        match n {
            Note::PipeEof { pipe, readers, .. } if *readers > 0 => parts.push(match l {
                Lang::En => format!(
                    "the last write end of {} is closed: its reader now sees EOF",
                    labels.pipe(*pipe)
                ),
                Lang::Zh => format!(
                    "{} 的最后一个写端关掉了：读端现在会读到 EOF",
                    labels.pipe(*pipe)
                ),
            }),
            Note::PipeBroken { pipe, writers, .. } if *writers > 0 => parts.push(match l {
                Lang::En => format!(
                    "the last read end of {} is closed: a write into it now raises SIGPIPE",
                    labels.pipe(*pipe)
                ),
                Lang::Zh => format!(
                    "{} 的最后一个读端关掉了：再往里写就会触发 SIGPIPE",
                    labels.pipe(*pipe)
                ),
            }),
            Note::Zombie { pid, .. }
                if model
                    .process(*pid)
                    .and_then(|p| p.reap)
                    .is_some_and(|r| r.by_kernel) =>
            {
                parts.push(match l {
                    Lang::En => format!(
                        "the kernel reaps {pid} at once: its parent ignores SIGCHLD (or set SA_NOCLDWAIT), so it never is a zombie"
                    ),
                    Lang::Zh => format!(
                        "内核立即回收了 {pid}：它的父进程忽略了 SIGCHLD（或设了 SA_NOCLDWAIT），所以它不会成为僵尸进程"
                    ),
                })
            }
            Note::Zombie { pid, .. } => {
                // Its parent is in the trace and still alive (an orphan's
                // new parent is init or a subreaper, outside the trace).
                let inside = model
                    .process(*pid)
                    .filter(|p| p.orphaned.is_none())
                    .and_then(|p| model.tree().parent(p.id))
                    .is_some_and(|parent| parent.is_alive());
                parts.push(match (l, inside) {
                    (Lang::En, true) => {
                        format!("{pid} is a zombie until its parent waits for it")
                    }
                    (Lang::En, false) => format!(
                        "{pid} is a zombie until its parent (outside the trace) waits for it"
                    ),
                    (Lang::Zh, true) => {
                        format!("{pid} 成了僵尸进程，要等父进程 wait 它才会被回收")
                    }
                    (Lang::Zh, false) => format!(
                        "{pid} 成了僵尸进程，要等它的父进程（不在这次跟踪里）wait 它才会被回收"
                    ),
                })
            }
            Note::Orphaned { pid, .. } => parts.push(match l {
                Lang::En => format!("{pid} is orphaned: its parent is gone"),
                Lang::Zh => format!("{pid} 成了孤儿进程：它的父进程已经不在了"),
            }),
            Note::ImplicitClose {
                fd,
                cause: crate::model::CloseCause::Exec,
                ..
            } => parts.push(match l {
                Lang::En => format!("fd {fd} closed at exec (close-on-exec)"),
                Lang::Zh => format!("fd {fd} 在 exec 时被关闭（close-on-exec）"),
            }),
            _ => {}
        }
    }
    (!parts.is_empty()).then(|| parts.join(l.pick("; ", "；")))
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

    fn labels_in(l: Lang) -> Vec<String> {
        lang::set(l);
        let (m, labels) = model();
        let out = (0..=6)
            .filter_map(|fd| fd_text(&m, 100, fd, &labels))
            .collect();
        lang::set(Lang::En);
        out
    }

    #[test]
    fn english_labels_are_describes_own() {
        let (m, labels) = model();
        for fd in [0, 3, 4, 5, 6] {
            assert_eq!(
                fd_text(&m, 100, fd, &labels),
                describe::fd(&m, 100, fd, &labels)
            );
        }
    }

    #[test]
    fn chinese_labels_name_the_end_of_a_pipe_or_fifo_and_keep_paths() {
        assert_eq!(
            labels_in(Lang::Zh),
            [
                "pipe#1 的某一端",
                "FIFO /tmp/f（pipe#2）的读端",
                "FIFO /tmp/f（pipe#2）的写端",
                "FIFO /tmp/f（pipe#2）的两端",
                "/etc/passwd",
            ]
        );
        assert_eq!(
            labels_in(Lang::En),
            [
                "pipe#1 end ?",
                "fifo /tmp/f (pipe#2) read end",
                "fifo /tmp/f (pipe#2) write end",
                "fifo /tmp/f (pipe#2) both ends",
                "/etc/passwd",
            ]
        );
    }

    #[test]
    fn chinese_statuses() {
        lang::set(Lang::Zh);
        let killed = Status::Signaled {
            signaled: crate::trace::Sig(libc::SIGPIPE),
            core: false,
        };
        assert_eq!(status_text(&Status::Exited { exited: 2 }), "退出码 2");
        assert_eq!(status_text(&killed), "被 SIGPIPE 杀死");
        // The call text keeps strace's English.
        assert_eq!(status(&killed), "killed by SIGPIPE");
        lang::set(Lang::En);
        assert_eq!(status_text(&killed), "killed by SIGPIPE");
    }
}
