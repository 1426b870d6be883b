/* data.c: the data-path benchmarks: find and rfind, readline, read, write and move on a
 * local anonymous map, each against the plain-memory floor it is built on.
 *
 * Every row is a speed ratio (GB/s of the subject over GB/s of its baseline), so >= 1 means
 * "as fast or faster"; find and rfind must reach 1.0, the rest 0.9. Subject and baselines run
 * in the same process on the same bytes, in turn (which goes first rotates every round), and
 * each side's figure is the median of its rounds, so that drift of the machine cancels. Each
 * timed call starts from a cold cache (a read of a buffer larger than the last-level cache),
 * so that none inherits what another left there, and after one untimed round. Pages are
 * faulted in before anything is timed: the map is filled when it is made, the copy buffer is
 * memset, and the Python process makes one untimed pass over its mapping.
 *
 * The baselines, and why each is the fair floor:
 *   find      glibc memmem on the map's own bytes: what a C program would call for this
 *             search (and, for one byte, memchr, which is also what the library runs, so those
 *             rows can only show 1 within noise). And Python's mmap.find on a copy of the same
 *             bytes (a shared memfd mapping, the same kind of memory as the map's), since the
 *             library offers Python's object; the row's baseline is the better of the two.
 *   rfind     there is no memrmem, so the floor is memmem scanning forward over the same
 *             number of bytes to the same kind of answer (absent: the whole map; present:
 *             a needle as far from the start as rfind's is from the end): reading backwards
 *             should cost no more than reading forwards. And Python's mmap.rfind, the same
 *             operation; again the better of the two.
 *   readline  memchr for the '\n' plus memcpy of the line into a buffer (and a NUL), in a
 *             loop: the least work that produces the same lines; for the view form, memchr
 *             alone, since the view copies nothing. The library adds a lock per call, which
 *             on 80-byte lines is most of what separates them.
 *   read, write, move   memcpy (memmove) of the same bytes between the same buffers: a single
 *             call each, so only the call's fixed cost separates them.
 *
 * The haystack is xorshift64 output with no zero byte (a zero is replaced), so that a 1-byte
 * needle "\0" can be absent; random needles of 8 and 64 bytes are absent from it in practice,
 * and every call checks the answer it expects. A needle "present only near the far end" is
 * written 4 KiB from the end (find) or from the start (rfind) and removed after the call.
 *
 * Not here: the daemon's benchmarks (daemon.c), the report (main.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "mmapc.h"

extern char **environ;

#define MIB ((size_t)1 << 20)
#define FAR 4096 /* how far from the far end a "present" needle is put */
#define MAX_ROUNDS 15
#define MAX_NEEDLE 64

/* ---- data ---------------------------------------------------------------------------------- */

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Fills p with pseudo-random bytes from seed, none of them zero. */
static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t s = seed;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x = xorshift(&s);
		memcpy(p + i, &x, 8);
	}
	for (uint64_t x = xorshift(&s); i < n; i++, x >>= 8)
		p[i] = (uint8_t)x;
	for (uint8_t *z = p; (z = memchr(z, 0, n - (size_t)(z - p))) != NULL;)
		*z = 0xa5;
}

/* Fills p with lines of line_len bytes (the last one '\n'); line_len >= n: one line. */
static void fill_lines(uint8_t *p, size_t n, size_t line_len, uint64_t seed)
{
	fill_random(p, n, seed);
	for (uint8_t *z = p; (z = memchr(z, '\n', n - (size_t)(z - p))) != NULL;)
		*z = ' ';
	for (size_t i = line_len - 1; i < n; i += line_len)
		p[i] = '\n';
	p[n - 1] = '\n';
}

static double gbps(size_t bytes, double secs)
{
	return (double)bytes / secs / 1e9;
}

static double secs_since(uint64_t t0)
{
	return (double)(bench_now_ns() - t0) / 1e9;
}

/* ---- the duel ------------------------------------------------------------------------------- */

/* One contender of a comparison: run() times itself (its setup outside the timed part),
 * returns seconds, or a negative number if it cannot run (then it is left out). */
