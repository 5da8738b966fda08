//! The words of the kernel view, of change marks and of a pipe's state, in
//! English and Chinese, kept in one place so that every format says the same
//! thing the same way (the ascii, svg, dot, mermaid and html drawings and
//! `replay`'s pipe list all read a pipe's state from [`pipe_verdict`]).

use super::lang::{self, Lang};

fn zh() -> bool {
    lang::current() == Lang::Zh
}

/// What a pipe's ends mean for its readers and writers right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipeVerdict {
    /// The sentence.
    pub text: String,
    /// No writer is left: readers get EOF (good news for a pipeline).
    pub eof: bool,
    /// Something a reader should worry about (no reader left: SIGPIPE; or
    /// the ends may be held outside the trace).
    pub bad: bool,
}

/// The state of a pipe with `writers` and `readers` traced fds on its ends
/// and `unknown` fds whose end is not known; `inherited` when it came from
/// outside the trace, where untraced processes may hold more of its ends.
/// `None` when there is nothing to say (ends of unknown direction rule out
/// both claims).
pub fn pipe_verdict(
    writers: usize,
    readers: usize,
    unknown: usize,
    inherited: bool,
) -> Option<PipeVerdict> {
    if unknown > 0 {
        return None;
    }
    let zh = zh();
    let v = |text: &str, eof, bad| {
        Some(PipeVerdict {
            text: text.to_string(),
            eof,
            bad,
        })
    };
    match (writers, readers) {
        (0, 0) => None,
        (0, _) if inherited => v(
            if zh {
                "跟踪范围内没有写端（跟踪范围外的进程可能还持有写端）"
            } else {
                "no writer in the trace (a process outside it may still hold one)"
            },
            false,
            true,
        ),
        (_, 0) if inherited => v(
            if zh {
                "跟踪范围内没有读端（跟踪范围外的进程可能还持有读端）"
            } else {
                "no reader in the trace (a process outside it may still hold one)"
            },
            false,
            true,
        ),
        (0, _) => v(
            if zh {
                "写端全关了 → 读端读到 EOF"
            } else {
                "no writer left \u{2192} readers get EOF"
            },
            true,
            false,
        ),
        (_, 0) => v(
            if zh {
                "读端全关了 → 再写会收到 SIGPIPE"
            } else {
                "no reader left \u{2192} writers get SIGPIPE"
            },
            false,
            true,
        ),
        (1, _) => v(
            if zh {
                "写端一关闭，读端就会读到 EOF"
            } else {
                "readers see EOF once the write end is closed"
            },
            false,
            false,
        ),
        (2, _) => v(
            if zh {
                "两个写端都关闭后，读端才会读到 EOF"
            } else {
                "readers see EOF once both write ends are closed"
            },
            false,
            false,
        ),
        (n, _) => Some(PipeVerdict {
            text: if zh {
                format!("{n} 个写端全部关闭后，读端才会读到 EOF")
            } else {
                format!("readers see EOF once all {n} write ends are closed")
            },
            eof: false,
            bad: false,
        }),
    }
}

/// `2 writers · 1 reader` (fds on each end), and fds whose end is not known.
pub fn pipe_counts(writers: usize, readers: usize, unknown: usize) -> String {
    let mut t = if zh() {
        format!("写端 {writers} 个 \u{b7} 读端 {readers} 个")
    } else {
        let s = |n: usize| if n == 1 { "" } else { "s" };
        format!(
            "{writers} writer{} \u{b7} {readers} reader{}",
            s(writers),
            s(readers)
        )
    };
    if unknown > 0 {
        if zh() {
            t.push_str(&format!(" \u{b7} 不知是哪一端 {unknown} 个"));
        } else {
            t.push_str(&format!(" \u{b7} {unknown} of unknown end"));
        }
    }
    t
}

/// The mouth of a pipe's tube where writers pour in.
pub fn write_mouth() -> &'static str {
    lang::current().pick("write end", "写端")
}

/// The mouth where readers drain it.
pub fn read_mouth() -> &'static str {
    lang::current().pick("read end", "读端")
}

/// The heading of the kernel view's left column.
pub fn fd_tables() -> &'static str {
    lang::current().pick("fd tables (one per process)", "fd 表（每个进程一张）")
}

/// The heading of the middle column.
pub fn open_file_table() -> &'static str {
    lang::current().pick("open file table (kernel)", "系统打开文件表（内核）")
}

/// The heading of the right column.
pub fn objects() -> &'static str {
    lang::current().pick("files, ttys, pipes", "文件、终端、管道")
}

/// The access mode of an open file: `read`, `write`, `read/write`, `unknown`.
pub fn access(mode: &str) -> &'static str {
    match (mode, zh()) {
        ("read", false) => "read-only",
        ("read", true) => "只读",
        ("write", false) => "write-only",
        ("write", true) => "只写",
        ("read/write", false) => "read/write",
        ("read/write", true) => "读写",
        (_, false) => "mode unknown",
        (_, true) => "模式未知",
    }
}

