/* ctl_helpers.h: running the real mmapctl ($MMAPCTL_BIN) from a test and reading what it
 * printed: its tables and its JSON.
 *
 * ctl_run_with forks and execs mmapctl, feeding its standard input and collecting its standard
 * output and error through pipes (all three pumped by one poll loop, so neither side can block
 * the other). The readers fail the test, with what mmapctl printed, when the output is not
 * what they expect. The JSON validator accepts the whole grammar, not only what mmapctl
 * writes.
 *
 * Not here: the tests themselves (check_mmapctl.c) or anything that talks to the daemon
 * without mmapctl.
 */
#ifndef MMAPC_TESTS_CTL_HELPERS_H
#define MMAPC_TESTS_CTL_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* What one run of mmapctl did. */
struct ctl_run {
	int status;      /* the exit status, or 128 + the signal that ended it */
	char *out, *err; /* what it wrote, NUL-terminated (out may hold NULs of its own) */
	size_t out_n, err_n;
};

/* How to run it. */
struct ctl_how {
	const void *in; /* standard input's bytes (in_n of them); NULL: empty */
	size_t in_n;
	uid_t uid; /* with as_user: the user (and group) to run as */
	bool as_user;
	bool no_reader; /* standard output's reader is gone before mmapctl starts */
};

/* Runs mmapctl with the NULL-terminated arguments args (at most 30) and waits for it to exit;
 * fails the test if it hangs for 20 s. Release the result with ctl_run_free. */
struct ctl_run ctl_run_with(const struct ctl_how *how, const char *const *args);

void ctl_run_free(struct ctl_run *r);

#define CTL_ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})
/* mmapctl with these arguments and empty standard input. */
#define ctl(...) ctl_run_with(&(struct ctl_how){0}, CTL_ARGS(__VA_ARGS__))
/* mmapctl with n bytes of data on standard input. */
#define ctl_in(data, n, ...) \
	ctl_run_with(&(struct ctl_how){.in = (data), .in_n = (n)}, CTL_ARGS(__VA_ARGS__))

/* Asserts the exit status, showing what mmapctl said if it is not the one expected. */
void ctl_expect_status(const struct ctl_run *r, int status);

/* ---- tables ---- */

/* Asserts that out's first line is the header of mmapctl list: its words, one or more blanks
 * apart. */
void ctl_expect_header(const char *out);

/* The line of out that starts with tag and a blank, copied to line (cap bytes, without its
 * newline); fails the test if there is none. */
void ctl_table_row(const char *out, const char *tag, char *line, size_t cap);

/* Asserts that row holds value in the column headed col of the table's header line hdr:
 * starting under the header word, or for numbers (right) ending under it. */
void ctl_expect_cell(const char *hdr, const char *row, const char *col, const char *value,
                     bool right);

/* ---- JSON ---- */

/* Asserts that text is one JSON value and nothing else; returns the top-level array's
 * element count (0 for another value). */
int ctl_json_check(const char *text);

/* Where the value of "key" begins in the object text obj; fails the test if it has none. */
const char *ctl_json_field(const char *obj, const char *key);

/* Asserts that obj's "key" is exactly the JSON text literal (a number, "string", true …). */
void ctl_json_expect(const char *obj, const char *key, const char *literal);

/* obj's "key", which must be a non-negative number. */
uint64_t ctl_json_uint(const char *obj, const char *key);

/* The line of a JSON list whose "tag" is the JSON string literal tag, copied to line (cap
 * bytes); fails the test if there is none. */
void ctl_json_object(const char *out, const char *tag, char *line, size_t cap);

#endif
