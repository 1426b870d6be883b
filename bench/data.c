/* data.c: placeholder until the data benchmarks land. */
#include "bench.h"

void bench_data(struct bench *b);
void bench_data(struct bench *b)
{
	(void)b;
}
