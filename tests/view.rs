//! `forkscope view` driven for real: the binary runs in a detached tmux
//! session (its own tmux server per test binary), keys are sent with
//! `send-keys`, and the screen is read with `capture-pane`. Every check
//! polls the pane until the expected text appears, with a generous upper
//! bound (a bound on waiting, not a timed assertion).

mod common;

use common::{forkscope, repo};
use forkscope::trace::{read_all, EventKind};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// How long a check waits for the screen before failing.
const PATIENCE: Duration = Duration::from_secs(30);

/// One tmux session running `forkscope view`.
struct Pane {
    socket: String,
    name: String,
}

fn trace(name: &str) -> PathBuf {
    repo().join("fixtures/traces").join(name)
}

impl Pane {
    /// Starts `forkscope ARGS` in a `w`×`h` session; when it ends the pane
    /// prints `EXITED <status>` and whether the terminal is back in
    /// canonical mode (`icanon`) or still raw (`-icanon`).
    fn start(args: &str, w: u16, h: u16) -> Pane {
        Pane::start_env(args, w, h, "")
    }

    fn start_env(args: &str, w: u16, h: u16, env: &str) -> Pane {
        // A tmux server per pane: tests run in parallel, and a server whose
        // last session another test just killed is exiting while a new
        // session on it would be made (new-session then fails).
        let name = format!("v{}", NEXT.fetch_add(1, Ordering::SeqCst));
        let socket = format!("forkscope-view-test-{}-{name}", std::process::id());
        let cmd = format!(
            "env -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 {env} {} {args}; echo EXITED $?; stty -a | grep -o -- '-\\?icanon' | head -1 | sed 's/^/TTY /'; sleep 600",
            env!("CARGO_BIN_EXE_forkscope")
        );
        let st = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-s", &name, "-x", &w.to_string(), "-y", &h.to_string()])
            .arg(cmd)
            .status()
            .expect("run tmux");
        assert!(st.success(), "tmux new-session failed");
        Pane { socket, name }
    }

