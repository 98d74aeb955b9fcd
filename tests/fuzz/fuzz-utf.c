/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the UTF-8 <-> UTF-16 converters. Output buffers are
 * allocated at exactly the sizes utf.h documents (len + 1 units, 3 * len + 1
 * bytes), so AddressSanitizer reports a conversion that writes past them;
 * the input is libFuzzer's exact-size buffer, so reading past len is caught
 * too. The outputs must also be well-formed and survive a round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

static void *xmalloc(size_t size) {
        void *p = malloc(size ? size : 1);
        if (!p)
                abort();
        return p;
}

/* Every high surrogate followed by a low one, every low one preceded by a
 * high one, no NUL before the end. */
static void check_utf16(const uint16_t *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                check(s[i] != 0);
                if (s[i] >= 0xd800 && s[i] <= 0xdbff) {
                        check(i + 1 < n && s[i + 1] >= 0xdc00 && s[i + 1] <= 0xdfff);
                        i++;
                } else
                        check(s[i] < 0xdc00 || s[i] > 0xdfff);
        }
}

/* UTF-8 -> UTF-16 -> UTF-8 -> UTF-16: the second decoding reproduces the
 * first, since the encoder only ever writes valid UTF-8. */
static void fuzz_from_utf8(const uint8_t *data, size_t size) {
        uint16_t *u16 = xmalloc((size + 1) * sizeof(uint16_t)), *back;
        size_t n16 = utf8_to_utf16((const char *) data, size, u16), n8, n_back;
        char *u8;

        check(n16 <= size);
        check(u16[n16] == 0);
        check_utf16(u16, n16);

        u8 = xmalloc(3 * n16 + 1);
        n8 = utf16_to_utf8(u16, n16, u8);
        check(n8 <= 3 * n16);
        check(u8[n8] == '\0' && strlen(u8) == n8);

        back = xmalloc((n8 + 1) * sizeof(uint16_t));
        n_back = utf8_to_utf16(u8, n8, back);
        check(n_back == n16 && memcmp(back, u16, n16 * sizeof(uint16_t)) == 0);

        free(back);
        free(u8);
        free(u16);
}

/* The input read as UTF-16 units (any values, unpaired surrogates too). */
static void fuzz_from_utf16(const uint8_t *data, size_t size) {
        size_t units = size / 2, n8, n16, n8_again, nul;
        uint16_t *in = xmalloc(units * sizeof(uint16_t)), *u16;
        char *u8, *u8_again;

        memcpy(in, data, units * sizeof(uint16_t));
        nul = utf16_strnlen(in, units);
        check(nul <= units && (nul == units || in[nul] == 0));

        u8 = xmalloc(3 * units + 1);
        n8 = utf16_to_utf8(in, units, u8);
        check(n8 <= 3 * nul);
        check(u8[n8] == '\0' && strlen(u8) == n8);

        /* Valid UTF-8 out, so decoding and encoding again changes nothing. */
        u16 = xmalloc((n8 + 1) * sizeof(uint16_t));
        n16 = utf8_to_utf16(u8, n8, u16);
        check_utf16(u16, n16);
        u8_again = xmalloc(3 * n16 + 1);
        n8_again = utf16_to_utf8(u16, n16, u8_again);
        check(n8_again == n8 && memcmp(u8_again, u8, n8) == 0);

        free(u8_again);
        free(u16);
        free(u8);
        free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_from_utf8(data, size);
        fuzz_from_utf16(data, size);
        return 0;
}
