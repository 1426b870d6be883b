/* daemon.c: the daemon benchmarks: opening tags through mmapd against the floors of floor.c.
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
 * The rows and their baselines:
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
 *   1 GiB vs 4 KiB    attach of a 1 GiB tag against attach of a 4 KiB tag (one byte touched
 *                     in each): mapping must not cost in proportion to the size. An unjudged
 *                     row gives the attach floor's own ratio at the same two sizes: the
 *                     kernel's share (a mapping alone in a fresh gigabyte of address space
 *                     needs page tables of its own, made at the fault, freed at munmap).
 *
 * Not here: the floors (floor.c), starting mmapd (spawn.c), the report (main.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "floor.h"
#include "mmapc.h"
#include "spawn.h"

#define KIB 1024
#define GIB ((int64_t)1 << 30)
#define MAX_CLIENTS 64
#define MAX_ROUNDS 64
#define MAX_SIDES 4
#define MAX_TAGS 100000      /* what the issue asks for, if the descriptor limit allows */
#define MAX_CONNECTIONS 8192 /* connections the connection row tries to hold */

/* What a measurer or a client process reports back, on a page shared across fork. */
struct shared {
	int error; /* the first negative errno a child hit, and where */
	char where[48];
	double p50[MAX_SIDES], p99[MAX_SIDES]; /* us: [0] the subject, [1] the baseline, ... */
	uint64_t deadline_ns;                  /* throughput: when clients stop counting */
	uint64_t counts[MAX_CLIENTS];
	long long held, served;
	int lib_error; /* connections: the library's open and free while all are up */
};

static struct shared *sh;

struct sizes {
	int rounds, ops;          /* latency rounds, ops per round and side */
	int tp_rounds;            /* throughput rounds per side */
	double tp_secs;           /* one throughput round */
	size_t tags, connections; /* scale and connection rows */
	unsigned long long nofile_hard;
	bool quick;
};

static int fail(const char *where, int r)
{
	if (r < 0 && !sh->error) {
		sh->error = r;
		snprintf(sh->where, sizeof(sh->where), "%s", where);
	}
	return r;
}

static void report_failure(const char *what, const char *unit, enum bench_goal goal, double target)
{
	char note[96];

	snprintf(note, sizeof(note), "failed: %s: %s", sh->where, strerror(-sh->error));
	fprintf(stderr, "  %s %s\n", what, note);
	bench_report(what, NAN, 1, unit, goal, target, note);
}

