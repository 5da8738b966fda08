//! `killed-by-sigpipe`: a process died of SIGPIPE, with the pipe it wrote
//! to and who closed that pipe's last read end.
//!
//! Writing to a pipe that has no read end open anywhere fails with EPIPE
//! and first raises SIGPIPE, whose default action kills the writer
//! (pipe(7)). Writes are not recorded, so the pipe is inferred: among the
//! write ends (of pipes made in the trace) the process held when it died,
//! one whose pipe had no read end left, stdout first. The model's
//! `PipeBroken` note for that pipe names the process, fd and event that
//! closed the last read end.
//!
//! The recorder writes a process's `exit` once it is fully gone, after the
//! kernel closed its fds, so a reader's exit can come after the death it
//! caused. When none of the writer's pipes is broken yet, the finding waits
//! up to [`EXIT_ORDER_SLOP_NS`] for one of them to lose its last reader.
//!
//! In a shell pipeline whose reader stops early (`yes | head -1`) this is
//! the normal way the writer learns to stop, and the finding is only info
//! (the writer's stdout was the pipe and the last reader's stdin); anywhere
//! else it is a warning: usually a reader that quit or crashed too soon.

use super::{Analysis, Code, Context, EventRef, Finding, Role, Severity, EXIT_ORDER_SLOP_NS};
use crate::model::{Applied, Note, PipeId};
use crate::trace::{Event, EventKind, Pid, Status};
use std::collections::HashMap;

const RULE: &str = "Writing to a pipe whose read ends are all closed raises SIGPIPE, and by default SIGPIPE kills the writer.";
const RULE_ZH: &str =
    "往一个所有读端都已关闭的管道里写，会触发 SIGPIPE，而 SIGPIPE 的默认动作就是杀死写者。";

/// Finds deaths by SIGPIPE.
#[derive(Default)]
pub struct KilledBySigpipe {
    /// Per live pipe with no reader left: who closed the last read end.
    broken: HashMap<PipeId, Closer>,
    /// SIGPIPE sent with kill() to a pid.
    sent: HashMap<Pid, EventRef>,
    /// Deaths whose pipe had readers left in the model at the time.
    pending: Vec<Death>,
    /// For pending deaths: the readers of their pipes before the current event.
    readers_before: HashMap<PipeId, Vec<(Pid, i32)>>,
}

#[derive(Clone)]
struct Closer {
    pid: Pid,
    program: String,
    fd: i32,
    ev: EventRef,
}

/// A writer dead of SIGPIPE.
struct Death {
    pid: Pid,
    program: String,
    ev: EventRef,
    /// Its write ends on pipes made in the trace: (fd, pipe), stdout first.
    writes: Vec<(i32, PipeId)>,
}

fn closer_text(ev: &Event, pid: Pid, program: &str, fd: i32, label: &str) -> String {
    let how = match ev.kind {
        EventKind::Exit { .. } => format!("{pid} ({program}) exits, closing fd {fd}"),
        EventKind::Close { .. } | EventKind::CloseRange { .. } => {
            format!("{pid} ({program}) closes fd {fd}")
        }
        EventKind::Exec { .. } => format!("fd {fd} of {pid} closes at exec (close-on-exec)"),
        EventKind::Dup { .. } => format!("dup2 onto fd {fd} of {pid} closes it"),
        _ => format!("fd {fd} of {pid} closes"),
    };
    format!("{how}: the last read end of {label}")
}

/// [`closer_text`] in Chinese.
fn closer_text_zh(ev: &Event, pid: Pid, program: &str, fd: i32, label: &str) -> String {
    let how = match ev.kind {
        EventKind::Exit { .. } => format!("{pid}（{program}）退出，关闭了 fd {fd}"),
        EventKind::Close { .. } | EventKind::CloseRange { .. } => {
            format!("{pid}（{program}）关闭 fd {fd}")
        }
        EventKind::Exec { .. } => format!("{pid} 的 fd {fd} 在 exec 时关闭（close-on-exec）"),
        EventKind::Dup { .. } => format!("dup2 覆盖了 {pid} 的 fd {fd}，把它关掉了"),
        _ => format!("{pid} 的 fd {fd} 关闭"),
    };
    format!("{how}：这是 {label} 的最后一个读端")
}

