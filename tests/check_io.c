/* check_io.c: the file-like and memory calls of a map: read, read_view, read_byte, readline,
 * readline_view, write, write_byte, seek/tell, move, flush, madvise, len and size, each
 * checked against python-mmap-semantics (sections 4-8, 10, 11, 16) and mmapc.h, errno by
 * errno and in the spec's order of checks.
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

#if defined(__SANITIZE_ADDRESS__)
#define IO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IO_ASAN 1
#endif
#endif

static int64_t page(void)
{
	return (int64_t)sysconf(_SC_PAGESIZE);
}

/* An anonymous map holding exactly the bytes of s, positioned at 0. */
static mmapc_map *map_of(const char *s)
{
	size_t n = strlen(s);
	mmapc_map *m = anon_map((int64_t)n);
	memcpy(mmapc_data(m), s, n);
	return m;
}

/* A map of the whole file fd with the given access. */
static mmapc_map *file_map(int fd, int access)
{
	mmapc_map *m = NULL;
	ck_assert_int_eq(mmapc_open(&m, fd, 0, access, 0, NULL), 0);
	return m;
}

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

/* Every call of this suite on a closed (or NULL) map is -EBADF, even with bad arguments. */
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
