/* map_seeds.c: the seed corpus of fuzz_map: a valid input of every kind, written as
 * fuzz_map.c reads its input (an open: a flags/prot/access byte, an options byte and a
 * length; then operations, each an opcode byte and its arguments in the shapes fuzz_map's
 * take_* functions read). The seeds are a shared map written and searched, resizes, slices,
 * a copy-on-write map, a read-only map, pins and close, and opens that fail or have an offset.
 *
 * Not here: reading an input (fuzz_map.c); the committed corpus (fuzz/corpus/map), which grew
 * from these seeds.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "map_seeds.h"

void map_write_seeds(const char *dir)
{
	/* Each seed: an open (flags/prot/access byte, options byte, length), then operations
	 * with arguments in the shapes the take_* functions read. */
	static const struct {
		const char *name;
		uint8_t bytes[64];
		size_t n;
	} seeds[] = {
	        /* a shared map of 100 bytes: write "hello\nworld\n", seek 0, readline, find "o" */
	        {"write-readline-find",
	         {0x00, 0x00, 100, 0,   8,    12 << 1, 'h',  'e',  'l', 'l',  'o',
	          '\n', 'w',  'o', 'r', 'l',  'd',     '\n', 4,    0,   0x60, 0,
	          0,    7,    0,   0,   0x00, 1,       'o',  0x00, 0x00},
	         31},
	        /* resize up and down, then rfind a piece of the map */
	        {"resize-rfind",
	         {0x00, 0x00, 0x00, 0x10, 12,   5, 0x00, 0x40, 12,   5,
	          0x10, 0x00, 8,    0x0a, 1,    2, 3,    4,    5,    12,
	          5,    0x00, 0x20, 1,    0x02, 4, 0x00, 0x00, 0x00, 0x00},
	         30},
	        /* slices with steps, both ways, and setslice */
	        {"slices",
	         {0x00, 0x00, 64, 0,    2,    0x00, 0x00, 0x90, 0x00, 2,    0x00, 0x00,
	          0x80, 0x00, 3,  0x00, 0x00, 0x92, 0x00, 2,    0x3a, 0x00, 0x85, 0x01},
	         24},
	        /* a private (COPY) map: write, move, getitem/setitem, read_byte */
	        {"copy-move-items",
	         {0x60, 0x00, 0x00, 0x20, 8,    40,   9,    8,    7,    6,    5,    4,
	          3,    2,    1,    0,    11,   0x60, 2,    0x00, 0x60, 3,    0x00, 0x60,
	          5,    0x00, 13,   0x64, 0x00, 14,   0x60, 3,    0x00, 0x41, 10,   10},
	         36},
	        /* a read-only map: every write refused */
	        {"read-only",
	         {0x08, 0x00, 0x00, 0x10, 8,    2, 'a',  9, 1,  14, 0x60, 0,   0,
	          0x41, 11,   0x60, 0,    0x60, 1, 0x60, 1, 12, 5,  0,    0x20},
	         25},
	        /* pin, resize (busy), release, flush, madvise, close, then everything fails */
	        {"pin-close",
	         {0x00, 0x01, 0x00, 0x20, 17,   0,  12, 5, 0, 0x40, 17, 1,    15, 0x00,
	          0x00, 16,   0,    0x00, 0x00, 18, 5,  0, 0, 10,   13, 0x60, 0},
	         27},
	        /* an open that fails, and one at an offset */
	        {"open-offset", {0x00, 0x50, 0x00, 0x01, 4, 0x32, 0x10, 5, 0xff}, 9},
	        {"open-bad", {0x05, 0x02, 0x00, 0x01}, 4},
	};
	mkdir(dir, 0777);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, seeds[i].name);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(seeds[i].bytes, 1, seeds[i].n, f) != seeds[i].n || fclose(f)) {
			perror(path);
			exit(1);
		}
	}
}
