/* The fd calls, recorded at their exit with the arguments kept at entry:
 * pipe, pipe2, dup, dup2, dup3, fcntl, open, openat, creat, close. User
 * space turns each rec_sys into the same event the ptrace backend writes. */

/* Fills a rec_sys's fields from the saved arguments and the result. */
static __always_inline void fill_sys_as(struct rec_sys *r, __u32 sys, struct sys_args *a,
					long ret, long nr)
{
	r->sys = sys;
	r->args[0] = a->a[0];
	r->args[1] = a->a[1];
	r->args[2] = a->a[2];
	r->args[3] = a->a[3];
	r->ret = ret;
	r->aux[0] = r->aux[1] = 0;
	r->aux_ok = 0;
	r->ino = 0;
	r->nr = nr;
	r->pad = 0;
}

static __always_inline void fill_sys(struct rec_sys *r, __u32 sys, struct sys_args *a,
				     struct sys_exit_ctx *ctx)
{
	fill_sys_as(r, sys, a, ctx->ret, ctx->nr);
}

/* A rec_sys for the current task; NULL when the buffer is full. */
static __always_inline struct rec_sys *sys_rec(__u32 sys, struct sys_args *a,
					       struct sys_exit_ctx *ctx)
{
	int pid = (__u32)bpf_get_current_pid_tgid();
	struct rec_sys *r = RESERVE(struct rec_sys, REC_SYS, pid);
	if (r)
		fill_sys(r, sys, a, ctx);
	return r;
}

static __always_inline int plain_exit(__u32 sys, struct sys_exit_ctx *ctx)
{
	struct sys_args a;
	if (!take_args(&a))
		return 0;
	struct rec_sys *r = sys_rec(sys, &a, ctx);
	if (r)
		bpf_ringbuf_submit(r, QUIET);
	return 0;
}

/* pipe(int fds[2]) / pipe2(fds, flags): the fds the kernel wrote, and the
 * pipe's inode (the read end's). */
static __always_inline int pipe_exit(__u32 sys, struct sys_exit_ctx *ctx)
{
	struct sys_args a;
	if (!take_args(&a))
		return 0;
	long ret = ctx->ret;
	struct rec_sys *r = sys_rec(sys, &a, ctx);
	if (!r)
		return 0;
	if (ret == 0 && bpf_probe_read_user(r->aux, sizeof(r->aux), (void *)a.a[0]) == 0) {
		r->aux_ok = 1;
		struct file *f = fd_file(r->aux[0]);
		if (f)
			r->ino = BPF_CORE_READ(f, f_inode, i_ino);
	}
	bpf_ringbuf_submit(r, QUIET);
	return 0;
}

/* pipe and pipe2. */
SYS_EXIT(pipe) { return pipe_exit(ctx->nr == __NR_pipe ? S_PIPE : S_PIPE2, ctx); }

/* dup, dup2, dup3. */
SYS_EXIT(dup)
{
	__u32 sys = ctx->nr == __NR_dup ? S_DUP : ctx->nr == __NR_dup2 ? S_DUP2 : S_DUP3;
	return plain_exit(sys, ctx);
}
SYS_EXIT(close) { return plain_exit(S_CLOSE, ctx); }

/* fcntl: only F_DUPFD, F_DUPFD_CLOEXEC and F_SETFD change the fd table;
 * the others are not recorded. */
static __always_inline int fcntl_exit(struct sys_exit_ctx *ctx)
{
	struct sys_args a;
	if (!take_args(&a))
		return 0;
	long cmd = (int)a.a[1];
	if (cmd != 0 /* F_DUPFD */ && cmd != 1030 /* F_DUPFD_CLOEXEC */ && cmd != 2 /* F_SETFD */)
		return 0;
	struct rec_sys *r = sys_rec(S_FCNTL, &a, ctx);
	if (r)
		bpf_ringbuf_submit(r, QUIET);
	return 0;
}
SYS_EXIT(fcntl) { return fcntl_exit(ctx); }

/* open/openat/creat: the path as passed (read at exit: the caller's memory,
 * unchanged by the call), then what the new fd is (a rec_fd). */
static __always_inline int open_exit(__u32 sys, int path_arg, struct sys_exit_ctx *ctx)
{
	struct sys_args a;
	if (!take_args(&a))
		return 0;
	long ret = ctx->ret;
	int pid = (__u32)bpf_get_current_pid_tgid();
	struct rec_open *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_lost();
		return 0;
	}
	r->s.h.kind = REC_SYS;
	r->s.h.pid = pid;
	r->s.h.ts = bpf_ktime_get_ns();
	fill_sys(&r->s, sys, &a, ctx);
	bpf_probe_read_user_str(r->str, STR_MAX, (void *)a.a[path_arg & 1]);
	bpf_ringbuf_submit(r, QUIET);
	if (ret >= 0)
		new_fd(ctx->raw, pid, ret);
	return 0;
}

/* open, openat (the path is its second argument), creat. */
SYS_EXIT(open)
{
	if (ctx->nr == __NR_openat)
		return open_exit(S_OPENAT, 1, ctx);
	return open_exit(ctx->nr == __NR_open ? S_OPEN : S_CREAT, 0, ctx);
}
