/* check_badinput.c: hostile and broken clients against a real mmapd: descriptors where none
 * belong (or none where one must be), forged handles, and clients that misbehave over time
 * (connection storms, unread replies, half-closed sockets, death while holding tags).
 * check_badwire.c does the malformed packets and fields.
 *
 * Each test starts its own daemon, speaks the wire itself on raw SOCK_SEQPACKET connections and
 * asserts the exact answer the README's "Bad input" bullet, handlers.c and client.c promise.
 * After every bad client, after_bad_client asserts that the daemon is back to the descriptors
 * it had before, answers another client and still serves a tag through libmmapc. Descriptors
 * sent are pipe write ends (or socket ends) where possible: the read end hangs up only once
 * every copy, the daemon's included, is closed. Every receive polls with a timeout.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "wire.h"

/* How long the daemon gets to answer, to close a descriptor or to settle its count. */
#define WAIT_MS 3000

/* The most descriptors a test sends in one message. */
#define MAX_SEND_FDS 8

static struct test_daemon d;

static void start(void)
{
	daemon_start(&d, NULL);
}

static void start_throttled(void)
{
	static const char *const args[] = {"--throttle-seconds", "1", "--max-queued", "4", NULL};
	daemon_start(&d, args);
}

static void stop(void)
{
	daemon_stop(&d);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000}, NULL);
}

static const char *errname(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";
	return s ? s : "?";
}

/* Waits up to WAIT_MS for the daemon to hold base descriptors again. */
static void wait_daemon_fds(int base)
{
	int64_t end = now_ms() + WAIT_MS;
	int n;

	while ((n = daemon_fd_count(&d)) != base && now_ms() < end)
		sleep_ms(10);
	ck_assert_msg(n == base, "mmapd holds %d descriptors, %d before the client came", n, base);
}

/* Waits up to WAIT_MS for the daemon to hold no descriptor of path. */
static void wait_not_held(const char *path)
{
	char dir[64], link[PATH_MAX + 64], target[PATH_MAX];
	int64_t end = now_ms() + WAIT_MS;
	int found;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)d.pid);
	for (;;) {
		DIR *fds = opendir(dir);
		struct dirent *e;
		ck_assert_ptr_nonnull(fds);
		for (found = 0; !found && (e = readdir(fds));) {
			snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
			ssize_t n = readlink(link, target, sizeof(target) - 1);
			if (n > 0)
				target[n] = '\0';
			found = n > 0 && strcmp(target, path) == 0;
		}
		closedir(fds);
		if (!found || now_ms() >= end)
			break;
		sleep_ms(10);
	}
	ck_assert_msg(!found, "mmapd kept the descriptor of %s it was sent", path);
}

/* A pipe (or a socket pair) whose w end the test sends to the daemon. */
struct probe {
	int r, w;
};

static struct probe probe_pipe(void)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	return (struct probe){p[0], p[1]};
}

