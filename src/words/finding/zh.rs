//! Findings in Chinese.

use super::{prog, v, Frame};
use crate::analysis::{
    CloseHow, EventFact, FdObject, FindingFact, ReaderEnd, Release, Role, Severity, StopEnd,
    StopEvidence,
};
use crate::model::PipeEnd;
use crate::words::text::{duration, status};
use crate::words::Lang;

const SIGPIPE_RULE: &str =
    "往一个所有读端都已关闭的管道里写，会触发 SIGPIPE，而 SIGPIPE 的默认动作就是杀死写者。";

const EOF_RULE: &str = "管道上的 read() 只有在所有进程里的所有写端都关闭之后才会返回 0（EOF）";

fn end(e: PipeEnd) -> &'static str {
    match e {
        PipeEnd::Read => "读端",
        PipeEnd::Write => "写端",
        PipeEnd::Both => "两端",
        PipeEnd::Unknown => "某一端",
    }
}

/// `（退出码 0）`, or nothing.
fn st(s: &Option<crate::trace::Status>) -> String {
    s.map(|s| format!("（{}）", status(Lang::Zh, &s)))
        .unwrap_or_default()
}

fn p(x: &crate::analysis::Proc) -> String {
    prog(Lang::Zh, x)
}

fn outcome(o: &ReaderEnd) -> String {
    match o {
        ReaderEnd::Killed {
            signal,
            seq,
            after_ns,
        } => {
            let sig = signal.map_or("a signal".to_string(), |s| s.to_string());
            let waited = after_ns
                .map(|d| format!("（它出生后 {}）", duration(d)))
                .unwrap_or_default();
            format!("它始终没等到 EOF：在 #{seq}{waited}被 {sig} 杀死时，还在等。")
        }
        ReaderEnd::StillWaiting { seq } => format!("跟踪结束时（#{seq}）它还在等。"),
    }
}

fn release_text(x: crate::trace::Pid, r: Release) -> String {
    match r {
        Release::Exited => format!("{x} 退出"),
        Release::Closed(fd) => format!("{x} 关闭 fd {fd}"),
        Release::Other => format!("{x} 放开它"),
    }
}

