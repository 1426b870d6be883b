/* map-resize-after-madvise-efault.c: the finding of fuzz_map (input: the file of the same name
 * without .c) as a program: mmapc_madvise with MADV_SEQUENTIAL (or MADV_RANDOM) on part of a
 * map, then a growing mmapc_resize, fails with -EFAULT.
 *
 * Why: the advice changes the flags of part of the mapping, so the kernel splits it into two
 * VMAs, and mremap refuses to grow a range that spans more than one (EFAULT). map.c's
 * map_remap passes the errno on; nothing changes (the map keeps its length). CPython does the
 * same (mmap.resize raises OSError(14) after m.madvise(mmap.MADV_SEQUENTIAL, 0, 4096)), so
 * this is a difference from what a caller expects, not from Python. Shrinking still works.
 *
 * Not a test of the suites; built by hand against libmmapc:
 *   cc -Iinclude fuzz/crashes/map-resize-after-madvise-efault.c build/libmmapc.a \
 *      -lprotobuf-c -pthread && ./a.out
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "mmapc.h"

int main(void)
{
	mmapc_map *m;

	if (mmapc_open(&m, -1, 8192, MMAPC_ACCESS_DEFAULT, 0, NULL) < 0)
		return 2;
	printf("madvise: %d\n", mmapc_madvise(m, MADV_SEQUENTIAL, 0, 4096));
	int r = mmapc_resize(m, 16384);
	printf("resize to 16384: %d (-EFAULT is %d), len now %lld\n", r, -EFAULT,
	       (long long)mmapc_len(m));
	mmapc_free(m);
	return r == -EFAULT;
}
