//! Hangs, for real: each fixture in `fixtures/hang/` blocks forever; under
//! `record --stall-timeout 1 --on-deadlock kill` forkscope must explain it
//! (the pids, fds and pipes checked against the trace's own events), kill
//! it and exit 124; the non-hangs must run to the end without a report.
//! `snapshot` reads hung fixtures started without any tracer. `record -p`
//! attaches to a running loop and detaches on SIGINT, leaving it running.
//!
//! Every program runs in its own process group, killed when the test ends
//! (even when it fails), so no fixture is left behind. Timing is printed,
//! never asserted.

mod common;

use common::{check_invariants, fixture_from, forkscope, try_fixture_from, Group};
use forkscope::trace::{read_all, Event, EventKind, Header};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// One guarded `forkscope record` run.
struct Run {
    status: ExitStatus,
    stderr: String,
    /// When the first stall report line arrived, from the start.
    report_after: Option<Duration>,
    elapsed: Duration,
    header: Header,
    events: Vec<Event>,
    _dir: tempfile::TempDir,
}

impl Run {
    fn code(&self) -> i32 {
        self.status.code().expect("forkscope exited by a signal")
    }

    /// Pids of the processes forked by `parent`, in order.
    fn children_of(&self, parent: i32) -> Vec<i32> {
        self.events
            .iter()
            .filter(|e| e.pid == parent)
            .filter_map(|e| match &e.kind {
                EventKind::Fork { child, .. } => Some(*child),
                _ => None,
            })
            .collect()
    }

    /// The pipe ids, in creation order.
    fn pipes(&self) -> Vec<u64> {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Pipe { pipe_id, .. } => Some(*pipe_id),
                _ => None,
            })
            .collect()
    }

    /// The pid that exec'd a program named `prog`.
    fn execd(&self, prog: &str) -> i32 {
        self.events
            .iter()
            .find(|e| match &e.kind {
                EventKind::Exec { argv, ok: true, .. } => {
                    argv.first().is_some_and(|a| a.lossy() == prog)
                }
                _ => false,
            })
            .unwrap_or_else(|| panic!("no exec of {prog}"))
            .pid
    }

    fn root(&self) -> i32 {
        self.header.root_pid
    }

    fn has(&self, s: &str) {
        assert!(
            self.stderr.contains(s),
            "stderr should contain {s:?}:\n{}",
            self.stderr
        );
    }
}

/// Records `cmd` with `opts` in its own process group, killing it after 60 s
/// at worst; timestamps the first stall report on stderr.
fn record(cmd: &[&str], opts: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let start = Instant::now();
    let mut g = Group::spawn(
        forkscope()
            .args(["record", "-o"])
            .arg(&trace)
            .args(opts)
            .arg("--")
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let mut err = g.0.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut first: Option<Duration> = None;
        let mut buf = [0u8; 4096];
        while let Ok(n) = err.read(&mut buf) {
            if n == 0 {
                break;
            }
            text.extend_from_slice(&buf[..n]);
            if first.is_none()
                && String::from_utf8_lossy(&text).contains("forkscope: no traced process")
            {
                first = Some(start.elapsed());
            }
        }
        (String::from_utf8_lossy(&text).into_owned(), first)
    });
    let status = loop {
        if let Some(st) = g.0.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "forkscope did not end within 60 s: {cmd:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    drop(g);
    let (stderr, report_after) = reader.join().unwrap();
    let (header, events, _) =
        read_all(&trace).unwrap_or_else(|e| panic!("reading the trace: {e}\nstderr: {stderr}"));
    check_invariants(&header, &events);
    Run {
        status,
        stderr,
        report_after,
        elapsed,
        header,
        events,
        _dir: dir,
    }
}

const WATCH: &[&str] = &["--stall-timeout", "1", "--on-deadlock", "kill"];

