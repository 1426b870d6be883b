/* tag.c: maps opened by tagname: holds on the daemon's tags, opening, resizing, releasing.
 *
 * Holds. A process holds a tag through one handle in the daemon, shared by every map of that
 * tag the process opens through the same connection (struct map_tag, counted by refs). The
 * first open asks the daemon; later ones are served from the hold with no round trip (the
 * size is the memory object's, from fstat); the last map's close releases the hold with a
 * quiet close request, which the daemon does not answer and the library does not wait for.
 * A hold that allows only reading never serves a writable open (that one asks the daemon and
 * makes a hold of its own), and an open that hands over a file always asks the daemon. The
 * memory a hold serves is the memory the name had when the hold was made: if the tag has
 * been unlinked and made anew since, this process keeps using its own until it lets go.
 *
 * Offsets. A tag is one memory object (a memfd, or a file) and a map is a view of it at an
 * offset, as on Windows, where a named section has a maximum size and MapViewOfFile maps a
 * window of it. For an anonymous tag the client asks the daemon for a tag of offset + length
 * bytes (creating it at that size, or checking that an existing one is at least that large);
 * for a file tag the daemon checks offset and length against the file itself.
 *
 * Re-claiming. A hold belongs to the process and connection that made it. One inherited
 * across fork holds nothing in the daemon's eyes and is never used to serve a new open.
 * After a lost connection (a daemon restart), the library re-claims every hold this process
 * still has, listed in the table or not (conn.c runs resume() once, before the next request):
 * a Resume request names each by the memory it maps (st_dev, st_ino), and the daemon, if it
 * came back from systemd's fd store, hands back a handle for each it had recorded for this
 * pid; whatever the process no longer has is given back. A hold the daemon does not know,
 * of an anonymous tag held for writing that this process did not unlink, is published: its
 * memfd is sent with an Open (publish), and the daemon makes the tag anew from it if the name
 * is free, or just gives a handle if the name leads to the same memory (another holder
 * published it first). A hold that is neither re-claimed nor published keeps working as
 * memory; a resize first re-opens the tag by name (must exist, same access), and accepts the
 * new handle only if the daemon hands back the very memory object the hold already has;
 * otherwise the name now means something else and the resize fails with -ESTALE.
 *
 * Locking: the table of holds has its own mutex, taken after a map's and never held across
 * a call to the daemon. Not here: the socket (conn.c), the map object's generic parts
 * (map.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "map.h"

/* ---- the table of holds ------------------------------------------------------------------ */

static pthread_mutex_t holds_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static struct map_tag **buckets;
static size_t n_buckets, n_holds;
/* Every hold, listed in the table or not (mid-shrink, unlinked): what a re-claim names. */
static struct map_tag *all_holds;
static size_t n_all;

static void all_add(struct map_tag *t)
{
	t->all_prev = NULL;
	t->all_next = all_holds;
	if (all_holds)
		all_holds->all_prev = t;
	all_holds = t;
	n_all++;
}

static void all_remove(struct map_tag *t)
{
	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else
		all_holds = t->all_next;
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
	n_all--;
}

/* fork: the table must not be mid-change in the child. These handlers are registered after
 * conn.c's (conn_get comes first), so prepare takes holds_lock before the connection locks,
 * the order every path here follows. */
static void atfork_lock(void)
{
	pthread_mutex_lock(&holds_lock);
}

static void atfork_unlock(void)
{
	pthread_mutex_unlock(&holds_lock);
}

static int resume(struct conn *c);

static void register_atfork(void)
{
	pthread_atfork(atfork_lock, atfork_unlock, atfork_unlock);
	conn_on_reconnect(resume);
}

/* "Local\name" is the explicit form of "name": one tag, so one key. */
static const char *canonical(const char *name)
{
	static const char local[] = "Local\\";
	return strncmp(name, local, sizeof(local) - 1) ? name : name + sizeof(local) - 1;
}

static size_t bucket_of(const struct conn *c, const char *name)
{
	uint64_t h = 1469598103934665603u ^ (uint64_t)(uintptr_t)c;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return (size_t)(h ^ (h >> 29)) & (n_buckets - 1);
}

