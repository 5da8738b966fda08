//! The state of `forkscope view` and what each key does to it. No terminal
//! here: keys and mouse events come in, the state changes, and
//! [`super::draw`] paints it; tests drive it with ratatui's test backend.
//!
//! The timeline is a list of rows (the events the filters keep, by index
//! into the [`Index`]); the current event is one row. Lines, the diagram
//! and the pipes come from replaying the model to an event (see
//! [`super::index::At`]); lines are cached, so stepping renders one new line.

use super::ansi;
use super::facts::{Filter, Message, PipeLine, PipeVerdict};
use super::index::{At, Index};
use crate::analysis::{Finding, Report};
use crate::cli::style::Style;
use crate::render::ascii;
use crate::render::scene::SceneOptions;
use crate::trace::{EventKind, Pid};
use crate::words::{self, Lang};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use ratatui::text::Line;
use std::collections::{HashMap, HashSet};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// What the doctor found, once its background pass is done.
pub enum Findings {
    /// Still running.
    Pending(Receiver<Result<Report, String>>),
    /// Done.
    Done(Vec<Finding>),
    /// It failed (the message says why).
    Failed(String),
    /// Its thread ended without a report.
    Stopped,
    /// `record --tui`: it starts when the recording ends.
    AfterRecording,
}

/// What a typed line is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ask {
    /// `:` a seq to go to.
    Seq,
    /// `/` text to search.
    Search,
    /// `p` a pid to follow.
    Follow,
}

/// What the keys act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The timeline (and the other panes' shortcuts).
    Normal,
    /// Typing a line at the bottom.
    Prompt(Ask, String),
    /// Choosing event kinds: the cursor and the kinds ticked.
    Kinds(usize, Vec<bool>),
    /// The list of keys.
    Help,
    /// The findings list has the keys: which one is chosen.
    Findings(usize),
    /// `record --tui`: the report of a hang the recorder found, opened in
    /// place (its lines, in the view's language).
    Hang(Vec<String>),
}

/// A search under way (it runs in slices so keys keep answering).
#[derive(Clone, Debug)]
struct Search {
    /// Lower-cased text.
    needle: String,
    forward: bool,
    /// Forward: the next row to test. Backward: rows below this are left.
    next: usize,
}

/// Where the panes were last drawn (for the mouse and paging).
#[derive(Clone, Copy, Debug, Default)]
pub struct Areas {
    /// The timeline's inside.
    pub timeline: Rect,
    /// The diagram's inside.
    pub diagram: Rect,
    /// The findings' inside.
    pub findings: Rect,
}

/// The view's whole state.
pub struct App {
    /// The trace.
    pub ix: Index,
    /// Rows: the events the filters keep, by index.
    pub rows: Vec<u32>,
    /// The current row.
    pub pos: usize,
    /// The first row shown.
    pub top: usize,
    /// Kinds kept (`None`: all).
    pub kinds: Option<HashSet<&'static str>>,
    /// The process followed.
    pub follow: Option<Pid>,
    /// Library and locale file events left out.
    pub collapse: bool,
    /// The process tree pane is shown.
    pub show_tree: bool,
    /// The diagram pane shows the kernel view (fd tables, open files,
    /// objects) instead of the process boxes (`v`).
    pub kernel_view: bool,
    /// What the keys act on.
    pub mode: Mode,
    /// The last search text (for n / N).
    pub last_search: Option<String>,
    search: Option<Search>,
    /// The doctor's findings.
    pub findings: Findings,
    /// A message for the status line.
    pub message: Option<Message>,
    /// Lines drawn in colour.
    pub style: Style,
    /// The language of the view's words.
    pub lang: Lang,
    /// The diagram's first line shown.
    pub diagram_scroll: u16,
    /// Where the panes were drawn.
    pub areas: Areas,
    /// Set by `q`.
    pub quit: bool,
    /// `record --tui`: the recorder, its terminal and the program's screen.
    pub live: Option<super::live::Live>,
    /// `record --tui`: keys go to the program (Ctrl-O switches).
    pub program_keys: bool,
    cur: At,
    scan: At,
    lines: HashMap<u32, Line<'static>>,
    /// Right-hand panes already drawn, by (event, followed pid, collapse):
    /// stepping back to an event seen before needs no replay.
    drawn: HashMap<(usize, Option<Pid>, bool), Drawn>,
}

