/* check_wire_decode.c: the codec of proto/wire.h, backwards. The decoder refuses what wire.h
 * says it refuses (empty, no operation or result, another version, a NUL in a string, a string
 * over its bound, a bad errno, an unknown kind, a wrong wire type, an oversize packet, too
 * many tags), leaves its struct untouched when it does, skips unknown fields and keeps
 * protobuf's last-one-wins rule, and survives any bytes at all: random, mutated, cut short.
 *
 * The packets the encoder would refuse to make are written by hand (pbwriter.h); the message
 * builders below nest them into a Request or a Reply. The fuzzing uses fixed seeds, so every
 * run sees the same bytes.
 *
 * Not here: round trips and the encoder's refusals (check_wire.c), the daemon's answers to
 * such packets on a real socket (check_badwire.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "pbwriter.h"
#include "wire.h"
#include "wire_helpers.h"

/* Like ck_assert_msg, without the per-call bookkeeping that slows Check's asserts in loops. */
#define require(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* ---- messages by hand -------------------------------------------------------------------- */

/* A Request of our version with id 7 and the given operation (which it frees). */
static struct pb *pb_request(unsigned op_field, struct pb *op)
{
	struct pb *p = pb_new();
	pb_uint(p, REQ_VERSION, WIRE_VERSION);
	pb_uint(p, REQ_ID, 7);
	pb_msg(p, op_field, op);
	return p;
}

/* A Reply with id 9 and the given result (which it frees). */
static struct pb *pb_reply(unsigned result_field, struct pb *result)
{
	struct pb *p = pb_new();
	pb_uint(p, REP_ID, 9);
	pb_msg(p, result_field, result);
	return p;
}

static struct pb *pb_named(unsigned field, const char *name, size_t n)
{
	struct pb *p = pb_new();
	pb_bytes(p, field, name, n);
	return p;
}

static struct pb *pb_error(int64_t code, const char *message)
{
	struct pb *p = pb_new();
	pb_uint(p, ERR_CODE, (uint64_t)code);
	pb_str(p, ERR_MESSAGE, message);
	return p;
}

/* A ListReply holding the one tag given (which it frees). */
static struct pb *pb_list_with(struct pb *tag)
{
	struct pb *list = pb_new();
	pb_msg(list, LIST_TAGS, tag);
	return list;
}

static struct pb *pb_list_of(size_t n_tags)
{
	struct pb *list = pb_new();
	for (size_t i = 0; i < n_tags; i++) {
		struct pb *tag = pb_new();
		pb_str(tag, TAG_NAME, "t");
		pb_uint(tag, TAG_SIZE, i);
		pb_msg(list, LIST_TAGS, tag);
	}
	return list;
}

static uint8_t packet[2 * WIRE_PACKET_MAX];
static struct wire_request decoded_req;
static struct wire_reply decoded_rep;

/* Decodes p (and frees it) into decoded_req or decoded_rep. */
static int dec_req(struct pb *p)
{
	int r = wire_decode_request(p->b, p->n, &decoded_req);
	free(p);
	return r;
}

static int dec_rep(struct pb *p)
{
	int r = wire_decode_reply(p->b, p->n, &decoded_rep);
	free(p);
	return r;
}

/* Decodes a Request of our version carrying op, or a Reply carrying result (either freed). */
static int req_with(unsigned op_field, struct pb *op)
{
	return dec_req(pb_request(op_field, op));
}

static int rep_with(unsigned result_field, struct pb *result)
{
	return dec_rep(pb_reply(result_field, result));
}

static int enc_req(const struct wire_request *req)
{
	return wire_encode_request(req, packet, WIRE_PACKET_MAX);
}

static int enc_rep(const struct wire_reply *rep)
{
	return wire_encode_reply(rep, packet, WIRE_PACKET_MAX);
}

/* ---- the decoder's refusals -------------------------------------------------------------- */

