//! Loading the BPF object (compiled by build.rs) into the kernel and
//! attaching its programs: raw tracepoints for fork, exec, exit and
//! signals (raw_tp, not tp_btf: those would make libbpf parse the whole
//! kernel BTF to find their ids), and each syscall's exit tracepoint
//! (`syscalls:sys_exit_NAME`, one handler shared by a family: `SHARED`).
//! Every program is attached by its section, except those reached only
//! through a program array (named `tail_*`). CO-RE relocations use the
//! minimal BTF build.rs cut for this kernel when it is the build's
//! (`min_core_btf`), else the kernel's own.

use super::phases::Phases;
use libbpf_rs::{MapCore, MapFlags, MapHandle, Object, ObjectBuilder};

/// The object file build.rs made.
pub(super) static OBJECT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/forkscope.bpf.o"));

/// The part of the build machine's kernel BTF that the object's CO-RE
/// relocations use, and that kernel's identity (build.rs `min_core_btf`;
/// both empty when the build made none).
static MIN_CORE_BTF: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/min_core.btf"));
static MIN_CORE_ID: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/min_core.id"));

/// The minimal BTF in a memfd, when this is the kernel it was made for:
/// libbpf then relocates against a few KB instead of searching the whole
/// kernel BTF (5 MB), which was half of start-up. Any other kernel gets
/// the full search (None); so does `FORKSCOPE_EBPF_FULL_BTF=1`.
fn min_core_btf() -> Option<std::fs::File> {
    if MIN_CORE_BTF.is_empty()
        || std::env::var_os("FORKSCOPE_EBPF_FULL_BTF").is_some()
        || super::kernel_id::kernel_id().as_deref() != Some(MIN_CORE_ID)
    {
        return None;
    }
    use std::io::Write;
    // SAFETY: memfd_create with a NUL-terminated name; the fd it returns
    // is owned by the File from here on.
    let fd = unsafe { libc::memfd_create(c"forkscope-min-core-btf".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    // SAFETY: fd is a new, open fd that nothing else owns.
    let mut f = unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    f.write_all(MIN_CORE_BTF).ok()?;
    Some(f)
}

/// The programs a recording uses: loaded for it alone (the object and its
/// links: dropping this detaches them all), or the resident probe's
/// ([`super::resident`]: claimed for this recording, the pid set emptied
/// when this is dropped).
pub struct Loaded {
    /// The object, when loaded for this recording.
    obj: Option<Object>,
    /// Each link with its name (the program's, and the syscall for a
    /// shared handler: `exit_dup-dup2`), when loaded for this recording.
    links: Vec<(String, libbpf_rs::Link)>,
    /// The maps a recording reads and writes.
    maps: Maps,
    /// The resident probe's lock, held for this recording.
    claim: Option<super::resident::Claim>,
    /// When each step of starting and stopping ended (`FORKSCOPE_EBPF_PHASES`).
    pub phases: Phases,
}

/// The maps a recording uses (bpf/maps.h), by handle: the same whether
/// the object was loaded for this recording or the handles were opened
/// from the resident probe's pins.
pub(super) struct Maps {
    pub(super) pids: MapHandle,
    pub(super) events: MapHandle,
    pub(super) lost: MapHandle,
    pub(super) kill_sent: MapHandle,
}

impl Maps {
    /// The handles of `obj`'s maps.
    fn of(obj: &Object) -> Result<Maps, Unavailable> {
        let get = |name: &str| {
            let m = obj
                .maps()
                .find(|m| m.name() == name)
                .ok_or_else(|| Unavailable(format!("the BPF object has no map {name}")))?;
            MapHandle::try_from(&m).map_err(|e| Unavailable(format!("map {name}: {e}")))
        };
        Ok(Maps {
            pids: get("pids")?,
            events: get("events")?,
            lost: get("lost")?,
            kill_sent: get("kill_sent")?,
        })
    }

    /// Empties the pid set: every program then ignores every task.
    /// Looped: a task forked meanwhile by one still in the set was put in.
    pub(super) fn clear_pids(&self) {
        for _ in 0..100 {
            let keys: Vec<Vec<u8>> = self.pids.keys().collect();
            if keys.is_empty() {
                return;
            }
            for k in keys {
                let _ = self.pids.delete(&k);
            }
        }
    }
}

/// The handlers that serve a family of syscalls (bpf/syscalls.h): each is
/// verified once and attached to every listed syscall's exit tracepoint
/// (`syscalls:sys_exit_NAME`). Every other program is attached where its
/// section says (one more syscall of its own: no line here).
pub(super) const SHARED: &[(&str, &[&str])] = &[
    ("exit_pipe", &["pipe", "pipe2"]),
    ("exit_dup", &["dup", "dup2", "dup3"]),
    ("exit_open", &["open", "openat", "creat"]),
    ("exit_execve", &["execve", "execveat"]),
    (
        "exit_socket",
        &["socket", "socketpair", "accept", "accept4"],
    ),
    (
        "exit_kill",
        &[
            "kill",
            "tkill",
            "tgkill",
            "rt_sigqueueinfo",
            "rt_tgsigqueueinfo",
            "pidfd_send_signal",
        ],
    ),
    (
        "exit_newfd",
        &[
            "epoll_create",
            "epoll_create1",
            "eventfd",
            "eventfd2",
            "timerfd_create",
            "inotify_init",
            "inotify_init1",
            "fanotify_init",
            "memfd_create",
            "userfaultfd",
            "pidfd_open",
            "pidfd_getfd",
            "perf_event_open",
            "io_uring_setup",
            "open_by_handle_at",
            "fsopen",
            "fsmount",
            "fspick",
            "open_tree",
            "memfd_secret",
            "mq_open",
            "signalfd",
            "signalfd4",
            "bpf",
            "landlock_create_ruleset",
        ],
    ),
];

/// The gate between recordings that attach programs and the background
/// detachers of those that ended (a lock file in /run, else in the
/// temporary directory). Closing a per-syscall tracepoint's perf event
/// makes the kernel wait for an RCU grace period (~35 ms here) holding its
/// event_mutex, which every attach needs: measured, 53 attaches took 0.68 s
/// while another process closed 53 such events, 1.5 ms alone. A recording
/// holds the lock while it attaches; a detacher takes and drops it before
/// each close (it holds it for no time: detachers never wait for one
/// another), so an attaching recording waits for the closes already under
/// way, one per detacher, and no new one starts until it is done.
pub(crate) struct DetachLock(std::fs::File);

impl DetachLock {
    pub(crate) fn open() -> Option<DetachLock> {
        let dirs = [std::path::PathBuf::from("/run"), std::env::temp_dir()];
        dirs.iter().find_map(|d| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(d.join("forkscope-ebpf-detach.lock"))
                .ok()
                .map(DetachLock)
        })
    }

    /// Blocks until no one else holds the lock, then holds it (until the
    /// returned guard, which owns the file, is dropped).
    pub(crate) fn exclusive(self) -> DetachLock {
        use std::os::fd::AsRawFd;
        // SAFETY: flock(2) on an open file; EINTR only retries.
        while unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_EX) } != 0
            && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
        {}
        self
    }

    /// The lock's fd, for the detacher child (which only makes raw calls:
    /// LOCK_SH then LOCK_UN before each close).
    pub(crate) fn raw_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.0.as_raw_fd()
    }
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
    let mut phases = Phases::start();
    // libbpf's own messages would go to stderr; the one-line reason is ours.
    if std::env::var_os("FORKSCOPE_BPF_DEBUG").is_none() {
        libbpf_rs::set_print(None);
    }
    let mut builder = ObjectBuilder::default();
    let min_btf = min_core_btf();
    if let Some(f) = &min_btf {
        use std::os::fd::AsRawFd;
        builder
            .btf_custom_path(format!("/proc/self/fd/{}", f.as_raw_fd()))
            .map_err(|e| Unavailable(format!("cannot use the minimal BTF: {e}")))?;
    }
    let mut open = builder
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
    phases.mark("open");
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
    let minimal = min_btf.is_some();
    drop(min_btf);
    phases.mark("load");
    // Attaching a syscall tracepoint waits while another recording's
    // detacher (release_in_background) is taking one off: hold the lock
    // that makes detachers pause (a few milliseconds instead of up to one
    // detach per attach).
    let _attaching = DetachLock::open().map(|l| l.exclusive());
    let mut links = Vec::new();
    for prog in obj.progs_mut() {
        let name = prog.name().to_string_lossy().into_owned();
        // Reached only through a program array (the new-fd walk,
        // bpf/fdpath.h).
        if name.starts_with("tail_") {
            continue;
        }
        let section = prog.section().to_string_lossy().into_owned();
        // A per-syscall tracepoint is attached by the id tracefs gives.
        if section.starts_with("tracepoint/") {
            tracefs()?;
        }
        if let Some((_, calls)) = SHARED.iter().find(|(p, _)| *p == name) {
            for call in *calls {
                let tp = format!("sys_exit_{call}");
                match prog.attach_tracepoint(libbpf_rs::TracepointCategory::Syscalls, &tp) {
                    Ok(link) => links.push((format!("{name}-{call}"), link)),
                    Err(_) if !tracepoint_exists(&format!("tracepoint/syscalls/{tp}")) => {}
                    Err(e) => {
                        return Err(Unavailable(format!(
                            "cannot attach BPF program {name} to {tp}: {e}"
                        )))
                    }
                }
            }
            continue;
        }
        match prog.attach() {
            Ok(link) => links.push((name, link)),
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
    phases.mark("attach");
    phases.count("programs", obj.progs().count());
    phases.count("links", links.len());
    phases.count("minimal_btf", minimal as usize);
    let maps = Maps::of(&obj)?;
    Ok(Loaded {
        obj: Some(obj),
        links,
        maps,
        claim: None,
        phases,
    })
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

/// The per-syscall tracepoints are attached by the ids tracefs gives:
/// mount it at its usual place when it is not there (as root; it stays
/// mounted, as `perf trace` or bpftrace leave it). Raw tracepoints need
/// none of it.
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
    /// The resident probe's maps, claimed for one recording.
    pub(super) fn resident(maps: Maps, claim: super::resident::Claim, phases: Phases) -> Loaded {
        Loaded {
            obj: None,
            links: Vec::new(),
            maps,
            claim: Some(claim),
            phases,
        }
    }

    /// How many programs were loaded (0 for the resident probe's).
    pub(super) fn programs(&self) -> usize {
        self.obj.as_ref().map_or(0, |o| o.progs().count())
    }

    /// Does this recording use the resident probe?
    pub fn is_resident(&self) -> bool {
        self.claim.is_some()
    }

    /// Makes dropping the links only close their fds: libbpf would first
    /// disable each perf-event link (PERF_EVENT_IOC_DISABLE), which waits
    /// for an RCU grace period per syscall tracepoint even while another
    /// process still holds the fd (see `release_in_background`), and
    /// would detach a pinned link.
    pub fn disconnect(&mut self) {
        for (_, l) in &mut self.links {
            l.disconnect();
        }
    }

    /// Pins every map and link of a private load as `map_NAME` and
    /// `link_NAME` under `dir` (`forkscope ebpf load`), then lets the links
    /// go without detaching them: the pins keep them attached.
    pub(super) fn pin_into(mut self, dir: &std::path::Path) -> Result<(usize, usize), String> {
        let obj = self.obj.as_mut().ok_or("nothing loaded to pin")?;
        let mut maps = 0;
        for mut m in obj.maps_mut() {
            // bpffs refuses names with a dot (`.rodata`).
            let name = m.name().to_string_lossy().replace('.', "_");
            m.pin(dir.join(format!("map_{name}")))
                .map_err(|e| format!("pinning map {name}: {e}"))?;
            maps += 1;
        }
        for (name, l) in &mut self.links {
            l.pin(dir.join(format!("link_{name}")))
                .map_err(|e| format!("pinning link {name}: {e}"))?;
        }
        let links = self.links.len();
        self.disconnect();
        Ok((maps, links))
    }

    /// Puts `pid`, the first process, in the traced set (as 2: its exit
    /// wakes forkscope, bpf/process.bpf.c).
    pub fn trace_pid(&self, pid: i32) -> Result<(), Unavailable> {
        self.maps
            .pids
            .update(&(pid as u32).to_ne_bytes(), &[2u8], MapFlags::ANY)
            .map_err(|e| Unavailable(format!("cannot add pid {pid} to the traced set: {e}")))
    }

    /// Puts running tasks (`record -p`: tids of the processes attached
    /// to and their descendants) in the traced set, as fork would (1).
    pub fn trace_tids(&self, tids: &[i32]) -> Result<(), Unavailable> {
        for &t in tids {
            self.maps
                .pids
                .update(&(t as u32).to_ne_bytes(), &[1u8], MapFlags::ANY)
                .map_err(|e| Unavailable(format!("cannot add pid {t} to the traced set: {e}")))?;
        }
        Ok(())
    }

    /// Takes tasks out of the traced set (`record -p` ending on Ctrl-C):
    /// the programs ignore them from now on. A task already gone is not
    /// an error.
    pub fn untrace_tids(&self, tids: &[i32]) {
        for &t in tids {
            let _ = self.maps.pids.delete(&(t as u32).to_ne_bytes());
        }
    }

    /// Records the kernel could not put in the ring buffer so far.
    pub fn lost(&self) -> u64 {
        self.maps
            .lost
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
        let mut b = libbpf_rs::RingBufferBuilder::new();
        // The builder keeps only the map's fd.
        b.add(&self.maps.events, sink)
            .map_err(|e| Unavailable(format!("cannot read the ring buffer: {e}")))?;
        b.build()
            .map_err(|e| Unavailable(format!("cannot read the ring buffer: {e}")))
    }
}

impl Drop for Loaded {
    /// A resident probe is left as the next recording expects it: no task
    /// of this one in the pid set (processes that outlive the recording
    /// must not feed a ring buffer nobody reads). The lock goes with it.
    fn drop(&mut self) {
        if self.claim.is_some() {
            self.maps.clear_pids();
        }
    }
}
