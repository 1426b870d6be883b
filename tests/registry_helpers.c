/* registry_helpers.c: what the registry suites share (see registry_helpers.h).
 *
 * Not here: the tests (check_registry.c, check_registry_life.c, check_registry_list.c).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "registry_helpers.h"

const struct peer ALICE = {.uid = 1000, .gid = 1000};
const struct peer BOB = {.uid = 1001, .gid = 1001};
const struct peer ROOT = {.uid = 0, .gid = 0};

struct registry *reg_with(uint64_t tags, uint64_t bytes, uint64_t user_tags, uint64_t user_bytes)
{
	struct registry_limits lim = {.max_tags = tags,
	                              .max_bytes = bytes,
	                              .max_tags_per_user = user_tags,
	                              .max_bytes_per_user = user_bytes};
	struct registry *reg = NULL;
	ck_assert_int_eq(registry_create(&reg, &lim), 0);
	ck_assert_ptr_nonnull(reg);
	return reg;
}

struct registry *reg_new(void)
{
	return reg_with(1 << 20, BIG, 1 << 20, BIG);
}

struct registry_open_args reg_args(const char *name, uint64_t length, bool writable)
{
	return (struct registry_open_args){
	        .name = name, .length = length, .writable = writable, .file_fd = -1};
}

int reg_try_open(struct registry *reg, const struct peer *peer,
                 const struct registry_open_args *args, struct registry_opened *ret)
{
	struct registry_opened out;
	memset(&out, 0xa5, sizeof(out));
	int r = registry_open(reg, peer, args, &out);
	if (r < 0) {
		struct registry_opened poison;
		memset(&poison, 0xa5, sizeof(poison));
		require(memcmp(&out, &poison, sizeof(out)) == 0, "a failed open wrote *ret");
	} else {
		require(out.fd >= 0, "no descriptor");
		*ret = out;
	}
	return r;
}

int reg_open_err(struct registry *reg, const struct peer *peer,
                 const struct registry_open_args *args)
{
	struct registry_opened o;
	int r = reg_try_open(reg, peer, args, &o);
	if (r == 0) {
		close(o.fd);
		registry_release(reg, o.tag);
	}
	return r;
}

struct registry_opened reg_must_open(struct registry *reg, const struct peer *peer,
                                     const struct registry_open_args *args)
{
	struct registry_opened o;
	int r = reg_try_open(reg, peer, args, &o);
	require(r == 0, "open %s: %s", args->name, strerror(-r));
	return o;
}

struct registry_opened reg_open_rw(struct registry *reg, const struct peer *peer, const char *name,
                                   uint64_t length)
{
	struct registry_open_args a = reg_args(name, length, true);
	return reg_must_open(reg, peer, &a);
}

struct registry_opened reg_open_ro(struct registry *reg, const struct peer *peer, const char *name,
                                   uint64_t length)
{
	struct registry_open_args a = reg_args(name, length, false);
	return reg_must_open(reg, peer, &a);
}

void reg_drop(struct registry *reg, struct registry_opened *o)
{
	close(o->fd);
	registry_release(reg, o->tag);
}

char *map_shared(int fd, size_t n, int prot)
{
	void *p = mmap(NULL, n, prot, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

struct wire_stats reg_stats(struct registry *reg)
{
	struct wire_stats st = {0};
	registry_stats(reg, &st);
	return st;
}

int fd_accmode(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	ck_assert_int_ge(flags, 0);
	return flags & O_ACCMODE;
}

int reg_resize(struct registry *reg, struct registry_opened *o, uint64_t size, int *ret_fd)
{
	*ret_fd = -2;
	return registry_resize(reg, o->tag, o->writable, size, ret_fd);
}

struct registry_open_args reg_file_args(const char *name, int fd, uint64_t length, bool writable)
{
	struct registry_open_args a = reg_args(name, length, writable);
	a.file_fd = fd;
	return a;
}
