//! Findings in English.

use super::{prog, v, Frame};
use crate::analysis::{
    CloseHow, EventFact, FdObject, FindingFact, ReaderEnd, Release, Role, Severity, StopEnd,
    StopEvidence,
};
use crate::model::PipeEnd;
use crate::words::text::{duration, status};
use crate::words::Lang;

const SIGPIPE_RULE: &str = "Writing to a pipe whose read ends are all closed raises SIGPIPE, and by default SIGPIPE kills the writer.";

const EOF_RULE: &str = "read() on a pipe returns 0 (end of file) only when every write end is closed, in every process";

fn end(e: PipeEnd) -> &'static str {
    match e {
        PipeEnd::Read => "read end",
        PipeEnd::Write => "write end",
        PipeEnd::Both => "both ends",
        PipeEnd::Unknown => "unknown end",
    }
}

/// ` (exit 0)`, or nothing.
fn st(s: &Option<crate::trace::Status>) -> String {
    s.map(|s| format!(" ({})", status(Lang::En, &s)))
        .unwrap_or_default()
}

fn outcome(o: &ReaderEnd) -> String {
    match o {
        ReaderEnd::Killed {
            signal,
            seq,
            after_ns,
        } => {
            let sig = signal.map_or("a signal".to_string(), |s| s.to_string());
            let waited = after_ns
                .map(|d| format!(", {} after it was born", duration(d)))
                .unwrap_or_default();
            format!("It never got EOF: it was killed by {sig} at #{seq}{waited}, still waiting.")
        }
        ReaderEnd::StillWaiting { seq } => {
            format!("It was still waiting when the trace ended (#{seq}).")
        }
    }
}

