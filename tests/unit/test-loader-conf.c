/* SPDX-License-Identifier: MIT */
/* loader.conf (common/loader-conf.c) and the string helpers every config
 * parser stands on (common/strutil.c). The keys, values and defaults are
 * those of loader.conf(5) in systemd 252 (timeout, default, editor,
 * auto-entries, auto-firmware, console-mode, secure-boot-enroll, and the
 * keys keel accepts without acting on them) and 262 (preferred,
 * reboot-on-error, secure-boot-enroll-action, secure-boot-enroll-timeout-sec,
 * log-level, timeout menu-disabled, secure-boot-enroll if-safe, and
 * default rejecting '@' names other than @saved); keel's own keys are
 * keel-watchdog-sec and keel-reboot-delay-sec. Lines end like systemd's
 * read_line(): at "\n", "\r\n", "\r" and NUL. A bad line is a warning,
 * never a failure: garbage gives the defaults. All parsing runs on
 * exact-size heap copies, so AddressSanitizer sees any read past the end. */
#include "keel-test.h"

#include "common/loader-conf.h"
#include "common/strutil.h"

struct warnings {
        unsigned count;
        unsigned lines[16];
        char keys[16][32];
        char whats[16][32];
};

static void record(void *userdata, unsigned line, const char *what, struct slice key) {
        struct warnings *w = userdata;

        if (w->count < ARRAY_SIZE(w->lines)) {
                size_t n = key.len < 31 ? key.len : 31;
                w->lines[w->count] = line;
                memcpy(w->keys[w->count], key.ptr, n);
                w->keys[w->count][n] = '\0';
                snprintf(w->whats[w->count], sizeof(w->whats[0]), "%s", what);
        }
        w->count++;
}

static void parse(struct loader_config *c, const void *text, size_t len, struct warnings *w) {
        uint8_t *copy = exact_copy(text, len);

        memset(w, 0, sizeof(*w));
        loader_config_init(c);
        loader_config_parse(c, copy, len, record, w);
        free(copy);
}

#define PARSE(c, text, w) parse(c, text, sizeof(text) - 1, w)

/* loader.conf(5): editor, auto-entries and auto-firmware default to yes,
 * console-mode to keep, secure-boot-enroll to manual; no timeout set. */
static void expect_defaults(const struct loader_config *c) {
        assert_int_equal(c->timeout.mode, TIMEOUT_UNSET);
        assert_string_equal(c->default_pattern, "");
        assert_false(c->default_saved);
        assert_true(c->editor);
        assert_true(c->auto_entries);
        assert_true(c->auto_firmware);
        assert_int_equal(c->console_mode, CONSOLE_MODE_KEEP);
        assert_int_equal(c->secure_boot_enroll, SECURE_BOOT_ENROLL_MANUAL);
        assert_int_equal(c->watchdog_seconds, 300);
        assert_int_equal(c->reboot_delay_seconds, 10);
        /* systemd 258-262: no preferred pattern, reboot-on-error unset (keel
         * falls back in the same boot), enrollment reboots after a 15 s
         * warning, log level info. */
        assert_string_equal(c->preferred_pattern, "");
        assert_int_equal(c->reboot_on_error, REBOOT_ON_ERROR_UNSET);
        assert_int_equal(c->secure_boot_enroll_action, SECURE_BOOT_ENROLL_ACTION_REBOOT);
        assert_int_equal(c->secure_boot_enroll_timeout_seconds, 15);
        assert_int_equal(c->log_level, LOG_LEVEL_INFO);
        assert_false(c->log_level_set);
}

static void test_defaults(void **state) {
        struct loader_config c;
        struct warnings w;
        (void) state;

        parse(&c, "", 0, &w);
        expect_defaults(&c);
        assert_int_equal(w.count, 0);
        PARSE(&c, "\n\n# only comments\n   # indented\n\t\n", &w);
        expect_defaults(&c);
        assert_int_equal(w.count, 0);
        /* A NULL buffer is an empty file. */
        loader_config_init(&c);
        loader_config_parse(&c, NULL, 100, record, &w);
        expect_defaults(&c);
}

