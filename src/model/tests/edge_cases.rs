//! The model on the edges: a million synthetic events, spawn, fork and
//! exit snapshots checked by `--verify`, waits that reap without a status,
//! unshare and close_range, io_uring, SIGCHLD ignored, and attached
//! processes reaping children from before the attach.

use super::*;

/// Parse + apply throughput over a synthetic trace; run with
/// `cargo test --release --lib a_million_synthetic -- --ignored --nocapture`.
#[test]
#[ignore = "timing, run by hand in release mode"]
fn a_million_synthetic_events_replay_and_print_their_rate() {
    let mut s = Sim::with_shell(100);
    let mut lines = Vec::new();
    let mut seq = 1u64;
    let mut push = |pid: Pid, kind: EventKind| {
        let e = Event {
            seq,
            ts_ns: seq * 10,
            pid,
            kind,
        };
        seq += 1;
        lines.push(serde_json::to_string(&e).unwrap());
    };
    let mut i = 0u64;
    while i < 1_000_000 / 20 {
        let child = 1000 + (i % 300) as Pid;
        push(
            100,
            EventKind::Pipe {
                read_fd: 3,
                write_fd: 4,
                pipe_id: 1_000_000 + i,
                cloexec: false,
                nonblock: false,
            },
        );
        push(
            100,
            EventKind::Fork {
                child,
                flavor: ForkFlavor::Fork,
                shares_fds: false,
                syscall: "clone".into(),
                flags: 17,
                fds: None,
            },
        );
        push(
            child,
            EventKind::Dup {
                old_fd: 4,
                new_fd: 1,
                via: DupVia::Dup2,
                cloexec: false,
                errno: None,
            },
        );
        push(child, EventKind::Close { fd: 3 });
        push(child, EventKind::Close { fd: 4 });
        for k in 0..5 {
            push(
                child,
                EventKind::Open {
                    fd: 3 + k,
                    path: raw("/usr/lib/x86_64-linux-gnu/libc.so.6"),
                    flags: "O_RDONLY|O_CLOEXEC".into(),
                    dirfd: None,
                    target: None,
                    errno: None,
                    how_rejected: false,
                    kernel_name: None,
                    unreadable: Vec::new(),
                },
            );
        }
        for k in 0..5 {
            push(child, EventKind::Close { fd: 3 + k });
        }
        push(
            child,
            EventKind::Exec {
                path: raw("/bin/echo"),
                argv: vec![raw("echo"), raw("hi")],
                ok: true,
                errno: None,
                fds: None,
                elf: None,
                script: None,
                former_tid: None,
                argv_null: false,
                unreadable: Vec::new(),
            },
        );
        push(100, EventKind::Close { fd: 4 });
        push(
            child,
            EventKind::Exit {
                status: Status::Exited { exited: 0 },
                comm: None,
            },
        );
        push(100, EventKind::Close { fd: 3 });
        push(
            100,
            EventKind::Wait {
                target: -1,
                reaped: Some(child),
                status: Some(Status::Exited { exited: 0 }),
                nohang: false,
                untraced: false,
                continued: false,
                via: WaitVia::Wait4,
                errno: None,
            },
        );
        i += 1;
    }
    let n = lines.len();
    let t = std::time::Instant::now();
    let mut notes = 0usize;
    for l in &lines {
        let e: Event = serde_json::from_str(l).unwrap();
        notes += s.m.apply(&e).notes.len();
    }
    let both = t.elapsed();
    let events: Vec<Event> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut m = Model::new();
    m.apply(&Event {
        seq: 0,
        ts_ns: 0,
        pid: 100,
        kind: EventKind::spawned(vec![], vec![entry(0, TTY), entry(1, TTY), entry(2, TTY)]),
    });
    let t = std::time::Instant::now();
    for e in &events {
        m.apply(e);
    }
    let model_only = t.elapsed();
    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    eprintln!(
        "{n} events: parse+apply {:.0} ev/s, apply alone {:.0} ev/s ({notes} notes)",
        rate(both),
        rate(model_only)
    );
    assert!(s.m.anomalies().is_empty());
}