pub(super) fn summary(f: &FindingFact) -> String {
    match f {
        FindingFact::OwnWriteEnd {
            reader, pipe, wfd, ..
        } => format!(
            "{} ({}) read {pipe} but held its own write end (fd {wfd}), so it could never see EOF",
            reader.pid,
            prog(Lang::En, reader)
        ),
        FindingFact::HeldElsewhere {
            holder,
            reader,
            pipe,
            wfd,
            ..
        } => format!(
            "{} ({}) kept {pipe}'s write end open (fd {wfd}) while {} ({}) waited for EOF on it",
            holder.pid,
            prog(Lang::En, holder),
            reader.pid,
            prog(Lang::En, reader)
        ),
        FindingFact::WaitedHoldingWriteEnd {
            holder,
            reader,
            pipe,
            wfd,
            ..
        } => {
            let (x, c) = (holder.pid, reader.pid);
            format!(
                "{x} ({}) waited for {c} ({}) while still holding {pipe}'s write end (fd {wfd}): {c} saw EOF only when {x} closed it",
                prog(Lang::En, holder),
                prog(Lang::En, reader)
            )
        }
        FindingFact::LeakedIntoExec {
            pipe, end: e, leaks, ..
        } => {
            let e = end(*e);
            match leaks.as_slice() {
                [l] => {
                    let p = prog(Lang::En, &l.proc);
                    format!(
                        "fd {} ({pipe} {e}) leaked into {p} at exec (#{}): {p} never used it",
                        l.fd, l.exec_seq
                    )
                }
                _ => {
                    let who: Vec<String> = leaks
                        .iter()
                        .map(|l| {
                            format!(
                                "{} ({}, fd {}, #{})",
                                prog(Lang::En, &l.proc),
                                l.proc.pid,
                                l.fd,
                                l.exec_seq
                            )
                        })
                        .collect();
                    format!(
                        "{pipe} {e} leaked into {} programs at exec: {}",
                        leaks.len(),
                        who.join(", ")
                    )
                }
            }
        }
        FindingFact::StdioHeldOpen { leak, pipe, .. } => {
            let p = prog(Lang::En, &leak.proc);
            format!(
                "fd {} ({pipe} write end) stayed open in {p} ({}) after every other writer was done: {pipe}'s reader saw EOF only when {p} let go of it{}",
                leak.fd,
                leak.proc.pid,
                leak.end.map(|e| format!(" (#{})", e.seq)).unwrap_or_default()
            )
        }
        FindingFact::LongZombie {
            child,
            parent,
            exit_seq,
            reap_seq,
            zombie_ns,
            ..
        } => format!(
            "{} ({}) was a zombie for {}: it exited at #{exit_seq} but {} ({}) waited for it only at #{reap_seq}",
            child.pid,
            prog(Lang::En, child),
            duration(*zombie_ns),
            parent.pid,
            prog(Lang::En, parent)
        ),
        FindingFact::Orphan {
            child,
            parent,
            at_seq,
            ..
        } => format!(
            "{} ({}) was orphaned: its parent {} ({}) exited at #{at_seq} while it still ran",
            child.pid,
            prog(Lang::En, child),
            parent.pid,
            prog(Lang::En, parent)
        ),
        FindingFact::SigpipeBrokenPipe {
            writer,
            pipe,
            fd,
            closer,
            ..
        } => {
            let (c, p) = (writer.pid, prog(Lang::En, writer));
            match closer {
                Some(k) => format!(
                    "{c} ({p}) was killed by SIGPIPE writing to {pipe} (fd {fd}): its last reader, {} ({}), had closed fd {} (#{})",
                    k.proc.pid,
                    prog(Lang::En, &k.proc),
                    k.fd,
                    k.seq
                ),
                None => {
                    format!("{c} ({p}) was killed by SIGPIPE, probably writing to {pipe} (fd {fd})")
                }
            }
        }
        FindingFact::SigpipeSent { writer, sender, .. } => format!(
            "{} ({}) was killed by SIGPIPE sent with kill() by {sender}",
            writer.pid,
            prog(Lang::En, writer)
        ),
        FindingFact::SigpipeElsewhere { writer, .. } => format!(
            "{} ({}) was killed by SIGPIPE",
            writer.pid,
            prog(Lang::En, writer)
        ),
        FindingFact::NeverReaped {
            child,
            parent,
            exit_seq,
            parent_exit_seq,
            ..
        } => {
            let (c, cprog) = (child.pid, prog(Lang::En, child));
            let (p, pprog) = (parent.pid, prog(Lang::En, parent));
            match parent_exit_seq {
                Some(e) => format!(
                    "{c} ({cprog}) exited at #{exit_seq} but its parent {p} ({pprog}) exited at #{e} without waiting for it"
                ),
                None => format!(
                    "{c} ({cprog}) exited at #{exit_seq} and was never reaped: its parent {p} ({pprog}) was still running when the trace ended"
                ),
            }
        }
        FindingFact::WaitOnStoppedChild {
            parent,
            child,
            signal,
            idle_ns,
            ..
        } => {
            let (p, c) = (parent.pid, child.pid);
            format!(
                "{p} ({}) was blocked in wait for {c} ({}) for {} while {c} was stopped by {signal}: a wait without WUNTRACED does not report stops",
                prog(Lang::En, parent),
                prog(Lang::En, child),
                duration(*idle_ns)
            )
        }
        FindingFact::Hang { hang, summary, .. } => format!("{hang}: {summary}"),
    }
}

