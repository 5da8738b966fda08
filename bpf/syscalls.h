/* The per-syscall tracepoints (syscalls:sys_exit_X): only the syscalls
 * forkscope records pay for a program. fentry/fexit would give arguments
 * and result in one program, but the kernel refuses them on the machines
 * this was built on (EPERM at load); raw_syscalls would make every syscall
 * of the traced program pay.
 *
 * Only the exit tracepoints are used: the arguments are read there from
 * the task's saved user registers (x86_64: di, si, dx, r10), which a
 * syscall leaves as they were (execve replaces them only when it
 * succeeds, and then the exit record is not needed). No enter program, no
 * map of arguments in flight: each tracepoint attached costs forkscope's
 * start a perf_event_open that waits for the kernel to patch its code on
 * every CPU (tens of ms on a busy VM), so half as many tracepoints start
 * twice as fast, and each call costs one program run instead of two and
 * no hash-map update. */
#ifndef FORKSCOPE_SYSCALLS_H
#define FORKSCOPE_SYSCALLS_H

/* The exit tracepoints' records: 8 bytes of common fields, the syscall
 * number (an int padded to 8), then the result. */
struct sys_exit_ctx {
	__u64 common;
	long nr;
	long ret;
};

struct sys_args {
	unsigned long a[4];
};

/* The current task's syscall arguments, from its user registers; 0 when
 * the task is not traced. */
static __always_inline int take_args(struct sys_args *out)
{
	if (!current_traced())
		return 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return 0;
	out->a[0] = BPF_CORE_READ(regs, di);
	out->a[1] = BPF_CORE_READ(regs, si);
	out->a[2] = BPF_CORE_READ(regs, dx);
	out->a[3] = BPF_CORE_READ(regs, r10);
	return 1;
}

#endif
