//! The hang watchdog: with a stall timeout, a thread samples the progress
//! counters of every traced task from /proc every 200 ms (it never uses
//! ptrace); when none moved and no ptrace-stop was processed for the
//! timeout, it takes a [`live`] snapshot and has the caller's [`Explain`]
//! find the hangs in it. Each new hang is written into the trace as a
//! `stall` event (its facts, and its English words for older readers),
//! handed to the caller's [`HangSink`], and the tree is killed if asked
//! (exit status [`HANG_EXIT`](super::HANG_EXIT)). The tracer calls
//! [`Watch::check`] too, when a terminating signal reaches a hung tree.
//!
//! The analysis and its words come from the caller (the CLI): the recorder
//! imports neither.

use super::{limits, live, signals};
use crate::model::snapshot::Snapshot;
use crate::trace::hang::Hang;
use crate::trace::{EventKind, TraceWriter};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Finds the hangs of a snapshot, and words them in English for the
/// trace's `stall` event (its `summary`, `steps` and `fix`, kept for
/// readers older than its `facts`).
pub trait Explain: Send + Sync {
    /// The hangs in `snap` (none: nothing is stuck).
    fn hangs(&self, snap: &Snapshot) -> Vec<Hang>;
    /// (summary, steps, fix) of `h` in English.
    fn english(&self, h: &Hang) -> (String, Vec<String>, String);
}

/// The caller's [`Explain`].
#[derive(Clone)]
pub struct HangExplainer(pub Arc<dyn Explain>);

impl std::fmt::Debug for HangExplainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HangExplainer")
    }
}

/// Receives each new hang found while recording (the CLI prints it).
#[derive(Clone)]
pub struct HangSink(pub Arc<dyn Fn(&StallReport) + Send + Sync>);

impl std::fmt::Debug for HangSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HangSink")
    }
}

/// How to watch for hangs while recording.
#[derive(Clone, Debug, Default)]
pub struct HangWatch {
    /// Analyse the tree when no traced task made progress for this long.
    pub stall_timeout: Option<Duration>,
    /// Kill the traced tree when a hang is found (exit [`HANG_EXIT`](super::HANG_EXIT)).
    pub kill: bool,
    /// Where new hangs go.
    pub sink: Option<HangSink>,
    /// Where the ptrace limits met go (see [`limits`]).
    pub limits: Option<limits::LimitSink>,
    /// Finds the hangs (without it, none is looked for).
    pub explain: Option<HangExplainer>,
}

/// Why the tree was analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// No progress for this long.
    Stalled(Duration),
    /// This signal reached the tracees from outside (Ctrl-C, kill).
    Signal(i32),
    /// Forkscope is about to detach.
    Detach,
}

/// New hangs, for the [`HangSink`].
#[derive(Clone, Debug)]
pub struct StallReport {
    /// What led to the analysis.
    pub why: Why,
    /// The hangs not reported before.
    pub hangs: Vec<Hang>,
    /// The tree is being killed because of them.
    pub killing: bool,
}

/// A traced task as the watchdog sees it: (tid, tgid, held in a group-stop).
pub type WatchedTask = (i32, i32, bool);

/// What the tracer shares with the hang watchdog, and the analysis both use.
pub struct Watch {
    root: i32,
    pub(crate) opts: HangWatch,
    /// ptrace reports processed so far: a stop is progress.
    stops: AtomicU64,
    /// The traced tasks, republished by the tracer when they change.
    tasks: Mutex<Vec<WatchedTask>>,
    /// The recording is over.
    pub(crate) done: AtomicBool,
    /// Keys of the hangs reported.
    reported: Mutex<HashSet<String>>,
    /// Every hang reported.
    pub(crate) hangs: Mutex<Vec<Hang>>,
    /// The tree was killed because of a hang.
    killed: AtomicBool,
    /// The trace, for recording findings.
    writer: Arc<Mutex<TraceWriter>>,
    /// eBPF only: the explanation of the last quiet moment, kept for a
    /// Ctrl-C report (see [`Kept`]).
    #[cfg(feature = "ebpf")]
    kept: Mutex<Option<Kept>>,
}

