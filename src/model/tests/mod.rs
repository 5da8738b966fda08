//! Hand-written event sequences driven through the model, one kernel
//! behaviour per test.

use super::*;
use crate::trace::{DupVia, FdEntry, ForkFlavor, RawStr, Sig, Status, WaitVia};

const TTY: &str = "/dev/pts/0";

/// Builds events with consecutive seqs (ts = seq µs) and applies them.
struct Sim {
    m: Model,
    seq: u64,
}

fn raw(s: &str) -> RawStr {
    RawStr::from(s)
}

fn entry(fd: i32, target: &str) -> FdEntry {
    FdEntry {
        fd,
        target: raw(target),
        cloexec: false,
        flags: None,
        same_as: None,
        same_as_pid: None,
    }
}

impl Sim {
    fn new() -> Sim {
        Sim {
            m: Model::new(),
            seq: 0,
        }
    }

    /// A root process with stdin/stdout/stderr on the terminal.
    fn with_shell(pid: Pid) -> Sim {
        let mut s = Sim::new();
        s.spawn(pid, &[(0, TTY), (1, TTY), (2, TTY)]);
        s
    }

    fn ev(&mut self, pid: Pid, kind: EventKind) -> Applied {
        let e = Event {
            seq: self.seq,
            ts_ns: self.seq * 1000,
            pid,
            kind,
        };
        self.seq += 1;
        let applied = self.m.apply(&e);
        // The kept count of pipe-end slots is the count made from scratch.
        let counted: usize = self
            .m
            .live_pipes()
            .flat_map(|p| p.files())
            .filter_map(|f| self.m.open_file(*f))
            .map(|f| f.refcount())
            .sum();
        assert_eq!(self.m.pipe_end_slots(), counted, "after {e:?}");
        applied
    }

    fn spawn(&mut self, pid: Pid, fds: &[(i32, &str)]) -> Applied {
        let fds = fds.iter().map(|(fd, t)| entry(*fd, t)).collect();
        self.ev(pid, EventKind::spawned(vec![raw("sh")], fds))
    }

    fn clone(&mut self, pid: Pid, child: Pid, flavor: ForkFlavor, shares_fds: bool) -> Applied {
        self.ev(
            pid,
            EventKind::Fork {
                child,
                flavor,
                shares_fds,
                syscall: "clone".into(),
                flags: 0,
                fds: None,
            },
        )
    }

    fn fork(&mut self, pid: Pid, child: Pid) -> Applied {
        self.clone(pid, child, ForkFlavor::Fork, false)
    }

    fn exec_with(&mut self, pid: Pid, path: &str, ok: bool, former_tid: Option<Pid>) -> Applied {
        self.ev(
            pid,
            EventKind::Exec {
                path: raw(path),
                argv: vec![raw(path)],
                ok,
                errno: (!ok).then(|| "ENOENT".into()),
                fds: None,
                elf: None,
                script: None,
                former_tid,
                argv_null: false,
                unreadable: Vec::new(),
            },
        )
    }

    fn exec(&mut self, pid: Pid, path: &str) -> Applied {
        self.exec_with(pid, path, true, None)
    }

    fn pipe(&mut self, pid: Pid, read_fd: i32, write_fd: i32, pipe_id: u64) -> Applied {
        self.ev(
            pid,
            EventKind::Pipe {
                read_fd,
                write_fd,
                pipe_id,
                cloexec: false,
                nonblock: false,
            },
        )
    }

    fn dup(&mut self, pid: Pid, old_fd: i32, new_fd: i32, via: DupVia, cloexec: bool) -> Applied {
        self.ev(
            pid,
            EventKind::Dup {
                old_fd,
                new_fd,
                via,
                cloexec,
                errno: None,
            },
        )
    }

    fn dup2(&mut self, pid: Pid, old_fd: i32, new_fd: i32) -> Applied {
        self.dup(pid, old_fd, new_fd, DupVia::Dup2, false)
    }

    fn open(&mut self, pid: Pid, fd: i32, path: &str, flags: &str) -> Applied {
        self.ev(
            pid,
            EventKind::Open {
                fd,
                path: raw(path),
                flags: flags.into(),
                dirfd: None,
                target: None,
                errno: None,
                how_rejected: false,
                kernel_name: None,
                unreadable: Vec::new(),
            },
        )
    }

    fn close(&mut self, pid: Pid, fd: i32) -> Applied {
        self.ev(pid, EventKind::Close { fd })
    }

    fn exit(&mut self, pid: Pid, code: i32) -> Applied {
        self.ev(
            pid,
            EventKind::Exit {
                status: Status::Exited { exited: code },
                comm: None,
            },
        )
    }

