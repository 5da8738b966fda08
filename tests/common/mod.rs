//! Shared helpers for the integration tests: build fixture programs with the
//! system C compiler, run `forkscope record`, read the trace back, and check
//! the invariants every trace must keep.

#![allow(dead_code)]

use forkscope::trace::{read_all, Event, EventKind, Header};
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// The forkscope binary under test.
pub fn forkscope() -> Command {
    // English annotations whatever the machine's locale (tests of --lang set their own).
    let mut c = Command::new(env!("CARGO_BIN_EXE_forkscope"));
    c.env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C.UTF-8");
    c
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

static BUILT: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());

/// Compiles `fixtures/record/NAME.c` with extra `flags` (once per test
/// binary) and returns the executable, or an error text if the compiler
/// refuses (e.g. no 32-bit libc).
pub fn try_fixture(name: &str, flags: &[&str]) -> Result<PathBuf, String> {
    try_fixture_from("record", name, flags)
}

/// Like [`try_fixture`], for `fixtures/DIR/NAME.c` (e.g. DIR `syscalls`).
pub fn try_fixture_from(dir: &str, name: &str, flags: &[&str]) -> Result<PathBuf, String> {
    let key = format!("{dir}/{name} {}", flags.join(" "));
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = built.iter().find(|(k, _)| *k == key) {
        return Ok(p.clone());
    }
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixtures-".to_owned() + dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    let suffix: String = flags.concat().replace(['-', '='], "");
    let out = out_dir.join(format!("{name}{suffix}"));
    let src = repo().join("fixtures").join(dir).join(format!("{name}.c"));
    // Built under a name of its own, then renamed: another test binary may
    // be running the previous build (writing over it would be ETXTBSY).
    let tmp = out_dir.join(format!(".{name}{suffix}.{}", std::process::id()));
    let r = Command::new("cc")
        .args(["-O1", "-Wall", "-pthread"])
        .args(flags)
        .arg("-o")
        .arg(&tmp)
        .arg(&src)
        .output()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if !r.status.success() {
        return Err(String::from_utf8_lossy(&r.stderr).into_owned());
    }
    std::fs::rename(&tmp, &out).map_err(|e| format!("{}: {e}", out.display()))?;
    built.push((key, out.clone()));
    Ok(out)
}

/// Like [`try_fixture_from`], panicking when it does not build.
pub fn fixture_from(dir: &str, name: &str) -> PathBuf {
    try_fixture_from(dir, name, &[]).unwrap_or_else(|e| panic!("building {dir}/{name}: {e}"))
}

/// Like [`try_fixture`], panicking when it does not build.
pub fn fixture(name: &str) -> PathBuf {
    try_fixture(name, &[]).unwrap_or_else(|e| panic!("building fixture {name}: {e}"))
}

/// The result of one `forkscope record`.
pub struct Recorded {
    pub out: Output,
    pub trace: PathBuf,
    pub header: Header,
    pub events: Vec<Event>,
    _dir: tempfile::TempDir,
}

impl Recorded {
    pub fn code(&self) -> i32 {
        self.out.status.code().expect("forkscope exited by signal")
    }

    /// The signal forkscope died of (it dies of the one that killed the
    /// command), or None when it exited.
    pub fn signal(&self) -> Option<i32> {
        std::os::unix::process::ExitStatusExt::signal(&self.out.status)
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }

    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| e.kind.name() == kind)
    }

    pub fn count(&self, kind: &str) -> usize {
        self.of_kind(kind).count()
    }
}

/// Records `cmd` and reads the trace back; checks the trace invariants.
pub fn record<S: AsRef<OsStr>>(cmd: &[S]) -> Recorded {
    record_with(cmd, &[])
}

