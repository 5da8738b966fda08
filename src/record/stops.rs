//! Wait statuses decoded once into typed stops, and the only ways to resume
//! each of them.
//!
//! `wait` is forkscope's one `waitpid(2)` loop: every report of every
//! tracee (started or attached, while recording, running on unrecorded or
//! detaching) comes through it, decoded by `decode` into a `Report`.
//! A tracee in a ptrace-stop is a `Stop`: one type per kind of stop, each
//! with only the resumes ptrace(2) makes valid for it, and every resume
//! consumes the stop, so one stop cannot be resumed twice, nor a group-stop
//! be continued (it is listened to), nor a signal be injected where the
//! kernel would ignore it ("Restarting ptrace commands issued in ptrace-stops
//! other than signal-delivery-stop are not guaranteed to inject a signal").
//!
//! The decoding follows ptrace(2) for tracees attached with PTRACE_SEIZE:
//! `status>>8 == SIGTRAP|0x80` is a syscall-stop (PTRACE_O_TRACESYSGOOD);
//! `status>>16` is the PTRACE_EVENT_* of an event stop, PTRACE_EVENT_STOP
//! being a group-stop when its signal is a stopping signal and an
//! attach/interrupt/listen-end trap when it is SIGTRAP; anything else is a
//! signal-delivery-stop.
//!
//! How a stop "goes on" depends on the `Mode` the tracee is traced in:
//! PTRACE_CONT under forkscope's seccomp filter (the filter picks the next
//! stop), PTRACE_SYSCALL when attached (every syscall entry and exit stops).

use nix::errno::Errno;
use nix::sys::ptrace;
use nix::unistd::Pid;

/// How tracees are traced, which decides how a stop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Started under forkscope's seccomp filter: resumed with PTRACE_CONT,
    /// they stop again at the next syscall the filter traces.
    Filtered,
    /// Attached while running (no filter can be added to a running
    /// process): resumed with PTRACE_SYSCALL, they stop at every syscall
    /// entry and exit.
    EverySyscall,
}

impl Mode {
    fn request(self) -> libc::c_uint {
        match self {
            Mode::Filtered => libc::PTRACE_CONT,
            Mode::EverySyscall => libc::PTRACE_SYSCALL,
        }
    }
}

/// The task of a ptrace-stop. Neither `Clone` nor `Copy`: each request
/// that ends the stop consumes it.
#[derive(Debug)]
struct Tracee {
    pid: Pid,
    mode: Mode,
}

