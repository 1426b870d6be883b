/* handlers.c: what mmapd does with each request: decode, check the descriptors that came with
 * it, act through the registry and the connection's handles, queue the reply, log once.
 *
 * Descriptor rules (proto/mmapd.proto): only an open request with with_file set may carry a
 * descriptor, and it must carry exactly one. Anything else that arrives is closed before the
 * request is looked at, and the request is refused with EPROTO; the connection stays up.
 *
 * An undecodable packet is refused with EBADMSG and a version mismatch with EPROTONOSUPPORT;
 * both keep the connection, so a client can tell what went wrong.
 *
 * Not here: sockets and queues (client.c), the rules about tags (registry.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "restore.h"

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

static int do_open(struct client *c, const struct wire_request *req, int file_fd,
                   struct wire_reply *rep, int *ret_fd)
{
	struct registry_open_args args = {
	        .name = req->name,
	        .length = req->length,
	        .offset = req->offset,
	        .writable = req->writable,
	        .mode = req->mode,
	        .persistent = req->persistent,
	        .must_exist = req->must_exist,
	        .publish = req->publish,
	        .borrow_fd = true,
	        .file_fd = file_fd,
	};
	struct registry_opened o;

	int r = registry_open(c->srv->reg, &c->peer, &args, &o);
	if (r < 0)
		return r;
	/* o.fd is the tag's own descriptor (borrow_fd): client_send dups it only if the reply
	 * has to wait in the queue. */
	int64_t handle = client_handle_add(c, o.tag, o.writable);
	if (handle < 0) {
		registry_release(c->srv->reg, o.tag);
		return (int)handle;
	}
	rep->handle = (uint64_t)handle;
	rep->created = o.created;
	rep->size = o.size;
	rep->kind = o.kind;
	rep->writable = o.writable;
	rep->mode = o.mode;
	rep->persistent = o.persistent;
	*ret_fd = o.fd;
	return 0;
}

static int do_close(struct client *c, const struct wire_request *req)
{
	struct handle_slot *slot = client_handle_find(c, req->handle);
	if (!slot)
		return -EBADF;
	client_handle_remove(c, slot);
	return 0;
}

static int do_resize(struct client *c, const struct wire_request *req, struct wire_reply *rep,
                     int *ret_fd)
{
	struct handle_slot *slot = client_handle_find(c, req->handle);
	if (!slot)
		return -EBADF;
	int r = registry_resize(c->srv->reg, slot->tag, slot->writable, req->size, ret_fd);
	if (r < 0)
		return r;
	rep->size = registry_tag_size(slot->tag);
	rep->replaced = *ret_fd >= 0;
	return 0;
}

static int do_list(struct client *c, const struct wire_request *req, struct wire_reply *rep)
{
	static struct wire_tag_info tags[WIRE_LIST_MAX];

	rep->n_tags =
	        registry_list(c->srv->reg, &c->peer, req->name, tags, WIRE_LIST_MAX, &rep->more);
	rep->tags = tags;
	return 0;
}

static void do_stat(struct client *c, struct wire_reply *rep)
{
	rep->stats = c->srv->stats;
	registry_stats(c->srv->reg, &rep->stats);
}

/* Re-claims holds the peer's process had before a restart (restore.h); each it names that
 * the daemon had recorded for it becomes a handle of this connection. */
static int do_resume(struct client *c, const struct wire_request *req, struct wire_reply *rep)
{
	static uint64_t handles[WIRE_RESUME_MAX];
	struct restore *rs = c->srv->restore;
	pid_t pid = c->peer.pid;
	size_t resumed = 0;

	for (size_t i = 0; i < req->n_holds; i++) {
		const struct wire_resume_hold *h = &req->holds[i];
		struct tag *t = restore_find(rs, pid, h->dev, h->ino);
		handles[i] = 0;
		if (!t)
			continue;
		/* The hold first, then the pending one goes: the tag never looks unheld. */
		if (registry_hold(c->srv->reg, &c->peer, t, h->writable) == 0) {
			int64_t handle = client_handle_add(c, t, h->writable);
			if (handle > 0) {
				handles[i] = (uint64_t)handle;
				resumed++;
			} else {
				registry_release(c->srv->reg, t);
			}
		}
		restore_release(rs, pid, t);
	}
	if (req->last)
		restore_forget(rs, pid);
	if (req->n_holds)
		log_info("%s: re-claimed %zu of %zu holds", c->name, resumed, req->n_holds);
	rep->handles = handles;
	rep->n_handles = req->n_holds;
	return 0;
}

