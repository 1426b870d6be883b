/* find.c: substring search for mmapc_find and mmapc_rfind.
 *
 * Needles of two or more bytes go first through a candidate filter (wherever SSE2 is, as on
 * every x86-64; AVX2 is used when the processor has it): a window is a candidate when its
 * first byte is the needle's first and its last byte the needle's last, and vector compares
 * test 32 windows at once; each candidate is checked with memcmp. On most data nearly every
 * block of 32 windows has no candidate, so the scan runs at close to memory speed, well ahead
 * of glibc's memmem for short needles (whose shift table moves by at most the needle's length
 * per lookup); bench/data.c measures both, in both directions.
 *
 * Some inputs make most windows candidates ("aaaa…"). The filter counts the bytes its checks
 * compare, and once that passes a fixed allowance plus four per byte it has passed, it hands
 * the windows it has not checked to the search that ran alone before the filter existed, so
 * the worst case is what it was:
 *   - forward, glibc's memmem (memchr for one byte, a hashed shift table for short needles,
 *     two-way for long ones), which also runs alone where the filter does not: one-byte
 *     needles, haystacks of fewer than 32 windows, other processors;
 *   - backward, as there is no memrmem, Crochemore and Perrin's two-way algorithm run on the
 *     reversed haystack and needle, which is linear in the worst case. Where the filter does
 *     not run, memrchr finds the candidates (on the needle's first byte) instead, with the same
 *     hand-over.
 * The two-way code follows musl's memmem (MIT), transcribed to read both strings backwards.
 *
 * Not here: bound clamping and locking (map_io.c). These functions see plain memory.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "map.h"

#ifdef __SSE2__
#include <emmintrin.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define FILTER_AVX2 1
#endif
#endif

/* The comparison work (bytes) the candidate filters may do before they count it against the
 * bytes they have passed; see filter_first. */
#define FILTER_BUDGET 4096

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

/* memmem as an index: the lowest match at or after from, or -1. */
static int64_t memmem_from(const uint8_t *hay, size_t hay_len, size_t from, const uint8_t *needle,
                           size_t needle_len)
{
	const uint8_t *p = memmem(hay + from, hay_len - from, needle, needle_len);
	return p ? p - hay : -1;
}

#ifdef __SSE2__
/* The candidate filter. A pair_mask function returns 32 bits, bit k set when the window at
 * p + k has the needle's first byte (first) at its start and its last byte (last) at its end,
 * n1 = needle_len - 1 bytes further on. It reads p[0..32) and p[n1..n1 + 32), nothing else. */
typedef uint32_t pair_mask_fn(const uint8_t *p, size_t n1, uint8_t first, uint8_t last);

static inline uint32_t pair_mask_sse2(const uint8_t *p, size_t n1, uint8_t first, uint8_t last)
{
	const __m128i *a = (const __m128i *)p, *b = (const __m128i *)(p + n1);
	const __m128i f = _mm_set1_epi8((char)first), l = _mm_set1_epi8((char)last);
	__m128i lo = _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(a), f),
	                           _mm_cmpeq_epi8(_mm_loadu_si128(b), l));
	__m128i hi = _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128(a + 1), f),
	                           _mm_cmpeq_epi8(_mm_loadu_si128(b + 1), l));
	return (uint32_t)_mm_movemask_epi8(lo) | (uint32_t)_mm_movemask_epi8(hi) << 16;
}

#ifdef FILTER_AVX2
__attribute__((target("avx2"))) static inline uint32_t pair_mask_avx2(const uint8_t *p, size_t n1,
                                                                      uint8_t first, uint8_t last)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)p);
	__m256i b = _mm256_loadu_si256((const __m256i *)(p + n1));
	return (uint32_t)_mm256_movemask_epi8(
	        _mm256_and_si256(_mm256_cmpeq_epi8(a, _mm256_set1_epi8((char)first)),
	                         _mm256_cmpeq_epi8(b, _mm256_set1_epi8((char)last))));
}
#endif

/* Forward search of a needle of 2 or more bytes with at least 32 windows (hay_len - n >= 31):
 * candidates from mask_of, each checked with memcmp. Once the checks have cost more than
 * FILTER_BUDGET + 4 bytes per byte passed, the rest is left to memmem, so the worst case stays
 * memmem's. The last block of 32 windows is aligned to the end and overlaps the one before;
 * the windows the two share are masked off. Always inlined, so that each instruction set's
 * wrapper below gets its own copy with its mask function inlined. */
