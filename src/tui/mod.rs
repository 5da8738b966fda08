//! `forkscope view`: an interactive terminal stepper over a trace, drawn
//! with ratatui on crossterm.
//!
//! - [`index`]: the trace read once into a per-event index plus model
//!   checkpoints, so any event is reached by replaying a few thousand
//!   events at most.
//! - [`app`]: the state and the keys (no terminal).
//! - [`draw`]: the layout.
//! - [`ansi`]: the coloured text of `replay` and `diagram` as ratatui spans.
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Set by the signal handler: leave the loop and restore the terminal.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
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

/// Opens the trace at `path` and runs the view, worded in `lang`, until `q`.
pub fn run(path: &Path, style: Style, lang: Lang) -> anyhow::Result<i32> {
    let refuse = |r: Refusal| anyhow::anyhow!(words::refusal(lang, &r));
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(refuse(Refusal::NeedsTerminal {
            path: path.to_path_buf(),
        }));
    }
    let ix = Index::open(path)?;
    for w in &ix.warnings {
        crate::errln!("forkscope: warning: {}: {w}", path.display());
    }
    if ix.is_empty() {
        return Err(refuse(Refusal::NoEvents {
            path: path.to_path_buf(),
        }));
    }
    let findings = doctor_in_background(path);
    let mut app = App::new(ix, findings, style, lang);

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
    while !app.quit && !STOP.load(Ordering::SeqCst) {
        if app.poll_findings() {
            dirty = true;
        }
        if dirty {
            term.draw(|f| draw::draw(f, &mut app))?;
            dirty = false;
        }
        let wait = if app.searching() {
            // A slice of the search moved the cursor or the progress note.
            app.search_slice();
            dirty = true;
            Duration::ZERO
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
    Ok(0)
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
