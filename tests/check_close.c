/* check_close.c: the end of a map's life: close (idempotent; every call after it -EBADF
 * before it looks at its arguments, a NULL map the same), and pins (mmapc_data and
 * mmapc_acquire hand out the mapping; a pinned map refuses close and resize until its last
 * release, and mmapc_free of a pinned map still frees it).
 *
 * The calls a closed map must refuse are one list (closed_calls) shared by the closed-map and
 * NULL-map tests, and it counts them: a call added to mmapc.h must be added there.
 *
 * Not here: mmapc_open's checks (check_open.c), a close racing another thread (check_open.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

static int64_t page(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* ---- close -------------------------------------------------------------------------------- */

static mmapc_map *closed_map(void)
{
	mmapc_map *m = anon_map(10);
	ck_assert_int_eq(mmapc_close(m), 0);
	return m;
}

/* close returns 0 and is idempotent; close, closed, seekable (and free) still work after it,
 * and mmapc_data says NULL. */
START_TEST(test_open_close_is_idempotent)
{
	mmapc_map *m = anon_map(10);
	ck_assert_int_eq(mmapc_closed(m), 0);
	ck_assert_ptr_nonnull(mmapc_data(m));
	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(mmapc_closed(m), 1);
	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(mmapc_closed(m), 1);
	ck_assert_ptr_null(mmapc_data(m));
	ck_assert_int_eq(mmapc_seekable(m), 1);
	mmapc_free(m);
}
END_TEST

/* The calls that were not -EBADF, collected so that one run names every one of them. */
struct report {
	char text[2048];
	int checked, failed;
};

static void expect_ebadf(struct report *rep, const char *what, int64_t got)
{
	size_t used = strlen(rep->text);
	rep->checked++;
	if (got == -EBADF)
		return;
	rep->failed++;
	snprintf(rep->text + used, sizeof(rep->text) - used, " %s=%lld;", what, (long long)got);
}

#define EBADF_OF(expr) expect_ebadf(rep, #expr, (int64_t)(expr))

/* Every call that must fail on a closed or NULL map, with valid arguments. Out-parameters
 * must be left alone. */
static void closed_calls(mmapc_map *m, struct report *rep)
{
	char buf[8] = "", *line = NULL;
	size_t n = 0, len = 7;
	const void *view = buf, *lview = buf;
	void *data = buf;

	EBADF_OF(mmapc_read(m, buf, sizeof(buf)));
	EBADF_OF(mmapc_read_view(m, 4, &view));
	EBADF_OF(mmapc_read_byte(m));
	EBADF_OF(mmapc_readline(m, &line, &n));
	EBADF_OF(mmapc_readline_view(m, &lview));
	EBADF_OF(mmapc_write(m, "ab", 2));
	EBADF_OF(mmapc_write_byte(m, 'a'));
	EBADF_OF(mmapc_seek(m, 0, SEEK_SET));
	EBADF_OF(mmapc_tell(m));
	EBADF_OF(mmapc_find(m, "a", 1, MMAPC_OMIT, MMAPC_OMIT));
	EBADF_OF(mmapc_rfind(m, "a", 1, 0, 10));
	EBADF_OF(mmapc_len(m));
	EBADF_OF(mmapc_getitem(m, 0));
	EBADF_OF(mmapc_setitem(m, 0, 1));
	EBADF_OF(mmapc_getslice(m, 0, 4, 1, buf, sizeof(buf)));
	EBADF_OF(mmapc_setslice(m, 0, 2, 1, "ab", 2));
	EBADF_OF(mmapc_move(m, 0, 1, 1));
	EBADF_OF(mmapc_flush(m, MMAPC_OMIT, MMAPC_OMIT));
	EBADF_OF(mmapc_madvise(m, MADV_NORMAL, MMAPC_OMIT, MMAPC_OMIT));
	EBADF_OF(mmapc_size(m));
	EBADF_OF(mmapc_resize(m, 20));
	EBADF_OF(mmapc_acquire(m, &data, &len));
	EBADF_OF(mmapc_release(m));
	EBADF_OF(mmapc_created(m));
	ck_assert_int_eq(rep->checked, 24);
	ck_assert_msg(view == buf && lview == buf && data == buf && len == 7,
	              "a failing call set its out-parameter");
	ck_assert_msg(!line && !n, "a failing readline touched *lineptr or *n");
}

