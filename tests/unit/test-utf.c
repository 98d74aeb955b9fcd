/* SPDX-License-Identifier: MIT */
/* UTF-8 <-> UTF-16 conversion (command lines, EFI variables), text for the
 * firmware console (titles in the menu) and the choice of the kernel command
 * line. Every conversion runs on heap blocks of exactly
 * the documented sizes, so that AddressSanitizer reports a read past the
 * input or a write past the documented output bound. */
#include "keel-test.h"

#include "common/cmdline.h"
#include "common/utf.h"

#define FFFD 0xfffd

/* utf8_to_utf16 on exactly len bytes (no NUL after them) into exactly
 * len + 1 units; checks the terminator and returns the units. */
static size_t to16(const char *s, size_t len, uint16_t **ret) {
        uint8_t *in = exact_copy(s, len);
        uint16_t *out = malloc((len + 1) * sizeof(uint16_t));
        size_t n;

        assert_non_null(out);
        n = utf8_to_utf16((const char *) in, len, out);
        assert_true(n <= len);
        assert_int_equal(out[n], 0);
        free(in);
        *ret = out;
        return n;
}

/* utf16_to_utf8 on exactly len units into exactly 3 * len + 1 bytes. */
static size_t to8(const uint16_t *s, size_t len, char **ret) {
        uint16_t *in = (uint16_t *) exact_copy(s, len * sizeof(uint16_t));
        char *out = malloc(3 * len + 1);
        size_t n;

        assert_non_null(out);
        n = utf16_to_utf8(in, len, out);
        assert_true(n <= 3 * len);
        assert_int_equal(out[n], 0);
        free(in);
        *ret = out;
        return n;
}

static void expect16(const char *s, size_t len, const uint16_t *expected, size_t n_expected) {
        uint16_t *out;
        size_t n = to16(s, len, &out);

        if (n != n_expected)
                fail_msg("utf8_to_utf16 gave %zu units, expected %zu", n, n_expected);
        for (size_t i = 0; i < n; i++)
                if (out[i] != expected[i])
                        fail_msg("unit %zu is U+%04X, expected U+%04X", i, out[i], expected[i]);
        free(out);
}

static void expect8(const uint16_t *s, size_t len, const char *expected) {
        char *out;
        size_t n = to8(s, len, &out);

        assert_int_equal(n, strlen(expected));
        assert_memory_equal(out, expected, n);
        free(out);
}

#define EXPECT16(str, ...)                                                                          \
        do {                                                                                        \
                static const uint16_t _e[] = { __VA_ARGS__ };                                       \
                expect16(str, sizeof(str) - 1, _e, ARRAY_SIZE(_e));                                  \
        } while (0)

/* Output of one or more U+FFFD (at most max_fffd: one per malformed byte)
 * and then exactly the tail units. Whether a malformed sequence gives one
 * U+FFFD or one per byte is left to the implementation. */
static void expect_fffd_then(const char *s, size_t len, size_t max_fffd, const uint16_t *tail, size_t n_tail) {
        uint16_t *out;
        size_t n = to16(s, len, &out), k;

        if (n < n_tail + 1 || n > n_tail + max_fffd)
                fail_msg("%zu units, expected 1 to %zu U+FFFD and %zu more", n, max_fffd, n_tail);
        k = n - n_tail;
        for (size_t i = 0; i < k; i++)
                if (out[i] != FFFD)
                        fail_msg("unit %zu of a malformed sequence is U+%04X, not U+FFFD", i, out[i]);
        for (size_t i = 0; i < n_tail; i++)
                if (out[k + i] != tail[i])
                        fail_msg("unit %zu after the malformed sequence is U+%04X, expected U+%04X", i,
                                 out[k + i], tail[i]);
        free(out);
}

/* A malformed sequence, alone and followed by "A": the "A" must not be
 * swallowed by the bad sequence. */
static void expect_malformed(const char *bad, size_t bad_len) {
        char buf[16];

        assert_true(bad_len + 1 <= sizeof(buf));
        memcpy(buf, bad, bad_len);
        buf[bad_len] = 'A';
        expect_fffd_then(buf, bad_len + 1, bad_len, (const uint16_t[]) { 'A' }, 1);
        expect_fffd_then(bad, bad_len, bad_len, NULL, 0);
}

#define EXPECT_MALFORMED(str) expect_malformed(str, sizeof(str) - 1)

