/* check_slice.c: the slice suite: items and slices (spec section 12), mmapc_getitem,
 * mmapc_setitem, mmapc_getslice and mmapc_setslice.
 *
 * Slices are compared with a reference written here from the Python language reference:
 * slice.indices(len) clamps start and stop, then the slice is range(start, stop, step). It
 * is run for every combination of many starts, stops and steps on maps of several lengths,
 * for reading and for assignment.
 *
 * Hot loops use `if (...) ck_abort_msg(...)` rather than ck_assert, which records a location
 * on every success.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define OMIT MMAPC_OMIT
#define MAXLEN 10

/* ---- the reference ------------------------------------------------------------------------ */

/* slice(start, stop, step).indices(len), as the language reference defines it: a missing
 * step is 1; for a positive step the bounds live in [0, len] and default to 0 and len, for a
 * negative one in [-1, len - 1] and default to len - 1 and -1; a negative bound has len
 * added first. Then the slice is range(start, stop, step): the indices go into idx, and their
 * number is returned (at most len). -EINVAL for step 0. */
static int ref_slice(int64_t len, int64_t start, int64_t stop, int64_t step, int64_t *idx)
{
	if (step == OMIT)
		step = 1;
	if (step == 0)
		return -EINVAL;

	int64_t lower = step < 0 ? -1 : 0, upper = step < 0 ? len - 1 : len;
	int64_t b[2] = {start, stop};
	for (int k = 0; k < 2; k++) {
		if (b[k] == OMIT) {
			/* start defaults to the end the walk begins at, stop to the other. */
			b[k] = (k == 0) == (step < 0) ? upper : lower;
		} else if (b[k] < 0) {
			b[k] += len;
			if (b[k] < lower)
				b[k] = lower;
		} else if (b[k] > upper) {
			b[k] = upper;
		}
	}

	int n = 0;
	for (int64_t i = b[0]; step > 0 ? i < b[1] : i > b[1];) {
		if (n >= len)
			ck_abort_msg("the reference slice overran len %lld", (long long)len);
		idx[n++] = i;
		/* The next index, if it is still before stop; no overflow for a huge step. */
		if (step > 0 ? b[1] - i <= step : i - b[1] <= -step)
			break;
		i += step;
	}
	return n;
}

/* ---- helpers -------------------------------------------------------------------------------- */

/* The map's contents: distinct bytes, half of them >= 0x80. */
static uint8_t content(int64_t i)
{
	return (uint8_t)(0x81 + 37 * i);
}

static mmapc_map *filled_map(int64_t len, uint8_t *copy)
{
	mmapc_map *m = anon_map(len);
	uint8_t *d = mmapc_data(m);
	for (int64_t i = 0; i < len; i++)
		d[i] = copy[i] = content(i);
	return m;
}

/* An ACCESS_READ map of a file holding content(0..len). */
static mmapc_map *read_map(int64_t len)
{
	uint8_t data[MAXLEN];
	mmapc_map *m = NULL;

	for (int64_t i = 0; i < len; i++)
		data[i] = content(i);
	int fd = tmpfile_with(data, (size_t)len, O_RDONLY);
	ck_assert_int_eq(mmapc_open(&m, fd, 0, MMAPC_ACCESS_READ, 0, NULL), 0);
	close(fd);
	ck_assert_int_eq(mmapc_len(m), len);
	return m;
}

static const char *show(char *out, size_t size, int64_t v)
{
	if (v == OMIT)
		snprintf(out, size, "OMIT");
	else if (v == INT64_MAX)
		snprintf(out, size, "INT64_MAX");
	else if (v == -INT64_MAX)
		snprintf(out, size, "-INT64_MAX");
	else
		snprintf(out, size, "%lld", (long long)v);
	return out;
}

#define SLICE_FMT "[%s:%s:%s] of len %lld"
#define SLICE_ARGS(a, b, c, len) \
	show(sa, sizeof sa, a), show(sb, sizeof sb, b), show(sc, sizeof sc, c), (long long)(len)