struct side {
	double (*run)(void *arg);
	void *arg;
	double median;
};

/* How many rounds a duel runs: at least min, more (up to max) until every side has run for
 * secs in all, so that fast cases get more samples. */
struct rounds {
	int min, max;
	double secs;
};

/* A buffer larger than the last-level cache a core reaches (64 MiB: twice the 32 MiB L3 of
 * the largest common x86 core complexes), read before every timed call so that no call
 * inherits the cache contents another left: a backward scan after a forward one would find
 * the end of the map in the cache, for example. Reading it leaves the cache clean. */
static struct {
	uint8_t *p;
	size_t len;
} scratch;

static void evict(void)
{
	if (scratch.p)
		bench_sink((uintptr_t)memchr(scratch.p, 0, scratch.len));
}

/* Runs the sides in turn, rotating which goes first, each from a cold cache, after one
 * untimed round that faults and warms whatever the first call of each touches; sets each
 * side's median (NAN if it never ran). */
static void duel(struct side *sides, size_t nsides, const struct rounds *rounds)
{
	double t[4][MAX_ROUNDS], total[4] = {0};
	int ok[4] = {0};

	for (size_t i = 0; i < nsides; i++)
		sides[i].run(sides[i].arg);
	for (int r = 0; r < rounds->max; r++) {
		bool enough = r >= rounds->min;
		for (size_t i = 0; i < nsides; i++)
			enough = enough && (!ok[i] || total[i] >= rounds->secs);
		if (enough)
			break;
		for (size_t k = 0; k < nsides; k++) {
			size_t i = (k + (size_t)r) % nsides;
			evict();
			double s = sides[i].run(sides[i].arg);
			if (s >= 0) {
				t[i][ok[i]++] = s;
				total[i] += s;
			}
		}
	}
	for (size_t i = 0; i < nsides; i++)
		sides[i].median = ok[i] ? bench_median(t[i], (size_t)ok[i]) : NAN;
}

/* ---- Python's mmap, in a co-process ------------------------------------------------------ */

/* The Python side maps a copy of the haystack (a memfd, its fd 3), faults it in, and then
 * for each line "find|rfind HEX AT" puts the needle at AT (if AT >= 0), times one call and
 * answers "SECONDS RESULT". */
static const char py_script[] = "import mmap, sys, time\n"
                                "mm = mmap.mmap(3, int(sys.argv[1]))\n"
                                "mm.find(b'\\0')\n"
                                "print('ready', flush=True)\n"
                                "for line in sys.stdin:\n"
                                "    op, hx, at = line.split()\n"
                                "    s, at = bytes.fromhex(hx), int(at)\n"
                                "    if at >= 0:\n"
                                "        old = mm[at:at + len(s)]\n"
                                "        mm[at:at + len(s)] = s\n"
                                "    f = mm.rfind if op == 'rfind' else mm.find\n"
                                "    t = time.perf_counter()\n"
                                "    r = f(s)\n"
                                "    t = time.perf_counter() - t\n"
                                "    if at >= 0:\n"
                                "        mm[at:at + len(s)] = old\n"
                                "    print(t, r, flush=True)\n";

struct py {
	pid_t pid;
	FILE *to, *from;
	struct sigaction old_pipe;
};

/* A memfd holding a copy of the n bytes at data, or -1. */
static int memfd_copy(const uint8_t *data, size_t n)
{
	int fd = memfd_create("bench-data", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, data + done, n - done);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	return fd;
}

