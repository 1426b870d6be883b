/* rawwire.c: a raw wire client for the integration tests (see rawwire.h for what it promises).
 *
 * Receiving uses proto/fdpass.h like the daemon and the library do, with room for FDPASS_MAX
 * descriptors, so a reply that carried more would show as a truncated one. Sending keeps its
 * own control message: the tests attach up to RAW_MAX_SEND_FDS descriptors, more than
 * fdpass_attach's one, to see the daemon refuse (and close) a surplus.
 *
 * Not here: the tests themselves (check_badinput.c, check_badwire.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "rawwire.h"

/* ---- time, names of errors ------------------------------------------------------------- */

int64_t raw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void raw_sleep_ms(long ms)
{
	nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000}, NULL);
}

const char *raw_errname(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";
	return s ? s : "?";
}

/* ---- the daemon's descriptors ---------------------------------------------------------- */

/* What the daemon's descriptors are ("3 socket:[123], 4 /memfd:t (deleted), ..."), into buf,
 * so that a failed count says which one stayed. */
static void describe_daemon_fds(const struct test_daemon *d, char *buf, size_t size)
{
	char dir[64], link[PATH_MAX + 64], target[PATH_MAX];
	size_t used = 0;

	buf[0] = '\0';
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)d->pid);
	DIR *fds = opendir(dir);
	if (!fds)
		return;
	for (struct dirent *e; (e = readdir(fds)) && used < size;) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		int w = snprintf(buf + used, size - used, "%s%s %s", used ? ", " : "", e->d_name,
		                 target);
		used += w < 0 ? 0 : (size_t)w;
	}
	closedir(fds);
}

void raw_wait_daemon_fds(const struct test_daemon *d, int base)
{
	int64_t end = raw_now_ms() + RAW_FD_WAIT_MS;
	char what[2048];
	int n;

	while ((n = daemon_fd_count(d)) != base && raw_now_ms() < end)
		raw_sleep_ms(10);
	if (n != base)
		describe_daemon_fds(d, what, sizeof(what));
	ck_assert_msg(n == base, "mmapd holds %d descriptors, %d before the client came: %s", n,
	              base, n == base ? "" : what);
}

void raw_wait_not_held(const struct test_daemon *d, const char *path)
{
	char dir[64], link[PATH_MAX + 64], target[PATH_MAX];
	int64_t end = raw_now_ms() + RAW_WAIT_MS;
	int found;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)d->pid);
	for (;;) {
		DIR *fds = opendir(dir);
		struct dirent *e;
		ck_assert_ptr_nonnull(fds);
		for (found = 0; !found && (e = readdir(fds));) {
			snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
			ssize_t n = readlink(link, target, sizeof(target) - 1);
			if (n > 0)
				target[n] = '\0';
			found = n > 0 && strcmp(target, path) == 0;
		}
		closedir(fds);
		if (!found || raw_now_ms() >= end)
			break;
		raw_sleep_ms(10);
	}
	ck_assert_msg(!found, "mmapd kept the descriptor of %s it was sent", path);
}

struct raw_probe raw_probe_pipe(void)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	return (struct raw_probe){p[0], p[1]};
}

struct raw_probe raw_probe_socket(void)
{
	int p[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p), 0);
	return (struct raw_probe){p[1], p[0]};
}

void raw_probe_expect_closed(struct raw_probe *p)
{
	struct pollfd pf = {.fd = p->r, .events = POLLIN};

	close(p->w);
	int r = poll(&pf, 1, RAW_WAIT_MS);
	close(p->r);
	ck_assert_msg(r == 1 && (pf.revents & POLLHUP),
	              "mmapd still holds a descriptor it was sent (poll %d, revents %#x)", r,
	              (unsigned)pf.revents);
}

/* ---- packets --------------------------------------------------------------------------- */

int raw_connect(const struct test_daemon *d)
{
	int fd = daemon_connect(d);
	ck_assert_msg(fd >= 0, "cannot connect to mmapd: %s", strerror(-fd));
	return fd;
}

