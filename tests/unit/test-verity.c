/* SPDX-License-Identifier: MIT */
/* The dm-verity superblock reader/writer, tree geometry and text forms
 * (common/verity.c). Expected values come from veritysetup 2.6.1 (a
 * superblock it wrote, the "Hash blocks" and "Hash device size" it printed)
 * and from cryptsetup's documented struct verity_sb layout; every parse runs
 * on a heap copy of exactly the given length. */
#include "keel-test.h"

#include "common/verity.h"

/* `veritysetup format --salt 00ff --uuid 12345678-1234-1234-1234-123456789abc`
 * over 256 blocks of 4096 bytes: the superblock's first 96 bytes (the rest
 * of the 512 are zero). */
static const uint8_t veritysetup_sb_head[96] = {
        0x76, 0x65, 0x72, 0x69, 0x74, 0x79, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x12, 0x34, 0x12, 0x34, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc,
        0x73, 0x68, 0x61, 0x32, 0x35, 0x36, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void veritysetup_sb(uint8_t out[512]) {
        memset(out, 0, 512);
        memcpy(out, veritysetup_sb_head, sizeof(veritysetup_sb_head));
}

static int parse_exact(const uint8_t *buf, size_t len, struct verity_superblock *sb) {
        uint8_t *copy = exact_copy(buf, len);
        int r = verity_superblock_parse(copy, len, sb);
        free(copy);
        return r;
}

static void test_parse_veritysetup_superblock(void **state) {
        static const uint8_t uuid[16] = { 0x12, 0x34, 0x56, 0x78, 0x12, 0x34, 0x12, 0x34,
                                          0x12, 0x34, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc };
        uint8_t buf[512];
        struct verity_superblock sb;
        (void) state;

        veritysetup_sb(buf);
        assert_keel(parse_exact(buf, sizeof(buf), &sb), KEEL_OK);
        assert_int_equal(sb.version, 1);
        assert_int_equal(sb.hash_type, 1);
        assert_memory_equal(sb.uuid, uuid, 16);
        assert_string_equal(sb.algorithm, "sha256");
        assert_int_equal(sb.data_block_size, 4096);
        assert_int_equal(sb.hash_block_size, 4096);
        assert_int_equal(sb.data_blocks, 256);
        assert_int_equal(sb.salt_size, 2);
        assert_int_equal(sb.salt[0], 0x00);
        assert_int_equal(sb.salt[1], 0xff);
        /* A longer buffer (a whole hash block) parses the same. */
        {
                uint8_t block[4096];
                memset(block, 0xaa, sizeof(block));
                memcpy(block, buf, sizeof(buf));
                assert_keel(parse_exact(block, sizeof(block), &sb), KEEL_OK);
                assert_int_equal(sb.data_blocks, 256);
        }
}

static void test_write_matches_veritysetup(void **state) {
        uint8_t expected[512], out[512];
        struct verity_superblock sb;
        (void) state;

        veritysetup_sb(expected);
        assert_keel(parse_exact(expected, sizeof(expected), &sb), KEEL_OK);
        memset(out, 0x55, sizeof(out));
        assert_keel(verity_superblock_write(&sb, out), KEEL_OK);
        assert_memory_equal(out, expected, 512);
}

/* Field offsets as in cryptsetup's struct verity_sb. */
#define F_VERSION 8
#define F_HASH_TYPE 12
#define F_ALGORITHM 32
#define F_DATA_BLOCK_SIZE 64
#define F_HASH_BLOCK_SIZE 68
#define F_DATA_BLOCKS 72
#define F_SALT_SIZE 80

static void expect_rejected(void (*mutate)(uint8_t *buf), size_t len, int expected) {
        uint8_t buf[512];
        struct verity_superblock sb;

        veritysetup_sb(buf);
        if (mutate)
                mutate(buf);
        assert_keel(parse_exact(buf, len, &sb), expected);
}

static void bad_signature(uint8_t *b) { b[5] = 'Y'; }
static void bad_signature_padding(uint8_t *b) { b[7] = 1; }
static void version_0(uint8_t *b) { write_le32(b + F_VERSION, 0); }
static void version_2(uint8_t *b) { write_le32(b + F_VERSION, 2); }
static void version_huge(uint8_t *b) { write_le32(b + F_VERSION, 0x01000001); }
static void hash_type_0(uint8_t *b) { write_le32(b + F_HASH_TYPE, 0); }
static void hash_type_2(uint8_t *b) { write_le32(b + F_HASH_TYPE, 2); }
static void algorithm_unterminated(uint8_t *b) { memset(b + F_ALGORITHM, 'a', 32); }
static void algorithm_empty(uint8_t *b) { memset(b + F_ALGORITHM, 0, 32); }
static void algorithm_md5(uint8_t *b) { memcpy(b + F_ALGORITHM, "md5\0\0\0", 6); }
static void algorithm_upper(uint8_t *b) { memcpy(b + F_ALGORITHM, "SHA256", 6); }
static void algorithm_trailing(uint8_t *b) { memcpy(b + F_ALGORITHM, "sha256x", 7); }
static void data_block_size_0(uint8_t *b) { write_le32(b + F_DATA_BLOCK_SIZE, 0); }
static void data_block_size_256(uint8_t *b) { write_le32(b + F_DATA_BLOCK_SIZE, 256); }
static void data_block_size_odd(uint8_t *b) { write_le32(b + F_DATA_BLOCK_SIZE, 4097); }
static void data_block_size_1m(uint8_t *b) { write_le32(b + F_DATA_BLOCK_SIZE, 1u << 20); }
static void hash_block_size_3000(uint8_t *b) { write_le32(b + F_HASH_BLOCK_SIZE, 3000); }
static void hash_block_size_max(uint8_t *b) { write_le32(b + F_HASH_BLOCK_SIZE, UINT32_MAX); }
static void data_blocks_0(uint8_t *b) { write_le64(b + F_DATA_BLOCKS, 0); }
static void data_blocks_overflow(uint8_t *b) { write_le64(b + F_DATA_BLOCKS, UINT64_MAX / 4096 + 1); }
static void data_blocks_past_int64(uint8_t *b) { write_le64(b + F_DATA_BLOCKS, (UINT64_C(1) << 63) / 4096); }
static void salt_257(uint8_t *b) { write_le16(b + F_SALT_SIZE, 257); }
static void salt_ffff(uint8_t *b) { write_le16(b + F_SALT_SIZE, 0xffff); }

static void test_parse_hostile(void **state) {
        (void) state;
        assert_keel(verity_superblock_parse(NULL, 512, &(struct verity_superblock) {}), KEEL_E_VERITY_TRUNCATED_SUPERBLOCK);
        expect_rejected(NULL, 0, KEEL_E_VERITY_TRUNCATED_SUPERBLOCK);
        expect_rejected(NULL, 8, KEEL_E_VERITY_TRUNCATED_SUPERBLOCK);
        expect_rejected(NULL, 511, KEEL_E_VERITY_TRUNCATED_SUPERBLOCK);
        expect_rejected(bad_signature, 512, KEEL_E_VERITY_BAD_SIGNATURE);
        expect_rejected(bad_signature_padding, 512, KEEL_E_VERITY_BAD_SIGNATURE);
        expect_rejected(version_0, 512, KEEL_E_VERITY_BAD_VERSION);
        expect_rejected(version_2, 512, KEEL_E_VERITY_BAD_VERSION);
        expect_rejected(version_huge, 512, KEEL_E_VERITY_BAD_VERSION);
        expect_rejected(hash_type_0, 512, KEEL_E_VERITY_BAD_HASH_TYPE);
        expect_rejected(hash_type_2, 512, KEEL_E_VERITY_BAD_HASH_TYPE);
        expect_rejected(algorithm_unterminated, 512, KEEL_E_VERITY_BAD_ALGORITHM);
        expect_rejected(algorithm_empty, 512, KEEL_E_VERITY_BAD_ALGORITHM);
        expect_rejected(algorithm_md5, 512, KEEL_E_VERITY_BAD_ALGORITHM);
        expect_rejected(algorithm_upper, 512, KEEL_E_VERITY_BAD_ALGORITHM);
        expect_rejected(algorithm_trailing, 512, KEEL_E_VERITY_BAD_ALGORITHM);
        expect_rejected(data_block_size_0, 512, KEEL_E_VERITY_BAD_BLOCK_SIZE);
        expect_rejected(data_block_size_256, 512, KEEL_E_VERITY_BAD_BLOCK_SIZE);
        expect_rejected(data_block_size_odd, 512, KEEL_E_VERITY_BAD_BLOCK_SIZE);
        expect_rejected(data_block_size_1m, 512, KEEL_E_VERITY_BAD_BLOCK_SIZE);
        expect_rejected(hash_block_size_3000, 512, KEEL_E_VERITY_BAD_BLOCK_SIZE);
        expect_rejected(hash_block_size_max, 512, KEEL_E_VERITY_BAD_BLOCK_SIZE);
        expect_rejected(data_blocks_0, 512, KEEL_E_VERITY_NO_DATA_BLOCKS);
        expect_rejected(data_blocks_overflow, 512, KEEL_E_VERITY_SIZE_OVERFLOW);
        expect_rejected(data_blocks_past_int64, 512, KEEL_E_VERITY_SIZE_OVERFLOW);
        expect_rejected(salt_257, 512, KEEL_E_VERITY_BAD_SALT_SIZE);
        expect_rejected(salt_ffff, 512, KEEL_E_VERITY_BAD_SALT_SIZE);
}

static void test_parse_accepts_every_known_algorithm(void **state) {
        static const struct { const char *name; unsigned size; } algs[] = {
                { "sha1", 20 }, { "sha224", 28 }, { "sha256", 32 }, { "sha384", 48 }, { "sha512", 64 },
        };
        uint8_t buf[512];
        struct verity_superblock sb;
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
                veritysetup_sb(buf);
                memset(buf + F_ALGORITHM, 0, 32);
                memcpy(buf + F_ALGORITHM, algs[i].name, strlen(algs[i].name));
                assert_keel(parse_exact(buf, sizeof(buf), &sb), KEEL_OK);
                assert_string_equal(sb.algorithm, algs[i].name);
                assert_int_equal(verity_digest_size(sb.algorithm), algs[i].size);
        }
        /* The largest salt fits exactly. */
        veritysetup_sb(buf);
        write_le16(buf + F_SALT_SIZE, 256);
        memset(buf + 88, 0x5a, 256);
        assert_keel(parse_exact(buf, sizeof(buf), &sb), KEEL_OK);
        assert_int_equal(sb.salt_size, 256);
        assert_int_equal(sb.salt[255], 0x5a);
}