impl Death {
    fn base(&self) -> Finding {
        Finding::new(Code::KilledBySigpipe, Severity::Warning, self.ev.seq).process(
            self.pid,
            &self.program,
            Role::Writer,
        )
    }

    /// The writer's pipe (fd, pipe), and who closed its last read end.
    fn finding(
        self,
        cx: &Context<'_>,
        fd: i32,
        pipe: PipeId,
        closer: Option<Closer>,
        late: bool,
    ) -> Finding {
        let (c, prog) = (self.pid, self.program.clone());
        let label = cx.pipe(pipe);
        let mut f = self
            .base()
            .fd(c, fd, format!("{label} write end"), Role::Writer)
            .pipe(&label);
        let (summary_zh, who_zh) = match &closer {
            Some(k) => (
                format!(
                    "{c}（{prog}）往 {label}（fd {fd}）写的时候被 SIGPIPE 杀死：它的最后一个读者 {}（{}）已经关闭了 fd {}（#{}）",
                    k.pid, k.program, k.fd, k.ev.seq
                ),
                format!(
                    "{label} 的最后一个读端是 {} 的 fd {}，在 #{} 关闭；{c} 仍在 fd {fd} 上持有写端，往里写，于是死了（#{}）。{}",
                    k.pid,
                    k.fd,
                    k.ev.seq,
                    self.ev.seq,
                    if late {
                        "（记录器要等进程完全消失后才写下它的退出，所以读者的退出排在了它造成的这次死亡之后。）"
                    } else {
                        ""
                    }
                ),
            ),
            None => (
                format!("{c}（{prog}）被 SIGPIPE 杀死，多半是在往 {label}（fd {fd}）写"),
                format!(
                    "{c} 死的时候（#{}）在 fd {fd} 上持有 {label} 的写端。",
                    self.ev.seq
                ),
            ),
        };
        let (summary, who) = match &closer {
            Some(k) => (
                format!(
                    "{c} ({prog}) was killed by SIGPIPE writing to {label} (fd {fd}): its last reader, {} ({}), had closed fd {} (#{})",
                    k.pid, k.program, k.fd, k.ev.seq
                ),
                format!(
                    " The last read end of {label} was {}'s fd {} ({}, #{}); {c} still held the write end on fd {fd}, wrote to it, and died (#{}).{}",
                    k.pid,
                    k.fd,
                    k.ev.what,
                    k.ev.seq,
                    self.ev.seq,
                    if late {
                        " (The recorder writes an exit once the process is fully gone, so the reader's exit is listed after the death it caused.)"
                    } else {
                        ""
                    }
                ),
            ),
            None => (
                format!("{c} ({prog}) was killed by SIGPIPE, probably writing to {label} (fd {fd})"),
                format!(
                    " {c} held {label}'s write end on fd {fd} when it died (#{}).",
                    self.ev.seq
                ),
            ),
        };
        let explanation = format!(
            "{RULE}{who} In a pipeline whose reader stops early on purpose (`yes | head -1`) this is how the writer learns to stop; otherwise the reader quit or crashed before reading everything."
        );
        let fix = "If the reader may stop early, this is expected (a shell reports 141). Otherwise keep the reader reading until EOF, or ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) and handle EPIPE from write().";
        let explanation_zh = format!(
            "{RULE_ZH}{who_zh}如果管道线的读者是故意提前停下的（`yes | head -1`），写者正是靠这个知道该停了；否则就是读者还没读完就退出或崩溃了。"
        );
        let fix_zh = "如果读者本来就可能提前停下，这是预期之中的（shell 会报 141）。否则就让读者一直读到 EOF，或者忽略 SIGPIPE（signal(SIGPIPE, SIG_IGN)），自己处理 write() 返回的 EPIPE。";
        // stdout into a reader's stdin: a pipeline whose reader stopped early.
        if fd == 1 && closer.as_ref().is_some_and(|k| k.fd == 0) {
            f.severity = Severity::Info;
        }
        if let Some(k) = closer {
            f = f
                .process(k.pid, &k.program, Role::Closer)
                .fd(k.pid, k.fd, format!("{label} read end"), Role::Closer)
                .event(k.ev);
        }
        f.text(summary, explanation, fix)
            .zh(summary_zh, explanation_zh, fix_zh)
            .event(self.ev)
    }
}

