//! `forkscope demo`: record a built-in teaching scenario, print its
//! annotated timeline and the diagram of its key moment, and write the
//! step-through HTML page.

use super::style::Style;
use super::{DemoArgs, ReplayArgs};
use crate::demo::{Moment, Scenario, SCENARIOS};
use crate::model::ProcessState;
use crate::record::{self, RecordOptions};
use crate::render::{ascii, html, scene::SceneOptions, steps};
use crate::replay::Replay;
use crate::words::narrate::{demo, Demo};
use crate::words::Lang;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How many pipes join one process's stdout (fd 1) to another's stdin (fd 0).
fn connected_pipes(m: &crate::model::Model) -> usize {
    m.pipes()
        .iter()
        .filter_map(|p| m.pipe_holders(p.id))
        .filter(|h| {
            h.writers
                .iter()
                .any(|(w, wfd)| *wfd == 1 && h.readers.iter().any(|(r, rfd)| *rfd == 0 && r != w))
        })
        .count()
}

/// How many processes hold exactly one end of some pipe (and not its other end).
fn clean_pipe_holders(m: &crate::model::Model) -> usize {
    let mut holders: std::collections::HashMap<(i32, u64), (bool, bool)> =
        std::collections::HashMap::new();
    for p in m.pipes() {
        if let Some(h) = m.pipe_holders(p.id) {
            for (pid, _) in &h.readers {
                holders.entry((*pid, p.id)).or_default().0 = true;
            }
            for (pid, _) in &h.writers {
                holders.entry((*pid, p.id)).or_default().1 = true;
            }
        }
    }
    let mut procs: Vec<i32> = holders
        .iter()
        .filter(|(_, (r, w))| r != w)
        .map(|((pid, _), _)| *pid)
        .collect();
    procs.sort_unstable();
    procs.dedup();
    procs.len()
}

/// The seq of the moment to draw for `moment`.
fn pick(path: &Path, moment: Moment) -> Result<u64> {
    match moment {
        Moment::Wired | Moment::AfterExec => {
            let m = steps::moments(path, moment != Moment::AfterExec)?;
            let found = if moment == Moment::Wired {
                m.wired
            } else {
                m.exec
            };
            if let Some(seq) = found {
                return Ok(seq);
            }
            return pick(path, Moment::PipelineInFlow);
        }
        _ => {}
    }
    let mut r = Replay::open(path)?.without_narration();
    let mut best = (0u64, 0usize);
    while let Some(step) = r.step()? {
        let m = &r.model;
        let (n, latest) = match moment {
            // A pipe joining one process's stdout to another's stdin
            // counts most; then processes holding a single end.
            Moment::PipelineInFlow => (connected_pipes(m) * 1000 + clean_pipe_holders(m), true),
            Moment::MostZombies => (
                m.tree()
                    .iter()
                    .filter(|p| p.state == ProcessState::Zombie && m.tree().parent(p.id).is_some())
                    .count(),
                false,
            ),
            Moment::MostProcesses => (m.tree().live().count(), false),
            Moment::Wired | Moment::AfterExec => unreachable!("handled above"),
        };
        if n > best.1 || (latest && n == best.1 && n > 0) {
            best = (step.event.seq, n);
        }
    }
    if best.1 == 0 && moment == Moment::PipelineInFlow {
        return Ok(steps::busiest(path)?.seq());
    }
    Ok(best.0)
}

/// What the scenario shows, in `lang`.
fn about(lang: Lang, s: &Scenario) -> String {
    demo(lang, &Demo::About(s.lesson))
}

fn list(out: &mut impl Write, style: &Style, l: Lang) -> std::io::Result<()> {
    writeln!(out, "{}", demo(l, &Demo::ListHeading))?;
    for (i, s) in SCENARIOS.iter().enumerate() {
        let default = if i == 0 {
            demo(l, &Demo::Default)
        } else {
            String::new()
        };
        writeln!(out, "  {}{default}", style.prog(s.name))?;
        writeln!(out, "      {}", about(l, s))?;
        writeln!(
            out,
            "      {}",
            style.dim(&format!("$ sh -c '{}'", s.script))
        )?;
    }
    Ok(())
}

