//! The wait-for graph on hand-built snapshots: what each task waits for,
//! which are stuck, the cycles, and the facts of each hang. Their words are
//! in the golden snapshots of tests/words_hangs.rs.

use super::snap_builder::{Snap, ANY};
use super::*;
use crate::model::snapshot::{Access, Fd, Task};
use crate::trace::hang::{Doing, End, FdRole, Fix, Step, Summary, WaitTarget};
use std::collections::BTreeSet;

fn only_hang(r: &Report) -> &Hang {
    assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
    &r.hangs[0]
}

#[test]
fn a_reader_holding_its_own_write_end_waits_for_itself() {
    // 4101 forked 4102; 4102 reads fd 3 and still holds fd 4 (write end);
    // 4101 closed its ends and waits for 4102.
    let s = Snap::new(4101)
        .proc(4101, 1, "rhwe", 'S')
        .proc(4102, 4101, "rhwe", 'S')
        .pipe_fd(4102, 3, 77, Access::Read)
        .pipe_fd(4102, 4, 77, Access::Write)
        .fill(77, 0)
        .blocked(4102, "read", &[3, 0, 64])
        .blocked(4101, "wait4", &[4102, 0, 0])
        .done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.kind, HangKind::Deadlock);
    assert_eq!(h.cycle, vec![4102]);
    let Step::ReadPipe {
        who,
        fd: 3,
        writers,
        end: End::Cycle,
        ..
    } = &h.facts.steps[0]
    else {
        panic!("{h:#?}")
    };
    assert_eq!(who.pid, 4102);
    assert_eq!(
        (writers[0].proc.pid, &writers[0].fds, writers[0].itself),
        (4102, &vec![4], true)
    );
    assert!(
        matches!(&h.facts.steps[1], Step::Child { who, call, kids, .. } if who.pid == 4101 && call == "wait4" && kids[0].pid == 4102)
    );
    assert!(
        matches!(&h.facts.fix, Fix::CloseOwnBeforeRead { fds, .. } if fds == &vec![4]),
        "{h:#?}"
    );
    assert!(matches!(&h.facts.summary, Summary::WaitsForItself { who } if who.pid == 4102));
    assert!(r.wait(4101).unwrap().stuck && r.wait(4102).unwrap().stuck);
}

#[test]
fn a_parent_keeping_the_write_end_while_waiting_is_a_cycle() {
    let s = Snap::new(4101)
        .proc(4101, 1, "sh", 'S')
        .proc(4102, 4101, "cat", 'S')
        .pipe_fd(4101, 4, 123, Access::Write)
        .pipe_fd(4102, 0, 123, Access::Read)
        .blocked(4102, "read", &[0, 0, 4096])
        .blocked(4101, "wait4", &[4102, 0, 0])
        .done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.kind, HangKind::Deadlock);
    assert_eq!(h.cycle, vec![4102, 4101]);
    let Step::ReadPipe {
        who,
        fd: 0,
        writers,
        then: Some(then),
        end: End::Cycle,
        ..
    } = &h.facts.steps[0]
    else {
        panic!("{h:#?}")
    };
    assert_eq!(who.pid, 4102);
    assert_eq!((writers[0].proc.pid, &writers[0].fds), (4101, &vec![4]));
    assert_eq!(
        then.doing,
        Doing::Child {
            call: "wait4".into(),
            target: WaitTarget::Child(4102)
        }
    );
    assert_eq!(h.facts.steps.len(), 1, "the wait is told by the first step");
    assert_eq!(
        h.facts.fix,
        Fix::CloseBeforeWait {
            holder: 4101,
            fds: vec![4],
            reader: 4102,
            pipe: "pipe:[123]".into()
        }
    );
    assert!(h
        .fds
        .iter()
        .any(|f| f.pid == 4101 && f.fd == 4 && f.role == FdRole::Writer));
}