    fn wait(&mut self, pid: Pid, child: Pid, code: i32) -> Applied {
        self.ev(
            pid,
            EventKind::Wait {
                target: -1,
                reaped: Some(child),
                status: Some(Status::Exited { exited: code }),
                nohang: false,
                untraced: false,
                continued: false,
                via: WaitVia::Wait4,
                errno: None,
            },
        )
    }

    /// (fd, description) of every open fd of `pid`.
    fn fds(&self, pid: Pid) -> Vec<(i32, String)> {
        self.m
            .fds(pid)
            .iter()
            .map(|v| (v.fd, v.file.to_string()))
            .collect()
    }

    fn fd_numbers(&self, pid: Pid) -> Vec<i32> {
        self.m.fds(pid).iter().map(|v| v.fd).collect()
    }

    fn file_at(&self, pid: Pid, fd: i32) -> OpenFileId {
        self.m.fd(pid, fd).expect("fd is open").file.id
    }

    fn state(&self, pid: Pid) -> ProcessState {
        self.m.process(pid).expect("known process").state
    }
}

fn has_note(a: &Applied, pred: impl Fn(&Note) -> bool) -> bool {
    a.notes.iter().any(pred)
}

#[test]
fn fork_copies_the_fd_table_and_shares_open_files() {
    let mut s = Sim::with_shell(100);
    s.pipe(100, 3, 4, 77);
    s.fork(100, 101);

    assert_eq!(s.fd_numbers(101), vec![0, 1, 2, 3, 4]);
    let parent = s.m.fd_table(100).unwrap().id;
    let child = s.m.fd_table(101).unwrap().id;
    assert_ne!(parent, child, "fork without CLONE_FILES copies the table");
    for fd in 0..=4 {
        assert_eq!(s.file_at(100, fd), s.file_at(101, fd));
    }
    let w = s.m.open_file(s.file_at(100, 4)).unwrap();
    assert_eq!(w.refcount(), 2);
    assert_eq!(s.m.holders(w.id), vec![(100, 4), (101, 4)]);

    // A close in the child is not seen by the parent.
    s.close(101, 4);
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3, 4]);
    assert_eq!(s.m.open_file(s.file_at(100, 4)).unwrap().refcount(), 1);
    assert!(s.m.anomalies().is_empty());
}

#[test]
fn dup2_onto_an_open_fd_closes_it_first() {
    let mut s = Sim::with_shell(100);
    s.open(100, 3, "out.txt", "O_WRONLY|O_CREAT|O_TRUNC");
    let tty = s.file_at(100, 1);
    let a = s.dup2(100, 3, 1);

    assert_eq!(
        a.notes,
        vec![Note::ImplicitClose {
            pid: 100,
            fd: 1,
            file: tty,
            cause: CloseCause::Dup2,
        }]
    );
    assert_eq!(s.file_at(100, 1), s.file_at(100, 3));
    assert_eq!(s.m.open_file(s.file_at(100, 3)).unwrap().refcount(), 2);
    // fd 1's terminal description had no other holder: it is gone. (A spawn
    // snapshot cannot tell that fds 0-2 share one description, so each got its own.)
    assert!(s.m.open_file(tty).is_none());
    assert_eq!(s.fds(100)[1], (1, "out.txt".to_string()));
    assert!(a.anomalies.is_empty());
}

#[test]
fn dup2_of_an_fd_onto_itself_changes_nothing() {
    let mut s = Sim::with_shell(100);
    s.open(100, 3, "in.txt", "O_RDONLY|O_CLOEXEC");
    let before = s.fds(100);
    let file = s.file_at(100, 3);
    let a = s.dup2(100, 3, 3);

    assert!(a.is_quiet());
    assert_eq!(s.fds(100), before);
    assert!(s.m.fd(100, 3).unwrap().cloexec, "cloexec is untouched");
    assert_eq!(s.m.open_file(file).unwrap().refcount(), 1);
}

#[test]
fn close_range_closes_an_inclusive_range_and_its_cloexec_variant_only_marks() {
    let mut s = Sim::with_shell(100);
    for fd in 3..=7 {
        s.open(100, fd, "f", "O_RDONLY");
    }
    s.ev(
        100,
        EventKind::CloseRange {
            first: 4,
            last: 6,
            cloexec: false,
            errno: None,
            unshare: false,
        },
    );
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3, 7]);

    s.ev(
        100,
        EventKind::CloseRange {
            first: 3,
            last: u32::MAX,
            cloexec: true,
            errno: None,
            unshare: false,
        },
    );
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3, 7]);
    let marked: Vec<bool> = s.m.fds(100).iter().map(|v| v.cloexec).collect();
    assert_eq!(marked, vec![false, false, false, true, true]);

    s.ev(
        100,
        EventKind::CloseRange {
            first: 1,
            last: u32::MAX,
            cloexec: false,
            errno: None,
            unshare: false,
        },
    );
    assert_eq!(s.fd_numbers(100), vec![0]);
    assert!(s.m.anomalies().is_empty());
}

