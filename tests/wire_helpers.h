/* wire_helpers.h: the structs the codec suites fill (check_wire.c, check_wire_decode.c):
 * requests of each operation and tags with every field set to a value that tells them apart,
 * so that a field the codec drops or swaps shows in a comparison.
 *
 * Static inline, so that each suite carries its own copy and the header has no .c file.
 *
 * Not here: protobuf written by hand (pbwriter.h), comparisons (check_wire.c).
 */
#ifndef MMAPC_TESTS_WIRE_HELPERS_H
#define MMAPC_TESTS_WIRE_HELPERS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "wire.h"

/* Writes n bytes of c and a NUL to dst (n + 1 bytes); returns dst. */
static inline char *fill_string(char *dst, char c, size_t n)
{
	memset(dst, c, n);
	dst[n] = '\0';
	return dst;
}

/* A request of this version for op, with an id that differs by op. */
static inline struct wire_request request_of(enum wire_op op)
{
	struct wire_request req = {.version = WIRE_VERSION, .id = UINT64_MAX - op, .op = op};
	return req;
}

/* Tag i of a list: a name and a cursor of the given lengths, every other field set. */
static inline void fill_tag(struct wire_tag_info *t, unsigned i, size_t name_len, size_t cursor_len)
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

/* n tags filled by fill_tag, in an array the caller frees. */
static inline struct wire_tag_info *tags_new(size_t n, size_t name_len, size_t cursor_len)
{
	struct wire_tag_info *tags = calloc(n, sizeof(*tags));
	ck_assert_ptr_nonnull(tags);
	for (size_t i = 0; i < n; i++)
		fill_tag(&tags[i], (unsigned)i, name_len, cursor_len);
	return tags;
}

#endif