static void test_write_rejects_bad_fields(void **state) {
        uint8_t buf[512], out[512];
        struct verity_superblock sb, bad;
        (void) state;

        veritysetup_sb(buf);
        assert_keel(parse_exact(buf, sizeof(buf), &sb), KEEL_OK);
        bad = sb;
        bad.salt_size = 300;
        assert_keel(verity_superblock_write(&bad, out), KEEL_E_VERITY_BAD_SALT_SIZE);
        bad = sb;
        memset(bad.algorithm, 'x', sizeof(bad.algorithm));
        assert_keel(verity_superblock_write(&bad, out), KEEL_E_VERITY_BAD_ALGORITHM);
        bad = sb;
        bad.hash_block_size = 100;
        assert_keel(verity_superblock_write(&bad, out), KEEL_E_VERITY_BAD_BLOCK_SIZE);
        bad = sb;
        bad.data_blocks = 0;
        assert_keel(verity_superblock_write(&bad, out), KEEL_E_VERITY_NO_DATA_BLOCKS);
}

static uint64_t total_blocks(const struct verity_geometry *g) {
        return g->hash_end_block - g->hash_start_block;
}

static void test_geometry_against_veritysetup(void **state) {
        struct verity_geometry g;
        (void) state;

        /* 256 blocks, sha256, 4096: "Hash blocks: 3", device 16384 bytes. */
        assert_keel(verity_geometry_compute(256, 4096, 32, true, 0, &g), KEEL_OK);
        assert_int_equal(g.levels, 2);
        assert_int_equal(g.hashes_per_block_bits, 7);
        assert_int_equal(g.digest_stride, 32);
        assert_int_equal(g.hash_start_block, 1);
        assert_int_equal(g.level_start[1], 1); /* the top level comes first */
        assert_int_equal(g.level_blocks[1], 1);
        assert_int_equal(g.level_start[0], 2);
        assert_int_equal(g.level_blocks[0], 2);
        assert_int_equal(total_blocks(&g), 3);
        assert_int_equal(g.hash_end_block * 4096, 16384);

        /* 16385 blocks: "Hash blocks: 132", 544768 bytes. */
        assert_keel(verity_geometry_compute(16385, 4096, 32, true, 0, &g), KEEL_OK);
        assert_int_equal(total_blocks(&g), 132);
        assert_int_equal(g.hash_end_block * 4096, 544768);

        /* 40000 x 512, sha512, 512-byte hash blocks: 5717 blocks, 2927616 bytes. */
        assert_keel(verity_geometry_compute(40000, 512, 64, true, 0, &g), KEEL_OK);
        assert_int_equal(g.hashes_per_block_bits, 3);
        assert_int_equal(g.levels, 6);
        assert_int_equal(total_blocks(&g), 5717);
        assert_int_equal(g.hash_end_block * 512, 2927616);

        /* sha1: 20-byte digests padded to 32; 1024/20 -> 32 a block. 1293
         * blocks, 1325056 bytes. */
        assert_keel(verity_geometry_compute(40000, 1024, 20, true, 0, &g), KEEL_OK);
        assert_int_equal(g.digest_stride, 32);
        assert_int_equal(g.hashes_per_block_bits, 5);
        assert_int_equal(total_blocks(&g), 1293);
        assert_int_equal(g.hash_end_block * 1024, 1325056);

        /* sha384 (48 bytes): stride 64, 4096/48 = 85 -> 64 a block. */
        assert_keel(verity_geometry_compute(65, 4096, 48, false, 0, &g), KEEL_OK);
        assert_int_equal(g.digest_stride, 64);
        assert_int_equal(g.hashes_per_block_bits, 6);
        assert_int_equal(g.levels, 2);
}

