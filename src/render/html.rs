//! The step-through HTML page: one self-contained file (inline style and
//! script, nothing fetched) with the timeline on the left and the diagram of
//! the selected step on the right. Arrow keys, a slider, clicks on the
//! timeline and the URL fragment `#seq=N` choose the step.
//!
//! Safety: everything from the trace is escaped where it lands. Timeline
//! lines and the title are HTML-escaped text; each step's SVG (itself
//! XML-escaped by [`svg`]) travels as a JSON string inside
//! `<script type="application/json">` with `<`, `>`, `&`, U+2028 and U+2029
//! written as `\u003c`-style escapes, so nothing from the trace can close that
//! element; the call and sentence are set with `textContent`. A
//! Content-Security-Policy lets only the page's own script (by hash) run and
//! loads nothing, so even a mistake above could not run injected script or
//! fetch anything.
//!
//! Language: the page's own words (counter, buttons, hint) follow
//! the language it is given. The only text the script writes, the step counter, is
//! put into `SCRIPT` as the page is written, and the policy names the
//! hash of that script (computed here, so English and Chinese pages each
//! allow exactly their own script).
//!
//! Size: both views' drawings (compact and kernel) are cut into tokens (a
//! tag, or a text and its closing tag), each distinct token stored once for
//! the page, and each step is stored as changes against the step before in
//! the same view: token numbers for what is new, runs for what it copies
//! (`Delta`). The script rebuilds a drawing from the nearest
//! kept step (every 32nd) when it is shown. A step that changes nothing
//! visible (a failed `open`, a signal) is one run. The SVGs leave out their
//! caption (the page shows the call and sentence above the diagram) and
//! their stylesheet (the page carries it once). Arrows are stored against
//! the boxes they connect and the kernel view's fd-table widths against
//! the tables' right edge (`html/arrows.rs`), so a box that moves or a column
//! that widens does not make every arrow of the step new. A `make -j8`
//! build's page is about 3 KiB a step (tests/html.rs keeps it under 8);
//! `diagram` says each page's real size.

mod arrows;

use super::scene::Scene;
use super::svg;
use crate::words::diagram::{phrase, word, Phrase, Word};
use crate::words::Lang;
use std::collections::HashMap;
use std::fmt::Write;
use std::hash::{BuildHasherDefault, Hasher};

/// One step of the page: the timeline line of an event and the scene after it.
#[derive(Clone, Debug)]
pub struct HtmlStep {
    /// The event's seq.
    pub seq: u64,
    /// Its timeline line (plain text, not yet escaped).
    pub line: String,
    /// The state after it.
    pub scene: Scene,
    /// The event's kind (`fork`, `open`, ...), for the page's filters.
    pub kind: &'static str,
    /// It only opens or closes a file (the dynamic loader's libraries,
    /// locale files): the page hides it until asked.
    pub library: bool,
}

/// A self-contained page stepping through `steps`, opening in the compact view.
/// Its own words are in `lang`.
pub fn page(lang: Lang, title: &str, steps: &[HtmlStep]) -> String {
    page_with(lang, title, steps, false)
}

/// A self-contained page stepping through `steps`, opening in the kernel
/// view when `kernel` (a switch on the page changes the view).
pub fn page_with(lang: Lang, title: &str, steps: &[HtmlStep], kernel: bool) -> String {
    let mut page = Page::new(kernel);
    let (mut compact, mut kernel_v) = (View::default(), View::default());
    for s in steps {
        let k = kernel_v.step(kernel_drawing(s));
        let c = compact.step(compact_drawing(s));
        page.push(s, c, k);
    }
    page.finish(lang, title)
}

/// How a page draws a step: no caption (the page shows the call and
/// sentence above the diagram), no stylesheet (the page carries it once).
const DRAWING: svg::Opts = svg::Opts {
    caption: false,
    style: false,
};

/// The kernel view's drawing of a step, as the page stores it. Pure, so a
/// caller may draw it on another thread than the one building the page.
pub(crate) fn kernel_drawing(s: &HtmlStep) -> String {
    super::kernel::render_with(&s.scene, DRAWING)
}

/// The compact view's drawing of a step, as the page stores it (pure too).
pub(crate) fn compact_drawing(s: &HtmlStep) -> String {
    svg::pieces(&s.scene, DRAWING).join()
}

/// One view's drawings cut into tokens and stored as changes against the
/// step before ([`Delta`]), a step at a time, with token numbers of the
/// view's own: so each view's drawings are cut and compared on the thread
/// that draws them, and the page only renumbers the few tokens a step
/// uses first ([`Page::push`]). Numbering per view changes no operation
/// but a token's number: [`Delta`] only compares tokens for equality.
#[derive(Default)]
pub(crate) struct View {
    tokens: Tokens,
    delta: Delta,
    guess: Guess,
    /// Steps cut so far.
    n: usize,
}

/// One step of one [`View`].
pub(crate) struct ViewStep {
    /// How to make its tokens from the step before's, in the view's numbers.
    ops: Vec<Op>,
    /// The tokens it uses first in the view, in the order it uses them:
    /// the view numbers them after those of the steps before.
    new: Vec<String>,
    /// The drawing itself, for the first step (the page draws it in its markup).
    drawing: Option<String>,
}

impl View {
    /// Cuts the next step's `drawing`.
    pub(crate) fn step(&mut self, drawing: String) -> ViewStep {
        let cut = self.tokens.split(&drawing, &self.guess);
        let first = self.n == 0;
        self.n += 1;
        let shown = first.then(|| drawing.clone());
        self.guess.set(drawing, &cut);
        let mut ops = Vec::new();
        self.delta.ops(cut.tokens, &mut ops);
        ViewStep {
            ops,
            new: std::mem::take(&mut self.tokens.list),
            drawing: shown,
        }
    }
}

