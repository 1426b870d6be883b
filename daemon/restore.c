/* restore.c: pending holds after a restart, per process, watched with pidfds (restore.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "restore.h"
#include "store.h"

struct pending_hold {
	struct tag *tag;
	uint64_t dev, ino;
	uint32_t count;
};

struct pending_proc {
	struct restore *rs;
	struct pending_proc *next, *prev;
	pid_t pid;
	int pidfd;    /* or -1 */
	bool polling; /* poll is initialised (and must be closed) */
	bool watched; /* poll is watching pidfd; else the sweep asks kill() */
	uv_poll_t poll;
	struct pending_hold *holds;
	size_t n, cap;
};

struct restore {
	uv_loop_t *loop;
	struct registry *reg;
	struct store *store;
	struct pending_proc *procs;
};

int restore_create(struct restore **ret, uv_loop_t *loop, struct registry *reg, struct store *store)
{
	struct restore *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return -ENOMEM;
	rs->loop = loop;
	rs->reg = reg;
	rs->store = store;
	*ret = rs;
	return 0;
}

static struct pending_proc *find_proc(const struct restore *rs, pid_t pid)
{
	for (struct pending_proc *p = rs->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

static void proc_closed(uv_handle_t *h)
{
	struct pending_proc *p = h->data;
	if (p->pidfd >= 0)
		close(p->pidfd); /* only now: libuv must let go of a polled descriptor first */
	free(p->holds);
	free(p);
}

/* Unlinks p and frees it (once libuv lets go of its poll handle). */
static void proc_free(struct pending_proc *p)
{
	struct restore *rs = p->rs;

	if (p->prev)
		p->prev->next = p->next;
	else
		rs->procs = p->next;
	if (p->next)
		p->next->prev = p->prev;
	if (p->polling) {
		uv_poll_stop(&p->poll);
		uv_close((uv_handle_t *)&p->poll, proc_closed);
	} else {
		proc_closed((uv_handle_t *)&p->poll);
	}
}

void restore_destroy(struct restore *rs)
{
	if (!rs)
		return;
	while (rs->procs)
		proc_free(rs->procs);
	free(rs);
}

int restore_add(struct restore *rs, struct tag *tag, pid_t pid, uint32_t count)
{
	struct pending_proc *p = find_proc(rs, pid);
	uint64_t dev, ino;

	if (pid <= 0)
		return 0; /* nobody to wait for */
	if (registry_tag_identity(tag, &dev, &ino) < 0)
		dev = ino = 0;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->rs = rs;
		p->pid = pid;
		p->pidfd = -1;
		p->poll.data = p;
		p->next = rs->procs;
		if (rs->procs)
			rs->procs->prev = p;
		rs->procs = p;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4;
		struct pending_hold *h = realloc(p->holds, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		p->holds = h;
		p->cap = cap;
	}
	p->holds[p->n++] =
	        (struct pending_hold){.tag = tag, .dev = dev, .ino = ino, .count = count};
	registry_pend(tag, count);
	return 0;
}

/* Gives back what p still has pending and frees p. */
static void proc_forget(struct pending_proc *p)
{
	struct restore *rs = p->rs;

	for (size_t i = 0; i < p->n; i++) {
		struct pending_hold *h = &p->holds[i];
		if (h->count == 0)
			continue;
		store_drop(rs->store, registry_tag_id(h->tag), p->pid, h->count);
		registry_unpend(rs->reg, h->tag, h->count);
	}
	p->n = 0;
	proc_free(p);
}

static void exited_cb(uv_poll_t *h, int status, int events)
{
	struct pending_proc *p = h->data;

	(void)events;
	if (status < 0) {
		/* Not an exit: watch by pid from now on (the sweep). */
		uv_poll_stop(&p->poll);
		p->watched = false;
		return;
	}
	log_info("pid %d, which held tags before the restart, has exited", (int)p->pid);
	proc_forget(p);
}

void restore_watch(struct restore *rs)
{
	for (struct pending_proc *p = rs->procs, *next; p; p = next) {
		next = p->next;
		int fd = (int)syscall(SYS_pidfd_open, p->pid, 0);
		if (fd < 0 && errno == ESRCH) {
			proc_forget(p);
			continue;
		}
		if (fd < 0) {
			log_warning("cannot watch pid %d with a pidfd (%s): asking by pid instead",
			            (int)p->pid, strerror(errno));
			continue;
		}
		if (uv_poll_init(rs->loop, &p->poll, fd) < 0) {
			close(fd); /* the sweep asks by pid instead */
			continue;
		}
		p->pidfd = fd;
		p->poll.data = p;
		p->polling = true;
		p->watched = uv_poll_start(&p->poll, UV_READABLE, exited_cb) == 0;
	}
}

struct tag *restore_find(struct restore *rs, pid_t pid, uint64_t dev, uint64_t ino)
{
	struct pending_proc *p = rs ? find_proc(rs, pid) : NULL;

	for (size_t i = 0; p && i < p->n; i++)
		if (p->holds[i].count > 0 && p->holds[i].dev == dev && p->holds[i].ino == ino)
			return p->holds[i].tag;
	return NULL;
}

void restore_release(struct restore *rs, pid_t pid, struct tag *tag)
{
	struct pending_proc *p = find_proc(rs, pid);

	for (size_t i = 0; p && i < p->n; i++) {
		struct pending_hold *h = &p->holds[i];
		if (h->tag != tag || h->count == 0)
			continue;
		h->count--;
		store_drop(rs->store, registry_tag_id(tag), pid, 1);
		registry_unpend(rs->reg, tag, 1);
		return;
	}
}

void restore_forget(struct restore *rs, pid_t pid)
{
	struct pending_proc *p = rs ? find_proc(rs, pid) : NULL;
	if (p)
		proc_forget(p);
}

void restore_counts(const struct restore *rs, uint64_t *ret_procs, uint64_t *ret_holds)
{
	*ret_procs = *ret_holds = 0;
	for (const struct pending_proc *p = rs ? rs->procs : NULL; p; p = p->next) {
		(*ret_procs)++;
		for (size_t i = 0; i < p->n; i++)
			*ret_holds += p->holds[i].count;
	}
}

void restore_sweep(struct restore *rs)
{
	for (struct pending_proc *p = rs ? rs->procs : NULL, *next; p; p = next) {
		next = p->next;
		if (!p->watched && kill(p->pid, 0) < 0 && errno == ESRCH)
			proc_forget(p);
	}
}

void restore_snapshot(struct restore *rs, struct store *store)
{
	for (struct pending_proc *p = rs ? rs->procs : NULL; p; p = p->next)
		for (size_t i = 0; i < p->n; i++)
			if (p->holds[i].count)
				store_snap_hold(store, registry_tag_id(p->holds[i].tag), p->pid,
				                p->holds[i].count);
}