pub(super) fn summary(f: &FindingFact) -> String {
    match f {
        FindingFact::OwnWriteEnd {
            reader, pipe, wfd, ..
        } => format!(
            "{}（{}）在读 {pipe}，自己却还持有它的写端（fd {wfd}），所以永远等不到 EOF",
            reader.pid,
            p(reader)
        ),
        FindingFact::HeldElsewhere {
            holder,
            reader,
            pipe,
            wfd,
            ..
        } => format!(
            "{}（{}）一直开着 {pipe} 的写端（fd {wfd}），而 {}（{}）正在这个管道上等 EOF",
            holder.pid,
            p(holder),
            reader.pid,
            p(reader)
        ),
        FindingFact::WaitedHoldingWriteEnd {
            holder,
            reader,
            pipe,
            wfd,
            ..
        } => {
            let (x, c) = (holder.pid, reader.pid);
            format!(
                "{x}（{}）在等 {c}（{}），手里却还攥着 {pipe} 的写端（fd {wfd}）：直到 {x} 把它关掉，{c} 才看到 EOF",
                p(holder),
                p(reader)
            )
        }
        FindingFact::LeakedIntoExec {
            pipe, end: e, leaks, ..
        } => {
            let e = end(*e);
            match leaks.as_slice() {
                [l] => {
                    let n = p(&l.proc);
                    format!(
                        "fd {}（{pipe} 的{e}）在 exec 时（#{}）泄漏进了 {n}：{n} 从来没用过它",
                        l.fd, l.exec_seq
                    )
                }
                _ => {
                    let who: Vec<String> = leaks
                        .iter()
                        .map(|l| {
                            format!(
                                "{}（{}，fd {}，#{}）",
                                p(&l.proc),
                                l.proc.pid,
                                l.fd,
                                l.exec_seq
                            )
                        })
                        .collect();
                    format!(
                        "{pipe} 的{e}在 exec 时泄漏进了 {} 个程序：{}",
                        leaks.len(),
                        who.join("，")
                    )
                }
            }
        }
        FindingFact::StdioHeldOpen { leak, pipe, .. } => {
            let n = p(&leak.proc);
            format!(
                "其他写者都写完之后，fd {}（{pipe} 的写端）还一直开在 {n}（{}）里：{pipe} 的读者直到 {n} 放开它{}才看到 EOF",
                leak.fd,
                leak.proc.pid,
                leak.end.map(|e| format!("（#{}）", e.seq)).unwrap_or_default()
            )
        }
        FindingFact::LongZombie {
            child,
            parent,
            exit_seq,
            reap_seq,
            zombie_ns,
            ..
        } => format!(
            "{}（{}）当了 {} 的僵尸进程：它在 #{exit_seq} 就退出了，{}（{}）却到 #{reap_seq} 才 wait 它",
            child.pid,
            p(child),
            duration(*zombie_ns),
            parent.pid,
            p(parent)
        ),
        FindingFact::Orphan {
            child,
            parent,
            at_seq,
            ..
        } => format!(
            "{}（{}）成了孤儿进程：它还在运行，父进程 {}（{}）就在 #{at_seq} 退出了",
            child.pid,
            p(child),
            parent.pid,
            p(parent)
        ),
        FindingFact::SigpipeBrokenPipe {
            writer,
            pipe,
            fd,
            closer,
            ..
        } => {
            let (c, n) = (writer.pid, p(writer));
            match closer {
                Some(k) => format!(
                    "{c}（{n}）往 {pipe}（fd {fd}）写的时候被 SIGPIPE 杀死：它的最后一个读者 {}（{}）已经关闭了 fd {}（#{}）",
                    k.proc.pid,
                    p(&k.proc),
                    k.fd,
                    k.seq
                ),
                None => format!("{c}（{n}）被 SIGPIPE 杀死，多半是在往 {pipe}（fd {fd}）写"),
            }
        }
        FindingFact::SigpipeSent { writer, sender, .. } => format!(
            "{}（{}）被 {sender} 用 kill() 发来的 SIGPIPE 杀死",
            writer.pid,
            p(writer)
        ),
        FindingFact::SigpipeElsewhere { writer, .. } => {
            format!("{}（{}）被 SIGPIPE 杀死", writer.pid, p(writer))
        }
        FindingFact::NeverReaped {
            child,
            parent,
            exit_seq,
            parent_exit_seq,
            ..
        } => {
            let (c, cprog) = (child.pid, p(child));
            let (pp, pprog) = (parent.pid, p(parent));
            match parent_exit_seq {
                Some(e) => format!(
                    "{c}（{cprog}）在 #{exit_seq} 退出了，可它的父进程 {pp}（{pprog}）在 #{e} 退出时都没有 wait 它"
                ),
                None => format!(
                    "{c}（{cprog}）在 #{exit_seq} 退出后一直没有被回收：跟踪结束时它的父进程 {pp}（{pprog}）还在运行"
                ),
            }
        }
        FindingFact::WaitOnStoppedChild {
            parent,
            child,
            signal,
            idle_ns,
            ..
        } => {
            let (pp, c) = (parent.pid, child.pid);
            format!(
                "{pp}（{}）阻塞在 wait 里等 {c}（{}）等了 {}，而 {c} 早已被 {signal} 暂停：不带 WUNTRACED 的 wait 不会报告子进程暂停",
                p(parent),
                p(child),
                duration(*idle_ns)
            )
        }
        FindingFact::Hang {
            facts: Some(f),
            hang,
            stalled_ns,
            killed,
            ..
        } => hang_worded(hang, f, *stalled_ns, *killed).0,
        FindingFact::Hang { hang, tasks, .. } => {
            let kind = match hang.as_str() {
                "deadlock" => "死锁：几个进程互相等待",
                "eof-held-open" => "读端等 EOF，而写端被一个闲着的进程拿着不放",
                _ => "卡住了：没有谁能让它继续",
            };
            let who: Vec<String> = tasks
                .iter()
                .map(|t| format!("{}（{}）", t.pid, p(t)))
                .collect();
            format!("录制时发现程序卡住了（{kind}）：{}", who.join("、"))
        }
    }
}

