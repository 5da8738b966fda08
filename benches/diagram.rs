//! Diagram speed on a big trace: 1,000 processes alive at once (a shell
//! starting 1,000 background `sleep`s). Times, for the busiest moment, the
//! replay to that moment, the scene, and each single-diagram format; prints
//! medians. Target (issue 4): a 1,000-process trace renders in under a second.
//!
//! Run: `cargo bench --bench diagram` (FORKSCOPE_BENCH_RUNS=N for more runs).

use forkscope::render::scene::SceneOptions;
use forkscope::render::steps::{busiest, scene_after};
use forkscope::render::{ascii, dot, mermaid, svg};
use std::path::PathBuf;
use std::time::Instant;

fn trace() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("diagram-bench-1000.jsonl");
    if !p.exists() {
        eprintln!(
            "recording 1,000 background sleeps (once) to {}",
            p.display()
        );
        let st = std::process::Command::new(env!("CARGO_BIN_EXE_forkscope"))
            .args(["record", "-q", "-o"])
            .arg(&p)
            .args([
                "--",
                "sh",
                "-c",
                "for i in $(seq 1000); do sleep 3 & done; wait",
            ])
            .status()
            .expect("run forkscope record");
        assert!(st.success());
    }
    p
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn time<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed().as_secs_f64())
}

fn main() {
    let runs: usize = std::env::var("FORKSCOPE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let path = trace();
    let (moment, t_pick) = time(|| busiest(&path).unwrap());
    let seq = moment.seq();
    let opts = SceneOptions::default();
    let mut build = Vec::new();
    let mut per_format: Vec<(&str, Vec<f64>, usize)> = vec![
        ("ascii", Vec::new(), 0),
        ("svg", Vec::new(), 0),
        ("dot", Vec::new(), 0),
        ("mermaid", Vec::new(), 0),
    ];
    let mut procs = 0;
    for _ in 0..runs {
        let (scene, t) = time(|| scene_after(&path, seq, &opts).unwrap());
        build.push(t);
        procs = scene.processes.len();
        for (name, times, size) in per_format.iter_mut() {
            let (out, t) = time(|| match *name {
                "ascii" => ascii::render(&scene, false),
                "svg" => svg::render(&scene),
                "dot" => dot::render(&scene),
                _ => mermaid::render(&scene),
            });
            times.push(t);
            *size = out.len();
        }
    }
    println!(
        "diagram benchmark: {} ({} processes in the scene, after #{seq})",
        path.display(),
        procs
    );
    println!("  finding the busiest moment (one replay): {:.3} s", t_pick);
    println!(
        "  replay to the moment + scene:            median {:.3} s",
        median(build.clone())
    );
    for (name, times, size) in &per_format {
        let total = median(build.clone()) + median(times.clone());
        println!(
            "  {name:<8} render median {:.3} s, replay+scene+render {:.3} s, {} KiB  target < 1 s: {}",
            median(times.clone()),
            total,
            size / 1024,
            if total < 1.0 { "PASS" } else { "MISS" }
        );
    }
}