/// A hang run: ends with 124, reports once, prints the timing.
fn hang(name: &str, cmd: &[&str]) -> Run {
    let r = record(cmd, WATCH);
    eprintln!(
        "{name}: stall report {:.2} s after start (stall timeout 1 s), forkscope ended after {:.2} s",
        r.report_after.map_or(f64::NAN, |d| d.as_secs_f64()),
        r.elapsed.as_secs_f64()
    );
    assert_eq!(r.code(), 124, "killed for a hang: exit 124\n{}", r.stderr);
    r.has("forkscope: no traced process has made progress for");
    r.has("killing the traced processes (--on-deadlock kill; exit status 124)");
    assert_eq!(
        r.stderr.matches("Fix:").count(),
        1,
        "one hang, reported once:\n{}",
        r.stderr
    );
    // The finding is in the trace too, before the kills it caused.
    let stalls: Vec<&Event> = r
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Stall { .. }))
        .collect();
    assert_eq!(stalls.len(), 1, "one stall event in the trace");
    match &stalls[0].kind {
        EventKind::Stall {
            killed,
            tasks,
            fix,
            summary,
            steps,
            facts,
            ..
        } => {
            assert!(*killed && !tasks.is_empty(), "{:?}", stalls[0]);
            assert!(r.stderr.contains(fix.as_str()), "the same fix as printed");
            // Its facts say what its English says, for every language.
            let facts = facts.as_ref().expect("a new stall carries its facts");
            use forkscope::words::{hang as words, Lang};
            assert_eq!(&words::summary(Lang::En, &facts.summary), summary);
            assert_eq!(&words::steps(Lang::En, &facts.steps), steps);
            assert_eq!(&words::fix(Lang::En, &facts.fix), fix);
            assert!(!words::fix(Lang::Zh, &facts.fix).is_empty());
            // `doctor` on the trace tells the same hang, and does not blame
            // the parents killed with their children for not waiting.
            let mut doctor = forkscope::analysis::Doctor::new();
            for e in &r.events {
                doctor.observe(e);
            }
            let report = doctor.finish();
            let codes: Vec<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
            assert!(codes.contains(&"hang"), "{codes:?}");
            assert!(!codes.contains(&"never-reaped"), "{codes:?}");
            let h = report
                .findings
                .iter()
                .find(|f| f.code.as_str() == "hang")
                .unwrap();
            let h_fix = forkscope::words::finding::fix(forkscope::words::Lang::En, &h.fact);
            assert_eq!(&h_fix, fix);
        }
        _ => unreachable!(),
    }
    r
}

/// A 32-bit program's hangs are named too: its blocked syscalls come in
/// i386 numbers, and a poll set is read from its memory the same way.
#[test]
fn a_32_bit_programs_hangs_are_named_too() {
    for name in ["reader_holds_write_end", "poll_without_eof"] {
        let bin = match try_fixture(name, &["-m32"]) {
            Ok(b) => b,
            Err(e) if std::env::var_os("CI").is_none() => {
                eprintln!("note: no 32-bit C library here (gcc-multilib), skipped: {e}");
                return;
            }
            Err(e) => panic!("building {name} -m32 under CI: {e}"),
        };
        let r = hang(name, &[bin.to_str().unwrap()]);
        let prog = bin.file_name().unwrap().to_str().unwrap();
        r.has("deadlock:");
        match name {
            "reader_holds_write_end" => {
                let child = r.children_of(r.root())[0];
                r.has(&format!("{child} ({prog}) is blocked reading pipe:["));
                r.has(&format!(
                    "{} ({prog}) is blocked in wait4 for {child}",
                    r.root()
                ));
            }
            _ => r.has(&format!(
                "{} ({prog}) is blocked in poll waiting to read pipe:[",
                r.root()
            )),
        }
    }
}

#[test]
fn a_reader_holding_its_own_write_end_is_reported_as_waiting_for_itself() {
    let bin = fixture("reader_holds_write_end");
    let r = hang("reader_holds_write_end", &[bin.to_str().unwrap()]);
    let child = r.children_of(r.root())[0];
    let pipe = r.pipes()[0];
    r.has("deadlock:");
    r.has(&format!(
        "{child} (reader_holds_write_end) is blocked reading pipe:[{pipe}] via fd 3"
    ));
    r.has(&format!("{child} (reader_holds_write_end) itself (fd 4)"));
    r.has(&format!(
        "{} (reader_holds_write_end) is blocked in wait4 for {child}",
        r.root()
    ));
    r.has("Fix: close fd 4 (its own copy of the write end");
}

#[test]
fn a_parent_waiting_while_holding_the_write_end_is_a_cycle() {
    let bin = fixture("parent_keeps_write_end");
    let r = hang("parent_keeps_write_end", &[bin.to_str().unwrap()]);
    let (root, child) = (r.root(), r.children_of(r.root())[0]);
    let pipe = r.pipes()[0];
    r.has(&format!(
        "{child} (parent_keeps_write_end) is blocked reading pipe:[{pipe}] via fd 3; the pipe is empty and its write end is still open in {root} (parent_keeps_write_end) fd 4, which is blocked in wait4 for {child}: a cycle."
    ));
    r.has(&format!(
        "Fix: close fd 4 in {root} before waiting for {child}"
    ));
    let cycle = r
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Stall { cycle, .. } => Some(cycle.clone()),
            _ => None,
        })
        .unwrap();
    assert!(cycle.contains(&root) && cycle.contains(&child), "{cycle:?}");
}

