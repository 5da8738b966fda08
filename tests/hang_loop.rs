//! Event loops (issue 12, hang class 5), for real: a loop waits in
//! epoll_wait on its own wake-up channels (a self-pipe and an eventfd in
//! `fixtures/hang/event_loop.c`, asyncio's socket pair in Python) as well
//! as on a pipe whose writer waits for the loop. Only the loop holds its
//! wake-up channels, so they must not hide the deadlock: `record
//! --stall-timeout 1 --on-deadlock kill` names it (and kills it, exit 124),
//! `doctor` tells it again in English and Chinese, `snapshot` finds it in
//! the program started untraced, and Ctrl-C explains it.
//!
//! Every program runs in its own process group, killed when the test ends.
//! Timing is printed, never asserted.

mod common;

use common::{check_invariants, fixture_from, forkscope, Group};
use forkscope::trace::{read_all, EventKind};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn event_loop() -> PathBuf {
    fixture_from("hang", "event_loop")
}

/// `forkscope --lang LANG doctor TRACE`'s stdout, whitespace taken out
/// (its lines are wrapped).
fn doctor_flat(trace: &std::path::Path, lang: &str) -> String {
    let out = forkscope()
        .args(["--color", "never", "--lang", lang, "doctor"])
        .arg(trace)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect()
}

/// Records `cmd` under --stall-timeout 1 --on-deadlock kill: (exit code,
/// stderr, the trace's directory).
fn record(cmd: &[&str]) -> (i32, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let mut g = Group::spawn(
        forkscope()
            .args(["--color", "never", "record", "-q", "-o"])
            .arg(dir.path().join("t.jsonl"))
            .args(["--stall-timeout", "1", "--on-deadlock", "kill", "--"])
            .args(cmd)
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
        assert!(start.elapsed() < Duration::from_secs(60), "{cmd:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().unwrap();
    eprintln!(
        "{cmd:?}: forkscope ended after {:.2} s (stall timeout 1 s)",
        start.elapsed().as_secs_f64()
    );
    (status.code().unwrap(), stderr, dir)
}

#[test]
fn a_deadlock_behind_an_event_loops_own_wake_up_fds_is_named_and_killed() {
    let bin = event_loop();
    let (code, err, dir) = record(&[bin.to_str().unwrap()]);
    assert_eq!(code, 124, "{err}");
    let trace = dir.path().join("t.jsonl");
    let (header, events, _) = read_all(&trace).unwrap();
    check_invariants(&header, &events);
    let root = header.root_pid;
    let worker = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Fork { child, .. } if e.pid == root => Some(*child),
            _ => None,
        })
        .unwrap();
    let has = |s: &str| assert!(err.contains(s), "stderr should contain {s:?}:\n{err}");
    has("deadlock: ");
    has(&format!("{worker} (event_loop) is blocked reading pipe:["));
    has(&format!(
        "{root} (event_loop) is blocked in epoll_wait, an event loop waiting to read pipe:["
    ));
    has(" via fd 5 and on its own wake-up self-pipe fd 3 (write end fd 4) and eventfd fd 9, which no other process holds: nothing outside ");
    has(&format!(
        "Fix: close fd 8 in {root} as soon as it has written all it will, before it waits in epoll_wait"
    ));
    assert_eq!(err.matches("Fix:").count(), 1, "{err}");
    // The stall's fds name the loop's real fd and the worker's.
    let fds = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Stall { fds, killed, .. } => {
                assert!(*killed);
                Some(fds.clone())
            }
            _ => None,
        })
        .expect("a stall event");
    assert!(
        fds.iter()
            .any(|f| f.pid == root && f.fd == 5 && f.role == "blocked-reader"),
        "{fds:?}"
    );
    assert!(
        fds.iter()
            .any(|f| f.pid == worker && f.fd == 7 && f.role == "blocked-reader"),
        "{fds:?}"
    );
    // doctor tells it again in both languages.
    let en = doctor_flat(&trace, "en");
    assert!(
        en.contains("onitsownwake-upself-pipefd3(writeendfd4)andeventfdfd9"),
        "{en}"
    );
    let zh = doctor_flat(&trace, "zh");
    assert!(
        zh.contains("是一个事件循环，阻塞在epoll_wait里") && zh.contains("自管道fd3（写端fd4）"),
        "{zh}"
    );
}

#[test]
fn snapshot_names_the_event_loops_deadlock_in_the_program_started_untraced() {
    let g = Group::spawn(
        Command::new(event_loop())
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    );
    let mut text = None;
    for _ in 0..100 {
        let out = forkscope()
            .args(["--color", "never", "snapshot"])
            .arg(g.pid().to_string())
            .output()
            .unwrap();
        if out.status.code() == Some(1) {
            text = Some(String::from_utf8_lossy(&out.stdout).into_owned());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let text = text.expect("snapshot names the deadlock");
    assert!(text.contains("deadlock: "), "{text}");
    assert!(
        text.contains("an event loop in epoll_wait, waiting to read pipe:["),
        "{text}"
    );
    assert!(
        text.contains("on its own wake-up self-pipe fd 3 (write end fd 4) and eventfd fd 9"),
        "{text}"
    );
}

#[test]
fn ctrl_c_on_an_event_loops_deadlock_explains_it_before_it_dies() {
    let (_, err) = common::ctrl_c_when_hung(&[event_loop()], 100);
    assert!(
        err.contains("SIGINT arrived while the traced processes were stuck"),
        "{err}"
    );
    assert!(
        err.contains("an event loop waiting to read pipe:["),
        "{err}"
    );
}

#[test]
fn an_asyncio_parent_reading_a_child_it_never_closed_the_stdin_of_is_named() {
    // asyncio's loop waits in epoll_wait on its self-pipe (a socket pair),
    // on cat's stdout, and on cat's stdin for its last reader to go; it
    // wrote a line and never closed stdin, so cat never ends.
    let script = [
        "import asyncio",
        "async def main():",
        "    p = await asyncio.create_subprocess_exec('cat', stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)",
        "    p.stdin.write(b'hi\\n')",
        "    await p.stdin.drain()",
        "    print(await p.stdout.read())",
        "asyncio.run(main())",
    ]
    .join("\n");
    if Command::new("python3").arg("-c").arg("").status().is_err() {
        eprintln!("note: no python3 here, skipped");
        return;
    }
    let (code, err, _dir) = record(&["python3", "-c", &script]);
    assert_eq!(code, 124, "{err}");
    assert!(err.contains("deadlock: "), "{err}");
    assert!(
        err.contains("(python3) is blocked in epoll_wait, an event loop waiting to read pipe:["),
        "{err}"
    );
    assert!(err.contains("on its own wake-up socket pair fd "), "{err}");
    assert!(err.contains("(cat) is blocked reading pipe:["), "{err}");
    assert_eq!(err.matches("Fix:").count(), 1, "{err}");
}
