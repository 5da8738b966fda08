/* What an fd refers to, built in the kernel: the /proc/PID/fd/N link text
 * cannot be read from a tracepoint (bpf_d_path is only allowed in a few
 * hooks), so for files this walks the dentry chain up to the root, crossing
 * mounts (struct mount via CO-RE), and hands user space the names leaf
 * first. Pipes, sockets and anonymous inodes are told apart by their
 * filesystem's magic, as the kernel names them. Not reproduced: the
 * " (deleted)" suffix, paths outside the process's root (chroot), names
 * longer than NAME_LEN, chains deeper than PATH_DEPTH (rec_fd.cut). */
#ifndef FORKSCOPE_FDPATH_H
#define FORKSCOPE_FDPATH_H

#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534F434B
#define ANON_INODE_FS_MAGIC 0x09041934
#define PID_FS_MAGIC 0x50494446
#define S_IFMT 00170000
#define S_IFIFO 0010000

/* The struct file behind fd `fd` of the current task, or NULL. */
static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if (fd < 0 || (unsigned int)fd >= max)
		return NULL;
	struct file **arr = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd]);
	return f;
}

/* Is fd `fd` of the current task close-on-exec? */
static __always_inline __u32 fd_cloexec(int fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	unsigned long *bits = BPF_CORE_READ(t, files, fdt, close_on_exec);
	unsigned long word = 0;
	if (fd < 0 || bpf_probe_read_kernel(&word, sizeof(word), &bits[fd / 64]))
		return 0;
	return (word >> (fd % 64)) & 1;
}

/* The rec_fd being built (per CPU: too big for the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec_fd);
} fd_scratch SEC(".maps");

struct walk {
	struct dentry *d;
	struct mount *m;
	struct dentry *top;       /* the task's root ... */
	void *topmnt;             /* ... and its mount */
	unsigned long off;        /* offsetof(struct mount, mnt) */
};

/* bpf_loop callback: one step up the dentry chain (a loop the verifier
 * checks once, rather than unrolled). Returns 1 to stop. */
static long walk_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;
	__u32 zero = 0;
	struct rec_fd *r = bpf_map_lookup_elem(&fd_scratch, &zero);
	if (!r)
		return 1;
	/* Like d_path, stop at the task's root (a container's or chroot's
	 * root, not the host's). */
	/* (Plain locals: CO-RE relocates reads through kernel types only.) */
	struct dentry *d = w->d;
	struct mount *m = w->m;
	if (d == w->top && (void *)m + w->off == w->topmnt)
		return 1;
	struct dentry *root = BPF_CORE_READ(m, mnt.mnt_root);
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (d == root || d == parent) {
		/* At the top of a mount: continue from its mount point in
		 * the parent mount, or stop at the last one. */
		struct mount *up = BPF_CORE_READ(m, mnt_parent);
		if (up == m || !up)
			return 1;
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->m = up;
		return 0;
	}
	/* The count lives in the map value, not in `w` on the stack: the
	 * verifier does not track what a map value holds, so each step looks
	 * the same to it and it checks this callback once or twice. Counted
	 * on the stack, every value of the count was a state of its own: the
	 * walk was checked PATH_DEPTH times over. */
	__u32 n = r->ncomp;
	if (n >= PATH_DEPTH) {
		r->cut = 1;
		return 1;
	}
	bpf_probe_read_kernel_str(r->comp[n], NAME_LEN, BPF_CORE_READ(d, d_name.name));
	r->ncomp = n + 1;
	w->d = parent;
	return 0;
}

/* Emits a rec_fd for fd `fd` (open file `file`, a struct file *) of task
 * `pid`: type, inode and, for files, the name chain.
 *
 * A global function (not static, never inlined): the verifier checks it
 * once, on its own, with scalar arguments, instead of once per call site
 * and per state of the caller. Inlined into on_exec's bpf_loop over the fd
 * table (a loop calling a function with a loop of its own), it made that
 * one program take most of forkscope's start (about 0.1 s of verifying,
 * seconds on a busy machine), which every recording pays before the
 * program runs. */
