//! Golden snapshots of every word `forkscope view` shows (issue 11's net
//! for the terminal view): the panes' titles, the status line and its
//! messages, the prompts, the help, the kind chooser, the pipes pane (with
//! EOF, SIGPIPE and unknown ends), the findings pane in each of its states,
//! and the refusals of `forkscope view`, in English and in Chinese. The
//! view is drawn on ratatui's test backend; the refusals come from the
//! binary. The snapshots were made against the view before its words moved
//! to `src/words/tui.rs`; that move must leave them byte-identical.

mod common;

use common::{forkscope, repo};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use forkscope::cli::style::Style;
use forkscope::tui::app::{App, Findings};
use forkscope::tui::index::Index;
use forkscope::words::lang::Lang;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;
use std::path::{Path, PathBuf};

/// A hand-made trace with a finding of each severity the view colours, a
/// pipe whose reader is gone (SIGPIPE), one whose writers are gone (EOF)
/// and one end of unknown direction from the spawn snapshot.
const TRACE: &str = r#"{"format":"forkscope-trace","version":1,"argv":["sh","-c","x"],"start":"2026-12-01T00:00:00Z","start_unix_ns":1,"root_pid":100,"cwd":"/","tracer":"forkscope 0.1.0","kernel":"Linux","arch":"x86_64"}
{"seq":0,"ts_ns":1000,"pid":100,"kind":"spawn","argv":["sh","-c","x"],"fds":[{"fd":0,"target":"/dev/null"},{"fd":1,"target":"/dev/pts/0"},{"fd":2,"target":"/dev/pts/0"},{"fd":5,"target":"pipe:[999]"}]}
{"seq":1,"ts_ns":2000,"pid":100,"kind":"pipe","read_fd":3,"write_fd":4,"pipe_id":777}
{"seq":2,"ts_ns":3000,"pid":100,"kind":"fork","child":101,"flavor":"fork","shares_fds":false,"syscall":"clone","flags":17}
{"seq":3,"ts_ns":4000,"pid":101,"kind":"exec","path":"/usr/bin/cat","argv":["cat"],"ok":true}
{"seq":4,"ts_ns":5000,"pid":101,"kind":"dup","old_fd":3,"new_fd":0,"via":"dup2"}
{"seq":5,"ts_ns":5500,"pid":100,"kind":"close","fd":3}
{"seq":6,"ts_ns":6000,"pid":101,"kind":"exit","status":{"exited":0}}
{"seq":7,"ts_ns":7000,"pid":100,"kind":"close","fd":4}
{"seq":8,"ts_ns":8000,"pid":100,"kind":"pipe","read_fd":3,"write_fd":4,"pipe_id":888}
{"seq":9,"ts_ns":8500,"pid":100,"kind":"close","fd":4}
{"seq":10,"ts_ns":9000000000,"pid":100,"kind":"exit","status":{"exited":0}}
"#;

fn committed(name: &str) -> PathBuf {
    repo().join("fixtures/traces").join(name)
}

/// The hand-made trace written into `dir`.
fn handmade(dir: &Path) -> PathBuf {
    let p = dir.join("words.jsonl");
    std::fs::write(&p, TRACE).unwrap();
    p
}

/// The view of `path`, in `lang`.
fn open(path: &Path, findings: Findings, lang: Lang) -> App {
    App::new(
        Index::open(path).expect("the trace opens"),
        findings,
        Style::plain(),
        lang,
    )
}

/// The doctor's findings of `path`, waited for.
fn diagnosed(path: &Path) -> Findings {
    let mut app = open(path, forkscope::tui::doctor_in_background(path), Lang::En);
    while !app.poll_findings() {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    app.findings
}

/// Row `y` of the buffer as text (the cell a wide character covers is skipped).
fn row(b: &Buffer, y: u16) -> String {
    let mut s = String::new();
    let mut x = 0;
    while x < b.area.width {
        let sym = b[(x, y)].symbol();
        s.push_str(sym);
        x += forkscope::render::ascii::width(sym).max(1) as u16;
    }
    s
}

/// The whole frame as text.
fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| forkscope::tui::draw::draw(f, app)).unwrap();
    let b = t.backend().buffer().clone();
    (0..h).map(|y| row(&b, y) + "\n").collect()
}

