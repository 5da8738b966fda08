//! Processes that name themselves (prctl PR_SET_NAME): `ps` shows that
//! name, forkscope shows the program's name and that one where they
//! differ. The `exit` event carries the name (`comm`) when /proc still
//! shows the process as it ends (here a zombie its parent has not reaped);
//! `tree` and `doctor` show both names from the trace, in English and
//! Chinese. Live hang reports read it from /proc (tests/hang_fixes.rs).

mod common;

use common::{fixture, forkscope, record};
use forkscope::trace::EventKind;
use std::process::Command;

/// `forkscope [--lang LANG] SUBCOMMAND TRACE`: stdout.
fn run(lang: &str, sub: &str, trace: &std::path::Path) -> String {
    let out = forkscope()
        .args(["--color", "never", "--lang", lang, sub])
        .arg(trace)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_child_that_names_itself_is_shown_by_both_names_in_tree_and_doctor() {
    let bin = fixture("renamed_child");
    let untraced = Command::new(&bin).output().unwrap();
    assert_eq!(untraced.status.code(), Some(0));
    let r = record(&[&bin]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let child: i32 = r.stdout().trim().parse().expect("the child's pid");
    let comm = r.events.iter().find_map(|e| match &e.kind {
        EventKind::Exit { comm, .. } if e.pid == child => Some(comm.clone()),
        _ => None,
    });
    assert_eq!(
        comm.flatten().map(|c| c.lossy().into_owned()).as_deref(),
        Some("worker-1"),
        "the child's exit carries the name it gave itself"
    );
    // The root's own name is its program's: nothing extra.
    let verify = forkscope()
        .args(["replay", "--verify"])
        .arg(&r.trace)
        .output()
        .unwrap();
    assert!(verify.status.success(), "{verify:?}");
    let tree = run("en", "tree", &r.trace);
    assert!(
        tree.contains(&format!("{child} renamed_child (ps: worker-1)")),
        "{tree}"
    );
    assert_eq!(tree.matches("(ps: ").count(), 1, "{tree}");
    let tree = run("zh", "tree", &r.trace);
    assert!(
        tree.contains(&format!("{child} renamed_child（ps 显示为 worker-1）")),
        "{tree}"
    );
    let flat = |s: &str| s.split_whitespace().collect::<String>();
    let doctor = run("en", "doctor", &r.trace);
    assert!(
        flat(&doctor).contains(&flat(&format!(
            "{child} (renamed_child (ps: worker-1)) exited at"
        ))),
        "{doctor}"
    );
    let doctor = run("zh", "doctor", &r.trace);
    assert!(
        flat(&doctor).contains(&flat(&format!(
            "{child}（renamed_child（ps 显示为 worker-1））"
        ))),
        "{doctor}"
    );
}
