/* check_mmapctl.c: mmapctl, the real binary ($MMAPCTL_BIN), driven end to end against a real
 * mmapd: every command's output and exit status, and its errors.
 *
 * Each test runs mmapctl with fork and exec, feeding its standard input and collecting its
 * standard output and error through pipes (all three pumped by one poll loop, so neither side
 * can block the other), and checks what it printed against what libmmapc in this process sees
 * of the same daemon: tags are made, and what mmapctl did to them is checked, through
 * libmmapc directly. JSON output is checked by a small validator (the whole grammar) and by
 * reading fields out of each one-line object.
 *
 * Not here: the administration calls themselves (check_daemon.c), the registry's listing
 * rules (check_registry_list.c).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static struct test_daemon daemon_;

static void start(void)
{
	daemon_start(&daemon_, NULL);
}

static void stop(void)
{
	daemon_stop(&daemon_);
}

/* ---- running mmapctl --------------------------------------------------------------------- */

struct ctl_run {
	int status;      /* the exit status, or 128 + the signal that ended it */
	char *out, *err; /* what it wrote, NUL-terminated (out may hold NULs of its own) */
	size_t out_n, err_n;
};

struct ctl_how {
	const void *in; /* standard input's bytes (in_n of them); NULL: empty */
	size_t in_n;
	uid_t uid; /* with as_user: the user (and group) to run as */
	bool as_user;
	bool no_reader; /* standard output's reader is gone before mmapctl starts */
};

static void append(char **buf, size_t *n, const char *data, size_t len)
{
	*buf = realloc(*buf, *n + len + 1);
	ck_assert_ptr_nonnull(*buf);
	memcpy(*buf + *n, data, len);
	*n += len;
	(*buf)[*n] = '\0';
}

static void exec_ctl(const struct ctl_how *how, const int fds[3], const char *const *args)
{
	const char *bin = getenv("MMAPCTL_BIN") ? getenv("MMAPCTL_BIN") : "build/mmapctl";
	const char *argv[32] = {bin};

	for (size_t i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && dup2(fds[i], i) < 0)
			_exit(125);
	/* This process ignores SIGPIPE; mmapctl must cope with it on its own. */
	signal(SIGPIPE, SIG_DFL);
	if (how->as_user && (setgroups(0, NULL) != 0 || setresgid(how->uid, how->uid, how->uid) ||
	                     setresuid(how->uid, how->uid, how->uid)))
		_exit(126);
	execv(bin, (char *const *)argv);
	_exit(127);
}

/* Reads what is there from *fd into the buffer; closes *fd (and sets it to -1) at its end. */
static void pump(int *fd, short revents, char **buf, size_t *n)
{
	char chunk[65536];

	if (*fd < 0 || !revents)
		return;
	ssize_t got = read(*fd, chunk, sizeof(chunk));
	if (got > 0) {
		append(buf, n, chunk, (size_t)got);
	} else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(*fd);
		*fd = -1;
	}
}

static struct ctl_run run(const struct ctl_how *how, const char *const *args)
{
	int in[2], out[2], err[2], status;
	struct ctl_run r = {0};
	size_t sent = 0;

	signal(SIGPIPE, SIG_IGN); /* mmapctl may exit before it has read all of its input */
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	if (how->no_reader) {
		close(out[0]);
		out[0] = -1;
	}
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		exec_ctl(how, (int[3]){in[0], out[1], err[1]}, args);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	append(&r.out, &r.out_n, "", 0);
	append(&r.err, &r.err_n, "", 0);
	ck_assert_int_eq(fcntl(in[1], F_SETFL, O_NONBLOCK), 0);
	if (how->in_n == 0) {
		close(in[1]);
		in[1] = -1;
	}
	while (in[1] >= 0 || out[0] >= 0 || err[0] >= 0) {
		struct pollfd p[3] = {
		        {.fd = in[1], .events = POLLOUT},
		        {.fd = out[0], .events = POLLIN},
		        {.fd = err[0], .events = POLLIN},
		};
		ck_assert_msg(poll(p, 3, 20000) > 0, "mmapctl hangs");
		if (in[1] >= 0 && p[0].revents) {
			ssize_t w = write(in[1], (const char *)how->in + sent, how->in_n - sent);
			if (w > 0)
				sent += (size_t)w;
			/* EPIPE: mmapctl stopped reading, which is its right. */
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || sent == how->in_n) {
				close(in[1]);
				in[1] = -1;
			}
		}
		pump(&out[0], p[1].revents, &r.out, &r.out_n);
		pump(&err[0], p[2].revents, &r.err, &r.err_n);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return r;
}

