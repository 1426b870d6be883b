/* conn.c: libmmapc's connection to mmapd (see conn.h): connecting, one request and reply at
 * a time with SCM_RIGHTS, reconnecting after fork and after a daemon restart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
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
	int fd;      /* -1 when not connected */
	pid_t pid;   /* the process that connected fd */
	uint64_t generation;
	uint64_t next_id;
	char path[]; /* the socket's path */
};

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *conns;

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
	pthread_mutex_lock(&conns_lock);
	for (c = conns; c; c = c->next)
		if (!strcmp(c->path, path))
			break;
	if (!c) {
		c = calloc(1, sizeof(*c) + strlen(path) + 1);
		if (c) {
			pthread_mutex_init(&c->lock, NULL);
			c->fd = -1;
			strcpy(c->path, path);
			c->next = conns;
			conns = c;
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
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	c->fd = fd;
	c->pid = getpid();
	c->generation++;
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

static int exchange(struct conn *c, const uint8_t *out, size_t out_len, int send_fd,
		    const struct wire_request *req, struct wire_reply *rep, int *ret_fd)
{
	uint8_t buf[WIRE_PACKET_MAX];
	int fd = -1;

	int r = send_packet(c->fd, out, out_len, send_fd);
	if (r < 0)
		return r;
	ssize_t n = recv_packet(c->fd, buf, sizeof(buf), &fd);
	if (n < 0)
		return (int)n;
	r = wire_decode_reply(buf, (size_t)n, rep);
	if (r == 0 && rep->id != req->id)
		r = -EPROTO;
	if (r == 0 && rep->op == WIRE_NONE && rep->error) {
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
		return r == -EBADMSG ? -EPROTO : r;
	}
	*ret_fd = fd;
	return 0;
}

/* Errors after which the connection cannot be trusted to be in step with the daemon. */
static bool broken(int r)
{
	return r == -EPROTO || r == -ECONNRESET || r == -ETIMEDOUT || r == -EPIPE ||
	       r == -ENOTCONN;
}

int conn_call(struct conn *c, uint64_t generation, struct wire_request *req, int send_fd,
	      struct wire_reply *rep, int *ret_fd, uint64_t *ret_generation)
{
	uint8_t out[WIRE_PACKET_MAX];
	int r;

	pthread_mutex_lock(&c->lock);
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
		r = wire_encode_request(req, out, sizeof(out));
		if (r < 0)
			break;
		r = exchange(c, out, (size_t)r, send_fd, req, rep, ret_fd);
		if (!broken(r))
			break;
		drop(c);
		/* A request the daemon never received (it went away before we sent) is safe to
		 * send again on a new connection; one it may have acted on is not. */
		if (attempt > 0 || generation || (r != -EPIPE && r != -ENOTCONN))
			break;
	}
	if (r == 0 && ret_generation)
		*ret_generation = c->generation;
	pthread_mutex_unlock(&c->lock);
	return r;
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
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&conns_lock);
}
