//! Moments and steps of a recorded trace, for drawing it: the busiest
//! moment and the key moment a drawing shows when none is asked for, the
//! scene after any event, and the steps of a step-through HTML page. Shared
//! by `diagram`, `demo` and the terminal view. Errors are facts
//! ([`NoticeError`]), worded where the CLI prints them.

use crate::model::Model;
use crate::render::html::HtmlStep;
use crate::render::scene::{EventInfo, Scene, SceneOptions};
use crate::render::{describe, narrate};
use crate::replay::filter::Filter;
use crate::replay::filter::SeqRange;
use crate::replay::{touched, Replay, Step};
use crate::trace::EventKind;
use crate::words::diagram::{Moment, Notice, NoticeError};
use anyhow::{bail, Context, Result};
use std::path::Path;

mod key;
pub use key::{key_scene, KeyFound};

/// The moment drawn when `--at` is not given, and why it was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Busiest {
    /// The step after which the most pipe ends were held (the earliest on a tie).
    PipeEnds {
        /// The event's seq.
        seq: u64,
        /// How many (process, fd) pairs held a pipe end then.
        ends: usize,
    },
    /// No pipe was ever open: the step after which the most tasks were alive.
    Tasks {
        /// The event's seq.
        seq: u64,
        /// How many were alive.
        tasks: usize,
    },
}

impl Busiest {
    /// The seq to draw the state after.
    pub fn seq(self) -> u64 {
        match self {
            Busiest::PipeEnds { seq, .. } | Busiest::Tasks { seq, .. } => seq,
        }
    }

    /// Why this moment (worded by [`crate::words::diagram::moment`]).
    pub fn why(self) -> Moment {
        match self {
            Busiest::PipeEnds { .. } => Moment::PipeEnds,
            Busiest::Tasks { .. } => Moment::Tasks,
        }
    }
}

/// How many fd slots hold an end of a live pipe or FIFO (an fd table
/// shared by threads counts once). Cheap: it sums the open files'
/// reference counts instead of listing every holder.
pub fn pipe_ends_held(model: &Model) -> usize {
    model.pipe_end_slots()
}

/// Can this kind of event change which fds exist? (Others keep the count.)
fn changes_fds(kind: &EventKind) -> bool {
    !matches!(
        kind,
        EventKind::Wait { .. }
            | EventKind::Kill { .. }
            | EventKind::Signal { .. }
            | EventKind::Stop { .. }
            | EventKind::Continue {}
            | EventKind::Setsid { .. }
            | EventKind::Setpgid { .. }
            | EventKind::PipeFailed { .. }
    )
}

/// Opens a trace for a drawing: one moment, or a page of steps, never the
/// whole history, so reaped processes can go ([`Replay::forgetting`]).
fn open(path: &Path) -> Result<Replay<std::io::BufReader<std::fs::File>>> {
    Ok(Replay::open(path)
        .with_context(|| say(Notice::CannotRead(path.display().to_string())))?
        .forgetting())
}

fn step<R: std::io::BufRead>(r: &mut Replay<R>, path: &Path) -> Result<Option<Step>> {
    r.step()
        .with_context(|| say(Notice::CannotReplay(path.display().to_string())))
}

/// Finds the most interesting moment of the trace at `path` (see [`Busiest`]).
/// An error if the trace has no events.
pub fn busiest(path: &Path) -> Result<Busiest> {
    let mut r = open(path)?.without_narration();
    let mut scan = BusiestScan::default();
    while let Some(s) = step(&mut r, path)? {
        scan.observe(&r, &s);
    }
    for w in r.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", path.display());
    }
    scan.finish(path)
}

/// [`busiest`]'s look at each step.
#[derive(Default)]
struct BusiestScan {
    ends: usize,
    best_ends: Option<(u64, usize)>,
    best_tasks: Option<(u64, usize)>,
}

impl BusiestScan {
    fn observe<R: std::io::BufRead>(&mut self, r: &Replay<R>, s: &Step) {
        self.look(&r.model, &s.event);
    }

