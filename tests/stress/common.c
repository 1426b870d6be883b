/* common.c: the stress harness's shared parts (see common.h): the report, a private mmapd,
 * /proc measurements, forked clients and their pipe. Not here: any scenario.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/* libmmapc internal (client/conn.c): closes this process's cached daemon connections. */
void conn_disconnect_all(void);

/* ---- the report ---------------------------------------------------------------------------- */

static int n_passed, n_failed, n_skipped;
static struct sdaemon *current; /* the daemon whose log a failure shows */

/* The last lines of the daemon's log: what it said just before a check failed. */
static void show_log(void)
{
	char lines[20][256];
	int n = 0;

	if (!current || !current->log[0])
		return;
	FILE *f = fopen(current->log, "re");
	if (!f)
		return;
	while (fgets(lines[n % 20], sizeof(lines[0]), f))
		n++;
	fclose(f);
	for (int i = n > 20 ? n - 20 : 0; i < n; i++)
		printf("#   mmapd: %s", lines[i % 20]);
}

void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s: ", ok ? "PASS" : "FAIL", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (ok) {
		n_passed++;
	} else {
		n_failed++;
		show_log();
	}
	fflush(stdout);
}

void skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("SKIP %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	n_skipped++;
}

void info(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void check_counts(int *passed, int *failed, int *skipped)
{
	*passed = n_passed;
	*failed = n_failed;
	*skipped = n_skipped;
}

/* ---- time and randomness --------------------------------------------------------------- */

double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint64_t rng_next(uint64_t *state)
{
	uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

uint32_t rng_below(uint64_t *state, uint32_t n)
{
	return n ? (uint32_t)((rng_next(state) >> 32) % n) : 0;
}

/* ---- forked clients ------------------------------------------------------------------------ */

#define CHILDREN_MAX 65536

static pid_t children[CHILDREN_MAX];
static volatile sig_atomic_t n_children;

pid_t child_spawn(int (*fn)(void *), void *arg)
{
	if (n_children >= CHILDREN_MAX)
		return -EAGAIN;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		alarm(0);
		signal(SIGALRM, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		_exit(fn(arg));
	}
	children[n_children] = pid;
	n_children = n_children + 1;
	return pid;
}

void child_forget(pid_t pid)
{
	for (int i = n_children - 1; i >= 0; i--)
		if (children[i] == pid) {
			children[i] = children[n_children - 1];
			n_children = n_children - 1;
			return;
		}
}

void child_kill_all(void)
{
	for (int i = 0; i < n_children; i++)
		kill(children[i], SIGKILL);
	for (int i = 0; i < n_children; i++)
		waitpid(children[i], NULL, 0);
	n_children = 0;
}

static const char *deadline_scenario;
static struct sdaemon *deadline_daemon;

static void deadline_cb(int sig)
{
	static const char fail[] = "FAIL deadline: the scenario did not finish in time: ";
	(void)sig;
	if (write(1, fail, sizeof(fail) - 1) < 0 ||
	    write(1, deadline_scenario, strlen(deadline_scenario)) < 0 || write(1, "\n", 1) < 0)
		_exit(2);
	for (int i = 0; i < n_children; i++)
		kill(children[i], SIGKILL);
	if (deadline_daemon && deadline_daemon->pid > 0)
		kill(deadline_daemon->pid, SIGKILL);
	_exit(2);
}

void stress_deadline(const char *scenario, unsigned seconds, struct sdaemon *d)
{
	deadline_scenario = scenario;
	deadline_daemon = d;
	signal(SIGALRM, deadline_cb);
	alarm(seconds);
}

const char *status_str(int status, char *buf, size_t cap)
{
	if (WIFEXITED(status))
		snprintf(buf, cap, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, cap, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, cap, "status %#x", status);
	return buf;
}

int report_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	/* As large as an unprivileged process may make it; smaller is fine too. */
	for (int size = 1 << 20; size >= 65536; size /= 2)
		if (fcntl(fds[1], F_SETPIPE_SZ, size) >= 0)
			break;
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
	return 0;
}

int report(int fd, int32_t kind, int32_t client, int64_t a, int64_t b, int64_t c)
{
	struct stress_record r = {.kind = kind, .client = client, .a = a, .b = b, .c = c};
	ssize_t n;

	do
		n = write(fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(r) ? 0 : n < 0 ? -errno : -EIO;
}

int report_drain(int fd, void (*fn)(const struct stress_record *r, void *arg), void *arg)
{
	struct stress_record recs[256];
	int total = 0;

	for (;;) {
		ssize_t n = read(fd, recs, sizeof(recs));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return total;
		/* Records are written whole and the pipe keeps them whole; a read of a full
		 * buffer ends on a record's boundary because the buffer holds a whole number. */
		for (size_t i = 0; i < (size_t)n / sizeof(recs[0]); i++)
			fn(&recs[i], arg);
		total += (int)((size_t)n / sizeof(recs[0]));
	}
}

/* ---- /proc ------------------------------------------------------------------------------- */

int proc_fd_count(pid_t pid)
{
	char path[64];
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return -1;
	while (readdir(dir))
		n++;
	closedir(dir);
	return n - 2;
}

void proc_fd_show(pid_t pid)
{
	char path[64], link[PATH_MAX], target[256];

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return;
	for (struct dirent *e; (e = readdir(dir));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = 0;
		info("  mmapd fd %s -> %s", e->d_name, target);
	}
	closedir(dir);
}

int proc_fd_count_settled(pid_t pid)
{
	int last = proc_fd_count(pid);

	for (int i = 0; i < 100; i++) {
		sleep_ms(20);
		int now = proc_fd_count(pid);
		if (now == last)
			return now;
		last = now;
	}
	return last;
}

long proc_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

long proc_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long utime, stime;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* The command name may hold spaces and parentheses: fields start after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
	                 &stime) != 2)
		return -1;
	return (long)(utime + stime);
}

