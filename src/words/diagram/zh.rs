//! The drawings' words in Chinese.

use super::{Moment, Notice, Origin, Phrase, Verdict, Word};

pub(super) fn word(w: Word) -> &'static str {
    match w {
        Word::WriteMouth => "写端",
        Word::ReadMouth => "读端",
        Word::FdTables => "fd 表（每个进程一张）",
        Word::OpenFileTable => "系统打开文件表（内核）",
        Word::Objects => "文件、终端、管道",
        Word::SharedOffset => "共用一个文件偏移量",
        Word::KernelLegend => "fd \u{2192} 打开文件 \u{2192} 对象 \u{b7} cloexec 属于 fd；访问模式、O_APPEND/O_NONBLOCK（打开时的）、偏移量和引用计数属于打开文件 \u{b7} 两个箭头指向同一个打开文件：dup 或 fork 的结果",
        Word::NewMark => "新",
        Word::MarksLegend => "新：这一步新建的 \u{b7} 删除线：这一步去掉的",
        Word::ZoomIn => "放大",
        Word::ZoomOut => "缩小",
        Word::Presentation => "演示字号",
        Word::ViewCompact => "fd 表",
        Word::ViewKernel => "内核视图",
        Word::NoOpenFds => "没有打开的 fd",
        Word::Ran => "先后运行",
        Word::NotDrawn => "没有画出",
        Word::Nobody => "无",
        Word::NoLiveProcesses => "（没有活着的进程）",
        Word::EventHeading => "事件",
        Word::WarningsHeading => "警告",
        Word::PipesHeading => "管道",
        Word::SharedFiles | Word::SharedFilesLong => "共享的打开文件",
        Word::CloexecKey | Word::CloexecKeyShort => "cloexec：下一次 exec 时关闭",
        Word::SharedMarkKey => "#N \u{d7}K：打开文件 #N，被 K 个 fd 共享",
        Word::SharedMarkKeyShort => "#N\u{d7}K：打开文件 #N，被 K 个 fd 共享",
        Word::WritesArrow => "\u{2192} 往管道里写",
        Word::ReadsArrow => "\u{2190} 从管道里读",
        Word::DashedParent => "虚线：从父进程连到子进程",
        Word::EndQuestion => "哪一端？",
        Word::Write => "写",
        Word::Read => "读",
        Word::EndUnknown => "不知是哪一端",
        Word::KindFile => "文件",
        Word::KindFileInode => "文件（inode）",
        Word::KindTty => "终端",
        Word::KindSocket => "套接字",
        Word::KindOther => "其他",
        Word::HtmlLang => "zh-Hans",
        Word::CounterJs => r"'第 ' + (i + 1) + ' 步，共 ' + n + ' 步 \u00b7 事件 #' + s[0]",
        Word::NoSteps => "一步也没有",
        Word::Prev => "上一步（\u{2190}）",
        Word::Next => "下一步（\u{2192}）",
        Word::Slider => "第几步",
        Word::Timeline => "时间线",
        Word::NoEvents => "这个 trace 里没有事件。",
    }
}

