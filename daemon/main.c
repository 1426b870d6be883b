/* main.c: mmapd's start-up and shutdown: options, the listening socket, signals, systemd.
 *
 * mmapd always runs in the foreground (a service manager or a terminal supervises it). Its
 * socket comes from systemd when socket-activated (sd_listen_fds), and otherwise it makes
 * one itself: the path from --socket, else $MMAPD_SOCKET, else MMAPD_SOCKET_DEFAULT, the
 * same resolution libmmapc uses. A stale socket left by a dead daemon is replaced; a live one
 * (another mmapd answering) is an error. The socket's mode defaults to 0666: anyone may
 * connect, and every tag decides who may open it.
 *
 * Under systemd, the descriptors passed may also include the fd store's (store.h): the tags
 * kept across a restart are brought back before the first connection is served, with the
 * holders that had them pending until they re-claim or exit (restore.h).
 *
 * SIGTERM and SIGINT stop the loop; every client is disconnected, every tag destroyed and a
 * socket mmapd made itself is removed. The fd store is left as it is, so that a restart finds
 * every tag that was alive; systemd 252 empties it when the service is stopped rather than
 * restarted. Not here: anything that happens per connection.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"
#include "mmapc.h"
#include "registry.h"
#include "restore.h"
#include "server.h"
#include "store.h"

struct options {
	const char *socket_path;
	mode_t socket_mode;
	struct registry_limits reg;
	struct server_limits srv;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: mmapd [OPTION]...\n"
	        "Owns named shared-memory mappings and hands them to clients (libmmapc).\n\n"
	        "  -s, --socket PATH           listen on PATH (default: $MMAPD_SOCKET, else %s)\n"
	        "  -m, --socket-mode MODE      permission bits of the socket (default 0666)\n"
	        "  -f, --foreground            accepted for compatibility: mmapd never forks\n"
	        "  -l, --log-level LEVEL       error, warning, notice (default), info or debug\n"
	        "      --max-connections N     concurrent clients (default 8192)\n"
	        "      --max-connections-per-user N  of them one user (not root) may have (1024)\n"
	        "      --max-handles N         open handles per connection (default 65536)\n"
	        "      --max-tags N            tags in all (default 65536)\n"
	        "      --max-bytes SIZE        bytes of anonymous tags in all (default 16G)\n"
	        "      --max-tags-per-user N   tags one user may create (default 4096)\n"
	        "      --max-bytes-per-user SIZE  bytes one user's tags may hold (default 4G)\n"
	        "      --max-queued N          unread replies before a client is throttled (16)\n"
	        "      --throttle-seconds N    how long a throttled client is kept (default 10)\n"
	        "  -h, --help                  show this and exit\n"
	        "  -V, --version               show the version and exit\n"
	        "SIZE takes a K, M, G or T suffix (powers of 1024).\n",
	        MMAPD_SOCKET_DEFAULT);
}

/* Parses a number with an optional K/M/G/T suffix; returns false if it is not one. */
static bool parse_size(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return false;
	int shift = 0;
	switch (*end) {
	case 'T':
		shift += 10; /* fall through */
	case 'G':
		shift += 10; /* fall through */
	case 'M':
		shift += 10; /* fall through */
	case 'K':
		shift += 10;
		end++;
		break;
	default:
		break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*ret = (uint64_t)v << shift;
	return true;
}

static bool parse_uint(const char *s, unsigned int *ret)
{
	uint64_t v;
	if (!parse_size(s, &v) || v > UINT_MAX)
		return false;
	*ret = (unsigned int)v;
	return true;
}

enum {
	OPT_MAX_CONNECTIONS = 256,
	OPT_MAX_CONNECTIONS_USER,
	OPT_MAX_HANDLES,
	OPT_MAX_TAGS,
	OPT_MAX_BYTES,
	OPT_MAX_TAGS_USER,
	OPT_MAX_BYTES_USER,
	OPT_MAX_QUEUED,
	OPT_THROTTLE,
};

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	        {"socket", required_argument, NULL, 's'},
	        {"socket-mode", required_argument, NULL, 'm'},
	        {"foreground", no_argument, NULL, 'f'},
	        {"log-level", required_argument, NULL, 'l'},
	        {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
	        {"max-connections-per-user", required_argument, NULL, OPT_MAX_CONNECTIONS_USER},
	        {"max-handles", required_argument, NULL, OPT_MAX_HANDLES},
	        {"max-tags", required_argument, NULL, OPT_MAX_TAGS},
	        {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
	        {"max-tags-per-user", required_argument, NULL, OPT_MAX_TAGS_USER},
	        {"max-bytes-per-user", required_argument, NULL, OPT_MAX_BYTES_USER},
	        {"max-queued", required_argument, NULL, OPT_MAX_QUEUED},
	        {"throttle-seconds", required_argument, NULL, OPT_THROTTLE},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {0},
	};
	unsigned int mode = 0;
	int c;
	bool ok = true;

	while (ok && (c = getopt_long(argc, argv, "s:m:fl:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket_path = optarg;
			break;
		case 'm':
			ok = sscanf(optarg, "%o", &mode) == 1 && mode <= 0777;
			o->socket_mode = (mode_t)mode;
			break;
		case 'f':
			break;
		case 'l':
			log_level = log_parse_level(optarg);
			ok = log_level >= 0;
			break;
		case OPT_MAX_CONNECTIONS:
			ok = parse_uint(optarg, &o->srv.max_connections);
			break;
		case OPT_MAX_CONNECTIONS_USER:
			ok = parse_uint(optarg, &o->srv.max_connections_per_user);
			break;
		case OPT_MAX_HANDLES:
			ok = parse_uint(optarg, &o->srv.max_handles);
			break;
		case OPT_MAX_TAGS:
			ok = parse_size(optarg, &o->reg.max_tags);
			break;
		case OPT_MAX_BYTES:
			ok = parse_size(optarg, &o->reg.max_bytes);
			break;
		case OPT_MAX_TAGS_USER:
			ok = parse_size(optarg, &o->reg.max_tags_per_user);
			break;
		case OPT_MAX_BYTES_USER:
			ok = parse_size(optarg, &o->reg.max_bytes_per_user);
			break;
		case OPT_MAX_QUEUED:
			ok = parse_uint(optarg, &o->srv.max_queued) && o->srv.max_queued > 0;
			break;
		case OPT_THROTTLE:
			ok = parse_uint(optarg, &o->srv.throttle_seconds);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("mmapd %d.%d (protocol %d)\n", MMAPC_VERSION_MAJOR,
			       MMAPC_VERSION_MINOR, WIRE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (!ok) {
		fprintf(stderr, "mmapd: invalid value for an option: %s\n", optarg);
		return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, "mmapd: unexpected argument: %s\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* Creates the directories above path, as mkdir -p would, with mode 0755. */
static void make_parents(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
}

/* Returns a listening socket bound to path, or a negative errno. */
static int listen_on(const char *path, mode_t mode)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	make_parents(path);

	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EADDRINUSE)
			goto fail;
		/* Something is there. A socket nobody answers on was left by a dead daemon and is
		 * replaced; a live one, or anything that is not a socket (connect() says
		 * ECONNREFUSED for a regular file too), is left alone. */
		struct stat st;
		if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
			close(fd);
			return -EADDRINUSE;
		}
		int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		int refused = probe >= 0 &&
		              connect(probe, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		              errno == ECONNREFUSED;
		if (probe >= 0)
			close(probe);
		if (!refused) {
			close(fd);
			return -EADDRINUSE;
		}
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	}
	if (chmod(path, mode) < 0 || listen(fd, SOMAXCONN) < 0)
		goto fail;
	return fd;
fail:;
	int r = -errno;
	close(fd);
	return r;
}

/* What systemd passed (LISTEN_FDS): the listening socket, if socket-activated, and the
 * descriptors of the fd store (store.h), each with its name. */
struct passed {
	int listen_fd; /* -ENOENT if none */
	int *fds;      /* the rest, for store_restore */
	char **names;
	size_t n;
	char **all_names; /* sd_listen_fds_with_names' array, to free */
};

/* Sorts out the passed descriptors: the first listening SOCK_SEQPACKET Unix socket is ours
 * to serve; another listening socket is an error in the units; everything else goes to the
 * store. All of them are made CLOEXEC (systemd passes them without). */
static int take_passed(struct passed *p)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);

	*p = (struct passed){.listen_fd = -ENOENT, .all_names = names};
	if (n <= 0)
		return n < 0 ? n : 0;
	p->fds = calloc((size_t)n, sizeof(*p->fds));
	p->names = calloc((size_t)n, sizeof(*p->names));
	if (!p->fds || !p->names)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *name = names && names[i] ? names[i] : "unknown";
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (p->listen_fd < 0 && sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) > 0) {
			p->listen_fd = fd;
		} else if (sd_is_socket(fd, AF_UNSPEC, 0, 1) > 0) {
			log_error("socket activation passed a listening socket (%s) that is not a "
			          "SOCK_SEQPACKET Unix socket, or more than one",
			          name);
			return -EINVAL;
		} else {
			p->fds[p->n] = fd;
			p->names[p->n++] = (char *)name;
		}
	}
	return 0;
}

