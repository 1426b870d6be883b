/* helpers.h: what every Check suite of libmmapc shares: the suites' constructors, a test
 * case factory that checks for leaked descriptors, and temporary-file helpers.
 *
 * Every test case made with tcase_new counts the process's open descriptors before and after
 * each test and fails the test if the count changed, so no test can leak a descriptor
 * unnoticed. Tests run forked (Check's default), one process each, with a timeout.
 */
#ifndef MMAPC_TESTS_HELPERS_H
#define MMAPC_TESTS_HELPERS_H

#include <check.h>
#include <stddef.h>

#include "mmapc.h"

Suite *open_suite(void);
Suite *close_suite(void);
Suite *io_suite(void);
Suite *find_suite(void);
Suite *slice_suite(void);
Suite *resize_suite(void);
Suite *resize_fork_suite(void);
Suite *examples_suite(void);
Suite *wire_suite(void);
Suite *registry_suite(void);
Suite *daemon_suite(void);
Suite *badinput_suite(void);
Suite *badwire_suite(void);
Suite *security_suite(void);
Suite *conn_suite(void);
Suite *registry_life_suite(void);
Suite *memops_suite(void);
Suite *wire_decode_suite(void);
Suite *registry_list_suite(void);
Suite *mmapctl_suite(void);
Suite *daemon_holds_suite(void);
Suite *tag_options_suite(void);
Suite *fdstore_suite(void);
Suite *republish_suite(void);

/* A test case with the descriptor-leak fixture and a timeout suited to this machine. */
TCase *tcase_new(const char *name);

/* The number of open descriptors of this process. */
int fd_count(void);

/* A temporary regular file holding the n bytes of data (n may be 0), opened with flags
 * (O_RDWR, O_RDONLY, …) and already unlinked. Returns the descriptor; fails the test if it
 * cannot. */
int tmpfile_with(const void *data, size_t n, int flags);

/* Like tmpfile_with, but the file keeps its name, which is written to path (PATH_MAX bytes)
 * so that a test can reopen it; the caller unlinks it. */
int tmpfile_named(const void *data, size_t n, int flags, char *path);

/* The file's size, from fstat; fails the test if fstat fails. */
long long file_size(int fd);

/* Opens an anonymous map of n bytes with default access, or fails the test. */
mmapc_map *anon_map(int64_t n);

/* mmapc_open of a map that must open (the test fails otherwise). */
mmapc_map *open_ok(int fd, int64_t length, int access, int64_t offset,
                   const struct mmapc_options *o);

/* A real mmapd for an integration test: the binary the build made ($MMAPD_BIN), started on a
 * socket in a fresh temporary directory. */
struct test_daemon {
	pid_t pid;
	int nofile; /* the daemon's descriptor limit (soft and hard), or 0 for this process's */
	char dir[64];
	char socket[128];
};

/* Starts mmapd with the extra arguments (NULL-terminated; args may be NULL), waits until it
 * accepts connections, and sets MMAPD_SOCKET so that libmmapc in this process (and its
 * children) uses it. The socket is mode 0666 and the directory 0755, so that tests may
 * connect as other users. */
void daemon_start(struct test_daemon *d, const char *const *args);

/* daemon_start with the daemon's descriptor limit set to nofile. */
void daemon_start_limited(struct test_daemon *d, const char *const *args, int nofile);

/* Drops libmmapc's cached connections in this process (so the descriptor check does not
 * count them), stops the daemon with SIGTERM, asserts that it exited 0, removes the
 * directory. */
void daemon_stop(struct test_daemon *d);

/* Kills the daemon with SIGKILL (a crash), reaps it; the socket file stays behind. */
void daemon_kill(struct test_daemon *d);

/* Starts a new daemon on the same socket as d (after daemon_kill). */
void daemon_restart(struct test_daemon *d, const char *const *args);

/* daemon_restart, with child(arg) run in the new daemon's process just before it execs (to
 * pass descriptors and set the environment, as a service manager would). */
void daemon_restart_with(struct test_daemon *d, const char *const *args, void (*child)(void *),
                         void *arg);

/* How many descriptors the daemon has open, once every connection closed before the call has
 * been reaped (a closed connection is reaped by the daemon's loop a moment later); a probe
 * connection of its own is not counted. */
int daemon_fd_count(const struct test_daemon *d);

/* One ping round trip on a new connection: 0 if the daemon answered correctly. */
int daemon_ping(const struct test_daemon *d);

/* A SOCK_SEQPACKET connection to the daemon, for tests that speak the wire themselves;
 * a negative errno if it cannot connect. */
int daemon_connect(const struct test_daemon *d);

struct wire_request;
struct wire_reply;

/* One request and its reply on sock (from daemon_connect): sets req's version, sends it with
 * send_fd attached (if >= 0), and decodes the reply into *rep (release with
 * wire_reply_finish) with its descriptor, if any, in *ret_fd (else -1). Fails the test if no
 * well-formed reply comes within 5 s. */
void daemon_call(int sock, struct wire_request *req, int send_fd, struct wire_reply *rep,
                 int *ret_fd);

/* libmmapc internal (client/conn.c): closes this process's cached daemon connections. */
void conn_disconnect_all(void);

#endif