static void table_insert(struct map_tag *t)
{
	if (n_holds >= n_buckets) {
		size_t n = n_buckets ? n_buckets * 2 : 16;
		struct map_tag **b = calloc(n, sizeof(*b));
		if (b) {
			struct map_tag **old = buckets;
			size_t old_n = n_buckets;
			buckets = b;
			n_buckets = n;
			for (size_t i = 0; i < old_n; i++)
				for (struct map_tag *e = old[i], *next; e; e = next) {
					next = e->next;
					size_t k = bucket_of(e->conn, e->name);
					e->next = buckets[k];
					buckets[k] = e;
				}
			free(old);
		}
	}
	if (!n_buckets) {
		t->next = NULL; /* no table: the hold serves only its own map */
		return;
	}
	size_t k = bucket_of(t->conn, t->name);
	t->next = buckets[k];
	buckets[k] = t;
	t->listed = true;
	n_holds++;
}

static void table_remove(struct map_tag *t)
{
	if (!t->listed)
		return;
	for (struct map_tag **p = &buckets[bucket_of(t->conn, t->name)]; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			n_holds--;
			break;
		}
	t->listed = false;
}

/* A hold of this process's on name through c that allows the access asked for. */
static struct map_tag *table_find(const struct conn *c, const char *name, bool writable)
{
	if (!n_buckets)
		return NULL;
	pid_t pid = conn_self();
	for (struct map_tag *t = buckets[bucket_of(c, name)]; t; t = t->next)
		if (t->conn == c && t->pid == pid && (t->writable || !writable) &&
		    !strcmp(t->name, name) && conn_current(c, t->generation))
			return t;
	return NULL;
}

/* ---- opening ----------------------------------------------------------------------------- */

/* The view's length from the object's size: length 0 means all of it past offset. */
static int view_length(uint64_t size, int64_t offset, int64_t *length)
{
	if (*length == 0) {
		/* A view that starts at or past the end does not fit the tag. */
		if (size <= (uint64_t)offset)
			return -EFBIG;
		if (size - (uint64_t)offset > SIZE_MAX / 2)
			return -ENOMEM;
		*length = (int64_t)(size - (uint64_t)offset);
	} else if ((uint64_t)*length > size || (uint64_t)offset > size - (uint64_t)*length) {
		return -EFBIG;
	}
	return 0;
}

/* Serves an open from a hold this process already has, if there is one. Returns 1 with the
 * hold referenced, 0 if there is none, or a negative errno. */
static int open_held(struct conn *c, const char *name, bool writable, int64_t *length,
                     int64_t offset, struct map_tag **ret_tag)
{
	struct stat st;

	pthread_mutex_lock(&holds_lock);
	struct map_tag *t = table_find(c, name, writable);
	if (t)
		t->refs++;
	pthread_mutex_unlock(&holds_lock);
	if (!t)
		return 0;
	int r = fstat(t->fd, &st) < 0 ? -errno : view_length((uint64_t)st.st_size, offset, length);
	if (r < 0) {
		tag_close(t);
		return r;
	}
	*ret_tag = t;
	return 1;
}

int tag_open(const struct mmapc_options *opts, int fileno, int64_t *length, int64_t offset,
             bool writable, struct map_tag **ret_tag, bool *ret_created)
{
	struct wire_request req = {.op = WIRE_OPEN};
	struct wire_reply rep;
	struct conn *c;
	int fd = -1;

	const char *name = canonical(opts->tagname);
	size_t name_len = strlen(opts->tagname);
	if (name_len >= sizeof(req.name))
		return -EINVAL;
	int r = conn_get(opts->socket_path, &c);
	if (r < 0)
		return r;
	pthread_once(&atfork_once, register_atfork);
	bool excl = opts->options & MMAPC_EXCL;
	if (fileno < 0) {
		r = open_held(c, name, writable, length, offset, ret_tag);
		if (r > 0 && excl) {
			tag_close(*ret_tag);
			return -EEXIST;
		}
		if (r != 0) {
			*ret_created = false;
			return r < 0 ? r : 0;
		}
	}

	struct map_tag *t = calloc(1, sizeof(*t) + strlen(name) + 1);
	if (!t)
		return -ENOMEM;
	strcpy(t->name, name);
	t->conn = c;
	t->fd = -1;
	t->refs = 1;
	t->pid = conn_self();

	memcpy(req.name, opts->tagname, name_len + 1);
	req.writable = writable;
	req.mode = opts->mode;
	req.persistent = opts->options & MMAPC_PERSISTENT;
	req.must_exist = opts->options & MMAPC_NOCREATE;
	if (fileno >= 0) {
		req.with_file = true;
		req.length = (uint64_t)*length;
		req.offset = (uint64_t)offset;
	} else if (*length > 0) {
		if (*length > INT64_MAX - offset) {
			free(t);
			return -EOVERFLOW;
		}
		req.length = (uint64_t)(offset + *length);
	}
	r = conn_call(c, 0, &req, fileno, &rep, &fd, &t->generation);
	if (r < 0) {
		free(t);
		return r;
	}
	t->handle = rep.handle;
	t->writable = rep.writable;
	t->anonymous = rep.kind == WIRE_KIND_ANONYMOUS;
	t->mode = rep.mode;
	t->persistent = rep.persistent;
	t->fd = fd;
	/* O_EXCL's rule, decided by the one who asked: the hold just made is given back. */
	r = excl && !rep.created ? -EEXIST : view_length(rep.size, offset, length);
	if (r < 0) {
		tag_close(t);
		return r;
	}
	pthread_mutex_lock(&holds_lock);
	table_insert(t);
	all_add(t);
	pthread_mutex_unlock(&holds_lock);
	*ret_created = rep.created;
	*ret_tag = t;
	return 0;
}

