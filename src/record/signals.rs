//! forkscope's own signals, so that the traced program sees what it would
//! see untraced.
//!
//! - What forkscope inherited ([`capture_startup`]): its signal mask, the
//!   signals it was started with ignored (`nohup`, `trap '' PIPE`) and which
//!   of fds 0-2 were closed. These are read by an `.init_array` constructor
//!   the binary registers, because the Rust runtime changes them before
//!   `main` (SIGPIPE set to SIG_IGN, closed stdio reopened on /dev/null).
//!   The child restores exactly that state before its exec
//!   ([`restore_in_child`]).
//! - Every catchable signal whose default action would kill forkscope (and,
//!   through PTRACE_O_EXITKILL, the program) is caught ([`install`]). The
//!   handler only passes the siginfo down a pipe to a forwarder thread,
//!   which decides: a signal from inside the traced tree, from the kernel
//!   (the terminal's Ctrl-C, Ctrl-\\, hangup) or one that reaches a tracee as
//!   well (sent to the process group, or `pkill` matching both) is not
//!   passed on: the program gets its own copy. A signal sent to forkscope's
//!   pid alone (kill, sigqueue, tgkill from outside the tree) is passed on
//!   to the program's first process. The kernel cannot say whether a kill(2)
//!   named a pid or a group, so for kill(2) the forwarder looks, for a short
//!   grace period, whether a tracee receives the same signal from the same
//!   sender (its signal-delivery-stop, recorded by the tracer, or the signal
//!   pending in a tracee's ShdPnd) before passing it on.
//! - Faults (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP raised by the CPU)
//!   still kill forkscope, through the handler the runtime had installed.
//! - [`die_of`]: forkscope ends by the signal that killed the program, as
//!   strace does ("strace terminates itself with the same signal, so it can
//!   be used as a wrapper process transparent to the invoking parent").

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// The highest signal number the kernel knows (SIGRTMAX on Linux).
const MAX_SIG: i32 = 64;

/// glibc keeps 32 and 33 for itself (thread cancellation, setxid): its
/// sigaction refuses them.
fn libc_reserved(sig: i32) -> bool {
    sig == 32 || sig == 33
}

/// The disposition of `sig` through the raw rt_sigaction system call
/// (glibc's sigaction refuses its reserved signals): read it, or (`set`)
/// make it SIG_DFL / SIG_IGN. Only the handler, the first word of the
/// kernel's struct on every architecture, is used or set; flags, mask and
/// restorer are zero, which is valid for SIG_DFL and SIG_IGN.
///
/// # Safety
/// Async-signal-safe; `sig` must be a valid signal number.
unsafe fn raw_disposition(sig: i32, set: Option<libc::sighandler_t>) -> Option<libc::sighandler_t> {
    let mut new = [0usize; 4];
    let mut old = [0usize; 4];
    if let Some(h) = set {
        new[0] = h;
    }
    let r = libc::syscall(
        libc::SYS_rt_sigaction,
        sig,
        if set.is_some() {
            new.as_ptr()
        } else {
            std::ptr::null()
        },
        old.as_mut_ptr(),
        8usize,
    );
    (r == 0).then_some(old[0])
}

fn bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

static CAPTURED: AtomicBool = AtomicBool::new(false);
static ORIG_MASK: AtomicU64 = AtomicU64::new(0);
static ORIG_IGNORED: AtomicU64 = AtomicU64::new(0);
static ORIG_CLOSED: AtomicU32 = AtomicU32::new(0);

/// Reads what forkscope inherited, before the Rust runtime changes it. The
/// binary calls this from an `.init_array` constructor, which the dynamic
/// loader (or, static, libc's start code) runs before `main` and therefore
/// before the runtime's init reopens closed stdio and ignores SIGPIPE.
pub extern "C" fn capture_startup() {
    // SAFETY: plain libc calls on local storage; fcntl on fds 0-2 only
    // queries them. Nothing here needs the Rust runtime.
    unsafe {
        let mut closed = 0u32;
        for fd in 0..3 {
            if libc::fcntl(fd, libc::F_GETFD) == -1 && *libc::__errno_location() == libc::EBADF {
                closed |= 1 << fd;
            }
        }
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut set);
        let mut mask = 0u64;
        let mut ignored = 0u64;
        for sig in 1..=MAX_SIG {
            if libc::sigismember(&set, sig) == 1 {
                mask |= bit(sig);
            }
            if libc_reserved(sig) {
                if raw_disposition(sig, None) == Some(libc::SIG_IGN) {
                    ignored |= bit(sig);
                }
                continue;
            }
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_IGN
            {
                ignored |= bit(sig);
            }
        }
        ORIG_MASK.store(mask, Ordering::Relaxed);
        ORIG_IGNORED.store(ignored, Ordering::Relaxed);
        ORIG_CLOSED.store(closed, Ordering::Relaxed);
        CAPTURED.store(true, Ordering::Release);
    }
}

