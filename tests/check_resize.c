/* check_resize.c: mmapc_resize and mmapc_size: the order of checks, file-backed and anonymous
 * growth and shrinking, the position after a resize, pins and descriptors.
 *
 * Not here: growth and shrinking seen by a forked holder (check_resize_fork.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "pattern.h"

static int64_t page(void)
{
	return (int64_t)sysconf(_SC_PAGESIZE);
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* 1 if the file's bytes [from, to) read as zero through pread. */
static int file_zero(int fd, off_t from, off_t to)
{
	uint8_t buf[4096];
	while (from < to) {
		size_t n = (size_t)(to - from) < sizeof(buf) ? (size_t)(to - from) : sizeof(buf);
		if (pread(fd, buf, n, from) != (ssize_t)n || !all_zero(buf, n))
			return 0;
		from += (off_t)n;
	}
	return 1;
}

/* An unlinked file of n bytes of pattern seed, opened with flags. */
static int pattern_file(int64_t n, unsigned seed, int flags)
{
	uint8_t *buf = malloc((size_t)n);
	ck_assert_ptr_nonnull(buf);
	fill(buf, 0, (size_t)n, seed);
	int fd = tmpfile_with(buf, (size_t)n, flags);
	free(buf);
	return fd;
}

static mmapc_map *map_of(int fd, int64_t len, int access, int64_t off,
                         const struct mmapc_options *o)
{
	mmapc_map *m = NULL;
	ck_assert_int_eq(mmapc_open(&m, fd, len, access, off, o), 0);
	return m;
}

/* Every newsize, good or bad, is refused with err, and the length does not change. */
static void assert_refused(mmapc_map *m, int err)
{
	const int64_t sizes[] = {0, -1, INT64_MIN, 1, page(), 64 * page()};
	int64_t len = mmapc_len(m);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		ck_assert_int_eq(mmapc_resize(m, sizes[i]), err);
	ck_assert_int_eq(mmapc_len(m), len);
}

static const struct mmapc_options notrackfd = {.options = MMAPC_NOTRACKFD};

/* ---- order of checks ------------------------------------------------------------------- */

START_TEST(test_resize_closed_is_ebadf_first)
{
	int fd = pattern_file(3 * page(), 1, O_RDONLY);
	mmapc_map *r = map_of(fd, 0, MMAPC_ACCESS_READ, 0, NULL);
	mmapc_map *a = anon_map(page());

	ck_assert_int_eq(mmapc_close(r), 0);
	ck_assert_int_eq(mmapc_close(a), 0);
	/* Closed beats READ access and every size. */
	assert_refused(r, -EBADF);
	assert_refused(a, -EBADF);
	assert_refused(NULL, -EBADF);
	ck_assert_int_eq(mmapc_size(a), -EBADF);
	ck_assert_int_eq(mmapc_size(NULL), -EBADF);
	mmapc_free(r);
	mmapc_free(a);
	close(fd);
}
END_TEST

START_TEST(test_resize_pinned_is_ebusy_before_all)
{
	int ro = pattern_file(3 * page(), 2, O_RDONLY);
	int rw = pattern_file(3 * page(), 2, O_RDWR);
	mmapc_map *maps[] = {
	        map_of(ro, 0, MMAPC_ACCESS_READ, 0, NULL),
	        map_of(rw, 0, MMAPC_ACCESS_COPY, 0, NULL),
	        map_of(ro, 0, MMAPC_ACCESS_READ, 0, &notrackfd),
	        map_of(rw, 0, MMAPC_ACCESS_WRITE, 0, NULL),
	        anon_map(page()),
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		ck_assert_int_eq(mmapc_acquire(maps[i], NULL, NULL), 0);
		assert_refused(maps[i], -EBUSY);
		ck_assert_int_eq(mmapc_release(maps[i]), 0);
		mmapc_free(maps[i]);
	}
	ck_assert_int_eq(file_size(rw), 3 * page());
	close(ro);
	close(rw);
}
END_TEST

