/* load.c: the load and soak scenario: opts->clients client processes, all connected at
 * once, each doing opts->ops operations that must all succeed; meanwhile the harness samples
 * the daemon's RSS, descriptors and request count, and checks that RSS stops growing once
 * the run is warm.
 *
 * An operation is one of: open a shared tag (a pool of 64, all of one size), write and read
 * back this client's own byte of it, close it (50 %); create a tag of the client's own,
 * resize it to a random size, write its last byte, close it (20 %); open one of four
 * persistent tags the harness made, read it, close it (10 %); ping (10 %); stat (10 %).
 * Every open asks the daemon (no client keeps a hold between operations), so each operation
 * is one to three round trips. The clients start together: each waits on a pipe the harness
 * closes once all are forked.
 *
 * Warm-up is the first quarter of the run, by daemon requests. After it, the RSS samples
 * may not grow by more than max(1 MiB, 5 %) over the sample that ends it. After the run the
 * daemon must be back at its baseline of tags, holds, connections and descriptors.
 *
 * Not here: clients killed mid-request (chaos.c), limits (exhaust.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "scenarios.h"

#define SHARED_TAGS 64
#define SHARED_SIZE 4096
#define PERSISTENT_TAGS 4
#define REPORTS_MAX 4

enum load_op { OP_SHARED, OP_OWN, OP_PERSISTENT, OP_PING, OP_STAT };
static const char *const op_names[] = {"shared open/write/close", "own create/resize/close",
                                       "persistent open/read/close", "ping", "stat"};

enum { REC_DONE = 1, REC_ERROR = 2 };

struct load_client {
	int idx;
	int ops;
	int report_fd;
	int start_fd[2];
	bool check_bytes; /* each client owns one byte of the shared tags */
	uint64_t seed;
};

static int op_shared(const struct load_client *a, uint64_t *rng)
{
	char name[32];
	struct mmapc_options o = {.tagname = name};
	mmapc_map *m;

	snprintf(name, sizeof(name), "ld-%u", rng_below(rng, SHARED_TAGS));
	int r = mmapc_open(&m, -1, SHARED_SIZE, MMAPC_ACCESS_DEFAULT, 0, &o);
	if (r < 0)
		return r;
	int at = a->idx % SHARED_SIZE, v = (int)rng_below(rng, 256);
	r = mmapc_setitem(m, at, v);
	if (r == 0 && a->check_bytes && mmapc_getitem(m, at) != v)
		r = -EILSEQ;
	mmapc_free(m);
	return r;
}

static int op_own(const struct load_client *a, uint64_t *rng)
{
	char name[32];
	struct mmapc_options o = {.tagname = name, .options = MMAPC_EXCL};
	mmapc_map *m;

	snprintf(name, sizeof(name), "own-%d", a->idx);
	int r = mmapc_open(&m, -1, 8192, MMAPC_ACCESS_DEFAULT, 0, &o);
	if (r < 0)
		return r;
	int64_t size = 4096 + (int64_t)rng_below(rng, 61440);
	r = mmapc_resize(m, size);
	if (r == 0)
		r = mmapc_setitem(m, size - 1, 1);
	mmapc_free(m);
	return r;
}

static int op_persistent(uint64_t *rng)
{
	char name[32];
	struct mmapc_options o = {.tagname = name, .options = MMAPC_NOCREATE};
	mmapc_map *m;

	snprintf(name, sizeof(name), "lpers-%u", rng_below(rng, PERSISTENT_TAGS));
	int r = mmapc_open(&m, -1, 0, MMAPC_ACCESS_READ, 0, &o);
	if (r < 0)
		return r;
	r = mmapc_getitem(m, 100);
	mmapc_free(m);
	return r < 0 ? r : 0;
}

static int load_client_main(void *arg)
{
	const struct load_client *a = arg;
	uint64_t rng = a->seed;
	int errors = 0, done = 0;
	char c;

	close(a->start_fd[1]);
	while (read(a->start_fd[0], &c, 1) < 0 && errno == EINTR)
		;
	close(a->start_fd[0]);
	for (; done < a->ops; done++) {
		uint32_t roll = rng_below(&rng, 100);
		int op = roll < 50   ? OP_SHARED
		         : roll < 70 ? OP_OWN
		         : roll < 80 ? OP_PERSISTENT
		         : roll < 90 ? OP_PING
		                     : OP_STAT;
		int r;
		struct mmapc_stats st;
		switch (op) {
		case OP_SHARED:
			r = op_shared(a, &rng);
			break;
		case OP_OWN:
			r = op_own(a, &rng);
			break;
		case OP_PERSISTENT:
			r = op_persistent(&rng);
			break;
		case OP_PING:
			r = mmapc_ping(NULL);
			r = r > 0 ? 0 : r < 0 ? r : -EPROTO;
			break;
		default:
			r = mmapc_stat(NULL, &st);
			break;
		}
		if (r < 0 && errors++ < REPORTS_MAX)
			report(a->report_fd, REC_ERROR, a->idx, op, r, done);
	}
	report(a->report_fd, REC_DONE, a->idx, done, errors, 0);
	return errors ? 1 : 0;
}

