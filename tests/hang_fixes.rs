//! Fixes that are right for the case, for real (issue 12): three hangs
//! whose generic fix ("close the write end once written") would be wrong,
//! each named with its pids and fds and the fix its facts call for, in
//! English and Chinese, in the four places a hang is told: `record
//! --stall-timeout` live, the report on Ctrl-C, `snapshot PID` of the
//! program started without a tracer, and `doctor` on the recorded trace.
//!
//! - `fixtures/hang/stderr_full.py`: a Python parent reads its child's
//!   stdout to the end while the child blocks writing a full stderr pipe:
//!   read both at once, `communicate()`.
//! - `fixtures/hang/inherited_write_end.py`: a multiprocessing worker forked
//!   after the result pipe was made holds its write end and never writes:
//!   close it in the worker, or do not let it inherit it (spawn). The worker
//!   names itself (prctl PR_SET_NAME): both its names are shown.
//! - `fixtures/hang/fifo_no_reader.sh`: bash writes to a FIFO in the
//!   foreground before starting its reader: start the reader first.
//!
//! Every program runs in its own process group, killed when the test ends;
//! timing is never asserted.

mod common;

use common::{check_invariants, forkscope, repo, Group};
use forkscope::trace::{read_all, Event, EventKind, ForkFlavor};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// One of the hung programs: its command line, and the scratch directory
/// it works in (removed when the case is dropped).
struct Case {
    argv: Vec<String>,
    dir: tempfile::TempDir,
}

impl Case {
    fn python(name: &str) -> Case {
        let script = repo().join("fixtures/hang").join(name);
        Case {
            argv: vec![python(), script.display().to_string()],
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn fifo() -> Case {
        let script = repo().join("fixtures/hang/fifo_no_reader.sh");
        let dir = tempfile::tempdir().unwrap();
        Case {
            argv: vec![
                "bash".into(),
                script.display().to_string(),
                dir.path().display().to_string(),
            ],
            dir,
        }
    }

    /// The FIFO of `fifo_no_reader.sh`.
    fn fifo_path(&self) -> String {
        self.dir.path().join("p").display().to_string()
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.argv[0]);
        c.args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        c
    }
}

/// The Python interpreter itself (`sys.executable`), not a wrapper that
/// would start it (pyenv's `python3` is a shell script that forks).
fn python() -> String {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A `forkscope record` run of a case.
struct Live {
    status: ExitStatus,
    stderr: String,
    trace: PathBuf,
    events: Vec<Event>,
    root: i32,
    _dir: tempfile::TempDir,
}

impl Live {
    /// Pids of the processes (not threads) forked by `parent`, in order.
    fn children_of(&self, parent: i32) -> Vec<i32> {
        self.events
            .iter()
            .filter(|e| e.pid == parent)
            .filter_map(|e| match &e.kind {
                EventKind::Fork { child, flavor, .. } if *flavor != ForkFlavor::Thread => {
                    Some(*child)
                }
                _ => None,
            })
            .collect()
    }
}

/// Reads `r` to its end on a thread.
fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    })
}

