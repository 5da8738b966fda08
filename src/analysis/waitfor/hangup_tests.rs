//! Multiplexers watching a pipe end only for the other side to go (poll
//! events 0, epoll without EPOLLOUT on a write end, select's readfds for a
//! write end): a write end so watched wakes only once its last reader is
//! gone, never for room; a read end only once its last writer is gone,
//! never for data.

use super::snap_builder::Snap;
use super::{analyse, HangKind, Report, Wait};
use crate::model::snapshot::Access;
use crate::trace::hang::{Doing, FdRole, Fix, PolledPipe, Step};

const NO_TIMEOUT: u64 = u32::MAX as u64;

fn only_hang(r: &Report) -> &super::Hang {
    assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
    &r.hangs[0]
}

/// 30 wrote a line to its child 31 through pipe 1 and polls its write end
/// (fd 4) with `interest` (read, write) in `call`; 31 reads the pipe (fd 3)
/// until EOF. The pipe is empty: room for 30, nothing for 31.
fn poller_and_reader(call: &str, interest: (bool, bool)) -> Snap {
    let args: &[u64] = match call {
        "select" | "pselect6" => &[5, 0x7ff0, 0x7ff8, 0, 0],
        "epoll_wait" => &[5, 0x7ff0, 1, NO_TIMEOUT],
        _ => &[0x7ff0, 1, NO_TIMEOUT],
    };
    Snap::new(30)
        .proc(30, 1, "poller", 'S')
        .proc(31, 30, "reader", 'S')
        .pipe_fd(30, 4, 1, Access::Write)
        .pipe_fd(31, 3, 1, Access::Read)
        .fill(1, 0)
        .blocked(30, call, args)
        .polled(30, &[(4, interest.0, interest.1)])
        .blocked(31, "read", &[3, 0, 64])
}

#[test]
fn a_write_end_polled_for_nothing_waits_for_its_reader_to_go_and_room_does_not_free_it() {
    for (call, interest) in [
        ("poll", (false, false)),
        ("poll", (true, false)),
        ("epoll_wait", (true, false)),
        ("pselect6", (true, false)),
    ] {
        let r = analyse(&poller_and_reader(call, interest).done());
        assert_eq!(
            r.wait(30).unwrap().wait,
            Wait::Poll {
                call: call.into(),
                fds: Vec::new(),
                hangup: vec![PolledPipe {
                    fd: 4,
                    pipe: "pipe:[1]".into(),
                    read: false,
                    write: true
                }],
            },
            "{call} {interest:?}"
        );
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Deadlock);
        assert_eq!(h.cycle, vec![31, 30], "{call}");
        let Step::Poll {
            who,
            hangup,
            then: Some(then),
            ..
        } = &h.facts.steps[1]
        else {
            panic!("{h:#?}")
        };
        assert_eq!(who.pid, 30);
        assert_eq!(hangup.len(), 1);
        assert_eq!(hangup[0].0, 4);
        assert!(hangup[0].1.write);
        assert_eq!(
            (hangup[0].1.holders[0].proc.pid, &hangup[0].1.holders[0].fds),
            (31, &vec![3])
        );
        assert_eq!(
            then.doing,
            Doing::ReadPipe {
                pipe: "pipe:[1]".into(),
                fd: 3
            }
        );
        let Step::ReadPipe {
            then: Some(then), ..
        } = &h.facts.steps[0]
        else {
            panic!("{h:#?}")
        };
        assert!(
            matches!(&then.doing, Doing::Poll { fds, hangup, .. } if fds.is_empty() && hangup[0].fd == 4)
        );
        assert_eq!(
            h.facts.fix,
            Fix::CloseWatchedWriteEnd {
                holder: 30,
                fds: vec![4],
                reader: 31,
                call: call.into(),
                pipe: "pipe:[1]".into()
            }
        );
        // Each fd once, in the part the first step that names it gives it.
        assert_eq!(
            h.fds
                .iter()
                .map(|f| (f.pid, f.fd, f.role))
                .collect::<Vec<_>>(),
            vec![(31, 3, FdRole::BlockedReader), (30, 4, FdRole::Writer)]
        );
    }
}

#[test]
fn a_write_end_polled_for_room_is_still_freed_by_room() {
    let r = analyse(&poller_and_reader("poll", (false, true)).done());
    assert!(matches!(
        &r.wait(30).unwrap().wait,
        Wait::Poll { fds, hangup, .. } if fds[0].write && hangup.is_empty()
    ));
    assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
}

#[test]
fn a_write_end_watched_for_its_reader_is_free_when_the_reader_is_free_or_gone() {
    // The reader sleeps with a timeout (it will exit): no hang.
    let s = poller_and_reader("poll", (false, false))
        .blocked(31, "clock_nanosleep", &[1, 0, 0x7ff0, 0])
        .done();
    let r = analyse(&s);
    assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
    assert!(!r.wait(30).unwrap().stuck);
    // No reader left at all: POLLERR is due.
    let s = Snap::new(30)
        .proc(30, 1, "poller", 'S')
        .pipe_fd(30, 4, 1, Access::Write)
        .fill(1, 0)
        .blocked(30, "poll", &[0x7ff0, 1, NO_TIMEOUT])
        .polled(30, &[(4, false, false)])
        .done();
    let r = analyse(&s);
    assert!(r.hangs.is_empty() && !r.wait(30).unwrap().stuck);
}

