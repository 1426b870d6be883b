/* mmapc.h: the public interface of libmmapc, Python's mmap object in C, with named tags.
 *
 * This is the only header a program needs. A map (mmapc_map) is what Python calls an mmap
 * object: a mapping of anonymous memory or of a file, with a current position and the
 * methods of mmap.mmap, one C function per method, named after it. The behaviour, argument
 * rules and order of checks follow CPython on Linux (see the project's python-mmap-semantics
 * spec), except where section "Deliberate differences" below says otherwise.
 *
 * Errors. Every call that can fail returns a value >= 0 on success or a negative errno. One
 * errno stands for each Python exception class, so a caller (or a Python binding) can always
 * tell which one Python would raise:
 *
 *   -EBADF      ValueError "mmap closed or invalid": any call on a closed map. A closed map
 *               reports this before it looks at any argument.
 *   -EINVAL     ValueError: a position, range or argument out of range.
 *   -ERANGE     IndexError: an item index out of range, a slice assignment of the wrong size.
 *   -EACCES     TypeError "readonly": writing to an ACCESS_READ map, resizing a READ or COPY
 *               map.
 *   -EOVERFLOW  OverflowError: a negative length or offset given to mmapc_open, a
 *               madvise start + length that overflows, a write_byte value outside 0..255.
 *   -EBUSY      BufferError: close or resize while the map is pinned (mmapc_acquire).
 *   -ENOENT     only from mmapc_find and mmapc_rfind, and only to say "not found" (Python's
 *               -1); it is never an error there.
 *   anything else is the errno of a failed system call (OSError), passed through, or of a
 *   daemon's refusal for a tagged map. A NULL map is treated as a closed one (-EBADF).
 *
 * Optional arguments. Where Python has an optional argument, the C call takes MMAPC_OMIT in
 * its place: find's start defaults to the current position, flush's offset and size to the
 * whole map, slices' start, stop and step to Python's defaults, and so on; each call says.
 *
 * Threads. Every call on one map is atomic with respect to the other calls on the same map:
 * a map may be used from several threads at once, and a map closed by one thread while
 * another is inside a call makes the other call fail with -EBADF (or finish first), never
 * touch unmapped memory. Pointers a map hands out (mmapc_data, the _view calls) are borrowed:
 * they stay valid until the map is next resized or closed, which another thread may do at any
 * time unless the map is pinned with mmapc_acquire. The bytes themselves are shared memory:
 * the library does not order one process's (or thread's) stores against another's loads.
 * mmapc_free must not race with any other call on the same map.
 *
 * Fork. A child inherits its parent's maps. MAP_SHARED maps (the default) are the same memory
 * in both, so parent and child see each other's writes. A child must not use a map whose
 * call another thread of the parent was inside at the moment of fork.
 *
 * Tags. A map opened with a tagname (struct mmapc_options) is brokered by mmapd: the first
 * opener of a tag creates it, later ones open the same memory, as on Windows. Maps without a
 * tag never talk to the daemon.
 *
 * Deliberate differences from CPython (each for safety, each documented at its call):
 *   - anonymous maps are backed by a sealed memfd, so a grown shared anonymous map never
 *     raises SIGBUS in any holder, and shrinking never takes memory away from another holder;
 *   - mmapc_size of an anonymous map returns the size of its memory object, not EBADF;
 *   - mmapc_resize(m, 0) is refused with -EINVAL before anything is changed;
 *   - PROT_NONE cannot be asked for (prot 0 means the default), since no method could
 *     touch such a map without a fault;
 *   - flags other than MAP_SHARED, MAP_PRIVATE, MAP_POPULATE, MAP_NORESERVE and MAP_LOCKED
 *     are refused with -EINVAL rather than passed to the kernel.
 */
#ifndef MMAPC_H
#define MMAPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface. */
#define MMAPC_VERSION_MAJOR 0
#define MMAPC_VERSION_MINOR 1

