//! The key moment of a trace found and drawn with one read of the trace.
//!
//! [`key_moment`](super::key_moment) needs the whole trace before it knows
//! which moment to draw, and drawing it needs the state after that moment:
//! read naively, the trace is replayed twice. Here the first replay keeps
//! copies of the state now and then (every [`EVERY`] events; a copy of the
//! model shares what did not change, see `model::shared`), together with
//! where in the file they were taken, and drawing replays only from the
//! last copy before the moment. Only the copies the answer may still need
//! are kept: the moment is always one of a few seqs known so far (a zombie
//! not yet reaped, the wired or exec moment so far, the last fd change of
//! a window not yet ended by an exec, the busiest moments so far) or a
//! later one, so memory follows the live state, not the length of the
//! trace.

use super::{choose, say, scene_after, scene_of, title};
use super::{BusiestScan, KeyMoment, MomentsScan};
use crate::model::labels::Labels;
use crate::model::Model;
use crate::render::scene::{Scene, SceneOptions};
use crate::replay::Replay;
use crate::trace::reader::Position;
use crate::words::diagram::Notice;
use anyhow::{Context, Result};
use std::path::Path;

/// Events between two copies of the state.
const EVERY: u64 = 1 << 16;

/// The state after the event whose line ends at `at`.
struct Checkpoint {
    at: Position,
    model: Model,
    labels: Labels,
}

/// The key moment of a trace and where to start replaying to draw it.
pub struct KeyFound {
    /// The moment ([`super::key_moment`] gives the same).
    pub moment: KeyMoment,
    /// The last copy of the state before the moment, if any.
    from: Option<Checkpoint>,
}

impl KeyFound {
    /// Finds the key moment of the trace at `path` (the same as
    /// [`super::key_moment`], with the same warnings printed), keeping
    /// what drawing it with [`key_scene`] needs.
    pub fn find(path: &Path) -> Result<KeyFound> {
        KeyFound::find_every(path, EVERY)
    }

    /// [`KeyFound::find`] with a copy of the state every `every` events.
    fn find_every(path: &Path, every: u64) -> Result<KeyFound> {
        let mut r = Replay::open(path)
            .with_context(|| say(Notice::CannotRead(path.display().to_string())))?
            .forgetting()
            .without_narration();
        let (mut moments, mut busiest) = (MomentsScan::new(false), BusiestScan::default());
        let mut kept: Vec<Checkpoint> = Vec::new();
        let mut n = 0u64;
        loop {
            let s = r
                .step_lent()
                .with_context(|| say(Notice::CannotReplay(path.display().to_string())))?;
            let Some(s) = s else { break };
            // The scan keeps every step (no pid, no range, files shown):
            // what `MomentsScan::new(false)`'s filter says of each.
            moments.look(s.model, s.event, &s.applied, true);
            busiest.look(s.model, s.event);
            n += 1;
            if n % every == 0 {
                if let Some(at) = r.position() {
                    kept.push(Checkpoint {
                        at,
                        model: r.model.clone(),
                        labels: r.labels.clone(),
                    });
                    prune(&mut kept, &moments, &busiest);
                }
            }
        }
        for w in r.take_warnings() {
            crate::errln!("forkscope: warning: {}: {w}", path.display());
        }
        let moment = choose(moments.finish(), busiest.finish(path)?);
        let seq = moment.seq();
        let from = kept.into_iter().take_while(|c| c.at.seq < seq).last();
        Ok(KeyFound { moment, from })
    }
}

/// Drops the copies no answer can need: each seq the moment may still be
/// needs the last copy before it, and a later seq the newest copy.
fn prune(kept: &mut Vec<Checkpoint>, moments: &MomentsScan, busiest: &BusiestScan) {
    let mut need = vec![false; kept.len()];
    if let Some(last) = need.last_mut() {
        *last = true;
    }
    // A window's last fd change becomes the wired moment only if it has a
    // dup already (a later dup moves `last` past every copy).
    let windows = moments
        .windows
        .values()
        .filter(|w| w.dup)
        .filter_map(|w| w.last);
    let points = moments
        .zombies
        .iter()
        .map(|z| z.1)
        .chain(moments.m.wired)
        .chain(moments.m.exec)
        .chain(windows)
        .chain(busiest.best_ends.map(|b| b.0))
        .chain(busiest.best_tasks.map(|b| b.0));
    for p in points {
        let i = kept.partition_point(|c| c.at.seq < p);
        if i > 0 {
            need[i - 1] = true;
        }
    }
    let mut need = need.into_iter();
    kept.retain(|_| need.next().unwrap_or(true));
}

/// The scene after the key moment `found` (as [`scene_after`] draws it),
/// replaying only from the last copy of the state before it.
pub fn key_scene(path: &Path, found: KeyFound, opts: &SceneOptions) -> Result<Scene> {
    let seq = found.moment.seq();
    let Some(c) = found.from else {
        return scene_after(path, seq, opts);
    };
    let mut r = Replay::open_at(path, c.at, c.model, c.labels)
        .with_context(|| say(Notice::CannotRead(path.display().to_string())))?;
    // Only the step at `seq` is drawn.
    r.narrate_from(seq);
    let title = title(&r);
    let skipped = r
        .skip_to(seq)
        .with_context(|| say(Notice::CannotReplay(path.display().to_string())))?;
    match skipped.step {
        Some(s) if s.event.seq == seq => Ok(scene_of(&r, &s, title, opts)),
        // The file changed since it was read: say what a whole replay says.
        _ => scene_after(path, seq, opts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::steps::key_moment;
    use crate::render::svg;

    #[test]
    fn the_key_moment_drawn_from_a_copy_is_the_one_a_whole_replay_draws() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/traces");
        let mut traces: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .collect();
        traces.sort();
        let mut from_a_copy = 0;
        for path in &traces {
            let Ok(want) = key_moment(path) else {
                assert!(KeyFound::find(path).is_err(), "{}", path.display());
                continue;
            };
            let opts = SceneOptions::default();
            let drawn = svg::render(&scene_after(path, want.seq(), &opts).unwrap());
            for every in [1, 2, 3, 7, EVERY] {
                let found = KeyFound::find_every(path, every).unwrap();
                assert_eq!(found.moment, want, "{} every {every}", path.display());
                from_a_copy += usize::from(found.from.is_some());
                let scene = key_scene(path, found, &opts).unwrap();
                assert_eq!(
                    svg::render(&scene),
                    drawn,
                    "{} every {every}",
                    path.display()
                );
            }
        }
        assert!(from_a_copy > 10, "{from_a_copy}");
    }
}