/// What the program inherits: forkscope's own start state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inherited {
    /// Blocked signals (bit `sig - 1`).
    pub mask: u64,
    /// Ignored signals (bit `sig - 1`).
    pub ignored: u64,
    /// Closed fds among 0-2 (bit `fd`).
    pub closed: u32,
}

/// The state forkscope was started with, when [`capture_startup`] ran;
/// otherwise (forkscope used as a library) what a shell gives: nothing
/// blocked, nothing ignored, stdio open.
pub fn inherited() -> Inherited {
    if !CAPTURED.load(Ordering::Acquire) {
        return Inherited::default();
    }
    Inherited {
        mask: ORIG_MASK.load(Ordering::Relaxed),
        ignored: ORIG_IGNORED.load(Ordering::Relaxed),
        closed: ORIG_CLOSED.load(Ordering::Relaxed),
    }
}

/// In the forked child, before exec: every signal back to SIG_DFL, or
/// SIG_IGN where forkscope inherited it ignored (handlers would be reset
/// by exec anyway, SIG_IGN would not), the inherited mask, and fds 0-2
/// closed again where forkscope found them closed.
///
/// # Safety
/// Only async-signal-safe calls: for use between fork and exec.
pub unsafe fn restore_in_child(inh: &Inherited) {
    for sig in 1..=MAX_SIG {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        let want = if inh.ignored & bit(sig) != 0 {
            libc::SIG_IGN
        } else {
            libc::SIG_DFL
        };
        if libc_reserved(sig) {
            raw_disposition(sig, Some(want));
            continue;
        }
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = want;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(sig, &sa, std::ptr::null_mut());
    }
    for fd in 0..3 {
        if inh.closed & (1 << fd) != 0 {
            libc::close(fd);
        }
    }
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    for sig in 1..=MAX_SIG {
        if inh.mask & bit(sig) != 0 {
            libc::sigaddset(&mut set, sig);
        }
    }
    libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
}

/// Blocks every signal in the calling thread (around a fork, so that no
/// handler of forkscope's runs in the child); returns the mask to restore.
pub fn block_all() -> libc::sigset_t {
    // SAFETY: sigset operations on local storage.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        old
    }
}

/// Restores a mask saved by [`block_all`].
pub fn set_mask(old: &libc::sigset_t) {
    // SAFETY: sets the calling thread's mask from a valid sigset.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, old, std::ptr::null_mut());
    }
}

/// The signals forkscope catches: every catchable one whose default action
/// terminates (with or without a core). Stop signals (SIGTSTP, SIGTTIN,
/// SIGTTOU) and those ignored by default (SIGCHLD, SIGCONT, SIGWINCH,
/// SIGURG) keep their default, as under strace.
pub fn caught() -> impl Iterator<Item = i32> {
    (1..=MAX_SIG).filter(|&s| {
        !libc_reserved(s)
            && !matches!(
                s,
                libc::SIGKILL
                    | libc::SIGSTOP
                    | libc::SIGTSTP
                    | libc::SIGTTIN
                    | libc::SIGTTOU
                    | libc::SIGCHLD
                    | libc::SIGCONT
                    | libc::SIGWINCH
                    | libc::SIGURG
            )
    })
}

/// Raised by the CPU when forkscope itself faults: these must still kill it.
fn is_fault(sig: i32) -> bool {
    matches!(
        sig,
        libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE | libc::SIGTRAP
    )
}

/// The action each fault signal had before forkscope's handler (the
/// runtime's stack-overflow handler for SIGSEGV/SIGBUS): (handler, flags).
static OLD_FAULT: [(AtomicUsize, AtomicUsize); 32] =
    [const { (AtomicUsize::new(0), AtomicUsize::new(0)) }; 32];

