/* pbwriter.h: protobuf bytes written by hand, for the tests that need a packet the encoder
 * would refuse to make: a NUL in a name, a string over its bound, an unknown field or
 * operation, a wrong wire type, a packet over the size limit.
 *
 * A field is a key (the varint field << 3 | wire type) and a value: a varint, a varint length
 * and that many bytes, or 8 or 4 fixed bytes. A writer either owns its buffer (pb_new, room
 * for two of the largest packets, released with free()) or writes into the caller's
 * (struct pb b = {buf, 0, sizeof(buf)}). Every write asserts that it fits, so a test that
 * miscounts fails instead of writing past the end.
 *
 * The field numbers are written out again here from mmapd.proto, so a renumbering there fails
 * the tests that use them.
 *
 * Not here: the codec under test (proto/wire.c); the generated protobuf-c code, which no test
 * includes.
 */
#ifndef MMAPC_TESTS_PBWRITER_H
#define MMAPC_TESTS_PBWRITER_H

#include <stddef.h>
#include <stdint.h>

/* Wire types. */
enum { PB_VARINT = 0, PB_64BIT = 1, PB_LEN = 2, PB_32BIT = 5 };

/* Field numbers, from mmapd.proto, by message. */
enum { REQ_VERSION = 1, REQ_ID = 2, REQ_OPEN = 10, REQ_CLOSE = 11, REQ_UNLINK = 13 };
enum { REQ_LIST = 14, REQ_STAT = 15 };
enum { OPEN_NAME = 1, OPEN_LENGTH = 2, OPEN_WRITABLE = 4, OPEN_MODE = 5, CLOSE_HANDLE = 1 };
enum { REP_ID = 1, REP_ERROR = 2, REP_OPEN = 10, REP_LIST = 14, ERR_CODE = 1, ERR_MESSAGE = 2 };
enum { OPENR_KIND = 4, LIST_TAGS = 1, LIST_MORE = 2 };
enum { TAG_NAME = 1, TAG_KIND = 4, TAG_SIZE = 5, TAG_CURSOR = 11 };

/* The n bytes written so far to b, which has room for cap. */
struct pb {
	uint8_t *b;
	size_t n, cap;
};

/* An empty writer with a buffer of its own (2 * WIRE_PACKET_MAX bytes); free() releases both.
 * Fails the test if there is no memory. */
struct pb *pb_new(void);

void pb_varint(struct pb *p, uint64_t v);
void pb_key(struct pb *p, unsigned field, unsigned type);

/* The n bytes of data as they are, with no key (data may be NULL if n is 0). */
void pb_raw(struct pb *p, const void *data, size_t n);

/* A varint field. */
void pb_uint(struct pb *p, unsigned field, uint64_t v);

/* A length-delimited field of the n bytes of data (data may be NULL if n is 0). */
void pb_bytes(struct pb *p, unsigned field, const void *data, size_t n);

/* A length-delimited field of the string s, without its NUL. */
void pb_str(struct pb *p, unsigned field, const char *s);

/* Appends what inner (from pb_new) holds as a message field, and frees inner. */
void pb_msg(struct pb *p, unsigned field, struct pb *inner);

/* One unknown field of each wire type, numbered where no message of mmapd.proto has one
 * (900 to 903). */
void pb_unknown_fields(struct pb *p);

#endif
