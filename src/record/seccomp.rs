//! The seccomp-bpf program that decides which syscalls stop the tracee.
//!
//! Listed syscalls return SECCOMP_RET_TRACE (a PTRACE_EVENT_SECCOMP stop);
//! everything else returns SECCOMP_RET_ALLOW and costs the tracee nothing. The
//! verdict for an unlisted syscall never reads its arguments, so the kernel's
//! per-syscall "always allow" bitmap (Linux 5.11+) skips the filter for it
//! entirely. Only fcntl looks at an argument (the command), and
//! rt_sigaction (i386 also sigaction and signal) at its signal: only SIGCHLD
//! stops; prctl at its option: only PR_SET_NAME stops.
//!
//! Written by hand rather than with seccompiler: seccompiler answers any
//! architecture other than the one it targets with KILL_PROCESS, which would
//! kill a 32-bit program traced on a 64-bit machine. Here an unknown
//! architecture is allowed untraced, and i386 gets its own branch.

use super::sysno::{self, Sys, AUDIT_ARCH_I386, AUDIT_ARCH_NATIVE, FCNTL_TRACED_CMDS};

const BPF_LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const BPF_JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const BPF_JGE_K: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
const BPF_RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

/// Offsets in `struct seccomp_data`.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
/// Low 32 bits of args[0] (little-endian).
const OFF_ARG0_LO: u32 = 16;
/// Low 32 bits of args[1] (little-endian).
const OFF_ARG1_LO: u32 = 16 + 8;

const RET_ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const RET_TRACE: u32 = libc::SECCOMP_RET_TRACE | FILTER_DATA;

/// SECCOMP_RET_DATA of forkscope's RET_TRACE: a seccomp stop with other
/// data comes from the program's own filter (see [`super::own_filter`]).
pub const FILTER_DATA: u32 = 0x4653; // "FS"

/// x32 syscalls carry this bit in nr with the x86_64 arch value.
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

#[derive(Clone, Copy)]
enum Target {
    Allow,
    Trace,
    Label(usize),
}

enum Ins {
    Ld(u32),
    JeqTo(u32, Target),
    JgeTo(u32, Target),
    Ret(u32),
    Label(usize),
}

/// A tiny assembler: jumps name targets; offsets are resolved at the end.
struct Asm {
    ins: Vec<Ins>,
    labels: usize,
}

impl Asm {
    fn label(&mut self) -> usize {
        self.labels += 1;
        self.labels - 1
    }

