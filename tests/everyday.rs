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