START_TEST(test_resize_notrackfd_is_einval_before_access)
{
	int ro = pattern_file(3 * page(), 3, O_RDONLY);
	int rw = pattern_file(3 * page(), 3, O_RDWR);
	mmapc_map *maps[] = {
	        /* READ and COPY would say -EACCES if access came first. */
	        map_of(ro, 0, MMAPC_ACCESS_READ, 0, &notrackfd),
	        map_of(rw, 0, MMAPC_ACCESS_COPY, 0, &notrackfd),
	        map_of(rw, 0, MMAPC_ACCESS_WRITE, 0, &notrackfd),
	        map_of(-1, page(), MMAPC_ACCESS_DEFAULT, 0, &notrackfd),
	};

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		assert_refused(maps[i], -EINVAL);
		ck_assert_int_eq(mmapc_size(maps[i]), -EBADF); /* as in Python */
		mmapc_free(maps[i]);
	}
	ck_assert_int_eq(file_size(rw), 3 * page());
	close(ro);
	close(rw);
}
END_TEST

START_TEST(test_resize_read_and_copy_maps_are_eacces)
{
	int ro = pattern_file(3 * page(), 4, O_RDONLY);
	int rw = pattern_file(3 * page(), 4, O_RDWR);
	struct mmapc_options rprot = {.prot = PROT_READ};
	mmapc_map *maps[] = {
	        map_of(ro, 0, MMAPC_ACCESS_READ, 0, NULL),
	        /* ACCESS_DEFAULT with PROT_READ is recorded as a READ map, as in Python. */
	        map_of(rw, 0, MMAPC_ACCESS_DEFAULT, 0, &rprot),
	        map_of(rw, 0, MMAPC_ACCESS_COPY, 0, NULL),
	        map_of(-1, page(), MMAPC_ACCESS_COPY, 0, NULL),
	};

	ck_assert_int_eq(mmapc_access(maps[1]), MMAPC_ACCESS_READ);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		assert_refused(maps[i], -EACCES); /* access beats a bad size */
		mmapc_free(maps[i]);
	}
	ck_assert_int_eq(file_size(rw), 3 * page());
	close(ro);
	close(rw);
}
END_TEST

/* Python truncates the file to offset + 0 before mremap fails; libmmapc changes nothing. */
START_TEST(test_resize_zero_or_negative_changes_nothing)
{
	const int64_t fsize = 3 * page(), bad[] = {0, -1, -page(), INT64_MIN};
	int rw = pattern_file(fsize, 7, O_RDWR);
	mmapc_map *w = map_of(rw, 0, MMAPC_ACCESS_WRITE, 0, NULL);
	mmapc_map *win = map_of(rw, 100, MMAPC_ACCESS_WRITE, page(), NULL);
	mmapc_map *a = anon_map(2 * page());
	fill(data(a), 0, 2 * page(), 7);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(mmapc_resize(w, bad[i]), -EINVAL);
		ck_assert_int_eq(mmapc_resize(win, bad[i]), -EINVAL);
		ck_assert_int_eq(mmapc_resize(a, bad[i]), -EINVAL);
	}
	ck_assert_int_eq(file_size(rw), fsize);
	ck_assert_int_eq(mmapc_size(w), fsize);
	ck_assert_int_eq(mmapc_len(w), fsize);
	ck_assert_int_eq(mmapc_len(win), 100);
	ck_assert_int_eq(mmapc_len(a), 2 * page());
	ck_assert_int_eq(mmapc_size(a), 2 * page());
	ck_assert(holds(data(w), 0, (size_t)fsize, 7));
	ck_assert(holds(data(a), 0, 2 * page(), 7));
	uint8_t last;
	ck_assert_int_eq(pread(rw, &last, 1, fsize - 1), 1);
	ck_assert_int_eq(last, pat((size_t)fsize - 1, 7));
	/* The map is still usable. */
	ck_assert_int_eq(mmapc_resize(a, 3 * page()), 0);
	ck_assert(holds(data(a), 0, 2 * page(), 7));
	mmapc_free(w);
	mmapc_free(win);
	mmapc_free(a);
	close(rw);
}
END_TEST

