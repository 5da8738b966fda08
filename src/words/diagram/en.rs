//! The drawings' words in English.

use super::{Moment, Notice, Origin, Phrase, Verdict, Word};

fn s(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub(super) fn word(w: Word) -> &'static str {
    match w {
        Word::WriteMouth => "write end",
        Word::ReadMouth => "read end",
        Word::FdTables => "fd tables (one per process)",
        Word::OpenFileTable => "open file table (kernel)",
        Word::Objects => "files, ttys, pipes",
        Word::SharedOffset => "one offset, shared",
        Word::KernelLegend => "fd \u{2192} open file \u{2192} object \u{b7} cloexec belongs to the fd; mode, O_APPEND/O_NONBLOCK (as opened), offset and refcount to the open file \u{b7} two arrows into one open file: dup or fork",
        Word::NewMark => "new",
        Word::MarksLegend => "new: made by this step \u{b7} struck through: removed by it",
        Word::ZoomIn => "zoom in",
        Word::ZoomOut => "zoom out",
        Word::Presentation => "presentation size",
        Word::ViewCompact => "fd tables",
        Word::ViewKernel => "kernel view",
        Word::NoOpenFds => "no open fds",
        Word::Ran => "ran",
        Word::NotDrawn => "not drawn",
        Word::Nobody => "none",
        Word::NoLiveProcesses => "(no live processes)",
        Word::EventHeading => "event",
        Word::WarningsHeading => "warnings",
        Word::PipesHeading => "pipes",
        Word::SharedFiles => "shared open files",
        Word::SharedFilesLong => "Open files shared by several fds",
        Word::CloexecKey => "cloexec: closed at the next exec",
        Word::CloexecKeyShort => "cloexec: closed on exec",
        Word::SharedMarkKey => "#N \u{d7}K: open file #N, shared by K fds",
        Word::SharedMarkKeyShort => "#N\u{d7}k: one open file shared by k fds",
        Word::WritesArrow => "\u{2192} writes into a pipe",
        Word::ReadsArrow => "\u{2190} reads from it",
        Word::DashedParent => "dashed: parent to child",
        Word::EndQuestion => "end?",
        Word::Write => "write",
        Word::Read => "read",
        Word::EndUnknown => "end unknown",
        Word::KindFile => "file",
        Word::KindFileInode => "file (inode)",
        Word::KindTty => "terminal",
        Word::KindSocket => "socket",
        Word::KindOther => "other",
        Word::HtmlLang => "en",
        Word::CounterJs => r"'step ' + (i + 1) + ' of ' + n + ' \u00b7 seq ' + s[0]",
        Word::NoSteps => "no steps",
        Word::Prev => "previous step (\u{2190})",
        Word::Next => "next step (\u{2192})",
        Word::Slider => "step",
        Word::Timeline => "timeline",
        Word::NoEvents => "This trace has no events.",
    }
}

pub(super) fn phrase(p: &Phrase) -> String {
    match p {
        Phrase::Refcount(n) => format!("refcount {n}"),
        Phrase::Was(what) => format!("was {what}"),
        Phrase::BeforeHeading(seq) => format!("before #{seq}"),
        Phrase::AfterHeading(seq) => format!("after #{seq}"),
        Phrase::TitleAfter { title, seq } => format!("{title} \u{2014} after #{seq}"),
        Phrase::DotTitleAfter { seq, pid, call } => format!("after #{seq} {pid} {call}"),
        Phrase::ShowLibrarySteps(n) => format!("show library and locale file steps ({n})"),
        Phrase::PageSize { steps, bytes } => {
            let kib = *bytes as f64 / 1024.0;
            let per = kib / (*steps).max(1) as f64;
            format!("the page has {steps} steps in {kib:.0} KiB, {per:.1} KiB a step")
        }
        Phrase::Threads(1) => "+1 thread".into(),
        Phrase::Threads(n) => format!("+{n} threads"),
        Phrase::FdsNotShown(n) => format!("{n} fd{} not shown", s(*n)),
        Phrase::FdCount(n) => format!("{n} fds"),
        Phrase::NoOpenFdsRow => format!("  ({})", word(Word::NoOpenFds)),
        Phrase::ChangedBy(seq) => format!("\u{25b6} changed by #{seq}"),
        Phrase::Keys(parts) => format!("({})", parts.join("; ")),
        Phrase::Holders {
            writers,
            readers,
            unknown,
        } => {
            let mut t = format!("writers {writers} -> readers {readers}");
            if let Some(u) = unknown {
                t.push_str(&format!("; end unknown {u}"));
            }
            t
        }
        Phrase::Head(label) => format!("  {label}: "),
        Phrase::NotDrawnHere(pids) => format!("not drawn here: {pids}"),
        Phrase::SharedLine {
            id,
            label,
            count,
            holders,
        } => format!("{id} {label} ({count}): {holders}"),
        Phrase::MoreNotListed(n) => format!("... {n} more"),
        Phrase::MoreHolders(n) => format!(" \u{b7} ... {n} more"),
        Phrase::OutsideFds(n) => format!("; and {n} fd{} in processes not drawn", s(*n)),
        Phrase::Hidden(h) => format!("+{h}"),
        Phrase::Chain(c) => format!("exec: {c}"),
        Phrase::BoxTip {
            pid,
            program,
            state,
            parent,
            chain,
        } => {
            let mut t = format!("pid {pid} {program} ({state})");
            if let Some(pp) = parent {
                t.push_str(&format!(", child of {pp}"));
            }
            if let Some(c) = chain {
                t.push_str(&format!("; ran {c}"));
            }
            t
        }
        Phrase::RowTip {
            pid,
            fd,
            label,
            cloexec,
            file,
            count,
        } => {
            let mut t = format!("{pid} fd {fd}: {label}");
            if *cloexec {
                t.push_str(", close-on-exec");
            }
            t.push_str(&format!("; open file {file} held by {count} fd{}", s(*count)));
            t
        }
        Phrase::PipeTip {
            label,
            writers,
            readers,
            unknown,
            origin,
        } => {
            let mut t = format!("{label}: writers {writers}; readers {readers}");
            if let Some(u) = unknown {
                t.push_str(&format!("; end unknown {u}"));
            }
            match origin {
                Origin::Fifo => t.push_str("; a FIFO opened by path"),
                Origin::Inherited => t.push_str("; inherited from outside the trace"),
                Origin::Created => {}
            }
            t
        }
        Phrase::Counter { step, steps, seq } => {
            format!("step {step} of {steps} \u{b7} seq {seq}")
        }
        Phrase::Hint(n) => {
            format!("{n} steps \u{b7} \u{2190} \u{2192} step \u{b7} Home End \u{b7} link: #seq=N")
        }
        Phrase::PipeCounts {
            writers,
            readers,
            unknown,
        } => {
            let mut t = format!(
                "{writers} writer{} \u{b7} {readers} reader{}",
                s(*writers),
                s(*readers)
            );
            if *unknown > 0 {
                t.push_str(&format!(" \u{b7} {unknown} of unknown end"));
            }
            t
        }
        Phrase::ReadsOwnWriteEnd {
            pid,
            pipe,
            read_fd,
            write_fd,
        } => format!(
            "{pid} reads pipe#{pipe} (fd {read_fd}) but also holds its write end (fd {write_fd}): it will not see EOF while it does"
        ),
        Phrase::InheritedPipe(label) => format!(
            "{label} was inherited from outside the trace: untraced processes may hold more of its ends"
        ),
        Phrase::Zombie(pid) => {
            format!("{pid} is a zombie: it exited and its parent has not waited for it")
        }
    }
}