static struct probe probe_socket(void)
{
	int p[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
	return (struct probe){p[1], p[0]};
}

/* Drops the test's copy of the w end and asserts that the daemon dropped its own: the r end
 * then sees the hangup. */
static void probe_expect_closed(struct probe *p)
{
	struct pollfd pf = {.fd = p->r, .events = POLLIN};

	close(p->w);
	int r = poll(&pf, 1, WAIT_MS);
	close(p->r);
	ck_assert_msg(r == 1 && (pf.revents & POLLHUP),
	              "mmapd still holds a descriptor it was sent (poll %d, revents %#x)", r,
	              (unsigned)pf.revents);
}

/* ---- packets --------------------------------------------------------------------------------- */

static int connect_ok(void)
{
	int fd = daemon_connect(&d);
	ck_assert_msg(fd >= 0, "cannot connect to mmapd: %s", strerror(-fd));
	return fd;
}

/* Sends one packet with n_fds descriptors attached; fails the test unless all of it went. */
static void send_packet(int fd, const void *buf, size_t len, const int *fds, size_t n_fds)
{
	union {
		char buf[CMSG_SPACE(MAX_SEND_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	ck_assert_uint_le(n_fds, MAX_SEND_FDS);
	if (n_fds) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
	}
	ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	ck_assert_msg(n == (ssize_t)len, "sendmsg of %zu bytes: %zd (%s)", len, n,
	              n < 0 ? strerror(errno) : "short");
}

static struct wire_request mkreq(enum wire_op op, uint64_t id)
{
	return (struct wire_request){.version = WIRE_VERSION, .id = id, .op = op};
}

static struct wire_request open_req(uint64_t id, const char *name, uint64_t length)
{
	struct wire_request r = mkreq(WIRE_OPEN, id);
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.length = length;
	r.writable = true;
	return r;
}

static void send_req(int fd, const struct wire_request *req, const int *fds, size_t n_fds)
{
	uint8_t buf[1024];
	int n = wire_encode_request(req, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	send_packet(fd, buf, (size_t)n, fds, n_fds);
}

/* Waits up to WAIT_MS for one packet and receives it: its length, 0 when the daemon hung up,
 * -ETIMEDOUT when nothing came, or another negative errno. The first descriptor that came with
 * it goes to *ret_fd (-1 if none), all others are closed. */
static ssize_t recv_packet(int fd, uint8_t *buf, size_t cap, int *ret_fd)
{
	union {
		char buf[CMSG_SPACE(MAX_SEND_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {.msg_iov = &iov,
	                     .msg_iovlen = 1,
	                     .msg_control = control.buf,
	                     .msg_controllen = sizeof(control.buf)};
	struct pollfd p = {.fd = fd, .events = POLLIN};

	if (ret_fd)
		*ret_fd = -1;
	if (poll(&p, 1, WAIT_MS) != 1)
		return -ETIMEDOUT;
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; cm->cmsg_type == SCM_RIGHTS && i < k; i++) {
			int got;
			memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (ret_fd && *ret_fd < 0)
				*ret_fd = got;
			else
				close(got);
		}
	}
	ck_assert_msg(!(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)), "a truncated reply");
	return n;
}

static void expect_reply(int fd, struct wire_reply *rep, int *ret_fd)
{
	uint8_t buf[WIRE_PACKET_MAX];
	ssize_t n = recv_packet(fd, buf, sizeof(buf), ret_fd);

	ck_assert_msg(n > 0, "expected a reply, got %s", n == 0 ? "a hangup" : errname((int)-n));
	ck_assert_int_eq(wire_decode_reply(buf, (size_t)n, rep), 0);
	wire_reply_finish(rep);
}

static void expect_error(int fd, uint64_t id, int error)
{
	struct wire_reply rep;

	expect_reply(fd, &rep, NULL);
	ck_assert_msg(rep.op == WIRE_NONE && rep.error == error && rep.id == id,
	              "expected %s for id %" PRIu64 ", got op %s, error %s (\"%s\"), id %" PRIu64,
	              errname(error), id, wire_op_name(rep.op), errname(rep.error), rep.message,
	              rep.id);
}

/* Asserts that the daemon closes the connection (after any reply already read). */
static void expect_hangup(int fd)
{
	uint8_t buf[256];
	ssize_t n = recv_packet(fd, buf, sizeof(buf), NULL);

	ck_assert_msg(n == 0, "expected mmapd to hang up, got %s",
	              n > 0 ? "a packet" : errname((int)-n));
}

/* A ping on this connection is answered: the connection is still up. */
static void ping_on(int fd, uint64_t id)
{
	struct wire_request req = mkreq(WIRE_PING, id);
	struct wire_reply rep;

	send_req(fd, &req, NULL, 0);
	expect_reply(fd, &rep, NULL);
	ck_assert_msg(rep.op == WIRE_PING && rep.id == id && rep.version == WIRE_VERSION,
	              "ping %" PRIu64 ": op %s, error %s, id %" PRIu64, id, wire_op_name(rep.op),
	              errname(rep.error), rep.id);
}

/* Expects a successful open reply for id; closes the descriptor it brings (which it must) and
 * returns the handle. */
static uint64_t expect_open(int fd, uint64_t id, bool created)
{
	struct wire_reply rep;
	int got;

	expect_reply(fd, &rep, &got);
	if (got >= 0)
		close(got);
	ck_assert_msg(rep.op == WIRE_OPEN && rep.id == id,
	              "open %" PRIu64 ": op %s, error %s (\"%s\"), id %" PRIu64, id,
	              wire_op_name(rep.op), errname(rep.error), rep.message, rep.id);
	ck_assert_msg(got >= 0, "an open reply without a descriptor");
	ck_assert_int_eq(rep.created, created);
	return rep.handle;
}

/* Opens a tag of 4096 bytes on this connection; asserts whether the open created it. */
static uint64_t open_on(int fd, uint64_t id, const char *name, bool created)
{
	struct wire_request req = open_req(id, name, 4096);
	send_req(fd, &req, NULL, 0);
	return expect_open(fd, id, created);
}

/* After a bad client has gone: the daemon holds what it held before the client came, answers
 * another client's ping, and opens and closes a tag through libmmapc. */
static void after_bad_client(int base)
{
	struct mmapc_options o = {.tagname = "still-serving"};
	mmapc_map *m = NULL;

	wait_daemon_fds(base);
	ck_assert_int_eq(daemon_ping(&d), 0);
	ck_assert_int_eq(mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o), 0);
	ck_assert_int_eq(mmapc_created(m), 1);
	ck_assert_int_eq(mmapc_write_byte(m, 'y'), 0);
	mmapc_free(m);
	conn_disconnect_all();
	wait_daemon_fds(base);
}

/* ---- descriptors where none belong, or none where one must be -------------------------------- */

START_TEST(test_badinput_fd_on_ping)
{
	int base = daemon_fd_count(&d), fd = connect_ok();
	struct wire_request ping = mkreq(WIRE_PING, 9), stat = mkreq(WIRE_STAT, 10);
	struct wire_request opn = open_req(11, "no-file-wanted", 4096);
	struct probe p = probe_pipe(), q = probe_pipe(), r = probe_pipe();

	send_req(fd, &ping, &p.w, 1);
	expect_error(fd, 9, EPROTO);
	probe_expect_closed(&p);
	send_req(fd, &stat, &q.w, 1);
	expect_error(fd, 10, EPROTO);
	probe_expect_closed(&q);
	/* An open without with_file may not carry one either, and creates nothing. */
	send_req(fd, &opn, &r.w, 1);
	expect_error(fd, 11, EPROTO);
	probe_expect_closed(&r);
	open_on(fd, 12, "no-file-wanted", true);
	ping_on(fd, 13);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_two_fds_on_open)
{
	int base = daemon_fd_count(&d), fd = connect_ok();
	struct wire_request req = open_req(5, "two-files", 0);
	struct probe p = probe_pipe(), q = probe_pipe();
	int fds[2] = {p.w, q.w};

	req.with_file = true;
	send_req(fd, &req, fds, 2);
	expect_error(fd, 5, EPROTO);
	probe_expect_closed(&p);
	probe_expect_closed(&q);
	open_on(fd, 6, "two-files", true);
	ping_on(fd, 7);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_too_many_fds)
{
	int base = daemon_fd_count(&d), fd = connect_ok(), fds[MAX_SEND_FDS];
	struct probe p[MAX_SEND_FDS];
	struct wire_request req = mkreq(WIRE_PING, 5);

	for (int i = 0; i < MAX_SEND_FDS; i++) {
		p[i] = probe_pipe();
		fds[i] = p[i].w;
	}
	/* Four fit the daemon's buffer: refused, closed, but the connection stays. */
	send_req(fd, &req, fds, 4);
	expect_error(fd, 5, EPROTO);
	ping_on(fd, 6);
	/* Eight do not: an error, and the connection closed. */
	send_req(fd, &req, fds, MAX_SEND_FDS);
	expect_error(fd, 0, EPROTO);
	expect_hangup(fd);
	/* Every copy of every one of them is closed. */
	for (int i = 0; i < MAX_SEND_FDS; i++)
		probe_expect_closed(&p[i]);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_with_file_but_no_fd)
{
	int base = daemon_fd_count(&d), fd = connect_ok();
	struct wire_request req = open_req(21, "file-missing", 4096);

	req.with_file = true;
	send_req(fd, &req, NULL, 0);
	expect_error(fd, 21, EPROTO);
	open_on(fd, 22, "file-missing", true);
	ping_on(fd, 23);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_file_not_regular)
{
	int base = daemon_fd_count(&d), fd = connect_ok();
	struct wire_request req = open_req(30, "not-a-file", 0);
	struct probe probes[2] = {probe_pipe(), probe_socket()};
	char dir[] = "/tmp/mmapd-badinput-XXXXXX";

	req.with_file = true;
	for (int i = 0; i < 2; i++) {
		send_req(fd, &req, &probes[i].w, 1);
		expect_error(fd, req.id++, EINVAL);
		probe_expect_closed(&probes[i]);
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	send_req(fd, &req, &dfd, 1);
	close(dfd);
	expect_error(fd, req.id++, EINVAL);
	wait_not_held(dir);
	rmdir(dir);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(null, 0);
	send_req(fd, &req, &null, 1);
	close(null);
	expect_error(fd, req.id++, EINVAL);
	/* None of them made a tag. */
	open_on(fd, 40, "not-a-file", true);
	ping_on(fd, 41);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_file_view_overflow)
{
	static const uint64_t views[][2] = {{UINT64_MAX - 100, 4096},
	                                    {4096, UINT64_MAX},
	                                    {1, UINT64_MAX},
	                                    {UINT64_MAX, 0},
	                                    {UINT64_MAX - 4095, 8192}};
	static uint8_t data[4096];
	char path[PATH_MAX];
	int base = daemon_fd_count(&d), fd = connect_ok();
	int file = tmpfile_named(data, sizeof(data), O_RDWR, path);

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		struct wire_request req = open_req(30 + i, "file-view", views[i][1]);
		req.offset = views[i][0];
		req.with_file = true;
		send_req(fd, &req, &file, 1);
		expect_error(fd, 30 + i, EINVAL);
	}
	close(file);
	wait_not_held(path);
	unlink(path);
	open_on(fd, 40, "file-view", true);
	ping_on(fd, 41);
	close(fd);
	after_bad_client(base);
}
END_TEST

/* ---- handles --------------------------------------------------------------------------------- */

/* Sends a close or a resize; returns the reply's error (0: success, the new size in *ret_size). */
static int handle_op(int fd, enum wire_op op, uint64_t id, uint64_t handle, uint64_t size,
                     uint64_t *ret_size)
{
	struct wire_request req = mkreq(op, id);
	struct wire_reply rep;
	int got;

	req.handle = handle;
	req.size = size;
	send_req(fd, &req, NULL, 0);
	expect_reply(fd, &rep, &got);
	if (got >= 0)
		close(got);
	ck_assert_msg(rep.id == id && rep.op == (rep.error ? WIRE_NONE : op),
	              "%s %" PRIu64 ": op %s, id %" PRIu64, wire_op_name(op), id,
	              wire_op_name(rep.op), rep.id);
	if (ret_size)
		*ret_size = rep.size;
	return rep.error;
}

static void close_handle(int fd, uint64_t id, uint64_t handle, int error)
{
	int r = handle_op(fd, WIRE_CLOSE, id, handle, 0, NULL);
	ck_assert_msg(r == error, "close %" PRIu64 ": %s, not %s", id, errname(r), errname(error));
}

START_TEST(test_badinput_close_never_issued)
{
	static const uint64_t forged[] = {0, 1, 2, (UINT64_C(1) << 32) | 1, UINT64_MAX, 0xffffffff};
	int base = daemon_fd_count(&d), fd = connect_ok();

	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++)
		close_handle(fd, 10 + i, forged[i], EBADF);
	/* With a hold in slot 1: neighbours and other generations are still not handles. */
	uint64_t h = open_on(fd, 20, "real-hold", true);
	close_handle(fd, 21, h ^ (UINT64_C(1) << 32), EBADF);
	close_handle(fd, 22, h + 1, EBADF);
	close_handle(fd, 23, (uint32_t)h, EBADF);
	close_handle(fd, 24, h, 0);
	ping_on(fd, 25);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_close_twice)
{
	int base = daemon_fd_count(&d), fd = connect_ok();
	uint64_t h = open_on(fd, 1, "closed-twice", true);

	close_handle(fd, 2, h, 0);
	close_handle(fd, 3, h, EBADF);
	ck_assert_int_eq(handle_op(fd, WIRE_RESIZE, 4, h, 8192, NULL), EBADF);
	/* The slot's reuse gets a new generation: the old handle still names nothing. */
	uint64_t h2 = open_on(fd, 5, "closed-twice", true);
	ck_assert_uint_ne(h2, h);
	close_handle(fd, 6, h, EBADF);
	close_handle(fd, 7, h2, 0);
	ping_on(fd, 8);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_resize_foreign_handle)
{
	int base = daemon_fd_count(&d), a = connect_ok(), b = connect_ok();
	uint64_t h1 = open_on(a, 1, "foreign-1", true), h2 = open_on(a, 2, "foreign-2", true);
	uint64_t size = 0;

	/* b holds nothing: a's handle numbers mean nothing on b's connection. */
	ck_assert_int_eq(handle_op(b, WIRE_RESIZE, 3, h2, 8192, NULL), EBADF);
	close_handle(b, 4, h2, EBADF);
	/* Nor once b holds something (in slot 1, so the same number as a's h1). */
	uint64_t hb = open_on(b, 5, "foreign-b", true);
	ck_assert_uint_ne(hb, h2);
	ck_assert_int_eq(handle_op(b, WIRE_RESIZE, 6, h2, 8192, NULL), EBADF);
	close_handle(b, 7, h2, EBADF);
	/* a's holds are untouched, and b's slot-1 handle is b's own hold. */
	ck_assert_int_eq(handle_op(a, WIRE_RESIZE, 8, h2, 8192, &size), 0);
	ck_assert_uint_eq(size, 8192);
	close_handle(a, 9, h2, 0);
	close_handle(a, 10, h1, 0);
	close_handle(b, 11, hb, 0);
	ping_on(b, 12);
	close(a);
	close(b);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_resize_to_zero)
{
	int base = daemon_fd_count(&d), fd = connect_ok();
	uint64_t h = open_on(fd, 1, "not-to-zero", true);
	struct wire_request req = open_req(3, "not-to-zero", 0);
	struct wire_reply rep;
	int got;

	ck_assert_int_eq(handle_op(fd, WIRE_RESIZE, 2, h, 0, NULL), EINVAL);
	/* The tag kept its size. */
	send_req(fd, &req, NULL, 0);
	expect_reply(fd, &rep, &got);
	ck_assert_int_ge(got, 0);
	close(got);
	ck_assert_int_eq(rep.op, WIRE_OPEN);
	ck_assert_uint_eq(rep.size, 4096);
	ping_on(fd, 4);
	close(fd);
	after_bad_client(base);
}
END_TEST

/* ---- clients that misbehave over time -------------------------------------------------------- */

START_TEST(test_badinput_connect_storm)
{
	int base = daemon_fd_count(&d);
	struct wire_request req = open_req(1, "storm", 4096);

	for (int i = 0; i < 1000; i++)
		close(connect_ok());
	/* And some that ask for a tag (a reply with a descriptor) and leave without reading. */
	for (int i = 0; i < 100; i++) {
		int fd = connect_ok();
		send_req(fd, &req, NULL, 0);
		close(fd);
	}
	after_bad_client(base);
	int fd = connect_ok();
	open_on(fd, 2, "storm", true);
	close(fd);
	wait_daemon_fds(base);
}
END_TEST

START_TEST(test_badinput_unread_replies_throttled)
{
	int base = daemon_fd_count(&d), a = connect_ok(), b = connect_ok();
	struct wire_request req = mkreq(WIRE_PING, 1);
	uint8_t buf[64];
	int len = wire_encode_request(&req, buf, sizeof(buf)), sent = 0;
	struct pollfd pa = {.fd = a, .events = 0};
	uint64_t id = 1000;

	ck_assert_int_gt(len, 0);
	/* Send without reading; when the socket is full, wait a little for room, and stop when
	 * none comes: the daemon has stopped reading. */
	while (sent < 10000) {
		ssize_t n = send(a, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == len) {
			sent++;
			continue;
		}
		ck_assert_msg(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "send: %s",
		              n < 0 ? strerror(errno) : "short");
		struct pollfd po = {.fd = a, .events = POLLOUT};
		if (poll(&po, 1, 300) == 0)
			break;
		ck_assert_msg(!(po.revents & (POLLHUP | POLLERR)), "cut off while still sending");
	}
	ck_assert_msg(sent < 10000, "mmapd read all 10000 requests of a client that reads nothing");
	int64_t full = now_ms(), hup = -1;
	int pings = 0;
	/* Throttled, then cut off after about a second; b is served promptly all along. */
	while (now_ms() - full < 5000) {
		ck_assert_int_ge(poll(&pa, 1, 0), 0);
		if (pa.revents & (POLLHUP | POLLERR)) {
			hup = now_ms() - full;
			break;
		}
		int64_t t = now_ms();
		ping_on(b, id++);
		int64_t took = now_ms() - t;
		ck_assert_msg(took < 500, "a ping took %lld ms while another client was throttled",
		              (long long)took);
		pings++;
		sleep_ms(20);
	}
	ck_assert_msg(hup >= 0, "a client that reads nothing was not cut off in 5 s (%d sent)",
	              sent);
	ck_assert_msg(hup >= 300,
	              "cut off %lld ms after its socket filled, before the throttle time",
	              (long long)hup);
	ck_assert_int_ge(pings, 5);
	ping_on(b, id);
	close(a);
	close(b);
	after_bad_client(base);
}
END_TEST

/* Reads until the daemon hangs up: returns how many packets came first (replies are checked to
 * echo id). */
static int replies_then_hangup(int fd, uint64_t id)
{
	uint8_t buf[WIRE_PACKET_MAX];
	struct wire_reply rep;
	int got, n_replies = 0;

	for (;;) {
		ssize_t n = recv_packet(fd, buf, sizeof(buf), &got);
		if (got >= 0)
			close(got);
		if (n == 0 || n == -ECONNRESET)
			return n_replies;
		ck_assert_msg(n > 0, "recv: %s", errname((int)-n));
		ck_assert_int_eq(wire_decode_reply(buf, (size_t)n, &rep), 0);
		wire_reply_finish(&rep);
		ck_assert_uint_eq(rep.id, id);
		ck_assert_int_eq(rep.error, 0);
		ck_assert_int_lt(++n_replies, 2);
	}
}

START_TEST(test_badinput_half_close)
{
	int base = daemon_fd_count(&d), a = connect_ok(), b = connect_ok();
	struct wire_request ping = mkreq(WIRE_PING, 5), opn = open_req(6, "half-closed", 4096);

	/* A client that stops writing still gets the replies to what it sent, then a hangup. */
	send_req(a, &ping, NULL, 0);
	ck_assert_int_eq(shutdown(a, SHUT_WR), 0);
	ck_assert_int_eq(replies_then_hangup(a, 5), 1);
	/* An open's reply carries a descriptor: it is delivered (and closed here), no copy stays. */
	send_req(b, &opn, NULL, 0);
	ck_assert_int_eq(shutdown(b, SHUT_WR), 0);
	ck_assert_int_eq(replies_then_hangup(b, 6), 1);
	close(a);
	close(b);
	after_bad_client(base);
	/* The half-closed client's hold went with it. */
	int fd = connect_ok();
	open_on(fd, 7, "half-closed", true);
	close(fd);
	wait_daemon_fds(base);
}
END_TEST

static int child_holds_three(int ready)
{
	for (int i = 0; i < 3; i++) {
		char name[32];
		struct mmapc_options o = {.tagname = name};
		mmapc_map *m;
		snprintf(name, sizeof(name), "killed-%d", i);
		if (mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o) < 0 ||
		    mmapc_created(m) != 1)
			return 10 + i;
	}
	if (write(ready, "r", 1) != 1)
		return 20;
	for (;;)
		pause();
}

START_TEST(test_badinput_killed_holder)
{
	int base = daemon_fd_count(&d), p[2], status;
	char c;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		_exit(child_holds_three(p[1]));
	}
	close(p[1]);
	struct pollfd pf = {.fd = p[0], .events = POLLIN};
	int ready = poll(&pf, 1, WAIT_MS) == 1 && read(p[0], &c, 1) == 1;
	close(p[0]);
	if (!ready) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ck_abort_msg("the child did not open its tags (status %#x)", status);
	}
	/* Its connection and three memfds at least. */
	ck_assert_int_ge(daemon_fd_count(&d), base + 4);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	wait_daemon_fds(base);
	int fd = connect_ok();
	open_on(fd, 1, "killed-0", true);
	open_on(fd, 2, "killed-1", true);
	open_on(fd, 3, "killed-2", true);
	close(fd);
	after_bad_client(base);
}
END_TEST