    /// [`BusiestScan::observe`] from the state after `ev`.
    fn look(&mut self, model: &Model, ev: &crate::trace::Event) {
        let seq = ev.seq;
        if changes_fds(&ev.kind) {
            self.ends = pipe_ends_held(model);
        }
        let ends = self.ends;
        if !matches!(self.best_ends, Some((_, n)) if n >= ends) {
            self.best_ends = Some((seq, ends));
        }
        let tasks = model.tree().live_tasks();
        if !matches!(self.best_tasks, Some((_, n)) if n >= tasks) {
            self.best_tasks = Some((seq, tasks));
        }
    }

    fn finish(self, path: &Path) -> Result<Busiest> {
        match (self.best_ends, self.best_tasks) {
            (Some((seq, ends)), _) if ends > 0 => Ok(Busiest::PipeEnds { seq, ends }),
            (_, Some((seq, tasks))) => Ok(Busiest::Tasks { seq, tasks }),
            _ => no_events(path),
        }
    }
}

/// The moment a drawing of a whole trace shows when `--at` is not given:
/// the moment the traced scenario is about, found in one pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyMoment {
    /// A process became a zombie and its (traced) parent never reaped it in
    /// the trace: the state while it is a zombie.
    Zombie {
        /// The exit that made it one.
        seq: u64,
    },
    /// Programs were started with their fds redirected (dup2 before exec:
    /// a pipeline's stages, `2>&1 1>&3`): the state after the last fd change
    /// before those execs, when every stage is wired and none runs yet
    /// with the new fds' program.
    Wired {
        /// That last dup/close/open.
        seq: u64,
    },
    /// A process changed its fds and then exec'd (`exec 3<file; exec ls`):
    /// the state right after the last such exec.
    Exec {
        /// The exec.
        seq: u64,
    },
    /// None of those: the busiest moment.
    Busiest(Busiest),
}

impl KeyMoment {
    /// The seq to draw the state after.
    pub fn seq(self) -> u64 {
        match self {
            KeyMoment::Zombie { seq } | KeyMoment::Wired { seq } | KeyMoment::Exec { seq } => seq,
            KeyMoment::Busiest(b) => b.seq(),
        }
    }

    /// Why this moment (worded by [`crate::words::diagram::moment`]).
    pub fn why(self) -> Moment {
        match self {
            KeyMoment::Zombie { .. } => Moment::Zombie,
            KeyMoment::Wired { .. } => Moment::Wired,
            KeyMoment::Exec { .. } => Moment::Exec,
            KeyMoment::Busiest(b) => b.why(),
        }
    }
}

/// The candidates for [`KeyMoment`] in one trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Moments {
    /// See [`KeyMoment::Zombie`].
    pub zombie: Option<u64>,
    /// See [`KeyMoment::Wired`].
    pub wired: Option<u64>,
    /// See [`KeyMoment::Exec`].
    pub exec: Option<u64>,
}

/// Finds the [`Moments`] of the trace at `path`, among the steps an HTML
/// page made with `collapse_files` keeps (so a link to the moment lands on
/// exactly that step).
pub fn moments(path: &Path, collapse_files: bool) -> Result<Moments> {
    let mut r = open(path)?.without_narration();
    let mut scan = MomentsScan::new(collapse_files);
    while let Some(s) = step(&mut r, path)? {
        scan.observe(&r, &s);
    }
    r.take_warnings();
    Ok(scan.finish())
}

/// [`moments`]'s look at each step.
struct MomentsScan {
    filter: Filter,
    /// Looked up at most fd changes: a fast hash for pids.
    windows: crate::model::hash::IdMap<crate::trace::Pid, Window>,
    zombies: Vec<(crate::trace::Pid, u64)>,
    m: Moments,
}

/// A process's fd changes since its fork or exec.
#[derive(Default)]
struct Window {
    last: Option<u64>,
    dup: bool,
}

