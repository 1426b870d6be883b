/* check_registry.c: the registry of tags (daemon/registry.h), called directly with synthetic
 * peers: who may open what. Names and namespaces, sizes on create and reopen, the
 * owner/group/other rule, read-only descriptors that cannot be reopened for writing, sealed
 * private memfds, and file tags, every errno the header documents for them.
 *
 * The tests run as root (one forks a child that drops to uid 65534 to prove that a reader's
 * descriptor cannot be reopened for writing). Each test makes its own registry and destroys
 * it, and tcase_new fails any test that leaks a descriptor, so a registry that forgets to close
 * one is caught here.
 *
 * Not here: lifetime, quotas and resize (check_registry_life.c), list, stats and scale
 * (check_registry_list.c), the helpers all three share (registry_helpers.h), sockets, handles
 * and the wire (the integration suites).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "registry_helpers.h"
#include "../daemon/registry.h"

/* ---- names and sizes ---------------------------------------------------------------------- */

START_TEST(test_registry_create_then_open_existing)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "frames", 8192);
	ck_assert(a.created);
	ck_assert(a.writable);
	ck_assert_uint_eq(a.size, 8192);
	ck_assert_int_eq(a.kind, WIRE_KIND_ANONYMOUS);
	ck_assert_int_eq(file_size(a.fd), 8192);

	struct registry_opened b = reg_open_rw(reg, &ALICE, "frames", 0);
	ck_assert(!b.created);
	ck_assert_ptr_eq(b.tag, a.tag);
	ck_assert_uint_eq(b.size, 8192);

	char *pa = map_shared(a.fd, 8192, PROT_READ | PROT_WRITE);
	char *pb = map_shared(b.fd, 8192, PROT_READ | PROT_WRITE);
	memcpy(pa + 5000, "hello", 5);
	ck_assert_mem_eq(pb + 5000, "hello", 5);
	pb[0] = 'x';
	ck_assert_int_eq(pa[0], 'x');
	munmap(pa, 8192);
	munmap(pb, 8192);
	reg_drop(reg, &a);
	reg_drop(reg, &b);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_must_exist_never_creates)
{
	struct registry *reg = reg_new();
	struct registry_open_args args = reg_args("absent", 4096, true);

	args.must_exist = true;
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &args), -ENOENT);
	struct registry_opened a = reg_open_rw(reg, &ALICE, "absent", 4096);
	ck_assert(a.created);
	struct registry_opened b = reg_must_open(reg, &ALICE, &args);
	ck_assert(!b.created);
	ck_assert_ptr_eq(b.tag, a.tag);
	reg_drop(reg, &b);
	reg_drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_open_existing_size_rules)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "t", 1000);
	struct registry_opened b = reg_open_rw(reg, &ALICE, "t", 10);
	ck_assert(!b.created);
	ck_assert_uint_eq(b.size, 1000); /* the reply says the tag's size, not the length */
	struct registry_opened c = reg_open_ro(reg, &ALICE, "t", 1000);
	ck_assert_uint_eq(c.size, 1000);

	struct registry_open_args big = reg_args("t", 5000, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &big), -EFBIG);
	big.length = 1001;
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &big), -EFBIG);
	big.length = UINT64_MAX;
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &big), -EFBIG);
	/* An anonymous tag ignores offset: it only places a file view. */
	struct registry_open_args off = reg_args("t", 1000, true);
	off.offset = 4096;
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &off), 0);
	reg_drop(reg, &a);
	reg_drop(reg, &b);
	reg_drop(reg, &c);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_anonymous_length_zero_einval)
{
	struct registry *reg = reg_new();
	struct registry_open_args a = reg_args("t", 0, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EINVAL);
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_hostile_names_einval)
{
	static const char *const bad[] = {
	        "",
	        "a/b",
	        "../x",
	        "a\\b",
	        "Global\\",
	        "Local\\",
	        "Foo\\x",
	        "global\\x",
	        "Global\\Local\\x",
	        "Local\\Global\\x",
	        "Global\\a/b",
	        "tab\there",
	        "nl\n",
	        "\x01",
	        "\x1f",
	        "\x7f",
	        "del\x7fx",
	        "\x80",
	        "caf\xc3\xa9",
	        "/",
	        "\\",
	        "\\x",
	};
	char long_name[257], long_global[7 + 257];
	struct registry *reg = reg_new();

	memset(long_name, 'a', 256);
	long_name[256] = '\0';
	memcpy(long_global, "Global\\", 7);
	memcpy(long_global + 7, long_name, 257);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) + 3; i++) {
		const char *name = i < sizeof(bad) / sizeof(bad[0])        ? bad[i]
		                   : i == sizeof(bad) / sizeof(bad[0])     ? long_name
		                   : i == sizeof(bad) / sizeof(bad[0]) + 1 ? long_global
		                                                           : NULL;
		struct registry_open_args a = reg_args(name, 4096, true);
		ck_assert_msg(reg_open_err(reg, &ALICE, &a) == -EINVAL, "name %zu accepted", i);
		ck_assert_int_eq(registry_unlink(reg, &ALICE, name), -EINVAL);
	}
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_valid_names)
{
	char longest[300], buf[300];
	struct registry *reg = reg_new();

	memset(longest, 'z', 255);
	longest[255] = '\0';
	const char *good[] = {"x",    "a b", "..", ".", "Local", "Global", "x.y-z_1~!@#$%^&*()[]{}",
	                      longest};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct registry_opened o = reg_open_rw(reg, &ALICE, good[i], 4096);
		ck_assert(o.created);
		snprintf(buf, sizeof(buf), "Local\\%s", good[i]);
		struct registry_opened l = reg_open_rw(reg, &ALICE, buf, 0);
		ck_assert_ptr_eq(l.tag, o.tag);
		snprintf(buf, sizeof(buf), "Global\\%s", good[i]);
		struct registry_opened g = reg_open_rw(reg, &ALICE, buf, 4096);
		ck_assert(g.created);
		ck_assert_ptr_ne(g.tag, o.tag);
		reg_drop(reg, &o);
		reg_drop(reg, &l);
		reg_drop(reg, &g);
	}
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_mode_over_0777_einval)
{
	struct registry *reg = reg_new();
	static const uint32_t bad[] = {01000, 02000, 04000, 04755, 010000, 0x10000, UINT32_MAX};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct registry_open_args a = reg_args("t", 4096, true);
		a.mode = bad[i];
		ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EINVAL);
	}
	struct registry_open_args a = reg_args("t", 4096, true);
	a.mode = 0777;
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), 0);
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_per_user_namespaces)
{
	struct registry *reg = reg_new();
	struct registry_opened a = reg_open_rw(reg, &ALICE, "x", 4096);
	struct registry_opened b = reg_open_rw(reg, &BOB, "x", 8192);
	ck_assert(a.created);
	ck_assert(b.created); /* Bob's "x" is not Alice's */
	ck_assert_ptr_ne(a.tag, b.tag);
	struct registry_opened a2 = reg_open_rw(reg, &ALICE, "Local\\x", 0);
	ck_assert(!a2.created);
	ck_assert_ptr_eq(a2.tag, a.tag);
	ck_assert_uint_eq(a2.size, 4096);

	/* Root's bare names are root's own too. */
	struct registry_opened r = reg_open_rw(reg, &ROOT, "x", 100);
	ck_assert(r.created);

	struct registry_open_args ga = reg_args("Global\\x", 4096, true);
	ga.mode = 0666;
	struct registry_opened g1 = reg_must_open(reg, &ALICE, &ga);
	struct registry_opened g2 = reg_open_rw(reg, &BOB, "Global\\x", 0);
	ck_assert(g1.created);
	ck_assert(!g2.created);
	ck_assert_ptr_eq(g1.tag, g2.tag);
	ck_assert_ptr_ne(g1.tag, a.tag);

	ck_assert_int_eq(registry_unlink(reg, &BOB, "x"), 0); /* Bob's, not Alice's */
	struct registry_opened a3 = reg_open_rw(reg, &ALICE, "x", 0);
	ck_assert_ptr_eq(a3.tag, a.tag);
	struct registry_opened *all[] = {&a, &b, &a2, &r, &g1, &g2, &a3};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		reg_drop(reg, all[i]);
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

/* ---- access ------------------------------------------------------------------------------ */

START_TEST(test_registry_access_matrix)
{
	/* For each mode: what the owner, the group and others may do ("r-": read only). The
	 * group is tried through the primary gid and through supplementary groups. */
	static const struct {
		uint32_t mode;
		const char *owner, *group, *other;
	} cases[] = {
	        {0600, "rw", "--", "--"}, {0640, "rw", "r-", "--"}, {0644, "rw", "r-", "r-"},
	        {0660, "rw", "rw", "--"}, {0666, "rw", "rw", "rw"}, {0604, "rw", "--", "r-"},
	        {0622, "rw", "--", "--"}, {0466, "r-", "rw", "rw"}, {0066, "--", "rw", "rw"},
	        {0400, "r-", "--", "--"}, {0444, "r-", "r-", "r-"}, {0606, "rw", "--", "rw"},
	};
	static const gid_t supp[] = {50, 100, 7};
	static const gid_t not_it[] = {50, 7};
	const struct peer owner = {.uid = 1000, .gid = 999}; /* the uid decides, not the gid */
	const struct peer group_primary = {.uid = 2001, .gid = 100};
	const struct peer group_supp = {.uid = 2002, .gid = 300, .groups = supp, .n_groups = 3};
	const struct peer other = {.uid = 2003, .gid = 300, .groups = not_it, .n_groups = 2};
	const struct peer creator = {.uid = 1000, .gid = 100};
	struct registry *reg = reg_new();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct registry_open_args c = reg_args("Global\\m", 4096, true);
		c.mode = cases[i].mode;
		struct registry_opened made = reg_must_open(reg, &creator, &c);
		ck_assert(made.created); /* the creator gets what it asks, whatever the mode */
		const struct {
			const struct peer *peer;
			const char *may;
		} who[] = {{&owner, cases[i].owner},
		           {&group_primary, cases[i].group},
		           {&group_supp, cases[i].group},
		           {&other, cases[i].other},
		           {&ROOT, "rw"}};
		for (size_t w = 0; w < sizeof(who) / sizeof(who[0]); w++) {
			for (int writable = 0; writable <= 1; writable++) {
				struct registry_open_args a = reg_args("Global\\m", 0, writable);
				bool allowed = who[w].may[writable] != '-';
				int r = reg_open_err(reg, who[w].peer, &a);
				ck_assert_msg(r == (allowed ? 0 : -EACCES),
				              "mode %04o peer %zu %s: %d", cases[i].mode, w,
				              writable ? "write" : "read", r);
			}
		}
		reg_drop(reg, &made);
	}
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_root_opens_anything)
{
	struct registry *reg = reg_new();
	struct registry_open_args c = reg_args("Global\\secret", 4096, true);
	c.mode = 0400;
	struct registry_opened made = reg_must_open(reg, &ALICE, &c);
	struct registry_opened w = reg_open_rw(reg, &ROOT, "Global\\secret", 0);
	ck_assert(!w.created);
	ck_assert_int_eq(fd_accmode(w.fd), O_RDWR);
	ck_assert_int_eq(
	        reg_open_err(reg, &BOB,
	                     &(struct registry_open_args){.name = "Global\\secret", .file_fd = -1}),
	        -EACCES);
	reg_drop(reg, &w);
	reg_drop(reg, &made);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_default_mode_0600)
{
	struct registry *reg = reg_new();
	struct registry_opened made = reg_open_rw(reg, &ALICE, "Global\\d", 4096);
	struct registry_open_args a = reg_args("Global\\d", 0, false);
	ck_assert_int_eq(reg_open_err(reg, &BOB, &a), -EACCES);
	const struct peer same_group = {.uid = 1002, .gid = ALICE.gid};
	ck_assert_int_eq(reg_open_err(reg, &same_group, &a), -EACCES);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), 0);
	struct wire_tag_info info;
	bool more;
	ck_assert_uint_eq(registry_list(reg, &ALICE, "", &info, 1, &more), 1);
	ck_assert_uint_eq(info.mode, 0600);
	reg_drop(reg, &made);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_reader_fd_is_readonly)
{
	struct registry *reg = reg_new();
	struct registry_opened w = reg_open_rw(reg, &ALICE, "r", 4096);
	struct registry_opened r = reg_open_ro(reg, &ALICE, "r", 0);
	ck_assert(!r.writable);
	ck_assert_int_eq(fd_accmode(r.fd), O_RDONLY);
	ck_assert_int_eq(fd_accmode(w.fd), O_RDWR);

	errno = 0;
	ck_assert_ptr_eq(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0), MAP_FAILED);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_ne(ftruncate(r.fd, 8192), 0);
	ck_assert_int_ne(ftruncate(r.fd, 0), 0);
	ck_assert_int_lt(write(r.fd, "x", 1), 0);
	ck_assert_int_eq(file_size(w.fd), 4096);

	/* It reads the same memory. */
	char *pw = map_shared(w.fd, 4096, PROT_READ | PROT_WRITE);
	char *pr = map_shared(r.fd, 4096, PROT_READ);
	memcpy(pw + 100, "data", 4);
	ck_assert_mem_eq(pr + 100, "data", 4);
	munmap(pw, 4096);
	munmap(pr, 4096);

	/* A second reader shares the twin but has a descriptor of its own. */
	struct registry_opened r2 = reg_open_ro(reg, &ALICE, "r", 0);
	ck_assert_int_ne(r2.fd, r.fd);
	ck_assert_int_eq(fd_accmode(r2.fd), O_RDONLY);
	reg_drop(reg, &r2);
	reg_drop(reg, &r);
	reg_drop(reg, &w);
	registry_destroy(reg);
}
END_TEST