static void run_free(struct ctl_run *r)
{
	free(r->out);
	free(r->err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
/* mmapctl with these arguments and empty standard input. */
#define ctl(...) run(&(struct ctl_how){0}, ARGS(__VA_ARGS__))
/* mmapctl with n bytes of data on standard input. */
#define ctl_in(data, n, ...) run(&(struct ctl_how){.in = (data), .in_n = (n)}, ARGS(__VA_ARGS__))

/* Asserts the exit status, showing what mmapctl said if it is not the one expected. */
static void expect_status(const struct ctl_run *r, int status)
{
	ck_assert_msg(r->status == status, "mmapctl exited %d, not %d; stderr: %s", r->status,
	              status, r->err);
}

/* ---- tags, through libmmapc -------------------------------------------------------------- */

static mmapc_map *tag_new(const char *name, int64_t length, unsigned int mode, unsigned int bits)
{
	struct mmapc_options o = {.tagname = name, .mode = mode, .options = bits};
	mmapc_map *m = NULL;
	int r = mmapc_open(&m, -1, length, MMAPC_ACCESS_DEFAULT, 0, &o);

	ck_assert_msg(r == 0, "opening %s: %s", name, strerror(-r));
	ck_assert_int_eq(mmapc_created(m), 1);
	return m;
}

/* A persistent tag that nobody holds. */
static void tag_persistent(const char *name, int64_t length)
{
	mmapc_free(tag_new(name, length, 0, MMAPC_PERSISTENT));
}

struct find {
	const char *name;
	struct mmapc_tag_info info;
	int found;
};

static int find_cb(const struct mmapc_tag_info *info, void *arg)
{
	struct find *f = arg;
	if (!strcmp(info->name, f->name)) {
		f->info = *info;
		f->found++;
	}
	return 0;
}

/* Whether the daemon lists the tag (its info in *ret if ret is not NULL). */
static bool tag_listed(const char *name, struct mmapc_tag_info *ret)
{
	struct find f = {.name = name};
	ck_assert_int_eq(mmapc_list(NULL, find_cb, &f), 0);
	if (f.found && ret)
		*ret = f.info;
	return f.found;
}

/* A holder's exit is noticed by the daemon a moment later: waits up to 5 s for the tag to be
 * listed (or not) with the holders given (-1: any), and says whether it came to that. */
static bool tag_settles(const char *name, bool listed, int holders)
{
	struct mmapc_tag_info info;

	for (int i = 0; i < 500; i++) {
		bool now = tag_listed(name, &info);
		if (now == listed && (!now || holders < 0 || info.holders == (uint32_t)holders))
			return true;
		usleep(10000);
	}
	return false;
}

static int count_cb(const struct mmapc_tag_info *info, void *arg)
{
	(void)info;
	(*(int *)arg)++;
	return 0;
}

static int tag_count(void)
{
	int n = 0;
	ck_assert_int_eq(mmapc_list(NULL, count_cb, &n), 0);
	return n;
}

/* ---- reading tables and JSON ------------------------------------------------------------- */

/* Asserts that out's first line is the header: its words, one or more blanks apart. */
static void expect_header(const char *out)
{
	char words[128];
	size_t n = 0;

	for (const char *p = out; *p && *p != '\n' && n < sizeof(words) - 1; p++)
		if (*p != ' ' || (n > 0 && words[n - 1] != ' '))
			words[n++] = *p;
	words[n] = '\0';
	ck_assert_msg(!strcmp(words, "TAG NAMESPACE KIND SIZE HOLDERS OWNER MODE PERSISTENT"),
	              "no header in\n%s", out);
}

/* The line of out that starts with tag and a blank, copied to line (without its newline). */
static void row_of(const char *out, const char *tag, char *line, size_t cap)
{
	size_t n = strlen(tag);

	for (const char *p = out; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		if (strncmp(p, tag, n) || p[n] != ' ')
			continue;
		size_t len = strchr(p, '\n') ? (size_t)(strchr(p, '\n') - p) : strlen(p);
		ck_assert_uint_lt(len, cap);
		memcpy(line, p, len);
		line[len] = '\0';
		return;
	}
	ck_abort_msg("no row for %s in:\n%s", tag, out);
}

/* Asserts that row holds value in the column headed col of the table's header line hdr:
 * starting under the header word, or for numbers (right) ending under it. */
static void expect_cell(const char *hdr, const char *row, const char *col, const char *value,
                        bool right)
{
	const char *h = strstr(hdr, col);
	ck_assert_ptr_nonnull(h);
	size_t len = strlen(value), start = (size_t)(h - hdr);
	size_t pos = right ? start + strlen(col) - len : start;

	ck_assert_msg(strlen(row) >= pos + len && !memcmp(row + pos, value, len) &&
	                      (row[pos + len] == ' ' || row[pos + len] == '\0') &&
	                      (pos == 0 || row[pos - 1] == ' '),
	              "column %s: expected \"%s\" at %zu in\n%s\n%s", col, value, pos, hdr, row);
}

/* A validator for the whole JSON grammar; counts the top-level array's elements. */
struct json {
	const char *p;
	int depth;
	int items;
};

static bool json_value(struct json *j);

static void json_ws(struct json *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
		j->p++;
}

static bool json_string(struct json *j)
{
	if (*j->p++ != '"')
		return false;
	for (; *j->p != '"'; j->p++) {
		if ((unsigned char)*j->p < 0x20)
			return false;
		if (*j->p != '\\')
			continue;
		j->p++;
		if (*j->p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)j->p[i]))
					return false;
			j->p += 4;
		} else if (!*j->p || !strchr("\"\\/bfnrt", *j->p)) {
			return false;
		}
	}
	j->p++;
	return true;
}

