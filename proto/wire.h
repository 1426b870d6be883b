/* wire.h: the mmapd protocol as plain C structs, and the codec between them and packets.
 *
 * proto/mmapd.proto defines the messages; protobuf-c compiles it into build/ at build time,
 * and wire.c is the only file that includes the generated code. Everything else (the daemon,
 * libmmapc, mmapctl) sees these structs, which own no heap memory except the arrays of a
 * list reply and of a resume request and reply (wire_reply_finish, wire_request_finish).
 *
 * Decoding is strict: a packet that is not a well-formed message, that names no operation,
 * whose strings hold a NUL or exceed their bound, whose arrays are too long, or whose version
 * is not WIRE_VERSION is
 * refused with a negative errno, never half-accepted. A version mismatch is reported
 * separately (-EPROTONOSUPPORT) so that the daemon can answer it with an error the peer
 * understands.
 *
 * Not here: sockets and descriptors (daemon/client.c, client/conn.c), validation of what
 * the fields mean (daemon/registry.c).
 */
#ifndef MMAPD_WIRE_H
#define MMAPD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The protocol version this code speaks. */
#define WIRE_VERSION 1

/* The largest packet either side sends or accepts. */
#define WIRE_PACKET_MAX 65536

/* The longest tag name on the wire, prefix included; registry.c bounds the name itself. */
#define WIRE_NAME_MAX 300

/* The longest list cursor: a name and its namespace (registry.c makes them). */
#define WIRE_CURSOR_MAX (WIRE_NAME_MAX + 24)

/* The longest error message a reply carries. */
#define WIRE_MESSAGE_MAX 200

/* Most tags one list reply carries. A tag with the longest name and cursor and the largest
 * numbers encodes to 693 bytes, so 64 of them fit WIRE_PACKET_MAX (94 would). */
#define WIRE_LIST_MAX 64

enum wire_op {
	WIRE_NONE = 0,
	WIRE_OPEN,
	WIRE_CLOSE,
	WIRE_RESIZE,
	WIRE_UNLINK,
	WIRE_LIST,
	WIRE_STAT,
	WIRE_PING,
	WIRE_RESUME,
};

/* Most holds one resume request names (each encodes to at most 26 bytes). */
#define WIRE_RESUME_MAX 256

struct wire_resume_hold {
	uint64_t dev, ino; /* the memory object, as fstat shows it to the holder */
	bool writable;
};

enum wire_kind {
	WIRE_KIND_ANONYMOUS = 0,
	WIRE_KIND_FILE = 1,
};

struct wire_request {
	uint32_t version;
	uint64_t id;
	enum wire_op op;
	/* WIRE_OPEN and WIRE_UNLINK: the tag; WIRE_LIST: continue after this cursor. */
	char name[WIRE_CURSOR_MAX + 1];
	/* WIRE_OPEN */
	uint64_t length;
	uint64_t offset;
	bool writable;
	uint32_t mode;
	bool persistent;
	bool with_file;
	bool must_exist;
	bool publish; /* with_file: the memfd of an anonymous tag, published again */
	/* WIRE_CLOSE, WIRE_RESIZE */
	uint64_t handle;
	/* WIRE_CLOSE: no reply, whatever happens (the library does not wait for one) */
	bool quiet;
	/* WIRE_RESIZE */
	uint64_t size;
	/* WIRE_RESUME: n_holds of them (at most WIRE_RESUME_MAX); the encoder reads the
	 * caller's array, the decoder allocates one (wire_request_finish frees it). */
	struct wire_resume_hold *holds;
	size_t n_holds;
	bool last;
};

struct wire_tag_info {
	char name[WIRE_NAME_MAX + 1];
	bool global;
	uint32_t namespace_uid;
	enum wire_kind kind;
	uint64_t size;
	uint32_t holders;
	uint32_t owner_uid;
	uint32_t owner_gid;
	uint32_t mode;
	bool persistent;
	char cursor[WIRE_CURSOR_MAX + 1];
};

struct wire_stats {
	uint64_t tags, bytes, connections, requests, errors, handles;
};

struct wire_reply {
	uint64_t id;
	/* The operation this reply answers; WIRE_NONE together with error != 0 for an error. */
	enum wire_op op;
	int error; /* a positive errno, or 0 */
	char message[WIRE_MESSAGE_MAX + 1];
	/* WIRE_OPEN */
	uint64_t handle;
	bool created;
	enum wire_kind kind;
	bool writable;
	uint32_t mode;
	bool persistent;
	/* WIRE_OPEN, WIRE_RESIZE */
	uint64_t size;
	/* WIRE_RESIZE */
	bool replaced;
	/* WIRE_LIST: tags has n_tags entries (at most WIRE_LIST_MAX); decode allocates it. */
	struct wire_tag_info *tags;
	size_t n_tags;
	bool more;
	/* WIRE_STAT */
	struct wire_stats stats;
	/* WIRE_PING */
	uint32_t version;
	/* WIRE_RESUME: one handle per hold asked, 0 where none (decode allocates them) */
	uint64_t *handles;
	size_t n_handles;
};

/* Encode into buf (cap bytes). Returns the packet's length (>= 1, never more than
 * WIRE_PACKET_MAX), or -EMSGSIZE if it does not fit in cap, or -EINVAL for a struct no
 * message can represent (an unknown op; an open's or unlink's name over WIRE_NAME_MAX, a
 * list cursor over WIRE_CURSOR_MAX; more than WIRE_LIST_MAX tags or WIRE_RESUME_MAX holds
 * or handles; an unknown kind).
 * The caller sets req->version (WIRE_VERSION). A reply with error != 0 is encoded as an
 * error whatever its op says. */
int wire_encode_request(const struct wire_request *req, uint8_t *buf, size_t cap);
int wire_encode_reply(const struct wire_reply *rep, uint8_t *buf, size_t cap);

/* Decode a packet. On success fills *ret (zeroing what the packet does not set) and returns
 * 0; on failure returns -EBADMSG (not a valid message, no operation, a string with a NUL or
 * over its bound, too many tags or holds) or, for a request, -EPROTONOSUPPORT (valid, but
 * another version; ret->id is then set, so the error reply can echo it). -ENOMEM if
 * allocation fails. A decoded reply must be released with wire_reply_finish, a decoded
 * request with wire_request_finish. */
int wire_decode_request(const uint8_t *buf, size_t len, struct wire_request *ret);
int wire_decode_reply(const uint8_t *buf, size_t len, struct wire_reply *ret);

/* Free what decoding allocated (a list's tags, a resume's holds or handles) and zero those
 * fields. Safe on a struct decoding did not fill. */
void wire_reply_finish(struct wire_reply *rep);
void wire_request_finish(struct wire_request *req);

/* The name of an op, for logs. */
const char *wire_op_name(enum wire_op op);

#endif
