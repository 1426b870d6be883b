/* exhaust_limits.c: the fd-limit and conn-limit attacks of the exhaustion scenario (see
 * exhaust.c): an attacker process that holds as many connections as the daemon will take, a
 * client arriving meanwhile, a knocker that connects and hangs up over and over, and the
 * victim (a worker) that must not notice.
 *
 * Not here: the workers (exhaust.c), quotas and never-readers (exhaust_clients.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exhaust.h"

#define FD_LIMIT 256
#define CONN_LIMIT 64

struct attacker {
	const char *socket;
	int report_fd;
	int connections;
};

/* Opens a->connections connections and keeps them until killed; reports how many it made
 * and how many the daemon hung up on. */
static int attacker_main(void *arg)
{
	const struct attacker *a = arg;
	int *fds = calloc((size_t)a->connections, sizeof(int)), made = 0, last_err = 0;

	for (int i = 0; i < a->connections; i++) {
		int fd = -EAGAIN;
		/* A full backlog says EAGAIN: the daemon is still accepting (or shedding). */
		for (int tries = 0; tries < 200 && fd == -EAGAIN; tries++) {
			fd = raw_connect(a->socket, true);
			if (fd == -EAGAIN)
				sleep_ms(5);
		}
		if (fd < 0) {
			last_err = fd;
			continue;
		}
		fds[made++] = fd;
	}
	sleep_ms(300);
	int hung_up = 0;
	for (int i = 0; i < made; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		hung_up += poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLIN));
	}
	report(a->report_fd, REC_ATTACK, 0, made, hung_up, last_err);
	/* Held until the harness kills this process, which closes them all at once. */
	while (true)
		pause();
	return 0;
}

/* A client that comes during the attack: one ping on a new connection, timed. */
static int fresh_main(void *arg)
{
	const struct attacker *a = arg;
	setenv("MMAPC_TIMEOUT_MS", "3000", 1);
	int64_t t = now_ms();
	int r = mmapc_ping(a->socket);
	report(a->report_fd, REC_FRESH, 0, r, now_ms() - t, 0);
	return 0;
}

/* Connects and hangs up as fast as it can for a second (the shed path, over and over). */
static int knocker_main(void *arg)
{
	const struct attacker *a = arg;
	int64_t until = now_ms() + 1000;
	while (now_ms() < until) {
		int fd = raw_connect(a->socket, true);
		if (fd >= 0)
			close(fd);
		sleep_ms(2);
	}
	return 0;
}

static int fresh_client(const struct sdaemon *d, int report_fd[2], struct progress *pr)
{
	struct attacker a = {.socket = d->socket, .report_fd = report_fd[1]};
	pid_t pid = child_spawn(fresh_main, &a);
	pr->fresh_seen = false;
	reap(&pid, 1);
	report_drain(report_fd[0], progress_record, pr);
	return pr->fresh_seen ? (int)pr->fresh[0] : -EIO;
}

/* ---- the attack ----------------------------------------------------------------- */

/* What one limit attack measured. */
struct limit_run {
	bool by_fds;
	int limit, base_fds, fds_at_limit, fds_after, settle_ms;
	uint64_t conns_at_limit;
	int create, fresh, fresh_after, create_after; /* results, 0 or -errno */
	int64_t fresh_ms;
	double cpu_quiet, cpu_knock; /* the daemon's share of one core */
	int64_t t_before, t_attack, t_release, t_after, t_end;
	bool alive;
};

/* The daemon's share of one core over ms milliseconds, with a knocker running or not. */
static double daemon_cpu(const struct sdaemon *d, struct attacker *a, bool knock, int ms)
{
	long ticks = proc_cpu_ticks(d->pid);
	int64_t t = now_ms();
	if (knock) {
		pid_t knocker = child_spawn(knocker_main, a);
		reap(&knocker, 1);
	} else {
		sleep_ms(ms);
	}
	ticks = proc_cpu_ticks(d->pid) - ticks;
	return (double)ticks / (double)sysconf(_SC_CLK_TCK) / ((double)(now_ms() - t) / 1000.0);
}

/* The harness's own connection predates the attack: it tries to create a tag. */
static int try_create(const char *name)
{
	struct mmapc_options o = {.tagname = name};
	mmapc_map *m = NULL;
	int r = mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o);
	if (r == 0)
		mmapc_free(m);
	return r;
}

/* The attack itself: from the attacker's start to the daemon settled after its death. */
static void limit_attack_run(const struct stress_opts *opts, struct sdaemon *d, int report_fd[2],
                             struct progress *pr, struct limit_run *lr, long base_conns)
{
	struct attacker a = {
	        .socket = d->socket, .report_fd = report_fd[1], .connections = 2 * lr->limit + 64};
	struct mmapc_stats st;

	lr->t_attack = now_ms();
	pid_t attacker = child_spawn(attacker_main, &a);
	while (!pr->attack_seen && now_ms() - lr->t_attack < 20000)
		wait_draining(report_fd[0], pr, 20);
	lr->fds_at_limit = proc_fd_count(d->pid);
	sdaemon_stat(d, &st);
	lr->conns_at_limit = st.connections;
	lr->create = try_create("at-limit");
	lr->fresh = fresh_client(d, report_fd, pr);
	lr->fresh_ms = pr->fresh[1];
	if (lr->by_fds) {
		lr->cpu_quiet = daemon_cpu(d, &a, false, 1000);
		lr->cpu_knock = daemon_cpu(d, &a, true, 1000);
	}
	int64_t rest = opts->exhaust_s * 1000 - (now_ms() - lr->t_attack);
	wait_draining(report_fd[0], pr, rest > 0 ? (int)rest : 0);
	lr->t_release = now_ms();
	lr->alive = sdaemon_alive(d);
	kill(attacker, SIGKILL);
	reap(&attacker, 1);
	lr->settle_ms = sdaemon_settle(d, -1, -1, base_conns, 10000, &st);
}

