/* check_mmapctl.c: mmapctl, the real binary ($MMAPCTL_BIN), driven end to end against a real
 * mmapd: every command's output and exit status, and its errors.
 *
 * Each test runs mmapctl through ctl_helpers.c (fork and exec, its standard input fed and its
 * output and error collected through pipes) and checks what it printed against what libmmapc
 * in this process sees of the same daemon: tags are made, and what mmapctl did to them is
 * checked, through libmmapc directly. JSON output is checked by ctl_helpers.c's validator (the
 * whole grammar) and by reading fields out of each one-line object.
 *
 * Not here: running mmapctl and reading its output (ctl_helpers.c), the administration calls
 * themselves (check_daemon.c), the registry's listing rules (check_registry_list.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_helpers.h"
#include "helpers.h"

static struct test_daemon daemon_;

static void start(void)
{
	daemon_start(&daemon_, NULL);
}

static void stop(void)
{
	daemon_stop(&daemon_);
}

/* ---- tags, through libmmapc -------------------------------------------------------------- */

static mmapc_map *tag_new(const char *name, int64_t length, unsigned int mode, unsigned int bits)
{
	struct mmapc_options o = {.tagname = name, .mode = mode, .options = bits};
	mmapc_map *m = NULL;
	int r = mmapc_open(&m, -1, length, MMAPC_ACCESS_DEFAULT, 0, &o);

	ck_assert_msg(r == 0, "opening %s: %s", name, strerror(-r));
	ck_assert_int_eq(mmapc_created(m), 1);
	return m;
}

/* A persistent tag that nobody holds. */
static void tag_persistent(const char *name, int64_t length)
{
	mmapc_free(tag_new(name, length, 0, MMAPC_PERSISTENT));
}

struct find {
	const char *name;
	struct mmapc_tag_info info;
	int found;
};

static int find_cb(const struct mmapc_tag_info *info, void *arg)
{
	struct find *f = arg;
	if (!strcmp(info->name, f->name)) {
		f->info = *info;
		f->found++;
	}
	return 0;
}

/* Whether the daemon lists the tag (its info in *ret if ret is not NULL). */
static bool tag_listed(const char *name, struct mmapc_tag_info *ret)
{
	struct find f = {.name = name};
	ck_assert_int_eq(mmapc_list(NULL, find_cb, &f), 0);
	if (f.found && ret)
		*ret = f.info;
	return f.found;
}

/* A holder's exit is noticed by the daemon a moment later: waits up to 5 s for the tag to be
 * listed (or not) with the holders given (-1: any), and says whether it came to that. */
static bool tag_settles(const char *name, bool listed, int holders)
{
	struct mmapc_tag_info info;

	for (int i = 0; i < 500; i++) {
		bool now = tag_listed(name, &info);
		if (now == listed && (!now || holders < 0 || info.holders == (uint32_t)holders))
			return true;
		usleep(10000);
	}
	return false;
}

static int count_cb(const struct mmapc_tag_info *info, void *arg)
{
	(void)info;
	(*(int *)arg)++;
	return 0;
}

static int tag_count(void)
{
	int n = 0;
	ck_assert_int_eq(mmapc_list(NULL, count_cb, &n), 0);
	return n;
}

/* ---- names --------------------------------------------------------------------------------- */

static void user_text(uid_t uid, char *buf, size_t n)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, n, "%s", pw->pw_name);
	else
		snprintf(buf, n, "%u", (unsigned int)uid);
}

static void owner_text(uid_t uid, gid_t gid, char *buf, size_t n)
{
	struct group *gr = getgrgid(gid);
	user_text(uid, buf, n);
	size_t len = strlen(buf);
	if (gr)
		snprintf(buf + len, n - len, ":%s", gr->gr_name);
	else
		snprintf(buf + len, n - len, ":%u", (unsigned int)gid);
}

/* ---- list ---------------------------------------------------------------------------------- */

START_TEST(test_mmapctl_list_empty)
{
	struct ctl_run r = ctl("list");
	ctl_expect_status(&r, 0);
	ck_assert_str_eq(r.out, "TAG  NAMESPACE  KIND  SIZE  HOLDERS  OWNER  MODE  PERSISTENT\n");
	ck_assert_str_eq(r.err, "");
	ctl_run_free(&r);

	r = ctl("--json", "list");
	ctl_expect_status(&r, 0);
	ck_assert_int_eq(ctl_json_check(r.out), 0);
	ck_assert_str_eq(r.out, "[]\n");
	ctl_run_free(&r);
}
END_TEST