/* ---- the harness's side -------------------------------------------------------------------- */

struct sample {
	double t;
	uint64_t requests;
	long rss;
	int fds;
	uint64_t connections;
};

struct load_result {
	long done, errors;
	int finished;
	char first_error[160];
};

static void on_record(const struct stress_record *r, void *arg)
{
	struct load_result *res = arg;

	if (r->kind == REC_DONE) {
		res->done += r->a;
		res->errors += r->b;
		res->finished++;
	} else if (!res->first_error[0]) {
		snprintf(res->first_error, sizeof(res->first_error),
		         "client %d, op %lld (%s): %s (%lld)", r->client, (long long)r->c,
		         op_names[r->a], strerror((int)-r->b), (long long)r->b);
	}
}

static int make_persistent_tags(void)
{
	for (int i = 0; i < PERSISTENT_TAGS; i++) {
		char name[32];
		struct mmapc_options o = {.tagname = name, .options = MMAPC_PERSISTENT};
		mmapc_map *m;
		snprintf(name, sizeof(name), "lpers-%d", i);
		int r = mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o);
		if (r < 0)
			return r;
		mmapc_free(m);
		/* The first reader makes the tag's read-only twin descriptor, which then lives
		 * as long as the tag: part of the baseline, not of the run. */
		o.options = MMAPC_NOCREATE;
		r = mmapc_open(&m, -1, 0, MMAPC_ACCESS_READ, 0, &o);
		if (r < 0)
			return r;
		mmapc_free(m);
	}
	return 0;
}

/* The sample at which the run has made frac of its requests. */
static const struct sample *at_progress(const struct sample *s, int n, uint64_t first,
                                        uint64_t last, double frac)
{
	for (int i = 0; i < n; i++)
		if ((double)(s[i].requests - first) >= frac * (double)(last - first))
			return &s[i];
	return &s[n - 1];
}

/* Forks the clients, releases them together, samples the daemon until all have exited. */
static int run_clients(const struct stress_opts *opts, struct sdaemon *d, int report_fd[2],
                       struct load_result *res, struct sample *samples, int cap, double *ret_secs)
{
	int n = opts->clients, n_samples = 0, alive = 0;
	struct load_client *c = calloc((size_t)n, sizeof(*c));
	pid_t *pid = calloc((size_t)n, sizeof(*pid));
	uint64_t rng = opts->seed ^ 0x10ad;
	int start[2];

	if (pipe2(start, O_CLOEXEC) < 0)
		return 0;
	for (int i = 0; i < n; i++) {
		c[i] = (struct load_client){.idx = i,
		                            .ops = opts->ops,
		                            .report_fd = report_fd[1],
		                            .start_fd = {start[0], start[1]},
		                            .check_bytes = n <= SHARED_SIZE,
		                            .seed = rng_next(&rng) | 1};
		pid[i] = child_spawn(load_client_main, &c[i]);
		alive += pid[i] > 0;
	}
	close(start[0]);
	double t0 = now_s();
	close(start[1]); /* go */
	while (alive > 0) {
		struct mmapc_stats st;
		int status;
		/* Each client by its pid: waitpid(-1) would reap the daemon too. */
		for (int i = 0; i < n; i++)
			if (pid[i] > 0 && waitpid(pid[i], &status, WNOHANG) == pid[i]) {
				child_forget(pid[i]);
				pid[i] = 0;
				alive--;
			}
		report_drain(report_fd[0], on_record, res);
		if (n_samples < cap && sdaemon_stat(d, &st) == 0)
			samples[n_samples++] = (struct sample){.t = now_s() - t0,
			                                       .requests = st.requests,
			                                       .rss = proc_rss_kib(d->pid),
			                                       .fds = proc_fd_count(d->pid),
			                                       .connections = st.connections};
		if (!sdaemon_alive(d))
			break;
		sleep_ms(50);
	}
	*ret_secs = now_s() - t0;
	report_drain(report_fd[0], on_record, res);
	free(pid);
	free(c);
	return n_samples;
}

