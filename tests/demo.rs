//! `forkscope demo`: every built-in scenario runs from a plain shell and tells
//! the story it promises; plus `completions` and `man`.

mod common;

use common::*;

fn demo(args: &[&str]) -> (std::process::Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let o = forkscope()
        .args(["--color", "never", "demo", "--out-dir"])
        .arg(dir.path())
        .args(args)
        .output()
        .unwrap();
    (o, dir)
}

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_default_demo_records_ps_aux_piped_into_grep_and_explains_it() {
    let (o, dir) = demo(&[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let t = out(&o);
    for want in [
        "pipe([3, 4])",
        "dup2(4, 1)  — fd 1 now writes into",
        "dup2(3, 0)  — fd 0 now reads from",
        "now runs ps",
        "now runs grep",
        "its reader now sees EOF",
        "The state after #",
        "┌─",
    ] {
        assert!(t.contains(want), "missing {want:?} in:\n{t}");
    }
    // Library and locale files are left out of the teaching timeline.
    assert!(!t.contains("ld.so.cache"), "{t}");
    let page = dir.path().join("pipeline.html");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.len() > 1000 && html.contains("<html"), "a real page");
    assert!(t.contains(&format!("{}#seq=", page.canonicalize().unwrap().display())));
}

#[test]
fn each_scenario_shows_what_it_promises() {
    let cases: &[(&str, &[&str])] = &[
        (
            "zombie",
            &["is a zombie until its parent waits for it", "[zombie]"],
        ),
        ("orphan", &["is orphaned: its parent is gone"]),
        (
            "sigpipe",
            &[
                "a write into it now raises SIGPIPE",
                "+++ killed by SIGPIPE +++",
            ],
        ),
        ("leak", &["sleep  close(1)  — fd 1 (pipe#"]),
        ("exec", &["now runs ls"]),
        ("wait", &["reaps"]),
        ("redirect", &["dup2("]),
    ];
    for (name, wants) in cases {
        let (o, _dir) = demo(&[name]);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let t = out(&o);
        for w in *wants {
            assert!(t.contains(w), "demo {name}: missing {w:?} in:\n{t}");
        }
    }
}

#[test]
fn the_list_names_every_scenario_and_an_unknown_one_is_a_clear_error() {
    let o = forkscope().args(["demo", "--list"]).output().unwrap();
    let t = out(&o);
    for s in forkscope::demo::SCENARIOS {
        assert!(t.contains(s.name) && t.contains(s.script), "{t}");
    }
    let (o, _d) = demo(&["nope"]);
    assert_eq!(o.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no demo called \"nope\""));
}

