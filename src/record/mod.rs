//! Recording: run a command under ptrace (seccomp-filtered) and write every
//! process and fd event to a trace. The only layer that touches ptrace and
//! /proc, and the only one with `unsafe`.
//!
//! Transparency: the command keeps forkscope's terminal, process group,
//! stdio and environment; signals reach it as they would untraced (each
//! signal-delivery-stop re-injects the signal once; group-stops are held with
//! PTRACE_LISTEN until SIGCONT). A signal sent to forkscope alone by
//! another process (`kill <forkscope>`) is passed on to the command; Ctrl-C,
//! Ctrl-\\ and signals to the process group reach the command directly and
//! only make forkscope finish the trace after it ([`signals`]). The command
//! inherits forkscope's original signal mask, ignored signals and closed
//! stdio, and forkscope dies of the signal that killed it. Every tracee is attached with
//! PTRACE_O_EXITKILL, so if forkscope dies the kernel kills the traced tree
//! rather than leave it stopped.
//!
//! Hangs: with a stall timeout, a watchdog thread samples the progress
//! counters of every traced task from /proc every 200 ms (it never uses
//! ptrace); when none moved and no ptrace-stop was processed for the
//! timeout, it takes a [`live`] snapshot, has the caller's [`Explain`]
//! find the hangs in it (the CLI passes the wait-for analysis: this layer
//! does not import it) and hands each new hang to the caller's [`HangSink`]
//! (and kills the tree if asked: exit status [`HANG_EXIT`]); see `watchdog`.
//! The first SIGINT/SIGTERM/SIGHUP/SIGQUIT that reaches the tracees from
//! outside is checked the same way at its signal-delivery-stop, before it is
//! re-injected: Ctrl-C on a hung program explains the hang first.
//!
//! Layout: [`stops`] decodes wait statuses into typed stops and owns the one
//! waitpid loop, [`tracer`] turns stops into events, [`spawn`] starts or
//! seizes the tracees, [`signals`] owns forkscope's own signals (and the
//! statics its handlers use), `error` the layer's error type.
//!
//! Attaching ([`attach`]): the process, its threads and its descendants are
//! seized without PTRACE_O_EXITKILL and stopped at every syscall entry and
//! exit (no seccomp filter can be added to a running process), and Ctrl-C,
//! SIGTERM or SIGHUP detach them all cleanly, leaving them running as before.

mod channels;
#[cfg(feature = "ebpf")]
pub mod ebpf;
pub mod elf;
mod error;
pub mod front;
pub mod limits;
pub mod live;
mod locks;
pub mod mem;
pub mod own_filter;
pub mod pidns;
pub mod procfs;
pub mod seccomp;
pub mod signals;
pub mod spawn;
pub mod stops;
pub mod syscalls;
pub mod sysno;
mod timeouts;
pub mod tracer;
mod watchdog;

pub use error::RecordError;
use watchdog::start_watchdog;
pub use watchdog::Watch;
pub use watchdog::{Explain, HangExplainer, HangSink, HangWatch, StallReport, WatchedTask, Why};

use crate::trace::hang::Hang;
use crate::trace::{
    EventKind, Header, RawStr, Status, TraceError, TraceWriter, FORMAT_NAME, FORMAT_VERSION,
};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// What to record.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// The command and its arguments.
    pub argv: Vec<OsString>,
    /// Where to write the trace; a name is made up when absent.
    pub output: Option<PathBuf>,
    /// Record the environment in the header (off by default: it holds secrets).
    pub env: bool,
}

/// `record --snapshots exit`: from now on, each traced process also stops
/// once at its exit (PTRACE_O_TRACEEXIT), where its fd table is written as an
/// `fd_snapshot` event. Off by default (and when `on` is false).
pub fn set_exit_snapshots(on: bool) {
    spawn::set_trace_exit(on);
}

