/* check_registry.c: the registry of tags (daemon/registry.h), called directly with synthetic
 * peers: names and namespaces, the owner/group/other rule, read-only descriptors, file tags,
 * lifetime, quotas, resize, list, stats, every errno the header documents, and scale.
 *
 * The tests run as root (they fork a child that drops to uid 65534 to prove that a reader's
 * descriptor cannot be reopened for writing, and raise RLIMIT_NOFILE for 100,000 tags). Each
 * test makes its own registry and destroys it, and tcase_new fails any test that leaks a
 * descriptor, so a registry that forgets to close one is caught here.
 *
 * REGISTRY_BENCH=1 in the environment prints the scale test's figures on stderr.
 *
 * Not here: sockets, handles and the wire (the integration suites).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "../daemon/registry.h"

/* Like ck_assert_msg, without the per-call bookkeeping that slows Check's asserts in loops. */
#define require(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

#define BIG UINT64_C(1) << 40

static const struct peer ALICE = {.uid = 1000, .gid = 1000};
static const struct peer BOB = {.uid = 1001, .gid = 1001};
static const struct peer ROOT = {.uid = 0, .gid = 0};

static struct registry *reg_with(uint64_t tags, uint64_t bytes, uint64_t user_tags,
                                 uint64_t user_bytes)
{
	struct registry_limits lim = {.max_tags = tags,
	                              .max_bytes = bytes,
	                              .max_tags_per_user = user_tags,
	                              .max_bytes_per_user = user_bytes};
	struct registry *reg = NULL;
	ck_assert_int_eq(registry_create(&reg, &lim), 0);
	ck_assert_ptr_nonnull(reg);
	return reg;
}

static struct registry *reg_new(void)
{
	return reg_with(1 << 20, BIG, 1 << 20, BIG);
}

static struct registry_open_args args_of(const char *name, uint64_t length, bool writable)
{
	return (struct registry_open_args){
	        .name = name, .length = length, .writable = writable, .file_fd = -1};
}

/* registry_open, checking that a failure leaves *ret untouched. */
static int try_open(struct registry *reg, const struct peer *peer,
                    const struct registry_open_args *args, struct registry_opened *ret)
{
	struct registry_opened out;
	memset(&out, 0xa5, sizeof(out));
	int r = registry_open(reg, peer, args, &out);
	if (r < 0) {
		struct registry_opened poison;
		memset(&poison, 0xa5, sizeof(poison));
		require(memcmp(&out, &poison, sizeof(out)) == 0, "a failed open wrote *ret");
	} else {
		require(out.fd >= 0, "no descriptor");
		*ret = out;
	}
	return r;
}

static int open_err(struct registry *reg, const struct peer *peer,
                    const struct registry_open_args *args)
{
	struct registry_opened o;
	int r = try_open(reg, peer, args, &o);
	if (r == 0) {
		close(o.fd);
		registry_release(reg, o.tag);
	}
	return r;
}

static struct registry_opened must_open(struct registry *reg, const struct peer *peer,
                                        const struct registry_open_args *args)
{
	struct registry_opened o;
	int r = try_open(reg, peer, args, &o);
	require(r == 0, "open %s: %s", args->name, strerror(-r));
	return o;
}

static struct registry_opened open_rw(struct registry *reg, const struct peer *peer,
                                      const char *name, uint64_t length)
{
	struct registry_open_args a = args_of(name, length, true);
	return must_open(reg, peer, &a);
}

static struct registry_opened open_ro(struct registry *reg, const struct peer *peer,
                                      const char *name, uint64_t length)
{
	struct registry_open_args a = args_of(name, length, false);
	return must_open(reg, peer, &a);
}

static void drop(struct registry *reg, struct registry_opened *o)
{
	close(o->fd);
	registry_release(reg, o->tag);
}

