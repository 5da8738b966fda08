//! `forkscope record`: trace a command (or attach to a running process),
//! print the summary, exit with its status. With `--stall-timeout`, hangs
//! are explained on stderr as they are found; with `--on-deadlock kill` the
//! traced tree is then killed and forkscope exits with
//! [`record::HANG_EXIT`] (124, as `timeout` does).

use super::message::Message;
use super::{Backend, Exit, OnDeadlock, RecordArgs};
use crate::model::snapshot::Snapshot;
use crate::record::front::Front;
use crate::record::limits::{Limit, LimitSink};
use crate::record::signals::{Notice, NoticeSink};
use crate::record::{
    self, Explain, HangExplainer, HangSink, HangWatch, RecordError, RecordOptions, StallReport, Why,
};
use crate::render::{self, hang::Paint};
use crate::trace::hang::Hang;
use crate::words;
use crate::words::hang::{self as hang_words, Trigger};
use crate::words::lang::Lang;
use std::sync::Arc;
use std::time::Duration;

/// The stderr text for new hangs: what led to the check, each hang, and
/// what forkscope does next (the one hang printer, [`render::hang`]).
pub fn stall_text(r: &StallReport, style: super::style::Style, lang: Lang) -> String {
    let trigger = match r.why {
        Why::Stalled(d) => Trigger::Stalled(d),
        Why::Signal(sig) => Trigger::Signal(crate::trace::Sig(sig)),
        Why::Detach => Trigger::Detach,
    };
    render::hang::live_report(
        trigger,
        &r.hangs,
        r.killing.then_some(record::HANG_EXIT),
        lang,
        Paint { color: style.color },
    )
}

/// The wait-for analysis and its English words, for the recorder's
/// watchdog (which imports neither).
struct WaitFor;

impl Explain for WaitFor {
    fn hangs(&self, snap: &Snapshot) -> Vec<Hang> {
        crate::analysis::waitfor::analyse(snap).hangs
    }

    fn english(&self, h: &Hang) -> (String, Vec<String>, String) {
        (
            hang_words::summary(Lang::En, &h.facts.summary),
            hang_words::steps(Lang::En, &h.facts.steps),
            hang_words::fix(Lang::En, &h.facts.fix),
        )
    }
}

/// Says `m` on stderr in `lang`.
fn say(lang: Lang, m: &Message) {
    crate::errln!("{}", words::cli::message(lang, m));
}