/// The write end of the pipe to the forwarder thread (-1: none).
static PIPE_W: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler;
    // si_pid is read for the codes that carry it (it is plain memory of
    // the union for the others, and then not used).
    let (code, from) = unsafe { ((*info).si_code, (*info).si_pid()) };
    if is_fault(sig) && code > 0 {
        // A real fault in forkscope: what would have happened without us.
        let (h, f) = &OLD_FAULT[sig as usize];
        let (h, f) = (h.load(Ordering::Relaxed), f.load(Ordering::Relaxed));
        if h != libc::SIG_DFL && h != libc::SIG_IGN && f & libc::SA_SIGINFO as usize != 0 {
            // SAFETY: `h` is the SA_SIGINFO handler that was installed for
            // this signal; it is called as the kernel would have.
            unsafe {
                let old: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(h);
                old(sig, info, ctx);
            }
        }
        // SAFETY: signal(2) is async-signal-safe; returning re-executes
        // the faulting instruction, which now kills forkscope.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
        }
        return;
    }
    // SAFETY: getpid is async-signal-safe.
    let me = unsafe { libc::getpid() };
    if code <= 0 && from == me {
        // Sent by forkscope to itself (a wake-up of the tracer's waitpid,
        // abort, or the kernel's SIGXFSZ/SIGPIPE for its own writes).
        return;
    }
    if sig == libc::SIGALRM && code == libc::SI_KERNEL {
        // The tick of an attached recording.
        return;
    }
    note_terminating(sig);
    if IN_TRACER.load(Ordering::Relaxed) {
        // forkscope's tracer process: the front passes on what it gets
        // (see [`split`]); the copy a group signal or a `pkill` brings here
        // is a second one, and must neither kill the tracer nor be
        // decided on twice.
        return;
    }
    let wake = FRONT_WAKE.load(Ordering::Relaxed);
    if wake >= 0 && matches!(sig, libc::SIGINT | libc::SIGTERM | libc::SIGHUP) {
        // The front, after the command's first process exited: its own
        // loop decides (see [`front_wake`]).
        // SAFETY: as below: an async-signal-safe write of a whole siginfo.
        unsafe {
            libc::write(
                wake,
                info.cast::<libc::c_void>(),
                std::mem::size_of::<libc::siginfo_t>(),
            );
        }
        return;
    }
    if ATTACHED.load(Ordering::Relaxed) {
        if matches!(sig, libc::SIGINT | libc::SIGTERM | libc::SIGHUP) {
            DETACH.store(true, Ordering::Relaxed);
        }
        return;
    }
    let fd = PIPE_W.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: write(2) is async-signal-safe; a siginfo (128 bytes) is
        // below PIPE_BUF, so it is written whole or (pipe full) not at all.
        unsafe {
            libc::write(
                fd,
                info.cast::<libc::c_void>(),
                std::mem::size_of::<libc::siginfo_t>(),
            );
        }
    }
}

/// The last SIGINT, SIGTERM, SIGHUP or SIGQUIT forkscope received from
/// outside (0: none since [`take_terminating`]), and when
/// (CLOCK_MONOTONIC, ns): the eBPF recorder, whose tracees are never held,
/// decides from these whether the explanation it kept still holds.
static TERMINATING: AtomicI32 = AtomicI32::new(0);
static TERMINATING_AT: AtomicU64 = AtomicU64::new(0);

/// In the handler: notes a terminating signal (async-signal-safe).
fn note_terminating(sig: i32) {
    if matches!(
        sig,
        libc::SIGINT | libc::SIGTERM | libc::SIGHUP | libc::SIGQUIT
    ) {
        let mut t = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime is async-signal-safe and writes one
        // timespec through a valid pointer.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
        TERMINATING_AT.store(
            t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64,
            Ordering::Relaxed,
        );
        TERMINATING.store(sig, Ordering::Release);
    }
}

/// The terminating signal noted since the last call, if any, with when it
/// arrived (CLOCK_MONOTONIC, ns).
#[cfg(feature = "ebpf")]
pub(crate) fn take_terminating() -> Option<(i32, u64)> {
    let sig = TERMINATING.swap(0, Ordering::Acquire);
    (sig != 0).then(|| (sig, TERMINATING_AT.load(Ordering::Relaxed)))
}

/// The traced program's first process (or, attached, the first process
/// asked for): where a signal sent to forkscope alone is passed on.
static ROOT_PID: AtomicI32 = AtomicI32::new(0);
/// Attached rather than started: SIGINT/SIGTERM/SIGHUP mean "detach".
static ATTACHED: AtomicBool = AtomicBool::new(false);
/// A detach was asked for.
static DETACH: AtomicBool = AtomicBool::new(false);

