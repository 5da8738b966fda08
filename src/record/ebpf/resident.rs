//! The resident probe: the programs loaded and attached once
//! (`forkscope ebpf load`) and kept in the kernel by pins in bpffs, so that
//! `record --backend ebpf` skips the verifier and the attaches (most of
//! its fixed cost) and only claims them.
//!
//! - Where: `/sys/fs/bpf/forkscope-HASH/` (bpffs is mounted there when it
//!   is not), HASH naming this build's programs ([`build_hash`]): another
//!   forkscope build never uses them. `map_NAME` pins each map, `link_NAME`
//!   each link (a link holds its program, a syscall tracepoint's link its
//!   perf event), `info` a small map of forkscope's own that says which
//!   forkscope loaded them and when. The directory is filled under another
//!   name and renamed: it is complete or absent. (bpffs refuses names
//!   with a dot.)
//! - Who: one recording at a time, the one holding an flock on
//!   `/run/forkscope/NAME.lock` (taken without waiting: a second recording
//!   meanwhile loads programs of its own, as without the resident probe).
//! - A recording that claims it empties the pid set, the kills-sent set and
//!   the lost counter, and reads and drops whatever the ring buffer holds:
//!   what a recording killed before its end left. Its end empties the pid
//!   set again. Nothing else is per recording: the programs have no
//!   `.rodata`, `.data` or `.bss`; the ring buffer's size is fixed at load,
//!   so a recording that asks for another (`FORKSCOPE_EBPF_RING_BYTES`)
//!   loads its own programs, as does one that asks for relocation against
//!   the kernel's whole BTF (`FORKSCOPE_EBPF_FULL_BTF`) when the probe was
//!   loaded without it.
//! - Idle, the probe costs every process on the machine one hash lookup
//!   (the pid set) per call of a recorded syscall, fork, exec, exit and
//!   signal; other syscalls cost nothing.
//!
//! `FORKSCOPE_EBPF_RESIDENT=0` makes a recording load its own programs
//! even when the resident probe is free (to compare the two);
//! `FORKSCOPE_EBPF_RESIDENT_DIR` puts the pins under another bpffs
//! directory than /sys/fs/bpf (tests: theirs is not the machine's).

use super::load::{self, Loaded, Maps};
use super::phases::Phases;
use libbpf_rs::{MapCore, MapFlags, MapHandle, MapType};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The hash of the embedded BPF object (build.rs).
static OBJECT_HASH: &str = include_str!(concat!(env!("OUT_DIR"), "/object.hash"));

/// bpffs's magic number (statfs f_type).
const BPF_FS_MAGIC: i64 = 0xcafe4a11;

/// This build's programs, as 16 hex digits: the object's hash mixed with
/// what the loader attaches where (`load::SHARED`) and forkscope's
/// version.
pub fn build_hash() -> String {
    let mut text = String::from(OBJECT_HASH);
    text.push_str(env!("CARGO_PKG_VERSION"));
    for (prog, calls) in load::SHARED {
        text.push_str(prog);
        for c in *calls {
            text.push(',');
            text.push_str(c);
        }
    }
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{h:016x}")
}

/// The bpffs directory the pins go under.
fn parent() -> PathBuf {
    std::env::var_os("FORKSCOPE_EBPF_RESIDENT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/sys/fs/bpf"))
}

/// This build's pin directory.
pub fn dir() -> PathBuf {
    parent().join(format!("forkscope-{}", build_hash()))
}

/// The lock file of the resident probe pinned at `dir`.
fn lock_path(dir: &Path) -> PathBuf {
    let name: String = dir
        .to_string_lossy()
        .trim_start_matches('/')
        .replace('/', "_");
    let base = if Path::new("/run").is_dir() {
        PathBuf::from("/run/forkscope")
    } else {
        std::env::temp_dir().join("forkscope")
    };
    base.join(format!("{name}.lock"))
}

/// The lock of the resident probe at `dir`, open (not taken).
fn lock_file(dir: &Path) -> std::io::Result<std::fs::File> {
    let p = lock_path(dir);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
}