static void test_geometry_small_and_offsets(void **state) {
        struct verity_geometry g;
        (void) state;

        /* One block: no levels, the root hash is the block's digest. */
        assert_keel(verity_geometry_compute(1, 4096, 32, true, 0, &g), KEEL_OK);
        assert_int_equal(g.levels, 0);
        assert_int_equal(g.hash_start_block, 1);
        assert_int_equal(g.hash_end_block, 1);
        assert_keel(verity_geometry_compute(1, 4096, 32, false, 0, &g), KEEL_OK);
        assert_int_equal(g.hash_end_block, 0);
        /* 128 blocks fill one hash block, 129 need a second level. */
        assert_keel(verity_geometry_compute(128, 4096, 32, false, 0, &g), KEEL_OK);
        assert_int_equal(g.levels, 1);
        assert_keel(verity_geometry_compute(129, 4096, 32, false, 0, &g), KEEL_OK);
        assert_int_equal(g.levels, 2);
        /* Superblock at 512: the tree starts at the next hash block. */
        assert_keel(verity_geometry_compute(300, 4096, 32, true, 512, &g), KEEL_OK);
        assert_int_equal(g.hash_start_block, 1);
        assert_keel(verity_geometry_compute(300, 4096, 32, true, 4096, &g), KEEL_OK);
        assert_int_equal(g.hash_start_block, 2);
        assert_keel(verity_geometry_compute(300, 512, 32, true, 1536, &g), KEEL_OK);
        assert_int_equal(g.hash_start_block, 4);
        assert_keel(verity_geometry_compute(300, 4096, 32, false, 8192, &g), KEEL_OK);
        assert_int_equal(g.hash_start_block, 2);
}