static pid_t py_spawn(int memfd, int in, int out, size_t n)
{
	posix_spawn_file_actions_t fa;
	char len_arg[32];
	char *argv[] = {"python3", "-c", (char *)py_script, len_arg, NULL};
	pid_t pid = -1;

	snprintf(len_arg, sizeof(len_arg), "%zu", n);
	if (posix_spawn_file_actions_init(&fa))
		return -1;
	if (!posix_spawn_file_actions_adddup2(&fa, in, 0) &&
	    !posix_spawn_file_actions_adddup2(&fa, out, 1) &&
	    !posix_spawn_file_actions_adddup2(&fa, memfd, 3) &&
	    posix_spawnp(&pid, "python3", &fa, NULL, argv, environ))
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static void py_stop(struct py *py)
{
	if (py->to)
		fclose(py->to);
	if (py->from)
		fclose(py->from);
	if (py->pid > 0)
		waitpid(py->pid, NULL, 0);
	sigaction(SIGPIPE, &py->old_pipe, NULL);
	py->pid = -1;
	py->to = py->from = NULL;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* Starts python3 on a copy of data; returns 0, or -1 if there is no usable python3 (a
 * missing interpreter or mmap module shows as no "ready" line). */
static int py_start(struct py *py, const uint8_t *data, size_t n)
{
	struct sigaction ign = {.sa_handler = SIG_IGN};
	int in[2] = {-1, -1}, out[2] = {-1, -1}, memfd = memfd_copy(data, n);
	char line[64];

	*py = (struct py){.pid = -1};
	/* A python3 that dies must not take the benchmark with it at the next write. */
	sigaction(SIGPIPE, &ign, &py->old_pipe);
	if (memfd >= 0 && !pipe2(in, O_CLOEXEC) && !pipe2(out, O_CLOEXEC))
		py->pid = py_spawn(memfd, in[0], out[1], n);
	close_fd(memfd), close_fd(in[0]), close_fd(out[1]);
	if (py->pid > 0) {
		py->to = fdopen(in[1], "w");
		py->from = fdopen(out[0], "r");
	}
	if (!py->to)
		close_fd(in[1]);
	if (!py->from)
		close_fd(out[0]);
	if (!py->to || !py->from || !fgets(line, sizeof(line), py->from) ||
	    strcmp(line, "ready\n")) {
		py_stop(py);
		return -1;
	}
	return 0;
}

/* One call of mmap.find or mmap.rfind in Python; returns its seconds, or -1. */
static double py_call(struct py *py, bool last, const uint8_t *needle, size_t n, int64_t at,
                      int64_t want)
{
	char hex[2 * MAX_NEEDLE + 1];
	double secs;
	long long got;

	if (!py->to)
		return -1;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", needle[i]);
	if (fprintf(py->to, "%s %s %lld\n", last ? "rfind" : "find", hex, (long long)at) < 0 ||
	    fflush(py->to) || fscanf(py->from, "%lf %lld", &secs, &got) != 2) {
		fprintf(stderr, "  python stopped answering; leaving it out\n");
		py_stop(py);
		return -1;
	}
	if (got != want)
		fprintf(stderr, "  python %s found %lld, expected %lld\n", last ? "rfind" : "find",
		        got, (long long)want);
	return secs;
}

/* ---- find and rfind -------------------------------------------------------------------------- */

struct find_case {
	mmapc_map *m;
	uint8_t *data;
	size_t len;
	const uint8_t *needle;
	size_t n;
	bool last;       /* rfind */
	int64_t at;      /* where the subject's needle is put, or -1: absent */
	int64_t base_at; /* where memmem's needle is put, or -1 */
	struct py *py;
};

/* Puts the needle at at (unless at < 0), saving the bytes it covers in saved. */
static void plant(struct find_case *c, int64_t at, uint8_t *saved)
{
	if (at < 0)
		return;
	memcpy(saved, c->data + at, c->n);
	memcpy(c->data + at, c->needle, c->n);
}

static void unplant(struct find_case *c, int64_t at, const uint8_t *saved)
{
	if (at >= 0)
		memcpy(c->data + at, saved, c->n);
}

static double run_find_subject(void *arg)
{
	struct find_case *c = arg;
	uint8_t saved[MAX_NEEDLE];

	plant(c, c->at, saved);
	uint64_t t0 = bench_now_ns();
	int64_t r = c->last ? mmapc_rfind(c->m, c->needle, c->n, 0, MMAPC_OMIT)
	                    : mmapc_find(c->m, c->needle, c->n, 0, MMAPC_OMIT);
	double s = secs_since(t0);
	unplant(c, c->at, saved);
	if (r != (c->at < 0 ? -ENOENT : c->at))
		fprintf(stderr, "  mmapc_%s found %lld, expected %lld\n",
		        c->last ? "rfind" : "find", (long long)r, (long long)c->at);
	return s;
}

static double run_find_memmem(void *arg)
{
	struct find_case *c = arg;
	uint8_t saved[MAX_NEEDLE];

	plant(c, c->base_at, saved);
	uint64_t t0 = bench_now_ns();
	const uint8_t *p = memmem(c->data, c->len, c->needle, c->n);
	double s = secs_since(t0);
	unplant(c, c->base_at, saved);
	int64_t r = p ? p - c->data : -1;
	if (r != c->base_at)
		fprintf(stderr, "  memmem found %lld, expected %lld\n", (long long)r,
		        (long long)c->base_at);
	return s;
}

static double run_find_python(void *arg)
{
	struct find_case *c = arg;
	return py_call(c->py, c->last, c->needle, c->n, c->at, c->at);
}

static void find_one(struct find_case *c, const struct rounds *rounds)
{
	struct side sides[] = {
	        {run_find_subject, c, 0},
	        {run_find_memmem, c, 0},
	        {run_find_python, c, 0},
	};
	/* The bytes a search passes: all of them, or up to the needle from the near end. */
	size_t bytes = c->at < 0 ? c->len : c->len - FAR;
	char what[64], note[96];

	duel(sides, c->py->to ? 3 : 2, rounds);
	double subject = gbps(bytes, sides[0].median), mm = gbps(bytes, sides[1].median);
	double py = c->py->to ? gbps(bytes, sides[2].median) : NAN;
	snprintf(what, sizeof(what), "%s %zuB %s", c->last ? "rfind" : "find", c->n,
	         c->at < 0 ? "absent"
	         : c->last ? "near start"
	                   : "near end");
	if (isnan(py))
		snprintf(note, sizeof(note), "%smemmem %.1f GB/s (no python3)",
		         c->last ? "forward " : "", mm);
	else
		snprintf(note, sizeof(note), "%smemmem %.1f, python %s %.1f GB/s; the better",
		         c->last ? "forward " : "", mm, c->last ? "rfind" : "find", py);
	bench_report(what, subject, !isnan(py) && py > mm ? py : mm, "GB/s", BENCH_AT_LEAST, 1.0,
	             note);
}

static void bench_find(mmapc_map *m, uint8_t *data, size_t len, const struct rounds *rounds)
{
	static const size_t lens[] = {1, 8, 64};
	uint8_t needles[3][MAX_NEEDLE];
	struct py py;

	fill_random(needles[1], MAX_NEEDLE, 0x9e3779b97f4a7c15u);
	fill_random(needles[2], MAX_NEEDLE, 0xc2b2ae3d27d4eb4fu);
	needles[0][0] = 0; /* the byte the haystack never holds */
	if (py_start(&py, data, len) < 0)
		fprintf(stderr, "  no python3 with mmap: memmem is the only baseline\n");
	for (int last = 0; last <= 1; last++)
		for (size_t i = 0; i < 3; i++)
			for (int present = 0; present <= 1; present++) {
				int64_t far_end = (int64_t)(len - FAR - lens[i]);
				struct find_case c = {
				        .m = m,
				        .data = data,
				        .len = len,
				        .needle = needles[i],
				        .n = lens[i],
				        .last = last,
				        .at = !present ? -1
				              : last   ? FAR
				                       : far_end,
				        .base_at = present ? far_end : -1,
				        .py = &py,
				};
				find_one(&c, rounds);
			}
	py_stop(&py);
}

/* ---- readline ------------------------------------------------------------------------------- */

struct line_case {
	mmapc_map *m;
	const uint8_t *data;
	size_t len;
	char *buf; /* at least len + 1 bytes, touched */
	size_t cap;
	uint64_t lines; /* how many lines a pass must see */
};

static void check_lines(const char *who, uint64_t got, uint64_t want)
{
	if (got != want)
		fprintf(stderr, "  %s saw %llu lines, expected %llu\n", who,
		        (unsigned long long)got, (unsigned long long)want);
}

static double run_readline(void *arg)
{
	struct line_case *c = arg;
	char *line = c->buf;
	size_t cap = c->cap;
	uint64_t lines = 0, sum = 0;
	int64_t r;

	mmapc_seek(c->m, 0, SEEK_SET);
	uint64_t t0 = bench_now_ns();
	while ((r = mmapc_readline(c->m, &line, &cap)) > 0) {
		lines++;
		sum += (uint8_t)line[r - 1];
	}
	double s = secs_since(t0);
	c->buf = line, c->cap = cap;
	bench_sink(sum);
	check_lines("mmapc_readline", lines, c->lines);
	return s;
}

static double run_memchr_memcpy(void *arg)
{
	struct line_case *c = arg;
	const uint8_t *p = c->data, *end = c->data + c->len;
	uint64_t lines = 0, sum = 0;

	uint64_t t0 = bench_now_ns();
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		memcpy(c->buf, p, k);
		c->buf[k] = '\0';
		lines++;
		sum += (uint8_t)c->buf[k - 1];
		p += k;
	}
	double s = secs_since(t0);
	bench_sink(sum);
	check_lines("memchr + memcpy", lines, c->lines);
	return s;
}

static double run_readline_view(void *arg)
{
	struct line_case *c = arg;
	const void *v;
	uint64_t lines = 0, sum = 0;
	int64_t r;

	mmapc_seek(c->m, 0, SEEK_SET);
	uint64_t t0 = bench_now_ns();
	while ((r = mmapc_readline_view(c->m, &v)) > 0) {
		lines++;
		sum += ((const uint8_t *)v)[r - 1];
	}
	double s = secs_since(t0);
	bench_sink(sum);
	check_lines("mmapc_readline_view", lines, c->lines);
	return s;
}

static double run_memchr(void *arg)
{
	struct line_case *c = arg;
	const uint8_t *p = c->data, *end = c->data + c->len;
	uint64_t lines = 0, sum = 0;

	uint64_t t0 = bench_now_ns();
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		lines++;
		sum += p[k - 1];
		p += k;
	}
	double s = secs_since(t0);
	bench_sink(sum);
	check_lines("memchr", lines, c->lines);
	return s;
}