/// Records, says what happened in `lang`, and says how forkscope ends: as
/// the command did, or forkscope's own failure.
pub fn run(args: RecordArgs, language: Lang) -> anyhow::Result<Exit> {
    let stall_timeout = match args.stall_timeout.map(Duration::try_from_secs_f64) {
        Some(Ok(d)) if !d.is_zero() => Some(d),
        Some(_) => {
            say(language, &Message::StallTimeoutNotPositive);
            return Ok(Exit::Failed);
        }
        None => None,
    };
    // Reports go to stderr, coloured like stderr would be.
    let style = super::style::Style {
        color: std::io::IsTerminal::is_terminal(&std::io::stderr())
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let watch = HangWatch {
        stall_timeout,
        kill: args.on_deadlock == OnDeadlock::Kill,
        sink: Some(HangSink(Arc::new(move |r: &StallReport| {
            crate::errprint!("{}", stall_text(r, style, language));
        }))),
        explain: Some(HangExplainer(Arc::new(WaitFor))),
        limits: Some(LimitSink(Arc::new(move |l: &Limit| {
            crate::errln!("{}", words::record::limit(language, l));
        }))),
    };
    // The program's name for the summary (raw: words escape it), read
    // before it may exit.
    let argv0 = match args.attach.first().copied() {
        Some(pid) => {
            let first = record::procfs::argv0(pid);
            let base = first.rsplit(|b| *b == b'/').next().unwrap_or_default();
            if base.is_empty() {
                format!("pid {pid}")
            } else {
                crate::trace::RawStr(base.to_vec()).lossy().into_owned()
            }
        }
        None => crate::trace::RawStr(args.command[0].clone().into_encoded_bytes())
            .lossy()
            .into_owned(),
    };
    record::set_exit_snapshots(args.snapshots.contains(&super::SnapshotAt::Exit));
    record::signals::set_notice_sink(Some(NoticeSink(Arc::new(move |n: &Notice| {
        crate::errprint!("{}", words::record::notice(language, n));
    }))));
    let (args, mut live) = match super::live::start_for(args, style, language)? {
        Ok(started) => started,
        Err(exit) => return Ok(exit),
    };
    let bpf = match choose_backend(&args, language) {
        Ok(b) => b,
        Err(exit) => return Ok(exit),
    };
    #[cfg_attr(not(feature = "ebpf"), allow(unused_mut))]
    let mut lost = 0u64;
    let result = match (args.attach.first().copied(), bpf) {
        #[cfg(feature = "ebpf")]
        (None, Some(bpf)) => record::ebpf::record(
            bpf,
            &RecordOptions {
                argv: args.command.clone(),
                output: args.output,
                env: args.env,
            },
            &watch,
        )
        .map(|e| {
            lost = e.lost;
            e.outcome
        }),
        #[cfg(feature = "ebpf")]
        (Some(_), Some(bpf)) => {
            record::ebpf::attach(bpf, &args.attach, args.output, &watch).map(|e| {
                lost = e.lost;
                e.outcome
            })
        }
        (Some(_), _) => record::attach(&args.attach, args.output, &watch),
        // A front and a tracer process: forkscope can end with the
        // command's first process while those it left run on, traced.
        (None, _) => match record::front::record_front(
            &RecordOptions {
                argv: args.command.clone(),
                output: args.output,
                env: args.env,
            },
            &watch,
        ) {
            Ok(Front::Done(out)) => Ok(out),
            Ok(Front::Left(left)) => {
                if let Some(live) = live.take() {
                    live.finish();
                }
                crate::errprint!("{}", words::record::notice(language, &left.notice()));
                if let crate::trace::Status::Signaled { signaled, .. } = left.status {
                    record::signals::die_of(signaled.0);
                }
                return Ok(Exit::Program(Some(left.status)));
            }
            Err(e) => Err(e),
        },
    };
    if let Some(live) = live {
        live.finish();
    }
    match result {
        Ok(out) => {
            if let Some(errno) = out.exec_error {
                // As a shell says it: the command never ran.
                let why = nix::errno::Errno::from_raw(errno).desc().to_string();
                let program = argv0.clone();
                say(language, &Message::CannotExecute { program, why });
                return Ok(Exit::of_recording(&out));
            }
            if !args.quiet || out.trace_stopped.is_some() {
                crate::errln!("{}", words::record::summary(language, &out, &argv0));
            }
            if lost > 0 {
                // Never silent, even with --quiet.
                say(language, &Message::Lost { records: lost });
            }
            if let Some(sig) = out.fatal_signal() {
                // The trace is complete and closed: end as the command did,
                // so that the invoking shell sees what it would untraced
                // (a loop stops on Ctrl-C).
                record::signals::die_of(sig);
            }
            Ok(Exit::of_recording(&out))
        }
        // As a shell says it (127, 126): the command never ran.
        Err(RecordError::NotFound { cmd }) => {
            say(language, &Message::NotFound { cmd });
            Ok(Exit::NotFound)
        }
        Err(RecordError::NotExecutable { cmd, why }) => {
            say(language, &Message::NotExecutable { cmd, why });
            Ok(Exit::CannotExecute)
        }
        Err(e) => match words::record::error(language, &e) {
            Some(chain) => {
                say(language, &Message::Error { chain });
                Ok(Exit::Failed)
            }
            None => Err(e.into()),
        },
    }
}

/// The loaded BPF programs, when recording with eBPF.
#[cfg(feature = "ebpf")]
type Bpf = record::ebpf::Loaded;
/// Without the `ebpf` feature there is never one.
#[cfg(not(feature = "ebpf"))]
type Bpf = std::convert::Infallible;

/// `--backend`: the BPF programs to record with, or `None` for ptrace. An
/// explicit `ebpf` that cannot run says why in one line ([`Exit::Usage`]
/// when forkscope was built without it, [`Exit::Refused`] when this
/// machine refuses); `auto` falls back to ptrace silently. Every option
/// works with both (`-p`, `--stall-timeout`, `--on-deadlock` included).
fn choose_backend(args: &RecordArgs, lang: Lang) -> Result<Option<Bpf>, Exit> {
    let explicit = match args.backend {
        Backend::Ptrace => return Ok(None),
        Backend::Ebpf => true,
        Backend::Auto => false,
    };
    #[cfg(feature = "ebpf")]
    match record::ebpf::available() {
        Ok(b) => Ok(Some(b)),
        Err(_) if !explicit => Ok(None),
        Err(e) => {
            let why = e.to_string();
            say(lang, &Message::EbpfUnavailable { why });
            Err(Exit::Refused)
        }
    }
    #[cfg(not(feature = "ebpf"))]
    {
        if !explicit {
            return Ok(None);
        }
        say(lang, &Message::EbpfNotBuilt);
        Err(Exit::Usage)
    }
}
