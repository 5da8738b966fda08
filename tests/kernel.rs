//! The kernel view (`diagram --view kernel`): fd tables -> open file table
//! -> files, ttys and pipes, as the textbook draws them; the change marks
//! every drawing carries; the moment drawn by default; terminal width,
//! `--ascii-plain` and pipe colours; the README's picture.

mod common;

use common::*;
use forkscope::cli::SeqRange;
use forkscope::render::kernel::{self, Layout};
use forkscope::render::scene::{Scene, SceneOptions};
use forkscope::render::steps::{key_moment, scene_after, KeyMoment};
use forkscope::render::{ascii, svg};
use std::path::{Path, PathBuf};

fn trace(name: &str) -> PathBuf {
    repo().join("fixtures/traces").join(name)
}

fn scene(name: &str, seq: u64) -> Scene {
    scene_after(&trace(name), seq, &SceneOptions::default()).unwrap()
}

fn plain(s: &Scene) -> String {
    ascii::render_kernel(
        s,
        ascii::Opts {
            color: false,
            width: ascii::WIDTH,
            plain: false,
        },
    )
}

/// redirect.jsonl: `exec 3>&1; ls ... 2>&1 1>&3 | tr a-z A-Z`. #32 is the
/// ls child's `dup2(3, 1)`, its last redirection before it execs ls.
const REDIRECT_DONE: u64 = 32;
const LS: i32 = 7041;
/// sh-pipeline.jsonl: #7 is sh's first fork.
const SH_FORK: u64 = 7;
/// handmade-pipeline.jsonl: #9 the writer's dup2(4, 1); #17 the reader's
/// last close before it execs tr.
const HANDMADE_DUP2: u64 = 9;
const HANDMADE_WIRED: u64 = 17;

// ---- what the kernel view says ----

#[test]
fn after_2_to_1_then_1_to_3_stderr_goes_into_the_pipe_and_stdout_to_the_terminal() {
    let s = scene("redirect.jsonl", REDIRECT_DONE);
    let holder = |fd: i32| {
        s.open_files
            .iter()
            .find(|o| o.holders.contains(&(LS, fd)))
            .unwrap_or_else(|| panic!("fd {fd} of {LS} in {:?}", s.open_files))
    };
    // 2>&1 made fd 2 the pipe's write end (fd 1 was then); 1>&3 then made
    // fd 1 the terminal again: the opposite of what `1>&3 2>&1` does.
    assert_eq!(holder(2).object, "pipe#1");
    assert_eq!(holder(2).access, "write");
    assert_eq!(holder(1).object, "/dev/pts/0");
    // fd 1 and fd 3 are two arrows into one open file.
    assert_eq!(holder(1).id, holder(3).id);
    assert!(holder(1).refcount >= 2);
    insta::assert_snapshot!("kernel_ascii_redirect_done", plain(&s));
}

#[test]
fn after_a_fork_every_open_file_has_one_more_holder() {
    let before = scene("sh-pipeline.jsonl", SH_FORK - 1);
    let after = scene("sh-pipeline.jsonl", SH_FORK);
    for o in &after.open_files {
        let was = before.open_files.iter().find(|b| b.id == o.id).unwrap();
        assert_eq!(o.refcount, was.refcount * 2, "{o:?}");
        assert_eq!(o.holders.len(), was.holders.len() * 2, "{o:?}");
    }
    let child = after.processes.iter().find(|p| p.new).expect("a new child");
    assert!(after.processes.iter().filter(|p| p.new).count() == 1);
    assert_ne!(child.pid, after.processes[0].pid);
    insta::assert_snapshot!("kernel_ascii_sh_fork", plain(&after));
}

