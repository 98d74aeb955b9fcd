/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the manifest of keel install --prepare/--join
 * (host-tools/sign/signing-manifest.c), which comes back from another
 * machine. Promises checked: parsing never reads past the input; every
 * accepted request has a known key, file names that are plain names in the
 * directory (no '/', no leading '.', the right suffix, NUL-free), a purpose
 * without control characters; no digest of one key and no file is named
 * twice; what the requests format to parses back to the same requests. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz-host.h"
#include "host-tools/sign/signing-manifest.h"

static void check_name(const char *name, size_t size, const char *suffix) {
        check(memchr(name, '\0', size));
        check(!signing_file_name_problem(name, suffix));
        check(!strchr(name, '/') && name[0] != '.');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct signing_request *q = NULL, *again = NULL;
        size_t n = 0, n_again = 0, text_size;
        char error[256], *text;

        if (signing_manifest_parse(data, size, &q, &n, error, sizeof(error)) < 0) {
                check(!q && n == 0 && error[0]);
                return 0;
        }
        check(n <= SIGNING_REQUESTS_MAX && (n == 0) == (q == NULL));
        for (size_t i = 0; i < n; i++) {
                check(q[i].key == SIGNING_KEY_DB || q[i].key == SIGNING_KEY_PCR);
                check_name(q[i].digest_file, sizeof(q[i].digest_file), ".digest");
                check_name(q[i].signature_file, sizeof(q[i].signature_file), ".sig");
                check(memchr(q[i].purpose, '\0', sizeof(q[i].purpose)));
                for (const char *p = q[i].purpose; *p; p++)
                        check((unsigned char) *p >= 0x20 && *p != 0x7f);
                for (size_t k = 0; k < i; k++) {
                        check(q[k].key != q[i].key || memcmp(q[k].digest, q[i].digest, SIGNING_DIGEST_SIZE) != 0);
                        check(strcmp(q[k].digest_file, q[i].digest_file) != 0);
                        check(strcmp(q[k].signature_file, q[i].signature_file) != 0);
                }
        }
        check(signing_manifest_format(q, n, &text, &text_size) == 0);
        check(strlen(text) == text_size);
        check(signing_manifest_parse(text, text_size, &again, &n_again, error, sizeof(error)) == 0);
        check(n_again == n);
        check(n == 0 || memcmp(q, again, n * sizeof(*q)) == 0);
        free(text);
        free(again);
        free(q);
        return 0;
}
