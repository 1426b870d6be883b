/* check_find.c: the find suite: mmapc_find and mmapc_rfind (spec section 3), compared with a
 * naive reference written from the spec: exhaustively on small maps, at random, and on inputs
 * that make a naive reverse search quadratic (where rfind falls back to its reversed two-way
 * search, client/find.c), with a loose time bound. Hot loops use `if (...) ck_abort_msg()`, as
 * ck_assert records a location on every success. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

#define OMIT MMAPC_OMIT
#define MIB ((size_t)1 << 20)

/* ---- the reference ------------------------------------------------------------------------ */

/* Spec section 3: an omitted bound takes its default (start: the position, end: the length);
 * a negative one has len added and is 0 if still negative; one above len is len. */
static int64_t ref_bound(int64_t v, int64_t dflt, int64_t len)
{
	if (v == OMIT)
		v = dflt;
	if (v < 0) {
		v += len;
		if (v < 0)
			v = 0;
	}
	if (v > len)
		v = len;
	return v;
}

/* Python's mmap find (last false) or rfind (last true) on hay[0..len) with position pos:
 * the lowest or highest i in [start, end) with hay[i..i+n) == sub, i + n <= end; -ENOENT if
 * there is none or if end < start. An empty sub is found at start (find) or end (rfind). */
static int64_t ref_search(const uint8_t *hay, int64_t len, int64_t pos, const uint8_t *sub,
                          size_t n, int64_t start, int64_t end, bool last)
{
	int64_t s = ref_bound(start, pos, len), e = ref_bound(end, len, len);
	int64_t sn = (int64_t)n;

	if (e < s)
		return -ENOENT;
	if (last) {
		for (int64_t i = e - sn; i >= s; i--)
			if (memcmp(hay + i, sub, n) == 0)
				return i;
	} else {
		for (int64_t i = s; i + sn <= e; i++)
			if (memcmp(hay + i, sub, n) == 0)
				return i;
	}
	return -ENOENT;
}

/* ---- helpers -------------------------------------------------------------------------------- */

/* An anonymous map holding the n bytes of data. */
static mmapc_map *map_of(const void *data, size_t n)
{
	mmapc_map *m = anon_map((int64_t)n);
	memcpy(mmapc_data(m), data, n);
	return m;
}

/* A bound as text: "OMIT" or the number. */
static const char *show_bound(char *out, size_t size, int64_t v)
{
	if (v == OMIT)
		snprintf(out, size, "OMIT");
	else
		snprintf(out, size, "%lld", (long long)v);
	return out;
}

/* Up to 48 bytes of p, printable ones as they are and others as \xNN. */
static const char *show_bytes(char *out, size_t size, const uint8_t *p, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && i < 48 && o + 8 < size; i++)
		o += (size_t)snprintf(out + o, size - o,
		                      p[i] >= 0x20 && p[i] < 0x7f ? "%c" : "\\x%02x", p[i]);
	if (n > 48 && o + 4 < size)
		snprintf(out + o, size - o, "...");
	return out;
}

