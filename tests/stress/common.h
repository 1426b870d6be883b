/* common.h: what the stress scenarios (chaos.c, load.c, exhaust.c) and the TSan program
 * (tsan.c) share: a private mmapd to run against, measurements of it through /proc and
 * mmapc_stat, the PASS/FAIL report, forked clients and their report pipe, a small PRNG.
 *
 * The daemon is a real mmapd ($MMAPD_BIN, else build/mmapd) on a socket in a fresh temporary
 * directory (mode 0755, socket 0666, so that clients of other uids may connect), with its
 * stderr in a log file next to the socket, shown when a check fails. MMAPD_SOCKET is set to
 * it, so forked clients find it without being told.
 *
 * Clients are forked processes. They never touch the harness's state: they report through
 * their exit status and through a pipe of fixed-size records (struct stress_record, written
 * with one write(2) each, which PIPE_BUF makes atomic), and the harness survives whatever
 * they do. Every child the harness forks is remembered, so that a scenario's time limit
 * (SIGALRM) can kill them all, and the daemon, before the harness gives up.
 *
 * Not here: the scenarios themselves, the command line (stress.c).
 */
#ifndef MMAPC_STRESS_COMMON_H
#define MMAPC_STRESS_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mmapc.h"

/* The sizes a run uses; stress.c fills them from the command line. */
struct stress_opts {
	int clients;    /* chaos and load: concurrent client processes */
	int ops;        /* load: operations per client */
	int rounds;     /* chaos: rounds of clients killed at random */
	int window_ms;  /* chaos: the span over which a round's clients are killed */
	int throttle_s; /* exhaust: the daemon's --throttle-seconds */
	int exhaust_s;  /* exhaust: how long each attack lasts (seconds) */
	uint64_t seed;  /* PRNG seed (printed, so that a failing run can be repeated) */
	bool quick;     /* CI sizes */
};

/* ---- the report ---------------------------------------------------------------------------- */

/* Prints "PASS name: figures" or "FAIL name: figures" and counts it. On a failure, the log of
 * the current daemon (if any) is shown after it. */
void check(bool ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints "SKIP name: why"; a skipped check is neither passed nor failed. */
void skip(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "# ..." (figures that are not checks: per-round details, curves). */
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The counts so far. */
void check_counts(int *passed, int *failed, int *skipped);

/* ---- the daemon ---------------------------------------------------------------------------- */

/* Flags of sdaemon_start_flags. */
enum sdaemon_flags {
	/* Drop CAP_SYS_RESOURCE and CAP_SYS_ADMIN from the daemon's bounding set, as the
	 * systemd unit does (CapabilityBoundingSet=CAP_DAC_READ_SEARCH): the kernel then holds
	 * the descriptors it has in flight in unread sockets to its RLIMIT_NOFILE. */
	SDAEMON_NO_RESOURCE_CAPS = 1 << 0,
};

struct sdaemon {
	pid_t pid;
	int nofile; /* the daemon's descriptor limit (soft and hard), or 0 for the harness's */
	unsigned flags;
	char dir[64];
	char socket[128];
	char log[128];
};

/* Starts mmapd with the extra arguments (NULL-terminated, may be NULL) and the descriptor
 * limit nofile (0: inherit), waits until it answers a ping, sets MMAPD_SOCKET. Returns 0, or
 * a negative errno (the reason is printed). The harness's own cached connection made by the
 * ping stays open: it is the connection every later mmapc_stat uses, and counts as one of
 * the daemon's clients in every baseline. */
int sdaemon_start(struct sdaemon *d, const char *const *args, int nofile);

/* Arguments that lift mmapd's tag and byte limits, for scenarios that measure everything but
 * quotas (chaos, load). */
extern const char *const sdaemon_no_limits[];

/* sdaemon_start with enum sdaemon_flags. */
int sdaemon_start_flags(struct sdaemon *d, const char *const *args, int nofile, unsigned flags);

/* Stops it with SIGTERM and reaps it: its exit status as waitpid gives it, or -1 if it had
 * already gone. Removes the directory, drops the harness's cached connection. */
int sdaemon_stop(struct sdaemon *d);

/* Whether the daemon process still runs (not reaped, not a zombie). */
bool sdaemon_alive(struct sdaemon *d);

/* The daemon's counters, through this process's connection: 0 or a negative errno. */
int sdaemon_stat(const struct sdaemon *d, struct mmapc_stats *ret);

/* Waits (up to timeout_ms) until the daemon's counters show tags, handles and connections
 * at most the given ones (-1: any); fills *ret with the last reading. Returns how long it
 * took in ms, or -1 if the counters never got there. */
int sdaemon_settle(const struct sdaemon *d, long tags, long handles, long connections,
                   int timeout_ms, struct mmapc_stats *ret);

/* ---- /proc ------------------------------------------------------------------------------- */

/* Open descriptors of pid, or -1. */
int proc_fd_count(pid_t pid);

/* The same once two readings 20 ms apart agree (a closed connection is reaped by the
 * daemon's loop a moment later). */
int proc_fd_count_settled(pid_t pid);

/* Prints every descriptor of pid and what it is ("# ..." lines), to say what leaked. */
void proc_fd_show(pid_t pid);

/* VmRSS of pid in KiB, or -1. */
long proc_rss_kib(pid_t pid);

/* User plus system CPU time of pid, in clock ticks (sysconf(_SC_CLK_TCK)), or -1. */
long proc_cpu_ticks(pid_t pid);

/* ---- time and randomness --------------------------------------------------------------- */

/* CLOCK_MONOTONIC in seconds, and in milliseconds. */
double now_s(void);
int64_t now_ms(void);

void sleep_ms(int ms);

/* xorshift64*: a small PRNG whose state is one word (never 0). */
uint64_t rng_next(uint64_t *state);

/* A value in [0, n). */
uint32_t rng_below(uint64_t *state, uint32_t n);

/* ---- forked clients ------------------------------------------------------------------------ */

/* One report from a client: what kind of report (a scenario's own codes), which client, and
 * three numbers whose meaning the kind decides. 32 bytes, well under PIPE_BUF. */
struct stress_record {
	int32_t kind;
	int32_t client;
	int64_t a, b, c;
};

/* A pipe for records: O_CLOEXEC, the read end non-blocking, as large as the kernel allows
 * (so that a thousand clients rarely wait on it). Returns 0 or a negative errno. */
int report_pipe(int fds[2]);

/* Writes one record (from a client). Returns 0 or a negative errno. */
int report(int fd, int32_t kind, int32_t client, int64_t a, int64_t b, int64_t c);

/* Reads every record that is waiting, calling fn for each. Returns how many it read. */
int report_drain(int fd, void (*fn)(const struct stress_record *r, void *arg), void *arg);

/* Forks a client that runs fn(arg) and _exits with its return value (never returns in the
 * child). The child's SIGALRM is reset and the pid remembered for stress_kill_all. Returns
 * the pid, or a negative errno. */
pid_t child_spawn(int (*fn)(void *), void *arg);

/* Forgets a reaped child. */
void child_forget(pid_t pid);

/* SIGKILLs every remembered child and reaps it. */
void child_kill_all(void);

/* Arms a time limit for one scenario: when it passes, a FAIL line is written, every child and
 * the daemon are SIGKILLed and the harness exits 2. seconds 0 disarms it. */
void stress_deadline(const char *scenario, unsigned seconds, struct sdaemon *d);

/* Describes a wait status: "exit 3", "signal 11 (Segmentation fault)". */
const char *status_str(int status, char *buf, size_t cap);

#endif