START_TEST(test_wire_decode_zero_length_is_ebadmsg)
{
	ck_assert_int_eq(wire_decode_request(packet, 0, &decoded_req), -EBADMSG);
	ck_assert_int_eq(wire_decode_request(NULL, 0, &decoded_req), -EBADMSG);
	ck_assert_int_eq(wire_decode_reply(packet, 0, &decoded_rep), -EBADMSG);
	ck_assert_int_eq(wire_decode_reply(NULL, 0, &decoded_rep), -EBADMSG);
}
END_TEST

START_TEST(test_wire_decode_without_op_or_result_is_ebadmsg)
{
	struct pb *req = pb_new(), *rep = pb_new();

	pb_uint(req, REQ_VERSION, WIRE_VERSION);
	pb_uint(req, REQ_ID, 7);
	ck_assert_int_eq(dec_req(req), -EBADMSG);
	/* An operation this side does not know, at our version, is no operation. */
	ck_assert_int_eq(req_with(99, pb_new()), -EBADMSG);
	pb_uint(rep, REP_ID, 9);
	ck_assert_int_eq(dec_rep(rep), -EBADMSG);
	ck_assert_int_eq(rep_with(99, pb_new()), -EBADMSG);
}
END_TEST

/* A Request of the given version (none if 0), id and operation field, decoded. */
static int request_versioned(unsigned version, uint64_t id, unsigned op_field)
{
	struct pb *p = pb_new();

	if (version)
		pb_uint(p, REQ_VERSION, version);
	pb_uint(p, REQ_ID, id);
	pb_msg(p, op_field, pb_new());
	return dec_req(p);
}

START_TEST(test_wire_decode_wrong_version_is_eprotonosupport_with_id)
{
	struct wire_request req = request_of(WIRE_PING);
	struct wire_request out = {0};

	req.version = WIRE_VERSION + 1;
	req.id = 0x1234567890;
	int n = enc_req(&req);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(wire_decode_request(packet, (size_t)n, &out), -EPROTONOSUPPORT);
	ck_assert_uint_eq(out.id, 0x1234567890);
	/* No version field is version 0. */
	ck_assert_int_eq(request_versioned(0, 77, REQ_STAT), -EPROTONOSUPPORT);
	ck_assert_uint_eq(decoded_req.id, 77);
	/* A newer peer's unknown op is a version mismatch, not a malformed packet. */
	ck_assert_int_eq(request_versioned(WIRE_VERSION + 1, 78, 40), -EPROTONOSUPPORT);
	ck_assert_uint_eq(decoded_req.id, 78);
	ck_assert_int_eq(request_versioned(WIRE_VERSION, 79, REQ_STAT), 0);
}
END_TEST

/* A list reply whose one tag has field set to the n bytes of s, decoded. */
static int tag_with(unsigned field, const char *s, size_t n)
{
	return rep_with(REP_LIST, pb_list_with(pb_named(field, s, n)));
}

START_TEST(test_wire_decode_embedded_nul_is_ebadmsg)
{
	static const char nul[] = "ab\0cd", trailing[] = "abc\0";
	struct pb *err = pb_new();

	ck_assert_int_eq(req_with(REQ_OPEN, pb_named(OPEN_NAME, nul, 5)), -EBADMSG);
	ck_assert_int_eq(req_with(REQ_OPEN, pb_named(OPEN_NAME, trailing, 4)), -EBADMSG);
	ck_assert_int_eq(req_with(REQ_OPEN, pb_named(OPEN_NAME, "\0", 1)), -EBADMSG);
	ck_assert_int_eq(req_with(REQ_UNLINK, pb_named(1, nul, 5)), -EBADMSG);
	ck_assert_int_eq(req_with(REQ_LIST, pb_named(1, nul, 5)), -EBADMSG);
	ck_assert_int_eq(tag_with(TAG_NAME, nul, 5), -EBADMSG);
	ck_assert_int_eq(tag_with(TAG_CURSOR, nul, 5), -EBADMSG);
	pb_uint(err, ERR_CODE, EIO);
	pb_bytes(err, ERR_MESSAGE, nul, 5);
	ck_assert_int_eq(rep_with(REP_ERROR, err), -EBADMSG);
	/* The same strings without the NUL decode. */
	ck_assert_int_eq(req_with(REQ_OPEN, pb_named(OPEN_NAME, "abcd", 4)), 0);
	ck_assert_str_eq(decoded_req.name, "abcd");
	ck_assert_int_eq(tag_with(TAG_CURSOR, "abcd", 4), 0);
	ck_assert_str_eq(decoded_rep.tags[0].cursor, "abcd");
	wire_reply_finish(&decoded_rep);
}
END_TEST