/* ---- the daemon ---------------------------------------------------------------------------- */

static void exec_daemon(const struct sdaemon *d, const char *const *args)
{
	const char *bin = getenv("MMAPD_BIN") ? getenv("MMAPD_BIN") : "build/mmapd";
	const char *level = getenv("MMAPD_STRESS_LOG") ? getenv("MMAPD_STRESS_LOG") : "error";
	const char *argv[48];
	size_t n = 0;

	argv[n++] = bin;
	argv[n++] = "--socket";
	argv[n++] = d->socket;
	argv[n++] = "--log-level";
	argv[n++] = level;
	for (size_t i = 0; args && args[i] && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int log = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log >= 0)
		dup2(log, 2);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
	}
	/* Dropped from the bounding set, they are not in the permitted set exec gives root. */
	if ((d->flags & SDAEMON_NO_RESOURCE_CAPS) &&
	    (prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE) < 0 ||
	     prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN) < 0))
		_exit(125);
	/* mmapd raises its soft limit to the hard one, so a limit must be set on both. */
	if (d->nofile > 0) {
		struct rlimit rl = {.rlim_cur = (rlim_t)d->nofile, .rlim_max = (rlim_t)d->nofile};
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(126);
	}
	execv(bin, (char *const *)argv);
	_exit(127);
}

const char *const sdaemon_no_limits[] = {"--max-tags",  "1000000", "--max-tags-per-user",  "1000000",
                                         "--max-bytes", "1T",      "--max-bytes-per-user", "1T",
                                         NULL};

int sdaemon_start(struct sdaemon *d, const char *const *args, int nofile)
{
	return sdaemon_start_flags(d, args, nofile, 0);
}

int sdaemon_start_flags(struct sdaemon *d, const char *const *args, int nofile, unsigned flags)
{
	memset(d, 0, sizeof(*d));
	d->nofile = nofile;
	d->flags = flags;
	snprintf(d->dir, sizeof(d->dir), "/tmp/mmapd-stress-XXXXXX");
	if (!mkdtemp(d->dir))
		return -errno;
	chmod(d->dir, 0755);
	snprintf(d->socket, sizeof(d->socket), "%s/mmapd.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/mmapd.log", d->dir);
	setenv("MMAPD_SOCKET", d->socket, 1);
	fflush(stdout);
	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0)
		exec_daemon(d, args);
	current = d;
	for (int i = 0; i < 1000; i++) {
		if (mmapc_ping(d->socket) > 0)
			return 0;
		int status;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			char why[64];
			info("mmapd exited at start (%s)", status_str(status, why, sizeof(why)));
			show_log();
			d->pid = 0;
			return -ECHILD;
		}
		sleep_ms(5);
	}
	info("mmapd did not answer on %s", d->socket);
	return -ETIMEDOUT;
}

bool sdaemon_alive(struct sdaemon *d)
{
	int status;

	if (d->pid <= 0)
		return false;
	if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
		char why[64];
		info("mmapd is gone: %s", status_str(status, why, sizeof(why)));
		d->pid = 0;
		return false;
	}
	return true;
}

int sdaemon_stop(struct sdaemon *d)
{
	int status = -1;

	conn_disconnect_all();
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		if (waitpid(d->pid, &status, 0) != d->pid)
			status = -1;
		d->pid = 0;
	}
	/* The log stays if the run failed somewhere, for a person to read. */
	int passed, failed, skipped;
	check_counts(&passed, &failed, &skipped);
	if (!failed) {
		unlink(d->log);
		unlink(d->socket);
		rmdir(d->dir);
	} else {
		info("mmapd's log kept: %s", d->log);
		unlink(d->socket);
	}
	if (current == d)
		current = NULL;
	unsetenv("MMAPD_SOCKET");
	return status;
}

int sdaemon_stat(const struct sdaemon *d, struct mmapc_stats *ret)
{
	return mmapc_stat(d->socket, ret);
}

int sdaemon_settle(const struct sdaemon *d, long tags, long handles, long connections,
                   int timeout_ms, struct mmapc_stats *ret)
{
	int64_t start = now_ms();

	for (;;) {
		int r = sdaemon_stat(d, ret);
		if (r == 0 && (tags < 0 || ret->tags <= (uint64_t)tags) &&
		    (handles < 0 || ret->handles <= (uint64_t)handles) &&
		    (connections < 0 || ret->connections <= (uint64_t)connections))
			return (int)(now_ms() - start);
		if (now_ms() - start > timeout_ms)
			return -1;
		sleep_ms(5);
	}
}
