/* exhaust_clients.c: the attacks of the exhaustion scenario that come from clients' own
 * behaviour (see exhaust.c): a user creating tags past its quota while another user's
 * creations must all succeed, and sockets that send requests and never read the replies,
 * with and without the kernel's limit on the descriptors the daemon has in flight.
 *
 * Not here: the workers (exhaust.c), descriptor and connection limits (exhaust_limits.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exhaust.h"
#include "wire.h"

/* ---- quota ----------------------------------------------------------------------------------- */

#define QUOTA_TAGS 32
#define QUOTA_BYTES (8 << 20)
#define ATTACKER_UID 61001
#define VICTIM_UID 61002

struct quota_client {
	int idx;
	bool attacker;
	int report_fd;
	int64_t stop_at;
};

static int become(uid_t uid)
{
	if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
		return -errno;
	return 0;
}

/* Attackers create tags of 4 KiB and 1 MiB and try to grow them to 64 MiB, holding up to 64,
 * dropping one now and then so that some creations succeed again. The victim creates 64 KiB
 * tags, holding up to 16 (well within the quota). */
static int quota_main(void *arg)
{
	const struct quota_client *q = arg;
	mmapc_map *held[64] = {0};
	int cap = q->attacker ? 64 : 16, next = 0;
	int64_t created = 0, refused = 0, other = 0;
	uint64_t rng = (uint64_t)getpid() * 2654435761u + 1;

	if (become(q->attacker ? ATTACKER_UID : VICTIM_UID) < 0) {
		report(q->report_fd, REC_QUOTA, q->attacker ? 0 : 1, 0, 0, 1);
		return 1;
	}
	for (int64_t i = 0; now_ms() < q->stop_at; i++) {
		char name[48];
		struct mmapc_options o = {.tagname = name};
		int slot = next++ % cap;
		int64_t size = q->attacker ? (i & 1 ? 1 << 20 : 4096) : 65536;
		snprintf(name, sizeof(name), "%s-%d-%lld", q->attacker ? "a" : "v", q->idx,
		         (long long)i);
		if (held[slot]) {
			/* The victim always makes room; an attacker only now and then. */
			if (!q->attacker || rng_below(&rng, 4) == 0) {
				mmapc_free(held[slot]);
				held[slot] = NULL;
			}
		}
		mmapc_map *m;
		int r = mmapc_open(&m, -1, size, MMAPC_ACCESS_DEFAULT, 0, &o);
		if (r == 0) {
			created++;
			mmapc_setitem(m, 0, 1);
			if (held[slot])
				mmapc_free(held[slot]);
			held[slot] = m;
			if (q->attacker && (r = mmapc_resize(m, 64 << 20)) == 0)
				other++; /* growth past the quota succeeded */
		}
		if (r == -EDQUOT)
			refused++;
		else if (r < 0)
			other++;
	}
	for (int i = 0; i < cap; i++)
		mmapc_free(held[i]);
	report(q->report_fd, REC_QUOTA, q->attacker ? 0 : 1, created, refused, other);
	return 0;
}

struct quota_sample {
	uint64_t tags[2], bytes[2]; /* attacker, victim */
};

static int sample_tag(const struct mmapc_tag_info *t, void *arg)
{
	struct quota_sample *s = arg;
	int who = t->owner_uid == ATTACKER_UID ? 0 : t->owner_uid == VICTIM_UID ? 1 : -1;
	if (who >= 0) {
		s->tags[who]++;
		s->bytes[who] += t->size;
	}
	return 0;
}

