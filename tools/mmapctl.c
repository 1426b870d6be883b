/* mmapctl.c: the command-line tool of mmapd: lists tags, shows the daemon's counters, creates,
 * removes, reads and fills tags.
 *
 * Everything goes through libmmapc (mmapc.h): the administration calls (mmapc_list,
 * mmapc_stat, mmapc_ping) and the same maps any program opens. The tool never speaks the
 * wire itself, so it sees exactly what a program would, permissions included.
 *
 * Telling errors apart. libmmapc reports "no daemon" as -ENOENT and a refused connect(2) as
 * -EACCES, the same errnos the daemon uses for "no such tag" (mmapc_unlink) and "the tag's
 * mode forbids it" (mmapc_open). So every command that works on a tag first pings the daemon
 * (one round trip, on the connection the later call reuses): a failure there is the
 * connection's, and any later errno is the daemon's answer about the tag. cat and write open
 * an existing tag with length 0, which never creates one: the daemon refuses a new anonymous
 * tag of length 0 with -EINVAL, which those two therefore read as "no such tag" (a malformed
 * name is refused with the same errno, and no tag can have such a name either).
 *
 * Output. Tables are for people (aligned columns, a header, numbers right-aligned); --json is
 * for programs (one array or object, numbers as numbers, strings escaped; a tag's mode is
 * the octal string people write, "0644", since JSON has no octal numbers). SIGPIPE is
 * ignored, so a reader that goes away (mmapctl cat big | head) ends the output quietly.
 *
 * Not here: creating file-backed tags and resizing tags (no command asks for them yet). A file
 * tag whose file is truncated by someone else while cat reads it raises SIGBUS, as for any
 * map.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmapc.h"

/* The exit statuses, as the usage text documents them. */
enum status {
	ST_OK = 0,
	ST_FAILED = 1, /* the daemon refused, could not be reached, or a system call failed */
	ST_USAGE = 2,
	ST_EXISTS = 3,    /* create: the tag exists */
	ST_NO_TAG = 4,    /* rm, cat, write: no such tag */
	ST_TOO_LARGE = 5, /* write: the input is larger than the tag */
};

/* What the command line said. */
struct ctl {
	const char *socket;       /* --socket, or NULL for libmmapc's default */
	const char *socket_shown; /* the path the default resolves to, for messages */
	bool json;
	bool persistent;
	bool mode_given;
	unsigned int mode;
	const char *command;
	char **args; /* the command's arguments */
	int n_args;
};

static const char usage_text[] =
        "Usage: mmapctl [--socket PATH] [--json] COMMAND [ARGS]\n"
        "Administers mmapd, the broker of named shared-memory mappings (tags).\n"
        "\n"
        "Commands:\n"
        "  list                 the tags you can see: tag, namespace, kind, size, holders,\n"
        "                       owner, mode, persistent\n"
        "  stat                 the daemon's counters\n"
        "  create NAME SIZE [--mode MODE] [--persistent]\n"
        "                       creates an anonymous tag of SIZE bytes (a K, M, G or T suffix\n"
        "                       multiplies by powers of 1024), zero-filled, with permission\n"
        "                       bits MODE (octal, 1 to 0777; default 0600). Without\n"
        "                       --persistent the tag ends when mmapctl exits (mmapctl is its\n"
        "                       only holder); with it, the tag lives until 'mmapctl rm'\n"
        "  rm NAME...           removes tags' names; processes holding them keep the memory\n"
        "  cat NAME             writes the tag's bytes to standard output\n"
        "  write NAME           fills the tag from standard input, from its first byte;\n"
        "                       shorter input leaves the rest of the tag as it was\n"
        "  ping                 prints the daemon's protocol version\n"
        "\n"
        "Options:\n"
        "  -s, --socket PATH    the daemon's socket (default: $MMAPD_SOCKET, else\n"
        "                       " MMAPD_SOCKET_DEFAULT ")\n"
        "  -j, --json           list, stat and ping print JSON\n"
        "  -m, --mode MODE      create: the tag's permission bits\n"
        "  -p, --persistent     create: the tag lives until removed\n"
        "  -h, --help           shows this and exits\n"
        "  -V, --version        shows the version and exits\n"
        "\n"
        "NAME is \"Global\\name\" for a tag every user may see (as its mode allows), or \"name\"\n"
        "for one of your own. Use -- before a NAME that starts with '-'.\n"
        "\n"
        "Exit status:\n"
        "  0  success\n"
        "  1  mmapd refused the request or could not be reached, or a system call failed\n"
        "  2  usage error\n"
        "  3  create: the tag exists\n"
        "  4  rm, cat, write: no such tag\n"
        "  5  write: the input is larger than the tag (its first SIZE bytes were written)\n";

