//! The command line: clap definitions (each field's doc comment is its help
//! text) and one file per subcommand. The only layer that prints for the
//! user; the language is resolved here once ([`Cli::language`]) and passed
//! down, and the exit status is chosen in one place ([`Exit::code`]).

pub mod args;
pub mod demo;
pub mod diagram;
pub mod doctor;
pub mod ebpf;
pub mod export;
pub mod live;
pub(crate) mod message;
pub mod out;
pub mod record;
pub mod replay;
pub mod snapshot;
pub mod style;
pub mod timeline;
pub mod tree;
pub mod view;

use crate::record::{RecordOutcome, HANG_EXIT, TRACE_FAILED_EXIT};
use crate::words::diagram::{notice, Notice};
use crate::words::Lang;
use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use message::Message;
use std::ffi::OsString;
use std::path::PathBuf;

/// How forkscope ends, as a fact; [`Exit::code`] is the one place that
/// turns it into an exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// All went well (`--help` included); nothing was found.
    Success,
    /// `doctor`, `snapshot` or `replay --verify` found something.
    Found,
    /// The recorded command ended so (None: how is unknown), as a shell
    /// says it: its exit status, 128+N for signal N.
    Program(Option<crate::trace::Status>),
    /// forkscope detached from processes it attached to, which run on.
    Detached,
    /// `--on-deadlock kill` killed a hung tree (124, as timeout(1)).
    HangKilled,
    /// forkscope itself failed: a bad option, a trace it cannot read or
    /// write, a trace that stopped being written (125, as env(1) and
    /// timeout(1)).
    Failed,
    /// The command exists but cannot be executed (126, as a shell).
    CannotExecute,
    /// The command was not found (127, as a shell).
    NotFound,
    /// `--backend ebpf` with an option it does not support (2).
    Usage,
    /// This machine refuses `--backend ebpf` (1).
    Refused,
}

impl Exit {
    /// The exit status.
    pub fn code(self) -> i32 {
        match self {
            Exit::Success | Exit::Detached => 0,
            Exit::Found | Exit::Refused => 1,
            Exit::Usage => 2,
            Exit::Program(status) => status.map_or(1, |s| s.shell_code()),
            Exit::HangKilled => HANG_EXIT,
            Exit::Failed => TRACE_FAILED_EXIT,
            Exit::CannotExecute => 126,
            Exit::NotFound => 127,
        }
    }

    /// How a recording ends forkscope: a trace that stopped being written
    /// first, then a killed hang, a detach, else as the command ended.
    pub fn of_recording(out: &RecordOutcome) -> Exit {
        if out.trace_stopped.is_some() {
            Exit::Failed
        } else if out.killed_for_hang {
            Exit::HangKilled
        } else if out.attached.as_ref().is_some_and(|a| a.detached) {
            Exit::Detached
        } else {
            Exit::Program(out.status)
        }
    }

    /// A subcommand that says 0 (nothing found) or 1 (found something).
    fn found_if_nonzero(code: i32) -> Exit {
        if code == 0 {
            Exit::Success
        } else {
            Exit::Found
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> std::process::ExitCode {
        std::process::ExitCode::from(e.code().clamp(0, 255) as u8)
    }
}

/// The program, after main.rs's startup capture: parses the command line,
/// runs it, says forkscope's own failure, and ends with [`Exit::code`].
pub fn main() -> std::process::ExitCode {
    let cli = match args::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(exit) => return exit.into(),
    };
    let lang = cli.language();
    match run(cli) {
        Ok(exit) => exit.into(),
        // `forkscope replay t.jsonl | head` ends quietly when head closes the pipe.
        Err(e) if is_broken_pipe(&e) => Exit::Success.into(),
        Err(e) => {
            // Each link worded in the reader's language where it is a fact
            // (a notice from code that has no language), as `{e:#}` joins them.
            // A failed write to stdout says so first.
            let stdout = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .and_then(|io| io.get_ref())
                    .is_some_and(|inner| inner.is::<out::StdoutFailed>())
            });
            let chain = stdout
                .then(|| notice(lang, &Notice::CannotWriteStdout))
                .into_iter()
                .chain(e.chain().map(|c| {
                    match c.downcast_ref::<crate::words::diagram::NoticeError>() {
                        Some(n) => crate::words::diagram::notice(lang, &n.0),
                        None => c.to_string(),
                    }
                }))
                .collect::<Vec<_>>()
                .join(": ");
            crate::errln!(
                "{}",
                crate::words::cli::message(lang, &Message::Error { chain })
            );
            Exit::Failed.into()
        }
    }
}

