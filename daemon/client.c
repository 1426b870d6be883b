/* client.c: one connection to mmapd: receiving packets and descriptors, the reply queue that
 * owns descriptors until they are sent, throttling, and the handle table. See client.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "fdpass.h"
#include "log.h"
#include "store.h"

/* Packets read per wakeup before the loop turns to other clients: one, so that a client
 * with one request in flight (libmmapc's way) costs one recvmsg, not a second that says
 * EAGAIN; the poll is level-triggered, so more packets mean another wakeup. */
#define READS_PER_WAKEUP 1

struct reply_packet {
	struct reply_packet *next;
	int fd;
	size_t len;
	uint8_t data[];
};

static int update_poll(struct client *c);
static bool pump(struct client *c);

static void poll_close_cb(uv_handle_t *h)
{
	struct client *c = h->data;
	free(c->groups);
	free(c);
}

void client_destroy(struct client *c)
{
	struct server *srv = c->srv;

	for (uint32_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].tag) {
			store_drop(srv->store, registry_tag_id(c->slots[i].tag), c->peer.pid, 1);
			registry_release(srv->reg, c->slots[i].tag);
		}
	srv->stats.handles -= c->n_handles;
	free(c->slots);
	while (c->queue_head) {
		struct reply_packet *p = c->queue_head;
		c->queue_head = p->next;
		if (p->fd >= 0)
			close(p->fd);
		free(p);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->stats.connections--;
	if (c->counted)
		users_remove(&srv->users, c->peer.uid);
	log_debug("%s: disconnected", c->name);
	uv_poll_stop(&c->poll);
	close(c->fd);
	uv_close((uv_handle_t *)&c->poll, poll_close_cb);
}

/* One sendmsg of a packet and its descriptor: 1 sent, 0 the socket is full, or a negative
 * errno when the connection is broken.
 *
 * Descriptors in flight. The kernel caps the descriptors a user has in flight in unread
 * sockets (at its RLIMIT_NOFILE, unless it has CAP_SYS_RESOURCE, which the unit does not
 * grant), and every descriptor mmapd sends counts against mmapd's user. So a client that
 * sends opens and never reads the replies must not be able to pile descriptors up in its
 * socket: a reply with a descriptor is held back while the client has more than
 * CLIENT_UNREAD_MAX bytes of earlier replies unread (SIOCOUTQ), and the client is then
 * throttled like one whose socket is full. A client of libmmapc reads every reply before
 * its next request, so it never has more than one unread. If ETOOMANYREFS comes all the
 * same (other users' clients), it is not this connection's fault either: the reply waits.
 * In both cases the socket is writable, so instead of watching it the sweep tries again each
 * second (send_blocked). */
static int send_packet(struct client *c, const uint8_t *data, size_t len, int fd)
{
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	union fdpass_control control;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int unread;

	/* Asked only every CLIENT_UNREAD_EVERY descriptors sent: the ioctl is a system call on
	 * the open path. */
	if (fd >= 0 && c->unchecked_fds >= CLIENT_UNREAD_EVERY) {
		if (ioctl(c->fd, SIOCOUTQ, &unread) == 0 && unread > CLIENT_UNREAD_MAX) {
			c->send_blocked = true;
			return 0;
		}
		c->unchecked_fds = 0;
	}
	fdpass_attach(&msg, &control, fd);
	if (sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
		c->unchecked_fds += fd >= 0;
		return 1;
	}
	if (errno == ETOOMANYREFS) {
		c->send_blocked = true;
		return 0;
	}
	return errno == EAGAIN || errno == EINTR ? 0 : -errno;
}

/* Sends queued replies until the queue is empty or the socket is full. Returns 0, or a
 * negative errno when the connection is broken. */
static int flush_queue(struct client *c)
{
	while (c->queue_head) {
		struct reply_packet *p = c->queue_head;
		int r = send_packet(c, p->data, p->len, p->fd);
		if (r <= 0)
			return r;
		/* The kernel holds its own reference now; ours is no longer needed. */
		if (p->fd >= 0)
			close(p->fd);
		c->queue_head = p->next;
		if (!c->queue_head)
			c->queue_tail = NULL;
		c->queued--;
		free(p);
	}
	return 0;
}

/* Sends what it can; destroys the client if it is broken or has said its last word.
 * Returns false if the client is gone. */
bool client_pump(struct client *c)
{
	c->send_blocked = false;
	return pump(c);
}

static bool pump(struct client *c)
{
	if (c->broken || flush_queue(c) < 0 || (c->closing && !c->queue_head)) {
		client_destroy(c);
		return false;
	}
	/* A client that hung up with replies still unsent counts as throttled too, so that one
	 * that never reads them is cut off by the sweep rather than kept for ever. */
	bool throttled = c->queued >= c->srv->limits.max_queued || (c->closing && c->queue_head);
	if (throttled && !c->throttled_since)
		c->throttled_since = uv_now(c->srv->loop) | 1;
	else if (!throttled)
		c->throttled_since = 0;
	/* A connection the loop cannot watch would hold its tags for ever: let it go. */
	int r = update_poll(c);
	if (r < 0) {
		log_warning("%s: cannot watch the connection (%s); disconnecting", c->name,
		            uv_strerror(r));
		client_destroy(c);
		return false;
	}
	return true;
}