/* Run as another user: creates a global tag and one of its own, both persistent. */
static int make_tags_as(uid_t uid)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mmapc_options g = {
		        .tagname = "Global\\theirs", .mode = 0604, .options = MMAPC_PERSISTENT};
		struct mmapc_options own = {.tagname = "own", .options = MMAPC_PERSISTENT};
		mmapc_map *a = NULL, *b = NULL;
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(2);
		if (mmapc_open(&a, -1, 12288, 0, 0, &g) || mmapc_open(&b, -1, 5, 0, 0, &own))
			_exit(3);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_mmapctl_list_columns)
{
	char row[512], me[64], owner[128], ns[80];
	mmapc_map *alpha = tag_new("alpha", 4096, 0, 0);
	mmapc_map *pub = tag_new("Global\\pub", 8192, 0644, 0);
	tag_persistent("keep", 100);
	user_text(getuid(), me, sizeof(me));
	snprintf(ns, sizeof(ns), "user %s", me);
	owner_text(getuid(), getgid(), owner, sizeof(owner));
	/* Root also sees another user's tags, whose ids have no names here. */
	bool other = getuid() == 0 && !getpwuid(54321) && !getgrgid(54321);
	if (other)
		ck_assert_int_eq(make_tags_as(54321), 0);

	struct ctl_run r = ctl("list");
	ctl_expect_status(&r, 0);
	ctl_expect_header(r.out);
	int lines = 0;
	for (const char *p = r.out; (p = strchr(p, '\n')); p++)
		lines++;
	ck_assert_int_eq(lines, 1 + (other ? 5 : 3));
	const char *hdr = r.out;
	ctl_table_row(r.out, "alpha", row, sizeof(row));
	ctl_expect_cell(hdr, row, "TAG", "alpha", false);
	ctl_expect_cell(hdr, row, "NAMESPACE", ns, false);
	ctl_expect_cell(hdr, row, "KIND", "anonymous", false);
	ctl_expect_cell(hdr, row, "SIZE", "4096", true);
	ctl_expect_cell(hdr, row, "HOLDERS", "1", true);
	ctl_expect_cell(hdr, row, "OWNER", owner, false);
	ctl_expect_cell(hdr, row, "MODE", "0600", false);
	ctl_expect_cell(hdr, row, "PERSISTENT", "no", false);
	ctl_table_row(r.out, "Global\\pub", row, sizeof(row));
	ctl_expect_cell(hdr, row, "NAMESPACE", "global", false);
	ctl_expect_cell(hdr, row, "SIZE", "8192", true);
	ctl_expect_cell(hdr, row, "MODE", "0644", false);
	ctl_table_row(r.out, "keep", row, sizeof(row));
	ctl_expect_cell(hdr, row, "SIZE", "100", true);
	ctl_expect_cell(hdr, row, "HOLDERS", "0", true);
	ctl_expect_cell(hdr, row, "PERSISTENT", "yes", false);
	if (other) {
		ctl_table_row(r.out, "Global\\theirs", row, sizeof(row));
		ctl_expect_cell(hdr, row, "OWNER", "54321:54321", false);
		ctl_expect_cell(hdr, row, "MODE", "0604", false);
		ctl_expect_cell(hdr, row, "SIZE", "12288", true);
		ctl_table_row(r.out, "own", row, sizeof(row));
		ctl_expect_cell(hdr, row, "NAMESPACE", "user 54321", false);
	}
	ctl_run_free(&r);
	mmapc_free(alpha);
	mmapc_free(pub);
}
END_TEST

