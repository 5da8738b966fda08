//! `forkscope doctor` on real recordings. Each program in fixtures/doctor/
//! shows one mistake: it is built with cc, recorded, and diagnosed with
//! `--json`; the finding must carry the right code and name the right pid,
//! fd and pipe, taken from the recorded trace. Clean workloads (shell
//! pipelines, the hand-made pipeline, a sleep, `make -j2`) must come out
//! with no finding and exit status 0. Every test traces for real.

mod common;

use common::*;
use forkscope::model::labels::Labels;
use forkscope::trace::{Event, EventKind, Pid};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A recording and what the doctor said about it.
struct Diagnosed {
    rec: Recorded,
    code: i32,
    json: Value,
}

impl Diagnosed {
    fn findings(&self) -> &[Value] {
        self.json["findings"].as_array().unwrap()
    }

    fn codes(&self) -> Vec<&str> {
        self.findings()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect()
    }

    /// The only finding, which must have `code`.
    fn only(&self, code: &str) -> &Value {
        assert_eq!(self.codes(), vec![code], "{:#}", self.json);
        let fails = self.findings()[0]["severity"] != "info";
        assert_eq!(
            self.code,
            i32::from(fails),
            "a warning or an error means exit status 1, info alone 0"
        );
        &self.findings()[0]
    }

    fn root(&self) -> Pid {
        self.rec.header.root_pid
    }

    /// The children `pid` forked, in order.
    fn children(&self, pid: Pid) -> Vec<Pid> {
        self.rec
            .events
            .iter()
            .filter(|e| e.pid == pid)
            .filter_map(|e| match e.kind {
                EventKind::Fork { child, .. } => Some(child),
                _ => None,
            })
            .collect()
    }

    /// `pipe#N` of the first pipe `pid` made, as the doctor names it.
    fn pipe_label(&self, pid: Pid) -> String {
        let mut labels = Labels::default();
        for e in &self.rec.events {
            labels.observe(e);
        }
        let id = self
            .rec
            .events
            .iter()
            .find_map(|e: &Event| match e.kind {
                EventKind::Pipe { pipe_id, .. } if e.pid == pid => Some(pipe_id),
                _ => None,
            })
            .expect("no pipe made");
        labels.pipe(id)
    }
}

fn diagnose(cmd: &[&std::ffi::OsStr]) -> Diagnosed {
    let rec = record(cmd);
    let (code, json) = doctor_json(&rec.trace);
    Diagnosed { rec, code, json }
}

fn doctor_json(trace: &Path) -> (i32, Value) {
    let out = forkscope()
        .args(["doctor", "--json"])
        .arg(trace)
        .output()
        .unwrap();
    let code = out.status.code().expect("doctor exited by signal");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, json)
}

fn run_fixture(name: &str) -> Diagnosed {
    let bin = doctor_fixture(name);
    diagnose(&[bin.as_os_str()])
}

fn run_cmd(cmd: &[&str]) -> Diagnosed {
    let cmd: Vec<&std::ffi::OsStr> = cmd.iter().map(std::ffi::OsStr::new).collect();
    diagnose(&cmd)
}

