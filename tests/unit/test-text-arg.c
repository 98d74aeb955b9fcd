/* SPDX-License-Identifier: MIT */
/* Text option values (--cmdline, --os-release): folding line breaks and
 * stripping trailing whitespace, as `keel uki build` does before a command
 * line goes into .cmdline. */
#include "keel-test.h"

#include "host-tools/core/text-arg.h"

/* Folds a heap copy of exactly len + 1 bytes (so that AddressSanitizer sees
 * any write past the NUL) and compares it with expected. */
static void assert_folded(const char *in, const char *expected) {
        size_t len = strlen(in);
        char *s = (char *) exact_copy(in, len + 1);
        size_t n = fold_line_breaks(s, len);

        assert_int_equal(n, strlen(expected));
        assert_string_equal(s, expected);
        free(s);
}

static void test_fold_lf(void **state) {
        (void) state;
        assert_folded("root=/dev/vda2 rw\nquiet loglevel=3\n", "root=/dev/vda2 rw quiet loglevel=3 ");
        assert_folded("a\n\nb", "a  b");
        assert_folded("\n", " ");
}

static void test_fold_crlf(void **state) {
        (void) state;
        /* CR LF is one line break, one space; a CR alone is ordinary
         * whitespace to the kernel and stays. */
        assert_folded("a\r\nb\r\n", "a b ");
        assert_folded("a\rb", "a\rb");
        assert_folded("a\r", "a\r");
        assert_folded("a\r\r\nb", "a\r b");
}

static void test_fold_nothing_to_do(void **state) {
        (void) state;
        assert_folded("", "");
        assert_folded("console=ttyS0 quiet", "console=ttyS0 quiet");
}

/* What uki build stores for a two-line file: one line, no trailing space. */
static void test_fold_then_strip(void **state) {
        char s[] = "root=/dev/vda2\r\nquiet\r\n\r\n";
        size_t n;

        (void) state;
        n = fold_line_breaks(s, strlen(s));
        n = strip_trailing_whitespace(s, n);
        assert_int_equal(n, strlen("root=/dev/vda2 quiet"));
        assert_string_equal(s, "root=/dev/vda2 quiet");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fold_lf),
                cmocka_unit_test(test_fold_crlf),
                cmocka_unit_test(test_fold_nothing_to_do),
                cmocka_unit_test(test_fold_then_strip),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
