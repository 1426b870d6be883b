/* mmapctl.c: the command-line tool of mmapd: parses the command line, says what went wrong, and
 * creates, removes, reads and fills tags; mmapctl_list.c prints the lists and counters.
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
 * with MMAPC_NOCREATE, so that a missing tag is -ENOENT and is never made; create opens with
 * MMAPC_EXCL, so that an existing one is -EEXIST and is never touched.
 *
 * Output. SIGPIPE is ignored, so a reader that goes away (mmapctl cat big | head) ends the
 * output quietly. The tables and JSON of list, stat and ping are mmapctl_list.c's.
 *
 * Not here: creating file-backed tags and resizing tags (no command asks for them yet). A file
 * tag whose file is truncated by someone else while cat reads it raises SIGBUS, as for any
 * map.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mmapc.h"
#include "mmapctl.h"

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
int connection_error(const struct ctl *c, int r)
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
	        .options = MMAPC_EXCL | (c->persistent ? MMAPC_PERSISTENT : 0),
	};
	r = mmapc_open(&m, -1, size, MMAPC_ACCESS_DEFAULT, 0, &o);
	/* An existing tag is refused before its size, kind or mode is looked at, except that a
	 * mode that keeps us out (-EACCES) or a file behind it (-EEXIST) can only be an existing
	 * tag's too: a new one is always created as asked. */
	if (r == -EFBIG || r == -EEXIST || r == -EACCES) {
		fprintf(stderr, "mmapctl: create %s: tag exists\n", name);
		return ST_EXISTS;
	}
	if (r < 0)
		return refused(c, name, r);
	mmapc_free(m);
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
	struct mmapc_options o = {
	        .tagname = name, .socket_path = c->socket, .options = MMAPC_NOCREATE};
	mmapc_map *m;

	int r = check_connection(c);
	if (r != ST_OK)
		return r;
	r = mmapc_open(&m, -1, 0, access, 0, &o);
	if (r == -ENOENT) {
		fprintf(stderr, "mmapctl: %s %s: no such tag\n", c->command, name);
		return ST_NO_TAG;
	}
	if (r < 0)
		return refused(c, name, r);
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