#[test]
fn waiting_for_a_child_before_reading_its_output_is_a_cycle() {
    let s = Snap::new(10)
        .proc(10, 1, "wbr", 'S')
        .proc(11, 10, "wbr", 'S')
        .pipe_fd(10, 3, 5, Access::Read)
        .pipe_fd(11, 4, 5, Access::Write)
        .fill(5, 65536)
        .blocked(11, "write", &[4, 0, 100_000])
        .blocked(10, "wait4", &[11, 0, 0])
        .done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.kind, HangKind::Deadlock);
    assert_eq!(h.cycle, vec![11, 10]);
    assert!(
        matches!(
            &h.facts.steps[0],
            Step::WritePipe {
                fill: Some((65536, 65536)),
                ..
            }
        ),
        "{h:#?}"
    );
    assert_eq!(
        h.facts.fix,
        Fix::ReadBeforeWait {
            reader: 10,
            fd: Some(3),
            child: 11,
            capacity: 65536
        }
    );
}

#[test]
fn both_pipes_full_is_a_cycle_of_two_writers() {
    // 20 writes the child's stdin (pipe 1) and would read its stdout (pipe 2).
    let s = Snap::new(20)
        .proc(20, 1, "bpf", 'S')
        .proc(21, 20, "cat", 'S')
        .pipe_fd(20, 4, 1, Access::Write)
        .pipe_fd(20, 5, 2, Access::Read)
        .pipe_fd(21, 0, 1, Access::Read)
        .pipe_fd(21, 1, 2, Access::Write)
        .fill(1, 65536)
        .fill(2, 65536)
        .blocked(20, "write", &[4, 0, 1 << 20])
        .blocked(21, "write", &[1, 0, 131072])
        .done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.kind, HangKind::Deadlock);
    assert_eq!(h.cycle.len(), 2);
    assert_eq!(
        h.facts.fix,
        Fix::ReadWhileWriting {
            feeder: 20,
            filter: 21,
            fd: Some(5)
        }
    );
    assert_eq!(h.pipes.len(), 2);
}

#[test]
fn fifos_opened_in_opposite_orders_are_stuck() {
    let s = Snap::new(30)
        .proc(30, 1, "foo", 'S')
        .proc(31, 30, "foo", 'S')
        .proc(32, 30, "foo", 'S')
        .blocked(30, "wait4", &[ANY, 0, 0])
        .fifo_open(31, "/tmp/x/a", 0)
        .fifo_open(32, "/tmp/x/b", 0)
        .done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.kind, HangKind::Stuck);
    assert!(
        matches!(&h.facts.summary, Summary::FifoOpens { paths, openers } if paths == &vec!["/tmp/x/a".to_string(), "/tmp/x/b".to_string()] && openers.len() == 2),
        "{h:#?}"
    );
    assert_eq!(h.facts.fix, Fix::FifoOrder);
    assert!(h.facts.steps.iter().any(|s| matches!(s, Step::OpenFifo { who, path, write: Some(false), .. } if who.pid == 31 && path == "/tmp/x/a")));
}

#[test]
fn a_fifo_open_with_a_free_process_around_is_not_reported() {
    let s = Snap::new(30)
        .proc(30, 1, "server", 'S')
        .proc(31, 30, "client", 'R')
        .fifo_open(30, "/tmp/x/a", 0)
        .done();
    assert!(analyse(&s).hangs.is_empty());
}

#[test]
fn a_stopped_child_blocks_a_parent_waiting_without_wuntraced() {
    let s = Snap::new(50)
        .proc(50, 1, "sc", 'S')
        .proc(51, 50, "sc", 'T')
        .blocked(50, "wait4", &[51, 0, 0])
        .done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.kind, HangKind::Stuck);
    assert!(
        matches!(&h.facts.summary, Summary::BlockedOnStopped { stopped, blocked } if stopped.pid == 51 && blocked[0].pid == 50),
        "{h:#?}"
    );
    assert!(matches!(&h.facts.fix, Fix::Continue { pid: 51, waiter: Some(w) } if w.pid == 50));
}

#[test]
fn a_stopped_child_with_a_waker_sleeping_is_not_reported() {
    let s = Snap::new(50)
        .proc(50, 1, "sc", 'S')
        .proc(51, 50, "sc", 'T')
        .proc(52, 50, "waker", 'S')
        .blocked(50, "wait4", &[51, 0, 0])
        .blocked(52, "nanosleep", &[0x7ff, 0])
        .done();
    assert!(analyse(&s).hangs.is_empty());
}

