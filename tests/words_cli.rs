//! Golden snapshots of what `forkscope record` and the command line say to
//! a reader, in English and Chinese: the summary at the end of a recording
//! (every shape of it), the notices while it runs (ptrace limits, processes
//! outliving the command), the errors users hit (a bad trace file, an
//! unknown pid, bad arguments, `--live` misuse, a command that cannot run),
//! strace habits' tips and the `record --live` timeline of a small program.
//! Pids, paths and event counts that change from run to run are normalised.
//!
//! Issue 11's net: these must stay byte-identical while the words move into
//! `src/words/`, except in a commit that names the bug it fixes.

mod common;

use common::{forkscope, try_fixture};
use forkscope::record::limits::{Limit, LimitKind};
use forkscope::record::signals::Notice;
use forkscope::record::{Attached, RecordOutcome};
use forkscope::trace::{RawStr, Sig, Status, WriteFailure};
use forkscope::words::Lang;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Output;

const LANGS: [(Lang, &str); 2] = [(Lang::En, "en"), (Lang::Zh, "zh")];

/// The summary of `out` for a program named `argv0`, in `lang`.
fn summary(out: &RecordOutcome, argv0: &str, lang: Lang) -> String {
    forkscope::words::record::summary(lang, out, argv0)
}

/// A ptrace limit's warning in `lang`.
fn limit(l: &Limit, lang: Lang) -> String {
    forkscope::words::record::limit(lang, l)
}

/// A notice in `lang`.
fn notice(n: &Notice, lang: Lang) -> String {
    forkscope::words::record::notice(lang, n)
}

fn outcome() -> RecordOutcome {
    RecordOutcome {
        status: Some(Status::Exited { exited: 0 }),
        path: PathBuf::from("forkscope-make-20260101T000000Z.jsonl"),
        events: 1234,
        stats: forkscope::record::tracer::Stats {
            processes: 12,
            threads: 3,
            execs: 9,
            exec_failures: 2,
            pipes: 4,
            signals: 5,
        },
        exec_error: None,
        hangs: Vec::new(),
        killed_for_hang: false,
        attached: None,
        trace_stopped: None,
    }
}

/// Every shape of the summary: how the program ended, singular and plural
/// counts, attached (running on or detached), killed for a hang, and a
/// trace that stopped being written.
fn summaries() -> Vec<(&'static str, RecordOutcome)> {
    let mut v = vec![("exited", outcome())];
    let mut o = outcome();
    o.status = Some(Status::Exited { exited: 3 });
    o.stats = forkscope::record::tracer::Stats {
        processes: 1,
        threads: 0,
        execs: 1,
        exec_failures: 0,
        pipes: 1,
        signals: 1,
    };
    o.events = 1;
    v.push(("one_of_each", o));
    let mut o = outcome();
    o.status = Some(Status::Signaled {
        signaled: Sig(11),
        core: true,
    });
    v.push(("signaled_core", o));
    let mut o = outcome();
    o.status = Some(Status::Signaled {
        signaled: Sig(15),
        core: false,
    });
    v.push(("signaled", o));
    let mut o = outcome();
    o.status = None;
    v.push(("ended", o));
    let mut o = outcome();
    o.killed_for_hang = true;
    v.push(("killed_for_hang", o));
    let mut o = outcome();
    o.attached = Some(Attached {
        pid: 4102,
        processes: 3,
        threads: 5,
        detached: false,
        ebpf: false,
    });
    v.push(("attached", o));
    let mut o = outcome();
    o.attached = Some(Attached {
        pid: 4102,
        processes: 1,
        threads: 1,
        detached: true,
        ebpf: false,
    });
    v.push(("attached_detached_one", o));
    let mut o = outcome();
    o.attached = Some(Attached {
        pid: 4102,
        processes: 3,
        threads: 5,
        detached: true,
        ebpf: false,
    });
    v.push(("attached_detached", o));
    let mut o = outcome();
    o.attached = Some(Attached {
        pid: 4102,
        processes: 3,
        threads: 5,
        detached: false,
        ebpf: true,
    });
    v.push(("attached_ebpf", o));
    let mut o = outcome();
    o.attached = Some(Attached {
        pid: 4102,
        processes: 3,
        threads: 5,
        detached: true,
        ebpf: true,
    });
    v.push(("attached_ebpf_left_running", o));
    let stopped = |at_event| WriteFailure {
        at_event,
        error: std::io::ErrorKind::StorageFull,
        message: "writing t.jsonl: No space left on device (os error 28)".into(),
    };
    let mut o = outcome();
    o.trace_stopped = Some(stopped(77));
    v.push(("trace_stopped", o));
    let mut o = outcome();
    o.trace_stopped = Some(stopped(1));
    o.status = Some(Status::Signaled {
        signaled: Sig(13),
        core: false,
    });
    v.push(("trace_stopped_signaled", o));
    let mut o = outcome();
    o.trace_stopped = Some(stopped(5));
    o.attached = Some(Attached {
        pid: 4102,
        processes: 2,
        threads: 2,
        detached: true,
        ebpf: false,
    });
    v.push(("trace_stopped_detached", o));
    v
}

