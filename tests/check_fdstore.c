/* check_fdstore.c: tags that live through a restart of mmapd by way of systemd's
 * file-descriptor store, tested against a fake service manager (fakesd.h): the bytes, the
 * names and the holders come back; holders that re-claim keep the tag, holders that exited
 * or let go while the daemon was away give it back; a shrink replaces the stored descriptor;
 * the state log is compacted; and the state reader's handling of torn, corrupt and
 * mismatched records.
 *
 * The "restart" tests run a real mmapd (MMAPD_BIN) with $NOTIFY_SOCKET pointing at the fake,
 * kill or stop it, and start a new one with the fake's descriptors passed as systemd passes
 * them. Checks that must not come from this process (whose library would re-claim its holds
 * on its next call) run in forked children, which report through their exit status.
 *
 * Not here: the same under a real systemd (tests/systemd/run), restarts without a store.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_helpers.h"
#include "fakesd.h"
#include "state.h"
#include "../daemon/log.h"
#include "../daemon/store.h"

static struct test_daemon d;
static struct fakesd f;
static char fake_dir[64];

static void setup(void)
{
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/fakesd-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_dir));
	fakesd_start(&f, fake_dir);
	daemon_start(&d, NULL);
	fakesd_pump(&f, 100);
	ck_assert(f.ready);
}

static void teardown(void)
{
	daemon_stop(&d);
	fakesd_stop(&f);
	rmdir(fake_dir);
}

/* The daemon crashes and comes back with what the fake kept. */
static void crash_and_restart(void)
{
	fakesd_pump(&f, 50);
	daemon_kill(&d);
	f.ready = false;
	daemon_restart_with(&d, NULL, fakesd_pass, &f);
	fakesd_pump(&f, 100);
	ck_assert(f.ready);
}

static uint8_t pattern(int tag, size_t k)
{
	return (uint8_t)(tag * 31 + k * 7 + (k >> 9));
}

struct holders_query {
	const char *name;
	int holders;
};

static int find_holders(const struct mmapc_tag_info *info, void *arg)
{
	struct holders_query *q = arg;
	if (!strcmp(info->name, q->name))
		q->holders = (int)info->holders;
	return 0;
}

/* The holders the daemon counts for name, or -1 if there is no such tag. */
static int holders_of(const char *name)
{
	struct holders_query q = {.name = name, .holders = -1};
	return mmapc_list(NULL, find_holders, &q) < 0 ? -2 : q.holders;
}

/* ---- a crash loses nothing ------------------------------------------------------------------ */

enum { N_TAGS = 20 };

/* In a child: every tag is back, with its size and bytes, and counts one (pending) holder. */
static int check_all_back(void *arg)
{
	int expect_holders = *(int *)arg;
	char name[32];

	for (int i = 0; i < N_TAGS; i++) {
		int err;
		snprintf(name, sizeof(name), "keep%d", i);
		struct mmapc_options o = {.options = MMAPC_NOCREATE};
		mmapc_map *m = dtest_tag_open(name, 0, MMAPC_ACCESS_READ, &o, &err);
		if (!m)
			return 10;
		const uint8_t *p = mmapc_data(m);
		size_t len = (size_t)mmapc_len(m);
		if (len != 4096u * (i + 1))
			return 11;
		for (size_t k = 1; k < len; k++)
			if (p[k] != pattern(i, k))
				return 12;
		if (p[0] != (i == 0 ? 0xee : pattern(i, 0)))
			return 13;
		mmapc_free(m);
		/* Our own hold just ended: what is left is the parent's. */
		if (holders_of(name) != expect_holders)
			return 14;
	}
	return holders_of("durable") == 0 ? 0 : 15;
}