/* ---- file-backed maps ------------------------------------------------------------------ */

START_TEST(test_resize_file_grow)
{
	int fd = pattern_file(100, 8, O_RDWR);
	mmapc_map *m = map_of(fd, 0, MMAPC_ACCESS_WRITE, 0, NULL);

	ck_assert_int_eq(mmapc_resize(m, 10000), 0);
	ck_assert_int_eq(file_size(fd), 10000);
	ck_assert_int_eq(mmapc_len(m), 10000);
	ck_assert_int_eq(mmapc_size(m), 10000);
	uint8_t *d = data(m);
	ck_assert(holds(d, 0, 100, 8));
	ck_assert(all_zero(d + 100, 10000 - 100));
	ck_assert(file_zero(fd, 100, 10000));
	/* Writes into the grown part reach the file. */
	ck_assert_int_eq(mmapc_seek(m, 5000, SEEK_SET), 5000);
	ck_assert_int_eq(mmapc_write(m, "XYZ", 3), 3);
	d[9999] = 'E';
	char buf[3];
	ck_assert_int_eq(pread(fd, buf, 3, 5000), 3);
	ck_assert_mem_eq(buf, "XYZ", 3);
	ck_assert_int_eq(pread(fd, buf, 1, 9999), 1);
	ck_assert_int_eq(buf[0], 'E');
	mmapc_free(m);
	close(fd);
}
END_TEST

START_TEST(test_resize_file_shrink)
{
	int fd = pattern_file(3 * page(), 9, O_RDWR);
	mmapc_map *m = map_of(fd, 0, MMAPC_ACCESS_DEFAULT, 0, NULL);
	uint8_t buf[100];

	ck_assert_int_eq(mmapc_seek(m, 40, SEEK_SET), 40);
	ck_assert_int_eq(mmapc_resize(m, 50), 0);
	ck_assert_int_eq(file_size(fd), 50);
	ck_assert_int_eq(mmapc_len(m), 50);
	ck_assert_int_eq(mmapc_size(m), 50);
	ck_assert(holds(data(m), 0, 50, 9));
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), 50);
	ck_assert(holds(buf, 0, 50, 9));
	/* The position stays where it was: the rest of the map is read from there. */
	ck_assert_int_eq(mmapc_tell(m), 40);
	ck_assert_int_eq(mmapc_read(m, buf, sizeof(buf)), 10);
	for (size_t i = 0; i < 10; i++)
		ck_assert_int_eq(buf[i], pat(40 + i, 9));
	mmapc_free(m);
	close(fd);
}
END_TEST

/* The file becomes offset + newsize even for a window map; what was past it is gone. */
START_TEST(test_resize_file_window)
{
	int fd = pattern_file(3 * page(), 10, O_RDWR);
	mmapc_map *m = map_of(fd, 100, MMAPC_ACCESS_WRITE, page(), NULL);

	ck_assert_int_eq(mmapc_size(m), 3 * page()); /* the whole file, not the window */
	ck_assert_int_eq(mmapc_resize(m, 60), 0);
	ck_assert_int_eq(file_size(fd), page() + 60);
	ck_assert_int_eq(mmapc_len(m), 60);
	ck_assert_int_eq(mmapc_size(m), page() + 60);
	ck_assert_int_eq(mmapc_offset(m), page());
	uint8_t *d = data(m);
	for (size_t i = 0; i < 60; i++)
		ck_assert_int_eq(d[i], pat((size_t)page() + i, 10));
	/* Growing again: the truncated tail comes back as zeros. */
	ck_assert_int_eq(mmapc_resize(m, 2 * page()), 0);
	ck_assert_int_eq(file_size(fd), 3 * page());
	d = data(m);
	for (size_t i = 0; i < 60; i++)
		ck_assert_int_eq(d[i], pat((size_t)page() + i, 10));
	ck_assert(all_zero(d + 60, 2 * page() - 60));
	ck_assert(file_zero(fd, page() + 60, 3 * page()));
	/* mmapc_size shows a change made outside the map at once. */
	ck_assert_int_eq(ftruncate(fd, 5 * page()), 0);
	ck_assert_int_eq(mmapc_size(m), 5 * page());
	mmapc_free(m);
	close(fd);
}
END_TEST

