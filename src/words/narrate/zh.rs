//! The timeline's sentences in Chinese.

use super::{Demo, File, Lesson, Listing, Said};
use crate::model::PipeEnd;
use crate::model::ProcessState;
use crate::trace::Pid;
use crate::words::put::put;
use crate::words::text::{gap, write_status};
use crate::words::Lang;

/// Between the parts of one sentence.
pub(super) const SEP: &str = "；";

/// `fd 3..9`, `fd 3 及以上的所有 fd`.
fn range(out: &mut String, first: u32, last: u32) {
    if last == u32::MAX {
        put!(out; "fd ", first, " 及以上的所有 fd");
    } else {
        put!(out; "fd ", first, "..", last);
    }
}

pub(super) fn write_file<S: AsRef<str>>(out: &mut String, f: &File<S>) {
    match f {
        File::Pipe { label, end, fifo } => {
            let end = match end {
                PipeEnd::Read => "的读端",
                PipeEnd::Write => "的写端",
                PipeEnd::Both => "的两端",
                PipeEnd::Unknown => "的某一端",
            };
            match fifo {
                Some(path) => put!(out; "FIFO ", path.as_ref(), "（", label.as_ref(), "）", end),
                None => put!(out; label.as_ref(), " ", end),
            }
        }
        File::Named(n) => out.push_str(n.as_ref()),
    }
}

