//! `cargo bench --bench record`: forkscope's recording overhead, side by side
//! with the command run natively, under `strace -f`, and under
//! `strace -f --seccomp-bpf` restricted to the syscalls forkscope stops on.
//!
//! Every variant of a workload runs in the same process, interleaved
//! round-robin (the starting variant rotates each round) so that drift in the
//! machine's load affects all of them alike. The table gives the median, min
//! and max wall time and the ratio of each median to the native median, with
//! forkscope's ratio (and `--backend ebpf`'s) checked against a target
//! (PASS/MISS). It only reports: the exit code is 0 whether or not a target
//! is met.
//!
//! Options (environment):
//! - `FORKSCOPE_BENCH_RUNS`: timed runs per variant (default 7, after 1 warm-up);
//! - `FORKSCOPE_BENCH_ONLY`: comma-separated workloads to run (e.g. `W1,W3`);
//!   bare arguments after `--` select workloads the same way;
//! - `FORKSCOPE_BENCH_TIMEOUT`: seconds after which one run is killed (default 600);
//! - `FORKSCOPE_BENCH_KEEP`: keep the temporary directory (traces, C project);
//! - `FORKSCOPE_BENCH_QUIET_WAIT`: before each timed run, wait up to this many
//!   seconds while other builds (cargo, rustc, cc1, ...) are running (default 0).
//!   Runs with a build seen just before or after them are counted either way.
//! - `FORKSCOPE_BENCH_CPUS`: run every command of every variant (native
//!   included) on these CPUs only, e.g. `0` or `0,1`: a like-for-like
//!   comparison on one CPU, where a ptrace stop needs no cross-CPU wake-up.
//! - `FORKSCOPE_BENCH_LIVE=1`: also `forkscope record --live` (the live
//!   timeline; its stderr is discarded like every variant's), to check that
//!   printing the story while recording does not slow the program.
//! - `FORKSCOPE_BENCH_BASELINE`: another forkscope binary (e.g. built from an
//!   earlier commit) run as one more variant, interleaved with the others, so
//!   "did this change make recording slower?" is answered by ratios from one
//!   run rather than by two runs on a machine whose speed drifts;
//!   `FORKSCOPE_BENCH_BASELINE_ARGS` adds options to its `record` (e.g.
//!   `--backend ebpf`).
//!
//! - built with `--features ebpf`, `forkscope record --backend ebpf` is one
//!   more variant.
//!
//! W5 (`true`) is another: the fixed cost of starting and stopping, which
//! for the eBPF backend (loading, verifying and attaching its programs before
//! the program may start) is most of what a short workload like W2 pays.
//! With the `ebpf` feature the bench then breaks that cost down: W5 recorded
//! again `FORKSCOPE_BENCH_RUNS` times with `FORKSCOPE_EBPF_PHASES=1`, which
//! makes forkscope print how long each step took (src/record/ebpf/phases.rs:
//! open, load, attach, spawn, first, run, drain, teardown); the medians are
//! printed under the table.
//!
//! W0 is not a target but a measuring stick: 20,000 `close(999)` calls (fd 999 is not open), one
//! traced stop each, give the cost of one ptrace stop on this machine
//! (printed under the table), which W1 and W4 pay tens of thousands of times.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

const FORKSCOPE: &str = env!("CARGO_BIN_EXE_forkscope");

/// The syscalls forkscope's seccomp filter stops on (src/record/sysno.rs),
/// given to `strace --seccomp-bpf -e trace=` for a like-for-like comparison.
/// forkscope stops on fcntl only for F_DUPFD, F_DUPFD_CLOEXEC and F_SETFD;
/// strace's filter cannot look at arguments and stops on every fcntl.
const TRACED_SET: &[&str] = &[
    "execve",
    "execveat",
    "pipe",
    "pipe2",
    "dup",
    "dup2",
    "dup3",
    "fcntl",
    "open",
    "openat",
    "openat2",
    "creat",
    "socket",
    "socketpair",
    "accept",
    "accept4",
    "close",
    "close_range",
    "mknod",
    "mknodat",
    "wait4",
    "waitid",
    "kill",
    "tkill",
    "tgkill",
    "rt_sigqueueinfo",
    "rt_tgsigqueueinfo",
    "pidfd_send_signal",
    "setsid",
    "setpgid",
    "epoll_create",
    "epoll_create1",
    "eventfd",
    "eventfd2",
    "signalfd",
    "signalfd4",
    "timerfd_create",
    "inotify_init",
    "inotify_init1",
    "fanotify_init",
    "memfd_create",
    "userfaultfd",
    "perf_event_open",
    "io_uring_setup",
    "pidfd_open",
    "pidfd_getfd",
    "open_by_handle_at",
    "fork",
    "vfork",
    "clone",
    "clone3",
];

/// Environment variables that would change how a workload's `make` behaves
/// when the benchmark itself is started from make.
const SCRUBBED_ENV: &[&str] = &["MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"];

