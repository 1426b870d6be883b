/* state.h: mmapd's state records as plain C structs, and their framing in the state log that
 * lives in systemd's file-descriptor store (daemon/store.c writes and replays it).
 *
 * proto/state.proto defines the messages; state.c is the only file that includes the code
 * protobuf-c generates from it. A framed record is a 4-byte little-endian length, a 4-byte
 * CRC-32 of the payload and the payload, so that a record torn by a crash in the middle of
 * its write is recognised and the log read up to it. The log starts with STATE_MAGIC.
 *
 * Not here: the log file, the store and what the records mean to the registry.
 */
#ifndef MMAPD_STATE_H
#define MMAPD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first bytes of a state log; another version would change the last digit. */
#define STATE_MAGIC "mmapdst1"
#define STATE_MAGIC_LEN 8

/* The longest name proper a record carries (registry.h's REGISTRY_NAME_MAX). */
#define STATE_NAME_MAX 255

/* The largest framed record: a tag with the longest name and the largest numbers. */
#define STATE_RECORD_MAX 512

enum state_op {
	STATE_TAG = 1,
	STATE_UNLINKED,
	STATE_DESTROYED,
	STATE_REPLACED,
	STATE_HOLD,
	STATE_DROP,
};

struct state_tag {
	uint64_t id;
	uint32_t fd_generation;
	char name[STATE_NAME_MAX + 1]; /* NUL-terminated; name_len bytes */
	size_t name_len;
	bool global;
	uint32_t ns_uid;
	uint32_t owner_uid;
	uint32_t owner_gid;
	uint32_t mode;
	uint32_t kind;
	bool persistent;
	bool fd_readonly;
	bool fd_writable;
	bool unlinked;
};

struct state_record {
	enum state_op op;
	uint64_t id;            /* every op but STATE_TAG (whose id is tag.id) */
	uint32_t fd_generation; /* STATE_REPLACED */
	uint32_t pid;           /* STATE_HOLD, STATE_DROP */
	uint32_t count;         /* STATE_HOLD, STATE_DROP: at least 1 */
	struct state_tag tag;   /* STATE_TAG */
};

/* Encodes rec, framed, into buf (cap bytes). Returns the framed length, -EMSGSIZE if it does
 * not fit, or -EINVAL for a record no message can represent (an unknown op, a name that is
 * empty or longer than STATE_NAME_MAX). */
int state_encode(const struct state_record *rec, uint8_t *buf, size_t cap);

/* The frame's checksum: the common CRC-32 (reflected, polynomial 0xEDB88320) of n bytes. */
uint32_t state_crc32(const uint8_t *p, size_t n);

/* Decodes the framed record at the start of buf (len bytes). Returns its framed length with
 * *ret filled, 0 at the end of the log (fewer than 8 bytes left, or a zero length: the
 * unwritten rest of the file), or -EBADMSG for a record that is torn, corrupt or not one
 * this code knows. -ENOMEM if allocation fails. */
int state_decode(const uint8_t *buf, size_t len, struct state_record *ret);

#endif