#[test]
fn a_spawn_snapshot_shares_descriptions_and_knows_inherited_pipe_directions() {
    let mut s = Sim::new();
    let mut fds = vec![entry(0, "pipe:[77]"), entry(1, TTY), entry(2, TTY)];
    fds[0].flags = Some("O_RDONLY".into());
    fds[1].flags = Some("O_RDWR".into());
    fds[2].flags = Some("O_RDWR".into());
    fds[2].same_as = Some(1);
    s.ev(10, EventKind::spawned(vec![raw("cat")], fds));
    let one = s.m.fd(10, 1).unwrap().file.id;
    let two = s.m.fd(10, 2).unwrap().file.id;
    assert_eq!(one, two, "fds 1 and 2 are one open file description");
    assert_eq!(s.m.open_file(one).unwrap().refcount(), 2);
    let h = s.m.pipe_holders(77).unwrap();
    assert_eq!(h.readers, vec![(10, 0)], "O_RDONLY makes it the read end");
    assert!(h.unknown.is_empty() && h.writers.is_empty());
}

#[test]
fn a_wait_with_a_null_status_still_reaps_an_exited_child() {
    let mut s = Sim::with_shell(10);
    s.fork(10, 11);
    s.ev(
        11,
        EventKind::Exit {
            status: Status::Exited { exited: 4 },
            comm: None,
        },
    );
    assert!(s.m.process(11).unwrap().is_zombie());
    s.ev(
        10,
        EventKind::Wait {
            target: -1,
            reaped: Some(11),
            status: None,
            nohang: false,
            untraced: false,
            continued: false,
            via: WaitVia::Wait4,
            errno: None,
        },
    );
    let p = s.m.process(11).unwrap();
    assert_eq!(p.state, ProcessState::Reaped);
    assert_eq!(
        p.reap.unwrap().status,
        Some(Status::Exited { exited: 4 }),
        "the status of its exit"
    );
}

#[test]
fn a_wait_that_reaped_but_failed_to_store_the_status_still_reaps() {
    let mut s = Sim::with_shell(10);
    s.fork(10, 11);
    s.ev(
        11,
        EventKind::Exit {
            status: Status::Exited { exited: 9 },
            comm: None,
        },
    );
    s.ev(
        10,
        EventKind::Wait {
            target: 11,
            reaped: Some(11),
            status: None,
            nohang: false,
            untraced: false,
            continued: false,
            via: WaitVia::Wait4,
            errno: Some("EFAULT".into()),
        },
    );
    let p = s.m.process(11).unwrap();
    assert_eq!(p.state, ProcessState::Reaped);
    assert_eq!(p.reap.unwrap().status, Some(Status::Exited { exited: 9 }));
}

#[test]
fn an_exit_snapshot_is_checked_against_the_table_the_process_ends_with() {
    let mut s = Sim::with_shell(100);
    s.pipe(100, 3, 4, 9);
    s.ev(100, EventKind::Close { fd: 4 });
    let snapshot = |fds: Vec<FdEntry>| Event {
        seq: 50,
        ts_ns: 0,
        pid: 100,
        kind: EventKind::FdSnapshot {
            at: "exit".into(),
            fds,
            cloexec: false,
        },
    };
    let same = snapshot(vec![
        entry(0, TTY),
        entry(1, TTY),
        entry(2, TTY),
        entry(3, "pipe:[9]"),
    ]);
    s.m.apply(&same);
    assert_eq!(s.m.verify(&same), vec![]);
    // The kernel still has the write end the model saw closed.
    let differs = snapshot(vec![
        entry(0, TTY),
        entry(1, TTY),
        entry(2, TTY),
        entry(3, "pipe:[9]"),
        entry(4, "pipe:[9]"),
    ]);
    s.m.apply(&differs);
    let d = s.m.verify(&differs);
    assert_eq!(
        d.iter().map(|d| (d.seq, d.pid, d.fd)).collect::<Vec<_>>(),
        vec![(50, 100, 4)]
    );
    assert_eq!(d[0].model, None);
}