static void test_geometry_hostile(void **state) {
        struct verity_geometry g;
        (void) state;

        assert_keel(verity_geometry_compute(0, 4096, 32, true, 0, &g), KEEL_E_VERITY_NO_DATA_BLOCKS);
        assert_keel(verity_geometry_compute(1, 1000, 32, true, 0, &g), KEEL_E_VERITY_BAD_BLOCK_SIZE);
        assert_keel(verity_geometry_compute(1, 0, 32, true, 0, &g), KEEL_E_VERITY_BAD_BLOCK_SIZE);
        assert_keel(verity_geometry_compute(1, 4096, 0, true, 0, &g), KEEL_E_VERITY_BAD_ALGORITHM);
        assert_keel(verity_geometry_compute(1, 4096, 65, true, 0, &g), KEEL_E_VERITY_BAD_ALGORITHM);
        assert_keel(verity_geometry_compute(1, 4096, 32, true, 1000, &g), KEEL_E_VERITY_BAD_HASH_OFFSET);
        assert_keel(verity_geometry_compute(1, 4096, 32, false, 512, &g), KEEL_E_VERITY_BAD_HASH_OFFSET);
        assert_keel(verity_geometry_compute(1, 4096, 32, true, UINT64_MAX - 511, &g), KEEL_E_VERITY_SIZE_OVERFLOW);
        assert_keel(verity_geometry_compute(1, 4096, 32, true, (UINT64_C(1) << 63) - 4096, &g),
                    KEEL_E_VERITY_SIZE_OVERFLOW);
        /* The deepest tree there is: 2^64-1 blocks, 8 hashes a block. Its
         * levels fit; its bytes do not. */
        assert_keel(verity_geometry_compute(UINT64_MAX, 512, 64, true, 0, &g), KEEL_E_VERITY_SIZE_OVERFLOW);
        /* A tree that just fits below 2^63 bytes. */
        assert_keel(verity_geometry_compute(UINT64_C(1) << 50, 4096, 32, true, 0, &g), KEEL_OK);
        assert_true(g.hash_end_block <= INT64_MAX / 4096);
}

