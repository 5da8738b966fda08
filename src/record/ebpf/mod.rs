//! The eBPF recording backend (`record --backend ebpf`, cargo feature
//! `ebpf`): BPF programs in the kernel (bpf/*.bpf.c, built by build.rs)
//! follow the traced tree through a pid set kept in a kernel map (updated at
//! fork and exit) and put one record per event into a ring buffer shared by
//! all CPUs; this module reads the records and writes the same trace events
//! as the ptrace backend, through the same [`TraceWriter`]. The traced
//! program never stops: nothing waits for forkscope.
//!
//! - [`load`]: loading and attaching the programs; why it cannot run here.
//! - [`launch`]: starting the command held before its exec.
//! - [`wire`]: the records' layout (bpf/wire.h).
//! - [`decode`]: records to [`EventKind`]s.
//! - [`phases`]: what starting and stopping cost, step by step.
//! - [`resident`]: the programs loaded once (`forkscope ebpf load`) and
//!   claimed by one recording at a time.
//!
//! Records the ring buffer had no room for are counted in the kernel and
//! written as `lost` events (and said in the summary).
//!
//! Loader: libbpf-rs over libbpf (vendored, as tracexec does), not aya.
//! libbpf is the reference implementation of what the C side relies on:
//! CO-RE relocations against the running kernel's BTF, tracepoint and
//! raw tracepoint attach by section name, the BPF ring buffer; the programs stay in
//! plain C compiled by clang, with the kernel's own helper headers. aya
//! would spare the C build of libbpf but re-implements relocation, and the
//! C side would be the same. Skeletons (libbpf-cargo) are not used: one
//! object, loaded from memory, its maps found by name.

mod attach;
pub mod decode;
mod kernel_id;
pub mod launch;
pub mod load;
pub mod phases;
pub mod resident;
pub mod wire;

pub use load::{Loaded, Unavailable};

use super::watchdog::start_quiet_watchdog;
use super::{
    default_output, header, output_path, probe_output, procfs, raw, signals, spawn, Attached,
    HangWatch, RecordError, RecordOptions, RecordOutcome, Watch, WatchedTask, Why,
};
use crate::trace::{EventKind, Status, TraceWriter};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How an eBPF recording ended: the outcome the summary reads, and the
/// number of records lost (the ring buffer was full).
pub struct EbpfOutcome {
    /// As the ptrace backend's.
    pub outcome: RecordOutcome,
    /// Records the kernel dropped.
    pub lost: u64,
}

/// The programs for one recording: the resident probe's when it is
/// loaded and free ([`resident::claim`]), else loaded for this recording
/// alone (the phases line says which, and why: `resident=0
/// resident_why=busy`). The check `--backend auto` makes before choosing.
pub fn available() -> Result<Loaded, Unavailable> {
    match resident::claim(phases::Phases::start()) {
        Ok(bpf) => Ok(bpf),
        Err((why, _)) => {
            let mut bpf = load::load()?;
            bpf.phases.count("resident", 0);
            bpf.phases.note("resident_why", why.key());
            Ok(bpf)
        }
    }
}

