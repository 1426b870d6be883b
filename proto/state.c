/* state.c: the codec between state.h's structs and proto/state.proto's messages, with the
 * framing of the state log (length, CRC-32, payload).
 *
 * Encoding builds the generated messages on the stack and packs into the caller's buffer
 * after the 8-byte frame header. Decoding checks the frame (its length within the buffer and
 * STATE_RECORD_MAX, the CRC) before protobuf-c sees a byte, and then what protobuf-c cannot:
 * that a record says what it is, that a name is 1..STATE_NAME_MAX bytes with no NUL.
 *
 * The CRC is the common CRC-32 (reflected, polynomial 0xEDB88320), computed a bit at a time:
 * records are a few dozen bytes and are written once per change of a tag or a hold.
 *
 * Threading: no state outside the caller's arguments. Not here: the log file (daemon/store.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"
#include "state.pb-c.h"

#define FRAME_HEAD 8

uint32_t state_crc32(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int state_encode(const struct state_record *rec, uint8_t *buf, size_t cap)
{
	Mmapd__State__Record r = MMAPD__STATE__RECORD__INIT;
	Mmapd__State__Tag tag = MMAPD__STATE__TAG__INIT;
	Mmapd__State__Replaced replaced = MMAPD__STATE__REPLACED__INIT;
	Mmapd__State__Hold hold = MMAPD__STATE__HOLD__INIT;

	switch (rec->op) {
	case STATE_TAG: {
		const struct state_tag *t = &rec->tag;
		if (t->name_len == 0 || t->name_len > STATE_NAME_MAX)
			return -EINVAL;
		tag.id = t->id;
		tag.fd_generation = t->fd_generation;
		tag.name.data = (uint8_t *)t->name;
		tag.name.len = t->name_len;
		tag.global = t->global;
		tag.namespace_uid = t->ns_uid;
		tag.owner_uid = t->owner_uid;
		tag.owner_gid = t->owner_gid;
		tag.mode = t->mode;
		tag.kind = t->kind;
		tag.persistent = t->persistent;
		tag.fd_readonly = t->fd_readonly;
		tag.fd_writable = t->fd_writable;
		tag.unlinked = t->unlinked;
		r.what_case = MMAPD__STATE__RECORD__WHAT_TAG;
		r.tag = &tag;
		break;
	}
	case STATE_UNLINKED:
		r.what_case = MMAPD__STATE__RECORD__WHAT_UNLINKED;
		r.unlinked = rec->id;
		break;
	case STATE_DESTROYED:
		r.what_case = MMAPD__STATE__RECORD__WHAT_DESTROYED;
		r.destroyed = rec->id;
		break;
	case STATE_REPLACED:
		replaced.id = rec->id;
		replaced.fd_generation = rec->fd_generation;
		r.what_case = MMAPD__STATE__RECORD__WHAT_REPLACED;
		r.replaced = &replaced;
		break;
	case STATE_HOLD:
	case STATE_DROP:
		hold.id = rec->id;
		hold.pid = rec->pid;
		hold.count = rec->count > 1 ? rec->count : 0;
		if (rec->op == STATE_HOLD) {
			r.what_case = MMAPD__STATE__RECORD__WHAT_HOLD;
			r.hold = &hold;
		} else {
			r.what_case = MMAPD__STATE__RECORD__WHAT_DROP;
			r.drop = &hold;
		}
		break;
	default:
		return -EINVAL;
	}
	size_t n = mmapd__state__record__get_packed_size(&r);
	if (n + FRAME_HEAD > cap || n + FRAME_HEAD > STATE_RECORD_MAX)
		return -EMSGSIZE;
	mmapd__state__record__pack(&r, buf + FRAME_HEAD);
	put_le32(buf, (uint32_t)n);
	put_le32(buf + 4, state_crc32(buf + FRAME_HEAD, n));
	return (int)(n + FRAME_HEAD);
}

static int decode_tag(const Mmapd__State__Tag *t, struct state_tag *ret)
{
	if (!t || t->name.len == 0 || t->name.len > STATE_NAME_MAX ||
	    memchr(t->name.data, '\0', t->name.len))
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	ret->id = t->id;
	ret->fd_generation = t->fd_generation;
	memcpy(ret->name, t->name.data, t->name.len);
	ret->name[t->name.len] = '\0';
	ret->name_len = t->name.len;
	ret->global = t->global;
	ret->ns_uid = t->namespace_uid;
	ret->owner_uid = t->owner_uid;
	ret->owner_gid = t->owner_gid;
	ret->mode = t->mode;
	ret->kind = t->kind;
	ret->persistent = t->persistent;
	ret->fd_readonly = t->fd_readonly;
	ret->fd_writable = t->fd_writable;
	ret->unlinked = t->unlinked;
	return 0;
}

static int decode_hold(const Mmapd__State__Hold *h, enum state_op op, struct state_record *ret)
{
	if (!h)
		return -EBADMSG;
	ret->op = op;
	ret->id = h->id;
	ret->pid = h->pid;
	ret->count = h->count ? h->count : 1;
	return 0;
}

int state_decode(const uint8_t *buf, size_t len, struct state_record *ret)
{
	if (len < FRAME_HEAD)
		return 0;
	uint32_t n = get_le32(buf);
	if (n == 0)
		return 0;
	if (n > STATE_RECORD_MAX - FRAME_HEAD || n > len - FRAME_HEAD ||
	    get_le32(buf + 4) != state_crc32(buf + FRAME_HEAD, n))
		return -EBADMSG;

	Mmapd__State__Record *r = mmapd__state__record__unpack(NULL, n, buf + FRAME_HEAD);
	if (!r)
		return -EBADMSG; /* protobuf-c says nothing else; a 512-byte record is no ENOMEM */
	struct state_record out = {0};
	int e = 0;
	switch (r->what_case) {
	case MMAPD__STATE__RECORD__WHAT_TAG:
		out.op = STATE_TAG;
		e = decode_tag(r->tag, &out.tag);
		out.id = out.tag.id;
		break;
	case MMAPD__STATE__RECORD__WHAT_UNLINKED:
		out.op = STATE_UNLINKED;
		out.id = r->unlinked;
		break;
	case MMAPD__STATE__RECORD__WHAT_DESTROYED:
		out.op = STATE_DESTROYED;
		out.id = r->destroyed;
		break;
	case MMAPD__STATE__RECORD__WHAT_REPLACED:
		if (!r->replaced) {
			e = -EBADMSG;
			break;
		}
		out.op = STATE_REPLACED;
		out.id = r->replaced->id;
		out.fd_generation = r->replaced->fd_generation;
		break;
	case MMAPD__STATE__RECORD__WHAT_HOLD:
		e = decode_hold(r->hold, STATE_HOLD, &out);
		break;
	case MMAPD__STATE__RECORD__WHAT_DROP:
		e = decode_hold(r->drop, STATE_DROP, &out);
		break;
	default:
		e = -EBADMSG;
		break;
	}
	mmapd__state__record__free_unpacked(r, NULL);
	if (e < 0)
		return e;
	*ret = out;
	return (int)(n + FRAME_HEAD);
}
