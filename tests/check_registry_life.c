/* check_registry_life.c: the registry of tags (daemon/registry.h), called directly with
 * synthetic peers: how a tag lives and what it costs. A tag ends with its last holder unless it
 * is persistent, unlink frees the name but not the memory its holders map, a registry may be
 * destroyed with tags alive, running out of descriptors changes nothing; the quotas per user
 * and in all, who pays for growth, refunds on release; resize, grow and shrink, and who may.
 *
 * The tests run as root and lower RLIMIT_NOFILE for a moment. Each test makes its own registry
 * and destroys it, and tcase_new fails any test that leaks a descriptor.
 *
 * Not here: names, access and file tags (check_registry.c), list, stats and scale
 * (check_registry_list.c), the helpers all three share (registry_helpers.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "registry_helpers.h"
#include "../daemon/registry.h"

/* ---- lifetime ---------------------------------------------------------------------------- */

START_TEST(test_registry_last_release_destroys_tag)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "life", 4096);
	struct registry_opened b = reg_open_rw(reg, &ALICE, "life", 0);
	ck_assert_int_eq(pwrite(a.fd, "mark", 4, 0), 4);
	reg_drop(reg, &a);
	struct registry_opened c = reg_open_rw(reg, &ALICE, "life", 0); /* b still holds it */
	ck_assert(!c.created);
	reg_drop(reg, &b);
	reg_drop(reg, &c);
	ck_assert_uint_eq(reg_stats(reg).tags, 0);

	struct registry_opened d = reg_open_rw(reg, &ALICE, "life", 2048);
	ck_assert(d.created);
	ck_assert_uint_eq(d.size, 2048);
	char buf[4];
	ck_assert_int_eq(pread(d.fd, buf, 4, 0), 4);
	ck_assert_mem_eq(buf, "\0\0\0\0", 4);
	reg_drop(reg, &d);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_persistent_survives_release)
{
	struct registry *reg = reg_new();
	struct registry_open_args p = reg_args("keep", 4096, true);
	p.persistent = true;
	struct registry_opened a = reg_must_open(reg, &ALICE, &p);
	ck_assert_int_eq(pwrite(a.fd, "kept", 4, 0), 4);
	reg_drop(reg, &a);
	ck_assert_uint_eq(reg_stats(reg).tags, 1);

	struct registry_opened b = reg_open_ro(reg, &ALICE, "keep", 0);
	ck_assert(!b.created);
	char buf[4];
	ck_assert_int_eq(pread(b.fd, buf, 4, 0), 4);
	ck_assert_mem_eq(buf, "kept", 4);
	reg_drop(reg, &b);

	/* Unlink ends it, though no one holds it. */
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "keep"), 0);
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "keep"), -ENOENT);
	struct registry_opened c = reg_open_rw(reg, &ALICE, "keep", 4096);
	ck_assert(c.created);
	reg_drop(reg, &c);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_unlink_while_held_keeps_memory)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "u", 4096);
	struct registry_opened r = reg_open_ro(reg, &ALICE, "u", 0);
	char *p = map_shared(a.fd, 4096, PROT_READ | PROT_WRITE);
	memcpy(p, "old", 3);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "u"), 0);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "u"), -ENOENT);

	/* The name is free: a new open makes a new tag. */
	struct registry_opened b = reg_open_rw(reg, &ALICE, "u", 100);
	ck_assert(b.created);
	ck_assert_ptr_ne(b.tag, a.tag);
	ck_assert_uint_eq(b.size, 100);
	ck_assert_uint_eq(reg_stats(reg).tags, 2);

	/* The holders still have the old memory, and may still resize it. */
	memcpy(p + 3, "er", 2);
	char buf[5];
	ck_assert_int_eq(pread(r.fd, buf, 5, 0), 5);
	ck_assert_mem_eq(buf, "older", 5);
	int fd;
	ck_assert_int_eq(reg_resize(reg, &a, 8192, &fd), 0);
	ck_assert_int_eq(file_size(r.fd), 8192);
	munmap(p, 4096);
	reg_drop(reg, &a);
	reg_drop(reg, &r);
	ck_assert_uint_eq(reg_stats(reg).tags, 1);
	reg_drop(reg, &b);
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_unlink_errors)
{
	struct registry *reg = reg_new();
	struct registry_open_args g = reg_args("Global\\g", 4096, true);
	g.mode = 0666;
	g.persistent = true;
	struct registry_opened o = reg_must_open(reg, &ALICE, &g);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "nope"), -ENOENT);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "g"), -ENOENT); /* not her "g" */
	ck_assert_int_eq(registry_unlink(reg, &ALICE, ""), -EINVAL);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, NULL), -EINVAL);
	ck_assert_int_eq(registry_unlink(reg, &BOB, "Global\\g"), -EPERM); /* mode 0666 or not */
	ck_assert_int_eq(registry_unlink(reg, &ROOT, "Global\\g"), 0);
	reg_drop(reg, &o);

	o = reg_must_open(reg, &ALICE, &g);
	reg_drop(reg, &o);
	ck_assert_uint_eq(reg_stats(reg).tags, 1);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "Global\\g"), 0);
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_destroy_with_live_tags)
{
	int before = fd_count();
	struct registry *reg = reg_new();
	struct registry_opened held = reg_open_rw(reg, &ALICE, "held", 4096);
	struct registry_opened reader = reg_open_ro(reg, &ALICE, "held", 0);
	struct registry_open_args p = reg_args("Global\\persist", 4096, true);
	p.persistent = true;
	struct registry_opened pers = reg_must_open(reg, &BOB, &p);
	registry_release(reg, pers.tag);
	struct registry_opened gone = reg_open_rw(reg, &ALICE, "gone", 4096);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "gone"), 0);
	int file = tmpfile_with("abc", 3, O_RDWR);
	struct registry_open_args f = reg_file_args("file", file, 0, false);
	struct registry_opened fo = reg_must_open(reg, &ALICE, &f);

	registry_destroy(reg); /* with every kind of live tag: valgrind checks the memory */
	close(held.fd);
	close(reader.fd);
	close(pers.fd);
	close(gone.fd);
	close(fo.fd);
	ck_assert_int_eq(fd_count(), before);
	registry_destroy(NULL);
}
END_TEST