/* The starts and stops tried: OMIT, -12..12 and the extremes. */
static int64_t bound_value(int k)
{
	if (k == 0)
		return OMIT;
	if (k <= 25)
		return k - 13;
	return k == 26 ? INT64_MAX : INT64_MIN + 1;
}
#define N_BOUNDS 27

static const int64_t steps[] = {OMIT, -4, -3, -2, -1, 1, 2, 3, 4, 100, -100, INT64_MAX, -INT64_MAX};
#define N_STEPS ((int)(sizeof steps / sizeof steps[0]))

static const int64_t lengths[] = {1, 5, 10};

/* ---- getslice ----------------------------------------------------------------------------- */

/* Every combination on maps of length 1, 5 and 10 (the loop index): the returned length,
 * the bytes with a big buffer, a NULL buffer of size 0, and half-size buffers whose guard
 * bytes must stay untouched. */
START_TEST(test_slice_getslice_matches_reference)
{
	int64_t len = lengths[_i];
	uint8_t copy[MAXLEN];
	mmapc_map *m = filled_map(len, copy);
	char sa[24], sb[24], sc[24];

	ck_assert_int_eq(mmapc_seek(m, len / 2, SEEK_SET), len / 2);
	for (int a = 0; a < N_BOUNDS; a++) {
		for (int b = 0; b < N_BOUNDS; b++) {
			for (int c = 0; c < N_STEPS; c++) {
				int64_t start = bound_value(a), stop = bound_value(b),
				        step = steps[c];
				int64_t idx[MAXLEN];
				uint8_t want[MAXLEN], buf[MAXLEN + 8];
				int n = ref_slice(len, start, stop, step, idx);

				for (int k = 0; k < n; k++)
					want[k] = copy[idx[k]];
				memset(buf, 0xee, sizeof buf);
				int64_t r = mmapc_getslice(m, start, stop, step, buf, sizeof buf);
				if (r != n || memcmp(buf, want, (size_t)n) != 0)
					ck_abort_msg("getslice" SLICE_FMT
					             ": returned %lld, want %d, or "
					             "wrong bytes",
					             SLICE_ARGS(start, stop, step, len),
					             (long long)r, n);
				for (size_t k = (size_t)n; k < sizeof buf; k++)
					if (buf[k] != 0xee)
						ck_abort_msg("getslice" SLICE_FMT
						             ": wrote byte %zu",
						             SLICE_ARGS(start, stop, step, len), k);

				r = mmapc_getslice(m, start, stop, step, NULL, 0);
				if (r != n)
					ck_abort_msg("getslice" SLICE_FMT " sizing: %lld, want %d",
					             SLICE_ARGS(start, stop, step, len),
					             (long long)r, n);

				size_t half = (size_t)n / 2;
				memset(buf, 0xee, sizeof buf);
				r = mmapc_getslice(m, start, stop, step, buf, half);
				if (r != n || memcmp(buf, want, half) != 0 || buf[half] != 0xee)
					ck_abort_msg("getslice" SLICE_FMT
					             " into %zu bytes: %lld, want "
					             "%d, or wrong bytes",
					             SLICE_ARGS(start, stop, step, len), half,
					             (long long)r, n);
			}
		}
	}
	ck_assert_int_eq(mmapc_tell(m), len / 2);
	ck_assert_mem_eq(mmapc_data(m), copy, (size_t)len);
	mmapc_free(m);
}
END_TEST