/* Compares find and rfind with the reference for one call; hay/len/pos describe the map m. */
static void check_call(mmapc_map *m, const uint8_t *hay, int64_t len, int64_t pos,
                       const uint8_t *sub, size_t n, int64_t start, int64_t end, const char *ctx)
{
	for (int last = 0; last < 2; last++) {
		int64_t want = ref_search(hay, len, pos, sub, n, start, end, last);
		int64_t got = last ? mmapc_rfind(m, sub, n, start, end)
		                   : mmapc_find(m, sub, n, start, end);
		if (got != want) {
			char s[32], e[32], nd[256];
			ck_abort_msg(
			        "%s: %s(\"%s\" (%zu bytes), start %s, end %s) on len %lld, pos "
			        "%lld: got %lld, want %lld",
			        ctx, last ? "rfind" : "find", show_bytes(nd, sizeof nd, sub, n), n,
			        show_bound(s, sizeof s, start), show_bound(e, sizeof e, end),
			        (long long)len, (long long)pos, (long long)got, (long long)want);
		}
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The loose bound on one big search: 2 s, or 120 s under valgrind (~50 times slower). */
static double time_limit(void)
{
	return getenv("MMAPC_TEST_VALGRIND") ? 120.0 : 2.0;
}

/* ---- exhaustive comparison over small maps ------------------------------------------------ */

struct buffer {
	const char *data;
	size_t len;
};

static const struct buffer buffers[] = {
        {"a", 1},
        {"abacaba", 7},
        {"aabaab\0\xff"
         "aabaaab",
         16},
};

/* Every start and end in [-len-3, len+3] and OMIT, for every needle, on map m of buffer b
 * whose position is pos (which may be past the end). The position must never move. */
static void check_all_bounds(mmapc_map *m, const struct buffer *b, int64_t pos)
{
	static const struct {
		const char *s;
		size_t n;
	} fixed[] = {
	        {"", 0},    {"a", 1},   {"z", 1},   {"\xff", 1}, {"\0", 1},
	        {"aa", 2},  {"ab", 2},  {"ba", 2},  {"bb", 2},   {"aba", 3},
	        {"aab", 3}, {"aaa", 3}, {"baa", 3}, {"abab", 4}, {"\0\xff", 2},
	};
	const uint8_t *hay = (const uint8_t *)b->data;
	int64_t len = (int64_t)b->len;
	uint8_t longer[32];
	char ctx[64];

	ck_assert_uint_lt(b->len + 1, sizeof longer);
	memcpy(longer, b->data, b->len);
	longer[b->len] = 'a';

	size_t nfixed = sizeof fixed / sizeof fixed[0];
	for (size_t k = 0; k < nfixed + 3; k++) {
		const uint8_t *sub;
		size_t n;
		if (k < nfixed) {
			sub = (const uint8_t *)fixed[k].s;
			n = fixed[k].n;
		} else if (k == nfixed) { /* the whole buffer */
			sub = hay;
			n = b->len;
		} else if (k == nfixed + 1) { /* longer than the buffer */
			sub = longer;
			n = b->len + 1;
		} else { /* the buffer's tail, which also occurs elsewhere in some */
			sub = hay + b->len / 2;
			n = b->len - b->len / 2;
		}
		snprintf(ctx, sizeof ctx, "needle #%zu", k);
		for (int64_t start = -len - 4; start <= len + 3; start++) {
			for (int64_t end = -len - 4; end <= len + 3; end++) {
				/* -len-4 stands for OMIT. */
				int64_t s = start == -len - 4 ? OMIT : start;
				int64_t e = end == -len - 4 ? OMIT : end;
				check_call(m, hay, len, pos, sub, n, s, e, ctx);
			}
		}
		if (mmapc_tell(m) != pos)
			ck_abort_msg("the position moved from %lld to %lld", (long long)pos,
			             (long long)mmapc_tell(m));
	}
}

/* For each buffer (the loop index) and several positions, the library agrees with the
 * reference on every start/end pair. */
START_TEST(test_find_matches_reference_all_bounds)
{
	const struct buffer *b = &buffers[_i];
	int64_t len = (int64_t)b->len;
	int64_t positions[] = {0, 1, len / 2, len - 1, len};
	mmapc_map *m = map_of(b->data, b->len);

	for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
		ck_assert_int_eq(mmapc_seek(m, positions[p], SEEK_SET), positions[p]);
		check_all_bounds(m, b, positions[p]);
	}
	mmapc_free(m);
}
END_TEST

/* The same after a shrinking resize left the position past the end: the default start is
 * the position, clamped to len. */
START_TEST(test_find_matches_reference_pos_past_end)
{
	const struct buffer *b = &buffers[_i];
	int64_t len = (int64_t)b->len;
	mmapc_map *m = anon_map(len + 6);

	memcpy(mmapc_data(m), b->data, b->len);
	ck_assert_int_eq(mmapc_seek(m, len + 4, SEEK_SET), len + 4);
	ck_assert_int_eq(mmapc_resize(m, len), 0);
	ck_assert_int_eq(mmapc_tell(m), len + 4);
	check_all_bounds(m, b, len + 4);
	mmapc_free(m);
}
END_TEST

/* ---- the documented special cases --------------------------------------------------------- */

START_TEST(test_find_not_found_is_enoent)
{
	mmapc_map *m = map_of("abcabc", 6);

	ck_assert_int_eq(mmapc_find(m, "x", 1, OMIT, OMIT), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, "x", 1, OMIT, OMIT), -ENOENT);
	ck_assert_int_eq(mmapc_find(m, "cab", 3, 3, OMIT), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, "cab", 3, OMIT, 4), -ENOENT);
	/* A needle that would fit only past end, or is longer than the map. */
	ck_assert_int_eq(mmapc_find(m, "abc", 3, 1, 5), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, "abc", 3, 1, 5), -ENOENT);
	ck_assert_int_eq(mmapc_find(m, "abcabca", 7, OMIT, OMIT), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, "abcabca", 7, OMIT, OMIT), -ENOENT);
	/* end < start, even for a needle at start. */
	ck_assert_int_eq(mmapc_find(m, "b", 1, 4, 2), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, "b", 1, -2, -5), -ENOENT);
	ck_assert_int_eq(mmapc_find(m, "cab", 3, OMIT, OMIT), 2); /* but this is found */
	mmapc_free(m);
}
END_TEST