pub(super) fn write_said<S: AsRef<str>>(out: &mut String, x: &Said<S>) {
    match x {
        Said::Starts { pid, fds } => put!(out; pid, " 开始运行，继承了 ", fds, " 个文件描述符"),
        Said::Attached {
            pid,
            parent: Some(p),
            fds,
        } => put!(out;
            pid, " 早已在运行（forkscope 中途附加），是 ", p, " 的子进程，打开着 ", fds,
            " 个文件描述符"
        ),
        Said::Attached {
            pid,
            parent: None,
            fds,
        } => put!(out; pid, " 早已在运行（forkscope 中途附加），打开着 ", fds, " 个文件描述符"),
        Said::OtherThreads { threads } => {
            let list = threads
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            put!(out; "它的其他线程 ", list.as_str(), " 共用这张 fd 表")
        }
        Said::StartsThread { pid, child } => put!(out; pid, " 创建了线程 ", child),
        Said::BornSharing { pid, child } => {
            put!(out; child, " 被创建出来，和 ", pid, " 共用同一张文件描述符表")
        }
        Said::BornVfork { pid, child } => put!(out;
            child, " 被创建出来，复制了 ", pid, " 的文件描述符；", pid, " 要一直等到它 exec 或退出"
        ),
        Said::BornCopy { pid, child } => put!(out;
            child, " 被创建出来，复制了 ", pid, " 的文件描述符（每个打开文件的引用计数都加 1）"
        ),
        Said::Runs { pid, program } => {
            put!(out; pid, " 现在运行 ", program.as_ref(), "（exec 替换了进程映像）")
        }
        Said::ExecFailed { pid, errno } => put!(out;
            "exec 失败了（",
            errno.as_ref().map_or("出错", |e| e.as_ref()),
            "）；", pid, " 还在运行原来的程序"
        ),
        Said::PipeMade {
            pipe,
            read_fd,
            write_fd,
        } => put!(out; "建好了 ", pipe.as_ref(), "：读端是 fd ", read_fd, "，写端是 fd ", write_fd),
        Said::FdUnchanged { fd } => put!(out; "fd ", fd, " 没有变化"),
        Said::Duped {
            fd,
            old_fd,
            what,
            replaced,
        } => {
            put!(out; "fd ", fd, " 现在指向 ");
            write_file(out, what);
            put!(out; "（和 fd ", old_fd, " 是同一个打开文件）");
            if let Some(old) = replaced {
                out.push_str("；它原来指向的 ");
                let at = out.len();
                write_file(out, old);
                let gap = gap(&out[at..]);
                put!(out; gap, "被关闭了");
            }
        }
        Said::Refers { fd, what } => {
            put!(out; "fd ", fd, " 现在指向 ");
            write_file(out, what);
        }
        Said::Closed { fd, what } => {
            put!(out; "fd ", fd, "（");
            write_file(out, what);
            out.push_str("）被关闭了");
        }
        Said::NotOpen { fd } => put!(out; "fd ", fd, " 本来就没有打开：什么也没变（EBADF）"),
        Said::OwnTable { pid } => put!(out;
            pid,
            " 现在有了自己的一份 fd 表（原来是和别人共享的）：它之后打开、关闭 fd 不再影响别的进程"
        ),
        Said::RangeClosed { first, last } => {
            range(out, *first, *last);
            out.push_str(" 都被关闭了");
        }
        Said::RangeCloexec { first, last } => {
            range(out, *first, *last);
            out.push_str(" 会在下一次 exec 时关闭");
        }
        Said::Reaps {
            pid,
            child,
            status: st,
        } => {
            put!(out; pid, " 回收了 ", child, "（");
            write_status(out, Lang::Zh, st);
            out.push('）');
        }
        Said::ReapsUnasked { pid, child } => {
            put!(out; pid, " 回收了 ", child, "（没有要它的退出状态）")
        }
        Said::NothingYet => {
            out.push_str("暂时没有可回收或可报告的子进程：带 WNOHANG 的 wait 立刻返回 0")
        }
        Said::Sends {
            pid,
            signal,
            target,
        } => put!(out; pid, " 向 ", target, " 发送 ", signal),
        Said::Arrives { pid, signal } => put!(out; pid, " 收到 ", signal),
        Said::Stopped { pid, signal } => put!(out; pid, " 被 ", signal, " 暂停了"),
        Said::Continues { pid } => put!(out; pid, " 继续运行"),
        Said::NoZombies { pid } => {
            put!(out; pid, " 让内核回收它的子进程：子进程退出后不会成为僵尸进程")
        }
        Said::SigchldSet { pid, action } => put!(out;
            pid, " 把 SIGCHLD 设为 ", action.as_ref(), "：退出的子进程要等它 wait() 回收"
        ),
        Said::Renames {
            pid,
            program,
            name,
            thread: false,
        } => put!(out;
            pid, "（", program.as_ref(), "）给自己改名为 ", name.as_ref(), "：ps 现在按这个名字显示它"
        ),
        Said::Renames {
            pid,
            program,
            name,
            thread: true,
        } => put!(out;
            program.as_ref(), " 的线程 ", pid, " 给自己改名为 ", name.as_ref(), "；进程名不变"
        ),
        Said::Ends { pid, status: st } => {
            put!(out; pid, " 结束了（");
            write_status(out, Lang::Zh, st);
            out.push_str("），它的文件描述符全部关闭");
        }
        Said::Eof { pipe } => {
            put!(out; pipe.as_ref(), " 的最后一个写端关掉了：读端现在会读到 EOF")
        }
        Said::Broken { pipe } => {
            put!(out; pipe.as_ref(), " 的最后一个读端关掉了：再往里写就会触发 SIGPIPE")
        }
        Said::ReapedByKernel { pid } => put!(out;
            "内核立即回收了 ", pid,
            "：它的父进程忽略了 SIGCHLD（或设了 SA_NOCLDWAIT），所以它不会成为僵尸进程"
        ),
        Said::Zombie {
            pid,
            parent_traced: true,
        } => put!(out; pid, " 成了僵尸进程，要等父进程 wait 它才会被回收"),
        Said::Zombie {
            pid,
            parent_traced: false,
        } => put!(out; pid, " 成了僵尸进程，要等它的父进程（不在这次跟踪里）wait 它才会被回收"),
        Said::Orphaned { pid } => put!(out; pid, " 成了孤儿进程：它的父进程已经不在了"),
        Said::ClosedAtExec { fd } => put!(out; "fd ", fd, " 在 exec 时被关闭（close-on-exec）"),
    }
}