#[test]
fn every_shape_of_the_record_summary_reads_the_same_in_english_and_chinese() {
    for (name, out) in summaries() {
        for (lang, l) in LANGS {
            insta::assert_snapshot!(format!("summary_{name}_{l}"), summary(&out, "make", lang));
        }
    }
}

#[test]
fn every_ptrace_limit_warning_reads_the_same() {
    let path = Some(RawStr(b"/usr/bin/passwd".to_vec()));
    let limits = [
        (
            "setuid",
            Limit {
                kind: LimitKind::Setuid,
                pid: 4103,
                path: path.clone(),
                ids: Some((0, 1000)),
                request: None,
            },
        ),
        (
            "setgid",
            Limit {
                kind: LimitKind::Setgid,
                pid: 4103,
                path: path.clone(),
                ids: Some((42, 1000)),
                request: None,
            },
        ),
        (
            "file_caps",
            Limit {
                kind: LimitKind::FileCaps,
                pid: 4103,
                path: Some(RawStr(b"/usr/bin/ping".to_vec())),
                ids: None,
                request: None,
            },
        ),
        (
            "setuid_hostile_path",
            Limit {
                kind: LimitKind::Setuid,
                pid: 4103,
                path: Some(RawStr(b"/tmp/x\x1b[2J\xe2\x80\xaeevil\xff".to_vec())),
                ids: Some((0, 1000)),
                request: None,
            },
        ),
        (
            "nested_ptrace_target",
            Limit {
                kind: LimitKind::NestedPtrace,
                pid: 4104,
                path: None,
                ids: None,
                request: Some(("PTRACE_SEIZE", Some(4105))),
            },
        ),
        (
            "nested_ptrace_traceme",
            Limit {
                kind: LimitKind::NestedPtrace,
                pid: 4104,
                path: None,
                ids: None,
                request: Some(("PTRACE_TRACEME", None)),
            },
        ),
    ];
    for (name, l) in &limits {
        for (lang, tag) in LANGS {
            insta::assert_snapshot!(format!("limit_{name}_{tag}"), limit(l, lang));
        }
    }
}

#[test]
fn notices_of_processes_that_outlive_the_command_read_the_same_and_escape_names() {
    let one = vec![(4105, "sleep".to_string())];
    let two = vec![
        (4105, "sleep".to_string()),
        (4107, "evil\x1b[2J\u{202e}name".to_string()),
    ];
    let notices = [
        (
            "outlived_one",
            Notice::Outlived {
                root: 4102,
                remaining: one.clone(),
            },
        ),
        (
            "outlived_two",
            Notice::Outlived {
                root: 4102,
                remaining: two.clone(),
            },
        ),
        (
            "still_waiting",
            Notice::StillWaiting {
                signal: 2,
                remaining: two,
            },
        ),
        (
            "unreadable",
            Notice::Unreadable {
                pid: 4106,
                errno: libc::EPERM,
            },
        ),
    ];
    for (name, n) in &notices {
        for (lang, tag) in LANGS {
            insta::assert_snapshot!(format!("notice_{name}_{tag}"), notice(n, lang));
        }
    }
}

