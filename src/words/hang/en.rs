//! Hangs in English.

use super::Recorded;
use crate::model::snapshot::{Snapshot, Timeout};
use crate::model::wait::{PolledPipe, Wait, WaitTarget};
use crate::trace::hang::{
    Doing, End, Fix, Holder, Idle, IdleHolder, PollClause, ProcName, Runtime, Step, Summary, Then,
    WakeFd, WakeKind, Who,
};
use crate::words::text::{duration, list as list_in, visible};
use crate::words::Lang;

fn list(items: &[String]) -> String {
    list_in(Lang::En, items)
}

fn nums(fds: &[i32]) -> String {
    list(&fds.iter().map(|f| f.to_string()).collect::<Vec<_>>())
}

/// `4102 (cat)`, or `4102 (cat) thread 4105`.
pub(super) fn who(w: &Who) -> String {
    match (&w.comm, w.tid == w.pid) {
        (Some(c), true) => format!("{} ({}, ps: {})", w.pid, visible(&w.name), visible(c)),
        (Some(c), false) => format!(
            "{} ({}) thread {} (ps: {})",
            w.pid,
            visible(&w.name),
            w.tid,
            visible(c)
        ),
        (None, true) => format!("{} ({})", w.pid, visible(&w.name)),
        (None, false) => format!("{} ({}) thread {}", w.pid, visible(&w.name), w.tid),
    }
}

fn whos(ws: &[Who]) -> String {
    list(&ws.iter().map(who).collect::<Vec<_>>())
}

/// `4102 (cat)`, or `4102` when its program is unknown.
fn proc_name(p: &ProcName) -> String {
    match (&p.name, &p.comm) {
        (Some(n), Some(c)) => format!("{} ({}, ps: {})", p.pid, visible(n), visible(c)),
        (Some(n), None) => format!("{} ({})", p.pid, visible(n)),
        (None, _) => p.pid.to_string(),
    }
}

fn verb(n: usize) -> &'static str {
    if n == 1 {
        "is"
    } else {
        "are"
    }
}

pub(super) fn summary(s: &Summary) -> String {
    match s {
        Summary::WaitsForItself { who: w } => format!("{} waits for itself", who(w)),
        Summary::WaitForEachOther { tasks } => format!("{} wait for each other", whos(tasks)),
        Summary::BlockedOnStopped { blocked, stopped } => format!(
            "{} {} blocked on {}, which is stopped",
            whos(blocked),
            verb(blocked.len()),
            who(stopped)
        ),
        Summary::FifoOpens { openers, paths } => format!(
            "{} {} blocked opening {} {}: each open waits for a partner that never comes",
            whos(openers),
            verb(openers.len()),
            if paths.len() == 1 {
                "the FIFO"
            } else {
                "the FIFOs"
            },
            list(
                &paths
                    .iter()
                    .map(|p| visible(p).into_owned())
                    .collect::<Vec<_>>()
            )
        ),
        Summary::ForkCopiedLock { who: w, parent } => format!(
            "{} waits on a lock that fork copied locked from {}, which has several threads: the thread that holds it does not exist in the child",
            who(w),
            proc_name(parent)
        ),
        Summary::LostWakeup {
            who: w,
            call,
            zombies,
        } => format!(
            "{} waits for SIGCHLD in {call}, but all its children have exited already ({} left unreaped): a lost wakeup",
            who(w),
            list(&zombies.iter().map(proc_name).collect::<Vec<_>>())
        ),
        Summary::Blocked { tasks } => format!(
            "{} {} blocked and no free process is left to release them",
            whos(tasks),
            verb(tasks.len())
        ),
        Summary::EofHeldOpen {
            who: w,
            pipe,
            holders,
        } => format!(
            "{} waits for EOF on {}, which {} {} open without writing",
            who(w),
            visible(pipe),
            list(&holders.iter().map(proc_name).collect::<Vec<_>>()),
            if holders.len() == 1 { "holds" } else { "hold" }
        ),
    }
}