/* ---- messages ---------------------------------------------------------------------------- */

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("mmapctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'mmapctl --help'.\n", stderr);
	return ST_USAGE;
}

/* What a person can do about an errno: said around the socket's path for a connection's
 * failure, after the command and tag for the daemon's refusal. */
struct hint {
	int err;
	const char *before, *after;
};

static const struct hint connection_hints[] = {
        {ENOENT, "no mmapd at ", ": is it running?"},
        {ECONNREFUSED, "no mmapd at ", ": is it running?"},
        {EACCES, "may not connect to ", ": permission denied"},
        {ETIMEDOUT, "mmapd at ", " did not answer in time"},
        {ECONNRESET, "mmapd at ", " closed the connection"},
        {EPIPE, "mmapd at ", " closed the connection"},
        {EPROTO, "mmapd at ", " speaks a protocol this mmapctl does not"},
        {EPROTONOSUPPORT, "mmapd at ", " speaks a protocol this mmapctl does not"},
        {0, NULL, NULL},
};

static const struct hint tag_hints[] = {
        {EACCES, "permission denied by the tag's mode (see its owner and mode in mmapctl list)",
         NULL},
        {EPERM, "only the tag's owner or root may remove it", NULL},
        {EINVAL, "invalid tag name (1 to 255 printable characters, no '/', no '\\' but Global\\'s)",
         NULL},
        {EDQUOT, "a quota of mmapd's would be exceeded", NULL},
        {0, NULL, NULL},
};

static const struct hint *hint_of(const struct hint *hints, int r)
{
	for (; hints->err; hints++)
		if (hints->err == -r)
			return hints;
	return NULL;
}

/* Why the connection to the daemon failed. */
static int connection_error(const struct ctl *c, int r)
{
	const struct hint *h = hint_of(connection_hints, r);

	if (h)
		fprintf(stderr, "mmapctl: %s%s%s\n", h->before, c->socket_shown, h->after);
	else
		fprintf(stderr, "mmapctl: cannot talk to mmapd at %s: %s\n", c->socket_shown,
		        strerror(-r));
	return ST_FAILED;
}

/* The daemon refused a request about a tag (after a ping showed the connection works). */
static int refused(const struct ctl *c, const char *name, int r)
{
	const struct hint *h = hint_of(tag_hints, r);

	if (!h && hint_of(connection_hints, r))
		return connection_error(c, r); /* the daemon went away since the ping */
	fprintf(stderr, "mmapctl: %s %s: %s\n", c->command, name, h ? h->before : strerror(-r));
	return ST_FAILED;
}

/* Pings the daemon, so that whatever fails after this is the daemon's answer. */
static int check_connection(const struct ctl *c)
{
	int r = mmapc_ping(c->socket);
	return r < 0 ? connection_error(c, r) : ST_OK;
}

/* Writes all n bytes to fd. Returns 0, or a negative errno (-EPIPE if the reader left). */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

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

static int cmd_list(struct ctl *c)
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

static int cmd_stat(struct ctl *c)
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

static int cmd_ping(struct ctl *c)
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

/* ---- create and rm ----------------------------------------------------------------------- */

/* SIZE: a positive decimal number of bytes, with an optional K, M, G or T (powers of 1024). */
static bool parse_size(const char *s, int64_t *ret)
{
	static const char units[] = "KMGT";
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return false;
	const char *unit = *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
	if (unit) {
		shift = 10 * (int)(unit - units + 1);
		end++;
	}
	if (*end || v == 0 || v > (unsigned long long)(INT64_MAX >> shift))
		return false;
	*ret = (int64_t)(v << shift);
	return true;
}

static int cmd_create(struct ctl *c)
{
	const char *name = c->args[0];
	int64_t size;
	mmapc_map *m;

	if (!parse_size(c->args[1], &size))
		return usage_error("create: invalid SIZE: %s (a positive number of bytes, with "
		                   "an optional K, M, G or T suffix)",
		                   c->args[1]);
	int r = check_connection(c);
	if (r != ST_OK)
		return r;
	struct mmapc_options o = {
	        .tagname = name,
	        .socket_path = c->socket,
	        .mode = c->mode,
	        .options = c->persistent ? MMAPC_PERSISTENT : 0,
	};
	r = mmapc_open(&m, -1, size, MMAPC_ACCESS_DEFAULT, 0, &o);
	/* Only an existing tag can be smaller than asked (-EFBIG), be a file (-EEXIST), or have
	 * a mode that keeps us out (-EACCES): a new one is always created as asked. */
	if (r == -EFBIG || r == -EEXIST || r == -EACCES) {
		fprintf(stderr, "mmapctl: create %s: tag exists (%s)\n", name,
		        r == -EFBIG    ? "smaller than SIZE"
		        : r == -EEXIST ? "backed by a file"
		                       : "and its mode does not let you open it");
		return ST_EXISTS;
	}
	if (r < 0)
		return refused(c, name, r);
	bool created = mmapc_created(m);
	/* Closing a map of a tag that existed only drops this process's hold on it. */
	mmapc_free(m);
	if (!created) {
		fprintf(stderr, "mmapctl: create %s: tag exists\n", name);
		return ST_EXISTS;
	}
	return ST_OK;
}

