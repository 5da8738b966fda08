//! `snapshot`'s output: the task listing (what each task of a live tree
//! is doing, and which are stuck) followed by each hang ([`super::hang`]),
//! a diagram scene of the moment, and the JSON document.

use super::hang::{self, Paint};
use super::scene::{FdRow, PipeNode, PipeRef, ProcBox, Scene, Warning};
use crate::analysis::waitfor::{Report, Snapshot};
use crate::model::snapshot::Access;
use crate::trace::Pid;
use crate::words::hang as words;
use crate::words::text::visible;
use crate::words::Lang;
use std::collections::HashMap;

/// The task listing and the hangs, as text.
pub fn text(snap: &Snapshot, report: &Report, lang: Lang, paint: Paint) -> String {
    let mut s = String::new();
    let root_name = snap
        .task(snap.root)
        .map(|t| visible(&t.name).into_owned())
        .unwrap_or_default();
    let in_tree: Vec<_> = snap.tasks.iter().filter(|t| t.in_tree).collect();
    let procs = {
        let mut p: Vec<Pid> = in_tree.iter().map(|t| t.pid).collect();
        p.dedup();
        p.len()
    };
    s.push_str(&words::snapshot_header(
        lang,
        &paint.pid(&snap.root.to_string()),
        &paint.prog(&root_name),
        procs,
        in_tree.len(),
    ));
    let depth = depths(snap);
    let mut outside_header = false;
    for i in listing_order(snap) {
        let (t, w) = (&snap.tasks[i], &report.waits[i]);
        if !t.in_tree && !outside_header {
            s.push_str(words::outside_header(lang));
            outside_header = true;
        }
        let indent = "  ".repeat(depth.get(&t.pid).copied().unwrap_or(0));
        let pid = paint.pid(&t.pid.to_string());
        let id = if t.tid == t.pid {
            pid
        } else {
            words::thread(lang, &pid, t.tid)
        };
        let mark = if w.stuck {
            format!("  {}", paint.bad(words::stuck_mark(lang)))
        } else {
            String::new()
        };
        let ps = t
            .comm
            .as_deref()
            .map_or(String::new(), |c| crate::words::text::ps_name(lang, c));
        s.push_str(&format!(
            "{indent}{id} {}{ps} [{}] {}{mark}\n",
            paint.prog(&visible(&t.name)),
            t.state,
            words::doing(
                lang,
                snap,
                &w.wait,
                t.syscall.as_ref().and_then(|s| s.timeout)
            ),
        ));
    }
    if report.hangs.is_empty() {
        s.push_str(&paint.good(words::no_hang(lang)));
        s.push('\n');
        return s;
    }
    for h in &report.hangs {
        s.push('\n');
        s.push_str(&hang::text(h, lang, paint));
    }
    s
}

/// `snapshot --json`: the snapshot, what each task waits for, and the
/// hangs (worded in English).
pub fn json(snap: &Snapshot, report: &Report) -> serde_json::Value {
    let hangs: Vec<_> = report.hangs.iter().map(hang::json).collect();
    serde_json::json!({
        "root": snap.root,
        "tasks": snap.tasks,
        "pipes": snap.pipes,
        "waits": report.waits,
        "hangs": hangs,
    })
}

/// The tasks in listing order: the processes of the tree depth first from
/// the root, each child right under its own parent (children in the order
/// the snapshot has them), each process's threads with it; then the
/// processes outside the tree. Indices into `snap.tasks`.
fn listing_order(snap: &Snapshot) -> Vec<usize> {
    let procs = snap.processes();
    let in_tree = |pid: Pid| snap.threads(pid).any(|t| t.in_tree);
    let ppid = |pid: Pid| snap.threads(pid).next().map_or(0, |t| t.ppid);
    let mut order = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Roots: the tree's processes whose parent is not in it (the root first).
    let mut roots: Vec<Pid> = procs
        .iter()
        .copied()
        .filter(|&p| {
            in_tree(p) && (p == snap.root || !(procs.contains(&ppid(p)) && in_tree(ppid(p))))
        })
        .collect();
    roots.sort_by_key(|&p| p != snap.root);
    let mut stack: Vec<Pid> = roots.into_iter().rev().collect();
    while let Some(p) = stack.pop() {
        if !seen.insert(p) {
            continue;
        }
        order.extend((0..snap.tasks.len()).filter(|&i| snap.tasks[i].pid == p));
        let kids: Vec<Pid> = procs
            .iter()
            .copied()
            .filter(|&c| c != p && in_tree(c) && ppid(c) == p && !seen.contains(&c))
            .collect();
        stack.extend(kids.into_iter().rev());
    }
    // A cycle of parents (never seen in /proc) or anything left: as it came.
    for (i, t) in snap.tasks.iter().enumerate() {
        if t.in_tree && !seen.contains(&t.pid) {
            order.push(i);
        }
    }
    order.extend((0..snap.tasks.len()).filter(|&i| !snap.tasks[i].in_tree));
    order
}

