//! Fixes that are right for the case: where the facts of a hang say more
//! than the generic "close the write end once written", the remedy they
//! call for.
//!
//! - A reader reads pipe A to the end while the only holder of A's write
//!   end is blocked writing pipe B, full, whose read end only the reader
//!   holds (a Python parent reading `p.stdout` to the end while the child
//!   fills its stderr pipe): closing A is not the fix, reading both pipes at
//!   once is (`communicate()`, poll, a thread per pipe).
//! - Openers of one FIFO all opening it the same way (all for writing,
//!   say) with nobody having it open: no order of opens helps; the other
//!   side has to be started first, in the background (`mkfifo p; cmd >p; cat
//!   <p` in a shell whose `cmd` is a child it waits for).
//! - A holder of a write end that is a child or a sibling of the reader,
//!   holds it on an fd that is not its stdio, and has written nothing at all
//!   since it started (/proc/PID/io `wchar` 0): it got the end by
//!   inheritance and is not a writer (a multiprocessing worker forked after
//!   the pipe was made). It should close it or not inherit it.
//!
//! - A multiplexer watches a write end it holds only for its last reader
//!   to go (poll events 0), while that reader reads the pipe until EOF:
//!   the EOF needs this very write end closed, so the fix is to close it
//!   once written and learn of the reader's end some other way (waitpid),
//!   not "close it before polling" as if it polled something else.
//! - A multiplexer watches an end only for the other side to go, and a
//!   holder of that side is blocked elsewhere: that holder should close
//!   its end once done with it (the poller's own copy included).
//!
//! Anything less certain keeps the generic fix of `graph.rs`.

use super::graph::{who, Graph};
use crate::model::wait::Wait;
use crate::trace::hang::{Fix, Runtime};

