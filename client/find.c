/* find.c: substring search for mmapc_find and mmapc_rfind.
 *
 * Forward search is glibc's memmem, which is already the fastest general search on this
 * platform (memchr for one byte, a hashed shift table for short needles, two-way for long
 * ones) and linear in the worst case.
 *
 * There is no memrmem, so the reverse search is built here from two parts:
 *   - a fast path that finds candidates with memrchr (vectorised) on the needle's first byte
 *     and checks each with memcmp; on real data most windows are rejected at SIMD speed;
 *   - Crochemore and Perrin's two-way algorithm run on the reversed haystack and needle,
 *     which is linear in the worst case. The fast path hands over to it as soon as it has
 *     done more comparison work than a fixed multiple of the bytes it has passed, so input
 *     such as "aaaa…" cannot make rfind quadratic.
 * The two-way code follows musl's memmem (MIT), transcribed to read both strings backwards.
 *
 * Not here: bound clamping and locking (map_io.c). These functions see plain memory.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "map.h"

int64_t find_first(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t needle_len)
{
	if (!needle_len)
		return 0;
	const uint8_t *p = memmem(hay, hay_len, needle, needle_len);
	return p ? p - hay : -1;
}

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define BITOP(a, b, op) \
	((a)[(size_t)(b) / (8 * sizeof *(a))] op(size_t) 1 << ((size_t)(b) % (8 * sizeof *(a))))

/* Two-way search for the reversed needle in the reversed haystack. R(i) is byte i of the
 * reversed needle, T(i) byte i of the reversed haystack. Returns the forward index of the
 * highest match, or -1. */
static int64_t twoway_last(const uint8_t *hay, size_t hl, const uint8_t *needle, size_t l)
{
#define R(i) (needle[l - 1 - (i)])
#define T(i) (hay[hl - 1 - (h + (i))])
	size_t i, ip, jp, k, p, ms, p0, mem, mem0, h = 0;
	size_t byteset[32 / sizeof(size_t)] = {0};
	size_t shift[256];

	for (i = 0; i < l; i++)
		BITOP(byteset, R(i), |=), shift[R(i)] = i + 1;

	/* The maximal suffix of the reversed needle, for both orderings of the alphabet. */
	ip = (size_t)-1, jp = 0, k = p = 1;
	while (jp + k < l) {
		if (R(ip + k) == R(jp + k)) {
			if (k == p) {
				jp += p;
				k = 1;
			} else {
				k++;
			}
		} else if (R(ip + k) > R(jp + k)) {
			jp += k;
			k = 1;
			p = jp - ip;
		} else {
			ip = jp++;
			k = p = 1;
		}
	}
	ms = ip;
	p0 = p;
	ip = (size_t)-1, jp = 0, k = p = 1;
	while (jp + k < l) {
		if (R(ip + k) == R(jp + k)) {
			if (k == p) {
				jp += p;
				k = 1;
			} else {
				k++;
			}
		} else if (R(ip + k) < R(jp + k)) {
			jp += k;
			k = 1;
			p = jp - ip;
		} else {
			ip = jp++;
			k = p = 1;
		}
	}
	if (ip + 1 > ms + 1)
		ms = ip;
	else
		p = p0;

	/* Is the reversed needle periodic with period p over its critical factorisation? (musl's
	 * memcmp(n, n + p, ms + 1); ms is (size_t)-1 for a needle of one repeated byte, so the
	 * bound is ms + 1, which wraps to 0, never i <= ms.) */
	bool periodic = true;
	for (i = 0; i < ms + 1 && periodic; i++)
		periodic = R(i) == R(i + p);
	if (!periodic) {
		mem0 = 0;
		p = MAX(ms, l - ms - 1) + 1;
	} else {
		mem0 = l - p;
	}
	mem = 0;

	for (;;) {
		if (hl - h < l)
			return -1;
		if (BITOP(byteset, T(l - 1), &)) {
			k = l - shift[T(l - 1)];
			if (k) {
				if (k < mem)
					k = mem;
				h += k;
				mem = 0;
				continue;
			}
		} else {
			h += l;
			mem = 0;
			continue;
		}
		for (k = MAX(ms + 1, mem); k < l && R(k) == T(k); k++)
			;
		if (k < l) {
			h += k - ms;
			mem = 0;
			continue;
		}
		for (k = ms + 1; k > mem && R(k - 1) == T(k - 1); k--)
			;
		if (k <= mem)
			return (int64_t)(hl - h - l);
		h += p;
		mem = mem0;
	}
#undef R
#undef T
}

int64_t find_last(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t needle_len)
{
	if (!needle_len)
		return (int64_t)hay_len;
	if (needle_len > hay_len)
		return -1;
	if (needle_len == 1) {
		const uint8_t *p = memrchr(hay, needle[0], hay_len);
		return p ? p - hay : -1;
	}

	/* Candidates start at or below last; each costs at most needle_len compared bytes. */
	size_t last = hay_len - needle_len, work = 0, budget = 4096;
	for (;;) {
		const uint8_t *p = memrchr(hay, needle[0], last + 1);
		if (!p)
			return -1;
		size_t at = (size_t)(p - hay);
		if (!memcmp(p + 1, needle + 1, needle_len - 1))
			return (int64_t)at;
		if (at == 0)
			return -1;
		work += needle_len;
		if (work > budget + 4 * (hay_len - needle_len - at))
			return twoway_last(hay, at - 1 + needle_len, needle, needle_len);
		last = at - 1;
	}
}
