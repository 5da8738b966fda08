/* The traced tree: fork adds a traced parent's child to the pid set, exit
 * takes the task out. Both are raw tracepoints (attached by name: no tracefs, and
 * unlike tp_btf no search of the kernel BTF at load). */

/* clone3's struct clone_args begins with the flags (u64). */
#define NR_CLONE 56
#define NR_CLONE3 435

SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, pid);
	if (!traced(ppid))
		return 0;
	__u32 cpid = BPF_CORE_READ(child, pid);
	__u8 one = 1;
	/* Added before the child first runs: the tracepoint fires in
	 * kernel_clone() before wake_up_new_task(). */
	bpf_map_update_elem(&pids, &cpid, &one, BPF_ANY);

	struct rec_fork *r = RESERVE(struct rec_fork, REC_FORK, ppid);
	if (!r)
		return 0;
	r->child = cpid;
	r->flags = 0;
	r->nr = -1;
	/* Which call: the parent is in its syscall; its user registers say
	 * which and with what flags (x86_64: orig_ax, first argument in di). */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs((struct task_struct *)bpf_get_current_task_btf());
	if (regs) {
		long nr = BPF_CORE_READ(regs, orig_ax);
		unsigned long a0 = BPF_CORE_READ(regs, di);
		r->nr = nr;
		if (nr == NR_CLONE)
			r->flags = a0;
		else if (nr == NR_CLONE3)
			bpf_probe_read_user(&r->flags, sizeof(r->flags), (void *)a0);
	}
	bpf_ringbuf_submit(r, QUIET);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, pid);
	__u8 *v = bpf_map_lookup_elem(&pids, &pid);
	if (!v)
		return 0;
	/* The first process (2 in the pid set, put there by forkscope) wakes
	 * forkscope, which then ends as soon as the kernel lets it reap it.
	 * Without the forced wake-up the kernel wakes a reader only if it
	 * has read everything before this record (BPF_RB_NO_WAKEUP records
	 * usually wait there), and forkscope saw the end at its next tick,
	 * up to 10 ms later. Other exits wake it only as any record does. */
	__u64 wake = *v == 2 ? BPF_RB_FORCE_WAKEUP : QUIET;
	struct rec_exit *r = RESERVE(struct rec_exit, REC_EXIT, pid);
	if (r) {
		/* do_exit() has set exit_code (a wait status word) by now. */
		r->code = BPF_CORE_READ(p, exit_code);
		bpf_ringbuf_submit(r, wake);
	}
	bpf_map_delete_elem(&pids, &pid);
	bpf_map_delete_elem(&kill_sent, &pid);
	return 0;
}