#[test]
fn an_exit_snapshot_that_read_the_flags_checks_close_on_exec_too() {
    let mut s = Sim::with_shell(100);
    s.pipe(100, 3, 4, 9);
    s.ev(
        100,
        EventKind::SetCloexec {
            fd: 3,
            cloexec: true,
            errno: None,
            via: None,
        },
    );
    let snapshot = |fd3_cloexec: bool, read: bool| Event {
        seq: 50,
        ts_ns: 0,
        pid: 100,
        kind: EventKind::FdSnapshot {
            at: "exit".into(),
            fds: vec![
                entry(0, TTY),
                entry(1, TTY),
                entry(2, TTY),
                FdEntry {
                    cloexec: fd3_cloexec,
                    ..entry(3, "pipe:[9]")
                },
                entry(4, "pipe:[9]"),
            ],
            cloexec: read,
        },
    };
    assert_eq!(s.m.verify(&snapshot(true, true)), vec![]);
    let d = s.m.verify(&snapshot(false, true));
    assert_eq!(
        d.iter().map(|d| (d.seq, d.pid, d.fd)).collect::<Vec<_>>(),
        vec![(50, 100, 3)],
        "the kernel has fd 3 without FD_CLOEXEC, the model with it"
    );
    assert!(d[0]
        .kernel
        .as_deref()
        .unwrap()
        .ends_with("not close-on-exec"));
    // An older trace's snapshot did not read the flags: nothing to compare.
    assert_eq!(s.m.verify(&snapshot(false, false)), vec![]);
}

fn exec_with(pid: Pid, seq: u64, fds: Vec<FdEntry>) -> Event {
    Event {
        seq,
        ts_ns: seq * 1000,
        pid,
        kind: EventKind::Exec {
            path: raw("/bin/true"),
            argv: vec![raw("true")],
            ok: true,
            errno: None,
            fds: Some(fds),
            elf: None,
            script: None,
            former_tid: None,
            argv_null: false,
            unreadable: Vec::new(),
        },
    }
}

#[test]
fn unshare_files_gives_a_clone_files_child_its_own_table_so_its_close_spares_the_parent() {
    let mut s = Sim::with_shell(100);
    s.open(100, 3, "/dev/null", "O_RDONLY");
    s.clone(100, 101, ForkFlavor::Clone, true);
    let a = s.ev(
        101,
        EventKind::Unshare {
            flags: 0x400,
            errno: None,
        },
    );
    assert!(a.notes.contains(&Note::FdTableUnshared { pid: 101 }));
    s.close(101, 3);
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3]);
    assert_eq!(s.fd_numbers(101), vec![0, 1, 2]);
    assert!(s.m.anomalies().is_empty(), "{:?}", s.m.anomalies());
}

#[test]
fn close_range_unshare_splits_the_table_first_and_a_failed_close_range_changes_nothing() {
    let mut s = Sim::with_shell(100);
    s.open(100, 3, "/dev/null", "O_RDONLY");
    s.ev(
        100,
        EventKind::CloseRange {
            first: 3,
            last: u32::MAX,
            cloexec: false,
            unshare: false,
            errno: Some("EINVAL".into()),
        },
    );
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3]);
    s.clone(100, 101, ForkFlavor::Clone, true);
    s.ev(
        101,
        EventKind::CloseRange {
            first: 3,
            last: 3,
            cloexec: false,
            unshare: true,
            errno: None,
        },
    );
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 3]);
    assert_eq!(s.fd_numbers(101), vec![0, 1, 2]);
}

