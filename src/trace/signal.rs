//! Signal numbers as the names people know (`"SIGPIPE"`), both ways.
//!
//! The trace stores names, not numbers, so it reads the same on every
//! architecture. Real-time signals are `"SIGRTMIN+N"`; a number with no name
//! is `"SIG<number>"`, which still reads back.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A signal number, shown and stored by name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sig(pub i32);

const NAMES: &[(i32, &str)] = &[
    (libc::SIGHUP, "SIGHUP"),
    (libc::SIGINT, "SIGINT"),
    (libc::SIGQUIT, "SIGQUIT"),
    (libc::SIGILL, "SIGILL"),
    (libc::SIGTRAP, "SIGTRAP"),
    (libc::SIGABRT, "SIGABRT"),
    (libc::SIGBUS, "SIGBUS"),
    (libc::SIGFPE, "SIGFPE"),
    (libc::SIGKILL, "SIGKILL"),
    (libc::SIGUSR1, "SIGUSR1"),
    (libc::SIGSEGV, "SIGSEGV"),
    (libc::SIGUSR2, "SIGUSR2"),
    (libc::SIGPIPE, "SIGPIPE"),
    (libc::SIGALRM, "SIGALRM"),
    (libc::SIGTERM, "SIGTERM"),
    (libc::SIGSTKFLT, "SIGSTKFLT"),
    (libc::SIGCHLD, "SIGCHLD"),
    (libc::SIGCONT, "SIGCONT"),
    (libc::SIGSTOP, "SIGSTOP"),
    (libc::SIGTSTP, "SIGTSTP"),
    (libc::SIGTTIN, "SIGTTIN"),
    (libc::SIGTTOU, "SIGTTOU"),
    (libc::SIGURG, "SIGURG"),
    (libc::SIGXCPU, "SIGXCPU"),
    (libc::SIGXFSZ, "SIGXFSZ"),
    (libc::SIGVTALRM, "SIGVTALRM"),
    (libc::SIGPROF, "SIGPROF"),
    (libc::SIGWINCH, "SIGWINCH"),
    (libc::SIGIO, "SIGIO"),
    (libc::SIGPWR, "SIGPWR"),
    (libc::SIGSYS, "SIGSYS"),
];

/// The kernel's first real-time signal (glibc reserves two above it).
const SIGRTMIN_KERNEL: i32 = 32;

impl Sig {
    /// The conventional name, e.g. `SIGTERM`; `SIG0` for the null signal.
    pub fn name(self) -> String {
        if let Some((_, n)) = NAMES.iter().find(|(v, _)| *v == self.0) {
            return (*n).to_string();
        }
        if (SIGRTMIN_KERNEL..=64).contains(&self.0) {
            return format!("SIGRTMIN+{}", self.0 - SIGRTMIN_KERNEL);
        }
        format!("SIG{}", self.0)
    }

    /// Parses a name written by [`Sig::name`].
    pub fn from_name(s: &str) -> Option<Sig> {
        if let Some((v, _)) = NAMES.iter().find(|(_, n)| *n == s) {
            return Some(Sig(*v));
        }
        if let Some(off) = s.strip_prefix("SIGRTMIN+") {
            return off.parse::<i32>().ok().map(|o| Sig(SIGRTMIN_KERNEL + o));
        }
        s.strip_prefix("SIG")?.parse::<i32>().ok().map(Sig)
    }

    /// True for the signals that start a group-stop.
    pub fn is_stop(self) -> bool {
        matches!(
            self.0,
            libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
        )
    }
}

impl fmt::Debug for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl fmt::Display for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Sig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> Deserialize<'de> for Sig {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Sig::from_name(&s).ok_or_else(|| de::Error::custom(format!("unknown signal name {s:?}")))
    }
}

/// The symbolic name of an errno value (`"ENOENT"`), as strace prints it.
/// The kernel-internal restart codes (512-516) a tracer can see at a
/// syscall-exit stop are named as the kernel names them: they mean the call
/// was interrupted by a signal and will be restarted (or fail with EINTR),
/// and the program itself never sees them.
pub fn errno_name(errno: i32) -> String {
    match errno {
        512 => return "ERESTARTSYS".into(),
        513 => return "ERESTARTNOINTR".into(),
        514 => return "ERESTARTNOHAND".into(),
        515 => return "ENOIOCTLCMD".into(),
        516 => return "ERESTART_RESTARTBLOCK".into(),
        _ => {}
    }
    let e = nix::errno::Errno::from_raw(errno);
    if e == nix::errno::Errno::UnknownErrno {
        format!("E{errno}")
    } else {
        format!("{e:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_for_every_signal_number() {
        for n in 0..=64 {
            let s = Sig(n);
            assert_eq!(Sig::from_name(&s.name()), Some(s), "signal {n}");
        }
        assert_eq!(Sig(libc::SIGPIPE).name(), "SIGPIPE");
        assert_eq!(Sig(34).name(), "SIGRTMIN+2");
    }

    #[test]
    fn errno_names_match_strace() {
        assert_eq!(errno_name(libc::ENOENT), "ENOENT");
        assert_eq!(errno_name(libc::EBADF), "EBADF");
        assert_eq!(errno_name(512), "ERESTARTSYS");
    }
}
