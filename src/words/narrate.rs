//! Words for the timeline: what an fd refers to ([`File`]) and one plain
//! sentence per event, made of [`Said`] facts (render/narrate.rs reads them
//! off the model before and after an event; this module only words them).
//!
//! One table per language (`narrate/en.rs`, `narrate/zh.rs`), each an
//! exhaustive `match` over the facts: a fact without Chinese words does not
//! compile. The call text (`dup2(4, 1)`) is not here: it is written as
//! strace writes it, the same in every language.

use super::Lang;
use crate::model::PipeEnd;
use crate::model::ProcessState;
use crate::trace::{Pid, Sig, Status};

mod en;
mod zh;

/// What an fd refers to, as facts: a pipe or FIFO end, or a name that
/// reads the same in every language (a path, `socket:[9]`, already made
/// visible with [`super::text::visible`]).
///
/// The texts are `String`s, or any other text `S` (the exports keep them
/// as ranges of one buffer, [`Said::map`] and [`File::map`] turn those
/// into `&str`s to word them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File<S = String> {
    /// An end of a pipe or FIFO.
    Pipe {
        /// `pipe#1`.
        label: S,
        /// Which end the fd holds.
        end: PipeEnd,
        /// A FIFO's path, shown.
        fifo: Option<S>,
    },
    /// A path, a socket, anything else: the same words in every language.
    Named(S),
}

impl<S> File<S> {
    /// The same file with each text `t` as `f(t)`.
    pub fn map<'a, T>(&'a self, mut f: impl FnMut(&'a S) -> T) -> File<T> {
        match self {
            File::Pipe { label, end, fifo } => File::Pipe {
                label: f(label),
                end: *end,
                fifo: fifo.as_ref().map(f),
            },
            File::Named(n) => File::Named(f(n)),
        }
    }
}

impl File {
    /// Is this a regular file's path (not under /dev, not a pipe, socket or
    /// anonymous inode)?
    pub fn is_path(&self) -> bool {
        matches!(self, File::Named(n) if n.starts_with('/') && !n.starts_with("/dev/"))
    }
}

/// One part of an event's sentence (its texts `String`s, or any other
/// text `S`, as [`File`]'s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Said<S = String> {
    /// The first process starts with `fds` inherited fds.
    Starts { pid: Pid, fds: usize },
    /// A process was already running when forkscope attached.
    Attached {
        pid: Pid,
        parent: Option<Pid>,
        fds: usize,
    },
    /// Its other threads share its fd table.
    OtherThreads { threads: Vec<Pid> },
    /// `pid` starts thread `child`.
    StartsThread { pid: Pid, child: Pid },
    /// `child` shares `pid`'s fd table (CLONE_FILES).
    BornSharing { pid: Pid, child: Pid },
    /// vfork: the parent waits.
    BornVfork { pid: Pid, child: Pid },
    /// fork: the child has a copy of the fds.
    BornCopy { pid: Pid, child: Pid },
    /// `pid` now runs `program`.
    Runs { pid: Pid, program: S },
    /// The exec failed.
    ExecFailed { pid: Pid, errno: Option<S> },
    /// A pipe was made.
    PipeMade {
        pipe: S,
        read_fd: i32,
        write_fd: i32,
    },
    /// dup of an fd onto itself.
    FdUnchanged { fd: i32 },
    /// `fd` now refers to what `old_fd` does; `replaced` is what it held.
    Duped {
        fd: i32,
        old_fd: i32,
        what: File<S>,
        replaced: Option<File<S>>,
    },
    /// An open or a new fd.
    Refers { fd: i32, what: File<S> },
    /// A close of an open fd.
    Closed { fd: i32, what: File<S> },
    /// A close of an fd that was not open.
    NotOpen { fd: i32 },
    /// unshare(CLONE_FILES) of a shared table.
    OwnTable { pid: Pid },
    /// close_range closed fds `first..=last` (`last` u32::MAX: all).
    RangeClosed { first: u32, last: u32 },
    /// close_range marked them close-on-exec.
    RangeCloexec { first: u32, last: u32 },
    /// A wait reaped `child`.
    Reaps {
        pid: Pid,
        child: Pid,
        status: Status,
    },
    /// wait(NULL) reaped `child`.
    ReapsUnasked { pid: Pid, child: Pid },
    /// WNOHANG found nothing.
    NothingYet,
    /// kill.
    Sends { pid: Pid, signal: Sig, target: i64 },
    /// A signal is delivered.
    Arrives { pid: Pid, signal: Sig },
    /// A group-stop.
    Stopped { pid: Pid, signal: Sig },
    /// SIGCONT.
    Continues { pid: Pid },
    /// SIGCHLD ignored or SA_NOCLDWAIT: no zombies.
    NoZombies { pid: Pid },
    /// SIGCHLD set to `action` (`default`, `handler`).
    SigchldSet { pid: Pid, action: S },
    /// prctl(PR_SET_NAME): `pid`, running `program`, named itself `name`
    /// (escaped); `thread`: a thread other than its process's main one,
    /// which renames only itself.
    Renames {
        pid: Pid,
        program: S,
        name: S,
        thread: bool,
    },
    /// The task ended.
    Ends { pid: Pid, status: Status },
    /// The last write end of `pipe` closed.
    Eof { pipe: S },
    /// The last read end of `pipe` closed.
    Broken { pipe: S },
    /// The kernel reaped `pid` at once.
    ReapedByKernel { pid: Pid },
    /// `pid` is a zombie; `parent_traced`: its parent is in the trace.
    Zombie { pid: Pid, parent_traced: bool },
    /// Its parent is gone.
    Orphaned { pid: Pid },
    /// close-on-exec closed `fd` at exec.
    ClosedAtExec { fd: i32 },
}

