/* fuzz_map.c: libFuzzer differential harness for libmmapc's map object against a reference
 * model of Python's mmap written here, independently of client/map*.c and client/find.c.
 *
 * Each input opens one anonymous map (mmapc_open with fileno -1 and no tagname) and drives
 * it through a sequence of operations chosen by the input's bytes: find, rfind, getslice and
 * setslice with any start, stop and step (MMAPC_OMIT and negative ones included), seek with
 * every whence (and a bad one), read, read_view, readline, readline_view, write, write_byte,
 * read_byte, move, resize, getitem, setitem, flush, madvise, acquire/release and close. Every
 * return value and errno is compared with the model's, and after every operation so are the
 * position, the length, mmapc_size, the access, the offset and every byte of the map. Any
 * difference is an abort() with a line that says what differed.
 *
 * The model (struct model, map_model.c) is a byte array plus a position, following the project's spec
 * (python-mmap-semantics.md) and include/mmapc.h's documented errnos and deliberate
 * differences: an anonymous map is a memfd that never shrinks, so mmapc_size is the largest
 * size the map ever had, and a map that shrinks and grows back sees the bytes still there
 * (shared), or, for a MAP_PRIVATE map, its private copies of the pages it kept and zeroes from
 * the memfd past them. The open itself is checked too: its options (flags, prot, access,
 * offset, MMAPC_NOTRACKFD, bad option bits, a zero or negative length) are drawn from the
 * input and the errno the model predicts is compared, before a map that opens is driven.
 *
 * Maps stay under MODEL_MAX (64 KiB), so that a run stays fast; resize asks for larger sizes
 * only at 2^62 bytes and above, which no address space holds (-ENOMEM, nothing changes).
 *
 * With MMAPC_FUZZ_SEEDS=<dir> in the environment the harness writes a seed corpus
 * (map_seeds.c: every operation, a few times, on maps opened every way) to dir and exits.
 *
 * Not here: tagged maps and the daemon (fuzz_request.c), file-backed maps, threads and fork.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "map_model.h"
#include "map_seeds.h"
#include "mmapc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Operations per input, at most. */
#define OPS_MAX 256
/* The longest needle, write or slice assignment the harness builds. */
#define CHUNK_MAX 1024

#define FAIL(...) \
	do { \
		fprintf(stderr, "fuzz_map: op %u (%s): ", op_index, op_name); \
		fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, "\n"); \
		abort(); \
	} while (0)

static unsigned int op_index;
/* MMAPC_FUZZ_STRICT: the known difference in op_resize is a finding too (to reproduce it). */
static bool strict;
static const char *op_name = "open";

/* ---- the input ------------------------------------------------------------------------------ */

/* struct input and take_u8/u16/u64: input.h. */

/* A position-like argument: mostly near the map (len is its length now), sometimes one of
 * the values at the edges of int64_t, MMAPC_OMIT among them. */
static int64_t take_index(struct input *in, int64_t len)
{
	uint8_t k = take_u8(in);

	switch (k >> 4) {
	case 0:
		return MMAPC_OMIT;
	case 1: {
		static const int64_t edges[] = {
		        INT64_MAX, INT64_MIN + 1,      -INT64_MAX / 2, INT64_MAX / 2, -1, 0,
		        1,         (int64_t)UINT32_MAX};
		return edges[k & 7];
	}
	case 2:
		return (int64_t)take_u64(in);
	case 3:
		return len + (int64_t)(k & 15) - 8; /* around the end */
	case 4:
		return -len + (int64_t)(k & 15) - 8; /* around the start, counted from the end */
	case 5:
		return -(int64_t)take_u16(in);
	default: {
		int64_t v = take_u16(in);
		return len > 0 ? v % (len + 2) : v;
	}
	}
}

/* A map size, 1..MODEL_MAX: small mostly, since every operation costs in proportion. */
static int64_t take_size(struct input *in)
{
	uint8_t k = take_u8(in);

	if (k < 160)
		return k + 1;
	if (k < 240)
		return (int64_t)(take_u8(in) | (k & 31) << 8) + 1;
	return take_u16(in) % MODEL_MAX + 1;
}