/// Takes the flock of `f` (exclusive), without waiting when `wait` is false.
fn flock(f: &std::fs::File, wait: bool) -> bool {
    let op = libc::LOCK_EX | if wait { 0 } else { libc::LOCK_NB };
    loop {
        // SAFETY: flock(2) on an open file.
        if unsafe { libc::flock(f.as_raw_fd(), op) } == 0 {
            return true;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// The resident probe's lock, held by one recording (released when this
/// is dropped, or when the recording's process dies).
pub struct Claim {
    _lock: std::fs::File,
}

/// Why a recording loads programs of its own instead of using the resident
/// probe (the phases line's `resident_why`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotUsed {
    /// `FORKSCOPE_EBPF_RESIDENT=0`.
    Off,
    /// No resident probe of this build is loaded.
    Absent,
    /// Another recording holds it.
    Busy,
    /// Its ring buffer is not the size this recording asks for.
    RingSize,
    /// Its pins could not be opened or reset.
    Broken,
    /// This recording asks for CO-RE relocation against the kernel's whole
    /// BTF (`FORKSCOPE_EBPF_FULL_BTF`), the probe was loaded without.
    FullBtf,
}

/// Does this run ask for the kernel's whole BTF (`FORKSCOPE_EBPF_FULL_BTF`)?
fn full_btf_wanted() -> bool {
    std::env::var_os("FORKSCOPE_EBPF_FULL_BTF").is_some()
}

impl NotUsed {
    /// The word on the phases line.
    pub fn key(self) -> &'static str {
        match self {
            NotUsed::Off => "off",
            NotUsed::Absent => "absent",
            NotUsed::Busy => "busy",
            NotUsed::RingSize => "ring_size",
            NotUsed::Broken => "broken",
            NotUsed::FullBtf => "full_btf",
        }
    }
}

/// The ring buffer size a recording asks for (`FORKSCOPE_EBPF_RING_BYTES`).
pub(super) fn wanted_ring_bytes() -> Option<u32> {
    std::env::var("FORKSCOPE_EBPF_RING_BYTES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
}

/// The resident probe for one recording, reset as the module says; or
/// why not. `phases` times it as the `open` step.
pub fn claim(mut phases: Phases) -> Result<Loaded, (NotUsed, Phases)> {
    if std::env::var_os("FORKSCOPE_EBPF_RESIDENT").is_some_and(|v| v == "0") {
        return Err((NotUsed::Off, phases));
    }
    let dir = dir();
    if !dir.is_dir() {
        return Err((NotUsed::Absent, phases));
    }
    // libbpf's own messages would go to stderr (as in load::load).
    if std::env::var_os("FORKSCOPE_BPF_DEBUG").is_none() {
        libbpf_rs::set_print(None);
    }
    let Ok(lock) = lock_file(&dir) else {
        return Err((NotUsed::Broken, phases));
    };
    if !flock(&lock, false) {
        return Err((NotUsed::Busy, phases));
    }
    let open = |name: &str| MapHandle::from_pinned_path(dir.join(format!("map_{name}")));
    let maps = match (
        open("pids"),
        open("events"),
        open("lost"),
        open("kill_sent"),
    ) {
        (Ok(pids), Ok(events), Ok(lost), Ok(kill_sent)) => Maps {
            pids,
            events,
            lost,
            kill_sent,
        },
        _ => return Err((NotUsed::Broken, phases)),
    };
    if wanted_ring_bytes().is_some_and(|b| b != maps.events.max_entries()) {
        return Err((NotUsed::RingSize, phases));
    }
    // Relocated against the kernel's whole BTF, as asked, or not: decided
    // at load.
    if full_btf_wanted() && !read_info(&dir).contains("\nfull_btf=1\n") {
        return Err((NotUsed::FullBtf, phases));
    }
    if reset(&maps).is_err() {
        return Err((NotUsed::Broken, phases));
    }
    phases.mark("open");
    phases.count("resident", 1);
    Ok(Loaded::resident(maps, Claim { _lock: lock }, phases))
}

/// Clears what a recording before this one left (it may have been killed
/// before its end): the pid set first (no new records), then the kills
/// sent and the lost counter, then the ring buffer, read and dropped.
fn reset(maps: &Maps) -> Result<(), libbpf_rs::Error> {
    maps.clear_pids();
    let keys: Vec<Vec<u8>> = maps.kill_sent.keys().collect();
    for k in keys {
        let _ = maps.kill_sent.delete(&k);
    }
    maps.lost
        .update(&0u32.to_ne_bytes(), &0u64.to_ne_bytes(), MapFlags::ANY)?;
    let mut b = libbpf_rs::RingBufferBuilder::new();
    b.add(&maps.events, |_| 0)?;
    b.build()?.consume()?;
    Ok(())
}

/// What `forkscope ebpf load` did.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadOutcome {
    /// Loaded and pinned at `dir`.
    Loaded {
        /// Where.
        dir: PathBuf,
        /// Programs loaded, links pinned.
        programs: usize,
        /// Links pinned.
        links: usize,
        /// How long loading and attaching took, in milliseconds.
        ms: f64,
    },
    /// This build's resident probe was already there.
    Already {
        /// Where.
        dir: PathBuf,
    },
}

/// Why `forkscope ebpf load` or `unload` failed, in one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ResidentError(pub String);

/// Makes sure `parent` is a bpffs directory: bpffs is mounted at
/// /sys/fs/bpf when `parent` is there or under it and it is not mounted
/// yet (a fresh machine without systemd's mount); another directory must
/// already be inside a bpffs. `parent` is made when missing.
fn ensure_bpffs(parent: &Path) -> Result<(), ResidentError> {
    let is_bpffs = |p: &Path| {
        let Ok(c) = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()) else {
            return false;
        };
        // SAFETY: statfs(2) fills a zeroed struct through a valid pointer.
        unsafe {
            let mut st: libc::statfs = std::mem::zeroed();
            libc::statfs(c.as_ptr(), &mut st) == 0 && st.f_type as i64 == BPF_FS_MAGIC
        }
    };
    let usual = Path::new("/sys/fs/bpf");
    if parent.starts_with(usual) && !is_bpffs(usual) {
        // SAFETY: mount(2) with NUL-terminated strings and no data.
        let r = unsafe {
            libc::mount(
                c"bpf".as_ptr(),
                c"/sys/fs/bpf".as_ptr(),
                c"bpf".as_ptr(),
                0,
                std::ptr::null(),
            )
        };
        if r != 0 {
            return Err(ResidentError(format!(
                "bpffs is not mounted at /sys/fs/bpf and mounting it failed: {}",
                std::io::Error::last_os_error()
            )));
        }
    }
    if !parent.exists() {
        std::fs::create_dir_all(parent)
            .map_err(|e| ResidentError(format!("{}: {e}", parent.display())))?;
    }
    if is_bpffs(parent) {
        return Ok(());
    }
    Err(ResidentError(format!(
        "{} is not in a bpffs (mount -t bpf bpf DIR)",
        parent.display()
    )))
}