pub(super) fn explanation(f: &FindingFact) -> String {
    match f {
        FindingFact::OwnWriteEnd {
            reader,
            pipe,
            rfd,
            forked_at,
            others_closed_at,
            outcome: o,
            ..
        } => {
            let c = reader.pid;
            let got = match forked_at {
                Some(s) => format!("{c} got both ends of {pipe} when it was forked (#{s})"),
                None => format!("{c} held both ends of {pipe}"),
            };
            let others = match others_closed_at {
                Some(s) => format!(
                    " The other write ends were closed (the last at #{s}), so only {c}'s own copy kept the pipe open for writing."
                ),
                None => String::new(),
            };
            format!(
                "{EOF_RULE}, the reader's own copy included. {got}, and never closed the write end: its read on fd {rfd} could only block.{others} {}",
                outcome(o)
            )
        }
        FindingFact::HeldElsewhere {
            holder,
            reader,
            rfd,
            wfd,
            wait_seq,
            outcome: o,
            ..
        } => {
            let (x, c) = (holder.pid, reader.pid);
            format!(
                "{EOF_RULE}. {c} held the read end (fd {rfd}) and the pipe still had a writer: {x}'s fd {wfd}, a copy left over from fork rather than a stdout anyone writes through. {x} was itself blocked waiting for {c} (#{wait_seq}). {}",
                outcome(o)
            )
        }
        FindingFact::WaitedHoldingWriteEnd {
            holder,
            reader,
            pipe,
            rfd,
            wfd,
            wait_seq,
            blocked_ns,
            release,
            release_seq,
        } => {
            let (x, c) = (holder.pid, reader.pid);
            let blocked = blocked_ns
                .map(|d| format!(" for {}", duration(d)))
                .unwrap_or_default();
            let how = release_text(x, *release);
            format!(
                "{EOF_RULE}. {c} was reading {pipe} (fd {rfd}) until EOF; {x} was blocked in wait for {c}{blocked} (#{wait_seq} shows the wait interrupted) with fd {wfd} still open on the write end. Each was waiting for the other. Only when {how} (#{release_seq}) could {c} see EOF and finish."
            )
        }
        FindingFact::LeakedIntoExec {
            pipe,
            end: e,
            leaks,
            hurt,
        } => {
            let mut s = String::from(
                "execve keeps every fd that is not marked close-on-exec, so a pipe end the new program knows nothing about stays open as long as it runs.",
            );
            let en = end(*e);
            for l in leaks {
                let p = prog(Lang::En, &l.proc);
                let held = match &l.end {
                    Some(x) => format!(
                        "until {} (#{}, {} after the exec)",
                        if x.at_end {
                            "the trace ended"
                        } else {
                            "it exited"
                        },
                        x.seq,
                        duration(x.after_ns)
                    ),
                    None => String::new(),
                };
                s.push_str(&format!(
                    " {p} ({}) got fd {} ({pipe} {en}) through exec at #{} and held it {held} without ever closing or using it.",
                    l.proc.pid, l.fd, l.exec_seq
                ));
                if let Some(r) = l.reads_same {
                    s.push_str(&format!(
                        " It also reads {pipe} (fd {r}): holding a write end of its own input, it can never see EOF there."
                    ));
                }
                if let (Some(d), Some(x)) = (&l.delayed, &l.end) {
                    let (wait, late) = match d.others_done {
                        Some((seq, late_ns)) => (
                            format!(
                                " Every other write end was closed by #{seq}; from then on only this leaked copy kept {pipe} open for writing, so"
                            ),
                            format!(", {} late", duration(late_ns)),
                        ),
                        None => (" It held the last write end, so".to_string(), String::new()),
                    };
                    s.push_str(&format!(
                        "{wait} {pipe}'s reader saw EOF only when {p} exited (#{}){late}.",
                        x.seq
                    ));
                }
            }
            match e {
                PipeEnd::Write | PipeEnd::Both if !hurt => s.push_str(&format!(
                    " A stray write end keeps {pipe}'s readers from seeing EOF for as long as it is open."
                )),
                PipeEnd::Read => s.push_str(&format!(
                    " A stray read end keeps {pipe}'s writers from getting EPIPE/SIGPIPE when the real reader quits: they can block on a full pipe instead."
                )),
                _ => {}
            }
            s
        }
        FindingFact::StdioHeldOpen {
            leak,
            pipe,
            late_ns,
        } => {
            let p = prog(Lang::En, &leak.proc);
            let others = leak
                .delayed
                .and_then(|d| d.others_done)
                .map(|(seq, _)| format!(" Every other write end was closed by #{seq};"))
                .unwrap_or_default();
            let end = leak
                .end
                .map(|e| format!(" (#{})", e.seq))
                .unwrap_or_default();
            format!(
                "A pipe's reader sees EOF only once every write end is closed, in every process. {} inherited fd {}, the write end of {pipe}, from its parent as it was (the way a background job shares its shell's stdout) and exec'd {p} with it at #{}.{others} from then on only {p}'s copy kept {pipe} open for writing, so its reader waited {} more, until {p} let go of it{end}.",
                leak.proc.pid,
                leak.fd,
                leak.exec_seq,
                duration(*late_ns)
            )
        }
        FindingFact::LongZombie {
            child,
            parent,
            exit_seq,
            status: s,
            reap_seq,
            zombie_ns,
            sigchld,
        } => {
            let (c, by) = (child.pid, parent.pid);
            let told = match sigchld {
                Some((seq, after)) => format!(
                    " SIGCHLD told {by} at #{seq}, {} after the exit, but it did not wait then.",
                    duration(*after)
                ),
                None => String::new(),
            };
            format!(
                "A process that has exited stays a zombie, its pid and exit status kept by the kernel, until its parent collects it with wait(). {c} exited{} at #{exit_seq} and {by} reaped it at #{reap_seq}, {} later.{told} One zombie is harmless; a long-running parent that waits late piles them up until fork() fails with EAGAIN.",
                st(s),
                duration(*zombie_ns)
            )
        }
        FindingFact::Orphan {
            child,
            exit_seq,
            adopter,
            ..
        } => {
            let c = child.pid;
            let ran_on = match exit_seq {
                Some(e) => format!(" {c} ran on and exited at #{e}."),
                None => format!(" {c} was still running when the trace ended."),
            };
            let adopted = match adopter {
                Some((a, e)) => format!(
                    " {} ({}) adopted it: it reaped it at #{e}.",
                    a.pid,
                    prog(Lang::En, a)
                ),
                None => " No traced process waited for it: it was adopted by init or a subreaper outside the trace, which reaps it.".into(),
            };
            format!(
                "When a parent exits before its child, the kernel hands the child to init (pid 1) or to the nearest subreaper, which will wait() for it; nothing in the program itself learns how it ended.{ran_on}{adopted}"
            )
        }
        FindingFact::SigpipeBrokenPipe {
            writer,
            pipe,
            fd,
            closer,
            late,
            death_seq,
        } => {
            let c = writer.pid;
            let who = match closer {
                Some(k) => format!(
                    " The last read end of {pipe} was {}'s fd {} ({}, #{}); {c} still held the write end on fd {fd}, wrote to it, and died (#{death_seq}).{}",
                    k.proc.pid,
                    k.fd,
                    event(&k.event),
                    k.seq,
                    if *late {
                        " (The recorder writes an exit once the process is fully gone, so the reader's exit is listed after the death it caused.)"
                    } else {
                        ""
                    }
                ),
                None => format!(
                    " {c} held {pipe}'s write end on fd {fd} when it died (#{death_seq})."
                ),
            };
            format!(
                "{SIGPIPE_RULE}{who} In a pipeline whose reader stops early on purpose (`yes | head -1`) this is how the writer learns to stop; otherwise the reader quit or crashed before reading everything."
            )
        }
        FindingFact::SigpipeSent {
            writer,
            sender,
            sent_seq,
        } => format!(
            "{SIGPIPE_RULE} Here no broken pipe was involved: {sender} sent SIGPIPE to {} explicitly (#{sent_seq}).",
            writer.pid
        ),
        FindingFact::SigpipeElsewhere { writer, outside } => {
            let outside = match outside {
                Some((fd, pipe)) => format!(
                    " It held fd {fd} on {pipe}, a pipe inherited from outside the trace: its reader, outside the trace, probably quit."
                ),
                None => " It probably wrote to a socket whose peer had closed.".into(),
            };
            format!(
                "{SIGPIPE_RULE} None of the pipes made in the trace that {} held had lost its last reader.{outside}",
                writer.pid
            )
        }
        FindingFact::NeverReaped {
            child,
            parent,
            exit_seq,
            status: s,
            parent_exit_seq,
            zombie_ns,
        } => {
            let (c, p) = (child.pid, parent.pid);
            let dur = duration(*zombie_ns);
            let what = match parent_exit_seq {
                Some(_) => format!(
                    "It stayed a zombie for {dur}, until {p} itself exited; then init or a subreaper outside the trace reaped it, and {p} never learned how it ended."
                ),
                None => format!("It was still a zombie {dur} later, when the trace ended."),
            };
            let became = match &parent.forked_as {
                Some(was) => format!(
                    " {p} forked it while running {}, then exec'd {}, which knows nothing of the children {} started.",
                    v(was),
                    v(&parent.program),
                    v(was)
                ),
                None => String::new(),
            };
            format!(
                "A process that has exited stays a zombie until its parent collects its exit status with wait(). {c} exited{} at #{exit_seq}. {what}{became}",
                st(s)
            )
        }
        FindingFact::WaitOnStoppedChild {
            parent,
            child,
            signal,
            stop_seq,
            evidence,
            end,
            ..
        } => {
            let (p, c) = (parent.pid, child.pid);
            let evidence = match evidence {
                StopEvidence::Interrupted(w) => format!(
                    "{p} was inside a wait covering {c} while it was stopped (#{w} shows it interrupted)"
                ),
                StopEvidence::Returned(r) => {
                    format!("{p} did nothing else until its wait returned at #{r}")
                }
                StopEvidence::Idle => format!("{p} did nothing else"),
            };
            let end = match end {
                StopEnd::ContinuedBy { sender, sent, cont } => format!(
                    " It stayed blocked until {} ({}) sent SIGCONT (#{sent}) and {c} ran on (#{cont}).",
                    sender.pid,
                    prog(Lang::En, sender)
                ),
                StopEnd::Continued(k) => {
                    format!(" It stayed blocked until {c} was continued (#{k}).")
                }
                StopEnd::StillStopped => {
                    format!(" The trace ended with {c} still stopped and {p} still waiting.")
                }
            };
            format!(
                "{c} entered a group-stop ({signal}) at #{stop_seq}: a stopped process does not run until it gets SIGCONT. {evidence}, and wait() without WUNTRACED reports only children that end, so it could not notice the stop.{end}"
            )
        }
        FindingFact::Hang {
            steps,
            stalled_ns,
            killed,
            ..
        } => {
            let when = match stalled_ns {
                Some(ns) => format!(" after {} without progress", duration(*ns)),
                None => String::new(),
            };
            let ending = if *killed {
                " forkscope killed the traced processes (--on-deadlock kill)."
            } else {
                ""
            };
            format!(
                "forkscope found this while recording{when}, from /proc: {}{ending}",
                steps.join(" ")
            )
        }
    }
}

