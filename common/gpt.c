/* SPDX-License-Identifier: MIT */
#include "gpt.h"
#include "error.h"

const uint8_t gpt_type_xbootldr[16] = { 0xff, 0xc2, 0x13, 0xbc, 0xe6, 0x59, 0x62, 0x42,
                                        0xa3, 0x52, 0xb2, 0x75, 0xfd, 0x6f, 0x71, 0x72 };
const uint8_t gpt_type_esp[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                   0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };

/* CRC-32 (IEEE 802.3, reflected), bitwise: GPT headers are read once per boot. */
uint32_t crc32(uint32_t crc, const void *buf, size_t len) {
        const uint8_t *p = buf;

        crc = ~crc;
        while (len--) {
                crc ^= *p++;
                for (int k = 0; k < 8; k++)
                        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
        }
        return ~crc;
}

int gpt_parse_header(const void *block, size_t block_size, uint64_t lba, struct gpt_header *ret) {
        const uint8_t *b = block;
        uint8_t copy[512];
        uint32_t header_size, stored_crc;

        if (block_size < GPT_MIN_HEADER_SIZE)
                return KEEL_E_GPT_TRUNCATED;
        if (memcmp(b, GPT_HEADER_SIGNATURE, 8) != 0)
                return KEEL_E_GPT_BAD_SIGNATURE;
        header_size = read_le32(b + 12);
        if (header_size < GPT_MIN_HEADER_SIZE || header_size > block_size || header_size > sizeof(copy))
                return KEEL_E_GPT_BAD_HEADER_SIZE;
        /* The CRC covers the header with its own CRC field zeroed. */
        stored_crc = read_le32(b + 16);
        memcpy(copy, b, header_size);
        write_le32(copy + 16, 0);
        if (crc32(0, copy, header_size) != stored_crc)
                return KEEL_E_GPT_BAD_CRC;

        ret->my_lba = read_le64(b + 24);
        ret->entries_lba = read_le64(b + 72);
        ret->n_entries = read_le32(b + 80);
        ret->entry_size = read_le32(b + 84);
        ret->entries_crc32 = read_le32(b + 88);
        if (ret->my_lba != lba)
                return KEEL_E_GPT_BAD_LBA;
        if (ret->entry_size < GPT_MIN_ENTRY_SIZE || ret->entry_size % 8 != 0 || ret->entry_size > 4096)
                return KEEL_E_GPT_BAD_ENTRY_SIZE;
        if (ret->n_entries == 0 || ret->n_entries > GPT_MAX_ENTRIES)
                return KEEL_E_GPT_BAD_ENTRY_COUNT;
        return KEEL_OK;
}

int gpt_find_partition(const struct gpt_header *h, const void *entries, size_t len, const uint8_t type[16],
                       struct gpt_partition *ret) {
        const uint8_t *e = entries;
        uint64_t size = gpt_entries_size(h);

        if (size > len)
                return KEEL_E_GPT_TRUNCATED;
        if (crc32(0, entries, (size_t) size) != h->entries_crc32)
                return KEEL_E_GPT_BAD_CRC;
        for (uint32_t i = 0; i < h->n_entries; i++, e += h->entry_size) {
                if (memcmp(e, type, 16) != 0)
                        continue;
                memcpy(ret->type_guid, e, 16);
                memcpy(ret->unique_guid, e + 16, 16);
                ret->first_lba = read_le64(e + 32);
                ret->last_lba = read_le64(e + 40);
                if (ret->first_lba > ret->last_lba)
                        return KEEL_E_GPT_BAD_ENTRY;
                return KEEL_OK;
        }
        return KEEL_E_GPT_NOT_FOUND;
}