impl MomentsScan {
    fn new(collapse_files: bool) -> MomentsScan {
        MomentsScan {
            filter: Filter::steps(None, collapse_files, SeqRange::default()),
            windows: crate::model::hash::IdMap::default(),
            zombies: Vec::new(),
            m: Moments::default(),
        }
    }

    fn observe<R: std::io::BufRead>(&mut self, r: &Replay<R>, s: &Step) {
        let kept = self.filter.keep(s);
        self.look(&r.model, &s.event, &s.applied, kept);
    }

    /// [`MomentsScan::observe`] from the state after `ev`, what applying
    /// it changed, and whether the filter keeps its step.
    fn look(
        &mut self,
        model: &Model,
        ev: &crate::trace::Event,
        applied: &crate::model::Applied,
        kept: bool,
    ) {
        let (windows, m) = (&mut self.windows, &mut self.m);
        let seq = ev.seq;
        let pid = ev.pid;
        match &ev.kind {
            EventKind::Fork { child, flavor, .. }
                if *flavor != crate::trace::ForkFlavor::Thread =>
            {
                windows.insert(*child, Window::default());
            }
            EventKind::Dup { errno: None, .. }
            | EventKind::Close { .. }
            | EventKind::CloseRange { .. }
            | EventKind::Pipe { .. }
                if kept =>
            {
                let w = windows.entry(pid).or_default();
                w.last = Some(seq);
                w.dup |= matches!(ev.kind, EventKind::Dup { .. });
            }
            EventKind::Open { errno: None, .. } if kept => {
                windows.entry(pid).or_default().last = Some(seq);
            }
            // A thread that ends has no exec to come: its window goes (a
            // process's goes with its zombie note, below; a leader's exit
            // event can come after another thread's exec took its pid).
            EventKind::Exit { .. } if model.process(pid).is_none() => {
                windows.remove(&pid);
            }
            EventKind::Exec { ok: true, .. } => {
                let w = windows.remove(&pid).unwrap_or_default();
                if let (true, Some(last)) = (w.dup, w.last) {
                    m.wired = m.wired.max(Some(last));
                }
                if w.last.is_some() && kept {
                    m.exec = Some(seq);
                }
            }
            _ => {}
        }
        for note in &applied.notes {
            match note {
                crate::model::Note::Zombie { pid, .. } => {
                    self.windows.remove(pid);
                    let traced_parent = model
                        .process(*pid)
                        .is_some_and(|p| model.tree().parent(p.id).is_some());
                    if traced_parent && kept {
                        self.zombies.push((*pid, seq));
                    }
                }
                crate::model::Note::Reaped { pid, .. } => self.zombies.retain(|z| z.0 != *pid),
                _ => {}
            }
        }
    }

    fn finish(mut self) -> Moments {
        self.m.zombie = self.zombies.iter().map(|z| z.1).min();
        self.m
    }
}

/// The moment to draw when none is asked for: an unreaped zombie, else the
/// wired pipeline or redirection, else the exec after an fd change, else
/// the busiest moment.
pub fn key_moment(path: &Path) -> Result<KeyMoment> {
    // One pass for both looks.
    let mut r = open(path)?.without_narration();
    let (mut moments, mut busiest) = (MomentsScan::new(false), BusiestScan::default());
    while let Some(s) = step(&mut r, path)? {
        moments.observe(&r, &s);
        busiest.observe(&r, &s);
    }
    for w in r.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", path.display());
    }
    Ok(choose(moments.finish(), busiest.finish(path)?))
}

/// [`key_moment`]'s choice among the candidates.
fn choose(m: Moments, b: Busiest) -> KeyMoment {
    match (m.zombie, m.wired, m.exec) {
        (Some(seq), _, _) => KeyMoment::Zombie { seq },
        (None, Some(seq), _) => KeyMoment::Wired { seq },
        (None, None, Some(seq)) => KeyMoment::Exec { seq },
        _ => KeyMoment::Busiest(b),
    }
}