/// `forkscope ebpf load`: loads and attaches this build's programs and pins
/// them (see the module's comment), unless they are already there.
pub fn load_resident() -> Result<LoadOutcome, ResidentError> {
    let parent = parent();
    ensure_bpffs(&parent)?;
    let dir = dir();
    if dir.is_dir() {
        return Ok(LoadOutcome::Already { dir });
    }
    let start = std::time::Instant::now();
    let bpf = load::load().map_err(|e| ResidentError(e.0))?;
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let programs = bpf.programs();
    // bpffs refuses names with a dot.
    let tmp = parent.join(format!(
        "forkscope_loading_{}_{}",
        build_hash(),
        std::process::id()
    ));
    std::fs::create_dir(&tmp).map_err(|e| ResidentError(format!("{}: {e}", tmp.display())))?;
    let pinned = bpf.pin_into(&tmp).and_then(|(_, links)| {
        write_info(&tmp, programs, links)?;
        Ok(links)
    });
    let links = match pinned {
        Ok(l) => l,
        Err(e) => {
            remove_pins(&tmp);
            return Err(ResidentError(e));
        }
    };
    // Complete or absent: another `ebpf load` that got there first wins.
    if let Err(e) = std::fs::rename(&tmp, &dir) {
        remove_pins(&tmp);
        if dir.is_dir() {
            return Ok(LoadOutcome::Already { dir });
        }
        return Err(ResidentError(format!("{}: {e}", dir.display())));
    }
    Ok(LoadOutcome::Loaded {
        dir,
        programs,
        links,
        ms,
    })
}

