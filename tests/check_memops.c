/* check_memops.c: the memory calls of a map and what holds across all calls: move, flush,
 * madvise, len and size, the position that lookups keep, and -EBADF first on a closed or NULL
 * map, each checked against python-mmap-semantics (sections 4-6, 11, 13 and 16) and mmapc.h,
 * errno by errno and in the spec's order of checks.
 *
 * Not here: read, write, readline and seek (check_io.c); find and slices (check_find.c,
 * check_slice.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "io_helpers.h"

/* ---- move ------------------------------------------------------------------------------- */

START_TEST(test_io_move_overlap_forward)
{
	mmapc_map *m = map_of("abcdefgh");
	ck_assert_int_eq(mmapc_move(m, 2, 0, 6), 0);
	ck_assert_mem_eq(mmapc_data(m), "ababcdef", 8);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_move_overlap_backward)
{
	mmapc_map *m = map_of("abcdefgh");
	ck_assert_int_eq(mmapc_move(m, 0, 2, 6), 0);
	ck_assert_mem_eq(mmapc_data(m), "cdefghgh", 8);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_move_zero_count_at_len)
{
	mmapc_map *m = map_of("abcdefgh");
	ck_assert_int_eq(mmapc_move(m, 8, 0, 0), 0);
	ck_assert_int_eq(mmapc_move(m, 0, 8, 0), 0);
	ck_assert_int_eq(mmapc_move(m, 8, 8, 0), 0);
	ck_assert_int_eq(mmapc_move(m, 9, 0, 0), -EINVAL);
	ck_assert_mem_eq(mmapc_data(m), "abcdefgh", 8);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_move_negative_is_einval)
{
	mmapc_map *m = map_of("abcdefgh");
	ck_assert_int_eq(mmapc_move(m, -1, 0, 1), -EINVAL);
	ck_assert_int_eq(mmapc_move(m, 0, -1, 1), -EINVAL);
	ck_assert_int_eq(mmapc_move(m, 0, 1, -1), -EINVAL);
	ck_assert_mem_eq(mmapc_data(m), "abcdefgh", 8);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_move_count_too_big_is_einval)
{
	mmapc_map *m = map_of("abcdefgh");
	ck_assert_int_eq(mmapc_move(m, 0, 1, 8), -EINVAL);
	ck_assert_int_eq(mmapc_move(m, 1, 0, 8), -EINVAL);
	ck_assert_int_eq(mmapc_move(m, 0, 0, 9), -EINVAL);
	ck_assert_int_eq(mmapc_move(m, INT64_MAX, 0, 1), -EINVAL);
	ck_assert_int_eq(mmapc_move(m, 0, 0, INT64_MAX), -EINVAL);
	ck_assert_mem_eq(mmapc_data(m), "abcdefgh", 8);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_move_read_map_is_eacces_before_range)
{
	int fd = tmpfile_with("abcdefgh", 8, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_READ);
	ck_assert_int_eq(mmapc_move(m, 0, 1, 2), -EACCES);
	ck_assert_int_eq(mmapc_move(m, -1, -1, -1), -EACCES);
	ck_assert_int_eq(mmapc_move(m, 0, 0, 100), -EACCES);
	ck_assert_mem_eq(mmapc_data(m), "abcdefgh", 8);
	mmapc_free(m);
	close(fd);
}
END_TEST

START_TEST(test_io_move_copy_map_allowed)
{
	int fd = tmpfile_with("abcdefgh", 8, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_COPY);
	char buf[8];
	ck_assert_int_eq(mmapc_move(m, 0, 4, 4), 0);
	ck_assert_mem_eq(mmapc_data(m), "efghefgh", 8);
	ck_assert_int_eq(pread(fd, buf, 8, 0), 8);
	ck_assert_mem_eq(buf, "abcdefgh", 8);
	mmapc_free(m);
	close(fd);
}
END_TEST

