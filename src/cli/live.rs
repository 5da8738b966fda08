//! `forkscope record --live`: the annotated timeline on stderr while the
//! program runs. A thread follows the trace file as the recorder writes it
//! (as `tail -f` would) and replays it with the same code and filters as
//! `forkscope replay`, so the recorder's own loop does no extra work per
//! event: the writer already hands each batch of whole lines to the kernel
//! before the tracer waits for the next stop.

use super::message::Message;
use super::style::Style;
use super::{Exit, ReplayArgs};
use crate::replay::Replay;
use crate::trace::TraceReader;
use crate::words::Lang;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A file being written by someone else: a read at its end waits for more
/// until `done` is set (and then reads what is left, once).
struct Follow {
    file: std::fs::File,
    done: Arc<AtomicBool>,
}

impl Read for Follow {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            // Read `done` before the read: data written before it was set
            // is then seen by this read.
            let finished = self.done.load(Ordering::Acquire);
            let n = self.file.read(buf)?;
            if n > 0 || finished {
                return Ok(n);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The live view's thread; [`LiveView::finish`] ends it after the last event.
pub struct LiveView {
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl LiveView {
    /// Starts following `path` (already created) and printing the timeline
    /// of the events `filter` keeps (its `trace` is ignored) to stderr, in
    /// `lang`.
    pub fn start(
        path: PathBuf,
        filter: ReplayArgs,
        style: Style,
        lang: Lang,
    ) -> std::io::Result<LiveView> {
        let file = std::fs::File::open(&path)?;
        let done = Arc::new(AtomicBool::new(false));
        let follow = Follow {
            file,
            done: Arc::clone(&done),
        };
        let thread = std::thread::spawn(move || {
            // The view must not take CPU from the traced program (make -j2
            // on two CPUs slowed by 19% at normal priority): run this
            // thread at the lowest priority; Linux applies nice per thread.
            // SAFETY: gettid and setpriority take integers only.
            unsafe {
                let tid = libc::gettid();
                libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19);
            }
            let reader = match TraceReader::new(std::io::BufReader::new(follow), &path) {
                Ok(r) => r,
                Err(_) => return, // No header: the recording did not start.
            };
            // Each event is worded as it comes: reaped processes can go,
            // so a recording of days keeps the view's memory flat.
            let mut r = Replay::new(reader).forgetting();
            // Lines go out one by one, each in one write(2), so that the
            // program's own stderr never lands in the middle of one (stderr
            // itself is unbuffered and a line is written in pieces); a
            // closed stderr stops the view, never the recording.
            let mut err = std::io::LineWriter::with_capacity(1 << 16, std::io::stderr());
            let _ = super::timeline::timeline_in(lang, &mut r, &mut err, &style, &filter);
        });
        Ok(LiveView { done, thread })
    }

    /// Prints what is left of the trace and ends the view.
    pub fn finish(self) {
        self.done.store(true, Ordering::Release);
        let _ = self.thread.join();
    }
}

/// For `record --live`: claims the trace file (the default name, if no
/// `-o`) so it can be followed from the start, and starts the view. Returns
/// the arguments with `output` set and the view, or how forkscope ends
/// after a refusal (`--live -o -`: stdout cannot be followed).
#[allow(clippy::type_complexity)]
pub fn start_for(
    mut args: super::RecordArgs,
    style: Style,
    lang: Lang,
) -> anyhow::Result<Result<(super::RecordArgs, Option<LiveView>), Exit>> {
    if !args.live {
        return Ok(Ok((args, None)));
    }
    if args.output.as_deref() == Some(std::path::Path::new("-")) {
        let said = crate::words::cli::message(lang, &Message::LiveNeedsAFile);
        crate::errln!("{said}");
        return Ok(Err(Exit::Failed));
    }
    let argv0: std::ffi::OsString = match (args.attach.first(), args.command.first()) {
        (None, Some(c)) => c.clone(),
        (pid, _) => {
            let pid = pid.copied().unwrap_or(0);
            std::os::unix::ffi::OsStringExt::from_vec(crate::record::procfs::argv0(pid))
        }
    };
    // A bad --kind is said before anything runs.
    let mut filter = ReplayArgs {
        trace: PathBuf::new(),
        pid: args.live_pid,
        no_descendants: false,
        kind: args.kind.clone(),
        failed: false,
        successful: false,
        time: false,
        relative: false,
        durations: false,
        json: false,
        collapse_files: args.collapse_files,
        range: None,
        at: None,
        verify: false,
    };
    super::timeline::filter(&filter, lang)?;
    let path = crate::record::output_path(args.output.clone(), &argv0)?;
    filter.trace = path.clone();
    args.output = Some(path.clone());
    let view = LiveView::start(path, filter, style, lang)?;
    Ok(Ok((args, Some(view))))
}