    fn tmux(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    /// Sends keys (tmux key names: `j`, `Enter`, `Tab`, `Space`, ...).
    fn keys(&self, keys: &[&str]) {
        let st = self
            .tmux()
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(st.success());
    }

    /// Sends text literally.
    fn text(&self, text: &str) {
        let st = self
            .tmux()
            .args(["send-keys", "-l", "-t", &self.name, text])
            .status()
            .expect("tmux send-keys");
        assert!(st.success());
    }

    /// The screen as text (`escapes`: with SGR attributes).
    fn capture(&self, escapes: bool) -> String {
        let mut c = self.tmux();
        c.args(["capture-pane", "-p", "-t", &self.name]);
        if escapes {
            c.arg("-e");
        }
        let out = c.output().expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen satisfies `ok` and stays the same for two
    /// captures in a row (a frame may be caught half written); returns it.
    fn wait(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut last = String::new();
        loop {
            let s = self.capture(false);
            if ok(&s) && s == last {
                return s;
            }
            last = s.clone();
            if start.elapsed() > PATIENCE {
                panic!("waited for {what}; the screen is:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `text` is on the screen; returns the screen.
    fn wait_for(&self, text: &str) -> String {
        self.wait(&format!("{text:?}"), |s| s.contains(text))
    }

    /// The pid of the program in the pane (the shell's child).
    fn program_pid(&self) -> i32 {
        let out = self
            .tmux()
            .args(["list-panes", "-t", &self.name, "-F", "#{pane_pid}"])
            .output()
            .unwrap();
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let kids = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .expect("the shell's children");
        kids.split_whitespace()
            .next()
            .expect("the shell runs forkscope")
            .parse()
            .unwrap()
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

/// The line of the screen that holds `text`.
fn line_with<'a>(screen: &'a str, text: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no line holds {text:?} in:\n{screen}"))
}

/// The timeline's rows on the screen (the left pane's lines that start an event).
fn timeline_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter_map(|l| l.strip_prefix('│'))
        .filter_map(|l| l.split('│').next())
        .map(|l| l.trim_start_matches(['>', ' ']).to_string())
        .filter(|l| l.starts_with('#'))
        .collect()
}

#[test]
fn view_opens_a_committed_trace_steps_with_j_and_k_and_quits_restoring_the_terminal() {
    let p = Pane::start(
        &format!("view {}", trace("handmade-pipeline.jsonl").display()),
        100,
        30,
    );
    let s = p.wait_for("> #0 18576 pipe_fork_exec  spawn");
    assert!(s.contains("diagram after #0"), "{s}");
    assert!(s.contains("timeline 1/39"), "{s}");
    p.keys(&["j", "j", "j", "Down"]);
    let s = p.wait_for("> #4 18576");
    assert!(s.contains("diagram after #4"), "{s}");
    p.keys(&["k", "Up"]);
    p.wait_for("> #2 18576");
    p.keys(&["G"]);
    p.wait_for("> #38 18576");
    p.keys(&["g"]);
    p.wait_for("> #0 18576");
    p.keys(&["PageDown"]);
    p.wait(
        "a page down",
        |s| matches!(timeline_rows(s).first(), Some(r) if !r.starts_with("#0 ")),
    );
    p.keys(&["q"]);
    let s = p.wait_for("TTY ");
    assert!(s.contains("EXITED 0"), "{s}");
    assert!(s.contains("TTY icanon"), "raw mode was left on:\n{s}");
    assert!(
        !s.contains("timeline"),
        "the alternate screen was not left:\n{s}"
    );
}

#[test]
fn colon_jumps_to_a_seq_and_the_diagram_and_pipes_follow() {
    let p = Pane::start(
        &format!("view {}", trace("handmade-pipeline.jsonl").display()),
        100,
        30,
    );
    p.wait_for("> #0 ");
    p.keys(&[":"]);
    p.wait_for("go to seq:");
    p.text("13");
    p.keys(&["Enter"]);
    let s = p.wait_for("> #13 18577 echo  execve");
    assert!(s.contains("diagram after #13"), "{s}");
    assert!(s.contains("18577 echo"), "{s}");
    // After #13 the echo child holds pipe#1's write end on fd 1.
    let pipes = line_with(&s, "pipe#1: writers");
    assert!(pipes.contains("18577 fd 1"), "{pipes}");
    p.keys(&[":"]);
    p.text("999");
    p.keys(&["Enter"]);
    p.wait_for("there is no event #999: the last one is #38");
}

#[test]
fn slash_searches_the_lines_and_n_and_capital_n_move_between_matches() {
    let p = Pane::start(
        &format!("view {}", trace("handmade-pipeline.jsonl").display()),
        100,
        30,
    );
    p.wait_for("> #0 ");
    p.keys(&["/"]);
    p.text("dup2");
    p.keys(&["Enter"]);
    p.wait_for("> #9 18577 pipe_fork_exec  dup2(4, 1)");
    p.keys(&["n"]);
    p.wait_for("> #15 18578 pipe_fork_exec  dup2(3, 0)");
    p.keys(&["n"]);
    p.wait_for("no more events match \"dup2\"");
    p.keys(&["N"]);
    p.wait_for("> #9 18577");
}

#[test]
fn f_keeps_only_the_chosen_event_kinds() {
    let path = trace("handmade-pipeline.jsonl");
    let (_, events, _) = read_all(&path).unwrap();
    let execs: Vec<u64> = events
        .iter()
        .filter(|e| e.kind.name() == "exec")
        .map(|e| e.seq)
        .collect();
    let p = Pane::start(&format!("view {}", path.display()), 100, 30);
    p.wait_for("> #0 ");
    p.keys(&["f"]);
    p.wait_for("event kinds");
    p.keys(&["a"]);
    let at = EventKind::KNOWN.iter().position(|k| *k == "exec").unwrap();
    for _ in 0..at {
        p.keys(&["j"]);
    }
    p.keys(&["Space", "Enter"]);
    let s = p.wait_for(&format!("timeline 1/{}", execs.len()));
    let rows = timeline_rows(&s);
    let seqs: Vec<u64> = rows
        .iter()
        .map(|r| r[1..].split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(seqs, execs, "{s}");
    assert!(rows.iter().all(|r| r.contains("execve(")), "{s}");
    assert!(s.contains("kinds=exec"), "{s}");
}

#[test]
fn p_follows_one_process_and_shows_only_its_events() {
    let path = trace("handmade-pipeline.jsonl");
    let (_, events, _) = read_all(&path).unwrap();
    let theirs: Vec<u64> = events
        .iter()
        .filter(|e| e.pid == 18577)
        .map(|e| e.seq)
        .collect();
    let p = Pane::start(&format!("view {}", path.display()), 100, 30);
    p.wait_for("> #0 ");
    p.keys(&[":"]);
    p.text("9");
    p.keys(&["Enter"]);
    p.wait_for("> #9 18577");
    p.keys(&["p"]);
    // The prompt offers the current event's process.
    p.wait_for("follow pid (Enter): 18577");
    p.keys(&["Enter"]);
    let s = p.wait_for(&format!("/{} ", theirs.len()));
    assert!(s.contains("following 18577"), "{s}");
    let rows = timeline_rows(&s);
    assert_eq!(rows.len(), theirs.len(), "{s}");
    assert!(
        rows.iter().all(|r| r.split(' ').nth(1) == Some("18577")),
        "{s}"
    );
    assert!(s.contains("> #9 18577"), "the view stays on #9:\n{s}");
    p.keys(&["p"]);
    p.wait_for("stopped following 18577");
    p.wait_for("timeline 10/39");
}

#[test]
fn c_collapses_library_and_locale_file_events() {
    let p = Pane::start(
        &format!("view {}", trace("handmade-pipeline.jsonl").display()),
        100,
        30,
    );
    let s = p.wait_for("> #0 ");
    assert!(
        s.contains("#2 18576 pipe_fork_exec  open(\"/etc/ld.so.cach"),
        "{s}"
    );
    p.keys(&["c"]);
    let s = p.wait_for("files collapsed");
    let rows = timeline_rows(&s);
    assert!(!rows.iter().any(|r| r.contains("open(")), "{s}");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("#6 ") && r.contains("pipe(")),
        "{s}"
    );
    // The pipe's closes stay: they are about a pipe, not a file.
    assert!(rows.iter().any(|r| r.starts_with("#10 ")), "{s}");
}

#[test]
fn enter_on_a_doctor_finding_jumps_to_its_event() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("yes.jsonl");
    let out = forkscope()
        .args(["record", "-q", "-o"])
        .arg(&t)
        .args(["--", "sh", "-c", "yes | head -n1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let doctor = forkscope()
        .args(["doctor", "--json"])
        .arg(&t)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&doctor.stdout).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "killed-by-sigpipe")
        .expect("yes dies of SIGPIPE");
    let at = finding["at"].as_u64().unwrap();
    let p = Pane::start(&format!("view {}", t.display()), 120, 30);
    p.wait_for("[killed-by-sigpipe]");
    p.keys(&["Tab"]);
    p.wait_for(&format!("> info[killed-by-sigpipe] #{at}"));
    p.keys(&["Enter"]);
    let s = p.wait_for(&format!("> #{at} "));
    assert!(s.contains(&format!("diagram after #{at}")), "{s}");
    assert!(line_with(&s, &format!("> #{at} ")).contains("yes"), "{s}");
}

#[test]
fn resizing_the_terminal_redraws_the_view_to_the_new_size() {
    let p = Pane::start(
        &format!("view {}", trace("sh-pipeline.jsonl").display()),
        100,
        30,
    );
    p.wait_for("> #0 ");
    for (w, h) in [(80u16, 24u16), (140, 40)] {
        let st = p
            .tmux()
            .args(["resize-window", "-t", &p.name])
            .args(["-x", &w.to_string(), "-y", &h.to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let s = p.wait(&format!("a {w}x{h} drawing"), |s| {
            let lines: Vec<&str> = s.lines().collect();
            lines.len() == usize::from(h)
                && lines[0].starts_with('┌')
                && lines[0].chars().count() == usize::from(w)
                && lines[usize::from(h) - 2].starts_with('└')
        });
        assert!(s.contains("> #0 "), "{s}");
        assert!(s.contains("? help"), "{s}");
    }
    p.keys(&["j"]);
    p.wait_for("> #1 ");
}

#[test]
fn sigterm_leaves_the_terminal_as_it_was() {
    let p = Pane::start(
        &format!("view {}", trace("sample.jsonl").display()),
        100,
        30,
    );
    p.wait_for("> #0 ");
    let pid = p.program_pid();
    // SAFETY: a plain kill(2) of the program this test started.
    let r = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(r, 0);
    let s = p.wait_for("TTY ");
    assert!(s.contains("EXITED 0"), "{s}");
    assert!(s.contains("TTY icanon"), "raw mode was left on:\n{s}");
    assert!(
        !s.contains("timeline"),
        "the alternate screen was not left:\n{s}"
    );
}

#[test]
fn a_terminal_that_hangs_up_ends_the_view_instead_of_leaving_it_spinning() {
    // An ssh connection that drops, a tmux pane that is killed: the pty is
    // gone, reads give end-of-file and ioctls EIO. The view must end, not
    // poll a dead terminal for ever.
    let p = Pane::start(
        &format!("view {}", trace("sample.jsonl").display()),
        100,
        30,
    );
    p.wait_for("> #0 ");
    let pid = p.program_pid();
    drop(p);
    let gone = |pid: i32| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                s.rsplit(')')
                    .next()
                    .unwrap_or("")
                    .trim_start()
                    .starts_with('Z')
            })
            .unwrap_or(true)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !gone(pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let still = !gone(pid);
    if still {
        // SAFETY: a plain kill(2) of the program this test started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    assert!(
        !still,
        "forkscope view {pid} kept running after its terminal hung up"
    );
}

#[test]
fn v_switches_the_diagram_to_the_kernel_view_and_back() {
    let p = Pane::start(
        &format!("view {}", trace("handmade-pipeline.jsonl").display()),
        120,
        40,
    );
    p.wait_for("> #0 ");
    p.keys(&[":", "9", "Enter"]);
    p.wait_for("> #9 ");
    p.keys(&["v"]);
    // The textbook figure: each object, its open files, their fds.
    let s = p.wait_for("open file");
    assert!(s.contains("pipe#1"), "{s}");
    p.keys(&["v"]);
    p.wait("the process boxes again", |s| s.contains("[running]"));
}

#[test]
fn question_mark_shows_the_keys_and_any_key_closes_them() {
    let p = Pane::start(
        &format!("view {}", trace("sample.jsonl").display()),
        100,
        30,
    );
    p.wait_for("> #0 ");
    p.keys(&["?"]);
    let s = p.wait_for("follow one process");
    assert!(s.contains("collapse library and locale file events"), "{s}");
    p.keys(&["Escape"]);
    p.wait("the help to close", |s| !s.contains("follow one process"));
    p.keys(&["t"]);
    p.wait_for("process tree");
}

#[test]
fn lang_zh_draws_chinese_with_every_line_the_terminal_width() {
    let p = Pane::start(
        &format!(
            "--lang zh view {}",
            trace("handmade-pipeline.jsonl").display()
        ),
        100,
        30,
    );
    p.wait_for("> #0 ");
    p.keys(&[":"]);
    p.text("9");
    p.keys(&["Enter"]);
    let s = p.wait_for("#9 之后的图");
    assert!(s.contains("时间线 10/39"), "{s}");
    assert!(s.contains("[运行中]"), "the diagram is in Chinese:\n{s}");
    assert!(line_with(&s, "> #9 18577").contains("— fd 1 "), "{s}");
    for l in s.lines().take(29) {
        assert_eq!(
            forkscope::render::ascii::width(l),
            100,
            "a line is not 100 columns wide: {l:?}\n{s}"
        );
    }
}

#[test]
fn no_color_draws_without_colours_and_color_always_with_them() {
    let t = trace("handmade-pipeline.jsonl");
    let colour = |s: &str| {
        // Any SGR foreground or background colour: ESC [ 3x / 4x / 9x / 10x / 38;5 ...
        s.split("\x1b[").skip(1).any(|seq| {
            let params = seq.split('m').next().unwrap_or("");
            params.split(';').any(|p| {
                matches!(
                    p.parse::<u16>(),
                    Ok(30..=38 | 40..=48 | 90..=97 | 100..=107)
                )
            })
        })
    };
    let plain = Pane::start_env(&format!("view {}", t.display()), 100, 30, "NO_COLOR=1");
    plain.wait_for("> #0 ");
    let s = plain.capture(true);
    assert!(!colour(&s), "NO_COLOR still coloured:\n{s:?}");
    let bright = Pane::start(&format!("--color always view {}", t.display()), 100, 30);
    bright.wait_for("> #0 ");
    let s = bright.capture(true);
    assert!(colour(&s), "--color always drew no colour:\n{s:?}");
}

#[test]
fn view_without_a_terminal_refuses_with_a_clear_error() {
    let out = forkscope()
        .arg("view")
        .arg(trace("sample.jsonl"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    // forkscope's own failure: 125, as env(1) and timeout(1) say it.
    assert_eq!(
        out.status.code(),
        Some(forkscope::record::TRACE_FAILED_EXIT)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("forkscope view needs a terminal"), "{err}");
}

#[test]
fn view_of_a_missing_trace_says_which_file() {
    let p = Pane::start("view /nonexistent/t.jsonl", 100, 30);
    let s = p.wait_for("EXITED");
    assert!(s.contains("/nonexistent/t.jsonl"), "{s}");
    assert!(s.contains("EXITED 1"), "{s}");
}

/// A shell script in a fresh directory, and the trace path beside it.
fn script(body: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let sh = dir.path().join("prog.sh");
    std::fs::write(&sh, body).unwrap();
    let trace = dir.path().join("t.jsonl");
    (dir, sh, trace)
}

/// The events of a trace `record --tui` wrote, checked by `replay --verify`.
fn replayed(trace: &std::path::Path) -> Vec<forkscope::trace::Event> {
    let out = forkscope()
        .args(["replay", "--verify"])
        .arg(trace)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "replay --verify of {}: {}",
        trace.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    read_all(trace).expect("the trace reads back").1
}

#[test]
fn record_tui_shows_events_while_the_program_runs_and_typing_in_its_pane_reaches_it() {
    // The program sees a terminal, waits for a line typed in its pane,
    // runs /bin/echo with it, waits again, and ends with status 3.
    let (_dir, sh, t) = script(
        "test -t 0 && test -t 1 && echo tty:yes\n\
         read x\n/bin/echo got:$x\nread y\nexit 3\n",
    );
    let p = Pane::start(
        &format!("record --tui -o {} -- sh {}", t.display(), sh.display()),
        120,
        36,
    );
    // Running: its events are in the timeline, its output in its pane,
    // and the keys go to it.
    let s = p.wait("the program waiting in read, its events shown", |s| {
        s.contains("tty:yes") && timeline_rows(s).iter().any(|r| r.contains(" sh "))
    });
    assert!(s.contains("keys go to the program"), "{s}");
    assert!(s.contains("program: keys go here"), "{s}");
    assert!(
        !timeline_rows(&s).iter().any(|r| r.contains(" echo ")),
        "{s}"
    );
    p.text("hello");
    p.keys(&["Enter"]);
    // Still running (it waits for the second line), and the events of
    // the /bin/echo it just ran are already in the timeline.
    let s = p.wait("the events of echo", |s| {
        s.contains("got:hello") && timeline_rows(s).iter().any(|r| r.contains(" echo "))
    });
    assert!(
        !s.contains("program (exit"),
        "the program ended early:\n{s}"
    );
    // Ctrl-O gives the keys to the view (k steps up a row), and back.
    p.keys(&["C-o"]);
    let s = p.wait_for("Ctrl-O keys to the program");
    let before = line_with(&s, "> #").to_string();
    p.keys(&["k"]);
    p.wait("the timeline stepped up", |s| {
        s.lines().any(|l| l.contains("> #")) && !s.contains(&before)
    });
    p.keys(&["C-o"]);
    p.wait_for("keys go to the program");
    p.keys(&["Enter"]);
    // Ended: the view stays open over the whole trace, with its findings.
    let s = p.wait_for("program (exit 3)");
    assert!(s.contains("? help  q quit"), "{s}");
    p.wait("the doctor's findings", |s| {
        !s.contains("the doctor reads the trace when the program ends")
    });
    p.keys(&["g"]);
    p.wait_for("> #0 ");
    p.keys(&["G"]);
    p.wait("the last event chosen", |s| {
        s.lines()
            .any(|l| l.contains("> #") && l.contains("sh  +++ exit 3 +++"))
    });
    p.keys(&["q"]);
    let s = p.wait_for("TTY ");
    // forkscope ends as the program did, untraced: exit 3.
    assert!(s.contains("EXITED 3"), "{s}");
    assert!(s.contains("TTY icanon"), "raw mode was left on:\n{s}");
    let events = replayed(&t);
    let echo = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Exec { argv, .. } if argv.len() == 2 && argv[0].lossy() == "/bin/echo" => {
                Some(argv[1].lossy().into_owned())
            }
            _ => None,
        })
        .expect("the exec of /bin/echo is in the trace");
    assert_eq!(echo, "got:hello", "what was typed reached the program");
}

#[test]
fn record_tui_opens_the_hang_report_in_place_when_stall_timeout_finds_one() {
    let hung = common::fixture_from("hang", "reader_holds_write_end");
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.jsonl");
    let p = Pane::start(
        &format!(
            "record --tui --stall-timeout 1 --on-deadlock kill -o {} -- {}",
            t.display(),
            hung.display()
        ),
        120,
        36,
    );
    let s = p.wait_for("Esc: close");
    assert!(line_with(&s, "┌ hang ").contains("hang"), "{s}");
    assert!(s.contains("deadlock:"), "{s}");
    assert!(s.contains("Fix:"), "{s}");
    p.keys(&["Escape"]);
    let s = p.wait("the report closed, the program killed", |s| {
        !s.contains("Esc: close") && s.contains("program (exit 124)")
    });
    // The timeline stands on the stall event.
    assert!(
        s.lines()
            .any(|l| l.contains("> #") && l.contains("*** hang (deadlock)")),
        "{s}"
    );
    p.keys(&["q"]);
    let s = p.wait_for("TTY ");
    // As plain record --on-deadlock kill: 124.
    assert!(s.contains("EXITED 124"), "{s}");
    let events = replayed(&t);
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Stall { killed: true, .. })));
}

#[test]
fn sigterm_during_record_tui_restores_the_terminal_and_ends_as_the_program_does() {
    let (_dir, sh, t) = script("echo waiting\nexec sleep 600\n");
    let p = Pane::start(
        &format!("record --tui -o {} -- sh {}", t.display(), sh.display()),
        100,
        30,
    );
    p.wait("the events of sleep", |s| {
        timeline_rows(s).iter().any(|r| r.contains(" sleep "))
    });
    let pid = p.program_pid();
    // SAFETY: a plain kill(2) of the forkscope this test started.
    let r = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(r, 0);
    let s = p.wait_for("TTY ");
    // SIGTERM went on to the program, which it killed; forkscope dies of
    // it too, as plain `record` does (a shell says 128+15).
    assert!(s.contains("EXITED 143"), "{s}");
    assert!(s.contains("TTY icanon"), "raw mode was left on:\n{s}");
    assert!(
        !s.contains("timeline"),
        "the alternate screen was not left:\n{s}"
    );
    let events = replayed(&t);
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Exit { status: forkscope::trace::Status::Signaled { signaled, .. }, .. }
            if signaled.0 == libc::SIGTERM
    )));
}

#[test]
fn record_tui_without_a_terminal_refuses_in_one_line_in_each_language() {
    for (lang, said) in [
        ("en", "forkscope record --tui needs a terminal"),
        ("zh", "forkscope record --tui 需要在终端里运行"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("t.jsonl");
        let out = forkscope()
            .args(["--lang", lang, "record", "--tui", "-o"])
            .arg(&t)
            .args(["--", "true"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(forkscope::record::TRACE_FAILED_EXIT)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(said), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(!t.exists(), "nothing was recorded");
    }
}
