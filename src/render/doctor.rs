//! The doctor's report ([`crate::analysis::Report`]) as text for a
//! terminal (coloured when the style says so, wrapped to 100 columns) and as
//! the `--json` document. The words come from [`crate::words::finding`];
//! this module only lays them out.

use crate::analysis::{Finding, Report, Role, Severity};
use crate::cli::style::Style;
use crate::words::finding::{self as w, Frame};
use crate::words::text::visible;
use crate::words::Lang;
use serde::Serialize;
use std::io::Write;

/// Text is wrapped to this many columns.
const WIDTH: usize = 100;

/// The `--json` document. Its texts are English whatever the language
/// (machine readers match on them); the facts are the codes, pids, fds,
/// pipes and seqs.
#[derive(Serialize)]
struct JsonReport<'a> {
    trace: String,
    events: u64,
    anomalies: u64,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: crate::analysis::Code,
    severity: Severity,
    at: u64,
    summary: String,
    explanation: String,
    fix: String,
    processes: Vec<JsonProcess>,
    fds: Vec<JsonFd>,
    pipes: &'a [String],
    events: Vec<JsonEvent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ns: Option<u64>,
}

#[derive(Serialize)]
struct JsonProcess {
    pid: crate::trace::Pid,
    program: String,
    role: Role,
}

#[derive(Serialize)]
struct JsonFd {
    pid: crate::trace::Pid,
    fd: i32,
    object: String,
    role: Role,
}

#[derive(Serialize)]
struct JsonEvent {
    seq: u64,
    ts_ns: u64,
    pid: crate::trace::Pid,
    what: String,
}

fn json_finding(f: &Finding) -> JsonFinding<'_> {
    let (summary, explanation, fix) = w::texts(Lang::En, f);
    JsonFinding {
        code: f.code,
        severity: f.severity,
        at: f.at,
        summary,
        explanation,
        fix,
        processes: f
            .processes
            .iter()
            .map(|p| JsonProcess {
                pid: p.pid,
                program: visible(&p.program).into_owned(),
                role: p.role,
            })
            .collect(),
        fds: f
            .fds
            .iter()
            .map(|d| JsonFd {
                pid: d.pid,
                fd: d.fd,
                object: w::object(Lang::En, &d.object),
                role: d.role,
            })
            .collect(),
        pipes: &f.pipes,
        events: f
            .events
            .iter()
            .map(|e| JsonEvent {
                seq: e.seq,
                ts_ns: e.ts_ns,
                pid: e.pid,
                what: w::event(Lang::En, &e.what),
            })
            .collect(),
        duration_ns: f.duration_ns,
    }
}