/* A loader.conf using every key, in the man page's syntax. */
static void test_all_keys(void **state) {
        struct loader_config c;
        struct warnings w;
        (void) state;

        PARSE(&c,
              "timeout 4\n"
              "default nixos-*\n"
              "editor no\n"
              "auto-entries false\n"
              "auto-firmware 0\n"
              "console-mode max\n"
              "secure-boot-enroll force\n"
              "beep yes\n"
              "random-seed-mode always\n"
              "reboot-for-bitlocker yes\n"
              "keel-watchdog-sec 0\n"
              "keel-reboot-delay-sec 60\n"
              "preferred nixos-generation-*\n"
              "reboot-on-error auto\n"
              "secure-boot-enroll-action shutdown\n"
              "secure-boot-enroll-timeout-sec 3\n"
              "log-level warning\n",
              &w);
        assert_int_equal(w.count, 0);
        assert_string_equal(c.preferred_pattern, "nixos-generation-*");
        assert_int_equal(c.reboot_on_error, REBOOT_ON_ERROR_AUTO);
        assert_int_equal(c.secure_boot_enroll_action, SECURE_BOOT_ENROLL_ACTION_SHUTDOWN);
        assert_int_equal(c.secure_boot_enroll_timeout_seconds, 3);
        assert_int_equal(c.log_level, LOG_LEVEL_WARNING);
        assert_true(c.log_level_set);
        assert_int_equal(c.timeout.mode, TIMEOUT_SECONDS);
        assert_int_equal(c.timeout.seconds, 4);
        assert_string_equal(c.default_pattern, "nixos-*");
        assert_false(c.default_saved);
        assert_false(c.editor);
        assert_false(c.auto_entries);
        assert_false(c.auto_firmware);
        assert_int_equal(c.console_mode, CONSOLE_MODE_MAX);
        assert_int_equal(c.secure_boot_enroll, SECURE_BOOT_ENROLL_FORCE);
        assert_int_equal(c.watchdog_seconds, 0);
        assert_int_equal(c.reboot_delay_seconds, 60);
}

