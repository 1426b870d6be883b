/* daemon_load.c: the daemon benchmarks under load: many clients at once, many tags, many
 * connections.
 *
 * The rows and their baselines:
 *   throughput        1, 8 and 64 client processes open T, touch and free as fast as they
 *                     can for a fixed time; the aggregate opens/s against the same number of
 *                     clients of the epoll floor (one thread, non-blocking, every socket in
 *                     one epoll set, like mmapd's loop) doing the attach floor's cycle.
 *   scale             attach median on a daemon with many live (persistent) tags against
 *                     one with 10, both running at once and measured alternately. The count
 *                     is bounded by the hard descriptor limit, since mmapd keeps one
 *                     descriptor per tag (the row says which count was used).
 *   memory            mmapd's RssAnon (its heap: not the tags' pages, which are shmem)
 *                     after creating N persistent tags, less before, over N. An absolute
 *                     bound (bytes per tag), so its baseline is 1.
 *   connections       As many raw connections as fit, up to 8192, each answered a ping
 *                     round trip, and an open and free through the library while all are
 *                     connected. An absolute bound, baseline 1.
 *
 * Each row starts its own mmapd and stops it before it returns; clients and creators are
 * forked processes that report through the shared page (daemon.h), as the latency measurer
 * does.
 *
 * Not here: the latency rows, the measurer and the entry point (daemon.c), the floors
 * (floor.c), starting mmapd (spawn.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "daemon.h"
#include "floor.h"
#include "mmapc.h"
#include "spawn.h"

/* ---- throughput ------------------------------------------------------------------------------ */

/* One client process: a warm-up op (which connects), a byte on ready, then ops until the
 * deadline once go is closed; the count of ops done by the deadline goes to counts[i]. */
static void client_run(struct op *o, size_t i, int ready, int go)
{
	uint64_t n = 0;
	char c = o->run(o) < 0 ? 'x' : 'k';

	if (write(ready, &c, 1) != 1 || c == 'x')
		_exit(1);
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	uint64_t deadline = dbench_page->deadline_ns;
	for (;;) {
		if (o->run(o) < 0)
			_exit(1);
		if (bench_now_ns() > deadline)
			break;
		n++;
	}
	dbench_page->counts[i] = n;
	_exit(0);
}

/* Runs n clients doing o for secs; returns the aggregate ops/s, or a negative errno. */
static double throughput_round(const struct op *proto, const struct floor *f, size_t n, double secs)
{
	int ready[2], go[2];
	pid_t pids[MAX_CLIENTS];
	size_t started = 0;
	char c;
	int r = 0;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return dbench_fail("pipe", -errno);
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(ready[0]), close(ready[1]);
		return dbench_fail("pipe", -errno);
	}
	memset(dbench_page->counts, 0, sizeof(dbench_page->counts));
	for (; started < n; started++) {
		struct op o = *proto;
		if (f)
			o.sock = f->fds[started];
		pids[started] = fork();
		if (pids[started] < 0) {
			r = dbench_fail("fork", -errno);
			break;
		}
		if (pids[started] == 0) {
			close(ready[0]), close(go[1]);
			client_run(&o, started, ready[1], go[0]);
		}
	}
	close(ready[1]), close(go[0]);
	for (size_t i = 0; r == 0 && i < started; i++)
		if (read(ready[0], &c, 1) != 1 || c != 'k')
			r = dbench_page->error ? dbench_page->error
			                       : dbench_fail("client start", -ECHILD);
	dbench_page->deadline_ns = bench_now_ns() + (uint64_t)(secs * 1e9);
	close(go[1]);
	close(ready[0]);
	for (size_t i = 0; i < started; i++) {
		int status;
		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status)))
			r = dbench_page->error ? dbench_page->error
			                       : dbench_fail("client", -ECHILD);
	}
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += dbench_page->counts[i];
	return r < 0 ? r : (double)total / secs;
}