/* The lowest descriptor number not in use. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	return fd;
}

START_TEST(test_registry_emfile_changes_nothing)
{
	struct registry *reg = reg_new();
	struct registry_opened keep = reg_open_rw(reg, &ALICE, "keep", 4096);
	struct rlimit old, low;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	/* Room for the memfd but not for the client's dup: creation fails half-way. */
	low.rlim_cur = (rlim_t)lowest_free_fd() + 1;
	low.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	struct registry_open_args a = reg_args("new", 4096, true);
	int r1 = reg_open_err(reg, &ALICE, &a);
	a = reg_args("keep", 0, false); /* room for the twin but not for its dup */
	int r2 = reg_open_err(reg, &ALICE, &a);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_eq(r1, -EMFILE);
	ck_assert_int_eq(r2, -EMFILE);
	ck_assert_uint_eq(reg_stats(reg).tags, 1);
	ck_assert_uint_eq(reg_stats(reg).bytes, 4096);
	struct registry_opened again = reg_open_rw(reg, &ALICE, "new", 100);
	ck_assert(again.created);
	reg_drop(reg, &again);
	reg_drop(reg, &keep);
	registry_destroy(reg);
}
END_TEST

/* ---- quotas ------------------------------------------------------------------------------ */

START_TEST(test_registry_default_limits)
{
	struct registry_limits lim;
	registry_default_limits(&lim);
	ck_assert_uint_eq(lim.max_tags, 65536);
	ck_assert_uint_eq(lim.max_bytes, UINT64_C(16) << 30);
	ck_assert_uint_eq(lim.max_tags_per_user, 4096);
	ck_assert_uint_eq(lim.max_bytes_per_user, UINT64_C(4) << 30);
	struct registry *reg = NULL;
	ck_assert_int_eq(registry_create(&reg, NULL), 0); /* NULL: the defaults */
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_user_tags)
{
	struct registry *reg = reg_with(100, BIG, 2, BIG);
	struct registry_opened a = reg_open_rw(reg, &ALICE, "a", 10);
	int file = tmpfile_with("x", 1, O_RDWR);
	struct registry_open_args f = reg_file_args("b", file, 0, true);
	struct registry_opened b = reg_must_open(reg, &ALICE, &f); /* a file tag is a tag too */
	struct registry_open_args c = reg_args("c", 10, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &c), -EDQUOT);
	file = tmpfile_with("x", 1, O_RDWR);
	f = reg_file_args("c", file, 0, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &f), -EDQUOT);
	ck_assert_int_eq(reg_open_err(reg, &BOB, &c), 0); /* Bob has his own quota */
	/* Opening an existing tag costs nothing. */
	struct registry_opened a2 = reg_open_rw(reg, &ALICE, "a", 0);
	reg_drop(reg, &a2);
	reg_drop(reg, &a);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &c), 0);
	reg_drop(reg, &b);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_user_bytes)
{
	struct registry *reg = reg_with(100, BIG, 100, 10000);
	struct registry_opened a = reg_open_rw(reg, &ALICE, "a", 6000);
	struct registry_open_args b = reg_args("b", 4001, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &b), -EDQUOT);
	b.length = 4000;
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &b), 0); /* exactly the limit */
	b.length = UINT64_MAX;
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &b), -EDQUOT);
	b.length = 10001;
	ck_assert_int_eq(reg_open_err(reg, &BOB, &b), -EDQUOT);
	b.length = 10000;
	ck_assert_int_eq(reg_open_err(reg, &BOB, &b), 0);
	reg_drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_global_tags)
{
	struct registry *reg = reg_with(2, BIG, 100, BIG);
	struct registry_opened a = reg_open_rw(reg, &ALICE, "a", 10);
	struct registry_opened b = reg_open_rw(reg, &BOB, "Global\\b", 10);
	struct registry_open_args c = reg_args("c", 10, true);
	ck_assert_int_eq(reg_open_err(reg, &ROOT, &c), -EDQUOT); /* root too */
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &c), -EDQUOT);
	reg_drop(reg, &b);
	ck_assert_int_eq(reg_open_err(reg, &ROOT, &c), 0);
	reg_drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_global_bytes)
{
	struct registry *reg = reg_with(100, 10000, 100, BIG);
	struct registry_opened a = reg_open_rw(reg, &ALICE, "a", 7000);
	struct registry_open_args b = reg_args("b", 3001, true);
	ck_assert_int_eq(reg_open_err(reg, &BOB, &b), -EDQUOT);
	b.length = 3000;
	ck_assert_int_eq(reg_open_err(reg, &BOB, &b), 0);
	reg_drop(reg, &a);
	b.length = 10000;
	ck_assert_int_eq(reg_open_err(reg, &BOB, &b), 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_resize_growth_edquot)
{
	struct registry *reg = reg_with(100, BIG, 100, 10000);
	struct registry_opened a = reg_open_rw(reg, &ALICE, "a", 4000);
	int fd;
	ck_assert_int_eq(reg_resize(reg, &a, 10001, &fd), -EDQUOT);
	ck_assert_int_eq(fd, -2); /* untouched */
	ck_assert_int_eq(file_size(a.fd), 4000);
	ck_assert_int_eq(reg_resize(reg, &a, 10000, &fd), 0);
	ck_assert_int_eq(fd, -1);
	ck_assert_uint_eq(reg_stats(reg).bytes, 10000);
	reg_drop(reg, &a);

	struct registry *greg = reg_with(100, 5000, 100, BIG);
	a = reg_open_rw(greg, &ALICE, "a", 4000);
	ck_assert_int_eq(reg_resize(greg, &a, 5001, &fd), -EDQUOT);
	reg_drop(greg, &a);
	registry_destroy(greg);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_release_refunds)
{
	struct registry *reg = reg_with(3, 3000, 3, 3000);
	for (int round = 0; round < 5; round++) {
		struct registry_opened o[3];
		char name[16];
		for (int i = 0; i < 3; i++) {
			snprintf(name, sizeof(name), "q%d", i);
			o[i] = reg_open_rw(reg, &ALICE, name, 1000);
		}
		struct registry_open_args more = reg_args("more", 1, true);
		ck_assert_int_eq(reg_open_err(reg, &ALICE, &more), -EDQUOT);
		int fd;
		ck_assert_int_eq(reg_resize(reg, &o[0], 500, &fd), 0); /* a shrink refunds too */
		ck_assert_int_ge(fd, 0);
		close(fd);
		ck_assert_uint_eq(reg_stats(reg).bytes, 2500);
		ck_assert_int_eq(reg_resize(reg, &o[1], 1500, &fd), 0);
		for (int i = 0; i < 3; i++)
			reg_drop(reg, &o[i]);
		ck_assert_uint_eq(reg_stats(reg).tags, 0);
		ck_assert_uint_eq(reg_stats(reg).bytes, 0);
	}
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_creator_pays_growth)
{
	struct registry *reg = reg_with(100, BIG, 100, 10000);
	struct registry_open_args g = reg_args("Global\\shared", 1000, true);
	g.mode = 0666;
	struct registry_opened a = reg_must_open(reg, &ALICE, &g);
	struct registry_opened b = reg_open_rw(reg, &BOB, "Global\\shared", 0);
	int fd;
	ck_assert_int_eq(reg_resize(reg, &b, 9000, &fd), 0); /* Bob grows it; Alice pays */
	struct registry_open_args x = reg_args("x", 1001, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &x), -EDQUOT);
	x.length = 1000;
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &x), 0);
	x.length = 10000;
	ck_assert_int_eq(reg_open_err(reg, &BOB, &x), 0); /* Bob's own quota is whole */
	ck_assert_int_eq(reg_resize(reg, &b, 10001, &fd), -EDQUOT);
	reg_drop(reg, &a);
	reg_drop(reg, &b);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_external_growth_charged)
{
	struct registry *reg = reg_with(100, BIG, 100, 100000);
	struct registry_opened a = reg_open_rw(reg, &ALICE, "a", 1000);
	/* A writer grows the memfd itself: nothing stops it, but the creator pays. */
	ck_assert_int_eq(ftruncate(a.fd, 99000), 0);
	ck_assert_uint_eq(registry_tag_size(a.tag), 99000);
	struct registry_opened b = reg_open_ro(reg, &ALICE, "a", 0);
	ck_assert_uint_eq(b.size, 99000);
	ck_assert_uint_eq(reg_stats(reg).bytes, 99000);
	struct registry_open_args x = reg_args("x", 1001, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &x), -EDQUOT);
	ck_assert_int_eq(ftruncate(a.fd, 200000), 0); /* past the quota */
	int fd;
	ck_assert_int_eq(reg_resize(reg, &a, 200000, &fd), 0); /* no growth left to grant */
	ck_assert_int_eq(fd, -1);
	ck_assert_uint_eq(reg_stats(reg).bytes, 200000);
	reg_drop(reg, &b);
	ck_assert_int_eq(reg_resize(reg, &a, 1000, &fd), 0);
	close(fd);
	ck_assert_uint_eq(reg_stats(reg).bytes, 1000);
	reg_drop(reg, &a);
	ck_assert_uint_eq(reg_stats(reg).bytes, 0);
	registry_destroy(reg);
}
END_TEST

