/* fuzz_request.c: libFuzzer harness for mmapd's request path, in process: packets and
 * descriptors arrive on real sockets, are read by daemon/client.c, decoded and dispatched by
 * daemon/handlers.c, acted on by a real registry, and answered; the harness reads and checks
 * the answers.
 *
 * The daemon side is the project's own code on a libuv loop: a server (server_init on a
 * listening socket bound to an abstract address, which nothing connects to), and per input a
 * fresh registry, optionally a restore (restore.h) holding two restored tags pending for
 * this process, and two connections made with socketpair(AF_UNIX, SOCK_SEQPACKET) and handed
 * to client_create. Each connection's peer credentials are then replaced by ones the input
 * chooses (uid 0, 1000, 1001 or 65534, a group, supplementary groups), so that the rules about
 * owners, modes and namespaces are exercised although everything runs as one user.
 *
 * An input is a configuration byte (limits, quotas, the restore), a peers byte, and then
 * records, each one of:
 *   - a raw packet: a 16-bit length and that many bytes, sent as they are (0xffff sends a
 *     packet over WIRE_PACKET_MAX);
 *   - a built request: a few bytes choosing an op and its fields from tables of good and
 *     bad values, a handle from those the daemon has issued on the connection, or a
 *     restored tag's identity, encoded with wire_encode_request;
 *   - an action: shut down or close the harness's end of a connection, send an empty
 *     packet (which the daemon takes for a hangup), stop or resume reading replies (so that
 *     the daemon's queue fills and it throttles), or just run the loop.
 * A packet may carry descriptors, which the input chooses: a sealed memfd (what a client
 * publishes), an unsealed one, regular files (read-write, read-only, write-only, append,
 * empty, not a page long), /dev/null, a socket, a directory, a pipe; one, two, or five of
 * them (more than the daemon makes room for).
 *
 * After each record the loop runs (UV_RUN_NOWAIT) until the daemon has nothing left to do,
 * and every reply is read and checked: it decodes; it carries a descriptor exactly when the
 * protocol says (a successful open, a resize that replaced the memory) and never with an
 * error; an open's descriptor is O_RDWR when the reply says writable and O_RDONLY otherwise,
 * and its size is the reply's; the daemon hangs up only after something that the protocol
 * answers with a hangup. Every descriptor received is closed. Any violation is an abort().
 *
 * State is bounded: the connections, the restore and the registry are destroyed after each
 * input (persistent tags included), and every 1000 inputs (MMAPC_FUZZ_FDCHECK=n: every n)
 * the harness lists its open descriptors, which must be those open after the first input.
 *
 * MMAPC_FUZZ_SEEDS=<dir> writes the seed corpus (each op alone, and sequences: open, resize,
 * list, stat, close, unlink; a file-backed open; a resume) to dir and exits.
 * MMAPC_FUZZ_LOG=debug (or info, ...) shows the daemon's log; it is quiet by default.
 *
 * Not here: the accept path (server.c's listen_cb), the fd store (store.c: no service
 * manager), main.c, and time: the sweep's throttling cut-off takes 10 s and is never reached.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "input.h"
#include "request_seeds.h"
#include "client.h"
#include "fdpass.h"
#include "log.h"
#include "registry.h"
#include "restore.h"
#include "server.h"
#include "state.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FAIL(...) \
	do { \
		fprintf(stderr, "fuzz_request: " __VA_ARGS__); \
		fprintf(stderr, "\n"); \
		abort(); \
	} while (0)

#define N_CONNS 2
#define RECORDS_MAX 64
#define HANDLES_MAX 16
#define FD_KINDS 16
/* The buffer size of the pipes the harness sends (see foreign_pipe). */
#define HARNESS_PIPE_SIZE 8192
/* Room for the most descriptors the harness sends with one packet. */
#define SEND_FDS_MAX 5

/* ---- the input ------------------------------------------------------------------------------ */

/* struct input and take_u8/u16/u64: input.h. */

/* ---- the daemon side ------------------------------------------------------------------------ */

static uv_loop_t loop;
static struct server srv;
static struct registry *reg;
static struct restore *rs;
static pid_t self;