/// The (pid, fd, object) of the finding's fd with `role`.
fn fd_with_role(f: &Value, role: &str) -> (Pid, i64, String) {
    let d = f["fds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["role"] == role)
        .unwrap_or_else(|| panic!("no fd with role {role}: {f:#}"));
    (
        d["pid"].as_i64().unwrap() as Pid,
        d["fd"].as_i64().unwrap(),
        d["object"].as_str().unwrap().to_string(),
    )
}

/// The pid of the finding's process with `role`.
fn pid_with_role(f: &Value, role: &str) -> Pid {
    f["processes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == role)
        .unwrap_or_else(|| panic!("no process with role {role}: {f:#}"))["pid"]
        .as_i64()
        .unwrap() as Pid
}

fn assert_clean(d: &Diagnosed) {
    assert!(d.findings().is_empty(), "false alarm: {:#}", d.json);
    assert_eq!(d.code, 0, "no finding means exit status 0");
}

#[test]
fn a_reader_that_keeps_its_own_write_end_is_a_leaked_write_end() {
    let d = run_fixture("reader_holds_write_end");
    let f = d.only("leaked-write-end");
    let reader = d.children(d.root())[0];
    let pipe = d.pipe_label(d.root());
    assert_eq!(
        fd_with_role(f, "leaked"),
        (reader, 4, format!("{pipe} write end"))
    );
    assert_eq!(
        fd_with_role(f, "reader"),
        (reader, 3, format!("{pipe} read end"))
    );
    assert_eq!(f["severity"], "error");
    assert_eq!(f["pipes"][0], pipe.as_str());
}

#[test]
fn a_parent_that_waits_with_the_write_end_open_is_a_leaked_write_end() {
    let d = run_fixture("parent_keeps_write_end");
    let f = d.only("leaked-write-end");
    let reader = d.children(d.root())[0];
    let pipe = d.pipe_label(d.root());
    assert_eq!(
        fd_with_role(f, "leaked"),
        (d.root(), 4, format!("{pipe} write end"))
    );
    assert_eq!(fd_with_role(f, "reader").0, reader);
    assert!(f["duration_ns"].as_u64().unwrap() >= 250_000_000, "{f:#}");
}

#[test]
fn a_write_end_inherited_by_sleep_is_an_fd_leaked_into_exec() {
    let d = run_fixture("leak_into_exec");
    let f = d.only("fd-leaked-into-exec");
    let kids = d.children(d.root());
    let (reader, helper) = (kids[0], kids[1]);
    let pipe = d.pipe_label(d.root());
    assert_eq!(
        fd_with_role(f, "leaked"),
        (helper, 4, format!("{pipe} write end"))
    );
    assert_eq!(f["processes"][0]["program"], "sleep");
    assert_eq!(fd_with_role(f, "reader").0, reader);
    assert_eq!(f["severity"], "error", "the reader waited for sleep: {f:#}");
    assert!(
        f["summary"].as_str().unwrap().starts_with(&format!(
            "fd 4 ({pipe} write end) leaked into sleep at exec"
        )),
        "{f:#}"
    );
}

#[test]
fn a_child_reaped_after_a_second_and_a_half_is_a_long_zombie() {
    let d = run_fixture("zombie");
    let f = d.only("long-zombie");
    assert_eq!(pid_with_role(f, "child"), d.children(d.root())[0]);
    assert_eq!(pid_with_role(f, "parent"), d.root());
    assert!(f["duration_ns"].as_u64().unwrap() >= 1_400_000_000, "{f:#}");
}

#[test]
fn a_child_that_outlives_its_parent_is_an_orphan_adopted_outside_the_trace() {
    let d = run_fixture("orphan");
    let f = d.only("orphan");
    assert_eq!(pid_with_role(f, "child"), d.children(d.root())[0]);
    assert_eq!(pid_with_role(f, "parent"), d.root());
    assert!(f["explanation"]
        .as_str()
        .unwrap()
        .contains("adopted by init or a subreaper outside the trace"));
}

#[test]
fn a_writer_that_writes_after_its_reader_quit_is_killed_by_sigpipe() {
    let d = run_fixture("sigpipe");
    let f = d.only("killed-by-sigpipe");
    let kids = d.children(d.root());
    let (reader, writer) = (kids[0], kids[1]);
    let pipe = d.pipe_label(d.root());
    assert_eq!(
        fd_with_role(f, "writer"),
        (writer, 4, format!("{pipe} write end"))
    );
    assert_eq!(
        fd_with_role(f, "closer"),
        (reader, 3, format!("{pipe} read end"))
    );
}

#[test]
fn a_parent_that_exits_without_waiting_leaves_a_never_reaped_child() {
    let d = run_fixture("never_reaped");
    let f = d.only("never-reaped");
    assert_eq!(pid_with_role(f, "child"), d.children(d.root())[0]);
    assert_eq!(pid_with_role(f, "parent"), d.root());
}

#[test]
fn a_wait_without_wuntraced_on_a_stopped_child_is_a_wait_on_stopped_child() {
    let d = run_fixture("wait_stopped");
    let f = d.only("wait-on-stopped-child");
    let kids = d.children(d.root());
    assert_eq!(pid_with_role(f, "parent"), d.root());
    assert_eq!(pid_with_role(f, "child"), kids[0]);
    assert_eq!(pid_with_role(f, "sender"), kids[1]);
    assert!(f["duration_ns"].as_u64().unwrap() >= 400_000_000, "{f:#}");
}

#[test]
fn a_shell_pipeline_has_no_findings() {
    assert_clean(&run_cmd(&["sh", "-c", "echo hi | cat"]));
}

#[test]
fn a_three_stage_pipeline_that_stops_early_has_no_findings() {
    assert_clean(&run_cmd(&["sh", "-c", "seq 100 | sort | head -1"]));
}

#[test]
fn the_hand_made_pipeline_that_closes_every_end_has_no_findings() {
    let bin = fixture("pipe_fork_exec");
    assert_clean(&diagnose(&[bin.as_os_str()]));
}

#[test]
fn a_process_that_only_sleeps_has_no_findings() {
    assert_clean(&run_cmd(&["sleep", "0.1"]));
}

#[test]
fn a_parallel_make_has_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("fixtures/cproject");
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let trace = dir.path().join("make.jsonl");
    let out = forkscope()
        .current_dir(dir.path())
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["--", "make", "-j2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "make failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, json) = doctor_json(&trace);
    assert!(
        json["findings"].as_array().unwrap().is_empty(),
        "false alarm: {json:#}"
    );
    assert_eq!(code, 0);
}

#[test]
fn text_output_names_the_code_the_pid_and_the_fix() {
    let d = run_fixture("reader_holds_write_end");
    let out = forkscope()
        .args(["doctor", "--color", "never"])
        .arg(&d.rec.trace)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let reader = d.children(d.root())[0];
    assert!(text.starts_with("error[leaked-write-end]"), "{text}");
    assert!(text.contains(&format!("{reader} fd 4")), "{text}");
    assert!(text.contains("fix "), "{text}");
    assert!(text.contains("1 finding in"), "{text}");
}

#[test]
fn a_trace_that_cannot_be_read_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "not a trace\n").unwrap();
    let out = forkscope().arg("doctor").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(125));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("error"));
    let missing = forkscope()
        .args(["doctor", "/nonexistent/t.jsonl"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(125));
}