#[test]
fn cloexec_fds_vanish_at_a_successful_exec_but_not_a_failed_one() {
    let mut s = Sim::with_shell(100);
    s.open(100, 3, "keep", "O_RDONLY");
    s.open(100, 4, "lose", "O_RDONLY|O_CLOEXEC");
    s.ev(
        100,
        EventKind::SetCloexec {
            fd: 3,
            cloexec: false,
            errno: None,
            via: None,
        },
    );
    s.dup(100, 3, 5, DupVia::Fcntl, true);

    let failed = s.exec_with(100, "/nope", false, None);
    assert!(failed.is_quiet());
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3, 4, 5]);

    let a = s.exec(100, "/bin/cat");
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3]);
    let closed: Vec<i32> = a
        .notes
        .iter()
        .filter_map(|n| match n {
            Note::ImplicitClose {
                fd,
                cause: CloseCause::Exec,
                ..
            } => Some(*fd),
            _ => None,
        })
        .collect();
    assert_eq!(closed, vec![4, 5]);

    let p = s.m.process(100).unwrap();
    assert_eq!(p.execs.len(), 2, "failed execs are kept too");
    assert_eq!(p.exec_chain().count(), 1);
    assert_eq!(p.last_exec().unwrap().path, raw("/bin/cat"));
}

#[test]
fn threads_share_one_fd_table_so_a_close_in_one_is_seen_by_the_other() {
    let mut s = Sim::with_shell(100);
    s.clone(100, 105, ForkFlavor::Thread, true);
    assert_eq!(s.m.fd_table(100).unwrap().id, s.m.fd_table(105).unwrap().id);
    assert_eq!(s.m.tree().process_of_task(105).unwrap().pid, 100);

    s.open(105, 3, "log", "O_WRONLY");
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3]);
    s.close(100, 3);
    assert_eq!(s.fd_numbers(105), vec![0, 1, 2]);
    // One table, one slot: the open file had a single reference.
    assert!(s.m.anomalies().is_empty());
    assert_eq!(s.m.census().fd_tables, 1);
}

#[test]
fn attached_processes_keep_their_parent_and_their_threads_share_the_fd_table() {
    // `record -p`: a shell with a thread, and its child, already running.
    let mut s = Sim::new();
    let tty = vec![entry(0, TTY), entry(1, TTY), entry(2, TTY)];
    s.ev(
        100,
        EventKind::Spawn {
            argv: vec![raw("sh")],
            fds: tty.clone(),
            attached: true,
            parent: None,
            threads: vec![101],
        },
    );
    s.ev(
        200,
        EventKind::Spawn {
            argv: vec![raw("cat")],
            fds: tty,
            attached: true,
            parent: Some(100),
            threads: vec![],
        },
    );
    let tree = s.m.tree();
    let shell = tree.get(100).unwrap();
    assert_eq!(shell.tasks, vec![100, 101]);
    assert!(matches!(shell.origin, Origin::Spawn { attached: true, .. }));
    let cat = tree.get(200).unwrap();
    assert_eq!(cat.parent, Some(shell.id));
    assert_eq!(shell.children, vec![cat.id]);
    // The thread acts on the process's own table.
    assert_eq!(s.m.fd_table(101).unwrap().id, s.m.fd_table(100).unwrap().id);
    s.dup(101, 1, 3, DupVia::Dup, false);
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3]);
    assert_eq!(
        s.m.fd(100, 3).unwrap().file.id,
        s.m.fd(100, 1).unwrap().file.id
    );
    assert!(s.m.anomalies().is_empty(), "{:?}", s.m.anomalies());
}

