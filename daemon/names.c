/* names.c: parsing, validation, hashing and the cursor and display forms of tag names.
 *
 * A name is "Global\NAME" (the system-wide namespace), "Local\NAME" or a bare "NAME" (the
 * caller's own). The prefixes are matched case-sensitively, as Windows does; anything else
 * with a backslash in it ("global\x", "Foo\x", "Global\Local\x") is refused rather than
 * guessed at. The name proper is 1..REGISTRY_NAME_MAX bytes of printable ASCII (0x20..0x7e)
 * other than '/' and '\'. ASCII only, on purpose: global names are shared between users, and
 * with Unicode two users' names could look alike while being different bytes. The registry
 * never turns a name into a path, so '.' and ".." are harmless names; the '/' ban only keeps
 * names from looking like paths in logs and in mmapctl's output.
 *
 * The hash is SipHash-2-4 keyed with 128 random bits drawn at start-up, over the namespace
 * and the name proper: a client that does not know the key cannot choose names that collide.
 *
 * Not here: the table (registry.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "names.h"

#define GLOBAL_PREFIX "Global\\"
#define LOCAL_PREFIX "Local\\"

int names_seed_init(struct names_seed *ret)
{
	uint64_t k[2];
	size_t got = 0;

	while (got < sizeof(k)) {
		ssize_t n = getrandom((char *)k + got, sizeof(k) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	ret->k0 = k[0];
	ret->k1 = k[1];
	return 0;
}

static bool name_byte_ok(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e && c != '/' && c != '\\';
}

int names_parse(const char *full, uid_t uid, struct name_key *ret)
{
	struct name_key key = {.uid = uid};

	if (!full)
		return -EINVAL;
	if (strncmp(full, GLOBAL_PREFIX, strlen(GLOBAL_PREFIX)) == 0) {
		full += strlen(GLOBAL_PREFIX);
		key.global = true;
		key.uid = 0;
	} else if (strncmp(full, LOCAL_PREFIX, strlen(LOCAL_PREFIX)) == 0) {
		full += strlen(LOCAL_PREFIX);
	}
	/* strnlen: a hostile string costs at most REGISTRY_NAME_MAX + 1 bytes of reading. */
	key.len = strnlen(full, REGISTRY_NAME_MAX + 1);
	if (key.len == 0 || key.len > REGISTRY_NAME_MAX)
		return -EINVAL;
	for (size_t i = 0; i < key.len; i++)
		if (!name_byte_ok((unsigned char)full[i]))
			return -EINVAL;
	key.name = full;
	*ret = key;
	return 0;
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

static void sip_block(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

/* The message is one 8-byte block naming the namespace, then the name proper. */
uint64_t names_hash(const struct names_seed *seed, const struct name_key *key)
{
	uint64_t v[4] = {
	        seed->k0 ^ 0x736f6d6570736575ULL,
	        seed->k1 ^ 0x646f72616e646f6dULL,
	        seed->k0 ^ 0x6c7967656e657261ULL,
	        seed->k1 ^ 0x7465646279746573ULL,
	};
	const unsigned char *p = (const unsigned char *)key->name;
	size_t left = key->len;
	uint64_t m;

	sip_block(v, key->global ? UINT64_C(1) << 32 : (uint64_t)key->uid);
	for (; left >= 8; p += 8, left -= 8) {
		memcpy(&m, p, 8);
		sip_block(v, m);
	}
	m = (uint64_t)(key->len + 8) << 56;
	for (size_t i = 0; i < left; i++)
		m |= (uint64_t)p[i] << (8 * i);
	sip_block(v, m);
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int names_cmp(const struct name_key *a, const struct name_key *b)
{
	if (a->global != b->global)
		return a->global ? -1 : 1;
	if (a->uid != b->uid)
		return a->uid < b->uid ? -1 : 1;
	size_t n = a->len < b->len ? a->len : b->len;
	int r = memcmp(a->name, b->name, n);
	if (r)
		return r;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* "g/" or "u/" + the uid in ten digits + "/": fixed width, so that the strcmp order of
 * cursors is the numeric order of uids. Returns the prefix's length. */
static size_t cursor_prefix(const struct name_key *key, char *buf)
{
	buf[1] = '/';
	if (key->global) {
		buf[0] = 'g';
		return 2;
	}
	buf[0] = 'u';
	uint32_t uid = (uint32_t)key->uid;
	for (int i = 11; i >= 2; i--) {
		buf[i] = (char)('0' + uid % 10);
		uid /= 10;
	}
	buf[12] = '/';
	return 13;
}

/* Compares n bytes of seg (which hold no NUL) with the start of *s, as strcmp would, and on
 * a tie moves *s past them. */
static int segment_cmp(const char *seg, size_t n, const char **s)
{
	const unsigned char *a = (const unsigned char *)seg;
	const unsigned char *b = (const unsigned char *)*s;

	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	*s += n;
	return 0;
}

int names_cursor_cmp(const struct name_key *key, const char *cursor)
{
	char prefix[16];
	size_t n = cursor_prefix(key, prefix);
	int r = segment_cmp(prefix, n, &cursor);

	if (r == 0)
		r = segment_cmp(key->name, key->len, &cursor);
	if (r == 0)
		r = *cursor ? -1 : 0;
	return r;
}

void names_cursor(const struct name_key *key, char *buf)
{
	size_t n = cursor_prefix(key, buf);
	memcpy(buf + n, key->name, key->len);
	buf[n + key->len] = '\0';
}

void names_display(const struct name_key *key, char *buf)
{
	size_t n = 0;

	if (key->global) {
		n = strlen(GLOBAL_PREFIX);
		memcpy(buf, GLOBAL_PREFIX, n);
	}
	memcpy(buf + n, key->name, key->len);
	buf[n + key->len] = '\0';
}
