/* chaos.c: the chaos scenario: rounds of many client processes doing random creates, opens,
 * resizes, touches and closes of tags, SIGKILLed at random moments; after every round the
 * daemon must be alive and back at its baseline (tags, holds, connections, descriptors, tag
 * bytes), and its RSS must not grow from round to round.
 *
 * A round forks opts->clients clients at once. Most (70 %) run until the harness SIGKILLs
 * them, at a moment drawn uniformly from a window (opts->window_ms) that starts when the last
 * one is forked: some die before they ever connect, some between requests, some while the
 * daemon is sending them a descriptor. The others end by themselves after a random number of
 * operations, half of them closing everything first and half exiting with their maps open.
 * Tags come from a pool of shared names (so clients meet on them: EFBIG, EEXIST, EBUSY are
 * expected refusals), from names private to a client (whose contents are verified across
 * resizes), and from four persistent tags the harness made before the first round (which
 * are never resized, so that the bytes baseline is exact).
 *
 * A client reports every error it did not expect (at most 8) through the pipe; a client that
 * dies of a signal the harness did not send (SIGBUS, SIGSEGV) is a failure too.
 *
 * Not here: load without kills (load.c), limits (exhaust.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "scenarios.h"

#define SHARED_NAMES 256
#define SLOTS 8
#define PERSISTENT_TAGS 4
#define PERSISTENT_SIZE 65536
#define REPORTS_MAX 8

enum chaos_op { OP_CREATE, OP_OPEN, OP_RESIZE, OP_CLOSE, OP_TOUCH, OP_PERSISTENT, OP_ADMIN };
static const char *const op_names[] = {"create",          "open",     "resize", "close", "touch",
                                       "open-persistent", "stat/ping"};

enum chaos_end { END_KILLED, END_CLEAN, END_HOLDING };

enum { REC_ERROR = 1, REC_CORRUPT = 2 };

struct chaos_client {
	int idx;
	int report_fd;
	enum chaos_end end;
	int limit; /* operations before ending by itself (END_CLEAN, END_HOLDING) */
	uint64_t seed;
};

struct slot {
	mmapc_map *m;
	bool private_tag; /* its contents are this client's alone: verified */
	bool read_only;
	bool persistent; /* never resized */
	int mark;        /* the byte at 0 of a private tag */
};

struct client_state {
	const struct chaos_client *a;
	uint64_t rng;
	struct slot s[SLOTS];
	int reports;
	int unexpected;
};

static void unexpected(struct client_state *st, int kind, int op, int err, int at)
{
	st->unexpected++;
	if (st->reports++ < REPORTS_MAX)
		report(st->a->report_fd, kind, st->a->idx, op, err, at);
}

static void slot_close(struct slot *s)
{
	mmapc_free(s->m);
	*s = (struct slot){0};
}

/* Opens a shared or private tag into an empty slot. */
static int do_create(struct client_state *st, struct slot *s, bool must_exist, int *ret_op)
{
	char name[64];
	bool private_tag = !must_exist && rng_below(&st->rng, 100) < 30;
	struct mmapc_options o = {.tagname = name};
	int access = MMAPC_ACCESS_DEFAULT;
	int64_t length = 4096 * (1 + (int64_t)rng_below(&st->rng, 16));

	*ret_op = must_exist ? OP_OPEN : OP_CREATE;
	if (private_tag) {
		snprintf(name, sizeof(name), "p%d-%u", (int)getpid(), rng_below(&st->rng, 4));
	} else {
		snprintf(name, sizeof(name), "c%u", rng_below(&st->rng, SHARED_NAMES));
		uint32_t r = rng_below(&st->rng, 100);
		if (must_exist)
			o.options = MMAPC_NOCREATE;
		else if (r < 5)
			o.options = MMAPC_EXCL;
		if (r >= 90)
			access = MMAPC_ACCESS_READ;
		if (must_exist || r >= 80)
			length = 0; /* all of an existing tag */
	}
	if (length == 0)
		o.options |= MMAPC_NOCREATE; /* no tag can be created with length 0 */
	int r = mmapc_open(&s->m, -1, length, access, 0, &o);
	if (r < 0) {
		s->m = NULL;
		/* Refusals that clients meeting on shared names provoke by design. */
		bool fine = r == -EFBIG || r == -ENOENT || (r == -EEXIST && o.options & MMAPC_EXCL);
		return fine ? 0 : r;
	}
	s->private_tag = private_tag && mmapc_created(s->m);
	s->read_only = access == MMAPC_ACCESS_READ;
	if (s->private_tag) {
		s->mark = 1 + (int)rng_below(&st->rng, 255);
		mmapc_setitem(s->m, 0, s->mark);
	}
	return 0;
}