static void test_values(void **state) {
        struct loader_config c;
        struct warnings w;
        (void) state;

        /* timeout: seconds, menu-force, menu-hidden; 0 is "no menu". */
        PARSE(&c, "timeout menu-force\n", &w);
        assert_int_equal(c.timeout.mode, TIMEOUT_MENU_FORCE);
        PARSE(&c, "timeout menu-hidden\n", &w);
        assert_int_equal(c.timeout.mode, TIMEOUT_MENU_HIDDEN);
        PARSE(&c, "timeout 0\n", &w);
        assert_int_equal(c.timeout.mode, TIMEOUT_SECONDS);
        assert_int_equal(c.timeout.seconds, 0);
        PARSE(&c, "timeout 007\n", &w);
        assert_int_equal(c.timeout.seconds, 7);

        /* default: the rest of the line, inner blanks kept; @saved. */
        PARSE(&c, "default  \t my entry*  \t\n", &w);
        assert_string_equal(c.default_pattern, "my entry*");
        PARSE(&c, "default @saved\n", &w);
        assert_true(c.default_saved);
        assert_string_equal(c.default_pattern, "");
        PARSE(&c, "default @saved\ndefault other\n", &w);
        assert_false(c.default_saved);
        assert_string_equal(c.default_pattern, "other");

        /* console-mode: a mode number, auto, max, keep. */
        PARSE(&c, "console-mode 2\n", &w);
        assert_int_equal(c.console_mode, 2);
        PARSE(&c, "console-mode auto\n", &w);
        assert_int_equal(c.console_mode, CONSOLE_MODE_AUTO);
        PARSE(&c, "console-mode max\nconsole-mode keep\n", &w);
        assert_int_equal(c.console_mode, CONSOLE_MODE_KEEP);
        PARSE(&c, "console-mode 2147483647\n", &w);
        assert_int_equal(c.console_mode, 2147483647);
        assert_int_equal(w.count, 0);

        /* secure-boot-enroll: off, manual, if-safe, force. */
        PARSE(&c, "secure-boot-enroll off\n", &w);
        assert_int_equal(c.secure_boot_enroll, SECURE_BOOT_ENROLL_OFF);
        PARSE(&c, "secure-boot-enroll force\nsecure-boot-enroll manual\n", &w);
        assert_int_equal(c.secure_boot_enroll, SECURE_BOOT_ENROLL_MANUAL);
        PARSE(&c, "secure-boot-enroll if-safe\n", &w);
        assert_int_equal(c.secure_boot_enroll, SECURE_BOOT_ENROLL_IF_SAFE);
        /* secure-boot-enroll-action: reboot, shutdown; -timeout-sec: seconds, "hidden" (0). */
        PARSE(&c, "secure-boot-enroll-action shutdown\nsecure-boot-enroll-action reboot\n", &w);
        assert_int_equal(c.secure_boot_enroll_action, SECURE_BOOT_ENROLL_ACTION_REBOOT);
        PARSE(&c, "secure-boot-enroll-timeout-sec hidden\n", &w);
        assert_int_equal(c.secure_boot_enroll_timeout_seconds, 0);
        PARSE(&c, "secure-boot-enroll-timeout-sec 0\n", &w);
        assert_int_equal(c.secure_boot_enroll_timeout_seconds, 0);
        PARSE(&c, "secure-boot-enroll-timeout-sec 120\n", &w);
        assert_int_equal(c.secure_boot_enroll_timeout_seconds, 120);

        /* timeout menu-disabled (systemd 254): no menu, not even on a key. */
        PARSE(&c, "timeout menu-disabled\n", &w);
        assert_int_equal(c.timeout.mode, TIMEOUT_MENU_DISABLED);

        /* preferred (systemd 260): a pattern as default's, no @saved. */
        PARSE(&c, "preferred  a b* \n", &w);
        assert_string_equal(c.preferred_pattern, "a b*");
        assert_false(c.default_saved);

        /* reboot-on-error (systemd 258): yes, no (any boolean), auto. */
        PARSE(&c, "reboot-on-error yes\n", &w);
        assert_int_equal(c.reboot_on_error, REBOOT_ON_ERROR_YES);
        PARSE(&c, "reboot-on-error off\n", &w);
        assert_int_equal(c.reboot_on_error, REBOOT_ON_ERROR_NO);
        PARSE(&c, "reboot-on-error auto\n", &w);
        assert_int_equal(c.reboot_on_error, REBOOT_ON_ERROR_AUTO);

        /* log-level (systemd 259): syslog's names, lower case. */
        static const char *const levels[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };
        for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
                char line[32];
                int n = snprintf(line, sizeof(line), "log-level %s\n", levels[i]);
                parse(&c, line, (size_t) n, &w);
                assert_int_equal(c.log_level, (int) i);
                assert_true(c.log_level_set);
        }
        assert_int_equal(w.count, 0);

        /* The last good assignment wins; a bad one keeps the one before. */
        PARSE(&c, "timeout 3\ntimeout 5\n", &w);
        assert_int_equal(c.timeout.seconds, 5);
        PARSE(&c, "timeout 5\ntimeout soon\n", &w);
        assert_int_equal(c.timeout.seconds, 5);
        assert_int_equal(w.count, 1);
        assert_int_equal(w.lines[0], 2);
        assert_string_equal(w.whats[0], "bad value for");
        assert_string_equal(w.keys[0], "timeout");
        PARSE(&c, "log-level debug\nlog-level loud\n", &w);
        assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
        assert_true(c.log_level_set);
        assert_int_equal(w.count, 1);
}

/* Each bad line is one warning naming its line and key; the setting keeps
 * its default. */
