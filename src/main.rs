//! The forkscope binary: parse arguments, run, exit. Everything else is in the library.

use std::process::ExitCode;

/// Reads the signal mask, ignored signals and closed stdio forkscope was
/// started with, before the Rust runtime's init (which ignores SIGPIPE and
/// reopens closed fds 0-2 on /dev/null) changes them: the traced program
/// inherits them as they were. `.init_array` entries run before `main`.
#[used]
#[link_section = ".init_array"]
static CAPTURE_STARTUP: extern "C" fn() = forkscope::record::signals::capture_startup;

fn main() -> ExitCode {
    let cli = forkscope::cli::args::parse();
    match forkscope::cli::run(cli) {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            match forkscope::render::lang::current() {
                forkscope::render::lang::Lang::En => forkscope::errln!("forkscope: error: {e:#}"),
                forkscope::render::lang::Lang::Zh => forkscope::errln!(
                    "forkscope：错误：{}",
                    forkscope::cli::args::zh_os_errors(&format!("{e:#}"))
                ),
            }
            // forkscope itself failed: 125, as env(1) and timeout(1) say it.
            ExitCode::from(forkscope::record::TRACE_FAILED_EXIT as u8)
        }
    }
}

/// `forkscope replay t.jsonl | head` must end quietly when head closes the pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
