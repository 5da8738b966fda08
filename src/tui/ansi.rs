//! Text coloured for a terminal (the timeline lines and the ascii diagram
//! the other subcommands print, with owo-colors' SGR codes) turned into
//! ratatui spans, so the view shows exactly what `replay` and `diagram`
//! print, in the same colours, through ratatui's own buffer (which keeps
//! double-width characters aligned). Only SGR sequences are understood;
//! any other escape is dropped.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// One line of text with SGR codes as a ratatui line.
pub fn line(s: &str) -> Line<'static> {
    let mut spans = Vec::new();
    let mut style = Style::default();
    let mut text = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            text.push(c);
            continue;
        }
        if chars.peek() != Some(&'[') {
            continue;
        }
        chars.next();
        let mut params = String::new();
        let mut end = None;
        for c in chars.by_ref() {
            if c.is_ascii_digit() || c == ';' {
                params.push(c);
            } else {
                end = Some(c);
                break;
            }
        }
        if end != Some('m') {
            continue;
        }
        if !text.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut text), style));
        }
        style = apply(style, &params);
    }
    if !text.is_empty() {
        spans.push(Span::styled(text, style));
    }
    Line::from(spans)
}

/// Every line of `s`.
pub fn lines(s: &str) -> Vec<Line<'static>> {
    s.lines().map(line).collect()
}

/// `s` without its escape sequences.
pub fn plain(s: &str) -> String {
    line(s)
        .spans
        .into_iter()
        .map(|s| s.content.into_owned())
        .collect()
}

fn apply(mut style: Style, params: &str) -> Style {
    let codes: Vec<u16> = params.split(';').map(|p| p.parse().unwrap_or(0)).collect();
    let mut i = 0;
    while i < codes.len() {
        match codes[i] {
            0 => style = Style::default(),
            1 => style = style.add_modifier(Modifier::BOLD),
            2 => style = style.add_modifier(Modifier::DIM),
            3 => style = style.add_modifier(Modifier::ITALIC),
            4 => style = style.add_modifier(Modifier::UNDERLINED),
            7 => style = style.add_modifier(Modifier::REVERSED),
            22 => style = style.remove_modifier(Modifier::BOLD | Modifier::DIM),
            23 => style = style.remove_modifier(Modifier::ITALIC),
            24 => style = style.remove_modifier(Modifier::UNDERLINED),
            27 => style = style.remove_modifier(Modifier::REVERSED),
            n @ 30..=37 => style = style.fg(basic(n - 30, false)),
            39 => style.fg = None,
            n @ 40..=47 => style = style.bg(basic(n - 40, false)),
            49 => style.bg = None,
            n @ 90..=97 => style = style.fg(basic(n - 90, true)),
            n @ 100..=107 => style = style.bg(basic(n - 100, true)),
            n @ (38 | 48) => {
                let color = match codes.get(i + 1) {
                    Some(5) => {
                        i += 2;
                        codes.get(i).map(|c| Color::Indexed(*c as u8))
                    }
                    Some(2) => {
                        i += 4;
                        match codes.get(i - 2..=i) {
                            Some([r, g, b]) => Some(Color::Rgb(*r as u8, *g as u8, *b as u8)),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                if let Some(c) = color {
                    style = if n == 38 { style.fg(c) } else { style.bg(c) };
                }
            }
            _ => {}
        }
        i += 1;
    }
    style
}

fn basic(n: u16, bright: bool) -> Color {
    match (n, bright) {
        (0, false) => Color::Black,
        (1, false) => Color::Red,
        (2, false) => Color::Green,
        (3, false) => Color::Yellow,
        (4, false) => Color::Blue,
        (5, false) => Color::Magenta,
        (6, false) => Color::Cyan,
        (7, false) => Color::Gray,
        (0, true) => Color::DarkGray,
        (1, true) => Color::LightRed,
        (2, true) => Color::LightGreen,
        (3, true) => Color::LightYellow,
        (4, true) => Color::LightBlue,
        (5, true) => Color::LightMagenta,
        (6, true) => Color::LightCyan,
        _ => Color::White,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use owo_colors::OwoColorize;

    #[test]
    fn coloured_text_becomes_styled_spans_with_the_same_characters() {
        let s = format!("{} and {}", "red".red(), "bold".bold());
        let l = line(&s);
        assert_eq!(plain(&s), "red and bold");
        assert_eq!(l.spans[0].style.fg, Some(Color::Red));
        assert_eq!(l.spans[1].style, Style::default());
        assert!(l.spans[2].style.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn text_without_escapes_is_one_plain_span() {
        let l = line("#41 4102 sh  dup2(4, 1)");
        assert_eq!(l.spans.len(), 1);
        assert_eq!(l.spans[0].content, "#41 4102 sh  dup2(4, 1)");
    }
}
