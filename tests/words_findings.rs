//! Golden text of every finding, as `forkscope doctor` shows it: English,
//! Chinese (`--lang zh`) and `--json`, on committed traces (recorded once
//! from fixtures/doctor/*.c and a few shell one-liners, see
//! fixtures/doctor/README.md, so pids and times are stable), plus a
//! hand-made hostile trace whose program names and paths carry escapes,
//! bidi controls, tabs and newlines. Together they cover every finding
//! code. The snapshots change only with a commit that says why.

mod common;

use common::*;

/// Every committed trace, by file name under fixtures/doctor/traces/.
const TRACES: &[&str] = &[
    "reader_holds_write_end",
    "parent_keeps_write_end",
    "leak_into_exec",
    "zombie",
    "orphan",
    "sigpipe",
    "never_reaped",
    "wait_stopped",
    "hang_reader_holds_write_end",
    "leak_demo",
    "bash_process_substitution",
    "yes_head",
    "hostile",
];

/// `forkscope [--lang L] doctor ARGS TRACE`, run from the repository root
/// (so `--json` names the trace by its relative path): exit status and stdout.
fn doctor(lang: &str, args: &[&str], name: &str) -> (i32, String) {
    let trace = format!("fixtures/doctor/traces/{name}.jsonl");
    let out = forkscope()
        .current_dir(repo())
        .args(["--lang", lang, "doctor", "--color", "never"])
        .args(args)
        .arg(&trace)
        .output()
        .unwrap();
    let code = out.status.code().expect("doctor exited by signal");
    assert!(
        code == 0 || code == 1,
        "doctor failed on {trace}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, String::from_utf8(out.stdout).unwrap())
}

fn snapshot(lang: &str, args: &[&str], suffix: &str) {
    for name in TRACES {
        let (code, text) = doctor(lang, args, name);
        insta::assert_snapshot!(format!("{name}_{suffix}"), format!("exit {code}\n{text}"));
    }
}

#[test]
fn every_finding_reads_the_same_in_english() {
    snapshot("en", &[], "en");
}

#[test]
fn every_finding_reads_the_same_in_chinese() {
    snapshot("zh", &[], "zh");
}

#[test]
fn every_finding_has_the_same_json() {
    snapshot("en", &["--json"], "json");
}

#[test]
fn the_json_does_not_depend_on_the_language() {
    for name in TRACES {
        assert_eq!(
            doctor("en", &["--json"], name),
            doctor("zh", &["--json"], name),
            "{name}"
        );
    }
}

#[test]
fn the_committed_traces_cover_every_finding_code() {
    let mut seen = std::collections::BTreeSet::new();
    for name in TRACES {
        let (_, json) = doctor("en", &["--json"], name);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        for f in v["findings"].as_array().unwrap() {
            seen.insert(f["code"].as_str().unwrap().to_string());
        }
    }
    let all: std::collections::BTreeSet<String> = forkscope::analysis::Code::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(seen, all);
}
