/* SPDX-License-Identifier: MIT */
/* SMBIOS entry points, the type 11 OEM-string lookup and the PCR 1
 * measurements (common/smbios.c): tables laid out as DSP0134 describes them
 * (and as QEMU's -smbios type=11 writes them), a real table QEMU and OVMF
 * published with the digests systemd-stub 262 measured from it, then every
 * truncation and the malformed cases. Every input is an exact-size heap
 * copy, so AddressSanitizer reports any read past it. */
#include <openssl/sha.h>

#include "keel-test.h"

#include "common/smbios.h"

/* See tests/unit/fixtures/README. */
#define QEMU_TABLE "tests/unit/fixtures/smbios-qemu.bin"

struct table {
        uint8_t b[512];
        size_t n;
};

/* A structure: header (type, length, handle), formatted bytes, strings. */
static void add(struct table *t, uint8_t type, const uint8_t *formatted, size_t n_formatted,
                const char *const *strings, size_t n_strings) {
        uint8_t *p = t->b + t->n;

        p[0] = type;
        p[1] = (uint8_t) (4 + n_formatted);
        p[2] = (uint8_t) t->n;
        p[3] = 0;
        if (n_formatted)
                memcpy(p + 4, formatted, n_formatted);
        t->n += 4 + n_formatted;
        for (size_t i = 0; i < n_strings; i++) {
                size_t l = strlen(strings[i]) + 1;
                memcpy(t->b + t->n, strings[i], l);
                t->n += l;
        }
        if (n_strings == 0)
                t->b[t->n++] = 0;
        t->b[t->n++] = 0;
}