void raw_send_packet(int fd, const void *buf, size_t len, const int *fds, size_t n_fds)
{
	union {
		char buf[CMSG_SPACE(RAW_MAX_SEND_FDS * sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	ck_assert_uint_le(n_fds, RAW_MAX_SEND_FDS);
	if (n_fds) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
	}
	ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	ck_assert_msg(n == (ssize_t)len, "sendmsg of %zu bytes: %zd (%s)", len, n,
	              n < 0 ? strerror(errno) : "short");
}

struct wire_request raw_req(enum wire_op op, uint64_t id)
{
	return (struct wire_request){.version = WIRE_VERSION, .id = id, .op = op};
}

struct wire_request raw_open_req(uint64_t id, const char *name, uint64_t length)
{
	struct wire_request r = raw_req(WIRE_OPEN, id);
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.length = length;
	r.writable = true;
	return r;
}

void raw_send_req(int fd, const struct wire_request *req, const int *fds, size_t n_fds)
{
	uint8_t buf[1024];
	int n = wire_encode_request(req, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	raw_send_packet(fd, buf, (size_t)n, fds, n_fds);
}

ssize_t raw_recv_packet(int fd, uint8_t *buf, size_t cap, int *ret_fd)
{
	union fdpass_control control;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int fds[FDPASS_MAX];

	if (ret_fd)
		*ret_fd = -1;
	if (poll(&p, 1, RAW_WAIT_MS) != 1)
		return -ETIMEDOUT;
	fdpass_expect(&msg, &control);
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	size_t n_fds = fdpass_collect(&msg, fds);
	for (size_t i = 0; i < n_fds; i++) {
		if (ret_fd && *ret_fd < 0)
			*ret_fd = fds[i];
		else
			close(fds[i]);
	}
	ck_assert_msg(!(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)), "a truncated reply");
	return n;
}

void raw_expect_reply(int fd, struct wire_reply *rep, int *ret_fd)
{
	uint8_t buf[WIRE_PACKET_MAX];
	ssize_t n = raw_recv_packet(fd, buf, sizeof(buf), ret_fd);

	ck_assert_msg(n > 0, "expected a reply, got %s",
	              n == 0 ? "a hangup" : raw_errname((int)-n));
	ck_assert_int_eq(wire_decode_reply(buf, (size_t)n, rep), 0);
	wire_reply_finish(rep);
}

void raw_expect_error(int fd, uint64_t id, int error)
{
	struct wire_reply rep;

	raw_expect_reply(fd, &rep, NULL);
	ck_assert_msg(rep.op == WIRE_NONE && rep.error == error && rep.id == id,
	              "expected %s for id %" PRIu64 ", got op %s, error %s (\"%s\"), id %" PRIu64,
	              raw_errname(error), id, wire_op_name(rep.op), raw_errname(rep.error),
	              rep.message, rep.id);
}

void raw_expect_hangup(int fd)
{
	uint8_t buf[256];
	ssize_t n = raw_recv_packet(fd, buf, sizeof(buf), NULL);

	ck_assert_msg(n == 0, "expected mmapd to hang up, got %s",
	              n > 0 ? "a packet" : raw_errname((int)-n));
}

void raw_ping_on(int fd, uint64_t id)
{
	struct wire_request req = raw_req(WIRE_PING, id);
	struct wire_reply rep;

	raw_send_req(fd, &req, NULL, 0);
	raw_expect_reply(fd, &rep, NULL);
	ck_assert_msg(rep.op == WIRE_PING && rep.id == id && rep.version == WIRE_VERSION,
	              "ping %" PRIu64 ": op %s, error %s, id %" PRIu64, id, wire_op_name(rep.op),
	              raw_errname(rep.error), rep.id);
}

uint64_t raw_expect_open(int fd, uint64_t id, bool created)
{
	struct wire_reply rep;
	int got;

	raw_expect_reply(fd, &rep, &got);
	if (got >= 0)
		close(got);
	ck_assert_msg(rep.op == WIRE_OPEN && rep.id == id,
	              "open %" PRIu64 ": op %s, error %s (\"%s\"), id %" PRIu64, id,
	              wire_op_name(rep.op), raw_errname(rep.error), rep.message, rep.id);
	ck_assert_msg(got >= 0, "an open reply without a descriptor");
	ck_assert_int_eq(rep.created, created);
	return rep.handle;
}

uint64_t raw_open_on(int fd, uint64_t id, const char *name, bool created)
{
	struct wire_request req = raw_open_req(id, name, 4096);
	raw_send_req(fd, &req, NULL, 0);
	return raw_expect_open(fd, id, created);
}

void raw_after_bad_client(const struct test_daemon *d, int base)
{
	struct mmapc_options o = {.tagname = "still-serving"};
	mmapc_map *m = NULL;

	raw_wait_daemon_fds(d, base);
	ck_assert_int_eq(daemon_ping(d), 0);
	ck_assert_int_eq(mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o), 0);
	ck_assert_int_eq(mmapc_created(m), 1);
	ck_assert_int_eq(mmapc_write_byte(m, 'y'), 0);
	mmapc_free(m);
	conn_disconnect_all();
	raw_wait_daemon_fds(d, base);
}