/* In a child that has given up root: can the reader's descriptor be reopened for writing
 * through /proc? 0: no (EACCES), as it must be. */
static int child_try_reopen(int fd)
{
	char path[64];
	if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
		return 10;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int rw = open(path, O_RDWR | O_CLOEXEC);
	int rw_errno = errno;
	int wo = open(path, O_WRONLY | O_CLOEXEC);
	if (rw >= 0 || wo >= 0)
		return 11;
	return rw_errno == EACCES && errno == EACCES ? 0 : 12;
}

START_TEST(test_registry_reader_cannot_reopen_for_writing)
{
	struct registry *reg = reg_new();
	struct registry_open_args c = reg_args("Global\\pub", 4096, true);
	c.mode = 0666; /* even when the tag's mode would let everyone write */
	struct registry_opened w = reg_must_open(reg, &ALICE, &c);
	struct registry_opened r = reg_open_ro(reg, &BOB, "Global\\pub", 0);

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int status = child_try_reopen(r.fd);
		/* Free the child's copy, or valgrind's leak report would change the exit status. */
		registry_destroy(reg);
		_exit(status);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	reg_drop(reg, &r);
	reg_drop(reg, &w);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_memfd_sealed_and_private)
{
	struct registry *reg = reg_new();
	struct registry_opened w = reg_open_rw(reg, &ALICE, "s", 8192);
	struct stat st;

	ck_assert_int_eq(fstat(w.fd, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	int seals = fcntl(w.fd, F_GET_SEALS);
	ck_assert_int_ge(seals, 0);
	ck_assert(seals & F_SEAL_SHRINK);
	ck_assert(seals & F_SEAL_SEAL);
	ck_assert(!(seals & F_SEAL_GROW));
	ck_assert(!(seals & F_SEAL_WRITE));
	ck_assert_int_eq(ftruncate(w.fd, 4096), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(fcntl(w.fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(fcntl(w.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	struct registry_opened r = reg_open_ro(reg, &ALICE, "s", 0);
	ck_assert_int_eq(fcntl(r.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	reg_drop(reg, &r);
	reg_drop(reg, &w);
	registry_destroy(reg);
}
END_TEST

/* ---- file tags --------------------------------------------------------------------------- */

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

START_TEST(test_registry_file_tag_readers_get_rdonly)
{
	struct registry *reg = reg_new();
	int file = tmpfile_with("0123456789", 10, O_RDWR);
	struct stat fst, st;
	ck_assert_int_eq(fstat(file, &fst), 0);

	struct registry_open_args a = reg_file_args("f", file, 0, true);
	struct registry_opened w = reg_must_open(reg, &ALICE, &a);
	ck_assert(w.created);
	ck_assert_int_eq(w.kind, WIRE_KIND_FILE);
	ck_assert_uint_eq(w.size, 10);
	ck_assert_int_eq(fd_accmode(w.fd), O_RDWR);
	ck_assert_int_ne(w.fd, file);
	ck_assert(fd_is_open(file)); /* the tag keeps the file */

	struct registry_opened r = reg_open_ro(reg, &ALICE, "f", 0);
	ck_assert(!r.created);
	ck_assert_int_eq(r.kind, WIRE_KIND_FILE);
	ck_assert_int_eq(fd_accmode(r.fd), O_RDONLY);
	ck_assert_int_eq(fstat(r.fd, &st), 0);
	ck_assert(st.st_dev == fst.st_dev && st.st_ino == fst.st_ino);
	char *p = map_shared(r.fd, 10, PROT_READ);
	ck_assert_mem_eq(p, "0123456789", 10);
	munmap(p, 10);
	errno = 0;
	ck_assert_ptr_eq(mmap(NULL, 10, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0), MAP_FAILED);
	ck_assert_int_eq(errno, EACCES);
	reg_drop(reg, &r);
	reg_drop(reg, &w);
	ck_assert(!fd_is_open(file)); /* the last release closed it */
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_readonly_refuses_writers)
{
	struct registry *reg = reg_new();
	int file = tmpfile_with("abcdef", 6, O_RDONLY);
	struct registry_open_args a = reg_file_args("ro", file, 0, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EACCES); /* the creator too */
	ck_assert(!fd_is_open(file));
	ck_assert_uint_eq(reg_stats(reg).tags, 0);

	file = tmpfile_with("abcdef", 6, O_RDONLY);
	a = reg_file_args("Global\\ro", file, 0, false);
	a.mode = 0666;
	struct registry_opened r = reg_must_open(reg, &ALICE, &a);
	ck_assert_int_eq(fd_accmode(r.fd), O_RDONLY);
	struct registry_open_args w = reg_args("Global\\ro", 0, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &w), -EACCES);
	ck_assert_int_eq(reg_open_err(reg, &BOB, &w), -EACCES);  /* though the mode allows it */
	ck_assert_int_eq(reg_open_err(reg, &ROOT, &w), -EACCES); /* root cannot write it either */
	struct registry_opened r2 = reg_open_ro(reg, &BOB, "Global\\ro", 3);
	ck_assert_int_eq(fd_accmode(r2.fd), O_RDONLY);
	reg_drop(reg, &r2);
	reg_drop(reg, &r);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_same_file_reopens)
{
	char path[PATH_MAX];
	struct registry *reg = reg_new();
	int fd_count_before = fd_count();
	int file = tmpfile_named("hello world", 11, O_RDWR, path);
	struct registry_open_args a = reg_file_args("same", file, 0, true);
	struct registry_opened first = reg_must_open(reg, &ALICE, &a);

	int again = open(path, O_RDONLY | O_CLOEXEC); /* another description of the same file */
	ck_assert_int_ge(again, 0);
	a = reg_file_args("same", again, 5, true);
	struct registry_opened second = reg_must_open(reg, &ALICE, &a);
	ck_assert(!second.created);
	ck_assert_ptr_eq(second.tag, first.tag);
	ck_assert_int_eq(fd_accmode(second.fd), O_RDWR); /* the tag's file, not the opener's */
	unlink(path);
	reg_drop(reg, &second);
	reg_drop(reg, &first);
	ck_assert_int_eq(fd_count(), fd_count_before);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_other_file_eexist)
{
	struct registry *reg = reg_new();
	int f1 = tmpfile_with("one", 3, O_RDWR);
	int f2 = tmpfile_with("two", 3, O_RDWR);
	struct registry_open_args a = reg_file_args("Global\\f", f1, 0, true);
	struct registry_opened o = reg_must_open(reg, &ALICE, &a);
	int before = fd_count();
	a = reg_file_args("Global\\f", f2, 0, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EEXIST);
	ck_assert_int_eq(fd_count(), before - 1); /* f2 was consumed */
	reg_drop(reg, &o);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_on_anonymous_tag_eexist)
{
	struct registry *reg = reg_new();
	struct registry_opened o = reg_open_rw(reg, &ALICE, "anon", 4096);
	int file = tmpfile_with("data", 4, O_RDWR);
	struct registry_open_args a = reg_file_args("anon", file, 0, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EEXIST);
	ck_assert(!fd_is_open(file));
	/* And an anonymous open of a file tag attaches to the file. */
	file = tmpfile_with("data", 4, O_RDWR);
	a = reg_file_args("file", file, 0, true);
	struct registry_opened f = reg_must_open(reg, &ALICE, &a);
	struct registry_opened f2 = reg_open_rw(reg, &ALICE, "file", 0);
	ck_assert_int_eq(f2.kind, WIRE_KIND_FILE);
	ck_assert_uint_eq(f2.size, 4);
	reg_drop(reg, &f2);
	reg_drop(reg, &f);
	reg_drop(reg, &o);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_not_regular_einval)
{
	struct registry *reg = reg_new();
	int before = fd_count();
	int p[2];
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	close(p[1]);
	struct registry_open_args a = reg_file_args("pipe", p[0], 4096, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EINVAL);
	ck_assert(!fd_is_open(p[0]));
	ck_assert_int_eq(fd_count(), before);

	int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dir, 0);
	a = reg_file_args("dir", dir, 4096, false);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EINVAL);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(null, 0);
	a = reg_file_args("null", null, 4096, false);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EINVAL);
	ck_assert_int_eq(fd_count(), before);
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_fd_consumed_on_failure)
{
	struct registry *reg = reg_new();
	int before = fd_count();
	int file = tmpfile_with("data", 4, O_RDWR);
	struct registry_open_args a = reg_file_args("bad/name", file, 0, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EINVAL);
	file = tmpfile_with("data", 4, O_RDWR);
	a = reg_file_args("m", file, 0, true);
	a.mode = 01777;
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EINVAL);
	file = tmpfile_with("data", 4, O_RDWR);
	a = reg_file_args("m", file, 5, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EINVAL);
	ck_assert_int_eq(fd_count(), before);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_size_rules)
{
	struct registry *reg = reg_new();
	static const struct {
		size_t file;
		uint64_t offset, length;
		int want;
	} cases[] = {
	        {0, 0, 0, -EINVAL},
	        {0, 0, 1, -EINVAL},
	        {100, 100, 0, -EINVAL},
	        {100, 200, 0, -EINVAL},
	        {100, 0, 101, -EINVAL},
	        {100, 50, 51, -EINVAL},
	        {100, 101, 0, -EINVAL},
	        {100, 8, UINT64_MAX, -EINVAL},
	        {100, UINT64_MAX, 2, -EINVAL},
	        {100, 0, 0, 0},
	        {100, 0, 100, 0},
	        {100, 99, 0, 0},
	        {100, 50, 50, 0},
	        {100, 0, 1, 0},
	};
	char data[100] = {0};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int file = tmpfile_with(data, cases[i].file, O_RDWR);
		struct registry_open_args a = reg_file_args("sz", file, cases[i].length, true);
		a.offset = cases[i].offset;
		struct registry_opened o;
		int r = reg_try_open(reg, &ALICE, &a, &o);
		ck_assert_msg(r == cases[i].want, "case %zu: %d", i, r);
		if (r == 0) {
			ck_assert_uint_eq(o.size, cases[i].file); /* the file's size */
			reg_drop(reg, &o);
		}
	}

	/* An existing file tag: a view that does not fit is -EFBIG. */
	int file = tmpfile_with(data, 100, O_RDWR);
	struct registry_open_args a = reg_file_args("sz", file, 0, true);
	struct registry_opened o = reg_must_open(reg, &ALICE, &a);
	static const struct {
		uint64_t offset, length;
		int want;
	} later[] = {{0, 101, -EFBIG},        {50, 51, -EFBIG}, {100, 0, -EFBIG}, {200, 0, -EFBIG},
	             {UINT64_MAX, 1, -EFBIG}, {0, 0, 0},        {50, 50, 0},      {99, 1, 0}};
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
		struct registry_open_args b = reg_args("sz", later[i].length, false);
		b.offset = later[i].offset;
		ck_assert_msg(reg_open_err(reg, &ALICE, &b) == later[i].want, "later %zu", i);
	}
	reg_drop(reg, &o);
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_unreadable_and_append)
{
	char path[PATH_MAX];
	struct registry *reg = reg_new();
	int file = tmpfile_named("abcd", 4, O_WRONLY, path);
	struct registry_open_args a = reg_file_args("wo", file, 0, false);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EACCES); /* mmap needs to read it */

	file = open(path, O_PATH | O_CLOEXEC);
	ck_assert_int_ge(file, 0);
	a = reg_file_args("path", file, 0, false);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &a), -EACCES); /* an O_PATH is not open at all */

	file = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	ck_assert_int_ge(file, 0);
	unlink(path);
	a = reg_file_args("app", file, 0, false);
	struct registry_opened r = reg_must_open(reg, &ALICE, &a);
	ck_assert_int_eq(fd_accmode(r.fd), O_RDONLY); /* a reopen, not the O_RDWR file */
	struct registry_open_args w = reg_args("app", 0, true);
	ck_assert_int_eq(reg_open_err(reg, &ALICE, &w), -EACCES);
	reg_drop(reg, &r);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_resize_in_place)
{
	struct registry *reg = reg_new();
	int file = tmpfile_with("0123456789", 10, O_RDWR);
	struct registry_open_args a = reg_file_args("grow", file, 0, true);
	struct registry_opened o = reg_must_open(reg, &ALICE, &a);
	int fd;
	ck_assert_int_eq(reg_resize(reg, &o, 100, &fd), 0);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(file_size(o.fd), 100);
	ck_assert_uint_eq(registry_tag_size(o.tag), 100);
	ck_assert_int_eq(reg_resize(reg, &o, 5, &fd), 0);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(file_size(o.fd), 5);
	char buf[5];
	ck_assert_int_eq(pread(o.fd, buf, 5, 0), 5);
	ck_assert_mem_eq(buf, "01234", 5);
	ck_assert_uint_eq(reg_stats(reg).bytes, 0); /* file tags cost no bytes */
	ck_assert_uint_eq(reg_stats(reg).tags, 1);
	reg_drop(reg, &o);
	registry_destroy(reg);
}
END_TEST

