/* check_tag_options.c: MMAPC_NOCREATE and MMAPC_EXCL against a real mmapd: open-only and
 * create-only opens, whether the tag is held by another process, by this one, or not at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"

static struct test_daemon daemon_;

static void start(void)
{
	daemon_start(&daemon_, NULL);
}

static void stop(void)
{
	daemon_stop(&daemon_);
}

static int open_with(const char *name, int64_t length, unsigned int options, mmapc_map **ret)
{
	struct mmapc_options o = {.tagname = name, .options = options};
	return mmapc_open(ret, -1, length, MMAPC_ACCESS_DEFAULT, 0, &o);
}

START_TEST(test_tag_options_nocreate)
{
	mmapc_map *m = NULL, *other = NULL;

	/* No such tag: refused, and nothing was made (a plain open creates it afterwards). */
	ck_assert_int_eq(open_with("oc", 4096, MMAPC_NOCREATE, &m), -ENOENT);
	ck_assert_int_eq(open_with("oc", 0, MMAPC_NOCREATE, &m), -ENOENT);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(open_with("oc", 4096, 0, &m), 0);
	ck_assert_int_eq(mmapc_created(m), 1);
	/* It exists: opened, served from this process's hold. */
	ck_assert_int_eq(open_with("oc", 0, MMAPC_NOCREATE, &other), 0);
	ck_assert_int_eq(mmapc_created(other), 0);
	ck_assert_int_eq(mmapc_len(other), 4096);
	mmapc_free(other);
	mmapc_free(m);
	/* Gone with its last holder: refused again. */
	ck_assert_int_eq(open_with("oc", 0, MMAPC_NOCREATE, &m), -ENOENT);
}
END_TEST

START_TEST(test_tag_options_excl)
{
	mmapc_map *m = NULL, *again = NULL;

	ck_assert_int_eq(open_with("ex", 4096, MMAPC_EXCL, &m), 0);
	ck_assert_int_eq(mmapc_created(m), 1);
	/* Held by this process: refused without asking the daemon. */
	ck_assert_int_eq(open_with("ex", 4096, MMAPC_EXCL, &again), -EEXIST);
	ck_assert_ptr_null(again);
	/* Held by another connection (as another process would): refused by the reply, and the
	 * hold that open made is given back, so the tag dies with m. */
	char alias[160];
	snprintf(alias, sizeof(alias), "%s/./mmapd.sock", daemon_.dir);
	/* The same daemon under another spelling: another connection of this process. */
	struct mmapc_options o = {.tagname = "ex", .options = MMAPC_EXCL, .socket_path = alias};
	ck_assert_int_eq(mmapc_open(&again, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o), -EEXIST);
	mmapc_free(m);
	ck_assert_int_eq(open_with("ex", 0, MMAPC_NOCREATE, &m), -ENOENT);
	/* A mode beyond the permission bits is refused by the daemon. */
	struct mmapc_options bad = {.tagname = "mode", .mode = 04600};
	ck_assert_int_eq(mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &bad), -EINVAL);
	/* Both together make no sense. */
	ck_assert_int_eq(open_with("ex", 4096, MMAPC_EXCL | MMAPC_NOCREATE, &m), -EINVAL);
}
END_TEST

Suite *tag_options_suite(void)
{
	Suite *s = suite_create("tag_options");
	TCase *tc = tcase_new("options");

	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_tag_options_nocreate);
	tcase_add_test(tc, test_tag_options_excl);
	suite_add_tcase(s, tc);
	return s;
}
