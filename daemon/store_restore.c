/* store_restore.c: reading back what systemd's file-descriptor store kept (see store.h): the
 * newest state log is replayed into the tags alive at its end and their holders, and each
 * tag is matched with the descriptor stored under t<id>-<fd generation>.
 *
 * Decisions:
 *   - A log is read up to its first bad record (torn by a crash, or corrupt); what came
 *     before stands. Replaying is idempotent in what matters: a tag is live or not, holds
 *     are counts.
 *   - Of several logs (a crash between storing a compacted log and removing the old one),
 *     the newest generation with a good header wins; the others are removed.
 *   - A descriptor no live tag claims, and one whose name is not ours, is closed and removed
 *     from the store, so that the store never grows with leftovers.
 * Not here: writing the log (store.c), what the restored tags become (registry.c, restore.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "store.h"
#include "store_impl.h"

/* A state log larger than this is not one mmapd wrote (65536 tags compact to ~5 MiB). */
#define LOG_MAX (UINT64_C(1) << 30)

struct replay {
	struct store_restored *v; /* sorted by id while sorted is set */
	size_t n, cap;
	uint64_t max_id;
	bool sorted;
};

static bool parse_number(const char *s, char end, uint64_t *ret, const char **rest)
{
	char *e;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno || *e != end)
		return false;
	*ret = v;
	*rest = e;
	return true;
}

/* "t<id>-<generation>" */
static bool parse_tag_name(const char *name, uint64_t *id, uint32_t *generation)
{
	const char *rest;
	uint64_t g;

	if (name[0] != 't' || !parse_number(name + 1, '-', id, &rest) ||
	    !parse_number(rest + 1, '\0', &g, &rest) || g > UINT32_MAX)
		return false;
	*generation = (uint32_t)g;
	return true;
}

/* "s<generation>" */
static bool parse_log_name(const char *name, uint64_t *generation)
{
	const char *rest;
	return name[0] == 's' && parse_number(name + 1, '\0', generation, &rest);
}

static size_t lower_bound(const struct replay *rp, uint64_t id)
{
	size_t lo = 0, hi = rp->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rp->v[mid].tag.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const struct store_restored *)a)->tag.id;
	uint64_t y = ((const struct store_restored *)b)->tag.id;
	return x < y ? -1 : x > y;
}

static struct store_restored *find(struct replay *rp, uint64_t id)
{
	if (!rp->sorted) {
		qsort(rp->v, rp->n, sizeof(*rp->v), by_id);
		rp->sorted = true;
	}
	size_t i = lower_bound(rp, id);
	return i < rp->n && rp->v[i].tag.id == id && !rp->v[i].dead ? &rp->v[i] : NULL;
}

/* A tag record: appended, since a log only ever makes tags with new ids (a compacted log
 * writes them in any order: the next find sorts). */
static int add_tag(struct replay *rp, const struct state_tag *t)
{
	bool in_order = rp->n == 0 || t->id > rp->max_id;

	if (t->id > rp->max_id)
		rp->max_id = t->id;
	if (rp->n == rp->cap) {
		size_t cap = rp->cap ? rp->cap * 2 : 64;
		struct store_restored *v = realloc(rp->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		rp->v = v;
		rp->cap = cap;
	}
	rp->v[rp->n++] = (struct store_restored){.tag = *t, .fd = -1};
	rp->sorted = rp->sorted && in_order;
	return 0;
}

/* A tag that died stays in the array, marked, until the end: removing it would move the
 * rest, once per death. */
static void remove_tag(struct replay *rp, uint64_t id)
{
	struct store_restored *e = find(rp, id);
	if (!e)
		return;
	free(e->holds);
	e->holds = NULL;
	e->n_holds = 0;
	e->dead = true;
}

static int change_holds(struct store_restored *e, pid_t pid, uint32_t count, bool add)
{
	for (size_t i = 0; i < e->n_holds; i++) {
		if (e->holds[i].pid != pid)
			continue;
		if (add) {
			e->holds[i].count += count;
		} else if (e->holds[i].count <= count) {
			e->holds[i] = e->holds[--e->n_holds];
		} else {
			e->holds[i].count -= count;
		}
		return 0;
	}
	if (!add)
		return 0;
	struct store_hold *h = realloc(e->holds, (e->n_holds + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	e->holds = h;
	e->holds[e->n_holds++] = (struct store_hold){.pid = pid, .count = count};
	return 0;
}

static int apply(struct replay *rp, const struct state_record *rec)
{
	struct store_restored *e = rec->op == STATE_TAG ? NULL : find(rp, rec->id);

	switch (rec->op) {
	case STATE_TAG:
		return add_tag(rp, &rec->tag);
	case STATE_UNLINKED:
		if (e)
			e->tag.unlinked = true;
		return 0;
	case STATE_DESTROYED:
		remove_tag(rp, rec->id);
		return 0;
	case STATE_REPLACED:
		if (e)
			e->tag.fd_generation = rec->fd_generation;
		return 0;
	case STATE_HOLD:
	case STATE_DROP:
		return e ? change_holds(e, (pid_t)rec->pid, rec->count, rec->op == STATE_HOLD) : 0;
	}
	return 0;
}

/* Whether fd starts like a state log. */
static bool is_log(int fd)
{
	char magic[STATE_MAGIC_LEN];
	return pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	       memcmp(magic, STATE_MAGIC, sizeof(magic)) == 0;
}

static int replay_log(struct replay *rp, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size > LOG_MAX) {
		log_warning("the stored state log is %lld bytes: not read", (long long)st.st_size);
		return 0;
	}
	size_t len = (size_t)st.st_size;
	uint8_t *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	size_t off = STATE_MAGIC_LEN, records = 0;
	int r = 0;
	while (off < len) {
		struct state_record rec;
		int n = state_decode(p + off, len - off, &rec);
		if (n == 0)
			break;
		if (n < 0) {
			log_warning("the stored state log has a bad record at byte %zu (a crash "
			            "while writing it?): the rest is ignored",
			            off);
			break;
		}
		r = apply(rp, &rec);
		if (r < 0)
			break;
		off += (size_t)n;
		records++;
	}
	munmap(p, len);
	log_info("replayed %zu records of the stored state", records);
	return r;
}

/* Closes a descriptor the store should not keep, and removes it from the store. */
static void discard(struct store *s, int fd, const char *name)
{
	close(fd);
	if (s)
		store_notify_remove(s, name);
}

void store_restored_free(struct store_restored *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].holds);
		if (v[i].fd >= 0)
			close(v[i].fd);
	}
	free(v);
}