/* Runs the request; returns 0 with rep filled (and maybe *ret_fd), or a negative errno. */
static int run(struct client *c, const struct wire_request *req, int file_fd,
               struct wire_reply *rep, int *ret_fd)
{
	switch (req->op) {
	case WIRE_OPEN:
		return do_open(c, req, file_fd, rep, ret_fd);
	case WIRE_CLOSE:
		return do_close(c, req);
	case WIRE_RESIZE:
		return do_resize(c, req, rep, ret_fd);
	case WIRE_UNLINK:
		return registry_unlink(c->srv->reg, &c->peer, req->name);
	case WIRE_LIST:
		return do_list(c, req, rep);
	case WIRE_STAT:
		do_stat(c, rep);
		return 0;
	case WIRE_PING:
		rep->version = WIRE_VERSION;
		return 0;
	case WIRE_RESUME:
		return do_resume(c, req, rep);
	default:
		return -EBADMSG;
	}
}

/* The tag name as it may appear in a log line: a client chooses it, so anything but plain
 * printable ASCII (a newline and a forged "<2>" priority, say) is shown as '?'. */
static const char *loggable(const char *name, char *buf, size_t cap)
{
	size_t i = 0;

	for (; name[i] && i + 1 < cap; i++)
		buf[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	buf[i] = '\0';
	return buf;
}

static const char *describe(int error)
{
	switch (error) {
	case EBADMSG:
		return "malformed request";
	case EPROTONOSUPPORT:
		return "unsupported protocol version";
	case EPROTO:
		return "descriptor missing or not expected";
	case EBADF:
		return "no such handle";
	case EFBIG:
		return "length larger than the existing tag";
	case EDQUOT:
		return "quota exceeded";
	case EUSERS:
		return "too many connections of this user";
	default:
		return strerror(error);
	}
}

void handlers_dispatch(struct client *c, const uint8_t *packet, size_t len, int *fds, size_t n_fds)
{
	struct wire_request req;
	struct wire_reply rep = {0};
	int fd = -1;

	int r = wire_decode_request(packet, len, &req);
	if (c->refused) {
		close_fds(fds, n_fds);
		client_send_error(c, r == 0 ? req.id : 0, c->refused, describe(c->refused), true);
		wire_request_finish(&req);
		return;
	}
	if (r < 0) {
		close_fds(fds, n_fds);
		log_info("%s: refused a request: %s", c->name, describe(-r));
		client_send_error(c, r == -EPROTONOSUPPORT ? req.id : 0, -r, describe(-r), false);
		return;
	}
	bool wants_fd = req.op == WIRE_OPEN && req.with_file;
	if (n_fds != (wants_fd ? 1u : 0u)) {
		close_fds(fds, n_fds);
		r = -EPROTO;
	} else {
		r = run(c, &req, wants_fd ? fds[0] : -1, &rep, &fd);
	}

	char name[64];
	/* A quiet close is answered by nothing, success or not: its sender is not waiting. */
	bool quiet = req.op == WIRE_CLOSE && req.quiet;
	if (r < 0) {
		log_info("%s: %s %s: %s", c->name, wire_op_name(req.op),
		         loggable(req.name, name, sizeof(name)), describe(-r));
		if (quiet)
			c->srv->stats.errors++;
		else
			client_send_error(c, req.id, -r, describe(-r), false);
		wire_request_finish(&req);
		return;
	}
	log_debug("%s: %s %s: ok", c->name, wire_op_name(req.op),
	          loggable(req.name, name, sizeof(name)));
	wire_request_finish(&req);
	if (quiet)
		return;
	rep.id = req.id;
	rep.op = req.op;
	/* An open's descriptor is borrowed from the tag; a resize's new memfd is ours to give. */
	client_send(c, &rep, fd, req.op == WIRE_OPEN);
}