pub(super) fn phrase(p: &Phrase) -> String {
    match p {
        Phrase::Refcount(n) => format!("引用计数 {n}"),
        Phrase::Was(what) => format!("原来是 {what}"),
        Phrase::BeforeHeading(seq) => format!("#{seq} 之前"),
        Phrase::AfterHeading(seq) => format!("#{seq} 之后"),
        Phrase::TitleAfter { title, seq } => format!("{title} \u{2014} #{seq} 之后"),
        Phrase::DotTitleAfter { seq, pid, call } => format!("#{seq} {pid} {call} 之后"),
        Phrase::ShowLibrarySteps(n) => format!("显示动态库和 locale 文件的打开与关闭（{n} 步）"),
        Phrase::PageSize { steps, bytes } => {
            let kib = *bytes as f64 / 1024.0;
            let per = kib / (*steps).max(1) as f64;
            format!("网页共 {steps} 步，{kib:.0} KiB，平均每步 {per:.1} KiB")
        }
        Phrase::Threads(n) => format!("+{n} 个线程"),
        Phrase::FdsNotShown(n) => format!("另有 {n} 个 fd 没有画出"),
        Phrase::FdCount(n) => format!("{n} 个 fd"),
        Phrase::NoOpenFdsRow => format!("  （{}）", word(Word::NoOpenFds)),
        Phrase::ChangedBy(seq) => format!("\u{25b6} 被 #{seq} 改动"),
        Phrase::Keys(parts) => format!("（{}）", parts.join("；")),
        Phrase::Holders {
            writers,
            readers,
            unknown,
        } => {
            let mut t = format!("写端 {writers} -> 读端 {readers}");
            if let Some(u) = unknown {
                t.push_str(&format!("；不知是哪一端 {u}"));
            }
            t
        }
        Phrase::Head(label) => format!("  {label}："),
        Phrase::NotDrawnHere(pids) => format!("不在这张图里：{pids}"),
        Phrase::SharedLine {
            id,
            label,
            count,
            holders,
        } => format!("{id} {label}（{count}）：{holders}"),
        Phrase::MoreNotListed(n) => format!("……还有 {n} 个没有列出"),
        Phrase::MoreHolders(n) => format!(" \u{b7} ……还有 {n} 个"),
        Phrase::OutsideFds(n) => format!("；另有 {n} 个 fd 在没有画出的进程里"),
        Phrase::Hidden(h) => h.clone(),
        Phrase::Chain(c) => format!("{} {c}", word(Word::Ran)),
        Phrase::BoxTip {
            pid,
            program,
            state,
            parent,
            chain,
        } => {
            let mut t = format!("进程 {pid} {program}（{state}）");
            if let Some(pp) = parent {
                t.push_str(&format!("，是 {pp} 的子进程"));
            }
            if let Some(c) = chain {
                t.push_str(&format!("；{} {c}", word(Word::Ran)));
            }
            t
        }
        Phrase::RowTip {
            pid,
            fd,
            label,
            cloexec,
            file,
            count,
        } => {
            let mut t = format!("{pid} 的 fd {fd}：{label}");
            if *cloexec {
                t.push_str("，设置了 close-on-exec（exec 时自动关闭）");
            }
            // A snapshot read from /proc does not know its open files.
            match count {
                _ if file.is_empty() => {}
                1 => t.push_str(&format!("；打开文件 {file}，只有这一个 fd 指向它")),
                k => t.push_str(&format!("；打开文件 {file}，共有 {k} 个 fd 指向它")),
            }
            t
        }
        Phrase::PipeTip {
            label,
            writers,
            readers,
            unknown,
            origin,
        } => {
            let mut t = format!("{label}：写端 {writers}；读端 {readers}");
            if let Some(u) = unknown {
                t.push_str(&format!("；不知是哪一端 {u}"));
            }
            match origin {
                Origin::Fifo => t.push_str("；这是按路径名打开的 FIFO（命名管道）"),
                Origin::Inherited => t.push_str("；它是从跟踪范围之外继承来的"),
                Origin::Created => {}
            }
            t
        }
        Phrase::Counter { step, steps, seq } => {
            format!("第 {step} 步，共 {steps} 步 \u{b7} 事件 #{seq}")
        }
        Phrase::Hint(n) => format!(
            "共 {n} 步 \u{b7} \u{2190} \u{2192} 前后翻一步 \u{b7} Home End 跳到开头或结尾 \u{b7} 链接加上 #seq=N 直达事件 #N"
        ),
        Phrase::PipeCounts {
            writers,
            readers,
            unknown,
        } => {
            let mut t = format!("写端 {writers} 个 \u{b7} 读端 {readers} 个");
            if *unknown > 0 {
                t.push_str(&format!(" \u{b7} 不知是哪一端 {unknown} 个"));
            }
            t
        }
        Phrase::ReadsOwnWriteEnd {
            pid,
            pipe,
            read_fd,
            write_fd,
        } => format!(
            "{pid} 从 pipe#{pipe} 读（fd {read_fd}），自己却还拿着它的写端（fd {write_fd}）：这个写端不关，它就读不到 EOF"
        ),
        Phrase::InheritedPipe(label) => {
            format!("{label} 是从跟踪范围之外继承来的：没被跟踪的进程可能还持有它的其他端")
        }
        Phrase::Zombie(pid) => {
            format!("{pid} 是僵尸进程：它已经退出了，父进程却还没有 wait 回收它")
        }
    }
}

