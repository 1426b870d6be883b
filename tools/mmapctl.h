/* mmapctl.h: what the files of mmapctl share: the exit statuses, the parsed command line, the
 * report of a failed connection, and the commands that only print what the daemon says.
 *
 * mmapctl.c owns the command line, the messages and the commands that work on a tag (create,
 * rm, cat, write); mmapctl_list.c owns the output of list, stat and ping, tables and JSON.
 * Not here: anything a program other than mmapctl would include (that is mmapc.h).
 */
#ifndef MMAPC_TOOLS_MMAPCTL_H
#define MMAPC_TOOLS_MMAPCTL_H

#include <stdbool.h>

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

/* Says on standard error why the connection to the daemon failed (r is libmmapc's negative
 * errno) and returns ST_FAILED (mmapctl.c). */
int connection_error(const struct ctl *c, int r);

/* The commands of mmapctl_list.c: each prints the daemon's answer on standard output (as JSON
 * with --json) and returns the exit status. */
int cmd_list(struct ctl *c);
int cmd_stat(struct ctl *c);
int cmd_ping(struct ctl *c);

#endif