/* Python behaviour, kept (spec §15): a DEFAULT + MAP_PRIVATE map's resize changes the file. */
START_TEST(test_resize_private_default_changes_file)
{
	int fd = pattern_file(2 * page(), 11, O_RDWR);
	struct mmapc_options priv = {.flags = MAP_PRIVATE};
	mmapc_map *m = map_of(fd, 0, MMAPC_ACCESS_DEFAULT, 0, &priv);

	ck_assert_int_eq(mmapc_resize(m, 5 * page()), 0);
	ck_assert_int_eq(file_size(fd), 5 * page());
	ck_assert_int_eq(mmapc_len(m), 5 * page());
	ck_assert(holds(data(m), 0, 2 * page(), 11));
	ck_assert_int_eq(mmapc_resize(m, 123), 0);
	ck_assert_int_eq(file_size(fd), 123);
	ck_assert_int_eq(mmapc_size(m), 123);
	ck_assert(holds(data(m), 0, 123, 11));
	mmapc_free(m);
	close(fd);
}
END_TEST

/* ---- the position ---------------------------------------------------------------------- */

START_TEST(test_resize_shrink_leaves_position_past_end)
{
	const int64_t big = 2 * page(), small = page();
	mmapc_map *m = anon_map(big);
	memcpy(data(m) + 100, "needle", 6);

	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_END), big);
	ck_assert_int_eq(mmapc_resize(m, small), 0);
	ck_assert_int_eq(mmapc_tell(m), big);

	char buf[16], *line = NULL;
	size_t n = 0;
	const void *v;
	ck_assert_int_eq(mmapc_read(m, buf, sizeof(buf)), 0);
	ck_assert_int_eq(mmapc_readline(m, &line, &n), 0);
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(line[0], '\0');
	free(line);
	ck_assert_int_eq(mmapc_read_view(m, MMAPC_OMIT, &v), 0);
	ck_assert_int_eq(mmapc_readline_view(m, &v), 0);
	ck_assert_int_eq(mmapc_read_byte(m), -EINVAL);
	ck_assert_int_eq(mmapc_write(m, "x", 1), -EINVAL);
	ck_assert_int_eq(mmapc_write(m, "", 0), -EINVAL);
	ck_assert_int_eq(mmapc_write_byte(m, 'x'), -EINVAL);
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_CUR), -EINVAL);
	ck_assert_int_eq(mmapc_tell(m), big);
	/* find's default start is the position, clamped to len. */
	ck_assert_int_eq(mmapc_find(m, "", 0, MMAPC_OMIT, MMAPC_OMIT), small);
	ck_assert_int_eq(mmapc_find(m, "needle", 6, MMAPC_OMIT, MMAPC_OMIT), -ENOENT);
	ck_assert_int_eq(mmapc_find(m, "needle", 6, 0, MMAPC_OMIT), 100);
	ck_assert_int_eq(mmapc_rfind(m, "", 0, MMAPC_OMIT, MMAPC_OMIT), small);
	ck_assert_int_eq(mmapc_tell(m), big);

	/* Growing makes the position valid again, still unchanged. */
	ck_assert_int_eq(mmapc_resize(m, 3 * page()), 0);
	ck_assert_int_eq(mmapc_tell(m), big);
	ck_assert_int_eq(mmapc_seek(m, 0, SEEK_CUR), big);
	ck_assert_int_eq(mmapc_write_byte(m, 'q'), 0);
	ck_assert_int_eq(data(m)[big], 'q');
	mmapc_free(m);
}
END_TEST

/* ---- anonymous maps -------------------------------------------------------------------- */