impl Tracee {
    /// A restarting request (PTRACE_CONT, PTRACE_SYSCALL, PTRACE_LISTEN,
    /// PTRACE_DETACH) with `sig` as its data. ESRCH (the tracee was killed
    /// meanwhile) is not an error: its exit will be reported.
    fn request(self, req: libc::c_uint, sig: i32) -> nix::Result<()> {
        // SAFETY: these requests take no pointers: addr is ignored and data
        // is a signal number passed by value (real-time ones included,
        // which nix's Signal cannot name).
        let r = unsafe {
            libc::ptrace(
                req,
                self.pid.as_raw(),
                std::ptr::null_mut::<libc::c_void>(),
                sig as libc::c_long,
            )
        };
        match Errno::result(r) {
            Ok(_) | Err(Errno::ESRCH) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn go_on(self, sig: i32) -> nix::Result<()> {
        let req = self.mode.request();
        self.request(req, sig)
    }
}

/// A seccomp stop (PTRACE_EVENT_SECCOMP): a syscall a filter traces, at its entry.
#[must_use = "a stopped tracee must be resumed"]
#[derive(Debug)]
pub(crate) struct SeccompStop(Tracee);

/// A syscall-stop (PTRACE_O_TRACESYSGOOD): an entry or an exit, as
/// [`SyscallStop::side`] finds out.
#[must_use = "a stopped tracee must be resumed"]
#[derive(Debug)]
pub(crate) struct SyscallStop(Tracee);

/// A syscall-enter-stop (attached tracees only).
#[must_use = "a stopped tracee must be resumed"]
#[derive(Debug)]
pub(crate) struct EntryStop(Tracee);

/// A syscall-exit-stop.
#[must_use = "a stopped tracee must be resumed"]
#[derive(Debug)]
pub(crate) struct ExitStop(Tracee);

/// A PTRACE_EVENT_* stop other than PTRACE_EVENT_STOP (fork, vfork, clone,
/// exec, exit, or one not asked for): its message is the event's detail.
#[must_use = "a stopped tracee must be resumed"]
#[derive(Debug)]
pub(crate) struct EventStop(Tracee);

/// A group-stop (PTRACE_EVENT_STOP with a stopping signal). It can only be
/// listened to (or detached): continuing it would run a task that untraced
/// would stay stopped until SIGCONT.
#[must_use = "a stopped tracee must be resumed"]
#[derive(Debug)]
pub(crate) struct GroupStop(Tracee, i32);

/// PTRACE_EVENT_STOP with SIGTRAP: the stop after PTRACE_SEIZE or
/// PTRACE_INTERRUPT, or the end of a listened group-stop.
#[must_use = "a stopped tracee must be resumed"]
#[derive(Debug)]
pub(crate) struct TrapStop(Tracee);

/// A signal-delivery-stop: the signal is delivered when the stop ends (the
/// only stop where ptrace injects a signal).
#[must_use = "a stopped tracee must be resumed"]
#[derive(Debug)]
pub(crate) struct SignalStop(Tracee, i32);

/// A tracee in a ptrace-stop, by kind.
#[derive(Debug)]
pub(crate) enum Stop {
    /// PTRACE_EVENT_SECCOMP: entry to a syscall a filter traces.
    Seccomp(SeccompStop),
    /// Syscall-stop: an exit (started tracees, after
    /// [`SeccompStop::stop_at_exit`]), or an entry or an exit (attached ones).
    Syscall(SyscallStop),
    /// PTRACE_EVENT_FORK / VFORK / CLONE (the event number): the task
    /// created another, whose id is the event message.
    Created(EventStop, i32),
    /// PTRACE_EVENT_EXEC: a successful exec; the message is the former tid.
    Exec(EventStop),
    /// PTRACE_EVENT_EXIT: the task is about to exit, its fd table still
    /// intact (only with `record --snapshots exit`, which asks for it).
    Exit(EventStop),
    /// PTRACE_EVENT_STOP with a stopping signal.
    Group(GroupStop),
    /// PTRACE_EVENT_STOP with SIGTRAP.
    Trap(TrapStop),
    /// Signal-delivery-stop.
    Signal(SignalStop),
    /// An event not asked for (e.g. PTRACE_EVENT_VFORK_DONE).
    Other(EventStop),
}

impl Stop {
    fn tracee(&self) -> &Tracee {
        match self {
            Stop::Seccomp(s) => &s.0,
            Stop::Syscall(s) => &s.0,
            Stop::Created(s, _) | Stop::Exec(s) | Stop::Exit(s) | Stop::Other(s) => &s.0,
            Stop::Group(s) => &s.0,
            Stop::Trap(s) => &s.0,
            Stop::Signal(s) => &s.0,
        }
    }

    /// The stopped task.
    pub(crate) fn pid(&self) -> Pid {
        self.tracee().pid
    }

    /// Lets the task go on as it would untraced: a group-stop is listened
    /// to (it stays stopped until SIGCONT), a signal is delivered, anything
    /// else continues.
    pub(crate) fn pass(self) -> nix::Result<()> {
        match self {
            Stop::Group(s) => s.listen(),
            Stop::Signal(s) => s.deliver(),
            Stop::Seccomp(s) => s.go_on(),
            Stop::Syscall(s) => s.0.go_on(0),
            Stop::Created(s, _) | Stop::Exec(s) | Stop::Exit(s) | Stop::Other(s) => s.go_on(),
            Stop::Trap(s) => s.go_on(),
        }
    }

    /// PTRACE_DETACH, handing back the signal of a signal-delivery-stop. A
    /// task in a group-stop stays stopped: the kernel re-enters the stop.
    pub(crate) fn detach(self) -> nix::Result<()> {
        let (t, sig) = match self {
            Stop::Signal(SignalStop(t, sig)) => (t, sig),
            Stop::Seccomp(SeccompStop(t))
            | Stop::Syscall(SyscallStop(t))
            | Stop::Created(EventStop(t), _)
            | Stop::Exec(EventStop(t))
            | Stop::Exit(EventStop(t))
            | Stop::Other(EventStop(t))
            | Stop::Group(GroupStop(t, _))
            | Stop::Trap(TrapStop(t)) => (t, 0),
        };
        t.request(libc::PTRACE_DETACH, sig)
    }
}

/// A syscall as PTRACE_GET_SYSCALL_INFO shows it at a seccomp stop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeccompCall {
    /// AUDIT_ARCH_* of the calling convention.
    pub(crate) arch: u32,
    /// The syscall number.
    pub(crate) nr: u64,
    /// Its arguments.
    pub(crate) args: [u64; 6],
    /// SECCOMP_RET_DATA of the filter that stopped it.
    pub(crate) data: u32,
}

impl SeccompStop {
    /// The stopped task.
    pub(crate) fn pid(&self) -> Pid {
        self.0.pid
    }