/// `cargo bench` prepends the target directory and the Rust toolchain's
/// library directories to LD_LIBRARY_PATH. Left in place, every program a
/// workload starts would probe dozens of missing libc.so.6 paths (an extra
/// ~80 failed opens per exec, each a stop for forkscope), which is not how
/// the command runs from a shell. Returns the value to give the workloads
/// (None: unset it) and the entries dropped.
fn workload_ld_library_path() -> (Option<String>, Vec<String>) {
    let Some(cur) = std::env::var_os("LD_LIBRARY_PATH") else {
        return (None, Vec::new());
    };
    let cur = cur.to_string_lossy().into_owned();
    // The target directory: .../target/<profile>/deps/record-HASH -> .../target.
    let mut roots: Vec<PathBuf> = Vec::new();
    for exe in [std::env::current_exe().ok(), Some(PathBuf::from(FORKSCOPE))]
        .into_iter()
        .flatten()
    {
        if let Some(profile) = exe.ancestors().find(|a| {
            a.file_name()
                .is_some_and(|n| n == "release" || n == "debug")
        }) {
            roots.extend(profile.parent().map(Path::to_path_buf));
        }
    }
    // The toolchain sysroot: SYSROOT/lib/rustlib/TRIPLE/lib -> SYSROOT.
    for entry in cur.split(':') {
        let p = Path::new(entry);
        let parts: Vec<_> = p.components().rev().take(4).collect();
        if parts.len() == 4
            && parts[0].as_os_str() == "lib"
            && parts[2].as_os_str() == "rustlib"
            && parts[3].as_os_str() == "lib"
        {
            roots.extend(p.ancestors().nth(4).map(Path::to_path_buf));
        }
    }
    let (dropped, kept): (Vec<&str>, Vec<&str>) = cur
        .split(':')
        .filter(|e| !e.is_empty())
        .partition(|e| roots.iter().any(|r| Path::new(e).starts_with(r)));
    let dropped = dropped.into_iter().map(str::to_string).collect();
    ((!kept.is_empty()).then(|| kept.join(":")), dropped)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Native,
    Forkscope,
    Strace,
    StraceSeccomp,
    /// The binary named by FORKSCOPE_BENCH_BASELINE.
    Baseline,
    /// `forkscope record --backend ebpf`, in builds with the `ebpf` feature.
    Ebpf,
    /// `forkscope record --live` (FORKSCOPE_BENCH_LIVE=1): the timeline
    /// printed while recording (to stderr, which the bench discards).
    Live,
}

impl Variant {
    const ALL: [Variant; 7] = [
        Variant::Native,
        Variant::Forkscope,
        Variant::Strace,
        Variant::StraceSeccomp,
        Variant::Baseline,
        Variant::Ebpf,
        Variant::Live,
    ];

    fn label(self) -> &'static str {
        match self {
            Variant::Native => "native",
            Variant::Forkscope => "forkscope record",
            Variant::Strace => "strace -f",
            Variant::StraceSeccomp => "strace -f --seccomp-bpf",
            Variant::Baseline => "forkscope (baseline)",
            Variant::Ebpf => "forkscope --backend ebpf",
            Variant::Live => "forkscope record --live",
        }
    }
}

struct Workload {
    name: &'static str,
    shown: &'static str,
    argv: Vec<String>,
    /// Working directory (the copied C project for W4).
    cwd: Option<PathBuf>,
    /// Run before every run of every variant, untimed (`make clean`).
    prepare: Option<Vec<String>>,
    /// forkscope's target: median / native median (none for W0).
    target: Option<f64>,
    /// `--backend ebpf`'s target (issue 16), the same way.
    ebpf_target: Option<f64>,
}

fn sh(script: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), script.into()]
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// How many close(999) calls W0 makes.
const W0_CLOSES: u32 = 20_000;

fn workloads(project: &Path) -> Vec<Workload> {
    vec![
        Workload {
            name: "W0",
            shown: "perl -MPOSIX -e 'POSIX::close(999) for 1..20000' (cost of one stop)",
            argv: vec![
                "perl".into(),
                "-MPOSIX".into(),
                "-e".into(),
                format!("POSIX::close(999) for 1..{W0_CLOSES}"),
            ],
            cwd: None,
            prepare: None,
            target: None,
            ebpf_target: None,
        },
        Workload {
            name: "W1",
            shown: "sh -c 'for i in $(seq 300); do echo $i | cat >/dev/null; done'",
            argv: sh("for i in $(seq 300); do echo $i | cat >/dev/null; done"),
            cwd: None,
            prepare: None,
            target: Some(2.0),
            ebpf_target: Some(1.15),
        },
        Workload {
            name: "W2",
            shown: "dd if=/dev/zero of=/dev/null bs=1 count=300000",
            argv: strings(&["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=300000"]),
            cwd: None,
            prepare: None,
            target: Some(1.1),
            ebpf_target: Some(1.05),
        },
        Workload {
            name: "W3",
            shown: "sh -c 'head -c 400000000 /dev/zero | cat | wc -c'",
            argv: sh("head -c 400000000 /dev/zero | cat | wc -c"),
            cwd: None,
            prepare: None,
            target: Some(1.05),
            ebpf_target: Some(1.02),
        },
        Workload {
            name: "W4",
            shown: "make -j2 (17-file C project, make clean before each run)",
            argv: strings(&["make", "-j2"]),
            cwd: Some(project.to_path_buf()),
            prepare: Some(strings(&["make", "clean"])),
            target: Some(1.5),
            ebpf_target: Some(1.10),
        },
        Workload {
            name: "W5",
            shown: "true (what starting and stopping costs)",
            argv: strings(&["true"]),
            cwd: None,
            prepare: None,
            target: None,
            ebpf_target: None,
        },
    ]
}

