//! A diagram's content at one moment, independent of how it is drawn: the
//! processes as boxes with their fd tables, the pipes with the fds on each
//! end, open files shared by several fds, the event just applied with one
//! plain sentence, and warnings in place. Every format (ascii, svg, dot,
//! mermaid, html) draws a `Scene`; none of them looks at the model itself.

use super::describe;
use super::narrate::Before;
use crate::model::labels::Labels;
use crate::model::{Access, Model, Object, PipeEnd, PipeOrigin, ProcessState};
use crate::trace::{Event, EventKind, ForkFlavor, Pid};
use crate::words::diagram::{phrase, Phrase};
use crate::words::Lang;
use serde::Serialize;

/// What to show.
#[derive(Clone, Debug, Default)]
pub struct SceneOptions {
    /// Only this process and its descendants.
    pub pid: Option<Pid>,
    /// Leave regular files (not devices under /dev) out of fd tables (shown as a count instead).
    pub collapse_files: bool,
    /// Leave close-on-exec fds out of fd tables.
    pub hide_cloexec: bool,
    /// The language of the words the scene holds (and its renderers write).
    pub lang: Lang,
}

/// The whole picture.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Scene {
    /// The traced command line.
    pub title: String,
    /// The event just applied, if any.
    pub event: Option<EventInfo>,
    /// Live, stopped and zombie processes, parents before children.
    pub processes: Vec<ProcBox>,
    /// Live pipes and FIFOs.
    pub pipes: Vec<PipeNode>,
    /// Open files (not pipes) that more than one fd refers to.
    pub shared: Vec<SharedFile>,
    /// Things a reader should notice, in place.
    pub warnings: Vec<Warning>,
    /// The open file descriptions the drawn fds refer to, in the order of
    /// their first drawn fd (the kernel view's middle column).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_files: Vec<OpenFileNode>,
    /// The language every renderer writes this scene's own words in.
    #[serde(skip)]
    pub lang: Lang,
}

/// One open file description (`struct file`), for the kernel view.
#[derive(Clone, Debug, Serialize)]
pub struct OpenFileNode {
    /// `#12`.
    pub id: String,
    /// `read`, `write`, `read/write` or `unknown`.
    pub access: &'static str,
    /// O_APPEND when it was made.
    pub append: bool,
    /// O_NONBLOCK when it was made.
    pub nonblock: bool,
    /// Fd slots referring to it, in any process (the kernel's count).
    pub refcount: usize,
    /// The drawn (pid, fd) referring to it, in drawing order.
    pub holders: Vec<(Pid, i32)>,
    /// What it refers to, as the right column names it (`/dev/pts/0`,
    /// `pipe#1`, `socket:[9]`): open files with the same object share a node.
    pub object: String,
    /// `file`, `tty`, `pipe`, `fifo`, `socket`, `other`, `unknown`.
    pub kind: &'static str,
    /// The pipe and end, when it is one.
    pub pipe: Option<PipeRef>,
}

/// The event a scene follows.
#[derive(Clone, Debug, Serialize)]
pub struct EventInfo {
    /// Its seq.
    pub seq: u64,
    /// Who did it.
    pub pid: Pid,
    /// The call, e.g. `dup2(4, 1)`.
    pub call: String,
    /// What changed, in one sentence.
    pub sentence: Option<String>,
}

/// A process box.
#[derive(Clone, Debug, Serialize)]
pub struct ProcBox {
    /// Its pid.
    pub pid: Pid,
    /// Its parent's pid, when the parent is in the scene.
    pub parent: Option<Pid>,
    /// Depth in the tree (0 for roots).
    pub depth: usize,
    /// The program it runs now.
    pub program: String,
    /// Every program it ran, in order (the exec chain).
    pub chain: Vec<String>,
    /// `running`, `stopped`, `zombie`.
    pub state: &'static str,
    /// Threads besides the main one.
    pub threads: usize,
    /// Its fd table.
    pub fds: Vec<FdRow>,
    /// Regular files left out by `collapse_files`.
    pub hidden_files: usize,
    /// The event just applied was done by, or changed, this process.
    pub highlight: bool,
    /// The event just applied made this process.
    #[serde(skip_serializing_if = "is_false")]
    pub new: bool,
    /// Fds the event just applied closed or replaced: (fd, what it was).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ghosts: Vec<(i32, String)>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One fd.
#[derive(Clone, Debug, Serialize)]
pub struct FdRow {
    /// The number.
    pub fd: i32,
    /// FD_CLOEXEC.
    pub cloexec: bool,
    /// What it refers to, in words (`pipe#1 write end`, `/dev/pts/0`).
    pub label: String,
    /// `file`, `tty`, `pipe`, `fifo`, `socket`, `other`, `unknown`.
    pub kind: &'static str,
    /// The pipe and end it holds, for drawing edges.
    pub pipe: Option<PipeRef>,
    /// The open file description's id (`#12`) and how many fds share it.
    pub open_file: String,
    /// Fds (in any process) sharing the description.
    pub refcount: usize,
    /// Changed by the event just applied.
    pub highlight: bool,
    /// Made (or pointed elsewhere) by the event just applied.
    #[serde(skip_serializing_if = "is_false")]
    pub new: bool,
}

/// An fd's place on a pipe.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct PipeRef {
    /// The pipe's number (as in `pipe#N`).
    pub number: u32,
    /// `read`, `write`, `both` or `unknown`.
    pub end: &'static str,
}

