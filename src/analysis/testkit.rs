//! Hand-written event sequences for the analyses' unit tests: a tiny script
//! builder (seq counts up, time is set explicitly in milliseconds) and a
//! runner that returns the findings.

use super::{diagnose_events, Code, Finding};
use crate::trace::{
    DupVia, Event, EventKind, FdEntry, ForkFlavor, KillVia, Pid, RawStr, Sig, Status, WaitVia,
};

/// Builds a trace one event at a time.
pub(crate) struct Script {
    pub(crate) events: Vec<Event>,
    ms: u64,
}

fn raw(s: &str) -> RawStr {
    RawStr::from(s)
}

impl Script {
    /// A root `pid` running `prog`, stdio on a terminal.
    pub(crate) fn new(pid: Pid, prog: &str) -> Script {
        let mut s = Script {
            events: Vec::new(),
            ms: 0,
        };
        let fds = (0..3)
            .map(|fd| FdEntry {
                fd,
                target: raw("/dev/pts/0"),
                cloexec: false,
                flags: Some("O_RDWR".into()),
                same_as: None,
                same_as_pid: None,
            })
            .collect();
        s.ev(pid, EventKind::spawned(vec![raw(prog)], fds));
        s.exec(pid, prog, &[prog]);
        s
    }

    /// Moves the clock to `ms` milliseconds.
    pub(crate) fn at(&mut self, ms: u64) -> &mut Script {
        self.ms = ms;
        self
    }

    pub(crate) fn ev(&mut self, pid: Pid, kind: EventKind) -> &mut Script {
        let seq = self.events.len() as u64;
        self.events.push(Event {
            seq,
            ts_ns: self.ms * 1_000_000 + seq,
            pid,
            kind,
        });
        self
    }

    pub(crate) fn fork(&mut self, pid: Pid, child: Pid) -> &mut Script {
        self.ev(
            pid,
            EventKind::Fork {
                child,
                flavor: ForkFlavor::Fork,
                shares_fds: false,
                syscall: "clone".into(),
                flags: 0,
                fds: None,
            },
        )
    }

    pub(crate) fn exec(&mut self, pid: Pid, prog: &str, argv: &[&str]) -> &mut Script {
        self.ev(
            pid,
            EventKind::Exec {
                path: raw(&format!("/usr/bin/{prog}")),
                argv: argv.iter().map(|a| raw(a)).collect(),
                ok: true,
                errno: None,
                fds: None,
                elf: None,
                script: None,
                former_tid: None,
                argv_null: false,
                unreadable: Vec::new(),
            },
        )
    }

    pub(crate) fn pipe(&mut self, pid: Pid, r: i32, w: i32, id: u64) -> &mut Script {
        self.ev(
            pid,
            EventKind::Pipe {
                read_fd: r,
                write_fd: w,
                pipe_id: id,
                cloexec: false,
                nonblock: false,
            },
        )
    }

    pub(crate) fn dup2(&mut self, pid: Pid, old: i32, new: i32) -> &mut Script {
        self.ev(
            pid,
            EventKind::Dup {
                old_fd: old,
                new_fd: new,
                via: DupVia::Dup2,
                cloexec: false,
                errno: None,
            },
        )
    }

    pub(crate) fn close(&mut self, pid: Pid, fd: i32) -> &mut Script {
        self.ev(pid, EventKind::Close { fd })
    }

    pub(crate) fn set_cloexec(&mut self, pid: Pid, fd: i32, on: bool) -> &mut Script {
        self.ev(
            pid,
            EventKind::SetCloexec {
                fd,
                cloexec: on,
                errno: None,
                via: None,
            },
        )
    }

    pub(crate) fn exit(&mut self, pid: Pid, code: i32) -> &mut Script {
        self.ev(
            pid,
            EventKind::Exit {
                status: Status::Exited { exited: code },
                comm: None,
            },
        )
    }

    pub(crate) fn killed(&mut self, pid: Pid, sig: i32) -> &mut Script {
        self.ev(
            pid,
            EventKind::Exit {
                status: Status::Signaled {
                    signaled: Sig(sig),
                    core: false,
                },
                comm: None,
            },
        )
    }

    pub(crate) fn kill(&mut self, pid: Pid, target: i64, sig: i32) -> &mut Script {
        self.ev(
            pid,
            EventKind::Kill {
                target,
                signal: Sig(sig),
                ok: true,
                via: KillVia::Kill,
                errno: None,
            },
        )
    }