static int do_resize(struct client_state *st, struct slot *s)
{
	int64_t size = 4096 * (1 + (int64_t)rng_below(&st->rng, 16));
	if (rng_below(&st->rng, 4) == 0)
		size -= 1 + rng_below(&st->rng, 4000); /* not a page multiple */
	int r = mmapc_resize(s->m, size);
	if (r == -EBUSY || (r == -EACCES && s->read_only))
		return 0; /* a shrink while another process holds it; a read-only map */
	if (r == 0 && s->private_tag && mmapc_getitem(s->m, 0) != s->mark)
		return 1; /* contents lost */
	return r;
}

static int do_touch(struct client_state *st, struct slot *s)
{
	int64_t len = mmapc_len(s->m);
	if (len <= 0)
		return (int)len;
	int64_t at = (int64_t)rng_below(&st->rng, (uint32_t)len);
	if (!s->read_only && at > 0 && mmapc_setitem(s->m, at, 0x5a) < 0)
		return -EIO;
	int v = mmapc_getitem(s->m, at);
	if (v < 0)
		return v;
	if (s->private_tag && mmapc_getitem(s->m, 0) != s->mark)
		return 1;
	return 0;
}

static int do_persistent(struct client_state *st, struct slot *s)
{
	char name[32];
	struct mmapc_options o = {.tagname = name, .options = MMAPC_NOCREATE};

	snprintf(name, sizeof(name), "pers-%u", rng_below(&st->rng, PERSISTENT_TAGS));
	int r = mmapc_open(&s->m, -1, 0, MMAPC_ACCESS_DEFAULT, 0, &o);
	if (r < 0) {
		s->m = NULL;
		return r;
	}
	s->persistent = true;
	return mmapc_len(s->m) == PERSISTENT_SIZE ? 0 : 1;
}

static void one_op(struct client_state *st, int i)
{
	struct slot *s = &st->s[rng_below(&st->rng, SLOTS)];
	uint32_t roll = rng_below(&st->rng, 100);
	int op, r;

	if (roll < 40 && !s->m) {
		r = do_create(st, s, roll < 10, &op);
	} else if (roll < 40 || roll >= 90) {
		struct mmapc_stats stats;
		op = OP_ADMIN;
		r = roll & 1 ? mmapc_stat(NULL, &stats) : mmapc_ping(NULL);
		r = r < 0 ? r : 0;
	} else if (roll < 50) {
		op = OP_PERSISTENT;
		if (s->m)
			slot_close(s);
		r = do_persistent(st, s);
	} else if (!s->m) {
		return;
	} else if (roll < 65) {
		op = OP_RESIZE;
		r = s->persistent ? 0 : do_resize(st, s);
	} else if (roll < 75) {
		op = OP_CLOSE;
		slot_close(s);
		r = 0;
	} else {
		op = OP_TOUCH;
		r = do_touch(st, s);
	}
	if (r != 0)
		unexpected(st, r > 0 ? REC_CORRUPT : REC_ERROR, op, r, i);
}

static int chaos_client_main(void *arg)
{
	struct client_state st = {.a = arg, .rng = ((struct chaos_client *)arg)->seed};

	for (int i = 0; st.a->end == END_KILLED || i < st.a->limit; i++)
		one_op(&st, i);
	if (st.a->end == END_CLEAN)
		for (int k = 0; k < SLOTS; k++)
			if (st.s[k].m)
				slot_close(&st.s[k]);
	return st.unexpected ? 1 : 0;
}

