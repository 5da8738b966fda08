//! `forkscope view`: an interactive terminal stepper over a trace, drawn
//! with ratatui on crossterm.
//!
//! - [`index`]: the trace read once into a per-event index plus model
//!   checkpoints, so any event is reached by replaying a few thousand
//!   events at most.
//! - [`app`]: the state and the keys (no terminal).
//! - [`draw`]: the layout.
//! - [`ansi`]: the coloured text of `replay` and `diagram` as ratatui spans.
//! - [`live`]: `record --tui`, the recorder on a pseudo-terminal whose
//!   screen is a pane of the view.
//!
//! This module owns the terminal: raw mode, the alternate screen and mouse
//! capture are turned on by [`run`] and always turned off again: on return,
//! on error, on panic (a hook restores the terminal before the panic
//! message is printed) and on SIGTERM, SIGHUP or SIGINT (a handler sets a
//! flag the event loop checks at least every 100 ms).

pub mod ansi;
pub mod app;
pub mod draw;
pub mod facts;
pub mod index;
pub mod live;

use crate::analysis;
use crate::cli::style::Style;
use crate::trace::TraceReader;
use crate::words::{tui as words, Lang};
use app::{App, Findings};
use crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use facts::Refusal;
use index::Index;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// Set by the signal handler to the signal's number: leave the loop and
/// restore the terminal.
static STOP: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    STOP.store(sig, Ordering::SeqCst);
}

/// Runs the doctor over the trace on another thread; the view shows the
/// findings when it is done, and stays usable meanwhile.
pub fn doctor_in_background(path: &Path) -> Findings {
    let (tx, rx) = std::sync::mpsc::channel();
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        let report = TraceReader::open(&path)
            .map_err(|e| e.to_string())
            .and_then(|mut r| analysis::diagnose(&mut r).map_err(|e| e.to_string()));
        let _ = tx.send(report);
    });
    Findings::Pending(rx)
}

/// Turns the terminal back to how it was (each step is tried even if one fails).
fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        std::io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped (return and `?` paths).
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Opens the trace at `path` and runs the view, worded in `lang`, until
/// `q`. The trace is read on another thread: the first screen comes once
/// its first events are read.
pub fn run(path: &Path, style: Style, lang: Lang) -> anyhow::Result<i32> {
    let refuse = |r: Refusal| anyhow::anyhow!(words::refusal(lang, &r));
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(refuse(Refusal::NeedsTerminal {
            path: path.to_path_buf(),
        }));
    }
    let ix = Index::open_in_background(path)?;
    // The reader's warnings (a truncated tail, unknown kinds) go to stderr
    // before the view starts when the trace is read whole by then, else
    // once the view has ended and the terminal is restored.
    let warned = ix.complete();
    if warned {
        for w in &ix.warnings {
            crate::errln!("forkscope: warning: {}: {w}", path.display());
        }
    }
    if ix.is_empty() {
        return Err(refuse(Refusal::NoEvents {
            path: path.to_path_buf(),
        }));
    }
    let findings = doctor_in_background(path);
    let mut app = App::new(ix, findings, style, lang);
    event_loop(&mut app)?;
    if !warned {
        for w in &app.ix.warnings {
            crate::errln!("forkscope: warning: {}: {w}", path.display());
        }
    }
    Ok(0)
}

/// The report of a recorded hang (a `stall` event), as lines in `lang`:
/// from its facts when the trace has them, else its English sentences.
pub(crate) fn hang_lines(lang: Lang, kind: &crate::trace::EventKind) -> Vec<String> {
    use crate::trace::hang::{Hang, HangKind};
    use crate::words::hang as hang_words;
    let crate::trace::EventKind::Stall {
        hang,
        summary,
        steps,
        fix,
        facts,
        ..
    } = kind
    else {
        return Vec::new();
    };
    let text = match (facts, HangKind::parse(hang)) {
        (Some(f), Some(kind)) => crate::render::hang::text(
            &Hang {
                kind,
                facts: (**f).clone(),
                cycle: Vec::new(),
                tasks: Vec::new(),
                fds: Vec::new(),
                pipes: Vec::new(),
            },
            lang,
            crate::render::hang::Paint::default(),
        ),
        _ => {
            let mut s = format!(
                "{}{}\n",
                hang_words::kind_of_recorded(lang, hang),
                crate::words::text::visible(summary)
            );
            for st in steps {
                s.push_str(&format!("  {}\n", crate::words::text::visible(st)));
            }
            let (label, sep) = hang_words::fix_label(lang);
            s.push_str(&format!(
                "  {label}{sep}{}\n",
                crate::words::text::visible(fix)
            ));
            s
        }
    };
    text.lines().map(str::to_string).collect()
}

