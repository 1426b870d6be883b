/* registry_helpers.h: what the registry suites (check_registry.c, check_registry_life.c,
 * check_registry_list.c) share: synthetic peers, registries with given limits, and opens that
 * fail the test unless they do what the test expects.
 *
 * The suites call daemon/registry.h directly, without a daemon or a socket. An open hands back
 * a struct registry_opened with a descriptor and a hold on the tag; reg_drop gives both back.
 * Every open checks registry_open's promise that a failure leaves *ret untouched.
 *
 * Not here: the daemon's own test fixtures (helpers.h), the tests (the suites).
 */
#ifndef MMAPC_TESTS_REGISTRY_HELPERS_H
#define MMAPC_TESTS_REGISTRY_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "helpers.h"
#include "../daemon/registry.h"

/* Like ck_assert_msg, without the per-call bookkeeping that slows Check's asserts in loops. */
#define require(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* A limit no test reaches. */
#define BIG UINT64_C(1) << 40

/* Two users, each in a group of their own, and root. */
extern const struct peer ALICE;
extern const struct peer BOB;
extern const struct peer ROOT;

/* A registry with these limits (tags and bytes in all, tags and bytes per user), or fails the
 * test; the caller destroys it. */
struct registry *reg_with(uint64_t tags, uint64_t bytes, uint64_t user_tags, uint64_t user_bytes);

/* A registry whose limits no test reaches. */
struct registry *reg_new(void);

/* The arguments of an open of name for length bytes, without a file. */
struct registry_open_args reg_args(const char *name, uint64_t length, bool writable);

/* The arguments of an open of name backed by the file fd (which the open consumes). */
struct registry_open_args reg_file_args(const char *name, int fd, uint64_t length, bool writable);

/* registry_open, checking that a failure leaves *ret untouched and that a success brings a
 * descriptor. Returns registry_open's result. */
int reg_try_open(struct registry *reg, const struct peer *peer,
                 const struct registry_open_args *args, struct registry_opened *ret);

/* An open expected to fail: returns its error (or 0, having given back what it got). */
int reg_open_err(struct registry *reg, const struct peer *peer,
                 const struct registry_open_args *args);

/* An open that must succeed, or fails the test. */
struct registry_opened reg_must_open(struct registry *reg, const struct peer *peer,
                                     const struct registry_open_args *args);

/* A writable, or a read-only, open of name that must succeed. */
struct registry_opened reg_open_rw(struct registry *reg, const struct peer *peer, const char *name,
                                   uint64_t length);
struct registry_opened reg_open_ro(struct registry *reg, const struct peer *peer, const char *name,
                                   uint64_t length);

/* Closes o's descriptor and releases its hold on the tag. */
void reg_drop(struct registry *reg, struct registry_opened *o);

/* registry_resize of o's tag as o's holder; *ret_fd is -2 before the call, so that a test sees
 * whether the registry set it. */
int reg_resize(struct registry *reg, struct registry_opened *o, uint64_t size, int *ret_fd);

/* The registry's tags and bytes (the other counters zero). */
struct wire_stats reg_stats(struct registry *reg);

/* A MAP_SHARED mapping of n bytes of fd with prot, or fails the test; the caller unmaps it. */
char *map_shared(int fd, size_t n, int prot);

/* fd's access mode (O_RDONLY, O_WRONLY or O_RDWR), or fails the test. */
int fd_accmode(int fd);

#endif