/// `4101 (sh) fd 4`, `4102 (rhwe) itself (fd 4)`, `... fds 3 and 4`.
fn holders(hs: &[Holder]) -> String {
    let parts: Vec<String> = hs
        .iter()
        .map(|h| {
            let fdt = if h.fds.len() == 1 {
                format!("fd {}", h.fds[0])
            } else {
                format!("fds {}", nums(&h.fds))
            };
            if h.itself {
                format!("{} itself ({fdt})", proc_name(&h.proc))
            } else {
                format!("{} {fdt}", proc_name(&h.proc))
            }
        })
        .collect();
    list(&parts)
}

/// `to read pipe:[5] (fd 4) or to write to pipe:[6] (fd 5)`; with `via`,
/// `to read pipe:[5] via fd 4`.
fn poll_targets(fds: &[PolledPipe], via: bool) -> String {
    let mut parts = Vec::new();
    for f in fds {
        let (fd, pipe) = (f.fd, visible(&f.pipe));
        for (wanted, write) in [(f.read, false), (f.write, true)] {
            if !wanted {
                continue;
            }
            parts.push(match (write, via) {
                (false, false) => format!("to read {pipe} (fd {fd})"),
                (true, false) => format!("to write to {pipe} (fd {fd})"),
                (false, true) => format!("to read {pipe} via fd {fd}"),
                (true, true) => format!("to write to {pipe} via fd {fd}"),
            });
        }
    }
    parts.join(" or ")
}

/// `for pipe:[5] via fd 4 to lose its last reader` (`via`), or `for
/// pipe:[5] (fd 4) to lose its last reader`: an end watched only for the
/// other side to go.
fn hangup_target(h: &PolledPipe, via: bool) -> String {
    let (fd, pipe) = (h.fd, visible(&h.pipe));
    let side = if h.write { "reader" } else { "writer" };
    if via {
        format!("for {pipe} via fd {fd} to lose its last {side}")
    } else {
        format!("for {pipe} (fd {fd}) to lose its last {side}")
    }
}

/// `the read end of pipe:[5] is still open in 4102 (cat) fd 3`: who holds
/// the other side of an end watched only for it to go.
fn hangup_said(c: &PollClause) -> String {
    format!(
        "the {} end of {} is still open in {}",
        if c.write { "read" } else { "write" },
        visible(&c.pipe),
        holders(&c.holders)
    )
}

/// What a multiplexer waits for: its ends' targets, then the ends it
/// watches only for the other side to go.
fn poll_and_hangup_targets(fds: &[PolledPipe], hangup: &[PolledPipe], via: bool) -> String {
    let mut targets = Vec::new();
    if !fds.is_empty() {
        targets.push(poll_targets(fds, via));
    }
    targets.extend(hangup.iter().map(|h| hangup_target(h, via)));
    targets.join(" or ")
}

/// `, which is blocked in wait4 for 4102`: what the next task does.
fn then(t: &Option<Then>) -> String {
    let Some(t) = t else {
        return String::new();
    };
    let what = match &t.doing {
        Doing::Child { call, target } => match target {
            WaitTarget::Child(c) => format!("blocked in {call} for {c}"),
            _ => format!("blocked in {call} for a child"),
        },
        Doing::ReadPipe { pipe, fd } => format!("blocked reading {} (fd {fd})", visible(pipe)),
        Doing::WritePipe { pipe, fd } => {
            format!("blocked writing to {} (fd {fd})", visible(pipe))
        }
        Doing::Poll { call, fds, hangup } => {
            format!(
                "blocked in {call} waiting {}",
                poll_and_hangup_targets(fds, hangup, false)
            )
        }
        Doing::OpenFifo { path } => format!("blocked opening {}", visible(path)),
        Doing::Futex => "waiting on a futex".into(),
        Doing::Lock { call, fd } => format!("blocked in {call} taking a lock via fd {fd}"),
        Doing::Blocked => "blocked too".into(),
        Doing::Loop { call, fds, hangup } if fds.is_empty() && hangup.is_empty() => {
            format!("blocked in {call}, an event loop waiting on its own wake-up fds only")
        }
        Doing::Loop { call, fds, hangup } => format!(
            "blocked in {call}, an event loop waiting {}",
            poll_and_hangup_targets(fds, hangup, false)
        ),
    };
    match t.thread {
        Some(tid) => format!(", whose thread {tid} is {what}"),
        None => format!(", which is {what}"),
    }
}

