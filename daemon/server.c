/* server.c: accepting connections and sweeping throttled clients (see server.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "client.h"
#include "log.h"
#include "restore.h"
#include "server.h"
#include "store.h"

/* How many connections one wakeup of the listening socket accepts. */
#define ACCEPTS_PER_WAKEUP 64

void server_default_limits(struct server_limits *ret)
{
	*ret = (struct server_limits){
	        .max_connections = 8192,
	        .max_connections_per_user = 1024,
	        .max_handles = 65536,
	        .max_queued = 16,
	        .throttle_seconds = 10,
	};
}

/* At the descriptor limit accept() fails with EMFILE and the pending connection stays in the
 * backlog, so a level-triggered poll would spin. Giving up the reserve descriptor makes room
 * to accept it and hang up at once: the client sees a clean hangup, not a hang. */
static void shed_connection(struct server *srv)
{
	if (srv->reserve_fd < 0)
		srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (srv->reserve_fd < 0) {
		/* Not even the reserve: stop accepting until the sweep finds room again, rather
		 * than spin on a listening socket that stays readable. */
		uv_poll_stop(&srv->listen_poll);
		srv->accept_paused = true;
		log_warning("out of descriptors: not accepting connections for now");
		return;
	}
	close(srv->reserve_fd);
	int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd >= 0)
		close(fd);
	srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->dropped++;
	log_warning("out of descriptors: refused a connection");
}

static void listen_cb(uv_poll_t *h, int status, int events)
{
	struct server *srv = h->data;

	(void)events;
	if (status < 0)
		return;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				shed_connection(srv);
			else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warning("accept: %s", strerror(errno));
			return;
		}
		if (srv->stats.connections >= srv->limits.max_connections) {
			close(fd);
			srv->dropped++;
			log_warning("connection limit (%u) reached: refused a connection",
			            srv->limits.max_connections);
			continue;
		}
		int r = client_create(srv, fd);
		if (r < 0)
			log_warning("cannot serve a new connection: %s", strerror(-r));
	}
}

/* STATUS= for systemctl status: what the daemon holds now. */
static void notify_status(struct server *srv)
{
	struct wire_stats st = srv->stats;

	if (!srv->notify)
		return;
	registry_stats(srv->reg, &st);
	uint64_t procs, pending;
	restore_counts(srv->restore, &procs, &pending);
	char more[96] = "";
	if (pending)
		snprintf(more, sizeof(more), ", %llu holds of %llu processes awaiting re-claim",
		         (unsigned long long)pending, (unsigned long long)procs);
	sd_notifyf(0, "STATUS=%llu tags, %llu bytes, %llu clients, %llu holds%s",
	           (unsigned long long)st.tags, (unsigned long long)st.bytes,
	           (unsigned long long)st.connections, (unsigned long long)st.handles, more);
}

void server_compact_store(struct server *srv)
{
	if (!srv->store || store_compact_begin(srv->store) < 0)
		return;
	registry_snapshot(srv->reg, srv->store);
	for (struct client *c = srv->clients; c; c = c->next)
		for (uint32_t i = 0; i < c->n_slots; i++)
			if (c->slots[i].tag)
				store_snap_hold(srv->store, registry_tag_id(c->slots[i].tag),
				                c->peer.pid, 1);
	restore_snapshot(srv->restore, srv->store);
	store_compact_end(srv->store);
}

static void watchdog_cb(uv_timer_t *t)
{
	(void)t;
	sd_notify(0, "WATCHDOG=1");
}

static void sweep_cb(uv_timer_t *t)
{
	struct server *srv = t->data;
	uint64_t now = uv_now(srv->loop), limit = srv->limits.throttle_seconds * 1000ull;

	notify_status(srv);
	restore_sweep(srv->restore);
	if (store_wants_compaction(srv->store))
		server_compact_store(srv);

	if (srv->accept_paused) {
		srv->accept_paused = false;
		uv_poll_start(&srv->listen_poll, UV_READABLE, listen_cb);
	}

	for (struct client *c = srv->clients, *next; c; c = next) {
		next = c->next;
		if (c->throttled_since && now - c->throttled_since >= limit) {
			log_info("%s: has not read its replies for %u s; disconnecting", c->name,
			         srv->limits.throttle_seconds);
			srv->dropped++;
			client_destroy(c);
		} else if (c->refused && now - c->refused_at >= 1000) {
			client_destroy(c); /* refused, and silent since */
		} else if (c->send_blocked) {
			client_pump(c);
		}
	}
}

int server_init(struct server *srv, uv_loop_t *loop, struct registry *reg,
                const struct server_limits *limits, int listen_fd)
{
	int r;

	memset(srv, 0, sizeof(*srv));
	srv->loop = loop;
	srv->reg = reg;
	srv->limits = *limits;
	srv->listen_fd = listen_fd;
	srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (srv->reserve_fd < 0)
		return -errno;
	r = fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	if (r < 0)
		return -errno;
	r = uv_poll_init(loop, &srv->listen_poll, listen_fd);
	if (r < 0)
		return r;
	srv->listen_poll.data = srv;
	uv_poll_start(&srv->listen_poll, UV_READABLE, listen_cb);
	uv_timer_init(loop, &srv->sweep);
	srv->sweep.data = srv;
	uv_timer_start(&srv->sweep, sweep_cb, 1000, 1000);
	uv_unref((uv_handle_t *)&srv->sweep);

	/* Under systemd: status lines, and keepalives if WatchdogSec= is set. The loop itself
	 * sends them, so a daemon whose loop hangs stops sending and is restarted. */
	srv->notify = getenv("NOTIFY_SOCKET") != NULL;
	uv_timer_init(loop, &srv->watchdog);
	uint64_t usec;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000) {
		uv_timer_start(&srv->watchdog, watchdog_cb, 0, usec / 2000);
		uv_unref((uv_handle_t *)&srv->watchdog);
	}
	return 0;
}

void server_finish(struct server *srv)
{
	while (srv->clients)
		client_destroy(srv->clients);
	uv_poll_stop(&srv->listen_poll);
	uv_close((uv_handle_t *)&srv->listen_poll, NULL);
	uv_timer_stop(&srv->sweep);
	uv_close((uv_handle_t *)&srv->sweep, NULL);
	uv_timer_stop(&srv->watchdog);
	uv_close((uv_handle_t *)&srv->watchdog, NULL);
	close(srv->listen_fd);
	if (srv->reserve_fd >= 0)
		close(srv->reserve_fd);
	users_free(&srv->users);
}