/* Stands for an omitted optional argument wherever a call says it may. (Passing INT64_MIN
 * as a real value is therefore not possible; Python would clamp it to 0 or to the start.) */
#define MMAPC_OMIT INT64_MIN

/* Access modes, as Python's ACCESS_* constants. */
enum mmapc_access {
	MMAPC_ACCESS_DEFAULT = 0, /* follow flags and prot */
	MMAPC_ACCESS_READ = 1,    /* read-only; writes fail with -EACCES */
	MMAPC_ACCESS_WRITE = 2,   /* write-through to the shared memory or file */
	MMAPC_ACCESS_COPY = 3,    /* copy-on-write; the file never changes */
};

/* Bits of mmapc_options.options. */
enum mmapc_option_bits {
	/* Python's trackfd=False: borrow the caller's descriptor instead of dup()ing it. The map
	 * then cannot be resized (-EINVAL) and mmapc_size fails with -EBADF. */
	MMAPC_NOTRACKFD = 1u << 0,
	/* Tagged maps only: a tag this open creates lives until mmapc_unlink, not just while it
	 * is held (the shm_open rule). */
	MMAPC_PERSISTENT = 1u << 1,
	/* Tagged maps only: open the tag if it exists, never create it (-ENOENT). */
	MMAPC_NOCREATE = 1u << 2,
	/* Tagged maps only: create the tag, or fail with -EEXIST if it exists (O_EXCL). */
	MMAPC_EXCL = 1u << 3,
};

/* Everything mmapc_open takes beyond Python's positional arguments. A zeroed struct (or
 * NULL) means every default. The reserved words must be zero, so that later versions can
 * give them a meaning without breaking callers. */
struct mmapc_options {
	int flags;               /* MAP_SHARED or MAP_PRIVATE (| MAP_POPULATE …); 0: MAP_SHARED */
	int prot;                /* PROT_READ | PROT_WRITE …; 0: PROT_READ | PROT_WRITE */
	unsigned int options;    /* enum mmapc_option_bits */
	unsigned int mode;       /* permission bits of a tag this open creates; 0: 0600 */
	const char *tagname;     /* NULL: a local map, no daemon involved */
	const char *socket_path; /* NULL: $MMAPD_SOCKET, else MMAPD_SOCKET_DEFAULT */
	uintptr_t reserved[4];
};

/* The socket mmapd listens on when nothing else is said. The daemon and the library resolve
 * it the same way: the MMAPD_SOCKET environment variable, else this path. */
#define MMAPD_SOCKET_DEFAULT "/run/mmapd/mmapd.sock"

typedef struct mmapc_map mmapc_map;

/* ---- construction and lifetime ---------------------------------------------------------- */

