/* check_open.c: mmapc_open's checks, in the order mmapc.h documents them, and what a map
 * records: access, access modes on files, descriptors, and a close that races another thread.
 *
 * Failing opens are one table (open_case) run as a loop test: each row names its case, and
 * each goes through open_err, which checks that *ret is untouched and the file unchanged, so
 * those rules hold on every error path.
 *
 * Not here: close, closed maps and pins (check_close.c); what each call does on an open map
 * (check_io.c, check_find.c, check_slice.c, check_resize.c); Python's documented examples
 * (check_examples.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

#define SENTINEL ((mmapc_map *)(uintptr_t)0x5e17)
#define DEFAULT_PROT (PROT_READ | PROT_WRITE)

static const char CONTENT[] = "abcdzzghijklmnop"; /* move(0, 4, 2) copies "zz" to 0 */
#define CONTENT_LEN (sizeof(CONTENT) - 1)

static int64_t page(void)
{
	return sysconf(_SC_PAGESIZE);
}

/* Opens a map that should fail and returns the errno; *ret must stay the sentinel. A map that
 * opens anyway is freed and 0 returned, for the caller's assert to report. */
static int open_err(int fd, int64_t length, int access, int64_t offset,
                    const struct mmapc_options *o)
{
	mmapc_map *m = SENTINEL;
	int r = mmapc_open(&m, fd, length, access, offset, o);
	if (r == 0) {
		mmapc_free(m);
		return 0;
	}
	ck_assert_ptr_eq(m, SENTINEL);
	return r;
}

/* A temporary file holding CONTENT, and a whole-file map of it. */
static mmapc_map *content_map(int access, const struct mmapc_options *o, int *fd)
{
	*fd = tmpfile_with(CONTENT, CONTENT_LEN, O_RDWR);
	return open_ok(*fd, 0, access, 0, o);
}

static void free_and_close(mmapc_map *m, int fd)
{
	mmapc_free(m);
	close(fd);
}

static void assert_file_is_content(int fd)
{
	char got[CONTENT_LEN + 1];
	ck_assert_int_eq(pread(fd, got, sizeof(got), 0), CONTENT_LEN);
	ck_assert_mem_eq(got, CONTENT, CONTENT_LEN);
}

static char file_byte(int fd, off_t at)
{
	char c = 0;
	ck_assert_int_eq(pread(fd, &c, 1, at), 1);
	return c;
}

/* A file of three pages holding 'a', 'b' and 'c' page by page, opened with flags. */
static int three_pages(int flags)
{
	size_t ps = (size_t)page();
	char *buf = malloc(3 * ps);
	ck_assert_ptr_nonnull(buf);
	for (int i = 0; i < 3; i++)
		memset(buf + (size_t)i * ps, 'a' + i, ps);
	int fd = tmpfile_with(buf, 3 * ps, flags);
	free(buf);
	return fd;
}

/* ---- the checks of mmapc_open, in order --------------------------------------------------- */

START_TEST(test_open_null_ret_is_einval)
{
	ck_assert_int_eq(mmapc_open(NULL, -1, 10, MMAPC_ACCESS_DEFAULT, 0, NULL), -EINVAL);
	/* It is the first check: it beats a negative length. */
	ck_assert_int_eq(mmapc_open(NULL, -1, -1, MMAPC_ACCESS_DEFAULT, 0, NULL), -EINVAL);
}
END_TEST

/* The descriptors an open_case can be given. RW and RO are three-page files. */
enum fd_kind { ANON, RW, RO, EMPTY, EMPTY_RO, DEVZERO, PIPE_R, PIPE_W, BAD2, BAD999 };

enum { AD = MMAPC_ACCESS_DEFAULT, AR = MMAPC_ACCESS_READ, AW = MMAPC_ACCESS_WRITE };

struct open_case {
	const char *name;
	enum fd_kind kind;
	int64_t length, offset;
	int access, flags, prot;
	unsigned int options;
	int reserved, err; /* reserved: 1 + the index of a reserved word to set, or 0 */
};

#define N_OPEN_CASES 54

