/* map_model.c: fuzz_map's reference model of an anonymous map: Python's mmap as a byte array
 * and a position, written from the project's spec (python-mmap-semantics.md) and mmapc.h's
 * documented errnos and deliberate differences, independently of client/map*.c and
 * client/find.c, so that the harness can compare the two after every operation.
 *
 * The model does what the spec says an operation does to the bytes, the length and the
 * position (find and rfind by brute force, slices index by index as the language reference
 * walks them, resize with the memfd that never shrinks); the harness (fuzz_map.c) decides
 * what each operation returns and checks it. One model, M: libFuzzer runs one input at a time.
 *
 * The functions that walk bytes (the comparison, find, slices, resize, readline's line) are
 * UNINSTRUMENTED (see map_model.h): the fuzzer learns from the library's branches, not the
 * model's. model_open and model_start, once per input, are left as they are.
 *
 * Not here: the operations and their checks (fuzz_map.c), tagged and file-backed maps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "map_model.h"

struct model M;
size_t page_size;

static uint8_t model_buf[MODEL_MAX];

/* The model of a map that opened so: zeroes, at position 0 (what mmapc_open makes of an
 * anonymous map with these arguments; o's flags and prot 0 are the defaults). */
void model_start(int64_t length, int access, int64_t offset, const struct mmapc_options *o)
{
	int prot = o->prot ? o->prot : PROT_READ | PROT_WRITE;
	int flags = o->flags ? o->flags : MAP_SHARED;
	memset(&M, 0, sizeof(M));
	M.obj = model_buf;
	M.obj_size = M.len = (size_t)length;
	memset(M.obj, 0, M.len);
	M.offset = offset;
	M.trackfd = !(o->options & MMAPC_NOTRACKFD);
	M.access = access;
	if (access == MMAPC_ACCESS_DEFAULT && !((prot & PROT_READ) && (prot & PROT_WRITE)))
		M.access = (prot & PROT_WRITE) ? MMAPC_ACCESS_WRITE : MMAPC_ACCESS_READ;
	M.private_map = access == MMAPC_ACCESS_COPY ||
	                (access == MMAPC_ACCESS_DEFAULT && (flags & MAP_TYPE) == MAP_PRIVATE);
}

/* Python's find/rfind bound: negative counts from the end, then clamped to [0, len]. */
UNINSTRUMENTED static int64_t bound(int64_t v, int64_t dflt)
{
	int64_t len = (int64_t)M.len;
	if (v == MMAPC_OMIT)
		v = dflt;
	if (v < 0)
		v = v + len < 0 ? 0 : v + len;
	return v > len ? len : v;
}

/* The index of the first byte where a and b differ, or n. A loop of its own rather than
 * memcmp (here and in model_find): libFuzzer's memcmp hook and ASan's range checks would cost
 * more than the comparison, on every byte of the map after every operation. Not under ASan
 * either: ASan's check of every load doubled the harness's time. Its callers pass the map
 * (which ASan does not track), the model's array and the harness's own buffers, each with
 * its length; readline's malloc'd line is read under ASan by the harness first. */