#[test]
fn a_job_stopped_with_ctrl_z_is_not_a_hang() {
    let s = Snap::new(60)
        .proc(60, 1, "yes", 'T')
        .proc(61, 1, "head", 'T')
        .pipe_fd(60, 1, 3, Access::Write)
        .pipe_fd(61, 0, 3, Access::Read)
        .done();
    assert!(analyse(&s).hangs.is_empty());
}

#[test]
fn a_busy_pipeline_is_not_reported() {
    // yes | head | wc: running or briefly blocked on a pipe whose other
    // end is held by a running process.
    let s = Snap::new(70)
        .proc(70, 1, "sh", 'S')
        .proc(71, 70, "yes", 'R')
        .proc(72, 70, "head", 'S')
        .proc(73, 70, "wc", 'R')
        .pipe_fd(71, 1, 1, Access::Write)
        .pipe_fd(72, 0, 1, Access::Read)
        .pipe_fd(72, 1, 2, Access::Write)
        .pipe_fd(73, 0, 2, Access::Read)
        .blocked(70, "wait4", &[ANY, 0, 0])
        .blocked(72, "write", &[1, 0, 4096])
        .done();
    let r = analyse(&s);
    assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
    assert!(!r.wait(72).unwrap().stuck);
}

#[test]
fn a_sleeping_process_is_not_reported() {
    let s = Snap::new(80)
        .proc(80, 1, "sleep", 'S')
        .blocked(80, "clock_nanosleep", &[0, 0, 0x7ff, 0x7ff])
        .done();
    let r = analyse(&s);
    assert!(r.hangs.is_empty());
    assert_eq!(
        r.wait(80).unwrap().wait,
        Wait::Sleeping {
            call: "clock_nanosleep".into()
        }
    );
}

#[test]
fn a_slow_producer_between_writes_is_not_reported() {
    // for i in 1 2 3 4; do echo $i; sleep 1; done | cat
    let s = Snap::new(90)
        .proc(90, 1, "sh", 'S')
        .proc(91, 90, "sh", 'S')
        .proc(92, 90, "cat", 'S')
        .proc(93, 91, "sleep", 'S')
        .pipe_fd(91, 1, 4, Access::Write)
        .pipe_fd(93, 1, 4, Access::Write)
        .pipe_fd(92, 0, 4, Access::Read)
        .wchar(91, 2)
        .blocked(90, "wait4", &[ANY, 0, 0])
        .blocked(91, "wait4", &[ANY, 0, 0])
        .blocked(92, "read", &[0, 0, 131072])
        .blocked(93, "clock_nanosleep", &[0, 0, 0x7ff, 0])
        .done();
    let r = analyse(&s);
    assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
}

#[test]
fn a_producer_in_c_sleeping_between_writes_is_not_reported() {
    // ./tick | cat, tick writes then sleeps; not orphaned, has written.
    let s = Snap::new(100)
        .proc(100, 1, "sh", 'S')
        .proc(101, 100, "tick", 'S')
        .proc(102, 100, "cat", 'S')
        .pipe_fd(101, 1, 4, Access::Write)
        .pipe_fd(102, 0, 4, Access::Read)
        .wchar(101, 6)
        .blocked(100, "wait4", &[ANY, 0, 0])
        .blocked(101, "nanosleep", &[0x7ff, 0])
        .blocked(102, "read", &[0, 0, 131072])
        .done();
    assert!(analyse(&s).hangs.is_empty());
}

#[test]
fn a_reader_of_the_terminal_is_not_reported() {
    let s = Snap::new(110)
        .proc(110, 1, "cat", 'S')
        .tty(110, 0)
        .blocked(110, "read", &[0, 0, 131072])
        .done();
    let r = analyse(&s);
    assert!(r.hangs.is_empty());
    assert!(matches!(r.wait(110).unwrap().wait, Wait::External { .. }));
}

#[test]
fn a_writer_outside_the_tree_frees_the_reader() {
    let s = Snap::new(120)
        .proc(120, 1, "cat", 'S')
        .proc(5, 4, "bash", 'S')
        .outside(5)
        .pipe_fd(120, 0, 8, Access::Read)
        .pipe_fd(5, 9, 8, Access::Write)
        .blocked(120, "read", &[0, 0, 4096])
        .blocked(5, "wait4", &[ANY, 0, 0])
        .done();
    assert!(analyse(&s).hangs.is_empty());
}