/* The rows of one client count: subject and floor rounds alternately, medians reported. */
static void throughput_rows(const struct sizes *sz, const struct op *subject, const struct floor *f,
                            size_t clients)
{
	struct op base = {.run = dbench_op_floor_attach, .len = 4 * KIB};
	double rate[2][MAX_ROUNDS];
	char what[64], note[96];

	snprintf(what, sizeof(what), "throughput %zu client%s", clients, clients > 1 ? "s" : "");
	for (int i = 0; i < sz->tp_rounds; i++)
		for (int j = 0; j < 2; j++) {
			int s = (i + j) % 2;
			rate[s][i] = throughput_round(s ? &base : subject, s ? f : NULL, clients,
			                              sz->tp_secs);
			if (rate[s][i] < 0) {
				dbench_report_failure(what, "opens/s", BENCH_AT_LEAST, 0.8);
				return;
			}
		}
	snprintf(note, sizeof(note), "open T, touch, free; vs epoll floor; %d x %.1f s each",
	         sz->tp_rounds, sz->tp_secs);
	bench_report(what, bench_median(rate[0], (size_t)sz->tp_rounds),
	             bench_median(rate[1], (size_t)sz->tp_rounds), "opens/s", BENCH_AT_LEAST, 0.8,
	             note);
}

void dbench_throughput(const struct bench *b, const struct sizes *sz)
{
	static const char *const tags[] = {"T"};
	static const int64_t lens[] = {4 * KIB};
	static const size_t clients[] = {1, 8, MAX_CLIENTS};
	struct op subject = {.run = dbench_op_attach, .tag = "T"};
	struct spawn_daemon d;
	struct floor f;
	pid_t holder;
	int r;

	dbench_page->error = 0;
	if ((r = dbench_start_daemon(&d, b)) == 0) {
		subject.socket = d.socket;
		holder = dbench_start_holder(d.socket, tags, lens, 1);
		r = holder < 0 ? (int)holder
		               : dbench_fail("start floor",
		                             floor_start(&f, MAX_CLIENTS, 4 * KIB, true));
		for (size_t k = 0; r == 0 && k < sizeof(clients) / sizeof(clients[0]); k++) {
			dbench_page->error = 0;
			throughput_rows(sz, &subject, &f, clients[k]);
		}
		if (r == 0)
			floor_stop(&f);
		spawn_reap(holder);
		spawn_stop(&d);
	}
	for (size_t k = 0; r < 0 && k < sizeof(clients) / sizeof(clients[0]); k++) {
		char what[64];
		snprintf(what, sizeof(what), "throughput %zu client%s", clients[k],
		         clients[k] > 1 ? "s" : "");
		dbench_report_failure(what, "opens/s", BENCH_AT_LEAST, 0.8);
	}
}

/* ---- scale and memory ------------------------------------------------------------------------ */

struct creator_job {
	const char *socket;
	size_t from, to; /* creates persistent tags "t<from>" .. "t<to - 1>" */
};

static void creator_cb(void *arg)
{
	struct creator_job *c = arg;

	for (size_t i = c->from; i < c->to; i++) {
		char name[32];
		snprintf(name, sizeof(name), "t%zu", i);
		if (dbench_fail("create persistent tag",
		                dbench_lib_cycle(c->socket, name, 4 * KIB, MMAPC_PERSISTENT)) < 0)
			return;
	}
}

/* Creates n persistent tags t0 .. t<n-1> on socket, from two processes at once. */
static int create_tags(const char *socket, size_t n)
{
	struct creator_job half = {.socket = socket, .from = n / 2, .to = n};
	pid_t pid = fork();
	int status, r;

	if (pid < 0)
		return dbench_fail("fork", -errno);
	if (pid == 0) {
		creator_cb(&half);
		_exit(dbench_page->error ? 1 : 0);
	}
	r = dbench_run_child(creator_cb,
	                     &(struct creator_job){.socket = socket, .from = 0, .to = n / 2});
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status)))
		r = dbench_page->error ? dbench_page->error : dbench_fail("creator", -ECHILD);
	return r;
}

/* The hard descriptor limit, which mmapd raises its own soft limit to. */
unsigned long long dbench_nofile_hard(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max == RLIM_INFINITY)
		return 4ull * MAX_TAGS;
	return (unsigned long long)rl.rlim_max;
}

/* The most tags a daemon can hold under the hard descriptor limit (mmapd keeps one
 * descriptor per tag), leaving a quarter for its connections and its own, and no more than
 * the 100,000. */
size_t dbench_tags_that_fit(unsigned long long hard)
{
	unsigned long long n = hard / 4 * 3;
	return n < MAX_TAGS ? (size_t)n : MAX_TAGS;
}