/// The most right-hand panes kept.
const DRAWN_KEPT: usize = 512;

/// The right-hand panes at the current event.
#[derive(Clone, Debug, Default)]
pub struct Drawn {
    /// The ascii diagram.
    pub diagram: Vec<Line<'static>>,
    /// One line per live pipe with its holders.
    pub pipes: Vec<String>,
    /// The process tree: one line per live process, indented by depth.
    pub tree: Vec<String>,
}

/// Rows a page moves when the timeline was not drawn yet.
const PAGE: usize = 20;

/// The longest a slice of searching runs before keys are read again.
const SLICE: Duration = Duration::from_millis(30);

impl App {
    /// A view of `ix`, at its first event, worded in `lang`.
    pub fn new(ix: Index, findings: Findings, style: Style, lang: Lang) -> App {
        let mut app = App {
            ix,
            rows: Vec::new(),
            pos: 0,
            top: 0,
            kinds: None,
            follow: None,
            collapse: false,
            show_tree: false,
            kernel_view: false,
            mode: Mode::Normal,
            last_search: None,
            search: None,
            findings,
            message: None,
            style,
            lang,
            diagram_scroll: 0,
            areas: Areas::default(),
            quit: false,
            live: None,
            program_keys: false,
            cur: At::default(),
            scan: At::default(),
            lines: HashMap::new(),
            drawn: HashMap::new(),
        };
        app.refilter(None);
        app
    }

    /// The current event's index, if any row is kept.
    pub fn current(&self) -> Option<usize> {
        self.rows.get(self.pos).map(|i| *i as usize)
    }

    /// Is a search running?
    pub fn searching(&self) -> bool {
        self.search.is_some()
    }

    /// Takes the doctor's report when it is ready.
    pub fn poll_findings(&mut self) -> bool {
        let Findings::Pending(rx) = &self.findings else {
            return false;
        };
        match rx.try_recv() {
            Ok(Ok(r)) => self.findings = Findings::Done(r.findings),
            Ok(Err(e)) => self.findings = Findings::Failed(e),
            Err(std::sync::mpsc::TryRecvError::Empty) => return false,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => self.findings = Findings::Stopped,
        }
        true
    }

    /// Do the filters keep event `i`?
    fn keeps(&self, i: usize) -> bool {
        let ix = &self.ix;
        self.follow.is_none_or(|p| ix.pid(i) == p)
            && !(self.collapse && ix.file_only(i))
            && self
                .kinds
                .as_ref()
                .is_none_or(|k| ix.kind(i).is_some_and(|n| k.contains(n)))
    }

    /// Takes in the events read since the last call (the trace is read on
    /// another thread; with `record --tui` it grows while the program
    /// runs). A live view on its last row stays on the last row, and a
    /// hang the recorder found opens its report. True if anything changed.
    pub fn grow(&mut self) -> bool {
        let mut changed = false;
        if let Some(live) = &mut self.live {
            if live.check() {
                self.program_keys = false;
                changed = true;
            }
        }
        let old = self.ix.len();
        let on_last = self.pos + 1 >= self.rows.len();
        if !self.ix.poll() {
            return changed;
        }
        for i in old..self.ix.len() {
            if self.keeps(i) {
                self.rows.push(i as u32);
            }
        }
        if self.live.is_some() {
            if on_last && self.mode == Mode::Normal && self.search.is_none() {
                self.go(usize::MAX);
            }
            for i in old..self.ix.len() {
                if self.ix.kind(i) == Some("stall") {
                    self.open_hang(i);
                }
            }
            if self.ix.complete() && matches!(self.findings, Findings::AfterRecording) {
                self.findings = super::doctor_in_background(self.ix.path());
            }
        }
        if let Some(e) = &self.ix.failed {
            self.message = Some(Message::Failed(e.clone()));
        }
        true
    }