/* Case i of the failing opens, grouped in mmapc.h's order of checks; a case that names two
 * faults shows which check comes first. Built at run time, since offsets are in pages. */
static struct open_case open_case(int i)
{
	const int64_t P = page();
	const int C = MMAPC_ACCESS_COPY;
	const struct open_case cases[] = {
	        {"reserved[0] set", ANON, 10, 0, AD, 0, 0, 0, 1, -EINVAL},
	        {"reserved[3] set", ANON, 10, 0, AD, 0, 0, 0, 4, -EINVAL},
	        {"unknown option bit 4", ANON, 10, 0, AD, 0, 0, 1u << 4, 0, -EINVAL},
	        {"NOCREATE without a tagname", ANON, 10, 0, AD, 0, 0, MMAPC_NOCREATE, 0, -EINVAL},
	        {"EXCL without a tagname", RW, 0, 0, AD, 0, 0, MMAPC_EXCL, 0, -EINVAL},
	        {"EXCL beats length < 0", ANON, -1, 0, AD, 0, 0, MMAPC_EXCL, 0, -EINVAL},
	        {"unknown option bit 31", RW, 0, 0, AD, 0, 0, MMAPC_NOTRACKFD | 1u << 31, 0,
	         -EINVAL},
	        {"reserved word beats length < 0", ANON, -1, -1, AD, 0, 0, 0, 2, -EINVAL},
	        {"option bit beats length < 0", ANON, -1, 0, AD, 0, 0, 1u << 5, 0, -EINVAL},
	        /* -EOVERFLOW */
	        {"length -1, anonymous", ANON, -1, 0, AD, 0, 0, 0, 0, -EOVERFLOW},
	        {"length INT64_MIN + 1", ANON, INT64_MIN + 1, 0, AD, 0, 0, 0, 0, -EOVERFLOW},
	        {"offset -1, anonymous", ANON, 10, -1, AD, 0, 0, 0, 0, -EOVERFLOW},
	        {"offset -page, file", RW, 0, -P, AD, 0, 0, 0, 0, -EOVERFLOW},
	        {"length < 0 beats access 4", ANON, -1, 0, 4, 0, 0, 0, 0, -EOVERFLOW},
	        {"offset < 0 beats access -1", ANON, 10, -1, -1, 0, 0, 0, 0, -EOVERFLOW},
	        {"length < 0 beats MAP_FIXED", ANON, -1, 0, AD, MAP_SHARED | MAP_FIXED, 0, 0, 0,
	         -EOVERFLOW},
	        {"length < 0 beats fileno 999", BAD999, -1, 0, AD, 0, 0, 0, 0, -EOVERFLOW},
	        /* access, flags and prot */
	        {"READ + MAP_PRIVATE", ANON, 10, 0, AR, MAP_PRIVATE, 0, 0, 0, -EINVAL},
	        {"WRITE + MAP_PRIVATE", ANON, 10, 0, AW, MAP_PRIVATE, 0, 0, 0, -EINVAL},
	        {"WRITE + MAP_POPULATE", ANON, 10, 0, AW, MAP_SHARED | MAP_POPULATE, 0, 0, 0,
	         -EINVAL},
	        {"WRITE + PROT_READ", ANON, 10, 0, AW, 0, PROT_READ, 0, 0, -EINVAL},
	        {"COPY + PROT_WRITE", ANON, 10, 0, C, 0, PROT_WRITE, 0, 0, -EINVAL},
	        {"READ + PROT_READ (Python quirk)", ANON, 10, 0, AR, 0, PROT_READ, 0, 0, -EINVAL},
	        {"access 4", ANON, 10, 0, 4, 0, 0, 0, 0, -EINVAL},
	        {"access -1", ANON, 10, 0, -1, 0, 0, 0, 0, -EINVAL},
	        {"access 4 beats fileno 999", BAD999, 10, 0, 4, 0, 0, 0, 0, -EINVAL},
	        {"MAP_FIXED", ANON, 10, 0, AD, MAP_SHARED | MAP_FIXED, 0, 0, 0, -EINVAL},
	        {"MAP_SHARED_VALIDATE", ANON, 10, 0, AD, MAP_SHARED_VALIDATE, 0, 0, 0, -EINVAL},
	        {"MAP_GROWSDOWN", ANON, 10, 0, AD, MAP_SHARED | MAP_GROWSDOWN, 0, 0, 0, -EINVAL},
	        {"MAP_ANONYMOUS", ANON, 10, 0, AD, MAP_PRIVATE | MAP_ANONYMOUS, 0, 0, 0, -EINVAL},
	        /* the regular-file rules (the file is never extended: checked for every case) */
	        {"empty file, length 0", EMPTY, 0, 0, AD, 0, 0, 0, 0, -EINVAL},
	        {"offset at end, length 0", RW, 0, 3 * P, AD, 0, 0, 0, 0, -EINVAL},
	        {"length past end", RW, 3 * P + 1, 0, AD, 0, 0, 0, 0, -EINVAL},
	        {"offset + length past end", RW, 2 * P + 1, P, AW, 0, 0, 0, 0, -EINVAL},
	        {"offset past end, length 1", RW, 1, 4 * P, AD, 0, 0, 0, 0, -EINVAL},
	        {"empty O_RDONLY file beats EACCES", EMPTY_RO, 0, 0, AD, 0, 0, 0, 0, -EINVAL},
	        {"length past end beats EACCES", RO, 3 * P + 1, 0, AW, 0, 0, 0, 0, -EINVAL},
	        /* -EBADF */
	        {"fileno -2", BAD2, 10, 0, AD, 0, 0, 0, 0, -EBADF},
	        {"fileno 999", BAD999, 10, 0, AD, 0, 0, 0, 0, -EBADF},
	        {"fileno 999, NOTRACKFD", BAD999, 10, 0, AR, 0, 0, MMAPC_NOTRACKFD, 0, -EBADF},
	        {"fileno 999 beats length 0", BAD999, 0, 0, AD, 0, 0, 0, 0, -EBADF},
	        /* length 0 of a non-file, unaligned offsets */
	        {"anonymous length 0", ANON, 0, 0, AD, 0, 0, 0, 0, -EINVAL},
	        {"/dev/zero length 0", DEVZERO, 0, 0, AD, 0, 0, 0, 0, -EINVAL},
	        {"offset 1, file", RW, 0, 1, AD, 0, 0, 0, 0, -EINVAL},
	        {"offset page + 1, file", RW, 10, P + 1, AR, 0, 0, 0, 0, -EINVAL},
	        {"offset 1, anonymous", ANON, 10, 1, AD, 0, 0, 0, 0, -EINVAL},
	        {"unaligned offset beats EACCES", RO, 10, 1, AD, 0, 0, 0, 0, -EINVAL},
	        /* -EACCES, -ENODEV, -ENOMEM */
	        {"O_RDONLY + DEFAULT", RO, 0, 0, AD, 0, 0, 0, 0, -EACCES},
	        {"O_RDONLY + WRITE", RO, 0, 0, AW, 0, 0, 0, 0, -EACCES},
	        {"pipe read end", PIPE_R, 10, 0, AD, 0, 0, 0, 0, -EACCES},
	        {"pipe write end", PIPE_W, 10, 0, AW, 0, 0, 0, 0, -EACCES},
	        {"pipe read end, READ", PIPE_R, 10, 0, AR, 0, 0, 0, 0, -ENODEV},
	        {"huge anonymous", ANON, 1LL << 62, 0, AD, 0, 0, 0, 0, -ENOMEM},
	        {"huge anonymous, NOTRACKFD", ANON, 1LL << 62, 0, AD, 0, 0, MMAPC_NOTRACKFD, 0,
	         -ENOMEM},
	};
	ck_assert_uint_eq(sizeof(cases) / sizeof(cases[0]), N_OPEN_CASES);
	return cases[i];
}