START_TEST(test_mmapctl_list_json)
{
	char obj[1024], me[64];
	mmapc_map *alpha = tag_new("alpha", 4096, 0, 0);
	mmapc_map *odd = tag_new("Global\\a\"b", 8192, 0644, 0);
	tag_persistent("keep", 100);
	user_text(getuid(), me, sizeof(me));

	struct ctl_run r = ctl("list", "--json");
	ctl_expect_status(&r, 0);
	ck_assert_int_eq(ctl_json_check(r.out), 3);
	/* The name Global\a"b, as a JSON string. */
	ctl_json_object(r.out, "\"Global\\\\a\\\"b\"", obj, sizeof(obj));
	ctl_json_expect(obj, "namespace", "\"global\"");
	ctl_json_expect(obj, "namespace_uid", "null");
	ctl_json_expect(obj, "kind", "\"anonymous\"");
	ck_assert_uint_eq(ctl_json_uint(obj, "size"), 8192);
	ck_assert_uint_eq(ctl_json_uint(obj, "holders"), 1);
	ctl_json_expect(obj, "mode", "\"0644\"");
	ctl_json_expect(obj, "persistent", "false");
	ctl_json_object(r.out, "\"alpha\"", obj, sizeof(obj));
	ctl_json_expect(obj, "namespace", "\"user\"");
	ck_assert_uint_eq(ctl_json_uint(obj, "namespace_uid"), getuid());
	ck_assert_uint_eq(ctl_json_uint(obj, "owner_uid"), getuid());
	ck_assert_uint_eq(ctl_json_uint(obj, "owner_gid"), getgid());
	if (getpwuid(getuid())) {
		char quoted[80];
		snprintf(quoted, sizeof(quoted), "\"%s\"", me);
		ctl_json_expect(obj, "owner", quoted);
		ctl_json_expect(obj, "namespace_user", quoted);
	}
	ck_assert_uint_eq(ctl_json_uint(obj, "size"), 4096);
	ctl_json_expect(obj, "mode", "\"0600\"");
	ctl_json_object(r.out, "\"keep\"", obj, sizeof(obj));
	ck_assert_uint_eq(ctl_json_uint(obj, "size"), 100);
	ck_assert_uint_eq(ctl_json_uint(obj, "holders"), 0);
	ctl_json_expect(obj, "persistent", "true");
	ctl_run_free(&r);
	mmapc_free(alpha);
	mmapc_free(odd);
}
END_TEST

/* ---- stat and ping -------------------------------------------------------------------------- */

/* Makes the counters worth comparing, each a different number: four tags (three held, one
 * persistent), five refused requests, and this process's one connection. */
static void busy_daemon(mmapc_map *held[3], struct mmapc_stats *before)
{
	struct mmapc_options bad = {.tagname = "no/slash"};
	mmapc_map *m;

	held[0] = tag_new("held0", 8192, 0, 0);
	held[1] = tag_new("held1", 8192, 0, 0);
	held[2] = tag_new("Global\\held2", 8192, 0, 0);
	tag_persistent("kept", 4096);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(mmapc_open(&m, -1, 10, 0, 0, &bad), -EINVAL);
	ck_assert_int_eq(mmapc_stat(NULL, before), 0);
	ck_assert_uint_eq(before->tags, 4);
	ck_assert_uint_eq(before->bytes, 3 * 8192 + 4096);
	ck_assert_uint_eq(before->connections, 1);
	ck_assert_uint_eq(before->errors, 5);
	ck_assert_uint_eq(before->handles, 3);
}

static void release(mmapc_map *held[3])
{
	for (int i = 0; i < 3; i++)
		mmapc_free(held[i]);
}

/* What mmapctl's stat said against the counters before and after it ran: mmapctl added one
 * connection and its one request, and nothing else changed. */
static void expect_stats(const uint64_t got[6], const struct mmapc_stats *before,
                         const struct mmapc_stats *after)
{
	ck_assert_uint_eq(got[0], before->tags);
	ck_assert_uint_eq(got[1], before->bytes);
	ck_assert_uint_eq(got[2], before->connections + 1);
	ck_assert_uint_gt(got[3], before->requests);
	ck_assert_uint_lt(got[3], after->requests);
	ck_assert_uint_eq(got[4], before->errors);
	ck_assert_uint_eq(got[5], before->handles);
}

static const char *const stat_keys[6] = {"tags",     "bytes",  "connections",
                                         "requests", "errors", "handles"};

START_TEST(test_mmapctl_stat)
{
	struct mmapc_stats before, after;
	uint64_t got[6];
	mmapc_map *held[3];
	busy_daemon(held, &before);

	struct ctl_run r = ctl("stat");
	ck_assert_int_eq(mmapc_stat(NULL, &after), 0);
	ctl_expect_status(&r, 0);
	const char *p = r.out;
	for (int i = 0; i < 6; i++) {
		char key[32];
		unsigned long long v;
		int used;
		ck_assert_msg(sscanf(p, "%31s %llu\n%n", key, &v, &used) == 2, "bad line: %s", p);
		ck_assert_str_eq(key, stat_keys[i]);
		got[i] = v;
		p += used;
	}
	ck_assert_str_eq(p, "");
	expect_stats(got, &before, &after);
	ctl_run_free(&r);
	release(held);
}
END_TEST

