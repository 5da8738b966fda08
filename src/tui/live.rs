//! `forkscope record --tui`: the program runs under an ordinary
//! `forkscope record` (the same binary, the same options less `--tui`, the
//! trace written to a file) whose standard input, output and error are a
//! pseudo-terminal this view owns; the view follows the trace file as it
//! grows (see [`super::index::Index::follow`]) and draws the terminal's
//! screen in a pane of its own (a `vt100` parser, drawn by `tui-term`).
//!
//! Why a second process: the recorder and the program must sit in a
//! session whose controlling terminal is the pseudo-terminal, so that the
//! program sees a terminal (isatty, /dev/tty, window size, job control) and
//! Ctrl-C typed in its pane reaches it through the terminal's line
//! discipline, as in a shell. A session is made by setsid(2), which a
//! process-group leader (forkscope, started by a shell) may not call: so the
//! recorder is started in a new session (setsid, then TIOCSCTTY on the
//! terminal: "the calling process must be a session leader and not have a
//! controlling terminal already", tty_ioctl(4)). It then records as plain
//! `record` does: the program is its child, and the recorder's exit status
//! is the program's, which this view hands on when it ends.

use nix::pty::{openpty, Winsize};
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Scrollback lines kept by the program's screen.
const SCROLLBACK: usize = 1000;

/// The recorder and its terminal.
pub struct Live {
    /// The program's screen, fed by the reader thread.
    pub screen: Arc<Mutex<tui_term::vt100::Parser>>,
    /// The terminal's master side, where keys for the program are written.
    master: Option<File>,
    child: Child,
    /// How the recorder ended, once it has.
    pub ended: Option<ExitStatus>,
    /// Set when the recorder ended: the trace is complete.
    pub done: Arc<AtomicBool>,
    /// The pane's size (rows, columns) the terminal was last given.
    size: (u16, u16),
    /// The trace file being written.
    pub trace: PathBuf,
    /// Bytes came from the program since the last draw.
    pub fresh: Arc<AtomicBool>,
}

/// Sets FD_CLOEXEC, so the descriptor is not inherited by the recorder
/// (nor, through it, by the program).
fn cloexec(fd: &OwnedFd) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor this process owns.
    let r = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

