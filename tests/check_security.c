/* check_security.c: who may open, write and unlink which tag, with real processes under real
 * uids against a real mmapd (registry.h and DESIGN.md, "Named mappings", are the rules).
 *
 * The test process runs as root, starts a daemon per test (as root) and forks children that
 * drop to other users with setgroups/setresgid/setresuid: uid 1001 (gid 2001) owns the tags,
 * 1002 is in the owner's group by its primary gid, 1003 only by a supplementary group, 1004
 * is an other. A child reports through its exit status: 0 for success, 1 for "refused with
 * EACCES" where a test asks for that, and otherwise the number of the step that went wrong,
 * whose description it writes to a page shared with the parent, which prints it.
 *
 * Some cells speak the wire themselves (handout()) so that they hold the very descriptor the
 * daemon hands out, and can try every way of making a read-only one writable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "wire.h"

#define TAG_SIZE 4096
#define WHY_MAX 1024
#define REFUSED 1 /* a child's "refused with EACCES" */
#define NO_PRIVDROP 2

struct ident {
	const char *what;
	uid_t uid;
	gid_t gid;
	gid_t supp; /* one supplementary group, or 0 for none */
};

static const struct ident OWNER = {"owner", 1001, 2001, 0};
static const struct ident GROUP = {"group member", 1002, 2001, 0};
static const struct ident SUPP = {"supplementary group member", 1003, 2002, 2001};
static const struct ident OTHER = {"other", 1004, 2002, 0};
static const struct ident ROOT = {"root", 0, 0, 0};

static struct test_daemon daemon_;
static char *why; /* shared with children: why the last one failed */

static void start(void)
{
	daemon_start(&daemon_, NULL);
}

static void stop(void)
{
	daemon_stop(&daemon_);
}

/* ---- children ------------------------------------------------------------------------------ */