/// The status line (the frame's last row).
fn status(app: &mut App) -> String {
    screen(app, 100, 30)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

fn key(app: &mut App, c: KeyCode) {
    app.key(KeyEvent::new(c, KeyModifiers::NONE));
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn suffix(l: Lang) -> &'static str {
    match l {
        Lang::En => "en",
        Lang::Zh => "zh",
    }
}

/// Runs `f` in each language, snapshotting what it returns as `NAME_en` and `NAME_zh`.
fn both(name: &str, f: impl Fn(Lang) -> String) {
    for l in [Lang::En, Lang::Zh] {
        let s = f(l);
        insta::assert_snapshot!(format!("{name}_{}", suffix(l)), s);
    }
}

#[test]
fn the_first_frame_words_every_pane() {
    both("first_frame", |l| {
        let mut a = open(
            &committed("handmade-pipeline.jsonl"),
            Findings::Done(Vec::new()),
            l,
        );
        screen(&mut a, 100, 30)
    });
}

#[test]
fn a_frame_with_the_tree_pipes_and_findings_words_them() {
    let dir = tempfile::tempdir().unwrap();
    let t = handmade(dir.path());
    both("tree_pipes_findings", |l| {
        let mut a = open(&t, diagnosed(&t), l);
        a.goto_seq(3);
        key(&mut a, KeyCode::Char('t'));
        let mut s = screen(&mut a, 120, 40);
        key(&mut a, KeyCode::Tab);
        s.push_str(&screen(&mut a, 120, 40));
        s
    });
}

#[test]
fn the_pipes_pane_words_each_pipe_at_every_event() {
    let dir = tempfile::tempdir().unwrap();
    let t = handmade(dir.path());
    both("pipes_every_event", |l| {
        let mut s = String::new();
        for path in [t.clone(), committed("sh-pipeline.jsonl")] {
            let mut a = open(&path, Findings::Done(Vec::new()), l);
            for row in 0..a.rows.len() {
                a.go(row);
                let seq = a.current().map(|i| a.ix.seq(i)).unwrap_or_default();
                for l in a.drawn().pipes {
                    s.push_str(&format!("#{seq} {l}\n"));
                }
            }
        }
        s
    });
}

#[test]
fn the_findings_pane_words_its_pending_and_failed_states() {
    both("findings_states", |l| {
        let (_tx, rx) = std::sync::mpsc::channel();
        let mut a = open(&committed("sample.jsonl"), Findings::Pending(rx), l);
        let mut s = screen(&mut a, 100, 30);
        key(&mut a, KeyCode::Tab);
        s.push_str(&status(&mut a));
        s.push('\n');
        let (tx, rx) = std::sync::mpsc::channel::<Result<forkscope::analysis::Report, String>>();
        drop(tx);
        let mut a = open(&committed("sample.jsonl"), Findings::Pending(rx), l);
        a.poll_findings();
        s.push_str(&screen(&mut a, 100, 30));
        let mut a = open(&committed("sample.jsonl"), Findings::Done(Vec::new()), l);
        key(&mut a, KeyCode::Tab);
        s.push_str(&status(&mut a));
        s.push('\n');
        s
    });
}

#[test]
fn the_help_and_the_kind_chooser_are_worded() {
    both("help_and_kinds", |l| {
        let mut a = open(&committed("sample.jsonl"), Findings::Done(Vec::new()), l);
        key(&mut a, KeyCode::Char('?'));
        let mut s = screen(&mut a, 100, 30);
        key(&mut a, KeyCode::Esc);
        key(&mut a, KeyCode::Char('f'));
        s.push_str(&screen(&mut a, 100, 30));
        s
    });
}

#[test]
fn the_prompts_are_worded() {
    both("prompts", |l| {
        let mut a = open(
            &committed("handmade-pipeline.jsonl"),
            Findings::Done(Vec::new()),
            l,
        );
        let mut s = String::new();
        for (k, typed) in [(':', "12"), ('/', "pipe"), ('p', "")] {
            key(&mut a, KeyCode::Char(k));
            keys(&mut a, typed);
            s.push_str(&status(&mut a));
            s.push('\n');
            key(&mut a, KeyCode::Esc);
        }
        s
    });
}

#[test]
fn every_status_message_is_worded() {
    both("messages", |l| {
        let path = committed("handmade-pipeline.jsonl");
        let mut a = open(&path, Findings::Done(Vec::new()), l);
        let mut s = String::new();
        let mut say = |a: &mut App, what: &str| {
            s.push_str(&format!("{what}: {}\n", status(a)));
        };
        a.goto_seq(9999);
        say(&mut a, "no such seq");
        for bad in ["abc", "#x"] {
            key(&mut a, KeyCode::Char(':'));
            keys(&mut a, bad);
            key(&mut a, KeyCode::Enter);
            say(&mut a, "not a seq");
        }
        key(&mut a, KeyCode::Char('n'));
        say(&mut a, "n before any search");
        key(&mut a, KeyCode::Char('p'));
        key(&mut a, KeyCode::Backspace);
        key(&mut a, KeyCode::Backspace);
        key(&mut a, KeyCode::Backspace);
        key(&mut a, KeyCode::Backspace);
        key(&mut a, KeyCode::Backspace);
        keys(&mut a, "abc");
        key(&mut a, KeyCode::Enter);
        say(&mut a, "not a pid");
        key(&mut a, KeyCode::Char('p'));
        for _ in 0..5 {
            key(&mut a, KeyCode::Backspace);
        }
        keys(&mut a, "4242");
        key(&mut a, KeyCode::Enter);
        say(&mut a, "a pid without events");
        a.goto_seq(9);
        key(&mut a, KeyCode::Char('p'));
        key(&mut a, KeyCode::Enter);
        say(&mut a, "following");
        a.goto_seq(12);
        say(&mut a, "left out by the filter");
        a.goto_seq(38);
        say(&mut a, "nothing kept after");
        key(&mut a, KeyCode::Char('c'));
        say(&mut a, "following and collapsed");
        key(&mut a, KeyCode::Char('p'));
        say(&mut a, "stopped following");
        key(&mut a, KeyCode::Char('c'));
        key(&mut a, KeyCode::Char('f'));
        key(&mut a, KeyCode::Char('a'));
        key(&mut a, KeyCode::Char(' '));
        key(&mut a, KeyCode::Char('j'));
        key(&mut a, KeyCode::Char(' '));
        key(&mut a, KeyCode::Enter);
        say(&mut a, "two kinds");
        key(&mut a, KeyCode::Char('f'));
        key(&mut a, KeyCode::Char('a'));
        key(&mut a, KeyCode::Enter);
        say(&mut a, "every kind again");
        a.goto_seq(0);
        key(&mut a, KeyCode::Char('/'));
        keys(&mut a, "no such text anywhere");
        key(&mut a, KeyCode::Enter);
        say(&mut a, "a search under way");
        while a.search_slice() {}
        say(&mut a, "a search that found nothing");
        key(&mut a, KeyCode::Char('N'));
        key(&mut a, KeyCode::Esc);
        say(&mut a, "a search stopped");
        s
    });
}

#[test]
fn a_filter_that_keeps_nothing_says_so() {
    both("nothing_kept", |l| {
        let mut a = open(&committed("sample.jsonl"), Findings::Done(Vec::new()), l);
        key(&mut a, KeyCode::Char('f'));
        key(&mut a, KeyCode::Char('a'));
        key(&mut a, KeyCode::Enter);
        screen(&mut a, 80, 24)
    });
}

/// Runs the binary with `args`; its exit code and stderr (the trace's
/// directory written as DIR).
fn refusal(args: &[&str], dir: &Path, tty: bool) -> String {
    let out = if tty {
        // A pseudo-terminal from script(1), so the view gets past its check.
        let cmd = format!("{} {}", env!("CARGO_BIN_EXE_forkscope"), args.join(" "));
        std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    } else {
        forkscope()
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let text = if tty { &out.stdout } else { &out.stderr };
    format!(
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(text)
            .replace('\r', "")
            .replace(&dir.display().to_string(), "DIR")
    )
}

#[test]
fn view_refuses_without_a_terminal_and_for_an_empty_trace() {
    let dir = tempfile::tempdir().unwrap();
    let t = handmade(dir.path());
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, TRACE.lines().next().unwrap().to_string() + "\n").unwrap();
    both("refusals", |l| {
        let l = suffix(l);
        let t = t.display().to_string();
        let e = empty.display().to_string();
        let mut s = refusal(&["--lang", l, "view", &t], dir.path(), false);
        s.push_str(&refusal(&["--lang", l, "view", &e], dir.path(), true));
        s
    });
}

#[test]
fn chinese_lines_keep_the_panes_aligned() {
    let mut a = open(
        &committed("handmade-pipeline.jsonl"),
        Findings::Done(Vec::new()),
        Lang::Zh,
    );
    a.goto_seq(9);
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| forkscope::tui::draw::draw(f, &mut a)).unwrap();
    let b = t.backend().buffer().clone();
    assert!(row(&b, 0).starts_with("┌ 时间线 10/39"), "{}", row(&b, 0));
    for y in 1..28 {
        // The timeline's right border is in column 49 on every line.
        assert_eq!(b[(49, y)].symbol(), "│", "line {y}: {}", row(&b, y));
        assert!(
            ["│", "┐", "┘"].contains(&b[(99, y)].symbol()),
            "line {y}: {}",
            row(&b, y)
        );
    }
}

#[test]
fn record_tui_refuses_without_a_terminal_and_to_follow_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.jsonl").display().to_string();
    both("record_tui_refusals", |l| {
        let l = suffix(l);
        let mut s = refusal(
            &["--lang", l, "record", "--tui", "-o", &t, "--", "true"],
            dir.path(),
            false,
        );
        s.push_str(&refusal(
            &["--lang", l, "record", "--tui", "-o", "-", "--", "true"],
            dir.path(),
            true,
        ));
        s
    });
}