struct Config {
    runs: usize,
    only: Option<Vec<String>>,
    timeout: Duration,
    keep: bool,
    quiet_wait: Duration,
    cpus: Option<Vec<usize>>,
}

fn config() -> Config {
    let runs = match std::env::var("FORKSCOPE_BENCH_RUNS") {
        Ok(s) => match s.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("FORKSCOPE_BENCH_RUNS={s:?} is not a positive number; using 7");
                7
            }
        },
        Err(_) => 7,
    };
    let mut only: Vec<String> = std::env::var("FORKSCOPE_BENCH_ONLY")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty())
        .collect();
    // `cargo bench --bench record -- W1` (cargo also passes `--bench`).
    only.extend(
        std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with('-'))
            .map(|a| a.to_ascii_uppercase()),
    );
    let timeout = std::env::var("FORKSCOPE_BENCH_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(600);
    Config {
        runs,
        only: (!only.is_empty()).then_some(only),
        timeout: Duration::from_secs(timeout),
        keep: std::env::var_os("FORKSCOPE_BENCH_KEEP").is_some(),
        quiet_wait: Duration::from_secs(
            std::env::var("FORKSCOPE_BENCH_QUIET_WAIT")
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0),
        ),
        cpus: std::env::var("FORKSCOPE_BENCH_CPUS").ok().and_then(|s| {
            let cpus: Result<Vec<usize>, _> =
                s.split(',').map(|c| c.trim().parse::<usize>()).collect();
            match cpus {
                Ok(c) if !c.is_empty() => Some(c),
                _ => {
                    eprintln!(
                        "FORKSCOPE_BENCH_CPUS={s:?} is not a CPU list like 0 or 0,1; ignored"
                    );
                    None
                }
            }
        }),
    }
}

/// One finished run.
struct Run {
    secs: f64,
    /// ru_maxrss from wait4, in KiB: the process's own peak or that of any
    /// descendant it reaped, whichever is larger.
    maxrss_kb: i64,
    /// Raw wait status.
    status: i32,
    timed_out: bool,
    /// forkscope's own VmHWM sampled from /proc (only when asked for).
    hwm_kb: Option<u64>,
}

impl Run {
    fn ok(&self) -> bool {
        !self.timed_out && libc::WIFEXITED(self.status) && libc::WEXITSTATUS(self.status) == 0
    }

    fn describe(&self) -> String {
        if self.timed_out {
            "timed out (killed)".into()
        } else if libc::WIFEXITED(self.status) {
            format!("exit status {}", libc::WEXITSTATUS(self.status))
        } else if libc::WIFSIGNALED(self.status) {
            format!("killed by signal {}", libc::WTERMSIG(self.status))
        } else {
            format!("wait status {:#x}", self.status)
        }
    }
}

fn vm_hwm_kb(pid: i32) -> Option<u64> {
    let s = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Spawns `cmd` (in its own process group, so a hung run can be killed
/// whole), waits for it with wait4, and times it from just before the spawn
/// to the reap. With `sample_hwm`, a thread polls the process's VmHWM
/// (the peak only grows, so the last sample before exit is a lower bound
/// within one polling period of the true peak).
fn run_once(cmd: &mut Command, timeout: Duration, sample_hwm: bool) -> std::io::Result<Run> {
    cmd.process_group(0);
    let start = Instant::now();
    let child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = mpsc::channel::<()>();
    let watchdog = thread::spawn(move || match rx.recv_timeout(timeout) {
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // SAFETY: plain kill(2) of the child's process group, which is
            // not yet reaped (the main thread is still blocked in wait4).
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
            true
        }
        _ => false,
    });
    let done = Arc::new(AtomicBool::new(false));
    let sampler = sample_hwm.then(|| {
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut peak = None;
            while !done.load(Ordering::Relaxed) {
                if let Some(kb) = vm_hwm_kb(pid) {
                    peak = peak.max(Some(kb));
                }
                thread::sleep(Duration::from_millis(2));
            }
            peak
        })
    });
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to a local status and rusage.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    drop(tx);
    let timed_out = watchdog.join().unwrap_or(false);
    let hwm_kb = sampler.and_then(|h| h.join().ok().flatten());
    // The child is reaped already; dropping the handle does not wait.
    drop(child);
    Ok(Run {
        secs,
        maxrss_kb: ru.ru_maxrss,
        status,
        timed_out,
        hwm_kb,
    })
}

struct Bench {
    dir: PathBuf,
    ld_library_path: Option<String>,
    strace_ok: bool,
    strace_set: String,
    timeout: Duration,
    cpus: Option<Vec<usize>>,
    /// FORKSCOPE_BENCH_BASELINE, when set.
    baseline: Option<String>,
}

impl Bench {
    /// The environment of every command the benchmark starts.
    fn scrub_env(&self, cmd: &mut Command) {
        for k in SCRUBBED_ENV {
            cmd.env_remove(k);
        }
        match &self.ld_library_path {
            Some(v) => cmd.env("LD_LIBRARY_PATH", v),
            None => cmd.env_remove("LD_LIBRARY_PATH"),
        };
    }

