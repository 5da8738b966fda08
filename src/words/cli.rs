//! Words for what the command line says: forkscope's own errors and notes
//! (`Message`) and the tips for strace habits (`StraceHabit`), one
//! table per language (`cli/en.rs`, `cli/zh.rs`), each an exhaustive
//! `match` over the facts.

mod en;
mod zh;

use super::Lang;
use crate::cli::message::{Message, StraceHabit};

/// The line for `m` (no newline at the end).
pub(crate) fn message(lang: Lang, m: &Message) -> String {
    match lang {
        Lang::En => en::message(m),
        Lang::Zh => zh::message(m),
    }
}

/// What forkscope does instead of an strace habit.
pub(crate) fn tip(lang: Lang, h: StraceHabit) -> String {
    match lang {
        Lang::En => en::tip(h).to_string(),
        Lang::Zh => zh::tip(h).to_string(),
    }
}

pub(crate) use zh::os_errors as zh_os_errors;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_os_errors_get_their_chinese_wording_and_keep_the_english() {
        let e = std::io::Error::from_raw_os_error(libc::ENOENT).to_string();
        let zh = zh_os_errors(&format!("t.jsonl: {e}"));
        assert!(
            zh.contains("没有那个文件或目录") && zh.contains("os error 2"),
            "{zh}"
        );
        for errno in [libc::EACCES, libc::ENOSPC] {
            let e = std::io::Error::from_raw_os_error(errno).to_string();
            assert_ne!(zh_os_errors(&e), e);
        }
    }

    #[test]
    fn every_message_is_worded_in_each_language() {
        let all = [
            Message::Error {
                chain: "t.jsonl: Permission denied (os error 13)".into(),
            },
            Message::Wrote {
                path: "t.svg".into(),
            },
            Message::LiveNeedsAFile,
            Message::StallTimeoutNotPositive,
            Message::EbpfUnavailable {
                why: "no BTF".into(),
            },
            Message::EbpfNotBuilt,
            Message::CannotExecute {
                program: "a\x1bb".into(),
                why: "Exec format error".into(),
            },
            Message::NotFound {
                cmd: "x\x1b[2J".into(),
            },
            Message::NotExecutable {
                cmd: "x\x1b[2J".into(),
                why: "permission denied".into(),
            },
            Message::Lost { records: 3 },
            Message::NoSubcommand {
                name: "nosuch".into(),
                names: vec!["demo".into(), "record".into()],
            },
        ];
        for m in &all {
            let (en, zh) = (message(Lang::En, m), message(Lang::Zh, m));
            assert!(en.starts_with("forkscope: "), "{en}");
            assert!(zh.starts_with("forkscope："), "{zh}");
            assert!(!en.contains('\x1b') && !zh.contains('\x1b'), "{en}");
        }
    }
}
