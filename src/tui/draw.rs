//! The layout of `forkscope view`, drawn with ratatui: the timeline on the
//! left (the lines of `forkscope replay`, the current one marked with `>`
//! and shown reversed), on the right the diagram at the current event (the
//! drawing of `forkscope diagram --format ascii`), the process tree (`t`),
//! the pipes with their holders and the doctor's findings; a status line at
//! the bottom, and the help, kind chooser and prompts over it. Without
//! colour (`--color never`, NO_COLOR) only bold and reverse video are used.

use super::app::{App, Areas, Ask, Findings, Mode};
use super::facts::{HelpRow, Label};
use crate::trace::EventKind;
use crate::words::{tui as words, Lang};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

/// A pane title: the label padded with a space each side.
fn padded(lang: Lang, l: Label) -> String {
    format!(" {} ", words::label(lang, l))
}

/// The keys, for the help window and the README.
pub fn help_lines(lang: Lang) -> Vec<(&'static str, &'static str)> {
    HelpRow::ALL
        .iter()
        .map(|row| (words::help_keys(lang, *row), words::help_what(lang, *row)))
        .collect()
}

/// Draws the whole view.
pub fn draw(f: &mut Frame, app: &mut App) {
    let [main, status] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(f.area());
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(main);
    let left = match app.live.is_some() {
        true => {
            let [top, bottom] =
                Layout::vertical([Constraint::Min(5), Constraint::Percentage(50)]).areas(left);
            program(f, app, bottom);
            top
        }
        false => left,
    };
    let mut areas = Areas {
        timeline: timeline(f, app, left),
        ..Areas::default()
    };
    let drawn = app.drawn();
    let (n_findings, findings_text) = findings(app);
    let room = usize::from(right.width.saturating_sub(2)).max(1);
    let pipe_rows: usize = drawn
        .pipes
        .iter()
        .map(|l| crate::render::ascii::width(l).div_ceil(room).max(1))
        .sum();
    let pipes_h = pipe_rows.clamp(1, 6) as u16 + 2;
    let findings_h = n_findings.clamp(1, 5) as u16 + 2;
    let mut constraints = vec![Constraint::Min(5)];
    if app.show_tree {
        constraints.push(Constraint::Percentage(30));
    }
    constraints.push(Constraint::Length(pipes_h));
    constraints.push(Constraint::Length(findings_h));
    let parts = Layout::vertical(constraints).split(right);
    let bold = Style::default().add_modifier(Modifier::BOLD);

    let seq = app.current().map(|i| app.ix.seq(i));
    let title = padded(
        app.lang,
        match seq {
            Some(seq) => Label::DiagramAfter { seq },
            None => Label::Diagram,
        },
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, bold));
    areas.diagram = block.inner(parts[0]);
    let max = (drawn.diagram.len() as u16).saturating_sub(areas.diagram.height);
    app.diagram_scroll = app.diagram_scroll.min(max);
    f.render_widget(
        Paragraph::new(drawn.diagram.clone())
            .block(block)
            .scroll((app.diagram_scroll, 0)),
        parts[0],
    );
    let mut k = 1;
    if app.show_tree {
        let lines: Vec<Line> = drawn.tree.iter().map(|l| Line::from(l.as_str())).collect();
        f.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(Span::styled(padded(app.lang, Label::ProcessTree), bold)),
            ),
            parts[k],
        );
        k += 1;
    }
    let pipes: Vec<Line> = if drawn.pipes.is_empty() {
        vec![Line::from(words::label(app.lang, Label::NoPipeOpen))]
    } else {
        drawn.pipes.iter().map(|l| Line::from(l.as_str())).collect()
    };
    f.render_widget(
        Paragraph::new(pipes).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(padded(app.lang, Label::Pipes), bold)),
        ),
        parts[k],
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(padded(app.lang, Label::Doctor), bold));
    areas.findings = block.inner(parts[k + 1]);
    let skip = match app.mode {
        Mode::Findings(at) => {
            at.saturating_sub(usize::from(areas.findings.height).saturating_sub(1))
        }
        _ => 0,
    };
    f.render_widget(
        Paragraph::new(findings_text.into_iter().skip(skip).collect::<Vec<_>>()).block(block),
        parts[k + 1],
    );
    status_line(f, app, status);
    app.areas = areas;
    match &app.mode {
        Mode::Help => help(f, app),
        Mode::Hang(lines) => hang(f, app.lang, lines),
        Mode::Kinds(at, ticked) => kinds(f, app.lang, *at, ticked),
        _ => {}
    }
}

