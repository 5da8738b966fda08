//! Golden text of the hang analysis, as users see it: every hand-built
//! wait-for case of the analysis's own tests, through `snapshot`'s text (the
//! task listing and each hang) in English and Chinese, its JSON, and the
//! stderr report of `record --stall-timeout`; a drawing of a few; and
//! `doctor` on traces that hold a recorded stall (text, Chinese, JSON).
//!
//! Made against the wording before the hang facts existed: a change to a
//! `.snap` file here is a change users see, made only where a commit names
//! the bug it fixes.

mod common;

use common::{forkscope, repo};
use forkscope::analysis::waitfor;
use forkscope::cli::style::Style;
use forkscope::model::snapshot::{
    Access, Fd, FileLock, PipeInfo, Polled, Progress, Snapshot, Syscall, Task,
};
use forkscope::render::hang::Paint;
use forkscope::trace::Pid;
use forkscope::words::Lang;
use std::time::Duration;

/// Builds snapshots by hand (as the analysis's unit tests do).
struct Snap(Snapshot);

impl Snap {
    fn new(root: Pid) -> Snap {
        Snap(Snapshot {
            root,
            ..Snapshot::default()
        })
    }

    fn proc(mut self, pid: Pid, ppid: Pid, name: &str, state: char) -> Snap {
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

    fn thread(mut self, pid: Pid, tid: Pid, state: char) -> Snap {
        let mut t = self.last_of(pid).clone();
        t.tid = tid;
        t.state = state;
        t.fds.clear();
        t.syscall = None;
        self.0.tasks.push(t);
        self
    }

    fn last_of(&mut self, pid: Pid) -> &mut Task {
        self.0
            .tasks
            .iter_mut()
            .rev()
            .find(|t| t.pid == pid)
            .expect("the process was added")
    }

    fn outside(mut self, pid: Pid) -> Snap {
        self.last_of(pid).in_tree = false;
        self
    }

    fn wchar(mut self, pid: Pid, n: u64) -> Snap {
        self.last_of(pid).progress.wchar = n;
        self
    }

    fn pipe_fd(mut self, pid: Pid, fd: i32, n: u64, access: Access) -> Snap {
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

    fn tty(mut self, pid: Pid, fd: i32) -> Snap {
        self.last_of(pid).fds.push(Fd {
            fd,
            target: "/dev/pts/0".into(),
            access: Access::ReadWrite,
            pipe: None,
            channel: None,
        });
        self
    }

    fn socket(mut self, pid: Pid, fd: i32) -> Snap {
        self.last_of(pid).fds.push(Fd {
            fd,
            target: "socket:[999]".into(),
            access: Access::ReadWrite,
            pipe: None,
            channel: None,
        });
        self
    }

    fn fill(mut self, n: u64, fill: u64) -> Snap {
        let id = format!("pipe:[{n}]");
        let p = self.0.pipes.iter_mut().find(|p| p.id == id).unwrap();
        p.fill = Some(fill);
        self
    }

    fn blocked(mut self, tid: Pid, name: &str, args: &[u64]) -> Snap {
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

    fn polled(mut self, tid: Pid, set: &[(i32, bool, bool)]) -> Snap {
        let t = self.0.tasks.iter_mut().find(|t| t.tid == tid).unwrap();
        t.syscall.as_mut().unwrap().polled = Some(
            set.iter()
                .map(|&(fd, read, write)| Polled { fd, read, write })
                .collect(),
        );
        self
    }

    fn fifo_open(mut self, tid: Pid, path: &str, flags: u64) -> Snap {
        self = self.blocked(tid, "openat", &[(-100i64) as u64, 0x1000, flags]);
        let t = self.0.tasks.iter_mut().find(|t| t.tid == tid).unwrap();
        let sc = t.syscall.as_mut().unwrap();
        sc.path = Some(path.into());
        sc.fifo = true;
        self
    }

    /// Process `pid` has the file `/tmp/db.lock` (inode 77) open as `fd`
    /// and holds a lock of `class` on it (`held`) or waits for one.
    fn lock(mut self, pid: Pid, fd: i32, class: &str, held: bool) -> Snap {
        self.last_of(pid).fds.push(Fd {
            fd,
            target: "/tmp/db.lock".into(),
            access: Access::ReadWrite,
            pipe: None,
            channel: None,
        });
        self.0.locks.push(FileLock {
            pid,
            fd,
            file: "fe:00:77".into(),
            class: class.into(),
            write: true,
            waiting: !held,
        });
        self
    }

    /// Process `pid` holds an end of the wake-up channel `key` as `fd`.
    fn channel(mut self, pid: Pid, fd: i32, key: &str) -> Snap {
        let target = if key.starts_with("eventfd:") {
            "anon_inode:[eventfd]".to_string()
        } else {
            format!("socket:[{}]", 500 + fd)
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

    /// Task `tid`'s timed wait asked for `asked` s, `left` (s) of it left.
    fn timeout(mut self, tid: Pid, asked: u64, left: Option<(u64, u64)>) -> Snap {
        let t = self.0.tasks.iter_mut().find(|t| t.tid == tid).unwrap();
        t.syscall.as_mut().unwrap().timeout = Some(forkscope::model::snapshot::Timeout {
            asked_ns: asked * 1_000_000_000,
            left_ns: left.map(|(a, b)| (a * 1_000_000_000, b * 1_000_000_000)),
        });
        self
    }

    fn done(self) -> Snapshot {
        self.0
    }
}

/// Long waits and event loops (issue 12, hang classes 3 and 5).
fn long_waits_and_loops() -> Vec<(&'static str, Snapshot)> {
    vec![
        (
            "background_subshell_waiting_for_its_sleeping_child",
            Snap::new(40)
                .proc(40, 1, "sh", 'S')
                .proc(42, 40, "cat", 'S')
                .proc(43, 1, "sh", 'S')
                .proc(44, 43, "sleep", 'S')
                .pipe_fd(42, 0, 9, Access::Read)
                .pipe_fd(43, 1, 9, Access::Write)
                .pipe_fd(44, 1, 9, Access::Write)
                .blocked(40, "wait4", &[ANY, 0, 0])
                .blocked(42, "read", &[0, 0, 131072])
                .blocked(43, "wait4", &[ANY, 0, 0])
                .blocked(44, "clock_nanosleep", &[0, 0, 0x7ffd, 0x7ffd])
                .timeout(44, 30, Some((28, 30)))
                .done(),
        ),
        (
            "background_job_sleeping_until_a_deadline",
            Snap::new(40)
                .proc(40, 1, "sh", 'S')
                .proc(42, 40, "cat", 'S')
                .proc(43, 1, "sleep", 'S')
                .pipe_fd(42, 0, 9, Access::Read)
                .pipe_fd(43, 1, 9, Access::Write)
                .blocked(40, "wait4", &[ANY, 0, 0])
                .blocked(42, "read", &[0, 0, 131072])
                .blocked(43, "clock_nanosleep", &[1, 1, 0x7ffd, 0])
                .timeout(43, 12, Some((12, 12)))
                .done(),
        ),
        (
            "daemon_serving_a_socket_with_the_write_end",
            Snap::new(40)
                .proc(40, 1, "sh", 'S')
                .proc(42, 40, "cat", 'S')
                .proc(43, 1, "server", 'S')
                .pipe_fd(42, 0, 9, Access::Read)
                .pipe_fd(43, 1, 9, Access::Write)
                .socket(43, 3)
                .blocked(40, "wait4", &[ANY, 0, 0])
                .blocked(42, "read", &[0, 0, 131072])
                .blocked(43, "accept4", &[3, 0, 0, 0x80800])
                .done(),
        ),
        (
            "event_loop_behind_its_own_self_pipe_and_eventfd",
            Snap::new(1)
                .proc(1, 0, "loop", 'S')
                .proc(2, 1, "worker", 'S')
                .pipe_fd(1, 3, 3, Access::Read)
                .pipe_fd(1, 4, 3, Access::Write)
                .pipe_fd(1, 5, 1, Access::Read)
                .pipe_fd(1, 8, 2, Access::Write)
                .channel(1, 9, "eventfd:7")
                .pipe_fd(2, 6, 1, Access::Write)
                .pipe_fd(2, 7, 2, Access::Read)
                .fill(1, 0)
                .fill(2, 0)
                .fill(3, 0)
                .blocked(1, "epoll_wait", &[10, 0x7ff0, 1, FOREVER])
                .polled(1, &[(3, true, false), (5, true, false), (9, true, false)])
                .blocked(2, "read", &[7, 0, 1])
                .done(),
        ),
        (
            "asyncio_loop_watching_its_childs_stdin",
            Snap::new(10)
                .proc(10, 1, "python3", 'S')
                .proc(11, 10, "cat", 'S')
                .channel(10, 4, "socketpair:20-21")
                .channel(10, 5, "socketpair:20-21")
                .pipe_fd(10, 7, 1, Access::Write)
                .pipe_fd(10, 8, 2, Access::Read)
                .pipe_fd(11, 0, 1, Access::Read)
                .pipe_fd(11, 1, 2, Access::Write)
                .fill(1, 0)
                .fill(2, 0)
                .blocked(10, "epoll_wait", &[3, 0x7ff0, 3, FOREVER])
                .polled(10, &[(4, true, false), (7, true, false), (8, true, false)])
                .blocked(11, "read", &[0, 0, 131072])
                .done(),
        ),
        (
            "event_loop_whose_eventfd_a_worker_holds_too",
            Snap::new(1)
                .proc(1, 0, "loop", 'S')
                .proc(2, 1, "worker", 'S')
                .pipe_fd(1, 5, 1, Access::Read)
                .pipe_fd(1, 8, 2, Access::Write)
                .channel(1, 9, "eventfd:7")
                .pipe_fd(2, 6, 1, Access::Write)
                .pipe_fd(2, 7, 2, Access::Read)
                .channel(2, 9, "eventfd:7")
                .fill(1, 0)
                .fill(2, 0)
                .blocked(1, "epoll_wait", &[10, 0x7ff0, 1, FOREVER])
                .polled(1, &[(5, true, false), (9, true, false)])
                .blocked(2, "read", &[7, 0, 1])
                .done(),
        ),
    ]
}

#[test]
fn long_waits_and_event_loops_read_as_in_the_snapshots() {
    for (name, snap) in long_waits_and_loops() {
        insta::assert_snapshot!(format!("{name}_en"), snapshot_text(&snap, Lang::En));
        insta::assert_snapshot!(format!("{name}_zh"), snapshot_text(&snap, Lang::Zh));
        insta::assert_snapshot!(format!("{name}_json"), snapshot_json(&snap));
        if waitfor::analyse(&snap).hangs.is_empty() {
            continue;
        }
        insta::assert_snapshot!(format!("stall_{name}_en"), stall_text(&snap, Lang::En));
        insta::assert_snapshot!(format!("stall_{name}_zh"), stall_text(&snap, Lang::Zh));
    }
}

const ANY: u64 = u64::MAX;
const FOREVER: u64 = u32::MAX as u64;

/// Multiplexers watching a pipe end only for the other side to go (poll
/// events 0, no POLLIN on a read end): woken by POLLERR or POLLHUP only,
/// never by room or data (issue 12: missed before, as if room freed them).
fn hangup_watches() -> Vec<(&'static str, Snapshot)> {
    // 30 wrote a line to its child 31 and polls its write end (fd 4) with
    // events 0 for 31 to go; 31 reads the pipe (fd 3) until EOF.
    let poller = |reader_wait: &str, args: &[u64]| {
        Snap::new(30)
            .proc(30, 1, "poller", 'S')
            .proc(31, 30, "reader", 'S')
            .pipe_fd(30, 4, 1, Access::Write)
            .pipe_fd(31, 3, 1, Access::Read)
            .fill(1, 0)
            .blocked(30, "poll", &[0x7ff0, 1, FOREVER])
            .polled(30, &[(4, false, false)])
            .blocked(31, reader_wait, args)
            .done()
    };
    let mut keeps_its_reader = Snap::new(30)
        .proc(30, 1, "poller", 'S')
        .proc(31, 30, "reader", 'S')
        .pipe_fd(30, 4, 1, Access::Write)
        .pipe_fd(31, 3, 1, Access::Read)
        .fill(1, 0)
        .blocked(30, "poll", &[0x7ff0, 1, FOREVER])
        .polled(30, &[(4, false, false)])
        .blocked(31, "wait4", &[30, 0, 0])
        .done();
    // 31 is the parent here, waiting for 30.
    keeps_its_reader.tasks[0].ppid = 31;
    keeps_its_reader.tasks[1].ppid = 1;
    vec![
        (
            "parent_polling_its_write_end_for_its_reader_to_go",
            poller("read", &[3, 0, 64]),
        ),
        (
            "write_end_watched_while_its_reader_sleeps",
            poller("clock_nanosleep", &[1, 0, 0x7ff0, 0]),
        ),
        (
            "reader_waiting_for_the_poller_keeps_the_watched_read_end",
            keeps_its_reader,
        ),
        (
            "poller_keeping_its_own_read_end_of_the_pipe_it_watches",
            Snap::new(30)
                .proc(30, 1, "poller", 'S')
                .pipe_fd(30, 3, 1, Access::Read)
                .pipe_fd(30, 4, 1, Access::Write)
                .fill(1, 0)
                .blocked(30, "poll", &[0x7ff0, 1, FOREVER])
                .polled(30, &[(4, false, false)])
                .done(),
        ),
        (
            // 40 polls a read end holding data with events 0, for its
            // writer 41 to go; 41 reads a second pipe only 40 writes.
            "read_end_polled_for_its_writer_to_go_with_data_in_it",
            Snap::new(40)
                .proc(40, 1, "watcher", 'S')
                .proc(41, 40, "worker", 'S')
                .pipe_fd(40, 3, 1, Access::Read)
                .pipe_fd(40, 6, 2, Access::Write)
                .pipe_fd(41, 4, 1, Access::Write)
                .pipe_fd(41, 5, 2, Access::Read)
                .fill(1, 6)
                .fill(2, 0)
                .blocked(40, "poll", &[0x7ff0, 1, FOREVER])
                .polled(40, &[(3, false, false)])
                .blocked(41, "read", &[5, 0, 64])
                .done(),
        ),
    ]
}

#[test]
fn multiplexers_watching_for_the_other_side_to_go_read_as_in_the_snapshots() {
    for (name, snap) in hangup_watches() {
        insta::assert_snapshot!(format!("{name}_en"), snapshot_text(&snap, Lang::En));
        insta::assert_snapshot!(format!("{name}_zh"), snapshot_text(&snap, Lang::Zh));
        insta::assert_snapshot!(format!("{name}_json"), snapshot_json(&snap));
        if waitfor::analyse(&snap).hangs.is_empty() {
            continue;
        }
        insta::assert_snapshot!(format!("stall_{name}_en"), stall_text(&snap, Lang::En));
        insta::assert_snapshot!(format!("stall_{name}_zh"), stall_text(&snap, Lang::Zh));
    }
}

fn python_and_cat(call: &str, args: &[u64]) -> Snap {
    Snap::new(28418)
        .proc(28418, 1, "python3", 'S')
        .proc(28419, 28418, "cat", 'S')
        .pipe_fd(28418, 4, 1, Access::Write)
        .pipe_fd(28418, 5, 2, Access::Read)
        .pipe_fd(28419, 0, 1, Access::Read)
        .pipe_fd(28419, 1, 2, Access::Write)
        .fill(1, 0)
        .fill(2, 0)
        .blocked(28418, call, args)
        .polled(28418, &[(5, true, false)])
        .blocked(28419, "read", &[0, 0, 131072])
}

/// Every hand-built case, by name.
/// A parent in pause() catching only SIGCHLD, whose only child has exited
/// (a zombie): a lost wakeup.
fn lost_wakeup() -> Snapshot {
    let mut snap = Snap::new(30)
        .proc(30, 1, "server", 'S')
        .proc(31, 30, "worker", 'Z')
        .blocked(30, "pause", &[])
        .done();
    snap.tasks[0].signals = Some(forkscope::model::snapshot::SigMasks {
        caught: 1 << 16,
        blocked: 0,
        waited: None,
    });
    snap
}

fn cases() -> Vec<(&'static str, Snapshot)> {
    let background = Snap::new(40)
        .proc(40, 1, "sh", 'S')
        .proc(42, 40, "cat", 'S')
        .proc(43, 1, "sleep", 'S')
        .pipe_fd(42, 0, 9, Access::Read)
        .pipe_fd(43, 1, 9, Access::Write)
        .blocked(40, "wait4", &[ANY, 0, 0])
        .blocked(42, "read", &[0, 0, 131072])
        .blocked(43, "clock_nanosleep", &[0, 0, 0x7ffd, 0x7ffd])
        .done();
    let epoll = Snap::new(10)
        .proc(10, 1, "runner", 'S')
        .proc(11, 10, "filter", 'S')
        .pipe_fd(10, 4, 1, Access::Write)
        .pipe_fd(10, 5, 2, Access::Read)
        .pipe_fd(10, 6, 3, Access::Read)
        .pipe_fd(11, 0, 1, Access::Read)
        .pipe_fd(11, 1, 2, Access::Write)
        .pipe_fd(11, 2, 3, Access::Write)
        .blocked(10, "epoll_wait", &[3, 0x7ff0, 16, FOREVER])
        .polled(10, &[(5, true, false), (6, true, false)])
        .blocked(11, "read", &[0, 0, 4096])
        .done();
    vec![
        (
            "reader_holding_its_own_write_end",
            Snap::new(4101)
                .proc(4101, 1, "rhwe", 'S')
                .proc(4102, 4101, "rhwe", 'S')
                .pipe_fd(4102, 3, 77, Access::Read)
                .pipe_fd(4102, 4, 77, Access::Write)
                .fill(77, 0)
                .blocked(4102, "read", &[3, 0, 64])
                .blocked(4101, "wait4", &[4102, 0, 0])
                .done(),
        ),
        (
            "parent_keeping_the_write_end_while_waiting",
            Snap::new(4101)
                .proc(4101, 1, "sh", 'S')
                .proc(4102, 4101, "cat", 'S')
                .pipe_fd(4101, 4, 123, Access::Write)
                .pipe_fd(4102, 0, 123, Access::Read)
                .blocked(4102, "read", &[0, 0, 4096])
                .blocked(4101, "wait4", &[4102, 0, 0])
                .done(),
        ),
        (
            "waiting_for_a_child_before_reading_its_output",
            Snap::new(10)
                .proc(10, 1, "wbr", 'S')
                .proc(11, 10, "wbr", 'S')
                .pipe_fd(10, 3, 5, Access::Read)
                .pipe_fd(11, 4, 5, Access::Write)
                .fill(5, 65536)
                .blocked(11, "write", &[4, 0, 100_000])
                .blocked(10, "wait4", &[11, 0, 0])
                .done(),
        ),
        (
            "both_pipes_full",
            Snap::new(20)
                .proc(20, 1, "bpf", 'S')
                .proc(21, 20, "cat", 'S')
                .pipe_fd(20, 4, 1, Access::Write)
                .pipe_fd(20, 5, 2, Access::Read)
                .pipe_fd(21, 0, 1, Access::Read)
                .pipe_fd(21, 1, 2, Access::Write)
                .fill(1, 65536)
                .fill(2, 65536)
                .blocked(20, "write", &[4, 0, 1 << 20])
                .blocked(21, "write", &[1, 0, 131072])
                .done(),
        ),
        (
            "fifos_opened_in_opposite_orders",
            Snap::new(30)
                .proc(30, 1, "foo", 'S')
                .proc(31, 30, "foo", 'S')
                .proc(32, 30, "foo", 'S')
                .blocked(30, "wait4", &[ANY, 0, 0])
                .fifo_open(31, "/tmp/x/a", 0)
                .fifo_open(32, "/tmp/x/b", 0)
                .done(),
        ),
        (
            "fifo_open_with_a_free_process_around",
            Snap::new(30)
                .proc(30, 1, "server", 'S')
                .proc(31, 30, "client", 'R')
                .fifo_open(30, "/tmp/x/a", 0)
                .done(),
        ),
        ("background_job_holding_the_write_end", background.clone()),
        (
            "background_job_seen_from_outside_the_tree",
            Snap(background).outside(43).done(),
        ),
        (
            "stopped_child_and_a_parent_without_wuntraced",
            Snap::new(50)
                .proc(50, 1, "sc", 'S')
                .proc(51, 50, "sc", 'T')
                .blocked(50, "wait4", &[51, 0, 0])
                .done(),
        ),
        (
            "stopped_child_with_a_waker_sleeping",
            Snap::new(50)
                .proc(50, 1, "sc", 'S')
                .proc(51, 50, "sc", 'T')
                .proc(52, 50, "waker", 'S')
                .blocked(50, "wait4", &[51, 0, 0])
                .blocked(52, "nanosleep", &[0x7ff, 0])
                .done(),
        ),
        (
            "job_stopped_with_ctrl_z",
            Snap::new(60)
                .proc(60, 1, "yes", 'T')
                .proc(61, 1, "head", 'T')
                .pipe_fd(60, 1, 3, Access::Write)
                .pipe_fd(61, 0, 3, Access::Read)
                .done(),
        ),
        (
            "busy_pipeline",
            Snap::new(70)
                .proc(70, 1, "sh", 'S')
                .proc(71, 70, "yes", 'R')
                .proc(72, 70, "head", 'S')
                .proc(73, 70, "wc", 'R')
                .pipe_fd(71, 1, 1, Access::Write)
                .pipe_fd(72, 0, 1, Access::Read)
                .pipe_fd(72, 1, 2, Access::Write)
                .pipe_fd(73, 0, 2, Access::Read)
                .blocked(70, "wait4", &[ANY, 0, 0])
                .blocked(72, "write", &[1, 0, 4096])
                .done(),
        ),
        (
            "sleeping_process",
            Snap::new(80)
                .proc(80, 1, "sleep", 'S')
                .blocked(80, "clock_nanosleep", &[0, 0, 0x7ff, 0x7ff])
                .done(),
        ),
        (
            "slow_producer_between_writes",
            Snap::new(90)
                .proc(90, 1, "sh", 'S')
                .proc(91, 90, "sh", 'S')
                .proc(92, 90, "cat", 'S')
                .proc(93, 91, "sleep", 'S')
                .pipe_fd(91, 1, 4, Access::Write)
                .pipe_fd(93, 1, 4, Access::Write)
                .pipe_fd(92, 0, 4, Access::Read)
                .wchar(91, 2)
                .blocked(90, "wait4", &[ANY, 0, 0])
                .blocked(91, "wait4", &[ANY, 0, 0])
                .blocked(92, "read", &[0, 0, 131072])
                .blocked(93, "clock_nanosleep", &[0, 0, 0x7ff, 0])
                .done(),
        ),
        (
            "reader_of_the_terminal",
            Snap::new(110)
                .proc(110, 1, "cat", 'S')
                .tty(110, 0)
                .blocked(110, "read", &[0, 0, 131072])
                .done(),
        ),
        (
            "writer_outside_the_tree",
            Snap::new(120)
                .proc(120, 1, "cat", 'S')
                .proc(5, 4, "bash", 'S')
                .outside(5)
                .pipe_fd(120, 0, 8, Access::Read)
                .pipe_fd(5, 9, 8, Access::Write)
                .blocked(120, "read", &[0, 0, 4096])
                .blocked(5, "wait4", &[ANY, 0, 0])
                .done(),
        ),
        (
            "thread_blocked_on_a_pipe_its_sibling_joins",
            Snap::new(130)
                .proc(130, 1, "app", 'S')
                .pipe_fd(130, 3, 6, Access::Read)
                .pipe_fd(130, 4, 6, Access::Write)
                .thread(130, 131, 'S')
                .blocked(130, "futex", &[0x7ff, 128, 131, 0])
                .blocked(131, "read", &[3, 0, 10])
                .done(),
        ),
        (
            "pause_for_a_child_stuck_on_its_own_pipe",
            Snap::new(1)
                .proc(1, 0, "p", 'S')
                .proc(2, 1, "c", 'S')
                .pipe_fd(2, 3, 1, Access::Read)
                .pipe_fd(2, 4, 1, Access::Write)
                .blocked(1, "pause", &[])
                .blocked(2, "read", &[3, 0, 1])
                .done(),
        ),
        (
            "select_on_the_output_of_a_child_fed_without_eof",
            python_and_cat("pselect6", &[6, 0x7ff0, 0, 0, 0, 0]).done(),
        ),
        (
            "poll_with_data_waiting",
            python_and_cat("poll", &[0x7ff0, 1, FOREVER])
                .fill(2, 6)
                .done(),
        ),
        (
            "poll_on_a_pipe_and_a_socket",
            python_and_cat("poll", &[0x7ff0, 2, FOREVER])
                .socket(28418, 7)
                .polled(28418, &[(5, true, false), (7, true, false)])
                .done(),
        ),
        ("epoll_on_two_pipes_whose_writer_is_stuck", epoll),
        (
            "poll_on_a_pipe_only_it_writes_to",
            Snap::new(7)
                .proc(7, 1, "selfpoll", 'S')
                .pipe_fd(7, 3, 1, Access::Read)
                .pipe_fd(7, 4, 1, Access::Write)
                .blocked(7, "poll", &[0x7ff0, 1, FOREVER])
                .polled(7, &[(3, true, false)])
                .done(),
        ),
        (
            "poll_for_room_in_a_full_pipe",
            Snap::new(20)
                .proc(20, 1, "w", 'S')
                .proc(21, 1, "r", 'S')
                .pipe_fd(20, 4, 1, Access::Write)
                .pipe_fd(21, 3, 1, Access::Read)
                .fill(1, 65536)
                .blocked(20, "poll", &[0x7ff0, 1, FOREVER])
                .polled(20, &[(4, false, true)])
                .blocked(21, "futex", &[0x7ff, 0, 1, 0])
                .done(),
        ),
        (
            "parent_holding_a_flock_waits_for_the_child_that_wants_it",
            Snap::new(60)
                .proc(60, 1, "flocker", 'S')
                .proc(61, 60, "flocker", 'S')
                .lock(60, 3, "FLOCK", true)
                .lock(61, 4, "FLOCK", false)
                .blocked(60, "wait4", &[61, 0x7ff0, 0, 0])
                .blocked(61, "flock", &[4, 2])
                .done(),
        ),
        (
            "parent_holding_an_fcntl_lock_reads_the_child_that_wants_it",
            Snap::new(70)
                .proc(70, 1, "db", 'S')
                .proc(71, 70, "worker", 'S')
                .lock(70, 3, "POSIX", true)
                .pipe_fd(70, 5, 1, Access::Read)
                .lock(71, 3, "POSIX", false)
                .pipe_fd(71, 6, 1, Access::Write)
                .fill(1, 0)
                .blocked(70, "read", &[5, 0x7ff0, 4096])
                .blocked(71, "fcntl", &[3, 7, 0x7ff0])
                .done(),
        ),
        (
            "a_lock_holder_that_sleeps_is_not_a_hang",
            Snap::new(80)
                .proc(80, 1, "holder", 'S')
                .proc(81, 80, "waiter", 'S')
                .lock(80, 3, "OFDLCK", true)
                .lock(81, 3, "OFDLCK", false)
                .blocked(80, "clock_nanosleep", &[0, 0, 0x7ff0, 0])
                .blocked(81, "fcntl", &[3, 38, 0x7ff0])
                .done(),
        ),
        (
            "untimed_poll_on_no_fd",
            Snap::new(1)
                .proc(1, 0, "p", 'S')
                .blocked(1, "ppoll", &[0, 0, 0, 0])
                .polled(1, &[])
                .done(),
        ),
        ("lost_sigchld_wakeup", lost_wakeup()),
        (
            "lock_copied_by_fork",
            Snap::new(50)
                .proc(50, 1, "server", 'S')
                .blocked(50, "wait4", &[52, 0, 0])
                .thread(50, 51, 'S')
                .blocked(51, "pause", &[])
                .proc(52, 50, "server", 'S')
                .blocked(52, "futex", &[0x7ff, 128, 2, 0])
                .done(),
        ),
        (
            "epoll_on_an_fd_it_no_longer_has",
            Snap::new(1)
                .proc(1, 0, "p", 'S')
                .blocked(1, "epoll_pwait", &[3, 0x7ff0, 1, FOREVER])
                .polled(1, &[(9, true, false)])
                .done(),
        ),
        (
            "python_reading_stdout_while_the_child_fills_stderr",
            stderr_full("python3", "python3"),
        ),
        (
            "reading_stdout_while_the_child_fills_stderr",
            stderr_full("runner", "tool"),
        ),
        (
            "python_worker_that_inherited_the_write_end",
            inherited("python3", "python3"),
        ),
        (
            "child_that_inherited_the_write_end_across_exec",
            inherited("runner", "helper"),
        ),
        (
            "fifo_written_before_its_reader_starts",
            Snap::new(40)
                .proc(40, 1, "bash", 'S')
                .proc(41, 40, "bash", 'S')
                .blocked(40, "wait4", &[ANY, 0x7ff0, 0, 0])
                .fifo_open(41, "/tmp/x/p", 0o1101)
                .done(),
        ),
    ]
}

/// A parent reading its child's stdout (pipe 1, fd 3) to the end while the
/// child is blocked writing its full stderr pipe (pipe 2, fd 2), whose read
/// end only the parent holds (fd 5).
fn stderr_full(parent: &str, child: &str) -> Snapshot {
    Snap::new(100)
        .proc(100, 1, parent, 'S')
        .proc(101, 100, child, 'S')
        .pipe_fd(100, 3, 1, Access::Read)
        .pipe_fd(100, 5, 2, Access::Read)
        .pipe_fd(101, 1, 1, Access::Write)
        .pipe_fd(101, 2, 2, Access::Write)
        .fill(1, 0)
        .fill(2, 65536)
        .blocked(100, "read", &[3, 0x7ff0, 8192])
        .blocked(101, "write", &[2, 0x7ff0, 200_000])
        .done()
}

/// A parent reading a result pipe (pipe 1, fd 3) to EOF; its child holds
/// the write end as fd 4, has written nothing, and waits for a task on
/// pipe 2 (fd 5), which the parent writes only after the results.
fn inherited(parent: &str, child: &str) -> Snapshot {
    Snap::new(200)
        .proc(200, 1, parent, 'S')
        .proc(202, 200, child, 'S')
        .pipe_fd(200, 3, 1, Access::Read)
        .pipe_fd(200, 6, 2, Access::Write)
        .pipe_fd(202, 4, 1, Access::Write)
        .pipe_fd(202, 5, 2, Access::Read)
        .fill(1, 0)
        .fill(2, 0)
        .wchar(200, 237)
        .blocked(200, "read", &[3, 0x7ff0, 4096])
        .blocked(202, "read", &[5, 0x7ff0, 1])
        .done()
}

/// What `snapshot` prints for `snap` in `lang`.
fn snapshot_text(snap: &Snapshot, language: Lang) -> String {
    let report = waitfor::analyse(snap);
    forkscope::render::snapshot::text(snap, &report, language, Paint { color: false })
}

/// What `snapshot --json` prints for `snap`.
fn snapshot_json(snap: &Snapshot) -> String {
    let report = waitfor::analyse(snap);
    serde_json::to_string_pretty(&forkscope::render::snapshot::json(snap, &report)).unwrap()
}

/// What `record --stall-timeout 1 --on-deadlock kill` prints on stderr
/// when it finds the hangs of `snap`.
fn stall_text(snap: &Snapshot, language: Lang) -> String {
    let report = waitfor::analyse(snap);
    forkscope::cli::record::stall_text(
        &forkscope::record::StallReport {
            why: forkscope::record::Why::Stalled(Duration::from_millis(1000)),
            // As the watchdog decides: a long wait is never killed.
            killing: report.hangs.iter().any(|h| !h.kind.may_end()),
            hangs: report.hangs,
        },
        Style { color: false },
        language,
    )
}

#[test]
fn every_hand_built_wait_for_case_reads_as_in_the_snapshots() {
    for (name, snap) in cases() {
        insta::assert_snapshot!(format!("{name}_en"), snapshot_text(&snap, Lang::En));
        insta::assert_snapshot!(format!("{name}_zh"), snapshot_text(&snap, Lang::Zh));
        insta::assert_snapshot!(format!("{name}_json"), snapshot_json(&snap));
    }
}

#[test]
fn the_record_stall_report_of_every_hang_reads_as_in_the_snapshots() {
    for (name, snap) in cases() {
        if waitfor::analyse(&snap).hangs.is_empty() {
            continue;
        }
        insta::assert_snapshot!(format!("stall_{name}_en"), stall_text(&snap, Lang::En));
        insta::assert_snapshot!(format!("stall_{name}_zh"), stall_text(&snap, Lang::Zh));
    }
}

#[test]
fn a_hung_snapshot_draws_as_in_the_snapshots() {
    for (name, snap) in cases() {
        if !matches!(
            name,
            "parent_keeping_the_write_end_while_waiting"
                | "fifos_opened_in_opposite_orders"
                | "background_job_holding_the_write_end"
        ) {
            continue;
        }
        for language in [Lang::En, Lang::Zh] {
            let report = waitfor::analyse(&snap);
            let scene = forkscope::render::snapshot::scene(&snap, &report, language);
            let text = forkscope::render::ascii::render(&scene, false);
            insta::assert_snapshot!(format!("ascii_{name}_{language:?}"), text);
        }
    }
}

/// `forkscope doctor [args] TRACE` on a committed trace: stdout and status.
fn doctor(trace: &str, args: &[&str]) -> String {
    let out = forkscope()
        .arg("doctor")
        .arg(repo().join("fixtures/traces/hang").join(trace))
        .args(args)
        .output()
        .expect("forkscope runs");
    // The JSON names the trace by its path: the checkout's is not ours.
    format!(
        "exit status: {:?}\n{}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .replace(repo().to_str().expect("a UTF-8 checkout path"), "<repo>")
}

#[test]
fn doctor_on_a_recorded_stall_reads_as_in_the_snapshots() {
    // Traces of stalls recorded with their facts (`.facts.jsonl`) and
    // without (older forkscope: their Chinese quotes the English).
    for trace in [
        "parent_keeps_write_end.jsonl",
        "select_without_eof.jsonl",
        "parent_keeps_write_end.facts.jsonl",
        "select_without_eof.facts.jsonl",
    ] {
        let name = trace.trim_end_matches(".jsonl").replace('.', "_");
        insta::assert_snapshot!(format!("doctor_{name}_en"), doctor(trace, &[]));
        insta::assert_snapshot!(
            format!("doctor_{name}_zh"),
            doctor(trace, &["--lang", "zh"])
        );
        insta::assert_snapshot!(format!("doctor_{name}_json"), doctor(trace, &["--json"]));
    }
}

#[test]
fn a_stall_with_facts_words_the_same_english_as_its_recorded_sentences() {
    for trace in [
        "parent_keeps_write_end.facts.jsonl",
        "select_without_eof.facts.jsonl",
    ] {
        let path = repo().join("fixtures/traces/hang").join(trace);
        let (_, events, _) = forkscope::trace::read_all(&path).unwrap();
        let mut stalls = 0;
        for ev in events {
            if let forkscope::trace::EventKind::Stall {
                summary,
                steps,
                fix,
                facts: Some(facts),
                ..
            } = ev.kind
            {
                use forkscope::words::hang as words;
                assert_eq!(words::summary(Lang::En, &facts.summary), summary);
                assert_eq!(words::steps(Lang::En, &facts.steps), steps);
                assert_eq!(words::fix(Lang::En, &facts.fix), fix);
                stalls += 1;
            }
        }
        assert_eq!(stalls, 1, "{trace}");
    }
}

/// `text` with what changes from run to run named by order of first
/// appearance: pipe inodes (`pipe:[N]`) and every number of four digits or
/// more but 65536 (pids: fds, exit statuses and timeouts are shorter).
fn redact(text: &str) -> String {
    let mut out = String::new();
    let mut seen: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let len = from
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(from.len());
        let (num, after) = from.split_at(len);
        if out.ends_with("pipe:[") {
            out.push('N');
        } else if num.len() >= 4 && num != "65536" {
            let k = match seen.iter().position(|s| s == num) {
                Some(k) => k,
                None => {
                    seen.push(num.to_string());
                    seen.len() - 1
                }
            };
            out.push_str(&format!("<pid{}>", k + 1));
        } else {
            out.push_str(num);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A hung fixture of fixtures/hang/, started untraced in its own process
/// group (killed with it when dropped).
struct Hung(std::process::Child);

impl Hung {
    fn start(name: &str) -> Hung {
        use std::os::unix::process::CommandExt;
        let bin = common::try_fixture_from("hang", name, &[]).expect("the fixture builds");
        Hung(
            std::process::Command::new(bin)
                .process_group(0)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn"),
        )
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        // SAFETY: killpg takes integers only.
        unsafe {
            libc::killpg(self.0.id() as i32, libc::SIGKILL);
        }
        let _ = self.0.wait();
    }
}

#[test]
fn snapshot_of_a_real_hang_reads_as_in_the_snapshots() {
    for name in [
        "reader_holds_write_end",
        "parent_keeps_write_end",
        "lost_sigchld",
        "fork_copied_lock",
        "event_loop",
        "poll_for_reader_exit",
    ] {
        let hung = Hung::start(name);
        let pid = hung.0.id().to_string();
        // Until the hang is there (snapshot exits 1); no time asserted.
        let mut found = None;
        for _ in 0..200 {
            let out = forkscope()
                .args(["--color", "never", "snapshot", &pid])
                .output()
                .unwrap();
            if out.status.code() == Some(1) {
                found = Some(());
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(found.is_some(), "{name} hangs");
        for lang in ["en", "zh"] {
            let out = forkscope()
                .args(["--color", "never", "--lang", lang, "snapshot", &pid])
                .output()
                .unwrap();
            insta::assert_snapshot!(
                format!("live_snapshot_{name}_{lang}"),
                redact(&String::from_utf8_lossy(&out.stdout))
            );
        }
    }
}

#[test]
fn record_explains_a_real_hang_as_in_the_snapshots() {
    for name in [
        "reader_holds_write_end",
        "parent_keeps_write_end",
        "lost_sigchld",
        "fork_copied_lock",
        "event_loop",
        "poll_for_reader_exit",
    ] {
        let bin = common::try_fixture_from("hang", name, &[]).expect("the fixture builds");
        for lang in ["en", "zh"] {
            let dir = tempfile::tempdir().unwrap();
            let out = forkscope()
                .args(["--lang", lang, "record", "-q", "-o"])
                .arg(dir.path().join("t.jsonl"))
                .args(["--stall-timeout", "1", "--on-deadlock", "kill", "--"])
                .arg(&bin)
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(124));
            // How long it had stalled depends on when the watchdog looked.
            let text = redact(&String::from_utf8_lossy(&out.stderr));
            let first = text.lines().next().unwrap_or_default().to_string();
            let masked: String = first
                .split(' ')
                .map(|w| {
                    let decimal = w.len() == 3 && w.as_bytes()[1] == b'.';
                    if decimal {
                        "<secs>"
                    } else {
                        w
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            insta::assert_snapshot!(
                format!("live_record_{name}_{lang}"),
                text.replacen(&first, &masked, 1)
            );
        }
    }
}

/// `text` with every decimal number of seconds (`3.8`, `1.0`) masked: how
/// much of a sleep is left depends on when the watchdog looked.
fn mask_decimals(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut k = 0;
    while k < b.len() {
        if b[k].is_ascii_digit() && (k == 0 || !b[k - 1].is_ascii_digit()) {
            let mut e = k;
            while e < b.len() && b[e].is_ascii_digit() {
                e += 1;
            }
            if e + 1 < b.len() && b[e] == b'.' && b[e + 1].is_ascii_digit() {
                let mut f = e + 1;
                while f < b.len() && b[f].is_ascii_digit() {
                    f += 1;
                }
                out.push_str("<secs>");
                k = f;
                continue;
            }
        }
        let c = text[k..].chars().next().unwrap();
        out.push(c);
        k += c.len_utf8();
    }
    out
}

#[test]
fn record_explains_a_real_long_wait_as_in_the_snapshots() {
    let script = repo().join("fixtures/hang/background_job.sh");
    for lang in ["en", "zh"] {
        let dir = tempfile::tempdir().unwrap();
        let out = forkscope()
            .args(["--lang", lang, "record", "-q", "-o"])
            .arg(dir.path().join("t.jsonl"))
            .args(["--stall-timeout", "1", "--on-deadlock", "kill", "--", "sh"])
            .arg(&script)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "a long wait is not killed");
        let text = mask_decimals(&redact(&String::from_utf8_lossy(&out.stderr)));
        insta::assert_snapshot!(format!("live_record_long_wait_{lang}"), text);
    }
}
