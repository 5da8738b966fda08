//! `forkscope tree` replays with a model that forgets reaped processes,
//! drawing each line as its process is reaped (render/tree.rs, `Lines`):
//! it prints the same bytes whatever the number of reaped processes the
//! model keeps (`FORKSCOPE_FORGET_WINDOW`). With 0 the model forgets a
//! process as it is reaped, before its line can be drawn, so `tree` falls
//! back to a replay that keeps every process: the bytes of the other
//! windows are compared with those, on a generated trace, on every fixture
//! trace and on a real recording with hundreds of short children.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

/// stdout, stderr and exit code of `forkscope ARGS`, keeping `window`
/// reaped processes.
fn run(window: &str, args: &[&str]) -> (Vec<u8>, Vec<u8>, Option<i32>) {
    let out = common::forkscope()
        .env("FORKSCOPE_FORGET_WINDOW", window)
        .env("LANG", "C")
        .args(args)
        .output()
        .unwrap();
    (out.stdout, out.stderr, out.status.code())
}

/// Writes a trace of a shell that runs `n` pairs of children with pids
/// that come back every 20 pairs: one execs, the other makes a grandchild
/// and sometimes a child that renames itself; the shell reaps the first,
/// most of the second (the rest are reaped when their pid is taken) and
/// some of the orphaned grandchildren; it runs no program of its own until
/// half way. Returns how many processes it has.
fn busy_trace(path: &Path, n: u32) -> usize {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, r#"{{"format":"forkscope-trace","version":1,"argv":["sh","-c","loop"],"start":"2026-12-01T00:00:00Z","start_unix_ns":1795382727678211422,"root_pid":100,"cwd":"/tmp","tracer":"forkscope 0.1.0","kernel":"Linux","arch":"x86_64"}}"#).unwrap();
    let mut seq = 0u64;
    let mut ev = |pid: u32, rest: String| {
        let ts = 1000 + seq * 1700;
        writeln!(f, r#"{{"seq":{seq},"ts_ns":{ts},"pid":{pid},{rest}}}"#).unwrap();
        seq += 1;
    };
    let fork = |child: u32| {
        format!(
            r#""kind":"fork","child":{child},"flavor":"fork","shares_fds":false,"syscall":"clone""#
        )
    };
    let wait = |child: u32| {
        format!(
            r#""kind":"wait","target":-1,"reaped":{child},"status":{{"exited":0}},"via":"wait4""#
        )
    };
    let exit = || r#""kind":"exit","status":{"exited":0}"#.to_string();
    ev(
        100,
        r#""kind":"spawn","argv":["sh","-c","loop"],"fds":[]"#.into(),
    );
    let mut processes = 1;
    for k in 0..n {
        let base = 1000 + 4 * (k % 20);
        let (a, b, g, s) = (base, base + 1, base + 2, base + 3);
        if k == n / 2 {
            ev(
                100,
                r#""kind":"exec","path":"/bin/bash","argv":["bash"],"ok":true"#.into(),
            );
        }
        ev(100, fork(a));
        ev(100, fork(b));
        ev(
            a,
            r#""kind":"exec","path":"/usr/bin/printf","argv":["printf","%s\n","x"],"ok":true"#
                .into(),
        );
        ev(b, fork(g));
        processes += 3;
        if k % 3 == 1 {
            ev(b, fork(s));
            ev(s, r#""kind":"rename","name":"worker""#.into());
            ev(s, exit());
            ev(b, wait(s));
            processes += 1;
        }
        ev(a, exit());
        ev(b, exit());
        ev(g, exit());
        ev(100, wait(a));
        if k % 7 != 0 {
            ev(100, wait(b));
        }
        if k % 2 == 0 {
            ev(100, wait(g));
        }
    }
    processes
}

/// The trace files under fixtures/ (not the facts files beside some).
fn fixture_traces() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut traces = Vec::new();
    for dir in ["traces", "traces/hang", "doctor/traces"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".jsonl") && !name.ends_with(".facts.jsonl") {
                traces.push(p);
            }
        }
    }
    traces.sort();
    traces
}

#[test]
fn tree_prints_the_same_bytes_whatever_the_model_forgets() {
    let dir = std::env::temp_dir().join(format!("forkscope-tree-forget-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let busy = dir.join("busy.jsonl");
    let processes = busy_trace(&busy, 300);
    let mut traces = vec![busy.clone()];
    traces.extend(fixture_traces());
    assert!(traces.len() > 10, "{traces:?}");
    for trace in &traces {
        let t = trace.to_str().unwrap();
        let asks: Vec<Vec<&str>> = vec![
            vec!["tree", t],
            vec!["--lang", "zh", "tree", t],
            vec!["--color", "always", "tree", t],
            vec![
                "--color", "always", "--lang", "zh", "tree", t, "--pid", "100",
            ],
            vec!["tree", t, "--pid", "1001"],
            vec!["tree", t, "--pid", "1003"],
            vec!["tree", t, "--pid", "77777"],
        ];
        for args in &asks {
            let full = run("0", args);
            for window in ["1", "4", "1000000000"] {
                assert!(
                    run(window, args) == full,
                    "forkscope {args:?} with a window of {window} differs from a replay that keeps every process"
                );
            }
        }
    }
    // The busy trace's tree is all there, and `--pid` of a pid it never had fails.
    let (all, _, code) = run("1", &["tree", busy.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let all = String::from_utf8(all).unwrap();
    assert_eq!(all.lines().count(), processes, "{all}");
    assert!(all.contains(" (ps: worker)"), "{all}");
    assert!(all.contains("adopted by 100"), "{all}");
    let (out, err, code) = run("1", &["tree", busy.to_str().unwrap(), "--pid", "77777"]);
    assert!(out.is_empty() && !err.is_empty() && code != Some(0));
    let (one, _, _) = run("1", &["tree", busy.to_str().unwrap(), "--pid", "1001"]);
    let one = String::from_utf8(one).unwrap();
    assert!(
        one.starts_with("1001 ") && one.lines().count() >= 2,
        "the last process with pid 1001 and its child: {one}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tree_of_a_real_recording_is_the_same_whatever_the_model_forgets() {
    let r = common::record(&[
        "sh",
        "-c",
        "i=0; while [ $i -lt 150 ]; do (sleep 0 &); /bin/true | cat >/dev/null; i=$((i+1)); done; sleep 0.1 & wait",
    ]);
    assert!(r.count("wait") > 300, "the trace reaps many processes");
    let trace = r.trace.to_str().unwrap();
    let root = r.header.root_pid.to_string();
    for args in [
        vec!["tree", trace],
        vec!["--lang", "zh", "--color", "always", "tree", trace],
        vec!["tree", trace, "--pid", &root],
    ] {
        let full = run("0", &args);
        assert_eq!(full.2, Some(0), "{args:?}");
        assert!(
            String::from_utf8_lossy(&full.0).lines().count() > 450,
            "{args:?}"
        );
        for window in ["1", "1024"] {
            assert!(
                run(window, &args) == full,
                "forkscope {args:?} with a window of {window} differs from a replay that keeps every process"
            );
        }
    }
}
