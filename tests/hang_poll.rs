//! A multiplexer watching a pipe end only for the other side to go, for
//! real: `fixtures/hang/poll_for_reader_exit.c` polls its own write end
//! with events 0 (woken only by POLLERR: every reader gone) while its child
//! reads that pipe until EOF, which only the parent's close would give.
//! `record --stall-timeout 1 --on-deadlock kill` names the deadlock with
//! the right pids, fds and fix, `doctor` tells it again from the trace in
//! English and Chinese, `snapshot` finds it in the program started
//! untraced, and Ctrl-C explains it. The same poll whose reader exits by
//! itself (`exits`) is never claimed, and behaves as it does untraced.
//!
//! Every program runs in its own process group, killed when the test ends.
//! Timing is printed, never asserted.

mod common;

use common::{check_invariants, fixture_from, forkscope, Group};
use forkscope::trace::{read_all, Event, EventKind, ForkFlavor};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn poller() -> PathBuf {
    fixture_from("hang", "poll_for_reader_exit")
}

/// `forkscope --lang LANG doctor TRACE`'s stdout, whitespace taken out
/// (its lines are wrapped).
fn doctor_flat(trace: &Path, lang: &str) -> String {
    let out = forkscope()
        .args(["--color", "never", "--lang", lang, "doctor"])
        .arg(trace)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect()
}

