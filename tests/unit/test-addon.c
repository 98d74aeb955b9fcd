/* SPDX-License-Identifier: MIT */
/* Addon rules shared by the stub and `keel pcr predict --addon`
 * (common/addon.c): which addons are used (no kernel, .uname as
 * systemd-stub compares it, something to contribute) and how their command
 * lines are joined and mangled (systemd's mangle_stub_cmdline(), written
 * out here from its documented behaviour: control characters, DEL and
 * space become spaces, leading and trailing ones go, inner runs stay). */
#include "keel-test.h"

#include "common/addon.h"
#include "common/utf.h"

static struct pe_section fake;

static void test_check(void **state _unused_) {
        struct uki_sections s = {};

        assert_keel(addon_check(&s, NULL, 0, NULL, 0), KEEL_E_ADDON_EMPTY);
        s.section[UKI_SECTION_CMDLINE] = &fake;
        assert_keel(addon_check(&s, NULL, 0, NULL, 0), KEEL_OK);
        assert_keel(addon_check(&s, NULL, 0, "6.1.0-1", 7), KEEL_OK);      /* the addon names no kernel */
        assert_keel(addon_check(&s, "6.1.0-1", 7, NULL, 0), KEEL_OK);      /* the UKI names none */
        assert_keel(addon_check(&s, "6.1.0-1", 7, "6.1.0-1", 7), KEEL_OK);
        assert_keel(addon_check(&s, "6.1.0-1\0\0\0", 10, "6.1.0-1", 7), KEEL_OK); /* section padding */
        assert_keel(addon_check(&s, "6.1.0-1", 7, "6.1.0-1\0", 8), KEEL_OK);
        assert_keel(addon_check(&s, "6.1.0-2", 7, "6.1.0-1", 7), KEEL_E_ADDON_UNAME_MISMATCH);
        assert_keel(addon_check(&s, "6.1.0-1\0", 8, "6.1.0-10", 8), KEEL_E_ADDON_UNAME_MISMATCH);
        assert_keel(addon_check(&s, "6.1.0-10", 8, "6.1.0-1", 7), KEEL_E_ADDON_UNAME_MISMATCH);
        /* strncmp over the addon's section size, as systemd-stub: a shorter
         * section without its NUL is a prefix match. */
        assert_keel(addon_check(&s, "6.1", 3, "6.1.0-1", 7), KEEL_OK);
        assert_keel(addon_check(&s, "", 0, "6.1.0-1", 7), KEEL_OK);
        assert_keel(addon_check(&s, "\0", 1, "6.1.0-1", 7), KEEL_E_ADDON_UNAME_MISMATCH);
        /* A kernel makes it a UKI, whatever else it has. */
        s.section[UKI_SECTION_LINUX] = &fake;
        assert_keel(addon_check(&s, NULL, 0, NULL, 0), KEEL_E_ADDON_IS_UKI);
        s.section[UKI_SECTION_LINUX] = NULL;
        s.section[UKI_SECTION_TLINUX] = &fake;
        assert_keel(addon_check(&s, NULL, 0, NULL, 0), KEEL_E_ADDON_IS_UKI);
        /* Each contributing section alone is enough. */
        for (enum uki_section k = 0; k < _UKI_SECTION_MAX; k++) {
                struct uki_sections one = {};
                bool contributes = k == UKI_SECTION_CMDLINE || k == UKI_SECTION_DTB || k == UKI_SECTION_INITRD ||
                                   k == UKI_SECTION_UCODE;
                one.section[k] = &fake;
                if (k == UKI_SECTION_LINUX || k == UKI_SECTION_TLINUX)
                        continue;
                assert_keel(addon_check(&one, NULL, 0, NULL, 0), contributes ? KEEL_OK : KEEL_E_ADDON_EMPTY);
        }
}

static void mangled(const char *in, const char *expected) {
        uint16_t buf[128];
        char out[384];
        size_t n;

        utf8_to_utf16(in, strlen(in), buf);
        n = addon_cmdline_mangle(buf);
        utf16_to_utf8(buf, n, out);
        assert_string_equal(out, expected);
        assert_int_equal(n, utf16_strnlen(buf, 128));
}

static void test_mangle(void **state _unused_) {
        mangled("", "");
        mangled("   ", "");
        mangled("a", "a");
        mangled("  a b  ", "a b");
        mangled("\ta\nb\r\n", "a b");
        mangled("a\x7f\x01" "b", "a  b");       /* inner runs are kept */
        mangled("a   b", "a   b");
        mangled("console=ttyS0 caf\xc3\xa9", "console=ttyS0 caf\xc3\xa9");
}

static void joined(const char *const *sections, size_t n, const char *expected) {
        uint16_t buf[512];
        char out[1536];
        size_t units = 0;

        buf[0] = 0;
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(sections[i]);
                char *exact = (char *) exact_copy(sections[i], len); /* no NUL: bounded by len */
                assert_true(ADDON_CMDLINE_JOIN_UNITS(units, len) <= ARRAY_SIZE(buf));
                addon_cmdline_join(buf, &units, exact, len);
                free(exact);
        }
        assert_int_equal(units, utf16_strnlen(buf, 512));
        utf16_to_utf8(buf, units, out);
        assert_string_equal(out, expected);
}

static void test_join(void **state _unused_) {
        joined((const char *[]) { "quiet" }, 1, "quiet");
        joined((const char *[]) { "quiet\n", " loglevel=3 " }, 2, "quiet loglevel=3");
        /* systemd joins with a space even after an empty one; the final
         * mangle (in the stub) trims a trailing one, inner ones stay. */
        joined((const char *[]) { "a", "  ", "b" }, 3, "a  b");
        joined((const char *[]) { "", "b" }, 2, "b");
        joined((const char *[]) { "a", "" }, 2, "a ");
        /* A NUL inside the section ends it. */
        {
                uint16_t buf[32] = { 0 };
                size_t units = 0;
                addon_cmdline_join(buf, &units, "x=1\0y=2", 7);
                assert_int_equal(units, 3);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_mangle),
                cmocka_unit_test(test_join),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
