/* floor.h: the baseline servers ("floors") the daemon benchmarks measure mmapd against.
 *
 * A floor is the least any broker of memfds over SOCK_SEQPACKET could do: a server process
 * that answers every small request packet with a small reply packet carrying one memfd by
 * SCM_RIGHTS, always the same memfd, with no protocol, no lookup, no policy and no dup.
 * floor.c's top comment says why each one is the fair floor for the row it serves.
 *
 * Not here: mmapd (spawn.h) and the benchmarks (daemon.c).
 */
#ifndef MMAPC_BENCH_FLOOR_H
#define MMAPC_BENCH_FLOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct floor {
	pid_t pid;
	size_t n;   /* client sockets */
	int *fds;   /* the clients' ends of the socketpairs, n of them (CLOEXEC, blocking) */
	size_t len; /* the memfd's size */
};

/* Starts a server process for n clients over n socketpairs, passing a memfd of len bytes
 * with every reply. Without use_epoll (n must be 1) the server is a blocking recv/sendmsg
 * loop; with it, a single-threaded, non-blocking, level-triggered epoll loop over all n
 * sockets. Children forked afterwards inherit every client end. Returns 0 or -errno. */
int floor_start(struct floor *f, size_t n, size_t len, bool use_epoll);

/* Closes the client ends, stops the server (SIGTERM) and reaps it. */
void floor_stop(struct floor *f);

/* One request on sock and its reply: returns the descriptor the reply carried (the
 * caller's), or a negative errno. */
int floor_call(int sock);

/* The floor of an attach: floor_call, then mmap len bytes MAP_SHARED, touch one byte,
 * munmap, close. Returns 0 or a negative errno. */
int floor_attach(int sock, size_t len);

/* The floor of a create: floor_call (the descriptor is closed unused), then a new memory
 * object made locally: memfd_create, ftruncate to len, mmap, touch one byte, munmap, close.
 * Returns 0 or a negative errno. */
int floor_create(int sock, size_t len);

#endif