/// `record --tui`: the program's terminal, its size kept to the pane's.
fn program(f: &mut Frame, app: &mut App, area: Rect) {
    let Some(live) = &mut app.live else {
        return;
    };
    let label = match live.ended {
        Some(st) => Label::ProgramEnded {
            status: super::live::status_of(st),
        },
        None if app.program_keys => Label::ProgramHasKeys,
        None => Label::Program,
    };
    let mut title = Style::default().add_modifier(Modifier::BOLD);
    if app.program_keys && live.ended.is_none() {
        title = title.add_modifier(Modifier::REVERSED);
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(padded(app.lang, label), title));
    let inner = block.inner(area);
    live.resize(inner.height, inner.width);
    let parser = live.screen.lock().unwrap_or_else(|e| e.into_inner());
    let mut cursor = tui_term::widget::Cursor::default();
    if !app.program_keys || live.ended.is_some() {
        cursor.hide();
    }
    f.render_widget(
        tui_term::widget::PseudoTerminal::new(parser.screen())
            .block(block)
            .cursor(cursor),
        area,
    );
}

/// The report of a hang the recorder found, over the view; how to close
/// it is on the frame's bottom edge, always in sight.
fn hang(f: &mut Frame, lang: Lang, lines: &[String]) {
    let width = f.area().width.saturating_sub(4).min(100);
    let room = usize::from(width.saturating_sub(2)).max(1);
    // Word wrapping takes more rows than the width alone says: a margin.
    let rows: usize = lines
        .iter()
        .map(|l| {
            (crate::render::ascii::width(l) * 5 / 4)
                .div_ceil(room)
                .max(1)
        })
        .sum();
    let area = centered(f.area(), width, rows as u16 + 2);
    f.render_widget(Clear, area);
    let text: Vec<Line> = lines.iter().map(|l| Line::from(l.as_str())).collect();
    let bold = Style::default().add_modifier(Modifier::BOLD);
    f.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(padded(lang, Label::Hang), bold))
                .title_bottom(Span::styled(padded(lang, Label::CloseHang), bold)),
        ),
        area,
    );
}