START_TEST(test_io_move_keeps_position)
{
	mmapc_map *m = map_of("abcdefgh");
	ck_assert_int_eq(mmapc_seek(m, 3, SEEK_SET), 3);
	ck_assert_int_eq(mmapc_move(m, 4, 0, 4), 0);
	ck_assert_int_eq(mmapc_tell(m), 3);
	mmapc_free(m);
}
END_TEST

/* ---- flush ------------------------------------------------------------------------------ */

START_TEST(test_io_flush_defaults)
{
	mmapc_map *m = anon_map(page());
	ck_assert_int_eq(mmapc_flush(m, MMAPC_OMIT, MMAPC_OMIT), 0);
	ck_assert_int_eq(mmapc_flush(m, 0, MMAPC_OMIT), 0);
	ck_assert_int_eq(mmapc_flush(m, MMAPC_OMIT, 10), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_flush_empty_ranges_at_page_bounds)
{
	mmapc_map *m = anon_map(page());
	ck_assert_int_eq(mmapc_flush(m, 0, 0), 0);
	ck_assert_int_eq(mmapc_flush(m, page(), 0), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_flush_unaligned_offset_is_einval)
{
	mmapc_map *m = anon_map(page());
	ck_assert_int_eq(mmapc_flush(m, 1, 0), -EINVAL);
	ck_assert_int_eq(mmapc_flush(m, 10, 0), -EINVAL);
	ck_assert_int_eq(mmapc_flush(m, 1, 10), -EINVAL);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_flush_offset_alone_is_einval)
{
	mmapc_map *m = anon_map(2 * page());
	ck_assert_int_eq(mmapc_flush(m, page(), MMAPC_OMIT), -EINVAL);
	ck_assert_int_eq(mmapc_flush(m, page(), page()), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_flush_negative_is_einval)
{
	mmapc_map *m = anon_map(page());
	ck_assert_int_eq(mmapc_flush(m, -1, 0), -EINVAL);
	ck_assert_int_eq(mmapc_flush(m, 0, -1), -EINVAL);
	ck_assert_int_eq(mmapc_flush(m, -page(), MMAPC_OMIT), -EINVAL);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_flush_past_end_is_einval)
{
	mmapc_map *m = anon_map(page());
	ck_assert_int_eq(mmapc_flush(m, 0, page() + 1), -EINVAL);
	ck_assert_int_eq(mmapc_flush(m, page(), 1), -EINVAL);
	ck_assert_int_eq(mmapc_flush(m, 2 * page(), 0), -EINVAL);
	ck_assert_int_eq(mmapc_flush(m, INT64_MAX, INT64_MAX), -EINVAL);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_flush_read_and_copy_maps_skip_msync)
{
	static const int access[] = {MMAPC_ACCESS_READ, MMAPC_ACCESS_COPY};
	int fd = tmpfile_with("abcdefgh", 8, O_RDWR);
	for (int i = 0; i < 2; i++) {
		mmapc_map *m = file_map(fd, access[i]);
		ck_assert_int_eq(mmapc_flush(m, 1, 0), 0);
		ck_assert_int_eq(mmapc_flush(m, 3, 5), 0);
		ck_assert_int_eq(mmapc_flush(m, MMAPC_OMIT, MMAPC_OMIT), 0);
		mmapc_free(m);
	}
	close(fd);
}
END_TEST

START_TEST(test_io_flush_read_and_copy_maps_range_checked)
{
	static const int access[] = {MMAPC_ACCESS_READ, MMAPC_ACCESS_COPY};
	int fd = tmpfile_with("abcdefgh", 8, O_RDWR);
	for (int i = 0; i < 2; i++) {
		mmapc_map *m = file_map(fd, access[i]);
		ck_assert_int_eq(mmapc_flush(m, 0, 9), -EINVAL);
		ck_assert_int_eq(mmapc_flush(m, 1, MMAPC_OMIT), -EINVAL);
		ck_assert_int_eq(mmapc_flush(m, -1, 0), -EINVAL);
		ck_assert_int_eq(mmapc_flush(m, 0, -1), -EINVAL);
		mmapc_free(m);
	}
	close(fd);
}
END_TEST

START_TEST(test_io_flush_write_file_map)
{
	int fd = tmpfile_with("abcdefgh", 8, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_WRITE);
	char buf[8];
	ck_assert_int_eq(mmapc_write(m, "WXYZ", 4), 4);
	ck_assert_int_eq(mmapc_flush(m, MMAPC_OMIT, MMAPC_OMIT), 0);
	ck_assert_int_eq(mmapc_flush(m, 0, 8), 0);
	ck_assert_int_eq(pread(fd, buf, 8, 0), 8);
	ck_assert_mem_eq(buf, "WXYZefgh", 8);
	mmapc_free(m);
	close(fd);
}
END_TEST

/* ---- madvise ---------------------------------------------------------------------------- */

START_TEST(test_io_madvise_defaults)
{
	mmapc_map *m = anon_map(2 * page());
	memcpy(mmapc_data(m), "kept", 4);
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, MMAPC_OMIT, MMAPC_OMIT), 0);
	ck_assert_int_eq(mmapc_madvise(m, MADV_WILLNEED, MMAPC_OMIT, MMAPC_OMIT), 0);
	ck_assert_int_eq(mmapc_madvise(m, MADV_DONTNEED, MMAPC_OMIT, MMAPC_OMIT), 0);
	/* A shared map's bytes survive MADV_DONTNEED. */
	ck_assert_mem_eq(mmapc_data(m), "kept", 4);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_madvise_start_out_of_bounds_is_einval)
{
	mmapc_map *m = anon_map(2 * page());
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, -1, MMAPC_OMIT), -EINVAL);
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, 2 * page(), MMAPC_OMIT), -EINVAL);
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, 2 * page(), 0), -EINVAL);
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, INT64_MAX, 1), -EINVAL);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_madvise_negative_length_is_einval)
{
	mmapc_map *m = anon_map(2 * page());
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, 0, -1), -EINVAL);
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, page(), -page()), -EINVAL);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_madvise_overflow_is_eoverflow)
{
	mmapc_map *m = anon_map(2 * page());
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, page(), INT64_MAX), -EOVERFLOW);
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, 1, INT64_MAX), -EOVERFLOW);
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, 0, INT64_MAX), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_madvise_length_clipped)
{
	mmapc_map *m = anon_map(2 * page());
	ck_assert_int_eq(mmapc_madvise(m, MADV_WILLNEED, 0, 100 * page()), 0);
	ck_assert_int_eq(mmapc_madvise(m, MADV_WILLNEED, page(), (int64_t)1 << 40), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_madvise_zero_length)
{
	mmapc_map *m = anon_map(2 * page());
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, 0, 0), 0);
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, page(), 0), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_madvise_unaligned_start_is_einval)
{
	mmapc_map *m = anon_map(2 * page());
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, 1, MMAPC_OMIT), -EINVAL);
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, 9, 10), -EINVAL);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_madvise_unknown_option_is_einval)
{
	mmapc_map *m = anon_map(2 * page());
	ck_assert_int_eq(mmapc_madvise(m, 12345, MMAPC_OMIT, MMAPC_OMIT), -EINVAL);
	ck_assert_int_eq(mmapc_madvise(m, -1, 0, page()), -EINVAL);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_madvise_read_map)
{
	int fd = tmpfile_with("abcdefgh", 8, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_READ);
	ck_assert_int_eq(mmapc_madvise(m, MADV_WILLNEED, MMAPC_OMIT, MMAPC_OMIT), 0);
	ck_assert_int_eq(mmapc_madvise(m, MADV_NORMAL, 0, 4), 0);
	mmapc_free(m);
	close(fd);
}
END_TEST

