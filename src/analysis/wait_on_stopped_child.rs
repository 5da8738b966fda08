//! `wait-on-stopped-child`: a parent sat blocked in wait() for a child that
//! was stopped (group-stop by SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU).
//!
//! A stopped child does not run until it gets SIGCONT, and a wait without
//! WUNTRACED does not report stops (wait(2)): the parent just keeps
//! waiting. Only the wait's return is recorded, so the heuristic is:
//!
//! - child C has a `stop` event, and its parent P never saw the stop (no
//!   wait of P reported C as stopped, which would mean WUNTRACED);
//! - P was waiting for C during the stop. Direct evidence: a wait of P that
//!   covers C came back interrupted (EINTR, or ERESTART* as the tracer sees
//!   it) while C was stopped, so P was inside it. Otherwise: P's first own
//!   action after C's `continue` is a blocking wait that covers C (C by
//!   pid, any child, or C's group), and P did nothing else in between;
//! - the time P was provably idle in that wait (from the later of the stop
//!   and P's last own action, to the continue) is at least
//!   [`STOPPED_WAIT_THRESHOLD_NS`].
//!
//! If the trace ends with C still stopped, P alive and idle in such a wait
//! for at least that long, it is reported too. Signals arriving and
//! interrupted waits do not count as P's own actions.

use super::{
    interrupted, wait_covers, Analysis, Code, Context, EventFact, EventRef, Finding, FindingFact,
    Proc, Role, Severity, StopEnd, StopEvidence,
};
use crate::model::hash::IdMap;
use crate::model::{Applied, Moment, Note, ProcessState};
use crate::trace::{Event, EventKind, Pid, Sig, Status};

/// A parent idle this long in a wait on a stopped child is reported: 200 ms.
pub const STOPPED_WAIT_THRESHOLD_NS: u64 = 200_000_000;

/// Finds parents stuck waiting for a stopped child.
#[derive(Default)]
pub struct WaitOnStoppedChild {
    /// Stopped children, by pid.
    stops: IdMap<Pid, Stop>,
    /// Continued children whose parent's next action decides, with the
    /// continue and who sent SIGCONT.
    pending: Vec<Pending>,
    /// The latest kill(pid, SIGCONT) per target pid, with the sender's program.
    sigcont: IdMap<Pid, (String, EventRef)>,
}

struct Pending {
    stop: Stop,
    cont: EventRef,
    sender: Option<(String, EventRef)>,
}

struct Stop {
    child: Pid,
    child_prog: String,
    parent: Pid,
    parent_prog: String,
    signal: Sig,
    at: EventRef,
    /// The parent used WUNTRACED and saw the stop.
    seen: bool,
    /// The parent's latest own action since the stop (or before it).
    busy: Option<Moment>,
    /// Interrupted waits of the parent covering the child, since `busy`.
    waits: Vec<EventRef>,
}

impl Stop {
    fn idle_from(&self) -> Moment {
        match self.busy {
            Some(b) if b > self.at.moment() => b,
            _ => self.at.moment(),
        }
    }

    fn finding(
        self,
        cont: Option<EventRef>,
        sender: Option<(String, EventRef)>,
        returned: Option<EventRef>,
        until: Moment,
    ) -> Finding {
        let idle = until.ts_ns.saturating_sub(self.idle_from().ts_ns);
        let Stop {
            child: c,
            child_prog: cprog,
            parent: p,
            parent_prog: pprog,
            signal,
            at,
            waits,
            ..
        } = self;
        let evidence = match (waits.first(), &returned) {
            (Some(w), _) => StopEvidence::Interrupted(w.seq),
            (None, Some(r)) => StopEvidence::Returned(r.seq),
            (None, None) => StopEvidence::Idle,
        };
        let end = match (&cont, &sender) {
            (Some(k), Some((sprog, s))) => StopEnd::ContinuedBy {
                sender: Proc::new(s.pid, sprog.clone()),
                sent: s.seq,
                cont: k.seq,
            },
            (Some(k), None) => StopEnd::Continued(k.seq),
            _ => StopEnd::StillStopped,
        };
        let fact = FindingFact::WaitOnStoppedChild {
            parent: Proc::new(p, pprog.clone()),
            child: Proc::new(c, cprog.clone()),
            signal,
            stop_seq: at.seq,
            idle_ns: idle,
            evidence,
            end,
        };
        let severity = if cont.is_some() {
            Severity::Warning
        } else {
            Severity::Error
        };
        let mut f = Finding::new(Code::WaitOnStoppedChild, severity, at.seq, fact)
            .process(p, &pprog, Role::Parent)
            .process(c, &cprog, Role::Child)
            .event(at)
            .maybe_event(waits.into_iter().next())
            .maybe_event(cont)
            .maybe_event(returned)
            .duration(idle);
        if let Some((sprog, s)) = sender {
            f = f.process(s.pid, sprog, Role::Sender).event(s);
        }
        f
    }
}