START_TEST(test_wire_decode_over_long_name_is_ebadmsg)
{
	char s[WIRE_CURSOR_MAX + 2];

	fill_string(s, 'n', sizeof(s) - 1);
	ck_assert_int_eq(req_with(REQ_OPEN, pb_named(1, s, WIRE_NAME_MAX)), 0);
	ck_assert_uint_eq(strlen(decoded_req.name), WIRE_NAME_MAX);
	ck_assert_int_eq(req_with(REQ_OPEN, pb_named(1, s, WIRE_NAME_MAX + 1)), -EBADMSG);
	ck_assert_int_eq(req_with(REQ_UNLINK, pb_named(1, s, WIRE_NAME_MAX + 1)), -EBADMSG);
	ck_assert_int_eq(req_with(REQ_LIST, pb_named(1, s, WIRE_CURSOR_MAX)), 0);
	ck_assert_uint_eq(strlen(decoded_req.name), WIRE_CURSOR_MAX);
	ck_assert_int_eq(req_with(REQ_LIST, pb_named(1, s, WIRE_CURSOR_MAX + 1)), -EBADMSG);
	ck_assert_int_eq(tag_with(TAG_NAME, s, WIRE_NAME_MAX + 1), -EBADMSG);
	ck_assert_int_eq(tag_with(TAG_CURSOR, s, WIRE_CURSOR_MAX + 1), -EBADMSG);
}
END_TEST

START_TEST(test_wire_decode_bad_error_code_is_ebadmsg)
{
	ck_assert_int_eq(rep_with(REP_ERROR, pb_error(0, "zero")), -EBADMSG);
	ck_assert_int_eq(rep_with(REP_ERROR, pb_error(-5, "negative")), -EBADMSG);
	ck_assert_int_eq(rep_with(REP_ERROR, pb_error(4096, "too big")), -EBADMSG);
	ck_assert_int_eq(rep_with(REP_ERROR, pb_new()), -EBADMSG);
	ck_assert_int_eq(rep_with(REP_ERROR, pb_error(4095, "max")), 0);
	ck_assert_int_eq(decoded_rep.op, WIRE_NONE);
	ck_assert_int_eq(decoded_rep.error, 4095);
	ck_assert_uint_eq(decoded_rep.id, 9);
	ck_assert_str_eq(decoded_rep.message, "max");
}
END_TEST

START_TEST(test_wire_decode_long_error_message_is_cut)
{
	char message[WIRE_MESSAGE_MAX + 50];

	fill_string(message, 'm', sizeof(message) - 1);
	ck_assert_int_eq(rep_with(REP_ERROR, pb_error(EIO, message)), 0);
	ck_assert_uint_eq(strlen(decoded_rep.message), WIRE_MESSAGE_MAX);
	/* A two-byte character across the cut is left out whole. */
	memcpy(message + WIRE_MESSAGE_MAX - 1, "\xc3\xa9", 2);
	ck_assert_int_eq(rep_with(REP_ERROR, pb_error(EIO, message)), 0);
	ck_assert_uint_eq(strlen(decoded_rep.message), WIRE_MESSAGE_MAX - 1);
}
END_TEST

START_TEST(test_wire_decode_too_many_tags_is_ebadmsg)
{
	ck_assert_int_eq(rep_with(REP_LIST, pb_list_of(WIRE_LIST_MAX + 1)), -EBADMSG);
	ck_assert_int_eq(rep_with(REP_LIST, pb_list_of(WIRE_LIST_MAX)), 0);
	ck_assert_uint_eq(decoded_rep.n_tags, WIRE_LIST_MAX);
	ck_assert_uint_eq(decoded_rep.tags[WIRE_LIST_MAX - 1].size, WIRE_LIST_MAX - 1);
	wire_reply_finish(&decoded_rep);
	ck_assert_ptr_null(decoded_rep.tags);
	ck_assert_uint_eq(decoded_rep.n_tags, 0);
	wire_reply_finish(&decoded_rep);
	wire_reply_finish(NULL);
}
END_TEST

