/* SPDX-License-Identifier: MIT */
/* EFI_LOAD_OPTION (Boot####) encoding and parsing, and BootOrder. The
 * expected bytes are written out by hand from UEFI 2.10 §3.1.3 (load
 * option) and §10.3.5.1/§10.3.5.4 (hard drive and file path media nodes);
 * tests/cli/test-install-boot-entry.sh compares keel's Boot#### with what
 * efibootmgr's libefiboot makes and reads, and the OVMF scenario
 * install-boot-entry has the firmware boot it. Existing values are
 * untrusted: every truncation and each malformed field has its own error. */
#include "keel-test.h"

#include "host-tools/install/load-option.h"

#define PARTUUID "01234567-89ab-cdef-0123-456789abcdef"
#define LOADER "\\EFI\\keel\\keelx64.efi"

/* Attributes ACTIVE, FilePathListLength 94, "keel", HD(1, 2048, 204800,
 * PARTUUID, GPT), File(\EFI\keel\keelx64.efi), End. */
static const uint8_t expected[] = {
        0x01, 0x00, 0x00, 0x00, 0x5e, 0x00,
        'k', 0, 'e', 0, 'e', 0, 'l', 0, 0, 0,
        0x04, 0x01, 0x2a, 0x00,
        0x01, 0x00, 0x00, 0x00,
        0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x20, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x67, 0x45, 0x23, 0x01, 0xab, 0x89, 0xef, 0xcd, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
        0x02, 0x02,
        0x04, 0x04, 0x30, 0x00,
        '\\', 0, 'E', 0, 'F', 0, 'I', 0, '\\', 0, 'k', 0, 'e', 0, 'e', 0, 'l', 0, '\\', 0, 'k', 0,
        'e', 0, 'e', 0, 'l', 0, 'x', 0, '6', 0, '4', 0, '.', 0, 'e', 0, 'f', 0, 'i', 0, 0, 0,
        0x7f, 0xff, 0x04, 0x00,
};
#define DESCRIPTION_END 16  /* offset of the first device path node */
#define FILE_NODE 58        /* offset of the file path node */
#define END_NODE 106

static struct load_option_partition esp(void) {
        struct load_option_partition p = { .number = 1, .start = 2048, .size = 204800 };
        assert_true(guid_parse(PARTUUID, p.guid));
        return p;
}

static int parse(const uint8_t *buf, size_t len, struct load_option *o) {
        uint8_t *copy = exact_copy(buf, len);
        int r = load_option_parse(copy, len, o);
        free(copy);
        return r;
}

static void test_encode_known_bytes(void **state) {
        struct load_option_partition p = esp();
        uint8_t buf[512];
        (void) state;

        assert_int_equal(sizeof(expected), END_NODE + 4);
        assert_int_equal(load_option_encode(LOAD_OPTION_ACTIVE, "keel", &p, LOADER, buf, sizeof(buf)),
                         sizeof(expected));
        assert_memory_equal(buf, expected, sizeof(expected));
        /* Exactly enough room is enough; one byte less is not. */
        assert_int_equal(load_option_encode(LOAD_OPTION_ACTIVE, "keel", &p, LOADER, buf, sizeof(expected)),
                         sizeof(expected));
        assert_int_equal(load_option_encode(LOAD_OPTION_ACTIVE, "keel", &p, LOADER, buf, sizeof(expected) - 1),
                         LOAD_OPTION_E_SPACE);
        assert_int_equal(load_option_encode(LOAD_OPTION_ACTIVE, "k\xc3\xa9", &p, LOADER, buf, sizeof(buf)),
                         LOAD_OPTION_E_ARGUMENT);
        assert_int_equal(load_option_encode(LOAD_OPTION_ACTIVE, "keel", &p, "\\EFI\n", buf, sizeof(buf)),
                         LOAD_OPTION_E_ARGUMENT);
}