__noinline int emit_fd(int pid, int fd, __u64 file, __u32 cloexec)
{
	__u32 zero = 0;
	struct rec_fd *r = bpf_map_lookup_elem(&fd_scratch, &zero);
	struct file *f = (struct file *)file;
	if (!r || !f)
		return 0;
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	unsigned long magic = BPF_CORE_READ(ino, i_sb, s_magic);
	umode_t mode = BPF_CORE_READ(ino, i_mode);
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);

	r->h.kind = REC_FD;
	r->h.pid = pid;
	r->h.ts = bpf_ktime_get_ns();
	r->fd = fd;
	r->cloexec = cloexec;
	r->ino = BPF_CORE_READ(ino, i_ino);
	r->ncomp = 0;
	r->cut = 0;
	if (magic == PIPEFS_MAGIC) {
		r->type = FD_PIPE;
	} else if (magic == SOCKFS_MAGIC) {
		r->type = FD_SOCKET;
	} else if (magic == PID_FS_MAGIC) {
		r->type = FD_PIDFD;
	} else if (magic == ANON_INODE_FS_MAGIC) {
		/* The dentry is named "[eventpoll]" and the like. */
		r->type = FD_ANON;
		bpf_probe_read_kernel_str(r->comp[0], NAME_LEN, BPF_CORE_READ(d, d_name.name));
		r->ncomp = 1;
	} else if (BPF_CORE_READ(d, d_parent) == d &&
		   d != BPF_CORE_READ(f, f_path.mnt, mnt_root)) {
		/* A dentry of its own, on no path (memfd_create's, from
		 * alloc_file_pseudo): the kernel names it with simple_dname(),
		 * "/NAME (deleted)". */
		r->type = FD_PSEUDO;
		bpf_probe_read_kernel_str(r->comp[0], NAME_LEN, BPF_CORE_READ(d, d_name.name));
		r->ncomp = 1;
	} else {
		r->type = (mode & S_IFMT) == S_IFIFO ? FD_FIFO : FD_PATH;
		struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
		struct walk w = {};
		struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
		/* container_of(vm, struct mount, mnt), the offset from BTF. */
		w.off = __builtin_preserve_field_info(((struct mount *)0)->mnt, BPF_FIELD_BYTE_OFFSET);
		w.m = (void *)vm - w.off;
		w.d = d;
		w.top = BPF_CORE_READ(t, fs, root.dentry);
		w.topmnt = BPF_CORE_READ(t, fs, root.mnt);
		/* walk_step counts the names in r->ncomp and sets r->cut (the
		 * scratch record it looks up again: same CPU, same value). */
		bpf_loop(PATH_DEPTH + 8, walk_step, &w, 0);
	}
	/* Only the names used: most paths are a few names deep, and the
	 * record would be 1.5 KiB with all of them. */
	__u32 n = r->ncomp;
	if (n > PATH_DEPTH)
		n = PATH_DEPTH;
	__u64 size = __builtin_offsetof(struct rec_fd, comp) + (__u64)n * NAME_LEN;
	/* (clang may compute that sum as an OR, whose bound the verifier
	 * cannot see: the bound is stated again, after a barrier.) */
	barrier_var(size);
	if (size > sizeof(*r))
		size = sizeof(*r);
	if (bpf_ringbuf_output(&events, r, size, QUIET))
		count_lost();
	return 0;
}

/* The new fd to describe, handed to tail_new_fd (per CPU: a tail call
 * runs at once, on the same CPU). */
struct newfd_arg {
	int pid;
	int fd;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct newfd_arg);
} newfd_args SEC(".maps");

/* Emits a rec_fd for the current task's new fd: the program every syscall
 * exit that made an fd tail-calls, so that the verifier checks the path
 * walk once rather than in each of those programs (loading took seconds).
 * Attached nowhere (the loader attaches no program named tail_*). */
SEC("tracepoint")
int tail_new_fd(void *ctx)
{
	__u32 zero = 0;
	struct newfd_arg *a = bpf_map_lookup_elem(&newfd_args, &zero);
	if (!a)
		return 0;
	int fd = a->fd;
	struct file *f = fd_file(fd);
	if (f)
		emit_fd(a->pid, fd, (__u64)f, fd_cloexec(fd));
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} tails SEC(".maps") = {
	.values = { [0] = (void *)&tail_new_fd },
};

/* Emits a rec_fd for the current task's new fd `fd` (after an open or a
 * call that made one), with its close-on-exec flag. Must be the caller's
 * last step: a tail call does not return. */
static __always_inline void new_fd(void *ctx, int pid, int fd)
{
	__u32 zero = 0;
	struct newfd_arg *a = bpf_map_lookup_elem(&newfd_args, &zero);
	if (!a)
		return;
	a->pid = pid;
	a->fd = fd;
	bpf_tail_call(ctx, &tails, 0);
	count_lost(); /* the tail call failed */
}

#endif
