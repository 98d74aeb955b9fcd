/* SPDX-License-Identifier: MIT */
/* The GPT reader against a partition table written by sfdisk (the oracle for
 * layout and CRCs; see fixtures/README) and against corrupted copies of it. */
#include "keel-test.h"

#include "common/gpt.h"
#include "common/util.h"

#define FIXTURE "tests/unit/fixtures/gpt-esp-xbootldr.bin"
#define SECTOR 512

static uint8_t *disk;
static size_t disk_size;

static int setup(void **state) {
        (void) state;
        disk = slurp(FIXTURE, &disk_size);
        return disk && disk_size == 34 * SECTOR ? 0 : -1;
}

static int teardown(void **state) {
        (void) state;
        free(disk);
        return 0;
}

static int parse_header(const uint8_t *d, struct gpt_header *h) {
        uint8_t *copy = exact_copy(d + SECTOR, SECTOR);
        int r = gpt_parse_header(copy, SECTOR, 1, h);
        free(copy);
        return r;
}

static int find_xbootldr(const uint8_t *d, const struct gpt_header *h, struct gpt_partition *p) {
        size_t len = (size_t) gpt_entries_size(h);
        uint8_t *copy = exact_copy(d + h->entries_lba * SECTOR, len);
        int r = gpt_find_partition(h, copy, len, gpt_type_xbootldr, p);
        free(copy);
        return r;
}

/* Re-seals a modified header with a correct CRC, to reach the checks behind it. */
static void reseal_header(uint8_t *d) {
        uint32_t size = read_le32(d + SECTOR + 12);
        write_le32(d + SECTOR + 16, 0);
        write_le32(d + SECTOR + 16, crc32(0, d + SECTOR, size > SECTOR ? SECTOR : size));
}

static void test_crc32_known_answer(void **state) {
        (void) state;
        /* The CRC-32 check value for "123456789" (IEEE 802.3). */
        assert_int_equal(crc32(0, "123456789", 9), 0xcbf43926u);
}

static void test_sfdisk_table(void **state) {
        struct gpt_header h;
        struct gpt_partition p;
        static const uint8_t xbootldr_uuid[16] = { 0x5c, 0x4b, 0x1e, 0x7d, 0x3f, 0x2a, 0x6d, 0x4b,
                                                   0x8e, 0x9f, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f };
        (void) state;

        assert_keel(parse_header(disk, &h), KEEL_OK);
        assert_int_equal(h.entries_lba, 2);
        assert_int_equal(h.n_entries, 128);
        assert_int_equal(h.entry_size, 128);
        assert_keel(find_xbootldr(disk, &h, &p), KEEL_OK);
        assert_memory_equal(p.unique_guid, xbootldr_uuid, 16);
        assert_int_equal(p.first_lba, 34816);
        assert_int_equal(p.last_lba, 34816 + 94208 - 1); /* sfdisk -d: start=34816, size=94208 */
}

static void test_no_xbootldr(void **state) {
        uint8_t *d = exact_copy(disk, disk_size);
        struct gpt_header h;
        struct gpt_partition p;
        (void) state;

        /* Change the second entry's type to "Linux filesystem" and fix both CRCs. */
        assert_keel(parse_header(d, &h), KEEL_OK);
        memset(d + 2 * SECTOR + 128, 0xaf, 16);
        write_le32(d + SECTOR + 88, crc32(0, d + 2 * SECTOR, (size_t) gpt_entries_size(&h)));
        reseal_header(d);
        assert_keel(parse_header(d, &h), KEEL_OK);
        assert_keel(find_xbootldr(d, &h, &p), KEEL_E_GPT_NOT_FOUND);
        free(d);
}

static void test_hostile_headers(void **state) {
        struct gpt_header h;
        uint8_t *d;
        (void) state;

        d = exact_copy(disk, disk_size);
        d[SECTOR] = 'X';
        assert_keel(parse_header(d, &h), KEEL_E_GPT_BAD_SIGNATURE);
        free(d);

        d = exact_copy(disk, disk_size);
        d[SECTOR + 40] ^= 1; /* a field covered by the header CRC */
        assert_keel(parse_header(d, &h), KEEL_E_GPT_BAD_CRC);
        free(d);

        d = exact_copy(disk, disk_size);
        write_le32(d + SECTOR + 12, 4096); /* header size beyond the block */
        assert_keel(parse_header(d, &h), KEEL_E_GPT_BAD_HEADER_SIZE);
        write_le32(d + SECTOR + 12, 12);
        assert_keel(parse_header(d, &h), KEEL_E_GPT_BAD_HEADER_SIZE);
        free(d);

        d = exact_copy(disk, disk_size);
        write_le64(d + SECTOR + 24, 7); /* claims to live elsewhere */
        reseal_header(d);
        assert_keel(parse_header(d, &h), KEEL_E_GPT_BAD_LBA);
        free(d);

        d = exact_copy(disk, disk_size);
        write_le32(d + SECTOR + 84, 0);
        reseal_header(d);
        assert_keel(parse_header(d, &h), KEEL_E_GPT_BAD_ENTRY_SIZE);
        write_le32(d + SECTOR + 84, 129);
        reseal_header(d);
        assert_keel(parse_header(d, &h), KEEL_E_GPT_BAD_ENTRY_SIZE);
        write_le32(d + SECTOR + 84, 1u << 30);
        reseal_header(d);
        assert_keel(parse_header(d, &h), KEEL_E_GPT_BAD_ENTRY_SIZE);
        free(d);

        d = exact_copy(disk, disk_size);
        write_le32(d + SECTOR + 80, 0xffffffffu);
        reseal_header(d);
        assert_keel(parse_header(d, &h), KEEL_E_GPT_BAD_ENTRY_COUNT);
        write_le32(d + SECTOR + 80, 0);
        reseal_header(d);
        assert_keel(parse_header(d, &h), KEEL_E_GPT_BAD_ENTRY_COUNT);
        free(d);

        assert_keel(gpt_parse_header(disk + SECTOR, 64, 1, &h), KEEL_E_GPT_TRUNCATED);
}

static void test_hostile_entries(void **state) {
        struct gpt_header h;
        struct gpt_partition p;
        uint8_t *d = exact_copy(disk, disk_size);
        (void) state;

        assert_keel(parse_header(d, &h), KEEL_OK);
        d[2 * SECTOR + 128 + 20] ^= 1; /* the XBOOTLDR entry, not resealed */
        assert_keel(find_xbootldr(d, &h, &p), KEEL_E_GPT_BAD_CRC);

        /* An entry whose first LBA is after its last. */
        memcpy(d, disk, disk_size);
        write_le64(d + 2 * SECTOR + 128 + 32, 1u << 30);
        write_le32(d + SECTOR + 88, crc32(0, d + 2 * SECTOR, (size_t) gpt_entries_size(&h)));
        reseal_header(d);
        assert_keel(parse_header(d, &h), KEEL_OK);
        assert_keel(find_xbootldr(d, &h, &p), KEEL_E_GPT_BAD_ENTRY);

        /* An entry array shorter than the header says. */
        assert_keel(gpt_find_partition(&h, d + 2 * SECTOR, 100, gpt_type_xbootldr, &p), KEEL_E_GPT_TRUNCATED);
        free(d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_crc32_known_answer), cmocka_unit_test(test_sfdisk_table),
                cmocka_unit_test(test_no_xbootldr),        cmocka_unit_test(test_hostile_headers),
                cmocka_unit_test(test_hostile_entries),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
