//! `record -p PID --backend ebpf`: following running processes without
//! stopping them. Each process asked for, its threads and all its
//! descendants' threads go into the kernel's traced set (the pid set the
//! programs look up); from then on the programs record them as they record
//! a started command, and fork adds their children. Nothing is seized:
//! no task ever stops for forkscope, not even once per syscall (ptrace's
//! `-p` stops every attached task at each syscall entry and exit, since no
//! seccomp filter can be added to a running process).
//!
//! Nothing can be missed between the walk of /proc and the inserts: each
//! task is inserted as soon as a walk finds it, and the tree is walked
//! again until a walk finds nothing new. A task forked by an inserted task
//! is put in the set by the kernel (bpf/process.bpf.c, before the child
//! first runs); one forked before its parent was inserted is in /proc
//! (the fork tracepoint fires after the child is visible) and the next
//! walk finds it. Not followed: a descendant whose parent exited before
//! forkscope inserted that parent, and which was reparented out of the
//! tree (to init or a subreaper), as with ptrace.
//!
//! Each process's argv and fd table are read from /proc as soon as its
//! tasks are in the set: its records from before that are of changes the
//! table shows (dropped), the later ones are events. A fork of a process
//! the walk finds is dropped too (that child has its own `spawn`).

use super::Loaded;
use crate::record::{live, procfs, RecordError};
use crate::trace::{FdEntry, RawStr};
use std::collections::HashSet;

/// A process found by the walk (parents before children): its threads,
/// and its argv and fd table as /proc showed them once it was in the set.
pub(super) struct Found {
    /// Its pid.
    pub pid: i32,
    /// Its tids, the main thread's included.
    pub tids: Vec<i32>,
    /// Its arguments.
    pub argv: Vec<RawStr>,
    /// Its fd table ([`procfs::fd_table_full`]; `same_as_pid` linked
    /// across the processes found).
    pub fds: Vec<FdEntry>,
    /// When forkscope began reading them (CLOCK_MONOTONIC): a record of
    /// this process from before is of a change they show.
    pub read_at: u64,
}

/// The tids of `pid`.
fn tids_of(pid: i32) -> Vec<i32> {
    let mut v: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// A cmdline's arguments.
pub(super) fn argv_of(cmdline: &[u8]) -> Vec<RawStr> {
    cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| RawStr(a.to_vec()))
        .collect()
}

/// Puts every task of `pids` and of their descendants in the traced set
/// (see the module's comment), reading each process's argv and fd table
/// as soon as its tasks are in; returns the processes, parents before
/// children.
pub(super) fn trace_running(bpf: &Loaded, pids: &[i32]) -> Result<Vec<Found>, RecordError> {
    let me = std::process::id() as i32;
    for &pid in pids {
        if pid <= 0 || pid == me {
            return Err(RecordError::Spawn {
                msg: format!("cannot attach to {pid}: not a process forkscope can trace"),
            });
        }
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            return Err(RecordError::NoProcess { pid });
        }
    }
    let mut found: Vec<Found> = Vec::new();
    let mut seen: HashSet<i32> = HashSet::new();
    for _round in 0..100 {
        let mut new = false;
        for &root in pids {
            // Never forkscope itself (`record -p $$` from a shell).
            for p in live::tree(root).into_iter().filter(|p| *p != me) {
                let tids: Vec<i32> = tids_of(p).into_iter().filter(|t| seen.insert(*t)).collect();
                if tids.is_empty() {
                    continue;
                }
                new = true;
                bpf.trace_tids(&tids)
                    .map_err(|e| RecordError::Spawn { msg: e.0 })?;
                match found.iter_mut().find(|f| f.pid == p) {
                    Some(f) => f.tids.extend(tids),
                    None => {
                        let read_at = super::mono_ns();
                        let argv = argv_of(
                            &std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default(),
                        );
                        found.push(Found {
                            pid: p,
                            tids,
                            argv,
                            fds: procfs::fd_table_full(p),
                            read_at,
                        })
                    }
                }
            }
        }
        if !new {
            break;
        }
    }
    // A task that exited between the walk and its insert left an entry
    // nobody removes (its exit was not traced): take it out, lest the pid
    // be reused by a stranger. (One that exits later is taken out by the
    // kernel; its records are dropped with it: it has no spawn event.)
    for f in &mut found {
        let gone: Vec<i32> = f
            .tids
            .iter()
            .copied()
            .filter(|t| !std::path::Path::new(&format!("/proc/{}/task/{t}", f.pid)).exists())
            .collect();
        bpf.untrace_tids(&gone);
        f.tids.retain(|t| !gone.contains(t));
    }
    found.retain(|f| !f.tids.is_empty());
    if found.is_empty() {
        return Err(RecordError::NoProcess { pid: pids[0] });
    }
    link_across(&mut found);
    Ok(found)
}

/// As [`procfs::fd_tables_across`] does: each fd that shares its open file
/// description with an fd of an earlier process points at it.
fn link_across(found: &mut [Found]) {
    for i in 1..found.len() {
        let (earlier, rest) = found.split_at_mut(i);
        let me = rest[0].pid;
        for e in rest[0].fds.iter_mut().filter(|e| e.same_as.is_none()) {
            // Only an fd's first holder is a target: the others name it.
            let hit = earlier.iter().find_map(|f| {
                f.fds
                    .iter()
                    .filter(|h| h.same_as.is_none() && h.target == e.target)
                    .find(|h| procfs::same_file_across((f.pid, h.fd), (me, e.fd)) == Some(true))
                    .map(|h| (f.pid, h.fd))
            });
            if let Some((p, fd)) = hit {
                e.same_as = Some(fd);
                e.same_as_pid = Some(p);
            }
        }
    }
}