/* Opens a descriptor of the given kind (-1 for ANON); a pipe's other end goes to *other. */
static int kind_fd(enum fd_kind kind, int *other)
{
	int p[2], fd;

	*other = -1;
	switch (kind) {
	case ANON:
		return -1;
	case RW:
	case RO:
		return three_pages(kind == RW ? O_RDWR : O_RDONLY);
	case EMPTY:
	case EMPTY_RO:
		return tmpfile_with("", 0, kind == EMPTY ? O_RDWR : O_RDONLY);
	case DEVZERO:
		fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		return fd;
	case PIPE_R:
	case PIPE_W:
		ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
		*other = p[kind == PIPE_R];
		return p[kind == PIPE_W];
	case BAD2:
		return -2;
	default:
		return 999;
	}
}

/* Each case fails with its errno, leaves *ret untouched (open_err) and the file as it was:
 * in particular, a length past the end never extends it. */
START_TEST(test_open_bad_arguments_fail_in_order)
{
	struct open_case c = open_case(_i);
	struct mmapc_options o = {.flags = c.flags, .prot = c.prot, .options = c.options};
	int other, fd = kind_fd(c.kind, &other);
	bool file = c.kind == RW || c.kind == RO || c.kind == EMPTY || c.kind == EMPTY_RO;
	long long size = file ? file_size(fd) : -1;

	if (c.reserved)
		o.reserved[c.reserved - 1] = 1;
	int r = open_err(fd, c.length, c.access, c.offset, &o);
	/* valgrind's mmap refuses a length it cannot place with EINVAL; the kernel says ENOMEM. */
	if (c.err == -ENOMEM && getenv("MMAPC_TEST_VALGRIND") && r == -EINVAL)
		r = -ENOMEM;
	ck_assert_msg(r == c.err, "%s: expected %d (%s), got %d (%s)", c.name, c.err,
	              strerror(-c.err), r, strerror(-r));
	if (file)
		ck_assert_int_eq(file_size(fd), size);
	if (size > 0)
		ck_assert_int_eq(file_byte(fd, 0), 'a');
	if (fd >= 0)
		close(fd);
	if (other >= 0)
		close(other);
}
END_TEST