/// Runs `forkscope demo`.
pub fn run(args: DemoArgs, style: Style, lang: Lang) -> Result<i32> {
    // Written with `?`, so that `forkscope demo | head` ends quietly.
    let mut out = super::out::stdout();
    if args.list {
        list(&mut out, &style, lang)?;
        return Ok(0);
    }
    let s: &Scenario = match &args.name {
        None => &SCENARIOS[0],
        Some(n) => match crate::demo::find(n) {
            Some(s) => s,
            None => {
                let names = SCENARIOS
                    .iter()
                    .map(|s| s.name)
                    .collect::<Vec<_>>()
                    .join(", ");
                let no = Demo::NoSuchDemo {
                    name: n.clone(),
                    names,
                };
                bail!("{}", demo(lang, &no))
            }
        },
    };
    let (dir, fresh) = demo_dir(args.out_dir.as_deref(), lang)?;
    let trace = dir.join(format!("{}.jsonl", s.name));
    let page = dir.join(format!("{}.html", s.name));
    // Claimed before anything is written: never through a symlink.
    drop(create_no_follow(&trace, fresh, lang)?);

    let l = lang;
    writeln!(
        out,
        "{} {}",
        style.prog(&demo(l, &Demo::Title(s.name.into()))),
        about(l, s)
    )?;
    writeln!(
        out,
        "{}",
        style.dim(&format!("$ forkscope record -- sh -c '{}'", s.script))
    )?;
    writeln!(out, "{}", style.dim(&demo(l, &Demo::OutputStart)))?;
    let recorded = record::record(&RecordOptions {
        argv: vec!["sh".into(), "-c".into(), s.script.into()],
        output: Some(trace.clone()),
        env: false,
    })?;
    writeln!(out, "{}", style.dim(&demo(l, &Demo::OutputEnd)))?;
    writeln!(out)?;
    writeln!(out, "{}", style.prog(&demo(l, &Demo::TimelineHeading)))?;
    let mut r = crate::replay::Replay::open(&trace)?;
    super::timeline::timeline_in(
        lang,
        &mut r,
        &mut out,
        &style,
        &ReplayArgs {
            trace: trace.clone(),
            pid: None,
            no_descendants: false,
            kind: Vec::new(),
            failed: false,
            successful: false,
            time: false,
            relative: false,
            durations: false,
            json: false,
            collapse_files: true,
            range: None,
            at: None,
            verify: false,
        },
    )?;
    writeln!(out)?;
    let seq = pick(&trace, s.moment)?;
    // Regular files are left out, except where one is the lesson (the
    // exec demo's `exec 3</etc/hostname`).
    let opts = SceneOptions {
        collapse_files: s.moment != Moment::AfterExec,
        lang,
        ..SceneOptions::default()
    };
    let h = steps::html_steps(&trace, &opts, None)?;
    if h.steps.len() < h.qualified {
        super::say_capped(lang, &h);
    }
    // The link opens the page at `seq`: draw exactly a step the page has
    // (the last one at or before `seq`), so the terminal and the page show
    // the same event.
    let seq = h
        .steps
        .iter()
        .map(|s| s.seq)
        .take_while(|s| *s <= seq)
        .last()
        .unwrap_or(h.steps[0].seq);
    let scene = steps::scene_after(&trace, seq, &opts)?;
    writeln!(out, "{}", style.prog(&demo(l, &Demo::StateHeading(seq))))?;
    write!(
        out,
        "{}",
        ascii::render_with(
            &scene,
            ascii::Opts {
                color: style.color,
                width: ascii::terminal_width(),
                plain: false,
            }
        )
    )?;
    create_no_follow(&page, fresh, lang)
        .and_then(|mut f| Ok(f.write_all(html::page(opts.lang, &h.title, &h.steps).as_bytes())?))
        .with_context(|| demo(l, &Demo::Writing(page.display().to_string())))?;
    writeln!(out)?;
    let url = file_url(&page, seq);
    writeln!(out, "{}", demo(l, &Demo::StepThrough(url)))?;
    let next = Demo::TheTrace {
        path: trace.display().to_string(),
        events: recorded.events as u64,
    };
    writeln!(out, "{}", demo(l, &next))?;
    let me = invoked_as(lang);
    writeln!(
        out,
        "  {me} replay {}            # {}",
        trace.display(),
        demo(l, &Demo::FullTimeline)
    )?;
    writeln!(
        out,
        "  {me} tree {}              # {}",
        trace.display(),
        demo(l, &Demo::ProcessTree)
    )?;
    writeln!(
        out,
        "  {me} diagram {} --format svg -o {}.svg",
        trace.display(),
        s.name
    )?;
    writeln!(
        out,
        "  {me} demo --list                # {}",
        demo(l, &Demo::OtherScenarios)
    )?;
    Ok(0)
}