/// Did `e` come from writing into a pipe nobody reads any more?
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// forkscope: see which processes a program spawns, which fds each holds,
/// and which process keeps a pipe open.
///
/// Record a program once (`forkscope record -- CMD`), then replay the trace
/// as often as you like: replay rebuilds the process tree, fd tables and
/// pipes from the recorded events, without running anything again.
///
/// Exit status: 125 when forkscope itself fails (a bad option, a trace it
/// cannot read or write); `record` otherwise exits with the command's
/// status (126/127 when it cannot be run), `doctor` and `replay --verify`
/// with 1 when they find something.
#[derive(Debug, Parser)]
#[command(name = "forkscope", version, propagate_version = true)]
pub struct Cli {
    /// When to use colour: auto (when writing to a terminal and NO_COLOR is unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Language of the annotations: en or zh (default: from LC_ALL, LC_MESSAGES or LANG).
    #[arg(long, global = true, value_enum)]
    pub lang: Option<Lang>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The language of this run: `--lang`, else the locale's.
    pub fn language(&self) -> Lang {
        self.lang.unwrap_or_else(Lang::from_env)
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a built-in teaching scenario: record it, print its annotated
    /// timeline and a diagram of its key moment, and write a step-through
    /// HTML page. Needs only /bin/sh and coreutils.
    ///
    #[command(
        after_help = "Examples:\n  forkscope demo              (the `ps aux | grep -c sh` pipeline)\n  forkscope demo --list\n  forkscope demo zombie"
    )]
    Demo(DemoArgs),

    /// Run a command under the tracer and write its process/fd timeline.
    ///
    /// The command runs exactly as from the shell (same terminal, stdio,
    /// environment and signals) and forkscope exits with its exit status
    /// (128+N if it was killed by signal N).
    ///
    /// Exit status, as env(1) and timeout(1) have it: the command's own;
    /// 126 if CMD cannot be executed, 127 if it is not found; 124 after
    /// --on-deadlock kill; 125 when forkscope itself failed (a bad option,
    /// a trace that cannot be written).
    ///
    /// Example: forkscope record -o build.jsonl -- make -j2
    #[command(visible_alias = "r")]
    Record(RecordArgs),

    /// Replay a trace as an annotated timeline, or show the state at one moment.
    ///
    /// Nothing is re-executed: the recorded events are applied one by one to
    /// a model of processes, fd tables, open files and pipes.
    #[command(
        after_help = "Examples:\n  forkscope replay t.jsonl\n  forkscope replay t.jsonl --pid 4102 --kind pipe,dup,close\n  forkscope replay t.jsonl -t --failed --kind execve\n  forkscope replay t.jsonl --at 41\n  forkscope replay t.jsonl --verify"
    )]
    Replay(ReplayArgs),

    /// Show the process tree of the whole recording: who started whom, what
    /// each ran, how long it lived, how it ended, how long it was a zombie.
    ///
    /// Example: forkscope tree t.jsonl
    Tree(TreeArgs),

    /// Draw processes, fd tables and pipes at one moment (terminal, SVG, DOT,
    /// Mermaid) or as a step-through HTML page.
    #[command(
        after_help = "Examples:\n  forkscope diagram t.jsonl\n  forkscope diagram t.jsonl --format svg --at 41 -o step41.svg\n  forkscope diagram t.jsonl --format html -o t.html"
    )]
    Diagram(DiagramArgs),

    /// Export the timeline for other tools: Perfetto / chrome://tracing, or
    /// normalized JSON.
    ///
    /// Example: forkscope export t.jsonl --format perfetto -o t.perfetto.json
    Export(ExportArgs),

    /// Explain what went wrong in a trace: leaked pipe ends, zombies,
    /// orphans, deaths by SIGPIPE, children never reaped, and hangs the
    /// recorder explained live (`record --stall-timeout`).
    ///
    /// Exits 1 when a finding is a warning or an error (`--fail-on` sets the bar), 0 otherwise:
    /// info-only findings, such as the SIGPIPE that stops `yes | head -1`, pass.
    ///
    /// Example: forkscope doctor t.jsonl
    Doctor(DoctorArgs),

    /// Step through a trace interactively in the terminal: the annotated
    /// timeline, the diagram at the current event, the pipes and the
    /// doctor's findings. Press ? for the keys.
    ///
    /// Example: forkscope view t.jsonl
    View(ViewArgs),

    /// Explain why a running process tree is stuck, without a trace: who
    /// is blocked on which pipe or child, and who holds the other end.
    /// Read-only: it never stops or changes the processes.
    ///
    /// Example: forkscope snapshot 4102
    Snapshot(SnapshotArgs),

    /// Keep the eBPF backend's programs loaded between recordings (a
    /// resident probe): `record --backend ebpf` then claims them instead
    /// of loading and attaching its own (about 30 ms less per recording).
    ///
    /// One recording at a time uses them (another loads its own, as
    /// without them). While loaded and idle, every call of a syscall
    /// forkscope records (and every fork, exec, exit and signal), by any
    /// process on the machine, runs one BPF program that looks the task up
    /// in the traced set and returns; other syscalls cost nothing. Needs
    /// root (or CAP_BPF and CAP_PERFMON) and a build with the `ebpf`
    /// feature.
    #[command(
        after_help = "Examples:\n  forkscope ebpf load\n  forkscope ebpf status\n  forkscope ebpf unload"
    )]
    Ebpf(ebpf::EbpfArgs),

    /// Print a shell completion script.
    ///
    /// Example: forkscope completions bash > /etc/bash_completion.d/forkscope
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff), or a subcommand's, or write them all.
    ///
    /// Example: forkscope man > forkscope.1 && man ./forkscope.1
    ///
    /// Example: forkscope man diagram | man -l -
    ///
    /// Example: forkscope man --out-dir /usr/local/share/man/man1
    Man {
        /// Print this subcommand's page (forkscope-SUBCOMMAND(1)) instead.
        subcommand: Option<String>,

        /// Write forkscope.1 and a forkscope-SUBCOMMAND.1 per subcommand into DIR.
        #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
        out_dir: Option<PathBuf>,
    },
}