START_TEST(test_wire_decode_unknown_kind_is_ebadmsg)
{
	struct pb *opened = pb_new(), *tag = pb_new();

	pb_uint(opened, OPENR_KIND, 2);
	ck_assert_int_eq(rep_with(REP_OPEN, opened), -EBADMSG);
	pb_uint(tag, TAG_KIND, 7);
	ck_assert_int_eq(rep_with(REP_LIST, pb_list_with(tag)), -EBADMSG);
}
END_TEST

START_TEST(test_wire_decode_wrong_wire_type_is_ebadmsg)
{
	struct pb *op = pb_new(), *p = pb_new();

	pb_uint(op, OPEN_NAME, 5); /* a string sent as a varint */
	ck_assert_int_eq(req_with(REQ_OPEN, op), -EBADMSG);
	pb_uint(p, REQ_VERSION, WIRE_VERSION);
	pb_uint(p, REQ_OPEN, 1); /* a message sent as a varint */
	ck_assert_int_eq(dec_req(p), -EBADMSG);
}
END_TEST

START_TEST(test_wire_decode_oversize_packet_is_ebadmsg)
{
	static char filler[WIRE_PACKET_MAX];
	struct pb *p = pb_new();

	/* A valid request padded with an unknown field to exactly WIRE_PACKET_MAX bytes. */
	pb_uint(p, REQ_VERSION, WIRE_VERSION);
	pb_msg(p, REQ_STAT, pb_new());
	pb_bytes(p, 900, filler, WIRE_PACKET_MAX - p->n - 5); /* 2 bytes of key, 3 of length */
	ck_assert_uint_eq(p->n, WIRE_PACKET_MAX);
	ck_assert_int_eq(wire_decode_request(p->b, p->n, &decoded_req), 0);
	pb_uint(p, 901, 0);
	ck_assert_int_eq(dec_req(p), -EBADMSG);
}
END_TEST

START_TEST(test_wire_decode_failure_leaves_struct_untouched)
{
	static const uint8_t junk[] = {0x0a, 0x05, 0x01};
	struct wire_request req_before;
	struct wire_reply rep_before;

	memset(&decoded_req, 0x3c, sizeof(decoded_req));
	req_before = decoded_req;
	ck_assert_int_eq(wire_decode_request(junk, sizeof(junk), &decoded_req), -EBADMSG);
	ck_assert_mem_eq(&decoded_req, &req_before, sizeof(req_before));
	memset(&decoded_rep, 0x3c, sizeof(decoded_rep));
	rep_before = decoded_rep;
	ck_assert_int_eq(rep_with(REP_LIST, pb_list_of(WIRE_LIST_MAX + 1)), -EBADMSG);
	ck_assert_mem_eq(&decoded_rep, &rep_before, sizeof(rep_before));
}
END_TEST

/* ---- forward compatibility and protobuf's own rules -------------------------------------- */

