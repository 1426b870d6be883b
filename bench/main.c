/* main.c: `make bench`: runs every benchmark and prints one table (or JSON with --json).
 *
 *   build/bench [--json] [--quick] [--only NAME]
 *
 * Each row is a ratio subject/baseline measured in this run, with its target; the exit
 * status is 0 even when a target is missed (the table says so), since benchmarks inform and
 * the test suite judges. Not here: the benchmarks themselves (the other files of bench/).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

void bench_data(struct bench *b);
void bench_daemon(struct bench *b);

static const struct {
	const char *name;
	void (*run)(struct bench *b);
} benches[] = {
        {"daemon", bench_daemon},
        {"data", bench_data},
};

struct row {
	char what[64];
	char unit[16];
	char note[96];
	double subject, baseline, target;
	enum bench_goal goal;
};

static struct row rows[128];
static size_t n_rows;

void bench_report(const char *what, double subject, double baseline, const char *unit,
                  enum bench_goal goal, double target, const char *note)
{
	if (n_rows == sizeof(rows) / sizeof(rows[0]))
		return;
	struct row *r = &rows[n_rows++];
	snprintf(r->what, sizeof(r->what), "%s", what);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	snprintf(r->note, sizeof(r->note), "%s", note ? note : "");
	r->subject = subject;
	r->baseline = baseline;
	r->goal = goal;
	r->target = target;
	fprintf(stderr, "  %-34s %10.3f %-8s (baseline %.3f)\n", what, subject, unit, baseline);
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_percentile(double *v, size_t n, double p)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

double bench_median(double *v, size_t n)
{
	return bench_percentile(v, n, 50);
}

static volatile uint64_t sink;

void bench_sink(uint64_t v)
{
	sink += v;
}

static bool met(const struct row *r)
{
	double ratio = r->subject / r->baseline;
	switch (r->goal) {
	case BENCH_AT_MOST:
		return ratio <= r->target;
	case BENCH_AT_LEAST:
		return ratio >= r->target;
	default:
		return true;
	}
}

static void print_table(void)
{
	printf("| what | subject | baseline | ratio | target | met | note |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < n_rows; i++) {
		const struct row *r = &rows[i];
		const char *op = r->goal == BENCH_AT_MOST    ? "<= "
		                 : r->goal == BENCH_AT_LEAST ? ">= "
		                                             : "";
		char target[32] = "-";
		if (r->goal != BENCH_INFO)
			snprintf(target, sizeof(target), "%s%.2f", op, r->target);
		printf("| %s | %.3f %s | %.3f %s | %.3f | %s | %s | %s |\n", r->what, r->subject,
		       r->unit, r->baseline, r->unit, r->subject / r->baseline, target,
		       r->goal == BENCH_INFO ? "-"
		       : met(r)              ? "yes"
		                             : "NO",
		       r->note);
	}
}

static void print_json(void)
{
	printf("[\n");
	for (size_t i = 0; i < n_rows; i++) {
		const struct row *r = &rows[i];
		printf("  {\"what\": \"%s\", \"subject\": %.6g, \"baseline\": %.6g, \"unit\": "
		       "\"%s\", "
		       "\"ratio\": %.6g, \"goal\": \"%s\", \"target\": %.6g, \"met\": %s, "
		       "\"note\": \"%s\"}%s\n",
		       r->what, r->subject, r->baseline, r->unit, r->subject / r->baseline,
		       r->goal == BENCH_AT_MOST    ? "at_most"
		       : r->goal == BENCH_AT_LEAST ? "at_least"
		                                   : "info",
		       r->target, met(r) ? "true" : "false", r->note, i + 1 < n_rows ? "," : "");
	}
	printf("]\n");
}

int main(int argc, char **argv)
{
	struct bench b = {.mmapd = getenv("MMAPD_BIN") ? getenv("MMAPD_BIN") : "build/mmapd"};
	const char *only = NULL;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--quick"))
			b.quick = true;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: bench [--json] [--quick] [--only daemon|data]\n");
			return 2;
		}
	}
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		if (only && strcmp(only, benches[i].name))
			continue;
		fprintf(stderr, "== %s\n", benches[i].name);
		benches[i].run(&b);
	}
	if (json)
		print_json();
	else
		print_table();
	return 0;
}