fn release_text(x: crate::trace::Pid, r: Release) -> String {
    match r {
        Release::Exited => format!("{x} exited"),
        Release::Closed(fd) => format!("{x} closed fd {fd}"),
        Release::Other => format!("{x} let go of it"),
    }
}

pub(super) fn fix(f: &FindingFact) -> String {
    match f {
        FindingFact::OwnWriteEnd { reader, wfd, .. } => format!(
            "In the reader ({}), close the write end (fd {wfd}) right after fork, before reading: each side of a pipe closes the end it does not use.",
            prog(Lang::En, reader)
        ),
        FindingFact::HeldElsewhere { holder, wfd, .. } => format!(
            "In {}, close fd {wfd} as soon as it has nothing more to write: right after fork if it never writes, and always before waiting for the reader.",
            prog(Lang::En, holder)
        ),
        FindingFact::WaitedHoldingWriteEnd {
            holder,
            reader,
            wfd,
            ..
        } => format!(
            "In {}, close the write end (fd {wfd}) as soon as it is done writing, and before waiting for {}: close(fd) first, then waitpid().",
            prog(Lang::En, holder),
            reader.pid
        ),
        FindingFact::LeakedIntoExec { leaks, .. } => format!(
            "Close fd {} in the child before exec, or make the pipe close-on-exec (pipe2(p, O_CLOEXEC), or fcntl(fd, F_SETFD, FD_CLOEXEC)) and dup2 only the end the child needs onto 0/1/2 (dup2 clears close-on-exec on the copy).",
            leaks.first().map_or(0, |l| l.fd)
        ),
        FindingFact::StdioHeldOpen { leak, .. } => {
            let p = prog(Lang::En, &leak.proc);
            format!(
                "If {p} runs in the background, send its output elsewhere when starting it (`{p} >/dev/null 2>&1 &`, or a log file), or close fd {} in it before exec; if the reader needs what {p} writes, this wait is expected.",
                leak.fd
            )
        }
        FindingFact::LongZombie { parent, .. } => format!(
            "Reap children as soon as they end: in {}, call waitpid() when the child is expected to be done, or handle SIGCHLD with a loop of waitpid(-1, &status, WNOHANG).",
            prog(Lang::En, parent)
        ),
        FindingFact::Orphan { child, parent, .. } => format!(
            "If {} should outlive its children, make it wait for them (waitpid) before exiting. If {} is meant to run on alone (a daemon), this is expected.",
            prog(Lang::En, parent),
            prog(Lang::En, child)
        ),
        FindingFact::SigpipeBrokenPipe { .. } => "If the reader may stop early, this is expected (a shell reports 141). Otherwise keep the reader reading until EOF, or ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) and handle EPIPE from write().".into(),
        FindingFact::SigpipeSent { .. } => {
            "Send a signal meant to stop a process, such as SIGTERM, rather than SIGPIPE.".into()
        }
        FindingFact::SigpipeElsewhere { .. } => "Keep the reader running until the writer is done, or ignore SIGPIPE (signal(SIGPIPE, SIG_IGN)) and handle EPIPE from write().".into(),
        FindingFact::NeverReaped { parent, .. } => match &parent.forked_as {
            Some(was) => format!(
                "In {}, which forked it, wait for every child it starts before it execs {} (or exits): waitpid(child, &status, 0), or a SIGCHLD handler that reaps; set SIGCHLD to SIG_IGN only if the exit status is never needed.",
                v(was),
                v(&parent.program)
            ),
            None => format!(
                "In {}, wait for every child it starts: waitpid(child, &status, 0) before exiting, or a SIGCHLD handler that reaps; set SIGCHLD to SIG_IGN only if the exit status is never needed.",
                prog(Lang::En, parent)
            ),
        },
        FindingFact::WaitOnStoppedChild { parent, child, .. } => format!(
            "In {}, pass WUNTRACED (and WCONTINUED) to waitpid() and check WIFSTOPPED(status), then send SIGCONT (kill({}, SIGCONT)) when the child should go on; or do not stop the child while the parent waits for it.",
            prog(Lang::En, parent),
            child.pid
        ),
        FindingFact::Hang { fix, .. } => fix.clone(),
    }
}