static void test_bad_values(void **state) {
        static const char *const bad[] = {
                "timeout -1",      "timeout +5",      "timeout 5s",          "timeout",         "timeout 4294968",
                "timeout 99999999999999999999999",    "timeout menu",        "timeout MENU-FORCE",
                "editor maybe",    "editor",          "auto-entries 2",      "auto-firmware yess",
                "console-mode -1", "console-mode 2147483648",                "console-mode MAX", "console-mode",
                "secure-boot-enroll on",              "secure-boot-enroll",  "keel-watchdog-sec -5",
                "keel-reboot-delay-sec 1e3",          "timeout menu-DISABLED", "preferred @saved",
                "preferred @x",                       "default @x",          "reboot-on-error sometimes",
                "reboot-on-error",                    "secure-boot-enroll-action halt",
                "secure-boot-enroll-timeout-sec -1",  "secure-boot-enroll-timeout-sec HIDDEN",
                "log-level warn",                     "log-level INFO",      "log-level 4",
        };
        struct loader_config c;
        struct warnings w;
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                char line[128];
                int n = snprintf(line, sizeof(line), "\n%s\n", bad[i]);
                parse(&c, line, (size_t) n, &w);
                if (w.count != 1)
                        fail_msg("'%s': %u warnings", bad[i], w.count);
                assert_int_equal(w.lines[0], 2);
                assert_string_equal(w.whats[0], "bad value for");
                expect_defaults(&c);
        }
}

/* Keys are case-sensitive, as systemd-boot compares them; unknown keys are
 * warned about, never fatal. */
static void test_unknown_keys(void **state) {
        struct loader_config c;
        struct warnings w;
        (void) state;

        PARSE(&c, "Timeout 5\nDEFAULT x\nfrobnicate\ntimeout=5\n", &w);
        expect_defaults(&c);
        assert_int_equal(w.count, 4);
        assert_string_equal(w.keys[0], "Timeout");
        assert_string_equal(w.keys[3], "timeout=5");
        assert_string_equal(w.whats[2], "unknown key");
        assert_int_equal(w.lines[2], 3);
}

/* Line ends of every kind, no trailing newline, NUL bytes. */
static void test_line_ends(void **state) {
        static const char cr_only[] = "timeout 3\rdefault a*\reditor no\r";
        static const char crlf[] = "timeout 3\r\ndefault a*\r\neditor no";
        static const char nul[] = "timeout 3\0default a*\0\0editor no";
        static const char mixed[] = "timeout 3\n\rdefault a*\r\n\neditor no\n";
        const struct {
                const char *text;
                size_t len;
        } cases[] = {
                { cr_only, sizeof(cr_only) - 1 },
                { crlf, sizeof(crlf) - 1 },
                { nul, sizeof(nul) - 1 },
                { mixed, sizeof(mixed) - 1 },
        };
        struct loader_config c;
        struct warnings w;
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                parse(&c, cases[i].text, cases[i].len, &w);
                assert_int_equal(w.count, 0);
                assert_int_equal(c.timeout.seconds, 3);
                assert_string_equal(c.default_pattern, "a*");
                assert_false(c.editor);
        }
        /* A NUL in the middle of a value ends that line. */
        PARSE(&c, "default abc\0def\n", &w);
        assert_string_equal(c.default_pattern, "abc");
        assert_int_equal(w.count, 1); /* "def" is an unknown key */
}

/* Long values: a default pattern fits up to 255 bytes; a longer one (or a
 * 100 KB line) is refused with a warning, never truncated. */
static void test_long_values(void **state) {
        size_t n = 100000, len;
        char *text = malloc(n + 64);
        struct loader_config c;
        struct warnings w;
        (void) state;

        assert_non_null(text);
        len = (size_t) sprintf(text, "default ");
        memset(text + len, 'p', LOADER_CONF_DEFAULT_MAX - 1);
        parse(&c, text, len + LOADER_CONF_DEFAULT_MAX - 1, &w);
        assert_int_equal(strlen(c.default_pattern), LOADER_CONF_DEFAULT_MAX - 1);
        assert_int_equal(w.count, 0);
        memset(text + len, 'p', LOADER_CONF_DEFAULT_MAX);
        parse(&c, text, len + LOADER_CONF_DEFAULT_MAX, &w);
        assert_string_equal(c.default_pattern, "");
        assert_int_equal(w.count, 1);

        memset(text + len, 'p', n);
        len += n;
        len += (size_t) sprintf(text + len, "\ntimeout 9\n");
        parse(&c, text, len, &w);
        assert_string_equal(c.default_pattern, "");
        assert_int_equal(c.timeout.seconds, 9);
        assert_int_equal(w.count, 1);

        /* 100 KB of digits. */
        len = (size_t) sprintf(text, "timeout ");
        memset(text + len, '9', n);
        parse(&c, text, len + n, &w);
        assert_int_equal(c.timeout.mode, TIMEOUT_UNSET);
        assert_int_equal(w.count, 1);

        /* 100 KB of one unknown key. */
        memset(text, 'k', n);
        parse(&c, text, n, &w);
        expect_defaults(&c);
        assert_int_equal(w.count, 1);
        free(text);
}