START_TEST(test_open_tagname_without_daemon)
{
	/* A socket that cannot exist, so that no running mmapd is ever reached from here. */
	struct mmapc_options o = {.tagname = "frames", .socket_path = "/nonexistent/mmapd.sock"};
	ck_assert_int_eq(open_err(-1, 10, MMAPC_ACCESS_DEFAULT, 0, &o), -ENOENT);
}
END_TEST

START_TEST(test_open_success_sets_ret_at_position_zero)
{
	int fd = tmpfile_with(CONTENT, CONTENT_LEN, O_RDWR);
	mmapc_map *m = SENTINEL;
	ck_assert_int_eq(mmapc_open(&m, fd, 0, MMAPC_ACCESS_DEFAULT, 0, NULL), 0);
	ck_assert_ptr_ne(m, SENTINEL);
	ck_assert_int_eq(mmapc_tell(m), 0);
	ck_assert_int_eq(mmapc_len(m), CONTENT_LEN);
	ck_assert_int_eq(mmapc_closed(m), 0);
	free_and_close(m, fd);
}
END_TEST

START_TEST(test_open_rdonly_fd_allows_read_and_copy)
{
	char buf[CONTENT_LEN];
	int fd = tmpfile_with(CONTENT, CONTENT_LEN, O_RDONLY);
	mmapc_map *r = open_ok(fd, 0, MMAPC_ACCESS_READ, 0, NULL);
	mmapc_map *c = open_ok(fd, 0, MMAPC_ACCESS_COPY, 0, NULL);
	ck_assert_int_eq(mmapc_read(r, buf, sizeof(buf)), CONTENT_LEN);
	ck_assert_mem_eq(buf, CONTENT, CONTENT_LEN);
	ck_assert_int_eq(mmapc_setitem(c, 0, 'Z'), 0);
	ck_assert_int_eq(mmapc_getitem(c, 0), 'Z');
	ck_assert_int_eq(mmapc_getitem(r, 0), 'a');
	assert_file_is_content(fd);
	mmapc_free(r);
	free_and_close(c, fd);
}
END_TEST

