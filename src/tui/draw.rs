//! The layout of `forkscope view`, drawn with ratatui: the timeline on the
//! left (the lines of `forkscope replay`, the current one marked with `>`
//! and shown reversed), on the right the diagram at the current event (the
//! drawing of `forkscope diagram --format ascii`), the process tree (`t`),
//! the pipes with their holders and the doctor's findings; a status line at
//! the bottom, and the help, kind chooser and prompts over it. Without
//! colour (`--color never`, NO_COLOR) only bold and reverse video are used.

use super::app::{App, Areas, Ask, Findings, Mode};
use crate::render::lang;
use crate::trace::EventKind;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

fn pick(en: &'static str, zh: &'static str) -> &'static str {
    lang::current().pick(en, zh)
}

/// The keys, for the help window and the README.
pub fn help_lines() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "↓ j / ↑ k",
            pick("next / previous event", "下一个 / 上一个事件"),
        ),
        (
            "PgDn Space / PgUp",
            pick("a page down / up", "向下 / 向上翻一页"),
        ),
        ("g / G", pick("first / last event", "第一个 / 最后一个事件")),
        (":", pick("go to an event by seq", "按编号跳到事件")),
        (
            "/  n / N",
            pick(
                "search the lines; next / previous match",
                "搜索文字；下一个 / 上一个匹配",
            ),
        ),
        (
            "f",
            pick(
                "choose event kinds (Space ticks, a all, Enter)",
                "选择事件种类（空格勾选，a 全选，回车）",
            ),
        ),
        (
            "p",
            pick(
                "follow one process (p again: all)",
                "只看一个进程（再按 p：全部）",
            ),
        ),
        (
            "c",
            pick(
                "collapse library and locale file events",
                "隐藏库文件和 locale 文件的事件",
            ),
        ),
        (
            "t",
            pick("show / hide the process tree", "显示 / 隐藏进程树"),
        ),
        (
            "Tab  Enter",
            pick(
                "choose a finding; go to its event",
                "选择诊断发现；跳到它的事件",
            ),
        ),
        (
            "v",
            pick(
                "the kernel view of the diagram (fd table → open file → object), and back",
                "切换到图的内核视图（fd 表 → 打开文件 → 对象），再按一次切回",
            ),
        ),
        (
            pick("mouse wheel", "鼠标滚轮"),
            pick("step, or scroll the diagram", "逐步移动，或滚动图"),
        ),
        (
            "?",
            pick("this help (any key closes)", "本帮助（任意键关闭）"),
        ),
        ("q  Ctrl-C", pick("quit", "退出")),
    ]
}

/// Draws the whole view.
pub fn draw(f: &mut Frame, app: &mut App) {
    let [main, status] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(f.area());
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(main);
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
    let title = match (seq, lang::current()) {
        (Some(s), lang::Lang::En) => format!(" diagram after #{s} "),
        (Some(s), lang::Lang::Zh) => format!(" #{s} 之后的图 "),
        (None, _) => format!(" {} ", pick("diagram", "图")),
    };
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
                    .title(Span::styled(pick(" process tree ", " 进程树 "), bold)),
            ),
            parts[k],
        );
        k += 1;
    }
    let pipes: Vec<Line> = if drawn.pipes.is_empty() {
        vec![Line::from(pick("(no pipe open)", "（没有打开的管道）"))]
    } else {
        drawn.pipes.iter().map(|l| Line::from(l.as_str())).collect()
    };
    f.render_widget(
        Paragraph::new(pipes).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(pick(" pipes ", " 管道 "), bold)),
        ),
        parts[k],
    );
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        pick(" doctor (Tab, Enter) ", " 诊断（Tab，回车） "),
        bold,
    ));
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
        Mode::Kinds(at, ticked) => kinds(f, *at, ticked),
        _ => {}
    }
}

/// The timeline pane; returns its inside.
fn timeline(f: &mut Frame, app: &mut App, area: Rect) -> Rect {
    let title = match (app.current(), lang::current()) {
        (Some(_), lang::Lang::En) => format!(" timeline {}/{} ", app.pos + 1, app.rows.len()),
        (Some(_), lang::Lang::Zh) => format!(" 时间线 {}/{} ", app.pos + 1, app.rows.len()),
        (None, _) => format!(" {} ", pick("timeline", "时间线")),
    };
    let block = Block::default().borders(Borders::ALL).title(Span::styled(
        title,
        Style::default().add_modifier(Modifier::BOLD),
    ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if app.rows.is_empty() {
        f.render_widget(
            Paragraph::new(pick(
                "no event is kept by the filters (f, p, c change them)",
                "没有符合筛选条件的事件（用 f、p、c 修改）",
            ))
            .wrap(Wrap { trim: true }),
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
            vec![Line::from(pick(
                "reading the trace for findings…",
                "正在读 trace 查找问题…",
            ))],
        ),
        Findings::Failed(e) => (1, vec![Line::from(e.clone())]),
        Findings::Done(list) if list.is_empty() => {
            (1, vec![Line::from(pick("nothing found", "没有发现问题"))])
        }
        Findings::Done(list) => {
            let chosen = match app.mode {
                Mode::Findings(at) => Some(at),
                _ => None,
            };
            let lines = list
                .iter()
                .enumerate()
                .map(|(n, f)| {
                    let summary =
                        crate::words::finding::summary(crate::words::lang::current(), &f.fact);
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
            let head = match ask {
                Ask::Seq => pick("go to seq: ", "跳到编号："),
                Ask::Search => pick("search: /", "搜索：/"),
                Ask::Follow => pick("follow pid (Enter): ", "跟踪进程号（回车）："),
            };
            format!("{head}{text}█")
        }
        _ => {
            let mut s = match app.current() {
                Some(i) => format!("#{} ", app.ix.seq(i)),
                None => String::new(),
            };
            let filters = app.filters();
            if !filters.is_empty() {
                s.push_str(&format!("[{filters}] "));
            }
            match &app.message {
                Some(m) => s.push_str(m),
                None => s.push_str(pick("? help  q quit", "? 帮助  q 退出")),
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

fn help(f: &mut Frame, _app: &App) {
    let keys = help_lines();
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
                .title(pick(" keys ", " 按键 ")),
        ),
        area,
    );
}

fn kinds(f: &mut Frame, at: usize, ticked: &[bool]) {
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
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(pick(
            " event kinds (Space, Enter) ",
            " 事件种类（空格，回车） ",
        ))),
        area,
    );
}