/* ---- UTF-8 -> UTF-16 -------------------------------------------------------- */

static void test_utf8_valid(void **state) {
        (void) state;

        EXPECT16("hello", 'h', 'e', 'l', 'l', 'o');
        EXPECT16("\x7f", 0x7f);
        EXPECT16("\xc2\x80", 0x80);                       /* smallest two-byte */
        EXPECT16("\xc3\xa9t\xc3\xa9", 0xe9, 't', 0xe9);
        EXPECT16("\xdf\xbf", 0x7ff);                      /* largest two-byte */
        EXPECT16("\xe0\xa0\x80", 0x800);                  /* smallest three-byte */
        EXPECT16("\xe2\x82\xac", 0x20ac);                 /* euro sign */
        EXPECT16("\xed\x9f\xbf", 0xd7ff);                 /* just below the surrogates */
        EXPECT16("\xee\x80\x80", 0xe000);                 /* just above them */
        EXPECT16("\xef\xbf\xbd", 0xfffd);
        EXPECT16("\xef\xbf\xbf", 0xffff);                 /* largest three-byte */
        EXPECT16("\xf0\x90\x80\x80", 0xd800, 0xdc00);     /* U+10000 */
        EXPECT16("\xf0\x9f\x98\x80", 0xd83d, 0xde00);     /* U+1F600 */
        EXPECT16("\xf4\x8f\xbf\xbf", 0xdbff, 0xdfff);     /* U+10FFFF */
        EXPECT16("a\xf0\x9f\x90\xa7z", 'a', 0xd83d, 0xdc27, 'z');
}

static void test_utf8_empty_and_nul(void **state) {
        uint16_t *out;
        (void) state;

        assert_int_equal(to16("", 0, &out), 0);
        free(out);
        /* Conversion stops at the first NUL even when len says more. */
        EXPECT16("ab\0cd", 'a', 'b');
        EXPECT16("\0abc");
        /* A NUL inside a multi-byte sequence ends the sequence and the string. */
        expect_fffd_then("\xe2\x82\0yz", 5, 2, NULL, 0);
        EXPECT16("x\xf0\0\x80\x80", 'x', FFFD);
        /* len counts bytes: a shorter len cuts the string there. */
        expect16("abcdef", 3, (const uint16_t[]) { 'a', 'b', 'c' }, 3);
}

static void test_utf8_overlong(void **state) {
        (void) state;

        EXPECT_MALFORMED("\xc0\x80");             /* U+0000 in two bytes */
        EXPECT_MALFORMED("\xc0\xaf");             /* '/' in two bytes */
        EXPECT_MALFORMED("\xc1\xbf");             /* U+007F in two bytes */
        EXPECT_MALFORMED("\xe0\x80\x80");         /* U+0000 in three bytes */
        EXPECT_MALFORMED("\xe0\x80\xaf");
        EXPECT_MALFORMED("\xe0\x9f\xbf");         /* U+07FF in three bytes */
        EXPECT_MALFORMED("\xf0\x80\x80\x80");     /* U+0000 in four bytes */
        EXPECT_MALFORMED("\xf0\x8f\xbf\xbf");     /* U+FFFF in four bytes */
        EXPECT_MALFORMED("\xf8\x80\x80\x80\xaf"); /* five-byte form */
        EXPECT_MALFORMED("\xfc\x80\x80\x80\x80\xaf");
}

static void test_utf8_surrogates(void **state) {
        (void) state;

        /* UTF-16 surrogates encoded as UTF-8 (CESU-8 / WTF-8) are not UTF-8. */
        EXPECT_MALFORMED("\xed\xa0\x80");             /* U+D800 */
        EXPECT_MALFORMED("\xed\xaf\xbf");             /* U+DBFF */
        EXPECT_MALFORMED("\xed\xb0\x80");             /* U+DC00 */
        EXPECT_MALFORMED("\xed\xbf\xbf");             /* U+DFFF */
        EXPECT_MALFORMED("\xed\xa0\xbd\xed\xb8\x80"); /* a "pair" U+D83D U+DE00 */
}

