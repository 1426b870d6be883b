/* pbwriter.c: protobuf bytes written by hand for the codec and bad-wire tests (see pbwriter.h).
 *
 * Not here: message builders that know what a Request or a Reply holds; each suite writes the
 * few it needs from these fields.
 */
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "pbwriter.h"
#include "wire.h"

#define PB_NEW_CAP (2 * WIRE_PACKET_MAX)

struct pb *pb_new(void)
{
	/* One allocation, so that free() on the writer releases its buffer too. */
	struct pb *p = calloc(1, sizeof(*p) + PB_NEW_CAP);
	ck_assert_ptr_nonnull(p);
	p->b = (uint8_t *)(p + 1);
	p->cap = PB_NEW_CAP;
	return p;
}

void pb_varint(struct pb *p, uint64_t v)
{
	do {
		ck_assert_uint_lt(p->n, p->cap);
		p->b[p->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

void pb_key(struct pb *p, unsigned field, unsigned type)
{
	pb_varint(p, (uint64_t)field << 3 | type);
}

void pb_raw(struct pb *p, const void *data, size_t n)
{
	ck_assert_uint_le(p->n + n, p->cap);
	if (n)
		memcpy(p->b + p->n, data, n);
	p->n += n;
}

void pb_uint(struct pb *p, unsigned field, uint64_t v)
{
	pb_key(p, field, PB_VARINT);
	pb_varint(p, v);
}

void pb_bytes(struct pb *p, unsigned field, const void *data, size_t n)
{
	pb_key(p, field, PB_LEN);
	pb_varint(p, n);
	pb_raw(p, data, n);
}

void pb_str(struct pb *p, unsigned field, const char *s)
{
	pb_bytes(p, field, s, strlen(s));
}

void pb_msg(struct pb *p, unsigned field, struct pb *inner)
{
	pb_bytes(p, field, inner->b, inner->n);
	free(inner);
}

void pb_unknown_fields(struct pb *p)
{
	pb_uint(p, 900, 12345);
	pb_key(p, 901, PB_64BIT);
	pb_raw(p, "\1\2\3\4\5\6\7\10", 8);
	pb_bytes(p, 902, "future", 6);
	pb_key(p, 903, PB_32BIT);
	pb_raw(p, "\1\2\3\4", 4);
}
