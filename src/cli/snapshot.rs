//! `forkscope snapshot PID`: why a running tree is stuck, read-only. Reads
//! the tree's live state from /proc (see [`crate::record::live`]; no ptrace,
//! nothing is stopped), builds the wait-for graph
//! ([`crate::analysis::waitfor`]) and prints what each task waits for and
//! every hang found: as text, as JSON, or as a diagram (every format but
//! html draws the one moment). Exit status 0 when nothing is wrong, 1 when
//! a hang is found. Text and drawings follow `--lang`; JSON stays English.

use super::*;
use crate::analysis::waitfor::{self, Access, Hang, Report, Snapshot, Wait, WaitTarget};
use crate::record::live;
use crate::render::lang::{self, Lang};
use crate::render::scene::{FdRow, PipeNode, PipeRef, ProcBox, Scene, Warning};
use crate::render::{ascii, dot, mermaid, svg};
use crate::trace::Pid;
use anyhow::Context as _;
use std::collections::HashMap;
use std::io::Write;

/// Runs the subcommand.
pub fn run(args: SnapshotArgs, style: style::Style) -> anyhow::Result<i32> {
    let snap = live::snapshot_tree(args.pid).with_context(|| match lang::current() {
        Lang::En => format!("cannot read the process tree of {}", args.pid),
        Lang::Zh => format!("读不到进程 {} 的进程树", args.pid),
    })?;
    let report = waitfor::analyse(&snap);
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        let doc = serde_json::json!({
            "root": snap.root,
            "tasks": snap.tasks,
            "pipes": snap.pipes,
            "waits": report.waits,
            "hangs": report.hangs,
        });
        serde_json::to_writer_pretty(&mut out, &doc)
            .map_err(std::io::Error::from)
            .and_then(|_| writeln!(out))
    } else if let Some(format) = args.format {
        let scene = scene(&snap, &report);
        let text = match format {
            DiagramFormat::Ascii => ascii::render(&scene, style.color),
            DiagramFormat::Svg => svg::render(&scene),
            DiagramFormat::Dot => dot::render(&scene),
            DiagramFormat::Mermaid => mermaid::render(&scene),
            DiagramFormat::Html => match lang::current() {
                Lang::En => anyhow::bail!(
                    "--format html steps through a recorded trace; a snapshot is one moment: use ascii, svg, dot or mermaid"
                ),
                Lang::Zh => anyhow::bail!(
                    "--format html 是用来一步步翻看录下来的 trace 的；快照只有一个时刻：请用 ascii、svg、dot 或 mermaid"
                ),
            },
        };
        out.write_all(text.as_bytes())
    } else {
        out.write_all(text(&snap, &report, style).as_bytes())
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    Ok(if report.hangs.is_empty() { 0 } else { 1 })
}

/// The task listing and the hangs, as text.
pub fn text(snap: &Snapshot, report: &Report, style: style::Style) -> String {
    let mut s = String::new();
    let root_name = snap
        .task(snap.root)
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let in_tree: Vec<&waitfor::Task> = snap.tasks.iter().filter(|t| t.in_tree).collect();
    let procs = {
        let mut p: Vec<Pid> = in_tree.iter().map(|t| t.pid).collect();
        p.dedup();
        p.len()
    };
    let zh = lang::current() == Lang::Zh;
    let (root, name, tasks) = (
        style.pid(&snap.root.to_string()),
        style.prog(&root_name),
        in_tree.len(),
    );
    s.push_str(&match zh {
        false => format!(
            "snapshot of {root} ({name}): {procs} process{}, {tasks} task{}\n",
            if procs == 1 { "" } else { "es" },
            if tasks == 1 { "" } else { "s" },
        ),
        true => format!("{root}（{name}）此刻的快照：{procs} 个进程，{tasks} 个任务\n"),
    });
    let depth = depths(snap);
    let mut outside_header = false;
    for (t, w) in snap.tasks.iter().zip(&report.waits) {
        if !t.in_tree && !outside_header {
            s.push_str(lang::current().pick(
                "outside the tree, holding an end of one of its pipes:\n",
                "不在这棵进程树里，却持有树里某个管道的一端：\n",
            ));
            outside_header = true;
        }
        let indent = "  ".repeat(depth.get(&t.pid).copied().unwrap_or(0));
        let id = if t.tid == t.pid {
            style.pid(&t.pid.to_string())
        } else {
            let pid = style.pid(&t.pid.to_string());
            match zh {
                false => format!("{pid} thread {}", t.tid),
                true => format!("{pid} 的线程 {}", t.tid),
            }
        };
        let mark = if w.stuck {
            format!("  {}", style.bad(lang::current().pick("STUCK", "卡住了")))
        } else {
            String::new()
        };
        s.push_str(&format!(
            "{indent}{id} {} [{}] {}{mark}\n",
            style.prog(&t.name),
            t.state,
            doing(snap, &w.wait),
        ));
    }
    if report.hangs.is_empty() {
        s.push_str(&style.good(lang::current().pick(
            "no hang: every blocked task can still be released by a task that is running, sleeping with a timeout, or outside the tree",
            "没有卡死：每个阻塞的任务都还有人能把它放出来——那个任务要么正在运行，要么只是带着超时在睡眠，要么在这棵进程树之外",
        )));
        s.push('\n');
        return s;
    }
    for h in &report.hangs {
        s.push('\n');
        s.push_str(&hang_text(h, style));
    }
    s
}

