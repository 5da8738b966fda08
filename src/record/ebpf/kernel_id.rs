//! Which kernel this is, for the minimal BTF build.rs makes
//! (`bpftool gen min_core_btf`): it is only right for the kernel whose BTF
//! it was cut from. The build ID identifies the kernel image, and the BTF
//! size guards against a build ID that was not unique. build.rs includes
//! this file too (one definition for the build and the check).

/// The running kernel's identity: the GNU build ID note of
/// /sys/kernel/notes, then the size of /sys/kernel/btf/vmlinux
/// (little-endian u64). None when either cannot be read.
pub(crate) fn kernel_id() -> Option<Vec<u8>> {
    let notes = std::fs::read("/sys/kernel/notes").ok()?;
    let mut id = build_id(&notes)?.to_vec();
    let size = std::fs::metadata("/sys/kernel/btf/vmlinux").ok()?.len();
    id.extend_from_slice(&size.to_le_bytes());
    Some(id)
}

/// The descriptor of the NT_GNU_BUILD_ID note (type 3, name "GNU") in a
/// sequence of ELF notes (4-byte aligned name and descriptor).
pub(crate) fn build_id(mut notes: &[u8]) -> Option<&[u8]> {
    let word = |b: &[u8], i: usize| -> Option<usize> {
        Some(u32::from_ne_bytes(b.get(i..i + 4)?.try_into().ok()?) as usize)
    };
    let pad = |n: usize| (n + 3) & !3;
    while notes.len() >= 12 {
        let (namesz, descsz, kind) = (word(notes, 0)?, word(notes, 4)?, word(notes, 8)?);
        let name = notes.get(12..12 + namesz)?;
        let desc_at = 12 + pad(namesz);
        let desc = notes.get(desc_at..desc_at + descsz)?;
        if kind == 3 && name == b"GNU\0" {
            return Some(desc);
        }
        notes = notes.get(desc_at + pad(descsz)..)?;
    }
    None
}
