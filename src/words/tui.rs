//! The words of `forkscope view` (the terminal stepper in src/tui/): the
//! status line's messages, pane titles and notes, the help, the filters in
//! force, the pipes pane's lines and the refusals to open. The view decides
//! *what* to say as facts ([`crate::tui::facts`]); this module says it in
//! the reader's language, one table per language (`en.rs`, `zh.rs`), each an
//! exhaustive `match` over the facts.
//!
//! To add a message: add a variant to the fact enum in src/tui/facts.rs,
//! then the compiler asks for its words in `en.rs` and `zh.rs`.

mod en;
mod zh;

use super::Lang;
use crate::trace::Pid;
use crate::tui::facts::{Filter, HelpRow, Label, Message, PipeLine, Refusal};

/// A message of the status line.
pub(crate) fn message(lang: Lang, m: &Message) -> String {
    match lang {
        Lang::En => en::message(m),
        Lang::Zh => zh::message(m),
    }
}

/// A pane title (without the padding the frame adds) or a fixed note.
pub(crate) fn label(lang: Lang, l: Label) -> String {
    match lang {
        Lang::En => en::label(l),
        Lang::Zh => zh::label(l),
    }
}

/// The keys of a help row, as typed (only the mouse is worded).
pub(crate) fn help_keys(lang: Lang, row: HelpRow) -> &'static str {
    match row {
        HelpRow::Step => "↓ j / ↑ k",
        HelpRow::Page => "PgDn Space / PgUp",
        HelpRow::FirstLast => "g / G",
        HelpRow::GoTo => ":",
        HelpRow::Search => "/  n / N",
        HelpRow::Kinds => "f",
        HelpRow::Follow => "p",
        HelpRow::Collapse => "c",
        HelpRow::Tree => "t",
        HelpRow::Findings => "Tab  Enter",
        HelpRow::KernelView => "v",
        HelpRow::Mouse => match lang {
            Lang::En => en::MOUSE_WHEEL,
            Lang::Zh => zh::MOUSE_WHEEL,
        },
        HelpRow::Help => "?",
        HelpRow::Quit => "q  Ctrl-C",
        HelpRow::Focus => "Ctrl-O",
    }
}

/// What the keys of a help row do.
pub(crate) fn help_what(lang: Lang, row: HelpRow) -> &'static str {
    match lang {
        Lang::En => en::help(row),
        Lang::Zh => zh::help(row),
    }
}

/// The filters in force, for the status line.
pub(crate) fn filters(lang: Lang, filters: &[Filter]) -> String {
    filters
        .iter()
        .map(|f| match lang {
            Lang::En => en::filter(f),
            Lang::Zh => zh::filter(f),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A pipe and its holders, for the pipes pane.
pub(crate) fn pipe_line(lang: Lang, p: &PipeLine) -> String {
    match lang {
        Lang::En => en::pipe_line(p),
        Lang::Zh => zh::pipe_line(p),
    }
}

/// Why the view does not open (an error message).
pub(crate) fn refusal(lang: Lang, r: &Refusal) -> String {
    match lang {
        Lang::En => en::refusal(r),
        Lang::Zh => zh::refusal(r),
    }
}

/// `pid fd N` for each holder, joined by `sep`; `none` when there is none.
fn holders(v: &[(Pid, i32)], none: &str, sep: &str) -> String {
    if v.is_empty() {
        return none.to_string();
    }
    v.iter()
        .map(|(p, fd)| format!("{p} fd {fd}"))
        .collect::<Vec<_>>()
        .join(sep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_help_row_has_keys_and_words_in_each_language() {
        for lang in [Lang::En, Lang::Zh] {
            for row in HelpRow::ALL {
                assert!(!help_keys(lang, row).is_empty(), "{row:?}");
                assert!(!help_what(lang, row).is_empty(), "{row:?}");
            }
        }
    }

    #[test]
    fn a_search_still_going_says_where_it_got_to() {
        let m = Message::Searching { at: Some(120) };
        assert_eq!(message(Lang::En, &m), "searching… at #120");
        assert_eq!(message(Lang::Zh, &m), "正在搜索… 到了 #120");
        assert_eq!(message(Lang::Zh, &Message::Searching { at: None }), "");
    }

    #[test]
    fn the_words_of_record_tui_are_in_each_language() {
        use crate::trace::Status;
        let ended = Label::ProgramEnded {
            status: Status::Exited { exited: 3 },
        };
        assert_eq!(label(Lang::En, ended), "program (exit 3)");
        assert_eq!(label(Lang::Zh, ended), "程序（退出码 3）");
        assert_eq!(
            label(Lang::En, Label::KeysGoToProgram),
            "keys go to the program; Ctrl-O: back to the view"
        );
        assert_eq!(
            label(Lang::Zh, Label::KeysGoToProgram),
            "按键交给程序；Ctrl-O：回到视图"
        );
        assert_eq!(
            label(Lang::Zh, Label::Recording { events: 12 }),
            "正在记录… 12 个事件"
        );
        assert_eq!(help_keys(Lang::Zh, HelpRow::Focus), "Ctrl-O");
        for r in [Refusal::RecordNeedsTerminal, Refusal::RecordNeedsAFile] {
            for lang in [Lang::En, Lang::Zh] {
                let s = refusal(lang, &r);
                assert!(s.starts_with("forkscope record --tui "), "{s}");
                assert!(!s.contains('\n'), "one line: {s}");
            }
        }
    }
}