    /// The syscall stopped at (None if the tracee is gone).
    pub(crate) fn call(&self) -> Option<SeccompCall> {
        let info = ptrace::syscall_info(self.0.pid).ok()?;
        if info.op != libc::PTRACE_SYSCALL_INFO_SECCOMP {
            return None;
        }
        // SAFETY: op is PTRACE_SYSCALL_INFO_SECCOMP, so the `seccomp` member
        // of the union is the one the kernel filled in.
        let s = unsafe { info.u.seccomp };
        Some(SeccompCall {
            arch: info.arch,
            nr: s.nr,
            args: s.args,
            data: s.ret_data,
        })
    }

    /// Resumes without a stop at this syscall's exit.
    pub(crate) fn go_on(self) -> nix::Result<()> {
        self.0.go_on(0)
    }

    /// PTRACE_SYSCALL: resume and stop again at this syscall's exit.
    pub(crate) fn stop_at_exit(self) -> nix::Result<()> {
        self.0.request(libc::PTRACE_SYSCALL, 0)
    }
}

/// Which side of a syscall a [`SyscallStop`] is.
#[derive(Debug)]
pub(crate) enum SyscallSide {
    /// Its entry: the syscall's AUDIT_ARCH_*, number and arguments.
    Entry(EntryStop, u32, u64, [u64; 6]),
    /// Its exit: the return value, or the errno.
    Exit(ExitStop, Result<i64, i32>),
    /// PTRACE_GET_SYSCALL_INFO failed (the tracee is gone) or said neither.
    Unknown(SyscallStop),
}

impl SyscallStop {
    /// The stopped task.
    pub(crate) fn pid(&self) -> Pid {
        self.0.pid
    }

    /// Asks PTRACE_GET_SYSCALL_INFO whether this is an entry or an exit.
    pub(crate) fn side(self) -> SyscallSide {
        let Ok(info) = ptrace::syscall_info(self.0.pid) else {
            return SyscallSide::Unknown(self);
        };
        match info.op {
            libc::PTRACE_SYSCALL_INFO_ENTRY => {
                // SAFETY: op is PTRACE_SYSCALL_INFO_ENTRY, so the `entry`
                // member of the union is the one the kernel filled in.
                let e = unsafe { info.u.entry };
                SyscallSide::Entry(EntryStop(self.0), info.arch, e.nr, e.args)
            }
            libc::PTRACE_SYSCALL_INFO_EXIT => {
                // SAFETY: op is PTRACE_SYSCALL_INFO_EXIT, so `exit` is the
                // member of the union the kernel filled in.
                let x = unsafe { info.u.exit };
                let ret = if x.is_error != 0 {
                    Err(-x.sval as i32)
                } else {
                    Ok(x.sval)
                };
                SyscallSide::Exit(ExitStop(self.0), ret)
            }
            _ => SyscallSide::Unknown(self),
        }
    }

