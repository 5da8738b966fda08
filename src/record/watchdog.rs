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
        }
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
            let _ = w.emit(pid, ev).and_then(|_| w.flush());
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