void exhaust_quota(const struct stress_opts *opts)
{
	static const char *const args[] = {"--max-tags-per-user", "32", "--max-bytes-per-user",
	                                   "8M", NULL};
	struct sdaemon d;
	struct progress pr = {0};
	struct mmapc_stats st;
	int report_fd[2], n_attackers = opts->quick ? 2 : 4;
	struct quota_client q[5];
	pid_t pid[5] = {0};
	struct quota_sample max = {0};
	int samples = 0;

	if (geteuid() != 0) {
		skip("exhaust.quota", "needs root, to run clients as two other users");
		return;
	}
	if (sdaemon_start(&d, args, 0) < 0 || report_pipe(report_fd) < 0) {
		check(false, "exhaust.quota", "cannot start mmapd or make a pipe");
		return;
	}
	stress_deadline("exhaust.quota", 120, &d);
	int64_t stop = now_ms() + opts->exhaust_s * 1000;
	for (int i = 0; i <= n_attackers; i++) {
		q[i] = (struct quota_client){.idx = i,
		                             .attacker = i < n_attackers,
		                             .report_fd = report_fd[1],
		                             .stop_at = stop};
		pid[i] = child_spawn(quota_main, &q[i]);
	}
	while (now_ms() < stop) {
		struct quota_sample s = {0};
		if (mmapc_list(d.socket, sample_tag, &s) == 0) {
			samples++;
			for (int k = 0; k < 2; k++) {
				max.tags[k] = s.tags[k] > max.tags[k] ? s.tags[k] : max.tags[k];
				max.bytes[k] =
				        s.bytes[k] > max.bytes[k] ? s.bytes[k] : max.bytes[k];
			}
		}
		report_drain(report_fd[0], progress_record, &pr);
		sleep_ms(10);
	}
	int bad = reap(pid, n_attackers + 1);
	report_drain(report_fd[0], progress_record, &pr);
	int settle = sdaemon_settle(&d, 0, 0, 1, 5000, &st);
	bool alive = sdaemon_alive(&d);

	check(alive && max.tags[0] <= QUOTA_TAGS && max.bytes[0] <= QUOTA_BYTES &&
	              pr.quota[0][1] > 0 && pr.quota[0][2] == 0,
	      "exhaust.quota.attacker-capped",
	      "%d attacker processes for %d s: %lld tags made, %lld refused with EDQUOT, %lld "
	      "other results; at most %llu tags and %llu bytes held at once over %d samples "
	      "(quota %d tags, %d bytes)",
	      n_attackers, opts->exhaust_s, (long long)pr.quota[0][0], (long long)pr.quota[0][1],
	      (long long)pr.quota[0][2], (unsigned long long)max.tags[0],
	      (unsigned long long)max.bytes[0], samples, QUOTA_TAGS, QUOTA_BYTES);
	check(alive && pr.quota[1][0] > 0 && pr.quota[1][1] == 0 && pr.quota[1][2] == 0 && !bad,
	      "exhaust.quota.victim",
	      "another user made %lld tags meanwhile (up to %llu held, %llu bytes), %lld refused, "
	      "%lld other errors",
	      (long long)pr.quota[1][0], (unsigned long long)max.tags[1],
	      (unsigned long long)max.bytes[1], (long long)pr.quota[1][1],
	      (long long)pr.quota[1][2]);
	check(alive && settle >= 0, "exhaust.quota.released",
	      "every tag gone %d ms after the users exited (%llu tags, %llu bytes)", settle,
	      (unsigned long long)st.tags, (unsigned long long)st.bytes);
	child_kill_all();
	stress_deadline("exhaust.quota", 0, NULL);
	sdaemon_stop(&d);
	close(report_fd[0]);
	close(report_fd[1]);
	progress_free(&pr);
}

/* ---- never-reader ---------------------------------------------------------------------------- */

#define NEVER_READERS 8
/* The daemon's descriptor limit in the in-flight variant: the never-readers' unread replies
 * (a few hundred each without a bound of the daemon's own) are more than that. */
#define INFLIGHT_NOFILE 1024
#define NR_WORKERS 4

/* Sends open requests for the tag until the socket is full; returns how many went. */
static int flood(int fd, const char *tag)
{
	struct wire_request req = {
	        .version = WIRE_VERSION, .op = WIRE_OPEN, .writable = true, .must_exist = true};
	uint8_t buf[512];
	int sent = 0;

	snprintf(req.name, sizeof(req.name), "%s", tag);
	for (; sent < 100000; sent++) {
		req.id = (uint64_t)sent + 1;
		int n = wire_encode_request(&req, buf, sizeof(buf));
		if (n <= 0 || send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n)
			break;
	}
	return sent;
}

/* Bytes of replies waiting unread on a socket (for SOCK_SEQPACKET, SIOCINQ sums the
 * queue; after a hangup the queue is no longer readable, so this is taken before). */
