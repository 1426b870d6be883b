/* tsan.c: a multi-threaded client of libmmapc, built with the library's sources under
 * ThreadSanitizer (stress.mk's tsan-check) and run against a plain mmapd. It passes when every
 * phase finishes with no unexpected error and TSan reports nothing (TSAN_OPTIONS=
 * halt_on_error=1 makes any report fatal, exit status 66).
 *
 * Phases, each with THREADS threads:
 *   maps   a tagged map and an untagged one shared by every thread: reads, writes, seeks,
 *          find/rfind, slices, readline, move, size, resize (growing and shrinking, which
 *          replaces a sole holder's memfd), pins (acquire/release), while one thread closes
 *          both maps at a random moment; calls that lose the race must fail with -EBADF
 *          (or -EBUSY while pinned), never crash. Repeated for CYCLES fresh pairs of maps.
 *   holds  every thread opens and closes the same few tags (writable, read-only, NOCREATE,
 *          and now and then an unlink) through the process's one connection and hold
 *          table, resizes its own, and asks for stat, ping and list.
 *   fork   the holds phase again while one thread forks children that use the library at
 *          once (a new connection; maps of their own), as the header allows.
 *
 * Shared bytes are only touched through the library's calls (under each map's lock): a
 * pointer from mmapc_data read beside another thread's mmapc_write would be the test's own
 * race, which the header documents (the library does not order the bytes). --self-test adds
 * exactly such a race, to show that TSan is watching (it must then fail).
 *
 * mremap. TSan (clang 14) intercepts mmap and munmap, which reset the shadow state of the
 * range, but not mremap: a range that a moving or shrinking mremap gives back keeps the
 * access history of the map that had it, and when another map (another mutex) is later
 * placed there, TSan reports its first write as a race with the old map's last one, though
 * the two never shared an address at the same time. So this program defines mremap itself
 * (the statically linked library calls it instead of libc's): a shrink is a munmap of the
 * tail, and a growth that cannot be made in place moves the pages with MREMAP_DONTUNMAP onto
 * a range reserved by mmap and then munmaps the old range; every range given back so goes
 * through munmap, and no other thread can be given it while its history is stale. The
 * library's behaviour is the same (mremap's contract), only visible to TSan.
 *
 * Not here: the daemon under TSan (it is single-threaded: libuv's loop), the stress
 * scenarios (stress.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define THREADS 6
#define CYCLES 100
#define HOLD_ITERS 1000
#define FORKS 30
#define MAP_SIZE 65536

static atomic_long unexpected_errors;
static char first_error[160];
static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;

static void unexpected(const char *what, int64_t r)
{
	if (atomic_fetch_add(&unexpected_errors, 1) == 0) {
		pthread_mutex_lock(&error_lock);
		snprintf(first_error, sizeof(first_error), "%s: %s (%lld)", what, strerror((int)-r),
		         (long long)r);
		pthread_mutex_unlock(&error_lock);
	}
}

/* Errors that a call racing a close, a pin or another thread's resize may get. */
static bool expected(int64_t r)
{
	return r >= 0 || r == -EBADF || r == -EBUSY || r == -EINVAL || r == -ERANGE || r == -ENOENT;
}

#define CALL(what, expr) \
	do { \
		int64_t r_ = (expr); \
		if (!expected(r_)) \
			unexpected(what, r_); \
	} while (0)

/* ---- mremap, made visible to TSan (see the top of the file) ------------------------------- */

static void *raw_mremap(void *old, size_t old_size, size_t new_size, int flags, void *to)
{
	return (void *)syscall(SYS_mremap, old, old_size, new_size, flags, to);
}

/* Moves old's pages onto a reserved range of new_size bytes and grows them in place there.
 * Returns the new address, or MAP_FAILED (nothing moved) if no range can be reserved. */
