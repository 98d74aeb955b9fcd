/* SPDX-License-Identifier: MIT */
/* The ESRT reader behind the loader's system-failure rule (common/esrt.c):
 * systemd-boot 258's sysfail_check() decides by the first entry whose
 * FwType is 1 (system firmware): its LastAttemptStatus other than 0
 * (success) is a failure. Tables are built here from the UEFI layout
 * (UEFI 2.10 §23.4: a 16-byte header, 40-byte entries) on exact-size heap
 * copies, so AddressSanitizer sees any read past them. */
#include "keel-test.h"

#include "common/esrt.h"

struct entry {
        uint32_t type, status;
};

/* A table with these entries (count and max as given). */
static uint8_t *table(uint32_t count, uint32_t max, uint64_t version, const struct entry *e, size_t n, size_t *ret_size) {
        size_t size = ESRT_HEADER_SIZE + n * ESRT_ENTRY_SIZE;
        uint8_t *t = calloc(1, size ? size : 1);

        assert_non_null(t);
        memcpy(t, &count, 4);
        memcpy(t + 4, &max, 4);
        memcpy(t + 8, &version, 8);
        for (size_t i = 0; i < n; i++) {
                uint8_t *p = t + ESRT_HEADER_SIZE + i * ESRT_ENTRY_SIZE;
                memset(p, 0x5a, 16); /* FwClass */
                memcpy(p + 16, &e[i].type, 4);
                memcpy(p + 36, &e[i].status, 4);
        }
        *ret_size = size;
        return t;
}

static bool failed(const struct entry *e, size_t n) {
        size_t size;
        uint8_t *t = table((uint32_t) n, (uint32_t) n, 1, e, n, &size);
        bool r;

        assert_int_equal(esrt_table_size(t), size);
        r = esrt_system_firmware_update_failed(t, size);
        free(t);
        return r;
}

static void test_rule(void **state) {
        (void) state;

        assert_false(failed(NULL, 0));
        assert_false(failed((struct entry[]) { { 1, 0 } }, 1));
        assert_true(failed((struct entry[]) { { 1, 1 } }, 1));
        /* Any status but success: insufficient resources (2), incorrect version (3)... */
        assert_true(failed((struct entry[]) { { 1, 7 } }, 1));
        /* Only system firmware counts (2: device firmware, 3: UEFI driver, 0: unknown). */
        assert_false(failed((struct entry[]) { { 2, 1 }, { 3, 1 }, { 0, 1 } }, 3));
        assert_true(failed((struct entry[]) { { 2, 0 }, { 1, 4 } }, 2));
        /* The first system firmware entry decides, as systemd-boot's loop returns on it. */
        assert_false(failed((struct entry[]) { { 1, 0 }, { 1, 1 } }, 2));
        assert_true(failed((struct entry[]) { { 1, 1 }, { 1, 0 } }, 2));
}

/* Headers keel does not read: another version, more entries than the table
 * says it has room for, more than ESRT_ENTRIES_MAX. Such a table reports
 * nothing; so does one shorter than its header says. */
static void test_bad_headers(void **state) {
        struct entry e[] = { { 1, 1 } };
        size_t size;
        uint8_t *t;
        (void) state;

        t = table(1, 1, 2, e, 1, &size);
        assert_int_equal(esrt_table_size(t), 0);
        assert_false(esrt_system_firmware_update_failed(t, size));
        free(t);
        t = table(2, 1, 1, e, 1, &size);
        assert_int_equal(esrt_table_size(t), 0);
        assert_false(esrt_system_firmware_update_failed(t, size));
        free(t);
        t = table(ESRT_ENTRIES_MAX + 1, UINT32_MAX, 1, e, 1, &size);
        assert_int_equal(esrt_table_size(t), 0);
        free(t);
        /* Count 2 with room for 2, but only one entry's bytes there. */
        t = table(2, 2, 1, e, 1, &size);
        assert_int_equal(esrt_table_size(t), ESRT_HEADER_SIZE + 2 * ESRT_ENTRY_SIZE);
        assert_false(esrt_system_firmware_update_failed(t, size));
        free(t);
        /* Shorter than a header. */
        t = exact_copy("\1\0\0\0", 4);
        assert_false(esrt_system_firmware_update_failed(t, 4));
        free(t);
        /* The largest count keel reads. */
        t = table(ESRT_ENTRIES_MAX, ESRT_ENTRIES_MAX, 1, NULL, 0, &size);
        assert_int_equal(esrt_table_size(t), ESRT_HEADER_SIZE + (size_t) ESRT_ENTRIES_MAX * ESRT_ENTRY_SIZE);
        free(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rule),
                cmocka_unit_test(test_bad_headers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
