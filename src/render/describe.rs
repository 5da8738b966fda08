//! Short human names for what an fd refers to (`pipe#1 write end`,
//! `/dev/pts/0`, `socket:[123]`) and for programs (`sh`, `grep`): names
//! that read the same in every language.

use crate::model::labels::Labels;
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
    let mut out = String::new();
    write_process_name(&mut out, model, p);
    out
}

/// [`process_name`], written at the end of `out`.
pub(crate) fn write_process_name(out: &mut String, model: &Model, p: &Process) {
    use super::narrate::write_program_name;
    match model.tree().program(p.id) {
        Some(e) => write_program_name(out, &e.argv, &e.path),
        None => match &p.origin {
            crate::model::Origin::Spawn { argv, .. } => {
                write_program_name(out, argv, &RawStr::default())
            }
            _ => out.push('?'),
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
    let mut out = String::new();
    write_command_line(&mut out, argv);
    out
}

/// [`command_line`], written at the end of `out`.
pub(crate) fn write_command_line(out: &mut String, argv: &[RawStr]) {
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let owned;
        let w = match super::narrate::printable(a) {
            Some(w) => w,
            None => {
                owned = shown(a);
                &owned
            }
        };
        let plain = !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_./=:,+@%-".contains(c));
        if plain {
            out.push_str(w);
        } else {
            out.push('\'');
            for (k, part) in w.split('\'').enumerate() {
                if k > 0 {
                    out.push_str("'\\''");
                }
                out.push_str(part);
            }
            out.push('\'');
        }
    }
}