START_TEST(test_find_empty_needle_start_and_end)
{
	mmapc_map *m = map_of("abcdefg", 7);

	ck_assert_int_eq(mmapc_find(m, "", 0, OMIT, OMIT), 0);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, OMIT, OMIT), 7);
	ck_assert_int_eq(mmapc_find(m, "", 0, 2, 5), 2);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, 2, 5), 5);
	/* After clamping: negative counts from the end, then [0, len]. */
	ck_assert_int_eq(mmapc_find(m, "", 0, -3, OMIT), 4);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, OMIT, -3), 4);
	ck_assert_int_eq(mmapc_find(m, "", 0, -100, 100), 0);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, -100, 100), 7);
	ck_assert_int_eq(mmapc_find(m, "", 0, INT64_MIN + 1, INT64_MAX), 0);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, INT64_MIN + 1, INT64_MAX), 7);
	ck_assert_int_eq(mmapc_find(m, "", 0, 3, 3), 3);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, 3, 3), 3);
	/* end < start. */
	ck_assert_int_eq(mmapc_find(m, "", 0, 5, 2), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, 5, 2), -ENOENT);
	ck_assert_int_eq(mmapc_find(m, "", 0, -1, -2), -ENOENT);
	/* start > len is clamped to len: found at len, unlike bytes.find which gives -1. */
	ck_assert_int_eq(mmapc_find(m, "", 0, 10, OMIT), 7);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, 10, OMIT), 7);
	ck_assert_int_eq(mmapc_find(m, "", 0, 10, 20), 7);
	ck_assert_int_eq(mmapc_find(m, "", 0, INT64_MAX, INT64_MAX), 7);
	ck_assert_int_eq(mmapc_find(m, "", 0, 10, 3), -ENOENT);
	mmapc_free(m);
}
END_TEST

/* The default start is the position, not 0; with the position past the end (after a shrink)
 * it is clamped to len. */
START_TEST(test_find_default_start_is_position)
{
	mmapc_map *m = map_of("xyxyxyxyxy", 10);

	ck_assert_int_eq(mmapc_seek(m, 3, SEEK_SET), 3);
	ck_assert_int_eq(mmapc_find(m, "xy", 2, OMIT, OMIT), 4);
	ck_assert_int_eq(mmapc_find(m, "", 0, OMIT, OMIT), 3);
	ck_assert_int_eq(mmapc_rfind(m, "xy", 2, OMIT, OMIT), 8);
	ck_assert_int_eq(mmapc_rfind(m, "xy", 2, OMIT, 6), 4);
	ck_assert_int_eq(mmapc_rfind(m, "xy", 2, OMIT, 5), -ENOENT);
	ck_assert_int_eq(mmapc_find(m, "xy", 2, 0, OMIT), 0);
	ck_assert_int_eq(mmapc_seek(m, 9, SEEK_SET), 9);
	ck_assert_int_eq(mmapc_find(m, "y", 1, OMIT, OMIT), 9);
	ck_assert_int_eq(mmapc_find(m, "x", 1, OMIT, OMIT), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, "x", 1, OMIT, OMIT), -ENOENT);

	/* pos 9 > len 4 after shrinking. */
	ck_assert_int_eq(mmapc_resize(m, 4), 0);
	ck_assert_int_eq(mmapc_tell(m), 9);
	ck_assert_int_eq(mmapc_find(m, "", 0, OMIT, OMIT), 4);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, OMIT, OMIT), 4);
	ck_assert_int_eq(mmapc_find(m, "", 0, OMIT, 2), -ENOENT);
	ck_assert_int_eq(mmapc_find(m, "x", 1, OMIT, OMIT), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, "y", 1, OMIT, OMIT), -ENOENT);
	ck_assert_int_eq(mmapc_find(m, "x", 1, 0, OMIT), 0);
	ck_assert_int_eq(mmapc_rfind(m, "x", 1, 0, OMIT), 2);
	ck_assert_int_eq(mmapc_tell(m), 9);
	mmapc_free(m);
}
END_TEST

