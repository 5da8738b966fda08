//! Loading the BPF object (compiled by build.rs) into the kernel and
//! attaching its programs: BTF tracepoints for fork, exec, exit and
//! signals, and the per-syscall tracepoints (syscalls:sys_enter_X /
//! sys_exit_X) of the syscalls forkscope cares about. Nothing is attached
//! to raw_syscalls: a syscall without a program costs nothing.

use libbpf_rs::{MapCore, MapFlags, Object, ObjectBuilder};

/// The object file build.rs made.
static OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/forkscope.bpf.o"));

/// The loaded programs and their links (dropping this detaches them all).
pub struct Loaded {
    /// The object: its maps are read and written while recording.
    pub obj: Object,
    links: Vec<libbpf_rs::Link>,
}

/// Why the eBPF backend cannot run here, in one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

/// Loads and attaches everything. Fails, with the reason in one line,
/// without BTF or without the privileges (root, or CAP_BPF and CAP_PERFMON).
pub fn load() -> Result<Loaded, Unavailable> {
    if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        return Err(Unavailable(
            "the kernel has no BTF (/sys/kernel/btf/vmlinux is missing; CONFIG_DEBUG_INFO_BTF)"
                .into(),
        ));
    }
    tracefs()?;
    // libbpf's own messages would go to stderr; the one-line reason is ours.
    if std::env::var_os("FORKSCOPE_BPF_DEBUG").is_none() {
        libbpf_rs::set_print(None);
    }
    let mut open = ObjectBuilder::default()
        .open_memory(OBJECT)
        .map_err(|e| Unavailable(format!("cannot open the BPF object: {e}")))?;
    // The ring buffer's size (a power of two of at least a page; default
    // 2 MiB, bpf/maps.h): FORKSCOPE_EBPF_RING_BYTES, for tests that fill
    // it or a program whose bursts outrun forkscope.
    if let Some(bytes) = std::env::var("FORKSCOPE_EBPF_RING_BYTES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    {
        if let Some(mut m) = open.maps_mut().find(|m| m.name() == "events") {
            m.set_max_entries(bytes)
                .map_err(|e| Unavailable(format!("ring buffer size {bytes}: {e}")))?;
        }
    }
    let obj = open.load().map_err(|e| {
        // EPERM is a missing privilege; EACCES is the verifier refusing a
        // program (both are PermissionDenied to libbpf-rs).
        let perm = e.to_string().contains("Operation not permitted");
        if perm {
            Unavailable("loading BPF programs needs root or CAP_BPF and CAP_PERFMON".into())
        } else {
            Unavailable(format!("the kernel refused the BPF programs: {e}"))
        }
    })?;
    let mut links = Vec::new();
    for prog in obj.progs_mut() {
        let name = prog.name().to_string_lossy().into_owned();
        // Only tail-called (bpf/fdpath.h), attached nowhere.
        if name == "tail_new_fd" {
            continue;
        }
        let section = prog.section().to_string_lossy().into_owned();
        match prog.attach() {
            Ok(link) => links.push(link),
            // A syscall this kernel does not have (not built in: no
            // tracepoint) cannot be called: nothing to record.
            Err(_) if !tracepoint_exists(&section) => {}
            Err(e) => {
                return Err(Unavailable(format!(
                    "cannot attach BPF program {name}: {e}"
                )))
            }
        }
    }
    Ok(Loaded { obj, links })
}

/// Does the tracepoint of a `tracepoint/syscalls/NAME` section exist? (Other
/// sections: yes.)
fn tracepoint_exists(section: &str) -> bool {
    let Some(name) = section.strip_prefix("tracepoint/syscalls/") else {
        return true;
    };
    ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]
        .iter()
        .any(|d| {
            std::path::Path::new(d)
                .join("events/syscalls")
                .join(name)
                .exists()
        })
}

/// The syscall tracepoints are attached by the ids tracefs gives: mount it
/// at its usual place when it is not there (as root; it stays mounted, as
/// `perf trace` or bpftrace leave it).
fn tracefs() -> Result<(), Unavailable> {
    let dir = "/sys/kernel/tracing";
    if std::path::Path::new(dir).join("events/syscalls").exists()
        || std::path::Path::new("/sys/kernel/debug/tracing/events/syscalls").exists()
    {
        return Ok(());
    }
    // SAFETY: mount(2) with NUL-terminated strings and no data.
    let r = unsafe {
        libc::mount(
            c"tracefs".as_ptr(),
            c"/sys/kernel/tracing".as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if r != 0 {
        return Err(Unavailable(format!(
            "tracefs is not mounted at {dir} and mounting it failed: {}",
            std::io::Error::last_os_error()
        )));
    }
    if !std::path::Path::new(dir).join("events/syscalls").exists() {
        return Err(Unavailable(
            "the kernel has no syscall tracepoints (CONFIG_FTRACE_SYSCALLS)".into(),
        ));
    }
    Ok(())
}

impl Loaded {
    /// Makes dropping the links only close their fds: libbpf would first
    /// disable each perf-event link (PERF_EVENT_IOC_DISABLE), which waits
    /// for an RCU grace period per syscall tracepoint even while another
    /// process still holds the fd (see `release_in_background`).
    pub fn disconnect(&mut self) {
        for l in &mut self.links {
            l.disconnect();
        }
    }

    fn map(&self, name: &str) -> libbpf_rs::Map<'_> {
        self.obj
            .maps()
            .find(|m| m.name() == name)
            .expect("the BPF object defines this map")
    }

    /// Puts `pid` in the traced set.
    pub fn trace_pid(&self, pid: i32) -> Result<(), Unavailable> {
        self.map("pids")
            .update(&(pid as u32).to_ne_bytes(), &[1u8], MapFlags::ANY)
            .map_err(|e| Unavailable(format!("cannot add pid {pid} to the traced set: {e}")))
    }

    /// Records the kernel could not put in the ring buffer so far.
    pub fn lost(&self) -> u64 {
        self.map("lost")
            .lookup(&0u32.to_ne_bytes(), MapFlags::ANY)
            .ok()
            .flatten()
            .and_then(|v| v.get(..8).and_then(|b| b.try_into().ok()))
            .map_or(0, u64::from_ne_bytes)
    }

    /// Runs `f` with a ring-buffer reader that hands each record's bytes
    /// to `sink`.
    pub fn ring<'a>(
        &'a self,
        sink: impl FnMut(&[u8]) -> i32 + 'a,
    ) -> Result<libbpf_rs::RingBuffer<'a>, Unavailable> {
        let events = self
            .obj
            .maps()
            .find(|m| m.name() == "events")
            .expect("the BPF object defines the ring buffer");
        let mut b = libbpf_rs::RingBufferBuilder::new();
        // The builder keeps only the map's fd; `events` may go.
        b.add(&events, sink)
            .map_err(|e| Unavailable(format!("cannot read the ring buffer: {e}")))?;
        b.build()
            .map_err(|e| Unavailable(format!("cannot read the ring buffer: {e}")))
    }
}
