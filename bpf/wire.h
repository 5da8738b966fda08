/* The records the BPF programs put in the ring buffer. Mirrored field by
 * field in src/record/ebpf/wire.rs: change both together. Every record
 * starts with struct head; `kind` says which struct follows. */
#ifndef FORKSCOPE_WIRE_H
#define FORKSCOPE_WIRE_H

#define ARGV_MAX 4096   /* bytes of argv (or the path) kept per exec */
#define FAILED_ARGS 16  /* argv elements kept for a failed exec ... */
#define FAILED_ARG_LEN 128 /* ... each cut to this many bytes */
#define STR_MAX 256     /* a path passed to open */
#define PATH_DEPTH 24   /* dentry names kept per fd target */
#define NAME_LEN 64     /* bytes kept per dentry name */
#define EXEC_FDS 256    /* fds looked at in the table at exec */

enum rec_kind {
	REC_FORK = 1,      /* struct rec_fork */
	REC_EXEC = 2,      /* struct rec_exec: a successful exec, fds follow */
	REC_FD = 3,        /* struct rec_fd: one fd of the table at exec, or an open's new fd */
	REC_EXEC_END = 4,  /* struct rec_end: the table at exec is complete */
	REC_EXIT = 5,      /* struct rec_exit */
	REC_SYS = 6,       /* struct rec_sys: a syscall returned */
	REC_EXEC_FAIL = 7, /* struct rec_exec_fail */
	REC_SIGNAL = 8,    /* struct rec_signal */
};

/* Which syscall a rec_sys is about (not the kernel's numbers: ours). */
enum sys_id {
	S_PIPE = 1, S_PIPE2, S_DUP, S_DUP2, S_DUP3, S_FCNTL,
	S_OPEN, S_OPENAT, S_CREAT, S_CLOSE, S_WAIT4, S_KILL,
	S_TKILL, S_TGKILL, S_RT_SIGQUEUEINFO, S_RT_TGSIGQUEUEINFO, S_PIDFD_SEND_SIGNAL,
	S_WAITID, S_SOCKET, S_SOCKETPAIR, S_ACCEPT, S_ACCEPT4,
	S_NEWFD,           /* the call is named by rec_sys.nr; its fd follows as a rec_fd */
	S_CLOSE_RANGE, S_UNSHARE, S_SETSID, S_SETPGID,
	S_PRCTL,           /* PR_SET_NAME, sent as a rec_open: the name as str */
};

/* Where a rec_signal was seen (rec_signal.at). */
enum sig_at {
	SIG_DELIVERED = 1, /* signal_deliver: the task takes the signal now */
	SIG_IGNORED = 2,   /* signal_generate: dropped at once (ignored) */
	SIG_CONT = 3,      /* signal_generate of SIGCONT that is not ignored */
};

/* What an fd refers to (rec_fd.type). */
enum fd_type {
	FD_PATH = 1, FD_PIPE, FD_SOCKET, FD_ANON, FD_FIFO,
	FD_PIDFD,  /* pidfs: /proc shows anon_inode:[pidfd] */
	FD_PSEUDO, /* a file with no path (memfd): /proc shows /NAME (deleted) */
};

struct head {
	__u32 kind;
	__s32 pid;  /* the task (tid) */
	__u64 ts;   /* bpf_ktime_get_ns() */
};

struct rec_fork {
	struct head h;
	__s32 child;
	__s32 nr;       /* the parent's syscall number (fork, vfork, clone, clone3) */
	__u64 flags;    /* clone flags (clone's first argument, clone3's args->flags) */
};

struct rec_exec {
	struct head h;
	__s32 old_pid;  /* != pid when a non-leader thread exec'd */
	__u32 argv_len; /* bytes used in argv: NUL-separated elements */
	__u32 argv_cut; /* the argument area was longer than ARGV_MAX */
	__u32 path_len;
	char path[STR_MAX];
	char argv[ARGV_MAX];
};

struct rec_exec_fail {
	struct head h;
	__s64 ret;
	__u32 argc;     /* elements read (at most FAILED_ARGS) */
	__u32 more;     /* argv had more elements than that */
	char path[STR_MAX];
	char argv[FAILED_ARGS][FAILED_ARG_LEN];
};

struct rec_fd {
	struct head h;
	__s32 fd;
	__u32 type;     /* enum fd_type */
	__u64 ino;
	__u32 cloexec;
	__u32 ncomp;    /* names in comp, leaf first */
	__u32 cut;      /* the path was deeper than PATH_DEPTH */
	__u32 pad;
	/* Only the first ncomp names are sent: the record is cut after them. */
	char comp[PATH_DEPTH][NAME_LEN];
};

struct rec_end {
	struct head h;
};

struct rec_exit {
	struct head h;
	__s32 code;     /* task->exit_code: a wait status word */
	__s32 pad;
};

struct rec_sys {
	struct head h;
	__u32 sys;      /* enum sys_id */
	__s32 aux[2];   /* pipe, socketpair: the two fds; wait4: the status
			 * word; waitid: si_pid and si_status */
	__u32 aux_ok;   /* aux was read */
	__s64 args[4];
	__s64 ret;
	__u64 ino;      /* pipe: the read end's inode; socket calls: the new
			 * socket's; waitid: si_code; waitid(P_PIDFD): the pid */
	__s32 nr;       /* the kernel's syscall number */
	__u32 pad;
};

/* An open: a rec_sys and the path as passed (the only calls that carry a
 * string, with prctl(PR_SET_NAME) and its name; the others send the
 * shorter rec_sys). */
struct rec_open {
	struct rec_sys s;
	char str[STR_MAX];
};

struct rec_signal {
	struct head h;  /* pid: the task the signal is for */
	__s32 sig;
	__u32 at;       /* enum sig_at */
	__s32 code;     /* si_code */
	__s32 from;     /* si_pid */
	__s32 status;   /* si_status (SIGCHLD) */
	__u32 stops;    /* delivered with the default action of a stop signal */
};

#endif