#[test]
fn waiting_for_a_writer_before_reading_its_output_is_a_cycle() {
    let bin = fixture("wait_before_read");
    let r = hang("wait_before_read", &[bin.to_str().unwrap()]);
    let (root, child) = (r.root(), r.children_of(r.root())[0]);
    let pipe = r.pipes()[0];
    r.has(&format!(
        "{child} (wait_before_read) is blocked writing to pipe:[{pipe}] via fd 4; the pipe is full"
    ));
    r.has(&format!(
        "read end is open only in {root} (wait_before_read) fd 3, which is blocked in wait4 for {child}"
    ));
    r.has(&format!(
        "Fix: in {root}, read fd 3 until EOF before waiting for {child}"
    ));
}

#[test]
fn two_full_pipes_between_a_feeder_and_its_filter_are_a_cycle() {
    let bin = fixture("both_pipes_full");
    let r = hang("both_pipes_full", &[bin.to_str().unwrap()]);
    let root = r.root();
    let cat = r.execd("cat");
    let pipes = r.pipes();
    let (a, b) = (pipes[0], pipes[1]);
    r.has(&format!(
        "{root} (both_pipes_full) is blocked writing to pipe:[{a}] via fd 4"
    ));
    r.has(&format!(
        "{cat} (cat) is blocked writing to pipe:[{b}] via fd 1"
    ));
    r.has(&format!("open only in {root} (both_pipes_full) fd 5"));
    r.has(&format!("Fix: in {root}, read the output of {cat} on fd 5"));
}

#[test]
fn fifos_opened_in_opposite_orders_are_reported_stuck() {
    let bin = fixture("fifo_open_order");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let r = hang("fifo_open_order", &[bin.to_str().unwrap(), d]);
    let kids = r.children_of(r.root());
    r.has("stuck:");
    r.has(&format!(
        "{} (fifo_open_order) is blocked opening the FIFO {d}/a for reading",
        kids[0]
    ));
    r.has(&format!(
        "{} (fifo_open_order) is blocked opening the FIFO {d}/b for reading",
        kids[1]
    ));
    r.has("open the FIFOs in the same order");
}

#[test]
fn a_parent_waiting_for_a_stopped_child_is_reported_stuck() {
    let bin = fixture("stopped_child");
    let r = hang("stopped_child", &[bin.to_str().unwrap()]);
    let (root, child) = (r.root(), r.children_of(r.root())[0]);
    r.has(&format!(
        "stuck: {root} (stopped_child) is blocked on {child} (stopped_child), which is stopped"
    ));
    r.has(&format!("kill -CONT {child}"));
}

/// A parent feeding a `cat` child without closing its write end (fd 4), then
/// waiting in a multiplexer for cat's output: checks the record report.
fn feeder_in_a_multiplexer(name: &str, outputs: usize) {
    let bin = fixture(name);
    let r = hang(name, &[bin.to_str().unwrap()]);
    let (root, cat) = (r.root(), r.execd("cat"));
    let pipes = r.pipes();
    let (input, output) = (pipes[0], pipes[1]);
    r.has("deadlock:");
    r.has(&format!(
        "{cat} (cat) is blocked reading pipe:[{input}] via fd 0; the pipe is empty and its write end is still open in {root} ({name}) fd 4, which is blocked in "
    ));
    r.has(&format!(" waiting to read pipe:[{output}] (fd 5)"));
    if outputs == 2 {
        r.has(&format!(" or to read pipe:[{}] (fd 7)", pipes[2]));
    }
    r.has(&format!(
        "Fix: close fd 4 in {root} as soon as it has written all it will"
    ));
    let cycle = r
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Stall { cycle, fds, .. } => {
                assert!(
                    fds.iter()
                        .any(|f| f.pid == root && f.fd == 5 && f.role == "blocked-reader"),
                    "{fds:?}"
                );
                Some(cycle.clone())
            }
            _ => None,
        })
        .unwrap();
    assert!(cycle.contains(&root) && cycle.contains(&cat), "{cycle:?}");
}