/* A step: small positive or negative mostly. */
static int64_t take_step(struct input *in)
{
	uint8_t k = take_u8(in);

	switch (k >> 5) {
	case 0:
		return MMAPC_OMIT;
	case 1:
		return k & 1 ? INT64_MAX : -INT64_MAX;
	case 2:
		return 0;
	case 3:
		return (int64_t)take_u64(in);
	default:
		return (k & 16) ? (int64_t)(k & 15) + 1 : -(int64_t)(k & 15) - 1;
	}
}

/* The map under test; the model of it is M (map_model.h). */
static mmapc_map *map;

/* ---- comparing --------------------------------------------------------------------------- */

static void expect(int64_t got, int64_t want, const char *what)
{
	if (got != want)
		FAIL("%s: got %" PRId64 ", the model says %" PRId64, what, got, want);
}

static void expect_bytes(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
	size_t i = first_difference(got, want, n);
	if (i < n)
		FAIL("%s: byte %zu is %u, the model says %u", what, i, got[i], want[i]);
}

/* mmapc_size is a system call: it is asked after an open and a resize, and at the end. */
static void check_size(void)
{
	if (!M.closed)
		expect(mmapc_size(map), M.trackfd ? (int64_t)M.obj_size : -EBADF, "size");
}

/* The state after every operation. */
static void check_state(void)
{
	expect(mmapc_closed(map), M.closed, "closed");
	expect(mmapc_seekable(map), 1, "seekable");
	if (M.closed) {
		expect(mmapc_len(map), -EBADF, "len of a closed map");
		expect(mmapc_tell(map), -EBADF, "tell of a closed map");
		expect(mmapc_size(map), -EBADF, "size of a closed map");
		if (mmapc_data(map) != NULL)
			FAIL("data of a closed map is not NULL");
		return;
	}
	expect(mmapc_len(map), (int64_t)M.len, "len");
	expect(mmapc_tell(map), M.pos, "tell");
	expect(mmapc_access(map), M.access, "access");
	expect(mmapc_offset(map), M.offset, "offset");
	expect_bytes(mmapc_data(map), M.obj, M.len, "contents");
}

/* ---- the operations ------------------------------------------------------------------------ */

/* Bytes for a needle: a piece of the map itself (so that searches find things), maybe with
 * its last byte changed, or bytes from the input. */
static size_t take_needle(struct input *in, uint8_t *buf)
{
	uint8_t k = take_u8(in);
	size_t n = take_u8(in);

	if (k & 1)
		n = n * 4 + (k >> 6); /* now and then a long needle (two-way search) */
	if (n > CHUNK_MAX)
		n = CHUNK_MAX;
	if ((k & 2) && M.len) {
		size_t at = take_u16(in) % M.len;
		if (n > M.len - at)
			n = M.len - at;
		memcpy(buf, M.obj + at, n);
		if ((k & 4) && n)
			buf[n - 1] ^= (uint8_t)(1 + (k >> 3));
		return n;
	}
	if (n > in->n)
		n = in->n;
	memcpy(buf, in->p, n);
	in->p += n;
	in->n -= n;
	return n;
}

/* n bytes of data from the input, padded with a pattern when the input runs short. */
UNINSTRUMENTED static void take_bytes(struct input *in, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = in->n ? take_u8(in) : (uint8_t)(i * 7 + 1);
}

static void op_find(struct input *in, bool last)
{
	static uint8_t sub[CHUNK_MAX];
	size_t n = take_needle(in, sub);
	int64_t start = take_index(in, (int64_t)M.len), end = take_index(in, (int64_t)M.len);
	int64_t got =
	        last ? mmapc_rfind(map, sub, n, start, end) : mmapc_find(map, sub, n, start, end);
	int64_t want = M.closed ? -EBADF : model_find(sub, n, start, end, last);

	if (got != want)
		FAIL("%s(n=%zu, start=%" PRId64 ", end=%" PRId64 ") = %" PRId64
		     ", the model says %" PRId64 " (len %zu pos %" PRId64 ")",
		     last ? "rfind" : "find", n, start, end, got, want, M.len, M.pos);
}