static void test_utf8_truncated(void **state) {
        (void) state;

        EXPECT_MALFORMED("\xc3");
        EXPECT_MALFORMED("\xe2\x82");
        EXPECT_MALFORMED("\xe2");
        EXPECT_MALFORMED("\xf0\x9f\x98");
        EXPECT_MALFORMED("\xf0\x9f");
        EXPECT_MALFORMED("\xf0");
        /* A lead byte followed by a lead byte: the second is decoded normally. */
        EXPECT16("\xe2\xc3\xa9", FFFD, 0xe9);
        expect_fffd_then("\xf0\x9f\xe2\x82\xac", 5, 2, (const uint16_t[]) { 0x20ac }, 1);
        expect_fffd_then("\xf0\x9f\x98\xe2\x82\xac", 6, 3, (const uint16_t[]) { 0x20ac }, 1);
        /* Continuation bytes without a lead. */
        EXPECT_MALFORMED("\x80");
        EXPECT_MALFORMED("\xbf");
        EXPECT_MALFORMED("\x80\x80\x80\x80");
}

static void test_utf8_too_large(void **state) {
        (void) state;

        EXPECT_MALFORMED("\xf4\x90\x80\x80"); /* U+110000 */
        EXPECT_MALFORMED("\xf4\xbf\xbf\xbf");
        EXPECT_MALFORMED("\xf5\x80\x80\x80");
        EXPECT_MALFORMED("\xf7\xbf\xbf\xbf"); /* U+1FFFFF */
        EXPECT_MALFORMED("\xfe");
        EXPECT_MALFORMED("\xff");
}

/* The worst case of the documented bound: one unit per input byte. */
static void test_utf8_output_bound(void **state) {
        char in[300];
        uint16_t *out;
        (void) state;

        memset(in, 'x', sizeof(in));
        assert_int_equal(to16(in, sizeof(in), &out), sizeof(in));
        free(out);
        memset(in, 0x80, sizeof(in));
        assert_int_equal(to16(in, sizeof(in), &out), sizeof(in));
        free(out);
}

/* ---- UTF-16 -> UTF-8 -------------------------------------------------------- */

static void test_utf16_valid(void **state) {
        (void) state;

        expect8((const uint16_t[]) { 'h', 'i' }, 2, "hi");
        expect8((const uint16_t[]) { 0x7f }, 1, "\x7f");
        expect8((const uint16_t[]) { 0x80 }, 1, "\xc2\x80");
        expect8((const uint16_t[]) { 0xe9 }, 1, "\xc3\xa9");
        expect8((const uint16_t[]) { 0x7ff }, 1, "\xdf\xbf");
        expect8((const uint16_t[]) { 0x800 }, 1, "\xe0\xa0\x80");
        expect8((const uint16_t[]) { 0x20ac }, 1, "\xe2\x82\xac");
        expect8((const uint16_t[]) { 0xd7ff, 0xe000 }, 2, "\xed\x9f\xbf\xee\x80\x80");
        expect8((const uint16_t[]) { 0xffff }, 1, "\xef\xbf\xbf");
}

static void test_utf16_surrogate_pairs(void **state) {
        (void) state;

        expect8((const uint16_t[]) { 0xd800, 0xdc00 }, 2, "\xf0\x90\x80\x80");
        expect8((const uint16_t[]) { 0xd83d, 0xde00 }, 2, "\xf0\x9f\x98\x80");
        expect8((const uint16_t[]) { 0xdbff, 0xdfff }, 2, "\xf4\x8f\xbf\xbf");
        expect8((const uint16_t[]) { 'a', 0xd83d, 0xdc27, 'z' }, 4, "a\xf0\x9f\x90\xa7z");
}

static void test_utf16_unpaired_surrogates(void **state) {
        (void) state;

        /* High surrogate followed by something else. */
        expect8((const uint16_t[]) { 0xd83d, 'A' }, 2, "\xef\xbf\xbd" "A");
        expect8((const uint16_t[]) { 0xd83d, 0xd83d, 0xde00 }, 3, "\xef\xbf\xbd\xf0\x9f\x98\x80");
        /* Low surrogate alone, or before the high one. */
        expect8((const uint16_t[]) { 0xde00 }, 1, "\xef\xbf\xbd");
        expect8((const uint16_t[]) { 0xde00, 0xd83d }, 2, "\xef\xbf\xbd\xef\xbf\xbd");
        /* High surrogate as the last unit: the low one after len must not be used. */
        expect8((const uint16_t[]) { 'x', 0xd83d, 0xde00 }, 2, "x\xef\xbf\xbd");
        /* High surrogate before a NUL. */
        expect8((const uint16_t[]) { 0xd83d, 0, 0xde00 }, 3, "\xef\xbf\xbd");
}