START_TEST(test_wire_decode_ignores_unknown_fields)
{
	struct pb *op = pb_new(), *p = pb_new(), *tag = pb_new(), *list = pb_new();

	pb_unknown_fields(p);
	pb_uint(p, REQ_VERSION, WIRE_VERSION);
	pb_uint(p, REQ_ID, 7);
	pb_unknown_fields(op);
	pb_str(op, OPEN_NAME, "Global\\x");
	pb_uint(op, OPEN_LENGTH, 4096);
	pb_unknown_fields(op);
	pb_uint(op, OPEN_MODE, 0644);
	pb_msg(p, REQ_OPEN, op);
	pb_unknown_fields(p);
	ck_assert_int_eq(dec_req(p), 0);
	ck_assert_int_eq(decoded_req.op, WIRE_OPEN);
	ck_assert_uint_eq(decoded_req.id, 7);
	ck_assert_str_eq(decoded_req.name, "Global\\x");
	ck_assert_uint_eq(decoded_req.length, 4096);
	ck_assert_uint_eq(decoded_req.mode, 0644);

	pb_unknown_fields(tag);
	pb_str(tag, TAG_NAME, "t1");
	pb_str(tag, TAG_CURSOR, "c1");
	pb_unknown_fields(list);
	pb_msg(list, LIST_TAGS, tag);
	pb_uint(list, LIST_MORE, 1);
	p = pb_reply(REP_LIST, list);
	pb_unknown_fields(p);
	ck_assert_int_eq(dec_rep(p), 0);
	ck_assert_int_eq(decoded_rep.op, WIRE_LIST);
	ck_assert_uint_eq(decoded_rep.n_tags, 1);
	ck_assert_str_eq(decoded_rep.tags[0].name, "t1");
	ck_assert_str_eq(decoded_rep.tags[0].cursor, "c1");
	ck_assert(decoded_rep.more);
	wire_reply_finish(&decoded_rep);
}
END_TEST

START_TEST(test_wire_decode_last_op_and_field_win)
{
	struct pb *cl = pb_new(), *op = pb_named(OPEN_NAME, "first", 5), *p;

	/* protobuf's rule: of a oneof or a field given twice, the last one counts. */
	pb_uint(cl, CLOSE_HANDLE, 3);
	p = pb_request(REQ_OPEN, pb_named(OPEN_NAME, "a\0b", 3));
	pb_msg(p, REQ_CLOSE, cl);
	ck_assert_int_eq(dec_req(p), 0);
	ck_assert_int_eq(decoded_req.op, WIRE_CLOSE);
	ck_assert_uint_eq(decoded_req.handle, 3);
	ck_assert_str_eq(decoded_req.name, "");

	pb_str(op, OPEN_NAME, "second");
	pb_uint(op, OPEN_WRITABLE, 1);
	ck_assert_int_eq(req_with(REQ_OPEN, op), 0);
	ck_assert_str_eq(decoded_req.name, "second");
	ck_assert(decoded_req.writable);
}
END_TEST

/* ---- any bytes at all -------------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: a fixed seed makes every run see the same bytes. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static bool string_ok(const char *s, size_t bound)
{
	return strnlen(s, bound + 1) <= bound;
}

/* Decodes buf both ways; whatever it holds, the result is a refusal or a struct that keeps
 * every promise of wire.h. Returns how many of the two decodes succeeded. */
static int decode_anything(const uint8_t *buf, size_t len)
{
	struct wire_request req;
	struct wire_reply rep;
	int ok = 0;
	int r = wire_decode_request(buf, len, &req);

	require(r == 0 || r == -EBADMSG || r == -EPROTONOSUPPORT, "request decode gave %d", r);
	if (r == 0) {
		require(req.version == WIRE_VERSION && req.op > WIRE_NONE && req.op <= WIRE_PING,
		        "a decoded request without version or op");
		require(string_ok(req.name, WIRE_CURSOR_MAX), "request name over its bound");
		ok++;
	}
	r = wire_decode_reply(buf, len, &rep);
	require(r == 0 || r == -EBADMSG, "reply decode gave %d", r);
	if (r == 0) {
		require(rep.op <= WIRE_PING && (rep.op == WIRE_NONE) == (rep.error != 0),
		        "a reply that is neither a result nor an error");
		require(rep.error >= 0 && rep.error <= 4095, "error %d", rep.error);
		require(string_ok(rep.message, WIRE_MESSAGE_MAX), "message over its bound");
		require(rep.n_tags <= WIRE_LIST_MAX && (rep.n_tags == 0) == (rep.tags == NULL),
		        "bad tags");
		for (size_t i = 0; i < rep.n_tags; i++)
			require(string_ok(rep.tags[i].name, WIRE_NAME_MAX) &&
			                string_ok(rep.tags[i].cursor, WIRE_CURSOR_MAX),
			        "tag string over its bound");
		wire_reply_finish(&rep);
		ok++;
	}
	return ok;
}