/// Waits for `g` (60 s at worst).
fn wait(g: &mut Group) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(st) = g.0.try_wait().unwrap() {
            return st;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no end in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Reads a finished run's trace.
fn finish(status: ExitStatus, stderr: String, dir: tempfile::TempDir) -> Live {
    let trace = dir.path().join("t.jsonl");
    let (header, events, _) =
        read_all(&trace).unwrap_or_else(|e| panic!("reading the trace: {e}\nstderr: {stderr}"));
    check_invariants(&header, &events);
    Live {
        status,
        stderr,
        trace,
        events,
        root: header.root_pid,
        _dir: dir,
    }
}

/// `forkscope --lang LANG record --stall-timeout 1 --on-deadlock kill` on
/// the case: the hang is reported, the tree killed (exit 124).
fn record_live(case: &Case, lang: &str) -> Live {
    let dir = tempfile::tempdir().unwrap();
    let mut g = Group::spawn(
        forkscope()
            .args(["--color", "never", "--lang", lang, "record", "-q", "-o"])
            .arg(dir.path().join("t.jsonl"))
            .args(["--stall-timeout", "1", "--on-deadlock", "kill", "--"])
            .args(&case.argv)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let err = drain(g.0.stderr.take().unwrap());
    let status = wait(&mut g);
    let live = finish(status, err.join().unwrap(), dir);
    assert_eq!(live.status.code(), Some(124), "{}", live.stderr);
    live
}

/// `forkscope record` (no stall timeout) on the case, interrupted as a
/// terminal does on Ctrl-C once the program is hung: SIGINT to the group.
fn record_then_ctrl_c(case: &Case) -> Live {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut g = Group::spawn(
        forkscope()
            .args(["--color", "never", "record", "-q", "-o"])
            .arg(&trace)
            .arg("--")
            .args(&case.argv)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    );
    let err = drain(g.0.stderr.take().unwrap());
    assert!(
        common::hung_within(&trace, 400),
        "the program never looked hung"
    );
    // SAFETY: killpg takes integers only.
    unsafe {
        libc::killpg(g.pid(), libc::SIGINT);
    }
    let status = wait(&mut g);
    let live = finish(status, err.join().unwrap(), dir);
    assert!(
        live.stderr
            .contains("SIGINT arrived while the traced processes were stuck"),
        "{}",
        live.stderr
    );
    live
}

/// `forkscope --lang LANG doctor TRACE`: its stdout.
fn doctor(trace: &Path, lang: &str) -> String {
    let out = forkscope()
        .args(["--color", "never", "--lang", lang, "doctor"])
        .arg(trace)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The case started without a tracer, and `snapshot` of it once hung, in
/// English and Chinese.
fn snapshot(case: &Case) -> (Group, String, String) {
    let g = Group::spawn(&mut case.command());
    let pid = g.pid().to_string();
    let snap = |lang: &str| {
        forkscope()
            .args(["--color", "never", "--lang", lang, "snapshot", &pid])
            .output()
            .unwrap()
    };
    for _ in 0..400 {
        let out = snap("en");
        if out.status.code() == Some(1) {
            let en = String::from_utf8_lossy(&out.stdout).into_owned();
            let zh = String::from_utf8_lossy(&snap("zh").stdout).into_owned();
            return (g, en, zh);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{:?} never looked hung", case.argv);
}

/// The children of `pid`, from /proc.
fn children(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .collect()
}

/// `text` without whitespace (doctor wraps its lines).
fn flat(s: &str) -> String {
    s.split_whitespace().collect()
}

/// `text` contains every one of `parts` (whitespace aside).
fn has_all(text: &str, parts: &[String]) {
    for p in parts {
        assert!(flat(text).contains(&flat(p)), "{p:?} not in:\n{text}");
    }
}

/// The parts as `doctor` words them (its fix comes without `Fix: `).
fn in_doctor(parts: &[String]) -> Vec<String> {
    parts.iter().map(|p| p.replace("Fix: ", "")).collect()
}

/// No generic fix where the case's own applies.
fn no_generic_fix(text: &str) {
    assert!(
        !text.contains("as soon as it has written all it will"),
        "{text}"
    );
    assert!(!text.contains("一写完就关闭"), "{text}");
    assert!(
        !text.contains("in the same order in every process"),
        "{text}"
    );
}

/// What the stderr-full case must say, for parent `root` and child
/// `child`: (English, Chinese).
fn stderr_full_words(root: i32, child: i32) -> (Vec<String>, Vec<String>) {
    (
        vec![
            format!("{root} (python3) is blocked reading pipe:["),
            format!("{child} (python3) is blocked writing to pipe:["),
            format!("its read end is open only in {root} (python3) fd 5"),
            format!("Fix: in {root}, read fd 3 and fd 5 at the same time: use communicate() (or a thread per pipe) instead of reading one pipe to the end; {child} is blocked writing to pipe:["),
            format!("which is full, and only {root} can read it, so the EOF on fd 3 never comes"),
        ],
        vec![format!(
            "在 {root} 里同时读 fd 3 和 fd 5：用 communicate()（或者每个管道一个线程），而不是把一个管道读到底；{child} 正阻塞在往 pipe:["
        )],
    )
}

#[test]
fn a_python_parent_reading_stdout_while_its_child_fills_stderr_is_told_to_read_both() {
    let case = Case::python("stderr_full.py");
    let live = record_live(&case, "en");
    let (root, child) = (live.root, live.children_of(live.root)[0]);
    let (en, zh) = stderr_full_words(root, child);
    has_all(&live.stderr, &en);
    no_generic_fix(&live.stderr);
    has_all(&doctor(&live.trace, "en"), &in_doctor(&en[3..]));
    has_all(&doctor(&live.trace, "zh"), &zh);
    no_generic_fix(&doctor(&live.trace, "zh"));
    let live = record_live(&case, "zh");
    let (root, child) = (live.root, live.children_of(live.root)[0]);
    has_all(&live.stderr, &stderr_full_words(root, child).1);
    no_generic_fix(&live.stderr);
}

#[test]
fn a_python_parent_reading_stdout_while_its_child_fills_stderr_is_explained_on_ctrl_c_and_by_snapshot(
) {
    let case = Case::python("stderr_full.py");
    let live = record_then_ctrl_c(&case);
    let (root, child) = (live.root, live.children_of(live.root)[0]);
    has_all(&live.stderr, &stderr_full_words(root, child).0);
    no_generic_fix(&live.stderr);
    let (g, en, zh) = snapshot(&case);
    let (root, child) = (g.pid(), children(g.pid())[0]);
    let (we, wz) = stderr_full_words(root, child);
    has_all(&en, &we);
    has_all(&zh, &wz);
    no_generic_fix(&en);
}

/// What the inherited-write-end case must say, for parent `root` and worker
/// `worker`: (English, Chinese).
fn inherited_words(root: i32, worker: i32) -> (Vec<String>, Vec<String>) {
    (
        vec![
            format!("{root} (python3) is blocked reading pipe:["),
            format!("its write end is still open in {worker} (python3, ps: worker-1) fd 4"),
            format!("Fix: close fd 4 in {worker} (python3, ps: worker-1) as soon as it starts, or keep it from inheriting the write end of pipe:["),
            "(start it before the pipe is made, or use the spawn start method: multiprocessing.set_start_method(\"spawn\") hands a worker none of the parent's fds)".into(),
            format!("it got it from {root} (python3) and has written nothing at all, and {root} sees EOF only once every write end is closed"),
        ],
        vec![
            format!("让 {worker}（python3，ps 显示为 worker-1）一启动就关闭 fd 4，或者别让它继承 pipe:["),
            format!("这个写端是它从 {root}（python3）继承来的，它一个字节也没写过"),
        ],
    )
}

/// The worker of `inherited_write_end.py`: the second process its root forks.
fn worker(forks: &[i32]) -> i32 {
    assert_eq!(forks.len(), 2, "a producer and a worker: {forks:?}");
    forks[1]
}

#[test]
fn a_worker_that_inherited_the_write_end_is_told_to_close_it_or_not_inherit_it() {
    let case = Case::python("inherited_write_end.py");
    let live = record_live(&case, "en");
    let root = live.root;
    let w = worker(&live.children_of(root));
    let (en, zh) = inherited_words(root, w);
    has_all(&live.stderr, &en);
    no_generic_fix(&live.stderr);
    has_all(&doctor(&live.trace, "en"), &in_doctor(&en[2..]));
    has_all(&doctor(&live.trace, "zh"), &zh);
    let live = record_live(&case, "zh");
    let w = worker(&live.children_of(live.root));
    has_all(&live.stderr, &inherited_words(live.root, w).1);
    no_generic_fix(&live.stderr);
}

#[test]
fn a_worker_that_inherited_the_write_end_is_explained_on_ctrl_c_and_by_snapshot() {
    let case = Case::python("inherited_write_end.py");
    let live = record_then_ctrl_c(&case);
    let w = worker(&live.children_of(live.root));
    has_all(&live.stderr, &inherited_words(live.root, w).0);
    no_generic_fix(&live.stderr);
    let (g, en, zh) = snapshot(&case);
    let root = g.pid();
    // The producer has exited (a zombie until joined); the worker is the
    // child that still holds the pipe.
    let w = *children(root)
        .iter()
        .find(|c| {
            let st = std::fs::read_to_string(format!("/proc/{c}/stat")).unwrap_or_default();
            !st.contains(") Z ")
        })
        .expect("a live worker");
    let (we, wz) = inherited_words(root, w);
    has_all(&en, &we);
    has_all(&zh, &wz);
    no_generic_fix(&en);
}

/// What the FIFO case must say, for bash `root` and its child `child`
/// opening `fifo`: (English, Chinese).
fn fifo_words(root: i32, child: i32, fifo: &str) -> (Vec<String>, Vec<String>) {
    (
        vec![
            format!("{root} (bash) is blocked in wait4 for any child ({child} (bash))"),
            format!("{child} (bash) is blocked opening the FIFO {fifo} for writing"),
            format!("Fix: start the reader of {fifo} first, in the background, before {child} (bash) opens it for writing (in a shell: `reader <FIFO &` before `writer >FIFO`)"),
        ],
        vec![format!(
            "先在后台启动 {fifo} 的读者，再让 {child}（bash）以写方式打开它"
        )],
    )
}

#[test]
fn a_fifo_written_before_its_reader_starts_is_told_to_start_the_reader_first() {
    let case = Case::fifo();
    let fifo = case.fifo_path();
    let live = record_live(&case, "en");
    let (root, child) = (live.root, *live.children_of(live.root).last().unwrap());
    let (en, zh) = fifo_words(root, child, &fifo);
    has_all(&live.stderr, &en);
    no_generic_fix(&live.stderr);
    has_all(&doctor(&live.trace, "en"), &in_doctor(&en[2..]));
    has_all(&doctor(&live.trace, "zh"), &zh);
    std::fs::remove_file(&fifo).unwrap();
    let live = record_live(&case, "zh");
    let child = *live.children_of(live.root).last().unwrap();
    has_all(&live.stderr, &fifo_words(live.root, child, &fifo).1);
}

#[test]
fn a_fifo_written_before_its_reader_starts_is_explained_on_ctrl_c_and_by_snapshot() {
    let case = Case::fifo();
    let fifo = case.fifo_path();
    let live = record_then_ctrl_c(&case);
    let child = *live.children_of(live.root).last().unwrap();
    has_all(&live.stderr, &fifo_words(live.root, child, &fifo).0);
    no_generic_fix(&live.stderr);
    std::fs::remove_file(&fifo).unwrap();
    let (g, en, zh) = snapshot(&case);
    let root = g.pid();
    let child = *children(root).last().expect("the writer child");
    let (we, wz) = fifo_words(root, child, &fifo);
    has_all(&en, &we);
    has_all(&zh, &wz);
    no_generic_fix(&en);
}