pub(super) fn explanation(f: &FindingFact) -> String {
    match f {
        FindingFact::OwnWriteEnd {
            reader,
            pipe,
            rfd,
            forked_at,
            others_closed_at,
            outcome: o,
            ..
        } => {
            let c = reader.pid;
            let got = match forked_at {
                Some(s) => format!("{c} 在 fork 出来时（#{s}）就拿到了 {pipe} 的两端"),
                None => format!("{c} 持有 {pipe} 的两端"),
            };
            let others = match others_closed_at {
                Some(s) => format!(
                    "其他写端都已关闭（最后一个在 #{s}），只剩 {c} 自己那份副本让管道的写端一直开着。"
                ),
                None => String::new(),
            };
            format!(
                "{EOF_RULE}，读者自己手里的那份副本也算在内。{got}，却一直没有关闭写端：它在 fd {rfd} 上的 read 只能一直阻塞。{others}{}",
                outcome(o)
            )
        }
        FindingFact::HeldElsewhere {
            holder,
            reader,
            rfd,
            wfd,
            wait_seq,
            outcome: o,
            ..
        } => {
            let (x, c) = (holder.pid, reader.pid);
            format!(
                "{EOF_RULE}。{c} 持有读端（fd {rfd}），可管道还有一个写者：{x} 的 fd {wfd}，这是 fork 留下来的副本，并不是谁真正在往里写的标准输出。而 {x} 自己正阻塞着等 {c}（#{wait_seq}）。{}",
                outcome(o)
            )
        }
        FindingFact::WaitedHoldingWriteEnd {
            holder,
            reader,
            pipe,
            rfd,
            wfd,
            wait_seq,
            blocked_ns,
            release,
            release_seq,
        } => {
            let (x, c) = (holder.pid, reader.pid);
            let blocked = blocked_ns
                .map(|d| format!("，等了 {}", duration(d)))
                .unwrap_or_default();
            let how = release_text(x, *release);
            format!(
                "{EOF_RULE}。{c} 一直在读 {pipe}（fd {rfd}），等着 EOF；{x} 则阻塞在 wait 里等 {c}{blocked}（#{wait_seq} 显示等待被打断），写端 fd {wfd} 还开着。两个进程都在等对方。直到 {how}（#{release_seq}），{c} 才看到 EOF，得以结束。"
            )
        }
        FindingFact::LeakedIntoExec {
            pipe,
            end: e,
            leaks,
            hurt,
        } => {
            let mut s = String::from(
                "execve 会保留所有没有标记 close-on-exec 的文件描述符，所以新程序根本不知道的管道端，会在它运行期间一直开着。",
            );
            let en = end(*e);
            for l in leaks {
                let n = p(&l.proc);
                let held = match &l.end {
                    Some(x) => format!(
                        "直到{}（#{}，exec 之后 {}）",
                        if x.at_end { "跟踪结束" } else { "它退出" },
                        x.seq,
                        duration(x.after_ns)
                    ),
                    None => String::new(),
                };
                s.push_str(&format!(
                    "{n}（{}）在 #{} 通过 exec 拿到了 fd {}（{pipe} 的{en}），{held}一直持有，既没关闭也没用过。",
                    l.proc.pid, l.exec_seq, l.fd
                ));
                if let Some(r) = l.reads_same {
                    s.push_str(&format!(
                        "它同时还在读 {pipe}（fd {r}）：自己输入的写端攥在自己手里，它在那里永远等不到 EOF。"
                    ));
                }
                if let (Some(d), Some(x)) = (&l.delayed, &l.end) {
                    let (wait, late) = match d.others_done {
                        Some((seq, late_ns)) => (
                            format!(
                                "到 #{seq} 时其他写端都已关闭；从那以后只剩这份泄漏的副本让 {pipe} 的写端开着，所以"
                            ),
                            format!("，晚了 {}", duration(late_ns)),
                        ),
                        None => ("它持有的是最后一个写端，所以".to_string(), String::new()),
                    };
                    s.push_str(&format!(
                        "{wait} {pipe} 的读者直到 {n} 退出（#{}）才看到 EOF{late}。",
                        x.seq
                    ));
                }
            }
            match e {
                PipeEnd::Write | PipeEnd::Both if !hurt => s.push_str(&format!(
                    "多出来的写端只要还开着，{pipe} 的读者就看不到 EOF。"
                )),
                PipeEnd::Read => s.push_str(&format!(
                    "多出来的读端会让真正的读者退出后，{pipe} 的写者收不到 EPIPE/SIGPIPE，反而可能阻塞在写满的管道上。"
                )),
                _ => {}
            }
            s
        }
        FindingFact::StdioHeldOpen {
            leak,
            pipe,
            late_ns,
        } => {
            let n = p(&leak.proc);
            let others = leak
                .delayed
                .and_then(|d| d.others_done)
                .map(|(seq, _)| format!("到 #{seq} 时其他写端都已关闭；"))
                .unwrap_or_default();
            let end = leak
                .end
                .map(|e| format!("（#{}）", e.seq))
                .unwrap_or_default();
            format!(
                "管道的读者要等所有进程里的所有写端都关闭后，才会看到 EOF。{} 从父进程原样继承了 fd {}，也就是 {pipe} 的写端（后台任务就是这样和 shell 共用标准输出的），并在 #{} 带着它 exec 了 {n}。{others}从那以后只剩 {n} 的这份副本让 {pipe} 的写端开着，所以它的读者又多等了 {}，直到 {n} 放开它{end}。",
                leak.proc.pid,
                leak.fd,
                leak.exec_seq,
                duration(*late_ns)
            )
        }
        FindingFact::LongZombie {
            child,
            parent,
            exit_seq,
            status: s,
            reap_seq,
            zombie_ns,
            sigchld,
        } => {
            let (c, by) = (child.pid, parent.pid);
            let told = match sigchld {
                Some((seq, after)) => format!(
                    "退出 {} 之后，SIGCHLD 在 #{seq} 就通知了 {by}，可它当时并没有 wait。",
                    duration(*after)
                ),
                None => String::new(),
            };
            format!(
                "进程退出后会变成僵尸进程：内核替它保留着 pid 和退出状态，直到父进程用 wait() 把它回收。{c} 在 #{exit_seq} 退出{}，{by} 到 #{reap_seq} 才回收它，晚了 {}。{told}一个僵尸进程无伤大雅；但长期运行的父进程总是迟迟不 wait，僵尸就会越积越多，直到 fork() 因 EAGAIN 失败。",
                st(s),
                duration(*zombie_ns)
            )
        }
        FindingFact::Orphan {
            child,
            exit_seq,
            adopter,
            ..
        } => {
            let c = child.pid;
            let ran_on = match exit_seq {
                Some(e) => format!("{c} 继续运行，在 #{e} 退出。"),
                None => format!("跟踪结束时 {c} 还在运行。"),
            };
            let adopted = match adopter {
                Some((a, e)) => format!("{}（{}）收养了它：在 #{e} 回收了它。", a.pid, p(a)),
                None => "被跟踪的进程里没有谁 wait 它：它被 init 或跟踪范围之外的 subreaper 收养，由它们来回收。".into(),
            };
            format!(
                "父进程先于子进程退出时，内核会把子进程交给 init（pid 1）或最近的 subreaper，由它来 wait()；程序本身则无从得知这个子进程是怎么结束的。{ran_on}{adopted}"
            )
        }
        FindingFact::SigpipeBrokenPipe {
            writer,
            pipe,
            fd,
            closer,
            late,
            death_seq,
        } => {
            let c = writer.pid;
            let who = match closer {
                Some(k) => format!(
                    "{pipe} 的最后一个读端是 {} 的 fd {}，在 #{} 关闭；{c} 仍在 fd {fd} 上持有写端，往里写，于是死了（#{death_seq}）。{}",
                    k.proc.pid,
                    k.fd,
                    k.seq,
                    if *late {
                        "（记录器要等进程完全消失后才写下它的退出，所以读者的退出排在了它造成的这次死亡之后。）"
                    } else {
                        ""
                    }
                ),
                None => format!("{c} 死的时候（#{death_seq}）在 fd {fd} 上持有 {pipe} 的写端。"),
            };
            format!(
                "{SIGPIPE_RULE}{who}如果管道线的读者是故意提前停下的（`yes | head -1`），写者正是靠这个知道该停了；否则就是读者还没读完就退出或崩溃了。"
            )
        }
        FindingFact::SigpipeSent {
            writer,
            sender,
            sent_seq,
        } => format!(
            "{SIGPIPE_RULE}但这里跟管道破裂无关：是 {sender} 明确地把 SIGPIPE 发给了 {}（#{sent_seq}）。",
            writer.pid
        ),
        FindingFact::SigpipeElsewhere { writer, outside } => {
            let outside = match outside {
                Some((fd, pipe)) => format!(
                    "它在 fd {fd} 上持有 {pipe}，这是从跟踪范围之外继承来的管道：它的读者在跟踪范围之外，多半是退出了。"
                ),
                None => "它多半是往一个对端已经关闭的 socket 里写了。".into(),
            };
            format!(
                "{SIGPIPE_RULE}{} 持有的、在跟踪中创建的管道，没有一个失去了最后的读者。{outside}",
                writer.pid
            )
        }
        FindingFact::NeverReaped {
            child,
            parent,
            exit_seq,
            status: s,
            parent_exit_seq,
            zombie_ns,
        } => {
            let (c, pp) = (child.pid, parent.pid);
            let dur = duration(*zombie_ns);
            let what = match parent_exit_seq {
                Some(_) => format!(
                    "它当了 {dur} 的僵尸进程，直到 {pp} 自己也退出；之后由 init 或跟踪范围之外的 subreaper 回收，{pp} 始终不知道它是怎么结束的。"
                ),
                None => format!("过了 {dur}，到跟踪结束时它还是僵尸进程。"),
            };
            let became = match &parent.forked_as {
                Some(was) => format!(
                    "{pp} 是在运行 {} 时 fork 出它的，之后 exec 成了 {}，而 {} 对 {} 启动的子进程一无所知。",
                    v(was),
                    v(&parent.program),
                    v(&parent.program),
                    v(was)
                ),
                None => String::new(),
            };
            format!(
                "进程退出后会一直是僵尸进程，直到父进程用 wait() 取走它的退出状态。{c} 在 #{exit_seq} 退出{}。{what}{became}",
                st(s)
            )
        }
        FindingFact::WaitOnStoppedChild {
            parent,
            child,
            signal,
            stop_seq,
            evidence,
            end,
            ..
        } => {
            let (pp, c) = (parent.pid, child.pid);
            let evidence = match evidence {
                StopEvidence::Interrupted(w) => format!(
                    "{c} 暂停期间，{pp} 一直在一个能等到 {c} 的 wait 里（#{w} 显示它被打断）"
                ),
                StopEvidence::Returned(r) => {
                    format!("直到 #{r} 它的 wait 返回，{pp} 什么别的也没做")
                }
                StopEvidence::Idle => format!("{pp} 什么别的也没做"),
            };
            let end = match end {
                StopEnd::ContinuedBy { sender, sent, cont } => format!(
                    "它一直阻塞，直到 {}（{}）发出 SIGCONT（#{sent}），{c} 才继续运行（#{cont}）。",
                    sender.pid,
                    p(sender)
                ),
                StopEnd::Continued(k) => format!("它一直阻塞，直到 {c} 被继续运行（#{k}）。"),
                StopEnd::StillStopped => format!("跟踪结束时 {c} 仍处于暂停状态，{pp} 也还在等。"),
            };
            format!(
                "{c} 在 #{stop_seq} 进入了组暂停（{signal}）：暂停的进程在收到 SIGCONT 之前不会再运行。{evidence}，而不带 WUNTRACED 的 wait() 只报告已经结束的子进程，所以它察觉不到这次暂停。{end}"
            )
        }
        FindingFact::Hang {
            facts: Some(f),
            hang,
            stalled_ns,
            killed,
            ..
        } => hang_worded(hang, f, *stalled_ns, *killed).1,
        FindingFact::Hang { steps, killed, .. } => format!(
            "forkscope 录制时从 /proc 看到的等待关系（原文）：{}{}",
            steps.join(" "),
            if *killed {
                " forkscope 随后杀掉了被跟踪的进程（--on-deadlock kill）。"
            } else {
                ""
            }
        ),
    }
}

