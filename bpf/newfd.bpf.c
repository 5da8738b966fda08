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

SEC("tracepoint/syscalls/sys_exit_socket")
int exit_socket(struct sys_exit_ctx *ctx) { return socket_exit(S_SOCKET, ctx); }
SEC("tracepoint/syscalls/sys_exit_socketpair")
int exit_socketpair(struct sys_exit_ctx *ctx) { return socket_exit(S_SOCKETPAIR, ctx); }
SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct sys_exit_ctx *ctx) { return socket_exit(S_ACCEPT, ctx); }
SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct sys_exit_ctx *ctx) { return socket_exit(S_ACCEPT4, ctx); }

/* A call that made one new fd (its result): a rec_sys naming the call by
 * its number, then the fd. Most need no argument and so no enter program;
 * `a` is NULL for those. */
static __always_inline int newfd_exit(struct sys_args *a, struct sys_exit_ctx *ctx)
{
	long ret = ctx->ret;
	if (ret < 0)
		return 0;
	int pid = (__u32)bpf_get_current_pid_tgid();
	struct rec_sys *r = RESERVE(struct rec_sys, REC_SYS, pid);
	if (!r)
		return 0;
	struct sys_args none = {};
	fill_sys(r, S_NEWFD, a ? a : &none, ctx);
	bpf_ringbuf_submit(r, QUIET);
	new_fd(ctx, pid, ret);
	return 0;
}

#define NEWFD(NAME)                                                     \
	SEC("tracepoint/syscalls/sys_exit_" #NAME)                      \
	int exit_##NAME(struct sys_exit_ctx *ctx)                       \
	{                                                               \
		if (!current_traced())                                  \
			return 0;                                       \
		return newfd_exit(NULL, ctx);                           \
	}

NEWFD(epoll_create)
NEWFD(epoll_create1)
NEWFD(eventfd)
NEWFD(eventfd2)
NEWFD(timerfd_create)
NEWFD(inotify_init)
NEWFD(inotify_init1)
NEWFD(fanotify_init)
NEWFD(memfd_create)
NEWFD(userfaultfd)
NEWFD(pidfd_open)
NEWFD(pidfd_getfd)
NEWFD(perf_event_open)
NEWFD(io_uring_setup)
NEWFD(open_by_handle_at)
NEWFD(fsopen)
NEWFD(fsmount)
NEWFD(fspick)
NEWFD(open_tree)
NEWFD(memfd_secret)
NEWFD(mq_open)

/* signalfd(fd, ...) given an existing signalfd changes its mask and returns
 * that fd; most bpf commands and landlock_create_ruleset's version queries
 * return numbers that are not fds: user space looks at the arguments
 * (record::syscalls::newfd::makes_an_fd). */
#define NEWFD_ARGS(NAME, N)                                             \
	SEC("tracepoint/syscalls/sys_exit_" #NAME)                      \
	int exit_##NAME(struct sys_exit_ctx *ctx)                       \
	{                                                               \
		struct sys_args a;                                      \
		if (!take_args(&a))                                     \
			return 0;                                       \
		return newfd_exit(&a, ctx);                             \
	}

NEWFD_ARGS(signalfd, 1)
NEWFD_ARGS(signalfd4, 1)
NEWFD_ARGS(bpf, 1)
NEWFD_ARGS(landlock_create_ruleset, 3)

/* close_range(first, last, flags) and unshare(flags), with their result. */
SEC("tracepoint/syscalls/sys_exit_close_range")
int exit_close_range(struct sys_exit_ctx *ctx) { return plain_exit(S_CLOSE_RANGE, ctx); }
SEC("tracepoint/syscalls/sys_exit_unshare")
int exit_unshare(struct sys_exit_ctx *ctx) { return plain_exit(S_UNSHARE, ctx); }
