/* check_republish.c: a restart of mmapd by hand, with no fd store: the clients that still
 * hold anonymous tags publish them again on reconnect, so the tags and their bytes come back;
 * the first publisher of a name wins and a later one with other memory is refused; and every
 * way a hostile client could abuse publishing (a file that is not a memfd, an unsealed or
 * write-sealed memfd, a read-only one, an empty one, none at all) is refused with its errno on
 * a connection that stays up.
 *
 * Checks that must not come from this process (whose library re-claims on its next call) run
 * in forked children, which report through their exit status.
 *
 * The unit runs mmapd as root with no capability but CAP_DAC_READ_SEARCH, so it may fchmod
 * only the inodes root owns: a restart without CAP_FOWNER is tested too (the daemon's own
 * memfds come back from another user, a memfd another user made is refused with EPERM).
 *
 * Not here: restarts through systemd's store (check_fdstore.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_helpers.h"
#include "pbwriter.h"
#include "rawwire.h"
#include "wire.h"

static struct test_daemon d;

static void setup(void)
{
	unsetenv("NOTIFY_SOCKET");
	daemon_start(&d, NULL);
}

static void teardown(void)
{
	daemon_stop(&d);
}

struct tag_query {
	const char *name;
	int holders;
	uint32_t mode;
	int persistent;
};

static int find_tag(const struct mmapc_tag_info *info, void *arg)
{
	struct tag_query *q = arg;
	if (!strcmp(info->name, q->name)) {
		q->holders = (int)info->holders;
		q->mode = info->mode;
		q->persistent = info->persistent;
	}
	return 0;
}

static struct tag_query query(const char *name)
{
	struct tag_query q = {.name = name, .holders = -1};
	mmapc_list(NULL, find_tag, &q);
	return q;
}

/* In a child: "kept" is back with its bytes, one holder (the parent) and its mode. */
static int check_kept(void *arg)
{
	(void)arg;
	int err;
	struct mmapc_options o = {.options = MMAPC_NOCREATE};
	mmapc_map *m = dtest_tag_open("kept", 0, MMAPC_ACCESS_READ, &o, &err);
	if (!m)
		return 10;
	if (mmapc_len(m) != 8192 || mmapc_getitem(m, 0) != 'k' || mmapc_getitem(m, 8191) != 'K')
		return 11;
	mmapc_free(m);
	struct tag_query q = query("kept");
	if (q.holders != 1 || q.mode != 0640)
		return 12;
	q = query("durable");
	return q.holders == 1 && q.persistent ? 0 : 13;
}

START_TEST(test_republish_after_a_restart_by_hand)
{
	struct mmapc_options o = {.mode = 0640};
	int err;
	mmapc_map *kept = dtest_tag_open("kept", 8192, MMAPC_ACCESS_DEFAULT, &o, &err);
	ck_assert_ptr_nonnull(kept);
	mmapc_setitem(kept, 0, 'k');
	mmapc_setitem(kept, 8191, 'K');
	struct mmapc_options p = {.options = MMAPC_PERSISTENT};
	mmapc_map *durable = dtest_tag_open("durable", 4096, MMAPC_ACCESS_DEFAULT, &p, &err);
	ck_assert_ptr_nonnull(durable);
	/* A read-only hold has no memfd it may publish: it stays without a hold. (The tag is
	 * persistent so that no writable hold of ours is left to serve the reader.) */
	mmapc_map *w = dtest_tag_open("readers-only", 4096, MMAPC_ACCESS_DEFAULT, &p, &err);
	ck_assert_ptr_nonnull(w);
	mmapc_free(w);
	mmapc_map *reader = dtest_tag_open("readers-only", 0, MMAPC_ACCESS_READ, NULL, &err);
	ck_assert_ptr_nonnull(reader);

	daemon_kill(&d);
	daemon_restart(&d, NULL);
	ck_assert_int_eq(query("kept").holders, 1); /* our first call re-claims and publishes */
	ck_assert_int_eq(dtest_in_child(check_kept, NULL), 0);
	ck_assert_int_eq(query("readers-only").holders, -1);
	ck_assert_int_eq(mmapc_getitem(reader, 0), 0); /* its memory is still there */

	/* The published tags live by the ordinary rules again. */
	mmapc_free(kept);
	ck_assert_int_eq(query("kept").holders, -1);
	mmapc_free(durable);
	ck_assert_int_eq(query("durable").holders, 0);
	ck_assert_int_eq(mmapc_unlink("durable", NULL), 0);
	mmapc_free(reader);
}
END_TEST

