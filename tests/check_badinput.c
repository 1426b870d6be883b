/* check_badinput.c: hostile and broken clients against a real mmapd: descriptors where none
 * belong (or none where one must be), forged handles, and clients that misbehave over time
 * (connection storms, unread replies, half-closed sockets, death while holding tags).
 * check_badwire.c does the malformed packets and fields.
 *
 * Each test starts its own daemon, speaks the wire itself on raw SOCK_SEQPACKET connections
 * (rawwire.h) and asserts the exact answer the README's "Bad input" bullet, handlers.c and
 * client.c promise. After every bad client, raw_after_bad_client asserts that the daemon is
 * back to the descriptors it had before, answers another client and still serves a tag through
 * libmmapc. Descriptors sent are pipe write ends (or socket ends) where possible: the read end
 * hangs up only once every copy, the daemon's included, is closed. Every receive polls with a
 * timeout.
 *
 * Not here: the raw client itself (rawwire.c), malformed packets (check_badwire.c).
 */

#define _GNU_SOURCE
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
#include <unistd.h>

#include "helpers.h"
#include "rawwire.h"
#include "wire.h"

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

/* ---- descriptors where none belong, or none where one must be -------------------------------- */

START_TEST(test_badinput_fd_on_ping)
{
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	struct wire_request ping = raw_req(WIRE_PING, 9), stat = raw_req(WIRE_STAT, 10);
	struct wire_request opn = raw_open_req(11, "no-file-wanted", 4096);
	struct raw_probe p = raw_probe_pipe(), q = raw_probe_pipe(), r = raw_probe_pipe();

	raw_send_req(fd, &ping, &p.w, 1);
	raw_expect_error(fd, 9, EPROTO);
	raw_probe_expect_closed(&p);
	raw_send_req(fd, &stat, &q.w, 1);
	raw_expect_error(fd, 10, EPROTO);
	raw_probe_expect_closed(&q);
	/* An open without with_file may not carry one either, and creates nothing. */
	raw_send_req(fd, &opn, &r.w, 1);
	raw_expect_error(fd, 11, EPROTO);
	raw_probe_expect_closed(&r);
	raw_open_on(fd, 12, "no-file-wanted", true);
	raw_ping_on(fd, 13);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_two_fds_on_open)
{
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	struct wire_request req = raw_open_req(5, "two-files", 0);
	struct raw_probe p = raw_probe_pipe(), q = raw_probe_pipe();
	int fds[2] = {p.w, q.w};

	req.with_file = true;
	raw_send_req(fd, &req, fds, 2);
	raw_expect_error(fd, 5, EPROTO);
	raw_probe_expect_closed(&p);
	raw_probe_expect_closed(&q);
	raw_open_on(fd, 6, "two-files", true);
	raw_ping_on(fd, 7);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_too_many_fds)
{
	int base = daemon_fd_count(&d), fd = raw_connect(&d), fds[RAW_MAX_SEND_FDS];
	struct raw_probe p[RAW_MAX_SEND_FDS];
	struct wire_request req = raw_req(WIRE_PING, 5);

	for (int i = 0; i < RAW_MAX_SEND_FDS; i++) {
		p[i] = raw_probe_pipe();
		fds[i] = p[i].w;
	}
	/* Four fit the daemon's buffer: refused, closed, but the connection stays. */
	raw_send_req(fd, &req, fds, 4);
	raw_expect_error(fd, 5, EPROTO);
	raw_ping_on(fd, 6);
	/* Eight do not: an error, and the connection closed. */
	raw_send_req(fd, &req, fds, RAW_MAX_SEND_FDS);
	raw_expect_error(fd, 0, EPROTO);
	raw_expect_hangup(fd);
	/* Every copy of every one of them is closed. */
	for (int i = 0; i < RAW_MAX_SEND_FDS; i++)
		raw_probe_expect_closed(&p[i]);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_with_file_but_no_fd)
{
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	struct wire_request req = raw_open_req(21, "file-missing", 4096);

	req.with_file = true;
	raw_send_req(fd, &req, NULL, 0);
	raw_expect_error(fd, 21, EPROTO);
	raw_open_on(fd, 22, "file-missing", true);
	raw_ping_on(fd, 23);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_file_not_regular)
{
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	struct wire_request req = raw_open_req(30, "not-a-file", 0);
	struct raw_probe probes[2] = {raw_probe_pipe(), raw_probe_socket()};
	char dir[] = "/tmp/mmapd-badinput-XXXXXX";

	req.with_file = true;
	for (int i = 0; i < 2; i++) {
		raw_send_req(fd, &req, &probes[i].w, 1);
		raw_expect_error(fd, req.id++, EINVAL);
		raw_probe_expect_closed(&probes[i]);
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
	raw_send_req(fd, &req, &dfd, 1);
	close(dfd);
	raw_expect_error(fd, req.id++, EINVAL);
	raw_wait_not_held(&d, dir);
	rmdir(dir);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(null, 0);
	raw_send_req(fd, &req, &null, 1);
	close(null);
	raw_expect_error(fd, req.id++, EINVAL);
	/* None of them made a tag. */
	raw_open_on(fd, 40, "not-a-file", true);
	raw_ping_on(fd, 41);
	close(fd);
	raw_after_bad_client(&d, base);
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
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	int file = tmpfile_named(data, sizeof(data), O_RDWR, path);

	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		struct wire_request req = raw_open_req(30 + i, "file-view", views[i][1]);
		req.offset = views[i][0];
		req.with_file = true;
		raw_send_req(fd, &req, &file, 1);
		raw_expect_error(fd, 30 + i, EINVAL);
	}
	close(file);
	raw_wait_not_held(&d, path);
	unlink(path);
	raw_open_on(fd, 40, "file-view", true);
	raw_ping_on(fd, 41);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

/* ---- handles --------------------------------------------------------------------------------- */

/* Sends a close or a resize; returns the reply's error (0: success, the new size in *ret_size). */
static int handle_op(int fd, enum wire_op op, uint64_t id, uint64_t handle, uint64_t size,
                     uint64_t *ret_size)
{
	struct wire_request req = raw_req(op, id);
	struct wire_reply rep;
	int got;

	req.handle = handle;
	req.size = size;
	raw_send_req(fd, &req, NULL, 0);
	raw_expect_reply(fd, &rep, &got);
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
	ck_assert_msg(r == error, "close %" PRIu64 ": %s, not %s", id, raw_errname(r),
	              raw_errname(error));
}

START_TEST(test_badinput_close_never_issued)
{
	static const uint64_t forged[] = {0, 1, 2, (UINT64_C(1) << 32) | 1, UINT64_MAX, 0xffffffff};
	int base = daemon_fd_count(&d), fd = raw_connect(&d);

	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++)
		close_handle(fd, 10 + i, forged[i], EBADF);
	/* With a hold in slot 1: neighbours and other generations are still not handles. */
	uint64_t h = raw_open_on(fd, 20, "real-hold", true);
	close_handle(fd, 21, h ^ (UINT64_C(1) << 32), EBADF);
	close_handle(fd, 22, h + 1, EBADF);
	close_handle(fd, 23, (uint32_t)h, EBADF);
	close_handle(fd, 24, h, 0);
	raw_ping_on(fd, 25);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_close_twice)
{
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	uint64_t h = raw_open_on(fd, 1, "closed-twice", true);

	close_handle(fd, 2, h, 0);
	close_handle(fd, 3, h, EBADF);
	ck_assert_int_eq(handle_op(fd, WIRE_RESIZE, 4, h, 8192, NULL), EBADF);
	/* The slot's reuse gets a new generation: the old handle still names nothing. */
	uint64_t h2 = raw_open_on(fd, 5, "closed-twice", true);
	ck_assert_uint_ne(h2, h);
	close_handle(fd, 6, h, EBADF);
	close_handle(fd, 7, h2, 0);
	raw_ping_on(fd, 8);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_resize_foreign_handle)
{
	int base = daemon_fd_count(&d), a = raw_connect(&d), b = raw_connect(&d);
	uint64_t h1 = raw_open_on(a, 1, "foreign-1", true),
	         h2 = raw_open_on(a, 2, "foreign-2", true);
	uint64_t size = 0;

	/* b holds nothing: a's handle numbers mean nothing on b's connection. */
	ck_assert_int_eq(handle_op(b, WIRE_RESIZE, 3, h2, 8192, NULL), EBADF);
	close_handle(b, 4, h2, EBADF);
	/* Nor once b holds something (in slot 1, so the same number as a's h1). */
	uint64_t hb = raw_open_on(b, 5, "foreign-b", true);
	ck_assert_uint_ne(hb, h2);
	ck_assert_int_eq(handle_op(b, WIRE_RESIZE, 6, h2, 8192, NULL), EBADF);
	close_handle(b, 7, h2, EBADF);
	/* a's holds are untouched, and b's slot-1 handle is b's own hold. */
	ck_assert_int_eq(handle_op(a, WIRE_RESIZE, 8, h2, 8192, &size), 0);
	ck_assert_uint_eq(size, 8192);
	close_handle(a, 9, h2, 0);
	close_handle(a, 10, h1, 0);
	close_handle(b, 11, hb, 0);
	raw_ping_on(b, 12);
	close(a);
	close(b);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_resize_to_zero)
{
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	uint64_t h = raw_open_on(fd, 1, "not-to-zero", true);
	struct wire_request req = raw_open_req(3, "not-to-zero", 0);
	struct wire_reply rep;
	int got;

	ck_assert_int_eq(handle_op(fd, WIRE_RESIZE, 2, h, 0, NULL), EINVAL);
	/* The tag kept its size. */
	raw_send_req(fd, &req, NULL, 0);
	raw_expect_reply(fd, &rep, &got);
	ck_assert_int_ge(got, 0);
	close(got);
	ck_assert_int_eq(rep.op, WIRE_OPEN);
	ck_assert_uint_eq(rep.size, 4096);
	raw_ping_on(fd, 4);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

/* ---- clients that misbehave over time -------------------------------------------------------- */

START_TEST(test_badinput_connect_storm)
{
	int base = daemon_fd_count(&d);
	struct wire_request req = raw_open_req(1, "storm", 4096);

	for (int i = 0; i < 1000; i++)
		close(raw_connect(&d));
	/* And some that ask for a tag (a reply with a descriptor) and leave without reading. */
	for (int i = 0; i < 100; i++) {
		int fd = raw_connect(&d);
		raw_send_req(fd, &req, NULL, 0);
		close(fd);
	}
	raw_after_bad_client(&d, base);
	int fd = raw_connect(&d);
	raw_open_on(fd, 2, "storm", true);
	close(fd);
	raw_wait_daemon_fds(&d, base);
}
END_TEST

/* A client that fills the socket with requests while reading nothing (so it is throttled),
 * then shuts its writing side and starts reading: every request it sent is answered, in
 * order, before the daemon hangs up. */
START_TEST(test_badinput_throttled_half_close_answers_everything)
{
	int base = daemon_fd_count(&d), a = raw_connect(&d);
	uint8_t buf[WIRE_PACKET_MAX];
	int sent = 0;

	for (; sent < 2000; sent++) {
		struct wire_request req = raw_req(WIRE_PING, (uint64_t)sent + 1);
		int len = wire_encode_request(&req, buf, sizeof(buf));
		ssize_t n = send(a, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		ck_assert_int_eq(n, len);
	}
	ck_assert_int_gt(sent, 4); /* more than the daemon queues before throttling */
	ck_assert_int_eq(shutdown(a, SHUT_WR), 0);
	raw_sleep_ms(100); /* let the daemon see the hangup while it is throttled */
	for (int i = 0; i < sent; i++) {
		struct wire_reply rep;
		raw_expect_reply(a, &rep, NULL);
		ck_assert_msg(rep.op == WIRE_PING && rep.id == (uint64_t)i + 1,
		              "reply %d of %d: op %s, id %llu", i + 1, sent, wire_op_name(rep.op),
		              (unsigned long long)rep.id);
	}
	raw_expect_hangup(a);
	close(a);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_unread_replies_throttled)
{
	int base = daemon_fd_count(&d), a = raw_connect(&d), b = raw_connect(&d);
	struct wire_request req = raw_req(WIRE_PING, 1);
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
	int64_t full = raw_now_ms(), hup = -1;
	int pings = 0;
	/* Throttled, then cut off after about a second; b is served promptly all along. */
	while (raw_now_ms() - full < 5000) {
		ck_assert_int_ge(poll(&pa, 1, 0), 0);
		if (pa.revents & (POLLHUP | POLLERR)) {
			hup = raw_now_ms() - full;
			break;
		}
		int64_t t = raw_now_ms();
		raw_ping_on(b, id++);
		int64_t took = raw_now_ms() - t;
		ck_assert_msg(took < 500, "a ping took %lld ms while another client was throttled",
		              (long long)took);
		pings++;
		raw_sleep_ms(20);
	}
	ck_assert_msg(hup >= 0, "a client that reads nothing was not cut off in 5 s (%d sent)",
	              sent);
	ck_assert_msg(hup >= 300,
	              "cut off %lld ms after its socket filled, before the throttle time",
	              (long long)hup);
	ck_assert_int_ge(pings, 5);
	raw_ping_on(b, id);
	close(a);
	close(b);
	raw_after_bad_client(&d, base);
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
		ssize_t n = raw_recv_packet(fd, buf, sizeof(buf), &got);
		if (got >= 0)
			close(got);
		if (n == 0 || n == -ECONNRESET)
			return n_replies;
		ck_assert_msg(n > 0, "recv: %s", raw_errname((int)-n));
		ck_assert_int_eq(wire_decode_reply(buf, (size_t)n, &rep), 0);
		wire_reply_finish(&rep);
		ck_assert_uint_eq(rep.id, id);
		ck_assert_int_eq(rep.error, 0);
		ck_assert_int_lt(++n_replies, 2);
	}
}

START_TEST(test_badinput_half_close)
{
	int base = daemon_fd_count(&d), a = raw_connect(&d), b = raw_connect(&d);
	struct wire_request ping = raw_req(WIRE_PING, 5),
	                    opn = raw_open_req(6, "half-closed", 4096);

	/* A client that stops writing still gets the replies to what it sent, then a hangup. */
	raw_send_req(a, &ping, NULL, 0);
	ck_assert_int_eq(shutdown(a, SHUT_WR), 0);
	ck_assert_int_eq(replies_then_hangup(a, 5), 1);
	/* An open's reply carries a descriptor: it is delivered (and closed here), no copy stays. */
	raw_send_req(b, &opn, NULL, 0);
	ck_assert_int_eq(shutdown(b, SHUT_WR), 0);
	ck_assert_int_eq(replies_then_hangup(b, 6), 1);
	close(a);
	close(b);
	raw_after_bad_client(&d, base);
	/* The half-closed client's hold went with it. */
	int fd = raw_connect(&d);
	raw_open_on(fd, 7, "half-closed", true);
	close(fd);
	raw_wait_daemon_fds(&d, base);
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
	int ready = poll(&pf, 1, RAW_WAIT_MS) == 1 && read(p[0], &c, 1) == 1;
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
	raw_wait_daemon_fds(&d, base);
	int fd = raw_connect(&d);
	raw_open_on(fd, 1, "killed-0", true);
	raw_open_on(fd, 2, "killed-1", true);
	raw_open_on(fd, 3, "killed-2", true);
	close(fd);
	raw_after_bad_client(&d, base);
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
	tcase_add_test(tc, test_badinput_throttled_half_close_answers_everything);
	suite_add_tcase(s, tc);
	return s;
}