static void test_hex(void **state) {
        uint8_t out[4];
        size_t n = 99;
        char text[9];
        (void) state;

        assert_keel(verity_hex_decode("00ff7A", 6, out, sizeof(out), &n), KEEL_OK);
        assert_int_equal(n, 3);
        assert_int_equal(out[0], 0x00);
        assert_int_equal(out[1], 0xff);
        assert_int_equal(out[2], 0x7a);
        assert_keel(verity_hex_decode("", 0, out, sizeof(out), &n), KEEL_E_VERITY_BAD_HEX);
        assert_keel(verity_hex_decode("abc", 3, out, sizeof(out), &n), KEEL_E_VERITY_BAD_HEX);
        assert_keel(verity_hex_decode("0g", 2, out, sizeof(out), &n), KEEL_E_VERITY_BAD_HEX);
        assert_keel(verity_hex_decode("g0", 2, out, sizeof(out), &n), KEEL_E_VERITY_BAD_HEX);
        assert_keel(verity_hex_decode("0 ", 2, out, sizeof(out), &n), KEEL_E_VERITY_BAD_HEX);
        assert_keel(verity_hex_decode("0011223344", 10, out, sizeof(out), &n), KEEL_E_VERITY_BAD_HEX);
        assert_keel(verity_hex_decode("00112233", 8, out, sizeof(out), &n), KEEL_OK);
        assert_int_equal(n, 4);
        verity_hex_encode((const uint8_t[]) { 0x00, 0xab, 0x10, 0xff }, 4, text);
        assert_string_equal(text, "00ab10ff");
}