/* Python's mmap(fileno, length, flags, prot, access, offset, trackfd), plus tagname.
 *
 * fileno is an open descriptor, or -1 for anonymous memory. length is the map's length;
 * 0 means "to the end of the file" (or, for a tag that exists, "all of it"). access is an
 * enum mmapc_access; anything other than ACCESS_DEFAULT may not be combined with flags or
 * prot other than their defaults. offset is where in the file the map starts, a multiple of
 * the page size; for local anonymous maps it is only recorded.
 *
 * The caller keeps its descriptor: the map dup()s it (CLOEXEC), or with MMAPC_NOTRACKFD
 * uses it only during this call. On success *ret is a new map, positioned at 0; on failure
 * *ret is untouched.
 *
 * With opts->tagname the map is a view of a tag brokered by mmapd (connected to lazily, see
 * MMAPD_SOCKET_DEFAULT), at offset bytes into it:
 *   - if the tag does not exist it is created: anonymous (fileno -1) at offset + length bytes,
 *     or backed by fileno's file (a regular file; the daemon keeps a descriptor of it), with
 *     opts->mode (default 0600) and, with MMAPC_PERSISTENT, living until mmapc_unlink;
 *   - if it exists, the map shares its memory at its current size: length 0 maps all of it
 *     past offset, a smaller one that much, a larger one is refused (-EFBIG);
 *   - mmapc_created tells which of the two happened.
 * "Global\name" names a tag every user may see (subject to its mode); "name" and
 * "Local\name" name one of the calling user's own. A shared writable map needs read and
 * write permission on the tag; a read-only or copy-on-write one needs read permission, and
 * is given a descriptor that cannot be made writable.
 *
 * Checks, in this order (the first that fails decides the errno):
 *   -EINVAL     ret is NULL, reserved options are not zero, or options hold unknown bits,
 *               or MMAPC_NOCREATE or MMAPC_EXCL without a tagname, or both together;
 *   -EOVERFLOW  length < 0, or offset < 0;
 *   -EINVAL     access given together with non-default flags or prot; access not one of
 *               the four; flags hold other bits than the allowed ones;
 *   -EINVAL     regular file: it is empty and length is 0, offset is at or past its end
 *               with length 0, or offset + length is past its end (the file is never
 *               extended);
 *   -EBADF      fileno is not an open descriptor;
 *   -EINVAL     length 0 for an anonymous map or a non-regular file; offset not a multiple
 *               of the page size;
 *   -EACCES     the descriptor's open mode does not allow the access asked for (for example
 *               an O_RDONLY file mapped with ACCESS_WRITE), or it cannot be mapped (a pipe);
 *   -ENOMEM     no memory for the map;
 *   -ENODEV     the descriptor's file cannot be mapped;
 * and for tagged maps the daemon's refusals:
 *   -EINVAL     a bad tag name (empty, longer than 255 bytes, a '/', a '\' other than the
 *               prefix's, a control character), or a new anonymous tag of length 0, or a
 *               file that is not a regular file, or opts->mode above 0777;
 *   -EEXIST     the tag exists and is backed by another file than fileno's (or by memory),
 *               or it exists and MMAPC_EXCL was given;
 *   -ENOENT     the tag does not exist and MMAPC_NOCREATE was given;
 *   -EACCES     the tag's owner and mode do not allow the access asked for;
 *   -EFBIG      offset + length is larger than the existing tag;
 *   -EDQUOT     creating the tag would exceed a per-user or global quota;
 *   -EMFILE     the connection holds as many tags as the daemon allows one connection;
 *   -EUSERS     the calling user has as many connections to the daemon as it allows one
 *               user (--max-connections-per-user; root is not limited);
 *   -ENOENT, -ECONNREFUSED   no daemon listens on the socket;
 *   -ENAMETOOLONG  the socket path does not fit a sockaddr_un;
 *   -ECONNRESET, -ETIMEDOUT  the daemon went away, or did not answer within 30 s (or
 *               $MMAPC_TIMEOUT_MS milliseconds);
 *   -EPROTO     the daemon answered something this library does not understand. */
int mmapc_open(mmapc_map **ret, int fileno, int64_t length, int access, int64_t offset,
               const struct mmapc_options *opts);

/* Python's close(). Unmaps, closes the map's descriptor and releases a tag's handle. The map
 * stays allocated and every later call fails with -EBADF, except mmapc_close (which does
 * nothing and returns 0), mmapc_closed, mmapc_seekable and mmapc_free. There is no msync:
 * call mmapc_flush first if the file must be on disk.
 * Returns 0, or -EBUSY if the map is pinned (it then stays open). */
int mmapc_close(mmapc_map *m);

/* Python's closed: 1 if the map is closed, 0 if not. */
int mmapc_closed(mmapc_map *m);

/* Closes the map (even if it is pinned) and frees it. m may be NULL. */
void mmapc_free(mmapc_map *m);

/* ---- the file-like interface -------------------------------------------------------------- */

/* Python's read(n): copies up to n bytes from the current position into buf, advances the
 * position by as many, and returns that count. Returns 0 at or past the end. */
int64_t mmapc_read(mmapc_map *m, void *buf, size_t n);

