/* check_daemon.c: the tagname model end to end: a real mmapd, real processes, libmmapc.
 *
 * Each test starts its own daemon on a fresh socket (daemon_helpers.c) and stops it at the
 * end, asserting a clean exit. Other processes are forked children that open tags through
 * their own connections, so they share nothing with the test process but the daemon; they
 * report through their exit status (0 is success), never through Check's asserts.
 *
 * Not here: the daemon's start-up on a path that is not a socket, running out of descriptors,
 * and holds across fork, timeouts and a stopped daemon (check_daemon_holds.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_helpers.h"
#include "helpers.h"
#include "wire.h"

/* ---- create, open, share ------------------------------------------------------------------ */

static int child_reads_hello(void *arg)
{
	(void)arg;
	int r;
	mmapc_map *m = dtest_tag_open("frames", 0, MMAPC_ACCESS_DEFAULT, NULL, &r);
	if (!m)
		return 10;
	char buf[6] = {0};
	if (mmapc_created(m) != 0 || mmapc_len(m) != 8192 || mmapc_read(m, buf, 5) != 5 ||
	    strcmp(buf, "hello"))
		return 11;
	mmapc_setslice(m, 100, 105, 1, "world", 5);
	mmapc_free(m);
	return 0;
}

START_TEST(test_daemon_create_then_open_shares_memory)
{
	mmapc_map *m = dtest_tag_map("frames", 8192);
	ck_assert_int_eq(mmapc_created(m), 1);
	ck_assert_int_eq(mmapc_write(m, "hello", 5), 5);
	ck_assert_int_eq(dtest_in_child(child_reads_hello, NULL), 0);
	char buf[6] = {0};
	ck_assert_int_eq(mmapc_getslice(m, 100, 105, 1, buf, 5), 5);
	ck_assert_str_eq(buf, "world");
	mmapc_free(m);
}
END_TEST

START_TEST(test_daemon_open_existing_size_rules)
{
	int r;
	mmapc_map *m = dtest_tag_map("sized", 8192), *small, *all;

	small = dtest_tag_open("sized", 4096, MMAPC_ACCESS_DEFAULT, NULL, &r);
	ck_assert_ptr_nonnull(small);
	ck_assert_int_eq(mmapc_len(small), 4096);
	ck_assert_int_eq(mmapc_created(small), 0);
	all = dtest_tag_open("sized", 0, MMAPC_ACCESS_DEFAULT, NULL, &r);
	ck_assert_ptr_nonnull(all);
	ck_assert_int_eq(mmapc_len(all), 8192);
	ck_assert_ptr_null(dtest_tag_open("sized", 8193, MMAPC_ACCESS_DEFAULT, NULL, &r));
	ck_assert_int_eq(r, -EFBIG);
	/* Writes through one view are seen through the others. */
	ck_assert_int_eq(mmapc_setitem(small, 4095, 0x5a), 0);
	ck_assert_int_eq(mmapc_getitem(all, 4095), 0x5a);
	ck_assert_int_eq(mmapc_getitem(m, 4095), 0x5a);
	mmapc_free(small);
	mmapc_free(all);
	mmapc_free(m);
}
END_TEST

START_TEST(test_daemon_view_at_offset)
{
	int r;
	mmapc_map *whole = dtest_tag_map("windowed", 3 * 4096);
	struct mmapc_options o = {.tagname = "windowed"};
	mmapc_map *window = NULL;

	ck_assert_int_eq(mmapc_setitem(whole, 4096, 'W'), 0);
	ck_assert_int_eq(mmapc_open(&window, -1, 0, MMAPC_ACCESS_DEFAULT, 4096, &o), 0);
	ck_assert_int_eq(mmapc_len(window), 2 * 4096);
	ck_assert_int_eq(mmapc_getitem(window, 0), 'W');
	ck_assert_int_eq(mmapc_offset(window), 4096);
	mmapc_free(window);
	/* An unaligned offset is refused before the daemon is asked. */
	ck_assert_int_eq(mmapc_open(&window, -1, 100, MMAPC_ACCESS_DEFAULT, 100, &o), -EINVAL);
	/* A view past the end of the tag is refused, whether it names a length or not. */
	ck_assert_int_eq(mmapc_open(&window, -1, 4096, MMAPC_ACCESS_DEFAULT, 3 * 4096, &o), -EFBIG);
	ck_assert_int_eq(mmapc_open(&window, -1, 0, MMAPC_ACCESS_DEFAULT, 3 * 4096, &o), -EFBIG);
	/* A descriptor below -1 is no descriptor at all, not "anonymous". */
	ck_assert_int_eq(mmapc_open(&window, -2, 4096, MMAPC_ACCESS_DEFAULT, 0, &o), -EBADF);
	(void)r;
	mmapc_free(whole);
}
END_TEST

