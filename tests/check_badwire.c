/* check_badwire.c: malformed packets and fields against a real mmapd: undecodable bytes,
 * garbage, requests with no or an unknown operation or another version, packets at, over and
 * under the size limit, names, lengths and modes no tag may have, and unlinking a tag that is
 * not there. check_badinput.c does descriptors, handles and misbehaving clients, and explains
 * the approach: a daemon per test, raw SOCK_SEQPACKET connections, exact errors, and after
 * every bad client a check that the daemon holds what it held before, still answers others
 * and still serves a tag.
 *
 * Protobuf the encoder would refuse to make (a NUL in a name, a name over the bound, unknown
 * fields) is written by hand here: a key is field << 3 | wire type, as a varint.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

static void stop(void)
{
	daemon_stop(&d);
}

/* ---- time, names of errors ------------------------------------------------------------------- */

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

/* ---- the daemon's descriptors ---------------------------------------------------------------- */

/* Waits up to WAIT_MS for the daemon to hold base descriptors again. */
static void wait_daemon_fds(int base)
{
	int64_t end = now_ms() + WAIT_MS;
	int n;

	while ((n = daemon_fd_count(&d)) != base && now_ms() < end)
		sleep_ms(10);
	ck_assert_msg(n == base, "mmapd holds %d descriptors, %d before the client came", n, base);
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

/* ---- hand-made protobuf ---------------------------------------------------------------------- */

struct pb {
	uint8_t *p;
	size_t n, cap;
};

static void pb_raw(struct pb *b, const void *data, size_t n)
{
	ck_assert_uint_le(b->n + n, b->cap);
	if (n)
		memcpy(b->p + b->n, data, n);
	b->n += n;
}

static void pb_varint(struct pb *b, uint64_t v)
{
	do {
		uint8_t c = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			c |= 0x80;
		pb_raw(b, &c, 1);
	} while (v);
}

static void pb_uint(struct pb *b, unsigned field, uint64_t v)
{
	pb_varint(b, (uint64_t)field << 3);
	pb_varint(b, v);
}

static void pb_bytes(struct pb *b, unsigned field, const void *data, size_t n)
{
	pb_varint(b, (uint64_t)field << 3 | 2);
	pb_varint(b, n);
	pb_raw(b, data, n);
}

/* A request whose operation op_field holds one string (field 1) of n bytes, taken as they are;
 * an open (field 10) also asks for 4096 writable bytes. */
static size_t raw_string_req(uint8_t *buf, size_t cap, uint64_t id, unsigned op_field,
                             const void *s, size_t n)
{
	static uint8_t inner_buf[8192];
	struct pb in = {inner_buf, 0, sizeof(inner_buf)}, out = {buf, 0, cap};

	pb_bytes(&in, 1, s, n);
	if (op_field == 10) {
		pb_uint(&in, 2, 4096);
		pb_uint(&in, 4, 1);
	}
	pb_uint(&out, 1, WIRE_VERSION);
	pb_uint(&out, 2, id);
	pb_bytes(&out, op_field, in.p, in.n);
	return out.n;
}

/* A valid ping of exactly len bytes: padded with an unknown field, which protobuf skips. */
static size_t padded_ping(uint8_t *buf, size_t len, uint64_t id)
{
	struct pb b = {buf, 0, len};

	pb_uint(&b, 1, WIRE_VERSION);
	pb_uint(&b, 2, id);
	pb_bytes(&b, 16, NULL, 0);
	/* The padding field's key takes 2 bytes and its length 3 (16 KiB .. 2 MiB). */
	size_t pad = len - b.n - 5;
	ck_assert(pad >= 16384 && pad < 2097152);
	pb_varint(&b, 50 << 3 | 2);
	pb_varint(&b, pad);
	memset(b.p + b.n, 'p', pad);
	b.n += pad;
	ck_assert_uint_eq(b.n, len);
	return b.n;
}

/* ---- undecodable packets --------------------------------------------------------------------- */

START_TEST(test_badinput_undecodable)
{
	static const struct {
		uint8_t bytes[8];
		size_t n;
	} bad[] = {
	        {{0x10, 0xff}, 2},                         /* a varint cut short */
	        {{0x82, 0x01, 0x05, 0x00}, 4},             /* a field longer than the packet */
	        {{0x0f}, 1},                               /* wire type 7 */
	        {{0x00, 0x01}, 2},                         /* field number 0 */
	        {{0x08, 0x01, 0x52, 0x02, 0xff, 0xff}, 6}, /* an open that is not a message */
	};
	int base = daemon_fd_count(&d), fd = connect_ok();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		send_packet(fd, bad[i].bytes, bad[i].n, NULL, 0);
		expect_error(fd, 0, EBADMSG);
	}
	/* With a descriptor attached: refused the same way, and the descriptor closed. */
	struct probe p = probe_pipe();
	send_packet(fd, bad[0].bytes, bad[0].n, &p.w, 1);
	expect_error(fd, 0, EBADMSG);
	probe_expect_closed(&p);
	ping_on(fd, 42);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_garbage)
{
	static const uint64_t seeds[] = {1, 2, 3, 0x5eed, 0xdeadbeef, 0x123456789abcdef};
	static uint8_t buf[4096];
	struct wire_request req;
	int base = daemon_fd_count(&d), fd = connect_ok();

	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		uint64_t x = seeds[s];
		for (int round = 0; round < 4; round++) {
			size_t n = 1 + (size_t)(x % sizeof(buf));
			for (size_t i = 0; i < n; i++) {
				x ^= x << 13; /* xorshift64 */
				x ^= x >> 7;
				x ^= x << 17;
				buf[i] = (uint8_t)(x >> 32);
			}
			/* The premise: these bytes are no request (fixed seeds, so it holds always). */
			ck_assert_int_eq(wire_decode_request(buf, n, &req), -EBADMSG);
			send_packet(fd, buf, n, NULL, 0);
			expect_error(fd, 0, EBADMSG);
		}
	}
	ping_on(fd, 7);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_no_op)
{
	static const uint8_t no_op[] = {0x08, WIRE_VERSION, 0x10, 0x05},
	                     bare[] = {0x08, WIRE_VERSION};
	int base = daemon_fd_count(&d), fd = connect_ok();

	send_packet(fd, no_op, sizeof(no_op), NULL, 0);
	expect_error(fd, 0, EBADMSG);
	send_packet(fd, bare, sizeof(bare), NULL, 0);
	expect_error(fd, 0, EBADMSG);
	ping_on(fd, 6);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_wrong_version)
{
	static const uint32_t versions[] = {0, WIRE_VERSION + 1, UINT32_MAX};
	int base = daemon_fd_count(&d), fd = connect_ok();

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct wire_request req = mkreq(WIRE_PING, 77 + i);
		req.version = versions[i];
		send_req(fd, &req, NULL, 0);
		expect_error(fd, 77 + i, EPROTONOSUPPORT);
	}
	/* A descriptor on it is closed too. */
	struct probe p = probe_pipe();
	struct wire_request req = mkreq(WIRE_PING, UINT64_MAX);
	req.version = WIRE_VERSION + 1;
	send_req(fd, &req, &p.w, 1);
	expect_error(fd, UINT64_MAX, EPROTONOSUPPORT);
	probe_expect_closed(&p);
	ping_on(fd, 80);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_unknown_op)
{
	uint8_t buf[64];
	int base = daemon_fd_count(&d), fd = connect_ok();
	struct pb b = {buf, 0, sizeof(buf)};

	/* Op field 99: an operation this daemon does not know decodes as none. */
	pb_uint(&b, 1, WIRE_VERSION);
	pb_uint(&b, 2, 9);
	pb_bytes(&b, 99, NULL, 0);
	send_packet(fd, buf, b.n, NULL, 0);
	expect_error(fd, 0, EBADMSG);
	/* The next free number, 17, with a body. */
	b.n = 0;
	pb_uint(&b, 1, WIRE_VERSION);
	pb_uint(&b, 2, 10);
	pb_bytes(&b, 17, "\x08\x01", 2);
	send_packet(fd, buf, b.n, NULL, 0);
	expect_error(fd, 0, EBADMSG);
	/* From a newer peer (another version), it is a version mismatch, id echoed. */
	b.n = 0;
	pb_uint(&b, 1, WIRE_VERSION + 1);
	pb_uint(&b, 2, 11);
	pb_bytes(&b, 99, NULL, 0);
	send_packet(fd, buf, b.n, NULL, 0);
	expect_error(fd, 11, EPROTONOSUPPORT);
	ping_on(fd, 12);
	close(fd);
	after_bad_client(base);
}
END_TEST

