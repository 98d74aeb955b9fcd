/* SPDX-License-Identifier: MIT */
/* keel sysupdate's name, version and URL checks on arbitrary bytes (up to
 * the first NUL, as from argv): an accepted name or version holds nothing
 * sysupdate's patterns split on; an accepted URL comes out as one line
 * without specifiers but doubled '%', and undoubling it gives the input
 * without its trailing '/'. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-tools/sysupdate/sysupdate-names.h"
#include "fuzz-host.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        if (!getenv("KEEL_FUZZ_VERBOSE")) {
                FILE *null = fopen("/dev/null", "w");
                check(null != NULL);
                stderr = null; /* keel's log.c; libFuzzer and ASan write to fd 2 directly */
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *in = malloc(size + 1), *out = malloc(2 * SYSUPDATE_URL_MAX + 1);
        size_t n, j = 0;

        check(in && out);
        memcpy(in, data, size);
        in[size] = '\0';
        n = strlen(in);

        if (sysupdate_check_name("fuzz", in) == 0 || sysupdate_check_version("fuzz", in) == 0)
                check(n > 0 && n <= 24 && !strpbrk(in, "_+/ \n%@"));
        if (sysupdate_check_label("fuzz", in, in) == 0)
                check(2 * n + 8 <= SYSUPDATE_LABEL_MAX);

        if (sysupdate_url_escape("fuzz", in, out) == 0) {
                size_t m = strlen(out);
                check(m <= 2 * SYSUPDATE_URL_MAX);
                check(m > 0 && out[m - 1] != '/');
                for (size_t i = 0; i < m; i++) {
                        check((unsigned char) out[i] > ' ' && out[i] != 0x7f);
                        if (out[i] == '%') {
                                check(i + 1 < m && out[i + 1] == '%');
                                i++;
                        }
                        check(j < n && in[j] == out[i]);
                        j++;
                }
                for (; j < n; j++)
                        check(in[j] == '/');
        }
        free(in);
        free(out);
        return 0;
}