/// Records with extra forkscope options (before `--`).
pub fn record_with<S: AsRef<OsStr>>(cmd: &[S], opts: &[&str]) -> Recorded {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let out = forkscope()
        .arg("record")
        .arg("-o")
        .arg(&trace)
        .args(opts)
        .arg("--")
        .args(cmd)
        .output()
        .unwrap();
    let (header, events, warnings) = read_all(&trace).unwrap_or_else(|e| {
        panic!(
            "reading the trace: {e}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(warnings.is_empty(), "reader warnings: {warnings:?}");
    check_invariants(&header, &events);
    Recorded {
        out,
        trace,
        header,
        events,
        _dir: dir,
    }
}

/// Records with `--snapshots exec,exit` and checks what exit snapshots
/// promise: every process that exits had its fd table written (by one of its
/// tasks) before its `exit` event, and `replay --verify` finds no divergence
/// between the model and any snapshot.
pub fn record_at_exit<S: AsRef<OsStr>>(cmd: &[S]) -> Recorded {
    let r = record_with(cmd, &["--snapshots", "exec,exit"]);
    let mut process_of: HashMap<i32, i32> = HashMap::from([(r.header.root_pid, r.header.root_pid)]);
    let mut snapped: HashSet<i32> = HashSet::new();
    for e in &r.events {
        let process = process_of.get(&e.pid).copied().unwrap_or(e.pid);
        match &e.kind {
            EventKind::Fork { child, flavor, .. } => {
                let p = if *flavor == forkscope::trace::ForkFlavor::Thread {
                    process
                } else {
                    *child
                };
                process_of.insert(*child, p);
            }
            EventKind::FdSnapshot { at, .. } => {
                assert_eq!(at, "exit");
                snapped.insert(process);
            }
            EventKind::Exit { .. } if process == e.pid => {
                assert!(
                    snapped.remove(&process),
                    "seq {}: process {} exits with no fd_snapshot before",
                    e.seq,
                    e.pid
                );
            }
            _ => {}
        }
    }
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&r.trace)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(v.status.success(), "replay --verify:\n{text}");
    assert!(text.contains(" divergences; "), "{text}");
    r
}

/// What every trace must satisfy: seq 0,1,2..; time never goes back; the
/// first event is the root's spawn; every task acts only after the fork that
/// created it and not after its exit; each task exits at most once.
pub fn check_invariants(header: &Header, events: &[Event]) {
    let mut known: HashSet<i32> = HashSet::new();
    let mut exited: HashSet<i32> = HashSet::new();
    let mut last_ts = 0;
    assert!(matches!(
        events.first().map(|e| &e.kind),
        Some(EventKind::Spawn { .. })
    ));
    known.insert(header.root_pid);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64, "seq must count 0, 1, 2, ...");
        assert!(e.ts_ns >= last_ts, "time went back at seq {}", e.seq);
        last_ts = e.ts_ns;
        assert!(
            known.contains(&e.pid),
            "seq {}: pid {} acts before any fork created it: {e:?}",
            e.seq,
            e.pid
        );
        assert!(
            !exited.contains(&e.pid),
            "seq {}: pid {} acts after its exit: {e:?}",
            e.seq,
            e.pid
        );
        match &e.kind {
            EventKind::Fork { child, .. } => {
                known.insert(*child);
                exited.remove(child); // pid reuse
            }
            EventKind::Exec {
                former_tid: Some(t),
                ..
            } => {
                exited.insert(*t);
            }
            EventKind::Exit { .. } => {
                exited.insert(e.pid);
            }
            _ => {}
        }
    }
}

/// Exit statuses per pid.
pub fn exits(events: &[Event]) -> HashMap<i32, forkscope::trace::Status> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Exit { status, .. } => Some((e.pid, status)),
            _ => None,
        })
        .collect()
}

/// Path helper for tests that write files.
pub fn exists(p: &Path) -> bool {
    p.exists()
}

/// A child in its own process group; the whole group is SIGKILLed on drop,
/// so a failing test leaves no traced program behind.
pub struct Group(pub std::process::Child);

impl Group {
    pub fn spawn(cmd: &mut Command) -> Group {
        use std::os::unix::process::CommandExt;
        Group(cmd.process_group(0).spawn().expect("spawn"))
    }

    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: killpg takes integers only.
        unsafe {
            libc::killpg(self.pid(), libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// Whether the program recorded into `trace` looks hung to `forkscope
/// snapshot` (exit 1) within `tries` polls 50 ms apart.
pub fn hung_within(trace: &Path, tries: usize) -> bool {
    hung_showing_within(trace, tries, "")
}

/// [`hung_within`], once the snapshot also says `text` (a state the test
/// needs the program in, not only hung: e.g. a sleep already in its sleep).
pub fn hung_showing_within(trace: &Path, tries: usize, text: &str) -> bool {
    for _ in 0..tries {
        let root = read_all(trace).ok().map(|(h, _, _)| h.root_pid);
        if let Some(root) = root.filter(|r| *r > 0) {
            let out = forkscope()
                .args(["snapshot", &root.to_string()])
                .output()
                .unwrap();
            if out.status.code() == Some(1) && String::from_utf8_lossy(&out.stdout).contains(text) {
                return true;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

/// `forkscope record -q` of `argv` in its own process group, interrupted as
/// a terminal does on Ctrl-C (SIGINT to the whole group) once `snapshot`
/// calls it hung (within `tries` polls): how forkscope ended and what it
/// said on stderr (drained all along, so a long report cannot block it).
pub fn ctrl_c_when_hung<S: AsRef<OsStr>>(
    argv: &[S],
    tries: usize,
) -> (std::process::ExitStatus, String) {
    ctrl_c_when_showing(argv, tries, "")
}

/// [`ctrl_c_when_hung`], once the snapshot also says `text`
/// ([`hung_showing_within`]).
pub fn ctrl_c_when_showing<S: AsRef<OsStr>>(
    argv: &[S],
    tries: usize,
    text: &str,
) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let mut g = Group::spawn(
        forkscope()
            .args(["--color", "never", "record", "-q", "-o"])
            .arg(&trace)
            .arg("--")
            .args(argv)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped()),
    );
    let mut stderr = g.0.stderr.take().unwrap();
    let drain = std::thread::spawn(move || {
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        err
    });
    assert!(
        hung_showing_within(&trace, tries, text),
        "the program never looked hung (showing {text:?})"
    );
    // SAFETY: killpg takes integers only.
    unsafe {
        libc::killpg(g.pid(), libc::SIGINT);
    }
    let status = g.0.wait().unwrap();
    (status, drain.join().unwrap())
}
