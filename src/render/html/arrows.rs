//! Arrows stored against the boxes they connect, for the HTML page.
//!
//! An arrow's path (`d="M261.2,149C308.7,149 ..."`) holds absolute
//! coordinates, so when a box above it grows or the caption wraps
//! differently every arrow of the drawing is new text, though no arrow
//! changed what it connects. The page stores such a path as a template
//! whose numbers are offsets from the boxes at its ends instead: a box is
//! a group placed with `<g transform="translate(X,Y)">` whose first element
//! names it (`data-pid`, `data-id` or `data-pipe`, unique in the drawing).
//! The same arrow between the same rows is then the same token wherever
//! its boxes moved to; the page's script reads the boxes' places from the
//! drawing it rebuilds and puts the numbers back.
//!
//! Exact by construction: every number is kept in tenths (all the drawing's
//! numbers are written to one decimal, see `svg::n`), an offset is the
//! difference of two numbers as written, and a number whose text does not
//! read back the same (or a box whose place does not) stays literal. Which
//! box an arrow is measured from only decides how often its token repeats.
//!
//! A template token is `\u{1}KEYA KEYB|TEMPLATE"`: each number measured from
//! a box is `{sOFFSET}`, `s` being `a`/`b` (the first box's x/y) or `c`/`d`
//! (the last box's x/y), OFFSET in tenths. `\u{1}` cannot occur in a
//! drawing (`svg::esc` replaces control characters), so no other token
//! starts with it.

use crate::words::put::Put;
use std::collections::HashMap;

/// Where a box was placed, in tenths of a px, and its size (px).
#[derive(Clone, Copy, Debug)]
struct Place {
    x: i64,
    y: i64,
    w: f64,
    h: f64,
}

impl Place {
    /// Does the box hold the point (within 4 px left or right)?
    fn holds(&self, x: i64, y: i64) -> bool {
        let (w, h) = ((self.w * 10.0) as i64, (self.h * 10.0) as i64);
        x >= self.x - 40 && x <= self.x + w + 40 && y >= self.y && y <= self.y + h
    }
}

/// The boxes of one drawing an arrow can be measured from, by key.
#[derive(Default)]
pub(super) struct Boxes {
    places: Vec<(String, Place)>,
}

/// What opens a placed group, and what the page's script looks for too.
const PLACE: &str = "<g transform=\"translate(";