/// A page written a step at a time: [`Page::push`] each step in order, then
/// [`Page::finish`]. Holds what the page keeps of each step (its timeline
/// line, its row of the data block) and the token table, never the scenes,
/// so steps can stream through it while the trace is replayed.
pub(crate) struct Page {
    kernel: bool,
    tokens: Tokens,
    /// Each view's token numbers (see [`View`]) as the page's.
    compact: Vec<u32>,
    kernel_d: Vec<u32>,
    /// The data block's rows so far, as script-safe JSON joined by `,`.
    rows: String,
    /// The timeline's `<li>` lines so far.
    timeline: String,
    /// Steps pushed.
    n: usize,
    /// Steps that only open or close a file.
    libs: usize,
    /// Each event kind with its count, in order of first appearance.
    kinds: Vec<(&'static str, usize)>,
    /// The first step: seq, call line, sentence, drawing in the opening view.
    first: Option<(u64, String, String, String)>,
}

impl Page {
    /// An empty page opening in the kernel view when `kernel`.
    pub(crate) fn new(kernel: bool) -> Page {
        Page {
            kernel,
            tokens: Tokens::default(),
            compact: Vec::new(),
            kernel_d: Vec::new(),
            rows: String::new(),
            timeline: String::new(),
            n: 0,
            libs: 0,
            kinds: Vec::new(),
            first: None,
        }
    }

    /// Adds the next step: `compact` and `kernel` are its drawings
    /// ([`compact_drawing`], [`kernel_drawing`]) cut by the views, which
    /// see every step in order.
    pub(crate) fn push(&mut self, s: &HtmlStep, compact: ViewStep, kernel: ViewStep) {
        let i = self.n;
        self.n += 1;
        // The page numbers tokens in the order it first meets them: the
        // compact drawing's, then the kernel's.
        for t in compact.new {
            self.compact.push(self.tokens.number_owned(t));
        }
        for t in kernel.new {
            self.kernel_d.push(self.tokens.number_owned(t));
        }
        let (pid, call, sentence) = match &s.scene.event {
            Some(e) => (
                Some(e.pid),
                e.call.as_str(),
                e.sentence.as_deref().unwrap_or_default(),
            ),
            None => (None, s.line.as_str(), ""),
        };
        if i == 0 {
            let (call, sentence) = match &s.scene.event {
                Some(e) => (
                    format!("#{} \u{b7} {} \u{b7} {}", e.seq, e.pid, e.call),
                    e.sentence.clone().unwrap_or_default(),
                ),
                None => (format!("#{} \u{b7} {}", s.seq, s.line), String::new()),
            };
            let drawing = if self.kernel {
                kernel.drawing
            } else {
                compact.drawing
            };
            let drawing = drawing.expect("a view keeps its first drawing");
            self.first = Some((s.seq, call, sentence, drawing));
        } else {
            self.rows.push(',');
        }
        // The row `[seq, pid, call, sentence, compact ops, kernel ops]`.
        let out = &mut self.rows;
        let _ = write!(out, "[{},", s.seq);
        match pid {
            Some(p) => {
                let _ = write!(out, "{p},");
            }
            None => out.push_str("null,"),
        }
        json_string(out, call);
        out.push(',');
        json_string(out, sentence);
        out.push(',');
        write_ops(out, &compact.ops, &self.compact);
        out.push(',');
        write_ops(out, &kernel.ops, &self.kernel_d);
        out.push(']');
        // The timeline's line and the teaching controls' counts.
        if s.library {
            self.libs += 1;
        }
        match self.kinds.iter_mut().find(|k| k.0 == s.kind) {
            Some(k) => k.1 += 1,
            None => self.kinds.push((s.kind, 1)),
        }
        let mut class = String::new();
        if i == 0 {
            class.push_str("fs-current");
        }
        if s.library {
            class.push_str(" fs-lib");
        }
        let cur = match (class.trim(), i == 0) {
            ("", _) => String::new(),
            (c, true) => format!("class=\"{c}\" aria-current=\"step\" "),
            (c, false) => format!("class=\"{c}\" "),
        };
        let _ = writeln!(
            self.timeline,
            "<li {cur}data-i=\"{i}\" data-seq=\"{}\" data-kind=\"{}\">{}</li>",
            s.seq,
            s.kind,
            svg::esc(&s.line)
        );
    }

