//! Words of the drawings: every format (ascii, svg, dot, mermaid, the HTML
//! page, the kernel view) and `replay`'s pipe list take their words from
//! here, in the language they are given.
//!
//! Three kinds of fact: a [`Word`] (a fixed heading, key or button), a
//! [`Phrase`] (words around numbers, pids and names from the trace) and a
//! [`Verdict`] (what a pipe's ends mean for its readers and writers). Each
//! language is one table (`diagram/en.rs`, `diagram/zh.rs`) with an
//! exhaustive `match` over each kind, so a fact without Chinese words does
//! not compile. Names from the trace arrive already made visible
//! ([`super::text::visible`]); each format escapes its own markup after.

use super::Lang;
use crate::trace::Pid;

mod en;
mod zh;

/// A fixed word of a drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Word {
    /// The mouth of a pipe's tube where writers pour in.
    WriteMouth,
    /// The mouth where readers drain it.
    ReadMouth,
    /// The heading of the kernel view's left column.
    FdTables,
    /// The heading of its middle column.
    OpenFileTable,
    /// The heading of its right column.
    Objects,
    /// Under an open file several fds hold: they share one file offset.
    SharedOffset,
    /// The kernel view's key, one line.
    KernelLegend,
    /// The mark on a process or fd the event just made.
    NewMark,
    /// The key for change marks.
    MarksLegend,
    /// The HTML page's zoom buttons and presentation size.
    ZoomIn,
    /// See [`Word::ZoomIn`].
    ZoomOut,
    /// See [`Word::ZoomIn`].
    Presentation,
    /// The HTML page's view switch: the compact drawing.
    ViewCompact,
    /// The HTML page's view switch: the kernel's three tables.
    ViewKernel,
    /// What an empty fd table says.
    NoOpenFds,
    /// `ran`, before the programs a process ran (`ran sh → echo`).
    Ran,
    /// Under a process that holds an end of a drawn pipe but is not drawn.
    NotDrawn,
    /// Who holds nothing.
    Nobody,
    /// A drawing without processes.
    NoLiveProcesses,
    /// The ascii drawing's headings.
    EventHeading,
    /// See [`Word::EventHeading`].
    WarningsHeading,
    /// See [`Word::EventHeading`].
    PipesHeading,
    /// The ascii heading over open files several fds share.
    SharedFiles,
    /// The SVG's heading over them.
    SharedFilesLong,
    /// The ascii key for a `cloexec` mark.
    CloexecKey,
    /// The SVG's key for it.
    CloexecKeyShort,
    /// The ascii key for a `#N ×K` mark.
    SharedMarkKey,
    /// The SVG's key for it.
    SharedMarkKeyShort,
    /// The SVG's key for arrows into a pipe.
    WritesArrow,
    /// The SVG's key for arrows out of a pipe.
    ReadsArrow,
    /// The SVG's key for dashed lines.
    DashedParent,
    /// A DOT edge to an fd whose end of a pipe is not known.
    EndQuestion,
    /// Mermaid's edge into a pipe.
    Write,
    /// Mermaid's edge out of a pipe.
    Read,
    /// An fd whose end of a pipe is not known.
    EndUnknown,
    /// The kind of an object (ascii kernel view): a file.
    KindFile,
    /// The kernel view's (SVG) kind of a file.
    KindFileInode,
    /// A terminal.
    KindTty,
    /// A socket.
    KindSocket,
    /// Anything else.
    KindOther,
    /// The HTML page's `lang` attribute.
    HtmlLang,
    /// The HTML page's step counter as its script computes it, from its
    /// step index `i` (from 0), the number of steps `n` and the step `s`
    /// (`s[0]` is its seq): the same text as [`Phrase::Counter`].
    CounterJs,
    /// The counter of a page without steps.
    NoSteps,
    /// The HTML page's buttons' tooltips and the slider's name.
    Prev,
    /// See [`Word::Prev`].
    Next,
    /// See [`Word::Prev`].
    Slider,
    /// The timeline's name for screen readers.
    Timeline,
    /// The caption of a page without steps.
    NoEvents,
}