/* No call moves the position, whatever it finds and whatever the bounds. */
START_TEST(test_find_position_unchanged)
{
	mmapc_map *m = map_of("hello, world", 12);

	ck_assert_int_eq(mmapc_seek(m, 5, SEEK_SET), 5);
	for (int64_t b = -14; b <= 14; b++) {
		ck_assert_int_ge(mmapc_find(m, "", 0, b, OMIT), -ENOENT);
		ck_assert_int_ge(mmapc_rfind(m, "o", 1, OMIT, b), -ENOENT);
		ck_assert_int_ge(mmapc_find(m, "l", 1, OMIT, b), -ENOENT);
		ck_assert_int_eq(mmapc_tell(m), 5);
	}
	mmapc_free(m);
}
END_TEST

/* ---- randomised differential tests -------------------------------------------------------- */

/* A random bound: OMIT sometimes, else anywhere in [-len-5, len+5]. */
static int64_t random_bound(int64_t len)
{
	if (rand() % 8 == 0)
		return OMIT;
	return (int64_t)(rand() % (int)(2 * len + 11)) - len - 5;
}

/* Fills hay with len bytes over the first k letters of "abc": uniformly at random, or (mode
 * 1) a short random word repeated with a few random changes, so that near-matches abound. */
static void random_hay(uint8_t *hay, size_t len, int k, int mode)
{
	if (mode == 0) {
		for (size_t i = 0; i < len; i++)
			hay[i] = (uint8_t)('a' + rand() % k);
		return;
	}
	uint8_t word[8];
	size_t wl = 1 + (size_t)(rand() % 7);
	for (size_t i = 0; i < wl; i++)
		word[i] = (uint8_t)('a' + rand() % k);
	for (size_t i = 0; i < len; i++)
		hay[i] = word[i % wl];
	for (size_t c = (size_t)rand() % (len / 50 + 2); c > 0; c--)
		hay[(size_t)rand() % len] = (uint8_t)('a' + rand() % k);
}

/* One random case: needle of 1..max_needle bytes, usually cut out of hay (possibly with the
 * last byte changed), random bounds, random position. */
static void random_case(const uint8_t *hay, size_t len, int k, size_t max_needle, int seed,
                        int n_case)
{
	uint8_t needle[2048];
	size_t n = 1 + (size_t)rand() % max_needle;
	int kind = rand() % 4;
	char ctx[96];

	ck_assert_uint_le(max_needle, sizeof needle);
	if (kind < 3 && n <= len) {
		memcpy(needle, hay + (size_t)rand() % (len - n + 1), n);
		if (kind == 2)
			needle[n - 1] = (uint8_t)('a' + rand() % k);
	} else {
		for (size_t i = 0; i < n; i++)
			needle[i] = (uint8_t)('a' + rand() % k);
	}

	mmapc_map *m = map_of(hay, len);
	int64_t pos = (int64_t)((size_t)rand() % (len + 1));
	ck_assert_int_eq(mmapc_seek(m, pos, SEEK_SET), pos);
	snprintf(ctx, sizeof ctx, "seed %d, case %d", seed, n_case);
	for (int j = 0; j < 4; j++) {
		int64_t start = j == 0 ? OMIT : random_bound((int64_t)len);
		int64_t end = j == 0 ? OMIT : random_bound((int64_t)len);
		check_call(m, hay, (int64_t)len, pos, needle, n, start, end, ctx);
	}
	if (mmapc_tell(m) != pos)
		ck_abort_msg("%s: the position moved", ctx);
	mmapc_free(m);
}

/* Thousands of random maps up to 300 bytes over {a,b} and {a,b,c}, needles of 1..20 bytes. */
START_TEST(test_find_random_small_alphabets)
{
	const int seed = 12345;
	uint8_t hay[300];

	srand(seed);
	for (int c = 0; c < 4000; c++) {
		size_t len = 1 + (size_t)rand() % sizeof hay;
		int k = 2 + rand() % 2;
		random_hay(hay, len, k, rand() % 2);
		random_case(hay, len, k, 20, seed, c);
	}
}
END_TEST

/* Longer maps (up to 6000 bytes) of near-periodic text and needles of up to 300 bytes: here
 * rfind's first-byte fast path exceeds its budget and hands over to the two-way search, at
 * every kind of place in the haystack. */
START_TEST(test_find_random_long_periodic)
{
	const int seed = 54321;
	static uint8_t hay[6000];

	srand(seed);
	for (int c = 0; c < 400; c++) {
		size_t len = 300 + (size_t)rand() % (sizeof hay - 300);
		int k = 2 + rand() % 2;
		random_hay(hay, len, k, 1);
		random_case(hay, len, k, 300, seed, c);
	}
}
END_TEST

/* Random {a,b} text, then "bbbabbba", then 6000 'a': the fast path gives up in the 'a's, and
 * the two-way search reaches the point where a bad-byte shift is raised to the remembered
 * length of a periodic match (client/find.c, "if (k < mem)"). */