/// eBPF: what the tree looked like once nothing had moved for a while
/// ([`QUIET_KEEP`]), kept (not printed) in case a terminating signal comes.
/// With ptrace the tracer holds each tracee in its signal-delivery-stop
/// and analyses the tree then; with eBPF nothing holds them, and a hung
/// task with SIGINT's default action is gone (its fds closed) before
/// forkscope can read /proc. So the report is the one taken earlier, and
/// is given only if nothing was seen moving since it was taken.
#[cfg(feature = "ebpf")]
pub(crate) struct Kept {
    /// The hangs it found (none: nothing to report).
    hangs: Vec<Hang>,
    /// Records the recorder had seen then.
    stops: u64,
    /// Each task's counters then: (tgid, tid, counters).
    progress: Vec<(i32, i32, crate::model::snapshot::Progress)>,
    /// When a later sample saw a change (CLOCK_MONOTONIC ns, the start of
    /// that sample): the tree moved after this was taken.
    moved_at: Option<u64>,
}

/// eBPF: how long the tree must be quiet before its explanation is kept.
#[cfg(feature = "ebpf")]
pub(crate) const QUIET_KEEP: Duration = Duration::from_secs(1);

/// eBPF: how often the quiet watch samples the tasks' counters.
#[cfg(feature = "ebpf")]
pub(crate) const QUIET_TICK: Duration = Duration::from_millis(100);

/// CLOCK_MONOTONIC in ns (the clock of signals::take_terminating).
#[cfg(feature = "ebpf")]
fn mono_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

impl Watch {
    pub(crate) fn new(root: i32, opts: HangWatch, writer: Arc<Mutex<TraceWriter>>) -> Watch {
        Watch {
            root,
            opts,
            stops: AtomicU64::new(0),
            tasks: Mutex::new(Vec::new()),
            done: AtomicBool::new(false),
            reported: Mutex::new(HashSet::new()),
            hangs: Mutex::new(Vec::new()),
            killed: AtomicBool::new(false),
            writer,
            #[cfg(feature = "ebpf")]
            kept: Mutex::new(None),
        }
    }

    #[cfg(feature = "ebpf")]
    /// eBPF: `n` more records arrived (records are progress, as stops are).
    pub(crate) fn records_seen(&self, n: u64) {
        self.stops.fetch_add(n, Ordering::Relaxed);
    }