__attribute__((no_sanitize("address"))) UNINSTRUMENTED size_t first_difference(const uint8_t *a,
                                                                               const uint8_t *b,
                                                                               size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			break;
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

UNINSTRUMENTED int64_t model_find(const uint8_t *sub, size_t n, int64_t start, int64_t end,
                                  bool last)
{
	int64_t s = bound(start, M.pos), e = bound(end, (int64_t)M.len);

	if (e < s)
		return -ENOENT;
	if ((int64_t)n > e - s)
		return -ENOENT;
	if (n == 0)
		return last ? e : s;
	if (!last) {
		for (int64_t i = s; i + (int64_t)n <= e; i++) {
			const uint8_t *hit =
			        memchr(M.obj + i, sub[0], (size_t)(e - (int64_t)n - i + 1));
			if (!hit)
				return -ENOENT;
			i = hit - M.obj;
			if (first_difference(hit, sub, n) == n)
				return i;
		}
	} else {
		for (int64_t i = e - (int64_t)n; i >= s; i--) {
			const uint8_t *hit = memrchr(M.obj + s, sub[0], (size_t)(i - s + 1));
			if (!hit)
				return -ENOENT;
			i = hit - M.obj;
			if (first_difference(hit, sub, n) == n)
				return i;
		}
	}
	return -ENOENT;
}

/* Python's slice rules, written out as the language reference says them, not as a count
 * formula: each index is visited in turn. Fills idx (if not NULL) and returns the count, or
 * -EINVAL for step 0. */
UNINSTRUMENTED int64_t model_slice(int64_t start, int64_t stop, int64_t step, int64_t *idx)
{
	int64_t len = (int64_t)M.len, count = 0;

	if (step == MMAPC_OMIT)
		step = 1;
	if (step == 0)
		return -EINVAL;
	if (step > 0) {
		start = start == MMAPC_OMIT ? 0
		        : start < 0         ? (start + len < 0 ? 0 : start + len)
		                            : (start > len ? len : start);
		stop = stop == MMAPC_OMIT ? len
		       : stop < 0         ? (stop + len < 0 ? 0 : stop + len)
		                          : (stop > len ? len : stop);
		for (int64_t i = start; i < stop;) {
			if (idx)
				idx[count] = i;
			count++;
			if (__builtin_add_overflow(i, step, &i))
				break;
		}
	} else {
		/* Negative steps: the clamps are to [-1, len - 1]; -1 is "before the start". */
		start = start == MMAPC_OMIT ? len - 1
		        : start < 0         ? (start + len < 0 ? -1 : start + len)
		                            : (start > len - 1 ? len - 1 : start);
		stop = stop == MMAPC_OMIT ? -1
		       : stop < 0         ? (stop + len < 0 ? -1 : stop + len)
		                          : (stop > len - 1 ? len - 1 : stop);
		for (int64_t i = start; i > stop;) {
			if (idx)
				idx[count] = i;
			count++;
			if (__builtin_add_overflow(i, step, &i))
				break;
		}
	}
	return count;
}

/* Resizes the model as map.c resizes an anonymous map. */
UNINSTRUMENTED void model_resize(size_t newsize)
{
	if (newsize < M.len && M.private_map) {
		/* The private pages past the new end are unmapped: a later growth maps the memfd
		 * there again, which a private map never wrote. */
		size_t keep = (newsize + page_size - 1) / page_size * page_size;
		if (keep < M.obj_size)
			memset(M.obj + keep, 0, M.obj_size - keep);
	}
	if (newsize > M.obj_size) {
		memset(M.obj + M.obj_size, 0, newsize - M.obj_size);
		M.obj_size = newsize;
	}
	M.len = newsize;
}

UNINSTRUMENTED int64_t model_line(void)
{
	int64_t left = remaining();
	if (!left)
		return 0;
	const uint8_t *nl = memchr(M.obj + M.pos, '\n', (size_t)left);
	return nl ? nl - (M.obj + M.pos) + 1 : left;
}

/* What mmapc_open should say to an anonymous map asked for so (mmapc.h's order of checks). */
int model_open(int64_t length, int access, int64_t offset, const struct mmapc_options *o)
{
	const unsigned int known = MMAPC_NOTRACKFD | MMAPC_PERSISTENT | MMAPC_NOCREATE | MMAPC_EXCL;
	if (o->reserved[0] || (o->options & ~known) || (o->options & (MMAPC_NOCREATE | MMAPC_EXCL)))
		return -EINVAL;
	if (length < 0 || offset < 0)
		return -EOVERFLOW;
	int flags = o->flags ? o->flags : MAP_SHARED,
	    prot = o->prot ? o->prot : PROT_READ | PROT_WRITE;
	if (access != MMAPC_ACCESS_DEFAULT &&
	    (flags != MAP_SHARED || prot != (PROT_READ | PROT_WRITE)))
		return -EINVAL;
	if (access < 0 || access > MMAPC_ACCESS_COPY)
		return -EINVAL;
	int type = flags & MAP_TYPE;
	if ((flags & ~(MAP_SHARED | MAP_PRIVATE | MAP_POPULATE | MAP_NORESERVE | MAP_LOCKED)) ||
	    (type != MAP_SHARED && type != MAP_PRIVATE))
		return -EINVAL;
	if (length == 0 || offset % (int64_t)page_size)
		return -EINVAL;
	return 0;
}