static inline __attribute__((always_inline)) int64_t filter_first(const uint8_t *hay,
                                                                  size_t hay_len,
                                                                  const uint8_t *needle, size_t n,
                                                                  pair_mask_fn *mask_of)
{
	size_t windows = hay_len - n + 1, work = 0;

	for (size_t i = 0; i < windows; i += 32) {
		size_t block = i + 32 <= windows ? i : windows - 32;
		uint32_t mask = mask_of(hay + block, n - 1, needle[0], needle[n - 1]);
		for (mask &= ~(uint32_t)0 << (i - block); mask; mask &= mask - 1) {
			size_t at = block + (size_t)__builtin_ctz(mask);
			if (!memcmp(hay + at + 1, needle + 1, n - 2))
				return (int64_t)at;
			work += n;
			if (work > FILTER_BUDGET + 4 * at)
				return memmem_from(hay, hay_len, at + 1, needle, n);
		}
	}
	return -1;
}

/* The same, backwards: the highest match, blocks taken from the end down, the lowest block
 * aligned to the start. When the checks cost too much, the windows below the last one
 * checked are left to the reversed two-way search. */
static inline __attribute__((always_inline)) int64_t filter_last(const uint8_t *hay, size_t hay_len,
                                                                 const uint8_t *needle, size_t n,
                                                                 pair_mask_fn *mask_of)
{
	size_t windows = hay_len - n + 1, work = 0;

	for (size_t i = windows; i > 0;) {
		size_t block = i >= 32 ? i - 32 : 0;
		uint32_t mask = mask_of(hay + block, n - 1, needle[0], needle[n - 1]);
		if (i - block < 32)
			mask &= ((uint32_t)1 << (i - block)) - 1;
		while (mask) {
			unsigned bit = 31u - (unsigned)__builtin_clz(mask);
			size_t at = block + bit;
			if (!memcmp(hay + at + 1, needle + 1, n - 2))
				return (int64_t)at;
			work += n;
			if (work > FILTER_BUDGET + 4 * (windows - 1 - at))
				return at ? twoway_last(hay, at - 1 + n, needle, n) : -1;
			mask ^= (uint32_t)1 << bit;
		}
		i = block;
	}
	return -1;
}

static int64_t filter_first_sse2(const uint8_t *hay, size_t hay_len, const uint8_t *needle,
                                 size_t n)
{
	return filter_first(hay, hay_len, needle, n, pair_mask_sse2);
}

static int64_t filter_last_sse2(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n)
{
	return filter_last(hay, hay_len, needle, n, pair_mask_sse2);
}

#ifdef FILTER_AVX2
__attribute__((target("avx2"))) static int64_t filter_first_avx2(const uint8_t *hay, size_t hay_len,
                                                                 const uint8_t *needle, size_t n)
{
	return filter_first(hay, hay_len, needle, n, pair_mask_avx2);
}

__attribute__((target("avx2"))) static int64_t filter_last_avx2(const uint8_t *hay, size_t hay_len,
                                                                const uint8_t *needle, size_t n)
{
	return filter_last(hay, hay_len, needle, n, pair_mask_avx2);
}
#endif

/* The filters with the widest vectors this processor has. */
static int64_t filter_first_best(const uint8_t *hay, size_t hay_len, const uint8_t *needle,
                                 size_t n)
{
#ifdef FILTER_AVX2
	if (__builtin_cpu_supports("avx2"))
		return filter_first_avx2(hay, hay_len, needle, n);
#endif
	return filter_first_sse2(hay, hay_len, needle, n);
}

static int64_t filter_last_best(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n)
{
#ifdef FILTER_AVX2
	if (__builtin_cpu_supports("avx2"))
		return filter_last_avx2(hay, hay_len, needle, n);
#endif
	return filter_last_sse2(hay, hay_len, needle, n);
}
#endif

int64_t find_first(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t needle_len)
{
	if (!needle_len)
		return 0;
#ifdef __SSE2__
	if (needle_len >= 2 && hay_len >= needle_len + 31)
		return filter_first_best(hay, hay_len, needle, needle_len);
#endif
	return memmem_from(hay, hay_len, 0, needle, needle_len);
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
#ifdef __SSE2__
	if (hay_len >= needle_len + 31)
		return filter_last_best(hay, hay_len, needle, needle_len);
#endif

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