START_TEST(test_find_random_twoway_periodic_memory)
{
	const int seed = 777;
	static uint8_t hay[6100];
	static const uint8_t needle[] = "abbab";

	srand(seed);
	for (int c = 0; c < 200; c++) {
		size_t pl = (size_t)rand() % 41, len = pl + 8 + 6000;
		for (size_t i = 0; i < pl; i++)
			hay[i] = (uint8_t)('a' + rand() % 2);
		memcpy(hay + pl, "bbbabbba", 8);
		memset(hay + pl + 8, 'a', 6000);
		mmapc_map *m = map_of(hay, len);
		char ctx[64];
		snprintf(ctx, sizeof ctx, "seed %d, case %d", seed, c);
		check_call(m, hay, (int64_t)len, 0, needle, 5, OMIT, OMIT, ctx);
		check_call(m, hay, (int64_t)len, 0, needle, 5, 1, -1, ctx);
		check_call(m, hay, (int64_t)len, 0, needle, 4, OMIT, OMIT, ctx);
		mmapc_free(m);
	}
}
END_TEST

/* ---- pathological inputs for rfind -------------------------------------------------------- */

/* Times find and rfind of sub in m (bounds OMIT, position 0) and checks their answers. */
static void check_timed(mmapc_map *m, const uint8_t *sub, size_t n, int64_t want_first,
                        int64_t want_last)
{
	double t0 = now();
	int64_t got = mmapc_rfind(m, sub, n, OMIT, OMIT);
	double t1 = now();
	ck_assert_int_eq(got, want_last);
	ck_assert_msg(t1 - t0 < time_limit(), "rfind of %zu bytes took %.2f s", n, t1 - t0);
	got = mmapc_find(m, sub, n, OMIT, OMIT);
	double t2 = now();
	ck_assert_int_eq(got, want_first);
	ck_assert_msg(t2 - t1 < time_limit(), "find of %zu bytes took %.2f s", n, t2 - t1);
}

/* A needle of n bytes: prefix, body repeated, suffix. */
static uint8_t *make_needle(size_t n, const char *prefix, char body, const char *suffix)
{
	uint8_t *p = malloc(n);
	size_t np = strlen(prefix), ns = strlen(suffix);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_ge(n, np + ns);
	memset(p, body, n);
	memcpy(p, prefix, np);
	memcpy(p + n - ns, suffix, ns);
	return p;
}

/* 'a'*(n-1) + 'b' in 'a's with a single 'b', moved over the last 800 places: the match sits
 * at every distance from the point where rfind's fast path hands over to the two-way search
 * (which depends on n), including the window just below the last candidate it rejected. */
START_TEST(test_find_rfind_handover_boundary)
{
	static const size_t lens[] = {10, 100, 1000, 2000};
	const size_t len = 20000;
	mmapc_map *m = anon_map((int64_t)len);
	uint8_t *d = mmapc_data(m);

	memset(d, 'a', len);
	for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
		size_t n = lens[k];
		uint8_t *sub = make_needle(n, "", 'a', "b");
		for (size_t dist = 0; dist < 800; dist++) {
			size_t b = len - 1 - dist;
			int64_t want = (int64_t)(b - (n - 1));
			d[b] = 'b';
			int64_t got = mmapc_rfind(m, sub, n, OMIT, OMIT);
			int64_t got_first = mmapc_find(m, sub, n, OMIT, OMIT);
			d[b] = 'a';
			if (got != want || got_first != want)
				ck_abort_msg(
				        "needle of %zu bytes, 'b' at %zu: rfind %lld, find %lld, "
				        "want %lld",
				        n, b, (long long)got, (long long)got_first,
				        (long long)want);
		}
		free(sub);
	}
	mmapc_free(m);
}
END_TEST

/* 8 MiB of 'a': "b" + 'a'*1000 and 'a'*999 + "b" (and a much longer one, which a quadratic
 * search could never finish in time) are absent; 'a'*5000 is everywhere; 'a'*999 + "b" once
 * at either end. */