#[test]
fn verify_compares_the_kernels_name_of_an_opened_fd_not_the_path_passed() {
    let mut s = Sim::with_shell(100);
    s.ev(
        100,
        EventKind::Open {
            fd: 7,
            path: raw("/bin/sh"),
            flags: "O_RDONLY".into(),
            dirfd: None,
            target: None,
            errno: None,
            kernel_name: Some(raw("/usr/bin/dash")),
            how_rejected: false,
            unreadable: Vec::new(),
        },
    );
    let base = vec![entry(0, TTY), entry(1, TTY), entry(2, TTY)];
    let mut good = base.clone();
    good.push(entry(7, "/usr/bin/dash"));
    let exec = exec_with(100, s.seq, good);
    s.m.apply(&exec);
    assert_eq!(s.m.verify(&exec), vec![]);
    // The same name through another path is not the file the kernel names.
    let mut bad = base;
    bad.push(entry(7, "/bin/sh"));
    let d = s.m.verify(&exec_with(100, s.seq, bad));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].fd, 7);
}

#[test]
fn an_fd_the_model_does_not_know_is_a_divergence_not_a_match() {
    let mut s = Sim::with_shell(100);
    s.ev(
        100,
        EventKind::Open {
            fd: 3,
            path: raw(""),
            flags: "O_RDONLY".into(),
            dirfd: None,
            target: None,
            errno: None,
            kernel_name: None,
            how_rejected: false,
            unreadable: vec!["path".into()],
        },
    );
    let exec = exec_with(
        100,
        s.seq,
        vec![
            entry(0, TTY),
            entry(1, TTY),
            entry(2, TTY),
            entry(3, "/dev/null"),
        ],
    );
    s.m.apply(&exec);
    let d = s.m.verify(&exec);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].model.as_deref(), Some("an fd it does not know"));
    assert!(!d[0].unseen);
}

#[test]
fn after_io_uring_the_exec_snapshot_is_taken_as_it_is_with_notes() {
    let mut s = Sim::with_shell(100);
    s.open(100, 3, "/dev/null", "O_RDONLY");
    s.ev(
        100,
        EventKind::NewFd {
            fd: 4,
            syscall: "io_uring_setup".into(),
            target: Some(raw("anon_inode:[io_uring]")),
            cloexec: true,
        },
    );
    // io_uring closed fd 3 and opened fd 5; the exec closed the ring.
    let exec = exec_with(
        100,
        s.seq,
        vec![
            entry(0, TTY),
            entry(1, TTY),
            entry(2, TTY),
            entry(5, "/etc/hostname"),
        ],
    );
    let a = s.m.apply(&exec);
    assert!(a.notes.contains(&Note::FdUnseen {
        pid: 100,
        fd: 3,
        appeared: false
    }));
    assert!(a.notes.contains(&Note::FdUnseen {
        pid: 100,
        fd: 5,
        appeared: true
    }));
    assert_eq!(s.m.verify(&exec), vec![]);
    assert_eq!(s.fd_numbers(100), vec![0, 1, 2, 5]);
    // The new program has no ring: later differences are divergences again.
    assert!(!s.m.fd_table(100).unwrap().used_io_uring());
}

#[test]
fn children_of_a_parent_ignoring_sigchld_are_reaped_by_the_kernel_and_exec_clears_nocldwait() {
    let mut s = Sim::with_shell(100);
    s.ev(
        100,
        EventKind::Sigchld {
            action: "ignore".into(),
            nocldwait: false,
            syscall: "rt_sigaction".into(),
        },
    );
    s.clone(100, 101, ForkFlavor::Fork, false);
    s.ev(
        101,
        EventKind::Exit {
            status: Status::Exited { exited: 0 },
            comm: None,
        },
    );
    let c = s.m.process(101).unwrap();
    assert_eq!(c.state, ProcessState::Reaped);
    assert!(c.reap.unwrap().by_kernel);
    // The child inherited the disposition.
    assert!(c.sigchld.ignored);
    // SA_NOCLDWAIT with a handler: auto-reaping until an exec clears the flag.
    s.ev(
        100,
        EventKind::Sigchld {
            action: "handler".into(),
            nocldwait: true,
            syscall: "rt_sigaction".into(),
        },
    );
    assert!(s.m.process(100).unwrap().sigchld.auto_reaps());
    s.exec(100, "/bin/true");
    assert!(!s.m.process(100).unwrap().sigchld.auto_reaps());
    s.clone(100, 102, ForkFlavor::Fork, false);
    s.ev(
        102,
        EventKind::Exit {
            status: Status::Exited { exited: 0 },
            comm: None,
        },
    );
    assert_eq!(s.m.process(102).unwrap().state, ProcessState::Zombie);
}