impl<S> Said<S> {
    /// The same fact with each text `t` as `f(t)`.
    pub fn map<'a, T>(&'a self, mut f: impl FnMut(&'a S) -> T) -> Said<T> {
        match self {
            Said::Starts { pid, fds } => Said::Starts {
                pid: *pid,
                fds: *fds,
            },
            Said::Attached { pid, parent, fds } => Said::Attached {
                pid: *pid,
                parent: *parent,
                fds: *fds,
            },
            Said::OtherThreads { threads } => Said::OtherThreads {
                threads: threads.clone(),
            },
            Said::StartsThread { pid, child } => Said::StartsThread {
                pid: *pid,
                child: *child,
            },
            Said::BornSharing { pid, child } => Said::BornSharing {
                pid: *pid,
                child: *child,
            },
            Said::BornVfork { pid, child } => Said::BornVfork {
                pid: *pid,
                child: *child,
            },
            Said::BornCopy { pid, child } => Said::BornCopy {
                pid: *pid,
                child: *child,
            },
            Said::Runs { pid, program } => Said::Runs {
                pid: *pid,
                program: f(program),
            },
            Said::ExecFailed { pid, errno } => Said::ExecFailed {
                pid: *pid,
                errno: errno.as_ref().map(f),
            },
            Said::PipeMade {
                pipe,
                read_fd,
                write_fd,
            } => Said::PipeMade {
                pipe: f(pipe),
                read_fd: *read_fd,
                write_fd: *write_fd,
            },
            Said::FdUnchanged { fd } => Said::FdUnchanged { fd: *fd },
            Said::Duped {
                fd,
                old_fd,
                what,
                replaced,
            } => Said::Duped {
                fd: *fd,
                old_fd: *old_fd,
                what: what.map(&mut f),
                replaced: replaced.as_ref().map(|r| r.map(&mut f)),
            },
            Said::Refers { fd, what } => Said::Refers {
                fd: *fd,
                what: what.map(f),
            },
            Said::Closed { fd, what } => Said::Closed {
                fd: *fd,
                what: what.map(f),
            },
            Said::NotOpen { fd } => Said::NotOpen { fd: *fd },
            Said::OwnTable { pid } => Said::OwnTable { pid: *pid },
            Said::RangeClosed { first, last } => Said::RangeClosed {
                first: *first,
                last: *last,
            },
            Said::RangeCloexec { first, last } => Said::RangeCloexec {
                first: *first,
                last: *last,
            },
            Said::Reaps { pid, child, status } => Said::Reaps {
                pid: *pid,
                child: *child,
                status: *status,
            },
            Said::ReapsUnasked { pid, child } => Said::ReapsUnasked {
                pid: *pid,
                child: *child,
            },
            Said::NothingYet => Said::NothingYet,
            Said::Sends {
                pid,
                signal,
                target,
            } => Said::Sends {
                pid: *pid,
                signal: *signal,
                target: *target,
            },
            Said::Arrives { pid, signal } => Said::Arrives {
                pid: *pid,
                signal: *signal,
            },
            Said::Stopped { pid, signal } => Said::Stopped {
                pid: *pid,
                signal: *signal,
            },
            Said::Continues { pid } => Said::Continues { pid: *pid },
            Said::NoZombies { pid } => Said::NoZombies { pid: *pid },
            Said::SigchldSet { pid, action } => Said::SigchldSet {
                pid: *pid,
                action: f(action),
            },
            Said::Renames {
                pid,
                program,
                name,
                thread,
            } => Said::Renames {
                pid: *pid,
                program: f(program),
                name: f(name),
                thread: *thread,
            },
            Said::Ends { pid, status } => Said::Ends {
                pid: *pid,
                status: *status,
            },
            Said::Eof { pipe } => Said::Eof { pipe: f(pipe) },
            Said::Broken { pipe } => Said::Broken { pipe: f(pipe) },
            Said::ReapedByKernel { pid } => Said::ReapedByKernel { pid: *pid },
            Said::Zombie { pid, parent_traced } => Said::Zombie {
                pid: *pid,
                parent_traced: *parent_traced,
            },
            Said::Orphaned { pid } => Said::Orphaned { pid: *pid },
            Said::ClosedAtExec { fd } => Said::ClosedAtExec { fd: *fd },
        }
    }
}