Suite *registry_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc;

	tc = tcase_new("names");
	tcase_add_test(tc, test_registry_create_then_open_existing);
	tcase_add_test(tc, test_registry_open_existing_size_rules);
	tcase_add_test(tc, test_registry_must_exist_never_creates);
	tcase_add_test(tc, test_registry_anonymous_length_zero_einval);
	tcase_add_test(tc, test_registry_hostile_names_einval);
	tcase_add_test(tc, test_registry_valid_names);
	tcase_add_test(tc, test_registry_mode_over_0777_einval);
	tcase_add_test(tc, test_registry_per_user_namespaces);
	suite_add_tcase(s, tc);

	tc = tcase_new("access");
	tcase_add_test(tc, test_registry_access_matrix);
	tcase_add_test(tc, test_registry_root_opens_anything);
	tcase_add_test(tc, test_registry_default_mode_0600);
	tcase_add_test(tc, test_registry_reader_fd_is_readonly);
	tcase_add_test(tc, test_registry_reader_cannot_reopen_for_writing);
	tcase_add_test(tc, test_registry_memfd_sealed_and_private);
	suite_add_tcase(s, tc);

	tc = tcase_new("files");
	tcase_add_test(tc, test_registry_file_tag_readers_get_rdonly);
	tcase_add_test(tc, test_registry_file_readonly_refuses_writers);
	tcase_add_test(tc, test_registry_file_same_file_reopens);
	tcase_add_test(tc, test_registry_file_other_file_eexist);
	tcase_add_test(tc, test_registry_file_on_anonymous_tag_eexist);
	tcase_add_test(tc, test_registry_file_not_regular_einval);
	tcase_add_test(tc, test_registry_file_fd_consumed_on_failure);
	tcase_add_test(tc, test_registry_file_size_rules);
	tcase_add_test(tc, test_registry_file_unreadable_and_append);
	tcase_add_test(tc, test_registry_file_resize_in_place);
	suite_add_tcase(s, tc);

	return s;
}