/* snprintf's contract, spelt out on m[1:9:2] and m[::-1] of a 10-byte map. */
START_TEST(test_slice_getslice_snprintf_contract)
{
	uint8_t copy[MAXLEN], buf[16];
	mmapc_map *m = filled_map(10, copy);

	ck_assert_int_eq(mmapc_getslice(m, 1, 9, 2, NULL, 0), 4);
	memset(buf, 0xee, sizeof buf);
	ck_assert_int_eq(mmapc_getslice(m, 1, 9, 2, buf, 0), 4);
	ck_assert_uint_eq(buf[0], 0xee);
	ck_assert_int_eq(mmapc_getslice(m, 1, 9, 2, buf, 3), 4);
	ck_assert_uint_eq(buf[0], content(1));
	ck_assert_uint_eq(buf[1], content(3));
	ck_assert_uint_eq(buf[2], content(5));
	ck_assert_uint_eq(buf[3], 0xee);
	memset(buf, 0xee, sizeof buf);
	ck_assert_int_eq(mmapc_getslice(m, 1, 9, 2, buf, 4), 4);
	ck_assert_uint_eq(buf[3], content(7));
	ck_assert_uint_eq(buf[4], 0xee);

	/* Contiguous and reversed, short buffers. */
	memset(buf, 0xee, sizeof buf);
	ck_assert_int_eq(mmapc_getslice(m, OMIT, OMIT, OMIT, buf, 5), 10);
	ck_assert_mem_eq(buf, copy, 5);
	ck_assert_uint_eq(buf[5], 0xee);
	memset(buf, 0xee, sizeof buf);
	ck_assert_int_eq(mmapc_getslice(m, OMIT, OMIT, -1, buf, 2), 10);
	ck_assert_uint_eq(buf[0], content(9));
	ck_assert_uint_eq(buf[1], content(8));
	ck_assert_uint_eq(buf[2], 0xee);
	/* A buffer larger than the slice gets just the slice. */
	memset(buf, 0xee, sizeof buf);
	ck_assert_int_eq(mmapc_getslice(m, -3, OMIT, OMIT, buf, sizeof buf), 3);
	ck_assert_mem_eq(buf, copy + 7, 3);
	ck_assert_uint_eq(buf[3], 0xee);
	/* Empty slices. */
	memset(buf, 0xee, sizeof buf);
	ck_assert_int_eq(mmapc_getslice(m, 20, 30, OMIT, buf, sizeof buf), 0);
	ck_assert_int_eq(mmapc_getslice(m, 5, 5, OMIT, NULL, 0), 0);
	ck_assert_int_eq(mmapc_getslice(m, 2, 8, -1, buf, sizeof buf), 0);
	ck_assert_uint_eq(buf[0], 0xee);
	mmapc_free(m);
}
END_TEST

/* Indices far beyond the map, and steps as large as they go. */
START_TEST(test_slice_getslice_extreme_indices)
{
	uint8_t copy[MAXLEN], buf[16];
	const int64_t big = INT64_MAX, small = INT64_MIN + 1;
	mmapc_map *m = filled_map(10, copy);

	ck_assert_int_eq(mmapc_getslice(m, small, big, OMIT, buf, sizeof buf), 10);
	ck_assert_mem_eq(buf, copy, 10);
	ck_assert_int_eq(mmapc_getslice(m, big, small, -1, buf, sizeof buf), 10);
	for (int k = 0; k < 10; k++)
		ck_assert_uint_eq(buf[k], content(9 - k));
	ck_assert_int_eq(mmapc_getslice(m, big, small, OMIT, buf, sizeof buf), 0);
	ck_assert_int_eq(mmapc_getslice(m, small, big, -1, buf, sizeof buf), 0);
	ck_assert_int_eq(mmapc_getslice(m, big, big, OMIT, buf, sizeof buf), 0);
	ck_assert_int_eq(mmapc_getslice(m, small, small, -1, buf, sizeof buf), 0);
	ck_assert_int_eq(mmapc_getslice(m, OMIT, OMIT, big, buf, sizeof buf), 1);
	ck_assert_uint_eq(buf[0], content(0));
	ck_assert_int_eq(mmapc_getslice(m, OMIT, OMIT, -big, buf, sizeof buf), 1);
	ck_assert_uint_eq(buf[0], content(9));
	ck_assert_int_eq(mmapc_getslice(m, 3, small, -big, buf, sizeof buf), 1);
	ck_assert_uint_eq(buf[0], content(3));
	ck_assert_int_eq(mmapc_getslice(m, small, -8, big, buf, sizeof buf), 1);
	ck_assert_uint_eq(buf[0], content(0));
	ck_assert_int_eq(mmapc_getslice(m, -1, big, big, buf, sizeof buf), 1);
	ck_assert_uint_eq(buf[0], content(9));
	ck_assert_int_eq(mmapc_getslice(m, big - 1, 5, -2, buf, sizeof buf), 2);
	ck_assert_uint_eq(buf[0], content(9));
	ck_assert_uint_eq(buf[1], content(7));
	mmapc_free(m);
}
END_TEST