START_TEST(test_daemon_new_anonymous_tag_needs_length)
{
	int r;
	ck_assert_ptr_null(dtest_tag_open("nolength", 0, MMAPC_ACCESS_DEFAULT, NULL, &r));
	ck_assert_int_eq(r, -EINVAL);
}
END_TEST

START_TEST(test_daemon_bad_names_refused)
{
	static const char *const bad[] = {"",        "a/b",    "../x",      "a\\b",   "Global\\",
	                                  "Local\\", "Foo\\x", "tab\there", "del\x7f"};
	char huge[300];
	int r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_null(dtest_tag_open(bad[i], 4096, MMAPC_ACCESS_DEFAULT, NULL, &r));
		ck_assert_msg(r == -EINVAL, "name %zu: %d", i, r);
	}
	memset(huge, 'n', 256);
	huge[256] = '\0';
	ck_assert_ptr_null(dtest_tag_open(huge, 4096, MMAPC_ACCESS_DEFAULT, NULL, &r));
	ck_assert_int_eq(r, -EINVAL);
	huge[255] = '\0';
	mmapc_map *m = dtest_tag_open(huge, 4096, MMAPC_ACCESS_DEFAULT, NULL, &r);
	ck_assert_ptr_nonnull(m);
	mmapc_free(m);
}
END_TEST

/* ---- lifetime ------------------------------------------------------------------------------ */

START_TEST(test_daemon_last_close_frees_memfd)
{
	int base = daemon_fd_count(&dtest_daemon);
	mmapc_map *a = dtest_tag_map("life", 4096), *b = dtest_tag_map("life", 0);

	ck_assert_int_gt(daemon_fd_count(&dtest_daemon), base);
	ck_assert_int_eq(mmapc_setitem(a, 0, 7), 0);
	mmapc_close(a);
	ck_assert_int_eq(mmapc_getitem(b, 0), 7);
	mmapc_free(b);
	/* The daemon's connection socket remains; the memfd and its read-only twin are gone. */
	ck_assert_int_eq(daemon_fd_count(&dtest_daemon), base + 1);
	b = dtest_tag_map("life", 4096);
	ck_assert_int_eq(mmapc_created(b), 1);
	ck_assert_int_eq(mmapc_getitem(b, 0), 0);
	mmapc_free(b);
	mmapc_free(a);
}
END_TEST

static int child_holds_then_waits(void *arg)
{
	int *pipefd = arg;
	int r;
	mmapc_map *m = dtest_tag_open("victim", 4096, MMAPC_ACCESS_DEFAULT, NULL, &r);
	if (!m)
		return 10;
	mmapc_setitem(m, 0, 42);
	if (write(pipefd[1], "x", 1) != 1)
		return 11;
	pause();
	return 0;
}