#[test]
fn completions_and_the_man_page_come_from_the_cli_definition() {
    let o = forkscope().args(["completions", "bash"]).output().unwrap();
    let t = out(&o);
    assert!(t.contains("forkscope") && t.contains("replay") && t.contains("--stall-timeout"));
    let o = forkscope().arg("man").output().unwrap();
    let t = out(&o);
    assert!(
        t.starts_with(".ie") || t.contains(".TH forkscope"),
        "{}",
        &t[..200.min(t.len())]
    );
    assert!(t.contains("record"));

    // A subcommand's own page, with its options.
    let o = forkscope().args(["man", "diagram"]).output().unwrap();
    let t = out(&o);
    assert!(
        t.contains(".TH forkscope-diagram 1"),
        "{}",
        &t[..200.min(t.len())]
    );
    assert!(t.contains("\\-\\-range") && t.contains("\\-\\-collapse\\-files"));
    let o = forkscope().args(["man", "nope"]).output().unwrap();
    assert_eq!(o.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the subcommands are: demo, record"));

    // Every page into a directory, as a package would install them.
    let dir = tempfile::tempdir().unwrap();
    let o = forkscope()
        .args(["man", "--out-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for page in ["forkscope.1", "forkscope-record.1", "forkscope-snapshot.1"] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
}

/// `forkscope demo | head -1` (and the other commands piped into a pager
/// that quits) end quietly, with exit status 0 and no panic.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    // A trace whose timeline is far larger than a pipe's buffer.
    let sample = std::fs::read_to_string(repo().join("fixtures/traces/sh-pipeline.jsonl")).unwrap();
    let mut text = sample.lines().next().unwrap().to_string() + "\n";
    let pid = 4242;
    text += &format!(
        "{{\"seq\":0,\"ts_ns\":0,\"pid\":{pid},\"kind\":\"spawn\",\"argv\":[\"sh\"],\"fds\":[]}}\n"
    );
    for i in 1..=20_000u64 {
        let kind = if i % 2 == 1 {
            r#""kind":"open","fd":3,"path":"/etc/hosts","flags":"O_RDONLY""#
        } else {
            r#""kind":"close","fd":3"#
        };
        text += &format!("{{\"seq\":{i},\"ts_ns\":{i},\"pid\":{pid},{kind}}}\n");
    }
    let trace = dir.path().join("long.jsonl");
    std::fs::write(&trace, text).unwrap();
    for args in [
        vec![
            "demo".to_string(),
            "--out-dir".into(),
            dir.path().display().to_string(),
        ],
        vec!["replay".into(), trace.display().to_string()],
        vec![
            "export".into(),
            "--format".into(),
            "json".into(),
            trace.display().to_string(),
        ],
    ] {
        let mut child = forkscope()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{args:?}: a first line");
        // stdout is closed here: the rest of the output meets a broken pipe.
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// The seq after "The state after #" and the one in the printed link.
fn shown_and_linked(t: &str) -> (u64, u64) {
    let num = |s: &str| -> u64 {
        s.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    };
    let shown = num(t.split("The state after #").nth(1).expect("a state"));
    let linked = num(t.split("#seq=").nth(1).expect("a link"));
    (shown, linked)
}

#[test]
fn each_demos_link_opens_the_step_its_terminal_drawing_shows() {
    for name in ["pipeline", "redirect", "exec", "zombie"] {
        let (o, dir) = demo(&[name]);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let t = out(&o);
        let (shown, linked) = shown_and_linked(&t);
        assert_eq!(shown, linked, "{name}: {t}");
        let page = std::fs::read_to_string(dir.path().join(format!("{name}.html"))).unwrap();
        assert!(
            page.contains(&format!("data-seq=\"{shown}\" data-kind=")),
            "{name}: the page has a step for #{shown}"
        );
        let drawing = t.split("The state after #").nth(1).unwrap();
        match name {
            // The stages are wired: ps writes into the pipe, grep reads it.
            "pipeline" => {
                assert!(drawing.contains("1 -> pipe#"), "{name}: {drawing}");
                assert!(drawing.contains("0 -> pipe#"), "{name}: {drawing}");
            }
            // After 2>&1 1>&3: stderr into the pipe, stdout to fd 3's file.
            // (Whatever the test's own stdout is: fd 1 and fd 3 share one
            // open file, fd 2 is the pipeline's write end.)
            "redirect" => {
                let boxed = drawing.split("┌─ ▶").nth(1).expect("the child's box");
                let boxed = &boxed[..boxed.find('└').unwrap()];
                let row = |fd: &str| {
                    boxed
                        .lines()
                        .find(|l| l.trim_start_matches(['│', ' ', '▶']).starts_with(fd))
                        .unwrap_or_else(|| panic!("fd {fd} in {boxed}"))
                        .to_string()
                };
                let id = |r: &str| {
                    r.split('#')
                        .nth(1)
                        .map(|x| x.split(' ').next().unwrap().to_string())
                };
                assert_eq!(id(&row("1 ->")), id(&row("3 ->")), "{boxed}");
                assert_ne!(id(&row("2 ->")), id(&row("1 ->")), "{boxed}");
                assert!(row("2 ->").contains("write end"), "{boxed}");
            }
            // The exec kept fd 3 from `exec 3</etc/hostname`.
            "exec" => {
                assert!(drawing.contains("3 -> /etc/hostname"), "{name}: {drawing}");
                assert!(drawing.contains(" ls [running]"), "{name}: {drawing}");
            }
            "zombie" => assert!(drawing.contains("[zombie]"), "{name}: {drawing}"),
            _ => unreachable!(),
        }
    }
}
