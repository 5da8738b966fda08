//! `forkscope diagram` on the committed traces (no ptrace): snapshots of the
//! ascii, DOT and Mermaid drawings at moments that tell the pipeline's
//! story, reviewed against the trace; Graphviz accepts every DOT drawing;
//! strings from the trace can neither break nor inject into any format; and
//! the command line picks, names and checks the moment it draws.

use forkscope::render::scene::{
    EventInfo, FdRow, PipeNode, PipeRef, ProcBox, Scene, SceneOptions, SharedFile, Warning,
};
use forkscope::render::steps::{busiest, scene_after, Busiest};
use forkscope::render::{ascii, dot, mermaid};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const HANDMADE: &str = "fixtures/traces/handmade-pipeline.jsonl";
const SH: &str = "fixtures/traces/sh-pipeline.jsonl";

fn trace(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn scene(name: &str, seq: u64) -> Scene {
    scene_with(name, seq, &SceneOptions::default())
}

fn scene_with(name: &str, seq: u64, opts: &SceneOptions) -> Scene {
    scene_after(&trace(name), seq, opts).unwrap()
}

fn last_seq(name: &str) -> u64 {
    let text = std::fs::read_to_string(trace(name)).unwrap();
    let last = text.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    v["seq"].as_u64().unwrap()
}

/// The moments the snapshots draw. Handmade pipeline: #9 the writer child's
/// `dup2(4, 1)` (also the default moment), #18 the reader child's exec of
/// `tr` (the pipeline in place); sh pipeline: #7 the first fork (the default
/// moment), #12 the writer child closing its spare write end.
const HANDMADE_DUP2: u64 = 9;
const HANDMADE_TR_EXEC: u64 = 18;
/// The reader child's last close before it execs tr: both stages wired.
const HANDMADE_WIRED: u64 = 17;
const SH_FIRST_FORK: u64 = 7;
const SH_WRITER_CLOSES: u64 = 12;

// ---- what the drawings say ----

#[test]
fn the_default_moment_is_the_step_holding_the_most_pipe_ends() {
    // After the writer's dup2 (#9) three processes hold both ends and the
    // writer holds the write end twice (fd 1 and fd 4): 7 ends.
    assert_eq!(
        busiest(&trace(HANDMADE)).unwrap(),
        Busiest::PipeEnds { seq: 9, ends: 7 }
    );
    // sh: after its first fork (#7) sh and the child each hold both ends.
    assert_eq!(
        busiest(&trace(SH)).unwrap(),
        Busiest::PipeEnds { seq: 7, ends: 4 }
    );
}

#[test]
fn ascii_after_the_writers_dup2_shows_fd_1_on_the_pipe_and_the_parent_holding_both_ends() {
    let s = ascii::render(&scene(HANDMADE, HANDMADE_DUP2), false);
    insta::assert_snapshot!("ascii_handmade_after_writer_dup2", s);
}

#[test]
fn ascii_after_the_readers_exec_shows_echo_writing_into_tr() {
    let s = ascii::render(&scene(HANDMADE, HANDMADE_TR_EXEC), false);
    insta::assert_snapshot!("ascii_handmade_after_tr_exec", s);
}

#[test]
fn ascii_of_the_final_state_shows_the_root_as_a_zombie_without_pipes() {
    let s = ascii::render(&scene(HANDMADE, last_seq(HANDMADE)), false);
    insta::assert_snapshot!("ascii_handmade_final", s);
}

#[test]
fn ascii_of_the_sh_pipeline_follows_the_first_fork_and_the_writers_close() {
    insta::assert_snapshot!(
        "ascii_sh_after_first_fork",
        ascii::render(&scene(SH, SH_FIRST_FORK), false)
    );
    insta::assert_snapshot!(
        "ascii_sh_after_writer_closes",
        ascii::render(&scene(SH, SH_WRITER_CLOSES), false)
    );
}

#[test]
fn ascii_can_leave_out_close_on_exec_fds_and_regular_files() {
    // #19: tr has just opened /etc/ld.so.cache with O_CLOEXEC as fd 3.
    let all = ascii::render(&scene(HANDMADE, 19), false);
    assert!(all.contains("3 -> /etc/ld.so.cache"), "{all}");
    assert!(all.contains("cloexec"), "{all}");
    for opts in [
        SceneOptions {
            hide_cloexec: true,
            ..Default::default()
        },
        SceneOptions {
            collapse_files: true,
            ..Default::default()
        },
    ] {
        let s = ascii::render(&scene_with(HANDMADE, 19, &opts), false);
        assert!(!s.contains("3 -> /etc/ld.so.cache"), "{s}");
        assert!(s.contains("… 1 fd not shown"), "{s}");
    }
}

#[test]
fn a_subtree_still_shows_who_outside_it_holds_its_pipes() {
    // After #18 tr (18578) reads pipe#1 written by echo (18577), its
    // sibling: drawing only tr's subtree must not claim the pipe has no
    // writer left.
    let sc = scene(HANDMADE, HANDMADE_TR_EXEC);
    let writer = sc.processes[1].pid;
    let reader = sc.processes[2].pid;
    assert_eq!(sc.pipes[0].writers, vec![(writer, 1)]);
    let opts = SceneOptions {
        pid: Some(reader),
        ..Default::default()
    };
    let sub = scene_with(HANDMADE, HANDMADE_TR_EXEC, &opts);
    assert_eq!(sub.processes.len(), 1);
    assert_eq!(sub.pipes[0].writers, vec![(writer, 1)]);
    assert_eq!(sub.pipes[0].readers, vec![(reader, 0)]);
    let a = ascii::render(&sub, false);
    assert!(!a.contains("no writer left"), "{a}");
    assert!(a.contains(&format!("not drawn here: {writer}")), "{a}");
    let d = dot::render(&sub);
    assert!(d.contains(&format!("out{writer} -> pipe0")), "{d}");
    assert_graphviz_accepts(&d);
    let m = mermaid::render(&sub);
    assert!(
        m.contains(&format!("out{writer} -->|\"fd 1 write\"| pipe0")),
        "{m}"
    );
}

#[test]
fn ascii_colours_only_when_asked() {
    let sc = scene(HANDMADE, HANDMADE_DUP2);
    assert!(!ascii::render(&sc, false).contains('\x1b'));
    let coloured = ascii::render(&sc, true);
    assert!(coloured.contains("\x1b["), "{coloured}");
}

#[test]
fn ascii_lines_stay_within_the_width() {
    for (name, seq) in [(HANDMADE, HANDMADE_DUP2), (SH, SH_FIRST_FORK)] {
        for l in ascii::render(&scene(name, seq), false).lines() {
            assert!(l.chars().count() <= ascii::WIDTH, "{l}");
        }
    }
    // A deep tree of processes with very long paths.
    let long = format!("/very/long/{}/file.txt", "directory-name".repeat(12));
    let mut sc = Scene {
        title: "deep".into(),
        ..Default::default()
    };
    for depth in 0..8 {
        let mut p = proc_box(1000 + depth as i32, &"prog".repeat(20));
        p.depth = depth;
        p.parent = (depth > 0).then_some(999 + depth as i32);
        p.fds.push(fd_row(3, &long));
        sc.processes.push(p);
    }
    let s = ascii::render(&sc, false);
    for l in s.lines() {
        assert!(l.chars().count() <= ascii::WIDTH, "{l}");
    }
    assert!(s.contains('…'), "long labels are cut: {s}");
}

#[test]
fn dot_after_the_writers_dup2_wires_fd_1_into_the_pipe() {
    insta::assert_snapshot!(
        "dot_handmade_after_writer_dup2",
        dot::render(&scene(HANDMADE, HANDMADE_DUP2))
    );
}

#[test]
fn dot_of_the_sh_pipeline_after_the_writer_closes_has_one_writer_and_two_readers() {
    insta::assert_snapshot!(
        "dot_sh_after_writer_closes",
        dot::render(&scene(SH, SH_WRITER_CLOSES))
    );
}

#[test]
fn mermaid_after_the_writers_dup2_wires_fd_1_into_the_pipe() {
    insta::assert_snapshot!(
        "mermaid_handmade_after_writer_dup2",
        mermaid::render(&scene(HANDMADE, HANDMADE_DUP2))
    );
}

#[test]
fn mermaid_of_the_sh_pipeline_after_the_writer_closes_has_one_writer_and_two_readers() {
    insta::assert_snapshot!(
        "mermaid_sh_after_writer_closes",
        mermaid::render(&scene(SH, SH_WRITER_CLOSES))
    );
}

// ---- Graphviz accepts the DOT ----

/// Runs `dot -Tsvg` on `src`; `None` when dot is not installed (allowed only
/// outside CI).
fn graphviz(src: &str) -> Option<Output> {
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            assert!(
                !ci,
                "Graphviz `dot` is missing, and CI is set: .ci/run installs graphviz"
            );
            eprintln!("note: Graphviz `dot` is not installed; not checking the DOT output");
            return None;
        }
        Err(e) => panic!("cannot run dot: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(src.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

fn assert_graphviz_accepts(src: &str) {
    if let Some(o) = graphviz(src) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "dot failed: {err}\n{src}");
        assert!(
            !err.contains("Warning") && !err.contains("Error"),
            "dot complained: {err}\n{src}"
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains("<svg"));
    }
}