/// This process is forkscope's tracer process, forked by the front (see
/// [`split`]): its handlers only keep it alive.
static IN_TRACER: AtomicBool = AtomicBool::new(false);
/// In the front, once the command's first process has exited: where the
/// handler writes the siginfo of SIGINT, SIGTERM and SIGHUP (-1: not yet).
static FRONT_WAKE: AtomicI32 = AtomicI32::new(-1);

/// `forkscope record` as two processes: the front (the one the caller waits
/// for, the command's parent) and the tracer (see `record::front`). The
/// front catches forkscope's signals as a single forkscope would, but its
/// handler passes each siginfo down a pipe to the tracer process, whose
/// forwarder thread decides as it would have ([`decide`]: it has the record
/// of the tracees' signal-delivery-stops and of the tree). Returns the
/// pipe's read end, for [`become_tracer`].
pub(crate) fn split() -> Option<std::os::fd::OwnedFd> {
    ATTACHED.store(false, Ordering::Relaxed);
    DETACH.store(false, Ordering::Relaxed);
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ok()?;
    use std::os::fd::IntoRawFd;
    let w = w.into_raw_fd();
    // The handler must never block on a full pipe.
    // SAFETY: fcntl on a pipe fd we own.
    unsafe {
        let fl = libc::fcntl(w, libc::F_GETFL);
        libc::fcntl(w, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
    let old = PIPE_W.swap(w, Ordering::Relaxed);
    if old >= 0 {
        // SAFETY: closes the pipe of an earlier recording in this process.
        unsafe {
            libc::close(old);
        }
    }
    install(false);
    Some(r)
}

/// In the tracer process, just forked by the front: its own signals only
/// keep it alive (the front's copies come down `relay`, read by a
/// forwarder thread of its own); after the command's first process
/// exited, the front, not this process, answers SIGINT, SIGTERM and SIGHUP.
pub(crate) fn become_tracer(relay: std::os::fd::OwnedFd) {
    IN_TRACER.store(true, Ordering::Relaxed);
    let w = PIPE_W.swap(-1, Ordering::Relaxed);
    if w >= 0 {
        // SAFETY: the front's end of the relay, copied by the fork.
        unsafe {
            libc::close(w);
        }
    }
    let old = block_all();
    let _ = std::thread::Builder::new()
        .name("forkscope-signals".into())
        .spawn(move || forwarder(relay));
    set_mask(&old);
}

/// In the front, once the command's first process has exited: from now on
/// SIGINT, SIGTERM and SIGHUP are written (as a siginfo) to `fd`, which the
/// front's loop reads, instead of being passed to the tracer process.
pub(crate) fn front_wake(fd: i32) {
    FRONT_WAKE.store(fd, Ordering::Relaxed);
}

/// Names the first process of the recording (see [`ROOT_PID`]).
pub(crate) fn set_root(pid: i32) {
    ROOT_PID.store(pid, Ordering::Relaxed);
}

/// Catches forkscope's signals for a recording of processes it started
/// (`attached` false) or attached to ([`install`]). Attached, the handlers
/// must interrupt the tracer's waitpid (no SA_RESTART), and a 100 ms
/// SIGALRM tick closes the window between the tracer's look at
/// [`detach_requested`] and its next waitpid; [`stop_tick`] ends it.
pub(crate) fn catch(attached: bool) {
    ATTACHED.store(attached, Ordering::Relaxed);
    DETACH.store(false, Ordering::Relaxed);
    install(attached);
    if attached {
        let tick = libc::timeval {
            tv_sec: 0,
            tv_usec: 100_000,
        };
        let it = libc::itimerval {
            it_interval: tick,
            it_value: tick,
        };
        // SAFETY: setitimer reads one itimerval through a valid pointer.
        unsafe {
            libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut());
        }
    }
}

/// Ends the tick of an attached recording.
pub(crate) fn stop_tick() {
    let zero = libc::itimerval {
        it_interval: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
        it_value: libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        },
    };
    // SAFETY: setitimer reads one itimerval through a valid pointer.
    unsafe {
        libc::setitimer(libc::ITIMER_REAL, &zero, std::ptr::null_mut());
    }
}

/// Has a detach been asked for (attached recordings only)?
pub(crate) fn detach_requested() -> bool {
    DETACH.load(Ordering::Relaxed)
}

