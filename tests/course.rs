//! The course scenarios: one small program per idea of the course notes
//! (fixtures/course/README.md maps each to its note), recorded for real,
//! replayed as an annotated timeline (`replay --collapse-files`) and drawn
//! at the scenario's key moment (`diagram --format ascii --collapse-files
//! --at SEQ`). Both outputs, normalised, must match the golden files in
//! tests/golden/course/; `FORKSCOPE_UPDATE_GOLDEN=1` rewrites them instead.
//! `FORKSCOPE_COURSE_REPEAT=N` records each scenario N times, to show the
//! outputs do not change from run to run.
//!
//! Normalising removes what changes from run to run and nothing else:
//! pids become P1, P2, ... (in the order the trace first names them); event
//! numbers become #1, #2, ... in timeline order (the real ones depend on how
//! many libraries the loader opens, which --collapse-files hides); open-file
//! numbers in a diagram become #F1, #F2, ... in order of appearance;
//! pipe and socket inodes, the pty number, the temporary directory, the
//! build directory and the repository path become fixed words.
//!
//! Besides the golden comparison, each test checks the scenario's key fact
//! on the recorded events or the text, so a golden file regenerated after a
//! regression that lost the fact still fails.

mod common;

use common::*;
use forkscope::trace::{read_all, Event, EventKind, Header, Pid, Sig, Status};
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Building and recording

fn build_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fixtures-course")
}

/// The command line that runs `fixtures/course/NAME.py` (from that
/// directory, so no path of this checkout shows). `-S` skips the site
/// module, whose look-up of the home directory asks the name service
/// (sockets to nscd) on some machines and not on others.
fn py_program(name: &str) -> Vec<OsString> {
    vec![
        "/usr/bin/python3".into(),
        "-S".into(),
        format!("{name}.py").into(),
    ]
}

fn fixtures_dir() -> PathBuf {
    repo().join("fixtures/course")
}

