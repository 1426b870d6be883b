/* map_io.c: the file-like and sequence calls of a map: read, write, seek, readline, items,
 * slices, move, find.
 *
 * Each call holds the map's lock from its closed check to its last touch of memory (see
 * map.h), and makes its checks in CPython's order, so that the errno a caller sees is the one
 * Python's exception would be.
 *
 * Positions are int64_t and the map's length fits one, so arithmetic is done in int64_t,
 * where a position past the end (after a shrink) is simply larger than len.
 *
 * Not here: the search algorithms themselves (find.c), whole-map calls (map.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

/* How many bytes remain from the position: 0 at or past the end. */
static int64_t remaining(const mmapc_map *m)
{
	int64_t len = (int64_t)m->len;
	return m->pos < len ? len - m->pos : 0;
}

MMAPC_EXPORT int64_t mmapc_read(mmapc_map *m, void *buf, size_t n)
{
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	r = remaining(m);
	if ((uint64_t)r > n)
		r = (int64_t)n;
	if (r)
		memcpy(buf, m->data + m->pos, (size_t)r);
	m->pos += r;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int64_t mmapc_read_view(mmapc_map *m, int64_t n, const void **ret_data)
{
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	r = remaining(m);
	if (n >= 0 && n < r)
		r = n;
	*ret_data = m->data + (m->pos < (int64_t)m->len ? m->pos : (int64_t)m->len);
	m->pos += r;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int mmapc_read_byte(mmapc_map *m)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	if (m->pos >= (int64_t)m->len)
		r = -EINVAL;
	else
		r = m->data[m->pos++];
	map_leave(m);
	return r;
}

/* The length of the line at the position, its '\n' included; 0 at or past the end. */
static int64_t line_length(const mmapc_map *m)
{
	int64_t left = remaining(m);
	if (!left)
		return 0;
	const uint8_t *start = m->data + m->pos;
	const uint8_t *nl = memchr(start, '\n', (size_t)left);
	return nl ? nl - start + 1 : left;
}

MMAPC_EXPORT int64_t mmapc_readline(mmapc_map *m, char **lineptr, size_t *n)
{
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	if (!lineptr || !n) {
		map_leave(m);
		return -EINVAL;
	}
	r = line_length(m);
	if (!*lineptr || *n < (size_t)r + 1) {
		char *p = realloc(*lineptr, (size_t)r + 1);
		if (!p) {
			map_leave(m);
			return -ENOMEM;
		}
		*lineptr = p;
		*n = (size_t)r + 1;
	}
	memcpy(*lineptr, m->data + (r ? m->pos : 0), (size_t)r);
	(*lineptr)[r] = '\0';
	m->pos += r;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int64_t mmapc_readline_view(mmapc_map *m, const void **ret_line)
{
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	r = line_length(m);
	*ret_line = m->data + (m->pos < (int64_t)m->len ? m->pos : (int64_t)m->len);
	m->pos += r;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int64_t mmapc_write(mmapc_map *m, const void *data, size_t n)
{
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	if (m->access == MMAPC_ACCESS_READ)
		r = -EACCES;
	else if (m->pos > (int64_t)m->len || (uint64_t)((int64_t)m->len - m->pos) < n)
		r = -EINVAL;
	else {
		if (n)
			memcpy(m->data + m->pos, data, n);
		m->pos += (int64_t)n;
		r = (int64_t)n;
	}
	map_leave(m);
	return r;
}

MMAPC_EXPORT int mmapc_write_byte(mmapc_map *m, int value)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	if (value < 0 || value > 255)
		r = -EOVERFLOW;
	else if (m->access == MMAPC_ACCESS_READ)
		r = -EACCES;
	else if (m->pos >= (int64_t)m->len)
		r = -EINVAL;
	else
		m->data[m->pos++] = (uint8_t)value;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int64_t mmapc_seek(mmapc_map *m, int64_t dist, int whence)
{
	int64_t r = map_enter(m), base;

	if (r < 0)
		return r;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = m->pos;
		break;
	case SEEK_END:
		base = (int64_t)m->len;
		break;
	default:
		map_leave(m);
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, dist, &r) || r < 0 || r > (int64_t)m->len)
		r = -EINVAL;
	else
		m->pos = r;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int64_t mmapc_tell(mmapc_map *m)
{
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	r = m->pos;
	map_leave(m);
	return r;
}

/* find and rfind share everything but the direction of the search. */
static int64_t find(mmapc_map *m, const void *sub, size_t n, int64_t start, int64_t end, bool last)
{
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	int64_t len = (int64_t)m->len;
	start = map_clamp_bound(start == MMAPC_OMIT ? m->pos : start, len);
	end = map_clamp_bound(end == MMAPC_OMIT ? len : end, len);
	if (end < start) {
		r = -1;
	} else {
		const uint8_t *hay = m->data + start;
		size_t hay_len = (size_t)(end - start);
		r = last ? find_last(hay, hay_len, sub, n) : find_first(hay, hay_len, sub, n);
		if (r >= 0)
			r += start;
	}
	map_leave(m);
	return r < 0 ? -ENOENT : r;
}

MMAPC_EXPORT int64_t mmapc_find(mmapc_map *m, const void *sub, size_t n, int64_t start, int64_t end)
{
	return find(m, sub, n, start, end, false);
}

MMAPC_EXPORT int64_t mmapc_rfind(mmapc_map *m, const void *sub, size_t n, int64_t start,
                                 int64_t end)
{
	return find(m, sub, n, start, end, true);
}

/* Python's m[i] index rule: a negative i counts from the end. Returns the index or -ERANGE. */
static int64_t item_index(const mmapc_map *m, int64_t i)
{
	int64_t len = (int64_t)m->len;
	if (i < 0)
		i += len;
	return i < 0 || i >= len ? -ERANGE : i;
}

MMAPC_EXPORT int mmapc_getitem(mmapc_map *m, int64_t i)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	int64_t idx = item_index(m, i);
	r = idx < 0 ? (int)idx : m->data[idx];
	map_leave(m);
	return r;
}

MMAPC_EXPORT int mmapc_setitem(mmapc_map *m, int64_t i, int value)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	int64_t idx = item_index(m, i);
	if (m->access == MMAPC_ACCESS_READ)
		r = -EACCES;
	else if (idx < 0)
		r = (int)idx;
	else if (value < 0 || value > 255)
		r = -EINVAL;
	else
		m->data[idx] = (uint8_t)value;
	map_leave(m);
	return r;
}

