/* floor.c: the baseline servers of the daemon benchmarks (see floor.h), and their clients.
 *
 * Why these are the fair floors. Whatever a broker of named shared memory does, a client
 * that gets its memory from another process pays at least: one request packet and one reply
 * packet on a Unix socket (two wake-ups, usually two context switches), the kernel's
 * installing of a passed descriptor (SCM_RIGHTS), and mapping, faulting in, unmapping and
 * closing that descriptor. The floors pay exactly that and nothing else, so a ratio against
 * them is the price of mmapd's own design: the protobuf codec, the tag lookup and access
 * policy, the hold bookkeeping and its release, libuv's loop, the library's locking. None of
 * that is waste by definition, but all of it is what the targets bound.
 *
 *   - The attach floor (floor_attach) is a server in a blocking recv/sendmsg loop that
 *     answers every request with the same memfd (no dup: SCM_RIGHTS needs none, and a
 *     lookup-free server never makes one). Its client mmaps the descriptor MAP_SHARED,
 *     writes one byte of a page the server's memfd already has, munmaps and closes, as the
 *     library's open + touch + free does. The packets are small and fixed (REQUEST_LEN,
 *     REPLY_LEN bytes, the size of an encoded open request and reply), and received with
 *     MSG_CMSG_CLOEXEC, as the design makes every receiver do.
 *   - The create floor (floor_create) is the same round trip (its descriptor closed unused),
 *     plus a new memory object made where it is cheapest, in the client itself: memfd_create,
 *     ftruncate, mmap, the first touch of a new page (which allocates and zeroes it), munmap
 *     and close. A create through mmapd cannot avoid any of these: someone makes the memfd,
 *     someone faults in its first page, and the descriptor has to cross the socket.
 *   - The throughput floor (use_epoll) serves many clients at once, so it cannot block on
 *     one: a single thread (like mmapd's loop) waits in epoll_wait over every client's
 *     non-blocking socket, level-triggered, and answers one packet per readiness (a client
 *     of the floor has at most one request in flight, so draining until EAGAIN would only add
 *     a failing recvmsg). Its clients run floor_attach.
 *
 * Each server is its own process, reached over socketpairs made before it forks, so no path
 * or temporary file is involved; it exits when its clients hang up or on SIGTERM.
 *
 * Not here: mmapd, its spawning (spawn.c), the benchmarks (daemon.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "floor.h"

/* About the size of an encoded open request for a short name, and of its reply. */
#define REQUEST_LEN 24
#define REPLY_LEN 24

static int send_reply(int sock, int memfd, int flags)
{
	uint8_t reply[REPLY_LEN] = {1};
	struct iovec iov = {.iov_base = reply, .iov_len = sizeof(reply)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	union fdpass_control control;

	fdpass_attach(&msg, &control, memfd);
	return sendmsg(sock, &msg, flags | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void serve_blocking(int sock, int memfd)
{
	uint8_t buf[256];

	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), 0);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			_exit(0);
		if (n > 0 && send_reply(sock, memfd, 0) < 0)
			_exit(0);
	}
}

static void serve_epoll(const int *socks, size_t n, int memfd)
{
	struct epoll_event ev[64];
	uint8_t buf[256];
	size_t open = n;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		_exit(1);
	for (size_t i = 0; i < n; i++) {
		struct epoll_event e = {.events = EPOLLIN, .data.fd = socks[i]};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, socks[i], &e) < 0)
			_exit(1);
	}
	while (open > 0) {
		int k = epoll_wait(ep, ev, 64, -1);
		for (int i = 0; i < k; i++) {
			int fd = ev[i].data.fd;
			ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (got > 0 && send_reply(fd, memfd, MSG_DONTWAIT) == 0)
				continue;
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			close(fd);
			open--;
		}
	}
	_exit(0);
}

static void serve(const int *socks, size_t n, size_t len, bool use_epoll)
{
	int memfd = memfd_create("floor", MFD_CLOEXEC);

	if (memfd < 0 || ftruncate(memfd, (off_t)len) < 0)
		_exit(1);
	if (use_epoll)
		serve_epoll(socks, n, memfd);
	serve_blocking(socks[0], memfd);
}

int floor_start(struct floor *f, size_t n, size_t len, bool use_epoll)
{
	int *srv = calloc(n, sizeof(int));
	int r = 0;

	*f = (struct floor){.n = 0, .len = len, .fds = calloc(n, sizeof(int))};
	if (!srv || !f->fds) {
		r = -ENOMEM;
		goto out;
	}
	for (; f->n < n; f->n++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
			r = -errno;
			goto out;
		}
		f->fds[f->n] = sv[0];
		srv[f->n] = sv[1];
	}
	f->pid = fork();
	if (f->pid < 0) {
		r = -errno;
		goto out;
	}
	if (f->pid == 0) {
		signal(SIGTERM, SIG_DFL);
		for (size_t i = 0; i < n; i++)
			close(f->fds[i]);
		serve(srv, n, len, use_epoll);
	}
out:
	for (size_t i = 0; i < f->n; i++)
		close(srv[i]);
	free(srv);
	if (r < 0)
		floor_stop(f);
	return r;
}

void floor_stop(struct floor *f)
{
	int status;

	for (size_t i = 0; i < f->n; i++)
		close(f->fds[i]);
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		while (waitpid(f->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	free(f->fds);
	*f = (struct floor){0};
}

int floor_call(int sock)
{
	uint8_t buf[256] = {2};
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	union fdpass_control control;
	int fds[FDPASS_MAX];

	if (send(sock, buf, REQUEST_LEN, MSG_NOSIGNAL) != REQUEST_LEN)
		return -errno;
	fdpass_expect(&msg, &control);
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n < 0 ? -errno : -ECONNRESET;
	size_t n_fds = fdpass_collect(&msg, fds);
	if (n_fds != 1) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	return fds[0];
}

/* Maps len bytes of fd, writes the first byte, unmaps. */
static int touch(int fd, size_t len)
{
	volatile uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	p[0]++;
	munmap((void *)p, len);
	return 0;
}

int floor_attach(int sock, size_t len)
{
	int fd = floor_call(sock);

	if (fd < 0)
		return fd;
	int r = touch(fd, len);
	close(fd);
	return r;
}

int floor_create(int sock, size_t len)
{
	int fd = floor_call(sock);

	if (fd < 0)
		return fd;
	close(fd);
	fd = memfd_create("floor-create", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = ftruncate(fd, (off_t)len) < 0 ? -errno : touch(fd, len);
	close(fd);
	return r;
}
