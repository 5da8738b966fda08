//! Short human names for what an fd refers to (`pipe#1 write end`,
//! `/dev/pts/0`, `socket:[123]`) and for programs (`sh`, `grep`); and the
//! few words the ascii and SVG drawings both write about a process box, in
//! the language of [`lang::current`].

use super::labels::Labels;
use super::lang::{self, Lang};
use crate::model::{Model, Object, OpenFile, PipeEnd, Process};
use crate::trace::{Pid, RawStr};

/// `pipe#1 write end`, `/etc/passwd`, `/dev/pts/0`, `socket:[9]`.
pub fn open_file(f: &OpenFile, labels: &Labels) -> String {
    match &f.object {
        Object::Pipe { pipe, fifo } => {
            let end = match f.pipe_end() {
                Some(PipeEnd::Read) => "read end",
                Some(PipeEnd::Write) => "write end",
                Some(PipeEnd::Both) => "both ends",
                _ => "end ?",
            };
            match fifo {
                Some(path) => format!("fifo {} ({}) {end}", shown(path), labels.pipe(*pipe)),
                None => format!("{} {end}", labels.pipe(*pipe)),
            }
        }
        Object::File { path } | Object::Tty { path } => shown(path),
        Object::Socket {
            inode: Some(i),
            domain,
        } => match domain {
            Some(d) => format!("{d} socket:[{i}]"),
            None => format!("socket:[{i}]"),
        },
        Object::Socket { inode: None, .. } => "socket".into(),
        Object::Other { target } => shown(target),
        Object::Unknown => "?".into(),
    }
}

/// A path or argv word from the trace as text for a reader: invalid UTF-8
/// replaced, control and invisible formatting characters written as
/// escapes (`\n`, `\x1b`; see [`super::ascii::visible`]), so that a name
/// can neither drive a terminal nor fake a line of output. Every format
/// gets it this way; each then escapes its own markup.
pub fn shown(raw: &RawStr) -> String {
    super::ascii::visible(&raw.lossy()).into_owned()
}

/// What `fd` of `pid` refers to now, if open.
pub fn fd(model: &Model, pid: Pid, fd: i32, labels: &Labels) -> Option<String> {
    model.fd(pid, fd).map(|v| open_file(v.file, labels))
}

/// The last path component of `argv[0]` (or of the path).
pub fn program_name(argv: &[RawStr], path: &RawStr) -> String {
    let s = shown(argv.first().unwrap_or(path));
    s.rsplit('/').next().unwrap_or(&s).to_string()
}

/// The name of the program a process runs now.
pub fn process_name(model: &Model, p: &Process) -> String {
    match model.tree().program(p.id) {
        Some(e) => program_name(&e.argv, &e.path),
        None => match &p.origin {
            crate::model::Origin::Spawn { argv, .. } => program_name(argv, &RawStr::default()),
            _ => "?".into(),
        },
    }
}

/// The name of the program `pid` runs now ("?" when unknown). A thread's
/// tid names its process's program.
pub fn pid_name(model: &Model, pid: Pid) -> String {
    model
        .tree()
        .process_of_task(pid)
        .or_else(|| model.process(pid))
        .map(|p| process_name(model, p))
        .unwrap_or_else(|| "?".into())
}

/// A command line for display: words joined with spaces, each word quoted
/// the way a shell would need it when it holds anything unusual.
pub fn command_line(argv: &[RawStr]) -> String {
    argv.iter()
        .map(|a| {
            let w = shown(a);
            let plain = !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_./=:,+@%-".contains(c));
            if plain {
                w
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A box's state (`running`, `stopped`, `zombie`, `blocked`, `reaped`) in
/// the current language; English is the state itself.
pub fn state_word(state: &str) -> &str {
    match (lang::current(), state) {
        (Lang::En, s) => s,
        (Lang::Zh, "running") => "运行中",
        (Lang::Zh, "stopped") => "已暂停",
        (Lang::Zh, "zombie") => "僵尸",
        (Lang::Zh, "blocked") => "阻塞中",
        (Lang::Zh, "reaped") => "已回收",
        (Lang::Zh, s) => s,
    }
}

/// `+2 threads`: the threads a process runs besides its main one.
pub fn threads(n: usize) -> String {
    match (lang::current(), n) {
        (Lang::En, 1) => "+1 thread".into(),
        (Lang::En, n) => format!("+{n} threads"),
        (Lang::Zh, n) => format!("+{n} 个线程"),
    }
}

/// What an empty fd table says.
pub fn no_open_fds() -> &'static str {
    lang::current().pick("no open fds", "没有打开的 fd")
}

/// `3 fds not shown`: rows a box leaves out (`--collapse-files`).
pub fn fds_not_shown(n: usize) -> String {
    match lang::current() {
        Lang::En => format!("{n} fd{} not shown", if n == 1 { "" } else { "s" }),
        Lang::Zh => format!("另有 {n} 个 fd 没有画出"),
    }
}

/// `ran`, before the programs a process ran (`ran sh → echo`).
pub fn ran() -> &'static str {
    lang::current().pick("ran", "先后运行")
}

/// `3 fds`: how many fds hold one open file.
pub fn fd_count(n: usize) -> String {
    match lang::current() {
        Lang::En => format!("{n} fds"),
        Lang::Zh => format!("{n} 个 fd"),
    }
}

/// Under a process that holds an end of a drawn pipe but is not drawn.
pub fn not_drawn() -> &'static str {
    lang::current().pick("not drawn", "没有画出")
}

/// The Chinese the drawings share where their English wordings differ
/// (each drawing keeps its own English).
pub mod zh {
    /// The heading over the open files several fds share.
    pub const SHARED_FILES: &str = "共享的打开文件";
    /// What a `#N ×K` mark on a row means.
    pub const SHARED_MARK: &str = "打开文件 #N，被 K 个 fd 共享";
    /// What a `cloexec` mark on a row means.
    pub const CLOEXEC: &str = "cloexec：下一次 exec 时关闭";
    /// Who holds nothing.
    pub const NONE: &str = "无";
}
