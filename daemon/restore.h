/* restore.h: the holders a restarted mmapd inherits, until they come back or go away.
 *
 * When mmapd starts with tags from systemd's fd store (store.h), each restored tag comes
 * with the processes that held it (pids, from the state log) and how many holds each had.
 * Those holds are pending: they keep the tag alive (registry.h), and they end in one of two
 * ways. The process reconnects and re-claims them (a Resume request, handlers.c): each one
 * it names by the identity of the memory it maps becomes a hold of the new connection, and
 * the rest, which it no longer has, are given back. Or the process exits: a pidfd per
 * process (poll-readable at exit) tells the loop, and all of its pending holds are given
 * back. Where pidfd_open is refused (an old kernel, no descriptors left) the server's sweep
 * asks kill(pid, 0) each second instead.
 *
 * A pid that was reused by another process between the old daemon's end and the new one's
 * start keeps the tags alive until that process exits: a leak bounded by its life, never a
 * tag lost.
 *
 * Not here: reading the store (store_restore.c), handles (client.c).
 */
#ifndef MMAPD_RESTORE_H
#define MMAPD_RESTORE_H

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "registry.h"

struct restore;
struct store;

int restore_create(struct restore **ret, uv_loop_t *loop, struct registry *reg,
                   struct store *store);

/* Frees everything without giving anything back (shutdown: the registry goes next). */
void restore_destroy(struct restore *rs);

/* Records count pending holds of pid's on tag (registry_pend is done here). Returns 0 or
 * -ENOMEM. */
int restore_add(struct restore *rs, struct tag *tag, pid_t pid, uint32_t count);

/* Starts watching every process restore_add named; those already gone give their holds
 * back at once. Call once, after every restore_add and registry_settle. */
void restore_watch(struct restore *rs);

/* A tag pid has a pending hold on whose memory object is (dev, ino), or NULL. */
struct tag *restore_find(struct restore *rs, pid_t pid, uint64_t dev, uint64_t ino);

/* Gives back one pending hold of pid's on tag (re-claimed, or refused); may destroy the tag
 * if it was the last thing keeping it alive. */
void restore_release(struct restore *rs, pid_t pid, struct tag *tag);

/* Gives back every pending hold of pid's (it re-claimed what it still has, or it exited). */
void restore_forget(struct restore *rs, pid_t pid);

/* Processes with pending holds, and the holds. */
void restore_counts(const struct restore *rs, uint64_t *ret_procs, uint64_t *ret_holds);

/* Each second: processes that could not be watched with a pidfd are checked by pid. */
void restore_sweep(struct restore *rs);

/* Writes every pending hold to the store's new log (store_snap_hold). */
void restore_snapshot(struct restore *rs, struct store *store);

#endif