/* ---- first publisher wins ---------------------------------------------------------------- */

/* A forked child that runs in step with the parent: the parent writes to go, the child to
 * done. Each side closes the ends it does not use, so that either one sees end of file if the
 * other dies. */
struct child {
	pid_t pid;
	int go[2], done[2];
};

static void child_start(struct child *ch, int (*fn)(struct child *))
{
	ck_assert_int_eq(pipe2(ch->go, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(ch->done, O_CLOEXEC), 0);
	ch->pid = fork();
	ck_assert_int_ge(ch->pid, 0);
	if (ch->pid == 0) {
		close(ch->go[1]);
		close(ch->done[0]);
		_exit(fn(ch));
	}
	close(ch->go[0]);
	close(ch->done[1]);
}

/* Reaps the child, which must have exited with 0, and closes the parent's ends. */
static void child_finish(struct child *ch)
{
	int status;
	ck_assert_int_eq(waitpid(ch->pid, &status, 0), ch->pid);
	close(ch->go[1]);
	close(ch->done[0]);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child: status %#x",
	              status);
}

/* A child that holds the first "x" (bytes 'o'), waits for the restart, then publishes on its
 * next call: refused, since the parent's newer "x" got there first. Reports 0 if it keeps its
 * own memory and the name leads to the parent's. */
static int lose(struct child *l)
{
	mmapc_map *m = dtest_tag_map("x", 4096);
	if (!m)
		return 20;
	mmapc_setitem(m, 0, 'o');
	if (write(l->done[1], "h", 1) != 1)
		return 21;
	char c;
	if (read(l->go[0], &c, 1) != 1)
		return 22;
	if (mmapc_ping(NULL) <= 0)
		return 23;
	int err;
	struct mmapc_options o = {.options = MMAPC_NOCREATE};
	mmapc_map *now = dtest_tag_open("x", 0, MMAPC_ACCESS_READ, &o, &err);
	if (!now || mmapc_getitem(now, 0) != 'n' || mmapc_getitem(m, 0) != 'o')
		return 24;
	/* Without a hold, a resize must re-claim by name, which leads to other memory. */
	if (mmapc_resize(m, 8192) != -ESTALE)
		return 25;
	mmapc_free(now);
	mmapc_free(m);
	/* The close of now is sent without an answer; a round trip on the same connection makes
	 * sure the daemon has it before the parent counts holders. */
	return mmapc_ping(NULL) > 0 ? 0 : 26;
}

START_TEST(test_republish_first_publisher_wins)
{
	struct child l;
	char c;
	child_start(&l, lose);
	ck_assert_int_eq(read(l.done[0], &c, 1), 1);
	/* The name goes to new memory while the child keeps the old. */
	ck_assert_int_eq(mmapc_unlink("x", NULL), 0);
	mmapc_map *mine = dtest_tag_map("x", 4096);
	mmapc_setitem(mine, 0, 'n');

	daemon_kill(&d);
	daemon_restart(&d, NULL);
	ck_assert_int_eq(query("x").holders, 1); /* ours, published first */
	ck_assert_int_eq(write(l.go[1], "g", 1), 1);
	child_finish(&l);
	ck_assert_int_eq(query("x").holders, 1);
	mmapc_free(mine);
	ck_assert_int_eq(query("x").holders, -1);
}
END_TEST

/* ---- what may not be published ------------------------------------------------------------ */