/// How a recording ended.
#[derive(Debug)]
pub struct RecordOutcome {
    /// How the command's first process ended.
    pub status: Option<Status>,
    /// Where the trace is.
    pub path: PathBuf,
    /// Number of events written.
    pub events: u64,
    /// Counts for the summary.
    pub stats: tracer::Stats,
    /// The command could not be started: its exec failed with this errno.
    pub exec_error: Option<i32>,
    /// Every distinct hang found while recording.
    pub hangs: Vec<Hang>,
    /// The traced tree was killed because of a hang (`--on-deadlock kill`).
    pub killed_for_hang: bool,
    /// Set when forkscope attached to running processes instead of starting one.
    pub attached: Option<Attached>,
    /// The trace could not be written past this point; the program ran on
    /// unrecorded (exit status [`TRACE_FAILED_EXIT`]).
    pub trace_stopped: Option<crate::trace::WriteFailure>,
}

/// What an attached recording attached to, and how it ended.
#[derive(Debug, Clone)]
pub struct Attached {
    /// The process asked for.
    pub pid: i32,
    /// Processes attached at the start (it and its descendants).
    pub processes: usize,
    /// Threads attached at the start (all tasks of those processes).
    pub threads: usize,
    /// Forkscope detached (on Ctrl-C, SIGTERM or SIGHUP) and left them running.
    pub detached: bool,
    /// Followed with eBPF (`--backend ebpf`): never stopped, not even at
    /// syscalls (ptrace stops every attached task at each syscall).
    pub ebpf: bool,
}

/// The exit status of forkscope after it killed a hung tree
/// (`--on-deadlock kill`), as `timeout(1)` exits when its command timed out.
pub const HANG_EXIT: i32 = 124;

/// The exit status of forkscope when the trace could not be written to the
/// end (a full disk, a closed pipe) and the program ran on unrecorded: as
/// `timeout(1)` and `env(1)` exit 125 when they themselves failed. The
/// program's own status is in the summary.
pub const TRACE_FAILED_EXIT: i32 = 125;

impl RecordOutcome {
    /// The signal forkscope should end by, once the trace is complete: the
    /// one that killed the command it started (not after `--on-deadlock
    /// kill`, nor for attached processes, whose parent is not forkscope's).
    pub fn fatal_signal(&self) -> Option<i32> {
        if self.killed_for_hang || self.attached.is_some() || self.exec_error.is_some() {
            return None;
        }
        match self.status {
            Some(Status::Signaled { signaled, .. }) => Some(signaled.0),
            _ => None,
        }
    }
}

/// A trace file name for `argv0` in the current directory.
pub fn default_output(argv0: &std::ffi::OsStr) -> PathBuf {
    let base = std::path::Path::new(argv0)
        .file_name()
        .map(|b| b.to_string_lossy().into_owned())
        .unwrap_or_else(|| "trace".into());
    let base: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now())
        .to_string()
        .replace(['-', ':'], "");
    PathBuf::from(format!("forkscope-{base}-{stamp}.jsonl"))
}

fn host_kernel() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    format!(
        "{} {}",
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease")
    )
}

fn raw(s: &std::ffi::OsStr) -> RawStr {
    RawStr(s.as_bytes().to_vec())
}

/// Runs the tracer with its watch, and collects the outcome.
fn run_traced(
    mut t: tracer::Tracer,
    watch: Arc<Watch>,
    path: PathBuf,
    attached: Option<Attached>,
) -> Result<RecordOutcome, RecordError> {
    let dog = start_watchdog(&watch);
    let status = t.run();
    watch.done.store(true, Ordering::Relaxed);
    if let Some(d) = dog {
        d.thread().unpark();
        let _ = d.join();
    }
    signals::stop_tick();
    let status = status?;
    let trace_stopped = t.write_failure();
    let hangs = watch
        .hangs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    Ok(RecordOutcome {
        status,
        path,
        events: trace_stopped
            .as_ref()
            .map_or_else(|| t.events_written(), |f| f.at_event),
        stats: t.stats.clone(),
        exec_error: t.root_exec_error,
        hangs,
        killed_for_hang: watch.killed(),
        attached: attached.map(|a| Attached {
            detached: t.detached,
            ..a
        }),
        trace_stopped,
    })
}