pub(super) fn access(mode: &str) -> &'static str {
    match mode {
        "read" => "read-only",
        "write" => "write-only",
        "read/write" => "read/write",
        _ => "mode unknown",
    }
}

pub(super) fn verdict(v: Verdict) -> String {
    match v {
        Verdict::NoWriterInTrace => {
            "no writer in the trace (a process outside it may still hold one)".into()
        }
        Verdict::NoReaderInTrace => {
            "no reader in the trace (a process outside it may still hold one)".into()
        }
        Verdict::Eof => "no writer left \u{2192} readers get EOF".into(),
        Verdict::Sigpipe => "no reader left \u{2192} writers get SIGPIPE".into(),
        Verdict::EofOnceClosed(1) => "readers see EOF once the write end is closed".into(),
        Verdict::EofOnceClosed(2) => "readers see EOF once both write ends are closed".into(),
        Verdict::EofOnceClosed(n) => format!("readers see EOF once all {n} write ends are closed"),
    }
}

pub(super) fn moment(m: Moment) -> &'static str {
    match m {
        Moment::Zombie => "a child is a zombie its parent never waits for",
        Moment::Wired => "the last redirection before the programs exec: every fd is in place",
        Moment::Exec => "the exec after the fds were set up: the new program keeps them",
        Moment::PipeEnds => "the moment the most pipe ends were open",
        Moment::Tasks => "no pipe was ever open: the moment the most tasks were alive",
    }
}

pub(super) fn notice(n: &Notice) -> String {
    match n {
        Notice::CannotRead(p) => format!("cannot read the trace {p}"),
        Notice::CannotReplay(p) => format!("cannot replay the trace {p}"),
        Notice::CannotWrite(p) => format!("cannot write {p}"),
        Notice::CannotCreate(p) => format!("cannot create {p}"),
        Notice::CannotWriteStdout => "cannot write to stdout".into(),
        Notice::CannotCreateDir(d) => format!("cannot create the directory {d}"),
        Notice::CannotWriteMan(d) => format!("cannot write the man pages into {d}"),
        Notice::IsTheTrace(p) => {
            format!("{p} is the trace being exported: choose another output file")
        }
        Notice::NoEvents(p) => format!("the trace {p} has no events"),
        Notice::NoEvent { trace, seq } => format!("the trace {trace} has no event #{seq}"),
        Notice::BeyondEnd { trace, seq, last } => {
            format!("--at {seq} is beyond the end of {trace}: its last event is #{last}")
        }
        Notice::NoneInRange(p) => format!("no event of {p} is in the range given"),
        Notice::Capped {
            shown,
            qualified,
            first,
            last,
        } => format!(
            "forkscope: the page has the first {shown} of {qualified} steps (events #{first}..#{last}); \
             choose others with --range A..B, or all with --range ..; \
             --collapse-files and --pid leave out steps too"
        ),
        Notice::AtIgnored => "forkscope: --at is ignored with --format html: the page steps through the events (choose them with --range A..B)".into(),
        Notice::RangeIgnored => {
            "forkscope: --range is for --format html; a drawing shows one moment (--at SEQ)".into()
        }
        Notice::Drawing { seq, why } => format!(
            "forkscope: drawing the state after #{seq} ({}); use --at SEQ for another",
            moment(*why)
        ),
        Notice::NotAlive { pid, seq } => format!(
            "process {pid} is not alive after #{seq}: choose a moment when it is with --at SEQ (`forkscope tree` shows when each process lived)"
        ),
        Notice::NoKernelView(format) => format!(
            "forkscope: --view kernel is drawn in svg, ascii and html; {format} shows the compact view"
        ),
        Notice::BeforeOnly => "forkscope: --before is for svg and ascii".into(),
    }
}