#[test]
fn a_feeder_waiting_in_select_for_output_that_needs_its_eof_is_a_cycle() {
    feeder_in_a_multiplexer("select_without_eof", 1);
}

#[test]
fn a_feeder_waiting_in_poll_for_output_that_needs_its_eof_is_a_cycle() {
    feeder_in_a_multiplexer("poll_without_eof", 1);
}

#[test]
fn a_feeder_waiting_in_epoll_on_two_outputs_that_need_its_eof_is_a_cycle() {
    feeder_in_a_multiplexer("epoll_without_eof", 2);
}

/// A non-hang: runs to the end, exit 0, no report.
fn no_hang(cmd: &[&str]) {
    let r = record(cmd, WATCH);
    eprintln!("{cmd:?}: ended after {:.2} s", r.elapsed.as_secs_f64());
    assert_eq!(r.code(), 0, "{}", r.stderr);
    assert!(
        !r.stderr.contains("Fix:") && !r.stderr.contains("made progress"),
        "no report for {cmd:?}:\n{}",
        r.stderr
    );
}

#[test]
fn a_busy_pipeline_is_not_reported() {
    no_hang(&["sh", "-c", "yes | head -c 200000000 | wc -c"]);
}

#[test]
fn a_computation_making_no_syscalls_for_seconds_is_not_reported() {
    // Only its CPU time moves: that is progress too.
    no_hang(&[
        "sh",
        "-c",
        "i=0; while [ $i -lt 2000000 ]; do i=$((i+1)); done",
    ]);
}

#[test]
fn a_sleeping_command_is_not_reported() {
    no_hang(&["sleep", "3"]);
}

#[test]
fn a_parent_polling_the_output_of_a_slow_child_is_not_reported() {
    // subprocess.run(capture_output=True) waits in an untimed poll on the
    // child's stdout and stderr; their writer sleeps, so it will write.
    no_hang(&[
        "python3",
        "-c",
        "import subprocess; subprocess.run(['sh', '-c', 'sleep 2.5; echo hi'], capture_output=True, check=True)",
    ]);
}

#[test]
fn a_slow_producer_writing_once_a_second_is_not_reported() {
    no_hang(&[
        "sh",
        "-c",
        "for i in 1 2 3 4; do echo $i; sleep 1; done | cat",
    ]);
}

/// Records the lock fixture `name` on a lock file in a fresh directory (a
/// hang: killed, exit 124); returns the run, the file, and root and child.
fn lock_hang(name: &str) -> (Run, tempfile::TempDir, PathBuf, i32, i32) {
    let bin = fixture(name);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("the.lock");
    let r = hang(name, &[bin.to_str().unwrap(), file.to_str().unwrap()]);
    let (root, child) = (r.root(), r.children_of(r.root())[0]);
    (r, dir, file, root, child)
}

