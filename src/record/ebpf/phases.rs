//! Where the eBPF backend's fixed cost goes: the time each step of starting
//! and stopping a recording took, printed on one line to stderr when
//! `FORKSCOPE_EBPF_PHASES` is set (the record benchmark reads it for W5).
//! The steps, in order:
//!
//! - `open`: parsing the BPF object, BTF and CO-RE preparation (libbpf);
//! - `load`: creating the maps and loading the programs (the verifier);
//! - `attach`: attaching them to their tracepoints;
//! - `spawn`: forking the command, held before its exec, reading its fd
//!   table, putting it in the traced set, creating the trace;
//! - `first`: from releasing the command to reading the first record;
//! - `run`: from there until the command's first process is reaped;
//! - `drain`: from there until every traced task's exit record is read;
//! - `teardown`: handing the links to the background detacher.
//!
//! With the resident probe (`forkscope ebpf load`) there is no `load` or
//! `attach`: `open` is claiming it (opening its pinned maps, emptying the
//! pid set, draining the ring buffer), and `resident=1` says so; a
//! recording that loads its own programs says `resident=0` and why
//! (`resident_why=absent`, `busy`, `off`, `ring_size`, `full_btf`, `broken`).
//!
//! The line also gives counts (programs loaded, links attached). It is a
//! measurement for developers and the benchmark, not a sentence for
//! readers: `key=value` pairs, in milliseconds.

use std::fmt::Write as _;
use std::time::Instant;

/// The steps' end times, in order.
pub struct Phases {
    last: Instant,
    last_cpu: f64,
    /// Each step: its name, wall time and forkscope's CPU time (its own
    /// thread's: the loading and attaching thread), in milliseconds.
    steps: Vec<(&'static str, f64, f64)>,
    counts: Vec<(&'static str, usize)>,
    notes: Vec<(&'static str, &'static str)>,
}

impl Phases {
    /// Starts timing now.
    pub fn start() -> Phases {
        Phases {
            last: Instant::now(),
            last_cpu: thread_cpu_ms(),
            steps: Vec::new(),
            counts: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The step `name` ends now (it began when the previous one ended).
    pub fn mark(&mut self, name: &'static str) {
        let now = Instant::now();
        let cpu = thread_cpu_ms();
        self.steps.push((
            name,
            now.duration_since(self.last).as_secs_f64() * 1e3,
            cpu - self.last_cpu,
        ));
        self.last = now;
        self.last_cpu = cpu;
    }

    /// Records a count (programs, links).
    pub fn count(&mut self, name: &'static str, n: usize) {
        self.counts.push((name, n));
    }

    /// Records a word (why the resident probe was not used).
    pub fn note(&mut self, name: &'static str, word: &'static str) {
        self.notes.push((name, word));
    }

    /// `ebpf-phases-ms open=0.8 load=31.2 ... cpu_open=0.7 cpu_load=20.1
    /// ... programs=22 links=6`: each step's wall time, then the CPU time
    /// forkscope's thread spent in it (on a busy machine the wall time of
    /// a CPU-bound step grows with the load, the CPU time does not).
    pub fn line(&self) -> String {
        let mut s = String::from("ebpf-phases-ms");
        for (name, ms, _) in &self.steps {
            let _ = write!(s, " {name}={ms:.2}");
        }
        for (name, _, cpu) in &self.steps {
            let _ = write!(s, " cpu_{name}={cpu:.2}");
        }
        for (name, n) in &self.counts {
            let _ = write!(s, " {name}={n}");
        }
        for (name, w) in &self.notes {
            let _ = write!(s, " {name}={w}");
        }
        s
    }

    /// Prints [`Phases::line`] to stderr when `FORKSCOPE_EBPF_PHASES` is set.
    pub fn report(&self) {
        if std::env::var_os("FORKSCOPE_EBPF_PHASES").is_some() {
            eprintln!("{}", self.line());
        }
    }
}

/// The calling thread's CPU time (user and system), in milliseconds.
fn thread_cpu_ms() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1e3 + t.tv_nsec as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_lists_each_step_in_order_then_the_counts() {
        let mut p = Phases::start();
        p.mark("open");
        p.mark("load");
        p.count("programs", 22);
        let line = p.line();
        let keys: Vec<&str> = line
            .split_whitespace()
            .skip(1)
            .map(|kv| kv.split('=').next().unwrap())
            .collect();
        assert_eq!(keys, ["open", "load", "cpu_open", "cpu_load", "programs"]);
        assert!(line.ends_with(" programs=22"), "{line}");
    }
}
