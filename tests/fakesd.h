/* fakesd.h: a stand-in for systemd's side of sd_notify and the file-descriptor store, so that
 * mmapd's restarts through the store can be tested without systemd.
 *
 * The fake binds a datagram socket (what $NOTIFY_SOCKET names), keeps the descriptors that
 * FDSTORE=1 messages bring under their FDNAME, drops them on FDSTOREREMOVE=1, and remembers
 * READY=1 and the last STATUS=. A daemon is restarted with the kept descriptors the way
 * systemd passes them: at 3, 4, ... with LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES.
 *
 * Not here: the daemon itself (helpers.h starts and stops it).
 */
#ifndef MMAPD_TEST_FAKESD_H
#define MMAPD_TEST_FAKESD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define FAKESD_MAX 4096

struct fakesd {
	pthread_t thread; /* reads the socket all along, as a manager does */
	pthread_mutex_t lock;
	int stop_pipe[2];
	long long last_ms;   /* when the last message came */
	_Atomic bool paused; /* a manager too busy to read: messages pile up in the socket */
	int sock;
	char path[128];
	size_t n;
	int fds[FAKESD_MAX];
	char names[FAKESD_MAX][64];
	bool ready;
	char status[256];
};

/* Binds the socket in dir and sets $NOTIFY_SOCKET for the daemons started from now on. */
void fakesd_start(struct fakesd *f, const char *dir);

/* Stops or starts reading (a busy manager). */
void fakesd_pause(struct fakesd *f, bool paused);

/* Closes every kept descriptor and the socket, unsets $NOTIFY_SOCKET. */
void fakesd_stop(struct fakesd *f);

/* Waits until no message has come for quiet_ms (the thread reads them all along); the
 * fields may be read after it returns, until the daemon sends again. */
void fakesd_pump(struct fakesd *f, int quiet_ms);

/* How many kept descriptors have a name starting with prefix. */
size_t fakesd_count(const struct fakesd *f, const char *prefix);

/* Whether a descriptor named name is kept. */
bool fakesd_has(const struct fakesd *f, const char *name);

/* For daemon_restart_with: passes the kept descriptors (arg is the struct fakesd). */
void fakesd_pass(void *arg);

#endif