START_TEST(test_mmapctl_stat_json)
{
	struct mmapc_stats before, after;
	uint64_t got[6];
	mmapc_map *held[3];
	busy_daemon(held, &before);

	struct ctl_run r = ctl("--json", "stat");
	ck_assert_int_eq(mmapc_stat(NULL, &after), 0);
	ctl_expect_status(&r, 0);
	ck_assert_int_eq(ctl_json_check(r.out), 0);
	ck_assert_int_eq(r.out[0], '{');
	for (int i = 0; i < 6; i++)
		got[i] = ctl_json_uint(r.out, stat_keys[i]);
	expect_stats(got, &before, &after);
	ctl_run_free(&r);
	release(held);
}
END_TEST

START_TEST(test_mmapctl_ping)
{
	char expected[64];
	int version = mmapc_ping(NULL);
	ck_assert_int_gt(version, 0);

	struct ctl_run r = ctl("ping");
	ctl_expect_status(&r, 0);
	snprintf(expected, sizeof(expected), "protocol version %d\n", version);
	ck_assert_str_eq(r.out, expected);
	ctl_run_free(&r);
	r = ctl("ping", "--json");
	ctl_expect_status(&r, 0);
	ctl_json_check(r.out);
	ck_assert_uint_eq(ctl_json_uint(r.out, "protocol"), (uint64_t)version);
	ctl_run_free(&r);
}
END_TEST

/* ---- create and rm ----------------------------------------------------------------------- */

START_TEST(test_mmapctl_create)
{
	char row[512];
	struct mmapc_tag_info info;

	struct ctl_run r = ctl("create", "made", "64K", "--mode", "640", "--persistent");
	ctl_expect_status(&r, 0);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "");
	ctl_run_free(&r);
	ck_assert(tag_listed("made", &info));
	ck_assert_uint_eq(info.size, 65536);
	ck_assert_uint_eq(info.mode, 0640);
	ck_assert_int_eq(info.persistent, 1);
	ck_assert_int_eq(info.file, 0);

	r = ctl("list");
	ctl_expect_status(&r, 0);
	ctl_table_row(r.out, "made", row, sizeof(row));
	ctl_expect_cell(r.out, row, "SIZE", "65536", true);
	ctl_expect_cell(r.out, row, "MODE", "0640", false);
	ctl_run_free(&r);

	/* Again, at the same size, a smaller and a larger one: each time it exists. */
	const char *sizes[] = {"64K", "1", "1M"};
	for (size_t i = 0; i < 3; i++) {
		r = ctl("create", "made", sizes[i], "--persistent");
		ctl_expect_status(&r, 3);
		ck_assert_ptr_nonnull(strstr(r.err, "mmapctl: create made: tag exists"));
		ctl_run_free(&r);
	}
	ck_assert(tag_listed("made", &info));
	ck_assert_uint_eq(info.size, 65536);
	ck_assert_int_eq(tag_count(), 1);
}
END_TEST

START_TEST(test_mmapctl_create_persistent_survives)
{
	struct mmapc_tag_info info;

	/* Without --persistent, mmapctl was the tag's only holder. */
	struct ctl_run r = ctl("create", "brief", "4K");
	ctl_expect_status(&r, 0);
	ctl_run_free(&r);
	ck_assert_msg(tag_settles("brief", false, -1),
	              "a tag without --persistent outlived mmapctl");

	r = ctl("create", "lasting", "2M", "--persistent");
	ctl_expect_status(&r, 0);
	ctl_run_free(&r);
	ck_assert(tag_settles("lasting", true, 0));
	ck_assert(tag_listed("lasting", &info));
	ck_assert_int_eq(info.persistent, 1);
	ck_assert_uint_eq(info.size, 2 << 20);
	mmapc_map *m;
	struct mmapc_options o = {.tagname = "lasting"};
	ck_assert_int_eq(mmapc_open(&m, -1, 0, MMAPC_ACCESS_READ, 0, &o), 0);
	ck_assert_int_eq(mmapc_created(m), 0);
	ck_assert_int_eq(mmapc_len(m), 2 << 20);
	mmapc_free(m);
}
END_TEST