#[test]
fn graphviz_accepts_the_dot_of_every_moment_of_both_traces() {
    for name in [HANDMADE, SH] {
        for seq in 0..=last_seq(name) {
            assert_graphviz_accepts(&dot::render(&scene(name, seq)));
        }
    }
}

// ---- strings from the trace stay text ----

const EVIL: &str =
    "/tmp/<script>alert(1)</script> \"q\" ]x[ a&b %%{init: {}}%% #1;\nnext\x1b[31m\u{202e}`md`";

fn proc_box(pid: i32, program: &str) -> ProcBox {
    ProcBox {
        pid,
        parent: None,
        depth: 0,
        program: program.into(),
        chain: vec![program.into()],
        state: "running",
        threads: 0,
        fds: Vec::new(),
        hidden_files: 0,
        highlight: false,
        new: false,
        ghosts: Vec::new(),
    }
}

fn fd_row(fd: i32, label: &str) -> FdRow {
    FdRow {
        fd,
        cloexec: false,
        label: label.into(),
        kind: "file",
        pipe: None,
        open_file: "#7".into(),
        refcount: 1,
        highlight: false,
        new: false,
    }
}

/// A scene where every string a trace can carry is hostile.
fn evil_scene() -> Scene {
    let mut parent = proc_box(100, EVIL);
    parent.chain = vec!["sh".into(), EVIL.into()];
    parent.highlight = true;
    let mut f = fd_row(3, EVIL);
    f.refcount = 2;
    f.cloexec = true;
    f.highlight = true;
    parent.fds.push(f);
    let mut w = fd_row(4, &format!("fifo {EVIL} (pipe#1) write end"));
    w.kind = "fifo";
    w.pipe = Some(PipeRef {
        number: 1,
        end: "write",
    });
    parent.fds.push(w);
    let mut child = proc_box(101, "cat");
    child.parent = Some(100);
    child.depth = 1;
    child.state = "zombie";
    child.fds.push(fd_row(3, EVIL));
    let mut r = fd_row(0, &format!("fifo {EVIL} (pipe#1) read end"));
    r.kind = "fifo";
    r.pipe = Some(PipeRef {
        number: 1,
        end: "read",
    });
    child.fds.push(r);
    Scene {
        title: format!("sh -c {EVIL}"),
        event: Some(EventInfo {
            seq: 5,
            pid: 100,
            call: format!("open({EVIL:?}, O_RDONLY) = 3"),
            sentence: Some(format!("fd 3 now refers to {EVIL}")),
        }),
        processes: vec![parent, child],
        pipes: vec![PipeNode {
            number: 1,
            label: EVIL.into(),
            origin: "fifo",
            readers: vec![(101, 0)],
            writers: vec![(100, 4)],
            unknown: vec![(101, 9)],
        }],
        shared: vec![SharedFile {
            id: "#7".into(),
            label: EVIL.into(),
            holders: vec![(100, 3), (101, 3)],
        }],
        warnings: vec![
            Warning {
                pid: 100,
                fd: Some(3),
                text: format!("{EVIL} is odd"),
            },
            Warning {
                pid: 101,
                fd: None,
                text: "101 is a zombie".into(),
            },
        ],
        open_files: Vec::new(),
        lang: Default::default(),
    }
}

