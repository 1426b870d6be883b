/* quota.h: the registry's accounting of tags and bytes, per user and in all, against limits.
 *
 * A user is charged for the tags it created that still live and for their sizes (anonymous
 * tags only); the registry decides who pays (the creator) and how much. A user's entry exists
 * while it has at least one tag, so the table holds as many entries as there are users with
 * live tags.
 *
 * Not here: what a tag is, and when it is charged (registry.c).
 */
#ifndef MMAPD_QUOTA_H
#define MMAPD_QUOTA_H

#include <stdint.h>
#include <sys/types.h>

#include "registry.h"

struct quota_user;

struct quota {
	struct registry_limits limits;
	uint64_t tags, bytes; /* everyone's together */
	struct quota_user *users;
	size_t cap, count; /* users is an open-addressed table of cap slots, count in use */
};

void quota_init(struct quota *q, const struct registry_limits *limits);

void quota_finish(struct quota *q);

/* Charges uid for tags more tags and bytes more bytes if that passes no limit: returns 0, or
 * -EDQUOT (a per-user or global limit) or -ENOMEM, and then charges nothing. */
int quota_charge(struct quota *q, uid_t uid, uint64_t tags, uint64_t bytes);

/* Charges uid for a tag of bytes bytes that a restarted daemon found in systemd's store,
 * limits or not (they may have changed): the memory exists. Returns 0 or -ENOMEM. */
int quota_charge_restored(struct quota *q, uid_t uid, uint64_t bytes);

/* Charges uid for bytes it has already spent, limits or not (another holder grew a memfd
 * behind the daemon's back). uid must have a live tag. */
void quota_force(struct quota *q, uid_t uid, uint64_t bytes);

/* Gives back what quota_charge or quota_force charged. */
void quota_refund(struct quota *q, uid_t uid, uint64_t tags, uint64_t bytes);

#endif
