//! Replay speed: parse + model update over a trace of at least 1,000,000
//! events, in events per second (median of several runs), plus the trace's
//! bytes per event and the replayer's peak memory.
//!
//! Then end to end, what a user runs: each of `replay --at LAST`,
//! `diagram --at LAST`, `doctor`, `tree`, `export` and the HTML page, as a
//! whole process of the release binary on a generated 1,000,000-event trace
//! (shell pipelines: pipe, two forks, dup2, closes, a library open, execs,
//! exits, reaps), stdout to /dev/null: median wall time, events/s and the
//! process's max RSS (from wait4's rusage).
//!
//! Run: `cargo bench --bench replay` (FORKSCOPE_BENCH_RUNS=N to change the
//! number of runs, FORKSCOPE_REPLAY_TRACE=FILE to replay a trace of yours,
//! FORKSCOPE_E2E_TRACE=FILE / FORKSCOPE_E2E_EVENTS=N for the end-to-end
//! trace, FORKSCOPE_E2E_ONLY=1 to skip the in-process part,
//! FORKSCOPE_E2E_BASE=BINARY to time another build, e.g. an older commit's,
//! in the same interleaved runs, for before/after numbers).
//! Targets: (issue 3) >= 2,000,000 events/s for parse + model update, and
//! <= 120 bytes per event on average; (issue 16) >= 2,000,000 events/s of
//! whole-process wall time for every end-to-end command, `export` included
//! (which prints every event). The benchmark reports; it does not assert.

