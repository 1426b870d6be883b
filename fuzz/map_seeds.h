/* map_seeds.h: fuzz_map's seed corpus (map_seeds.c). */
#ifndef MMAPC_FUZZ_MAP_SEEDS_H
#define MMAPC_FUZZ_MAP_SEEDS_H

/* Writes one file per seed into dir (made if missing); exits the process on an I/O error. */
void map_write_seeds(const char *dir);

#endif
