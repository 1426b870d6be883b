/* admin.c: the daemon's view of itself, for administration: listing tags, counters, ping.
 *
 * These are the calls mmapctl is built on; they speak the same protocol as everything else
 * (proto/mmapd.proto) over the process's connection (conn.c). A list is fetched a page at a
 * time (at most WIRE_LIST_MAX tags a reply), continuing after the last tag's cursor, so
 * listing never needs more than one packet's worth of memory. Not here: maps (map.c, tag.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "map.h"

static void info_of(const struct wire_tag_info *t, struct mmapc_tag_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->name, sizeof(ret->name), "%s", t->name);
	ret->global = t->global;
	ret->namespace_uid = t->namespace_uid;
	ret->file = t->kind == WIRE_KIND_FILE;
	ret->size = t->size;
	ret->holders = t->holders;
	ret->owner_uid = t->owner_uid;
	ret->owner_gid = t->owner_gid;
	ret->mode = t->mode;
	ret->persistent = t->persistent;
}

/* One request with no descriptor either way, on the connection for socket_path. */
static int call(const char *socket_path, struct wire_request *req, struct wire_reply *rep)
{
	struct conn *c;
	int fd = -1;
	int r = conn_get(socket_path, &c);

	if (r == 0)
		r = conn_call(c, 0, req, -1, rep, &fd, NULL);
	return r;
}

MMAPC_EXPORT int mmapc_list(const char *socket_path,
                            int (*fn)(const struct mmapc_tag_info *info, void *arg), void *arg)
{
	struct wire_request req = {.op = WIRE_LIST};
	struct wire_reply rep;
	struct mmapc_tag_info info;
	bool more = true;

	if (!fn)
		return -EINVAL;
	while (more) {
		int r = call(socket_path, &req, &rep);
		if (r < 0)
			return r;
		for (size_t i = 0; i < rep.n_tags && r == 0; i++) {
			info_of(&rep.tags[i], &info);
			r = fn(&info, arg);
		}
		more = rep.more && rep.n_tags > 0;
		if (rep.n_tags)
			snprintf(req.name, sizeof(req.name), "%s", rep.tags[rep.n_tags - 1].cursor);
		wire_reply_finish(&rep);
		if (r)
			return r;
	}
	return 0;
}

MMAPC_EXPORT int mmapc_stat(const char *socket_path, struct mmapc_stats *ret)
{
	struct wire_request req = {.op = WIRE_STAT};
	struct wire_reply rep;

	if (!ret)
		return -EINVAL;
	int r = call(socket_path, &req, &rep);
	if (r < 0)
		return r;
	*ret = (struct mmapc_stats){
	        .tags = rep.stats.tags,
	        .bytes = rep.stats.bytes,
	        .connections = rep.stats.connections,
	        .requests = rep.stats.requests,
	        .errors = rep.stats.errors,
	        .handles = rep.stats.handles,
	};
	wire_reply_finish(&rep);
	return 0;
}

MMAPC_EXPORT int mmapc_ping(const char *socket_path)
{
	struct wire_request req = {.op = WIRE_PING};
	struct wire_reply rep;
	int r = call(socket_path, &req, &rep);

	if (r < 0)
		return r;
	r = (int)rep.version;
	wire_reply_finish(&rep);
	return r > 0 ? r : -EPROTO;
}
