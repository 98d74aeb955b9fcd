/* SPDX-License-Identifier: MIT */
/* Block-read sizes (common/blockio.c), as the XBOOTLDR lookup asks
 * EFI_BLOCK_IO for the GPT: whole blocks, a block size of 0 refused before
 * anything divides by it (a driver may report 0 for a device without media),
 * and no wrap-around near the top of the range. */
#include "keel-test.h"

#include "common/blockio.h"

static void test_rounding(void **state) {
        static const struct {
                uint64_t size;
                uint32_t block;
                size_t expected;
        } cases[] = {
                { 512, 512, 512 },
                { 1, 512, 512 },
                { 513, 512, 1024 },
                { 92, 4096, 4096 },            /* a GPT header on a 4Kn disk */
                { 128 * 128, 512, 16384 },     /* the usual entry array */
                { 16385, 4096, 20480 },
                { 0, 512, 0 },
                { 7, 1, 7 },
                { 1000, 3, 1002 },             /* not a power of two: still whole blocks */
                { 4294967295u, 4294967295u, 4294967295u },
        };
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                size_t got = 1;
                assert_keel(block_read_size(cases[i].size, cases[i].block, &got), KEEL_OK);
                if (got != cases[i].expected)
                        fail_msg("%llu bytes in blocks of %u: %zu, expected %zu", (unsigned long long) cases[i].size,
                                 cases[i].block, got, cases[i].expected);
        }
}

static void test_block_size_zero(void **state) {
        static const uint64_t sizes[] = { 0, 1, 512, 16384, UINT64_MAX };
        (void) state;

        /* Under UBSan a division by zero would stop the test here. */
        for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
                size_t got = 1;
                assert_keel(block_read_size(sizes[i], 0, &got), KEEL_E_BLOCK_SIZE_ZERO);
                assert_int_equal(got, 0);
        }
}

static void test_overflow(void **state) {
        size_t got = 1;
        (void) state;

        /* size + block - 1 would wrap to a small number here. */
        assert_keel(block_read_size(UINT64_MAX, 512, &got), KEEL_E_BLOCK_READ_TOO_LARGE);
        assert_int_equal(got, 0);
        assert_keel(block_read_size(UINT64_MAX - 100, 4096, &got), KEEL_E_BLOCK_READ_TOO_LARGE);
        /* The largest multiple of the block size that fits is fine. */
        assert_keel(block_read_size(SIZE_MAX / 512 * 512, 512, &got), KEEL_OK);
        assert_true(got == SIZE_MAX / 512 * 512);
        assert_keel(block_read_size(SIZE_MAX / 512 * 512 + 1, 512, &got), KEEL_E_BLOCK_READ_TOO_LARGE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rounding),
                cmocka_unit_test(test_block_size_zero),
                cmocka_unit_test(test_overflow),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