START_TEST(test_open_dev_zero_with_length_works)
{
	int fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	mmapc_map *m = open_ok(fd, 2 * page(), MMAPC_ACCESS_DEFAULT, 0, NULL);
	ck_assert_int_eq(mmapc_len(m), 2 * page());
	ck_assert_int_eq(mmapc_getitem(m, -1), 0);
	ck_assert_int_eq(mmapc_setitem(m, -1, 0x7f), 0);
	ck_assert_int_eq(mmapc_getitem(m, 2 * page() - 1), 0x7f);
	free_and_close(m, fd);
}
END_TEST

/* ---- what a map records ------------------------------------------------------------------- */

/* Python's rules: an access given with flags and prot at their (explicit) defaults is kept;
 * with ACCESS_DEFAULT, prot decides (0 is the default: PROT_NONE cannot be asked for), and
 * MAP_PRIVATE or the other allowed flags leave it DEFAULT. */
static const struct {
	int access, flags, prot, recorded;
} recorded[] = {
        {MMAPC_ACCESS_READ, MAP_SHARED, DEFAULT_PROT, MMAPC_ACCESS_READ},
        {MMAPC_ACCESS_WRITE, MAP_SHARED, DEFAULT_PROT, MMAPC_ACCESS_WRITE},
        {MMAPC_ACCESS_COPY, MAP_SHARED, DEFAULT_PROT, MMAPC_ACCESS_COPY},
        {MMAPC_ACCESS_DEFAULT, 0, PROT_READ, MMAPC_ACCESS_READ},
        {MMAPC_ACCESS_DEFAULT, 0, PROT_WRITE, MMAPC_ACCESS_WRITE},
        {MMAPC_ACCESS_DEFAULT, 0, PROT_READ | PROT_WRITE, MMAPC_ACCESS_DEFAULT},
        {MMAPC_ACCESS_DEFAULT, 0, 0, MMAPC_ACCESS_DEFAULT},
        {MMAPC_ACCESS_DEFAULT, MAP_PRIVATE, 0, MMAPC_ACCESS_DEFAULT},
        {MMAPC_ACCESS_DEFAULT, MAP_SHARED | MAP_POPULATE, 0, MMAPC_ACCESS_DEFAULT},
        {MMAPC_ACCESS_DEFAULT, MAP_PRIVATE | MAP_NORESERVE, 0, MMAPC_ACCESS_DEFAULT},
};
#define N_RECORDED (int)(sizeof(recorded) / sizeof(recorded[0]))

START_TEST(test_open_records_access)
{
	struct mmapc_options o = {.flags = recorded[_i].flags, .prot = recorded[_i].prot};
	mmapc_map *m = open_ok(-1, 10, recorded[_i].access, 0, &o);
	bool ro = recorded[_i].recorded == MMAPC_ACCESS_READ;
	ck_assert_int_eq(mmapc_access(m), recorded[_i].recorded);
	/* Only a READ map refuses the write; a PROT_WRITE-only map takes it. */
	ck_assert_int_eq(mmapc_write_byte(m, 0x42), ro ? -EACCES : 0);
	ck_assert_int_eq(mmapc_getitem(m, 0), ro ? 0 : 0x42);
	mmapc_free(m);
}
END_TEST

START_TEST(test_open_offset_is_recorded)
{
	int fd = three_pages(O_RDWR);
	mmapc_map *f = open_ok(fd, 0, MMAPC_ACCESS_DEFAULT, 2 * page(), NULL);
	mmapc_map *z = open_ok(fd, 0, MMAPC_ACCESS_DEFAULT, 0, NULL);
	/* An anonymous map accepts an aligned offset and only records it. */
	mmapc_map *a = open_ok(-1, 100, MMAPC_ACCESS_DEFAULT, 2 * page(), NULL);
	ck_assert_int_eq(mmapc_offset(f), 2 * page());
	ck_assert_int_eq(mmapc_offset(z), 0);
	ck_assert_int_eq(mmapc_offset(a), 2 * page());
	ck_assert_int_eq(mmapc_len(a), 100);
	ck_assert_int_eq(mmapc_getitem(a, 99), 0);
	mmapc_free(z);
	mmapc_free(a);
	free_and_close(f, fd);
}
END_TEST