/// The words of `forkscope tree`'s lines around a process's facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Listing {
    /// Arguments cut after `kept`, `cut` characters left out.
    ArgsCut { kept: String, cut: usize },
    /// A process with `n` threads.
    Threads(usize),
    /// The end of the recording, as the end of a lifetime.
    End,
    /// Stopped at the end of the recording.
    StoppedBy(Sig),
    /// Running at the end of the recording.
    StillRunning,
    /// Reaped by the kernel at exit.
    ReapedByKernel,
    /// A zombie for `time`, reaped by `by` (or someone outside the trace).
    ZombieFor { time: String, by: Option<Pid> },
    /// Never reaped within the recording; a zombie for at least `time`.
    NeverReaped { time: String },
    /// Orphaned at event `seq`, adopted by `by` (or by init or a subreaper
    /// outside the trace).
    Orphaned { seq: u64, by: Option<Pid> },
    /// `--pid` names no process of the trace.
    NoProcess { trace: String, pid: Pid },
    /// `replay --pid` names no process of the trace.
    NoProcessInTimeline { trace: String, pid: Pid },
    /// `--kind` names no event kind nor syscall.
    UnknownKind {
        kind: String,
        kinds: String,
        syscalls: String,
    },
    /// A trace without events.
    NoEvents { trace: String },
    /// `--at` past the last event.
    NoSuchEvent { trace: String, at: u64, last: u64 },
    /// `--at` with `--pid` of a process not alive then.
    NotAlive { trace: String, pid: Pid, seq: u64 },
    /// The heading of `replay --at`: the state after the event on `line`.
    StateAfter(String),
    /// `replay --at`'s heading over the processes.
    Processes,
    /// `replay --at`'s heading over the pipes.
    Pipes,
    /// ... and their parent.
    Parent(Pid),
    /// A process's state.
    State(ProcessState),
    /// Text set apart after a name: ` (running, parent 1)`.
    Aside(String),
    /// Text set apart after a sentence: `  (no writer left ...)`.
    Note(String),
    /// An fd sharing its open file with `n` fds.
    SharedBy { file: String, n: usize },
    /// An fd with close-on-exec set.
    Cloexec,
    /// No pipe is open.
    NoPipes,
    /// Who holds the ends of `pipe`.
    PipeHolders {
        pipe: String,
        writers: Vec<(Pid, i32)>,
        readers: Vec<(Pid, i32)>,
        unknown: Vec<(Pid, i32)>,
    },
    /// `--durations` at an exit: how long the process lived.
    Lived(String),
    /// `--durations` at a reaping wait: how long the child was a zombie.
    ZombieTime(String),
    /// `--verify`: the model and the kernel disagree on an fd.
    Divergence {
        label: String,
        seq: u64,
        pid: Pid,
        program: String,
        fd: i32,
        model: Option<String>,
        kernel: Option<String>,
    },
    /// `--verify`: an fd appeared or vanished unseen (io_uring).
    Unseen {
        label: String,
        seq: u64,
        pid: Pid,
        program: String,
        fd: i32,
        appeared: bool,
        what: Option<String>,
    },
    /// `--verify`'s label for a model anomaly.
    Anomaly,
    /// `--verify`'s summary.
    Verified {
        trace: String,
        events: u64,
        at_exec: u64,
        at_exit: u64,
        divergences: u64,
        anomalies: u64,
    },
    /// `--verify`: fds came and went unseen.
    UnseenTotal { label: String, n: u64 },
    /// `--verify`'s label for a divergence.
    DivergenceWord,
    /// `--verify`'s label for a note.
    NoteWord,
}