/* Runs fn(arg) in a child process and reaps it; returns 0, or the error it recorded. */
static int run_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return fail("fork", -errno);
	if (pid == 0) {
		fn(arg);
		_exit(sh->error ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail("waitpid", -errno);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return sh->error ? sh->error : fail("measurer died", -ECHILD);
	return 0;
}

/* A private mmapd for one benchmark (spawn.c), its failure recorded. */
static int start_daemon(struct spawn_daemon *d, const struct bench *b)
{
	int r = spawn_daemon(d, b->mmapd, NULL);
	return fail(r == -ECHILD ? "mmapd exited at start" : "start mmapd", r);
}

/* A holder (spawn.c) of n tags on socket, its failure recorded. */
static pid_t start_holder(const char *socket, const char *const *tags, const int64_t *lens,
                          size_t n)
{
	pid_t pid = spawn_holder(socket, tags, lens, n);
	return pid < 0 ? fail("holder", pid) : pid;
}

/* ---- one operation of each kind ------------------------------------------------------------- */

struct op {
	int (*run)(struct op *o);
	const char *socket; /* library ops: the daemon */
	const char *tag;
	int64_t len;  /* create: the new tag's size; floor ops: the memfd's */
	int sock;     /* floor ops: this client's end */
	unsigned seq; /* create: tags made so far */
};

static int touch_map(mmapc_map *m)
{
	volatile uint8_t *p = mmapc_data(m);

	if (!p)
		return -EBADF;
	p[0]++;
	return 0;
}

/* Opens tag with length len (0: an existing tag, all of it), touches a byte, frees. */
static int lib_cycle(const char *socket, const char *tag, int64_t len, unsigned options)
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

static int op_attach(struct op *o)
{
	return fail("open existing tag", lib_cycle(o->socket, o->tag, 0, 0));
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
	return fail("create tag", lib_cycle(o->socket, name, o->len, 0));
}

static int op_floor_attach(struct op *o)
{
	return fail("floor attach", floor_attach(o->sock, (size_t)o->len));
}

static int op_floor_create(struct op *o)
{
	return fail("floor create", floor_create(o->sock, (size_t)o->len));
}

/* The floor of a map made inside the process, with no round trip: map a memfd the process
 * already has, touch a byte, unmap (the least a second map of a held tag needs). The first
 * call makes the memfd (seq counts calls). */
static int op_local_map(struct op *o)
{
	if (o->seq++ == 0) {
		o->sock = memfd_create("bench-local", MFD_CLOEXEC);
		if (o->sock < 0 || ftruncate(o->sock, o->len) < 0)
			return fail("local memfd", -errno);
	}
	volatile uint8_t *p =
	        mmap(NULL, (size_t)o->len, PROT_READ | PROT_WRITE, MAP_SHARED, o->sock, 0);
	if (p == MAP_FAILED)
		return fail("local mmap", -errno);
	p[0]++;
	munmap((void *)p, (size_t)o->len);
	return 0;
}

/* ---- latency: subject and baseline in alternating rounds ------------------------------------ */

struct latency_job {
	struct op side[MAX_SIDES]; /* [0] the subject, [1] its baseline, and more */
	int n_sides;               /* 0 means 2 */
	int cpu;                   /* pin the measurer to this CPU, or -1 */
	const char *hold;          /* keep a map of this tag open throughout, or NULL */
	struct sizes sz;
};

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
		return fail("calloc", -ENOMEM);
	for (int r = -1; r < rounds; r++) {
		for (int k = 0; k < sides; k++) {
			int s = (k + (r < 0 ? 0 : r)) % sides;
			if (time_ops(&job->side[s], us, n) < 0) {
				free(us);
				return sh->error;
			}
			if (r < 0)
				continue; /* the warm-up round */
			p50[s][r] = bench_percentile(us, (size_t)n, 50);
			p99[s][r] = bench_percentile(us, (size_t)n, 99);
		}
	}
	for (int s = 0; s < sides; s++) {
		sh->p50[s] = bench_median(p50[s], (size_t)rounds);
		sh->p99[s] = bench_median(p99[s], (size_t)rounds);
	}
	free(us);
	return 0;
}

static void measure_cb(void *arg)
{
	struct latency_job *job = arg;
	struct mmapc_options opts = {.tagname = job->hold, .socket_path = job->side[0].socket};
	mmapc_map *held = NULL;

	if (job->cpu >= 0 && fail("pin measurer", spawn_pin(getpid(), job->cpu)) < 0)
		return;
	if (job->hold &&
	    fail("open held map", mmapc_open(&held, -1, 0, MMAPC_ACCESS_DEFAULT, 0, &opts)) < 0)
		return;
	interleave(job);
	mmapc_free(held);
}

/* ---- rows built on the latency job -------------------------------------------------------- */