static char *map(int fd, size_t n, int prot)
{
	void *p = mmap(NULL, n, prot, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

static struct wire_stats stats_of(struct registry *reg)
{
	struct wire_stats st = {0};
	registry_stats(reg, &st);
	return st;
}

static int accmode(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	ck_assert_int_ge(flags, 0);
	return flags & O_ACCMODE;
}

static int resize(struct registry *reg, struct registry_opened *o, uint64_t size, int *ret_fd)
{
	*ret_fd = -2;
	return registry_resize(reg, o->tag, o->writable, size, ret_fd);
}

/* ---- names and sizes ---------------------------------------------------------------------- */

START_TEST(test_registry_create_then_open_existing)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "frames", 8192);
	ck_assert(a.created);
	ck_assert(a.writable);
	ck_assert_uint_eq(a.size, 8192);
	ck_assert_int_eq(a.kind, WIRE_KIND_ANONYMOUS);
	ck_assert_int_eq(file_size(a.fd), 8192);

	struct registry_opened b = open_rw(reg, &ALICE, "frames", 0);
	ck_assert(!b.created);
	ck_assert_ptr_eq(b.tag, a.tag);
	ck_assert_uint_eq(b.size, 8192);

	char *pa = map(a.fd, 8192, PROT_READ | PROT_WRITE);
	char *pb = map(b.fd, 8192, PROT_READ | PROT_WRITE);
	memcpy(pa + 5000, "hello", 5);
	ck_assert_mem_eq(pb + 5000, "hello", 5);
	pb[0] = 'x';
	ck_assert_int_eq(pa[0], 'x');
	munmap(pa, 8192);
	munmap(pb, 8192);
	drop(reg, &a);
	drop(reg, &b);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_must_exist_never_creates)
{
	struct registry *reg = reg_new();
	struct registry_open_args args = args_of("absent", 4096, true);

	args.must_exist = true;
	ck_assert_int_eq(open_err(reg, &ALICE, &args), -ENOENT);
	struct registry_opened a = open_rw(reg, &ALICE, "absent", 4096);
	ck_assert(a.created);
	struct registry_opened b = must_open(reg, &ALICE, &args);
	ck_assert(!b.created);
	ck_assert_ptr_eq(b.tag, a.tag);
	drop(reg, &b);
	drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_open_existing_size_rules)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "t", 1000);
	struct registry_opened b = open_rw(reg, &ALICE, "t", 10);
	ck_assert(!b.created);
	ck_assert_uint_eq(b.size, 1000); /* the reply says the tag's size, not the length */
	struct registry_opened c = open_ro(reg, &ALICE, "t", 1000);
	ck_assert_uint_eq(c.size, 1000);

	struct registry_open_args big = args_of("t", 5000, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &big), -EFBIG);
	big.length = 1001;
	ck_assert_int_eq(open_err(reg, &ALICE, &big), -EFBIG);
	big.length = UINT64_MAX;
	ck_assert_int_eq(open_err(reg, &ALICE, &big), -EFBIG);
	/* An anonymous tag ignores offset: it only places a file view. */
	struct registry_open_args off = args_of("t", 1000, true);
	off.offset = 4096;
	ck_assert_int_eq(open_err(reg, &ALICE, &off), 0);
	drop(reg, &a);
	drop(reg, &b);
	drop(reg, &c);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_anonymous_length_zero_einval)
{
	struct registry *reg = reg_new();
	struct registry_open_args a = args_of("t", 0, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EINVAL);
	ck_assert_uint_eq(stats_of(reg).tags, 0);
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
		struct registry_open_args a = args_of(name, 4096, true);
		ck_assert_msg(open_err(reg, &ALICE, &a) == -EINVAL, "name %zu accepted", i);
		ck_assert_int_eq(registry_unlink(reg, &ALICE, name), -EINVAL);
	}
	ck_assert_uint_eq(stats_of(reg).tags, 0);
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
		struct registry_opened o = open_rw(reg, &ALICE, good[i], 4096);
		ck_assert(o.created);
		snprintf(buf, sizeof(buf), "Local\\%s", good[i]);
		struct registry_opened l = open_rw(reg, &ALICE, buf, 0);
		ck_assert_ptr_eq(l.tag, o.tag);
		snprintf(buf, sizeof(buf), "Global\\%s", good[i]);
		struct registry_opened g = open_rw(reg, &ALICE, buf, 4096);
		ck_assert(g.created);
		ck_assert_ptr_ne(g.tag, o.tag);
		drop(reg, &o);
		drop(reg, &l);
		drop(reg, &g);
	}
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_mode_over_0777_einval)
{
	struct registry *reg = reg_new();
	static const uint32_t bad[] = {01000, 02000, 04000, 04755, 010000, 0x10000, UINT32_MAX};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct registry_open_args a = args_of("t", 4096, true);
		a.mode = bad[i];
		ck_assert_int_eq(open_err(reg, &ALICE, &a), -EINVAL);
	}
	struct registry_open_args a = args_of("t", 4096, true);
	a.mode = 0777;
	ck_assert_int_eq(open_err(reg, &ALICE, &a), 0);
	ck_assert_uint_eq(stats_of(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_per_user_namespaces)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "x", 4096);
	struct registry_opened b = open_rw(reg, &BOB, "x", 8192);
	ck_assert(a.created);
	ck_assert(b.created); /* Bob's "x" is not Alice's */
	ck_assert_ptr_ne(a.tag, b.tag);
	struct registry_opened a2 = open_rw(reg, &ALICE, "Local\\x", 0);
	ck_assert(!a2.created);
	ck_assert_ptr_eq(a2.tag, a.tag);
	ck_assert_uint_eq(a2.size, 4096);

	/* Root's bare names are root's own too. */
	struct registry_opened r = open_rw(reg, &ROOT, "x", 100);
	ck_assert(r.created);

	struct registry_open_args ga = args_of("Global\\x", 4096, true);
	ga.mode = 0666;
	struct registry_opened g1 = must_open(reg, &ALICE, &ga);
	struct registry_opened g2 = open_rw(reg, &BOB, "Global\\x", 0);
	ck_assert(g1.created);
	ck_assert(!g2.created);
	ck_assert_ptr_eq(g1.tag, g2.tag);
	ck_assert_ptr_ne(g1.tag, a.tag);

	ck_assert_int_eq(registry_unlink(reg, &BOB, "x"), 0); /* Bob's, not Alice's */
	struct registry_opened a3 = open_rw(reg, &ALICE, "x", 0);
	ck_assert_ptr_eq(a3.tag, a.tag);
	struct registry_opened *all[] = {&a, &b, &a2, &r, &g1, &g2, &a3};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		drop(reg, all[i]);
	ck_assert_uint_eq(stats_of(reg).tags, 0);
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
		struct registry_open_args c = args_of("Global\\m", 4096, true);
		c.mode = cases[i].mode;
		struct registry_opened made = must_open(reg, &creator, &c);
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
				struct registry_open_args a = args_of("Global\\m", 0, writable);
				bool allowed = who[w].may[writable] != '-';
				int r = open_err(reg, who[w].peer, &a);
				ck_assert_msg(r == (allowed ? 0 : -EACCES),
				              "mode %04o peer %zu %s: %d", cases[i].mode, w,
				              writable ? "write" : "read", r);
			}
		}
		drop(reg, &made);
	}
	ck_assert_uint_eq(stats_of(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_root_opens_anything)
{
	struct registry *reg = reg_new();
	struct registry_open_args c = args_of("Global\\secret", 4096, true);
	c.mode = 0400;
	struct registry_opened made = must_open(reg, &ALICE, &c);
	struct registry_opened w = open_rw(reg, &ROOT, "Global\\secret", 0);
	ck_assert(!w.created);
	ck_assert_int_eq(accmode(w.fd), O_RDWR);
	ck_assert_int_eq(
	        open_err(reg, &BOB,
	                 &(struct registry_open_args){.name = "Global\\secret", .file_fd = -1}),
	        -EACCES);
	drop(reg, &w);
	drop(reg, &made);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_default_mode_0600)
{
	struct registry *reg = reg_new();
	struct registry_opened made = open_rw(reg, &ALICE, "Global\\d", 4096);
	struct registry_open_args a = args_of("Global\\d", 0, false);
	ck_assert_int_eq(open_err(reg, &BOB, &a), -EACCES);
	const struct peer same_group = {.uid = 1002, .gid = ALICE.gid};
	ck_assert_int_eq(open_err(reg, &same_group, &a), -EACCES);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), 0);
	struct wire_tag_info info;
	bool more;
	ck_assert_uint_eq(registry_list(reg, &ALICE, "", &info, 1, &more), 1);
	ck_assert_uint_eq(info.mode, 0600);
	drop(reg, &made);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_reader_fd_is_readonly)
{
	struct registry *reg = reg_new();
	struct registry_opened w = open_rw(reg, &ALICE, "r", 4096);
	struct registry_opened r = open_ro(reg, &ALICE, "r", 0);
	ck_assert(!r.writable);
	ck_assert_int_eq(accmode(r.fd), O_RDONLY);
	ck_assert_int_eq(accmode(w.fd), O_RDWR);

	errno = 0;
	ck_assert_ptr_eq(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0), MAP_FAILED);
	ck_assert_int_eq(errno, EACCES);
	ck_assert_int_ne(ftruncate(r.fd, 8192), 0);
	ck_assert_int_ne(ftruncate(r.fd, 0), 0);
	ck_assert_int_lt(write(r.fd, "x", 1), 0);
	ck_assert_int_eq(file_size(w.fd), 4096);

	/* It reads the same memory. */
	char *pw = map(w.fd, 4096, PROT_READ | PROT_WRITE);
	char *pr = map(r.fd, 4096, PROT_READ);
	memcpy(pw + 100, "data", 4);
	ck_assert_mem_eq(pr + 100, "data", 4);
	munmap(pw, 4096);
	munmap(pr, 4096);

	/* A second reader shares the twin but has a descriptor of its own. */
	struct registry_opened r2 = open_ro(reg, &ALICE, "r", 0);
	ck_assert_int_ne(r2.fd, r.fd);
	ck_assert_int_eq(accmode(r2.fd), O_RDONLY);
	drop(reg, &r2);
	drop(reg, &r);
	drop(reg, &w);
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
	struct registry_open_args c = args_of("Global\\pub", 4096, true);
	c.mode = 0666; /* even when the tag's mode would let everyone write */
	struct registry_opened w = must_open(reg, &ALICE, &c);
	struct registry_opened r = open_ro(reg, &BOB, "Global\\pub", 0);

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
	drop(reg, &r);
	drop(reg, &w);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_memfd_sealed_and_private)
{
	struct registry *reg = reg_new();
	struct registry_opened w = open_rw(reg, &ALICE, "s", 8192);
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
	struct registry_opened r = open_ro(reg, &ALICE, "s", 0);
	ck_assert_int_eq(fcntl(r.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	drop(reg, &r);
	drop(reg, &w);
	registry_destroy(reg);
}
END_TEST

/* ---- file tags --------------------------------------------------------------------------- */

static struct registry_open_args file_args(const char *name, int fd, uint64_t length, bool writable)
{
	struct registry_open_args a = args_of(name, length, writable);
	a.file_fd = fd;
	return a;
}

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

	struct registry_open_args a = file_args("f", file, 0, true);
	struct registry_opened w = must_open(reg, &ALICE, &a);
	ck_assert(w.created);
	ck_assert_int_eq(w.kind, WIRE_KIND_FILE);
	ck_assert_uint_eq(w.size, 10);
	ck_assert_int_eq(accmode(w.fd), O_RDWR);
	ck_assert_int_ne(w.fd, file);
	ck_assert(fd_is_open(file)); /* the tag keeps the file */

	struct registry_opened r = open_ro(reg, &ALICE, "f", 0);
	ck_assert(!r.created);
	ck_assert_int_eq(r.kind, WIRE_KIND_FILE);
	ck_assert_int_eq(accmode(r.fd), O_RDONLY);
	ck_assert_int_eq(fstat(r.fd, &st), 0);
	ck_assert(st.st_dev == fst.st_dev && st.st_ino == fst.st_ino);
	char *p = map(r.fd, 10, PROT_READ);
	ck_assert_mem_eq(p, "0123456789", 10);
	munmap(p, 10);
	errno = 0;
	ck_assert_ptr_eq(mmap(NULL, 10, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0), MAP_FAILED);
	ck_assert_int_eq(errno, EACCES);
	drop(reg, &r);
	drop(reg, &w);
	ck_assert(!fd_is_open(file)); /* the last release closed it */
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_readonly_refuses_writers)
{
	struct registry *reg = reg_new();
	int file = tmpfile_with("abcdef", 6, O_RDONLY);
	struct registry_open_args a = file_args("ro", file, 0, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EACCES); /* the creator too */
	ck_assert(!fd_is_open(file));
	ck_assert_uint_eq(stats_of(reg).tags, 0);

	file = tmpfile_with("abcdef", 6, O_RDONLY);
	a = file_args("Global\\ro", file, 0, false);
	a.mode = 0666;
	struct registry_opened r = must_open(reg, &ALICE, &a);
	ck_assert_int_eq(accmode(r.fd), O_RDONLY);
	struct registry_open_args w = args_of("Global\\ro", 0, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &w), -EACCES);
	ck_assert_int_eq(open_err(reg, &BOB, &w), -EACCES);  /* though the mode allows it */
	ck_assert_int_eq(open_err(reg, &ROOT, &w), -EACCES); /* root cannot write it either */
	struct registry_opened r2 = open_ro(reg, &BOB, "Global\\ro", 3);
	ck_assert_int_eq(accmode(r2.fd), O_RDONLY);
	drop(reg, &r2);
	drop(reg, &r);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_same_file_reopens)
{
	char path[PATH_MAX];
	struct registry *reg = reg_new();
	int fd_count_before = fd_count();
	int file = tmpfile_named("hello world", 11, O_RDWR, path);
	struct registry_open_args a = file_args("same", file, 0, true);
	struct registry_opened first = must_open(reg, &ALICE, &a);

	int again = open(path, O_RDONLY | O_CLOEXEC); /* another description of the same file */
	ck_assert_int_ge(again, 0);
	a = file_args("same", again, 5, true);
	struct registry_opened second = must_open(reg, &ALICE, &a);
	ck_assert(!second.created);
	ck_assert_ptr_eq(second.tag, first.tag);
	ck_assert_int_eq(accmode(second.fd), O_RDWR); /* the tag's file, not the opener's */
	unlink(path);
	drop(reg, &second);
	drop(reg, &first);
	ck_assert_int_eq(fd_count(), fd_count_before);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_other_file_eexist)
{
	struct registry *reg = reg_new();
	int f1 = tmpfile_with("one", 3, O_RDWR);
	int f2 = tmpfile_with("two", 3, O_RDWR);
	struct registry_open_args a = file_args("Global\\f", f1, 0, true);
	struct registry_opened o = must_open(reg, &ALICE, &a);
	int before = fd_count();
	a = file_args("Global\\f", f2, 0, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EEXIST);
	ck_assert_int_eq(fd_count(), before - 1); /* f2 was consumed */
	drop(reg, &o);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_on_anonymous_tag_eexist)
{
	struct registry *reg = reg_new();
	struct registry_opened o = open_rw(reg, &ALICE, "anon", 4096);
	int file = tmpfile_with("data", 4, O_RDWR);
	struct registry_open_args a = file_args("anon", file, 0, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EEXIST);
	ck_assert(!fd_is_open(file));
	/* And an anonymous open of a file tag attaches to the file. */
	file = tmpfile_with("data", 4, O_RDWR);
	a = file_args("file", file, 0, true);
	struct registry_opened f = must_open(reg, &ALICE, &a);
	struct registry_opened f2 = open_rw(reg, &ALICE, "file", 0);
	ck_assert_int_eq(f2.kind, WIRE_KIND_FILE);
	ck_assert_uint_eq(f2.size, 4);
	drop(reg, &f2);
	drop(reg, &f);
	drop(reg, &o);
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
	struct registry_open_args a = file_args("pipe", p[0], 4096, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EINVAL);
	ck_assert(!fd_is_open(p[0]));
	ck_assert_int_eq(fd_count(), before);

	int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dir, 0);
	a = file_args("dir", dir, 4096, false);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EINVAL);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(null, 0);
	a = file_args("null", null, 4096, false);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EINVAL);
	ck_assert_int_eq(fd_count(), before);
	ck_assert_uint_eq(stats_of(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_fd_consumed_on_failure)
{
	struct registry *reg = reg_new();
	int before = fd_count();
	int file = tmpfile_with("data", 4, O_RDWR);
	struct registry_open_args a = file_args("bad/name", file, 0, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EINVAL);
	file = tmpfile_with("data", 4, O_RDWR);
	a = file_args("m", file, 0, true);
	a.mode = 01777;
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EINVAL);
	file = tmpfile_with("data", 4, O_RDWR);
	a = file_args("m", file, 5, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EINVAL);
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
		struct registry_open_args a = file_args("sz", file, cases[i].length, true);
		a.offset = cases[i].offset;
		struct registry_opened o;
		int r = try_open(reg, &ALICE, &a, &o);
		ck_assert_msg(r == cases[i].want, "case %zu: %d", i, r);
		if (r == 0) {
			ck_assert_uint_eq(o.size, cases[i].file); /* the file's size */
			drop(reg, &o);
		}
	}

	/* An existing file tag: a view that does not fit is -EFBIG. */
	int file = tmpfile_with(data, 100, O_RDWR);
	struct registry_open_args a = file_args("sz", file, 0, true);
	struct registry_opened o = must_open(reg, &ALICE, &a);
	static const struct {
		uint64_t offset, length;
		int want;
	} later[] = {{0, 101, -EFBIG},        {50, 51, -EFBIG}, {100, 0, -EFBIG}, {200, 0, -EFBIG},
	             {UINT64_MAX, 1, -EFBIG}, {0, 0, 0},        {50, 50, 0},      {99, 1, 0}};
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
		struct registry_open_args b = args_of("sz", later[i].length, false);
		b.offset = later[i].offset;
		ck_assert_msg(open_err(reg, &ALICE, &b) == later[i].want, "later %zu", i);
	}
	drop(reg, &o);
	ck_assert_uint_eq(stats_of(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_unreadable_and_append)
{
	char path[PATH_MAX];
	struct registry *reg = reg_new();
	int file = tmpfile_named("abcd", 4, O_WRONLY, path);
	struct registry_open_args a = file_args("wo", file, 0, false);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EACCES); /* mmap needs to read it */

	file = open(path, O_PATH | O_CLOEXEC);
	ck_assert_int_ge(file, 0);
	a = file_args("path", file, 0, false);
	ck_assert_int_eq(open_err(reg, &ALICE, &a), -EACCES); /* an O_PATH is not open at all */

	file = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	ck_assert_int_ge(file, 0);
	unlink(path);
	a = file_args("app", file, 0, false);
	struct registry_opened r = must_open(reg, &ALICE, &a);
	ck_assert_int_eq(accmode(r.fd), O_RDONLY); /* a reopen, not the O_RDWR file */
	struct registry_open_args w = args_of("app", 0, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &w), -EACCES);
	drop(reg, &r);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_file_resize_in_place)
{
	struct registry *reg = reg_new();
	int file = tmpfile_with("0123456789", 10, O_RDWR);
	struct registry_open_args a = file_args("grow", file, 0, true);
	struct registry_opened o = must_open(reg, &ALICE, &a);
	int fd;
	ck_assert_int_eq(resize(reg, &o, 100, &fd), 0);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(file_size(o.fd), 100);
	ck_assert_uint_eq(registry_tag_size(o.tag), 100);
	ck_assert_int_eq(resize(reg, &o, 5, &fd), 0);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(file_size(o.fd), 5);
	char buf[5];
	ck_assert_int_eq(pread(o.fd, buf, 5, 0), 5);
	ck_assert_mem_eq(buf, "01234", 5);
	ck_assert_uint_eq(stats_of(reg).bytes, 0); /* file tags cost no bytes */
	ck_assert_uint_eq(stats_of(reg).tags, 1);
	drop(reg, &o);
	registry_destroy(reg);
}
END_TEST