/* Garbage: random bytes, invalid UTF-8, NULs and line ends in any order.
 * The result is exactly the defaults, with warnings. */
static void test_garbage(void **state) {
        size_t n = 64 * 1024;
        uint8_t *text = malloc(n);
        struct loader_config c, defaults;
        struct warnings w;
        uint32_t seed = 4242;
        (void) state;

        assert_non_null(text);
        loader_config_init(&defaults);
        for (int round = 0; round < 20; round++) {
                size_t len = round == 0 ? n : (size_t) (round * 997) % n;
                for (size_t i = 0; i < len; i++) {
                        seed = seed * 1103515245 + 12345;
                        text[i] = (uint8_t) (seed >> 16);
                        /* Random bytes almost never spell a known key; a share
                         * of line ends makes many short lines. */
                        if (text[i] >= 0xf0)
                                text[i] = "\n\r\0 "[text[i] & 3];
                }
                parse(&c, text, len, &w);
                assert_memory_equal(&c, &defaults, sizeof(c));
                if (len > 1000)
                        assert_true(w.count > 0);
        }
        free(text);
}

/* ---- loader.conf read piece by piece ------------------------------------------ */

/* Parses text fed in pieces of the sizes given (cycled), each piece an
 * exact-size copy. */
static void parse_pieces(struct loader_config *c, const void *text, size_t len, const size_t *sizes, size_t n_sizes,
                         struct warnings *w) {
        struct loader_config_reader r;
        const uint8_t *p = text;

        memset(w, 0, sizeof(*w));
        loader_config_init(c);
        loader_config_reader_init(&r, c, record, w);
        for (size_t done = 0, k = 0; done < len; k++) {
                size_t n = sizes[k % n_sizes] < len - done ? sizes[k % n_sizes] : len - done;
                uint8_t *copy = exact_copy(p + done, n);
                loader_config_reader_feed(&r, copy, n);
                free(copy);
                done += n;
        }
        loader_config_reader_finish(&r);
}

/* A loader.conf far over 64 KiB (before, the loader would not read it and
 * fell back to the defaults: the editor on). Read in pieces of any size,
 * its settings apply, whether they come first or after 100 KB of
 * comments. */
static void test_large_file(void **state) {
        static const size_t pieces[][3] = { { 1, 1, 1 }, { 4096, 4096, 4096 }, { 16384, 16384, 16384 }, { 7, 4093, 1 },
                                            { 200000, 200000, 200000 } };
        size_t n = 100000, len = 0;
        char *text = malloc(n + 256);
        struct loader_config c;
        struct warnings w;
        (void) state;

        assert_non_null(text);
        len += (size_t) sprintf(text, "timeout 7\n");
        while (len < n) {
                size_t k = (size_t) sprintf(text + len, "# a comment line of some length, number %zu\r\n", len);
                len += k;
        }
        len += (size_t) sprintf(text + len, "editor no\ndefault nixos-*\nconsole-mode 2");
        for (size_t i = 0; i < ARRAY_SIZE(pieces); i++) {
                parse_pieces(&c, text, len, pieces[i], 3, &w);
                assert_int_equal(w.count, 0);
                assert_int_equal(c.timeout.mode, TIMEOUT_SECONDS);
                assert_int_equal(c.timeout.seconds, 7);
                assert_false(c.editor);
                assert_string_equal(c.default_pattern, "nixos-*");
                assert_int_equal(c.console_mode, 2);
        }
        free(text);
}

