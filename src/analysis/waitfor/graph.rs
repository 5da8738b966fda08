//! The wait-for graph: who can release each blocked task, which tasks are
//! stuck (every releaser stuck too), the cycles among them, and each group
//! of stuck tasks as a [`Hang`] of facts (no words: `words::hang` has them).

use crate::model::snapshot::{PipeInfo, Snapshot, Task};
use crate::model::wait::{classify, PolledPipe, Wait, WaitTarget};
use crate::trace::hang::{
    Doing, End, FdRole, Fix, Hang, HangFacts, HangFd, HangKind, Holder, PollClause, ProcName, Step,
    Summary, Then, Who,
};
use crate::trace::Pid;
use std::collections::{BTreeMap, HashSet};

/// Who can release a blocked task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Releasers {
    /// These processes (holders of the other end, the children waited for).
    Procs(Vec<Pid>),
    /// Any other process (by a signal, by opening the FIFO).
    Anyone,
    /// Another thread of the same process, or (shared) any other process.
    Threads { shared: bool },
    /// Nobody can be named: treat the task as free.
    Free,
    /// Nobody in the tree will (a lost wakeup, [`super::signals`]): stuck
    /// as long as every other task is.
    Nobody,
}

pub(super) fn dedup(mut v: Vec<Pid>) -> Vec<Pid> {
    let mut seen = HashSet::new();
    v.retain(|p| seen.insert(*p));
    v
}

/// The children of process `pid` a wait for `target` covers, alive or zombie.
pub(super) fn covered_children(snap: &Snapshot, waiter: &Task, target: WaitTarget) -> Vec<Pid> {
    let kids: Vec<&Task> = snap
        .tasks
        .iter()
        .filter(|c| c.ppid == waiter.pid && c.tid == c.pid && c.pid != waiter.pid)
        .collect();
    dedup(
        kids.into_iter()
            .filter(|c| match target {
                WaitTarget::Any => true,
                WaitTarget::OwnGroup => c.pgid == waiter.pgid,
                WaitTarget::Group(g) => c.pgid == g,
                WaitTarget::Child(p) => c.pid == p,
            })
            .map(|c| c.pid)
            .collect(),
    )
}

/// Who can make `pipe` readable (`write` false: its writers) or writable
/// (`write` true: its readers) for a task waiting on it.
fn pipe_releasers(snap: &Snapshot, pipe: &str, write: bool) -> Releasers {
    let fill = snap.pipe(pipe).and_then(|i| i.fill);
    let (readers, writers) = snap.holders(pipe);
    let others = if write {
        if fill == Some(0) {
            return Releasers::Free;
        }
        readers // none: EPIPE is due; or holders we cannot see
    } else {
        if fill.is_some_and(|n| n > 0) {
            return Releasers::Free; // data is there: it is about to read it
        }
        writers // none: EOF is due; or holders we cannot see
    };
    if others.is_empty() {
        return Releasers::Free;
    }
    Releasers::Procs(dedup(others.into_iter().map(|h| h.0).collect()))
}

/// Who can release a multiplexer through the ends it watches only for the
/// other side to go: every holder of that side must close it (a write
/// end's readers, a read end's writers), whatever data or room the pipe
/// has. None when one of them has no such holder left (its POLLERR or
/// POLLHUP is due).
fn hangup_closers(snap: &Snapshot, hangup: &[PolledPipe]) -> Option<Vec<Pid>> {
    let mut closers = Vec::new();
    for h in hangup {
        let (readers, writers) = snap.holders(&h.pipe);
        let others = if h.write { readers } else { writers };
        if others.is_empty() {
            return None;
        }
        closers.extend(others.into_iter().map(|o| o.0));
    }
    Some(closers)
}