static void test_utf16_nul_and_empty(void **state) {
        char *out;
        (void) state;

        assert_int_equal(to8((const uint16_t[]) { 'a' }, 0, &out), 0);
        free(out);
        expect8((const uint16_t[]) { 'a', 0, 'b' }, 3, "a");
        expect8((const uint16_t[]) { 0, 'b' }, 2, "");
}

/* The worst case of the documented bound: three bytes per unit. */
static void test_utf16_output_bound(void **state) {
        uint16_t in[200];
        char *out;
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(in); i++)
                in[i] = 0xffff;
        assert_int_equal(to8(in, ARRAY_SIZE(in), &out), 3 * ARRAY_SIZE(in));
        free(out);
        for (size_t i = 0; i < ARRAY_SIZE(in); i++)
                in[i] = 0xdc00; /* each unpaired: U+FFFD, three bytes */
        assert_int_equal(to8(in, ARRAY_SIZE(in), &out), 3 * ARRAY_SIZE(in));
        free(out);
}

/* Every scalar value survives UTF-16 -> UTF-8 -> UTF-16, with the UTF-8
 * length the encoding prescribes. */
static void test_round_trip_all_code_points(void **state) {
        (void) state;

        for (uint32_t cp = 1; cp <= 0x10ffff; cp++) {
                uint16_t in[3] = {}, back[5];
                char mid[7];
                size_t n_in, n_mid, n_back, expected_len;

                if (cp >= 0xd800 && cp <= 0xdfff)
                        continue;
                if (cp >= 0x10000) {
                        in[0] = (uint16_t) (0xd800 + ((cp - 0x10000) >> 10));
                        in[1] = (uint16_t) (0xdc00 + ((cp - 0x10000) & 0x3ff));
                        n_in = 2;
                } else {
                        in[0] = (uint16_t) cp;
                        n_in = 1;
                }
                expected_len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                n_mid = utf16_to_utf8(in, n_in, mid);
                if (n_mid != expected_len)
                        fail_msg("U+%04X: %zu UTF-8 bytes, expected %zu", cp, n_mid, expected_len);
                n_back = utf8_to_utf16(mid, n_mid, back);
                if (n_back != n_in || back[0] != in[0] || (n_in == 2 && back[1] != in[1]))
                        fail_msg("U+%04X does not survive a round trip", cp);
        }
}

static void test_utf16_strnlen(void **state) {
        static const uint16_t s[] = { 'a', 'b', 0, 'c' };
        (void) state;

        assert_int_equal(utf16_strnlen(s, 4), 2);
        assert_int_equal(utf16_strnlen(s, 2), 2);
        assert_int_equal(utf16_strnlen(s, 1), 1);
        assert_int_equal(utf16_strnlen(s, 0), 0);
        assert_int_equal(utf16_strnlen(s + 2, 2), 0);
}

/* ---- cmdline_choose ------------------------------------------------------------ */

static const uint16_t text_options[] = { 'q', 'u', 'i', 'e', 't', 0 };
/* An EFI_LOAD_OPTION blob, as firmware passes to \EFI\BOOT\BOOTX64.EFI. */
static const uint8_t binary_options[] = { 0x01, 0x00, 0x00, 0x00, 0x1c, 0x00, 'U', 0 };