static void limit_report(const char *scen, const struct limit_run *lr, const struct progress *pr)
{
	double before = rate(pr, lr->t_before, lr->t_attack),
	       during = rate(pr, lr->t_attack, lr->t_release),
	       after = rate(pr, lr->t_after, lr->t_end);
	char what[64];

	snprintf(what, sizeof(what), "%s.reached", scen);
	check(lr->alive && (lr->by_fds ? lr->fds_at_limit >= lr->limit - 2
	                               : lr->conns_at_limit == (uint64_t)lr->limit),
	      what,
	      "daemon at %d descriptors, %llu connections (limit %d %s); attacker made %lld "
	      "connections, %lld were hung up",
	      lr->fds_at_limit, (unsigned long long)lr->conns_at_limit, lr->limit,
	      lr->by_fds ? "descriptors" : "connections", (long long)pr->attack[0],
	      (long long)pr->attack[1]);
	snprintf(what, sizeof(what), "%s.victim", scen);
	check(worker_errors(pr) == 0 && during >= MIN_SHARE * before && after >= MIN_SHARE * before,
	      what,
	      "victim (connected before) %.0f calls/s before, %.0f during the attack (%.2fx), "
	      "%.0f after; %lld errors%s%s",
	      before, during, before > 0 ? during / before : 0, after, (long long)worker_errors(pr),
	      pr->first_error[0] ? "; first: " : "", pr->first_error);
	snprintf(what, sizeof(what), "%s.new-client", scen);
	check(lr->fresh < 0 && lr->fresh != -ETIMEDOUT && lr->fresh_ms < 1000, what,
	      "a client arriving at the limit gets %s (%d) in %lld ms", strerror(-lr->fresh),
	      lr->fresh, (long long)lr->fresh_ms);
	if (lr->by_fds) {
		check(lr->create == -EMFILE, "exhaust.fd-limit.new-tag",
		      "creating a tag at the limit: %s (%d), expected EMFILE",
		      strerror(-lr->create), lr->create);
		/* A daemon spinning on a listening socket it cannot accept from would take a
		 * whole core; shedding 500 connections a second costs a few per cent. */
		check(lr->cpu_knock - lr->cpu_quiet < 0.35, "exhaust.fd-limit.no-spin",
		      "daemon CPU at the limit (victim running): %.0f %% of a core, %.0f %% while "
		      "a "
		      "knocker connected every 2 ms for 1 s",
		      lr->cpu_quiet * 100, lr->cpu_knock * 100);
	}
	snprintf(what, sizeof(what), "%s.recovered", scen);
	check(lr->settle_ms >= 0 && lr->fresh_after > 0 && lr->create_after == 0 &&
	              lr->fds_after == lr->base_fds,
	      what,
	      "after the attacker left: settled in %d ms, a new client's ping %d, a new tag %d; "
	      "descriptors at the end %d (baseline %d)",
	      lr->settle_ms, lr->fresh_after, lr->create_after, lr->fds_after, lr->base_fds);
}

void exhaust_limit(const struct stress_opts *opts, bool by_fds)
{
	const char *scen = by_fds ? "exhaust.fd-limit" : "exhaust.conn-limit";
	static const char *const fd_args[] = {"--max-connections", "100000", NULL};
	static const char *const conn_args[] = {"--max-connections", "64", NULL};
	struct limit_run lr = {.by_fds = by_fds, .limit = by_fds ? FD_LIMIT : CONN_LIMIT};
	struct sdaemon d;
	struct progress pr = {0};
	struct mmapc_stats base, st;
	struct worker w[1];
	pid_t victim[1] = {0};
	int report_fd[2], stop_fd[2];
	mmapc_map *shared = NULL;
	struct mmapc_options o = {.tagname = "victim-shared"};

	if (sdaemon_start(&d, by_fds ? fd_args : conn_args, by_fds ? FD_LIMIT : 0) < 0 ||
	    report_pipe(report_fd) < 0 || pipe2(stop_fd, O_CLOEXEC) < 0) {
		check(false, scen, "cannot start mmapd or make a pipe");
		return;
	}
	stress_deadline(scen, 120, &d);
	sdaemon_stat(&d, &base);
	lr.base_fds = proc_fd_count_settled(d.pid);
	if (mmapc_open(&shared, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o) < 0 ||
	    start_workers(1, w, victim, report_fd, "victim-shared", stop_fd, &pr) < 0) {
		check(false, scen, "the victim did not start");
		goto out;
	}
	lr.t_before = now_ms();
	wait_draining(report_fd[0], &pr, 1000);
	limit_attack_run(opts, &d, report_fd, &pr, &lr, (long)base.connections + 1);
	lr.t_after = now_ms();
	wait_draining(report_fd[0], &pr, 1000);
	lr.t_end = now_ms();
	lr.fresh_after = fresh_client(&d, report_fd, &pr);
	lr.create_after = try_create("after-limit");
	close(stop_fd[1]);
	stop_fd[1] = -1;
	int victim_bad = reap(victim, 1);
	report_drain(report_fd[0], progress_record, &pr);
	mmapc_free(shared);
	shared = NULL;
	sdaemon_settle(&d, 0, 0, (long)base.connections, 5000, &st);
	lr.fds_after = proc_fd_count_settled(d.pid);
	lr.alive = lr.alive && sdaemon_alive(&d) && !victim_bad;
	limit_report(scen, &lr, &pr);
out:
	exhaust_teardown(scen, &d, shared, report_fd, stop_fd, &pr);
}