/// The error for a trace without events.
fn no_events<T>(path: &Path) -> Result<T> {
    bail!(say(Notice::NoEvents(path.display().to_string())))
}

/// A notice as an error, worded in the reader's language where the CLI
/// prints errors (these functions are also called by the terminal view and
/// `demo`).
fn say(n: Notice) -> NoticeError {
    NoticeError(n)
}

/// The traced command line, for titles.
fn title<R: std::io::BufRead>(r: &Replay<R>) -> String {
    describe::command_line(&r.header().argv)
}

/// The scene after `step` was applied to `r.model`.
pub fn scene_of<R: std::io::BufRead>(
    r: &Replay<R>,
    step: &Step,
    title: String,
    opts: &SceneOptions,
) -> Scene {
    let ev = &step.event;
    let info = EventInfo {
        seq: ev.seq,
        pid: ev.pid,
        call: narrate::call(ev, &r.labels),
        sentence: narrate::sentence(
            opts.lang,
            &r.model,
            ev,
            &step.before,
            &step.applied,
            &r.labels,
        ),
    };
    let mut scene = Scene::build(&r.model, &r.labels, title, Some(info), &touched(ev), opts);
    scene.mark_changes(&r.model, ev, &step.before, opts);
    scene
}

/// The seq of the event before `seq` in the trace at `path` (`None` when
/// `seq` is the first), for drawing the moment before an event.
pub fn seq_before(path: &Path, seq: u64) -> Result<Option<u64>> {
    let mut r = open(path)?.without_narration();
    let mut last = None;
    while let Some(s) = step(&mut r, path)? {
        if s.event.seq >= seq {
            return Ok(last);
        }
        last = Some(s.event.seq);
    }
    Ok(last)
}

/// The scene after event `seq` of the trace at `path`; an error naming the
/// trace's last seq if `seq` is beyond it.
pub fn scene_after(path: &Path, seq: u64, opts: &SceneOptions) -> Result<Scene> {
    let mut r = open(path)?;
    // Only the step at `seq` is drawn.
    r.narrate_from(seq);
    let title = title(&r);
    // The steps before it are applied without being built.
    let skipped = r
        .skip_to(seq)
        .with_context(|| say(Notice::CannotReplay(path.display().to_string())))?;
    if let Some(s) = skipped.step {
        if s.event.seq == seq {
            return Ok(scene_of(&r, &s, title, opts));
        }
        bail!(say(Notice::NoEvent {
            trace: path.display().to_string(),
            seq
        }))
    }
    match skipped.last.map(|(seq, _)| seq) {
        Some(l) => bail!(say(Notice::BeyondEnd {
            trace: path.display().to_string(),
            seq,
            last: l
        })),
        None => no_events(path),
    }
}

/// The most steps a page gets when no `--range` is given: a page stays
/// under 8 KiB a step on average (about 3 on a `make -j8` build).
pub const MAX_STEPS: usize = 2000;

/// An HTML page's steps.
pub struct HtmlSteps {
    /// The page title (the traced command).
    pub title: String,
    /// One per event shown: its timeline line and the scene after it.
    pub steps: Vec<HtmlStep>,
    /// How many events qualified in all (more than `steps` when capped).
    pub qualified: usize,
}

/// The steps of an HTML page: one per event of `opts.pid`'s subtree (every
/// process when `None`), without regular-file opens and closes when
/// `opts.collapse_files`, within `range`; at most [`MAX_STEPS`] when no
/// range is given.
pub fn html_steps(path: &Path, opts: &SceneOptions, range: Option<SeqRange>) -> Result<HtmlSteps> {
    let mut r = open(path)?;
    let title = title(&r);
    let mut steps = Vec::new();
    // Every event is applied (the reference [`html_page`] is checked against).
    let c = page_steps(&mut r, path, &title, opts, range, false, &mut |s, _| {
        steps.push(s)
    })?;
    Ok(HtmlSteps {
        title,
        steps,
        qualified: c.qualified,
    })
}