/* ---- releasing --------------------------------------------------------------------------- */

void tag_close(struct map_tag *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&holds_lock);
	bool last = --t->refs == 0;
	if (last) {
		table_remove(t);
		if (t->all_prev || all_holds == t)
			all_remove(t);
	}
	pthread_mutex_unlock(&holds_lock);
	if (!last)
		return;
	if (t->handle) {
		/* -ESTALE (the hold is another process's or died with an old daemon) and every
		 * other failure leave nothing to release here. */
		struct wire_request req = {.op = WIRE_CLOSE, .handle = t->handle, .quiet = true};
		conn_send(t->conn, t->generation, &req);
	}
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

static bool same_object(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* ---- after a lost connection -------------------------------------------------------------- */

/* The holds of this process's on c that the connection now live did not issue, referenced,
 * into an array the caller frees (each hold with tag_close). Returns 0 or -ENOMEM. */
static int collect_stale(struct conn *c, struct map_tag ***ret, size_t *ret_n)
{
	pid_t pid = conn_self();
	size_t n = 0;

	pthread_mutex_lock(&holds_lock);
	struct map_tag **v = malloc((n_all ? n_all : 1) * sizeof(*v));
	for (struct map_tag *t = v ? all_holds : NULL; t; t = t->all_next)
		if (t->conn == c && t->pid == pid && t->handle && !conn_current(c, t->generation)) {
			t->refs++;
			v[n++] = t;
		}
	pthread_mutex_unlock(&holds_lock);
	*ret = v;
	*ret_n = n;
	return v ? 0 : -ENOMEM;
}

/* Gives t the handle the daemon just issued under generation, unless another thread
 * re-claimed it meanwhile (then the new handle goes back: one is enough). */
static void adopt_handle(struct conn *c, struct map_tag *t, uint64_t handle, uint64_t generation)
{
	pthread_mutex_lock(&holds_lock);
	bool adopt = !conn_current(c, t->generation);
	if (adopt) {
		t->handle = handle;
		t->generation = generation;
		t->pid = conn_self();
	}
	pthread_mutex_unlock(&holds_lock);
	if (!adopt) {
		struct wire_request close_req = {.op = WIRE_CLOSE, .handle = handle, .quiet = true};
		conn_send(c, generation, &close_req);
	}
}

/* A handle the daemon issued for t's name with descriptor fd (taken here): t's if fd is the
 * memory t has, else given back (the name leads to other memory: -ESTALE). */
static int adopt_if_same(struct conn *c, struct map_tag *t, int fd, uint64_t handle,
                         uint64_t generation)
{
	bool same = same_object(fd, t->fd);
	close(fd);
	if (!same) {
		struct wire_request close_req = {.op = WIRE_CLOSE, .handle = handle, .quiet = true};
		conn_send(c, generation, &close_req);
		return -ESTALE;
	}
	adopt_handle(c, t, handle, generation);
	return 0;
}

/* Publishes t's memory under its name again (a daemon restarted without systemd's store
 * knows nothing of it): the first publisher makes the tag anew from its memfd, later ones
 * with the same memory just hold it, and one with other memory is refused (-EEXIST). */
static int publish(struct conn *c, struct map_tag *t, uint64_t on_generation)
{
	struct wire_request req = {.op = WIRE_OPEN,
	                           .writable = true,
	                           .with_file = true,
	                           .publish = true,
	                           .mode = t->mode,
	                           .persistent = t->persistent};
	struct wire_reply rep;
	uint64_t generation;
	int fd;

	strcpy(req.name, t->name);
	int r = conn_call(c, on_generation, &req, t->fd, &rep, &fd, &generation);
	return r < 0 ? r : adopt_if_same(c, t, fd, rep.handle, generation);
}

/* One Resume request for holds[0..n); adopts the handles that come back and publishes what
 * the daemon did not know (only an anonymous tag held for writing can be: its memfd). Every
 * batch goes on the connection the first one went on (*generation, 0 before the first): a
 * daemon that restarted between two batches must hear the whole list, so the re-claim
 * fails with -ESTALE and is done again from the start. */
static int resume_batch(struct conn *c, struct map_tag **holds, size_t n, bool last,
                        uint64_t *generation)
{
	struct wire_resume_hold asked[WIRE_RESUME_MAX];
	struct wire_request req = {.op = WIRE_RESUME, .holds = asked, .last = last};
	struct wire_reply rep;
	struct stat st;
	int fd;

	for (size_t i = 0; i < n; i++) {
		/* A descriptor fstat refuses cannot happen to a hold's own; name nothing then. */
		if (fstat(holds[i]->fd, &st) < 0)
			st.st_dev = st.st_ino = 0;
		asked[req.n_holds++] = (struct wire_resume_hold){
		        .dev = st.st_dev, .ino = st.st_ino, .writable = holds[i]->writable};
	}
	int r = conn_call(c, *generation, &req, -1, &rep, &fd, generation);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct map_tag *t = holds[i];
		if (i < rep.n_handles && rep.handles[i])
			adopt_handle(c, t, rep.handles[i], *generation);
		else if (t->anonymous && t->writable && !t->unlinked)
			publish(c, t, *generation); /* -EEXIST: other memory has the name now */
	}
	wire_reply_finish(&rep);
	return 0;
}

