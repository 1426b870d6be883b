/* store_impl.h: the inside of mmapd's store, shared by store.c (writing) and
 * store_restore.c (reading back at start). Nothing else includes it; see store.h.
 */
#ifndef MMAPD_STORE_IMPL_H
#define MMAPD_STORE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A log smaller than this is never worth compacting. */
#define COMPACT_MIN (64 * 1024)

/* What a compacted log spends on a tag and on a hold, about. */
#define TAG_BYTES 64
#define HOLD_BYTES 24

struct store {
	struct notifier *notifier;
	int log_fd;
	uint64_t log_end;
	uint64_t generation; /* the log's FDNAME is s<generation>; 0: not handed over yet */
	uint64_t n_tags, n_holds;
	bool failed; /* a write failed: compact at the next chance */
	/* during compaction */
	int next_fd;
	uint64_t next_end;
};

/* The FDNAME of a tag's descriptor: t<id>-<generation>. */
void store_fd_name(char *buf, size_t cap, uint64_t id, uint32_t generation);

/* FDSTOREREMOVE=1 for name. */
void store_notify_remove(struct store *s, const char *name);

#endif