pub(super) fn fix(f: &FindingFact) -> String {
    match f {
        FindingFact::OwnWriteEnd { reader, wfd, .. } => format!(
            "在读者（{}）里，fork 之后、开始读之前就关闭写端（fd {wfd}）：管道两边各自关掉自己用不到的那一端。",
            p(reader)
        ),
        FindingFact::HeldElsewhere { holder, wfd, .. } => format!(
            "在 {} 里，一旦没有东西要写就关闭 fd {wfd}：如果它根本不写，fork 之后马上关；无论如何都要在等待读者之前关。",
            p(holder)
        ),
        FindingFact::WaitedHoldingWriteEnd {
            holder,
            reader,
            wfd,
            ..
        } => format!(
            "在 {} 里，写完就关闭写端（fd {wfd}），并且一定要在等待 {} 之前关：先 close(fd)，再 waitpid()。",
            p(holder),
            reader.pid
        ),
        FindingFact::LeakedIntoExec { leaks, .. } => format!(
            "在子进程 exec 之前关闭 fd {}，或者把管道设成 close-on-exec（pipe2(p, O_CLOEXEC)，或 fcntl(fd, F_SETFD, FD_CLOEXEC)），只把子进程需要的那一端 dup2 到 0/1/2 上（dup2 出来的副本会清掉 close-on-exec）。",
            leaks.first().map_or(0, |l| l.fd)
        ),
        FindingFact::StdioHeldOpen { leak, .. } => {
            let n = p(&leak.proc);
            format!(
                "如果 {n} 是在后台运行的，启动时就把它的输出送到别处（`{n} >/dev/null 2>&1 &`，或者一个日志文件），或者在 exec 之前关闭它的 fd {}；如果读者需要 {n} 写出的内容，那这次等待是预期之中的。",
                leak.fd
            )
        }
        FindingFact::LongZombie { parent, .. } => format!(
            "子进程一结束就回收：在 {} 里，估计子进程该结束时就调用 waitpid()，或者处理 SIGCHLD，在处理函数里循环调用 waitpid(-1, &status, WNOHANG)。",
            p(parent)
        ),
        FindingFact::Orphan { child, parent, .. } => format!(
            "如果 {} 应该比子进程活得久，就让它在退出前 wait 它们（waitpid）。如果 {} 本来就要独自运行（守护进程），那这是预期之中的。",
            p(parent),
            p(child)
        ),
        FindingFact::SigpipeBrokenPipe { .. } => "如果读者本来就可能提前停下，这是预期之中的（shell 会报 141）。否则就让读者一直读到 EOF，或者忽略 SIGPIPE（signal(SIGPIPE, SIG_IGN)），自己处理 write() 返回的 EPIPE。".into(),
        FindingFact::SigpipeSent { .. } => {
            "想让进程停下，就发专门用来停止进程的信号，比如 SIGTERM，而不是 SIGPIPE。".into()
        }
        FindingFact::SigpipeElsewhere { .. } => "让读者一直运行到写者写完，或者忽略 SIGPIPE（signal(SIGPIPE, SIG_IGN)），自己处理 write() 返回的 EPIPE。".into(),
        FindingFact::NeverReaped { parent, .. } => match &parent.forked_as {
            Some(was) => format!(
                "在 fork 出它的 {} 里，启动的每个子进程都要 wait，而且要在 exec {}（或退出）之前：调用 waitpid(child, &status, 0)，或者用 SIGCHLD 处理函数来回收；只有在根本不需要退出状态时，才把 SIGCHLD 设为 SIG_IGN。",
                v(was),
                v(&parent.program)
            ),
            None => format!(
                "在 {} 里，启动的每个子进程都要 wait：退出前调用 waitpid(child, &status, 0)，或者用 SIGCHLD 处理函数来回收；只有在根本不需要退出状态时，才把 SIGCHLD 设为 SIG_IGN。",
                p(parent)
            ),
        },
        FindingFact::WaitOnStoppedChild { parent, child, .. } => format!(
            "在 {} 里，给 waitpid() 加上 WUNTRACED（以及 WCONTINUED），检查 WIFSTOPPED(status)，在子进程该继续时发送 SIGCONT（kill({}, SIGCONT)）；或者不要在父进程等待子进程的时候让子进程暂停。",
            p(parent),
            child.pid
        ),
        FindingFact::Hang {
            facts: Some(f),
            hang,
            stalled_ns,
            killed,
            ..
        } => hang_worded(hang, f, *stalled_ns, *killed).2,
        FindingFact::Hang { fix, .. } => format!("（原文）{fix}"),
    }
}

