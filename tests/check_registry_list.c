/* check_registry_list.c: the registry of tags (daemon/registry.h), called directly with
 * synthetic peers, seen whole: list (who sees which tags, every field, cursor order and
 * paging, any cursor at all), stats, and scale (100,000 tags, and a table that survives
 * churn).
 *
 * The scale test raises RLIMIT_NOFILE for 100,000 live tags where it may, and works in batches
 * where it may not. REGISTRY_BENCH=1 in the environment prints its figures on stderr. Each
 * test makes its own registry and destroys it, and tcase_new fails any test that leaks a
 * descriptor.
 *
 * Not here: names, access and file tags (check_registry.c), lifetime, quotas and resize
 * (check_registry_life.c), the helpers all three share (registry_helpers.h).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "registry_helpers.h"
#include "../daemon/registry.h"

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
	        reg_open_rw(reg, &ALICE, "mine", 10),
	        reg_open_rw(reg, &BOB, "his", 20),
	        reg_open_rw(reg, &BOB, "Global\\pub", 30),
	        reg_open_rw(reg, &ROOT, "roots", 40),
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
		reg_drop(reg, &o[i]);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_list_fields)
{
	struct registry *reg = reg_new();
	struct registry_open_args g = reg_args("Global\\g", 5000, true);
	g.mode = 0640;
	g.persistent = true;
	const struct peer carol = {.uid = 1002, .gid = 77};
	struct registry_opened a = reg_must_open(reg, &carol, &g);
	struct registry_opened b = reg_open_ro(reg, &carol, "Global\\g", 0);
	int file = tmpfile_with("12345", 5, O_RDWR);
	struct registry_open_args f = reg_file_args("file", file, 0, true);
	struct registry_opened c = reg_must_open(reg, &carol, &f);
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
	reg_drop(reg, &a);
	reg_drop(reg, &b);
	reg_drop(reg, &c);
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
		o[i] = reg_open_rw(reg, p, name, 1);
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
		reg_drop(reg, &o[i]);
	registry_destroy(reg);
}
END_TEST

START_TEST(test_registry_list_any_cursor)
{
	struct registry *reg = reg_new();
	struct registry_opened o[] = {
	        reg_open_rw(reg, &ALICE, "a", 1),
	        reg_open_rw(reg, &ALICE, "b", 1),
	        reg_open_rw(reg, &ALICE, "Global\\a", 1),
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
		reg_drop(reg, &o[i]);
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
	struct registry_opened a = reg_open_rw(reg, &ALICE, "a", 1000);
	struct registry_opened b = reg_open_rw(reg, &BOB, "Global\\b", 24);
	struct registry_opened b2 = reg_open_rw(reg, &ROOT, "Global\\b", 0);
	int file = tmpfile_with("xyz", 3, O_RDWR);
	struct registry_open_args f = reg_file_args("f", file, 0, true);
	struct registry_opened c = reg_must_open(reg, &ALICE, &f);
	registry_stats(reg, &st);
	ck_assert_uint_eq(st.tags, 3);
	ck_assert_uint_eq(st.bytes, 1024);    /* the file costs none */
	ck_assert_uint_eq(st.connections, 7); /* left alone */
	ck_assert_uint_eq(st.requests, 8);
	ck_assert_uint_eq(st.errors, 9);
	ck_assert_uint_eq(st.handles, 10);
	reg_drop(reg, &a);
	reg_drop(reg, &b);
	reg_drop(reg, &b2);
	reg_drop(reg, &c);
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
		struct registry_open_args a = reg_args(name, 4096, true);
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
		struct registry_open_args a = reg_args(name, 0, true);
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
		ck_assert_uint_eq(reg_stats(reg).tags, (uint64_t)n);
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
		ck_assert_uint_eq(reg_stats(reg).tags, 0);
		ck_assert_uint_eq(reg_stats(reg).bytes, 0);
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
		struct registry_opened o = reg_open_rw(reg, &ALICE, name, 1);
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
			struct registry_open_args a = reg_args(name, live[i] ? 0 : 1, true);
			struct registry_opened o;
			require(registry_open(reg, &ALICE, &a, &o) == 0, "open %d", i);
			require(o.created == !live[i] && (!live[i] || o.tag == tags[i]), "tag %d",
			        i);
			close(o.fd);
			registry_release(reg, o.tag);
		}
	}
	ck_assert_uint_eq(reg_stats(reg).tags, 0);
	registry_destroy(reg);
}
END_TEST

Suite *registry_list_suite(void)
{
	Suite *s = suite_create("registry_list");
	TCase *tc;

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