fn end(e: End) -> &'static str {
    match e {
        End::Next => ";",
        End::Cycle => ": a cycle.",
        End::Alone => ".",
    }
}

fn clause(c: &PollClause, one: bool) -> String {
    let (pipe, held) = (visible(&c.pipe), holders(&c.holders));
    match (c.write, one) {
        (false, true) => format!("the pipe is empty and its write end is still open in {held}"),
        (false, false) => format!("{pipe} is empty and its write end is still open in {held}"),
        (true, true) => format!("the pipe is full and its read end is open only in {held}"),
        (true, false) => format!("{pipe} is full and its read end is open only in {held}"),
    }
}

/// `sleeping 12 s in clock_nanosleep, 12 s of it left`.
fn timed(call: &str, asked_ns: u64, left_ns: Option<(u64, u64)>) -> String {
    let left = match left_ns {
        Some((lo, hi)) if lo == hi => format!(", {} of it left", secs(lo)),
        Some((lo, hi)) if lo > 0 => {
            format!(", {} to {} of it left", number(lo), secs(hi))
        }
        _ => String::new(),
    };
    format!("sleeping {} in {call}{left}", secs(asked_ns))
}

fn idle(h: &IdleHolder) -> String {
    let doing = match &h.doing {
        Idle::Sleeping { call } => format!("sleeping in {call}"),
        Idle::Stopped => "stopped".into(),
        Idle::Blocked { call } => format!("blocked in {call}"),
        Idle::Idle => "idle".into(),
        Idle::Timed {
            call,
            asked_ns,
            left_ns,
        } => timed(call, *asked_ns, *left_ns),
        Idle::Children { call, kids } => format!(
            "waiting in {call} for its {} {}",
            if kids.len() == 1 { "child" } else { "children" },
            list(&kids.iter().map(proc_name).collect::<Vec<_>>())
        ),
        Idle::Socket { call, fd } => format!(
            "waiting in {call} on {} (a server or daemon: it may wait for as long as it runs)",
            match fd {
                Some(fd) => format!("its socket fd {fd}"),
                None => "a socket".into(),
            }
        ),
    };
    match &h.under {
        Some(root) => format!(
            "{} fd {} (a child of the orphaned background process {}; it has written nothing and is {doing})",
            proc_name(&h.proc),
            nums(&h.fds),
            proc_name(root)
        ),
        None => format!(
            "{} fd {} (an orphaned background process: its parent is gone and it is now a child of {}; it has written nothing and is {doing})",
            proc_name(&h.proc),
            nums(&h.fds),
            h.parent
        ),
    }
}

/// `eventfd fd 5`, `socket pair fd 4 (its peer fd 5)`, `self-pipe fd 3
/// (write end fd 4)`.
fn wakes(ws: &[WakeFd]) -> String {
    let one = |w: &WakeFd| {
        let others = if w.others.is_empty() {
            String::new()
        } else {
            format!(" {}", nums(&w.others))
        };
        match w.kind {
            WakeKind::Eventfd => format!("eventfd fd {}", w.fd),
            WakeKind::SocketPair if others.is_empty() => format!("socket pair fd {}", w.fd),
            WakeKind::SocketPair => format!("socket pair fd {} (its peer fd{others})", w.fd),
            WakeKind::SelfPipe => format!("self-pipe fd {} (write end fd{others})", w.fd),
        }
    };
    list(&ws.iter().map(one).collect::<Vec<_>>())
}

/// `30`, `2.8`: seconds without their unit (the first of a range).
fn number(ns: u64) -> String {
    if ns % 1_000_000_000 == 0 {
        (ns / 1_000_000_000).to_string()
    } else {
        format!("{:.1}", ns as f64 / 1e9)
    }
}

