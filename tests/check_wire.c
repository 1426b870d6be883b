/* check_wire.c: the codec of proto/wire.h, forwards. Every request and reply round trips with
 * all its fields (decoded into a poisoned struct, so that a field the decoder forgot shows),
 * the largest list fits a packet, and the encoder refuses what no packet can carry: a buffer
 * too small, an unknown op, a string over its bound, a bad errno, too many tags.
 *
 * Not here: the decoder's refusals and the fuzzing (check_wire_decode.c), sockets and
 * descriptors (check_open.c and the integration suites).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "wire.h"
#include "wire_helpers.h"

static uint8_t packet[2 * WIRE_PACKET_MAX];

static int enc_req(const struct wire_request *req)
{
	return wire_encode_request(req, packet, WIRE_PACKET_MAX);
}

static int enc_rep(const struct wire_reply *rep)
{
	return wire_encode_reply(rep, packet, WIRE_PACKET_MAX);
}

/* ---- structs, round trips and comparisons -------------------------------------------------- */

/* The scalar fields of each struct; strings and arrays are compared apart. */
/* clang-format off */
#define REQUEST_SCALARS(X) X(version) X(id) X(op) X(length) X(offset) X(writable) X(mode) \
	X(persistent) X(with_file) X(must_exist) X(handle) X(size)
#define TAG_SCALARS(X) X(global) X(namespace_uid) X(kind) X(size) X(holders) X(owner_uid) \
	X(owner_gid) X(mode) X(persistent)
#define REPLY_SCALARS(X) X(id) X(op) X(error) X(handle) X(created) X(kind) X(writable) X(size) \
	X(replaced) X(n_tags) X(more) X(stats.tags) X(stats.bytes) X(stats.connections) \
	X(stats.requests) X(stats.errors) X(stats.handles) X(version)
/* clang-format on */
#define SCALAR_EQ(f) ck_assert_uint_eq((uint64_t)a->f, (uint64_t)b->f);
#define TAG_EQ(f) ck_assert_uint_eq((uint64_t)ta->f, (uint64_t)tb->f);

static void assert_request_eq(const struct wire_request *a, const struct wire_request *b)
{
	REQUEST_SCALARS(SCALAR_EQ)
	ck_assert_str_eq(a->name, b->name);
}

/* Encodes and decodes req, into a struct poisoned first, so that a field the decoder forgot
 * to zero shows. */
static void request_round_trip(const struct wire_request *req)
{
	struct wire_request out;
	int n = enc_req(req);

	ck_assert_int_gt(n, 0);
	memset(&out, 0xa5, sizeof(out));
	ck_assert_int_eq(wire_decode_request(packet, (size_t)n, &out), 0);
	assert_request_eq(req, &out);
}

static void assert_reply_eq(const struct wire_reply *a, const struct wire_reply *b)
{
	REPLY_SCALARS(SCALAR_EQ)
	ck_assert_str_eq(a->message, b->message);
	for (size_t i = 0; i < a->n_tags; i++) {
		const struct wire_tag_info *ta = &a->tags[i], *tb = &b->tags[i];
		ck_assert_str_eq(ta->name, tb->name);
		ck_assert_str_eq(ta->cursor, tb->cursor);
		TAG_SCALARS(TAG_EQ)
	}
}

static void reply_round_trip(const struct wire_reply *rep)
{
	struct wire_reply out;
	int n = enc_rep(rep);

	ck_assert_int_gt(n, 0);
	memset(&out, 0xa5, sizeof(out));
	ck_assert_int_eq(wire_decode_reply(packet, (size_t)n, &out), 0);
	assert_reply_eq(rep, &out);
	if (rep->n_tags == 0)
		ck_assert_ptr_null(out.tags);
	wire_reply_finish(&out);
	ck_assert_ptr_null(out.tags);
	ck_assert_uint_eq(out.n_tags, 0);
}

