/* The other calls that make fds (sockets, and the one-fd calls: eventfd,
 * memfd_create, epoll_create, signalfd, timerfd_create, inotify_init,
 * pidfd_open, ...) and the other calls that change the fd table
 * (close_range, unshare). A new fd is sent as a rec_fd after its rec_sys,
 * as an open's is: what it refers to, read in the kernel. */

/* socket(domain, type, protocol), accept(fd, ...), accept4(fd, addr, len,
 * flags): the new socket's inode. socketpair(domain, type, protocol, sv):
 * the two fds the kernel wrote, and the first one's inode. */
static __always_inline int socket_exit(__u32 sys, struct sys_exit_ctx *ctx)
{
	struct sys_args a;
	if (!take_args(&a))
		return 0;
	long ret = ctx->ret;
	if (ret < 0)
		return 0; /* a failure changed nothing: not recorded */
	struct rec_sys *r = sys_rec(sys, &a, ctx);
	if (!r)
		return 0;
	int fd = ret;
	if (sys == S_SOCKETPAIR) {
		if (bpf_probe_read_user(r->aux, sizeof(r->aux), (void *)a.a[3]) == 0)
			r->aux_ok = 1;
		fd = r->aux[0];
	}
	struct file *f = fd_file(fd);
	if (f)
		r->ino = BPF_CORE_READ(f, f_inode, i_ino);
	bpf_ringbuf_submit(r, QUIET);
	return 0;
}

/* socket, socketpair, accept, accept4. */
SYS_EXIT(socket)
{
	__u32 sys = ctx->nr == __NR_socket ? S_SOCKET
		  : ctx->nr == __NR_socketpair ? S_SOCKETPAIR
		  : ctx->nr == __NR_accept ? S_ACCEPT : S_ACCEPT4;
	return socket_exit(sys, ctx);
}

/* A call that made one new fd (its result): a rec_sys naming the call by
 * its number, with its arguments, then the fd. One handler for all of
 * them (bpf/exits.bpf.c lists which): epoll_create, eventfd, memfd_create,
 * pidfd_open, ... User space looks at the arguments where a result is not
 * always a new fd: signalfd(fd, ...) given an existing signalfd changes
 * its mask and returns that fd; most bpf commands and
 * landlock_create_ruleset's version queries return numbers that are not
 * fds (record::syscalls::newfd::makes_an_fd). */
SYS_EXIT(newfd)
{
	long ret = ctx->ret;
	struct sys_args a;
	if (ret < 0 || !take_args(&a))
		return 0;
	int pid = (__u32)bpf_get_current_pid_tgid();
	struct rec_sys *r = RESERVE(struct rec_sys, REC_SYS, pid);
	if (!r)
		return 0;
	fill_sys(r, S_NEWFD, &a, ctx);
	bpf_ringbuf_submit(r, QUIET);
	new_fd(ctx->raw, pid, ret);
	return 0;
}

/* close_range(first, last, flags) and unshare(flags), with their result. */
SYS_EXIT(close_range) { return plain_exit(S_CLOSE_RANGE, ctx); }
SYS_EXIT(unshare) { return plain_exit(S_UNSHARE, ctx); }
