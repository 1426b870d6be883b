/* spawn.c: a private mmapd for each daemon benchmark (see spawn.h).
 *
 * The daemon runs with --log-level error, so that the refusals a benchmark provokes on
 * purpose (the connection limit) do not flood the report. Its readiness is a ping answered
 * on the wire, not a successful connect: the kernel accepts connections as soon as the
 * socket listens, before the daemon's loop runs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mmapc.h"
#include "spawn.h"
#include "wire.h"

/* Quotas far past anything a benchmark creates; --max-connections stays under the hard
 * descriptor limit that the daemon raises its own soft limit to. */
static const char *const raised[] = {
        "--max-tags",          "10000000", "--max-bytes",          "64T",
        "--max-tags-per-user", "10000000", "--max-bytes-per-user", "64T",
        "--max-connections",   "16384",    "--max-handles",        "1000000",
};

int spawn_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int spawn_ping(int fd, int timeout_ms)
{
	struct wire_request req = {.version = WIRE_VERSION, .id = 1, .op = WIRE_PING};
	struct wire_reply rep;
	uint8_t buf[256];
	struct pollfd p = {.fd = fd, .events = POLLIN};

	int n = wire_encode_request(&req, buf, sizeof(buf));
	if (n < 0)
		return n;
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
		return -errno;
	int ready = poll(&p, 1, timeout_ms);
	if (ready <= 0)
		return ready < 0 ? -errno : -ETIMEDOUT;
	ssize_t got = recv(fd, buf, sizeof(buf), 0);
	if (got <= 0)
		return got < 0 ? -errno : -ECONNRESET;
	if (wire_decode_reply(buf, (size_t)got, &rep) < 0)
		return -EPROTO;
	wire_reply_finish(&rep);
	return rep.op == WIRE_PING ? 0 : -EPROTO;
}

long long spawn_ping_all(const int *fds, size_t n, int timeout_ms)
{
	struct timespec t;
	long long served = 0;

	clock_gettime(CLOCK_MONOTONIC, &t);
	long long deadline = t.tv_sec * 1000ll + t.tv_nsec / 1000000 + timeout_ms;
	for (size_t i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		long long left = deadline - (t.tv_sec * 1000ll + t.tv_nsec / 1000000);
		served += spawn_ping(fds[i], left > 0 ? (int)left : 0) == 0;
	}
	return served;
}

static int ping_path(const char *path)
{
	int fd = spawn_connect(path);
	if (fd < 0)
		return fd;
	int r = spawn_ping(fd, 1000);
	close(fd);
	return r;
}

static void exec_daemon(const struct spawn_daemon *d, const char *bin, const char *const *extra)
{
	const char *argv[64];
	size_t n = 0;

	argv[n++] = bin;
	argv[n++] = "--socket";
	argv[n++] = d->socket;
	argv[n++] = "--log-level";
	argv[n++] = "error";
	for (size_t i = 0; i < sizeof(raised) / sizeof(raised[0]); i++)
		argv[n++] = raised[i];
	for (size_t i = 0; extra && extra[i] && n < 63; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	execv(bin, (char *const *)argv);
	_exit(127);
}

int spawn_daemon(struct spawn_daemon *d, const char *bin, const char *const *extra)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int status;

	d->pid = 0;
	snprintf(d->dir, sizeof(d->dir), "%s/mmapd-bench-XXXXXX", tmp);
	if (!mkdtemp(d->dir))
		return -errno;
	snprintf(d->socket, sizeof(d->socket), "%s/mmapd.sock", d->dir);
	d->pid = fork();
	if (d->pid < 0) {
		int r = -errno;
		rmdir(d->dir);
		return r;
	}
	if (d->pid == 0)
		exec_daemon(d, bin, extra);
	for (int i = 0; i < 1000; i++) {
		if (ping_path(d->socket) == 0)
			return 0;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			unlink(d->socket);
			rmdir(d->dir);
			return -ECHILD;
		}
		nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	}
	spawn_stop(d);
	return -ETIMEDOUT;
}

void spawn_reap(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

void spawn_stop(struct spawn_daemon *d)
{
	spawn_reap(d->pid);
	d->pid = 0;
	unlink(d->socket);
	rmdir(d->dir);
}

/* The holder's body: it answers on ready 0 once every tag is held (or its first error), then
 * waits for spawn_reap's SIGTERM; the daemon releases the holds when it dies. */
static void hold(const char *socket, const char *const *tags, const int64_t *lens, size_t n,
                 int ready)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct mmapc_options opts = {.tagname = tags[i], .socket_path = socket};
		mmapc_map *m;
		r = mmapc_open(&m, -1, lens[i], MMAPC_ACCESS_DEFAULT, 0, &opts);
		if (r == 0)
			((volatile uint8_t *)mmapc_data(m))[0]++;
	}
	if (write(ready, &r, sizeof(r)) != sizeof(r) || r < 0)
		_exit(1);
	for (;;)
		pause();
}

pid_t spawn_holder(const char *socket, const char *const *tags, const int64_t *lens, size_t n)
{
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		hold(socket, tags, lens, n, p[1]);
	}
	r = pid < 0 ? -errno : 0;
	close(p[1]);
	if (r == 0 && read(p[0], &r, sizeof(r)) != sizeof(r))
		r = -ECHILD;
	close(p[0]);
	if (r < 0) {
		spawn_reap(pid);
		return r;
	}
	return pid;
}

int spawn_pin(pid_t pid, int cpu)
{
	char path[64];
	cpu_set_t set;
	struct dirent *e;
	int r = 0;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return -errno;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.' &&
		    sched_setaffinity(atoi(e->d_name), sizeof(set), &set) < 0)
			r = -errno;
	closedir(dir);
	return r;
}

int spawn_first_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 0;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			return i;
	return 0;
}

long long spawn_rss_anon(pid_t pid)
{
	char path[64], line[256];
	long long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -ENODATA : kb * 1024;
}