/// Catches every signal of [`caught`]. Started recordings (`attached`
/// false) get a forwarder thread, and their handlers restart interrupted
/// syscalls. Attached, the handlers interrupt the tracer's waitpid: SIGINT,
/// SIGTERM and SIGHUP ask for a detach, and nothing is passed on.
pub fn install(attached: bool) {
    if !attached && PIPE_W.load(Ordering::Relaxed) < 0 {
        start_forwarder();
    }
    let mut unblock: libc::sigset_t = unsafe_zeroed_set();
    for sig in caught() {
        let restart = if attached { 0 } else { libc::SA_RESTART };
        // SAFETY: installing a handler that only touches atomics and calls
        // async-signal-safe functions; the old action is read into local
        // storage.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | restart;
            libc::sigemptyset(&mut sa.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(sig, &sa, &mut old);
            if is_fault(sig) && old.sa_sigaction != on_signal as *const () as libc::sighandler_t {
                let (h, f) = &OLD_FAULT[sig as usize];
                h.store(old.sa_sigaction, Ordering::Relaxed);
                f.store(old.sa_flags as usize, Ordering::Relaxed);
            }
            libc::sigaddset(&mut unblock, sig);
        }
    }
    // Signals blocked when forkscope started are still caught: they are the
    // program's to block (it inherits the mask), not forkscope's.
    // SAFETY: unblocks a valid set in the calling (tracer) thread.
    unsafe {
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &unblock, std::ptr::null_mut());
    }
}

fn unsafe_zeroed_set() -> libc::sigset_t {
    // SAFETY: an all-zero sigset_t is valid; sigemptyset makes it empty.
    unsafe {
        let mut s: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut s);
        s
    }
}

/// The program's first process exited.
static ROOT_GONE: AtomicBool = AtomicBool::new(false);

/// Every process ever in the traced tree (tgids).
static MEMBERS: LazyLock<Mutex<HashSet<i32>>> = LazyLock::new(|| Mutex::new(HashSet::new()));

/// The eBPF recorder's view of the live tree (tgids), which it keeps up to
/// date from the kernel's fork and exit records. With ptrace a process is
/// known live and ours by its TracerPid; an eBPF-recorded process has none,
/// so [`remaining`] and [`pending_in_tree`] ask this set instead.
static LIVE: LazyLock<Mutex<Option<HashSet<i32>>>> = LazyLock::new(|| Mutex::new(None));

/// The eBPF recorder's live tree changed to `tgids` (see [`LIVE`]). From the
/// first call on, the tree is the eBPF recorder's: once the first process
/// has exited, a SIGINT, SIGTERM or SIGHUP ends the recording (its tracees
/// are never held, so nothing needs a tracer to go on) rather than being
/// answered with a notice.
#[cfg(feature = "ebpf")]
pub(crate) fn live(tgids: impl IntoIterator<Item = i32>) {
    *LIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(tgids.into_iter().collect());
}

/// The live tree as the eBPF recorder last said (None: recording with ptrace).
fn live_set() -> Option<HashSet<i32>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Signals sent by kill(2) from outside that a tracee was seen receiving.
static DELIVERIES: LazyLock<Mutex<VecDeque<Delivery>>> =
    LazyLock::new(|| Mutex::new(VecDeque::new()));

#[derive(Debug, Clone, Copy)]
struct Delivery {
    sig: i32,
    from: i32,
    at: Instant,
}

/// How many recent deliveries are remembered.
const DELIVERIES_KEPT: usize = 256;

/// How long the forwarder watches the tracees for the same kill(2) before
/// deciding that it was sent to forkscope alone.
const GRACE: Duration = Duration::from_millis(250);

/// How far the grace is stretched while tracees wait in ptrace-stops.
const LONGEST_GRACE: Duration = Duration::from_millis(1500);

/// A process joined the traced tree (the tracer calls this for the first
/// process and at each fork).
pub fn member(tgid: i32) {
    MEMBERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(tgid);
}

/// A tracee is at the signal-delivery-stop of `sig`, with this si_code and
/// sender (the tracer calls this before re-injecting it).
pub fn delivered(sig: i32, code: i32, from: Option<i32>) {
    if code != libc::SI_USER {
        return;
    }
    let Some(from) = from else { return };
    let mut d = DELIVERIES.lock().unwrap_or_else(|e| e.into_inner());
    if d.len() >= DELIVERIES_KEPT {
        d.pop_front();
    }
    d.push_back(Delivery {
        sig,
        from,
        at: Instant::now(),
    });
}

