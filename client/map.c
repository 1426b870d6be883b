/* map.c: creating, resizing and closing maps, and the calls that act on the whole mapping.
 *
 * mmapc_open follows CPython's constructor step by step (argument checks, access versus
 * flags/prot, the regular-file size rules, dup, mmap), so that the first failing check
 * decides the errno exactly as Python's first failing check decides the exception.
 *
 * Anonymous maps are not MAP_ANONYMOUS: they map a memfd (MFD_CLOEXEC, sealed F_SEAL_SHRINK).
 * A MAP_SHARED|MAP_ANONYMOUS mapping cannot grow in a way other holders can see (they take
 * SIGBUS past the old end), while a memfd can: resize grows the memfd, and a forked child
 * that sees the new size with mmapc_size adopts it with its own mmapc_resize. The shrink seal
 * means no holder can ever take memory away from another; a shrinking resize only shortens
 * the caller's own mapping, and the memory past it is freed when the last holder closes. The
 * cost is one descriptor per open anonymous map (MMAPC_NOTRACKFD gives it up, and with it
 * resize and size).
 *
 * Not here: per-byte and per-range operations (map_io.c), searching (find.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "map.h"

/* The flag bits a caller may ask for; others (MAP_FIXED, MAP_GROWSDOWN, …) could only
 * break the object's invariants. */
#define ALLOWED_FLAGS (MAP_SHARED | MAP_PRIVATE | MAP_POPULATE | MAP_NORESERVE | MAP_LOCKED)
#define DEFAULT_PROT (PROT_READ | PROT_WRITE)

int map_enter(mmapc_map *m)
{
	if (!m)
		return -EBADF;
	pthread_mutex_lock(&m->lock);
	if (!m->data) {
		pthread_mutex_unlock(&m->lock);
		return -EBADF;
	}
	return 0;
}

