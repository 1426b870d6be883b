/* exhaust.c: the exhaustion scenario: the daemon pushed to its limits by an attacker while
 * victims keep working. Each attack starts its own mmapd:
 *
 *   fd-limit    mmapd held to 256 descriptors; an attacker opens twice as many connections
 *               and keeps them. The daemon must reach its limit and keep serving the victim
 *               (connected before) with no error and a quarter of its throughput or more,
 *               refuse a new tag with EMFILE, give a new client a quick error (a hangup, not
 *               a hang), not spin while a knocker keeps connecting, and recover once the
 *               attacker has gone (exhaust_limits.c).
 *   conn-limit  the same against --max-connections 64 with descriptors to spare.
 *   quota       as root: an attacker uid (several processes) creates tags and grows them past
 *               --max-tags-per-user 32 and --max-bytes-per-user 8M as fast as it can, while a
 *               victim uid creates and holds tags of its own; the attacker must never hold
 *               more than its quota (sampled through mmapc_list) and the victim must never be
 *               refused (exhaust_clients.c).
 *   never-reader  sockets that send open requests and never read a reply (each reply carries
 *               a descriptor), against --max-queued 16; they must be cut off after
 *               --throttle-seconds, their holds and queued descriptors released, while worker
 *               processes keep a quarter of their throughput or more (exhaust_clients.c).
 *   never-reader-inflight  the same against a daemon without CAP_SYS_RESOURCE (as the
 *               systemd unit runs it) and 1024 descriptors: the kernel then refuses (with
 *               ETOOMANYREFS) to let the daemon's user have more descriptors in flight in
 *               unread sockets than that, so never-readers that pile replies up must not
 *               make the daemon fail other clients' calls.
 *
 * This file: the workers (the clients that must keep working), their progress reports, and
 * the scenario's entry point. Not here: ordinary load (load.c), clients killed at random
 * (chaos.c); the single-request versions of these limits are Check tests
 * (check_daemon_holds.c, check_daemon.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exhaust.h"
#include "scenarios.h"
#define REPORTS_MAX 8

enum worker_op { OP_OPEN, OP_PING, OP_STAT, OP_RESIZE };
static const char *const op_names[] = {"open shared", "ping", "stat", "resize own"};

/* ---- workers: the clients that must keep working ------------------------------------------- */

/* Whether the harness has closed its end of the stop pipe. */
static bool told_to_stop(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1;
}

static int worker_call(int op, const struct worker *w, mmapc_map *own)
{
	struct mmapc_options o = {.tagname = w->shared, .options = MMAPC_NOCREATE};
	struct mmapc_stats st;
	mmapc_map *m;
	int r;

	switch (op) {
	case OP_OPEN:
		r = mmapc_open(&m, -1, 0, MMAPC_ACCESS_DEFAULT, 0, &o);
		if (r == 0) {
			r = mmapc_setitem(m, w->idx, 1);
			mmapc_free(m);
		}
		return r;
	case OP_PING:
		r = mmapc_ping(NULL);
		return r > 0 ? 0 : r < 0 ? r : -EPROTO;
	case OP_STAT:
		return mmapc_stat(NULL, &st);
	default:
		/* Growth only: a shrink would need a new memfd, which a daemon at its limit has
		 * no room for. */
		if (!own || mmapc_len(own) >= (1 << 20))
			return 0;
		return mmapc_resize(own, mmapc_len(own) + 4096);
	}
}

static int worker_main(void *arg)
{
	const struct worker *w = arg;
	struct mmapc_options o = {.tagname = NULL};
	char name[32];
	mmapc_map *own = NULL;
	int64_t ops = 0, errors = 0, next = 0;

	close(w->stop_fd[1]);
	snprintf(name, sizeof(name), "own-%d", (int)getpid());
	o.tagname = name;
	int r = mmapc_open(&own, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o);
	if (r < 0) {
		own = NULL;
		report(w->report_fd, REC_ERROR, w->idx, OP_OPEN, r, now_ms());
		errors++;
	}
	report(w->report_fd, REC_PROGRESS, w->idx, now_ms(), 0, errors);
	while (!told_to_stop(w->stop_fd[0])) {
		for (int op = OP_OPEN; op <= OP_RESIZE; op++, ops++) {
			r = worker_call(op, w, own);
			if (r < 0 && errors++ < REPORTS_MAX)
				report(w->report_fd, REC_ERROR, w->idx, op, r, now_ms());
		}
		if (now_ms() >= next) {
			report(w->report_fd, REC_PROGRESS, w->idx, now_ms(), ops, errors);
			next = now_ms() + 100;
		}
	}
	mmapc_free(own);
	report(w->report_fd, REC_PROGRESS, w->idx, now_ms(), ops, errors);
	return errors ? 1 : 0;
}

