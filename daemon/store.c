/* store.c: mmapd's tags in systemd's file-descriptor store (see store.h).
 *
 * Decisions:
 *   - Every tag goes in, file-backed ones too: their descriptor is the file a client handed
 *     over, which a new daemon could not open again by itself.
 *   - A replaced descriptor (a shrink) is stored under a new name before the old one is
 *     removed, and the log says which generation is current, so a crash between the two
 *     leaves one descriptor too many (removed at the next start), never none.
 *   - A tag is stored before its record is written, so a crash between the two leaves a
 *     descriptor without a tag (removed at the next start), never a tag without memory.
 *   - Holds are logged per process (the pid the daemon got with SO_PEERCRED), not per
 *     connection: that is what a restarted daemon can watch and what a client re-claims.
 *   - A failed write (the memfd cannot grow: ENOMEM, ENOSPC) is logged once and makes the
 *     next sweep compact, which writes the whole state afresh.
 * Not here: the decision of what is live (the server and the registry feed the snapshot).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "store.h"
#include "store_impl.h"

int store_open(struct store **ret, uv_loop_t *loop)
{
	const char *off = getenv("MMAPD_NO_FDSTORE");

	*ret = NULL;
	if (!getenv("NOTIFY_SOCKET") || (off && !strcmp(off, "1")))
		return 0;
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->log_fd = s->next_fd = -1;
	int r = notifier_open(&s->notifier, loop);
	if (r < 0 || !s->notifier) {
		free(s);
		return r < 0 ? r : 0;
	}
	*ret = s;
	return 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	if (s->log_fd >= 0)
		close(s->log_fd);
	if (s->next_fd >= 0)
		close(s->next_fd);
	notifier_close(s->notifier);
	free(s);
}

/* ---- talking to the manager --------------------------------------------------------------- */

void store_fd_name(char *buf, size_t cap, uint64_t id, uint32_t generation)
{
	snprintf(buf, cap, "t%" PRIu64 "-%" PRIu32, id, generation);
}

static void notify_store(struct store *s, const char *name, int fd)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	int r = notifier_send(s->notifier, msg, fd);
	if (r < 0)
		log_warning("cannot hand %s to the service manager: %s", name, strerror(-r));
}

void store_notify_remove(struct store *s, const char *name)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	notifier_send(s->notifier, msg, -1);
}

/* ---- the log -------------------------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t k = pwrite(fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* Appends rec to the log fd whose end is *end. */
static int append_to(int fd, uint64_t *end, const struct state_record *rec)
{
	uint8_t buf[STATE_RECORD_MAX];
	int n = state_encode(rec, buf, sizeof(buf));
	if (n < 0)
		return n;
	int r = write_all(fd, buf, (size_t)n, *end);
	if (r == 0)
		*end += (uint64_t)n;
	return r;
}

static void append(struct store *s, const struct state_record *rec)
{
	if (s->log_fd < 0 || s->failed)
		return;
	int r = append_to(s->log_fd, &s->log_end, rec);
	if (r < 0) {
		log_warning("cannot write the state log: %s; it will be written afresh",
		            strerror(-r));
		s->failed = true;
	}
}