    /// The whole page, titled `title`, its own words in `lang`.
    pub(crate) fn finish(self, lang: Lang, title: &str) -> String {
        let kernel = self.kernel;
        let mut out = String::with_capacity(
            16 * 1024
                + self.first.as_ref().map_or(0, |f| f.3.len())
                + self.timeline.len()
                + self.rows.len()
                + self.tokens.list.iter().map(|s| s.len() + 4).sum::<usize>(),
        );
        let n = self.n;
        let t = svg::esc(title);
        let script = script(lang);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
             <meta name=\"generator\" content=\"forkscope\">\n\
             <title>{t} \u{2014} forkscope</title>\n<style>\n{PAGE_STYLE}{}</style>\n</head>\n<body>\n",
            word(lang, Word::HtmlLang),
            csp(&script),
            svg::STYLE
        );
        let counter = match &self.first {
            Some(f) => phrase(
                lang,
                &Phrase::Counter {
                    step: 1,
                    steps: n,
                    seq: f.0,
                },
            ),
            None => word(lang, Word::NoSteps).to_string(),
        };
        let max = n.saturating_sub(1);
        let _ = write!(
            out,
            "<header>\n<h1 title=\"{t}\">{t}</h1>\n\
             <span id=\"fs-counter\" aria-live=\"polite\">{counter}</span>\n\
             <span class=\"fs-controls\"><button id=\"fs-prev\" type=\"button\" title=\"{}\">\u{25c0}</button>\
             <input id=\"fs-slider\" type=\"range\" min=\"0\" max=\"{max}\" value=\"0\" step=\"1\" aria-label=\"{}\">\
             <button id=\"fs-next\" type=\"button\" title=\"{}\">\u{25b6}</button></span>\n\
             <button id=\"fs-kview\" type=\"button\" aria-pressed=\"{}\" data-compact=\"{}\" data-kernel=\"{}\">{}</button>\n\
             <span class=\"fs-hint\">{}</span>\n",
            word(lang, Word::Prev),
            word(lang, Word::Slider),
            word(lang, Word::Next),
            kernel,
            // The button names the view it switches to.
            svg::esc(word(lang, Word::ViewCompact)),
            svg::esc(word(lang, Word::ViewKernel)),
            svg::esc(if kernel {
                word(lang, Word::ViewCompact)
            } else {
                word(lang, Word::ViewKernel)
            }),
            phrase(lang, &Phrase::Hint(n))
        );
        // Teaching controls: loader and locale file steps hidden until asked,
        // a chip per event kind, zoom, and a presentation size.
        out.push_str("<div id=\"fs-tools\">");
        if self.libs > 0 {
            let _ = write!(
                out,
                "<label><input id=\"fs-libs\" type=\"checkbox\"> {}</label>",
                svg::esc(&phrase(lang, &Phrase::ShowLibrarySteps(self.libs)))
            );
        }
        for (k, c) in &self.kinds {
            let _ = write!(
                out,
                "<button type=\"button\" class=\"fs-chip\" data-kind=\"{k}\" aria-pressed=\"true\">{k} {c}</button>"
            );
        }
        let _ = writeln!(
            out,
            "<span class=\"fs-zoom\"><button type=\"button\" id=\"fs-zoom-out\" title=\"{}\">\u{2212}</button><button type=\"button\" id=\"fs-zoom-in\" title=\"{}\">+</button><button type=\"button\" id=\"fs-big\" aria-pressed=\"false\">{}</button></span></div>",
            svg::esc(word(lang, Word::ZoomOut)),
            svg::esc(word(lang, Word::ZoomIn)),
            svg::esc(word(lang, Word::Presentation))
        );
        out.push_str("</header>\n<main>\n");
        let _ = write!(
            out,
            "<nav id=\"fs-timeline-pane\" aria-label=\"{}\">\n<ol id=\"fs-timeline\">\n",
            word(lang, Word::Timeline)
        );
        out.push_str(&self.timeline);
        out.push_str("</ol>\n</nav>\n<section id=\"fs-view\">\n");
        // The first step is drawn in the markup, so the page shows something
        // before (or without) its script.
        match &self.first {
            Some((seq, call, sentence, drawing)) => {
                let _ = write!(
                    out,
                    "<div id=\"fs-caption\"><div id=\"fs-call\">{}</div><div id=\"fs-sentence\">{}</div></div>\n\
                     <div id=\"fs-diagram\" data-seq=\"{}\">\n{}</div>\n",
                    svg::esc(call),
                    svg::esc(sentence),
                    seq,
                    drawing
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<div id=\"fs-caption\"><div id=\"fs-call\">{}</div><div id=\"fs-sentence\"></div></div>\n<div id=\"fs-diagram\"></div>\n",
                    word(lang, Word::NoEvents)
                );
            }
        }
        out.push_str("</section>\n</main>\n<script type=\"application/json\" id=\"fs-data\">");
        // `{"steps":[...],"tokens":[...]}`, as serde_json writes it and
        // made safe for the script element (see `json_for_script`).
        out.push_str("{\"steps\":[");
        out.push_str(&self.rows);
        out.push_str("],\"tokens\":[");
        for (k, token) in self.tokens.list.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            json_string(&mut out, token);
        }
        out.push_str("]}");
        out.push_str("</script>\n<script>");
        out.push_str(&script);
        out.push_str("</script>\n</body>\n</html>\n");
        out
    }
}

/// Appends `s` as a JSON string safe inside a `<script>` element: what
/// `json_for_script` makes of serde_json's text for it.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut plain = 0;
    for (i, c) in s.char_indices() {
        let esc: &str = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            '<' => "\\u003c",
            '>' => "\\u003e",
            '&' => "\\u0026",
            '\u{2028}' => "\\u2028",
            '\u{2029}' => "\\u2029",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[plain..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(esc);
        }
        plain = i + c.len_utf8();
    }
    out.push_str(&s[plain..]);
    out.push('"');
}

/// Appends one view's operations as the JSON array [`Delta`] describes,
/// each token by its number on the page (`page[view's number]`).
fn write_ops(out: &mut String, ops: &[Op], page: &[u32]) {
    out.push('[');
    for (k, op) in ops.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        let _ = match *op {
            Op::Token(t) => write!(out, "{}", page[t as usize]),
            Op::Run(count) => write!(out, "-{count}"),
            Op::Copy(start, count) => write!(out, "[{start},{count}]"),
        };
    }
    out.push(']');
}

/// A drawing rebuilt from the page's tokens with its numbers put back, as
/// the page's script does (for tests, which check the stored drawings).
#[doc(hidden)]
pub fn put_numbers_back(text: &str) -> String {
    arrows::expand(text)
}

/// [`SCRIPT`] with the counter of `lang` put in (the page's own words are
/// markup-safe text: none holds `<`, `&` or `"`; tests/html.rs reads the
/// counter back from Chromium, to check the script writes what
/// [`Phrase::Counter`] does).
fn script(lang: Lang) -> String {
    debug_assert_eq!(SCRIPT.matches(COUNTER_SLOT).count(), 1);
    SCRIPT.replacen(COUNTER_SLOT, word(lang, Word::CounterJs), 1)
}

/// Where [`SCRIPT`] computes the counter's text.
const COUNTER_SLOT: &str = "/*COUNTER*/";

/// The Content-Security-Policy of a page running `script`: loads nothing,
/// runs only that script (named by its SHA-256, which a browser checks over
/// the script's UTF-8 text).
fn csp(script: &str) -> String {
    format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(script)
    )
}

/// The base64 SHA-256 of `script`, as a CSP hash source writes it.
fn csp_hash(script: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()))
}

/// Pieces of drawing text ("tokens"), each distinct one stored once. A
/// drawing is cut after every `>` and every newline, so a token is one tag
/// (or one text and its closing tag): an event changes a few of them.
#[derive(Default)]
struct Tokens {
    /// The tokens by number (a [`View`]'s: those numbered since its last step).
    list: Vec<String>,
    /// Every token numbered, with its number.
    index: HashMap<Box<str>, u32, BuildHasherDefault<TokenHasher>>,
}

/// A hasher for tokens: the page looks up every token of every drawing
/// (millions for a long trace), and tokens are short text made by
/// forkscope, not chosen by an adversary with the table in mind, so a
/// multiply-and-fold hash over 8 bytes at a time does (SipHash, the
/// default, took a fifth of a long page's time).
#[derive(Default)]
struct TokenHasher(u64);