pub(super) fn listing(l: &Listing) -> String {
    match l {
        Listing::ArgsCut { kept, cut } => format!("{kept}\u{2026}（还有 {cut} 个字符）"),
        Listing::Threads(n) => format!(" [{n} 个线程]"),
        Listing::End => "结束".into(),
        Listing::StoppedBy(sig) => format!("  被 {sig} 暂停"),
        Listing::StillRunning => "  到跟踪结束时还在运行".into(),
        Listing::ReapedByKernel => {
            "退出时由内核回收（父进程忽略 SIGCHLD 或设了 SA_NOCLDWAIT），没有成为僵尸".into()
        }
        Listing::ZombieFor { time, by: Some(by) } => format!("僵尸 {time}，由 {by} 回收"),
        Listing::ZombieFor { time, by: None } => format!("僵尸 {time}，由跟踪范围外的进程回收"),
        Listing::NeverReaped { time } => format!("直到跟踪结束都没有被回收（僵尸 {time} 以上）"),
        Listing::Orphaned { seq, by: Some(b) } => {
            format!("  在 #{seq} 成了孤儿进程（被 {b} 收养）")
        }
        Listing::Orphaned { seq, by: None } => {
            format!("  在 #{seq} 成了孤儿进程（被跟踪范围外的 init 或 subreaper 收养）")
        }
        Listing::NoProcess { trace, pid } => format!("{trace}：trace 里没有进程 {pid}"),
        Listing::NoProcessInTimeline { trace, pid } => {
            format!("{trace}：trace 里没有进程 {pid}（`forkscope tree` 会列出所有进程）")
        }
        Listing::UnknownKind {
            kind,
            kinds,
            syscalls,
        } => format!("没有 {kind:?} 这种事件；事件种类有：{kinds}；系统调用名有：{syscalls}"),
        Listing::NoEvents { trace } => format!("{trace}：这个 trace 里没有事件"),
        Listing::NoSuchEvent { trace, at, last } => {
            format!("{trace}：没有事件 #{at}，最后一个事件是 #{last}")
        }
        Listing::NotAlive { trace, pid, seq } => format!(
            "{trace}：#{seq} 之后进程 {pid} 已经不在了：请选一个它还活着的时刻（`forkscope tree` 显示每个进程活着的时段）"
        ),
        Listing::StateAfter(line) => format!("执行完这一步之后的状态：{line}"),
        Listing::Processes => "进程".into(),
        Listing::Pipes => "管道".into(),
        Listing::Parent(pid) => format!("，父进程 {pid}"),
        Listing::State(ProcessState::Running) => "运行中".into(),
        Listing::State(ProcessState::Stopped { signal }) => format!("被 {signal} 暂停"),
        Listing::State(ProcessState::Zombie) => "僵尸进程".into(),
        Listing::State(ProcessState::Reaped) => "已回收".into(),
        Listing::Aside(t) => format!("（{t}）"),
        Listing::Note(t) => format!("  （{t}）"),
        Listing::SharedBy { file, n } => format!(" [打开文件 {file}，被 {n} 个 fd 共享]"),
        Listing::Cloexec => "（close-on-exec）".into(),
        Listing::NoPipes => "  （没有打开的管道）".into(),
        Listing::PipeHolders {
            pipe,
            writers,
            readers,
            unknown,
        } => {
            // 写端由 18576 fd 4 持有 / 没有进程持有写端
            let held = |v: &[(Pid, i32)], end: &str| {
                if v.is_empty() {
                    format!("没有进程持有{end}")
                } else {
                    format!("{end}由 {} 持有", holders(v))
                }
            };
            let mut t = format!("  {pipe}：{}；{}", held(writers, "写端"), held(readers, "读端"));
            if !unknown.is_empty() {
                t.push_str(&format!("；{} 也持有它，但不知道是哪一端", holders(unknown)));
            }
            t
        }
        Listing::Lived(d) => format!("  <活了 {d}>"),
        Listing::ZombieTime(d) => format!("  <僵尸 {d}>"),
        Listing::Divergence {
            label,
            seq,
            pid,
            program,
            fd,
            model,
            kernel,
        } => format!(
            "{label} #{seq} pid {pid}（{program}）fd {fd}：模型里是 {}，内核里是 {}",
            model.as_deref().unwrap_or("无"),
            kernel.as_deref().unwrap_or("无")
        ),
        Listing::Unseen {
            label,
            seq,
            pid,
            program,
            fd,
            appeared,
            what,
        } => format!(
            "{label} #{seq} pid {pid}（{program}）fd {fd}：{}（{}这个进程用了 io_uring）",
            if *appeared { "没被看到就出现了" } else { "没被看到就消失了" },
            what.as_ref().map(|w| format!("{w}；")).unwrap_or_default()
        ),
        Listing::DivergenceWord => "不一致".into(),
        Listing::NoteWord => "注意".into(),
        Listing::Anomaly => "异常".into(),
        Listing::Verified {
            trace,
            events,
            at_exec,
            at_exit,
            divergences,
            anomalies,
        } => format!(
            "{trace}：重放了 {events} 个事件；在 exec 时对照了 {at_exec} 张内核 fd 表{}；{divergences} 处不一致；{anomalies} 处异常",
            if *at_exit > 0 {
                format!("，在退出时对照了 {at_exit} 张")
            } else {
                String::new()
            },
        ),
        Listing::UnseenTotal { label, n } => format!(
            "{label}：有 {n} 个 fd 在没被看到的情况下出现或消失了：io_uring 不经过系统调用就能打开和关闭 fd，forkscope 看不到"
        ),
    }
}

