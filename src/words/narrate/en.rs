//! The timeline's sentences in English.

use super::{Demo, File, Lesson, Listing, Said};
use crate::model::PipeEnd;
use crate::model::ProcessState;
use crate::trace::Pid;
use crate::words::text::StatusCall;
use std::fmt;

/// Between the parts of one sentence.
pub(super) const SEP: &str = "; ";

fn s(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn range(first: u32, last: u32) -> String {
    if last == u32::MAX {
        format!("fds {first}..max")
    } else {
        format!("fds {first}..{last}")
    }
}

pub(super) fn file(f: &File) -> String {
    Fl(f).to_string()
}

/// [`file`]'s words, written where they are wanted.
pub(super) struct Fl<'a>(pub(super) &'a File);

impl fmt::Display for Fl<'_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_file(out, self.0)
    }
}

pub(super) fn write_file(out: &mut dyn fmt::Write, f: &File) -> fmt::Result {
    match f {
        File::Pipe { label, end, fifo } => {
            let end = match end {
                PipeEnd::Read => "read end",
                PipeEnd::Write => "write end",
                PipeEnd::Both => "both ends",
                PipeEnd::Unknown => "end ?",
            };
            match fifo {
                Some(path) => write!(out, "fifo {path} ({label}) {end}"),
                None => write!(out, "{label} {end}"),
            }
        }
        File::Named(n) => out.write_str(n),
    }
}

pub(super) fn said(x: &Said) -> String {
    let mut t = String::new();
    let _ = write_said(&mut t, x);
    t
}

pub(super) fn write_said(out: &mut dyn fmt::Write, x: &Said) -> fmt::Result {
    match x {
        Said::Starts { pid, fds } => write!(out, "{pid} starts with {fds} fd{} inherited", s(*fds)),
        Said::Attached {
            pid,
            parent: Some(p),
            fds,
        } => write!(out,
            "{pid} was already running (attached), a child of {p}, with {fds} fd{} open",
            s(*fds)
        ),
        Said::Attached {
            pid,
            parent: None,
            fds,
        } => write!(out,
            "{pid} was already running (attached), with {fds} fd{} open",
            s(*fds)
        ),
        Said::OtherThreads { threads } => {
            let list = threads
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            if threads.len() == 1 {
                write!(out, "its other thread {list} shares its fd table")
            } else {
                write!(out, "its other threads {list} share its fd table")
            }
        }
        Said::StartsThread { pid, child } => write!(out, "{pid} starts thread {child}"),
        Said::BornSharing { pid, child } => write!(out, "{child} is born sharing {pid}'s fd table"),
        Said::BornVfork { pid, child } => write!(out,
            "{child} is born with a copy of {pid}'s fds; {pid} waits until it execs or exits"
        ),
        Said::BornCopy { pid, child } => write!(out,
            "{child} is born with a copy of {pid}'s fds (each open file now has one more holder)"
        ),
        Said::Runs { pid, program } => write!(out, "{pid} now runs {program}"),
        Said::ExecFailed { pid, errno } => write!(out,
            "the exec failed ({}); {pid} still runs its old program",
            errno.as_deref().unwrap_or("error")
        ),
        Said::PipeMade {
            pipe,
            read_fd,
            write_fd,
        } => write!(out, "{pipe} made: read end fd {read_fd}, write end fd {write_fd}"),
        Said::FdUnchanged { fd } => write!(out, "fd {fd} is unchanged"),
        Said::Duped {
            fd,
            old_fd,
            what,
            replaced,
        } => {
            let verb = match what {
                File::Pipe {
                    end: PipeEnd::Write,
                    ..
                } => "now writes into",
                File::Pipe {
                    end: PipeEnd::Read, ..
                } => "now reads from",
                File::Pipe { .. } | File::Named(_) => "now refers to",
            };
            write!(
                out,
                "fd {fd} {verb} {} (same open file as fd {old_fd})",
                Fl(what)
            )?;
            if let Some(old) = replaced {
                write!(out, "; its old {} was closed", Fl(old))?;
            }
            Ok(())
        }
        Said::Refers { fd, what } => write!(out, "fd {fd} now refers to {}", Fl(what)),
        Said::Closed { fd, what } => write!(out, "fd {fd} ({}) is closed", Fl(what)),
        Said::NotOpen { fd } => write!(out, "fd {fd} was not open: nothing changes (EBADF)"),
        Said::OwnTable { pid } => write!(out,
            "{pid} now has its own copy of the fd table it shared: its opens and closes no longer touch the others'"
        ),
        Said::RangeClosed { first, last } => write!(out, "{} are closed", range(*first, *last)),
        Said::RangeCloexec { first, last } => {
            write!(out, "{} will close at the next exec", range(*first, *last))
        }
        Said::Reaps { pid, child, status } => {
            write!(out, "{pid} reaps {child} ({})", StatusCall(status))
        }
        Said::ReapsUnasked { pid, child } => {
            write!(out, "{pid} reaps {child} (its status is not asked for)")
        }
        Said::NothingYet => out.write_str("nothing to report yet: WNOHANG returns 0 at once"),
        Said::Sends {
            pid,
            signal,
            target,
        } => write!(out, "{pid} sends {signal} to {target}"),
        Said::Arrives { pid, signal } => write!(out, "{signal} arrives at {pid}"),
        Said::Stopped { pid, signal } => write!(out, "{pid} is stopped by {signal}"),
        Said::Continues { pid } => write!(out, "{pid} continues"),
        Said::NoZombies { pid } => write!(out,
            "{pid} lets the kernel reap its children: they exit without becoming zombies"
        ),
        Said::SigchldSet { pid, action } => {
            write!(out, "{pid} sets SIGCHLD to {action}: its exited children wait for its wait()")
        }
        Said::Renames {
            pid,
            program,
            name,
            thread: false,
        } => write!(out, "{pid} ({program}) names itself {name}: ps shows it by that name now"),
        Said::Renames {
            pid,
            program,
            name,
            thread: true,
        } => write!(out, "thread {pid} of {program} names itself {name}; its process keeps its name"),
        Said::Ends { pid, status } => {
            write!(out, "{pid} ends ({}); its fds are closed", StatusCall(status))
        }
        Said::Eof { pipe } => {
            write!(out, "the last write end of {pipe} is closed: its reader now sees EOF")
        }
        Said::Broken { pipe } => write!(out,
            "the last read end of {pipe} is closed: a write into it now raises SIGPIPE"
        ),
        Said::ReapedByKernel { pid } => write!(out,
            "the kernel reaps {pid} at once: its parent ignores SIGCHLD (or set SA_NOCLDWAIT), so it never is a zombie"
        ),
        Said::Zombie {
            pid,
            parent_traced: true,
        } => write!(out, "{pid} is a zombie until its parent waits for it"),
        Said::Zombie {
            pid,
            parent_traced: false,
        } => write!(out, "{pid} is a zombie until its parent (outside the trace) waits for it"),
        Said::Orphaned { pid } => write!(out, "{pid} is orphaned: its parent is gone"),
        Said::ClosedAtExec { fd } => write!(out, "fd {fd} closed at exec (close-on-exec)"),
    }
}