START_TEST(test_find_8mib_of_a)
{
	const size_t len = 8 * MIB;
	mmapc_map *m = anon_map((int64_t)len);
	uint8_t *d = mmapc_data(m), *sub;

	memset(d, 'a', len);
	sub = make_needle(1001, "b", 'a', "");
	check_timed(m, sub, 1001, -ENOENT, -ENOENT);
	free(sub);
	sub = make_needle(100000, "", 'a', "b");
	check_timed(m, sub, 100000, -ENOENT, -ENOENT);
	free(sub);
	sub = make_needle(5000, "", 'a', "");
	check_timed(m, sub, 5000, 0, (int64_t)len - 5000);
	ck_assert_int_eq(mmapc_rfind(m, sub, 5000, OMIT, 4999), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, sub, 5000, OMIT, 5000), 0);
	ck_assert_int_eq(mmapc_rfind(m, sub, 5000, OMIT, -1), (int64_t)len - 5001);
	free(sub);
	sub = make_needle(1000, "", 'a', "b");
	check_timed(m, sub, 1000, -ENOENT, -ENOENT);
	d[len - 1] = 'b';
	check_timed(m, sub, 1000, (int64_t)len - 1000, (int64_t)len - 1000);
	d[len - 1] = 'a';
	d[999] = 'b';
	check_timed(m, sub, 1000, 0, 0);
	free(sub);
	mmapc_free(m);
}
END_TEST

/* hay = unit repeated, except that at clean and every spacing bytes after it the byte is
 * defect. If defect differs from the unit's byte there, spacing is a multiple of the unit's
 * length and needles of the repeated unit are longer than spacing, such a needle occurs only
 * at multiples of the unit's length that end by clean. */
static void fill_periodic(uint8_t *hay, size_t len, const char *unit, size_t clean, size_t spacing,
                          char defect)
{
	size_t ul = strlen(unit);

	for (size_t i = 0; i < len; i++)
		hay[i] = (uint8_t)unit[i % ul];
	for (size_t i = clean; i < len; i += spacing)
		hay[i] = (uint8_t)defect;
}

struct periodic {
	const char *unit;
	char defect;
	size_t clean, spacing, needle_len;
};

/* Over 8 MiB: a naive reverse search compares up to spacing bytes at every candidate. */
static const struct periodic periodic_cases[] = {
        /* 'a'*5000 present only at the very start: a 'b' every 4999 bytes from 5000 on. */
        {"a", 'b', 5000, 4999, 5000},
        /* periods 2 and 3, needles over 256 bytes, up to 64 KiB. */
        {"ab", 'a', 2401, 1000, 1200},
        {"abc", 'a', 2402, 999, 1200},
        {"abc", 'b', 30305, 30000, 30003},
        {"ab", 'a', 200001, 65000, 65536},
};

/* Smaller versions of the same constructions, small enough for the reference. */
static const struct periodic periodic_small[] = {
        {"a", 'b', 300, 299, 300},  {"a", 'b', 2, 1, 2},        {"ab", 'a', 241, 100, 120},
        {"ab", 'a', 5, 2, 4},       {"abc", 'a', 242, 99, 120}, {"abc", 'b', 401, 300, 303},
        {"ab", 'a', 701, 260, 300}, {"abc", 'a', 8, 3, 6},
};

/* The answers the construction promises. */
static void periodic_answers(const struct periodic *c, int64_t *first, int64_t *last)
{
	int64_t ul = (int64_t)strlen(c->unit);
	*first = 0;
	*last = ((int64_t)c->clean - (int64_t)c->needle_len) / ul * ul;
}

/* The needle of a periodic case: its unit repeated. */
static uint8_t *periodic_needle(const struct periodic *c)
{
	uint8_t *sub = malloc(c->needle_len);
	size_t ul = strlen(c->unit);

	ck_assert_ptr_nonnull(sub);
	for (size_t i = 0; i < c->needle_len; i++)
		sub[i] = (uint8_t)c->unit[i % ul];
	return sub;
}

/* Small versions (the haystack about 7 needles long): the construction's answers agree with the
 * reference, and so does the library, for a few bounds. */
START_TEST(test_find_periodic_small_match_reference)
{
	const struct periodic *c = &periodic_small[_i];
	size_t len = c->clean + 6 * c->needle_len;
	uint8_t *hay = malloc(len), *sub = periodic_needle(c);
	int64_t first, last;
	int64_t bounds[] = {OMIT, 0, 1, -1, (int64_t)c->clean, (int64_t)c->clean - 1, -7};

	ck_assert_ptr_nonnull(hay);
	fill_periodic(hay, len, c->unit, c->clean, c->spacing, c->defect);
	periodic_answers(c, &first, &last);
	ck_assert_int_eq(ref_search(hay, (int64_t)len, 0, sub, c->needle_len, OMIT, OMIT, false),
	                 first);
	ck_assert_int_eq(ref_search(hay, (int64_t)len, 0, sub, c->needle_len, OMIT, OMIT, true),
	                 last);

	mmapc_map *m = map_of(hay, len);
	for (size_t s = 0; s < sizeof bounds / sizeof bounds[0]; s++)
		for (size_t e = 0; e < sizeof bounds / sizeof bounds[0]; e++)
			check_call(m, hay, (int64_t)len, 0, sub, c->needle_len, bounds[s],
			           bounds[e], c->unit);
	/* And a needle one unit shorter or one byte longer. */
	check_call(m, hay, (int64_t)len, 0, sub, c->needle_len - strlen(c->unit), OMIT, OMIT,
	           c->unit);
	free(sub);
	sub = periodic_needle(&(struct periodic){c->unit, 0, 0, 0, c->needle_len + 1});
	check_call(m, hay, (int64_t)len, 0, sub, c->needle_len + 1, OMIT, OMIT, c->unit);
	mmapc_free(m);
	free(sub);
	free(hay);
}
END_TEST

