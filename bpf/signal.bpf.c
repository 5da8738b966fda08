/* Signals: the kill family (kill, tkill, tgkill, rt_sigqueueinfo,
 * rt_tgsigqueueinfo, pidfd_send_signal) at their exit, and the signals
 * the traced tasks receive (the signal_generate and signal_deliver
 * tracepoints), as the ptrace backend sees them at its signal-delivery
 * stops.
 *
 * Untraced, a signal the task ignores (SIG_IGN, or a default action of
 * "ignore": SIGCHLD, SIGCONT, SIGURG, SIGWINCH) is dropped when it is sent
 * (prepare_signal -> sig_ignored) and never delivered; a ptraced task gets
 * it all the same (sig_ignored() makes an exception for ptraced tasks).
 * So: a signal dropped at generation is recorded there, every other one
 * when it is delivered. SIGKILL is never recorded (ptrace has no stop for
 * it; the exit says it). */

#define SIGKILL 9
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGCONT 18
#define SI_USER 0
#define SI_KERNEL 0x80
#define SIGNAL_GROUP_EXIT 0x00000004

/* Our id (enum sys_id) of the kill-family call with syscall number `nr`
 * (x86_64), or 0. */
static __always_inline __u32 kill_id(long nr)
{
	switch (nr) {
	case __NR_kill: return S_KILL;
	case __NR_tkill: return S_TKILL;
	case __NR_tgkill: return S_TGKILL;
	case __NR_rt_sigqueueinfo: return S_RT_SIGQUEUEINFO;
	case __NR_rt_tgsigqueueinfo: return S_RT_TGSIGQUEUEINFO;
	case __NR_pidfd_send_signal: return S_PIDFD_SEND_SIGNAL;
	}
	return 0;
}

/* The signal argument of a kill-family call. */
static __always_inline long kill_sig(__u32 sys, struct sys_args *a)
{
	if (sys == S_TGKILL || sys == S_RT_TGSIGQUEUEINFO)
		return (int)a->a[2];
	return (int)a->a[1];
}

static __always_inline int kill_exit(__u32 sys, struct sys_exit_ctx *ctx)
{
	struct sys_args a;
	if (!take_args(&a))
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (bpf_map_delete_elem(&kill_sent, &tid) == 0)
		return 0; /* recorded when the signal was sent */
	struct rec_sys *r = sys_rec(sys, &a, ctx);
	if (r)
		bpf_ringbuf_submit(r, QUIET);
	return 0;
}

/* kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo,
 * pidfd_send_signal. */
SYS_EXIT(kill) { return kill_exit(kill_id(ctx->nr), ctx); }

/* Fills a rec_signal from a siginfo (NULL-like values are the kernel's
 * SEND_SIG_NOINFO, a kill by the current task, and SEND_SIG_PRIV). */
static __always_inline void sig_info(struct rec_signal *r, struct kernel_siginfo *info)
{
	r->status = 0;
	if ((unsigned long)info == 0) {
		r->code = SI_USER;
		r->from = bpf_get_current_pid_tgid() >> 32;
	} else if ((unsigned long)info == 1) {
		r->code = SI_KERNEL;
		r->from = 0;
	} else {
		r->code = BPF_CORE_READ(info, si_code);
		r->from = BPF_CORE_READ(info, _sifields._kill._pid);
		r->status = BPF_CORE_READ(info, _sifields._sigchld._status);
	}
}

static __always_inline void emit_signal(int pid, int sig, __u32 at, __u32 stops,
					struct kernel_siginfo *info)
{
	struct rec_signal *r = RESERVE(struct rec_signal, REC_SIGNAL, pid);
	if (!r)
		return;
	r->sig = sig;
	r->at = at;
	r->stops = stops;
	sig_info(r, info);
	bpf_ringbuf_submit(r, QUIET);
}

SEC("raw_tp/signal_generate")
int BPF_PROG(on_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	/* A kill by a traced task takes effect: record it now (its exit
	 * will not), so that the timeline never shows the effect before
	 * its cause. */
	struct sys_args a;
	__u32 me = (__u32)bpf_get_current_pid_tgid();
	if (take_args(&a)) {
		struct task_struct *cur = (struct task_struct *)bpf_get_current_task_btf();
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(cur);
		__u32 sys = regs ? kill_id(BPF_CORE_READ(regs, orig_ax)) : 0;
		__u8 one = 1;
		if (sys && kill_sig(sys, &a) == sig &&
		    bpf_map_update_elem(&kill_sent, &me, &one, BPF_NOEXIST) == 0) {
			struct rec_sys *k = RESERVE(struct rec_sys, REC_SYS, me);
			if (k) {
				fill_sys_as(k, sys, &a, 0, -1);
				bpf_ringbuf_submit(k, QUIET);
			}
		}
	}
	__u32 pid = BPF_CORE_READ(task, pid);
	if (sig == SIGKILL || !traced(pid))
		return 0;
	if (result == TRACE_SIGNAL_IGNORED) {
		emit_signal(pid, sig, SIG_IGNORED, 0, info);
	} else if (sig == SIGCONT) {
		emit_signal(pid, sig, SIG_CONT, 0, info);
	} else if (result == TRACE_SIGNAL_DELIVERED) {
		/* A fatal signal with the default action, not dumping core:
		 * complete_signal() (which ran just before this tracepoint)
		 * ends the whole group at once, with a SIGKILL to each thread;
		 * the signal itself is never dequeued (a ptraced task's is:
		 * complete_signal leaves them alone). It is recorded here. */
		unsigned int flags = BPF_CORE_READ(task, signal, flags);
		int code = BPF_CORE_READ(task, signal, group_exit_code);
		if ((flags & SIGNAL_GROUP_EXIT) && code == sig)
			emit_signal(pid, sig, SIG_DELIVERED, 0, info);
	}
	return 0;
}

SEC("raw_tp/signal_deliver")
int BPF_PROG(on_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	__u32 pid = (__u32)bpf_get_current_pid_tgid();
	if (sig == SIGKILL || !traced(pid))
		return 0;
	/* With the default action a stop signal stops the task (get_signal:
	 * do_signal_stop), except SIGTSTP/SIGTTIN/SIGTTOU in an orphaned
	 * process group. */
	void *handler = BPF_CORE_READ(ka, sa.sa_handler);
	__u32 stops = !handler && (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU);
	emit_signal(pid, sig, SIG_DELIVERED, stops, info);
	return 0;
}