/* A slice resolved against a length: PySlice_Unpack followed by PySlice_AdjustIndices. */
struct slice {
	int64_t start, step, count;
};

static int slice_resolve(int64_t start, int64_t stop, int64_t step, int64_t len, struct slice *ret)
{
	if (step == MMAPC_OMIT)
		step = 1;
	if (step == 0)
		return -EINVAL;
	if (step < -INT64_MAX)
		step = -INT64_MAX;
	if (start == MMAPC_OMIT)
		start = step < 0 ? INT64_MAX : 0;
	if (stop == MMAPC_OMIT)
		stop = step < 0 ? INT64_MIN : INT64_MAX;

	if (start < 0) {
		start += len;
		if (start < 0)
			start = step < 0 ? -1 : 0;
	} else if (start >= len) {
		start = step < 0 ? len - 1 : len;
	}
	if (stop < 0) {
		stop += len;
		if (stop < 0)
			stop = step < 0 ? -1 : 0;
	} else if (stop >= len) {
		stop = step < 0 ? len - 1 : len;
	}

	ret->start = start;
	ret->step = step;
	ret->count = 0;
	if (step < 0 && stop < start)
		ret->count = (start - stop - 1) / -step + 1;
	else if (step > 0 && start < stop)
		ret->count = (stop - start - 1) / step + 1;
	return 0;
}

MMAPC_EXPORT int64_t mmapc_getslice(mmapc_map *m, int64_t start, int64_t stop, int64_t step,
                                    void *buf, size_t bufsize)
{
	struct slice s;
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	r = slice_resolve(start, stop, step, (int64_t)m->len, &s);
	if (r == 0) {
		size_t n = (uint64_t)s.count < bufsize ? (size_t)s.count : bufsize;
		uint8_t *out = buf;
		if (s.step == 1 && n)
			memcpy(out, m->data + s.start, n);
		else
			for (size_t k = 0; k < n; k++)
				out[k] = m->data[s.start + (int64_t)k * s.step];
		r = s.count;
	}
	map_leave(m);
	return r;
}

MMAPC_EXPORT int mmapc_setslice(mmapc_map *m, int64_t start, int64_t stop, int64_t step,
                                const void *data, size_t n)
{
	struct slice s;
	int r = map_enter(m);

	if (r < 0)
		return r;
	if (m->access == MMAPC_ACCESS_READ)
		r = -EACCES;
	else if (slice_resolve(start, stop, step, (int64_t)m->len, &s) < 0)
		r = -EINVAL;
	else if ((uint64_t)s.count != n)
		r = -ERANGE;
	else if (s.step == 1 && n)
		memcpy(m->data + s.start, data, n);
	else
		for (size_t k = 0; k < n; k++)
			m->data[s.start + (int64_t)k * s.step] = ((const uint8_t *)data)[k];
	map_leave(m);
	return r;
}

MMAPC_EXPORT int mmapc_move(mmapc_map *m, int64_t dest, int64_t src, int64_t count)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	int64_t len = (int64_t)m->len;
	if (m->access == MMAPC_ACCESS_READ)
		r = -EACCES;
	else if (dest < 0 || src < 0 || count < 0 || len - dest < count || len - src < count)
		r = -EINVAL;
	else
		memmove(m->data + dest, m->data + src, (size_t)count);
	map_leave(m);
	return r;
}