/// Runs `cmd` with a minimal environment: no variables but PATH and LANG,
/// stdin /dev/null, stdout and stderr into `out`, no other fd inherited,
/// killed after a minute.
fn run_clean(cmd: &mut Command, cwd: &Path, out: &Path) -> std::process::ExitStatus {
    let file = File::create(out).unwrap();
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LANG", "C.UTF-8")
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file);
    // SAFETY: the closure only makes the close_range system call, which is
    // async-signal-safe; it neither allocates nor takes locks.
    unsafe {
        cmd.pre_exec(|| {
            // Whatever fds the test harness inherited (a build system's
            // jobserver, a terminal multiplexer's) must not reach the trace.
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One recording of a scenario program.
struct Run {
    dir: tempfile::TempDir,
    trace: PathBuf,
    header: Header,
    events: Vec<Event>,
    /// What the program (and the programs it ran) printed.
    output: String,
}

fn record_program(cmd: &[OsString], cwd: Option<&Path>) -> Run {
    let run = record_once(cmd, cwd);
    assert!(
        !spawn_race(&run.events),
        "the spawn event lists an fd the program did not inherit: {:?}",
        run.events[0]
    );
    run
}

/// The spawn event lists an fd the harness did not give (only 0, 1 and 2
/// are open when forkscope starts the program): forkscope's sync pipe,
/// read from /proc while the child was closing it.
fn spawn_race(events: &[Event]) -> bool {
    match &events[0].kind {
        EventKind::Spawn { fds, .. } => fds.iter().any(|f| f.fd > 2),
        _ => false,
    }
}

/// Records `cmd` in a fresh temporary directory, from `cwd` (default: a
/// directory inside that one).
fn record_once(cmd: &[OsString], cwd: Option<&Path>) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let out = dir.path().join("out");
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let work = cwd.map(Path::to_path_buf).unwrap_or(work);
    let mut c = forkscope();
    c.args(["record", "-q", "-o"])
        .arg(&trace)
        .arg("--")
        .args(cmd);
    let status = run_clean(&mut c, &work, &out);
    let output = std::fs::read_to_string(&out).unwrap();
    assert_eq!(status.code(), Some(0), "{cmd:?} under forkscope: {output}");
    let (header, events, warnings) = read_all(&trace).unwrap();
    assert!(warnings.is_empty(), "reader warnings: {warnings:?}");
    check_invariants(&header, &events);
    Run {
        dir,
        trace,
        header,
        events,
        output,
    }
}

/// `forkscope --color never ARGS`, in English, without colour; its stdout.
fn forkscope_text(args: &[&std::ffi::OsStr]) -> String {
    let o = forkscope()
        .env_clear()
        .env("LANG", "C.UTF-8")
        .args(["--color", "never"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "forkscope {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

// ---------------------------------------------------------------------------
// Normalising

/// What changes from one recording to the next, and its fixed replacement.
struct Norm {
    /// Pid -> `P1`, `P2`, ...
    pids: HashMap<Pid, String>,
    /// Event seq -> position in the timeline (1, 2, ...).
    seqs: HashMap<u64, usize>,
    /// Literal texts -> words, longest first.
    words: Vec<(String, String)>,
}

impl Norm {
    fn new(run: &Run, timeline: &str) -> Norm {
        let mut pids = HashMap::new();
        let mut order = vec![run.header.root_pid];
        order.extend(run.events.iter().filter_map(|e| match e.kind {
            EventKind::Fork { child, .. } => Some(child),
            _ => None,
        }));
        for p in order {
            assert!(
                p > 255,
                "pid {p} is too small to tell from fd numbers and exit codes"
            );
            let n = pids.len() + 1;
            pids.entry(p).or_insert_with(|| format!("P{n}"));
        }
        let mut seqs = HashMap::new();
        for line in timeline.lines() {
            let seq = line
                .strip_prefix('#')
                .and_then(|l| l.split(' ').next())
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("a timeline line without its event number: {line}"));
            let n = seqs.len() + 1;
            assert!(seqs.insert(seq, n).is_none(), "#{seq} twice");
        }
        let mut words = vec![
            (path_text(run.dir.path()), "$TMP".to_string()),
            (path_text(&build_dir()), "$BIN".to_string()),
            (path_text(&repo()), "$REPO".to_string()),
        ];
        if let Ok(real) = run.dir.path().canonicalize() {
            words.push((path_text(&real), "$TMP".into()));
        }
        words.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        Norm { pids, seqs, words }
    }

    fn seq(&self, seq: u64) -> usize {
        *self
            .seqs
            .get(&seq)
            .unwrap_or_else(|| panic!("#{seq} is not a line of the timeline"))
    }

    /// The normalised form of `text`, a timeline or a diagram.
    fn apply(&self, text: &str) -> String {
        let mut s = text.to_string();
        for (w, to) in &self.words {
            s = s.replace(w.as_str(), to);
        }
        s = numbers_after(&s, "pipe:[", "INODE");
        s = numbers_after(&s, "socket:[", "INODE");
        s = numbers_after(&s, "/dev/pts/", "N");
        let s = self.hash_numbers(&s);
        self.pid_numbers(&s)
    }

    /// `#N`: an event at the start of a timeline line, after `after ` or
    /// `changed by `, and in a diagram's "event" section; an open file before ` ×` and in the
    /// "shared open files" section. `pipe#N` is left alone (already a
    /// stable name).
    fn hash_numbers(&self, text: &str) -> String {
        let mut files: HashMap<String, usize> = HashMap::new();
        let mut section = "";
        let mut out = String::new();
        for line in text.lines() {
            if !line.starts_with(' ') && !line.starts_with('#') && !line.is_empty() {
                section = match line {
                    "pipes" | "shared open files" | "event" | "warnings" => line,
                    _ => section,
                };
            }
            let mut rest = line;
            let mut done = String::new();
            while let Some(at) = rest.find('#') {
                let (before, from) = rest.split_at(at);
                done.push_str(before);
                let digits: String = from[1..]
                    .chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                if digits.is_empty() || before.ends_with("pipe") {
                    done.push('#');
                    rest = &from[1..];
                    continue;
                }
                let after = &from[1 + digits.len()..];
                let head = done.trim_start();
                let open_file =
                    after.starts_with(" ×") || (section == "shared open files" && head.is_empty());
                let event = done.is_empty()
                    || done.ends_with("after ")
                    || done.ends_with("changed by ")
                    || (section == "event" && head.is_empty());
                if open_file {
                    let n = files.len() + 1;
                    let n = *files.entry(digits.clone()).or_insert(n);
                    done.push_str(&format!("#F{n}"));
                } else if event {
                    done.push_str(&format!("#{}", self.seq(digits.parse().unwrap())));
                } else {
                    panic!("#{digits} in a place the normaliser does not know: {line}");
                }
                rest = after;
            }
            done.push_str(rest);
            out.push_str(&done);
            out.push('\n');
        }
        out
    }

    /// Every number that is a traced pid, as a whole word.
    fn pid_numbers(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let word = &text[start..i];
                let glued =
                    |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphabetic() || *c == b'#');
                let pid = word.parse::<Pid>().ok().and_then(|p| self.pids.get(&p));
                match pid {
                    Some(label) if !glued(b.get(start.wrapping_sub(1))) && !glued(b.get(i)) => {
                        out.push_str(label)
                    }
                    _ => out.push_str(word),
                }
            } else {
                let c = text[i..].chars().next().unwrap();
                out.push(c);
                i += c.len_utf8();
            }
        }
        out
    }
}

/// Redraws every box of an ascii diagram around its (normalised) content:
/// the fd labels padded to the widest, the borders as wide as the widest
/// row, as forkscope draws them. Renaming pids and open files changes the
/// width of the text, and the width must not depend on the run.
fn relayout_boxes(text: &str) -> String {
    let mut lines: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let mut i = 0;
    while i < lines.len() {
        let Some(col) = find_seq(&lines[i], &['┌', '─', ' ']) else {
            i += 1;
            continue;
        };
        let end = (i + 1..lines.len())
            .find(|&k| lines[k].get(col) == Some(&'└'))
            .expect("a box without its bottom line");
        let top: String = lines[i][col + 3..].iter().collect();
        let head = top
            .trim_end_matches('┐')
            .trim_end_matches('─')
            .strip_suffix(' ')
            .expect("a box title")
            .to_string();
        let rows: Vec<String> = (i + 1..end)
            .map(|k| {
                let l = &lines[k];
                l[col + 2..l.len() - 2]
                    .iter()
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect();
        let rows = align_notes(&rows);
        let inner = rows
            .iter()
            .map(|r| r.chars().count())
            .chain([head.chars().count() + 2])
            .max()
            .unwrap();
        let kids = lines[end].get(col + 2) == Some(&'┬');
        let prefix = |k: usize, lines: &[Vec<char>]| lines[k][..col].iter().collect::<String>();
        let new_top = format!(
            "{}┌─ {head} {}┐",
            prefix(i, &lines),
            "─".repeat(inner - head.chars().count() - 1)
        );
        let mut new_rows = Vec::new();
        for (k, r) in (i + 1..end).zip(&rows) {
            new_rows.push(format!(
                "{}│ {r}{} │",
                prefix(k, &lines),
                " ".repeat(inner - r.chars().count())
            ));
        }
        let new_bottom = if kids {
            format!("{}└─┬{}┘", prefix(end, &lines), "─".repeat(inner))
        } else {
            format!("{}└{}┘", prefix(end, &lines), "─".repeat(inner + 2))
        };
        lines[i] = new_top.chars().collect();
        for (k, r) in (i + 1..end).zip(new_rows) {
            lines[k] = r.chars().collect();
        }
        lines[end] = new_bottom.chars().collect();
        i = end + 1;
    }
    let mut out: String = lines
        .iter()
        .map(|l| l.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

fn find_seq(line: &[char], pat: &[char]) -> Option<usize> {
    line.windows(pat.len()).position(|w| w == pat)
}

/// fd rows `▶ 1 -> label  notes`: the notes (`#F1 ×2`, `cloexec`) start in
/// one column, after the widest label, as forkscope draws them.
fn align_notes(rows: &[String]) -> Vec<String> {
    let split = |r: &str| -> Option<(String, String, String)> {
        let at = r.find(" -> ")?;
        let (fd, rest) = r.split_at(at + 4);
        let notes_at = ["  #F", "  cloexec"]
            .iter()
            .filter_map(|n| rest.find(n))
            .min();
        Some(match notes_at {
            Some(n) => (
                fd.to_string(),
                rest[..n].trim_end().to_string(),
                rest[n..].trim_start().to_string(),
            ),
            None => (fd.to_string(), rest.to_string(), String::new()),
        })
    };
    let label_w = rows
        .iter()
        .filter_map(|r| split(r))
        .map(|(_, l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|r| match split(r) {
            Some((fd, label, notes)) if !notes.is_empty() => format!(
                "{fd}{label}{}  {notes}",
                " ".repeat(label_w - label.chars().count())
            ),
            _ => r.clone(),
        })
        .collect()
}

/// Joins the lines forkscope wrapped at 100 columns in the "event" and
/// "warnings" sections: where it wraps depends on the width of the pids and
/// paths before normalising.
fn unwrap_paragraphs(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut section = "";
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            section = if line == "event" || line == "warnings" {
                "wrapped"
            } else {
                ""
            };
            out.push(line.to_string());
            continue;
        }
        let continued = section == "wrapped"
            && line.starts_with("    ")
            && out
                .last()
                .is_some_and(|p| p.starts_with("    ") || p.starts_with("  ! "));
        if continued {
            let last = out.last_mut().unwrap();
            last.push(' ');
            last.push_str(line.trim_start());
        } else {
            out.push(line.to_string());
        }
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

fn path_text(p: &Path) -> String {
    p.display().to_string()
}

/// The digits right after each `prefix` replaced by `word`.
fn numbers_after(s: &str, prefix: &str, word: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find(prefix) {
        let (before, from) = rest.split_at(at + prefix.len());
        out.push_str(before);
        let n = from.chars().take_while(|c| c.is_ascii_digit()).count();
        if n > 0 {
            out.push_str(word);
        }
        rest = &from[n..];
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------
// Golden files

fn golden_path(name: &str) -> PathBuf {
    repo().join("tests/golden/course").join(name)
}

fn updating() -> bool {
    std::env::var_os("FORKSCOPE_UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// Compares `actual` with the golden file `name`, or writes it.
fn golden(name: &str, actual: &str) {
    let path = golden_path(name);
    if updating() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with FORKSCOPE_UPDATE_GOLDEN=1 to write it",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{} differs (- golden, + now; FORKSCOPE_UPDATE_GOLDEN=1 rewrites it):\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// A line diff with three lines of context around each change.
fn diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    // Longest common subsequence, by dynamic programming (the files are small).
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    let near = |k: usize| {
        ops[k.saturating_sub(3)..(k + 4).min(ops.len())]
            .iter()
            .any(|(op, _)| *op != ' ')
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, (op, line)) in ops.iter().enumerate() {
        if near(k) {
            if skipped {
                out.push_str("...\n");
                skipped = false;
            }
            out.push_str(&format!("{op} {line}\n"));
        } else {
            skipped = true;
        }
    }
    out
}

// ---------------------------------------------------------------------------
// A scenario: recorded, replayed, normalised

struct Course {
    name: &'static str,
    run: Run,
    norm: Norm,
    /// The normalised timeline.
    timeline: String,
}

impl Course {
    /// Records the C program `fixtures/course/NAME.c`.
    fn c(name: &'static str) -> Course {
        Course::record(name, &[c_program(name).into()], None, |t| t)
    }

    /// Records `fixtures/course/FILE.py` as scenario `NAME`.
    fn py(name: &'static str, file: &str) -> Course {
        Course::record(name, &py_program(file), Some(&fixtures_dir()), |t| t)
    }

    /// Records `cmd` (from `cwd`, by default a fresh directory); `canonical`
    /// may put lines of events that are truly concurrent (no order between
    /// them exists) in a fixed order.
    fn record(
        name: &'static str,
        cmd: &[OsString],
        cwd: Option<&Path>,
        canonical: impl Fn(String) -> String,
    ) -> Course {
        let run = record_program(cmd, cwd);
        let raw = canonical(forkscope_text(&[
            "replay".as_ref(),
            run.trace.as_os_str(),
            "--collapse-files".as_ref(),
        ]));
        let norm = Norm::new(&run, &raw);
        let timeline = norm.apply(&raw);
        Course {
            name,
            run,
            norm,
            timeline,
        }
    }

    fn events(&self) -> &[Event] {
        &self.run.events
    }

    fn root(&self) -> Pid {
        self.run.header.root_pid
    }

    /// `P1`, `P2`, ...
    fn p(&self, pid: Pid) -> &str {
        &self.norm.pids[&pid]
    }

    /// The children the root forked, in order.
    fn children(&self) -> Vec<Pid> {
        self.events()
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Fork { child, .. } if e.pid == self.root() => Some(child),
                _ => None,
            })
            .collect()
    }

    /// The first event matching `f`.
    fn find(&self, what: &str, f: impl Fn(&Event) -> bool) -> &Event {
        self.events()
            .iter()
            .find(|e| f(e))
            .unwrap_or_else(|| panic!("{}: no event {what}", self.name))
    }

    /// The normalised timeline line of event `seq`.
    fn line(&self, seq: u64) -> &str {
        let prefix = format!("#{} ", self.norm.seq(seq));
        self.timeline
            .lines()
            .find(|l| l.starts_with(&prefix))
            .unwrap()
    }

    /// The normalised diagram after event `at`.
    fn diagram(&self, at: u64) -> String {
        let at_s = at.to_string();
        let raw = forkscope_text(&[
            "diagram".as_ref(),
            self.run.trace.as_os_str(),
            "--format".as_ref(),
            "ascii".as_ref(),
            "--collapse-files".as_ref(),
            "--at".as_ref(),
            at_s.as_ref(),
        ]);
        let d = self.norm.apply(&raw);
        let d = unwrap_paragraphs(&relayout_boxes(&d));
        let title = d.lines().next().unwrap_or_default();
        let call = d
            .lines()
            .skip_while(|l| *l != "event")
            .nth(1)
            .unwrap_or_default();
        assert!(
            !title.contains('…') && !call.contains('…'),
            "{}: the diagram cuts the title or the event's call short, which depends on \
             path lengths; draw another moment:\n{d}",
            self.name
        );
        d
    }

    /// Compares the timeline and the diagram at `at` with the golden files;
    /// returns the diagram.
    fn golden(&self, at: u64) -> String {
        let diagram = self.diagram(at);
        golden(&format!("{}.timeline.txt", self.name), &self.timeline);
        golden(&format!("{}.diagram.txt", self.name), &diagram);
        diagram
    }

    fn says(&self, text: &str) -> bool {
        self.run.output.contains(text)
    }
}

/// How many times to record each scenario (FORKSCOPE_COURSE_REPEAT).
fn repeat() -> usize {
    std::env::var("FORKSCOPE_COURSE_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Runs `test` on `repeat()` fresh recordings made by `make`.
fn each_run(make: impl Fn() -> Course, test: impl Fn(&Course)) {
    for _ in 0..repeat() {
        test(&make());
    }
}

fn is_exit(e: &Event, pid: Pid) -> bool {
    e.pid == pid && matches!(e.kind, EventKind::Exit { .. })
}

fn exit_status(c: &Course, pid: Pid) -> Status {
    exits(c.events())[&pid]
}

/// The pids reaped by successful waits of `pid`, in order.
fn reaped_by(c: &Course, pid: Pid) -> Vec<Pid> {
    c.events()
        .iter()
        .filter(|e| e.pid == pid)
        .filter_map(|e| match &e.kind {
            EventKind::Wait {
                reaped: Some(r),
                status: Some(s),
                ..
            } if s.is_final() => Some(*r),
            // wait(NULL): no status was copied out; a reported exited child is reaped.
            EventKind::Wait {
                reaped: Some(r),
                status: None,
                ..
            } => Some(*r),
            _ => None,
        })
        .collect()
}

fn sig(name: &str) -> Sig {
    Sig::from_name(name).unwrap()
}

// ---------------------------------------------------------------------------
// Processes: fork, orphans, zombies, wait, exit, exec

#[test]
fn fork_returns_twice_and_the_child_changes_only_its_own_copy() {
    each_run(
        || Course::c("fork_cow"),
        |c| {
            let child = c.children()[0];
            let fork = c.find("fork", |e| matches!(e.kind, EventKind::Fork { .. }));
            c.golden(fork.seq);
            // One call, two returns: 0 in the child, the child's pid in the parent.
            assert!(c.says("child: fork returned 0,"), "{}", c.run.output);
            assert!(
                c.says(&format!("parent: fork returned {child},")),
                "{}",
                c.run.output
            );
            assert!(
                c.says("money 110\n") && c.says(&format!("{child}, pid {}, money 100\n", c.root()))
            );
            assert!(c
                .line(fork.seq)
                .contains(&format!("{} is born with a copy", c.p(child))));
        },
    );
}

#[test]
fn fork_in_python_returns_twice_too() {
    each_run(
        || Course::py("fork_cow_py", "fork_cow"),
        |c| {
            let child = c.children()[0];
            let fork = c.find("fork", |e| matches!(e.kind, EventKind::Fork { .. }));
            c.golden(fork.seq);
            assert!(c.says("child: fork returned 0,"), "{}", c.run.output);
            assert!(c.says(&format!(
                "parent: fork returned {child}, pid {}, money 100",
                c.root()
            )));
            assert!(c.says("money 110\n"));
            assert_eq!(reaped_by(c, c.root()), vec![child]);
        },
    );
}

#[test]
fn an_orphan_is_orphaned_when_its_parent_exits_and_reaped_outside_the_trace() {
    each_run(
        || Course::c("orphan"),
        |c| {
            let (parent, child) = (c.root(), c.children()[0]);
            let parent_exit = c.find("parent's exit", |e| is_exit(e, parent));
            let line = c.line(parent_exit.seq);
            assert!(
                line.contains(&format!("{} is orphaned: its parent is gone", c.p(child))),
                "{line}"
            );
            let child_exit = c.find("child's exit", |e| is_exit(e, child));
            assert!(
                child_exit.seq > parent_exit.seq,
                "the child outlives its parent"
            );
            assert!(c.says("has exited; my new parent is"), "{}", c.run.output);
            // Nobody in the trace can reap it: its new parent is outside.
            let line = c.line(child_exit.seq);
            assert!(line.contains("outside the trace"), "{line}");
            c.golden(parent_exit.seq);
        },
    );
}

#[test]
fn a_zombie_lasts_from_the_childs_exit_to_the_parents_wait() {
    each_run(
        || Course::c("zombie"),
        |c| {
            let child = c.children()[0];
            let exit = c.find("child's exit", |e| is_exit(e, child));
            let diagram = c.golden(exit.seq);
            let p = c.p(child);
            assert!(
                diagram.contains(&format!("{p} zombie [zombie]")),
                "{diagram}"
            );
            assert!(c
                .line(exit.seq)
                .contains(&format!("{p} is a zombie until its parent waits for it")));
            let reap = c.find(
                "reaping wait",
                |e| matches!(e.kind, EventKind::Wait { reaped: Some(r), .. } if r == child),
            );
            assert!(reap.seq > exit.seq);
            assert!(c.line(reap.seq).contains(&format!("P1 reaps {p} (exit 7)")));
            assert!(c.says("is in state Z"), "{}", c.run.output);
            assert!(c.says("is gone"), "{}", c.run.output);
        },
    );
}

#[test]
fn waitpid_wnohang_returns_0_while_children_run_and_a_loop_reaps_the_rest() {
    each_run(
        || Course::c("wait_reap"),
        |c| {
            let kids = c.children();
            let last_exit = c.find("last child's exit", |e| is_exit(e, kids[2]));
            let diagram = c.golden(last_exit.seq);
            // Two children wait as zombies for the loop.
            assert_eq!(diagram.matches("[zombie]").count(), 2, "{diagram}");
            let waits: Vec<&Event> = c
                .events()
                .iter()
                .filter(|e| matches!(e.kind, EventKind::Wait { .. }))
                .collect();
            let shape: Vec<(bool, Option<Pid>, bool)> = waits
                .iter()
                .map(|e| match &e.kind {
                    EventKind::Wait {
                        nohang,
                        reaped,
                        errno,
                        ..
                    } => (*nohang, *reaped, errno.is_some()),
                    _ => unreachable!(),
                })
                .collect();
            assert_eq!(
                shape,
                vec![
                    (true, None, false),          // WNOHANG: everyone still runs
                    (true, Some(kids[0]), false), // WNOHANG: reaps the one that exited
                    (false, Some(kids[1]), false),
                    (false, Some(kids[2]), false),
                    (false, None, true), // ECHILD: no child left
                ]
            );
            assert!(c
                .line(waits[0].seq)
                .contains("nothing to report yet: WNOHANG returns 0 at once"));
            assert!(c.line(waits[4].seq).contains("= -1 ECHILD"));
        },
    );
}

#[test]
fn the_wait_status_tells_exit_3_from_killed_by_sigkill() {
    each_run(
        || Course::c("exit_vs_kill"),
        |c| {
            let kids = c.children();
            let killed = c.find("killed child's exit", |e| is_exit(e, kids[1]));
            c.golden(killed.seq);
            assert_eq!(exit_status(c, kids[0]), Status::Exited { exited: 3 });
            assert_eq!(
                exit_status(c, kids[1]),
                Status::Signaled {
                    signaled: sig("SIGKILL"),
                    core: false
                }
            );
            assert_eq!(reaped_by(c, c.root()), kids);
            let t = &c.timeline;
            assert!(
                t.contains("P1 reaps P2 (exit 3)") && t.contains("P1 reaps P3 (killed by SIGKILL)"),
                "{t}"
            );
            assert!(c.says("exited with status 3") && c.says("killed by signal 9"));
        },
    );
}

#[test]
fn exec_replaces_the_program_but_keeps_the_pid() {
    each_run(
        || Course::c("exec"),
        |c| {
            let kids = c.children();
            let execs: Vec<&Event> = c
                .events()
                .iter()
                .filter(|e| matches!(e.kind, EventKind::Exec { ok: true, .. }) && e.pid != c.root())
                .collect();
            c.golden(execs[0].seq);
            // The same pids the forks returned now run echo.
            assert_eq!(execs.iter().map(|e| e.pid).collect::<Vec<_>>(), kids);
            let paths: Vec<String> = execs
                .iter()
                .map(|e| match &e.kind {
                    EventKind::Exec { path, .. } => path.lossy().into_owned(),
                    _ => unreachable!(),
                })
                .collect();
            // execl runs the path it is given; execlp found echo in PATH.
            assert_eq!(paths, ["/bin/echo", "/usr/bin/echo"]);
            assert!(c.line(execs[0].seq).contains("P2 now runs echo"));
            assert!(!c.says("never printed"), "{}", c.run.output);
            assert_eq!(c.run.output.matches("printed once").count(), 1);
            assert_eq!(reaped_by(c, c.root()), kids);
        },
    );
}

/// Reaping with wait(NULL): the kernel reaps the child, only the status is
/// not copied out.
#[test]
fn wait_null_reaps_the_child_all_the_same() {
    each_run(
        || Course::c("wait_null"),
        |c| {
            let child = c.children()[0];
            let wait = c.find("wait", |e| matches!(e.kind, EventKind::Wait { .. }));
            assert_eq!(
                reaped_by(c, c.root()),
                vec![child],
                "the wait reaps the child"
            );
            assert!(c.line(wait.seq).contains("P1 reaps P2"), "{}", c.timeline);
            assert!(!c.timeline.contains("orphaned"), "{}", c.timeline);
            c.golden(wait.seq);
        },
    );
}

// ---------------------------------------------------------------------------
// Pipes

/// The line of the event whose sentence says readers now see EOF.
fn eof_events(c: &Course) -> Vec<&Event> {
    c.events()
        .iter()
        .filter(|e| {
            c.line_opt(e.seq)
                .is_some_and(|l| l.contains("its reader now sees EOF"))
        })
        .collect()
}

impl Course {
    fn line_opt(&self, seq: u64) -> Option<&str> {
        let n = self.norm.seqs.get(&seq)?;
        let prefix = format!("#{n} ");
        self.timeline.lines().find(|l| l.starts_with(&prefix))
    }
}

fn is_close(e: &Event, pid: Pid, fd: i32) -> bool {
    e.pid == pid && matches!(e.kind, EventKind::Close { fd: f } if f == fd)
}

fn is_dup_onto(e: &Event, pid: Pid, fd: i32) -> bool {
    e.pid == pid && matches!(e.kind, EventKind::Dup { new_fd, errno: None, .. } if new_fd == fd)
}

/// `ps aux | grep` by hand: the checks shared by the C and Python versions.
fn check_ps_grep(c: &Course) {
    let kids = c.children();
    let (grep, ps) = (kids[0], kids[1]);
    let second_dup2 = c.find("ps's dup2 onto stdout", |e| is_dup_onto(e, ps, 1));
    let diagram = c.golden(second_dup2.seq);
    // Right after the second dup2: grep reads the pipe on fd 0, ps writes it
    // on fd 1, and the parent still holds a write end.
    assert!(
        diagram.contains("pipe#1: writers P1:4, P3:1") && diagram.contains("-> readers P2:0"),
        "{diagram}"
    );
    assert!(c.find("grep's dup2", |e| is_dup_onto(e, grep, 0)).seq < second_dup2.seq);
    // grep sees EOF only when the last write end closes: the parent's,
    // after ps has exited; and only then does grep end.
    let eof = eof_events(c);
    assert_eq!(eof.len(), 1, "{}", c.timeline);
    assert!(is_close(eof[0], c.root(), 4), "{}", c.line(eof[0].seq));
    let ps_exit = c.find("ps's exit", |e| is_exit(e, ps));
    let grep_exit = c.find("grep's exit", |e| is_exit(e, grep));
    assert!(ps_exit.seq < eof[0].seq && eof[0].seq < grep_exit.seq);
    let execs: Vec<String> = c
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Exec { argv, ok: true, .. } if e.pid != c.root() => {
                Some(argv.iter().map(|a| a.lossy()).collect::<Vec<_>>().join(" "))
            }
            _ => None,
        })
        .collect();
    assert_eq!(execs, ["grep ps aux", "ps aux"]);
    assert!(
        c.run.output.lines().any(|l| l.ends_with(" ps aux")),
        "{}",
        c.run.output
    );
}

#[test]
fn ps_aux_into_grep_by_hand_and_grep_sees_eof_after_the_last_write_end() {
    each_run(|| Course::c("ps_grep"), check_ps_grep);
}

#[test]
fn ps_aux_into_grep_in_python_with_close_on_exec_pipe_ends() {
    each_run(
        || Course::py("ps_grep_py", "ps_grep"),
        |c| {
            check_ps_grep(c);
            // os.pipe() makes close-on-exec fds: an end left open goes at exec.
            let pipe = c.find("pipe", |e| matches!(e.kind, EventKind::Pipe { .. }));
            assert!(matches!(pipe.kind, EventKind::Pipe { cloexec: true, .. }));
            assert_eq!(
                c.timeline.matches("closed at exec (close-on-exec)").count(),
                2
            );
        },
    );
}

#[test]
fn two_children_talk_through_a_pipe_and_eof_waits_for_the_last_write_end() {
    each_run(
        || Course::c("pipe_siblings"),
        |c| {
            let kids = c.children();
            let (writer, reader) = (kids[0], kids[1]);
            let plumbed = c.find("reader's close of the write end", |e| {
                is_close(e, reader, 4)
            });
            let diagram = c.golden(plumbed.seq);
            // Plumbing done: one writer, one reader, the parent holds nothing.
            assert!(
                diagram.contains("pipe#1: writers P2:4 -> readers P3:3"),
                "{diagram}"
            );
            // Four copies of the write end existed; only closing the last
            // one, the writer's, gives the reader EOF.
            let eof = eof_events(c);
            assert_eq!(eof.len(), 1, "{}", c.timeline);
            assert!(is_close(eof[0], writer, 4));
            let parent_close = c.find("parent's close of the write end", |e| {
                is_close(e, c.root(), 4)
            });
            assert!(parent_close.seq < plumbed.seq && plumbed.seq < eof[0].seq);
            assert!(c.says("reader: got hello through the pipe"));
            assert!(c.says("reader: read returned 0 (EOF)"));
        },
    );
}

#[test]
fn two_pipes_carry_a_question_and_an_answer() {
    each_run(
        || Course::c("two_pipes"),
        |c| {
            let child = c.children()[0];
            let plumbed = c.find("child's second close", |e| is_close(e, child, 5));
            let diagram = c.golden(plumbed.seq);
            assert!(
                diagram.contains("pipe#1: writers P1:4 -> readers P2:3"),
                "{diagram}"
            );
            assert!(
                diagram.contains("pipe#2: writers P2:6 -> readers P1:5"),
                "{diagram}"
            );
            // Each side's "done" is the close of its write end.
            let eof = eof_events(c);
            assert_eq!(eof.len(), 2, "{}", c.timeline);
            assert!(is_close(eof[0], c.root(), 4) && c.line(eof[0].seq).contains("pipe#1"));
            assert!(is_close(eof[1], child, 6) && c.line(eof[1].seq).contains("pipe#2"));
            assert!(c.says("child: got how are you?") && c.says("parent: got fine, thanks"));
        },
    );
}

#[test]
fn a_non_blocking_pipe_is_polled_until_the_message_arrives() {
    each_run(
        || Course::c("nonblock_pipe"),
        |c| {
            let child = c.children()[0];
            let plumbed = c.find("child's close of the read end", |e| is_close(e, child, 3));
            c.golden(plumbed.seq);
            let pipe = c.find("pipe", |e| matches!(e.kind, EventKind::Pipe { .. }));
            assert!(matches!(pipe.kind, EventKind::Pipe { nonblock: true, .. }));
            assert!(c.line(pipe.seq).contains("pipe2([3, 4], O_NONBLOCK)"));
            // The reads themselves are not recorded; the program says what they did.
            assert!(
                c.says("read failed with EAGAIN: no message yet"),
                "{}",
                c.run.output
            );
            assert!(c.says("got dad, I'm going out"), "{}", c.run.output);
        },
    );
}

#[test]
fn writing_into_a_pipe_without_readers_kills_the_writer_with_sigpipe() {
    each_run(
        || Course::c("sigpipe"),
        |c| {
            let kids = c.children();
            let (reader, writer) = (kids[0], kids[1]);
            let last_read_end =
                c.find("reader's close of the read end", |e| is_close(e, reader, 3));
            let diagram = c.golden(last_read_end.seq);
            assert!(c.line(last_read_end.seq).contains(
                "the last read end of pipe#1 is closed: a write into it now raises SIGPIPE"
            ));
            assert!(
                diagram.contains("no reader left \u{2192} writers get SIGPIPE"),
                "{diagram}"
            );
            let sigpipe = c.find("SIGPIPE", |e| {
                e.pid == writer && matches!(e.kind, EventKind::Signal { signal, .. } if signal == sig("SIGPIPE"))
            });
            assert!(sigpipe.seq > last_read_end.seq);
            assert_eq!(
                exit_status(c, writer),
                Status::Signaled {
                    signaled: sig("SIGPIPE"),
                    core: false
                }
            );
            assert!(c.timeline.contains("P1 reaps P3 (killed by SIGPIPE)"));
            assert!(!c.says("never printed"));
        },
    );
}

/// The timeline with three concurrent events in one order. glibc's popen
/// starts the shell with a vfork-like clone: the parent goes on as soon as
/// the child's exec has replaced its memory, and inside popen it then closes
/// its copy of the write end (`close(4)`) and clears close-on-exec on its
/// read end (`fcntl(3, F_SETFD, 0)`), while the child's exec is still being
/// reported. No order exists between those three (the program holds the
/// shell's command back until popen has returned, so nothing else joins
/// them); this puts them in the order of the story vfork tells (the parent
/// waits until the child has exec'd): the exec, then the parent's two
/// calls. Panics unless the three lines are next to each other.
fn popen_canonical(timeline: String) -> String {
    let lines: Vec<&str> = timeline.lines().collect();
    let find = |what: &str, f: &dyn Fn(&str) -> bool| {
        let at: Vec<usize> = (0..lines.len()).filter(|&i| f(lines[i])).collect();
        assert_eq!(at.len(), 1, "{what}:\n{timeline}");
        at[0]
    };
    let parent = |l: &str| l.split_whitespace().nth(2) == Some("popen");
    let close = find("the parent's close(4)", &|l| {
        parent(l) && l.contains("  close(4)")
    });
    let fcntl = find("the parent's fcntl", &|l| {
        parent(l) && l.contains("  fcntl(3, F_SETFD, 0)")
    });
    let exec = find("sh's exec", &|l| l.contains("  execve(\"/bin/sh\""));
    let first = close.min(fcntl).min(exec);
    assert_eq!(
        close.max(fcntl).max(exec),
        first + 2,
        "the three concurrent lines are not together:\n{timeline}"
    );
    let mut out: Vec<&str> = lines[..first].to_vec();
    out.extend([lines[exec], lines[close], lines[fcntl]]);
    out.extend(&lines[first + 3..]);
    let mut s = out.join("\n");
    s.push('\n');
    s
}

#[test]
fn popen_is_pipe_fork_dup2_exec_in_one_call() {
    each_run(
        || Course::record("popen", &[c_program("popen").into()], None, popen_canonical),
        |c| {
            let sh = c.children()[0];
            let uname_exec = c.find("uname's exec", |e| {
                e.pid == sh && matches!(&e.kind, EventKind::Exec { path, .. } if path.lossy().ends_with("/uname"))
            });
            let diagram = c.golden(uname_exec.seq);
            assert!(diagram.contains("-> readers P1:3"), "{diagram}");
            let pipe = c.find("pipe", |e| matches!(e.kind, EventKind::Pipe { .. }));
            assert_eq!(pipe.pid, c.root());
            assert!(c.find("sh's dup2", |e| is_dup_onto(e, sh, 1)).seq > pipe.seq);
            let sh_exec = c.find("sh's exec", |e| {
                e.pid == sh && matches!(e.kind, EventKind::Exec { .. })
            });
            assert!(c.line(sh_exec.seq).contains("execve(\"/bin/sh\", [\"sh\", \"-c\", \"until [ -d go ]; do :; done; exec uname -s\"])"));
            assert!(sh_exec.seq < uname_exec.seq);
            // The parent reads until EOF, which comes when the shell exits.
            let eof = eof_events(c);
            assert_eq!(eof.len(), 1);
            assert!(is_close(eof[0], sh, 1), "{}", c.timeline);
            assert_eq!(reaped_by(c, c.root()), vec![sh]);
            assert!(c.says("parent read: Linux"), "{}", c.run.output);
        },
    );
}

// ---------------------------------------------------------------------------
// FIFOs

/// The open events of `path`.
fn opens_of<'a>(c: &'a Course, path: &str) -> Vec<&'a Event> {
    c.events()
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Open { path: p, errno: None, .. } if p.lossy() == path))
        .collect()
}

#[test]
fn a_fifo_connects_two_programs_that_share_only_its_path() {
    each_run(
        || Course::c("fifo"),
        |c| {
            let kids = c.children();
            let (reader, writer) = (kids[0], kids[1]);
            let opens = opens_of(c, "course.fifo");
            assert_eq!(
                opens.iter().map(|e| e.pid).collect::<Vec<_>>(),
                [reader, writer]
            );
            for o in &opens {
                assert!(
                    matches!(&o.kind, EventKind::Open { target: Some(t), .. } if t.lossy().starts_with("pipe:[")),
                    "the FIFO's open must name its pipe: {o:?}"
                );
                assert!(
                    c.line_opt(o.seq).is_some(),
                    "the open of a FIFO is not about a file"
                );
            }
            let diagram = c.golden(opens[1].seq);
            assert!(
                diagram.contains("writers P3:3 -> readers P2:3"),
                "{diagram}"
            );
            let eof = eof_events(c);
            assert_eq!(eof.len(), 1, "{}", c.timeline);
            assert!(is_close(eof[0], writer, 3));
            assert!(c.says("reader: got hello from an unrelated process"));
        },
    );
}

#[test]
fn a_fifo_opened_read_write_needs_no_partner() {
    each_run(
        || Course::c("fifo_rdwr"),
        |c| {
            let child = c.children()[0];
            let opens = opens_of(c, "course-rdwr.fifo");
            assert_eq!(
                opens.iter().map(|e| e.pid).collect::<Vec<_>>(),
                [child, c.root()]
            );
            for o in &opens {
                assert!(
                    matches!(&o.kind, EventKind::Open { flags, target: Some(t), .. }
                    if flags == "O_RDWR" && t.lossy().starts_with("pipe:[")),
                    "{o:?}"
                );
            }
            let diagram = c.golden(opens[1].seq);
            // Each holder reads and writes: no EOF while either holds it.
            assert!(diagram.contains("both"), "{diagram}");
            assert!(eof_events(c).is_empty());
            assert!(c.says("parent: got ping") && c.says("child: got pong"));
        },
    );
}

// ---------------------------------------------------------------------------
// Signals

#[test]
fn one_sigchld_for_three_exits_leaves_zombies_behind_a_naive_handler() {
    each_run(
        || Course::c("sigchld"),
        |c| {
            let kids = c.children();
            let first_signal = c.find("SIGCHLD", |e| matches!(e.kind, EventKind::Signal { .. }));
            // All three exited before a single SIGCHLD arrived.
            for k in &kids[..3] {
                assert!(c.find("exit", |e| is_exit(e, *k)).seq < first_signal.seq);
            }
            let naive_wait = c.find("the naive handler's wait", |e| {
                matches!(e.kind, EventKind::Wait { .. })
            });
            let diagram = c.golden(naive_wait.seq);
            assert!(c.line(naive_wait.seq).contains("P1 reaps P2"));
            // It reaped one; two stay zombies.
            assert_eq!(diagram.matches("[zombie]").count(), 2, "{diagram}");
            assert!(
                diagram.contains("P3 sigchld [zombie]") && diagram.contains("P4 sigchld [zombie]")
            );
            let signals_before_last_fork = c
                .events()
                .iter()
                .filter(|e| {
                    e.seq
                        < c.find(
                            "4th fork",
                            |e| matches!(e.kind, EventKind::Fork { child, .. } if child == kids[3]),
                        )
                        .seq
                })
                .filter(|e| matches!(e.kind, EventKind::Signal { .. }))
                .count();
            assert_eq!(signals_before_last_fork, 1, "one SIGCHLD for three exits");
            // The thorough handler reaps the two old zombies with the new child.
            assert_eq!(reaped_by(c, c.root()), kids);
            assert_eq!(
                c.run.output.matches(" is a zombie").count(),
                2,
                "{}",
                c.run.output
            );
            assert!(c.says("4 children reaped in all"));
        },
    );
}

#[test]
fn sigkill_ends_a_child_stopped_by_raise_sigstop() {
    each_run(
        || Course::c("kill_stopped"),
        |c| {
            let child = c.children()[0];
            let stop = c.find("stop", |e| {
                e.pid == child && matches!(e.kind, EventKind::Stop { .. })
            });
            let poll = c.find("WNOHANG wait", |e| {
                matches!(e.kind, EventKind::Wait { nohang: true, .. })
            });
            assert!(
                matches!(poll.kind, EventKind::Wait { reaped: None, .. }),
                "stopped is not ended"
            );
            // The parent hears of the stop (SIGCHLD) and polls after it.
            let sigchld = c.find("the parent's first SIGCHLD", |e| {
                e.pid == c.root() && matches!(e.kind, EventKind::Signal { .. })
            });
            assert!(
                stop.seq < sigchld.seq && sigchld.seq < poll.seq,
                "{}",
                c.timeline
            );
            // wait(2): WNOHANG returns 0 "if no child has exited"; the child
            // has changed state, it is stopped.
            assert!(
                !c.line(poll.seq).contains("changed state"),
                "{}",
                c.line(poll.seq)
            );
            let kill = c.find("kill", |e| {
                e.pid == c.root()
                    && matches!(e.kind, EventKind::Kill { signal, .. } if signal == sig("SIGKILL"))
            });
            assert!(poll.seq < kill.seq);
            assert_eq!(
                exit_status(c, child),
                Status::Signaled {
                    signaled: sig("SIGKILL"),
                    core: false
                }
            );
            assert_eq!(reaped_by(c, c.root()), vec![child]);
            assert!(!c.says("never printed"));
            let diagram = c.golden(stop.seq);
            assert!(diagram.contains("P2 kill_stopped [stopped]"), "{diagram}");
        },
    );
}

// ---------------------------------------------------------------------------
// Shared memory and terminals

#[test]
fn shared_memory_is_not_in_the_trace_but_the_fork_exit_wait_shape_is() {
    each_run(
        || Course::c("mmap_shared"),
        |c| {
            let fork = c.find("fork", |e| matches!(e.kind, EventKind::Fork { .. }));
            c.golden(fork.seq);
            let kinds: Vec<&str> = c
                .timeline
                .lines()
                .filter_map(|l| l.split("  ").nth(1))
                .map(|call| call.split('(').next().unwrap_or(call))
                .collect();
            assert_eq!(
                kinds,
                [
                    "spawn [\"$BIN/mmap_shared\"]",
                    "execve",
                    "fork",
                    "+++ exit 0 +++",
                    "--- SIGCHLD from P2 ---",
                    "wait4",
                    "+++ exit 0 +++"
                ]
            );
            // The child's write reached the parent through the shared page only.
            assert!(c.says("parent: shared 42, copied 0"), "{}", c.run.output);
        },
    );
}

#[test]
fn a_pty_child_starts_a_session_and_puts_the_slave_on_0_1_2() {
    each_run(
        || Course::c("pty"),
        |c| {
            let child = c.children()[0];
            let third = c.find("dup2 onto fd 2", |e| is_dup_onto(e, child, 2));
            let diagram = c.golden(third.seq);
            for fd in 0..3 {
                assert!(
                    diagram.contains(&format!("{fd} -> /dev/pts/N")),
                    "{diagram}"
                );
            }
            let setsid = c.find("setsid", |e| matches!(e.kind, EventKind::Setsid { .. }));
            assert_eq!(setsid.pid, child);
            assert!(matches!(setsid.kind, EventKind::Setsid { sid: Some(s), .. } if s == child));
            let slave = c
                .events()
                .iter()
                .find_map(|e| match &e.kind {
                    EventKind::Open { path, .. } if e.pid == child => {
                        Some(path.lossy().into_owned())
                    }
                    _ => None,
                })
                .expect("the child opens the slave");
            assert!(slave.starts_with("/dev/pts/"), "{slave}");
            assert!(setsid.seq < c.find("dup2 onto 0", |e| is_dup_onto(e, child, 0)).seq);
            // tty, run on the slave, names it; the parent read that from the master.
            assert!(c.run.output.lines().any(|l| l == slave), "{}", c.run.output);
            assert!(c.says(&format!(
                "the child ran on {slave} and exited with status 0"
            )));
        },
    );
}

// ---------------------------------------------------------------------------
// The harness itself

#[test]
fn the_normaliser_renames_pids_events_open_files_and_inodes() {
    let norm = Norm {
        pids: HashMap::from([(4102, "P1".to_string()), (4103, "P2".to_string())]),
        seqs: HashMap::from([(41, 3), (7, 1)]),
        words: vec![("/tmp/x".into(), "$TMP".into())],
    };
    let text = "t — after #41\n┌─ 4102 sh\n│ 1 -> pipe#1 write end  #5 ×2 │\n\
                pipes\n  pipe#1: writers 4102:1, 4103:4 -> readers none\n\
                shared open files\n  #5 pipe:[123]: 4102:1, 4103:4\n\
                event\n  #41 4103 close(41)\n    /tmp/x/a socket:[9] /dev/pts/12 41034102\n";
    let got = norm.apply(text);
    assert_eq!(
        got,
        "t — after #3\n┌─ P1 sh\n│ 1 -> pipe#1 write end  #F1 ×2 │\n\
         pipes\n  pipe#1: writers P1:1, P2:4 -> readers none\n\
         shared open files\n  #F1 pipe:[INODE]: P1:1, P2:4\n\
         event\n  #3 P2 close(41)\n    $TMP/a socket:[INODE] /dev/pts/N 41034102\n"
    );
}

#[test]
fn boxes_are_redrawn_around_their_normalised_content() {
    let text = "┌─ ▶ P1 sh [running] ───────┐\n\
                │   0 -> /dev/null  #F1 ×2      │\n\
                │ ▶ 1 -> pipe#1 write end       │\n\
                └─┬─────────────────────────────┘\n\
                \x20 └── ┌─ P2 cat [zombie] ─┐\n\
                \x20     │   (no open fds)     │\n\
                \x20     └─────────────────────┘\n\
                event\n  #3 P1 close(4)\n    fd 4 is\n    closed\n";
    assert_eq!(
        unwrap_paragraphs(&relayout_boxes(text)),
        "┌─ ▶ P1 sh [running] ─────────────┐\n\
         │   0 -> /dev/null         #F1 ×2 │\n\
         │ ▶ 1 -> pipe#1 write end         │\n\
         └─┬───────────────────────────────┘\n\
         \x20 └── ┌─ P2 cat [zombie] ─┐\n\
         \x20     │   (no open fds)   │\n\
         \x20     └───────────────────┘\n\
         event\n  #3 P1 close(4)\n    fd 4 is closed\n"
    );
}

/// forkscope lists the fds the traced program inherits. Only 0, 1 and 2
/// are open when the tests start it, but the list sometimes holds one more:
/// forkscope's own pipe to the child, read from /proc/PID/fd while the
/// child is closing it (its close-on-exec flag is then unreadable, so it is
/// not filtered out). The recording helper above records again when that
/// happens; this test shows the bug.
#[test]
fn spawn_lists_only_the_fds_the_program_inherits() {
    for _ in 0..100 {
        let run = record_once(&[c_program("mmap_shared").into()], None);
        assert!(!spawn_race(&run.events), "{:?}", run.events[0]);
    }
}

#[test]
fn the_diff_shows_changed_lines_with_context() {
    let d = diff("a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nE\nf\ng\nh\n");
    assert_eq!(d, "...\n  b\n  c\n  d\n- e\n+ E\n  f\n  g\n  h\n");
}

/// Compiles `fixtures/course/NAME.c` (once per test binary) and returns the
/// executable.
fn c_program(name: &str) -> PathBuf {
    fixture_from("course", name)
}