fn mono_ns() -> u64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Records `opts.argv` with the programs in `bpf` (from [`available`]),
/// watching for hangs as `hang` says (see `run`).
pub fn record(
    mut bpf: Loaded,
    opts: &RecordOptions,
    hang: &HangWatch,
) -> Result<EbpfOutcome, RecordError> {
    let mut phases = std::mem::replace(&mut bpf.phases, phases::Phases::start());
    let argv0 = opts.argv.first().ok_or_else(|| RecordError::Spawn {
        msg: "no command given".into(),
    })?;
    let prog = spawn::resolve_program(argv0)?;
    let path = opts.output.clone().unwrap_or_else(|| default_output(argv0));
    let mut header = header(
        opts.argv.iter().map(|a| raw(a)).collect(),
        std::env::current_dir()
            .map(|d| raw(d.as_os_str()))
            .unwrap_or_default(),
        opts.env,
    );
    probe_output(&path)?;
    let held = launch::hold(&prog, &opts.argv)?;
    let root = held.pid;
    if let Err(e) = bpf.trace_pid(root) {
        held.abandon();
        return Err(RecordError::Spawn { msg: e.0 });
    }
    signals::set_root(root);
    signals::catch(false);
    header.root_pid = root;
    let mut w = match TraceWriter::create(&path, &header) {
        Ok(w) => w,
        Err(e) => {
            held.abandon();
            return Err(e.into());
        }
    };
    // Kernel times (CLOCK_MONOTONIC, as Instant) counted from the writer's start.
    let base = mono_ns().saturating_sub(w.start().elapsed().as_nanos() as u64);
    // The inherited fd table, read while the child waits before its exec
    // (only fds that survive exec).
    let fds = procfs::fd_table_full(root)
        .into_iter()
        .filter(|e| !e.cloexec)
        .collect();
    let first_ts = w.start().elapsed().as_nanos() as u64;
    w.emit_at(root, EventKind::spawned(header.argv.clone(), fds), first_ts)?;
    w.flush()?;
    held.release()?;
    phases.mark("spawn");
    let w = Arc::new(Mutex::new(w));
    run(
        bpf,
        phases,
        Started {
            w,
            dec: decode::Decoder::new(root),
            root,
            path,
            base,
            first_ts,
            attached: None,
        },
        hang,
    )
}

/// `record -p PID [-p PID2]` with the programs in `bpf`: puts the
/// processes, their threads and their descendants in the traced set
/// (`attach::trace_running`: nothing is seized or stopped), writes a
/// `spawn` event (`attached`) for each with its argv and fd table from
/// /proc, and records until they all exit or SIGINT, SIGTERM or SIGHUP
/// asks forkscope to stop: they are then taken out of the traced set and
/// run on untouched (nothing to detach).
pub fn attach(
    mut bpf: Loaded,
    pids: &[i32],
    output: Option<std::path::PathBuf>,
    hang: &HangWatch,
) -> Result<EbpfOutcome, RecordError> {
    let phases = std::mem::replace(&mut bpf.phases, phases::Phases::start());
    let pid = *pids.first().ok_or_else(|| RecordError::Spawn {
        msg: "no process to attach to".into(),
    })?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map_err(|_| RecordError::NoProcess { pid })?;
    let root_argv = attach::argv_of(&cmdline);
    let argv0 = root_argv
        .first()
        .map(|a| std::ffi::OsString::from(std::ffi::OsStr::from_bytes(&a.0)))
        .unwrap_or_else(|| std::ffi::OsString::from(format!("pid{pid}")));
    let path = output_path(output, &argv0)?;
    let mut header = header(
        root_argv.clone(),
        procfs::cwd(pid)
            .map(|d| raw(d.as_os_str()))
            .unwrap_or_default(),
        false,
    );
    header.root_pid = pid;
    signals::set_root(pid);
    // SIGINT, SIGTERM and SIGHUP now ask for the end; no tick is needed:
    // the loop below looks every 10 ms.
    signals::catch(true);
    signals::stop_tick();
    let found = attach::trace_running(&bpf, pids)?;
    let all_tids: Vec<i32> = found.iter().flat_map(|f| f.tids.clone()).collect();
    let mut w = match TraceWriter::create(&path, &header) {
        Ok(w) => w,
        Err(e) => {
            bpf.untrace_tids(&all_tids);
            return Err(e.into());
        }
    };
    let base = mono_ns().saturating_sub(w.start().elapsed().as_nanos() as u64);
    // Stamped with the time the first table was read; parents come before
    // their children: a child's spawn can name a parent already in the
    // trace, and an fd the open file of an fd spawned before it (as
    // `record::attach` writes them).
    let first_ts = found.first().map_or(0, |f| f.read_at.saturating_sub(base));
    let mut spawned: Vec<i32> = Vec::new();
    for f in &found {
        let parent = procfs::ppid(f.pid).filter(|pp| spawned.contains(pp));
        w.emit_at(
            f.pid,
            EventKind::Spawn {
                argv: f.argv.clone(),
                fds: f.fds.clone(),
                attached: true,
                parent,
                threads: f.tids.iter().copied().filter(|&t| t != f.pid).collect(),
            },
            first_ts,
        )?;
        spawned.push(f.pid);
    }
    w.flush()?;
    let tasks: Vec<(i32, i32)> = found
        .iter()
        .flat_map(|f| f.tids.iter().map(move |&t| (t, f.pid)))
        .collect();
    let info = Attached {
        pid,
        processes: found.len(),
        threads: tasks.len(),
        detached: false,
        ebpf: true,
    };
    run(
        bpf,
        phases,
        Started {
            w: Arc::new(Mutex::new(w)),
            dec: decode::Decoder::attached(pid, &tasks),
            root: pid,
            path,
            base,
            first_ts,
            attached: Some(Attaching {
                info,
                read_at: found
                    .iter()
                    .flat_map(|f| f.tids.iter().map(move |&t| (t, f.read_at)))
                    .collect(),
                procs: found.iter().map(|f| f.pid).collect(),
            }),
        },
        hang,
    )
}