UNINSTRUMENTED static void gather(uint8_t *out, const int64_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = M.obj[idx[i]];
}

UNINSTRUMENTED static void scatter(const uint8_t *in, const int64_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		M.obj[idx[i]] = in[i];
}

static void op_getslice(struct input *in)
{
	static int64_t idx[MODEL_MAX];
	static uint8_t buf[MODEL_MAX + 1], want[MODEL_MAX];
	int64_t len = (int64_t)M.len;
	int64_t start = take_index(in, len), stop = take_index(in, len), step = take_step(in);
	uint8_t k = take_u8(in);

	int64_t count = M.closed ? -EBADF : model_slice(start, stop, step, idx);
	/* bufsize: the whole slice, less of it, or nothing (the snprintf-style sizing call). */
	size_t bufsize = count > 0 ? (size_t)count : 0;
	if (k & 1)
		bufsize = bufsize ? (size_t)k % (bufsize + 1) : 0;
	else if (k & 2)
		bufsize = 0;
	memset(buf, 0xee, bufsize + 1);
	int64_t got = mmapc_getslice(map, start, stop, step, bufsize ? buf : NULL, bufsize);
	if (got != count)
		FAIL("getslice(%" PRId64 ", %" PRId64 ", %" PRId64 ") = %" PRId64
		     ", the model says %" PRId64 " (len %zu)",
		     start, stop, step, got, count, M.len);
	if (count < 0)
		return;
	gather(want, idx, bufsize);
	expect_bytes(buf, want, bufsize, "getslice's bytes");
	if (bufsize < sizeof(buf) && buf[bufsize] != 0xee)
		FAIL("getslice wrote past bufsize %zu", bufsize);
}

static void op_setslice(struct input *in)
{
	static int64_t idx[MODEL_MAX];
	static uint8_t data[MODEL_MAX + 1];
	int64_t len = (int64_t)M.len;
	int64_t start = take_index(in, len), stop = take_index(in, len), step = take_step(in);
	uint8_t k = take_u8(in);

	int64_t count = M.closed ? 0 : model_slice(start, stop, step, idx);
	size_t n = count > 0 ? (size_t)count : 0;
	if ((k & 3) == 1)
		n++;
	else if ((k & 3) == 2 && n)
		n--;
	take_bytes(in, data, n);

	int64_t want;
	if (M.closed)
		want = -EBADF;
	else if (!writable())
		want = -EACCES;
	else if (count < 0)
		want = count;
	else if ((size_t)count != n)
		want = -ERANGE;
	else
		want = 0;
	int64_t got = mmapc_setslice(map, start, stop, step, data, n);
	if (got != want)
		FAIL("setslice(%" PRId64 ", %" PRId64 ", %" PRId64 ", n=%zu) = %" PRId64
		     ", the model says %" PRId64 " (len %zu)",
		     start, stop, step, n, got, want, M.len);
	if (want == 0)
		scatter(data, idx, n);
}

static void op_seek(struct input *in)
{
	uint8_t k = take_u8(in);
	int whence = (k & 3) == 3 ? (k >> 2) % 8 : k & 3; /* now and then 3..7, unknown ones */
	int64_t dist = take_index(in, (int64_t)M.len);    /* MMAPC_OMIT: INT64_MIN, a plain value */

	int64_t want;
	if (M.closed) {
		want = -EBADF;
	} else {
		int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? M.pos : (int64_t)M.len;
		int64_t to;
		if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
			want = -EINVAL;
		else if (__builtin_add_overflow(base, dist, &to) || to < 0 || to > (int64_t)M.len)
			want = -EINVAL;
		else
			want = to;
	}
	int64_t got = mmapc_seek(map, dist, whence);
	if (got != want)
		FAIL("seek(%" PRId64 ", %d) = %" PRId64 ", the model says %" PRId64
		     " (len %zu pos %" PRId64 ")",
		     dist, whence, got, want, M.len, M.pos);
	if (want >= 0)
		M.pos = want;
}

