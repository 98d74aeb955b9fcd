/* SPDX-License-Identifier: MIT */
/* keel install's extra files (host-tools/install/extra-manifest.c): which
 * ESP paths --extra-file and --extra-entry may write, and the record of
 * them on the ESP, \EFI\keel\extra-files, read back as an attacker of the
 * ESP may have written it: a record may never make keel remove one of its
 * own files or anything outside the ESP, and a malformed line costs only
 * that line. */
#include "keel-test.h"

#include "host-tools/install/extra-manifest.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_file_paths(void **state) {
        static const char *const good[] = {
                "efi/memtest86/memtest.efi", "EFI/tools/shellx64.efi", "shellx64.efi", "EFI/Linux/rescue.efi",
                "EFI/BOOT/fbx64.efi", "loader/keys/auto/db.auth", "EFI/keelx/a", "a/b/c/d/e/f",
                "EFI/Linux/nixos-generation-x.efi",
        };
        static const char *const bad[] = {
                "", "/efi/x.efi", "a//b", "a/", "./a", "a/./b", "a/../b", "..", "a\\b", "a/b\x01", "a:b", "a*",
                "a?", "a|b", "a<b", "a>b", "a\"b", "a/b.", "a /b", "EFI", "efi", "EFI/BOOT", "EFI/Linux", "loader",
                "EFI/keel", "EFI/keel/x", "efi/KEEL/keelx64.efi", "EFI/keel/extra-files", "EFI/keel/content/x",
                "EFI/BOOT/BOOTX64.EFI", "efi/boot/bootaa64.efi", "EFI/BOOT/BOOTIA32.EFI",
                "EFI/Linux/nixos-generation-1.efi", "efi/linux/nixos-generation-12+3-1.efi",
                "EFI/Linux/nixos-generation-1-specialisation-a.efi", "loader/loader.conf", "LOADER/Loader.Conf",
                "loader/entries", "loader/entries/a.conf", "loader/entries/x/y", "a/x.efi.keel-tmp-AbC123",
        };
        char long_name[300], long_path[600];
        (void) state;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                if (extra_file_path_problem(good[i]))
                        fail_msg("%s refused: %s", good[i], extra_file_path_problem(good[i]));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (!extra_file_path_problem(bad[i]))
                        fail_msg("'%s' accepted", bad[i]);
        memset(long_name, 'a', 256);
        long_name[256] = '\0';
        assert_non_null(extra_file_path_problem(long_name));
        long_name[255] = '\0';
        assert_null(extra_file_path_problem(long_name));
        for (size_t i = 0; i < sizeof(long_path) - 1; i++)
                long_path[i] = i % 2 ? '/' : 'a';
        long_path[513] = '\0';
        assert_non_null(extra_file_path_problem(long_path));
}

static void test_entry_names(void **state) {
        static const char *const good[] = { "memtest86.conf", "a.conf", "nixos-generation-1.conf", "X.CONF" };
        static const char *const bad[] = { "", ".conf", ".hidden.conf", "a", "a.efi", "a/b.conf", "../a.conf",
                                           "a\\b.conf", "a\n.conf", "a.conf.", "a:b.conf" };
        (void) state;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_null(extra_entry_name_problem(good[i]));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (!extra_entry_name_problem(bad[i]))
                        fail_msg("'%s' accepted", bad[i]);
        assert_true(extra_recorded_path_ok("loader/entries/memtest86.conf"));
        assert_true(extra_recorded_path_ok("Loader/Entries/memtest86.conf"));
        assert_false(extra_recorded_path_ok("loader/entries/../loader.conf"));
        assert_false(extra_recorded_path_ok("loader/entries/a/b.conf"));
        assert_false(extra_recorded_path_ok("loader/entries/x.efi"));
        assert_false(extra_recorded_path_ok("loader/loader.conf"));
}

struct skips {
        unsigned lines[16];
        size_t n;
};

static void note_skip(unsigned line, const char *why, void *userdata) {
        struct skips *s = userdata;
        assert_non_null(why);
        if (s->n < 16)
                s->lines[s->n++] = line;
}

/* Parses text from a heap block of exactly its length (no NUL after it). */
static size_t parse(const char *text, size_t len, struct extra_record *ret, size_t max, struct skips *skips) {
        uint8_t *copy = exact_copy(text, len);
        size_t n;

        memset(skips, 0, sizeof(*skips));
        n = extra_manifest_parse(copy, len, ret, max, note_skip, skips);
        free(copy);
        return n;
}

static void test_parse_good(void **state) {
        static const char text[] = "# comment\n\n" H64 " efi/memtest86/memtest.efi\n" H64
                                   " loader/entries/memtest86.conf\n" H64 " shell.efi"; /* no final newline */
        struct extra_record r[8];
        struct skips s;
        (void) state;

        assert_int_equal(parse(text, strlen(text), r, 8, &s), 3);
        assert_int_equal(s.n, 0);
        assert_string_equal(r[0].path, "efi/memtest86/memtest.efi");
        assert_string_equal(r[1].path, "loader/entries/memtest86.conf");
        assert_string_equal(r[2].path, "shell.efi");
        assert_int_equal(r[0].sha256[0], 0x01);
        assert_int_equal(r[0].sha256[31], 0xef);
}

