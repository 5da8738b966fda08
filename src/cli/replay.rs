//! `forkscope replay`: the annotated timeline (text or JSON), the full state
//! at one moment (`--at`), and the check of the model against the kernel's
//! fd tables (`--verify`).

use super::style::Style;
use super::timeline::timeline_in;
use super::ReplayArgs;
use crate::render::state;
use crate::replay::Replay;
use crate::trace::Pid;
use crate::words::narrate::{listing, Listing};
use crate::words::Lang;
use std::collections::HashSet;
use std::io::{BufWriter, Write};

/// Runs `forkscope replay`.
pub fn run(args: ReplayArgs, style: Style, lang: Lang) -> anyhow::Result<i32> {
    // Replay prints each event, or the state at one: reaped processes can go.
    let mut r = Replay::open(&args.trace)?.forgetting();
    // Replay words steps and draws none.
    r.words_only();
    let mut out = BufWriter::new(super::out::stdout());
    let code = if args.verify {
        let trace = args.trace.display().to_string();
        state::verify(lang, &mut r, &mut out, &style, &trace)?
    } else if let Some(at) = args.at {
        state_at(lang, &mut r, &mut out, &style, at, &args)?
    } else {
        timeline_in(lang, &mut r, &mut out, &style, &args)?
    };
    out.flush()?;
    for w in r.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", args.trace.display());
    }
    Ok(code)
}

fn state_at<R: std::io::BufRead>(
    lang: Lang,
    r: &mut Replay<R>,
    out: &mut impl Write,
    style: &Style,
    at: u64,
    args: &ReplayArgs,
) -> anyhow::Result<i32> {
    // Only the step at `at` is worded: the ones before it only change the model.
    // The ones before it are applied without building their steps.
    r.narrate_from(at);
    let skipped = r.skip_to(at)?;
    let trace = args.trace.display().to_string();
    let Some(step) = skipped.step else {
        let Some((last, _)) = skipped.last else {
            anyhow::bail!("{}", listing(lang, &Listing::NoEvents { trace }))
        };
        let no = Listing::NoSuchEvent { trace, at, last };
        anyhow::bail!("{}", listing(lang, &no))
    };
    let seq = step.event.seq;
    let line = state::timeline_line(lang, r, &step, style);
    let m = &r.model;
    if let Some(pid) = args.pid {
        let alive = m
            .tree()
            .get(pid)
            .is_some_and(|p| p.state != crate::model::ProcessState::Reaped);
        if !alive {
            let not = Listing::NotAlive { trace, pid, seq };
            anyhow::bail!("{}", listing(lang, &not))
        }
    }
    let scope: Option<HashSet<Pid>> = args.pid.map(|p| subtree(m, p, !args.no_descendants));
    if args.json {
        let v = state::json(lang, r, seq, scope.as_ref());
        serde_json::to_writer(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(0);
    }
    out.write_all(state::text(lang, r, &line, scope.as_ref(), style).as_bytes())?;
    Ok(0)
}

/// `pid` and (optionally) its live descendants.
fn subtree(m: &crate::model::Model, pid: Pid, descendants: bool) -> HashSet<Pid> {
    let mut set = HashSet::from([pid]);
    if let (true, Some(p)) = (descendants, m.tree().get(pid)) {
        let mut stack = vec![p.id];
        while let Some(id) = stack.pop() {
            for c in m.tree().children(id) {
                set.insert(c.pid);
                stack.push(c.id);
            }
        }
    }
    set
}