static int cmd_rm(struct ctl *c)
{
	int status = ST_OK;
	int r = check_connection(c);

	if (r != ST_OK)
		return r;
	for (int i = 0; i < c->n_args; i++) {
		const char *name = c->args[i];
		r = mmapc_unlink(name, c->socket);
		int st = ST_OK;
		if (r == -ENOENT) {
			fprintf(stderr, "mmapctl: rm %s: no such tag\n", name);
			st = ST_NO_TAG;
		} else if (r < 0) {
			st = refused(c, name, r);
		}
		if (st != ST_OK && status == ST_OK)
			status = st;
	}
	return status;
}

/* ---- cat and write ----------------------------------------------------------------------- */

/* Opens an existing tag whole, never creating one. Returns ST_OK with *ret set, or the exit
 * status after saying why not. */
static int open_existing(const struct ctl *c, const char *name, int access, mmapc_map **ret)
{
	struct mmapc_options o = {.tagname = name, .socket_path = c->socket};
	mmapc_map *m;

	int r = check_connection(c);
	if (r != ST_OK)
		return r;
	/* Length 0 means "all of an existing tag"; for a missing one the daemon refuses to make
	 * a tag of no bytes, with -EINVAL (see the top of this file). */
	r = mmapc_open(&m, -1, 0, access, 0, &o);
	if (r == -EINVAL) {
		fprintf(stderr, "mmapctl: %s %s: no such tag\n", c->command, name);
		return ST_NO_TAG;
	}
	if (r < 0)
		return refused(c, name, r);
	if (mmapc_created(m)) {
		/* The daemon created a tag of length 0, which it must refuse: a bug. The tag is
		 * not persistent, so it ends with this process's hold. */
		mmapc_free(m);
		fprintf(stderr, "mmapctl: %s %s: no such tag (and mmapd created it empty: a bug)\n",
		        c->command, name);
		return ST_NO_TAG;
	}
	*ret = m;
	return ST_OK;
}

static int cmd_cat(struct ctl *c)
{
	const char *name = c->args[0];
	const void *data;
	mmapc_map *m;

	int st = open_existing(c, name, MMAPC_ACCESS_READ, &m);
	if (st != ST_OK)
		return st;
	int64_t n = mmapc_read_view(m, MMAPC_OMIT, &data);
	int r = n < 0 ? (int)n : write_all(STDOUT_FILENO, data, (size_t)n);
	mmapc_free(m);
	if (r == -EPIPE)
		return ST_OK; /* the reader has all it wanted */
	if (r < 0) {
		fprintf(stderr, "mmapctl: cat %s: %s%s\n", name,
		        n < 0 ? "" : "writing standard output: ", strerror(-r));
		return ST_FAILED;
	}
	return ST_OK;
}

/* Copies standard input into m from its start. Returns ST_OK, or the exit status after saying
 * why not. */
static int fill(const struct ctl *c, mmapc_map *m)
{
	const char *name = c->args[0];
	int64_t len = mmapc_len(m), done = 0;
	static char buf[1 << 16];

	for (;;) {
		ssize_t got = read(STDIN_FILENO, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			fprintf(stderr, "mmapctl: write %s: reading standard input: %s\n", name,
			        strerror(errno));
			return ST_FAILED;
		}
		if (got == 0)
			return ST_OK;
		size_t put = (size_t)got;
		if ((int64_t)put > len - done)
			put = (size_t)(len - done);
		/* The map is write-through and exactly the tag's length: this fails only if
		 * something is badly wrong. */
		int64_t r = put > 0 ? mmapc_write(m, buf, put) : 0;
		if (r < 0) {
			fprintf(stderr, "mmapctl: write %s: %s\n", name, strerror((int)-r));
			return ST_FAILED;
		}
		done += (int64_t)put;
		if (put < (size_t)got) {
			fprintf(stderr,
			        "mmapctl: write %s: the input is larger than the tag (%" PRId64
			        " bytes): wrote its first %" PRId64 " bytes\n",
			        name, len, done);
			return ST_TOO_LARGE;
		}
	}
}

static int cmd_write(struct ctl *c)
{
	mmapc_map *m;

	int st = open_existing(c, c->args[0], MMAPC_ACCESS_WRITE, &m);
	if (st != ST_OK)
		return st;
	st = fill(c, m);
	mmapc_free(m);
	return st;
}