#[test]
fn every_strace_habit_gets_the_same_tip() {
    for a in [
        "-f", "-e", "-s", "-v", "-t", "-r", "-T", "-y", "-c", "-C", "-Z", "-z",
    ] {
        for (lang, tag) in LANGS {
            let tip = forkscope::cli::args::strace_tip(a, lang).unwrap();
            // -c and -C, -t and -T, -z and -Z: one file each on any file system.
            let name: String = a
                .trim_start_matches('-')
                .chars()
                .map(|c| {
                    if c.is_ascii_uppercase() {
                        format!("upper_{}", c.to_ascii_lowercase())
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            insta::assert_snapshot!(format!("tip_{name}_{tag}"), tip);
        }
    }
}

/// `text` with `dir` said as `<dir>`.
fn norm_dir(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "<dir>")
}

/// `text` with every whole number equal to one of `pids` said as P1, P2, ...
/// (in the order of `pids`).
fn norm_pids(text: &str, pids: &[i32]) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if !digits.is_empty() {
            match digits
                .parse::<i32>()
                .ok()
                .and_then(|n| pids.iter().position(|p| *p == n))
            {
                Some(i) => out.push_str(&format!("P{}", i + 1)),
                None => out.push_str(digits),
            }
            digits.clear();
        }
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// `text` with the event count of a summary (`(N events)`, `（N 个事件）`)
/// said as N: it depends on the system's libraries.
fn norm_events(text: &str) -> String {
    let mut s = text.to_string();
    for (open, close) in [(" (", " event"), ("（", " 个事件")] {
        let mut from = 0;
        while let Some(i) = s[from..].find(close).map(|i| i + from) {
            let start = s[..i].rfind(open).map(|j| j + open.len());
            match start {
                Some(j) if j < i && s[j..i].chars().all(|c| c.is_ascii_digit()) => {
                    s.replace_range(j..i, "N");
                    from = j + 1 + close.len();
                }
                _ => from = i + close.len(),
            }
        }
    }
    s
}

/// Runs forkscope with `args` (after `--lang L` when `lang` is given).
fn run(lang: Option<&str>, args: &[&str]) -> Output {
    let mut c = forkscope();
    c.args(["--color", "never"]);
    if let Some(l) = lang {
        c.args(["--lang", l]);
    }
    // The trace lists every fd the program inherits, and a test harness may
    // pass on fds of its own (a jobserver pipe, a terminal's fd 251): the
    // program gets only 0, 1 and 2, as it would from a clean shell.
    // SAFETY: close_range is async-signal-safe and touches only the child's
    // fd table, between fork and exec.
    unsafe {
        c.pre_exec(|| {
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            Ok(())
        });
    }
    c.args(args).output().unwrap()
}

/// Exit status and stderr, for a snapshot.
fn said(o: &Output) -> String {
    format!(
        "exit status: {:?}\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// fixtures/record/live_words.c built static: its own events do not depend
/// on the system's shared libraries (it forks, and the child execs
/// /bin/echo, then it exits 0).
fn static_true() -> Option<PathBuf> {
    match try_fixture("live_words", &["-static"]) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!("skipped: no static libc ({e})");
            None
        }
    }
}

#[test]
fn a_recordings_summary_names_the_program_its_counts_and_its_trace() {
    let Some(prog) = static_true() else { return };
    let dir = tempfile::tempdir().unwrap();
    let prog_s = prog.display().to_string();
    for (lang, tag) in [(None, "en"), (Some("zh"), "zh")] {
        let t = dir.path().join("t.jsonl");
        let o = run(
            lang,
            &["record", "-o", t.to_str().unwrap(), "--", prog_s.as_str()],
        );
        let text = norm_events(&norm_dir(&said(&o), dir.path())).replace(&prog_s, "<prog>");
        insta::assert_snapshot!(format!("record_summary_{tag}"), text);
        // -o -: the trace goes to stdout.
        let o = run(lang, &["record", "-o", "-", "--", prog_s.as_str()]);
        let text = norm_events(&said(&o)).replace(&prog_s, "<prog>");
        insta::assert_snapshot!(format!("record_summary_stdout_{tag}"), text);
    }
}

#[test]
fn errors_users_hit_say_which_file_line_pid_or_option() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = d.join("bad.jsonl");
    let Some(prog) = static_true() else { return };
    let good = d.join("good.jsonl");
    let o = run(
        None,
        &[
            "record",
            "-q",
            "-o",
            good.to_str().unwrap(),
            "--",
            prog.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", said(&o));
    let header = std::fs::read_to_string(&good)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    std::fs::write(&bad, format!("{header}\n{{\"seq\": 1, \"oops\"\n")).unwrap();
    let noexec = d.join("noexec");
    std::fs::write(&noexec, "#!/bin/sh\n").unwrap();
    let garbage = d.join("garbage");
    std::fs::write(&garbage, b"\x7fELF\x01\x02garbage").unwrap();
    std::fs::set_permissions(
        &garbage,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let s = |p: &Path| p.display().to_string();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("bad_trace_line", vec!["replay".into(), s(&bad)]),
        (
            "missing_trace",
            vec!["tree".into(), s(&d.join("missing.jsonl"))],
        ),
        (
            "unknown_pid",
            vec!["replay".into(), s(&good), "--pid".into(), "999999".into()],
        ),
        (
            "not_found",
            vec![
                "record".into(),
                "-o".into(),
                s(&d.join("nf.jsonl")),
                "--".into(),
                "no-such-command-xyz".into(),
            ],
        ),
        (
            "not_found_hostile",
            vec![
                "record".into(),
                "-o".into(),
                s(&d.join("nh.jsonl")),
                "--".into(),
                "no-such\x1b[2J\u{202e}cmd".into(),
            ],
        ),
        (
            "not_executable",
            vec![
                "record".into(),
                "-o".into(),
                s(&d.join("ne.jsonl")),
                "--".into(),
                s(&noexec),
            ],
        ),
        (
            "exec_format",
            vec![
                "record".into(),
                "-o".into(),
                s(&d.join("ef.jsonl")),
                "--".into(),
                s(&garbage),
            ],
        ),
        (
            "attach_no_process",
            vec![
                "record".into(),
                "-o".into(),
                s(&d.join("ap.jsonl")),
                "-p".into(),
                "999999999".into(),
            ],
        ),
        (
            "unwritable_output",
            vec![
                "record".into(),
                "-o".into(),
                s(&d.join("no/dir/t.jsonl")),
                "--".into(),
                "true".into(),
            ],
        ),
        (
            "stall_timeout_zero",
            vec![
                "record".into(),
                "--stall-timeout".into(),
                "0".into(),
                "--".into(),
                "true".into(),
            ],
        ),
        (
            "live_stdout",
            vec![
                "record".into(),
                "--live".into(),
                "-o".into(),
                "-".into(),
                "--".into(),
                "true".into(),
            ],
        ),
        (
            "strace_f",
            vec!["record".into(), "-f".into(), "--".into(), "true".into()],
        ),
        (
            "strace_e",
            vec![
                "record".into(),
                "-e".into(),
                "trace=open".into(),
                "--".into(),
                "true".into(),
            ],
        ),
        (
            "kind_without_live",
            vec![
                "record".into(),
                "--kind".into(),
                "exec".into(),
                "--".into(),
                "true".into(),
            ],
        ),
        ("man_unknown", vec!["man".into(), "nosuch".into()]),
        (
            "wrote_man_pages",
            vec!["man".into(), "--out-dir".into(), s(&d.join("man"))],
        ),
    ];
    for (name, args) in &cases {
        for (lang, tag) in [(None, "en"), (Some("zh"), "zh")] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = run(lang, &args);
            insta::assert_snapshot!(format!("error_{name}_{tag}"), norm_dir(&said(&o), d));
        }
    }
}

#[test]
fn record_live_prints_one_timeline_line_per_event_in_both_languages() {
    let Some(prog) = static_true() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (lang, tag) in [(None, "en"), (Some("zh"), "zh")] {
        let t = dir.path().join(format!("live-{tag}.jsonl"));
        let o = run(
            lang,
            &[
                "record",
                "-q",
                "--live",
                "--collapse-files",
                "--kind",
                "fork,exec,pipe,dup,close,wait,exit",
                "-o",
                t.to_str().unwrap(),
                "--",
                prog.to_str().unwrap(),
            ],
        );
        let (_, events, _) = forkscope::trace::read_all(&t).unwrap();
        let mut pids: Vec<i32> = Vec::new();
        for e in &events {
            if !pids.contains(&e.pid) {
                pids.push(e.pid);
            }
        }
        // Seq numbers after the exec of /bin/echo depend on its libraries.
        let text: String = norm_pids(&said(&o), &pids)
            .lines()
            .map(|l| match l.strip_prefix('#') {
                Some(rest) => format!(
                    "#N{}\n",
                    rest.trim_start_matches(|c: char| c.is_ascii_digit())
                ),
                None => format!("{l}\n"),
            })
            .collect();
        insta::assert_snapshot!(
            format!("live_{tag}"),
            text.replace(&prog.display().to_string(), "<prog>")
        );
    }
}

#[test]
fn a_process_outliving_the_command_is_said_while_recording() {
    let dir = tempfile::tempdir().unwrap();
    for (lang, tag) in [(None, "en"), (Some("zh"), "zh")] {
        let t = dir.path().join(format!("o-{tag}.jsonl"));
        let o = run(
            lang,
            &[
                "record",
                "-q",
                "-o",
                t.to_str().unwrap(),
                "--",
                "/bin/sh",
                "-c",
                "/bin/sleep 1 & exit 0",
            ],
        );
        let (_, events, _) = forkscope::trace::read_all(&t).unwrap();
        let mut pids: Vec<i32> = Vec::new();
        for e in &events {
            if !pids.contains(&e.pid) {
                pids.push(e.pid);
            }
        }
        insta::assert_snapshot!(format!("outlived_{tag}"), norm_pids(&said(&o), &pids));
    }
}

/// Without the `ebpf` feature, `--backend ebpf` says how to get it.
#[cfg(not(feature = "ebpf"))]
#[test]
fn asking_for_ebpf_in_a_build_without_it_says_how_to_build_it() {
    for (lang, tag) in [(None, "en"), (Some("zh"), "zh")] {
        let o = run(
            lang,
            &["record", "--backend", "ebpf", "-o", "-", "--", "true"],
        );
        insta::assert_snapshot!(format!("error_ebpf_not_built_{tag}"), said(&o));
    }
}

/// A fork that fails at launch (the process limit reached: RLIMIT_NPROC 1
/// for an unused uid, as the cgroup's pids.max would) names the limits it
/// may be. Needs root to change uid.
#[test]
fn a_launch_that_meets_the_process_limit_names_rlimit_nproc_pids_max_and_threads_max() {
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run forkscope as another uid");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    for (lang, tag) in [("en", "en"), ("zh", "zh")] {
        let trace = dir.path().join(format!("t-{tag}.jsonl"));
        let mut c = forkscope();
        c.args(["--lang", lang, "record", "-o"])
            .arg(&trace)
            .args(["--", "true"]);
        // SAFETY: setgroups/setgid/setuid/setrlimit are async-signal-safe.
        unsafe {
            c.pre_exec(|| {
                let one = libc::rlimit {
                    rlim_cur: 1,
                    rlim_max: 1,
                };
                libc::setgroups(0, std::ptr::null());
                libc::setgid(64123);
                libc::setrlimit(libc::RLIMIT_NPROC, &one);
                if libc::setuid(64123) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let o = c.output().unwrap();
        insta::assert_snapshot!(format!("error_process_limit_{tag}"), said(&o));
    }
}
