/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the stub's check of an initrd a loader offers
 * (common/companions.c): any bytes, in an exact-size heap block. It must
 * not read past the end, and what it accepts must hold, by a walk of its
 * own like the kernel's unpacker, only entries whose names start with
 * ".extra" and no symbolic link, device or file of several links. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/companions.h"
#include "common/error.h"
#include "fuzz-newc.h"

static void walk_accepted(const uint8_t *a, size_t len) {
        size_t o = 0;

        while (o < len) {
                uint32_t mode, nlink, name_size, file_size;

                if (a[o] == 0) {
                        o++;
                        continue;
                }
                check(o % 4 == 0 && len - o >= 110 && memcmp(a + o, "070701", 6) == 0);
                mode = hex8(a + o + 6 + 8 * 1);
                nlink = hex8(a + o + 6 + 8 * 4);
                file_size = hex8(a + o + 6 + 8 * 6);
                name_size = hex8(a + o + 6 + 8 * 11);
                check(name_size >= 2 && name_size <= len - o - 110);
                if (!(name_size == 11 && memcmp(a + o + 110, "TRAILER!!!", 11) == 0)) {
                        check(name_size >= 7 && memcmp(a + o + 110, ".extra", 6) == 0);
                        check((mode & 0170000) == 0040000 || ((mode & 0170000) == 0100000 && nlink == 1));
                        check((mode & 07222) == 0);
                }
                o += (110 + (size_t) name_size + 3) & ~(size_t) 3;
                check(o <= len && file_size <= len - o);
                o += ((size_t) file_size + 3) & ~(size_t) 3;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t *copy = malloc(size ? size : 1);
        int r;

        check(copy != NULL);
        memcpy(copy, data, size);
        r = companions_check(copy, size);
        check(r == companions_check(copy, size));
        if (r == KEEL_OK)
                walk_accepted(copy, size);
        free(copy);
        return 0;
}