use forkscope::replay::Replay;
use forkscope::trace::TraceReader;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A shell loop of fd plumbing without forks (1.5M events in ~12 s of
/// recording) plus 200 small pipelines, so the trace has both kinds of churn.
const LOOP: &str = "i=0; while [ $i -lt 100000 ]; do exec 3>/dev/null 4<&3 5>&4; exec 3>&- 4<&- 5>&-; i=$((i+1)); done; for i in $(seq 200); do echo $i | cat >/dev/null; done";

fn trace_path() -> PathBuf {
    if let Some(p) = std::env::var_os("FORKSCOPE_REPLAY_TRACE") {
        return PathBuf::from(p);
    }
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("replay-bench.jsonl");
    if !p.exists() {
        eprintln!(
            "recording the benchmark trace (once; ~15 s) to {}",
            p.display()
        );
        let st = std::process::Command::new(env!("CARGO_BIN_EXE_forkscope"))
            .args(["record", "-q", "-o"])
            .arg(&p)
            .args(["--", "sh", "-c", LOOP])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run forkscope record");
        assert!(st.success(), "recording failed");
    }
    p
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn parse_only(path: &Path) -> (u64, f64) {
    let t = Instant::now();
    let mut r = TraceReader::open(path).unwrap();
    let mut n = 0u64;
    while r.next_event().unwrap().is_some() {
        n += 1;
    }
    (n, t.elapsed().as_secs_f64())
}

fn parse_and_apply(path: &Path) -> (u64, f64, String) {
    let t = Instant::now();
    let mut r = Replay::open(path).unwrap().without_narration();
    let mut n = 0u64;
    while r.step().unwrap().is_some() {
        n += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    (n, secs, format!("{:?}", r.model.census()))
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing we need.
    let runs: usize = std::env::var("FORKSCOPE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    if std::env::var_os("FORKSCOPE_E2E_ONLY").is_none() {
        in_process(runs);
    }
    end_to_end(runs);
}

fn in_process(runs: usize) {
    let path = trace_path();
    let bytes = std::fs::metadata(&path).unwrap().len();
    let mut parse = Vec::new();
    let mut full = Vec::new();
    let mut events = 0;
    let mut census = String::new();
    for _ in 0..runs {
        let (n, s) = parse_only(&path);
        parse.push(n as f64 / s);
        let (n, s, c) = parse_and_apply(&path);
        full.push(n as f64 / s);
        events = n;
        census = c;
    }
    let rate = median(full.clone());
    println!("replay benchmark: {}", path.display());
    println!(
        "  events: {events}  size: {bytes} bytes  bytes/event: {:.1} (target <= 120: {})",
        bytes as f64 / events as f64,
        if (bytes as f64 / events as f64) <= 120.0 {
            "PASS"
        } else {
            "MISS"
        }
    );
    println!(
        "  parse only:           median {:>12.0} events/s  (min {:.0}, max {:.0}, {runs} runs)",
        median(parse.clone()),
        parse.iter().cloned().fold(f64::INFINITY, f64::min),
        parse.iter().cloned().fold(0.0, f64::max)
    );
    println!(
        "  parse + model update: median {:>12.0} events/s  (min {:.0}, max {:.0}) target >= 2,000,000: {}",
        rate,
        full.iter().cloned().fold(f64::INFINITY, f64::min),
        full.iter().cloned().fold(0.0, f64::max),
        if rate >= 2_000_000.0 { "PASS" } else { "MISS" }
    );
    println!("  live state at the end: {census}");
    println!(
        "  peak RSS of the replayer: {} KiB (the trace is {} KiB)",
        peak_rss_kib(),
        bytes / 1024
    );
}

/// Writes a synthetic trace of at least `n` events: a shell that runs
/// `printf ... | wc -l` over and over (pipe, fork the writer, fork the
/// reader, each plumbs its end with dup2, closes the pipe fds, opens and
/// closes a library, execs and exits; the shell closes its ends and reaps
/// both). Child pids are reused (as the kernel does), so the live state
/// stays small while the history grows.
fn generate(path: &Path, n: u64) {
    let f = std::fs::File::create(path).expect("create the trace");
    let mut w = std::io::BufWriter::new(f);
    writeln!(w, r#"{{"format":"forkscope-trace","version":1,"argv":["sh","-c","while :; do printf 'a\\nb\\n' | wc -l; done"],"start":"2026-12-01T00:00:00Z","start_unix_ns":1795382727678211422,"root_pid":100,"cwd":"/tmp","tracer":"forkscope 0.1.0","kernel":"Linux","arch":"x86_64"}}"#).unwrap();
    let mut seq = 0u64;
    let mut ev = |w: &mut std::io::BufWriter<std::fs::File>, pid: u32, rest: &str| {
        let ts = 1000 + seq * 1700;
        writeln!(w, r#"{{"seq":{seq},"ts_ns":{ts},"pid":{pid},{rest}}}"#).unwrap();
        seq += 1;
        seq
    };
    ev(
        &mut w,
        100,
        r#""kind":"spawn","argv":["sh","-c","loop"],"fds":[{"fd":0,"target":"/dev/null"},{"fd":1,"target":"/dev/pts/0"},{"fd":2,"target":"/dev/pts/0"}]"#,
    );
    let mut k = 0u64;
    let lib = r#""kind":"open","fd":3,"path":"/lib/x86_64-linux-gnu/libc.so.6","flags":"O_RDONLY|O_CLOEXEC""#;
    loop {
        let a = 1000 + (2 * k % 30000) as u32;
        let b = a + 1;
        let pipe = 500_000 + k;
        ev(
            &mut w,
            100,
            &format!(r#""kind":"pipe","read_fd":3,"write_fd":4,"pipe_id":{pipe}"#),
        );
        for (child, end, stdio) in [(a, 4, 1), (b, 3, 0)] {
            ev(
                &mut w,
                100,
                &format!(
                    r#""kind":"fork","child":{child},"flavor":"fork","shares_fds":false,"syscall":"clone","flags":18874385"#
                ),
            );
            ev(
                &mut w,
                child,
                &format!(r#""kind":"dup","old_fd":{end},"new_fd":{stdio},"via":"dup2""#),
            );
            ev(&mut w, child, r#""kind":"close","fd":3"#);
            ev(&mut w, child, r#""kind":"close","fd":4"#);
        }
        ev(&mut w, 100, r#""kind":"close","fd":3"#);
        ev(&mut w, 100, r#""kind":"close","fd":4"#);
        ev(
            &mut w,
            a,
            r#""kind":"exec","path":"/usr/bin/printf","argv":["printf","a\nb\n"],"ok":true"#,
        );
        ev(
            &mut w,
            b,
            r#""kind":"exec","path":"/usr/bin/wc","argv":["wc","-l"],"ok":true"#,
        );
        for child in [a, b] {
            ev(&mut w, child, lib);
            ev(&mut w, child, r#""kind":"close","fd":3"#);
        }
        ev(&mut w, a, r#""kind":"exit","status":{"exited":0}"#);
        ev(&mut w, b, r#""kind":"exit","status":{"exited":0}"#);
        for child in [a, b] {
            let last = ev(
                &mut w,
                100,
                &format!(
                    r#""kind":"wait","target":-1,"reaped":{child},"status":{{"exited":0}},"via":"wait4""#
                ),
            );
            if last >= n {
                w.flush().unwrap();
                return;
            }
        }
        k += 1;
    }
}

/// The end-to-end trace and its last seq.
fn e2e_trace() -> (PathBuf, u64) {
    let p = match std::env::var_os("FORKSCOPE_E2E_TRACE") {
        Some(p) => PathBuf::from(p),
        None => {
            let n: u64 = std::env::var("FORKSCOPE_E2E_EVENTS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1_000_000);
            let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-{n}.jsonl"));
            if !p.exists() {
                eprintln!("generating a {n}-event trace at {}", p.display());
                generate(&p, n);
            }
            p
        }
    };
    let mut r = TraceReader::open(&p).unwrap();
    let mut last = None;
    while let Some(e) = r.next_event().unwrap() {
        last = Some(e.seq);
    }
    (p, last.expect("the trace has events"))
}

/// Runs the release binary once with stdout and stderr to /dev/null;
/// returns the wall time and the CPU time (user + system) in seconds and
/// the max RSS in KiB.
fn run_once(bin: &Path, args: &[String]) -> (f64, f64, u64) {
    let t = Instant::now();
    // Reaped below by wait4, which also gives its rusage.
    #[allow(clippy::zombie_processes)]
    let child = std::process::Command::new(bin)
        .args(args)
        .env("LANG", "C")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run forkscope");
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, writing into the two locals.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(pid, child.id() as i32, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) <= 1,
        "forkscope {args:?} failed (status {status:#x})"
    );
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = tv(ru.ru_utime) + tv(ru.ru_stime);
    (secs, cpu, ru.ru_maxrss as u64)
}

fn end_to_end(runs: usize) {
    let (path, last) = e2e_trace();
    let events = last + 1;
    let trace = path.display().to_string();
    let last = last.to_string();
    let html = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-page.html");
    let commands: Vec<(&str, Vec<String>)> = vec![
        ("replay --at LAST", vec!["replay", &trace, "--at", &last]),
        (
            "replay --at LAST --json",
            vec!["replay", &trace, "--at", &last, "--json"],
        ),
        ("diagram --at LAST", vec!["diagram", &trace, "--at", &last]),
        (
            "diagram --at LAST -f svg",
            vec!["diagram", &trace, "--at", &last, "-f", "svg"],
        ),
        ("diagram (key moment)", vec!["diagram", &trace]),
        (
            "diagram -f html",
            vec![
                "diagram",
                &trace,
                "-f",
                "html",
                "-o",
                &html.display().to_string(),
            ],
        ),
        ("doctor", vec!["doctor", &trace]),
        ("tree", vec!["tree", &trace]),
        ("export -f json", vec!["export", &trace, "-f", "json"]),
        (
            "export -f perfetto",
            vec!["export", &trace, "-f", "perfetto"],
        ),
    ]
    .into_iter()
    .map(|(n, a)| (n, a.into_iter().map(String::from).collect()))
    .collect();
    let bytes = std::fs::metadata(&path).unwrap().len();
    println!(
        "end to end (whole process, stdout to /dev/null, medians of {runs} interleaved runs): {trace} ({events} events, {} MiB)",
        bytes >> 20
    );
    println!("  (events/s from wall time; on a loaded machine the CPU time says more)");
    let mut bins = vec![("", PathBuf::from(env!("CARGO_BIN_EXE_forkscope")))];
    if let Some(base) = std::env::var_os("FORKSCOPE_E2E_BASE") {
        println!("  `base:` lines time {}", PathBuf::from(&base).display());
        bins.push(("base: ", PathBuf::from(base)));
    }
    // Interleaved runs: one of each command (and binary) per round.
    let n = commands.len() * bins.len();
    let mut times = vec![Vec::new(); n];
    let mut cpus = vec![Vec::new(); n];
    let mut rss = vec![0u64; n];
    for _ in 0..runs {
        for (i, (_, args)) in commands.iter().enumerate() {
            for (b, (_, bin)) in bins.iter().enumerate() {
                let (s, cpu, kib) = run_once(bin, args);
                let k = i * bins.len() + b;
                times[k].push(s);
                cpus[k].push(cpu);
                rss[k] = rss[k].max(kib);
            }
        }
    }
    let _ = std::fs::remove_file(&html);
    for (i, (name, _)) in commands.iter().enumerate() {
        for (b, (tag, _)) in bins.iter().enumerate() {
            let k = i * bins.len() + b;
            let t = median(times[k].clone());
            let cpu = median(cpus[k].clone());
            let rate = events as f64 / t;
            let name = format!("{tag}{name}");
            println!(
                "  {name:<32} median {t:>7.3} s wall ({cpu:.3} s CPU)  {rate:>10.0} events/s  max RSS {:>7} KiB  (target >= 2,000,000: {})",
                rss[k],
                if rate >= 2_000_000.0 { "PASS" } else { "MISS" }
            );
        }
    }
}
