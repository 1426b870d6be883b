/* map.h: the map object's state and the lock discipline shared by libmmapc's map files.
 *
 * A map (struct mmapc_map) is open while data != NULL. Its fields are read and written only
 * under its mutex; map_enter takes the mutex and fails with -EBADF on a closed map, so every
 * call checks "closed" first and again at the moment it touches memory (nothing can close the
 * map between the two while the mutex is held). This is the whole threading model of a map:
 * one mutex, held for the duration of one call, never across a call into the daemon
 * connection's own lock in the other order.
 *
 * Words used throughout the client:
 *   len     the length of this process's mapping of the memory, Python's len(m);
 *   pos     the cursor, which may be past len after a shrink;
 *   fd      the descriptor the map owns (a dup of the caller's, or the memfd of an anonymous
 *           or tagged map), or -1 when it owns none (MMAPC_NOTRACKFD);
 *   pins    how many mmapc_acquire calls are outstanding (Python's exports);
 *   tag     for a map opened by tagname, its hold on the daemon's tag (tag.c); NULL for a
 *           local map.
 *
 * Not here: the search algorithms (find.c) and the daemon connection (conn.c).
 */
#ifndef MMAPC_MAP_H
#define MMAPC_MAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "mmapc.h"

#define MMAPC_EXPORT __attribute__((visibility("default")))

struct conn;

/* A process's hold on a tag: one handle in the daemon, shared by every map of the tag that
 * this process opened through the same connection (tag.c). */
struct map_tag {
	struct map_tag *next;                /* in tag.c's table of holds, while listed */
	struct map_tag *all_prev, *all_next; /* every hold, listed or not (for re-claims) */
	struct conn *conn;
	uint64_t handle;
	uint64_t generation; /* the connection generation the handle belongs to */
	pid_t pid;           /* the process whose hold it is */
	int fd;              /* the daemon's descriptor of the tag, the hold's own */
	unsigned int refs;   /* maps using the hold */
	bool writable;       /* the hold allows writing */
	bool listed;         /* in the table (so it may serve other opens) */
	bool anonymous;      /* a memfd the daemon made (not a file) */
	bool unlinked;       /* this process unlinked its name: never published again */
	bool persistent;     /* the tag's, as the daemon said at open */
	uint32_t mode;       /* the tag's permission bits, likewise */
	char name[];         /* the tag's name, "Local\\" left out */
};

struct mmapc_map {
	pthread_mutex_t lock;
	uint8_t *data; /* NULL when closed */
	size_t len;
	int64_t pos;
	int64_t offset;
	int fd;
	int access; /* enum mmapc_access, as Python records it */
	int flags;  /* the effective mmap flags */
	int prot;   /* the effective mmap prot */
	bool anonymous;
	bool trackfd;
	unsigned int pins;
	struct map_tag *tag;
	bool created; /* a tagged map whose open created the tag */
};

/* Locks m and returns 0, or returns -EBADF (unlocked) if m is NULL or closed. */
int map_enter(mmapc_map *m);

static inline void map_leave(mmapc_map *m)
{
	pthread_mutex_unlock(&m->lock);
}

/* Clamps a find/rfind bound to [0, len] the way Python does: a negative one counts from the
 * end. */
static inline int64_t map_clamp_bound(int64_t v, int64_t len)
{
	if (v < 0) {
		v += len;
		if (v < 0)
			v = 0;
	} else if (v > len) {
		v = len;
	}
	return v;
}

/* tag.c: opens opts->tagname for a map being constructed: fileno (a file to back a new tag)
 * or -1, *length (0: all; set to the view's length on success), a page-aligned offset, and
 * whether the hold must allow writing. On success returns 0 with *ret_tag a referenced hold
 * (map ret_tag->fd at offset; the descriptor is the hold's) and *ret_created set. */
int tag_open(const struct mmapc_options *opts, int fileno, int64_t *length, int64_t offset,
             bool writable, struct map_tag **ret_tag, bool *ret_created);

/* tag.c: resizes a tagged map through the daemon and remaps it; called with m locked and
 * Python's checks made. */
int tag_resize(mmapc_map *m, int64_t newsize);

/* tag.c: drops a map's reference to its hold; the last releases it in the daemon (when it is
 * this process's) and frees it. NULL is ignored. */
void tag_close(struct map_tag *tag);

/* map.c: moves m's mapping to newsize bytes (mremap, MREMAP_MAYMOVE); m->data and m->len
 * follow. -ENOMEM for growth the address space cannot hold. */
int map_remap(mmapc_map *m, size_t newsize);

/* map.c: Python's regular-file rules for length and offset (see mmapc_open). */
int map_check_file_range(int fileno, int64_t *length, int64_t offset);

/* find.c: the lowest (find_first) or highest (find_last) index at which needle occurs in
 * hay, or -1. An empty needle occurs at 0 and at hay_len respectively. */
int64_t find_first(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t needle_len);
int64_t find_last(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t needle_len);

#endif