static void list_round_trip(size_t n_tags, size_t name_len, size_t cursor_len)
{
	struct wire_reply rep = {.id = 5, .op = WIRE_LIST, .more = true};

	rep.tags = tags_new(n_tags, name_len, cursor_len);
	rep.n_tags = n_tags;
	reply_round_trip(&rep);
	free(rep.tags);
}

/* ---- round trips ------------------------------------------------------------------------- */

START_TEST(test_wire_request_open_round_trips)
{
	struct wire_request req = request_of(WIRE_OPEN);

	fill_string(req.name, 'n', WIRE_NAME_MAX);
	req.length = UINT64_MAX;
	req.offset = UINT64_MAX - 1;
	req.writable = true;
	req.mode = 0640;
	req.persistent = true;
	req.with_file = true;
	req.must_exist = true;
	request_round_trip(&req);
	/* Every field at its zero value round trips too (proto3 omits them on the wire). */
	req = request_of(WIRE_OPEN);
	request_round_trip(&req);
}
END_TEST

START_TEST(test_wire_request_other_ops_round_trip)
{
	struct wire_request req = request_of(WIRE_CLOSE);

	req.handle = UINT64_MAX;
	request_round_trip(&req);
	req = request_of(WIRE_RESIZE);
	req.handle = 3;
	req.size = UINT64_MAX;
	request_round_trip(&req);
	req = request_of(WIRE_UNLINK);
	request_round_trip(&req);
	fill_string(req.name, 'u', WIRE_NAME_MAX);
	request_round_trip(&req);
	req = request_of(WIRE_LIST);
	request_round_trip(&req);
	fill_string(req.name, 'c', WIRE_CURSOR_MAX);
	request_round_trip(&req);
	request_round_trip(&(struct wire_request){.version = WIRE_VERSION, .op = WIRE_STAT});
	request_round_trip(&(struct wire_request){.version = WIRE_VERSION, .op = WIRE_PING});
}
END_TEST

START_TEST(test_wire_reply_every_result_round_trips)
{
	struct wire_reply rep = {.id = UINT64_MAX, .op = WIRE_OPEN, .handle = UINT64_MAX - 1};

	rep.created = true;
	rep.kind = WIRE_KIND_FILE;
	rep.writable = true;
	rep.size = UINT64_MAX - 2;
	reply_round_trip(&rep);
	reply_round_trip(&(struct wire_reply){.id = 1, .op = WIRE_OPEN});
	reply_round_trip(&(struct wire_reply){.id = 2, .op = WIRE_CLOSE});
	reply_round_trip(
	        &(struct wire_reply){.id = 3, .op = WIRE_RESIZE, .size = 1, .replaced = 1});
	reply_round_trip(&(struct wire_reply){.id = 4, .op = WIRE_UNLINK});
	rep = (struct wire_reply){.id = 5, .op = WIRE_STAT};
	rep.stats = (struct wire_stats){UINT64_MAX, UINT64_MAX - 1, 3, 4, 5, 6};
	reply_round_trip(&rep);
	reply_round_trip(&(struct wire_reply){.id = 6, .op = WIRE_PING, .version = WIRE_VERSION});
}
END_TEST

START_TEST(test_wire_reply_list_round_trips_0_1_and_max_tags)
{
	list_round_trip(0, 0, 0);
	list_round_trip(1, WIRE_NAME_MAX, WIRE_CURSOR_MAX);
	list_round_trip(WIRE_LIST_MAX, 40, 60);
}
END_TEST