    /// FORKSCOPE_BENCH_BASELINE_ARGS (split on spaces) for the baseline
    /// variant, e.g. `--backend ebpf` to compare two eBPF builds.
    fn baseline_args(&self, v: Variant) -> Vec<String> {
        match std::env::var("FORKSCOPE_BENCH_BASELINE_ARGS") {
            Ok(a) if v == Variant::Baseline => a.split_whitespace().map(String::from).collect(),
            _ => Vec::new(),
        }
    }

    fn trace_path(&self, w: &Workload) -> PathBuf {
        self.dir.join(format!("{}.jsonl", w.name))
    }

    fn command(&self, w: &Workload, v: Variant) -> Command {
        let (prog, pre): (&str, Vec<String>) = match v {
            Variant::Native => (&w.argv[0], Vec::new()),
            Variant::Forkscope | Variant::Baseline => (
                match (v, &self.baseline) {
                    (Variant::Baseline, Some(b)) => b.as_str(),
                    _ => FORKSCOPE,
                },
                vec![
                    "record".into(),
                    "-o".into(),
                    if v == Variant::Baseline {
                        self.dir.join(format!("{}-baseline.jsonl", w.name))
                    } else {
                        self.trace_path(w)
                    }
                    .to_string_lossy()
                    .into_owned(),
                    "-q".into(),
                ]
                .into_iter()
                .chain(self.baseline_args(v))
                .chain(["--".into()])
                .chain(w.argv.iter().cloned())
                .collect(),
            ),
            Variant::Live => (
                FORKSCOPE,
                vec![
                    "record".into(),
                    "--live".into(),
                    "-o".into(),
                    self.dir
                        .join(format!("{}-live.jsonl", w.name))
                        .to_string_lossy()
                        .into_owned(),
                    "-q".into(),
                    "--".into(),
                ]
                .into_iter()
                .chain(w.argv.iter().cloned())
                .collect(),
            ),
            Variant::Ebpf => (
                FORKSCOPE,
                vec![
                    "record".into(),
                    "--backend".into(),
                    "ebpf".into(),
                    "-o".into(),
                    self.dir
                        .join(format!("{}-ebpf.jsonl", w.name))
                        .to_string_lossy()
                        .into_owned(),
                    "-q".into(),
                    "--".into(),
                ]
                .into_iter()
                .chain(w.argv.iter().cloned())
                .collect(),
            ),
            Variant::Strace => (
                "strace",
                strings(&["-f", "-o", "/dev/null"])
                    .into_iter()
                    .chain(w.argv.iter().cloned())
                    .collect(),
            ),
            Variant::StraceSeccomp => (
                "strace",
                vec![
                    "-f".into(),
                    "--seccomp-bpf".into(),
                    "-o".into(),
                    "/dev/null".into(),
                    "-e".into(),
                    format!("trace={}", self.strace_set),
                ]
                .into_iter()
                .chain(w.argv.iter().cloned())
                .collect(),
            ),
        };
        let mut cmd = Command::new(prog);
        if v == Variant::Native {
            cmd.args(&w.argv[1..]);
        } else {
            cmd.args(pre);
        }
        if let Some(d) = &w.cwd {
            cmd.current_dir(d);
        }
        self.scrub_env(&mut cmd);
        if let Some(cpus) = self.cpus.clone() {
            // SAFETY: the closure runs in the forked child before exec and
            // only calls sched_setaffinity on a set built on its own stack.
            unsafe {
                cmd.pre_exec(move || {
                    let mut set: libc::cpu_set_t = std::mem::zeroed();
                    for &c in &cpus {
                        libc::CPU_SET(c, &mut set);
                    }
                    if libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    fn prepare(&self, w: &Workload) {
        let Some(p) = &w.prepare else { return };
        let mut cmd = Command::new(&p[0]);
        cmd.args(&p[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(d) = &w.cwd {
            cmd.current_dir(d);
        }
        self.scrub_env(&mut cmd);
        match cmd.status() {
            Ok(s) if s.success() => {}
            other => eprintln!("  warning: {} `{}` failed: {other:?}", w.name, p.join(" ")),
        }
    }

    /// The warm-up run: untimed, stderr kept in a file so a failure can be
    /// shown. Also where forkscope's own peak RSS is sampled.
    fn warm_up(&self, w: &Workload, v: Variant) -> Result<Option<u64>, String> {
        self.prepare(w);
        let err_path = self.dir.join("warmup-stderr.txt");
        let err = fs::File::create(&err_path).map_err(|e| e.to_string())?;
        let mut cmd = self.command(w, v);
        cmd.stderr(err);
        let r = run_once(&mut cmd, self.timeout, v == Variant::Forkscope)
            .map_err(|e| format!("cannot start: {e}"))?;
        if r.ok() {
            Ok(r.hwm_kb)
        } else {
            let text = fs::read_to_string(&err_path).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(5).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            Err(format!("{}; stderr: {}", r.describe(), tail.join(" | ")))
        }
    }

    fn timed(&self, w: &Workload, v: Variant) -> Result<Run, String> {
        self.prepare(w);
        run_once(&mut self.command(w, v), self.timeout, false)
            .map_err(|e| format!("cannot start: {e}"))
    }
}

/// Does strace run at all (installed, ptrace allowed)?
fn strace_works() -> Result<(), String> {
    let out = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "true"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("strace: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

fn strace_version() -> String {
    Command::new("strace")
        .arg("-V")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "strace (version unknown)".into())
}

/// The names of TRACED_SET this strace accepts with --seccomp-bpf, and the
/// rejected ones with strace's reason.
fn strace_accepted() -> (Vec<&'static str>, Vec<(&'static str, String)>) {
    let mut ok = Vec::new();
    let mut dropped = Vec::new();
    for &name in TRACED_SET {
        let out = Command::new("strace")
            .args(["-f", "--seccomp-bpf", "-o", "/dev/null"])
            .arg("-e")
            .arg(format!("trace={name}"))
            .arg("true")
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) if o.status.success() => ok.push(name),
            Ok(o) => dropped.push((name, String::from_utf8_lossy(&o.stderr).trim().to_string())),
            Err(e) => dropped.push((name, e.to_string())),
        }
    }
    (ok, dropped)
}

fn copy_project(to: &Path) -> std::io::Result<()> {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cproject");
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(&from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Results of one variant of one workload.
#[derive(Default)]
struct Cell {
    times: Vec<f64>,
    max_rss_kb: i64,
    failures: Vec<String>,
    skipped: Option<String>,
    /// Timed runs with another build (cargo, rustc, cc1...) seen just before or after.
    busy_runs: usize,
}

impl Cell {
    fn sorted(&self) -> Vec<f64> {
        let mut t = self.times.clone();
        t.sort_by(f64::total_cmp);
        t
    }

    fn median(&self) -> Option<f64> {
        (!self.times.is_empty()).then(|| median(&self.sorted()))
    }
}

/// Trace facts from forkscope's last run.
struct TraceStats {
    bytes: u64,
    events: u64,
    kinds: BTreeMap<String, u64>,
}

fn trace_stats(path: &Path) -> Option<TraceStats> {
    let text = fs::read_to_string(path).ok()?;
    let mut kinds = BTreeMap::new();
    let mut events = 0u64;
    for line in text.lines().skip(1) {
        events += 1;
        let kind = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("kind")?.as_str().map(str::to_string))
            .unwrap_or_else(|| "?".into());
        *kinds.entry(kind).or_insert(0) += 1;
    }
    Some(TraceStats {
        bytes: text.len() as u64,
        events,
        kinds,
    })
}

/// Our own ancestors (the `cargo bench` that started us is not someone else's build).
fn ancestors() -> Vec<u32> {
    let mut out = Vec::new();
    let mut pid = std::process::id();
    while pid > 1 && out.len() < 64 {
        out.push(pid);
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            break;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
        let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok())
        else {
            break;
        };
        pid = ppid;
    }
    out
}

/// Other people's compilers and builds running now (the numbers will be noisy).
fn busy_builders() -> Vec<String> {
    let mine = ancestors();
    let mut found = Vec::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return found;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if mine.contains(&pid) {
            continue;
        }
        if let Ok(comm) = fs::read_to_string(e.path().join("comm")) {
            let comm = comm.trim();
            if matches!(
                comm,
                "cargo" | "rustc" | "cc1" | "cc1plus" | "ld" | "clippy-driver" | "rustdoc"
            ) {
                found.push(format!("{comm}[{pid}]"));
            }
        }
    }
    found
}

/// With FORKSCOPE_BENCH_QUIET_WAIT=SECS, waits up to SECS for other builds to
/// end. Returns whether one is still running.
fn wait_quiet(max: Duration) -> bool {
    let start = Instant::now();
    let mut said = false;
    loop {
        let b = busy_builders();
        if b.is_empty() {
            return false;
        }
        if start.elapsed() >= max {
            return true;
        }
        if !said {
            eprint!(" [waiting for {}]", b.join(" "));
            said = true;
        }
        thread::sleep(Duration::from_millis(500));
    }
}

fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn mib(kb: i64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

/// The eBPF backend's fixed cost step by step: `true` recorded `runs` times
/// with `FORKSCOPE_EBPF_PHASES=1`; prints the median of each step.
fn ebpf_phases(bench: &Bench, runs: usize) {
    let mut steps: Vec<(String, Vec<f64>)> = Vec::new();
    let mut wall = Vec::new();
    for _ in 0..runs.max(1) {
        let mut cmd = Command::new(FORKSCOPE);
        cmd.args(["record", "--backend", "ebpf", "-q", "-o"])
            .arg(bench.dir.join("phases.jsonl"))
            .args(["--", "true"])
            .env("FORKSCOPE_EBPF_PHASES", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        bench.scrub_env(&mut cmd);
        let start = Instant::now();
        let Ok(out) = cmd.output() else { return };
        wall.push(start.elapsed().as_secs_f64() * 1e3);
        let text = String::from_utf8_lossy(&out.stderr);
        let Some(line) = text.lines().find(|l| l.starts_with("ebpf-phases-ms")) else {
            println!(
                "eBPF fixed cost: no phases line from forkscope ({})",
                text.trim()
            );
            return;
        };
        for kv in line.split_whitespace().skip(1) {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let Ok(v) = v.parse::<f64>() else { continue };
            match steps.iter_mut().find(|(name, _)| name == k) {
                Some((_, vals)) => vals.push(v),
                None => steps.push((k.to_string(), vec![v])),
            }
        }
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        median(v)
    };
    let parts: Vec<String> = steps
        .iter_mut()
        .map(|(k, v)| match k.as_str() {
            "programs" | "links" => format!("{k} {}", med(v)),
            _ => format!("{k} {:.1} ms", med(v)),
        })
        .collect();
    println!(
        "eBPF fixed cost (`record --backend ebpf -- true`, FORKSCOPE_EBPF_PHASES=1, medians of {}): \
         wall {:.1} ms = forkscope's own start and exit + {}",
        wall.len(),
        med(&mut wall),
        parts.join(", ")
    );
    println!();
}

fn main() {
    let cfg = config();
    let dir = std::env::temp_dir().join(format!("forkscope-bench-{}", std::process::id()));
    if let Err(e) = fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        std::process::exit(1);
    }
    let project = dir.join("cproject");
    let mut all = workloads(&project);
    if let Some(only) = &cfg.only {
        for o in only {
            if !all.iter().any(|w| w.name == o) {
                println!("note: unknown workload {o:?} ignored (known: W0, W1, W2, W3, W4)");
            }
        }
        all.retain(|w| only.iter().any(|o| o == w.name));
    }
    if all.iter().any(|w| w.name == "W4") {
        if let Err(e) = copy_project(&project) {
            println!("note: W4 skipped: cannot copy fixtures/cproject: {e}");
            all.retain(|w| w.name != "W4");
        }
    }

    println!("forkscope record benchmark");
    println!("  binary:   {FORKSCOPE}");
    let live = std::env::var("FORKSCOPE_BENCH_LIVE").is_ok_and(|v| v == "1");
    let baseline = std::env::var("FORKSCOPE_BENCH_BASELINE")
        .ok()
        .filter(|b| !b.is_empty());
    if let Some(b) = &baseline {
        println!("  baseline: {b} (variant \"forkscope (baseline)\")");
    }
    println!(
        "  runs:     {} timed per variant after 1 warm-up, round-robin",
        cfg.runs
    );
    println!(
        "  machine:  {} cpus, load average {}",
        thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    if let Some(c) = &cfg.cpus {
        let list: Vec<String> = c.iter().map(|c| c.to_string()).collect();
        println!(
            "  cpus:     every command (native too) restricted to CPU {}",
            list.join(",")
        );
    }
    let builders = busy_builders();
    if !builders.is_empty() {
        println!(
            "  WARNING:  builds running now ({}): expect noise",
            builders.join(" ")
        );
    }

    let (ld_library_path, ld_dropped) = workload_ld_library_path();
    if !ld_dropped.is_empty() {
        println!(
            "  env:      dropped cargo's {} LD_LIBRARY_PATH entries ({}) for all commands",
            ld_dropped.len(),
            ld_dropped.join(":")
        );
    }
    let (strace_ok, strace_set) = match strace_works() {
        Ok(()) => {
            let (ok, dropped) = strace_accepted();
            println!("  strace:   {}", strace_version());
            if dropped.is_empty() {
                println!(
                    "  strace --seccomp-bpf set: all {} of forkscope's syscalls accepted",
                    ok.len()
                );
            } else {
                println!(
                    "  strace --seccomp-bpf set: {} accepted; DROPPED (rejected by strace):",
                    ok.len()
                );
                for (name, why) in &dropped {
                    println!("    {name}: {why}");
                }
            }
            (!ok.is_empty(), ok.join(","))
        }
        Err(e) => {
            println!("  strace:   unusable, strace variants skipped ({e})");
            (false, String::new())
        }
    };
    println!(
        "  note:     forkscope stops on fcntl only for F_DUPFD/F_DUPFD_CLOEXEC/F_SETFD; \
         strace's filter stops on every fcntl"
    );
    for w in &all {
        println!("  {}: {}", w.name, w.shown);
    }
    println!();

    let bench = Bench {
        dir: dir.clone(),
        ld_library_path,
        strace_ok,
        strace_set,
        timeout: cfg.timeout,
        cpus: cfg.cpus.clone(),
        baseline: baseline.clone(),
    };

    struct Outcome {
        cells: Vec<(Variant, Cell)>,
        hwm_kb: Option<u64>,
        trace: Option<TraceStats>,
    }
    let mut outcomes = Vec::new();
    for w in &all {
        let t0 = Instant::now();
        eprint!("{}: warm-up", w.name);
        let mut cells: Vec<(Variant, Cell)> = Variant::ALL
            .iter()
            .filter(|&&v| v != Variant::Baseline || bench.baseline.is_some())
            .filter(|&&v| v != Variant::Ebpf || cfg!(feature = "ebpf"))
            .filter(|&&v| v != Variant::Live || live)
            .map(|&v| (v, Cell::default()))
            .collect();
        let mut hwm_kb = None;
        for (v, cell) in cells.iter_mut() {
            if matches!(v, Variant::Strace | Variant::StraceSeccomp) && !bench.strace_ok {
                cell.skipped = Some("strace unusable".into());
                continue;
            }
            match bench.warm_up(w, *v) {
                Ok(h) => hwm_kb = hwm_kb.or(h),
                Err(e) => cell.skipped = Some(format!("warm-up failed: {e}")),
            }
        }
        let active: Vec<usize> = (0..cells.len())
            .filter(|&i| cells[i].1.skipped.is_none())
            .collect();
        for round in 0..cfg.runs {
            eprint!(", run {}/{}", round + 1, cfg.runs);
            for k in 0..active.len() {
                let i = active[(round + k) % active.len()];
                let (v, cell) = &mut cells[i];
                let busy_before = wait_quiet(cfg.quiet_wait);
                let res = bench.timed(w, *v);
                if busy_before || !busy_builders().is_empty() {
                    cell.busy_runs += 1;
                }
                match res {
                    Ok(r) => {
                        if !r.ok() {
                            cell.failures.push(r.describe());
                        }
                        if !r.timed_out {
                            cell.times.push(r.secs);
                            cell.max_rss_kb = cell.max_rss_kb.max(r.maxrss_kb);
                        }
                    }
                    Err(e) => cell.failures.push(e),
                }
            }
        }
        eprintln!(" ({:.0} s)", t0.elapsed().as_secs_f64());
        let trace = trace_stats(&bench.trace_path(w));
        outcomes.push((
            w,
            Outcome {
                cells,
                hwm_kb,
                trace,
            },
        ));
    }

    // The table.
    println!(
        "{:<4} {:<24} {:>9} {:>9} {:>9} {:>8} {:>8} {:>7}",
        "wl", "variant", "median s", "min s", "max s", "ratio", "target", "verdict"
    );
    println!("{}", "-".repeat(85));
    for (w, o) in &outcomes {
        let native = o.cells[0].1.median();
        for (v, cell) in &o.cells {
            if let Some(why) = &cell.skipped {
                println!("{:<4} {:<24} skipped: {why}", w.name, v.label());
                continue;
            }
            let t = cell.sorted();
            if t.is_empty() {
                println!("{:<4} {:<24} no successful run", w.name, v.label());
                continue;
            }
            let med = median(&t);
            let ratio = native.map(|n| med / n);
            let ratio_s = ratio.map_or("?".into(), |r| format!("{r:.3}x"));
            let goal = match v {
                Variant::Forkscope => w.target,
                Variant::Ebpf => w.ebpf_target,
                _ => None,
            };
            let (target, verdict) = if let Some(goal) = goal {
                (
                    format!("<={goal:.2}x"),
                    match ratio {
                        Some(r) if r <= goal => "PASS",
                        Some(_) => "MISS",
                        None => "?",
                    },
                )
            } else {
                (String::new(), "")
            };
            println!(
                "{:<4} {:<24} {:>9.4} {:>9.4} {:>9.4} {:>8} {:>8} {:>7}",
                w.name,
                v.label(),
                med,
                t[0],
                t[t.len() - 1],
                ratio_s,
                target,
                verdict
            );
            if !cell.failures.is_empty() {
                println!(
                    "     ! {} of {} runs failed: {}",
                    cell.failures.len(),
                    cfg.runs,
                    cell.failures.join("; ")
                );
            }
        }
    }
    let busy: Vec<String> = outcomes
        .iter()
        .map(|(w, o)| {
            let n: usize = o.cells.iter().map(|(_, c)| c.busy_runs).sum();
            let total: usize = o.cells.iter().map(|(_, c)| c.times.len()).sum();
            format!("{} {n}/{total}", w.name)
        })
        .collect();
    println!(
        "timed runs that overlapped another build (cargo/rustc/cc1/ld...): {}",
        busy.join(", ")
    );
    println!();

    // forkscope against strace.
    if let Some((_, o)) = outcomes.iter().find(|(w, _)| w.name == "W0") {
        let med = |v: Variant| {
            o.cells
                .iter()
                .find(|(x, _)| *x == v)
                .and_then(|(_, c)| c.skipped.is_none().then(|| c.median()).flatten())
        };
        if let Some(native) = med(Variant::Native) {
            let per = |v: Variant| {
                med(v).map_or("n/a".into(), |m| {
                    format!("{:.1} us", (m - native) * 1e6 / f64::from(W0_CLOSES))
                })
            };
            println!(
                "W0, added time per traced close(999): forkscope {} (one stop), \
                 strace -f --seccomp-bpf {} (one stop), strace -f {} (entry and exit stops)",
                per(Variant::Forkscope),
                per(Variant::StraceSeccomp),
                per(Variant::Strace)
            );
            println!();
        }
    }
    // W5: the fixed cost, which a short program pays in full (for the eBPF
    // backend: loading and attaching the BPF programs, before the program
    // may start, and detaching them).
    if let Some((_, o)) = outcomes.iter().find(|(w, _)| w.name == "W5") {
        let med = |v: Variant| {
            o.cells
                .iter()
                .find(|(x, _)| *x == v)
                .and_then(|(_, c)| c.skipped.is_none().then(|| c.median()).flatten())
        };
        if let Some(native) = med(Variant::Native) {
            let added = |v: Variant| {
                med(v).map_or("n/a".into(), |m| format!("{:.1} ms", (m - native) * 1e3))
            };
            println!(
                "W5, added time to start and stop (median - native): forkscope {}, \
                 forkscope --backend ebpf {}, strace -f --seccomp-bpf {}",
                added(Variant::Forkscope),
                added(Variant::Ebpf),
                added(Variant::StraceSeccomp)
            );
            println!();
        }
    }
    if cfg!(feature = "ebpf") && outcomes.iter().any(|(w, _)| w.name == "W5") {
        ebpf_phases(&bench, cfg.runs);
    }
    println!("forkscope median relative to strace:");
    for (w, o) in &outcomes {
        let med = |v: Variant| {
            o.cells
                .iter()
                .find(|(x, _)| *x == v)
                .and_then(|(_, c)| c.skipped.is_none().then(|| c.median()).flatten())
        };
        let Some(f) = med(Variant::Forkscope) else {
            println!("  {}: no forkscope result", w.name);
            continue;
        };
        let rel = |v: Variant| med(v).map_or("n/a".into(), |s| format!("{:.3}x", f / s));
        let mut base = if bench.baseline.is_some() {
            format!(", {} of the baseline", rel(Variant::Baseline))
        } else {
            String::new()
        };
        if let Some(l) = live.then(|| med(Variant::Live)).flatten() {
            base.push_str(&format!("; with --live: {:.3}x of without", l / f));
        }
        println!(
            "  {}: {} of strace -f, {} of strace -f --seccomp-bpf{base}",
            w.name,
            rel(Variant::Strace),
            rel(Variant::StraceSeccomp)
        );
    }
    println!();

    // Memory and trace size.
    println!(
        "{:<4} {:>15} {:>15} {:>14} {:>12} {:>8} {:>12}",
        "wl",
        "fs wait4 maxrss",
        "native maxrss",
        "fs own VmHWM",
        "trace bytes",
        "events",
        "us/event"
    );
    println!("{}", "-".repeat(86));
    for (w, o) in &outcomes {
        let cell = |v: Variant| &o.cells.iter().find(|(x, _)| *x == v).unwrap().1;
        let fs_cell = cell(Variant::Forkscope);
        let native = cell(Variant::Native);
        let show_rss = |c: &Cell| {
            if c.times.is_empty() {
                "n/a".to_string()
            } else {
                mib(c.max_rss_kb)
            }
        };
        let (bytes, events) = o.trace.as_ref().map_or(("n/a".into(), "n/a".into()), |t| {
            (t.bytes.to_string(), t.events.to_string())
        });
        let per_event = match (fs_cell.median(), native.median(), &o.trace) {
            (Some(f), Some(n), Some(t)) if t.events > 0 => {
                format!("{:.1}", (f - n) * 1e6 / t.events as f64)
            }
            _ => "n/a".into(),
        };
        println!(
            "{:<4} {:>15} {:>15} {:>14} {:>12} {:>8} {:>12}",
            w.name,
            show_rss(fs_cell),
            show_rss(native),
            o.hwm_kb
                .map_or("n/a".into(), |k| format!(">={}", mib(k as i64))),
            bytes,
            events,
            per_event
        );
    }
    println!(
        "  fs wait4 maxrss: ru_maxrss of the forkscope process from wait4, max over runs; \
         Linux folds in the peak of every descendant it reaped,\n  so it is max(forkscope, \
         traced tree) - compare native maxrss (the untraced tree's peak). fs own VmHWM: \
         forkscope's\n  own high-water mark polled from /proc/PID/status every 2 ms during \
         the warm-up run. us/event: (forkscope - native\n  median) / events."
    );
    for (w, o) in &outcomes {
        if let Some(t) = &o.trace {
            let kinds: Vec<String> = t.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!("  {} events by kind: {}", w.name, kinds.join(", "));
        }
    }

    // Raw times, for judging noise.
    println!();
    println!("raw times (s, in run order):");
    for (w, o) in &outcomes {
        for (v, c) in &o.cells {
            if c.times.is_empty() {
                continue;
            }
            let t: Vec<String> = c.times.iter().map(|s| format!("{s:.4}")).collect();
            let spread = {
                let s = c.sorted();
                (s[s.len() - 1] - s[0]) / median(&s)
            };
            let mut notes = Vec::new();
            if spread > 0.2 {
                notes.push(format!("spread {:.0}% of median: noisy", spread * 100.0));
            }
            if c.busy_runs > 0 {
                notes.push(format!("{} runs overlapped another build", c.busy_runs));
            }
            println!(
                "  {} {:<24} {}{}",
                w.name,
                v.label(),
                t.join(" "),
                if notes.is_empty() {
                    String::new()
                } else {
                    format!("  ({})", notes.join("; "))
                }
            );
        }
    }
    println!();
    println!("load average at end: {}", loadavg());
    let builders = busy_builders();
    if !builders.is_empty() {
        println!(
            "WARNING: builds running at the end ({}): numbers may be noisy",
            builders.join(" ")
        );
    }

    if cfg.keep {
        println!("kept {}", dir.display());
    } else {
        let _ = fs::remove_dir_all(&dir);
    }
}