/* ---- packet size ----------------------------------------------------------------------------- */

START_TEST(test_badinput_packet_at_limit_served)
{
	static uint8_t buf[WIRE_PACKET_MAX];
	int base = daemon_fd_count(&d), fd = connect_ok();
	struct wire_reply rep;

	send_packet(fd, buf, padded_ping(buf, WIRE_PACKET_MAX, 3), NULL, 0);
	expect_reply(fd, &rep, NULL);
	ck_assert_msg(rep.op == WIRE_PING && rep.id == 3, "op %s, error %s, id %" PRIu64,
	              wire_op_name(rep.op), errname(rep.error), rep.id);
	ping_on(fd, 4);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_packet_one_over_limit)
{
	static uint8_t buf[WIRE_PACKET_MAX + 1];
	int base = daemon_fd_count(&d), fd = connect_ok();

	/* A well-formed ping, but one byte over the cap: refused, and the connection closed. */
	send_packet(fd, buf, padded_ping(buf, sizeof(buf), 3), NULL, 0);
	expect_error(fd, 0, EMSGSIZE);
	expect_hangup(fd);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_oversize_packet)
{
	static uint8_t buf[100000];
	int base = daemon_fd_count(&d), fd = connect_ok();
	struct probe p = probe_pipe();

	memset(buf, 0x5a, sizeof(buf));
	send_packet(fd, buf, sizeof(buf), &p.w, 1);
	expect_error(fd, 0, EMSGSIZE);
	expect_hangup(fd);
	probe_expect_closed(&p);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_zero_length_packet)
{
	int base = daemon_fd_count(&d), fd = connect_ok();
	struct probe p = probe_pipe();

	/* Every packet carries a byte: an empty one reads as the peer's hangup. */
	send_packet(fd, "", 0, NULL, 0);
	expect_hangup(fd);
	close(fd);
	/* With a descriptor on it: the same, and the descriptor closed. */
	fd = connect_ok();
	send_packet(fd, "", 0, &p.w, 1);
	expect_hangup(fd);
	probe_expect_closed(&p);
	close(fd);
	after_bad_client(base);
}
END_TEST

