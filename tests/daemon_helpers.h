/* daemon_helpers.h: what the mmapd integration suites (check_daemon.c, check_daemon_holds.c)
 * share: a daemon started and stopped around each test, opens of tags that report their
 * errno, and children that run a function and report through their exit status.
 *
 * The daemon is dtest_daemon, one per test process (Check forks a process per test): the
 * fixtures dtest_start and dtest_stop start it on a fresh socket before each test and stop it
 * after, asserting a clean exit. Children never use Check's asserts; they return 0 for
 * success, another number to say what went wrong.
 *
 * Not here: starting and stopping a daemon of a test's own (helpers.h), the tests.
 */
#ifndef MMAPC_TESTS_DAEMON_HELPERS_H
#define MMAPC_TESTS_DAEMON_HELPERS_H

#include <stdint.h>
#include <sys/types.h>

#include "helpers.h"

/* The daemon the fixtures start, for tests that signal it (SIGSTOP, SIGCONT). */
extern struct test_daemon dtest_daemon;

/* Checked fixtures: start dtest_daemon before a test, stop it after. */
void dtest_start(void);
void dtest_stop(void);

/* Opens the tag name (length bytes, 0 for all of an existing tag) with access and the other
 * options of extra (may be NULL); returns the map, or NULL with the negative errno in
 * *ret_err. Never fails the test, so that children may call it. */
mmapc_map *dtest_tag_open(const char *name, int64_t length, int access,
                          const struct mmapc_options *extra, int *ret_err);

/* Opens a tag with default access, or fails the test. */
mmapc_map *dtest_tag_map(const char *name, int64_t length);

/* Runs fn(arg) in a child process and returns its exit status (or 128 + signal). */
int dtest_in_child(int (*fn)(void *), void *arg);

/* Drops to uid/gid (and no supplementary groups), in a child process: 0, or -1. */
int dtest_become(uid_t uid, gid_t gid);

#endif