void client_send(struct client *c, const struct wire_reply *rep, int fd, bool borrowed)
{
	uint8_t buf[WIRE_PACKET_MAX];
	int n = wire_encode_reply(rep, buf, sizeof(buf));

	if (n <= 0) {
		log_error("%s: cannot encode a reply (%s); disconnecting", c->name, strerror(-n));
		goto fail;
	}
	/* The common case: nothing waits before this reply, and the socket has room. */
	if (!c->queue_head && !c->broken) {
		int r = send_packet(c, buf, (size_t)n, fd);
		if (r != 0) {
			c->broken = r < 0;
			if (fd >= 0 && !borrowed)
				close(fd);
			return;
		}
	}
	if (fd >= 0 && borrowed) {
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			/* A reply without its descriptor would break the protocol. */
			log_error("%s: cannot keep a descriptor for a queued reply (%s); "
			          "disconnecting",
			          c->name, strerror(errno));
			goto fail;
		}
	}
	struct reply_packet *p = malloc(sizeof(*p) + (size_t)n);
	if (!p) {
		log_error("%s: no memory to queue a reply; disconnecting", c->name);
		borrowed = false; /* fd is our dup now, if there is one */
		goto fail;
	}
	p->next = NULL;
	p->fd = fd;
	p->len = (size_t)n;
	memcpy(p->data, buf, (size_t)n);
	if (c->queue_tail)
		c->queue_tail->next = p;
	else
		c->queue_head = p;
	c->queue_tail = p;
	c->queued++;
	return;
fail:
	if (fd >= 0 && !borrowed)
		close(fd);
	c->broken = true;
}

void client_send_error(struct client *c, uint64_t id, int error, const char *message, bool hangup)
{
	struct wire_reply rep = {.id = id, .op = WIRE_NONE, .error = error};

	snprintf(rep.message, sizeof(rep.message), "%s", message);
	client_send(c, &rep, -1, false);
	c->srv->stats.errors++;
	if (hangup)
		c->closing = true;
}

/* Whether this process is at its descriptor limit (a descriptor passed to it was dropped
 * for want of room rather than because the peer sent too many). */
static bool out_of_descriptors(const struct client *c)
{
	int fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return errno == EMFILE || errno == ENFILE;
	close(fd);
	return false;
}

/* Reads and dispatches one packet. Returns 1 if there may be more, 0 if the socket is
 * drained or the peer has said its last word (c->closing is then set), or -1 if the
 * connection broke. */
static int read_one(struct client *c)
{
	static uint8_t buf[WIRE_PACKET_MAX + 1];
	union fdpass_control control;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[FDPASS_MAX];

	fdpass_expect(&msg, &control);
	ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	size_t n_fds = fdpass_collect(&msg, fds);
	/* A SEQPACKET read of 0 bytes is the peer's hangup (every packet carries a byte). Its
	 * writing side may be all that closed: the replies already queued still go out. */
	if (n == 0) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		c->closing = true;
		return 0;
	}
	c->srv->stats.requests++;
	/* The buffer has one byte more than a packet may: a packet that fills it is over. */
	bool oversize = (msg.msg_flags & MSG_TRUNC) || n > WIRE_PACKET_MAX;
	if (!oversize && (msg.msg_flags & MSG_CTRUNC) && out_of_descriptors(c)) {
		/* The kernel dropped what we had no room for: the client did nothing wrong. */
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		struct wire_request req;
		int r = wire_decode_request(buf, (size_t)n, &req);
		log_warning("%s: out of descriptors: refused a request", c->name);
		client_send_error(c, r == 0 ? req.id : 0, EMFILE,
		                  "the daemon is out of descriptors", false);
		return 1;
	}
	if (oversize || (msg.msg_flags & MSG_CTRUNC)) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		log_info("%s: %s; disconnecting", c->name,
		         oversize ? "packet over the size limit" : "too many descriptors");
		client_send_error(c, 0, oversize ? EMSGSIZE : EPROTO,
		                  oversize ? "packet too large" : "too many descriptors", true);
		return 0;
	}
	handlers_dispatch(c, buf, (size_t)n, fds, n_fds);
	return 1;
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
	struct client *c = h->data;

	if (status < 0) {
		client_destroy(c);
		return;
	}
	if ((events & UV_READABLE) && !c->closing) {
		for (int i = 0; i < READS_PER_WAKEUP && !c->closing; i++) {
			int r = read_one(c);
			if (r < 0) {
				client_destroy(c);
				return;
			}
			if (r == 0 || c->queued >= c->srv->limits.max_queued)
				break;
		}
	}
	/* The peer has shut its writing side (or gone): what it sent before is still read, once
	 * it is no longer throttled, and the read that returns 0 ends the connection. The
	 * hangup stays signalled, so it is not watched for any more. */
	if (events & UV_DISCONNECT)
		c->peer_done = true;
	pump(c);
}

