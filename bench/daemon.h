/* daemon.h: what the two files of the daemon benchmarks share: the page the measurer and the
 * clients report through, the sizes of a run, one operation of each kind, the latency job and
 * its measurer (daemon.c), and the load rows (daemon_load.c) that bench_daemon runs.
 *
 * Only bench/daemon*.c include it; main.c knows bench_daemon alone. Every function here
 * records the first failure of its process in dbench_page (see dbench_fail), so that a row
 * can say where it failed. Not here: the floors (floor.h), starting mmapd (spawn.h).
 */
#ifndef MMAPC_BENCH_DAEMON_H
#define MMAPC_BENCH_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench.h"
#include "spawn.h"

#define KIB 1024
#define GIB ((int64_t)1 << 30)
#define MAX_CLIENTS 64
#define MAX_ROUNDS 64
#define MAX_SIDES 4
#define MAX_TAGS 100000      /* what the issue asks for, if the descriptor limit allows */
#define MAX_CONNECTIONS 8192 /* connections the connection row tries to hold */

/* What a measurer or a client process reports back, on a page shared across fork. */
struct shared {
	int error; /* the first negative errno a child hit, and where */
	char where[48];
	double p50[MAX_SIDES], p99[MAX_SIDES]; /* us: [0] the subject, [1] the baseline, ... */
	uint64_t deadline_ns;                  /* throughput: when clients stop counting */
	uint64_t counts[MAX_CLIENTS];
	long long held, served;
	int lib_error; /* connections: the library's open and free while all are up */
};

/* The page, mapped shared by bench_daemon before any row forks. */
extern struct shared *dbench_page;

struct sizes {
	int rounds, ops;          /* latency rounds, ops per round and side */
	int tp_rounds;            /* throughput rounds per side */
	double tp_secs;           /* one throughput round */
	size_t tags, connections; /* scale and connection rows */
	unsigned long long nofile_hard;
	bool quick;
};

/* One operation, timed or counted by a row: run does it once. */
struct op {
	int (*run)(struct op *o);
	const char *socket; /* library ops: the daemon */
	const char *tag;
	int64_t len;  /* create: the new tag's size; floor ops: the memfd's */
	int sock;     /* floor ops: this client's end */
	unsigned seq; /* create: tags made so far */
};

struct latency_job {
	struct op side[MAX_SIDES]; /* [0] the subject, [1] its baseline, and more */
	int n_sides;               /* 0 means 2 */
	int cpu;                   /* pin the measurer to this CPU, or -1 */
	const char *hold;          /* keep a map of this tag open throughout, or NULL */
	struct sizes sz;
};

/* Records r (if negative, and the first this process hit) with where; returns r. */
int dbench_fail(const char *where, int r);

/* Reports the row what as failed, saying where (from dbench_page). */
void dbench_report_failure(const char *what, const char *unit, enum bench_goal goal, double target);

/* Runs fn(arg) in a child process and reaps it; returns 0, or the error it recorded. */
int dbench_run_child(void (*fn)(void *), void *arg);

/* A private mmapd for one benchmark (spawn.c), its failure recorded. */
int dbench_start_daemon(struct spawn_daemon *d, const struct bench *b);

/* A holder (spawn.c) of n tags on socket, its failure recorded. */
pid_t dbench_start_holder(const char *socket, const char *const *tags, const int64_t *lens,
                          size_t n);

/* Opens tag with length len (0: an existing tag, all of it) and the options bits, touches a
 * byte, frees. Returns 0 or a negative errno (not recorded). */
int dbench_lib_cycle(const char *socket, const char *tag, int64_t len, unsigned options);

/* The attach op: o->tag, existing, through the library; and the attach floor's cycle. */
int dbench_op_attach(struct op *o);
int dbench_op_floor_attach(struct op *o);

/* The measurer (run with dbench_run_child): runs a struct latency_job, leaving each side's
 * median p50 and p99 over rounds in dbench_page. */
void dbench_measure_cb(void *arg);

/* The load rows (daemon_load.c): throughput at 1, 8 and 64 clients; scale and memory; and
 * connections. Each starts its own daemon and reports its rows, or their failure. */
void dbench_throughput(const struct bench *b, const struct sizes *sz);
void dbench_scale(const struct bench *b, const struct sizes *sz);
void dbench_connections(const struct bench *b, const struct sizes *sz);

/* The hard descriptor limit, which mmapd raises its own soft limit to. */
unsigned long long dbench_nofile_hard(void);

/* The most tags a daemon can hold under the hard descriptor limit hard. */
size_t dbench_tags_that_fit(unsigned long long hard);

#endif