/// A pipe.
#[derive(Clone, Debug, Serialize)]
pub struct PipeNode {
    /// Its number.
    pub number: u32,
    /// `pipe#N`, with the path for a FIFO: `pipe#2 (fifo /tmp/f)`.
    pub label: String,
    /// `created` (pipe/pipe2 in the trace), `fifo` (opened by path) or
    /// `inherited` (from outside the trace).
    pub origin: &'static str,
    /// (pid, fd) holding the read end.
    pub readers: Vec<(Pid, i32)>,
    /// (pid, fd) holding the write end.
    pub writers: Vec<(Pid, i32)>,
    /// (pid, fd) whose end is not known.
    pub unknown: Vec<(Pid, i32)>,
}

/// An open file description with several fds.
#[derive(Clone, Debug, Serialize)]
pub struct SharedFile {
    /// `#12`.
    pub id: String,
    /// What it is.
    pub label: String,
    /// (pid, fd) referring to it.
    pub holders: Vec<(Pid, i32)>,
}

/// A warning shown in the diagram.
#[derive(Clone, Debug, Serialize)]
pub struct Warning {
    /// The process it is about.
    pub pid: Pid,
    /// The fd, if any.
    pub fd: Option<i32>,
    /// The text.
    pub text: String,
}

fn state_name(s: ProcessState) -> &'static str {
    match s {
        ProcessState::Running => "running",
        ProcessState::Stopped { .. } => "stopped",
        ProcessState::Zombie => "zombie",
        ProcessState::Reaped => "reaped",
    }
}

impl Scene {
    /// The (pid, fd) rows drawn in process boxes.
    pub fn drawn_fds(&self) -> std::collections::HashSet<(Pid, i32)> {
        self.processes
            .iter()
            .flat_map(|p| p.fds.iter().map(move |f| (p.pid, f.fd)))
            .collect()
    }

    /// The processes drawn as boxes.
    pub fn drawn_pids(&self) -> std::collections::HashSet<Pid> {
        self.processes.iter().map(|p| p.pid).collect()
    }

