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

pub mod decode;
mod kernel_id;
pub mod launch;
pub mod load;
pub mod phases;
pub mod wire;

pub use load::{Loaded, Unavailable};

use super::{
    default_output, header, probe_output, procfs, raw, signals, spawn, RecordError, RecordOptions,
    RecordOutcome,
};
use crate::trace::{EventKind, Status, TraceWriter};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How an eBPF recording ended: the outcome the summary reads, and the
/// number of records lost (the ring buffer was full).
pub struct EbpfOutcome {
    /// As the ptrace backend's.
    pub outcome: RecordOutcome,
    /// Records the kernel dropped.
    pub lost: u64,
}

/// Loads the programs: the check `--backend auto` makes before choosing.
pub fn available() -> Result<Loaded, Unavailable> {
    load::load()
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

/// Records `opts.argv` with the programs in `bpf` (from [`available`]).
pub fn record(mut bpf: Loaded, opts: &RecordOptions) -> Result<EbpfOutcome, RecordError> {
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
    w.emit(root, EventKind::spawned(header.argv.clone(), fds))?;
    w.flush()?;
    held.release()?;
    phases.mark("spawn");

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
    let mut dec = decode::Decoder::new(root);
    let mut out = Vec::new();
    let mut status: Option<Status> = None;
    let mut reported_lost = 0u64;
    let mut last_ts = 0u64;
    let mut last_gone_check = Instant::now();
    let mut first_record = true;
    let mut emit = |w: &mut TraceWriter, out: &mut Vec<decode::Out>| -> Result<(), RecordError> {
        for (pid, ts, kind) in out.drain(..) {
            // Ring order is the kernel's order; times from different CPUs
            // may be a little out of step: never let them go backwards.
            last_ts = last_ts.max(ts.saturating_sub(base));
            w.emit_at(pid, kind, last_ts)?;
        }
        Ok(())
    };
    loop {
        // EINTR (a signal to forkscope) only ends this poll early.
        // Records do not wake forkscope (bpf/maps.h), exits do: read the
        // buffer every 10 ms, and every millisecond once the first
        // process's exit record is in, until waitpid sees it gone (its
        // exit record comes before it is a zombie).
        let nap = if status.is_none() && !dec.live.contains(&root) {
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
        for r in queue.borrow_mut().drain(..) {
            dec.feed(r, &mut out);
        }
        emit(&mut w, &mut out)?;
        let lost = bpf.lost();
        if lost > reported_lost {
            w.emit(
                root,
                EventKind::Lost {
                    records: lost - reported_lost,
                },
            )?;
            reported_lost = lost;
        }
        let _ = w.flush();
        if status.is_none() {
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
            }
        }
        if status.is_some() {
            // Done when every task the records know is gone. If an exit
            // record was lost, ask the kernel (once a second).
            if !dec.live.is_empty() && last_gone_check.elapsed() > Duration::from_secs(1) {
                last_gone_check = Instant::now();
                dec.live
                    .retain(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
            }
            if dec.live.is_empty() {
                let _ = ring.consume();
                for r in queue.borrow_mut().drain(..) {
                    dec.feed(r, &mut out);
                }
                dec.finish(&mut out);
                emit(&mut w, &mut out)?;
                break;
            }
        }
    }
    let _ = w.flush();
    phases.mark("drain");
    drop(ring);
    release_in_background(bpf);
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
            hangs: Vec::new(),
            killed_for_hang: false,
            attached: None,
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
