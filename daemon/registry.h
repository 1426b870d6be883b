/* registry.h: mmapd's tags: their names, owners, modes, sizes, holders and quotas, and the
 * rules for who may open, resize and unlink what.
 *
 * Words, used with these meanings everywhere in the daemon:
 *   tag      a named mapping the daemon owns: an anonymous memfd it created, or a regular
 *            file a client handed over. Its name lives in a namespace: one per user, or the
 *            global one (a "Global\" prefix).
 *   holder   a client's hold on a tag, counted in tag->holders; each successful
 *            registry_open adds one and each registry_release removes one.
 *   handle   the number a connection uses for one of its holds (daemon/client.c); the
 *            registry never sees handles.
 *   peer     the credentials of the process on the other end of a connection (SO_PEERCRED,
 *            SO_PEERGROUPS), fixed at accept.
 *
 * Names: "Global\name" names a system-wide tag, "Local\name" and a bare "name" the calling
 * user's own. The name proper is 1..REGISTRY_NAME_MAX bytes of printable characters other
 * than '/' and '\' (so "../x", a NUL or a control character is refused with EINVAL).
 *
 * Access: a tag has an owner (uid, gid of its creator) and a mode (default 0600). Opening for
 * reading needs r and for writing needs r and w, under the owner/group/other rule with the
 * peer's supplementary groups; uid 0 may open anything. A reader's descriptor is always
 * O_RDONLY (for an anonymous tag, a read-only reopen of a memfd whose inode mode is 0600 and
 * owned by the daemon, so that it cannot be reopened for writing through /proc); a writer's
 * allows writing.
 *
 * Lifetime: a tag lives while holders > 0; when the last holder releases it, it is destroyed
 * (its descriptors closed) unless it is persistent and still linked. registry_unlink removes
 * a name at once; the memory lives on while holders remain.
 *
 * Memfds are created MFD_CLOEXEC | MFD_ALLOW_SEALING and sealed F_SEAL_SHRINK | F_SEAL_SEAL,
 * so no holder can shrink the memory under another (SIGBUS) or add seals of its own.
 *
 * Quotas: per user (tags, bytes) and global (tags, bytes); bytes count anonymous tags' sizes
 * (file-backed tags cost the daemon no memory, so they count as tags only). The creator's uid
 * pays, and keeps paying for growth made by others.
 *
 * Threading: none; the daemon is one libuv loop. Not here: sockets and handles (client.c),
 * the wire (proto/wire.c).
 */
#ifndef MMAPD_REGISTRY_H
#define MMAPD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

/* The longest name proper, prefix excluded. */
#define REGISTRY_NAME_MAX 255

struct registry;
struct tag;

struct registry_limits {
	uint64_t max_tags;           /* all tags together */
	uint64_t max_bytes;          /* all anonymous tags' sizes together */
	uint64_t max_tags_per_user;  /* tags one uid has created and that still live */
	uint64_t max_bytes_per_user; /* the sizes of those tags */
};

/* Defaults: 65536 tags and 16 GiB in all; 4096 tags and 4 GiB per user. */
void registry_default_limits(struct registry_limits *ret);

struct peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	const gid_t *groups; /* supplementary groups; borrowed for the duration of a call */
	size_t n_groups;
};

struct registry_open_args {
	const char *name;
	uint64_t length; /* 0: all of an existing tag; an anonymous tag is created at this size */
	uint64_t offset; /* file-backed: where the opener's view starts */
	bool writable;   /* access wanted */
	uint32_t mode;   /* permission bits for a tag this call creates; 0: 0600; > 0777: EINVAL */
	bool persistent; /* a tag this call creates lives until unlinked */
	bool must_exist; /* refuse with -ENOENT rather than create the tag */
	bool borrow_fd;  /* ret->fd is the tag's own (see struct registry_opened) */
	int file_fd;     /* a regular file to back a new tag, or -1; always taken (see below) */
	bool publish;    /* file_fd is instead the memfd of an anonymous tag, published again */
};

struct registry_opened {
	struct tag *tag;
	int fd;       /* a new CLOEXEC descriptor for the client: O_RDONLY unless writable;
	               * with borrow_fd the tag's own instead, valid while the hold this open
	               * made lasts, never to be closed by the caller */
	bool created; /* this call created the tag */
	bool writable;
	uint64_t size; /* the tag's size now (a file tag: the file's size) */
	enum wire_kind kind;
	uint32_t mode;
	bool persistent;
};

int registry_create(struct registry **ret, const struct registry_limits *limits);

/* Destroys every tag, held or not, and the registry. */
void registry_destroy(struct registry *reg);

