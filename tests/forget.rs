//! Replays that forget reaped processes (model/forget.rs) print the same
//! bytes as replays that keep every process, on a real recording with
//! hundreds of short children, pipes, orphans and background jobs.

mod common;
use common::*;

/// Runs forkscope with `args`, keeping `window` reaped processes; stdout.
fn run(window: &str, args: &[&str]) -> Vec<u8> {
    let out = forkscope()
        .env("FORKSCOPE_FORGET_WINDOW", window)
        .env("LANG", "C")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "forkscope {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn forgetting_reaped_processes_changes_no_byte_of_any_output() {
    let r = record(&[
        "sh",
        "-c",
        "i=0; while [ $i -lt 150 ]; do (sleep 0 &); /bin/true | cat >/dev/null; i=$((i+1)); done; sleep 0.1 & wait",
    ]);
    assert!(r.count("wait") > 300, "the trace reaps many processes");
    let trace = r.trace.to_str().unwrap();
    let last = r.events.last().unwrap().seq.to_string();
    let middle = (r.events.len() / 2).to_string();
    let html = r.trace.with_extension("html");
    let html = html.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["replay", trace],
        vec!["replay", trace, "--at", &last],
        vec!["replay", trace, "--at", &middle, "--json"],
        vec!["replay", trace, "--verify"],
        vec!["doctor", trace],
        vec!["doctor", trace, "--json"],
        vec!["diagram", trace],
        vec!["diagram", trace, "--at", &middle],
        vec!["diagram", trace, "--at", &last, "-f", "svg"],
        vec!["diagram", trace, "--at", &last, "-f", "dot"],
        vec!["export", trace, "-f", "json"],
        vec!["export", trace, "-f", "perfetto"],
    ];
    for args in &commands {
        // 1: only the reaped process of the latest wait is kept.
        let lean = run("1", args);
        let full = run("1000000000", args);
        assert!(!full.is_empty(), "{args:?} printed nothing");
        assert!(
            lean == full,
            "{args:?} differ when reaped processes are forgotten"
        );
    }
    for window in ["1", "1000000000"] {
        run(window, &["diagram", trace, "-f", "html", "-o", html]);
        let page = std::fs::read(html).unwrap();
        std::fs::remove_file(html).unwrap();
        if window == "1" {
            std::fs::write(format!("{html}.lean"), page).unwrap();
        } else {
            assert!(
                std::fs::read(format!("{html}.lean")).unwrap() == page,
                "the HTML page differs when reaped processes are forgotten"
            );
        }
    }
}
