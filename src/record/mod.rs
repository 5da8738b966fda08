//! Recording: run a command under ptrace (seccomp-filtered) and write every
//! process and fd event to a trace. The only layer that touches ptrace and
//! /proc, and the only one with `unsafe`.
//!
//! Transparency: the command keeps forkscope's terminal, process group,
//! stdio and environment; signals reach it as they would untraced (each
//! signal-delivery-stop re-injects the signal once; group-stops are held with
//! PTRACE_LISTEN until SIGCONT). SIGTERM and SIGHUP sent to forkscope by
//! another process (`kill <forkscope>`) are passed on to the command; Ctrl-C
//! and Ctrl-\\ from the terminal reach the command directly and only make
//! forkscope finish the trace after it. Every tracee is attached with
//! PTRACE_O_EXITKILL, so if forkscope dies the kernel kills the traced tree
//! rather than leave it stopped.

pub mod elf;
pub mod mem;
pub mod procfs;
pub mod seccomp;
pub mod spawn;
pub mod stops;
pub mod syscalls;
pub mod sysno;
pub mod tracer;

use crate::trace::{
    EventKind, Header, RawStr, Status, TraceError, TraceWriter, FORMAT_NAME, FORMAT_VERSION,
};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Errors while recording.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The command was not found (a shell says 127).
    #[error("{cmd}: command not found")]
    NotFound {
        /// The command as given.
        cmd: String,
    },
    /// The command exists but cannot be run (a shell says 126).
    #[error("{cmd}: cannot execute: {why}")]
    NotExecutable {
        /// The command as given.
        cmd: String,
        /// Why.
        why: String,
    },
    /// Starting the traced command failed.
    #[error("{msg}")]
    Spawn {
        /// What failed.
        msg: String,
    },
    /// A ptrace or wait request failed unexpectedly.
    #[error("{op} on pid {pid} failed: {errno}")]
    Ptrace {
        /// The request.
        op: &'static str,
        /// The tracee.
        pid: i32,
        /// The error.
        errno: nix::errno::Errno,
    },
    /// Writing the trace failed.
    #[error(transparent)]
    Trace(#[from] TraceError),
}

impl RecordError {
    /// The exit code a shell would give for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            RecordError::NotFound { .. } => 127,
            RecordError::NotExecutable { .. } => 126,
            _ => 1,
        }
    }
}

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
}

impl RecordOutcome {
    /// The exit code forkscope should end with: the command's, as a shell reports it.
    pub fn exit_code(&self) -> i32 {
        self.status.map_or(1, |s| s.shell_code())
    }

    /// The one-paragraph summary printed to stderr.
    pub fn summary(&self, argv0: &str) -> String {
        let s = &self.stats;
        let ended = match self.status {
            Some(Status::Exited { exited }) => format!("exited with status {exited}"),
            Some(Status::Signaled { signaled, core }) => format!(
                "was killed by {signaled}{}",
                if core { " (core dumped)" } else { "" }
            ),
            _ => "ended".into(),
        };
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "forkscope: {argv0} {ended}. Traced {}{}, {}{}, {}, {}. Trace: {} ({}).",
            plural(s.processes, "process", "processes"),
            if s.threads > 0 {
                format!(" and {}", plural(s.threads, "thread", "threads"))
            } else {
                String::new()
            },
            plural(s.execs, "exec", "execs"),
            if s.exec_failures > 0 {
                format!(" ({} failed)", s.exec_failures)
            } else {
                String::new()
            },
            plural(s.pipes, "pipe", "pipes"),
            plural(s.signals, "signal", "signals"),
            self.path.display(),
            plural(self.events, "event", "events"),
        )
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

static ROOT_PID: AtomicI32 = AtomicI32::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    if sig == libc::SIGINT {
        INTERRUPTED.store(true, Ordering::Relaxed);
        return;
    }
    if sig == libc::SIGQUIT {
        return;
    }
    // SIGTERM/SIGHUP: passed on to the command when a process sent them to
    // forkscope (si_code <= 0: kill, sigqueue, tkill), as `timeout` or a
    // service manager would expect. SIGINT/SIGQUIT come from the terminal to
    // the whole foreground group, the command included: never passed on, so
    // they are not delivered twice.
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let code = unsafe { (*info).si_code };
    let root = ROOT_PID.load(Ordering::Relaxed);
    if code <= 0 && root > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe {
            libc::kill(root, sig);
        }
    }
}

fn install_signal_handlers() {
    for sig in [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installing a handler that only touches atomics and calls kill.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
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

/// Records `opts.argv` to a trace. Errors before the command starts (not
/// found, unwritable output) leave nothing running.
pub fn record(opts: &RecordOptions) -> Result<RecordOutcome, RecordError> {
    let argv0 = opts.argv.first().ok_or_else(|| RecordError::Spawn {
        msg: "no command given".into(),
    })?;
    let prog = spawn::resolve_program(argv0)?;
    let path = opts.output.clone().unwrap_or_else(|| default_output(argv0));
    let now = SystemTime::now();
    let header = Header {
        format: FORMAT_NAME.into(),
        version: FORMAT_VERSION,
        argv: opts.argv.iter().map(|a| raw(a)).collect(),
        start: humantime::format_rfc3339_nanos(now).to_string(),
        start_unix_ns: now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
        root_pid: 0,
        cwd: std::env::current_dir()
            .map(|d| raw(d.as_os_str()))
            .unwrap_or_default(),
        tracer: format!("forkscope {}", env!("CARGO_PKG_VERSION")),
        kernel: host_kernel(),
        arch: std::env::consts::ARCH.into(),
        env: opts.env.then(|| {
            std::env::vars_os()
                .map(|(k, v)| {
                    let mut b = k.as_bytes().to_vec();
                    b.push(b'=');
                    b.extend_from_slice(v.as_bytes());
                    RawStr(b)
                })
                .collect()
        }),
    };
    // Open the output before starting anything: an unwritable path fails here.
    // The header is rewritten with the real root pid once it is known, so
    // create it in two steps: probe now, write after launch.
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(|e| TraceError::Io {
            path: path.clone(),
            err: e,
        })?;
    let filter = seccomp::build_filter();
    let root = spawn::launch(&prog, &opts.argv, &filter)?;
    ROOT_PID.store(root.as_raw(), Ordering::Relaxed);
    install_signal_handlers();
    let mut header = header;
    header.root_pid = root.as_raw();
    let w = match TraceWriter::create(&path, &header) {
        Ok(w) => w,
        Err(e) => {
            let _ = nix::sys::signal::kill(root, nix::sys::signal::Signal::SIGKILL);
            return Err(e.into());
        }
    };
    let mut t = tracer::Tracer::new(w, root.as_raw());
    // The inherited fd table, read while the child waits at its first stop
    // (only fds that survive exec: forkscope's own are close-on-exec).
    let fds = procfs::fd_table_full(root.as_raw())
        .into_iter()
        .filter(|e| !e.cloexec)
        .collect();
    t.emit(
        root.as_raw(),
        EventKind::Spawn {
            argv: header.argv.clone(),
            fds,
        },
    )?;
    let status = t.run()?;
    Ok(RecordOutcome {
        status,
        path,
        events: t.writer().events_written(),
        stats: t.stats.clone(),
        exec_error: t.root_exec_error,
    })
}

/// Was Ctrl-C pressed during the recording?
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}