void dbench_scale(const struct bench *b, const struct sizes *sz)
{
	struct latency_job job = {
	        .side = {{.run = dbench_op_attach, .tag = "t0"},
	                 {.run = dbench_op_attach, .tag = "t0"}},
	        .cpu = -1,
	        .sz = *sz,
	};
	struct spawn_daemon many, few;
	long long before = -1, after = -1;
	char what[64], note[96];
	int r;

	dbench_page->error = 0;
	snprintf(what, sizeof(what), "scale %zu tags vs 10 p50", sz->tags);
	if ((r = dbench_start_daemon(&many, b)) < 0)
		goto failed;
	if ((r = dbench_start_daemon(&few, b)) < 0) {
		spawn_stop(&many);
		goto failed;
	}
	before = spawn_rss_anon(many.pid);
	r = create_tags(many.socket, sz->tags);
	after = spawn_rss_anon(many.pid);
	if (r == 0)
		r = create_tags(few.socket, 10);
	job.side[0].socket = many.socket;
	job.side[1].socket = few.socket;
	if (r == 0)
		r = dbench_run_child(dbench_measure_cb, &job);
	spawn_stop(&few);
	spawn_stop(&many);
	if (r < 0)
		goto failed;
	if (sz->quick)
		snprintf(note, sizeof(note), "%zu persistent tags (--quick)", sz->tags);
	else
		snprintf(note, sizeof(note),
		         "%zu persistent tags, as the fd hard limit (%llu) allows; issue: %d",
		         sz->tags, sz->nofile_hard, MAX_TAGS);
	bench_report(what, dbench_page->p50[0], dbench_page->p50[1], "us", BENCH_AT_MOST, 1.1,
	             note);
	if (before < 0 || after < 0) {
		dbench_fail("RssAnon", before < 0 ? (int)before : (int)after);
		dbench_report_failure("mmapd RssAnon per tag", "bytes", BENCH_AT_MOST, 1024);
		return;
	}
	snprintf(note, sizeof(note), "RssAnon %lld -> %lld KiB over %zu persistent tags",
	         before / 1024, after / 1024, sz->tags);
	bench_report("mmapd RssAnon per tag", (double)(after - before) / (double)sz->tags, 1,
	             "bytes", BENCH_AT_MOST, 1024, note);
	return;
failed:
	dbench_report_failure(what, "us", BENCH_AT_MOST, 1.1);
	dbench_report_failure("mmapd RssAnon per tag", "bytes", BENCH_AT_MOST, 1024);
}

/* ---- connections ---------------------------------------------------------------------------- */

struct conn_job {
	const char *socket;
	size_t want;
};

static void conn_cb(void *arg)
{
	struct conn_job *j = arg;
	struct rlimit rl;
	int *fds = calloc(j->want, sizeof(int));

	if (!fds) {
		dbench_fail("calloc", -ENOMEM);
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	size_t n = 0;
	for (; n < j->want; n++) {
		int fd = spawn_connect(j->socket);
		if (fd < 0)
			break;
		fds[n] = fd;
	}
	dbench_page->held = (long long)n;
	dbench_page->served = spawn_ping_all(fds, n, 10000);
	/* An open and free through the library while every connection is up. */
	dbench_page->lib_error = dbench_lib_cycle(j->socket, "probe", 4 * KIB, 0);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

void dbench_connections(const struct bench *b, const struct sizes *sz)
{
	struct conn_job j = {.want = sz->connections};
	struct spawn_daemon d;
	char note[96];

	dbench_page->error = 0;
	dbench_page->held = dbench_page->served = 0;
	int r = dbench_start_daemon(&d, b);
	if (r == 0) {
		j.socket = d.socket;
		r = dbench_run_child(conn_cb, &j);
		spawn_stop(&d);
	}
	if (r < 0) {
		dbench_report_failure("connections served", "conns", BENCH_AT_LEAST, 4096);
		return;
	}
	/* Served means answered, and the library still works with all of them up. */
	snprintf(note, sizeof(note), "%lld held of %zu tried, %lld answered a ping; library: %s",
	         dbench_page->held, sz->connections, dbench_page->served,
	         dbench_page->lib_error ? strerror(-dbench_page->lib_error) : "open ok");
	bench_report("connections served", dbench_page->lib_error ? 0 : (double)dbench_page->served,
	             1, "conns", BENCH_AT_LEAST, 4096, note);
}
