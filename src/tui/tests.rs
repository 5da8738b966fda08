//! The view drawn on ratatui's test backend: where the panes go at 80×24
//! and 100×30, the current row's mark, the popups, a finding's Enter, and
//! checkpoints giving the same lines as a plain sequential replay. (The
//! Chinese frames are checked in tests/words_tui.rs.)

use super::app::{App, Findings};
use super::draw::draw;
use super::index::{At, Index, EVERY};
use crate::analysis::{Code, Finding, FindingFact, Proc, Severity};
use crate::cli::style::Style;
use crate::replay::Replay;
use crate::words::Lang;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;
use ratatui::Terminal;
use std::io::Write;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/traces")
        .join(name)
}

fn app(name: &str, findings: Vec<Finding>) -> App {
    let ix = Index::open(&fixture(name)).expect("a committed trace opens");
    App::new(ix, Findings::Done(findings), Style::plain(), Lang::En)
}

fn frame(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app)).unwrap();
    t.backend().buffer().clone()
}

/// Row `y` of the buffer as text (the cell after a wide character, which
/// it covers, is skipped).
fn row(b: &Buffer, y: u16) -> String {
    let mut s = String::new();
    let mut x = 0;
    while x < b.area.width {
        let sym = b[(x, y)].symbol();
        s.push_str(sym);
        x += crate::render::ascii::width(sym).max(1) as u16;
    }
    s
}

fn key(app: &mut App, c: KeyCode) {
    app.key(KeyEvent::new(c, KeyModifiers::NONE));
}

#[test]
fn at_80x24_the_timeline_is_on_the_left_the_diagram_on_the_right_and_the_status_below() {
    let mut a = app("handmade-pipeline.jsonl", Vec::new());
    let b = frame(&mut a, 80, 24);
    let top = row(&b, 0);
    assert!(top.starts_with("┌ timeline 1/39"), "{top}");
    let right = top.find("┌ diagram after #0").expect("the diagram's title");
    assert_eq!(top[..right].chars().count(), 40, "{top}");
    assert!(row(&b, 1).starts_with("│> #0 18576 pipe_fork_exec"));
    assert!(row(&b, 23).starts_with("#0 ? help  q quit"));
    let all: String = (0..24).map(|y| row(&b, y) + "\n").collect();
    assert!(all.contains("┌ pipes"), "{all}");
    assert!(all.contains("┌ doctor"), "{all}");
    assert!(all.contains("nothing found"), "{all}");
}

#[test]
fn the_current_row_is_marked_and_reversed_and_moves_with_j() {
    let mut a = app("handmade-pipeline.jsonl", Vec::new());
    key(&mut a, KeyCode::Char('j'));
    let b = frame(&mut a, 100, 30);
    assert!(row(&b, 1).starts_with("│  #0 "));
    assert!(row(&b, 2).starts_with("│> #1 18576"));
    assert!(b[(3, 2)].modifier.contains(Modifier::REVERSED));
    assert!(!b[(3, 1)].modifier.contains(Modifier::REVERSED));
    assert!(row(&b, 0).contains("diagram after #1"));
}

#[test]
fn the_timeline_scrolls_to_keep_the_current_row_in_sight() {
    let mut a = app("handmade-pipeline.jsonl", Vec::new());
    key(&mut a, KeyCode::Char('G'));
    let b = frame(&mut a, 80, 24);
    // 21 rows inside the borders: the last event is on the last one.
    assert!(row(&b, 21).starts_with("│> #38 18576"), "{}", row(&b, 21));
    assert!(row(&b, 1).starts_with("│  #18 "), "{}", row(&b, 1));
}

#[test]
fn t_adds_the_process_tree_pane_with_children_indented() {
    let mut a = app("handmade-pipeline.jsonl", Vec::new());
    a.goto_seq(9);
    key(&mut a, KeyCode::Char('t'));
    let b = frame(&mut a, 100, 30);
    let all: String = (0..30).map(|y| row(&b, y) + "\n").collect();
    assert!(all.contains("process tree"), "{all}");
    assert!(all.contains("│18576 pipe_fork_exec (running)"), "{all}");
    assert!(all.contains("│  18577 pipe_fork_exec (running)"), "{all}");
}