fn header(argv: Vec<RawStr>, cwd: RawStr, env: bool) -> Header {
    let now = SystemTime::now();
    Header {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
        argv,
        start: humantime::format_rfc3339_nanos(now).to_string(),
        start_unix_ns: now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
        root_pid: 0,
        cwd,
        tracer: format!("forkscope {}", env!("CARGO_PKG_VERSION")),
        kernel: host_kernel(),
        arch: std::env::consts::ARCH.into(),
        env: env.then(|| {
            std::env::vars_os()
                .map(|(k, v)| {
                    let mut b = k.as_bytes().to_vec();
                    b.push(b'=');
                    b.extend_from_slice(v.as_bytes());
                    RawStr(b)
                })
                .collect()
        }),
    }
}

/// The trace file: `-o FILE` as asked (an existing FILE is overwritten, as
/// asked; `-` is stdout), else a new [`default_output`] name, claimed with
/// O_CREAT|O_EXCL so that a trace forkscope named itself is never
/// overwritten: when the name is taken (two recordings in the same second),
/// `-2`, `-3`, ... is added before `.jsonl`.
pub fn output_path(
    output: Option<PathBuf>,
    argv0: &std::ffi::OsStr,
) -> Result<PathBuf, RecordError> {
    if let Some(p) = output {
        if p.as_os_str() != "-" {
            probe_output(&p)?;
        }
        return Ok(p);
    }
    let first = default_output(argv0);
    let stem = first
        .to_string_lossy()
        .trim_end_matches(".jsonl")
        .to_owned();
    for n in 1u32.. {
        let path = if n == 1 {
            first.clone()
        } else {
            PathBuf::from(format!("{stem}-{n}.jsonl"))
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 10_000 => continue,
            Err(e) => return Err(TraceError::Io { path, err: e }.into()),
        }
    }
    unreachable!("the loop returns")
}

/// Opens the output before starting anything: an unwritable path fails here.
fn probe_output(path: &std::path::Path) -> Result<(), RecordError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| TraceError::Io {
            path: path.to_path_buf(),
            err: e,
        })?;
    Ok(())
}

/// Records `opts.argv` to a trace. Errors before the command starts (not
/// found, unwritable output) leave nothing running.
pub fn record(opts: &RecordOptions) -> Result<RecordOutcome, RecordError> {
    record_watched(opts, &HangWatch::default())
}

/// [`record`], watching for hangs as `watch` says.
pub fn record_watched(
    opts: &RecordOptions,
    watch: &HangWatch,
) -> Result<RecordOutcome, RecordError> {
    let argv0 = opts.argv.first().ok_or_else(|| RecordError::Spawn {
        msg: "no command given".into(),
    })?;
    let prog = spawn::resolve_program(argv0)?;
    let path = output_path(opts.output.clone(), argv0)?;
    let mut header = header(
        opts.argv.iter().map(|a| raw(a)).collect(),
        std::env::current_dir()
            .map(|d| raw(d.as_os_str()))
            .unwrap_or_default(),
        opts.env,
    );
    // The header is written with the real root pid once it is known, so
    // create the file in two steps: probe (output_path) now, write after launch.
    let filter = seccomp::build_filter();
    // Caught before the child exists: a signal now must not kill forkscope
    // (and so the child). The child restores the dispositions it inherits.
    signals::catch(false);
    let root = match spawn::launch(&prog, &opts.argv, &filter) {
        Ok(r) => r,
        Err(e) => {
            // The file made by the probe is a trace all the same: its
            // header (root pid 0: nothing ran), no events.
            let _ = TraceWriter::create(&path, &header);
            return Err(e);
        }
    };
    header.root_pid = root.as_raw();
    let w = match TraceWriter::create(&path, &header) {
        Ok(w) => w,
        Err(e) => {
            let _ = nix::sys::signal::kill(root, nix::sys::signal::Signal::SIGKILL);
            return Err(e.into());
        }
    };
    run_launched(root.as_raw(), &header, Arc::new(Mutex::new(w)), path, watch)
}