static void qemu_like(struct table *t) {
        static const char *const bios[] = { "EFI Development Kit II / OVMF", "0.0.0", "02/06/2015" };
        static const char *const oem[] = { "io.systemd.credential:foo=bar",
                                           "io.systemd.stub.kernel-cmdline-extra=keel.smbios=1 quiet",
                                           "io.systemd.boot.kernel-cmdline-extra=keel.boot=2" };
        uint8_t type0[14] = { 1, 2, 0, 0xe8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        uint8_t one = 3;

        memset(t, 0, sizeof(*t));
        add(t, 0, type0, sizeof(type0), bios, 3);
        add(t, 32, (const uint8_t[]) { 0, 0, 0, 0, 0, 0, 0 }, 7, NULL, 0);
        add(t, SMBIOS_TYPE_OEM_STRINGS, &one, 1, oem, 3);
        add(t, SMBIOS_TYPE_END, NULL, 0, NULL, 0);
}

static int lookup(const struct table *t, size_t len, const char *prefix, char *out, size_t out_size) {
        uint8_t *copy = exact_copy(t->b, len);
        const char *v;
        size_t n;
        int r = smbios_find_oem_string(copy, len, prefix, &v, &n);

        if (r == KEEL_OK) {
                assert_true(v >= (const char *) copy && v + n <= (const char *) copy + len);
                assert_true(n < out_size);
                memcpy(out, v, n);
                out[n] = 0;
        } else {
                assert_null(v);
                assert_int_equal(n, 0);
        }
        free(copy);
        return r;
}

static void test_lookup(void **state _unused_) {
        struct table t;
        char v[128];

        qemu_like(&t);
        assert_keel(lookup(&t, t.n, "io.systemd.stub.kernel-cmdline-extra=", v, sizeof(v)), KEEL_OK);
        assert_string_equal(v, "keel.smbios=1 quiet");
        assert_keel(lookup(&t, t.n, "io.systemd.boot.kernel-cmdline-extra=", v, sizeof(v)), KEEL_OK);
        assert_string_equal(v, "keel.boot=2");
        assert_keel(lookup(&t, t.n, "io.systemd.credential:", v, sizeof(v)), KEEL_OK);
        assert_string_equal(v, "foo=bar");
        /* A prefix, not a substring; and the whole name with its '='. */
        assert_keel(lookup(&t, t.n, "systemd.stub", v, sizeof(v)), KEEL_E_SMBIOS_NOT_FOUND);
        assert_keel(lookup(&t, t.n, "io.systemd.stub.kernel-cmdline-extra=keel.smbios=1 quiet!", v, sizeof(v)),
                    KEEL_E_SMBIOS_NOT_FOUND);
        /* An empty value is a value. */
        {
                static const char *const oem[] = { "io.systemd.stub.kernel-cmdline-extra=" };
                uint8_t one = 1;
                memset(&t, 0, sizeof(t));
                add(&t, SMBIOS_TYPE_OEM_STRINGS, &one, 1, oem, 1);
                assert_keel(lookup(&t, t.n, "io.systemd.stub.kernel-cmdline-extra=", v, sizeof(v)), KEEL_OK);
                assert_string_equal(v, "");
        }
}

/* Only the first type 11 structure counts (systemd's rule), and the end
 * structure ends the walk even when bytes follow. */
static void test_first_type11_and_end(void **state _unused_) {
        static const char *const a[] = { "x=1" }, *const b[] = { "io.systemd.stub.kernel-cmdline-extra=late" };
        uint8_t one = 1;
        struct table t = {};
        char v[64];

        add(&t, SMBIOS_TYPE_OEM_STRINGS, &one, 1, a, 1);
        add(&t, SMBIOS_TYPE_OEM_STRINGS, &one, 1, b, 1);
        assert_keel(lookup(&t, t.n, "io.systemd.stub.kernel-cmdline-extra=", v, sizeof(v)), KEEL_E_SMBIOS_NOT_FOUND);
        memset(&t, 0, sizeof(t));
        add(&t, SMBIOS_TYPE_END, NULL, 0, NULL, 0);
        add(&t, SMBIOS_TYPE_OEM_STRINGS, &one, 1, b, 1);
        assert_keel(lookup(&t, t.n, "io.systemd.stub.kernel-cmdline-extra=", v, sizeof(v)), KEEL_E_SMBIOS_NOT_FOUND);
        /* A type 11 without strings, or shorter than its count byte. */
        memset(&t, 0, sizeof(t));
        add(&t, SMBIOS_TYPE_OEM_STRINGS, &one, 1, NULL, 0);
        assert_keel(lookup(&t, t.n, "x=", v, sizeof(v)), KEEL_E_SMBIOS_NOT_FOUND);
        memset(&t, 0, sizeof(t));
        add(&t, SMBIOS_TYPE_OEM_STRINGS, NULL, 0, a, 1);
        add(&t, SMBIOS_TYPE_OEM_STRINGS, &one, 1, b, 1);
        assert_keel(lookup(&t, t.n, "io.systemd.stub.kernel-cmdline-extra=", v, sizeof(v)), KEEL_OK);
        assert_string_equal(v, "late");
}

/* Every prefix of a valid table: never a read past it, and a value only
 * when its string and the structure's double NUL are inside. */
static void test_truncated(void **state _unused_) {
        struct table t;
        char v[128];

        qemu_like(&t);
        for (size_t len = 0; len <= t.n; len++) {
                int r = lookup(&t, len, "io.systemd.boot.kernel-cmdline-extra=", v, sizeof(v));
                size_t off, end;
                uint8_t *copy = exact_copy(t.b, len);
                int s = smbios_find_structure(copy, len, SMBIOS_TYPE_OEM_STRINGS, 5, &off, &end);

                free(copy);
                assert_true(r == KEEL_OK || r == KEEL_E_SMBIOS_MALFORMED || r == KEEL_E_SMBIOS_NOT_FOUND);
                if (s == KEEL_OK)
                        assert_true(end <= len);
                if (r == KEEL_OK) {
                        assert_int_equal(s, KEEL_OK);
                        assert_string_equal(v, "keel.boot=2");
                }
        }
}

static void test_malformed(void **state _unused_) {
        struct table t;
        size_t off, end;
        char v[64];

        /* A length under the 4-byte header would loop or read the header as strings. */
        for (uint8_t l = 0; l < 4; l++) {
                qemu_like(&t);
                t.b[1] = l;
                assert_keel(lookup(&t, t.n, "io.systemd.boot.kernel-cmdline-extra=", v, sizeof(v)),
                            KEEL_E_SMBIOS_MALFORMED);
        }
        /* A length past the table. */
        qemu_like(&t);
        t.b[1] = 0xff;
        assert_keel(lookup(&t, 64, "x=", v, sizeof(v)), KEEL_E_SMBIOS_MALFORMED);
        /* Strings without their double NUL. */
        memset(&t, 0, sizeof(t));
        t.b[0] = SMBIOS_TYPE_OEM_STRINGS;
        t.b[1] = 5;
        t.b[4] = 1;
        memcpy(t.b + 5, "abc\0def", 7);
        assert_keel(lookup(&t, 12, "abc", v, sizeof(v)), KEEL_E_SMBIOS_MALFORMED);
        assert_keel(smbios_find_structure(t.b, 12, 11, 5, &off, &end), KEEL_E_SMBIOS_MALFORMED);
        assert_keel(smbios_find_structure(NULL, 0, 11, 5, &off, &end), KEEL_E_SMBIOS_NOT_FOUND);
}

static void test_entry_points(void **state _unused_) {
        uint8_t sm3[0x18] = { '_', 'S', 'M', '3', '_', 0, 0x18, 3, 0, 0, 1, 0 };
        uint8_t sm2[0x1f] = { '_', 'S', 'M', '_', 0, 0x1f, 2, 8 };
        uint64_t addr;
        size_t len;
        uint8_t *c;

        write_le32(sm3 + 0x0c, 0x1234);
        write_le64(sm3 + 0x10, UINT64_C(0x7fabc000));
        c = exact_copy(sm3, sizeof(sm3));
        assert_keel(smbios_entry_point(c, sizeof(sm3), true, &addr, &len), KEEL_OK);
        assert_int_equal(addr, 0x7fabc000);
        assert_int_equal(len, 0x1234);
        /* The SM3 maximum size is clamped; a short buffer or entry point is refused. */
        write_le32(c + 0x0c, 0xffffffffu);
        assert_keel(smbios_entry_point(c, sizeof(sm3), true, &addr, &len), KEEL_OK);
        assert_int_equal(len, SMBIOS_TABLE_MAX);
        assert_keel(smbios_entry_point(c, sizeof(sm3) - 1, true, &addr, &len), KEEL_E_SMBIOS_BAD_ENTRY_POINT);
        c[6] = 0x17;
        assert_keel(smbios_entry_point(c, sizeof(sm3), true, &addr, &len), KEEL_E_SMBIOS_BAD_ENTRY_POINT);
        c[6] = 0x18;
        assert_keel(smbios_entry_point(c, sizeof(sm3), false, &addr, &len), KEEL_E_SMBIOS_BAD_ENTRY_POINT);
        write_le64(c + 0x10, 0);
        assert_keel(smbios_entry_point(c, sizeof(sm3), true, &addr, &len), KEEL_E_SMBIOS_BAD_ENTRY_POINT);
        assert_int_equal(addr, 0);
        free(c);

        write_le16(sm2 + 0x16, 0x321);
        write_le32(sm2 + 0x18, 0xf0000);
        c = exact_copy(sm2, sizeof(sm2));
        assert_keel(smbios_entry_point(c, sizeof(sm2), false, &addr, &len), KEEL_OK);
        assert_int_equal(addr, 0xf0000);
        assert_int_equal(len, 0x321);
        /* The 2.1 erratum length 0x1e is accepted, anything shorter not. */
        c[5] = 0x1e;
        assert_keel(smbios_entry_point(c, 0x1e, false, &addr, &len), KEEL_OK);
        c[5] = 0x1d;
        assert_keel(smbios_entry_point(c, sizeof(sm2), false, &addr, &len), KEEL_E_SMBIOS_BAD_ENTRY_POINT);
        c[5] = 0x1f;
        c[3] = 'X';
        assert_keel(smbios_entry_point(c, sizeof(sm2), false, &addr, &len), KEEL_E_SMBIOS_BAD_ENTRY_POINT);
        assert_keel(smbios_entry_point(NULL, 0, false, &addr, &len), KEEL_E_SMBIOS_BAD_ENTRY_POINT);
        free(c);
}

/* The SHA-256 systemd measures for m: the structure, wake-up type zeroed. */
static void measurement_digest(const uint8_t *table, const struct smbios_measurement *m, char hex[65]) {
        uint8_t *copy = exact_copy(table + m->offset, m->size), md[SHA256_DIGEST_LENGTH];

        if (m->clear_wake_up_type)
                copy[SMBIOS_TYPE1_WAKE_UP_TYPE] = 0;
        SHA256(copy, m->size, md);
        for (size_t i = 0; i < sizeof(md); i++)
                sprintf(hex + 2 * i, "%02x", md[i]);
        free(copy);
}

/* The table QEMU 7.2 + OVMF published for -smbios type=1,...,serial=SER123
 * -smbios type=2,... -smbios type=11,...; the digests are those of the
 * three EV_EVENT_TAG events systemd-stub 262 logged into PCR 1 for it. */
static void test_measurements_systemd_262(void **state _unused_) {
        static const struct {
                uint32_t tag;
                const char *description, *sha256;
        } expected[] = {
                { 0xd5cb7cbc, "smbios:type1", "55f756c9faebc18c7b61e3621737c4cc6954d9b8c8cde086817973da66332873" },
                { 0xe0d47bc8, "smbios:type2", "65bf9303bdb7508ec6d117708675c6fb1651b7c52f79f311411d4542be37572c" },
                { 0xc0b3bd23, "smbios:type11", "9b1b0c3aaae316ddf55d0cf958b7243d6279cc4a71546ac40b73179b9c84f892" },
        };
        struct smbios_measurement m;
        size_t len, off = 0;
        uint8_t *file = slurp(QEMU_TABLE, &len), *table;
        char hex[65];

        assert_non_null(file);
        table = exact_copy(file, len);
        free(file);
        for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
                assert_keel(smbios_next_measurement(table, len, &off, &m), KEEL_OK);
                assert_int_equal(m.tag_id, expected[i].tag);
                assert_string_equal(m.description, expected[i].description);
                measurement_digest(table, &m, hex);
                assert_string_equal(hex, expected[i].sha256);
        }
        /* QEMU's type 1 carries a wake-up type ("power switch", 6). */
        assert_int_equal(table[SMBIOS_TYPE1_WAKE_UP_TYPE], 6);
        assert_keel(smbios_next_measurement(table, len, &off, &m), KEEL_E_SMBIOS_NOT_FOUND);
        assert_keel(smbios_next_measurement(table, len, &off, &m), KEEL_E_SMBIOS_NOT_FOUND);
        free(table);
}