/* ---- names ----------------------------------------------------------------------------------- */

START_TEST(test_badinput_name_with_nul)
{
	static uint8_t buf[1024];
	static const char *const names[] = {"ab\0cd", "abc\0", "\0abc", "Global\\x\0y"};
	static const size_t lens[] = {5, 4, 4, 10};
	int base = daemon_fd_count(&d), fd = connect_ok();

	for (size_t i = 0; i < 4; i++) {
		send_packet(fd, buf,
		            raw_string_req(buf, sizeof(buf), 50 + i, 10, names[i], lens[i]), NULL,
		            0);
		expect_error(fd, 0, EBADMSG);
	}
	send_packet(fd, buf, raw_string_req(buf, sizeof(buf), 60, 13, "ab\0cd", 5), NULL, 0);
	expect_error(fd, 0, EBADMSG);
	/* The part before the NUL was not created by any of them. */
	open_on(fd, 61, "ab", true);
	ping_on(fd, 62);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_bad_names)
{
	static const char *const bad[] = {"",
	                                  "../x",
	                                  "a/b",
	                                  "Global\\",
	                                  "x\x01y",
	                                  "Local\\",
	                                  "Global\\a/b",
	                                  "global\\x",
	                                  "tab\tx",
	                                  "del\x7f",
	                                  "Global\\Local\\x"};
	char huge[257];
	int base = daemon_fd_count(&d), fd = connect_ok();
	uint64_t id = 100;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wire_request req = open_req(id, bad[i], 4096);
		send_req(fd, &req, NULL, 0);
		expect_error(fd, id++, EINVAL);
		req = mkreq(WIRE_UNLINK, id);
		snprintf(req.name, sizeof(req.name), "%s", bad[i]);
		send_req(fd, &req, NULL, 0);
		expect_error(fd, id++, EINVAL);
	}
	memset(huge, 'n', 256);
	huge[256] = '\0';
	struct wire_request req = open_req(id, huge, 4096);
	send_req(fd, &req, NULL, 0);
	expect_error(fd, id++, EINVAL);
	/* 255 is the longest name, and Global\ does not count. */
	snprintf(req.name, sizeof(req.name), "Global\\%.255s", huge);
	req.id = id;
	send_req(fd, &req, NULL, 0);
	expect_open(fd, id++, true);
	ping_on(fd, id);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_name_too_long)
{
	static uint8_t buf[8192], name[5000];
	static const size_t lens[] = {WIRE_NAME_MAX + 1, WIRE_CURSOR_MAX + 1, sizeof(name)};
	int base = daemon_fd_count(&d), fd = connect_ok();

	memset(name, 'n', sizeof(name));
	for (size_t i = 0; i < 3; i++) {
		send_packet(fd, buf, raw_string_req(buf, sizeof(buf), 70, 10, name, lens[i]), NULL,
		            0);
		expect_error(fd, 0, EBADMSG);
		send_packet(fd, buf, raw_string_req(buf, sizeof(buf), 71, 13, name, lens[i]), NULL,
		            0);
		expect_error(fd, 0, EBADMSG);
	}
	/* A list cursor is allowed WIRE_CURSOR_MAX bytes, and no more. */
	send_packet(fd, buf, raw_string_req(buf, sizeof(buf), 72, 14, name, WIRE_CURSOR_MAX + 1),
	            NULL, 0);
	expect_error(fd, 0, EBADMSG);
	ping_on(fd, 73);
	close(fd);
	after_bad_client(base);
}
END_TEST

