//! Builds wait-for snapshots by hand, for the tests of the analysis.

use crate::model::snapshot::{Access, Fd, PipeInfo, Polled, Progress, Snapshot, Syscall, Task};
use crate::trace::Pid;

/// Builds snapshots by hand.
#[derive(Default)]
pub(super) struct Snap(pub(super) Snapshot);

impl Snap {
    pub(super) fn new(root: Pid) -> Snap {
        Snap(Snapshot {
            root,
            ..Snapshot::default()
        })
    }

    /// A single-threaded process in state `state`.
    pub(super) fn proc(mut self, pid: Pid, ppid: Pid, name: &str, state: char) -> Snap {
        self.0.tasks.push(Task {
            pid,
            tid: pid,
            ppid,
            pgid: ppid.max(1),
            name: name.into(),
            state,
            wchan: String::new(),
            syscall: None,
            progress: Progress::default(),
            fds: Vec::new(),
            in_tree: true,
            signals: None,
            comm: None,
        });
        self
    }

    pub(super) fn thread(mut self, pid: Pid, tid: Pid, state: char) -> Snap {
        let mut t = self.last_of(pid).clone();
        t.tid = tid;
        t.state = state;
        t.fds.clear();
        t.syscall = None;
        self.0.tasks.push(t);
        self
    }

    pub(super) fn last_of(&mut self, pid: Pid) -> &mut Task {
        self.0
            .tasks
            .iter_mut()
            .rev()
            .find(|t| t.pid == pid)
            .expect("the process was added")
    }

    pub(super) fn outside(mut self, pid: Pid) -> Snap {
        self.last_of(pid).in_tree = false;
        self
    }

    pub(super) fn wchar(mut self, pid: Pid, n: u64) -> Snap {
        self.last_of(pid).progress.wchar = n;
        self
    }

    /// Process `pid` holds `fd` on pipe `n` (`pipe:[n]`).
    pub(super) fn pipe_fd(mut self, pid: Pid, fd: i32, n: u64, access: Access) -> Snap {
        let id = format!("pipe:[{n}]");
        let t = self
            .0
            .tasks
            .iter_mut()
            .find(|t| t.pid == pid && t.tid == pid)
            .expect("the process was added");
        t.fds.push(Fd {
            fd,
            target: id.clone(),
            access,
            pipe: Some(id.clone()),
            channel: None,
        });
        if self.0.pipe(&id).is_none() {
            self.0.pipes.push(PipeInfo {
                id,
                fifo: false,
                fill: None,
                capacity: Some(65536),
            });
        }
        self
    }

    pub(super) fn tty(mut self, pid: Pid, fd: i32) -> Snap {
        self.last_of(pid).fds.push(Fd {
            fd,
            target: "/dev/pts/0".into(),
            access: Access::ReadWrite,
            pipe: None,
            channel: None,
        });
        self
    }

    pub(super) fn fill(mut self, n: u64, fill: u64) -> Snap {
        let id = format!("pipe:[{n}]");
        let p = self.0.pipes.iter_mut().find(|p| p.id == id).unwrap();
        p.fill = Some(fill);
        self
    }

    /// Task `tid` is blocked in `name(args...)`.
    pub(super) fn blocked(mut self, tid: Pid, name: &str, args: &[u64]) -> Snap {
        let t = self.0.tasks.iter_mut().find(|t| t.tid == tid).unwrap();
        let mut a = [0u64; 6];
        a[..args.len()].copy_from_slice(args);
        t.state = 'S';
        t.wchan = match name {
            "read" => "anon_pipe_read",
            "write" => "anon_pipe_write",
            "wait4" | "waitid" => "do_wait",
            "openat" => "fifo_open",
            _ => "",
        }
        .into();
        t.syscall = Some(Syscall {
            nr: 0,
            name: name.into(),
            args: a,
            path: None,
            fifo: false,
            polled: None,
            timeout: None,
        });
        self
    }

    /// Task `tid`, blocked in an untimed multiplexer, waits on these
    /// (fd, read, write).
    pub(super) fn polled(mut self, tid: Pid, set: &[(i32, bool, bool)]) -> Snap {
        let t = self.0.tasks.iter_mut().find(|t| t.tid == tid).unwrap();
        t.syscall.as_mut().unwrap().polled = Some(
            set.iter()
                .map(|&(fd, read, write)| Polled { fd, read, write })
                .collect(),
        );
        self
    }

    /// Process `pid` holds a socket as `fd`.
    pub(super) fn socket(mut self, pid: Pid, fd: i32) -> Snap {
        self.last_of(pid).fds.push(Fd {
            fd,
            target: "socket:[999]".into(),
            access: Access::ReadWrite,
            pipe: None,
            channel: None,
        });
        self
    }

    /// Process `pid` holds an end of the wake-up channel `key` (an eventfd
    /// `eventfd:N`, a socket pair `socketpair:A-B`) as `fd`.
    pub(super) fn channel(mut self, pid: Pid, fd: i32, key: &str) -> Snap {
        let target = if key.starts_with("eventfd:") {
            "anon_inode:[eventfd]".to_string()
        } else {
            format!("socket:[{fd}]")
        };
        self.last_of(pid).fds.push(Fd {
            fd,
            target,
            access: Access::ReadWrite,
            pipe: None,
            channel: Some(key.into()),
        });
        self
    }

    pub(super) fn fifo_open(mut self, tid: Pid, path: &str, flags: u64) -> Snap {
        self = self.blocked(tid, "openat", &[(-100i64) as u64, 0x1000, flags]);
        let t = self.0.tasks.iter_mut().find(|t| t.tid == tid).unwrap();
        let sc = t.syscall.as_mut().unwrap();
        sc.path = Some(path.into());
        sc.fifo = true;
        self
    }

    pub(super) fn done(self) -> Snapshot {
        self.0
    }
}

pub(super) const ANY: u64 = u64::MAX; // -1 as a raw argument