impl Graph<'_> {
    /// The fix for the cycle edge where task `i` reads an empty pipe whose
    /// write end `next` (another process) holds, when the case calls for a
    /// specific one.
    pub(super) fn read_edge_fix(&self, i: usize, next: usize) -> Option<Fix> {
        let Wait::ReadPipe { fd, pipe } = &self.waits[i] else {
            return None;
        };
        let (t, nt) = (&self.snap.tasks[i], &self.snap.tasks[next]);
        if nt.pid == t.pid {
            return None;
        }
        match &self.waits[next] {
            Wait::WritePipe { pipe: other, .. } if other != pipe => {
                let (readers, _) = self.snap.holders(other);
                let full = self.snap.pipe(other).and_then(|p| p.fill).unwrap_or(1) > 0;
                if full && !readers.is_empty() && readers.iter().all(|h| h.0 == t.pid) {
                    return Some(Fix::ReadBothPipes {
                        reader: t.pid,
                        fd: *fd,
                        other_fd: (readers.len() == 1).then(|| readers[0].1),
                        writer: nt.pid,
                        other: other.clone(),
                        runtime: Runtime::of_program(&t.name),
                    });
                }
            }
            // A waiter or a multiplexer holding the write end: the fixes of
            // graph.rs name it (it is the creator, not an heir).
            Wait::Child { .. } | Wait::Poll { .. } => return None,
            _ => {}
        }
        self.inherited_write_end(t.pid, t.ppid, next, pipe)
    }

    /// The fix for the cycle edge between task `i` and `next` when one of
    /// them is a multiplexer watching a pipe end only for the other side to
    /// go, and the other holds that side.
    pub(super) fn hangup_fix(&self, i: usize, next: usize) -> Option<Fix> {
        let (t, nt) = (&self.snap.tasks[i], &self.snap.tasks[next]);
        // A reader of pipe X waits for EOF from a poller watching its write
        // end of X for that reader to go.
        if let Wait::ReadPipe { pipe, .. } = &self.waits[i] {
            let Wait::Poll { call, hangup, .. } = &self.waits[next] else {
                return None;
            };
            if nt.pid == t.pid || !hangup.iter().any(|h| h.write && &h.pipe == pipe) {
                return None;
            }
            return Some(self.watched_write_end(nt.pid, t.pid, call, pipe));
        }
        let Wait::Poll { call, hangup, .. } = &self.waits[i] else {
            return None;
        };
        for h in hangup {
            let (readers, writers) = self.snap.holders(&h.pipe);
            let others = if h.write { readers } else { writers };
            let fds: Vec<i32> = others
                .iter()
                .filter(|o| o.0 == nt.pid)
                .map(|o| o.1)
                .collect();
            if fds.is_empty() {
                continue;
            }
            return match &self.waits[next] {
                Wait::ReadPipe { pipe, .. } if h.write && pipe == &h.pipe && nt.pid != t.pid => {
                    Some(self.watched_write_end(t.pid, nt.pid, call, pipe))
                }
                // Blocked on the same pipe the other way (writing it full
                // while the poller does not read): closing is no fix.
                Wait::ReadPipe { pipe, .. } | Wait::WritePipe { pipe, .. } if pipe == &h.pipe => {
                    None
                }
                _ => Some(Fix::CloseForHangup {
                    holder: nt.pid,
                    fds,
                    waiter: t.pid,
                    call: call.clone(),
                    pipe: h.pipe.clone(),
                    write: h.write,
                }),
            };
        }
        None
    }

    /// [`Fix::CloseWatchedWriteEnd`]: poller `holder` watches its write
    /// end of `pipe` for `reader`, which reads it until EOF.
    fn watched_write_end(&self, holder: i32, reader: i32, call: &str, pipe: &str) -> Fix {
        let (_, writers) = self.snap.holders(pipe);
        Fix::CloseWatchedWriteEnd {
            holder,
            fds: writers
                .iter()
                .filter(|w| w.0 == holder)
                .map(|w| w.1)
                .collect(),
            reader,
            call: call.to_string(),
            pipe: pipe.to_string(),
        }
    }

    /// [`Fix::InheritedWriteEnd`] when process `next` got its write ends of
    /// `pipe` by inheritance and writes nothing.
    fn inherited_write_end(
        &self,
        reader: i32,
        reader_parent: i32,
        next: usize,
        pipe: &str,
    ) -> Option<Fix> {
        let nt = &self.snap.tasks[next];
        let (_, writers) = self.snap.holders(pipe);
        let fds: Vec<i32> = writers
            .iter()
            .filter(|h| h.0 == nt.pid)
            .map(|h| h.1)
            .collect();
        let wrote: u64 = self.snap.threads(nt.pid).map(|x| x.progress.wchar).sum();
        let kin = nt.ppid == reader || nt.ppid == reader_parent;
        if fds.is_empty() || fds.iter().any(|f| *f <= 2) || wrote != 0 || !kin {
            return None;
        }
        let parent = self.snap.threads(nt.ppid).next();
        Some(Fix::InheritedWriteEnd {
            holder: self.proc_name(nt.pid),
            fds,
            parent: self.proc_name(nt.ppid),
            forked: parent.is_some_and(|p| p.name == nt.name),
            reader,
            pipe: pipe.to_string(),
            runtime: Runtime::of_program(&nt.name),
        })
    }

    /// [`Fix::StartOtherSideFirst`] when every blocked FIFO opener among
    /// `order` opens the same FIFO the same way and nobody has it open.
    pub(super) fn fifo_fix(&self, order: &[usize]) -> Option<Fix> {
        let mut way = None;
        let mut paths = Vec::new();
        let mut opener = None;
        for &i in order {
            let Wait::OpenFifo { path, write } = &self.waits[i] else {
                continue;
            };
            let w = (*write)?;
            if way.is_some_and(|x| x != w) {
                return None;
            }
            way = Some(w);
            opener.get_or_insert(i);
            if !paths.contains(path) {
                paths.push(path.clone());
            }
        }
        // Several FIFOs, each waited on by its own opener: the opens may
        // pair up in another order (each would open the other's FIFO next),
        // which the blocked calls do not show; the order fix stays.
        if paths.len() != 1 {
            return None;
        }
        let held = self
            .snap
            .processes()
            .into_iter()
            .any(|p| self.snap.fds(p).iter().any(|f| paths.contains(&f.target)));
        if held {
            return None;
        }
        paths.sort();
        Some(Fix::StartOtherSideFirst {
            opener: who(&self.snap.tasks[opener?]),
            paths,
            write: way?,
        })
    }
}