START_TEST(test_slice_step_zero_einval)
{
	uint8_t copy[MAXLEN], buf[16];
	mmapc_map *m = filled_map(10, copy);

	memset(buf, 0xee, sizeof buf);
	ck_assert_int_eq(mmapc_getslice(m, OMIT, OMIT, 0, buf, sizeof buf), -EINVAL);
	ck_assert_int_eq(mmapc_getslice(m, 1, 5, 0, buf, sizeof buf), -EINVAL);
	ck_assert_int_eq(mmapc_getslice(m, 20, 30, 0, NULL, 0), -EINVAL);
	ck_assert_uint_eq(buf[0], 0xee);
	ck_assert_int_eq(mmapc_setslice(m, OMIT, OMIT, 0, copy, 10), -EINVAL);
	ck_assert_int_eq(mmapc_setslice(m, 1, 5, 0, "abcd", 4), -EINVAL);
	/* The step beats the size check, and an empty slice. */
	ck_assert_int_eq(mmapc_setslice(m, 1, 5, 0, "abcdefg", 7), -EINVAL);
	ck_assert_int_eq(mmapc_setslice(m, 20, 30, 0, "", 0), -EINVAL);
	ck_assert_mem_eq(mmapc_data(m), copy, 10);
	mmapc_free(m);
}
END_TEST

/* ---- setslice ----------------------------------------------------------------------------- */

/* Every combination, on maps of length 1, 5 and 10: a pattern of the right length lands where
 * the reference says, the wrong length (one more, one less) is -ERANGE and changes nothing,
 * and the position never moves. */
START_TEST(test_slice_setslice_matches_reference)
{
	int64_t len = lengths[_i];
	uint8_t ref[MAXLEN];
	mmapc_map *m = filled_map(len, ref);
	const uint8_t *d = mmapc_data(m);
	char sa[24], sb[24], sc[24];
	unsigned int counter = 0;

	ck_assert_int_eq(mmapc_seek(m, len - 1, SEEK_SET), len - 1);
	for (int a = 0; a < N_BOUNDS; a++) {
		for (int b = 0; b < N_BOUNDS; b++) {
			for (int c = 0; c < N_STEPS; c++) {
				int64_t start = bound_value(a), stop = bound_value(b),
				        step = steps[c];
				int64_t idx[MAXLEN];
				uint8_t data[MAXLEN + 1];
				int n = ref_slice(len, start, stop, step, idx);

				for (size_t k = 0; k < sizeof data; k++)
					data[k] = (uint8_t)(counter * 11 + k * 29 + 1);
				counter++;

				int r = mmapc_setslice(m, start, stop, step, data, (size_t)n + 1);
				if (r != -ERANGE || memcmp(d, ref, (size_t)len) != 0)
					ck_abort_msg("setslice" SLICE_FMT
					             " with %d bytes: %d, want "
					             "-ERANGE and no change",
					             SLICE_ARGS(start, stop, step, len), n + 1, r);
				if (n > 0) {
					r = mmapc_setslice(m, start, stop, step, data,
					                   (size_t)n - 1);
					if (r != -ERANGE || memcmp(d, ref, (size_t)len) != 0)
						ck_abort_msg("setslice" SLICE_FMT
						             " with %d bytes: %d, "
						             "want -ERANGE and no change",
						             SLICE_ARGS(start, stop, step, len),
						             n - 1, r);
				}

				for (int k = 0; k < n; k++)
					ref[idx[k]] = data[k];
				r = mmapc_setslice(m, start, stop, step, data, (size_t)n);
				if (r != 0 || memcmp(d, ref, (size_t)len) != 0)
					ck_abort_msg("setslice" SLICE_FMT
					             " with %d bytes: %d, or the "
					             "map differs from the reference",
					             SLICE_ARGS(start, stop, step, len), n, r);
				if (mmapc_tell(m) != len - 1)
					ck_abort_msg("setslice" SLICE_FMT " moved the position",
					             SLICE_ARGS(start, stop, step, len));
			}
		}
	}
	mmapc_free(m);
}
END_TEST