START_TEST(test_daemon_killed_holder_releases)
{
	int pipefd[2], status;
	char c;

	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	int base = daemon_fd_count(&dtest_daemon);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(child_holds_then_waits(pipefd));
	ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
	ck_assert_int_gt(daemon_fd_count(&dtest_daemon), base);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	/* The daemon notices the hangup and releases the hold: the tag is gone. */
	for (int i = 0; i < 200 && daemon_fd_count(&dtest_daemon) != base; i++)
		usleep(10000);
	ck_assert_int_eq(daemon_fd_count(&dtest_daemon), base);
	mmapc_map *m = dtest_tag_map("victim", 4096);
	ck_assert_int_eq(mmapc_created(m), 1);
	ck_assert_int_eq(mmapc_getitem(m, 0), 0);
	mmapc_free(m);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

START_TEST(test_daemon_persistent_lives_until_unlinked)
{
	struct mmapc_options o = {.options = MMAPC_PERSISTENT};
	int r;
	mmapc_map *m = dtest_tag_open("keep", 4096, MMAPC_ACCESS_DEFAULT, &o, &r);

	ck_assert_ptr_nonnull(m);
	mmapc_setitem(m, 10, 99);
	mmapc_free(m);
	m = dtest_tag_map("keep", 0);
	ck_assert_int_eq(mmapc_created(m), 0);
	ck_assert_int_eq(mmapc_getitem(m, 10), 99);
	ck_assert_int_eq(mmapc_unlink("keep", NULL), 0);
	/* Unlinked while held: the memory lives on for the holder, the name is free. */
	ck_assert_int_eq(mmapc_getitem(m, 10), 99);
	mmapc_map *fresh = dtest_tag_map("keep", 4096);
	ck_assert_int_eq(mmapc_created(fresh), 1);
	ck_assert_int_eq(mmapc_getitem(fresh, 10), 0);
	mmapc_free(fresh);
	mmapc_free(m);
	ck_assert_int_eq(mmapc_unlink("keep", NULL), -ENOENT);
}
END_TEST

static int child_unlinks(void *arg)
{
	if (dtest_become(65534, 65534) < 0)
		return 10;
	return mmapc_unlink(arg, NULL) == -EPERM ? 0 : 11;
}

START_TEST(test_daemon_unlink_errors)
{
	struct mmapc_options o = {.options = MMAPC_PERSISTENT, .mode = 0666};
	int r;

	ck_assert_int_eq(mmapc_unlink("nothing", NULL), -ENOENT);
	ck_assert_int_eq(mmapc_unlink("a/b", NULL), -EINVAL);
	ck_assert_int_eq(mmapc_unlink(NULL, NULL), -EINVAL);
	mmapc_map *m = dtest_tag_open("Global\\shared", 4096, MMAPC_ACCESS_DEFAULT, &o, &r);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(dtest_in_child(child_unlinks, "Global\\shared"), 0);
	ck_assert_int_eq(mmapc_unlink("Global\\shared", NULL), 0);
	mmapc_free(m);
}
END_TEST

/* ---- namespaces ---------------------------------------------------------------------------- */

static int child_own_namespace(void *arg)
{
	(void)arg;
	int r;
	if (dtest_become(65534, 65534) < 0)
		return 10;
	/* Root's "mine" exists, but this user's "mine" is another tag. */
	mmapc_map *m = dtest_tag_open("mine", 4096, MMAPC_ACCESS_DEFAULT, NULL, &r);
	if (!m || mmapc_created(m) != 1 || mmapc_getitem(m, 0) != 0)
		return 11;
	mmapc_free(m);
	/* A global tag of mode 0666 is the same memory for everyone. */
	m = dtest_tag_open("Global\\common", 0, MMAPC_ACCESS_DEFAULT, NULL, &r);
	if (!m || mmapc_created(m) != 0 || mmapc_getitem(m, 0) != 'G')
		return 12;
	mmapc_setitem(m, 1, 'u');
	mmapc_free(m);
	return 0;
}

START_TEST(test_daemon_per_user_namespaces_and_global)
{
	struct mmapc_options o = {.mode = 0666};
	int r;
	mmapc_map *mine = dtest_tag_map("mine", 4096);
	mmapc_map *local = dtest_tag_map("Local\\mine", 0);
	mmapc_map *global = dtest_tag_open("Global\\common", 4096, MMAPC_ACCESS_DEFAULT, &o, &r);

	ck_assert_int_eq(mmapc_created(local), 0); /* Local\ is the explicit default */
	ck_assert_ptr_nonnull(global);
	mmapc_setitem(mine, 0, 'R');
	mmapc_setitem(global, 0, 'G');
	ck_assert_int_eq(dtest_in_child(child_own_namespace, NULL), 0);
	ck_assert_int_eq(mmapc_getitem(global, 1), 'u');
	ck_assert_int_eq(mmapc_getitem(mine, 0), 'R');
	mmapc_free(mine);
	mmapc_free(local);
	mmapc_free(global);
}
END_TEST

/* ---- resize -------------------------------------------------------------------------------- */

static int child_adopts_growth(void *arg)
{
	int *fds = arg;
	int r;
	char c;
	mmapc_map *m = dtest_tag_open("grow", 0, MMAPC_ACCESS_DEFAULT, NULL, &r);
	if (!m || mmapc_len(m) != 4096)
		return 10;
	if (write(fds[1], "o", 1) != 1 || read(fds[2], &c, 1) != 1)
		return 11;
	if (mmapc_size(m) != 1 << 20)
		return 12;
	/* Adopting part of the growth is fine too, and asks nothing of the daemon. */
	if (mmapc_resize(m, 1 << 19) != 0 || mmapc_len(m) != 1 << 19)
		return 15;
	if (mmapc_resize(m, 1 << 20) != 0 || mmapc_getitem(m, (1 << 20) - 1) != 0x77)
		return 13;
	/* Shrinking under another holder is refused. */
	if (mmapc_resize(m, 4096) != -EBUSY)
		return 14;
	mmapc_free(m);
	return 0;
}

START_TEST(test_daemon_grow_shared_then_shrink_rules)
{
	int up[2], down[2], status;
	char c;
	mmapc_map *m = dtest_tag_map("grow", 4096);

	ck_assert_int_eq(pipe2(up, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(down, O_CLOEXEC), 0);
	int fds[3] = {0, up[1], down[0]};
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(child_adopts_growth(fds));
	ck_assert_int_eq(read(up[0], &c, 1), 1);
	ck_assert_int_eq(mmapc_resize(m, 1 << 20), 0);
	ck_assert_int_eq(mmapc_setitem(m, (1 << 20) - 1, 0x77), 0);
	ck_assert_int_eq(write(down[1], "g", 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	/* Now the only holder: a shrink moves the contents to a smaller memfd. */
	ck_assert_int_eq(mmapc_setitem(m, 100, 0x11), 0);
	ck_assert_int_eq(mmapc_resize(m, 8192), 0);
	ck_assert_int_eq(mmapc_len(m), 8192);
	ck_assert_int_eq(mmapc_size(m), 8192);
	ck_assert_int_eq(mmapc_getitem(m, 100), 0x11);
	mmapc_map *again = dtest_tag_map("grow", 0);
	ck_assert_int_eq(mmapc_len(again), 8192);
	ck_assert_int_eq(mmapc_getitem(again, 100), 0x11);
	mmapc_free(again);
	mmapc_free(m);
	for (int i = 0; i < 2; i++) {
		close(up[i]);
		close(down[i]);
	}
}
END_TEST

START_TEST(test_daemon_read_only_map_cannot_resize_or_write)
{
	int r;
	mmapc_map *w = dtest_tag_map("ro", 4096);
	mmapc_map *ro = dtest_tag_open("ro", 0, MMAPC_ACCESS_READ, NULL, &r);

	ck_assert_ptr_nonnull(ro);
	ck_assert_int_eq(mmapc_write_byte(ro, 1), -EACCES);
	ck_assert_int_eq(mmapc_resize(ro, 8192), -EACCES);
	/* A read-only hold is refused before the size is looked at. */
	ck_assert_int_eq(mmapc_resize(ro, 0), -EACCES);
	/* So is a shared map whose hold is read-only for another reason: MAP_PRIVATE. */
	struct mmapc_options priv = {.flags = MAP_PRIVATE, .tagname = "ro"};
	mmapc_map *cow;
	ck_assert_int_eq(mmapc_open(&cow, -1, 0, MMAPC_ACCESS_DEFAULT, 0, &priv), 0);
	ck_assert_int_eq(mmapc_setitem(cow, 0, 9), 0);
	ck_assert_int_eq(mmapc_resize(cow, 8192), -EACCES);
	ck_assert_int_eq(mmapc_getitem(w, 0), 0);
	mmapc_free(cow);
	mmapc_setitem(w, 0, 3);
	ck_assert_int_eq(mmapc_getitem(ro, 0), 3);
	mmapc_free(ro);
	mmapc_free(w);
}
END_TEST

/* ---- list and stat ------------------------------------------------------------------------ */

START_TEST(test_daemon_list_and_stat)
{
	struct mmapc_options g = {.mode = 0644};
	int r, fd;
	mmapc_map *a = dtest_tag_map("alpha", 4096), *b = dtest_tag_map("beta", 8192);
	mmapc_map *b2 = dtest_tag_map("beta", 0);
	mmapc_map *c = dtest_tag_open("Global\\gamma", 4096, MMAPC_ACCESS_DEFAULT, &g, &r);
	ck_assert_ptr_nonnull(c);

	int sock = daemon_connect(&dtest_daemon);
	struct wire_request req = {.id = 5, .op = WIRE_LIST};
	struct wire_reply rep;
	daemon_call(sock, &req, -1, &rep, &fd);
	ck_assert_int_eq(rep.op, WIRE_LIST);
	ck_assert_uint_eq(rep.id, 5);
	ck_assert_int_eq(fd, -1);
	ck_assert_uint_eq(rep.n_tags, 3);
	ck_assert(!rep.more);
	bool seen_beta = false, seen_gamma = false;
	for (size_t i = 0; i < rep.n_tags; i++) {
		const struct wire_tag_info *t = &rep.tags[i];
		if (!strcmp(t->name, "beta")) {
			seen_beta = true;
			/* Two maps, one process: one hold. */
			ck_assert_uint_eq(t->holders, 1);
			ck_assert_uint_eq(t->size, 8192);
			ck_assert_uint_eq(t->mode, 0600);
			ck_assert(!t->global);
		}
		if (!strcmp(t->name, "Global\\gamma")) {
			seen_gamma = true;
			ck_assert(t->global);
			ck_assert_uint_eq(t->mode, 0644);
		}
	}
	ck_assert(seen_beta && seen_gamma);
	wire_reply_finish(&rep);

	req = (struct wire_request){.id = 6, .op = WIRE_STAT};
	daemon_call(sock, &req, -1, &rep, &fd);
	ck_assert_int_eq(rep.op, WIRE_STAT);
	ck_assert_uint_eq(rep.stats.tags, 3);
	ck_assert_uint_eq(rep.stats.handles, 3);
	ck_assert_uint_eq(rep.stats.bytes, 4096 + 8192 + 4096);
	ck_assert_uint_ge(rep.stats.connections, 2);
	ck_assert_uint_ge(rep.stats.requests, 5);
	wire_reply_finish(&rep);
	close(sock);
	mmapc_free(a);
	mmapc_free(b);
	mmapc_free(b2);
	mmapc_free(c);
}
END_TEST

static int count_tag(const struct mmapc_tag_info *info, void *arg)
{
	int *n = arg;
	if (!strncmp(info->name, "page-", 5)) {
		if (info->size != 4096 || info->holders != 1 || info->mode != 0600 ||
		    info->global || info->file || info->persistent)
			return -1000;
		(*n)++;
	}
	return 0;
}

static int stop_at_three(const struct mmapc_tag_info *info, void *arg)
{
	(void)info;
	return ++*(int *)arg == 3 ? 42 : 0;
}

START_TEST(test_daemon_admin_list_stat_ping)
{
	mmapc_map *maps[70];
	struct mmapc_stats st;
	int n = 0;

	for (int i = 0; i < 70; i++) {
		char name[16];
		snprintf(name, sizeof(name), "page-%02d", i);
		maps[i] = dtest_tag_map(name, 4096);
	}
	/* More than one reply's worth (64): the list continues after the last cursor. */
	ck_assert_int_eq(mmapc_list(NULL, count_tag, &n), 0);
	ck_assert_int_eq(n, 70);
	n = 0;
	ck_assert_int_eq(mmapc_list(NULL, stop_at_three, &n), 42);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(mmapc_list(NULL, NULL, NULL), -EINVAL);

	ck_assert_int_eq(mmapc_stat(NULL, &st), 0);
	ck_assert_uint_eq(st.tags, 70);
	ck_assert_uint_eq(st.handles, 70);
	ck_assert_uint_eq(st.bytes, 70 * 4096);
	ck_assert_uint_ge(st.connections, 1);
	ck_assert_int_eq(mmapc_stat(NULL, NULL), -EINVAL);
	ck_assert_int_eq(mmapc_ping(NULL), 1);
	for (int i = 0; i < 70; i++)
		mmapc_free(maps[i]);

	ck_assert_int_eq(mmapc_ping("/nonexistent/mmapd.sock"), -ENOENT);
	ck_assert_int_eq(mmapc_stat("/nonexistent/mmapd.sock", &st), -ENOENT);
	ck_assert_int_eq(mmapc_list("/nonexistent/mmapd.sock", count_tag, &n), -ENOENT);
}
END_TEST

/* ---- quotas -------------------------------------------------------------------------------- */

START_TEST(test_daemon_quotas)
{
	struct test_daemon q;
	static const char *const args[] = {"--max-tags-per-user", "2", "--max-bytes-per-user",
	                                   "64K", NULL};
	int r;

	daemon_start(&q, args);
	mmapc_map *a = dtest_tag_map("q1", 4096), *b = dtest_tag_map("q2", 4096);
	ck_assert_ptr_null(dtest_tag_open("q3", 4096, MMAPC_ACCESS_DEFAULT, NULL, &r));
	ck_assert_int_eq(r, -EDQUOT);
	ck_assert_int_eq(mmapc_resize(a, 1 << 20), -EDQUOT);
	ck_assert_int_eq(mmapc_len(a), 4096);
	mmapc_free(b);
	mmapc_map *c = dtest_tag_map("q3", 4096);
	mmapc_free(c);
	mmapc_free(a);
	daemon_stop(&q);
}
END_TEST

START_TEST(test_daemon_global_quotas)
{
	/* The daemon-wide limits (this test runs as root, whom they bind as they bind anyone;
	 * the per-user defaults, 4096 tags and 4G, are far off). */
	struct test_daemon q;
	static const char *const args[] = {"--max-tags", "2", "--max-bytes", "64K", NULL};
	int r;

	daemon_start(&q, args);
	mmapc_map *a = dtest_tag_map("g1", 4096), *b = dtest_tag_map("g2", 4096);
	ck_assert_ptr_null(dtest_tag_open("g3", 4096, MMAPC_ACCESS_DEFAULT, NULL, &r));
	ck_assert_int_eq(r, -EDQUOT);
	ck_assert_int_eq(mmapc_resize(a, 60 * 1024), 0);
	ck_assert_int_eq(mmapc_resize(b, 8192), -EDQUOT);
	ck_assert_int_eq(mmapc_len(b), 4096);
	mmapc_free(a);
	mmapc_map *c = dtest_tag_map("g3", 4096);
	ck_assert_int_eq(mmapc_resize(b, 8192), 0);
	mmapc_free(c);
	mmapc_free(b);
	daemon_stop(&q);
}
END_TEST

/* ---- file-backed tags ---------------------------------------------------------------------- */

START_TEST(test_daemon_file_backed_tag)
{
	char content[8192];
	memset(content, 'f', sizeof(content));
	int fd = tmpfile_with(content, sizeof(content), O_RDWR);
	struct mmapc_options o = {.tagname = "file"};
	mmapc_map *m, *other;

	ck_assert_int_eq(mmapc_open(&m, fd, 0, MMAPC_ACCESS_DEFAULT, 0, &o), 0);
	ck_assert_int_eq(mmapc_created(m), 1);
	ck_assert_int_eq(mmapc_len(m), 8192);
	/* A later opener without a file gets the same file. */
	ck_assert_int_eq(mmapc_open(&other, -1, 0, MMAPC_ACCESS_DEFAULT, 0, &o), 0);
	ck_assert_int_eq(mmapc_getitem(other, 5), 'f');
	ck_assert_int_eq(mmapc_setitem(other, 5, 'X'), 0);
	char c;
	ck_assert_int_eq(pread(fd, &c, 1, 5), 1);
	ck_assert_int_eq(c, 'X');
	mmapc_free(other);
	/* Naming it with another file is refused. */
	int fd2 = tmpfile_with(content, sizeof(content), O_RDWR);
	ck_assert_int_eq(mmapc_open(&other, fd2, 0, MMAPC_ACCESS_DEFAULT, 0, &o), -EEXIST);
	/* And an anonymous tag cannot be reopened with a file. */
	mmapc_map *anon = dtest_tag_map("anon", 4096);
	o.tagname = "anon";
	ck_assert_int_eq(mmapc_open(&other, fd2, 0, MMAPC_ACCESS_DEFAULT, 0, &o), -EEXIST);
	mmapc_free(anon);
	close(fd2);
	mmapc_free(m);
	close(fd);
}
END_TEST

START_TEST(test_daemon_file_tag_must_be_regular)
{
	int p[2];
	struct mmapc_options o = {.tagname = "pipe"};
	mmapc_map *m;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	/* The pipe cannot be stat()ed as a regular file; the daemon refuses it. */
	ck_assert_int_eq(mmapc_open(&m, p[0], 4096, MMAPC_ACCESS_DEFAULT, 0, &o), -EINVAL);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_daemon_file_tag_write_only_is_eacces)
{
	int fd = tmpfile_with("data", 4, O_WRONLY);
	struct mmapc_options o = {.tagname = "wronly"},
	                     probe = {.tagname = "wronly", .options = MMAPC_NOCREATE};
	mmapc_map *m = NULL;

	/* mmap(2) cannot map a write-only descriptor: the daemon refuses it, and no tag is made. */
	ck_assert_int_eq(mmapc_open(&m, fd, 0, MMAPC_ACCESS_DEFAULT, 0, &o), -EACCES);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(mmapc_open(&m, -1, 0, MMAPC_ACCESS_DEFAULT, 0, &probe), -ENOENT);
	close(fd);
}
END_TEST

/* ---- connection: no daemon, restart, fork, threads --------------------------------------- */

START_TEST(test_daemon_no_daemon)
{
	struct mmapc_options o = {.tagname = "x", .socket_path = "/nonexistent/mmapd.sock"};
	mmapc_map *m;

	ck_assert_int_eq(mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o), -ENOENT);
	ck_assert_int_eq(mmapc_unlink("x", "/nonexistent/mmapd.sock"), -ENOENT);
}
END_TEST

START_TEST(test_daemon_restart_reconnects)
{
	mmapc_map *old = dtest_tag_map("before", 4096);
	mmapc_setitem(old, 0, 1);
	daemon_kill(&dtest_daemon);
	daemon_restart(&dtest_daemon, NULL);
	/* The next call reconnects by itself, and publishes "before" again on the way. */
	mmapc_map *m = dtest_tag_map("after", 4096);
	ck_assert_int_eq(mmapc_created(m), 1);
	/* The old map's memory still works, and its hold is a hold again (check_republish.c
	 * has the rest). */
	ck_assert_int_eq(mmapc_getitem(old, 0), 1);
	ck_assert_int_eq(mmapc_resize(old, 8192), 0);
	mmapc_map *again = dtest_tag_map("before", 0);
	ck_assert_int_eq(mmapc_created(again), 0);
	ck_assert_int_eq(mmapc_getitem(again, 0), 1);
	mmapc_free(again);
	ck_assert_int_eq(mmapc_close(old), 0);
	mmapc_free(old);
	mmapc_free(m);
}
END_TEST

static int child_inherits(void *arg)
{
	mmapc_map *inherited = arg;
	int r;
	/* The inherited map works as memory, and closing it leaves the parent's hold alone. */
	if (mmapc_getitem(inherited, 0) != 'P')
		return 10;
	mmapc_setitem(inherited, 1, 'C');
	mmapc_map *own = dtest_tag_open("forked", 0, MMAPC_ACCESS_DEFAULT, NULL, &r);
	if (!own || mmapc_created(own) != 0 || mmapc_getitem(own, 1) != 'C')
		return 11;
	/* The child can resize the inherited map: it re-claims the tag by name. */
	if (mmapc_resize(inherited, 8192) != 0 || mmapc_len(inherited) != 8192)
		return 12;
	mmapc_free(own);
	mmapc_free(inherited);
	return 0;
}

START_TEST(test_daemon_fork_child_gets_own_connection)
{
	mmapc_map *m = dtest_tag_map("forked", 4096);
	mmapc_setitem(m, 0, 'P');
	ck_assert_int_eq(dtest_in_child(child_inherits, m), 0);
	ck_assert_int_eq(mmapc_getitem(m, 1), 'C');
	ck_assert_int_eq(mmapc_size(m), 8192);
	/* The parent still holds the tag: it exists, with the child's data. */
	mmapc_map *again = dtest_tag_map("forked", 0);
	ck_assert_int_eq(mmapc_created(again), 0);
	mmapc_free(again);
	mmapc_free(m);
}
END_TEST

static void *thread_opens(void *arg)
{
	char name[32];
	long id = (long)arg;

	for (int i = 0; i < 200; i++) {
		int r;
		snprintf(name, sizeof(name), "t%ld-%d", id, i % 5);
		mmapc_map *m = dtest_tag_open(name, 4096, MMAPC_ACCESS_DEFAULT, NULL, &r);
		if (!m)
			return (void *)1;
		mmapc_setitem(m, 0, (int)id);
		mmapc_free(m);
	}
	return NULL;
}

START_TEST(test_daemon_threads_share_connection)
{
	pthread_t t[8];
	void *ret;

	for (long i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, thread_opens, (void *)i), 0);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
}
END_TEST

Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc;

	tc = tcase_new("share");
	tcase_add_checked_fixture(tc, dtest_start, dtest_stop);
	tcase_add_test(tc, test_daemon_create_then_open_shares_memory);
	tcase_add_test(tc, test_daemon_open_existing_size_rules);
	tcase_add_test(tc, test_daemon_view_at_offset);
	tcase_add_test(tc, test_daemon_new_anonymous_tag_needs_length);
	tcase_add_test(tc, test_daemon_bad_names_refused);
	suite_add_tcase(s, tc);

	tc = tcase_new("lifetime");
	tcase_add_checked_fixture(tc, dtest_start, dtest_stop);
	tcase_add_test(tc, test_daemon_last_close_frees_memfd);
	tcase_add_test(tc, test_daemon_killed_holder_releases);
	tcase_add_test(tc, test_daemon_persistent_lives_until_unlinked);
	tcase_add_test(tc, test_daemon_unlink_errors);
	suite_add_tcase(s, tc);

	tc = tcase_new("namespaces");
	tcase_add_checked_fixture(tc, dtest_start, dtest_stop);
	tcase_add_test(tc, test_daemon_per_user_namespaces_and_global);
	suite_add_tcase(s, tc);

	tc = tcase_new("resize");
	tcase_add_checked_fixture(tc, dtest_start, dtest_stop);
	tcase_add_test(tc, test_daemon_grow_shared_then_shrink_rules);
	tcase_add_test(tc, test_daemon_read_only_map_cannot_resize_or_write);
	suite_add_tcase(s, tc);

	tc = tcase_new("list");
	tcase_add_checked_fixture(tc, dtest_start, dtest_stop);
	tcase_add_test(tc, test_daemon_list_and_stat);
	tcase_add_test(tc, test_daemon_admin_list_stat_ping);
	suite_add_tcase(s, tc);

	tc = tcase_new("quotas");
	tcase_add_test(tc, test_daemon_quotas);
	tcase_add_test(tc, test_daemon_global_quotas);
	suite_add_tcase(s, tc);

	tc = tcase_new("files");
	tcase_add_checked_fixture(tc, dtest_start, dtest_stop);
	tcase_add_test(tc, test_daemon_file_backed_tag);
	tcase_add_test(tc, test_daemon_file_tag_must_be_regular);
	tcase_add_test(tc, test_daemon_file_tag_write_only_is_eacces);
	suite_add_tcase(s, tc);

	tc = tcase_new("connection");
	tcase_add_test(tc, test_daemon_no_daemon);
	suite_add_tcase(s, tc);

	tc = tcase_new("reconnect");
	tcase_add_checked_fixture(tc, dtest_start, dtest_stop);
	tcase_add_test(tc, test_daemon_restart_reconnects);
	tcase_add_test(tc, test_daemon_fork_child_gets_own_connection);
	tcase_add_test(tc, test_daemon_threads_share_connection);
	suite_add_tcase(s, tc);
	return s;
}
