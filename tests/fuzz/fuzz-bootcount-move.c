/* SPDX-License-Identifier: MIT */
/* Boot count move records as the loader reads them from the ESP after a
 * crash (common/bootcount-move.h): a record it accepts names two counted
 * files of one entry, plain names without separators, and formats back to
 * exactly the bytes read; the input is an exact-size heap block, so
 * AddressSanitizer catches a read past it. */
#include <stdlib.h>
#include <string.h>

#include "common/bootcount-move.h"
#include "common/bootcount.h"
#include "common/error.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

static char *copy_string(struct slice s) {
        char *p = malloc(s.len + 1);

        check(p != NULL);
        memcpy(p, s.ptr, s.len);
        p[s.len] = '\0';
        return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct bootcount_move m;
        struct bootcount_name from, to;
        char out[BOOTCOUNT_MOVE_RECORD_MAX], *f, *t;
        size_t len;

        if (bootcount_move_parse(data, size, &m) != KEEL_OK)
                return 0;
        check(m.from.ptr >= (const char *) data && m.from.ptr + m.from.len <= (const char *) data + size);
        check(m.to.ptr >= (const char *) data && m.to.ptr + m.to.len <= (const char *) data + size);
        check(m.from.len > 0 && m.from.len <= BOOTCOUNT_MOVE_NAME_MAX && m.to.len > 0 && m.to.len <= BOOTCOUNT_MOVE_NAME_MAX);
        f = copy_string(m.from);
        t = copy_string(m.to);
        check(!strchr(f, '/') && !strchr(f, '\\') && !strchr(t, '/') && !strchr(t, '\\'));
        check(strlen(f) == m.from.len && strlen(t) == m.to.len);
        check(bootcount_parse(m.from, &from) == KEEL_OK && bootcount_parse(m.to, &to) == KEEL_OK);
        check(from.tries_left != BOOTCOUNT_UNKNOWN && to.tries_left != BOOTCOUNT_UNKNOWN);
        check(from.stem.len == to.stem.len && memcmp(from.stem.ptr, to.stem.ptr, from.stem.len) == 0);
        check(bootcount_move_format(f, t, out, sizeof(out), &len) == KEEL_OK);
        check(len == size && memcmp(out, data, size) == 0);
        free(t);
        free(f);
        return 0;
}
