/* registry_restore.c: the registry across a restart: tags brought back from systemd's fd
 * store, the holds pending for the processes that had them, holds re-claimed without a
 * descriptor, and the snapshot a compaction of the store's log writes (registry.h, "across a
 * restart"). Not here: the store itself (store.c) and who the pending holders are (restore.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"
#include "quota.h"
#include "registry.h"
#include "registry_impl.h"
#include "store.h"

void registry_set_store(struct registry *reg, struct store *store, uint64_t next_id)
{
	reg->store = store;
	if (next_id > reg->next_id)
		reg->next_id = next_id;
}

uint64_t registry_tag_id(const struct tag *t)
{
	return t->id;
}

int registry_tag_identity(const struct tag *t, uint64_t *ret_dev, uint64_t *ret_ino)
{
	struct stat st;

	if (fstat(t->fd, &st) < 0)
		return -errno;
	*ret_dev = st.st_dev;
	*ret_ino = st.st_ino;
	return 0;
}

int registry_restore(struct registry *reg, const struct state_tag *st, int fd, struct tag **ret)
{
	struct name_key key = {.name = st->name,
	                       .len = st->name_len,
	                       .global = st->global,
	                       .uid = st->global ? 0 : st->ns_uid};
	struct stat file;
	int r;

	/* The store is the daemon's own, but a name that would be refused today is not let in. */
	char full[REGISTRY_NAME_MAX + 8];
	snprintf(full, sizeof(full), "%s%s", st->global ? "Global\\" : "", st->name);
	struct name_key parsed;
	if (st->name_len > REGISTRY_NAME_MAX || names_parse(full, key.uid, &parsed) < 0 ||
	    parsed.len != key.len || parsed.global != key.global || st->mode > 0777 ||
	    (st->kind != WIRE_KIND_ANONYMOUS && st->kind != WIRE_KIND_FILE)) {
		close(fd);
		return -EINVAL;
	}
	if (fstat(fd, &file) < 0 || !S_ISREG(file.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	uint64_t hash = names_hash(&reg->seed, &key);
	bool linked = !st->unlinked;
	if (linked && registry_table_find(reg, &key, hash)) {
		close(fd);
		return -EEXIST;
	}
	r = linked ? registry_table_reserve(reg) : 0;
	struct tag *t = r == 0 ? calloc(1, sizeof(*t) + key.len + 1) : NULL;
	uint64_t size = (uint64_t)file.st_size;
	if (t)
		r = quota_charge_restored(&reg->quota, st->owner_uid,
		                          st->kind == WIRE_KIND_ANONYMOUS ? size : 0);
	if (!t || r < 0) {
		free(t);
		close(fd);
		return r < 0 ? r : -ENOMEM;
	}
	t->hash = hash;
	t->id = st->id;
	t->fd_generation = st->fd_generation;
	t->size = size;
	t->fd = fd;
	t->ro_fd = -1;
	t->ns_uid = key.uid;
	t->global = key.global;
	t->owner_uid = st->owner_uid;
	t->owner_gid = st->owner_gid;
	t->mode = (uint16_t)st->mode;
	t->kind = (uint8_t)st->kind;
	t->persistent = st->persistent;
	t->fd_readonly = st->fd_readonly;
	t->fd_writable = st->fd_writable;
	t->name_len = (uint16_t)key.len;
	memcpy(t->name, key.name, key.len);
	if (linked)
		registry_table_insert(reg, t);
	registry_list_add(reg, t);
	if (t->id >= reg->next_id)
		reg->next_id = t->id + 1;
	*ret = t;
	return 0;
}

void registry_pend(struct tag *t, uint32_t n)
{
	t->pending += n;
}

void registry_unpend(struct registry *reg, struct tag *t, uint32_t n)
{
	t->pending -= n < t->pending ? n : t->pending;
	if (!registry_tag_alive(t))
		registry_tag_destroy(reg, t);
}

bool registry_settle(struct registry *reg, struct tag *t)
{
	if (registry_tag_alive(t))
		return true;
	registry_tag_destroy(reg, t);
	return false;
}

int registry_hold(struct registry *reg, const struct peer *peer, struct tag *t, bool writable)
{
	(void)reg;
	if (!registry_may_open(t, peer, writable) || (writable && !t->fd_writable))
		return -EACCES;
	if (t->holders == UINT32_MAX)
		return -EOVERFLOW;
	t->holders++;
	return 0;
}

void registry_snapshot(struct registry *reg, struct store *s)
{
	struct state_tag st;

	for (struct tag *t = reg->all; t; t = t->next) {
		registry_tag_state(t, &st);
		store_snap_tag(s, &st);
	}
}
