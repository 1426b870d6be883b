/* registry_impl.h: the inside of mmapd's registry, shared by the files that implement it:
 * registry.c (the table, opening, lifetime, resizing), registry_list.c (listing and
 * counters) and registry_restore.c (across a restart). Only registry*.c include it; everyone else sees registry.h, where struct tag and
 * struct registry are opaque.
 *
 * The words (tag, holder, peer) and the rules are registry.h's; the design of the table and
 * of the descriptors is described at the top of registry.c.
 *
 * Threading: none, as for the whole registry. Not here: anything a caller of the registry
 * may use.
 */
#ifndef MMAPD_REGISTRY_IMPL_H
#define MMAPD_REGISTRY_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "names.h"
#include "quota.h"
#include "registry.h"
#include "store.h"

struct tag {
	struct tag *prev, *next; /* the list of every live tag */
	uint64_t hash;
	uint64_t id;   /* the daemon's number for it, its name in systemd's fd store */
	uint64_t size; /* the size last seen; an anonymous tag's creator is charged this much */
	int fd;        /* the memfd or the file */
	int ro_fd;     /* the read-only twin, or -1 until a reader needs it */
	uint32_t holders;
	uint32_t pending;       /* holds from before a restart, not yet re-claimed (restore.c) */
	uint32_t fd_generation; /* bumped when fd is replaced */
	uid_t ns_uid;           /* the namespace's user; 0 for a global tag */
	uid_t owner_uid;
	gid_t owner_gid;
	uint16_t mode;
	uint16_t name_len;
	uint8_t kind;     /* enum wire_kind */
	bool global;      /* in the global namespace */
	bool persistent;  /* lives while linked, held or not */
	bool linked;      /* in the table: its name leads to it */
	bool fd_readonly; /* fd is O_RDONLY (a file handed over so) */
	bool fd_writable; /* a writer may have a dup of fd */
	char name[];      /* the name proper, NUL-terminated */
};

struct registry {
	struct names_seed seed;
	struct quota quota;
	struct tag **slots; /* cap slots (a power of two, or 0), count of them in use */
	size_t cap, count;
	struct tag *all;
	struct store *store; /* systemd's fd store, or NULL */
	uint64_t next_id;
	bool no_noexec_seal; /* the kernel refused MFD_NOEXEC_SEAL once */
};

/* The key the tag's name is hashed, compared and shown by. */
static inline struct name_key tag_key(const struct tag *t)
{
	return (struct name_key){
	        .name = t->name, .len = t->name_len, .global = t->global, .uid = t->ns_uid};
}

/* Shared by registry.c and registry_restore.c (each described where it is defined). */
struct tag *registry_table_find(const struct registry *reg, const struct name_key *key,
                                uint64_t hash);
int registry_table_reserve(struct registry *reg);
void registry_table_insert(struct registry *reg, struct tag *t);
void registry_list_add(struct registry *reg, struct tag *t);
void registry_tag_destroy(struct registry *reg, struct tag *t);
bool registry_tag_alive(const struct tag *t);
bool registry_may_open(const struct tag *t, const struct peer *peer, bool writable);

/* Reads the size a tag really has now: another writer may have grown a memfd with
 * ftruncate. Growth the daemon did not grant is charged to the creator all the same.
 * Returns 0, or a negative errno (fstat's) leaving the size last seen. */
int registry_tag_sync_size(struct registry *reg, struct tag *t);

#endif
