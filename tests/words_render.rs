//! Golden snapshots of every word the replay side shows a reader, in English
//! and Chinese, made before issue 11 moved those words into `src/words/`:
//! every committed trace in fixtures/traces through `replay` (the timeline,
//! with durations, the state at a few moments, `--verify`, `--json`),
//! `tree`, `diagram` in every format and view, and `export` (Perfetto and
//! the normalized JSON). `every-kind.jsonl` holds each event kind at least
//! once, so every sentence of the timeline is here; `hostile.jsonl` carries
//! escapes, bidi overrides, newlines, bytes that are not UTF-8 and `<>&"'`
//! in argv and paths, through every format.
//!
//! A change to a `.snap` file here is a change of what users read: it is
//! made only in a commit that names the bug it fixes.

mod common;

use common::*;

const LANGS: [&str; 2] = ["en", "zh"];

/// What one command shows: its stdout, then its stderr and exit code when
/// it has them (an error is worded too).
fn shown(lang: &str, args: &[&str]) -> String {
    let mut c = forkscope();
    for v in ["LC_ALL", "LC_MESSAGES", "LANG", "NO_COLOR"] {
        c.env_remove(v);
    }
    let o = c
        .current_dir(repo())
        .args(["--color", "never", "--lang", lang])
        .args(args)
        .output()
        .unwrap();
    let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
    if !o.stderr.is_empty() {
        s.push_str("\n--- stderr ---\n");
        s.push_str(&String::from_utf8_lossy(&o.stderr));
    }
    if !o.status.success() {
        s.push_str(&format!("\n--- exit {:?} ---\n", o.status.code()));
    }
    s
}

fn trace(name: &str) -> String {
    format!("fixtures/traces/{name}.jsonl")
}

/// The number of events in a committed trace.
fn events(name: &str) -> usize {
    std::fs::read_to_string(repo().join(trace(name)))
        .unwrap()
        .lines()
        .count()
        - 1
}

/// Snapshots `args` (the trace is appended) in both languages, named
/// `NAME__WHAT__LANG`.
fn snap(name: &str, what: &str, args: &[&str]) {
    let t = trace(name);
    for lang in LANGS {
        let mut a = args.to_vec();
        a.push(&t);
        insta::assert_snapshot!(format!("{name}__{what}__{lang}"), shown(lang, &a));
    }
}

/// The views every trace goes through.
fn every_view(name: &str) {
    let n = events(name);
    snap(name, "replay", &["replay"]);
    snap(name, "replay_durations", &["replay", "--durations"]);
    snap(name, "replay_json", &["replay", "--json"]);
    snap(name, "replay_verify", &["replay", "--verify"]);
    for at in [n / 3, 2 * n / 3, n - 1] {
        let a = at.to_string();
        snap(name, &format!("replay_at_{at}"), &["replay", "--at", &a]);
    }
    let mid = (n / 2).to_string();
    snap(
        name,
        &format!("replay_at_{mid}_json"),
        &["replay", "--at", &mid, "--json"],
    );
    snap(name, "tree", &["tree"]);
    snap(name, "diagram_ascii", &["diagram"]);
    snap(
        name,
        &format!("diagram_ascii_at_{mid}"),
        &["diagram", "--at", &mid],
    );
    snap(
        name,
        "diagram_kernel_ascii",
        &["diagram", "--view", "kernel"],
    );
    snap(name, "diagram_dot", &["diagram", "-f", "dot"]);
    snap(name, "diagram_mermaid", &["diagram", "-f", "mermaid"]);
    snap(name, "diagram_svg", &["diagram", "-f", "svg"]);
    snap(name, "export_json", &["export", "-f", "json"]);
    snap(name, "export_perfetto", &["export", "-f", "perfetto"]);
}

#[test]
fn the_hand_built_pipeline_reads_as_before_in_every_view() {
    let name = "handmade-pipeline";
    every_view(name);
    snap(
        name,
        "diagram_kernel_svg",
        &["diagram", "--view", "kernel", "-f", "svg"],
    );
    snap(name, "diagram_before_ascii", &["diagram", "--before"]);
    snap(
        name,
        "diagram_before_svg",
        &["diagram", "--before", "-f", "svg"],
    );
    snap(name, "diagram_ascii_plain", &["diagram", "--ascii-plain"]);
    snap(
        name,
        "diagram_html_range",
        &["diagram", "-f", "html", "--range", "3..5"],
    );
}

#[test]
fn the_sh_pipeline_reads_as_before_in_every_view() {
    every_view("sh-pipeline");
    snap(
        "sh-pipeline",
        "diagram_kernel_before_svg",
        &["diagram", "--view", "kernel", "--before", "-f", "svg"],
    );
}

#[test]
fn the_attached_recording_reads_as_before_in_every_view() {
    every_view("attached");
}

#[test]
fn the_redirect_demo_reads_as_before_in_every_view() {
    every_view("redirect");
    snap(
        "redirect",
        "diagram_kernel_before_ascii",
        &["diagram", "--view", "kernel", "--before"],
    );
}

#[test]
fn the_sample_trace_reads_as_before_in_every_view() {
    let name = "sample";
    every_view(name);
    snap(
        name,
        "diagram_collapsed_ascii",
        &["diagram", "--collapse-files", "--hide-cloexec"],
    );
    snap(
        name,
        "replay_plumbing_only",
        &["replay", "--collapse-files", "--failed"],
    );
}

#[test]
fn every_event_kind_reads_as_before_in_every_view() {
    let name = "every-kind";
    every_view(name);
    for at in ["24", "44", "52"] {
        snap(
            name,
            &format!("diagram_kernel_ascii_at_{at}"),
            &["diagram", "--view", "kernel", "--at", at],
        );
        snap(
            name,
            &format!("diagram_mermaid_at_{at}"),
            &["diagram", "-f", "mermaid", "--at", at],
        );
    }
}

#[test]
fn a_hostile_trace_reads_as_before_in_every_format() {
    let name = "hostile";
    every_view(name);
    snap(
        name,
        "diagram_kernel_svg",
        &["diagram", "--view", "kernel", "-f", "svg"],
    );
    snap(name, "diagram_ascii_plain", &["diagram", "--ascii-plain"]);
    snap(
        name,
        "diagram_html_range",
        &["diagram", "-f", "html", "--range", "9..11"],
    );
}
