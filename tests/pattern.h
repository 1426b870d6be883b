/* pattern.h: bytes a test can write and recognise again (the resize tests), and a map's
 * bytes as a checked pointer. Static inline, header only: nothing here asserts but data(). */
#ifndef MMAPC_TESTS_PATTERN_H
#define MMAPC_TESTS_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "helpers.h"

#define MIB (1024 * 1024)

/* The byte a pattern with this seed has at index i. */
static inline uint8_t pat(size_t i, unsigned seed)
{
	return (uint8_t)((i * 31u + (i >> 12) + seed) & 0xff);
}

static inline void fill(uint8_t *p, size_t from, size_t to, unsigned seed)
{
	for (size_t i = from; i < to; i++)
		p[i] = pat(i, seed);
}

/* 1 if p[from, to) holds the pattern; p is indexed as the pattern is. */
static inline int holds(const uint8_t *p, size_t from, size_t to, unsigned seed)
{
	for (size_t i = from; i < to; i++)
		if (p[i] != pat(i, seed))
			return 0;
	return 1;
}

/* The map's bytes (mmapc_data), asserted not NULL. */
static inline uint8_t *data(mmapc_map *m)
{
	uint8_t *p = mmapc_data(m);
	ck_assert_ptr_nonnull(p);
	return p;
}

#endif