static void op_read(struct input *in)
{
	static uint8_t buf[MODEL_MAX];
	uint8_t k = take_u8(in);
	size_t n = k & 1 ? take_u16(in) : (size_t)(k >> 1);
	if (k == 0xff)
		n = SIZE_MAX; /* "everything", the way a caller might say it */

	/* No read returns more than the map's length, so buf always has room. */
	int64_t want = M.closed ? -EBADF : (uint64_t)remaining() < n ? remaining() : (int64_t)n;
	expect(mmapc_read(map, buf, n), want, "read");
	if (want > 0) {
		expect_bytes(buf, M.obj + M.pos, (size_t)want, "read's bytes");
		M.pos += want;
	}
}

static void op_read_view(struct input *in)
{
	int64_t n = take_index(in, (int64_t)M.len);
	const void *p = NULL;

	int64_t want = M.closed ? -EBADF : (n >= 0 && n < remaining() ? n : remaining());
	int64_t got = mmapc_read_view(map, n, &p);
	expect(got, want, "read_view");
	if (want < 0)
		return;
	int64_t at = M.pos < (int64_t)M.len ? M.pos : (int64_t)M.len;
	if (p != (const uint8_t *)mmapc_data(map) + at)
		FAIL("read_view's pointer is not the map's byte %" PRId64, at);
	M.pos += want;
}

static void op_readline(struct input *in)
{
	uint8_t k = take_u8(in);
	char *line = NULL;
	size_t cap = 0;

	if (k & 1) {
		/* The zero-copy form. */
		const void *p = NULL;
		int64_t want = M.closed ? -EBADF : model_line();
		int64_t got = mmapc_readline_view(map, &p);
		expect(got, want, "readline_view");
		if (want > 0) {
			expect_bytes(p, M.obj + M.pos, (size_t)want, "readline_view's bytes");
			M.pos += want;
		}
		return;
	}
	if (k & 2) {
		/* A buffer that is there already, maybe too small. */
		cap = (size_t)(k >> 2) + 1;
		line = malloc(cap);
		if (!line)
			abort();
	}
	int64_t want = M.closed ? -EBADF : model_line();
	int64_t got = mmapc_readline(map, &line, &cap);
	expect(got, want, "readline");
	if (want >= 0) {
		if (!line || cap < (size_t)want + 1 || line[want] != '\0')
			FAIL("readline's buffer: cap %zu for a line of %" PRId64, cap, want);
		expect_bytes((const uint8_t *)line, M.obj + M.pos, (size_t)want,
		             "readline's bytes");
		M.pos += want;
	}
	free(line);
	if (k & 4)
		expect(mmapc_readline(map, NULL, &cap), M.closed ? -EBADF : -EINVAL,
		       "readline without a buffer");
}

static void op_write(struct input *in)
{
	static uint8_t data[CHUNK_MAX + 16];
	uint8_t k = take_u8(in);
	size_t n = k & 1 ? (size_t)take_u16(in) % (CHUNK_MAX + 1) : (size_t)(k >> 1);
	if ((k & 3) == 3)
		n = (size_t)(remaining() + (k >> 2) % 3) - 1; /* the end, or one past it */
	if (n > CHUNK_MAX)
		n = CHUNK_MAX;
	take_bytes(in, data, n);

	int64_t want;
	if (M.closed)
		want = -EBADF;
	else if (!writable())
		want = -EACCES;
	else if (M.pos > (int64_t)M.len || (int64_t)M.len - M.pos < (int64_t)n)
		want = -EINVAL;
	else
		want = (int64_t)n;
	expect(mmapc_write(map, data, n), want, "write");
	if (want > 0) {
		memcpy(M.obj + M.pos, data, n);
		M.pos += want;
	}
}

static void op_write_byte(struct input *in)
{
	uint8_t k = take_u8(in);
	int value = k < 0xf0 ? take_u8(in) : (int[]){-1, 256, INT32_MIN, INT32_MAX}[k & 3];

	int want;
	if (M.closed)
		want = -EBADF;
	else if (value < 0 || value > 255)
		want = -EOVERFLOW;
	else if (!writable())
		want = -EACCES;
	else if (M.pos >= (int64_t)M.len)
		want = -EINVAL;
	else
		want = 0;
	expect(mmapc_write_byte(map, value), want, "write_byte");
	if (want == 0)
		M.obj[M.pos++] = (uint8_t)value;
}