static int sealed_memfd(size_t size, unsigned int seals)
{
	int fd = memfd_create("publish", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	if (seals)
		ck_assert_int_eq(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

/* Sends a publish of name with fd (or none) and expects the error. */
static void publish_refused(int sock, uint64_t id, const char *name, int fd, int error)
{
	struct wire_request req = raw_open_req(id, name, 0);
	req.with_file = true;
	req.publish = true;
	raw_send_req(sock, &req, fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0);
	raw_expect_error(sock, id, error);
	if (fd >= 0)
		close(fd);
}

START_TEST(test_republish_refuses_what_is_no_tag_memfd)
{
	int base = daemon_fd_count(&d), sock = raw_connect(&d);
	unsigned int ok = F_SEAL_SHRINK | F_SEAL_SEAL;
	char path[] = "/tmp/mmapd-publish-XXXXXX";
	int file = mkstemp(path);

	ck_assert_int_ge(file, 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(file, 4096), 0);
	publish_refused(sock, 1, "p", file, EINVAL);                            /* no memfd */
	publish_refused(sock, 2, "p", sealed_memfd(4096, 0), EINVAL);           /* unsealed */
	publish_refused(sock, 3, "p", sealed_memfd(4096, F_SEAL_SEAL), EINVAL); /* shrinkable */
	publish_refused(sock, 4, "p", sealed_memfd(4096, ok | F_SEAL_WRITE), EINVAL); /* frozen */
	publish_refused(sock, 5, "p", sealed_memfd(4096, ok | F_SEAL_GROW), EINVAL);  /* fixed */
	publish_refused(sock, 6, "p", sealed_memfd(0, ok), EINVAL);                   /* empty */
	int rw = sealed_memfd(4096, ok);
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", rw);
	int ro = open(proc, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(ro, 0);
	close(rw);
	publish_refused(sock, 7, "p", ro, EACCES); /* read-only */
	publish_refused(sock, 8, "p", -1, EPROTO); /* no descriptor */
	/* A tag made the ordinary way is other memory: the publisher lost. */
	raw_open_on(sock, 9, "taken", true);
	publish_refused(sock, 10, "taken", sealed_memfd(4096, ok), EEXIST);
	/* A good one is accepted and becomes the publisher's tag. */
	struct wire_request req = raw_open_req(11, "p", 0);
	int fd = sealed_memfd(4096, ok);
	req.with_file = req.publish = true;
	raw_send_req(sock, &req, &fd, 1);
	raw_expect_open(sock, 11, true);
	close(fd);
	raw_ping_on(sock, 12);
	close(sock);
	raw_after_bad_client(&d, base);
}
END_TEST

/* ---- Resume from a client that had nothing pending ----------------------------------------- */

START_TEST(test_republish_resume_cannot_take_holds_it_never_had)
{
	int base = daemon_fd_count(&d), sock = raw_connect(&d);
	mmapc_map *m = dtest_tag_map("theirs", 4096);
	struct stat st;

	/* Memory this client never held (a memfd of its own, and nothing at all), named in a
	 * Resume: no hold comes of it. */
	int fd = memfd_create("probe", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	struct wire_resume_hold holds[2] = {{.dev = st.st_dev, .ino = st.st_ino, .writable = true},
	                                    {.dev = 0, .ino = 0}};
	struct wire_request req = raw_req(WIRE_RESUME, 1);
	struct wire_reply rep;
	req.holds = holds;
	req.n_holds = 2;
	req.last = true;
	raw_send_req(sock, &req, NULL, 0);
	uint8_t buf[WIRE_PACKET_MAX];
	ssize_t n = raw_recv_packet(sock, buf, sizeof(buf), NULL);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(wire_decode_reply(buf, (size_t)n, &rep), 0);
	ck_assert_int_eq(rep.op, WIRE_RESUME);
	ck_assert_uint_eq(rep.n_handles, 2);
	ck_assert_uint_eq(rep.handles[0], 0);
	ck_assert_uint_eq(rep.handles[1], 0);
	wire_reply_finish(&rep);

	/* More holds than a request may name: refused as malformed, the connection stays. */
	struct pb *p = pb_new(), *resume = pb_new();
	for (int i = 0; i <= WIRE_RESUME_MAX; i++) {
		struct pb *h = pb_new();
		pb_uint(h, 2, (uint64_t)i + 1);
		pb_msg(resume, 1, h);
	}
	pb_uint(p, REQ_VERSION, WIRE_VERSION);
	pb_uint(p, REQ_ID, 2);
	pb_msg(p, 17, resume);
	raw_send_packet(sock, p->b, p->n, NULL, 0);
	free(p);
	raw_expect_error(sock, 0, EBADMSG);
	raw_ping_on(sock, 3);
	ck_assert_int_eq(query("theirs").holders, 1);
	mmapc_free(m);
	ck_assert_int_eq(query("theirs").holders, -1);
	conn_disconnect_all(); /* our library's connection is not the bad client's */
	close(sock);
	raw_after_bad_client(&d, base);
}
END_TEST

/* ---- under the unit's capabilities ---------------------------------------------------------- */

/* In the new daemon's process before it execs: no CAP_FOWNER, as the unit's
 * CapabilityBoundingSet leaves it. A root exec's permitted set is the bounding set and the
 * inheritable one, so CAP_FOWNER goes from both (and from the ambient set). */
static void drop_fowner(void *arg)
{
	struct __user_cap_header_struct head = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct caps[2];

	(void)arg;
	if (prctl(PR_CAPBSET_DROP, CAP_FOWNER, 0, 0, 0) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    syscall(SYS_capget, &head, caps) < 0)
		_exit(127);
	caps[CAP_TO_INDEX(CAP_FOWNER)].inheritable &= ~CAP_TO_MASK(CAP_FOWNER);
	if (syscall(SYS_capset, &head, caps) < 0)
		_exit(127);
}

/* Whether pid's effective capabilities include cap (from /proc/pid/status). */
static bool has_capability(pid_t pid, int cap)
{
	char path[64], line[256];
	unsigned long long eff = ~0ULL;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return eff & (1ULL << cap);
}

#define OTHER_UID 4242

/* A child, as another user, that holds "Global\\theirs" (a memfd the daemon made, owned by
 * the daemon's uid), waits for the restart, and re-publishes it on its next call; it then
 * lets the parent look at the tag and waits for it to finish. 0 if the tag came back with
 * this process as its one holder. */
static int hold_through_restart(struct child *l)
{
	char c;

	if (setgroups(0, NULL) || setresgid(OTHER_UID, OTHER_UID, OTHER_UID) ||
	    setresuid(OTHER_UID, OTHER_UID, OTHER_UID))
		return 30;
	mmapc_map *m = dtest_tag_map("Global\\theirs", 4096);
	if (!m)
		return 31;
	mmapc_setitem(m, 7, 'u');
	if (write(l->done[1], "h", 1) != 1 || read(l->go[0], &c, 1) != 1)
		return 32;
	if (mmapc_ping(NULL) <= 0)
		return 33;
	if (query("Global\\theirs").holders != 1)
		return 34;
	if (write(l->done[1], "p", 1) != 1 || read(l->go[0], &c, 1) != 1)
		return 35;
	mmapc_free(m);
	return 0;
}

START_TEST(test_republish_without_cap_fowner)
{
	struct child l;
	char c;

	child_start(&l, hold_through_restart);
	ck_assert_int_eq(read(l.done[0], &c, 1), 1);
	daemon_kill(&d);
	daemon_restart_with(&d, NULL, drop_fowner, NULL);
	ck_assert_msg(!has_capability(d.pid, CAP_FOWNER), "the new mmapd still has CAP_FOWNER");

	/* The daemon's own memfd, owned by the daemon's uid, comes back from another user: the
	 * name leads to its bytes again, for another process (this one). */
	ck_assert_int_eq(write(l.go[1], "g", 1), 1);
	ck_assert_int_eq(read(l.done[0], &c, 1), 1);
	int err;
	struct mmapc_options o = {.options = MMAPC_NOCREATE};
	mmapc_map *seen = dtest_tag_open("Global\\theirs", 0, MMAPC_ACCESS_READ, &o, &err);
	ck_assert_msg(seen != NULL, "Global\\theirs did not come back: %d", err);
	ck_assert_int_eq(mmapc_getitem(seen, 7), 'u');
	mmapc_free(seen);
	ck_assert_int_eq(write(l.go[1], "x", 1), 1);
	child_finish(&l);

	/* A memfd another user made (so owned by that user, not by root as the daemon runs):
	 * the daemon cannot make it 0600. */
	conn_disconnect_all(); /* our library's connection (of seen) is not the bad client's */
	int base = daemon_fd_count(&d), sock = raw_connect(&d);
	int fd = sealed_memfd(4096, F_SEAL_SHRINK | F_SEAL_SEAL);
	ck_assert_int_eq(fchown(fd, OTHER_UID, OTHER_UID), 0);
	publish_refused(sock, 1, "forged", fd, EPERM);
	raw_ping_on(sock, 2);
	close(sock);
	raw_after_bad_client(&d, base);
}
END_TEST

Suite *republish_suite(void)
{
	Suite *s = suite_create("republish");
	TCase *tc = tcase_new("restart by hand");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_republish_after_a_restart_by_hand);
	tcase_add_test(tc, test_republish_first_publisher_wins);
	tcase_add_test(tc, test_republish_refuses_what_is_no_tag_memfd);
	tcase_add_test(tc, test_republish_resume_cannot_take_holds_it_never_had);
	tcase_add_test(tc, test_republish_without_cap_fowner);
	suite_add_tcase(s, tc);
	return s;
}
