//! Event loops in the wait-for graph (issue 12, hang class 5): a loop's own
//! wake-up channel (an eventfd, a socket pair, a self-pipe) that only its
//! process holds does not hide a deadlock on its real fds; one another
//! process holds an end of does.

use super::snap_builder::Snap;
use super::{analyse, HangKind, Wait};
use crate::model::snapshot::Access;
use crate::trace::hang::{Doing, Fix, Step, WakeKind};

/// Loop 1 waits in epoll on the reply pipe 1 (fd 5) and its wake-up fds;
/// worker 2 reads the request pipe 2, whose write end (fd 6) the loop
/// holds, before it would write the reply (fd 1).
fn event_loop(wake: impl FnOnce(Snap) -> Snap, set: &[(i32, bool, bool)]) -> Snap {
    let s = Snap::new(1)
        .proc(1, 0, "loop", 'S')
        .proc(2, 1, "worker", 'S')
        .pipe_fd(1, 5, 1, Access::Read)
        .pipe_fd(1, 6, 2, Access::Write)
        .pipe_fd(2, 1, 1, Access::Write)
        .pipe_fd(2, 0, 2, Access::Read)
        .fill(1, 0)
        .fill(2, 0);
    wake(s)
        .blocked(1, "epoll_wait", &[3, 0x7ff0, 8, u32::MAX as u64])
        .polled(1, set)
        .blocked(2, "read", &[0, 0, 1])
}

#[test]
fn an_eventfd_only_the_loop_holds_does_not_hide_the_deadlock_on_its_pipes() {
    let s = event_loop(
        |s| s.channel(1, 4, "eventfd:7"),
        &[(4, true, false), (5, true, false)],
    )
    .done();
    let r = analyse(&s);
    assert!(matches!(
        &r.wait(1).unwrap().wait,
        Wait::Loop { wake, fds, .. } if wake[0].kind == WakeKind::Eventfd && wake[0].fd == 4 && fds[0].fd == 5
    ));
    assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
    let h = &r.hangs[0];
    assert_eq!(h.kind, HangKind::Deadlock);
    assert!(h
        .facts
        .steps
        .iter()
        .any(|st| matches!(st, Step::Loop { wake, .. } if wake[0].fd == 4)));
    assert!(matches!(
        &h.facts.fix,
        Fix::CloseBeforePoll { holder: 1, fds, reader: 2, .. } if fds == &vec![6]
    ));
}

#[test]
fn no_claim_when_another_process_holds_an_end_of_the_wake_up_channel() {
    // The worker kept the eventfd: it may write it.
    let s = event_loop(
        |s| s.channel(1, 4, "eventfd:7").channel(2, 9, "eventfd:7"),
        &[(4, true, false), (5, true, false)],
    )
    .done();
    let r = analyse(&s);
    assert!(matches!(&r.wait(1).unwrap().wait, Wait::External { .. }));
    assert!(r.hangs.is_empty(), "{:#?}", r.hangs);
    // The same with a socket pair whose peer the worker holds.
    let s = event_loop(
        |s| {
            s.channel(1, 4, "socketpair:10-11")
                .channel(2, 9, "socketpair:10-11")
        },
        &[(4, true, false), (5, true, false)],
    )
    .done();
    assert!(analyse(&s).hangs.is_empty());
}

#[test]
fn a_socket_pair_and_a_self_pipe_of_the_loop_are_its_own_wake_up_fds() {
    let s = event_loop(
        |s| {
            s.channel(1, 3, "socketpair:10-11")
                .channel(1, 4, "socketpair:10-11")
                .pipe_fd(1, 7, 3, Access::Read)
                .pipe_fd(1, 8, 3, Access::Write)
        },
        &[(3, true, false), (5, true, false), (7, true, false)],
    )
    .done();
    let r = analyse(&s);
    let Wait::Loop { wake, fds, .. } = &r.wait(1).unwrap().wait else {
        panic!("{:#?}", r.wait(1))
    };
    assert_eq!(fds.len(), 1);
    assert_eq!(
        wake.iter()
            .map(|w| (w.fd, w.kind, w.others.clone()))
            .collect::<Vec<_>>(),
        vec![
            (3, WakeKind::SocketPair, vec![4]),
            (7, WakeKind::SelfPipe, vec![8])
        ]
    );
    assert_eq!(r.hangs.len(), 1);
    // Another thread of the loop's process, running, may wake it.
    let s = event_loop(
        |s| s.channel(1, 3, "eventfd:7").thread(1, 9, 'R'),
        &[(3, true, false), (5, true, false)],
    )
    .done();
    assert!(analyse(&s).hangs.is_empty(), "{:#?}", analyse(&s).hangs);
}

#[test]
fn a_pipe_the_poller_holds_both_ends_of_alone_in_its_set_is_not_a_wake_up_fd() {
    let s = Snap::new(1)
        .proc(1, 0, "p", 'S')
        .pipe_fd(1, 3, 1, Access::Read)
        .pipe_fd(1, 4, 1, Access::Write)
        .fill(1, 0)
        .blocked(1, "poll", &[0x7ff0, 1, u32::MAX as u64])
        .polled(1, &[(3, true, false)])
        .done();
    assert!(matches!(
        &analyse(&s).wait(1).unwrap().wait,
        Wait::Poll { .. }
    ));
}

#[test]
fn a_write_end_watched_only_for_its_readers_to_go_waits_for_them_whatever_room_it_has() {
    // asyncio: the loop watches a subprocess's stdin (fd 6) with EPOLLIN,
    // for the error its last reader's close raises; the pipe is empty.
    let s = event_loop(
        |s| s.channel(1, 3, "eventfd:7"),
        &[(3, true, false), (5, true, false), (6, true, false)],
    )
    .done();
    let r = analyse(&s);
    assert!(matches!(
        &r.wait(1).unwrap().wait,
        Wait::Loop { hangup, .. } if hangup.len() == 1 && hangup[0].fd == 6
    ));
    assert_eq!(r.hangs.len(), 1, "{:#?}", r.hangs);
    // The worker's step says what the loop waits for, the watched end too.
    let then = r.hangs[0]
        .facts
        .steps
        .iter()
        .find_map(|st| match st {
            Step::ReadPipe { who, then, .. } if who.pid == 2 => then.clone(),
            _ => None,
        })
        .expect("the worker's step says what the loop does");
    assert!(
        matches!(&then.doing, Doing::Loop { fds, hangup, .. } if fds[0].fd == 5 && hangup[0].fd == 6),
        "{then:?}"
    );
}