/* ---- resize ------------------------------------------------------------------------------ */

START_TEST(test_registry_resize_grow_visible)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "g", 4096);
	struct registry_opened b = reg_open_rw(reg, &ALICE, "g", 0);
	struct registry_opened r = reg_open_ro(reg, &ALICE, "g", 0);
	ck_assert_int_eq(pwrite(a.fd, "keep", 4, 0), 4);
	int fd;
	ck_assert_int_eq(reg_resize(reg, &b, 3 * 4096 + 1, &fd),
	                 0); /* growth with others holding */
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(file_size(a.fd), 3 * 4096 + 1);
	ck_assert_int_eq(file_size(r.fd), 3 * 4096 + 1);
	ck_assert_uint_eq(registry_tag_size(a.tag), 3 * 4096 + 1);
	char *p = map_shared(a.fd, 3 * 4096 + 1, PROT_READ | PROT_WRITE);
	ck_assert_mem_eq(p, "keep", 4);
	p[3 * 4096] = 'z'; /* the new pages are there, no SIGBUS */
	munmap(p, 3 * 4096 + 1);
	struct registry_opened c = reg_open_ro(reg, &ALICE, "g", 0);
	ck_assert_uint_eq(c.size, 3 * 4096 + 1);
	reg_drop(reg, &c);
	reg_drop(reg, &r);
	reg_drop(reg, &b);
	reg_drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_shrink_busy)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "s", 8192);
	struct registry_opened b = reg_open_ro(reg, &ALICE, "s", 0);
	int fd;
	ck_assert_int_eq(reg_resize(reg, &a, 4096, &fd), -EBUSY);
	ck_assert_int_eq(fd, -2);
	ck_assert_int_eq(file_size(a.fd), 8192);
	reg_drop(reg, &b);
	ck_assert_int_eq(reg_resize(reg, &a, 4096, &fd), 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	reg_drop(reg, &a);

	int file = tmpfile_with("0123456789", 10, O_RDWR);
	struct registry_open_args f = reg_file_args("f", file, 0, true);
	struct registry_opened fa = reg_must_open(reg, &ALICE, &f);
	struct registry_opened fb = reg_open_ro(reg, &ALICE, "f", 0);
	ck_assert_int_eq(reg_resize(reg, &fa, 5, &fd), -EBUSY);
	ck_assert_int_eq(file_size(fa.fd), 10);
	reg_drop(reg, &fb);
	reg_drop(reg, &fa);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_shrink_sole_holder)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "s", 3 * 4096);
	struct registry_opened r = reg_open_ro(reg, &ALICE, "s", 0); /* makes a twin */
	reg_drop(reg, &r);
	char *old = map_shared(a.fd, 3 * 4096, PROT_READ | PROT_WRITE);
	memset(old, 'a', 4096);
	memset(old + 4096, 'b', 4096);
	memset(old + 8192, 'c', 4096);

	int fd;
	ck_assert_int_eq(reg_resize(reg, &a, 4096 + 100, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fd, a.fd);
	ck_assert_int_eq(fd_accmode(fd), O_RDWR);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(file_size(fd), 4096 + 100);
	ck_assert_uint_eq(registry_tag_size(a.tag), 4096 + 100);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	int seals = fcntl(fd, F_GET_SEALS);
	ck_assert((seals & (F_SEAL_SHRINK | F_SEAL_SEAL)) == (F_SEAL_SHRINK | F_SEAL_SEAL));

	char *neu = map_shared(fd, 4096 + 100, PROT_READ | PROT_WRITE);
	for (int i = 0; i < 4096; i++)
		require(neu[i] == 'a', "byte %d", i);
	for (int i = 4096; i < 4096 + 100; i++)
		require(neu[i] == 'b', "byte %d", i);
	/* The old memory is untouched, and no longer shared with the tag. */
	ck_assert_int_eq(file_size(a.fd), 3 * 4096);
	ck_assert_int_eq(old[8191], 'b');
	ck_assert_int_eq(old[8192], 'c');
	neu[0] = 'N';
	ck_assert_int_eq(old[0], 'a');

	/* Later openers get the new memory; readers a new read-only twin. */
	struct registry_opened r2 = reg_open_ro(reg, &ALICE, "s", 0);
	ck_assert_uint_eq(r2.size, 4096 + 100);
	ck_assert_int_eq(fd_accmode(r2.fd), O_RDONLY);
	char c;
	ck_assert_int_eq(pread(r2.fd, &c, 1, 0), 1);
	ck_assert_int_eq(c, 'N');
	reg_drop(reg, &r2);
	munmap(old, 3 * 4096);
	munmap(neu, 4096 + 100);
	close(fd);
	reg_drop(reg, &a);
	ck_assert_uint_eq(reg_stats(reg).bytes, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_shrink_sparse)
{
	const uint64_t gib = UINT64_C(1) << 30;
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "sparse", gib);
	ck_assert_int_eq(pwrite(a.fd, "head", 4, 0), 4);
	ck_assert_int_eq(pwrite(a.fd, "mid", 3, 300 << 20), 3);
	ck_assert_int_eq(pwrite(a.fd, "tail", 4, 700 << 20), 4);
	int fd;
	ck_assert_int_eq(reg_resize(reg, &a, gib / 2, &fd), 0);
	ck_assert_int_ge(fd, 0);
	char buf[4];
	ck_assert_int_eq(pread(fd, buf, 4, 0), 4);
	ck_assert_mem_eq(buf, "head", 4);
	ck_assert_int_eq(pread(fd, buf, 3, 300 << 20), 3);
	ck_assert_mem_eq(buf, "mid", 3);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)(gib / 2));
	/* The holes stayed holes (with room for two huge pages, should shmem use them). */
	ck_assert_int_lt(st.st_blocks * 512, 16 << 20);
	close(fd);
	reg_drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_reader_eacces)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "r", 4096);
	struct registry_opened r = reg_open_ro(reg, &ALICE, "r", 0);
	int fd;
	ck_assert_int_eq(reg_resize(reg, &r, 8192, &fd), -EACCES);
	ck_assert_int_eq(reg_resize(reg, &r, 0, &fd), -EACCES); /* access is checked first */
	ck_assert_int_eq(fd, -2);
	ck_assert_int_eq(file_size(a.fd), 4096);
	reg_drop(reg, &r);
	reg_drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_zero_einval)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "z", 4096);
	int fd;
	ck_assert_int_eq(reg_resize(reg, &a, 0, &fd), -EINVAL);
	ck_assert_int_eq(fd, -2);
	ck_assert_int_eq(file_size(a.fd), 4096);
	ck_assert_int_eq(reg_resize(reg, &a, 4096, &fd), 0); /* the same size: nothing to do */
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(reg_resize(reg, &a, UINT64_MAX, &fd), -EDQUOT); /* the quota first */
	reg_drop(reg, &a);
	registry_destroy(reg);

	/* Without quotas, the system's limit on a file's size. */
	reg = reg_with(UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX);
	a = reg_open_rw(reg, &ALICE, "z", 4096);
	ck_assert_int_eq(reg_resize(reg, &a, UINT64_MAX, &fd), -EFBIG);
	ck_assert_int_eq(fd, -2);
	ck_assert_uint_eq(reg_stats(reg).bytes, 4096);
	struct registry_open_args huge = reg_args("huge", (uint64_t)INT64_MAX + 1, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &huge), -EFBIG);
	ck_assert_uint_eq(reg_stats(reg).tags, 1);
	reg_drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_after_external_growth)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "e", 4096);
	struct registry_opened b = reg_open_rw(reg, &ALICE, "e", 0);
	ck_assert_int_eq(ftruncate(b.fd, 16384), 0);
	int fd;
	/* 8192 is a shrink of the real size: refused while b holds it. */
	ck_assert_int_eq(reg_resize(reg, &a, 8192, &fd), -EBUSY);
	ck_assert_int_eq(reg_resize(reg, &a, 16384, &fd), 0);
	ck_assert_int_eq(fd, -1);
	reg_drop(reg, &b);
	ck_assert_int_eq(reg_resize(reg, &a, 8192, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(file_size(fd), 8192);
	close(fd);
	reg_drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

Suite *registry_life_suite(void)
{
	Suite *s = suite_create("registry_life");
	TCase *tc;

	tc = tcase_new("lifetime");
	tcase_add_test(tc, test_registry_last_release_destroys_tag);
	tcase_add_test(tc, test_registry_persistent_survives_release);
	tcase_add_test(tc, test_registry_unlink_while_held_keeps_memory);
	tcase_add_test(tc, test_registry_unlink_errors);
	tcase_add_test(tc, test_registry_destroy_with_live_tags);
	tcase_add_test(tc, test_registry_emfile_changes_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_new("quota");
	tcase_add_test(tc, test_registry_default_limits);
	tcase_add_test(tc, test_registry_quota_user_tags);
	tcase_add_test(tc, test_registry_quota_user_bytes);
	tcase_add_test(tc, test_registry_quota_global_tags);
	tcase_add_test(tc, test_registry_quota_global_bytes);
	tcase_add_test(tc, test_registry_quota_resize_growth_edquot);
	tcase_add_test(tc, test_registry_quota_release_refunds);
	tcase_add_test(tc, test_registry_quota_creator_pays_growth);
	tcase_add_test(tc, test_registry_quota_external_growth_charged);
	suite_add_tcase(s, tc);

	tc = tcase_new("resize");
	tcase_add_test(tc, test_registry_resize_grow_visible);
	tcase_add_test(tc, test_registry_resize_shrink_busy);
	tcase_add_test(tc, test_registry_resize_shrink_sole_holder);
	tcase_add_test(tc, test_registry_resize_shrink_sparse);
	tcase_add_test(tc, test_registry_resize_reader_eacces);
	tcase_add_test(tc, test_registry_resize_zero_einval);
	tcase_add_test(tc, test_registry_resize_after_external_growth);
	suite_add_tcase(s, tc);

	return s;
}