#[test]
fn clone_files_shares_the_table_between_processes_until_exec_unshares_it() {
    let mut s = Sim::with_shell(100);
    s.clone(100, 101, ForkFlavor::Clone, true);
    assert_eq!(s.m.fd_table(100).unwrap().id, s.m.fd_table(101).unwrap().id);
    assert_eq!(
        s.m.process(101).unwrap().parent,
        Some(s.m.process(100).unwrap().id)
    );

    s.open(101, 3, "shared", "O_RDONLY");
    s.open(101, 4, "gone-at-exec", "O_RDONLY|O_CLOEXEC");
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3, 4]);
    assert_eq!(s.m.holders(s.file_at(100, 3)), vec![(100, 3), (101, 3)]);

    let a = s.exec(101, "/bin/true");
    assert!(has_note(&a, |n| *n == Note::FdTableUnshared { pid: 101 }));
    assert_ne!(s.m.fd_table(100).unwrap().id, s.m.fd_table(101).unwrap().id);
    // The exec'ing process lost its cloexec fd; the other keeps the table as it was.
    assert_eq!(s.fd_numbers(101), vec![0, 1, 2, 3]);
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3, 4]);
    assert_eq!(s.m.open_file(s.file_at(100, 3)).unwrap().refcount(), 2);
}

#[test]
fn the_reader_sees_eof_only_once_the_last_write_end_closes() {
    let mut s = Sim::with_shell(100);
    s.pipe(100, 3, 4, 7);
    s.fork(100, 101);
    // The child execs with both ends still open (no CLOEXEC): no EOF for anyone.
    let a = s.exec(101, "/bin/producer");
    assert!(a.is_quiet());
    let a = s.close(100, 4);
    assert!(!has_note(&a, |n| matches!(n, Note::PipeEof { .. })));
    assert!(!s.m.pipe(7).unwrap().reader_sees_eof());
    assert_eq!(
        s.m.pipe_holders(7).unwrap(),
        PipeHolders {
            readers: vec![(100, 3), (101, 3)],
            writers: vec![(101, 4)],
            unknown: vec![],
        },
        "the write end is still open in 101 fd 4"
    );

    s.close(101, 3);
    let a = s.close(101, 4);
    assert!(has_note(&a, |n| *n
        == Note::PipeEof {
            pipe: 7,
            pid: 101,
            fd: 4,
            readers: 1,
        }));
    assert!(s.m.pipe(7).unwrap().reader_sees_eof());

    let a = s.close(100, 3);
    assert!(has_note(&a, |n| *n == Note::PipeReleased { pipe: 7 }));
    assert!(s.m.pipe(7).is_none());
    assert!(s.m.pipes().is_empty());
}

#[test]
fn exit_closes_every_fd_of_the_process() {
    let mut s = Sim::with_shell(100);
    s.pipe(100, 3, 4, 7);
    s.fork(100, 101);
    s.close(100, 4);
    s.close(101, 3);
    let tty = s.file_at(100, 0);
    assert_eq!(s.m.holders(tty), vec![(100, 0), (101, 0)]);

    let a = s.exit(101, 0);
    assert!(s.m.fds(101).is_empty());
    assert!(s.m.fd_table(101).is_none());
    assert!(has_note(&a, |n| matches!(
        n,
        Note::PipeEof {
            pipe: 7,
            pid: 101,
            fd: 4,
            ..
        }
    )));
    assert_eq!(s.m.open_file(tty).unwrap().refcount(), 1);
    assert_eq!(s.m.census().fd_tables, 1);
}

#[test]
fn a_process_is_a_zombie_until_its_parents_wait_reaps_it() {
    let mut s = Sim::with_shell(100);
    s.fork(100, 101);
    assert_eq!(s.state(101), ProcessState::Running);
    let exit = s.exit(101, 3);
    assert!(has_note(&exit, |n| *n
        == Note::Zombie {
            pid: 101,
            status: Some(Status::Exited { exited: 3 }),
        }));
    assert_eq!(s.state(101), ProcessState::Zombie);
    let exited_at = s.seq - 1;

    s.open(100, 3, "x", "O_RDONLY");
    let a = s.wait(100, 101, 3);
    assert!(has_note(&a, |n| *n == Note::Reaped { pid: 101, by: 100 }));
    assert!(a.anomalies.is_empty());

    let p = s.m.process(101).unwrap();
    assert_eq!(p.state, ProcessState::Reaped);
    let (from, to) = p.zombie_span().unwrap();
    assert_eq!(from.seq, exited_at);
    assert_eq!(to.unwrap().seq, exited_at + 2);
    assert_eq!(p.zombie_ns(), Some(2000));
    assert_eq!(p.reap.unwrap().by, Some(s.m.process(100).unwrap().id));
    assert!(p.tasks.is_empty());
}