pub(super) fn event(e: &EventFact) -> String {
    match e {
        EventFact::ForkGetsBothEnds { child } => format!("fork: {child} gets a copy of both ends"),
        EventFact::ClosesFd { pid, fd, object: o } => {
            format!("{pid} closes fd {fd} ({})", object(o))
        }
        EventFact::WaitInterrupted {
            waiter,
            child,
            after_ns,
        } => match after_ns {
            Some(d) => format!(
                "{waiter}'s wait for {child} is interrupted after {} blocked",
                duration(*d)
            ),
            None => format!("{waiter}'s wait for {child} is interrupted"),
        },
        EventFact::KilledWhileReading { pid, signal } => format!(
            "{pid} is killed by {} while reading",
            signal.map_or("a signal".to_string(), |s| s.to_string())
        ),
        EventFact::TraceEndsWaitingForEof { pid } => {
            format!("the trace ends with {pid} still waiting for EOF")
        }
        EventFact::LastWriteEndGoes {
            holder,
            release,
            reader,
        } => format!(
            "{}: the last write end; {reader} sees EOF",
            release_text(*holder, *release)
        ),
        EventFact::ExecsWithFd {
            pid,
            program,
            fd,
            pipe,
            end: e,
        } => format!(
            "{pid} execs {} with fd {fd} ({pipe} {}) open",
            v(program),
            end(*e)
        ),
        EventFact::MakesPipe { by, pipe } => format!("{by} makes {pipe}"),
        EventFact::OnlyLeakedCopiesLeft { pipe } => {
            format!("only leaked copies of {pipe}'s write end are left")
        }
        EventFact::LastReaderGone { pipe } => format!("the last reader of {pipe} is gone"),
        EventFact::ExitsClosingFd { proc, fd } => format!(
            "{} ({}) exits, closing fd {fd}",
            proc.pid,
            prog(Lang::En, proc)
        ),
        EventFact::TraceEndsFdOpen { pid, fd } => {
            format!("the trace ends with fd {fd} still open in {pid}")
        }
        EventFact::SigchldReaches { child, parent } => {
            format!("SIGCHLD for {child} reaches {parent}")
        }
        EventFact::Exits { pid, status: s } => format!("{pid} exits{}", st(s)),
        EventFact::Reaps { by, child } => format!("{by} reaps {child}"),
        EventFact::ExitsWhileChildRuns { parent, child } => {
            format!("{parent} exits while {child} runs on")
        }
        EventFact::OrphanExits { pid } => format!("orphan {pid} exits"),
        EventFact::ReapsOrphan { by, pid } => format!("{by} reaps orphan {pid}"),
        EventFact::LastReadEndCloses {
            proc,
            fd,
            pipe,
            how,
        } => {
            let (pid, p) = (proc.pid, prog(Lang::En, proc));
            let how = match how {
                CloseHow::Exit => format!("{pid} ({p}) exits, closing fd {fd}"),
                CloseHow::Close => format!("{pid} ({p}) closes fd {fd}"),
                CloseHow::Exec => format!("fd {fd} of {pid} closes at exec (close-on-exec)"),
                CloseHow::Dup => format!("dup2 onto fd {fd} of {pid} closes it"),
                CloseHow::Other => format!("fd {fd} of {pid} closes"),
            };
            format!("{how}: the last read end of {pipe}")
        }
        EventFact::KilledBySigpipe { proc } => format!(
            "{} ({}) is killed by SIGPIPE",
            proc.pid,
            prog(Lang::En, proc)
        ),
        EventFact::SendsSigpipe { from, to } => format!("{from} sends SIGPIPE to {to} with kill()"),
        EventFact::ExitsWithoutWaiting { parent, child } => {
            format!("{parent} exits without waiting for {child}")
        }
        EventFact::TraceEndsWithZombie { child } => {
            format!("the trace ends with {child} still a zombie")
        }
        EventFact::Stops { pid, signal } => format!("{pid} stops ({signal})"),
        EventFact::Continues { pid } => format!("{pid} continues"),
        EventFact::WaitReturns { pid } => format!("{pid}'s wait returns"),
        EventFact::SendsSigcont { from, to } => format!("{from} sends SIGCONT to {to}"),
        EventFact::HangFound { summary, .. } => format!("the hang is found live: {summary}"),
    }
}

