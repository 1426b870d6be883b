/* map_model.h: the reference model fuzz_map.c checks libmmapc's anonymous maps against
 * (map_model.c). Not a general-purpose API: one model, M, for one input at a time. */
#ifndef MMAPC_FUZZ_MAP_MODEL_H
#define MMAPC_FUZZ_MAP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmapc.h"

/* The largest map the harness makes (and so the largest the model holds). */
#define MODEL_MAX (64 * 1024)

/* The model and the harness's own loops are not what the fuzzer should learn from: their
 * coverage would only dilute the library's, and cost time on every byte of a map. noinline,
 * because a function inlined into an instrumented caller is instrumented with it: inlined
 * into expect_bytes, first_difference's comparisons once took half of all the time. */
#define UNINSTRUMENTED __attribute__((no_sanitize("coverage"), noinline))

struct model {
	uint8_t *obj;    /* what the map shows: obj[0..len) (the memfd's bytes, or the private
	                   * copy of them), and past len what a growth would show again */
	size_t obj_size; /* the memfd's size: the largest size the map ever had */
	size_t len;
	int64_t pos;
	int access;
	bool private_map; /* MAP_PRIVATE: pages dropped by a shrink come back as the memfd's */
	bool trackfd;
	bool closed;
	unsigned int pins;
	int64_t offset;
	bool advised; /* a madvise split the mapping: see op_resize */
};

/* The map under test, as the model sees it. */
extern struct model M;
/* sysconf(_SC_PAGESIZE), set by LLVMFuzzerInitialize. */
extern size_t page_size;

/* What mmapc_open should say to an anonymous map asked for so (mmapc.h's order of checks):
 * 0 or a negative errno. */
int model_open(int64_t length, int access, int64_t offset, const struct mmapc_options *o);
void model_start(int64_t length, int access, int64_t offset, const struct mmapc_options *o);

static inline bool writable(void)
{
	return M.access != MMAPC_ACCESS_READ;
}

/* Bytes from the position to the end (0 past it). */
static inline int64_t remaining(void)
{
	return M.pos < (int64_t)M.len ? (int64_t)M.len - M.pos : 0;
}
/* The index of the first byte where a and b differ, or n. */
size_t first_difference(const uint8_t *a, const uint8_t *b, size_t n);
/* find (last false) or rfind (last true) of sub[0..n) in [start, end) (MMAPC_OMIT allowed):
 * the index, or -ENOENT. */
int64_t model_find(const uint8_t *sub, size_t n, int64_t start, int64_t end, bool last);
/* The indices of a slice (into idx, if not NULL) and their count, or -EINVAL for step 0. */
int64_t model_slice(int64_t start, int64_t stop, int64_t step, int64_t *idx);
/* Resizes the model as map.c resizes an anonymous map. */
void model_resize(size_t newsize);
/* The length of the line at the position (through its newline), 0 at the end. */
int64_t model_line(void);

#endif
