/* fuzz_reply.c: libFuzzer harness for the decoders that read bytes from another process: the
 * reply decoder libmmapc runs on whatever comes from the daemon's socket, the request decoder
 * the daemon runs on whatever a client sends, and the state-record decoder the daemon runs on
 * the log it finds in systemd's fd store after a restart.
 *
 * The first byte of an input says which decoder the rest goes to:
 *   0  wire_decode_reply
 *   1  wire_decode_request
 *   2  state_decode, on a log: records decoded one after another, as store_restore reads them
 *   3  state_decode, on one record whose frame (length and CRC-32) the harness writes, so
 *      that mutations reach the protobuf payload instead of dying at the CRC check
 * For whatever decodes, the struct is encoded again, and the encoding decoded again: the two
 * structs must be equal field by field, and a third encoding must be the same bytes as the
 * second (the encoder is canonical). Decoding is also checked to leave the caller's struct
 * untouched on failure (wire.c's promise), except a request's id on -EPROTONOSUPPORT.
 * Anything else is an abort().
 *
 * With MMAPC_FUZZ_SEEDS=<dir> in the environment the harness writes its seed corpus (valid
 * packets and records of every kind) to dir and exits; fuzz/corpus/reply/ was made so.
 *
 * Not here: sockets, descriptors and what the fields mean (fuzz_request.c drives the daemon
 * in process); the generated protobuf-c code is linked as it is built for the project, and
 * libprotobuf-c itself is the system's, not instrumented.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "state.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FAIL(...) \
	do { \
		fprintf(stderr, "fuzz_reply: " __VA_ARGS__); \
		fprintf(stderr, "\n"); \
		abort(); \
	} while (0)

static uint8_t enc1[WIRE_PACKET_MAX], enc2[WIRE_PACKET_MAX];

/* ---- comparisons ------------------------------------------------------------------------- */

#define SAME(f) \
	do { \
		if ((uint64_t)a->f != (uint64_t)b->f) \
			FAIL("round trip changed " #f ": %llu, then %llu", \
			     (unsigned long long)a->f, (unsigned long long)b->f); \
	} while (0)

#define SAME_STR(f) \
	do { \
		if (strcmp(a->f, b->f) != 0) \
			FAIL("round trip changed " #f ": \"%s\", then \"%s\"", a->f, b->f); \
	} while (0)

static void tag_equal(const struct wire_tag_info *a, const struct wire_tag_info *b)
{
	SAME_STR(name);
	SAME_STR(cursor);
	SAME(global);
	SAME(namespace_uid);
	SAME(kind);
	SAME(size);
	SAME(holders);
	SAME(owner_uid);
	SAME(owner_gid);
	SAME(mode);
	SAME(persistent);
}

static void reply_equal(const struct wire_reply *a, const struct wire_reply *b)
{
	SAME(id);
	SAME(op);
	SAME(error);
	SAME_STR(message);
	SAME(handle);
	SAME(created);
	SAME(kind);
	SAME(writable);
	SAME(mode);
	SAME(persistent);
	SAME(size);
	SAME(replaced);
	SAME(n_tags);
	SAME(more);
	SAME(stats.tags);
	SAME(stats.bytes);
	SAME(stats.connections);
	SAME(stats.requests);
	SAME(stats.errors);
	SAME(stats.handles);
	SAME(version);
	SAME(n_handles);
	for (size_t i = 0; i < a->n_tags; i++)
		tag_equal(&a->tags[i], &b->tags[i]);
	for (size_t i = 0; i < a->n_handles; i++)
		SAME(handles[i]);
}

static void request_equal(const struct wire_request *a, const struct wire_request *b)
{
	SAME(version);
	SAME(id);
	SAME(op);
	SAME_STR(name);
	SAME(length);
	SAME(offset);
	SAME(writable);
	SAME(mode);
	SAME(persistent);
	SAME(with_file);
	SAME(publish);
	SAME(must_exist);
	SAME(handle);
	SAME(quiet);
	SAME(size);
	SAME(n_holds);
	SAME(last);
	for (size_t i = 0; i < a->n_holds; i++) {
		SAME(holds[i].dev);
		SAME(holds[i].ino);
		SAME(holds[i].writable);
	}
}

static void record_equal(const struct state_record *a, const struct state_record *b)
{
	SAME(op);
	SAME(id);
	SAME(fd_generation);
	SAME(pid);
	SAME(count);
	if (a->op != STATE_TAG)
		return;
	SAME(tag.id);
	SAME(tag.fd_generation);
	SAME(tag.name_len);
	if (memcmp(a->tag.name, b->tag.name, a->tag.name_len + 1) != 0)
		FAIL("round trip changed a tag's name");
	SAME(tag.global);
	SAME(tag.ns_uid);
	SAME(tag.owner_uid);
	SAME(tag.owner_gid);
	SAME(tag.mode);
	SAME(tag.kind);
	SAME(tag.persistent);
	SAME(tag.fd_readonly);
	SAME(tag.fd_writable);
	SAME(tag.unlinked);
}

/* Whether the n bytes at p all equal c. */
static bool all_bytes(const void *p, size_t n, uint8_t c)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != c)
			return false;
	return true;
}