/// The `info` map's one value: `key=value` lines.
const INFO_BYTES: u32 = 256;

/// Pins a map of forkscope's own at `dir/info` saying which forkscope
/// loaded the programs, when (seconds since the epoch), and how many.
fn write_info(dir: &Path, programs: usize, links: usize) -> Result<(), String> {
    let opts = libbpf_rs::libbpf_sys::bpf_map_create_opts {
        sz: std::mem::size_of::<libbpf_rs::libbpf_sys::bpf_map_create_opts>() as _,
        ..Default::default()
    };
    let mut m = MapHandle::create(MapType::Array, Some("fs_info"), 4, INFO_BYTES, 1, &opts)
        .map_err(|e| format!("creating the info map: {e}"))?;
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let text = format!(
        "version={}\nbuild={}\nsince={since}\nprograms={programs}\nlinks={links}\nfull_btf={}\n",
        env!("CARGO_PKG_VERSION"),
        build_hash(),
        full_btf_wanted() as u8
    );
    let mut value = text.into_bytes();
    value.resize(INFO_BYTES as usize, 0);
    m.update(&0u32.to_ne_bytes(), &value, MapFlags::ANY)
        .map_err(|e| format!("writing the info map: {e}"))?;
    m.pin(dir.join("info"))
        .map_err(|e| format!("pinning the info map: {e}"))
}

/// The ids of the links pinned in `dir`.
fn link_ids(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("link_"))
        .filter_map(|e| {
            libbpf_rs::Link::open(e.path())
                .ok()?
                .info()
                .ok()
                .map(|i| i.id)
        })
        .collect()
}

/// Is there still a link with id `id`?
fn link_exists(id: u32) -> bool {
    // SAFETY: bpf_link_get_fd_by_id returns a new fd or a negative error.
    let fd = unsafe { libbpf_rs::libbpf_sys::bpf_link_get_fd_by_id(id) };
    if fd >= 0 {
        // SAFETY: fd is ours, open, and used nowhere else.
        unsafe { libc::close(fd) };
        return true;
    }
    false
}

/// Removes every pin in `dir`, then `dir`.
fn remove_pins(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// What `forkscope ebpf unload` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unloaded {
    /// The directories removed.
    pub dirs: Vec<PathBuf>,
    /// Links detached.
    pub links: usize,
}

/// `forkscope ebpf unload`: removes this build's resident probe (with
/// `all`, every forkscope build's), once no recording holds it (waiting
/// for the one that does), and returns once the kernel has detached its
/// links (the kernel frees an unpinned link in the background).
pub fn unload(all: bool) -> Result<Unloaded, ResidentError> {
    let dirs: Vec<PathBuf> = if all {
        list().into_iter().map(|r| r.dir).collect()
    } else {
        let d = dir();
        if d.is_dir() {
            vec![d]
        } else {
            Vec::new()
        }
    };
    // What an `ebpf load` killed while pinning left (its pins keep the
    // links attached): removed too.
    let mine = format!("forkscope_loading_{}_", build_hash());
    let left: Vec<PathBuf> = std::fs::read_dir(parent())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    let pid = n.rsplit('_').next().unwrap_or_default().to_string();
                    (n.starts_with(&mine) || (all && n.starts_with("forkscope_loading_")))
                        && !Path::new("/proc").join(pid).exists()
                })
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default();
    let mut ids = Vec::new();
    for d in &left {
        ids.extend(link_ids(d));
        remove_pins(d);
    }
    for d in &dirs {
        let lock = lock_file(d).map_err(|e| ResidentError(format!("{}: {e}", d.display())))?;
        flock(&lock, true);
        ids.extend(link_ids(d));
        remove_pins(d);
        if d.exists() {
            return Err(ResidentError(format!(
                "{}: could not remove it",
                d.display()
            )));
        }
        let _ = std::fs::remove_file(lock_path(d));
    }
    let start = std::time::Instant::now();
    while ids.iter().any(|&id| link_exists(id))
        && start.elapsed() < std::time::Duration::from_secs(60)
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Ok(Unloaded {
        dirs,
        links: ids.len(),
    })
}

