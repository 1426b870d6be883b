/* check_daemon_holds.c: what a real mmapd does with holds when things go wrong: a socket
 * path that is not a socket, a daemon out of descriptors, a forked worker that outlives its
 * parent, a daemon that stops answering for a while, and opens served from this process's own
 * hold without asking the daemon.
 *
 * Each test of "holds" starts its own daemon on a fresh socket (daemon_helpers.c) and stops
 * it at the end, asserting a clean exit; the tests of "startup" start their own. Other
 * processes are forked children that report through their exit status (0 is success), never
 * through Check's asserts. The daemon is stopped with SIGSTOP to stand for one that does not
 * answer.
 *
 * Not here: sharing, lifetimes, namespaces, resizing, listing, quotas and connections in
 * ordinary conditions (check_daemon.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_helpers.h"
#include "fdpass.h"
#include "rawwire.h"
#include "wire.h"

/* ---- the daemon's own start-up ------------------------------------------------------------ */

START_TEST(test_daemon_socket_path_not_a_socket_left_alone)
{
	char path[] = "/tmp/mmapd-notasocket-XXXXXX";
	int fd = mkstemp(path), status;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "precious", 8), 8);
	close(fd);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		const char *bin = getenv("MMAPD_BIN") ? getenv("MMAPD_BIN") : "build/mmapd";
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		execl(bin, bin, "--socket", path, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	/* The file is still there, and still a file. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(file_size(fd), 8);
	close(fd);
	unlink(path);
}
END_TEST

/* ---- holds across fork and timeouts -------------------------------------------------------- */

static int parent_then_exit(void *arg)
{
	int *ready = arg;
	int r;
	mmapc_map *m = dtest_tag_open("orphaned", 4096, MMAPC_ACCESS_DEFAULT, NULL, &r);
	if (!m)
		return 10;
	/* A worker that never calls the library, and outlives us. */
	pid_t worker = fork();
	if (worker == 0) {
		sleep(30);
		_exit(0);
	}
	if (write(ready[1], &worker, sizeof(worker)) != sizeof(worker))
		return 11;
	return 0; /* exit holding the tag, without closing it */
}

START_TEST(test_daemon_forked_worker_does_not_keep_parent_holds)
{
	int ready[2];
	pid_t worker;

	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	ck_assert_int_eq(dtest_in_child(parent_then_exit, ready), 0);
	ck_assert_int_eq(read(ready[0], &worker, sizeof(worker)), sizeof(worker));
	/* The parent is gone; its worker lives on, but never held the parent's socket. */
	int r = -1;
	mmapc_map *m = NULL;
	for (int i = 0; i < 200; i++) {
		m = dtest_tag_open("orphaned", 4096, MMAPC_ACCESS_DEFAULT, NULL, &r);
		ck_assert_ptr_nonnull(m);
		if (mmapc_created(m) == 1)
			break;
		mmapc_free(m);
		m = NULL;
		usleep(10000);
	}
	ck_assert_msg(m, "the tag outlived its only holder while a forked worker lived");
	mmapc_free(m);
	kill(worker, SIGKILL);
	waitpid(worker, NULL, 0);
	close(ready[0]);
	close(ready[1]);
}
END_TEST

START_TEST(test_daemon_timeout_keeps_holds)
{
	/* The timeout is read when the connection is made, which this open does. */
	setenv("MMAPC_TIMEOUT_MS", "300", 1);
	mmapc_map *m = dtest_tag_map("kept", 4096);
	ck_assert_int_eq(mmapc_write(m, "hello", 5), 5);

	/* A daemon that stops answering for a while: calls time out, holds stay. */
	kill(dtest_daemon.pid, SIGSTOP);
	ck_assert_int_eq(mmapc_unlink("whatever", NULL), -ETIMEDOUT);
	struct mmapc_options o = {.tagname = "late"};
	mmapc_map *late = NULL;
	ck_assert_int_eq(mmapc_open(&late, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o), -ETIMEDOUT);
	kill(dtest_daemon.pid, SIGCONT);

	/* The next call skips the late replies (and gives back the late open's hold). */
	mmapc_map *again = dtest_tag_map("kept", 0);
	ck_assert_int_eq(mmapc_created(again), 0);
	ck_assert_int_eq(mmapc_getitem(again, 4), 'o');
	ck_assert_int_eq(mmapc_resize(m, 8192), 0);
	mmapc_free(again);
	late = dtest_tag_map("late", 4096);
	ck_assert_int_eq(mmapc_created(late), 1);
	mmapc_free(late);
	mmapc_free(m);
	unsetenv("MMAPC_TIMEOUT_MS");
}
END_TEST

START_TEST(test_daemon_reopen_served_from_own_hold)
{
	mmapc_map *first = dtest_tag_map("held", 8192), *second = NULL, *ro = NULL, *rw = NULL;
	struct mmapc_options o = {.tagname = "held"};

	mmapc_setitem(first, 0, 'h');
	/* With the daemon stopped, only an open that asks it nothing can succeed. */
	kill(dtest_daemon.pid, SIGSTOP);
	ck_assert_int_eq(mmapc_open(&second, -1, 4096, MMAPC_ACCESS_DEFAULT, 4096, &o), 0);
	ck_assert_int_eq(mmapc_created(second), 0);
	ck_assert_int_eq(mmapc_len(second), 4096);
	mmapc_setitem(second, 0, 's');
	ck_assert_int_eq(mmapc_getitem(first, 4096), 's');
	/* The same size rules as the daemon's. */
	ck_assert_int_eq(mmapc_open(&ro, -1, 8192, MMAPC_ACCESS_DEFAULT, 4096, &o), -EFBIG);
	ck_assert_int_eq(mmapc_open(&ro, -1, 0, MMAPC_ACCESS_DEFAULT, 8192, &o), -EFBIG);
	/* Shrinking the tag under this process's other map is refused here. */
	ck_assert_int_eq(mmapc_resize(first, 4096), -EBUSY);
	mmapc_free(second);
	kill(dtest_daemon.pid, SIGCONT);
	mmapc_free(first);

	/* A read-only hold never serves a writable open: that one gets a hold of its own. */
	struct mmapc_options p = {.tagname = "ro-held", .options = MMAPC_PERSISTENT};
	mmapc_map *w;
	ck_assert_int_eq(mmapc_open(&w, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &p), 0);
	mmapc_free(w); /* persistent: it lives on with no holder */
	struct mmapc_options r = {.tagname = "ro-held"};
	ck_assert_int_eq(mmapc_open(&ro, -1, 0, MMAPC_ACCESS_READ, 0, &r), 0);
	kill(dtest_daemon.pid, SIGSTOP);
	/* Another read-only open is served by the read-only hold… */
	mmapc_map *ro2 = NULL;
	ck_assert_int_eq(mmapc_open(&ro2, -1, 0, MMAPC_ACCESS_READ, 0, &r), 0);
	mmapc_free(ro2);
	kill(dtest_daemon.pid, SIGCONT);
	/* …but a writable one needs the daemon, and gets a writable descriptor. */
	ck_assert_int_eq(mmapc_open(&rw, -1, 0, MMAPC_ACCESS_WRITE, 0, &r), 0);
	ck_assert_int_eq(mmapc_write_byte(rw, 'w'), 0);
	ck_assert_int_eq(mmapc_getitem(ro, 0), 'w');
	ck_assert_int_eq(mmapc_resize(rw, 8192), 0);
	mmapc_free(rw);
	mmapc_free(ro);
	ck_assert_int_eq(mmapc_unlink("ro-held", NULL), 0);
}
END_TEST

START_TEST(test_daemon_out_of_descriptors_refuses_request_keeps_client)
{
	struct test_daemon lim;
	char content[4096] = {0};
	struct mmapc_options o = {.tagname = "lim-file"};
	mmapc_map *maps[64], *f = NULL;
	int n = 0, r = 0, file = tmpfile_with(content, sizeof(content), O_RDWR);

	daemon_start_limited(&lim, NULL, 24);
	/* Fill the daemon's descriptor table with tags. */
	for (; n < 64; n++) {
		char name[16];
		snprintf(name, sizeof(name), "lim-%d", n);
		maps[n] = dtest_tag_open(name, 4096, MMAPC_ACCESS_DEFAULT, NULL, &r);
		if (!maps[n])
			break;
	}
	ck_assert_int_lt(n, 64);
	ck_assert_int_eq(r, -EMFILE);
	/* Idle connections take whatever slot is left (the daemon sheds the ones it has no
	 * room for), so that the next descriptor sent cannot even be received. */
	int idle[3];
	for (int i = 0; i < 3; i++)
		idle[i] = daemon_connect(&lim);
	ck_assert_int_eq(daemon_ping(&lim), -EPROTO); /* no room for another client */
	/* A file handed over now is dropped by the kernel (MSG_CTRUNC): the request is
	 * refused with EMFILE, and the connection stays. */
	ck_assert_int_eq(mmapc_open(&f, file, 0, MMAPC_ACCESS_DEFAULT, 0, &o), -EMFILE);
	for (int i = 0; i < 3; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	ck_assert_int_eq(mmapc_resize(maps[0], 8192), 0);
	mmapc_free(maps[--n]);
	mmapc_free(maps[--n]);
	ck_assert_int_eq(mmapc_open(&f, file, 0, MMAPC_ACCESS_DEFAULT, 0, &o), 0);
	mmapc_free(f);
	while (n > 0)
		mmapc_free(maps[--n]);
	close(file);
	daemon_stop(&lim);
}
END_TEST

/* Whether this process still maps memory whose /proc/self/maps name contains label. */
static bool maps_contain(const char *label)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "re");

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, label) != NULL;
	fclose(f);
	return found;
}

