/* ctl_helpers.c: runs the real mmapctl from a test and reads its tables and JSON (see
 * ctl_helpers.h).
 *
 * Not here: the tests of mmapctl (check_mmapctl.c).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_helpers.h"
#include "helpers.h"

/* ---- running mmapctl --------------------------------------------------------------------- */

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

struct ctl_run ctl_run_with(const struct ctl_how *how, const char *const *args)
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

void ctl_run_free(struct ctl_run *r)
{
	free(r->out);
	free(r->err);
}

/* Asserts the exit status, showing what mmapctl said if it is not the one expected. */
void ctl_expect_status(const struct ctl_run *r, int status)
{
	ck_assert_msg(r->status == status, "mmapctl exited %d, not %d; stderr: %s", r->status,
	              status, r->err);
}

/* ---- reading tables and JSON ------------------------------------------------------------- */

/* Asserts that out's first line is the header: its words, one or more blanks apart. */
void ctl_expect_header(const char *out)
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
void ctl_table_row(const char *out, const char *tag, char *line, size_t cap)
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
void ctl_expect_cell(const char *hdr, const char *row, const char *col, const char *value,
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
int ctl_json_check(const char *text)
{
	struct json j = {.p = text};
	ck_assert_msg(json_value(&j) && *j.p == '\0', "not JSON (at \"%.20s\"):\n%s", j.p, text);
	return j.items;
}

/* Where the value of "key" begins in the object text obj. */
const char *ctl_json_field(const char *obj, const char *key)
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
void ctl_json_expect(const char *obj, const char *key, const char *literal)
{
	const char *p = ctl_json_field(obj, key);
	size_t n = strlen(literal);
	ck_assert_msg(!strncmp(p, literal, n) && strchr(",}\n", p[n]) && p[n],
	              "\"%s\" is not %s in %s", key, literal, obj);
}

uint64_t ctl_json_uint(const char *obj, const char *key)
{
	const char *p = ctl_json_field(obj, key);
	ck_assert_msg(isdigit((unsigned char)*p), "\"%s\" is not a number in %s", key, obj);
	return strtoull(p, NULL, 10);
}

/* The line of a JSON list whose "tag" is the JSON string literal tag. */
void ctl_json_object(const char *out, const char *tag, char *line, size_t cap)
{
	for (const char *p = out; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		size_t len = strchr(p, '\n') ? (size_t)(strchr(p, '\n') - p) : strlen(p);
		ck_assert_uint_lt(len, cap);
		memcpy(line, p, len);
		line[len] = '\0';
		if (!strstr(line, "\"tag\""))
			continue;
		const char *v = ctl_json_field(line, "tag");
		if (!strncmp(v, tag, strlen(tag)) && strchr(",}", v[strlen(tag)]))
			return;
	}
	ck_abort_msg("no object for %s in:\n%s", tag, out);
}