static void report_latency(const char *what, const char *note, double target, bool p99)
{
	char name[64];

	snprintf(name, sizeof(name), "%s p50", what);
	bench_report(name, sh->p50[0], sh->p50[1], "us", BENCH_AT_MOST, target, note);
	if (!p99)
		return;
	snprintf(name, sizeof(name), "%s p99", what);
	bench_report(name, sh->p99[0], sh->p99[1], "us", BENCH_AT_MOST, target, note);
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

	if ((r = start_daemon(&d, b)) < 0)
		return r;
	holder = start_holder(d.socket, tags, lens, 1);
	r = holder < 0 ? (int)holder : fail("start floor", floor_start(&f, 1, 4 * KIB, false));
	if (r == 0) {
		job->cpu = same_cpu ? spawn_first_cpu() : -1;
		if (same_cpu) {
			r = fail("pin mmapd", spawn_pin(d.pid, job->cpu));
			if (r == 0)
				r = fail("pin floor", spawn_pin(f.pid, job->cpu));
		}
		for (int i = 0; i < 2; i++) {
			job->side[i].socket = d.socket;
			job->side[i].sock = f.fds[0];
		}
		if (r == 0)
			r = run_child(measure_cb, job);
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
	        .side = {{.run = op_attach, .tag = "T"}, {.run = op_floor_attach, .len = 4 * KIB}},
	        .sz = *sz,
	};

	sh->error = 0;
	if (attach_setup_and_measure(b, &job, same_cpu) < 0) {
		report_failure(same_cpu ? "attach same-CPU p50" : "attach p50", "us", BENCH_AT_MOST,
		               1.3);
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
	        .side = {{.run = op_attach, .tag = "T"},
	                 {.run = op_floor_attach, .len = 4 * KIB},
	                 {.run = op_local_map, .len = 4 * KIB}},
	        .n_sides = 3,
	        .hold = "T",
	        .sz = *sz,
	};

	sh->error = 0;
	if (attach_setup_and_measure(b, &job, false) < 0) {
		report_failure("re-open p50", "us", BENCH_AT_MOST, 0.2);
		return;
	}
	report_latency("re-open", "a 2nd map of a tag this process holds; vs attach floor", 0.2,
	               false);
	bench_report("re-open vs local map p50", sh->p50[0], sh->p50[2], "us", BENCH_INFO, 0,
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

	sh->error = 0;
	int r = start_daemon(&d, b);
	if (r == 0) {
		r = fail("start floor", floor_start(&f, 1, 4 * KIB, false));
		if (r == 0) {
			job.cpu = -1;
			job.side[0].socket = d.socket;
			job.side[1].sock = f.fds[0];
			r = run_child(measure_cb, &job);
			floor_stop(&f);
		}
		spawn_stop(&d);
	}
	if (r < 0) {
		report_failure("create p50", "us", BENCH_AT_MOST, 1.5);
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
	        .side = {{.run = op_attach, .tag = "big"},
	                 {.run = op_attach, .tag = "small"},
	                 {.run = op_floor_attach, .len = GIB},
	                 {.run = op_floor_attach, .len = 4 * KIB}},
	        .n_sides = 4,
	        .cpu = -1,
	        .sz = *sz,
	};
	struct spawn_daemon d;
	struct floor big, small;
	pid_t holder;

	job.sz.ops /= 2; /* four sides, two of them slow */
	sh->error = 0;
	int r = start_daemon(&d, b);
	if (r == 0) {
		holder = start_holder(d.socket, tags, lens, 2);
		r = holder < 0 ? (int)holder
		               : fail("start floor", floor_start(&big, 1, GIB, false));
		if (r == 0) {
			r = fail("start floor", floor_start(&small, 1, 4 * KIB, false));
			if (r == 0) {
				job.side[0].socket = job.side[1].socket = d.socket;
				job.side[2].sock = big.fds[0];
				job.side[3].sock = small.fds[0];
				r = run_child(measure_cb, &job);
				floor_stop(&small);
			}
			floor_stop(&big);
		}
		spawn_reap(holder);
		spawn_stop(&d);
	}
	if (r < 0) {
		report_failure("attach 1 GiB vs 4 KiB p50", "us", BENCH_AT_MOST, 1.1);
		return;
	}
	bench_report("attach 1 GiB vs 4 KiB p50", sh->p50[0], sh->p50[1], "us", BENCH_AT_MOST, 1.1,
	             "both held elsewhere; one byte touched");
	bench_report("floor 1 GiB vs 4 KiB p50", sh->p50[2], sh->p50[3], "us", BENCH_INFO, 0,
	             "the kernel's share: the attach floor at each size");
}

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
	uint64_t deadline = sh->deadline_ns;
	for (;;) {
		if (o->run(o) < 0)
			_exit(1);
		if (bench_now_ns() > deadline)
			break;
		n++;
	}
	sh->counts[i] = n;
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
		return fail("pipe", -errno);
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(ready[0]), close(ready[1]);
		return fail("pipe", -errno);
	}
	memset(sh->counts, 0, sizeof(sh->counts));
	for (; started < n; started++) {
		struct op o = *proto;
		if (f)
			o.sock = f->fds[started];
		pids[started] = fork();
		if (pids[started] < 0) {
			r = fail("fork", -errno);
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
			r = sh->error ? sh->error : fail("client start", -ECHILD);
	sh->deadline_ns = bench_now_ns() + (uint64_t)(secs * 1e9);
	close(go[1]);
	close(ready[0]);
	for (size_t i = 0; i < started; i++) {
		int status;
		while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
			;
		if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status)))
			r = sh->error ? sh->error : fail("client", -ECHILD);
	}
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += sh->counts[i];
	return r < 0 ? r : (double)total / secs;
}