pub(super) fn releasers(snap: &Snapshot, t: &Task, w: &Wait) -> Releasers {
    match w {
        Wait::ReadPipe { pipe, .. } => pipe_releasers(snap, pipe, false),
        Wait::WritePipe { pipe, .. } => pipe_releasers(snap, pipe, true),
        Wait::Poll { fds, hangup, .. } => {
            // Any one fd becoming ready releases it: the union of the
            // releasers of each, free as soon as one is.
            let Some(mut all) = hangup_closers(snap, hangup) else {
                return Releasers::Free;
            };
            for f in fds {
                for (wanted, write) in [(f.read, false), (f.write, true)] {
                    if !wanted {
                        continue;
                    }
                    match pipe_releasers(snap, &f.pipe, write) {
                        Releasers::Procs(ps) => all.extend(ps),
                        _ => return Releasers::Free,
                    }
                }
            }
            if all.is_empty() {
                return Releasers::Free;
            }
            Releasers::Procs(dedup(all))
        }
        Wait::Loop { fds, hangup, .. } => {
            // Its own wake-up fds only its own threads can make ready; with
            // no pipe besides, it waits like a pause() does.
            if fds.is_empty() && hangup.is_empty() {
                return Releasers::Anyone;
            }
            // An end watched for the other side to go waits for its holders.
            let Some(closers) = hangup_closers(snap, hangup) else {
                return Releasers::Free;
            };
            let polled = Wait::Poll {
                call: String::new(),
                fds: fds.clone(),
                hangup: Vec::new(),
            };
            let of_fds = if fds.is_empty() {
                Releasers::Procs(Vec::new())
            } else {
                releasers(snap, t, &polled)
            };
            match of_fds {
                Releasers::Procs(mut ps) => {
                    ps.extend(closers);
                    if snap.threads(t.pid).count() > 1 {
                        ps.push(t.pid);
                    }
                    Releasers::Procs(dedup(ps))
                }
                other => other,
            }
        }
        Wait::Child { target, .. } => {
            let kids = covered_children(snap, t, *target);
            let zombie = kids.iter().any(|k| {
                snap.threads(*k)
                    .all(|c| matches!(classify(snap, c), Wait::Zombie))
            });
            if kids.is_empty() || zombie {
                Releasers::Free
            } else {
                Releasers::Procs(kids)
            }
        }
        Wait::Signal { call } if super::signals::lost_wakeup(snap, t, call).is_some() => {
            Releasers::Nobody
        }
        Wait::OpenFifo { .. } | Wait::Signal { .. } | Wait::Stopped => Releasers::Anyone,
        Wait::Futex { shared } => Releasers::Threads { shared: *shared },
        Wait::Lock { fd, .. } => super::locks::releasers(snap, t, *fd),
        _ => Releasers::Free,
    }
}
/// The analysis state the hangs are built from.
pub(super) struct Graph<'a> {
    pub(super) snap: &'a Snapshot,
    pub(super) waits: &'a [Wait],
    pub(super) rel: &'a [Releasers],
    pub(super) stuck: &'a [bool],
}

/// A task as a hang names it.
pub(super) fn who(t: &Task) -> Who {
    Who {
        pid: t.pid,
        tid: t.tid,
        name: t.name.clone(),
        comm: t.comm.clone(),
    }
}