START_TEST(test_fdstore_crash_keeps_tags_bytes_and_holders)
{
	mmapc_map *m[N_TAGS];
	char name[32];

	for (int i = 0; i < N_TAGS; i++) {
		snprintf(name, sizeof(name), "keep%d", i);
		m[i] = dtest_tag_map(name, 4096 * (i + 1));
		uint8_t *p = mmapc_data(m[i]);
		for (size_t k = 0; k < 4096u * (i + 1); k++)
			p[k] = pattern(i, k);
	}
	struct mmapc_options po = {.options = MMAPC_PERSISTENT};
	int err;
	mmapc_map *durable = dtest_tag_open("durable", 4096, MMAPC_ACCESS_DEFAULT, &po, &err);
	ck_assert_ptr_nonnull(durable);
	mmapc_free(durable);
	fakesd_pump(&f, 50);
	ck_assert_uint_eq(fakesd_count(&f, "t"), N_TAGS + 1);
	ck_assert_uint_eq(fakesd_count(&f, "s"), 1);

	crash_and_restart();
	/* Our maps still work, and what we write now is what the restored tag holds. */
	mmapc_setitem(m[0], 0, 0xee);
	int one = 1;
	ck_assert_int_eq(dtest_in_child(check_all_back, &one), 0);
	ck_assert_str_ne(f.status, "");

	/* Our next call re-claims: the holds are ours again, on the new connection. */
	struct mmapc_stats st;
	ck_assert_int_eq(mmapc_stat(NULL, &st), 0);
	ck_assert_int_eq(mmapc_stat(NULL, &st), 0);
	ck_assert_uint_eq(st.handles, N_TAGS);
	ck_assert_int_eq(dtest_in_child(check_all_back, &one), 0);

	/* And they are real: letting go destroys the tags, and the store lets go of them. */
	for (int i = 0; i < N_TAGS; i++)
		mmapc_free(m[i]);
	ck_assert_int_eq(holders_of("keep0"), -1);
	ck_assert_int_eq(holders_of("keep19"), -1);
	ck_assert_int_eq(holders_of("durable"), 0);
	fakesd_pump(&f, 50);
	ck_assert_uint_eq(fakesd_count(&f, "t"), 1);
	ck_assert_int_eq(mmapc_unlink("durable", NULL), 0);
}
END_TEST

/* ---- holders that do not come back ----------------------------------------------------------- */

START_TEST(test_fdstore_holder_that_exits_gives_the_tag_back)
{
	int ready[2];
	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		mmapc_map *m = dtest_tag_map("orphan", 4096);
		char c = m ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	close(ready[0]);
	close(ready[1]);

	crash_and_restart();
	ck_assert_int_eq(holders_of("orphan"), 1);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	/* The pidfd tells the daemon at once; allow its loop a moment. */
	int h = 1;
	for (int i = 0; i < 100 && (h = holders_of("orphan")) != -1; i++)
		usleep(20000);
	ck_assert_int_eq(h, -1);
	fakesd_pump(&f, 50);
	ck_assert_uint_eq(fakesd_count(&f, "t"), 0);
}
END_TEST

static int gone_has_holders(void *arg)
{
	return holders_of("gone") == *(int *)arg ? 0 : 1;
}

START_TEST(test_fdstore_close_while_daemon_away_is_given_back)
{
	mmapc_map *m = dtest_tag_map("gone", 4096);
	mmapc_map *kept = dtest_tag_map("kept", 4096);

	fakesd_pump(&f, 50);
	daemon_kill(&d);
	/* The close finds the daemon gone and cannot tell it: the re-claim will. */
	mmapc_free(m);
	daemon_restart_with(&d, NULL, fakesd_pass, &f);
	int one = 1, none = -1;
	ck_assert_int_eq(dtest_in_child(gone_has_holders, &one), 0);
	ck_assert_int_gt(mmapc_ping(NULL), 0); /* re-claims "kept", and only it */
	ck_assert_int_eq(dtest_in_child(gone_has_holders, &none), 0);
	ck_assert_int_eq(holders_of("kept"), 1);
	mmapc_free(kept);
	ck_assert_int_eq(holders_of("kept"), -1);
}
END_TEST

