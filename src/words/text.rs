//! Helpers every language shares: display width, escaping of text from a
//! trace, word wrap, lists, durations and exit statuses.
//!
//! [`visible`] (implemented in trace/bytes.rs) is the one place that turns
//! control and direction-changing characters into visible escapes; every
//! output format uses it
//! before its own escaping.

use super::Lang;
use crate::trace::Status;

/// `s` with control and invisible formatting characters written as
/// visible escapes: implemented beside [`crate::trace::RawStr`] (the
/// recorder escapes the names it reads from /proc with it, and may not
/// import this module), and the one escaping every output format uses.
pub use crate::trace::bytes::visible;

/// Columns a character takes in a terminal: 2 for East Asian wide and
/// fullwidth characters (CJK ideographs, kana, hangul, fullwidth
/// punctuation such as `（`, `：`, `，`), 1 for everything else. The same
/// table as the SVG renderer's.
pub fn char_cols(c: char) -> usize {
    let wide = matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

/// Columns `s` takes in a terminal: what every box, pad and wrap of this
/// drawing is measured in, so boxes stay square around Chinese labels.
pub fn width(s: &str) -> usize {
    if s.is_ascii() {
        // Every ASCII character is one column (see `char_cols`).
        return s.len();
    }
    s.chars().map(char_cols).sum()
}

/// The pieces a line of `text` may break between, each with whether a
/// space comes before it: the words between spaces, and within a word each
/// wide (CJK) character, since Chinese breaks between any two characters —
/// though never before closing punctuation (`，` `）` `：` ...) nor after
/// opening punctuation (`（` ...). Text without wide characters gives
/// exactly its words.
pub fn pieces(text: &str) -> Vec<(bool, String)> {
    fn closing(c: char) -> bool {
        "，。；：、！？）」』》…".contains(c)
    }
    fn opening(c: char) -> bool {
        "（「『《".contains(c)
    }
    let mut out = Vec::new();
    for (i, word) in text.split(' ').enumerate() {
        let mut spaced = i > 0;
        let mut piece = String::new();
        let mut prev: Option<char> = None;
        for c in word.chars() {
            if let Some(p) = prev {
                let wide = char_cols(p) == 2 || char_cols(c) == 2;
                if wide && !closing(c) && !opening(p) {
                    out.push((spaced, std::mem::take(&mut piece)));
                    spaced = false;
                }
            }
            piece.push(c);
            prev = Some(c);
        }
        out.push((spaced, piece));
    }
    out
}

/// `text` laid out in lines: the first at most `first` columns wide, the
/// others at most `rest` (both measured with [`width`]); breaks at spaces,
/// and between two Chinese characters (see [`pieces`]). A single piece wider
/// than its line stays whole. Always at least one line.
pub fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    lay_out(pieces(text), first, rest, false)
}

/// The one line breaker: `pieces` (each with whether a space comes before
/// it, as [`pieces`] makes them) in lines, the first at most `first`
/// columns wide, the others at most `rest`. A piece wider than its line
/// stays whole, or with `cut` is cut between characters (the SVG, whose
/// boxes cannot grow); with `cut` an empty last line is left out.
pub fn lay_out(pieces: Vec<(bool, String)>, first: usize, rest: usize, cut: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    // `width(&line)`, kept as the line grows (widths add up by character).
    let mut line_w = 0;
    let mut max = first;
    for (spaced, piece) in pieces {
        let sep = if spaced && !line.is_empty() { " " } else { "" };
        let piece_w = width(&piece);
        let fits = line_w + sep.len() + piece_w <= max;
        if (line.is_empty() && !cut) || (!line.is_empty() && fits) {
            line.push_str(sep);
            line.push_str(&piece);
            line_w += sep.len() + piece_w;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            line_w = 0;
            max = rest;
        }
        if !cut {
            line = piece;
            line_w = piece_w;
            continue;
        }
        for c in piece.chars() {
            if line_w + char_cols(c) > max {
                lines.push(std::mem::take(&mut line));
                line_w = 0;
                max = rest;
            }
            line.push(c);
            line_w += char_cols(c);
        }
    }
    if !cut || !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `a`, `a and b`, `a, b and c`; in Chinese `a`, `a 和 b`, `a、b 和 c`.
pub fn list(lang: Lang, items: &[String]) -> String {
    let (sep, and) = match lang {
        Lang::En => (", ", " and "),
        Lang::Zh => ("、", " 和 "),
    };
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}{and}{last}", init.join(sep)),
    }
}

/// `1.50 s`, `300 ms`, `12 µs` (the same in both languages).
pub fn duration(ns: u64) -> String {
    if ns >= 1_000_000_000 {
        format!("{:.2} s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 {
        format!("{} ms", ns / 1_000_000)
    } else {
        format!("{} µs", ns / 1_000)
    }
}

/// An exit status as strace writes it, whatever the language (the call
/// text of a timeline): `exit 0`, `killed by SIGPIPE (core dumped)`.
pub fn status_call(s: &Status) -> String {
    status(Lang::En, s)
}

/// [`status_call`]'s text, written where it is wanted (`{}`).
pub struct StatusCall<'a>(pub &'a Status);

impl std::fmt::Display for StatusCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&status_call(self.0))
    }
}