    pub(crate) fn signal(&mut self, pid: Pid, sig: i32, from: Option<Pid>) -> &mut Script {
        self.ev(
            pid,
            EventKind::Signal {
                signal: Sig(sig),
                from,
            },
        )
    }

    fn wait_ev(
        &mut self,
        pid: Pid,
        target: i64,
        reaped: Option<Pid>,
        status: Option<Status>,
        nohang: bool,
        errno: Option<&str>,
    ) -> &mut Script {
        self.ev(
            pid,
            EventKind::Wait {
                target,
                reaped,
                status,
                nohang,
                untraced: false,
                continued: false,
                via: WaitVia::Wait4,
                errno: errno.map(String::from),
            },
        )
    }

    /// A wait that reaped `child` (exit 0).
    pub(crate) fn reap(&mut self, pid: Pid, target: i64, child: Pid) -> &mut Script {
        self.wait_ev(
            pid,
            target,
            Some(child),
            Some(Status::Exited { exited: 0 }),
            false,
            None,
        )
    }

    /// A blocking wait that came back because a signal arrived.
    pub(crate) fn wait_interrupted(&mut self, pid: Pid, target: i64) -> &mut Script {
        self.wait_ev(pid, target, None, None, false, Some("E512"))
    }

    /// A wait that failed with `errno`.
    pub(crate) fn wait_failed(&mut self, pid: Pid, target: i64, errno: &str) -> &mut Script {
        self.wait_ev(pid, target, None, None, true, Some(errno))
    }

    /// A WUNTRACED wait that reported `child` stopped.
    pub(crate) fn wait_saw_stop(&mut self, pid: Pid, target: i64, child: Pid) -> &mut Script {
        self.wait_ev(
            pid,
            target,
            Some(child),
            Some(Status::Stopped {
                stopped: Sig(libc::SIGSTOP),
            }),
            false,
            None,
        )
    }

    pub(crate) fn stop(&mut self, pid: Pid) -> &mut Script {
        self.ev(
            pid,
            EventKind::Stop {
                signal: Sig(libc::SIGSTOP),
            },
        )
    }

    pub(crate) fn cont(&mut self, pid: Pid) -> &mut Script {
        self.ev(pid, EventKind::Continue {})
    }

    /// Every finding.
    pub(crate) fn findings(&self) -> Vec<Finding> {
        diagnose_events(&self.events).findings
    }

    /// The findings of one code.
    pub(crate) fn findings_of(&self, code: Code) -> Vec<Finding> {
        self.findings()
            .into_iter()
            .filter(|f| f.code == code)
            .collect()
    }
}

/// A shell-style pipeline `writer | reader` in which everyone closes what it
/// does not use: root 100 (`sh`), writer 101 (`echo`), reader 102 (`cat`),
/// pipe 7 on fds 3 and 4. Ends with everything reaped.
pub(crate) fn clean_pipeline() -> Script {
    let mut s = Script::new(100, "sh");
    s.pipe(100, 3, 4, 7)
        .fork(100, 101)
        .close(100, 4)
        .close(101, 3)
        .dup2(101, 4, 1)
        .close(101, 4)
        .fork(100, 102)
        .close(100, 3)
        .dup2(102, 3, 0)
        .close(102, 3)
        .exec(101, "echo", &["echo", "hi"])
        .exec(102, "cat", &["cat"])
        .exit(101, 0)
        .reap(100, -1, 101)
        .exit(102, 0)
        .reap(100, -1, 102)
        .exit(100, 0);
    s
}

#[test]
fn a_clean_pipeline_has_no_findings() {
    assert_eq!(clean_pipeline().findings(), Vec::new());
}

/// A finding's texts in English, as `doctor --json` carries them: what
/// the unit tests check words against.
pub(crate) trait English {
    /// The summary.
    fn summary(&self) -> String;
    /// The explanation.
    fn explanation(&self) -> String;
    /// The fix.
    fn fix(&self) -> String;
}

impl English for Finding {
    fn summary(&self) -> String {
        crate::words::finding::summary(crate::words::Lang::En, &self.fact)
    }
    fn explanation(&self) -> String {
        crate::words::finding::explanation(crate::words::Lang::En, &self.fact)
    }
    fn fix(&self) -> String {
        crate::words::finding::fix(crate::words::Lang::En, &self.fact)
    }
}

/// What an fd refers to, in English.
pub(crate) fn object(o: &super::FdObject) -> String {
    crate::words::finding::object(crate::words::Lang::En, o)
}