/* ---- the decoders -------------------------------------------------------------------------- */

/* The poison a failed decode must leave in the caller's struct. */
#define POISON 0xa5

static void check_reply(const uint8_t *data, size_t size)
{
	struct wire_reply a, b;

	memset(&a, POISON, sizeof(a));
	int r = wire_decode_reply(data, size, &a);
	if (r < 0) {
		if (r != -EBADMSG && r != -ENOMEM)
			FAIL("wire_decode_reply: unexpected %d", r);
		if (!all_bytes(&a, sizeof(a), POISON))
			FAIL("wire_decode_reply touched the struct of a failed decode");
		return;
	}
	if (a.n_tags > WIRE_LIST_MAX || a.n_handles > WIRE_RESUME_MAX)
		FAIL("wire_decode_reply let an array past its bound");
	if (strlen(a.message) > WIRE_MESSAGE_MAX)
		FAIL("wire_decode_reply let a message past its bound");
	if ((a.op == WIRE_NONE) != (a.error != 0))
		FAIL("wire_decode_reply: op %d with error %d", a.op, a.error);
	int n1 = wire_encode_reply(&a, enc1, sizeof(enc1));
	if (n1 <= 0)
		FAIL("wire_encode_reply refused a decoded reply: %d", n1);
	memset(&b, POISON, sizeof(b));
	r = wire_decode_reply(enc1, (size_t)n1, &b);
	if (r < 0)
		FAIL("wire_decode_reply refused an encoded reply: %d", r);
	reply_equal(&a, &b);
	int n2 = wire_encode_reply(&b, enc2, sizeof(enc2));
	if (n2 != n1 || memcmp(enc1, enc2, (size_t)n1) != 0)
		FAIL("wire_encode_reply is not canonical: %d bytes, then %d", n1, n2);
	wire_reply_finish(&a);
	wire_reply_finish(&b);
}

