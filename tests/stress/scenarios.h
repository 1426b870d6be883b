/* scenarios.h: the stress scenarios stress.c runs, one file each: chaos.c (clients killed at
 * random), load.c (many clients, many operations, the daemon's RSS over time), exhaust.c
 * (descriptor and connection limits, quotas, clients that never read).
 *
 * Each starts its own mmapd, prints its checks (common.h's check), and stops the daemon
 * before it returns, whatever happened. Not here: the TSan program (tsan.c), which is built
 * on its own.
 */
#ifndef MMAPC_STRESS_SCENARIOS_H
#define MMAPC_STRESS_SCENARIOS_H

#include "common.h"

void scenario_chaos(const struct stress_opts *opts);
void scenario_load(const struct stress_opts *opts);
void scenario_exhaust(const struct stress_opts *opts);

#endif
