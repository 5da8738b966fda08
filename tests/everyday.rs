//! Everyday use: strace's habits on the command line, exit statuses that
//! tell forkscope's failures from the program's, default trace names that
//! never overwrite each other, a private demo folder, `-` for stdin and
//! stdout, filters that refuse nonsense, and output as strace prints it.

mod common;
use common::*;
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn strace_options_before_the_command_are_rejected_with_a_tip_not_run_as_the_command() {
    let dir = tempfile::tempdir().unwrap();
    for (args, tip) in [
        (&["-f"][..], "forks are always followed"),
        (&["-ff"][..], "forks are always followed"),
        (&["-e", "trace=process"][..], "--kind"),
        (&["-s", "200"][..], "recorded in full"),
        (&["-tt"][..], "replay TRACE -t"),
        (&["--stall-timout", "5"][..], "--stall-timeout"),
    ] {
        let o = forkscope()
            .current_dir(dir.path())
            .arg("record")
            .args(args)
            .args(["--", "true"])
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(125), "{args:?}: {err}");
        assert!(err.contains("unexpected argument"), "{args:?}: {err}");
        assert!(err.contains(tip), "{args:?}: {err}");
        assert!(!err.contains("command not found"), "{args:?}: {err}");
    }
    // Nothing was recorded: no trace file appeared.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // In Chinese, the tip is Chinese.
    let o = forkscope()
        .args(["--lang", "zh", "record", "-f", "true"])
        .output()
        .unwrap();
    assert!(stderr(&o).contains("总是跟踪 fork"), "{}", stderr(&o));
}

#[test]
fn options_after_the_command_name_still_belong_to_the_command() {
    let script = "echo \"$0 $1\"; exit 3";
    let plain = std::process::Command::new("sh")
        .args(["-c", script, "-f", "--stall-timout"])
        .output()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.jsonl");
    let traced = forkscope()
        .arg("record")
        .arg("-q")
        .arg("-o")
        .arg(&t)
        .args(["sh", "-c", script, "-f", "--stall-timout"])
        .output()
        .unwrap();
    assert_eq!(traced.stdout, plain.stdout);
    assert_eq!(traced.status.code(), plain.status.code());
    assert_eq!(traced.status.code(), Some(3));
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&t)
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", stdout(&v));
}