/* ---- the harness's side -------------------------------------------------------------------- */

struct round_result {
	int killed, clean, holding; /* how the clients were meant to end */
	int sigkilled, exited0, exited_err, crashed;
	char crash[96];
	int errors, corrupt;
	char first_error[160];
};

static void on_record(const struct stress_record *r, void *arg)
{
	struct round_result *res = arg;

	if (r->kind == REC_CORRUPT)
		res->corrupt++;
	else
		res->errors++;
	if (!res->first_error[0])
		snprintf(res->first_error, sizeof(res->first_error),
		         "client %d, op %lld (%s): %s (%lld)", r->client, (long long)r->c,
		         op_names[r->a],
		         r->kind == REC_CORRUPT ? "contents lost" : strerror((int)-r->b),
		         (long long)r->b);
}

struct kill_order {
	int64_t at_ms;
	int idx;
};

static int by_time(const void *a, const void *b)
{
	const struct kill_order *x = a, *y = b;
	return x->at_ms < y->at_ms ? -1 : x->at_ms > y->at_ms;
}

static void run_round(const struct stress_opts *opts, int round, int report_fd[2],
                      struct round_result *res)
{
	int n = opts->clients;
	struct chaos_client *c = calloc((size_t)n, sizeof(*c));
	pid_t *pid = calloc((size_t)n, sizeof(*pid));
	struct kill_order *order = calloc((size_t)n, sizeof(*order));
	uint64_t rng = opts->seed ^ (0x1000193ULL * (uint64_t)(round + 1));
	int n_kills = 0;

	memset(res, 0, sizeof(*res));
	for (int i = 0; i < n; i++) {
		uint32_t roll = rng_below(&rng, 100);
		c[i] = (struct chaos_client){
		        .idx = i,
		        .report_fd = report_fd[1],
		        .end = roll < 70   ? END_KILLED
		               : roll < 85 ? END_CLEAN
		                           : END_HOLDING,
		        .limit = (int)rng_below(&rng, 300),
		        .seed = rng_next(&rng) | 1,
		};
		res->killed += c[i].end == END_KILLED;
		res->clean += c[i].end == END_CLEAN;
		res->holding += c[i].end == END_HOLDING;
		pid[i] = child_spawn(chaos_client_main, &c[i]);
		if (c[i].end == END_KILLED)
			order[n_kills++] = (struct kill_order){
			        .at_ms = (int64_t)rng_below(&rng, (uint32_t)opts->window_ms),
			        .idx = i};
	}
	qsort(order, (size_t)n_kills, sizeof(*order), by_time);
	/* Nobody is reaped until every kill is sent, so no pid can have been reused. */
	int64_t start = now_ms();
	for (int k = 0; k < n_kills; k++) {
		int64_t wait = order[k].at_ms - (now_ms() - start);
		if (wait > 0)
			sleep_ms((int)wait);
		if (pid[order[k].idx] > 0)
			kill(pid[order[k].idx], SIGKILL);
		report_drain(report_fd[0], on_record, res);
	}
	for (int i = 0; i < n; i++) {
		int status;
		if (pid[i] <= 0) {
			res->crashed++;
			snprintf(res->crash, sizeof(res->crash), "fork failed: %s",
			         strerror(-pid[i]));
			continue;
		}
		while (waitpid(pid[i], &status, 0) < 0 && errno == EINTR)
			;
		child_forget(pid[i]);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && c[i].end == END_KILLED) {
			res->sigkilled++;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			res->exited0++;
		} else if (WIFEXITED(status)) {
			res->exited_err++;
		} else {
			char why[64];
			res->crashed++;
			snprintf(res->crash, sizeof(res->crash), "client %d: %s", i,
			         status_str(status, why, sizeof(why)));
		}
		report_drain(report_fd[0], on_record, res);
	}
	report_drain(report_fd[0], on_record, res);
	free(order);
	free(pid);
	free(c);
}

