/* exec: the new argv from the new mm's argument area and the fd table as
 * the new program gets it (close-on-exec fds are already closed), read at
 * sched_process_exec, before the program runs. A failed execve is seen at
 * the syscall's exit tracepoint, with the path and argv read from its
 * arguments. */

struct fd_walk {
	struct file **arr;
	unsigned long *open;
	unsigned long word; /* the open_fds word of fds i/64*64 .. +63 */
	unsigned int max;
	int pid;
};

/* bpf_loop callback: one fd of the table. The bitmap word is read once
 * per 64 fds, not once per fd (a kernel read costs more than the rest of
 * a closed fd's step). */
static long exec_fd(__u64 i, void *ctx)
{
	struct fd_walk *w = ctx;
	if (i >= w->max)
		return 1;
	if (i % 64 == 0) {
		w->word = 0;
		bpf_probe_read_kernel(&w->word, sizeof(w->word), &w->open[i / 64]);
	}
	if (!(w->word & (1UL << (i % 64))))
		return 0;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &w->arr[i]);
	if (f)
		emit_fd(w->pid, i, (__u64)f, 0);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 pid = BPF_CORE_READ(p, pid);
	if (!traced(pid) && !traced(old_pid))
		return 0;
	if (old_pid != pid) {
		/* A non-leader thread exec'd and took the leader's id. */
		__u32 old = old_pid;
		__u8 one = 1;
		bpf_map_delete_elem(&pids, &old);
		bpf_map_update_elem(&pids, &pid, &one, BPF_ANY);
	}
	struct rec_exec *r = RESERVE(struct rec_exec, REC_EXEC, pid);
	if (!r)
		return 0;
	r->old_pid = old_pid;
	const char *fname = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(r->path, STR_MAX, fname);
	r->path_len = n > 0 ? n - 1 : 0;
	unsigned long start = BPF_CORE_READ(p, mm, arg_start);
	unsigned long end = BPF_CORE_READ(p, mm, arg_end);
	unsigned long len = end - start;
	r->argv_cut = 0;
	if (len > ARGV_MAX - 1) {
		len = ARGV_MAX - 1;
		r->argv_cut = 1;
	}
	r->argv_len = 0;
	if (bpf_probe_read_user(r->argv, len & (ARGV_MAX - 1), (void *)start) == 0)
		r->argv_len = len;
	bpf_ringbuf_submit(r, QUIET);

	struct fd_walk w = { .pid = pid };
	/* (Plain locals: CO-RE relocates reads through kernel types only.) */
	struct fdtable *fdt = BPF_CORE_READ(p, files, fdt);
	w.arr = BPF_CORE_READ(fdt, fd);
	w.open = BPF_CORE_READ(fdt, open_fds);
	w.max = BPF_CORE_READ(fdt, max_fds);
	bpf_loop(EXEC_FDS, exec_fd, &w, 0);

	struct rec_end *e = RESERVE(struct rec_end, REC_EXEC_END, pid);
	if (e)
		bpf_ringbuf_submit(e, QUIET);
	return 0;
}

/* A failed execve/execveat: path and up to FAILED_ARGS elements of argv. */
static __always_inline int exec_failed(const char *path, const char *const *argv, long ret)
{
	if (ret >= 0)
		return 0;
	int pid = (__u32)bpf_get_current_pid_tgid();
	struct rec_exec_fail *r = RESERVE(struct rec_exec_fail, REC_EXEC_FAIL, pid);
	if (!r)
		return 0;
	r->ret = ret;
	r->argc = 0;
	r->more = 0;
	bpf_probe_read_user_str(r->path, STR_MAX, path);
	for (int i = 0; i < FAILED_ARGS; i++) {
		const char *a = NULL;
		if (!argv || bpf_probe_read_user(&a, sizeof(a), &argv[i]) || !a)
			goto done;
		bpf_probe_read_user_str(r->argv[i], FAILED_ARG_LEN, a);
		r->argc = i + 1;
	}
	{
		const char *a = NULL;
		bpf_probe_read_user(&a, sizeof(a), &argv[FAILED_ARGS]);
		r->more = a != NULL;
	}
done:
	bpf_ringbuf_submit(r, QUIET);
	return 0;
}

/* execve(path, argv, envp) and execveat(dirfd, path, argv, envp, flags). */
SYS_EXIT(execve)
{
	struct sys_args a;
	if (ctx->ret >= 0 || !take_args(&a))
		return 0;
	if (ctx->nr == __NR_execveat)
		return exec_failed((void *)a.a[1], (void *)a.a[2], ctx->ret);
	return exec_failed((void *)a.a[0], (void *)a.a[1], ctx->ret);
}