#[test]
fn a_wait_that_reports_a_stop_does_not_reap() {
    let mut s = Sim::with_shell(100);
    s.fork(100, 101);
    s.ev(
        101,
        EventKind::Stop {
            signal: Sig(libc::SIGTSTP),
        },
    );
    assert_eq!(
        s.state(101),
        ProcessState::Stopped {
            signal: Sig(libc::SIGTSTP)
        }
    );
    let a = s.ev(
        100,
        EventKind::Wait {
            target: 101,
            reaped: Some(101),
            status: Some(Status::Stopped {
                stopped: Sig(libc::SIGTSTP),
            }),
            nohang: false,
            untraced: false,
            continued: false,
            via: WaitVia::Wait4,
            errno: None,
        },
    );
    assert!(a.is_quiet());
    s.ev(101, EventKind::Continue {});
    assert_eq!(s.state(101), ProcessState::Running);
}

#[test]
fn an_orphan_whose_parent_exits_first_is_adopted_outside_the_trace() {
    let mut s = Sim::with_shell(100);
    s.fork(100, 101);
    s.fork(101, 102);
    let a = s.exit(101, 0);
    assert!(has_note(&a, |n| *n
        == Note::Orphaned {
            pid: 102,
            parent: 101,
        }));
    let orphan = s.m.process(102).unwrap();
    assert_eq!(orphan.state, ProcessState::Running);
    assert_eq!(orphan.orphaned.unwrap().adopted_by, None);
    assert_eq!(orphan.orphaned.unwrap().at.seq, s.seq - 1);

    // The orphan exits: nobody traced reaps it; it stays a zombie.
    s.exit(102, 0);
    assert_eq!(s.state(102), ProcessState::Zombie);
    assert_eq!(s.state(101), ProcessState::Zombie);

    // If a traced process (a subreaper) reaps it, that is the adopter.
    let a = s.wait(100, 102, 0);
    assert!(a.anomalies.is_empty(), "{:?}", a.anomalies);
    assert!(has_note(&a, |n| *n == Note::Adopted { pid: 102, by: 100 }));
    let adopter = s.m.process(100).unwrap().id;
    assert_eq!(
        s.m.process(102).unwrap().orphaned.unwrap().adopted_by,
        Some(adopter)
    );
    assert_eq!(s.state(102), ProcessState::Reaped);
}

#[test]
fn exec_from_a_non_leader_thread_takes_the_leader_pid_and_ends_the_other_threads() {
    let mut s = Sim::with_shell(100);
    s.clone(100, 105, ForkFlavor::Thread, true);
    s.clone(100, 106, ForkFlavor::Thread, true);
    s.open(106, 3, "data", "O_RDONLY|O_CLOEXEC");

    let a = s.exec_with(100, "/bin/next", true, Some(105));
    assert!(a.anomalies.is_empty(), "{:?}", a.anomalies);
    assert!(has_note(&a, |n| *n == Note::ThreadsEnded { pid: 100, count: 2 }));

    let p = s.m.process(100).unwrap();
    assert_eq!(p.tasks, vec![100]);
    assert_eq!(p.last_exec().unwrap().tid, 105);
    assert!(s.m.tree().task(105).is_none());
    assert!(s.m.tree().task(106).is_none());
    assert_eq!(s.m.tree().task(100).unwrap().process, p.id);
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2]);
    assert_eq!(s.m.fd_table(100).unwrap().users(), &[100]);

    // A late exit report for a vanished thread is not an anomaly.
    let late = s.exit(106, 0);
    assert!(late.is_quiet());
    assert_eq!(s.state(100), ProcessState::Running);
}

#[test]
fn a_thread_exit_does_not_end_the_process_until_the_last_task_exits() {
    let mut s = Sim::with_shell(100);
    s.clone(100, 105, ForkFlavor::Thread, true);
    s.exit(100, 0);
    assert_eq!(s.state(100), ProcessState::Running);
    assert_eq!(s.fd_numbers(105), vec![0, 1, 2]);
    let a = s.exit(105, 4);
    assert!(has_note(&a, |n| matches!(n, Note::Zombie { pid: 100, .. })));
    assert_eq!(
        s.m.process(100).unwrap().exit.unwrap().status,
        Some(Status::Exited { exited: 4 })
    );
}

