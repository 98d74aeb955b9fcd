/* SPDX-License-Identifier: MIT */
/* A command line from outside the UKI (the loader's options, an addon's,
 * SMBIOS's) as UTF-16 units: whether it names a console must not read past
 * the units or the first NUL, and must agree with a plain search for
 * "console=" at the start or after a blank. */
#include <stdlib.h>
#include <string.h>

#include "common/console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t units = size / 2, end = 0;
        uint16_t *w = malloc(units ? units * 2 : 1);
        bool expected = false;

        if (!w)
                abort();
        memcpy(w, data, units * 2);
        while (end < units && w[end])
                end++;
        for (size_t i = 0; i + 8 <= end && !expected; i++) {
                if (i > 0 && w[i - 1] != ' ')
                        continue;
                expected = true;
                for (size_t k = 0; k < 8; k++)
                        expected = expected && w[i + k] == (uint8_t) "console="[k];
        }
        if (console_cmdline_has_console(w, units) != expected)
                abort();
        free(w);
        return 0;
}