START_TEST(test_mmapctl_rm)
{
	tag_persistent("a", 10);
	tag_persistent("b", 10);
	tag_persistent("c", 10);
	tag_persistent("Global\\d", 10);

	struct ctl_run r = ctl("rm", "a", "b");
	ctl_expect_status(&r, 0);
	ck_assert_str_eq(r.err, "");
	ctl_run_free(&r);
	ck_assert(!tag_listed("a", NULL));
	ck_assert(!tag_listed("b", NULL));
	ck_assert_int_eq(tag_count(), 2);

	r = ctl("rm", "a");
	ctl_expect_status(&r, 4);
	ck_assert_str_eq(r.err, "mmapctl: rm a: no such tag\n");
	ctl_run_free(&r);

	/* A missing name does not stop the others. */
	r = ctl("rm", "missing", "c", "Global\\d");
	ctl_expect_status(&r, 4);
	ck_assert_ptr_nonnull(strstr(r.err, "missing"));
	ctl_run_free(&r);
	ck_assert_int_eq(tag_count(), 0);
}
END_TEST

/* ---- cat ----------------------------------------------------------------------------------- */

START_TEST(test_mmapctl_cat)
{
	const size_t n = 1 << 20;
	mmapc_map *tiny = tag_new("tiny", 5, 0, 0);
	mmapc_map *big = tag_new("Global\\big", (int64_t)n, 0, 0);
	ck_assert_int_eq(mmapc_write(tiny, "a\0b\0c", 5), 5);
	char *bytes = malloc(n);
	ck_assert_ptr_nonnull(bytes);
	for (size_t i = 0; i < n; i++)
		bytes[i] = i % 3 ? (char)(i * 31 + i / 4096) : 0;
	ck_assert_int_eq(mmapc_write(big, bytes, n), (int64_t)n);

	struct ctl_run r = ctl("cat", "tiny");
	ctl_expect_status(&r, 0);
	ck_assert_uint_eq(r.out_n, 5);
	ck_assert_mem_eq(r.out, "a\0b\0c", 5);
	ck_assert_str_eq(r.err, "");
	ctl_run_free(&r);

	r = ctl("cat", "Global\\big");
	ctl_expect_status(&r, 0);
	ck_assert_uint_eq(r.out_n, n);
	ck_assert_msg(!memcmp(r.out, bytes, n), "cat's bytes differ from the tag's");
	ctl_run_free(&r);
	free(bytes);
	mmapc_free(tiny);
	mmapc_free(big);
}
END_TEST

START_TEST(test_mmapctl_cat_missing_tag)
{
	struct ctl_run r = ctl("cat", "ghost");
	ctl_expect_status(&r, 4);
	ck_assert_uint_eq(r.out_n, 0);
	ck_assert_str_eq(r.err, "mmapctl: cat ghost: no such tag\n");
	ctl_run_free(&r);
	ck_assert_int_eq(tag_count(), 0);
}
END_TEST

START_TEST(test_mmapctl_cat_reader_gone)
{
	mmapc_map *big = tag_new("big", 4 << 20, 0, 0);

	/* A reader that leaves (mmapctl cat big | head -c 0) is no error and no SIGPIPE. */
	struct ctl_run r =
	        ctl_run_with(&(struct ctl_how){.no_reader = true}, CTL_ARGS("cat", "big"));
	ctl_expect_status(&r, 0);
	ck_assert_str_eq(r.err, "");
	ctl_run_free(&r);
	mmapc_free(big);
}
END_TEST

START_TEST(test_mmapctl_permission_denied)
{
	if (getuid() != 0)
		return; /* needs another user to be refused */
	mmapc_map *m = tag_new("Global\\secret", 4096, 0600, 0);

	struct ctl_run r = ctl_run_with(&(struct ctl_how){.as_user = true, .uid = 65534},
	                                CTL_ARGS("cat", "Global\\secret"));
	ctl_expect_status(&r, 1);
	ck_assert_uint_eq(r.out_n, 0);
	ck_assert_msg(strstr(r.err, "mmapctl: cat Global\\secret: ") &&
	                      strstr(r.err, "permission denied by the tag's mode"),
	              "stderr: %s", r.err);
	ctl_run_free(&r);
	mmapc_free(m);
}
END_TEST

/* ---- write -------------------------------------------------------------------------------- */