START_TEST(test_wire_decode_random_bytes_never_crashes)
{
	uint8_t buf[512];

	rng_state = 0x6d6d617064ULL;
	for (int i = 0; i < 20000; i++) {
		size_t len = 1 + rng() % sizeof(buf);
		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rng();
		decode_anything(buf, len);
	}
}
END_TEST

/* A valid packet of each message kind, into packet; returns its length. */
static size_t sample_packet(int which)
{
	struct wire_request req = request_of(WIRE_OPEN);
	struct wire_reply rep = {.id = 12345, .op = WIRE_LIST, .more = true};
	int n;

	fill_string(req.name, 'o', 20);
	req.length = 1 << 20;
	req.writable = true;
	if (which == 0)
		return (size_t)enc_req(&req);
	rep.tags = tags_new(3, 10, 12);
	rep.n_tags = 3;
	n = enc_rep(&rep);
	free(rep.tags);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

START_TEST(test_wire_decode_mutated_packets_never_crash)
{
	uint8_t buf[WIRE_PACKET_MAX];
	int decoded = 0;

	rng_state = 0x77697265ULL;
	for (int which = 0; which < 2; which++) {
		size_t len = sample_packet(which);
		for (int i = 0; i < 10000; i++) {
			memcpy(buf, packet, len);
			for (uint64_t k = 1 + rng() % 4; k > 0; k--)
				buf[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
			decoded += decode_anything(buf, len);
		}
	}
	/* Flipping a bit or two leaves many packets valid; the check above saw them. */
	ck_assert_int_gt(decoded, 0);
}
END_TEST

START_TEST(test_wire_decode_every_prefix_is_refused_or_valid)
{
	for (int which = 0; which < 2; which++) {
		size_t len = sample_packet(which);

		/* Each prefix in a buffer of its own size, so a read past it is caught. */
		for (size_t n = 0; n < len; n++) {
			uint8_t *prefix = malloc(n ? n : 1);
			ck_assert_ptr_nonnull(prefix);
			memcpy(prefix, packet, n);
			int ok = decode_anything(prefix, n);
			free(prefix);
			if (n == 0)
				ck_assert_int_eq(ok, 0);
		}
		ck_assert_int_eq(decode_anything(packet, len), 1);
	}
}
END_TEST

Suite *wire_decode_suite(void)
{
	Suite *s = suite_create("wire_decode");
	TCase *tc = tcase_new("decode");

	tcase_add_test(tc, test_wire_decode_zero_length_is_ebadmsg);
	tcase_add_test(tc, test_wire_decode_without_op_or_result_is_ebadmsg);
	tcase_add_test(tc, test_wire_decode_wrong_version_is_eprotonosupport_with_id);
	tcase_add_test(tc, test_wire_decode_embedded_nul_is_ebadmsg);
	tcase_add_test(tc, test_wire_decode_over_long_name_is_ebadmsg);
	tcase_add_test(tc, test_wire_decode_bad_error_code_is_ebadmsg);
	tcase_add_test(tc, test_wire_decode_long_error_message_is_cut);
	tcase_add_test(tc, test_wire_decode_too_many_tags_is_ebadmsg);
	tcase_add_test(tc, test_wire_decode_unknown_kind_is_ebadmsg);
	tcase_add_test(tc, test_wire_decode_wrong_wire_type_is_ebadmsg);
	tcase_add_test(tc, test_wire_decode_oversize_packet_is_ebadmsg);
	tcase_add_test(tc, test_wire_decode_failure_leaves_struct_untouched);
	tcase_add_test(tc, test_wire_decode_ignores_unknown_fields);
	tcase_add_test(tc, test_wire_decode_last_op_and_field_win);
	suite_add_tcase(s, tc);

	tc = tcase_new("fuzz");
	tcase_add_test(tc, test_wire_decode_random_bytes_never_crashes);
	tcase_add_test(tc, test_wire_decode_mutated_packets_never_crash);
	tcase_add_test(tc, test_wire_decode_every_prefix_is_refused_or_valid);
	suite_add_tcase(s, tc);
	return s;
}
