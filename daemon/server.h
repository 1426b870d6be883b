/* server.h: mmapd's listening socket, its set of connected clients, limits and counters.
 *
 * The server owns the libuv loop's view of the listening socket (a uv_poll_t: libuv has no
 * SEQPACKET streams), accepts connections (SOCK_NONBLOCK | SOCK_CLOEXEC) up to a limit,
 * and keeps a reserve descriptor so that at the descriptor limit it can still accept and
 * immediately close a connection instead of spinning on EMFILE. A one-second sweep timer
 * disconnects clients that have been throttled (not reading their replies) for too long,
 * compacts the fd store's state log when it has grown, and, under systemd, reports STATUS=;
 * a watchdog timer sends WATCHDOG=1 when WatchdogSec= asks.
 *
 * Not here: what happens on a connection (client.c), requests (handlers.c), tags
 * (registry.c), start-up and signals (main.c).
 */
#ifndef MMAPD_SERVER_H
#define MMAPD_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "registry.h"
#include "users.h"
#include "wire.h"

struct client;
struct restore;
struct store;

struct server_limits {
	unsigned int max_connections;
	unsigned int max_connections_per_user; /* root is not limited */
	unsigned int max_handles;              /* per connection */
	unsigned int max_queued;       /* replies queued for one client before it is throttled */
	unsigned int throttle_seconds; /* how long a throttled client may stay before it is cut */
};

/* Defaults: 8192 connections, 1024 of them per user, 65536 handles each, 16 queued
 * replies, 10 seconds. */
void server_default_limits(struct server_limits *ret);

struct server {
	uv_loop_t *loop;
	struct registry *reg;
	struct server_limits limits;
	int listen_fd;
	uv_poll_t listen_poll;
	uv_timer_t sweep;
	uv_timer_t watchdog;    /* WATCHDOG=1 at half systemd's interval, when it asks for it */
	bool notify;            /* a service manager listens (NOTIFY_SOCKET) */
	int reserve_fd;         /* /dev/null, given up to accept-and-close at EMFILE */
	bool accept_paused;     /* out of descriptors, reserve included: the sweep resumes */
	struct client *clients; /* a doubly linked list through client->next/prev */
	struct wire_stats stats;
	uint64_t dropped;        /* connections refused or cut */
	struct store *store;     /* systemd's fd store (store.h), or NULL */
	struct restore *restore; /* holds from before a restart (restore.h), or NULL */
	struct users users;      /* connections per user */
};

/* Starts serving listen_fd (a listening SOCK_SEQPACKET socket, taken over) on loop.
 * Returns 0 or a negative errno. */
int server_init(struct server *srv, uv_loop_t *loop, struct registry *reg,
                const struct server_limits *limits, int listen_fd);

/* Writes the store's state log afresh (store.h): every tag, every connection's holds, every
 * pending hold. The sweep calls it when the log has grown; main.c once at start. */
void server_compact_store(struct server *srv);

/* Disconnects every client, stops watching the socket and closes it. The loop must run
 * once more afterwards so that libuv can finish closing its handles. */
void server_finish(struct server *srv);

#endif
