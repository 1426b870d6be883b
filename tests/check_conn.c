/* check_conn.c: libmmapc's daemon connection when the other end misbehaves or is absent.
 *
 * Fake daemons (a thread serving a SOCK_SEQPACKET socket in a temporary directory) answer
 * with garbage, hang up mid-call, or say nothing, so that every connection errno mmapc.h
 * documents for mmapc_open is provoked, and then each of them again for the calls that
 * document "a connection failure as mmapc_open lists them" (unlink, list, stat, ping); a
 * real mmapd with tight limits provokes the limit errnos.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "helpers.h"
#include "wire.h"

enum fake_kind {
	FAKE_GARBAGE,  /* answers every request with bytes that are no Reply */
	FAKE_HANGUP,   /* reads the request and closes the connection */
	FAKE_SILENT,   /* reads the request and never answers */
	FAKE_WRONG_ID, /* answers a valid ping reply with another id */
	FAKE_WRONG_OP, /* answers a valid ping reply, with the right id, to any request */
	FAKE_STRAY_FD, /* answers an error reply with a descriptor attached */
	FAKE_VERSION0, /* answers a ping reply, with the right id, that names version 0 */
};

struct fake {
	enum fake_kind kind;
	char dir[64];
	char path[128];
	int listen_fd;
	pthread_t thread;
};

static void *fake_serve(void *arg)
{
	struct fake *f = arg;
	uint8_t buf[WIRE_PACKET_MAX];
	int fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return NULL;
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	struct wire_request req;
	if (n > 0 && wire_decode_request(buf, (size_t)n, &req) == 0) {
		struct wire_reply rep = {.id = req.id + (f->kind == FAKE_WRONG_ID),
		                         .op = WIRE_PING,
		                         .version = f->kind == FAKE_VERSION0 ? 0 : WIRE_VERSION};
		int len;
		switch (f->kind) {
		case FAKE_GARBAGE:
			send(fd, "\xff\xff\xff garbage", 12, MSG_NOSIGNAL);
			break;
		case FAKE_SILENT:
			/* Wait for the client to give up and hang up. */
			recv(fd, buf, sizeof(buf), 0);
			break;
		case FAKE_WRONG_ID:
		case FAKE_WRONG_OP:
		case FAKE_VERSION0:
			len = wire_encode_reply(&rep, buf, sizeof(buf));
			send(fd, buf, (size_t)len, MSG_NOSIGNAL);
			break;
		case FAKE_STRAY_FD: {
			rep = (struct wire_reply){.id = req.id, .op = WIRE_NONE, .error = EPERM};
			len = wire_encode_reply(&rep, buf, sizeof(buf));
			union {
				char b[CMSG_SPACE(sizeof(int))];
				struct cmsghdr align;
			} control = {0};
			struct iovec iov = {.iov_base = buf, .iov_len = (size_t)len};
			struct msghdr msg = {.msg_iov = &iov,
			                     .msg_iovlen = 1,
			                     .msg_control = control.b,
			                     .msg_controllen = sizeof(control.b)};
			struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
			int stray = 0; /* our stdin: any descriptor will do */
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &stray, sizeof(int));
			sendmsg(fd, &msg, MSG_NOSIGNAL);
			break;
		}
		case FAKE_HANGUP:
			break;
		}
	}
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f, enum fake_kind kind)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	f->kind = kind;
	snprintf(f->dir, sizeof(f->dir), "/tmp/mmapc-fake-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/fake.sock", f->dir);
	memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
	f->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f->listen_fd, 0);
	ck_assert_int_eq(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(f->listen_fd, 4), 0);
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_serve, f), 0);
}

static void fake_stop(struct fake *f)
{
	conn_disconnect_all();
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	unlink(f->path);
	rmdir(f->dir);
}

/* Opens tag "t" through the fake and returns mmapc_open's result. */
static int open_via(struct fake *f)
{
	struct mmapc_options o = {.tagname = "t", .socket_path = f->path};
	mmapc_map *m = NULL;
	int r = mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o);
	ck_assert_ptr_null(m);
	return r;
}

START_TEST(test_conn_garbage_reply_is_eproto)
{
	struct fake f;
	fake_start(&f, FAKE_GARBAGE);
	ck_assert_int_eq(open_via(&f), -EPROTO);
	fake_stop(&f);
}
END_TEST

