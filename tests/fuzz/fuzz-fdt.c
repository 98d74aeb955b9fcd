/* SPDX-License-Identifier: MIT */
/* Device tree headers from arbitrary bytes (a UKI's .dtb, a Type #1
 * `devicetree` file): fdt_check must either refuse (and report no size) or
 * promise what efi/devicetree.c relies on — totalsize within the bytes
 * given and the limit, every block the header names inside totalsize —
 * and give the same answer for exactly totalsize bytes. */
#include <stdlib.h>

#include "common/error.h"
#include "common/fdt.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

static uint64_t be32(const uint8_t *p) {
        return (uint64_t) p[0] << 24 | (uint64_t) p[1] << 16 | (uint64_t) p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t total = 1, again = 1;
        int r = fdt_check(data, size, &total);

        if (r != KEEL_OK) {
                check(r == KEEL_E_FDT_TRUNCATED || r == KEEL_E_FDT_BAD_HEADER);
                check(total == 0);
                return 0;
        }
        check(total >= FDT_HEADER_SIZE && total <= size && total <= FDT_MAX_SIZE);
        check(be32(data) == FDT_MAGIC && be32(data + 4) == total);
        /* 64-bit sums: no wrap-around can hide a block past the end. */
        check(be32(data + 16) + 16 <= total);                   /* reservation map */
        check(be32(data + 8) + be32(data + 36) <= total);       /* structure block */
        check(be32(data + 12) + be32(data + 32) <= total);      /* strings block */
        check(fdt_check(data, total, &again) == KEEL_OK && again == total);
        return 0;
}
