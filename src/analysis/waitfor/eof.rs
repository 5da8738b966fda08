//! The EOF-held-open heuristic: a reader waits for EOF on a pipe whose
//! write end is held only by an orphaned process that has never written a
//! byte and is not running (a background job that inherited a pipeline's
//! stdout: `{ sleep 30 & echo hi; } | cat`). No cycle: the reader will
//! wait until that process exits, which may be never.

use super::graph::{dedup, who, Graph, Releasers};
use crate::model::snapshot::{Snapshot, Task};
use crate::model::wait::Wait;
use crate::trace::hang::{
    FdRole, Fix, Hang, HangFacts, HangFd, HangKind, Idle, IdleHolder, Step, Summary,
};
use crate::trace::Pid;
use std::collections::HashSet;

impl Graph<'_> {
    /// Readers waiting for EOF that an idle orphan (or the idle children
    /// of one) holds back.
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
        // The orphan a holder belongs to: itself, or the nearest orphaned
        // ancestor when every process on the way up is idle and has written
        // nothing (the children of a background job that inherited the
        // write end).
        let detached = |pid: Pid, reader: Pid| -> Option<Pid> {
            let mut p = pid;
            for _ in 0..64 {
                if p == reader || p == snap.root || !proc_idle(p) || wchar(p) != 0 {
                    return None;
                }
                if orphan(p) {
                    return Some(p);
                }
                p = snap.threads(p).next()?.ppid;
            }
            None
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
            let leaked: Vec<(Pid, Pid)> = holders
                .iter()
                .filter(|p| **p != t.pid)
                .filter_map(|p| detached(*p, t.pid).map(|root| (*p, root)))
                .collect();
            let others_ok = holders
                .iter()
                .all(|p| leaked.iter().any(|l| l.0 == *p) || *p == t.pid || self.proc_is_stuck(*p));
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
            for &(p, root) in &leaked {
                let pfds: Vec<i32> = writers.iter().filter(|h| h.0 == p).map(|h| h.1).collect();
                for f in &pfds {
                    fds.push(HangFd {
                        pid: p,
                        fd: *f,
                        pipe: pipe.clone(),
                        role: FdRole::Writer,
                    });
                }
                let lead = snap.threads(p).next().expect("a holder has a task");
                idle.push(IdleHolder {
                    proc: self.proc_name(p),
                    fds: pfds,
                    parent: lead.ppid,
                    doing: self.idle_doing(p),
                    under: (root != p).then(|| self.proc_name(root)),
                });
            }
            // The fix is for the job: the orphan the first holder belongs to.
            let root = leaked[0].1;
            let ffd = writers
                .iter()
                .find(|h| h.0 == root)
                .or_else(|| writers.iter().find(|h| h.0 == leaked[0].0))
                .map_or(-1, |h| h.1);
            let fix = match self.idle_doing(root) {
                Idle::Socket { .. } => Fix::DaemonStdio {
                    holder: self.proc_name(root),
                    pipe: pipe.clone(),
                    fd: ffd,
                },
                _ => Fix::DoNotInherit {
                    holder: self.proc_name(root),
                    pipe: pipe.clone(),
                    fd: ffd,
                },
            };
            let mut tasks = vec![t.tid];
            tasks.extend(leaked.iter().map(|l| l.0));
            out.push(Hang {
                kind: HangKind::EofHeldOpen,
                facts: HangFacts {
                    summary: Summary::EofHeldOpen {
                        who: who(t),
                        pipe: pipe.clone(),
                        holders: leaked.iter().map(|l| self.proc_name(l.0)).collect(),
                    },
                    steps: vec![Step::EofHeldOpen {
                        who: who(t),
                        fd: *fd,
                        pipe: pipe.clone(),
                        holders: idle,
                    }],
                    fix,
                },
                cycle: Vec::new(),
                tasks,
                fds,
                pipes: vec![pipe.clone()],
            });
        }
        out
    }

    /// What an idle holder does: asleep (for how long, when its call's
    /// arguments said), stopped, waiting for its children, serving a
    /// socket, or blocked in some call.
    fn idle_doing(&self, pid: Pid) -> Idle {
        let snap = self.snap;
        let Some(j) = snap.tasks.iter().position(|x| x.pid == pid) else {
            return Idle::Idle;
        };
        let t = &snap.tasks[j];
        let sc = t.syscall.as_ref();
        match &self.waits[j] {
            Wait::Sleeping { call } => match sc.and_then(|s| s.timeout) {
                Some(to) => Idle::Timed {
                    call: call.clone(),
                    asked_ns: to.asked_ns,
                    left_ns: to.left_ns,
                },
                None => Idle::Sleeping { call: call.clone() },
            },
            Wait::Stopped => Idle::Stopped,
            Wait::Child { call, target, .. } => {
                let kids = super::graph::covered_children(snap, t, *target);
                if kids.is_empty() {
                    Idle::Blocked { call: call.clone() }
                } else {
                    Idle::Children {
                        call: call.clone(),
                        kids: kids.iter().map(|k| self.proc_name(*k)).collect(),
                    }
                }
            }
            Wait::Poll { call, .. } => Idle::Blocked { call: call.clone() },
            Wait::External { call, what } if call != "?" => match socket_fd(snap, t, what) {
                Some(fd) => Idle::Socket {
                    call: call.clone(),
                    fd,
                },
                None => Idle::Blocked { call: call.clone() },
            },
            _ => Idle::Idle,
        }
    }
}

