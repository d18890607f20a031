/* CRC-32C (Castagnoli), the checksum of every log record and snapshot. */
#ifndef COORD_SERVER_CRC32C_H
#define COORD_SERVER_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * Extends crc (0 to start) over n bytes at p and returns the new value; the
 * usual pre- and post-inversion are inside, so chained calls over the pieces
 * of a buffer give the checksum of the whole: crc32c_update(0, "123456789",
 * 9) == 0xE3069283. Uses the SSE4.2 instruction when the CPU has it.
 */
uint32_t crc32c_update(uint32_t crc, const void *p, size_t n);

/* The same, always in portable C (slicing-by-8); for tests. */
uint32_t crc32c_update_portable(uint32_t crc, const void *p, size_t n);

#endif