START_TEST(test_conn_wrong_reply_id_is_eproto)
{
	struct fake f;
	fake_start(&f, FAKE_WRONG_ID);
	ck_assert_int_eq(open_via(&f), -EPROTO);
	fake_stop(&f);
}
END_TEST

START_TEST(test_conn_reply_to_another_op_is_eproto)
{
	/* A well-formed reply with the right id, but a ping's answer to an open (and so without
	 * the descriptor an open's answer carries). */
	struct fake f;
	fake_start(&f, FAKE_WRONG_OP);
	ck_assert_int_eq(open_via(&f), -EPROTO);
	fake_stop(&f);
}
END_TEST

START_TEST(test_conn_stray_descriptor_is_closed)
{
	struct fake f;
	int before = fd_count();
	fake_start(&f, FAKE_STRAY_FD);
	/* The refusal itself comes through, and the descriptor it carried is not kept. */
	int r = open_via(&f);
	ck_assert_msg(r == -EPERM || r == -EPROTO, "got %d", r);
	fake_stop(&f);
	ck_assert_int_eq(fd_count(), before);
}
END_TEST

START_TEST(test_conn_hangup_is_econnreset)
{
	struct fake f;
	fake_start(&f, FAKE_HANGUP);
	ck_assert_int_eq(open_via(&f), -ECONNRESET);
	fake_stop(&f);
}
END_TEST

START_TEST(test_conn_silence_is_etimedout)
{
	struct fake f;
	setenv("MMAPC_TIMEOUT_MS", "200", 1);
	fake_start(&f, FAKE_SILENT);
	ck_assert_int_eq(open_via(&f), -ETIMEDOUT);
	fake_stop(&f);
	unsetenv("MMAPC_TIMEOUT_MS");
}
END_TEST

START_TEST(test_conn_nobody_listening_is_econnrefused)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/mmapc-dead-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dead.sock", dir);
	/* A socket file left behind by a daemon that is gone: bound, never listening. */
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct mmapc_options o = {.tagname = "t", .socket_path = sa.sun_path};
	mmapc_map *m = NULL;
	ck_assert_int_eq(mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o), -ECONNREFUSED);
	close(fd);
	unlink(sa.sun_path);
	rmdir(dir);
}
END_TEST