static void op_read_byte(void)
{
	int want = M.closed ? -EBADF : M.pos >= (int64_t)M.len ? -EINVAL : M.obj[M.pos];
	expect(mmapc_read_byte(map), want, "read_byte");
	if (want >= 0)
		M.pos++;
}

static void op_move(struct input *in)
{
	int64_t len = (int64_t)M.len;
	int64_t dest = take_index(in, len), src = take_index(in, len), count = take_index(in, len);
	if (dest == MMAPC_OMIT)
		dest = 0;
	if (src == MMAPC_OMIT)
		src = len;
	if (count == MMAPC_OMIT)
		count = len / 2;

	int want;
	if (M.closed)
		want = -EBADF;
	else if (!writable())
		want = -EACCES;
	else if (dest < 0 || src < 0 || count < 0 || dest > len || src > len ||
	         count > len - dest || count > len - src)
		want = -EINVAL;
	else
		want = 0;
	int got = mmapc_move(map, dest, src, count);
	if (got != want)
		FAIL("move(%" PRId64 ", %" PRId64 ", %" PRId64
		     ") = %d, the model says %d (len %zu)",
		     dest, src, count, got, want, M.len);
	if (want == 0)
		memmove(M.obj + dest, M.obj + src, (size_t)count);
}

static void op_resize(struct input *in)
{
	uint8_t k = take_u8(in);
	int64_t newsize;

	switch (k & 7) {
	case 0:
		newsize = 0;
		break;
	case 1:
		newsize = -(int64_t)take_u8(in);
		break;
	case 2:
		newsize = (int64_t)1 << 62 | take_u8(in); /* no address space holds it */
		break;
	case 3:
		newsize = INT64_MAX;
		break;
	case 4:
		newsize = (int64_t)M.len + (int64_t)(k >> 3) - 16; /* around the size now */
		break;
	default:
		newsize = take_size(in);
		break;
	}
	if (newsize > MODEL_MAX && newsize < (int64_t)1 << 62)
		newsize = MODEL_MAX;

	int want;
	if (M.closed)
		want = -EBADF;
	else if (M.pins)
		want = -EBUSY;
	else if (!M.trackfd)
		want = -EINVAL;
	else if (M.access != MMAPC_ACCESS_WRITE && M.access != MMAPC_ACCESS_DEFAULT)
		want = -EACCES;
	else if (newsize <= 0)
		want = -EINVAL;
	else if (newsize > MODEL_MAX)
		want = -ENOMEM;
	else
		want = 0;
	int got = mmapc_resize(map, newsize);
	/* The finding fuzz/crashes/map-resize-after-madvise-efault: MADV_RANDOM or
	 * MADV_SEQUENTIAL on part of the map splits its mapping in two, and mremap refuses to
	 * grow a range that spans two (EFAULT). libmmapc now maps a shared map afresh, so only
	 * a private map still fails so (as CPython's does), changing nothing: that is what is
	 * allowed here, and MMAPC_FUZZ_STRICT=1 allows nothing. */
	if (want == 0 && got == -EFAULT && M.advised && (size_t)newsize > M.len && !strict)
		return;
	if (got != want)
		FAIL("resize(%" PRId64 ") = %d, the model says %d", newsize, got, want);
	if (want == 0)
		model_resize((size_t)newsize);
}

static void op_getitem(struct input *in)
{
	int64_t i = take_index(in, (int64_t)M.len), len = (int64_t)M.len;
	int64_t j = i < 0 ? i + len : i;

	int want = M.closed ? -EBADF : (j < 0 || j >= len) ? -ERANGE : M.obj[j];
	expect(mmapc_getitem(map, i), want, "getitem");
}

