/* helpers.c: the shared test fixtures and file helpers declared in helpers.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"

int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	/* ".", ".." and the directory's own descriptor are not the process's. */
	return n - 3;
}

static int fds_before;

static void fd_setup(void)
{
	fds_before = fd_count();
}

static void fd_teardown(void)
{
	ck_assert_msg(fd_count() == fds_before, "the test leaked %d descriptor(s)",
		      fd_count() - fds_before);
}

TCase *tcase_new(const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, fd_setup, fd_teardown);
	tcase_set_timeout(tc, getenv("MMAPC_TEST_VALGRIND") ? 600 : 30);
	return tc;
}

int tmpfile_named(const void *data, size_t n, int flags, char *path)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(path, PATH_MAX, "%s/mmapc-test-XXXXXX", dir);
	int fd = mkostemp(path, O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
	fd = open(path, flags | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

int tmpfile_with(const void *data, size_t n, int flags)
{
	char path[PATH_MAX];
	int fd = tmpfile_named(data, n, flags, path);
	unlink(path);
	return fd;
}

long long file_size(int fd)
{
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	return (long long)st.st_size;
}

mmapc_map *anon_map(int64_t n)
{
	mmapc_map *m = NULL;
	ck_assert_int_eq(mmapc_open(&m, -1, n, MMAPC_ACCESS_DEFAULT, 0, NULL), 0);
	ck_assert_ptr_nonnull(m);
	return m;
}
