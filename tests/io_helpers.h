/* io_helpers.h: the maps the file-like suites (check_io.c, check_memops.c) start from: an
 * anonymous map holding given bytes, a map of a whole file, and the page size.
 *
 * Static inline, so that each suite carries its own copy and the header has no .c file. Each
 * fails the test if the map cannot be made.
 *
 * Not here: temporary files and anonymous maps of a size (helpers.h).
 */
#ifndef MMAPC_TESTS_IO_HELPERS_H
#define MMAPC_TESTS_IO_HELPERS_H

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static inline int64_t page(void)
{
	return (int64_t)sysconf(_SC_PAGESIZE);
}

/* An anonymous map holding exactly the bytes of s, positioned at 0. */
static inline mmapc_map *map_of(const char *s)
{
	size_t n = strlen(s);
	mmapc_map *m = anon_map((int64_t)n);
	memcpy(mmapc_data(m), s, n);
	return m;
}

/* A map of the whole file fd with the given access. */
static inline mmapc_map *file_map(int fd, int access)
{
	mmapc_map *m = NULL;
	ck_assert_int_eq(mmapc_open(&m, fd, 0, access, 0, NULL), 0);
	return m;
}

#endif
