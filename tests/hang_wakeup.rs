//! Lost wakeups, for real: `fixtures/hang/lost_sigchld.c` pause()s for a
//! SIGCHLD that came already (its child is a zombie). `record
//! --stall-timeout 1 --on-deadlock kill` names it with the right pids and
//! fix, `doctor` tells it again from the trace in English and Chinese, and
//! `snapshot` finds it in the program started without a tracer. A parent
//! that pause()s while its child is alive (and later signals it) is never
//! claimed. Every program runs in its own process group, killed when the
//! test ends; timing is never asserted.

mod common;

use common::{check_invariants, fixture_from, forkscope};
use forkscope::trace::{read_all, Event, EventKind, ForkFlavor};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A child in its own process group; the whole group is SIGKILLed on drop.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: killpg takes integers only.
        unsafe {
            libc::killpg(self.0.id() as i32, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// Reads all of `r`.
fn read_all_of(r: Option<impl Read>) -> Vec<u8> {
    let mut v = Vec::new();
    if let Some(mut r) = r {
        r.read_to_end(&mut v).unwrap();
    }
    v
}

/// Runs `cmd` in its own group, killed after 60 s at worst.
fn run(cmd: &mut Command) -> Output {
    let mut g = Group(
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let out = g.0.stdout.take();
    let err = g.0.stderr.take();
    let out = std::thread::spawn(move || read_all_of(out));
    let err = std::thread::spawn(move || read_all_of(err));
    let start = Instant::now();
    let status = loop {
        if let Some(st) = g.0.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "did not end in 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(g);
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Records `bin` under the hang watch; returns forkscope's output and the
/// trace's events.
fn record(bin: &std::path::Path) -> (Output, Vec<Event>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let out = run(forkscope()
        .args(["record", "-o"])
        .arg(&trace)
        .args(["--stall-timeout", "1", "--on-deadlock", "kill", "--"])
        .arg(bin));
    let (header, events, _) = read_all(&trace).unwrap();
    check_invariants(&header, &events);
    (out, events, dir)
}

fn forks(events: &[Event], parent: i32) -> Vec<i32> {
    events
        .iter()
        .filter(|e| e.pid == parent)
        .filter_map(|e| match &e.kind {
            EventKind::Fork { child, flavor, .. } if *flavor != ForkFlavor::Thread => Some(*child),
            _ => None,
        })
        .collect()
}

#[test]
fn a_pause_for_a_sigchld_that_came_already_is_named_a_lost_wakeup_with_its_fix() {
    let bin = fixture_from("hang", "lost_sigchld");
    let (out, events, dir) = record(&bin);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(124), "{stderr}");
    let parent = events[0].pid;
    let kids = forks(&events, parent);
    assert_eq!(kids.len(), 1, "{events:?}");
    let child = kids[0];
    let who = format!("{parent} (lost_sigchld)");
    for s in [
        format!("stuck: {who} waits for SIGCHLD in pause, but all its children have exited already ({child} (lost_sigchld) left unreaped): a lost wakeup"),
        format!("Fix: in {who}, block SIGCHLD (sigprocmask) before fork and wait for it with sigsuspend"),
        "or call waitpid instead of pause".to_string(),
    ] {
        assert!(stderr.contains(&s), "{s:?} in:\n{stderr}");
    }
    assert_eq!(stderr.matches("Fix:").count(), 1, "{stderr}");
    // The stall names both: the waiter and its zombie.
    let stall = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Stall { tasks, hang, .. } => Some((tasks.clone(), hang.clone())),
            _ => None,
        })
        .expect("a stall event");
    assert_eq!(stall.0, vec![parent, child]);
    assert_eq!(stall.1.as_str(), "stuck");
    // doctor tells it again from the trace, in both languages.
    let trace = dir.path().join("t.jsonl");
    let en = run(forkscope().args(["--color", "never", "doctor"]).arg(&trace));
    let en = String::from_utf8_lossy(&en.stdout);
    assert!(en.contains("error[hang]"), "{en}");
    assert!(en.contains("a lost wakeup"), "{en}");
    assert!(
        en.contains("block SIGCHLD (sigprocmask) before fork"),
        "{en}"
    );
    let zh = run(forkscope()
        .args(["--color", "never", "--lang", "zh", "doctor"])
        .arg(&trace));
    let zh = String::from_utf8_lossy(&zh.stdout);
    assert!(zh.contains("唤醒丢失了"), "{zh}");
    assert!(
        zh.contains(&format!(
            "在 {parent}（lost_sigchld）里，fork 之前先屏蔽 SIGCHLD"
        )),
        "{zh}"
    );
}

#[test]
fn the_untraced_program_hangs_the_same_and_snapshot_names_the_lost_wakeup() {
    let bin = fixture_from("hang", "lost_sigchld");
    let g = Group(
        Command::new(&bin)
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = g.0.id() as i32;
    let snapshot = |lang: &str| {
        forkscope()
            .args(["--color", "never", "--lang", lang, "snapshot"])
            .arg(pid.to_string())
            .output()
            .unwrap()
    };
    let mut found = None;
    for _ in 0..200 {
        let out = snapshot("en");
        if out.status.code() == Some(1) {
            found = Some(String::from_utf8_lossy(&out.stdout).into_owned());
            break;
        }
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = found.expect("the untraced program hangs too");
    let kids: Vec<i32> = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap()
        .split_whitespace()
        .map(|k| k.parse().unwrap())
        .collect();
    assert_eq!(kids.len(), 1);
    let state = std::fs::read_to_string(format!("/proc/{}/stat", kids[0])).unwrap();
    assert!(state.contains(") Z "), "its child is a zombie: {state}");
    assert!(
        text.contains(&format!(
            "stuck: {pid} (lost_sigchld) waits for SIGCHLD in pause, but all its children have exited already ({} (lost_sigchld) left unreaped)",
            kids[0]
        )),
        "{text}"
    );
    assert!(text.contains("Fix: in "), "{text}");
    let zh = snapshot("zh");
    assert_eq!(zh.status.code(), Some(1));
    let zh = String::from_utf8_lossy(&zh.stdout);
    assert!(
        zh.contains(&format!("{pid}（lost_sigchld）在 pause 里等 SIGCHLD")),
        "{zh}"
    );
}

#[test]
fn a_pause_while_a_live_child_will_still_signal_is_not_claimed() {
    let bin = fixture_from("hang", "pause_with_live_child");
    let untraced = run(&mut Command::new(&bin));
    let (out, events, _dir) = record(&bin);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), untraced.status.code(), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("Fix:") && !stderr.contains("made progress"),
        "{stderr}"
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Stall { .. })));
}

