/* request_seeds.h: fuzz_request's seed corpus (request_seeds.c). */
#ifndef MMAPC_FUZZ_REQUEST_SEEDS_H
#define MMAPC_FUZZ_REQUEST_SEEDS_H

/* Writes one file per seed into dir (made if missing); exits the process on an I/O error. */
void request_write_seeds(const char *dir);

#endif
