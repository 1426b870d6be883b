/* holder.c: the client of tests/systemd/run's restart checks, run inside the container.
 *
 * `mmapd-holder N` creates N anonymous tags hold0 .. hold<N-1> (4, 8, 12 or 16 KiB) filled
 * with a known pattern, prints "ready" and then obeys one command per line on stdin:
 *   check   every map still holds its pattern; then ping the daemon (the call that makes
 *           the library re-claim its holds after a restart) and ask for its counters; print
 *           "check ok HANDLES" (the daemon's count of open handles) or "check bad I K";
 *   mark    write 0xA5 at byte 0 of every map (through the maps made before a restart);
 *   close   close every map and print "closed";
 *   quit    exit.
 * It is built against the tree's libmmapc and copied into the container; it is not a test
 * of its own.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmapc.h"

static uint8_t pattern(int tag, size_t k)
{
	return (uint8_t)(tag * 131 + k * 7 + (k >> 10));
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	mmapc_map **maps = calloc((size_t)n, sizeof(*maps));
	char name[32], line[64];
	bool marked = false;

	if (!maps)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < n; i++) {
		struct mmapc_options o = {.tagname = name};
		snprintf(name, sizeof(name), "hold%d", i);
		int r = mmapc_open(&maps[i], -1, 4096 * (1 + i % 4), MMAPC_ACCESS_DEFAULT, 0, &o);
		if (r < 0) {
			printf("open %s: %s\n", name, strerror(-r));
			return 1;
		}
		uint8_t *p = mmapc_data(maps[i]);
		for (size_t k = 0; k < 4096u * (1 + i % 4); k++)
			p[k] = pattern(i, k);
	}
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "check", 5)) {
			int bad = -1;
			size_t bad_k = 0;
			for (int i = 0; i < n && bad < 0; i++) {
				const uint8_t *p = mmapc_data(maps[i]);
				for (size_t k = 0; k < (size_t)mmapc_len(maps[i]); k++) {
					uint8_t want = k == 0 && marked ? 0xa5 : pattern(i, k);
					if (p[k] != want) {
						bad = i;
						bad_k = k;
						break;
					}
				}
			}
			/* The first call after a restart finds the daemon gone, connects anew and
			 * re-claims once it is done; the counters are asked for after it. */
			struct mmapc_stats st;
			int r = mmapc_ping(NULL);
			if (r > 0)
				r = mmapc_stat(NULL, &st);
			if (bad >= 0)
				printf("check bad %d %zu\n", bad, bad_k);
			else if (r < 0)
				printf("check stat: %s\n", strerror(-r));
			else
				printf("check ok %llu\n", (unsigned long long)st.handles);
		} else if (!strncmp(line, "mark", 4)) {
			for (int i = 0; i < n; i++)
				((uint8_t *)mmapc_data(maps[i]))[0] = 0xa5;
			marked = true;
			printf("marked\n");
		} else if (!strncmp(line, "close", 5)) {
			for (int i = 0; i < n; i++)
				mmapc_free(maps[i]);
			printf("closed\n");
		} else if (!strncmp(line, "quit", 4)) {
			break;
		}
	}
	free(maps);
	return 0;
}
