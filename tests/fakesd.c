/* fakesd.c: the fake service manager of fakesd.h. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fakesd.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void *serve(void *arg);

void fakesd_start(struct fakesd *f, const char *dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s/notify", dir);
	strcpy(sa.sun_path, f->path);
	f->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(f->sock, 0);
	ck_assert_int_eq(bind(f->sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* Large enough that a burst of FDSTORE messages is not dropped before we read it. */
	int size = 8 << 20;
	setsockopt(f->sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setenv("NOTIFY_SOCKET", f->path, 1);
	pthread_mutex_init(&f->lock, NULL);
	f->last_ms = now_ms();
	ck_assert_int_eq(pipe2(f->stop_pipe, O_CLOEXEC), 0);
	ck_assert_int_eq(pthread_create(&f->thread, NULL, serve, f), 0);
}

static void forget(struct fakesd *f, size_t i)
{
	close(f->fds[i]);
	f->n--;
	f->fds[i] = f->fds[f->n];
	memcpy(f->names[i], f->names[f->n], sizeof(f->names[i]));
}

void fakesd_stop(struct fakesd *f)
{
	ck_assert_int_eq(write(f->stop_pipe[1], "x", 1), 1);
	pthread_join(f->thread, NULL);
	close(f->stop_pipe[0]);
	close(f->stop_pipe[1]);
	while (f->n)
		forget(f, f->n - 1);
	close(f->sock);
	unlink(f->path);
	unsetenv("NOTIFY_SOCKET");
}

/* The value of KEY= in a message of lines, or NULL. */
static const char *field(const char *msg, const char *key, char *buf, size_t cap)
{
	size_t k = strlen(key);
	for (const char *p = msg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			const char *v = p + k + 1, *e = strchr(v, '\n');
			size_t n = e ? (size_t)(e - v) : strlen(v);
			if (n >= cap)
				n = cap - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return buf;
		}
	}
	return NULL;
}

static void handle(struct fakesd *f, const char *msg, const int *fds, size_t n_fds)
{
	char name[64], v[256];

	if (!field(msg, "FDNAME", name, sizeof(name)))
		strcpy(name, "stored");
	if (field(msg, "READY", v, sizeof(v)))
		f->ready = true;
	if (field(msg, "STATUS", v, sizeof(v)))
		snprintf(f->status, sizeof(f->status), "%s", v);
	if (field(msg, "FDSTORE", v, sizeof(v)) && !strcmp(v, "1")) {
		for (size_t i = 0; i < n_fds; i++) {
			if (f->n ==
			    FAKESD_MAX) { /* systemd refuses past FileDescriptorStoreMax too */
				close(fds[i]);
				continue;
			}
			f->fds[f->n] = fds[i];
			snprintf(f->names[f->n], sizeof(f->names[0]), "%s", name);
			f->n++;
		}
		return;
	}
	for (size_t i = 0; i < n_fds; i++)
		close(fds[i]);
	if (field(msg, "FDSTOREREMOVE", v, sizeof(v)) && !strcmp(v, "1"))
		for (size_t i = f->n; i-- > 0;)
			if (!strcmp(f->names[i], name))
				forget(f, i);
}

void fakesd_pause(struct fakesd *f, bool paused)
{
	atomic_store(&f->paused, paused);
}

void fakesd_pump(struct fakesd *f, int quiet_ms)
{
	/* The thread reads and handles a message under the lock, so nothing sent before is
	 * left unhandled once the socket is seen empty with the lock held. */
	for (;;) {
		usleep(5000);
		pthread_mutex_lock(&f->lock);
		struct pollfd p = {.fd = f->sock, .events = POLLIN};
		bool quiet = poll(&p, 1, 0) == 0 && now_ms() - f->last_ms >= quiet_ms;
		pthread_mutex_unlock(&f->lock);
		if (quiet)
			return;
	}
}

static void *serve(void *arg)
{
	struct fakesd *f = arg;
	char buf[4096];
	union {
		char b[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} control;

	for (;;) {
		bool paused = atomic_load(&f->paused);
		struct pollfd p[2] = {{.fd = f->sock, .events = paused ? 0 : POLLIN},
		                      {.fd = f->stop_pipe[0], .events = POLLIN}};
		if (poll(p, 2, paused ? 5 : -1) < 0 || p[1].revents)
			return NULL;
		if (paused || !p[0].revents)
			continue;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
		struct msghdr msg = {.msg_iov = &iov,
		                     .msg_iovlen = 1,
		                     .msg_control = control.b,
		                     .msg_controllen = sizeof(control.b)};
		pthread_mutex_lock(&f->lock);
		ssize_t n = recvmsg(f->sock, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			pthread_mutex_unlock(&f->lock);
			continue;
		}
		buf[n] = '\0';
		int fds[16];
		size_t n_fds = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				memcpy(fds + n_fds, CMSG_DATA(c), k * sizeof(int));
				n_fds += k;
			}
		handle(f, buf, fds, n_fds);
		f->last_ms = now_ms();
		pthread_mutex_unlock(&f->lock);
	}
}

size_t fakesd_count(const struct fakesd *f, const char *prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += strncmp(f->names[i], prefix, strlen(prefix)) == 0;
	return n;
}

bool fakesd_has(const struct fakesd *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->names[i], name))
			return true;
	return false;
}

void fakesd_pass(void *arg)
{
	struct fakesd *f = arg;
	static char names[FAKESD_MAX * 65];
	size_t off = 0;
	char buf[32];

	/* Up out of the way first, so that moving one to 3 + i never lands on another. */
	int base = 3 + (int)f->n + 64;
	for (size_t i = 0; i < f->n; i++)
		dup2(f->fds[i], base + (int)i);
	for (size_t i = 0; i < f->n; i++) {
		dup2(base + (int)i, 3 + (int)i);
		close(base + (int)i);
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i ? ":" : "",
		                        f->names[i]);
	}
	snprintf(buf, sizeof(buf), "%zu", f->n);
	setenv("LISTEN_FDS", buf, 1);
	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	setenv("LISTEN_PID", buf, 1);
	setenv("LISTEN_FDNAMES", names, 1);
}