static void test_parse_and_match(void **state) {
        struct load_option_partition p = esp();
        struct load_option o;
        uint8_t other[16];
        (void) state;

        assert_int_equal(parse(expected, sizeof(expected), &o), LOAD_OPTION_OK);
        assert_int_equal(o.attributes, LOAD_OPTION_ACTIVE);
        assert_int_equal(o.description[0], 'k');
        assert_int_equal(o.description[4], 0);
        assert_true(o.has_partition);
        assert_int_equal(o.partition.number, 1);
        assert_int_equal(o.partition.start, 2048);
        assert_int_equal(o.partition.size, 204800);
        assert_memory_equal(o.partition.guid, p.guid, 16);
        assert_true(load_option_matches(&o, p.guid, LOADER));
        /* FAT compares names ignoring case; so does the match. */
        assert_true(load_option_matches(&o, p.guid, "\\efi\\KEEL\\KEELX64.EFI"));
        assert_false(load_option_matches(&o, p.guid, "\\EFI\\keel\\keelx64.ef"));
        assert_false(load_option_matches(&o, p.guid, "\\EFI\\keel\\keelx64.efi.old"));
        assert_false(load_option_matches(&o, p.guid, "\\EFI\\systemd\\systemd-bootx64.efi"));
        memcpy(other, p.guid, 16);
        other[15] ^= 1;
        assert_false(load_option_matches(&o, other, LOADER));
}

static void test_every_truncation(void **state) {
        struct load_option o;
        (void) state;

        for (size_t len = 0; len < sizeof(expected); len++) {
                int r = parse(expected, len, &o);
                if (len < 6)
                        assert_int_equal(r, LOAD_OPTION_E_TRUNCATED);
                else if (len < DESCRIPTION_END)
                        assert_int_equal(r, LOAD_OPTION_E_DESCRIPTION);
                else
                        assert_int_equal(r, LOAD_OPTION_E_PATH_LIST_LENGTH);
        }
        /* Optional data after the list is allowed and not read. */
        {
                uint8_t longer[sizeof(expected) + 3];
                memcpy(longer, expected, sizeof(expected));
                memset(longer + sizeof(expected), 0xee, 3);
                assert_int_equal(parse(longer, sizeof(longer), &o), LOAD_OPTION_OK);
        }
}

static void test_hostile_fields(void **state) {
        uint8_t b[sizeof(expected)];
        struct load_option o;
        (void) state;

        /* FilePathListLength far beyond the value. */
        memcpy(b, expected, sizeof(b));
        write_le16(b + 4, 0xffff);
        assert_int_equal(parse(b, sizeof(b), &o), LOAD_OPTION_E_PATH_LIST_LENGTH);
        /* A list that stops before any End node. */
        memcpy(b, expected, sizeof(b));
        write_le16(b + 4, END_NODE - DESCRIPTION_END);
        assert_int_equal(parse(b, sizeof(b), &o), LOAD_OPTION_E_NO_END);
        /* Node lengths 0 (would loop forever), 3, and beyond the list. */
        for (unsigned bad = 0; bad < 4; bad++) {
                memcpy(b, expected, sizeof(b));
                write_le16(b + FILE_NODE + 2, (uint16_t) bad);
                assert_int_equal(parse(b, sizeof(b), &o), LOAD_OPTION_E_NODE_LENGTH);
        }
        memcpy(b, expected, sizeof(b));
        write_le16(b + FILE_NODE + 2, 0x1000);
        assert_int_equal(parse(b, sizeof(b), &o), LOAD_OPTION_E_NODE_LENGTH);
        /* A hard drive node of the wrong size. */
        memcpy(b, expected, sizeof(b));
        write_le16(b + DESCRIPTION_END + 2, 40);
        assert_int_equal(parse(b, sizeof(b), &o), LOAD_OPTION_E_HARD_DRIVE);
        /* An odd-sized file path node (shortened by one, End moved up). */
        memcpy(b, expected, sizeof(b));
        write_le16(b + FILE_NODE + 2, 0x2f);
        memcpy(b + FILE_NODE + 0x2f, "\x7f\xff\x04\x00", 4);
        assert_int_equal(parse(b, sizeof(b), &o), LOAD_OPTION_E_FILE_PATH);
        /* A description without its NUL. */
        memcpy(b, expected, sizeof(b));
        assert_int_equal(parse(b, 14, &o), LOAD_OPTION_E_DESCRIPTION);
        /* An MBR partition (signature type 1) parses but is never ours. */
        memcpy(b, expected, sizeof(b));
        b[DESCRIPTION_END + 40] = 0x01;
        b[DESCRIPTION_END + 41] = 0x01;
        assert_int_equal(parse(b, sizeof(b), &o), LOAD_OPTION_OK);
        assert_false(o.has_partition);
        assert_false(load_option_matches(&o, o.partition.guid, LOADER));
}

