//! How long a timed wait asked to wait, read for a snapshot of a live tree
//! (`live`): the timespec, timeval or milliseconds of a blocked nanosleep,
//! clock_nanosleep, select, pselect6, poll, ppoll, epoll_wait family call,
//! timed futex wait or rt_sigtimedwait, from /proc/PID/syscall's arguments
//! and the task's memory (/proc/PID/mem, the same permission as ptrace).
//!
//! A relative timeout is left in memory as it was passed: the kernel turns
//! it into a deadline at entry and writes back only when the call returns
//! (nanosleep(2)'s `rem`, select(2)'s timeval on Linux). What is left of it
//! is bounded by the task's age: the wait began after the task was born
//! (/proc/PID/task/TID/stat's starttime, in clock ticks since boot on
//! CLOCK_BOOTTIME). An absolute deadline (clock_nanosleep TIMER_ABSTIME,
//! FUTEX_WAIT_BITSET) leaves exactly `deadline - now` on its clock.
//!
//! Read only for the tasks of a snapshot that sleep, never on the
//! recorder's hot path.

use crate::model::snapshot::Timeout;
use crate::trace::Pid;

const TIMER_ABSTIME: u64 = 1;
const FUTEX_CMD_MASK: u64 = !(128 | 256);
const FUTEX_CLOCK_REALTIME: u64 = 256;
const FUTEX_WAIT: u64 = 0;
const FUTEX_WAIT_BITSET: u64 = 9;

/// A timeout as the call passed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asked {
    /// This long from the call.
    Relative(u64),
    /// Until this time (ns) on this clock.
    Absolute(libc::clockid_t, i128),
}

/// Reads a timespec (`wide`: two 64-bit words, else two 32-bit ones) or,
/// with `micros`, a timeval, as ns since its epoch.
fn read_time(pid: Pid, addr: u64, wide: bool, micros: bool) -> Option<i128> {
    let (sec, frac) = if wide {
        let b = super::live::read_mem(pid, addr, 16)?;
        (
            i64::from_ne_bytes(b[..8].try_into().ok()?),
            i64::from_ne_bytes(b[8..16].try_into().ok()?),
        )
    } else {
        let b = super::live::read_mem(pid, addr, 8)?;
        (
            i64::from(i32::from_ne_bytes(b[..4].try_into().ok()?)),
            i64::from(i32::from_ne_bytes(b[4..8].try_into().ok()?)),
        )
    };
    if sec < 0 || frac < 0 {
        return None;
    }
    let frac_ns = if micros { frac * 1000 } else { frac };
    Some(i128::from(sec) * 1_000_000_000 + i128::from(frac_ns))
}

/// The timeout `name(args)` asked for. `compat`: a 32-bit task, whose
/// timespecs are 32-bit except in the `_time64` calls.
fn asked(pid: Pid, name: &str, a: &[u64; 6], compat: bool) -> Option<Asked> {
    let wide = !compat || name.ends_with("_time64");
    let rel = |ns: i128| u64::try_from(ns).ok().map(Asked::Relative);
    let ms = |v: u64| {
        let v = v as u32 as i32;
        (v >= 0).then(|| Asked::Relative(v as u64 * 1_000_000))
    };
    match name.trim_end_matches("_time64") {
        "nanosleep" => rel(read_time(pid, a[0], wide, false)?),
        "clock_nanosleep" => {
            let t = read_time(pid, a[2], wide, false)?;
            if a[1] & TIMER_ABSTIME != 0 {
                Some(Asked::Absolute(a[0] as u32 as i32, t))
            } else {
                rel(t)
            }
        }
        "select" => rel(read_time(pid, a[4], !compat, true)?),
        "pselect6" => rel(read_time(pid, a[4], wide, false)?),
        "poll" => ms(a[2]),
        "epoll_wait" | "epoll_pwait" => ms(a[3]),
        "ppoll" => rel(read_time(pid, a[2], wide, false)?),
        "epoll_pwait2" => rel(read_time(pid, a[3], true, false)?),
        "rt_sigtimedwait" => rel(read_time(pid, a[2], wide, false)?),
        "futex" => {
            let t = read_time(pid, a[3], wide, false)?;
            match a[1] & FUTEX_CMD_MASK {
                FUTEX_WAIT => rel(t),
                FUTEX_WAIT_BITSET => {
                    let clock = if a[1] & FUTEX_CLOCK_REALTIME != 0 {
                        libc::CLOCK_REALTIME
                    } else {
                        libc::CLOCK_MONOTONIC
                    };
                    Some(Asked::Absolute(clock, t))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// Now on `clock`, in ns.
fn now(clock: libc::clockid_t) -> Option<i128> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let ok = unsafe { libc::clock_gettime(clock, &mut ts) } == 0;
    ok.then(|| i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec))
}

/// How long task `tid` of `pid` has existed, in ns.
fn age(pid: Pid, tid: Pid) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    // Field 22 (starttime); rest starts at field 3.
    let start: i128 = rest.split_whitespace().nth(19)?.parse().ok()?;
    // SAFETY: sysconf takes an integer and returns one.
    let hz = i128::from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) });
    if hz <= 0 {
        return None;
    }
    let born = start * 1_000_000_000 / hz;
    u64::try_from(now(libc::CLOCK_BOOTTIME)? - born).ok()
}

/// The timeout of task `tid` (of `pid`) blocked in `name(args)`, when it is
/// a timed wait whose timeout could be read.
pub(super) fn timeout(
    pid: Pid,
    tid: Pid,
    name: &str,
    a: &[u64; 6],
    compat: bool,
) -> Option<Timeout> {
    match asked(pid, name, a, compat)? {
        Asked::Relative(ns) => Some(Timeout {
            asked_ns: ns,
            left_ns: age(pid, tid).map(|age| (ns.saturating_sub(age), ns)),
        }),
        Asked::Absolute(clock, at) => {
            let left = u64::try_from((at - now(clock)?).max(0)).ok()?;
            Some(Timeout {
                asked_ns: left,
                left_ns: Some((left, left)),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleeping_child_shows_the_duration_it_asked_for_and_at_most_that_left() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id() as Pid;
        let mut seen = None;
        for _ in 0..300 {
            let text = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
            let mut it = text.split_whitespace();
            let nr: i64 = it.next().and_then(|n| n.parse().ok()).unwrap_or(-1);
            let name = crate::model::syscalls::native_name(nr);
            if name.contains("nanosleep") {
                let mut a = [0u64; 6];
                for x in a.iter_mut() {
                    let w = it.next().unwrap();
                    *x = u64::from_str_radix(w.trim_start_matches("0x"), 16).unwrap();
                }
                seen = timeout(pid, pid, &name, &a, false);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        let t = seen.expect("sleep 30 blocks in a nanosleep whose timespec reads");
        assert_eq!(t.asked_ns, 30_000_000_000);
        let (lo, hi) = t.left_ns.expect("its age is known");
        assert_eq!(hi, 30_000_000_000);
        assert!(lo > 0 && lo <= hi, "{lo}");
    }

    #[test]
    fn millisecond_timeouts_come_from_the_arguments_and_minus_one_is_none() {
        let a = [0, 1, 1500, 0, 0, 0];
        assert_eq!(
            asked(0, "poll", &a, false),
            Some(Asked::Relative(1_500_000_000))
        );
        let a = [0, 1, 0xffff_ffff, 0, 0, 0];
        assert_eq!(asked(0, "poll", &a, false), None);
        let a = [3, 0, 8, 250, 0, 0];
        assert_eq!(
            asked(0, "epoll_wait", &a, false),
            Some(Asked::Relative(250_000_000))
        );
    }
}
