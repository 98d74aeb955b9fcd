/* SPDX-License-Identifier: MIT */
/* The names and the URL `keel sysupdate` writes into file names, partition
 * labels and .transfer files: what systemd-sysupdate's patterns could split
 * wrongly (NAME_@v+@l.efi) or a .transfer line could smuggle (a line break
 * in Path=, a '%' specifier) is refused or escaped. */
#include "keel-test.h"

#include "host-tools/sysupdate/sysupdate-names.h"

static char big[2 * SYSUPDATE_URL_MAX + 64];

static void test_names(void **state) {
        (void) state;
        assert_int_equal(sysupdate_check_name("t", "demo"), 0);
        assert_int_equal(sysupdate_check_name("t", "my-os.x86"), 0);
        assert_int_equal(sysupdate_check_name("t", "abcdefghijklmnopqrstuvwx"), 0); /* 24 */
        assert_int_equal(sysupdate_check_name("t", "abcdefghijklmnopqrstuvwxy"), -1);
        assert_int_equal(sysupdate_check_name("t", ""), -1);
        assert_int_equal(sysupdate_check_name("t", "de_mo"), -1);
        assert_int_equal(sysupdate_check_name("t", "de+mo"), -1);
        assert_int_equal(sysupdate_check_name("t", "a/b"), -1);
        assert_int_equal(sysupdate_check_name("t", "-demo"), -1);
        assert_int_equal(sysupdate_check_name("t", ".demo"), -1);
        assert_int_equal(sysupdate_check_name("t", "de mo"), -1);
        assert_int_equal(sysupdate_check_name("t", "dem\xc3\xb6"), -1);
        assert_int_equal(sysupdate_check_name("t", "demo\n"), -1);
}

static void test_versions(void **state) {
        (void) state;
        assert_int_equal(sysupdate_check_version("t", "1"), 0);
        assert_int_equal(sysupdate_check_version("t", "257.3-1~rc1^git"), 0);
        assert_int_equal(sysupdate_check_version("t", "3+1"), -1); /* NAME_3+1+3.efi: tries left 1 or 3? */
        assert_int_equal(sysupdate_check_version("t", "3_1"), -1);
        assert_int_equal(sysupdate_check_version("t", "~1"), -1);
        assert_int_equal(sysupdate_check_version("t", "1/2"), -1);
        assert_int_equal(sysupdate_check_version("t", ""), -1);
        assert_int_equal(sysupdate_check_version("t", "1234567890123456789012345"), -1);
}

static void test_label(void **state) {
        (void) state;
        /* 12 + 1 + 16 + 7 = 36: fits; one more does not. */
        assert_int_equal(sysupdate_check_label("t", "abcdefghijkl", "1234567890123456"), 0);
        assert_int_equal(sysupdate_check_label("t", "abcdefghijklm", "1234567890123456"), -1);
        assert_int_equal(sysupdate_check_label("t", "abcdefghijklmnopqrstuvwx", "123456789012345678901234"), -1);
}

static void assert_url(const char *url, const char *expected) {
        char out[2 * SYSUPDATE_URL_MAX + 1];

        memset(out, 'X', sizeof(out));
        assert_int_equal(sysupdate_url_escape("t", url, out), 0);
        assert_string_equal(out, expected);
}

static void test_url_escaped(void **state) {
        (void) state;
        assert_url("https://updates.example/os", "https://updates.example/os");
        assert_url("https://updates.example/os/", "https://updates.example/os");
        assert_url("http://h/a%20b", "http://h/a%%20b");
        assert_url("file:///srv/updates//", "file:///srv/updates");
        assert_url("https://h/%%", "https://h/%%%%");
}

static void test_url_refused(void **state) {
        char out[2 * SYSUPDATE_URL_MAX + 1];

        (void) state;
        assert_int_equal(sysupdate_url_escape("t", "https://h/a\nPath=/etc", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "https://h/a b", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "https://h/a\tb", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "https://h/a\x7f", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "https://h/\"a\"", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "https://h/'a'", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "https://h/a\\", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "ftp://h/a", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "file://h/a", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "/srv/updates", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "https://", out), -1);
        assert_int_equal(sysupdate_url_escape("t", "file:////", out), -1);
}

/* The longest URL with only '%': exactly fills the doubled buffer; one
 * byte more is refused. */
static void test_url_longest(void **state) {
        char *out = malloc(2 * SYSUPDATE_URL_MAX + 1);

        (void) state;
        assert_non_null(out);
        memset(big, '%', sizeof(big));
        memcpy(big, "https://h/", 10);
        big[SYSUPDATE_URL_MAX] = '\0';
        assert_int_equal(sysupdate_url_escape("t", big, out), 0);
        assert_int_equal(strlen(out), 10 + 2 * (SYSUPDATE_URL_MAX - 10));
        big[SYSUPDATE_URL_MAX] = '%';
        big[SYSUPDATE_URL_MAX + 1] = '\0';
        assert_int_equal(sysupdate_url_escape("t", big, out), -1);
        free(out);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),        cmocka_unit_test(test_versions),
                cmocka_unit_test(test_label),
                cmocka_unit_test(test_url_escaped),  cmocka_unit_test(test_url_refused),
                cmocka_unit_test(test_url_longest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
