/* SPDX-License-Identifier: MIT */
/* The loader.conf `default` / LoaderEntryDefault matcher (common/glob.c)
 * against its reference, glibc's fnmatch(3) with FNM_CASEFOLD (C locale),
 * called right here: every pattern/text pair below is answered by both and
 * the answers must agree. The only syntax left out is what neither keel nor
 * systemd-boot 252 implements: POSIX classes, collating symbols and
 * equivalence classes ("[[:", "[[.", "[[="). glob_match always runs on
 * exact-size heap copies, so AddressSanitizer catches a read past a slice. */
#include "keel-test.h"

#include <fnmatch.h>

#include "common/glob.h"

static bool keel_match(const char *pattern, size_t plen, const char *text, size_t tlen) {
        uint8_t *p = exact_copy(pattern, plen), *t = exact_copy(text, tlen);
        bool r = glob_match(slice_from((const char *) p, plen), slice_from((const char *) t, tlen));
        free(p);
        free(t);
        return r;
}

static bool uses_posix_bracket_syntax(const char *pattern) {
        return strstr(pattern, "[:") || strstr(pattern, "[.") || strstr(pattern, "[=");
}

static unsigned long compared, mismatches;

static void compare(const char *pattern, const char *text) {
        bool expected = fnmatch(pattern, text, FNM_CASEFOLD) == 0;
        bool actual = keel_match(pattern, strlen(pattern), text, strlen(text));

        compared++;
        if (actual != expected && mismatches++ < 10)
                print_error("pattern '%s' text '%s': fnmatch says %s, keel %s\n", pattern, text,
                            expected ? "match" : "no match", actual ? "match" : "no match");
}

static void expect_no_mismatches(unsigned long minimum) {
        unsigned long n = compared, bad = mismatches;

        compared = mismatches = 0;
        if (bad > 0)
                fail_msg("%lu of %lu pairs disagree with fnmatch(FNM_CASEFOLD)", bad, n);
        /* The generators must really have produced the pairs. */
        assert_true(n >= minimum);
}

/* Every text of up to max characters over alphabet, for one pattern. */
static void all_texts(const char *pattern, const char *alphabet, char *text, size_t len, size_t max) {
        text[len] = '\0';
        compare(pattern, text);
        if (len == max)
                return;
        for (const char *a = alphabet; *a; a++) {
                text[len] = *a;
                all_texts(pattern, alphabet, text, len + 1, max);
        }
}

static void all_patterns(const char *alphabet, char *pattern, size_t len, size_t max, const char *text_alphabet,
                         size_t text_max) {
        char text[16];

        pattern[len] = '\0';
        all_texts(pattern, text_alphabet, text, 0, text_max);
        if (len == max)
                return;
        for (const char *a = alphabet; *a; a++) {
                pattern[len] = *a;
                all_patterns(alphabet, pattern, len + 1, max, text_alphabet, text_max);
        }
}

/* Exhaustive over short strings: every pattern of up to 4 characters made
 * of the special characters (and a letter of each case) against every text
 * of up to 3 characters. This is where unterminated brackets, "[]...]",
 * "[!]", ranges ending in ']' or at the end of the pattern, stars next to
 * brackets and trailing backslashes live. */
static void test_exhaustive_short(void **state) {
        char pattern[16];
        (void) state;

        all_patterns("aB*?[]!-\\", pattern, 0, 4, "ab[]-\\", 3);
        expect_no_mismatches(1000000);
        all_patterns("a^]-[*", pattern, 0, 4, "A^-]", 3);
        expect_no_mismatches(100000);
}

/* Random longer pairs over a wider alphabet: both cases, bytes >= 0x80
 * (ranges compare unsigned bytes), '.', '_', '+', escapes. */
static void test_random_long(void **state) {
        static const char pattern_alphabet[] = "aAbBzZ09*?*[]!^-\\._+\x80\xff";
        static const char text_alphabet[] = "aAbBzZ09[]!^-\\._+*?\x80\xff";
        uint32_t seed = 0x6b65656c;
        (void) state;

        for (int n = 0; n < 200000; n++) {
                char pattern[24], text[24];
                size_t plen, tlen;

                seed = seed * 1103515245 + 12345;
                plen = (seed >> 16) % 16;
                seed = seed * 1103515245 + 12345;
                tlen = (seed >> 16) % 14;
                for (size_t i = 0; i < plen; i++) {
                        seed = seed * 1103515245 + 12345;
                        pattern[i] = pattern_alphabet[(seed >> 16) % (sizeof(pattern_alphabet) - 1)];
                }
                for (size_t i = 0; i < tlen; i++) {
                        seed = seed * 1103515245 + 12345;
                        text[i] = text_alphabet[(seed >> 16) % (sizeof(text_alphabet) - 1)];
                }
                pattern[plen] = text[tlen] = '\0';
                if (!uses_posix_bracket_syntax(pattern))
                        compare(pattern, text);
        }
        expect_no_mismatches(150000);
}

