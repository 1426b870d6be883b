/* registry.c: mmapd's tags: the table of names, the memfds and files behind them, who may
 * open them, how long they live and what they cost (registry.h has the words and the rules).
 *
 * The table: linked tags (those a name leads to) sit in an open-addressed table of tag
 * pointers, linear probing, at most half full, grown and shrunk by halves, with
 * backward-shift deletion (no tombstones). The hash is keyed with a per-process secret
 * (names.c), so that clients cannot aim names at one bucket. Every live tag, linked or
 * unlinked-but-held, is also on one list, so that registry_destroy finds them all. A tag is
 * one allocation with its name inline: about 100 bytes plus the name, plus two table slots.
 *
 * Descriptors: tag->fd is the memfd (or the client's file, as handed over); a writer gets a
 * dup of it. Readers get dups of tag->ro_fd, an O_RDONLY reopen through /proc/self/fd made
 * for the first reader. A memfd's inode is made 0600 (owned by the daemon) before anyone sees
 * it, so a client cannot turn its read-only copy into a writable one through /proc. A file
 * handed over O_RDONLY needs no twin: readers get dups of it. Every descriptor made here is
 * CLOEXEC from birth.
 *
 * Decisions the header leaves open:
 *   - The creator gets the access it asked for whatever the mode (as open(2) with O_CREAT
 *     does); the mode governs later openers.
 *   - An anonymous tag ignores offset: it only places a file-backed view.
 *   - Opening an existing tag at an offset at or past its end (length 0) is -EFBIG, like a
 *     view that does not fit.
 *   - A file handed over O_WRONLY is refused with -EACCES (mmap needs to read it), and one
 *     handed over O_APPEND counts as read-only (mmap refuses to write it).
 *   - Memfds are created with MFD_NOEXEC_SEAL too where the kernel has it, so that no client
 *     can execute a tag's memory.
 *   - The memfds stay growable (no F_SEAL_GROW), since holders must be able to adopt growth;
 *     so a writer can grow one with ftruncate behind the daemon's back. The daemon notices at
 *     the next open, resize or list of the tag (fstat) and charges the creator, over its quota
 *     if need be: the memory is spent already, and the user's next creation is refused.
 *   - A shrink copies only the data extents of the old memfd (SEEK_DATA/SEEK_HOLE), so that
 *     the holes of a sparse tag do not turn into allocated zeroes.
 *
 * Not here: listing and counters (registry_list.c), restarts (registry_restore.c),
 * connections and handles (client.c), the wire (proto/wire.c), logging. Nothing here
 * prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "names.h"
#include "quota.h"
#include "registry.h"
#include "registry_impl.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

#define TABLE_MIN 64
#define COPY_BUFFER (64 * 1024)

void registry_default_limits(struct registry_limits *ret)
{
	ret->max_tags = 65536;
	ret->max_bytes = UINT64_C(16) << 30;
	ret->max_tags_per_user = 4096;
	ret->max_bytes_per_user = UINT64_C(4) << 30;
}

int registry_create(struct registry **ret, const struct registry_limits *limits)
{
	struct registry_limits defaults;
	struct registry *reg = calloc(1, sizeof(*reg));
	int r;

	if (!reg)
		return -ENOMEM;
	r = names_seed_init(&reg->seed);
	if (r < 0) {
		free(reg);
		return r;
	}
	if (!limits) {
		registry_default_limits(&defaults);
		limits = &defaults;
	}
	quota_init(&reg->quota, limits);
	reg->next_id = 1;
	*ret = reg;
	return 0;
}

static uint64_t tag_charge(const struct tag *t)
{
	return t->kind == WIRE_KIND_ANONYMOUS ? t->size : 0;
}

/* ---- the table ------------------------------------------------------------------------ */

static bool tag_matches(const struct tag *t, uint64_t hash, const struct name_key *key)
{
	return t->hash == hash && t->global == key->global && t->ns_uid == key->uid &&
	       t->name_len == key->len && memcmp(t->name, key->name, key->len) == 0;
}