/* ---- the command line -------------------------------------------------------------------- */

enum { TAKES_JSON = 1, TAKES_CREATE = 2 };

static const struct command {
	const char *name;
	int min_args, max_args; /* max_args -1: any number */
	unsigned int takes;
	int (*run)(struct ctl *c);
	const char *args_usage;
} commands[] = {
        {"list", 0, 0, TAKES_JSON, cmd_list, ""},
        {"stat", 0, 0, TAKES_JSON, cmd_stat, ""},
        {"create", 2, 2, TAKES_CREATE, cmd_create, " NAME SIZE [--mode MODE] [--persistent]"},
        {"rm", 1, -1, 0, cmd_rm, " NAME..."},
        {"cat", 1, 1, 0, cmd_cat, " NAME"},
        {"write", 1, 1, 0, cmd_write, " NAME"},
        {"ping", 0, 0, TAKES_JSON, cmd_ping, ""},
};

static bool parse_mode(const char *s, unsigned int *ret)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long v = strtoul(s, &end, 8);
	/* 0 would mean "the default" to libmmapc, not a tag nobody but root may open. */
	if (errno || *end || v == 0 || v > 0777)
		return false;
	*ret = (unsigned int)v;
	return true;
}

/* Parses the options (anywhere on the line, as GNU tools do) into c; returns -1 to go on,
 * or the exit status. */
static int parse_options(int argc, char **argv, struct ctl *c)
{
	static const struct option longs[] = {
	        {"socket", required_argument, NULL, 's'},
	        {"json", no_argument, NULL, 'j'},
	        {"mode", required_argument, NULL, 'm'},
	        {"persistent", no_argument, NULL, 'p'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {NULL, 0, NULL, 0},
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":s:jm:phV", longs, NULL)) != -1) {
		switch (opt) {
		case 's':
			c->socket = optarg;
			break;
		case 'j':
			c->json = true;
			break;
		case 'm':
			if (!parse_mode(optarg, &c->mode))
				return usage_error("invalid MODE: %s (octal, 1 to 0777)", optarg);
			c->mode_given = true;
			break;
		case 'p':
			c->persistent = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return ST_OK;
		case 'V':
			printf("mmapctl %d.%d\n", MMAPC_VERSION_MAJOR, MMAPC_VERSION_MINOR);
			return ST_OK;
		case ':':
			return usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			return usage_error("unknown option: %s", argv[optind - 1]);
		}
	}
	return -1;
}

/* Checks that the command exists and got what it takes; returns it, or NULL after saying
 * why (the exit status is then ST_USAGE). */
static const struct command *find_command(const struct ctl *c)
{
	const struct command *cmd = NULL;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, c->command))
			cmd = &commands[i];
	if (!cmd) {
		usage_error("unknown command: %s", c->command);
		return NULL;
	}
	if (c->n_args < cmd->min_args || (cmd->max_args >= 0 && c->n_args > cmd->max_args)) {
		fprintf(stderr, "mmapctl: %s: %s arguments\nUsage: mmapctl %s%s\n", cmd->name,
		        c->n_args < cmd->min_args ? "missing" : "too many", cmd->name,
		        cmd->args_usage);
		return NULL;
	}
	if (c->json && !(cmd->takes & TAKES_JSON)) {
		usage_error("--json applies to list, stat and ping, not %s", cmd->name);
		return NULL;
	}
	if ((c->mode_given || c->persistent) && !(cmd->takes & TAKES_CREATE)) {
		usage_error("--mode and --persistent apply to create, not %s", cmd->name);
		return NULL;
	}
	return cmd;
}

/* Reports a failure to write standard output (list, stat, ping print through stdio). */
static int finish_stdout(int status)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	if (errno == EPIPE)
		return status;
	fprintf(stderr, "mmapctl: writing standard output: %s\n", strerror(errno));
	return status == ST_OK ? ST_FAILED : status;
}

int main(int argc, char **argv)
{
	struct ctl c = {0};

	/* A reader that leaves is not an error worth dying of: write(2) says EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	int st = parse_options(argc, argv, &c);
	if (st >= 0)
		return finish_stdout(st);
	if (optind >= argc)
		return usage_error("%s", "no command given");
	c.command = argv[optind];
	c.args = argv + optind + 1;
	c.n_args = argc - optind - 1;
	const struct command *cmd = find_command(&c);
	if (!cmd)
		return ST_USAGE;
	c.socket_shown = c.socket ? c.socket : getenv("MMAPD_SOCKET");
	if (!c.socket_shown || !*c.socket_shown)
		c.socket_shown = MMAPD_SOCKET_DEFAULT;
	return finish_stdout(cmd->run(&c));
}