pub(super) fn state(state: &str) -> &str {
    match state {
        "running" => "运行中",
        "stopped" => "已暂停",
        "zombie" => "僵尸",
        "blocked" => "阻塞中",
        "reaped" => "已回收",
        s => s,
    }
}

pub(super) fn access(mode: &str) -> &'static str {
    match mode {
        "read" => "只读",
        "write" => "只写",
        "read/write" => "读写",
        _ => "模式未知",
    }
}

pub(super) fn verdict(v: Verdict) -> String {
    match v {
        Verdict::NoWriterInTrace => "跟踪范围内没有写端（跟踪范围外的进程可能还持有写端）".into(),
        Verdict::NoReaderInTrace => "跟踪范围内没有读端（跟踪范围外的进程可能还持有读端）".into(),
        Verdict::Eof => "写端全关了 → 读端读到 EOF".into(),
        Verdict::Sigpipe => "读端全关了 → 再写会收到 SIGPIPE".into(),
        Verdict::EofOnceClosed(1) => "写端一关闭，读端就会读到 EOF".into(),
        Verdict::EofOnceClosed(2) => "两个写端都关闭后，读端才会读到 EOF".into(),
        Verdict::EofOnceClosed(n) => format!("{n} 个写端全部关闭后，读端才会读到 EOF"),
    }
}

pub(super) fn moment(m: Moment) -> &'static str {
    match m {
        Moment::Zombie => "子进程成了僵尸，父进程一直没有 wait 它",
        Moment::Wired => "程序 exec 之前的最后一次重定向：所有 fd 都接好了",
        Moment::Exec => "设置好 fd 之后的 exec：新程序保留了这些 fd",
        Moment::PipeEnds => "这一刻打开的管道端最多",
        Moment::Tasks => "从来没有打开过管道：这一刻活着的任务最多",
    }
}

pub(super) fn notice(n: &Notice) -> String {
    match n {
        Notice::CannotRead(p) => format!("读不了 trace 文件 {p}"),
        Notice::CannotReplay(p) => format!("重放 trace 文件 {p} 时出错"),
        Notice::CannotWrite(p) => format!("写不了 {p}"),
        Notice::CannotCreate(p) => format!("建不了文件 {p}"),
        Notice::CannotWriteStdout => "写不了标准输出".into(),
        Notice::CannotCreateDir(d) => format!("建不了目录 {d}"),
        Notice::CannotWriteMan(d) => format!("没法把 man 手册页写进 {d}"),
        Notice::IsTheTrace(p) => format!("{p} 就是要导出的这个 trace 文件：请换一个输出文件"),
        Notice::NoEvents(p) => format!("{p}：这个 trace 里没有事件"),
        Notice::NoEvent { trace, seq } => format!("{trace}：这个 trace 里没有事件 #{seq}"),
        Notice::BeyondEnd { trace, seq, last } => {
            format!("--at {seq} 超出了 {trace} 的末尾：最后一个事件是 #{last}")
        }
        Notice::NoneInRange(p) => format!("{p} 里没有落在这个范围里的事件"),
        Notice::Capped {
            shown,
            qualified,
            first,
            last,
        } => format!(
            "forkscope：网页里只放了 {qualified} 步里的前 {shown} 步（事件 #{first}..#{last}）；\
             想看别的，用 --range A..B；想要全部，用 --range ..；\
             --collapse-files 和 --pid 也能去掉一些步"
        ),
        Notice::AtIgnored => {
            "forkscope：--format html 不看 --at：网页会一步步翻过这些事件（用 --range A..B 挑选）"
                .into()
        }
        Notice::RangeIgnored => {
            "forkscope：--range 只用于 --format html；一张图只画一个时刻（用 --at SEQ）".into()
        }
        Notice::Drawing { seq, why } => format!(
            "forkscope：画的是 #{seq} 之后的状态（{}）；想看别的时刻，用 --at SEQ",
            moment(*why)
        ),
        Notice::NotAlive { pid, seq } => format!(
            "#{seq} 之后进程 {pid} 已经不在了：请用 --at SEQ 选一个它还活着的时刻（`forkscope tree` 显示每个进程活着的时段）"
        ),
        Notice::NoKernelView(_) => {
            "forkscope：--view kernel 只有 svg、ascii 和 html 能画；这里画的是简洁视图".into()
        }
        Notice::BeforeOnly => "forkscope：--before 只用于 svg 和 ascii".into(),
    }
}
