/* SPDX-License-Identifier: MIT */
/* common/sha256.c against OpenSSL: every length around the block and
 * padding boundaries, any split of the input into update() calls, a few
 * MiB at once, and the FIPS 180-4 examples. */
#include "keel-test.h"

#include <openssl/evp.h>

#include "common/sha256.h"

static void openssl_sha256(const void *data, size_t len, uint8_t out[32]) {
        unsigned n = 0;
        assert_int_equal(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL), 1);
        assert_int_equal(n, 32);
}

static uint8_t *pattern(size_t len, uint32_t seed) {
        uint8_t *p = malloc(len ? len : 1);
        assert_non_null(p);
        for (size_t i = 0; i < len; i++) {
                seed = seed * 1103515245u + 12345u;
                p[i] = (uint8_t) (seed >> 16);
        }
        return p;
}

static void test_fips_examples(void **state _unused_) {
        /* FIPS 180-4 / NIST CSRC example values. */
        static const uint8_t abc[32] = {
                0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
        };
        static const uint8_t empty[32] = {
                0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
                0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
        };
        uint8_t d[32];

        sha256("abc", 3, d);
        assert_memory_equal(d, abc, 32);
        sha256(NULL, 0, d);
        assert_memory_equal(d, empty, 32);
}

static void test_every_length_to_300(void **state _unused_) {
        for (size_t len = 0; len <= 300; len++) {
                uint8_t *p = pattern(len, (uint32_t) len);
                uint8_t *exact = exact_copy(p, len);
                uint8_t a[32], b[32];

                sha256(exact, len, a);
                openssl_sha256(p, len, b);
                assert_memory_equal(a, b, 32);
                free(exact);
                free(p);
        }
}

static void test_any_split(void **state _unused_) {
        static const size_t steps[] = { 1, 3, 63, 64, 65, 127, 1000 };
        size_t len = 4099;
        uint8_t *p = pattern(len, 7), want[32];

        openssl_sha256(p, len, want);
        for (size_t s = 0; s < ARRAY_SIZE(steps); s++) {
                struct sha256_ctx ctx;
                uint8_t got[32];

                sha256_init(&ctx);
                for (size_t o = 0; o < len;) {
                        size_t n = steps[s] < len - o ? steps[s] : len - o;
                        sha256_update(&ctx, p + o, n);
                        sha256_update(&ctx, p + o, 0); /* empty updates change nothing */
                        o += n;
                }
                sha256_final(&ctx, got);
                assert_memory_equal(got, want, 32);
        }
        free(p);
}

static void test_megabytes(void **state _unused_) {
        size_t len = 5 * 1024 * 1024 + 17;
        uint8_t *p = pattern(len, 99), a[32], b[32];

        sha256(p, len, a);
        openssl_sha256(p, len, b);
        assert_memory_equal(a, b, 32);
        free(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fips_examples),
                cmocka_unit_test(test_every_length_to_300),
                cmocka_unit_test(test_any_split),
                cmocka_unit_test(test_megabytes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