/* Opens or creates a tag for peer. args->file_fd (if >= 0) is always consumed: kept as the
 * new tag's file, or closed.
 *
 * Publishing (args->publish, for a client whose daemon restarted without systemd's store):
 * file_fd is the memfd of an anonymous tag the client held. It must be a memfd open for
 * reading and writing, sealed F_SEAL_SHRINK | F_SEAL_SEAL and nothing that stops writing or
 * growth, of a non-zero size, whose inode the daemon may make 0600 (the daemon's own memfds
 * are). A free name makes a tag of it, owned by peer, with args->mode and args->persistent,
 * charged to peer; a name that leads to the same memory is opened as usual; a name that
 * leads to other memory is -EEXIST (the first publisher won). A memfd that breaks the rules
 * is -EINVAL (-EACCES if not writable, -EPERM if its inode cannot be made 0600). On success fills *ret (adding one holder to ret->tag) and
 * returns 0; on failure returns a negative errno and changes nothing:
 *   -EINVAL   a bad name; mode > 0777; a file_fd that is not a regular file; creating an
 *             anonymous tag with length 0; creating a file tag whose length/offset break
 *             Python's file rules (empty file with length 0, offset at or past its end,
 *             offset + length past its end);
 *   -EEXIST   the tag exists and file_fd is another file than the tag's (or the tag is
 *             anonymous and a file was given);
 *   -EACCES   the tag's owner and mode deny the access asked for, or writing is asked of a
 *             file tag whose file was handed over read-only;
 *   -EFBIG    the tag exists and offset + length is larger than it;
 *   -EDQUOT   creating it would pass a per-user or global quota;
 *   -ENOENT   the tag does not exist and must_exist is set;
 *   -ENOMEM, -EMFILE, …   the system's refusals. */
int registry_open(struct registry *reg, const struct peer *peer,
                  const struct registry_open_args *args, struct registry_opened *ret);

/* Drops one holder (of a successful registry_open); destroys the tag when it was the last
 * and the tag is not persistent and linked. */
void registry_release(struct registry *reg, struct tag *tag);

/* Resizes a tag to size bytes (the whole tag or file: a view at an offset asks for its offset
 * plus its length) on behalf of a holder whose hold is writable (else -EACCES).
 *   -EINVAL   size is 0;
 *   -EDQUOT   growth would pass a quota;
 *   -EBUSY    a shrink while another holder exists (holders > 1);
 * A shrink by the sole holder of an anonymous tag moves the contents to a new, smaller
 * memfd: *ret_fd is then a new writable descriptor for the caller (else -1). A file tag is
 * truncated in place. Returns 0. */
int registry_resize(struct registry *reg, struct tag *tag, bool writable, uint64_t size,
                    int *ret_fd);

/* Removes name from peer's view at once (persistent or not). -EINVAL for a bad name, -ENOENT
 * if there is no such tag, -EPERM unless peer is its owner or uid 0. */
int registry_unlink(struct registry *reg, const struct peer *peer, const char *name);

/* Fills out with up to max tags visible to peer (global tags and peer's own; uid 0 sees all)
 * whose cursor sorts after `after` ("" for the first page), in cursor order. Sets *ret_more
 * if more remain. Returns how many it filled. */
size_t registry_list(struct registry *reg, const struct peer *peer, const char *after,
                     struct wire_tag_info *out, size_t max, bool *ret_more);

/* Fills the tags and bytes counters of *ret; leaves the others. */
void registry_stats(struct registry *reg, struct wire_stats *ret);

/* The tag's current size in bytes. */
uint64_t registry_tag_size(const struct tag *tag);

/* ---- across a restart (store.c keeps the state, restore.c the holders that come back) ----
 *
 * Every tag has an id, unique in this registry and in the store. A tag restored from the
 * store comes back without holders; what kept it alive before the restart is counted as
 * pending (one per hold a process had), and it lives while holders + pending > 0 (or it is
 * persistent and linked). Listing counts pending holds as holders. */

struct store;
struct state_tag;

/* From now on, tags made, unlinked, replaced and destroyed are reported to store (NULL:
 * none); new tags get ids from next_id on (or later). */
void registry_set_store(struct registry *reg, struct store *store, uint64_t next_id);

uint64_t registry_tag_id(const struct tag *tag);

/* The device and inode of the tag's memory object, which a client holding it sees too. */
int registry_tag_identity(const struct tag *tag, uint64_t *ret_dev, uint64_t *ret_ino);

/* What the store records of tag. */
void registry_tag_state(const struct tag *tag, struct state_tag *ret);

/* Brings back a tag the store kept, with fd as its descriptor (always taken: kept, or closed
 * on failure). It starts with no holders: the caller adds pending holds, then calls
 * registry_settle. -EINVAL for a record or descriptor that is not a tag's (a bad name, mode or
 * kind; not a regular file), -EEXIST if its name is taken, -ENOMEM. */
int registry_restore(struct registry *reg, const struct state_tag *st, int fd, struct tag **ret);

/* Destroys a restored tag that nothing keeps alive; returns whether it lives on. */
bool registry_settle(struct registry *reg, struct tag *tag);

/* Adds n pending holds; registry_unpend takes them away and destroys the tag if nothing
 * keeps it alive any more. */
void registry_pend(struct tag *tag, uint32_t n);
void registry_unpend(struct registry *reg, struct tag *tag, uint32_t n);

/* A hold without a descriptor, for a client that has the memory already (a re-claim after a
 * restart): -EACCES if peer may not open the tag so (owner and mode, or writing a read-only
 * file), -EOVERFLOW at UINT32_MAX holders. */
int registry_hold(struct registry *reg, const struct peer *peer, struct tag *tag, bool writable);

/* Writes every tag to the store's new log (store_snap_tag). */
void registry_snapshot(struct registry *reg, struct store *store);

#endif