START_TEST(test_resize_anon_grow_zero_fills)
{
	mmapc_map *m = anon_map(100);
	fill(data(m), 0, 100, 13);

	ck_assert_int_eq(mmapc_resize(m, 3 * page() + 5), 0);
	ck_assert_int_eq(mmapc_len(m), 3 * page() + 5);
	ck_assert_int_eq(mmapc_size(m), 3 * page() + 5);
	uint8_t *d = data(m);
	ck_assert(holds(d, 0, 100, 13));
	ck_assert(all_zero(d + 100, 3 * page() + 5 - 100));
	d[3 * page() + 4] = 0xee;
	ck_assert_int_eq(mmapc_getitem(m, -1), 0xee);
	mmapc_free(m);
}
END_TEST

/* The object is sealed against shrinking: the map shrinks, mmapc_size does not (documented).
 * Growing again keeps the prefix; past the object's old size the growth is zero. */
START_TEST(test_resize_anon_shrink_then_grow)
{
	const int64_t big = 4 * page();
	mmapc_map *m = anon_map(big);
	fill(data(m), 0, (size_t)big, 14);

	ck_assert_int_eq(mmapc_resize(m, page() + 1), 0);
	ck_assert_int_eq(mmapc_len(m), page() + 1);
	ck_assert_int_eq(mmapc_size(m), big);
	ck_assert(holds(data(m), 0, page() + 1, 14));
	ck_assert_int_eq(mmapc_getitem(m, page() + 1), -ERANGE);
	ck_assert_int_eq(mmapc_resize(m, 10), 0);
	ck_assert_int_eq(mmapc_size(m), big);
	ck_assert_int_eq(mmapc_resize(m, 2 * big), 0);
	ck_assert_int_eq(mmapc_len(m), 2 * big);
	ck_assert_int_eq(mmapc_size(m), 2 * big);
	ck_assert(holds(data(m), 0, 10, 14));
	ck_assert(all_zero(data(m) + big, (size_t)big));
	mmapc_free(m);
}
END_TEST

/* Even a holder using the descriptor itself cannot shrink the memory object. The memfd is the
 * lowest free descriptor when the map is opened. */
START_TEST(test_resize_anon_object_sealed_against_shrink)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	mmapc_map *m = anon_map(2 * page());
	char path[64], target[PATH_MAX] = "";
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ck_assert_int_gt(readlink(path, target, sizeof(target) - 1), 0);
	ck_assert_msg(strncmp(target, "/memfd:", 7) == 0, "descriptor %d is %s", fd, target);

	ck_assert_int_eq(mmapc_resize(m, page()), 0);
	ck_assert_int_ne(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK, 0);
	int tr = ftruncate(fd, page()), err = errno;
	ck_assert_int_eq(tr, -1);
	ck_assert_int_eq(err, EPERM);
	ck_assert_int_eq(mmapc_size(m), 2 * page());
	mmapc_free(m);
}
END_TEST

START_TEST(test_resize_anon_many_doublings)
{
	mmapc_map *m = anon_map(page());
	unsigned step = 1;
	data(m)[0] = 1;

	for (int64_t len = page(); len < 64 * MIB; len *= 2, step++) {
		ck_assert_int_eq(mmapc_resize(m, 2 * len), 0);
		ck_assert_int_eq(mmapc_len(m), 2 * len);
		ck_assert_int_eq(mmapc_size(m), 2 * len);
		uint8_t *d = data(m);
		/* Every earlier step's markers survive; the new half is zero. */
		ck_assert_int_eq(d[0], 1);
		for (int64_t at = page(), s = 2; at < len; at *= 2, s++) {
			ck_assert_int_eq(d[at], s);
			ck_assert_int_eq(d[2 * at - 1], s);
		}
		ck_assert(all_zero(d + len, (size_t)len));
		d[len] = (uint8_t)(step + 1);
		d[2 * len - 1] = (uint8_t)(step + 1);
	}
	ck_assert_int_eq(mmapc_len(m), 64 * MIB);
	mmapc_free(m);
}
END_TEST

