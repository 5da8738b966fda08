/* prctl(PR_SET_NAME): the name a task gives itself (its comm, what ps
 * shows). Read at the exit of the call from the task's own comm, the
 * bytes the kernel kept (at most 15, cut as the kernel cuts them), and
 * sent as a rec_open whose string is that name (a rec_sys alone has no
 * room for it). Every other prctl option returns at once. */

#define PR_SET_NAME_OPTION 15

SEC("tracepoint/syscalls/sys_exit_prctl")
int exit_prctl(struct sys_exit_ctx *ctx)
{
	struct sys_args a;
	if (!take_args(&a) || (int)a.a[0] != PR_SET_NAME_OPTION)
		return 0;
	int pid = (__u32)bpf_get_current_pid_tgid();
	struct rec_open *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_lost();
		return 0;
	}
	r->s.h.kind = REC_SYS;
	r->s.h.pid = pid;
	r->s.h.ts = bpf_ktime_get_ns();
	fill_sys(&r->s, S_PRCTL, &a, ctx);
	r->str[0] = 0;
	/* A failed call (EFAULT) renamed nothing: no name. */
	if (ctx->ret == 0)
		bpf_get_current_comm(r->str, 16);
	bpf_ringbuf_submit(r, QUIET);
	return 0;
}
