//! The timeline's sentences in English.

use super::{Demo, File, Lesson, Listing, Said};
use crate::model::PipeEnd;
use crate::model::ProcessState;
use crate::trace::Pid;
use crate::words::put::put;
use crate::words::text::write_status;
use crate::words::Lang;

/// Between the parts of one sentence.
pub(super) const SEP: &str = "; ";

fn s(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `fds 3..9`, `fds 3..max`.
fn range(out: &mut String, first: u32, last: u32) {
    if last == u32::MAX {
        put!(out; "fds ", first, "..max");
    } else {
        put!(out; "fds ", first, "..", last);
    }
}

pub(super) fn write_file<S: AsRef<str>>(out: &mut String, f: &File<S>) {
    match f {
        File::Pipe { label, end, fifo } => {
            let end = match end {
                PipeEnd::Read => "read end",
                PipeEnd::Write => "write end",
                PipeEnd::Both => "both ends",
                PipeEnd::Unknown => "end ?",
            };
            match fifo {
                Some(path) => put!(out; "fifo ", path.as_ref(), " (", label.as_ref(), ") ", end),
                None => put!(out; label.as_ref(), " ", end),
            }
        }
        File::Named(n) => out.push_str(n.as_ref()),
    }
}

pub(super) fn write_said<S: AsRef<str>>(out: &mut String, x: &Said<S>) {
    match x {
        Said::Starts { pid, fds } => {
            put!(out; pid, " starts with ", fds, " fd", s(*fds), " inherited")
        }
        Said::Attached {
            pid,
            parent: Some(p),
            fds,
        } => put!(out;
            pid, " was already running (attached), a child of ", p, ", with ", fds, " fd",
            s(*fds), " open"
        ),
        Said::Attached {
            pid,
            parent: None,
            fds,
        } => put!(out; pid, " was already running (attached), with ", fds, " fd", s(*fds), " open"),
        Said::OtherThreads { threads } => {
            let list = threads
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            if threads.len() == 1 {
                put!(out; "its other thread ", list.as_str(), " shares its fd table")
            } else {
                put!(out; "its other threads ", list.as_str(), " share its fd table")
            }
        }
        Said::StartsThread { pid, child } => put!(out; pid, " starts thread ", child),
        Said::BornSharing { pid, child } => {
            put!(out; child, " is born sharing ", pid, "'s fd table")
        }
        Said::BornVfork { pid, child } => put!(out;
            child, " is born with a copy of ", pid, "'s fds; ", pid, " waits until it execs or exits"
        ),
        Said::BornCopy { pid, child } => put!(out;
            child, " is born with a copy of ", pid,
            "'s fds (each open file now has one more holder)"
        ),
        Said::Runs { pid, program } => put!(out; pid, " now runs ", program.as_ref()),
        Said::ExecFailed { pid, errno } => put!(out;
            "the exec failed (",
            errno.as_ref().map_or("error", |e| e.as_ref()),
            "); ", pid, " still runs its old program"
        ),
        Said::PipeMade {
            pipe,
            read_fd,
            write_fd,
        } => put!(out; pipe.as_ref(), " made: read end fd ", read_fd, ", write end fd ", write_fd),
        Said::FdUnchanged { fd } => put!(out; "fd ", fd, " is unchanged"),
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
            put!(out; "fd ", fd, " ", verb, " ");
            write_file(out, what);
            put!(out; " (same open file as fd ", old_fd, ")");
            if let Some(old) = replaced {
                out.push_str("; its old ");
                write_file(out, old);
                out.push_str(" was closed");
            }
        }
        Said::Refers { fd, what } => {
            put!(out; "fd ", fd, " now refers to ");
            write_file(out, what);
        }
        Said::Closed { fd, what } => {
            put!(out; "fd ", fd, " (");
            write_file(out, what);
            out.push_str(") is closed");
        }
        Said::NotOpen { fd } => put!(out; "fd ", fd, " was not open: nothing changes (EBADF)"),
        Said::OwnTable { pid } => put!(out;
            pid,
            " now has its own copy of the fd table it shared: its opens and closes no longer touch the others'"
        ),
        Said::RangeClosed { first, last } => {
            range(out, *first, *last);
            out.push_str(" are closed");
        }
        Said::RangeCloexec { first, last } => {
            range(out, *first, *last);
            out.push_str(" will close at the next exec");
        }
        Said::Reaps { pid, child, status } => {
            put!(out; pid, " reaps ", child, " (");
            write_status(out, Lang::En, status);
            out.push(')');
        }
        Said::ReapsUnasked { pid, child } => {
            put!(out; pid, " reaps ", child, " (its status is not asked for)")
        }
        Said::NothingYet => out.push_str("nothing to report yet: WNOHANG returns 0 at once"),
        Said::Sends {
            pid,
            signal,
            target,
        } => put!(out; pid, " sends ", signal, " to ", target),
        Said::Arrives { pid, signal } => put!(out; signal, " arrives at ", pid),
        Said::Stopped { pid, signal } => put!(out; pid, " is stopped by ", signal),
        Said::Continues { pid } => put!(out; pid, " continues"),
        Said::NoZombies { pid } => put!(out;
            pid, " lets the kernel reap its children: they exit without becoming zombies"
        ),
        Said::SigchldSet { pid, action } => put!(out;
            pid, " sets SIGCHLD to ", action.as_ref(),
            ": its exited children wait for its wait()"
        ),
        Said::Renames {
            pid,
            program,
            name,
            thread: false,
        } => put!(out;
            pid, " (", program.as_ref(), ") names itself ", name.as_ref(),
            ": ps shows it by that name now"
        ),
        Said::Renames {
            pid,
            program,
            name,
            thread: true,
        } => put!(out;
            "thread ", pid, " of ", program.as_ref(), " names itself ", name.as_ref(),
            "; its process keeps its name"
        ),
        Said::Ends { pid, status } => {
            put!(out; pid, " ends (");
            write_status(out, Lang::En, status);
            out.push_str("); its fds are closed");
        }
        Said::Eof { pipe } => put!(out;
            "the last write end of ", pipe.as_ref(), " is closed: its reader now sees EOF"
        ),
        Said::Broken { pipe } => put!(out;
            "the last read end of ", pipe.as_ref(), " is closed: a write into it now raises SIGPIPE"
        ),
        Said::ReapedByKernel { pid } => put!(out;
            "the kernel reaps ", pid,
            " at once: its parent ignores SIGCHLD (or set SA_NOCLDWAIT), so it never is a zombie"
        ),
        Said::Zombie {
            pid,
            parent_traced: true,
        } => put!(out; pid, " is a zombie until its parent waits for it"),
        Said::Zombie {
            pid,
            parent_traced: false,
        } => put!(out; pid, " is a zombie until its parent (outside the trace) waits for it"),
        Said::Orphaned { pid } => put!(out; pid, " is orphaned: its parent is gone"),
        Said::ClosedAtExec { fd } => put!(out; "fd ", fd, " closed at exec (close-on-exec)"),
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
