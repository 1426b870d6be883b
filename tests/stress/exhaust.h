/* exhaust.h: what the exhaustion scenario's files share (exhaust.c, exhaust_limits.c,
 * exhaust_clients.c): the worker processes that must keep working while the daemon is under
 * attack, the progress they report, and a raw connection to the daemon.
 *
 * A worker loops over four calls (open a shared tag and write it, ping, stat, grow a tag of
 * its own) until the harness closes its end of the stop pipe, and reports a timestamped
 * count every 100 ms; rate() turns those into calls per second over any window. Not here:
 * the attacks themselves.
 */
#ifndef MMAPC_STRESS_EXHAUST_H
#define MMAPC_STRESS_EXHAUST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"

#define WORKERS_MAX 16

/* The share of their throughput before an attack that victims must keep during and after it.
 * Low on purpose: the checks that matter are the errors; this one catches a daemon that
 * spins or stalls, not the noise of other work on a 2-core machine. */
#define MIN_SHARE 0.25

/* The kinds of struct stress_record the exhaustion scenario's clients send. */
enum { REC_PROGRESS = 1, REC_ERROR, REC_ATTACK, REC_FRESH, REC_QUOTA };

/* One worker; the harness owns the struct until the worker is reaped. */
struct worker {
	int idx;
	int report_fd;
	int stop_fd[2]; /* the harness closes its write end to say stop */
	const char *shared;
};

/* What the harness gathers from workers and attackers. */
struct progress {
	int n_workers;
	struct {
		int64_t (*p)[2]; /* (time, cumulative ops) */
		int n, cap;
		int64_t errors;
	} w[WORKERS_MAX];
	char first_error[160];
	int64_t attack[3]; /* REC_ATTACK: connected, hung up, last errno */
	int64_t fresh[2];  /* REC_FRESH: result, milliseconds */
	bool fresh_seen, attack_seen;
	int64_t quota[2][3]; /* REC_QUOTA by role: created, refused with EDQUOT, other errors */
};

/* Starts n workers that run until the harness closes stop_fd[1], and waits until each has
 * connected: 0 or a negative errno. */
int start_workers(int n, struct worker *w, pid_t *pid, int report_fd[2], const char *shared,
                  int stop_fd[2], struct progress *pr);

/* Reaps the children in pid[0..n) (those > 0); returns how many did not exit 0. */
int reap(pid_t *pid, int n);

/* report_drain's callback: files a record into the struct progress arg. */
void progress_record(const struct stress_record *r, void *arg);

/* Drains the pipe into pr while sleeping ms. */
void wait_draining(int fd, struct progress *pr, int ms);

/* The workers' calls per second between two now_ms() times, and their errors so far. */
double rate(const struct progress *pr, int64_t from, int64_t to);
int64_t worker_errors(const struct progress *pr);

void progress_free(struct progress *pr);

/* The end of a worker scenario, on every path: frees shared (may be NULL), kills every child,
 * disarms scen's deadline, stops the daemon, closes both pipes (stop_fd[1] may already be -1)
 * and frees pr. */
void exhaust_teardown(const char *scen, struct sdaemon *d, mmapc_map *shared, int report_fd[2],
                      int stop_fd[2], struct progress *pr);

/* A SOCK_SEQPACKET connection to path (non-blocking if asked): a descriptor or -errno. */
int raw_connect(const char *path, bool nonblock);

/* The attacks, one file each. */
void exhaust_limit(const struct stress_opts *opts, bool by_fds);
void exhaust_quota(const struct stress_opts *opts);
void exhaust_never_reader(const struct stress_opts *opts, bool limited);

#endif
