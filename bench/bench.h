/* bench.h: what every benchmark of `make bench` shares: clocks, statistics, and the report.
 *
 * Every figure is a ratio against a baseline measured in the same run, because these
 * machines are shared and absolute times drift: a benchmark measures its subject and its
 * floor interleaved (or back to back, several rounds), and reports subject / baseline
 * together with the target the ratio must meet. Absolute values are reported as well, for
 * reading, never for judging.
 *
 * A benchmark file defines one or more `void bench_<name>(struct bench *b)` functions and
 * lists them in main.c's table. Not here: anything about mmapd or libmmapc themselves.
 */
#ifndef MMAPC_BENCH_H
#define MMAPC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench {
	bool quick;        /* --quick: fewer iterations, for a smoke test */
	const char *mmapd; /* the mmapd binary to start, from $MMAPD_BIN or build/mmapd */
};

enum bench_goal {
	BENCH_AT_MOST,  /* the ratio must be <= target */
	BENCH_AT_LEAST, /* the ratio must be >= target */
	BENCH_INFO,     /* reported, no target (an absolute figure with a bound is AT_MOST) */
};

/* Records one row of the report: `what` is the row's name ("attach p50"), `subject` and
 * `baseline` the two measurements in `unit` ("us", "GB/s", "opens/s"), target and goal the
 * bar the ratio subject/baseline must clear. For a row with no baseline (an absolute bound,
 * such as bytes per tag), pass baseline 1 and the bound as target. `note` may be NULL. */
void bench_report(const char *what, double subject, double baseline, const char *unit,
                  enum bench_goal goal, double target, const char *note);

/* Nanoseconds on CLOCK_MONOTONIC. */
uint64_t bench_now_ns(void);

/* Sorts v (n values) and returns its p-th percentile (0..100). */
double bench_percentile(double *v, size_t n, double p);

/* The median of n values (sorts v). */
double bench_median(double *v, size_t n);

/* Keeps a value from being optimised away. */
void bench_sink(uint64_t v);

#endif