/// What [`run`] records: set up by [`record`] or [`attach`].
struct Started {
    w: Arc<Mutex<TraceWriter>>,
    dec: decode::Decoder,
    /// The first process (the header's root pid).
    root: i32,
    path: std::path::PathBuf,
    /// CLOCK_MONOTONIC at the writer's start.
    base: u64,
    /// The time of the events written so far (the spawns).
    first_ts: u64,
    attached: Option<Attaching>,
}

/// `record -p`: what was found running.
struct Attaching {
    info: Attached,
    /// Each attached task, with when its process's argv and fd table were
    /// read (CLOCK_MONOTONIC): a record of it from before is of a change
    /// they show.
    read_at: HashMap<i32, u64>,
    /// The processes found (each has a spawn event).
    procs: HashSet<i32>,
}

impl Attaching {
    /// Is `r` a change the spawn events already show: by an attached task
    /// before its process's table was read, or the fork of a process that
    /// has a spawn of its own?
    fn shown(&self, r: &wire::Record) -> bool {
        self.read_at.get(&r.pid).is_some_and(|&t| r.ts < t)
            || matches!(r.rec, wire::Rec::Fork { child, .. }
                if self.procs.contains(&child) || self.read_at.contains_key(&child))
    }
}

/// Is `r` a record of a task the decoder knows (or of the exec by which
/// one became its process's leader)?
fn known(dec: &decode::Decoder, r: &wire::Record) -> bool {
    dec.live.contains(&r.pid)
        || matches!(r.rec, wire::Rec::Exec { old_pid, .. } if dec.live.contains(&old_pid))
}

/// Is record `r` the doing of terminating signal `sig` rather than the
/// tree's own progress: a signal, an exit by `sig`, a call the signal
/// interrupted (it returns ERESTARTSYS and its kin, or EINTR)?
fn signals_doing(r: &wire::Record, sig: i32) -> bool {
    match &r.rec {
        wire::Rec::Signal { .. } => true,
        wire::Rec::Exit { code } => code & 0x7f == sig,
        wire::Rec::Sys { ret, .. } => matches!(-*ret, 512..=516) || -*ret == libc::EINTR as i64,
        _ => false,
    }
}

/// What the signal forwarder ([`signals`]) needs to know of the tree, as
/// the ptrace tracer tells it: its processes (a signal one of them sends
/// forkscope is not passed back to the program), and the kill(2)s from
/// outside that reached a traced task (sent to the group: the program has
/// its own copy, and forkscope's is not passed on). Rare records only.
fn note_for_forwarder(r: &wire::Record) {
    match r.rec {
        wire::Rec::Fork { child, .. } => signals::member(child),
        wire::Rec::Signal {
            sig,
            at: wire::SigAt::Delivered | wire::SigAt::Ignored,
            code,
            from,
            ..
        } => signals::delivered(sig, code, Some(from)),
        _ => {}
    }
}