#[test]
fn close_of_an_unknown_fd_is_an_anomaly_not_a_panic() {
    let mut s = Sim::with_shell(100);
    let a = s.close(100, 42);
    assert_eq!(
        a.anomalies,
        vec![Anomaly::CloseNotOpen {
            seq: 1,
            pid: 100,
            fd: 42,
        }]
    );
    assert_eq!(s.m.anomalies(), &a.anomalies[..]);
    assert_eq!(
        a.anomalies[0].to_string(),
        "seq 1: pid 100: close of fd 42, which is not open in the model (EBADF, or an fd the model missed)"
    );
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2]);
    // close(-1) always fails with EBADF: nothing to report.
    assert!(s.close(100, -1).is_quiet());
    // A dup of an fd the model lacks, from a task it does not know: two
    // anomalies, and both are taken on so later events apply.
    let a = s.dup2(999, 7, 1);
    assert_eq!(
        a.anomalies,
        vec![
            Anomaly::UnknownTask {
                seq: 3,
                pid: 999,
                kind: "dup",
            },
            Anomaly::UnknownFd {
                seq: 3,
                pid: 999,
                fd: 7,
                op: "dup",
            },
        ]
    );
    assert_eq!(s.m.process(999).unwrap().origin, Origin::Unknown);
    assert_eq!(
        s.fds(999),
        vec![(1, "(unknown)".into()), (7, "(unknown)".into())]
    );
    assert!(s.close(999, 7).is_quiet());
    assert_eq!(s.exit(4242, 0).anomalies.len(), 1);
    assert_eq!(s.m.anomaly_count(), 4);
}

#[test]
fn fds_far_above_the_usual_range_behave_like_small_ones() {
    let mut s = Sim::with_shell(100);
    s.dup2(100, 1, 255);
    s.dup2(100, 1, 5000);
    s.dup(100, 2, 70_000, DupVia::Fcntl, true);
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 255, 5000, 70_000]);
    s.fork(100, 101);
    assert_eq!(s.fd_numbers(101), vec![0, 1, 2, 255, 5000, 70_000]);
    s.exec(101, "/bin/true");
    assert_eq!(s.fd_numbers(101), vec![0, 1, 2, 255, 5000]);
    s.ev(
        100,
        EventKind::CloseRange {
            first: 200,
            last: 6000,
            cloexec: false,
            errno: None,
            unshare: false,
        },
    );
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 70_000]);
    s.close(100, 70_000);
    assert_eq!(
        s.m.holders(s.file_at(101, 5000)),
        vec![(100, 1), (101, 1), (101, 255), (101, 5000)]
    );
    assert_eq!(s.m.fd_table(100).unwrap().len(), 3);
    s.exit(101, 0);
    assert_eq!(s.m.holders(s.file_at(100, 1)), vec![(100, 1)]);
    assert!(s.m.anomalies().is_empty());
}

#[test]
fn failed_calls_change_nothing() {
    let mut s = Sim::with_shell(100);
    let before = s.fds(100);
    s.ev(
        100,
        EventKind::Dup {
            old_fd: 1,
            new_fd: 9,
            via: DupVia::Dup2,
            cloexec: false,
            errno: Some("EBADF".into()),
        },
    );
    s.ev(
        100,
        EventKind::Open {
            fd: -1,
            path: raw("/missing"),
            flags: "O_RDONLY".into(),
            dirfd: None,
            target: None,
            errno: Some("ENOENT".into()),
            how_rejected: false,
            kernel_name: None,
            unreadable: Vec::new(),
        },
    );
    s.ev(
        100,
        EventKind::PipeFailed {
            errno: "EMFILE".into(),
        },
    );
    assert_eq!(s.fds(100), before);
    assert!(s.m.anomalies().is_empty());
}

#[test]
fn verify_reports_no_divergence_when_the_snapshot_matches() {
    let mut s = Sim::with_shell(100);
    s.open(100, 3, "./out.txt", "O_WRONLY|O_CREAT");
    s.pipe(100, 4, 5, 9);
    s.ev(
        100,
        EventKind::SetCloexec {
            fd: 5,
            cloexec: true,
            errno: None,
            via: None,
        },
    );
    let exec = Event {
        seq: s.seq,
        ts_ns: 0,
        pid: 100,
        kind: EventKind::Exec {
            path: raw("/bin/cat"),
            argv: vec![raw("cat")],
            ok: true,
            errno: None,
            fds: Some(vec![
                entry(0, TTY),
                entry(1, TTY),
                entry(2, TTY),
                entry(3, "/home/u/out.txt"),
                entry(4, "pipe:[9]"),
            ]),
            elf: None,
            script: None,
            former_tid: None,
            argv_null: false,
            unreadable: Vec::new(),
        },
    };
    s.m.apply(&exec);
    assert_eq!(s.m.verify(&exec), vec![]);
}