Suite *badinput_suite(void)
{
	Suite *s = suite_create("badinput");
	TCase *tc;

	tc = tcase_new("descriptors");
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_badinput_fd_on_ping);
	tcase_add_test(tc, test_badinput_two_fds_on_open);
	tcase_add_test(tc, test_badinput_too_many_fds);
	tcase_add_test(tc, test_badinput_with_file_but_no_fd);
	tcase_add_test(tc, test_badinput_file_not_regular);
	tcase_add_test(tc, test_badinput_file_view_overflow);
	suite_add_tcase(s, tc);

	tc = tcase_new("handles");
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_badinput_close_never_issued);
	tcase_add_test(tc, test_badinput_close_twice);
	tcase_add_test(tc, test_badinput_resize_foreign_handle);
	tcase_add_test(tc, test_badinput_resize_to_zero);
	suite_add_tcase(s, tc);

	tc = tcase_new("behaviour");
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_badinput_connect_storm);
	tcase_add_test(tc, test_badinput_half_close);
	tcase_add_test(tc, test_badinput_killed_holder);
	suite_add_tcase(s, tc);

	tc = tcase_new("throttle");
	tcase_add_checked_fixture(tc, start_throttled, stop);
	tcase_add_test(tc, test_badinput_unread_replies_throttled);
	suite_add_tcase(s, tc);
	return s;
}