impl Graph<'_> {
    /// Process `pid`, with its program when the snapshot has it.
    pub(super) fn proc_name(&self, pid: Pid) -> ProcName {
        ProcName {
            pid,
            name: self.snap.threads(pid).next().map(|t| t.name.clone()),
            comm: self.snap.threads(pid).next().and_then(|t| t.comm.clone()),
        }
    }

    /// The holders of the write end (`writers`) or read end of `pipe`, by
    /// process in order of first appearance, and the raw (pid, fd) pairs.
    pub(super) fn holders(
        &self,
        me: &Task,
        pipe: &str,
        writers: bool,
    ) -> (Vec<Holder>, Vec<(Pid, i32)>) {
        let (r, w) = self.snap.holders(pipe);
        let hs = if writers { w } else { r };
        let mut by_pid: BTreeMap<Pid, Vec<i32>> = BTreeMap::new();
        let mut order = Vec::new();
        for (p, fd) in &hs {
            if !by_pid.contains_key(p) {
                order.push(*p);
            }
            by_pid.entry(*p).or_default().push(*fd);
        }
        let out = order
            .iter()
            .map(|p| Holder {
                proc: self.proc_name(*p),
                fds: by_pid[p].clone(),
                itself: *p == me.pid,
            })
            .collect();
        (out, hs)
    }

    /// The stuck tasks that task `i` waits for directly, through a pipe or a
    /// child (the edges a cycle is made of), own process last.
    fn specific_edges(&self, i: usize) -> Vec<usize> {
        let t = &self.snap.tasks[i];
        let ps = match &self.rel[i] {
            Releasers::Procs(ps) => ps,
            Releasers::Threads { .. } => {
                return (0..self.snap.tasks.len())
                    .filter(|&j| j != i && self.stuck[j] && self.snap.tasks[j].pid == t.pid)
                    .collect();
            }
            _ => return Vec::new(),
        };
        let mut ps = ps.clone();
        ps.sort_by_key(|p| *p == t.pid);
        let mut out = Vec::new();
        for p in ps {
            for (j, o) in self.snap.tasks.iter().enumerate() {
                if o.pid == p && self.stuck[j] && j != i {
                    out.push(j);
                    break;
                }
            }
            if p == t.pid && out.is_empty() && self.stuck[i] {
                // Its own process holds the other end and has no other
                // stuck thread: it waits for itself.
                out.push(i);
            }
        }
        out
    }

    /// A cycle through `start` along specific edges, if any.
    fn cycle_from(&self, start: usize) -> Option<Vec<usize>> {
        // Iterative DFS keeping the path.
        let mut path = vec![start];
        let mut next = vec![0usize];
        let mut on_path: HashSet<usize> = HashSet::from([start]);
        let mut done: HashSet<usize> = HashSet::new();
        while let Some(&cur) = path.last() {
            let edges = self.specific_edges(cur);
            let k = next.last_mut().expect("same depth as path");
            if *k >= edges.len() {
                done.insert(cur);
                on_path.remove(&cur);
                path.pop();
                next.pop();
                continue;
            }
            let n = edges[*k];
            *k += 1;
            if n == start {
                return Some(path);
            }
            if on_path.contains(&n) || done.contains(&n) {
                continue;
            }
            on_path.insert(n);
            path.push(n);
            next.push(0);
        }
        None
    }

    /// Groups the stuck tasks (linked by any wait) and explains each group.
    pub(super) fn stuck_hangs(&self) -> Vec<Hang> {
        let n = self.snap.tasks.len();
        // Union-find over stuck tasks, joined by specific edges and by
        // threads of one process.
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], x: usize) -> usize {
            let mut r = x;
            while p[r] != r {
                r = p[r];
            }
            p[x] = r;
            r
        }
        for i in 0..n {
            if !self.stuck[i] {
                continue;
            }
            let mut linked = self.specific_edges(i);
            let pid = self.snap.tasks[i].pid;
            linked.extend((0..n).filter(|&j| self.stuck[j] && self.snap.tasks[j].pid == pid));
            for j in linked {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
        // A task waiting on "anyone" (a FIFO, a signal) is stuck only when
        // every other process is: it belongs with all of them in one hang.
        let anyone: Vec<usize> = (0..n)
            .filter(|&i| self.stuck[i] && matches!(self.rel[i], Releasers::Anyone))
            .filter(|&i| !matches!(self.waits[i], Wait::Stopped))
            .collect();
        if let Some(&first) = anyone.first() {
            for j in (0..n).filter(|&j| self.stuck[j]) {
                let (a, b) = (find(&mut parent, first), find(&mut parent, j));
                parent[a] = b;
            }
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            if self.stuck[i] {
                let r = find(&mut parent, i);
                groups.entry(r).or_default().push(i);
            }
        }
        let mut hangs = Vec::new();
        for members in groups.values() {
            // A group of stopped tasks only (a job stopped with Ctrl-Z) is
            // not a hang: nobody is blocked on it.
            if members
                .iter()
                .all(|&i| matches!(self.waits[i], Wait::Stopped))
            {
                continue;
            }
            hangs.push(self.explain(members));
        }
        hangs
    }

    /// One hang for a group of stuck tasks.
    fn explain(&self, members: &[usize]) -> Hang {
        // Start the cycle search at a pipe waiter (the most telling edge).
        let mut order: Vec<usize> = members.to_vec();
        order.sort_by_key(|&i| match self.waits[i] {
            Wait::ReadPipe { .. } | Wait::WritePipe { .. } | Wait::Lock { .. } => (0, i),
            Wait::Poll { .. } => (1, i),
            Wait::Child { .. } => (2, i),
            _ => (3, i),
        });
        let cycle = order.iter().find_map(|&i| self.cycle_from(i));
        let mut steps = Vec::new();
        let mut told: Vec<usize> = Vec::new();
        let mut fds = Vec::new();
        let mut pipes = Vec::new();
        if let Some(cyc) = &cycle {
            let mut chain: Vec<(usize, usize)> = Vec::new();
            for (k, &i) in cyc.iter().enumerate() {
                let next = cyc[(k + 1) % cyc.len()];
                told.push(i);
                // A wait for a child was said already by the previous
                // step ("..., which is blocked in wait4 for 4102").
                if k > 0 && matches!(self.waits[i], Wait::Child { .. }) {
                    continue;
                }
                chain.push((i, next));
            }
            let last = chain.len() - 1;
            for (k, (i, next)) in chain.into_iter().enumerate() {
                let end = if k == last { End::Cycle } else { End::Next };
                steps.push(self.step(i, Some(next), end, &mut fds, &mut pipes));
            }
        }
        // The other blocked members, pipe waits first.
        for &i in &order {
            if told.contains(&i) || matches!(self.waits[i], Wait::Stopped) {
                continue;
            }
            steps.push(self.step(i, None, End::Alone, &mut fds, &mut pipes));
            told.push(i);
        }
        // Stopped members last.
        let mut stopped = Vec::new();
        for &i in &order {
            if matches!(self.waits[i], Wait::Stopped) && !told.contains(&i) {
                stopped.push(i);
                steps.push(Step::Stopped {
                    who: who(&self.snap.tasks[i]),
                });
                told.push(i);
            }
        }
        let tasks: Vec<Pid> = told.iter().map(|&i| self.snap.tasks[i].tid).collect();
        let (kind, summary, fix) = match &cycle {
            Some(cyc) => {
                let names: Vec<Who> = cyc.iter().map(|&i| who(&self.snap.tasks[i])).collect();
                let summary = if cyc.len() == 1 {
                    Summary::WaitsForItself {
                        who: names[0].clone(),
                    }
                } else {
                    Summary::WaitForEachOther { tasks: names }
                };
                (HangKind::Deadlock, summary, self.fix(cyc))
            }
            None => {
                let (summary, fix) = self.stuck_summary(&order, &stopped);
                (HangKind::Stuck, summary, fix)
            }
        };
        let mut seen = HashSet::new();
        fds.retain(|f: &HangFd| seen.insert((f.pid, f.fd)));
        let mut extra: Vec<Pid> = fds
            .iter()
            .map(|f| f.pid)
            .filter(|p| {
                !tasks
                    .iter()
                    .any(|t| self.snap.task(*t).is_some_and(|t| t.pid == *p))
            })
            .collect();
        extra.dedup();
        let mut all = tasks;
        all.extend(extra);
        // The unreaped children a lost wakeup leaves behind.
        for s in &steps {
            if let Step::LostWakeup { zombies, .. } = s {
                for z in zombies {
                    if !all.contains(&z.pid) {
                        all.push(z.pid);
                    }
                }
            }
        }
        Hang {
            kind,
            facts: HangFacts {
                summary,
                steps,
                fix,
            },
            cycle: cycle
                .unwrap_or_default()
                .iter()
                .map(|&i| self.snap.tasks[i].tid)
                .collect(),
            tasks: all,
            fds,
            pipes,
        }
    }

    /// Summary and fix of a group without a cycle.
    fn stuck_summary(&self, order: &[usize], stopped: &[usize]) -> (Summary, Fix) {
        let names: Vec<Who> = order
            .iter()
            .filter(|&&i| !matches!(self.waits[i], Wait::Stopped))
            .map(|&i| who(&self.snap.tasks[i]))
            .collect();
        if let Some(&s) = stopped.first() {
            let pid = self.snap.tasks[s].pid;
            let waiter = order.iter().find(|&&i| {
                matches!(&self.waits[i], Wait::Child { stops: false, .. })
                    && matches!(&self.rel[i], Releasers::Procs(ps) if ps.contains(&pid))
            });
            return (
                Summary::BlockedOnStopped {
                    blocked: names,
                    stopped: who(&self.snap.tasks[s]),
                },
                Fix::Continue {
                    pid,
                    waiter: waiter.map(|&w| who(&self.snap.tasks[w])),
                },
            );
        }
        if let Some(&i) = order.iter().find(|&&i| self.rel[i] == Releasers::Nobody) {
            let t = &self.snap.tasks[i];
            if let Wait::Signal { call } = &self.waits[i] {
                return (
                    Summary::LostWakeup {
                        who: who(t),
                        call: call.clone(),
                        zombies: self.zombies(t, call),
                    },
                    Fix::BlockSigchldBeforeFork {
                        who: who(t),
                        call: call.clone(),
                    },
                );
            }
        }
        if let Some((i, (parent, _))) = order
            .iter()
            .find_map(|&i| self.fork_copied_lock(i).map(|p| (i, p)))
        {
            let t = &self.snap.tasks[i];
            return (
                Summary::ForkCopiedLock {
                    who: who(t),
                    parent: self.proc_name(parent),
                },
                Fix::NoForkFromThreads {
                    parent: self.proc_name(parent),
                    child: t.pid,
                },
            );
        }
        let mut paths: Vec<String> = order
            .iter()
            .filter_map(|&i| match &self.waits[i] {
                Wait::OpenFifo { path, .. } => Some(path.clone()),
                _ => None,
            })
            .collect();
        if !paths.is_empty() {
            paths.sort();
            paths.dedup();
            let openers = order
                .iter()
                .filter(|&&i| matches!(self.waits[i], Wait::OpenFifo { .. }))
                .map(|&i| who(&self.snap.tasks[i]))
                .collect();
            let fix = self.fifo_fix(order).unwrap_or(Fix::FifoOrder);
            return (Summary::FifoOpens { openers, paths }, fix);
        }
        (Summary::Blocked { tasks: names }, Fix::SeeSteps)
    }

    /// What task `i` does, as a step; `next` is the task it waits for in a
    /// cycle (the step then ends by naming what that one does). Every fd
    /// and pipe it names goes into `fds` and `pipes`.
    fn step(
        &self,
        i: usize,
        next: Option<usize>,
        end: End,
        fds: &mut Vec<HangFd>,
        pipes: &mut Vec<String>,
    ) -> Step {
        let t = &self.snap.tasks[i];
        let me = who(t);
        let mut add_pipe = |p: &String| {
            if !pipes.contains(p) {
                pipes.push(p.clone());
            }
        };
        let hang_fd = |pid: Pid, fd: i32, pipe: &str, role: FdRole| HangFd {
            pid,
            fd,
            pipe: pipe.to_string(),
            role,
        };
        match &self.waits[i] {
            Wait::ReadPipe { fd, pipe } => {
                add_pipe(pipe);
                fds.push(hang_fd(t.pid, *fd, pipe, FdRole::BlockedReader));
                let (writers, hs) = self.holders(t, pipe, true);
                for (p, f) in hs {
                    fds.push(hang_fd(p, f, pipe, FdRole::Writer));
                }
                Step::ReadPipe {
                    who: me,
                    fd: *fd,
                    pipe: pipe.clone(),
                    writers,
                    then: self.then(i, next),
                    end,
                }
            }
            Wait::WritePipe { fd, pipe } => {
                add_pipe(pipe);
                fds.push(hang_fd(t.pid, *fd, pipe, FdRole::BlockedWriter));
                let (readers, hs) = self.holders(t, pipe, false);
                for (p, f) in hs {
                    fds.push(hang_fd(p, f, pipe, FdRole::Reader));
                }
                let fill = match self.snap.pipe(pipe) {
                    Some(PipeInfo {
                        fill: Some(f),
                        capacity: Some(c),
                        ..
                    }) => Some((*f, *c)),
                    _ => None,
                };
                Step::WritePipe {
                    who: me,
                    fd: *fd,
                    pipe: pipe.clone(),
                    fill,
                    readers,
                    then: self.then(i, next),
                    end,
                }
            }
            Wait::Child { call, target, .. } => {
                let kids = match &self.rel[i] {
                    Releasers::Procs(ps) => ps.clone(),
                    _ => Vec::new(),
                };
                let among = next
                    .map(|n| &self.snap.tasks[n])
                    .and_then(|nt| (!kids.contains(&nt.pid) || kids.len() > 1).then(|| who(nt)));
                Step::Child {
                    who: me,
                    call: call.clone(),
                    target: *target,
                    kids: kids.iter().map(|k| self.proc_name(*k)).collect(),
                    among,
                    end,
                }
            }
            Wait::OpenFifo { path, write } => Step::OpenFifo {
                who: me,
                path: path.clone(),
                write: *write,
                end,
            },
            Wait::Poll {
                call,
                fds: polled,
                hangup,
            } => {
                self.poll_fds(t, polled, fds, &mut add_pipe);
                self.poll_fds(t, hangup, fds, &mut add_pipe);
                Step::Poll {
                    who: me,
                    call: call.clone(),
                    fds: polled.clone(),
                    clauses: self.poll_clauses(t, next, polled),
                    hangup: self.hangup_clauses(t, hangup),
                    then: self.then(i, next),
                    end,
                }
            }
            Wait::Loop {
                call,
                fds: polled,
                wake,
                hangup,
            } => {
                self.poll_fds(t, polled, fds, &mut add_pipe);
                self.poll_fds(t, hangup, fds, &mut add_pipe);
                let hangup = self.hangup_clauses(t, hangup);
                Step::Loop {
                    who: me,
                    call: call.clone(),
                    fds: polled.clone(),
                    wake: wake.clone(),
                    clauses: self.poll_clauses(t, next, polled),
                    hangup,
                    then: self.then(i, next),
                    end,
                }
            }
            Wait::Signal { call } if self.rel[i] == Releasers::Nobody => Step::LostWakeup {
                who: me,
                call: call.clone(),
                zombies: self.zombies(t, call),
                end,
            },
            Wait::Signal { call } => Step::Signal {
                who: me,
                call: call.clone(),
                end,
            },
            Wait::Futex { .. } => match self.fork_copied_lock(i) {
                Some((parent, threads)) => Step::ForkCopiedLock {
                    who: me,
                    parent: self.proc_name(parent),
                    threads,
                    end,
                },
                None => Step::Futex { who: me, end },
            },
            Wait::Lock { .. } => self.lock_step(i, next, end, fds),
            other => Step::Other {
                who: me,
                what: format!("{other:?}"),
                end,
            },
        }
    }

    /// The fds of a multiplexer's pipe ends and of the other side's
    /// holders, into `fds` (and the pipes through `add_pipe`).
    fn poll_fds(
        &self,
        t: &Task,
        polled: &[PolledPipe],
        fds: &mut Vec<HangFd>,
        add_pipe: &mut dyn FnMut(&String),
    ) {
        for f in polled {
            add_pipe(&f.pipe);
            let role = if f.read {
                FdRole::BlockedReader
            } else {
                FdRole::BlockedWriter
            };
            fds.push(HangFd {
                pid: t.pid,
                fd: f.fd,
                pipe: f.pipe.clone(),
                role,
            });
            for (wanted, writers, role) in [
                (f.read, true, FdRole::Writer),
                (f.write, false, FdRole::Reader),
            ] {
                if wanted {
                    for (p, fd) in self.holders(t, &f.pipe, writers).1 {
                        fds.push(HangFd {
                            pid: p,
                            fd,
                            pipe: f.pipe.clone(),
                            role,
                        });
                    }
                }
            }
        }
    }

    /// The ends `t` watches only for the other side to go, each by fd with
    /// the holders of that side (a write end's readers, a read end's
    /// writers).
    fn hangup_clauses(&self, t: &Task, hangup: &[PolledPipe]) -> Vec<(i32, PollClause)> {
        hangup
            .iter()
            .map(|h| {
                (
                    h.fd,
                    PollClause {
                        pipe: h.pipe.clone(),
                        write: h.write,
                        holders: self.holders(t, &h.pipe, !h.write).0,
                    },
                )
            })
            .collect()
    }

    /// What task `t`, blocked on the pipe ends `fds`, waits for: each end it
    /// could wake on, and who holds the other side of each; the end that
    /// `next` (in a cycle) holds comes last, just before what `next` does.
    fn poll_clauses(&self, t: &Task, next: Option<usize>, fds: &[PolledPipe]) -> Vec<PollClause> {
        let next_pid = next.map(|n| self.snap.tasks[n].pid);
        let mut clauses = Vec::new();
        for f in fds {
            for (wanted, write) in [(f.read, false), (f.write, true)] {
                if wanted {
                    clauses.push(PollClause {
                        pipe: f.pipe.clone(),
                        write,
                        holders: self.holders(t, &f.pipe, !write).0,
                    });
                }
            }
        }
        clauses
            .sort_by_key(|c| next_pid.is_some_and(|p| c.holders.iter().any(|h| h.proc.pid == p)));
        clauses
    }

    /// What `next` does, briefly (for the lock steps of `locks.rs`).
    pub(super) fn then_of(&self, i: usize, next: Option<usize>) -> Option<Then> {
        self.then(i, next)
    }

    /// What `next` does, briefly (none when it is `i` itself).
    fn then(&self, i: usize, next: Option<usize>) -> Option<Then> {
        let n = next?;
        if n == i {
            return None;
        }
        let nt = &self.snap.tasks[n];
        let doing = match &self.waits[n] {
            Wait::Child { call, target, .. } => Doing::Child {
                call: call.clone(),
                target: *target,
            },
            Wait::ReadPipe { pipe, fd } => Doing::ReadPipe {
                pipe: pipe.clone(),
                fd: *fd,
            },
            Wait::WritePipe { pipe, fd } => Doing::WritePipe {
                pipe: pipe.clone(),
                fd: *fd,
            },
            Wait::Poll { call, fds, hangup } => Doing::Poll {
                call: call.clone(),
                fds: fds.clone(),
                hangup: hangup.clone(),
            },
            Wait::OpenFifo { path, .. } => Doing::OpenFifo { path: path.clone() },
            Wait::Futex { .. } => Doing::Futex,
            Wait::Loop {
                call, fds, hangup, ..
            } => Doing::Loop {
                call: call.clone(),
                fds: fds.clone(),
                hangup: hangup.clone(),
            },
            Wait::Lock { call, fd, .. } => Doing::Lock {
                call: call.clone(),
                fd: *fd,
            },
            _ => Doing::Blocked,
        };
        Some(Then {
            thread: (nt.tid != nt.pid).then_some(nt.tid),
            doing,
        })
    }

    /// The fix for a deadlock cycle, from its most telling edge.
    fn fix(&self, cyc: &[usize]) -> Fix {
        // A lock held while waiting around the cycle: releasing it first
        // breaks the cycle whatever the other edges are.
        if let Some(f) = self.lock_fix_of(cyc) {
            return f;
        }
        for (k, &i) in cyc.iter().enumerate() {
            let t = &self.snap.tasks[i];
            let next = cyc[(k + 1) % cyc.len()];
            let nt = &self.snap.tasks[next];
            if let Some(f) = self.hangup_fix(i, next) {
                return f;
            }
            if let Some(f) = self.read_edge_fix(i, next) {
                return f;
            }
            match &self.waits[i] {
                Wait::ReadPipe { pipe, .. } => {
                    let (_, writers) = self.snap.holders(pipe);
                    let fds: Vec<i32> = writers
                        .iter()
                        .filter(|h| h.0 == nt.pid)
                        .map(|h| h.1)
                        .collect();
                    let pipe = pipe.clone();
                    if nt.pid == t.pid {
                        return Fix::CloseOwnBeforeRead {
                            who: who(t),
                            fds,
                            pipe,
                        };
                    }
                    let (holder, reader) = (nt.pid, t.pid);
                    return match &self.waits[next] {
                        Wait::Child { .. } => Fix::CloseBeforeWait {
                            holder,
                            fds,
                            reader,
                            pipe,
                        },
                        // Feeding a child and then waiting for its output
                        // (subprocess with stdin=PIPE, stdout=PIPE and no
                        // close of stdin): the child's EOF never comes.
                        Wait::Poll { call, .. } => Fix::CloseBeforePoll {
                            holder,
                            fds,
                            reader,
                            call: call.clone(),
                            pipe,
                        },
                        Wait::Loop { call, .. } => Fix::CloseBeforePoll {
                            holder,
                            fds,
                            reader,
                            call: call.clone(),
                            pipe,
                        },
                        _ => Fix::CloseWhenWritten {
                            holder,
                            fds,
                            reader,
                            pipe,
                        },
                    };
                }
                Wait::WritePipe { pipe, .. } => {
                    let (readers, _) = self.snap.holders(pipe);
                    let rfd = readers.iter().find(|h| h.0 == nt.pid).map(|h| h.1);
                    match &self.waits[next] {
                        Wait::Child { .. } => {
                            let capacity = self
                                .snap
                                .pipe(pipe)
                                .and_then(|p| p.capacity)
                                .unwrap_or(65536);
                            return Fix::ReadBeforeWait {
                                reader: nt.pid,
                                fd: rfd,
                                child: t.pid,
                                capacity,
                            };
                        }
                        Wait::WritePipe { pipe: back, .. } => {
                            // Fix the parent of the pair: it feeds the child
                            // and collects its output.
                            let (feeder, filter, out_pipe) = if t.ppid == nt.pid {
                                (nt, t, pipe)
                            } else {
                                (t, nt, back)
                            };
                            let (readers, _) = self.snap.holders(out_pipe);
                            return Fix::ReadWhileWriting {
                                feeder: feeder.pid,
                                filter: filter.pid,
                                fd: readers.iter().find(|h| h.0 == feeder.pid).map(|h| h.1),
                            };
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        // Only multiplexers around the cycle: name the pipes whose write end
        // the next process could close.
        for (k, &i) in cyc.iter().enumerate() {
            let t = &self.snap.tasks[i];
            let nt = &self.snap.tasks[cyc[(k + 1) % cyc.len()]];
            let Wait::Poll { call, fds, .. } = &self.waits[i] else {
                continue;
            };
            for f in fds.iter().filter(|f| f.read) {
                let (_, writers) = self.snap.holders(&f.pipe);
                let mine: Vec<i32> = writers
                    .iter()
                    .filter(|h| h.0 == nt.pid)
                    .map(|h| h.1)
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                return if nt.pid == t.pid {
                    Fix::CloseOwnBeforePoll {
                        who: who(t),
                        fds: mine,
                        pipe: f.pipe.clone(),
                        call: call.clone(),
                    }
                } else {
                    Fix::CloseWhenWrittenPolled {
                        holder: nt.pid,
                        fds: mine,
                        waiter: t.pid,
                        call: call.clone(),
                        pipe: f.pipe.clone(),
                    }
                };
            }
        }
        Fix::BreakCycle
    }

    /// The exited, unreaped children of a task whose signal wait is lost.
    fn zombies(&self, t: &Task, call: &str) -> Vec<ProcName> {
        super::signals::lost_wakeup(self.snap, t, call)
            .unwrap_or_default()
            .into_iter()
            .map(|p| self.proc_name(p))
            .collect()
    }

    /// Is every live task of process `pid` stuck (and has it one)?
    pub(super) fn proc_is_stuck(&self, pid: Pid) -> bool {
        let mut any = false;
        for (j, t) in self.snap.tasks.iter().enumerate() {
            if t.pid == pid && !matches!(self.waits[j], Wait::Zombie) {
                any = true;
                if !self.stuck[j] {
                    return false;
                }
            }
        }
        any
    }
}