/* ---- what the store holds ---------------------------------------------------------------------- */

START_TEST(test_fdstore_stop_keeps_the_store)
{
	mmapc_map *m = dtest_tag_map("stopped", 8192);
	memset(mmapc_data(m), 0x5a, 8192);
	fakesd_pump(&f, 50);
	int status;
	ck_assert_int_eq(kill(d.pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(d.pid, &status, 0), d.pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	fakesd_pump(&f, 50);
	ck_assert_uint_eq(fakesd_count(&f, "t"), 1);
	daemon_restart_with(&d, NULL, fakesd_pass, &f);
	ck_assert_int_eq(holders_of("stopped"), 1);
	ck_assert_int_eq(mmapc_getitem(m, 8191), 0x5a);
	mmapc_free(m);
	ck_assert_int_eq(holders_of("stopped"), -1);
}
END_TEST

static int stored_name_ends(const char *suffix)
{
	int n = 0;
	for (size_t i = 0; i < f.n; i++) {
		size_t len = strlen(f.names[i]), k = strlen(suffix);
		n += f.names[i][0] == 't' && len > k && !strcmp(f.names[i] + len - k, suffix);
	}
	return n;
}

START_TEST(test_fdstore_shrink_replaces_the_stored_descriptor)
{
	mmapc_map *m = dtest_tag_map("shrunk", 8192);
	memset(mmapc_data(m), 0x33, 8192);
	ck_assert_int_eq(mmapc_resize(m, 4096), 0);
	fakesd_pump(&f, 50);
	ck_assert_uint_eq(fakesd_count(&f, "t"), 1);
	ck_assert_int_eq(stored_name_ends("-1"), 1);
	crash_and_restart();
	ck_assert_int_gt(mmapc_ping(NULL), 0);
	ck_assert_int_eq(holders_of("shrunk"), 1);
	/* Ours again: growing it goes through the daemon with the re-claimed handle. */
	ck_assert_int_eq(mmapc_resize(m, 12288), 0);
	ck_assert_int_eq(mmapc_getitem(m, 4095), 0x33);
	mmapc_free(m);
}
END_TEST

START_TEST(test_fdstore_log_is_compacted_and_still_right)
{
	char name[32];

	/* About 100 bytes of log per tag made and destroyed: well past the 64 KiB floor. */
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "churn%d", i);
		mmapc_free(dtest_tag_map(name, 4096));
	}
	mmapc_map *a = dtest_tag_map("after-churn", 4096);
	mmapc_setitem(a, 7, 77);
	/* The sweep runs each second. */
	for (int i = 0; i < 40 && !fakesd_has(&f, "s2"); i++) {
		usleep(100000);
		fakesd_pump(&f, 20);
	}
	ck_assert(fakesd_has(&f, "s2"));
	ck_assert(!fakesd_has(&f, "s1"));
	crash_and_restart();
	ck_assert_int_eq(holders_of("after-churn"), 1);
	ck_assert_int_eq(holders_of("churn5"), -1);
	ck_assert_int_eq(mmapc_getitem(a, 7), 77);
	mmapc_free(a);
	ck_assert_int_eq(holders_of("after-churn"), -1);
}
END_TEST

/* ---- what the review of the first version found ------------------------------------------ */

START_TEST(test_fdstore_busy_manager_never_stalls_clients)
{
	enum { N = 60 }; /* the kernel queues 10 datagrams for a manager that does not read */
	mmapc_map *m[N];
	char name[32];

	fakesd_pause(&f, true);
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "busy%d", i);
		m[i] = dtest_tag_map(name, 4096);
	}
	ck_assert_int_gt(mmapc_ping(NULL), 0);
	fakesd_pause(&f, false);
	fakesd_pump(&f, 200);
	ck_assert_uint_eq(fakesd_count(&f, "t"), N);
	for (int i = 0; i < N; i++)
		mmapc_free(m[i]);
	ck_assert_int_gt(mmapc_ping(NULL), 0);
	fakesd_pump(&f, 100);
	ck_assert_uint_eq(fakesd_count(&f, "t"), 0);
}
END_TEST