pub(super) fn event(e: &EventFact) -> String {
    match e {
        EventFact::ForkGetsBothEnds { child } => format!("fork：{child} 拿到了两端的副本"),
        EventFact::ClosesFd { pid, fd, object: o } => {
            format!("{pid} 关闭 fd {fd}（{}）", object(o))
        }
        EventFact::WaitInterrupted {
            waiter,
            child,
            after_ns,
        } => match after_ns {
            Some(d) => format!("{waiter} 等待 {child} 阻塞了 {} 之后被打断", duration(*d)),
            None => format!("{waiter} 对 {child} 的等待被打断"),
        },
        EventFact::KilledWhileReading { pid, signal } => format!(
            "{pid} 在读的时候被 {} 杀死",
            signal.map_or("a signal".to_string(), |s| s.to_string())
        ),
        EventFact::TraceEndsWaitingForEof { pid } => format!("跟踪结束时 {pid} 还在等 EOF"),
        EventFact::LastWriteEndGoes {
            holder,
            release,
            reader,
        } => format!(
            "{}：最后一个写端关闭；{reader} 看到 EOF",
            release_text(*holder, *release)
        ),
        EventFact::ExecsWithFd {
            pid,
            program,
            fd,
            pipe,
            end: e,
        } => format!(
            "{pid} exec {} 时 fd {fd}（{pipe} 的{}）还开着",
            v(program),
            end(*e)
        ),
        EventFact::MakesPipe { by, pipe } => format!("{by} 创建 {pipe}"),
        EventFact::OnlyLeakedCopiesLeft { pipe } => format!("{pipe} 的写端只剩下泄漏的副本"),
        EventFact::LastReaderGone { pipe } => format!("{pipe} 的最后一个读者没了"),
        EventFact::ExitsClosingFd { proc, fd } => {
            format!("{}（{}）退出，关闭了 fd {fd}", proc.pid, p(proc))
        }
        EventFact::TraceEndsFdOpen { pid, fd } => format!("跟踪结束时 {pid} 的 fd {fd} 还开着"),
        EventFact::SigchldReaches { child, parent } => {
            format!("{child} 的 SIGCHLD 送达 {parent}")
        }
        EventFact::Exits { pid, status: s } => format!("{pid} 退出{}", st(s)),
        EventFact::Reaps { by, child } => format!("{by} 回收 {child}"),
        EventFact::ExitsWhileChildRuns { parent, child } => {
            format!("{parent} 退出，{child} 还在运行")
        }
        EventFact::OrphanExits { pid } => format!("孤儿进程 {pid} 退出"),
        EventFact::ReapsOrphan { by, pid } => format!("{by} 回收孤儿进程 {pid}"),
        EventFact::LastReadEndCloses {
            proc,
            fd,
            pipe,
            how,
        } => {
            let (pid, n) = (proc.pid, p(proc));
            let how = match how {
                CloseHow::Exit => format!("{pid}（{n}）退出，关闭了 fd {fd}"),
                CloseHow::Close => format!("{pid}（{n}）关闭 fd {fd}"),
                CloseHow::Exec => format!("{pid} 的 fd {fd} 在 exec 时关闭（close-on-exec）"),
                CloseHow::Dup => format!("dup2 覆盖了 {pid} 的 fd {fd}，把它关掉了"),
                CloseHow::Other => format!("{pid} 的 fd {fd} 关闭"),
            };
            format!("{how}：这是 {pipe} 的最后一个读端")
        }
        EventFact::KilledBySigpipe { proc } => {
            format!("{}（{}）被 SIGPIPE 杀死", proc.pid, p(proc))
        }
        EventFact::SendsSigpipe { from, to } => format!("{from} 用 kill() 向 {to} 发送 SIGPIPE"),
        EventFact::ExitsWithoutWaiting { parent, child } => {
            format!("{parent} 没有 wait {child} 就退出了")
        }
        EventFact::TraceEndsWithZombie { child } => format!("跟踪结束时 {child} 仍是僵尸进程"),
        EventFact::Stops { pid, signal } => format!("{pid} 暂停（{signal}）"),
        EventFact::Continues { pid } => format!("{pid} 继续运行"),
        EventFact::WaitReturns { pid } => format!("{pid} 的 wait 返回"),
        EventFact::SendsSigcont { from, to } => format!("{from} 向 {to} 发送 SIGCONT"),
        EventFact::HangFound { facts: Some(f), .. } => format!(
            "录制时发现卡住了：{}",
            crate::words::hang::summary(Lang::Zh, &f.summary)
        ),
        EventFact::HangFound { facts: None, .. } => "录制时发现卡住了".into(),
    }
}

