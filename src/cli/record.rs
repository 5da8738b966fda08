//! `forkscope record`: trace a command (or attach to a running process),
//! print the summary, exit with its status. With `--stall-timeout`, hangs
//! are explained on stderr as they are found; with `--on-deadlock kill` the
//! traced tree is then killed and forkscope exits with
//! [`record::HANG_EXIT`] (124, as `timeout` does).

use super::{Backend, OnDeadlock, RecordArgs};
use crate::model::snapshot::Snapshot;
use crate::record::limits::{Limit, LimitKind, LimitSink};
use crate::record::signals::{Notice, NoticeSink};
use crate::record::{
    self, Explain, HangExplainer, HangSink, HangWatch, RecordError, RecordOptions, RecordOutcome,
    StallReport, Why,
};
use crate::render::lang::{self, Lang};
use crate::render::{self, hang::Paint};
use crate::trace::hang::Hang;
use crate::trace::Status;
use crate::words::hang::{self as hang_words, Trigger};
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

/// The one-line warning for a ptrace limit (said once per kind), in the
/// current language.
pub fn limit_text(l: &Limit) -> String {
    let path = l.path.as_ref().map(|p| p.to_string()).unwrap_or_default();
    let (granted, kept) = l.ids.unwrap_or_default();
    let (request, target) = l.request.unwrap_or(("ptrace", None));
    let zh = lang::current() == Lang::Zh;
    let target = match (target, zh) {
        (Some(t), false) => format!(" of {t}"),
        (Some(t), true) => format!("（目标 {t}）"),
        (None, _) => String::new(),
    };
    match (l.kind, zh) {
        (LimitKind::Setuid, false) => format!("forkscope: warning: {path} is set-user-ID but ran with effective uid {kept}, not {granted}: the kernel ignores set-ID bits and file capabilities under ptrace (as under strace)"),
        (LimitKind::Setuid, true) => format!("forkscope：警告：{path} 设置了 set-user-ID 位，却以有效 uid {kept} 而不是 {granted} 运行：在 ptrace 之下内核不理会 set-ID 位和文件 capability（和 strace 一样）"),
        (LimitKind::Setgid, false) => format!("forkscope: warning: {path} is set-group-ID but ran with effective gid {kept}, not {granted}: the kernel ignores set-ID bits and file capabilities under ptrace (as under strace)"),
        (LimitKind::Setgid, true) => format!("forkscope：警告：{path} 设置了 set-group-ID 位，却以有效 gid {kept} 而不是 {granted} 运行：在 ptrace 之下内核不理会 set-ID 位和文件 capability（和 strace 一样）"),
        (LimitKind::FileCaps, false) => format!("forkscope: warning: {path} has file capabilities but ran without them: the kernel ignores set-ID bits and file capabilities under ptrace (as under strace)"),
        (LimitKind::FileCaps, true) => format!("forkscope：警告：{path} 带有文件 capability，却在没有它们的情况下运行：在 ptrace 之下内核不理会 set-ID 位和文件 capability（和 strace 一样）"),
        (LimitKind::NestedPtrace, false) => format!("forkscope: warning: process {} got EPERM from {request}{target}: a process has only one tracer and forkscope is it, so strace, gdb and other tracers cannot run under forkscope", l.pid),
        (LimitKind::NestedPtrace, true) => format!("forkscope：警告：进程 {} 调用 {request}{target} 得到 EPERM：一个进程只能有一个跟踪者，而它已经被 forkscope 跟踪，所以 strace、gdb 等跟踪工具不能在 forkscope 之下运行", l.pid),
    }
}