static int update_poll(struct client *c)
{
	int events = c->closing || c->peer_done ? 0 : UV_DISCONNECT;

	if (c->queue_head && !c->send_blocked)
		events |= UV_WRITABLE;
	if (!c->closing && c->queued < c->srv->limits.max_queued)
		events |= UV_READABLE;
	/* Every change is an epoll_ctl; most replies leave the set as it was. */
	if (events == c->poll_events)
		return 0;
	c->poll_events = events;
	return events ? uv_poll_start(&c->poll, events, poll_cb) : uv_poll_stop(&c->poll);
}

static int read_peer(struct client *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	c->peer.uid = cred.uid;
	c->peer.gid = cred.gid;
	c->peer.pid = cred.pid;

	/* Supplementary groups; the kernel says how much room it needs with ERANGE. */
	len = 16 * sizeof(gid_t);
	for (;;) {
		gid_t *g = realloc(c->groups, len ? len : sizeof(gid_t));
		if (!g)
			return -ENOMEM;
		c->groups = g;
		if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0)
			break;
		/* Kernels before 4.13 cannot say: the peer then has its primary group only. */
		if (errno == ENOPROTOOPT) {
			len = 0;
			break;
		}
		if (errno != ERANGE)
			return -errno;
	}
	c->peer.groups = c->groups;
	c->peer.n_groups = len / sizeof(gid_t);
	snprintf(c->name, sizeof(c->name), "pid %d uid %u", (int)cred.pid, (unsigned)cred.uid);
	return 0;
}

int client_create(struct server *srv, int fd)
{
	struct client *c = calloc(1, sizeof(*c));
	int r;

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->srv = srv;
	c->fd = fd;
	r = read_peer(c);
	if (r == 0)
		r = uv_poll_init(srv->loop, &c->poll, fd);
	if (r < 0) {
		close(fd);
		free(c->groups);
		free(c);
		return r;
	}
	c->poll.data = c;
	c->next = srv->clients;
	if (c->next)
		c->next->prev = c;
	srv->clients = c;
	srv->stats.connections++;
	log_debug("%s: connected", c->name);
	/* One user may not take every connection; root, who could stop the daemon anyway, may.
	 * A connection past the limit is refused when it speaks: its first request is answered
	 * with EUSERS and the connection closed (closing before reading it would reset the
	 * connection and lose the reason). One that does not speak goes at the next sweep. */
	if (c->peer.uid != 0) {
		r = users_add(&srv->users, c->peer.uid, srv->limits.max_connections_per_user);
		c->counted = r == 0;
		if (r < 0) {
			srv->dropped++;
			c->refused = -r;
			c->refused_at = uv_now(srv->loop) | 1;
			log_warning("%s: too many connections of this user (%u)", c->name,
			            srv->limits.max_connections_per_user);
		}
	}
	return pump(c) ? 0 : -EIO;
}

/* Handles: slot index in the low 32 bits (plus one, so 0 is never a handle), the slot's
 * generation (1 to 2^31 - 1) in the high 32, so that a handle is never negative. */
int64_t client_handle_add(struct client *c, struct tag *tag, bool writable)
{
	if (c->n_handles >= c->srv->limits.max_handles)
		return -EMFILE;
	if (!c->free_head) {
		uint32_t n = c->n_slots ? c->n_slots * 2 : 8;
		struct handle_slot *s = realloc(c->slots, n * sizeof(*s));
		if (!s)
			return -ENOMEM;
		for (uint32_t i = c->n_slots; i < n; i++)
			s[i] = (struct handle_slot){.next_free = i + 1 < n ? i + 2 : 0};
		c->slots = s;
		c->free_head = c->n_slots + 1;
		c->n_slots = n;
	}
	uint32_t i = c->free_head - 1;
	struct handle_slot *slot = &c->slots[i];
	c->free_head = slot->next_free;
	slot->tag = tag;
	slot->writable = writable;
	/* 31 bits, never 0: a handle is then always positive as an int64_t. */
	slot->generation = (slot->generation % 0x7fffffff) + 1;
	c->n_handles++;
	c->srv->stats.handles++;
	store_hold(c->srv->store, registry_tag_id(tag), c->peer.pid, 1);
	return (int64_t)(((uint64_t)slot->generation << 32) | (i + 1));
}

struct handle_slot *client_handle_find(struct client *c, uint64_t handle)
{
	uint32_t i = (uint32_t)handle;
	if (i == 0 || i > c->n_slots)
		return NULL;
	struct handle_slot *slot = &c->slots[i - 1];
	if (!slot->tag || slot->generation != (uint32_t)(handle >> 32))
		return NULL;
	return slot;
}

void client_handle_remove(struct client *c, struct handle_slot *slot)
{
	store_drop(c->srv->store, registry_tag_id(slot->tag), c->peer.pid, 1);
	registry_release(c->srv->reg, slot->tag);
	slot->tag = NULL;
	slot->next_free = c->free_head;
	c->free_head = (uint32_t)(slot - c->slots) + 1;
	c->n_handles--;
	c->srv->stats.handles--;
}
