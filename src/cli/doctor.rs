//! `forkscope doctor`: replays a trace through every analysis (see
//! [`crate::analysis`]) and prints the findings, as text (coloured when the
//! style says so) or as JSON. Exit status 0 when nothing is found, 1 when
//! something is; a trace that cannot be read is an error.

use super::*;
use crate::analysis::{self, Finding, Report, Severity};
use crate::trace::TraceReader;
use anyhow::Context as _;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Text is wrapped to this many columns.
const WIDTH: usize = 100;

/// Runs the subcommand.
pub fn run(args: DoctorArgs, style: style::Style) -> anyhow::Result<i32> {
    let path = &args.trace;
    let mut reader = TraceReader::open(path).context("reading the trace")?;
    let report = analysis::diagnose(&mut reader).context("reading the trace")?;
    for w in reader.take_warnings() {
        eprintln!("forkscope: warning: {}: {w}", path.display());
    }
    if report.anomalies > 0 && !args.json {
        eprintln!(
            "forkscope: note: the model met {} contradiction(s) replaying this trace (see `forkscope replay --verify`); findings near them may be off",
            report.anomalies
        );
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    if args.json {
        write_json(&mut out, path, &report)?;
    } else {
        write_text(&mut out, &report, style)?;
    }
    out.flush()?;
    Ok(if report.findings.is_empty() { 0 } else { 1 })
}

/// The `--json` document.
#[derive(Serialize)]
struct JsonReport<'a> {
    trace: String,
    events: u64,
    anomalies: u64,
    findings: &'a [Finding],
}

fn write_json(out: &mut impl Write, path: &Path, r: &Report) -> std::io::Result<()> {
    let doc = JsonReport {
        trace: path.display().to_string(),
        events: r.events,
        anomalies: r.anomalies,
        findings: &r.findings,
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

fn severity(s: Severity, style: style::Style) -> String {
    match s {
        Severity::Error => style.bad("error"),
        Severity::Warning => style.call("warning"),
        Severity::Info => style.good("info"),
    }
}

/// Greedy word wrap; every line after the first starts with `indent`.
fn wrap(text: &str, first: usize, indent: &str) -> String {
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

fn write_finding(out: &mut impl Write, f: &Finding, style: style::Style) -> std::io::Result<()> {
    let head = format!(
        "{}[{}] #{}: ",
        severity(f.severity, style),
        style.prog(f.code.as_str()),
        f.at
    );
    let plain_head = format!("{}[{}] #{}: ", f.severity.as_str(), f.code.as_str(), f.at);
    let indent = "    ";
    writeln!(
        out,
        "{head}{}",
        wrap(&f.summary, plain_head.chars().count(), indent)
    )?;
    writeln!(out, "  {}", wrap(&f.explanation, 2, "  "))?;
    let label = |s: &str| style.dim(&format!("{s:<10}"));
    let procs: Vec<String> = f
        .processes
        .iter()
        .map(|p| {
            format!(
                "{} {} ({})",
                style.pid(&p.pid.to_string()),
                style.prog(&p.program),
                role(p.role)
            )
        })
        .collect();
    if !procs.is_empty() {
        writeln!(out, "  {}{}", label("processes"), procs.join(", "))?;
    }
    let fds: Vec<String> = f
        .fds
        .iter()
        .map(|d| {
            format!(
                "{} fd {} {} ({})",
                style.pid(&d.pid.to_string()),
                d.fd,
                d.object,
                role(d.role)
            )
        })
        .collect();
    if !fds.is_empty() {
        writeln!(out, "  {}{}", label("fds"), fds.join(", "))?;
    }
    for (i, e) in f.events.iter().enumerate() {
        let l = if i == 0 { "events" } else { "" };
        let seq = style.dim(&format!("#{}", e.seq));
        writeln!(out, "  {}{seq} {}", label(l), e.what)?;
    }
    writeln!(
        out,
        "  {}{}",
        label("fix"),
        wrap(&f.fix, 12, "            ")
    )?;
    Ok(())
}

fn role(r: analysis::Role) -> &'static str {
    use analysis::Role::*;
    match r {
        Reader => "reader",
        Writer => "writer",
        Leaked => "leaked",
        Parent => "parent",
        Child => "child",
        Adopter => "adopter",
        Closer => "closer",
        Sender => "sender",
    }
}

fn write_text(out: &mut impl Write, r: &Report, style: style::Style) -> std::io::Result<()> {
    if r.findings.is_empty() {
        writeln!(out, "{} in {} events", style.good("no findings"), r.events)?;
        return Ok(());
    }
    for f in &r.findings {
        write_finding(out, f, style)?;
        writeln!(out)?;
    }
    let count = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
    let mut parts = Vec::new();
    for (s, name) in [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ] {
        let n = count(s);
        if n > 0 {
            parts.push(format!(
                "{n} {name}{}",
                if n > 1 && s != Severity::Info {
                    "s"
                } else {
                    ""
                }
            ));
        }
    }
    let n = r.findings.len();
    writeln!(
        out,
        "{n} finding{} in {} events: {}",
        if n == 1 { "" } else { "s" },
        r.events,
        parts.join(", ")
    )
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
}