static void check_request(const uint8_t *data, size_t size)
{
	struct wire_request a, b;

	memset(&a, POISON, sizeof(a));
	int r = wire_decode_request(data, size, &a);
	if (r == -EPROTONOSUPPORT) {
		/* Only the id may have been written, so that the refusal can echo it. */
		memset(&a.id, POISON, sizeof(a.id));
		r = -EBADMSG;
	}
	if (r < 0) {
		if (r != -EBADMSG && r != -ENOMEM)
			FAIL("wire_decode_request: unexpected %d", r);
		if (!all_bytes(&a, sizeof(a), POISON))
			FAIL("wire_decode_request touched the struct of a failed decode");
		return;
	}
	if (a.version != WIRE_VERSION || a.op == WIRE_NONE || a.n_holds > WIRE_RESUME_MAX)
		FAIL("wire_decode_request accepted version %u op %d holds %zu", a.version, a.op,
		     a.n_holds);
	if (strlen(a.name) > (a.op == WIRE_LIST ? WIRE_CURSOR_MAX : WIRE_NAME_MAX))
		FAIL("wire_decode_request let a name past its bound");
	int n1 = wire_encode_request(&a, enc1, sizeof(enc1));
	if (n1 <= 0)
		FAIL("wire_encode_request refused a decoded request: %d", n1);
	memset(&b, POISON, sizeof(b));
	r = wire_decode_request(enc1, (size_t)n1, &b);
	if (r < 0)
		FAIL("wire_decode_request refused an encoded request: %d", r);
	request_equal(&a, &b);
	int n2 = wire_encode_request(&b, enc2, sizeof(enc2));
	if (n2 != n1 || memcmp(enc1, enc2, (size_t)n1) != 0)
		FAIL("wire_encode_request is not canonical: %d bytes, then %d", n1, n2);
	wire_request_finish(&a);
	wire_request_finish(&b);
}

/* One record at the start of data; returns what state_decode returned. */
static int check_record(const uint8_t *data, size_t size)
{
	struct state_record a, b;
	uint8_t out1[STATE_RECORD_MAX], out2[STATE_RECORD_MAX];

	memset(&a, POISON, sizeof(a));
	int r = state_decode(data, size, &a);
	if (r <= 0) {
		if (r != 0 && r != -EBADMSG && r != -ENOMEM)
			FAIL("state_decode: unexpected %d", r);
		if (!all_bytes(&a, sizeof(a), POISON))
			FAIL("state_decode touched the record of a failed decode");
		return r;
	}
	if ((size_t)r > size || r > STATE_RECORD_MAX)
		FAIL("state_decode consumed %d of %zu bytes", r, size);
	if (a.op == STATE_TAG && (a.tag.name_len == 0 || a.tag.name_len > STATE_NAME_MAX ||
	                          strlen(a.tag.name) != a.tag.name_len))
		FAIL("state_decode let a bad name through");
	if ((a.op == STATE_HOLD || a.op == STATE_DROP) && a.count == 0)
		FAIL("state_decode: a hold of count 0");
	int n1 = state_encode(&a, out1, sizeof(out1));
	if (n1 <= 0)
		FAIL("state_encode refused a decoded record: %d", n1);
	memset(&b, POISON, sizeof(b));
	int r2 = state_decode(out1, (size_t)n1, &b);
	if (r2 != n1)
		FAIL("state_decode of an encoded record: %d, expected %d", r2, n1);
	record_equal(&a, &b);
	int n2 = state_encode(&b, out2, sizeof(out2));
	if (n2 != n1 || memcmp(out1, out2, (size_t)n1) != 0)
		FAIL("state_encode is not canonical");
	return r;
}