/* The zero-copy form of read: sets *ret_data to the map's bytes at the current position (to
 * the end of the map if the position is past it) and returns how many may be read there, at
 * most n; n < 0 or MMAPC_OMIT means all that remain. Advances the position by as many. The
 * pointer is borrowed (see Threads). *ret_data is untouched on failure. */
int64_t mmapc_read_view(mmapc_map *m, int64_t n, const void **ret_data);

/* Python's read_byte(): the byte at the position (0..255), advancing the position by one.
 * -EINVAL at or past the end. */
int mmapc_read_byte(mmapc_map *m);

/* Python's readline(), in getline(3)'s form: copies the bytes from the position up to and
 * including the next '\n' (or to the end of the map if there is none) into *lineptr, grows
 * *lineptr with realloc(3) as needed (it may be NULL with *n 0; the caller frees it), adds
 * a terminating NUL that is not counted, advances the position, and returns the line's
 * length: 0 at or past the end. -EINVAL if lineptr or n is NULL, -ENOMEM if it cannot grow
 * the buffer (the position is then unchanged). */
int64_t mmapc_readline(mmapc_map *m, char **lineptr, size_t *n);

/* The zero-copy form of readline: sets *ret_line to the line's first byte in the map and
 * returns its length (0 at or past the end). The line is not NUL-terminated. */
int64_t mmapc_readline_view(mmapc_map *m, const void **ret_line);

/* Python's write(data): copies n bytes to the position and advances it; returns n.
 * -EACCES on a READ map; -EINVAL if they do not all fit (nothing is written). */
int64_t mmapc_write(mmapc_map *m, const void *data, size_t n);

/* Python's write_byte(value): writes one byte at the position and advances it. Returns 0.
 * Checks, in order: -EOVERFLOW if value is outside 0..255; -EACCES on a READ map; -EINVAL at
 * or past the end. */
int mmapc_write_byte(mmapc_map *m, int value);

/* Python's seek(dist, whence): whence is SEEK_SET, SEEK_CUR or SEEK_END. Returns the new
 * position. -EINVAL for another whence, an overflowing sum, or a result below 0 or past the
 * end (the end itself is allowed); the position is then unchanged. */
int64_t mmapc_seek(mmapc_map *m, int64_t dist, int whence);

/* Python's tell(): the position. It may be past the end after the map shrank. */
int64_t mmapc_tell(mmapc_map *m);

/* Python's seekable(): always 1, even on a closed map. */
int mmapc_seekable(mmapc_map *m);

/* ---- searching ---------------------------------------------------------------------------- */

/* Python's find(sub, start, end): the lowest index i in [start, end) at which the n bytes of
 * sub begin, or -ENOENT if there is none. start defaults (MMAPC_OMIT) to the position, end to
 * the length; a negative one counts from the end; both are then clamped to [0, len]. An empty
 * sub is found at start (when start <= end). The position does not move. */
int64_t mmapc_find(mmapc_map *m, const void *sub, size_t n, int64_t start, int64_t end);

/* Python's rfind(sub, start, end): as mmapc_find, but the highest index. An empty sub is
 * found at end. */
int64_t mmapc_rfind(mmapc_map *m, const void *sub, size_t n, int64_t start, int64_t end);

/* ---- the sequence interface --------------------------------------------------------------- */

/* Python's len(m): the length of the map. */
int64_t mmapc_len(mmapc_map *m);

/* Python's m[i]: the byte at index i (0..255); a negative i counts from the end.
 * -ERANGE if i is out of range. */
int mmapc_getitem(mmapc_map *m, int64_t i);

/* Python's m[i] = value. Checks, in order: -EACCES on a READ map; -ERANGE if i is out of
 * range; -EINVAL if value is outside 0..255. Returns 0. The position does not move. */
int mmapc_setitem(mmapc_map *m, int64_t i, int value);