pub(super) fn listing(l: &Listing) -> String {
    match l {
        Listing::ArgsCut { kept, cut } => format!("{kept}\u{2026} (+{cut} chars)"),
        Listing::Threads(n) => format!(" [{n} threads]"),
        Listing::End => "end".into(),
        Listing::StoppedBy(sig) => format!("  stopped by {sig}"),
        Listing::StillRunning => "  still running at the end".into(),
        Listing::ReapedByKernel => "reaped by the kernel at exit (its parent ignores SIGCHLD or set SA_NOCLDWAIT), never a zombie".into(),
        Listing::ZombieFor { time, by: Some(by) } => format!("zombie {time}, reaped by {by}"),
        Listing::ZombieFor { time, by: None } => {
            format!("zombie {time}, reaped by someone outside the trace")
        }
        Listing::NeverReaped { time } => format!("never reaped in the trace (zombie {time}+)"),
        Listing::Orphaned { seq, by: Some(b) } => format!("  orphaned at #{seq} (adopted by {b})"),
        Listing::Orphaned { seq, by: None } => format!(
            "  orphaned at #{seq} (adopted by init or a subreaper outside the trace)"
        ),
        Listing::NoProcess { trace, pid } => format!("{trace}: no process {pid} in the trace"),
        Listing::NoProcessInTimeline { trace, pid } => format!(
            "{trace}: no process {pid} in the trace (`forkscope tree` lists them)"
        ),
        Listing::UnknownKind {
            kind,
            kinds,
            syscalls,
        } => format!("unknown event kind {kind:?}; kinds are: {kinds}; syscall names: {syscalls}"),
        Listing::NoEvents { trace } => format!("{trace}: the trace has no events"),
        Listing::NoSuchEvent { trace, at, last } => {
            format!("{trace}: there is no event #{at}: the last one is #{last}")
        }
        Listing::NotAlive { trace, pid, seq } => format!(
            "{trace}: process {pid} is not alive after #{seq}: choose a moment when it is (`forkscope tree` shows when each process lived)"
        ),
        Listing::StateAfter(line) => format!("State after {line}"),
        Listing::Processes => "Processes".into(),
        Listing::Pipes => "Pipes".into(),
        Listing::Parent(pid) => format!(", parent {pid}"),
        Listing::State(ProcessState::Running) => "running".into(),
        Listing::State(ProcessState::Stopped { signal }) => format!("stopped by {signal}"),
        Listing::State(ProcessState::Zombie) => "zombie".into(),
        Listing::State(ProcessState::Reaped) => "reaped".into(),
        Listing::Aside(t) => format!(" ({t})"),
        Listing::Note(t) => format!("  ({t})"),
        Listing::SharedBy { file, n } => format!(" [open file {file} shared by {n} fds]"),
        Listing::Cloexec => " (close-on-exec)".into(),
        Listing::NoPipes => "  (none open)".into(),
        Listing::PipeHolders {
            pipe,
            writers,
            readers,
            unknown,
        } => {
            let mut t = format!(
                "  {pipe}: write end held by {}; read end held by {}",
                holders(writers),
                holders(readers)
            );
            if !unknown.is_empty() {
                t.push_str(&format!("; unknown end held by {}", holders(unknown)));
            }
            t
        }
        Listing::Lived(d) => format!("  <lived {d}>"),
        Listing::ZombieTime(d) => format!("  <zombie {d}>"),
        Listing::Divergence {
            label,
            seq,
            pid,
            program,
            fd,
            model,
            kernel,
        } => format!(
            "{label} #{seq} pid {pid} ({program}) fd {fd}: model has {}, kernel has {}",
            model.as_deref().unwrap_or("nothing"),
            kernel.as_deref().unwrap_or("nothing")
        ),
        Listing::Unseen {
            label,
            seq,
            pid,
            program,
            fd,
            appeared,
            what,
        } => format!(
            "{label} #{seq} pid {pid} ({program}) fd {fd}: {} unseen ({}the process uses io_uring)",
            if *appeared { "appeared" } else { "vanished" },
            what.as_ref().map(|w| format!("{w}; ")).unwrap_or_default()
        ),
        Listing::DivergenceWord => "divergence".into(),
        Listing::NoteWord => "note".into(),
        Listing::Anomaly => "anomaly".into(),
        Listing::Verified {
            trace,
            events,
            at_exec,
            at_exit,
            divergences,
            anomalies,
        } => format!(
            "{trace}: {events} events replayed; {at_exec} kernel fd tables checked at exec{}; {divergences} divergence{}; {anomalies} anomal{}",
            if *at_exit > 0 {
                format!(", {at_exit} at exit")
            } else {
                String::new()
            },
            if *divergences == 1 { "" } else { "s" },
            if *anomalies == 1 { "y" } else { "ies" },
        ),
        Listing::UnseenTotal { label, n } => format!(
            "{label}: {n} fd(s) appeared or vanished unseen: io_uring opens and closes fds without a syscall, which forkscope cannot see"
        ),
    }
}