static void *move_and_grow(void *old, size_t old_size, size_t new_size)
{
	for (int tries = 0;; tries++) {
		void *r = mmap(NULL, new_size, PROT_NONE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r == MAP_FAILED)
			return tries ? old : MAP_FAILED;
		if (raw_mremap(old, old_size, old_size,
		               MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, r) == MAP_FAILED) {
			int e = errno;
			munmap(r, new_size);
			errno = e;
			return tries ? old : MAP_FAILED;
		}
		munmap(old, old_size);
		munmap((char *)r + old_size, new_size - old_size);
		void *p = raw_mremap(r, old_size, new_size, 0, NULL);
		/* Another thread mapped something right after it meanwhile: move again. */
		if (p != MAP_FAILED || tries > 100)
			return p != MAP_FAILED ? p : r;
		old = r;
	}
}

void *mremap(void *old, size_t old_size, size_t new_size, int flags, ...);
void *mremap(void *old, size_t old_size, size_t new_size, int flags, ...)
{
	va_list ap;
	void *to;

	va_start(ap, flags);
	to = flags & MREMAP_FIXED ? va_arg(ap, void *) : NULL;
	va_end(ap);
	if (flags != MREMAP_MAYMOVE)
		return raw_mremap(old, old_size, new_size, flags, to);
	if (new_size <= old_size) {
		if (new_size < old_size && munmap((char *)old + new_size, old_size - new_size) < 0)
			return MAP_FAILED;
		return old;
	}
	void *p = raw_mremap(old, old_size, new_size, 0, NULL);
	return p != MAP_FAILED ? p : move_and_grow(old, old_size, new_size);
}

/* ---- maps: two maps shared by every thread ------------------------------------------------ */

struct maps_phase {
	mmapc_map *tagged, *local;
	atomic_bool closed;
	uint64_t seed;
};

static void one_map_op(mmapc_map *m, uint64_t *rng)
{
	char buf[256], *line = NULL;
	size_t cap = 0;
	const void *view;
	int64_t len = mmapc_len(m);
	int64_t at = len > 0 ? (int64_t)rng_below(rng, (uint32_t)len) : 0;

	switch (rng_below(rng, 14)) {
	case 0:
		CALL("seek+write", mmapc_seek(m, at, SEEK_SET));
		CALL("write", mmapc_write(m, "needle\n", 7));
		break;
	case 1:
		CALL("read", mmapc_read(m, buf, sizeof(buf)));
		break;
	case 2:
		CALL("find", mmapc_find(m, "needle", 6, 0, MMAPC_OMIT));
		break;
	case 3:
		CALL("rfind", mmapc_rfind(m, "needle", 6, MMAPC_OMIT, MMAPC_OMIT));
		break;
	case 4:
		CALL("getslice", mmapc_getslice(m, at, at + 100, 3, buf, sizeof(buf)));
		break;
	case 5:
		CALL("setslice", mmapc_setslice(m, at, at + 8, 1, "abcdefgh", 8));
		break;
	case 6:
		CALL("readline", mmapc_readline(m, &line, &cap));
		free(line);
		break;
	case 7:
		CALL("readline_view", mmapc_readline_view(m, &view));
		break;
	case 8:
		CALL("move", mmapc_move(m, 0, at / 2, 64));
		break;
	case 9:
		CALL("size", mmapc_size(m));
		CALL("tell", mmapc_tell(m));
		break;
	case 10:
		CALL("resize", mmapc_resize(m, 4096 * (1 + (int64_t)rng_below(rng, 32))));
		break;
	case 11: {
		void *data;
		size_t n;
		if (mmapc_acquire(m, &data, &n) == 0) {
			CALL("resize pinned", mmapc_resize(m, 8192));
			CALL("release", mmapc_release(m));
		}
		break;
	}
	case 12:
		CALL("setitem", mmapc_setitem(m, at, 'x'));
		CALL("getitem", mmapc_getitem(m, at));
		break;
	default:
		CALL("read_view", mmapc_read_view(m, 64, &view));
		CALL("write_byte", mmapc_write_byte(m, 'y'));
		break;
	}
}