/// The idea a built-in demo teaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lesson {
    /// `ps aux | grep sh`.
    Pipeline,
    /// A child its parent never waits for.
    Zombie,
    /// The parent exits first.
    Orphan,
    /// `yes | head -n 1`.
    Sigpipe,
    /// A background job holds a pipe's write end.
    Leak,
    /// exec keeps the process and its fds.
    Exec,
    /// A parent reaps three children.
    Wait,
    /// `2>&1 1>&3`.
    Redirect,
}

/// What `forkscope demo` says around the recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Demo {
    /// What a lesson shows, in one line.
    About(Lesson),
    /// `demo --list`'s heading.
    ListHeading,
    /// Marks the default scenario.
    Default,
    /// No scenario of that name.
    NoSuchDemo { name: String, names: String },
    /// `forkscope demo NAME:`.
    Title(String),
    /// Before the program's own output.
    OutputStart,
    /// After it.
    OutputEnd,
    /// Before the timeline.
    TimelineHeading,
    /// Before the drawing of the key moment.
    StateHeading(u64),
    /// The page cannot be written.
    Writing(String),
    /// Where the page is.
    StepThrough(String),
    /// Where the trace is, and what to try next.
    TheTrace { path: String, events: u64 },
    /// Comments on the commands to try next.
    FullTimeline,
    /// See [`Demo::FullTimeline`].
    ProcessTree,
    /// See [`Demo::FullTimeline`].
    OtherScenarios,
    /// The folder asked for cannot be made.
    CreatingDir(String),
    /// No folder can be made in the temp directory.
    CreatingIn(String),
    /// An output file is a symbolic link.
    SymLink(String),
    /// An output file cannot be made.
    CreatingFile { path: String, error: String },
}

/// One of [`Demo`]'s words in `lang`.
pub fn demo(lang: Lang, d: &Demo) -> String {
    match lang {
        Lang::En => en::demo(d),
        Lang::Zh => zh::demo(d),
    }
}

/// One of [`Listing`]'s words in `lang`.
pub fn listing(lang: Lang, l: &Listing) -> String {
    match lang {
        Lang::En => en::listing(l),
        Lang::Zh => zh::listing(l),
    }
}

/// What an fd refers to, in `lang`: `pipe#1 write end` / `pipe#1 的写端`.
pub fn file(lang: Lang, f: &File) -> String {
    let mut t = String::new();
    write_file(&mut t, lang, f);
    t
}

/// One fact in `lang`.
pub fn said(lang: Lang, s: &Said) -> String {
    let mut t = String::new();
    match lang {
        Lang::En => en::write_said(&mut t, s),
        Lang::Zh => zh::write_said(&mut t, s),
    }
    t
}

/// The whole sentence: the facts joined, `None` when there are none.
pub fn sentence(lang: Lang, facts: &[Said]) -> Option<String> {
    (!facts.is_empty()).then(|| {
        let mut t = String::new();
        write_sentence(&mut t, lang, facts);
        t
    })
}