/* A restored tag's memory, as a client that held it would name it in a resume. */
static struct {
	uint64_t dev, ino;
} restored[2];

/* The harness's end of one connection. */
struct conn {
	int fd;         /* -1 once the harness closed it */
	bool hangup_ok; /* the harness did something the daemon answers by hanging up */
	bool gone;      /* the daemon hung up */
	bool hold;      /* replies are left unread for now */
	uint64_t handles[HANDLES_MAX];
	size_t n_handles;
};

static struct conn conns[N_CONNS];

/* A reply was left unread in this input: the memory its descriptor names may have been
 * resized since the reply was written, so an open's size is not compared any more. */
static bool replies_held;

/* ---- descriptors to send ------------------------------------------------------------------ */

/* Made when an input first asks for them, closed at its end. */
static int kind_fd[FD_KINDS];
static int extra_fd[FD_KINDS]; /* the other end of a socket pair or pipe */

static int memfd_of(size_t size, unsigned int seals)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    (seals && fcntl(fd, F_ADD_SEALS, seals) < 0))
		FAIL("memfd: %s", strerror(errno));
	return fd;
}

static int file_of(size_t size)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		char path[] = "/tmp/fuzz_request.XXXXXX";
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
	}
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		FAIL("file: %s", strerror(errno));
	return fd;
}

static int reopen(int fd, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int r = open(path, flags | O_CLOEXEC);
	if (r < 0)
		FAIL("reopen: %s", strerror(errno));
	return r;
}

static int get_fd(unsigned int kind);

static int make_fd(unsigned int kind)
{
	int sv[2];

	switch (kind) {
	case 0: /* what a client publishes: sealed against shrinking and sealing */
		return memfd_of(4096, F_SEAL_SHRINK | F_SEAL_SEAL);
	case 1:
		return memfd_of(4096, 0);
	case 2:
		return file_of(8192);
	case 3:
		return reopen(get_fd(2), O_RDONLY);
	case 4:
		return file_of(0);
	case 5:
		return reopen(get_fd(2), O_WRONLY);
	case 6:
		return reopen(get_fd(2), O_RDWR | O_APPEND);
	case 7:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	case 8:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			FAIL("socketpair: %s", strerror(errno));
		extra_fd[kind] = sv[1];
		return sv[0];
	case 9:
		return open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	case 10:
		if (pipe2(sv, O_CLOEXEC) < 0 || fcntl(sv[0], F_SETPIPE_SZ, HARNESS_PIPE_SIZE) < 0)
			FAIL("pipe: %s", strerror(errno));
		extra_fd[kind] = sv[1];
		return sv[0];
	case 11: /* sealed against writing too: not publishable */
		return memfd_of(4096, F_SEAL_SHRINK | F_SEAL_SEAL | F_SEAL_WRITE);
	case 12: /* publishable, but read-only */
		return reopen(get_fd(0), O_RDONLY);
	case 13:
		return file_of(100);
	case 14: /* other memory, also publishable */
		return memfd_of(8192, F_SEAL_SHRINK | F_SEAL_SEAL);
	default: /* another file */
		return file_of(4096);
	}
}

static int get_fd(unsigned int kind)
{
	if (kind_fd[kind] < 0)
		kind_fd[kind] = make_fd(kind);
	if (kind_fd[kind] < 0)
		FAIL("cannot make a descriptor of kind %u: %s", kind, strerror(errno));
	return kind_fd[kind];
}

static void close_fds(void)
{
	for (int i = 0; i < FD_KINDS; i++) {
		if (kind_fd[i] >= 0)
			close(kind_fd[i]);
		if (extra_fd[i] >= 0)
			close(extra_fd[i]);
		kind_fd[i] = extra_fd[i] = -1;
	}
}

/* The descriptors an attachment byte asks for: below 128 none; else a kind (low four bits)
 * and how many: one mostly, two (the kind and /dev/null), or five (more than FDPASS_MAX). */
