/* check_io.c: the file-like calls of a map: read, read_view, read_byte, readline,
 * readline_view, write, write_byte and seek/tell, each checked against python-mmap-semantics
 * (sections 7, 8, 10 and 16) and mmapc.h, errno by errno and in the spec's order of checks.
 *
 * Not here: the memory calls (move, flush, madvise), len and size, and closed maps
 * (check_memops.c); find and slices (check_find.c, check_slice.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "io_helpers.h"

#if defined(__SANITIZE_ADDRESS__)
#define IO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IO_ASAN 1
#endif
#endif

/* An anonymous map of one page whose position (two pages) is past its end. */
static mmapc_map *map_pos_past_end(void)
{
	mmapc_map *m = anon_map(2 * page());
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_END), 2 * page());
	ck_assert_int_eq(mmapc_resize(m, page()), 0);
	ck_assert_int_eq(mmapc_len(m), page());
	return m;
}

/* ---- read ------------------------------------------------------------------------------- */

START_TEST(test_io_read_copies_and_advances)
{
	mmapc_map *m = map_of("hello world");
	char buf[16] = {0};
	ck_assert_int_eq(mmapc_read(m, buf, 5), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_int_eq(mmapc_tell(m), 5);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_more_than_remaining_returns_rest)
{
	mmapc_map *m = map_of("hello world");
	char buf[32];
	memset(buf, '#', sizeof(buf));
	ck_assert_int_eq(mmapc_seek(m, 6, SEEK_SET), 6);
	ck_assert_int_eq(mmapc_read(m, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "world#", 6);
	ck_assert_int_eq(mmapc_tell(m), 11);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_at_eof_returns_zero)
{
	mmapc_map *m = map_of("abc");
	char buf[4] = "###";
	ck_assert_int_eq(mmapc_read(m, buf, 3), 3);
	ck_assert_int_eq(mmapc_read(m, buf, 3), 0);
	ck_assert_int_eq(mmapc_tell(m), 3);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_zero_bytes)
{
	mmapc_map *m = map_of("abc");
	char buf[2] = "#";
	ck_assert_int_eq(mmapc_read(m, buf, 0), 0);
	ck_assert_int_eq(buf[0], '#');
	ck_assert_int_eq(mmapc_tell(m), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_past_end_after_shrink_returns_zero)
{
	mmapc_map *m = map_pos_past_end();
	char buf[8];
	ck_assert_int_eq(mmapc_read(m, buf, sizeof(buf)), 0);
	ck_assert_int_eq(mmapc_tell(m), 2 * page());
	mmapc_free(m);
}
END_TEST

/* ---- read_view -------------------------------------------------------------------------- */

START_TEST(test_io_read_view_points_into_map_and_advances)
{
	mmapc_map *m = map_of("abcdef");
	const void *p = NULL;
	ck_assert_int_eq(mmapc_seek(m, 1, SEEK_SET), 1);
	ck_assert_int_eq(mmapc_read_view(m, 2, &p), 2);
	ck_assert_ptr_eq(p, (char *)mmapc_data(m) + 1);
	ck_assert_int_eq(mmapc_tell(m), 3);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_view_negative_means_all_remaining)
{
	mmapc_map *m = map_of("abcdef");
	const void *p = NULL;
	ck_assert_int_eq(mmapc_seek(m, 2, SEEK_SET), 2);
	ck_assert_int_eq(mmapc_read_view(m, -1, &p), 4);
	ck_assert_ptr_eq(p, (char *)mmapc_data(m) + 2);
	ck_assert_int_eq(mmapc_tell(m), 6);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_view_omit_means_all_remaining)
{
	mmapc_map *m = map_of("abcdef");
	const void *p = NULL;
	ck_assert_int_eq(mmapc_seek(m, 4, SEEK_SET), 4);
	ck_assert_int_eq(mmapc_read_view(m, MMAPC_OMIT, &p), 2);
	ck_assert_mem_eq(p, "ef", 2);
	ck_assert_int_eq(mmapc_tell(m), 6);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_view_more_than_remaining_is_clipped)
{
	mmapc_map *m = map_of("abcdef");
	const void *p = NULL;
	ck_assert_int_eq(mmapc_seek(m, 3, SEEK_SET), 3);
	ck_assert_int_eq(mmapc_read_view(m, 100, &p), 3);
	ck_assert_ptr_eq(p, (char *)mmapc_data(m) + 3);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_view_zero_bytes)
{
	mmapc_map *m = map_of("abcdef");
	const void *p = NULL;
	ck_assert_int_eq(mmapc_seek(m, 2, SEEK_SET), 2);
	ck_assert_int_eq(mmapc_read_view(m, 0, &p), 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(mmapc_tell(m), 2);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_view_at_eof_returns_zero)
{
	mmapc_map *m = map_of("abc");
	const void *p = NULL;
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_END), 3);
	ck_assert_int_eq(mmapc_read_view(m, MMAPC_OMIT, &p), 0);
	ck_assert_ptr_eq(p, (char *)mmapc_data(m) + 3);
	ck_assert_int_eq(mmapc_tell(m), 3);
	mmapc_free(m);
}
END_TEST

/* ---- read_byte -------------------------------------------------------------------------- */

START_TEST(test_io_read_byte_returns_every_value_unsigned)
{
	mmapc_map *m = anon_map(256);
	unsigned char *d = mmapc_data(m);
	for (int i = 0; i < 256; i++)
		d[i] = (unsigned char)i;
	for (int i = 0; i < 256; i++) {
		ck_assert_int_eq(mmapc_read_byte(m), i);
		ck_assert_int_eq(mmapc_tell(m), i + 1);
	}
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_byte_0xff_is_255)
{
	mmapc_map *m = map_of("\xff\x80");
	ck_assert_int_eq(mmapc_read_byte(m), 255);
	ck_assert_int_eq(mmapc_read_byte(m), 128);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_byte_at_end_is_einval)
{
	mmapc_map *m = map_of("a");
	ck_assert_int_eq(mmapc_read_byte(m), 'a');
	ck_assert_int_eq(mmapc_read_byte(m), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 1);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_read_byte_past_end_is_einval)
{
	mmapc_map *m = map_pos_past_end();
	ck_assert_int_eq(mmapc_read_byte(m), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 2 * page());
	mmapc_free(m);
}
END_TEST

/* ---- readline --------------------------------------------------------------------------- */

START_TEST(test_io_readline_allocates_from_null)
{
	mmapc_map *m = map_of("one\ntwo\n");
	char *line = NULL;
	size_t n = 0;
	ck_assert_int_eq(mmapc_readline(m, &line, &n), 4);
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_ge(n, 5);
	ck_assert_str_eq(line, "one\n");
	ck_assert_int_eq(mmapc_tell(m), 4);
	free(line);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_reuses_large_enough_buffer)
{
	mmapc_map *m = map_of("ab\ncd");
	size_t n = 64;
	char *line = malloc(n), *orig = line;
	ck_assert_int_eq(mmapc_readline(m, &line, &n), 3);
	ck_assert_ptr_eq(line, orig);
	ck_assert_uint_eq(n, 64);
	ck_assert_str_eq(line, "ab\n");
	free(line);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_grows_small_buffer)
{
	mmapc_map *m = map_of("0123456789\nx");
	size_t n = 4;
	char *line = malloc(n);
	ck_assert_int_eq(mmapc_readline(m, &line, &n), 11);
	ck_assert_uint_ge(n, 12);
	ck_assert_str_eq(line, "0123456789\n");
	free(line);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_walks_lines_and_last_has_no_newline)
{
	mmapc_map *m = map_of("a\n\nbc\ndef");
	static const char *const want[] = {"a\n", "\n", "bc\n", "def", ""};
	char *line = NULL;
	size_t n = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(mmapc_readline(m, &line, &n), (int64_t)strlen(want[i]));
		ck_assert_str_eq(line, want[i]);
	}
	ck_assert_int_eq(mmapc_tell(m), 9);
	free(line);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_cr_does_not_end_line)
{
	mmapc_map *m = map_of("a\rb\r\nc");
	char *line = NULL;
	size_t n = 0;
	ck_assert_int_eq(mmapc_readline(m, &line, &n), 5);
	ck_assert_str_eq(line, "a\rb\r\n");
	free(line);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_is_nul_terminated)
{
	mmapc_map *m = map_of("xy\nz");
	size_t n = 16;
	char *line = malloc(n);
	memset(line, '#', n);
	ck_assert_int_eq(mmapc_readline(m, &line, &n), 3);
	ck_assert_int_eq(line[3], '\0');
	free(line);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_at_end_returns_zero)
{
	mmapc_map *m = map_of("abc");
	char *line = NULL;
	size_t n = 0;
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_END), 3);
	ck_assert_int_eq(mmapc_readline(m, &line, &n), 0);
	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line, "");
	ck_assert_int_eq(mmapc_tell(m), 3);
	free(line);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_past_end_returns_zero)
{
	mmapc_map *m = map_pos_past_end();
	size_t n = 8;
	char *line = malloc(n);
	line[0] = '#';
	ck_assert_int_eq(mmapc_readline(m, &line, &n), 0);
	ck_assert_str_eq(line, "");
	ck_assert_int_eq(mmapc_tell(m), 2 * page());
	free(line);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_null_arguments_are_einval)
{
	mmapc_map *m = map_of("ab\n");
	char *line = NULL;
	size_t n = 0;
	ck_assert_int_eq(mmapc_readline(m, NULL, &n), -EINVAL);
	ck_assert_int_eq(mmapc_readline(m, &line, NULL), -EINVAL);
	ck_assert_ptr_null(line);
	ck_assert_int_eq(mmapc_tell(m), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_one_mib_line)
{
	const int64_t mib = 1 << 20;
	mmapc_map *m = anon_map(mib + 3);
	char *d = mmapc_data(m);
	memset(d, 'a', (size_t)mib - 1);
	memcpy(d + mib - 1, "\nzz\n", 4);
	char *line = NULL;
	size_t n = 0;
	ck_assert_int_eq(mmapc_readline(m, &line, &n), mib);
	ck_assert_uint_ge(n, (size_t)mib + 1);
	ck_assert_int_eq(line[0], 'a');
	ck_assert_int_eq(line[mib - 2], 'a');
	ck_assert_int_eq(line[mib - 1], '\n');
	ck_assert_int_eq(line[mib], '\0');
	ck_assert_int_eq(mmapc_readline(m, &line, &n), 3);
	ck_assert_str_eq(line, "zz\n");
	free(line);
	mmapc_free(m);
}
END_TEST

#ifndef IO_ASAN
/* The VmSize of this process in bytes, from /proc/self/status. */
static long long vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char buf[256];
	long long kb = -1;
	ck_assert_ptr_nonnull(f);
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "VmSize: %lld kB", &kb) == 1)
			break;
	fclose(f);
	ck_assert_int_gt(kb, 0);
	return kb * 1024;
}