static bool options_valid(const struct mmapc_options *o)
{
	for (size_t i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
		if (o->reserved[i])
			return false;
	unsigned int only_tagged = MMAPC_NOCREATE | MMAPC_EXCL;
	if (o->options & ~(unsigned int)(MMAPC_NOTRACKFD | MMAPC_PERSISTENT | only_tagged))
		return false;
	if ((o->options & only_tagged) == only_tagged)
		return false;
	return o->tagname || !(o->options & only_tagged);
}

/* Python's rule: access decides flags and prot unless it is ACCESS_DEFAULT, in which case
 * prot decides the recorded access. */
static int resolve_access(int access, int *flags, int *prot, int *ret_access)
{
	if (access != MMAPC_ACCESS_DEFAULT && (*flags != MAP_SHARED || *prot != DEFAULT_PROT))
		return -EINVAL;
	switch (access) {
	case MMAPC_ACCESS_READ:
		*flags = MAP_SHARED;
		*prot = PROT_READ;
		break;
	case MMAPC_ACCESS_WRITE:
		*flags = MAP_SHARED;
		*prot = DEFAULT_PROT;
		break;
	case MMAPC_ACCESS_COPY:
		*flags = MAP_PRIVATE;
		*prot = DEFAULT_PROT;
		break;
	case MMAPC_ACCESS_DEFAULT:
		if ((*prot & PROT_READ) && (*prot & PROT_WRITE))
			break;
		access = (*prot & PROT_WRITE) ? MMAPC_ACCESS_WRITE : MMAPC_ACCESS_READ;
		break;
	default:
		return -EINVAL;
	}
	int type = *flags & MAP_TYPE;
	if ((*flags & ~ALLOWED_FLAGS) || (type != MAP_SHARED && type != MAP_PRIVATE))
		return -EINVAL;
	*ret_access = access;
	return 0;
}

/* Python's regular-file rules: length 0 means "to the end", and the file is never extended.
 * Anything that is not a regular file (or cannot be fstat()ed) skips them. */
int map_check_file_range(int fileno, int64_t *length, int64_t offset)
{
	struct stat st;

	if (fstat(fileno, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (*length == 0) {
		if (st.st_size == 0 || offset >= st.st_size)
			return -EINVAL;
		*length = st.st_size - offset;
	} else if (offset > st.st_size || st.st_size - offset < *length) {
		return -EINVAL;
	}
	return 0;
}

static int new_memfd(int64_t length)
{
	int fd = memfd_create("mmapc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, length) < 0) {
		/* A length no memory object can have is Python's ENOMEM for a huge map. */
		int r = (errno == EFBIG || errno == EINVAL) ? -ENOMEM : -errno;
		close(fd);
		return r;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static mmapc_map *map_new(void)
{
	mmapc_map *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	m->fd = -1;
	return m;
}

MMAPC_EXPORT int mmapc_open(mmapc_map **ret, int fileno, int64_t length, int access, int64_t offset,
                            const struct mmapc_options *opts)
{
	static const struct mmapc_options defaults;
	int flags, prot, r;

	if (!ret)
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	if (!options_valid(opts))
		return -EINVAL;
	if (length < 0 || offset < 0)
		return -EOVERFLOW;
#if SIZE_MAX < INT64_MAX
	if ((uint64_t)length > SIZE_MAX)
		return -ENOMEM;
#endif
	flags = opts->flags ? opts->flags : MAP_SHARED;
	prot = opts->prot ? opts->prot : DEFAULT_PROT;
	r = resolve_access(access, &flags, &prot, &access);
	if (r < 0)
		return r;

	bool anonymous = fileno == -1 && !opts->tagname;
	bool trackfd = !(opts->options & MMAPC_NOTRACKFD);
	struct map_tag *tag = NULL;
	bool created = false;
	int fd = -1, map_fd;
	if (fileno != -1) {
		r = map_check_file_range(fileno, &length, offset);
		if (r < 0)
			return r;
	}
	if (opts->tagname) {
		/* A shared writable view needs a writable hold; a private one never writes back. */
		if (fileno < -1)
			return -EBADF;
		bool writable = (flags & MAP_TYPE) == MAP_SHARED && (prot & PROT_WRITE);
		if (offset % sysconf(_SC_PAGESIZE))
			return -EINVAL;
		r = tag_open(opts, fileno, &length, offset, writable, &tag, &created);
		if (r < 0)
			return r;
		map_fd = tag->fd;
	} else if (anonymous) {
		if (length == 0 || offset % sysconf(_SC_PAGESIZE))
			return -EINVAL;
		fd = new_memfd(length);
		if (fd < 0)
			return fd;
		map_fd = fd;
	} else {
		if (trackfd) {
			fd = fcntl(fileno, F_DUPFD_CLOEXEC, 3);
			if (fd < 0)
				return -errno;
		}
		map_fd = trackfd ? fd : fileno;
	}

	mmapc_map *m = map_new();
	if (!m) {
		r = -ENOMEM;
		goto fail;
	}
	/* The memfd of an anonymous map lives at offset 0; the offset is only recorded. */
	void *p = mmap(NULL, (size_t)length, prot, flags, map_fd, anonymous ? 0 : offset);
	if (p == MAP_FAILED) {
		r = -errno;
		goto fail;
	}
	if (anonymous && !trackfd) {
		close(fd);
		fd = -1;
	}
	m->data = p;
	m->len = (size_t)length;
	m->offset = offset;
	m->fd = fd;
	m->access = access;
	m->flags = flags;
	m->prot = prot;
	m->anonymous = anonymous;
	m->trackfd = trackfd;
	m->tag = tag;
	m->created = created;
	*ret = m;
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	tag_close(tag);
	if (m) {
		pthread_mutex_destroy(&m->lock);
		free(m);
	}
	return r;
}

/* Unmaps and closes; the caller holds the lock and has checked the map is open. */
static void map_teardown(mmapc_map *m)
{
	munmap(m->data, m->len);
	if (m->fd >= 0)
		close(m->fd);
	tag_close(m->tag);
	m->tag = NULL;
	m->data = NULL;
	m->fd = -1;
	m->pins = 0;
}

MMAPC_EXPORT int mmapc_close(mmapc_map *m)
{
	if (map_enter(m) < 0)
		return 0;
	if (m->pins) {
		map_leave(m);
		return -EBUSY;
	}
	map_teardown(m);
	map_leave(m);
	return 0;
}

MMAPC_EXPORT int mmapc_closed(mmapc_map *m)
{
	if (map_enter(m) < 0)
		return 1;
	map_leave(m);
	return 0;
}

MMAPC_EXPORT void mmapc_free(mmapc_map *m)
{
	if (!m)
		return;
	if (map_enter(m) == 0) {
		map_teardown(m);
		map_leave(m);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

MMAPC_EXPORT int64_t mmapc_size(mmapc_map *m)
{
	struct stat st;
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	/* A tagged map's object is its hold's; MMAPC_NOTRACKFD still means "no size". */
	int fd = m->tag && m->trackfd ? m->tag->fd : m->fd;
	if (fd < 0)
		r = -EBADF;
	else if (fstat(fd, &st) < 0)
		r = -errno;
	else
		r = st.st_size;
	map_leave(m);
	return r;
}

/* Makes the memory object behind an anonymous map at least size bytes long. Another holder
 * may grow it at the same time: if our ftruncate would shrink what it grew, the seal refuses
 * (EPERM) and the object is already long enough (so the size must have changed, else the
 * EPERM is real). */
static int grow_memfd(int fd, int64_t size)
{
	struct stat st;

	for (;;) {
		if (fstat(fd, &st) < 0)
			return -errno;
		if (st.st_size >= size)
			return 0;
		if (ftruncate(fd, size) == 0)
			return 0;
		if (errno != EPERM)
			return errno == EFBIG ? -ENOMEM : -errno;
		struct stat now;
		if (fstat(fd, &now) < 0)
			return -errno;
		if (now.st_size == st.st_size)
			return -EPERM;
	}
}

/* Moves m's mapping to newsize bytes. Growth that the kernel cannot place is -ENOMEM (mremap
 * says EINVAL for a size no address space can hold), as for a huge mmapc_open. */
/* mremap refuses (EFAULT) to grow a range that spans several kernel mappings, which is
 * what madvise with MADV_SEQUENTIAL, MADV_RANDOM and the like makes of part of a map (found
 * by fuzz_map; CPython fails there too). A shared map is then mapped afresh from its
 * descriptor at the new size, which shows the same memory, and the old mapping goes; a
 * private one cannot be (its own pages would be lost) and keeps the error. */
static void *remap_fresh(mmapc_map *m, size_t newsize)
{
	int fd = m->tag ? m->tag->fd : m->fd;

	if ((m->flags & MAP_TYPE) != MAP_SHARED || fd < 0)
		return MAP_FAILED;
	/* An untagged anonymous map's memfd lives at offset 0 (its offset is only recorded). */
	off_t at = m->anonymous ? 0 : (off_t)m->offset;
	void *p = mmap(NULL, newsize, m->prot, m->flags, fd, at);
	if (p != MAP_FAILED)
		munmap(m->data, m->len);
	return p;
}

int map_remap(mmapc_map *m, size_t newsize)
{
	void *p = mremap(m->data, m->len, newsize, MREMAP_MAYMOVE);
	/* (valgrind's mremap says ENOMEM there.) If the fresh mapping fails too, the first
	 * failure's reason stands. */
	if (p == MAP_FAILED && (errno == EFAULT || errno == ENOMEM) && newsize > m->len) {
		int e = errno;
		p = remap_fresh(m, newsize);
		if (p == MAP_FAILED)
			errno = e;
	}
	if (p == MAP_FAILED)
		return errno == EINVAL && newsize > m->len ? -ENOMEM : -errno;
	m->data = p;
	m->len = newsize;
	return 0;
}

/* Resizes the memory object behind a local map: a file to offset + newsize bytes (Python's
 * rule), a memfd to at least newsize (never smaller: it is sealed). */
static int resize_object(mmapc_map *m, int64_t newsize)
{
	if (m->anonymous)
		return grow_memfd(m->fd, newsize);
	return ftruncate(m->fd, m->offset + newsize) < 0 ? -errno : 0;
}

static int resize_locked(mmapc_map *m, int64_t newsize)
{
	if (m->pins)
		return -EBUSY;
	if (!m->trackfd)
		return -EINVAL;
	if (m->access != MMAPC_ACCESS_WRITE && m->access != MMAPC_ACCESS_DEFAULT)
		return -EACCES;
	if (m->tag && (!m->tag->writable || (m->flags & MAP_TYPE) != MAP_SHARED))
		return -EACCES;
	if (newsize <= 0)
		return -EINVAL;
#if SIZE_MAX < INT64_MAX
	if ((uint64_t)newsize > SIZE_MAX)
		return -ENOMEM;
#endif
	if (m->tag)
		return tag_resize(m, newsize);

	/* Unlike Python, a failed resize never leaves a half-done change. Growth moves the
	 * mapping first, so that a size the address space cannot hold changes nothing, and if
	 * the object then cannot follow, the mapping goes back (a shrinking mremap cannot fail).
	 * A shrink changes the object first, so that if it cannot (a read-only file), the map is
	 * untouched. */
	size_t old = m->len;
	int r;
	if ((size_t)newsize < old) {
		r = resize_object(m, newsize);
		return r < 0 ? r : map_remap(m, (size_t)newsize);
	}
	r = map_remap(m, (size_t)newsize);
	if (r < 0)
		return r;
	r = resize_object(m, newsize);
	if (r < 0)
		map_remap(m, old);
	return r;
}

MMAPC_EXPORT int mmapc_resize(mmapc_map *m, int64_t newsize)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	r = resize_locked(m, newsize);
	map_leave(m);
	return r;
}

MMAPC_EXPORT int mmapc_flush(mmapc_map *m, int64_t offset, int64_t size)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	if (offset == MMAPC_OMIT)
		offset = 0;
	if (size == MMAPC_OMIT)
		size = (int64_t)m->len;
	if (offset < 0 || size < 0 || size > (int64_t)m->len - offset)
		r = -EINVAL;
	else if (m->access == MMAPC_ACCESS_READ || m->access == MMAPC_ACCESS_COPY)
		r = 0;
	else if (msync(m->data + offset, (size_t)size, MS_SYNC) < 0)
		r = -errno;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int mmapc_madvise(mmapc_map *m, int option, int64_t start, int64_t length)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	int64_t len = (int64_t)m->len;
	if (start == MMAPC_OMIT)
		start = 0;
	if (length == MMAPC_OMIT)
		length = len;
	if (start < 0 || start >= len)
		r = -EINVAL;
	else if (length < 0)
		r = -EINVAL;
	else if (length > INT64_MAX - start)
		r = -EOVERFLOW;
	else {
		if (length > len - start)
			length = len - start;
		if (madvise(m->data + start, (size_t)length, option) < 0)
			r = -errno;
	}
	map_leave(m);
	return r;
}

MMAPC_EXPORT void *mmapc_data(mmapc_map *m)
{
	if (map_enter(m) < 0)
		return NULL;
	void *p = m->data;
	map_leave(m);
	return p;
}

MMAPC_EXPORT int mmapc_acquire(mmapc_map *m, void **ret_data, size_t *ret_len)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	m->pins++;
	if (ret_data)
		*ret_data = m->data;
	if (ret_len)
		*ret_len = m->len;
	map_leave(m);
	return 0;
}

MMAPC_EXPORT int mmapc_release(mmapc_map *m)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	if (m->pins)
		m->pins--;
	else
		r = -EINVAL;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int mmapc_access(mmapc_map *m)
{
	int r = map_enter(m);

	if (r < 0)
		return r;
	r = m->access;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int64_t mmapc_offset(mmapc_map *m)
{
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	r = m->offset;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int64_t mmapc_len(mmapc_map *m)
{
	int64_t r = map_enter(m);

	if (r < 0)
		return r;
	r = (int64_t)m->len;
	map_leave(m);
	return r;
}

MMAPC_EXPORT int mmapc_seekable(mmapc_map *m)
{
	(void)m;
	return 1;
}
