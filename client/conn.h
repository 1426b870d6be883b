/* conn.h: libmmapc's connection to mmapd, one per socket path per process.
 *
 * A connection is opened lazily, by the first call that needs the daemon, and is shared by
 * every thread of the process: one request is in flight at a time on it, under its mutex
 * (requests are short; a map's lock may be held while waiting, never the other way round).
 *
 * Generations: every (re)connection gets a new generation number, and a tagged map records
 * the generation its handle was issued under. A handle from another generation is not this
 * connection's: after fork the child's inherited maps hold their parent's handles, and after
 * a daemon restart every handle is gone. Such maps keep working as memory; whatever needs
 * the daemon re-claims the tag by name first (tag.c).
 *
 * Fork: a child never uses its parent's socket (it would act on the parent's handles): a
 * pthread_atfork handler closes the child's copies at once, and the first call in the child
 * connects anew. Restart: a request that cannot be sent because the daemon went away is
 * sent once more on a new connection; one whose reply is lost fails with -ECONNRESET and the
 * next call reconnects. Either way, the holds the process had are re-claimed on the new
 * connection (conn_on_reconnect; tag.c does it with a Resume request).
 *
 * Timeouts: a call that times out leaves the connection (and every hold on it) as it is; the
 * late reply is recognised by its id and discarded by the next call, and if it was an open's,
 * the hold it brought is closed again.
 *
 * Not here: the wire encoding (proto/wire.c), what requests mean (tag.c).
 */
#ifndef MMAPC_CONN_H
#define MMAPC_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

struct conn;

/* How long a reply may take before a call fails with -ETIMEDOUT, unless $MMAPC_TIMEOUT_MS
 * (read at each connect) says otherwise. */
#define CONN_TIMEOUT_MS 30000

/* The socket path a NULL socket_path means: $MMAPD_SOCKET, else MMAPD_SOCKET_DEFAULT. */
const char *conn_default_path(void);

/* Finds (or makes, unconnected) the process's connection to path (NULL: the default).
 * Returns 0 or -ENOMEM / -ENAMETOOLONG. Connections live as long as the process. */
int conn_get(const char *path, struct conn **ret);

/* Sends req (its version and id are filled in here) with send_fd attached if >= 0 (it stays
 * the caller's), and waits for the reply. A request about a handle passes the generation the
 * handle was issued under: if the connection is not that one any more (fork, reconnect), the
 * call fails with -ESTALE without sending, atomically with respect to other threads, since a
 * stale handle number could name another hold on a new connection. 0 means any. On success the reply is in *rep (release it with
 * wire_reply_finish), its descriptor, if any, in *ret_fd (else -1), the generation in
 * *ret_generation, and the return value is 0; a daemon's refusal is returned as its negative
 * errno, with nothing to release. Connection failures: -ENOENT or -ECONNREFUSED (no daemon),
 * -ECONNRESET (the daemon went away), -ETIMEDOUT (no answer in time; the connection stays),
 * -EPROTO (a reply that breaks the protocol: the connection is dropped). */
int conn_call(struct conn *c, uint64_t generation, struct wire_request *req, int send_fd,
              struct wire_reply *rep, int *ret_fd, uint64_t *ret_generation);

/* Sends req, which expects no reply (a quiet close), on the connection of that generation
 * only. Returns 0, -ESTALE (another connection now, or none), or a send's failure. */
int conn_send(struct conn *c, uint64_t generation, struct wire_request *req);

/* Registers the re-claim run after this process lost a connection to the daemon (it went
 * away, or cut the connection). It runs once, with no lock held: in the call that found
 * the loss, before that call's request is sent again on a new connection (so the request
 * sees the holds), else before the next conn_call. conn_send never runs it: a close never
 * waits. fn speaks to the daemon
 * with conn_call (which connects anew) and returns 0 or the call's failure; a failure to
 * reach the daemon keeps the re-claim due for the next call. */
void conn_on_reconnect(int (*fn)(struct conn *c));

/* getpid(), cached (and refreshed in a forked child by the library's atfork handler). */
pid_t conn_self(void);

/* Whether generation is the connection's live one in this process: a handle issued under it
 * is still this process's hold. Takes no lock. */
bool conn_current(const struct conn *c, uint64_t generation);

#endif