#[test]
fn hostile_paths_and_argv_cannot_break_or_inject_into_dot() {
    let d = dot::render(&evil_scene());
    assert!(!d.contains("<script>"), "{d}");
    assert!(!d.contains("\"q\""), "{d}");
    assert!(!d.contains('\x1b') && !d.contains('\u{202e}'), "{d}");
    assert!(d.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{d}");
    assert!(d.contains("a&amp;b"), "{d}");
    assert_graphviz_accepts(&d);
}

/// The lines of the configuration Mermaid drawings start with (fixed text).
const FRONTMATTER: &[&str] = &[
    "---",
    "config:",
    "  flowchart:",
    "    curve: linear",
    "    wrappingWidth: 480",
];

#[test]
fn hostile_paths_and_argv_cannot_break_or_inject_into_mermaid() {
    let m = mermaid::render(&evil_scene());
    assert!(!m.contains("<script>"), "{m}");
    assert!(!m.contains("%%{"), "no directive can be smuggled in: {m}");
    assert!(!m.contains('\x1b') && !m.contains('\u{202e}') && !m.contains('`'));
    // Inside labels a double quote, `#`, `<` and `&` only appear as codes.
    for l in m.lines() {
        let t = l.trim_start();
        if t.starts_with("%%")
            || t.starts_with("classDef")
            || t.starts_with("linkStyle")
            || FRONTMATTER.contains(&l)
        {
            continue;
        }
        assert_eq!(t.matches('"').count() % 2, 0, "quotes pair up: {l}");
        for (i, _) in t.match_indices('#') {
            let code = &t[i + 1..];
            let end = code.find(';').unwrap_or_else(|| panic!("bare # in {l}"));
            assert!(code[..end].chars().all(|c| c.is_ascii_digit()), "{l}");
        }
    }
    assert!(m.contains("#60;script#62;"), "{m}");
    // Every line is one statement: the newline in the path stayed an escape.
    assert!(m.lines().all(|l| l.is_empty()
        || l.starts_with("flowchart")
        || l.starts_with("  ")
        || FRONTMATTER.contains(&l)));
}

#[test]
fn hostile_paths_and_argv_stay_on_their_line_in_ascii() {
    let a = ascii::render(&evil_scene(), false);
    assert!(!a.contains('\x1b') && !a.contains('\u{202e}'), "{a}");
    assert!(a.contains("\\n"), "{a}");
    // Each fd row stays one row: no line starts with the text after the newline.
    assert!(!a.lines().any(|l| l.starts_with("next")), "{a}");
}

/// A small hand-written trace whose argv and paths are hostile: sh runs a
/// program with such a name, opens such a file, makes a pipe and forks.
fn evil_trace(dir: &Path) -> PathBuf {
    let evil = format!("{EVIL} |p|");
    let events = [
        serde_json::json!({"seq": 0, "ts_ns": 1, "pid": 100, "kind": "spawn", "argv": ["sh"],
            "fds": [{"fd": 0, "target": "/dev/pts/0", "flags": "O_RDWR"},
                    {"fd": 1, "target": "/dev/pts/0", "flags": "O_RDWR", "same_as": 0}]}),
        serde_json::json!({"seq": 1, "ts_ns": 2, "pid": 100, "kind": "exec", "path": evil,
            "argv": [evil, evil], "ok": true}),
        serde_json::json!({"seq": 2, "ts_ns": 3, "pid": 100, "kind": "open", "fd": 3,
            "path": evil, "flags": "O_RDONLY"}),
        serde_json::json!({"seq": 3, "ts_ns": 4, "pid": 100, "kind": "pipe", "read_fd": 4,
            "write_fd": 5, "pipe_id": 77}),
        serde_json::json!({"seq": 4, "ts_ns": 5, "pid": 100, "kind": "fork", "child": 101,
            "flavor": "fork", "shares_fds": false, "syscall": "clone", "flags": 17}),
    ];
    write_trace(dir, "evil.jsonl", &["sh", "-c", &evil], &events)
}

/// Writes a hand-made trace (header for `argv`, root pid 100) into `dir`.
fn write_trace(dir: &Path, name: &str, argv: &[&str], events: &[serde_json::Value]) -> PathBuf {
    let header = serde_json::json!({
        "format": "forkscope-trace", "version": 1, "argv": argv,
        "start": "2026-11-22T21:41:27.902347031Z", "start_unix_ns": 1, "root_pid": 100,
        "cwd": "/tmp", "tracer": "forkscope 0.1.0", "kernel": "Linux", "arch": "x86_64"
    });
    let mut text = format!("{header}\n");
    for e in events {
        text.push_str(&format!("{e}\n"));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_trace_without_pipes_defaults_to_the_moment_the_most_tasks_were_alive() {
    let dir = tempfile::tempdir().unwrap();
    let spawn = serde_json::json!({"seq": 0, "ts_ns": 1, "pid": 100, "kind": "spawn",
        "argv": ["sh"], "fds": []});
    let fork = |seq: u64, child: i32| {
        serde_json::json!({"seq": seq, "ts_ns": seq + 1, "pid": 100, "kind": "fork",
            "child": child, "flavor": "fork", "shares_fds": false, "syscall": "clone",
            "flags": 17})
    };
    let exit = |seq: u64, pid: i32| {
        serde_json::json!({"seq": seq, "ts_ns": seq + 1, "pid": pid, "kind": "exit",
            "status": {"exited": 0}})
    };
    // Each child is reaped (zombies their parent never waits for would be
    // the moment to draw instead).
    let reap = |seq: u64, child: i32| {
        serde_json::json!({"seq": seq, "ts_ns": seq + 1, "pid": 100, "kind": "wait",
            "target": -1, "reaped": child, "status": {"exited": 0}, "via": "wait4"})
    };
    let events = [
        spawn,
        fork(1, 101),
        fork(2, 102),
        exit(3, 101),
        reap(4, 101),
        fork(5, 103),
        exit(6, 102),
        reap(7, 102),
    ];
    let t = write_trace(dir.path(), "nopipes.jsonl", &["sh"], &events);
    // Three tasks after #2 and again after #5: the earliest wins.
    assert_eq!(busiest(&t).unwrap(), Busiest::Tasks { seq: 2, tasks: 3 });
    let o = forkscope(&["diagram", t.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("after #2 (no pipe was ever open: the moment the most tasks were alive)"),
        "{err}"
    );
}

#[test]
fn a_pipe_inherited_from_outside_the_trace_is_flagged_as_possibly_held_elsewhere() {
    // `producer | forkscope record -- cat`: cat's stdin is a pipe whose
    // writer the trace never sees.
    let dir = tempfile::tempdir().unwrap();
    let events = [
        serde_json::json!({"seq": 0, "ts_ns": 1, "pid": 100, "kind": "spawn", "argv": ["cat"],
            "fds": [{"fd": 0, "target": "pipe:[55]", "flags": "O_RDONLY"},
                    {"fd": 1, "target": "/dev/pts/0", "flags": "O_RDWR"}]}),
        serde_json::json!({"seq": 1, "ts_ns": 2, "pid": 100, "kind": "exec",
            "path": "/usr/bin/cat", "argv": ["cat"], "ok": true}),
    ];
    let t = write_trace(dir.path(), "inherited.jsonl", &["cat"], &events);
    let sc = scene_after(&t, 1, &SceneOptions::default()).unwrap();
    assert_eq!(sc.pipes.len(), 1);
    assert!(sc.pipes[0].writers.is_empty());
    let a = ascii::render(&sc, false);
    assert!(
        a.contains("no writer in the trace (a process outside it may still hold one)"),
        "{a}"
    );
    assert!(
        a.contains(
            "pipe#1 was inherited from outside the trace: untraced processes may hold more of its ends"
        ),
        "{a}"
    );
    assert_graphviz_accepts(&dot::render(&sc));
}

#[test]
fn a_trace_with_hostile_argv_and_paths_draws_safely_in_every_text_format() {
    let dir = tempfile::tempdir().unwrap();
    let t = evil_trace(dir.path());
    let sc = scene_after(&t, 4, &SceneOptions::default()).unwrap();
    assert!(
        sc.title.contains("<script>"),
        "the scene keeps the raw text"
    );
    let d = dot::render(&sc);
    assert!(!d.contains("<script>"), "{d}");
    assert_graphviz_accepts(&d);
    let m = mermaid::render(&sc);
    assert!(!m.contains("<script>") && !m.contains("%%{"), "{m}");
    let a = ascii::render(&sc, false);
    assert!(!a.contains('\x1b') && !a.contains('\u{202e}'), "{a}");
    for l in a.lines() {
        assert!(l.chars().count() <= ascii::WIDTH, "{l}");
    }
}

// ---- the command line ----

fn forkscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_forkscope"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("COLUMNS")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_command_draws_a_box_per_process_and_names_the_moment_it_chose() {
    let o = forkscope(&["--color", "never", "diagram", HANDMADE]);
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let sc = scene(HANDMADE, HANDMADE_WIRED);
    assert_eq!(sc.processes.len(), 3);
    assert_eq!(out.matches("┌─ ").count(), 3, "{out}");
    for p in &sc.processes {
        let head = format!(" {} {} [running] ", p.pid, p.program);
        assert!(out.contains(&head), "{head} in {out}");
    }
    assert!(
        err.contains("forkscope: drawing the state after #17 (the last redirection before the programs exec: every fd is in place); use --at SEQ for another"),
        "{err}"
    );
    assert_eq!(
        out,
        ascii::render(&scene(HANDMADE, HANDMADE_WIRED), false),
        "the command draws what the renderer draws"
    );
}

#[test]
fn at_beyond_the_end_fails_naming_the_last_seq() {
    let o = forkscope(&["diagram", HANDMADE, "--at", "999999"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    let last = last_seq(HANDMADE);
    assert!(err.contains(&format!("its last event is #{last}")), "{err}");
    assert!(err.contains("999999"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn a_missing_trace_is_an_error_naming_the_file() {
    let o = forkscope(&["diagram", "no/such/trace.jsonl"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("no/such/trace.jsonl"), "{err}");
}

#[test]
fn a_damaged_trace_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "this is not a trace\n").unwrap();
    let o = forkscope(&["diagram", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("bad.jsonl"), "{err}");
}

#[test]
fn output_to_a_file_is_never_coloured_and_is_announced() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.txt");
    let o = forkscope(&[
        "--color",
        "always",
        "diagram",
        HANDMADE,
        "--at",
        "9",
        "-o",
        file.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(o.stdout.is_empty());
    assert!(
        err.contains(&format!("forkscope: wrote {}", file.display())),
        "{err}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains('\x1b'), "{text}");
    assert_eq!(text, ascii::render(&scene(HANDMADE, 9), false));
}

#[test]
fn every_format_is_written_by_the_command() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["ascii", "dot", "mermaid", "svg", "html"] {
        let file = dir.path().join(format!("d.{format}"));
        let o = forkscope(&[
            "diagram",
            SH,
            "--format",
            format,
            "-o",
            file.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{format}: {err}");
        assert!(file.exists(), "{format}");
    }
    let d = std::fs::read_to_string(dir.path().join("d.dot")).unwrap();
    assert!(d.starts_with("digraph forkscope {"), "{d}");
    let m = std::fs::read_to_string(dir.path().join("d.mermaid")).unwrap();
    assert!(m.contains("\n---\nflowchart TB\n"), "{m}");
}

#[test]
fn a_long_path_cut_to_fit_keeps_its_end_in_dot_mermaid_and_the_kernel_view() {
    // hostile.jsonl #13: 900's fd 7 is a memfd whose name (with escapes,
    // about 100 columns) ends in " (deleted)": every drawing cuts it in
    // the middle, so the end that says what it is stays.
    let sc = scene("fixtures/traces/hostile.jsonl", 13);
    let memfd = sc
        .processes
        .iter()
        .flat_map(|p| &p.fds)
        .find(|f| f.fd == 7 && f.label.starts_with("/memfd:"));
    let memfd = memfd.expect("900's fd 7 is drawn");
    assert!(
        memfd.label.chars().count() > 80,
        "the name is long enough to be cut"
    );
    let drawings = [
        ("dot", dot::render(&sc)),
        ("mermaid", mermaid::render(&sc)),
        ("kernel", forkscope::render::kernel::render(&sc)),
    ];
    for (format, d) in &drawings {
        let cut = d
            .lines()
            .flat_map(|l| l.split(['<', '>', '"']))
            .find(|piece| piece.contains("/memfd:") && piece.contains('…'));
        let cut = cut.unwrap_or_else(|| panic!("{format}: the memfd's name is not cut:\n{d}"));
        assert!(
            cut.ends_with("(deleted)") || cut.contains("(deleted) "),
            "{format}: {cut}"
        );
    }
}
