//! `export --format json` is written by hand (render/json_stream.rs), on two
//! threads (cli/export.rs). Its bytes must be exactly those of the
//! reference writer, which builds a `serde_json::Value` per event
//! (`export_json_reference`): checked here on real recordings (pipelines,
//! a forking shell loop, make, programs that fail, signal and rename
//! themselves) whose argv and paths hold quotes, backslashes, control
//! characters, bytes that are not UTF-8 and Chinese text, in English and
//! in Chinese.

mod common;

use common::*;
use forkscope::cli::export::{export, export_json_reference};
use forkscope::cli::ExportFormat;
use forkscope::words::Lang;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The fast export and the reference, in `lang`.
fn both(trace: &Path, lang: Lang) -> (Vec<u8>, Vec<u8>) {
    let fast = export(trace, ExportFormat::Json, lang, Vec::new()).unwrap();
    let reference = export_json_reference(trace, lang, Vec::new()).unwrap();
    (fast, reference)
}

/// Asserts that the two exports of `trace` are the same bytes in both
/// languages, and that they parse as one JSON array with an element per event.
fn same_bytes(trace: &Path, events: usize) {
    for lang in [Lang::En, Lang::Zh] {
        let (fast, reference) = both(trace, lang);
        if fast != reference {
            let f = String::from_utf8_lossy(&fast);
            let r = String::from_utf8_lossy(&reference);
            let (n, (a, b)) = f
                .lines()
                .zip(r.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .expect("a line differs");
            panic!("{lang:?}, line {}:\nfast:      {a}\nreference: {b}", n + 1);
        }
        let doc: Vec<serde_json::Value> = serde_json::from_slice(&fast).unwrap();
        assert_eq!(doc.len(), events, "{}", trace.display());
    }
}

/// An argument holding everything a JSON writer must escape, and what
/// `visible` and `quoted` escape before it.
fn awkward_arg() -> Vec<u8> {
    let mut a = b"q\"uote \\back\\slash 'tick' tab\there nl\nbell\x07 esc\x1b del\x7f ".to_vec();
    a.extend_from_slice("中文 \u{202e}rtl 🦀 ".as_bytes());
    a.extend_from_slice(b"bad\xff\xfe utf8");
    a
}

#[test]
fn a_pipeline_with_awkward_arguments_exports_the_same_bytes_as_the_reference() {
    let arg = awkward_arg();
    let script = "printf '%s\\n' \"$1\" | tr a-z A-Z | cat > /dev/null; echo \"$1\" 2>&1 >/dev/null | wc -c >/dev/null";
    let mut cmd: Vec<&OsStr> = vec![
        OsStr::new("sh"),
        OsStr::new("-c"),
        OsStr::new(script),
        OsStr::new("sh"),
    ];
    cmd.push(OsStr::from_bytes(&arg));
    let r = record(&cmd);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    same_bytes(&r.trace, r.events.len());
}

#[test]
fn programs_and_paths_with_awkward_names_export_the_same_bytes_as_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    // A program whose name is not UTF-8 and holds a quote and a newline;
    // a file in a Chinese folder.
    let mut name = b"od\"d\nna\\me-".to_vec();
    name.extend_from_slice(b"\xff\xfe");
    let prog = dir.path().join(OsStr::from_bytes(&name));
    std::os::unix::fs::symlink("/bin/cat", &prog).unwrap();
    let zh = dir.path().join("目录");
    std::fs::create_dir(&zh).unwrap();
    let file = zh.join("文件 \"x\".txt");
    std::fs::write(&file, "hello\n").unwrap();
    let mut cmd: Vec<&OsStr> = vec![prog.as_os_str(), file.as_os_str()];
    cmd.push(OsStr::new("/nonexistent/\u{7}bell"));
    let r = record(&cmd);
    assert_eq!(r.code(), 1, "cat fails on the missing file: {}", r.stderr());
    same_bytes(&r.trace, r.events.len());
}

#[test]
fn a_forking_shell_loop_exports_the_same_bytes_as_the_reference() {
    let r = record(&[
        "sh",
        "-c",
        "i=0; while [ $i -lt 20 ]; do printf 'a\\nb\\n' | wc -l >/dev/null; (exit 3); i=$((i+1)); done; sleep 0.01 & wait",
    ]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    same_bytes(&r.trace, r.events.len());
}

#[test]
fn make_exports_the_same_bytes_as_the_reference() {
    if std::process::Command::new("make")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("make is not installed: nothing to record");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Makefile"),
        "all: a b\n\t@cat a b | sort > c\na:\n\t@echo 'a \"quoted\" \\\\ line' > a\nb:\n\t@printf 'b\\tx\\n' > b\n",
    )
    .unwrap();
    let r = record(&["make", "-s", "-j2", "-C", dir.path().to_str().unwrap()]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    same_bytes(&r.trace, r.events.len());
}

#[test]
fn fixtures_that_fail_signal_rename_and_make_fds_export_the_same_bytes_as_the_reference() {
    for name in [
        "failed_dups_and_sockets",
        "close_range_unshare",
        "close_range_fails",
        "new_fds",
        "more_new_fds",
        "ioctl_cloexec",
        "signals_once",
        "sigqueue_wait",
        "group_stop",
        "renamed_child",
        "named_workers",
        "waitid_null",
        "waitid_pidfd",
        "vfork_exec",
        "thread_exec",
        "threads_fork",
        "exec_bad_argv",
        "auto_reap",
        "unshare_files",
        "sigpipe",
    ] {
        let prog = fixture(name);
        let r = record(&[prog.as_os_str()]);
        same_bytes(&r.trace, r.events.len());
    }
}

#[test]
fn every_committed_trace_exports_the_same_bytes_as_the_reference() {
    let dir = repo().join("fixtures/traces");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension() != Some(OsStr::new("jsonl")) {
            continue;
        }
        let (_, events, _) = forkscope::trace::read_all(&path).unwrap();
        same_bytes(&path, events.len());
    }
}

#[test]
fn a_trace_that_breaks_midway_exports_the_same_events_then_the_same_error() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.jsonl");
    let good = std::fs::read_to_string(repo().join("fixtures/traces/sh-pipeline.jsonl")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    let at = lines.len() / 2;
    lines.insert(at, "{\"seq\": oops}");
    std::fs::write(&t, lines.join("\n") + "\n").unwrap();
    let fast = export(&t, ExportFormat::Json, Lang::En, Vec::new());
    let reference = export_json_reference(&t, Lang::En, Vec::new());
    let (fast, reference) = (fast.unwrap_err(), reference.unwrap_err());
    assert_eq!(format!("{fast:#}"), format!("{reference:#}"));
    assert!(
        format!("{fast:#}").contains(&format!("line {}", at + 1)),
        "{fast:#}"
    );
}