/* A child whose address space is capped just above its current size cannot realloc a 32 MiB
 * line: readline must say -ENOMEM and leave the position and the caller's buffer alone. */
START_TEST(test_io_readline_enomem_keeps_position)
{
	mmapc_map *m = anon_map(32 << 20); /* zeros: a single line with no '\n' */
	ck_assert_int_eq(mmapc_seek(m, 1, SEEK_SET), 1);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit rl;
		char *line = NULL;
		size_t n = 0;
		if (getrlimit(RLIMIT_AS, &rl) < 0)
			_exit(10);
		rlim_t old = rl.rlim_cur;
		rl.rlim_cur = (rlim_t)(vm_size() + (4 << 20));
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(11);
		int64_t r = mmapc_readline(m, &line, &n);
		rl.rlim_cur = old;
		setrlimit(RLIMIT_AS, &rl);
		int code = r != -ENOMEM         ? (r >= 0 ? 1 : 2)
		           : line || n          ? 3
		           : mmapc_tell(m) != 1 ? 4
		                                : 0;
		free(line);
		mmapc_free(m);
		_exit(code);
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died (status %#x)", status);
	ck_assert_msg(
	        WEXITSTATUS(status) == 0,
	        "child exit %d (1: succeeded, 2: other errno, 3: buffer changed, 4: pos moved)",
	        WEXITSTATUS(status));
	ck_assert_int_eq(mmapc_tell(m), 1);
	mmapc_free(m);
}
END_TEST
#endif

/* ---- readline_view ---------------------------------------------------------------------- */

START_TEST(test_io_readline_view_walks_lines_in_map)
{
	mmapc_map *m = map_of("ab\n\rc\nxyz");
	const char *d = mmapc_data(m);
	const void *p = NULL;
	ck_assert_int_eq(mmapc_readline_view(m, &p), 3);
	ck_assert_ptr_eq(p, d);
	ck_assert_int_eq(mmapc_readline_view(m, &p), 3);
	ck_assert_ptr_eq(p, d + 3);
	ck_assert_mem_eq(p, "\rc\nx", 4); /* not terminated: the map's next byte follows */
	ck_assert_int_eq(mmapc_readline_view(m, &p), 3);
	ck_assert_ptr_eq(p, d + 6);
	ck_assert_int_eq(mmapc_tell(m), 9);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_view_at_end_returns_zero)
{
	mmapc_map *m = map_of("ab");
	const void *p = NULL;
	ck_assert_int_eq(mmapc_readline_view(m, &p), 2);
	ck_assert_int_eq(mmapc_readline_view(m, &p), 0);
	ck_assert_ptr_eq(p, (char *)mmapc_data(m) + 2);
	ck_assert_int_eq(mmapc_tell(m), 2);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_readline_view_past_end_returns_zero)
{
	mmapc_map *m = map_pos_past_end();
	const void *p = NULL;
	ck_assert_int_eq(mmapc_readline_view(m, &p), 0);
	ck_assert_int_eq(mmapc_tell(m), 2 * page());
	mmapc_free(m);
}
END_TEST

/* ---- write ------------------------------------------------------------------------------ */

START_TEST(test_io_write_returns_n_and_advances)
{
	mmapc_map *m = map_of("........");
	ck_assert_int_eq(mmapc_seek(m, 2, SEEK_SET), 2);
	ck_assert_int_eq(mmapc_write(m, "abc", 3), 3);
	ck_assert_int_eq(mmapc_tell(m), 5);
	ck_assert_mem_eq(mmapc_data(m), "..abc...", 8);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_write_exactly_to_end)
{
	mmapc_map *m = map_of("....");
	ck_assert_int_eq(mmapc_seek(m, 1, SEEK_SET), 1);
	ck_assert_int_eq(mmapc_write(m, "xyz", 3), 3);
	ck_assert_int_eq(mmapc_tell(m), 4);
	ck_assert_mem_eq(mmapc_data(m), ".xyz", 4);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_write_one_too_many_writes_nothing)
{
	mmapc_map *m = map_of("....");
	ck_assert_int_eq(mmapc_seek(m, 1, SEEK_SET), 1);
	ck_assert_int_eq(mmapc_write(m, "wxyz", 4), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 1);
	ck_assert_mem_eq(mmapc_data(m), "....", 4);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_write_zero_bytes_at_end)
{
	mmapc_map *m = map_of("ab");
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_END), 2);
	ck_assert_int_eq(mmapc_write(m, "", 0), 0);
	ck_assert_int_eq(mmapc_tell(m), 2);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_write_zero_bytes_past_end_is_einval)
{
	mmapc_map *m = map_pos_past_end();
	ck_assert_int_eq(mmapc_write(m, "", 0), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 2 * page());
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_write_read_map_is_eacces)
{
	int fd = tmpfile_with("abcd", 4, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_READ);
	ck_assert_int_eq(mmapc_write(m, "x", 1), -EACCES);
	ck_assert_int_eq(mmapc_tell(m), 0);
	ck_assert_mem_eq(mmapc_data(m), "abcd", 4);
	mmapc_free(m);
	close(fd);
}
END_TEST