impl Boxes {
    /// Every placed, named group of `svg` whose key is unique in it. The
    /// page's script finds them with the same pattern: `PLACE`, two numbers,
    /// `)">`, an optional newline, `<g class="…" data-(pid|id|pipe)="…"`.
    pub(super) fn of(svg: &str) -> Boxes {
        let mut found: Vec<(String, Option<Place>)> = Vec::new();
        for (at, _) in svg.match_indices(PLACE) {
            // Every group the script finds counts, usable or not: a key
            // it sees twice is not used.
            let Some((key, place)) = placed(&svg[at + PLACE.len()..]) else {
                continue;
            };
            found.push((key, place));
        }
        // The keys seen more than once (sorted, so equal keys are neighbours).
        let mut keys: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
        keys.sort_unstable();
        let twice: Vec<String> = keys
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0].to_string())
            .collect();
        let places = found
            .into_iter()
            .filter_map(|(k, p)| Some((k, p?)))
            .filter(|(k, _)| !twice.contains(k))
            .collect();
        Boxes { places }
    }

    /// The first box (within 4 px left or right) holding the point.
    fn at(&self, x: i64, y: i64) -> Option<(&str, Place)> {
        self.places
            .iter()
            .find(|(_, p)| p.holds(x, y))
            .map(|(k, p)| (k.as_str(), *p))
    }

    /// `d` (a path's data, without its closing quote) as a template token,
    /// or `None` when it has no end in a box or a number that would not
    /// read back the same.
    pub(super) fn template(&self, d: &str) -> Option<String> {
        // The numbers, each with its axis (true: x), and the text between.
        let mut nums: Vec<(i64, bool, std::ops::Range<usize>)> = Vec::with_capacity(16);
        let (mut cmd, mut pair) = (b'M', 0usize);
        let b = d.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_alphabetic() {
                cmd = c;
                pair = 0;
                i += 1;
            } else if c == b'-' || c.is_ascii_digit() {
                let start = i;
                i += 1;
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                    i += 1;
                }
                let t = tenths(&d[start..i])?;
                let x = match cmd {
                    b'H' => true,
                    b'V' => false,
                    b'M' | b'L' | b'C' => pair % 2 == 0,
                    _ => return None,
                };
                pair += 1;
                nums.push((t, x, start..i));
            } else if c == b',' || c == b' ' {
                i += 1;
            } else {
                return None;
            }
        }
        // The first point, and the last (H and V keep the other axis).
        let first = (nums.iter().find(|n| n.1)?.0, nums.iter().find(|n| !n.1)?.0);
        let last = (
            nums.iter().rev().find(|n| n.1)?.0,
            nums.iter().rev().find(|n| !n.1)?.0,
        );
        let from = self.at(first.0, first.1);
        let to = self.at(last.0, last.1);
        let (a, c) = match (from, to) {
            (None, None) => return None,
            (Some(a), None) => (a, a),
            (None, Some(c)) => (c, c),
            (Some(a), Some(c)) => (a, c),
        };
        let mut out = String::with_capacity(d.len() + 24);
        out.push('\u{1}');
        out.push_str(a.0);
        out.push(' ');
        out.push_str(c.0);
        out.push('|');
        let mut prev = 0;
        let half = nums.len().div_ceil(2);
        for (k, (t, x, range)) in nums.iter().enumerate() {
            out.push_str(&d[prev..range.start]);
            // Across, from the last box (the columns keep their gaps when
            // a column widens); down, from the box at that end.
            let (sel, base) = match (k < half, x) {
                (_, true) => ('c', c.1.x),
                (true, false) => ('b', a.1.y),
                (false, false) => ('d', c.1.y),
            };
            out.push('{');
            out.push(sel);
            Put::put(t - base, &mut out);
            out.push('}');
            prev = range.end;
        }
        out.push_str(&d[prev..]);
        out.push('"');
        Some(out)
    }
}

/// Widths measured from the right edge of the first fd table.
///
/// The kernel view's fd tables end at one right edge `R` (the widest table
/// sets it), so when a table widens every table's width and arrow dot moves
/// with it. Such a number (an `x`, `cx` or `width` nearer to `R` than to
/// the left of its group) is stored as `\u{2}OFFSET"`: `R - X + OFFSET`
/// tenths, `X` being the x of the group placed last before it. `R` is the
/// x plus the box width of the first group matching [`Widths::new`]'s
/// pattern, whose own numbers stay literal.
pub(super) struct Widths {
    /// `R`, in tenths, and where the number defining it starts.
    right: Option<(i64, usize)>,
    /// Where each placed group starts, with its x (`None`: the script
    /// reads one that does not read back as written).
    groups: Vec<(usize, Option<i64>)>,
}

impl Widths {
    /// The groups of `svg` and its right edge. The script finds the first
    /// group `PLACE X,Y)">`, an optional newline, `<g class="…"
    /// data-pid="…"><rect class="fs-box" x="0" y="0" width="W"`.
    pub(super) fn new(svg: &str) -> Widths {
        let mut right = None;
        let mut groups = Vec::new();
        for (at, _) in svg.match_indices(PLACE) {
            let rest = &svg[at + PLACE.len()..];
            let Some(comma) = rest.find(',') else {
                continue;
            };
            let xs = &rest[..comma];
            if !number_like(xs) {
                continue;
            }
            groups.push((at, tenths(xs)));
            if right.is_none() {
                right = edge(svg, at + PLACE.len()).map(|(w, wat)| (tenths(xs), w, wat));
            }
        }
        let right = match right {
            Some((Some(x), Some(w), wat)) => Some((x + w, wat)),
            // None, or not exact: no number is measured from it.
            _ => None,
        };
        Widths { right, groups }
    }