static void passed_free(struct passed *p)
{
	for (char **s = p->all_names; s && *s; s++)
		free(*s);
	free(p->all_names);
	free(p->fds);
	free(p->names);
}

/* Brings back the tags systemd's fd store kept, with their pending holders. */
static void restore_tags(struct registry *reg, struct store *store, struct restore *rs,
                         struct passed *p)
{
	struct store_restored *v;
	uint64_t next_id = 1, procs, holds;
	size_t kept = 0;

	if (!store) {
		store_discard(p->fds, p->names, p->n);
		return;
	}
	ssize_t n = store_restore(store, p->fds, p->names, p->n, &v, &next_id);

	registry_set_store(reg, store, next_id);
	if (n < 0)
		log_error("cannot read the stored state: %s; starting empty", strerror((int)-n));
	for (ssize_t i = 0; i < n; i++) {
		struct tag *t;
		int r = registry_restore(reg, &v[i].tag, v[i].fd, &t);
		v[i].fd = -1; /* taken, whatever happened */
		if (r < 0) {
			log_warning("cannot restore tag %s: %s", v[i].tag.name, strerror(-r));
			store_tag_destroyed(store, v[i].tag.id, v[i].tag.fd_generation);
			continue;
		}
		for (size_t k = 0; k < v[i].n_holds; k++)
			if (restore_add(rs, t, v[i].holds[k].pid, v[i].holds[k].count) < 0)
				log_warning("out of memory: a holder of %s is forgotten",
				            v[i].tag.name);
		kept += registry_settle(reg, t);
	}
	store_restored_free(v, n > 0 ? (size_t)n : 0);
	restore_watch(rs);
	restore_counts(rs, &procs, &holds);
	if (n > 0)
		log_notice("restored %zu tags from the service manager's store; %llu holds of %llu "
		           "processes await re-claim",
		           kept, (unsigned long long)holds, (unsigned long long)procs);
}