impl KilledBySigpipe {
    fn on_death(&mut self, cx: &Context<'_>, ev: &Event, c: Pid, out: &mut Vec<Finding>) {
        let program = cx.name(c);
        let fds = cx.pipe_fds(c);
        // Only a pipe made in the trace has all its readers known; one
        // inherited from outside (the recorder's own stdout, say) may be
        // read by a process the model never sees.
        let mut writes: Vec<(i32, PipeId)> = fds
            .iter()
            .filter(|w| w.writes() && cx.traced_pipe(w.pipe))
            .map(|w| (w.fd, w.pipe))
            .collect();
        writes.sort_by_key(|(fd, _)| (*fd != 1, *fd));
        let death = Death {
            pid: c,
            ev: EventRef::of(ev, format!("{c} ({program}) is killed by SIGPIPE"))
                .zh(format!("{c}（{program}）被 SIGPIPE 杀死")),
            program,
            writes,
        };
        if let Some(k) = self.sent.remove(&c) {
            let summary = format!(
                "{c} ({}) was killed by SIGPIPE sent with kill() by {}",
                death.program, k.pid
            );
            let explanation = format!(
                "{RULE} Here no broken pipe was involved: {} sent SIGPIPE to {c} explicitly (#{}).",
                k.pid, k.seq
            );
            let fix =
                "Send a signal meant to stop a process, such as SIGTERM, rather than SIGPIPE.";
            let summary_zh = format!(
                "{c}（{}）被 {} 用 kill() 发来的 SIGPIPE 杀死",
                death.program, k.pid
            );
            let explanation_zh = format!(
                "{RULE_ZH}但这里跟管道破裂无关：是 {} 明确地把 SIGPIPE 发给了 {c}（#{}）。",
                k.pid, k.seq
            );
            let fix_zh = "想让进程停下，就发专门用来停止进程的信号，比如 SIGTERM，而不是 SIGPIPE。";
            let f = death
                .base()
                .text(summary, explanation, fix)
                .zh(summary_zh, explanation_zh, fix_zh)
                .event(k);
            out.push(f.event(death.ev));
            return;
        }
        let broken = death.writes.iter().copied().find(|(_, p)| {
            cx.model
                .pipe(*p)
                .is_some_and(|p| p.read_ends() == 0 && p.unknown_ends() == 0)
        });
        if let Some((fd, pipe)) = broken {
            let closer = self.broken.get(&pipe).cloned();
            out.push(death.finding(cx, fd, pipe, closer, false));
            return;
        }
        if !death.writes.is_empty() {
            self.pending.push(death);
            return;
        }
        let outside = match fds.iter().find(|w| w.writes()) {
            Some(o) => format!(
                " It held fd {} on {}, a pipe inherited from outside the trace: its reader, outside the trace, probably quit.",
                o.fd,
                cx.pipe(o.pipe)
            ),
            None => " It probably wrote to a socket whose peer had closed.".into(),
        };
        let summary = format!("{c} ({}) was killed by SIGPIPE", death.program);
        let explanation =
            format!("{RULE} None of the pipes made in the trace that {c} held had lost its last reader.{outside}");
        let fix = "Keep the reader running until the writer is done, or ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) and handle EPIPE from write().";
        let outside_zh = match fds.iter().find(|w| w.writes()) {
            Some(o) => format!(
                "它在 fd {} 上持有 {}，这是从跟踪范围之外继承来的管道：它的读者在跟踪范围之外，多半是退出了。",
                o.fd,
                cx.pipe(o.pipe)
            ),
            None => "它多半是往一个对端已经关闭的 socket 里写了。".into(),
        };
        let summary_zh = format!("{c}（{}）被 SIGPIPE 杀死", death.program);
        let explanation_zh = format!(
            "{RULE_ZH}{c} 持有的、在跟踪中创建的管道，没有一个失去了最后的读者。{outside_zh}"
        );
        let fix_zh = "让读者一直运行到写者写完，或者忽略 SIGPIPE（signal(SIGPIPE, SIG_IGN)），自己处理 write() 返回的 EPIPE。";
        let f = death
            .base()
            .text(summary, explanation, fix)
            .zh(summary_zh, explanation_zh, fix_zh);
        out.push(f.event(death.ev));
    }

