/* SPDX-License-Identifier: MIT */
/* A .tlinux/.tinitrd section's bytes through thin_ref_parse(): an accepted
 * ref must format back to exactly the accepted text (with its final "\n"
 * added when the input had none) and parse again to the same ref; format
 * never writes past its buffer, and thin_path_is_valid() agrees with parse
 * on the path. */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/thin.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct thin_ref ref, again;
        char *buf;
        size_t n;
        int r = thin_ref_parse(data, size, &ref);

        if (r != KEEL_OK) {
                check(r == KEEL_E_THIN_BAD_HASH || r == KEEL_E_THIN_BAD_SIZE || r == KEEL_E_THIN_BAD_PATH ||
                      r == KEEL_E_THIN_TRAILING_DATA);
                return 0;
        }
        check(ref.size >= 1 && ref.size <= THIN_CONTENT_MAX);
        check(thin_path_is_valid(ref.path, strlen(ref.path)));
        check(size <= THIN_REF_TEXT_MAX);

        buf = malloc(THIN_REF_TEXT_MAX);
        check(buf != NULL);
        n = thin_ref_format(&ref, buf, THIN_REF_TEXT_MAX);
        check(n > 0 && n <= THIN_REF_TEXT_MAX && buf[n - 1] == '\n');
        /* Exactly the input: it was canonical, or it only lacked the "\n". */
        check(n == size || n == size + 1);
        check(memcmp(buf, data, n - 1) == 0);
        check(n == size ? data[size - 1] == '\n' : true);
        check(thin_ref_parse(buf, n, &again) == KEEL_OK);
        check(memcmp(&ref, &again, sizeof(ref)) == 0);
        /* One byte less room is refused, not overrun (the heap block is exact). */
        free(buf);
        buf = malloc(n - 1 ? n - 1 : 1);
        check(buf != NULL);
        check(thin_ref_format(&ref, buf, n - 1) == 0);
        free(buf);
        return 0;
}
