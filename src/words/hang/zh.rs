//! Hangs in Chinese.

use super::Recorded;
use crate::model::snapshot::{Snapshot, Timeout};
use crate::model::wait::{PolledPipe, Wait, WaitTarget};
use crate::trace::hang::{
    Doing, End, Fix, Holder, Idle, IdleHolder, PollClause, ProcName, Runtime, Step, Summary, Then,
    WakeFd, WakeKind, Who,
};
use crate::words::text::{duration, list as list_in, visible};
use crate::words::Lang;

fn list(items: &[String]) -> String {
    list_in(Lang::Zh, items)
}

fn nums(fds: &[i32]) -> String {
    list(&fds.iter().map(|f| f.to_string()).collect::<Vec<_>>())
}

/// Chinese spacing: no space between full-width punctuation and the
/// Chinese text that follows it (`4102（cat）阻塞`, not `4102（cat） 阻塞`).
pub(super) fn tidy(s: String) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (k, &c) in chars.iter().enumerate() {
        if c == ' ' && k > 0 && k + 1 < chars.len() {
            let (prev, next) = (chars[k - 1], chars[k + 1]);
            if "）：，；。、".contains(prev) && !next.is_ascii() {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// `4102（cat）`, `4102（cat）的线程 4105`.
pub(super) fn who(w: &Who) -> String {
    match (&w.comm, w.tid == w.pid) {
        (Some(c), true) => format!(
            "{}（{}，ps 显示为 {}）",
            w.pid,
            visible(&w.name),
            visible(c)
        ),
        (Some(c), false) => format!(
            "{}（{}）的线程 {}（ps 显示为 {}）",
            w.pid,
            visible(&w.name),
            w.tid,
            visible(c)
        ),
        (None, true) => format!("{}（{}）", w.pid, visible(&w.name)),
        (None, false) => format!("{}（{}）的线程 {}", w.pid, visible(&w.name), w.tid),
    }
}

fn whos(ws: &[Who]) -> String {
    list(&ws.iter().map(who).collect::<Vec<_>>())
}

fn proc_name(p: &ProcName) -> String {
    match (&p.name, &p.comm) {
        (Some(n), Some(c)) => format!("{}（{}，ps 显示为 {}）", p.pid, visible(n), visible(c)),
        (Some(n), None) => format!("{}（{}）", p.pid, visible(n)),
        (None, _) => p.pid.to_string(),
    }
}

pub(super) fn summary(s: &Summary) -> String {
    match s {
        Summary::WaitsForItself { who: w } => format!("{} 在等它自己", who(w)),
        Summary::WaitForEachOther { tasks } => format!("{} 在互相等待", whos(tasks)),
        Summary::BlockedOnStopped { blocked, stopped } => format!(
            "{} 阻塞在 {} 上，而它已经被暂停了",
            whos(blocked),
            who(stopped)
        ),
        Summary::FifoOpens { openers, paths } => format!(
            "{} 阻塞在打开 FIFO {} 上：每个 open 都在等一个永远不会来的对端",
            whos(openers),
            list(
                &paths
                    .iter()
                    .map(|p| visible(p).into_owned())
                    .collect::<Vec<_>>()
            )
        ),
        Summary::ForkCopiedLock { who: w, parent } => format!(
            "{} 在等一把锁，这把锁是 fork 从多线程的 {} 复制过来时就已经锁上的：持有它的线程在子进程里并不存在",
            who(w),
            proc_name(parent)
        ),
        Summary::LostWakeup {
            who: w,
            call,
            zombies,
        } => format!(
            "{} 在 {call} 里等 SIGCHLD，可它的子进程都已经退出了（{} 没有被回收）：唤醒丢失了",
            who(w),
            list(&zombies.iter().map(proc_name).collect::<Vec<_>>())
        ),
        Summary::Blocked { tasks } => {
            format!("{} 都阻塞了，已经没有空闲的进程能把它们放出来", whos(tasks))
        }
        Summary::EofHeldOpen {
            who: w,
            pipe,
            holders,
        } => format!(
            "{} 在 {} 上等 EOF，可 {} 一直开着写端却不写",
            who(w),
            visible(pipe),
            list(&holders.iter().map(proc_name).collect::<Vec<_>>())
        ),
    }
}

/// `4102（cat）的 fd 4`, `4102（rhwe）自己（fd 4）`.
fn holders(hs: &[Holder]) -> String {
    let parts: Vec<String> = hs
        .iter()
        .map(|h| {
            if h.itself {
                format!("{} 自己（fd {}）", proc_name(&h.proc), nums(&h.fds))
            } else {
                format!("{} 的 fd {}", proc_name(&h.proc), nums(&h.fds))
            }
        })
        .collect();
    list(&parts)
}

/// `读 pipe:[5]（fd 4）或者写 pipe:[6]（fd 5）`; with `via`,
/// `通过 fd 4 读 pipe:[5]`.
fn poll_targets(fds: &[PolledPipe], via: bool) -> String {
    let mut parts = Vec::new();
    for f in fds {
        let (fd, pipe) = (f.fd, visible(&f.pipe));
        for (wanted, write) in [(f.read, false), (f.write, true)] {
            if !wanted {
                continue;
            }
            parts.push(match (write, via) {
                (false, false) => format!("读 {pipe}（fd {fd}）"),
                (true, false) => format!("写 {pipe}（fd {fd}）"),
                (false, true) => format!("通过 fd {fd} 读 {pipe}"),
                (true, true) => format!("通过 fd {fd} 写 {pipe}"),
            });
        }
    }
    parts.join(" 或者 ")
}

/// `pipe:[5] 的读端全部关闭（它通过 fd 4 持有写端）`: an end watched only
/// for the other side to go.
fn hangup_target(h: &PolledPipe) -> String {
    let (fd, pipe) = (h.fd, visible(&h.pipe));
    if h.write {
        format!("{pipe} 的读端全部关闭（它通过 fd {fd} 持有写端）")
    } else {
        format!("{pipe} 的写端全部关闭（它通过 fd {fd} 持有读端）")
    }
}

/// `pipe:[5] 的读端还开在 4102（cat）fd 3 里`: who holds the other side of
/// an end watched only for it to go.
fn hangup_said(c: &PollClause) -> String {
    format!(
        "{} 的{}端还开在 {} 里",
        visible(&c.pipe),
        if c.write { "读" } else { "写" },
        holders(&c.holders)
    )
}

/// What a multiplexer waits for: its ends' targets, then the ends it
/// watches only for the other side to go.
fn poll_and_hangup_targets(fds: &[PolledPipe], hangup: &[PolledPipe], via: bool) -> String {
    let mut targets = Vec::new();
    if !fds.is_empty() {
        targets.push(poll_targets(fds, via));
    }
    targets.extend(hangup.iter().map(hangup_target));
    spaced(targets.join(" 或者 "))
}

/// `s` with a space before it when it starts with a Latin letter or digit
/// (`等着 pipe:[5]`), as between any Chinese word and Latin text.
fn spaced(s: String) -> String {
    if s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        format!(" {s}")
    } else {
        s
    }
}

/// `，后者正阻塞在 wait4 里等 4102`: what the next task does.
fn then(t: &Option<Then>) -> String {
    let Some(t) = t else {
        return String::new();
    };
    let what = match &t.doing {
        Doing::Child { call, target } => match target {
            WaitTarget::Child(c) => format!("阻塞在 {call} 里等 {c}"),
            _ => format!("阻塞在 {call} 里等一个子进程"),
        },
        Doing::ReadPipe { pipe, fd } => format!("阻塞在读 {}（fd {fd}）上", visible(pipe)),
        Doing::WritePipe { pipe, fd } => format!("阻塞在写 {}（fd {fd}）上", visible(pipe)),
        Doing::Poll { call, fds, hangup } => {
            format!(
                "阻塞在 {call} 里等着{}",
                poll_and_hangup_targets(fds, hangup, false)
            )
        }
        Doing::OpenFifo { path } => format!("阻塞在打开 {} 上", visible(path)),
        Doing::Futex => "在等一个 futex".into(),
        Doing::Lock { call, fd } => format!("阻塞在 {call} 里通过 fd {fd} 加锁"),
        Doing::Blocked => "也阻塞了".into(),
        Doing::Loop { call, fds, hangup } if fds.is_empty() && hangup.is_empty() => {
            format!("作为事件循环阻塞在 {call} 里，只等着它自己的唤醒通道")
        }
        Doing::Loop { call, fds, hangup } => format!(
            "作为事件循环阻塞在 {call} 里等着{}",
            poll_and_hangup_targets(fds, hangup, false)
        ),
    };
    match t.thread {
        Some(tid) => format!("，后者的线程 {tid} 正{what}"),
        None => format!("，后者正{what}"),
    }
}

fn end(e: End) -> &'static str {
    match e {
        End::Next => "；",
        End::Cycle => "：形成了一个环。",
        End::Alone => "。",
    }
}

fn clause(c: &PollClause, one: bool) -> String {
    let (pipe, held) = (visible(&c.pipe), holders(&c.holders));
    match (c.write, one) {
        (false, true) => format!("管道是空的，而它的写端还开在 {held} 里"),
        (false, false) => format!("{pipe} 是空的，而它的写端还开在 {held} 里"),
        (true, true) => format!("管道已经满了，而它的读端只开在 {held} 里"),
        (true, false) => format!("{pipe} 已经满了，而它的读端只开在 {held} 里"),
    }
}

/// `在 clock_nanosleep 里睡 12 秒，还剩 12 秒`.
fn timed(call: &str, asked_ns: u64, left_ns: Option<(u64, u64)>) -> String {
    let left = match left_ns {
        Some((lo, hi)) if lo == hi => format!("，还剩 {}", secs(lo)),
        Some((lo, hi)) if lo > 0 => format!("，还剩 {} 到 {}", number(lo), secs(hi)),
        _ => String::new(),
    };
    format!("在 {call} 里睡 {}{left}", secs(asked_ns))
}

fn idle(h: &IdleHolder) -> String {
    let doing = match &h.doing {
        Idle::Sleeping { call } => format!("睡在 {call} 里"),
        Idle::Stopped => "处于暂停状态".into(),
        Idle::Blocked { call } => format!("阻塞在 {call} 里"),
        Idle::Idle => "闲着".into(),
        Idle::Timed {
            call,
            asked_ns,
            left_ns,
        } => timed(call, *asked_ns, *left_ns),
        Idle::Children { call, kids } => format!(
            "在 {call} 里等它的子进程 {}",
            list(&kids.iter().map(proc_name).collect::<Vec<_>>())
        ),
        Idle::Socket { call, fd } => format!(
            "在 {call} 里等{}（像是服务器或守护进程：它可能一直等到自己退出）",
            match fd {
                Some(fd) => format!("它的套接字 fd {fd}"),
                None => "一个套接字".into(),
            }
        ),
    };
    match &h.under {
        Some(root) => format!(
            "{} 的 fd {}（孤儿后台进程 {} 的子进程；它什么也没写过，正{doing}）",
            proc_name(&h.proc),
            nums(&h.fds),
            proc_name(root)
        ),
        None => format!(
            "{} 的 fd {}（一个孤儿后台进程：它的父进程已经不在了，现在是 {} 的子进程；它什么也没写过，正{doing}）",
            proc_name(&h.proc),
            nums(&h.fds),
            h.parent
        ),
    }
}

/// `eventfd fd 5`、`套接字对 fd 4（另一端 fd 5）`、`自管道 fd 3（写端 fd 4）`。
fn wakes(ws: &[WakeFd]) -> String {
    let one = |w: &WakeFd| {
        let others = nums(&w.others);
        match w.kind {
            WakeKind::Eventfd => format!("eventfd fd {}", w.fd),
            WakeKind::SocketPair if w.others.is_empty() => format!("套接字对 fd {}", w.fd),
            WakeKind::SocketPair => format!("套接字对 fd {}（另一端 fd {others}）", w.fd),
            WakeKind::SelfPipe => format!("自管道 fd {}（写端 fd {others}）", w.fd),
        }
    };
    list(&ws.iter().map(one).collect::<Vec<_>>())
}

/// `30`、`2.8`：不带单位的秒数（一个范围的下限）。
fn number(ns: u64) -> String {
    if ns % 1_000_000_000 == 0 {
        (ns / 1_000_000_000).to_string()
    } else {
        format!("{:.1}", ns as f64 / 1e9)
    }
}

/// `30 秒`、`2.5 秒`、`300 毫秒`：一次睡眠的长度。
fn secs(ns: u64) -> String {
    if ns >= 1_000_000_000 && ns % 1_000_000_000 == 0 {
        format!("{} 秒", ns / 1_000_000_000)
    } else if ns >= 1_000_000_000 {
        format!("{:.1} 秒", ns as f64 / 1e9)
    } else {
        format!("{} 毫秒", ns / 1_000_000)
    }
}

pub(super) fn step(s: &Step) -> String {
    match s {
        Step::ReadPipe {
            who: w,
            fd,
            pipe,
            writers,
            then: t,
            end: e,
        } => format!(
            "{} 阻塞在通过 fd {fd} 读 {} 上；管道是空的，而它的写端还开在 {} 里{}{}",
            who(w),
            visible(pipe),
            holders(writers),
            then(t),
            end(*e)
        ),
        Step::WritePipe {
            who: w,
            fd,
            pipe,
            fill,
            readers,
            then: t,
            end: e,
        } => format!(
            "{} 阻塞在通过 fd {fd} 写 {} 上；管道已经满了{}，而它的读端只开在 {} 里{}{}",
            who(w),
            visible(pipe),
            match fill {
                Some((f, c)) => format!("（{c} 字节里已有 {f} 字节）"),
                None => String::new(),
            },
            holders(readers),
            then(t),
            end(*e)
        ),
        Step::Child {
            who: w,
            call,
            target,
            kids,
            among,
            end: e,
        } => {
            let names = list(&kids.iter().map(proc_name).collect::<Vec<_>>());
            let what = match target {
                WaitTarget::Child(_) => names,
                WaitTarget::Any => format!("任意一个子进程（{names}）"),
                WaitTarget::OwnGroup => format!("自己进程组里的任意一个子进程（{names}）"),
                WaitTarget::Group(g) => format!("进程组 {g} 里的任意一个子进程（{names}）"),
            };
            let among = match among {
                Some(a) => format!("，其中包括 {}", who(a)),
                None => String::new(),
            };
            format!("{} 阻塞在 {call} 里等 {what}{among}{}", who(w), end(*e))
        }
        Step::OpenFifo {
            who: w,
            path,
            write,
            end: e,
        } => {
            let how = match write {
                Some(true) => "（为了写）上；这个 open 要等到有进程以读方式打开它",
                Some(false) => "（为了读）上；这个 open 要等到有进程以写方式打开它",
                None => "上；这个 open 要等到有进程打开另一端",
            };
            format!(
                "{} 阻塞在打开 FIFO {}{how}，而其他进程也都阻塞了{}",
                who(w),
                visible(path),
                end(*e)
            )
        }
        Step::Poll {
            who: w,
            call,
            fds,
            clauses,
            hangup,
            then: t,
            end: e,
        } => {
            let one = clauses.len() + hangup.len() == 1;
            let mut said: Vec<String> = clauses.iter().map(|c| clause(c, one)).collect();
            said.extend(hangup.iter().map(|(_, c)| hangup_said(c)));
            let watched: Vec<PolledPipe> = hangup
                .iter()
                .map(|(fd, c)| PolledPipe {
                    fd: *fd,
                    pipe: c.pipe.clone(),
                    read: !c.write,
                    write: c.write,
                })
                .collect();
            format!(
                "{} 阻塞在 {call} 里，等着{}；{}{}{}",
                who(w),
                poll_and_hangup_targets(fds, &watched, true),
                said.join("；"),
                then(t),
                end(*e)
            )
        }
        Step::Signal {
            who: w,
            call,
            end: e,
        } => format!(
            "{} 在 {call} 里等信号，而其他进程都阻塞了{}",
            who(w),
            end(*e)
        ),
        Step::ForkCopiedLock {
            who: w,
            parent,
            threads,
            end: e,
        } => format!(
            "{} 只有一个线程，在等一个 futex（一把锁）；它是从有 {threads} 个线程的 {} fork 出来的，没有 exec：fork 会原样复制内存，连别的线程持有的锁也一起复制，却不复制那个线程，所以子进程里永远没有人会解开这把锁{}",
            who(w),
            proc_name(parent),
            end(*e)
        ),
        Step::LostWakeup {
            who: w,
            call,
            zombies,
            end: e,
        } => format!(
            "{} 在 {call} 里等信号，在这棵进程树里能让它醒来的只有 SIGCHLD；可每个子进程都已经退出了（{}，没有被回收）：每次退出的 SIGCHLD 都在它开始等之前就到了，树里已经没有进程会再发一个{}",
            who(w),
            list(&zombies.iter().map(proc_name).collect::<Vec<_>>()),
            end(*e)
        ),
        Step::Futex { who: w, end: e } => format!(
            "{} 在等一个 futex（锁、条件变量或线程 join），只有已经阻塞的任务才能释放它{}",
            who(w),
            end(*e)
        ),
        Step::Lock {
            who: w,
            call,
            fd,
            path,
            class,
            write,
            holders: hs,
            then: t,
            end: e,
        } => format!(
            "{} 阻塞在 {call} 里，要通过 fd {fd} 给 {} 加{}{}；{} 持有与它冲突的锁{}{}",
            who(w),
            visible(path),
            if *write { "写锁" } else { "读锁" },
            lock_class(class),
            holders(hs),
            then(t),
            end(*e)
        ),
        Step::Stopped { who: w } => format!(
            "{} 被暂停了（被 SIGSTOP 或别的暂停信号），已经没有空闲的进程能给它发 SIGCONT。",
            who(w)
        ),
        Step::EofHeldOpen {
            who: w,
            fd,
            pipe,
            holders: hs,
        } => {
            let me = who(w);
            format!(
                "{me} 阻塞在通过 fd {fd} 读 {} 上；管道是空的，而它的写端还开在 {} 里：{me} 会一直等到{}退出。",
                visible(pipe),
                list(&hs.iter().map(idle).collect::<Vec<_>>()),
                if hs.len() == 1 { "那个进程" } else { "这些进程都" }
            )
        }
        Step::Loop {
            who: w,
            call,
            fds,
            wake,
            clauses,
            hangup,
            then: t,
            end: e,
        } => {
            let own = format!(
                "它自己的唤醒通道 {}，这些通道没有别的进程持有：{} 之外谁也没法通过它们唤醒它",
                wakes(wake),
                who(w)
            );
            if fds.is_empty() && hangup.is_empty() {
                return format!(
                    "{} 是一个事件循环，阻塞在 {call} 里，只等着{own}，而其他进程都阻塞了{}",
                    who(w),
                    end(*e)
                );
            }
            let mut targets = Vec::new();
            if !fds.is_empty() {
                targets.push(poll_targets(fds, true));
            }
            for (fd, c) in hangup {
                targets.push(format!(
                    "通过 fd {fd} 等 {} 的{}端全部关闭",
                    visible(&c.pipe),
                    if c.write { "读" } else { "写" }
                ));
            }
            let one = clauses.len() + hangup.len() == 1;
            let mut said: Vec<String> = clauses.iter().map(|c| clause(c, one)).collect();
            said.extend(hangup.iter().map(|(_, c)| hangup_said(c)));
            format!(
                "{} 是一个事件循环，阻塞在 {call} 里，等着{}，也等着{own}；{}{}{}",
                who(w),
                targets.join(" 或者 "),
                said.join("；"),
                then(t),
                end(*e)
            )
        }
        Step::Other {
            who: w,
            what,
            end: e,
        } => format!("{}：{what}{}", who(w), end(*e)),
    }
}

pub(super) fn fix(f: &Fix) -> String {
    match f {
        Fix::Continue { pid, waiter: Some(w) } => format!(
            "让它继续运行（kill -CONT {pid}），或者让 {} 带上 WUNTRACED 去 wait，这样它能看到子进程暂停并作出反应",
            who(w)
        ),
        Fix::Continue { pid, waiter: None } => format!("让它继续运行（kill -CONT {pid}）"),
        Fix::FifoOrder => "让每个进程都按同样的顺序打开这些 FIFO（打开 FIFO 会一直阻塞，直到另一端也被打开），或者用 O_RDWR 或 O_NONBLOCK 打开其中一个".into(),
        Fix::NoForkFromThreads { parent, child } => format!(
            "不要在多线程程序里 fork，除非子进程马上 exec：在 {} 里用 posix_spawn（或者 fork 之后立刻 exec）来启动 {child}；如果子进程必须运行程序自己的代码，就在 pthread_atfork 的 prepare 处理函数里拿到这些锁，再在父进程和子进程的处理函数里释放",
            proc_name(parent)
        ),
        Fix::BlockSigchldBeforeFork { who: w, call } => format!(
            "在 {} 里，fork 之前先屏蔽 SIGCHLD（sigprocmask），再用 sigsuspend 等它（解除屏蔽和等待是一步完成的）；或者用 waitpid 代替 {call}：在检查标志和调用 {call} 之间到达的 SIGCHLD 会丢失",
            who(w)
        ),
        Fix::SeeSteps => "看上面的每一步：每一步都写明了这个任务在等什么".into(),
        Fix::CloseOwnBeforeRead { who: w, fds, pipe } => format!(
            "在 {} 开始读之前关闭 fd {}（它自己手里那份 {} 写端的副本）：只有所有写端都关闭了，读者才会看到 EOF，它自己的那份也算",
            who(w),
            nums(fds),
            visible(pipe)
        ),
        Fix::CloseBeforeWait { holder, fds, reader, pipe } => format!(
            "在 {holder} 等待 {reader} 之前，先关闭 fd {}：只有 {} 的所有写端都关闭了，读者才会看到 EOF",
            nums(fds),
            visible(pipe)
        ),
        Fix::CloseBeforePoll { holder, fds, reader, call, pipe } => format!(
            "{holder} 一写完就关闭 fd {}，别等到在 {call} 里等的时候：只有 {} 的所有写端都关闭了，{reader} 才会看到 EOF，在那之前它不会结束",
            nums(fds),
            visible(pipe)
        ),
        Fix::CloseWhenWritten { holder, fds, reader, pipe } => format!(
            "{holder} 一写完就关闭 fd {}（不需要它的地方 fork 之后就关，或者设成 close-on-exec）：只有 {} 的所有写端都关闭了，{reader} 才会看到 EOF",
            nums(fds),
            visible(pipe)
        ),
        Fix::ReadBeforeWait { reader, fd, child, capacity } => format!(
            "在 {reader} 里，先把 fd {} 读到 EOF，再去等待 {child}：管道只能容纳 {capacity} 字节，写得更多的写者会阻塞，直到有人来读",
            fd.map(|f| f.to_string()).unwrap_or_default()
        ),
        Fix::ReadWhileWriting { feeder, filter, fd } => format!(
            "在 {feeder} 里，一边往 {filter} 的输入写，一边{}读它的输出（用 poll(2)、再开一个线程，或者借助临时文件），而不是全部写完再读：两个管道都满了，双方都在等对方来读",
            fd.map_or(String::new(), |f| format!("从 fd {f} "))
        ),
        Fix::CloseOwnBeforePoll { who: w, fds, pipe, call } => {
            let pipe = visible(pipe);
            format!(
                "在 {} 进入 {call} 等待之前关闭 fd {}（它自己手里那份 {pipe} 写端的副本）：只有所有写端都关闭了，{pipe} 才会因为 EOF 变得可读，它自己的那份也算",
                who(w),
                nums(fds)
            )
        }
        Fix::CloseWhenWrittenPolled { holder, fds, waiter, call, pipe } => format!(
            "{holder} 一写完就关闭 fd {}：{waiter} 在 {call} 里等 {} 变得可读，而只有所有写端都关闭了才会有 EOF",
            nums(fds),
            visible(pipe)
        ),
        Fix::CloseWatchedWriteEnd { holder, fds, reader, call, pipe } => {
            let pipe = visible(pipe);
            format!(
                "{holder} 一写完就关闭 fd {}，也别在 {call} 里等 {pipe} 的读端全部关闭（想知道 {reader} 什么时候结束，就用 waitpid 或者 pidfd 等它）：{reader} 要把 {pipe} 读到 EOF，而只有所有写端都关闭了才会有 EOF，{holder} 手里这一个也算，所以它永远不会关闭自己的读端",
                nums(fds)
            )
        }
        Fix::CloseForHangup { holder, fds, waiter, call, pipe, write } => {
            let pipe = visible(pipe);
            let end = if *write { "读" } else { "写" };
            if holder == waiter {
                format!(
                    "在 {waiter} 进入 {call} 等待之前关闭 fd {}（它自己手里那份 {pipe} {end}端的副本）：只有所有{end}端都关闭了，{pipe} 才算失去了最后一个{end}者，它自己的那份也算",
                    nums(fds)
                )
            } else {
                format!(
                    "{holder} 一用完就关闭 fd {}（不需要它的地方 fork 之后就关，或者设成 close-on-exec）：{waiter} 在 {call} 里等 {pipe} 的{end}端全部关闭，只有所有{end}端都关闭了才会等到",
                    nums(fds)
                )
            }
        }
        Fix::UnlockBeforeWait { holder, fds, class, path, waiter, call } => format!(
            "让 {holder} 在 {call} 等待之前先释放 {} 上的锁（{}，或者关闭 fd {}），或者只在 {waiter} 里加这把锁：{holder} 拿着锁的时候，{waiter} 永远拿不到它",
            visible(path),
            unlock(class, fds),
            nums(fds)
        ),
        Fix::BreakCycle => "打破这个环：看上面的每一步，每一步都写明了这个任务在等什么、谁能把它放出来".into(),
        Fix::DoNotInherit { holder, pipe, fd } => {
            let stdio = match fd {
                0 => "（后台任务可以这样写：`cmd </dev/null &`）",
                1 => "（后台任务可以这样写：`cmd >/dev/null &`）",
                2 => "（后台任务可以这样写：`cmd 2>/dev/null &`）",
                _ => "",
            };
            format!(
                "别让 {} 继承 {} 的写端：启动它的时候把 fd {fd} 重定向或关掉{stdio}",
                proc_name(holder),
                visible(pipe)
            )
        }
        Fix::DaemonStdio { holder, pipe, fd } => format!(
            "让 {} 转入后台时把标准输入、输出和错误都指向 /dev/null（daemon(3) 就是这么做的；shell 脚本里一开头写 `exec </dev/null >/dev/null 2>&1`），或者启动它时就把 fd {fd} 重定向：它继承了 {} 的写端，只要还在服务就一直开着",
            proc_name(holder),
            visible(pipe)
        ),
        Fix::ReadBothPipes { reader, fd, other_fd, writer, other, runtime } => {
            let theirs = match other_fd {
                Some(o) => format!("fd {fd} 和 fd {o}"),
                None => format!("fd {fd} 和它手里 {} 的读端", visible(other)),
            };
            let how = match runtime {
                Some(Runtime::Python) => "用 communicate()（或者每个管道一个线程），而不是把一个管道读到底",
                None => "对两个都用 poll(2)，或者每个管道一个线程，而不是把一个读到底",
            };
            format!(
                "在 {reader} 里同时读 {theirs}：{how}；{writer} 正阻塞在往 {} 写，它已经满了，而只有 {reader} 能读它，所以 fd {fd} 上的 EOF 永远不会来",
                visible(other)
            )
        }
        Fix::StartOtherSideFirst { opener, paths, write } => {
            let fifos = list(&paths.iter().map(|p| visible(p).into_owned()).collect::<Vec<_>>());
            if *write {
                format!(
                    "先在后台启动 {fifos} 的读者，再让 {} 以写方式打开它（在 shell 里：先 `reader <FIFO &`，再 `writer >FIFO`）：以写方式打开 FIFO 会一直阻塞，直到有进程以读方式打开它，而现在没有任何进程打开着它，也没有进程正在以读方式打开它",
                    who(opener)
                )
            } else {
                format!(
                    "先在后台启动 {fifos} 的写者，再让 {} 以读方式打开它（在 shell 里：先 `writer >FIFO &`，再 `reader <FIFO`）：以读方式打开 FIFO 会一直阻塞，直到有进程以写方式打开它，而现在没有任何进程打开着它，也没有进程正在以写方式打开它",
                    who(opener)
                )
            }
        }
        Fix::InheritedWriteEnd { holder, fds, parent, forked, reader, pipe, runtime } => {
            let fds = nums(fds);
            let keep = match (runtime, forked) {
                (Some(Runtime::Python), true) => "在创建管道之前就启动它，或者改用 spawn 启动方式：multiprocessing.set_start_method(\"spawn\") 启动的 worker 拿不到父进程的任何 fd",
                (Some(Runtime::Python), false) => "启动它时用 close_fds=True，并且别把这些 fd 放进 pass_fds，或者在创建管道之前就启动它",
                (None, true) => "在创建管道之前就启动它，或者 fork 之后立刻在子进程里关掉它用不到的 fd",
                (None, false) => "用 pipe2(O_CLOEXEC) 把管道设成 close-on-exec，或者在创建管道之前就启动它",
            };
            format!(
                "让 {} 一启动就关闭 fd {fds}，或者别让它继承 {} 的写端（{keep}）：这个写端是它从 {} 继承来的，它一个字节也没写过，而只有所有写端都关闭了，{reader} 才会看到 EOF",
                proc_name(holder),
                visible(pipe),
                proc_name(parent)
            )
        }
    }
}

/// What a task is doing, for the task listing.
pub(super) fn doing(snap: &Snapshot, w: &Wait, timeout: Option<Timeout>) -> String {
    let fill = |pipe: &str| match snap.pipe(pipe) {
        Some(p) => match (p.fill, p.capacity) {
            (Some(f), Some(c)) => format!("：{f}/{c} 字节"),
            _ => String::new(),
        },
        None => String::new(),
    };
    match w {
        Wait::Running => "运行中".into(),
        Wait::Zombie => "僵尸进程（已经退出，还没被回收）".into(),
        Wait::Stopped => "已暂停".into(),
        Wait::Traced => "被跟踪它的调试器暂停了".into(),
        Wait::Sleeping { call } => match timeout {
            Some(t) => timed(call, t.asked_ns, t.left_ns),
            None => format!("带着超时在睡眠（{call}）"),
        },
        Wait::ReadPipe { fd, pipe } => {
            format!(
                "通过 fd {fd} 读 {}（管道是空的{}）",
                visible(pipe),
                fill(pipe)
            )
        }
        Wait::WritePipe { fd, pipe } => {
            format!(
                "通过 fd {fd} 写 {}（管道满了{}）",
                visible(pipe),
                fill(pipe)
            )
        }
        Wait::Poll { call, fds, hangup } => {
            let mut ends = Vec::new();
            for f in fds {
                let (fd, pipe) = (f.fd, visible(&f.pipe));
                if f.read {
                    ends.push(format!(
                        "通过 fd {fd} 读 {pipe}（管道是空的{}）",
                        fill(&f.pipe)
                    ));
                }
                if f.write {
                    ends.push(format!(
                        "通过 fd {fd} 写 {pipe}（管道满了{}）",
                        fill(&f.pipe)
                    ));
                }
            }
            ends.extend(hangup.iter().map(hangup_target));
            format!("在 {call} 里等着{}", spaced(ends.join(" 或者 ")))
        }
        Wait::Loop {
            call,
            fds,
            wake,
            hangup,
        } => {
            let mut ends = Vec::new();
            for f in fds {
                let (fd, pipe) = (f.fd, visible(&f.pipe));
                if f.read {
                    ends.push(format!(
                        "通过 fd {fd} 读 {pipe}（管道是空的{}）",
                        fill(&f.pipe)
                    ));
                }
                if f.write {
                    ends.push(format!(
                        "通过 fd {fd} 写 {pipe}（管道满了{}）",
                        fill(&f.pipe)
                    ));
                }
            }
            for h in hangup {
                ends.push(format!(
                    "通过 fd {} 等 {} 的{}端全部关闭",
                    h.fd,
                    visible(&h.pipe),
                    if h.write { "读" } else { "写" }
                ));
            }
            ends.push(format!("它自己的唤醒通道 {}", wakes(wake)));
            format!("事件循环，在 {call} 里等着{}", ends.join(" 或者 "))
        }
        Wait::OpenFifo { path, write } => {
            let path = visible(path);
            match write {
                Some(true) => format!("以写方式打开 FIFO {path}"),
                Some(false) => format!("以读方式打开 FIFO {path}"),
                None => format!("打开 FIFO {path}"),
            }
        }
        Wait::Child { call, target, .. } => match target {
            WaitTarget::Any => format!("在 {call} 里等任意一个子进程"),
            WaitTarget::OwnGroup => format!("在 {call} 里等同一进程组里的子进程"),
            WaitTarget::Group(g) => format!("在 {call} 里等进程组 {g} 里的子进程"),
            WaitTarget::Child(c) => format!("在 {call} 里等 {c}"),
        },
        Wait::Signal { call } => format!("在等一个信号（{call}）"),
        Wait::Futex { .. } => "在等一个 futex（锁、条件变量或者等线程结束）".into(),
        Wait::Lock { call, fd, .. } => format!("在 {call} 里通过 fd {fd} 加文件锁"),
        Wait::External { call, .. } if call == "?" => {
            "阻塞在某个系统调用里（/proc 不让看是哪一个）".into()
        }
        Wait::External { call, what } => {
            if what.is_empty() {
                format!("阻塞在 {call} 里")
            } else {
                format!("阻塞在 {call} 里，等的是 {}", visible(what))
            }
        }
    }
}

pub(super) fn recorded(r: &Recorded<'_>) -> (String, String, String, String) {
    let when = match r.stalled_ns {
        Some(ns) => format!("（{} 没有任何进展之后）", duration(ns)),
        None => String::new(),
    };
    let ending = if r.killed {
        "forkscope 随后杀掉了被跟踪的进程（--on-deadlock kill）。"
    } else {
        ""
    };
    (
        format!("{}{}", super::kind_of_recorded(Lang::Zh, r.kind), r.summary),
        tidy(format!(
            "forkscope 录制时{when}从 /proc 看到的等待关系：{}{ending}",
            r.steps.concat()
        )),
        r.fix.clone(),
        format!("录制时发现卡住了：{}", r.summary),
    )
}

/// The label of a kind of hang.
pub(super) fn kind_label(k: crate::trace::hang::HangKind) -> &'static str {
    use crate::trace::hang::HangKind;
    match k {
        HangKind::Deadlock => "死锁",
        HangKind::Stuck => "卡住了",
        HangKind::EofHeldOpen => "等不到 EOF",
    }
}

/// `（flock）`, `（fcntl/lockf）`, `（OFD 锁）`: how the lock was taken.
fn lock_class(class: &str) -> &'static str {
    match class {
        "FLOCK" => "（flock）",
        "POSIX" => "（fcntl/lockf）",
        "OFDLCK" => "（OFD 锁）",
        _ => "",
    }
}

/// How to release a lock of `class` held by `fds`.
fn unlock(class: &str, fds: &[i32]) -> String {
    let fd = fds.first().copied().unwrap_or(-1);
    match class {
        "FLOCK" => format!("flock({fd}, LOCK_UN)"),
        "OFDLCK" => format!("fcntl({fd}, F_OFD_SETLK)，l_type 设为 F_UNLCK"),
        _ => format!("fcntl({fd}, F_SETLK)，l_type 设为 F_UNLCK，或者 lockf({fd}, F_ULOCK, 0)"),
    }
}
