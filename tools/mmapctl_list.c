/* mmapctl_list.c: what mmapctl prints for list, stat and ping, as tables for people and JSON
 * for programs.
 *
 * Tables are for people (aligned columns, a header, numbers right-aligned); --json is for
 * programs (one array or object, numbers as numbers, strings escaped; a tag's mode is the
 * octal string people write, "0644", since JSON has no octal numbers). Owners are shown by
 * name where the system knows one, else by number.
 *
 * Not here: the command line, the messages about a failed connection (mmapctl.c's
 * connection_error), or any command that changes a tag.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmapc.h"
#include "mmapctl.h"

/* ---- names of users and groups ----------------------------------------------------------- */

/* A one-entry cache for users and one for groups: tags mostly share a handful of owners,
 * and each lookup may read a file (or ask a directory server). */
struct name_cache {
	uint32_t id;
	int known; /* -1: nothing cached; 0: id has no name; 1: name holds it */
	char name[64];
};

static const char *cached_name(struct name_cache *c, uint32_t id, bool group)
{
	if (c->known < 0 || c->id != id) {
		struct passwd *pw = group ? NULL : getpwuid((uid_t)id);
		struct group *gr = group ? getgrgid((gid_t)id) : NULL;
		const char *name = pw ? pw->pw_name : gr ? gr->gr_name : NULL;
		c->id = id;
		c->known = name && strlen(name) < sizeof(c->name);
		if (c->known)
			strcpy(c->name, name);
	}
	return c->known ? c->name : NULL;
}

static const char *user_name(uint32_t uid)
{
	static struct name_cache users = {.known = -1};
	return cached_name(&users, uid, false);
}

static const char *group_name(uint32_t gid)
{
	static struct name_cache groups = {.known = -1};
	return cached_name(&groups, gid, true);
}

/* ---- list -------------------------------------------------------------------------------- */

struct tag_list {
	struct mmapc_tag_info *tags;
	size_t n, cap;
	bool out_of_memory;
};

static int collect_cb(const struct mmapc_tag_info *info, void *arg)
{
	struct tag_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct mmapc_tag_info *t = realloc(l->tags, cap * sizeof(*t));
		if (!t) {
			l->out_of_memory = true;
			return -ENOMEM;
		}
		l->tags = t;
		l->cap = cap;
	}
	l->tags[l->n++] = *info;
	return 0;
}

enum column {
	COL_TAG,
	COL_NAMESPACE,
	COL_KIND,
	COL_SIZE,
	COL_HOLDERS,
	COL_OWNER,
	COL_MODE,
	COL_PERSISTENT,
	N_COLUMNS
};

static const char *const headers[N_COLUMNS] = {
        "TAG", "NAMESPACE", "KIND", "SIZE", "HOLDERS", "OWNER", "MODE", "PERSISTENT",
};

/* "user:group", each part a number where it has no name. */
static const char *owner_text(const struct mmapc_tag_info *t, char *buf, size_t n)
{
	const char *user = user_name(t->owner_uid);
	const char *group = group_name(t->owner_gid);
	int len = user ? snprintf(buf, n, "%s:", user)
	               : snprintf(buf, n, "%" PRIu32 ":", t->owner_uid);

	if (group)
		snprintf(buf + len, n - (size_t)len, "%s", group);
	else
		snprintf(buf + len, n - (size_t)len, "%" PRIu32, t->owner_gid);
	return buf;
}

/* A table cell's text. buf holds at least 320 bytes (a tag name is under 304). */
static const char *cell(const struct mmapc_tag_info *t, enum column col, char *buf, size_t n)
{
	const char *user;

	switch (col) {
	case COL_TAG:
		return t->name;
	case COL_NAMESPACE:
		if (t->global)
			return "global";
		user = user_name(t->namespace_uid);
		if (user)
			snprintf(buf, n, "user %s", user);
		else
			snprintf(buf, n, "user %" PRIu32, t->namespace_uid);
		return buf;
	case COL_KIND:
		return t->file ? "file" : "anonymous";
	case COL_SIZE:
		snprintf(buf, n, "%" PRIu64, t->size);
		return buf;
	case COL_HOLDERS:
		snprintf(buf, n, "%" PRIu32, t->holders);
		return buf;
	case COL_OWNER:
		return owner_text(t, buf, n);
	case COL_MODE:
		snprintf(buf, n, "%04o", (unsigned int)t->mode);
		return buf;
	case COL_PERSISTENT:
	default:
		return t->persistent ? "yes" : "no";
	}
}

