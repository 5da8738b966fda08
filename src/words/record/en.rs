//! The recorder's facts in English.

use super::{errno, named, pids, trace_at, TraceAt};
use crate::record::limits::{Limit, LimitKind};
use crate::record::signals::Notice;
use crate::record::{RecordOutcome, HANG_EXIT, TRACE_FAILED_EXIT};
use crate::trace::Status;
use crate::words::text::visible;

/// `Trace: t.jsonl`, `Trace: stdout`.
fn trace(path: &std::path::Path) -> String {
    match trace_at(path) {
        TraceAt::File(p) => format!("Trace: {}", p.display()),
        TraceAt::Stdout => "Trace: stdout".into(),
    }
}

/// `1 event`, `2 events`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn summary(out: &RecordOutcome, argv0: &str) -> String {
    let s = &out.stats;
    let ended = match out.status {
        Some(Status::Exited { exited }) => format!("exited with status {exited}"),
        Some(Status::Signaled { signaled, core }) => format!(
            "was killed by {signaled}{}",
            if core { " (core dumped)" } else { "" }
        ),
        Some(Status::Stopped { .. } | Status::Continued { .. }) | None => "ended".into(),
    };
    if let Some(f) = &out.trace_stopped {
        return format!(
            "forkscope: the trace stopped at event {}: {}; {fate}. {} ({}, whole lines only). forkscope exits with status {TRACE_FAILED_EXIT}.",
            f.at_event,
            f.message,
            trace(&out.path),
            plural(f.at_event, "event", "events"),
            fate = match &out.attached {
                Some(a) if a.detached => format!(
                    "forkscope detached from {argv0} (pid {}), which runs on",
                    a.pid
                ),
                _ => format!("{argv0} ran on unrecorded and {ended}"),
            },
        );
    }
    let ended = if out.killed_for_hang {
        format!("hung and was killed (--on-deadlock kill; exit status {HANG_EXIT})")
    } else {
        match &out.attached {
            Some(a) if a.ebpf && a.detached => format!(
                "(pid {}): followed {} ({} in all) with eBPF, never stopping them; now left running as they were",
                a.pid,
                plural(a.processes as u64, "process", "processes"),
                plural(a.threads as u64, "thread", "threads"),
            ),
            Some(a) if a.ebpf => format!("(pid {}, followed with eBPF) {ended}", a.pid),
            Some(a) if a.detached => format!(
                "(pid {}): attached to {} ({} in all) without seccomp, so every syscall stopped them twice and they ran slower meanwhile; now detached and left running",
                a.pid,
                plural(a.processes as u64, "process", "processes"),
                plural(a.threads as u64, "thread", "threads"),
            ),
            Some(a) => format!("(pid {}, attached without seccomp: slower) {ended}", a.pid),
            None => ended,
        }
    };
    format!(
        "forkscope: {argv0} {ended}. Traced {}{}, {}{}, {}, {}. {} ({}).",
        plural(s.processes, "process", "processes"),
        if s.threads > 0 {
            format!(" and {}", plural(s.threads, "thread", "threads"))
        } else {
            String::new()
        },
        plural(s.execs, "exec", "execs"),
        if s.exec_failures > 0 {
            format!(" ({} failed)", s.exec_failures)
        } else {
            String::new()
        },
        plural(s.pipes, "pipe", "pipes"),
        plural(s.signals, "signal", "signals"),
        trace(&out.path),
        plural(out.events, "event", "events"),
    )
}

pub(super) fn limit(l: &Limit) -> String {
    let path = l
        .path
        .as_ref()
        .map(|p| visible(&p.lossy()).into_owned())
        .unwrap_or_default();
    let (granted, kept) = l.ids.unwrap_or_default();
    let (request, target) = l.request.unwrap_or(("ptrace", None));
    let target = match target {
        Some(t) => format!(" of {t}"),
        None => String::new(),
    };
    match l.kind {
        LimitKind::Setuid => format!("forkscope: warning: {path} is set-user-ID but ran with effective uid {kept}, not {granted}: the kernel ignores set-ID bits and file capabilities under ptrace (as under strace)"),
        LimitKind::Setgid => format!("forkscope: warning: {path} is set-group-ID but ran with effective gid {kept}, not {granted}: the kernel ignores set-ID bits and file capabilities under ptrace (as under strace)"),
        LimitKind::FileCaps => format!("forkscope: warning: {path} has file capabilities but ran without them: the kernel ignores set-ID bits and file capabilities under ptrace (as under strace)"),
        LimitKind::NestedPtrace => format!("forkscope: warning: process {} got EPERM from {request}{target}: a process has only one tracer and forkscope is it, so strace, gdb and other tracers cannot run under forkscope", l.pid),
    }
}

