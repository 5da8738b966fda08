//! Forgetting reaped processes (model/forget.rs): a forgetting model says
//! the same as a full one about every process that is not reaped, and
//! keeps few of the others.

use super::*;

/// The events of a long-running shell: many short children (some exec, some
/// only inherit the shell's program), an orphan whose program belongs to a
/// reaped process, a CLONE_PARENT child whose creator is reaped, a second
/// wait for a long-reaped pid, and a pid reused.
fn scenario(s: &mut Sim) {
    s.exec(1, "/bin/sh");
    for i in 0..300 {
        let c = 1000 + i;
        s.fork(1, c);
        if i % 2 == 0 {
            s.exec(c, "/bin/true");
        }
        s.exit(c, i % 3);
        s.wait(1, c, i % 3);
    }
    // 500 runs a daemon, which forks 501 (no exec: it runs 500's program),
    // and exits; the shell reaps 500, 501 lives on, an orphan.
    s.fork(1, 500);
    s.exec(500, "/bin/daemon");
    s.fork(500, 501);
    s.exit(500, 0);
    s.wait(1, 500, 0);
    // 600 makes 601 with CLONE_PARENT: 601 is the shell's child running
    // 600's program; 600 exits and is reaped.
    s.fork(1, 600);
    s.exec(600, "/bin/maker");
    s.ev(
        600,
        EventKind::Fork {
            child: 601,
            flavor: ForkFlavor::Clone,
            shares_fds: false,
            syscall: "clone".into(),
            flags: libc::CLONE_PARENT as u64,
            fds: None,
        },
    );
    s.exit(600, 0);
    s.wait(1, 600, 0);
    // 700 exits and stays a zombie.
    s.fork(1, 700);
    s.exit(700, 9);
    for i in 300..600 {
        let c = 1000 + i;
        s.fork(1, c);
        s.exit(c, 0);
        s.wait(1, c, 0);
    }
    // A second wait for a pid reaped long ago, then the pid reused.
    s.wait(1, 1000, 0);
    s.fork(1, 1000);
    s.exec(1000, "/bin/again");
}

fn run(window: Option<usize>) -> Sim {
    let mut s = Sim::with_shell(1);
    if let Some(w) = window {
        s.m.forget_reaped(w);
    }
    scenario(&mut s);
    s
}

/// What a process that is not reaped looks like, by pid.
fn not_reaped(m: &Model) -> Vec<String> {
    let t = m.tree();
    let mut v: Vec<String> = t
        .iter()
        .filter(|p| p.state != ProcessState::Reaped)
        .map(|p| {
            format!(
                "{} {:?} parent={:?} program={:?} born={} orphaned={:?} children={:?} fds={:?}",
                p.pid,
                p.state,
                t.parent(p.id).map(|pp| pp.pid),
                t.program(p.id).map(|e| e.path.lossy().into_owned()),
                p.born.seq,
                p.orphaned.map(|o| o.at.seq),
                t.children(p.id)
                    .filter(|c| c.state != ProcessState::Reaped)
                    .map(|c| c.pid)
                    .collect::<Vec<_>>(),
                m.fds(p.pid).iter().map(|f| f.fd).collect::<Vec<_>>(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_forgetting_model_says_what_a_full_one_says_about_every_process_not_reaped() {
    let full = run(None);
    for window in [0, 1, 7, 1024] {
        let lean = run(Some(window));
        assert_eq!(not_reaped(&lean.m), not_reaped(&full.m), "window {window}");
        assert_eq!(lean.m.anomalies(), full.m.anomalies(), "window {window}");
        assert_eq!(lean.m.census(), full.m.census(), "window {window}");
    }
    // The orphan still runs the program of the reaped process it inherited
    // it from, and the CLONE_PARENT child its reaped creator's.
    let lean = run(Some(0));
    let program = |pid| {
        let t = lean.m.tree();
        t.program(t.get(pid).unwrap().id)
            .map(|e| e.path.lossy().into_owned())
    };
    assert_eq!(program(501).as_deref(), Some("/bin/daemon"));
    assert_eq!(program(601).as_deref(), Some("/bin/maker"));
    assert_eq!(program(1000).as_deref(), Some("/bin/again"));
}

#[test]
fn a_second_wait_for_a_forgotten_pid_is_still_a_reap_of_a_reaped_process() {
    let lean = run(Some(0));
    assert!(
        lean.m
            .anomalies()
            .iter()
            .any(|a| matches!(a, Anomaly::ReapedTwice { child: 1000, .. })),
        "{:?}",
        lean.m.anomalies()
    );
}

#[test]
fn a_forgetting_model_keeps_the_window_and_what_is_pinned_not_every_reaped_process() {
    let full = run(None);
    let lean = run(Some(16));
    // The full model keeps all ~610 processes; the lean one the live and
    // zombie ones, the 16 last reaped, the reaped ones still referred to
    // (500 and 600), and forgotten ones sharing a chunk with those.
    assert!(full.m.tree().iter().count() > 600);
    let kept = lean.m.tree().iter().count();
    assert!(kept <= 6 + 16 + 2, "kept {kept}");
    let held = lean.m.tree().procs.iter().count();
    assert!(held <= 8 * 32, "{held} process records held");
    // The shell's list of children was cut down to the ones kept.
    let shell = lean.m.tree().get(1).unwrap();
    assert!(shell.children.len() < 100, "{}", shell.children.len());
    // Forgotten processes are gone from every way in.
    assert!(lean.m.process(1001).is_none());
    assert!(full.m.process(1001).is_some());
}

/// A `pipe` event by pid 1 making `pipe_id` (fds 3 and 4).
fn pipe_made(pipe_id: u64) -> Event {
    Event {
        seq: 0,
        ts_ns: 0,
        pid: 1,
        kind: EventKind::Pipe {
            read_fd: 3,
            write_fd: 4,
            pipe_id,
            cloexec: false,
            nonblock: false,
        },
    }
}

#[test]
fn a_forgetting_replay_forgets_the_numbers_of_pipes_released_long_ago_but_never_gives_one_twice() {
    use crate::model::labels::Labels;
    let mut s = Sim::with_shell(1);
    let mut labels = Labels::default();
    labels.forget_released_after(2);
    let mut numbers = Vec::new();
    for i in 0..10u64 {
        labels.observe(&pipe_made(100 + i));
        let a = s.pipe(1, 3, 4, 100 + i);
        labels.forget_released(&a);
        numbers.push(labels.number(100 + i));
        s.close(1, 3);
        // The close of the last end releases the pipe; its own event still
        // names it.
        let a = s.close(1, 4);
        assert!(has_note(&a, |n| matches!(n, Note::PipeReleased { .. })));
        assert_eq!(labels.number(100 + i), Some(i as u32 + 1));
        labels.forget_released(&a);
    }
    // Every pipe got its own number, in order.
    assert_eq!(numbers, (1..=10).map(Some).collect::<Vec<_>>());
    // The latest event's pipe and the window's two before it keep their
    // numbers; older ones are forgotten.
    assert_eq!(labels.number(109), Some(10));
    assert_eq!(labels.number(107), Some(8));
    assert_eq!(labels.number(108), Some(9));
    assert_eq!(labels.number(100), None);
    assert_eq!(labels.number(105), None);
    // A new pipe gets the next number, not a forgotten one.
    labels.observe(&pipe_made(500));
    assert_eq!(labels.number(500), Some(11));
}