void scenario_load(const struct stress_opts *opts)
{
	struct sdaemon d;
	struct mmapc_stats base, st;
	struct load_result res = {0};
	int report_fd[2], cap = 100000;
	struct sample *samples = calloc((size_t)cap, sizeof(*samples));
	double secs = 0;

	info("load: %d clients x %d operations, seed %llu", opts->clients, opts->ops,
	     (unsigned long long)opts->seed);
	if (sdaemon_start(&d, sdaemon_no_limits, 0) < 0 || report_pipe(report_fd) < 0) {
		check(false, "load.start", "cannot start mmapd or make a pipe");
		return;
	}
	stress_deadline("load", 900, &d);
	if (make_persistent_tags() < 0 ||
	    sdaemon_settle(&d, PERSISTENT_TAGS, 0, 1, 2000, &base) < 0) {
		check(false, "load.start", "cannot make the persistent tags");
		sdaemon_stop(&d);
		return;
	}
	int base_fds = proc_fd_count_settled(d.pid);
	long base_rss = proc_rss_kib(d.pid);
	int n = run_clients(opts, &d, report_fd, &res, samples, cap, &secs);
	bool alive = sdaemon_alive(&d) && mmapc_ping(d.socket) > 0;
	int settle =
	        alive ? sdaemon_settle(&d, (long)base.tags, 0, (long)base.connections, 5000, &st)
	              : -1;
	int fds = alive ? proc_fd_count_settled(d.pid) : -1;
	long rss_after = alive ? proc_rss_kib(d.pid) : -1;
	long expected = (long)opts->clients * opts->ops;
	if (alive && fds != base_fds)
		proc_fd_show(d.pid);

	check(alive && res.finished == opts->clients && res.done == expected, "load.completed",
	      "%d of %d clients finished, %ld of %ld operations in %.1f s (%.0f ops/s, %.0f daemon "
	      "requests/s)",
	      res.finished, opts->clients, res.done, expected, secs, (double)res.done / secs,
	      (double)(st.requests - base.requests) / secs);
	check(alive && res.errors == 0, "load.zero-errors", "%ld errors%s%s", res.errors,
	      res.first_error[0] ? "; first: " : "", res.first_error);

	if (n > 0) {
		uint64_t first = base.requests, last = samples[n - 1].requests;
		const struct sample *warm = at_progress(samples, n, first, last, 0.25);
		long max_after = warm->rss, peak_fds = 0;
		uint64_t peak_conns = 0;
		for (const struct sample *s = samples; s < samples + n; s++) {
			if (s >= warm && s->rss > max_after)
				max_after = s->rss;
			peak_fds = s->fds > peak_fds ? s->fds : peak_fds;
			peak_conns = s->connections > peak_conns ? s->connections : peak_conns;
		}
		static const double marks[] = {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0};
		char curve[400];
		int len = 0;
		for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
			const struct sample *s = at_progress(samples, n, first, last, marks[i]);
			len += snprintf(curve + len, sizeof(curve) - (size_t)len, "%s%d%% %ld",
			                i ? ", " : "", (int)(marks[i] * 100), s->rss);
		}
		info("load: RSS (KiB) by progress: idle %ld, %s; after %ld; %d samples, peak %llu "
		     "connections, %ld fds",
		     base_rss, curve, rss_after, n, (unsigned long long)peak_conns, peak_fds);
		long slack = warm->rss / 20 > 1024 ? warm->rss / 20 : 1024;
		check(max_after <= warm->rss + slack, "load.rss-plateau",
		      "RSS %ld KiB at the end of warm-up (25 %% of requests, %.1f s), at most %ld "
		      "KiB after (allowed +%ld KiB); idle %ld KiB, after the run %ld KiB",
		      warm->rss, warm->t, max_after, slack, base_rss, rss_after);
	} else {
		check(false, "load.rss-plateau", "no samples");
	}
	check(alive && settle >= 0 && st.tags == base.tags && st.handles == 0 &&
	              st.connections == base.connections && fds == base_fds &&
	              st.bytes == base.bytes,
	      "load.back-to-baseline",
	      "tags %llu -> %llu, holds 0 -> %llu, connections %llu -> %llu, fds %d -> %d, bytes "
	      "%llu -> %llu (settled in %d ms)",
	      (unsigned long long)base.tags, (unsigned long long)st.tags,
	      (unsigned long long)st.handles, (unsigned long long)base.connections,
	      (unsigned long long)st.connections, base_fds, fds, (unsigned long long)base.bytes,
	      (unsigned long long)st.bytes, settle);
	child_kill_all();
	stress_deadline("load", 0, NULL);
	int status = sdaemon_stop(&d);
	check(status == 0, "load.daemon-exit", "mmapd exited with status %#x on SIGTERM", status);
	close(report_fd[0]);
	close(report_fd[1]);
	free(samples);
}