/// Arguments of `forkscope demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// The scenario (see --list); default: pipeline.
    pub name: Option<String>,

    /// List the scenarios and exit.
    #[arg(long)]
    pub list: bool,

    /// Where to write the trace and the HTML page (default: a new private folder, forkscope-demo-XXXXXX, in the system temp directory).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Arguments of `forkscope record`.
#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Write the trace here, overwriting FILE (`-`: stdout). Default: a new
    /// forkscope-CMD-TIMESTAMP.jsonl in the current directory (`-2`, `-3`, ...
    /// added when that name is taken: a trace is never overwritten unasked).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also record the environment (off by default: environments hold secrets).
    #[arg(long)]
    pub env: bool,

    /// Do not print the summary at the end.
    #[arg(short, long)]
    pub quiet: bool,

    /// Watch for hangs: when no traced process has made progress for SECS
    /// seconds, explain who waits for whom (pipes, children) and record the
    /// finding in the trace.
    #[arg(long, value_name = "SECS")]
    pub stall_timeout: Option<f64>,

    /// What to do about a hang found by --stall-timeout: report it once and
    /// keep waiting, or kill the traced tree and exit non-zero.
    #[arg(long, value_enum, default_value_t = OnDeadlock::Report, requires = "stall_timeout")]
    pub on_deadlock: OnDeadlock,

    /// When to record each process's fd table as the kernel shows it, for
    /// `replay --verify`: `exec` (always on: after every successful exec)
    /// and `exit` (also just before each process exits: one more ptrace
    /// stop per thread, a few /proc reads per process; off by default).
    /// Example: --snapshots exec,exit
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "exec",
        value_name = "WHEN"
    )]
    pub snapshots: Vec<SnapshotAt>,

    /// Attach to a running process (and all its threads and descendants)
    /// instead of starting CMD; give -p several times for several processes
    /// (the first names the trace). Slower than starting CMD: the seccomp
    /// filter cannot be added to a running process. Ctrl-C detaches and
    /// leaves them running.
    #[arg(
        short = 'p',
        long = "attach",
        value_name = "PID",
        conflicts_with = "command"
    )]
    pub attach: Vec<i32>,

    /// How to record: `ptrace` (stops the program at each recorded
    /// syscall), `ebpf` (BPF programs in the kernel, the program never
    /// stops; needs a build with the `ebpf` feature, root or
    /// CAP_BPF+CAP_PERFMON, and a kernel with BTF), or `auto` (eBPF when it
    /// can load, else ptrace).
    #[arg(long, value_enum, default_value_t = Backend::Ptrace)]
    pub backend: Backend,

    /// Print the annotated timeline to stderr while recording, the same
    /// lines as `forkscope replay` (filtered by --kind, --collapse-files and
    /// --pid as there).
    #[arg(long)]
    pub live: bool,

    /// With --live: only these kinds of event (or syscall names), as `replay --kind`.
    #[arg(
        long,
        value_name = "KIND,...",
        value_delimiter = ',',
        requires = "live"
    )]
    pub kind: Vec<String>,

    /// With --live: leave out opens and closes of regular files, as `replay --collapse-files`.
    #[arg(long, requires = "live")]
    pub collapse_files: bool,

    /// With --live: only events of this process and its descendants.
    #[arg(long = "pid", value_name = "PID", requires = "live")]
    pub live_pid: Option<i32>,

    /// Record in the terminal view of `forkscope view`: events appear as
    /// they are recorded, the program runs in a pane of its own (Ctrl-O
    /// gives it the keys, and back), a hang found by --stall-timeout opens
    /// its report; when the program ends the view stays open over the
    /// trace. Needs a terminal.
    #[arg(long, conflicts_with_all = ["live", "attach"])]
    pub tui: bool,

    /// The command to run and its arguments (put `--` before it).
    #[arg(
        required_unless_present = "attach",
        trailing_var_arg = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