/// [`sentence`] written at the end of `out` (nothing when there are no
/// facts), for writers that would otherwise make a `String` per event; the
/// facts' texts are any `S` that is text.
pub fn write_sentence<S: AsRef<str>>(out: &mut String, lang: Lang, facts: &[Said<S>]) {
    for (i, s) in facts.iter().enumerate() {
        match lang {
            Lang::En => {
                if i > 0 {
                    out.push_str(en::SEP);
                }
                en::write_said(out, s);
            }
            Lang::Zh => {
                if i > 0 {
                    out.push_str(zh::SEP);
                }
                zh::write_said(out, s);
            }
        }
    }
}

/// [`write_sentence`] of facts whose texts are kept elsewhere: `text`
/// gives each.
pub fn write_sentence_in<'a, S>(
    out: &mut String,
    lang: Lang,
    facts: &'a [Said<S>],
    text: impl Fn(&'a S) -> &'a str + Copy,
) {
    for (i, s) in facts.iter().enumerate() {
        let s = s.map(text);
        match lang {
            Lang::En => {
                if i > 0 {
                    out.push_str(en::SEP);
                }
                en::write_said(out, &s);
            }
            Lang::Zh => {
                if i > 0 {
                    out.push_str(zh::SEP);
                }
                zh::write_said(out, &s);
            }
        }
    }
}

/// [`file()`] written at the end of `out`.
pub fn write_file<S: AsRef<str>>(out: &mut String, lang: Lang, f: &File<S>) {
    match lang {
        Lang::En => en::write_file(out, f),
        Lang::Zh => zh::write_file(out, f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fifo(end: PipeEnd) -> File {
        File::Pipe {
            label: "pipe#2".into(),
            end,
            fifo: Some("/tmp/f".into()),
        }
    }

    #[test]
    fn pipe_and_fifo_ends_are_named_in_both_languages() {
        let files = [
            File::Pipe {
                label: "pipe#1".into(),
                end: PipeEnd::Unknown,
                fifo: None,
            },
            fifo(PipeEnd::Read),
            fifo(PipeEnd::Write),
            fifo(PipeEnd::Both),
            File::Named("/etc/passwd".into()),
        ];
        let zh: Vec<String> = files.iter().map(|f| file(Lang::Zh, f)).collect();
        let en: Vec<String> = files.iter().map(|f| file(Lang::En, f)).collect();
        assert_eq!(
            zh,
            [
                "pipe#1 的某一端",
                "FIFO /tmp/f（pipe#2）的读端",
                "FIFO /tmp/f（pipe#2）的写端",
                "FIFO /tmp/f（pipe#2）的两端",
                "/etc/passwd",
            ]
        );
        assert_eq!(
            en,
            [
                "pipe#1 end ?",
                "fifo /tmp/f (pipe#2) read end",
                "fifo /tmp/f (pipe#2) write end",
                "fifo /tmp/f (pipe#2) both ends",
                "/etc/passwd",
            ]
        );
    }

    #[test]
    fn a_path_that_ends_in_write_end_is_not_read_as_a_pipe() {
        let s = Said::Duped {
            fd: 1,
            old_fd: 3,
            what: File::Named("/tmp/my write end".into()),
            replaced: None,
        };
        assert_eq!(
            said(Lang::En, &s),
            "fd 1 now refers to /tmp/my write end (same open file as fd 3)"
        );
    }

    #[test]
    fn sentences_join_their_parts_in_each_language() {
        let facts = [Said::ClosedAtExec { fd: 3 }, Said::Orphaned { pid: 7 }];
        assert_eq!(
            sentence(Lang::En, &facts).unwrap(),
            "fd 3 closed at exec (close-on-exec); 7 is orphaned: its parent is gone"
        );
        assert_eq!(
            sentence(Lang::Zh, &facts).unwrap(),
            "fd 3 在 exec 时被关闭（close-on-exec）；7 成了孤儿进程：它的父进程已经不在了"
        );
        assert_eq!(sentence(Lang::En, &[]), None);
    }
}