/// `forkscope [--lang LANG] doctor` on the run's trace, its stdout.
fn doctor_text(r: &Run, lang: &str) -> String {
    let out = forkscope()
        .args(["--color", "never", "--lang", lang, "doctor"])
        .arg(r._dir.path().join("t.jsonl"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_parent_waiting_for_its_child_while_holding_the_flock_it_wants_is_a_cycle() {
    let (r, _dir, file, root, child) = lock_hang("flock_then_wait");
    let path = file.display();
    r.has(&format!(
        "{child} (flock_then_wait) is blocked in flock taking a write lock (flock) on {path} via fd 3; {root} (flock_then_wait) fd 3 holds a conflicting lock on it, which is blocked in wait4 for {child}: a cycle."
    ));
    r.has(&format!(
        "Fix: in {root}, release the lock on {path} before waiting in wait4 (flock(3, LOCK_UN), or close fd 3), or take the lock in {child} only"
    ));
    // doctor on the trace tells it in both languages.
    // (Its lines are wrapped: compare with the whitespace taken out.)
    let flat = |s: &str| s.split_whitespace().collect::<String>();
    let en = doctor_text(&r, "en");
    assert!(
        flat(&en).contains(&flat(&format!(
            "in {root}, release the lock on {path} before waiting in wait4 (flock(3, LOCK_UN), or close fd 3)"
        ))),
        "{en}"
    );
    let zh = doctor_text(&r, "zh");
    assert!(
        flat(&zh).contains(&flat(&format!(
            "让 {root} 在 wait4 等待之前先释放 {path} 上的锁（flock(3, LOCK_UN)，或者关闭 fd 3）"
        ))) && flat(&zh).contains("加写锁（flock）"),
        "{zh}"
    );
}

#[test]
fn a_parent_waiting_for_its_child_while_holding_the_fcntl_lock_it_wants_is_a_cycle() {
    let (r, _dir, file, root, child) = lock_hang("fcntl_then_wait");
    let path = file.display();
    r.has(&format!(
        "{child} (fcntl_then_wait) is blocked in fcntl taking a write lock (fcntl/lockf) on {path} via fd 3; {root} (fcntl_then_wait) fd 3 holds a conflicting lock on it, which is blocked in wait4 for {child}: a cycle."
    ));
    r.has(&format!(
        "Fix: in {root}, release the lock on {path} before waiting in wait4 (fcntl(3, F_SETLK) with l_type F_UNLCK, or lockf(3, F_ULOCK, 0), or close fd 3), or take the lock in {child} only"
    ));
}

#[test]
fn a_lock_held_for_a_while_and_then_released_is_not_reported() {
    let bin = fixture("lock_released");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("the.lock");
    let untraced = Command::new(&bin).arg(&file).status().unwrap();
    assert_eq!(untraced.code(), Some(0), "untraced");
    no_hang(&[bin.to_str().unwrap(), file.to_str().unwrap()]);
}

/// Starts `bin` directly (no tracer) and waits until `snapshot` sees a hang;
/// returns the group and the snapshot's text output.
fn snapshot_of_hung(bin: &Path, args: &[&str]) -> (Group, String) {
    let g = Group::spawn(
        Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    );
    for _ in 0..100 {
        let out = forkscope()
            .args(["--color", "never", "snapshot"])
            .arg(g.pid().to_string())
            .output()
            .unwrap();
        if out.status.code() == Some(1) {
            return (g, String::from_utf8_lossy(&out.stdout).into_owned());
        }
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} never looked hung", bin.display());
}

/// The children of `pid`, from /proc.
fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .collect()
}

#[test]
fn snapshot_explains_a_parent_keeping_the_write_end_without_tracing_it() {
    let (g, text) = snapshot_of_hung(&fixture("parent_keeps_write_end"), &[]);
    let (root, child) = (g.pid(), children(g.pid())[0]);
    assert!(
        text.contains(&format!(
            "{child} (parent_keeps_write_end) is blocked reading pipe:["
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("open in {root} (parent_keeps_write_end) fd 4")),
        "{text}"
    );
    // Read-only: the process is untouched and still hung.
    let status = std::fs::read_to_string(format!("/proc/{root}/status")).unwrap();
    assert!(status.contains("TracerPid:\t0"), "{status}");
}

#[test]
fn snapshot_explains_a_parent_holding_the_flock_its_child_wants_without_tracing_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("the.lock");
    let (g, text) = snapshot_of_hung(&fixture("flock_then_wait"), &[file.to_str().unwrap()]);
    let (root, child) = (g.pid(), children(g.pid())[0]);
    assert!(
        text.contains(&format!(
            "deadlock: {child} (flock_then_wait) and {root} (flock_then_wait) wait for each other"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{child} (flock_then_wait) is blocked in flock taking a write lock (flock) on {} via fd 3; {root} (flock_then_wait) fd 3 holds a conflicting lock", file.display())),
        "{text}"
    );
    assert!(text.contains("flock(3, LOCK_UN)"), "{text}");
}

#[test]
fn snapshot_explains_waiting_before_reading() {
    let (g, text) = snapshot_of_hung(&fixture("wait_before_read"), &[]);
    let (root, child) = (g.pid(), children(g.pid())[0]);
    assert!(
        text.contains(&format!(
            "{child} (wait_before_read) is blocked writing to pipe:["
        )),
        "{text}"
    );
    assert!(
        text.contains("via fd 4; the pipe is full (65536 of 65536 bytes)"),
        "{text}"
    );
    assert!(
        text.contains(&format!("open only in {root} (wait_before_read) fd 3")),
        "{text}"
    );
}

/// `snapshot` of a feeder hung in a multiplexer (see [`feeder_in_a_multiplexer`]).
fn snapshot_of_a_feeder_in_a_multiplexer(name: &str, calls: &[&str]) {
    let (g, text) = snapshot_of_hung(&fixture(name), &[]);
    let (root, cat) = (g.pid(), children(g.pid())[0]);
    assert!(text.contains("deadlock:"), "{text}");
    assert!(
        text.contains(&format!("{cat} (cat) is blocked reading pipe:[",))
            && text.contains(&format!(
                "its write end is still open in {root} ({name}) fd 4, which is blocked in "
            )),
        "{text}"
    );
    let call = calls
        .iter()
        .find(|c| {
            text.contains(&format!(
                "{root} ({name}) is blocked in {c} waiting to read pipe:["
            ))
        })
        .unwrap_or_else(|| panic!("blocked in one of {calls:?}:\n{text}"));
    assert!(
        text.contains(&format!(
            "{root} {name} [S] waiting in {call} to read pipe:["
        )),
        "{text}"
    );
    assert!(text.contains("] via fd 5"), "{text}");
    assert!(
        text.contains(&format!("Fix: close fd 4 in {root} as soon as it has written all it will, before it waits in {call}")),
        "{text}"
    );
    let status = std::fs::read_to_string(format!("/proc/{root}/status")).unwrap();
    assert!(status.contains("TracerPid:\t0"), "{status}");
}

#[test]
fn snapshot_explains_a_feeder_waiting_in_select() {
    snapshot_of_a_feeder_in_a_multiplexer("select_without_eof", &["select", "pselect6"]);
}

#[test]
fn snapshot_explains_a_feeder_waiting_in_poll() {
    snapshot_of_a_feeder_in_a_multiplexer("poll_without_eof", &["poll", "ppoll"]);
}

#[test]
fn snapshot_explains_a_feeder_waiting_in_epoll() {
    snapshot_of_a_feeder_in_a_multiplexer(
        "epoll_without_eof",
        &["epoll_wait", "epoll_pwait", "epoll_pwait2"],
    );
}

#[test]
fn snapshot_explains_a_stopped_child() {
    let (g, text) = snapshot_of_hung(&fixture("stopped_child"), &[]);
    let child = children(g.pid())[0];
    assert!(
        text.contains(&format!("{child} stopped_child [T] stopped")),
        "{text}"
    );
    assert!(text.contains(&format!("kill -CONT {child}")), "{text}");
}

#[test]
fn snapshot_json_names_the_cycle_and_the_fds() {
    let (g, _) = snapshot_of_hung(&fixture("reader_holds_write_end"), &[]);
    let child = children(g.pid())[0];
    let out = forkscope()
        .args(["snapshot", "--json"])
        .arg(g.pid().to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = &v["hangs"][0];
    assert_eq!(h["kind"], "deadlock");
    assert_eq!(h["cycle"], serde_json::json!([child]));
    let fds = h["fds"].as_array().unwrap();
    assert!(fds
        .iter()
        .any(|f| f["pid"] == child && f["fd"] == 4 && f["role"] == "writer"));
}

#[test]
fn snapshot_draws_a_hung_tree_as_ascii() {
    let (g, _) = snapshot_of_hung(&fixture("parent_keeps_write_end"), &[]);
    let out = forkscope()
        .args(["--color", "never", "snapshot", "--format", "ascii"])
        .arg(g.pid().to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&g.pid().to_string()), "{text}");
    assert!(text.contains("pipe:["), "{text}");
}

#[test]
fn snapshot_of_a_sleeping_process_finds_nothing() {
    let g = Group::spawn(Command::new("sleep").arg("30"));
    // Let it reach its nanosleep (a process still starting is running, also fine).
    std::thread::sleep(Duration::from_millis(100));
    let out = forkscope()
        .args(["--color", "never", "snapshot"])
        .arg(g.pid().to_string())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("no hang"), "{text}");
}

#[test]
fn ctrl_c_on_a_hung_program_explains_the_hang_before_it_dies() {
    let bin = fixture("parent_keeps_write_end");
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut g = Group::spawn(
        forkscope()
            .args(["record", "-o"])
            .arg(&trace)
            .arg("--")
            .arg(&bin)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    // Wait until the traced program is hung, as snapshot sees it.
    assert!(
        common::hung_within(&trace, 100),
        "the fixture never looked hung"
    );
    // As the terminal does on Ctrl-C: SIGINT to the whole foreground group.
    // SAFETY: killpg takes integers only.
    unsafe {
        libc::killpg(g.pid(), libc::SIGINT);
    }
    let mut err = String::new();
    g.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = g.0.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGINT),
        "{err}"
    );
    assert!(
        err.contains("SIGINT arrived while the traced processes were stuck"),
        "{err}"
    );
    assert!(err.contains("which is blocked in wait4 for"), "{err}");
    let (_, events, _) = read_all(&trace).unwrap();
    let sigint = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Signal { signal, .. } if signal.0 == libc::SIGINT))
        .count();
    assert_eq!(sigint, 2, "both tracees still got their SIGINT");
}

