//! Build script: with the `ebpf` feature, compiles bpf/forkscope.bpf.c to a
//! BPF object with clang, against a vmlinux.h that bpftool generates from
//! this machine's kernel BTF (/sys/kernel/btf/vmlinux) into OUT_DIR: a
//! generated header rather than a committed one of several megabytes. CO-RE
//! relocations make the object run on other kernels with BTF. Without the
//! feature it does nothing, so a plain `cargo build` needs only Rust.

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
}