/* The same constructions over 8 MiB: known answers, in bounded time. */
START_TEST(test_find_periodic_8mib)
{
	const struct periodic *c = &periodic_cases[_i];
	size_t len = 8 * MIB;
	mmapc_map *m = anon_map((int64_t)len);
	uint8_t *sub = periodic_needle(c);
	int64_t first, last;

	fill_periodic(mmapc_data(m), len, c->unit, c->clean, c->spacing, c->defect);
	periodic_answers(c, &first, &last);
	check_timed(m, sub, c->needle_len, first, last);
	/* Nothing at or after last + 1. */
	ck_assert_int_eq(mmapc_find(m, sub, c->needle_len, last + 1, OMIT), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, sub, c->needle_len, last + 1, OMIT), -ENOENT);
	free(sub);
	mmapc_free(m);
}
END_TEST

/* A needle of one repeated byte placed right after an inaccessible page, searched for where
 * rfind falls back to the two-way search: the search may read only the needle's n bytes.
 * Run in a child so that a fault is a failure, not the end of the run. */
START_TEST(test_find_rfind_uniform_needle_in_bounds)
{
	const size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 64, len = 64 * 200;
	uint8_t *guard =
	        mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(guard, MAP_FAILED);
	ck_assert_int_eq(mprotect(guard, page, PROT_NONE), 0);
	uint8_t *sub = guard + page;
	memset(sub, 'a', n);

	/* 'a'*64 at 0, then "b" + 'a'*63 over and over: near misses everywhere. */
	mmapc_map *m = anon_map((int64_t)len);
	uint8_t *d = mmapc_data(m);
	for (size_t i = 0; i < len; i++)
		d[i] = i >= n && i % n == 0 ? 'b' : 'a';

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		bool ok = mmapc_rfind(m, sub, n, OMIT, OMIT) == 0;
		_exit(ok && mmapc_rfind(m, sub, n - 1, OMIT, OMIT) == (int64_t)len - 63 ? 0 : 1);
	}
	int status = 0;
	pid_t waited = waitpid(pid, &status, 0);
	mmapc_free(m); /* before any assertion, so that a failure leaks nothing */
	munmap(guard, 2 * page);
	ck_assert_int_eq(waited, pid);
	ck_assert_msg(WIFEXITED(status),
	              "rfind of a uniform needle killed the child with signal %d (it read before "
	              "the needle)",
	              WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ck_assert_msg(WEXITSTATUS(status) == 0,
	              "the child exited with %d: a wrong answer, or a sanitizer's report",
	              WEXITSTATUS(status));
}
END_TEST

/* ---- a large map ---------------------------------------------------------------------------- */