    /// Resumes (PTRACE_CONT or, attached, PTRACE_SYSCALL).
    pub(crate) fn go_on(self) -> nix::Result<()> {
        self.0.go_on(0)
    }
}

/// A stop at a syscall's entry, where the tracer may ask to see its exit:
/// a seccomp stop, or an attached tracee's syscall-enter-stop.
pub(crate) trait AtEntry {
    /// The stopped task.
    fn pid(&self) -> Pid;
    /// Resumes without a stop at this syscall's exit (attached tracees
    /// stop there anyway).
    fn go_on(self) -> nix::Result<()>;
    /// Resumes so that the task stops again at this syscall's exit.
    fn stop_at_exit(self) -> nix::Result<()>;
}

impl AtEntry for SeccompStop {
    fn pid(&self) -> Pid {
        self.0.pid
    }
    fn go_on(self) -> nix::Result<()> {
        SeccompStop::go_on(self)
    }
    fn stop_at_exit(self) -> nix::Result<()> {
        SeccompStop::stop_at_exit(self)
    }
}

impl AtEntry for EntryStop {
    fn pid(&self) -> Pid {
        self.0.pid
    }
    fn go_on(self) -> nix::Result<()> {
        self.0.go_on(0)
    }
    fn stop_at_exit(self) -> nix::Result<()> {
        self.0.request(libc::PTRACE_SYSCALL, 0)
    }
}

impl ExitStop {
    /// The stopped task.
    pub(crate) fn pid(&self) -> Pid {
        self.0.pid
    }

    /// Resumes (PTRACE_CONT or, attached, PTRACE_SYSCALL).
    pub(crate) fn go_on(self) -> nix::Result<()> {
        self.0.go_on(0)
    }
}

impl EventStop {
    /// The stopped task.
    pub(crate) fn pid(&self) -> Pid {
        self.0.pid
    }

    /// PTRACE_GETEVENTMSG: the new task's id (fork, vfork, clone), the
    /// former thread id (exec), the exit status (exit).
    pub(crate) fn message(&self) -> nix::Result<i64> {
        ptrace::getevent(self.0.pid)
    }

    /// Resumes (PTRACE_CONT or, attached, PTRACE_SYSCALL).
    pub(crate) fn go_on(self) -> nix::Result<()> {
        self.0.go_on(0)
    }
}

impl GroupStop {
    /// The stopping signal.
    pub(crate) fn signal(&self) -> i32 {
        self.1
    }

    /// PTRACE_LISTEN: leave the task stopped, but let the tracer hear when
    /// SIGCONT (or another event) ends the stop.
    pub(crate) fn listen(self) -> nix::Result<()> {
        self.0.request(libc::PTRACE_LISTEN, 0)
    }
}

impl TrapStop {
    /// Resumes (PTRACE_CONT or, attached, PTRACE_SYSCALL).
    pub(crate) fn go_on(self) -> nix::Result<()> {
        self.0.go_on(0)
    }
}

impl SignalStop {
    /// The signal about to be delivered.
    pub(crate) fn signal(&self) -> i32 {
        self.1
    }

    /// PTRACE_GETSIGINFO: who sent the signal, and how.
    pub(crate) fn siginfo(&self) -> nix::Result<libc::siginfo_t> {
        ptrace::getsiginfo(self.0.pid)
    }