pub(super) fn notice(n: &Notice) -> String {
    match n {
        Notice::Outlived { root, remaining } => {
            let one = remaining.len() == 1;
            let them = if one { "it" } else { "them" };
            format!(
                "forkscope: the command (pid {root}) has exited, but {} it started {} still running and traced: {}. \
                 forkscope waits for {them}, as strace -f does, then ends as the command did. \
                 A process started under forkscope's seccomp filter cannot be let go (its traced system calls would then fail with ENOSYS), \
                 so Ctrl-C does not detach {them}: end {them} (kill {}) to finish the recording now.\n",
                if one { "1 process".to_string() } else { format!("{} processes", remaining.len()) },
                if one { "is" } else { "are" },
                named(remaining),
                pids(remaining),
            )
        }
        Notice::TracedOn { root, remaining } => {
            let one = remaining.len() == 1;
            let them = if one { "it" } else { "them" };
            format!(
                "forkscope: the command (pid {root}) has exited, but {} it started {} still running and traced: {}. \
                 forkscope waits for {them}, as strace -f does, then ends as the command did. \
                 Ctrl-C (or SIGTERM, SIGHUP to forkscope) ends forkscope now with the command's status and leaves {them} running, \
                 traced in the background until {} exit{} (the rest of the trace is written then).\n",
                if one { "1 process".to_string() } else { format!("{} processes", remaining.len()) },
                if one { "is" } else { "are" },
                named(remaining),
                if one { "it" } else { "they" },
                if one { "s" } else { "" },
            )
        }
        Notice::RecordedOn { root, remaining } => {
            let one = remaining.len() == 1;
            let them = if one { "it" } else { "them" };
            format!(
                "forkscope: the command (pid {root}) has exited, but {} it started {} still running: {}. \
                 forkscope records on until {} exit{}, as strace -f does, then ends as the command did. \
                 Ctrl-C (or SIGTERM, SIGHUP to forkscope) ends the recording now with the command's status and leaves {them} running, unrecorded \
                 (the eBPF backend never stops {them}).\n",
                if one { "1 process".to_string() } else { format!("{} processes", remaining.len()) },
                if one { "is" } else { "are" },
                named(remaining),
                if one { "it" } else { "they" },
                if one { "s" } else { "" },
            )
        }
        Notice::RecordingLeft { signal, remaining } => format!(
            "forkscope: {} after the command exited: the recording ends here and forkscope ends as the command did; {} run{} on, unrecorded.\n",
            crate::trace::Sig(*signal),
            named(remaining),
            if remaining.len() == 1 { "s" } else { "" },
        ),
        Notice::FrontLeft { signal, trace: t } => format!(
            "forkscope: {} after the command exited: forkscope ends now as the command did; the processes it left run on, traced in the background until the last one exits. {} (complete then).\n",
            crate::trace::Sig(*signal),
            trace(t),
        ),
        Notice::StillWaiting { signal, remaining } => format!(
            "forkscope: {} arrived after the command exited; still waiting for {} (kill {} to finish the recording now).\n",
            crate::trace::Sig(*signal),
            named(remaining),
            pids(remaining),
        ),
        Notice::Unreadable { pid, errno: e } => format!(
            "forkscope: warning: cannot read the memory or fds of pid {pid} ({}): it is not dumpable (prctl(PR_SET_DUMPABLE, 0), an execute-only or set-user-ID program) and forkscope lacks CAP_SYS_PTRACE; the trace records what is known and marks the rest \"unreadable\" (run as root to see it all)\n",
            errno(*e)
        ),
    }
}

pub(super) fn error(e: &crate::record::RecordError) -> Option<String> {
    use crate::record::RecordError;
    match e {
        // The recorder's own Display is the English wording.
        RecordError::NoProcess { .. } | RecordError::ForkFailed { .. } => Some(e.to_string()),
        _ => None,
    }
}