/// One hang as text, coloured.
pub fn hang_text(h: &Hang, style: style::Style) -> String {
    let mut s = format!("{}: {}\n", style.bad(h.kind.as_str()), h.summary_text());
    for st in h.steps_text() {
        s.push_str("  ");
        s.push_str(st);
        s.push('\n');
    }
    // The Chinese label ends in a full-width colon: no space after it.
    let sep = if Hang::fix_label().ends_with(':') {
        " "
    } else {
        ""
    };
    s.push_str(&format!(
        "  {}{sep}{}\n",
        style.good(Hang::fix_label()),
        h.fix_text()
    ));
    s
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

/// What a task does, in a few words, in the current language.
fn doing(snap: &Snapshot, w: &Wait) -> String {
    if lang::current() == Lang::Zh {
        return doing_zh(snap, w);
    }
    let fill = |pipe: &str| match snap.pipe(pipe) {
        Some(p) => match (p.fill, p.capacity) {
            (Some(f), Some(c)) => format!(", {f} of {c} bytes"),
            _ => String::new(),
        },
        None => String::new(),
    };
    match w {
        Wait::Running => "running".into(),
        Wait::Zombie => "zombie (exited, not reaped)".into(),
        Wait::Stopped => "stopped".into(),
        Wait::Traced => "stopped by a tracer".into(),
        Wait::Sleeping { call } => format!("sleeping with a timeout ({call})"),
        Wait::ReadPipe { fd, pipe } => format!("reading {pipe} via fd {fd} (empty{})", fill(pipe)),
        Wait::WritePipe { fd, pipe } => {
            format!("writing {pipe} via fd {fd} (full{})", fill(pipe))
        }
        Wait::Poll { call, fds } => {
            let mut ends = Vec::new();
            for f in fds {
                let (fd, pipe) = (f.fd, &f.pipe);
                if f.read {
                    ends.push(format!("to read {pipe} via fd {fd} (empty{})", fill(pipe)));
                }
                if f.write {
                    ends.push(format!(
                        "to write to {pipe} via fd {fd} (full{})",
                        fill(pipe)
                    ));
                }
            }
            format!("waiting in {call} {}", ends.join(" or "))
        }
        Wait::OpenFifo { path, write } => format!(
            "opening the FIFO {path}{}",
            match write {
                Some(true) => " for writing",
                Some(false) => " for reading",
                None => "",
            }
        ),
        Wait::Child { call, target, .. } => match target {
            WaitTarget::Any => format!("in {call} for any child"),
            WaitTarget::OwnGroup => format!("in {call} for a child in its group"),
            WaitTarget::Group(g) => format!("in {call} for a child in group {g}"),
            WaitTarget::Child(c) => format!("in {call} for {c}"),
        },
        Wait::Signal { call } => format!("waiting for a signal ({call})"),
        Wait::Futex { .. } => "waiting on a futex".into(),
        Wait::External { call, .. } if call == "?" => {
            "blocked in a syscall /proc does not show (permission)".into()
        }
        Wait::External { call, what } => {
            if what.is_empty() {
                format!("in {call}")
            } else {
                format!("in {call} on {what}")
            }
        }
    }
}

/// [`doing`] in Chinese.
fn doing_zh(snap: &Snapshot, w: &Wait) -> String {
    let fill = |pipe: &str| match snap.pipe(pipe) {
        Some(p) => match (p.fill, p.capacity) {
            (Some(f), Some(c)) => format!("：{f}/{c} 字节"),
            _ => String::new(),
        },
        None => String::new(),
    };
    match w {
        Wait::Running => "运行中".into(),
        Wait::Zombie => "僵尸进程（已经退出，还没被回收）".into(),
        Wait::Stopped => "已暂停".into(),
        Wait::Traced => "被跟踪它的调试器暂停了".into(),
        Wait::Sleeping { call } => format!("带着超时在睡眠（{call}）"),
        Wait::ReadPipe { fd, pipe } => {
            format!("通过 fd {fd} 读 {pipe}（管道是空的{}）", fill(pipe))
        }
        Wait::WritePipe { fd, pipe } => {
            format!("通过 fd {fd} 写 {pipe}（管道满了{}）", fill(pipe))
        }
        Wait::Poll { call, fds } => {
            let mut ends = Vec::new();
            for f in fds {
                let (fd, pipe) = (f.fd, &f.pipe);
                if f.read {
                    ends.push(format!(
                        "通过 fd {fd} 读 {pipe}（管道是空的{}）",
                        fill(pipe)
                    ));
                }
                if f.write {
                    ends.push(format!("通过 fd {fd} 写 {pipe}（管道满了{}）", fill(pipe)));
                }
            }
            format!("在 {call} 里等着{}", ends.join(" 或者 "))
        }
        Wait::OpenFifo { path, write } => match write {
            Some(true) => format!("以写方式打开 FIFO {path}"),
            Some(false) => format!("以读方式打开 FIFO {path}"),
            None => format!("打开 FIFO {path}"),
        },
        Wait::Child { call, target, .. } => match target {
            WaitTarget::Any => format!("在 {call} 里等任意一个子进程"),
            WaitTarget::OwnGroup => format!("在 {call} 里等同一进程组里的子进程"),
            WaitTarget::Group(g) => format!("在 {call} 里等进程组 {g} 里的子进程"),
            WaitTarget::Child(c) => format!("在 {call} 里等 {c}"),
        },
        Wait::Signal { call } => format!("在等一个信号（{call}）"),
        Wait::Futex { .. } => "在等一个 futex（锁、条件变量或者等线程结束）".into(),
        Wait::External { call, .. } if call == "?" => {
            "阻塞在某个系统调用里（/proc 不让看是哪一个）".into()
        }
        Wait::External { call, what } => {
            if what.is_empty() {
                format!("阻塞在 {call} 里")
            } else {
                format!("阻塞在 {call} 里，等的是 {what}")
            }
        }
    }
}

/// A diagram scene of the snapshot: each process with its fd table, each
/// pipe with its holders, and each hang as a warning on its first task.
pub fn scene(snap: &Snapshot, report: &Report) -> Scene {
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
                let label = match (pipe, lang::current()) {
                    (Some(r), Lang::En) => format!("{} {} end", f.target, r.end),
                    (Some(r), Lang::Zh) => format!(
                        "{} 的{}",
                        f.target,
                        match r.end {
                            "read" => "读端",
                            "write" => "写端",
                            _ => "读写两端",
                        }
                    ),
                    (None, _) => f.target.clone(),
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
            Warning {
                pid,
                fd: h.fds.iter().find(|f| f.pid == pid).map(|f| f.fd),
                text: match lang::current() {
                    Lang::En => format!("{}: {} Fix: {}", h.kind.as_str(), h.summary, h.fix),
                    Lang::Zh => format!(
                        "{}: {} {}{}",
                        h.kind.as_str(),
                        h.summary_text(),
                        Hang::fix_label(),
                        h.fix_text()
                    ),
                },
            }
        })
        .collect();
    let root_name = snap.task(snap.root).map(|t| t.name.as_str()).unwrap_or("?");
    Scene {
        title: match lang::current() {
            Lang::En => format!("snapshot of {} ({root_name})", snap.root),
            Lang::Zh => format!("{}（{root_name}）此刻的快照", snap.root),
        },
        event: None,
        processes,
        pipes,
        shared: Vec::new(),
        open_files: Vec::new(),
        warnings,
        lang: lang::current(),
    }
}
