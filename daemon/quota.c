/* quota.c: per-user and global accounting of tags and bytes against the registry's limits.
 *
 * Users live in an open-addressed table (linear probing, at most half full, backward-shift
 * deletion so that no tombstones pile up), keyed by uid. The hash needs no secret: a uid
 * comes from SO_PEERCRED, so a client cannot choose it, and there are only as many entries as
 * users with live tags. An entry whose tags fall to zero is removed (its bytes are zero then
 * too, since bytes are only ever charged for live tags).
 *
 * Not here: deciding who pays for what (registry.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "quota.h"

#define USERS_MIN 16

struct quota_user {
	uid_t uid;
	uint64_t tags; /* 0: the slot is free */
	uint64_t bytes;
};

void quota_init(struct quota *q, const struct registry_limits *limits)
{
	memset(q, 0, sizeof(*q));
	q->limits = *limits;
}

void quota_finish(struct quota *q)
{
	free(q->users);
	q->users = NULL;
	q->cap = q->count = 0;
}

static size_t home_slot(const struct quota *q, uid_t uid)
{
	return (size_t)(((uint64_t)uid * 0x9e3779b97f4a7c15ULL) >> 32) & (q->cap - 1);
}

static struct quota_user *find_user(const struct quota *q, uid_t uid)
{
	if (q->cap == 0)
		return NULL;
	for (size_t i = home_slot(q, uid);; i = (i + 1) & (q->cap - 1)) {
		struct quota_user *u = &q->users[i];
		if (u->tags == 0)
			return NULL;
		if (u->uid == uid)
			return u;
	}
}

static struct quota_user *place_user(struct quota *q, uid_t uid)
{
	size_t i = home_slot(q, uid);
	while (q->users[i].tags != 0)
		i = (i + 1) & (q->cap - 1);
	q->users[i].uid = uid;
	return &q->users[i];
}

static int grow(struct quota *q)
{
	size_t cap = q->cap ? q->cap * 2 : USERS_MIN;
	struct quota_user *old = q->users;
	size_t old_cap = q->cap;
	struct quota_user *users = calloc(cap, sizeof(*users));

	if (!users)
		return -ENOMEM;
	q->users = users;
	q->cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].tags == 0)
			continue;
		struct quota_user *u = place_user(q, old[i].uid);
		u->tags = old[i].tags;
		u->bytes = old[i].bytes;
	}
	free(old);
	return 0;
}

static void remove_user(struct quota *q, struct quota_user *gone)
{
	size_t mask = q->cap - 1;
	size_t hole = (size_t)(gone - q->users);

	/* Move back every later entry of the run whose probe path passes the hole. */
	for (size_t j = (hole + 1) & mask; q->users[j].tags != 0; j = (j + 1) & mask) {
		size_t home = home_slot(q, q->users[j].uid);
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			q->users[hole] = q->users[j];
			hole = j;
		}
	}
	memset(&q->users[hole], 0, sizeof(q->users[hole]));
	q->count--;
}

/* Whether used + more stays within limit, without overflowing. */
static bool fits(uint64_t used, uint64_t more, uint64_t limit)
{
	return used <= limit && more <= limit - used;
}

static int charge(struct quota *q, uid_t uid, uint64_t tags, uint64_t bytes, bool check)
{
	const struct registry_limits *lim = &q->limits;
	struct quota_user *u = find_user(q, uid);
	uint64_t user_tags = u ? u->tags : 0, user_bytes = u ? u->bytes : 0;

	if (check &&
	    (!fits(q->tags, tags, lim->max_tags) || !fits(q->bytes, bytes, lim->max_bytes) ||
	     !fits(user_tags, tags, lim->max_tags_per_user) ||
	     !fits(user_bytes, bytes, lim->max_bytes_per_user)))
		return -EDQUOT;
	if (!u) {
		if (tags == 0)
			return -EINVAL; /* bytes for a user without tags: a caller's bug */
		if ((q->count + 1) * 2 > q->cap && grow(q) < 0)
			return -ENOMEM;
		u = place_user(q, uid);
		q->count++;
	}
	u->tags += tags;
	u->bytes += bytes;
	q->tags += tags;
	q->bytes += bytes;
	return 0;
}

int quota_charge(struct quota *q, uid_t uid, uint64_t tags, uint64_t bytes)
{
	return charge(q, uid, tags, bytes, true);
}

int quota_charge_restored(struct quota *q, uid_t uid, uint64_t bytes)
{
	return charge(q, uid, 1, bytes, false);
}

void quota_force(struct quota *q, uid_t uid, uint64_t bytes)
{
	struct quota_user *u = find_user(q, uid);

	if (u)
		u->bytes += bytes;
	q->bytes += bytes;
}

void quota_refund(struct quota *q, uid_t uid, uint64_t tags, uint64_t bytes)
{
	struct quota_user *u = find_user(q, uid);

	q->tags -= tags < q->tags ? tags : q->tags;
	q->bytes -= bytes < q->bytes ? bytes : q->bytes;
	if (!u)
		return;
	u->tags -= tags < u->tags ? tags : u->tags;
	u->bytes -= bytes < u->bytes ? bytes : u->bytes;
	if (u->tags == 0)
		remove_user(q, u);
}
