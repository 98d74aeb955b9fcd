/* SPDX-License-Identifier: MIT */
/* The GPT reader over arbitrary disks: input = LBA 0.. of a disk with 512-byte
 * sectors; the header is read at LBA 1 and the entry array where it says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/gpt.h"

#define SECTOR 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct gpt_header h;
        struct gpt_partition p;
        uint8_t *copy;
        size_t offset, len;

        if (size < 2 * SECTOR)
                return 0;
        copy = malloc(SECTOR);
        memcpy(copy, data + SECTOR, SECTOR);
        if (gpt_parse_header(copy, SECTOR, 1, &h) != KEEL_OK) {
                free(copy);
                return 0;
        }
        free(copy);
        if (h.entries_lba > size / SECTOR)
                return 0;
        offset = (size_t) h.entries_lba * SECTOR;
        len = size - offset;
        /* An exact-size copy, so that ASan sees any read past what was given. */
        copy = malloc(len ? len : 1);
        memcpy(copy, data + offset, len);
        if (gpt_find_partition(&h, copy, len, gpt_type_xbootldr, &p) == KEEL_OK && p.first_lba > p.last_lba)
                abort();
        free(copy);
        return 0;
}