static void *maps_worker(void *arg)
{
	struct maps_phase *p = arg;
	uint64_t rng = p->seed ^ (uint64_t)(uintptr_t)&rng;

	for (int i = 0; i < 2000 && !atomic_load(&p->closed); i++)
		one_map_op(rng_below(&rng, 2) ? p->tagged : p->local, &rng);
	/* After the close, every call must say -EBADF. */
	if (mmapc_len(p->tagged) != -EBADF || mmapc_resize(p->local, 4096) != -EBADF)
		if (atomic_load(&p->closed))
			unexpected("call after close", -EPROTO);
	return NULL;
}

static void *maps_closer(void *arg)
{
	struct maps_phase *p = arg;
	uint64_t rng = p->seed;

	sleep_ms(1 + (int)rng_below(&rng, 20));
	/* A pinned map refuses; the pin is released at once by whoever holds it. */
	while (mmapc_close(p->tagged) == -EBUSY || mmapc_close(p->local) == -EBUSY)
		sched_yield();
	atomic_store(&p->closed, true);
	return NULL;
}

static int maps_phase(uint64_t seed)
{
	for (int cycle = 0; cycle < CYCLES; cycle++) {
		struct mmapc_options o = {.tagname = "tsan-maps"};
		struct maps_phase p = {.seed = seed + (uint64_t)cycle};
		pthread_t t[THREADS];
		if (mmapc_open(&p.tagged, -1, MAP_SIZE, MMAPC_ACCESS_DEFAULT, 0, &o) < 0 ||
		    mmapc_open(&p.local, -1, MAP_SIZE, MMAPC_ACCESS_DEFAULT, 0, NULL) < 0)
			return -1;
		for (int i = 0; i < THREADS; i++)
			pthread_create(&t[i], NULL, i == 0 ? maps_closer : maps_worker, &p);
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		mmapc_free(p.tagged);
		mmapc_free(p.local);
	}
	return 0;
}

/* ---- holds: the same tags opened and closed by every thread ------------------------------- */

struct holds_phase {
	uint64_t seed;
	atomic_bool stop_forks;
};

static int count_tag(const struct mmapc_tag_info *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
	return 0;
}

static void one_hold_op(uint64_t *rng, int id)
{
	char name[32];
	struct mmapc_options o = {.tagname = name};
	struct mmapc_stats st;
	mmapc_map *m;
	int n = 0, access = MMAPC_ACCESS_DEFAULT;
	uint32_t roll = rng_below(rng, 100);

	snprintf(name, sizeof(name), "tsan-same-%u", rng_below(rng, 3));
	if (roll < 15) {
		o.options = MMAPC_NOCREATE;
	} else if (roll < 30) {
		access = MMAPC_ACCESS_READ;
		o.options = MMAPC_NOCREATE;
	} else if (roll < 40) {
		snprintf(name, sizeof(name), "tsan-own-%d", id);
	} else if (roll < 43) {
		CALL("unlink", mmapc_unlink(name, NULL));
		return;
	} else if (roll < 50) {
		CALL("stat", mmapc_stat(NULL, &st));
		CALL("ping", mmapc_ping(NULL));
		CALL("list", mmapc_list(NULL, count_tag, &n));
		return;
	}
	int64_t r = mmapc_open(&m, -1, o.options ? 0 : 4096, access, 0, &o);
	if (r < 0) {
		CALL("open", r);
		return;
	}
	CALL("getitem", mmapc_getitem(m, 0));
	if (access != MMAPC_ACCESS_READ)
		CALL("setitem", mmapc_setitem(m, 1, id));
	if (roll >= 30 && roll < 40)
		CALL("resize own", mmapc_resize(m, 4096 * (1 + (int64_t)rng_below(rng, 8))));
	mmapc_free(m);
}

static void *holds_worker(void *arg)
{
	struct holds_phase *p = arg;
	static atomic_int ids;
	int id = atomic_fetch_add(&ids, 1);
	uint64_t rng = p->seed ^ (uint64_t)(id + 1) * 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < HOLD_ITERS; i++)
		one_hold_op(&rng, id);
	return NULL;
}