/* Python's m[start:stop:step], with Python's slice rules: any of the three may be
 * MMAPC_OMIT, negative indices count from the end, out-of-range ones are clamped, step may be
 * negative. Copies min(slice length, bufsize) bytes of the slice to buf (which may be NULL
 * when bufsize is 0) and returns the slice's length, so that a call with bufsize 0 sizes the
 * buffer, as snprintf(3) does. -EINVAL if step is 0. */
int64_t mmapc_getslice(mmapc_map *m, int64_t start, int64_t stop, int64_t step, void *buf,
                       size_t bufsize);

/* Python's m[start:stop:step] = data: n must equal the slice's length. Checks, in order:
 * -EACCES on a READ map; -EINVAL if step is 0; -ERANGE if n is not the slice's length.
 * Returns 0. */
int mmapc_setslice(mmapc_map *m, int64_t start, int64_t stop, int64_t step, const void *data,
                   size_t n);

/* ---- memory operations -------------------------------------------------------------------- */

/* Python's move(dest, src, count): memmove within the map. Checks, in order: -EACCES on a
 * READ map; -EINVAL if an argument is negative or a range does not fit. Returns 0. */
int mmapc_move(mmapc_map *m, int64_t dest, int64_t src, int64_t count);

/* Python's flush(offset, size): msync(MS_SYNC) of [offset, offset + size). offset defaults
 * (MMAPC_OMIT) to 0 and size to the length: so, as in Python, a given offset > 0 needs a
 * size too. -EINVAL if either is negative or the range passes the end, or (from msync) offset
 * is not a page multiple. READ and COPY maps return 0 without a system call. */
int mmapc_flush(mmapc_map *m, int64_t offset, int64_t size);

/* Python's madvise(option, start, length): start defaults to 0, length to the rest of the
 * map, and is clipped to it. -EINVAL if start is negative or not below the length, or
 * length is negative; -EOVERFLOW if start + length overflows; the errno of madvise(2)
 * otherwise (-EINVAL for an unaligned start or an unknown option). */
int mmapc_madvise(mmapc_map *m, int option, int64_t start, int64_t length);

/* Python's size(): for a file-backed map, the size of the whole file now (not of the map);
 * for an anonymous or tagged map, the size of its shared memory object now, which shows a
 * growth made by another holder (adopt it with mmapc_resize). -EBADF for a MMAPC_NOTRACKFD
 * map, as in Python. */
int64_t mmapc_size(mmapc_map *m);

/* Python's resize(newsize). Checks, in order: -EBUSY if the map is pinned; -EINVAL for a
 * MMAPC_NOTRACKFD map; -EACCES for a READ or COPY map (and for a tagged map whose hold is
 * read-only); -EINVAL if newsize <= 0 (0 is refused before anything changes). Then:
 *   file-backed: the file becomes exactly offset + newsize bytes and the map newsize bytes;
 *   anonymous: the map becomes newsize bytes. Growth is made in the shared memory object,
 *     so every holder (a forked child, say) can adopt it; bytes past the object's old size
 *     read as zero. Shrinking only shortens this map: the object is sealed against shrinking
 *     so that no other holder can fault, and mmapc_size still shows its larger size (so a
 *     map that grows back within it sees the bytes that are still there);
 *   tagged: the tag becomes offset + newsize bytes, through the daemon. Growth is seen by
 *     every holder in mmapc_size, and each adopts it with its own resize (to
 *     mmapc_size(m) - mmapc_offset(m), or any size up to that, which asks nothing of the
 *     daemon). A shrink of the tag is refused with -EBUSY while another holder exists; the
 *     only holder's shrink moves the contents to a new, smaller memory object (so a forked
 *     child that inherited the map, which holds nothing itself, keeps the old one). -EDQUOT if growth passes a quota; -ESTALE
 *     if the map outlived its hold (inherited across fork, or from before a daemon restart)
 *     and the tag's name no longer leads to its memory.
 * The position is not changed, so it may be past the end afterwards. A failed resize changes
 * nothing: -ENOMEM if the address space cannot hold the new size, else the failed system
 * call's errno; the map keeps its old length and the memory object its old size. A map whose
 * kernel mapping was split (mmapc_madvise on part of it) still grows if it is shared (it is
 * mapped afresh); a private one then fails with -EFAULT, as Python's does. */