impl Hasher for TokenHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(last) ^ bytes.len() as u64).wrapping_mul(K);
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        // Fold the high half of a wide product into the low one, so the
        // table's low bits depend on every byte.
        let m = u128::from(self.0) * 0x9e37_79b9_7f4a_7c15;
        (m as u64) ^ ((m >> 64) as u64)
    }
}

impl Tokens {
    /// `text` as token numbers; joined in order they give `text` back
    /// (once the page has put the arrows' numbers back, see [`arrows`]).
    /// `guess` is the drawing cut before (the same view's step before),
    /// which most tokens repeat in place: a token found there (at `j` or
    /// `j + 1`) is one comparison, neither scanned for its end nor looked
    /// up.
    fn split(&mut self, text: &str, guess: &Guess) -> Cut {
        let mut out = Vec::with_capacity(text.len() / 8 + 1);
        let mut cuts = Vec::with_capacity(text.len() / 8 + 1);
        let boxes = arrows::Boxes::of(text);
        let widths = arrows::Widths::new(text);
        let bytes = text.as_bytes();
        let mut start = 0;
        let mut prev = "";
        // Where in `guess` this token is looked for first.
        let mut j = 0;
        while start < bytes.len() {
            let found = [j, j + 1]
                .into_iter()
                .find_map(|k| Some((k, guess.at(k, text, start)?)));
            let end = match found {
                Some((_, (end, _))) => end,
                None => token_end(bytes, start),
            };
            // `>`, `\n` and `"` are ASCII, so the cut is always at a char boundary.
            let token = &text[start..end];
            // An arrow's path data, stored against its boxes; a width
            // against the fd tables' right edge.
            let placed = match (bytes[end - 1], prev.ends_with(" d=\"")) {
                (b'"', true) => boxes.template(&text[start..end - 1]),
                (b'"', false) => widths.token(start, prev, &text[start..end - 1]),
                _ => None,
            };
            match placed {
                Some(t) => {
                    let n = self.number(&t);
                    j = guess.after(n, j);
                    out.push(n);
                    cuts.push(NOT_TEXT);
                }
                None => {
                    let n = match found {
                        Some((k, (_, n))) => {
                            j = k + 1;
                            n
                        }
                        None => {
                            // Not there: looked up, and looked for next
                            // after where `guess` has it alone.
                            let n = self.number(token);
                            j = guess.after(n, j);
                            n
                        }
                    };
                    out.push(n);
                    cuts.push((start as u32, end as u32));
                }
            }
            prev = token;
            start = end;
        }
        Cut { tokens: out, cuts }
    }

    /// The number of `token`; a new one gets the next, and is added to
    /// `list` (which a [`View`] empties after each step).
    fn number(&mut self, token: &str) -> u32 {
        if let Some(n) = self.index.get(token) {
            return *n;
        }
        let n = self.index.len() as u32;
        self.list.push(token.to_string());
        self.index.insert(token.into(), n);
        n
    }

    /// [`Tokens::number`] of a token already owned.
    fn number_owned(&mut self, token: String) -> u32 {
        if let Some(n) = self.index.get(token.as_str()) {
            return *n;
        }
        let n = self.index.len() as u32;
        self.index.insert(token.as_str().into(), n);
        self.list.push(token);
        n
    }
}

/// Is `b` a byte a token ends with (`>`, a newline, `"`)?
fn is_cut(b: u8) -> bool {
    b == b'>' || b == b'\n' || b == b'"'
}

/// Where the token of `bytes` starting at `start` ends: after its first
/// cut ([`is_cut`]), or at the end.
fn token_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|b| is_cut(*b))
        .map_or(bytes.len(), |p| start + p + 1)
}

/// A drawing cut into tokens: their numbers, and where each is cut from
/// the drawing's text ([`NOT_TEXT`] for one stored as a template).
struct Cut {
    tokens: Vec<u32>,
    cuts: Vec<(u32, u32)>,
}

/// The cut of a token not stored as its text.
const NOT_TEXT: (u32, u32) = (u32::MAX, 0);

/// The drawing a [`View`] cut last, where the next one looks for its
/// tokens before looking them up: which text each token was cut from,
/// its number, and the one place each number stands alone.
#[derive(Default)]
struct Guess {
    text: String,
    cuts: Vec<(u32, u32)>,
    tokens: Vec<u32>,
    /// Per token number: [`Guess::NONE`], [`Guess::MANY`], or its place.
    alone: Vec<u32>,
}

impl Guess {
    const NONE: u32 = u32::MAX;
    const MANY: u32 = u32::MAX - 1;

    /// The end of the token of `text` starting at `start` and its number,
    /// if it is the token at `k`: the same text, which ends at a cut (a
    /// token holds no other) or at the end of `text` (the last one).
    fn at(&self, k: usize, text: &str, start: usize) -> Option<(usize, u32)> {
        let (a, b) = *self.cuts.get(k)?;
        if a == NOT_TEXT.0 {
            return None;
        }
        let old = &self.text.as_bytes()[a as usize..b as usize];
        let end = start + old.len();
        let new = text.as_bytes().get(start..end)?;
        let whole = end == text.len() || old.last().is_some_and(|c| is_cut(*c));
        (whole && new == old).then(|| (end, self.tokens[k]))
    }

    /// Where to look for the token after token `n`, found or not at `j`:
    /// after `n`'s place if it stands there alone, else after `j`.
    fn after(&self, n: u32, j: usize) -> usize {
        match self.alone.get(n as usize) {
            Some(&p) if p < Guess::MANY => p as usize + 1,
            _ => j + 1,
        }
    }

    /// Makes `text`, cut as `cut`, the drawing to look in next.
    fn set(&mut self, text: String, cut: &Cut) {
        let tokens = cut
            .tokens
            .iter()
            .map(|t| *t as usize + 1)
            .max()
            .unwrap_or(0);
        if self.alone.len() < tokens {
            self.alone.resize(tokens, Guess::NONE);
        }
        // A slice, so its pointer stays in a register (see `Delta::ops`).
        let alone = self.alone.as_mut_slice();
        for t in &self.tokens {
            alone[*t as usize] = Guess::NONE;
        }
        for (k, t) in cut.tokens.iter().enumerate() {
            let t = *t as usize;
            alone[t] = if alone[t] == Guess::NONE {
                k as u32
            } else {
                Guess::MANY
            };
        }
        self.text = text;
        self.cuts.clear();
        self.cuts.extend_from_slice(&cut.cuts);
        self.tokens.clear();
        self.tokens.extend_from_slice(&cut.tokens);
    }
}