#[test]
fn verify_names_seq_pid_and_fd_when_the_snapshot_differs() {
    let mut s = Sim::with_shell(100);
    s.open(100, 3, "out.txt", "O_WRONLY");
    s.pipe(100, 4, 5, 9);
    let snapshot = vec![
        entry(0, TTY),
        entry(1, TTY),
        entry(2, TTY),
        entry(3, "/home/u/other.txt"),
        entry(5, "pipe:[9]"),
        entry(7, "socket:[12]"),
    ];
    let exec = Event {
        seq: 40,
        ts_ns: 0,
        pid: 100,
        kind: EventKind::Exec {
            path: raw("/bin/cat"),
            argv: vec![raw("cat")],
            ok: true,
            errno: None,
            fds: Some(snapshot),
            elf: None,
            script: None,
            former_tid: None,
            argv_null: false,
            unreadable: Vec::new(),
        },
    };
    s.m.apply(&exec);
    let d = s.m.verify(&exec);
    let at: Vec<(u64, Pid, i32)> = d.iter().map(|d| (d.seq, d.pid, d.fd)).collect();
    assert_eq!(at, vec![(40, 100, 3), (40, 100, 4), (40, 100, 7)]);
    assert_eq!(d[0].model.as_deref(), Some("out.txt"));
    assert_eq!(d[0].kernel.as_deref(), Some("/home/u/other.txt"));
    assert_eq!(d[1].kernel, None);
    assert_eq!(d[2].model, None);
    assert_eq!(
        d[1].to_string(),
        "seq 40: pid 100 fd 4: the model has pipe:[9] read end, the kernel has nothing"
    );
}

#[test]
fn ps_aux_piped_into_grep_ends_with_one_writer_and_one_reader() {
    let mut s = Sim::with_shell(100);
    s.pipe(100, 3, 4, 500);

    s.fork(100, 101);
    s.dup2(101, 4, 1);
    s.close(101, 3);
    s.close(101, 4);
    s.exec(101, "/bin/ps");

    s.fork(100, 102);
    s.dup2(102, 3, 0);
    s.close(102, 3);
    s.close(102, 4);
    s.exec(102, "/bin/grep");

    s.close(100, 3);
    s.close(100, 4);

    assert_eq!(
        s.m.pipe_holders(500).unwrap(),
        PipeHolders {
            readers: vec![(102, 0)],
            writers: vec![(101, 1)],
            unknown: vec![],
        }
    );
    assert_eq!(s.fds(101)[1], (1, "pipe:[500] write end".to_string()));
    assert_eq!(s.fds(102)[0], (0, "pipe:[500] read end".to_string()));
    assert!(s.m.anomalies().is_empty());

    let a = s.exit(101, 0);
    assert!(has_note(&a, |n| *n
        == Note::PipeEof {
            pipe: 500,
            pid: 101,
            fd: 1,
            readers: 1,
        }));
    s.exit(102, 0);
    s.wait(100, 101, 0);
    s.wait(100, 102, 0);
    assert!(s.m.pipes().is_empty());
    let chain: Vec<String> =
        s.m.tree()
            .children(s.m.process(100).unwrap().id)
            .map(|c| c.last_exec().unwrap().path.to_string())
            .collect();
    assert_eq!(chain, vec!["/bin/ps", "/bin/grep"]);
    assert!(s.m.anomalies().is_empty());
}

#[test]
fn a_fifo_opened_by_path_is_a_pipe_end_of_the_right_direction() {
    let mut s = Sim::with_shell(100);
    s.fork(100, 101);
    for (pid, flags) in [(100, "O_RDONLY"), (101, "O_WRONLY")] {
        s.ev(
            pid,
            EventKind::Open {
                fd: 3,
                path: raw("/tmp/f"),
                flags: flags.into(),
                dirfd: None,
                target: Some(raw("pipe:[31]")),
                errno: None,
                how_rejected: false,
                kernel_name: None,
                unreadable: Vec::new(),
            },
        );
    }
    let h = s.m.pipe_holders(31).unwrap();
    assert_eq!((h.readers, h.writers), (vec![(100, 3)], vec![(101, 3)]));
    assert_eq!(s.m.fd(100, 3).unwrap().file.object.kind(), "fifo");
    let a = s.close(101, 3);
    assert!(has_note(&a, |n| matches!(
        n,
        Note::PipeEof { pipe: 31, .. }
    )));
}

#[test]
fn inherited_pipes_have_ends_of_unknown_direction() {
    let mut s = Sim::new();
    s.spawn(100, &[(0, "pipe:[8]"), (1, TTY), (2, "socket:[44]")]);
    let h = s.m.pipe_holders(8).unwrap();
    assert_eq!(h.unknown, vec![(100, 0)]);
    assert!(!s.m.pipe(8).unwrap().reader_sees_eof());
    assert_eq!(
        s.m.pipe(8).unwrap().origin,
        PipeOrigin::Inherited {
            at: Moment { seq: 0, ts_ns: 0 }
        }
    );
    assert_eq!(s.fds(100)[2].1, "socket:[44]");
}

