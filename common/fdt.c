/* SPDX-License-Identifier: MIT */
#include "fdt.h"
#include "error.h"

/* Header fields are big-endian 32-bit words. */
static uint32_t be32_at(const uint8_t *p, size_t offset) {
        return (uint32_t) p[offset] << 24 | (uint32_t) p[offset + 1] << 16 | (uint32_t) p[offset + 2] << 8 |
               p[offset + 3];
}

/* A block [offset, offset + length) inside total bytes, checked against the
 * remaining length so that nothing can wrap. */
static bool block_inside(uint32_t offset, uint32_t length, uint32_t total) {
        return offset <= total && length <= total - offset;
}

int fdt_check(const void *data, size_t size, size_t *ret_total) {
        const uint8_t *p = data;
        uint32_t total, off_struct, off_strings, off_rsvmap, version, last_comp, size_strings, size_struct;

        *ret_total = 0;
        if (!data || size < FDT_HEADER_SIZE)
                return KEEL_E_FDT_TRUNCATED;
        if (be32_at(p, 0) != FDT_MAGIC)
                return KEEL_E_FDT_BAD_HEADER;
        total = be32_at(p, 4);
        off_struct = be32_at(p, 8);
        off_strings = be32_at(p, 12);
        off_rsvmap = be32_at(p, 16);
        version = be32_at(p, 20);
        last_comp = be32_at(p, 24);
        size_strings = be32_at(p, 32);
        size_struct = be32_at(p, 36);

        if (version < 16 || last_comp > 16)
                return KEEL_E_FDT_BAD_HEADER;
        if (total < FDT_HEADER_SIZE || total > FDT_MAX_SIZE)
                return KEEL_E_FDT_BAD_HEADER;
        if (total > size)
                return KEEL_E_FDT_TRUNCATED;
        /* The memory reservation map: at least its terminating 16-byte
         * entry, after the header. */
        if (off_rsvmap < FDT_HEADER_SIZE || off_rsvmap % 8 != 0 || !block_inside(off_rsvmap, 16, total))
                return KEEL_E_FDT_BAD_HEADER;
        /* The structure block: at least FDT_END (4 bytes). */
        if (off_struct < FDT_HEADER_SIZE || off_struct % 4 != 0 || size_struct < 4 ||
            !block_inside(off_struct, size_struct, total))
                return KEEL_E_FDT_BAD_HEADER;
        if (off_strings < FDT_HEADER_SIZE || !block_inside(off_strings, size_strings, total))
                return KEEL_E_FDT_BAD_HEADER;
        *ret_total = total;
        return KEEL_OK;
}
