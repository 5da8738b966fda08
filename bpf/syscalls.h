/* The per-syscall tracepoints (syscalls:sys_exit_X): only the syscalls
 * forkscope records pay for a program; the others cost nothing, as with
 * the seccomp filter. Measured against one program on the raw sys_exit
 * tracepoint that jumps (tail call) to a handler by syscall number: that
 * one attaches in a fraction of a millisecond instead of ~53 attaches,
 * but every syscall of every task then runs a BPF program, ~100 ns each
 * on this VM (retpolines, safe RET): dd bs=1's 600,000 read/write calls
 * took 0.065 s more system time, more than the whole start of forkscope.
 * fentry/fexit would give arguments and result in one program, but the
 * kernel refuses them on the machines this was built on (EPERM at load).
 *
 * A handler may serve several syscalls of one family (dup/dup2/dup3, the
 * 25 calls that make one fd): it is verified once and attached to each
 * syscall's tracepoint (the extra ones are listed in
 * src/record/ebpf/load.rs, SHARED); ctx->nr says which call it is.
 *
 * Only the exit tracepoints are used: the arguments are read there from
 * the task's saved user registers (x86_64: di, si, dx, r10), which a
 * syscall leaves as they were (execve replaces them only when it
 * succeeds, and then the exit record is not needed). No enter program, no
 * map of arguments in flight, one program run per call.
 *
 * To record one more syscall: SYS_EXIT(name) { ...ctx->nr, ctx->ret... },
 * or a line in SHARED for a handler that already fits. */
#ifndef FORKSCOPE_SYSCALLS_H
#define FORKSCOPE_SYSCALLS_H

/* The exit tracepoints' records: 8 bytes of common fields, the syscall
 * number (an int padded to 8), then the result. */
struct sys_exit_tp {
	__u64 common;
	long nr;
	long ret;
};

/* A syscall's exit as the handlers see it: the tracepoint's context (for
 * tail calls), the syscall number and its result. */
struct sys_exit_ctx {
	void *raw;
	long nr;
	long ret;
};

/* Defines the program on syscall `name`'s exit tracepoint, exit_NAME,
 * running the body that follows with `ctx` a struct sys_exit_ctx *. */
#define SYS_EXIT(NAME)                                                  \
	static __always_inline int body_##NAME(struct sys_exit_ctx *ctx); \
	SEC("tracepoint/syscalls/sys_exit_" #NAME)                      \
	int exit_##NAME(struct sys_exit_tp *tp)                         \
	{                                                               \
		struct sys_exit_ctx c = {                               \
			.raw = tp,                                      \
			.nr = tp->nr,                                   \
			.ret = tp->ret,                                 \
		};                                                      \
		return body_##NAME(&c);                                 \
	}                                                               \
	static __always_inline int body_##NAME(struct sys_exit_ctx *ctx)

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