#[test]
fn f_opens_the_kind_chooser_with_every_kind_ticked() {
    let mut a = app("sample.jsonl", Vec::new());
    key(&mut a, KeyCode::Char('f'));
    let b = frame(&mut a, 100, 30);
    let all: String = (0..30).map(|y| row(&b, y) + "\n").collect();
    assert!(all.contains("event kinds"), "{all}");
    assert!(all.contains("> [x] spawn"), "{all}");
    assert!(all.contains("  [x] exec"), "{all}");
    key(&mut a, KeyCode::Char(' '));
    let b = frame(&mut a, 100, 30);
    let all: String = (0..30).map(|y| row(&b, y) + "\n").collect();
    assert!(all.contains("> [ ] spawn"), "{all}");
}

#[test]
fn the_help_lists_every_key_of_the_issue() {
    let mut a = app("sample.jsonl", Vec::new());
    key(&mut a, KeyCode::Char('?'));
    let b = frame(&mut a, 80, 24);
    let all: String = (0..24).map(|y| row(&b, y) + "\n").collect();
    for k in [
        "↓ j / ↑ k",
        "PgDn",
        "g / G",
        ":",
        "n / N",
        "f ",
        "p ",
        "c ",
        "t ",
        "Tab",
        "?",
        "q",
    ] {
        assert!(all.contains(k), "{k:?} missing:\n{all}");
    }
}

#[test]
fn tab_chooses_a_finding_and_enter_goes_to_its_event() {
    let fact = FindingFact::Orphan {
        child: Proc::new(18577, "cat"),
        parent: Proc::new(18576, "sh"),
        at_seq: 31,
        exit_seq: None,
        adopter: None,
    };
    let f = Finding::new(Code::NeverReaped, Severity::Warning, 31, fact);
    let mut a = app("handmade-pipeline.jsonl", vec![f]);
    let b = frame(&mut a, 100, 30);
    let all: String = (0..30).map(|y| row(&b, y) + "\n").collect();
    assert!(
        all.contains("  warning[never-reaped] #31: 18577 (cat) was orp"),
        "{all}"
    );
    key(&mut a, KeyCode::Tab);
    let b = frame(&mut a, 100, 30);
    let all: String = (0..30).map(|y| row(&b, y) + "\n").collect();
    assert!(all.contains("> warning[never-reaped] #31"), "{all}");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.current().map(|i| a.ix.seq(i)), Some(31));
    let b = frame(&mut a, 100, 30);
    assert!(row(&b, 0).contains("diagram after #31"));
}