impl Live {
    /// Starts `forkscope ARGS` (`args`: a `record` command line writing to
    /// `trace`) on a new pseudo-terminal of `rows`×`cols`.
    pub fn start(args: &[OsString], trace: &Path, rows: u16, cols: u16) -> std::io::Result<Live> {
        let ws = Winsize {
            ws_row: rows.max(1),
            ws_col: cols.max(1),
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = openpty(Some(&ws), None).map_err(std::io::Error::from)?;
        cloexec(&pty.master)?;
        cloexec(&pty.slave)?;
        let exe = std::env::current_exe()?;
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .stdin(Stdio::from(pty.slave.try_clone()?))
            .stdout(Stdio::from(pty.slave.try_clone()?))
            .stderr(Stdio::from(pty.slave.try_clone()?));
        // SAFETY: setsid and ioctl are async-signal-safe; they run in the
        // child between fork and exec, after its stdio became the terminal.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The terminal on fd 0 becomes the session's controlling
                // terminal, and the recorder's group its foreground group.
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        // Only the recorder holds the terminal's slave side now: when it and
        // the program are gone, reading the master ends (EIO).
        drop(pty.slave);
        let master = File::from(pty.master);
        let screen = Arc::new(Mutex::new(tui_term::vt100::Parser::new(
            rows.max(1),
            cols.max(1),
            SCROLLBACK,
        )));
        let fresh = Arc::new(AtomicBool::new(true));
        let mut reader = master.try_clone()?;
        let (s, f) = (Arc::clone(&screen), Arc::clone(&fresh));
        std::thread::Builder::new()
            .name("forkscope-pty".into())
            .spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            s.lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .process(&buf[..n]);
                            f.store(true, Ordering::Release);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        // EIO: every holder of the slave side is gone.
                        Err(_) => break,
                    }
                }
            })?;
        Ok(Live {
            screen,
            master: Some(master),
            child,
            ended: None,
            done: Arc::new(AtomicBool::new(false)),
            size: (rows.max(1), cols.max(1)),
            trace: trace.to_path_buf(),
            fresh,
        })
    }

    /// Has the recorder ended? (Checked without waiting; once it has, the
    /// trace is complete and `done` is set.)
    pub fn check(&mut self) -> bool {
        if self.ended.is_none() {
            if let Ok(Some(st)) = self.child.try_wait() {
                self.ended = Some(st);
                self.done.store(true, Ordering::Release);
                return true;
            }
        }
        false
    }

    /// Sends signal `sig` to the recorder, if it still runs.
    pub fn signal(&mut self, sig: i32) {
        if self.ended.is_none() {
            // SAFETY: kill(2) on the recorder's pid, which is not reaped yet
            // (try_wait did not see it end), so the pid is still its own.
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, sig);
            }
        }
    }

    /// Sends bytes to the program, as typed on its terminal.
    pub fn send(&mut self, bytes: &[u8]) {
        if self.ended.is_some() {
            return;
        }
        if let Some(m) = &mut self.master {
            let _ = m.write_all(bytes);
        }
    }

    /// Gives the terminal a new size (the program gets SIGWINCH).
    pub fn resize(&mut self, rows: u16, cols: u16) {
        let (rows, cols) = (rows.max(1), cols.max(1));
        if self.size == (rows, cols) {
            return;
        }
        self.size = (rows, cols);
        self.screen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .set_size(rows, cols);
        if let Some(m) = &self.master {
            let ws = libc::winsize {
                ws_row: rows,
                ws_col: cols,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            // SAFETY: TIOCSWINSZ reads one winsize through a valid pointer.
            unsafe {
                libc::ioctl(m.as_raw_fd(), libc::TIOCSWINSZ, &ws);
            }
        }
    }

    /// Ends the view's side: closes the terminal (a program still running
    /// gets SIGHUP from the kernel, as when a terminal window is closed,
    /// and the recorder ends when it does) and waits for the recorder.
    pub fn finish(mut self) -> std::io::Result<ExitStatus> {
        if let Some(st) = self.ended {
            return Ok(st);
        }
        drop(self.master.take());
        let st = self.child.wait()?;
        self.done.store(true, Ordering::Release);
        Ok(st)
    }
}

/// A process's end as the trace words it.
pub fn status_of(st: ExitStatus) -> crate::trace::Status {
    use std::os::unix::process::ExitStatusExt;
    match (st.code(), st.signal()) {
        (Some(exited), _) => crate::trace::Status::Exited { exited },
        (None, Some(sig)) => crate::trace::Status::Signaled {
            signaled: crate::trace::Sig(sig),
            core: st.core_dumped(),
        },
        (None, None) => crate::trace::Status::Exited { exited: -1 },
    }
}

