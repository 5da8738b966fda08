//! The EOF-held-open heuristic: a reader waits for EOF on a pipe whose
//! write end is held only by an orphaned process that has never written a
//! byte and is not running (a background job that inherited a pipeline's
//! stdout: `{ sleep 30 & echo hi; } | cat`). No cycle: the reader will
//! wait until that process exits, which may be never.

use super::graph::{dedup, who, Graph, Releasers};
use crate::model::wait::Wait;
use crate::trace::hang::{
    FdRole, Fix, Hang, HangFacts, HangFd, HangKind, Idle, IdleHolder, Step, Summary,
};
use crate::trace::Pid;
use std::collections::HashSet;

impl Graph<'_> {
    /// Readers waiting for EOF that an idle orphan holds back.
    pub(super) fn eof_held_open(&self) -> Vec<Hang> {
        let snap = self.snap;
        let in_tree: HashSet<Pid> = snap
            .tasks
            .iter()
            .filter(|t| t.in_tree)
            .map(|t| t.pid)
            .collect();
        let proc_idle = |pid: Pid| {
            snap.tasks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.pid == pid)
                .all(|(j, _)| self.stuck[j] || self.waits[j].idle())
        };
        let wchar = |pid: Pid| -> u64 { snap.threads(pid).map(|t| t.progress.wchar).sum() };
        // Reparented: a process of the tree whose parent is no longer in it,
        // or any process whose parent is now init.
        let orphan = |pid: Pid| {
            snap.threads(pid).next().is_some_and(|t| {
                pid != snap.root && (t.ppid == 1 || (t.in_tree && !in_tree.contains(&t.ppid)))
            })
        };
        let mut out = Vec::new();
        for (i, t) in snap.tasks.iter().enumerate() {
            let Wait::ReadPipe { fd, pipe } = &self.waits[i] else {
                continue;
            };
            if self.stuck[i] || !t.in_tree || !matches!(self.rel[i], Releasers::Procs(_)) {
                continue;
            }
            let (_, writers) = snap.holders(pipe);
            let holders = dedup(writers.iter().map(|h| h.0).collect());
            let leaked: Vec<Pid> = holders
                .iter()
                .copied()
                .filter(|p| *p != t.pid && proc_idle(*p) && wchar(*p) == 0 && orphan(*p))
                .collect();
            let others_ok = holders
                .iter()
                .all(|p| leaked.contains(p) || *p == t.pid || self.proc_is_stuck(*p));
            if leaked.is_empty() || !others_ok {
                continue;
            }
            let mut fds = vec![HangFd {
                pid: t.pid,
                fd: *fd,
                pipe: pipe.clone(),
                role: FdRole::BlockedReader,
            }];
            let mut idle = Vec::new();
            for p in &leaked {
                let pfds: Vec<i32> = writers.iter().filter(|h| h.0 == *p).map(|h| h.1).collect();
                for f in &pfds {
                    fds.push(HangFd {
                        pid: *p,
                        fd: *f,
                        pipe: pipe.clone(),
                        role: FdRole::Writer,
                    });
                }
                let lead = snap.threads(*p).next().expect("a holder has a task");
                let doing = match snap
                    .tasks
                    .iter()
                    .position(|x| x.pid == *p)
                    .map(|j| &self.waits[j])
                {
                    Some(Wait::Sleeping { call }) => Idle::Sleeping { call: call.clone() },
                    Some(Wait::Stopped) => Idle::Stopped,
                    Some(Wait::Child { call, .. } | Wait::Poll { call, .. }) => {
                        Idle::Blocked { call: call.clone() }
                    }
                    Some(Wait::External { call, .. }) if call != "?" => {
                        Idle::Blocked { call: call.clone() }
                    }
                    _ => Idle::Idle,
                };
                idle.push(IdleHolder {
                    proc: self.proc_name(*p),
                    fds: pfds,
                    parent: lead.ppid,
                    doing,
                });
            }
            let first = leaked[0];
            let ffd = fds.iter().find(|f| f.pid == first).map_or(-1, |f| f.fd);
            let mut tasks = vec![t.tid];
            tasks.extend(leaked.iter().copied());
            out.push(Hang {
                kind: HangKind::EofHeldOpen,
                facts: HangFacts {
                    summary: Summary::EofHeldOpen {
                        who: who(t),
                        pipe: pipe.clone(),
                        holders: leaked.iter().map(|p| self.proc_name(*p)).collect(),
                    },
                    steps: vec![Step::EofHeldOpen {
                        who: who(t),
                        fd: *fd,
                        pipe: pipe.clone(),
                        holders: idle,
                    }],
                    fix: Fix::DoNotInherit {
                        holder: self.proc_name(first),
                        pipe: pipe.clone(),
                        fd: ffd,
                    },
                },
                cycle: Vec::new(),
                tasks,
                fds,
                pipes: vec![pipe.clone()],
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::snap_builder::{Snap, ANY};
    use super::super::{analyse, HangKind};
    use crate::model::snapshot::Access;
    use crate::trace::hang::{Fix, Idle, Step};

    /// sh -c '{ sleep 30 & echo hi; } | cat': the subshell is gone, its
    /// background sleep (reparented to 1) holds the pipe as stdout.
    fn background_job() -> Snap {
        Snap::new(40)
            .proc(40, 1, "sh", 'S')
            .proc(42, 40, "cat", 'S')
            .proc(43, 1, "sleep", 'S')
            .pipe_fd(42, 0, 9, Access::Read)
            .pipe_fd(43, 1, 9, Access::Write)
            .blocked(40, "wait4", &[ANY, 0, 0])
            .blocked(42, "read", &[0, 0, 131072])
            .blocked(43, "clock_nanosleep", &[0, 0, 0x7ffd, 0x7ffd])
    }

    #[test]
    fn a_background_job_holding_the_write_end_delays_eof() {
        let s = background_job().done();
        let r = analyse(&s);
        assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
        let h = &r.hangs[0];
        assert_eq!(h.kind, HangKind::EofHeldOpen);
        let Step::EofHeldOpen { holders, fd, .. } = &h.facts.steps[0] else {
            panic!("{h:#?}")
        };
        assert_eq!(*fd, 0);
        assert_eq!((holders[0].proc.pid, holders[0].fds.clone()), (43, vec![1]));
        assert_eq!(holders[0].parent, 1);
        assert_eq!(
            holders[0].doing,
            Idle::Sleeping {
                call: "clock_nanosleep".into()
            }
        );
        assert!(matches!(&h.facts.fix, Fix::DoNotInherit { fd: 1, .. }));
        assert!(h.fds.iter().any(|f| f.pid == 43 && f.fd == 1));
        // The same holder seen from outside the tree (snapshot of sh only).
        let s2 = background_job().outside(43).done();
        assert_eq!(analyse(&s2).hangs.len(), 1);
    }

    #[test]
    fn a_holder_that_has_written_or_is_not_orphaned_does_not_hold_eof_open() {
        let s = background_job().wchar(43, 3).done();
        assert!(analyse(&s).hangs.is_empty());
        // Still the child of the shell: it is a part of the pipeline.
        let s = Snap::new(40)
            .proc(40, 1, "sh", 'S')
            .proc(42, 40, "cat", 'S')
            .proc(43, 40, "sleep", 'S')
            .pipe_fd(42, 0, 9, Access::Read)
            .pipe_fd(43, 1, 9, Access::Write)
            .blocked(40, "wait4", &[ANY, 0, 0])
            .blocked(42, "read", &[0, 0, 131072])
            .blocked(43, "clock_nanosleep", &[0, 0, 0x7ffd, 0x7ffd])
            .done();
        assert!(analyse(&s).hangs.is_empty());
    }
}
