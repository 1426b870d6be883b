/* notify.c: non-blocking messages to the service manager (see notify.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fdpass.h"
#include "log.h"
#include "notify.h"

struct message {
	struct message *next;
	int fd;
	char text[];
};

struct notifier {
	int sock;
	uv_poll_t poll;
	bool polling;
	struct message *head, *tail;
	size_t queued;
	bool warned;
};

int notifier_open(struct notifier **ret, uv_loop_t *loop)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	*ret = NULL;
	if (!path || !*path)
		return 0;
	size_t len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path))
		return -EAFNOSUPPORT; /* vsock: and the like: not for this daemon */
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	struct notifier *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (n->sock < 0 || connect(n->sock, (struct sockaddr *)&sa, sl) < 0 ||
	    uv_poll_init(loop, &n->poll, n->sock) < 0) {
		int r = -errno;
		if (n->sock >= 0)
			close(n->sock);
		free(n);
		return r ? r : -EINVAL;
	}
	n->poll.data = n;
	n->polling = true;
	*ret = n;
	return 0;
}

/* One sendmsg: 1 sent, 0 no room now, or a negative errno. */
static int send_one(struct notifier *n, const char *text, int fd)
{
	struct iovec iov = {.iov_base = (void *)text, .iov_len = strlen(text)};
	union fdpass_control control;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	fdpass_attach(&msg, &control, fd);
	for (;;) {
		if (sendmsg(n->sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 1;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : -errno;
	}
}

static void drop_head(struct notifier *n)
{
	struct message *m = n->head;
	n->head = m->next;
	if (!n->head)
		n->tail = NULL;
	if (m->fd >= 0)
		close(m->fd);
	free(m);
	n->queued--;
}

/* Sends what waits, in order, until the manager has no room. */
static void flush(struct notifier *n)
{
	while (n->head) {
		int r = send_one(n, n->head->text, n->head->fd);
		if (r == 0)
			return;
		if (r < 0)
			log_warning("service manager: %s", strerror(-r));
		drop_head(n);
	}
}

static void writable_cb(uv_poll_t *h, int status, int events)
{
	struct notifier *n = h->data;

	(void)status;
	(void)events;
	flush(n);
	if (!n->head)
		uv_poll_stop(&n->poll);
}

int notifier_send(struct notifier *n, const char *msg, int fd)
{
	if (!n)
		return 0;
	if (!n->head) {
		int r = send_one(n, msg, fd);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	if (n->queued >= NOTIFY_QUEUE_MAX) {
		if (!n->warned)
			log_warning("the service manager is not reading: messages are lost");
		n->warned = true;
		return -ENOBUFS;
	}
	size_t len = strlen(msg);
	struct message *m = malloc(sizeof(*m) + len + 1);
	int dup = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
	if (!m || (fd >= 0 && dup < 0)) {
		int r = m ? -errno : -ENOMEM;
		free(m);
		return r;
	}
	m->next = NULL;
	m->fd = dup;
	memcpy(m->text, msg, len + 1);
	if (n->tail)
		n->tail->next = m;
	else
		n->head = m;
	n->tail = m;
	n->queued++;
	uv_poll_start(&n->poll, UV_WRITABLE, writable_cb);
	return 0;
}

size_t notifier_queued(const struct notifier *n)
{
	return n ? n->queued : 0;
}

static void closed_cb(uv_handle_t *h)
{
	struct notifier *n = h->data;
	close(n->sock); /* only now: libuv must let go of a polled descriptor first */
	free(n);
}

void notifier_close(struct notifier *n)
{
	if (!n)
		return;
	for (int waited = 0; n->head && waited < 1000; waited += 10) {
		flush(n);
		struct pollfd p = {.fd = n->sock, .events = POLLOUT};
		if (n->head)
			poll(&p, 1, 10);
	}
	while (n->head)
		drop_head(n);
	uv_poll_stop(&n->poll);
	uv_close((uv_handle_t *)&n->poll, closed_cb);
}