START_TEST(test_io_write_read_map_eacces_beats_range)
{
	int fd = tmpfile_with("abcd", 4, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_READ);
	ck_assert_int_eq(mmapc_seek(m, 3, SEEK_SET), 3);
	ck_assert_int_eq(mmapc_write(m, "xyz", 3), -EACCES);
	ck_assert_int_eq(mmapc_tell(m), 3);
	mmapc_free(m);
	close(fd);
}
END_TEST

START_TEST(test_io_write_shared_file_map_visible_in_file)
{
	int fd = tmpfile_with("abcd", 4, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_WRITE);
	char buf[4];
	ck_assert_int_eq(mmapc_write(m, "XY", 2), 2);
	ck_assert_int_eq(pread(fd, buf, 4, 0), 4);
	ck_assert_mem_eq(buf, "XYcd", 4);
	mmapc_free(m);
	close(fd);
}
END_TEST

START_TEST(test_io_write_copy_map_leaves_file_alone)
{
	int fd = tmpfile_with("abcd", 4, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_COPY);
	char buf[4];
	ck_assert_int_eq(mmapc_write(m, "XY", 2), 2);
	ck_assert_mem_eq(mmapc_data(m), "XYcd", 4);
	ck_assert_int_eq(pread(fd, buf, 4, 0), 4);
	ck_assert_mem_eq(buf, "abcd", 4);
	mmapc_free(m);
	close(fd);
}
END_TEST