fn file_url(p: &Path, seq: u64) -> String {
    let abs: PathBuf = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    format!("file://{}#seq={seq}", abs.display())
}

/// Where the demo writes: `--out-dir DIR` (created if missing), else a new
/// private folder (mode 0700, as mkdtemp(3) makes it) in the system temp
/// directory, so that users sharing /tmp never meet each other's files or
/// symlinks. Returns the folder and whether it is new.
fn demo_dir(out_dir: Option<&Path>, lang: Lang) -> Result<(PathBuf, bool)> {
    if let Some(dir) = out_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| demo(lang, &Demo::CreatingDir(dir.display().to_string())))?;
        return Ok((dir.to_path_buf(), false));
    }
    use std::os::unix::fs::DirBuilderExt;
    let tmp = std::env::temp_dir();
    let mut n: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
        ^ (u64::from(std::process::id()) << 32);
    loop {
        // An unguessable-enough name; create_dir is atomic and fails on
        // anything already there (a folder, a file or a symlink).
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let dir = tmp.join(format!("forkscope-demo-{:06x}", (n >> 40) & 0xff_ffff));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok((dir, true)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(anyhow::Error::new(e))
                    .with_context(|| demo(lang, &Demo::CreatingIn(tmp.display().to_string())))
            }
        }
    }
}

/// Creates `path` for writing without following a symlink (O_NOFOLLOW); in
/// a new folder also O_EXCL (nothing can be there yet). In `--out-dir` an
/// existing regular file is overwritten, as a rerun expects.
fn create_no_follow(path: &Path, fresh: bool, lang: Lang) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    if fresh {
        o.create_new(true);
    } else {
        o.create(true).truncate(true);
    }
    o.open(path).map_err(|e| {
        let link = e.raw_os_error() == Some(libc::ELOOP);
        let path = path.display().to_string();
        let d = if link {
            Demo::SymLink(path)
        } else {
            Demo::CreatingFile {
                path,
                error: e.to_string(),
            }
        };
        anyhow::anyhow!("{}", demo(lang, &d))
    })
}

/// How to run this forkscope again, for the "Next:" lines: `forkscope` when
/// that name on the PATH is this very binary, else the path it was run by
/// (`./target/release/forkscope`); with `--lang zh` when the demo spoke
/// Chinese, so the next command does too.
fn invoked_as(lang: Lang) -> String {
    let exe = std::env::current_exe().ok();
    let on_path = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| {
            let c = d.join("forkscope");
            c.is_file() && std::fs::canonicalize(&c).ok() == exe
        })
    });
    let mut me = if on_path {
        "forkscope".to_string()
    } else {
        let arg0 = std::env::args_os().next().map(PathBuf::from);
        let p = match arg0 {
            Some(a) if a.components().count() > 1 => a,
            _ => exe.unwrap_or_else(|| PathBuf::from("forkscope")),
        };
        let raw = crate::trace::RawStr(p.into_os_string().into_encoded_bytes());
        crate::render::describe::command_line(&[raw])
    };
    if lang == Lang::Zh {
        me.push_str(" --lang zh");
    }
    me
}