/* The rows of one client count: subject and floor rounds alternately, medians reported. */
static void throughput_rows(const struct sizes *sz, const struct op *subject, const struct floor *f,
                            size_t clients)
{
	struct op base = {.run = op_floor_attach, .len = 4 * KIB};
	double rate[2][MAX_ROUNDS];
	char what[64], note[96];

	snprintf(what, sizeof(what), "throughput %zu client%s", clients, clients > 1 ? "s" : "");
	for (int i = 0; i < sz->tp_rounds; i++)
		for (int j = 0; j < 2; j++) {
			int s = (i + j) % 2;
			rate[s][i] = throughput_round(s ? &base : subject, s ? f : NULL, clients,
			                              sz->tp_secs);
			if (rate[s][i] < 0) {
				report_failure(what, "opens/s", BENCH_AT_LEAST, 0.8);
				return;
			}
		}
	snprintf(note, sizeof(note), "open T, touch, free; vs epoll floor; %d x %.1f s each",
	         sz->tp_rounds, sz->tp_secs);
	bench_report(what, bench_median(rate[0], (size_t)sz->tp_rounds),
	             bench_median(rate[1], (size_t)sz->tp_rounds), "opens/s", BENCH_AT_LEAST, 0.8,
	             note);
}

static void bench_throughput(const struct bench *b, const struct sizes *sz)
{
	static const char *const tags[] = {"T"};
	static const int64_t lens[] = {4 * KIB};
	static const size_t clients[] = {1, 8, MAX_CLIENTS};
	struct op subject = {.run = op_attach, .tag = "T"};
	struct spawn_daemon d;
	struct floor f;
	pid_t holder;
	int r;

	sh->error = 0;
	if ((r = start_daemon(&d, b)) == 0) {
		subject.socket = d.socket;
		holder = start_holder(d.socket, tags, lens, 1);
		r = holder < 0 ? (int)holder
		               : fail("start floor", floor_start(&f, MAX_CLIENTS, 4 * KIB, true));
		for (size_t k = 0; r == 0 && k < sizeof(clients) / sizeof(clients[0]); k++) {
			sh->error = 0;
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
		report_failure(what, "opens/s", BENCH_AT_LEAST, 0.8);
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
		if (fail("create persistent tag",
		         lib_cycle(c->socket, name, 4 * KIB, MMAPC_PERSISTENT)) < 0)
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
		return fail("fork", -errno);
	if (pid == 0) {
		creator_cb(&half);
		_exit(sh->error ? 1 : 0);
	}
	r = run_child(creator_cb, &(struct creator_job){.socket = socket, .from = 0, .to = n / 2});
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status)))
		r = sh->error ? sh->error : fail("creator", -ECHILD);
	return r;
}

/* The hard descriptor limit, which mmapd raises its own soft limit to. */
static unsigned long long nofile_hard(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max == RLIM_INFINITY)
		return 4ull * MAX_TAGS;
	return (unsigned long long)rl.rlim_max;
}