/* ---- write_byte ------------------------------------------------------------------------- */

START_TEST(test_io_write_byte_writes_and_advances)
{
	mmapc_map *m = map_of("...");
	ck_assert_int_eq(mmapc_write_byte(m, 0xff), 0);
	ck_assert_int_eq(mmapc_write_byte(m, 0), 0);
	ck_assert_int_eq(mmapc_tell(m), 2);
	ck_assert_mem_eq(mmapc_data(m), "\xff\0.", 3);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_write_byte_out_of_range_is_eoverflow)
{
	mmapc_map *m = map_of("...");
	ck_assert_int_eq(mmapc_write_byte(m, 256), -EOVERFLOW);
	ck_assert_int_eq(mmapc_write_byte(m, -1), -EOVERFLOW);
	ck_assert_int_eq(mmapc_tell(m), 0);
	ck_assert_mem_eq(mmapc_data(m), "...", 3);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_write_byte_eoverflow_beats_eacces)
{
	int fd = tmpfile_with("abcd", 4, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_READ);
	ck_assert_int_eq(mmapc_write_byte(m, 256), -EOVERFLOW);
	ck_assert_int_eq(mmapc_write_byte(m, -1), -EOVERFLOW);
	mmapc_free(m);
	close(fd);
}
END_TEST

