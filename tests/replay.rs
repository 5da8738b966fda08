//! `forkscope replay` and `forkscope tree` on committed traces (no ptrace)
//! and on fresh recordings of real programs (`--verify` must find the model
//! faithful to the kernel).

mod common;

use common::*;
use std::path::Path;
use std::process::Output;

fn run(args: &[&str]) -> Output {
    forkscope()
        .args(["--color", "never"])
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const HANDMADE: &str = "fixtures/traces/handmade-pipeline.jsonl";
const SH: &str = "fixtures/traces/sh-pipeline.jsonl";

fn at_repo(p: &str) -> String {
    repo().join(p).display().to_string()
}

#[test]
fn the_timeline_of_a_hand_built_pipeline_tells_the_story() {
    let o = run(&["replay", &at_repo(HANDMADE)]);
    assert!(o.status.success());
    insta::assert_snapshot!("timeline_handmade_pipeline", text(&o));
}

#[test]
fn the_timeline_says_when_a_reader_sees_eof() {
    let t = text(&run(&["replay", &at_repo(SH)]));
    let eof = t
        .lines()
        .find(|l| l.contains("reader now sees EOF"))
        .expect("a line saying the last write end closed");
    // In `sh -c 'echo hello | tr a-z A-Z'` the last write end to close is the
    // echo subshell's fd 1, when it exits.
    assert!(eof.contains("ends (exit 0)"), "{eof}");
}

/// `record -p` of a running tree: the processes keep their parents, the
/// thread's events land in its process, and the story says they were
/// already running.
#[test]
fn an_attached_trace_replays_as_one_tree_with_its_threads() {
    const ATTACHED: &str = "fixtures/traces/attached.jsonl";
    let verify = run(&["replay", "--verify", &at_repo(ATTACHED)]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let v = text(&verify);
    assert!(v.contains("0 divergences; 0 anomalies"), "{v}");

    // python3 23498 [2 threads] -> sh 23541 -> sleep 23542 | cat 23543.
    let tree = text(&run(&["tree", &at_repo(ATTACHED)]));
    let lines: Vec<&str> = tree.lines().collect();
    assert!(lines[0].starts_with("23498  [2 threads]"), "{tree}");
    assert!(lines[1].starts_with("└─ 23541 "), "{tree}");
    assert!(lines[2].starts_with("   ├─ 23542 "), "{tree}");
    assert!(lines[3].starts_with("   └─ 23543 "), "{tree}");

    let t = text(&run(&["replay", &at_repo(ATTACHED)]));
    assert!(
        t.contains("23498 was already running (attached), with 3 fds open; its other thread 23540 shares its fd table"),
        "{t}"
    );
    assert!(
        t.contains("23543 was already running (attached), a child of 23541, with 3 fds open"),
        "{t}"
    );
    // The thread's dup is named by its process's program and acts on
    // python3's own fd 1.
    assert!(
        t.lines().any(
            |l| l.contains("23540 python3  fcntl(1, F_DUPFD_CLOEXEC) = 3")
                && l.contains("same open file as fd 1")
        ),
        "{t}"
    );
    let zh = forkscope()
        .args([
            "--color",
            "never",
            "--lang",
            "zh",
            "replay",
            &at_repo(ATTACHED),
        ])
        .output()
        .unwrap();
    assert!(
        text(&zh).contains("23543 早已在运行（forkscope 中途附加），是 23541 的子进程"),
        "{}",
        text(&zh)
    );
}

#[test]
fn range_shows_only_the_events_between_two_seqs() {
    let t = text(&run(&["replay", "--range", "5..9", &at_repo(SH)]));
    let seqs: Vec<&str> = t
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(seqs, ["#5", "#6", "#7", "#8", "#9"], "{t}");
    let open_ended = text(&run(&["replay", "--range", "..2", &at_repo(SH)]));
    assert_eq!(open_ended.lines().count(), 3, "{open_ended}");
    let bad = run(&["replay", "--range", "9..5", &at_repo(SH)]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("starts after it ends"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

/// Paths and argv from a trace reach the terminal escaped: an escape
/// sequence cannot drive it and a newline cannot fake a line of output.
#[test]
fn names_from_the_trace_cannot_drive_the_terminal_or_fake_lines() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "/tmp/a\u{1b}]0;pwned\u{7}\u{1b}[2J\nno findings\u{202e}";
    let header = std::fs::read_to_string(at_repo(SH)).unwrap();
    let mut header: serde_json::Value =
        serde_json::from_str(header.lines().next().unwrap()).unwrap();
    header["argv"] = serde_json::json!([evil, "-c", evil]);
    header["root_pid"] = 900.into();
    let events = [
        serde_json::json!({"seq": 0, "ts_ns": 1, "pid": 900, "kind": "spawn", "argv": [evil, "-c", evil],
            "fds": [{"fd": 0, "target": evil}, {"fd": 1, "target": "/dev/null"}]}),
        serde_json::json!({"seq": 1, "ts_ns": 2, "pid": 900, "kind": "open", "fd": 3, "path": evil, "flags": "O_RDONLY"}),
        serde_json::json!({"seq": 2, "ts_ns": 3, "pid": 900, "kind": "dup", "old_fd": 3, "new_fd": 1, "via": "dup2"}),
        serde_json::json!({"seq": 3, "ts_ns": 4, "pid": 900, "kind": "fork", "child": 901, "flavor": "fork", "shares_fds": false, "syscall": "clone", "flags": 0}),
        serde_json::json!({"seq": 4, "ts_ns": 5, "pid": 901, "kind": "exec", "path": evil, "argv": [evil, evil], "ok": true}),
        serde_json::json!({"seq": 5, "ts_ns": 6, "pid": 901, "kind": "exit", "status": {"exited": 0}}),
    ];
    let mut lines = serde_json::to_string(&header).unwrap() + "\n";
    for e in events {
        lines += &serde_json::to_string(&e).unwrap();
        lines.push('\n');
    }
    let trace = dir.path().join("evil.jsonl");
    std::fs::write(&trace, lines).unwrap();
    let trace = trace.display().to_string();

    let clean = |what: &str, out: &str| {
        assert!(
            !out.chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "{what} lets a control character through:\n{out:?}"
        );
        assert!(
            !out.lines().any(|l| l.starts_with("no findings")),
            "{what}: a faked line\n{out}"
        );
    };
    let timeline = text(&run(&["replay", &trace]));
    clean("replay", &timeline);
    assert_eq!(
        timeline.lines().count(),
        6,
        "one line per event:\n{timeline}"
    );
    assert!(
        timeline.contains("\\x1b]0;pwned\\x07\\x1b[2J\\nno findings"),
        "{timeline}"
    );
    for args in [
        vec!["replay", "--at", "4"],
        vec!["tree"],
        vec!["diagram", "--at", "4"],
        vec!["doctor"],
    ] {
        let mut a = args.clone();
        a.push(&trace);
        let o = run(&a);
        clean(&args.join(" "), &text(&o));
        clean(&args.join(" "), &String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn filters_select_a_subtree_and_kinds() {
    let all = text(&run(&["replay", &at_repo(SH)]));
    let root = all
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    let only_dups = text(&run(&["replay", &at_repo(SH), "--kind", "dup"]));
    assert!(only_dups.lines().count() >= 2);
    assert!(
        only_dups.lines().all(|l| l.contains("dup2(")),
        "{only_dups}"
    );
    let just_root = text(&run(&[
        "replay",
        &at_repo(SH),
        "--pid",
        &root,
        "--no-descendants",
    ]));
    assert!(just_root
        .lines()
        .all(|l| l.split_whitespace().nth(1) == Some(root.as_str())));
    let with_kids = text(&run(&["replay", &at_repo(SH), "--pid", &root]));
    assert_eq!(with_kids, all, "the root's subtree is everything");
    let bad = run(&["replay", &at_repo(SH), "--kind", "teleport"]);
    assert_eq!(bad.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown event kind \"teleport\""));
}

#[test]
fn json_output_is_the_event_stream_itself() {
    let o = run(&["replay", &at_repo(SH), "--json", "--kind", "pipe"]);
    let lines: Vec<serde_json::Value> = text(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["kind"], "pipe");
}

#[test]
fn the_state_at_a_moment_lists_fd_tables_and_pipe_holders() {
    // Find the seq of the writer child's dup2 onto fd 1.
    let o = run(&["replay", &at_repo(HANDMADE), "--json", "--kind", "dup"]);
    let dup1 = text(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["new_fd"] == 1)
        .unwrap();
    let seq = dup1["seq"].as_u64().unwrap().to_string();
    let writer = dup1["pid"].as_i64().unwrap();
    let s = text(&run(&["replay", &at_repo(HANDMADE), "--at", &seq]));
    insta::assert_snapshot!("state_after_writer_dup2", s);
    assert!(s.contains(&format!("{writer} fd 1")), "{s}");
    let past = run(&["replay", &at_repo(HANDMADE), "--at", "999999"]);
    assert_eq!(past.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&past.stderr).contains("the last one is #"));
}

#[test]
fn verify_finds_the_committed_traces_faithful() {
    for t in [HANDMADE, SH, "fixtures/traces/sample.jsonl"] {
        let o = run(&["replay", &at_repo(t), "--verify"]);
        assert_eq!(o.status.code(), Some(0), "{t}: {}", text(&o));
        assert!(text(&o).contains(" 0 divergences"), "{}", text(&o));
    }
}

fn doctored(src: &str, dir: &Path, edit: impl Fn(&str) -> String) -> String {
    let text = std::fs::read_to_string(repo().join(src)).unwrap();
    let out = dir.join("doctored.jsonl");
    std::fs::write(&out, edit(&text)).unwrap();
    out.display().to_string()
}

#[test]
fn verify_names_seq_pid_and_fd_of_a_divergence_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    // Claim the kernel saw fd 7 open in tr after its exec.
    let t = doctored(SH, dir.path(), |s| {
        s.lines()
            .map(|l| {
                if l.contains(r#""kind":"exec""#) && l.contains(r#""argv":["tr""#) {
                    l.replace(r#""fds":["#, r#""fds":[{"fd":7,"target":"/etc/passwd"},"#)
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    });
    let o = run(&["replay", &t, "--verify"]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("divergence"))
        .expect(&out);
    assert!(
        line.contains("fd 7") && line.contains("kernel has /etc/passwd"),
        "{line}"
    );
    assert!(line.contains("(tr)"), "{line}");
}

#[test]
fn a_cut_short_trace_replays_with_a_warning_and_a_broken_one_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let cut = doctored(SH, dir.path(), |s| s[..s.len() - 20].to_string());
    let o = run(&["replay", &cut]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cut short"));
    let broken = doctored(SH, dir.path(), |s| {
        let mut l: Vec<&str> = s.lines().collect();
        l[5] = "{oops";
        l.join("\n") + "\n"
    });
    let o = run(&["replay", &broken]);
    assert_eq!(o.status.code(), Some(125));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 6") && err.contains("doctored.jsonl"),
        "{err}"
    );
    let o = run(&["replay", "/nonexistent/trace.jsonl"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/trace.jsonl"));
}

#[test]
fn the_tree_shows_exec_chains_lifetimes_and_zombie_time() {
    let o = run(&["tree", &at_repo(HANDMADE)]);
    let t = text(&o);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 3, "{t}");
    assert!(lines[0].contains("pipe_fork_exec") && lines[0].contains("exit 0"));
    assert!(lines[1].starts_with("├─ ") && lines[1].contains("pipe_fork_exec → echo hello"));
    assert!(lines[2].starts_with("└─ ") && lines[2].contains("pipe_fork_exec → tr a-z A-Z"));
    assert!(lines[1].contains("zombie") && lines[1].contains("reaped by"));
}

#[test]
fn real_programs_replay_with_no_divergence_from_the_kernel() {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new("cp")
        .args(["-r"])
        .arg(repo().join("fixtures/cproject"))
        .arg(dir.path())
        .status()
        .unwrap();
    let proj = dir.path().join("cproject");
    let workloads: Vec<Vec<String>> = vec![
        vec![
            "sh".into(),
            "-c".into(),
            "ps aux | grep -c ps >/dev/null".into(),
        ],
        vec![
            "bash".into(),
            "-c".into(),
            "seq 100 | sort -r | head -3 >/dev/null; (sleep 0.01 &) ; wait".into(),
        ],
        vec![
            "make".into(),
            "-s".into(),
            "-j2".into(),
            "-C".into(),
            proj.display().to_string(),
        ],
        vec![
            "/usr/bin/python3".into(),
            "-c".into(),
            "import subprocess; subprocess.run(['sh','-c','echo a | cat'], capture_output=True)"
                .into(),
        ],
        vec![
            "sh".into(),
            "-c".into(),
            "seq 20 | xargs -P2 -n1 echo >/dev/null".into(),
        ],
        vec![fixture("thread_exec").display().to_string()],
        vec![fixture("many_children").display().to_string(), "200".into()],
        vec![fixture("group_stop").display().to_string()],
    ];
    for w in workloads {
        let r = record(&w);
        let o = run(&["replay", &r.trace.display().to_string(), "--verify"]);
        assert_eq!(o.status.code(), Some(0), "{w:?}:\n{}", text(&o));
    }
}
