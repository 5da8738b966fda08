//! No false alarms (issue 12): programs that wait but are not stuck, each
//! recorded under `record --stall-timeout 1 --on-deadlock kill`: no hang is
//! claimed, nothing is killed, and the traced run prints and ends as the
//! untraced one. (tests/hang.rs has more: a busy pipeline, a computation,
//! `sleep 3`, a slow producer, a Python parent polling a slow child, a lock
//! held for 1.5 s then released.)
//!
//! Every program runs in its own process group, killed when the test ends.
//! Timing is printed, never asserted.

mod common;

use common::{check_invariants, forkscope};
use forkscope::trace::{read_all, EventKind};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child in its own process group; the whole group is SIGKILLed on drop.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        // SAFETY: killpg takes integers only.
        unsafe {
            libc::killpg(self.0.id() as i32, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

/// Runs `cmd` in its own group (killed after 60 s at worst): (stdout,
/// stderr, exit code).
fn run(cmd: &mut Command) -> (String, String, Option<i32>) {
    let start = Instant::now();
    let mut g = Group(
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut out = g.0.stdout.take().unwrap();
    let mut err = g.0.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        err.read_to_string(&mut s).unwrap();
        s
    });
    let status = loop {
        if let Some(st) = g.0.try_wait().unwrap() {
            break st;
        }
        assert!(start.elapsed() < Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(20));
    };
    (out.join().unwrap(), err.join().unwrap(), status.code())
}

/// Records `cmd` under --stall-timeout 1 --on-deadlock kill and checks it
/// was not taken for a hang: same output and exit as untraced, no report,
/// no stall in the trace, nothing killed.
fn no_alarm(cmd: &[&str]) {
    let (plain_out, _, plain_code) = run(Command::new(cmd[0]).args(&cmd[1..]));
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.jsonl");
    let start = Instant::now();
    let (out, err, code) = run(forkscope()
        .args(["record", "-q", "-o"])
        .arg(&trace)
        .args(["--stall-timeout", "1", "--on-deadlock", "kill", "--"])
        .args(cmd));
    eprintln!(
        "{cmd:?}: recorded in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    assert_eq!(
        (out, code),
        (plain_out, plain_code),
        "the traced run ends as the untraced one\n{err}"
    );
    assert!(
        !err.contains("Fix:") && !err.contains("made progress") && !err.contains("killing"),
        "no report for {cmd:?}:\n{err}"
    );
    let (header, events, _) = read_all(&trace).unwrap();
    check_invariants(&header, &events);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Stall { .. })),
        "no stall in the trace"
    );
}

#[test]
fn an_idle_daemon_that_outlives_its_script_with_its_output_redirected_is_no_hang() {
    // The script ends at once; its daemon sleeps on, holding no pipe.
    no_alarm(&[
        "sh",
        "-c",
        "sh -c 'sleep 2.5 </dev/null >/dev/null 2>&1 & echo started' | cat",
    ]);
}

#[test]
fn a_python_parent_in_communicate_with_a_slow_child_is_no_hang() {
    // communicate() writes the input, closes stdin, and polls stdout and
    // stderr untimed; the child sleeps before it reads and writes.
    no_alarm(&[
        "python3",
        "-c",
        "import subprocess, sys\n\
p = subprocess.Popen(['sh', '-c', 'sleep 2.5; cat; echo done >&2'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n\
out, err = p.communicate(b'hello')\n\
sys.stdout.write(out.decode() + err.decode())\n\
sys.exit(p.returncode)",
    ]);
}

#[test]
fn an_asyncio_loop_waiting_for_a_slow_child_is_no_hang() {
    // The loop waits on its own socket pair and on the child's stdout; the
    // child sleeps, then writes and exits: nothing is stuck.
    let script = [
        "import asyncio",
        "async def main():",
        "    p = await asyncio.create_subprocess_exec('sh', '-c', 'sleep 2.5; echo hi', stdout=asyncio.subprocess.PIPE)",
        "    print((await p.stdout.read()).decode(), end='')",
        "    await p.wait()",
        "asyncio.run(main())",
    ]
    .join("\n");
    no_alarm(&["python3", "-c", &script]);
}

#[test]
fn a_background_job_that_writes_now_and_then_is_no_long_wait() {
    // It holds the pipeline's write end, but it is a slow producer: it has
    // written, so sort's wait is not held off by an idle holder. (sort
    // prints once every line is in, in one order whoever wrote first.)
    no_alarm(&[
        "sh",
        "-c",
        "{ (echo a; sleep 2.5; echo b) & echo hi; } | sort",
    ]);
}
