//! `forkscope view` in English.

use super::holders;
use crate::tui::facts::{Filter, HelpRow, Label, Message, PipeLine, PipeVerdict, Refusal};
use crate::words::Lang;

pub(super) const MOUSE_WHEEL: &str = "mouse wheel";

pub(super) fn message(m: &Message) -> String {
    match m {
        Message::NoSuchEvent { seq, last } => {
            format!("there is no event #{seq}: the last one is #{last}")
        }
        Message::NothingKeptAfter => "no event the filters keep is at or after that seq".into(),
        Message::LeftOutByFilters { seq } => {
            format!("#{seq} is left out by the filters: showing the next event")
        }
        Message::SearchStopped => "search stopped".into(),
        Message::StoppedFollowing { pid } => format!("stopped following {pid}"),
        Message::DoctorStillReading => "the doctor is still reading the trace".into(),
        Message::DoctorFoundNothing => "the doctor found nothing".into(),
        Message::NotASeq { text } => format!("{text:?} is not an event number (a seq like 120)"),
        Message::NotAPid { text } => format!("{text:?} is not a pid"),
        Message::NoEventsOf { pid } => format!("process {pid} has no events in this trace"),
        Message::NoSearchYet => "no search yet: press /".into(),
        Message::Searching { at: Some(seq) } => format!("searching… at #{seq}"),
        Message::Searching { at: None } => String::new(),
        Message::NoMoreMatches { needle } => format!("no more events match {needle:?}"),
        Message::Failed(e) => e.clone(),
    }
}

pub(super) fn label(l: Label) -> String {
    match l {
        Label::DiagramAfter { seq } => format!("diagram after #{seq}"),
        Label::Diagram => "diagram".into(),
        Label::Timeline { at, of } => format!("timeline {at}/{of}"),
        Label::TimelineEmpty => "timeline".into(),
        Label::NothingKept => "no event is kept by the filters (f, p, c change them)".into(),
        Label::ProcessTree => "process tree".into(),
        Label::Pipes => "pipes".into(),
        Label::NoPipeOpen => "(no pipe open)".into(),
        Label::Doctor => "doctor (Tab, Enter)".into(),
        Label::ReadingFindings => "reading the trace for findings…".into(),
        Label::NothingFound => "nothing found".into(),
        Label::DoctorStopped => "the doctor stopped".into(),
        Label::AskSeq => "go to seq: ".into(),
        Label::AskSearch => "search: /".into(),
        Label::AskFollow => "follow pid (Enter): ".into(),
        Label::HelpHint => "? help  q quit".into(),
        Label::Keys => "keys".into(),
        Label::EventKinds => "event kinds (Space, Enter)".into(),
        Label::Program => "program (Ctrl-O: keys here)".into(),
        Label::ProgramHasKeys => "program: keys go here (Ctrl-O: view)".into(),
        Label::ProgramEnded { status } => {
            format!(
                "program ({})",
                crate::words::text::status(Lang::En, &status)
            )
        }
        Label::LiveHint => "Ctrl-O keys to the program  ? help  q quit".into(),
        Label::KeysGoToProgram => "keys go to the program; Ctrl-O: back to the view".into(),
        Label::Recording { events } => format!("recording… {events} events"),
        Label::Indexing { events } => format!("reading the trace… {events} events"),
        Label::DoctorAfterRecording => "the doctor reads the trace when the program ends".into(),
        Label::Hang => "hang".into(),
        Label::CloseHang => "Esc: close".into(),
    }
}

pub(super) fn help(row: HelpRow) -> &'static str {
    match row {
        HelpRow::Step => "next / previous event",
        HelpRow::Page => "a page down / up",
        HelpRow::FirstLast => "first / last event",
        HelpRow::GoTo => "go to an event by seq",
        HelpRow::Search => "search the lines; next / previous match",
        HelpRow::Kinds => "choose event kinds (Space ticks, a all, Enter)",
        HelpRow::Follow => "follow one process (p again: all)",
        HelpRow::Collapse => "collapse library and locale file events",
        HelpRow::Tree => "show / hide the process tree",
        HelpRow::Findings => "choose a finding; go to its event",
        HelpRow::KernelView => {
            "the kernel view of the diagram (fd table → open file → object), and back"
        }
        HelpRow::Mouse => "step, or scroll the diagram",
        HelpRow::Help => "this help (any key closes)",
        HelpRow::Quit => "quit",
        HelpRow::Focus => "record --tui: your keys to the program's pane, and back",
    }
}

pub(super) fn filter(f: &Filter) -> String {
    match f {
        Filter::Kinds(k) => format!("kinds={}", k.join(",")),
        Filter::Following(p) => format!("following {p}"),
        Filter::FilesCollapsed => "files collapsed".into(),
    }
}

pub(super) fn pipe_line(p: &PipeLine) -> String {
    let list = |v: &[_]| holders(v, "none", ", ");
    let mut line = format!(
        "{}: writers {}; readers {}",
        p.name,
        list(&p.writers),
        list(&p.readers)
    );
    if !p.unknown.is_empty() {
        line.push_str(&format!("; unknown end {}", list(&p.unknown)));
    }
    match p.verdict {
        Some(PipeVerdict::Eof) => line.push_str(" (EOF)"),
        Some(PipeVerdict::Sigpipe) => line.push_str(" (SIGPIPE)"),
        None => {}
    }
    line
}

pub(super) fn refusal(r: &Refusal) -> String {
    match r {
        Refusal::NeedsTerminal { path } => format!(
            "forkscope view needs a terminal (stdin and stdout); for text, use `forkscope replay {}`",
            path.display()
        ),
        Refusal::NoEvents { path } => format!("the trace {} has no events", path.display()),
        Refusal::RecordNeedsTerminal => {
            "forkscope record --tui needs a terminal (stdin and stdout); without one, use `forkscope record` (or --live)".into()
        }
        Refusal::RecordNeedsAFile => {
            "forkscope record --tui follows the trace file, and stdout (-o -) cannot be followed: name a file".into()
        }
    }
}