/// Writes the `--json` document for the trace at `trace`.
pub fn write_json(out: &mut impl Write, trace: &str, r: &Report) -> std::io::Result<()> {
    let doc = JsonReport {
        trace: trace.to_string(),
        events: r.events,
        anomalies: r.anomalies,
        findings: r.findings.iter().map(json_finding).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn severity(s: Severity, style: Style) -> String {
    match s {
        Severity::Error => style.bad("error"),
        Severity::Warning => style.call("warning"),
        Severity::Info => style.good("info"),
    }
}

/// Greedy word wrap; every line after the first starts with `indent`.
fn wrap_en(text: &str, first: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut col = first;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if col > first.max(indent.len()) && col + 1 + w > WIDTH {
            out.push('\n');
            out.push_str(indent);
            col = indent.len();
        } else if !out.is_empty() {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += w;
    }
    out
}

/// Display width of a character: CJK and full-width punctuation take two columns.
fn char_width(c: char) -> usize {
    if c >= '\u{1100}' {
        2
    } else {
        1
    }
}

/// Word wrap for Chinese: a line may break between any two Chinese
/// characters, never inside a run of ASCII (`pipe#1`, `waitpid()`).
fn wrap_zh(text: &str, first: usize, indent: &str) -> String {
    let mut tokens: Vec<String> = Vec::new();
    for c in text.chars() {
        match tokens.last_mut() {
            Some(t)
                if c.is_ascii()
                    && !c.is_whitespace()
                    && t.chars().all(|x| x.is_ascii() && !x.is_whitespace()) =>
            {
                t.push(c)
            }
            _ => tokens.push(c.to_string()),
        }
    }
    // Closing punctuation never starts a line.
    let closing = |t: &str| {
        t.chars().next().is_some_and(|c| {
            "\u{ff0c}\u{3002}\u{ff1a}\u{ff1b}\u{ff09}\u{3001}\u{ff01}\u{ff1f}\u{300d}\u{300f}"
                .contains(c)
        })
    };
    let mut out = String::new();
    let mut col = first;
    for t in tokens {
        let w: usize = t.chars().map(char_width).sum();
        if col > first.max(indent.len()) && col + w > WIDTH && !closing(&t) {
            while out.ends_with(' ') {
                out.pop();
            }
            out.push('\n');
            out.push_str(indent);
            col = indent.len();
            if t.trim().is_empty() {
                continue;
            }
        }
        out.push_str(&t);
        col += w;
    }
    out
}

/// `text` wrapped to [`WIDTH`] columns, its first line starting at column
/// `first`, the others after `indent`.
fn wrap(lang: Lang, text: &str, first: usize, indent: &str) -> String {
    match lang {
        Lang::En => wrap_en(text, first, indent),
        Lang::Zh => wrap_zh(text, first, indent),
    }
}

fn write_finding(
    out: &mut impl Write,
    f: &Finding,
    lang: Lang,
    style: Style,
) -> std::io::Result<()> {
    let head = format!(
        "{}[{}] #{}: ",
        severity(f.severity, style),
        style.prog(f.code.as_str()),
        f.at
    );
    let plain_head = format!("{}[{}] #{}: ", f.severity.as_str(), f.code.as_str(), f.at);
    let indent = "    ";
    let (summary, explanation, fix) = w::texts(lang, f);
    writeln!(
        out,
        "{head}{}",
        wrap(lang, &summary, plain_head.chars().count(), indent)
    )?;
    writeln!(out, "  {}", wrap(lang, &explanation, 2, "  "))?;
    // Chinese labels are two characters, four columns wide: pad to ten.
    let label = |f: Frame| {
        let s = w::frame(lang, f);
        let pad = 10usize.saturating_sub(s.chars().map(char_width).sum());
        style.dim(&format!("{s}{}", " ".repeat(pad)))
    };
    let procs: Vec<String> = f
        .processes
        .iter()
        .map(|p| {
            format!(
                "{} {}{}",
                style.pid(&p.pid.to_string()),
                style.prog(&visible(&p.program)),
                w::paren(lang, p.role)
            )
        })
        .collect();
    if !procs.is_empty() {
        writeln!(
            out,
            "  {}{}",
            label(Frame::Processes),
            procs.join(w::separator(lang))
        )?;
    }
    let fds: Vec<String> = f
        .fds
        .iter()
        .map(|d| {
            format!(
                "{} fd {} {}{}",
                style.pid(&d.pid.to_string()),
                d.fd,
                w::object(lang, &d.object),
                w::paren(lang, d.role)
            )
        })
        .collect();
    if !fds.is_empty() {
        writeln!(
            out,
            "  {}{}",
            label(Frame::Fds),
            fds.join(w::separator(lang))
        )?;
    }
    for (i, e) in f.events.iter().enumerate() {
        let name = if i == 0 {
            label(Frame::Events)
        } else {
            style.dim(&" ".repeat(10))
        };
        let seq = style.dim(&format!("#{}", e.seq));
        writeln!(out, "  {name}{seq} {}", w::event(lang, &e.what))?;
    }
    writeln!(
        out,
        "  {}{}",
        label(Frame::Fix),
        wrap(lang, &fix, 12, "            ")
    )?;
    Ok(())
}

/// Writes the report as text.
pub fn write_text(
    out: &mut impl Write,
    r: &Report,
    lang: Lang,
    style: Style,
) -> std::io::Result<()> {
    if r.findings.is_empty() {
        return writeln!(
            out,
            "{}",
            w::none_found(lang, r.events, &|s: &str| style.good(s))
        );
    }
    for f in &r.findings {
        write_finding(out, f, lang, style)?;
        writeln!(out)?;
    }
    let counts: Vec<(Severity, usize)> = [Severity::Error, Severity::Warning, Severity::Info]
        .into_iter()
        .map(|s| (s, r.findings.iter().filter(|f| f.severity == s).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    writeln!(out, "{}", w::totals(lang, r.events, &counts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_at_the_width_with_an_indent() {
        let text = "word ".repeat(60);
        let w = wrap_en(&text, 2, "  ");
        assert!(w.lines().count() > 2);
        for l in w.lines() {
            assert!(l.chars().count() <= WIDTH, "{l:?}");
        }
        assert!(w.lines().skip(1).all(|l| l.starts_with("  word")));
    }
}