static void line_pair(struct line_case *c, const char *what, double (*subject)(void *),
                      double (*baseline)(void *), const char *note, const struct rounds *rounds)
{
	struct side sides[] = {{subject, c, 0}, {baseline, c, 0}};

	duel(sides, 2, rounds);
	bench_report(what, gbps(c->len, sides[0].median), gbps(c->len, sides[1].median), "GB/s",
	             BENCH_AT_LEAST, 0.9, note);
}

static void bench_readline(mmapc_map *m, uint8_t *data, size_t len, char *buf,
                           const struct rounds *rounds)
{
	struct line_case c = {.m = m, .data = data, .len = len, .buf = buf, .cap = len + 1};

	fill_lines(data, len, 80, 3);
	c.lines = (len + 79) / 80;
	line_pair(&c, "readline 80B lines", run_readline, run_memchr_memcpy,
	          "per line: memchr + memcpy + NUL", rounds);
	line_pair(&c, "readline_view 80B lines", run_readline_view, run_memchr, "per line: memchr",
	          rounds);
	fill_lines(data, len, len, 4);
	c.lines = 1;
	line_pair(&c, "readline one line", run_readline, run_memchr_memcpy,
	          "the whole map is one line: memchr + memcpy", rounds);
	line_pair(&c, "readline_view one line", run_readline_view, run_memchr,
	          "the whole map is one line: memchr", rounds);
}

