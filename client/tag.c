/* tag.c: maps opened by tagname: opening a tag through mmapd, resizing it, releasing it.
 *
 * Offsets. A tag is one memory object (a memfd, or a file) and a map is a view of it at an
 * offset, as on Windows, where a named section has a maximum size and MapViewOfFile maps a
 * window of it. For an anonymous tag the client asks the daemon for a tag of offset + length
 * bytes (creating it at that size, or checking that an existing one is at least that large);
 * for a file tag the daemon checks offset and length against the file itself.
 *
 * Re-claiming. A hold belongs to the connection (and process) that opened it. A map inherited
 * across fork, or one that outlived a daemon restart, holds nothing in the daemon's eyes. Its
 * memory keeps working; a resize first re-opens the tag by name (must exist, same access),
 * and accepts the new hold only if the daemon hands back the very memory object the map
 * already has (same st_dev and st_ino); otherwise the name now means something else and the
 * resize fails with -ESTALE.
 *
 * Not here: the socket (conn.c), the map object's generic parts (map.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "map.h"

int tag_open(const struct mmapc_options *opts, int fileno, int64_t *length, int64_t offset,
             bool writable, int *ret_fd, struct map_tag **ret_tag)
{
	struct wire_request req = {.op = WIRE_OPEN};
	struct wire_reply rep;
	int fd = -1, r;

	size_t name_len = strlen(opts->tagname);
	if (name_len >= sizeof(req.name))
		return -EINVAL;
	struct map_tag *t = calloc(1, sizeof(*t) + name_len + 1);
	if (!t)
		return -ENOMEM;
	memcpy(t->name, opts->tagname, name_len + 1);
	r = conn_get(opts->socket_path, &t->conn);
	if (r < 0)
		goto fail;

	memcpy(req.name, opts->tagname, name_len + 1);
	req.writable = writable;
	req.mode = opts->mode;
	req.persistent = opts->options & MMAPC_PERSISTENT;
	if (fileno >= 0) {
		req.with_file = true;
		req.length = (uint64_t)*length;
		req.offset = (uint64_t)offset;
	} else if (*length > 0) {
		if (*length > INT64_MAX - offset) {
			r = -EOVERFLOW;
			goto fail;
		}
		req.length = (uint64_t)(offset + *length);
	}
	r = conn_call(t->conn, 0, &req, fileno, &rep, &fd, &t->generation);
	if (r < 0)
		goto fail;
	t->handle = rep.handle;
	t->created = rep.created;
	t->writable = rep.writable;
	if (*length == 0) {
		/* All of the tag past the offset, which must leave something to map: a view
		 * that starts at or past the end does not fit the tag. */
		if (rep.size <= (uint64_t)offset) {
			r = -EFBIG;
			goto fail_held;
		}
		if (rep.size - (uint64_t)offset > SIZE_MAX / 2) {
			r = -ENOMEM;
			goto fail_held;
		}
		*length = (int64_t)(rep.size - (uint64_t)offset);
	}
	*ret_fd = fd;
	*ret_tag = t;
	return 0;

fail_held:
	close(fd);
	tag_close(t);
	return r;
fail:
	free(t);
	return r;
}

void tag_close(struct map_tag *t)
{
	if (!t)
		return;
	if (t->handle) {
		struct wire_request req = {.op = WIRE_CLOSE, .handle = t->handle};
		struct wire_reply rep;
		int fd;
		/* -ESTALE (the hold is another process's or died with an old daemon) and every
		 * other failure leave nothing to release here. */
		if (conn_call(t->conn, t->generation, &req, -1, &rep, &fd, NULL) == 0)
			wire_reply_finish(&rep);
	}
	free(t);
}

static bool same_object(int a, int b)
{
	struct stat sa, sb;
	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Gives m's tag a hold of this process's, on the same memory object (see the top). */
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
	bool same = same_object(fd, m->fd);
	close(fd);
	struct map_tag old = *t;
	t->handle = rep.handle;
	t->generation = generation;
	if (!same) {
		/* Not our memory: give the hold back and keep none. */
		struct wire_request close_req = {.op = WIRE_CLOSE, .handle = rep.handle};
		if (conn_call(t->conn, generation, &close_req, -1, &rep, &fd, NULL) == 0)
			wire_reply_finish(&rep);
		t->handle = old.handle;
		t->generation = old.generation;
		return -ESTALE;
	}
	return 0;
}

/* Asks the daemon to make m's tag offset + newsize bytes. */
static int request_resize(mmapc_map *m, int64_t newsize, struct wire_reply *rep, int *ret_fd)
{
	struct map_tag *t = m->tag;
	struct wire_request req = {.op = WIRE_RESIZE, .handle = t->handle};

	if (newsize > INT64_MAX - m->offset)
		return -EINVAL;
	req.size = (uint64_t)(m->offset + newsize);
	int r = conn_call(t->conn, t->generation, &req, -1, rep, ret_fd, NULL);
	if (r == -ESTALE) {
		r = reclaim(m);
		if (r < 0)
			return r;
		req.handle = t->handle;
		r = conn_call(t->conn, t->generation, &req, -1, rep, ret_fd, NULL);
	}
	return r;
}

/* The size of the memory object behind m now, or a negative errno. */
static int64_t object_size(const mmapc_map *m)
{
	struct stat st;
	return fstat(m->fd, &st) < 0 ? -errno : st.st_size;
}

int tag_resize(mmapc_map *m, int64_t newsize)
{
	struct wire_reply rep;
	size_t old = m->len;
	int fd = -1, r;

	if (!m->tag->writable)
		return -EACCES;
	/* Growing this view within what the tag already has (another holder grew it) is an
	 * adoption: nothing changes in the daemon's eyes. */
	int64_t have = object_size(m);
	if (have < 0)
		return (int)have;
	if ((size_t)newsize > old && newsize <= have - m->offset)
		return map_remap(m, (size_t)newsize);

	/* Room for growth is made first, so that a size this process cannot map never reaches
	 * the daemon (where every holder would see it); it is given back if the daemon says no. */
	if ((size_t)newsize > old) {
		r = map_remap(m, (size_t)newsize);
		if (r < 0)
			return r;
	}
	r = request_resize(m, newsize, &rep, &fd);
	if (r < 0) {
		if (m->len != old)
			map_remap(m, old);
		return r;
	}
	wire_reply_finish(&rep);
	if (fd < 0)
		return (size_t)newsize == m->len ? 0 : map_remap(m, (size_t)newsize);

	/* The daemon moved the contents to a new, smaller memfd (we were its only holder). Map
	 * it over the start of the old mapping, which is larger, so that this cannot fail for
	 * want of address space and the map never stays on the orphaned memfd; then give back
	 * the rest. */
	void *p = mmap(m->data, (size_t)newsize, m->prot, m->flags | MAP_FIXED, fd, m->offset);
	if (p == MAP_FAILED) {
		r = -errno;
		close(fd);
		return r;
	}
	munmap(m->data + newsize, m->len - (size_t)newsize);
	close(m->fd);
	m->fd = fd;
	m->len = (size_t)newsize;
	return 0;
}

MMAPC_EXPORT int mmapc_created(mmapc_map *m)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	r = m->tag && m->tag->created;
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
	if (r == 0)
		r = conn_call(c, 0, &req, -1, &rep, &fd, NULL);
	if (r == 0)
		wire_reply_finish(&rep);
	return r;
}
