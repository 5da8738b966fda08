//! `forkscope view` at scale: generates a trace of 1,000,000 events (a
//! parent that, over and over, makes a pipe, forks a child that plumbs it
//! to stdout, opens a library, execs and exits, and reaps it), then
//! measures opening it (the first frame, drawn once the index pass on its
//! thread has read the first events; the whole pass with its model
//! checkpoints) and
//! answering keys: jumps to random seqs with `:`, steps, pages, `G`, each
//! followed by drawing a 100×30 frame on ratatui's test backend. Prints
//! medians and maxima, the checkpoints, and the peak memory (VmHWM).
//!
//! Run: `cargo bench --bench view` (FORKSCOPE_VIEW_EVENTS=N for another size,
//! FORKSCOPE_VIEW_TRACE=FILE to open a trace of yours).
//! Targets (the issue): open in under 2 s, every key under 50 ms. The
//! benchmark reports; it does not assert.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use forkscope::cli::style::Style;
use forkscope::tui::app::{App, Findings};
use forkscope::tui::index::Index;
use forkscope::words::Lang;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Writes a synthetic trace of at least `n` events.
fn generate(path: &Path, n: u64) {
    let f = std::fs::File::create(path).expect("create the trace");
    let mut w = std::io::BufWriter::new(f);
    writeln!(w, r#"{{"format":"forkscope-trace","version":1,"argv":["sh","-c","bench"],"start":"2026-12-01T00:00:00Z","start_unix_ns":1795382727678211422,"root_pid":100,"cwd":"/tmp","tracer":"forkscope 0.1.0","kernel":"Linux","arch":"x86_64"}}"#).unwrap();
    let seq = std::cell::Cell::new(0u64);
    let ev = |w: &mut std::io::BufWriter<std::fs::File>, pid: u32, rest: &str| {
        let s = seq.get();
        let ts = 1000 + s * 1000;
        writeln!(w, r#"{{"seq":{s},"ts_ns":{ts},"pid":{pid},{rest}}}"#).unwrap();
        seq.set(s + 1);
    };
    ev(
        &mut w,
        100,
        r#""kind":"spawn","argv":["sh","-c","bench"],"fds":[{"fd":0,"target":"/dev/null"},{"fd":1,"target":"/dev/pts/0"},{"fd":2,"target":"/dev/pts/0"}]"#,
    );
    let mut k = 0u64;
    while seq.get() < n {
        let child = 1000 + (k % 30000) as u32;
        let pipe = 500_000 + k;
        ev(
            &mut w,
            100,
            &format!(r#""kind":"pipe","read_fd":3,"write_fd":4,"pipe_id":{pipe}"#),
        );
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
            r#""kind":"dup","old_fd":4,"new_fd":1,"via":"dup2""#,
        );
        ev(&mut w, child, r#""kind":"close","fd":3"#);
        ev(&mut w, child, r#""kind":"close","fd":4"#);
        ev(
            &mut w,
            child,
            r#""kind":"open","fd":3,"path":"/lib/x86_64-linux-gnu/libc.so.6","flags":"O_RDONLY|O_CLOEXEC""#,
        );
        ev(&mut w, child, r#""kind":"close","fd":3"#);
        ev(
            &mut w,
            child,
            r#""kind":"exec","path":"/usr/bin/true","argv":["true","step"],"ok":true"#,
        );
        ev(&mut w, child, r#""kind":"exit","status":{"exited":0}"#);
        ev(&mut w, 100, r#""kind":"close","fd":3"#);
        ev(&mut w, 100, r#""kind":"close","fd":4"#);
        ev(
            &mut w,
            100,
            &format!(
                r#""kind":"wait","target":-1,"reaped":{child},"status":{{"exited":0}},"via":"wait4""#
            ),
        );
        k += 1;
    }
    w.flush().unwrap();
}

fn trace_path() -> PathBuf {
    if let Some(p) = std::env::var_os("FORKSCOPE_VIEW_TRACE") {
        return PathBuf::from(p);
    }
    let n: u64 = std::env::var("FORKSCOPE_VIEW_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("view-bench-{n}.jsonl"));
    if !p.exists() {
        eprintln!("generating a {n}-event trace at {}", p.display());
        generate(&p, n);
    }
    p
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(0.0, f64::max)
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// Times `f` followed by drawing a frame, in milliseconds.
fn timed(app: &mut App, term: &mut Terminal<TestBackend>, f: impl FnOnce(&mut App)) -> f64 {
    let t = Instant::now();
    f(app);
    term.draw(|fr| forkscope::tui::draw::draw(fr, app)).unwrap();
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let path = trace_path();
    let runs: usize = std::env::var("FORKSCOPE_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let before = rss_kib("VmRSS:");
    // As `forkscope view` opens: the pass on its own thread, the first
    // frame once its first batch is in; then the time until it is all in
    // (the view answers keys meanwhile).
    let mut firsts = Vec::new();
    let mut wholes = Vec::new();
    let mut ix = None;
    for _ in 0..runs {
        drop(ix.take());
        let t = Instant::now();
        let i = Index::open_in_background(&path).expect("open the trace");
        let mut app = App::new(i, Findings::Done(Vec::new()), Style::plain(), Lang::En);
        let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
        term.draw(|fr| forkscope::tui::draw::draw(fr, &mut app))
            .unwrap();
        firsts.push(t.elapsed().as_secs_f64());
        while !app.ix.complete() {
            // As often as the view's loop looks while the pass runs.
            std::thread::sleep(std::time::Duration::from_millis(30));
            app.grow();
        }
        wholes.push(t.elapsed().as_secs_f64());
        ix = Some(app);
    }
    let opens = firsts.clone();
    let mut app = ix.expect("at least one run");
    let n = app.ix.len();
    let index_bytes = app.ix.index_bytes();
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();

    // Jumps to pseudo-random seqs (a fixed LCG: the same seqs every run).
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut jumps = Vec::new();
    for _ in 0..200 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let seq = app.ix.seq((x >> 11) as usize % n);
        jumps.push(timed(&mut app, &mut term, |a| a.goto_seq(seq)));
    }
    let mut steps = Vec::new();
    for _ in 0..200 {
        steps.push(timed(&mut app, &mut term, |a| {
            a.key(key(KeyCode::Char('j')))
        }));
    }
    let mut backs = Vec::new();
    for _ in 0..50 {
        backs.push(timed(&mut app, &mut term, |a| {
            a.key(key(KeyCode::Char('k')))
        }));
    }
    let mut pages = Vec::new();
    for _ in 0..50 {
        pages.push(timed(&mut app, &mut term, |a| a.key(key(KeyCode::PageUp))));
    }
    let last = timed(&mut app, &mut term, |a| a.key(key(KeyCode::Char('G'))));
    let first = timed(&mut app, &mut term, |a| a.key(key(KeyCode::Char('g'))));
    let collapse = timed(&mut app, &mut term, |a| a.key(key(KeyCode::Char('c'))));

    println!("view: {} ({n} events)", path.display());
    println!(
        "  open to the first frame: median {:.3} s over {runs} runs (target < 2 s)",
        median(opens)
    );
    println!(
        "  open until the whole trace is indexed (keys answer meanwhile): median {:.3} s",
        median(wholes)
    );
    println!(
        "  jump to a random seq + frame: median {:.2} ms, max {:.2} ms (200 jumps; target < 50 ms)",
        median(jumps.clone()),
        max(&jumps)
    );
    println!(
        "  step down (j) + frame: median {:.2} ms, max {:.2} ms",
        median(steps.clone()),
        max(&steps)
    );
    println!(
        "  step up (k) + frame: median {:.2} ms, max {:.2} ms",
        median(backs.clone()),
        max(&backs)
    );
    println!(
        "  page up + frame: median {:.2} ms, max {:.2} ms",
        median(pages.clone()),
        max(&pages)
    );
    println!("  G: {last:.2} ms, g: {first:.2} ms, c (refilter 1M rows): {collapse:.2} ms");
    println!(
        "  checkpoints: {} (every {} events at least, or {} per model item); per-event index {:.1} MiB",
        app.ix.checkpoints(),
        forkscope::tui::index::EVERY,
        forkscope::tui::index::SPACING,
        index_bytes as f64 / (1 << 20) as f64,
    );
    println!(
        "  memory: RSS {} MiB with the view open (was {} MiB before), peak (VmHWM) {} MiB",
        rss_kib("VmRSS:") / 1024,
        before / 1024,
        rss_kib("VmHWM:") / 1024
    );
    drop(app);
    // The pass alone, on this thread (Index::open), after the memory is
    // read (a second index would count in it).
    let mut passes = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let i = Index::open(&path).expect("open the trace");
        passes.push(t.elapsed().as_secs_f64());
        drop(i);
    }
    println!(
        "  the index pass alone (Index::open, index + checkpoints): median {:.3} s",
        median(passes)
    );
}