/// `30 s`, `2.5 s`, `300 ms`: a sleep's length.
fn secs(ns: u64) -> String {
    if ns >= 1_000_000_000 && ns % 1_000_000_000 == 0 {
        format!("{} s", ns / 1_000_000_000)
    } else if ns >= 1_000_000_000 {
        format!("{:.1} s", ns as f64 / 1e9)
    } else {
        format!("{} ms", ns / 1_000_000)
    }
}

pub(super) fn step(s: &Step) -> String {
    match s {
        Step::ReadPipe {
            who: w,
            fd,
            pipe,
            writers,
            then: t,
            end: e,
        } => format!(
            "{} is blocked reading {} via fd {fd}; the pipe is empty and its write end is still open in {}{}{}",
            who(w),
            visible(pipe),
            holders(writers),
            then(t),
            end(*e)
        ),
        Step::WritePipe {
            who: w,
            fd,
            pipe,
            fill,
            readers,
            then: t,
            end: e,
        } => format!(
            "{} is blocked writing to {} via fd {fd}; the pipe is full{} and its read end is open only in {}{}{}",
            who(w),
            visible(pipe),
            match fill {
                Some((f, c)) => format!(" ({f} of {c} bytes)"),
                None => String::new(),
            },
            holders(readers),
            then(t),
            end(*e)
        ),
        Step::Child {
            who: w,
            call,
            target,
            kids,
            among,
            end: e,
        } => {
            let names = list(&kids.iter().map(proc_name).collect::<Vec<_>>());
            let what = match target {
                WaitTarget::Child(_) => names,
                WaitTarget::Any => format!("any child ({names})"),
                WaitTarget::OwnGroup => format!("any child in its process group ({names})"),
                WaitTarget::Group(g) => format!("any child in process group {g} ({names})"),
            };
            let among = match among {
                Some(a) => format!(", among them {}", who(a)),
                None => String::new(),
            };
            format!("{} is blocked in {call} for {what}{among}{}", who(w), end(*e))
        }
        Step::OpenFifo {
            who: w,
            path,
            write,
            end: e,
        } => {
            let how = match write {
                Some(true) => {
                    "for writing; the open waits until some process opens it for reading"
                }
                Some(false) => {
                    "for reading; the open waits until some process opens it for writing"
                }
                None => "; the open waits until some process opens the other side",
            };
            format!(
                "{} is blocked opening the FIFO {} {how}, and every other process is blocked too{}",
                who(w),
                visible(path),
                end(*e)
            )
        }
        Step::Poll {
            who: w,
            call,
            fds,
            clauses,
            hangup,
            then: t,
            end: e,
        } => {
            let one = clauses.len() + hangup.len() == 1;
            let mut said: Vec<String> = clauses.iter().map(|c| clause(c, one)).collect();
            said.extend(hangup.iter().map(|(_, c)| hangup_said(c)));
            let watched: Vec<PolledPipe> = hangup
                .iter()
                .map(|(fd, c)| PolledPipe {
                    fd: *fd,
                    pipe: c.pipe.clone(),
                    read: !c.write,
                    write: c.write,
                })
                .collect();
            format!(
                "{} is blocked in {call} waiting {}; {}{}{}",
                who(w),
                poll_and_hangup_targets(fds, &watched, true),
                if one {
                    said.join("; ")
                } else {
                    format!("none can become ready: {}", list(&said))
                },
                then(t),
                end(*e)
            )
        }
        Step::Signal {
            who: w,
            call,
            end: e,
        } => format!(
            "{} waits for a signal in {call}, and every other process is blocked{}",
            who(w),
            end(*e)
        ),
        Step::ForkCopiedLock {
            who: w,
            parent,
            threads,
            end: e,
        } => format!(
            "{} waits on a futex (a lock) with a single thread, forked without exec from {}, which runs {threads} threads: fork copies memory as it is, a lock held by another thread included, but not that thread, so nobody in the child will ever unlock it{}",
            who(w),
            proc_name(parent),
            end(*e)
        ),
        Step::LostWakeup {
            who: w,
            call,
            zombies,
            end: e,
        } => format!(
            "{} waits in {call} for a signal, and the only one it can end on from inside the tree is SIGCHLD; but every child has exited already ({}, not reaped): each exit's SIGCHLD came before the wait, and no process in the tree is left to send another{}",
            who(w),
            list(&zombies.iter().map(proc_name).collect::<Vec<_>>()),
            end(*e)
        ),
        Step::Futex { who: w, end: e } => format!(
            "{} waits on a futex (a lock, a condition variable or a thread join) that only blocked tasks could release{}",
            who(w),
            end(*e)
        ),
        Step::Lock {
            who: w,
            call,
            fd,
            path,
            class,
            write,
            holders: hs,
            then: t,
            end: e,
        } => format!(
            "{} is blocked in {call} taking a {} lock{} on {} via fd {fd}; {} {} a conflicting lock on it{}{}",
            who(w),
            if *write { "write" } else { "read" },
            lock_class(class),
            visible(path),
            holders(hs),
            if hs.len() == 1 { "holds" } else { "hold" },
            then(t),
            end(*e)
        ),
        Step::Stopped { who: w } => format!(
            "{} is stopped (by SIGSTOP or another stop signal) and no free process is left to send it SIGCONT.",
            who(w)
        ),
        Step::EofHeldOpen {
            who: w,
            fd,
            pipe,
            holders: hs,
        } => {
            let me = who(w);
            format!(
                "{me} is blocked reading {} via fd {fd}; the pipe is empty and its write end is still open in {}: {me} will wait until {}.",
                visible(pipe),
                list(&hs.iter().map(idle).collect::<Vec<_>>()),
                if hs.len() == 1 {
                    "that process exits"
                } else {
                    "those processes exit"
                }
            )
        }
        Step::Loop {
            who: w,
            call,
            fds,
            wake,
            clauses,
            hangup,
            then: t,
            end: e,
        } => {
            let own = format!(
                "its own wake-up {}, which no other process holds: nothing outside {} can make {} ready",
                wakes(wake),
                who(w),
                if wake.len() == 1 { "it" } else { "them" }
            );
            if fds.is_empty() && hangup.is_empty() {
                return format!(
                    "{} is blocked in {call}, an event loop waiting only on {own}, and every other process is blocked{}",
                    who(w),
                    end(*e)
                );
            }
            let mut targets = Vec::new();
            if !fds.is_empty() {
                targets.push(poll_targets(fds, true));
            }
            for (fd, c) in hangup {
                targets.push(format!(
                    "for {} via fd {fd} to lose its last {}",
                    visible(&c.pipe),
                    if c.write { "reader" } else { "writer" }
                ));
            }
            let one = clauses.len() + hangup.len() == 1;
            let mut said: Vec<String> = clauses.iter().map(|c| clause(c, one)).collect();
            said.extend(hangup.iter().map(|(_, c)| hangup_said(c)));
            format!(
                "{} is blocked in {call}, an event loop waiting {} and on {own}; {}{}{}",
                who(w),
                targets.join(" or "),
                if one {
                    said.join("; ")
                } else {
                    format!("none of the pipes can become ready: {}", list(&said))
                },
                then(t),
                end(*e)
            )
        }
        Step::Other {
            who: w,
            what,
            end: e,
        } => format!("{}: {what}{}", who(w), end(*e)),
    }
}

