/* helpers.c: the shared test fixtures and file helpers declared in helpers.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "fdpass.h"
#include "wire.h"

int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	/* ".", ".." and the directory's own descriptor are not the process's. */
	return n - 3;
}

static int fds_before;

static void fd_setup(void)
{
	fds_before = fd_count();
}

static void fd_teardown(void)
{
	ck_assert_msg(fd_count() == fds_before, "the test leaked %d descriptor(s)",
	              fd_count() - fds_before);
}

TCase *tcase_new(const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, fd_setup, fd_teardown);
	tcase_set_timeout(tc, getenv("MMAPC_TEST_VALGRIND") ? 600 : 30);
	return tc;
}

int tmpfile_named(const void *data, size_t n, int flags, char *path)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(path, PATH_MAX, "%s/mmapc-test-XXXXXX", dir);
	int fd = mkostemp(path, O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
	fd = open(path, flags | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

int tmpfile_with(const void *data, size_t n, int flags)
{
	char path[PATH_MAX];
	int fd = tmpfile_named(data, n, flags, path);
	unlink(path);
	return fd;
}

long long file_size(int fd)
{
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	return (long long)st.st_size;
}

mmapc_map *open_ok(int fd, int64_t length, int access, int64_t offset,
                   const struct mmapc_options *o)
{
	mmapc_map *m = NULL;
	int r = mmapc_open(&m, fd, length, access, offset, o);
	ck_assert_msg(r == 0, "mmapc_open failed: %d (%s)", r, strerror(-r));
	ck_assert_ptr_nonnull(m);
	return m;
}

mmapc_map *anon_map(int64_t n)
{
	mmapc_map *m = NULL;
	ck_assert_int_eq(mmapc_open(&m, -1, n, MMAPC_ACCESS_DEFAULT, 0, NULL), 0);
	ck_assert_ptr_nonnull(m);
	return m;
}

int daemon_connect(const struct test_daemon *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(d->socket), sizeof(sa.sun_path));
	memcpy(sa.sun_path, d->socket, strlen(d->socket) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

int daemon_ping(const struct test_daemon *d)
{
	struct wire_request req = {.version = WIRE_VERSION, .id = 1, .op = WIRE_PING};
	struct wire_reply rep;
	uint8_t buf[WIRE_PACKET_MAX];
	int fd = daemon_connect(d);

	if (fd < 0)
		return fd;
	int n = wire_encode_request(&req, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ssize_t got = -1;
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) == n)
		got = recv(fd, buf, sizeof(buf), 0);
	close(fd);
	if (got <= 0 || wire_decode_reply(buf, (size_t)got, &rep) < 0)
		return -EPROTO;
	wire_reply_finish(&rep);
	return rep.op == WIRE_PING && rep.version == WIRE_VERSION ? 0 : -EPROTO;
}

/* $MMAPD_TEST_WRAPPER (words separated by spaces, e.g. "valgrind -q --error-exitcode=99")
 * runs the daemon under a tool; its exit status then carries the tool's verdict, which
 * daemon_stop asserts. */
static size_t wrapper_words(char *buf, size_t cap, const char **argv, size_t max)
{
	const char *w = getenv("MMAPD_TEST_WRAPPER");
	size_t n = 0;

	if (!w)
		return 0;
	snprintf(buf, cap, "%s", w);
	for (char *save = NULL, *t = strtok_r(buf, " \t\n", &save); t && n < max;
	     t = strtok_r(NULL, " \t\n", &save))
		argv[n++] = t;
	return n;
}

static void spawn(struct test_daemon *d, const char *const *args, void (*child)(void *), void *arg)
{
	const char *bin = getenv("MMAPD_BIN") ? getenv("MMAPD_BIN") : "build/mmapd";
	const char *log = getenv("MMAPD_TEST_LOG") ? getenv("MMAPD_TEST_LOG") : "error";
	const char *argv[48];
	char words[512];
	char nofile[32];
	size_t n = 0;

	/* The limit is set by util-linux's prlimit, exec'd first: a setrlimit of our own here
	 * would be intercepted when the suites run under valgrind. A daemon held to a few
	 * descriptors cannot also carry a tool that needs its own. */
	if (d->nofile > 0) {
		snprintf(nofile, sizeof(nofile), "--nofile=%d", d->nofile);
		argv[n++] = "prlimit";
		argv[n++] = nofile;
	} else {
		n = wrapper_words(words, sizeof(words), argv, 16);
	}

	argv[n++] = bin;
	argv[n++] = "--socket";
	argv[n++] = d->socket;
	argv[n++] = "--log-level";
	argv[n++] = log;
	for (size_t i = 0; args && args[i] && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		if (child)
			child(arg);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* Ready when it answers a ping (a connection alone is accepted by the kernel as soon as
	 * the socket listens, before the daemon has finished starting); a daemon that died
	 * says so at once. A daemon under a wrapper starts slowly. */
	int tries = getenv("MMAPD_TEST_WRAPPER") ? 6000 : 1000;
	for (int i = 0; i < tries; i++) {
		if (daemon_ping(d) == 0)
			return;
		int status;
		ck_assert_msg(waitpid(d->pid, &status, WNOHANG) == 0, "mmapd (%s) exited at start",
		              bin);
		nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	}
	ck_abort_msg("mmapd did not start listening on %s", d->socket);
}

void daemon_start(struct test_daemon *d, const char *const *args)
{
	daemon_start_limited(d, args, 0);
}

void daemon_start_limited(struct test_daemon *d, const char *const *args, int nofile)
{
	d->nofile = nofile;
	snprintf(d->dir, sizeof(d->dir), "/tmp/mmapd-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->dir));
	chmod(d->dir, 0755);
	snprintf(d->socket, sizeof(d->socket), "%s/mmapd.sock", d->dir);
	setenv("MMAPD_SOCKET", d->socket, 1);
	spawn(d, args, NULL, NULL);
}

void daemon_restart(struct test_daemon *d, const char *const *args)
{
	spawn(d, args, NULL, NULL);
}

void daemon_restart_with(struct test_daemon *d, const char *const *args, void (*child)(void *),
                         void *arg)
{
	spawn(d, args, child, arg);
}

void daemon_kill(struct test_daemon *d)
{
	int status;

	kill(d->pid, SIGKILL);
	ck_assert_int_eq(waitpid(d->pid, &status, 0), d->pid);
}

void daemon_stop(struct test_daemon *d)
{
	int status;

	conn_disconnect_all();
	ck_assert_int_eq(kill(d->pid, SIGTERM), 0);
	ck_assert_int_eq(waitpid(d->pid, &status, 0), d->pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	              "mmapd did not exit cleanly (status %#x)", status);
	unlink(d->socket);
	rmdir(d->dir);
	unsetenv("MMAPD_SOCKET");
}

static int fd_count_of(pid_t pid)
{
	char path[64];
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	ck_assert_ptr_nonnull(dir);
	while (readdir(dir))
		n++;
	closedir(dir);
	return n - 2;
}

/* One ping round trip on sock within 5 s: 0, or -1. */
static int ping_on(int sock, uint64_t id)
{
	struct wire_request req = {.version = WIRE_VERSION, .id = id, .op = WIRE_PING};
	struct wire_reply rep;
	uint8_t buf[WIRE_PACKET_MAX];
	struct pollfd p = {.fd = sock, .events = POLLIN};
	int n = wire_encode_request(&req, buf, sizeof(buf));

	if (n <= 0 || send(sock, buf, (size_t)n, MSG_NOSIGNAL) != n || poll(&p, 1, 5000) != 1)
		return -1;
	ssize_t got = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
	if (got <= 0 || wire_decode_reply(buf, (size_t)got, &rep) < 0)
		return -1;
	wire_reply_finish(&rep);
	return rep.id == id && rep.op == WIRE_PING ? 0 : -1;
}

/* The daemon reaps a closed connection when its loop reads the end of it, so a count taken
 * just after a client hung up can still include it. Two ping round trips on a connection of
 * our own make the loop run at least twice after every hangup that came before them (the
 * second request is read in a later iteration than the first); the daemon reads one packet
 * per client and iteration and closes a connection as soon as it reads its end, so every
 * client that hung up leaving at most one packet unread (a quiet close, say) is gone by the
 * count. One that left more, or that is throttled, takes longer: raw_wait_daemon_fds keeps
 * counting. The count is taken while our connection is open and does not include it. A
 * time-based settle (two readings 20 ms apart) proved too weak on a loaded machine: it is
 * the fallback for a daemon that will not answer (at its descriptor limit, say). */
int daemon_fd_count(const struct test_daemon *d)
{
	int sock = daemon_connect(d);

	if (sock >= 0 && ping_on(sock, 1) == 0 && ping_on(sock, 2) == 0) {
		int n = fd_count_of(d->pid) - 1;
		close(sock);
		return n;
	}
	if (sock >= 0)
		close(sock);
	int last = fd_count_of(d->pid);
	for (int i = 0; i < 100; i++) {
		nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
		int now = fd_count_of(d->pid);
		if (now == last)
			return now;
		last = now;
	}
	return last;
}

void daemon_call(int sock, struct wire_request *req, int send_fd, struct wire_reply *rep,
                 int *ret_fd)
{
	static uint8_t buf[WIRE_PACKET_MAX];
	union fdpass_control control;
	struct iovec iov = {.iov_base = buf};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[FDPASS_MAX];

	req->version = WIRE_VERSION;
	int n = wire_encode_request(req, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	iov.iov_len = (size_t)n;
	fdpass_attach(&msg, &control, send_fd);
	ck_assert_int_eq(sendmsg(sock, &msg, MSG_NOSIGNAL), n);

	struct pollfd p = {.fd = sock, .events = POLLIN};
	ck_assert_msg(poll(&p, 1, 5000) == 1, "no reply within 5 s");
	iov.iov_len = sizeof(buf);
	msg = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1};
	fdpass_expect(&msg, &control);
	ssize_t got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	ck_assert_int_gt(got, 0);
	size_t n_fds = fdpass_collect(&msg, fds);
	ck_assert_uint_le(n_fds, 1);
	*ret_fd = n_fds ? fds[0] : -1;
	ck_assert_int_eq(wire_decode_reply(buf, (size_t)got, rep), 0);
}