/* ftruncate of a memfd succeeds even for 2**62, so the failure comes from mremap. */
START_TEST(test_resize_huge_growth_fails_cleanly)
{
	mmapc_map *m = anon_map(page());
	fill(data(m), 0, page(), 17);

	/* Valgrind's own mremap refuses the size with EINVAL before the kernel sees it. */
	int r = mmapc_resize(m, INT64_C(1) << 62);
	if (!getenv("MMAPC_TEST_VALGRIND"))
		ck_assert_int_eq(r, -ENOMEM);
	ck_assert_int_lt(r, 0);
	ck_assert_int_eq(mmapc_len(m), page());
	/* Nothing half-done: the shared memory object did not grow either. */
	ck_assert_int_eq(mmapc_size(m), page());
	ck_assert(holds(data(m), 0, page(), 17));
	/* Still a working map. */
	ck_assert_int_eq(mmapc_resize(m, 2 * page()), 0);
	ck_assert(holds(data(m), 0, page(), 17));
	ck_assert_int_eq(mmapc_setitem(m, -1, 1), 0);
	mmapc_free(m);
}
END_TEST

/* ---- pins and descriptors -------------------------------------------------------------- */

START_TEST(test_resize_after_release_works)
{
	mmapc_map *m = anon_map(page());
	void *p = NULL;
	size_t len = 0;

	ck_assert_int_eq(mmapc_release(m), -EINVAL);
	ck_assert_int_eq(mmapc_acquire(m, &p, &len), 0);
	ck_assert_int_eq(mmapc_acquire(m, NULL, NULL), 0);
	ck_assert_int_eq(mmapc_resize(m, 2 * page()), -EBUSY);
	/* The pinned pointer and length stay valid. */
	ck_assert_int_eq(len, page());
	ck_assert_ptr_eq(p, mmapc_data(m));
	((uint8_t *)p)[page() - 1] = 0x5a;
	ck_assert_int_eq(mmapc_release(m), 0);
	ck_assert_int_eq(mmapc_resize(m, 2 * page()), -EBUSY); /* pins nest */
	ck_assert_int_eq(mmapc_release(m), 0);
	ck_assert_int_eq(mmapc_resize(m, 2 * page()), 0);
	ck_assert_int_eq(mmapc_len(m), 2 * page());
	ck_assert_int_eq(data(m)[page() - 1], 0x5a);
	ck_assert_int_eq(mmapc_release(m), -EINVAL);
	mmapc_free(m);
}
END_TEST

START_TEST(test_resize_creates_no_descriptor)
{
	int fd = pattern_file(page(), 20, O_RDWR);
	mmapc_map *f = map_of(fd, 0, MMAPC_ACCESS_WRITE, 0, NULL);
	mmapc_map *a = anon_map(page());
	int before = fd_count();

	ck_assert_int_eq(mmapc_resize(a, 4 * page()), 0);
	ck_assert_int_eq(mmapc_resize(a, page()), 0);
	ck_assert_int_eq(mmapc_resize(a, 8 * page()), 0);
	ck_assert_int_eq(mmapc_resize(f, 4 * page()), 0);
	ck_assert_int_eq(mmapc_resize(f, 10), 0);
	ck_assert_int_eq(mmapc_resize(f, 0), -EINVAL);
	ck_assert_int_eq(fd_count(), before);
	mmapc_free(f);
	mmapc_free(a);
	ck_assert_int_eq(fd_count(), before - 2);
	close(fd);
}
END_TEST

/* madvise on part of a map splits its kernel mapping, and mremap cannot grow a range that
 * spans two (found by fuzz_map): a shared map still grows, by mapping its descriptor afresh,
 * with its bytes; a private one cannot be remapped so and keeps Python's EFAULT, unchanged. */
