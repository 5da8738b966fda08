//! Words for `forkscope ebpf load|unload|status` (the eBPF backend's
//! resident probe, src/record/ebpf/resident.rs): one inner table per
//! language, each an exhaustive `match` over the facts.

use super::Lang;
use crate::record::ebpf::resident::{LoadOutcome, Resident, Unloaded};

/// `forkscope ebpf load` or `unload` failed: why (the loader's words).
pub(crate) fn failed(lang: Lang, why: &str) -> String {
    match lang {
        Lang::En => format!("forkscope: ebpf: {why}"),
        Lang::Zh => format!("forkscope：ebpf：{why}"),
    }
}

/// What `forkscope ebpf load` did.
pub(crate) fn loaded(lang: Lang, o: &LoadOutcome) -> String {
    match lang {
        Lang::En => en::loaded(o),
        Lang::Zh => zh::loaded(o),
    }
}

/// What `forkscope ebpf unload` did.
pub(crate) fn unloaded(lang: Lang, u: &Unloaded) -> String {
    match lang {
        Lang::En => en::unloaded(u),
        Lang::Zh => zh::unloaded(u),
    }
}

/// `forkscope ebpf status`: each resident probe, then what this build's
/// costs while idle (`cost_ns`: measured per call of a recorded syscall).
pub(crate) fn status(lang: Lang, list: &[Resident], cost_ns: Option<f64>) -> String {
    let mut lines: Vec<String> = list
        .iter()
        .map(|r| match lang {
            Lang::En => en::resident(r),
            Lang::Zh => zh::resident(r),
        })
        .collect();
    if list.is_empty() {
        lines.push(match lang {
            Lang::En => en::NONE.to_string(),
            Lang::Zh => zh::NONE.to_string(),
        });
    }
    if list.iter().any(|r| r.ours) {
        lines.push(match lang {
            Lang::En => en::idle(cost_ns),
            Lang::Zh => zh::idle(cost_ns),
        });
    }
    lines.join("\n")
}

/// When, as UTC RFC 3339 (seconds since the epoch).
fn when(secs: Option<u64>) -> String {
    secs.map_or_else(
        || "?".into(),
        |s| {
            humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(s),
            )
            .to_string()
        },
    )
}

mod en {
    use super::when;
    use crate::record::ebpf::resident::{LoadOutcome, Resident, Unloaded};

    pub(super) const NONE: &str =
        "no resident eBPF probe is loaded (`forkscope ebpf load` loads one)";

    pub(super) fn loaded(o: &LoadOutcome) -> String {
        match o {
            LoadOutcome::Loaded {
                dir,
                programs,
                links,
                ms,
            } => format!(
                "loaded {programs} BPF programs on {links} links in {ms:.0} ms, pinned at {}: \
                 `record --backend ebpf` uses them from now on",
                dir.display()
            ),
            LoadOutcome::Already { dir } => format!(
                "this build's resident eBPF probe is already loaded ({})",
                dir.display()
            ),
        }
    }

    pub(super) fn unloaded(u: &Unloaded) -> String {
        if u.dirs.is_empty() {
            return "no resident eBPF probe of this build was loaded".into();
        }
        let dirs: Vec<String> = u.dirs.iter().map(|d| d.display().to_string()).collect();
        format!("unloaded {} ({} links detached)", dirs.join(", "), u.links)
    }

    pub(super) fn resident(r: &Resident) -> String {
        format!(
            "resident eBPF probe at {}: {} (forkscope {}, build {}), loaded {}, {} programs on {} links, {}",
            r.dir.display(),
            if r.ours { "this build" } else { "another build (`forkscope ebpf unload --all` removes it)" },
            r.version.as_deref().unwrap_or("?"),
            r.build,
            when(r.since),
            r.programs.map_or("?".into(), |p| p.to_string()),
            r.links,
            if r.busy { "in use by a recording" } else { "free" },
        )
    }

    pub(super) fn idle(cost_ns: Option<f64>) -> String {
        let measured = cost_ns.map_or_else(String::new, |ns| {
            format!(" (measured now: about {ns:.0} ns more per call)")
        });
        format!(
            "while idle, each call of a syscall forkscope records (and each fork, exec, exit and \
             signal), by any process on the machine, runs one BPF program that looks the task up \
             in the traced set{measured}; other syscalls cost nothing"
        )
    }
}

mod zh {
    use super::when;
    use crate::record::ebpf::resident::{LoadOutcome, Resident, Unloaded};

    pub(super) const NONE: &str = "没有常驻的 eBPF 探针（用 `forkscope ebpf load` 加载）";

    pub(super) fn loaded(o: &LoadOutcome) -> String {
        match o {
            LoadOutcome::Loaded {
                dir,
                programs,
                links,
                ms,
            } => format!(
                "已加载 {programs} 个 BPF 程序，挂在 {links} 个挂接点上，用时 {ms:.0} 毫秒，固定在 {}：\
                 此后 `record --backend ebpf` 直接使用它们",
                dir.display()
            ),
            LoadOutcome::Already { dir } => {
                format!("这个构建的常驻 eBPF 探针已经加载（{}）", dir.display())
            }
        }
    }

    pub(super) fn unloaded(u: &Unloaded) -> String {
        if u.dirs.is_empty() {
            return "这个构建没有加载常驻的 eBPF 探针".into();
        }
        let dirs: Vec<String> = u.dirs.iter().map(|d| d.display().to_string()).collect();
        format!("已卸载 {}（拆除了 {} 个挂接）", dirs.join("、"), u.links)
    }

    pub(super) fn resident(r: &Resident) -> String {
        format!(
            "常驻 eBPF 探针位于 {}：{}（forkscope {}，构建 {}），加载于 {}，{} 个程序挂在 {} 个挂接点上，{}",
            r.dir.display(),
            if r.ours { "这个构建的" } else { "另一个构建的（`forkscope ebpf unload --all` 可卸载）" },
            r.version.as_deref().unwrap_or("?"),
            r.build,
            when(r.since),
            r.programs.map_or("?".into(), |p| p.to_string()),
            r.links,
            if r.busy { "正被一次记录使用" } else { "空闲" },
        )
    }

    pub(super) fn idle(cost_ns: Option<f64>) -> String {
        let measured = cost_ns.map_or_else(String::new, |ns| {
            format!("（刚才测得：每次调用约多 {ns:.0} 纳秒）")
        });
        format!(
            "空闲时，机器上任何进程每调用一次 forkscope 记录的系统调用（以及每次 fork、exec、退出和信号），\
             都会运行一个 BPF 程序，在被跟踪集合里查一次该任务{measured}；其他系统调用没有开销"
        )
    }
}