static void test_cmdline_truth_table(void **state) {
        static const struct {
                const char *what;
                bool secure_boot;
                size_t uki_cmdline_len;
                const void *options;
                size_t options_size;
                enum cmdline_source expected;
        } cases[] = {
                /* Secure Boot off: text from the loader always wins. */
                { "off, uki, text", false, 10, text_options, sizeof(text_options), CMDLINE_SOURCE_LOADER },
                { "off, none, text", false, 0, text_options, sizeof(text_options), CMDLINE_SOURCE_LOADER },
                { "off, uki, binary", false, 10, binary_options, sizeof(binary_options), CMDLINE_SOURCE_UKI },
                { "off, none, binary", false, 0, binary_options, sizeof(binary_options), CMDLINE_SOURCE_NONE },
                { "off, uki, empty", false, 10, text_options, 0, CMDLINE_SOURCE_UKI },
                { "off, none, empty", false, 0, text_options, 0, CMDLINE_SOURCE_NONE },
                { "off, uki, NULL", false, 10, NULL, 0, CMDLINE_SOURCE_UKI },
                { "off, none, NULL", false, 0, NULL, 0, CMDLINE_SOURCE_NONE },
                { "off, uki, NULL with size", false, 10, NULL, 12, CMDLINE_SOURCE_UKI },
                { "off, uki, 1 byte", false, 10, text_options, 1, CMDLINE_SOURCE_UKI },
                { "off, none, 1 byte", false, 0, text_options, 1, CMDLINE_SOURCE_NONE },
                { "off, uki, 3 bytes", false, 10, text_options, 3, CMDLINE_SOURCE_LOADER },
                /* Secure Boot on: the UKI's own .cmdline cannot be overridden... */
                { "on, uki, text", true, 10, text_options, sizeof(text_options), CMDLINE_SOURCE_UKI },
                { "on, uki, binary", true, 10, binary_options, sizeof(binary_options), CMDLINE_SOURCE_UKI },
                { "on, uki, empty", true, 10, text_options, 0, CMDLINE_SOURCE_UKI },
                { "on, uki, NULL", true, 10, NULL, 0, CMDLINE_SOURCE_UKI },
                { "on, uki, 1 byte", true, 10, text_options, 1, CMDLINE_SOURCE_UKI },
                /* ...but without one, the loader's text is used. */
                { "on, none, text", true, 0, text_options, sizeof(text_options), CMDLINE_SOURCE_LOADER },
                { "on, none, binary", true, 0, binary_options, sizeof(binary_options), CMDLINE_SOURCE_NONE },
                { "on, none, empty", true, 0, text_options, 0, CMDLINE_SOURCE_NONE },
                { "on, none, NULL", true, 0, NULL, 0, CMDLINE_SOURCE_NONE },
                { "on, none, 1 byte", true, 0, text_options, 1, CMDLINE_SOURCE_NONE },
        };
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                enum cmdline_source got = cmdline_choose(cases[i].secure_boot, cases[i].uki_cmdline_len > 0,
                                                         cases[i].uki_cmdline_len, cases[i].options,
                                                         cases[i].options_size);
                if (got != cases[i].expected)
                        fail_msg("%s: got source %d, expected %d", cases[i].what, got, cases[i].expected);
        }
}

/* Under Secure Boot a .cmdline section locks the command line whatever its
 * size says: a signed UKI with an empty one boots with no command line, never
 * with the loader's. Without Secure Boot the loader's text still wins. */
static void test_cmdline_empty_section_locks(void **state) {
        (void) state;
        assert_int_equal(cmdline_choose(true, true, 0, text_options, sizeof(text_options)), CMDLINE_SOURCE_NONE);
        assert_int_equal(cmdline_choose(true, true, 0, binary_options, sizeof(binary_options)), CMDLINE_SOURCE_NONE);
        assert_int_equal(cmdline_choose(true, true, 0, NULL, 0), CMDLINE_SOURCE_NONE);
        assert_int_equal(cmdline_choose(false, true, 0, text_options, sizeof(text_options)), CMDLINE_SOURCE_LOADER);
        assert_int_equal(cmdline_choose(false, true, 0, NULL, 0), CMDLINE_SOURCE_NONE);
}

/* Text or binary is decided by the first UTF-16 unit, read little-endian. */
static void test_cmdline_first_unit(void **state) {
        static const struct {
                uint8_t bytes[2];
                bool text;
        } cases[] = {
                { { 0x00, 0x00 }, false }, /* empty string */
                { { 0x01, 0x00 }, false },
                { { 0x09, 0x00 }, false }, /* tab is still a control character */
                { { 0x1f, 0x00 }, false },
                { { 0x20, 0x00 }, true },  /* space */
                { { 0x41, 0x00 }, true },
                { { 0x00, 0x01 }, true },  /* U+0100: a zero first byte, but printable */
                { { 0x01, 0x20 }, true },  /* U+2001 */
                { { 0xe9, 0x00 }, true },
        };
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                uint8_t *opts = exact_copy(cases[i].bytes, 2);
                enum cmdline_source got = cmdline_choose(false, false, 0, opts, 2);
                enum cmdline_source expected = cases[i].text ? CMDLINE_SOURCE_LOADER : CMDLINE_SOURCE_NONE;
                if (got != expected)
                        fail_msg("first unit %02x%02x: got source %d, expected %d", cases[i].bytes[1],
                                 cases[i].bytes[0], got, expected);
                free(opts);
        }
}

/* ---- text for the UEFI console (titles in the menu) ----------------------- */