static bool json_number(struct json *j)
{
	char *end;
	if (*j->p != '-' && !isdigit((unsigned char)*j->p))
		return false;
	strtod(j->p, &end);
	j->p = end;
	return true;
}

/* The elements of an array (close ']') or the members of an object (close '}'). */
static bool json_items(struct json *j, char close)
{
	j->p++;
	json_ws(j);
	if (*j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		json_ws(j);
		if (close == '}') {
			if (!json_string(j))
				return false;
			json_ws(j);
			if (*j->p++ != ':')
				return false;
		}
		if (!json_value(j))
			return false;
		if (close == ']' && j->depth == 1)
			j->items++;
		json_ws(j);
		if (*j->p == close) {
			j->p++;
			return true;
		}
		if (*j->p++ != ',')
			return false;
	}
}

static bool json_value(struct json *j)
{
	bool ok;
	json_ws(j);
	switch (*j->p) {
	case '[':
	case '{':
		j->depth++;
		ok = json_items(j, *j->p == '[' ? ']' : '}');
		j->depth--;
		break;
	case '"':
		ok = json_string(j);
		break;
	default:
		for (const char *const *w = (const char *const[]){"true", "false", "null", NULL};
		     *w; w++)
			if (!strncmp(j->p, *w, strlen(*w))) {
				j->p += strlen(*w);
				return true;
			}
		ok = json_number(j);
	}
	json_ws(j);
	return ok;
}

/* Asserts that text is one JSON value and nothing else; returns the top-level array's
 * element count (0 for another value). */
static int json_check(const char *text)
{
	struct json j = {.p = text};
	ck_assert_msg(json_value(&j) && *j.p == '\0', "not JSON (at \"%.20s\"):\n%s", j.p, text);
	return j.items;
}

/* Where the value of "key" begins in the object text obj. */
static const char *json_field(const char *obj, const char *key)
{
	char quoted[64];
	snprintf(quoted, sizeof(quoted), "\"%s\"", key);
	const char *p = strstr(obj, quoted);
	ck_assert_msg(p, "no \"%s\" in %s", key, obj);
	p += strlen(quoted);
	while (*p == ' ')
		p++;
	ck_assert_msg(*p == ':', "no ':' after \"%s\" in %s", key, obj);
	for (p++; *p == ' '; p++)
		;
	return p;
}

/* Asserts that obj's "key" is exactly the JSON text literal (a number, "string", true …). */
static void json_expect(const char *obj, const char *key, const char *literal)
{
	const char *p = json_field(obj, key);
	size_t n = strlen(literal);
	ck_assert_msg(!strncmp(p, literal, n) && strchr(",}\n", p[n]) && p[n],
	              "\"%s\" is not %s in %s", key, literal, obj);
}

static uint64_t json_uint(const char *obj, const char *key)
{
	const char *p = json_field(obj, key);
	ck_assert_msg(isdigit((unsigned char)*p), "\"%s\" is not a number in %s", key, obj);
	return strtoull(p, NULL, 10);
}

/* The line of a JSON list whose "tag" is the JSON string literal tag. */
static void object_of(const char *out, const char *tag, char *line, size_t cap)
{
	for (const char *p = out; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		size_t len = strchr(p, '\n') ? (size_t)(strchr(p, '\n') - p) : strlen(p);
		ck_assert_uint_lt(len, cap);
		memcpy(line, p, len);
		line[len] = '\0';
		if (!strstr(line, "\"tag\""))
			continue;
		const char *v = json_field(line, "tag");
		if (!strncmp(v, tag, strlen(tag)) && strchr(",}", v[strlen(tag)]))
			return;
	}
	ck_abort_msg("no object for %s in:\n%s", tag, out);
}

/* ---- names --------------------------------------------------------------------------------- */

static void user_text(uid_t uid, char *buf, size_t n)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, n, "%s", pw->pw_name);
	else
		snprintf(buf, n, "%u", (unsigned int)uid);
}

static void owner_text(uid_t uid, gid_t gid, char *buf, size_t n)
{
	struct group *gr = getgrgid(gid);
	user_text(uid, buf, n);
	size_t len = strlen(buf);
	if (gr)
		snprintf(buf + len, n - len, ":%s", gr->gr_name);
	else
		snprintf(buf + len, n - len, ":%u", (unsigned int)gid);
}

/* ---- list ---------------------------------------------------------------------------------- */

START_TEST(test_mmapctl_list_empty)
{
	struct ctl_run r = ctl("list");
	expect_status(&r, 0);
	ck_assert_str_eq(r.out, "TAG  NAMESPACE  KIND  SIZE  HOLDERS  OWNER  MODE  PERSISTENT\n");
	ck_assert_str_eq(r.err, "");
	run_free(&r);

	r = ctl("--json", "list");
	expect_status(&r, 0);
	ck_assert_int_eq(json_check(r.out), 0);
	ck_assert_str_eq(r.out, "[]\n");
	run_free(&r);
}
END_TEST