static int unread_bytes(int fd)
{
	int n = 0;
	return ioctl(fd, SIOCINQ, &n) == 0 ? n : 0;
}

/* What the never-reader run measured. */
struct nr_run {
	int base_fds, fds_after, sent, unread, cut, settle_ms;
	long queued_fds;
	uint64_t held_during, held_after, held_end;
	int64_t first_cut, last_cut; /* ms after the flood */
	int64_t t_before, t_attack, t_flooded, t_cut, t_end;
};

/* Floods from NEVER_READERS sockets, then waits for the daemon to cut them all off. */
static void nr_attack(const struct stress_opts *opts, struct sdaemon *d, int report_fd[2],
                      struct progress *pr, struct nr_run *nr)
{
	int fd[NEVER_READERS];
	int64_t cut_at[NEVER_READERS];
	bool seen[NEVER_READERS] = {false};
	struct mmapc_stats st;

	nr->t_attack = now_ms();
	for (int i = 0; i < NEVER_READERS; i++) {
		fd[i] = raw_connect(d->socket, false);
		nr->sent += fd[i] >= 0 ? flood(fd[i], "nr-shared") : 0;
	}
	/* Let the daemon take what it will (it reads until its queue for the client is full),
	 * then fill the sockets again and count what piles up. */
	wait_draining(report_fd[0], pr, 300);
	for (int i = 0; i < NEVER_READERS; i++) {
		nr->sent += fd[i] >= 0 ? flood(fd[i], "nr-shared") : 0;
		nr->unread += fd[i] >= 0 ? unread_bytes(fd[i]) : 0;
	}
	nr->t_flooded = now_ms();
	/* Its own connections and tags aside, what the daemon keeps open is queued replies. */
	nr->queued_fds = proc_fd_count(d->pid) - nr->base_fds - 2 * NR_WORKERS - NEVER_READERS - 1;
	if (nr->queued_fds < 0)
		nr->queued_fds = 0; /* the never-readers are gone already */
	sdaemon_stat(d, &st);
	nr->held_during = st.handles;
	int64_t deadline = nr->t_attack + (opts->throttle_s + 4) * 1000;
	while (nr->cut < NEVER_READERS && now_ms() < deadline) {
		for (int i = 0; i < NEVER_READERS; i++) {
			struct pollfd p = {.fd = fd[i], .events = 0};
			if (!seen[i] && fd[i] >= 0 && poll(&p, 1, 0) == 1 &&
			    (p.revents & POLLHUP)) {
				/* Negative if it came before the flood was over. */
				cut_at[i] = now_ms() - nr->t_flooded;
				seen[i] = true;
				nr->cut++;
			}
		}
		report_drain(report_fd[0], progress_record, pr);
		sleep_ms(10);
	}
	nr->t_cut = now_ms();
	nr->first_cut = INT64_MAX;
	nr->last_cut = INT64_MIN;
	for (int i = 0; i < NEVER_READERS; i++) {
		if (seen[i]) {
			nr->first_cut = cut_at[i] < nr->first_cut ? cut_at[i] : nr->first_cut;
			nr->last_cut = cut_at[i] > nr->last_cut ? cut_at[i] : nr->last_cut;
		}
		if (fd[i] >= 0)
			close(fd[i]);
	}
	if (!nr->cut)
		nr->first_cut = nr->last_cut = 0;
	nr->settle_ms = sdaemon_settle(d, -1, 2L * NR_WORKERS + 1,
	                               (long)st.connections - NEVER_READERS, 3000, &st);
	nr->held_after = st.handles;
}

