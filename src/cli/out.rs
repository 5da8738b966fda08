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
