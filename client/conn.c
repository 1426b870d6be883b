/* conn.c: libmmapc's connection to mmapd (see conn.h): connecting, one request and reply at
 * a time with SCM_RIGHTS, reconnecting after fork and after a daemon restart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "fdpass.h"
#include "map.h"

struct conn {
	struct conn *next;
	pthread_mutex_t lock;
	int fd;    /* -1 when not connected */
	pid_t pid; /* the process that connected fd */
	uint64_t generation;
	_Atomic uint64_t live;   /* generation while connected in this process, else 0 */
	_Atomic bool resume_due; /* a connection of this process was lost: re-claim its holds */
	uint64_t next_id;
	uint8_t *buf; /* WIRE_PACKET_MAX bytes for packets, under lock */
	char path[];  /* the socket's path */
};

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static struct conn *conns;

static void drop(struct conn *c);

/* The re-claim after a lost connection (tag.c registers it), and whether this thread is
 * running it (its own calls must not start another). */
static int (*resume_fn)(struct conn *c);
static __thread bool resuming;

/* This process's pid, without a system call each time (glibc no longer caches getpid). The
 * atfork child handler refreshes it. */
static _Atomic pid_t self;

pid_t conn_self(void)
{
	pid_t pid = atomic_load(&self);
	if (!pid) {
		pid = getpid();
		atomic_store(&self, pid);
	}
	return pid;
}

/* fork: no connection may be mid-request in the child (prepare takes every lock), and the
 * child closes its copies of its parent's sockets at once, so that it never speaks for the
 * parent and the parent's holds end when the parent does. */
static void atfork_prepare(void)
{
	pthread_mutex_lock(&conns_lock);
	for (struct conn *c = conns; c; c = c->next)
		pthread_mutex_lock(&c->lock);
}

static void atfork_parent(void)
{
	for (struct conn *c = conns; c; c = c->next)
		pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&conns_lock);
}

static void atfork_child(void)
{
	atomic_store(&self, getpid());
	for (struct conn *c = conns; c; c = c->next) {
		drop(c);
		atomic_store(&c->resume_due, false); /* the parent's holds are the parent's */
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&conns_lock);
}

static void register_atfork(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

const char *conn_default_path(void)
{
	const char *p = getenv("MMAPD_SOCKET");
	return p && *p ? p : MMAPD_SOCKET_DEFAULT;
}

int conn_get(const char *path, struct conn **ret)
{
	struct conn *c;

	if (!path)
		path = conn_default_path();
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&conns_lock);
	for (c = conns; c; c = c->next)
		if (!strcmp(c->path, path))
			break;
	if (!c) {
		c = calloc(1, sizeof(*c) + strlen(path) + 1);
		uint8_t *buf = c ? malloc(WIRE_PACKET_MAX) : NULL;
		if (buf) {
			pthread_mutex_init(&c->lock, NULL);
			c->fd = -1;
			c->buf = buf;
			strcpy(c->path, path);
			c->next = conns;
			conns = c;
		} else {
			free(c);
			c = NULL;
		}
	}
	pthread_mutex_unlock(&conns_lock);
	if (!c)
		return -ENOMEM;
	*ret = c;
	return 0;
}

static void drop(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	atomic_store(&c->live, 0);
}

/* A connection this process had was lost (the daemon went away, or cut it): what it held
 * must be re-claimed on the next one. */
static void lost(struct conn *c)
{
	drop(c);
	atomic_store(&c->resume_due, true);
}

void conn_on_reconnect(int (*fn)(struct conn *c))
{
	resume_fn = fn;
}

/* Runs the re-claim if one is due; called with no lock held. A failure that leaves the
 * daemon unreached keeps it due; a daemon's refusal (one that has no Resume) does not. */
static void maybe_resume(struct conn *c)
{
	if (resuming || !resume_fn || !atomic_exchange(&c->resume_due, false))
		return;
	resuming = true;
	int r = resume_fn(c);
	resuming = false;
	if (r == -ECONNRESET || r == -ECONNREFUSED || r == -ENOENT || r == -ETIMEDOUT ||
	    r == -EAGAIN || r == -ENOMEM || r == -ESTALE)
		atomic_store(&c->resume_due, true);
}

bool conn_current(const struct conn *c, uint64_t generation)
{
	return generation && atomic_load(&c->live) == generation;
}