/* What users write in loader.conf against real entry IDs. */
static void test_entry_ids(void **state) {
        static const char *const ids[] = {
                "nixos-generation-12.conf", "nixos-generation-9.conf", "fedora-6.1.conf", "debian-6.1.0-56-amd64.efi",
                "keeltest-1.efi", "KEELTEST-2.EFI", "arch.conf", "a+3.conf", "entry_1.2.conf", "x.conf", "",
        };
        static const char *const patterns[] = {
                "*", "", "nixos-*", "NIXOS-GENERATION-1?.conf", "*.efi", "*.EFI", "*.conf", "[ab]*", "?.conf",
                "*generation-[0-9].conf", "*generation-[!0-9]*", "debian*amd64*", "keeltest-[1-2]*", "KeelTest-1.efi",
                "fedora-6.1.conf", "fedora-6.1", "*-*-*", "*[+]*", "a\\+3.conf", "[A-Z]*", "[^a-m]*", "*[]]*",
                "[", "*[", "nixos-generation-1[", "x.conf*", "**.conf", "*.c?nf", "*.c[!o]nf",
        };
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(patterns); i++)
                for (size_t j = 0; j < ARRAY_SIZE(ids); j++)
                        compare(patterns[i], ids[j]);
        expect_no_mismatches(ARRAY_SIZE(patterns) * ARRAY_SIZE(ids));
}

/* Hostile sizes. The answers follow from the pattern's meaning; fnmatch
 * itself is exponential on some of these, so it is not asked. */
static void test_hostile_sizes(void **state) {
        size_t n = 100000;
        char *text = malloc(n), *pattern = malloc(n);
        (void) state;

        assert_non_null(text);
        assert_non_null(pattern);
        memset(text, 'a', n);

        /* "*a*a*a...*a*b" against 100 KB of 'a': a backtracking matcher
         * takes forever; the answer is no (there is no 'b') ... */
        for (size_t i = 0; i < n; i++)
                pattern[i] = i % 2 ? 'a' : '*';
        pattern[n - 1] = 'b';
        assert_false(keel_match(pattern, n, text, n));
        /* ... and yes once the text ends in 'b'. */
        text[n - 1] = 'B';
        assert_true(keel_match(pattern, n, text, n));

        /* 100 KB of '*' matches anything, the empty text too. */
        memset(pattern, '*', n);
        assert_true(keel_match(pattern, n, text, n));
        assert_true(keel_match(pattern, n, "", 0));

        /* 100 KB of '?' matches exactly the texts of that length. */
        memset(pattern, '?', n);
        assert_true(keel_match(pattern, n, text, n));
        assert_false(keel_match(pattern, n, text, n - 1));

        /* An unterminated 100 KB bracket is a literal '[' followed by text. */
        memset(pattern, 'a', n);
        pattern[0] = '[';
        memset(text, 'a', n);
        text[0] = '[';
        assert_true(keel_match(pattern, n, text, n));
        text[0] = 'a';
        assert_false(keel_match(pattern, n, text, n));
        free(text);
        free(pattern);
}

/* Slices may hold NUL bytes (a C string cannot, so fnmatch is not asked):
 * a NUL is an ordinary character for '?', '*' and literals. */
static void test_nul_bytes(void **state) {
        (void) state;
        assert_true(keel_match("a?b", 3, "a\0b", 3));
        assert_true(keel_match("a*", 2, "a\0\0b", 4));
        assert_true(keel_match("a\0b", 3, "A\0B", 3));
        assert_false(keel_match("a\0b", 3, "ab", 2));
        assert_false(keel_match("ab", 2, "a\0b", 3));
        assert_true(keel_match("[\0]", 3, "\0", 1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exhaustive_short),
                cmocka_unit_test(test_random_long),
                cmocka_unit_test(test_entry_ids),
                cmocka_unit_test(test_hostile_sizes),
                cmocka_unit_test(test_nul_bytes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