#[test]
fn a_never_reaped_child_is_blamed_on_the_program_that_forked_it_not_the_one_exec_d_since() {
    // bash forks a subshell for `<(echo a)`, then execs cat over itself:
    // cat never knew it had a child; bash, which forked it, should have
    // waited before exec'ing. The subshell sleeps first so that it is
    // still running when bash execs cat (with a bare `echo a` it may exit
    // in time for bash to reap it before the exec, and then nothing is left
    // unreaped: a race in the program, not in the tracer).
    //
    // One race is left in the program: cat sees EOF when the subshell
    // closes its files on exit, which is before it becomes a zombie, so
    // under load cat may exit first and the subshell is then an orphan,
    // truly never a zombie of cat's. That run is the program's other
    // outcome, not a wrong finding: it is recorded again (at most 5 runs).
    let cmd = ["bash", "-c", "cat <(sleep 1; echo a)"];
    let plain = Command::new(cmd[0]).args(&cmd[1..]).output().unwrap();
    let mut d = run_cmd(&cmd);
    for _ in 1..5 {
        if d.codes() != ["orphan"] {
            break;
        }
        d = run_cmd(&cmd);
    }
    assert_eq!(
        d.rec.out.stdout, plain.stdout,
        "the traced run printed otherwise"
    );
    assert_eq!(d.rec.code(), plain.status.code().unwrap());
    let f = d.only("never-reaped");
    assert_eq!(pid_with_role(f, "parent"), d.root());
    assert_eq!(pid_with_role(f, "child"), d.children(d.root())[0]);
    let summary = f["summary"].as_str().unwrap();
    assert!(
        summary.contains(&format!("its parent {} (bash, now cat)", d.root())),
        "{summary}"
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(fix.starts_with("In bash, which forked it,"), "{fix}");
    assert!(fix.contains("before it execs cat"), "{fix}");
}

/// `forkscope doctor ARGS TRACE`: its exit status.
fn doctor_status(args: &[&str], trace: &Path) -> i32 {
    let out = forkscope()
        .arg("doctor")
        .args(args)
        .arg(trace)
        .output()
        .unwrap();
    out.status.code().expect("doctor exited by signal")
}

#[test]
fn info_only_findings_exit_0_unless_fail_on_info_asks_for_1() {
    // `yes | head -1`: head stops after a line and yes dies of SIGPIPE, as
    // a pipeline meant it to; the doctor says so (info) and passes.
    let cmd = ["sh", "-c", "yes | head -1"];
    let plain = Command::new(cmd[0]).args(&cmd[1..]).output().unwrap();
    let d = run_cmd(&cmd);
    assert_eq!(
        d.rec.out.stdout, plain.stdout,
        "the traced run printed otherwise"
    );
    assert_eq!(d.rec.code(), plain.status.code().unwrap());
    let f = d.only("killed-by-sigpipe");
    assert_eq!(f["severity"], "info", "{f:#}");
    assert_eq!(d.code, 0);
    assert_eq!(doctor_status(&["--fail-on", "info"], &d.rec.trace), 1);
    assert_eq!(doctor_status(&["--fail-on", "warning"], &d.rec.trace), 0);
}

#[test]
fn fail_on_error_lets_a_warning_pass_and_fail_on_warning_does_not() {
    let d = run_fixture("zombie");
    let f = d.only("long-zombie");
    assert_eq!(f["severity"], "warning");
    assert_eq!(d.code, 1, "the default bar is warning");
    assert_eq!(doctor_status(&["--fail-on", "error"], &d.rec.trace), 0);
    assert_eq!(doctor_status(&["--fail-on", "warning"], &d.rec.trace), 1);
    let bad = forkscope()
        .args(["doctor", "--fail-on", "sometimes"])
        .arg(&d.rec.trace)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(125), "a bad value is a usage error");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("info, warning, error"), "{err}");
}