/* ---- lengths, modes, missing tags ------------------------------------------------------------ */

START_TEST(test_badinput_absurd_length)
{
	static const uint64_t lengths[] = {UINT64_MAX, UINT64_C(1) << 62, (uint64_t)INT64_MAX + 1,
	                                   UINT64_MAX - 4095};
	int base = daemon_fd_count(&d), fd = connect_ok();
	/* A tag already charged to this user, so that a quota sum could wrap if it were naive. */
	uint64_t held = open_on(fd, 1, "already-held", true);

	(void)held;
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		struct wire_request req = open_req(10 + i, "huge", lengths[i]);
		struct wire_reply rep;
		int got;
		send_req(fd, &req, NULL, 0);
		expect_reply(fd, &rep, &got);
		if (got >= 0)
			close(got);
		ck_assert_msg(rep.op == WIRE_NONE && rep.id == 10 + i,
		              "length %#" PRIx64 ": op %s, id %" PRIu64, lengths[i],
		              wire_op_name(rep.op), rep.id);
		ck_assert_msg(rep.error == EFBIG || rep.error == ENOMEM || rep.error == EDQUOT ||
		                      rep.error == EINVAL,
		              "length %#" PRIx64 ": %s", lengths[i], errname(rep.error));
		/* Which one: the quota (4 GiB a user by default) is the first to refuse. */
		ck_assert_msg(rep.error == EDQUOT, "length %#" PRIx64 ": %s, not EDQUOT",
		              lengths[i], errname(rep.error));
	}
	open_on(fd, 20, "huge", true);
	ping_on(fd, 21);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_bad_mode)
{
	static const uint32_t modes[] = {07777, 04600, 01600, 01000, UINT32_MAX};
	int base = daemon_fd_count(&d), fd = connect_ok();

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct wire_request req = open_req(i + 1, "moded", 4096);
		req.mode = modes[i];
		send_req(fd, &req, NULL, 0);
		expect_error(fd, i + 1, EINVAL);
	}
	open_on(fd, 50, "moded", true);
	ping_on(fd, 51);
	close(fd);
	after_bad_client(base);
}
END_TEST

START_TEST(test_badinput_unlink_missing)
{
	static const char *const names[] = {"never-made", "Global\\never-made", "Local\\never"};
	int base = daemon_fd_count(&d), fd = connect_ok();

	for (size_t i = 0; i < 3; i++) {
		struct wire_request req = mkreq(WIRE_UNLINK, 1 + i);
		snprintf(req.name, sizeof(req.name), "%s", names[i]);
		send_req(fd, &req, NULL, 0);
		expect_error(fd, 1 + i, ENOENT);
	}
	ping_on(fd, 9);
	close(fd);
	after_bad_client(base);
}
END_TEST

/* Declared here until tests/helpers.h declares it with the other suites. */
Suite *badwire_suite(void);

Suite *badwire_suite(void)
{
	Suite *s = suite_create("badwire");
	TCase *tc;

	tc = tcase_new("packets");
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_badinput_undecodable);
	tcase_add_test(tc, test_badinput_garbage);
	tcase_add_test(tc, test_badinput_no_op);
	tcase_add_test(tc, test_badinput_wrong_version);
	tcase_add_test(tc, test_badinput_unknown_op);
	suite_add_tcase(s, tc);

	tc = tcase_new("size");
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_badinput_packet_at_limit_served);
	tcase_add_test(tc, test_badinput_packet_one_over_limit);
	tcase_add_test(tc, test_badinput_oversize_packet);
	tcase_add_test(tc, test_badinput_zero_length_packet);
	suite_add_tcase(s, tc);

	tc = tcase_new("fields");
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_badinput_name_with_nul);
	tcase_add_test(tc, test_badinput_bad_names);
	tcase_add_test(tc, test_badinput_name_too_long);
	tcase_add_test(tc, test_badinput_absurd_length);
	tcase_add_test(tc, test_badinput_bad_mode);
	tcase_add_test(tc, test_badinput_unlink_missing);
	suite_add_tcase(s, tc);
	return s;
}