/// A step-through HTML page, made while its trace was replayed
/// ([`html_page`]).
pub struct HtmlPage {
    /// The page.
    pub page: String,
    /// How many steps it has.
    pub steps: usize,
    /// How many events qualified in all (more than `steps` when capped).
    pub qualified: usize,
    /// The seq of its first step.
    pub first: u64,
    /// The seq of its last step.
    pub last: u64,
}

impl HtmlPage {
    /// The notice that the page has only the first [`MAX_STEPS`] of the
    /// steps that qualified, if it was cut.
    pub fn capped(&self) -> Option<Notice> {
        (self.steps < self.qualified).then_some(Notice::Capped {
            shown: self.steps,
            qualified: self.qualified,
            first: self.first,
            last: self.last,
        })
    }
}

/// Steps handed from one thread of [`html_page`] to the next at a time:
/// a thread is woken once a batch, not once a step (on a VM a wake-up of
/// the other core costs tens of µs).
const BATCH: usize = 16;

/// How many batches may wait between two threads of [`html_page`]: all of
/// a capped page's steps, so the replay never waits for the drawing and
/// reads (and counts) the rest of the trace while the steps are drawn.
/// Bounded all the same: a page with a `--range` holds at most this many
/// steps in flight.
const IN_FLIGHT: usize = MAX_STEPS / BATCH + 1;