/// The bytes a terminal sends for a key, for the program's pane: what
/// xterm sends in its default modes (the cursor keys in normal mode, or in
/// application mode when the program asked for it).
pub fn key_bytes(k: &crossterm::event::KeyEvent, app_cursor: bool) -> Vec<u8> {
    use crossterm::event::{KeyCode, KeyModifiers};
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let alt = k.modifiers.contains(KeyModifiers::ALT);
    let cursor = |c: u8| {
        if app_cursor {
            vec![0x1b, b'O', c]
        } else {
            vec![0x1b, b'[', c]
        }
    };
    let mut out = match k.code {
        KeyCode::Char(c) if ctrl => match c.to_ascii_lowercase() {
            c @ 'a'..='z' => vec![c as u8 - b'a' + 1],
            ' ' | '@' | '2' => vec![0],
            '[' | '3' => vec![0x1b],
            '\\' | '4' => vec![0x1c],
            ']' | '5' => vec![0x1d],
            '^' | '6' => vec![0x1e],
            '_' | '7' | '/' => vec![0x1f],
            c => c.to_string().into_bytes(),
        },
        KeyCode::Char(c) => c.to_string().into_bytes(),
        KeyCode::Enter => vec![b'\r'],
        KeyCode::Backspace => vec![0x7f],
        KeyCode::Tab => vec![b'\t'],
        KeyCode::BackTab => b"\x1b[Z".to_vec(),
        KeyCode::Esc => vec![0x1b],
        KeyCode::Up => cursor(b'A'),
        KeyCode::Down => cursor(b'B'),
        KeyCode::Right => cursor(b'C'),
        KeyCode::Left => cursor(b'D'),
        KeyCode::Home => cursor(b'H'),
        KeyCode::End => cursor(b'F'),
        KeyCode::PageUp => b"\x1b[5~".to_vec(),
        KeyCode::PageDown => b"\x1b[6~".to_vec(),
        KeyCode::Insert => b"\x1b[2~".to_vec(),
        KeyCode::Delete => b"\x1b[3~".to_vec(),
        KeyCode::F(n @ 1..=4) => vec![0x1b, b'O', b'P' + n - 1],
        KeyCode::F(n) => {
            let code = match n {
                5 => 15,
                6 => 17,
                7 => 18,
                8 => 19,
                9 => 20,
                10 => 21,
                11 => 23,
                12 => 24,
                _ => return Vec::new(),
            };
            format!("\x1b[{code}~").into_bytes()
        }
        _ => Vec::new(),
    };
    if alt && !out.is_empty() {
        out.insert(0, 0x1b);
    }
    out
}

/// The `forkscope record` command line the recorder runs: forkscope's own
/// arguments less `--tui`, with `-o TRACE` when no file was named. `raw`
/// is forkscope's argv without its name; the last `command` of them are
/// the program and its arguments, left as they are.
pub fn recorder_args(raw: &[OsString], command: usize, trace: &Path, named: bool) -> Vec<OsString> {
    let split = raw.len().saturating_sub(command);
    let (head, cmd) = raw.split_at(split);
    let mut out: Vec<OsString> = head.iter().filter(|a| *a != "--tui").cloned().collect();
    if !named {
        let at = match out.last() {
            Some(a) if a == "--" => out.len() - 1,
            _ => out.len(),
        };
        out.insert(at, OsString::from("-o"));
        out.insert(at + 1, trace.as_os_str().to_owned());
    }
    out.extend(cmd.iter().cloned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_recorder_gets_the_same_options_less_tui_and_a_trace_file() {
        let raw = os(&[
            "--lang",
            "zh",
            "record",
            "--tui",
            "--stall-timeout",
            "1",
            "--",
            "sh",
            "-c",
            "--tui",
        ]);
        let got = recorder_args(&raw, 3, Path::new("t.jsonl"), false);
        assert_eq!(
            got,
            os(&[
                "--lang",
                "zh",
                "record",
                "--stall-timeout",
                "1",
                "-o",
                "t.jsonl",
                "--",
                "sh",
                "-c",
                "--tui"
            ])
        );
        let raw = os(&["record", "-o", "x.jsonl", "--tui", "true"]);
        assert_eq!(
            recorder_args(&raw, 1, Path::new("x.jsonl"), true),
            os(&["record", "-o", "x.jsonl", "true"])
        );
    }

    #[test]
    fn keys_become_the_bytes_a_terminal_sends() {
        let k = |c, m| key_bytes(&KeyEvent::new(c, m), false);
        assert_eq!(k(KeyCode::Char('c'), KeyModifiers::CONTROL), vec![3]);
        assert_eq!(k(KeyCode::Char('é'), KeyModifiers::NONE), "é".as_bytes());
        assert_eq!(k(KeyCode::Enter, KeyModifiers::NONE), b"\r");
        assert_eq!(k(KeyCode::Up, KeyModifiers::NONE), b"\x1b[A");
        assert_eq!(
            key_bytes(&KeyEvent::new(KeyCode::Up, KeyModifiers::NONE), true),
            b"\x1bOA"
        );
        assert_eq!(k(KeyCode::Char('x'), KeyModifiers::ALT), b"\x1bx");
    }
}