/* ---- lifetime ---------------------------------------------------------------------------- */

START_TEST(test_registry_last_release_destroys_tag)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "life", 4096);
	struct registry_opened b = open_rw(reg, &ALICE, "life", 0);
	ck_assert_int_eq(pwrite(a.fd, "mark", 4, 0), 4);
	drop(reg, &a);
	struct registry_opened c = open_rw(reg, &ALICE, "life", 0); /* b still holds it */
	ck_assert(!c.created);
	drop(reg, &b);
	drop(reg, &c);
	ck_assert_uint_eq(stats_of(reg).tags, 0);

	struct registry_opened d = open_rw(reg, &ALICE, "life", 2048);
	ck_assert(d.created);
	ck_assert_uint_eq(d.size, 2048);
	char buf[4];
	ck_assert_int_eq(pread(d.fd, buf, 4, 0), 4);
	ck_assert_mem_eq(buf, "\0\0\0\0", 4);
	drop(reg, &d);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_persistent_survives_release)
{
	struct registry *reg = reg_new();
	struct registry_open_args p = args_of("keep", 4096, true);
	p.persistent = true;
	struct registry_opened a = must_open(reg, &ALICE, &p);
	ck_assert_int_eq(pwrite(a.fd, "kept", 4, 0), 4);
	drop(reg, &a);
	ck_assert_uint_eq(stats_of(reg).tags, 1);

	struct registry_opened b = open_ro(reg, &ALICE, "keep", 0);
	ck_assert(!b.created);
	char buf[4];
	ck_assert_int_eq(pread(b.fd, buf, 4, 0), 4);
	ck_assert_mem_eq(buf, "kept", 4);
	drop(reg, &b);

	/* Unlink ends it, though no one holds it. */
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "keep"), 0);
	ck_assert_uint_eq(stats_of(reg).tags, 0);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "keep"), -ENOENT);
	struct registry_opened c = open_rw(reg, &ALICE, "keep", 4096);
	ck_assert(c.created);
	drop(reg, &c);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_unlink_while_held_keeps_memory)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "u", 4096);
	struct registry_opened r = open_ro(reg, &ALICE, "u", 0);
	char *p = map(a.fd, 4096, PROT_READ | PROT_WRITE);
	memcpy(p, "old", 3);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "u"), 0);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "u"), -ENOENT);

	/* The name is free: a new open makes a new tag. */
	struct registry_opened b = open_rw(reg, &ALICE, "u", 100);
	ck_assert(b.created);
	ck_assert_ptr_ne(b.tag, a.tag);
	ck_assert_uint_eq(b.size, 100);
	ck_assert_uint_eq(stats_of(reg).tags, 2);

	/* The holders still have the old memory, and may still resize it. */
	memcpy(p + 3, "er", 2);
	char buf[5];
	ck_assert_int_eq(pread(r.fd, buf, 5, 0), 5);
	ck_assert_mem_eq(buf, "older", 5);
	int fd;
	ck_assert_int_eq(resize(reg, &a, 8192, &fd), 0);
	ck_assert_int_eq(file_size(r.fd), 8192);
	munmap(p, 4096);
	drop(reg, &a);
	drop(reg, &r);
	ck_assert_uint_eq(stats_of(reg).tags, 1);
	drop(reg, &b);
	ck_assert_uint_eq(stats_of(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_unlink_errors)
{
	struct registry *reg = reg_new();
	struct registry_open_args g = args_of("Global\\g", 4096, true);
	g.mode = 0666;
	g.persistent = true;
	struct registry_opened o = must_open(reg, &ALICE, &g);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "nope"), -ENOENT);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "g"), -ENOENT); /* not her "g" */
	ck_assert_int_eq(registry_unlink(reg, &ALICE, ""), -EINVAL);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, NULL), -EINVAL);
	ck_assert_int_eq(registry_unlink(reg, &BOB, "Global\\g"), -EPERM); /* mode 0666 or not */
	ck_assert_int_eq(registry_unlink(reg, &ROOT, "Global\\g"), 0);
	drop(reg, &o);

	o = must_open(reg, &ALICE, &g);
	drop(reg, &o);
	ck_assert_uint_eq(stats_of(reg).tags, 1);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "Global\\g"), 0);
	ck_assert_uint_eq(stats_of(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_destroy_with_live_tags)
{
	int before = fd_count();
	struct registry *reg = reg_new();
	struct registry_opened held = open_rw(reg, &ALICE, "held", 4096);
	struct registry_opened reader = open_ro(reg, &ALICE, "held", 0);
	struct registry_open_args p = args_of("Global\\persist", 4096, true);
	p.persistent = true;
	struct registry_opened pers = must_open(reg, &BOB, &p);
	registry_release(reg, pers.tag);
	struct registry_opened gone = open_rw(reg, &ALICE, "gone", 4096);
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "gone"), 0);
	int file = tmpfile_with("abc", 3, O_RDWR);
	struct registry_open_args f = file_args("file", file, 0, false);
	struct registry_opened fo = must_open(reg, &ALICE, &f);

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
	struct registry_opened keep = open_rw(reg, &ALICE, "keep", 4096);
	struct rlimit old, low;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	/* Room for the memfd but not for the client's dup: creation fails half-way. */
	low.rlim_cur = (rlim_t)lowest_free_fd() + 1;
	low.rlim_max = old.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	struct registry_open_args a = args_of("new", 4096, true);
	int r1 = open_err(reg, &ALICE, &a);
	a = args_of("keep", 0, false); /* room for the twin but not for its dup */
	int r2 = open_err(reg, &ALICE, &a);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	ck_assert_int_eq(r1, -EMFILE);
	ck_assert_int_eq(r2, -EMFILE);
	ck_assert_uint_eq(stats_of(reg).tags, 1);
	ck_assert_uint_eq(stats_of(reg).bytes, 4096);
	struct registry_opened again = open_rw(reg, &ALICE, "new", 100);
	ck_assert(again.created);
	drop(reg, &again);
	drop(reg, &keep);
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
	struct registry_opened a = open_rw(reg, &ALICE, "a", 10);
	int file = tmpfile_with("x", 1, O_RDWR);
	struct registry_open_args f = file_args("b", file, 0, true);
	struct registry_opened b = must_open(reg, &ALICE, &f); /* a file tag is a tag too */
	struct registry_open_args c = args_of("c", 10, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &c), -EDQUOT);
	file = tmpfile_with("x", 1, O_RDWR);
	f = file_args("c", file, 0, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &f), -EDQUOT);
	ck_assert_int_eq(open_err(reg, &BOB, &c), 0); /* Bob has his own quota */
	/* Opening an existing tag costs nothing. */
	struct registry_opened a2 = open_rw(reg, &ALICE, "a", 0);
	drop(reg, &a2);
	drop(reg, &a);
	ck_assert_int_eq(open_err(reg, &ALICE, &c), 0);
	drop(reg, &b);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_user_bytes)
{
	struct registry *reg = reg_with(100, BIG, 100, 10000);
	struct registry_opened a = open_rw(reg, &ALICE, "a", 6000);
	struct registry_open_args b = args_of("b", 4001, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &b), -EDQUOT);
	b.length = 4000;
	ck_assert_int_eq(open_err(reg, &ALICE, &b), 0); /* exactly the limit */
	b.length = UINT64_MAX;
	ck_assert_int_eq(open_err(reg, &ALICE, &b), -EDQUOT);
	b.length = 10001;
	ck_assert_int_eq(open_err(reg, &BOB, &b), -EDQUOT);
	b.length = 10000;
	ck_assert_int_eq(open_err(reg, &BOB, &b), 0);
	drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_global_tags)
{
	struct registry *reg = reg_with(2, BIG, 100, BIG);
	struct registry_opened a = open_rw(reg, &ALICE, "a", 10);
	struct registry_opened b = open_rw(reg, &BOB, "Global\\b", 10);
	struct registry_open_args c = args_of("c", 10, true);
	ck_assert_int_eq(open_err(reg, &ROOT, &c), -EDQUOT); /* root too */
	ck_assert_int_eq(open_err(reg, &ALICE, &c), -EDQUOT);
	drop(reg, &b);
	ck_assert_int_eq(open_err(reg, &ROOT, &c), 0);
	drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_global_bytes)
{
	struct registry *reg = reg_with(100, 10000, 100, BIG);
	struct registry_opened a = open_rw(reg, &ALICE, "a", 7000);
	struct registry_open_args b = args_of("b", 3001, true);
	ck_assert_int_eq(open_err(reg, &BOB, &b), -EDQUOT);
	b.length = 3000;
	ck_assert_int_eq(open_err(reg, &BOB, &b), 0);
	drop(reg, &a);
	b.length = 10000;
	ck_assert_int_eq(open_err(reg, &BOB, &b), 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_resize_growth_edquot)
{
	struct registry *reg = reg_with(100, BIG, 100, 10000);
	struct registry_opened a = open_rw(reg, &ALICE, "a", 4000);
	int fd;
	ck_assert_int_eq(resize(reg, &a, 10001, &fd), -EDQUOT);
	ck_assert_int_eq(fd, -2); /* untouched */
	ck_assert_int_eq(file_size(a.fd), 4000);
	ck_assert_int_eq(resize(reg, &a, 10000, &fd), 0);
	ck_assert_int_eq(fd, -1);
	ck_assert_uint_eq(stats_of(reg).bytes, 10000);
	drop(reg, &a);

	struct registry *greg = reg_with(100, 5000, 100, BIG);
	a = open_rw(greg, &ALICE, "a", 4000);
	ck_assert_int_eq(resize(greg, &a, 5001, &fd), -EDQUOT);
	drop(greg, &a);
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
			o[i] = open_rw(reg, &ALICE, name, 1000);
		}
		struct registry_open_args more = args_of("more", 1, true);
		ck_assert_int_eq(open_err(reg, &ALICE, &more), -EDQUOT);
		int fd;
		ck_assert_int_eq(resize(reg, &o[0], 500, &fd), 0); /* a shrink refunds too */
		ck_assert_int_ge(fd, 0);
		close(fd);
		ck_assert_uint_eq(stats_of(reg).bytes, 2500);
		ck_assert_int_eq(resize(reg, &o[1], 1500, &fd), 0);
		for (int i = 0; i < 3; i++)
			drop(reg, &o[i]);
		ck_assert_uint_eq(stats_of(reg).tags, 0);
		ck_assert_uint_eq(stats_of(reg).bytes, 0);
	}
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_creator_pays_growth)
{
	struct registry *reg = reg_with(100, BIG, 100, 10000);
	struct registry_open_args g = args_of("Global\\shared", 1000, true);
	g.mode = 0666;
	struct registry_opened a = must_open(reg, &ALICE, &g);
	struct registry_opened b = open_rw(reg, &BOB, "Global\\shared", 0);
	int fd;
	ck_assert_int_eq(resize(reg, &b, 9000, &fd), 0); /* Bob grows it; Alice pays */
	struct registry_open_args x = args_of("x", 1001, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &x), -EDQUOT);
	x.length = 1000;
	ck_assert_int_eq(open_err(reg, &ALICE, &x), 0);
	x.length = 10000;
	ck_assert_int_eq(open_err(reg, &BOB, &x), 0); /* Bob's own quota is whole */
	ck_assert_int_eq(resize(reg, &b, 10001, &fd), -EDQUOT);
	drop(reg, &a);
	drop(reg, &b);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_quota_external_growth_charged)
{
	struct registry *reg = reg_with(100, BIG, 100, 100000);
	struct registry_opened a = open_rw(reg, &ALICE, "a", 1000);
	/* A writer grows the memfd itself: nothing stops it, but the creator pays. */
	ck_assert_int_eq(ftruncate(a.fd, 99000), 0);
	ck_assert_uint_eq(registry_tag_size(a.tag), 99000);
	struct registry_opened b = open_ro(reg, &ALICE, "a", 0);
	ck_assert_uint_eq(b.size, 99000);
	ck_assert_uint_eq(stats_of(reg).bytes, 99000);
	struct registry_open_args x = args_of("x", 1001, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &x), -EDQUOT);
	ck_assert_int_eq(ftruncate(a.fd, 200000), 0); /* past the quota */
	int fd;
	ck_assert_int_eq(resize(reg, &a, 200000, &fd), 0); /* no growth left to grant */
	ck_assert_int_eq(fd, -1);
	ck_assert_uint_eq(stats_of(reg).bytes, 200000);
	drop(reg, &b);
	ck_assert_int_eq(resize(reg, &a, 1000, &fd), 0);
	close(fd);
	ck_assert_uint_eq(stats_of(reg).bytes, 1000);
	drop(reg, &a);
	ck_assert_uint_eq(stats_of(reg).bytes, 0);
	registry_destroy(reg);
}
END_TEST