START_TEST(test_mmapctl_write)
{
	mmapc_map *m = tag_new("dst", 16, 0, 0);
	ck_assert_int_eq(mmapc_write(m, "xxxxxxxxxxxxxxxx", 16), 16);

	struct ctl_run r = ctl_in("hello\0world", 11, "write", "dst");
	ctl_expect_status(&r, 0);
	ck_assert_str_eq(r.err, "");
	ctl_run_free(&r);
	ck_assert_mem_eq(mmapc_data(m), "hello\0worldxxxxx", 16);

	/* Exactly the tag's size fits. */
	r = ctl_in("0123456789abcdef", 16, "write", "dst");
	ctl_expect_status(&r, 0);
	ctl_run_free(&r);
	ck_assert_mem_eq(mmapc_data(m), "0123456789abcdef", 16);
	mmapc_free(m);
}
END_TEST

START_TEST(test_mmapctl_write_too_long)
{
	const size_t n = 1 << 20, in_n = 3 * n;
	mmapc_map *small = tag_new("small", 16, 0, 0);
	mmapc_map *big = tag_new("big", (int64_t)n, 0, 0);
	char *in = malloc(in_n);
	ck_assert_ptr_nonnull(in);
	for (size_t i = 0; i < in_n; i++)
		in[i] = (char)('a' + i % 23);

	struct ctl_run r = ctl_in(in, 17, "write", "small");
	ctl_expect_status(&r, 5);
	ck_assert_ptr_nonnull(strstr(r.err, "wrote its first 16 bytes"));
	ctl_run_free(&r);
	ck_assert_mem_eq(mmapc_data(small), in, 16);

	/* Far more than a pipe holds: mmapctl stops reading once it knows. */
	r = ctl_in(in, in_n, "write", "big");
	ctl_expect_status(&r, 5);
	ck_assert_ptr_nonnull(strstr(r.err, "wrote its first 1048576 bytes"));
	ctl_run_free(&r);
	ck_assert_msg(!memcmp(mmapc_data(big), in, n), "the tag does not hold the input's start");
	free(in);
	mmapc_free(small);
	mmapc_free(big);
}
END_TEST

START_TEST(test_mmapctl_write_missing_tag)
{
	struct ctl_run r = ctl_in("data", 4, "write", "ghost");
	ctl_expect_status(&r, 4);
	ck_assert_str_eq(r.err, "mmapctl: write ghost: no such tag\n");
	ctl_run_free(&r);
	ck_assert_int_eq(tag_count(), 0);
}
END_TEST

/* ---- without a daemon ---------------------------------------------------------------------- */