static long timeout_ms(void)
{
	const char *s = getenv("MMAPC_TIMEOUT_MS");
	long ms = s ? strtol(s, NULL, 10) : 0;
	return ms > 0 ? ms : CONN_TIMEOUT_MS;
}

static int connect_locked(struct conn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	long ms = timeout_ms();
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	strcpy(sa.sun_path, c->path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The timeouts come first: connect() to a daemon whose backlog is full waits for as
	 * long as SO_SNDTIMEO allows, and then says EAGAIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = errno == EAGAIN ? -ETIMEDOUT : -errno;
		close(fd);
		return r;
	}
	c->fd = fd;
	c->pid = getpid();
	c->generation++;
	atomic_store(&c->live, c->generation);
	return 0;
}

static int send_packet(int fd, const uint8_t *buf, size_t len, int send_fd)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union fdpass_control control;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	fdpass_attach(&msg, &control, send_fd);
	for (;;) {
		if (sendmsg(fd, &msg, MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
	}
}

/* Receives one reply packet into buf; its descriptors (at most one is valid) into *ret_fd.
 * Returns the packet's length or a negative errno. */
static ssize_t recv_packet(int fd, uint8_t *buf, size_t cap, int *ret_fd)
{
	union fdpass_control control;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[FDPASS_MAX];
	ssize_t n;

	fdpass_expect(&msg, &control);
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;

	size_t n_fds = fdpass_collect(&msg, fds);
	if (n == 0 || n_fds > 1 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		return n == 0 ? -ECONNRESET : -EPROTO;
	}
	*ret_fd = n_fds ? fds[0] : -1;
	return n;
}

/* Whether a successful reply to op carries a descriptor. */
static bool carries_fd(const struct wire_reply *rep)
{
	return rep->op == WIRE_OPEN || (rep->op == WIRE_RESIZE && rep->replaced);
}

/* Sends a close for the handle of an open whose caller gave up waiting (a timeout): its
 * reply, when it comes, is stale too and is discarded like this one was. */
static void close_orphan(struct conn *c, uint64_t handle)
{
	struct wire_request req = {
	        .version = WIRE_VERSION, .id = ++c->next_id, .op = WIRE_CLOSE, .handle = handle};
	uint8_t out[64];
	int n = wire_encode_request(&req, out, sizeof(out));
	if (n > 0)
		send_packet(c->fd, out, (size_t)n, -1);
}

/* A daemon that refuses a connection outright (too many of this user's) says why in an
 * error reply with id 0 and hangs up, which can happen before the request is sent: then
 * the send fails, and the reason waits unread. Returns its errno, or 0 if there is none. */
static int parting_error(struct conn *c)
{
	struct wire_reply rep;
	int e = 0;
	ssize_t n = recv(c->fd, c->buf, WIRE_PACKET_MAX, MSG_DONTWAIT);

	if (n > 0 && wire_decode_reply(c->buf, (size_t)n, &rep) == 0) {
		if (rep.id == 0 && rep.op == WIRE_NONE)
			e = rep.error;
		wire_reply_finish(&rep);
	}
	return e;
}

/* Sends one request and waits for its reply, discarding the replies to earlier requests
 * whose callers timed out. Sets *broken when the connection can no longer be trusted to be
 * in step with the daemon (it went away, or said something undecodable). */
static int exchange(struct conn *c, const uint8_t *out, size_t out_len, int send_fd,
                    const struct wire_request *req, struct wire_reply *rep, int *ret_fd,
                    bool *broken)
{
	int fd = -1, r = send_packet(c->fd, out, out_len, send_fd);

	*broken = r < 0 && r != -ETIMEDOUT;
	if (r == -EPIPE || r == -ECONNRESET) {
		int why = parting_error(c);
		if (why)
			return -why;
	}
	if (r < 0)
		return r;
	for (;;) {
		ssize_t n = recv_packet(c->fd, c->buf, WIRE_PACKET_MAX, &fd);
		if (n < 0) {
			*broken = n != -ETIMEDOUT;
			return (int)n;
		}
		r = wire_decode_reply(c->buf, (size_t)n, rep);
		/* Id 0 is the daemon's answer to a request it could not decode: ours, the only
		 * one it has not answered. */
		if (r == 0 && rep->id == 0 && rep->op == WIRE_NONE && rep->error) {
			wire_reply_finish(rep);
			if (fd >= 0)
				close(fd);
			return -rep->error;
		}
		if (r == 0 && rep->id < req->id) {
			if (rep->op == WIRE_OPEN)
				close_orphan(c, rep->handle);
			wire_reply_finish(rep);
			if (fd >= 0)
				close(fd);
			continue;
		}
		break;
	}
	if (r == 0 && rep->id != req->id) {
		wire_reply_finish(rep);
		r = -EPROTO;
	}
	if (r == 0 && rep->op == WIRE_NONE && rep->error) {
		/* The daemon's refusal: the connection is fine, whatever the errno says. */
		r = -rep->error;
		wire_reply_finish(rep);
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (r == 0 && (rep->op != req->op || carries_fd(rep) != (fd >= 0))) {
		wire_reply_finish(rep);
		r = -EPROTO;
	}
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		*broken = true;
		return r == -EBADMSG ? -EPROTO : r;
	}
	*ret_fd = fd;
	return 0;
}

int conn_call(struct conn *c, uint64_t generation, struct wire_request *req, int send_fd,
              struct wire_reply *rep, int *ret_fd, uint64_t *ret_generation)
{
	bool broken;
	int r;

	/* The re-claim goes first, so that the call that found the loss returns at once. */
	maybe_resume(c);
	pthread_mutex_lock(&c->lock);
	/* getpid(), not the cache: a child made without fork(3) (raw clone, _Fork) runs no
	 * atfork handler, and must still never speak on its parent's socket. */
	if (c->fd >= 0 && c->pid != getpid())
		drop(c); /* the parent's socket: never speak on it */
	for (int attempt = 0;; attempt++) {
		if (c->fd < 0) {
			r = generation ? -ESTALE : connect_locked(c);
			if (r < 0)
				break;
		}
		if (generation && generation != c->generation) {
			r = -ESTALE;
			break;
		}
		req->version = WIRE_VERSION;
		req->id = ++c->next_id;
		r = wire_encode_request(req, c->buf, WIRE_PACKET_MAX);
		if (r < 0)
			break;
		r = exchange(c, c->buf, (size_t)r, send_fd, req, rep, ret_fd, &broken);
		if (r == -EUSERS) {
			/* Refused outright (too many connections of this user), and hung up on:
			 * there was no connection to lose, and nothing to re-claim. */
			drop(c);
			break;
		}
		if (!broken)
			break;
		lost(c);
		/* A request the daemon never received (it went away before we sent) is safe to
		 * send again on a new connection; one it may have acted on is not. Before it
		 * goes, the holds are re-claimed there, so that it sees them. */
		if (attempt > 0 || generation || (r != -EPIPE && r != -ENOTCONN))
			break;
		pthread_mutex_unlock(&c->lock);
		maybe_resume(c);
		pthread_mutex_lock(&c->lock);
	}
	/* However the daemon went away, the caller hears that it did. */
	if (r == -EPIPE || r == -ENOTCONN)
		r = -ECONNRESET;
	if (r == 0 && ret_generation)
		*ret_generation = c->generation;
	pthread_mutex_unlock(&c->lock);
	return r;
}

int conn_send(struct conn *c, uint64_t generation, struct wire_request *req)
{
	uint8_t out[1024];
	int r = -ESTALE;

	pthread_mutex_lock(&c->lock);
	if (c->fd >= 0 && c->pid == getpid() && generation == c->generation) {
		req->version = WIRE_VERSION;
		req->id = ++c->next_id;
		r = wire_encode_request(req, out, sizeof(out));
		if (r > 0)
			r = send_packet(c->fd, out, (size_t)r, -1);
		if (r < 0 && r != -ETIMEDOUT && r != -EMSGSIZE && r != -EINVAL)
			lost(c);
	}
	pthread_mutex_unlock(&c->lock);
	/* A close that found the daemon gone never waits: the re-claim at the next call tells
	 * the new daemon that this hold is no more. */
	return r < 0 ? r : 0;
}

/* For the test suites only (not exported from the shared library): forget every cached
 * connection of this process, so that a test's descriptor count is not disturbed by them. */
void conn_disconnect_all(void);
void conn_disconnect_all(void)
{
	pthread_mutex_lock(&conns_lock);
	for (struct conn *c = conns; c; c = c->next) {
		pthread_mutex_lock(&c->lock);
		drop(c);
		atomic_store(&c->resume_due, false);
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&conns_lock);
}