static int count_holders(const struct mmapc_tag_info *t, void *arg)
{
	*(uint64_t *)arg += t->holders;
	return 0;
}

/* The persistent tags every round shares; the harness holds none of them afterwards. */
static int make_persistent_tags(void)
{
	for (int i = 0; i < PERSISTENT_TAGS; i++) {
		char name[32];
		struct mmapc_options o = {.tagname = name, .options = MMAPC_PERSISTENT};
		mmapc_map *m;
		snprintf(name, sizeof(name), "pers-%d", i);
		int r = mmapc_open(&m, -1, PERSISTENT_SIZE, MMAPC_ACCESS_DEFAULT, 0, &o);
		if (r < 0)
			return r;
		mmapc_free(m);
	}
	return 0;
}

void scenario_chaos(const struct stress_opts *opts)
{
	struct sdaemon d;
	struct mmapc_stats base, st;
	int report_fd[2];
	double t0 = now_s();

	info("chaos: %d rounds of %d clients, killed over %d ms, seed %llu", opts->rounds,
	     opts->clients, opts->window_ms, (unsigned long long)opts->seed);
	if (sdaemon_start(&d, sdaemon_no_limits, 0) < 0 || report_pipe(report_fd) < 0) {
		check(false, "chaos.start", "cannot start mmapd or make a pipe");
		return;
	}
	stress_deadline("chaos", 120 + (unsigned)opts->rounds * 60, &d);
	int r = make_persistent_tags();
	if (r < 0 || sdaemon_settle(&d, PERSISTENT_TAGS, 0, 1, 2000, &base) < 0) {
		check(false, "chaos.start", "cannot make the persistent tags: %s", strerror(-r));
		sdaemon_stop(&d);
		return;
	}
	int base_fds = proc_fd_count_settled(d.pid);
	long base_rss = proc_rss_kib(d.pid), rss_first = 0, rss_last = 0, rss_max = 0;
	info("chaos baseline: %llu tags, %llu bytes, %llu holds, %llu connections, %d fds, "
	     "RSS %ld KiB",
	     (unsigned long long)base.tags, (unsigned long long)base.bytes,
	     (unsigned long long)base.handles, (unsigned long long)base.connections, base_fds,
	     base_rss);

	int bad_alive = 0, bad_state = 0, bad_fds = 0, bad_bytes = 0, bad_holders = 0;
	int crashes = 0, errors = 0, corrupt = 0, exited_err = 0, killed = 0, settle_max = 0;
	uint64_t requests = 0, refusals = 0, prev_requests = base.requests,
	         prev_errors = base.errors;
	char crash[128] = "", first_error[200] = "", state_detail[200] = "";
	for (int round = 0; round < opts->rounds; round++) {
		struct round_result res;
		double rt = now_s();
		run_round(opts, round, report_fd, &res);
		bool alive = sdaemon_alive(&d) && mmapc_ping(d.socket) > 0;
		int settle = alive ? sdaemon_settle(&d, (long)base.tags, 0, (long)base.connections,
		                                    5000, &st)
		                   : -1;
		int fds = alive ? proc_fd_count_settled(d.pid) : -1;
		long rss = alive ? proc_rss_kib(d.pid) : -1;
		uint64_t holders = 0;
		if (alive)
			mmapc_list(d.socket, count_holders, &holders);
		bad_alive += !alive;
		if (settle < 0 || st.tags != base.tags || st.handles != 0 ||
		    st.connections != base.connections) {
			bad_state++;
			snprintf(state_detail, sizeof(state_detail),
			         "round %d: %llu tags, %llu holds, %llu connections", round + 1,
			         (unsigned long long)st.tags, (unsigned long long)st.handles,
			         (unsigned long long)st.connections);
		}
		bad_fds += fds != base_fds;
		bad_bytes += st.bytes != base.bytes;
		bad_holders += holders != 0;
		settle_max = settle > settle_max ? settle : settle_max;
		crashes += res.crashed;
		errors += res.errors;
		corrupt += res.corrupt;
		exited_err += res.exited_err;
		killed += res.sigkilled;
		if (res.crash[0] && !crash[0])
			snprintf(crash, sizeof(crash), "round %d, %s", round + 1, res.crash);
		if (res.first_error[0] && !first_error[0])
			snprintf(first_error, sizeof(first_error), "round %d, %s", round + 1,
			         res.first_error);
		uint64_t round_requests = st.requests - prev_requests;
		requests += round_requests;
		refusals += st.errors - prev_errors;
		prev_requests = st.requests;
		prev_errors = st.errors;
		if (round == 0)
			rss_first = rss;
		rss_last = rss;
		rss_max = rss > rss_max ? rss : rss_max;
		info("chaos round %d: %d SIGKILLed, %d exited (%d meant to close, %d to exit "
		     "holding),"
		     " %d errors; daemon: %llu requests, settled in %d ms to %llu tags, %llu "
		     "holds, "
		     "%llu connections, %d fds, %llu bytes, RSS %ld KiB; %.1f s",
		     round + 1, res.sigkilled, res.exited0 + res.exited_err, res.clean, res.holding,
		     res.errors + res.corrupt, (unsigned long long)round_requests, settle,
		     (unsigned long long)st.tags, (unsigned long long)st.handles,
		     (unsigned long long)st.connections, fds, (unsigned long long)st.bytes, rss,
		     now_s() - rt);
		if (!alive)
			break;
	}
	double secs = now_s() - t0;
	int n = opts->rounds * opts->clients;

	check(!bad_alive, "chaos.daemon-alive", "%d rounds of %d clients (%d SIGKILLed), %.1f s",
	      opts->rounds, opts->clients, killed, secs);
	check(!crashes, "chaos.client-crashes",
	      "%d of %d clients died of a signal we did not send%s%s", crashes, n,
	      crash[0] ? ": " : "", crash);
	check(!errors && !corrupt && !exited_err, "chaos.client-errors",
	      "%d unexpected errors, %d lost contents, %d clients exited non-zero; %llu requests, "
	      "%llu expected refusals%s%s",
	      errors, corrupt, exited_err, (unsigned long long)requests,
	      (unsigned long long)refusals, first_error[0] ? "; first: " : "", first_error);
	check(!bad_state, "chaos.tags-holds-connections",
	      "baseline %llu tags, 0 holds, %llu connections; %d of %d rounds off, settled within "
	      "%d ms%s%s",
	      (unsigned long long)base.tags, (unsigned long long)base.connections, bad_state,
	      opts->rounds, settle_max, state_detail[0] ? "; " : "", state_detail);
	check(!bad_holders, "chaos.persistent-holders",
	      "persistent tags held by nobody after %d of %d rounds", opts->rounds - bad_holders,
	      opts->rounds);
	check(!bad_fds, "chaos.descriptors", "baseline %d, after every round %s (%d rounds off)",
	      base_fds, bad_fds ? "not always" : "the same", bad_fds);
	check(!bad_bytes, "chaos.tag-bytes", "baseline %llu bytes, %d rounds off",
	      (unsigned long long)base.bytes, bad_bytes);
	/* Freed memory stays in malloc's arenas, so RSS does not fall back to the idle
	 * baseline; what matters is that the rounds after the first do not add to it. */
	long slack = rss_first / 10 > 1024 ? rss_first / 10 : 1024;
	check(rss_last >= 0 && rss_max <= rss_first + slack, "chaos.rss",
	      "baseline %ld KiB, after round 1 %ld KiB, after round %d %ld KiB, max %ld KiB "
	      "(allowed: round 1 + %ld KiB)",
	      base_rss, rss_first, opts->rounds, rss_last, rss_max, slack);
	child_kill_all();
	stress_deadline("chaos", 0, NULL);
	int status = sdaemon_stop(&d);
	check(status == 0, "chaos.daemon-exit", "mmapd exited with status %#x on SIGTERM", status);
	close(report_fd[0]);
	close(report_fd[1]);
}