/// A resident probe found by `forkscope ebpf status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    /// Its pin directory.
    pub dir: PathBuf,
    /// The hash its directory names.
    pub build: String,
    /// Is it this forkscope's?
    pub ours: bool,
    /// The version of the forkscope that loaded it.
    pub version: Option<String>,
    /// When it was loaded (seconds since the epoch).
    pub since: Option<u64>,
    /// Programs and links.
    pub programs: Option<usize>,
    /// Links attached.
    pub links: usize,
    /// Is a recording using it now?
    pub busy: bool,
}

/// Every forkscope resident probe under the bpffs directory.
pub fn list() -> Vec<Resident> {
    let mine = build_hash();
    let Ok(entries) = std::fs::read_dir(parent()) else {
        return Vec::new();
    };
    let mut v: Vec<Resident> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let build = name.strip_prefix("forkscope-")?.to_string();
            let dir = e.path();
            let info = read_info(&dir);
            let get = |k: &str| {
                info.lines()
                    .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                    .map(str::to_string)
            };
            let busy = lock_file(&dir).is_ok_and(|f| !flock(&f, false));
            let links = std::fs::read_dir(&dir)
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .filter(|e| e.file_name().to_string_lossy().starts_with("link_"))
                        .count()
                })
                .unwrap_or(0);
            Some(Resident {
                ours: build == mine,
                build,
                version: get("version"),
                since: get("since").and_then(|s| s.parse().ok()),
                programs: get("programs").and_then(|s| s.parse().ok()),
                links,
                busy,
                dir,
            })
        })
        .collect();
    v.sort_by(|a, b| a.dir.cmp(&b.dir));
    v
}

/// The text of `dir/info` (empty when it cannot be read).
fn read_info(dir: &Path) -> String {
    MapHandle::from_pinned_path(dir.join("info"))
        .ok()
        .and_then(|m| m.lookup(&0u32.to_ne_bytes(), MapFlags::ANY).ok().flatten())
        .map(|v| {
            let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
            String::from_utf8_lossy(&v[..end]).into_owned()
        })
        .unwrap_or_default()
}

/// What one call of a recorded syscall costs now, in nanoseconds, beyond
/// an unrecorded one of the same weight: `dup(-1)` (recorded: its exit
/// runs a program, which finds the caller not traced) against
/// `lseek(-1, 0, SEEK_CUR)` (not recorded), both failing at once with
/// EBADF. The fastest of many short interleaved batches of each (a
/// millisecond or so: most run without being preempted on a busy
/// machine). None when it comes out at or below zero.
pub fn idle_cost_ns() -> Option<f64> {
    const CALLS: u32 = 1_000;
    let batch = |recorded: bool| {
        let t = std::time::Instant::now();
        for _ in 0..CALLS {
            // SAFETY: both calls fail on fd -1 and change nothing.
            unsafe {
                if recorded {
                    libc::dup(-1);
                } else {
                    libc::lseek(-1, 0, libc::SEEK_CUR);
                }
            }
        }
        t.elapsed().as_nanos() as f64 / CALLS as f64
    };
    let (mut with, mut without) = (f64::MAX, f64::MAX);
    for _ in 0..60 {
        with = with.min(batch(true));
        without = without.min(batch(false));
    }
    let d = with - without;
    (d > 0.0).then_some(d)
}