static void test_uuid(void **state) {
        static const uint8_t expected[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                              0x0f, 0xed, 0xcb, 0xa9, 0x87, 0x65, 0x43, 0x21 };
        uint8_t uuid[16];
        char text[VERITY_UUID_STRING_SIZE];
        const char *good = "12345678-9ABC-def0-0fed-cba987654321";
        (void) state;

        assert_keel(verity_uuid_parse(good, strlen(good), uuid), KEEL_OK);
        assert_memory_equal(uuid, expected, 16);
        verity_uuid_format(uuid, text);
        assert_string_equal(text, "12345678-9abc-def0-0fed-cba987654321");
        assert_keel(verity_uuid_parse("12345678-9abc-def0-0fed-cba98765432", 35, uuid), KEEL_E_VERITY_BAD_UUID);
        assert_keel(verity_uuid_parse("12345678-9abc-def0-0fed-cba9876543210", 37, uuid), KEEL_E_VERITY_BAD_UUID);
        assert_keel(verity_uuid_parse("123456789-abc-def0-0fed-cba987654321", 36, uuid), KEEL_E_VERITY_BAD_UUID);
        assert_keel(verity_uuid_parse("12345678-9abc-def0-0fed-cba98765432g", 36, uuid), KEEL_E_VERITY_BAD_UUID);
        assert_keel(verity_uuid_parse("12345678x9abc-def0-0fed-cba987654321", 36, uuid), KEEL_E_VERITY_BAD_UUID);
        assert_keel(verity_uuid_parse("1234567889abcdef00fedcba987654321---", 36, uuid), KEEL_E_VERITY_BAD_UUID);
}

static void test_partition_uuids(void **state) {
        uint8_t root[32], data[16], hash[16];
        uint8_t sha1_root[20];
        (void) state;

        for (size_t i = 0; i < sizeof(root); i++)
                root[i] = (uint8_t) i;
        assert_keel(verity_partition_uuids(root, sizeof(root), data, hash), KEEL_OK);
        assert_memory_equal(data, root, 16);
        assert_memory_equal(hash, root + 16, 16);
        /* A 160-bit root hash: the two UUIDs overlap. */
        for (size_t i = 0; i < sizeof(sha1_root); i++)
                sha1_root[i] = (uint8_t) (0xa0 + i);
        assert_keel(verity_partition_uuids(sha1_root, sizeof(sha1_root), data, hash), KEEL_OK);
        assert_memory_equal(data, sha1_root, 16);
        assert_memory_equal(hash, sha1_root + 4, 16);
        assert_keel(verity_partition_uuids(root, 15, data, hash), KEEL_E_INVALID_ARGUMENT);
        assert_keel(verity_partition_uuids(NULL, 32, data, hash), KEEL_E_INVALID_ARGUMENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_veritysetup_superblock),
                cmocka_unit_test(test_write_matches_veritysetup),
                cmocka_unit_test(test_parse_hostile),
                cmocka_unit_test(test_parse_accepts_every_known_algorithm),
                cmocka_unit_test(test_write_rejects_bad_fields),
                cmocka_unit_test(test_geometry_against_veritysetup),
                cmocka_unit_test(test_geometry_small_and_offsets),
                cmocka_unit_test(test_geometry_hostile),
                cmocka_unit_test(test_hex),
                cmocka_unit_test(test_uuid),
                cmocka_unit_test(test_partition_uuids),
        };
        return cmocka_run_group_tests_name("verity", tests, NULL, NULL);
}