/* Run as another user: creates a global tag and one of its own, both persistent. */
static int make_tags_as(uid_t uid)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mmapc_options g = {
		        .tagname = "Global\\theirs", .mode = 0604, .options = MMAPC_PERSISTENT};
		struct mmapc_options own = {.tagname = "own", .options = MMAPC_PERSISTENT};
		mmapc_map *a = NULL, *b = NULL;
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
			_exit(2);
		if (mmapc_open(&a, -1, 12288, 0, 0, &g) || mmapc_open(&b, -1, 5, 0, 0, &own))
			_exit(3);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(test_mmapctl_list_columns)
{
	char row[512], me[64], owner[128], ns[80];
	mmapc_map *alpha = tag_new("alpha", 4096, 0, 0);
	mmapc_map *pub = tag_new("Global\\pub", 8192, 0644, 0);
	tag_persistent("keep", 100);
	user_text(getuid(), me, sizeof(me));
	snprintf(ns, sizeof(ns), "user %s", me);
	owner_text(getuid(), getgid(), owner, sizeof(owner));
	/* Root also sees another user's tags, whose ids have no names here. */
	bool other = getuid() == 0 && !getpwuid(54321) && !getgrgid(54321);
	if (other)
		ck_assert_int_eq(make_tags_as(54321), 0);

	struct ctl_run r = ctl("list");
	expect_status(&r, 0);
	expect_header(r.out);
	int lines = 0;
	for (const char *p = r.out; (p = strchr(p, '\n')); p++)
		lines++;
	ck_assert_int_eq(lines, 1 + (other ? 5 : 3));
	const char *hdr = r.out;
	row_of(r.out, "alpha", row, sizeof(row));
	expect_cell(hdr, row, "TAG", "alpha", false);
	expect_cell(hdr, row, "NAMESPACE", ns, false);
	expect_cell(hdr, row, "KIND", "anonymous", false);
	expect_cell(hdr, row, "SIZE", "4096", true);
	expect_cell(hdr, row, "HOLDERS", "1", true);
	expect_cell(hdr, row, "OWNER", owner, false);
	expect_cell(hdr, row, "MODE", "0600", false);
	expect_cell(hdr, row, "PERSISTENT", "no", false);
	row_of(r.out, "Global\\pub", row, sizeof(row));
	expect_cell(hdr, row, "NAMESPACE", "global", false);
	expect_cell(hdr, row, "SIZE", "8192", true);
	expect_cell(hdr, row, "MODE", "0644", false);
	row_of(r.out, "keep", row, sizeof(row));
	expect_cell(hdr, row, "SIZE", "100", true);
	expect_cell(hdr, row, "HOLDERS", "0", true);
	expect_cell(hdr, row, "PERSISTENT", "yes", false);
	if (other) {
		row_of(r.out, "Global\\theirs", row, sizeof(row));
		expect_cell(hdr, row, "OWNER", "54321:54321", false);
		expect_cell(hdr, row, "MODE", "0604", false);
		expect_cell(hdr, row, "SIZE", "12288", true);
		row_of(r.out, "own", row, sizeof(row));
		expect_cell(hdr, row, "NAMESPACE", "user 54321", false);
	}
	run_free(&r);
	mmapc_free(alpha);
	mmapc_free(pub);
}
END_TEST

START_TEST(test_mmapctl_list_json)
{
	char obj[1024], me[64];
	mmapc_map *alpha = tag_new("alpha", 4096, 0, 0);
	mmapc_map *odd = tag_new("Global\\a\"b", 8192, 0644, 0);
	tag_persistent("keep", 100);
	user_text(getuid(), me, sizeof(me));

	struct ctl_run r = ctl("list", "--json");
	expect_status(&r, 0);
	ck_assert_int_eq(json_check(r.out), 3);
	/* The name Global\a"b, as a JSON string. */
	object_of(r.out, "\"Global\\\\a\\\"b\"", obj, sizeof(obj));
	json_expect(obj, "namespace", "\"global\"");
	json_expect(obj, "namespace_uid", "null");
	json_expect(obj, "kind", "\"anonymous\"");
	ck_assert_uint_eq(json_uint(obj, "size"), 8192);
	ck_assert_uint_eq(json_uint(obj, "holders"), 1);
	json_expect(obj, "mode", "\"0644\"");
	json_expect(obj, "persistent", "false");
	object_of(r.out, "\"alpha\"", obj, sizeof(obj));
	json_expect(obj, "namespace", "\"user\"");
	ck_assert_uint_eq(json_uint(obj, "namespace_uid"), getuid());
	ck_assert_uint_eq(json_uint(obj, "owner_uid"), getuid());
	ck_assert_uint_eq(json_uint(obj, "owner_gid"), getgid());
	if (getpwuid(getuid())) {
		char quoted[80];
		snprintf(quoted, sizeof(quoted), "\"%s\"", me);
		json_expect(obj, "owner", quoted);
		json_expect(obj, "namespace_user", quoted);
	}
	ck_assert_uint_eq(json_uint(obj, "size"), 4096);
	json_expect(obj, "mode", "\"0600\"");
	object_of(r.out, "\"keep\"", obj, sizeof(obj));
	ck_assert_uint_eq(json_uint(obj, "size"), 100);
	ck_assert_uint_eq(json_uint(obj, "holders"), 0);
	json_expect(obj, "persistent", "true");
	run_free(&r);
	mmapc_free(alpha);
	mmapc_free(odd);
}
END_TEST