    /// The number token starting at byte `at` (its text `num`, after an
    /// attribute `attr`), as an offset token, when it is measured from `R`.
    pub(super) fn token(&self, at: usize, attr: &str, num: &str) -> Option<String> {
        let (r, defining) = self.right?;
        if at == defining || !matches!(attr, " x=\"" | " cx=\"" | " width=\"") {
            return None;
        }
        let k = self.groups.partition_point(|g| g.0 < at);
        let x = self.groups.get(k.checked_sub(1)?)?.1?;
        let v = tenths(num)?;
        let base = r - x;
        ((v - base).abs() < v.abs()).then(|| format!("\u{2}{}\"", v - base))
    }
}

/// What the page's script does to a rebuilt drawing, in Rust (for tests):
/// widths first, then arrows.
pub(super) fn expand(text: &str) -> String {
    let mut text = text.to_string();
    if text.contains('\u{2}') {
        let first = text
            .match_indices(PLACE)
            .find_map(|(at, _)| {
                let xs = &text[at + PLACE.len()..];
                let xs = &xs[..xs.find(',')?];
                number_like(xs).then_some(())?;
                edge(&text, at + PLACE.len()).map(|(_, wat)| (xs, wat))
            })
            .map(|(xs, wat)| {
                let w = &text[wat..wat + text[wat..].find('"').unwrap()];
                read(xs) + read(w)
            });
        if let Some(r) = first {
            let mut out = String::with_capacity(text.len());
            let mut x = 0;
            let mut rest = text.as_str();
            loop {
                let place = rest.find(PLACE);
                let mark = rest.find('\u{2}');
                match (place, mark) {
                    (Some(p), m) if m.is_none_or(|m| p < m) => {
                        let after = &rest[p + PLACE.len()..];
                        if let Some(xs) = after.split(',').next().filter(|s| number_like(s)) {
                            x = read(xs);
                        }
                        out.push_str(&rest[..p + PLACE.len()]);
                        rest = after;
                    }
                    (_, Some(m)) => {
                        out.push_str(&rest[..m]);
                        let end = m + rest[m..].find('"').unwrap();
                        let off: i64 = rest[m + 1..end].parse().unwrap();
                        out.push_str(&written(r - x + off));
                        rest = &rest[end..];
                    }
                    _ => break,
                }
            }
            out.push_str(rest);
            text = out;
        }
    }
    if !text.contains('\u{1}') {
        return text;
    }
    let mut at: HashMap<String, (i64, i64)> = HashMap::new();
    for (i, _) in text.match_indices(PLACE) {
        if let Some((key, _)) = placed(&text[i + PLACE.len()..]) {
            let rest = &text[i + PLACE.len()..];
            let (xs, rest) = rest.split_once(',').unwrap();
            let ys = &rest[..rest.find(')').unwrap()];
            at.insert(key, (read(xs), read(ys)));
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(m) = rest.find('\u{1}') {
        out.push_str(&rest[..m]);
        let end = m + rest[m..].find('"').unwrap();
        let (keys, tmpl) = rest[m + 1..end].split_once('|').unwrap();
        let (a, c) = keys.split_once(' ').unwrap();
        let (a, c) = (at[a], at[c]);
        let mut t = tmpl;
        while let Some(o) = t.find('{') {
            out.push_str(&t[..o]);
            let close = o + t[o..].find('}').unwrap();
            let base = match &t[o + 1..o + 2] {
                "a" => a.0,
                "b" => a.1,
                "c" => c.0,
                _ => c.1,
            };
            out.push_str(&written(base + t[o + 2..close].parse::<i64>().unwrap()));
            t = &t[close + 1..];
        }
        out.push_str(t);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// A number the script reads (`Math.round(Number(s) * 10)`).
fn read(s: &str) -> i64 {
    (s.parse::<f64>().unwrap_or(0.0) * 10.0).round() as i64
}

/// After `PLACE` at `from`: the rest of the right-edge pattern; the box
/// width (tenths, if it reads back) and where its text starts.
fn edge(svg: &str, from: usize) -> Option<(Option<i64>, usize)> {
    let rest = &svg[from..];
    let comma = rest.find(',')?;
    let rest = &rest[comma + 1..];
    let close = rest.find(")\">")?;
    if !number_like(&rest[..close]) {
        return None;
    }
    let rest = &rest[close + 3..];
    let rest = rest.strip_prefix('\n').unwrap_or(rest);
    let rest = rest.strip_prefix("<g class=\"")?;
    let rest = &rest[rest.find('"')? + 1..];
    let rest = rest.strip_prefix(" data-pid=\"")?;
    let rest = &rest[rest.find('"')? + 1..];
    let rest = rest.strip_prefix("><rect class=\"fs-box\" x=\"0\" y=\"0\" width=\"")?;
    let w = &rest[..rest.find('"')?];
    if !number_like(w) {
        return None;
    }
    Some((tenths(w), svg.len() - rest.len()))
}

/// The key of a group whose `translate(` ends just before `rest`, when the
/// page's script finds it too, and its place when its numbers read back as
/// written.
fn placed(rest: &str) -> Option<(String, Option<Place>)> {
    let comma = rest.find(',')?;
    let xs = &rest[..comma];
    let rest = &rest[comma + 1..];
    let close = rest.find(")\">")?;
    let ys = &rest[..close];
    if !number_like(xs) || !number_like(ys) {
        return None;
    }
    let rest = &rest[close + 3..];
    let rest = rest.strip_prefix('\n').unwrap_or(rest);
    let rest = rest.strip_prefix("<g class=\"")?;
    let rest = &rest[rest.find('"')? + 1..];
    let rest = rest.strip_prefix(" data-")?;
    let (name, rest) = ["pid", "id", "pipe"]
        .iter()
        .find_map(|n| Some((*n, rest.strip_prefix(n)?.strip_prefix("=\"")?)))?;
    let value = &rest[..rest.find('"')?];
    let tag = match name {
        "pid" => 'p',
        "id" => 'i',
        _ => 'q',
    };
    let key = format!("{tag}{value}");
    // Its size: the group's first width and height (the box outline).
    let number = |attr: &str| -> f64 {
        rest.find(attr)
            .map(|i| &rest[i + attr.len()..])
            .and_then(|r| r[..r.find('"')?].parse().ok())
            .unwrap_or(0.0)
    };
    let usable = !value.is_empty() && !value.contains([' ', '|', '{', '}', '\u{1}']);
    let place = match (tenths(xs), tenths(ys), usable) {
        (Some(x), Some(y), true) => Some(Place {
            x,
            y,
            w: number(" width=\""),
            h: number(" height=\""),
        }),
        _ => None,
    };
    Some((key, place))
}

/// Does `s` read as the script's `-?\d+(?:\.\d)?`?
fn number_like(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    let (whole, tenth) = d.split_once('.').unwrap_or((d, "0"));
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && tenth.len() == 1
        && tenth.as_bytes()[0].is_ascii_digit()
}

/// A number as the drawing writes it (`-`, digits, at most one decimal),
/// in tenths; `None` for any other text, or one that would not be written
/// back the same by [`written`].
pub(super) fn tenths(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (whole, tenth) = match digits.split_once('.') {
        Some((w, t)) if t.len() == 1 => (w, t),
        Some(_) => return None,
        None => (digits, "0"),
    };
    if whole.is_empty() || whole.len() > 9 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let tenth = tenth.as_bytes()[0];
    if !tenth.is_ascii_digit() {
        return None;
    }
    let v = whole.parse::<i64>().ok()? * 10 + i64::from(tenth - b'0');
    // What [`written`] writes back: no leading zero, a point only before
    // a tenth that is not 0, a sign only on a number that is not 0.
    let canonical = (whole == "0" || !whole.starts_with('0'))
        && (digits.len() == whole.len() || tenth != b'0')
        && !(neg && v == 0);
    canonical.then_some(if neg { -v } else { v })
}

/// Tenths written as the drawing does (and the page's script): whole
/// numbers without a point, others with one decimal.
pub(super) fn written(t: i64) -> String {
    let a = t.unsigned_abs();
    let sign = if t < 0 { "-" } else { "" };
    if a % 10 == 0 {
        format!("{sign}{}", a / 10)
    } else {
        format!("{sign}{}.{}", a / 10, a % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_is_written_as_to_string_writes_it() {
        for v in [0, 7, -7, 10, -10, 123_456, i64::MAX, i64::MIN] {
            let mut out = String::from("x");
            Put::put(v, &mut out);
            assert_eq!(out, format!("x{v}"));
        }
    }

    #[test]
    fn numbers_read_back_as_written() {
        for s in ["0", "12", "-3", "261.2", "-0.5", "1000000"] {
            assert_eq!(written(tenths(s).unwrap()), s);
        }
        for s in ["", "-", "1.25", "1.", ".5", "-0", "01", "1e3", "3.0"] {
            assert_eq!(tenths(s), None, "{s:?}");
        }
    }

    #[test]
    fn a_number_reads_as_tenths_exactly_when_it_is_written_back_the_same() {
        let by_writing = |s: &str| -> Option<i64> {
            let d = s.strip_prefix('-').unwrap_or(s);
            let (w, t) = d.split_once('.').unwrap_or((d, "0"));
            if w.is_empty() || w.len() > 9 || t.len() != 1 || !w.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let v = w.parse::<i64>().ok()? * 10 + t.parse::<i64>().ok()?;
            let v = if s.starts_with('-') { -v } else { v };
            (written(v) == s).then_some(v)
        };
        let parts = [
            "",
            "-",
            "0",
            "00",
            "01",
            "1",
            "10",
            "7",
            "123456789",
            "1234567890",
        ];
        let tails = ["", ".", ".0", ".5", ".05", ".x", "x", ".+", ".-"];
        for a in parts {
            for b in parts {
                for t in tails {
                    let s = format!("{a}{b}{t}");
                    assert_eq!(tenths(&s), by_writing(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn an_arrow_is_measured_from_the_boxes_it_connects() {
        let svg = "<path class=\"fs-cw\" d=\"M261.2,149C308.7,149 308.7,315 356.2,315\"/>\n\
            <g transform=\"translate(16,100)\">\n<g class=\"fs-proc\" data-pid=\"7\"><rect class=\"fs-box\" x=\"0\" y=\"0\" width=\"245.2\" height=\"80\" rx=\"6\"/></g>\n</g>\n\
            <g transform=\"translate(357.2,300)\">\n<g class=\"fs-ofile\" data-id=\"#3\"><rect class=\"fs-ofbox\" x=\"0\" y=\"0\" width=\"100\" height=\"30\" rx=\"4\"/></g>\n</g>\n";
        let b = Boxes::of(svg);
        let t = b
            .template("M261.2,149C308.7,149 308.7,315 356.2,315")
            .unwrap();
        assert_eq!(
            t,
            "\u{1}p7 i#3|M{c-960},{b490}C{c-485},{b490} {c-485},{d150} {c-10},{d150}\""
        );
        // Moved boxes give the same template.
        let moved = svg
            .replace("translate(16,100)", "translate(16,160)")
            .replace("translate(357.2,300)", "translate(357.2,410)");
        let b2 = Boxes::of(&moved);
        assert_eq!(
            b2.template("M261.2,209C308.7,209 308.7,425 356.2,425"),
            Some(t)
        );
        // No box at either end: stays literal.
        assert_eq!(b.template("M1,1H2"), None);
    }
}
