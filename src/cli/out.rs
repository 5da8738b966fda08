//! Messages to stderr that never panic. `eprintln!` panics when stderr is
//! a closed pipe (`forkscope record … 2>&1 | true`), which would turn the
//! traced program's exit status into 101. A message that cannot be shown
//! changes nothing: the write error is dropped, and the command goes on
//! and exits as it would have.

use std::io::Write;

/// Writes `args` and a newline to stderr, ignoring write errors.
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_fmt(args).and_then(|_| e.write_all(b"\n"));
}

/// Writes `args` to stderr, ignoring write errors.
pub fn stderr_text(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// `eprintln!` that never panics: see [`stderr_line`].
#[macro_export]
macro_rules! errln {
    ($($t:tt)*) => {
        $crate::cli::out::stderr_line(format_args!($($t)*))
    };
}

/// `eprint!` that never panics: see [`stderr_text`].
#[macro_export]
macro_rules! errprint {
    ($($t:tt)*) => {
        $crate::cli::out::stderr_text(format_args!($($t)*))
    };
}

/// A write to stdout failed: the error it had. Its writer
/// ([`stdout`]) hands it back inside an `io::Error` of the same kind, so a
/// closed pipe is still a `BrokenPipe`, and `main` says that stdout could
/// not be written, in the reader's language, before the reason.
#[derive(Debug)]
pub struct StdoutFailed(pub std::io::Error);

impl std::fmt::Display for StdoutFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for StdoutFailed {}

/// Standard output, locked, whose write errors say they are stdout's
/// ([`StdoutFailed`]).
pub struct Stdout(std::io::StdoutLock<'static>);

/// [`Stdout`], for a command's output.
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

/// Marks an error of stdout as such.
fn failed(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), StdoutFailed(e))
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(failed)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf).map_err(failed)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(failed)
    }
}