/// An exit status in words of `lang`, for sentences and listings:
/// `exit 0` / `退出码 0`, `killed by SIGPIPE` / `被 SIGPIPE 杀死`.
pub fn status(lang: Lang, s: &Status) -> String {
    let mut t = String::new();
    write_status(&mut t, lang, s);
    t
}

/// [`status`] written at the end of `out` (in English, [`status_call`]).
pub fn write_status(out: &mut String, lang: Lang, s: &Status) {
    use super::put::put;
    match (lang, *s) {
        (Lang::En, Status::Exited { exited }) => put!(out; "exit ", exited),
        (Lang::En, Status::Signaled { signaled, core }) => put!(out;
            "killed by ",
            signaled,
            if core { " (core dumped)" } else { "" }
        ),
        (Lang::En, Status::Stopped { stopped }) => put!(out; "stopped by ", stopped),
        (Lang::En, Status::Continued { .. }) => out.push_str("continued"),
        (Lang::Zh, Status::Exited { exited }) => put!(out; "退出码 ", exited),
        (Lang::Zh, Status::Signaled { signaled, core }) => put!(out;
            "被 ",
            signaled,
            " 杀死",
            if core { "，产生了 core dump" } else { "" }
        ),
        (Lang::Zh, Status::Stopped { stopped }) => put!(out; "被 ", stopped, " 暂停"),
        (Lang::Zh, Status::Continued { .. }) => out.push_str("继续运行"),
    }
}

/// The space Chinese text puts after `s` before more Chinese: one after
/// Latin text (`/dev/pts/0 被关闭了`), none after Chinese (`的写端被关闭了`).
pub fn gap(s: &str) -> &'static str {
    match s.chars().last() {
        Some(c) if char_cols(c) == 2 => "",
        _ => " ",
    }
}

/// The name a process gave itself (its comm, as `ps` shows it), after its
/// program's name where the two differ: ` (ps: worker-1)`,
/// `（ps 显示为 worker-1）`. Escaped: a program chooses its own comm.
pub fn ps_name(lang: Lang, comm: &str) -> String {
    let comm = visible(comm);
    match lang {
        Lang::En => format!(" (ps: {comm})"),
        Lang::Zh => format!("（ps 显示为 {comm}）"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_count_twice_and_arrows_once() {
        assert_eq!(width("pipe#1"), 6);
        assert_eq!(width("写端"), 4);
        assert_eq!(width("→—"), 2);
    }

    #[test]
    fn wrapped_lines_stay_within_their_widths() {
        let text = "close fd 1 in the first writer as soon as it has written all it will";
        let lines = wrap(text, 20, 30);
        assert!(width(&lines[0]) <= 20, "{lines:?}");
        assert!(lines[1..].iter().all(|l| width(l) <= 30), "{lines:?}");
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn chinese_wraps_between_characters_but_not_before_closing_punctuation() {
        let lines = wrap("写端全关了，读端读到文件结束", 10, 10);
        assert!(lines.iter().all(|l| width(l) <= 10), "{lines:?}");
        assert!(lines.iter().all(|l| !l.starts_with('，')), "{lines:?}");
        assert_eq!(lines.concat(), "写端全关了，读端读到文件结束");
    }

    #[test]
    fn a_drawing_wraps_chinese_within_its_prefixes_and_never_before_closing_punctuation() {
        // As the terminal drawing calls it: 100 columns less a 4-column indent.
        let text = "读端现在会读到 EOF，写端关闭了（和 fd 4 是同一个打开文件）；".repeat(8);
        let lines = wrap(&text, 96, 96);
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(width(l) <= 96, "{l}");
            assert!(!l.starts_with(['，', '）', '；']), "{l}");
            assert!(!l.ends_with('（'), "{l}");
        }
        // Nothing is lost or added but the line breaks.
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
        assert_eq!(width("管道的写端"), 10);
        assert_eq!(width("（：）"), 6);
    }

    #[test]
    fn the_svg_layout_cuts_what_does_not_fit_and_keeps_a_legend_item_whole() {
        // 9 columns: four Chinese characters a line (⚠ takes one column);
        // a comma never starts a line.
        assert_eq!(
            lay_out(pieces("⚠ 12 是僵尸进程，父进程没有回收它"), 9, 9, true),
            ["⚠ 12 是僵", "尸进程，", "父进程没", "有回收它"]
        );
        // A piece wider than a line is cut in the SVG, kept whole elsewhere.
        assert_eq!(
            lay_out(pieces("abcdefghij k"), 8, 8, true),
            ["abcdefgh", "ij k"]
        );
        assert_eq!(wrap("abcdefghij k", 8, 8), ["abcdefghij", "k"]);
    }

    #[test]
    fn lists_read_naturally_in_both_languages() {
        let items = ["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(list(Lang::En, &items), "a, b and c");
        assert_eq!(list(Lang::Zh, &items), "a、b 和 c");
        assert_eq!(list(Lang::En, &items[..1]), "a");
    }

    #[test]
    fn control_and_bidi_characters_become_visible_escapes() {
        use std::borrow::Cow;
        assert_eq!(visible("a\nb\u{202e}c\x1b"), "a\\nb\\u{202e}c\\x1b");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }
}