/* ---- resize ------------------------------------------------------------------------------ */

START_TEST(test_registry_resize_grow_visible)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "g", 4096);
	struct registry_opened b = open_rw(reg, &ALICE, "g", 0);
	struct registry_opened r = open_ro(reg, &ALICE, "g", 0);
	ck_assert_int_eq(pwrite(a.fd, "keep", 4, 0), 4);
	int fd;
	ck_assert_int_eq(resize(reg, &b, 3 * 4096 + 1, &fd), 0); /* growth with others holding */
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(file_size(a.fd), 3 * 4096 + 1);
	ck_assert_int_eq(file_size(r.fd), 3 * 4096 + 1);
	ck_assert_uint_eq(registry_tag_size(a.tag), 3 * 4096 + 1);
	char *p = map(a.fd, 3 * 4096 + 1, PROT_READ | PROT_WRITE);
	ck_assert_mem_eq(p, "keep", 4);
	p[3 * 4096] = 'z'; /* the new pages are there, no SIGBUS */
	munmap(p, 3 * 4096 + 1);
	struct registry_opened c = open_ro(reg, &ALICE, "g", 0);
	ck_assert_uint_eq(c.size, 3 * 4096 + 1);
	drop(reg, &c);
	drop(reg, &r);
	drop(reg, &b);
	drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_shrink_busy)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "s", 8192);
	struct registry_opened b = open_ro(reg, &ALICE, "s", 0);
	int fd;
	ck_assert_int_eq(resize(reg, &a, 4096, &fd), -EBUSY);
	ck_assert_int_eq(fd, -2);
	ck_assert_int_eq(file_size(a.fd), 8192);
	drop(reg, &b);
	ck_assert_int_eq(resize(reg, &a, 4096, &fd), 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	drop(reg, &a);

	int file = tmpfile_with("0123456789", 10, O_RDWR);
	struct registry_open_args f = file_args("f", file, 0, true);
	struct registry_opened fa = must_open(reg, &ALICE, &f);
	struct registry_opened fb = open_ro(reg, &ALICE, "f", 0);
	ck_assert_int_eq(resize(reg, &fa, 5, &fd), -EBUSY);
	ck_assert_int_eq(file_size(fa.fd), 10);
	drop(reg, &fb);
	drop(reg, &fa);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_shrink_sole_holder)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "s", 3 * 4096);
	struct registry_opened r = open_ro(reg, &ALICE, "s", 0); /* makes a twin */
	drop(reg, &r);
	char *old = map(a.fd, 3 * 4096, PROT_READ | PROT_WRITE);
	memset(old, 'a', 4096);
	memset(old + 4096, 'b', 4096);
	memset(old + 8192, 'c', 4096);

	int fd;
	ck_assert_int_eq(resize(reg, &a, 4096 + 100, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fd, a.fd);
	ck_assert_int_eq(accmode(fd), O_RDWR);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(file_size(fd), 4096 + 100);
	ck_assert_uint_eq(registry_tag_size(a.tag), 4096 + 100);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	int seals = fcntl(fd, F_GET_SEALS);
	ck_assert((seals & (F_SEAL_SHRINK | F_SEAL_SEAL)) == (F_SEAL_SHRINK | F_SEAL_SEAL));

	char *neu = map(fd, 4096 + 100, PROT_READ | PROT_WRITE);
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
	struct registry_opened r2 = open_ro(reg, &ALICE, "s", 0);
	ck_assert_uint_eq(r2.size, 4096 + 100);
	ck_assert_int_eq(accmode(r2.fd), O_RDONLY);
	char c;
	ck_assert_int_eq(pread(r2.fd, &c, 1, 0), 1);
	ck_assert_int_eq(c, 'N');
	drop(reg, &r2);
	munmap(old, 3 * 4096);
	munmap(neu, 4096 + 100);
	close(fd);
	drop(reg, &a);
	ck_assert_uint_eq(stats_of(reg).bytes, 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_shrink_sparse)
{
	const uint64_t gib = UINT64_C(1) << 30;
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "sparse", gib);
	ck_assert_int_eq(pwrite(a.fd, "head", 4, 0), 4);
	ck_assert_int_eq(pwrite(a.fd, "mid", 3, 300 << 20), 3);
	ck_assert_int_eq(pwrite(a.fd, "tail", 4, 700 << 20), 4);
	int fd;
	ck_assert_int_eq(resize(reg, &a, gib / 2, &fd), 0);
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
	drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_reader_eacces)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "r", 4096);
	struct registry_opened r = open_ro(reg, &ALICE, "r", 0);
	int fd;
	ck_assert_int_eq(resize(reg, &r, 8192, &fd), -EACCES);
	ck_assert_int_eq(resize(reg, &r, 0, &fd), -EACCES); /* access is checked first */
	ck_assert_int_eq(fd, -2);
	ck_assert_int_eq(file_size(a.fd), 4096);
	drop(reg, &r);
	drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_zero_einval)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "z", 4096);
	int fd;
	ck_assert_int_eq(resize(reg, &a, 0, &fd), -EINVAL);
	ck_assert_int_eq(fd, -2);
	ck_assert_int_eq(file_size(a.fd), 4096);
	ck_assert_int_eq(resize(reg, &a, 4096, &fd), 0); /* the same size: nothing to do */
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(resize(reg, &a, UINT64_MAX, &fd), -EDQUOT); /* the quota first */
	drop(reg, &a);
	registry_destroy(reg);

	/* Without quotas, the system's limit on a file's size. */
	reg = reg_with(UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX);
	a = open_rw(reg, &ALICE, "z", 4096);
	ck_assert_int_eq(resize(reg, &a, UINT64_MAX, &fd), -EFBIG);
	ck_assert_int_eq(fd, -2);
	ck_assert_uint_eq(stats_of(reg).bytes, 4096);
	struct registry_open_args huge = args_of("huge", (uint64_t)INT64_MAX + 1, true);
	ck_assert_int_eq(open_err(reg, &ALICE, &huge), -EFBIG);
	ck_assert_uint_eq(stats_of(reg).tags, 1);
	drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_resize_after_external_growth)
{
	struct registry *reg = reg_new();
	struct registry_opened a = open_rw(reg, &ALICE, "e", 4096);
	struct registry_opened b = open_rw(reg, &ALICE, "e", 0);
	ck_assert_int_eq(ftruncate(b.fd, 16384), 0);
	int fd;
	/* 8192 is a shrink of the real size: refused while b holds it. */
	ck_assert_int_eq(resize(reg, &a, 8192, &fd), -EBUSY);
	ck_assert_int_eq(resize(reg, &a, 16384, &fd), 0);
	ck_assert_int_eq(fd, -1);
	drop(reg, &b);
	ck_assert_int_eq(resize(reg, &a, 8192, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(file_size(fd), 8192);
	close(fd);
	drop(reg, &a);
	registry_destroy(reg);
}
END_TEST

/* ---- list and stats ---------------------------------------------------------------------- */

static size_t list_all(struct registry *reg, const struct peer *peer, struct wire_tag_info *out,
                       size_t max)
{
	bool more = true;
	size_t n = registry_list(reg, peer, "", out, max, &more);
	ck_assert(!more);
	return n;
}

START_TEST(test_registry_list_visibility)
{
	struct registry *reg = reg_new();
	struct registry_opened o[] = {
	        open_rw(reg, &ALICE, "mine", 10),
	        open_rw(reg, &BOB, "his", 20),
	        open_rw(reg, &BOB, "Global\\pub", 30),
	        open_rw(reg, &ROOT, "roots", 40),
	};
	struct wire_tag_info info[8];
	ck_assert_uint_eq(list_all(reg, &ALICE, info, 8), 2);
	ck_assert_str_eq(info[0].name, "Global\\pub"); /* mode 0600: still listed */
	ck_assert_str_eq(info[1].name, "mine");
	ck_assert_uint_eq(list_all(reg, &BOB, info, 8), 2);
	ck_assert_str_eq(info[0].name, "Global\\pub");
	ck_assert_str_eq(info[1].name, "his");
	ck_assert_uint_eq(list_all(reg, &ROOT, info, 8), 4);
	ck_assert_str_eq(info[0].name, "Global\\pub");
	ck_assert_str_eq(info[1].name, "roots"); /* uid 0 first */
	ck_assert_str_eq(info[2].name, "mine");
	ck_assert_str_eq(info[3].name, "his");
	ck_assert_uint_eq(info[2].namespace_uid, 1000);
	ck_assert_uint_eq(info[3].namespace_uid, 1001);
	const struct peer nobody = {.uid = 65534, .gid = 65534};
	ck_assert_uint_eq(list_all(reg, &nobody, info, 8), 1);
	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		drop(reg, &o[i]);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_list_fields)
{
	struct registry *reg = reg_new();
	struct registry_open_args g = args_of("Global\\g", 5000, true);
	g.mode = 0640;
	g.persistent = true;
	const struct peer carol = {.uid = 1002, .gid = 77};
	struct registry_opened a = must_open(reg, &carol, &g);
	struct registry_opened b = open_ro(reg, &carol, "Global\\g", 0);
	int file = tmpfile_with("12345", 5, O_RDWR);
	struct registry_open_args f = file_args("file", file, 0, true);
	struct registry_opened c = must_open(reg, &carol, &f);
	struct wire_tag_info info[2];
	ck_assert_uint_eq(list_all(reg, &carol, info, 2), 2);

	ck_assert_str_eq(info[0].name, "Global\\g");
	ck_assert(info[0].global);
	ck_assert_int_eq(info[0].kind, WIRE_KIND_ANONYMOUS);
	ck_assert_uint_eq(info[0].size, 5000);
	ck_assert_uint_eq(info[0].holders, 2);
	ck_assert_uint_eq(info[0].owner_uid, 1002);
	ck_assert_uint_eq(info[0].owner_gid, 77);
	ck_assert_uint_eq(info[0].mode, 0640);
	ck_assert(info[0].persistent);
	ck_assert_str_eq(info[0].cursor, "g/g");

	ck_assert_str_eq(info[1].name, "file");
	ck_assert(!info[1].global);
	ck_assert_uint_eq(info[1].namespace_uid, 1002);
	ck_assert_int_eq(info[1].kind, WIRE_KIND_FILE);
	ck_assert_uint_eq(info[1].size, 5);
	ck_assert_uint_eq(info[1].holders, 1);
	ck_assert_uint_eq(info[1].mode, 0600);
	ck_assert(!info[1].persistent);
	ck_assert_str_eq(info[1].cursor, "u/0000001002/file");

	/* The size is the real one, after a growth behind the daemon's back. */
	ck_assert_int_eq(ftruncate(a.fd, 6000), 0);
	ck_assert_uint_eq(list_all(reg, &carol, info, 2), 2);
	ck_assert_uint_eq(info[0].size, 6000);
	drop(reg, &a);
	drop(reg, &b);
	drop(reg, &c);
	ck_assert_int_eq(registry_unlink(reg, &carol, "Global\\g"), 0);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_list_order_and_paging)
{
	enum { N = 300 };
	static struct registry_opened o[N];
	static struct wire_tag_info info[N + 1];
	struct registry *reg = reg_new();
	char name[64];

	/* Made in a scrambled order; listed in cursor order. */
	for (int i = 0; i < N; i++) {
		int k = (i * 7919) % N;
		const struct peer *p = k % 3 == 0 ? &ALICE : &ROOT;
		snprintf(name, sizeof(name), k % 3 == 2 ? "Global\\n%03d" : "n%03d", k);
		o[i] = open_rw(reg, p, name, 1);
	}
	bool more = false;
	size_t total = 0;
	char after[WIRE_CURSOR_MAX + 1] = "";
	for (int page = 0;; page++) {
		size_t want = page % 2 ? 7 : 50;
		size_t n = registry_list(reg, &ROOT, after, info + total, want, &more);
		ck_assert_uint_le(n, want);
		total += n;
		if (!more)
			break;
		ck_assert_uint_eq(n, want);
		snprintf(after, sizeof(after), "%s", info[total - 1].cursor);
	}
	ck_assert_uint_eq(total, N);
	for (size_t i = 1; i < total; i++)
		require(strcmp(info[i - 1].cursor, info[i].cursor) < 0, "order at %zu", i);
	/* Globals first, then root's own, then uid 1000's. */
	ck_assert_str_eq(info[0].name, "Global\\n002");
	ck_assert_str_eq(info[0].cursor, "g/n002");
	ck_assert_str_eq(info[100].name, "n001");
	ck_assert_str_eq(info[100].cursor, "u/0000000000/n001");
	ck_assert_str_eq(info[200].name, "n000");
	ck_assert_str_eq(info[200].cursor, "u/0000001000/n000");

	/* One call may ask for more than a pass selects. */
	ck_assert_uint_eq(registry_list(reg, &ROOT, "", info, N + 1, &more), N);
	ck_assert(!more);
	ck_assert_uint_eq(registry_list(reg, &ROOT, "", info, N, &more), N);
	ck_assert(!more);
	ck_assert_uint_eq(registry_list(reg, &ROOT, "", info, N - 1, &more), N - 1);
	ck_assert(more);
	ck_assert_uint_eq(registry_list(reg, &ROOT, "", info, 129, &more), 129);
	ck_assert(more);
	ck_assert_str_eq(info[128].cursor, "u/0000000000/n085");
	for (int i = 0; i < N; i++)
		drop(reg, &o[i]);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_list_any_cursor)
{
	struct registry *reg = reg_new();
	struct registry_opened o[] = {
	        open_rw(reg, &ALICE, "a", 1),
	        open_rw(reg, &ALICE, "b", 1),
	        open_rw(reg, &ALICE, "Global\\a", 1),
	};
	struct wire_tag_info info[4];
	bool more = true;
	ck_assert_uint_eq(registry_list(reg, &ALICE, "zzz", info, 4, &more), 0);
	ck_assert(!more);
	ck_assert_uint_eq(registry_list(reg, &ALICE, "h", info, 4, &more), 2); /* past "g/" */
	ck_assert_str_eq(info[0].name, "a");
	ck_assert_uint_eq(registry_list(reg, &ALICE, "u/0000001000/a", info, 4, &more), 1);
	ck_assert_str_eq(info[0].name, "b");
	ck_assert_uint_eq(registry_list(reg, &ALICE, "u/0000001000/a\x01", info, 4, &more), 1);
	ck_assert_uint_eq(registry_list(reg, &ALICE, NULL, info, 4, &more), 3);
	ck_assert_uint_eq(registry_list(reg, &ALICE, "\xff\xff/../x", info, 4, &more), 0);
	/* max 0 only says whether there is anything. */
	ck_assert_uint_eq(registry_list(reg, &ALICE, "", info, 0, &more), 0);
	ck_assert(more);
	ck_assert_uint_eq(registry_list(reg, &ALICE, "zzz", info, 0, &more), 0);
	ck_assert(!more);

	/* An unlinked tag is gone from the list even while held. */
	ck_assert_int_eq(registry_unlink(reg, &ALICE, "a"), 0);
	ck_assert_uint_eq(registry_list(reg, &ALICE, "", info, 4, &more), 2);
	for (size_t i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		drop(reg, &o[i]);
	ck_assert_uint_eq(registry_list(reg, &ROOT, "", info, 4, &more), 0);
	ck_assert(!more);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_stats)
{
	struct registry *reg = reg_new();
	struct wire_stats st = {.connections = 7, .requests = 8, .errors = 9, .handles = 10};
	registry_stats(reg, &st);
	ck_assert_uint_eq(st.tags, 0);
	ck_assert_uint_eq(st.bytes, 0);
	struct registry_opened a = open_rw(reg, &ALICE, "a", 1000);
	struct registry_opened b = open_rw(reg, &BOB, "Global\\b", 24);
	struct registry_opened b2 = open_rw(reg, &ROOT, "Global\\b", 0);
	int file = tmpfile_with("xyz", 3, O_RDWR);
	struct registry_open_args f = file_args("f", file, 0, true);
	struct registry_opened c = must_open(reg, &ALICE, &f);
	registry_stats(reg, &st);
	ck_assert_uint_eq(st.tags, 3);
	ck_assert_uint_eq(st.bytes, 1024);    /* the file costs none */
	ck_assert_uint_eq(st.connections, 7); /* left alone */
	ck_assert_uint_eq(st.requests, 8);
	ck_assert_uint_eq(st.errors, 9);
	ck_assert_uint_eq(st.handles, 10);
	drop(reg, &a);
	drop(reg, &b);
	drop(reg, &b2);
	drop(reg, &c);
	registry_stats(reg, &st);
	ck_assert_uint_eq(st.tags, 0);
	ck_assert_uint_eq(st.bytes, 0);
	registry_destroy(reg);
}
END_TEST

/* ---- scale ------------------------------------------------------------------------------- */

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Raises the descriptor limit to want if it is lower; returns how many tags fit. */
static int room_for_tags(int want)
{
	struct rlimit lim;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &lim), 0);
	rlim_t need = (rlim_t)want + 256;
	if (lim.rlim_cur < need) {
		struct rlimit more = {.rlim_cur = need,
		                      .rlim_max = lim.rlim_max > need ? lim.rlim_max : need};
		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return want;
		return lim.rlim_cur > 512 ? (int)(lim.rlim_cur - 512) : 0;
	}
	return want;
}

static void scale_name(char *buf, size_t n, int i, struct peer *ret)
{
	/* Half global, half spread over 100 users' namespaces. */
	*ret = (struct peer){.uid = 1000 + (uid_t)(i % 100), .gid = 100};
	snprintf(buf, n, i % 2 ? "Global\\tag-%d" : "tag-%d", i);
}

/* Creates tags first..first+n-1 into tags[], each with one holder. */
static void scale_create(struct registry *reg, int first, int n, struct tag **tags)
{
	char name[64];
	struct peer p;
	for (int i = 0; i < n; i++) {
		scale_name(name, sizeof(name), first + i, &p);
		struct registry_open_args a = args_of(name, 4096, true);
		struct registry_opened o;
		int r = registry_open(reg, &p, &a, &o);
		require(r == 0 && o.created, "tag %d: %d", first + i, r);
		close(o.fd);
		tags[i] = o.tag;
	}
}

/* Opens each of them again (a lookup) and releases that hold. */
static void scale_lookup(struct registry *reg, int first, int n, struct tag **tags)
{
	char name[64];
	struct peer p;
	for (int i = 0; i < n; i++) {
		scale_name(name, sizeof(name), first + i, &p);
		/* Writable: a reader would add a read-only twin, a descriptor per tag. */
		struct registry_open_args a = args_of(name, 0, true);
		struct registry_opened o;
		int r = registry_open(reg, &p, &a, &o);
		require(r == 0 && !o.created && o.tag == tags[i], "lookup %d: %d", first + i, r);
		close(o.fd);
		registry_release(reg, o.tag);
	}
}

/* 100,000 tags made and released, as many live at once as the descriptor limit allows (each
 * live tag holds a memfd): all of them where RLIMIT_NOFILE can be raised, in batches where it
 * cannot (a container without CAP_SYS_RESOURCE). The time is dominated by the six or so
 * system calls per tag; the bound is loose on purpose. */
START_TEST(test_registry_100k_tags)
{
	bool slow = getenv("MMAPC_TEST_VALGRIND") != NULL;
	int total = slow ? 3000 : 100000;
	int live = room_for_tags(total);
	struct tag **tags = calloc((size_t)live, sizeof(*tags));
	struct wire_tag_info *page = calloc(WIRE_LIST_MAX, sizeof(*page));
	struct registry *reg = reg_with(1u << 20, BIG, 1u << 20, BIG);
	double t_create = 0, t_lookup = 0, t_list = 0, t_release = 0, t;
	size_t per_tag = 0;
	bool more;
	ck_assert_ptr_nonnull(tags);
	ck_assert_ptr_nonnull(page);
	ck_assert_int_gt(live, 0);

	for (int first = 0; first < total; first += live) {
		int n = total - first < live ? total - first : live;
		struct mallinfo2 m0 = mallinfo2();
		t = now_seconds();
		scale_create(reg, first, n, tags);
		t_create += now_seconds() - t;
		struct mallinfo2 m1 = mallinfo2();
		/* Big blocks (the table) are mmapped: hblkhd counts them. */
		size_t used0 = m0.uordblks + m0.hblkhd, used1 = m1.uordblks + m1.hblkhd;
		if (first == 0 && used1 > used0)
			per_tag = (used1 - used0) / (size_t)n;
		ck_assert_uint_eq(stats_of(reg).tags, (uint64_t)n);
		t = now_seconds();
		scale_lookup(reg, first, n, tags);
		t_lookup += now_seconds() - t;
		t = now_seconds();
		size_t got = registry_list(reg, &ROOT, "", page, WIRE_LIST_MAX, &more);
		if (first == 0)
			t_list = now_seconds() - t;
		ck_assert_uint_eq(got, n < WIRE_LIST_MAX ? (size_t)n : WIRE_LIST_MAX);
		t = now_seconds();
		for (int i = 0; i < n; i++)
			registry_release(reg, tags[i]);
		t_release += now_seconds() - t;
		ck_assert_uint_eq(stats_of(reg).tags, 0);
		ck_assert_uint_eq(stats_of(reg).bytes, 0);
	}
	if (getenv("REGISTRY_BENCH"))
		fprintf(stderr,
		        "registry: %d tags, %d live at most: create %.3f s, lookup %.3f s, "
		        "release %.3f s; a list page over %d tags %.4f s; heap %zu bytes per tag\n",
		        total, live, t_create, t_lookup, t_release, live, t_list, per_tag);
	ck_assert_uint_lt(per_tag, 1024);
	if (!slow)
		ck_assert_msg(t_create + t_release < 20.0, "%d tags took %.2f s", total,
		              t_create + t_release);
	free(page);
	free(tags);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_table_survives_churn)
{
	enum { N = 3000 };
	static struct tag *tags[N];
	static bool live[N];
	struct registry *reg = reg_new();
	char name[32];

	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		struct registry_opened o = open_rw(reg, &ALICE, name, 1);
		close(o.fd);
		tags[i] = o.tag;
		live[i] = true;
	}
	/* Release in a scrambled order; every survivor must still be found at each step, so
	 * the deletions never break a probe run (and the table shrinks on the way). */
	for (int step = 0; step < N; step++) {
		int k = (int)(((long)step * 1103) % N);
		registry_release(reg, tags[k]);
		live[k] = false;
		if (step % 97 != 0)
			continue;
		for (int i = 0; i < N; i++) {
			snprintf(name, sizeof(name), "c%d", i);
			struct registry_open_args a = args_of(name, live[i] ? 0 : 1, true);
			struct registry_opened o;
			require(registry_open(reg, &ALICE, &a, &o) == 0, "open %d", i);
			require(o.created == !live[i] && (!live[i] || o.tag == tags[i]), "tag %d",
			        i);
			close(o.fd);
			registry_release(reg, o.tag);
		}
	}
	ck_assert_uint_eq(stats_of(reg).tags, 0);
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

	tc = tcase_new("list");
	tcase_add_test(tc, test_registry_list_visibility);
	tcase_add_test(tc, test_registry_list_fields);
	tcase_add_test(tc, test_registry_list_order_and_paging);
	tcase_add_test(tc, test_registry_list_any_cursor);
	tcase_add_test(tc, test_registry_stats);
	suite_add_tcase(s, tc);

	tc = tcase_new("scale");
	tcase_add_test(tc, test_registry_100k_tags);
	tcase_add_test(tc, test_registry_table_survives_churn);
	suite_add_tcase(s, tc);

	return s;
}
