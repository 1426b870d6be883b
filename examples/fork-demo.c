/* fork-demo.c: a parent and a child sharing an anonymous map, no daemon involved.
 *
 * It is Python's documented example (write "Hello world!", fork, read it in the child) and
 * then the part Python cannot do safely: the parent grows the map, and the child, seeing the
 * new size, adopts it and reads what the parent wrote into the grown pages. Python's
 * MAP_SHARED|MAP_ANONYMOUS map would take SIGBUS there; libmmapc's memfd-backed one does not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmapc.h"

static void die(const char *what, int64_t r)
{
	fprintf(stderr, "fork-demo: %s: %s\n", what, strerror((int)-r));
	exit(1);
}

/* Blocks until the other side writes one byte to fd. */
static void await(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		exit(1);
}

static void child(mmapc_map *m, int wake, int done)
{
	const void *line;
	int64_t n;

	mmapc_seek(m, 0, SEEK_SET);
	n = mmapc_readline_view(m, &line);
	printf("child:  read %.*s from the parent\n", (int)n, (const char *)line);
	await(wake);

	int64_t size = mmapc_size(m);
	printf("child:  the shared memory is now %lld bytes; adopting it\n", (long long)size);
	int r = mmapc_resize(m, size);
	if (r < 0)
		die("resize", r);
	n = mmapc_find(m, "grown", 5, 0, MMAPC_OMIT);
	if (n < 0)
		die("find", n);
	mmapc_seek(m, n, SEEK_SET);
	n = mmapc_readline_view(m, &line);
	printf("child:  found \"%.*s\" in the grown pages\n", (int)n - 1, (const char *)line);
	if (mmapc_write(m, "child was here", 14) < 0)
		exit(1);
	if (write(done, "x", 1) != 1)
		exit(1);
	mmapc_free(m);
	fflush(stdout);
	_exit(0);
}

int main(void)
{
	mmapc_map *m;
	int wake[2], done[2], status;

	int r = mmapc_open(&m, -1, 13, MMAPC_ACCESS_DEFAULT, 0, NULL);
	if (r < 0)
		die("open", r);
	mmapc_write(m, "Hello world!\n", 13);
	if (pipe(wake) < 0 || pipe(done) < 0)
		die("pipe", -errno);

	pid_t pid = fork();
	if (pid < 0)
		die("fork", -errno);
	if (pid == 0)
		child(m, wake[0], done[1]);

	int64_t big = 1 << 20;
	r = mmapc_resize(m, big);
	if (r < 0)
		die("resize", r);
	const char *msg = "written by the parent into grown memory\n";
	mmapc_setslice(m, big - 4096, big - 4096 + (int64_t)strlen(msg), 1, msg, strlen(msg));
	printf("parent: grew the map to %lld bytes and wrote near its end\n", (long long)big);
	if (write(wake[1], "x", 1) != 1)
		die("write", -errno);
	await(done[0]);

	char reply[15] = {0};
	mmapc_getslice(m, big - 4096 + (int64_t)strlen(msg), MMAPC_OMIT, 1, reply, 14);
	printf("parent: the child answered \"%s\"\n", reply);
	waitpid(pid, &status, 0);
	mmapc_free(m);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && !strcmp(reply, "child was here")
	               ? 0
	               : 1;
}