#[test]
fn a_fork_snapshot_builds_the_childs_table_sharing_what_the_kernel_said_is_shared() {
    let mut s = Sim::with_shell(100);
    s.pipe(100, 3, 4, 7);
    let shared = |fd: i32, target: &str| FdEntry {
        same_as: Some(fd),
        same_as_pid: Some(100),
        ..entry(fd, target)
    };
    // The child got fd 0 and the read end 3 from the parent, not the write
    // end 4 (closed by another thread before the copy), and a pipe end 5
    // the parent's events have not shown yet.
    let fds = vec![
        shared(0, TTY),
        shared(3, "pipe:[7]"),
        FdEntry {
            flags: Some("O_WRONLY".into()),
            ..entry(5, "pipe:[8]")
        },
    ];
    let fork = Event {
        seq: s.seq,
        ts_ns: s.seq * 1000,
        pid: 100,
        kind: EventKind::Fork {
            child: 101,
            flavor: ForkFlavor::Fork,
            shares_fds: false,
            syscall: "clone".into(),
            flags: 0,
            fds: Some(fds.clone()),
        },
    };
    s.seq += 1;
    let applied = s.m.apply(&fork);
    assert!(applied.anomalies.is_empty(), "{:?}", applied.anomalies);
    assert!(s.m.verify(&fork).is_empty(), "{:?}", s.m.verify(&fork));
    let child: Vec<i32> = s.m.fds(101).iter().map(|v| v.fd).collect();
    assert_eq!(child, vec![0, 3, 5]);
    assert_eq!(
        s.m.fd(101, 3).unwrap().file.id,
        s.m.fd(100, 3).unwrap().file.id
    );
    assert_eq!(
        s.m.fd(101, 0).unwrap().file.id,
        s.m.fd(100, 0).unwrap().file.id
    );
    let h = s.m.pipe_holders(8).unwrap();
    assert_eq!(h.writers, vec![(101, 5)]);
    // A snapshot saying the parent's fd 3 is another pipe than the model's
    // is a divergence of the parent.
    let mut wrong = fork.clone();
    if let EventKind::Fork { child, fds, .. } = &mut wrong.kind {
        *child = 102;
        *fds = Some(vec![shared(3, "pipe:[9]")]);
    }
    s.m.apply(&wrong);
    let d = s.m.verify(&wrong);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!((d[0].pid, d[0].fd), (100, 3));
}

#[test]
fn an_attached_process_reaping_a_child_from_before_the_attach_is_a_note_not_an_anomaly() {
    // `record -p` on a shell whose last child was a zombie when forkscope
    // attached: the zombie could not be seized, so only its reaping shows.
    let mut s = Sim::new();
    s.ev(
        100,
        EventKind::Spawn {
            argv: vec![raw("sh")],
            fds: vec![entry(0, TTY), entry(1, TTY), entry(2, TTY)],
            attached: true,
            parent: None,
            threads: vec![],
        },
    );
    let a = s.wait(100, 150, 0);
    assert!(
        has_note(&a, |n| *n
            == Note::ReapedFromBeforeAttach {
                pid: 100,
                child: 150
            }),
        "{a:?}"
    );
    assert!(s.m.anomalies().is_empty(), "{:?}", s.m.anomalies());
    // A process forkscope started knows all its children: there it is one.
    let mut s = Sim::with_shell(100);
    s.wait(100, 150, 0);
    assert_eq!(s.m.anomalies().len(), 1);
}