/* ---- len and size ----------------------------------------------------------------------- */

START_TEST(test_io_len_is_map_length)
{
	mmapc_map *m = anon_map(5000);
	ck_assert_int_eq(mmapc_len(m), 5000);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_size_of_window_is_whole_file)
{
	size_t n = 3 * (size_t)page();
	char *data = calloc(1, n);
	int fd = tmpfile_with(data, n, O_RDWR);
	mmapc_map *m = NULL;
	ck_assert_int_eq(mmapc_open(&m, fd, 100, MMAPC_ACCESS_DEFAULT, page(), NULL), 0);
	ck_assert_int_eq(mmapc_len(m), 100);
	ck_assert_int_eq(mmapc_size(m), 3 * page());
	mmapc_free(m);
	close(fd);
	free(data);
}
END_TEST

START_TEST(test_io_size_follows_external_growth)
{
	int fd = tmpfile_with("abcdefgh", 8, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_DEFAULT);
	ck_assert_int_eq(mmapc_size(m), 8);
	ck_assert_int_eq(ftruncate(fd, 5 * page()), 0);
	ck_assert_int_eq(mmapc_size(m), 5 * page());
	ck_assert_int_eq(mmapc_len(m), 8);
	mmapc_free(m);
	close(fd);
}
END_TEST

