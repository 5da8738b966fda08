//! The doctor's report ([`crate::analysis::Report`]) as text for a
//! terminal (coloured when the style says so, wrapped to 100 columns) and as
//! the `--json` document. The words come from [`crate::words::finding`];
//! this module only lays them out.

use super::style::Style;
use crate::analysis::{Finding, Report, Role, Severity};
use crate::words::finding::{self as w, Frame};
use crate::words::text::{self, visible};
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

/// `text` wrapped to [`WIDTH`] columns (as [`text::width`] measures
/// them), its first line starting at column `first`, the others after
/// `indent`.
fn wrap(text: &str, first: usize, indent: &str) -> String {
    let rest = WIDTH.saturating_sub(indent.len());
    text::wrap(text, WIDTH.saturating_sub(first), rest).join(&format!("\n{indent}"))
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
        wrap(&summary, text::width(&plain_head), indent)
    )?;
    writeln!(out, "  {}", wrap(&explanation, 2, "  "))?;
    // Chinese labels are two characters, four columns wide: pad to ten.
    let label = |f: Frame| {
        let s = w::frame(lang, f);
        let pad = 10usize.saturating_sub(text::width(s));
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
        wrap(&fix, 12, "            ")
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
        let w = wrap(&text, 2, "  ");
        assert!(w.lines().count() > 2);
        for l in w.lines() {
            assert!(l.chars().count() <= WIDTH, "{l:?}");
        }
        assert!(w.lines().skip(1).all(|l| l.starts_with("  word")));
    }

    #[test]
    fn arrows_and_dashes_take_one_column_like_everywhere_else() {
        // 49 words of "a\u{2192}" (2 columns each) and spaces: 146 columns,
        // which fits on two 100-column lines only if the arrow is 1 wide.
        let text = vec!["a\u{2192}"; 49].join(" ");
        let w = wrap(&text, 0, "");
        assert_eq!(w.lines().count(), 2, "{w}");
        assert_eq!(text::width(w.lines().next().unwrap()), 98);
    }
}