START_TEST(test_open_offset_maps_from_that_page)
{
	int fd = three_pages(O_RDWR);
	mmapc_map *m = open_ok(fd, page(), MMAPC_ACCESS_DEFAULT, page(), NULL);
	mmapc_map *end = open_ok(fd, 0, MMAPC_ACCESS_DEFAULT, page(), NULL);
	ck_assert_int_eq(mmapc_len(m), page());
	ck_assert_int_eq(mmapc_getitem(m, 0), 'b');
	ck_assert_int_eq(mmapc_getitem(m, -1), 'b');
	ck_assert_int_eq(mmapc_setitem(m, 0, 'B'), 0);
	ck_assert_int_eq(file_byte(fd, page()), 'B');
	/* Length 0 with an offset maps from there to the end of the file. */
	ck_assert_int_eq(mmapc_len(end), 2 * page());
	ck_assert_int_eq(mmapc_getitem(end, 0), 'B');
	ck_assert_int_eq(mmapc_getitem(end, -1), 'c');
	mmapc_free(end);
	free_and_close(m, fd);
}
END_TEST

/* ---- access modes on real files ----------------------------------------------------------- */

/* The calls that write, each aimed at byte 0; 0 for success or the negative errno. */
static const char *const write_names[] = {"write",    "write_byte", "setitem",
                                          "setslice", "move",       "resize"};

static int64_t write_call(mmapc_map *m, int i)
{
	int64_t r;
	switch (i) {
	case 0:
		r = mmapc_write(m, "zz", 2);
		return r == 2 ? 0 : r;
	case 1:
		return mmapc_write_byte(m, 'z');
	case 2:
		return mmapc_setitem(m, 0, 'z');
	case 3:
		return mmapc_setslice(m, 0, 2, 1, "zz", 2);
	case 4:
		return mmapc_move(m, 0, 4, 2);
	default:
		return mmapc_resize(m, 4);
	}
}

START_TEST(test_open_read_access_refuses_writes)
{
	int fd;
	mmapc_map *m = content_map(MMAPC_ACCESS_READ, NULL, &fd);
	int64_t r = write_call(m, _i);
	ck_assert_msg(r == -EACCES, "%s on a READ map: %lld", write_names[_i], (long long)r);
	ck_assert_int_eq(mmapc_getitem(m, 0), 'a');
	ck_assert_int_eq(mmapc_len(m), CONTENT_LEN);
	assert_file_is_content(fd);
	free_and_close(m, fd);
}
END_TEST

/* A COPY map takes every write but resize (-EACCES), and the file never changes. */
START_TEST(test_open_copy_access_never_changes_file)
{
	int fd;
	mmapc_map *m = content_map(MMAPC_ACCESS_COPY, NULL, &fd);
	int64_t r = write_call(m, _i), want = _i == 5 ? -EACCES : 0;
	ck_assert_msg(r == want, "%s on a COPY map: %lld", write_names[_i], (long long)r);
	ck_assert_int_eq(mmapc_getitem(m, 0), _i == 5 ? 'a' : 'z');
	ck_assert_int_eq(mmapc_len(m), CONTENT_LEN);
	ck_assert_int_eq(mmapc_flush(m, MMAPC_OMIT, MMAPC_OMIT), 0);
	mmapc_free(m);
	assert_file_is_content(fd);
	close(fd);
}
END_TEST

/* Loop index i: write call i % 5 on a WRITE (i < 5) or DEFAULT map. */
START_TEST(test_open_write_and_default_write_through)
{
	int fd;
	mmapc_map *m = content_map(_i < 5 ? MMAPC_ACCESS_WRITE : MMAPC_ACCESS_DEFAULT, NULL, &fd);
	int64_t r = write_call(m, _i % 5);
	ck_assert_msg(r == 0, "%s: %lld", write_names[_i % 5], (long long)r);
	ck_assert_int_eq(file_byte(fd, 0), 'z'); /* before any flush or close */
	free_and_close(m, fd);
}
END_TEST

/* ---- descriptors -------------------------------------------------------------------------- */