    /// Resumes, delivering the signal (forkscope never suppresses one: the
    /// program gets it as it would untraced).
    pub(crate) fn deliver(self) -> nix::Result<()> {
        let sig = self.1;
        self.0.go_on(sig)
    }
}

/// What a `waitpid(2)` reported.
#[derive(Debug)]
pub(crate) enum Report {
    /// The task exited with a code.
    Exited(Pid, i32),
    /// The task was killed by a signal (and dumped core).
    Signaled(Pid, i32, bool),
    /// The task is in a ptrace-stop.
    Stop(Stop),
}

/// What [`wait`] brought.
#[derive(Debug)]
pub(crate) enum Waited {
    /// A report.
    Report(Report),
    /// No tracee is left (ECHILD).
    NoTracee,
    /// `give_up` said so, before a wait or after one a signal interrupted.
    GaveUp,
}

/// The one waitpid loop: blocks for the next report of task `who` (any
/// tracee when None) with `__WALL`, and decodes it for tracees in `mode`.
/// A signal handler interrupting the wait (EINTR) retries it, unless
/// `give_up` (asked before every wait) says to return: attached recordings
/// give up when a detach was asked for, detaching gives up at a deadline.
pub(crate) fn wait(
    who: Option<Pid>,
    mode: Mode,
    give_up: impl Fn() -> bool,
) -> nix::Result<Waited> {
    let pid = who.map_or(-1, Pid::as_raw);
    let mut status: libc::c_int = 0;
    let start = std::time::Instant::now();
    let budget = spin::budget();
    if budget > 0 {
        // Polls before it blocks (see [`spin`]).
        let until = start + std::time::Duration::from_nanos(budget);
        loop {
            // SAFETY: waitpid writes one int through a valid pointer.
            let got = unsafe { libc::waitpid(pid, &mut status, libc::__WALL | libc::WNOHANG) };
            if got > 0 {
                spin::came(start.elapsed(), true);
                return Ok(Waited::Report(decode(Pid::from_raw(got), status, mode)));
            }
            if (got < 0 && Errno::last() != Errno::EINTR) || std::time::Instant::now() >= until {
                break;
            }
            std::hint::spin_loop();
        }
    }
    loop {
        if give_up() {
            return Ok(Waited::GaveUp);
        }
        // SAFETY: waitpid writes one int through a valid pointer.
        let got = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
        if got >= 0 {
            spin::came(start.elapsed(), false);
            return Ok(Waited::Report(decode(Pid::from_raw(got), status, mode)));
        }
        match Errno::last() {
            Errno::EINTR => continue,
            Errno::ECHILD => return Ok(Waited::NoTracee),
            e => return Err(e),
        }
    }
}

/// Polling before blocking, as the kernel's haltpoll does for idle CPUs.
/// A tracer asleep in waitpid is woken by an interrupt to its CPU; on a VM
/// whose idle vCPUs halt (haltpoll with guest_halt_poll_ns=0, as here),
/// that costs tens of microseconds, paid at every ptrace stop. A resumed
/// tracee usually stops again within microseconds, so [`wait`] first polls
/// with WNOHANG for a while. The while adapts: it grows towards how long
/// reports took to come when they came soon after the poll gave up, and
/// halves when they came late (the tracees were busy), so a program that
/// computes between syscalls costs forkscope little CPU. Measured on W1
/// (`cargo bench --bench record`), 300 `echo | cat` pipelines: 0.88x of
/// `strace -f --seccomp-bpf`'s time without polling, about 0.5x with it.
/// Never on a single CPU (the tracee could not run while forkscope polls).
/// `FORKSCOPE_SPIN_US=N` sets the longest poll (0: never poll).
mod spin {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    use std::time::Duration;

    /// The poll's current length, in nanoseconds.
    static NOW: AtomicU64 = AtomicU64::new(20_000);

    /// The longest poll (ns): FORKSCOPE_SPIN_US, default 200 µs; 0 on a
    /// single CPU.
    fn max() -> u64 {
        static MAX: OnceLock<u64> = OnceLock::new();
        *MAX.get_or_init(|| {
            let cpus = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0))
                .map(|set| {
                    (0..nix::sched::CpuSet::count())
                        .filter(|&i| set.is_set(i).unwrap_or(false))
                        .count()
                })
                .unwrap_or(1);
            if cpus < 2 {
                return 0;
            }
            std::env::var("FORKSCOPE_SPIN_US")
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .map_or(200_000, |us| us.saturating_mul(1000))
        })
    }

    /// How long to poll before blocking (ns; 0: block at once).
    pub(super) fn budget() -> u64 {
        NOW.load(Ordering::Relaxed).min(max())
    }

    /// A report came after `waited`, during the poll (`polled`) or after it.
    pub(super) fn came(waited: Duration, polled: bool) {
        let max = max();
        if max == 0 {
            return;
        }
        let w = waited.as_nanos().min(u64::MAX as u128) as u64;
        let now = NOW.load(Ordering::Relaxed);
        let next = if polled {
            now
        } else if w <= max {
            // It came soon after the poll gave up: poll that long next time.
            now.saturating_mul(2).max(w + w / 4).min(max)
        } else {
            now / 2
        };
        NOW.store(next, Ordering::Relaxed);
    }
}