/* Many clients each hold a connection, so lift the soft descriptor limit to the hard one. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void signal_cb(uv_signal_t *h, int signum)
{
	log_notice("%s: shutting down", strsignal(signum));
	uv_stop(h->loop);
}

int main(int argc, char **argv)
{
	struct options o = {.socket_mode = 0666};
	struct registry *reg = NULL;
	struct store *store = NULL;
	struct restore *rs = NULL;
	struct server srv;
	uv_signal_t sigterm, sigint;
	int r, fd;

	registry_default_limits(&o.reg);
	server_default_limits(&o.srv);
	if (parse_options(argc, argv, &o) < 0)
		return 2;
	if (!o.socket_path)
		o.socket_path = getenv("MMAPD_SOCKET") && *getenv("MMAPD_SOCKET")
		                        ? getenv("MMAPD_SOCKET")
		                        : MMAPD_SOCKET_DEFAULT;
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();

	struct passed passed;
	r = take_passed(&passed);
	if (r < 0) {
		log_error("cannot take the descriptors systemd passed: %s", strerror(-r));
		return 1;
	}
	fd = passed.listen_fd;
	bool own_socket = fd == -ENOENT;
	if (own_socket)
		fd = listen_on(o.socket_path, o.socket_mode);
	if (fd < 0) {
		log_error("cannot listen on %s: %s", o.socket_path,
		          fd == -EADDRINUSE
		                  ? "another mmapd, or something that is not a socket, is there"
		                  : strerror(-fd));
		return 1;
	}
	r = store_open(&store, uv_default_loop());
	/* systemd 254 and later say how many descriptors the store takes; one per tag must fit
	 * (with systemd 252 the unit's FileDescriptorStoreMax= is the only guard). */
	const char *fdstore = getenv("FDSTORE");
	unsigned long long room = fdstore ? strtoull(fdstore, NULL, 10) : 0;
	if (store && fdstore && room > STORE_SPARE && o.reg.max_tags > room - STORE_SPARE) {
		log_warning("the fd store takes %llu descriptors: at most %llu tags", room,
		            room - STORE_SPARE);
		o.reg.max_tags = room - STORE_SPARE;
	}
	if (r == 0)
		r = registry_create(&reg, &o.reg);
	if (r == 0)
		r = restore_create(&rs, uv_default_loop(), reg, store);
	if (r == 0)
		restore_tags(reg, store, rs, &passed);
	passed_free(&passed);
	if (r < 0 || (r = server_init(&srv, uv_default_loop(), reg, &o.srv, fd)) < 0) {
		log_error("cannot start: %s", strerror(-r));
		return 1;
	}
	srv.store = store;
	srv.restore = rs;
	server_compact_store(&srv);
	uv_signal_init(uv_default_loop(), &sigterm);
	uv_signal_start(&sigterm, signal_cb, SIGTERM);
	uv_signal_init(uv_default_loop(), &sigint);
	uv_signal_start(&sigint, signal_cb, SIGINT);

	log_notice("listening on %s%s", own_socket ? o.socket_path : "a socket from systemd",
	           own_socket ? "" : " (socket activation)");
	sd_notifyf(0, "READY=1\nSTATUS=serving on %s", own_socket ? o.socket_path : "socket");
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);

	sd_notify(0, "STOPPING=1");
	/* What the store holds now is what a restart brings back: nothing more is removed. */
	store_free(store);
	srv.store = NULL;
	registry_set_store(reg, NULL, 0);
	server_finish(&srv);
	restore_destroy(rs);
	registry_destroy(reg);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_close((uv_handle_t *)&sigint, NULL);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	uv_loop_close(uv_default_loop());
	if (own_socket)
		unlink(o.socket_path);
	return 0;
}