#[test]
fn a_wired_pipeline_shows_each_end_as_one_open_file_with_its_holders() {
    let s = scene("handmade-pipeline.jsonl", HANDMADE_WIRED);
    let ends: Vec<_> = s.open_files.iter().filter(|o| o.pipe.is_some()).collect();
    assert_eq!(ends.len(), 2, "{ends:?}");
    let w = ends.iter().find(|o| o.access == "write").unwrap();
    let r = ends.iter().find(|o| o.access == "read").unwrap();
    // Only echo's stdout writes, only tr's stdin reads: everyone else closed.
    assert_eq!(w.holders.len(), 1, "{w:?}");
    assert_eq!(w.holders[0].1, 1);
    assert_eq!(r.holders.len(), 1, "{r:?}");
    assert_eq!(r.holders[0].1, 0);
    insta::assert_snapshot!("kernel_ascii_handmade_wired", plain(&s));
}

#[test]
fn the_kernel_svg_names_mode_refcount_shared_offset_and_the_pipe_mouths() {
    let svg = kernel::render(&scene("sh-pipeline.jsonl", SH_FORK));
    for want in [
        "open file table (kernel)",
        "refcount 6",
        "read/write",
        "write end",
        "read end",
        "2 writers \u{b7} 2 readers",
        "class=\"fs-tube",
        "class=\"fs-newb\"",
    ] {
        assert!(svg.contains(want), "{want} in the kernel svg");
    }
    // cloexec is the fd's: drawn in the fd table, not on the open file.
    let svg = kernel::render(&scene("redirect.jsonl", REDIRECT_DONE));
    let cloexec = svg.find(">cloexec<").expect("a cloexec fd");
    let first_open_file = svg.find("class=\"fs-ofile\"").unwrap();
    assert!(cloexec < first_open_file);
    // A file opened O_APPEND says so (the flags come from the open event).
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let r = record(&[
        "sh",
        "-c",
        &format!("exec 4>>{}; echo hi >&4", log.display()),
    ]);
    let seq = r
        .events
        .iter()
        .rev()
        .find(|e| matches!(e.kind, forkscope::trace::EventKind::Open { .. }))
        .unwrap()
        .seq;
    let s = scene_after(&r.trace, seq, &SceneOptions::default()).unwrap();
    let o = s
        .open_files
        .iter()
        .find(|o| o.object.ends_with("/log"))
        .expect("the log");
    assert!(o.append && !o.nonblock, "{o:?}");
    assert!(kernel::render(&s).contains("O_APPEND"));
}

#[test]
fn the_kernel_view_speaks_chinese() {
    let zh = SceneOptions {
        lang: forkscope::words::Lang::Zh,
        ..SceneOptions::default()
    };
    let s = scene_after(&trace("sh-pipeline.jsonl"), SH_FORK, &zh).unwrap();
    let text = plain(&s);
    let svg = kernel::render(&s);
    for want in ["系统打开文件表", "引用计数 6", "读写", "写端", "读端"] {
        assert!(svg.contains(want), "{want} in the svg");
    }
    assert!(
        text.contains("引用计数 6") && text.contains("终端"),
        "{text}"
    );
    assert!(svg.contains("Noto Sans CJK SC") && svg.contains("Microsoft YaHei"));
}

// ---- geometry ----

/// No two boxes overlap and no arrow passes through a box it does not join.
fn assert_clean(l: &Layout, what: &str) {
    for (i, a) in l.rects.iter().enumerate() {
        for b in &l.rects[i + 1..] {
            assert!(!a.overlaps(b), "{what}: {a:?} overlaps {b:?}");
        }
    }
    for e in &l.edges {
        for k in 1..100 {
            let (x, y) = e.at(k as f64 / 100.0);
            for (i, r) in l.rects.iter().enumerate() {
                if i != e.from && i != e.to {
                    assert!(
                        !r.contains(x, y),
                        "{what}: the arrow {} -> {} passes through {}",
                        l.rects[e.from].what,
                        l.rects[e.to].what,
                        r.what
                    );
                }
            }
        }
    }
}

fn every_step(path: &Path) -> Vec<Scene> {
    let h = forkscope::render::steps::html_steps(
        path,
        &SceneOptions::default(),
        Some(SeqRange::default()),
    )
    .unwrap();
    h.steps.into_iter().map(|s| s.scene).collect()
}