    /// Builds the scene from the model (after `event` was applied).
    pub fn build(
        model: &Model,
        labels: &Labels,
        title: String,
        event: Option<EventInfo>,
        touched: &[(Pid, i32)],
        opts: &SceneOptions,
    ) -> Scene {
        let tree = model.tree();
        let mut processes = Vec::new();
        // Depth-first from the roots (or the chosen subtree).
        let mut stack: Vec<(crate::model::ProcId, usize, Option<Pid>)> = Vec::new();
        match opts.pid.and_then(|p| tree.get(p)) {
            Some(p) => stack.push((p.id, 0, None)),
            // Reaped long ago and forgotten, with every descendant: none shown.
            None if opts.pid.is_some_and(|p| tree.forgot(p)) => {}
            None => {
                let roots: Vec<_> = tree.roots().map(|p| p.id).collect();
                for r in roots.into_iter().rev() {
                    stack.push((r, 0, None));
                }
            }
        }
        let event_pid = event.as_ref().map(|e| e.pid);
        let mut open_files: Vec<OpenFileNode> = Vec::new();
        while let Some((id, depth, parent)) = stack.pop() {
            let Some(p) = tree.by_id(id) else { continue };
            let shown = p.state != ProcessState::Reaped;
            let (child_depth, child_parent) = if shown {
                (depth + 1, Some(p.pid))
            } else {
                (depth, parent)
            };
            let kids: Vec<_> = tree.children(id).map(|c| c.id).collect();
            for k in kids.into_iter().rev() {
                stack.push((k, child_depth, child_parent));
            }
            if !shown {
                continue;
            }
            let mut fds = Vec::new();
            let mut hidden_files = 0;
            for v in model.fds(p.pid) {
                let kind = v.file.object.kind();
                let regular_file = matches!(&v.file.object, Object::File { path } if !path.as_bytes().starts_with(b"/dev/"));
                if (opts.collapse_files && regular_file) || (opts.hide_cloexec && v.cloexec) {
                    hidden_files += 1;
                    continue;
                }
                let pipe = match (&v.file.object, v.file.pipe_end()) {
                    (Object::Pipe { pipe, .. }, end) => Some(PipeRef {
                        number: pipe_number(labels, *pipe),
                        end: match end {
                            Some(PipeEnd::Read) => "read",
                            Some(PipeEnd::Write) => "write",
                            Some(PipeEnd::Both) => "both",
                            _ => "unknown",
                        },
                    }),
                    _ => None,
                };
                let label = super::narrate::open_file(opts.lang, v.file, labels);
                match open_files
                    .iter_mut()
                    .find(|o: &&mut OpenFileNode| o.id == v.file.id.to_string())
                {
                    Some(o) => o.holders.push((p.pid, v.fd)),
                    None => {
                        let status = v.file.status;
                        open_files.push(OpenFileNode {
                            id: v.file.id.to_string(),
                            access: match v.file.access {
                                Access::Read => "read",
                                Access::Write => "write",
                                Access::ReadWrite => "read/write",
                                Access::Unknown => "unknown",
                            },
                            append: status.append,
                            nonblock: status.nonblock,
                            refcount: v.file.refcount(),
                            holders: vec![(p.pid, v.fd)],
                            object: object_name(&v.file.object, labels),
                            kind,
                            pipe,
                        });
                    }
                }
                fds.push(FdRow {
                    fd: v.fd,
                    cloexec: v.cloexec,
                    label,
                    kind,
                    pipe,
                    open_file: v.file.id.to_string(),
                    refcount: v.file.refcount(),
                    highlight: touched.contains(&(p.pid, v.fd)),
                    new: false,
                });
            }
            let chain: Vec<String> = p
                .exec_chain()
                .map(|e| describe::program_name(&e.argv, &e.path))
                .collect();
            processes.push(ProcBox {
                pid: p.pid,
                parent,
                depth,
                program: describe::process_name(model, p),
                chain,
                state: state_name(p.state),
                threads: p.tasks.len().saturating_sub(1),
                fds,
                hidden_files,
                highlight: event_pid == Some(p.pid) || touched.iter().any(|t| t.0 == p.pid),
                new: false,
                ghosts: Vec::new(),
            });
        }
        let in_scene = |pid: Pid| processes.iter().any(|b| b.pid == pid);
        let mut pipes = Vec::new();
        let mut warnings = Vec::new();
        for pipe in model.pipes() {
            let Some(h) = model.pipe_holders(pipe.id) else {
                continue;
            };
            // A pipe is drawn when a process in the scene holds it; all its
            // holders are kept, also those outside a --pid subtree, so that
            // "no writer left" is only ever said when it is true.
            let any_inside = h
                .readers
                .iter()
                .chain(&h.writers)
                .chain(&h.unknown)
                .any(|x| in_scene(x.0));
            if !any_inside {
                continue;
            }
            let number = pipe_number(labels, pipe.id);
            // A reader that also holds a write end will not see EOF while it
            // does. Right after pipe() and fork() every process holds both
            // ends, which is normal until each closes the one it does not
            // use; so warn only when it has become a problem: the read end
            // is its stdin, or it has exec'd a program since the pipe was
            // made (that program will not know to close the write end).
            let made_at = match &pipe.origin {
                PipeOrigin::Created { at, .. } | PipeOrigin::Fifo { at, .. } => Some(*at),
                PipeOrigin::Inherited { .. } => None,
            };
            for (rp, rfd) in &h.readers {
                let exec_since = model
                    .process(*rp)
                    .and_then(|p| p.last_exec())
                    .is_some_and(|e| made_at.is_none_or(|m| e.at > m));
                if *rfd != 0 && !exec_since {
                    continue;
                }
                if let Some((_, wfd)) = h.writers.iter().find(|(wp, _)| wp == rp) {
                    warnings.push(Warning {
                        pid: *rp,
                        fd: Some(*wfd),
                        text: phrase(
                            opts.lang,
                            &Phrase::ReadsOwnWriteEnd {
                                pid: *rp,
                                pipe: number,
                                read_fd: *rfd,
                                write_fd: *wfd,
                            },
                        ),
                    });
                }
            }
            let (origin, label) = match &pipe.origin {
                PipeOrigin::Created { .. } => ("created", labels.pipe(pipe.id)),
                PipeOrigin::Fifo { path, .. } => (
                    "fifo",
                    format!("{} (fifo {})", labels.pipe(pipe.id), describe::shown(path)),
                ),
                PipeOrigin::Inherited { .. } => ("inherited", labels.pipe(pipe.id)),
            };
            if origin == "inherited" {
                warnings.push(Warning {
                    pid: h
                        .readers
                        .iter()
                        .chain(&h.writers)
                        .chain(&h.unknown)
                        .map(|x| x.0)
                        .next()
                        .unwrap_or(0),
                    fd: None,
                    text: phrase(opts.lang, &Phrase::InheritedPipe(label.clone())),
                });
            }
            pipes.push(PipeNode {
                number,
                label,
                origin,
                readers: h.readers,
                writers: h.writers,
                unknown: h.unknown,
            });
        }
        pipes.sort_by_key(|p| p.number);
        for b in &processes {
            if b.state == "zombie" {
                warnings.push(Warning {
                    pid: b.pid,
                    fd: None,
                    text: phrase(opts.lang, &Phrase::Zombie(b.pid)),
                });
            }
        }
        let mut shared = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for b in &processes {
            for f in &b.fds {
                if f.refcount > 1 && f.pipe.is_none() && seen.insert(f.open_file.clone()) {
                    let holders: Vec<(Pid, i32)> = processes
                        .iter()
                        .flat_map(|o| {
                            o.fds
                                .iter()
                                .filter(|g| g.open_file == f.open_file)
                                .map(move |g| (o.pid, g.fd))
                        })
                        .collect();
                    if holders.len() > 1 {
                        shared.push(SharedFile {
                            id: f.open_file.clone(),
                            label: f.label.clone(),
                            holders,
                        });
                    }
                }
            }
        }
        Scene {
            title,
            event,
            processes,
            pipes,
            shared,
            warnings,
            open_files,
            lang: opts.lang,
        }
    }