#[test]
fn a_thread_holding_the_write_end_keeps_its_sibling_reader_free() {
    // Thread 131 of 130 is running: it may still write.
    let s = Snap::new(130)
        .proc(130, 1, "app", 'S')
        .pipe_fd(130, 3, 6, Access::Read)
        .pipe_fd(130, 4, 6, Access::Write)
        .blocked(130, "read", &[3, 0, 10])
        .thread(130, 131, 'R')
        .done();
    assert!(analyse(&s).hangs.is_empty());
    // Both threads blocked: the joiner waits on a futex, the reader on
    // its own pipe.
    let s = Snap::new(130)
        .proc(130, 1, "app", 'S')
        .pipe_fd(130, 3, 6, Access::Read)
        .pipe_fd(130, 4, 6, Access::Write)
        .thread(130, 131, 'S')
        .blocked(130, "futex", &[0x7ff, 128, 131, 0])
        .blocked(131, "read", &[3, 0, 10])
        .done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.kind, HangKind::Deadlock, "{h:#?}");
    assert!(
        h.facts
            .steps
            .iter()
            .any(|s| matches!(s, Step::ReadPipe { who, .. } if who.tid == 131)),
        "{h:#?}"
    );
}

#[test]
fn a_wait_for_a_zombie_child_is_not_stuck() {
    let s = Snap::new(140)
        .proc(140, 1, "sh", 'S')
        .proc(141, 140, "x", 'Z')
        .blocked(140, "wait4", &[ANY, 0, 0])
        .done();
    assert!(analyse(&s).hangs.is_empty());
}

#[test]
fn hang_keys_ignore_order_and_identify_the_hang() {
    let s = Snap::new(4101)
        .proc(4101, 1, "sh", 'S')
        .proc(4102, 4101, "cat", 'S')
        .pipe_fd(4101, 4, 123, Access::Write)
        .pipe_fd(4102, 0, 123, Access::Read)
        .blocked(4102, "read", &[0, 0, 4096])
        .blocked(4101, "wait4", &[4102, 0, 0])
        .done();
    let a = analyse(&s);
    let mut s2 = s.clone();
    s2.tasks.reverse();
    let b = analyse(&s2);
    assert_eq!(a.hangs[0].key(), b.hangs[0].key());
    assert_eq!(hung_tids(&a), BTreeSet::from([4101, 4102]));
}

#[test]
fn timed_waits_are_sleeps_and_untimed_ones_are_not() {
    let s = Snap::new(1)
        .proc(1, 0, "p", 'S')
        .blocked(1, "poll", &[0x7ff, 1, 500])
        .done();
    assert!(matches!(analyse(&s).waits[0].wait, Wait::Sleeping { .. }));
    let s = Snap::new(1)
        .proc(1, 0, "p", 'S')
        .blocked(1, "poll", &[0x7ff, 1, u32::MAX as u64])
        .done();
    assert!(matches!(analyse(&s).waits[0].wait, Wait::External { .. }));
    // Alone in pause(): a daemon waiting for a signal, not a hang.
    let s = Snap::new(1)
        .proc(1, 0, "p", 'S')
        .blocked(1, "pause", &[])
        .done();
    assert!(analyse(&s).hangs.is_empty());
    // In pause() for the SIGCHLD of a child that is stuck on its own pipe.
    let s = Snap::new(1)
        .proc(1, 0, "p", 'S')
        .proc(2, 1, "c", 'S')
        .pipe_fd(2, 3, 1, Access::Read)
        .pipe_fd(2, 4, 1, Access::Write)
        .blocked(1, "pause", &[])
        .blocked(2, "read", &[3, 0, 1])
        .done();
    let r = analyse(&s);
    assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
    assert!(r.wait(1).unwrap().stuck);
}

/// python3 feeds `cat` through pipe 1 and reads its output from pipe 2
/// in select(), but never closes its write end of pipe 1 (fd 4).
fn python_and_cat(call: &str, args: &[u64]) -> Snap {
    Snap::new(28418)
        .proc(28418, 1, "python3", 'S')
        .proc(28419, 28418, "cat", 'S')
        .pipe_fd(28418, 4, 1, Access::Write)
        .pipe_fd(28418, 5, 2, Access::Read)
        .pipe_fd(28419, 0, 1, Access::Read)
        .pipe_fd(28419, 1, 2, Access::Write)
        .fill(1, 0)
        .fill(2, 0)
        .blocked(28418, call, args)
        .polled(28418, &[(5, true, false)])
        .blocked(28419, "read", &[0, 0, 131072])
}