START_TEST(test_io_write_byte_read_map_is_eacces)
{
	int fd = tmpfile_with("abcd", 4, O_RDWR);
	mmapc_map *m = file_map(fd, MMAPC_ACCESS_READ);
	ck_assert_int_eq(mmapc_write_byte(m, 'x'), -EACCES);
	ck_assert_int_eq(mmapc_tell(m), 0);
	ck_assert_mem_eq(mmapc_data(m), "abcd", 4);
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_END), 4);
	ck_assert_int_eq(mmapc_write_byte(m, 'x'), -EACCES); /* before the range check */
	mmapc_free(m);
	close(fd);
}
END_TEST

START_TEST(test_io_write_byte_at_end_is_einval)
{
	mmapc_map *m = map_of("ab");
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_END), 2);
	ck_assert_int_eq(mmapc_write_byte(m, 'x'), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 2);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_write_byte_past_end_is_einval)
{
	mmapc_map *m = map_pos_past_end();
	ck_assert_int_eq(mmapc_write_byte(m, 'x'), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 2 * page());
	mmapc_free(m);
}
END_TEST

/* ---- seek / tell ------------------------------------------------------------------------ */

START_TEST(test_io_seek_set_cur_end)
{
	mmapc_map *m = map_of("0123456789");
	ck_assert_int_eq(mmapc_seek(m, 4, SEEK_SET), 4);
	ck_assert_int_eq(mmapc_tell(m), 4);
	ck_assert_int_eq(mmapc_seek(m, 3, SEEK_CUR), 7);
	ck_assert_int_eq(mmapc_seek(m, -2, SEEK_CUR), 5);
	ck_assert_int_eq(mmapc_seek(m, -3, SEEK_END), 7);
	ck_assert_int_eq(mmapc_tell(m), 7);
	ck_assert_int_eq(mmapc_read_byte(m), '7');
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_seek_to_len_allowed)
{
	mmapc_map *m = map_of("0123456789");
	ck_assert_int_eq(mmapc_seek(m, 10, SEEK_SET), 10);
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_END), 10);
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_CUR), 10);
	ck_assert_int_eq(mmapc_tell(m), 10);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_seek_past_len_is_einval)
{
	mmapc_map *m = map_of("0123456789");
	ck_assert_int_eq(mmapc_seek(m, 3, SEEK_SET), 3);
	ck_assert_int_eq(mmapc_seek(m, 11, SEEK_SET), -EINVAL);
	ck_assert_int_eq(mmapc_seek(m, 8, SEEK_CUR), -EINVAL);
	ck_assert_int_eq(mmapc_seek(m, 1, SEEK_END), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 3);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_seek_negative_is_einval)
{
	mmapc_map *m = map_of("0123456789");
	ck_assert_int_eq(mmapc_seek(m, 3, SEEK_SET), 3);
	ck_assert_int_eq(mmapc_seek(m, -1, SEEK_SET), -EINVAL);
	ck_assert_int_eq(mmapc_seek(m, -4, SEEK_CUR), -EINVAL);
	ck_assert_int_eq(mmapc_seek(m, -11, SEEK_END), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 3);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_seek_unknown_whence_is_einval)
{
	mmapc_map *m = map_of("0123456789");
	ck_assert_int_eq(mmapc_seek(m, 3, SEEK_SET), 3);
	ck_assert_int_eq(mmapc_seek(m, 0, 3), -EINVAL);
	ck_assert_int_eq(mmapc_seek(m, 0, -1), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 3);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_seek_overflow_is_einval)
{
	mmapc_map *m = map_of("0123456789");
	ck_assert_int_eq(mmapc_seek(m, 5, SEEK_SET), 5);
	ck_assert_int_eq(mmapc_seek(m, INT64_MAX, SEEK_CUR), -EINVAL);
	ck_assert_int_eq(mmapc_seek(m, INT64_MAX, SEEK_END), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 5);
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_tell_after_shrink_is_past_len)
{
	mmapc_map *m = map_pos_past_end();
	ck_assert_int_eq(mmapc_tell(m), 2 * page());
	ck_assert_int_gt(mmapc_tell(m), mmapc_len(m));
	mmapc_free(m);
}
END_TEST

