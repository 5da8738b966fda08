//! The recorder reads what the kernel calls an opened file (`kernel_name`)
//! once per path and file: a path opened again that reaches the same,
//! unchanged file on the same mount gets the name read before. These tests
//! check that the names recorded are still the kernel's own, as the traced
//! program itself reads them from /proc, when the same path comes to name
//! another file (a symlink moved, a file renamed), and across processes.

mod common;
use common::*;
use forkscope::trace::EventKind;

/// The name each `open` of `path` recorded: its `kernel_name`, or the path
/// itself when the kernel's name was the same.
fn names_of_opens(r: &Recorded, path: &str) -> Vec<String> {
    r.events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Open {
                fd,
                path: p,
                kernel_name,
                ..
            } if *fd >= 0 && p.lossy() == path => {
                Some(kernel_name.as_ref().unwrap_or(p).lossy().into_owned())
            }
            _ => None,
        })
        .collect()
}

fn assert_verify_clean(r: &Recorded) {
    let v = forkscope()
        .args(["replay", "--verify"])
        .arg(&r.trace)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&v.stdout);
    assert!(v.status.success(), "replay --verify:\n{text}");
    assert!(text.contains("0 divergences; 0 anomalies"), "{text}");
}

#[test]
fn a_path_that_comes_to_name_another_file_is_recorded_with_the_new_files_name() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path().to_str().unwrap().to_string();
    // Each step opens $D/link on fd 3 and prints what the kernel calls fd 3;
    // between steps the symlink moves to another file, then that file is
    // renamed (the same inode, reached by the same path, with a new name).
    let script = r#"
        D=$1
        echo one > "$D/a"; echo two > "$D/b"; ln -s a "$D/link"
        show() { exec 3<"$D/link"; readlink /proc/$$/fd/3; exec 3<&-; }
        show
        ln -sfn b "$D/link"
        show
        show
        mv "$D/b" "$D/c"; ln -sfn c "$D/link"
        show
        mv "$D/c" "$D/b"; ln -sfn b "$D/link"
        show
    "#;
    let r = record(&["sh", "-c", script, "sh", &d]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let printed: Vec<String> = r.stdout().lines().map(String::from).collect();
    let want: Vec<String> = ["a", "b", "b", "c", "b"]
        .iter()
        .map(|f| format!("{d}/{f}"))
        .collect();
    assert_eq!(printed, want, "what the kernel said untraced-alike");
    assert_eq!(names_of_opens(&r, &format!("{d}/link")), printed);
    assert_verify_clean(&r);
}

#[test]
fn a_path_opened_by_many_processes_gets_the_kernels_name_in_each() {
    let canonical = std::fs::canonicalize("/bin/sh").unwrap();
    let canonical = canonical.to_str().unwrap();
    let r = record(&[
        "sh",
        "-c",
        "for i in 1 2 3 4; do cat /bin/sh >/dev/null; done; exec 7</bin/sh; exec /bin/true",
    ]);
    assert_eq!(r.code(), 0, "{}", r.stderr());
    let names = names_of_opens(&r, "/bin/sh");
    assert_eq!(names, vec![canonical.to_string(); 5]);
    assert_verify_clean(&r);
}
