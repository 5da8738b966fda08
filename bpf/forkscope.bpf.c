/* forkscope's eBPF recorder: one compilation unit that includes one file per
 * concern (the wire format, the maps, fd targets, the process tree, exec,
 * the fd calls, the other fd-making calls, wait, signals, sessions). Built by build.rs with clang against a
 * vmlinux.h generated from this machine's BTF; loaded by libbpf (CO-RE
 * relocates the struct offsets for the running kernel). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
/* x86_64 syscall numbers (__NR_*), from the kernel's uapi headers. */
#include <asm/unistd_64.h>

#if !defined(__TARGET_ARCH_x86)
/* process.bpf.c reads the x86_64 syscall registers and numbers. */
#error "forkscope's eBPF backend knows x86_64 only"
#endif

#include "wire.h"
#include "maps.h"
#include "fdpath.h"
#include "syscalls.h"
#include "process.bpf.c"
#include "exec.bpf.c"
#include "fds.bpf.c"
#include "wait.bpf.c"
#include "newfd.bpf.c"
#include "signal.bpf.c"
#include "session.bpf.c"
#include "rename.bpf.c"

char LICENSE[] SEC("license") = "GPL";