/* Each hostile line is skipped alone, with its line number; the good
 * lines around it count. */
static void test_parse_hostile_lines(void **state) {
        static const char *const hostile[] = {
                H64 " /etc/passwd", H64 " ../../etc/passwd", H64 " efi/../../x", H64 " EFI/keel/keelx64.efi",
                H64 " EFI/BOOT/BOOTX64.EFI", H64 " EFI/Linux/nixos-generation-3.efi", H64 " loader/loader.conf",
                H64 " loader/entries/../../x", H64 " a\r", H64 "  a", H64 "\ta", H64 " ", H64, "0123 a",
                "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef a", /* upper case */
                "g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef a",
                H64 "0 a", H64 " a\\b", H64 " EFI/keel/extra-files", H64 " .", H64 " a/x.keel-tmp-abcdef",
        };
        struct extra_record r[4];
        struct skips s;
        (void) state;

        for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
                char text[1024];
                int len = snprintf(text, sizeof(text), H64 " good.efi\n%s\n" H64 " also.efi\n", hostile[i]);
                size_t n = parse(text, (size_t) len, r, 4, &s);
                if (n != 2 || s.n != 1 || s.lines[0] != 2)
                        fail_msg("line '%s': %zu records, %zu skipped", hostile[i], n, s.n);
                assert_string_equal(r[0].path, "good.efi");
                assert_string_equal(r[1].path, "also.efi");
        }
}

static void test_parse_nul_and_long(void **state) {
        char text[2048];
        struct extra_record r[4];
        struct skips s;
        size_t len;
        (void) state;

        /* A NUL byte inside the path: skipped, not cut short to "ab". */
        len = (size_t) snprintf(text, sizeof(text), H64 " ab");
        text[len++] = '\0';
        memcpy(text + len, "cd\n", 3);
        len += 3;
        assert_int_equal(parse(text, len, r, 4, &s), 0);
        assert_int_equal(s.n, 1);

        /* A path of 513 bytes. */
        len = (size_t) snprintf(text, sizeof(text), H64 " ");
        for (size_t i = 0; i < 513; i++)
                text[len++] = i % 2 ? '/' : 'a';
        text[len++] = '\n';
        assert_int_equal(parse(text, len, r, 4, &s), 0);
        assert_int_equal(s.n, 1);

        /* Nothing, a lone newline, a lone '#'. */
        assert_int_equal(parse("", 0, r, 4, &s), 0);
        assert_int_equal(parse("\n", 1, r, 4, &s), 0);
        assert_int_equal(parse("#", 1, r, 4, &s), 0);
        assert_int_equal(s.n, 0);
}

static void test_parse_limits_and_duplicates(void **state) {
        static const char text[] = H64 " a\n" H64 " A\n" H64 " a\n"
                                   "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef a\n" H64 " b\n" H64
                                   " c\n";
        struct extra_record r[3];
        struct skips s;
        (void) state;

        /* "A" is "a" on FAT; a second digest for a path is kept. */
        assert_int_equal(parse(text, strlen(text), r, 3, &s), 3);
        assert_string_equal(r[0].path, "a");
        assert_string_equal(r[1].path, "a");
        assert_int_equal(r[1].sha256[0], 0x11);
        assert_string_equal(r[2].path, "b");
        assert_int_equal(s.n, 1); /* "c": beyond max */
        assert_int_equal(s.lines[0], 6);
}

static void test_format_round_trip(void **state) {
        struct extra_record in[4] = {}, out[8];
        struct skips s;
        char *text;
        size_t len;
        (void) state;

        strcpy(in[0].path, "loader/entries/memtest86.conf");
        strcpy(in[1].path, "efi/memtest86/memtest.efi");
        strcpy(in[2].path, "efi/memtest86/memtest.efi");
        in[2].sha256[0] = 1;
        in[3] = in[1];
        assert_int_equal(extra_manifest_format(in, 4, &text, &len), 0);
        assert_int_equal(strlen(text), len);
        assert_int_equal(parse(text, len, out, 8, &s), 3);
        assert_int_equal(s.n, 0);
        assert_string_equal(out[0].path, "efi/memtest86/memtest.efi");
        assert_int_equal(out[0].sha256[0], 0);
        assert_int_equal(out[1].sha256[0], 1);
        assert_string_equal(out[2].path, "loader/entries/memtest86.conf");
        free(text);

        /* A path keel never writes is never recorded either. */
        strcpy(in[0].path, "EFI/keel/keelx64.efi");
        assert_int_equal(extra_manifest_format(in, 1, &text, &len), -1);
        assert_null(text);
        assert_int_equal(extra_manifest_format(in, 0, &text, &len), 0);
        assert_int_equal(parse(text, len, out, 8, &s), 0);
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_file_paths),
                cmocka_unit_test(test_entry_names),
                cmocka_unit_test(test_parse_good),
                cmocka_unit_test(test_parse_hostile_lines),
                cmocka_unit_test(test_parse_nul_and_long),
                cmocka_unit_test(test_parse_limits_and_duplicates),
                cmocka_unit_test(test_format_round_trip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