/* Re-claims, on a new connection, the holds this process had on a lost one: the daemon,
 * restarted from systemd's fd store, kept them pending for this pid, and the last batch tells
 * it that whatever it kept and was not named is no longer held here. */
static int resume(struct conn *c)
{
	struct map_tag **holds;
	uint64_t generation = 0;
	size_t n, done = 0;
	/* Without the list, say nothing: an empty last batch would give every hold back. */
	int r = collect_stale(c, &holds, &n);

	if (r < 0)
		return r;
	do {
		size_t k = n - done < WIRE_RESUME_MAX ? n - done : WIRE_RESUME_MAX;
		r = resume_batch(c, holds + done, k, done + k == n, &generation);
		done += k;
	} while (r == 0 && done < n);
	for (size_t i = 0; i < n; i++)
		tag_close(holds[i]);
	free(holds);
	return r;
}

/* ---- resizing ---------------------------------------------------------------------------- */

/* Gives m's hold a handle of this process's, on the same memory object (see the top). */
static int reclaim(mmapc_map *m)
{
	struct map_tag *t = m->tag;
	struct wire_request req = {.op = WIRE_OPEN, .writable = t->writable, .must_exist = true};
	struct wire_reply rep;
	uint64_t generation;
	int fd;

	strcpy(req.name, t->name);
	int r = conn_call(t->conn, 0, &req, -1, &rep, &fd, &generation);
	if (r < 0)
		return r == -ENOENT ? -ESTALE : r;
	return adopt_if_same(t->conn, t, fd, rep.handle, generation);
}

/* The hold's handle and generation, which a re-claim may change under other maps. */
static void hold_ids(struct map_tag *t, uint64_t *handle, uint64_t *generation)
{
	pthread_mutex_lock(&holds_lock);
	*handle = t->handle;
	*generation = t->generation;
	pthread_mutex_unlock(&holds_lock);
}

/* Asks the daemon to make m's tag offset + newsize bytes. */
static int request_resize(mmapc_map *m, int64_t newsize, struct wire_reply *rep, int *ret_fd)
{
	struct map_tag *t = m->tag;
	struct wire_request req = {.op = WIRE_RESIZE};
	uint64_t generation;

	if (newsize > INT64_MAX - m->offset)
		return -EINVAL;
	req.size = (uint64_t)(m->offset + newsize);
	hold_ids(t, &req.handle, &generation);
	int r = conn_call(t->conn, generation, &req, -1, rep, ret_fd, NULL);
	if (r == -ESTALE) {
		r = reclaim(m);
		if (r < 0)
			return r;
		hold_ids(t, &req.handle, &generation);
		r = conn_call(t->conn, generation, &req, -1, rep, ret_fd, NULL);
	}
	return r;
}

