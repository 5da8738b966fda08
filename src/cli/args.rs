//! Parsing the command line: clap's own errors, with a tip for the strace
//! options people type out of habit (`-f`, `-e trace=…`, `-s 200`, `-tt`,
//! …), and forkscope's exit status for a usage error:
//! [`crate::record::TRACE_FAILED_EXIT`] (125), as env(1) and timeout(1)
//! exit when they themselves fail, so it is never mistaken for the traced
//! program's own status.

use super::Cli;
use crate::render::lang::Lang;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;
use std::ffi::OsString;

/// Parses `std::env::args_os()`, or prints clap's error (with a tip) or
/// the help and exits.
pub fn parse() -> Cli {
    parse_from(std::env::args_os()).unwrap_or_else(|code| std::process::exit(code))
}

/// Parses `args`; on an error or `--help`/`--version`, prints what clap
/// prints and returns the exit status.
pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Cli, i32> {
    let args: Vec<OsString> = args.into_iter().collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => Ok(cli),
        Err(mut e) => {
            if e.kind() == ErrorKind::UnknownArgument {
                let bad = match e.get(ContextKind::InvalidArg) {
                    Some(ContextValue::String(s)) => s.clone(),
                    _ => String::new(),
                };
                if let Some(tip) = strace_tip(&bad, lang_of(&args)) {
                    e.insert(
                        ContextKind::Suggested,
                        ContextValue::StyledStrs(vec![tip.into()]),
                    );
                }
            }
            // A closed stderr must not panic: the error is dropped.
            let _ = e.print();
            Err(if e.use_stderr() {
                crate::record::TRACE_FAILED_EXIT
            } else {
                0
            })
        }
    }
}

/// The language asked for on the command line (`--lang zh`), else from the
/// locale: parsing failed, so clap could not tell us.
fn lang_of(args: &[OsString]) -> Lang {
    for (i, a) in args.iter().enumerate() {
        let a = a.to_string_lossy();
        if a == "--" {
            break;
        }
        let v = match a.strip_prefix("--lang") {
            Some("") => args.get(i + 1).map(|v| v.to_string_lossy().into_owned()),
            Some(rest) => rest.strip_prefix('=').map(str::to_owned),
            None => None,
        };
        match v.as_deref() {
            Some("zh") => return Lang::Zh,
            Some("en") => return Lang::En,
            _ => {}
        }
    }
    Lang::from_env()
}

/// What forkscope does instead of an strace option `arg` (as clap names it:
/// `-f`, `-e`, `--follow-forks`), or None for an option strace lacks too.
pub fn strace_tip(arg: &str, lang: Lang) -> Option<String> {
    let arg = arg.split('=').next().unwrap_or(arg);
    let (en, zh) = match arg {
        "-f" | "-F" | "--follow-forks" | "--output-separately" => (
            "forks are always followed: forkscope records every process the command starts (no -f needed)",
            "forkscope 总是跟踪 fork：命令启动的每个进程都会被记录（不需要 -f）",
        ),
        "-e" | "--trace" | "--expr" => (
            "forkscope records a fixed set of calls; to choose what to show, use `forkscope replay TRACE --kind exec,pipe,...` (syscall names work too)",
            "forkscope 记录的是一组固定的调用；要选择显示哪些，请用 `forkscope replay TRACE --kind exec,pipe,...`（也可以写系统调用名）",
        ),
        "-s" | "--string-limit" | "-v" | "--no-abbrev" => (
            "argv and paths are recorded in full; `forkscope tree` shortens long argv and says how much it cut",
            "argv 和路径会被完整记录；`forkscope tree` 会缩短很长的 argv，并说明省略了多少",
        ),
        "-t" | "-r" | "--timestamps" | "--relative-timestamps" => (
            "every event is recorded with its time; show it with `forkscope replay TRACE -t` (wall clock) or `-r` (since the previous line)",
            "每个事件都带着时间记录下来；用 `forkscope replay TRACE -t`（挂钟时间）或 `-r`（距上一行的时间）显示",
        ),
        "-T" | "--syscall-times" => (
            "show how long waits, reads and processes lasted with `forkscope replay TRACE --durations`",
            "用 `forkscope replay TRACE --durations` 显示等待、读取和进程各持续了多久",
        ),
        "-y" | "--decode-fds" => (
            "fds are always decoded: `forkscope replay TRACE --at SEQ` shows what every fd is",
            "fd 总是会被解析：`forkscope replay TRACE --at SEQ` 显示每个 fd 是什么",
        ),
        "-c" | "--summary-only" | "-C" | "--summary" => (
            "the summary is printed when the recording ends; `forkscope tree TRACE` and `forkscope doctor TRACE` summarize a trace",
            "录制结束时会打印摘要；`forkscope tree TRACE` 和 `forkscope doctor TRACE` 用来总结一个 trace",
        ),
        "-Z" | "--failed-only" => (
            "use `forkscope replay TRACE --failed` to show only failed calls",
            "用 `forkscope replay TRACE --failed` 只显示失败的调用",
        ),
        "-z" | "--successful-only" => (
            "use `forkscope replay TRACE --successful` to show only successful calls",
            "用 `forkscope replay TRACE --successful` 只显示成功的调用",
        ),
        _ => return None,
    };
    Some(lang.pick(en, zh).to_string())
}

/// `text` with the OS's English wording of the common errors also said in
/// Chinese, for messages shown with `--lang zh` (the kernel's strerror is
/// English whatever the locale): not found, permission denied, no space,
/// and the others a trace file meets.
pub fn zh_os_errors(text: &str) -> String {
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

#[cfg(test)]
mod tests {
    #[test]
    fn common_os_errors_get_their_chinese_wording_and_keep_the_english() {
        let e = std::io::Error::from_raw_os_error(libc::ENOENT).to_string();
        let zh = super::zh_os_errors(&format!("t.jsonl: {e}"));
        assert!(
            zh.contains("没有那个文件或目录") && zh.contains("os error 2"),
            "{zh}"
        );
        for errno in [libc::EACCES, libc::ENOSPC] {
            let e = std::io::Error::from_raw_os_error(errno).to_string();
            assert_ne!(super::zh_os_errors(&e), e);
        }
    }

    use super::*;

    #[test]
    fn strace_options_get_a_tip_in_both_languages_and_others_none() {
        for a in ["-f", "-e", "-s", "-t", "-T", "-y", "-c", "-Z", "-z"] {
            let en = strace_tip(a, Lang::En).unwrap();
            let zh = strace_tip(a, Lang::Zh).unwrap();
            assert_ne!(en, zh, "{a}");
        }
        assert_eq!(strace_tip("--bogus", Lang::En), None);
    }

    #[test]
    fn lang_is_read_from_the_command_line_before_the_command() {
        let v = |s: &[&str]| s.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            lang_of(&v(&["forkscope", "--lang", "zh", "record"])),
            Lang::Zh
        );
        assert_eq!(lang_of(&v(&["forkscope", "record", "--lang=zh"])), Lang::Zh);
    }
}