    /// Marks what event `ev` changed, from the acting process's fd table
    /// `before` it and the model after it: a process it made is `new`, an
    /// fd it made or pointed elsewhere is `new`, and an fd it closed or
    /// replaced stays as a ghost saying what it was. Fds the scene leaves
    /// out (`opts`) get no ghost either.
    pub fn mark_changes(
        &mut self,
        model: &Model,
        ev: &Event,
        before: &Before,
        opts: &SceneOptions,
    ) {
        let born = match &ev.kind {
            EventKind::Fork { child, flavor, .. } if *flavor != ForkFlavor::Thread => Some(*child),
            EventKind::Spawn { .. } => Some(ev.pid),
            _ => None,
        };
        for b in &mut self.processes {
            if Some(b.pid) == born {
                b.new = true;
                continue;
            }
            if b.pid != before.pid {
                continue;
            }
            let after: Vec<(i32, crate::model::OpenFileId)> =
                model.fds(b.pid).iter().map(|v| (v.fd, v.file.id)).collect();
            for (fd, id, was, regular) in &before.fds {
                if after.contains(&(*fd, *id)) || (opts.collapse_files && *regular) {
                    continue;
                }
                b.ghosts
                    .push((*fd, crate::words::narrate::file(opts.lang, was)));
            }
            let before_ids: Vec<(i32, crate::model::OpenFileId)> =
                before.fds.iter().map(|f| (f.0, f.1)).collect();
            if before_ids.is_empty() && matches!(ev.kind, EventKind::Spawn { .. }) {
                continue;
            }
            for row in &mut b.fds {
                let id = after.iter().find(|a| a.0 == row.fd).map(|a| a.1);
                if let Some(id) = id {
                    row.new = !before_ids.contains(&(row.fd, id));
                }
            }
        }
    }
}

/// The name of an open file's object in the kernel view's right column:
/// the path, `pipe#N` (with a FIFO's path), the socket.
fn object_name(o: &Object, labels: &Labels) -> String {
    match o {
        Object::File { path } | Object::Tty { path } => describe::shown(path),
        Object::Pipe { pipe, fifo: None } => labels.pipe(*pipe),
        Object::Pipe {
            pipe,
            fifo: Some(path),
        } => format!("{} (fifo {})", labels.pipe(*pipe), describe::shown(path)),
        other => super::ascii::visible(&other.to_string()).into_owned(),
    }
}

fn pipe_number(labels: &Labels, id: crate::model::PipeId) -> u32 {
    labels.number(id).unwrap_or(0)
}