    /// Pending deaths: a pipe that lost its last reader with this event
    /// explains one; one waiting longer than the slop is reported as is.
    fn settle(&mut self, cx: &Context<'_>, ev: &Event, out: &mut Vec<Finding>) {
        let mut i = 0;
        while i < self.pending.len() {
            let d = &self.pending[i];
            let found = d.writes.iter().find_map(|&(fd, pipe)| {
                let before = self.readers_before.get(&pipe)?;
                let now = cx
                    .model
                    .pipe_holders(pipe)
                    .map(|h| h.readers)
                    .unwrap_or_default();
                if before.is_empty() || !now.is_empty() {
                    return None;
                }
                let p = cx.process_pid(ev.pid);
                let &(pid, rfd) = before.iter().find(|(x, _)| *x == p).unwrap_or(&before[0]);
                let program = cx.name(pid);
                let what = closer_text(ev, pid, &program, rfd, &cx.pipe(pipe));
                let zh = closer_text_zh(ev, pid, &program, rfd, &cx.pipe(pipe));
                let ev = EventRef::of(ev, what).zh(zh);
                Some((
                    fd,
                    pipe,
                    Closer {
                        pid,
                        program,
                        fd: rfd,
                        ev,
                    },
                ))
            });
            let expired = ev.ts_ns.saturating_sub(d.ev.ts_ns) > EXIT_ORDER_SLOP_NS;
            match found {
                Some((fd, pipe, k)) => {
                    let d = self.pending.swap_remove(i);
                    out.push(d.finding(cx, fd, pipe, Some(k), true));
                }
                None if expired => {
                    let d = self.pending.swap_remove(i);
                    let (fd, pipe) = d.writes[0];
                    out.push(d.finding(cx, fd, pipe, None, false));
                }
                None => i += 1,
            }
        }
        self.readers_before.clear();
    }
}

impl Analysis for KilledBySigpipe {
    fn before(&mut self, cx: &Context<'_>, ev: &Event, out: &mut Vec<Finding>) {
        for d in &self.pending {
            for &(_, pipe) in &d.writes {
                let readers = cx
                    .model
                    .pipe_holders(pipe)
                    .map(|h| h.readers)
                    .unwrap_or_default();
                self.readers_before.insert(pipe, readers);
            }
        }
        let EventKind::Exit {
            status: Status::Signaled { signaled, .. },
        } = ev.kind
        else {
            return;
        };
        if signaled.0 != libc::SIGPIPE {
            return;
        }
        let last = cx
            .model
            .tree()
            .process_of_task(ev.pid)
            .filter(|p| p.tasks.len() == 1)
            .map(|p| p.pid);
        if let Some(c) = last {
            self.on_death(cx, ev, c, out);
        }
    }