struct tag *registry_table_find(const struct registry *reg, const struct name_key *key,
                                uint64_t hash)
{
	if (reg->cap == 0)
		return NULL;
	for (size_t i = hash & (reg->cap - 1);; i = (i + 1) & (reg->cap - 1)) {
		struct tag *t = reg->slots[i];
		if (!t || tag_matches(t, hash, key))
			return t;
	}
}

static void table_place(struct tag **slots, size_t cap, struct tag *t)
{
	size_t i = t->hash & (cap - 1);
	while (slots[i])
		i = (i + 1) & (cap - 1);
	slots[i] = t;
}

static int table_rehash(struct registry *reg, size_t cap)
{
	struct tag **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < reg->cap; i++)
		if (reg->slots[i])
			table_place(slots, cap, reg->slots[i]);
	free(reg->slots);
	reg->slots = slots;
	reg->cap = cap;
	return 0;
}

/* Makes room for one more tag, so that inserting it later cannot fail. */
int registry_table_reserve(struct registry *reg)
{
	if ((reg->count + 1) * 2 <= reg->cap)
		return 0;
	return table_rehash(reg, reg->cap ? reg->cap * 2 : TABLE_MIN);
}

void registry_table_insert(struct registry *reg, struct tag *t)
{
	table_place(reg->slots, reg->cap, t);
	reg->count++;
	t->linked = true;
}

static void table_remove(struct registry *reg, struct tag *t)
{
	size_t mask = reg->cap - 1, hole = t->hash & mask;

	while (reg->slots[hole] != t)
		hole = (hole + 1) & mask;
	/* Move back every later tag of the run whose probe path passes the hole: it may sit
	 * there iff the hole lies between its home slot and where it is now. */
	for (size_t j = (hole + 1) & mask; reg->slots[j]; j = (j + 1) & mask) {
		size_t home = reg->slots[j]->hash & mask;
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			reg->slots[hole] = reg->slots[j];
			hole = j;
		}
	}
	reg->slots[hole] = NULL;
	reg->count--;
	t->linked = false;
	/* Shrinking is an optimisation: if there is no memory for it, the table stays big. */
	if (reg->cap > TABLE_MIN && reg->count * 8 < reg->cap)
		(void)table_rehash(reg, reg->cap / 2);
}

/* ---- descriptors ---------------------------------------------------------------------- */

static int dup_cloexec(int fd)
{
	int r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return r < 0 ? -errno : r;
}

/* A new open file description of fd's file, read-only. This goes through the inode's
 * permission check, which is the point: a client doing the same to a memfd fails. */
static int reopen_rdonly(int fd)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int r = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return r < 0 ? -errno : r;
}

/* The tag's own descriptor for a reader: the file handed over read-only, or the read-only
 * twin (made now if this is the first reader). */
static int reader_fd(struct tag *t)
{
	if (t->fd_readonly)
		return t->fd;
	if (t->ro_fd < 0) {
		int r = reopen_rdonly(t->fd);
		if (r < 0)
			return r;
		t->ro_fd = r;
	}
	return t->ro_fd;
}

/* The descriptor a client gets: a dup of the tag's, or (borrow) the tag's own, which lives
 * as long as the hold this open makes. */
static int client_fd(struct tag *t, bool writable, bool borrow)
{
	int fd = writable ? t->fd : reader_fd(t);
	return fd < 0 || borrow ? fd : dup_cloexec(fd);
}