/* utf8_to_console on exactly len bytes into exactly out_units units. */
static size_t to_console(const char *s, size_t len, size_t out_units, uint16_t **ret, size_t *ret_consumed) {
        uint8_t *in = exact_copy(s, len);
        uint16_t *out = malloc((out_units ? out_units : 1) * sizeof(uint16_t));
        size_t n;

        assert_non_null(out);
        n = utf8_to_console((const char *) in, len, out, out_units, ret_consumed);
        assert_true(n <= out_units && *ret_consumed <= len);
        free(in);
        *ret = out;
        return n;
}

static void expect_console(const char *what, const char *s, size_t len, const uint16_t *expected, size_t n_expected) {
        uint16_t *out;
        size_t consumed, n = to_console(s, len, len + 1, &out, &consumed);

        if (n != n_expected)
                fail_msg("%s: %zu units, expected %zu", what, n, n_expected);
        for (size_t i = 0; i < n; i++)
                if (out[i] != expected[i])
                        fail_msg("%s: unit %zu is U+%04X, expected U+%04X", what, i, out[i], expected[i]);
        free(out);
}

#define EXPECT_CONSOLE(what, s, ...)                                                               \
        do {                                                                                       \
                static const uint16_t _e[] = { __VA_ARGS__ };                                      \
                expect_console(what, s, sizeof(s) - 1, _e, ARRAY_SIZE(_e));                        \
        } while (0)

/* A title as the menu shows it: one UCS-2 unit per character. Before, the
 * console printed each UTF-8 byte as a character of its own ("CafÃ©"). */
static void test_console_text(void **state) {
        (void) state;

        EXPECT_CONSOLE("ASCII", "NixOS 24.05", 'N', 'i', 'x', 'O', 'S', ' ', '2', '4', '.', '0', '5');
        EXPECT_CONSOLE("Latin-1", "Caf\xc3\xa9", 'C', 'a', 'f', 0x00e9);
        EXPECT_CONSOLE("three-byte forms", "\xe2\x82\xac \xe4\xb8\xad", 0x20ac, ' ', 0x4e2d);
        EXPECT_CONSOLE("U+FFFD itself", "\xef\xbf\xbd", FFFD);
        /* UCS-2 has no room for what lies beyond the BMP: one U+FFFD, not two
         * surrogates the console would show as two characters. */
        EXPECT_CONSOLE("outside the BMP", "a\xf0\x9f\x98\x80z", 'a', FFFD, 'z');
        EXPECT_CONSOLE("U+10000", "\xf0\x90\x80\x80", FFFD);
        EXPECT_CONSOLE("U+FFFF", "\xef\xbf\xbf", 0xffff);
}

/* Control characters would act on the terminal (an escape sequence that
 * clears the screen or moves the cursor over another entry's line). */
static void test_console_controls(void **state) {
        (void) state;

        EXPECT_CONSOLE("escape sequence", "\x1b[2Jx", FFFD, '[', '2', 'J', 'x');
        EXPECT_CONSOLE("tab", "a\tb", 'a', ' ', 'b');
        EXPECT_CONSOLE("line ends", "a\rb\nc", 'a', FFFD, 'b', FFFD, 'c');
        EXPECT_CONSOLE("backspace, bell", "\x08\x07", FFFD, FFFD);
        EXPECT_CONSOLE("DEL", "\x7f", FFFD);
        EXPECT_CONSOLE("C1 CSI U+009B", "\xc2\x9b" "1m", FFFD, '1', 'm');
        EXPECT_CONSOLE("C1 NEL U+0085", "\xc2\x85", FFFD);
        EXPECT_CONSOLE("first after C1", "\xc2\xa0", 0x00a0);
}

/* Invalid UTF-8 becomes U+FFFD byte by byte and is never read past its end
 * (exact-size input blocks: AddressSanitizer watches). */
