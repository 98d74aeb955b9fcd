/* SPDX-License-Identifier: MIT */
/* Version comparison on two arbitrary strings (the first byte says where
 * to split the rest): it must be antisymmetric and reflexive, or sorting
 * boot entries would depend on the order they were found in. Each half is
 * copied to a heap block of exactly its length, so AddressSanitizer reports
 * a read past either slice. */
#include <stdlib.h>
#include <string.h>

#include "common/version.h"

static int sign(int v) {
        return (v > 0) - (v < 0);
}

static char *copy(const uint8_t *p, size_t n) {
        char *c = malloc(n ? n : 1);
        if (!c)
                abort();
        memcpy(c, p, n);
        return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t split;
        char *a, *b;
        struct slice sa, sb;

        if (size == 0)
                return 0;
        split = size > 1 ? data[0] % size : 0;
        data++;
        size--;
        if (split > size)
                split = size;
        a = copy(data, split);
        b = copy(data + split, size - split);
        sa = slice_from(a, split);
        sb = slice_from(b, size - split);

        if (sign(version_compare(sa, sb)) != -sign(version_compare(sb, sa)))
                abort();
        if (version_compare(sa, sa) != 0 || version_compare(sb, sb) != 0)
                abort();
        free(a);
        free(b);
        return 0;
}