static int shrink_refused(void *arg)
{
	(void)arg;
	int err;
	mmapc_map *m = dtest_tag_open("pend", 0, MMAPC_ACCESS_DEFAULT, NULL, &err);
	if (!m)
		return 10;
	/* The parent's hold from before the restart is another holder's. */
	int r = mmapc_resize(m, 4096);
	mmapc_free(m);
	return r == -EBUSY ? 0 : 11;
}

START_TEST(test_fdstore_pending_holder_blocks_a_shrink)
{
	mmapc_map *m = dtest_tag_map("pend", 8192);

	crash_and_restart();
	ck_assert_int_eq(dtest_in_child(shrink_refused, NULL), 0);
	ck_assert_int_gt(mmapc_ping(NULL), 0); /* re-claimed: now ours alone, and shrinkable */
	ck_assert_int_eq(mmapc_resize(m, 4096), 0);
	mmapc_free(m);
}
END_TEST

START_TEST(test_fdstore_hold_of_an_unlinked_tag_is_reclaimed)
{
	mmapc_map *m = dtest_tag_map("unl", 4096);
	struct mmapc_stats st;

	ck_assert_int_eq(mmapc_unlink("unl", NULL), 0);
	crash_and_restart();
	ck_assert_int_gt(mmapc_ping(NULL), 0);
	ck_assert_int_eq(mmapc_stat(NULL, &st), 0);
	ck_assert_uint_eq(st.tags, 1);
	ck_assert_uint_eq(st.handles, 1);
	mmapc_free(m);
	ck_assert_int_eq(mmapc_stat(NULL, &st), 0);
	ck_assert_uint_eq(st.tags, 0);
}
END_TEST

START_TEST(test_fdstore_turned_off_forgets_the_store)
{
	mmapc_map *m = dtest_tag_map("off", 4096);
	mmapc_setitem(m, 1, 11);

	fakesd_pump(&f, 50);
	ck_assert_uint_eq(fakesd_count(&f, "t"), 1);
	daemon_kill(&d);
	setenv("MMAPD_NO_FDSTORE", "1", 1);
	daemon_restart_with(&d, NULL, fakesd_pass, &f);
	unsetenv("MMAPD_NO_FDSTORE");
	fakesd_pump(&f, 100);
	/* Nothing is left for a later start to replay. */
	ck_assert_uint_eq(f.n, 0);
	/* The tag comes back the way it does with no store: we publish it again. */
	ck_assert_int_eq(holders_of("off"), 1);
	ck_assert_int_eq(mmapc_getitem(m, 1), 11);
	mmapc_free(m);
	ck_assert_int_eq(holders_of("off"), -1);
}
END_TEST

/* ---- reading the state back (store_restore, in this process) ------------------------------- */