#[test]
fn a_reused_pid_names_a_new_process_and_the_old_zombie_counts_as_reaped() {
    let mut s = Sim::with_shell(100);
    s.fork(100, 101);
    s.exit(101, 0);
    // Never waited for (SIGCHLD ignored: the kernel auto-reaped it).
    s.fork(100, 101);
    let all: Vec<(Pid, ProcessState)> = s.m.tree().iter().map(|p| (p.pid, p.state)).collect();
    assert_eq!(
        all,
        vec![
            (100, ProcessState::Running),
            (101, ProcessState::Reaped),
            (101, ProcessState::Running),
        ]
    );
    let old = &s.m.tree().iter().nth(1).unwrap();
    assert_eq!(old.reap.unwrap().by, None);
    assert_eq!(s.m.process(101).unwrap().state, ProcessState::Running);
    assert!(s.m.anomalies().is_empty());
}

#[test]
fn a_forked_child_runs_its_parents_program_until_it_execs() {
    let mut s = Sim::with_shell(100);
    s.exec(100, "/bin/sh");
    s.fork(100, 101);
    let child = s.m.process(101).unwrap().id;
    assert_eq!(s.m.tree().program(child).unwrap().path, raw("/bin/sh"));
    s.exec(101, "/bin/ls");
    assert_eq!(s.m.tree().program(child).unwrap().path, raw("/bin/ls"));
    // Inherited session and group.
    s.ev(
        100,
        EventKind::Setsid {
            sid: Some(100),
            errno: None,
        },
    );
    s.fork(100, 102);
    assert_eq!(s.m.process(102).unwrap().sid, Some(100));
    s.ev(
        102,
        EventKind::Setpgid {
            target: 0,
            pgid: 0,
            ok: true,
            errno: None,
        },
    );
    assert_eq!(s.m.process(102).unwrap().pgid, Some(102));
}

#[test]
fn memory_follows_the_live_state_not_the_history() {
    let mut s = Sim::with_shell(100);
    for i in 0..5_000 {
        let child = 1000 + (i % 50);
        s.pipe(100, 3, 4, 10_000 + i as u64);
        s.fork(100, child);
        s.dup2(child, 4, 1);
        s.close(child, 3);
        s.close(child, 4);
        s.exec(child, "/bin/echo");
        s.close(100, 4);
        s.exit(child, 0);
        s.close(100, 3);
        s.wait(100, child, 0);
    }
    let c = s.m.census();
    assert_eq!(
        (c.tasks, c.fd_tables, c.fds, c.open_files, c.pipes),
        (1, 1, 3, 3, 0)
    );
    assert_eq!(c.processes, 5_001, "the tree keeps reaped processes");
    assert!(s.m.anomalies().is_empty());
}

#[test]
fn an_open_file_keeps_the_status_flags_it_was_made_with() {
    let mut s = Sim::new();
    let mut fds: Vec<FdEntry> = vec![entry(0, TTY), entry(1, "/tmp/log"), entry(2, "/tmp/log")];
    // fds 1 and 2 name the same file but are two open files: only fd 1
    // was opened with O_APPEND.
    fds[1].flags = Some("O_WRONLY|O_APPEND".into());
    fds[2].flags = Some("O_WRONLY".into());
    s.ev(1, EventKind::spawned(vec![raw("sh")], fds));
    s.open(1, 3, "/tmp/out", "O_WRONLY|O_CREAT|O_NONBLOCK");
    s.open(1, 4, "/tmp/in", "O_RDONLY");
    s.ev(
        1,
        EventKind::Pipe {
            read_fd: 5,
            write_fd: 6,
            pipe_id: 77,
            cloexec: false,
            nonblock: true,
        },
    );
    s.dup2(1, 3, 7);
    let flags = |fd| {
        let f = s.m.fd(1, fd).expect("open").file.status;
        (f.append, f.nonblock)
    };
    assert_eq!(flags(1), (true, false));
    assert_eq!(flags(2), (false, false));
    assert_eq!(flags(3), (false, true));
    assert_eq!(flags(4), (false, false));
    assert_eq!(flags(5), (false, true));
    assert_eq!(flags(6), (false, true));
    // A dup shares the open file, flags and all.
    assert_eq!(flags(7), (false, true));
}

mod edge_cases;
mod forget;
