//! `hang`: the traced program hung and forkscope saw it live. With
//! `record --stall-timeout` (or at Ctrl-C, or at a detach) the recorder
//! analyses the stuck tree from /proc (see [`super::waitfor`]) and writes
//! what it found into the trace as a `stall` event; this finding carries
//! that report into `doctor`, so a trace of a hang explains itself later.
//!
//! A stall carries its hang as facts (`facts`), worded in the language
//! asked like a live report (`words::hang`). A stall of an older trace has
//! only its English sentences: in Chinese the finding then says what kind of
//! hang it was, which processes, and quotes the English.

use super::{
    Analysis, Code, Context, EventFact, EventRef, FdObject, Finding, FindingFact, Role, Severity,
};
use crate::model::Applied;
use crate::trace::{Event, EventKind};

/// Reports every hang recorded in the trace.
#[derive(Default)]
pub struct Hangs;

fn role_of(role: &str) -> Role {
    match role {
        "lock-holder" => Role::LockHolder,
        "lock-waiter" => Role::LockWaiter,
        r if r.contains("reader") => Role::Reader,
        r if r.contains("writer") => Role::Writer,
        _ => Role::Blocked,
    }
}

impl Analysis for Hangs {
    fn after(&mut self, cx: &Context<'_>, ev: &Event, _applied: &Applied, out: &mut Vec<Finding>) {
        let EventKind::Stall {
            hang,
            summary,
            steps,
            fix,
            tasks,
            fds,
            pipes,
            killed,
            stalled_ns,
            facts,
            ..
        } = &ev.kind
        else {
            return;
        };
        let fact = FindingFact::Hang {
            hang: hang.clone(),
            summary: summary.clone(),
            steps: steps.clone(),
            fix: fix.clone(),
            stalled_ns: *stalled_ns,
            killed: *killed,
            tasks: tasks.iter().map(|&p| cx.proc(p)).collect(),
            facts: facts.clone(),
        };
        // A long wait (eof-held-open) may end by itself: a warning.
        let long_wait = crate::trace::hang::HangKind::parse(hang).is_some_and(|k| k.may_end());
        let severity = if long_wait {
            Severity::Warning
        } else {
            Severity::Error
        };
        let mut f = Finding::new(Code::Hang, severity, ev.seq, fact).event(EventRef::of(
            ev,
            EventFact::HangFound {
                summary: summary.clone(),
                facts: facts.clone(),
            },
        ));
        for &p in tasks {
            f = f.process(p, cx.name(p), Role::Blocked);
        }
        for s in fds {
            f = f.fd(
                s.pid,
                s.fd,
                FdObject::Path(s.pipe.clone()),
                role_of(&s.role),
            );
        }
        for p in pipes {
            f = f.pipe(p.clone());
        }
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{English, Script};
    use super::super::Code;
    use crate::trace::{EventKind, StallFd};

    #[test]
    fn a_recorded_stall_becomes_an_error_finding_with_its_processes_and_fds() {
        let mut s = Script::new(100, "python3");
        s.fork(100, 101);
        s.ev(
            101,
            EventKind::Stall {
                hang: "deadlock".into(),
                trigger: "stalled".into(),
                stalled_ns: Some(1_000_000_000),
                summary: "101 (cat) and 100 (python3) wait for each other".into(),
                steps: vec!["101 (cat) is blocked reading pipe:[7] via fd 0;".into()],
                fix: "close fd 4 in 100".into(),
                cycle: vec![101, 100],
                tasks: vec![101, 100],
                fds: vec![StallFd {
                    pid: 100,
                    fd: 4,
                    pipe: "pipe:[7]".into(),
                    role: "holder".into(),
                }],
                pipes: vec!["pipe:[7]".into()],
                facts: None,
                killed: true,
            },
        );
        let f = s.findings_of(Code::Hang);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].summary().starts_with("deadlock: 101 (cat) and 100"),
            "{}",
            f[0].summary()
        );
        assert!(f[0].explanation().contains("after 1.00 s without progress"));
        assert!(f[0].explanation().contains("--on-deadlock kill"));
        assert_eq!(f[0].fix(), "close fd 4 in 100");
        assert_eq!((f[0].fds[0].pid, f[0].fds[0].fd), (100, 4));
        assert_eq!(f[0].pipes, vec!["pipe:[7]".to_string()]);
    }
}