START_TEST(test_slice_setslice_wrong_size_erange)
{
	uint8_t copy[MAXLEN];
	mmapc_map *m = filled_map(10, copy);

	ck_assert_int_eq(mmapc_setslice(m, OMIT, OMIT, OMIT, "abcdefghi", 9), -ERANGE);
	ck_assert_int_eq(mmapc_setslice(m, OMIT, OMIT, OMIT, "abcdefghijk", 11), -ERANGE);
	ck_assert_int_eq(mmapc_setslice(m, 0, 10, 2, "abcd", 4), -ERANGE);
	ck_assert_int_eq(mmapc_setslice(m, 0, 10, 2, "abcdef", 6), -ERANGE);
	ck_assert_int_eq(mmapc_setslice(m, -1, OMIT, -3, "abc", 3), -ERANGE);
	ck_assert_int_eq(mmapc_setslice(m, 20, 30, OMIT, "a", 1), -ERANGE);
	ck_assert_mem_eq(mmapc_data(m), copy, 10);
	/* The right sizes work. */
	ck_assert_int_eq(mmapc_setslice(m, 0, 10, 2, "abcde", 5), 0);
	ck_assert_int_eq(mmapc_setslice(m, -1, OMIT, -3, "wxyz", 4), 0);
	ck_assert_mem_eq(mmapc_data(m),
	                 "z\xa6"
	                 "by"
	                 "c:x\x84"
	                 "ew",
	                 10);
	mmapc_free(m);
}
END_TEST

/* m[20:30] = b'' on a 10-byte map, and other empty slices: no-ops that succeed. */
START_TEST(test_slice_setslice_empty_slice_noop)
{
	uint8_t copy[MAXLEN];
	mmapc_map *m = filled_map(10, copy);

	ck_assert_int_eq(mmapc_setslice(m, 20, 30, OMIT, "", 0), 0);
	ck_assert_int_eq(mmapc_setslice(m, 20, 30, -1, "", 0), 0);
	ck_assert_int_eq(mmapc_setslice(m, 5, 5, OMIT, "", 0), 0);
	ck_assert_int_eq(mmapc_setslice(m, 7, 2, OMIT, "", 0), 0);
	ck_assert_int_eq(mmapc_setslice(m, -30, -20, 3, "", 0), 0);
	ck_assert_int_eq(mmapc_setslice(m, INT64_MAX, OMIT, OMIT, "", 0), 0);
	ck_assert_mem_eq(mmapc_data(m), copy, 10);
	mmapc_free(m);
}
END_TEST

/* On an ACCESS_READ map: -EACCES before the step and the size are looked at; reading works. */
START_TEST(test_slice_setslice_read_map_eacces_first)
{
	mmapc_map *m = read_map(10);
	uint8_t buf[16];

	ck_assert_int_eq(mmapc_setslice(m, 0, 4, OMIT, "abcd", 4), -EACCES);
	ck_assert_int_eq(mmapc_setslice(m, 0, 4, 0, "abcd", 4), -EACCES);
	ck_assert_int_eq(mmapc_setslice(m, 0, 4, OMIT, "abc", 3), -EACCES);
	ck_assert_int_eq(mmapc_setslice(m, 0, 4, 0, "abcdefg", 7), -EACCES);
	ck_assert_int_eq(mmapc_setslice(m, 20, 30, OMIT, "", 0), -EACCES);
	ck_assert_int_eq(mmapc_getslice(m, 8, 2, -3, buf, sizeof buf), 2);
	ck_assert_uint_eq(buf[0], content(8));
	ck_assert_uint_eq(buf[1], content(5));
	ck_assert_int_eq(mmapc_getslice(m, 0, 4, 0, buf, sizeof buf), -EINVAL);
	for (int64_t i = 0; i < 10; i++)
		ck_assert_int_eq(mmapc_getitem(m, i), content(i));
	mmapc_free(m);
}
END_TEST

