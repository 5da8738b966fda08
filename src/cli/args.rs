//! Parsing the command line: clap's own errors, with a tip for the strace
//! options people type out of habit (`-f`, `-e trace=…`, `-s 200`, `-tt`,
//! …), and how a usage error ends forkscope: [`Exit::Failed`] (125), as
//! env(1) and timeout(1) exit when they themselves fail, so it is never
//! mistaken for the traced program's own status.

use super::message::StraceHabit;
use super::{Cli, Exit};
use crate::words::Lang;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;
use std::ffi::OsString;

/// Parses `args`; on an error or `--help`/`--version`, prints what clap
/// prints and says how forkscope ends.
pub fn parse_from(args: impl IntoIterator<Item = OsString>) -> Result<Cli, Exit> {
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
                Exit::Failed
            } else {
                Exit::Success
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

/// The strace habit behind an option `arg` (as clap names it: `-f`, `-e`,
/// `--follow-forks`), or None for an option strace lacks too.
pub(crate) fn strace_habit(arg: &str) -> Option<StraceHabit> {
    let arg = arg.split('=').next().unwrap_or(arg);
    Some(match arg {
        "-f" | "-F" | "--follow-forks" | "--output-separately" => StraceHabit::FollowForks,
        "-e" | "--trace" | "--expr" => StraceHabit::Expr,
        "-s" | "--string-limit" | "-v" | "--no-abbrev" => StraceHabit::StringLimit,
        "-t" | "-r" | "--timestamps" | "--relative-timestamps" => StraceHabit::Timestamps,
        "-T" | "--syscall-times" => StraceHabit::SyscallTimes,
        "-y" | "--decode-fds" => StraceHabit::DecodeFds,
        "-c" | "--summary-only" | "-C" | "--summary" => StraceHabit::Summary,
        "-Z" | "--failed-only" => StraceHabit::FailedOnly,
        "-z" | "--successful-only" => StraceHabit::SuccessfulOnly,
        _ => return None,
    })
}

/// What forkscope does instead of an strace option `arg`, in `lang`, or
/// None for an option strace lacks too.
pub fn strace_tip(arg: &str, lang: Lang) -> Option<String> {
    strace_habit(arg).map(|h| crate::words::cli::tip(lang, h))
}

#[cfg(test)]
mod tests {
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