static void test_console_invalid(void **state) {
        (void) state;

        EXPECT_CONSOLE("stray continuation", "\x80z", FFFD, 'z');
        EXPECT_CONSOLE("bytes that never lead", "\xff\xfe\xc0\xc1", FFFD, FFFD, FFFD, FFFD);
        EXPECT_CONSOLE("overlong NUL", "\xc0\x80", FFFD, FFFD);
        EXPECT_CONSOLE("overlong slash", "\xe0\x80\xaf", FFFD, FFFD, FFFD);
        EXPECT_CONSOLE("surrogate", "\xed\xa0\x80", FFFD, FFFD, FFFD);
        EXPECT_CONSOLE("above U+10FFFF", "\xf4\x90\x80\x80", FFFD, FFFD, FFFD, FFFD);
        EXPECT_CONSOLE("lead, then ASCII", "\xc3" "A", FFFD, 'A');
        /* Sequences cut by the end of the input, at every length. */
        EXPECT_CONSOLE("cut 2-byte", "ab\xc3", 'a', 'b', FFFD);
        EXPECT_CONSOLE("cut 3-byte", "\xe2\x82", FFFD, FFFD);
        EXPECT_CONSOLE("cut 4-byte", "\xf0\x9f\x98", FFFD, FFFD, FFFD);
        /* A NUL ends the text. */
        EXPECT_CONSOLE("NUL", "ab\0cd", 'a', 'b');
}

/* A small output buffer: the conversion stops when it is full and says how
 * far it got, never splitting a character; going on from there gives the
 * same units as one big call. */
static void test_console_small_buffer(void **state) {
        static const char text[] = "Caf\xc3\xa9 \xe2\x82\xac\x1b\xf0\x9f\x98\x80\xff!";
        static const uint16_t whole[] = { 'C', 'a', 'f', 0xe9, ' ', 0x20ac, FFFD, FFFD, FFFD, '!' };
        (void) state;

        for (size_t room = 1; room <= ARRAY_SIZE(whole) + 1; room++) {
                const char *p = text;
                size_t left = sizeof(text) - 1, got = 0;

                while (left > 0) {
                        uint16_t *out;
                        size_t consumed, n = to_console(p, left, room, &out, &consumed);

                        assert_true(n > 0 && consumed > 0);
                        assert_true(got + n <= ARRAY_SIZE(whole));
                        for (size_t i = 0; i < n; i++)
                                if (out[i] != whole[got + i])
                                        fail_msg("room %zu: unit %zu is U+%04X, expected U+%04X", room, got + i,
                                                 out[i], whole[got + i]);
                        got += n;
                        p += consumed;
                        left -= consumed;
                        free(out);
                }
                assert_int_equal(got, ARRAY_SIZE(whole));
        }
}

/* Every 1- to 3-byte input: no crash, no read past the end, at most one
 * unit per byte, and every unit a printable BMP character or U+FFFD. */
static void test_console_every_short_input(void **state) {
        uint8_t b[3];
        (void) state;

        for (size_t len = 1; len <= 3; len++)
                for (uint32_t v = 0; v < (1u << (8 * len)); v += len == 3 ? 7 : 1) {
                        uint16_t *out;
                        size_t consumed, n;

                        for (size_t i = 0; i < len; i++)
                                b[i] = (uint8_t) (v >> (8 * i));
                        n = to_console((const char *) b, len, len, &out, &consumed);
                        for (size_t i = 0; i < n; i++)
                                assert_true(out[i] >= 0x20 && out[i] != 0x7f && (out[i] < 0x80 || out[i] > 0x9f) &&
                                            (out[i] < 0xd800 || out[i] > 0xdfff));
                        free(out);
                }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_console_text),
                cmocka_unit_test(test_console_controls),
                cmocka_unit_test(test_console_invalid),
                cmocka_unit_test(test_console_small_buffer),
                cmocka_unit_test(test_console_every_short_input),
                cmocka_unit_test(test_utf8_valid),
                cmocka_unit_test(test_utf8_empty_and_nul),
                cmocka_unit_test(test_utf8_overlong),
                cmocka_unit_test(test_utf8_surrogates),
                cmocka_unit_test(test_utf8_truncated),
                cmocka_unit_test(test_utf8_too_large),
                cmocka_unit_test(test_utf8_output_bound),
                cmocka_unit_test(test_utf16_valid),
                cmocka_unit_test(test_utf16_surrogate_pairs),
                cmocka_unit_test(test_utf16_unpaired_surrogates),
                cmocka_unit_test(test_utf16_nul_and_empty),
                cmocka_unit_test(test_utf16_output_bound),
                cmocka_unit_test(test_round_trip_all_code_points),
                cmocka_unit_test(test_utf16_strnlen),
                cmocka_unit_test(test_cmdline_truth_table),
                cmocka_unit_test(test_cmdline_empty_section_locks),
                cmocka_unit_test(test_cmdline_first_unit),
        };
        return cmocka_run_group_tests_name("utf", tests, NULL, NULL);
}