static void op_setitem(struct input *in)
{
	int64_t i = take_index(in, (int64_t)M.len), len = (int64_t)M.len;
	int64_t j = i < 0 ? i + len : i;
	uint8_t k = take_u8(in);
	int value = k < 0xf0 ? take_u8(in) : (int[]){-1, 256, INT32_MIN, INT32_MAX}[k & 3];

	int want;
	if (M.closed)
		want = -EBADF;
	else if (!writable())
		want = -EACCES;
	else if (j < 0 || j >= len)
		want = -ERANGE;
	else if (value < 0 || value > 255)
		want = -EINVAL;
	else
		want = 0;
	int got = mmapc_setitem(map, i, value);
	if (got != want)
		FAIL("setitem(%" PRId64 ", %d) = %d, the model says %d (len %zu)", i, value, got,
		     want, M.len);
	if (want == 0)
		M.obj[j] = (uint8_t)value;
}

static void op_flush(struct input *in)
{
	int64_t len = (int64_t)M.len;
	int64_t off = take_index(in, len), sz = take_index(in, len);
	int64_t o = off == MMAPC_OMIT ? 0 : off, s = sz == MMAPC_OMIT ? len : sz;

	int want;
	if (M.closed)
		want = -EBADF;
	else if (o < 0 || s < 0 || s > len - o)
		want = -EINVAL;
	else if (M.access == MMAPC_ACCESS_READ || M.access == MMAPC_ACCESS_COPY)
		want = 0;
	else if (o % (int64_t)page_size)
		want = -EINVAL; /* msync's alignment rule */
	else
		want = 0;
	int got = mmapc_flush(map, off, sz);
	if (got != want)
		FAIL("flush(%" PRId64 ", %" PRId64 ") = %d, the model says %d (len %zu)", off, sz,
		     got, want, M.len);
}

static void op_madvise(struct input *in)
{
	static const int options[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
	                              12345};
	int64_t len = (int64_t)M.len;
	int option = options[take_u8(in) % 5];
	int64_t start = take_index(in, len), length = take_index(in, len);
	int64_t s = start == MMAPC_OMIT ? 0 : start, l = length == MMAPC_OMIT ? len : length;

	int want;
	if (M.closed)
		want = -EBADF;
	else if (s < 0 || s >= len || l < 0)
		want = -EINVAL;
	else if (l > INT64_MAX - s)
		want = -EOVERFLOW;
	else if (s % (int64_t)page_size || option == 12345)
		want = -EINVAL; /* madvise's own refusals */
	else
		want = 0;
	int got = mmapc_madvise(map, option, start, length);
	if (got != want)
		FAIL("madvise(%d, %" PRId64 ", %" PRId64 ") = %d, the model says %d (len %zu)",
		     option, start, length, got, want, M.len);
	if (want == 0 && (option == MADV_RANDOM || option == MADV_SEQUENTIAL))
		M.advised = true;
}

static void op_pin(struct input *in)
{
	uint8_t k = take_u8(in);

	if (k & 1) {
		int want = M.closed ? -EBADF : M.pins ? 0 : -EINVAL;
		expect(mmapc_release(map), want, "release");
		if (want == 0)
			M.pins--;
		return;
	}
	void *p = NULL;
	size_t n = 0;
	int want = M.closed ? -EBADF : 0;
	expect(mmapc_acquire(map, (k & 2) ? NULL : &p, (k & 4) ? NULL : &n), want, "acquire");
	if (want < 0)
		return;
	M.pins++;
	if (!(k & 2) && p != mmapc_data(map))
		FAIL("acquire's pointer is not the map's");
	if (!(k & 4))
		expect((int64_t)n, (int64_t)M.len, "acquire's length");
}

static void op_close(void)
{
	int want = M.closed ? 0 : M.pins ? -EBUSY : 0;
	expect(mmapc_close(map), want, "close");
	if (want == 0) {
		M.closed = true;
		M.pins = 0;
	}
}

/* ---- opening ---------------------------------------------------------------------------- */

/* Opens the map an input describes; returns false if the input opens none (the open's errno
 * having been checked). */