/// Something the user should know while the recording goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The first process (`root`) exited and these traced processes, each
    /// (pid, name), are still running.
    Outlived {
        /// The first process.
        root: i32,
        /// The processes still running.
        remaining: Vec<(i32, String)>,
    },
    /// As [`Notice::Outlived`], recording with eBPF: the processes still
    /// running are recorded on, never held; SIGINT, SIGTERM or SIGHUP to
    /// forkscope ends the recording at once with the first process's status.
    RecordedOn {
        /// The first process.
        root: i32,
        /// The processes still running.
        remaining: Vec<(i32, String)>,
    },
    /// Recording with eBPF, `signal` arrived after the first process had
    /// exited: the recording ended there, and these processes run on,
    /// unrecorded.
    RecordingLeft {
        /// The signal.
        signal: i32,
        /// The processes still running.
        remaining: Vec<(i32, String)>,
    },
    /// As [`Notice::Outlived`], when forkscope runs as a front and a tracer
    /// process (`forkscope record` from the command line): SIGINT, SIGTERM
    /// or SIGHUP to forkscope now ends it with the first process's status,
    /// and the rest is traced on in the background.
    TracedOn {
        /// The first process.
        root: i32,
        /// The processes still running.
        remaining: Vec<(i32, String)>,
    },
    /// The front ended on `signal` after the first process exited; the
    /// tracer process goes on recording the processes still running into
    /// `trace` (a path, `-` for stdout) until the last one exits.
    FrontLeft {
        /// The signal.
        signal: i32,
        /// Where the rest of the trace goes.
        trace: std::path::PathBuf,
    },
    /// SIGINT, SIGTERM or SIGHUP arrived while forkscope waits for them.
    StillWaiting {
        /// The signal.
        signal: i32,
        /// The processes still running.
        remaining: Vec<(i32, String)>,
    },
    /// A tracee's memory or /proc entries could not be read: access was
    /// denied (not dumpable, and forkscope lacks CAP_SYS_PTRACE). Said
    /// once per run.
    Unreadable {
        /// The tracee.
        pid: i32,
        /// EPERM or EACCES.
        errno: i32,
    },
}

/// Receives the [`Notice`]s (the CLI prints them).
#[derive(Clone)]
pub struct NoticeSink(pub std::sync::Arc<dyn Fn(&Notice) + Send + Sync>);

static SINK: Mutex<Option<NoticeSink>> = Mutex::new(None);

/// Where notices go (none: nowhere).
pub fn set_notice_sink(sink: Option<NoticeSink>) {
    *SINK.lock().unwrap_or_else(|e| e.into_inner()) = sink;
}

pub(crate) fn notify(n: &Notice) {
    let sink = SINK.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(s) = sink {
        (s.0)(n);
    }
}

/// The traced processes still running, other than the first one: (pid,
/// name), by pid.
pub(crate) fn remaining() -> Vec<(i32, String)> {
    let root = ROOT_PID.load(Ordering::Relaxed);
    let pids: Vec<i32> = MEMBERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .copied()
        .filter(|&p| p != root)
        .collect();
    let me = std::process::id().to_string();
    let live = live_set();
    let mut v: Vec<(i32, String)> = pids
        .into_iter()
        .filter(|p| live.as_ref().is_none_or(|l| l.contains(p)))
        .filter_map(|p| {
            let s = std::fs::read_to_string(format!("/proc/{p}/status")).ok()?;
            let field = |k: &str| {
                s.lines()
                    .find_map(|l| l.strip_prefix(k))
                    .map(|v| v.trim().to_string())
            };
            let alive = !field("State:")?.starts_with(['Z', 'X']);
            let ours = live.is_some() || field("TracerPid:")? == me;
            (alive && ours).then(|| (p, field("Name:").unwrap_or_default()))
        })
        .collect();
    v.sort_unstable();
    v
}

/// The first process exited (the tracer calls this). If traced processes
/// are still running a moment later (not merely on their way out with it),
/// a [`Notice::Outlived`] says so, once.
pub fn root_gone(root: i32) {
    ROOT_GONE.store(true, Ordering::Relaxed);
    let old = block_all();
    let _ = std::thread::Builder::new()
        .name("forkscope-outlived".into())
        .spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let remaining = remaining();
            if remaining.is_empty() {
            } else if live_set().is_some() {
                notify(&Notice::RecordedOn { root, remaining });
            } else if IN_TRACER.load(Ordering::Relaxed) {
                notify(&Notice::TracedOn { root, remaining });
            } else {
                notify(&Notice::Outlived { root, remaining });
            }
        });
    set_mask(&old);
}