static void print_row(const char *const *texts, const size_t *width)
{
	for (int col = 0; col < N_COLUMNS; col++) {
		bool number = col == COL_SIZE || col == COL_HOLDERS;
		int w = (int)width[col];
		if (col == N_COLUMNS - 1)
			printf("%s\n", texts[col]); /* no trailing blanks */
		else
			printf(number ? "%*s  " : "%-*s  ", w, texts[col]);
	}
}

static void print_table(const struct tag_list *l)
{
	size_t width[N_COLUMNS];
	char buf[320];

	for (int col = 0; col < N_COLUMNS; col++)
		width[col] = strlen(headers[col]);
	for (size_t i = 0; i < l->n; i++)
		for (int col = 0; col < N_COLUMNS; col++) {
			size_t len = strlen(cell(&l->tags[i], (enum column)col, buf, sizeof(buf)));
			if (len > width[col])
				width[col] = len;
		}
	print_row(headers, width);
	for (size_t i = 0; i < l->n; i++) {
		char bufs[N_COLUMNS][320];
		const char *texts[N_COLUMNS];
		for (int col = 0; col < N_COLUMNS; col++)
			texts[col] =
			        cell(&l->tags[i], (enum column)col, bufs[col], sizeof(bufs[col]));
		print_row(texts, width);
	}
}

/* A JSON string, or null for NULL. */
static void json_string(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void json_tag(const struct mmapc_tag_info *t)
{
	fputs("{\"tag\": ", stdout);
	json_string(t->name);
	printf(", \"namespace\": \"%s\", \"namespace_uid\": ", t->global ? "global" : "user");
	if (t->global)
		fputs("null, \"namespace_user\": null", stdout);
	else {
		printf("%" PRIu32 ", \"namespace_user\": ", t->namespace_uid);
		json_string(user_name(t->namespace_uid));
	}
	printf(", \"kind\": \"%s\", \"size\": %" PRIu64 ", \"holders\": %" PRIu32
	       ", \"owner_uid\": %" PRIu32 ", \"owner_gid\": %" PRIu32 ", \"owner\": ",
	       t->file ? "file" : "anonymous", t->size, t->holders, t->owner_uid, t->owner_gid);
	json_string(user_name(t->owner_uid));
	fputs(", \"group\": ", stdout);
	json_string(group_name(t->owner_gid));
	printf(", \"mode\": \"%04o\", \"persistent\": %s}", (unsigned int)t->mode,
	       t->persistent ? "true" : "false");
}

static void print_json(const struct tag_list *l)
{
	if (l->n == 0) {
		puts("[]");
		return;
	}
	puts("[");
	for (size_t i = 0; i < l->n; i++) {
		fputs("  ", stdout);
		json_tag(&l->tags[i]);
		puts(i + 1 < l->n ? "," : "");
	}
	puts("]");
}

int cmd_list(struct ctl *c)
{
	struct tag_list l = {0};
	int r = mmapc_list(c->socket, collect_cb, &l);

	if (l.out_of_memory) {
		fprintf(stderr, "mmapctl: list: %s\n", strerror(ENOMEM));
		free(l.tags);
		return ST_FAILED;
	}
	if (r < 0) {
		free(l.tags);
		return connection_error(c, r);
	}
	if (c->json)
		print_json(&l);
	else
		print_table(&l);
	free(l.tags);
	return ST_OK;
}

/* ---- stat and ping ----------------------------------------------------------------------- */

int cmd_stat(struct ctl *c)
{
	struct mmapc_stats s;
	int r = mmapc_stat(c->socket, &s);

	if (r < 0)
		return connection_error(c, r);
	const struct {
		const char *name;
		uint64_t value;
	} rows[] = {
	        {"tags", s.tags},         {"bytes", s.bytes},   {"connections", s.connections},
	        {"requests", s.requests}, {"errors", s.errors}, {"handles", s.handles},
	};
	size_t n = sizeof(rows) / sizeof(rows[0]);
	if (c->json)
		putchar('{');
	for (size_t i = 0; i < n; i++) {
		if (c->json)
			printf("\"%s\": %" PRIu64 "%s", rows[i].name, rows[i].value,
			       i + 1 < n ? ", " : "}\n");
		else
			printf("%-12s %" PRIu64 "\n", rows[i].name, rows[i].value);
	}
	return ST_OK;
}

int cmd_ping(struct ctl *c)
{
	int r = mmapc_ping(c->socket);

	if (r < 0)
		return connection_error(c, r);
	if (c->json)
		printf("{\"protocol\": %d}\n", r);
	else
		printf("protocol version %d\n", r);
	return ST_OK;
}
