/* spawn.h: starting and stopping a private mmapd for a benchmark, and looking at it.
 *
 * Every daemon benchmark starts its own mmapd on a socket in a fresh temporary directory
 * (tests/helpers.c does the same for the integration suites), with every quota raised far
 * past what a benchmark asks for, so that no row ever measures a refusal. The daemon is
 * stopped with SIGTERM and reaped, and its socket and directory removed, before the
 * benchmark returns.
 *
 * Also here: a raw connection and ping on the wire (no libmmapc), pinning a process and all
 * its threads to one CPU, and a process's RssAnon. Not here: the benchmarks themselves
 * (daemon.c) and the baseline servers (floor.c).
 */
#ifndef MMAPC_BENCH_SPAWN_H
#define MMAPC_BENCH_SPAWN_H

#include <sys/types.h>

struct spawn_daemon {
	pid_t pid;
	char dir[64];
	char socket[128];
};

/* Starts bin on a socket in a new temporary directory, with raised limits and then the
 * NULL-terminated extra arguments (which override them; extra may be NULL). Returns 0 once
 * the daemon answers a ping, or a negative errno (nothing is left behind). */
int spawn_daemon(struct spawn_daemon *d, const char *bin, const char *const *extra);

/* Stops the daemon (SIGTERM), reaps it, and removes its socket and directory. */
void spawn_stop(struct spawn_daemon *d);

/* A new SOCK_SEQPACKET connection to path (CLOEXEC, blocking), or a negative errno. */
int spawn_connect(const char *path);

/* One ping request and its reply on a connected socket fd. Returns 0 or a negative errno
 * (-ETIMEDOUT if no reply came within timeout_ms). */
int spawn_ping(int fd, int timeout_ms);

/* Pins every thread of pid to cpu. Returns 0 or a negative errno. */
int spawn_pin(pid_t pid, int cpu);

/* The first CPU the calling thread may run on. */
int spawn_first_cpu(void);

/* RssAnon of pid from /proc/pid/status, in bytes, or a negative errno. */
long long spawn_rss_anon(pid_t pid);

#endif
