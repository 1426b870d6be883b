/* rawwire.h: a raw wire client for the integration tests. It speaks mmapd's protocol itself
 * on a SOCK_SEQPACKET connection to a test daemon (helpers.h's struct test_daemon), so that a
 * test can send what libmmapc never would (stray descriptors, forged handles, bad fields,
 * bytes that are no request) and assert the daemon's exact answer.
 *
 * Every wait has a timeout, RAW_WAIT_MS, so a daemon that does not answer fails the test
 * instead of hanging it. The functions fail the test themselves (ck_assert) when the daemon
 * does something else than they expect; only raw_recv_packet reports what came instead.
 * Descriptors that arrive are received with MSG_CMSG_CLOEXEC and are either handed to the
 * caller (ret_fd out-parameters, the caller closes them) or closed at once.
 *
 * The probes are how a test sees that the daemon closed a descriptor it was sent: the test
 * sends a pipe's (or a socket pair's) w end, and once the test's own copy is closed too, the r
 * end hangs up only if the daemon holds no copy either.
 *
 * Not here: libmmapc's connection (client/conn.c), which tests reach through mmapc.h; starting
 * and stopping daemons and daemon_call's one-shot round trip (helpers.h); protobuf the encoder
 * would refuse to make (pbwriter.h).
 */
#ifndef MMAPC_TESTS_RAWWIRE_H
#define MMAPC_TESTS_RAWWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "helpers.h"
#include "wire.h"

/* How long the daemon gets to answer, to close a descriptor or to settle its count. */
#define RAW_WAIT_MS 3000
/* How long it gets to reap the connections of a test that is over: longer, because a loaded
 * machine (make check runs the suites beside each other) once made 3 s too short. A wait
 * ends as soon as the count is back, so a passing run does not take longer. */
#define RAW_FD_WAIT_MS 10000

/* The most descriptors a test sends in one message. */
#define RAW_MAX_SEND_FDS 8

/* ---- time, names of errors ------------------------------------------------------------- */

/* CLOCK_MONOTONIC in milliseconds. */
int64_t raw_now_ms(void);

void raw_sleep_ms(long ms);

/* The errno's name ("EPROTO"), "0" for 0, "?" for a number libc does not know. Static
 * storage. */
const char *raw_errname(int e);

/* ---- the daemon's descriptors ---------------------------------------------------------- */

/* Waits up to RAW_FD_WAIT_MS for d to hold base descriptors again (from daemon_fd_count);
 * fails naming what each descriptor the daemon holds is. */
void raw_wait_daemon_fds(const struct test_daemon *d, int base);

/* Waits up to RAW_WAIT_MS for d to hold no descriptor whose /proc link is path. */
void raw_wait_not_held(const struct test_daemon *d, const char *path);

/* A pipe (or a socket pair) whose w end the test sends to the daemon; both ends CLOEXEC. */
struct raw_probe {
	int r, w;
};

struct raw_probe raw_probe_pipe(void);
struct raw_probe raw_probe_socket(void);

/* Closes the test's copy of p's w end and asserts that the daemon closed its own: the r end
 * sees the hangup within RAW_WAIT_MS. Closes both of p's descriptors. */
void raw_probe_expect_closed(struct raw_probe *p);

/* ---- packets --------------------------------------------------------------------------- */

/* A connection to d (daemon_connect), or fails the test. The caller closes it. */
int raw_connect(const struct test_daemon *d);

/* Sends the len bytes of buf as one packet on fd, with the n_fds (at most RAW_MAX_SEND_FDS)
 * descriptors of fds attached; they stay the caller's. Fails the test unless all of it went. */
void raw_send_packet(int fd, const void *buf, size_t len, const int *fds, size_t n_fds);

/* A request of this version with the given operation and id, every other field zero. */
struct wire_request raw_req(enum wire_op op, uint64_t id);

/* An open request for length writable bytes of the tag name. */
struct wire_request raw_open_req(uint64_t id, const char *name, uint64_t length);

/* Encodes req (which must encode) and sends it as raw_send_packet does. */
void raw_send_req(int fd, const struct wire_request *req, const int *fds, size_t n_fds);

/* Waits up to RAW_WAIT_MS for one packet on fd and receives it into buf (cap bytes): returns
 * its length, 0 when the daemon hung up, -ETIMEDOUT when nothing came, or another negative
 * errno. The first descriptor that came with it goes to *ret_fd (-1 if none; the caller closes
 * it), all others are closed; ret_fd may be NULL to close them all. Fails the test if the
 * packet or its descriptors were truncated. */
ssize_t raw_recv_packet(int fd, uint8_t *buf, size_t cap, int *ret_fd);

/* Receives one packet and decodes it as a reply into *rep (already finished: no tags to free),
 * its descriptor as raw_recv_packet does; fails the test on a hangup, a timeout or a packet
 * that is no reply. */
void raw_expect_reply(int fd, struct wire_reply *rep, int *ret_fd);

/* Expects an error reply with this errno for the request id. */
void raw_expect_error(int fd, uint64_t id, int error);

/* Asserts that the daemon closes the connection (after any reply already read). */
void raw_expect_hangup(int fd);

/* A ping on this connection is answered: the connection is still up. */
void raw_ping_on(int fd, uint64_t id);

/* Expects a successful open reply for id; closes the descriptor it brings (which it must),
 * asserts whether the open created the tag, and returns the handle. */
uint64_t raw_expect_open(int fd, uint64_t id, bool created);

/* Opens a tag of 4096 bytes on this connection; asserts whether the open created it and
 * returns the handle. */
uint64_t raw_open_on(int fd, uint64_t id, const char *name, bool created);

/* After a bad client has gone: d holds the base descriptors it held before the client came,
 * answers another client's ping, and opens and closes a tag through libmmapc (whose cached
 * connection is dropped again, so that the count is base once more). */
void raw_after_bad_client(const struct test_daemon *d, int base);

#endif