/// Takes every live task out of the kernel's traced set and decodes what
/// the ring still holds (the records `keep` accepts): a child forked
/// meanwhile was put in by the kernel, and its fork record says so, so
/// this goes on until no task is left in. The tasks run on, untouched.
fn let_go_all(
    bpf: &Loaded,
    ring: &libbpf_rs::RingBuffer<'_>,
    queue: &RefCell<Vec<wire::Record>>,
    dec: &mut decode::Decoder,
    out: &mut Vec<decode::Out>,
    keep: impl Fn(&wire::Record) -> bool,
) {
    let mut out_of_set: HashSet<i32> = HashSet::new();
    loop {
        let tids: Vec<i32> = dec
            .live
            .iter()
            .copied()
            .filter(|t| out_of_set.insert(*t))
            .collect();
        if tids.is_empty() {
            break;
        }
        bpf.untrace_tids(&tids);
        let _ = ring.consume();
        for r in queue.borrow_mut().drain(..) {
            if keep(&r) {
                dec.feed(r, out);
            }
        }
    }
    dec.finish(out);
}

/// The recording loop of both [`record`] and [`attach`]. Hangs are watched
/// by the same [`Watch`] as with ptrace, fed from here (the live tasks as
/// the records tell them, each record counting as progress) and sampled
/// by a watchdog thread ([`super::watchdog`]); with a stall timeout it
/// reports (and with `--on-deadlock kill` kills) as with ptrace. A
/// terminating signal to forkscope reports the explanation kept at the last
/// quiet moment if nothing moved since ([`Watch::report_kept`]); attached,
/// it ends the recording.
fn run(
    bpf: Loaded,
    mut phases: phases::Phases,
    st: Started,
    hang: &HangWatch,
) -> Result<EbpfOutcome, RecordError> {
    let Started {
        w,
        mut dec,
        root,
        path,
        base,
        first_ts,
        mut attached,
    } = st;
    let resident = bpf.is_resident();
    let watch = Arc::new(Watch::new(root, hang.clone(), Arc::clone(&w)));
    let watched = |dec: &decode::Decoder| -> Vec<WatchedTask> {
        dec.tasks()
            .into_iter()
            .map(|(tid, tgid)| (tid, tgid, false))
            .collect()
    };
    watch.publish(watched(&dec));
    for (_, tgid) in dec.tasks() {
        signals::member(tgid);
    }
    signals::live(dec.tasks().into_iter().map(|t| t.1));
    let mut published = dec.changes;
    let dog = start_quiet_watchdog(&watch);

    // Decoded in the callback, straight from the ring's memory: copying
    // each record out first (fd records are 1.5 KB) was a third of
    // forkscope's CPU while recording (malloc and memmove).
    let queue: Rc<RefCell<Vec<wire::Record>>> = Rc::default();
    let q = Rc::clone(&queue);
    let ring = bpf
        .ring(move |b| {
            if let Some(r) = wire::decode(b) {
                q.borrow_mut().push(r);
            }
            0
        })
        .map_err(|e| RecordError::Spawn { msg: e.0 })?;
    let mut out = Vec::new();
    let mut status: Option<Status> = None;
    let mut reported_lost = 0u64;
    // Not before the events already written (the spawn events).
    let mut last_ts = first_ts;
    let mut last_gone_check = Instant::now();
    let mut first_record = true;
    let mut killed: HashSet<i32> = HashSet::new();
    let mut detach = false;
    // SIGINT, SIGTERM or SIGHUP after the first process exited: the
    // recording ends, the processes left run on (see signals::live).
    let mut leave: Option<i32> = None;
    // Events written by others (the watchdog's `stall` events, stamped
    // with the writer's clock): ours may not go back before them.
    let mut ours = w.lock().unwrap_or_else(|e| e.into_inner()).events_written();
    let emit = |out: &mut Vec<decode::Out>,
                last_ts: &mut u64,
                ours: &mut u64|
     -> Result<(), RecordError> {
        let mut w = w.lock().unwrap_or_else(|e| e.into_inner());
        if w.events_written() != *ours {
            *last_ts = (*last_ts).max(w.start().elapsed().as_nanos() as u64);
        }
        for (pid, ts, kind) in out.drain(..) {
            // Ring order is the kernel's order; times from different CPUs
            // may be a little out of step: never let them go backwards.
            *last_ts = (*last_ts).max(ts.saturating_sub(base));
            w.emit_at(pid, kind, *last_ts)?;
        }
        let _ = w.flush();
        *ours = w.events_written();
        Ok(())
    };
    loop {
        // EINTR (a signal to forkscope) only ends this poll early.
        // Records do not wake forkscope (bpf/maps.h), exits do: read the
        // buffer every 10 ms, and every millisecond once the first
        // process's exit record is in, until waitpid sees it gone (its
        // exit record comes before it is a zombie).
        let nap = if attached.is_none() && status.is_none() && !dec.live.contains(&root) {
            1
        } else {
            10
        };
        let _ = ring.poll(Duration::from_millis(nap));
        // poll() reads only a buffer epoll reported (a wake-up): read it
        // anyway.
        let _ = ring.consume();
        if first_record && !queue.borrow().is_empty() {
            first_record = false;
            phases.mark("first");
        }
        if let Some((sig, at)) = signals::take_terminating() {
            if attached.is_some() {
                detach = matches!(sig, libc::SIGINT | libc::SIGTERM | libc::SIGHUP)
                    || signals::detach_requested();
            } else if status.is_some() && matches!(sig, libc::SIGINT | libc::SIGTERM | libc::SIGHUP)
            {
                leave = Some(sig);
            } else {
                // Progress between the last batch and the signal: a record
                // from before the signal was sent (before it reached
                // forkscope, and before any task's record of it) that is
                // not the signal's own doing. What follows the signal (a
                // wait4 reaping a child the signal killed) is its doing.
                let q = queue.borrow();
                let sent = q
                    .iter()
                    .find(|r| matches!(r.rec, wire::Rec::Signal { sig: s, .. } if s == sig))
                    .map_or(at, |r| r.ts.min(at));
                let before = q.iter().any(|r| r.ts < sent && !signals_doing(r, sig));
                drop(q);
                // Stamped with the last event's time: the state it tells
                // held then, before the signal's effects that follow.
                if watch.report_kept(sig, at, before, last_ts) {
                    ours = w.lock().unwrap_or_else(|e| e.into_inner()).events_written();
                }
            }
        }
        let n = queue.borrow().len() as u64;
        if n > 0 {
            watch.records_seen(n);
        }
        for r in queue.borrow_mut().drain(..) {
            // The resident probe's pid set was emptied before this
            // recording began, but a program that had found a task of an
            // earlier (killed) recording in it may still have been on its
            // way: a record of a task this recording does not know is not
            // its own.
            if resident && !known(&dec, &r) {
                continue;
            }
            if let Some(a) = &attached {
                if a.shown(&r) {
                    continue;
                }
                // A task that exited before its spawn event was written
                // (found by the walk, gone when forkscope looked again):
                // it is in no spawn event, nor are its last records.
                if !dec.live.contains(&r.pid) {
                    continue;
                }
            }
            note_for_forwarder(&r);
            dec.feed(r, &mut out);
        }
        emit(&mut out, &mut last_ts, &mut ours)?;
        if dec.changes != published {
            published = dec.changes;
            watch.publish(watched(&dec));
            signals::live(dec.tasks().into_iter().map(|t| t.1));
        }
        if watch.killed() {
            // New tasks of a tree killed for a hang are killed on sight.
            for (_, tgid) in dec.tasks() {
                if killed.insert(tgid) {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(tgid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
            }
        }
        let lost = bpf.lost();
        if lost > reported_lost {
            let mut w = w.lock().unwrap_or_else(|e| e.into_inner());
            w.emit_at(
                root,
                EventKind::Lost {
                    records: lost - reported_lost,
                },
                last_ts,
            )?;
            ours = w.events_written();
            reported_lost = lost;
        }
        if attached.is_none() && status.is_none() {
            use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
            match waitpid(nix::unistd::Pid::from_raw(root), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(_, c)) => status = Some(Status::Exited { exited: c }),
                Ok(WaitStatus::Signaled(_, s, core)) => {
                    status = Some(Status::Signaled {
                        signaled: crate::trace::Sig(s as i32),
                        core,
                    })
                }
                Err(_) => status = Some(Status::Exited { exited: 0 }),
                _ => {}
            }
            if status.is_some() {
                if first_record {
                    first_record = false;
                    phases.mark("first");
                }
                phases.mark("run");
                // Says (once, a moment later) which processes outlived it.
                signals::root_gone(root);
            }
        }
        if detach {
            if let Some(a) = attached.as_mut() {
                // As ptrace's detach: a hang is explained first (the
                // processes run on, so /proc shows them as they are).
                watch.check(&watched(&dec), Why::Detach);
                let_go_all(&bpf, &ring, &queue, &mut dec, &mut out, |r| !a.shown(r));
                emit(&mut out, &mut last_ts, &mut ours)?;
                a.info.detached = true;
                phases.mark("run");
                break;
            }
        }
        if let Some(signal) = leave {
            // As strace -f on Ctrl-C once its first process is gone: the
            // recording ends; the processes left are let go (out of the
            // traced set, so no record of theirs is made any more) and
            // run on, never having been stopped.
            let remaining = signals::remaining();
            let_go_all(&bpf, &ring, &queue, &mut dec, &mut out, |_| true);
            emit(&mut out, &mut last_ts, &mut ours)?;
            signals::notify(&signals::Notice::RecordingLeft { signal, remaining });
            phases.mark("run");
            break;
        }
        if status.is_some() || attached.is_some() {
            // Done when every task the records know is gone. If an exit
            // record was lost, ask the kernel (once a second).
            if !dec.live.is_empty() && last_gone_check.elapsed() > Duration::from_secs(1) {
                last_gone_check = Instant::now();
                let gone: Vec<i32> = dec
                    .tasks()
                    .into_iter()
                    .filter(|(tid, tgid)| {
                        !std::path::Path::new(&format!("/proc/{tgid}/task/{tid}")).exists()
                    })
                    .map(|t| t.0)
                    .collect();
                for t in gone {
                    dec.forget(t);
                }
            }
            if dec.live.is_empty() {
                let _ = ring.consume();
                for r in queue.borrow_mut().drain(..) {
                    if attached.as_ref().is_some_and(|a| a.shown(&r)) {
                        continue;
                    }
                    dec.feed(r, &mut out);
                }
                dec.finish(&mut out);
                emit(&mut out, &mut last_ts, &mut ours)?;
                if attached.is_some() {
                    phases.mark("run");
                }
                break;
            }
        }
    }
    watch.done.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(d) = dog {
        d.thread().unpark();
        let _ = d.join();
    }
    let hangs = watch
        .hangs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let killed_for_hang = watch.killed();
    // The watch's copy of the writer goes with it.
    drop(watch);
    let mut w = Arc::try_unwrap(w)
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .map_err(|_| RecordError::Spawn {
            msg: "the trace writer is still shared".into(),
        })?;
    let _ = w.flush();
    phases.mark("drain");
    drop(ring);
    if resident {
        // The pid set emptied, the lock released: the programs stay.
        drop(bpf);
    } else {
        release_in_background(bpf);
    }
    phases.mark("teardown");
    phases.report();
    let trace_stopped = w.failure().cloned();
    let events = trace_stopped
        .as_ref()
        .map_or_else(|| w.events_written(), |f| f.at_event);
    Ok(EbpfOutcome {
        outcome: RecordOutcome {
            status,
            path,
            events,
            stats: dec.stats.clone(),
            exec_error: dec.root_exec_error,
            hangs,
            killed_for_hang,
            attached: attached.map(|a| a.info),
            trace_stopped,
        },
        lost: reported_lost,
    })
}

/// Detaches the programs without making forkscope wait for it. Taking a
/// program off a syscall tracepoint closes its perf event, and the kernel
/// then waits for an RCU grace period (perf_trace_event_unreg:
/// tracepoint_synchronize_unregister), one tracepoint after the other:
/// measured here, ~35 ms each, seconds for all of them, after the traced
/// program has already ended. Whoever closes the last reference to a
/// perf event pays that: a child process holds copies of forkscope's fds
/// and waits, on a pipe, until forkscope has exited (its end of the pipe
/// closed by the kernel then). It closes its stdio first, so nobody
/// waiting for forkscope's output waits for it either. Then it closes the
/// links, programs and maps at once (the programs are off the tracepoints:
/// they cost nothing more, and the kernel's limit of 64 programs on one
/// tracepoint is never reached by detachers of recordings run back to
/// back), and the perf events one by one, each after passing the
/// [`load::DetachLock`] gate, so that a recording starting meanwhile
/// waits for one close at most.
fn release_in_background(mut bpf: Loaded) {
    let Ok((r, w)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
        return; // the links are dropped here, slowly
    };
    use std::os::fd::AsRawFd;
    let (rfd, wfd) = (r.as_raw_fd(), w.as_raw_fd());
    // The child's own open file (flock locks belong to it).
    let lock = load::DetachLock::open();
    let lock_fd = lock.as_ref().map_or(-1, |l| l.raw_fd());
    // forkscope's fds: the perf events (closed slowly, last) and the rest.
    let (perf, rest): (Vec<i32>, Vec<i32>) = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .filter(|&fd| fd > 2 && fd != rfd && fd != wfd && fd != lock_fd)
                .collect::<Vec<i32>>()
        })
        .unwrap_or_default()
        .into_iter()
        .partition(|fd| {
            std::fs::read_link(format!("/proc/self/fd/{fd}"))
                .is_ok_and(|t| t.as_os_str() == "anon_inode:[perf_event]")
        });
    // SAFETY: the child only calls close, read, flock and _exit
    // (async-signal-safe) on data prepared before the fork.
    if unsafe { libc::fork() } == 0 {
        // SAFETY: closing inherited fds, reading a pipe, locking a file and
        // exiting, in the child.
        unsafe {
            libc::close(0);
            libc::close(1);
            libc::close(2);
            libc::close(wfd);
            let mut b = 0u8;
            // EOF once forkscope is gone (or an error): then detach.
            while libc::read(rfd, (&mut b as *mut u8).cast(), 1) != 0
                && *libc::__errno_location() == libc::EINTR
            {}
            for &fd in &rest {
                libc::close(fd);
            }
            for &fd in &perf {
                if lock_fd >= 0 {
                    while libc::flock(lock_fd, libc::LOCK_SH) != 0
                        && *libc::__errno_location() == libc::EINTR
                    {}
                    libc::flock(lock_fd, libc::LOCK_UN);
                }
                libc::close(fd);
            }
            libc::_exit(0);
        }
    }
    drop(r);
    drop(lock);
    // The write end stays open until forkscope exits.
    std::mem::forget(w);
    // The child's copies keep the links; these closes are cheap (once
    // disconnected: no disabling ioctl, which would wait).
    bpf.disconnect();
    drop(bpf);
}
