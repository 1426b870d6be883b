/* wire.c: the codec between the plain structs of wire.h and the protobuf-c messages of
 * proto/mmapd.proto, one message per packet.
 *
 * Encoding builds the generated messages on the stack, pointing their strings at the
 * caller's struct (nothing is allocated), and packs them only if the result fits both the
 * caller's buffer and WIRE_PACKET_MAX, so no peer is ever sent a packet it must refuse.
 *
 * Decoding is strict and never trusts a size from the wire. protobuf-c does the parsing; this
 * file then checks what protobuf-c cannot: that an operation (or result) is set, that the
 * version is ours, that strings hold no NUL and fit their bounds, that enums hold a known
 * value, that a list is not too long. The decoded struct is built in a local copy and handed
 * over only when all of it is good, so a caller's struct is untouched on failure (except the
 * id of a request of another version, which wire.h promises). Every unpacked message is
 * freed here, on every path.
 *
 * Embedded NULs: protobuf strings are length-delimited, but protobuf-c hands them back as
 * NUL-terminated char *, so "ab\0cd" would silently read as "ab". protobuf-c (1.x,
 * parse_required_member) allocates exactly wire length + 1 bytes for each string it unpacks,
 * so the decoder unpacks with its own allocator that records every block's size in a header
 * in front of it; the wire length of a string is then its block's size - 1, and a NUL inside
 * is a memchr away. A string field the packet did not carry still points at
 * protobuf_c_empty_string, which no allocator made. The same allocator reports -ENOMEM
 * apart from -EBADMSG, which protobuf_c_message_unpack's bare NULL cannot. check_wire.c
 * tests an embedded NUL in every string field, so a protobuf-c that allocated differently
 * would be caught there.
 *
 * protobuf-c does not check UTF-8, and neither does this file: what a name may contain is
 * registry.c's business.
 *
 * Threading: no state outside the caller's arguments; every function is reentrant.
 *
 * Not here: sockets, descriptors and the packet size a socket enforces (daemon/client.c,
 * client/conn.c), and what the fields mean (daemon/registry.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmapd.pb-c.h"
#include "wire.h"

/* The largest errno Linux hands out (MAX_ERRNO in the kernel). */
#define ERRNO_MAX 4095

/* ---- the decoder's allocator ------------------------------------------------------------- */

/* Every block starts with its size; the union keeps the block after it aligned for any type. */
union block_head {
	size_t size;
	max_align_t align;
};

struct unpacker {
	ProtobufCAllocator allocator;
	bool out_of_memory;
};

static void *block_alloc(void *data, size_t size)
{
	struct unpacker *u = data;
	union block_head *h = NULL;

	if (size <= SIZE_MAX - sizeof(*h))
		h = malloc(sizeof(*h) + size);
	if (!h) {
		u->out_of_memory = true;
		return NULL;
	}
	h->size = size;
	return h + 1;
}

static void block_free(void *data, void *p)
{
	(void)data;
	if (p)
		free((union block_head *)p - 1);
}

/* Unpacks one packet with the block allocator; the caller frees *ret with
 * protobuf_c_message_free_unpacked(*ret, &u->allocator). */
static int unpack(struct unpacker *u, const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
                  size_t len, ProtobufCMessage **ret)
{
	ProtobufCMessage *m;

	/* Every packet carries at least one byte, and none is larger than the cap. */
	if (!buf || len == 0 || len > WIRE_PACKET_MAX)
		return -EBADMSG;
	u->allocator.alloc = block_alloc;
	u->allocator.free = block_free;
	u->allocator.allocator_data = u;
	u->out_of_memory = false;
	m = protobuf_c_message_unpack(desc, &u->allocator, len, buf);
	if (!m)
		return u->out_of_memory ? -ENOMEM : -EBADMSG;
	*ret = m;
	return 0;
}

/* ---- strings ----------------------------------------------------------------------------- */

/* The wire length of an unpacked string, or -EBADMSG if it holds a NUL (see the top of the
 * file for why the block's size is the wire length). */