/// What [`record_watched`] and the front's tracer process share once the
/// command is seized and its header written: its `spawn` event, then the
/// event loop until no tracee is left.
fn run_launched(
    root: i32,
    header: &Header,
    w: Arc<Mutex<TraceWriter>>,
    path: PathBuf,
    watch: &HangWatch,
) -> Result<RecordOutcome, RecordError> {
    signals::member(root);
    signals::set_root(root);
    let root = nix::unistd::Pid::from_raw(root);
    let watch = Arc::new(Watch::new(root.as_raw(), watch.clone(), Arc::clone(&w)));
    let mut t = tracer::Tracer::new(w, root.as_raw());
    t.watch = Some(Arc::clone(&watch));
    // The inherited fd table, read while the child waits at its first stop
    // (only fds that survive exec: forkscope's own are close-on-exec).
    let fds = procfs::fd_table_full(root.as_raw())
        .into_iter()
        .filter(|e| !e.cloexec)
        .collect();
    t.emit(root.as_raw(), EventKind::spawned(header.argv.clone(), fds))?;
    syscalls::sigchld::inherited(&mut t, root.as_raw())?;
    run_traced(t, watch, path, None)
}

/// Attaches to the running processes `pids` (each with its threads and descendants),
/// and records them until they all exit or Ctrl-C, SIGTERM or SIGHUP asks
/// forkscope to detach (which leaves them running as before). Each attached
/// process gets a `spawn` event with its argv and fd table from /proc.
pub fn attach(
    pids: &[i32],
    output: Option<PathBuf>,
    watch: &HangWatch,
) -> Result<RecordOutcome, RecordError> {
    // The first pid names the trace (header argv, root_pid); the others'
    // trees are recorded beside it.
    let pid = *pids.first().ok_or_else(|| RecordError::Spawn {
        msg: "no process to attach to".into(),
    })?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map_err(|_| RecordError::NoProcess { pid })?;
    let argv = |c: &[u8]| -> Vec<RawStr> {
        c.split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| RawStr(a.to_vec()))
            .collect()
    };
    let root_argv = argv(&cmdline);
    let argv0 = root_argv
        .first()
        .map(|a| std::ffi::OsString::from(std::ffi::OsStr::from_bytes(&a.0)))
        .unwrap_or_else(|| OsString::from(format!("pid{pid}")));
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
    signals::catch(true);
    let seized = match spawn::attach_all(pids) {
        Ok(s) => s,
        Err(e) => {
            signals::stop_tick();
            return Err(e);
        }
    };
    let w = match TraceWriter::create(&path, &header) {
        Ok(w) => Arc::new(Mutex::new(w)),
        Err(e) => {
            signals::stop_tick();
            spawn::release(&seized);
            return Err(e.into());
        }
    };
    let watch = Arc::new(Watch::new(pid, watch.clone(), Arc::clone(&w)));
    let mut t = tracer::Tracer::attached(w, pid);
    t.watch = Some(Arc::clone(&watch));
    let mut threads = 0;
    for p in &seized.processes {
        for &tid in &p.tids {
            t.adopt(tid, p.pid);
            threads += 1;
        }
    }
    t.stats.processes = seized.processes.len() as u64;
    // Parents come before their children in `seized`, so a child's spawn
    // can name a parent already in the trace, and an fd the open file of an
    // fd spawned before it.
    let pids: Vec<i32> = seized.processes.iter().map(|p| p.pid).collect();
    let mut tables = procfs::fd_tables_across(&pids).into_iter();
    let mut spawned: Vec<i32> = Vec::new();
    for p in &seized.processes {
        let args = if p.pid == pid {
            root_argv.clone()
        } else {
            argv(&std::fs::read(format!("/proc/{}/cmdline", p.pid)).unwrap_or_default())
        };
        let parent = procfs::ppid(p.pid).filter(|pp| spawned.contains(pp));
        t.emit(
            p.pid,
            EventKind::Spawn {
                argv: args,
                fds: tables.next().unwrap_or_default(),
                attached: true,
                parent,
                threads: p.tids.iter().copied().filter(|&t| t != p.pid).collect(),
            },
        )?;
        syscalls::sigchld::inherited(&mut t, p.pid)?;
        t.pidns.attached(p.pid, &p.tids);
        spawned.push(p.pid);
    }
    let info = Attached {
        pid,
        processes: seized.processes.len(),
        threads,
        detached: false,
        ebpf: false,
    };
    // Now that their spawn events are written, let them stop (and go on
    // under PTRACE_SYSCALL).
    spawn::interrupt(&seized);
    run_traced(t, watch, path, Some(info))
}