/* A sole holder's shrink to a size that is not a page multiple moves it to a new memfd; the
 * old one must not stay mapped (a 1 GiB tag would leak 1 GiB of address space). */
START_TEST(test_daemon_sole_shrink_leaves_no_orphan_mapped)
{
	mmapc_map *m = dtest_tag_map("orphan-tail", 64 * 4096);

	ck_assert_int_eq(mmapc_setitem(m, 4999, 0x42), 0);
	ck_assert_int_eq(mmapc_resize(m, 5000), 0);
	ck_assert_int_eq(mmapc_getitem(m, 4999), 0x42);
	ck_assert_int_eq(mmapc_size(m), 5000);
	mmapc_free(m);
	ck_assert_msg(!maps_contain("mmapd:orphan-tail"), "memory of a freed map is still mapped");
}
END_TEST

struct race {
	mmapc_map *m1;
	volatile bool stop;
	int shrinks;
};

static void *shrink_and_grow(void *arg)
{
	struct race *r = arg;
	while (!r->stop) {
		if (mmapc_resize(r->m1, 4096) == 0)
			r->shrinks++;
		mmapc_resize(r->m1, 8192);
	}
	return NULL;
}

/* One thread shrinks and grows a map while another opens second maps of the same tag and
 * writes through them: every byte written through the second map must be seen through the
 * first, so no open may be served the memory a shrink is replacing. (A probe, not a proof:
 * the daemon's copy of the contents usually carries such a write across, so the old race
 * showed here only now and then.) */
