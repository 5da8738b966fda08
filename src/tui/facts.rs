//! What `forkscope view` tells its reader, as facts: the status line's
//! messages, the panes' titles and notes, the help's rows, the filters in
//! force, a pipe and its holders, and the refusals of `forkscope view`.
//! No words here: [`crate::words::tui`] words each fact in each language.

use crate::trace::{Pid, Status};
use std::path::PathBuf;

/// A message on the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// `:` named a seq past the trace's last event.
    NoSuchEvent {
        /// The seq asked for.
        seq: u64,
        /// The last event's seq.
        last: u64,
    },
    /// No event the filters keep is at or after the seq asked for.
    NothingKeptAfter,
    /// The seq asked for is left out by the filters; the next kept event is shown.
    LeftOutByFilters {
        /// The seq asked for.
        seq: u64,
    },
    /// Esc stopped a search.
    SearchStopped,
    /// `p` stopped following a process.
    StoppedFollowing {
        /// The process no longer followed.
        pid: Pid,
    },
    /// Tab, while the doctor still reads the trace.
    DoctorStillReading,
    /// Tab, when the doctor found nothing.
    DoctorFoundNothing,
    /// `:` was given something that is not a seq.
    NotASeq {
        /// What was typed (raw).
        text: String,
    },
    /// `p` was given something that is not a pid.
    NotAPid {
        /// What was typed (raw).
        text: String,
    },
    /// `p` named a process with no event in the trace.
    NoEventsOf {
        /// The pid typed.
        pid: Pid,
    },
    /// `n` or `N` before any `/`.
    NoSearchYet,
    /// A search is still going; it got to the event of this seq (`None`:
    /// past the last row).
    Searching {
        /// Where it got to.
        at: Option<u64>,
    },
    /// No further event matches the search text.
    NoMoreMatches {
        /// The text searched for (lower-cased, raw).
        needle: String,
    },
    /// Reading the trace failed: the error's own text.
    Failed(String),
}

/// A pane title or a fixed note of the view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// The diagram pane's title at an event.
    DiagramAfter {
        /// The event's seq.
        seq: u64,
    },
    /// The diagram pane's title with no event kept.
    Diagram,
    /// The timeline pane's title: the current row and the rows kept.
    Timeline {
        /// The current row, from 1.
        at: usize,
        /// The rows kept.
        of: usize,
    },
    /// The timeline pane's title with no event kept.
    TimelineEmpty,
    /// The timeline when the filters keep no event.
    NothingKept,
    /// The process tree pane's title.
    ProcessTree,
    /// The pipes pane's title.
    Pipes,
    /// The pipes pane when no pipe is open.
    NoPipeOpen,
    /// The findings pane's title.
    Doctor,
    /// The findings pane while the doctor reads the trace.
    ReadingFindings,
    /// The findings pane when the doctor found nothing.
    NothingFound,
    /// The doctor's thread ended without a report.
    DoctorStopped,
    /// The prompt of `:`.
    AskSeq,
    /// The prompt of `/`.
    AskSearch,
    /// The prompt of `p`.
    AskFollow,
    /// The status line's reminder of the keys.
    HelpHint,
    /// The help window's title.
    Keys,
    /// The kind chooser's title.
    EventKinds,
    /// `record --tui`: the program's pane title, the view having the keys.
    Program,
    /// `record --tui`: the program's pane title, the program having the keys.
    ProgramHasKeys,
    /// `record --tui`: the program's pane title once the recording ended.
    ProgramEnded {
        /// How the recorder (so the program) ended.
        status: Status,
    },
    /// `record --tui`: the status line's reminder of the keys.
    LiveHint,
    /// `record --tui`: the status line while the program has the keys.
    KeysGoToProgram,
    /// `record --tui`: still recording; the events read so far.
    Recording {
        /// Events read so far.
        events: usize,
    },
    /// The trace is still being read; the events read so far.
    Indexing {
        /// Events read so far.
        events: usize,
    },
    /// The findings pane while the program is still recorded.
    DoctorAfterRecording,
    /// The title of the hang report opened in place.
    Hang,
    /// How to close the hang report.
    CloseHang,
}

/// One row of the help: a key (or keys) and what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelpRow {
    /// ↓ j / ↑ k.
    Step,
    /// PgDn Space / PgUp.
    Page,
    /// g / G.
    FirstLast,
    /// `:`.
    GoTo,
    /// `/`, n, N.
    Search,
    /// f.
    Kinds,
    /// p.
    Follow,
    /// c.
    Collapse,
    /// t.
    Tree,
    /// Tab, Enter.
    Findings,
    /// v.
    KernelView,
    /// The mouse wheel.
    Mouse,
    /// ?.
    Help,
    /// q, Ctrl-C.
    Quit,
    /// Ctrl-O (`record --tui`).
    Focus,
}

impl HelpRow {
    /// Every row, in the order the help lists them.
    pub const ALL: [HelpRow; 15] = [
        HelpRow::Step,
        HelpRow::Page,
        HelpRow::FirstLast,
        HelpRow::GoTo,
        HelpRow::Search,
        HelpRow::Kinds,
        HelpRow::Follow,
        HelpRow::Collapse,
        HelpRow::Tree,
        HelpRow::Findings,
        HelpRow::KernelView,
        HelpRow::Mouse,
        HelpRow::Help,
        HelpRow::Quit,
        HelpRow::Focus,
    ];
}

/// A filter in force, for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Only these event kinds (sorted).
    Kinds(Vec<&'static str>),
    /// Only this process's events.
    Following(Pid),
    /// Library and locale file events left out.
    FilesCollapsed,
}

/// What a pipe's holders mean for its ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipeVerdict {
    /// No writer is left: the readers see end-of-file.
    Eof,
    /// No reader is left: a write gets SIGPIPE.
    Sigpipe,
}

/// One live pipe and who holds its ends: (pid, fd), sorted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipeLine {
    /// Its name (`pipe#1`).
    pub name: String,
    /// Holders of the write end.
    pub writers: Vec<(Pid, i32)>,
    /// Holders of the read end.
    pub readers: Vec<(Pid, i32)>,
    /// Holders of an end of unknown direction.
    pub unknown: Vec<(Pid, i32)>,
    /// EOF or SIGPIPE, when one end has no holder.
    pub verdict: Option<PipeVerdict>,
}

/// Why `forkscope view` does not open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// stdin or stdout is not a terminal.
    NeedsTerminal {
        /// The trace asked for.
        path: PathBuf,
    },
    /// The trace has no event.
    NoEvents {
        /// The trace.
        path: PathBuf,
    },
    /// `record --tui` without a terminal on stdin and stdout.
    RecordNeedsTerminal,
    /// `record --tui -o -`: stdout cannot be followed.
    RecordNeedsAFile,
}
