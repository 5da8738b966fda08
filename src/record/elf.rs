//! Facts about the binary a process just exec'd (32/64-bit, machine, static or
//! dynamic, interpreter), read with goblin from its ELF header and program
//! headers only; cached per file so a loop that runs `cat` 300 times reads
//! `cat` once.

use crate::trace::{ElfFacts, RawStr};
use goblin::elf::header::{self, Header};
use goblin::elf::program_header::{ProgramHeader, PT_DYNAMIC, PT_INTERP};
use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};

/// Identity of a file version: (device, inode, size, mtime).
type FileKey = (u64, u64, u64, i64, i64);

/// Cache of ELF facts by file identity.
#[derive(Default)]
pub struct ElfCache {
    seen: HashMap<FileKey, Option<ElfFacts>>,
    /// The metadata of the last program looked at, and whose it was: the
    /// set-id check after an exec uses it instead of a stat of its own.
    last_exe: Option<(i32, std::fs::Metadata)>,
}

impl ElfCache {
    /// Facts about the program `pid` now runs (via /proc/PID/exe).
    pub fn facts_for_pid(&mut self, pid: i32) -> Option<ElfFacts> {
        let f = File::open(format!("/proc/{pid}/exe")).ok()?;
        let m = f.metadata().ok()?;
        self.last_exe = Some((pid, m.clone()));
        self.facts(&m, || Some(f))
    }

    /// Facts about the program at `path` (the eBPF backend's exec, read
    /// after the fact): a stat, and the file is opened and read only the
    /// first time this version of it is seen.
    pub fn facts_for_path(&mut self, path: &std::path::Path) -> Option<ElfFacts> {
        let m = std::fs::metadata(path).ok()?;
        self.facts(&m, || File::open(path).ok())
    }

    /// The cached facts of the file `m` describes, or read from `open()`.
    fn facts(
        &mut self,
        m: &std::fs::Metadata,
        open: impl FnOnce() -> Option<File>,
    ) -> Option<ElfFacts> {
        let key = (m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec());
        if let Some(v) = self.seen.get(&key) {
            return v.clone();
        }
        let v = read_facts(&open()?);
        if self.seen.len() > 4096 {
            self.seen.clear();
        }
        self.seen.insert(key, v.clone());
        v
    }

    /// (device, inode) of `pid`'s program, as [`ElfCache::facts_for_pid`] read it.
    pub fn exe_id(&self, pid: i32) -> Option<(u64, u64)> {
        self.last_exe
            .as_ref()
            .filter(|(p, _)| *p == pid)
            .map(|(_, m)| (m.dev(), m.ino()))
    }

    /// The metadata [`ElfCache::facts_for_pid`] read for `pid`'s program, taken.
    pub fn take_exe_meta(&mut self, pid: i32) -> Option<std::fs::Metadata> {
        self.last_exe
            .take()
            .filter(|(p, _)| *p == pid)
            .map(|(_, m)| m)
    }
}

fn machine_name(m: u16) -> String {
    match m {
        header::EM_X86_64 => "x86_64".into(),
        header::EM_386 => "i386".into(),
        header::EM_AARCH64 => "aarch64".into(),
        header::EM_ARM => "arm".into(),
        header::EM_RISCV => "riscv".into(),
        other => header::machine_to_str(other).to_string(),
    }
}

/// Reads the ELF header and program headers of an open file.
pub fn read_facts(f: &File) -> Option<ElfFacts> {
    let mut head = [0u8; 64];
    let n = f.read_at(&mut head, 0).ok()?;
    let h: Header = goblin::elf::Elf::parse_header(&head[..n]).ok()?;
    let ctx = goblin::container::Ctx::new(h.container().ok()?, h.endianness().ok()?);
    let ph_len = usize::from(h.e_phnum).checked_mul(usize::from(h.e_phentsize))?;
    if ph_len > 1 << 20 {
        return None;
    }
    let mut ph = vec![0u8; ph_len];
    if f.read_at(&mut ph, h.e_phoff).ok()? != ph_len {
        return None;
    }
    let phdrs = ProgramHeader::parse(&ph, 0, usize::from(h.e_phnum), ctx).ok()?;
    let mut interp = None;
    let mut dynamic = false;
    for p in &phdrs {
        if p.p_type == PT_INTERP && p.p_filesz > 0 && p.p_filesz < 4096 {
            let mut b = vec![0u8; p.p_filesz as usize];
            if f.read_at(&mut b, p.p_offset).ok()? == b.len() {
                while b.last() == Some(&0) {
                    b.pop();
                }
                interp = Some(RawStr(b));
            }
        }
        dynamic |= p.p_type == PT_DYNAMIC;
    }
    let linkage = if interp.is_some() {
        "dynamic"
    } else if dynamic && h.e_type == header::ET_DYN {
        "static-pie"
    } else {
        "static"
    };
    Some(ElfFacts {
        bits: if ctx.container.is_big() { 64 } else { 32 },
        machine: machine_name(h.e_machine),
        linkage: linkage.into(),
        interp,
    })
}

/// The `#!` line of a script, if `path` (as the tracee sees it) is one.
pub fn shebang(path: &std::path::Path) -> Option<RawStr> {
    let f = File::open(path).ok()?;
    let mut b = [0u8; 256];
    let n = f.read_at(&mut b, 0).ok()?;
    let b = &b[..n];
    if !b.starts_with(b"#!") {
        return None;
    }
    let end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
    Some(RawStr(b[..end].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_test_binary_is_a_64_bit_dynamic_elf() {
        let f = File::open("/proc/self/exe").unwrap();
        let facts = read_facts(&f).unwrap();
        assert_eq!(facts.bits, 64);
        assert_eq!(facts.linkage, "dynamic");
        assert!(facts.interp.is_some());
    }

    #[test]
    fn a_shell_script_shows_its_shebang_line() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.sh");
        std::fs::write(&p, "#!/bin/sh -e\necho hi\n").unwrap();
        assert_eq!(shebang(&p).unwrap().lossy(), "#!/bin/sh -e");
        std::fs::write(&p, "echo hi\n").unwrap();
        assert!(shebang(&p).is_none());
    }
}
