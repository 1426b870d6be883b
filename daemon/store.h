/* store.h: keeping mmapd's tags in systemd's file-descriptor store, so that a restart (or a
 * crash and Restart=) loses no tag and no byte.
 *
 * While a service manager listens ($NOTIFY_SOCKET), every tag's descriptor is handed to it
 * (FDSTORE=1, FDNAME=t<id>-<fd generation>) when the tag is made, and taken back
 * (FDSTOREREMOVE=1) when the tag dies or its descriptor is replaced. Next to them lives the
 * state log, a memfd named s<generation>: the records of proto/state.h, appended with one
 * pwrite per change (a tag made, unlinked, destroyed or given a new descriptor; a process
 * taking or giving back a hold). systemd holds the same memfd, so what is written is kept
 * without another message. The log is compacted (written afresh from the live state, stored
 * under the next generation, the old one removed) when it grows past twice what it
 * describes; the server's sweep decides when.
 *
 * At start, the descriptors systemd passes back (LISTEN_FDS) are read by store_restore: the
 * newest state log is replayed, its tags are matched with their descriptors, and whatever is
 * left over (a tag's descriptor whose tag died, an older log) is closed and removed from the
 * store.
 *
 * Every function takes a NULL store (no service manager) and then does nothing, except
 * store_restore, which still reads what it is given. Nothing here knows the registry: it is
 * told about tags with struct state_tag and ids.
 *
 * Not here: what a restored tag and its holders become (registry.c, restore.c), the
 * listening socket (main.c).
 */
#ifndef MMAPD_STORE_H
#define MMAPD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "state.h"

struct store;

/* A store when $NOTIFY_SOCKET is set (*ret then non-NULL), else *ret = NULL; with
 * MMAPD_NO_FDSTORE=1 in the environment there is none either. Its messages to the manager
 * never block the loop (notify.h). Returns 0 or a negative errno. The log is only handed to
 * the manager by the first compaction. */
int store_open(struct store **ret, uv_loop_t *loop);

/* Forgets the store without touching it: nothing is removed, so that what systemd keeps is
 * what was live when the daemon stopped. */
void store_free(struct store *s);

/* A tag was made (its descriptor fd, which stays the caller's), lost its name, died, or got
 * a new descriptor (the state's fd_generation, the old one being old_generation). */
void store_tag_made(struct store *s, const struct state_tag *t, int fd);
void store_tag_unlinked(struct store *s, uint64_t id);
void store_tag_destroyed(struct store *s, uint64_t id, uint32_t fd_generation);
void store_tag_replaced(struct store *s, uint64_t id, uint32_t fd_generation, int fd,
                        uint32_t old_generation);

/* Process pid took count holds on the tag, or gave them back. */
void store_hold(struct store *s, uint64_t id, pid_t pid, uint32_t count);
void store_drop(struct store *s, uint64_t id, pid_t pid, uint32_t count);

/* Whether the log has grown past twice what it describes (or a write failed). */
bool store_wants_compaction(const struct store *s);

/* Compaction: begin makes a new log, the caller then writes every live tag and every hold
 * with the snap functions, and end hands the new log to the manager and removes the old
 * one. If begin fails (-errno), the old log stays; the snap and end calls are then no-ops. */
int store_compact_begin(struct store *s);
void store_snap_tag(struct store *s, const struct state_tag *t);
void store_snap_hold(struct store *s, uint64_t id, pid_t pid, uint32_t count);
void store_compact_end(struct store *s);

/* A tag as the store gave it back. */
struct store_hold {
	pid_t pid;
	uint32_t count;
};

struct store_restored {
	struct state_tag tag;
	int fd; /* the tag's descriptor, the caller's to keep or close */
	struct store_hold *holds;
	size_t n_holds;
	bool dead; /* store_restore's own: never set in what it returns */
};

/* Reads back the n descriptors the manager passed (fds[i] named names[i]; the listening
 * socket left out), taking every one of them. Fills *ret with the tags found alive and
 * matched with a descriptor, in id order, and *ret_next_id with one more than the largest
 * id seen. Returns how many (0 with *ret NULL when there is nothing), or -ENOMEM. Problems
 * with the state (no log, a torn or corrupt record, a tag without its descriptor) are
 * logged and cost what they must: a log read up to a torn record, a tag left out. */
ssize_t store_restore(struct store *s, const int *fds, char *const *names, size_t n,
                      struct store_restored **ret, uint64_t *ret_next_id);

void store_restored_free(struct store_restored *v, size_t n);

/* With the store turned off (MMAPD_NO_FDSTORE=1, or no $NOTIFY_SOCKET) but descriptors
 * passed back all the same: closes them, and asks the manager to forget them if there is
 * one to ask, so that no later start replays a state this run does not keep up to date. */
void store_discard(const int *fds, char *const *names, size_t n);

/* How many of the store's places the state needs besides one per tag (logs during a
 * compaction, a shrink's new descriptor before the old one goes). */
#define STORE_SPARE 4

#endif