impl WaitOnStoppedChild {
    fn on_stop(&mut self, cx: &Context<'_>, ev: &Event, c: Pid, signal: Sig) {
        if self.stops.contains_key(&c) {
            return;
        }
        let Some(child) = cx.model.process(c) else {
            return;
        };
        let Some(parent) = cx.model.tree().parent(child.id).filter(|p| p.is_alive()) else {
            return;
        };
        self.stops.insert(
            c,
            Stop {
                child: c,
                child_prog: cx.name(c),
                parent: parent.pid,
                parent_prog: cx.name(parent.pid),
                signal,
                at: EventRef::of(ev, EventFact::Stops { pid: c, signal }),
                seen: false,
                // The parent's latest own action (the doctor keeps it).
                busy: cx.shared.last_own_action(parent.pid),
                waits: Vec::new(),
            },
        );
    }

    fn on_continue(&mut self, ev: &Event, c: Pid) {
        let Some(stop) = self.stops.remove(&c) else {
            return;
        };
        if stop.seen {
            return;
        }
        let idle = ev.ts_ns.saturating_sub(stop.idle_from().ts_ns);
        if idle < STOPPED_WAIT_THRESHOLD_NS {
            return;
        }
        self.pending.push(Pending {
            stop,
            cont: EventRef::of(ev, EventFact::Continues { pid: c }),
            sender: self.sigcont.remove(&c),
        });
    }

    /// An own action of `x`: decides pending continues, ends idle spells.
    fn on_action(&mut self, cx: &Context<'_>, ev: &Event, x: Pid, out: &mut Vec<Finding>) {
        if self.pending.is_empty() && self.stops.is_empty() {
            return;
        }
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].stop.parent != x {
                i += 1;
                continue;
            }
            let Pending { stop, cont, sender } = self.pending.swap_remove(i);
            let covers = match &ev.kind {
                EventKind::Wait {
                    target,
                    nohang: false,
                    ..
                } => match (cx.model.process(stop.child), cx.model.process(x)) {
                    (Some(c), Some(p)) => wait_covers(*target, c, p),
                    _ => false,
                },
                _ => false,
            };
            if covers || !stop.waits.is_empty() {
                let until = cont.moment();
                let returned = covers.then(|| EventRef::of(ev, EventFact::WaitReturns { pid: x }));
                out.push(stop.finding(Some(cont), sender, returned, until));
            }
        }
        let at = Moment::of(ev);
        for s in self.stops.values_mut().filter(|s| s.parent == x) {
            s.busy = Some(at);
            s.waits.clear();
        }
    }
}

