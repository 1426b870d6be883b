/* daemon.c: the daemon benchmarks: opening tags through mmapd against the floors of floor.c;
 * the latency rows, the measurer they share with daemon_load.c, and the entry point.
 *
 * Every benchmark starts its own mmapd (spawn.c) and stops it before it returns. What is
 * measured runs in a forked "measurer" process, so that the benchmark program itself never
 * holds a libmmapc connection (they live as long as the process), a hold, or a CPU pinning;
 * results come back through one shared page. Latency rows run subject and baseline in the
 * same measurer, alternately, in rounds (the order rotated every round, after one warm-up
 * round each), and report the median over rounds of each round's median or 99th percentile,
 * so that drift of the machine cancels. Rounds are short (a few hundred ops, tens of
 * milliseconds) and many, because this machine's load comes in bursts that a long round
 * would give to one side only. Every op is timed by itself.
 *
 * The latency rows and their baselines:
 *   attach p50, p99   A holder process creates tag T (4 KiB) and keeps it; the measurer opens
 *                     T (length 0), writes a byte and frees the map. Baseline: the attach
 *                     floor (floor.c): the same open/touch/free with a bare server passing
 *                     one memfd over a socketpair. It is the fair floor because any broker
 *                     in another process pays its round trip, SCM_RIGHTS and mapping, and
 *                     it pays nothing else.
 *   attach same-CPU   The same, with the measurer, mmapd and the floor's server pinned to one
 *                     CPU: the cost of the context switches themselves, without another CPU
 *                     to hide the server's work behind.
 *   create            A new anonymous tag (a new name each time), mapped, touched, freed (the
 *                     tag dies with it). Baseline: the create floor: the floor's round trip
 *                     plus a memfd made, sized, mapped, faulted and closed locally, since a
 *                     create must make and fault a new memory object somewhere.
 *   re-open           The measurer keeps one map of T for the whole run and opens, touches
 *                     and frees a second one repeatedly. Baseline: the attach floor, the
 *                     least an open through another process costs: a re-open served inside
 *                     the process should cost a fraction of it. An unjudged row compares it
 *                     with the local floor (mmap, touch, munmap of a memfd at hand), the
 *                     least a new mapping costs at all, which bounds how small that
 *                     fraction can be on this machine.
 *   1 GiB vs 4 KiB    attach of a 1 GiB tag against attach of a 4 KiB tag (one byte touched
 *                     in each): mapping must not cost in proportion to the size. An unjudged
 *                     row gives the attach floor's own ratio at the same two sizes: the
 *                     kernel's share (a mapping alone in a fresh gigabyte of address space
 *                     needs page tables of its own, made at the fault, freed at munmap).
 *
 * The load rows (throughput, scale, memory, connections) are daemon_load.c's; bench_daemon, at
 * the end of this file, runs them all in the report's order.
 *
 * Not here: the load rows (daemon_load.c), the floors (floor.c), starting mmapd (spawn.c), the
 * report (main.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "daemon.h"
#include "floor.h"
#include "mmapc.h"
#include "spawn.h"

struct shared *dbench_page;

int dbench_fail(const char *where, int r)
{
	if (r < 0 && !dbench_page->error) {
		dbench_page->error = r;
		snprintf(dbench_page->where, sizeof(dbench_page->where), "%s", where);
	}
	return r;
}

void dbench_report_failure(const char *what, const char *unit, enum bench_goal goal, double target)
{
	char note[96];

	snprintf(note, sizeof(note), "failed: %s: %s", dbench_page->where,
	         strerror(-dbench_page->error));
	fprintf(stderr, "  %s %s\n", what, note);
	bench_report(what, NAN, 1, unit, goal, target, note);
}

/* Runs fn(arg) in a child process and reaps it; returns 0, or the error it recorded. */
int dbench_run_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return dbench_fail("fork", -errno);
	if (pid == 0) {
		fn(arg);
		_exit(dbench_page->error ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return dbench_fail("waitpid", -errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return dbench_page->error ? dbench_page->error
		                          : dbench_fail("measurer died", -ECHILD);
	return 0;
}

/* A private mmapd for one benchmark (spawn.c), its failure recorded. */
int dbench_start_daemon(struct spawn_daemon *d, const struct bench *b)
{
	int r = spawn_daemon(d, b->mmapd, NULL);
	return dbench_fail(r == -ECHILD ? "mmapd exited at start" : "start mmapd", r);
}

/* A holder (spawn.c) of n tags on socket, its failure recorded. */
pid_t dbench_start_holder(const char *socket, const char *const *tags, const int64_t *lens,
                          size_t n)
{
	pid_t pid = spawn_holder(socket, tags, lens, n);
	return pid < 0 ? dbench_fail("holder", pid) : pid;
}

/* ---- one operation of each kind ------------------------------------------------------------- */

static int touch_map(mmapc_map *m)
{
	volatile uint8_t *p = mmapc_data(m);

	if (!p)
		return -EBADF;
	p[0]++;
	return 0;
}

/* Opens tag with length len (0: an existing tag, all of it), touches a byte, frees. */
int dbench_lib_cycle(const char *socket, const char *tag, int64_t len, unsigned options)
{
	struct mmapc_options opts = {.tagname = tag, .socket_path = socket, .options = options};
	mmapc_map *m;

	int r = mmapc_open(&m, -1, len, MMAPC_ACCESS_DEFAULT, 0, &opts);
	if (r < 0)
		return r;
	r = touch_map(m);
	mmapc_free(m);
	return r;
}

int dbench_op_attach(struct op *o)
{
	return dbench_fail("open existing tag", dbench_lib_cycle(o->socket, o->tag, 0, 0));
}

/* Makes a name no other op of any process has used. */
static void new_name(struct op *o, char *name, size_t cap)
{
	snprintf(name, cap, "%s-%d-%u", o->tag, (int)getpid(), o->seq++);
}

static int op_create(struct op *o)
{
	char name[64];

	new_name(o, name, sizeof(name));
	return dbench_fail("create tag", dbench_lib_cycle(o->socket, name, o->len, 0));
}

int dbench_op_floor_attach(struct op *o)
{
	return dbench_fail("floor attach", floor_attach(o->sock, (size_t)o->len));
}

static int op_floor_create(struct op *o)
{
	return dbench_fail("floor create", floor_create(o->sock, (size_t)o->len));
}

/* The floor of a map made inside the process, with no round trip: map a memfd the process
 * already has, touch a byte, unmap (the least a second map of a held tag needs). The first
 * call makes the memfd (seq counts calls). */
static int op_local_map(struct op *o)
{
	if (o->seq++ == 0) {
		o->sock = memfd_create("bench-local", MFD_CLOEXEC);
		if (o->sock < 0 || ftruncate(o->sock, o->len) < 0)
			return dbench_fail("local memfd", -errno);
	}
	volatile uint8_t *p =
	        mmap(NULL, (size_t)o->len, PROT_READ | PROT_WRITE, MAP_SHARED, o->sock, 0);
	if (p == MAP_FAILED)
		return dbench_fail("local mmap", -errno);
	p[0]++;
	munmap((void *)p, (size_t)o->len);
	return 0;
}

/* ---- latency: subject and baseline in alternating rounds ------------------------------------ */

/* Times n ops of o into us[] (microseconds each). */
static int time_ops(struct op *o, double *us, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();
		int r = o->run(o);
		us[i] = (double)(bench_now_ns() - t0) / 1e3;
		if (r < 0)
			return r;
	}
	return 0;
}

static int interleave(struct latency_job *job)
{
	double p50[MAX_SIDES][MAX_ROUNDS], p99[MAX_SIDES][MAX_ROUNDS];
	int rounds = job->sz.rounds, n = job->sz.ops, sides = job->n_sides ? job->n_sides : 2;
	double *us = calloc((size_t)n, sizeof(double));

	if (!us)
		return dbench_fail("calloc", -ENOMEM);
	for (int r = -1; r < rounds; r++) {
		for (int k = 0; k < sides; k++) {
			int s = (k + (r < 0 ? 0 : r)) % sides;
			if (time_ops(&job->side[s], us, n) < 0) {
				free(us);
				return dbench_page->error;
			}
			if (r < 0)
				continue; /* the warm-up round */
			p50[s][r] = bench_percentile(us, (size_t)n, 50);
			p99[s][r] = bench_percentile(us, (size_t)n, 99);
		}
	}
	for (int s = 0; s < sides; s++) {
		dbench_page->p50[s] = bench_median(p50[s], (size_t)rounds);
		dbench_page->p99[s] = bench_median(p99[s], (size_t)rounds);
	}
	free(us);
	return 0;
}

void dbench_measure_cb(void *arg)
{
	struct latency_job *job = arg;
	struct mmapc_options opts = {.tagname = job->hold, .socket_path = job->side[0].socket};
	mmapc_map *held = NULL;

	if (job->cpu >= 0 && dbench_fail("pin measurer", spawn_pin(getpid(), job->cpu)) < 0)
		return;
	if (job->hold && dbench_fail("open held map",
	                             mmapc_open(&held, -1, 0, MMAPC_ACCESS_DEFAULT, 0, &opts)) < 0)
		return;
	interleave(job);
	mmapc_free(held);
}

/* ---- rows built on the latency job -------------------------------------------------------- */

static void report_latency(const char *what, const char *note, double target, bool p99)
{
	char name[64];

	snprintf(name, sizeof(name), "%s p50", what);
	bench_report(name, dbench_page->p50[0], dbench_page->p50[1], "us", BENCH_AT_MOST, target,
	             note);
	if (!p99)
		return;
	snprintf(name, sizeof(name), "%s p99", what);
	bench_report(name, dbench_page->p99[0], dbench_page->p99[1], "us", BENCH_AT_MOST, target,
	             note);
}

/* A daemon with a holder of T (4 KiB) and a floor server; the measurer runs job against
 * them. same_cpu pins the daemon, the floor's server and the measurer to one CPU. */
static int attach_setup_and_measure(const struct bench *b, struct latency_job *job, bool same_cpu)
{
	static const char *const tags[] = {"T"};
	static const int64_t lens[] = {4 * KIB};
	struct spawn_daemon d;
	struct floor f;
	pid_t holder;
	int r;

	if ((r = dbench_start_daemon(&d, b)) < 0)
		return r;
	holder = dbench_start_holder(d.socket, tags, lens, 1);
	r = holder < 0 ? (int)holder
	               : dbench_fail("start floor", floor_start(&f, 1, 4 * KIB, false));
	if (r == 0) {
		job->cpu = same_cpu ? spawn_first_cpu() : -1;
		if (same_cpu) {
			r = dbench_fail("pin mmapd", spawn_pin(d.pid, job->cpu));
			if (r == 0)
				r = dbench_fail("pin floor", spawn_pin(f.pid, job->cpu));
		}
		for (int i = 0; i < 2; i++) {
			job->side[i].socket = d.socket;
			job->side[i].sock = f.fds[0];
		}
		if (r == 0)
			r = dbench_run_child(dbench_measure_cb, job);
		floor_stop(&f);
	}
	spawn_reap(holder);
	spawn_stop(&d);
	return r;
}

static void bench_attach(const struct bench *b, const struct sizes *sz, bool same_cpu)
{
	const char *what = same_cpu ? "attach same-CPU" : "attach";
	struct latency_job job = {
	        .side = {{.run = dbench_op_attach, .tag = "T"},
	                 {.run = dbench_op_floor_attach, .len = 4 * KIB}},
	        .sz = *sz,
	};

	dbench_page->error = 0;
	if (attach_setup_and_measure(b, &job, same_cpu) < 0) {
		dbench_report_failure(same_cpu ? "attach same-CPU p50" : "attach p50", "us",
		                      BENCH_AT_MOST, 1.3);
		return;
	}
	report_latency(what,
	               same_cpu ? "measurer, mmapd and floor server on one CPU"
	                        : "open T (4 KiB, held elsewhere), touch, free",
	               1.3, true);
}

static void bench_reopen(const struct bench *b, const struct sizes *sz)
{
	struct latency_job job = {
	        .side = {{.run = dbench_op_attach, .tag = "T"},
	                 {.run = dbench_op_floor_attach, .len = 4 * KIB},
	                 {.run = op_local_map, .len = 4 * KIB}},
	        .n_sides = 3,
	        .hold = "T",
	        .sz = *sz,
	};

	dbench_page->error = 0;
	if (attach_setup_and_measure(b, &job, false) < 0) {
		dbench_report_failure("re-open p50", "us", BENCH_AT_MOST, 0.2);
		return;
	}
	report_latency("re-open", "a 2nd map of a tag this process holds; vs attach floor", 0.2,
	               false);
	bench_report("re-open vs local map p50", dbench_page->p50[0], dbench_page->p50[2], "us",
	             BENCH_INFO, 0,
	             "the local floor: mmap, touch, munmap of a memfd at hand; no round trip");
}

static void bench_create(const struct bench *b, const struct sizes *sz)
{
	struct latency_job job = {
	        .side = {{.run = op_create, .tag = "new", .len = 4 * KIB},
	                 {.run = op_floor_create, .len = 4 * KIB}},
	        .sz = *sz,
	};
	struct spawn_daemon d;
	struct floor f;

	dbench_page->error = 0;
	int r = dbench_start_daemon(&d, b);
	if (r == 0) {
		r = dbench_fail("start floor", floor_start(&f, 1, 4 * KIB, false));
		if (r == 0) {
			job.cpu = -1;
			job.side[0].socket = d.socket;
			job.side[1].sock = f.fds[0];
			r = dbench_run_child(dbench_measure_cb, &job);
			floor_stop(&f);
		}
		spawn_stop(&d);
	}
	if (r < 0) {
		dbench_report_failure("create p50", "us", BENCH_AT_MOST, 1.5);
		return;
	}
	report_latency("create", "new 4 KiB tag, touch, free; floor + local memfd", 1.5, false);
}

/* Attach of a 1 GiB tag against attach of a 4 KiB one; and, for reading, the same two sizes
 * through the attach floor, which shows what the kernel's own mmap, fault and munmap make of
 * the size (page tables for a new gigabyte of address space are made and freed each time). */
static void bench_size(const struct bench *b, const struct sizes *sz)
{
	static const char *const tags[] = {"big", "small"};
	static const int64_t lens[] = {GIB, 4 * KIB};
	struct latency_job job = {
	        .side = {{.run = dbench_op_attach, .tag = "big"},
	                 {.run = dbench_op_attach, .tag = "small"},
	                 {.run = dbench_op_floor_attach, .len = GIB},
	                 {.run = dbench_op_floor_attach, .len = 4 * KIB}},
	        .n_sides = 4,
	        .cpu = -1,
	        .sz = *sz,
	};
	struct spawn_daemon d;
	struct floor big, small;
	pid_t holder;

	job.sz.ops /= 2; /* four sides, two of them slow */
	dbench_page->error = 0;
	int r = dbench_start_daemon(&d, b);
	if (r == 0) {
		holder = dbench_start_holder(d.socket, tags, lens, 2);
		r = holder < 0 ? (int)holder
		               : dbench_fail("start floor", floor_start(&big, 1, GIB, false));
		if (r == 0) {
			r = dbench_fail("start floor", floor_start(&small, 1, 4 * KIB, false));
			if (r == 0) {
				job.side[0].socket = job.side[1].socket = d.socket;
				job.side[2].sock = big.fds[0];
				job.side[3].sock = small.fds[0];
				r = dbench_run_child(dbench_measure_cb, &job);
				floor_stop(&small);
			}
			floor_stop(&big);
		}
		spawn_reap(holder);
		spawn_stop(&d);
	}
	if (r < 0) {
		dbench_report_failure("attach 1 GiB vs 4 KiB p50", "us", BENCH_AT_MOST, 1.1);
		return;
	}
	bench_report("attach 1 GiB vs 4 KiB p50", dbench_page->p50[0], dbench_page->p50[1], "us",
	             BENCH_AT_MOST, 1.1, "both held elsewhere; one byte touched");
	bench_report("floor 1 GiB vs 4 KiB p50", dbench_page->p50[2], dbench_page->p50[3], "us",
	             BENCH_INFO, 0, "the kernel's share: the attach floor at each size");
}

/* ---- entry ---------------------------------------------------------------------------------- */

void bench_daemon(struct bench *b);
void bench_daemon(struct bench *b)
{
	struct sizes sz = {
	        .rounds = b->quick ? 3 : 31,
	        .ops = b->quick ? 100 : 400,
	        .tp_rounds = b->quick ? 1 : 3,
	        .tp_secs = b->quick ? 0.1 : 0.5,
	        .tags = b->quick ? 1000 : dbench_tags_that_fit(dbench_nofile_hard()),
	        .connections = b->quick ? 1024 : MAX_CONNECTIONS,
	        .nofile_hard = dbench_nofile_hard(),
	        .quick = b->quick,
	};

	dbench_page = mmap(NULL, sizeof(*dbench_page), PROT_READ | PROT_WRITE,
	                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (dbench_page == MAP_FAILED) {
		fprintf(stderr, "  daemon: no shared page: %s\n", strerror(errno));
		return;
	}
	/* A client's write to a daemon that died must fail, not kill the benchmark. */
	signal(SIGPIPE, SIG_IGN);
	bench_attach(b, &sz, false);
	bench_attach(b, &sz, true);
	bench_create(b, &sz);
	bench_reopen(b, &sz);
	dbench_throughput(b, &sz);
	dbench_scale(b, &sz);
	dbench_connections(b, &sz);
	bench_size(b, &sz);
	munmap(dbench_page, sizeof(*dbench_page));
}
