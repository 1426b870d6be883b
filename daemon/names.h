/* names.h: tag names for the registry: parsing and validating what a client sends, the keyed
 * hash the registry's table uses, and the list cursor and display forms of a name.
 *
 * A name key is a parsed name: the namespace (global, or one user's) and the name proper,
 * borrowed from the string it was parsed from (or from the tag that stores it).
 *
 * Not here: the table itself and everything about tags (registry.c).
 */
#ifndef MMAPD_NAMES_H
#define MMAPD_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "registry.h"

/* The longest cursor, "u/" + ten digits + "/" + the name proper, without its NUL. */
#define NAMES_CURSOR_MAX (13 + REGISTRY_NAME_MAX)

/* The longest display name, "Global\" + the name proper, without its NUL. */
#define NAMES_DISPLAY_MAX (7 + REGISTRY_NAME_MAX)

struct name_key {
	const char *name; /* the name proper, not NUL-terminated here; borrowed */
	size_t len;       /* 1..REGISTRY_NAME_MAX */
	bool global;
	uid_t uid; /* the namespace's user; 0 for the global namespace */
};

/* The secret that keys names_hash, drawn once per process. */
struct names_seed {
	uint64_t k0, k1;
};

/* Fills *ret from getrandom(2). Returns 0 or a negative errno. */
int names_seed_init(struct names_seed *ret);

/* Parses full ("Global\x", "Local\x" or "x") as seen by user uid. The name proper must be
 * 1..REGISTRY_NAME_MAX printable ASCII bytes other than '/' and '\'. Returns 0 and fills
 * *ret (pointing into full), or -EINVAL. */
int names_parse(const char *full, uid_t uid, struct name_key *ret);

/* SipHash-2-4 of the key under seed: without the seed, no one can choose names that pile up
 * in one bucket of the registry's table. */
uint64_t names_hash(const struct names_seed *seed, const struct name_key *key);

/* Cursor order: every global tag before every per-user one; per-user ones by uid; then by the
 * bytes of the name proper. It is the strcmp order of the cursor strings, so a client can
 * hand any string back as a cursor. */
int names_cmp(const struct name_key *a, const struct name_key *b);

/* Compares key's cursor with the string cursor, as strcmp would. */
int names_cursor_cmp(const struct name_key *key, const char *cursor);

/* Writes key's cursor ("g/NAME" or "u/0000001000/NAME") into buf, which has room for
 * NAMES_CURSOR_MAX + 1 bytes. */
void names_cursor(const struct name_key *key, char *buf);

/* Writes the name a user would type ("Global\NAME" or the bare NAME) into buf, which has room
 * for NAMES_DISPLAY_MAX + 1 bytes. */
void names_display(const struct name_key *key, char *buf);

#endif