static bool open_map(struct input *in)
{
	static const int flag_choices[] = {0,
	                                   MAP_SHARED,
	                                   MAP_PRIVATE,
	                                   MAP_SHARED | MAP_POPULATE,
	                                   MAP_PRIVATE | MAP_NORESERVE,
	                                   MAP_SHARED | MAP_PRIVATE,
	                                   MAP_SHARED | MAP_FIXED,
	                                   MAP_SHARED_VALIDATE};
	static const int prot_choices[] = {0, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE};
	uint8_t a = take_u8(in), b = take_u8(in);
	struct mmapc_options o = {.flags = flag_choices[a & 7], .prot = prot_choices[(a >> 3) & 3]};
	int access = (a >> 5) & 3;
	int64_t offset = 0, length = take_size(in);

	if (b & 1)
		o.options |= MMAPC_NOTRACKFD;
	if ((b & 0x0e) == 0x02)
		o.options |= 1u << (4 + (b >> 4) % 8); /* an unknown option */
	else if ((b & 0x0e) == 0x04)
		o.options |= MMAPC_NOCREATE;
	else if ((b & 0x0e) == 0x06)
		o.reserved[0] = 1;
	if ((b & 0x30) == 0x10)
		offset = (int64_t)page_size * (b >> 6);
	else if ((b & 0x30) == 0x20)
		offset = (b >> 6) == 0 ? -1 : (b >> 6); /* negative, or not page-aligned */
	if ((b & 0xc0) == 0xc0 && (b & 0x30) == 0x30)
		length = (b & 8) ? 0 : -1;
	if (a == 0xff)
		access = 4 + (b & 3); /* no such access */

	int want = model_open(length, access, offset, &o);
	mmapc_map *m = NULL;
	int got = mmapc_open(&m, -1, length, access, offset, &o);
	if (got != want)
		FAIL("mmapc_open(length %" PRId64 ", access %d, offset %" PRId64
		     ", flags %#x, prot %#x, options %#x) = %d, the model says %d",
		     length, access, offset, o.flags, o.prot, o.options, got, want);
	if (got < 0)
		return false;

	model_start(length, access, offset, &o);
	map = m;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};

	op_index = 0;
	op_name = "open";
	if (!open_map(&in))
		return 0;
	check_state();
	check_size();
	for (op_index = 1; in.n && op_index <= OPS_MAX; op_index++) {
		uint8_t op = take_u8(&in);
		switch (op % 20) {
		case 0:
			op_name = "find";
			op_find(&in, false);
			break;
		case 1:
			op_name = "rfind";
			op_find(&in, true);
			break;
		case 2:
			op_name = "getslice";
			op_getslice(&in);
			break;
		case 3:
			op_name = "setslice";
			op_setslice(&in);
			break;
		case 4:
			op_name = "seek";
			op_seek(&in);
			break;
		case 5:
			op_name = "read";
			op_read(&in);
			break;
		case 6:
			op_name = "read_view";
			op_read_view(&in);
			break;
		case 7:
			op_name = "readline";
			op_readline(&in);
			break;
		case 8:
			op_name = "write";
			op_write(&in);
			break;
		case 9:
			op_name = "write_byte";
			op_write_byte(&in);
			break;
		case 10:
			op_name = "read_byte";
			op_read_byte();
			break;
		case 11:
			op_name = "move";
			op_move(&in);
			break;
		case 12:
			op_name = "resize";
			op_resize(&in);
			check_size();
			break;
		case 13:
			op_name = "getitem";
			op_getitem(&in);
			break;
		case 14:
			op_name = "setitem";
			op_setitem(&in);
			break;
		case 15:
			op_name = "flush";
			op_flush(&in);
			break;
		case 16:
			op_name = "madvise";
			op_madvise(&in);
			break;
		case 17:
			op_name = "acquire/release";
			op_pin(&in);
			break;
		case 18:
			/* Closing ends most of what an input can do: only one value of the byte. */
			op_name = op == 18 ? "close" : "write";
			if (op == 18)
				op_close();
			else
				op_write(&in);
			break;
		default:
			op_name = "seek";
			op_seek(&in);
			break;
		}
		check_state();
	}
	check_size();
	mmapc_free(map);
	map = NULL;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	strict = getenv("MMAPC_FUZZ_STRICT") != NULL;
	const char *dir = getenv("MMAPC_FUZZ_SEEDS");
	if (dir) {
		map_write_seeds(dir);
		exit(0);
	}
	return 0;
}