pub(super) fn fix(f: &Fix) -> String {
    match f {
        Fix::Continue { pid, waiter: Some(w) } => format!(
            "continue it (kill -CONT {pid}), or let {} wait with WUNTRACED so that it sees the stop and can react",
            who(w)
        ),
        Fix::Continue { pid, waiter: None } => format!("continue it (kill -CONT {pid})"),
        Fix::FifoOrder => "open the FIFOs in the same order in every process (an open of a FIFO blocks until the other side is opened), or open one with O_RDWR or O_NONBLOCK".into(),
        Fix::NoForkFromThreads { parent, child } => format!(
            "do not fork from a multi-threaded program unless the child calls exec right away: in {}, use posix_spawn (or fork and exec at once) for {child}; if the child must run the program's own code, take its locks in a pthread_atfork prepare handler and release them in the parent and child handlers",
            proc_name(parent)
        ),
        Fix::BlockSigchldBeforeFork { who: w, call } => format!(
            "in {}, block SIGCHLD (sigprocmask) before fork and wait for it with sigsuspend, which unblocks it and waits in one step; or call waitpid instead of {call}: a SIGCHLD that arrives between the test of a flag and {call} is lost",
            who(w)
        ),
        Fix::SeeSteps => "see the steps: each names what the task waits for".into(),
        Fix::CloseOwnBeforeRead { who: w, fds, pipe } => format!(
            "close fd {} (its own copy of the write end of {}) in {} before reading: a reader sees EOF only once every write end is closed, its own included",
            nums(fds),
            visible(pipe),
            who(w)
        ),
        Fix::CloseBeforeWait { holder, fds, reader, pipe } => format!(
            "close fd {} in {holder} before waiting for {reader}: a reader sees EOF only once every write end of {} is closed",
            nums(fds),
            visible(pipe)
        ),
        Fix::CloseBeforePoll { holder, fds, reader, call, pipe } => format!(
            "close fd {} in {holder} as soon as it has written all it will, before it waits in {call}: {reader} sees EOF only once every write end of {} is closed, and it will not finish until then",
            nums(fds),
            visible(pipe)
        ),
        Fix::CloseWhenWritten { holder, fds, reader, pipe } => format!(
            "close fd {} in {holder} as soon as it has written all it will (close it after fork where it is not needed, or make it close-on-exec): {reader} sees EOF only once every write end of {} is closed",
            nums(fds),
            visible(pipe)
        ),
        Fix::ReadBeforeWait { reader, fd, child, capacity } => format!(
            "in {reader}, read fd {} until EOF before waiting for {child}: a pipe holds only {capacity} bytes, so a writer of more blocks until someone reads",
            fd.map(|f| f.to_string()).unwrap_or_default()
        ),
        Fix::ReadWhileWriting { feeder, filter, fd } => format!(
            "in {feeder}, read the output of {filter}{} while writing its input (poll(2), a second thread, or a temporary file) instead of writing everything before reading: both pipes are full and each side waits for the other to read",
            fd.map_or(String::new(), |f| format!(" on fd {f}"))
        ),
        Fix::CloseOwnBeforePoll { who: w, fds, pipe, call } => {
            let pipe = visible(pipe);
            format!(
                "close fd {} (its own copy of the write end of {pipe}) in {} before waiting in {call}: {pipe} becomes readable at EOF only once every write end is closed, its own included",
                nums(fds),
                who(w)
            )
        }
        Fix::CloseWhenWrittenPolled { holder, fds, waiter, call, pipe } => format!(
            "close fd {} in {holder} as soon as it has written all it will: {waiter} waits in {call} for {} to become readable, which happens at EOF only once every write end is closed",
            nums(fds),
            visible(pipe)
        ),
        Fix::CloseWatchedWriteEnd { holder, fds, reader, call, pipe } => {
            let pipe = visible(pipe);
            format!(
                "close fd {} in {holder} as soon as it has written all it will, and do not wait in {call} for {pipe} to lose its last reader (to learn that {reader} is done, wait for it with waitpid or a pidfd): {reader} reads {pipe} until EOF, which comes only once every write end is closed, this one included, so it never closes its read end",
                nums(fds)
            )
        }
        Fix::CloseForHangup { holder, fds, waiter, call, pipe, write } => {
            let pipe = visible(pipe);
            let (end, side) = if *write {
                ("read", "reader")
            } else {
                ("write", "writer")
            };
            if holder == waiter {
                format!(
                    "close fd {} (its own copy of the {end} end of {pipe}) in {waiter} before waiting in {call}: {pipe} loses its last {side} only once every {end} end is closed, its own included",
                    nums(fds)
                )
            } else {
                format!(
                    "close fd {} in {holder} as soon as it is done with it (close it after fork where it is not needed, or make it close-on-exec): {waiter} waits in {call} for {pipe} to lose its last {side}, which happens only once every {end} end is closed",
                    nums(fds)
                )
            }
        }
        Fix::UnlockBeforeWait { holder, fds, class, path, waiter, call } => format!(
            "in {holder}, release the lock on {} before waiting in {call} ({}, or close fd {}), or take the lock in {waiter} only: {waiter} cannot get it while {holder} holds it",
            visible(path),
            unlock(class, fds),
            nums(fds)
        ),
        Fix::BreakCycle => "break the cycle: see the steps, each names what the task waits for and who could release it".into(),
        Fix::DoNotInherit { holder, pipe, fd } => {
            let stdio = match fd {
                0 => " (for a background job: `cmd </dev/null &`)",
                1 => " (for a background job: `cmd >/dev/null &`)",
                2 => " (for a background job: `cmd 2>/dev/null &`)",
                _ => "",
            };
            format!(
                "do not let {} inherit the write end of {}: redirect or close fd {fd} when starting it{stdio}",
                proc_name(holder),
                visible(pipe)
            )
        }
        Fix::DaemonStdio { holder, pipe, fd } => format!(
            "when {} goes into the background, point its stdin, stdout and stderr at /dev/null (daemon(3) does; in a shell script, `exec </dev/null >/dev/null 2>&1` first thing), or start it with fd {fd} redirected: it inherited the write end of {} and keeps it open for as long as it serves",
            proc_name(holder),
            visible(pipe)
        ),
        Fix::ReadBothPipes { reader, fd, other_fd, writer, other, runtime } => {
            let theirs = match other_fd {
                Some(o) => format!("fd {fd} and fd {o}"),
                None => format!("fd {fd} and its read end of {}", visible(other)),
            };
            let how = match runtime {
                Some(Runtime::Python) => "use communicate() (or a thread per pipe) instead of reading one pipe to the end",
                None => "poll(2) both, or a thread per pipe, instead of reading one to the end",
            };
            format!(
                "in {reader}, read {theirs} at the same time: {how}; {writer} is blocked writing to {}, which is full, and only {reader} can read it, so the EOF on fd {fd} never comes",
                visible(other)
            )
        }
        Fix::StartOtherSideFirst { opener, paths, write } => {
            let fifos = list(&paths.iter().map(|p| visible(p).into_owned()).collect::<Vec<_>>());
            if *write {
                format!(
                    "start the reader of {fifos} first, in the background, before {} opens it for writing (in a shell: `reader <FIFO &` before `writer >FIFO`): an open of a FIFO for writing blocks until some process opens it for reading, and no process has it open or is opening it for reading",
                    who(opener)
                )
            } else {
                format!(
                    "start the writer of {fifos} first, in the background, before {} opens it for reading (in a shell: `writer >FIFO &` before `reader <FIFO`): an open of a FIFO for reading blocks until some process opens it for writing, and no process has it open or is opening it for writing",
                    who(opener)
                )
            }
        }
        Fix::InheritedWriteEnd { holder, fds, parent, forked, reader, pipe, runtime } => {
            let fds = nums(fds);
            let keep = match (runtime, forked) {
                (Some(Runtime::Python), true) => "start it before the pipe is made, or use the spawn start method: multiprocessing.set_start_method(\"spawn\") hands a worker none of the parent's fds",
                (Some(Runtime::Python), false) => "start it with close_fds=True and without these fds in pass_fds, or before the pipe is made",
                (None, true) => "start it before the pipe is made, or close the fds it does not use in the child right after fork",
                (None, false) => "make the pipe close-on-exec with pipe2(O_CLOEXEC), or start it before the pipe is made",
            };
            format!(
                "close fd {fds} in {} as soon as it starts, or keep it from inheriting the write end of {} ({keep}): it got it from {} and has written nothing at all, and {reader} sees EOF only once every write end is closed",
                proc_name(holder),
                visible(pipe),
                proc_name(parent)
            )
        }
    }
}