/* ---- getitem and setitem ------------------------------------------------------------------ */

START_TEST(test_slice_getitem_all_indices)
{
	int64_t len = lengths[_i];
	uint8_t copy[MAXLEN];
	mmapc_map *m = filled_map(len, copy);

	for (int64_t i = -len; i < len; i++)
		ck_assert_int_eq(mmapc_getitem(m, i), copy[i < 0 ? i + len : i]);
	/* 0xff comes back as 255, not sign-extended. */
	((uint8_t *)mmapc_data(m))[0] = 0xff;
	ck_assert_int_eq(mmapc_getitem(m, 0), 255);
	ck_assert_int_eq(mmapc_getitem(m, -len), 255);
	((uint8_t *)mmapc_data(m))[len - 1] = 0x80;
	ck_assert_int_eq(mmapc_getitem(m, -1), 0x80);
	mmapc_free(m);
}
END_TEST

START_TEST(test_slice_getitem_out_of_range_erange)
{
	int64_t len = lengths[_i];
	uint8_t copy[MAXLEN];
	mmapc_map *m = filled_map(len, copy);

	ck_assert_int_eq(mmapc_getitem(m, len), -ERANGE);
	ck_assert_int_eq(mmapc_getitem(m, -len - 1), -ERANGE);
	ck_assert_int_eq(mmapc_getitem(m, len + 1), -ERANGE);
	ck_assert_int_eq(mmapc_getitem(m, -len - 100), -ERANGE);
	ck_assert_int_eq(mmapc_getitem(m, INT64_MAX), -ERANGE);
	ck_assert_int_eq(mmapc_getitem(m, INT64_MIN + 1), -ERANGE);
	ck_assert_int_eq(mmapc_getitem(m, (int64_t)INT32_MAX + 1), -ERANGE);
	ck_assert_int_eq(mmapc_getitem(m, (int64_t)UINT32_MAX), -ERANGE);
	mmapc_free(m);
}
END_TEST

/* Every index, negative ones too, is written; nothing else changes; the position stays. */
START_TEST(test_slice_setitem_writes_byte)
{
	int64_t len = lengths[_i];
	uint8_t ref[MAXLEN];
	mmapc_map *m = filled_map(len, ref);
	const uint8_t *d = mmapc_data(m);

	ck_assert_int_eq(mmapc_seek(m, len, SEEK_SET), len);
	for (int64_t i = -len; i < len; i++) {
		int v = (int)((i + len) * 23 + 7) & 0xff;
		ck_assert_int_eq(mmapc_setitem(m, i, v), 0);
		ref[i < 0 ? i + len : i] = (uint8_t)v;
		ck_assert_mem_eq(d, ref, (size_t)len);
		ck_assert_int_eq(mmapc_getitem(m, i), v);
	}
	ck_assert_int_eq(mmapc_setitem(m, 0, 0), 0);
	ck_assert_int_eq(mmapc_getitem(m, 0), 0);
	ck_assert_int_eq(mmapc_setitem(m, -1, 255), 0);
	ck_assert_int_eq(mmapc_getitem(m, len - 1), 255);
	ck_assert_int_eq(mmapc_tell(m), len);
	mmapc_free(m);
}
END_TEST

/* -EACCES on a READ map beats a bad index and a bad value. */
START_TEST(test_slice_setitem_read_map_eacces_first)
{
	mmapc_map *m = read_map(5);

	ck_assert_int_eq(mmapc_setitem(m, 0, 1), -EACCES);
	ck_assert_int_eq(mmapc_setitem(m, -1, 1), -EACCES);
	ck_assert_int_eq(mmapc_setitem(m, 5, 1), -EACCES);
	ck_assert_int_eq(mmapc_setitem(m, 0, 256), -EACCES);
	ck_assert_int_eq(mmapc_setitem(m, 0, -1), -EACCES);
	ck_assert_int_eq(mmapc_setitem(m, 5, 999), -EACCES);
	ck_assert_int_eq(mmapc_setitem(m, INT64_MAX, -1), -EACCES);
	for (int64_t i = 0; i < 5; i++)
		ck_assert_int_eq(mmapc_getitem(m, i), content(i));
	mmapc_free(m);
}
END_TEST