/// Writes a trace of `n` events of fork/pipe/dup/exec/exit churn.
fn churn(path: &Path, n: u64) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, r#"{{"format":"forkscope-trace","version":1,"argv":["sh"],"start":"2026-12-01T00:00:00Z","start_unix_ns":1,"root_pid":100,"cwd":"/","tracer":"forkscope 0.1.0","kernel":"Linux","arch":"x86_64"}}"#).unwrap();
    let seq = std::cell::Cell::new(0u64);
    let ev = |w: &mut std::io::BufWriter<std::fs::File>, pid: u64, rest: String| {
        let s = seq.get();
        writeln!(w, r#"{{"seq":{s},"ts_ns":{},"pid":{pid},{rest}}}"#, s * 10).unwrap();
        seq.set(s + 1);
    };
    ev(&mut w, 100, r#""kind":"spawn","argv":["sh"],"fds":[{"fd":0,"target":"/dev/null"},{"fd":1,"target":"/dev/pts/0"}]"#.into());
    let mut k = 0;
    while seq.get() < n {
        let c = 1000 + k % 7;
        ev(
            &mut w,
            100,
            format!(
                r#""kind":"pipe","read_fd":3,"write_fd":4,"pipe_id":{}"#,
                9000 + k
            ),
        );
        ev(
            &mut w,
            100,
            format!(
                r#""kind":"fork","child":{c},"flavor":"fork","shares_fds":false,"syscall":"clone","flags":17"#
            ),
        );
        ev(
            &mut w,
            c,
            r#""kind":"dup","old_fd":4,"new_fd":1,"via":"dup2""#.into(),
        );
        ev(&mut w, c, r#""kind":"close","fd":3"#.into());
        ev(&mut w, 100, r#""kind":"close","fd":4"#.into());
        ev(
            &mut w,
            c,
            r#""kind":"exec","path":"/bin/true","argv":["true"],"ok":true"#.into(),
        );
        ev(&mut w, c, r#""kind":"exit","status":{"exited":0}"#.into());
        ev(&mut w, 100, r#""kind":"close","fd":3"#.into());
        ev(
            &mut w,
            100,
            format!(
                r#""kind":"wait","target":-1,"reaped":{c},"status":{{"exited":0}},"via":"wait4""#
            ),
        );
        k += 1;
    }
}

#[test]
fn a_jump_from_a_checkpoint_gives_the_same_line_as_replaying_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("churn.jsonl");
    churn(&path, 3 * EVERY as u64 + 500);
    let ix = Index::open(&path).unwrap();
    assert!(ix.checkpoints() >= 4, "{}", ix.checkpoints());
    let mut sequential = Vec::new();
    let mut r = Replay::open(&path).unwrap();
    while let Some(s) = r.step().unwrap() {
        sequential.push(crate::render::state::timeline_line(
            Lang::En,
            &r,
            &s,
            &Style::plain(),
        ));
    }
    assert_eq!(sequential.len(), ix.len());
    let mut at = At::default();
    // Backwards, across checkpoints, forwards by one, and far jumps.
    let order = [
        ix.len() - 1,
        3 * EVERY,
        3 * EVERY - 1,
        5,
        6,
        2 * EVERY + 17,
        EVERY + 3,
        0,
    ];
    for i in order {
        let (r, s) = at.goto(&ix, i).unwrap();
        let line = crate::render::state::timeline_line(Lang::En, r, s, &Style::plain());
        assert_eq!(line, sequential[i], "event {i}");
    }
}

#[test]
fn a_checkpoint_stays_as_it_was_while_the_model_it_was_copied_from_goes_on() {
    // Checkpoints share unchanged processes with the live model
    // (model::shared); a write to the live model must never show in them.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("churn.jsonl");
    churn(&path, 2 * EVERY as u64);
    let mut r = Replay::open(&path).unwrap();
    for _ in 0..EVERY {
        r.step().unwrap().expect("an event");
    }
    let copy = r.model.clone();
    let before = format!("{copy:?}");
    while r.step().unwrap().is_some() {}
    assert_eq!(format!("{copy:?}"), before);
    assert_ne!(format!("{:?}", r.model), before);
    // And the copy is the model a fresh replay has at that event.
    let mut fresh = Replay::open(&path).unwrap();
    for _ in 0..EVERY {
        fresh.step().unwrap().expect("an event");
    }
    assert_eq!(format!("{:?}", fresh.model), before);
}

#[test]
fn the_index_marks_the_same_file_events_and_kinds_as_a_full_replay() {
    for name in [
        "sample.jsonl",
        "every-kind.jsonl",
        "handmade-pipeline.jsonl",
        "sh-pipeline.jsonl",
        "redirect.jsonl",
        "hostile.jsonl",
    ] {
        let ix = Index::open(&fixture(name)).expect("a committed trace opens");
        let mut r = Replay::open(&fixture(name)).unwrap();
        let mut i = 0;
        let mut closes = 0;
        while let Some(s) = r.step().unwrap() {
            assert_eq!(ix.seq(i), s.event.seq, "{name} #{i}");
            assert_eq!(ix.pid(i), s.event.pid, "{name} #{i}");
            assert_eq!(ix.kind(i), Some(s.event.kind.name()), "{name} #{i}");
            assert_eq!(
                ix.file_only(i),
                crate::replay::filter::only_about_a_file(&s),
                "{name} #{i}: {:?}",
                s.event
            );
            closes += usize::from(ix.file_only(i) && ix.kind(i) == Some("close"));
            i += 1;
        }
        assert_eq!(i, ix.len(), "{name}");
        if name == "sample.jsonl" {
            assert!(closes > 0, "the sample closes files: the check saw some");
        }
    }
}

#[test]
fn an_index_read_in_the_background_grows_to_the_same_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("churn.jsonl");
    churn(&path, 3 * EVERY as u64 + 500);
    let whole = Index::open(&path).unwrap();
    let mut ix = Index::open_in_background(&path).unwrap();
    assert!(!ix.is_empty());
    while !ix.complete() {
        ix.poll();
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(ix.len(), whole.len());
    assert_eq!(ix.checkpoints(), whole.checkpoints());
    assert!(ix.failed.is_none());
    let mut a = At::default();
    let mut b = At::default();
    for i in [whole.len() - 1, 2 * EVERY + 3, 7] {
        let (ra, sa) = a.goto(&ix, i).unwrap();
        let la = crate::render::state::timeline_line(Lang::En, ra, sa, &Style::plain());
        let (rb, sb) = b.goto(&whole, i).unwrap();
        let lb = crate::render::state::timeline_line(Lang::En, rb, sb, &Style::plain());
        assert_eq!(la, lb, "event {i}");
    }
}