/// What a task is doing, for the task listing.
pub(super) fn doing(snap: &Snapshot, w: &Wait, timeout: Option<Timeout>) -> String {
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
        Wait::Sleeping { call } => match timeout {
            Some(t) => timed(call, t.asked_ns, t.left_ns),
            None => format!("sleeping with a timeout ({call})"),
        },
        Wait::ReadPipe { fd, pipe } => {
            format!(
                "reading {} via fd {fd} (empty{})",
                visible(pipe),
                fill(pipe)
            )
        }
        Wait::WritePipe { fd, pipe } => {
            format!("writing {} via fd {fd} (full{})", visible(pipe), fill(pipe))
        }
        Wait::Poll { call, fds, hangup } => {
            let mut ends = Vec::new();
            for f in fds {
                let (fd, pipe) = (f.fd, visible(&f.pipe));
                if f.read {
                    ends.push(format!(
                        "to read {pipe} via fd {fd} (empty{})",
                        fill(&f.pipe)
                    ));
                }
                if f.write {
                    ends.push(format!(
                        "to write to {pipe} via fd {fd} (full{})",
                        fill(&f.pipe)
                    ));
                }
            }
            ends.extend(hangup.iter().map(|h| hangup_target(h, true)));
            format!("waiting in {call} {}", ends.join(" or "))
        }
        Wait::OpenFifo { path, write } => format!(
            "opening the FIFO {}{}",
            visible(path),
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
        Wait::Loop {
            call,
            fds,
            wake,
            hangup,
        } => {
            let mut ends = Vec::new();
            for f in fds {
                let (fd, pipe) = (f.fd, visible(&f.pipe));
                if f.read {
                    ends.push(format!(
                        "to read {pipe} via fd {fd} (empty{})",
                        fill(&f.pipe)
                    ));
                }
                if f.write {
                    ends.push(format!(
                        "to write to {pipe} via fd {fd} (full{})",
                        fill(&f.pipe)
                    ));
                }
            }
            ends.extend(hangup.iter().map(|h| hangup_target(h, true)));
            ends.push(format!("on its own wake-up {}", wakes(wake)));
            format!("an event loop in {call}, waiting {}", ends.join(" or "))
        }
        Wait::Signal { call } => format!("waiting for a signal ({call})"),
        Wait::Futex { .. } => "waiting on a futex".into(),
        Wait::Lock { call, fd, .. } => format!("taking a file lock in {call} via fd {fd}"),
        Wait::External { call, .. } if call == "?" => {
            "blocked in a syscall /proc does not show (permission)".into()
        }
        Wait::External { call, what } => {
            if what.is_empty() {
                format!("in {call}")
            } else {
                format!("in {call} on {}", visible(what))
            }
        }
    }
}

