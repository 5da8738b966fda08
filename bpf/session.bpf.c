/* setsid and setpgid: sessions and process groups, with their result. */

SYS_EXIT(setsid)
{
	int pid = (__u32)bpf_get_current_pid_tgid();
	if (!traced(pid))
		return 0;
	struct sys_args none = {};
	struct rec_sys *r = sys_rec(S_SETSID, &none, ctx);
	if (r)
		bpf_ringbuf_submit(r, QUIET);
	return 0;
}

SYS_EXIT(setpgid) { return plain_exit(S_SETPGID, ctx); }
