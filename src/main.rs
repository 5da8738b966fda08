//! The forkscope binary: everything is in the library (`forkscope::cli::main`).

/// Reads the signal mask, ignored signals and closed stdio forkscope was
/// started with, before the Rust runtime's init (which ignores SIGPIPE and
/// reopens closed fds 0-2 on /dev/null) changes them: the traced program
/// inherits them as they were. `.init_array` entries run before `main`.
#[used]
#[link_section = ".init_array"]
static CAPTURE_STARTUP: extern "C" fn() = forkscope::record::signals::capture_startup;

fn main() -> std::process::ExitCode {
    forkscope::cli::main()
}