/* ---- stat and ping -------------------------------------------------------------------------- */

/* Makes the counters worth comparing, each a different number: four tags (three held, one
 * persistent), five refused requests, and this process's one connection. */
static void busy_daemon(mmapc_map *held[3], struct mmapc_stats *before)
{
	struct mmapc_options bad = {.tagname = "no/slash"};
	mmapc_map *m;

	held[0] = tag_new("held0", 8192, 0, 0);
	held[1] = tag_new("held1", 8192, 0, 0);
	held[2] = tag_new("Global\\held2", 8192, 0, 0);
	tag_persistent("kept", 4096);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(mmapc_open(&m, -1, 10, 0, 0, &bad), -EINVAL);
	ck_assert_int_eq(mmapc_stat(NULL, before), 0);
	ck_assert_uint_eq(before->tags, 4);
	ck_assert_uint_eq(before->bytes, 3 * 8192 + 4096);
	ck_assert_uint_eq(before->connections, 1);
	ck_assert_uint_eq(before->errors, 5);
	ck_assert_uint_eq(before->handles, 3);
}

static void release(mmapc_map *held[3])
{
	for (int i = 0; i < 3; i++)
		mmapc_free(held[i]);
}

/* What mmapctl's stat said against the counters before and after it ran: mmapctl added one
 * connection and its one request, and nothing else changed. */
static void expect_stats(const uint64_t got[6], const struct mmapc_stats *before,
                         const struct mmapc_stats *after)
{
	ck_assert_uint_eq(got[0], before->tags);
	ck_assert_uint_eq(got[1], before->bytes);
	ck_assert_uint_eq(got[2], before->connections + 1);
	ck_assert_uint_gt(got[3], before->requests);
	ck_assert_uint_lt(got[3], after->requests);
	ck_assert_uint_eq(got[4], before->errors);
	ck_assert_uint_eq(got[5], before->handles);
}

static const char *const stat_keys[6] = {"tags",     "bytes",  "connections",
                                         "requests", "errors", "handles"};

START_TEST(test_mmapctl_stat)
{
	struct mmapc_stats before, after;
	uint64_t got[6];
	mmapc_map *held[3];
	busy_daemon(held, &before);

	struct ctl_run r = ctl("stat");
	ck_assert_int_eq(mmapc_stat(NULL, &after), 0);
	expect_status(&r, 0);
	const char *p = r.out;
	for (int i = 0; i < 6; i++) {
		char key[32];
		unsigned long long v;
		int used;
		ck_assert_msg(sscanf(p, "%31s %llu\n%n", key, &v, &used) == 2, "bad line: %s", p);
		ck_assert_str_eq(key, stat_keys[i]);
		got[i] = v;
		p += used;
	}
	ck_assert_str_eq(p, "");
	expect_stats(got, &before, &after);
	run_free(&r);
	release(held);
}
END_TEST

START_TEST(test_mmapctl_stat_json)
{
	struct mmapc_stats before, after;
	uint64_t got[6];
	mmapc_map *held[3];
	busy_daemon(held, &before);

	struct ctl_run r = ctl("--json", "stat");
	ck_assert_int_eq(mmapc_stat(NULL, &after), 0);
	expect_status(&r, 0);
	ck_assert_int_eq(json_check(r.out), 0);
	ck_assert_int_eq(r.out[0], '{');
	for (int i = 0; i < 6; i++)
		got[i] = json_uint(r.out, stat_keys[i]);
	expect_stats(got, &before, &after);
	run_free(&r);
	release(held);
}
END_TEST

START_TEST(test_mmapctl_ping)
{
	char expected[64];
	int version = mmapc_ping(NULL);
	ck_assert_int_gt(version, 0);

	struct ctl_run r = ctl("ping");
	expect_status(&r, 0);
	snprintf(expected, sizeof(expected), "protocol version %d\n", version);
	ck_assert_str_eq(r.out, expected);
	run_free(&r);
	r = ctl("ping", "--json");
	expect_status(&r, 0);
	json_check(r.out);
	ck_assert_uint_eq(json_uint(r.out, "protocol"), (uint64_t)version);
	run_free(&r);
}
END_TEST

/* ---- create and rm ----------------------------------------------------------------------- */