fn proc_status(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default()
}

/// Attaches to `target`, lets it run `for_`, sends SIGINT to forkscope, and
/// returns forkscope's exit status, stderr and the trace.
/// Attaches to `target`, waits `for_` and then until the trace shows what
/// `seen` asks for (a loaded machine may take longer to attach), and sends
/// forkscope SIGINT.
fn attach_then_interrupt(
    target: i32,
    for_: Duration,
    seen: impl Fn(&[Event]) -> bool,
) -> (ExitStatus, String, Vec<Event>) {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut g = Group::spawn(
        forkscope()
            .args(["record", "-o"])
            .arg(&trace)
            .args(["-p", &target.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    std::thread::sleep(for_);
    let waiting = Instant::now();
    while !read_all(&trace).is_ok_and(|(_, events, _)| seen(&events)) {
        assert!(
            waiting.elapsed() < Duration::from_secs(20),
            "the trace never showed what the test waits for"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: kill takes integers only.
    unsafe {
        libc::kill(g.pid(), libc::SIGINT);
    }
    let start = Instant::now();
    let status = loop {
        if let Some(st) = g.0.try_wait().unwrap() {
            break st;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "forkscope did not detach and exit"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    eprintln!(
        "detached and exited {:.2} s after SIGINT",
        start.elapsed().as_secs_f64()
    );
    let mut err = String::new();
    g.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let (_, events, _) = read_all(&trace).unwrap_or_else(|e| panic!("{e}\n{err}"));
    (status, err, events)
}

#[test]
fn attaching_records_a_running_loop_and_detaching_leaves_it_running() {
    let target = Group::spawn(
        Command::new("sh")
            .args(["-c", "while :; do sleep 0.1; done"])
            .stdout(Stdio::null()),
    );
    std::thread::sleep(Duration::from_millis(100));
    let (status, err, events) =
        attach_then_interrupt(target.pid(), Duration::from_millis(500), |events| {
            events.iter().any(|e| {
                matches!(&e.kind, EventKind::Exec { argv, ok: true, .. }
                    if argv.first().is_some_and(|a| a.lossy() == "sleep"))
            })
        });
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("now detached and left running"), "{err}");
    let st = proc_status(target.pid());
    assert!(st.contains("TracerPid:\t0"), "not traced any more:\n{st}");
    assert!(
        !st.contains("State:\tZ") && !st.is_empty(),
        "still running:\n{st}"
    );
    assert!(matches!(&events[0].kind, EventKind::Spawn { .. }));
    assert_eq!(events[0].pid, target.pid());
    let forks = events
        .iter()
        .filter(|e| e.pid == target.pid() && matches!(e.kind, EventKind::Fork { .. }))
        .count();
    let sleeps = events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::Exec { argv, ok: true, .. }
                if argv.first().is_some_and(|a| a.lossy() == "sleep"))
        })
        .count();
    assert!(
        forks >= 1 && sleeps >= 1,
        "fork/exec of the sleeps: {forks} forks, {sleeps} execs"
    );
    // The loop goes on untraced: it still forks new sleeps.
    let before = children(target.pid());
    std::thread::sleep(Duration::from_millis(300));
    assert_ne!(before, children(target.pid()), "the loop keeps running");
}

/// A process that was running before forkscope attached keeps its place in
/// the tree: its child is its child, and its threads act on its fd table.
#[test]
fn attaching_keeps_the_running_trees_parents_and_threads() {
    let script = "import os, subprocess, threading, time\n\
                  child = subprocess.Popen(['sleep', '30'])\n\
                  def work():\n    \
                      while True:\n        \
                          os.close(os.dup(1)); time.sleep(0.05)\n\
                  threading.Thread(target=work, daemon=True).start()\n\
                  child.wait()\n";
    let target = Group::spawn(
        Command::new("python3")
            .args(["-c", script])
            .stdout(Stdio::null()),
    );
    let pid = target.pid();
    // Until the child and the thread exist.
    let start = Instant::now();
    while !(children(pid).len() == 1
        && std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count()) == 2)
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "python never started its child and thread"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, err, events) = attach_then_interrupt(pid, Duration::from_millis(400), |_| true);
    assert_eq!(status.code(), Some(0), "{err}");
    let spawns: Vec<(i32, bool, Option<i32>, Vec<i32>)> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Spawn {
                attached,
                parent,
                threads,
                ..
            } => Some((e.pid, *attached, *parent, threads.clone())),
            _ => None,
        })
        .collect();
    let sleep = children(pid)[0];
    assert_eq!(spawns.len(), 2, "{spawns:?}");
    assert_eq!(spawns[0].0, pid);
    assert!(spawns[0].1, "marked attached");
    assert_eq!(spawns[0].2, None, "its parent (the test) is not traced");
    assert_eq!(spawns[0].3.len(), 1, "one other thread: {spawns:?}");
    let thread = spawns[0].3[0];
    assert_eq!(spawns[1], (sleep, true, Some(pid), vec![]));
    assert!(
        events
            .iter()
            .any(|e| e.pid == thread && matches!(e.kind, EventKind::Dup { .. })),
        "the thread's dups are recorded"
    );
    // Replayed: one tree, the thread in python's process, no anomaly.
    let mut model = forkscope::model::Model::new();
    for e in &events {
        model.apply(e);
    }
    assert!(model.anomalies().is_empty(), "{:?}", model.anomalies());
    let tree = model.tree();
    let (py, sl) = (tree.get(pid).unwrap(), tree.get(sleep).unwrap());
    assert_eq!(sl.parent, Some(py.id));
    assert_eq!(tree.process_of_task(thread).map(|p| p.pid), Some(pid));
}