    /// Opens the report of the hang recorded at event `i`, and goes there.
    fn open_hang(&mut self, i: usize) {
        let lines = match self.scan.goto(&self.ix, i) {
            Ok((_, step)) => super::hang_lines(self.lang, &step.event.kind),
            Err(e) => vec![e.to_string()],
        };
        if let Some(row) = self.rows.iter().position(|r| *r as usize == i) {
            self.go(row);
        }
        self.program_keys = false;
        self.mode = Mode::Hang(lines);
    }

    /// Rebuilds the rows from the filters, staying on event `keep` (or the
    /// first kept event after it).
    fn refilter(&mut self, keep: Option<usize>) {
        self.rows = (0..self.ix.len())
            .filter(|&i| self.keeps(i))
            .map(|i| i as u32)
            .collect();
        self.pos = match keep {
            Some(i) => self
                .rows
                .partition_point(|r| (*r as usize) < i)
                .min(self.rows.len().saturating_sub(1)),
            None => 0,
        };
        self.top = self.top.min(self.pos);
    }

    /// Moves to row `pos` (clamped).
    pub fn go(&mut self, pos: usize) {
        self.pos = pos.min(self.rows.len().saturating_sub(1));
        self.diagram_scroll = 0;
    }

    /// Moves by `delta` rows.
    fn step(&mut self, delta: isize) {
        self.go(self.pos.saturating_add_signed(delta));
    }

    fn page(&self) -> usize {
        match self.areas.timeline.height {
            0 => PAGE,
            h => usize::from(h).saturating_sub(1).max(1),
        }
    }

    /// Goes to the first kept event at or after `seq`.
    pub fn goto_seq(&mut self, seq: u64) {
        let i = self.ix.by_seq(seq);
        if i >= self.ix.len() {
            self.message = Some(Message::NoSuchEvent {
                seq,
                last: self.ix.seq(self.ix.len().saturating_sub(1)),
            });
            return;
        }
        let row = self.rows.partition_point(|r| (*r as usize) < i);
        if row >= self.rows.len() {
            self.message = Some(Message::NothingKeptAfter);
            return;
        }
        if self.rows[row] as usize != i {
            self.message = Some(Message::LeftOutByFilters { seq });
        }
        self.go(row);
    }

