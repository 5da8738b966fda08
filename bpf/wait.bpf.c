/* wait4 (with the status word the kernel wrote) and kill, at their exit. */

ENTER(wait4, 3)
SEC("tracepoint/syscalls/sys_exit_wait4")
int exit_wait4(struct sys_exit_ctx *ctx)
{
	struct sys_args a;
	if (!take_args(&a))
		return 0;
	long ret = ctx->ret;
	struct rec_sys *r = sys_rec(S_WAIT4, &a, ret);
	if (!r)
		return 0;
	if (ret > 0 && a.a[1] &&
	    bpf_probe_read_user(&r->aux[0], sizeof(r->aux[0]), (void *)a.a[1]) == 0)
		r->aux_ok = 1;
	bpf_ringbuf_submit(r, 0);
	return 0;
}

ENTER(kill, 2)
SEC("tracepoint/syscalls/sys_exit_kill")
int exit_kill(struct sys_exit_ctx *ctx) { return plain_exit(S_KILL, ctx); }