/// One view's drawings as changes: each step says how to build its token
/// list from the step before's, as a list of operations read with a cursor
/// into the previous list (starting at 0): a number `n >= 0` is token `n`
/// (the cursor steps over one old token), `-count` copies `count` tokens
/// from the cursor, `[start, count]` copies `count` tokens from `start`
/// (and the cursor goes on after them). An event changes a few tokens; the
/// rest are runs copied, even when a box moves.
#[derive(Default)]
struct Delta {
    prev: Vec<u32>,
    /// Where each token of `prev` stands, grouped by token (each group one
    /// slice, in order of place): token `t`'s places are
    /// `at[start[t]..start[t] + end[t]]` (empty for a token not in `prev`). Counted
    /// into place rather than sorted; kept between steps for their
    /// allocations only (`start` and `end` are zero again between steps).
    at: Vec<u32>,
    start: Vec<u32>,
    end: Vec<u32>,
}

/// One operation of [`Delta`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// A token by number (`n`).
    Token(u32),
    /// Copies this many tokens from the cursor (`-count`).
    Run(usize),
    /// Copies `count` tokens from `start` (`[start, count]`).
    Copy(usize, usize),
}

/// How many places in the previous drawing a token is looked for: the ones
/// nearest after where the last copy ended (changes are local).
const CANDIDATES: usize = 12;

impl Delta {
    /// The operations making `cur` from the previous drawing's tokens, into
    /// `ops` (cleared first); `cur` becomes the previous drawing.
    fn ops(&mut self, cur: Vec<u32>, ops: &mut Vec<Op>) {
        ops.clear();
        let prev = std::mem::take(&mut self.prev);
        let tokens = prev.iter().map(|t| *t as usize + 1).max().unwrap_or(0);
        if self.start.len() < tokens {
            self.start.resize(tokens, 0);
            self.end.resize(tokens, 0);
        }
        self.at.clear();
        self.at.resize(prev.len(), 0);
        // Slices, not the vectors: their pointers stay in registers (a
        // store through a `&mut Vec` makes the next index reload them).
        let (at, start, end) = (
            self.at.as_mut_slice(),
            self.start.as_mut_slice(),
            self.end.as_mut_slice(),
        );
        // Count each token's places (in `end`), give each its slice (in
        // order of first place), then fill the slices in order of place.
        for t in &prev {
            end[*t as usize] += 1;
        }
        let mut next = 0;
        for t in &prev {
            let t = *t as usize;
            // Non-zero only until the token has its slice.
            if end[t] > 0 {
                start[t] = next;
                next += end[t];
                end[t] = 0;
            }
        }
        for (j, t) in prev.iter().enumerate() {
            let t = *t as usize;
            at[(start[t] + end[t]) as usize] = j as u32;
            end[t] += 1;
        }
        let (at, start, end) = (&*at, &*start, &*end);
        let places_of = |t: u32| match (start.get(t as usize), end.get(t as usize)) {
            (Some(s), Some(e)) => &at[*s as usize..(*s + *e) as usize],
            _ => &at[..0],
        };
        let run = |i: usize, j: usize| {
            cur[i..]
                .iter()
                .zip(&prev[j..])
                .take_while(|(a, b)| a == b)
                .count()
        };
        // Where the previous drawing is read next: after a copy, its end;
        // a new token stands in for one old token (an event mostly
        // replaces numbers in place).
        let (mut i, mut cursor) = (0, 0);
        while i < cur.len() {
            let mut best = (0, 0);
            if cursor < prev.len() && prev[cursor] == cur[i] {
                best = (cursor, run(i, cursor));
            }
            let places = places_of(cur[i]);
            let from = places.partition_point(|k| (*k as usize) < cursor);
            let near = places[from..].iter().chain(&places[..from]);
            for k in near.take(CANDIDATES) {
                let j = *k as usize;
                let len = run(i, j);
                if len > best.1 {
                    best = (j, len);
                }
            }
            if best.1 >= 2 || (best.1 == 1 && best.0 == cursor) {
                // A copy from the cursor is `-count`, from elsewhere
                // `[start, count]`.
                if best.0 == cursor {
                    ops.push(Op::Run(best.1));
                } else {
                    ops.push(Op::Copy(best.0, best.1));
                }
                i += best.1;
                cursor = best.0 + best.1;
            } else {
                ops.push(Op::Token(cur[i]));
                i += 1;
                cursor += 1;
            }
        }
        let (start, end) = (self.start.as_mut_slice(), self.end.as_mut_slice());
        for t in &prev {
            start[*t as usize] = 0;
            end[*t as usize] = 0;
        }
        self.prev = cur;
    }
}