    fn after(&mut self, cx: &Context<'_>, ev: &Event, applied: &Applied, out: &mut Vec<Finding>) {
        if !self.pending.is_empty() {
            self.settle(cx, ev, out);
        }
        if let EventKind::Kill {
            target,
            signal,
            ok: true,
            ..
        } = ev.kind
        {
            if signal.0 == libc::SIGPIPE && target > 0 && target != i64::from(ev.pid) {
                let what = format!("{} sends SIGPIPE to {target} with kill()", ev.pid);
                let zh = format!("{} 用 kill() 向 {target} 发送 SIGPIPE", ev.pid);
                self.sent
                    .insert(target as Pid, EventRef::of(ev, what).zh(zh));
            }
        }
        for n in &applied.notes {
            match *n {
                Note::PipeBroken { pipe, pid, fd, .. } => {
                    let program = cx.name(pid);
                    let what = closer_text(ev, pid, &program, fd, &cx.pipe(pipe));
                    let zh = closer_text_zh(ev, pid, &program, fd, &cx.pipe(pipe));
                    self.broken.insert(
                        pipe,
                        Closer {
                            pid,
                            program,
                            fd,
                            ev: EventRef::of(ev, what).zh(zh),
                        },
                    );
                }
                Note::PipeReleased { pipe } => {
                    self.broken.remove(&pipe);
                }
                Note::Zombie { pid, .. } => {
                    self.sent.remove(&pid);
                }
                _ => {}
            }
        }
    }

    fn finish(&mut self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for d in self.pending.drain(..) {
            let (fd, pipe) = d.writes[0];
            out.push(d.finding(cx, fd, pipe, None, false));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::Script;
    use super::super::{Code, Role, Severity};

    /// 100 makes pipe 7 (3, 4); reader 101 closes its write end; writer 102
    /// keeps fd 4 and dies of SIGPIPE once 101 is gone.
    fn reader_quits_first(recorded_late: bool) -> Script {
        let mut s = Script::new(100, "sigpipe");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .close(101, 4)
            .close(100, 3)
            .fork(100, 102)
            .close(100, 4);
        if !recorded_late {
            s.exit(101, 0);
        }
        s.signal(102, libc::SIGPIPE, Some(102))
            .killed(102, libc::SIGPIPE);
        if recorded_late {
            s.exit(101, 0);
        }
        s.reap(100, 101, 101).reap(100, 102, 102).exit(100, 0);
        s
    }

    #[test]
    fn a_writer_killed_by_sigpipe_names_the_pipe_and_the_last_reader() {
        for late in [false, true] {
            let f = reader_quits_first(late).findings_of(Code::KilledBySigpipe);
            assert_eq!(f.len(), 1, "{f:#?}");
            let w = f[0].fds.iter().find(|x| x.role == Role::Writer).unwrap();
            assert_eq!((w.pid, w.fd), (102, 4));
            let c = f[0].fds.iter().find(|x| x.role == Role::Closer).unwrap();
            assert_eq!((c.pid, c.fd), (101, 3), "late: {late}");
            assert_eq!(f[0].pipes, vec!["pipe#1".to_string()]);
            assert!(
                f[0].summary.contains("its last reader, 101"),
                "{}",
                f[0].summary
            );
        }
    }

    #[test]
    fn a_pipeline_writer_stopped_by_an_early_reader_is_only_info() {
        // `yes | head -1`
        let mut s = Script::new(100, "sh");
        s.pipe(100, 3, 4, 7)
            .fork(100, 101)
            .dup2(101, 4, 1)
            .close(101, 3)
            .close(101, 4);
        s.fork(100, 102)
            .dup2(102, 3, 0)
            .close(102, 3)
            .close(102, 4)
            .close(100, 3)
            .close(100, 4);
        s.exec(101, "yes", &["yes"])
            .exec(102, "head", &["head", "-1"])
            .exit(102, 0);
        s.killed(101, libc::SIGPIPE)
            .reap(100, -1, 102)
            .reap(100, -1, 101)
            .exit(100, 0);
        let f = s.findings_of(Code::KilledBySigpipe);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].summary.contains("(yes)"), "{}", f[0].summary);
    }

    #[test]
    fn sigpipe_sent_by_kill_is_told_apart_from_a_broken_pipe() {
        let mut s = Script::new(100, "sh");
        s.fork(100, 101)
            .kill(100, 101, libc::SIGPIPE)
            .killed(101, libc::SIGPIPE);
        s.reap(100, 101, 101).exit(100, 0);
        let f = s.findings_of(Code::KilledBySigpipe);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].summary.contains("sent with kill() by 100"),
            "{}",
            f[0].summary
        );
    }
}