START_TEST(test_open_trackfd_dups_descriptor)
{
	int fd = tmpfile_with(CONTENT, CONTENT_LEN, O_RDWR), before = fd_count();
	mmapc_map *m = open_ok(fd, 0, MMAPC_ACCESS_DEFAULT, 0, NULL);
	ck_assert_int_eq(fd_count(), before + 1);
	close(fd);
	ck_assert_int_eq(mmapc_getitem(m, 1), 'b');
	ck_assert_int_eq(mmapc_size(m), CONTENT_LEN);
	ck_assert_int_eq(mmapc_resize(m, 2 * CONTENT_LEN), 0);
	ck_assert_int_eq(mmapc_size(m), 2 * CONTENT_LEN);
	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(fd_count(), before - 1);
	mmapc_free(m);
}
END_TEST

START_TEST(test_open_notrackfd_uses_no_descriptor)
{
	struct mmapc_options o = {.options = MMAPC_NOTRACKFD};
	int fd = tmpfile_with(CONTENT, CONTENT_LEN, O_RDWR), before = fd_count();
	mmapc_map *m = open_ok(fd, 0, MMAPC_ACCESS_DEFAULT, 0, &o);
	ck_assert_int_eq(fd_count(), before);
	close(fd);
	ck_assert_int_eq(mmapc_getitem(m, 2), 'c');
	ck_assert_int_eq(mmapc_setitem(m, 2, 'C'), 0);
	ck_assert_int_eq(mmapc_getitem(m, 2), 'C');
	mmapc_free(m);
}
END_TEST

START_TEST(test_open_notrackfd_has_no_size_or_resize)
{
	struct mmapc_options o = {.options = MMAPC_NOTRACKFD};
	int fd;
	mmapc_map *m = content_map(MMAPC_ACCESS_DEFAULT, &o, &fd);
	mmapc_map *r = open_ok(fd, 0, MMAPC_ACCESS_READ, 0, &o);
	ck_assert_int_eq(mmapc_size(m), -EBADF);
	ck_assert_int_eq(mmapc_resize(m, 4), -EINVAL);
	ck_assert_int_eq(mmapc_resize(r, 4), -EINVAL); /* before the access check */
	ck_assert_int_eq(mmapc_len(m), CONTENT_LEN);
	ck_assert_int_eq(file_size(fd), CONTENT_LEN);
	mmapc_free(r);
	free_and_close(m, fd);
}
END_TEST

START_TEST(test_open_anonymous_holds_one_descriptor)
{
	int before = fd_count();
	mmapc_map *m = anon_map(100);
	ck_assert_int_eq(fd_count(), before + 1);
	ck_assert_int_eq(mmapc_close(m), 0);
	ck_assert_int_eq(fd_count(), before);
	mmapc_free(m);
}
END_TEST

START_TEST(test_open_descriptors_are_cloexec)
{
	enum { MAX_FD = 1024 };
	bool was_open[MAX_FD];
	int fd = tmpfile_with(CONTENT, CONTENT_LEN, O_RDWR), fresh = 0;
	for (int i = 0; i < MAX_FD; i++)
		was_open[i] = fcntl(i, F_GETFD) >= 0;
	mmapc_map *f = open_ok(fd, 0, MMAPC_ACCESS_DEFAULT, 0, NULL);
	mmapc_map *a = anon_map(64);
	for (int i = 0; i < MAX_FD; i++) {
		int flags = fcntl(i, F_GETFD);
		if (flags < 0 || was_open[i])
			continue;
		fresh++;
		ck_assert_msg(flags & FD_CLOEXEC, "descriptor %d lacks FD_CLOEXEC", i);
	}
	ck_assert_int_eq(fresh, 2);
	mmapc_free(a);
	free_and_close(f, fd);
}
END_TEST

/* ---- threads ------------------------------------------------------------------------------ */

/* The reader seeks and reads bytes in a loop while the closer reads items, closes the map
 * part-way and goes on calling it. Every result must be a right value or -EBADF, once -EBADF
 * always -EBADF, and -EBADF for every call that starts after close returned. */