/* The most tags a daemon can hold under the hard descriptor limit (mmapd keeps one
 * descriptor per tag), leaving a quarter for its connections and its own, and no more than
 * the 100,000. */
static size_t tags_that_fit(unsigned long long hard)
{
	unsigned long long n = hard / 4 * 3;
	return n < MAX_TAGS ? (size_t)n : MAX_TAGS;
}

static void bench_scale(const struct bench *b, const struct sizes *sz)
{
	struct latency_job job = {
	        .side = {{.run = op_attach, .tag = "t0"}, {.run = op_attach, .tag = "t0"}},
	        .cpu = -1,
	        .sz = *sz,
	};
	struct spawn_daemon many, few;
	long long before = -1, after = -1;
	char what[64], note[96];
	int r;

	sh->error = 0;
	snprintf(what, sizeof(what), "scale %zu tags vs 10 p50", sz->tags);
	if ((r = start_daemon(&many, b)) < 0)
		goto failed;
	if ((r = start_daemon(&few, b)) < 0) {
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
		r = run_child(measure_cb, &job);
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
	bench_report(what, sh->p50[0], sh->p50[1], "us", BENCH_AT_MOST, 1.1, note);
	if (before < 0 || after < 0) {
		fail("RssAnon", before < 0 ? (int)before : (int)after);
		report_failure("mmapd RssAnon per tag", "bytes", BENCH_AT_MOST, 1024);
		return;
	}
	snprintf(note, sizeof(note), "RssAnon %lld -> %lld KiB over %zu persistent tags",
	         before / 1024, after / 1024, sz->tags);
	bench_report("mmapd RssAnon per tag", (double)(after - before) / (double)sz->tags, 1,
	             "bytes", BENCH_AT_MOST, 1024, note);
	return;
failed:
	report_failure(what, "us", BENCH_AT_MOST, 1.1);
	report_failure("mmapd RssAnon per tag", "bytes", BENCH_AT_MOST, 1024);
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
		fail("calloc", -ENOMEM);
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
	sh->held = (long long)n;
	sh->served = spawn_ping_all(fds, n, 10000);
	/* An open and free through the library while every connection is up. */
	sh->lib_error = lib_cycle(j->socket, "probe", 4 * KIB, 0);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	free(fds);
}

static void bench_connections(const struct bench *b, const struct sizes *sz)
{
	struct conn_job j = {.want = sz->connections};
	struct spawn_daemon d;
	char note[96];

	sh->error = 0;
	sh->held = sh->served = 0;
	int r = start_daemon(&d, b);
	if (r == 0) {
		j.socket = d.socket;
		r = run_child(conn_cb, &j);
		spawn_stop(&d);
	}
	if (r < 0) {
		report_failure("connections served", "conns", BENCH_AT_LEAST, 4096);
		return;
	}
	/* Served means answered, and the library still works with all of them up. */
	snprintf(note, sizeof(note), "%lld held of %zu tried, %lld answered a ping; library: %s",
	         sh->held, sz->connections, sh->served,
	         sh->lib_error ? strerror(-sh->lib_error) : "open ok");
	bench_report("connections served", sh->lib_error ? 0 : (double)sh->served, 1, "conns",
	             BENCH_AT_LEAST, 4096, note);
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
	        .tags = b->quick ? 1000 : tags_that_fit(nofile_hard()),
	        .connections = b->quick ? 1024 : MAX_CONNECTIONS,
	        .nofile_hard = nofile_hard(),
	        .quick = b->quick,
	};

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		fprintf(stderr, "  daemon: no shared page: %s\n", strerror(errno));
		return;
	}
	/* A client's write to a daemon that died must fail, not kill the benchmark. */
	signal(SIGPIPE, SIG_IGN);
	bench_attach(b, &sz, false);
	bench_attach(b, &sz, true);
	bench_create(b, &sz);
	bench_reopen(b, &sz);
	bench_throughput(b, &sz);
	bench_scale(b, &sz);
	bench_connections(b, &sz);
	bench_size(b, &sz);
	munmap(sh, sizeof(*sh));
}
