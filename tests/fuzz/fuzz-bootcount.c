/* SPDX-License-Identifier: MIT */
/* Boot counters in arbitrary file names: parse, then format the ID, the
 * name to rename to before booting and the canonical name, and check that
 * each re-parses to what it should (the counter stepped as the Boot Loader
 * Specification says, stem and extension unchanged). Output buffers are
 * exact-size heap blocks, so AddressSanitizer catches an overrun. */
#include <stdlib.h>
#include <string.h>

#include "common/bootcount.h"
#include "common/error.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

static bool slice_equal(struct slice a, struct slice b) {
        return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* format(stem, left, done, ext) into a buffer of exactly the right size:
 * fits there, not in one byte less; and parses back to the same fields. */
static void round_trip(const struct bootcount_name *n, int64_t left, int64_t done) {
        size_t need = n->stem.len + n->extension.len + BOOTCOUNT_SUFFIX_MAX + 1, len;
        char *big = malloc(need), *exact;
        struct bootcount_name back;

        check(big != NULL);
        check(bootcount_format(n->stem, left, done, n->extension, big, need));
        len = strlen(big);
        exact = malloc(len + 1);
        check(exact != NULL);
        check(bootcount_format(n->stem, left, done, n->extension, exact, len + 1));
        check(strcmp(exact, big) == 0);
        check(!bootcount_format(n->stem, left, done, n->extension, exact, len));

        /* A name with a counter parses back to the same counter, stem and
         * extension. Without one (the ID), the stem may itself end in
         * something counter-like ("a+1+2.conf" has the ID "a+1.conf", and
         * "a+9999999999+1.conf" one that is out of range): only the
         * extension is sure to survive. */
        if (left != BOOTCOUNT_UNKNOWN) {
                check(bootcount_parse(slice_from(big, len), &back) == KEEL_OK);
                check(back.tries_left == left && back.tries_done == done);
                check(slice_equal(back.stem, n->stem) && slice_equal(back.extension, n->extension));
        } else if (bootcount_parse(slice_from(big, len), &back) == KEEL_OK)
                check(slice_equal(back.extension, n->extension));
        free(exact);
        free(big);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct bootcount_name n;
        size_t id_size = size + 1;
        char *id;
        int r;

        r = bootcount_parse(slice_from((const char *) data, size), &n);
        if (r != KEEL_OK) {
                check(r == KEEL_E_BOOTCOUNT_OUT_OF_RANGE);
                return 0;
        }
        check(n.stem.ptr == (const char *) data || size == 0);
        check(n.stem.len + n.extension.len <= size);
        check(n.extension.len == 0 || n.extension.ptr[0] == '.');
        check(n.tries_left >= BOOTCOUNT_UNKNOWN && n.tries_left <= BOOTCOUNT_MAX);
        check(n.tries_done >= BOOTCOUNT_UNKNOWN && n.tries_done <= BOOTCOUNT_MAX);
        check(n.tries_left != BOOTCOUNT_UNKNOWN || n.tries_done == BOOTCOUNT_UNKNOWN);
        if (n.tries_left == BOOTCOUNT_UNKNOWN)
                check(n.stem.len + n.extension.len == size);
        /* File names hold no NUL: the formatting checks below need C strings. */
        if (memchr(data, '\0', size))
                return 0;

        /* The ID is the name without the counter. */
        id = malloc(id_size);
        check(id != NULL);
        check(bootcount_id(&n, id, id_size));
        check(strlen(id) == n.stem.len + n.extension.len);
        free(id);

        round_trip(&n, n.tries_left, n.tries_done);
        round_trip(&n, BOOTCOUNT_UNKNOWN, BOOTCOUNT_UNKNOWN);
        if (n.tries_left != BOOTCOUNT_UNKNOWN) {
                size_t need = size + BOOTCOUNT_SUFFIX_MAX + 1;
                char *next = malloc(need);
                struct bootcount_name after;

                check(next != NULL);
                check(bootcount_next_name(&n, next, need));
                check(bootcount_parse(slice_from(next, strlen(next)), &after) == KEEL_OK);
                /* LEFT-1, never below 0; DONE+1 (a missing DONE counts as 0),
                 * never above INT_MAX. */
                check(after.tries_left == (n.tries_left > 0 ? n.tries_left - 1 : 0));
                check(after.tries_done ==
                      (n.tries_done == BOOTCOUNT_UNKNOWN ? 1
                       : n.tries_done < BOOTCOUNT_MAX   ? n.tries_done + 1
                                                        : BOOTCOUNT_MAX));
                check(slice_equal(after.extension, n.extension) && slice_equal(after.stem, n.stem));
                free(next);
        } else {
                char small[8];
                check(!bootcount_next_name(&n, small, sizeof(small)));
        }
        return 0;
}