/// Runs `sh -c SCRIPT` untraced and traced: same stdout and status.
fn run_sh_as_untraced(script: &str) -> Diagnosed {
    let plain = Command::new("sh").args(["-c", script]).output().unwrap();
    let d = run_cmd(&["sh", "-c", script]);
    assert_eq!(
        d.rec.out.stdout, plain.stdout,
        "the traced run printed otherwise"
    );
    assert_eq!(d.rec.code(), plain.status.code().unwrap());
    d
}

#[test]
fn a_background_job_that_keeps_the_pipeline_open_is_reported_as_the_leak() {
    // `forkscope demo leak`: the subshell's stdout is the pipe; sleep,
    // started in the background, inherits it and holds it after the
    // subshell is done, so cat sees EOF only when sleep ends.
    let d = run_sh_as_untraced("{ sleep 0.3 & echo hi; } | cat");
    let leak: Vec<&Value> = d
        .findings()
        .iter()
        .filter(|f| f["code"] == "fd-leaked-into-exec")
        .collect();
    assert_eq!(leak.len(), 1, "{:#}", d.json);
    let f = leak[0];
    let (pid, fd, object) = fd_with_role(f, "leaked");
    assert_eq!(fd, 1);
    assert!(object.ends_with(" write end"), "{object}");
    assert_eq!(f["processes"][0]["program"], "sleep");
    let subshell = d.children(d.root())[0];
    assert_eq!(
        d.children(subshell),
        vec![pid],
        "the leak is the background sleep"
    );
    assert_eq!(f["severity"], "warning");
    assert!(f["duration_ns"].as_u64().unwrap() >= 200_000_000, "{f:#}");
    let fix = f["fix"].as_str().unwrap();
    assert!(fix.contains("`sleep >/dev/null 2>&1 &`"), "{fix}");
    assert_eq!(d.code, 1);
}

#[test]
fn a_foreground_command_sharing_the_subshells_stdout_is_no_leak() {
    // The same sleep, waited for: the subshell holds the write end until
    // sleep is done, so nobody waited for sleep alone.
    let d = run_sh_as_untraced("{ echo hi; sleep 0.2; } | cat");
    assert_clean(&d);
}

/// Compiles `fixtures/doctor/NAME.c` (once per test binary), warnings as errors.
fn doctor_fixture(name: &str) -> PathBuf {
    try_fixture_from("doctor", name, &["-Werror"])
        .unwrap_or_else(|e| panic!("building {name}: {e}"))
}