/// The stderr text for a [`Notice`]: processes that outlived the first
/// one, which forkscope waits for.
pub fn notice_text(n: &Notice) -> String {
    let list = |r: &[(i32, String)]| {
        r.iter()
            .map(|(p, name)| format!("{p} ({})", crate::render::ascii::visible(name)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let pids = |r: &[(i32, String)]| {
        r.iter()
            .map(|(p, _)| p.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    match (n, lang::current()) {
        (Notice::Outlived { root, remaining }, Lang::En) => format!(
            "forkscope: the command (pid {root}) has exited, but {} it started {} still running and traced: {}. \
             forkscope waits for {}, as strace -f does, then ends as the command did. \
             A process started under forkscope's seccomp filter cannot be let go (its traced system calls would then fail with ENOSYS), \
             so Ctrl-C does not detach {}: end {} (kill {}) to finish the recording now.\n",
            if remaining.len() == 1 { "1 process".to_string() } else { format!("{} processes", remaining.len()) },
            if remaining.len() == 1 { "is" } else { "are" },
            list(remaining),
            if remaining.len() == 1 { "it" } else { "them" },
            if remaining.len() == 1 { "it" } else { "them" },
            if remaining.len() == 1 { "it" } else { "them" },
            pids(remaining),
        ),
        (Notice::Outlived { root, remaining }, Lang::Zh) => format!(
            "forkscope：命令（pid {root}）已经退出了，但它启动的 {} 个进程还在运行，仍被跟踪：{}。\
             forkscope 会像 strace -f 一样等它们结束，然后按命令的结局退出。\
             在 forkscope 的 seccomp 过滤器下启动的进程不能被放开（放开后它被跟踪的系统调用会以 ENOSYS 失败），\
             所以 Ctrl-C 不会让 forkscope 脱离它们：要现在结束记录，请结束这些进程（kill {}）。\n",
            remaining.len(),
            list(remaining),
            pids(remaining),
        ),
        (Notice::StillWaiting { signal, remaining }, Lang::En) => format!(
            "forkscope: {} arrived after the command exited; still waiting for {} (kill {} to finish the recording now).\n",
            crate::trace::Sig(*signal),
            list(remaining),
            pids(remaining),
        ),
        (Notice::StillWaiting { signal, remaining }, Lang::Zh) => format!(
            "forkscope：命令退出之后收到了 {}；仍在等待 {}（要现在结束记录，请 kill {}）。\n",
            crate::trace::Sig(*signal),
            list(remaining),
            pids(remaining),
        ),
    }
}

/// The one-paragraph summary printed when the recording ends, in the
/// current language.
pub fn summary(out: &RecordOutcome, argv0: &str) -> String {
    match lang::current() {
        Lang::En => out.summary(argv0),
        Lang::Zh => summary_zh(out, argv0),
    }
}

/// [`RecordOutcome::summary`] in Chinese: the same facts in the same order.
fn summary_zh(out: &RecordOutcome, argv0: &str) -> String {
    let s = &out.stats;
    let ended = match out.status {
        Some(Status::Exited { exited }) => format!("退出了，退出状态 {exited}"),
        Some(Status::Signaled { signaled, core }) => format!(
            "被 {signaled} 杀死了{}",
            if core {
                "（产生了 core dump）"
            } else {
                ""
            }
        ),
        _ => "结束了".into(),
    };
    if let Some(f) = &out.trace_stopped {
        return format!(
            "forkscope：trace 写到第 {} 个事件时停了：{}；{fate}。trace 文件：{}（{} 个事件，只保留完整的行）。forkscope 的退出状态是 {}。",
            f.at_event,
            super::args::zh_os_errors(&f.message),
            out.path.display(),
            f.at_event,
            record::TRACE_FAILED_EXIT,
            fate = match &out.attached {
                Some(a) if a.detached => {
                    format!("forkscope 已经从 {argv0}（pid {}）上脱离，它继续运行", a.pid)
                }
                _ => format!("{argv0} 没有再被记录，继续运行，{ended}"),
            },
        );
    }
    let ended = if out.killed_for_hang {
        format!(
            "卡死了，已被杀掉（--on-deadlock kill；退出状态 {}）",
            record::HANG_EXIT
        )
    } else {
        match &out.attached {
            Some(a) if a.detached => format!(
                "（pid {}）：附加到了 {} 个进程上（一共 {} 个线程）；因为附加时用不了 seccomp，每个系统调用都要让它们停下两次，这段时间它们比平时跑得慢；现在已经脱离，它们继续运行",
                a.pid, a.processes, a.threads,
            ),
            Some(a) => format!(
                "（pid {}，附加时用不了 seccomp，所以跑得慢一些）{ended}",
                a.pid
            ),
            None => ended,
        }
    };
    let threads = if s.threads > 0 {
        format!("和 {} 个线程", s.threads)
    } else {
        String::new()
    };
    let failed = if s.exec_failures > 0 {
        format!("（其中 {} 次失败）", s.exec_failures)
    } else {
        String::new()
    };
    format!(
        "forkscope：{argv0} {ended}。一共跟踪了 {} 个进程{threads}、{} 次 exec{failed}、{} 个管道、{} 个信号。trace 文件：{}（{} 个事件）。",
        s.processes,
        s.execs,
        s.pipes,
        s.signals,
        out.path.display(),
        out.events,
    )
}

/// Records and returns the command's exit code (or forkscope's own failure code).
pub fn run(args: RecordArgs, language: Lang) -> anyhow::Result<i32> {
    let stall_timeout = match args.stall_timeout.map(Duration::try_from_secs_f64) {
        Some(Ok(d)) if !d.is_zero() => Some(d),
        Some(_) => {
            match lang::current() {
                Lang::En => {
                    crate::errln!("forkscope: --stall-timeout must be a positive number of seconds")
                }
                Lang::Zh => crate::errln!("forkscope：--stall-timeout 必须是一个正的秒数"),
            }
            return Ok(record::TRACE_FAILED_EXIT);
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
            lang::set(language);
            crate::errln!("{}", limit_text(l));
        }))),
    };
    // The program's name for the summary: read before it may exit.
    let argv0 = match args.attach.first().copied() {
        Some(pid) => {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let first = cmdline.split(|b| *b == 0).next().unwrap_or_default();
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
    let argv0 = crate::render::ascii::visible(&argv0).into_owned();
    record::set_exit_snapshots(args.snapshots.contains(&super::SnapshotAt::Exit));
    record::signals::set_notice_sink(Some(NoticeSink(Arc::new(move |n: &Notice| {
        // Printed from forkscope's own threads: carry the language.
        lang::set(language);
        crate::errprint!("{}", notice_text(n));
    }))));
    let (args, live) = match super::live::start_for(args, style)? {
        Ok(started) => started,
        Err(code) => return Ok(code),
    };
    let bpf = match choose_backend(&args) {
        Ok(b) => b,
        Err(code) => return Ok(code),
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
        )
        .map(|e| {
            lost = e.lost;
            e.outcome
        }),
        (Some(_), _) => record::attach(&args.attach, args.output, &watch),
        (None, _) => record::record_watched(
            &RecordOptions {
                argv: args.command.clone(),
                output: args.output,
                env: args.env,
            },
            &watch,
        ),
    };
    if let Some(live) = live {
        live.finish();
    }
    match result {
        Ok(out) => {
            if let Some(errno) = out.exec_error {
                // As a shell says it: the command never ran.
                let why = nix::errno::Errno::from_raw(errno).desc();
                match lang::current() {
                    Lang::En => crate::errln!("forkscope: {argv0}: cannot execute: {why}"),
                    Lang::Zh => crate::errln!("forkscope：{argv0}：无法执行：{why}"),
                }
                return Ok(out.exit_code());
            }
            if !args.quiet || out.trace_stopped.is_some() {
                crate::errln!("{}", summary(&out, &argv0));
            }
            if lost > 0 {
                // Never silent, even with --quiet.
                match lang::current() {
                    Lang::En => crate::errln!("forkscope: {lost} records were lost (the eBPF ring buffer was full): the trace misses what they said (`lost` events mark where)"),
                    Lang::Zh => crate::errln!("forkscope：丢失了 {lost} 条记录（eBPF 环形缓冲区满了）：trace 里缺少它们的内容（`lost` 事件标出了位置）"),
                }
            }
            if let Some(sig) = out.fatal_signal() {
                // The trace is complete and closed: end as the command did,
                // so that the invoking shell sees what it would untraced
                // (a loop stops on Ctrl-C).
                record::signals::die_of(sig);
            }
            Ok(out.exit_code())
        }
        Err(e @ (RecordError::NotFound { .. } | RecordError::NotExecutable { .. })) => {
            match (&e, lang::current()) {
                (RecordError::NotFound { cmd }, Lang::Zh) => {
                    crate::errln!("forkscope：{cmd}：找不到这个命令")
                }
                (RecordError::NotExecutable { cmd, why }, Lang::Zh) => {
                    crate::errln!("forkscope：{cmd}：无法执行：{why}")
                }
                _ => crate::errln!("forkscope: {e}"),
            }
            Ok(e.exit_code())
        }
        Err(e) => Err(e.into()),
    }
}

/// The loaded BPF programs, when recording with eBPF.
#[cfg(feature = "ebpf")]
type Bpf = record::ebpf::Loaded;
/// Without the `ebpf` feature there is never one.
#[cfg(not(feature = "ebpf"))]
type Bpf = std::convert::Infallible;

/// `--backend`: the BPF programs to record with, or `None` for ptrace. An
/// explicit `ebpf` that cannot run says why in one line (exit status 2 for
/// a usage error, 1 when this machine refuses); `auto` falls back to ptrace
/// silently.
fn choose_backend(args: &RecordArgs) -> Result<Option<Bpf>, i32> {
    let zh = lang::current() == Lang::Zh;
    let explicit = match args.backend {
        Backend::Ptrace => return Ok(None),
        Backend::Ebpf => true,
        Backend::Auto => false,
    };
    let unsupported = if !args.attach.is_empty() {
        Some("-p")
    } else if args.stall_timeout.is_some() {
        Some("--stall-timeout")
    } else {
        None
    };
    if let Some(flag) = unsupported {
        if !explicit {
            return Ok(None);
        }
        if zh {
            crate::errln!("forkscope：--backend ebpf 还不支持 {flag}（请用 --backend ptrace）");
        } else {
            crate::errln!(
                "forkscope: --backend ebpf does not support {flag} yet (use --backend ptrace)"
            );
        }
        return Err(2);
    }
    #[cfg(feature = "ebpf")]
    match record::ebpf::available() {
        Ok(b) => Ok(Some(b)),
        Err(_) if !explicit => Ok(None),
        Err(e) => {
            if zh {
                crate::errln!("forkscope：--backend ebpf 无法使用：{e}");
            } else {
                crate::errln!("forkscope: --backend ebpf cannot run here: {e}");
            }
            Err(1)
        }
    }
    #[cfg(not(feature = "ebpf"))]
    {
        if !explicit {
            return Ok(None);
        }
        if zh {
            crate::errln!("forkscope：这个 forkscope 构建时没有启用 `ebpf` 功能，不能用 --backend ebpf（用 cargo build --features ebpf 构建）");
        } else {
            crate::errln!("forkscope: --backend ebpf needs a forkscope built with the `ebpf` feature (cargo build --features ebpf)");
        }
        Err(2)
    }
}