/// Records `args` under --stall-timeout 1 --on-deadlock kill: (exit code,
/// stderr, the trace's directory).
fn record(args: &[&str]) -> (i32, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let mut g = Group::spawn(
        forkscope()
            .args(["--color", "never", "record", "-q", "-o"])
            .arg(dir.path().join("t.jsonl"))
            .args(["--stall-timeout", "1", "--on-deadlock", "kill", "--"])
            .arg(poller())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let mut err = g.0.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let status = loop {
        if let Some(st) = g.0.try_wait().unwrap() {
            break st;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{args:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().unwrap();
    eprintln!(
        "{args:?}: forkscope ended after {:.2} s (stall timeout 1 s)",
        start.elapsed().as_secs_f64()
    );
    (status.code().unwrap(), stderr, dir)
}

/// The root's one forked child.
fn child_of(events: &[Event], root: i32) -> i32 {
    let kids: Vec<i32> = events
        .iter()
        .filter(|e| e.pid == root)
        .filter_map(|e| match &e.kind {
            EventKind::Fork { child, flavor, .. } if *flavor != ForkFlavor::Thread => Some(*child),
            _ => None,
        })
        .collect();
    assert_eq!(kids.len(), 1, "{events:?}");
    kids[0]
}

#[test]
fn a_parent_polling_its_write_end_for_its_reader_to_go_is_named_a_deadlock_with_its_fix() {
    let (code, err, dir) = record(&[]);
    assert_eq!(code, 124, "{err}");
    let trace = dir.path().join("t.jsonl");
    let (header, events, _) = read_all(&trace).unwrap();
    check_invariants(&header, &events);
    let parent = header.root_pid;
    let child = child_of(&events, parent);
    let has = |s: &str| assert!(err.contains(s), "stderr should contain {s:?}:\n{err}");
    has(&format!(
        "deadlock: {child} (poll_for_reader_exit) and {parent} (poll_for_reader_exit) wait for each other"
    ));
    has(&format!(
        "{child} (poll_for_reader_exit) is blocked reading pipe:["
    ));
    has(&format!(
        "] via fd 3; the pipe is empty and its write end is still open in {parent} (poll_for_reader_exit) fd 4, which is blocked in poll waiting for pipe:["
    ));
    has(&format!(
        "{parent} (poll_for_reader_exit) is blocked in poll waiting for pipe:["
    ));
    has("] via fd 4 to lose its last reader; the read end of pipe:[");
    has(&format!(
        "] is still open in {child} (poll_for_reader_exit) fd 3, which is blocked reading pipe:["
    ));
    has(&format!(
        "Fix: close fd 4 in {parent} as soon as it has written all it will, and do not wait in poll for pipe:["
    ));
    has(&format!(
        "(to learn that {child} is done, wait for it with waitpid or a pidfd): {child} reads pipe:["
    ));
    assert_eq!(err.matches("Fix:").count(), 1, "{err}");
    // The stall: a killed deadlock of both, with the child's read end and
    // the parent's write end.
    let (tasks, fds) = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Stall {
                tasks,
                fds,
                killed,
                hang,
                ..
            } => {
                assert!(*killed);
                assert_eq!(hang.as_str(), "deadlock");
                Some((tasks.clone(), fds.clone()))
            }
            _ => None,
        })
        .expect("a stall event");
    assert_eq!(tasks, vec![child, parent]);
    assert!(
        fds.iter()
            .any(|f| f.pid == child && f.fd == 3 && f.role == "blocked-reader"),
        "{fds:?}"
    );
    assert!(
        fds.iter()
            .any(|f| f.pid == parent && f.fd == 4 && f.role == "writer"),
        "{fds:?}"
    );
    // doctor tells it again from the trace, in both languages.
    let en = doctor_flat(&trace, "en");
    assert!(en.contains("error[hang]"), "{en}");
    assert!(
        en.contains(&format!(
            "{parent}(poll_for_reader_exit)isblockedinpollwaitingforpipe:["
        )) && en.contains("viafd4toloseitslastreader"),
        "{en}"
    );
    assert!(
        en.contains(&format!(
            "closefd4in{parent}assoonasithaswrittenallitwill,anddonotwaitinpoll"
        )),
        "{en}"
    );
    let zh = doctor_flat(&trace, "zh");
    assert!(
        zh.contains(&format!(
            "{parent}（poll_for_reader_exit）阻塞在poll里，等着pipe:["
        )) && zh.contains("的读端全部关闭（它通过fd4持有写端）"),
        "{zh}"
    );
    assert!(
        zh.contains(&format!("{parent}一写完就关闭fd4，也别在poll里等pipe:["))
            && zh.contains(&format!("就用waitpid或者pidfd等它）：{child}要把pipe:[")),
        "{zh}"
    );
}

#[test]
fn snapshot_names_the_deadlock_of_the_poller_started_untraced_in_both_languages() {
    let g = Group::spawn(
        Command::new(poller())
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    );
    let parent = g.pid();
    let snapshot = |lang: &str| {
        forkscope()
            .args(["--color", "never", "--lang", lang, "snapshot"])
            .arg(parent.to_string())
            .output()
            .unwrap()
    };
    let mut text = None;
    for _ in 0..100 {
        let out = snapshot("en");
        if out.status.code() == Some(1) {
            text = Some(String::from_utf8_lossy(&out.stdout).into_owned());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = text.expect("snapshot names the deadlock");
    // The child: the one other task listed.
    let child: i32 = text
        .lines()
        .nth(2)
        .and_then(|l| l.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    let has = |t: &str, s: &str| assert!(t.contains(s), "{s:?} in:\n{t}");
    has(
        &text,
        &format!("{parent} poll_for_reader_exit [S] waiting in poll for pipe:["),
    );
    has(&text, "] via fd 4 to lose its last reader  STUCK");
    has(
        &text,
        &format!("{child} poll_for_reader_exit [S] reading pipe:["),
    );
    has(
        &text,
        &format!("deadlock: {child} (poll_for_reader_exit) and {parent} (poll_for_reader_exit) wait for each other"),
    );
    has(
        &text,
        &format!("Fix: close fd 4 in {parent} as soon as it has written all it will"),
    );
    let zh = String::from_utf8_lossy(&snapshot("zh").stdout).into_owned();
    has(
        &zh,
        &format!("{parent} poll_for_reader_exit [S] 在 poll 里等着 pipe:["),
    );
    has(&zh, "的读端全部关闭（它通过 fd 4 持有写端）  卡住了");
    has(
        &zh,
        &format!("怎么改：{parent} 一写完就关闭 fd 4，也别在 poll 里等 pipe:["),
    );
}

#[test]
fn ctrl_c_on_the_pollers_deadlock_explains_it_before_it_dies() {
    let (_, err) = common::ctrl_c_when_hung(&[poller()], 100);
    assert!(
        err.contains("SIGINT arrived while the traced processes were stuck"),
        "{err}"
    );
    assert!(
        err.contains("is blocked in poll waiting for pipe:[")
            && err.contains("] via fd 4 to lose its last reader"),
        "{err}"
    );
    assert_eq!(err.matches("Fix:").count(), 1, "{err}");
}

#[test]
fn the_same_poll_whose_reader_exits_by_itself_is_never_claimed_and_runs_as_untraced() {
    // Untraced: the child reads a line, sleeps 2 s and exits; POLLERR
    // wakes the parent, which reaps it and exits 0.
    let untraced = Command::new(poller())
        .arg("exits")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(untraced.status.code(), Some(0));
    // Traced under the hang watch, which looks while the parent is
    // blocked in poll and the child sleeps: nothing to report.
    let (code, err, dir) = record(&["exits"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("deadlock") && !err.contains("Fix:"), "{err}");
    let trace = dir.path().join("t.jsonl");
    let (header, events, _) = read_all(&trace).unwrap();
    check_invariants(&header, &events);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Stall { .. })),
        "{events:?}"
    );
    let verify = forkscope()
        .args(["replay", "--verify"])
        .arg(&trace)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}