/* Pieces that end anywhere, also between "\r" and "\n" or inside a long
 * line: the settings, the warnings and their line numbers are those of the
 * file parsed whole, for every way of cutting it in two and three. */
static void test_pieces_anywhere(void **state) {
        static const char text[] = "timeout 3\r\nfrob x\r\rdefault a*\r\n\neditor no\0bad\nconsole-mode\tmax\r"
                                   "timeout nope\nauto-entries 0";
        struct loader_config whole, cut;
        struct warnings ww, wc;
        (void) state;

        parse(&whole, text, sizeof(text) - 1, &ww);
        /* The file parsed whole, as loader.conf(5) and the tests above have it. */
        assert_int_equal(whole.timeout.seconds, 3);
        assert_string_equal(whole.default_pattern, "a*");
        assert_false(whole.editor);
        assert_int_equal(whole.console_mode, CONSOLE_MODE_MAX);
        assert_false(whole.auto_entries);
        assert_int_equal(ww.count, 3);
        assert_int_equal(ww.lines[0], 2); /* frob */
        assert_int_equal(ww.lines[1], 7); /* bad: line 3 is empty, "\r\n" ends line 4, line 5 is empty */
        assert_int_equal(ww.lines[2], 9); /* timeout nope */
        for (size_t a = 0; a <= sizeof(text) - 1; a++)
                for (size_t b = a; b <= sizeof(text) - 1; b += 3) {
                        size_t sizes[3] = { a ? a : 1, b - a ? b - a : 1, sizeof(text) };
                        parse_pieces(&cut, text, sizeof(text) - 1, sizes, 3, &wc);
                        if (memcmp(&cut, &whole, sizeof(cut)) != 0 || wc.count != ww.count)
                                fail_msg("cut at %zu and %zu: different result", a, b);
                        for (unsigned i = 0; i < ww.count; i++) {
                                assert_int_equal(wc.lines[i], ww.lines[i]);
                                assert_string_equal(wc.keys[i], ww.keys[i]);
                        }
                }
}

/* Lines longer than LOADER_CONF_LINE_MAX: a warning, never a truncated value
 * ("default abc" read out of "default abcdef..."), whatever the pieces;
 * long comments are fine. */
static void test_overlong_lines(void **state) {
        static const size_t pieces[][3] = { { 1, 1, 1 }, { 100, 1000, 5000 }, { 1000000, 1, 1 } };
        size_t len = 0;
        char *text = malloc(4 * LOADER_CONF_LINE_MAX + 256);
        struct loader_config c;
        struct warnings w;
        (void) state;

        assert_non_null(text);
        len += (size_t) sprintf(text, "default ");
        memset(text + len, 'p', LOADER_CONF_LINE_MAX);
        len += LOADER_CONF_LINE_MAX;
        len += (size_t) sprintf(text + len, "\n#");
        memset(text + len, 'c', 2 * LOADER_CONF_LINE_MAX);
        len += 2 * LOADER_CONF_LINE_MAX;
        len += (size_t) sprintf(text + len, "\rtimeout 5\n");
        for (size_t i = 0; i < ARRAY_SIZE(pieces); i++) {
                parse_pieces(&c, text, len, pieces[i], 3, &w);
                assert_string_equal(c.default_pattern, "");
                assert_int_equal(c.timeout.seconds, 5);
                assert_int_equal(w.count, 1);
                assert_int_equal(w.lines[0], 1);
                assert_string_equal(w.keys[0], "default");
                assert_string_equal(w.whats[0], "line too long for");
        }
        /* Exactly LOADER_CONF_LINE_MAX bytes still fit. */
        len = (size_t) sprintf(text, "timeout ");
        memset(text + len, ' ', LOADER_CONF_LINE_MAX - len - 1);
        len = LOADER_CONF_LINE_MAX - 1;
        text[len++] = '4';
        parse(&c, text, len, &w);
        assert_int_equal(w.count, 0);
        assert_int_equal(c.timeout.seconds, 4);
        text[len++] = '\n';
        memmove(text + 1, text, len);
        text[0] = ' ';
        parse(&c, text, len + 1, &w);
        assert_int_equal(w.count, 1);
        assert_int_equal(c.timeout.mode, TIMEOUT_UNSET);
        free(text);
}

