/* tag-demo.c: two unrelated processes sharing memory by tag through mmapd.
 *
 *   tag-demo create NAME   creates the tag, writes a greeting, waits for an answer
 *   tag-demo join NAME     opens the same tag by name, reads the greeting, answers
 *
 * The two share no descriptor and no ancestry beyond the shell that starts them: the only
 * thing they have in common is the tag's name (examples/run-tag-demo starts them, with a
 * private mmapd when none is running). The daemon hands each a descriptor of the same memfd;
 * the bytes never pass through it.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmapc.h"

static void die(const char *what, int r)
{
	fprintf(stderr, "tag-demo: %s: %s\n", what, strerror(-r));
	exit(1);
}

/* Polls the first byte of the answer slot until the other process writes it. */
static int wait_for(mmapc_map *m, int64_t at, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		if (mmapc_getitem(m, at) > 0)
			return 0;
		nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
	}
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "create") && strcmp(argv[1], "join"))) {
		fprintf(stderr, "usage: tag-demo create|join NAME\n");
		return 2;
	}
	bool create = !strcmp(argv[1], "create");
	struct mmapc_options o = {.tagname = argv[2]};
	mmapc_map *m;
	int r = mmapc_open(&m, -1, create ? 4096 : 0, MMAPC_ACCESS_DEFAULT, 0, &o);
	if (r < 0)
		die("open", r);
	printf("%s: %s tag \"%s\" (%lld bytes)\n", argv[1],
	       mmapc_created(m) ? "created" : "opened the existing", argv[2],
	       (long long)mmapc_len(m));

	const char *greeting = "hello from the creator\n";
	const char *answer = "hello back from the joiner\n";
	if (create) {
		mmapc_write(m, greeting, strlen(greeting));
		fflush(stdout);
		if (wait_for(m, 1024, 10) < 0)
			die("waiting for the joiner", -110);
		mmapc_seek(m, 1024, SEEK_SET);
	} else {
		if (wait_for(m, 0, 10) < 0)
			die("waiting for the creator", -110);
	}
	const void *line;
	int64_t n = mmapc_readline_view(m, &line);
	printf("%s: read \"%.*s\"\n", argv[1], (int)n - 1, (const char *)line);
	if (!create)
		mmapc_setslice(m, 1024, 1024 + (int64_t)strlen(answer), 1, answer, strlen(answer));
	mmapc_free(m);
	return 0;
}