static size_t pick_fds(uint8_t a, int *fds)
{
	if (a < 128)
		return 0;
	unsigned int kind = a & 15, mult = (a >> 4) & 7;
	fds[0] = get_fd(kind);
	if (mult < 6)
		return 1;
	if (mult == 6) {
		fds[1] = get_fd(7);
		return 2;
	}
	for (int i = 1; i < 5; i++)
		fds[i] = fds[0];
	return 5;
}

/* ---- replies ------------------------------------------------------------------------------- */

static uint8_t reply_buf[WIRE_PACKET_MAX + 1];

static void check_open_fd(const struct wire_reply *rep, int fd)
{
	int flags = fcntl(fd, F_GETFL);
	struct stat st;

	if (flags < 0 || fstat(fd, &st) < 0)
		FAIL("an open's descriptor: %s", strerror(errno));
	int want = rep->writable ? O_RDWR : O_RDONLY;
	if ((flags & O_ACCMODE) != want)
		FAIL("an open's descriptor is %s but the reply says %s",
		     (flags & O_ACCMODE) == O_RDWR ? "O_RDWR" : "not O_RDWR",
		     rep->writable ? "writable" : "read-only");
	if (rep->writable && (flags & O_APPEND))
		FAIL("a writable open's descriptor is O_APPEND");
	if (!replies_held && (uint64_t)st.st_size != rep->size)
		FAIL("an open's reply says size %llu, its descriptor %llu",
		     (unsigned long long)rep->size, (unsigned long long)st.st_size);
	if (!S_ISREG(st.st_mode))
		FAIL("an open's descriptor is not a regular file");
}

/* Reads and checks every reply waiting on connection i; returns how many. */
static size_t drain(int i)
{
	struct conn *c = &conns[i];
	size_t got = 0;

	while (c->fd >= 0 && !c->gone && !c->hold) {
		union fdpass_control control;
		struct iovec iov = {.iov_base = reply_buf, .iov_len = sizeof(reply_buf)};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		int fds[FDPASS_MAX];

		fdpass_expect(&msg, &control);
		ssize_t n = recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			if (errno != ECONNRESET)
				FAIL("recvmsg: %s", strerror(errno));
			/* The daemon closed with requests of ours unread: a hangup, with no
			 * control data to look at. */
			n = 0;
			msg.msg_controllen = 0;
		}
		size_t n_fds = fdpass_collect(&msg, fds);
		got++;
		if (n == 0) {
			if (!c->hangup_ok)
				FAIL("connection %d: the daemon hung up on a well-behaved client",
				     i);
			if (n_fds)
				FAIL("a hangup with descriptors");
			c->gone = true;
			break;
		}
		if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
			FAIL("a reply over the size limit, or with too many descriptors");
		struct wire_reply rep;
		int r = wire_decode_reply(reply_buf, (size_t)n, &rep);
		if (r < 0)
			FAIL("connection %d: a reply that does not decode (%d, %zd bytes)", i, r,
			     n);
		bool want_fd = rep.op == WIRE_OPEN || (rep.op == WIRE_RESIZE && rep.replaced);
		if (n_fds != (want_fd ? 1u : 0u))
			FAIL("a %s reply (error %d) with %zu descriptors", wire_op_name(rep.op),
			     rep.error, n_fds);
		if (rep.op == WIRE_OPEN) {
			check_open_fd(&rep, fds[0]);
			if (c->n_handles < HANDLES_MAX)
				c->handles[c->n_handles++] = rep.handle;
		}
		if (rep.op == WIRE_RESIZE && rep.replaced &&
		    (fcntl(fds[0], F_GETFL) & O_ACCMODE) != O_RDWR)
			FAIL("a resize's new memory is not writable");
		if (rep.op == WIRE_RESUME)
			for (size_t k = 0; k < rep.n_handles && c->n_handles < HANDLES_MAX; k++)
				if (rep.handles[k])
					c->handles[c->n_handles++] = rep.handles[k];
		wire_reply_finish(&rep);
		for (size_t k = 0; k < n_fds; k++)
			close(fds[k]);
	}
	return got;
}