struct race {
	mmapc_map *m;
	atomic_long reads; /* the reader's iterations so far */
	atomic_int closed; /* set once mmapc_close has returned */
	int close_result;
	long bad, after_close, closer_bad;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	bool seen_ebadf = false;
	for (long i = 0; r->after_close < 3000 && i < 50000000; i++) {
		int was_closed = atomic_load(&r->closed);
		int64_t s = mmapc_seek(r->m, i % 64, SEEK_SET);
		int b = mmapc_read_byte(r->m);
		bool ok =
		        (s == i % 64 && (b == 'x' || b == -EBADF)) || (s == -EBADF && b == -EBADF);
		if (!ok || (seen_ebadf && (s != -EBADF || b != -EBADF)) ||
		    (was_closed && s != -EBADF))
			r->bad++;
		seen_ebadf |= b == -EBADF;
		r->after_close += was_closed;
		atomic_fetch_add(&r->reads, 1);
	}
	return NULL;
}

static void *race_closer(void *arg)
{
	struct race *r = arg;
	for (int64_t i = 0; atomic_load(&r->reads) < 3000; i++) {
		r->closer_bad += mmapc_getitem(r->m, i % 64) != 'x';
		if (i % 64 == 0)
			sched_yield();
	}
	r->close_result = mmapc_close(r->m);
	atomic_store(&r->closed, 1);
	for (int64_t i = 0; i < 3000; i++)
		r->closer_bad += mmapc_getitem(r->m, i % 64) != -EBADF;
	return NULL;
}

START_TEST(test_open_close_races_reader_thread)
{
	struct race r = {.m = anon_map(64)};
	pthread_t reader, closer;
	memset(mmapc_data(r.m), 'x', 64);
	ck_assert_int_eq(pthread_create(&reader, NULL, race_reader, &r), 0);
	ck_assert_int_eq(pthread_create(&closer, NULL, race_closer, &r), 0);
	ck_assert_int_eq(pthread_join(reader, NULL), 0);
	ck_assert_int_eq(pthread_join(closer, NULL), 0);
	ck_assert_int_eq(r.close_result, 0);
	ck_assert_int_eq(r.bad, 0);
	ck_assert_int_eq(r.closer_bad, 0);
	ck_assert_int_ge(r.after_close, 3000);
	ck_assert_int_ge(atomic_load(&r.reads), 6000);
	ck_assert_int_eq(mmapc_closed(r.m), 1);
	mmapc_free(r.m);
}
END_TEST

Suite *open_suite(void)
{
	Suite *s = suite_create("open");
	TCase *tc = tcase_new("args");
	tcase_add_test(tc, test_open_null_ret_is_einval);
	tcase_add_loop_test(tc, test_open_bad_arguments_fail_in_order, 0, N_OPEN_CASES);
	tcase_add_test(tc, test_open_tagname_without_daemon);
	tcase_add_test(tc, test_open_success_sets_ret_at_position_zero);
	tcase_add_test(tc, test_open_rdonly_fd_allows_read_and_copy);
	tcase_add_test(tc, test_open_dev_zero_with_length_works);
	suite_add_tcase(s, tc);

	tc = tcase_new("recorded");
	tcase_add_loop_test(tc, test_open_records_access, 0, N_RECORDED);
	tcase_add_test(tc, test_open_offset_is_recorded);
	tcase_add_test(tc, test_open_offset_maps_from_that_page);
	suite_add_tcase(s, tc);

	tc = tcase_new("access");
	tcase_add_loop_test(tc, test_open_read_access_refuses_writes, 0, 6);
	tcase_add_loop_test(tc, test_open_copy_access_never_changes_file, 0, 6);
	tcase_add_loop_test(tc, test_open_write_and_default_write_through, 0, 10);
	suite_add_tcase(s, tc);

	tc = tcase_new("descriptors");
	tcase_add_test(tc, test_open_trackfd_dups_descriptor);
	tcase_add_test(tc, test_open_notrackfd_uses_no_descriptor);
	tcase_add_test(tc, test_open_notrackfd_has_no_size_or_resize);
	tcase_add_test(tc, test_open_anonymous_holds_one_descriptor);
	tcase_add_test(tc, test_open_descriptors_are_cloexec);
	suite_add_tcase(s, tc);

	tc = tcase_new("threads");
	tcase_add_test(tc, test_open_close_races_reader_thread);
	suite_add_tcase(s, tc);
	return s;
}