ssize_t store_restore(struct store *s, const int *fds, char *const *names, size_t n,
                      struct store_restored **ret, uint64_t *ret_next_id)
{
	struct replay rp = {.sorted = true};
	uint64_t best_generation = 0, generation, id;
	uint32_t fd_generation;
	ssize_t best = -1;
	int r = 0;

	/* The newest good log is the state; every other one goes. */
	for (size_t i = 0; i < n; i++)
		if (parse_log_name(names[i], &generation) && is_log(fds[i]) &&
		    (best < 0 || generation > best_generation)) {
			best = (ssize_t)i;
			best_generation = generation;
		}
	if (best >= 0)
		r = replay_log(&rp, fds[best]);
	else if (n > 0)
		log_warning("the service manager passed descriptors but no state log");
	if (r < 0) {
		/* Out of memory at start: keep the store as it is for a daemon that can read it. */
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		store_restored_free(rp.v, rp.n);
		*ret = NULL;
		return r;
	}
	if (s)
		s->generation = best >= 0 ? best_generation : 0;

	for (size_t i = 0; i < n; i++) {
		struct store_restored *e = NULL;
		if (parse_tag_name(names[i], &id, &fd_generation)) {
			e = find(&rp, id);
			if (e && (e->fd >= 0 || e->tag.fd_generation != fd_generation))
				e = NULL;
		}
		if (e) {
			e->fd = fds[i];
			continue;
		}
		/* The chosen log is removed by the next compaction (store.c), the others now. */
		if ((ssize_t)i == best)
			close(fds[i]);
		else
			discard(s, fds[i], names[i]);
	}

	/* A tag whose descriptor did not come back is lost: its memory lives on only in the
	 * maps of its holders. */
	size_t kept = 0;
	for (size_t i = 0; i < rp.n; i++) {
		if (rp.v[i].dead)
			continue;
		if (rp.v[i].fd < 0) {
			log_warning("tag %s (id %" PRIu64
			            ") came back without its descriptor: lost",
			            rp.v[i].tag.name, rp.v[i].tag.id);
			free(rp.v[i].holds);
			continue;
		}
		rp.v[kept++] = rp.v[i];
	}
	*ret_next_id = rp.max_id + 1;
	if (kept == 0) {
		free(rp.v);
		*ret = NULL;
		return 0;
	}
	*ret = rp.v;
	return (ssize_t)kept;
}

void store_discard(const int *fds, char *const *names, size_t n)
{
	bool manager = getenv("NOTIFY_SOCKET") != NULL;
	char msg[96];

	for (size_t i = 0; i < n; i++) {
		close(fds[i]);
		snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", names[i]);
		if (manager)
			sd_notify(0, msg); /* at start, before any client: blocking is fine */
	}
	if (n)
		log_notice("the fd store is off: %zu stored descriptors dropped", n);
}