START_TEST(test_conn_socket_path_too_long)
{
	char path[200];
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	path[0] = '/';
	struct mmapc_options o = {.tagname = "t", .socket_path = path};
	mmapc_map *m = NULL;
	ck_assert_int_eq(mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_conn_handle_limit_is_emfile)
{
	struct test_daemon d;
	static const char *const args[] = {"--max-handles", "2", NULL};
	struct mmapc_options o1 = {.tagname = "h1"}, o2 = {.tagname = "h2"}, o3 = {.tagname = "h3"};
	mmapc_map *a, *b, *c, *again;

	/* One handle per tag this process holds, however many maps it has of each. */
	daemon_start(&d, args);
	ck_assert_int_eq(mmapc_open(&a, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o1), 0);
	ck_assert_int_eq(mmapc_open(&b, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o2), 0);
	ck_assert_int_eq(mmapc_open(&again, -1, 0, MMAPC_ACCESS_DEFAULT, 0, &o2), 0);
	ck_assert_int_eq(mmapc_open(&c, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o3), -EMFILE);
	mmapc_free(b);
	ck_assert_int_eq(mmapc_open(&c, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o3), -EMFILE);
	mmapc_free(again);
	/* The quiet close is not answered: the daemon has it before the next request. */
	ck_assert_int_eq(mmapc_open(&c, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o3), 0);
	mmapc_free(c);
	mmapc_free(a);
	daemon_stop(&d);
}
END_TEST

START_TEST(test_conn_connection_limit_hangs_up)
{
	struct test_daemon d;
	static const char *const args[] = {"--max-connections", "1", NULL};
	char c;

	daemon_start(&d, args);
	int first = daemon_connect(&d);
	ck_assert_int_ge(first, 0);
	/* A round trip on the first makes sure the daemon has accepted it. */
	struct wire_request req = {.version = WIRE_VERSION, .id = 7, .op = WIRE_PING};
	uint8_t buf[256];
	int n = wire_encode_request(&req, buf, sizeof(buf));
	ck_assert_int_eq(send(first, buf, (size_t)n, 0), n);
	ck_assert_int_gt(recv(first, buf, sizeof(buf), 0), 0);
	int second = daemon_connect(&d);
	ck_assert_int_ge(second, 0);
	/* Over the limit the daemon accepts and closes at once: the client sees a hangup. */
	ck_assert_int_eq(recv(second, &c, 1, 0), 0);
	close(second);
	close(first);
	/* With the first gone, a new client is served again. */
	for (int i = 0; i < 100 && daemon_ping(&d) != 0; i++)
		usleep(10000);
	ck_assert_int_eq(daemon_ping(&d), 0);
	daemon_stop(&d);
}
END_TEST

/* ---- the same failures for unlink, list, stat and ping ------------------------------------- */

static int count_tag(const struct mmapc_tag_info *info, void *arg)
{
	(void)info;
	++*(int *)arg;
	return 0;
}

/* Calls the admin call `which` (0 unlink, 1 list, 2 stat, 3 ping) at path. */
static int admin_call(int which, const char *path)
{
	struct mmapc_stats st;
	int tags = 0;

	switch (which) {
	case 0:
		return mmapc_unlink("t", path);
	case 1:
		return mmapc_list(path, count_tag, &tags);
	case 2:
		return mmapc_stat(path, &st);
	default:
		return mmapc_ping(path);
	}
}

static const char *const admin_names[] = {"unlink", "list", "stat", "ping"};

/* Each failure a fake can make, for each admin call: _i / 4 the failure, _i % 4 the call. */
static const struct {
	enum fake_kind kind;
	int error;
} admin_failures[] = {
        {FAKE_GARBAGE, EPROTO},
        {FAKE_WRONG_ID, EPROTO},
        {FAKE_HANGUP, ECONNRESET},
        {FAKE_SILENT, ETIMEDOUT},
};

START_TEST(test_conn_admin_call_failures)
{
	struct fake f;
	int which = _i % 4, want = admin_failures[_i / 4].error;

	setenv("MMAPC_TIMEOUT_MS", "200", 1);
	fake_start(&f, admin_failures[_i / 4].kind);
	int r = admin_call(which, f.path);
	fake_stop(&f);
	unsetenv("MMAPC_TIMEOUT_MS");
	ck_assert_msg(r == -want, "%s: got %d, want -%d", admin_names[which], r, want);
}
END_TEST

START_TEST(test_conn_admin_call_refused_and_too_long)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/mmapc-dead-XXXXXX", path[200];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dead.sock", dir);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	path[0] = '/';
	for (int which = 0; which < 4; which++) {
		int refused = admin_call(which, sa.sun_path), too_long = admin_call(which, path);
		ck_assert_msg(refused == -ECONNREFUSED, "%s: got %d", admin_names[which], refused);
		ck_assert_msg(too_long == -ENAMETOOLONG, "%s: got %d", admin_names[which],
		              too_long);
	}
	close(fd);
	unlink(sa.sun_path);
	rmdir(dir);
}
END_TEST

START_TEST(test_conn_ping_version_zero_is_eproto)
{
	/* A ping answered in form, but naming no protocol version. */
	struct fake f;
	fake_start(&f, FAKE_VERSION0);
	int r = mmapc_ping(f.path);
	fake_stop(&f);
	ck_assert_int_eq(r, -EPROTO);
}
END_TEST

Suite *conn_suite(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_new("fake");

	tcase_add_test(tc, test_conn_garbage_reply_is_eproto);
	tcase_add_test(tc, test_conn_wrong_reply_id_is_eproto);
	tcase_add_test(tc, test_conn_reply_to_another_op_is_eproto);
	tcase_add_test(tc, test_conn_stray_descriptor_is_closed);
	tcase_add_test(tc, test_conn_hangup_is_econnreset);
	tcase_add_test(tc, test_conn_silence_is_etimedout);
	tcase_add_test(tc, test_conn_nobody_listening_is_econnrefused);
	tcase_add_test(tc, test_conn_socket_path_too_long);
	tcase_add_loop_test(tc, test_conn_admin_call_failures, 0, 16);
	tcase_add_test(tc, test_conn_admin_call_refused_and_too_long);
	tcase_add_test(tc, test_conn_ping_version_zero_is_eproto);
	suite_add_tcase(s, tc);

	tc = tcase_new("limits");
	tcase_add_test(tc, test_conn_handle_limit_is_emfile);
	tcase_add_test(tc, test_conn_connection_limit_hangs_up);
	suite_add_tcase(s, tc);
	return s;
}