pub(super) fn object(o: &FdObject) -> String {
    match o {
        FdObject::Pipe {
            label,
            end: e,
            fifo,
        } => {
            let e = match e {
                Some(e) => format!(" 的{}", end(*e)),
                None => " end ?".into(),
            };
            match fifo {
                Some(path) => format!("fifo {} ({label}){e}", v(path)),
                None => format!("{label}{e}"),
            }
        }
        FdObject::Path(_) | FdObject::Socket { .. } | FdObject::Unknown => super::en::object(o),
    }
}

pub(super) fn role(r: Role) -> &'static str {
    match r {
        Role::Reader => "读者",
        Role::Writer => "写者",
        Role::Leaked => "泄漏者",
        Role::Parent => "父进程",
        Role::Child => "子进程",
        Role::Adopter => "收养者",
        Role::Closer => "关闭者",
        Role::Sender => "发送者",
        Role::Blocked => "卡住的进程",
        Role::LockHolder => "持有锁",
        Role::LockWaiter => "等锁",
    }
}

pub(super) fn frame(f: Frame) -> &'static str {
    match f {
        Frame::Processes => "进程",
        Frame::Fds => "描述符",
        Frame::Events => "事件",
        Frame::Fix => "怎么改",
    }
}

pub(super) fn totals(events: u64, counts: &[(Severity, usize)]) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|&(s, n)| {
            let w = match s {
                Severity::Error => "错误",
                Severity::Warning => "警告",
                Severity::Info => "提示",
            };
            format!("{n} 个{w}")
        })
        .collect();
    let n: usize = counts.iter().map(|c| c.1).sum();
    format!("{events} 个事件里发现 {n} 个问题：{}", parts.join("，"))
}

/// A recorded hang that carries its facts, worded in Chinese as a live
/// report words it: (summary, explanation, fix, event note).
fn hang_worded(
    hang: &str,
    f: &crate::trace::hang::HangFacts,
    stalled_ns: Option<u64>,
    killed: bool,
) -> (String, String, String, String) {
    use crate::words::hang::{self, Recorded};
    hang::recorded(
        Lang::Zh,
        &Recorded {
            kind: hang,
            summary: hang::summary(Lang::Zh, &f.summary),
            steps: hang::steps(Lang::Zh, &f.steps),
            fix: hang::fix(Lang::Zh, &f.fix),
            stalled_ns,
            killed,
        },
    )
}