/* -ERANGE for a bad index beats -EINVAL for a bad value. */
START_TEST(test_slice_setitem_bad_index_beats_bad_value)
{
	uint8_t copy[MAXLEN];
	mmapc_map *m = filled_map(10, copy);

	ck_assert_int_eq(mmapc_setitem(m, 10, 999), -ERANGE);
	ck_assert_int_eq(mmapc_setitem(m, 10, -1), -ERANGE);
	ck_assert_int_eq(mmapc_setitem(m, -11, 256), -ERANGE);
	ck_assert_int_eq(mmapc_setitem(m, 10, 0), -ERANGE);
	ck_assert_int_eq(mmapc_setitem(m, -11, 0), -ERANGE);
	ck_assert_int_eq(mmapc_setitem(m, INT64_MAX, 1), -ERANGE);
	ck_assert_int_eq(mmapc_setitem(m, INT64_MIN + 1, INT_MAX), -ERANGE);
	ck_assert_mem_eq(mmapc_data(m), copy, 10);
	mmapc_free(m);
}
END_TEST

START_TEST(test_slice_setitem_bad_value_einval)
{
	uint8_t copy[MAXLEN];
	mmapc_map *m = filled_map(10, copy);

	ck_assert_int_eq(mmapc_setitem(m, 0, 256), -EINVAL);
	ck_assert_int_eq(mmapc_setitem(m, 0, -1), -EINVAL);
	ck_assert_int_eq(mmapc_setitem(m, -1, 999), -EINVAL);
	ck_assert_int_eq(mmapc_setitem(m, 9, INT_MAX), -EINVAL);
	ck_assert_int_eq(mmapc_setitem(m, -10, INT_MIN), -EINVAL);
	ck_assert_int_eq(mmapc_setitem(m, 3, 0x1ff), -EINVAL);
	ck_assert_mem_eq(mmapc_data(m), copy, 10);
	mmapc_free(m);
}
END_TEST

/* No item or slice call moves the position, whether it succeeds or fails. */
START_TEST(test_slice_position_unchanged)
{
	uint8_t copy[MAXLEN], buf[16];
	mmapc_map *m = filled_map(10, copy);

	ck_assert_int_eq(mmapc_seek(m, 4, SEEK_SET), 4);
	ck_assert_int_eq(mmapc_getitem(m, 7), content(7));
	ck_assert_int_eq(mmapc_getitem(m, 10), -ERANGE);
	ck_assert_int_eq(mmapc_setitem(m, 2, 9), 0);
	ck_assert_int_eq(mmapc_setitem(m, 2, 999), -EINVAL);
	ck_assert_int_eq(mmapc_getslice(m, OMIT, OMIT, OMIT, buf, sizeof buf), 10);
	ck_assert_int_eq(mmapc_getslice(m, OMIT, OMIT, 0, buf, sizeof buf), -EINVAL);
	ck_assert_int_eq(mmapc_setslice(m, 6, OMIT, OMIT, "wxyz", 4), 0);
	ck_assert_int_eq(mmapc_setslice(m, 6, OMIT, OMIT, "wxy", 3), -ERANGE);
	ck_assert_int_eq(mmapc_tell(m), 4);
	/* And they all work with the position past the end, after a shrink. */
	ck_assert_int_eq(mmapc_seek(m, 10, SEEK_SET), 10);
	ck_assert_int_eq(mmapc_resize(m, 6), 0);
	ck_assert_int_eq(mmapc_getslice(m, OMIT, OMIT, -1, buf, sizeof buf), 6);
	ck_assert_uint_eq(buf[0], content(5));
	ck_assert_int_eq(mmapc_getitem(m, -1), content(5));
	ck_assert_int_eq(mmapc_getitem(m, 6), -ERANGE);
	ck_assert_int_eq(mmapc_setitem(m, 6, 1), -ERANGE);
	ck_assert_int_eq(mmapc_setslice(m, 4, OMIT, OMIT, "ab", 2), 0);
	ck_assert_int_eq(mmapc_getitem(m, 5), 'b');
	ck_assert_int_eq(mmapc_tell(m), 10);
	mmapc_free(m);
}
END_TEST