static int new_log(uint64_t *ret_end)
{
	int fd = memfd_create("mmapd-state", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = write_all(fd, (const uint8_t *)STATE_MAGIC, STATE_MAGIC_LEN, 0);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_end = STATE_MAGIC_LEN;
	return fd;
}

void store_tag_made(struct store *s, const struct state_tag *t, int fd)
{
	char name[48];

	if (!s)
		return;
	store_fd_name(name, sizeof(name), t->id, t->fd_generation);
	notify_store(s, name, fd);
	append(s, &(struct state_record){.op = STATE_TAG, .id = t->id, .tag = *t});
	s->n_tags++;
}

void store_tag_unlinked(struct store *s, uint64_t id)
{
	if (s)
		append(s, &(struct state_record){.op = STATE_UNLINKED, .id = id});
}

void store_tag_destroyed(struct store *s, uint64_t id, uint32_t fd_generation)
{
	char name[48];

	if (!s)
		return;
	append(s, &(struct state_record){.op = STATE_DESTROYED, .id = id});
	store_fd_name(name, sizeof(name), id, fd_generation);
	store_notify_remove(s, name);
	s->n_tags -= s->n_tags > 0;
}

void store_tag_replaced(struct store *s, uint64_t id, uint32_t fd_generation, int fd,
                        uint32_t old_generation)
{
	char name[48];

	if (!s)
		return;
	store_fd_name(name, sizeof(name), id, fd_generation);
	notify_store(s, name, fd);
	append(s, &(struct state_record){
	                  .op = STATE_REPLACED, .id = id, .fd_generation = fd_generation});
	store_fd_name(name, sizeof(name), id, old_generation);
	store_notify_remove(s, name);
}

void store_hold(struct store *s, uint64_t id, pid_t pid, uint32_t count)
{
	/* A peer in a pid namespace the daemon cannot see has pid 0: nothing to watch. */
	if (!s || pid <= 0)
		return;
	append(s, &(struct state_record){
	                  .op = STATE_HOLD, .id = id, .pid = (uint32_t)pid, .count = count});
	s->n_holds += count;
}

void store_drop(struct store *s, uint64_t id, pid_t pid, uint32_t count)
{
	if (!s || pid <= 0)
		return;
	append(s, &(struct state_record){
	                  .op = STATE_DROP, .id = id, .pid = (uint32_t)pid, .count = count});
	s->n_holds -= count < s->n_holds ? count : s->n_holds;
}

bool store_wants_compaction(const struct store *s)
{
	if (!s)
		return false;
	uint64_t live = STATE_MAGIC_LEN + s->n_tags * TAG_BYTES + s->n_holds * HOLD_BYTES;
	return s->failed || s->generation == 0 ||
	       (s->log_end > COMPACT_MIN && s->log_end > 2 * live);
}

/* ---- compaction ------------------------------------------------------------------------------ */

int store_compact_begin(struct store *s)
{
	if (!s)
		return 0;
	int fd = new_log(&s->next_end);
	if (fd < 0) {
		log_warning("cannot make a new state log: %s", strerror(-fd));
		s->failed = true; /* the next sweep tries again */
		return fd;
	}
	s->next_fd = fd;
	s->n_tags = s->n_holds = 0;
	return 0;
}

static void snap(struct store *s, const struct state_record *rec)
{
	if (s->next_fd < 0)
		return;
	int r = append_to(s->next_fd, &s->next_end, rec);
	if (r < 0) {
		log_warning("cannot write the new state log: %s", strerror(-r));
		close(s->next_fd);
		s->next_fd = -1;
	}
}

void store_snap_tag(struct store *s, const struct state_tag *t)
{
	if (!s)
		return;
	snap(s, &(struct state_record){.op = STATE_TAG, .id = t->id, .tag = *t});
	s->n_tags++;
}

void store_snap_hold(struct store *s, uint64_t id, pid_t pid, uint32_t count)
{
	if (!s || count == 0 || pid <= 0)
		return;
	snap(s, &(struct state_record){
	                .op = STATE_HOLD, .id = id, .pid = (uint32_t)pid, .count = count});
	s->n_holds += count;
}

void store_compact_end(struct store *s)
{
	char name[32];

	if (!s || s->next_fd < 0) {
		if (s)
			s->failed = true; /* the counts were reset: try again at the next sweep */
		return;
	}
	snprintf(name, sizeof(name), "s%" PRIu64, s->generation + 1);
	notify_store(s, name, s->next_fd);
	if (s->generation) {
		snprintf(name, sizeof(name), "s%" PRIu64, s->generation);
		store_notify_remove(s, name);
	}
	if (s->log_fd >= 0)
		close(s->log_fd);
	s->log_fd = s->next_fd;
	s->log_end = s->next_end;
	s->next_fd = -1;
	s->generation++;
	s->failed = false;
}
