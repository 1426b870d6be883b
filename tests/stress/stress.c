/* stress.c: the stress harness's command line: which scenarios run and at what sizes.
 *
 *   mmapd-stress [--quick] [--clients N] [--ops N] [--rounds N] [--window-ms N]
 *                [--throttle-seconds N] [--attack-seconds N] [--seed N] [SCENARIO...]
 *
 * SCENARIO is chaos, load, exhaust or all (the default). --quick sets the CI sizes (100
 * clients, 200 operations each, 3 rounds, 2 s attacks); options after it override single
 * sizes. Every check prints one line, "PASS name: figures" or "FAIL name: detail" (SKIP when
 * it cannot run here, e.g. without root); lines starting with '#' are figures that are not
 * checks. The last line is "stress: N passed, N failed", and the exit status is 1 if
 * anything failed, 2 if a scenario overran its time limit.
 *
 * The daemon is $MMAPD_BIN (else build/mmapd). Not here: the scenarios (chaos.c, load.c,
 * exhaust.c), the TSan program (tsan.c), long-running Check suites (there are none: these
 * tests are too long for Check's per-test timeouts).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common.h"
#include "scenarios.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: mmapd-stress [--quick] [--clients N] [--ops N] [--rounds N] "
	           "[--window-ms N]\n"
	           "                    [--throttle-seconds N] [--attack-seconds N] [--seed N] "
	           "[chaos|load|exhaust|all]...\n");
}

/* Full sizes are what the issue asks for; quick ones keep all three under a minute. */
static void set_sizes(struct stress_opts *o, bool quick)
{
	o->quick = quick;
	o->clients = quick ? 100 : 1000;
	o->ops = quick ? 200 : 1000;
	o->rounds = quick ? 3 : 10;
	o->window_ms = quick ? 300 : 1000;
	o->throttle_s = quick ? 2 : 3;
	o->exhaust_s = quick ? 2 : 4;
}

/* The harness and the daemon (which inherits it) may need a descriptor per client. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
	        {"quick", no_argument, NULL, 'q'},
	        {"clients", required_argument, NULL, 'c'},
	        {"ops", required_argument, NULL, 'o'},
	        {"rounds", required_argument, NULL, 'r'},
	        {"window-ms", required_argument, NULL, 'w'},
	        {"throttle-seconds", required_argument, NULL, 't'},
	        {"attack-seconds", required_argument, NULL, 'a'},
	        {"seed", required_argument, NULL, 's'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct stress_opts o;
	int overrides[8] = {0}, opt;
	long values[8] = {0};

	set_sizes(&o, false);
	o.seed = (uint64_t)time(NULL);
	/* Sizes given on the command line win over --quick wherever they appear. */
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		const char *keys = "corwtas";
		const char *k = strchr(keys, opt);
		if (opt == 'q') {
			o.quick = true;
		} else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else if (k && opt) {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < (opt == 's' ? 0 : 1)) {
				usage(stderr);
				return 64;
			}
			overrides[k - keys] = 1;
			values[k - keys] = v;
		} else {
			usage(stderr);
			return 64;
		}
	}
	uint64_t seed = o.seed;
	set_sizes(&o, o.quick);
	o.seed = seed;
	int *fields[] = {&o.clients, &o.ops, &o.rounds, &o.window_ms, &o.throttle_s, &o.exhaust_s};
	for (int i = 0; i < 6; i++)
		if (overrides[i])
			*fields[i] = (int)values[i];
	if (overrides[6])
		o.seed = (uint64_t)values[6];

	bool chaos = false, load = false, exhaust = false;
	if (optind == argc)
		chaos = load = exhaust = true;
	for (int i = optind; i < argc; i++) {
		bool all = !strcmp(argv[i], "all");
		chaos |= all || !strcmp(argv[i], "chaos");
		load |= all || !strcmp(argv[i], "load");
		exhaust |= all || !strcmp(argv[i], "exhaust");
		if (!all && strcmp(argv[i], "chaos") && strcmp(argv[i], "load") &&
		    strcmp(argv[i], "exhaust")) {
			usage(stderr);
			return 64;
		}
	}

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	info("mmapd-stress: %s sizes, seed %llu (--seed to repeat)", o.quick ? "quick" : "full",
	     (unsigned long long)o.seed);
	double t0 = now_s();
	if (chaos)
		scenario_chaos(&o);
	if (load)
		scenario_load(&o);
	if (exhaust)
		scenario_exhaust(&o);

	int passed, failed, skipped;
	check_counts(&passed, &failed, &skipped);
	info("total %.1f s", now_s() - t0);
	if (skipped)
		printf("stress: %d passed, %d failed (%d skipped)\n", passed, failed, skipped);
	else
		printf("stress: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