/// The page [`html_steps`] and [`crate::render::html::page_with`] make (the
/// same bytes, the same errors and warnings), made while the trace is
/// replayed: this thread replays and builds each step's scene, one thread
/// draws and cuts the kernel view (`html::View`), one the
/// compact view, and one writes the page (bounded queues of batches of
/// steps between them, see `IN_FLIGHT`) and finishes it once it has its
/// last step.
/// Once the page has its last step the rest of the trace is only read and
/// counted, not applied, unless the filter needs what a close replaced.
pub fn html_page(
    path: &Path,
    opts: &SceneOptions,
    range: Option<SeqRange>,
    kernel: bool,
) -> Result<HtmlPage> {
    use crate::render::html;
    use std::sync::mpsc::sync_channel;
    type Cut = (HtmlStep, html::ViewStep);
    let mut r = open(path)?;
    let title = title(&r);
    let (to_kernel, steps) = sync_channel::<Vec<HtmlStep>>(IN_FLIGHT);
    let (to_compact, kernel_cut) = sync_channel::<Vec<Cut>>(IN_FLIGHT);
    let (to_page, cut) = sync_channel::<Vec<(Cut, html::ViewStep)>>(IN_FLIGHT);
    std::thread::scope(|scope| {
        let kernel_view = scope.spawn(move || {
            let mut view = html::View::default();
            for batch in steps {
                let batch = batch
                    .into_iter()
                    .map(|s| {
                        let k = view.step(html::kernel_drawing(&s));
                        (s, k)
                    })
                    .collect();
                if to_compact.send(batch).is_err() {
                    break;
                }
            }
        });
        let compact_view = scope.spawn(move || {
            let mut view = html::View::default();
            for batch in kernel_cut {
                let batch = batch
                    .into_iter()
                    .map(|s| {
                        let c = view.step(html::compact_drawing(&s.0));
                        (s, c)
                    })
                    .collect();
                if to_page.send(batch).is_err() {
                    break;
                }
            }
        });
        let (page_title, lang) = (&title, opts.lang);
        let page = scope.spawn(move || {
            let mut page = html::Page::new(kernel);
            for ((s, k), c) in cut.into_iter().flatten() {
                page.push(&s, c, k);
            }
            // Written out here, while the replay may still be counting.
            page.finish(lang, page_title)
        });
        let mut batch = Vec::with_capacity(BATCH);
        let counted = page_steps(&mut r, path, &title, opts, range, true, &mut |s, last| {
            batch.push(s);
            if batch.len() == BATCH || last {
                // A closed queue is a drawing thread that panicked: joined below.
                let _ = to_kernel.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        });
        if !batch.is_empty() {
            let _ = to_kernel.send(batch);
        }
        drop(to_kernel);
        let joined = kernel_view
            .join()
            .and_then(|()| compact_view.join())
            .and_then(|()| page.join());
        let page = joined.unwrap_or_else(|p| std::panic::resume_unwind(p));
        let c = counted?;
        Ok(HtmlPage {
            page,
            steps: c.shown,
            qualified: c.qualified,
            first: c.first,
            last: c.last,
        })
    })
}

/// What [`page_steps`] counted.
struct Counted {
    shown: usize,
    qualified: usize,
    first: u64,
    last: u64,
}

/// Replays the trace in `r` and hands `emit` the step of each event of an
/// HTML page (see [`html_steps`]), at most [`MAX_STEPS`] when no range is
/// given; the rest are counted. `emit` is told when a step is the last
/// (the cap reached; without a cap the end is known only on return). An error, as [`html_steps`] says it, when
/// no step qualified. When `lean`, the events after the last step are
/// read without being applied where the filter can decide from the event
/// alone (nothing is drawn from them).
fn page_steps<R: std::io::BufRead>(
    r: &mut Replay<R>,
    path: &Path,
    title: &str,
    opts: &SceneOptions,
    range: Option<SeqRange>,
    lean: bool,
    emit: &mut dyn FnMut(HtmlStep, bool),
) -> Result<Counted> {
    let mut filter = Filter::steps(opts.pid, opts.collapse_files, range.unwrap_or_default());
    let cap = if range.is_some() {
        usize::MAX
    } else {
        MAX_STEPS
    };
    let (mut shown, mut qualified) = (0, 0);
    let (mut first, mut last) = (0, 0);
    // Steps before the range are neither drawn nor filtered on what they replace.
    r.narrate_from(range.and_then(|r| r.from).unwrap_or(0));
    while let Some(s) = step(r, path)? {
        let seq = s.event.seq;
        if filter.keep(&s) {
            qualified += 1;
            if shown < cap {
                emit(html_step(r, &s, title.to_string(), opts), shown + 1 == cap);
                if shown == 0 {
                    first = seq;
                }
                last = seq;
                shown += 1;
                if shown == cap && !opts.collapse_files {
                    // The rest are only counted, and the filter needs
                    // what a step replaces only to collapse files.
                    r.narrate_from(u64::MAX);
                }
            }
        }
        if filter.done_after(seq) {
            break;
        }
        if lean && shown == cap && filter.event_only() {
            // Nothing after this is drawn: read the rest, count, stop.
            while let Some(ev) = r
                .next_unapplied()
                .with_context(|| say(Notice::CannotReplay(path.display().to_string())))?
            {
                if filter.keep_event(ev) {
                    qualified += 1;
                }
                if filter.done_after(ev.seq) {
                    break;
                }
            }
            break;
        }
    }
    for w in r.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", path.display());
    }
    if shown == 0 {
        if qualified == 0 && range.is_some() {
            bail!(say(Notice::NoneInRange(path.display().to_string())))
        }
        return no_events(path);
    }
    Ok(Counted {
        shown,
        qualified,
        first,
        last,
    })
}

/// The step for one event: its timeline line and the scene after it.
fn html_step<R: std::io::BufRead>(
    r: &Replay<R>,
    s: &Step,
    title: String,
    opts: &SceneOptions,
) -> HtmlStep {
    let scene = scene_of(r, s, title, opts);
    let ev = &s.event;
    let e = scene.event.as_ref().expect("scene_of sets the event");
    let mut line = format!(
        "#{} {} {} {}",
        ev.seq,
        ev.pid,
        describe::pid_name(&r.model, ev.pid),
        e.call
    );
    if let Some(sentence) = &e.sentence {
        line.push_str("  — ");
        line.push_str(sentence);
    }
    HtmlStep {
        seq: ev.seq,
        line,
        scene,
        kind: ev.kind.name(),
        library: crate::replay::filter::only_about_a_file(s),
    }
}
