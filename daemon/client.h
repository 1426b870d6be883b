/* client.h: one connection to mmapd: its peer, its packets, its reply queue, its handles.
 *
 * Receiving: a readable socket is drained packet by packet with recvmsg(MSG_CMSG_CLOEXEC),
 * at most a few per wakeup so one busy client cannot starve the others. A packet that was
 * truncated (MSG_TRUNC: larger than WIRE_PACKET_MAX) or whose descriptors were (MSG_CTRUNC)
 * is a protocol error: every descriptor that arrived is closed, an error reply is queued and
 * the connection is closed once it has been sent (or at once if it cannot be). The one
 * exception is MSG_CTRUNC while the daemon itself is out of descriptors: that request is
 * refused with EMFILE and the connection stays.
 *
 * Sending: replies are queued. Each queued reply owns the descriptor it carries (a dup made
 * for it) until sendmsg has passed it to the kernel, and closes it if the client goes away
 * first. A client whose queue reaches limits.max_queued replies is throttled: the daemon
 * stops reading its requests (so its queue cannot grow) until it drains; one throttled for
 * longer than limits.throttle_seconds is disconnected (server.c's sweep).
 *
 * Handles: a connection's holds on tags. A handle is a slot index plus a generation, so a
 * stale or forged handle (closed twice, never issued, from another connection) is refused
 * with EBADF rather than hitting another hold. Disconnecting releases every hold: this is how
 * a client that dies releases its tags, detected by the socket's hangup, never by heartbeats.
 *
 * Not here: what a request does (handlers.c), accepting (server.c).
 */
#ifndef MMAPD_CLIENT_H
#define MMAPD_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "registry.h"
#include "server.h"
#include "wire.h"

struct reply_packet;

/* Unread bytes of earlier replies past which a reply with a descriptor waits (client.c).
 * The kernel counts each packet's whole buffer (about 1 KiB for a small reply), so this is
 * a handful of replies; a client of libmmapc has at most one unread (a timed-out call's). */
#define CLIENT_UNREAD_MAX 8192

/* How many descriptors go out between two looks at the unread bytes. */
#define CLIENT_UNREAD_EVERY 4

struct handle_slot {
	struct tag *tag; /* NULL when the slot is free */
	uint32_t generation;
	uint32_t next_free;
	bool writable;
};

struct client {
	struct server *srv;
	struct client *next, *prev;
	uv_poll_t poll;
	int poll_events; /* what poll is watching for now */
	int fd;
	struct peer peer;
	gid_t *groups;
	char name[48]; /* "pid 123 uid 1000", for logs */

	struct reply_packet *queue_head, *queue_tail;
	unsigned int queued;
	uint64_t throttled_since; /* uv_now() when throttling began, or 0 */
	bool closing;             /* hang up once the queue is empty */
	bool broken;              /* a send failed: destroy at the next pump */
	bool peer_done;           /* the peer shut its writing side: read to the end, then close */
	bool counted;             /* counted in srv->users */
	int refused;              /* an errno its first request gets, then a hangup; or 0 */
	uint64_t refused_at;      /* uv_now() when it was refused */
	unsigned int unchecked_fds; /* descriptors sent since the unread bytes were looked at */
	bool send_blocked;          /* unread replies or ETOOMANYREFS held one back: the sweep
	                           * retries (client.c, send_packet) */

	struct handle_slot *slots;
	uint32_t n_slots, free_head, n_handles;
};

/* Takes over fd (a connected, non-blocking socket) and starts serving it. Returns 0 or a
 * negative errno (fd is then closed). */
int client_create(struct server *srv, int fd);

/* Tries again to send what waits for a client whose reply was held back (send_blocked; the
 * sweep calls it). Returns false if the client is gone. */
bool client_pump(struct client *c);

/* Releases every hold, closes every queued descriptor and the socket, and frees the client
 * once libuv has closed its poll handle. */
void client_destroy(struct client *c);

/* Sends a reply carrying fd (-1 for none): at once when nothing is queued before it, else
 * queued. A borrowed fd stays the caller's (it is dup()ed if the reply must be queued);
 * otherwise fd is taken over (closed once sent, or if the client goes away). If the reply
 * cannot even be encoded, or the connection is broken, the client is disconnected. */
void client_send(struct client *c, const struct wire_reply *rep, int fd, bool borrowed);

/* Queues an error reply for request id and, if hangup, closes the connection once it has
 * been sent. */
void client_send_error(struct client *c, uint64_t id, int error, const char *message, bool hangup);

/* Records a new hold; returns the handle (> 0), or -EMFILE past limits.max_handles, or
 * -ENOMEM. The hold's registry reference is the caller's until this succeeds. */
int64_t client_handle_add(struct client *c, struct tag *tag, bool writable);

/* Finds a hold by handle: returns its slot or NULL (a stale, forged or closed handle). */
struct handle_slot *client_handle_find(struct client *c, uint64_t handle);

/* Forgets a hold and releases its registry reference. */
void client_handle_remove(struct client *c, struct handle_slot *slot);

/* handlers.c: acts on one received packet and queues its reply. fds (n_fds of them) are the
 * descriptors that came with it, all of which it takes over. */
void handlers_dispatch(struct client *c, const uint8_t *packet, size_t len, int *fds, size_t n_fds);

#endif
