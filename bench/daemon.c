/* daemon.c: placeholder until the daemon benchmarks land. */
#include "bench.h"

void bench_daemon(struct bench *b);
void bench_daemon(struct bench *b)
{
	(void)b;
}