    #[cfg(feature = "ebpf")]
    /// eBPF: a terminating signal `sig` reached forkscope at `at_ns`
    /// (CLOCK_MONOTONIC). Reports the hangs kept at the last quiet moment
    /// (as [`Watch::check`] would, with [`Why::Signal`]; the `stall`
    /// event stamped `ts_ns`) if nothing was seen moving since: no record
    /// (`records_before`: none came between the last batch and the
    /// signal's own), no change at any sample of the counters, and the
    /// counters of each task still in /proc as they were (a blocked read
    /// or write that the signal interrupts counts one call more). Returns
    /// whether a report was given.
    pub(crate) fn report_kept(
        &self,
        sig: i32,
        at_ns: u64,
        records_before: bool,
        ts_ns: u64,
    ) -> bool {
        let Some(kept) = self.kept.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return false;
        };
        let Some(explain) = &self.opts.explain else {
            return false;
        };
        // A sample that started before the signal saw a change: moved.
        // One that started after it may have seen the signal's own doing.
        if kept.moved_at.is_some_and(|m| m <= at_ns)
            || records_before
            || self.stops.load(Ordering::Relaxed) != kept.stops
            || kept.hangs.is_empty()
        {
            return false;
        }
        for (tgid, tid, then) in &kept.progress {
            if let Some((_, now)) = live::progress(*tgid, *tid) {
                let calls = |a: u64, b: u64| b >= a && b - a <= 1;
                if now.rchar != then.rchar
                    || now.wchar != then.wchar
                    || !calls(then.syscr, now.syscr)
                    || !calls(then.syscw, now.syscw)
                {
                    return false;
                }
            }
        }
        let why = Why::Signal(sig);
        let new: Vec<Hang> = {
            let mut seen = self.reported.lock().unwrap_or_else(|e| e.into_inner());
            kept.hangs
                .iter()
                .filter(|h| seen.insert(h.key()))
                .cloned()
                .collect()
        };
        for h in &new {
            self.record_hang_at(h, explain, why, false, Some(ts_ns));
        }
        if !new.is_empty() {
            self.hangs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(new.iter().cloned());
            if let Some(sink) = &self.opts.sink {
                (sink.0)(&StallReport {
                    why,
                    hangs: new,
                    killing: false,
                });
            }
        }
        true
    }

    #[cfg(feature = "ebpf")]
    /// eBPF: the tree has been quiet since a sample that read `stops`
    /// records and fingerprint `fp`: snapshots and analyses it, and keeps
    /// the result if nothing moved meanwhile.
    fn keep(&self, stops: u64, fp: u64, tasks: &[WatchedTask]) {
        let Some(explain) = &self.opts.explain else {
            return;
        };
        let mut pids: Vec<i32> = tasks.iter().map(|t| t.1).collect();
        pids.sort_unstable();
        pids.dedup();
        let snap = live::snapshot_traced(self.root, &pids, &live::Traced::default());
        let hangs = explain.0.hangs(&snap);
        let progress = tasks
            .iter()
            .filter_map(|&(tid, tgid, _)| Some((tgid, tid, live::progress(tgid, tid)?.1)))
            .collect();
        if self.fingerprint() != fp || self.stops.load(Ordering::Relaxed) != stops {
            return;
        }
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(Kept {
            hangs,
            stops,
            progress,
            moved_at: None,
        });
    }

    #[cfg(feature = "ebpf")]
    /// eBPF: a sample that started at `at_ns` saw the tree move: what was
    /// kept no longer holds after that (a new one is kept at the next quiet
    /// moment).
    fn moved(&self, at_ns: u64) {
        if let Some(k) = self.kept.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            k.moved_at.get_or_insert(at_ns);
        }
    }

    #[cfg(feature = "ebpf")]
    /// eBPF: is an explanation kept that nothing has moved since?
    fn keeps(&self) -> bool {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|k| k.moved_at.is_none())
    }

    /// Is a watchdog sampling the tasks (so they must be published)?
    pub fn sampling(&self) -> bool {
        self.opts.stall_timeout.is_some()
    }

    /// One more ptrace report was processed.
    pub fn stop_seen(&self) {
        self.stops.fetch_add(1, Ordering::Relaxed);
    }

    /// The traced tasks changed.
    pub fn publish(&self, tasks: Vec<WatchedTask>) {
        *self.tasks.lock().unwrap_or_else(|e| e.into_inner()) = tasks;
    }

    /// The tree was killed because of a hang: new tasks are killed on sight.
    pub fn killed(&self) -> bool {
        self.killed.load(Ordering::Relaxed)
    }

    /// Snapshots `tasks`, analyses them, reports new hangs, and kills the
    /// tree if asked. Returns whether a hang (new or not) was found.
    pub fn check(&self, tasks: &[WatchedTask], why: Why) -> bool {
        let mut pids: Vec<i32> = tasks.iter().map(|t| t.1).collect();
        pids.sort_unstable();
        pids.dedup();
        if pids.is_empty() {
            return false;
        }
        let traced = live::Traced {
            group_stopped: tasks.iter().filter(|t| t.2).map(|t| t.0).collect(),
        };
        let mut snap = live::snapshot_traced(self.root, &pids, &traced);
        if matches!(why, Why::Signal(_)) {
            // The other tracees are on their way into the same
            // signal-delivery-stop; give them a moment to get there rather
            // than catch them running between their syscall and the stop.
            for _ in 0..5 {
                if !snap.tasks.iter().any(|t| t.state == 'R') {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
                snap = live::snapshot_traced(self.root, &pids, &traced);
            }
        }
        let Some(explain) = &self.opts.explain else {
            return false;
        };
        let hangs = explain.0.hangs(&snap);
        if hangs.is_empty() {
            return false;
        }
        let new: Vec<Hang> = {
            let mut seen = self.reported.lock().unwrap_or_else(|e| e.into_inner());
            hangs
                .iter()
                .filter(|h| seen.insert(h.key()))
                .cloned()
                .collect()
        };
        // Only a stall kills: a signal from outside is about to end the
        // tree anyway, and a detach must leave it as it was.
        // A long wait (an idle holder keeping EOF away) may end by itself:
        // it is explained, never killed.
        let killing = self.opts.kill
            && matches!(why, Why::Stalled(_))
            && hangs.iter().any(|h| !h.kind.may_end());
        for h in &new {
            self.record_hang(h, explain, why, killing);
        }
        if !new.is_empty() {
            self.hangs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(new.iter().cloned());
            if let Some(sink) = &self.opts.sink {
                (sink.0)(&StallReport {
                    why,
                    hangs: new,
                    killing,
                });
            }
        }
        if killing {
            self.killed.store(true, Ordering::Relaxed);
            for p in pids {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(p),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
        true
    }

    /// Writes a hang into the trace: its facts, and its English words for
    /// older readers. The event is by the first blocked task (alive: it is
    /// hung) and is flushed at once, since the tracer may sit in waitpid
    /// for as long as the hang lasts.
    fn record_hang(&self, h: &Hang, explain: &HangExplainer, why: Why, killing: bool) {
        self.record_hang_at(h, explain, why, killing, None);
    }

    /// [`Watch::record_hang`] stamped `ts_ns` (else now).
    fn record_hang_at(
        &self,
        h: &Hang,
        explain: &HangExplainer,
        why: Why,
        killing: bool,
        ts_ns: Option<u64>,
    ) {
        let pid = h.tasks.first().copied().unwrap_or(self.root);
        let (trigger, stalled_ns) = match why {
            Why::Stalled(d) => ("stalled", Some(d.as_nanos() as u64)),
            Why::Signal(_) => ("signal", None),
            Why::Detach => ("detach", None),
        };
        let (summary, steps, fix) = explain.0.english(h);
        let ev = EventKind::Stall {
            hang: h.kind.as_str().into(),
            trigger: trigger.into(),
            stalled_ns,
            summary,
            steps,
            fix,
            cycle: h.cycle.clone(),
            tasks: h.tasks.clone(),
            fds: h
                .fds
                .iter()
                .map(|f| crate::trace::StallFd {
                    pid: f.pid,
                    fd: f.fd,
                    pipe: f.pipe.clone(),
                    role: f.role.as_str().into(),
                })
                .collect(),
            pipes: h.pipes.clone(),
            killed: killing,
            facts: Some(Box::new(h.facts.clone())),
        };
        if let Ok(mut w) = self.writer.lock() {
            let ts = ts_ns.unwrap_or_else(|| w.start().elapsed().as_nanos() as u64);
            let _ = w.emit_at(pid, ev, ts).and_then(|_| w.flush());
        }
    }

    /// A fingerprint of every traced task's progress counters and of the
    /// ptrace stops processed: equal fingerprints, no progress.
    fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.stops.load(Ordering::Relaxed).hash(&mut h);
        let tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for (tid, tgid, stopped) in tasks {
            (tid, stopped).hash(&mut h);
            if let Some((state, p)) = live::progress(tgid, tid) {
                (state, p.cpu_ticks, p.rchar, p.wchar, p.syscr, p.syscw).hash(&mut h);
            }
        }
        h.finish()
    }
}

/// The watchdog thread: samples progress every 200 ms (or a quarter of the
/// timeout, if shorter); after `timeout` without any, analyses the tree, and
/// again every `timeout` for as long as the stall lasts.
fn watchdog(watch: Arc<Watch>, timeout: Duration) {
    let tick = Duration::from_millis(200)
        .min(timeout / 4)
        .max(Duration::from_millis(10));
    let mut last = watch.fingerprint();
    let mut since = Instant::now();
    let mut analysed: Option<Instant> = None;
    while !watch.done.load(Ordering::Relaxed) {
        std::thread::park_timeout(tick);
        if watch.done.load(Ordering::Relaxed) {
            break;
        }
        let fp = watch.fingerprint();
        let now = Instant::now();
        if fp != last {
            last = fp;
            since = now;
            analysed = None;
            continue;
        }
        let stalled = now - since;
        if stalled >= timeout && analysed.is_none_or(|a| now - a >= timeout) {
            analysed = Some(now);
            let tasks = watch
                .tasks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            if watch.check(&tasks, Why::Stalled(stalled)) && watch.killed() {
                break;
            }
        }
    }
}

/// Starts the watchdog with the signals forkscope handles blocked, so that
/// they interrupt the tracer thread's waitpid rather than this thread.
pub(super) fn start_watchdog(watch: &Arc<Watch>) -> Option<std::thread::JoinHandle<()>> {
    let timeout = watch.opts.stall_timeout?;
    let old = signals::block_all();
    let w = Arc::clone(watch);
    let handle = std::thread::Builder::new()
        .name("forkscope-watchdog".into())
        .spawn(move || watchdog(w, timeout))
        .ok();
    signals::set_mask(&old);
    handle
}

/// eBPF: the watchdog of an eBPF recording. It samples every
/// [`QUIET_TICK`] (or a quarter of the stall timeout, if shorter), as
/// [`watchdog`] does, with the records the recorder reads as its progress
/// count; after [`QUIET_KEEP`] without progress it keeps an explanation
/// for a Ctrl-C report ([`Watch::report_kept`]); with a stall timeout it
/// analyses and reports stalls as [`watchdog`] does.
#[cfg(feature = "ebpf")]
fn quiet_watchdog(watch: Arc<Watch>, timeout: Option<Duration>) {
    let tick = timeout
        .map_or(QUIET_TICK, |t| QUIET_TICK.min(t / 4))
        .max(Duration::from_millis(10));
    let mut last_stops = watch.stops.load(Ordering::Relaxed);
    let mut last = Some(watch.fingerprint());
    let mut since = Instant::now();
    let mut analysed: Option<Instant> = None;
    while !watch.done.load(Ordering::Relaxed) {
        std::thread::park_timeout(tick);
        if watch.done.load(Ordering::Relaxed) {
            break;
        }
        let started = mono_ns();
        let stops = watch.stops.load(Ordering::Relaxed);
        // Records arrived: that is progress, and /proc need not be read
        // (a busy tree costs this thread nothing more).
        let fp = (stops == last_stops).then(|| watch.fingerprint());
        last_stops = stops;
        let now = Instant::now();
        if fp.is_none() || fp != last {
            last = fp;
            since = now;
            analysed = None;
            watch.moved(started);
            continue;
        }
        let fp = fp.unwrap_or_default();
        let stalled = now - since;
        let tasks = || {
            watch
                .tasks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        };
        if stalled >= QUIET_KEEP && !watch.keeps() {
            watch.keep(stops, fp, &tasks());
        }
        if let Some(timeout) = timeout {
            if stalled >= timeout && analysed.is_none_or(|a| now - a >= timeout) {
                analysed = Some(now);
                if watch.check(&tasks(), Why::Stalled(stalled)) && watch.killed() {
                    break;
                }
            }
        }
    }
}

/// eBPF: starts [`quiet_watchdog`] (always: the Ctrl-C report needs it)
/// with the signals forkscope handles blocked, so that they interrupt the
/// recorder's poll rather than this thread.
#[cfg(feature = "ebpf")]
pub(super) fn start_quiet_watchdog(watch: &Arc<Watch>) -> Option<std::thread::JoinHandle<()>> {
    let timeout = watch.opts.stall_timeout;
    let old = signals::block_all();
    let w = Arc::clone(watch);
    let handle = std::thread::Builder::new()
        .name("forkscope-watchdog".into())
        .spawn(move || quiet_watchdog(w, timeout))
        .ok();
    signals::set_mask(&old);
    handle
}
