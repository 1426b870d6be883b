/* input.h: reading a fuzzer's input as a stream of numbers, for the harnesses of fuzz/.
 *
 * An exhausted input reads as zeroes, so every harness runs to the end of what it decided to
 * do, whatever the length of the bytes it was given. Not here: what the numbers mean (each
 * harness).
 */
#ifndef MMAPD_FUZZ_INPUT_H
#define MMAPD_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct input {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t take_u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline uint16_t take_u16(struct input *in)
{
	return (uint16_t)(take_u8(in) | take_u8(in) << 8);
}

static inline uint64_t take_u64(struct input *in)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v |= (uint64_t)take_u8(in) << (8 * i);
	return v;
}

#endif