#[test]
fn forkscope_failing_exits_125_while_the_program_failing_keeps_its_own_status() {
    // The program's own 1 and 2 come through as they are.
    for code in [1, 2] {
        let r = record(&["sh", "-c", &format!("exit {code}")]);
        assert_eq!(r.code(), code);
    }
    // forkscope's own failures: an unreadable trace, a trace it cannot
    // write, a bad option, a bad --stall-timeout.
    let cases: [&[&str]; 4] = [
        &["replay", "/nonexistent/t.jsonl"],
        &["record", "-o", "/nonexistent/t.jsonl", "--", "true"],
        &["record", "--no-such-option", "--", "true"],
        &["record", "--stall-timeout", "0", "--", "true"],
    ];
    for args in cases {
        let o = forkscope().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(125), "{args:?}: {}", stderr(&o));
    }
    // A command that cannot be run: 127 and 126, as a shell says.
    let o = forkscope()
        .args(["record", "--", "/nonexistent/cmd"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(127));
    let o = forkscope()
        .args(["record", "--", "/etc/passwd"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(126));
    // And it is said in --help (and so in the man page).
    let help = forkscope().args(["record", "--help"]).output().unwrap();
    assert!(stdout(&help).contains("125 when forkscope itself failed"));
    let man = forkscope().args(["man", "record"]).output().unwrap();
    assert!(stdout(&man).contains("125"));
}

#[test]
fn quick_recordings_with_default_names_each_keep_their_own_trace() {
    let dir = tempfile::tempdir().unwrap();
    for i in 1..=3 {
        let o = forkscope()
            .current_dir(dir.path())
            .args(["record", "-q", "--", "sh", "-c", &format!("exit {i}")])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(i), "{}", stderr(&o));
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // Three traces, each with its own program's exit status (the
    // recordings may straddle a second, so names are not fixed).
    assert_eq!(names.len(), 3, "{names:?}");
    let mut codes: Vec<String> = names
        .iter()
        .map(|n| {
            let (_, events, _) = forkscope::trace::read_all(&dir.path().join(n)).unwrap();
            let exec = events.iter().find(|e| e.kind.name() == "spawn").unwrap();
            format!("{:?}", exec.kind)
        })
        .collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert!(names
        .iter()
        .all(|n| n.starts_with("forkscope-sh-") && n.ends_with(".jsonl")));
}

#[test]
fn dash_output_overwrites_as_asked_and_dash_o_minus_writes_the_trace_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.jsonl");
    std::fs::write(&t, "old contents that are not a trace\n").unwrap();
    let o = forkscope()
        .arg("record")
        .arg("-q")
        .arg("-o")
        .arg(&t)
        .args(["--", "true"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(forkscope::trace::read_all(&t).is_ok());
    // -o -: the trace on stdout, readable, and nothing named "-".
    let o = forkscope()
        .current_dir(dir.path())
        .args(["record", "-q", "-o", "-", "--", "sh", "-c", "exit 4"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    let (header, events, _) = forkscope::trace::reader::read_from(&o.stdout[..]).unwrap();
    assert_eq!(header.argv.len(), 3);
    assert!(events.iter().any(|e| e.kind.name() == "exit"));
    assert!(!dir.path().join("-").exists());
}

#[test]
fn a_summary_for_dash_o_minus_says_the_trace_went_to_stdout_not_to_a_file_named_dash() {
    let script = "echo said >&2; exit 5";
    let plain = std::process::Command::new("sh")
        .args(["-c", script])
        .output()
        .unwrap();
    for (lang, said) in [("en", "Trace: stdout ("), ("zh", "trace 写到了标准输出（")] {
        let o = forkscope()
            .args([
                "--lang", lang, "record", "-o", "-", "--", "sh", "-c", script,
            ])
            .output()
            .unwrap();
        // The program as untraced: its status and its own stderr line.
        assert_eq!(o.status.code(), plain.status.code());
        let err = stderr(&o);
        assert!(err.starts_with("said\n"), "{err}");
        // The summary says where the trace is: on stdout, which holds it.
        assert!(err.contains(said), "{err}");
        assert!(!err.contains("Trace: -") && !err.contains("：-（"), "{err}");
        let (_, events, _) = forkscope::trace::reader::read_from(&o.stdout[..]).unwrap();
        let n = format!("{} ", events.len());
        assert!(err.contains(&(said.to_string() + &n)), "{n}: {err}");
    }
}

/// Runs forkscope with `input` on stdin.
fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = forkscope()
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let w = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let o = child.wait_with_output().unwrap();
    w.join().unwrap();
    o
}

#[test]
fn a_dash_reads_the_trace_from_stdin_in_every_reading_subcommand() {
    let r = record(&["sh", "-c", "echo x | cat"]);
    let bytes = std::fs::read(&r.trace).unwrap();
    let t = r.trace.to_str().unwrap();
    for cmd in [
        &["replay"][..],
        &["tree"][..],
        &["doctor"][..],
        &["diagram"][..],
        &["export", "--format", "json"][..],
    ] {
        let mut from_file: Vec<&str> = cmd.to_vec();
        from_file.push(t);
        let a = forkscope().args(&from_file).output().unwrap();
        let mut from_stdin: Vec<&str> = cmd.to_vec();
        from_stdin.push("-");
        let b = with_stdin(&from_stdin, &bytes);
        assert_eq!(a.status.code(), b.status.code(), "{cmd:?}: {}", stderr(&b));
        assert!(!a.stdout.is_empty(), "{cmd:?}");
        assert_eq!(stdout(&a), stdout(&b), "{cmd:?}");
    }
    // -o - for diagram and export: stdout, no file named "-".
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        &["diagram", "-o", "-"][..],
        &["export", "--format", "json", "-o", "-"][..],
    ] {
        let o = forkscope()
            .current_dir(dir.path())
            .args(cmd)
            .arg(&r.trace)
            .output()
            .unwrap();
        assert!(o.status.success() && !o.stdout.is_empty(), "{cmd:?}");
        assert!(!dir.path().join("-").exists(), "{cmd:?}");
    }
}

#[test]
fn a_trace_saved_with_a_byte_order_mark_reads_as_without() {
    let r = record(&["sh", "-c", "echo x | cat"]);
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend(std::fs::read(&r.trace).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let b = dir.path().join("bom.jsonl");
    std::fs::write(&b, &bom).unwrap();
    let plain = forkscope().arg("tree").arg(&r.trace).output().unwrap();
    let marked = forkscope().arg("tree").arg(&b).output().unwrap();
    assert!(marked.status.success(), "{}", stderr(&marked));
    assert_eq!(plain.stdout, marked.stdout);
}

/// The folder a demo says it wrote into (from its "The trace: DIR/NAME.jsonl" line).
fn demo_folder(o: &Output) -> std::path::PathBuf {
    let t = stdout(o);
    let line = t
        .lines()
        .find_map(|l| l.strip_prefix("The trace: "))
        .unwrap_or_else(|| panic!("no trace line in:\n{t}"));
    let path = line.split(" (").next().unwrap();
    std::path::Path::new(path).parent().unwrap().to_path_buf()
}

#[test]
fn each_demo_gets_a_new_private_folder_so_a_second_user_runs_it_and_a_planted_symlink_is_never_followed(
) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    // A shared temp directory like /tmp: world-writable and sticky.
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let victim = shared.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o666)).unwrap();
    // The old fixed folder, with a symlink planted where the trace went.
    let old = shared.path().join("forkscope-demo");
    std::fs::create_dir(&old).unwrap();
    std::os::unix::fs::symlink(&victim, old.join("pipeline.jsonl")).unwrap();
    let demo_as = |user: Option<&str>| {
        let mut c = match user {
            None => forkscope(),
            Some(uid) => {
                let mut c = std::process::Command::new("setpriv");
                c.args([
                    &format!("--reuid={uid}"),
                    &format!("--regid={uid}"),
                    "--clear-groups",
                    "--",
                    env!("CARGO_BIN_EXE_forkscope"),
                ])
                .env("LANG", "C.UTF-8");
                c
            }
        };
        c.args(["--color", "never", "demo"])
            .env("TMPDIR", shared.path())
            .current_dir(shared.path())
            .output()
            .unwrap()
    };
    let first = demo_as(None);
    assert!(first.status.success(), "{}", stderr(&first));
    let a = demo_folder(&first);
    assert_eq!(a.parent().unwrap(), shared.path());
    let meta = std::fs::metadata(&a).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o700, "{}", a.display());
    assert!(a.join("pipeline.jsonl").is_file() && a.join("pipeline.html").is_file());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // A second demo by an unprivileged user (needs root to switch to it).
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        let second = demo_as(Some("65534"));
        assert!(second.status.success(), "{}", stderr(&second));
        let b = demo_folder(&second);
        assert_ne!(a, b);
        assert_eq!(std::fs::metadata(&b).unwrap().uid(), 65534);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    } else {
        eprintln!("note: not root, so the second demo ran as the same user");
        let second = demo_as(None);
        assert_ne!(a, demo_folder(&second));
    }
    // --out-dir: a symlink there is refused, not written through.
    let mine = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&victim, mine.path().join("pipeline.jsonl")).unwrap();
    let o = forkscope()
        .args(["demo", "--out-dir"])
        .arg(mine.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).contains("is a symbolic link"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[test]
fn the_demos_next_lines_name_the_binary_as_run_and_keep_the_language() {
    // The test binary's directory is not on the PATH: the lines name it by path.
    let dir = tempfile::tempdir().unwrap();
    let o = forkscope()
        .args(["--color", "never", "--lang", "zh", "demo", "--out-dir"])
        .arg(dir.path())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let me = env!("CARGO_BIN_EXE_forkscope");
    let t = stdout(&o);
    let next: Vec<&str> = t
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(" tree "))
        .collect();
    assert_eq!(next.len(), 1, "{t}");
    assert!(
        next[0].starts_with(&format!("  {me} --lang zh tree ")),
        "{t}"
    );
    // Run as written, the line works.
    let words: Vec<&str> = next[0]
        .split_whitespace()
        .take_while(|w| *w != "#")
        .collect();
    let again = std::process::Command::new(words[0])
        .args(&words[1..])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(stdout(&again).contains("退出"), "{}", stdout(&again));
    // On the PATH, it is plain `forkscope`.
    let bin = std::path::Path::new(me).parent().unwrap();
    let o = forkscope()
        .args(["--color", "never", "demo", "--out-dir"])
        .arg(dir.path())
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    assert!(stdout(&o).contains("\n  forkscope tree "), "{}", stdout(&o));
}