__attribute__((format(printf, 2, 3))) static int note(int code, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(why, WHY_MAX, "uid %u, step %d: ", (unsigned)getuid(), code);

	va_start(ap, fmt);
	vsnprintf(why + n, WHY_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

/* In a child: return code unless cond holds. */
#define REQUIRE(code, cond) \
	do { \
		if (!(cond)) \
			return note(code, "%s is false (errno: %s)", #cond, strerror(errno)); \
	} while (0)

/* In a child: return code unless expr equals want. */
#define REQUIRE_EQ(code, expr, want) \
	do { \
		long long got_ = (long long)(expr); \
		if (got_ != (long long)(want)) \
			return note(code, "%s is %lld, expected %lld", #expr, got_, \
			            (long long)(want)); \
	} while (0)

/* In a child: return code unless the system call expr fails (-1) with errno err. */
#define REQUIRE_FAILS(code, expr, err) \
	do { \
		errno = 0; \
		long long got_ = (long long)(expr); \
		int errno_ = errno; \
		if (got_ != -1 || errno_ != (err)) \
			return note(code, "%s gave %lld (errno: %s), expected -1 (%s)", #expr, \
			            got_, strerror(errno_), strerror(err)); \
	} while (0)

typedef int (*child_fn)(const void *arg);

static int become(const struct ident *who)
{
	gid_t groups[1] = {who->supp};

	if (setgroups(who->supp ? 1 : 0, groups) < 0 ||
	    setresgid(who->gid, who->gid, who->gid) < 0 ||
	    setresuid(who->uid, who->uid, who->uid) < 0)
		return -1;
	return getuid() == who->uid && getegid() == who->gid ? 0 : -1;
}

/* Runs fn(arg) in a child process as who; returns its exit status (or 128 + signal). */
static int run_as(const struct ident *who, child_fn fn, const void *arg)
{
	int status;

	if (!why) {
		why = mmap(NULL, WHY_MAX, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		           0);
		ck_assert(why != MAP_FAILED);
	}
	why[0] = '\0';
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (become(who) < 0)
			_exit(note(NO_PRIVDROP, "cannot become uid %u: %s", (unsigned)who->uid,
			           strerror(errno)));
		_exit(fn(arg));
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void expect_child(int line, int want, const struct ident *who, const char *fn_name,
                         child_fn fn, const void *arg)
{
	int st = run_as(who, fn, arg);
	ck_assert_msg(st == want, "line %d: %s as %s (uid %u) exited %d, expected %d: %s", line,
	              fn_name, who->what, (unsigned)who->uid, st, want, why);
}

/* Runs fn as who and asserts its exit status; the last argument is fn's. */
#define AS(want, who, fn, ...) expect_child(__LINE__, want, who, #fn, fn, __VA_ARGS__)

static int open_tag(mmapc_map **m, const char *name, int fd, int64_t length, int access,
                    unsigned int mode, unsigned int options)
{
	struct mmapc_options o = {.tagname = name, .mode = mode, .options = options};

	*m = NULL;
	return mmapc_open(m, fd, length, access, 0, &o);
}

/* errno of mmap(prot, flags) of fd, or 0 if it maps (and is unmapped again). */
static int map_errno(int fd, int prot, int flags)
{
	void *p = mmap(NULL, TAG_SIZE, prot, flags, fd, 0);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, TAG_SIZE);
	return 0;
}

static int proc_reopen(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags | O_CLOEXEC);
}

/* The control for the /proc checks: a memfd of one's own reopens read-write there, so a
 * refusal of the daemon's is its inode's permissions, not /proc's. 0 or an errno. */
static int proc_reopen_own_memfd(void)
{
	int fd = memfd_create("control", MFD_CLOEXEC);
	int again = fd < 0 ? -1 : proc_reopen(fd, O_RDWR), r = again < 0 ? errno : 0;

	close(again);
	close(fd);
	return r;
}

/* In a child: every way of writing through fd, a read-only descriptor of a tag of TAG_SIZE
 * bytes or more, fails. Returns 0, or the failing step: code + 0..11. */
static int no_way_to_write(int fd, int code)
{
	char *p;

	REQUIRE_EQ(code, fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	REQUIRE_EQ(code + 1, map_errno(fd, PROT_READ | PROT_WRITE, MAP_SHARED), EACCES);
	p = mmap(NULL, TAG_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	REQUIRE(code + 2, p != MAP_FAILED);
	REQUIRE_FAILS(code + 3, mprotect(p, TAG_SIZE, PROT_READ | PROT_WRITE), EACCES);
	munmap(p, TAG_SIZE);
	REQUIRE_EQ(code + 4, proc_reopen_own_memfd(), 0);
	REQUIRE_FAILS(code + 5, proc_reopen(fd, O_RDWR), EACCES);
	REQUIRE_FAILS(code + 6, proc_reopen(fd, O_WRONLY), EACCES);
	REQUIRE_FAILS(code + 7, ftruncate(fd, 2 * TAG_SIZE), EINVAL);
	REQUIRE_FAILS(code + 8, ftruncate(fd, 0), EINVAL);
	REQUIRE_FAILS(code + 9, fchmod(fd, 0666), EPERM);
	REQUIRE_FAILS(code + 10, write(fd, "x", 1), EBADF);
	REQUIRE_FAILS(code + 11, pwrite(fd, "x", 1, 0), EBADF);
	return 0;
}

/* ---- the wire, spoken directly ------------------------------------------------------------- */

/* One request (with send_fd attached if >= 0) and its reply. Returns 0, with *rep filled and
 * *ret_fd the descriptor that came with it (or -1); the daemon's errno, negated; or -EPROTO. */
static int wire_call(int sock, const struct wire_request *req, int send_fd, struct wire_reply *rep,
                     int *ret_fd)
{
	static uint8_t buf[WIRE_PACKET_MAX];
	union {
		struct cmsghdr align;
		char bytes[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int n = wire_encode_request(req, buf, sizeof(buf));

	*ret_fd = -1;
	if (n <= 0)
		return -EINVAL;
	iov = (struct iovec){.iov_base = buf, .iov_len = (size_t)n};
	memset(&ctl, 0, sizeof(ctl));
	if (send_fd >= 0) {
		msg.msg_control = ctl.bytes;
		msg.msg_controllen = sizeof(ctl.bytes);
		*CMSG_FIRSTHDR(&msg) = (struct cmsghdr){.cmsg_len = CMSG_LEN(sizeof(int)),
		                                        .cmsg_level = SOL_SOCKET,
		                                        .cmsg_type = SCM_RIGHTS};
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), &send_fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != n)
		return -EPROTO;
	iov = (struct iovec){.iov_base = buf, .iov_len = sizeof(buf)};
	msg = (struct msghdr){.msg_iov = &iov,
	                      .msg_iovlen = 1,
	                      .msg_control = ctl.bytes,
	                      .msg_controllen = sizeof(ctl.bytes)};
	/* Room for one descriptor: more would set MSG_CTRUNC, and the kernel closes them. */
	ssize_t got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	struct cmsghdr *cm = got > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(ret_fd, CMSG_DATA(cm), sizeof(int));
	bool decoded = got > 0 && !(msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) &&
	               wire_decode_reply(buf, (size_t)got, rep) == 0;
	int r = !decoded || rep->id != req->id ? -EPROTO : -rep->error;
	if (r < 0 && *ret_fd >= 0) {
		close(*ret_fd);
		*ret_fd = -1;
	}
	if (r < 0 && decoded)
		wire_reply_finish(rep);
	return r;
}

/* What an open over the wire hands out. */
struct handout {
	int fd;
	bool writable, created;
	enum wire_kind kind;
};

/* Opens (or creates, persistent, with mode and file_fd if >= 0) a tag on a connection of its
 * own, which it closes again: the hold goes, the descriptor stays. 0 or a negative errno. */
static int handout(const char *name, bool writable, int file_fd, unsigned int mode,
                   struct handout *ret)
{
	struct wire_request req = {.version = WIRE_VERSION, .id = 42, .op = WIRE_OPEN};
	struct wire_reply rep;
	int sock = daemon_connect(&daemon_), fd;

	if (sock < 0)
		return sock;
	snprintf(req.name, sizeof(req.name), "%s", name);
	req.writable = writable;
	req.mode = mode;
	req.persistent = true;
	req.with_file = file_fd >= 0;
	int r = wire_call(sock, &req, file_fd, &rep, &fd);
	close(sock);
	if (r < 0)
		return r;
	*ret = (struct handout){
	        .fd = fd, .writable = rep.writable, .created = rep.created, .kind = rep.kind};
	wire_reply_finish(&rep);
	return fd < 0 ? -EPROTO : 0;
}

/* The daemon's record of a tag, as a WIRE_LIST shows it to root. 0 or -ENOENT. */
static int list_find(const char *display, uint32_t ns_uid, struct wire_tag_info *ret)
{
	struct wire_request req = {.version = WIRE_VERSION, .id = 9, .op = WIRE_LIST};
	struct wire_reply rep;
	int sock = daemon_connect(&daemon_), fd, r;

	ck_assert_int_ge(sock, 0);
	r = wire_call(sock, &req, -1, &rep, &fd);
	close(sock);
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(fd, -1);
	r = -ENOENT;
	for (size_t i = 0; i < rep.n_tags; i++) {
		if (!strcmp(rep.tags[i].name, display) && rep.tags[i].namespace_uid == ns_uid) {
			*ret = rep.tags[i];
			r = 0;
		}
	}
	wire_reply_finish(&rep);
	return r;
}

/* ---- children every test uses -------------------------------------------------------------- */

struct create_args {
	const char *name;
	unsigned int mode;
	const char *content;
};

/* Creates a persistent anonymous tag and writes content at 0. */
static int child_create(const void *arg)
{
	const struct create_args *a = arg;
	mmapc_map *m;

	REQUIRE_EQ(10,
	           open_tag(&m, a->name, -1, TAG_SIZE, MMAPC_ACCESS_DEFAULT, a->mode,
	                    MMAPC_PERSISTENT),
	           0);
	REQUIRE_EQ(11, mmapc_created(m), 1);
	REQUIRE_EQ(12, mmapc_write(m, a->content, strlen(a->content)),
	           (long long)strlen(a->content));
	mmapc_free(m);
	return 0;
}

/* Opens an existing tag for writing and finds content at 0. */
static int child_check(const void *arg)
{
	const struct create_args *a = arg;
	char buf[64] = {0};
	mmapc_map *m;

	REQUIRE_EQ(13, open_tag(&m, a->name, -1, 0, MMAPC_ACCESS_DEFAULT, 0, 0), 0);
	REQUIRE_EQ(14, mmapc_created(m), 0);
	REQUIRE_EQ(15, mmapc_read(m, buf, strlen(a->content) + 1),
	           (long long)strlen(a->content) + 1);
	REQUIRE(16, strcmp(buf, a->content) == 0);
	mmapc_free(m);
	return 0;
}

struct unlink_args {
	const char *name;
	int want;
};

static int child_unlink(const void *arg)
{
	const struct unlink_args *a = arg;

	REQUIRE_EQ(17, mmapc_unlink(a->name, NULL), a->want);
	return 0;
}

/* Asking to write an existing tag is refused, through libmmapc and over the wire. */
static int child_write_refused(const void *arg)
{
	struct handout h;
	mmapc_map *m;

	REQUIRE_EQ(18, open_tag(&m, arg, -1, 0, MMAPC_ACCESS_WRITE, 0, 0), -EACCES);
	REQUIRE_EQ(19, handout(arg, true, -1, 0, &h), -EACCES);
	return 0;
}

/* ---- 1. the owner/group/other matrix ------------------------------------------------------- */

/* Mode 0 cannot be asked for: it means the default, 0600 (mmapc.h, registry.h). */
static const unsigned int matrix_modes[] = {0600, 0640, 0644, 0660, 0666, 0604, 0000, 0400, 0200};
static const struct ident *const accessors[] = {&OWNER, &GROUP, &SUPP, &OTHER, &ROOT};
static const int accesses[] = {MMAPC_ACCESS_READ, MMAPC_ACCESS_WRITE, MMAPC_ACCESS_COPY};
static const char *const access_names[] = {"", "ACCESS_READ", "ACCESS_WRITE", "ACCESS_COPY"};

/* The rule, written out here rather than taken from the daemon: root may do anything; else
 * the first class the user is in (owner, then group incl. supplementary groups, then other)
 * decides; reading needs r, writing r and w; copy-on-write only reads the tag. */
static bool allowed(unsigned int mode, const struct ident *who, int access)
{
	unsigned int bits;

	if (who->uid == 0)
		return true;
	if (who->uid == OWNER.uid)
		bits = mode >> 6;
	else if (who->gid == OWNER.gid || who->supp == OWNER.gid)
		bits = mode >> 3;
	else
		bits = mode;
	if (access == MMAPC_ACCESS_WRITE)
		return (bits & 6) == 6;
	return (bits & 4) == 4;
}

static int child_access(const void *arg)
{
	int access = *(const int *)arg;
	mmapc_map *m;
	int r = open_tag(&m, "Global\\m", -1, 0, access, 0, 0);

	if (r == -EACCES)
		return REFUSED;
	REQUIRE_EQ(20, r, 0);
	REQUIRE_EQ(21, mmapc_created(m), 0);
	REQUIRE_EQ(22, mmapc_getitem(m, 0), 'M');
	if (access == MMAPC_ACCESS_READ) {
		REQUIRE_EQ(23, mmapc_setitem(m, 0, 'x'), -EACCES);
	} else if (access == MMAPC_ACCESS_WRITE) {
		REQUIRE_EQ(24, mmapc_setitem(m, 1, 'w'), 0);
	} else {
		REQUIRE_EQ(25, mmapc_setitem(m, 2, 'c'), 0);
		REQUIRE_EQ(26, mmapc_getitem(m, 2), 'c');
	}
	mmapc_free(m);
	return 0;
}

START_TEST(test_security_access_matrix)
{
	unsigned int mode = matrix_modes[_i], effective = mode ? mode : 0600;
	struct wire_tag_info info;
	char report[4096] = "";
	size_t used = 0;
	int bad = 0;
	mmapc_map *m;

	AS(0, &OWNER, child_create, &(struct create_args){"Global\\m", mode, "M"});
	/* The tag's owner is its creator, and its mode the one asked for. */
	ck_assert_int_eq(list_find("Global\\m", 0, &info), 0);
	ck_assert_uint_eq(info.owner_uid, OWNER.uid);
	ck_assert_uint_eq(info.owner_gid, OWNER.gid);
	ck_assert_uint_eq(info.mode, effective);
	ck_assert(info.persistent);

	for (size_t i = 0; i < sizeof(accessors) / sizeof(accessors[0]); i++) {
		for (size_t k = 0; k < sizeof(accesses) / sizeof(accesses[0]); k++) {
			const struct ident *who = accessors[i];
			int want = allowed(effective, who, accesses[k]) ? 0 : REFUSED;
			int st = run_as(who, child_access, &accesses[k]);
			bad += st != want;
			if (st != want && used < sizeof(report))
				used += (size_t)snprintf(
				        report + used, sizeof(report) - used,
				        "\n  %s (uid %u) %s: exit %d, expected %s %s", who->what,
				        (unsigned)who->uid, access_names[accesses[k]], st,
				        want ? "EACCES" : "success", why);
		}
	}
	ck_assert_msg(bad == 0, "mode %04o (asked for %04o): %d cell(s) wrong:%s", effective, mode,
	              bad, report);

	/* Root wrote through ACCESS_WRITE; nobody's ACCESS_COPY write reached the tag. */
	ck_assert_int_eq(open_tag(&m, "Global\\m", -1, 0, MMAPC_ACCESS_READ, 0, 0), 0);
	ck_assert_int_eq(mmapc_getitem(m, 1), 'w');
	ck_assert_int_eq(mmapc_getitem(m, 2), 0);
	mmapc_free(m);
	ck_assert_int_eq(mmapc_unlink("Global\\m", NULL), 0);
	ck_assert_int_eq(mmapc_unlink("Global\\m", NULL), -ENOENT);
}
END_TEST

/* ---- 2. per-user namespaces ---------------------------------------------------------------- */

/* There is no name for another user's tag: every spelling is this user's, global, or bad. */
static int child_no_name_for_others(const void *arg)
{
	static const char *const aliases[] = {
	        "u/0000001001/x", "1001\\x",         "Local\\1001\\x", "\\x",
	        "User\\x",        "Local\\Local\\x", "Global\\..\\x"};
	mmapc_map *m;
	(void)arg;

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		int r = open_tag(&m, aliases[i], -1, TAG_SIZE, MMAPC_ACCESS_DEFAULT, 0, 0);
		if (r != -EINVAL)
			return note(170, "opening \"%s\" gave %d, expected -EINVAL", aliases[i], r);
	}
	/* This user has no "x" and 1001's is not found: creating one needs a length. */
	REQUIRE_EQ(171, open_tag(&m, "x", -1, 0, MMAPC_ACCESS_READ, 0, 0), -EINVAL);
	REQUIRE_EQ(172, open_tag(&m, "Local\\x", -1, 0, MMAPC_ACCESS_DEFAULT, 0, 0), -EINVAL);
	REQUIRE_EQ(173, open_tag(&m, "Global\\x", -1, 0, MMAPC_ACCESS_DEFAULT, 0, 0), -EINVAL);
	REQUIRE_EQ(174, mmapc_unlink("x", NULL), -ENOENT);
	/* With a length, "x" is a new tag of this user's, all zeroes. */
	REQUIRE_EQ(175, open_tag(&m, "x", -1, TAG_SIZE, MMAPC_ACCESS_DEFAULT, 0, 0), 0);
	REQUIRE_EQ(176, mmapc_created(m), 1);
	REQUIRE_EQ(177, mmapc_getitem(m, 0), 0);
	mmapc_free(m);
	return 0;
}

START_TEST(test_security_per_user_namespaces)
{
	struct wire_tag_info info;

	AS(0, &OWNER, child_create, &(struct create_args){"x", 0, "one"});
	/* Same name, same group, another user: another tag ("Local\x" is "x"). */
	AS(0, &GROUP, child_create, &(struct create_args){"Local\\x", 0, "two"});
	ck_assert_int_eq(list_find("x", OWNER.uid, &info), 0);
	ck_assert_uint_eq(info.owner_uid, OWNER.uid);
	ck_assert_int_eq(list_find("x", GROUP.uid, &info), 0);
	ck_assert_uint_eq(info.owner_uid, GROUP.uid);
	AS(0, &OWNER, child_check, &(struct create_args){.name = "Local\\x", .content = "one"});
	AS(0, &GROUP, child_check, &(struct create_args){.name = "x", .content = "two"});
	AS(0, &OTHER, child_no_name_for_others, NULL);
	AS(0, &ROOT, child_no_name_for_others, NULL);
	/* Unlinking "x" takes one's own, never another user's. */
	AS(0, &GROUP, child_unlink, &(struct unlink_args){"x", 0});
	AS(0, &GROUP, child_unlink, &(struct unlink_args){"Local\\x", -ENOENT});
	AS(0, &OWNER, child_check, &(struct create_args){.name = "x", .content = "one"});
	AS(0, &OWNER, child_unlink, &(struct unlink_args){"x", 0});
	ck_assert_int_eq(list_find("x", OWNER.uid, &info), -ENOENT);
}
END_TEST

/* ---- 3. read-only handouts ----------------------------------------------------------------- */

/* A reader of a 0644 tag tries every way to write through the descriptor it is handed. */
static int child_reader_cannot_write(const void *arg)
{
	struct handout h;
	struct stat st;
	char *p;
	int r;

	REQUIRE_EQ(30, handout(arg, false, -1, 0, &h), 0);
	REQUIRE_EQ(31, h.writable, 0);
	REQUIRE(32, fstat(h.fd, &st) == 0);
	REQUIRE_EQ(33, st.st_uid, 0); /* the daemon's uid */
	REQUIRE_EQ(34, st.st_mode & 07777, 0600);
	if ((r = no_way_to_write(h.fd, 35)))
		return r;
	REQUIRE_FAILS(47, fcntl(h.fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	/* A private writable mapping is allowed: its writes are its own. */
	p = mmap(NULL, TAG_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, h.fd, 0);
	REQUIRE(48, p != MAP_FAILED && memcmp(p, "secret", 6) == 0);
	memcpy(p, "PRIVATE", 7);
	REQUIRE(49, memcmp(p, "PRIVATE", 7) == 0);
	munmap(p, TAG_SIZE);
	REQUIRE(50, fstat(h.fd, &st) == 0 && st.st_size == TAG_SIZE);
	close(h.fd);
	return 0;
}

/* A writer's descriptor writes, but cannot shrink the memfd, seal it or chmod it. */
static int child_writer_sealed(const void *arg)
{
	struct handout h;
	struct stat st;

	REQUIRE_EQ(70, handout(arg, true, -1, 0, &h), 0);
	REQUIRE_EQ(71, h.writable, 1);
	REQUIRE_EQ(72, fcntl(h.fd, F_GETFL) & O_ACCMODE, O_RDWR);
	REQUIRE_EQ(73, fcntl(h.fd, F_GET_SEALS) & (F_SEAL_SHRINK | F_SEAL_SEAL),
	           F_SEAL_SHRINK | F_SEAL_SEAL);
	REQUIRE_EQ(74, pwrite(h.fd, "W", 1, 100), 1);
	REQUIRE_FAILS(75, ftruncate(h.fd, TAG_SIZE / 2), EPERM);
	REQUIRE_FAILS(76, ftruncate(h.fd, 0), EPERM);
	REQUIRE_FAILS(77, fcntl(h.fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	REQUIRE_FAILS(78, fcntl(h.fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
	REQUIRE_FAILS(79, fcntl(h.fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), EPERM);
	REQUIRE_FAILS(80, fchmod(h.fd, 0666), EPERM);
	REQUIRE(81,
	        fstat(h.fd, &st) == 0 && st.st_size == TAG_SIZE && (st.st_mode & 07777) == 0600);
	close(h.fd);
	return 0;
}

START_TEST(test_security_readonly_handouts)
{
	char buf[8] = {0};
	mmapc_map *w;

	AS(0, &OWNER, child_create, &(struct create_args){"Global\\ro", 0644, "secret"});
	ck_assert_int_eq(open_tag(&w, "Global\\ro", -1, 0, MMAPC_ACCESS_WRITE, 0, 0), 0);
	AS(0, &OTHER, child_reader_cannot_write, "Global\\ro");
	AS(0, &GROUP, child_reader_cannot_write, "Global\\ro");
	/* The tag's owner too: the memfd's inode is the daemon's, not the tag owner's. */
	AS(0, &OWNER, child_reader_cannot_write, "Global\\ro");
	AS(0, &OWNER, child_writer_sealed, "Global\\ro");
	/* A writer's view shows none of the private writes, and the writer's one. */
	ck_assert_int_eq(mmapc_getslice(w, 0, 7, 1, buf, 7), 7);
	ck_assert_mem_eq(buf, "secret", 7);
	ck_assert_int_eq(mmapc_getitem(w, 100), 'W');
	ck_assert_int_eq(mmapc_size(w), TAG_SIZE);
	mmapc_free(w);
	ck_assert_int_eq(mmapc_unlink("Global\\ro", NULL), 0);
}
END_TEST

/* ---- 4. and 6. file-backed tags ------------------------------------------------------------ */

/* A file of n bytes of fill in the daemon's directory (0755), owned by uid:gid with mode. */
static void make_file(char *path, const char *leaf, char fill, size_t n, const struct ident *who,
                      mode_t mode)
{
	char buf[8192];

	ck_assert_uint_le(n, sizeof(buf));
	memset(buf, fill, n);
	snprintf(path, PATH_MAX, "%s/%s", daemon_.dir, leaf);
	int fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
	ck_assert_int_eq(fchown(fd, who->uid, who->gid), 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* The file still holds n bytes of fill, and nothing else. */
static void expect_file(const char *path, char fill, size_t n)
{
	char buf[8193];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), (ssize_t)n);
	close(fd);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(buf[i] == fill, "%s: byte %zu is %#x", path, i, buf[i]);
}

struct file_args {
	const char *path, *name;
	int flags, access;
	unsigned int mode;
};

/* Opens the file at path with flags and makes it the backing of a new persistent tag. */
static int child_file_create(const void *arg)
{
	const struct file_args *a = arg;
	int fd = open(a->path, a->flags | O_CLOEXEC);
	mmapc_map *m;

	REQUIRE(90, fd >= 0);
	REQUIRE_EQ(91, open_tag(&m, a->name, fd, 0, a->access, a->mode, MMAPC_PERSISTENT), 0);
	REQUIRE_EQ(92, mmapc_created(m), 1);
	mmapc_free(m);
	close(fd);
	return 0;
}

/* A reader of another user's file tag gets an O_RDONLY descriptor and cannot write. */
static int child_file_reader(const void *arg)
{
	struct handout h;
	mmapc_map *m;
	int r;

	REQUIRE_EQ(93, handout(arg, false, -1, 0, &h), 0);
	REQUIRE_EQ(94, h.kind, WIRE_KIND_FILE);
	REQUIRE_EQ(95, h.writable, 0);
	if ((r = no_way_to_write(h.fd, 96)))
		return r;
	close(h.fd);
	REQUIRE_EQ(108, open_tag(&m, arg, -1, 0, MMAPC_ACCESS_READ, 0, 0), 0);
	REQUIRE_EQ(109, mmapc_getitem(m, 8191), 'f');
	REQUIRE_EQ(110, mmapc_setitem(m, 0, 'x'), -EACCES);
	mmapc_free(m);
	return 0;
}

/* The owner of a file handed over O_RDONLY: no writer, not even the owner, not even with the
 * file itself for a new tag (though the owner could open it O_RDWR). */
static int child_rofile_owner(const void *arg)
{
	struct handout h;
	int fd = open(arg, O_RDONLY | O_CLOEXEC);

	REQUIRE(120, fd >= 0);
	REQUIRE_EQ(121, handout("Global\\rofile", true, fd, 0, &h), -EACCES);
	REQUIRE_EQ(122, handout("Global\\rofile2", true, fd, 0666, &h), -EACCES);
	REQUIRE_EQ(123, handout("Global\\rofile", false, fd, 0, &h), 0);
	REQUIRE_EQ(124, h.created, 0);
	REQUIRE_EQ(125, fcntl(h.fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(h.fd);
	close(fd);
	return 0;
}

START_TEST(test_security_file_tags_across_users)
{
	char path[PATH_MAX];
	mmapc_map *m;

	make_file(path, "owned", 'f', 8192, &OWNER, 0644);
	AS(0, &OWNER, child_file_create,
	   &(struct file_args){path, "Global\\file", O_RDWR, MMAPC_ACCESS_DEFAULT, 0644});
	AS(0, &OTHER, child_file_reader, "Global\\file");
	AS(0, &OTHER, child_write_refused, "Global\\file");
	expect_file(path, 'f', 8192);

	AS(0, &OWNER, child_file_create,
	   &(struct file_args){path, "Global\\rofile", O_RDONLY, MMAPC_ACCESS_READ, 0666});
	AS(0, &OWNER, child_write_refused, "Global\\rofile");
	AS(0, &OTHER, child_write_refused, "Global\\rofile");
	AS(0, &OWNER, child_rofile_owner, path);
	ck_assert_int_eq(open_tag(&m, "Global\\rofile", -1, 0, MMAPC_ACCESS_WRITE, 0, 0), -EACCES);
	ck_assert_int_eq(open_tag(&m, "Global\\rofile2", -1, 0, MMAPC_ACCESS_READ, 0, 0), -EINVAL);
	expect_file(path, 'f', 8192);
	ck_assert_int_eq(mmapc_unlink("Global\\file", NULL), 0);
	ck_assert_int_eq(mmapc_unlink("Global\\rofile", NULL), 0);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

/* A user hands over a file it can only read (root's, 0644): it never gains write access. */
static int child_readonly_file_user(const void *arg)
{
	struct handout h;
	mmapc_map *m;
	int r;

	REQUIRE_FAILS(140, open(arg, O_RDWR | O_CLOEXEC), EACCES);
	int fd = open(arg, O_RDONLY | O_CLOEXEC);
	REQUIRE(141, fd >= 0);
	REQUIRE_EQ(142, handout("Global\\rootfile", true, fd, 0666, &h), -EACCES);
	REQUIRE_EQ(143, open_tag(&m, "Global\\rootfile", fd, 0, MMAPC_ACCESS_WRITE, 0666, 0),
	           -EACCES);
	REQUIRE_EQ(144, handout("Global\\rootfile", false, fd, 0666, &h), 0);
	REQUIRE_EQ(145, h.created, 1); /* so the refusals above created nothing */
	if ((r = no_way_to_write(h.fd, 146)))
		return r;
	close(h.fd);
	/* Mode 0666 says anyone may write; the file says no one can. */
	REQUIRE_EQ(158, handout("Global\\rootfile", true, fd, 0, &h), -EACCES);
	REQUIRE_EQ(159, handout("Global\\rootfile", true, -1, 0, &h), -EACCES);
	REQUIRE_EQ(160, open_tag(&m, "Global\\rootfile", -1, 0, MMAPC_ACCESS_WRITE, 0, 0), -EACCES);
	close(fd);
	return 0;
}

START_TEST(test_security_readonly_file_cannot_gain_write)
{
	char path[PATH_MAX];
	mmapc_map *m;

	make_file(path, "rootfile", 'r', TAG_SIZE, &ROOT, 0644);
	AS(0, &OTHER, child_readonly_file_user, path);
	AS(0, &GROUP, child_write_refused, "Global\\rootfile");
	ck_assert_int_eq(open_tag(&m, "Global\\rootfile", -1, 0, MMAPC_ACCESS_WRITE, 0, 0),
	                 -EACCES);
	expect_file(path, 'r', TAG_SIZE);
	ck_assert_int_eq(mmapc_unlink("Global\\rootfile", NULL), 0);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

/* ---- 5. unlink ------------------------------------------------------------------------------ */

START_TEST(test_security_unlink_owner_only)
{
	mmapc_map *m;

	AS(0, &OWNER, child_create, &(struct create_args){"Global\\u", 0666, "keep"});
	AS(0, &GROUP, child_unlink, &(struct unlink_args){"Global\\u", -EPERM});
	AS(0, &SUPP, child_unlink, &(struct unlink_args){"Global\\u", -EPERM});
	AS(0, &OTHER, child_unlink, &(struct unlink_args){"Global\\u", -EPERM});
	/* Refused means untouched: the others may still open it, mode 0666. */
	AS(0, &OTHER, child_check, &(struct create_args){.name = "Global\\u", .content = "keep"});
	AS(0, &OWNER, child_unlink, &(struct unlink_args){"Global\\u", 0});
	ck_assert_int_eq(mmapc_unlink("Global\\u", NULL), -ENOENT);
	/* Root may unlink anyone's. */
	AS(0, &OWNER, child_create, &(struct create_args){"Global\\u", 0666, "again"});
	ck_assert_int_eq(mmapc_unlink("Global\\u", NULL), 0);
	/* And root's tag is not 1001's to unlink. */
	ck_assert_int_eq(open_tag(&m, "Global\\r", -1, TAG_SIZE, MMAPC_ACCESS_DEFAULT, 0666,
	                          MMAPC_PERSISTENT),
	                 0);
	mmapc_free(m);
	AS(0, &OWNER, child_unlink, &(struct unlink_args){"Global\\r", -EPERM});
	ck_assert_int_eq(mmapc_unlink("Global\\r", NULL), 0);
}
END_TEST

Suite *security_suite(void)
{
	Suite *s = suite_create("security");
	TCase *tc = tcase_new("matrix");

	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_loop_test(tc, test_security_access_matrix, 0,
	                    (int)(sizeof(matrix_modes) / sizeof(matrix_modes[0])));
	suite_add_tcase(s, tc);

	tc = tcase_new("users");
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_security_per_user_namespaces);
	tcase_add_test(tc, test_security_unlink_owner_only);
	suite_add_tcase(s, tc);

	tc = tcase_new("handouts");
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_security_readonly_handouts);
	tcase_add_test(tc, test_security_file_tags_across_users);
	tcase_add_test(tc, test_security_readonly_file_cannot_gain_write);
	suite_add_tcase(s, tc);
	return s;
}
