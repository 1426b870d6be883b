/* spawn.h: starting and stopping a private mmapd for a benchmark, and looking at it.
 *
 * Every daemon benchmark starts its own mmapd on a socket in a fresh temporary directory
 * (tests/helpers.c does the same for the integration suites), with every quota raised far
 * past what a benchmark asks for, so that no row ever measures a refusal. The daemon is
 * stopped with SIGTERM and reaped, and its socket and directory removed, before the
 * benchmark returns.
 *
 * Also here: a "holder", a process that creates tags through libmmapc and keeps them; a raw
 * connection and ping on the wire (no libmmapc); pinning a process and all its threads to
 * one CPU; and a process's RssAnon. Not here: the benchmarks themselves
 * (daemon.c) and the baseline servers (floor.c).
 */
#ifndef MMAPC_BENCH_SPAWN_H
#define MMAPC_BENCH_SPAWN_H

#include <stddef.h>
#include <stdint.h>
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

/* A ping round trip on each of n sockets in turn, all within timeout_ms. Returns how many
 * were answered. */
long long spawn_ping_all(const int *fds, size_t n, int timeout_ms);

/* Starts a holder: a process that opens each of the n tags (creating it, lens[i] bytes)
 * through libmmapc on socket, writes a byte of each, and keeps them until spawn_reap.
 * Returns its pid once every tag is held, or a negative errno (the holder's own failure,
 * or -ECHILD if it died). */
pid_t spawn_holder(const char *socket, const char *const *tags, const int64_t *lens, size_t n);

/* Stops pid (SIGTERM) and reaps it; nothing if pid <= 0. */
void spawn_reap(pid_t pid);

/* Pins every thread of pid to cpu. Returns 0 or a negative errno. */
int spawn_pin(pid_t pid, int cpu);

/* The first CPU the calling thread may run on. */
int spawn_first_cpu(void);

/* RssAnon of pid from /proc/pid/status, in bytes, or a negative errno. */
long long spawn_rss_anon(pid_t pid);

#endif