/// Decodes one wait status of a tracee traced in `mode`.
pub(crate) fn decode(pid: Pid, status: i32, mode: Mode) -> Report {
    if libc::WIFEXITED(status) {
        return Report::Exited(pid, libc::WEXITSTATUS(status));
    }
    if libc::WIFSIGNALED(status) {
        return Report::Signaled(pid, libc::WTERMSIG(status), libc::WCOREDUMP(status));
    }
    let t = Tracee { pid, mode };
    let sig = libc::WSTOPSIG(status);
    if sig == (libc::SIGTRAP | 0x80) {
        return Report::Stop(Stop::Syscall(SyscallStop(t)));
    }
    let event = (status >> 16) & 0xffff;
    Report::Stop(match event {
        0 => Stop::Signal(SignalStop(t, sig)),
        libc::PTRACE_EVENT_SECCOMP => Stop::Seccomp(SeccompStop(t)),
        libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE => {
            Stop::Created(EventStop(t), event)
        }
        libc::PTRACE_EVENT_EXEC => Stop::Exec(EventStop(t)),
        libc::PTRACE_EVENT_EXIT => Stop::Exit(EventStop(t)),
        libc::PTRACE_EVENT_STOP => {
            if matches!(
                sig,
                libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
            ) {
                Stop::Group(GroupStop(t, sig))
            } else {
                Stop::Trap(TrapStop(t))
            }
        }
        _ => Stop::Other(EventStop(t)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kind of stop `status` decodes to, as a word (the stop token is
    /// dropped unresumed: pid 1 is not a tracee here).
    fn kind(status: i32) -> String {
        match decode(Pid::from_raw(1), status, Mode::Filtered) {
            Report::Stop(s) => match s {
                Stop::Seccomp(_) => "seccomp".into(),
                Stop::Syscall(_) => "syscall".into(),
                Stop::Created(_, e) => format!("created {e}"),
                Stop::Exec(_) => "exec".into(),
                Stop::Exit(_) => "exit".into(),
                Stop::Group(g) => format!("group {}", g.signal()),
                Stop::Trap(_) => "trap".into(),
                Stop::Signal(s) => format!("signal {}", s.signal()),
                Stop::Other(_) => "other".into(),
            },
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn an_interrupted_tracee_reports_a_trap_stop_and_runs_on_untraced_after_detach() {
        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .expect("sleep");
        let pid = Pid::from_raw(child.id() as i32);
        ptrace::seize(pid, ptrace::Options::empty()).expect("seize");
        ptrace::interrupt(pid).expect("interrupt");
        let s = match wait(Some(pid), Mode::EverySyscall, || false) {
            Ok(Waited::Report(Report::Stop(s))) => s,
            other => panic!("{other:?}"),
        };
        assert!(matches!(s, Stop::Trap(_)), "{s:?}");
        s.detach().expect("detach");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            status.lines().any(|l| l == "TracerPid:\t0"),
            "still traced after detach:\n{status}"
        );
        assert!(
            !status.lines().any(|l| l.starts_with("State:\tt")),
            "left in a ptrace-stop:\n{status}"
        );
    }

    #[test]
    fn a_wait_asked_to_give_up_returns_before_blocking() {
        assert!(matches!(
            wait(None, Mode::Filtered, || true),
            Ok(Waited::GaveUp)
        ));
    }

    fn stopped(sig: i32, event: i32) -> i32 {
        (event << 16) | (sig << 8) | 0x7f
    }

    #[test]
    fn stops_decode_as_ptrace_2_describes_them() {
        assert_eq!(kind(stopped(libc::SIGTRAP | 0x80, 0)), "syscall");
        assert_eq!(
            kind(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_SECCOMP)),
            "seccomp"
        );
        assert_eq!(
            kind(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_VFORK)),
            format!("created {}", libc::PTRACE_EVENT_VFORK)
        );
        assert_eq!(
            kind(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_EXEC)),
            "exec"
        );
        assert_eq!(
            kind(stopped(libc::SIGSTOP, libc::PTRACE_EVENT_STOP)),
            format!("group {}", libc::SIGSTOP)
        );
        assert_eq!(
            kind(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_STOP)),
            "trap"
        );
        assert_eq!(
            kind(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_EXIT)),
            "exit"
        );
        assert_eq!(
            kind(stopped(libc::SIGTRAP, libc::PTRACE_EVENT_VFORK_DONE)),
            "other"
        );
        assert_eq!(
            kind(stopped(libc::SIGPIPE, 0)),
            format!("signal {}", libc::SIGPIPE)
        );
        assert!(matches!(
            decode(Pid::from_raw(1), 7 << 8, Mode::Filtered),
            Report::Exited(_, 7)
        ));
        assert!(matches!(
            decode(Pid::from_raw(1), libc::SIGKILL, Mode::Filtered),
            Report::Signaled(_, libc::SIGKILL, false)
        ));
    }
}