/// The timeline pane; returns its inside.
fn timeline(f: &mut Frame, app: &mut App, area: Rect) -> Rect {
    let title = padded(
        app.lang,
        match app.current() {
            Some(_) => Label::Timeline {
                at: app.pos + 1,
                of: app.rows.len(),
            },
            None => Label::TimelineEmpty,
        },
    );
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        title,
        Style::default().add_modifier(Modifier::BOLD),
    ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if app.rows.is_empty() {
        f.render_widget(
            Paragraph::new(words::label(app.lang, Label::NothingKept)).wrap(Wrap { trim: true }),
            inner,
        );
        return inner;
    }
    let h = usize::from(inner.height);
    app.scroll_into_view(h);
    let end = (app.top + h).min(app.rows.len());
    let mut lines = Vec::with_capacity(h);
    for row in app.top..end {
        let l = app.line(row);
        let current = row == app.pos;
        let mut spans = vec![Span::raw(if current { "> " } else { "  " })];
        spans.extend(l.spans);
        let mut line = Line::from(spans);
        if current {
            line = line.style(Style::default().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
    inner
}

/// The findings' lines and how many there are.
fn findings(app: &App) -> (usize, Vec<Line<'static>>) {
    match &app.findings {
        Findings::Pending(_) => (
            1,
            vec![Line::from(words::label(app.lang, Label::ReadingFindings))],
        ),
        Findings::Failed(e) => (1, vec![Line::from(e.clone())]),
        Findings::Stopped => (
            1,
            vec![Line::from(words::label(app.lang, Label::DoctorStopped))],
        ),
        Findings::AfterRecording => (
            1,
            vec![Line::from(words::label(
                app.lang,
                Label::DoctorAfterRecording,
            ))],
        ),
        Findings::Done(list) if list.is_empty() => (
            1,
            vec![Line::from(words::label(app.lang, Label::NothingFound))],
        ),
        Findings::Done(list) => {
            let chosen = match app.mode {
                Mode::Findings(at) => Some(at),
                _ => None,
            };
            let lines = list
                .iter()
                .enumerate()
                .map(|(n, f)| {
                    let summary = crate::words::finding::summary(app.lang, &f.fact);
                    let sev = Span::styled(
                        f.severity.as_str(),
                        if app.style.color {
                            Style::default().fg(match f.severity {
                                crate::analysis::Severity::Error => Color::Red,
                                crate::analysis::Severity::Warning => Color::Yellow,
                                crate::analysis::Severity::Info => Color::Green,
                            })
                        } else {
                            Style::default()
                        },
                    );
                    let mut line = Line::from(vec![
                        Span::raw(if chosen == Some(n) { "> " } else { "  " }),
                        sev,
                        Span::raw(format!("[{}] #{}: {summary}", f.code.as_str(), f.at)),
                    ]);
                    if chosen == Some(n) {
                        line = line.style(Style::default().add_modifier(Modifier::REVERSED));
                    }
                    line
                })
                .collect();
            (list.len(), lines)
        }
    }
}

fn status_line(f: &mut Frame, app: &App, area: Rect) {
    let text = match &app.mode {
        Mode::Prompt(ask, text) => {
            let head = words::label(
                app.lang,
                match ask {
                    Ask::Seq => Label::AskSeq,
                    Ask::Search => Label::AskSearch,
                    Ask::Follow => Label::AskFollow,
                },
            );
            format!("{head}{text}█")
        }
        _ if app.program_keys && app.live.as_ref().is_some_and(|l| l.ended.is_none()) => {
            words::label(app.lang, Label::KeysGoToProgram)
        }
        _ => {
            let mut s = match app.current() {
                Some(i) => format!("#{} ", app.ix.seq(i)),
                None => String::new(),
            };
            let events = app.ix.len();
            match &app.live {
                Some(l) if l.ended.is_none() => {
                    s.push_str(&words::label(app.lang, Label::Recording { events }));
                    s.push_str("  ");
                }
                None if !app.ix.complete() => {
                    s.push_str(&words::label(app.lang, Label::Indexing { events }));
                    s.push_str("  ");
                }
                _ => {}
            }
            let filters = app.filters();
            if !filters.is_empty() {
                s.push_str(&format!("[{filters}] "));
            }
            match &app.message {
                Some(m) => s.push_str(&words::message(app.lang, m)),
                None if app.live.as_ref().is_some_and(|l| l.ended.is_none()) => {
                    s.push_str(&words::label(app.lang, Label::LiveHint))
                }
                None => s.push_str(&words::label(app.lang, Label::HelpHint)),
            }
            s
        }
    };
    f.render_widget(
        Paragraph::new(text).style(Style::default().add_modifier(Modifier::REVERSED)),
        area,
    );
}

/// A rectangle of `w`×`h` in the middle of `area` (clamped to it).
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn help(f: &mut Frame, app: &App) {
    let keys = help_lines(app.lang);
    let lines: Vec<Line> = keys
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(
                    format!("{k:<20}"),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(*what),
            ])
        })
        .collect();
    let area = centered(f.area(), 76, lines.len() as u16 + 2);
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(padded(app.lang, Label::Keys)),
        ),
        area,
    );
}

fn kinds(f: &mut Frame, lang: Lang, at: usize, ticked: &[bool]) {
    let area = centered(f.area(), 40, ticked.len() as u16 + 2);
    let inner_h = usize::from(area.height.saturating_sub(2)).max(1);
    let skip = at.saturating_sub(inner_h - 1);
    let lines: Vec<Line> = EventKind::KNOWN
        .iter()
        .zip(ticked)
        .enumerate()
        .skip(skip)
        .map(|(n, (k, t))| {
            let l = Line::from(format!(
                "{}[{}] {k}",
                if n == at { "> " } else { "  " },
                if *t { "x" } else { " " }
            ));
            if n == at {
                l.style(Style::default().add_modifier(Modifier::REVERSED))
            } else {
                l
            }
        })
        .collect();
    f.render_widget(Clear, area);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(padded(lang, Label::EventKinds)),
        ),
        area,
    );
}
