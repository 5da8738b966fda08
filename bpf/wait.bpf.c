/* wait4 (with the status word the kernel wrote) and waitid (with the
 * siginfo it wrote), at their exit. */

SYS_EXIT(wait4)
{
	struct sys_args a;
	if (!take_args(&a))
		return 0;
	long ret = ctx->ret;
	struct rec_sys *r = sys_rec(S_WAIT4, &a, ctx);
	if (!r)
		return 0;
	if (ret > 0 && a.a[1] &&
	    bpf_probe_read_user(&r->aux[0], sizeof(r->aux[0]), (void *)a.a[1]) == 0)
		r->aux_ok = 1;
	bpf_ringbuf_submit(r, QUIET);
	return 0;
}

#define P_PIDFD 3
#define WNOWAIT 0x01000000

/* waitid(idtype, id, infop, options, rusage). For P_PIDFD, the pid the
 * pidfd names: its struct pid keeps the number after the process is
 * reaped (free_pid() takes it out of the namespace's idr only). */
static __always_inline __s64 pidfd_pid(int fd)
{
	struct file *f = fd_file(fd);
	if (!f)
		return 0;
	/* pidfs keeps the struct pid in the inode (pidfd_pid()); before
	 * pidfs, an anonymous inode's file had it. */
	struct pid *p;
	if (BPF_CORE_READ(f, f_inode, i_sb, s_magic) == PID_FS_MAGIC)
		p = BPF_CORE_READ(f, f_inode, i_private);
	else
		p = BPF_CORE_READ(f, private_data);
	return p ? BPF_CORE_READ(p, numbers[0].nr) : 0;
}

/* The record: args[2] (infop, not needed) holds the P_PIDFD pid; aux the
 * siginfo's si_pid and si_status, ino its si_code. A WNOWAIT peek is not
 * recorded (nothing changed). */
SYS_EXIT(waitid)
{
	struct sys_args a;
	if (!take_args(&a) || (a.a[3] & WNOWAIT))
		return 0;
	struct rec_sys *r = sys_rec(S_WAITID, &a, ctx);
	if (!r)
		return 0;
	r->args[2] = (int)a.a[0] == P_PIDFD ? pidfd_pid((int)a.a[1]) : 0;
	if (ctx->ret == 0 && a.a[2]) {
		int si[7] = {};
		if (bpf_probe_read_user(si, sizeof(si), (void *)a.a[2]) == 0) {
			r->ino = (__u32)si[2];
			r->aux[0] = si[4];
			r->aux[1] = si[6];
			r->aux_ok = 1;
		}
	}
	bpf_ringbuf_submit(r, QUIET);
	return 0;
}