/// Depth of each process below the root (children by ppid).
fn depths(snap: &Snapshot) -> HashMap<Pid, usize> {
    let parent: HashMap<Pid, Pid> = snap.tasks.iter().map(|t| (t.pid, t.ppid)).collect();
    let mut d = HashMap::new();
    for &pid in parent.keys() {
        let mut n = 0;
        let mut p = pid;
        while let Some(&pp) = parent.get(&p) {
            if p == snap.root || n > 64 || !parent.contains_key(&pp) {
                break;
            }
            n += 1;
            p = pp;
        }
        d.insert(pid, n);
    }
    d
}

/// A diagram scene of the snapshot: each process with its fd table, each
/// pipe with its holders, and each hang as a warning on its first task.
pub fn scene(snap: &Snapshot, report: &Report, lang: Lang) -> Scene {
    let numbers: HashMap<&str, u32> = snap
        .pipes
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i as u32 + 1))
        .collect();
    let depth = depths(snap);
    let hung_fds: Vec<(Pid, i32)> = report
        .hangs
        .iter()
        .flat_map(|h| h.fds.iter().map(|f| (f.pid, f.fd)))
        .collect();
    let mut processes = Vec::new();
    let mut seen = Vec::new();
    for t in &snap.tasks {
        if seen.contains(&t.pid) {
            continue;
        }
        seen.push(t.pid);
        let stuck = report.waits.iter().any(|w| w.pid == t.pid && w.stuck);
        let fds = snap
            .fds(t.pid)
            .iter()
            .map(|f| {
                let pipe = f
                    .pipe
                    .as_deref()
                    .and_then(|p| numbers.get(p))
                    .map(|&n| PipeRef {
                        number: n,
                        end: match f.access {
                            Access::Read => "read",
                            Access::Write => "write",
                            Access::ReadWrite => "both",
                        },
                    });
                let kind = match (&f.pipe, f.target.as_str()) {
                    (Some(p), _) if p.starts_with("pipe:[") => "pipe",
                    (Some(_), _) => "fifo",
                    (None, t) if t.starts_with("/dev/pts") || t.starts_with("/dev/tty") => "tty",
                    (None, t) if t.starts_with("socket:") => "socket",
                    (None, t) if t.starts_with('/') => "file",
                    _ => "other",
                };
                let label = match pipe {
                    Some(_) => words::pipe_end(
                        lang,
                        &f.target,
                        f.access == Access::Read,
                        f.access == Access::Write,
                    ),
                    None => f.target.clone(),
                };
                FdRow {
                    fd: f.fd,
                    cloexec: false,
                    label,
                    kind,
                    pipe,
                    open_file: String::new(),
                    refcount: 1,
                    highlight: hung_fds.contains(&(t.pid, f.fd)),
                    new: false,
                }
            })
            .collect();
        processes.push(ProcBox {
            pid: t.pid,
            parent: snap.tasks.iter().any(|p| p.pid == t.ppid).then_some(t.ppid),
            depth: depth.get(&t.pid).copied().unwrap_or(0),
            program: t.name.clone(),
            chain: vec![t.name.clone()],
            state: match t.state {
                'T' | 't' => "stopped",
                'Z' => "zombie",
                _ if stuck => "blocked",
                _ => "running",
            },
            threads: snap.threads(t.pid).count().saturating_sub(1),
            fds,
            hidden_files: 0,
            highlight: stuck,
            new: false,
            ghosts: Vec::new(),
        });
    }
    let pipes = snap
        .pipes
        .iter()
        .map(|p| {
            let (readers, writers) = snap.holders(&p.id);
            PipeNode {
                number: numbers[p.id.as_str()],
                label: p.id.clone(),
                origin: if p.fifo { "fifo" } else { "created" },
                readers,
                writers,
                unknown: Vec::new(),
            }
        })
        .collect();
    let warnings = report
        .hangs
        .iter()
        .map(|h| {
            let pid = h
                .tasks
                .first()
                .and_then(|t| snap.task(*t))
                .map_or(snap.root, |t| t.pid);
            let (label, sep) = words::fix_label(lang);
            let (kind, colon) = words::kind(lang, h.kind);
            Warning {
                pid,
                fd: h.fds.iter().find(|f| f.pid == pid).map(|f| f.fd),
                text: format!(
                    "{kind}{colon}{} {label}{sep}{}",
                    words::summary(lang, &h.facts.summary),
                    words::fix(lang, &h.facts.fix)
                ),
            }
        })
        .collect();
    let root_name = snap.task(snap.root).map(|t| t.name.as_str()).unwrap_or("?");
    Scene {
        lang,
        title: words::snapshot_title(lang, snap.root, root_name),
        event: None,
        processes,
        pipes,
        shared: Vec::new(),
        open_files: Vec::new(),
        warnings,
    }
}