/* A log: records one after another until the end or a bad one, as store_restore reads it. */
static void check_log(const uint8_t *data, size_t size)
{
	size_t off = 0;

	while (off < size) {
		int r = check_record(data + off, size - off);
		if (r <= 0)
			break;
		off += (size_t)r;
	}
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* One record whose payload is data: the harness writes the frame. */
static void check_framed(const uint8_t *data, size_t size)
{
	uint8_t buf[8 + STATE_RECORD_MAX];

	if (size > STATE_RECORD_MAX)
		size = STATE_RECORD_MAX;
	put_le32(buf, (uint32_t)size);
	put_le32(buf + 4, state_crc32(data, size));
	memcpy(buf + 8, data, size);
	check_record(buf, size + 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		check_reply(data + 1, size - 1);
		break;
	case 1:
		check_request(data + 1, size - 1);
		break;
	case 2:
		check_log(data + 1, size - 1);
		break;
	default:
		check_framed(data + 1, size - 1);
		break;
	}
	return 0;
}

/* ---- the seed corpus ------------------------------------------------------------------------ */

static void write_seed(const char *dir, const char *name, uint8_t kind, const uint8_t *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(&kind, 1, 1, f) != 1 || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void seed_reply(const char *dir, const char *name, const struct wire_reply *rep)
{
	int n = wire_encode_reply(rep, enc1, sizeof(enc1));
	if (n <= 0)
		FAIL("seed %s does not encode: %d", name, n);
	write_seed(dir, name, 0, enc1, (size_t)n);
}

static void seed_request(const char *dir, const char *name, const struct wire_request *req)
{
	int n = wire_encode_request(req, enc1, sizeof(enc1));
	if (n <= 0)
		FAIL("seed %s does not encode: %d", name, n);
	write_seed(dir, name, 1, enc1, (size_t)n);
}

static void seed_record(const char *dir, const char *name, const struct state_record *rec)
{
	uint8_t buf[STATE_RECORD_MAX];
	int n = state_encode(rec, buf, sizeof(buf));
	if (n <= 0)
		FAIL("seed %s does not encode: %d", name, n);
	write_seed(dir, name, 2, buf, (size_t)n);
	char framed[256];
	snprintf(framed, sizeof(framed), "%s-payload", name);
	write_seed(dir, framed, 3, buf + 8, (size_t)n - 8);
}

static void write_seeds(const char *dir)
{
	static struct wire_tag_info tags[3];
	static uint64_t handles[3] = {1, 0, (UINT64_C(7) << 32) | 3};
	static struct wire_resume_hold holds[2] = {{.dev = 1, .ino = 2, .writable = true},
	                                           {.dev = 3, .ino = 4}};

	mkdir(dir, 0777);
	for (int i = 0; i < 3; i++) {
		snprintf(tags[i].name, sizeof(tags[i].name), i ? "Global\\tag%d" : "tag%d", i);
		snprintf(tags[i].cursor, sizeof(tags[i].cursor), "%d\\tag%d", i ? 0 : 1000, i);
		tags[i].global = i != 0;
		tags[i].namespace_uid = i ? 0 : 1000;
		tags[i].kind = i == 2 ? WIRE_KIND_FILE : WIRE_KIND_ANONYMOUS;
		tags[i].size = 4096u << i;
		tags[i].holders = (uint32_t)i + 1;
		tags[i].owner_uid = tags[i].owner_gid = 1000;
		tags[i].mode = 0600;
		tags[i].persistent = i == 1;
	}

	struct wire_reply rep = {.id = 1, .op = WIRE_NONE, .error = ENOENT};
	snprintf(rep.message, sizeof(rep.message), "No such file or directory");
	seed_reply(dir, "reply-error", &rep);
	rep = (struct wire_reply){.id = 2,
	                          .op = WIRE_OPEN,
	                          .handle = (UINT64_C(1) << 32) | 1,
	                          .created = true,
	                          .size = 4096,
	                          .writable = true,
	                          .mode = 0640,
	                          .persistent = true};
	seed_reply(dir, "reply-open", &rep);
	rep = (struct wire_reply){.id = 3, .op = WIRE_CLOSE};
	seed_reply(dir, "reply-close", &rep);
	rep = (struct wire_reply){.id = 4, .op = WIRE_RESIZE, .size = 8192, .replaced = true};
	seed_reply(dir, "reply-resize", &rep);
	rep = (struct wire_reply){.id = 5, .op = WIRE_UNLINK};
	seed_reply(dir, "reply-unlink", &rep);
	rep = (struct wire_reply){.id = 6, .op = WIRE_LIST, .tags = tags, .n_tags = 3, .more = 1};
	seed_reply(dir, "reply-list", &rep);
	rep = (struct wire_reply){.id = 7, .op = WIRE_STAT, .stats = {1, 2, 3, 4, 5, 6}};
	seed_reply(dir, "reply-stat", &rep);
	rep = (struct wire_reply){.id = 8, .op = WIRE_PING, .version = WIRE_VERSION};
	seed_reply(dir, "reply-ping", &rep);
	rep = (struct wire_reply){.id = 9, .op = WIRE_RESUME, .handles = handles, .n_handles = 3};
	seed_reply(dir, "reply-resume", &rep);

	struct wire_request req = {.version = WIRE_VERSION,
	                           .id = 1,
	                           .op = WIRE_OPEN,
	                           .length = 4096,
	                           .writable = true,
	                           .mode = 0644,
	                           .persistent = true,
	                           .with_file = true,
	                           .must_exist = true};
	snprintf(req.name, sizeof(req.name), "Global\\seed");
	seed_request(dir, "request-open", &req);
	req.publish = true;
	seed_request(dir, "request-publish", &req);
	req = (struct wire_request){.version = WIRE_VERSION,
	                            .id = 2,
	                            .op = WIRE_CLOSE,
	                            .handle = (UINT64_C(1) << 32) | 1,
	                            .quiet = true};
	seed_request(dir, "request-close", &req);
	req = (struct wire_request){.version = WIRE_VERSION,
	                            .id = 3,
	                            .op = WIRE_RESIZE,
	                            .handle = (UINT64_C(1) << 32) | 1,
	                            .size = 8192};
	seed_request(dir, "request-resize", &req);
	req = (struct wire_request){.version = WIRE_VERSION, .id = 4, .op = WIRE_UNLINK};
	snprintf(req.name, sizeof(req.name), "Local\\seed");
	seed_request(dir, "request-unlink", &req);
	req = (struct wire_request){.version = WIRE_VERSION, .id = 5, .op = WIRE_LIST};
	snprintf(req.name, sizeof(req.name), "1000\\seed");
	seed_request(dir, "request-list", &req);
	req = (struct wire_request){.version = WIRE_VERSION, .id = 6, .op = WIRE_STAT};
	seed_request(dir, "request-stat", &req);
	req = (struct wire_request){.version = WIRE_VERSION, .id = 7, .op = WIRE_PING};
	seed_request(dir, "request-ping", &req);
	req = (struct wire_request){.version = WIRE_VERSION,
	                            .id = 8,
	                            .op = WIRE_RESUME,
	                            .holds = holds,
	                            .n_holds = 2,
	                            .last = true};
	seed_request(dir, "request-resume", &req);
	req = (struct wire_request){.version = WIRE_VERSION + 1, .id = 9, .op = WIRE_PING};
	seed_request(dir, "request-version", &req);

	struct state_record rec = {.op = STATE_TAG};
	rec.tag = (struct state_tag){.id = 1,
	                             .fd_generation = 2,
	                             .global = true,
	                             .ns_uid = 0,
	                             .owner_uid = 1000,
	                             .owner_gid = 1000,
	                             .mode = 0644,
	                             .kind = 0,
	                             .persistent = true,
	                             .fd_writable = true};
	snprintf(rec.tag.name, sizeof(rec.tag.name), "seed");
	rec.tag.name_len = 4;
	seed_record(dir, "state-tag", &rec);
	rec = (struct state_record){.op = STATE_UNLINKED, .id = 1};
	seed_record(dir, "state-unlinked", &rec);
	rec = (struct state_record){.op = STATE_DESTROYED, .id = 1};
	seed_record(dir, "state-destroyed", &rec);
	rec = (struct state_record){.op = STATE_REPLACED, .id = 1, .fd_generation = 3};
	seed_record(dir, "state-replaced", &rec);
	rec = (struct state_record){.op = STATE_HOLD, .id = 1, .pid = 1234, .count = 2};
	seed_record(dir, "state-hold", &rec);
	rec = (struct state_record){.op = STATE_DROP, .id = 1, .pid = 1234, .count = 1};
	seed_record(dir, "state-drop", &rec);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("MMAPC_FUZZ_SEEDS");
	if (dir) {
		write_seeds(dir);
		exit(0);
	}
	return 0;
}