START_TEST(test_daemon_shrink_never_splits_a_process_maps)
{
	struct race r = {.m1 = dtest_tag_map("race", 8192)};
	pthread_t t;
	int mismatches = 0;

	ck_assert_int_eq(pthread_create(&t, NULL, shrink_and_grow, &r), 0);
	for (int i = 0; i < 3000; i++) {
		int err;
		mmapc_map *m2 = dtest_tag_open("race", 4096, MMAPC_ACCESS_DEFAULT, NULL, &err);
		if (!m2)
			continue; /* the tag was mid-shrink below 4096 bytes: no view fits */
		mmapc_setitem(m2, 0, i & 0xff);
		if (mmapc_getitem(r.m1, 0) != (i & 0xff))
			mismatches++;
		mmapc_free(m2);
	}
	r.stop = true;
	pthread_join(t, NULL);
	ck_assert_int_eq(mismatches, 0);
	mmapc_free(r.m1);
}
END_TEST

/* As nobody: two connections are all that user may have; a third call is refused with
 * EUSERS, and one more is allowed once one of the two has gone. */
static int third_connection(void *arg)
{
	const struct test_daemon *d = arg;
	if (dtest_become(65534, 65534) < 0)
		return 10;
	int a = daemon_connect(d), b = daemon_connect(d);
	if (a < 0 || b < 0)
		return 11;
	if (mmapc_ping(NULL) != -EUSERS)
		return 12;
	int err;
	if (dtest_tag_open("users", 4096, MMAPC_ACCESS_DEFAULT, NULL, &err) || err != -EUSERS)
		return 13;
	close(a);
	for (int i = 0; i < 100; i++) {
		if (mmapc_ping(NULL) > 0)
			return 0;
		usleep(10000); /* the daemon reaps the closed connection on its next turn */
	}
	return 14;
}