pub(super) fn recorded(r: &Recorded<'_>) -> (String, String, String, String) {
    let when = match r.stalled_ns {
        Some(ns) => format!(" after {} without progress", duration(ns)),
        None => String::new(),
    };
    let ending = if r.killed {
        " forkscope killed the traced processes (--on-deadlock kill)."
    } else {
        ""
    };
    (
        format!("{}{}", super::kind_of_recorded(Lang::En, r.kind), r.summary),
        format!(
            "forkscope found this while recording{when}, from /proc: {}{ending}",
            r.steps.join(" ")
        ),
        r.fix.clone(),
        format!("the hang is found live: {}", r.summary),
    )
}

/// ` (flock)`, ` (fcntl)`, ` (an OFD lock)`: how the lock was taken.
fn lock_class(class: &str) -> &'static str {
    match class {
        "FLOCK" => " (flock)",
        "POSIX" => " (fcntl/lockf)",
        "OFDLCK" => " (an OFD lock)",
        _ => "",
    }
}

/// How to release a lock of `class` held by `fds`.
fn unlock(class: &str, fds: &[i32]) -> String {
    let fd = fds.first().copied().unwrap_or(-1);
    match class {
        "FLOCK" => format!("flock({fd}, LOCK_UN)"),
        "OFDLCK" => format!("fcntl({fd}, F_OFD_SETLK) with l_type F_UNLCK"),
        _ => format!("fcntl({fd}, F_SETLK) with l_type F_UNLCK, or lockf({fd}, F_ULOCK, 0)"),
    }
}
