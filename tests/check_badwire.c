/* check_badwire.c: malformed packets and fields against a real mmapd: undecodable bytes,
 * garbage, requests with no or an unknown operation or another version, packets at, over and
 * under the size limit, names, lengths and modes no tag may have, and unlinking a tag that is
 * not there. check_badinput.c does descriptors, handles and misbehaving clients, and explains
 * the approach: a daemon per test, raw SOCK_SEQPACKET connections (rawwire.h), exact errors,
 * and after every bad client a check that the daemon holds what it held before, still answers
 * others and still serves a tag.
 *
 * Protobuf the encoder would refuse to make (a NUL in a name, a name over the bound, unknown
 * fields) is written by hand with pbwriter.h: a key is field << 3 | wire type, as a varint.
 *
 * Not here: the raw client (rawwire.c), the codec's own refusals without a daemon
 * (check_wire_decode.c).
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "pbwriter.h"
#include "rawwire.h"
#include "wire.h"

static struct test_daemon d;

static void start(void)
{
	daemon_start(&d, NULL);
}

static void stop(void)
{
	daemon_stop(&d);
}

/* ---- hand-made requests ---------------------------------------------------------------------- */

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
	pb_bytes(&out, op_field, in.b, in.n);
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
	memset(b.b + b.n, 'p', pad);
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
	int base = daemon_fd_count(&d), fd = raw_connect(&d);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_send_packet(fd, bad[i].bytes, bad[i].n, NULL, 0);
		raw_expect_error(fd, 0, EBADMSG);
	}
	/* With a descriptor attached: refused the same way, and the descriptor closed. */
	struct raw_probe p = raw_probe_pipe();
	raw_send_packet(fd, bad[0].bytes, bad[0].n, &p.w, 1);
	raw_expect_error(fd, 0, EBADMSG);
	raw_probe_expect_closed(&p);
	raw_ping_on(fd, 42);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_garbage)
{
	static const uint64_t seeds[] = {1, 2, 3, 0x5eed, 0xdeadbeef, 0x123456789abcdef};
	static uint8_t buf[4096];
	struct wire_request req;
	int base = daemon_fd_count(&d), fd = raw_connect(&d);

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
			raw_send_packet(fd, buf, n, NULL, 0);
			raw_expect_error(fd, 0, EBADMSG);
		}
	}
	raw_ping_on(fd, 7);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_no_op)
{
	static const uint8_t no_op[] = {0x08, WIRE_VERSION, 0x10, 0x05},
	                     bare[] = {0x08, WIRE_VERSION};
	int base = daemon_fd_count(&d), fd = raw_connect(&d);

	raw_send_packet(fd, no_op, sizeof(no_op), NULL, 0);
	raw_expect_error(fd, 0, EBADMSG);
	raw_send_packet(fd, bare, sizeof(bare), NULL, 0);
	raw_expect_error(fd, 0, EBADMSG);
	raw_ping_on(fd, 6);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_wrong_version)
{
	static const uint32_t versions[] = {0, WIRE_VERSION + 1, UINT32_MAX};
	int base = daemon_fd_count(&d), fd = raw_connect(&d);

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct wire_request req = raw_req(WIRE_PING, 77 + i);
		req.version = versions[i];
		raw_send_req(fd, &req, NULL, 0);
		raw_expect_error(fd, 77 + i, EPROTONOSUPPORT);
	}
	/* A descriptor on it is closed too. */
	struct raw_probe p = raw_probe_pipe();
	struct wire_request req = raw_req(WIRE_PING, UINT64_MAX);
	req.version = WIRE_VERSION + 1;
	raw_send_req(fd, &req, &p.w, 1);
	raw_expect_error(fd, UINT64_MAX, EPROTONOSUPPORT);
	raw_probe_expect_closed(&p);
	raw_ping_on(fd, 80);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_unknown_op)
{
	uint8_t buf[64];
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	struct pb b = {buf, 0, sizeof(buf)};

	/* Op field 99: an operation this daemon does not know decodes as none. */
	pb_uint(&b, 1, WIRE_VERSION);
	pb_uint(&b, 2, 9);
	pb_bytes(&b, 99, NULL, 0);
	raw_send_packet(fd, buf, b.n, NULL, 0);
	raw_expect_error(fd, 0, EBADMSG);
	/* The next free number, 17, with a body. */
	b.n = 0;
	pb_uint(&b, 1, WIRE_VERSION);
	pb_uint(&b, 2, 10);
	pb_bytes(&b, 17, "\x08\x01", 2);
	raw_send_packet(fd, buf, b.n, NULL, 0);
	raw_expect_error(fd, 0, EBADMSG);
	/* From a newer peer (another version), it is a version mismatch, id echoed. */
	b.n = 0;
	pb_uint(&b, 1, WIRE_VERSION + 1);
	pb_uint(&b, 2, 11);
	pb_bytes(&b, 99, NULL, 0);
	raw_send_packet(fd, buf, b.n, NULL, 0);
	raw_expect_error(fd, 11, EPROTONOSUPPORT);
	raw_ping_on(fd, 12);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

/* ---- packet size ----------------------------------------------------------------------------- */

START_TEST(test_badinput_packet_at_limit_served)
{
	static uint8_t buf[WIRE_PACKET_MAX];
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	struct wire_reply rep;

	raw_send_packet(fd, buf, padded_ping(buf, WIRE_PACKET_MAX, 3), NULL, 0);
	raw_expect_reply(fd, &rep, NULL);
	ck_assert_msg(rep.op == WIRE_PING && rep.id == 3, "op %s, error %s, id %" PRIu64,
	              wire_op_name(rep.op), raw_errname(rep.error), rep.id);
	raw_ping_on(fd, 4);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_packet_one_over_limit)
{
	static uint8_t buf[WIRE_PACKET_MAX + 1];
	int base = daemon_fd_count(&d), fd = raw_connect(&d);

	/* A well-formed ping, but one byte over the cap: refused, and the connection closed. */
	raw_send_packet(fd, buf, padded_ping(buf, sizeof(buf), 3), NULL, 0);
	raw_expect_error(fd, 0, EMSGSIZE);
	raw_expect_hangup(fd);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_oversize_packet)
{
	static uint8_t buf[100000];
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	struct raw_probe p = raw_probe_pipe();

	memset(buf, 0x5a, sizeof(buf));
	raw_send_packet(fd, buf, sizeof(buf), &p.w, 1);
	raw_expect_error(fd, 0, EMSGSIZE);
	raw_expect_hangup(fd);
	raw_probe_expect_closed(&p);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_zero_length_packet)
{
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	struct raw_probe p = raw_probe_pipe();

	/* Every packet carries a byte: an empty one reads as the peer's hangup. */
	raw_send_packet(fd, "", 0, NULL, 0);
	raw_expect_hangup(fd);
	close(fd);
	/* With a descriptor on it: the same, and the descriptor closed. */
	fd = raw_connect(&d);
	raw_send_packet(fd, "", 0, &p.w, 1);
	raw_expect_hangup(fd);
	raw_probe_expect_closed(&p);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

/* ---- names ----------------------------------------------------------------------------------- */

START_TEST(test_badinput_name_with_nul)
{
	static uint8_t buf[1024];
	static const char *const names[] = {"ab\0cd", "abc\0", "\0abc", "Global\\x\0y"};
	static const size_t lens[] = {5, 4, 4, 10};
	int base = daemon_fd_count(&d), fd = raw_connect(&d);

	for (size_t i = 0; i < 4; i++) {
		raw_send_packet(fd, buf,
		                raw_string_req(buf, sizeof(buf), 50 + i, 10, names[i], lens[i]),
		                NULL, 0);
		raw_expect_error(fd, 0, EBADMSG);
	}
	raw_send_packet(fd, buf, raw_string_req(buf, sizeof(buf), 60, 13, "ab\0cd", 5), NULL, 0);
	raw_expect_error(fd, 0, EBADMSG);
	/* The part before the NUL was not created by any of them. */
	raw_open_on(fd, 61, "ab", true);
	raw_ping_on(fd, 62);
	close(fd);
	raw_after_bad_client(&d, base);
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
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	uint64_t id = 100;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct wire_request req = raw_open_req(id, bad[i], 4096);
		raw_send_req(fd, &req, NULL, 0);
		raw_expect_error(fd, id++, EINVAL);
		req = raw_req(WIRE_UNLINK, id);
		snprintf(req.name, sizeof(req.name), "%s", bad[i]);
		raw_send_req(fd, &req, NULL, 0);
		raw_expect_error(fd, id++, EINVAL);
	}
	memset(huge, 'n', 256);
	huge[256] = '\0';
	struct wire_request req = raw_open_req(id, huge, 4096);
	raw_send_req(fd, &req, NULL, 0);
	raw_expect_error(fd, id++, EINVAL);
	/* 255 is the longest name, and Global\ does not count. */
	snprintf(req.name, sizeof(req.name), "Global\\%.255s", huge);
	req.id = id;
	raw_send_req(fd, &req, NULL, 0);
	raw_expect_open(fd, id++, true);
	raw_ping_on(fd, id);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_name_too_long)
{
	static uint8_t buf[8192], name[5000];
	static const size_t lens[] = {WIRE_NAME_MAX + 1, WIRE_CURSOR_MAX + 1, sizeof(name)};
	int base = daemon_fd_count(&d), fd = raw_connect(&d);

	memset(name, 'n', sizeof(name));
	for (size_t i = 0; i < 3; i++) {
		raw_send_packet(fd, buf, raw_string_req(buf, sizeof(buf), 70, 10, name, lens[i]),
		                NULL, 0);
		raw_expect_error(fd, 0, EBADMSG);
		raw_send_packet(fd, buf, raw_string_req(buf, sizeof(buf), 71, 13, name, lens[i]),
		                NULL, 0);
		raw_expect_error(fd, 0, EBADMSG);
	}
	/* A list cursor is allowed WIRE_CURSOR_MAX bytes, and no more. */
	raw_send_packet(fd, buf,
	                raw_string_req(buf, sizeof(buf), 72, 14, name, WIRE_CURSOR_MAX + 1), NULL,
	                0);
	raw_expect_error(fd, 0, EBADMSG);
	raw_ping_on(fd, 73);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

/* ---- lengths, modes, missing tags ------------------------------------------------------------ */

START_TEST(test_badinput_absurd_length)
{
	static const uint64_t lengths[] = {UINT64_MAX, UINT64_C(1) << 62, (uint64_t)INT64_MAX + 1,
	                                   UINT64_MAX - 4095};
	int base = daemon_fd_count(&d), fd = raw_connect(&d);
	/* A tag already charged to this user, so that a quota sum could wrap if it were naive. */
	uint64_t held = raw_open_on(fd, 1, "already-held", true);

	(void)held;
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		struct wire_request req = raw_open_req(10 + i, "huge", lengths[i]);
		struct wire_reply rep;
		int got;
		raw_send_req(fd, &req, NULL, 0);
		raw_expect_reply(fd, &rep, &got);
		if (got >= 0)
			close(got);
		ck_assert_msg(rep.op == WIRE_NONE && rep.id == 10 + i,
		              "length %#" PRIx64 ": op %s, id %" PRIu64, lengths[i],
		              wire_op_name(rep.op), rep.id);
		ck_assert_msg(rep.error == EFBIG || rep.error == ENOMEM || rep.error == EDQUOT ||
		                      rep.error == EINVAL,
		              "length %#" PRIx64 ": %s", lengths[i], raw_errname(rep.error));
		/* Which one: the quota (4 GiB a user by default) is the first to refuse. */
		ck_assert_msg(rep.error == EDQUOT, "length %#" PRIx64 ": %s, not EDQUOT",
		              lengths[i], raw_errname(rep.error));
	}
	raw_open_on(fd, 20, "huge", true);
	raw_ping_on(fd, 21);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_bad_mode)
{
	static const uint32_t modes[] = {07777, 04600, 01600, 01000, UINT32_MAX};
	int base = daemon_fd_count(&d), fd = raw_connect(&d);

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		struct wire_request req = raw_open_req(i + 1, "moded", 4096);
		req.mode = modes[i];
		raw_send_req(fd, &req, NULL, 0);
		raw_expect_error(fd, i + 1, EINVAL);
	}
	raw_open_on(fd, 50, "moded", true);
	raw_ping_on(fd, 51);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

START_TEST(test_badinput_unlink_missing)
{
	static const char *const names[] = {"never-made", "Global\\never-made", "Local\\never"};
	int base = daemon_fd_count(&d), fd = raw_connect(&d);

	for (size_t i = 0; i < 3; i++) {
		struct wire_request req = raw_req(WIRE_UNLINK, 1 + i);
		snprintf(req.name, sizeof(req.name), "%s", names[i]);
		raw_send_req(fd, &req, NULL, 0);
		raw_expect_error(fd, 1 + i, ENOENT);
	}
	raw_ping_on(fd, 9);
	close(fd);
	raw_after_bad_client(&d, base);
}
END_TEST

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
