/* users.c: connections per user (see users.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "users.h"

static size_t home(const struct users *u, uid_t uid)
{
	uint64_t h = (uint64_t)uid * 0x9e3779b97f4a7c15u;
	return (size_t)(h >> 32) & (u->cap - 1);
}

static struct user_count *find(const struct users *u, uid_t uid)
{
	if (!u->cap)
		return NULL;
	for (size_t i = home(u, uid);; i = (i + 1) & (u->cap - 1)) {
		if (!u->v[i].count)
			return NULL;
		if (u->v[i].uid == uid)
			return &u->v[i];
	}
}

static struct user_count *place(struct users *u, uid_t uid)
{
	size_t i = home(u, uid);
	while (u->v[i].count)
		i = (i + 1) & (u->cap - 1);
	u->v[i].uid = uid;
	return &u->v[i];
}

static int grow(struct users *u)
{
	struct users bigger = {.cap = u->cap ? u->cap * 2 : 16};

	bigger.v = calloc(bigger.cap, sizeof(*bigger.v));
	if (!bigger.v)
		return -ENOMEM;
	for (size_t i = 0; i < u->cap; i++)
		if (u->v[i].count)
			place(&bigger, u->v[i].uid)->count = u->v[i].count;
	bigger.n = u->n;
	free(u->v);
	*u = bigger;
	return 0;
}

int users_add(struct users *u, uid_t uid, unsigned int limit)
{
	struct user_count *e = find(u, uid);

	if (e) {
		if (e->count >= limit)
			return -EUSERS;
		e->count++;
		return 0;
	}
	if (limit == 0)
		return -EUSERS;
	if ((u->n + 1) * 2 > u->cap && grow(u) < 0)
		return -ENOMEM;
	place(u, uid)->count = 1;
	u->n++;
	return 0;
}

void users_remove(struct users *u, uid_t uid)
{
	struct user_count *e = find(u, uid);

	if (!e || --e->count)
		return;
	/* Move back every later entry of the run whose probe path passes the hole. */
	size_t mask = u->cap - 1, hole = (size_t)(e - u->v);
	for (size_t j = (hole + 1) & mask; u->v[j].count; j = (j + 1) & mask) {
		size_t h = home(u, u->v[j].uid);
		if (((j - h) & mask) >= ((j - hole) & mask)) {
			u->v[hole] = u->v[j];
			hole = j;
		}
	}
	u->v[hole].count = 0;
	u->n--;
}

unsigned int users_count(const struct users *u, uid_t uid)
{
	const struct user_count *e = find(u, uid);
	return e ? e->count : 0;
}

void users_free(struct users *u)
{
	free(u->v);
	*u = (struct users){0};
}