/// Words around numbers, pids and names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phrase {
    /// `refcount 3`.
    Refcount(usize),
    /// A struck-through row: what the fd referred to before the event.
    Was(String),
    /// The heading over the moment before an event (`--before`).
    BeforeHeading(u64),
    /// The heading over the moment after it.
    AfterHeading(u64),
    /// The ascii drawing's title line: the command, after event `seq`.
    TitleAfter { title: String, seq: u64 },
    /// DOT's title line: after event `seq` of `pid`, the call.
    DotTitleAfter { seq: u64, pid: Pid, call: String },
    /// The HTML page's switch that shows the steps it hides at first.
    ShowLibrarySteps(usize),
    /// What `diagram --format html` wrote: its real size.
    PageSize { steps: usize, bytes: usize },
    /// `+2 threads`: the threads a process runs besides its main one.
    Threads(usize),
    /// `3 fds not shown`: rows a box leaves out (`--collapse-files`).
    FdsNotShown(usize),
    /// `3 fds`: how many fds hold one open file.
    FdCount(usize),
    /// The row of an empty fd table (ascii).
    NoOpenFdsRow,
    /// The ascii key for the highlight.
    ChangedBy(u64),
    /// The ascii keys, joined.
    Keys(Vec<String>),
    /// The ascii pipe line: who holds which end (lists already made).
    Holders {
        writers: String,
        readers: String,
        unknown: Option<String>,
    },
    /// The head of an ascii pipe or shared-file line (`  label: `).
    Head(String),
    /// Processes holding a pipe that this drawing leaves out.
    NotDrawnHere(String),
    /// An SVG line under the drawing: an open file shared by `k` fds.
    SharedLine {
        id: String,
        label: String,
        count: String,
        holders: String,
    },
    /// More shared files than the SVG lists.
    MoreNotListed(usize),
    /// More holders than a tooltip lists.
    MoreHolders(usize),
    /// A pipe tooltip's note: fds in processes not drawn.
    OutsideFds(usize),
    /// The count of rows a box leaves out, as the SVG writes it.
    Hidden(String),
    /// The programs a process ran (`exec: sh → echo`).
    Chain(String),
    /// A process box's tooltip.
    BoxTip {
        pid: Pid,
        program: String,
        state: String,
        parent: Option<Pid>,
        chain: Option<String>,
    },
    /// An fd row's tooltip.
    RowTip {
        pid: Pid,
        fd: i32,
        label: String,
        cloexec: bool,
        file: String,
        count: usize,
    },
    /// A pipe's tooltip.
    PipeTip {
        label: String,
        writers: String,
        readers: String,
        unknown: Option<String>,
        origin: Origin,
    },
    /// The HTML page's step counter (see [`Word::CounterJs`]).
    Counter { step: usize, steps: usize, seq: u64 },
    /// The HTML page's keys, after the number of steps.
    Hint(usize),
    /// `2 writers · 1 reader` (fds on each end), and fds whose end is not known.
    PipeCounts {
        writers: usize,
        readers: usize,
        unknown: usize,
    },
    /// A process reads a pipe whose write end it holds itself.
    ReadsOwnWriteEnd {
        pid: Pid,
        pipe: u32,
        read_fd: i32,
        write_fd: i32,
    },
    /// A pipe came from outside the trace.
    InheritedPipe(String),
    /// A zombie.
    Zombie(Pid),
}

/// Where a pipe came from, for its tooltip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// pipe() in the trace.
    Created,
    /// A FIFO opened by path.
    Fifo,
    /// From outside the trace.
    Inherited,
}

impl Origin {
    /// From the scene's `origin` (`created`, `fifo`, `inherited`).
    pub fn of(origin: &str) -> Origin {
        match origin {
            "fifo" => Origin::Fifo,
            "inherited" => Origin::Inherited,
            _ => Origin::Created,
        }
    }
}

/// What a pipe's ends mean for its readers and writers right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Inherited, no traced writer: one may be outside.
    NoWriterInTrace,
    /// Inherited, no traced reader: one may be outside.
    NoReaderInTrace,
    /// No writer left: readers get EOF.
    Eof,
    /// No reader left: writers get SIGPIPE.
    Sigpipe,
    /// Readers see EOF once these `n` write ends are closed.
    EofOnceClosed(usize),
}

/// A pipe's verdict in words, with how a drawing should colour it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipeVerdict {
    /// The sentence.
    pub text: String,
    /// No writer is left: readers get EOF (good news for a pipeline).
    pub eof: bool,
    /// Something a reader should worry about (no reader left: SIGPIPE; or
    /// the ends may be held outside the trace).
    pub bad: bool,
}

/// Why `diagram` draws the moment it picked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// A child is a zombie its parent never waits for.
    Zombie,
    /// The last redirection before the programs exec.
    Wired,
    /// The exec after the fds were set up.
    Exec,
    /// The most pipe ends were open.
    PipeEnds,
    /// No pipe ever: the most tasks were alive.
    Tasks,
}

/// What `diagram`, `export` and `demo` tell the user on stderr or in an
/// error (paths already shown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// The trace cannot be opened.
    CannotRead(String),
    /// The trace cannot be replayed.
    CannotReplay(String),
    /// An output file cannot be written.
    CannotWrite(String),
    /// An output file cannot be made.
    CannotCreate(String),
    /// Standard output cannot be written (a full disk behind `>`).
    CannotWriteStdout,
    /// An output directory cannot be made.
    CannotCreateDir(String),
    /// The man pages cannot be written into this directory.
    CannotWriteMan(String),
    /// `-o` names the trace being exported.
    IsTheTrace(String),
    /// The trace has no events.
    NoEvents(String),
    /// The trace has no event `seq`.
    NoEvent { trace: String, seq: u64 },
    /// `--at` is past the last event.
    BeyondEnd { trace: String, seq: u64, last: u64 },
    /// No event is in `--range`.
    NoneInRange(String),
    /// The page holds only the first steps.
    Capped {
        shown: usize,
        qualified: usize,
        first: u64,
        last: u64,
    },
    /// `--at` with `--format html`.
    AtIgnored,
    /// `--range` without `--format html`.
    RangeIgnored,
    /// The moment drawn, and why.
    Drawing { seq: u64, why: Moment },
    /// `--pid` of a process not alive at the moment drawn.
    NotAlive { pid: Pid, seq: u64 },
    /// `--view kernel` in a format that cannot draw it.
    NoKernelView(&'static str),
    /// `--before` in a format that cannot draw it.
    BeforeOnly,
}