/// `record --backend`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// ptrace with a seccomp filter: every recorded syscall stops the program.
    Ptrace,
    /// BPF programs in the kernel (feature `ebpf`).
    Ebpf,
    /// eBPF when it can be used here, else ptrace.
    Auto,
}

/// `--snapshots`: when the recorder reads fd tables from /proc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SnapshotAt {
    /// After every successful exec (always taken).
    Exec,
    /// Just before each process exits (PTRACE_EVENT_EXIT).
    Exit,
}

/// `--on-deadlock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnDeadlock {
    /// Report the hang once and keep waiting.
    Report,
    /// Kill the traced tree and exit non-zero.
    Kill,
}

/// Arguments of `forkscope snapshot`.
#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// The process whose tree to examine (it and all its descendants).
    pub pid: i32,

    /// Print the analysis as JSON.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Draw the tree as a diagram instead of text (html steps through a
    /// trace, so it is not offered here).
    #[arg(short, long, value_parser = snapshot_format())]
    pub format: Option<DiagramFormat>,
}

/// Arguments of `forkscope replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The trace file (`-`: read it from stdin).
    pub trace: PathBuf,

    /// Only events of this process and its descendants.
    #[arg(long, value_name = "PID")]
    pub pid: Option<i32>,

    /// With --pid: that process only, not its descendants.
    #[arg(long, requires = "pid")]
    pub no_descendants: bool,

    /// Only these kinds of event, comma-separated (fork,exec,pipe,dup,open,close,wait,kill,signal,exit,...);
    /// syscall names work too (execve, clone, dup2, fcntl, openat, wait4, tgkill, ...).
    #[arg(
        long,
        value_name = "KIND,...",
        value_delimiter = ',',
        conflicts_with = "at"
    )]
    pub kind: Vec<String>,

    /// Only calls that failed (an errno, an exec that did not happen), as strace -Z.
    #[arg(long, conflicts_with_all = ["successful", "at", "verify"])]
    pub failed: bool,

    /// Only calls that did not fail, as strace -z.
    #[arg(long, conflicts_with_all = ["at", "verify"])]
    pub successful: bool,

    /// Start each line with the wall-clock time of the event, with
    /// microseconds, in local time (as strace -tt).
    #[arg(short = 't', long = "time", conflicts_with_all = ["at", "verify", "json"])]
    pub time: bool,

    /// Start each line with the seconds since the previous line (as strace -r).
    #[arg(short = 'r', long, conflicts_with_all = ["at", "verify", "json"])]
    pub relative: bool,

    /// End lines with how long things lasted where the trace knows: at an
    /// exit, how long the process lived; at a wait that reaps, how long the
    /// child was a zombie (`<lived 12.3ms>`, `<zombie 40µs>`).
    #[arg(long, conflicts_with_all = ["at", "verify", "json"])]
    pub durations: bool,

    /// Print the events as JSON Lines (the trace's own form) instead of text;
    /// with --at, the state as one JSON object (processes with their fd
    /// tables and open files, pipes with the pids and fds holding each end).
    #[arg(long, conflicts_with = "verify")]
    pub json: bool,

    /// Leave out opens and closes of regular files (shared libraries, locale
    /// files, ...): what remains is the process and pipe plumbing.
    #[arg(long, conflicts_with = "at")]
    pub collapse_files: bool,

    /// Only events A through B (by seq, both included; `120..`, `..480`).
    #[arg(long, value_name = "A..B", conflicts_with_all = ["at", "verify"])]
    pub range: Option<SeqRange>,

    /// Print the full state after event SEQ instead of the timeline: every
    /// live process with its fd table, every pipe with its holders.
    #[arg(long, value_name = "SEQ", conflicts_with = "verify")]
    pub at: Option<u64>,

    /// Check the model against the kernel's fd tables captured at every exec;
    /// report each divergence and anomaly and exit 1 if there is any (a close
    /// of an fd that is not open, the program's own EBADF, is listed but does
    /// not fail the check; fds io_uring opened or closed unseen are noted).
    #[arg(long)]
    pub verify: bool,
}

