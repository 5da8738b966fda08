//! `forkscope doctor`: replays a trace through every analysis (see
//! [`crate::analysis`]) and prints the findings, as text (coloured when the
//! style says so) or as JSON. Exit status 0 when nothing is found, 1 when
//! something is; a trace that cannot be read is an error.

use super::*;
use crate::analysis::{self, Finding, Report, Severity};
use crate::render::lang::{self, Lang};
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
    let reading = || lang::current().pick("reading the trace", "读 trace 文件时出错");
    let mut reader = TraceReader::open(path).with_context(reading)?;
    let report = analysis::diagnose(&mut reader).with_context(reading)?;
    for w in reader.take_warnings() {
        crate::errln!("forkscope: warning: {}: {w}", path.display());
    }
    if report.anomalies > 0 && !args.json {
        match lang::current() {
            Lang::En => crate::errln!(
                "forkscope: note: the model met {} contradiction(s) replaying this trace (see `forkscope replay --verify`); findings near them may be off",
                report.anomalies
            ),
            Lang::Zh => crate::errln!(
                "forkscope：注意：重放这份跟踪时，模型遇到了 {} 处矛盾（见 `forkscope replay --verify`）；它们附近的发现可能不准",
                report.anomalies
            ),
        }
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
        t.chars()
            .next()
            .is_some_and(|c| "，。：；）、！？」』".contains(c))
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

/// Wraps in the way of the current language.
fn wrap_text(text: &str, first: usize, indent: &str) -> String {
    match lang::current() {
        Lang::En => wrap(text, first, indent),
        Lang::Zh => wrap_zh(text, first, indent),
    }
}

/// What an fd refers to, for the text output: `pipe#1 write end` reads
/// `pipe#1 的写端` in Chinese; anything else stays as it is.
fn object_text(object: &str) -> String {
    match lang::current() {
        Lang::En => object.to_string(),
        Lang::Zh => analysis::object_zh(object),
    }
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
    let (summary, explanation, fix) = f.texts();
    let l = lang::current();
    writeln!(
        out,
        "{head}{}",
        wrap_text(summary, plain_head.chars().count(), indent)
    )?;
    writeln!(out, "  {}", wrap_text(explanation, 2, "  "))?;
    // Chinese labels are two characters, four columns wide: pad to ten.
    let label = |s: &str| {
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
                style.prog(&p.program),
                paren(role(p.role))
            )
        })
        .collect();
    if !procs.is_empty() {
        writeln!(
            out,
            "  {}{}",
            label(l.pick("processes", "进程")),
            procs.join(l.pick(", ", "，"))
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
                object_text(&d.object),
                paren(role(d.role))
            )
        })
        .collect();
    if !fds.is_empty() {
        writeln!(
            out,
            "  {}{}",
            label(l.pick("fds", "描述符")),
            fds.join(l.pick(", ", "，"))
        )?;
    }
    for (i, e) in f.events.iter().enumerate() {
        let name = if i == 0 {
            l.pick("events", "事件")
        } else {
            ""
        };
        let seq = style.dim(&format!("#{}", e.seq));
        writeln!(out, "  {}{seq} {}", label(name), e.what_text())?;
    }
    writeln!(
        out,
        "  {}{}",
        label(l.pick("fix", "怎么改")),
        wrap_text(fix, 12, "            ")
    )?;
    Ok(())
}

/// ` (reader)`, or `（读者）` in Chinese.
fn paren(text: &str) -> String {
    match lang::current() {
        Lang::En => format!(" ({text})"),
        Lang::Zh => format!("（{text}）"),
    }
}

fn role(r: analysis::Role) -> &'static str {
    use analysis::Role::*;
    if lang::current() == Lang::Zh {
        return match r {
            Reader => "读者",
            Writer => "写者",
            Leaked => "泄漏者",
            Parent => "父进程",
            Child => "子进程",
            Adopter => "收养者",
            Closer => "关闭者",
            Sender => "发送者",
            Blocked => "卡住的进程",
        };
    }
    match r {
        Reader => "reader",
        Writer => "writer",
        Leaked => "leaked",
        Parent => "parent",
        Child => "child",
        Adopter => "adopter",
        Closer => "closer",
        Sender => "sender",
        Blocked => "blocked",
    }
}

fn write_text(out: &mut impl Write, r: &Report, style: style::Style) -> std::io::Result<()> {
    let zh = lang::current() == Lang::Zh;
    if r.findings.is_empty() {
        return match zh {
            false => writeln!(out, "{} in {} events", style.good("no findings"), r.events),
            true => writeln!(out, "{} 个事件里{}", r.events, style.good("没有发现问题")),
        };
    }
    for f in &r.findings {
        write_finding(out, f, style)?;
        writeln!(out)?;
    }
    // `2 errors, 1 info` / `2 个错误，1 个提示`.
    let mut parts = Vec::new();
    for (s, en, cn) in [
        (Severity::Error, "error", "错误"),
        (Severity::Warning, "warning", "警告"),
        (Severity::Info, "info", "提示"),
    ] {
        let n = r.findings.iter().filter(|f| f.severity == s).count();
        if n == 0 {
            continue;
        }
        parts.push(match zh {
            true => format!("{n} 个{cn}"),
            false if n > 1 && s != Severity::Info => format!("{n} {en}s"),
            false => format!("{n} {en}"),
        });
    }
    let n = r.findings.len();
    match zh {
        false => writeln!(
            out,
            "{n} finding{} in {} events: {}",
            if n == 1 { "" } else { "s" },
            r.events,
            parts.join(", ")
        ),
        true => writeln!(
            out,
            "{} 个事件里发现 {n} 个问题：{}",
            r.events,
            parts.join("，")
        ),
    }
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