/* A closed map reports -EBADF before it looks at any argument. */
static void bad_argument_calls(mmapc_map *m, struct report *rep)
{
	char buf[4];

	EBADF_OF(mmapc_write_byte(m, 999));
	EBADF_OF(mmapc_seek(m, 0, 99));
	EBADF_OF(mmapc_seek(m, -1, SEEK_SET));
	EBADF_OF(mmapc_getslice(m, 0, 4, 0, buf, sizeof(buf)));
	EBADF_OF(mmapc_setslice(m, 0, 4, 0, "ab", 2));
	EBADF_OF(mmapc_setitem(m, -1000, 999));
	EBADF_OF(mmapc_getitem(m, 1000));
	EBADF_OF(mmapc_move(m, -1, -1, -1));
	EBADF_OF(mmapc_flush(m, -1, -1));
	EBADF_OF(mmapc_madvise(m, -1, -5, -5));
	EBADF_OF(mmapc_resize(m, 0));
	EBADF_OF(mmapc_write(m, buf, SIZE_MAX));
	EBADF_OF(mmapc_readline(m, NULL, NULL));
}

START_TEST(test_open_closed_calls_are_ebadf)
{
	struct report rep = {.checked = 0};
	mmapc_map *m = closed_map();
	closed_calls(m, &rep);
	ck_assert_msg(rep.failed == 0, "on a closed map:%s", rep.text);
	mmapc_free(m);
}
END_TEST

START_TEST(test_open_closed_check_beats_bad_arguments)
{
	struct report rep = {.checked = 0};
	mmapc_map *m = closed_map();
	bad_argument_calls(m, &rep);
	ck_assert_msg(rep.failed == 0, "on a closed map:%s", rep.text);
	mmapc_free(m);
}
END_TEST

START_TEST(test_open_closed_access_and_offset_are_ebadf)
{
	/* mmapc.h: after close every call but close, closed, seekable and free is -EBADF. */
	mmapc_map *m = open_ok(-1, 10, MMAPC_ACCESS_WRITE, page(), NULL);
	ck_assert_int_eq(mmapc_close(m), 0);
	int access = mmapc_access(m);
	int64_t offset = mmapc_offset(m);
	mmapc_free(m);
	ck_assert_int_eq(access, -EBADF);
	ck_assert_int_eq(offset, -EBADF);
}
END_TEST

START_TEST(test_open_null_map_is_closed)
{
	struct report rep = {.checked = 0};
	closed_calls(NULL, &rep);
	bad_argument_calls(NULL, &rep);
	ck_assert_msg(rep.failed == 0, "on NULL:%s", rep.text);
	ck_assert_int_eq(mmapc_close(NULL), 0);
	ck_assert_int_eq(mmapc_closed(NULL), 1);
	ck_assert_int_eq(mmapc_seekable(NULL), 1);
	ck_assert_ptr_null(mmapc_data(NULL));
	ck_assert_int_eq(mmapc_access(NULL), -EBADF);
	ck_assert_int_eq(mmapc_offset(NULL), -EBADF);
	mmapc_free(NULL);
}
END_TEST

/* ---- pins and the data pointer ------------------------------------------------------------ */

