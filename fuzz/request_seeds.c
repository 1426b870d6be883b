/* request_seeds.c: the seed corpus of fuzz_request: a valid input of every kind, written as
 * fuzz_request.c reads its input (a configuration byte, a peers byte, then records: a raw
 * packet is a byte naming the connection (i << 2), an attachment byte choosing descriptors,
 * a 16-bit length and the packet). The seeds are each op alone, a tag's life across two
 * connections, file-backed and published tags, a re-claim of restored tags with a throttled
 * connection, and protocol errors.
 *
 * Not here: reading an input (fuzz_request.c); the committed corpus (fuzz/corpus/request),
 * which grew from these seeds.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "request_seeds.h"
#include "wire.h"

#define FAIL(...) \
	do { \
		fprintf(stderr, "fuzz_request: seeds: " __VA_ARGS__); \
		fprintf(stderr, "\n"); \
		abort(); \
	} while (0)

struct seed {
	uint8_t buf[4096];
	size_t n;
};

static void put(struct seed *s, const void *p, size_t n)
{
	if (s->n + n > sizeof(s->buf))
		FAIL("seed too long");
	memcpy(s->buf + s->n, p, n);
	s->n += n;
}

/* A raw-packet record of req on connection i, with an attachment byte. */
static void put_request(struct seed *s, int i, uint8_t attach, const struct wire_request *req)
{
	uint8_t enc[1024];
	int n = wire_encode_request(req, enc, sizeof(enc));
	if (n <= 0)
		FAIL("seed request does not encode");
	uint8_t head[4] = {(uint8_t)(i << 2), attach, (uint8_t)n, (uint8_t)(n >> 8)};
	put(s, head, 4);
	put(s, enc, (size_t)n);
}

static void write_seed(const char *dir, const char *name, const struct seed *s)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s->buf, 1, s->n, f) != s->n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static struct wire_request request(enum wire_op op, uint64_t id, const char *name)
{
	struct wire_request r = {.version = WIRE_VERSION, .id = id, .op = op};
	snprintf(r.name, sizeof(r.name), "%s", name);
	return r;
}

void request_write_seeds(const char *dir)
{
	const uint64_t first = (UINT64_C(1) << 32) | 1; /* the first handle a connection gets */
	static const char *const op_names[] = {"",     "open", "close", "resize", "unlink",
	                                       "list", "stat", "ping",  "resume"};
	struct wire_resume_hold holds[1] = {{.dev = 0, .ino = 0, .writable = true}};
	struct wire_request r;
	struct seed s;

	mkdir(dir, 0777);
	/* Each op alone, as its own packet. */
	for (int op = WIRE_OPEN; op <= WIRE_RESUME; op++) {
		s = (struct seed){.buf = {0, 0}, .n = 2};
		r = request((enum wire_op)op, 1, op == WIRE_LIST ? "" : "a");
		r.length = 4096;
		r.writable = true;
		r.handle = first;
		r.size = 8192;
		if (op == WIRE_RESUME) {
			r.holds = holds;
			r.n_holds = 1;
			r.last = true;
		}
		put_request(&s, 0, 0, &r);
		char name[64];
		snprintf(name, sizeof(name), "op-%s", op_names[op]);
		write_seed(dir, name, &s);
	}

	/* A tag's life: open, a second open on the other connection, resize, list, stat, close,
	 * unlink, ping. */
	s = (struct seed){.buf = {0, 0}, .n = 2};
	r = request(WIRE_OPEN, 1, "Global\\life");
	r.length = 8192;
	r.writable = true;
	r.mode = 0666;
	r.persistent = true;
	put_request(&s, 0, 0, &r);
	r.id = 2;
	r.length = 0;
	put_request(&s, 1, 0, &r);
	r = request(WIRE_RESIZE, 3, "");
	r.handle = first;
	r.size = 16384;
	put_request(&s, 0, 0, &r);
	r = request(WIRE_LIST, 4, "");
	put_request(&s, 0, 0, &r);
	r = request(WIRE_STAT, 5, "");
	put_request(&s, 1, 0, &r);
	r = request(WIRE_CLOSE, 6, "");
	r.handle = first;
	put_request(&s, 1, 0, &r);
	r = request(WIRE_RESIZE, 7, "");
	r.handle = first;
	r.size = 4096;
	put_request(&s, 0, 0, &r);
	r = request(WIRE_UNLINK, 8, "Global\\life");
	put_request(&s, 0, 0, &r);
	r = request(WIRE_CLOSE, 9, "");
	r.handle = first;
	r.quiet = true;
	put_request(&s, 0, 0, &r);
	r = request(WIRE_PING, 10, "");
	put_request(&s, 0, 0, &r);
	write_seed(dir, "life", &s);

	/* File-backed tags: a read-write file, then the same one read-only; a published memfd. */
	s = (struct seed){.buf = {0, 0}, .n = 2};
	r = request(WIRE_OPEN, 1, "file");
	r.with_file = true;
	r.writable = true;
	put_request(&s, 0, 0x80 | 2, &r);
	r.id = 2;
	r.writable = false;
	put_request(&s, 0, 0x80 | 3, &r);
	r = request(WIRE_OPEN, 3, "published");
	r.with_file = true;
	r.writable = true;
	put_request(&s, 0, 0x80 | 0, &r);
	r = request(WIRE_RESIZE, 4, "");
	r.handle = first;
	r.size = 4096;
	put_request(&s, 0, 0, &r);
	write_seed(dir, "files", &s);

	/* Restored tags re-claimed (config bit 8), then a throttled connection. */
	s = (struct seed){.buf = {8, 0}, .n = 2};
	put(&s, (const uint8_t[]){0x01, 0x00, 0x07, 0x20, 0x01, 0x02, 0x00, 0x05}, 8);
	r = request(WIRE_OPEN, 2, "r0");
	r.writable = true;
	put_request(&s, 0, 0, &r);
	put(&s, (const uint8_t[]){0x1a}, 1); /* hold connection 0's replies */
	for (int k = 0; k < 4; k++) {
		r = request(WIRE_LIST, 3 + (uint64_t)k, "");
		put_request(&s, 0, 0, &r);
	}
	put(&s, (const uint8_t[]){0x22}, 1); /* read them again */
	write_seed(dir, "resume-throttle", &s);

	/* Protocol errors: too many descriptors, an oversize packet, garbage, an empty packet. */
	s = (struct seed){.buf = {0, 0}, .n = 2};
	r = request(WIRE_PING, 1, "");
	put_request(&s, 0, 0x80 | 0x70 | 7, &r);
	put(&s, (const uint8_t[]){0x04, 0x00, 0xff, 0xff}, 4);
	put(&s, (const uint8_t[]){0x00, 0x87, 0x03, 0x00, 0xff, 0xff, 0xff}, 7);
	put(&s, (const uint8_t[]){0x12}, 1);
	write_seed(dir, "protocol-errors", &s);
}