#[test]
fn a_select_on_the_output_of_a_child_fed_without_eof_is_a_cycle() {
    let s = python_and_cat("pselect6", &[6, 0x7ff0, 0, 0, 0, 0]).done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.kind, HangKind::Deadlock);
    assert_eq!(h.cycle, vec![28419, 28418]);
    let Step::Poll {
        who,
        clauses,
        then: Some(then),
        end: End::Cycle,
        ..
    } = &h.facts.steps[1]
    else {
        panic!("{h:#?}")
    };
    assert_eq!(who.pid, 28418);
    assert_eq!(
        (clauses[0].holders[0].proc.pid, &clauses[0].holders[0].fds),
        (28419, &vec![1])
    );
    assert_eq!(
        then.doing,
        Doing::ReadPipe {
            pipe: "pipe:[1]".into(),
            fd: 0
        }
    );
    assert_eq!(
        h.facts.fix,
        Fix::CloseBeforePoll {
            holder: 28418,
            fds: vec![4],
            reader: 28419,
            call: "pselect6".into(),
            pipe: "pipe:[1]".into()
        }
    );
    assert!(h
        .fds
        .iter()
        .any(|f| f.pid == 28418 && f.fd == 5 && f.role == FdRole::BlockedReader));
    assert!(h
        .fds
        .iter()
        .any(|f| f.pid == 28418 && f.fd == 4 && f.role == FdRole::Writer));
    assert!(matches!(
        &r.wait(28418).unwrap().wait,
        Wait::Poll { call, fds, .. } if call == "pselect6" && fds.len() == 1 && fds[0].read
    ));
}

#[test]
fn a_poll_with_data_waiting_in_one_of_its_pipes_is_not_reported() {
    let s = python_and_cat("poll", &[0x7ff0, 1, u32::MAX as u64])
        .fill(2, 6)
        .done();
    let r = analyse(&s);
    assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
    assert!(!r.wait(28418).unwrap().stuck && !r.wait(28419).unwrap().stuck);
}

#[test]
fn a_poll_on_a_pipe_and_a_socket_is_not_reported() {
    let s = python_and_cat("poll", &[0x7ff0, 2, u32::MAX as u64])
        .socket(28418, 7)
        .polled(28418, &[(5, true, false), (7, true, false)])
        .done();
    let r = analyse(&s);
    assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
    assert!(matches!(
        &r.wait(28418).unwrap().wait,
        Wait::External { what, .. } if what == "fd 7 (socket:[999])"
    ));
}

#[test]
fn an_epoll_on_two_pipes_whose_writer_is_stuck_is_a_cycle() {
    // 10 feeds 11's stdin (pipe 1, fd 4, never closed) and waits in
    // epoll_wait (epoll fd 3) on its stdout (pipe 2, fd 5) and stderr
    // (pipe 3, fd 6); 11 reads its stdin until EOF.
    let s = Snap::new(10)
        .proc(10, 1, "runner", 'S')
        .proc(11, 10, "filter", 'S')
        .pipe_fd(10, 4, 1, Access::Write)
        .pipe_fd(10, 5, 2, Access::Read)
        .pipe_fd(10, 6, 3, Access::Read)
        .pipe_fd(11, 0, 1, Access::Read)
        .pipe_fd(11, 1, 2, Access::Write)
        .pipe_fd(11, 2, 3, Access::Write)
        .blocked(10, "epoll_wait", &[3, 0x7ff0, 16, u32::MAX as u64])
        .polled(10, &[(5, true, false), (6, true, false)])
        .blocked(11, "read", &[0, 0, 4096])
        .done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.kind, HangKind::Deadlock);
    let poll = h
        .facts
        .steps
        .iter()
        .find_map(|s| match s {
            Step::Poll { who, clauses, .. } if who.pid == 10 => Some(clauses),
            _ => None,
        })
        .expect("the runner's step");
    assert_eq!(poll.len(), 2);
    assert_eq!(
        (poll[0].holders[0].proc.pid, &poll[0].holders[0].fds),
        (11, &vec![1])
    );
    assert!(
        matches!(&h.facts.fix, Fix::CloseBeforePoll { holder: 10, fds, .. } if fds == &vec![4]),
        "{h:#?}"
    );
    assert_eq!(h.pipes.len(), 3, "{:?}", h.pipes);
    // The same wait with a running writer of one of its pipes is free.
    let mut s2 = s.clone();
    s2.tasks.push(Task {
        pid: 12,
        tid: 12,
        ppid: 10,
        state: 'R',
        fds: vec![Fd {
            fd: 1,
            target: "pipe:[3]".into(),
            access: Access::Write,
            pipe: Some("pipe:[3]".into()),
            channel: None,
        }],
        ..s.tasks[1].clone()
    });
    assert!(analyse(&s2).hangs.is_empty());
}

