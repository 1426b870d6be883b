/* helpers.h: what every Check suite of libmmapc shares: the suites' constructors, a test
 * case factory that checks for leaked descriptors, and temporary-file helpers.
 *
 * Every test case made with tcase_new counts the process's open descriptors before and after
 * each test and fails the test if the count changed, so no test can leak a descriptor
 * unnoticed. Tests run forked (Check's default), one process each, with a timeout.
 */
#ifndef MMAPC_TESTS_HELPERS_H
#define MMAPC_TESTS_HELPERS_H

#include <check.h>
#include <stddef.h>

#include "mmapc.h"

Suite *open_suite(void);
Suite *io_suite(void);
Suite *find_suite(void);
Suite *slice_suite(void);
Suite *resize_suite(void);
Suite *examples_suite(void);

/* A test case with the descriptor-leak fixture and a timeout suited to this machine. */
TCase *tcase_new(const char *name);

/* The number of open descriptors of this process. */
int fd_count(void);

/* A temporary regular file holding the n bytes of data (n may be 0), opened with flags
 * (O_RDWR, O_RDONLY, …) and already unlinked. Returns the descriptor; fails the test if it
 * cannot. */
int tmpfile_with(const void *data, size_t n, int flags);

/* Like tmpfile_with, but the file keeps its name, which is written to path (PATH_MAX bytes)
 * so that a test can reopen it; the caller unlinks it. */
int tmpfile_named(const void *data, size_t n, int flags, char *path);

/* The file's size, from fstat; fails the test if fstat fails. */
long long file_size(int fd);

/* Opens an anonymous map of n bytes with default access, or fails the test. */
mmapc_map *anon_map(int64_t n);

#endif