/* ---- read, write, move -------------------------------------------------------------------- */

struct copy_case {
	mmapc_map *m;
	uint8_t *data;
	size_t len;
	uint8_t *buf;
};

static double run_read(void *arg)
{
	struct copy_case *c = arg;
	mmapc_seek(c->m, 0, SEEK_SET);
	uint64_t t0 = bench_now_ns();
	int64_t r = mmapc_read(c->m, c->buf, c->len);
	double s = secs_since(t0);
	return r == (int64_t)c->len ? s : -1;
}

static double run_read_memcpy(void *arg)
{
	struct copy_case *c = arg;
	uint64_t t0 = bench_now_ns();
	memcpy(c->buf, c->data, c->len);
	double s = secs_since(t0);
	bench_sink(c->buf[c->len / 2]);
	return s;
}

static double run_write(void *arg)
{
	struct copy_case *c = arg;
	mmapc_seek(c->m, 0, SEEK_SET);
	uint64_t t0 = bench_now_ns();
	int64_t r = mmapc_write(c->m, c->buf, c->len);
	double s = secs_since(t0);
	return r == (int64_t)c->len ? s : -1;
}

static double run_write_memcpy(void *arg)
{
	struct copy_case *c = arg;
	uint64_t t0 = bench_now_ns();
	memcpy(c->data, c->buf, c->len);
	double s = secs_since(t0);
	bench_sink(c->data[c->len / 2]);
	return s;
}

