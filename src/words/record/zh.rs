//! The recorder's facts in Chinese: the same facts in the same order as
//! the English table.

use super::{errno, named, pids, trace_at, TraceAt};
use crate::record::limits::{Limit, LimitKind};
use crate::record::signals::Notice;
use crate::record::{RecordOutcome, HANG_EXIT, TRACE_FAILED_EXIT};
use crate::trace::Status;
use crate::words::cli::zh_os_errors;
use crate::words::text::visible;

/// `trace 文件：t.jsonl`, `trace 写到了标准输出`.
fn trace(path: &std::path::Path) -> String {
    match trace_at(path) {
        TraceAt::File(p) => format!("trace 文件：{}", p.display()),
        TraceAt::Stdout => "trace 写到了标准输出".into(),
    }
}

pub(super) fn summary(out: &RecordOutcome, argv0: &str) -> String {
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
        Some(Status::Stopped { .. } | Status::Continued { .. }) | None => "结束了".into(),
    };
    if let Some(f) = &out.trace_stopped {
        return format!(
            "forkscope：trace 写到第 {} 个事件时停了：{}；{fate}。{}（{} 个事件，只保留完整的行）。forkscope 的退出状态是 {}。",
            f.at_event,
            zh_os_errors(&f.message),
            trace(&out.path),
            f.at_event,
            TRACE_FAILED_EXIT,
            fate = match &out.attached {
                Some(a) if a.detached => {
                    format!("forkscope 已经从 {argv0}（pid {}）上脱离，它继续运行", a.pid)
                }
                _ => format!("{argv0} 没有再被记录，继续运行，{ended}"),
            },
        );
    }
    let ended = if out.killed_for_hang {
        format!("卡死了，已被杀掉（--on-deadlock kill；退出状态 {HANG_EXIT}）")
    } else {
        match &out.attached {
            Some(a) if a.ebpf && a.detached => format!(
                "（pid {}）：用 eBPF 跟踪了 {} 个进程（一共 {} 个线程），从没让它们停下；现在不再跟踪，它们照常继续运行",
                a.pid, a.processes, a.threads,
            ),
            Some(a) if a.ebpf => format!("（pid {}，用 eBPF 跟踪）{ended}", a.pid),
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
        "forkscope：{argv0} {ended}。一共跟踪了 {} 个进程{threads}、{} 次 exec{failed}、{} 个管道、{} 个信号。{}（{} 个事件）。",
        s.processes,
        s.execs,
        s.pipes,
        s.signals,
        trace(&out.path),
        out.events,
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
        Some(t) => format!("（目标 {t}）"),
        None => String::new(),
    };
    match l.kind {
        LimitKind::Setuid => format!("forkscope：警告：{path} 设置了 set-user-ID 位，却以有效 uid {kept} 而不是 {granted} 运行：在 ptrace 之下内核不理会 set-ID 位和文件 capability（和 strace 一样）"),
        LimitKind::Setgid => format!("forkscope：警告：{path} 设置了 set-group-ID 位，却以有效 gid {kept} 而不是 {granted} 运行：在 ptrace 之下内核不理会 set-ID 位和文件 capability（和 strace 一样）"),
        LimitKind::FileCaps => format!("forkscope：警告：{path} 带有文件 capability，却在没有它们的情况下运行：在 ptrace 之下内核不理会 set-ID 位和文件 capability（和 strace 一样）"),
        LimitKind::NestedPtrace => format!("forkscope：警告：进程 {} 调用 {request}{target} 得到 EPERM：一个进程只能有一个跟踪者，而它已经被 forkscope 跟踪，所以 strace、gdb 等跟踪工具不能在 forkscope 之下运行", l.pid),
    }
}

pub(super) fn notice(n: &Notice) -> String {
    match n {
        Notice::Outlived { root, remaining } => format!(
            "forkscope：命令（pid {root}）已经退出了，但它启动的 {} 个进程还在运行，仍被跟踪：{}。\
             forkscope 会像 strace -f 一样等它们结束，然后按命令的结局退出。\
             在 forkscope 的 seccomp 过滤器下启动的进程不能被放开（放开后它被跟踪的系统调用会以 ENOSYS 失败），\
             所以 Ctrl-C 不会让 forkscope 脱离它们：要现在结束记录，请结束这些进程（kill {}）。\n",
            remaining.len(),
            named(remaining),
            pids(remaining),
        ),
        Notice::TracedOn { root, remaining } => format!(
            "forkscope：命令（pid {root}）已经退出了，但它启动的 {} 个进程还在运行，仍被跟踪：{}。\
             forkscope 会像 strace -f 一样等它们结束，然后按命令的结局退出。\
             按 Ctrl-C（或向 forkscope 发送 SIGTERM、SIGHUP）会让 forkscope 现在就按命令的退出状态结束，\
             这些进程继续运行，并在后台一直被跟踪到结束（trace 的其余部分到那时写完）。\n",
            remaining.len(),
            named(remaining),
        ),
        Notice::RecordedOn { root, remaining } => format!(
            "forkscope：命令（pid {root}）已经退出了，但它启动的 {} 个进程还在运行：{}。\
             forkscope 会像 strace -f 一样继续记录到它们结束，然后按命令的结局退出。\
             按 Ctrl-C（或向 forkscope 发送 SIGTERM、SIGHUP）会现在就结束记录，forkscope 按命令的退出状态结束，\
             这些进程继续运行，不再被记录（eBPF 后端从不让它们停下）。\n",
            remaining.len(),
            named(remaining),
        ),
        Notice::RecordingLeft { signal, remaining } => format!(
            "forkscope：命令退出之后收到了 {}：记录到此结束，forkscope 按命令的结局结束；{} 继续运行，不再被记录。\n",
            crate::trace::Sig(*signal),
            named(remaining),
        ),
        Notice::FrontLeft { signal, trace: t } => format!(
            "forkscope：命令退出之后收到了 {}：forkscope 现在按命令的结局结束；它留下的进程继续运行，并在后台一直被跟踪到最后一个结束。{}（到那时才完整）。\n",
            crate::trace::Sig(*signal),
            trace(t),
        ),
        Notice::StillWaiting { signal, remaining } => format!(
            "forkscope：命令退出之后收到了 {}；仍在等待 {}（要现在结束记录，请 kill {}）。\n",
            crate::trace::Sig(*signal),
            named(remaining),
            pids(remaining),
        ),
        Notice::Unreadable { pid, errno: e } => format!(
            "forkscope：警告：读不到 pid {pid} 的内存或 fd（{}）：它不可转储（prctl(PR_SET_DUMPABLE, 0)、只可执行或 set-user-ID 的程序），而 forkscope 没有 CAP_SYS_PTRACE；trace 记下已知的部分，其余标为 \"unreadable\"（用 root 运行才能看全）\n",
            errno(*e)
        ),
    }
}

pub(super) fn error(e: &crate::record::RecordError) -> Option<String> {
    use crate::record::RecordError;
    match e {
        RecordError::NoProcess { pid } => Some(format!("没有进程 {pid}")),
        RecordError::ForkFailed { errno } => Some(format!(
            "无法启动命令：fork 失败：{errno}{}",
            if *errno == nix::errno::Errno::EAGAIN {
                "（进程数达到了上限：RLIMIT_NPROC、cgroup 的 pids.max 或 kernel.threads-max）"
            } else {
                ""
            }
        )),
        _ => None,
    }
}