/* ---- closed maps ---------------------------------------------------------------------------- */

START_TEST(test_slice_closed_map_ebadf)
{
	uint8_t copy[MAXLEN], buf[16];
	mmapc_map *m = filled_map(10, copy);

	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(mmapc_getitem(m, 0), -EBADF);
	ck_assert_int_eq(mmapc_getitem(m, 100), -EBADF);
	ck_assert_int_eq(mmapc_setitem(m, 0, 1), -EBADF);
	ck_assert_int_eq(mmapc_setitem(m, 100, 999), -EBADF);
	ck_assert_int_eq(mmapc_getslice(m, OMIT, OMIT, OMIT, buf, sizeof buf), -EBADF);
	ck_assert_int_eq(mmapc_getslice(m, 0, 5, 0, NULL, 0), -EBADF);
	ck_assert_int_eq(mmapc_setslice(m, 0, 2, OMIT, "ab", 2), -EBADF);
	ck_assert_int_eq(mmapc_setslice(m, 0, 5, 0, "abcdefg", 7), -EBADF);
	/* A NULL map counts as a closed one. */
	ck_assert_int_eq(mmapc_getitem(NULL, 0), -EBADF);
	ck_assert_int_eq(mmapc_setitem(NULL, 0, 1), -EBADF);
	ck_assert_int_eq(mmapc_getslice(NULL, OMIT, OMIT, OMIT, NULL, 0), -EBADF);
	ck_assert_int_eq(mmapc_setslice(NULL, OMIT, OMIT, OMIT, "", 0), -EBADF);
	mmapc_free(m);

	/* A closed READ map says closed, not read-only. */
	m = read_map(5);
	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(mmapc_setitem(m, 0, 1), -EBADF);
	ck_assert_int_eq(mmapc_setslice(m, 0, 1, OMIT, "a", 1), -EBADF);
	mmapc_free(m);
}
END_TEST

Suite *slice_suite(void)
{
	Suite *s = suite_create("slice");
	int nlen = (int)(sizeof lengths / sizeof lengths[0]);

	TCase *tc = tcase_new("getslice");
	tcase_add_loop_test(tc, test_slice_getslice_matches_reference, 0, nlen);
	tcase_add_test(tc, test_slice_getslice_snprintf_contract);
	tcase_add_test(tc, test_slice_getslice_extreme_indices);
	tcase_add_test(tc, test_slice_step_zero_einval);
	suite_add_tcase(s, tc);

	tc = tcase_new("setslice");
	tcase_add_loop_test(tc, test_slice_setslice_matches_reference, 0, nlen);
	tcase_add_test(tc, test_slice_setslice_wrong_size_erange);
	tcase_add_test(tc, test_slice_setslice_empty_slice_noop);
	tcase_add_test(tc, test_slice_setslice_read_map_eacces_first);
	suite_add_tcase(s, tc);

	tc = tcase_new("items");
	tcase_add_loop_test(tc, test_slice_getitem_all_indices, 0, nlen);
	tcase_add_loop_test(tc, test_slice_getitem_out_of_range_erange, 0, nlen);
	tcase_add_loop_test(tc, test_slice_setitem_writes_byte, 0, nlen);
	tcase_add_test(tc, test_slice_setitem_read_map_eacces_first);
	tcase_add_test(tc, test_slice_setitem_bad_index_beats_bad_value);
	tcase_add_test(tc, test_slice_setitem_bad_value_einval);
	tcase_add_test(tc, test_slice_position_unchanged);
	tcase_add_test(tc, test_slice_closed_map_ebadf);
	suite_add_tcase(s, tc);
	return s;
}
