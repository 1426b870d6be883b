/* daemon_helpers.c: the fixtures and helpers of the mmapd integration suites (see
 * daemon_helpers.h).
 *
 * Not here: the tests (check_daemon.c, check_daemon_holds.c).
 */
#define _GNU_SOURCE
#include <grp.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_helpers.h"

struct test_daemon dtest_daemon;

mmapc_map *dtest_tag_open(const char *name, int64_t length, int access,
                          const struct mmapc_options *extra, int *ret_err)
{
	struct mmapc_options o = extra ? *extra : (struct mmapc_options){0};
	mmapc_map *m = NULL;

	o.tagname = name;
	*ret_err = mmapc_open(&m, -1, length, access, 0, &o);
	return *ret_err == 0 ? m : NULL;
}

/* Opens a tag or fails the test. */
mmapc_map *dtest_tag_map(const char *name, int64_t length)
{
	int r;
	mmapc_map *m = dtest_tag_open(name, length, MMAPC_ACCESS_DEFAULT, NULL, &r);
	ck_assert_msg(m, "opening tag %s: %s", name, strerror(-r));
	return m;
}

/* Runs fn(arg) in a child process and returns its exit status (or 128 + signal). */
int dtest_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fn(arg));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Drops to uid/gid (and no supplementary groups) in a child process. */
int dtest_become(uid_t uid, gid_t gid)
{
	return setgroups(0, NULL) == 0 && setresgid(gid, gid, gid) == 0 &&
	                       setresuid(uid, uid, uid) == 0
	               ? 0
	               : -1;
}

void dtest_start(void)
{
	daemon_start(&dtest_daemon, NULL);
}

void dtest_stop(void)
{
	daemon_stop(&dtest_daemon);
}