#[test]
fn filters_refuse_a_pid_the_trace_does_not_have_and_options_that_would_be_ignored() {
    let r = record(&["sh", "-c", "echo x | cat"]);
    let t = r.trace.to_str().unwrap();
    let root = r.events[0].pid.to_string();
    // A pid that is in the trace: lines; one that is not: an error.
    let ok = forkscope()
        .args(["replay", t, "--pid", &root])
        .output()
        .unwrap();
    assert!(ok.status.success() && !ok.stdout.is_empty());
    let o = forkscope()
        .args(["replay", t, "--pid", "99999"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("no process 99999 in the trace"),
        "{}",
        stderr(&o)
    );
    // ... also when --range ends before that pid could have appeared.
    let o = forkscope()
        .args(["replay", t, "--pid", "99999", "--range", "..2"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    // diagram and replay --at: a process not alive at the moment.
    for args in [
        &["diagram", t, "--pid", "99999", "--at", "5"][..],
        &["replay", t, "--pid", "99999", "--at", "5"][..],
    ] {
        let o = forkscope().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(125), "{args:?}");
        assert!(
            stderr(&o).contains("is not alive after #5"),
            "{args:?}: {}",
            stderr(&o)
        );
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // --at with --kind or --collapse-files: said, not ignored.
    for extra in ["--kind=fork", "--collapse-files"] {
        let o = forkscope()
            .args(["replay", t, "--at", "5", extra])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(125), "{extra}");
        assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    }
}

#[test]
fn replay_at_with_json_prints_the_state_as_json_matching_the_text() {
    let r = record(&["sh", "-c", "echo x | cat"]);
    let t = r.trace.to_str().unwrap();
    // The moment the pipeline's reader runs cat: a pipe with a reader.
    let at = r
        .events
        .iter()
        .rfind(|e| matches!(&e.kind, forkscope::trace::EventKind::Exec { .. }))
        .unwrap()
        .seq
        .to_string();
    let o = forkscope()
        .args(["replay", t, "--at", &at, "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["after"].to_string(), at);
    let text = stdout(
        &forkscope()
            .args(["replay", t, "--at", &at])
            .output()
            .unwrap(),
    );
    let procs = v["processes"].as_array().unwrap();
    assert!(!procs.is_empty());
    for p in procs {
        let pid = p["pid"].as_i64().unwrap();
        assert!(
            text.contains(&format!("  {pid} {}", p["program"].as_str().unwrap())),
            "{text}"
        );
        for fd in p["fds"].as_array().unwrap() {
            let line = format!(
                "fd {:<3} -> {}",
                fd["fd"].as_i64().unwrap(),
                fd["what"].as_str().unwrap()
            );
            assert!(text.contains(&line), "{line:?} not in\n{text}");
        }
    }
    let pipes = v["pipes"].as_array().unwrap();
    assert!(!pipes.is_empty());
    for p in pipes {
        assert!(text.contains(p["name"].as_str().unwrap()), "{text}");
    }
    // Its pid filter agrees with the text's.
    let cat = procs.last().unwrap()["pid"].to_string();
    let one = forkscope()
        .args(["replay", t, "--at", &at, "--json", "--pid", &cat])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(v["processes"].as_array().unwrap().len(), 1);
}

#[test]
fn replay_prints_failed_dups_and_sockets_as_strace_does() {
    let prog = fixture("failed_dups_and_sockets");
    let plain = std::process::Command::new(&prog).output().unwrap();
    let r = record(&[&prog]);
    assert_eq!(r.stdout(), String::from_utf8_lossy(&plain.stdout));
    // What the program itself saw: the fds the calls returned.
    let seen = r.stdout();
    let w: Vec<&str> = seen.split_whitespace().collect();
    assert_eq!(
        &w[..6],
        ["fcntl", "-1", "EBADF", "dup", "-1", "EBADF"],
        "{seen}"
    );
    let (s, a, b) = (
        w[7],
        w[10].trim_matches(['[', ',']),
        w[11].trim_end_matches(']'),
    );
    let text = stdout(
        &forkscope()
            .args(["--color", "never", "replay"])
            .arg(&r.trace)
            .output()
            .unwrap(),
    );
    for want in [
        "  fcntl(42, F_DUPFD) = -1 EBADF".to_string(),
        "  dup(43) = -1 EBADF".to_string(),
        format!("  socket(AF_UNIX) = {s}"),
        format!("  socketpair(AF_UNIX, [{a}, {b}]) = 0"),
    ] {
        assert!(text.contains(&want), "{want:?} not in:\n{text}");
    }
    assert!(!text.contains("= -1 = -1"), "{text}");
}

#[test]
fn bytes_that_are_not_utf8_show_as_hex_escapes_so_different_names_never_look_the_same() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    // Two names that U+FFFD would have made look alike: a raw 0xff byte,
    // and the UTF-8 encoding of U+FFFD itself.
    let script =
        "echo a > \"$(printf 'f\\377')\"; echo b > \"$(printf 'f\\357\\277\\275')\"; cat f*";
    let plain = std::process::Command::new("sh")
        .args(["-c", script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    for f in std::fs::read_dir(dir.path()).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let t = tempfile::tempdir().unwrap();
    let trace = t.path().join("t.jsonl");
    let o = forkscope()
        .arg("record")
        .arg("-q")
        .arg("-o")
        .arg(&trace)
        .args(["--", "sh", "-c", script])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.stdout, plain.stdout);
    assert_eq!(o.status.code(), plain.status.code());
    // The trace keeps the exact bytes.
    let (_, events, _) = forkscope::trace::read_all(&trace).unwrap();
    let paths: Vec<Vec<u8>> = events
        .iter()
        .filter_map(|e| match &e.kind {
            forkscope::trace::EventKind::Open { path, .. } => Some(path.as_bytes().to_vec()),
            _ => None,
        })
        .collect();
    assert!(paths.contains(&b"f\xff".to_vec()), "{paths:?}");
    assert!(
        paths.contains(&"f\u{fffd}".as_bytes().to_vec()),
        "{paths:?}"
    );
    // Replay and tree show them apart: \xff for the byte.
    let text = stdout(&forkscope().arg("replay").arg(&trace).output().unwrap());
    assert!(
        text.contains("open(\"f\\xff\", O_WRONLY|O_CREAT|O_TRUNC)"),
        "{text}"
    );
    assert!(
        text.contains("open(\"f\u{fffd}\", O_WRONLY|O_CREAT|O_TRUNC)"),
        "{text}"
    );
    let tree = stdout(&forkscope().arg("tree").arg(&trace).output().unwrap());
    let cat = tree.lines().find(|l| l.contains("→ cat")).unwrap();
    assert!(
        cat.contains("f\\xff") && cat.contains("f\u{fffd}"),
        "{tree}"
    );
    // And the files are the program's own, named by their bytes.
    let names: Vec<Vec<u8>> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().as_bytes().to_vec())
        .collect();
    assert_eq!(names.len(), 2);
}

#[test]
fn failed_and_successful_split_the_calls_and_kind_takes_syscall_names() {
    // A PATH lookup: the shell tries each directory; all but the last fail.
    let dir = tempfile::tempdir().unwrap();
    let path = format!("{0}/a:{0}/b:/usr/bin:/bin", dir.path().display());
    let r = record(&["sh", "-c", &format!("PATH={path}; exec env true")]);
    let t = r.trace.to_str().unwrap();
    let lines = |extra: &[&str]| -> Vec<String> {
        let o = forkscope()
            .args(["replay", t])
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        stdout(&o).lines().map(str::to_owned).collect()
    };
    let all = lines(&["--kind", "exec"]);
    let failed = lines(&["--kind", "exec", "--failed"]);
    let ok = lines(&["--kind", "exec", "--successful"]);
    // The two filters split the lines between them, and each side is what it says.
    assert_eq!(failed.len() + ok.len(), all.len());
    assert!(failed.len() >= 2, "{all:#?}");
    assert!(
        failed.iter().all(|l| l.contains("= -1 ENOENT")),
        "{failed:#?}"
    );
    assert!(ok.iter().all(|l| !l.contains("= -1 ")), "{ok:#?}");
    // The trace agrees: failed execs are the ones recorded not ok.
    let not_ok = r
        .events
        .iter()
        .filter(|e| matches!(e.kind, forkscope::trace::EventKind::Exec { ok: false, .. }))
        .count();
    assert_eq!(failed.len(), not_ok);
    // Syscall names: execve is the exec kind; dup2 only the dup2s; clone
    // the forks glibc makes with clone.
    assert_eq!(lines(&["--kind", "execve"]), all);
    let p = record(&["sh", "-c", "echo x | cat >/dev/null"]);
    let t = p.trace.to_str().unwrap();
    let o = forkscope()
        .args(["replay", t, "--kind", "dup2"])
        .output()
        .unwrap();
    let dup2 = stdout(&o);
    assert!(
        !dup2.is_empty() && dup2.lines().all(|l| l.contains("  dup2(")),
        "{dup2}"
    );
    let o = forkscope()
        .args(["replay", t, "--kind", "dup"])
        .output()
        .unwrap();
    assert!(stdout(&o).lines().count() >= dup2.lines().count());
    let forks = p.count("fork");
    let o = forkscope()
        .args(["replay", t, "--kind", "clone,vfork,fork"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o).lines().count(), forks);
    // --failed with --at is refused; an unknown name lists the names.
    let o = forkscope()
        .args(["replay", t, "--failed", "--at", "3"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    let o = forkscope()
        .args(["replay", t, "--kind", "exceve"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("syscall names: execve"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn replay_t_prints_wall_clock_microseconds_r_the_gap_and_durations_what_lasted() {
    let r = record(&["sh", "-c", "echo x | cat >/dev/null"]);
    let t = r.trace.to_str().unwrap();
    let o = forkscope()
        .env("TZ", "UTC")
        .args([
            "replay",
            t,
            "-t",
            "-r",
            "--durations",
            "--kind",
            "fork,exec,exit,wait",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let shown: Vec<&forkscope::trace::Event> = r
        .events
        .iter()
        .filter(|e| ["fork", "exec", "exit", "wait"].contains(&e.kind.name()))
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), shown.len());
    let mut prev = None;
    for (l, e) in lines.iter().zip(&shown) {
        let w: Vec<&str> = l.split_whitespace().collect();
        // -t: the event's own time of day (UTC here), to the microsecond.
        let ns = r.header.start_unix_ns + e.ts_ns;
        let day = (ns / 1_000_000_000) % 86_400;
        let want = format!(
            "{:02}:{:02}:{:02}.{:06}",
            day / 3600,
            day / 60 % 60,
            day % 60,
            ns % 1_000_000_000 / 1000
        );
        assert_eq!(w[0], want, "{l}");
        // -r: seconds since the line before.
        let gap = prev.map_or(0, |p| e.ts_ns - p) as f64 / 1e9;
        let got: f64 = w[1].parse().unwrap();
        assert!((got - gap).abs() < 2e-6, "{l}: {got} vs {gap}");
        prev = Some(e.ts_ns);
        assert_eq!(w[2], format!("#{}", e.seq));
        // --durations: an exit says how long its process lived, a reaping
        // wait how long the child was a zombie.
        match e.kind.name() {
            "exit" => assert!(l.contains("<lived "), "{l}"),
            "wait" if l.contains("reaps") => assert!(l.contains("<zombie "), "{l}"),
            _ => assert!(!l.contains(" <"), "{l}"),
        }
    }
    // The lifetimes agree with the tree's start–end times: the root's.
    let root_exit = lines.last().unwrap();
    assert!(root_exit.contains("+++ exit 0 +++"), "{root_exit}");
    // -t with --json would be ignored: refused.
    let o = forkscope()
        .args(["replay", t, "-t", "--json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
}

#[test]
fn help_keeps_one_example_per_line_and_offers_only_what_works() {
    for (cmd, example) in [
        ("replay", "\n  forkscope replay t.jsonl --at 41\n"),
        (
            "diagram",
            "\n  forkscope diagram t.jsonl --format html -o t.html",
        ),
        ("demo", "\n  forkscope demo --list\n"),
    ] {
        let o = forkscope().args([cmd, "--help"]).output().unwrap();
        assert!(stdout(&o).contains(example), "{cmd}:\n{}", stdout(&o));
    }
    // snapshot does not offer html (a snapshot is one moment) ...
    let help = stdout(&forkscope().args(["snapshot", "--help"]).output().unwrap());
    assert!(help.contains("ascii, svg, dot, mermaid"), "{help}");
    assert!(!help.contains("html:"), "{help}");
    // ... and clap refuses it before anything runs.
    let o = forkscope()
        .args(["snapshot", "-f", "html", "1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    assert!(
        stderr(&o).contains("invalid value 'html'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn man_out_dir_creates_the_folder_like_demo_out_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("share/man/man1");
    let o = forkscope()
        .args(["man", "--out-dir"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let page = std::fs::read_to_string(out.join("forkscope-replay.1")).unwrap();
    assert!(
        page.contains("forkscope replay t.jsonl \\-\\-at 41"),
        "{page}"
    );
}

#[test]
fn os_errors_in_chinese_messages_are_said_in_chinese_too() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jsonl");
    let o = forkscope()
        .args(["--lang", "zh", "tree"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).contains("没有那个文件或目录"), "{}", stderr(&o));
    let o = forkscope()
        .args(["--lang", "zh", "record", "-o"])
        .arg(dir.path().join("no/such/dir/t.jsonl"))
        .args(["--", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    assert!(stderr(&o).contains("没有那个文件或目录"), "{}", stderr(&o));
}

#[test]
fn every_tree_node_names_its_program_and_long_argv_is_quoted_and_cut_visibly() {
    let bash = ["/bin/bash", "/usr/bin/bash"]
        .into_iter()
        .find(|b| std::path::Path::new(b).exists());
    let Some(bash) = bash else {
        eprintln!("note: no bash here; the process-substitution case is skipped");
        return;
    };
    // bash forks for <(echo a) before it execs cat: the child is a bash.
    let r = record(&[bash, "-c", "cat <(echo a)"]);
    assert_eq!(r.stdout(), "a\n");
    let tree = stdout(&forkscope().arg("tree").arg(&r.trace).output().unwrap());
    for line in tree.lines() {
        let rest = line.trim_start_matches(['├', '└', '│', '─', ' ']);
        let mut w = rest.split_whitespace();
        let pid = w.next().unwrap();
        assert!(pid.parse::<i32>().is_ok(), "{line}");
        let name = w.next().unwrap();
        assert!(
            name.chars().next().unwrap().is_alphabetic(),
            "no name in {line:?}"
        );
    }
    assert!(tree.lines().nth(1).unwrap().contains(" bash "), "{tree}");
    // A long argv: quoted as a shell needs it, cut with … and a count.
    let long = "x".repeat(100);
    let r = record(&[
        "sh",
        "-c",
        "exec echo \"$@\" >/dev/null",
        "sh",
        "a b",
        &long,
    ]);
    let tree = stdout(&forkscope().arg("tree").arg(&r.trace).output().unwrap());
    let line = tree.lines().next().unwrap();
    // The whole quoted argv after the program name, and what the line kept.
    let whole = format!("'a b' {long}");
    assert!(line.contains(" echo 'a b' xxx"), "{line}");
    let kept = line
        .split(" echo ")
        .nth(1)
        .unwrap()
        .split('…')
        .next()
        .unwrap();
    let cut: usize = line
        .split("… (+")
        .nth(1)
        .and_then(|t| t.split(" chars)").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"));
    assert_eq!(kept.chars().count() + cut, whole.chars().count(), "{line}");
}

#[test]
fn the_readme_says_how_to_install_runs_the_demo_it_describes_and_its_picture_is_remade_by_its_command(
) {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains("cargo install --locked --path ."));
    // The demo the README describes is the one that runs.
    let script = forkscope::demo::SCENARIOS[0].script;
    assert!(
        readme.contains(&format!("`{script}`")),
        "README does not name `{script}`"
    );
    // The picture: the README's own command makes exactly the committed file.
    let cmd = readme
        .split('`')
        .find(|c| c.starts_with("forkscope diagram ") && c.contains("docs/img/"))
        .expect("the README gives the command that makes its picture");
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let out_at = words.iter().position(|w| *w == "-o").unwrap();
    let committed = std::fs::read(repo().join(words[out_at + 1])).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("picture.svg");
    let mut args: Vec<std::ffi::OsString> = words[1..out_at].iter().map(|w| w.into()).collect();
    args.push("-o".into());
    args.push(fresh.clone().into());
    let o = forkscope()
        .current_dir(repo())
        .args(&args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read(&fresh).unwrap() == committed,
        "the README's picture is stale: run `{cmd}`"
    );
}

#[test]
fn record_live_prints_the_replay_timeline_on_stderr_as_it_records() {
    let script = "echo x | cat; echo y >&2; exit 3";
    let plain = std::process::Command::new("sh")
        .args(["-c", script])
        .output()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for filters in [
        &["--collapse-files"][..],
        &["--kind", "fork,exec,dup2,exit"][..],
    ] {
        let t = dir.path().join("t.jsonl");
        let o = forkscope()
            .args(["--color", "never", "record", "-q", "--live"])
            .args(filters)
            .arg("-o")
            .arg(&t)
            .args(["--", "sh", "-c", script])
            .output()
            .unwrap();
        // The program is as untraced: output and status.
        assert_eq!(o.stdout, plain.stdout);
        assert_eq!(o.status.code(), plain.status.code());
        // Its own stderr line is there, and so is every line replay
        // prints with the same filters, in the same order.
        let err = stderr(&o);
        assert!(err.lines().any(|l| l == "y"), "{err}");
        let replay = forkscope()
            .args(["--color", "never", "replay"])
            .arg(&t)
            .args(filters)
            .output()
            .unwrap();
        let want: Vec<String> = stdout(&replay).lines().map(str::to_owned).collect();
        assert!(want.len() >= 4, "{want:?}");
        let got: Vec<String> = err
            .lines()
            .filter(|l| l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        assert_eq!(got, want, "{filters:?}");
    }
    // --live cannot follow stdout; --kind without --live is refused.
    let o = forkscope()
        .args(["record", "--live", "-o", "-", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    let o = forkscope()
        .args(["record", "--kind", "exec", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
}
