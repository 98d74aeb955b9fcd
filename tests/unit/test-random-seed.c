/* SPDX-License-Identifier: MIT */
/* common/random-seed.c: systemd-boot's rules for when a seed may be passed
 * (each refusal on its own), the file plan (fresh, short, long, too long),
 * the previous table's bounds, and the derivation against a model of
 * systemd-boot's hashing written here with OpenSSL: label, then each input
 * as a 64-bit little-endian length and its bytes, then SHA-256(key || n). */
#include "keel-test.h"

#include <openssl/evp.h>

#include "common/random-seed.h"

static const uint8_t token32[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t rng32[32] = { [0] = 0xaa, [31] = 0x55 };
static uint8_t file100[100];
static const uint8_t time16[16] = { 0xe9, 0x07, 12, 1, 16, 0, 0 };

/* The model: what systemd-boot's process_random_seed() hashes. */
struct model {
        EVP_MD_CTX *ctx;
};

static void model_init(struct model *m) {
        m->ctx = EVP_MD_CTX_new();
        assert_non_null(m->ctx);
        assert_int_equal(EVP_DigestInit_ex(m->ctx, EVP_sha256(), NULL), 1);
        EVP_DigestUpdate(m->ctx, "systemd-boot random seed label v1", 33);
}

static void model_add(struct model *m, const void *data, uint64_t n) {
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
                le[i] = (uint8_t) (n >> (8 * i));
        EVP_DigestUpdate(m->ctx, le, 8);
        if (n)
                EVP_DigestUpdate(m->ctx, data, n);
}

static void model_finish(struct model *m, uint8_t file_seed[32], uint8_t table_seed[32], uint8_t var_seed[32]) {
        uint8_t key[32], buf[33];
        unsigned n = 0;
        uint8_t *outs[3] = { file_seed, table_seed, var_seed };

        assert_int_equal(EVP_DigestFinal_ex(m->ctx, key, &n), 1);
        EVP_MD_CTX_free(m->ctx);
        memcpy(buf, key, 32);
        for (int i = 0; i < 3; i++) {
                buf[32] = (uint8_t) i;
                assert_int_equal(EVP_Digest(buf, 33, outs[i], &n, EVP_sha256(), NULL), 1);
        }
}

/* A complete input: token, old 100-byte file, counter and time; no RNG. */
static struct random_seed_input base_input(void) {
        for (size_t i = 0; i < sizeof(file100); i++)
                file100[i] = (uint8_t) (i * 7 + 3);
        return (struct random_seed_input) {
                .system_token = token32,
                .system_token_size = sizeof(token32),
                .file_exists = true,
                .file_size = sizeof(file100),
                .file = file100,
                .has_monotonic = true,
                .monotonic = 0x0000000100000007ull,
                .time = time16,
                .time_size = sizeof(time16),
        };
}

static void test_matches_model(void **state _unused_) {
        struct random_seed_input in = base_input();
        struct random_seed_output out;
        uint8_t f[32], t[32], v[32], counter[8];
        struct model m;

        assert_keel(random_seed_derive(&in, &out), KEEL_OK);
        model_init(&m);
        model_add(&m, NULL, 0);                 /* no previous table */
        model_add(&m, NULL, 0);                 /* no RNG */
        model_add(&m, token32, 32);
        model_add(&m, file100, sizeof(file100));
        for (int i = 0; i < 8; i++)
                counter[i] = (uint8_t) (in.monotonic >> (8 * i));
        model_add(&m, counter, 8);
        model_add(&m, time16, 16);
        model_finish(&m, f, t, v);
        assert_memory_equal(out.file_seed, f, 32);
        assert_memory_equal(out.table_seed, t, 32);
        assert_memory_equal(out.variable_seed, v, 32);
        assert_false(out.create_file);
        assert_int_equal(out.zero_tail, 100 - 32);
        /* Three different seeds: none can be computed from another. */
        assert_memory_not_equal(out.file_seed, out.table_seed, 32);
        assert_memory_not_equal(out.file_seed, out.variable_seed, 32);
        assert_memory_not_equal(out.table_seed, out.variable_seed, 32);
}

static void test_model_with_table_and_rng(void **state _unused_) {
        uint8_t table[4 + 40] = { 40, 0, 0, 0 };
        struct random_seed_input in = base_input();
        struct random_seed_output out;
        uint8_t f[32], t[32], v[32], counter[8] = { 0 };
        struct model m;

        for (int i = 0; i < 40; i++)
                table[4 + i] = (uint8_t) (0xc0 + i);
        assert_keel(random_seed_table_parse(table, sizeof(table), &in.previous_table_seed, &in.previous_table_size),
                    KEEL_OK);
        in.has_previous_table = true;
        in.rng = rng32;
        in.file_exists = false;
        in.file = NULL;
        in.file_size = 0;
        in.has_monotonic = false; /* fine: the firmware gave randomness */
        in.time = NULL;
        in.time_size = 0;
        assert_keel(random_seed_derive(&in, &out), KEEL_OK);
        model_init(&m);
        model_add(&m, table + 4, 40);
        model_add(&m, rng32, 32);
        model_add(&m, token32, 32);
        model_add(&m, NULL, 0);                 /* fresh file */
        model_add(&m, counter, 8);              /* the counter is hashed as 0 */
        model_add(&m, NULL, 0);                 /* no time */
        model_finish(&m, f, t, v);
        assert_memory_equal(out.file_seed, f, 32);
        assert_memory_equal(out.table_seed, t, 32);
        assert_true(out.create_file);
        assert_int_equal(out.zero_tail, 0);
}

static void assert_refused(const struct random_seed_input *in, int expected) {
        struct random_seed_output out, zero;

        memset(&out, 0x5a, sizeof(out));
        memset(&zero, 0, sizeof(zero));
        assert_keel(random_seed_derive(in, &out), expected);
        assert_memory_equal(&out, &zero, sizeof(out));
}

static void test_refusals(void **state _unused_) {
        struct random_seed_input in;
        uint8_t small_table[4 + 31] = { 31 };

        /* Secure Boot and nothing from the firmware: the ESP alone is not trusted. */
        in = base_input();
        in.secure_boot = true;
        assert_refused(&in, KEEL_E_RANDOM_SEED_UNTRUSTED);
        in.rng = rng32;
        assert_keel(random_seed_derive(&in, &(struct random_seed_output) { 0 }), KEEL_OK);

        /* No token (or a short one) and nothing from the firmware. */
        in = base_input();
        in.system_token = NULL;
        in.system_token_size = 0;
        assert_refused(&in, KEEL_E_RANDOM_SEED_NO_ENTROPY);
        in.system_token = token32;
        in.system_token_size = 31;
        assert_refused(&in, KEEL_E_RANDOM_SEED_NO_ENTROPY);
        /* A previous table of fewer than 32 bytes is not enough either... */
        assert_keel(random_seed_table_parse(small_table, sizeof(small_table), &in.previous_table_seed,
                                            &in.previous_table_size), KEEL_OK);
        in.has_previous_table = true;
        assert_refused(&in, KEEL_E_RANDOM_SEED_NO_ENTROPY);
        /* ...but the RNG is, and then a short token is hashed as it is. */
        in.rng = rng32;
        assert_keel(random_seed_derive(&in, &(struct random_seed_output) { 0 }), KEEL_OK);

        /* No file and nothing from the firmware to create one from. */
        in = base_input();
        in.file_exists = false;
        in.file = NULL;
        in.file_size = 0;
        assert_refused(&in, KEEL_E_RANDOM_SEED_NO_FILE);

        /* Over 32 KiB. */
        in = base_input();
        in.file_size = RANDOM_SEED_FILE_MAX + 1;
        assert_refused(&in, KEEL_E_RANDOM_SEED_FILE_TOO_LARGE);
        in.rng = rng32;
        assert_refused(&in, KEEL_E_RANDOM_SEED_FILE_TOO_LARGE);

        /* No monotonic counter and nothing from the firmware. */
        in = base_input();
        in.has_monotonic = false;
        assert_refused(&in, KEEL_E_RANDOM_SEED_NO_COUNTER);
}

static void test_file_plan(void **state _unused_) {
        struct random_seed_input in = base_input();
        struct random_seed_output a, b;

        /* Exactly 32 bytes: nothing to zero. */
        in.file_size = 32;
        assert_keel(random_seed_derive(&in, &a), KEEL_OK);
        assert_false(a.create_file);
        assert_int_equal(a.zero_tail, 0);
        /* 32 KiB is still read. */
        {
                uint8_t *big = calloc(1, RANDOM_SEED_FILE_MAX);
                assert_non_null(big);
                in.file = big;
                in.file_size = RANDOM_SEED_FILE_MAX;
                assert_keel(random_seed_derive(&in, &a), KEEL_OK);
                assert_int_equal(a.zero_tail, RANDOM_SEED_FILE_MAX - 32);
                free(big);
        }
        /* A short file: its bytes are not hashed (same seeds as any other
         * short file), it is rewritten from offset 0 and not created. */
        in = base_input();
        in.file_size = 5;
        in.file = NULL;
        assert_keel(random_seed_derive(&in, &a), KEEL_OK);
        assert_false(a.create_file);
        assert_int_equal(a.zero_tail, 0);
        in.file_size = 31;
        assert_keel(random_seed_derive(&in, &b), KEEL_OK);
        assert_memory_equal(a.file_seed, b.file_seed, 32);
}

static void test_every_input_counts(void **state _unused_) {
        struct random_seed_input in = base_input();
        struct random_seed_output a, b;
        uint8_t token2[32], file2[100];

        assert_keel(random_seed_derive(&in, &a), KEEL_OK);
        in.monotonic++;
        assert_keel(random_seed_derive(&in, &b), KEEL_OK);
        assert_memory_not_equal(a.file_seed, b.file_seed, 32);
        assert_memory_not_equal(a.table_seed, b.table_seed, 32);

        in = base_input();
        memcpy(token2, token32, 32);
        token2[31] ^= 1;
        in.system_token = token2;
        assert_keel(random_seed_derive(&in, &b), KEEL_OK);
        assert_memory_not_equal(a.file_seed, b.file_seed, 32);

        in = base_input();
        memcpy(file2, file100, sizeof(file2));
        file2[99] ^= 1;
        in.file = file2;
        assert_keel(random_seed_derive(&in, &b), KEEL_OK);
        assert_memory_not_equal(a.file_seed, b.file_seed, 32);

        in = base_input();
        in.time = NULL;
        in.time_size = 0;
        assert_keel(random_seed_derive(&in, &b), KEEL_OK);
        assert_memory_not_equal(a.file_seed, b.file_seed, 32);

        /* The new seed is never the old file's first 32 bytes. */
        in = base_input();
        assert_keel(random_seed_derive(&in, &a), KEEL_OK);
        assert_memory_not_equal(a.file_seed, file100, 32);
}

static void test_table_parse(void **state _unused_) {
        uint8_t buf[4 + RANDOM_SEED_TABLE_MAX + 1] = { 0 };
        const uint8_t *seed = (const uint8_t *) 1;
        size_t size = 99;
        uint8_t *p;

        assert_keel(random_seed_table_parse(NULL, 100, &seed, &size), KEEL_E_RANDOM_SEED_TABLE_BAD);
        assert_null(seed);
        assert_int_equal(size, 0);
        for (size_t n = 0; n < 4; n++) {
                p = exact_copy(buf, n);
                assert_keel(random_seed_table_parse(p, n, &seed, &size), KEEL_E_RANDOM_SEED_TABLE_BAD);
                free(p);
        }
        /* Size 0: a valid, empty table. */
        p = exact_copy(buf, 4);
        assert_keel(random_seed_table_parse(p, 4, &seed, &size), KEEL_OK);
        assert_int_equal(size, 0);
        free(p);
        /* A size beyond the bytes there. */
        buf[0] = 33;
        p = exact_copy(buf, 4 + 32);
        assert_keel(random_seed_table_parse(p, 4 + 32, &seed, &size), KEEL_E_RANDOM_SEED_TABLE_BAD);
        free(p);
        /* The bound: 512 bytes taken, 513 not, and a size that would wrap. */
        write_le32(buf, RANDOM_SEED_TABLE_MAX);
        p = exact_copy(buf, sizeof(buf));
        assert_keel(random_seed_table_parse(p, sizeof(buf), &seed, &size), KEEL_OK);
        assert_int_equal(size, RANDOM_SEED_TABLE_MAX);
        assert_ptr_equal(seed, p + 4);
        write_le32(p, RANDOM_SEED_TABLE_MAX + 1);
        assert_keel(random_seed_table_parse(p, sizeof(buf), &seed, &size), KEEL_E_RANDOM_SEED_TABLE_BAD);
        write_le32(p, 0xffffffffu);
        assert_keel(random_seed_table_parse(p, sizeof(buf), &seed, &size), KEEL_E_RANDOM_SEED_TABLE_BAD);
        free(p);
}

static void test_seeded_by_efi(void **state _unused_) {
        struct random_seed_input in = { 0 };
        uint8_t t[32] = { 0 };

        assert_false(random_seed_seeded_by_efi(&in));
        in.has_previous_table = true;
        in.previous_table_seed = t;
        in.previous_table_size = 31;
        assert_false(random_seed_seeded_by_efi(&in));
        in.previous_table_size = 32;
        assert_true(random_seed_seeded_by_efi(&in));
        in = (struct random_seed_input) { .rng = rng32 };
        assert_true(random_seed_seeded_by_efi(&in));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_matches_model),
                cmocka_unit_test(test_model_with_table_and_rng),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_file_plan),
                cmocka_unit_test(test_every_input_counts),
                cmocka_unit_test(test_table_parse),
                cmocka_unit_test(test_seeded_by_efi),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