/* A child of a multi-threaded parent: it uses the library at once (no thread of its own). */
static int fork_child(void)
{
	struct mmapc_options o = {.tagname = "tsan-child"};
	mmapc_map *m;

	if (mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, &o) < 0)
		return 2;
	int r = mmapc_setitem(m, 0, 7) == 0 && mmapc_getitem(m, 0) == 7 ? 0 : 3;
	mmapc_free(m);
	return mmapc_ping(NULL) > 0 ? r : 4;
}

static void *forker(void *arg)
{
	struct holds_phase *p = arg;

	for (int i = 0; i < FORKS; i++) {
		int status;
		pid_t pid = fork();
		if (pid == 0)
			_exit(fork_child());
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			unexpected("forked child", pid < 0 ? -errno : -ECHILD);
		sleep_ms(5);
	}
	atomic_store(&p->stop_forks, true);
	return NULL;
}

static void holds_phase(uint64_t seed, bool with_fork)
{
	struct holds_phase p = {.seed = seed};
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, with_fork && i == 0 ? forker : holds_worker, &p);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
}

/* ---- the self-test: a race TSan must see ---------------------------------------------------- */

static void *racer(void *arg)
{
	mmapc_map *m = arg;
	char *data = mmapc_data(m);
	for (int i = 0; i < 1000; i++)
		data[i % 64]++; /* unlocked, beside another thread's mmapc_write */
	return NULL;
}

static void self_test(void)
{
	mmapc_map *m;
	pthread_t t;

	if (mmapc_open(&m, -1, 4096, MMAPC_ACCESS_DEFAULT, 0, NULL) < 0)
		return;
	pthread_create(&t, NULL, racer, m);
	for (int i = 0; i < 1000; i++) {
		mmapc_seek(m, 0, SEEK_SET);
		mmapc_write(m, "0123456789", 10);
	}
	pthread_join(t, NULL);
	mmapc_free(m);
}

/* ---- main ---------------------------------------------------------------------------------- */

static void phase_check(const char *name, double t0, long before)
{
	long errors = atomic_load(&unexpected_errors) - before;
	check(errors == 0, name, "%d threads, %.1f s, %ld unexpected errors%s%s", THREADS,
	      now_s() - t0, errors, errors ? "; first: " : "", errors ? first_error : "");
}

int main(int argc, char **argv)
{
	struct sdaemon d;
	uint64_t seed = (uint64_t)getpid();

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && !strcmp(argv[1], "--self-test")) {
		info("tsan: a deliberate race; ThreadSanitizer must report it");
		self_test();
		return 0;
	}
	if (sdaemon_start(&d, NULL, 0) < 0) {
		check(false, "tsan.start", "cannot start mmapd");
		return 1;
	}
	stress_deadline("tsan", 600, &d);
	double t0 = now_s();
	long before = atomic_load(&unexpected_errors);
	int r = maps_phase(seed);
	check(r == 0, "tsan.maps-open", "%d cycles of a tagged and an untagged map", CYCLES);
	phase_check("tsan.maps", t0, before);
	t0 = now_s();
	before = atomic_load(&unexpected_errors);
	holds_phase(seed, false);
	phase_check("tsan.holds", t0, before);
	t0 = now_s();
	before = atomic_load(&unexpected_errors);
	holds_phase(seed + 1, true);
	phase_check("tsan.fork", t0, before);

	struct mmapc_stats st;
	int settle = sdaemon_settle(&d, 0, 0, 1, 5000, &st);
	check(settle >= 0, "tsan.released", "%llu tags, %llu holds left in the daemon",
	      (unsigned long long)st.tags, (unsigned long long)st.handles);
	stress_deadline("tsan", 0, NULL);
	int status = sdaemon_stop(&d);
	check(status == 0, "tsan.daemon-exit", "mmapd exited with status %#x", status);

	int passed, failed, skipped;
	check_counts(&passed, &failed, &skipped);
	printf("tsan: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