/* A loader.conf that cannot be read: the defaults, but the editor off. */
static void test_fail_safe(void **state) {
        struct loader_config c, defaults;
        (void) state;

        loader_config_init(&defaults);
        loader_config_init_fail_safe(&c);
        assert_false(c.editor);
        defaults.editor = false;
        assert_memory_equal(&c, &defaults, sizeof(c));
}

/* parse_timeout also reads the LoaderConfigTimeout variables. */
static void test_parse_timeout(void **state) {
        struct timeout_setting t;
        (void) state;

        assert_true(parse_timeout(slice_from_cstr("4294967"), &t));
        assert_int_equal(t.seconds, 4294967); /* the longest countdown in milliseconds that fits 32 bits */
        assert_false(parse_timeout(slice_from_cstr("4294968"), &t));
        assert_false(parse_timeout(slice_from_cstr(""), &t));
        assert_false(parse_timeout(slice_from_cstr(" 5"), &t));
        assert_false(parse_timeout(slice_from("5\0", 2), &t));
}

/* ---- strutil --------------------------------------------------------------- */

static void expect_lines(const char *text, size_t len, const char *const *expected, size_t n_expected) {
        uint8_t *copy = exact_copy(text, len);
        struct line_reader r;
        struct slice line;
        size_t n = 0;

        line_reader_init(&r, copy, len);
        while (line_reader_next(&r, &line)) {
                if (n >= n_expected)
                        fail_msg("line %zu ('%.*s') is one too many", n + 1, (int) line.len, line.ptr);
                if (!slice_eq(line, expected[n]))
                        fail_msg("line %zu is '%.*s', expected '%s'", n + 1, (int) line.len, line.ptr, expected[n]);
                n++;
                assert_int_equal(r.line_number, n);
        }
        assert_int_equal(n, n_expected);
        free(copy);
}

#define LINES(text, ...)                                                                            \
        do {                                                                                        \
                static const char *const _e[] = { __VA_ARGS__ };                                    \
                expect_lines(text, sizeof(text) - 1, _e, ARRAY_SIZE(_e));                           \
        } while (0)

static void test_line_reader(void **state) {
        (void) state;
        expect_lines("", 0, NULL, 0);
        LINES("a", "a");
        LINES("a\n", "a");
        LINES("a\nb", "a", "b");
        LINES("a\r\nb\r\n", "a", "b");
        LINES("a\rb\r", "a", "b");
        LINES("a\0b\0", "a", "b");
        LINES("\n", "");
        LINES("\n\n", "", "");
        LINES("\r\n\r", "", "");
        LINES("a\r", "a");
        LINES("\0", "");
}

static void test_split_key_value(void **state) {
        struct slice key, value;
        (void) state;

        split_key_value(slice_from_cstr("title  Fancy  OS \t"), &key, &value);
        assert_true(slice_eq(key, "title"));
        assert_true(slice_eq(value, "Fancy  OS"));
        split_key_value(slice_from_cstr("title"), &key, &value);
        assert_true(slice_eq(key, "title"));
        assert_int_equal(value.len, 0);
        split_key_value(slice_from_cstr("key\tvalue"), &key, &value);
        assert_true(slice_eq(value, "value"));
        split_key_value(slice_from_cstr(""), &key, &value);
        assert_int_equal(key.len, 0);
        assert_int_equal(value.len, 0);
}

static void expect_uint(const char *s, uint64_t max, bool ok, uint64_t expected) {
        uint8_t *copy = exact_copy(s, strlen(s));
        uint64_t v = 12345;

        assert_int_equal(parse_uint(slice_from((const char *) copy, strlen(s)), max, &v), ok);
        assert_int_equal(v, ok ? expected : 12345);
        free(copy);
}