static int string_length(const char *s, size_t *ret)
{
	size_t size;

	if (!s || s == protobuf_c_empty_string) {
		*ret = 0;
		return 0;
	}
	/* A terminator anywhere but at the block's end is a NUL from the wire (or a protobuf-c
	 * that no longer allocates as assumed, which fails safe: every string is refused). */
	size = ((const union block_head *)s - 1)->size;
	if (size == 0 || s[size - 1] != '\0' || memchr(s, '\0', size - 1))
		return -EBADMSG;
	*ret = size - 1;
	return 0;
}

/* Copies an unpacked string into dst, which has room for bound bytes and a NUL. */
static int copy_string(char *dst, const char *src, size_t bound)
{
	size_t n;
	int r = string_length(src, &n);

	if (r < 0)
		return r;
	if (n > bound)
		return -EBADMSG;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* The length to keep of a message of n bytes cut to at most max, stepping back over UTF-8
 * continuation bytes so that a character is not split (at most three: a character is at most
 * four bytes, and a message that is not UTF-8 is cut where it is). */
static size_t cut_message(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	for (int i = 0; i < 3 && n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; i++)
		n--;
	return n;
}

/* Whether s, a char array of size bytes, is terminated and at most bound long: a string
 * that a message can carry and the peer will accept. */
static bool string_fits(const char *s, size_t size, size_t bound)
{
	size_t n = strnlen(s, size);
	return n < size && n <= bound;
}

/* ---- enums ------------------------------------------------------------------------------- */

static int encode_kind(enum wire_kind kind, Mmapd__Kind *ret)
{
	switch (kind) {
	case WIRE_KIND_ANONYMOUS:
		*ret = MMAPD__KIND__KIND_ANONYMOUS;
		return 0;
	case WIRE_KIND_FILE:
		*ret = MMAPD__KIND__KIND_FILE;
		return 0;
	}
	return -EINVAL;
}

/* proto3 enums are open, so a packet may carry any number; only ours are accepted. */
static int decode_kind(Mmapd__Kind kind, enum wire_kind *ret)
{
	switch (kind) {
	case MMAPD__KIND__KIND_ANONYMOUS:
		*ret = WIRE_KIND_ANONYMOUS;
		return 0;
	case MMAPD__KIND__KIND_FILE:
		*ret = WIRE_KIND_FILE;
		return 0;
	default:
		return -EBADMSG;
	}
}

/* ---- packing ----------------------------------------------------------------------------- */

static int pack(const ProtobufCMessage *msg, uint8_t *buf, size_t cap)
{
	size_t n = protobuf_c_message_get_packed_size(msg);

	if (cap > WIRE_PACKET_MAX)
		cap = WIRE_PACKET_MAX;
	if (!buf || n > cap)
		return -EMSGSIZE;
	return (int)protobuf_c_message_pack(msg, buf);
}

/* ---- requests ---------------------------------------------------------------------------- */

/* Storage for the one operation a request carries. */
union request_op {
	Mmapd__OpenRequest open;
	Mmapd__CloseRequest close;
	Mmapd__ResizeRequest resize;
	Mmapd__UnlinkRequest unlink;
	Mmapd__ListRequest list;
	Mmapd__StatRequest stat;
	Mmapd__PingRequest ping;
	Mmapd__ResumeRequest resume;
};

/* The holds of a resume request, packed from the caller's array. */
struct resume_holds {
	Mmapd__ResumeHold holds[WIRE_RESUME_MAX];
	Mmapd__ResumeHold *ptrs[WIRE_RESUME_MAX];
};

static int encode_resume(const struct wire_request *req, Mmapd__Request *msg,
                         Mmapd__ResumeRequest *m, struct resume_holds *h)
{
	if (req->n_holds > WIRE_RESUME_MAX || (req->n_holds && !req->holds))
		return -EINVAL;
	mmapd__resume_request__init(m);
	for (size_t i = 0; i < req->n_holds; i++) {
		mmapd__resume_hold__init(&h->holds[i]);
		h->holds[i].device = req->holds[i].dev;
		h->holds[i].inode = req->holds[i].ino;
		h->holds[i].writable = req->holds[i].writable;
		h->ptrs[i] = &h->holds[i];
	}
	m->n_holds = req->n_holds;
	m->holds = h->ptrs;
	m->last = req->last;
	msg->op_case = MMAPD__REQUEST__OP_RESUME;
	msg->resume = m;
	return 0;
}

static int encode_open(const struct wire_request *req, Mmapd__Request *msg, Mmapd__OpenRequest *m)
{
	if (!string_fits(req->name, sizeof(req->name), WIRE_NAME_MAX))
		return -EINVAL;
	mmapd__open_request__init(m);
	m->name = (char *)req->name;
	m->length = req->length;
	m->offset = req->offset;
	m->writable = req->writable;
	m->mode = req->mode;
	m->persistent = req->persistent;
	m->with_file = req->with_file;
	m->must_exist = req->must_exist;
	m->publish = req->publish;
	msg->op_case = MMAPD__REQUEST__OP_OPEN;
	msg->open = m;
	return 0;
}

static int encode_unlink(const struct wire_request *req, Mmapd__Request *msg,
                         Mmapd__UnlinkRequest *m)
{
	if (!string_fits(req->name, sizeof(req->name), WIRE_NAME_MAX))
		return -EINVAL;
	mmapd__unlink_request__init(m);
	m->name = (char *)req->name;
	msg->op_case = MMAPD__REQUEST__OP_UNLINK;
	msg->unlink = m;
	return 0;
}

static int encode_list_request(const struct wire_request *req, Mmapd__Request *msg,
                               Mmapd__ListRequest *m)
{
	if (!string_fits(req->name, sizeof(req->name), WIRE_CURSOR_MAX))
		return -EINVAL;
	mmapd__list_request__init(m);
	m->after = (char *)req->name;
	msg->op_case = MMAPD__REQUEST__OP_LIST;
	msg->list = m;
	return 0;
}

/* Sets msg's operation from req, building it in op. */
static int encode_request_op(const struct wire_request *req, Mmapd__Request *msg,
                             union request_op *op, struct resume_holds *holds)
{
	switch (req->op) {
	case WIRE_RESUME:
		return encode_resume(req, msg, &op->resume, holds);
	case WIRE_OPEN:
		return encode_open(req, msg, &op->open);
	case WIRE_CLOSE:
		mmapd__close_request__init(&op->close);
		op->close.handle = req->handle;
		op->close.quiet = req->quiet;
		msg->op_case = MMAPD__REQUEST__OP_CLOSE;
		msg->close = &op->close;
		return 0;
	case WIRE_RESIZE:
		mmapd__resize_request__init(&op->resize);
		op->resize.handle = req->handle;
		op->resize.size = req->size;
		msg->op_case = MMAPD__REQUEST__OP_RESIZE;
		msg->resize = &op->resize;
		return 0;
	case WIRE_UNLINK:
		return encode_unlink(req, msg, &op->unlink);
	case WIRE_LIST:
		return encode_list_request(req, msg, &op->list);
	case WIRE_STAT:
		mmapd__stat_request__init(&op->stat);
		msg->op_case = MMAPD__REQUEST__OP_STAT;
		msg->stat = &op->stat;
		return 0;
	case WIRE_PING:
		mmapd__ping_request__init(&op->ping);
		msg->op_case = MMAPD__REQUEST__OP_PING;
		msg->ping = &op->ping;
		return 0;
	case WIRE_NONE:
		break;
	}
	return -EINVAL;
}

int wire_encode_request(const struct wire_request *req, uint8_t *buf, size_t cap)
{
	Mmapd__Request msg = MMAPD__REQUEST__INIT;
	union request_op op;
	struct resume_holds *holds = NULL;
	int r;

	/* Only a resume needs the room for its holds, and it is rare: off the stack. */
	if (req->op == WIRE_RESUME && !(holds = malloc(sizeof(*holds))))
		return -ENOMEM;
	msg.version = req->version;
	msg.id = req->id;
	r = encode_request_op(req, &msg, &op, holds);
	if (r == 0)
		r = pack(&msg.base, buf, cap);
	free(holds);
	return r;
}

static int decode_open(const Mmapd__OpenRequest *m, struct wire_request *req)
{
	req->op = WIRE_OPEN;
	req->length = m->length;
	req->offset = m->offset;
	req->writable = m->writable;
	req->mode = m->mode;
	req->persistent = m->persistent;
	req->with_file = m->with_file;
	req->must_exist = m->must_exist;
	req->publish = m->publish;
	return copy_string(req->name, m->name, WIRE_NAME_MAX);
}

static int decode_resume(const Mmapd__ResumeRequest *m, struct wire_request *req)
{
	req->op = WIRE_RESUME;
	req->last = m->last;
	if (m->n_holds > WIRE_RESUME_MAX)
		return -EBADMSG;
	if (m->n_holds == 0)
		return 0;
	req->holds = calloc(m->n_holds, sizeof(*req->holds));
	if (!req->holds)
		return -ENOMEM;
	req->n_holds = m->n_holds;
	for (size_t i = 0; i < m->n_holds; i++) {
		req->holds[i].dev = m->holds[i]->device;
		req->holds[i].ino = m->holds[i]->inode;
		req->holds[i].writable = m->holds[i]->writable;
	}
	return 0;
}

static int decode_request_op(const Mmapd__Request *msg, struct wire_request *req)
{
	switch (msg->op_case) {
	case MMAPD__REQUEST__OP_RESUME:
		return decode_resume(msg->resume, req);
	case MMAPD__REQUEST__OP_OPEN:
		return decode_open(msg->open, req);
	case MMAPD__REQUEST__OP_CLOSE:
		req->op = WIRE_CLOSE;
		req->handle = msg->close->handle;
		req->quiet = msg->close->quiet;
		return 0;
	case MMAPD__REQUEST__OP_RESIZE:
		req->op = WIRE_RESIZE;
		req->handle = msg->resize->handle;
		req->size = msg->resize->size;
		return 0;
	case MMAPD__REQUEST__OP_UNLINK:
		req->op = WIRE_UNLINK;
		return copy_string(req->name, msg->unlink->name, WIRE_NAME_MAX);
	case MMAPD__REQUEST__OP_LIST:
		req->op = WIRE_LIST;
		return copy_string(req->name, msg->list->after, WIRE_CURSOR_MAX);
	case MMAPD__REQUEST__OP_STAT:
		req->op = WIRE_STAT;
		return 0;
	case MMAPD__REQUEST__OP_PING:
		req->op = WIRE_PING;
		return 0;
	default:
		/* No operation, or one added by a newer peer that did not bump the version. */
		return -EBADMSG;
	}
}

int wire_decode_request(const uint8_t *buf, size_t len, struct wire_request *ret)
{
	struct unpacker u;
	ProtobufCMessage *m;
	const Mmapd__Request *msg;
	struct wire_request req;
	int r = unpack(&u, &mmapd__request__descriptor, buf, len, &m);

	if (r < 0)
		return r;
	msg = (const Mmapd__Request *)m;
	memset(&req, 0, sizeof(req));
	req.version = msg->version;
	req.id = msg->id;
	/* The version is looked at before the operation, so that a newer peer's request is
	 * refused as a version mismatch even if it carries an operation unknown here. */
	if (msg->version != WIRE_VERSION)
		r = -EPROTONOSUPPORT;
	else
		r = decode_request_op(msg, &req);
	protobuf_c_message_free_unpacked(m, &u.allocator);
	if (r == 0)
		*ret = req;
	else
		wire_request_finish(&req);
	if (r == -EPROTONOSUPPORT)
		ret->id = req.id;
	return r;
}

/* ---- replies ----------------------------------------------------------------------------- */

/* Storage for the one result a reply carries; a list's tags live in the same place. */
struct reply_result {
	Mmapd__Error error;
	Mmapd__Empty empty;
	Mmapd__OpenReply open;
	Mmapd__ResizeReply resize;
	Mmapd__ListReply list;
	Mmapd__StatReply stat;
	Mmapd__PingReply ping;
	Mmapd__ResumeReply resume;
	Mmapd__TagInfo tags[WIRE_LIST_MAX];
	Mmapd__TagInfo *tag_ptrs[WIRE_LIST_MAX];
};

static int encode_error(const struct wire_reply *rep, Mmapd__Reply *msg, Mmapd__Error *m)
{
	if (rep->error <= 0 || rep->error > ERRNO_MAX)
		return -EINVAL;
	if (!string_fits(rep->message, sizeof(rep->message), WIRE_MESSAGE_MAX))
		return -EINVAL;
	mmapd__error__init(m);
	m->code = rep->error;
	m->message = (char *)rep->message;
	msg->result_case = MMAPD__REPLY__RESULT_ERROR;
	msg->error = m;
	return 0;
}

static int encode_open_reply(const struct wire_reply *rep, Mmapd__Reply *msg, Mmapd__OpenReply *m)
{
	mmapd__open_reply__init(m);
	if (encode_kind(rep->kind, &m->kind) < 0)
		return -EINVAL;
	m->handle = rep->handle;
	m->created = rep->created;
	m->size = rep->size;
	m->writable = rep->writable;
	m->mode = rep->mode;
	m->persistent = rep->persistent;
	msg->result_case = MMAPD__REPLY__RESULT_OPEN;
	msg->open = m;
	return 0;
}

static int encode_tag(const struct wire_tag_info *t, Mmapd__TagInfo *m)
{
	if (!string_fits(t->name, sizeof(t->name), WIRE_NAME_MAX) ||
	    !string_fits(t->cursor, sizeof(t->cursor), WIRE_CURSOR_MAX))
		return -EINVAL;
	mmapd__tag_info__init(m);
	if (encode_kind(t->kind, &m->kind) < 0)
		return -EINVAL;
	m->name = (char *)t->name;
	m->global = t->global;
	m->namespace_uid = t->namespace_uid;
	m->size = t->size;
	m->holders = t->holders;
	m->owner_uid = t->owner_uid;
	m->owner_gid = t->owner_gid;
	m->mode = t->mode;
	m->persistent = t->persistent;
	m->cursor = (char *)t->cursor;
	return 0;
}

static int encode_list_reply(const struct wire_reply *rep, Mmapd__Reply *msg,
                             struct reply_result *res)
{
	if (rep->n_tags > WIRE_LIST_MAX || (rep->n_tags > 0 && !rep->tags))
		return -EINVAL;
	mmapd__list_reply__init(&res->list);
	for (size_t i = 0; i < rep->n_tags; i++) {
		if (encode_tag(&rep->tags[i], &res->tags[i]) < 0)
			return -EINVAL;
		res->tag_ptrs[i] = &res->tags[i];
	}
	res->list.n_tags = rep->n_tags;
	res->list.tags = rep->n_tags > 0 ? res->tag_ptrs : NULL;
	res->list.more = rep->more;
	msg->result_case = MMAPD__REPLY__RESULT_LIST;
	msg->list = &res->list;
	return 0;
}

static void encode_stat_reply(const struct wire_stats *st, Mmapd__Reply *msg, Mmapd__StatReply *m)
{
	mmapd__stat_reply__init(m);
	m->tags = st->tags;
	m->bytes = st->bytes;
	m->connections = st->connections;
	m->requests = st->requests;
	m->errors = st->errors;
	m->handles = st->handles;
	msg->result_case = MMAPD__REPLY__RESULT_STAT;
	msg->stat = m;
}

/* Sets msg's result from rep, building it in res. */
static int encode_result(const struct wire_reply *rep, Mmapd__Reply *msg, struct reply_result *res)
{
	/* An error is an error whatever op the reply names: the result has no room for both. */
	if (rep->error != 0)
		return encode_error(rep, msg, &res->error);
	mmapd__empty__init(&res->empty);
	switch (rep->op) {
	case WIRE_OPEN:
		return encode_open_reply(rep, msg, &res->open);
	case WIRE_CLOSE:
		msg->result_case = MMAPD__REPLY__RESULT_CLOSE;
		msg->close = &res->empty;
		return 0;
	case WIRE_RESIZE:
		mmapd__resize_reply__init(&res->resize);
		res->resize.size = rep->size;
		res->resize.replaced = rep->replaced;
		msg->result_case = MMAPD__REPLY__RESULT_RESIZE;
		msg->resize = &res->resize;
		return 0;
	case WIRE_UNLINK:
		msg->result_case = MMAPD__REPLY__RESULT_UNLINK;
		msg->unlink = &res->empty;
		return 0;
	case WIRE_LIST:
		return encode_list_reply(rep, msg, res);
	case WIRE_STAT:
		encode_stat_reply(&rep->stats, msg, &res->stat);
		return 0;
	case WIRE_PING:
		mmapd__ping_reply__init(&res->ping);
		res->ping.version = rep->version;
		msg->result_case = MMAPD__REPLY__RESULT_PING;
		msg->ping = &res->ping;
		return 0;
	case WIRE_RESUME:
		if (rep->n_handles > WIRE_RESUME_MAX || (rep->n_handles && !rep->handles))
			return -EINVAL;
		mmapd__resume_reply__init(&res->resume);
		res->resume.n_handles = rep->n_handles;
		res->resume.handles = rep->handles;
		msg->result_case = MMAPD__REPLY__RESULT_RESUME;
		msg->resume = &res->resume;
		return 0;
	case WIRE_NONE:
		break;
	}
	return -EINVAL;
}

int wire_encode_reply(const struct wire_reply *rep, uint8_t *buf, size_t cap)
{
	Mmapd__Reply msg = MMAPD__REPLY__INIT;
	struct reply_result res;
	int r;

	msg.id = rep->id;
	r = encode_result(rep, &msg, &res);
	if (r < 0)
		return r;
	return pack(&msg.base, buf, cap);
}

static int decode_error(const Mmapd__Error *m, struct wire_reply *rep)
{
	size_t n;

	if (m->code <= 0 || m->code > ERRNO_MAX)
		return -EBADMSG;
	if (string_length(m->message, &n) < 0)
		return -EBADMSG;
	/* A message is for people: a long one is cut rather than refused. */
	n = cut_message(m->message, n, WIRE_MESSAGE_MAX);
	memcpy(rep->message, m->message, n);
	rep->message[n] = '\0';
	rep->op = WIRE_NONE;
	rep->error = m->code;
	return 0;
}

static int decode_open_reply(const Mmapd__OpenReply *m, struct wire_reply *rep)
{
	rep->op = WIRE_OPEN;
	rep->handle = m->handle;
	rep->created = m->created;
	rep->size = m->size;
	rep->writable = m->writable;
	rep->mode = m->mode;
	rep->persistent = m->persistent;
	return decode_kind(m->kind, &rep->kind);
}

static int decode_tag(const Mmapd__TagInfo *m, struct wire_tag_info *t)
{
	int r = copy_string(t->name, m->name, WIRE_NAME_MAX);

	if (r == 0)
		r = copy_string(t->cursor, m->cursor, WIRE_CURSOR_MAX);
	if (r == 0)
		r = decode_kind(m->kind, &t->kind);
	t->global = m->global;
	t->namespace_uid = m->namespace_uid;
	t->size = m->size;
	t->holders = m->holders;
	t->owner_uid = m->owner_uid;
	t->owner_gid = m->owner_gid;
	t->mode = m->mode;
	t->persistent = m->persistent;
	return r;
}

/* Fills rep's list; on failure rep->tags may hold an array for wire_reply_finish to free. */
static int decode_list_reply(const Mmapd__ListReply *m, struct wire_reply *rep)
{
	rep->op = WIRE_LIST;
	rep->more = m->more;
	if (m->n_tags > WIRE_LIST_MAX)
		return -EBADMSG;
	if (m->n_tags == 0)
		return 0;
	rep->tags = calloc(m->n_tags, sizeof(*rep->tags));
	if (!rep->tags)
		return -ENOMEM;
	rep->n_tags = m->n_tags;
	for (size_t i = 0; i < m->n_tags; i++) {
		int r = decode_tag(m->tags[i], &rep->tags[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static void decode_stat_reply(const Mmapd__StatReply *m, struct wire_reply *rep)
{
	rep->op = WIRE_STAT;
	rep->stats.tags = m->tags;
	rep->stats.bytes = m->bytes;
	rep->stats.connections = m->connections;
	rep->stats.requests = m->requests;
	rep->stats.errors = m->errors;
	rep->stats.handles = m->handles;
}

static int decode_resume_reply(const Mmapd__ResumeReply *m, struct wire_reply *rep)
{
	rep->op = WIRE_RESUME;
	if (m->n_handles > WIRE_RESUME_MAX)
		return -EBADMSG;
	if (m->n_handles == 0)
		return 0;
	rep->handles = malloc(m->n_handles * sizeof(*rep->handles));
	if (!rep->handles)
		return -ENOMEM;
	memcpy(rep->handles, m->handles, m->n_handles * sizeof(*rep->handles));
	rep->n_handles = m->n_handles;
	return 0;
}

static int decode_result(const Mmapd__Reply *msg, struct wire_reply *rep)
{
	switch (msg->result_case) {
	case MMAPD__REPLY__RESULT_ERROR:
		return decode_error(msg->error, rep);
	case MMAPD__REPLY__RESULT_OPEN:
		return decode_open_reply(msg->open, rep);
	case MMAPD__REPLY__RESULT_CLOSE:
		rep->op = WIRE_CLOSE;
		return 0;
	case MMAPD__REPLY__RESULT_RESIZE:
		rep->op = WIRE_RESIZE;
		rep->size = msg->resize->size;
		rep->replaced = msg->resize->replaced;
		return 0;
	case MMAPD__REPLY__RESULT_UNLINK:
		rep->op = WIRE_UNLINK;
		return 0;
	case MMAPD__REPLY__RESULT_LIST:
		return decode_list_reply(msg->list, rep);
	case MMAPD__REPLY__RESULT_STAT:
		decode_stat_reply(msg->stat, rep);
		return 0;
	case MMAPD__REPLY__RESULT_PING:
		rep->op = WIRE_PING;
		rep->version = msg->ping->version;
		return 0;
	case MMAPD__REPLY__RESULT_RESUME:
		return decode_resume_reply(msg->resume, rep);
	default:
		return -EBADMSG;
	}
}

int wire_decode_reply(const uint8_t *buf, size_t len, struct wire_reply *ret)
{
	struct unpacker u;
	ProtobufCMessage *m;
	const Mmapd__Reply *msg;
	struct wire_reply rep;
	int r = unpack(&u, &mmapd__reply__descriptor, buf, len, &m);

	if (r < 0)
		return r;
	msg = (const Mmapd__Reply *)m;
	memset(&rep, 0, sizeof(rep));
	rep.id = msg->id;
	r = decode_result(msg, &rep);
	protobuf_c_message_free_unpacked(m, &u.allocator);
	if (r < 0) {
		wire_reply_finish(&rep);
		return r;
	}
	*ret = rep;
	return 0;
}

void wire_reply_finish(struct wire_reply *rep)
{
	if (!rep)
		return;
	free(rep->tags);
	rep->tags = NULL;
	rep->n_tags = 0;
	free(rep->handles);
	rep->handles = NULL;
	rep->n_handles = 0;
}

void wire_request_finish(struct wire_request *req)
{
	if (!req)
		return;
	free(req->holds);
	req->holds = NULL;
	req->n_holds = 0;
}

const char *wire_op_name(enum wire_op op)
{
	switch (op) {
	case WIRE_NONE:
		return "none";
	case WIRE_OPEN:
		return "open";
	case WIRE_CLOSE:
		return "close";
	case WIRE_RESIZE:
		return "resize";
	case WIRE_UNLINK:
		return "unlink";
	case WIRE_LIST:
		return "list";
	case WIRE_STAT:
		return "stat";
	case WIRE_PING:
		return "ping";
	case WIRE_RESUME:
		return "resume";
	}
	return "unknown";
}
