/* notify.h: messages to the service manager ($NOTIFY_SOCKET) that never block the loop.
 *
 * sd_notify(3) sends with a blocking sendmsg on a datagram socket: when the manager is slow
 * and its queue is full, the caller waits. For the few messages of start-up and the status
 * line that is fine; for the fd store's messages, one or two per tag made or destroyed (which
 * any client can cause), it would let a busy manager stall every client. A notifier sends on
 * one non-blocking socket connected to the manager; what does not fit now waits in an
 * ordered queue (holding a dup of its descriptor) and goes out when the socket is writable.
 *
 * Not here: what the messages say (store.c), readiness and status (main.c, server.c).
 */
#ifndef MMAPD_NOTIFY_H
#define MMAPD_NOTIFY_H

#include <stddef.h>
#include <uv.h>

/* The most messages waiting; past it a message is dropped with a warning (and the manager
 * has bigger problems). */
#define NOTIFY_QUEUE_MAX 65536

struct notifier;

/* A notifier for $NOTIFY_SOCKET (a path, or "@name" for an abstract socket), or *ret = NULL
 * when it is not set. Returns 0 or a negative errno. */
int notifier_open(struct notifier **ret, uv_loop_t *loop);

/* Sends msg with fd attached (-1 for none; it stays the caller's), now or once the manager
 * has room, in order. Returns 0, or a negative errno when it could not be sent or queued. */
int notifier_send(struct notifier *n, const char *msg, int fd);

/* How many messages wait. */
size_t notifier_queued(const struct notifier *n);

/* Sends what waits, waiting up to a second for the manager, then frees the notifier once the
 * loop has run again. */
void notifier_close(struct notifier *n);

#endif
