//! Pid namespaces: a tracee in another pid namespace than forkscope (under
//! `unshare --pid --fork`, bwrap, a container) sees and passes its own
//! namespace's pids: wait4/waitid return them, kill and tgkill take them,
//! and a signal's si_pid is one. The trace uses the pids forkscope sees (the
//! ones ptrace reports for forks), so those are translated when recorded.
//!
//! "NSpid: Thread ID in each of the PID namespaces of which \[it\] is a
//! member", outermost (the /proc mount's) first (proc(5)). When a task in
//! another namespace is created, its NSpid line is read once and each of
//! its pids is remembered under the namespace it belongs to: its own
//! (innermost) namespace, and that of its creator when the creator is in an
//! intermediate one.
//!
//! Which namespace a new process is in is its creator's
//! /proc/PID/ns/pid_for_children, read once per creating process and kept
//! (a readlink per fork would cost more than the rest of the fork's
//! handling), or, for a clone with CLONE_NEWPID, the child's own ns/pid.
//! The kept value is dropped at exec. A program that forks, then moves its
//! children to another namespace with unshare(CLONE_NEWPID) or setns, then
//! forks again (without an exec between) is not followed.
//! Threads are in their process's namespace.

use std::collections::HashMap;

/// What the recorder knows of the pid namespaces of its tracees.
#[derive(Debug, Default)]
pub struct PidNs {
    /// forkscope's own pid namespace (its ns/pid link), read at first use.
    ours: Option<Option<String>>,
    /// Tasks (by the tid forkscope sees) in another namespace: (that
    /// namespace's link, its depth below forkscope's).
    foreign: HashMap<i32, (String, usize)>,
    /// Processes (tgids) that created a process: their children's namespace.
    for_children: HashMap<i32, Option<String>>,
    /// (namespace link, pid in that namespace) -> pid forkscope sees.
    global: HashMap<(String, i32), i32>,
}

/// The `pid:[INODE]` link naming the pid namespace `which` (`pid`,
/// `pid_for_children`) of `tid`.
fn ns_of(tid: i32, which: &str) -> Option<String> {
    let l = std::fs::read_link(format!("/proc/{tid}/ns/{which}")).ok()?;
    Some(l.to_string_lossy().into_owned())
}

/// The NSpid line of `tid`: its pid in each namespace, forkscope's first.
fn nspid(tid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{tid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("NSpid:")).map(|v| {
                v.split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect()
            })
        })
        .unwrap_or_default()
}

impl PidNs {
    fn ours(&mut self) -> Option<&str> {
        self.ours
            .get_or_insert_with(|| ns_of(std::process::id() as i32, "pid"))
            .as_deref()
    }

    /// A new task `tid` was made by task `creator` of process `tgid`;
    /// `thread`: it is a thread of the creator's process; `newpid`:
    /// CLONE_NEWPID. Call while it has not run.
    pub fn created(&mut self, tid: i32, (creator, tgid): (i32, i32), thread: bool, newpid: bool) {
        // A reused pid: what was known of its former owner is stale.
        self.forget(tid);
        let ns = if thread {
            match self.foreign.get(&creator) {
                Some((ns, _)) => Some(ns.clone()),
                None => return,
            }
        } else if newpid {
            ns_of(tid, "pid")
        } else {
            self.for_children
                .entry(tgid)
                .or_insert_with(|| ns_of(tgid, "pid_for_children"))
                .clone()
        };
        if let Some(ns) = ns {
            self.register(tid, creator, ns);
        }
    }

    /// Task `tid` (made by `creator`) is in namespace `ns`: if that is not
    /// forkscope's, remember its pids there.
    fn register(&mut self, tid: i32, creator: i32, ns: String) {
        if self.ours() == Some(ns.as_str()) {
            return;
        }
        let ids = nspid(tid);
        let Some((&local, _)) = ids.split_last() else {
            return;
        };
        let depth = ids.len() - 1;
        self.global.insert((ns.clone(), local), tid);
        if let Some((cns, cdepth)) = self.foreign.get(&creator) {
            if *cdepth < depth {
                if let Some(&p) = ids.get(*cdepth) {
                    self.global.insert((cns.clone(), p), tid);
                }
            }
        }
        self.foreign.insert(tid, (ns, depth));
    }

    /// Process `pid` exec'd: the new program may change its children's
    /// namespace before it forks (`unshare --pid --fork`); read it again then.
    pub fn exec(&mut self, pid: i32) {
        self.for_children.remove(&pid);
    }

    /// The pid forkscope sees for `local`, a pid as task `viewer` sees it
    /// (unchanged when the viewer shares forkscope's namespace, or when
    /// the pid is not one of a traced task).
    pub fn global(&self, viewer: i32, local: i32) -> i32 {
        if self.foreign.is_empty() || local <= 0 {
            return local;
        }
        match self.foreign.get(&viewer) {
            Some((ns, _)) => self
                .global
                .get(&(ns.clone(), local))
                .copied()
                .unwrap_or(local),
            None => local,
        }
    }

    /// A pid argument as given by `viewer` (kill's or wait4's: PID, or
    /// -PGID, 0 and -1 as they are), as forkscope sees it.
    pub fn global_target(&self, viewer: i32, target: i64) -> i64 {
        match i32::try_from(target) {
            Ok(p) if p > 0 => self.global(viewer, p) as i64,
            Ok(p) if p < -1 => -(self.global(viewer, -p) as i64),
            _ => target,
        }
    }

    /// `tid` now names a new task: forget the namespace of the old one.
    /// Its (namespace, pid) entries stay until that namespace reuses the
    /// pid: a SIGCHLD can name a child after its reaping was recorded.
    fn forget(&mut self, tid: i32) {
        self.foreign.remove(&tid);
        self.for_children.remove(&tid);
    }

    /// A process attached while running (`record -p`): read its namespace.
    pub fn attached(&mut self, pid: i32, threads: &[i32]) {
        self.forget(pid);
        if let Some(ns) = ns_of(pid, "pid") {
            self.register(pid, pid, ns);
        }
        for &t in threads.iter().filter(|&&t| t != pid) {
            self.created(t, (pid, pid), true, false);
        }
    }
}