START_TEST(test_mmapctl_no_daemon)
{
	char path[] = "/tmp/mmapctl-test-XXXXXX", sock[64], expected[128];
	ck_assert_ptr_nonnull(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/none.sock", path);
	snprintf(expected, sizeof(expected), "mmapctl: no mmapd at %s: is it running?\n", sock);

	const char *const *cases[] = {
	        CTL_ARGS("--socket", sock, "list"),     CTL_ARGS("--socket", sock, "stat"),
	        CTL_ARGS("--socket", sock, "ping"),     CTL_ARGS("--socket", sock, "rm", "x"),
	        CTL_ARGS("--socket", sock, "cat", "x"), CTL_ARGS("-s", sock, "create", "x", "1"),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_run r = ctl_run_with(&(struct ctl_how){0}, cases[i]);
		ctl_expect_status(&r, 1);
		ck_assert_str_eq(r.err, expected);
		ck_assert_uint_eq(r.out_n, 0);
		ctl_run_free(&r);
	}
	/* And where $MMAPD_SOCKET points, without --socket. */
	setenv("MMAPD_SOCKET", sock, 1);
	struct ctl_run r = ctl("list");
	unsetenv("MMAPD_SOCKET");
	ctl_expect_status(&r, 1);
	ck_assert_str_eq(r.err, expected);
	ctl_run_free(&r);
	rmdir(path);
}
END_TEST

START_TEST(test_mmapctl_usage_errors)
{
	/* No daemon listens there: a usage error must be found before connecting. */
	const char *const *cases[] = {
	        CTL_ARGS("-s", "/nonexistent", "frob"),
	        CTL_ARGS("-s", "/nonexistent", "create", "x"),
	        CTL_ARGS("-s", "/nonexistent", "create", "x", "12Q"),
	        CTL_ARGS("-s", "/nonexistent", "create", "x", "0"),
	        CTL_ARGS("-s", "/nonexistent", "create", "x", "K"),
	        CTL_ARGS("-s", "/nonexistent", "create", "x", "99999999999T"),
	        CTL_ARGS("-s", "/nonexistent", "create", "x", "1", "--mode", "888"),
	        CTL_ARGS("-s", "/nonexistent", "create", "x", "1", "--mode", "0"),
	        CTL_ARGS("-s", "/nonexistent", "create", "x", "1", "--mode"),
	        CTL_ARGS("-s", "/nonexistent", "rm"),
	        CTL_ARGS("-s", "/nonexistent", "cat"),
	        CTL_ARGS("-s", "/nonexistent", "cat", "a", "b"),
	        CTL_ARGS("-s", "/nonexistent", "write"),
	        CTL_ARGS("-s", "/nonexistent", "list", "extra"),
	        CTL_ARGS("-s", "/nonexistent", "--persistent", "list"),
	        CTL_ARGS("-s", "/nonexistent", "--json", "cat", "x"),
	        CTL_ARGS("-s", "/nonexistent", "--bogus", "list"),
	        CTL_ARGS("-s"),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_run r = ctl_run_with(&(struct ctl_how){0}, cases[i]);
		ck_assert_msg(r.status == 2 && !strncmp(r.err, "mmapctl: ", 9) && r.out_n == 0,
		              "case %zu (%s …): status %d, stderr: %s", i, cases[i][2], r.status,
		              r.err);
		ctl_run_free(&r);
	}
	struct ctl_run r = ctl_run_with(&(struct ctl_how){0}, (const char *const[]){NULL});
	ctl_expect_status(&r, 2);
	ck_assert_str_eq(r.err, "mmapctl: no command given\nTry 'mmapctl --help'.\n");
	ctl_run_free(&r);
}
END_TEST

START_TEST(test_mmapctl_help)
{
	struct ctl_run r = ctl("--help");
	ctl_expect_status(&r, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_msg(!strncmp(r.out, "Usage: mmapctl ", 15), "%s", r.out);
	const char *musts[] = {"list",
	                       "stat",
	                       "create NAME SIZE",
	                       "--persistent",
	                       "rm NAME",
	                       "cat NAME",
	                       "write NAME",
	                       "ping",
	                       "Exit status",
	                       "3  create: the tag exists",
	                       "5  write:"};
	for (size_t i = 0; i < sizeof(musts) / sizeof(musts[0]); i++)
		ck_assert_msg(strstr(r.out, musts[i]), "--help does not mention %s", musts[i]);
	struct ctl_run h = ctl("-h", "list");
	ctl_expect_status(&h, 0);
	ck_assert_str_eq(h.out, r.out);
	ctl_run_free(&h);
	ctl_run_free(&r);

	r = ctl("--version");
	ctl_expect_status(&r, 0);
	ck_assert_msg(!strncmp(r.out, "mmapctl ", 8), "%s", r.out);
	ctl_run_free(&r);
}
END_TEST

Suite *mmapctl_suite(void)
{
	Suite *s = suite_create("mmapctl");
	TCase *tc = tcase_new("daemon");
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_mmapctl_list_empty);
	tcase_add_test(tc, test_mmapctl_list_columns);
	tcase_add_test(tc, test_mmapctl_list_json);
	tcase_add_test(tc, test_mmapctl_stat);
	tcase_add_test(tc, test_mmapctl_stat_json);
	tcase_add_test(tc, test_mmapctl_ping);
	tcase_add_test(tc, test_mmapctl_create);
	tcase_add_test(tc, test_mmapctl_create_persistent_survives);
	tcase_add_test(tc, test_mmapctl_rm);
	tcase_add_test(tc, test_mmapctl_cat);
	tcase_add_test(tc, test_mmapctl_cat_missing_tag);
	tcase_add_test(tc, test_mmapctl_cat_reader_gone);
	tcase_add_test(tc, test_mmapctl_permission_denied);
	tcase_add_test(tc, test_mmapctl_write);
	tcase_add_test(tc, test_mmapctl_write_too_long);
	tcase_add_test(tc, test_mmapctl_write_missing_tag);
	suite_add_tcase(s, tc);

	tc = tcase_new("no daemon");
	tcase_add_test(tc, test_mmapctl_no_daemon);
	tcase_add_test(tc, test_mmapctl_usage_errors);
	tcase_add_test(tc, test_mmapctl_help);
	suite_add_tcase(s, tc);
	return s;
}