int mmapc_resize(mmapc_map *m, int64_t newsize);

/* ---- zero-copy access and pinning ------------------------------------------------------- */

/* The map's first byte, borrowed until the next resize or close (see Threads), or NULL if
 * the map is closed. */
void *mmapc_data(mmapc_map *m);

/* Pins the map, as a Python buffer export does: until the matching mmapc_release, close and
 * resize fail with -EBUSY, so the pointer and length stored in *ret_data and *ret_len
 * (either may be NULL) stay valid. Pins nest. Returns 0 or -EBADF. */
int mmapc_acquire(mmapc_map *m, void **ret_data, size_t *ret_len);

/* Undoes one mmapc_acquire. Returns 0, or -EINVAL if the map is not pinned. */
int mmapc_release(mmapc_map *m);

/* ---- what a map is ------------------------------------------------------------------------ */

/* 1 if the mmapc_open that made this tagged map created its tag, 0 if the tag existed (or the
 * map is not tagged). */
int mmapc_created(mmapc_map *m);

/* Removes a tag's name from the daemon at once, as shm_unlink does: the memory lives on
 * while maps of it remain, and the name is free for a new tag. This is how a persistent tag
 * ends. socket_path as in struct mmapc_options (NULL: the default). Returns 0, or -EINVAL (a
 * bad name), -ENOENT (no such tag), -EPERM (the caller neither owns it nor is root), or a
 * connection failure as mmapc_open lists them. */
int mmapc_unlink(const char *tagname, const char *socket_path);

/* The access the map was opened with, as Python records it (enum mmapc_access). */
int mmapc_access(mmapc_map *m);

/* The file (or tag) offset of the map's first byte, as given to mmapc_open. */
int64_t mmapc_offset(mmapc_map *m);

/* ---- the daemon's view, for administration (mmapctl) ----------------------------------- */

/* One tag as mmapc_list reports it. */
struct mmapc_tag_info {
	char name[304];         /* "Global\\name", or the bare name of a per-user tag */
	int global;             /* 1 for a Global\\ tag */
	uint32_t namespace_uid; /* the user whose namespace a per-user tag is in */
	int file;               /* 1 for a file-backed tag, 0 for anonymous memory */
	uint64_t size;          /* bytes */
	uint32_t holders;       /* processes holding it (one hold per process and tag) */
	uint32_t owner_uid;
	uint32_t owner_gid;
	uint32_t mode;  /* permission bits */
	int persistent; /* lives until mmapc_unlink */
};

/* Calls fn for every tag the daemon shows the caller (the global ones and the caller's own;
 * root sees all), in a stable order, until fn returns non-zero, which mmapc_list then
 * returns. socket_path as in struct mmapc_options. Returns 0 when every tag was passed,
 * -EINVAL if fn is NULL, or a connection failure as mmapc_open lists them. The info is
 * valid during the call only. */
int mmapc_list(const char *socket_path, int (*fn)(const struct mmapc_tag_info *info, void *arg),
               void *arg);

/* The daemon's counters. */
struct mmapc_stats {
	uint64_t tags;        /* tags alive */
	uint64_t bytes;       /* bytes of anonymous tags */
	uint64_t connections; /* clients connected now */
	uint64_t requests;    /* requests received since start */
	uint64_t errors;      /* requests refused since start */
	uint64_t handles;     /* holds of all clients */
};

/* Fills *ret with the daemon's counters. Returns 0, -EINVAL if ret is NULL, or a connection
 * failure. */
int mmapc_stat(const char *socket_path, struct mmapc_stats *ret);

/* Asks the daemon for its protocol version: returns it (> 0), or a connection failure. */
int mmapc_ping(const char *socket_path);

#ifdef __cplusplus
}
#endif

#endif /* MMAPC_H */