static void nr_report(const char *scen, const struct stress_opts *opts, const struct nr_run *nr,
                      const struct progress *pr, bool ok)
{
	char what[3][64];

	snprintf(what[0], sizeof(what[0]), "%s.cut-off", scen);
	snprintf(what[1], sizeof(what[1]), "%s.others", scen);
	snprintf(what[2], sizeof(what[2]), "%s.released", scen);
	int64_t t_first = nr->cut ? nr->t_flooded + nr->first_cut : nr->t_cut;
	double before = rate(pr, nr->t_before, nr->t_attack),
	       during = rate(pr, nr->t_flooded, t_first), after = rate(pr, nr->t_cut, nr->t_end);

	check(ok && nr->cut == NEVER_READERS && nr->first_cut >= (opts->throttle_s - 1) * 1000 &&
	              nr->last_cut <= (opts->throttle_s + 2) * 1000,
	      what[0],
	      "%d sockets sent %d open requests and read nothing: the daemon made %llu holds, "
	      "kept %ld replies' descriptors queued, left %d bytes of replies unread in their "
	      "sockets; %d cut off %lld-%lld ms later (--throttle-seconds %d)",
	      NEVER_READERS, nr->sent, (unsigned long long)nr->held_during, nr->queued_fds,
	      nr->unread, nr->cut, (long long)nr->first_cut, (long long)nr->last_cut,
	      opts->throttle_s);
	check(ok && worker_errors(pr) == 0 && during >= MIN_SHARE * before &&
	              after >= MIN_SHARE * before,
	      what[1],
	      "%d workers: %.0f calls/s before, %.0f while the never-readers were throttled "
	      "(%.2fx), %.0f after they were cut off; %lld errors%s%s",
	      NR_WORKERS, before, during, before > 0 ? during / before : 0, after,
	      (long long)worker_errors(pr), pr->first_error[0] ? "; first: " : "", pr->first_error);
	check(ok && nr->settle_ms >= 0 && nr->held_end == 0 && nr->fds_after == nr->base_fds,
	      what[2],
	      "holds: %llu while throttled, %llu after the cut-off (the workers' own), %llu at the "
	      "end; descriptors at the end %d (baseline %d)",
	      (unsigned long long)nr->held_during, (unsigned long long)nr->held_after,
	      (unsigned long long)nr->held_end, nr->fds_after, nr->base_fds);
}

void exhaust_never_reader(const struct stress_opts *opts, bool limited)
{
	const char *scen = limited ? "exhaust.never-reader-inflight" : "exhaust.never-reader";
	char throttle[16];
	const char *args[] = {"--max-queued", "16", "--throttle-seconds", throttle, NULL};
	struct sdaemon d;
	struct progress pr = {0};
	struct mmapc_stats base, st;
	struct worker w[NR_WORKERS];
	struct nr_run nr = {0};
	pid_t pid[NR_WORKERS] = {0};
	int report_fd[2], stop_fd[2];
	mmapc_map *shared = NULL;
	struct mmapc_options o = {.tagname = "nr-shared"};

	snprintf(throttle, sizeof(throttle), "%d", opts->throttle_s);
	if (limited && geteuid() != 0) {
		skip(scen, "needs root, to start mmapd without CAP_SYS_RESOURCE");
		return;
	}
	if (sdaemon_start_flags(&d, args, limited ? INFLIGHT_NOFILE : 0,
	                        limited ? SDAEMON_NO_RESOURCE_CAPS : 0) < 0 ||
	    report_pipe(report_fd) < 0 || pipe2(stop_fd, O_CLOEXEC) < 0) {
		check(false, scen, "cannot start mmapd or make a pipe");
		return;
	}
	stress_deadline(scen, 120, &d);
	sdaemon_stat(&d, &base);
	nr.base_fds = proc_fd_count_settled(d.pid);
	if (mmapc_open(&shared, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o) < 0 ||
	    start_workers(NR_WORKERS, w, pid, report_fd, "nr-shared", stop_fd, &pr) < 0) {
		check(false, scen, "the workers did not start");
		goto out;
	}
	nr.t_before = now_ms();
	wait_draining(report_fd[0], &pr, 1000);
	nr_attack(opts, &d, report_fd, &pr, &nr);
	wait_draining(report_fd[0], &pr, 1000);
	nr.t_end = now_ms();
	close(stop_fd[1]);
	stop_fd[1] = -1;
	int bad = reap(pid, NR_WORKERS);
	report_drain(report_fd[0], progress_record, &pr);
	mmapc_free(shared);
	shared = NULL;
	sdaemon_settle(&d, 0, 0, (long)base.connections, 3000, &st);
	nr.held_end = st.handles;
	nr.fds_after = proc_fd_count_settled(d.pid);
	nr_report(scen, opts, &nr, &pr, sdaemon_alive(&d) && !bad);
out:
	exhaust_teardown(scen, &d, shared, report_fd, stop_fd, &pr);
}