/// `record --tui` refuses to start without a terminal on stdin and stdout.
pub fn needs_terminal(lang: Lang) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(anyhow::anyhow!(words::refusal(
            lang,
            &Refusal::RecordNeedsTerminal
        )));
    }
    Ok(())
}

/// `forkscope record --tui`: starts the recorder (`forkscope` with
/// `recorder_args`) on a pseudo-terminal, writing `trace`, and runs the
/// view over the trace as it grows, until `q`. Returns how the recorder
/// ended (the program's status, as plain `record` ends).
pub fn record(
    recorder_args: &[std::ffi::OsString],
    trace: &Path,
    style: Style,
    lang: Lang,
) -> anyhow::Result<std::process::ExitStatus> {
    needs_terminal(lang)?;
    // The program's pane starts at about the size draw gives it (the left
    // half, below the timeline); the first frame sets it exactly.
    let (cols, rows) = terminal::size().unwrap_or((80, 24));
    let live = live::Live::start(
        recorder_args,
        trace,
        (rows / 2).saturating_sub(2).max(1),
        (cols / 2).saturating_sub(2).max(1),
    )?;
    let ix = Index::follow(trace, std::sync::Arc::clone(&live.done));
    let mut app = App::new(ix, Findings::AfterRecording, style, lang);
    app.live = Some(live);
    app.program_keys = true;
    let looped = event_loop(&mut app);
    let mut live = app.live.take().expect("set above");
    // A signal that ended the view goes on to the recorder, which hands a
    // signal sent to it alone on to the program (as plain `record` does).
    let sig = STOP.load(Ordering::SeqCst);
    if sig != 0 {
        live.signal(sig);
    }
    // The terminal is the user's again: a program still running loses its
    // terminal (SIGHUP) and the recorder ends when it does.
    let status = live.finish()?;
    looped?;
    Ok(status)
}

/// Runs the view in the terminal until `q` or a signal, restoring the
/// terminal however it ends.
fn event_loop(app: &mut App) -> anyhow::Result<()> {
    for sig in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT] {
        // SAFETY: the handler only stores into an atomic, which is
        // async-signal-safe; no SA_RESTART, so a blocking read returns EINTR
        // and the loop sees the flag.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        hook(info);
    }));
    watch_for_hangup();
    terminal::enable_raw_mode()?;
    let _guard = Guard;
    crossterm::execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    term.clear()?;
    let mut dirty = true;
    while !app.quit && STOP.load(Ordering::SeqCst) == 0 {
        if app.poll_findings() | app.grow() {
            dirty = true;
        }
        if let Some(live) = &app.live {
            if live.fresh.swap(false, Ordering::AcqRel) {
                dirty = true;
            }
        }
        if dirty {
            term.draw(|f| draw::draw(f, app))?;
            dirty = false;
        }
        let wait = if app.searching() {
            // A slice of the search moved the cursor or the progress note.
            app.search_slice();
            dirty = true;
            Duration::ZERO
        } else if app.live.is_some() || !app.ix.complete() {
            // The program's screen and the trace change on their own.
            Duration::from_millis(30)
        } else {
            Duration::from_millis(100)
        };
        if !poll(wait)? {
            continue;
        }
        match event::read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => app.key(k),
            Ok(Event::Mouse(m)) => app.mouse(m),
            Ok(Event::Resize(..)) => term.autoresize()?,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
        dirty = true;
    }
    Ok(())
}

/// Ends the process when the terminal hangs up (ssh dropped, the tmux pane
/// killed). The main loop cannot see it: crossterm's reader (0.28) retries
/// a read that returns end-of-file without end, so `event::poll` never
/// returns once the tty is gone. Nothing is left to restore on a dead
/// terminal; the exit status is a shell's for SIGHUP.
fn watch_for_hangup() {
    let _ = std::thread::Builder::new()
        .name("forkscope-tty-watch".into())
        .spawn(|| loop {
            std::thread::sleep(Duration::from_millis(250));
            if terminal_gone() {
                // SAFETY: _exit ends the process at once; no Rust state
                // needs unwinding for a view whose terminal is gone.
                unsafe { libc::_exit(128 + libc::SIGHUP) };
            }
        });
}

/// Has the controlling terminal hung up? A hung-up tty answers every
/// ioctl with EIO (and reads with end-of-file, which crossterm's poll
/// takes as "no event yet": without this check the view would spin on a
/// dead terminal forever).
fn terminal_gone() -> bool {
    // SAFETY: tcgetattr writes one termios through a valid pointer.
    let r = unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        libc::tcgetattr(libc::STDIN_FILENO, &mut t)
    };
    r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EIO)
}

/// `event::poll`, with a signal's interruption read as "nothing yet".
fn poll(wait: Duration) -> anyhow::Result<bool> {
    match event::poll(wait) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests;