/* Runs the loop until the daemon has nothing left to do and every reply has been read. */
static void settle(void)
{
	for (int round = 0; round < 256; round++) {
		uint64_t before = srv.stats.requests;
		uv_run(&loop, UV_RUN_NOWAIT);
		size_t got = 0;
		for (int i = 0; i < N_CONNS; i++)
			got += drain(i);
		if (round > 0 && got == 0 && srv.stats.requests == before)
			return;
	}
}

/* ---- sending -------------------------------------------------------------------------------- */

static void send_packet(int i, const uint8_t *p, size_t n, uint8_t attach)
{
	struct conn *c = &conns[i];
	int fds[SEND_FDS_MAX];
	union {
		char buf[CMSG_SPACE(SEND_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} control;

	if (c->fd < 0 || c->gone)
		return;
	size_t n_fds = pick_fds(attach, fds);
	struct iovec iov = {.iov_base = (void *)p, .iov_len = n};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
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
	/* What the daemon answers by hanging up: an oversize packet, too many descriptors, an
	 * empty packet (its hangup signal). */
	bool hangs_up = n == 0 || n > WIRE_PACKET_MAX || n_fds > FDPASS_MAX;
	for (int tries = 0; tries < 4; tries++) {
		if (sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
			c->hangup_ok |= hangs_up;
			return;
		}
		if (errno != EAGAIN && errno != ENOBUFS)
			return; /* the daemon has gone: a hangup the reading side will see */
		settle();
	}
}

/* Names of every shape: good ones in each namespace, and ones registry.c must refuse. */
static const char *const names[] = {
        "a",    "b",          "Global\\a",        "Global\\b",   "Local\\a",
        "",     "Global\\",   "Local\\",          "a/b",         "..",
        "x\\y", "\x01",       "Local\\Global\\a", "caf\xc3\xa9", "a\x7f",
        "r0",   "Global\\r1", "global\\a",        "Global\\\\",  "Global\\a/b",
};

static void take_name(struct input *in, char *dst, size_t cap)
{
	uint8_t k = take_u8(in);
	size_t n = sizeof(names) / sizeof(names[0]);

	if (k < 0xf0) {
		snprintf(dst, cap, "%s", names[k % n]);
		return;
	}
	/* Long ones: a name proper of 255 or 256 bytes, prefixed or not. */
	const char *prefix = (k & 1) ? "Global\\" : (k & 2) ? "Local\\" : "";
	size_t len = (k & 4) ? 256 : 255, p = strlen(prefix);
	if (p + len >= cap)
		len = cap - p - 1;
	memcpy(dst, prefix, p);
	memset(dst + p, (k & 8) ? 'n' : 'm', len);
	dst[p + len] = '\0';
}

static uint64_t take_length(struct input *in)
{
	static const uint64_t sizes[] = {0,
	                                 1,
	                                 100,
	                                 4096,
	                                 4097,
	                                 8192,
	                                 65536,
	                                 1 << 20,
	                                 UINT64_C(1) << 32,
	                                 (UINT64_C(5) << 30),
	                                 UINT64_MAX,
	                                 8191,
	                                 12288,
	                                 50,
	                                 (UINT64_C(1) << 63),
	                                 16384};
	uint8_t k = take_u8(in);
	return k < 0xf0 ? sizes[k % 16] : take_u64(in);
}

static uint64_t take_handle(struct input *in, int i)
{
	static const uint64_t raw[] = {0,
	                               1,
	                               (UINT64_C(1) << 32) | 1,
	                               (UINT64_C(2) << 32) | 1,
	                               UINT64_MAX,
	                               (UINT64_C(1) << 32) | 9,
	                               (UINT64_C(1) << 32),
	                               (UINT64_C(0x7fffffff) << 32) | 1};
	struct conn *c = &conns[i];
	uint8_t k = take_u8(in);

	if (k < 0xe0 && c->n_handles)
		return c->handles[k % c->n_handles];
	if (k < 0xe0 && conns[!i].n_handles) /* another connection's: must be refused */
		return conns[!i].handles[k % conns[!i].n_handles];
	return raw[k % 8];
}

/* Builds a request from the input; returns its length, or a negative errno if the fields
 * chosen are ones no packet can carry (then nothing is sent). */
static int build_request(struct input *in, int i, uint8_t *buf, size_t cap)
{
	static const uint32_t modes[] = {0,     0600, 0644, 0666, 0777, 0400, 0200, 01000,
	                                 04777, 0660, 0640, 0604, 0060, 0006, 0044, 0022};
	static const uint64_t offsets[] = {0, 1, 4096, 8192, 4095, 12288, UINT64_MAX, 100};
	static const char *const cursors[] = {"", "g/a", "u/0/a", "u/1000/b", "zzz", "g/", "u/"};
	static struct wire_resume_hold holds[8];
	struct wire_request req = {.version = WIRE_VERSION};
	uint8_t k = take_u8(in), f = take_u8(in);

	req.op = (enum wire_op)(1 + k % 8);
	if ((k & 0xc0) == 0xc0)
		req.version = take_u8(in);
	req.id = take_u8(in);
	req.writable = f & 1;
	req.persistent = f & 2;
	req.with_file = f & 4;
	req.must_exist = f & 8;
	req.quiet = f & 16;
	req.last = f & 32;
	req.publish = f & 64;
	switch (req.op) {
	case WIRE_OPEN:
		take_name(in, req.name, sizeof(req.name));
		req.length = take_length(in);
		req.offset = offsets[take_u8(in) % 8];
		req.mode = modes[take_u8(in) % 16];
		break;
	case WIRE_UNLINK:
		take_name(in, req.name, sizeof(req.name));
		break;
	case WIRE_LIST: {
		uint8_t c = take_u8(in);
		if (c & 1)
			take_name(in, req.name, sizeof(req.name));
		else
			snprintf(req.name, sizeof(req.name), "%s", cursors[(c >> 1) % 7]);
		break;
	}
	case WIRE_CLOSE:
		req.handle = take_handle(in, i);
		break;
	case WIRE_RESIZE:
		req.handle = take_handle(in, i);
		req.size = take_length(in);
		break;
	case WIRE_RESUME:
		req.n_holds = take_u8(in) % 5;
		for (size_t h = 0; h < req.n_holds; h++) {
			uint8_t b = take_u8(in);
			holds[h].dev = (b & 2) ? take_u64(in) : restored[b & 1].dev;
			holds[h].ino = (b & 2) ? take_u64(in) : restored[b & 1].ino;
			holds[h].writable = b & 4;
		}
		req.holds = holds;
		break;
	default:
		break;
	}
	return wire_encode_request(&req, buf, cap);
}

/* ---- one input ------------------------------------------------------------------------------ */

static void open_conn(int i, uint8_t peers)
{
	static const uid_t uids[] = {0, 1000, 1001, 65534};
	static gid_t groups[] = {100, 1000};
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		FAIL("socketpair: %s", strerror(errno));
	if (client_create(&srv, sv[0]) < 0)
		FAIL("client_create failed");
	struct client *c = srv.clients; /* the newest is first */
	unsigned int bits = i ? peers >> 3 : peers;
	c->peer.uid = uids[bits & 3];
	c->peer.gid = c->peer.uid == 0 ? 0 : (bits & 4) ? 100 : c->peer.uid;
	c->peer.groups = groups;
	c->peer.n_groups = (peers & 0x40) ? 2 : 0;
	c->peer.pid = i && (peers & 0x80) ? self + 1 : self;
	conns[i] = (struct conn){.fd = sv[1]};
}

/* Two tags restored as after a restart, pending for this process (restore.h). */
static void restore_tags(uint8_t peers)
{
	static const uid_t uids[] = {0, 1000, 1001, 65534};

	if (restore_create(&rs, &loop, reg, NULL) < 0)
		FAIL("restore_create failed");
	srv.restore = rs;
	for (int i = 0; i < 2; i++) {
		struct state_tag st = {.id = 1000 + (uint64_t)i,
		                       .name_len = 2,
		                       .global = i == 1,
		                       .ns_uid = uids[peers & 3],
		                       .owner_uid = uids[peers & 3],
		                       .owner_gid = uids[peers & 3],
		                       .mode = i ? 0644 : 0600,
		                       .kind = WIRE_KIND_ANONYMOUS,
		                       .fd_writable = true};
		snprintf(st.name, sizeof(st.name), "r%d", i);
		int fd = memfd_of(4096, F_SEAL_SHRINK | F_SEAL_SEAL);
		struct stat s;
		if (fstat(fd, &s) < 0)
			FAIL("fstat: %s", strerror(errno));
		restored[i].dev = s.st_dev;
		restored[i].ino = s.st_ino;
		struct tag *t;
		if (registry_restore(reg, &st, fd, &t) < 0)
			FAIL("registry_restore failed");
		if (restore_add(rs, t, self, 1 + (uint32_t)i) < 0)
			FAIL("restore_add failed");
		registry_settle(reg, t);
	}
}

static void setup(uint8_t config, uint8_t peers)
{
	struct registry_limits limits;

	registry_default_limits(&limits);
	if (config & 4) {
		limits.max_tags = 4;
		limits.max_bytes = 64 * 1024;
		limits.max_tags_per_user = 3;
		limits.max_bytes_per_user = 32 * 1024;
	}
	if (registry_create(&reg, &limits) < 0)
		FAIL("registry_create failed");
	srv.reg = reg;
	server_default_limits(&srv.limits);
	if (config & 1)
		srv.limits.max_handles = 3;
	if (config & 2)
		srv.limits.max_queued = 2;
	memset(&srv.stats, 0, sizeof(srv.stats));
	memset(restored, 0, sizeof(restored));
	replies_held = false;
	if (config & 8)
		restore_tags(peers);
	for (int i = 0; i < N_CONNS; i++)
		open_conn(i, peers);
}

static void teardown(void)
{
	for (int i = 0; i < N_CONNS; i++)
		conns[i].hold = false;
	settle();
	while (srv.clients)
		client_destroy(srv.clients);
	uv_run(&loop, UV_RUN_NOWAIT); /* libuv lets go of the clients' handles */
	for (int i = 0; i < N_CONNS; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);
	restore_destroy(rs);
	rs = NULL;
	srv.restore = NULL;
	registry_destroy(reg);
	reg = NULL;
	srv.reg = NULL;
	close_fds();
}

static void action(uint8_t h)
{
	int i = (h >> 2) & 1;
	struct conn *c = &conns[i];

	switch ((h >> 3) & 7) {
	case 0:
		if (c->fd >= 0 && shutdown(c->fd, SHUT_WR) == 0)
			c->hangup_ok = true;
		break;
	case 1:
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		break;
	case 2:
		send_packet(i, (const uint8_t *)"", 0, 0);
		break;
	case 3:
		c->hold = true;
		replies_held = true;
		break;
	case 4:
		c->hold = false;
		break;
	default:
		break;
	}
}

static uint8_t packet[WIRE_PACKET_MAX + 2];
static bool trace; /* MMAPC_FUZZ_TRACE: each record on stderr, for reading a finding */

static void trace_packet(int i, const uint8_t *p, size_t n, uint8_t attach)
{
	struct wire_request req;

	if (!trace)
		return;
	if (wire_decode_request(p, n, &req) == 0) {
		fprintf(stderr,
		        "> conn %d: %s id %llu name \"%s\" handle %#llx length %llu size %llu"
		        " attach %#x\n",
		        i, wire_op_name(req.op), (unsigned long long)req.id, req.name,
		        (unsigned long long)req.handle, (unsigned long long)req.length,
		        (unsigned long long)req.size, attach);
		wire_request_finish(&req);
	} else {
		fprintf(stderr, "> conn %d: %zu bytes that do not decode, attach %#x\n", i, n,
		        attach);
	}
}

static void run_records(struct input *in)
{
	for (int k = 0; k < RECORDS_MAX && in->n; k++) {
		uint8_t h = take_u8(in);
		int i = (h >> 2) & 1;
		if ((h & 3) == 2) {
			if (trace)
				fprintf(stderr, "> conn %d: action %d\n", i, (h >> 3) & 7);
			action(h);
		} else if ((h & 3) == 1) {
			uint8_t attach = take_u8(in);
			int n = build_request(in, i, packet, sizeof(packet));
			if (n > 0) {
				trace_packet(i, packet, (size_t)n, attach);
				send_packet(i, packet, (size_t)n, attach);
			}
		} else {
			uint8_t attach = take_u8(in);
			size_t n = take_u16(in);
			if (n == 0xffff) {
				memset(packet, 0x55, WIRE_PACKET_MAX + 1);
				n = WIRE_PACKET_MAX + 1;
			} else {
				if (n > in->n)
					n = in->n;
				memcpy(packet, in->p, n);
				in->p += n;
				in->n -= n;
			}
			trace_packet(i, packet, n, attach);
			send_packet(i, packet, n, attach);
		}
		settle();
	}
}

/* The descriptors open after the first input, by number. */
#define FD_TRACK_MAX 4096
static bool fd_open_then[FD_TRACK_MAX];

/* Whether fd is a pipe this harness did not make: libFuzzer's symbolizer (llvm-symbolizer,
 * started the first time a new function is printed) keeps two pipes open for good. The
 * harness's own pipes (kind 10) have a buffer of HARNESS_PIPE_SIZE, so that a pipe the
 * daemon failed to close is still told apart. */
static bool foreign_pipe(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	       fcntl(fd, F_GETPIPE_SZ) != HARNESS_PIPE_SIZE;
}

/* Compares the open descriptors with those after the first input (record: takes them as
 * the reference). Returns the number of descriptors open now that were not then, listing
 * them on stderr. */
static int check_fds(bool record)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int leaked = 0;

	if (!d)
		FAIL("opendir: %s", strerror(errno));
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd == dirfd(d) || fd >= FD_TRACK_MAX || fd_open_then[fd])
			continue;
		if (record || foreign_pipe(fd)) {
			fd_open_then[fd] = true;
			continue;
		}
		char path[300], target[256] = "";
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		fprintf(stderr, "fuzz_request: descriptor %d is open: %s\n", fd,
		        len > 0 ? target : "?");
		leaked++;
	}
	closedir(d);
	return leaked;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long runs;
	static unsigned long every = 1000;
	struct input in = {data, size};

	if (size < 2)
		return 0;
	uint8_t config = take_u8(&in), peers = take_u8(&in);
	setup(config, peers);
	run_records(&in);
	teardown();
	if (runs++ == 0) {
		check_fds(true);
		const char *e = getenv("MMAPC_FUZZ_FDCHECK"); /* check every that many inputs */
		if (e && strtoul(e, NULL, 10) > 0)
			every = strtoul(e, NULL, 10);
	} else if (runs % every == 0 && check_fds(false) > 0) {
		FAIL("descriptors leaked (found after %lu inputs)", runs);
	}
	return 0;
}

/* ---- start-up ------------------------------------------------------------------------------ */

/* The seed corpus: request_seeds.c. */

static void start_server(void)
{
	struct server_limits limits;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	/* An abstract address the kernel picks (autobind): nothing on disk, nothing connects. */
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa_family_t)) < 0 ||
	    listen(fd, 4) < 0)
		FAIL("listening socket: %s", strerror(errno));
	if (uv_loop_init(&loop) < 0)
		FAIL("uv_loop_init failed");
	server_default_limits(&limits);
	if (server_init(&srv, &loop, NULL, &limits, fd) < 0)
		FAIL("server_init failed");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("MMAPC_FUZZ_SEEDS");
	if (dir) {
		request_write_seeds(dir);
		exit(0);
	}
	const char *level = getenv("MMAPC_FUZZ_LOG");
	log_level = level && log_parse_level(level) >= 0 ? log_parse_level(level) : LOG_ERR;
	self = getpid();
	trace = getenv("MMAPC_FUZZ_TRACE") != NULL;
	for (int i = 0; i < FD_KINDS; i++)
		kind_fd[i] = extra_fd[i] = -1;
	start_server();
	return 0;
}