pub use crate::replay::filter::SeqRange;

/// Arguments of `forkscope tree`.
#[derive(Debug, clap::Args)]
pub struct TreeArgs {
    /// The trace file (`-`: read it from stdin).
    pub trace: PathBuf,

    /// Only this process and its descendants.
    #[arg(long, value_name = "PID")]
    pub pid: Option<i32>,
}

/// Diagram formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    /// Box-drawing text for the terminal.
    Ascii,
    /// A standalone SVG drawn by forkscope (no Graphviz needed).
    Svg,
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
    /// One self-contained HTML page that steps through the whole trace.
    Html,
}

/// What a diagram shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum DiagramView {
    /// Process boxes with their fd tables, pipes as tubes between them.
    #[default]
    Compact,
    /// The kernel's three tables: fd tables, the open file table (mode,
    /// flags, shared offset, refcount), and the files, ttys and pipes
    /// (svg, ascii; the HTML page has both, with a switch).
    Kernel,
}

/// Arguments of `forkscope diagram`.
#[derive(Debug, clap::Args)]
pub struct DiagramArgs {
    /// The trace file (`-`: read it from stdin).
    pub trace: PathBuf,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = DiagramFormat::Ascii)]
    pub format: DiagramFormat,

    /// Write to this file instead of stdout (`-`: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The moment to draw: the state after event SEQ (default: the moment
    /// the most pipe ends were held, the busiest point of the pipeline; in a
    /// trace without pipes, the moment the most tasks were alive).
    #[arg(long, value_name = "SEQ")]
    pub at: Option<u64>,

    /// Only this process and its descendants.
    #[arg(long, value_name = "PID")]
    pub pid: Option<i32>,

    /// Leave regular files out of the fd tables (a count is shown instead).
    #[arg(long)]
    pub collapse_files: bool,

    /// Leave close-on-exec fds out of the fd tables.
    #[arg(long)]
    pub hide_cloexec: bool,

    /// With --format html: steps only for events A through B (by seq, both
    /// included; `120..`, `..480`; `..` for every event). Without it a page
    /// has at most the first 2000 steps. With --pid or --collapse-files the
    /// page also leaves out the steps of other processes and of opens and
    /// closes of regular files.
    #[arg(long, value_name = "A..B")]
    pub range: Option<SeqRange>,

    /// What to draw: `compact` (process boxes and pipes) or `kernel` (fd
    /// tables -> open file table -> files, ttys and pipes). With --format
    /// html, the view the page opens in.
    #[arg(long, value_enum, default_value_t = DiagramView::Compact)]
    pub view: DiagramView,

    /// Draw the moment before the event too, side by side with the moment
    /// after it (svg; ascii puts them one above the other).
    #[arg(long)]
    pub before: bool,

    /// With --format ascii: plain ASCII only (+-| boxes, `>` and `x`), for
    /// terminals that draw box-drawing characters double width.
    #[arg(long)]
    pub ascii_plain: bool,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Chrome trace-event JSON for ui.perfetto.dev and chrome://tracing.
    Perfetto,
    /// The normalized event stream as one JSON array.
    Json,
}

/// Arguments of `forkscope export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The trace file (`-`: read it from stdin).
    pub trace: PathBuf,

    /// Output format.
    #[arg(short, long, value_enum)]
    pub format: ExportFormat,

    /// Write to this file instead of stdout (`-`: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `forkscope view`.
#[derive(Debug, clap::Args)]
pub struct ViewArgs {
    /// The trace file.
    pub trace: PathBuf,
}

/// Arguments of `forkscope doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// The trace file (`-`: read it from stdin).
    pub trace: PathBuf,

    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,

    /// Exit with status 1 only for a finding at least this severe (for CI
    /// gates); less severe findings are still printed.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = doctor::FailOn::Warning)]
    pub fail_on: doctor::FailOn,
}