/// After the first process exited, SIGINT/SIGTERM/SIGHUP cannot be passed
/// on: say what forkscope waits for (at most every 2 s).
fn still_waiting(signal: i32) {
    if IN_TRACER.load(Ordering::Relaxed) || live_set().is_some() {
        // The front answers these once the first process exited; the eBPF
        // recorder ends on them (see [`live`]).
        return;
    }
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    {
        let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|t| t.elapsed() < Duration::from_secs(2)) {
            return;
        }
        *last = Some(Instant::now());
    }
    let remaining = remaining();
    if !remaining.is_empty() {
        notify(&Notice::StillWaiting { signal, remaining });
    }
}

fn start_forwarder() {
    let Ok((r, w)) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) else {
        return;
    };
    use std::os::fd::IntoRawFd;
    let w = w.into_raw_fd();
    // The handler must never block on a full pipe.
    // SAFETY: fcntl on a pipe fd we own.
    unsafe {
        let fl = libc::fcntl(w, libc::F_GETFL);
        libc::fcntl(w, libc::F_SETFL, fl | libc::O_NONBLOCK);
    }
    // The forwarder thread blocks every signal, so that the handlers run on
    // the tracer's thread (whose waitpid they may interrupt).
    let old = block_all();
    let spawned = std::thread::Builder::new()
        .name("forkscope-signals".into())
        .spawn(move || forwarder(r));
    set_mask(&old);
    if spawned.is_ok() {
        PIPE_W.store(w, Ordering::Relaxed);
    }
}

fn forwarder(r: std::os::fd::OwnedFd) {
    use std::io::Read;
    let mut file = std::fs::File::from(r);
    let mut buf = [0u8; std::mem::size_of::<libc::siginfo_t>()];
    while file.read_exact(&mut buf).is_ok() {
        // SAFETY: the handler wrote a whole siginfo_t; any bit pattern of
        // its bytes is a valid siginfo_t (plain integers).
        let info: libc::siginfo_t = unsafe { std::ptr::read_unaligned(buf.as_ptr().cast()) };
        decide(&info, Instant::now());
    }
}

/// Is `pid` a process of the traced tree (now or before)?
fn is_member(pid: i32) -> bool {
    if MEMBERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&pid)
    {
        return true;
    }
    let me = std::process::id().to_string();
    std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("TracerPid:"))
            .is_some_and(|v| v.trim() == me)
    })
}

/// What to do with one signal forkscope received.
fn decide(info: &libc::siginfo_t, got: Instant) {
    let sig = info.si_signo;
    let code = info.si_code;
    let terminating = matches!(sig, libc::SIGINT | libc::SIGTERM | libc::SIGHUP);
    if code > 0 {
        // From the kernel: the terminal (to the whole foreground group,
        // the program included), a timer, a resource limit.
        if terminating && ROOT_GONE.load(Ordering::Relaxed) {
            still_waiting(sig);
        }
        return;
    }
    if !matches!(code, libc::SI_USER | libc::SI_QUEUE | libc::SI_TKILL) {
        return;
    }
    // SAFETY: si_pid is valid for SI_USER, SI_QUEUE and SI_TKILL.
    let from = unsafe { info.si_pid() };
    // A tracee that just exited may be reaped (and its TracerPid gone)
    // before the tracer noted it: look again a moment later.
    if is_member(from) || {
        std::thread::sleep(Duration::from_millis(5));
        is_member(from)
    } {
        return;
    }
    if ROOT_GONE.load(Ordering::Relaxed) {
        if terminating {
            still_waiting(sig);
        }
        return;
    }
    if code == libc::SI_USER && reaches_a_tracee(sig, from, got) {
        return;
    }
    let root = ROOT_PID.load(Ordering::Relaxed);
    if root <= 0 || ROOT_GONE.load(Ordering::Relaxed) {
        return;
    }
    if code == libc::SI_QUEUE {
        // Passed on as sent: the sender's pid, uid and value.
        let mut copy = *info;
        // SAFETY: rt_sigqueueinfo reads one siginfo_t; the kernel accepts
        // a negative si_code other than SI_TKILL for another process.
        let r = unsafe {
            libc::syscall(
                libc::SYS_rt_sigqueueinfo,
                root,
                sig,
                &mut copy as *mut libc::siginfo_t,
            )
        };
        if r == 0 {
            return;
        }
    }
    // SAFETY: kill(2) of the program's first process.
    unsafe {
        libc::kill(root, sig);
    }
}