pub(super) fn object(o: &FdObject) -> String {
    match o {
        FdObject::Pipe {
            label,
            end: e,
            fifo,
        } => {
            let e = match e {
                Some(PipeEnd::Unknown) => "unknown end",
                Some(e) => end(*e),
                None => "end ?",
            };
            match fifo {
                Some(path) => format!("fifo {} ({label}) {e}", v(path)),
                None => format!("{label} {e}"),
            }
        }
        FdObject::Path(p) => v(p).into_owned(),
        FdObject::Socket {
            inode: Some(i),
            domain: Some(d),
        } => format!("{d} socket:[{i}]"),
        FdObject::Socket {
            inode: Some(i),
            domain: None,
        } => format!("socket:[{i}]"),
        FdObject::Socket { inode: None, .. } => "socket".into(),
        FdObject::Unknown => "?".into(),
    }
}

pub(super) fn role(r: Role) -> &'static str {
    match r {
        Role::Reader => "reader",
        Role::Writer => "writer",
        Role::Leaked => "leaked",
        Role::Parent => "parent",
        Role::Child => "child",
        Role::Adopter => "adopter",
        Role::Closer => "closer",
        Role::Sender => "sender",
        Role::Blocked => "blocked",
        Role::LockHolder => "holds the lock",
        Role::LockWaiter => "waits for the lock",
    }
}

pub(super) fn frame(f: Frame) -> &'static str {
    match f {
        Frame::Processes => "processes",
        Frame::Fds => "fds",
        Frame::Events => "events",
        Frame::Fix => "fix",
    }
}

pub(super) fn totals(events: u64, counts: &[(Severity, usize)]) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|&(s, n)| {
            let w = match s {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            if n > 1 && s != Severity::Info {
                format!("{n} {w}s")
            } else {
                format!("{n} {w}")
            }
        })
        .collect();
    let n: usize = counts.iter().map(|c| c.1).sum();
    format!(
        "{n} finding{} in {events} events: {}",
        if n == 1 { "" } else { "s" },
        parts.join(", ")
    )
}