#[test]
fn a_poller_holding_its_own_read_end_of_the_pipe_it_watches_waits_for_itself() {
    // 30 forgot to close its copy of the read end (fd 3) before watching
    // the write end for the child, long gone, to close its own.
    let s = Snap::new(30)
        .proc(30, 1, "poller", 'S')
        .pipe_fd(30, 3, 1, Access::Read)
        .pipe_fd(30, 4, 1, Access::Write)
        .fill(1, 0)
        .blocked(30, "poll", &[0x7ff0, 1, NO_TIMEOUT])
        .polled(30, &[(4, false, false)])
        .done();
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(h.cycle, vec![30]);
    assert_eq!(
        h.facts.fix,
        Fix::CloseForHangup {
            holder: 30,
            fds: vec![3],
            waiter: 30,
            call: "poll".into(),
            pipe: "pipe:[1]".into(),
            write: true
        }
    );
}

#[test]
fn a_reader_of_the_watched_pipe_blocked_elsewhere_is_told_to_close_its_read_end() {
    // 31 holds the read end (fd 3) but waits for 30 to exit; 30 watches
    // its write end for 31's read end to go.
    let s = poller_and_reader("poll", (false, false))
        .blocked(31, "wait4", &[30, 0, 0])
        .done();
    // 31 is not 30's parent: a wait4 for a non-child is free. Make 30 the
    // child of 31.
    let mut s = s;
    s.tasks[0].ppid = 31;
    s.tasks[1].ppid = 1;
    let r = analyse(&s);
    let h = only_hang(&r);
    assert_eq!(
        h.facts.fix,
        Fix::CloseForHangup {
            holder: 31,
            fds: vec![3],
            waiter: 30,
            call: "poll".into(),
            pipe: "pipe:[1]".into(),
            write: true
        }
    );
}

/// 40 polls the read end (fd 3) of pipe 1 with `interest`; its child 41
/// holds the write end (fd 4), has written 6 bytes (still in the pipe) and
/// now reads pipe 2 (fd 5), whose write end (fd 6) only 40 holds.
fn read_end_poller(interest: (bool, bool)) -> Snap {
    Snap::new(40)
        .proc(40, 1, "watcher", 'S')
        .proc(41, 40, "worker", 'S')
        .pipe_fd(40, 3, 1, Access::Read)
        .pipe_fd(40, 6, 2, Access::Write)
        .pipe_fd(41, 4, 1, Access::Write)
        .pipe_fd(41, 5, 2, Access::Read)
        .fill(1, 6)
        .fill(2, 0)
        .blocked(40, "poll", &[0x7ff0, 1, NO_TIMEOUT])
        .polled(40, &[(3, interest.0, interest.1)])
        .blocked(41, "read", &[5, 0, 64])
}

#[test]
fn a_read_end_polled_for_nothing_waits_for_its_writers_to_go_whatever_data_it_holds() {
    for interest in [(false, false), (false, true)] {
        let r = analyse(&read_end_poller(interest).done());
        assert!(
            matches!(
                &r.wait(40).unwrap().wait,
                Wait::Poll { fds, hangup, .. } if fds.is_empty() && hangup.len() == 1 && hangup[0].read && !hangup[0].write
            ),
            "{:?}",
            r.wait(40)
        );
        let h = only_hang(&r);
        assert_eq!(h.kind, HangKind::Deadlock);
        let step = h
            .facts
            .steps
            .iter()
            .find_map(|s| match s {
                Step::Poll { who, hangup, .. } if who.pid == 40 => Some(hangup),
                _ => None,
            })
            .expect("the watcher's step");
        assert!(!step[0].1.write);
        assert_eq!(step[0].1.holders[0].proc.pid, 41);
        assert_eq!(step[0].1.holders[0].fds, vec![4]);
        // The worker reads pipe 2 until EOF, which 40's fd 6 holds off.
        assert_eq!(
            h.facts.fix,
            Fix::CloseBeforePoll {
                holder: 40,
                fds: vec![6],
                reader: 41,
                call: "poll".into(),
                pipe: "pipe:[2]".into()
            }
        );
    }
    // Asked for data (POLLIN), the data in the pipe frees it.
    let r = analyse(&read_end_poller((true, false)).done());
    assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
}

#[test]
fn select_never_wakes_on_a_read_end_outside_its_readfds() {
    // A read end in writefds only: never ready (a read end is never in
    // error), so it releases nothing; alone in the set it is not analysed.
    let s = Snap::new(40)
        .proc(40, 1, "watcher", 'S')
        .proc(41, 40, "worker", 'R')
        .pipe_fd(40, 3, 1, Access::Read)
        .pipe_fd(41, 4, 1, Access::Write)
        .fill(1, 0)
        .blocked(40, "select", &[4, 0, 0x7ff0, 0, 0])
        .polled(40, &[(3, false, true)])
        .done();
    assert!(matches!(
        &analyse(&s).wait(40).unwrap().wait,
        Wait::External { .. }
    ));
    // A write end in exceptfds only: never ready either.
    let s = poller_and_reader("select", (false, false)).done();
    assert!(matches!(
        &analyse(&s).wait(30).unwrap().wait,
        Wait::External { .. }
    ));
}