/* mmapc_data and mmapc_acquire hand out the mapping itself. */
START_TEST(test_open_data_is_the_mapping)
{
	mmapc_map *m = anon_map(77);
	unsigned char *p = mmapc_data(m), *data = NULL;
	size_t len = 0;
	ck_assert_ptr_nonnull(p);
	p[3] = 0xab;
	ck_assert_int_eq(mmapc_getitem(m, 3), 0xab);
	ck_assert_int_eq(mmapc_setitem(m, 4, 0xcd), 0);
	ck_assert_int_eq(p[4], 0xcd);
	ck_assert_int_eq(mmapc_acquire(m, (void **)&data, &len), 0);
	ck_assert_ptr_eq(data, p);
	ck_assert_uint_eq(len, 77);
	ck_assert_int_eq(mmapc_acquire(m, NULL, NULL), 0); /* either may be NULL */
	ck_assert_int_eq(mmapc_release(m), 0);
	ck_assert_int_eq(mmapc_release(m), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_open_pinned_resize_is_ebusy)
{
	struct mmapc_options o = {.options = MMAPC_NOTRACKFD};
	mmapc_map *m = anon_map(10);
	mmapc_map *n = open_ok(-1, 10, MMAPC_ACCESS_READ, 0, &o);
	ck_assert_int_eq(mmapc_acquire(m, NULL, NULL), 0);
	ck_assert_int_eq(mmapc_resize(m, 20), -EBUSY);
	ck_assert_int_eq(mmapc_len(m), 10);
	ck_assert_int_eq(mmapc_acquire(n, NULL, NULL), 0);
	ck_assert_int_eq(mmapc_resize(n, 20), -EBUSY); /* pins are checked first */
	ck_assert_int_eq(mmapc_release(m), 0);
	ck_assert_int_eq(mmapc_resize(m, 20), 0);
	ck_assert_int_eq(mmapc_release(n), 0);
	mmapc_free(m);
	mmapc_free(n);
}
END_TEST

/* While pinned, close is -EBUSY and the map stays open and usable. Pins nest: two acquires
 * need two releases. A release without an acquire is -EINVAL. */
START_TEST(test_open_pinned_close_is_ebusy_until_last_release)
{
	mmapc_map *m = anon_map(10);
	ck_assert_int_eq(mmapc_release(m), -EINVAL);
	ck_assert_int_eq(mmapc_acquire(m, NULL, NULL), 0);
	ck_assert_int_eq(mmapc_acquire(m, NULL, NULL), 0);
	ck_assert_int_eq(mmapc_close(m), -EBUSY);
	ck_assert_int_eq(mmapc_release(m), 0);
	ck_assert_int_eq(mmapc_close(m), -EBUSY);
	ck_assert_int_eq(mmapc_closed(m), 0);
	ck_assert_int_eq(mmapc_write_byte(m, 9), 0);
	ck_assert_int_eq(mmapc_getitem(m, 0), 9);
	ck_assert_int_eq(mmapc_release(m), 0);
	ck_assert_int_eq(mmapc_release(m), -EINVAL);
	ck_assert_int_eq(mmapc_close(m), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_open_free_pinned_map)
{
	/* The descriptor fixture and valgrind see whether anything is left behind. */
	int before = fd_count();
	mmapc_map *m = anon_map(10);
	ck_assert_int_eq(mmapc_acquire(m, NULL, NULL), 0);
	ck_assert_int_eq(mmapc_acquire(m, NULL, NULL), 0);
	mmapc_free(m);
	ck_assert_int_eq(fd_count(), before);
}
END_TEST

Suite *close_suite(void)
{
	Suite *s = suite_create("close");
	TCase *tc = tcase_new("close");
	tcase_add_test(tc, test_open_close_is_idempotent);
	tcase_add_test(tc, test_open_closed_calls_are_ebadf);
	tcase_add_test(tc, test_open_closed_check_beats_bad_arguments);
	tcase_add_test(tc, test_open_closed_access_and_offset_are_ebadf);
	tcase_add_test(tc, test_open_null_map_is_closed);
	suite_add_tcase(s, tc);

	tc = tcase_new("pins");
	tcase_add_test(tc, test_open_data_is_the_mapping);
	tcase_add_test(tc, test_open_pinned_close_is_ebusy_until_last_release);
	tcase_add_test(tc, test_open_pinned_resize_is_ebusy);
	tcase_add_test(tc, test_open_free_pinned_map);
	suite_add_tcase(s, tc);
	return s;
}