/// Runs the parsed command line and says how forkscope ends.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let color = style::Style::resolve(cli.color);
    let lang = cli.language();
    // The other subcommands say 0 (nothing found) or 1 (something found).
    let found = |r: anyhow::Result<i32>| r.map(Exit::found_if_nonzero);
    match cli.command {
        Command::Record(args) if args.tui => view::record(args, color, lang),
        Command::Record(args) => record::run(args, lang),
        Command::Replay(args) => found(replay::run(args, color, lang)),
        Command::Tree(args) => found(tree::run(args, color, lang)),
        Command::Diagram(mut args) => {
            dash_is_stdout(&mut args.output);
            found(diagram::run(args, color, lang))
        }
        Command::Export(mut args) => {
            dash_is_stdout(&mut args.output);
            found(export::run(args, lang))
        }
        Command::Doctor(args) => found(doctor::run(args, color, lang)),
        Command::View(args) => found(view::run(args, color, lang)),
        Command::Snapshot(args) => found(snapshot::run(args, color, lang)),
        Command::Demo(args) => found(demo::run(args, color, lang)),
        Command::Ebpf(args) => ebpf::run(args, lang),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // clap_complete panics when a write fails (`> /dev/full`):
            // generate into memory, then write with errors reported.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "forkscope", &mut script);
            write_stdout(&script)?;
            Ok(Exit::Success)
        }
        Command::Man {
            subcommand,
            out_dir,
        } => {
            let mut cmd = <Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
            if let Some(dir) = out_dir {
                // Created when missing, as `demo --out-dir` does.
                let shown = dir.display().to_string();
                std::fs::create_dir_all(&dir)
                    .with_context(|| notice(lang, &Notice::CannotCreateDir(shown.clone())))?;
                clap_mangen::generate_to(cmd, &dir)
                    .with_context(|| notice(lang, &Notice::CannotWriteMan(shown.clone())))?;
                say_wrote(lang, &dir);
                return Ok(Exit::Success);
            }
            // Built, subcommands carry their full names (forkscope-diagram).
            cmd.build();
            let page = match &subcommand {
                None => cmd,
                Some(name) => match cmd.find_subcommand(name) {
                    Some(sub) => sub.clone(),
                    None => {
                        let names = cmd.get_subcommands().map(|c| c.get_name().into());
                        let no = Message::NoSubcommand {
                            name: name.clone(),
                            names: names.collect(),
                        };
                        crate::errln!("{}", crate::words::cli::message(lang, &no));
                        return Ok(Exit::Failed);
                    }
                },
            };
            let mut roff = Vec::new();
            clap_mangen::Man::new(page).render(&mut roff)?;
            write_stdout(&roff)?;
            Ok(Exit::Success)
        }
    }
}

/// `snapshot --format`: the diagram formats of one moment (not html).
fn snapshot_format() -> impl clap::builder::TypedValueParser<Value = DiagramFormat> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["ascii", "svg", "dot", "mermaid"])
        .map(|s: String| DiagramFormat::from_str(&s, true).unwrap_or(DiagramFormat::Ascii))
}

/// `-o -` is stdout, as leaving `-o` out is (not a file named `-`).
fn dash_is_stdout(output: &mut Option<PathBuf>) {
    if output.as_deref() == Some(std::path::Path::new("-")) {
        *output = None;
    }
}

/// Writes `bytes` to stdout. A failure (`> /dev/full`) is an error that
/// names stdout ([`out::StdoutFailed`]); a closed pipe ends forkscope
/// quietly (see main.rs).
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = out::stdout();
    out.write_all(bytes).and_then(|_| out.flush())?;
    Ok(())
}

/// Says on stderr that a page was cut at [`crate::render::steps::MAX_STEPS`].
fn say_capped(lang: Lang, h: &crate::render::steps::HtmlSteps) {
    let (first, last) = (h.steps[0].seq, h.steps[h.steps.len() - 1].seq);
    crate::errln!(
        "{}",
        crate::words::diagram::notice(
            lang,
            &crate::words::diagram::Notice::Capped {
                shown: h.steps.len(),
                qualified: h.qualified,
                first,
                last,
            }
        )
    );
}

/// Says on stderr that `path` was written (after `-o FILE`).
fn say_wrote(lang: Lang, path: &std::path::Path) {
    let wrote = Message::Wrote {
        path: path.to_path_buf(),
    };
    crate::errln!("{}", crate::words::cli::message(lang, &wrote));
}