impl Analysis for WaitOnStoppedChild {
    fn after(&mut self, cx: &Context<'_>, ev: &Event, applied: &Applied, out: &mut Vec<Finding>) {
        let x = cx.pid;
        match &ev.kind {
            EventKind::Stop { signal } => self.on_stop(cx, ev, x, *signal),
            EventKind::Continue {} => self.on_continue(ev, x),
            EventKind::Signal { .. } => {}
            EventKind::Kill {
                target,
                signal,
                ok: true,
                ..
            } if signal.0 == libc::SIGCONT && *target > 0 => {
                let what = EventFact::SendsSigcont {
                    from: x,
                    to: *target,
                };
                self.sigcont
                    .insert(*target as Pid, (cx.name(x), EventRef::of(ev, what)));
                self.on_action(cx, ev, x, out);
            }
            EventKind::Wait {
                target,
                reaped,
                status,
                nohang,
                errno,
                ..
            } => {
                if let (Some(r), Some(Status::Stopped { .. })) = (reaped, status) {
                    if let Some(s) = self.stops.get_mut(r) {
                        s.seen = true;
                    }
                }
                if !*nohang && interrupted(errno.as_deref()) {
                    let waiter = cx.model.process(x);
                    for s in self.stops.values_mut().filter(|s| s.parent == x) {
                        let covers = match (cx.model.process(s.child), waiter) {
                            (Some(c), Some(p)) => wait_covers(*target, c, p),
                            _ => false,
                        };
                        if covers {
                            s.waits.push(EventRef::of(
                                ev,
                                EventFact::WaitInterrupted {
                                    waiter: x,
                                    child: s.child,
                                    after_ns: None,
                                },
                            ));
                        }
                    }
                } else {
                    self.on_action(cx, ev, x, out);
                }
            }
            _ => self.on_action(cx, ev, x, out),
        }
        for n in &applied.notes {
            if let Note::Zombie { pid, .. } = *n {
                if !self.stops.is_empty() {
                    self.stops.remove(&pid);
                    self.stops.retain(|_, s| s.parent != pid);
                }
                self.pending.retain(|p| p.stop.parent != pid);
                if !self.sigcont.is_empty() {
                    self.sigcont.remove(&pid);
                }
            }
        }
    }

    fn finish(&mut self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut stops: Vec<Stop> = self.stops.drain().map(|(_, s)| s).collect();
        stops.sort_by_key(|s| s.at.seq);
        for s in stops {
            let still = cx
                .model
                .process(s.child)
                .is_some_and(|c| matches!(c.state, ProcessState::Stopped { .. }));
            let idle = cx.now.ts_ns.saturating_sub(s.idle_from().ts_ns);
            if s.seen || !still || cx.live(s.parent).is_none() || idle < STOPPED_WAIT_THRESHOLD_NS {
                continue;
            }
            out.push(s.finding(None, None, None, cx.now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::Script;
    use super::super::{Code, Role};

    /// 100 forks 101 (stops itself) and 102 (sends SIGCONT 500 ms later);
    /// 100 waits for 101 without WUNTRACED.
    fn parent_waits_through_the_stop(interrupted: bool) -> Script {
        let mut s = Script::new(100, "wait_stopped");
        s.fork(100, 101).fork(100, 102).at(1).stop(101);
        if interrupted {
            s.signal(100, libc::SIGCHLD, Some(101))
                .wait_interrupted(100, 101);
        }
        s.at(501)
            .kill(102, 101, libc::SIGCONT)
            .cont(101)
            .exit(102, 0);
        s.exit(101, 0)
            .reap(100, 101, 101)
            .reap(100, 102, 102)
            .exit(100, 0);
        s
    }

    #[test]
    fn a_parent_idle_in_wait_while_its_child_is_stopped_is_reported() {
        for interrupted in [false, true] {
            let f =
                parent_waits_through_the_stop(interrupted).findings_of(Code::WaitOnStoppedChild);
            assert_eq!(f.len(), 1, "{f:#?}");
            let pid = |r| f[0].processes.iter().find(|p| p.role == r).unwrap().pid;
            assert_eq!(pid(Role::Parent), 100);
            assert_eq!(pid(Role::Child), 101);
            assert_eq!(pid(Role::Sender), 102);
            assert!(f[0].duration_ns.unwrap() >= 499_000_000);
        }
    }

    #[test]
    fn a_parent_that_saw_the_stop_with_wuntraced_is_not_reported() {
        let mut s = Script::new(100, "group_stop");
        s.fork(100, 101)
            .at(1)
            .stop(101)
            .wait_saw_stop(100, 101, 101);
        s.at(300)
            .kill(100, 101, libc::SIGCONT)
            .cont(101)
            .exit(101, 0);
        s.reap(100, 101, 101).exit(100, 0);
        assert!(s.findings_of(Code::WaitOnStoppedChild).is_empty());
    }

    #[test]
    fn a_parent_busy_until_it_sends_sigcont_itself_is_not_reported() {
        let mut s = Script::new(100, "sh");
        s.fork(100, 101).at(1).stop(101);
        s.at(400)
            .close(100, 2)
            .kill(100, 101, libc::SIGCONT)
            .cont(101)
            .exit(101, 0);
        s.reap(100, 101, 101).exit(100, 0);
        assert!(s.findings_of(Code::WaitOnStoppedChild).is_empty());
    }
}