    fn finish(self) -> Vec<libc::sock_filter> {
        // Resolve: lay out real instructions, then one ALLOW and one TRACE at the end.
        let mut pos = Vec::new();
        let mut label_pos = vec![usize::MAX; self.labels];
        let mut n = 0usize;
        for i in &self.ins {
            if let Ins::Label(l) = i {
                label_pos[*l] = n;
            } else {
                pos.push(n);
                n += 1;
            }
        }
        let allow_at = n;
        let trace_at = n + 1;
        let mut out = Vec::with_capacity(n + 2);
        let resolve = |t: Target| match t {
            Target::Allow => allow_at,
            Target::Trace => trace_at,
            Target::Label(l) => label_pos[l],
        };
        for i in &self.ins {
            let here = out.len();
            let jump = |t: Target| {
                let off = resolve(t) - (here + 1);
                u8::try_from(off).expect("seccomp program small enough for 8-bit jumps")
            };
            let f = match *i {
                Ins::Label(_) => continue,
                Ins::Ld(off) => stmt(BPF_LD_W_ABS, off),
                Ins::Ret(k) => stmt(BPF_RET_K, k),
                Ins::JeqTo(k, t) => jmp(BPF_JEQ_K, k, jump(t), 0),
                Ins::JgeTo(k, t) => jmp(BPF_JGE_K, k, jump(t), 0),
            };
            out.push(f);
        }
        out.push(stmt(BPF_RET_K, RET_ALLOW));
        out.push(stmt(BPF_RET_K, RET_TRACE));
        out
    }
}

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jmp(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// Emits the per-ABI block: load nr, trace the listed ones, allow the rest.
fn abi_block(a: &mut Asm, table: &[(Sys, i64)], x32_guard: bool) {
    let fcntl = a.label();
    let ioctl = a.label();
    a.ins.push(Ins::Ld(OFF_NR));
    if x32_guard {
        a.ins.push(Ins::JgeTo(X32_SYSCALL_BIT, Target::Allow));
    }
    let sigchld = a.label();
    let mut has_fcntl = false;
    let mut has_sigaction = false;
    let prctl = a.label();
    let mut has_prctl = false;
    for (sys, nr) in table {
        let target = if *sys == Sys::Fcntl {
            has_fcntl = true;
            Target::Label(fcntl)
        } else if *sys == Sys::Ioctl {
            Target::Label(ioctl)
        } else if matches!(sys, Sys::SigchldAction(_)) {
            has_sigaction = true;
            Target::Label(sigchld)
        } else if *sys == Sys::Prctl {
            has_prctl = true;
            Target::Label(prctl)
        } else {
            Target::Trace
        };
        a.ins.push(Ins::JeqTo(*nr as u32, target));
    }
    a.ins.push(Ins::Ret(RET_ALLOW));
    a.ins.push(Ins::Label(fcntl));
    if has_fcntl {
        a.ins.push(Ins::Ld(OFF_ARG1_LO));
        for cmd in FCNTL_TRACED_CMDS {
            a.ins.push(Ins::JeqTo(*cmd, Target::Trace));
        }
        a.ins.push(Ins::Ret(RET_ALLOW));
    }
    a.ins.push(Ins::Label(sigchld));
    if has_sigaction {
        a.ins.push(Ins::Ld(OFF_ARG0_LO));
        a.ins.push(Ins::JeqTo(libc::SIGCHLD as u32, Target::Trace));
        a.ins.push(Ins::Ret(RET_ALLOW));
    }
    prctl_block(a, prctl, has_prctl);
    ioctl_block(a, ioctl, table.iter().any(|(s, _)| *s == Sys::Ioctl));
}

/// prctl stops only for PR_SET_NAME (its option, `args[0]`, an int): every
/// other prctl (PR_SET_PDEATHSIG, PR_GET_NAME, ...) runs free.
fn prctl_block(a: &mut Asm, label: usize, present: bool) {
    a.ins.push(Ins::Label(label));
    if present {
        a.ins.push(Ins::Ld(OFF_ARG0_LO));
        a.ins
            .push(Ins::JeqTo(libc::PR_SET_NAME as u32, Target::Trace));
        a.ins.push(Ins::Ret(RET_ALLOW));
    }
}

/// ioctl stops only for the commands that change an fd table (FIOCLEX,
/// FIONCLEX, and those returning a new fd): every terminal call runs free.
fn ioctl_block(a: &mut Asm, label: usize, present: bool) {
    a.ins.push(Ins::Label(label));
    if present {
        a.ins.push(Ins::Ld(OFF_ARG1_LO));
        for cmd in sysno::ioctl_traced_cmds() {
            a.ins.push(Ins::JeqTo(cmd, Target::Trace));
        }
        a.ins.push(Ins::Ret(RET_ALLOW));
    }
}

/// Builds the filter program.
pub fn build_filter() -> Vec<libc::sock_filter> {
    let mut a = Asm {
        ins: Vec::new(),
        labels: 0,
    };
    let native = a.label();
    let i386 = a.label();
    a.ins.push(Ins::Ld(OFF_ARCH));
    a.ins
        .push(Ins::JeqTo(AUDIT_ARCH_NATIVE, Target::Label(native)));
    if cfg!(target_arch = "x86_64") {
        a.ins.push(Ins::JeqTo(AUDIT_ARCH_I386, Target::Label(i386)));
    }
    // Any other architecture: not ours to decode, let it run.
    a.ins.push(Ins::Ret(RET_ALLOW));
    a.ins.push(Ins::Label(native));
    abi_block(&mut a, sysno::NATIVE, cfg!(target_arch = "x86_64"));
    a.ins.push(Ins::Label(i386));
    if cfg!(target_arch = "x86_64") {
        abi_block(&mut a, sysno::I386, false);
    }
    a.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal classic-BPF interpreter for the instructions we emit, to check
    /// the program's verdicts without installing it.
    fn run(prog: &[libc::sock_filter], arch: u32, nr: u32, arg1: u32) -> u32 {
        run_args(prog, arch, nr, [0, arg1])
    }

    fn run_args(prog: &[libc::sock_filter], arch: u32, nr: u32, [arg0, arg1]: [u32; 2]) -> u32 {
        let mut acc = 0u32;
        let mut pc = 0usize;
        loop {
            let f = prog[pc];
            pc += 1;
            match f.code {
                BPF_LD_W_ABS => {
                    acc = match f.k {
                        OFF_NR => nr,
                        OFF_ARCH => arch,
                        OFF_ARG0_LO => arg0,
                        OFF_ARG1_LO => arg1,
                        k => panic!("unexpected load offset {k}"),
                    }
                }
                BPF_JEQ_K => pc += if acc == f.k { f.jt } else { f.jf } as usize,
                BPF_JGE_K => pc += if acc >= f.k { f.jt } else { f.jf } as usize,
                BPF_RET_K => return f.k,
                c => panic!("unexpected opcode {c}"),
            }
        }
    }

    #[test]
    fn listed_syscalls_trace_and_others_run_free() {
        let p = build_filter();
        // fcntl and ioctl stop by command, sigaction by signal: checked below.
        for (sys, nr) in sysno::NATIVE {
            if *sys == Sys::Ioctl || *sys == Sys::Prctl || matches!(sys, Sys::SigchldAction(_)) {
                continue;
            }
            if *nr
                != sysno::NATIVE
                    .iter()
                    .find(|(s, _)| *s == Sys::Fcntl)
                    .unwrap()
                    .1
            {
                assert_eq!(run(&p, AUDIT_ARCH_NATIVE, *nr as u32, 0), RET_TRACE);
            }
        }
        assert_eq!(
            run(&p, AUDIT_ARCH_NATIVE, libc::SYS_read as u32, 0),
            RET_ALLOW
        );
        assert_eq!(
            run(&p, AUDIT_ARCH_NATIVE, libc::SYS_write as u32, 0),
            RET_ALLOW
        );
    }

    #[test]
    fn fcntl_stops_only_for_commands_that_make_fds_or_change_cloexec() {
        let p = build_filter();
        let nr = libc::SYS_fcntl as u32;
        assert_eq!(
            run(&p, AUDIT_ARCH_NATIVE, nr, libc::F_DUPFD_CLOEXEC as u32),
            RET_TRACE
        );
        assert_eq!(
            run(&p, AUDIT_ARCH_NATIVE, nr, libc::F_SETFD as u32),
            RET_TRACE
        );
        assert_eq!(
            run(&p, AUDIT_ARCH_NATIVE, nr, libc::F_GETFL as u32),
            RET_ALLOW
        );
    }

    #[test]
    fn ioctl_stops_only_for_cloexec_and_fd_returning_commands() {
        let p = build_filter();
        let nr = libc::SYS_ioctl as u32;
        for cmd in [sysno::FIOCLEX, sysno::FIONCLEX, 0xb701, 0x894c] {
            assert_eq!(run(&p, AUDIT_ARCH_NATIVE, nr, cmd), RET_TRACE, "{cmd:#x}");
        }
        for cmd in [
            libc::TCGETS as u32,
            libc::TIOCGWINSZ as u32,
            libc::FIONREAD as u32,
        ] {
            assert_eq!(run(&p, AUDIT_ARCH_NATIVE, nr, cmd), RET_ALLOW, "{cmd:#x}");
        }
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(run(&p, AUDIT_ARCH_I386, 54, sysno::FIOCLEX), RET_TRACE);
            assert_eq!(run(&p, AUDIT_ARCH_I386, 54, libc::TCGETS as u32), RET_ALLOW);
        }
    }

    #[test]
    fn sigaction_stops_only_for_sigchld_in_both_abis() {
        let p = build_filter();
        let nr = libc::SYS_rt_sigaction as u32;
        let chld = libc::SIGCHLD as u32;
        assert_eq!(run_args(&p, AUDIT_ARCH_NATIVE, nr, [chld, 0]), RET_TRACE);
        let int = libc::SIGINT as u32;
        assert_eq!(run_args(&p, AUDIT_ARCH_NATIVE, nr, [int, 0]), RET_ALLOW);
        if cfg!(target_arch = "x86_64") {
            // rt_sigaction, sigaction, signal
            for nr in [174, 67, 48] {
                assert_eq!(run_args(&p, AUDIT_ARCH_I386, nr, [chld, 0]), RET_TRACE);
                assert_eq!(run_args(&p, AUDIT_ARCH_I386, nr, [int, 0]), RET_ALLOW);
            }
        }
    }

    #[test]
    fn prctl_stops_only_for_pr_set_name_in_both_abis() {
        let p = build_filter();
        let nr = libc::SYS_prctl as u32;
        let name = libc::PR_SET_NAME as u32;
        assert_eq!(run_args(&p, AUDIT_ARCH_NATIVE, nr, [name, 0]), RET_TRACE);
        for other in [
            libc::PR_GET_NAME,
            libc::PR_SET_PDEATHSIG,
            libc::PR_SET_DUMPABLE,
        ] {
            let other = other as u32;
            assert_eq!(run_args(&p, AUDIT_ARCH_NATIVE, nr, [other, 0]), RET_ALLOW);
        }
        if cfg!(target_arch = "x86_64") {
            assert_eq!(run_args(&p, AUDIT_ARCH_I386, 172, [name, 0]), RET_TRACE);
            let get = libc::PR_GET_NAME as u32;
            assert_eq!(run_args(&p, AUDIT_ARCH_I386, 172, [get, 0]), RET_ALLOW);
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn i386_uses_its_own_numbers_and_unknown_arches_run_free() {
        let p = build_filter();
        assert_eq!(run(&p, AUDIT_ARCH_I386, 11, 0), RET_TRACE); // execve
        assert_eq!(run(&p, AUDIT_ARCH_I386, 3, 0), RET_ALLOW); // read
        assert_eq!(
            run(&p, AUDIT_ARCH_I386, 221, libc::F_SETFD as u32),
            RET_TRACE
        ); // fcntl64
        assert_eq!(
            run(&p, AUDIT_ARCH_I386, 221, libc::F_GETFD as u32),
            RET_ALLOW
        );
        assert_eq!(run(&p, 0xdead, 11, 0), RET_ALLOW);
        // x32 syscalls are let through.
        assert_eq!(
            run(&p, AUDIT_ARCH_NATIVE, X32_SYSCALL_BIT | 59, 0),
            RET_ALLOW
        );
    }
}