/* A sealed memfd of size bytes with a 0600 inode. The label shows in /proc/PID/maps. */
static int memfd_new(struct registry *reg, const struct name_key *key, uint64_t size)
{
	char label[250] = "mmapd:";
	size_t n = key->len < sizeof(label) - 7 ? key->len : sizeof(label) - 7;
	int fd = -1;

	if (size > INT64_MAX)
		return -EFBIG;
	memcpy(label + 6, key->name, n);
	label[6 + n] = '\0';
	if (!reg->no_noexec_seal) {
		fd = memfd_create(label, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
		/* Kernels before 6.3 do not know the flag. */
		if (fd < 0 && errno == EINVAL)
			reg->no_noexec_seal = true;
	}
	if (fd < 0 && reg->no_noexec_seal)
		fd = memfd_create(label, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	/* Before anyone else sees it: /proc reopens of a client's copy must fail. */
	if (fchmod(fd, 0600) < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* Growth by a writer behind the daemon's back is charged as registry_impl.h says; a shrink
 * (a file truncated by someone else) is refunded. */
int registry_tag_sync_size(struct registry *reg, struct tag *t)
{
	struct stat st;

	if (fstat(t->fd, &st) < 0)
		return -errno;
	uint64_t now = (uint64_t)st.st_size;
	if (t->kind == WIRE_KIND_ANONYMOUS && now > t->size)
		quota_force(&reg->quota, t->owner_uid, now - t->size);
	else if (t->kind == WIRE_KIND_ANONYMOUS && now < t->size)
		quota_refund(&reg->quota, t->owner_uid, 0, t->size - now);
	t->size = now;
	return 0;
}

/* ---- opening --------------------------------------------------------------------------- */

static bool peer_in_group(const struct peer *peer, gid_t gid)
{
	if (peer->gid == gid)
		return true;
	for (size_t i = 0; i < peer->n_groups; i++)
		if (peer->groups[i] == gid)
			return true;
	return false;
}

/* The owner/group/other rule: the first class the peer belongs to decides, even when a
 * later one would allow more. Writing needs r and w, since a writable map reads too. */
bool registry_may_open(const struct tag *t, const struct peer *peer, bool writable)
{
	unsigned int bits, need = writable ? 06 : 04;

	if (peer->uid == 0)
		return true;
	if (peer->uid == t->owner_uid)
		bits = t->mode >> 6;
	else if (peer_in_group(peer, t->owner_gid))
		bits = t->mode >> 3;
	else
		bits = t->mode;
	return (bits & need) == need;
}

static void opened(struct tag *t, int fd, bool created, bool writable, struct registry_opened *ret)
{
	*ret = (struct registry_opened){
	        .tag = t, .fd = fd, .created = created, .writable = writable};
	ret->size = t->size;
	ret->kind = (enum wire_kind)t->kind;
	ret->mode = t->mode;
	ret->persistent = t->persistent;
}

static int open_existing(struct registry *reg, struct tag *t, const struct peer *peer,
                         const struct registry_open_args *args, const struct stat *file,
                         struct registry_opened *ret)
{
	struct stat st;
	int r;

	/* Access first, so that a peer without it learns nothing about the tag's file. */
	if (!registry_may_open(t, peer, args->writable))
		return -EACCES;
	if (file && t->kind != WIRE_KIND_FILE)
		return -EEXIST;
	if (file && fstat(t->fd, &st) < 0)
		return -errno;
	if (file && (st.st_dev != file->st_dev || st.st_ino != file->st_ino))
		return -EEXIST;
	if (args->writable && !t->fd_writable)
		return -EACCES;
	r = registry_tag_sync_size(reg, t);
	if (r < 0)
		return r;
	uint64_t offset = t->kind == WIRE_KIND_FILE ? args->offset : 0;
	if (offset >= t->size || args->length > t->size - offset)
		return -EFBIG;
	if (t->holders == UINT32_MAX)
		return -EOVERFLOW;
	r = client_fd(t, args->writable, args->borrow_fd);
	if (r < 0)
		return r;
	t->holders++;
	opened(t, r, false, args->writable, ret);
	return 0;
}

/* Python's rules for mapping a regular file of size bytes; the file is never extended. */
static int file_view_ok(uint64_t size, uint64_t offset, uint64_t length)
{
	if (length == 0)
		return size == 0 || offset >= size ? -EINVAL : 0;
	return offset > size || length > size - offset ? -EINVAL : 0;
}

static struct tag *tag_alloc(const struct name_key *key, uint64_t hash, const struct peer *peer,
                             const struct registry_open_args *args)
{
	struct tag *t = calloc(1, sizeof(*t) + key->len + 1);

	if (!t)
		return NULL;
	t->hash = hash;
	t->fd = t->ro_fd = -1;
	t->ns_uid = key->uid;
	t->global = key->global;
	t->owner_uid = peer->uid;
	t->owner_gid = peer->gid;
	t->mode = (uint16_t)(args->mode ? args->mode : 0600);
	t->persistent = args->persistent;
	t->name_len = (uint16_t)key->len;
	memcpy(t->name, key->name, key->len);
	return t;
}

/* Makes t's descriptor: the new memfd, or the client's file (which t takes over only once
 * this whole creation succeeds; until then the caller still owns it). */
static int tag_fill(struct registry *reg, struct tag *t, const struct name_key *key,
                    const struct registry_open_args *args, const struct stat *file)
{
	if (!file) {
		t->kind = WIRE_KIND_ANONYMOUS;
		t->size = args->length;
		t->fd_writable = true;
		if (args->publish) {
			/* Published again: the checked memfd, 0600 before anyone else sees it. */
			if (fchmod(args->file_fd, 0600) < 0)
				return -EPERM;
			t->fd = args->file_fd;
			return 0;
		}
		int fd = memfd_new(reg, key, t->size);
		if (fd < 0)
			return fd;
		t->fd = fd;
		return 0;
	}
	int flags = fcntl(args->file_fd, F_GETFL);
	if (flags < 0)
		return -errno;
	/* Not open for reading, mmap would refuse it (and O_PATH is not open at all). */
	if ((flags & O_ACCMODE) == O_WRONLY || (flags & O_PATH))
		return -EACCES;
	t->kind = WIRE_KIND_FILE;
	t->size = (uint64_t)file->st_size;
	t->fd_readonly = (flags & O_ACCMODE) == O_RDONLY;
	t->fd_writable = !t->fd_readonly && !(flags & O_APPEND);
	if (args->writable && !t->fd_writable)
		return -EACCES;
	t->fd = args->file_fd;
	return 0;
}

static void tag_free(struct tag *t, bool own_fd)
{
	if (own_fd && t->fd >= 0)
		close(t->fd);
	if (t->ro_fd >= 0)
		close(t->ro_fd);
	free(t);
}

void registry_list_add(struct registry *reg, struct tag *t)
{
	t->next = reg->all;
	if (reg->all)
		reg->all->prev = t;
	reg->all = t;
}

void registry_tag_state(const struct tag *t, struct state_tag *ret)
{
	*ret = (struct state_tag){
	        .id = t->id,
	        .fd_generation = t->fd_generation,
	        .name_len = t->name_len,
	        .global = t->global,
	        .ns_uid = t->ns_uid,
	        .owner_uid = t->owner_uid,
	        .owner_gid = t->owner_gid,
	        .mode = t->mode,
	        .kind = t->kind,
	        .persistent = t->persistent,
	        .fd_readonly = t->fd_readonly,
	        .fd_writable = t->fd_writable,
	        .unlinked = !t->linked,
	};
	memcpy(ret->name, t->name, t->name_len + 1);
}

/* Hands a new tag's descriptor to systemd's store, if there is one. A file tag's is the
 * client's own open file description, which could be stored already for another tag (the
 * same descriptor handed over twice), and systemd keeps one copy of a description: so the
 * store gets a description of its own, a reopen with the same access, where one is allowed. */
static void tag_store(struct registry *reg, struct tag *t)
{
	struct state_tag st;
	char path[32];

	if (!reg->store)
		return;
	registry_tag_state(t, &st);
	int fd = -1;
	if (t->kind == WIRE_KIND_FILE) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", t->fd);
		fd = open(path, (t->fd_readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
	}
	store_tag_made(reg->store, &st, fd >= 0 ? fd : t->fd);
	if (fd >= 0)
		close(fd);
}

static int create_tag(struct registry *reg, const struct peer *peer, const struct name_key *key,
                      uint64_t hash, const struct registry_open_args *args, const struct stat *file,
                      struct registry_opened *ret)
{
	int r;

	if (file)
		r = file_view_ok((uint64_t)file->st_size, args->offset, args->length);
	else
		r = args->length == 0 ? -EINVAL : 0;
	if (r < 0)
		return r;
	r = registry_table_reserve(reg);
	if (r < 0)
		return r;
	struct tag *t = tag_alloc(key, hash, peer, args);
	if (!t)
		return -ENOMEM;
	r = quota_charge(&reg->quota, peer->uid, 1, file ? 0 : args->length);
	if (r < 0) {
		free(t);
		return r;
	}
	r = tag_fill(reg, t, key, args, file);
	if (r >= 0)
		r = client_fd(t, args->writable, args->borrow_fd);
	if (r < 0) {
		quota_refund(&reg->quota, peer->uid, 1, file ? 0 : args->length);
		tag_free(t, !file && !args->publish); /* a client's descriptor: the caller's */
		return r;
	}
	t->holders = 1;
	t->id = reg->next_id++;
	registry_table_insert(reg, t);
	registry_list_add(reg, t);
	tag_store(reg, t);
	opened(t, r, true, args->writable, ret);
	return 0;
}

/* Checks a handed-over descriptor: a regular file, or -EINVAL. */
static int check_file(int fd, struct stat *ret)
{
	if (fstat(fd, ret) < 0)
		return -errno;
	return S_ISREG(ret->st_mode) ? 0 : -EINVAL;
}

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/* Checks a memfd published again (registry.h has the rules). */
static int check_published(int fd, struct stat *ret)
{
	int r = check_file(fd, ret);
	if (r < 0)
		return r;
	int seals = fcntl(fd, F_GET_SEALS), flags = fcntl(fd, F_GETFL);
	if (seals < 0 || ret->st_size <= 0 ||
	    (seals & (F_SEAL_SHRINK | F_SEAL_SEAL)) != (F_SEAL_SHRINK | F_SEAL_SEAL) ||
	    (seals & (F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EINVAL;
	return flags >= 0 && (flags & O_ACCMODE) == O_RDWR ? 0 : -EACCES;
}

/* Publishing a name that exists: the same memory is an open, other memory the loser's. */
static int open_published(struct registry *reg, struct tag *t, const struct peer *peer,
                          const struct registry_open_args *args, const struct stat *memfd,
                          struct registry_opened *ret)
{
	struct stat st;

	if (t->kind != WIRE_KIND_ANONYMOUS || fstat(t->fd, &st) < 0 || st.st_dev != memfd->st_dev ||
	    st.st_ino != memfd->st_ino)
		return -EEXIST;
	return open_existing(reg, t, peer, args, NULL, ret);
}

int registry_open(struct registry *reg, const struct peer *peer,
                  const struct registry_open_args *args, struct registry_opened *ret)
{
	struct registry_opened out;
	struct name_key key;
	struct stat st;
	int r = names_parse(args->name, peer->uid, &key);

	if (r == 0 && args->mode > 0777)
		r = -EINVAL;
	if (r == 0 && args->publish && args->file_fd < 0)
		r = -EINVAL;
	if (r == 0 && args->file_fd >= 0)
		r = args->publish ? check_published(args->file_fd, &st)
		                  : check_file(args->file_fd, &st);
	if (r == 0 && args->publish) {
		/* The memfd is the tag: its size, all of it, read and write. */
		struct registry_open_args a = *args;
		a.length = (uint64_t)st.st_size;
		a.offset = 0;
		a.writable = true;
		uint64_t hash = names_hash(&reg->seed, &key);
		struct tag *t = registry_table_find(reg, &key, hash);
		r = t ? open_published(reg, t, peer, &a, &st, &out)
		      : create_tag(reg, peer, &key, hash, &a, NULL, &out);
	} else if (r == 0) {
		const struct stat *file = args->file_fd >= 0 ? &st : NULL;
		uint64_t hash = names_hash(&reg->seed, &key);
		struct tag *t = registry_table_find(reg, &key, hash);
		if (t)
			r = open_existing(reg, t, peer, args, file, &out);
		else if (args->must_exist)
			r = -ENOENT;
		else
			r = create_tag(reg, peer, &key, hash, args, file, &out);
	}
	/* The file is always the registry's to keep or close; a new file tag kept it. */
	if (args->file_fd >= 0 && !(r == 0 && out.created))
		close(args->file_fd);
	if (r == 0)
		*ret = out;
	return r;
}

/* ---- lifetime ---------------------------------------------------------------------------- */

void registry_tag_destroy(struct registry *reg, struct tag *t)
{
	if (t->linked)
		table_remove(reg, t);
	if (t->prev)
		t->prev->next = t->next;
	else
		reg->all = t->next;
	if (t->next)
		t->next->prev = t->prev;
	quota_refund(&reg->quota, t->owner_uid, 1, tag_charge(t));
	store_tag_destroyed(reg->store, t->id, t->fd_generation);
	tag_free(t, true);
}

/* Whether anything keeps t alive: a holder, one from before a restart, or its name. */
bool registry_tag_alive(const struct tag *t)
{
	return t->holders > 0 || t->pending > 0 || (t->persistent && t->linked);
}

void registry_release(struct registry *reg, struct tag *t)
{
	if (!t || t->holders == 0)
		return;
	t->holders--;
	if (!registry_tag_alive(t))
		registry_tag_destroy(reg, t);
}

int registry_unlink(struct registry *reg, const struct peer *peer, const char *name)
{
	struct name_key key;
	int r = names_parse(name, peer->uid, &key);

	if (r < 0)
		return r;
	struct tag *t = registry_table_find(reg, &key, names_hash(&reg->seed, &key));
	if (!t)
		return -ENOENT;
	if (peer->uid != 0 && peer->uid != t->owner_uid)
		return -EPERM;
	table_remove(reg, t);
	store_tag_unlinked(reg->store, t->id);
	if (!registry_tag_alive(t))
		registry_tag_destroy(reg, t);
	return 0;
}

void registry_destroy(struct registry *reg)
{
	if (!reg)
		return;
	while (reg->all) {
		struct tag *t = reg->all;
		reg->all = t->next;
		tag_free(t, true);
	}
	free(reg->slots);
	quota_finish(&reg->quota);
	free(reg);
}

/* ---- resizing ---------------------------------------------------------------------------- */

static int copy_slow(int from, int to, off_t off, uint64_t n)
{
	char *buf = malloc(COPY_BUFFER);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	while (n > 0 && r == 0) {
		ssize_t k = pread(from, buf, n < COPY_BUFFER ? n : COPY_BUFFER, off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : -EIO;
			break;
		}
		for (ssize_t done = 0; done < k && r == 0;) {
			ssize_t w = pwrite(to, buf + done, (size_t)(k - done), off + done);
			if (w < 0 && errno != EINTR)
				r = -errno;
			else if (w > 0)
				done += w;
		}
		off += k;
		n -= (uint64_t)k;
	}
	free(buf);
	return r;
}

/* Copies [off, off + n) of from to the same place in to, with copy_file_range where the
 * kernel can (in-kernel, no bounce buffer) and pread/pwrite where it cannot. */
static int copy_extent(int from, int to, off_t off, uint64_t n)
{
	while (n > 0) {
		loff_t in = off, out = off;
		ssize_t k = copy_file_range(from, &in, to, &out, n, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 &&
		    (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
			return copy_slow(from, to, off, n);
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		off += k;
		n -= (uint64_t)k;
	}
	return 0;
}

/* Copies the first n bytes of memfd from into to (a new memfd, all holes), skipping holes.
 * Seeking needs a file description of our own: the memfd's is shared with every writer. */
static int copy_prefix(int from, int to, uint64_t n)
{
	int src = reopen_rdonly(from), r = 0;
	off_t pos = 0;

	if (src < 0)
		return src;
	while ((uint64_t)pos < n && r == 0) {
		off_t data = lseek(src, pos, SEEK_DATA);
		if (data < 0) {
			r = errno == ENXIO ? 0 : -errno; /* ENXIO: no data past pos */
			break;
		}
		if ((uint64_t)data >= n)
			break;
		off_t hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0) {
			r = -errno;
			break;
		}
		uint64_t end = (uint64_t)hole < n ? (uint64_t)hole : n;
		r = copy_extent(src, to, data, end - (uint64_t)data);
		pos = (off_t)end;
	}
	close(src);
	return r;
}

/* Moves an anonymous tag's contents to a new memfd of size bytes (the old one is sealed
 * against shrinking). Only the sole holder gets here; it gets a writable descriptor. */
static int shrink_anonymous(struct registry *reg, struct tag *t, uint64_t size, int *ret_fd)
{
	struct name_key key = tag_key(t);
	int fd = memfd_new(reg, &key, size), r;

	if (fd < 0)
		return fd;
	r = copy_prefix(t->fd, fd, size);
	if (r == 0)
		r = dup_cloexec(fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	close(t->fd);
	if (t->ro_fd >= 0)
		close(t->ro_fd);
	t->fd = fd;
	t->ro_fd = -1; /* the next reader makes the new twin */
	t->fd_generation++;
	store_tag_replaced(reg->store, t->id, t->fd_generation, fd, t->fd_generation - 1);
	quota_refund(&reg->quota, t->owner_uid, 0, t->size - size);
	t->size = size;
	*ret_fd = r;
	return 0;
}

static int grow(struct registry *reg, struct tag *t, uint64_t size)
{
	uint64_t more = t->kind == WIRE_KIND_ANONYMOUS ? size - t->size : 0;
	int r = more ? quota_charge(&reg->quota, t->owner_uid, 0, more) : 0;

	if (r < 0)
		return r;
	if (size > INT64_MAX || ftruncate(t->fd, (off_t)size) < 0) {
		r = size > INT64_MAX ? -EFBIG : -errno;
		quota_refund(&reg->quota, t->owner_uid, 0, more);
		return r;
	}
	t->size = size;
	return 0;
}

static int shrink(struct registry *reg, struct tag *t, uint64_t size, int *ret_fd)
{
	/* The others' maps would take SIGBUS past the new end (and a memfd could not shrink
	 * anyway: it is sealed). Holds from before a restart, not yet re-claimed, are others'
	 * too: their maps are of the memory a shrink would leave behind. */
	if (t->holders + t->pending > 1)
		return -EBUSY;
	if (t->kind == WIRE_KIND_ANONYMOUS)
		return shrink_anonymous(reg, t, size, ret_fd);
	if (ftruncate(t->fd, (off_t)size) < 0)
		return -errno;
	t->size = size;
	return 0;
}

int registry_resize(struct registry *reg, struct tag *t, bool writable, uint64_t size, int *ret_fd)
{
	int fd = -1, r;

	if (!writable)
		return -EACCES;
	if (size == 0)
		return -EINVAL;
	/* Compare with the real size: another writer may have grown the memfd itself. */
	r = registry_tag_sync_size(reg, t);
	if (r == 0 && size > t->size)
		r = grow(reg, t, size);
	else if (r == 0 && size < t->size)
		r = shrink(reg, t, size, &fd);
	if (r < 0)
		return r;
	*ret_fd = fd;
	return 0;
}

uint64_t registry_tag_size(const struct tag *t)
{
	struct stat st;
	return fstat(t->fd, &st) == 0 ? (uint64_t)st.st_size : t->size;
}
