//! Words for what the recorder reports: the summary at the end of a
//! recording ([`RecordOutcome`]), the ptrace limits met ([`Limit`]) and the
//! notices while it runs ([`Notice`]). The recorder hands these facts over
//! without any prose; each language words them in its own table
//! (`record/en.rs`, `record/zh.rs`), an exhaustive `match` over the facts.
//!
//! Names that come from the traced programs (argv\[0\], /proc names, paths)
//! arrive raw and are escaped here ([`visible`]).

mod en;
mod zh;

use super::text::visible;
use super::Lang;
use crate::record::limits::Limit;
use crate::record::signals::Notice;
use crate::record::RecordOutcome;
use std::path::Path;

/// The one-paragraph summary printed when a recording of `argv0` (the
/// program's name, raw) ends.
pub fn summary(lang: Lang, out: &RecordOutcome, argv0: &str) -> String {
    let argv0 = visible(argv0);
    match lang {
        Lang::En => en::summary(out, &argv0),
        Lang::Zh => zh::summary(out, &argv0),
    }
}

/// The one-line warning for a ptrace limit (said once per kind).
pub fn limit(lang: Lang, l: &Limit) -> String {
    match lang {
        Lang::En => en::limit(l),
        Lang::Zh => zh::limit(l),
    }
}

/// A recording error worded in `lang`, for the errors that are facts (no
/// process to attach to, fork refused); `None` for the others, which carry
/// their own text.
pub fn error(lang: Lang, e: &crate::record::RecordError) -> Option<String> {
    match lang {
        Lang::En => en::error(e),
        Lang::Zh => zh::error(e),
    }
}

/// The stderr text for a [`Notice`] (it ends with a newline).
pub fn notice(lang: Lang, n: &Notice) -> String {
    match lang {
        Lang::En => en::notice(n),
        Lang::Zh => zh::notice(n),
    }
}

/// Where the trace went.
enum TraceAt<'a> {
    /// Into this file.
    File(&'a Path),
    /// To stdout (`-o -`).
    Stdout,
}

/// Where the trace of a [`RecordOutcome`] went: its path is `-` for stdout.
fn trace_at(path: &Path) -> TraceAt<'_> {
    if path.as_os_str() == "-" {
        TraceAt::Stdout
    } else {
        TraceAt::File(path)
    }
}

/// The processes of a notice: `4105 (sleep), 4107 (make)`, names escaped.
fn named(r: &[(i32, String)]) -> String {
    r.iter()
        .map(|(p, name)| format!("{p} ({})", visible(name)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Their pids, for a `kill` line: `4105 4107`.
fn pids(r: &[(i32, String)]) -> String {
    r.iter()
        .map(|(p, _)| p.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An errno as nix shows it: `EPERM: Operation not permitted`.
fn errno(e: i32) -> nix::errno::Errno {
    nix::errno::Errno::from_raw(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::limits::LimitKind;

    #[test]
    fn every_limit_and_notice_is_worded_differently_in_each_language() {
        let l = Limit {
            kind: LimitKind::NestedPtrace,
            pid: 7,
            path: None,
            ids: None,
            request: Some(("PTRACE_TRACEME", None)),
        };
        assert_ne!(limit(Lang::En, &l), limit(Lang::Zh, &l));
        let n = Notice::Unreadable {
            pid: 7,
            errno: libc::EPERM,
        };
        let (en, zh) = (notice(Lang::En, &n), notice(Lang::Zh, &n));
        assert!(en.contains("pid 7") && en.ends_with('\n'), "{en}");
        assert!(zh.contains("pid 7") && zh.ends_with('\n'), "{zh}");
        assert!(zh.contains("EPERM"), "{zh}");
    }
}