/// `refcount 3`.
pub fn refcount(n: usize) -> String {
    if zh() {
        format!("引用计数 {n}")
    } else {
        format!("refcount {n}")
    }
}

/// Under an open file several fds hold: they share one file offset.
pub fn shared_offset() -> &'static str {
    lang::current().pick("one offset, shared", "共用一个文件偏移量")
}

/// The kernel view's key, one line.
pub fn kernel_legend() -> &'static str {
    lang::current().pick(
        "fd \u{2192} open file \u{2192} object \u{b7} cloexec belongs to the fd; mode, O_APPEND/O_NONBLOCK (as opened), offset and refcount to the open file \u{b7} two arrows into one open file: dup or fork",
        "fd \u{2192} 打开文件 \u{2192} 对象 \u{b7} cloexec 属于 fd；访问模式、O_APPEND/O_NONBLOCK（打开时的）、偏移量和引用计数属于打开文件 \u{b7} 两个箭头指向同一个打开文件：dup 或 fork 的结果",
    )
}

/// The mark on a process or fd the event just made.
pub fn new_mark() -> &'static str {
    lang::current().pick("new", "新")
}

/// A struck-through row: what the fd referred to before the event.
pub fn was(what: &str) -> String {
    if zh() {
        format!("原来是 {what}")
    } else {
        format!("was {what}")
    }
}

/// The key for change marks.
pub fn marks_legend() -> &'static str {
    lang::current().pick(
        "new: made by this step \u{b7} struck through: removed by it",
        "新：这一步新建的 \u{b7} 删除线：这一步去掉的",
    )
}

/// The heading over the moment before an event (`--before`).
pub fn before_heading(seq: u64) -> String {
    if zh() {
        format!("#{seq} 之前")
    } else {
        format!("before #{seq}")
    }
}

/// The heading over the moment after it.
pub fn after_heading(seq: u64) -> String {
    if zh() {
        format!("#{seq} 之后")
    } else {
        format!("after #{seq}")
    }
}

/// The HTML page's switch that shows the steps it hides at first.
pub fn show_library_steps(n: usize) -> String {
    if zh() {
        format!("显示动态库和 locale 文件的打开与关闭（{n} 步）")
    } else {
        format!("show library and locale file steps ({n})")
    }
}

/// The HTML page's zoom buttons and presentation size.
pub fn zoom_in() -> &'static str {
    lang::current().pick("zoom in", "放大")
}

/// See [`zoom_in`].
pub fn zoom_out() -> &'static str {
    lang::current().pick("zoom out", "缩小")
}

/// See [`zoom_in`].
pub fn presentation() -> &'static str {
    lang::current().pick("presentation size", "演示字号")
}

/// What `diagram --format html` wrote: its real size.
pub fn page_size(steps: usize, bytes: usize) -> String {
    let kib = bytes as f64 / 1024.0;
    let per = kib / steps.max(1) as f64;
    if zh() {
        format!("网页共 {steps} 步，{kib:.0} KiB，平均每步 {per:.1} KiB")
    } else {
        format!("the page has {steps} steps in {kib:.0} KiB, {per:.1} KiB a step")
    }
}

/// The HTML page's view switch: the compact drawing.
pub fn view_compact() -> &'static str {
    lang::current().pick("fd tables", "fd 表")
}

/// The HTML page's view switch: the kernel's three tables.
pub fn view_kernel() -> &'static str {
    lang::current().pick("kernel view", "内核视图")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inherited_pipe_never_promises_eof_or_sigpipe() {
        for lang in [Lang::En, Lang::Zh] {
            lang::set(lang);
            let w = pipe_verdict(0, 2, 0, true).unwrap();
            let r = pipe_verdict(1, 0, 0, true).unwrap();
            for v in [&w, &r] {
                assert!(!v.eof && v.bad, "{v:?}");
                assert!(
                    !v.text.contains("SIGPIPE") && !v.text.contains("EOF"),
                    "{v:?}"
                );
            }
        }
        lang::set(Lang::En);
    }

    #[test]
    fn a_created_pipe_says_eof_and_sigpipe_as_the_course_does() {
        lang::set(Lang::En);
        assert_eq!(
            pipe_verdict(0, 1, 0, false).unwrap().text,
            "no writer left \u{2192} readers get EOF"
        );
        assert_eq!(
            pipe_verdict(1, 0, 0, false).unwrap().text,
            "no reader left \u{2192} writers get SIGPIPE"
        );
        assert_eq!(pipe_verdict(1, 0, 1, false), None);
        assert_eq!(pipe_counts(1, 2, 0), "1 writer \u{b7} 2 readers");
    }
}