START_TEST(test_io_seek_cur_past_end_is_einval)
{
	mmapc_map *m = map_pos_past_end();
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_CUR), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), 2 * page());
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_END), page());
	mmapc_free(m);
}
END_TEST

/* ---- the suite -------------------------------------------------------------------------- */

#define ADD(tc, t) tcase_add_test(tc, t)

Suite *io_suite(void)
{
	Suite *s = suite_create("io");
	TCase *tc;

	tc = tcase_new("read");
	ADD(tc, test_io_read_copies_and_advances);
	ADD(tc, test_io_read_more_than_remaining_returns_rest);
	ADD(tc, test_io_read_at_eof_returns_zero);
	ADD(tc, test_io_read_zero_bytes);
	ADD(tc, test_io_read_past_end_after_shrink_returns_zero);
	suite_add_tcase(s, tc);

	tc = tcase_new("read_view");
	ADD(tc, test_io_read_view_points_into_map_and_advances);
	ADD(tc, test_io_read_view_negative_means_all_remaining);
	ADD(tc, test_io_read_view_omit_means_all_remaining);
	ADD(tc, test_io_read_view_more_than_remaining_is_clipped);
	ADD(tc, test_io_read_view_zero_bytes);
	ADD(tc, test_io_read_view_at_eof_returns_zero);
	suite_add_tcase(s, tc);

	tc = tcase_new("read_byte");
	ADD(tc, test_io_read_byte_returns_every_value_unsigned);
	ADD(tc, test_io_read_byte_0xff_is_255);
	ADD(tc, test_io_read_byte_at_end_is_einval);
	ADD(tc, test_io_read_byte_past_end_is_einval);
	suite_add_tcase(s, tc);

	tc = tcase_new("readline");
	ADD(tc, test_io_readline_allocates_from_null);
	ADD(tc, test_io_readline_reuses_large_enough_buffer);
	ADD(tc, test_io_readline_grows_small_buffer);
	ADD(tc, test_io_readline_walks_lines_and_last_has_no_newline);
	ADD(tc, test_io_readline_cr_does_not_end_line);
	ADD(tc, test_io_readline_is_nul_terminated);
	ADD(tc, test_io_readline_at_end_returns_zero);
	ADD(tc, test_io_readline_past_end_returns_zero);
	ADD(tc, test_io_readline_null_arguments_are_einval);
	ADD(tc, test_io_readline_one_mib_line);
#ifndef IO_ASAN /* ASan aborts on a failed allocation instead of returning NULL */
	ADD(tc, test_io_readline_enomem_keeps_position);
#endif
	suite_add_tcase(s, tc);

	tc = tcase_new("readline_view");
	ADD(tc, test_io_readline_view_walks_lines_in_map);
	ADD(tc, test_io_readline_view_at_end_returns_zero);
	ADD(tc, test_io_readline_view_past_end_returns_zero);
	suite_add_tcase(s, tc);

	tc = tcase_new("write");
	ADD(tc, test_io_write_returns_n_and_advances);
	ADD(tc, test_io_write_exactly_to_end);
	ADD(tc, test_io_write_one_too_many_writes_nothing);
	ADD(tc, test_io_write_zero_bytes_at_end);
	ADD(tc, test_io_write_zero_bytes_past_end_is_einval);
	ADD(tc, test_io_write_read_map_is_eacces);
	ADD(tc, test_io_write_read_map_eacces_beats_range);
	ADD(tc, test_io_write_shared_file_map_visible_in_file);
	ADD(tc, test_io_write_copy_map_leaves_file_alone);
	suite_add_tcase(s, tc);

	tc = tcase_new("write_byte");
	ADD(tc, test_io_write_byte_writes_and_advances);
	ADD(tc, test_io_write_byte_out_of_range_is_eoverflow);
	ADD(tc, test_io_write_byte_eoverflow_beats_eacces);
	ADD(tc, test_io_write_byte_read_map_is_eacces);
	ADD(tc, test_io_write_byte_at_end_is_einval);
	ADD(tc, test_io_write_byte_past_end_is_einval);
	suite_add_tcase(s, tc);

	tc = tcase_new("seek");
	ADD(tc, test_io_seek_set_cur_end);
	ADD(tc, test_io_seek_to_len_allowed);
	ADD(tc, test_io_seek_past_len_is_einval);
	ADD(tc, test_io_seek_negative_is_einval);
	ADD(tc, test_io_seek_unknown_whence_is_einval);
	ADD(tc, test_io_seek_overflow_is_einval);
	ADD(tc, test_io_tell_after_shrink_is_past_len);
	ADD(tc, test_io_seek_cur_past_end_is_einval);
	suite_add_tcase(s, tc);

	return s;
}