#[test]
fn kernel_layouts_of_every_step_of_every_committed_trace_have_no_overlaps_or_crossings() {
    for name in [
        "redirect.jsonl",
        "sh-pipeline.jsonl",
        "handmade-pipeline.jsonl",
        "sample.jsonl",
        "attached.jsonl",
    ] {
        for s in every_step(&trace(name)) {
            let seq = s.event.as_ref().unwrap().seq;
            let l = kernel::layout(&s, 0.0);
            assert_clean(&l, &format!("{name} #{seq}"));
            // Every drawn fd has its arrow, every open file its object.
            let fds: usize = s.processes.iter().map(|p| p.fds.len()).sum();
            assert_eq!(l.edges.len(), fds + s.open_files.len(), "{name} #{seq}");
        }
    }
}

#[test]
fn a_fifteen_process_pipeline_lays_out_without_overlaps_or_crossings() {
    // The first stage sleeps so that every stage is alive at once (a bare
    // `echo a` may exit before sh has forked the last stage).
    let script = format!("(sleep 1; echo a){} | tr a b", " | cat".repeat(13));
    let r = record(&["sh", "-c", &script]);
    assert!(r.out.status.success(), "{}", r.stderr());
    let k = key_moment(&r.trace).unwrap();
    let s = scene_after(&r.trace, k.seq(), &SceneOptions::default()).unwrap();
    assert!(s.processes.len() >= 15, "{} processes", s.processes.len());
    assert_clean(&kernel::layout(&s, 0.0), "15 processes");
    for s in every_step(&r.trace) {
        assert_clean(&kernel::layout(&s, 0.0), "15 processes, a step");
    }
}

// ---- change marks ----

#[test]
fn a_dup2_leaves_a_ghost_of_what_the_fd_was_and_marks_the_fd_new() {
    let s = scene("handmade-pipeline.jsonl", HANDMADE_DUP2);
    let writer = s.processes.iter().find(|p| !p.ghosts.is_empty()).unwrap();
    assert_eq!(writer.ghosts, vec![(1, "/dev/pts/0".to_string())]);
    let fd1 = writer.fds.iter().find(|f| f.fd == 1).unwrap();
    assert!(fd1.new && fd1.label.contains("pipe#1"));
    assert_eq!(
        s.processes
            .iter()
            .flat_map(|p| &p.fds)
            .filter(|f| f.new)
            .count(),
        1,
        "only fd 1 is new"
    );
    for drawing in [svg::render(&s), kernel::render(&s)] {
        assert!(drawing.contains("was /dev/pts/0"), "the ghost is drawn");
        assert!(drawing.contains("fs-ghost"));
    }
    assert!(ascii::render(&s, false).contains("x 1 -/ was /dev/pts/0"));
}

#[test]
fn a_close_leaves_a_ghost_and_an_exit_shows_every_fd_it_closed() {
    // sh-pipeline #12: the writer child closes its spare write end (fd 4).
    let s = scene("sh-pipeline.jsonl", 12);
    let ghosts: Vec<_> = s.processes.iter().flat_map(|p| &p.ghosts).collect();
    assert_eq!(ghosts, vec![&(4, "pipe#1 write end".to_string())]);
    // #13: it exits; its three fds go, one of them the pipe's last writer.
    let s = scene("sh-pipeline.jsonl", 13);
    let z = s.processes.iter().find(|p| p.state == "zombie").unwrap();
    assert_eq!(z.ghosts.len(), 3, "{:?}", z.ghosts);
    assert!(z.ghosts.contains(&(1, "pipe#1 write end".to_string())));
}