static void test_long_strings(void **state) {
        size_t n = 6 + 2 * 600 + 4;
        uint8_t *b = calloc(1, n + 2 * 600 + 8);
        struct load_option o;
        (void) state;

        /* A 600-unit description: longer than kept. */
        for (size_t i = 0; i < 599; i++)
                write_le16(b + 6 + 2 * i, 'a');
        assert_int_equal(parse(b, n, &o), LOAD_OPTION_E_DESCRIPTION);
        /* A 600-unit file path. */
        memset(b, 0, n + 2 * 600 + 8);
        write_le16(b + 4, (uint16_t) (4 + 2 * 600 + 4));
        b[8] = 0x04;
        b[9] = 0x04;
        write_le16(b + 10, 4 + 2 * 600);
        for (size_t i = 0; i < 600; i++)
                write_le16(b + 12 + 2 * i, 'a');
        memcpy(b + 12 + 1200, "\x7f\xff\x04\x00", 4);
        assert_int_equal(parse(b, 12 + 1200 + 4, &o), LOAD_OPTION_E_FILE_PATH);
        free(b);
}

/* bootctl and firmware setup menus may split the path into several file
 * path nodes; they are one path. */
static void test_split_file_path(void **state) {
        struct load_option_partition p = esp();
        uint8_t b[200];
        struct load_option o;
        size_t n = DESCRIPTION_END + 42;
        static const char *const parts[] = { "\\EFI\\keel", "\\keelx64.efi" };
        (void) state;

        memcpy(b, expected, n);
        for (size_t k = 0; k < 2; k++) {
                size_t len = strlen(parts[k]);
                b[n] = 0x04;
                b[n + 1] = 0x04;
                write_le16(b + n + 2, (uint16_t) (4 + 2 * (len + 1)));
                for (size_t i = 0; i <= len; i++)
                        write_le16(b + n + 4 + 2 * i, i < len ? (uint16_t) parts[k][i] : 0);
                n += 4 + 2 * (len + 1);
        }
        memcpy(b + n, "\x7f\xff\x04\x00", 4);
        n += 4;
        write_le16(b + 4, (uint16_t) (n - DESCRIPTION_END));
        assert_int_equal(parse(b, n, &o), LOAD_OPTION_OK);
        assert_true(load_option_matches(&o, p.guid, LOADER));
}

static void test_boot_order(void **state) {
        uint8_t out[16];
        (void) state;

        /* 0001, 0000 -> 0002, 0001, 0000 */
        assert_int_equal(boot_order_put_first((const uint8_t *) "\x01\x00\x00\x00", 4, 2, out), 6);
        assert_memory_equal(out, "\x02\x00\x01\x00\x00\x00", 6);
        /* Already first stays; duplicates go; the others keep their order. */
        assert_int_equal(boot_order_put_first((const uint8_t *) "\x02\x00\x01\x00\x02\x00\x00\x00", 8, 2, out), 6);
        assert_memory_equal(out, "\x02\x00\x01\x00\x00\x00", 6);
        assert_int_equal(boot_order_put_first((const uint8_t *) "\x01\x00\x02\x00\x00\x00", 6, 2, out), 6);
        assert_memory_equal(out, "\x02\x00\x01\x00\x00\x00", 6);
        /* An odd trailing byte is dropped; an empty order gets just ours. */
        assert_int_equal(boot_order_put_first((const uint8_t *) "\x01\x00\x07", 3, 0xabcd, out), 4);
        assert_memory_equal(out, "\xcd\xab\x01\x00", 4);
        assert_int_equal(boot_order_put_first(NULL, 0, 5, out), 2);
        assert_memory_equal(out, "\x05\x00", 2);
}

static void test_guid_parse(void **state) {
        uint8_t g[16];
        (void) state;

        assert_true(guid_parse("01234567-89AB-CDEF-0123-456789ABCDEF", g));
        assert_memory_equal(g, "\x67\x45\x23\x01\xab\x89\xef\xcd\x01\x23\x45\x67\x89\xab\xcd\xef", 16);
        assert_false(guid_parse("", g));
        assert_false(guid_parse("01234567-89ab-cdef-0123-456789abcde", g));
        assert_false(guid_parse("01234567-89ab-cdef-0123-456789abcdef0", g));
        assert_false(guid_parse("01234567x89ab-cdef-0123-456789abcdef", g));
        assert_false(guid_parse("0123456g-89ab-cdef-0123-456789abcdef", g));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_encode_known_bytes), cmocka_unit_test(test_parse_and_match),
                cmocka_unit_test(test_every_truncation),   cmocka_unit_test(test_hostile_fields),
                cmocka_unit_test(test_long_strings),       cmocka_unit_test(test_split_file_path),
                cmocka_unit_test(test_boot_order),         cmocka_unit_test(test_guid_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
