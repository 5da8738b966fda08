//! The step-through page `forkscope diagram -f html` writes while it
//! replays (`steps::html_page`: the replay on one thread, the drawings and
//! the page on two others, the events after the page's last step only read
//! and counted) is byte for byte the page made from every step applied
//! (`steps::html_steps` + `html::page_with`), with the same counts, errors
//! and warnings, on a real traced program longer than a page.

mod common;

use common::{forkscope, record};
use forkscope::render::html::page_with;
use forkscope::render::scene::SceneOptions;
use forkscope::render::steps::{html_page, html_steps, MAX_STEPS};
use forkscope::replay::filter::SeqRange;
use forkscope::trace::{EventKind, Pid};
use forkscope::words::Lang;
use std::path::Path;
use std::process::Command;

/// A shell loop of pipelines and subshells: thousands of events (more than
/// a page holds), forks within forks, pipes, dup2s, execs, waits.
const LOOP: &str = "for i in $(seq 1 12); do echo $i | (cat; true) | wc -c; done";

/// The page, its counts and whether it was cut, both ways: while replaying,
/// and from every step applied.
fn both(trace: &Path, opts: &SceneOptions, range: Option<SeqRange>, kernel: bool) {
    let streamed = html_page(trace, opts, range, kernel).unwrap();
    let all = html_steps(trace, opts, range).unwrap();
    let what = format!(
        "pid {:?}, files collapsed {}, range {range:?}, kernel {kernel}",
        opts.pid, opts.collapse_files
    );
    assert_eq!(streamed.steps, all.steps.len(), "{what}");
    assert_eq!(streamed.qualified, all.qualified, "{what}");
    assert_eq!(streamed.first, all.steps[0].seq, "{what}");
    assert_eq!(streamed.last, all.steps.last().unwrap().seq, "{what}");
    assert_eq!(
        streamed.capped().is_some(),
        all.steps.len() < all.qualified,
        "{what}"
    );
    let made = page_with(opts.lang, &all.title, &all.steps, kernel);
    assert!(streamed.page == made, "{what}: the pages differ");
}

#[test]
fn a_long_traced_loop_gets_the_same_page_whether_written_while_replaying_or_from_all_its_steps() {
    let untraced = Command::new("sh").args(["-c", LOOP]).output().unwrap();
    let r = record(&["sh", "-c", LOOP]);
    // The traced loop printed what the untraced one did.
    assert_eq!(r.out.status.code(), untraced.status.code());
    assert_eq!(r.out.stdout, untraced.stdout);
    let verify = forkscope()
        .args(["replay", "--verify"])
        .arg(&r.trace)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(r.events.len() > MAX_STEPS, "only {} events", r.events.len());
    // A subshell of one iteration far into the loop (it forks `cat`), and
    // the first child of the shell.
    let forks: Vec<Pid> = r
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Fork { child, .. } => Some(child),
            _ => None,
        })
        .collect();
    let late = forks[forks.len() * 3 / 4];
    let opts = |pid: Option<Pid>, collapse_files: bool, lang: Lang| SceneOptions {
        pid,
        collapse_files,
        hide_cloexec: false,
        lang,
    };
    let r_pid = r.header.root_pid;
    for (o, range, kernel) in [
        (opts(None, false, Lang::En), None, false),
        (opts(None, true, Lang::Zh), None, true),
        (opts(Some(r_pid), false, Lang::En), None, false),
        (opts(Some(forks[0]), false, Lang::Zh), None, true),
        (opts(Some(late), true, Lang::En), None, false),
        (
            opts(None, false, Lang::En),
            Some("300..900".parse().unwrap()),
            false,
        ),
        (
            opts(None, true, Lang::En),
            Some("..".parse().unwrap()),
            true,
        ),
    ] {
        both(&r.trace, &o, range, kernel);
    }
    // The page the command writes is that page.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.html");
    let run = forkscope()
        .args(["diagram", "-f", "html", "--view", "kernel", "-o"])
        .arg(&out)
        .arg(&r.trace)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let all = html_steps(&r.trace, &opts(None, false, Lang::En), None).unwrap();
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page == page_with(Lang::En, &all.title, &all.steps, true));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "the first {MAX_STEPS} of {} steps",
            r.events.len()
        )),
        "{stderr}"
    );
}

#[test]
fn a_damaged_line_after_the_pages_last_step_is_still_an_error_and_a_cut_tail_still_a_warning() {
    let r = record(&["sh", "-c", LOOP]);
    let text = std::fs::read_to_string(&r.trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > MAX_STEPS + 100);
    let dir = tempfile::tempdir().unwrap();
    let opts = SceneOptions::default();
    // A malformed line well after the page's last step: an error naming it,
    // from the command and from both ways of making the page.
    let n = lines.len() - 50;
    let mut bad = lines.clone();
    bad[n - 1] = "{\"seq\":";
    let bad_path = dir.path().join("bad.jsonl");
    std::fs::write(&bad_path, bad.join("\n") + "\n").unwrap();
    let streamed = html_page(&bad_path, &opts, None, false).err().unwrap();
    let all = html_steps(&bad_path, &opts, None).err().unwrap();
    assert_eq!(format!("{streamed:#}"), format!("{all:#}"));
    assert!(
        format!("{streamed:#}").contains(&format!("line {n}")),
        "{streamed:#}"
    );
    let run = forkscope()
        .args(["diagram", "-f", "html", "-o"])
        .arg(dir.path().join("bad.html"))
        .arg(&bad_path)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(125));
    assert!(!dir.path().join("bad.html").exists());
    // The last line cut short: the page of the events before it, and a
    // warning naming the line.
    let cut_path = dir.path().join("cut.jsonl");
    std::fs::write(&cut_path, &text[..text.len() - 10]).unwrap();
    let run = forkscope()
        .args(["diagram", "-f", "html", "-o"])
        .arg(dir.path().join("cut.html"))
        .arg(&cut_path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("line {} is cut short", lines.len())),
        "{stderr}"
    );
    let qualified = lines.len() - 2;
    assert!(
        stderr.contains(&format!("the first {MAX_STEPS} of {qualified} steps")),
        "{stderr}"
    );
    let cut = html_page(&cut_path, &opts, None, false).unwrap();
    let whole = html_page(&r.trace, &opts, None, false).unwrap();
    // The page holds the first steps only, which the cut does not touch.
    assert!(cut.page == whole.page);
    assert_eq!(cut.qualified + 1, whole.qualified);
}