fn holders(v: &[(Pid, i32)]) -> String {
    if v.is_empty() {
        return "无".into();
    }
    v.iter()
        .map(|(p, fd)| format!("{p} fd {fd}"))
        .collect::<Vec<_>>()
        .join("、")
}

pub(super) fn demo(d: &Demo) -> String {
    match d {
        Demo::About(l) => match l {
            Lesson::Pipeline => "`ps aux | grep sh`：shell 先建管道，再 fork 两次，每个子进程在 exec 之前用 dup2 把管道的一端接到标准输入或标准输出上",
            Lesson::Zombie => "子进程退出了，父进程却一直不 wait，子进程就成了僵尸，直到父进程结束",
            Lesson::Orphan => "父进程先退出，子进程成了孤儿，被 init（或 subreaper）收养",
            Lesson::Sigpipe => "`yes | head -n 1`：head 读完一行就退出，管道没有读端了，yes 再写就被 SIGPIPE 杀死",
            Lesson::Leak => "后台任务继承了管道的写端，读端要一直等到它结束才读到 EOF",
            Lesson::Exec => "exec 换掉程序，但进程还是那个进程，文件描述符也都还在",
            Lesson::Wait => "父进程启动三个子进程，再用 wait 一个个回收",
            Lesson::Redirect => "`2>&1 1>&3`：dup2 让两个文件描述符指向同一个打开文件，先后顺序很要紧",
        }
        .into(),
        Demo::ListHeading => "示例场景（forkscope demo 名字）：".into(),
        Demo::Default => "（默认）".into(),
        Demo::NoSuchDemo { name, names } => {
            format!("没有叫 {name:?} 的示例；可用的示例有：{names}")
        }
        Demo::Title(name) => format!("forkscope demo {name}："),
        Demo::OutputStart => "---- 程序自己的输出 ----".into(),
        Demo::OutputEnd => "---- 输出结束 ----".into(),
        Demo::TimelineHeading => {
            "时间线（每个进程按顺序做了什么；省略了动态库和 locale 文件的打开与关闭）：".into()
        }
        Demo::StateHeading(seq) => format!("#{seq} 之后的状态，这是这个示例最关键的时刻："),
        Demo::Writing(p) => format!("写不了 {p}"),
        Demo::StepThrough(url) => format!("在浏览器里逐个事件地看：{url}"),
        Demo::TheTrace { path, events } => {
            format!("trace 文件：{path}（{events} 个事件）。接下来可以试试：")
        }
        Demo::FullTimeline => "完整的时间线".into(),
        Demo::ProcessTree => "进程树".into(),
        Demo::OtherScenarios => "其他示例场景".into(),
        Demo::CreatingDir(p) => format!("建不了目录 {p}"),
        Demo::CreatingIn(p) => format!("无法在 {p} 里建目录"),
        Demo::SymLink(p) => format!("{p} 是一个符号链接：forkscope demo 不会通过链接写文件"),
        Demo::CreatingFile { path, error } => format!("建不了文件 {path}：{error}"),
    }
}
