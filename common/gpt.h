/* SPDX-License-Identifier: MIT */
/* GUID Partition Table reader (UEFI 2.10 §5.3): enough to find the
 * XBOOTLDR partition on the disk the ESP lives on, and the ESP on the disk
 * a UKI lives on. Header and entry array
 * come from the disk, untrusted: sizes, counts and CRCs are checked. */
#pragma once

#include "util.h"

#define GPT_HEADER_SIGNATURE "EFI PART"
#define GPT_MIN_HEADER_SIZE 92
#define GPT_MIN_ENTRY_SIZE 128
#define GPT_MAX_ENTRIES 1024

struct gpt_header {
        uint64_t my_lba;
        uint64_t entries_lba;
        uint32_t n_entries;
        uint32_t entry_size;
        uint32_t entries_crc32;
};

struct gpt_partition {
        uint8_t type_guid[16];
        uint8_t unique_guid[16];
        uint64_t first_lba, last_lba;
};

/* XBOOTLDR's partition type, bc13c2ff-59e6-4262-a352-b275fd6f7172, as stored. */
extern const uint8_t gpt_type_xbootldr[16];
/* The ESP's, c12a7328-f81f-11d2-ba4b-00a0c93ec93b. */
extern const uint8_t gpt_type_esp[16];

uint32_t crc32(uint32_t crc, const void *buf, size_t len);

/* Parses the header block (one logical block read at LBA 1). */
int gpt_parse_header(const void *block, size_t block_size, uint64_t lba, struct gpt_header *ret);

/* Size in bytes of the entry array the header describes. */
static inline uint64_t gpt_entries_size(const struct gpt_header *h) {
        return (uint64_t) h->n_entries * h->entry_size;
}

/* Checks the entry array's CRC and finds the first partition of a type. */
int gpt_find_partition(const struct gpt_header *h, const void *entries, size_t len, const uint8_t type[16],
                       struct gpt_partition *ret);