static int memfd_with(const void *data, size_t n)
{
	int fd = memfd_create("test", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	return fd;
}

/* A log: the magic, then the records, then extra raw bytes (a torn or corrupt tail). */
static int log_of(const struct state_record *recs, size_t n, const void *extra, size_t n_extra)
{
	uint8_t buf[8192];
	size_t off = STATE_MAGIC_LEN;
	memcpy(buf, STATE_MAGIC, STATE_MAGIC_LEN);
	for (size_t i = 0; i < n; i++) {
		int k = state_encode(&recs[i], buf + off, sizeof(buf) - off);
		ck_assert_int_gt(k, 0);
		off += (size_t)k;
	}
	if (n_extra)
		memcpy(buf + off, extra, n_extra);
	return memfd_with(buf, off + n_extra);
}

static struct state_record tag_rec(uint64_t id, const char *name)
{
	struct state_record r = {.op = STATE_TAG, .id = id};
	r.tag.id = id;
	r.tag.name_len = strlen(name);
	strcpy(r.tag.name, name);
	r.tag.mode = 0600;
	r.tag.fd_writable = true;
	return r;
}

/* store_restore, quietly: the warnings it logs about the broken logs made here are expected. */
static ssize_t restore_from(int *fds, char **names, size_t n, struct store_restored **v,
                            uint64_t *next)
{
	int level = log_level;
	log_level = LOG_ERR;
	ssize_t r = store_restore(NULL, fds, names, n, v, next);
	log_level = level;
	return r;
}

START_TEST(test_fdstore_restore_reads_up_to_a_torn_record)
{
	struct state_record recs[] = {tag_rec(1, "a"),
	                              tag_rec(2, "b"),
	                              {.op = STATE_HOLD, .id = 2, .pid = 100, .count = 2},
	                              {.op = STATE_DROP, .id = 2, .pid = 100, .count = 1}};
	/* A third tag's record cut short: its length says more than is there. */
	uint8_t torn[] = {40, 0, 0, 0, 1, 2, 3, 4, 8, 3};
	int before = fd_count();
	int fds[] = {log_of(recs, 4, torn, sizeof(torn)), memfd_with("x", 1), memfd_with("y", 1),
	             memfd_with("z", 1), memfd_with("w", 1)};
	char *names[] = {"s1", "t1-0", "t2-0", "t3-0", "t2-7"};
	struct store_restored *v;
	uint64_t next;

	ck_assert_int_eq(restore_from(fds, names, 5, &v, &next), 2);
	ck_assert_uint_eq(next, 3);
	ck_assert_uint_eq(v[0].tag.id, 1);
	ck_assert_str_eq(v[0].tag.name, "a");
	ck_assert_uint_eq(v[0].n_holds, 0);
	ck_assert_uint_eq(v[1].tag.id, 2);
	ck_assert_uint_eq(v[1].n_holds, 1);
	ck_assert_int_eq(v[1].holds[0].pid, 100);
	ck_assert_uint_eq(v[1].holds[0].count, 1);
	ck_assert_int_eq(v[1].fd, fds[2]);
	store_restored_free(v, 2);
	/* Everything was taken: the kept ones freed with v, the others closed. */
	ck_assert_int_eq(fd_count(), before);
}
END_TEST

START_TEST(test_fdstore_restore_stops_at_a_corrupt_record)
{
	struct state_record recs[] = {tag_rec(1, "a"), tag_rec(2, "b"), tag_rec(3, "c")};
	uint8_t buf[1024];
	memcpy(buf, STATE_MAGIC, STATE_MAGIC_LEN);
	size_t off = STATE_MAGIC_LEN, second = 0;
	for (int i = 0; i < 3; i++) {
		if (i == 1)
			second = off;
		off += (size_t)state_encode(&recs[i], buf + off, sizeof(buf) - off);
	}
	buf[second + 10] ^= 0x40; /* a flipped bit in the second record: its CRC fails */
	int fds[] = {memfd_with(buf, off), memfd_with("x", 1), memfd_with("y", 1),
	             memfd_with("z", 1)};
	char *names[] = {"s4", "t1-0", "t2-0", "t3-0"};
	struct store_restored *v;
	uint64_t next;

	ck_assert_int_eq(restore_from(fds, names, 4, &v, &next), 1);
	ck_assert_str_eq(v[0].tag.name, "a");
	store_restored_free(v, 1);
}
END_TEST

START_TEST(test_fdstore_restore_takes_the_newest_log_and_drops_the_unmatched)
{
	struct state_record old[] = {tag_rec(1, "old")};
	struct state_record now[] = {
	        tag_rec(5, "new"), tag_rec(6, "nofd"), {.op = STATE_DESTROYED, .id = 1}};
	int fds[] = {log_of(old, 1, NULL, 0), log_of(now, 3, NULL, 0), memfd_with("x", 1),
	             memfd_with("y", 1), memfd_with("z", 1)};
	char *names[] = {"s1", "s2", "t1-0", "t5-0", "garbage"};
	struct store_restored *v;
	uint64_t next;

	ck_assert_int_eq(restore_from(fds, names, 5, &v, &next), 1);
	ck_assert_str_eq(v[0].tag.name, "new");
	ck_assert_uint_eq(next, 7);
	store_restored_free(v, 1);
}
END_TEST

START_TEST(test_fdstore_restore_with_no_log_restores_nothing)
{
	int fds[] = {memfd_with("not a log", 9), memfd_with("x", 1)};
	char *names[] = {"s1", "t1-0"};
	struct store_restored *v = (void *)1;
	uint64_t next;

	ck_assert_int_eq(restore_from(fds, names, 2, &v, &next), 0);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(next, 1);
}
END_TEST

START_TEST(test_fdstore_state_codec_refuses_what_it_cannot_be)
{
	uint8_t buf[STATE_RECORD_MAX];
	struct state_record r = tag_rec(1, "a"), back;

	r.tag.name_len = 0;
	ck_assert_int_eq(state_encode(&r, buf, sizeof(buf)), -EINVAL);
	r.tag.name_len = STATE_NAME_MAX + 1;
	ck_assert_int_eq(state_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = (struct state_record){.op = 99};
	ck_assert_int_eq(state_encode(&r, buf, sizeof(buf)), -EINVAL);
	r = tag_rec(1, "a");
	ck_assert_int_eq(state_encode(&r, buf, 8), -EMSGSIZE);
	int n = state_encode(&r, buf, sizeof(buf));
	ck_assert_int_gt(n, 8);
	ck_assert_int_eq(state_decode(buf, (size_t)n, &back), n);
	ck_assert_str_eq(back.tag.name, "a");
	ck_assert_int_eq(state_decode(buf, (size_t)n - 1, &back), -EBADMSG);
	ck_assert_int_eq(state_decode(buf, 4, &back), 0);
}
END_TEST

Suite *fdstore_suite(void)
{
	Suite *s = suite_create("fdstore");
	TCase *tc;

	tc = tcase_new("restart");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_fdstore_crash_keeps_tags_bytes_and_holders);
	tcase_add_test(tc, test_fdstore_holder_that_exits_gives_the_tag_back);
	tcase_add_test(tc, test_fdstore_close_while_daemon_away_is_given_back);
	tcase_add_test(tc, test_fdstore_stop_keeps_the_store);
	tcase_add_test(tc, test_fdstore_shrink_replaces_the_stored_descriptor);
	tcase_add_test(tc, test_fdstore_log_is_compacted_and_still_right);
	tcase_add_test(tc, test_fdstore_busy_manager_never_stalls_clients);
	tcase_add_test(tc, test_fdstore_pending_holder_blocks_a_shrink);
	tcase_add_test(tc, test_fdstore_hold_of_an_unlinked_tag_is_reclaimed);
	tcase_add_test(tc, test_fdstore_turned_off_forgets_the_store);
	suite_add_tcase(s, tc);

	tc = tcase_new("state");
	tcase_add_test(tc, test_fdstore_restore_reads_up_to_a_torn_record);
	tcase_add_test(tc, test_fdstore_restore_stops_at_a_corrupt_record);
	tcase_add_test(tc, test_fdstore_restore_takes_the_newest_log_and_drops_the_unmatched);
	tcase_add_test(tc, test_fdstore_restore_with_no_log_restores_nothing);
	tcase_add_test(tc, test_fdstore_state_codec_refuses_what_it_cannot_be);
	suite_add_tcase(s, tc);
	return s;
}