START_TEST(test_wire_reply_error_round_trips_with_message)
{
	struct wire_reply rep = {.id = 4, .op = WIRE_NONE, .error = ENOENT};

	snprintf(rep.message, sizeof(rep.message), "no such tag");
	reply_round_trip(&rep);
	rep.error = 4095;
	fill_string(rep.message, 'm', WIRE_MESSAGE_MAX);
	reply_round_trip(&rep);
	/* An error wins over the op it answers: it decodes as an error reply. */
	struct wire_reply in = {.id = 6, .op = WIRE_OPEN, .error = EACCES, .handle = 1};
	struct wire_reply out;
	int n = enc_rep(&in);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(wire_decode_reply(packet, (size_t)n, &out), 0);
	ck_assert_int_eq(out.op, WIRE_NONE);
	ck_assert_int_eq(out.error, EACCES);
	ck_assert_uint_eq(out.handle, 0);
}
END_TEST

START_TEST(test_wire_list_max_tags_with_max_names_fit)
{
	struct wire_reply rep = {.id = UINT64_MAX, .op = WIRE_LIST, .more = true};

	/* The worst case: every name and cursor at its longest. */
	rep.tags = tags_new(WIRE_LIST_MAX, WIRE_NAME_MAX, WIRE_CURSOR_MAX);
	rep.n_tags = WIRE_LIST_MAX;
	reply_round_trip(&rep); /* encodes into a WIRE_PACKET_MAX buffer */
	free(rep.tags);
}
END_TEST

START_TEST(test_wire_encode_never_exceeds_packet_max)
{
	struct wire_reply rep = {.id = UINT64_MAX, .op = WIRE_LIST, .more = true};

	/* The largest list a struct can hold, offered a buffer larger than any packet. */
	rep.tags = tags_new(WIRE_LIST_MAX, WIRE_NAME_MAX, WIRE_CURSOR_MAX);
	rep.n_tags = WIRE_LIST_MAX;
	int n = wire_encode_reply(&rep, packet, sizeof(packet));
	ck_assert_msg(n > 0 && n <= WIRE_PACKET_MAX, "encode gave %d", n);
	free(rep.tags);
}
END_TEST

/* ---- the encoder's refusals -------------------------------------------------------------- */

START_TEST(test_wire_encode_into_too_small_buffer_is_emsgsize)
{
	struct wire_request req = request_of(WIRE_OPEN);
	struct wire_reply rep = {.id = 1, .op = WIRE_NONE, .error = EIO};

	fill_string(req.name, 'x', 50);
	int n = enc_req(&req);
	ck_assert_int_gt(n, 0);
	for (int cap = 0; cap < n; cap++) {
		memset(packet, 0x5a, sizeof(packet));
		ck_assert_int_eq(wire_encode_request(&req, packet, (size_t)cap), -EMSGSIZE);
		ck_assert_uint_eq(packet[0], 0x5a); /* nothing written */
	}
	ck_assert_int_eq(wire_encode_request(&req, packet, (size_t)n), n);
	ck_assert_int_eq(wire_encode_request(&req, NULL, 0), -EMSGSIZE);
	fill_string(rep.message, 'e', WIRE_MESSAGE_MAX);
	n = enc_rep(&rep);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(wire_encode_reply(&rep, packet, (size_t)n - 1), -EMSGSIZE);
}
END_TEST

START_TEST(test_wire_encode_unknown_op_is_einval)
{
	struct wire_request req = request_of(WIRE_NONE);

	ck_assert_int_eq(enc_req(&req), -EINVAL);
	req.op = (enum wire_op)99;
	ck_assert_int_eq(enc_req(&req), -EINVAL);
	/* A reply with no op and no error, or an op no result matches. */
	struct wire_reply rep = {.id = 1, .op = WIRE_NONE};
	ck_assert_int_eq(enc_rep(&rep), -EINVAL);
	rep.op = (enum wire_op)99;
	ck_assert_int_eq(enc_rep(&rep), -EINVAL);
	rep.op = WIRE_OPEN;
	rep.kind = (enum wire_kind)2;
	ck_assert_int_eq(enc_rep(&rep), -EINVAL);
}
END_TEST