#[test]
fn detaching_leaves_a_stopped_process_stopped() {
    let target = Group::spawn(Command::new("sleep").arg("30"));
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: kill takes integers only.
    unsafe {
        libc::kill(target.pid(), libc::SIGSTOP);
    }
    std::thread::sleep(Duration::from_millis(100));
    // Interrupted once the attach is done: the trace lists the process.
    let (status, err, _) = attach_then_interrupt(target.pid(), Duration::from_millis(300), |ev| {
        !ev.is_empty()
    });
    assert_eq!(status.code(), Some(0), "{err}");
    let st = proc_status(target.pid());
    assert!(st.contains("TracerPid:\t0"), "{st}");
    assert!(st.contains("State:\tT (stopped)"), "still stopped:\n{st}");
}

/// The parent of `pid`, from /proc/PID/stat (the field after the state).
fn ppid_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    after.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn snapshot_nests_each_process_under_its_own_parent() {
    // Two background subshells, each running a pipeline of two: the
    // children of the first must not be printed under the second.
    let g = Group::spawn(
        Command::new("sh")
            .args([
                "-c",
                "(sleep 20 | cat) & (sleep 20 | tail -f /dev/null) & wait",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null()),
    );
    let listing = |text: &str| -> Vec<(usize, i32)> {
        text.lines()
            .skip(1)
            .take_while(|l| !l.is_empty() && !l.starts_with("no hang"))
            .filter(|l| !l.contains(" thread "))
            .map(|l| {
                let indent = l.len() - l.trim_start().len();
                let pid = l.split_whitespace().next().unwrap().parse().unwrap();
                (indent / 2, pid)
            })
            .collect()
    };
    // Until every program of both pipelines is running (no time asserted).
    let mut text = String::new();
    for _ in 0..200 {
        let out = forkscope()
            .args(["--color", "never", "snapshot"])
            .arg(g.pid().to_string())
            .output()
            .unwrap();
        text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.matches(" sleep ").count() == 2 && text.contains(" cat ") && text.contains(" tail ")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let procs = listing(&text);
    assert!(procs.len() >= 5, "{text}");
    assert_eq!(procs[0], (0, g.pid()), "{text}");
    for (k, &(depth, pid)) in procs.iter().enumerate().skip(1) {
        assert!(depth >= 1, "{text}");
        let parent = procs[..k]
            .iter()
            .rev()
            .find(|(d, _)| *d == depth - 1)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("{pid} has no line above it one level up:\n{text}"));
        assert_eq!(
            ppid_of(pid),
            Some(parent),
            "{pid} is printed under {parent}:\n{text}"
        );
    }
}

/// Compiles `fixtures/hang/NAME.c` once per test binary.
fn fixture(name: &str) -> PathBuf {
    fixture_from("hang", name)
}

/// Compiles `fixtures/hang/NAME.c` with extra `flags` (once per test
/// binary), or says why the compiler refused (no 32-bit libc, say).
fn try_fixture(name: &str, flags: &[&str]) -> Result<PathBuf, String> {
    try_fixture_from("hang", name, flags)
}