void progress_record(const struct stress_record *r, void *arg)
{
	struct progress *pr = arg;

	if (r->kind == REC_PROGRESS && r->client >= 0 && r->client < WORKERS_MAX) {
		__typeof__(pr->w[0]) *w = &pr->w[r->client];
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 256;
			w->p = realloc(w->p, (size_t)w->cap * sizeof(*w->p));
		}
		w->p[w->n][0] = r->a;
		w->p[w->n][1] = r->b;
		w->n++;
		w->errors = r->c;
	} else if (r->kind == REC_ERROR && !pr->first_error[0]) {
		snprintf(pr->first_error, sizeof(pr->first_error), "worker %d, %s: %s (%lld)",
		         r->client, op_names[r->a], strerror((int)-r->b), (long long)r->b);
	} else if (r->kind == REC_ATTACK) {
		pr->attack[0] = r->a;
		pr->attack[1] = r->b;
		pr->attack[2] = r->c;
		pr->attack_seen = true;
	} else if (r->kind == REC_FRESH) {
		pr->fresh[0] = r->a;
		pr->fresh[1] = r->b;
		pr->fresh_seen = true;
	} else if (r->kind == REC_QUOTA && r->client >= 0 && r->client < 2) {
		pr->quota[r->client][0] += r->a;
		pr->quota[r->client][1] += r->b;
		pr->quota[r->client][2] += r->c;
	}
}

void progress_free(struct progress *pr)
{
	for (int i = 0; i < WORKERS_MAX; i++)
		free(pr->w[i].p);
}

void exhaust_teardown(const char *scen, struct sdaemon *d, mmapc_map *shared, int report_fd[2],
                      int stop_fd[2], struct progress *pr)
{
	mmapc_free(shared);
	child_kill_all();
	stress_deadline(scen, 0, NULL);
	sdaemon_stop(d);
	close(report_fd[0]);
	close(report_fd[1]);
	close(stop_fd[0]);
	if (stop_fd[1] >= 0)
		close(stop_fd[1]);
	progress_free(pr);
}

/* Cumulative operations of every worker at time t (the last report at or before it). */
static int64_t ops_at(const struct progress *pr, int64_t t)
{
	int64_t sum = 0;

	for (int i = 0; i < pr->n_workers; i++)
		for (int k = pr->w[i].n - 1; k >= 0; k--)
			if (pr->w[i].p[k][0] <= t) {
				sum += pr->w[i].p[k][1];
				break;
			}
	return sum;
}

double rate(const struct progress *pr, int64_t from, int64_t to)
{
	return to > from
	               ? (double)(ops_at(pr, to) - ops_at(pr, from)) * 1000.0 / (double)(to - from)
	               : 0;
}

int64_t worker_errors(const struct progress *pr)
{
	int64_t sum = 0;
	for (int i = 0; i < pr->n_workers; i++)
		sum += pr->w[i].errors;
	return sum;
}

/* Drains the pipe while sleeping ms. */
void wait_draining(int fd, struct progress *pr, int ms)
{
	int64_t until = now_ms() + ms;
	while (now_ms() < until) {
		report_drain(fd, progress_record, pr);
		sleep_ms(10);
	}
	report_drain(fd, progress_record, pr);
}

/* Starts n workers that run until the harness closes stop_fd[1], and waits until each has
 * connected. */
int start_workers(int n, struct worker *w, pid_t *pid, int report_fd[2], const char *shared,
                  int stop_fd[2], struct progress *pr)
{
	pr->n_workers = n;
	for (int i = 0; i < n; i++) {
		w[i] = (struct worker){.idx = i,
		                       .report_fd = report_fd[1],
		                       .stop_fd = {stop_fd[0], stop_fd[1]},
		                       .shared = shared};
		pid[i] = child_spawn(worker_main, &w[i]);
		if (pid[i] < 0)
			return pid[i];
	}
	for (int tries = 0; tries < 500; tries++) {
		int ready = 0;
		report_drain(report_fd[0], progress_record, pr);
		for (int i = 0; i < n; i++)
			ready += pr->w[i].n > 0;
		if (ready == n)
			return 0;
		sleep_ms(10);
	}
	return -ETIMEDOUT;
}

/* Reaps the children in pid[0..n) (those > 0); returns how many did not exit 0. */
int reap(pid_t *pid, int n)
{
	int bad = 0;
	for (int i = 0; i < n; i++) {
		int status;
		if (pid[i] <= 0)
			continue;
		while (waitpid(pid[i], &status, 0) < 0 && errno == EINTR)
			;
		child_forget(pid[i]);
		bad += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		pid[i] = 0;
	}
	return bad;
}

/* ---- attackers ----------------------------------------------------------------------------- */

int raw_connect(const char *path, bool nonblock)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

void scenario_exhaust(const struct stress_opts *opts)
{
	double t0 = now_s();

	info("exhaust: attacks of %d s, --throttle-seconds %d", opts->exhaust_s, opts->throttle_s);
	exhaust_limit(opts, true);
	exhaust_limit(opts, false);
	exhaust_quota(opts);
	exhaust_never_reader(opts, false);
	exhaust_never_reader(opts, true);
	info("exhaust: %.1f s", now_s() - t0);
}