START_TEST(test_daemon_connections_per_user_are_capped)
{
	struct test_daemon d;
	const char *args[] = {"--max-connections-per-user", "2", NULL};
	int socks[5];

	daemon_start(&d, args);
	ck_assert_int_eq(dtest_in_child(third_connection, &d), 0);
	/* Root is not limited. */
	for (int i = 0; i < 5; i++)
		ck_assert_int_ge(socks[i] = daemon_connect(&d), 0);
	ck_assert_int_gt(mmapc_ping(NULL), 0);
	for (int i = 0; i < 5; i++)
		close(socks[i]);
	daemon_stop(&d);
}
END_TEST

/* A client that sends opens and never reads their replies cannot pile the daemon's
 * descriptors up in its socket (they count against the daemon's user in the kernel): the
 * daemon holds replies back once a few are unread. */
START_TEST(test_daemon_non_reader_cannot_pile_up_descriptors)
{
	struct test_daemon d;
	const char *args[] = {"--throttle-seconds", "30", NULL};
	char name[32];
	uint8_t buf[512];
	int got = 0;

	daemon_start(&d, args);
	int sock = raw_connect(&d);
	for (int i = 1; i <= 200; i++) {
		snprintf(name, sizeof(name), "pile%d", i);
		struct wire_request req = raw_open_req((uint64_t)i, name, 4096);
		raw_send_req(sock, &req, NULL, 0);
	}
	raw_sleep_ms(300);
	for (;;) {
		union fdpass_control control;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		int fds[FDPASS_MAX];
		fdpass_expect(&msg, &control);
		if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			break;
		size_t n = fdpass_collect(&msg, fds);
		for (size_t k = 0; k < n; k++)
			close(fds[k]);
		got += (int)n;
	}
	ck_assert_int_ge(got, 1);
	ck_assert_int_le(got, 16);
	ck_assert_int_eq(daemon_ping(&d), 0); /* the others are served meanwhile */
	close(sock);
	daemon_stop(&d);
}
END_TEST

Suite *daemon_holds_suite(void)
{
	Suite *s = suite_create("daemon_holds");
	TCase *tc;

	tc = tcase_new("startup");
	tcase_add_test(tc, test_daemon_socket_path_not_a_socket_left_alone);
	tcase_add_test(tc, test_daemon_out_of_descriptors_refuses_request_keeps_client);
	tcase_add_test(tc, test_daemon_connections_per_user_are_capped);
	tcase_add_test(tc, test_daemon_non_reader_cannot_pile_up_descriptors);
	suite_add_tcase(s, tc);

	tc = tcase_new("holds");
	tcase_add_checked_fixture(tc, dtest_start, dtest_stop);
	tcase_add_test(tc, test_daemon_forked_worker_does_not_keep_parent_holds);
	tcase_add_test(tc, test_daemon_timeout_keeps_holds);
	tcase_add_test(tc, test_daemon_reopen_served_from_own_hold);
	tcase_add_test(tc, test_daemon_sole_shrink_leaves_no_orphan_mapped);
	tcase_add_test(tc, test_daemon_shrink_never_splits_a_process_maps);
	suite_add_tcase(s, tc);
	return s;
}