/// Does a kill(2) of `sig` by `from` (received by forkscope at `got`) reach
/// a tracee too? Watches for [`GRACE`]: a tracee's signal-delivery-stop for
/// it, or the signal pending for a traced process (blocked, or held in a
/// group-stop).
fn reaches_a_tracee(sig: i32, from: i32, got: Instant) -> bool {
    let deadline = got + GRACE;
    let mut wait = Duration::from_millis(2);
    loop {
        {
            let mut d = DELIVERIES.lock().unwrap_or_else(|e| e.into_inner());
            let window = got.checked_sub(Duration::from_secs(2)).unwrap_or(got);
            if let Some(i) = d
                .iter()
                .position(|x| x.sig == sig && x.from == from && x.at >= window)
            {
                d.remove(i);
                return true;
            }
        }
        if pending_in_tree(sig) {
            return true;
        }
        let now = Instant::now();
        // A tracee may have taken the signal and wait, in its
        // signal-delivery-stop, for a tracer slowed down by a loaded
        // machine: while some task is in a ptrace-stop, wait longer (a task
        // held in a group-stop keeps this up to LONGEST_GRACE).
        if now >= deadline && (now >= got + LONGEST_GRACE || !a_task_in_tracing_stop()) {
            return false;
        }
        std::thread::sleep(
            wait.min(
                deadline
                    .saturating_duration_since(now)
                    .max(Duration::from_millis(10)),
            ),
        );
        wait = (wait * 2).min(Duration::from_millis(50));
    }
}

/// Is a task of the traced tree in a ptrace-stop ('t' in /proc/TID/stat)?
fn a_task_in_tracing_stop() -> bool {
    let pids: Vec<i32> = MEMBERS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .copied()
        .collect();
    pids.into_iter().any(|p| {
        let Ok(dir) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            return false;
        };
        dir.filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
            .any(|st| {
                st.rsplit_once(')')
                    .is_some_and(|(_, rest)| rest.trim_start().starts_with('t'))
            })
    })
}

/// Is `sig` pending for a live traced process (its shared pending set)?
fn pending_in_tree(sig: i32) -> bool {
    let live = live_set();
    let pids: Vec<i32> = match &live {
        Some(l) => l.iter().copied().collect(),
        None => MEMBERS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect(),
    };
    let me = std::process::id().to_string();
    pids.into_iter().any(|p| {
        let Ok(s) = std::fs::read_to_string(format!("/proc/{p}/status")) else {
            return false;
        };
        let traced = live.is_some()
            || s.lines()
                .find_map(|l| l.strip_prefix("TracerPid:"))
                .is_some_and(|v| v.trim() == me);
        traced
            && s.lines()
                .find_map(|l| l.strip_prefix("ShdPnd:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
                .is_some_and(|m| m & bit(sig) != 0)
    })
}

/// Ends forkscope by `sig`, the signal that killed the program, after the
/// trace is complete: as strace does, with RLIMIT_CORE 0 so that no core
/// file of forkscope's replaces the program's, the disposition back to
/// SIG_DFL and the signal unblocked. Should the signal not be fatal,
/// exits with 128 + `sig` as a shell reports it.
pub fn die_of(sig: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: setrlimit, signal, sigprocmask and raise on valid arguments.
    unsafe {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &zero);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    std::process::exit(128 + sig)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caught_signals_are_those_whose_default_kills() {
        let c: Vec<i32> = caught().collect();
        for s in [
            libc::SIGHUP,
            libc::SIGUSR1,
            libc::SIGALRM,
            libc::SIGXCPU,
            libc::SIGSYS,
            libc::SIGPWR,
            libc::SIGSTKFLT,
            libc::SIGRTMIN(),
            libc::SIGRTMAX(),
        ] {
            assert!(c.contains(&s), "{s}");
        }
        for s in [
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGTSTP,
            libc::SIGCHLD,
            libc::SIGCONT,
            libc::SIGWINCH,
        ] {
            assert!(!c.contains(&s), "{s}");
        }
    }
}