/* Every type 1, 2 and 11 in table order (not just the first), the others
 * skipped; a type 1 of SMBIOS 2.0 (formatted area of 8 bytes) has no
 * wake-up type to clear; what comes before a malformed structure stands. */
static void test_measurements(void **state _unused_) {
        static const char *const s1[] = { "Vendor" }, *const s11[] = { "a=1", "b=2" };
        uint8_t type1_v20[4] = { 1, 0, 0, 0 }, type1[23] = { 1, 2, 0, 0 }, one = 2, board[4] = {};
        struct smbios_measurement m;
        struct table t = {};
        size_t off = 0, at[5];
        uint8_t *c;

        at[0] = t.n;
        add(&t, SMBIOS_TYPE_SYSTEM, type1_v20, sizeof(type1_v20), s1, 1);
        add(&t, 0, NULL, 0, s1, 1);
        at[1] = t.n;
        add(&t, SMBIOS_TYPE_OEM_STRINGS, &one, 1, s11, 2);
        at[2] = t.n;
        add(&t, SMBIOS_TYPE_BASEBOARD, board, sizeof(board), NULL, 0);
        at[3] = t.n;
        type1[SMBIOS_TYPE1_WAKE_UP_TYPE - 4] = 6;
        add(&t, SMBIOS_TYPE_SYSTEM, type1, sizeof(type1), s1, 1);
        at[4] = t.n;
        add(&t, SMBIOS_TYPE_OEM_STRINGS, &one, 1, s11, 2);
        add(&t, SMBIOS_TYPE_END, NULL, 0, NULL, 0);
        add(&t, SMBIOS_TYPE_OEM_STRINGS, &one, 1, s11, 2); /* after the end: never */

        c = exact_copy(t.b, t.n);
        assert_keel(smbios_next_measurement(c, t.n, &off, &m), KEEL_OK);
        assert_int_equal(m.offset, at[0]);
        assert_int_equal(m.size, 4 + 4 + 7 + 1);
        assert_false(m.clear_wake_up_type);
        assert_keel(smbios_next_measurement(c, t.n, &off, &m), KEEL_OK);
        assert_int_equal(m.offset, at[1]);
        assert_int_equal(m.size, 5 + 4 + 4 + 1);
        assert_string_equal(m.description, "smbios:type11");
        assert_keel(smbios_next_measurement(c, t.n, &off, &m), KEEL_OK);
        assert_int_equal(m.offset, at[2]);
        assert_int_equal(m.size, 8 + 2); /* no strings: two NUL bytes */
        assert_string_equal(m.description, "smbios:type2");
        assert_int_equal(m.tag_id, SMBIOS_TYPE2_EVENT_TAG_ID);
        assert_keel(smbios_next_measurement(c, t.n, &off, &m), KEEL_OK);
        assert_int_equal(m.offset, at[3]);
        assert_true(m.clear_wake_up_type);
        assert_int_equal(c[m.offset + SMBIOS_TYPE1_WAKE_UP_TYPE], 6);
        assert_keel(smbios_next_measurement(c, t.n, &off, &m), KEEL_OK);
        assert_int_equal(m.offset, at[4]);
        assert_keel(smbios_next_measurement(c, t.n, &off, &m), KEEL_E_SMBIOS_NOT_FOUND);
        free(c);

        /* A structure running past the table after two good ones. */
        t.b[at[2] + 1] = 0xff;
        c = exact_copy(t.b, at[2] + 20);
        off = 0;
        assert_keel(smbios_next_measurement(c, at[2] + 20, &off, &m), KEEL_OK);
        assert_keel(smbios_next_measurement(c, at[2] + 20, &off, &m), KEEL_OK);
        assert_keel(smbios_next_measurement(c, at[2] + 20, &off, &m), KEEL_E_SMBIOS_MALFORMED);
        assert_int_equal(m.size, 0);
        free(c);
        /* An offset past the table (a caller's mistake) ends the walk. */
        off = 1000;
        assert_keel(smbios_next_measurement(t.b, t.n, &off, &m), KEEL_E_SMBIOS_NOT_FOUND);
}

/* Every prefix of the real table: measurements only inside it, and the
 * same ones as in the whole table up to where it is cut. */
static void test_measurements_truncated(void **state _unused_) {
        size_t len;
        uint8_t *file = slurp(QEMU_TABLE, &len);

        assert_non_null(file);
        for (size_t n = 0; n <= len; n++) {
                uint8_t *c = exact_copy(file, n);
                struct smbios_measurement m;
                size_t off = 0;
                int r;

                while ((r = smbios_next_measurement(c, n, &off, &m)) == KEEL_OK) {
                        assert_true(m.offset < n && m.size <= n - m.offset && off <= n);
                        assert_true(!m.clear_wake_up_type || m.size > SMBIOS_TYPE1_WAKE_UP_TYPE);
                }
                assert_true(r == KEEL_E_SMBIOS_NOT_FOUND || r == KEEL_E_SMBIOS_MALFORMED);
                free(c);
        }
        free(file);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lookup),
                cmocka_unit_test(test_first_type11_and_end),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_entry_points),
                cmocka_unit_test(test_measurements_systemd_262),
                cmocka_unit_test(test_measurements),
                cmocka_unit_test(test_measurements_truncated),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
