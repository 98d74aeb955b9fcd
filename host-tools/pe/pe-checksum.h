/* SPDX-License-Identifier: MIT */
/* The PE optional-header CheckSum: a 16-bit one's-complement sum of the file
 * (with the CheckSum field itself read as zero) plus the file length. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct pe_checksum {
        uint64_t sum;
        uint64_t length;
        int pending;      /* a byte carried over from an odd-length update, or -1 */
};

void pe_checksum_init(struct pe_checksum *c);
void pe_checksum_update(struct pe_checksum *c, const void *data, size_t size);
uint32_t pe_checksum_final(const struct pe_checksum *c);

/* The checksum of a whole in-memory file whose CheckSum field is at
 * checksum_offset (that field is skipped). */
uint32_t pe_checksum_buffer(const void *data, size_t size, size_t checksum_offset);