static void test_parse_uint(void **state) {
        (void) state;
        expect_uint("0", 10, true, 0);
        expect_uint("000000000000000000000000000042", 100, true, 42);
        expect_uint("10", 10, true, 10);
        expect_uint("11", 10, false, 0);
        expect_uint("18446744073709551615", UINT64_MAX, true, UINT64_MAX);
        expect_uint("18446744073709551616", UINT64_MAX, false, 0);
        expect_uint("99999999999999999999999", UINT64_MAX, false, 0);
        expect_uint("4294967295", UINT32_MAX, true, UINT32_MAX);
        expect_uint("4294967296", UINT32_MAX, false, 0);
        expect_uint("", 10, false, 0);
        expect_uint(" 1", 10, false, 0);
        expect_uint("1 ", 10, false, 0);
        expect_uint("-1", 10, false, 0);
        expect_uint("+1", 10, false, 0);
        expect_uint("0x1", 10, false, 0);
        expect_uint("1\xff", 10, false, 0);
}

/* systemd's parse_boolean(): 1/yes/y/true/t/on and 0/no/n/false/f/off,
 * in any case. */
static void test_parse_boolean(void **state) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on", "YES", "True", "ON", "Y" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off", "NO", "False", "OFF", "N" };
        static const char *const neither[] = { "", "2", "yess", "of", "tru", " yes", "yes ", "enable", "-1", "\xff" };
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
                assert_int_equal(parse_boolean(slice_from_cstr(yes[i])), 1);
        for (size_t i = 0; i < ARRAY_SIZE(no); i++)
                assert_int_equal(parse_boolean(slice_from_cstr(no[i])), 0);
        for (size_t i = 0; i < ARRAY_SIZE(neither); i++)
                assert_int_equal(parse_boolean(slice_from_cstr(neither[i])), -1);
        assert_int_equal(parse_boolean(slice_from("yes\0", 4)), -1);
}

static void test_slices(void **state) {
        (void) state;
        assert_true(slice_eq(slice_strip(slice_from_cstr(" \t\r\n\v\fx y\n ")), "x y"));
        assert_int_equal(slice_strip(slice_from_cstr(" \t ")).len, 0);
        assert_true(slice_has_suffix_nocase(slice_from_cstr("a.CoNf"), ".conf"));
        assert_false(slice_has_suffix_nocase(slice_from_cstr("conf"), ".conf"));
        assert_true(slice_has_prefix(slice_from_cstr("auto-x"), "auto-"));
        assert_false(slice_has_prefix(slice_from_cstr("auto"), "auto-"));
        assert_true(slice_cmp(slice_from_cstr("ab"), slice_from_cstr("abc")) < 0);
        assert_true(slice_cmp(slice_from_cstr("b"), slice_from_cstr("abc")) > 0);
        assert_true(slice_cmp(slice_from("a\xff", 2), slice_from_cstr("a\x01")) > 0); /* bytes compare unsigned, as strcmp */
        assert_int_equal(slice_cmp(slice_from("a\0b", 3), slice_from("a\0b", 3)), 0);
        assert_true(slice_eq_nocase(slice_from_cstr("AbC"), slice_from_cstr("aBc")));
        assert_false(slice_eq_nocase(slice_from_cstr("\xc4"), slice_from_cstr("\xe4"))); /* ASCII only */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_all_keys),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_bad_values),
                cmocka_unit_test(test_unknown_keys),
                cmocka_unit_test(test_line_ends),
                cmocka_unit_test(test_long_values),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_parse_timeout),
                cmocka_unit_test(test_line_reader),
                cmocka_unit_test(test_split_key_value),
                cmocka_unit_test(test_parse_uint),
                cmocka_unit_test(test_parse_boolean),
                cmocka_unit_test(test_slices),
                cmocka_unit_test(test_large_file),
                cmocka_unit_test(test_pieces_anywhere),
                cmocka_unit_test(test_overlong_lines),
                cmocka_unit_test(test_fail_safe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