#[test]
fn before_draws_the_moment_before_and_after_side_by_side() {
    let o = forkscope()
        .args(["diagram", "--format", "svg", "--before", "--at"])
        .arg(HANDMADE_DUP2.to_string())
        .arg(trace("handmade-pipeline.jsonl"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = String::from_utf8(o.stdout).unwrap();
    assert!(svg.contains(">before #9<") && svg.contains(">after #9<"));
    // Two drawings nested in one: before, fd 1 is the terminal; after, a ghost.
    assert_eq!(svg.matches("<svg ").count(), 3);
    let (before, after) = svg.split_at(svg.find(">after #9<").unwrap());
    let after = &after[after.find("<svg ").unwrap()..];
    let before = &before[before.rfind("<svg ").unwrap()..];
    assert!(!before.contains("was /dev/pts/0"));
    assert!(after.contains("was /dev/pts/0"));
    let o = forkscope()
        .args(["diagram", "--view", "kernel", "--before", "--at", "9"])
        .arg(trace("handmade-pipeline.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("== before #9 ==") && text.contains("== after #9 =="));
}

// ---- the moment drawn by default ----

#[test]
fn the_default_moment_is_what_the_scenario_is_about() {
    assert_eq!(
        key_moment(&trace("redirect.jsonl")).unwrap(),
        KeyMoment::Wired { seq: REDIRECT_DONE }
    );
    assert_eq!(
        key_moment(&trace("handmade-pipeline.jsonl")).unwrap(),
        KeyMoment::Wired {
            seq: HANDMADE_WIRED
        }
    );
    // A child its parent never waits for: drawn while it is a zombie.
    let r = record(&["sh", "-c", "sleep 0.05 & exec sleep 0.3"]);
    let k = key_moment(&r.trace).unwrap();
    let KeyMoment::Zombie { seq } = k else {
        panic!("{k:?}")
    };
    let s = scene_after(&r.trace, seq, &SceneOptions::default()).unwrap();
    assert!(s.processes.iter().any(|p| p.state == "zombie"), "{s:?}");
    // `exec 3<file; exec ls`: after the exec, fd 3 is still there.
    let r = record(&["sh", "-c", "exec 3</etc/hostname; exec true"]);
    let k = key_moment(&r.trace).unwrap();
    let KeyMoment::Exec { seq } = k else {
        panic!("{k:?}")
    };
    let s = scene_after(&r.trace, seq, &SceneOptions::default()).unwrap();
    assert_eq!(s.processes[0].program, "true");
    assert!(s.processes[0]
        .fds
        .iter()
        .any(|f| f.fd == 3 && f.label == "/etc/hostname"));
}

// ---- the terminal ----

#[test]
fn ascii_honours_columns_and_plain_mode_is_pure_ascii() {
    for view in ["compact", "kernel"] {
        let o = forkscope()
            .env("COLUMNS", "60")
            .args(["diagram", "--view", view, "--at", "9"])
            .arg(trace("handmade-pipeline.jsonl"))
            .output()
            .unwrap();
        let text = String::from_utf8(o.stdout).unwrap();
        for l in text.lines() {
            assert!(ascii::width(l) <= 60, "{view}: {l:?} is wider than 60");
        }
        let o = forkscope()
            .args(["diagram", "--ascii-plain", "--view", view, "--at", "9"])
            .arg(trace("handmade-pipeline.jsonl"))
            .output()
            .unwrap();
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.len() > 200);
        assert!(text.is_ascii(), "{view}: {text}");
    }
}

#[test]
fn each_pipe_gets_its_own_colour_when_colour_is_on() {
    let o = forkscope()
        .args(["--color", "always", "diagram", "--at", "7"])
        .arg(trace("sample.jsonl"))
        .output()
        .unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    let colour_of = |name: &str| {
        let i = text.find(&format!("m{name}\x1b[39m")).unwrap();
        let start = text[..i].rfind("\x1b[").unwrap();
        text[start..i].to_string()
    };
    assert_ne!(colour_of("pipe#1"), colour_of("pipe#2"));
}

// ---- the README's picture ----

/// How docs/img/kernel-redirect.svg is made (README, "The kernel view").
fn readme_picture() -> String {
    let o = forkscope()
        .args(["diagram", "--view", "kernel", "--format", "svg", "--at"])
        .arg(REDIRECT_DONE.to_string())
        .arg("fixtures/traces/redirect.jsonl")
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn the_readme_picture_of_the_kernel_view_is_up_to_date() {
    let path = repo().join("docs/img/kernel-redirect.svg");
    let want = readme_picture();
    if std::env::var_os("FORKSCOPE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/img/kernel-redirect.svg is stale: FORKSCOPE_UPDATE_DOCS=1 cargo test --test kernel the_readme_picture"
    );
}