/// JSON text that is safe inside a `<script>` element: `<`, `>` and `&` can
/// start no tag, comment or character reference, and U+2028/U+2029 (line
/// terminators to old JavaScript parsers) are escaped too. They only occur
/// inside JSON strings, where `\uXXXX` means the same character.
#[cfg(test)]
fn json_for_script(v: &serde_json::Value) -> String {
    let text = serde_json::to_string(v).expect("a JSON value always serializes");
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

const PAGE_STYLE: &str = "\
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{display:flex;flex-direction:column;font:14px/1.4 system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Hiragino Sans GB','Microsoft YaHei',sans-serif;color:#212529;background:#f8f9fa}
header{display:flex;align-items:center;gap:14px;padding:8px 16px;background:#fff;border-bottom:1px solid #dee2e6;flex-wrap:wrap}
header h1{font:bold 15px 'DejaVu Sans Mono',Menlo,Consolas,'Noto Sans Mono CJK SC','Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',monospace;margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:40vw}
#fs-counter{font-variant-numeric:tabular-nums;color:#495057;white-space:nowrap;min-width:13em}
.fs-controls{display:flex;align-items:center;gap:6px;flex:1;min-width:240px}
#fs-slider{flex:1}
.fs-controls button{font-size:12px;padding:2px 8px;cursor:pointer}
#fs-kview{font-size:13px;padding:3px 10px;cursor:pointer;border:1px solid #9c36b5;border-radius:4px;background:#f8f0fc;color:#5f1f73}
#fs-kview[aria-pressed=true]{background:#9c36b5;color:#fff}
.fs-hint{color:#5c636a;font-size:12px;white-space:nowrap}
main{flex:1;display:flex;min-height:0}
#fs-timeline-pane{width:36%;max-width:560px;min-width:240px;overflow:auto;background:#fff;border-right:1px solid #dee2e6}
#fs-timeline{list-style:none;margin:0;padding:4px 0;font:12px/1.55 'DejaVu Sans Mono',Menlo,Consolas,'Noto Sans Mono CJK SC','Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',monospace}
#fs-timeline li{padding:0 10px 0 8px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;cursor:pointer;border-left:4px solid transparent;color:#495057}
#fs-timeline li:hover{background:#f1f3f5}
#fs-timeline li.fs-current{background:#ffe8cc;border-left-color:#e8590c;color:#212529;font-weight:bold}
#fs-view{flex:1;overflow:auto;padding:12px 16px}
#fs-caption{margin:0 0 10px;padding:8px 12px;background:#fff;border:1px solid #dee2e6;border-left:4px solid #e8590c;border-radius:4px}
#fs-call{font:bold 14px 'DejaVu Sans Mono',Menlo,Consolas,'Noto Sans Mono CJK SC','Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',monospace;overflow-wrap:anywhere}
#fs-sentence{margin-top:2px;overflow-wrap:anywhere}
#fs-sentence:empty{display:none}
#fs-diagram svg{display:block;background:#fff;border:1px solid #dee2e6;border-radius:4px}
#fs-tools{display:flex;flex-wrap:wrap;align-items:center;gap:6px;width:100%;font-size:13px;color:#495057}
.fs-chip{font:12px 'DejaVu Sans Mono',Menlo,Consolas,monospace;padding:1px 8px;border:1px solid #adb5bd;border-radius:10px;background:#fff;color:#343a40;cursor:pointer}
.fs-chip[aria-pressed=false]{background:#e9ecef;color:#5c636a;text-decoration:line-through}
.fs-zoom{margin-left:auto;display:flex;gap:4px}
.fs-zoom button{font-size:13px;padding:2px 10px;cursor:pointer}
#fs-big[aria-pressed=true]{background:#343a40;color:#fff}
.fs-big #fs-timeline{font-size:16px}
.fs-big #fs-call{font-size:19px}
.fs-big #fs-sentence{font-size:18px}
.fs-big header h1,.fs-big #fs-counter{font-size:17px}
";

/// The page's behaviour. Plain ES5, no dependencies; reads the steps from the
/// JSON block and never turns trace text into markup (the SVG strings are
/// already escaped; the call and sentence go through `textContent`). The
/// counter's expression is put in at [`COUNTER_SLOT`] (see [`Words`]).
const SCRIPT: &str = r#"
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('fs-data').textContent);
  var steps = data.steps, tokens = data.tokens, n = steps.length;
  // Each view's drawings are rebuilt from their changes (see Delta in
  // html.rs): the token list of every 32nd step is kept, the others are
  // made from the nearest one before them when shown.
  var EVERY = 32;
  function apply(prev, ops) {
    var cur = [], pos = 0, m;
    for (var k = 0; k < ops.length; k++) {
      var o = ops[k];
      if (typeof o !== 'number') {
        for (m = 0; m < o[1]; m++) { cur.push(prev[o[0] + m]); }
        pos = o[0] + o[1];
      } else if (o < 0) {
        for (m = 0; m < -o; m++) { cur.push(prev[pos + m]); }
        pos -= o;
      } else { cur.push(o); pos++; }
    }
    return cur;
  }
  function checkpoints(col) {
    var kept = [], prev = [];
    for (var j = 0; j < n; j++) {
      prev = apply(prev, steps[j][col]);
      if (j % EVERY === 0) { kept.push(prev); }
    }
    return kept;
  }
  var views = { 4: checkpoints(4), 5: checkpoints(5) };
  function rebuild(col, i) {
    var c = i - i % EVERY, list = views[col][c / EVERY];
    for (var j = c + 1; j <= i; j++) { list = apply(list, steps[j][col]); }
    var text = list.map(function (t) { return tokens[t]; }).join('');
    if (text.indexOf('\u0002') >= 0) { text = placeWidths(text); }
    return text.indexOf('\u0001') < 0 ? text : placeArrows(text);
  }
  // Arrows stored against their boxes (see html/arrows.rs): each box's
  // place is read from the drawing, and each number put back from it.
  var PLACED = /<g transform="translate\((-?\d+(?:\.\d)?),(-?\d+(?:\.\d)?)\)">\n?<g class="[^"]*" data-(pid|id|pipe)="([^"]*)"/g;
  var TAG = { pid: 'p', id: 'i', pipe: 'q' };
  function tenths(s) { return Math.round(Number(s) * 10); }
  function written(t) {
    var a = Math.abs(t), s = (t < 0 ? '-' : '') + Math.floor(a / 10);
    return a % 10 ? s + '.' + (a % 10) : s;
  }
  // Widths stored against the fd tables' right edge (see Widths in
  // html/arrows.rs): the x plus the box width of the first fd table, each
  // number offset from it minus the x of the group it is in.
  var RIGHT = /<g transform="translate\((-?\d+(?:\.\d)?),-?\d+(?:\.\d)?\)">\n?<g class="[^"]*" data-pid="[^"]*"><rect class="fs-box" x="0" y="0" width="(-?\d+(?:\.\d)?)"/;
  function placeWidths(text) {
    var m = RIGHT.exec(text);
    if (!m) { return text; }
    var r = tenths(m[1]) + tenths(m[2]), x = 0;
    return text.replace(/<g transform="translate\((-?\d+(?:\.\d)?),|\u0002(-?\d+)"/g, function (all, gx, off) {
      if (gx !== undefined) { x = tenths(gx); return all; }
      return written(r - x + Number(off)) + '"';
    });
  }
  function placeArrows(text) {
    var at = {}, m;
    PLACED.lastIndex = 0;
    while ((m = PLACED.exec(text)) !== null) { at[TAG[m[3]] + m[4]] = [tenths(m[1]), tenths(m[2])]; }
    return text.replace(/\u0001([^ ]*) ([^|]*)\|([^"]*)"/g, function (all, a, c, d) {
      var base = { a: at[a][0], b: at[a][1], c: at[c][0], d: at[c][1] };
      return d.replace(/\{([abcd])(-?\d+)\}/g, function (x, s, off) { return written(base[s] + Number(off)); }) + '"';
    });
  }
  if (!n) { return; }
  function $(id) { return document.getElementById(id); }
  var list = $('fs-timeline'), items = list.children, slider = $('fs-slider');
  var counter = $('fs-counter'), diagram = $('fs-diagram');
  var call = $('fs-call'), sentence = $('fs-sentence');
  var cur = 0, shown = null;
  var viewButton = $('fs-kview');
  var kernel = viewButton.getAttribute('aria-pressed') === 'true';
  // Which steps the timeline shows: library steps only when asked, and
  // only kinds whose chip is on. Stepping skips the others.
  var libsBox = $('fs-libs'), kindOff = {}, zoom = 1, big = false;
  function visible(k) {
    var it = items[k];
    if (kindOff[it.getAttribute('data-kind')]) { return false; }
    return !(it.classList.contains('fs-lib') && !(libsBox && libsBox.checked));
  }
  function refilter() {
    for (var k = 0; k < n; k++) { items[k].hidden = !visible(k) && k !== cur; }
  }
  function step(from, dir, count) {
    var k = from, moved = 0;
    while (moved < count) {
      var next = k + dir;
      while (next >= 0 && next < n && !visible(next)) { next += dir; }
      if (next < 0 || next >= n) { break; }
      k = next; moved++;
    }
    return k;
  }
  function applyZoom() { diagram.style.zoom = String(zoom * (big ? 1.4 : 1)); }
  function show(i, keepHash) {
    i = Math.max(0, Math.min(n - 1, i | 0));
    var s = steps[i];
    items[i].hidden = false;
    if (cur !== i) {
      items[cur].hidden = !visible(cur);
      items[cur].classList.remove('fs-current');
      items[cur].removeAttribute('aria-current');
    }
    items[i].classList.add('fs-current');
    items[i].setAttribute('aria-current', 'step');
    var svg = rebuild(kernel ? 5 : 4, i);
    if (shown !== svg) { diagram.innerHTML = svg; shown = svg; }
    diagram.setAttribute('data-seq', String(s[0]));
    call.textContent = '#' + s[0] + (s[1] === null ? '' : ' \u00b7 ' + s[1]) + ' \u00b7 ' + s[2];
    sentence.textContent = s[3];
    counter.textContent = /*COUNTER*/;
    slider.value = String(i);
    items[i].scrollIntoView({ block: 'nearest' });
    cur = i;
    if (!keepHash) {
      var h = '#seq=' + s[0] + (kernel ? '&view=kernel' : '');
      if (location.hash !== h) {
        try { history.replaceState(null, '', h); } catch (e) { /* some file: URLs refuse */ }
      }
    }
  }
  // The step whose seq is N, or the last one before it.
  function fromHash() {
    var m = /^#seq=(\d+)(&view=(kernel|compact))?$/.exec(location.hash);
    if (!m) { return false; }
    if (m[3]) { setView(m[3] === 'kernel'); }
    var seq = Number(m[1]), lo = 0, hi = n - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (steps[mid][0] <= seq) { lo = mid; } else { hi = mid - 1; }
    }
    show(lo, true);
    return true;
  }
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) { return; }
    var t = e.target;
    if (t && (t.isContentEditable || t.tagName === 'TEXTAREA' || (t.tagName === 'INPUT' && t.type !== 'range'))) { return; }
    var to = null;
    switch (e.key) {
      case 'ArrowLeft': to = step(cur, -1, 1); break;
      case 'ArrowRight': to = step(cur, 1, 1); break;
      case 'PageUp': to = step(cur, -1, 10); break;
      case 'PageDown': to = step(cur, 1, 10); break;
      case 'Home': to = step(-1, 1, 1); break;
      case 'End': to = step(n, -1, 1); break;
      default: return;
    }
    e.preventDefault();
    show(to, false);
  });
  slider.addEventListener('input', function () { show(Number(slider.value), false); });
  $('fs-prev').addEventListener('click', function () { show(step(cur, -1, 1), false); });
  $('fs-next').addEventListener('click', function () { show(step(cur, 1, 1), false); });
  if (libsBox) { libsBox.addEventListener('change', refilter); }
  var chips = document.querySelectorAll('.fs-chip');
  for (var c = 0; c < chips.length; c++) {
    chips[c].addEventListener('click', function (e) {
      var b = e.currentTarget, k = b.getAttribute('data-kind');
      kindOff[k] = !kindOff[k];
      b.setAttribute('aria-pressed', String(!kindOff[k]));
      refilter();
    });
  }
  $('fs-zoom-in').addEventListener('click', function () { zoom = Math.min(4, zoom * 1.25); applyZoom(); });
  $('fs-zoom-out').addEventListener('click', function () { zoom = Math.max(0.25, zoom / 1.25); applyZoom(); });
  $('fs-big').addEventListener('click', function (e) {
    big = !big;
    document.body.classList.toggle('fs-big', big);
    e.currentTarget.setAttribute('aria-pressed', String(big));
    applyZoom();
  });
  refilter();
  list.addEventListener('click', function (e) {
    var li = e.target.closest ? e.target.closest('li') : null;
    if (li && li.parentNode === list) { show(Number(li.getAttribute('data-i')), false); }
  });
  function setView(k) {
    kernel = k;
    viewButton.setAttribute('aria-pressed', String(k));
    viewButton.textContent = viewButton.getAttribute(k ? 'data-compact' : 'data-kernel');
  }
  viewButton.addEventListener('click', function () { setView(!kernel); show(cur, false); });
  window.addEventListener('hashchange', fromHash);
  if (!fromHash()) { show(0, true); }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::scene::EventInfo;

    fn step(seq: u64, call: &str) -> HtmlStep {
        HtmlStep {
            seq,
            line: format!("{seq} 1 {call}"),
            scene: Scene {
                title: "t".into(),
                event: Some(EventInfo {
                    seq,
                    pid: 1,
                    call: call.into(),
                    sentence: None,
                }),
                ..Scene::default()
            },
            kind: "close",
            library: false,
        }
    }

    /// What `sha256sum` says the hash of `text` is, as a CSP source; `None`
    /// where sha256sum is not installed.
    fn sha256sum(text: &str) -> Option<String> {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let mut child = Command::new("sha256sum")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let hex = String::from_utf8(out.stdout).unwrap();
        let bytes: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        use base64::Engine;
        Some(format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    #[test]
    fn the_policy_names_the_hash_of_the_script_in_each_language() {
        for l in [Lang::En, Lang::Zh] {
            let p = page(l, "t", &[step(0, "a"), step(1, "b")]);
            let script = between(&p, "<script>", "</script>");
            assert_eq!(script, super::script(l));
            assert!(!script.contains(COUNTER_SLOT), "{l:?}: counter put in");
            let policy = between(&p, "Content-Security-Policy\" content=\"", "\"");
            assert_eq!(policy, csp(script));
            match sha256sum(script) {
                Some(want) => assert!(policy.contains(&want), "{l:?}: {policy} lacks {want}"),
                None => eprintln!("note: sha256sum is not installed; cannot check the CSP hash"),
            }
        }
    }

    #[test]
    fn the_page_speaks_the_language_it_is_given() {
        let zh = page(Lang::Zh, "t", &[step(0, "a"), step(7, "b")]);
        let en = page(Lang::En, "t", &[step(0, "a"), step(7, "b")]);
        assert!(en.contains("<html lang=\"en\">"));
        assert!(en.contains(">step 1 of 2 \u{b7} seq 0<"));
        assert!(en.contains("title=\"next step (\u{2192})\""));
        assert!(en.contains("'step ' + (i + 1) + ' of ' + n"));
        assert!(zh.contains("<html lang=\"zh-Hans\">"));
        let counter = Phrase::Counter {
            step: 1,
            steps: 2,
            seq: 0,
        };
        assert!(zh.contains(&format!(">{}<", phrase(Lang::Zh, &counter))));
        let next = word(Lang::Zh, Word::Next);
        assert!(zh.contains(&format!("title=\"{next}\"")));
        assert!(zh.contains(&format!(">{}<", phrase(Lang::Zh, &Phrase::Hint(2)))));
        assert!(zh.contains(word(Lang::Zh, Word::CounterJs)));
        for english in [
            "step 1 of",
            "2 steps",
            "next step",
            "seq ' +",
            "aria-label=\"timeline\"",
            "aria-label=\"step\"",
        ] {
            assert!(!zh.contains(english), "{english:?} in the Chinese page");
        }
    }

    /// The text between the first `start` and the next `end`.
    fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
        let i = s.find(start).unwrap() + start.len();
        &s[i..i + s[i..].find(end).unwrap()]
    }

    #[test]
    fn json_in_a_script_cannot_close_it() {
        let v = serde_json::json!(["</script><!-- & \u{2028}\u{2029}"]);
        let s = json_for_script(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        assert!(!s.contains('\u{2028}') && !s.contains('\u{2029}'));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&s).unwrap(), v);
    }

    #[test]
    fn a_string_in_the_data_block_is_what_serde_json_writes_made_safe_for_the_script() {
        let controls: String = (0u32..0x20).filter_map(char::from_u32).collect();
        for s in [
            "",
            "plain",
            "</script><!-- & \u{2028}\u{2029}",
            "quote \" backslash \\ slash / tab \t newline \n",
            &controls,
            "\u{7f} é \u{4e2d}\u{6587} \u{1f600} \u{fffd}",
        ] {
            let mut ours = String::new();
            json_string(&mut ours, s);
            assert_eq!(ours, json_for_script(&serde_json::json!(s)), "{s:?}");
        }
    }

    #[test]
    fn the_token_hasher_spreads_tokens_that_differ_in_one_digit() {
        use std::hash::BuildHasher;
        let h = BuildHasherDefault::<TokenHasher>::default();
        let low: std::collections::HashSet<u64> = (0..4096)
            .map(|i| h.hash_one(format!("{i}\"")) & 0xfff)
            .collect();
        // 4096 tokens into 4096 buckets: a good hash leaves about 63% full.
        assert!(low.len() > 2300, "{} buckets", low.len());
    }

    #[test]
    fn identical_drawings_are_stored_once() {
        let steps = vec![step(0, "a"), step(1, "b"), step(2, "c")];
        let p = page(Lang::En, "t", &steps);
        let data_start = p.find("id=\"fs-data\">").unwrap();
        let data_end = data_start + p[data_start..].find("</script>").unwrap();
        let json: serde_json::Value = serde_json::from_str(&p[data_start + 13..data_end]).unwrap();
        // The first step's drawings are all new tokens; the later steps
        // change nothing drawn, so each view is one run copying it all.
        assert_eq!(json["steps"].as_array().unwrap().len(), 3);
        let tokens = json["tokens"].as_array().unwrap().len();
        assert!(tokens > 5);
        let first = &json["steps"][0];
        let (compact, kernel) = (first[4].as_array().unwrap(), first[5].as_array().unwrap());
        assert!(compact.iter().chain(kernel).all(|t| t.is_u64()));
        assert_eq!(
            json["steps"][2],
            serde_json::json!([
                2,
                1,
                "c",
                "",
                [-(compact.len() as i64)],
                [-(kernel.len() as i64)]
            ])
        );
    }

    #[test]
    fn an_empty_trace_still_makes_a_page() {
        let p = page(Lang::En, "nothing", &[]);
        assert!(p.contains("This trace has no events."));
        assert!(p.contains("max=\"0\""));
        let p = page(Lang::Zh, "nothing", &[]);
        assert!(p.contains(&format!(">{}<", word(Lang::Zh, Word::NoEvents))));
        assert!(p.contains(&format!(">{}<", word(Lang::Zh, Word::NoSteps))));
    }
}