#[test]
fn a_poll_on_a_pipe_only_it_writes_to_waits_for_itself() {
    let s = Snap::new(7)
        .proc(7, 1, "selfpoll", 'S')
        .pipe_fd(7, 3, 1, Access::Read)
        .pipe_fd(7, 4, 1, Access::Write)
        .blocked(7, "poll", &[0x7ff0, 1, u32::MAX as u64])
        .polled(7, &[(3, true, false)])
        .done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.kind, HangKind::Deadlock);
    assert!(matches!(&h.facts.summary, Summary::WaitsForItself { who } if who.pid == 7));
    assert!(
        matches!(&h.facts.steps[0], Step::Poll { clauses, .. } if clauses[0].holders[0].itself),
        "{h:#?}"
    );
    assert!(
        matches!(&h.facts.fix, Fix::CloseOwnBeforePoll { fds, call, .. } if fds == &vec![4] && call == "poll"),
        "{h:#?}"
    );
}

#[test]
fn an_untimed_poll_on_no_fd_waits_for_a_signal_and_an_unread_set_is_external() {
    let s = Snap::new(1)
        .proc(1, 0, "p", 'S')
        .blocked(1, "ppoll", &[0, 0, 0, 0])
        .polled(1, &[])
        .done();
    assert_eq!(
        analyse(&s).waits[0].wait,
        Wait::Signal {
            call: "ppoll".into()
        }
    );
    // A timed select is a sleep whatever its set.
    let s = Snap::new(1)
        .proc(1, 0, "p", 'S')
        .pipe_fd(1, 3, 1, Access::Read)
        .pipe_fd(1, 4, 1, Access::Write)
        .blocked(1, "select", &[4, 0x7ff0, 0, 0, 0x7ff8])
        .polled(1, &[(3, true, false)])
        .done();
    assert!(analyse(&s).hangs.is_empty());
    // An fd the snapshot does not know (closed since): external.
    let s = Snap::new(1)
        .proc(1, 0, "p", 'S')
        .blocked(1, "epoll_pwait", &[3, 0x7ff0, 1, u32::MAX as u64])
        .polled(1, &[(9, true, false)])
        .done();
    assert!(matches!(
        &analyse(&s).waits[0].wait,
        Wait::External { what, .. } if what == "fd 9"
    ));
}

#[test]
fn a_poll_for_room_in_a_full_pipe_waits_for_its_reader() {
    // 20 polls for POLLOUT on pipe 1 (full); its only reader 21 waits
    // for 20 to exit.
    let s = Snap::new(20)
        .proc(20, 1, "w", 'S')
        .proc(21, 1, "r", 'S')
        .pipe_fd(20, 4, 1, Access::Write)
        .pipe_fd(21, 3, 1, Access::Read)
        .fill(1, 65536)
        .blocked(20, "poll", &[0x7ff0, 1, u32::MAX as u64])
        .polled(20, &[(4, false, true)])
        .blocked(21, "futex", &[0x7ff, 0, 1, 0])
        .done();
    let r = analyse(&s);
    assert!(matches!(
        &r.wait(20).unwrap().wait,
        Wait::Poll { fds, .. } if fds[0].write && !fds[0].read
    ));
    let h = only_hang(&r);
    assert!(
        matches!(&h.facts.steps[0], Step::Poll { who, clauses, .. } if who.pid == 20 && clauses[0].write && clauses[0].holders[0].proc.pid == 21),
        "{h:#?}"
    );
}