START_TEST(test_mmapctl_create)
{
	char row[512];
	struct mmapc_tag_info info;

	struct ctl_run r = ctl("create", "made", "64K", "--mode", "640", "--persistent");
	expect_status(&r, 0);
	ck_assert_str_eq(r.out, "");
	ck_assert_str_eq(r.err, "");
	run_free(&r);
	ck_assert(tag_listed("made", &info));
	ck_assert_uint_eq(info.size, 65536);
	ck_assert_uint_eq(info.mode, 0640);
	ck_assert_int_eq(info.persistent, 1);
	ck_assert_int_eq(info.file, 0);

	r = ctl("list");
	expect_status(&r, 0);
	row_of(r.out, "made", row, sizeof(row));
	expect_cell(r.out, row, "SIZE", "65536", true);
	expect_cell(r.out, row, "MODE", "0640", false);
	run_free(&r);

	/* Again, at the same size, a smaller and a larger one: each time it exists. */
	const char *sizes[] = {"64K", "1", "1M"};
	for (size_t i = 0; i < 3; i++) {
		r = ctl("create", "made", sizes[i], "--persistent");
		expect_status(&r, 3);
		ck_assert_ptr_nonnull(strstr(r.err, "mmapctl: create made: tag exists"));
		run_free(&r);
	}
	ck_assert(tag_listed("made", &info));
	ck_assert_uint_eq(info.size, 65536);
	ck_assert_int_eq(tag_count(), 1);
}
END_TEST

START_TEST(test_mmapctl_create_persistent_survives)
{
	struct mmapc_tag_info info;

	/* Without --persistent, mmapctl was the tag's only holder. */
	struct ctl_run r = ctl("create", "brief", "4K");
	expect_status(&r, 0);
	run_free(&r);
	ck_assert_msg(tag_settles("brief", false, -1),
	              "a tag without --persistent outlived mmapctl");

	r = ctl("create", "lasting", "2M", "--persistent");
	expect_status(&r, 0);
	run_free(&r);
	ck_assert(tag_settles("lasting", true, 0));
	ck_assert(tag_listed("lasting", &info));
	ck_assert_int_eq(info.persistent, 1);
	ck_assert_uint_eq(info.size, 2 << 20);
	mmapc_map *m;
	struct mmapc_options o = {.tagname = "lasting"};
	ck_assert_int_eq(mmapc_open(&m, -1, 0, MMAPC_ACCESS_READ, 0, &o), 0);
	ck_assert_int_eq(mmapc_created(m), 0);
	ck_assert_int_eq(mmapc_len(m), 2 << 20);
	mmapc_free(m);
}
END_TEST

START_TEST(test_mmapctl_rm)
{
	tag_persistent("a", 10);
	tag_persistent("b", 10);
	tag_persistent("c", 10);
	tag_persistent("Global\\d", 10);

	struct ctl_run r = ctl("rm", "a", "b");
	expect_status(&r, 0);
	ck_assert_str_eq(r.err, "");
	run_free(&r);
	ck_assert(!tag_listed("a", NULL));
	ck_assert(!tag_listed("b", NULL));
	ck_assert_int_eq(tag_count(), 2);

	r = ctl("rm", "a");
	expect_status(&r, 4);
	ck_assert_str_eq(r.err, "mmapctl: rm a: no such tag\n");
	run_free(&r);

	/* A missing name does not stop the others. */
	r = ctl("rm", "missing", "c", "Global\\d");
	expect_status(&r, 4);
	ck_assert_ptr_nonnull(strstr(r.err, "missing"));
	run_free(&r);
	ck_assert_int_eq(tag_count(), 0);
}
END_TEST

/* ---- cat ----------------------------------------------------------------------------------- */

START_TEST(test_mmapctl_cat)
{
	const size_t n = 1 << 20;
	mmapc_map *tiny = tag_new("tiny", 5, 0, 0);
	mmapc_map *big = tag_new("Global\\big", (int64_t)n, 0, 0);
	ck_assert_int_eq(mmapc_write(tiny, "a\0b\0c", 5), 5);
	char *bytes = malloc(n);
	ck_assert_ptr_nonnull(bytes);
	for (size_t i = 0; i < n; i++)
		bytes[i] = i % 3 ? (char)(i * 31 + i / 4096) : 0;
	ck_assert_int_eq(mmapc_write(big, bytes, n), (int64_t)n);

	struct ctl_run r = ctl("cat", "tiny");
	expect_status(&r, 0);
	ck_assert_uint_eq(r.out_n, 5);
	ck_assert_mem_eq(r.out, "a\0b\0c", 5);
	ck_assert_str_eq(r.err, "");
	run_free(&r);

	r = ctl("cat", "Global\\big");
	expect_status(&r, 0);
	ck_assert_uint_eq(r.out_n, n);
	ck_assert_msg(!memcmp(r.out, bytes, n), "cat's bytes differ from the tag's");
	run_free(&r);
	free(bytes);
	mmapc_free(tiny);
	mmapc_free(big);
}
END_TEST