    /// Handles a key.
    pub fn key(&mut self, k: KeyEvent) {
        if let Some(live) = &mut self.live {
            if live.ended.is_none() {
                let ctrl_o = k.modifiers.contains(KeyModifiers::CONTROL)
                    && matches!(k.code, KeyCode::Char('o') | KeyCode::Char('O'));
                if ctrl_o {
                    self.program_keys = !self.program_keys;
                    if self.program_keys {
                        self.mode = Mode::Normal;
                    }
                    return;
                }
                if self.program_keys {
                    let app_cursor = live
                        .screen
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .screen()
                        .application_cursor();
                    live.send(&super::live::key_bytes(&k, app_cursor));
                    return;
                }
            }
        }
        if k.modifiers.contains(KeyModifiers::CONTROL)
            && matches!(k.code, KeyCode::Char('c') | KeyCode::Char('q'))
        {
            self.quit = true;
            return;
        }
        if self.search.is_some() {
            if k.code == KeyCode::Esc {
                self.search = None;
                self.message = Some(Message::SearchStopped);
            }
            return;
        }
        self.message = None;
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal => self.normal_key(k),
            Mode::Help => {
                if k.code == KeyCode::Char('q') {
                    self.quit = true;
                }
            }
            Mode::Prompt(ask, mut text) => match k.code {
                KeyCode::Esc => {}
                KeyCode::Enter => self.answer(ask, text.trim().to_string()),
                KeyCode::Backspace => {
                    if text.pop().is_some() {
                        self.mode = Mode::Prompt(ask, text);
                    }
                }
                KeyCode::Char(c) => {
                    text.push(c);
                    self.mode = Mode::Prompt(ask, text);
                }
                _ => self.mode = Mode::Prompt(ask, text),
            },
            Mode::Kinds(mut at, mut ticked) => match k.code {
                KeyCode::Esc => {}
                KeyCode::Down | KeyCode::Char('j') => {
                    at = (at + 1).min(ticked.len() - 1);
                    self.mode = Mode::Kinds(at, ticked);
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    self.mode = Mode::Kinds(at.saturating_sub(1), ticked);
                }
                KeyCode::Char(' ') => {
                    ticked[at] = !ticked[at];
                    self.mode = Mode::Kinds(at, ticked);
                }
                KeyCode::Char('a') => {
                    let all = ticked.iter().all(|t| *t);
                    ticked.iter_mut().for_each(|t| *t = !all);
                    self.mode = Mode::Kinds(at, ticked);
                }
                KeyCode::Enter => {
                    let keep = self.current();
                    self.kinds = if ticked.iter().all(|t| *t) {
                        None
                    } else {
                        Some(
                            EventKind::KNOWN
                                .iter()
                                .zip(&ticked)
                                .filter(|(_, t)| **t)
                                .map(|(k, _)| *k)
                                .collect(),
                        )
                    };
                    self.refilter(keep);
                }
                _ => self.mode = Mode::Kinds(at, ticked),
            },
            Mode::Hang(lines) => {
                if !matches!(k.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                    self.mode = Mode::Hang(lines);
                }
            }
            Mode::Findings(mut at) => {
                let n = match &self.findings {
                    Findings::Done(f) => f.len(),
                    _ => 0,
                };
                match k.code {
                    KeyCode::Esc | KeyCode::Tab => {}
                    KeyCode::Char('q') => self.quit = true,
                    KeyCode::Down | KeyCode::Char('j') => {
                        at = (at + 1).min(n.saturating_sub(1));
                        self.mode = Mode::Findings(at);
                    }
                    KeyCode::Up | KeyCode::Char('k') => {
                        self.mode = Mode::Findings(at.saturating_sub(1));
                    }
                    KeyCode::Enter => {
                        if let Findings::Done(f) = &self.findings {
                            if let Some(seq) = f.get(at).map(|f| f.at) {
                                self.goto_seq(seq);
                            }
                        }
                    }
                    _ => self.mode = Mode::Findings(at),
                }
            }
        }
    }

    fn normal_key(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Down | KeyCode::Char('j') => self.step(1),
            KeyCode::Up | KeyCode::Char('k') => self.step(-1),
            KeyCode::PageDown | KeyCode::Char(' ') => {
                let page = self.page();
                self.step(page as isize);
                self.top = (self.top + page).min(self.pos);
            }
            KeyCode::PageUp => {
                let page = self.page();
                self.step(-(page as isize));
                self.top = self.top.saturating_sub(page);
            }
            KeyCode::Home | KeyCode::Char('g') => self.go(0),
            KeyCode::End | KeyCode::Char('G') => self.go(usize::MAX),
            KeyCode::Char(':') => self.mode = Mode::Prompt(Ask::Seq, String::new()),
            KeyCode::Char('/') => self.mode = Mode::Prompt(Ask::Search, String::new()),
            KeyCode::Char('n') => self.search_again(true),
            KeyCode::Char('N') => self.search_again(false),
            KeyCode::Char('f') => {
                let ticked = EventKind::KNOWN
                    .iter()
                    .map(|k| self.kinds.as_ref().is_none_or(|s| s.contains(k)))
                    .collect();
                self.mode = Mode::Kinds(0, ticked);
            }
            KeyCode::Char('p') => {
                if let Some(pid) = self.follow {
                    self.follow = None;
                    let keep = self.current();
                    self.refilter(keep);
                    self.message = Some(Message::StoppedFollowing { pid });
                } else {
                    let pid = self.current().map(|i| self.ix.pid(i).to_string());
                    self.mode = Mode::Prompt(Ask::Follow, pid.unwrap_or_default());
                }
            }
            KeyCode::Char('c') => {
                self.collapse = !self.collapse;
                let keep = self.current();
                self.refilter(keep);
            }
            KeyCode::Char('t') => self.show_tree = !self.show_tree,
            KeyCode::Char('v') => {
                // The panes drawn so far are of the other view.
                self.kernel_view = !self.kernel_view;
                self.drawn.clear();
            }
            KeyCode::Char('?') => self.mode = Mode::Help,
            KeyCode::Tab => {
                if matches!(&self.findings, Findings::Done(f) if !f.is_empty()) {
                    self.mode = Mode::Findings(0);
                } else {
                    self.message = Some(match &self.findings {
                        Findings::Pending(_) | Findings::AfterRecording => {
                            Message::DoctorStillReading
                        }
                        _ => Message::DoctorFoundNothing,
                    });
                }
            }
            _ => {}
        }
    }

    fn answer(&mut self, ask: Ask, text: String) {
        if text.is_empty() && ask != Ask::Follow {
            return;
        }
        match ask {
            Ask::Seq => match text.trim_start_matches('#').parse::<u64>() {
                Ok(seq) => self.goto_seq(seq),
                Err(_) => self.message = Some(Message::NotASeq { text }),
            },
            Ask::Search => {
                self.last_search = Some(text);
                self.search_again(true);
            }
            Ask::Follow => {
                let pid = if text.is_empty() {
                    self.current().map(|i| self.ix.pid(i))
                } else {
                    text.parse().ok()
                };
                let Some(pid) = pid else {
                    self.message = Some(Message::NotAPid { text });
                    return;
                };
                if !(0..self.ix.len()).any(|i| self.ix.pid(i) == pid) {
                    self.message = Some(Message::NoEventsOf { pid });
                    return;
                }
                let keep = self.current();
                self.follow = Some(pid);
                self.refilter(keep);
            }
        }
    }

    /// Starts searching for the last search text (`n` forward, `N` back).
    fn search_again(&mut self, forward: bool) {
        let Some(text) = &self.last_search else {
            self.message = Some(Message::NoSearchYet);
            return;
        };
        self.search = Some(Search {
            needle: text.to_lowercase(),
            forward,
            next: if forward { self.pos + 1 } else { self.pos },
        });
    }

    /// Runs the search for a slice of time; true while it goes on.
    pub fn search_slice(&mut self) -> bool {
        let Some(mut s) = self.search.take() else {
            return false;
        };
        let start = Instant::now();
        let plain = Style::plain();
        while start.elapsed() < SLICE {
            if s.forward {
                let Some(&i) = self.rows.get(s.next) else {
                    self.not_found(&s.needle);
                    return false;
                };
                match self.text_of(i as usize, &plain) {
                    Ok(t) if t.to_lowercase().contains(&s.needle) => {
                        self.go(s.next);
                        return false;
                    }
                    Ok(_) => s.next += 1,
                    Err(e) => {
                        self.message = Some(Message::Failed(e));
                        return false;
                    }
                }
            } else {
                // Back: scan the rows of one checkpoint's stretch, forward.
                if s.next == 0 {
                    self.not_found(&s.needle);
                    return false;
                }
                let last = self.rows[s.next - 1] as usize;
                let from = self.ix.checkpoint_before(last);
                let lo = self.rows[..s.next].partition_point(|r| (*r as usize) < from);
                let mut found = None;
                for row in lo..s.next {
                    match self.text_of(self.rows[row] as usize, &plain) {
                        Ok(t) if t.to_lowercase().contains(&s.needle) => found = Some(row),
                        Ok(_) => {}
                        Err(e) => {
                            self.message = Some(Message::Failed(e));
                            return false;
                        }
                    }
                }
                if let Some(row) = found {
                    self.go(row);
                    return false;
                }
                s.next = lo;
            }
        }
        self.message = Some(Message::Searching {
            at: self.rows.get(s.next).map(|i| self.ix.seq(*i as usize)),
        });
        self.search = Some(s);
        true
    }

    fn not_found(&mut self, needle: &str) {
        self.message = Some(Message::NoMoreMatches {
            needle: needle.to_string(),
        });
    }

    /// The timeline line of event `i`, in `style`.
    fn text_of(&mut self, i: usize, style: &Style) -> Result<String, String> {
        let (r, step) = self.scan.goto(&self.ix, i).map_err(|e| e.to_string())?;
        Ok(crate::render::state::timeline_line(
            self.lang, r, step, style,
        ))
    }

    /// The line of row `row` (cached).
    pub fn line(&mut self, row: usize) -> Line<'static> {
        let i = self.rows[row];
        if let Some(l) = self.lines.get(&i) {
            return l.clone();
        }
        if self.lines.len() > 20_000 {
            self.lines.clear();
        }
        let style = self.style;
        let l = match self.text_of(i as usize, &style) {
            Ok(t) => ansi::line(&t),
            Err(e) => Line::from(e),
        };
        self.lines.insert(i, l.clone());
        l
    }

    /// Keeps the current row inside a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        let h = height.max(1);
        if self.pos < self.top {
            self.top = self.pos;
        } else if self.pos >= self.top + h {
            self.top = self.pos + 1 - h;
        }
        self.top = self.top.min(self.rows.len().saturating_sub(1));
    }

    /// The right-hand panes at the current event (kept until it changes).
    pub fn drawn(&mut self) -> Drawn {
        let Some(i) = self.current() else {
            return Drawn::default();
        };
        let key = (i, self.follow, self.collapse);
        if let Some(d) = self.drawn.get(&key) {
            return d.clone();
        }
        if self.drawn.len() >= DRAWN_KEPT {
            self.drawn.clear();
        }
        let d = match self.draw_at(i) {
            Ok(d) => d,
            Err(e) => Drawn {
                diagram: vec![Line::from(e)],
                ..Drawn::default()
            },
        };
        self.drawn.insert(key, d.clone());
        d
    }

    fn draw_at(&mut self, i: usize) -> Result<Drawn, String> {
        let (r, step) = self.cur.goto(&self.ix, i).map_err(|e| e.to_string())?;
        let opts = SceneOptions {
            pid: None,
            collapse_files: self.collapse,
            hide_cloexec: false,
            lang: self.lang,
        };
        let mut scene = crate::render::steps::scene_of(r, step, self.ix.title.clone(), &opts);
        if let Some(pid) = self.follow {
            for p in &mut scene.processes {
                p.highlight = p.pid == pid;
            }
        }
        let diagram = ansi::lines(&if self.kernel_view {
            ascii::render_kernel(
                &scene,
                ascii::Opts {
                    color: self.style.color,
                    width: 80,
                    plain: false,
                },
            )
        } else {
            ascii::render(&scene, self.style.color)
        });
        let m = &r.model;
        let mut pipes = Vec::new();
        for p in m.pipes() {
            let Some(h) = m.pipe_holders(p.id) else {
                continue;
            };
            let verdict = if h.writers.is_empty() && h.unknown.is_empty() {
                Some(PipeVerdict::Eof)
            } else if h.readers.is_empty() && h.unknown.is_empty() {
                Some(PipeVerdict::Sigpipe)
            } else {
                None
            };
            let line = PipeLine {
                name: r.labels.pipe(p.id),
                writers: h.writers,
                readers: h.readers,
                unknown: h.unknown,
                verdict,
            };
            pipes.push(words::tui::pipe_line(self.lang, &line));
        }
        let tree = scene
            .processes
            .iter()
            .map(|p| {
                let state = crate::words::diagram::state(self.lang, p.state);
                format!(
                    "{}{} {} ({state})",
                    "  ".repeat(p.depth),
                    p.pid,
                    ascii::visible(&p.program)
                )
            })
            .collect();
        Ok(Drawn {
            diagram,
            pipes,
            tree,
        })
    }

    /// Handles the mouse: the wheel steps the timeline or scrolls the
    /// diagram, whichever it is over.
    pub fn mouse(&mut self, m: MouseEvent) {
        let at = Position::new(m.column, m.row);
        let over_diagram = self.areas.diagram.contains(at);
        match m.kind {
            MouseEventKind::ScrollDown if over_diagram => {
                self.diagram_scroll = self.diagram_scroll.saturating_add(3)
            }
            MouseEventKind::ScrollUp if over_diagram => {
                self.diagram_scroll = self.diagram_scroll.saturating_sub(3)
            }
            MouseEventKind::ScrollDown => self.step(3),
            MouseEventKind::ScrollUp => self.step(-3),
            _ => {}
        }
    }

    /// A summary of the filters in force, for the status line.
    pub fn filters(&self) -> String {
        let mut parts = Vec::new();
        if let Some(k) = &self.kinds {
            let mut k: Vec<&str> = k.iter().copied().collect();
            k.sort_unstable();
            parts.push(Filter::Kinds(k));
        }
        if let Some(p) = self.follow {
            parts.push(Filter::Following(p));
        }
        if self.collapse {
            parts.push(Filter::FilesCollapsed);
        }
        words::tui::filters(self.lang, &parts)
    }
}
