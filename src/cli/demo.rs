//! `forkscope demo`: record a built-in teaching scenario, print its
//! annotated timeline and the diagram of its key moment, and write the
//! step-through HTML page.

use super::diagram;
use super::style::Style;
use super::{DemoArgs, ReplayArgs};
use crate::demo::{Moment, Scenario, SCENARIOS};
use crate::model::ProcessState;
use crate::record::{self, RecordOptions};
use crate::render::{ascii, html, scene::SceneOptions};
use crate::replay::Replay;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The seq of the moment to draw for `moment`.
fn pick(path: &Path, moment: Moment) -> Result<u64> {
    if moment == Moment::MostPipeEnds {
        return Ok(diagram::busiest(path)?.seq());
    }
    let mut r = Replay::open(path)?.without_narration();
    let mut best = (0u64, 0usize);
    while let Some(step) = r.step()? {
        let n = match moment {
            Moment::MostZombies => r
                .model
                .tree()
                .iter()
                .filter(|p| {
                    p.state == ProcessState::Zombie && r.model.tree().parent(p.id).is_some()
                })
                .count(),
            _ => r.model.tree().live().count(),
        };
        if n > best.1 {
            best = (step.event.seq, n);
        }
    }
    Ok(best.0)
}

fn list(style: &Style) {
    println!("Scenarios (forkscope demo NAME):");
    for (i, s) in SCENARIOS.iter().enumerate() {
        let default = if i == 0 { " (default)" } else { "" };
        println!("  {}{default}", style.prog(s.name));
        println!("      {}", s.about);
        println!("      {}", style.dim(&format!("$ sh -c '{}'", s.script)));
    }
}

/// Runs `forkscope demo`.
pub fn run(args: DemoArgs, style: Style) -> Result<i32> {
    if args.list {
        list(&style);
        return Ok(0);
    }
    let s: &Scenario = match &args.name {
        None => &SCENARIOS[0],
        Some(n) => match crate::demo::find(n) {
            Some(s) => s,
            None => bail!(
                "no demo called {n:?}; the demos are: {}",
                SCENARIOS
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    };
    let dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("forkscope-demo"));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let trace = dir.join(format!("{}.jsonl", s.name));
    let page = dir.join(format!("{}.html", s.name));

    println!(
        "{} {}",
        style.prog(&format!("forkscope demo {}:", s.name)),
        s.about
    );
    println!(
        "{}",
        style.dim(&format!("$ forkscope record -- sh -c '{}'", s.script))
    );
    println!("{}", style.dim("---- the program's own output ----"));
    let out = record::record(&RecordOptions {
        argv: vec!["sh".into(), "-c".into(), s.script.into()],
        output: Some(trace.clone()),
        env: false,
    })?;
    println!("{}", style.dim("---- end of output ----"));
    println!();
    println!(
        "{}",
        style.prog(
            "The timeline (what each process did, in order; library and locale files left out):"
        )
    );
    super::replay::run(
        ReplayArgs {
            trace: trace.clone(),
            pid: None,
            no_descendants: false,
            kind: Vec::new(),
            json: false,
            collapse_files: true,
            at: None,
            verify: false,
        },
        style,
    )?;
    println!();
    let seq = pick(&trace, s.moment)?;
    let opts = SceneOptions {
        collapse_files: true,
        ..SceneOptions::default()
    };
    let scene = diagram::scene_after(&trace, seq, &opts)?;
    println!(
        "{}",
        style.prog(&format!(
            "The state after #{seq}, the key moment of this demo:"
        ))
    );
    print!("{}", ascii::render(&scene, style.color));
    let (title, steps) = diagram::html_steps(&trace, &opts)?;
    std::fs::write(&page, html::page(&title, &steps))
        .with_context(|| format!("writing {}", page.display()))?;
    println!();
    println!(
        "Step through every event in a browser: {}",
        file_url(&page, seq)
    );
    println!(
        "The trace: {} ({} events). Next:",
        trace.display(),
        out.events
    );
    println!(
        "  forkscope replay {}            # the full timeline",
        trace.display()
    );
    println!(
        "  forkscope tree {}              # the process tree",
        trace.display()
    );
    println!(
        "  forkscope diagram {} --format svg -o {}.svg",
        trace.display(),
        s.name
    );
    println!("  forkscope demo --list                # other scenarios");
    Ok(0)
}

fn file_url(p: &Path, seq: u64) -> String {
    let abs: PathBuf = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    format!("file://{}#seq={seq}", abs.display())
}