START_TEST(test_mmapctl_cat_missing_tag)
{
	struct ctl_run r = ctl("cat", "ghost");
	expect_status(&r, 4);
	ck_assert_uint_eq(r.out_n, 0);
	ck_assert_str_eq(r.err, "mmapctl: cat ghost: no such tag\n");
	run_free(&r);
	ck_assert_int_eq(tag_count(), 0);
}
END_TEST

START_TEST(test_mmapctl_cat_reader_gone)
{
	mmapc_map *big = tag_new("big", 4 << 20, 0, 0);

	/* A reader that leaves (mmapctl cat big | head -c 0) is no error and no SIGPIPE. */
	struct ctl_run r = run(&(struct ctl_how){.no_reader = true}, ARGS("cat", "big"));
	expect_status(&r, 0);
	ck_assert_str_eq(r.err, "");
	run_free(&r);
	mmapc_free(big);
}
END_TEST

START_TEST(test_mmapctl_permission_denied)
{
	if (getuid() != 0)
		return; /* needs another user to be refused */
	mmapc_map *m = tag_new("Global\\secret", 4096, 0600, 0);

	struct ctl_run r = run(&(struct ctl_how){.as_user = true, .uid = 65534},
	                       ARGS("cat", "Global\\secret"));
	expect_status(&r, 1);
	ck_assert_uint_eq(r.out_n, 0);
	ck_assert_msg(strstr(r.err, "mmapctl: cat Global\\secret: ") &&
	                      strstr(r.err, "permission denied by the tag's mode"),
	              "stderr: %s", r.err);
	run_free(&r);
	mmapc_free(m);
}
END_TEST

/* ---- write -------------------------------------------------------------------------------- */

START_TEST(test_mmapctl_write)
{
	mmapc_map *m = tag_new("dst", 16, 0, 0);
	ck_assert_int_eq(mmapc_write(m, "xxxxxxxxxxxxxxxx", 16), 16);

	struct ctl_run r = ctl_in("hello\0world", 11, "write", "dst");
	expect_status(&r, 0);
	ck_assert_str_eq(r.err, "");
	run_free(&r);
	ck_assert_mem_eq(mmapc_data(m), "hello\0worldxxxxx", 16);

	/* Exactly the tag's size fits. */
	r = ctl_in("0123456789abcdef", 16, "write", "dst");
	expect_status(&r, 0);
	run_free(&r);
	ck_assert_mem_eq(mmapc_data(m), "0123456789abcdef", 16);
	mmapc_free(m);
}
END_TEST

START_TEST(test_mmapctl_write_too_long)
{
	const size_t n = 1 << 20, in_n = 3 * n;
	mmapc_map *small = tag_new("small", 16, 0, 0);
	mmapc_map *big = tag_new("big", (int64_t)n, 0, 0);
	char *in = malloc(in_n);
	ck_assert_ptr_nonnull(in);
	for (size_t i = 0; i < in_n; i++)
		in[i] = (char)('a' + i % 23);

	struct ctl_run r = ctl_in(in, 17, "write", "small");
	expect_status(&r, 5);
	ck_assert_ptr_nonnull(strstr(r.err, "wrote its first 16 bytes"));
	run_free(&r);
	ck_assert_mem_eq(mmapc_data(small), in, 16);

	/* Far more than a pipe holds: mmapctl stops reading once it knows. */
	r = ctl_in(in, in_n, "write", "big");
	expect_status(&r, 5);
	ck_assert_ptr_nonnull(strstr(r.err, "wrote its first 1048576 bytes"));
	run_free(&r);
	ck_assert_msg(!memcmp(mmapc_data(big), in, n), "the tag does not hold the input's start");
	free(in);
	mmapc_free(small);
	mmapc_free(big);
}
END_TEST

START_TEST(test_mmapctl_write_missing_tag)
{
	struct ctl_run r = ctl_in("data", 4, "write", "ghost");
	expect_status(&r, 4);
	ck_assert_str_eq(r.err, "mmapctl: write ghost: no such tag\n");
	run_free(&r);
	ck_assert_int_eq(tag_count(), 0);
}
END_TEST

/* ---- without a daemon ---------------------------------------------------------------------- */

