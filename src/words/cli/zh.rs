//! The command line's facts in Chinese.

use crate::cli::message::{Message, StraceHabit};
use crate::words::text::visible;

pub(super) fn message(m: &Message) -> String {
    match m {
        Message::Error { chain } => format!("forkscope：错误：{}", os_errors(chain)),
        Message::Wrote { path } => format!("forkscope：已写入 {}", path.display()),
        Message::LiveNeedsAFile => {
            "forkscope：--live 要跟着读 trace 文件，所以不能和 -o - 一起用".into()
        }
        Message::StallTimeoutNotPositive => "forkscope：--stall-timeout 必须是一个正的秒数".into(),
        Message::EbpfUnavailable { why } => format!("forkscope：--backend ebpf 无法使用：{why}"),
        Message::EbpfNotBuilt => "forkscope：这个 forkscope 构建时没有启用 `ebpf` 功能，不能用 --backend ebpf（用 cargo build --features ebpf 构建）".into(),
        Message::CannotExecute { program, why } => {
            format!("forkscope：{}：无法执行：{why}", visible(program))
        }
        Message::NotFound { cmd } => format!("forkscope：{}：找不到这个命令", visible(cmd)),
        Message::NotExecutable { cmd, why } => {
            format!("forkscope：{}：无法执行：{why}", visible(cmd))
        }
        Message::NoSubcommand { name, names } => format!(
            "forkscope：错误：没有子命令 {:?}；子命令有：{}",
            name,
            names.join("、")
        ),
        Message::Lost { records } => format!("forkscope：丢失了 {records} 条记录（eBPF 环形缓冲区满了）：trace 里缺少它们的内容（`lost` 事件标出了位置）"),
    }
}

pub(super) fn tip(h: StraceHabit) -> &'static str {
    match h {
        StraceHabit::FollowForks => "forkscope 总是跟踪 fork：命令启动的每个进程都会被记录（不需要 -f）",
        StraceHabit::Expr => "forkscope 记录的是一组固定的调用；要选择显示哪些，请用 `forkscope replay TRACE --kind exec,pipe,...`（也可以写系统调用名）",
        StraceHabit::StringLimit => "argv 和路径会被完整记录；`forkscope tree` 会缩短很长的 argv，并说明省略了多少",
        StraceHabit::Timestamps => "每个事件都带着时间记录下来；用 `forkscope replay TRACE -t`（挂钟时间）或 `-r`（距上一行的时间）显示",
        StraceHabit::SyscallTimes => "用 `forkscope replay TRACE --durations` 显示等待、读取和进程各持续了多久",
        StraceHabit::DecodeFds => "fd 总是会被解析：`forkscope replay TRACE --at SEQ` 显示每个 fd 是什么",
        StraceHabit::Summary => "录制结束时会打印摘要；`forkscope tree TRACE` 和 `forkscope doctor TRACE` 用来总结一个 trace",
        StraceHabit::FailedOnly => "用 `forkscope replay TRACE --failed` 只显示失败的调用",
        StraceHabit::SuccessfulOnly => "用 `forkscope replay TRACE --successful` 只显示成功的调用",
    }
}

/// `text` with the OS's English wording of the common errors also said in
/// Chinese (the kernel's strerror is English whatever the locale): not
/// found, permission denied, no space, and the others a trace file meets.
pub(crate) fn os_errors(text: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("No such file or directory", "没有那个文件或目录"),
        ("Permission denied", "权限不够"),
        ("No space left on device", "设备上没有空间"),
        ("Is a directory", "这是一个目录"),
        ("Not a directory", "不是目录"),
        ("File exists", "文件已存在"),
        ("Read-only file system", "只读文件系统"),
        ("Disk quota exceeded", "超出磁盘配额"),
        ("Broken pipe", "管道已断开"),
    ];
    let mut out = text.to_string();
    for (en, zh) in WORDS {
        out = out.replace(en, &format!("{zh}（{en}）"));
    }
    out
}
