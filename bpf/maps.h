/* The maps shared by every program: the pid set, the ring buffer, the lost
 * counter. */
#ifndef FORKSCOPE_MAPS_H
#define FORKSCOPE_MAPS_H

/* The traced tasks (tids). User space puts the first one in (value 2:
 * its exit wakes forkscope at once); fork adds children of members (value
 * 1), exit removes them. Every program returns at once
 * for a task not in it: the rest of the system pays one hash lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	/* Entries allocated as tasks are added: preallocating 65,536 of them
	 * cost forkscope's start milliseconds, for a tree of a few tasks. */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u8);
} pids SEC(".maps");

/* One ring buffer for all CPUs: records come out in the order they were
 * reserved, which is the kernel's order. 2 MiB unless user space says
 * otherwise: the kernel allocates and zeroes it page by page when
 * forkscope starts (16 MiB took longer than loading every program), and
 * a quarter of it wakes forkscope (see QUIET), which drains it at once. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 << 20);
} events SEC(".maps");

/* Records are submitted without waking forkscope (BPF_RB_NO_WAKEUP):
 * a wake-up is an IPI to the CPU forkscope sleeps on, paid by the traced
 * program for each record it makes while forkscope is idle (most of them:
 * forkscope keeps up). forkscope reads the buffer every few milliseconds
 * instead; only the first process's exit wakes it (to see the end of the
 * program at once), and so does a record that finds the buffer more than
 * a quarter full (a burst: better a wake-up than lost records). */
static __always_inline __u64 quiet(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >
			       bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 4
		       ? BPF_RB_FORCE_WAKEUP
		       : BPF_RB_NO_WAKEUP;
}
#define QUIET quiet()

/* Records that did not fit (the ring buffer was full): [0] counts them. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Kills already recorded when their signal was sent, by tid: the exit
 * program then records nothing. Cleared at exit (of the call, or of the
 * task, which a kill of itself with SIGKILL never returns from). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u8);
} kill_sent SEC(".maps");

static __always_inline int traced(__u32 tid)
{
	return bpf_map_lookup_elem(&pids, &tid) != NULL;
}

static __always_inline int current_traced(void)
{
	return traced((__u32)bpf_get_current_pid_tgid());
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/* Reserves a record of type T in the ring buffer and fills its head; NULL
 * (counted as lost) when the buffer is full. */
#define RESERVE(T, KIND, PID) ({                                        \
	T *_r = bpf_ringbuf_reserve(&events, sizeof(T), 0);             \
	if (_r) {                                                       \
		_r->h.kind = (KIND);                                    \
		_r->h.pid = (PID);                                      \
		_r->h.ts = bpf_ktime_get_ns();                          \
	} else {                                                        \
		count_lost();                                           \
	}                                                               \
	_r; })

#endif