START_TEST(test_find_large_map_needle_near_each_end)
{
	const int64_t len = 64 * (int64_t)MIB;
	mmapc_map *m = anon_map(len);
	uint8_t *d = mmapc_data(m);
	static const char word[] = "mmapc-needle";
	const size_t wl = sizeof word - 1;

	memcpy(d + 3, word, wl);
	memcpy(d + len - 20, word, wl);
	ck_assert_int_eq(mmapc_find(m, word, wl, OMIT, OMIT), 3);
	ck_assert_int_eq(mmapc_rfind(m, word, wl, OMIT, OMIT), len - 20);
	ck_assert_int_eq(mmapc_find(m, word, wl, 4, OMIT), len - 20);
	ck_assert_int_eq(mmapc_rfind(m, word, wl, OMIT, len - 21), 3);
	ck_assert_int_eq(mmapc_find(m, word, wl, 4, len - 20 + (int64_t)wl - 1), -ENOENT);
	ck_assert_int_eq(mmapc_rfind(m, word, wl, 4, len - 20 + (int64_t)wl - 1), -ENOENT);
	ck_assert_int_eq(mmapc_find(m, word, wl, -20, OMIT), len - 20);
	ck_assert_int_eq(mmapc_rfind(m, word, wl, -20, OMIT), len - 20);

	/* A needle of zeros ended by 'Y' in a sea of zeros: every window is a near match, so
	 * rfind must take the two-way search over the whole map. */
	static const uint8_t zy[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'Y'};
	memset(d + 3, 0, wl);
	memset(d + len - 20, 0, wl);
	d[12] = 'Y';
	d[len - 1] = 'Y';
	double t0 = now();
	ck_assert_int_eq(mmapc_rfind(m, zy, sizeof zy, OMIT, len - 1), 0);
	ck_assert_int_eq(mmapc_rfind(m, zy, sizeof zy, OMIT, OMIT), len - 13);
	ck_assert_int_eq(mmapc_find(m, zy, sizeof zy, 1, OMIT), len - 13);
	ck_assert_int_eq(mmapc_find(m, zy, sizeof zy, OMIT, OMIT), 0);
	ck_assert_int_eq(mmapc_find(m, zy, sizeof zy, 1, len - 1), -ENOENT);
	ck_assert_msg(now() - t0 < 4 * time_limit(), "the searches took %.2f s", now() - t0);
	ck_assert_int_eq(mmapc_tell(m), 0);
	mmapc_free(m);
}
END_TEST

/* ---- closed maps ---------------------------------------------------------------------------- */

START_TEST(test_find_closed_map_ebadf)
{
	mmapc_map *m = map_of("abcdef", 6);

	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(mmapc_find(m, "a", 1, OMIT, OMIT), -EBADF);
	ck_assert_int_eq(mmapc_rfind(m, "a", 1, OMIT, OMIT), -EBADF);
	ck_assert_int_eq(mmapc_find(m, "", 0, 0, 0), -EBADF);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, 0, 0), -EBADF);
	/* Bad arguments lose to the closed map. */
	ck_assert_int_eq(mmapc_find(m, "zzzzzzzzzz", 10, 5, 2), -EBADF);
	ck_assert_int_eq(mmapc_rfind(m, "zzzzzzzzzz", 10, INT64_MAX, INT64_MIN + 1), -EBADF);
	ck_assert_int_eq(mmapc_find(m, NULL, 0, -100, 100), -EBADF);
	ck_assert_int_eq(mmapc_rfind(m, NULL, 0, -100, 100), -EBADF);
	/* A NULL map counts as a closed one. */
	ck_assert_int_eq(mmapc_find(NULL, "a", 1, OMIT, OMIT), -EBADF);
	ck_assert_int_eq(mmapc_rfind(NULL, "a", 1, OMIT, OMIT), -EBADF);
	mmapc_free(m);
}
END_TEST

Suite *find_suite(void)
{
	Suite *s = suite_create("find");
	int nbuf = (int)(sizeof buffers / sizeof buffers[0]);
	int nper = (int)(sizeof periodic_cases / sizeof periodic_cases[0]);
	int nsmall = (int)(sizeof periodic_small / sizeof periodic_small[0]);

	TCase *tc = tcase_new("reference");
	tcase_add_loop_test(tc, test_find_matches_reference_all_bounds, 0, nbuf);
	tcase_add_loop_test(tc, test_find_matches_reference_pos_past_end, 0, nbuf);
	tcase_add_test(tc, test_find_random_small_alphabets);
	tcase_add_test(tc, test_find_random_long_periodic);
	tcase_add_test(tc, test_find_random_twoway_periodic_memory);
	suite_add_tcase(s, tc);

	tc = tcase_new("semantics");
	tcase_add_test(tc, test_find_not_found_is_enoent);
	tcase_add_test(tc, test_find_empty_needle_start_and_end);
	tcase_add_test(tc, test_find_default_start_is_position);
	tcase_add_test(tc, test_find_position_unchanged);
	tcase_add_test(tc, test_find_closed_map_ebadf);
	suite_add_tcase(s, tc);

	tc = tcase_new("pathological");
	tcase_add_test(tc, test_find_rfind_handover_boundary);
	tcase_add_test(tc, test_find_8mib_of_a);
	tcase_add_loop_test(tc, test_find_periodic_small_match_reference, 0, nsmall);
	tcase_add_loop_test(tc, test_find_periodic_8mib, 0, nper);
	tcase_add_test(tc, test_find_rfind_uniform_needle_in_bounds);
	tcase_add_test(tc, test_find_large_map_needle_near_each_end);
	suite_add_tcase(s, tc);
	return s;
}