fn holders(v: &[(Pid, i32)]) -> String {
    if v.is_empty() {
        return "none".into();
    }
    v.iter()
        .map(|(p, fd)| format!("{p} fd {fd}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn demo(d: &Demo) -> String {
    match d {
        Demo::About(l) => match l {
            Lesson::Pipeline => "`ps aux | grep sh`: the shell makes a pipe, forks twice, and each child dup2s one end onto stdin or stdout before exec",
            Lesson::Zombie => "a child that exits while its parent never waits stays a zombie until the parent is gone",
            Lesson::Orphan => "the parent exits first; its child is orphaned and adopted outside the trace (by init or a subreaper)",
            Lesson::Sigpipe => "`yes | head -n 1`: head exits after one line, the pipe loses its last reader, and yes dies of SIGPIPE",
            Lesson::Leak => "a background job inherits the pipeline's write end, so the reader waits for EOF until the job ends",
            Lesson::Exec => "exec replaces the program but keeps the process and its fds",
            Lesson::Wait => "a parent starts three children and reaps each with wait",
            Lesson::Redirect => "`2>&1 1>&3`: dup2 makes two fds share one open file; order matters",
        }
        .into(),
        Demo::ListHeading => "Scenarios (forkscope demo NAME):".into(),
        Demo::Default => " (default)".into(),
        Demo::NoSuchDemo { name, names } => {
            format!("no demo called {name:?}; the demos are: {names}")
        }
        Demo::Title(name) => format!("forkscope demo {name}:"),
        Demo::OutputStart => "---- the program's own output ----".into(),
        Demo::OutputEnd => "---- end of output ----".into(),
        Demo::TimelineHeading => "The timeline (what each process did, in order; library and locale files left out):".into(),
        Demo::StateHeading(seq) => {
            format!("The state after #{seq}, the key moment of this demo:")
        }
        Demo::Writing(p) => format!("writing {p}"),
        Demo::StepThrough(url) => format!("Step through every event in a browser: {url}"),
        Demo::TheTrace { path, events } => format!("The trace: {path} ({events} events). Next:"),
        Demo::FullTimeline => "the full timeline".into(),
        Demo::ProcessTree => "the process tree".into(),
        Demo::OtherScenarios => "other scenarios".into(),
        Demo::CreatingDir(p) => format!("creating {p}"),
        Demo::CreatingIn(p) => format!("creating a folder in {p}"),
        Demo::SymLink(p) => {
            format!("{p} is a symbolic link: forkscope demo does not write through links")
        }
        Demo::CreatingFile { path, error } => format!("creating {path}: {error}"),
    }
}
