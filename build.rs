//! Build script: with the `ebpf` feature, compiles bpf/forkscope.bpf.c to a
//! BPF object with clang, against a vmlinux.h that bpftool generates from
//! this machine's kernel BTF (/sys/kernel/btf/vmlinux) into OUT_DIR: a
//! generated header rather than a committed one of several megabytes. CO-RE
//! relocations make the object run on other kernels with BTF. Without the
//! feature it does nothing, so a plain `cargo build` needs only Rust.

// The kernel identity the recorder checks before using the minimal BTF:
// one definition for both.
#[path = "src/record/ebpf/kernel_id.rs"]
mod kernel_id;

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=bpf");
    if std::env::var_os("CARGO_FEATURE_EBPF").is_none() {
        return;
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let arch = match std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() {
        Ok("x86_64") => "x86",
        Ok(a) => panic!("the ebpf feature supports x86_64 only, not {a}"),
        Err(_) => panic!("CARGO_CFG_TARGET_ARCH not set"),
    };
    let btf =
        std::env::var("FORKSCOPE_VMLINUX_BTF").unwrap_or_else(|_| "/sys/kernel/btf/vmlinux".into());
    println!("cargo:rerun-if-env-changed=FORKSCOPE_VMLINUX_BTF");
    let bpftool = std::env::var("BPFTOOL").unwrap_or_else(|_| "bpftool".into());
    let header = Command::new(&bpftool)
        .args(["btf", "dump", "file", &btf, "format", "c"])
        .output()
        .unwrap_or_else(|e| {
            panic!("the ebpf feature needs bpftool (Debian: apt-get install bpftool): {e}")
        });
    if !header.status.success() {
        panic!(
            "bpftool could not dump {btf}: {}",
            String::from_utf8_lossy(&header.stderr)
        );
    }
    std::fs::write(out.join("vmlinux.h"), &header.stdout).expect("write vmlinux.h");
    let clang = std::env::var("CLANG").unwrap_or_else(|_| "clang".into());
    println!("cargo:rerun-if-env-changed=CLANG");
    let obj = out.join("forkscope.bpf.o");
    let st = Command::new(&clang)
        .args(["-O2", "-g", "-Wall", "-target", "bpf"])
        .arg(format!("-D__TARGET_ARCH_{arch}"))
        .arg("-I")
        .arg(&out)
        // <asm/unistd_64.h> (the syscall numbers of bpf/exits.bpf.c): the
        // BPF target does not search the multiarch include directory.
        .args(["-idirafter", "/usr/include/x86_64-linux-gnu"])
        .args(["-c", "bpf/forkscope.bpf.c", "-o"])
        .arg(&obj)
        .status()
        .unwrap_or_else(|e| {
            panic!("the ebpf feature needs clang and libbpf-dev (Debian: apt-get install clang libbpf-dev): {e}")
        });
    if !st.success() {
        panic!("clang could not compile bpf/forkscope.bpf.c");
    }
    min_core_btf(&bpftool, &btf, &obj, &out);
    object_hash(&obj, &out);
}

/// The resident probe (`forkscope ebpf load`) is pinned under a name made
/// from the object's hash, so that a forkscope built with other programs
/// never uses another build's: writes `object.hash`, the object's 64-bit
/// FNV-1a as 16 hex digits (computed here, not at each start: the object
/// is close to a megabyte).
fn object_hash(obj: &std::path::Path, out: &std::path::Path) {
    let bytes = std::fs::read(obj).expect("read the BPF object");
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    });
    std::fs::write(out.join("object.hash"), format!("{h:016x}")).expect("write object.hash");
}

/// Start-up speed: libbpf's CO-RE relocation searches the whole kernel BTF
/// (5 MB, ~150,000 types) for every type the programs read, about 25 ms of
/// each recording's start. `bpftool gen min_core_btf` keeps only the types
/// and members the object's relocations use (a few KB); the recorder hands
/// that to libbpf instead when it runs on the kernel whose BTF it was made
/// from (same GNU build ID in /sys/kernel/notes and same BTF size), and the
/// full kernel BTF on any other. Writes `min_core.btf` and `min_core.id`
/// (build ID bytes then the BTF size, little-endian u64), both empty when
/// there is nothing to match (another BTF file was given, or bpftool or
/// the notes failed): then every start does the full search.
fn min_core_btf(bpftool: &str, btf: &str, obj: &std::path::Path, out: &std::path::Path) {
    let (min, id) = (out.join("min_core.btf"), out.join("min_core.id"));
    let made = (btf == "/sys/kernel/btf/vmlinux")
        .then(|| {
            let id = kernel_id::kernel_id()?;
            let ok = Command::new(bpftool)
                .args(["gen", "min_core_btf", btf])
                .arg(&min)
                .arg(obj)
                .output()
                .ok()?
                .status
                .success();
            ok.then_some(id)
        })
        .flatten();
    match made {
        Some(k) => std::fs::write(&id, k).expect("write min_core.id"),
        None => {
            std::fs::write(&min, b"").expect("write min_core.btf");
            std::fs::write(&id, b"").expect("write min_core.id");
        }
    }
}