/* The size of the memory object behind m now, or a negative errno. */
static int64_t object_size(const mmapc_map *m)
{
	struct stat st;
	return fstat(m->tag->fd, &st) < 0 ? -errno : st.st_size;
}

/* The daemon moved the contents of m's tag to a new, smaller memfd (we were its only
 * holder): the hold takes the new descriptor whatever happens, so that it never again
 * serves the orphaned memory, and the map moves to it. Mapping it elsewhere first and only
 * then letting the old mapping go means a failure (ENOMEM) leaves the map on its old
 * memory, detached but intact, rather than on nothing. */
static int adopt_replacement(mmapc_map *m, int64_t newsize, int fd)
{
	struct map_tag *t = m->tag;

	pthread_mutex_lock(&holds_lock);
	int old_fd = t->fd;
	t->fd = fd;
	pthread_mutex_unlock(&holds_lock);
	close(old_fd);
	void *p = mmap(NULL, (size_t)newsize, m->prot, m->flags, fd, m->offset);
	if (p == MAP_FAILED)
		return -errno;
	munmap(m->data, m->len);
	m->data = p;
	m->len = (size_t)newsize;
	return 0;
}

int tag_resize(mmapc_map *m, int64_t newsize)
{
	struct map_tag *t = m->tag;
	struct wire_reply rep;
	size_t old = m->len;
	int fd = -1, r;

	/* The hold may be writable for another map while this one is private or read-only. */
	bool shared_writable = (m->flags & MAP_TYPE) == MAP_SHARED && (m->prot & PROT_WRITE);
	if (!t->writable || !shared_writable)
		return -EACCES;
	/* Growing this view within what the tag already has (another holder grew it) is an
	 * adoption: nothing changes in the daemon's eyes. */
	int64_t have = object_size(m);
	if (have < 0)
		return (int)have;
	if ((size_t)newsize > old && newsize <= have - m->offset)
		return map_remap(m, (size_t)newsize);
	/* The daemon counts one holder for all of this process's maps of the tag: a shrink
	 * that another of them would not survive is refused here, and while the daemon is
	 * asked, the hold serves no new open (which could map the memory being replaced). */
	bool shrink = newsize < have - m->offset, was_listed = false;
	if (shrink) {
		pthread_mutex_lock(&holds_lock);
		bool shared = t->refs > 1;
		was_listed = t->listed;
		if (!shared)
			table_remove(t);
		pthread_mutex_unlock(&holds_lock);
		if (shared)
			return -EBUSY;
	}

	/* Room for growth is made first, so that a size this process cannot map never reaches
	 * the daemon (where every holder would see it); it is given back if the daemon says no. */
	if ((size_t)newsize > old)
		r = map_remap(m, (size_t)newsize);
	else
		r = 0;
	if (r == 0) {
		r = request_resize(m, newsize, &rep, &fd);
		if (r < 0 && m->len != old)
			map_remap(m, old);
	}
	if (r == 0) {
		wire_reply_finish(&rep);
		r = fd < 0 ? ((size_t)newsize == m->len ? 0 : map_remap(m, (size_t)newsize))
		           : adopt_replacement(m, newsize, fd);
	}
	if (was_listed) {
		pthread_mutex_lock(&holds_lock);
		if (!t->listed)
			table_insert(t);
		pthread_mutex_unlock(&holds_lock);
	}
	return r;
}

/* ---- by name ----------------------------------------------------------------------------- */

MMAPC_EXPORT int mmapc_created(mmapc_map *m)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	r = m->created;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int mmapc_unlink(const char *tagname, const char *socket_path)
{
	struct wire_request req = {.op = WIRE_UNLINK};
	struct wire_reply rep;
	struct conn *c;
	int fd;

	if (!tagname || strlen(tagname) >= sizeof(req.name))
		return -EINVAL;
	strcpy(req.name, tagname);
	int r = conn_get(socket_path, &c);
	if (r == 0) {
		pthread_once(&atfork_once, register_atfork);
		r = conn_call(c, 0, &req, -1, &rep, &fd, NULL);
	}
	if (r < 0)
		return r;
	wire_reply_finish(&rep);
	/* The name is free now: this process's holds of it keep their maps working but serve no
	 * new open, which must make (or find) whatever the name means next. */
	const char *name = canonical(tagname);
	pthread_mutex_lock(&holds_lock);
	for (struct map_tag *t; (t = table_find(c, name, false));) {
		table_remove(t);
		t->unlinked = true;
	}
	pthread_mutex_unlock(&holds_lock);
	return 0;
}
