/* users.h: how many connections each user has open, so that no one user can take them all.
 *
 * A small open-addressed table of (uid, count), linear probing, at most half full, with
 * backward-shift deletion; an entry goes when its count drops to 0. The server counts every
 * connection in it at accept and out of it at disconnect.
 *
 * Not here: the limit's policy (server.c: root is not limited), tags' quotas (quota.c).
 */
#ifndef MMAPD_USERS_H
#define MMAPD_USERS_H

#include <stddef.h>
#include <sys/types.h>

struct user_count {
	uid_t uid;
	unsigned int count; /* 0: the slot is free */
};

struct users {
	struct user_count *v;
	size_t cap, n;
};

/* Counts one more connection of uid unless it has limit already: 0, -EUSERS or -ENOMEM. */
int users_add(struct users *u, uid_t uid, unsigned int limit);

/* Counts one connection of uid fewer. */
void users_remove(struct users *u, uid_t uid);

/* How many connections uid has. */
unsigned int users_count(const struct users *u, uid_t uid);

void users_free(struct users *u);

#endif