static double run_move(void *arg)
{
	struct copy_case *c = arg;
	uint64_t t0 = bench_now_ns();
	int r = mmapc_move(c->m, 4096, 0, (int64_t)(c->len - 4096));
	double s = secs_since(t0);
	return r == 0 ? s : -1;
}

static double run_memmove(void *arg)
{
	struct copy_case *c = arg;
	uint64_t t0 = bench_now_ns();
	memmove(c->data + 4096, c->data, c->len - 4096);
	double s = secs_since(t0);
	bench_sink(c->data[c->len / 2]);
	return s;
}

static void copy_pair(struct copy_case *c, const char *what, double (*subject)(void *),
                      double (*baseline)(void *), size_t bytes, const char *note,
                      const struct rounds *rounds)
{
	struct side sides[] = {{subject, c, 0}, {baseline, c, 0}};

	duel(sides, 2, rounds);
	bench_report(what, gbps(bytes, sides[0].median), gbps(bytes, sides[1].median), "GB/s",
	             BENCH_AT_LEAST, 0.9, note);
}

static void bench_copy(mmapc_map *m, uint8_t *data, size_t len, uint8_t *buf,
                       const struct rounds *rounds)
{
	struct copy_case c = {.m = m, .data = data, .len = len, .buf = buf};

	copy_pair(&c, "read", run_read, run_read_memcpy, len, "memcpy map -> buffer", rounds);
	copy_pair(&c, "write", run_write, run_write_memcpy, len, "memcpy buffer -> map", rounds);
	copy_pair(&c, "move", run_move, run_memmove, len - 4096,
	          "memmove, dest = src + 4096 (overlapping)", rounds);
}

/* ---- entry ---------------------------------------------------------------------------------- */

void bench_data(struct bench *b);
void bench_data(struct bench *b)
{
	size_t len = (b->quick ? 16 : 256) * MIB;
	struct rounds rounds = {
	        .min = b->quick ? 3 : 7, .max = b->quick ? 3 : MAX_ROUNDS, .secs = 0.1};
	mmapc_map *m = NULL;
	int r = mmapc_open(&m, -1, (int64_t)len, MMAPC_ACCESS_DEFAULT, 0, NULL);
	char *buf = malloc(len + 1);

	if (r < 0 || !buf) {
		fprintf(stderr, "  data: cannot make a map of %zu MiB (%s)\n", len / MIB,
		        strerror(r < 0 ? -r : ENOMEM));
		mmapc_free(m);
		free(buf);
		return;
	}
	uint8_t *data = mmapc_data(m);
	memset(buf, 1, len + 1);
	fill_random(data, len, 1);
	scratch.len = (b->quick ? 32 : 64) * MIB;
	scratch.p = malloc(scratch.len);
	if (scratch.p)
		memset(scratch.p, 1, scratch.len);
	bench_find(m, data, len, &rounds);
	bench_readline(m, data, len, buf, &rounds);
	bench_copy(m, data, len, (uint8_t *)buf, &rounds);
	mmapc_free(m);
	free(buf);
	free(scratch.p);
	scratch.p = NULL;
}
