/* check_wire.c: the codec of proto/wire.h. Every request and reply round trips with all its
 * fields; the decoder refuses what wire.h says it refuses (malformed, truncated, empty, no
 * operation, another version, a NUL in a string, a string over its bound, a bad errno, too many
 * tags) and survives any bytes at all; the encoder refuses what no packet can carry.
 *
 * The suite never includes the generated protobuf-c code. Where it needs a packet the encoder
 * would refuse to make, it writes the protobuf bytes by hand with the small builder below: a
 * field is a key (the varint field << 3 | wire type) and a value (a varint, or a varint length
 * and that many bytes). The field numbers are written out again here from mmapd.proto, so a
 * renumbering there fails these tests.
 *
 * Not here: sockets and descriptors (check_open.c and the integration suites).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "wire.h"

/* Like ck_assert_msg, without the per-call bookkeeping that slows Check's asserts in loops. */
#define require(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* ---- a protobuf writer ------------------------------------------------------------------- */

enum { PB_VARINT = 0, PB_64BIT = 1, PB_LEN = 2, PB_32BIT = 5 };

/* Field numbers, from mmapd.proto, by message. */
enum { REQ_VERSION = 1, REQ_ID = 2, REQ_OPEN = 10, REQ_CLOSE = 11, REQ_UNLINK = 13 };
enum { REQ_LIST = 14, REQ_STAT = 15 };
enum { OPEN_NAME = 1, OPEN_LENGTH = 2, OPEN_WRITABLE = 4, OPEN_MODE = 5, CLOSE_HANDLE = 1 };
enum { REP_ID = 1, REP_ERROR = 2, REP_OPEN = 10, REP_LIST = 14, ERR_CODE = 1, ERR_MESSAGE = 2 };
enum { OPENR_KIND = 4, LIST_TAGS = 1, LIST_MORE = 2 };
enum { TAG_NAME = 1, TAG_KIND = 4, TAG_SIZE = 5, TAG_CURSOR = 11 };

struct pb {
	size_t n;
	uint8_t b[2 * WIRE_PACKET_MAX];
};

static struct pb *pb_new(void)
{
	struct pb *p = calloc(1, sizeof(*p));
	ck_assert_ptr_nonnull(p);
	return p;
}

static void pb_varint(struct pb *p, uint64_t v)
{
	do {
		ck_assert_uint_lt(p->n, sizeof(p->b));
		p->b[p->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

static void pb_key(struct pb *p, unsigned field, unsigned type)
{
	pb_varint(p, (uint64_t)field << 3 | type);
}

static void pb_uint(struct pb *p, unsigned field, uint64_t v)
{
	pb_key(p, field, PB_VARINT);
	pb_varint(p, v);
}

static void pb_raw(struct pb *p, const void *data, size_t n)
{
	ck_assert_uint_le(p->n + n, sizeof(p->b));
	memcpy(p->b + p->n, data, n);
	p->n += n;
}

static void pb_bytes(struct pb *p, unsigned field, const void *data, size_t n)
{
	pb_key(p, field, PB_LEN);
	pb_varint(p, n);
	pb_raw(p, data, n);
}

static void pb_str(struct pb *p, unsigned field, const char *s)
{
	pb_bytes(p, field, s, strlen(s));
}

/* Appends inner as a message field, and frees it. */
static void pb_msg(struct pb *p, unsigned field, struct pb *inner)
{
	pb_bytes(p, field, inner->b, inner->n);
	free(inner);
}

/* One unknown field of each wire type, numbered where no message of mmapd.proto has one. */
static void pb_unknown_fields(struct pb *p)
{
	pb_uint(p, 900, 12345);
	pb_key(p, 901, PB_64BIT);
	pb_raw(p, "\1\2\3\4\5\6\7\10", 8);
	pb_bytes(p, 902, "future", 6);
	pb_key(p, 903, PB_32BIT);
	pb_raw(p, "\1\2\3\4", 4);
}

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

/* ---- structs, round trips and comparisons -------------------------------------------------- */

static char *fill_string(char *dst, char c, size_t n)
{
	memset(dst, c, n);
	dst[n] = '\0';
	return dst;
}

static struct wire_request request_of(enum wire_op op)
{
	struct wire_request req = {.version = WIRE_VERSION, .id = UINT64_MAX - op, .op = op};
	return req;
}

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

static void fill_tag(struct wire_tag_info *t, unsigned i, size_t name_len, size_t cursor_len)
{
	memset(t, 0, sizeof(*t));
	fill_string(t->name, (char)('a' + i % 26), name_len);
	fill_string(t->cursor, (char)('A' + i % 26), cursor_len);
	t->global = i % 2;
	t->namespace_uid = UINT32_MAX - i;
	t->kind = i % 3 ? WIRE_KIND_FILE : WIRE_KIND_ANONYMOUS;
	t->size = UINT64_MAX - i;
	t->holders = UINT32_MAX - 1 - i;
	t->owner_uid = UINT32_MAX - 2 - i;
	t->owner_gid = UINT32_MAX - 3 - i;
	t->mode = 07777;
	t->persistent = i % 2 == 0;
}

static struct wire_tag_info *tags_new(size_t n, size_t name_len, size_t cursor_len)
{
	struct wire_tag_info *tags = calloc(n, sizeof(*tags));
	ck_assert_ptr_nonnull(tags);
	for (size_t i = 0; i < n; i++)
		fill_tag(&tags[i], (unsigned)i, name_len, cursor_len);
	return tags;
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
	ck_assert_int_eq(req_with(17, pb_new()), -EBADMSG);
	pb_uint(rep, REP_ID, 9);
	ck_assert_int_eq(dec_rep(rep), -EBADMSG);
	ck_assert_int_eq(rep_with(17, pb_new()), -EBADMSG);
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

	tc = tcase_new("decode");
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