START_TEST(test_resize_grows_after_madvise_split_the_mapping)
{
	mmapc_map *m = anon_map(8192);
	ck_assert_int_eq(mmapc_setitem(m, 8191, 'z'), 0);
	ck_assert_int_eq(mmapc_madvise(m, MADV_SEQUENTIAL, 0, 4096), 0);
	ck_assert_int_eq(mmapc_resize(m, 16384), 0);
	ck_assert_int_eq(mmapc_len(m), 16384);
	ck_assert_int_eq(mmapc_getitem(m, 8191), 'z');
	ck_assert_int_eq(mmapc_setitem(m, 16383, 'e'), 0);
	mmapc_free(m);

	char path[] = "/tmp/mmapc-split-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, 8192), 0);
	ck_assert_int_eq(mmapc_open(&m, fd, 8192, MMAPC_ACCESS_WRITE, 0, NULL), 0);
	ck_assert_int_eq(mmapc_madvise(m, MADV_RANDOM, 4096, 4096), 0);
	ck_assert_int_eq(mmapc_resize(m, 12288), 0);
	ck_assert_int_eq(file_size(fd), 12288);
	mmapc_free(m);

	/* An anonymous map's offset is only recorded: its memory starts at the memfd's start,
	 * and the fresh mapping must too (found by fuzz_map after the first fix). */
	ck_assert_int_eq(mmapc_open(&m, -1, 8192, MMAPC_ACCESS_DEFAULT, 4096, NULL), 0);
	ck_assert_int_eq(mmapc_setitem(m, 100, 'o'), 0);
	ck_assert_int_eq(mmapc_madvise(m, MADV_SEQUENTIAL, 0, 4096), 0);
	ck_assert_int_eq(mmapc_resize(m, 16384), 0);
	ck_assert_int_eq(mmapc_getitem(m, 100), 'o');
	mmapc_free(m);

	struct mmapc_options priv = {.flags = MAP_PRIVATE};
	ck_assert_int_eq(mmapc_open(&m, -1, 8192, MMAPC_ACCESS_DEFAULT, 0, &priv), 0);
	ck_assert_int_eq(mmapc_madvise(m, MADV_SEQUENTIAL, 0, 4096), 0);
	int r = mmapc_resize(m, 16384);
	ck_assert(r == -EFAULT || (getenv("MMAPC_TEST_VALGRIND") && r == -ENOMEM));
	ck_assert_int_eq(mmapc_len(m), 8192);
	mmapc_free(m);
	close(fd);
}
END_TEST

Suite *resize_suite(void)
{
	Suite *s = suite_create("resize");
	TCase *tc = tcase_new("order");
	tcase_add_test(tc, test_resize_closed_is_ebadf_first);
	tcase_add_test(tc, test_resize_pinned_is_ebusy_before_all);
	tcase_add_test(tc, test_resize_notrackfd_is_einval_before_access);
	tcase_add_test(tc, test_resize_read_and_copy_maps_are_eacces);
	tcase_add_test(tc, test_resize_zero_or_negative_changes_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_new("file");
	tcase_add_test(tc, test_resize_file_grow);
	tcase_add_test(tc, test_resize_file_shrink);
	tcase_add_test(tc, test_resize_file_window);
	tcase_add_test(tc, test_resize_private_default_changes_file);
	tcase_add_test(tc, test_resize_shrink_leaves_position_past_end);
	suite_add_tcase(s, tc);

	tc = tcase_new("anonymous");
	tcase_add_test(tc, test_resize_anon_grow_zero_fills);
	tcase_add_test(tc, test_resize_anon_shrink_then_grow);
	tcase_add_test(tc, test_resize_anon_object_sealed_against_shrink);
	tcase_add_test(tc, test_resize_anon_many_doublings);
	tcase_add_test(tc, test_resize_huge_growth_fails_cleanly);
	tcase_add_test(tc, test_resize_after_release_works);
	tcase_add_test(tc, test_resize_creates_no_descriptor);
	tcase_add_test(tc, test_resize_grows_after_madvise_split_the_mapping);
	suite_add_tcase(s, tc);

	return s;
}