/// Why a moment was picked, in `lang`.
pub fn moment(lang: Lang, m: Moment) -> &'static str {
    match lang {
        Lang::En => en::moment(m),
        Lang::Zh => zh::moment(m),
    }
}

/// A [`Notice`] carried as an error by code that has no language (the
/// diagram and demo helpers the terminal view also calls): the CLI words it
/// in the reader's language where it prints errors; its `Display` is the
/// English wording.
#[derive(Debug)]
pub struct NoticeError(pub Notice);

impl std::fmt::Display for NoticeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&notice(Lang::En, &self.0))
    }
}

impl std::error::Error for NoticeError {}

/// A notice in `lang`.
pub fn notice(lang: Lang, n: &Notice) -> String {
    match lang {
        Lang::En => en::notice(n),
        Lang::Zh => zh::notice(n),
    }
}

/// A fixed word in `lang`.
pub fn word(lang: Lang, w: Word) -> &'static str {
    match lang {
        Lang::En => en::word(w),
        Lang::Zh => zh::word(w),
    }
}

/// A phrase in `lang`.
pub fn phrase(lang: Lang, p: &Phrase) -> String {
    match lang {
        Lang::En => en::phrase(p),
        Lang::Zh => zh::phrase(p),
    }
}

/// A process box's state (`running`, `stopped`, `zombie`, `blocked`,
/// `reaped`) in `lang`; English is the state itself.
pub fn state(lang: Lang, state: &str) -> &str {
    match lang {
        Lang::En => state,
        Lang::Zh => zh::state(state),
    }
}

/// The access mode of an open file: `read`, `write`, `read/write`, `unknown`.
pub fn access(lang: Lang, mode: &str) -> &'static str {
    match lang {
        Lang::En => en::access(mode),
        Lang::Zh => zh::access(mode),
    }
}

/// The state of a pipe with `writers` and `readers` traced fds on its ends
/// and `unknown` fds whose end is not known; `inherited` when it came from
/// outside the trace, where untraced processes may hold more of its ends.
/// `None` when there is nothing to say (ends of unknown direction rule out
/// both claims).
pub fn verdict(writers: usize, readers: usize, unknown: usize, inherited: bool) -> Option<Verdict> {
    if unknown > 0 {
        return None;
    }
    match (writers, readers) {
        (0, 0) => None,
        (0, _) if inherited => Some(Verdict::NoWriterInTrace),
        (_, 0) if inherited => Some(Verdict::NoReaderInTrace),
        (0, _) => Some(Verdict::Eof),
        (_, 0) => Some(Verdict::Sigpipe),
        (n, _) => Some(Verdict::EofOnceClosed(n)),
    }
}

/// [`verdict`] in words of `lang`.
pub fn pipe_verdict(
    lang: Lang,
    writers: usize,
    readers: usize,
    unknown: usize,
    inherited: bool,
) -> Option<PipeVerdict> {
    let v = verdict(writers, readers, unknown, inherited)?;
    Some(PipeVerdict {
        text: match lang {
            Lang::En => en::verdict(v),
            Lang::Zh => zh::verdict(v),
        },
        eof: v == Verdict::Eof,
        bad: matches!(
            v,
            Verdict::Sigpipe | Verdict::NoWriterInTrace | Verdict::NoReaderInTrace
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inherited_pipe_never_promises_eof_or_sigpipe() {
        for lang in [Lang::En, Lang::Zh] {
            let w = pipe_verdict(lang, 0, 2, 0, true).unwrap();
            let r = pipe_verdict(lang, 1, 0, 0, true).unwrap();
            for v in [&w, &r] {
                assert!(!v.eof && v.bad, "{v:?}");
                assert!(
                    !v.text.contains("SIGPIPE") && !v.text.contains("EOF"),
                    "{v:?}"
                );
            }
        }
    }

    #[test]
    fn a_created_pipe_says_eof_and_sigpipe_as_the_course_does() {
        assert_eq!(
            pipe_verdict(Lang::En, 0, 1, 0, false).unwrap().text,
            "no writer left \u{2192} readers get EOF"
        );
        assert_eq!(
            pipe_verdict(Lang::En, 1, 0, 0, false).unwrap().text,
            "no reader left \u{2192} writers get SIGPIPE"
        );
        assert_eq!(pipe_verdict(Lang::En, 1, 0, 1, false), None);
        let counts = Phrase::PipeCounts {
            writers: 1,
            readers: 2,
            unknown: 0,
        };
        assert_eq!(phrase(Lang::En, &counts), "1 writer \u{b7} 2 readers");
        assert_eq!(phrase(Lang::Zh, &counts), "写端 1 个 \u{b7} 读端 2 个");
    }
}