START_TEST(test_wire_encode_over_long_name_is_einval)
{
	struct wire_request req = request_of(WIRE_OPEN);

	fill_string(req.name, 'n', WIRE_NAME_MAX + 1);
	ck_assert_int_eq(enc_req(&req), -EINVAL);
	req.op = WIRE_UNLINK;
	ck_assert_int_eq(enc_req(&req), -EINVAL);
	/* A list cursor may be longer, but not unterminated (WIRE_CURSOR_MAX + 1 bytes, no NUL). */
	req.op = WIRE_LIST;
	ck_assert_int_gt(enc_req(&req), 0);
	memset(req.name, 'c', sizeof(req.name));
	ck_assert_int_eq(enc_req(&req), -EINVAL);
}
END_TEST

START_TEST(test_wire_encode_bad_reply_or_too_many_tags_is_einval)
{
	struct wire_reply rep = {.id = 1, .op = WIRE_NONE, .error = -EIO};
	struct wire_tag_info tag;

	ck_assert_int_eq(enc_rep(&rep), -EINVAL);
	rep.error = 4096;
	ck_assert_int_eq(enc_rep(&rep), -EINVAL);
	rep.error = EIO;
	memset(rep.message, 'm', sizeof(rep.message));
	ck_assert_int_eq(enc_rep(&rep), -EINVAL);

	rep = (struct wire_reply){.id = 1, .op = WIRE_LIST, .n_tags = 1, .tags = NULL};
	ck_assert_int_eq(enc_rep(&rep), -EINVAL);
	rep.tags = &tag;
	fill_tag(&tag, 0, 1, 1);
	memset(tag.name, 'n', sizeof(tag.name));
	ck_assert_int_eq(enc_rep(&rep), -EINVAL);
	fill_tag(&tag, 0, 1, 1);
	memset(tag.cursor, 'c', sizeof(tag.cursor));
	ck_assert_int_eq(enc_rep(&rep), -EINVAL);
	fill_tag(&tag, 0, 1, 1);
	tag.kind = (enum wire_kind)7;
	ck_assert_int_eq(enc_rep(&rep), -EINVAL);
	/* More tags than a list may carry. */
	rep.tags = tags_new(WIRE_LIST_MAX + 1, 1, 1);
	rep.n_tags = WIRE_LIST_MAX + 1;
	ck_assert_int_eq(enc_rep(&rep), -EINVAL);
	free(rep.tags);
}
END_TEST

/* ---- op names ---------------------------------------------------------------------------- */

START_TEST(test_wire_op_name_names_every_op)
{
	static const char *const names[] = {"none",   "open", "close", "resize",
	                                    "unlink", "list", "stat",  "ping"};

	for (int op = WIRE_NONE; op <= WIRE_PING; op++)
		ck_assert_str_eq(wire_op_name((enum wire_op)op), names[op]);
	ck_assert_str_eq(wire_op_name((enum wire_op)42), "unknown");
}
END_TEST

Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_new("round_trip");

	tcase_add_test(tc, test_wire_request_open_round_trips);
	tcase_add_test(tc, test_wire_request_other_ops_round_trip);
	tcase_add_test(tc, test_wire_reply_every_result_round_trips);
	tcase_add_test(tc, test_wire_reply_list_round_trips_0_1_and_max_tags);
	tcase_add_test(tc, test_wire_reply_error_round_trips_with_message);
	tcase_add_test(tc, test_wire_list_max_tags_with_max_names_fit);
	tcase_add_test(tc, test_wire_op_name_names_every_op);
	suite_add_tcase(s, tc);

	tc = tcase_new("encode");
	tcase_add_test(tc, test_wire_encode_never_exceeds_packet_max);
	tcase_add_test(tc, test_wire_encode_into_too_small_buffer_is_emsgsize);
	tcase_add_test(tc, test_wire_encode_unknown_op_is_einval);
	tcase_add_test(tc, test_wire_encode_over_long_name_is_einval);
	tcase_add_test(tc, test_wire_encode_bad_reply_or_too_many_tags_is_einval);
	suite_add_tcase(s, tc);
	return s;
}