#[test]
fn a_child_locking_a_mutex_fork_copied_locked_is_named_with_its_fix() {
    let bin = fixture_from("hang", "fork_copied_lock");
    let (out, events, dir) = record(&bin);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(124), "{stderr}");
    let parent = events[0].pid;
    let kids = forks(&events, parent);
    assert_eq!(kids.len(), 1, "one fork: {events:?}");
    let child = kids[0];
    for s in [
        format!("stuck: {child} (fork_copied_lock) waits on a lock that fork copied locked from {parent} (fork_copied_lock), which has several threads"),
        format!("forked without exec from {parent} (fork_copied_lock), which runs 2 threads"),
        format!("Fix: do not fork from a multi-threaded program unless the child calls exec right away: in {parent} (fork_copied_lock), use posix_spawn"),
        "pthread_atfork".to_string(),
    ] {
        assert!(stderr.contains(&s), "{s:?} in:\n{stderr}");
    }
    let trace = dir.path().join("t.jsonl");
    let zh = run(forkscope()
        .args(["--color", "never", "--lang", "zh", "doctor"])
        .arg(&trace));
    let zh = String::from_utf8_lossy(&zh.stdout);
    assert!(zh.contains("持有它的线程在子进程里并不存在"), "{zh}");
    assert!(zh.contains("pthread_atfork"), "{zh}");
}