START_TEST(test_mmapctl_no_daemon)
{
	char path[] = "/tmp/mmapctl-test-XXXXXX", sock[64], expected[128];
	ck_assert_ptr_nonnull(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/none.sock", path);
	snprintf(expected, sizeof(expected), "mmapctl: no mmapd at %s: is it running?\n", sock);

	const char *const *cases[] = {
	        ARGS("--socket", sock, "list"),     ARGS("--socket", sock, "stat"),
	        ARGS("--socket", sock, "ping"),     ARGS("--socket", sock, "rm", "x"),
	        ARGS("--socket", sock, "cat", "x"), ARGS("-s", sock, "create", "x", "1"),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_run r = run(&(struct ctl_how){0}, cases[i]);
		expect_status(&r, 1);
		ck_assert_str_eq(r.err, expected);
		ck_assert_uint_eq(r.out_n, 0);
		run_free(&r);
	}
	/* And where $MMAPD_SOCKET points, without --socket. */
	setenv("MMAPD_SOCKET", sock, 1);
	struct ctl_run r = ctl("list");
	unsetenv("MMAPD_SOCKET");
	expect_status(&r, 1);
	ck_assert_str_eq(r.err, expected);
	run_free(&r);
	rmdir(path);
}
END_TEST

START_TEST(test_mmapctl_usage_errors)
{
	/* No daemon listens there: a usage error must be found before connecting. */
	const char *const *cases[] = {
	        ARGS("-s", "/nonexistent", "frob"),
	        ARGS("-s", "/nonexistent", "create", "x"),
	        ARGS("-s", "/nonexistent", "create", "x", "12Q"),
	        ARGS("-s", "/nonexistent", "create", "x", "0"),
	        ARGS("-s", "/nonexistent", "create", "x", "K"),
	        ARGS("-s", "/nonexistent", "create", "x", "99999999999T"),
	        ARGS("-s", "/nonexistent", "create", "x", "1", "--mode", "888"),
	        ARGS("-s", "/nonexistent", "create", "x", "1", "--mode", "0"),
	        ARGS("-s", "/nonexistent", "create", "x", "1", "--mode"),
	        ARGS("-s", "/nonexistent", "rm"),
	        ARGS("-s", "/nonexistent", "cat"),
	        ARGS("-s", "/nonexistent", "cat", "a", "b"),
	        ARGS("-s", "/nonexistent", "write"),
	        ARGS("-s", "/nonexistent", "list", "extra"),
	        ARGS("-s", "/nonexistent", "--persistent", "list"),
	        ARGS("-s", "/nonexistent", "--json", "cat", "x"),
	        ARGS("-s", "/nonexistent", "--bogus", "list"),
	        ARGS("-s"),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ctl_run r = run(&(struct ctl_how){0}, cases[i]);
		ck_assert_msg(r.status == 2 && !strncmp(r.err, "mmapctl: ", 9) && r.out_n == 0,
		              "case %zu (%s …): status %d, stderr: %s", i, cases[i][2], r.status,
		              r.err);
		run_free(&r);
	}
	struct ctl_run r = run(&(struct ctl_how){0}, (const char *const[]){NULL});
	expect_status(&r, 2);
	ck_assert_str_eq(r.err, "mmapctl: no command given\nTry 'mmapctl --help'.\n");
	run_free(&r);
}
END_TEST

START_TEST(test_mmapctl_help)
{
	struct ctl_run r = ctl("--help");
	expect_status(&r, 0);
	ck_assert_str_eq(r.err, "");
	ck_assert_msg(!strncmp(r.out, "Usage: mmapctl ", 15), "%s", r.out);
	const char *musts[] = {"list",
	                       "stat",
	                       "create NAME SIZE",
	                       "--persistent",
	                       "rm NAME",
	                       "cat NAME",
	                       "write NAME",
	                       "ping",
	                       "Exit status",
	                       "3  create: the tag exists",
	                       "5  write:"};
	for (size_t i = 0; i < sizeof(musts) / sizeof(musts[0]); i++)
		ck_assert_msg(strstr(r.out, musts[i]), "--help does not mention %s", musts[i]);
	struct ctl_run h = ctl("-h", "list");
	expect_status(&h, 0);
	ck_assert_str_eq(h.out, r.out);
	run_free(&h);
	run_free(&r);

	r = ctl("--version");
	expect_status(&r, 0);
	ck_assert_msg(!strncmp(r.out, "mmapctl ", 8), "%s", r.out);
	run_free(&r);
}
END_TEST

Suite *mmapctl_suite(void)
{
	Suite *s = suite_create("mmapctl");
	TCase *tc = tcase_new("daemon");
	tcase_add_checked_fixture(tc, start, stop);
	tcase_add_test(tc, test_mmapctl_list_empty);
	tcase_add_test(tc, test_mmapctl_list_columns);
	tcase_add_test(tc, test_mmapctl_list_json);
	tcase_add_test(tc, test_mmapctl_stat);
	tcase_add_test(tc, test_mmapctl_stat_json);
	tcase_add_test(tc, test_mmapctl_ping);
	tcase_add_test(tc, test_mmapctl_create);
	tcase_add_test(tc, test_mmapctl_create_persistent_survives);
	tcase_add_test(tc, test_mmapctl_rm);
	tcase_add_test(tc, test_mmapctl_cat);
	tcase_add_test(tc, test_mmapctl_cat_missing_tag);
	tcase_add_test(tc, test_mmapctl_cat_reader_gone);
	tcase_add_test(tc, test_mmapctl_permission_denied);
	tcase_add_test(tc, test_mmapctl_write);
	tcase_add_test(tc, test_mmapctl_write_too_long);
	tcase_add_test(tc, test_mmapctl_write_missing_tag);
	suite_add_tcase(s, tc);

	tc = tcase_new("no daemon");
	tcase_add_test(tc, test_mmapctl_no_daemon);
	tcase_add_test(tc, test_mmapctl_usage_errors);
	tcase_add_test(tc, test_mmapctl_help);
	suite_add_tcase(s, tc);
	return s;
}
