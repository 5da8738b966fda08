/* The per-syscall tracepoints (syscalls:sys_enter_X / sys_exit_X): only the
 * syscalls forkscope records pay for a program. fentry/fexit would give
 * arguments and result in one program, but the kernel refuses them on the
 * machines this was built on (EPERM at load); raw_syscalls would make every
 * syscall of the traced program pay. The enter program keeps the
 * arguments per task until the exit program has the result. */
#ifndef FORKSCOPE_SYSCALLS_H
#define FORKSCOPE_SYSCALLS_H

/* The tracepoints' records: 8 bytes of common fields, the syscall number
 * (an int padded to 8), then the arguments, each 8 bytes; at exit, the
 * result. */
struct sys_enter_ctx {
	__u64 common;
	long nr;
	unsigned long args[6];
};

struct sys_exit_ctx {
	__u64 common;
	long nr;
	long ret;
};

/* The arguments kept from entry to exit, with which of our calls it is
 * (enum sys_id; the signal programs look for a kill in flight), whether
 * it was already recorded (a kill seen taking effect before its exit), and
 * one value an enter program read (waitid(P_PIDFD): the pid). */
struct sys_args {
	unsigned long a[4];
	__u32 sys;
	__u32 done;
	__s64 extra;
};

/* Arguments of the syscall each traced task is in. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct sys_args);
} inflight SEC(".maps");

/* Keeps the first `n` arguments (a constant): the kernel refuses a program
 * that reads past the tracepoint's record (EACCES at attach), and each
 * syscall's record has only its own arguments. */
static __always_inline int save_tagged(struct sys_enter_ctx *ctx, int n, __u32 sys, __s64 extra)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (!traced(tid))
		return 0;
	struct sys_args a = {};
	if (n > 0) a.a[0] = ctx->args[0];
	if (n > 1) a.a[1] = ctx->args[1];
	if (n > 2) a.a[2] = ctx->args[2];
	if (n > 3) a.a[3] = ctx->args[3];
	a.sys = sys;
	a.extra = extra;
	bpf_map_update_elem(&inflight, &tid, &a, BPF_ANY);
	return 0;
}

static __always_inline int save_args(struct sys_enter_ctx *ctx, int n)
{
	return save_tagged(ctx, n, 0, 0);
}

/* Copies out and forgets the current task's saved arguments; 0 when it
 * had none (not traced, or traced only since the call began). */
static __always_inline int take_args(struct sys_args *out)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct sys_args *a = bpf_map_lookup_elem(&inflight, &tid);
	if (!a)
		return 0;
	__builtin_memcpy(out, a, sizeof(*out));
	bpf_map_delete_elem(&inflight, &tid);
	return 1;
}

/* The enter program of syscall NAME, keeping N arguments. */
#define ENTER(NAME, N)                                                  \
	SEC("tracepoint/syscalls/sys_enter_" #NAME)                     \
	int enter_##NAME(struct sys_enter_ctx *ctx) { return save_args(ctx, N); }

/* The enter program of syscall NAME, keeping N arguments and its id SYS. */
#define ENTER_TAGGED(NAME, N, SYS)                                      \
	SEC("tracepoint/syscalls/sys_enter_" #NAME)                     \
	int enter_##NAME(struct sys_enter_ctx *ctx) { return save_tagged(ctx, N, SYS, 0); }

#endif
