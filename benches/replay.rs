//! Replay speed: parse + model update over a trace of at least 1,000,000
//! events, in events per second (median of several runs), plus the trace's
//! bytes per event and the replayer's peak memory.
//!
//! Run: `cargo bench --bench replay` (FORKSCOPE_BENCH_RUNS=N to change the
//! number of runs, FORKSCOPE_REPLAY_TRACE=FILE to replay a trace of yours).
//! Targets (issue 3): >= 2,000,000 events/s for parse + model update, and
//! <= 120 bytes per event on average. The benchmark reports; it does not assert.

use forkscope::replay::Replay;
use forkscope::trace::TraceReader;
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