/// When a task blocked outside the analysis waits on a socket: the fd (if
/// the call names one). `what` is the wait's target as `model::wait` named
/// it (`fd 3 (socket:[77])`).
fn socket_fd(snap: &Snapshot, t: &Task, what: &str) -> Option<Option<i32>> {
    let is_socket = |fd: i32| {
        snap.fds(t.pid)
            .iter()
            .any(|f| f.fd == fd && f.target.starts_with("socket:"))
    };
    if let Some(rest) = what.strip_prefix("fd ") {
        let fd: i32 = rest.split(' ').next()?.parse().ok()?;
        return is_socket(fd).then_some(Some(fd));
    }
    let sc = t.syscall.as_ref()?;
    if let Some(set) = &sc.polled {
        return set.iter().find(|p| is_socket(p.fd)).map(|p| Some(p.fd));
    }
    let fd = sc.args[0] as u32 as i32;
    match sc.name.as_str() {
        "accept" | "accept4" | "recvfrom" | "recvmsg" | "read" | "recvmmsg" if is_socket(fd) => {
            Some(Some(fd))
        }
        _ => None,
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

    /// sh -c '(sleep 30; true) & echo hi' | cat: the background subshell
    /// (orphaned, in wait4) and its sleep both hold the pipe as stdout.
    fn subshell_job() -> Snap {
        Snap::new(40)
            .proc(40, 1, "sh", 'S')
            .proc(42, 40, "cat", 'S')
            .proc(43, 1, "sh", 'S')
            .proc(44, 43, "sleep", 'S')
            .pipe_fd(42, 0, 9, Access::Read)
            .pipe_fd(43, 1, 9, Access::Write)
            .pipe_fd(44, 1, 9, Access::Write)
            .blocked(40, "wait4", &[ANY, 0, 0])
            .blocked(42, "read", &[0, 0, 131072])
            .blocked(43, "wait4", &[ANY, 0, 0])
            .blocked(44, "clock_nanosleep", &[0, 0, 0x7ffd, 0x7ffd])
    }

    #[test]
    fn a_background_job_waiting_for_its_own_sleeping_child_holds_eof_off_with_it() {
        let mut s = subshell_job().done();
        s.tasks[3].syscall.as_mut().unwrap().timeout = Some(crate::model::snapshot::Timeout {
            asked_ns: 30_000_000_000,
            left_ns: Some((28_000_000_000, 30_000_000_000)),
        });
        let r = analyse(&s);
        assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
        let h = &r.hangs[0];
        assert_eq!(h.kind, HangKind::EofHeldOpen);
        assert!(h.kind.may_end(), "a long wait is never killed");
        let Step::EofHeldOpen { holders, .. } = &h.facts.steps[0] else {
            panic!("{h:#?}")
        };
        assert_eq!(holders.len(), 2);
        assert!(holders[0].under.is_none());
        assert!(
            matches!(&holders[0].doing, Idle::Children { call, kids } if call == "wait4" && kids[0].pid == 44)
        );
        assert_eq!(holders[1].under.as_ref().map(|p| p.pid), Some(43));
        assert_eq!(
            holders[1].doing,
            Idle::Timed {
                call: "clock_nanosleep".into(),
                asked_ns: 30_000_000_000,
                left_ns: Some((28_000_000_000, 30_000_000_000)),
            }
        );
        // The fix is for the job, not for the sleep it started.
        assert!(
            matches!(&h.facts.fix, Fix::DoNotInherit { holder, fd: 1, .. } if holder.pid == 43)
        );
        assert_eq!(h.tasks, vec![42, 43, 44]);
    }

    #[test]
    fn a_child_of_a_job_that_wrote_or_of_a_live_parent_is_not_called_idle() {
        // The job wrote (it is a slow producer): nothing claimed.
        let s = subshell_job().wchar(43, 5).done();
        assert!(analyse(&s).hangs.is_empty(), "{:#?}", analyse(&s).hangs);
        // The sleep is a child of the pipeline's own shell: part of it.
        let s = Snap::new(40)
            .proc(40, 1, "sh", 'S')
            .proc(42, 40, "cat", 'S')
            .proc(43, 40, "sh", 'S')
            .proc(44, 43, "sleep", 'S')
            .pipe_fd(42, 0, 9, Access::Read)
            .pipe_fd(43, 1, 9, Access::Write)
            .pipe_fd(44, 1, 9, Access::Write)
            .blocked(40, "wait4", &[ANY, 0, 0])
            .blocked(42, "read", &[0, 0, 131072])
            .blocked(43, "wait4", &[ANY, 0, 0])
            .blocked(44, "clock_nanosleep", &[0, 0, 0x7ffd, 0x7ffd])
            .done();
        assert!(analyse(&s).hangs.is_empty());
    }

    #[test]
    fn a_daemon_serving_a_socket_with_the_write_end_is_told_to_detach_its_stdio() {
        let s = Snap::new(40)
            .proc(40, 1, "sh", 'S')
            .proc(42, 40, "cat", 'S')
            .proc(43, 1, "server", 'S')
            .pipe_fd(42, 0, 9, Access::Read)
            .pipe_fd(43, 1, 9, Access::Write)
            .socket(43, 3)
            .blocked(40, "wait4", &[ANY, 0, 0])
            .blocked(42, "read", &[0, 0, 131072])
            .blocked(43, "accept4", &[3, 0, 0, 0x80800])
            .done();
        let r = analyse(&s);
        assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
        let h = &r.hangs[0];
        let Step::EofHeldOpen { holders, .. } = &h.facts.steps[0] else {
            panic!("{h:#?}")
        };
        assert_eq!(
            holders[0].doing,
            Idle::Socket {
                call: "accept4".into(),
                fd: Some(3)
            }
        );
        assert!(matches!(&h.facts.fix, Fix::DaemonStdio { holder, fd: 1, .. } if holder.pid == 43));
    }
}
