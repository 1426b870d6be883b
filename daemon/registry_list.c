/* registry_list.c: what mmapd's registry tells about all its tags: the pages of
 * registry_list and the counters of registry_stats.
 *
 * A page is the tags a peer may see whose cursor sorts after the one the client sent back
 * (names.c defines the cursor's order), found in one pass over the table with a max-heap of
 * the best page so far: O(n log k) for a page of k, with no allocation and no state kept
 * between pages (the cursor is all a client hands back). Pages longer than LIST_CHUNK take
 * several passes. Each listed tag's size is read afresh (registry_tag_sync_size), since a
 * writer may have grown it.
 *
 * Not here: the table itself, opening, lifetime and resizing (registry.c); the quota's
 * counting (quota.c). Nothing here prints.
 */
#include <string.h>

#include "names.h"
#include "registry_impl.h"
#include "wire.h"

#define LIST_CHUNK 128

static bool visible(const struct tag *t, const struct peer *peer)
{
	return peer->uid == 0 || t->global || t->ns_uid == peer->uid;
}

static int tag_cmp(const struct tag *a, const struct tag *b)
{
	struct name_key ka = tag_key(a), kb = tag_key(b);
	return names_cmp(&ka, &kb);
}

static void swap(struct tag **heap, size_t i, size_t j)
{
	struct tag *tmp = heap[i];
	heap[i] = heap[j];
	heap[j] = tmp;
}

static void heap_sift_down(struct tag **heap, size_t n, size_t i)
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;
		if (l < n && tag_cmp(heap[l], heap[big]) > 0)
			big = l;
		if (r < n && tag_cmp(heap[r], heap[big]) > 0)
			big = r;
		if (big == i)
			return;
		swap(heap, i, big);
		i = big;
	}
}

static void heap_push(struct tag **heap, size_t n, struct tag *t)
{
	heap[n] = t;
	for (size_t i = n; i > 0 && tag_cmp(heap[(i - 1) / 2], heap[i]) < 0; i = (i - 1) / 2)
		swap(heap, i, (i - 1) / 2);
}

/* One pass over the table: the k smallest visible tags after the cursor, in order, kept in
 * a max-heap of k (so O(n log k) per page, with no allocation). Sets *ret_more if there were
 * more than k. */
static size_t list_select(struct registry *reg, const struct peer *peer, const char *after,
                          struct tag **heap, size_t k, bool *ret_more)
{
	size_t n = 0, candidates = 0;

	for (size_t i = 0; i < reg->cap; i++) {
		struct tag *t = reg->slots[i];
		if (!t || !visible(t, peer))
			continue;
		struct name_key key = tag_key(t);
		if (names_cursor_cmp(&key, after) <= 0)
			continue;
		candidates++;
		if (n < k) {
			heap_push(heap, n++, t);
		} else if (k > 0 && tag_cmp(t, heap[0]) < 0) {
			heap[0] = t;
			heap_sift_down(heap, n, 0);
		}
	}
	*ret_more = candidates > n;
	for (size_t m = n; m > 1; m--) {
		swap(heap, 0, m - 1);
		heap_sift_down(heap, m - 1, 0);
	}
	return n;
}

static void list_fill(struct registry *reg, struct tag *t, struct wire_tag_info *info)
{
	struct name_key key = tag_key(t);

	(void)registry_tag_sync_size(reg, t); /* on failure, the size last seen */
	memset(info, 0, sizeof(*info));
	names_display(&key, info->name);
	names_cursor(&key, info->cursor);
	info->global = t->global;
	info->namespace_uid = t->ns_uid;
	info->kind = (enum wire_kind)t->kind;
	info->size = t->size;
	info->holders = t->holders + t->pending;
	info->owner_uid = t->owner_uid;
	info->owner_gid = t->owner_gid;
	info->mode = t->mode;
	info->persistent = t->persistent;
}

_Static_assert(NAMES_CURSOR_MAX <= WIRE_CURSOR_MAX, "a cursor must fit the wire's");
_Static_assert(NAMES_DISPLAY_MAX <= WIRE_NAME_MAX, "a display name must fit the wire's");

size_t registry_list(struct registry *reg, const struct peer *peer, const char *after,
                     struct wire_tag_info *out, size_t max, bool *ret_more)
{
	struct tag *heap[LIST_CHUNK];
	const char *cursor = after ? after : "";
	size_t n = 0;
	bool more = false;

	/* Pages longer than a chunk take several passes, each after the last tag filled. */
	do {
		size_t k = max - n < LIST_CHUNK ? max - n : LIST_CHUNK;
		size_t got = list_select(reg, peer, cursor, heap, k, &more);
		for (size_t i = 0; i < got; i++)
			list_fill(reg, heap[i], &out[n++]);
		if (got < k)
			break;
		if (n > 0)
			cursor = out[n - 1].cursor;
	} while (n < max && more);
	*ret_more = more;
	return n;
}

void registry_stats(struct registry *reg, struct wire_stats *ret)
{
	ret->tags = reg->quota.tags;
	ret->bytes = reg->quota.bytes;
}