START_TEST(test_io_size_of_anonymous_map_is_its_length)
{
	mmapc_map *m = anon_map(5000);
	ck_assert_int_eq(mmapc_size(m), 5000);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_size_notrackfd_is_ebadf)
{
	int fd = tmpfile_with("abcdefgh", 8, O_RDWR);
	struct mmapc_options o = {.options = MMAPC_NOTRACKFD};
	mmapc_map *m = NULL;
	ck_assert_int_eq(mmapc_open(&m, fd, 0, MMAPC_ACCESS_DEFAULT, 0, &o), 0);
	ck_assert_int_eq(mmapc_size(m), -EBADF);
	ck_assert_int_eq(mmapc_len(m), 8);
	mmapc_free(m);
	close(fd);
}
END_TEST

/* ---- position and closed maps, across calls --------------------------------------------- */

START_TEST(test_io_lookups_keep_position)
{
	mmapc_map *m = map_of("abcabcabc");
	char buf[9];
	ck_assert_int_eq(mmapc_seek(m, 4, SEEK_SET), 4);
	ck_assert_int_eq(mmapc_find(m, "abc", 3, MMAPC_OMIT, MMAPC_OMIT), 6);
	ck_assert_int_eq(mmapc_rfind(m, "abc", 3, 0, MMAPC_OMIT), 6);
	ck_assert_int_eq(mmapc_find(m, "zz", 2, 0, MMAPC_OMIT), -ENOENT);
	ck_assert_int_eq(mmapc_getitem(m, 0), 'a');
	ck_assert_int_eq(mmapc_getslice(m, 1, 4, MMAPC_OMIT, buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "bca", 3);
	ck_assert_int_eq(mmapc_tell(m), 4);
	mmapc_free(m);
}
END_TEST

/* Every call of this suite and of check_io.c on a closed (or NULL) map is -EBADF, even with
 * bad arguments. */
static void check_all_ebadf(mmapc_map *m)
{
	char buf[4], *line = NULL;
	size_t n = 0;
	const void *p = buf;
	ck_assert_int_eq(mmapc_read(m, buf, 1), -EBADF);
	ck_assert_int_eq(mmapc_read_view(m, 1, &p), -EBADF);
	ck_assert_ptr_eq(p, buf);
	ck_assert_int_eq(mmapc_read_byte(m), -EBADF);
	ck_assert_int_eq(mmapc_readline(m, &line, &n), -EBADF);
	ck_assert_int_eq(mmapc_readline(m, NULL, NULL), -EBADF);
	ck_assert_ptr_null(line);
	ck_assert_int_eq(mmapc_readline_view(m, &p), -EBADF);
	ck_assert_int_eq(mmapc_write(m, "x", 1), -EBADF);
	ck_assert_int_eq(mmapc_write_byte(m, 256), -EBADF);
	ck_assert_int_eq(mmapc_seek(m, -1, 3), -EBADF);
	ck_assert_int_eq(mmapc_tell(m), -EBADF);
	ck_assert_int_eq(mmapc_move(m, -1, -1, -1), -EBADF);
	ck_assert_int_eq(mmapc_flush(m, -1, -1), -EBADF);
	ck_assert_int_eq(mmapc_madvise(m, 12345, -1, -1), -EBADF);
	ck_assert_int_eq(mmapc_len(m), -EBADF);
	ck_assert_int_eq(mmapc_size(m), -EBADF);
	ck_assert_int_eq(mmapc_seekable(m), 1);
}

START_TEST(test_io_closed_map_is_ebadf_first)
{
	mmapc_map *m = map_of("abc");
	ck_assert_int_eq(mmapc_close(m), 0);
	check_all_ebadf(m);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_null_map_is_ebadf)
{
	check_all_ebadf(NULL);
}
END_TEST

/* ---- the suite -------------------------------------------------------------------------- */

#define ADD(tc, t) tcase_add_test(tc, t)

Suite *memops_suite(void)
{
	Suite *s = suite_create("memops");
	TCase *tc;

	tc = tcase_new("move");
	ADD(tc, test_io_move_overlap_forward);
	ADD(tc, test_io_move_overlap_backward);
	ADD(tc, test_io_move_zero_count_at_len);
	ADD(tc, test_io_move_negative_is_einval);
	ADD(tc, test_io_move_count_too_big_is_einval);
	ADD(tc, test_io_move_read_map_is_eacces_before_range);
	ADD(tc, test_io_move_copy_map_allowed);
	ADD(tc, test_io_move_keeps_position);
	suite_add_tcase(s, tc);

	tc = tcase_new("flush");
	ADD(tc, test_io_flush_defaults);
	ADD(tc, test_io_flush_empty_ranges_at_page_bounds);
	ADD(tc, test_io_flush_unaligned_offset_is_einval);
	ADD(tc, test_io_flush_offset_alone_is_einval);
	ADD(tc, test_io_flush_negative_is_einval);
	ADD(tc, test_io_flush_past_end_is_einval);
	ADD(tc, test_io_flush_read_and_copy_maps_skip_msync);
	ADD(tc, test_io_flush_read_and_copy_maps_range_checked);
	ADD(tc, test_io_flush_write_file_map);
	suite_add_tcase(s, tc);

	tc = tcase_new("madvise");
	ADD(tc, test_io_madvise_defaults);
	ADD(tc, test_io_madvise_start_out_of_bounds_is_einval);
	ADD(tc, test_io_madvise_negative_length_is_einval);
	ADD(tc, test_io_madvise_overflow_is_eoverflow);
	ADD(tc, test_io_madvise_length_clipped);
	ADD(tc, test_io_madvise_zero_length);
	ADD(tc, test_io_madvise_unaligned_start_is_einval);
	ADD(tc, test_io_madvise_unknown_option_is_einval);
	ADD(tc, test_io_madvise_read_map);
	suite_add_tcase(s, tc);

	tc = tcase_new("len_size");
	ADD(tc, test_io_len_is_map_length);
	ADD(tc, test_io_size_of_window_is_whole_file);
	ADD(tc, test_io_size_follows_external_growth);
	ADD(tc, test_io_size_of_anonymous_map_is_its_length);
	ADD(tc, test_io_size_notrackfd_is_ebadf);
	suite_add_tcase(s, tc);

	tc = tcase_new("position");
	ADD(tc, test_io_lookups_keep_position);
	ADD(tc, test_io_closed_map_is_ebadf_first);
	ADD(tc, test_io_null_map_is_ebadf);
	suite_add_tcase(s, tc);

	return s;
}
