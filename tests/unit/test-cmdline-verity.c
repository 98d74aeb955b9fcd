/* SPDX-License-Identifier: MIT */
/* cmdline_bind(): the stub's guarantee that a command line accepted from
 * the loader carries exactly the UKI's roothash=/usrhash=/systemd.verity*=
 * words (and, when the UKI binds a hash, its root and /usr words), and that
 * no text from outside a UKI names a file for Linux's EFI stub to load. Hand-written cases pin the rules; a randomized
 * check parses the result the way Linux, systemd and a shell script do (each
 * written here from their documented behaviour, independently of the code
 * under test) and requires that every one of them finds only the UKI's
 * values. Outputs live in heap blocks of exactly the documented bound, so
 * AddressSanitizer reports a write past it. */
#include "keel-test.h"

#include "common/cmdline.h"
#include "common/utf.h"

/* UTF-8 text (may contain "\0" when len is given) as exactly len UTF-16 units. */
static uint16_t *u16(const char *s, size_t len, size_t *ret_units) {
        uint16_t *tmp = malloc((len + 1) * sizeof(uint16_t)), *out;
        size_t n = 0;

        assert_non_null(tmp);
        /* utf8_to_utf16 stops at NUL: convert piecewise to keep embedded NULs. */
        for (size_t i = 0; i <= len;) {
                size_t piece = strnlen(s + i, len - i);
                n += utf8_to_utf16(s + i, piece, tmp + n);
                i += piece;
                if (i < len)
                        tmp[n++] = 0;
                i++;
        }
        out = (uint16_t *) exact_copy(tmp, n * sizeof(uint16_t));
        free(tmp);
        *ret_units = n;
        return out;
}

/* Runs the binding; returns its code and (on success) the result as UTF-8
 * and how many words were dropped. */
static int bind_mode(const char *loader, size_t loader_len, const char *uki, enum cmdline_bind_mode mode, char **ret,
                     size_t *ret_dropped) {
        size_t lu, uu, n = 0, bound, dropped = 0;
        uint16_t *l = u16(loader, loader_len, &lu), *u = u16(uki, strlen(uki), &uu), *out;
        int r;

        bound = CMDLINE_BIND_MAX_UNITS(lu, uu);
        out = malloc(bound * sizeof(uint16_t));
        assert_non_null(out);
        r = cmdline_bind(l, lu, u, uu, mode, out, bound, &n, &dropped);
        if (ret_dropped)
                *ret_dropped = dropped;
        *ret = NULL;
        if (r == KEEL_OK) {
                assert_true(n < bound);
                assert_int_equal(out[n], 0);
                *ret = malloc(3 * n + 1);
                assert_non_null(*ret);
                utf16_to_utf8(out, n, *ret);
        }
        free(out);
        free(l);
        free(u);
        return r;
}

static int bind(const char *loader, size_t loader_len, const char *uki, char **ret) {
        return bind_mode(loader, loader_len, uki, CMDLINE_BIND_REPLACE, ret, NULL);
}

#define UKI "console=ttyS0 roothash=00112233 quiet usrhash=aabbccdd systemd.verity_root_options=panic-on-corruption"
#define UKI_VERITY "roothash=00112233 usrhash=aabbccdd systemd.verity_root_options=panic-on-corruption"

static void expect_bound(const char *loader, const char *uki, const char *expected) {
        char *got;
        int r = bind(loader, strlen(loader), uki, &got);

        if (r != KEEL_OK)
                fail_msg("loader '%s': %s", loader, keel_strerror(r));
        if (strcmp(got, expected) != 0)
                fail_msg("loader '%s'\n  got:      '%s'\n  expected: '%s'", loader, got, expected);
        free(got);
}

static void test_plain(void **state) {
        (void) state;
        expect_bound("console=ttyS0 quiet", UKI, "console=ttyS0 quiet " UKI_VERITY);
        expect_bound("", UKI, UKI_VERITY);
        expect_bound("   \t  ", UKI, UKI_VERITY);
        /* Whitespace runs collapse to one space. */
        expect_bound("  a\t\tb \n c  ", UKI, "a b c " UKI_VERITY);
        /* Quoted values with spaces stay one word. */
        expect_bound("dyndbg=\"file foo.c +p\" x", UKI, "dyndbg=\"file foo.c +p\" x " UKI_VERITY);
        expect_bound("\"a b\" c", UKI, "\"a b\" c " UKI_VERITY);
}

static void test_drops_verity_words(void **state) {
        (void) state;
        expect_bound("roothash=ffff quiet", UKI, "quiet " UKI_VERITY);
        expect_bound("a roothash=1 b roothash=2 c usrhash=3 roothash=4", UKI, "a b c " UKI_VERITY);
        expect_bound("roothash usrhash roothash=", UKI, UKI_VERITY);
        expect_bound("systemd.verity=0 rd.systemd.verity=no x", UKI, "x " UKI_VERITY);
        expect_bound("systemd.verity_root_data=/dev/evil systemd.verity_root_hash=/dev/evil2 x", UKI,
                     "x " UKI_VERITY);
        expect_bound("systemd.verity-usr-options=ignore-corruption systemd.verity_usr_data=y x", UKI, "x " UKI_VERITY);
        expect_bound("rd.roothash=ee rd.usrhash=ff x", UKI, "x " UKI_VERITY);
}

static void test_keeps_lookalikes(void **state) {
        (void) state;
        expect_bound("xroothash=1 roothashx=2 myusrhash=3 usrhash_extra=4 roothash.x=5", UKI,
                     "xroothash=1 roothashx=2 myusrhash=3 usrhash_extra=4 roothash.x=5 " UKI_VERITY);
        expect_bound("rootwait rootdelay=5 root_x=1 mount.usrx=2 systemd.unit=x systemd.veritysetup=x.service", UKI,
                     "rootwait rootdelay=5 root_x=1 mount.usrx=2 systemd.unit=x " UKI_VERITY);
        expect_bound("foo.roothash=1 rd.foo=2 rdroothash=3 rd-roothash=4", UKI,
                     "foo.roothash=1 rd.foo=2 rdroothash=3 rd-roothash=4 " UKI_VERITY);
        expect_bound("a=roothash=1 b=\"x\"", UKI, "a=roothash=1 b=\"x\" " UKI_VERITY);
}

static void test_quoted_verity_words(void **state) {
        (void) state;
        /* Linux strips a leading quote from the name, systemd removes all. */
        expect_bound("\"roothash=evil\" x", UKI, "x " UKI_VERITY);
        expect_bound("ro\"ot\"hash=evil x", UKI, "x " UKI_VERITY);
        expect_bound("roothash\"=evil\" x", UKI, "x " UKI_VERITY);
        expect_bound("\"rd.usrhash\"=1 x", UKI, "x " UKI_VERITY);
        /* A shell-style reader splits inside quotes. */
        expect_bound("foo=\"a roothash=evil\" x", UKI, "x " UKI_VERITY);
        expect_bound("\"a  systemd.verity=0\" x", UKI, "x " UKI_VERITY);
}

static void test_non_ascii_boundaries(void **state) {
        (void) state;
        /* U+00E0 is C3 A0 in UTF-8; Linux splits words on the byte A0. */
        expect_bound("foo\xc3\xa0roothash=evil x", UKI, "x " UKI_VERITY);
        expect_bound("foo\xc2\xa0usrhash=evil x", UKI, "x " UKI_VERITY);
        expect_bound("caf\xc3\xa9 na\xc3\xafve=1", UKI, "caf\xc3\xa9 na\xc3\xafve=1 " UKI_VERITY);
        expect_bound("\xe2\x80\x83roothash=evil", UKI, UKI_VERITY);
}

static void test_unbalanced_and_ambiguous_words(void **state) {
        (void) state;
        /* An open quote would swallow the words appended after it. */
        expect_bound("x foo=\"bar", UKI, "x " UKI_VERITY);
        expect_bound("x \"", UKI, "x " UKI_VERITY);
        expect_bound("x \"a b", UKI, "x " UKI_VERITY);
        /* systemd honours single quotes and backslashes, Linux does not. */
        expect_bound("x 'a", UKI, "x " UKI_VERITY);
        expect_bound("x 'a roothash=evil' y", UKI, "x y " UKI_VERITY);
        expect_bound("x a\\\" roothash=evil \" y", UKI, "x y " UKI_VERITY);
        expect_bound("x a\\b", UKI, "x " UKI_VERITY);
        /* Control characters (a newline stops Linux's EFI stub). */
        expect_bound("x \"a\nb\" y", UKI, "x y " UKI_VERITY);
        expect_bound("x \"a\tb\" y", UKI, "x y " UKI_VERITY);
        expect_bound("x a\x7f y", UKI, "x y " UKI_VERITY);
}

static void test_end_of_options(void **state) {
        (void) state;
        expect_bound("quiet -- roothash=evil init-arg", UKI, "quiet " UKI_VERITY " -- init-arg");
        expect_bound("-- a", UKI, UKI_VERITY " -- a");
        expect_bound("a \"--\" b -- c", UKI, "a " UKI_VERITY " \"--\" b -- c");
        expect_bound("a --x -- ", UKI, "a --x " UKI_VERITY " --");
}

static void test_uki_without_verity(void **state) {
        (void) state;
        expect_bound("roothash=evil quiet usrhash=evil", "console=ttyS0 quiet", "quiet");
        expect_bound("a b", "", "a b");
}

static void test_uki_word_order(void **state) {
        (void) state;
        expect_bound("a", "usrhash=2 x roothash=1 \"systemd.verity=1\"", "a usrhash=2 roothash=1 \"systemd.verity=1\"");
        expect_bound("a", "roothash=1 roothash=2", "a roothash=1 roothash=2");
}

static void test_embedded_nul(void **state) {
        char *got;
        (void) state;
        /* Linux's EFI stub stops at the first NUL; so does the binding. */
        assert_keel(bind("a b\0roothash=evil", 17, UKI, &got), KEEL_OK);
        assert_string_equal(got, "a b " UKI_VERITY);
        free(got);
}

static void test_length_limit(void **state) {
        const char *uki = "roothash=0123456789abcdef";
        size_t room = CMDLINE_KERNEL_MAX_BYTES - 1 - strlen(uki) - 1; /* what the loader part may use */
        char *loader = malloc(CMDLINE_KERNEL_MAX_BYTES + 8), *got;
        (void) state;

        assert_non_null(loader);
        memset(loader, 'a', room);
        loader[room] = '\0';
        assert_keel(bind(loader, room, uki, &got), KEEL_OK);
        assert_int_equal(strlen(got), CMDLINE_KERNEL_MAX_BYTES - 1);
        free(got);

        memset(loader, 'a', room + 1);
        loader[room + 1] = '\0';
        assert_keel(bind(loader, room + 1, uki, &got), KEEL_E_CMDLINE_TOO_LONG);
        assert_null(got);

        /* Bytes, not units, as Linux's EFI stub counts: U+00E9 is one unit
         * but two bytes, so this line fits in units and not in bytes. */
        memset(loader, 'a', room - 1);
        memcpy(loader + room - 1, "\xc3\xa9", 2);
        loader[room + 1] = '\0';
        assert_keel(bind(loader, room + 1, uki, &got), KEEL_E_CMDLINE_TOO_LONG);
        free(loader);
}

static void expect_mode(const char *outside, const char *uki, enum cmdline_bind_mode mode, const char *expected,
                        size_t expected_dropped) {
        size_t dropped;
        char *got;
        int r = bind_mode(outside, strlen(outside), uki, mode, &got, &dropped);

        if (r != KEEL_OK)
                fail_msg("outside '%s': %s", outside, keel_strerror(r));
        if (strcmp(got, expected) != 0)
                fail_msg("outside '%s'\n  got:      '%s'\n  expected: '%s'", outside, got, expected);
        if (dropped != expected_dropped)
                fail_msg("outside '%s': %zu words dropped, expected %zu", outside, dropped, expected_dropped);
        free(got);
}

/* Linux's EFI stub loads "initrd=" (and on arm64 "dtb=") files from the boot
 * volume, searching the whole load options for the text: any word holding
 * it goes, with or without a .cmdline in the UKI, in every mode. */
static void test_drops_file_words(void **state) {
        static const char *const evil =
                "initrd=\\evil.cpio a initrd=/evil dtb=\\evil.dtb foo.initrd=x \"x initrd=y\" initrdmem=0x1000,4096 "
                "rd.dtb=1 b";
        (void) state;
        expect_mode(evil, UKI, CMDLINE_BIND_REPLACE, "a b " UKI_VERITY, 7);
        expect_mode(evil, UKI, CMDLINE_BIND_APPEND, "a b", 7);
        expect_mode(evil, "", CMDLINE_BIND_REPLACE, "a b", 7);
        expect_mode(evil, "", CMDLINE_BIND_APPEND, "a b", 7);
        /* Linux matches the text exactly. */
        expect_mode("INITRD=x Dtb=y initrd dtb", "", CMDLINE_BIND_REPLACE, "INITRD=x Dtb=y initrd dtb", 0);
}

/* A UKI without a .cmdline binds nothing: the text comes through as it
 * came, root= and verity words included, unless a word had to go. */
static void test_uki_without_cmdline(void **state) {
        (void) state;
        expect_mode("  root=/dev/sda2\troothash=1  \"a b ", "", CMDLINE_BIND_REPLACE,
                    "  root=/dev/sda2\troothash=1  \"a b ", 0);
        expect_mode("root=/dev/sda2  initrd=x  roothash=1", "", CMDLINE_BIND_REPLACE, "root=/dev/sda2 roothash=1", 1);
}

#define UKI_ROOT "console=ttyS0 roothash=00112233 root=/dev/mapper/root rootfstype=erofs quiet"
#define UKI_ROOT_BOUND "roothash=00112233 root=/dev/mapper/root rootfstype=erofs"

/* With a hash bound, the words that choose or mount over / and /usr are the
 * UKI's alone: root=/dev/evil would mount another file system as root and
 * leave the verified device unused. */
static void test_binds_mount_words(void **state) {
        (void) state;
        expect_mode("quiet root=/dev/sda2 rootfstype=ext4 rootflags=rw mount.usr=/dev/x mount.usrfstype=ext4 "
                    "mount.usrflags=rw systemd.mount-extra=/dev/x:/usr rd.systemd.mount_extra=/dev/y:/usr x",
                    UKI_ROOT, CMDLINE_BIND_REPLACE, "quiet x " UKI_ROOT_BOUND, 8);
        expect_mode("\"root=/dev/evil\" ro\"ot\"=/dev/evil a=\"b root=/dev/evil\" x", UKI_ROOT, CMDLINE_BIND_REPLACE,
                    "x " UKI_ROOT_BOUND, 3);
        expect_mode("root=/dev/evil quiet", UKI_ROOT, CMDLINE_BIND_APPEND, "quiet", 1);
        expect_mode("mount.usr=/dev/evil", UKI, CMDLINE_BIND_APPEND, "", 1);
        /* A UKI with a .cmdline but no hash leaves the root to whoever boots it. */
        expect_mode("root=/dev/sda2 mount.usr=/dev/sda3 roothash=1 x", "console=ttyS0 quiet", CMDLINE_BIND_REPLACE,
                    "root=/dev/sda2 mount.usr=/dev/sda3 x", 1);
        expect_mode("root=/dev/sda2 roothash=1 x", "console=ttyS0 root=/dev/sda1", CMDLINE_BIND_REPLACE,
                    "root=/dev/sda2 x", 1);
        /* The UKI's mount words go before a "--" too; the outside's after it
         * still go (systemd reads the whole of /proc/cmdline). */
        expect_mode("a -- root=/dev/evil b", UKI_ROOT, CMDLINE_BIND_REPLACE, "a " UKI_ROOT_BOUND " -- b", 1);
}

/* Appended text never gets the UKI's words again: they are in the line it
 * follows already. */
static void test_append_inserts_nothing(void **state) {
        (void) state;
        expect_mode("quiet roothash=evil", UKI, CMDLINE_BIND_APPEND, "quiet", 1);
        expect_mode("", UKI, CMDLINE_BIND_APPEND, "", 0);
        expect_mode("a -- b", UKI, CMDLINE_BIND_APPEND, "a -- b", 0);
}

/* What the stub checks before passing its own .cmdline: Linux's EFI stub
 * stops at a newline or a NUL and keeps fewer than 2048 bytes of UTF-8. */
static void test_kernel_limits(void **state) {
        uint16_t *s = malloc((CMDLINE_KERNEL_MAX_BYTES + 2) * sizeof(uint16_t));
        static const uint16_t with_newline[] = { 'q', 'u', 'i', 'e', 't', '\n', 'r', 'o', 'o', 't', 0 };
        static const uint16_t newline_after_nul[] = { 'q', 0, '\n' };
        static const uint16_t with_cr[] = { 'a', '\r', 'b' };
        size_t bytes = 0;
        (void) state;

        assert_non_null(s);
        assert_keel(cmdline_check_kernel_limits(with_newline, ARRAY_SIZE(with_newline), &bytes),
                    KEEL_E_CMDLINE_NEWLINE);
        /* After the NUL nothing reaches the kernel, and nothing is looked at. */
        assert_keel(cmdline_check_kernel_limits(newline_after_nul, ARRAY_SIZE(newline_after_nul), &bytes), KEEL_OK);
        assert_int_equal(bytes, 1);
        /* The kernel stops at \n only; \r is whitespace to it. */
        assert_keel(cmdline_check_kernel_limits(with_cr, ARRAY_SIZE(with_cr), NULL), KEEL_OK);

        for (size_t i = 0; i < CMDLINE_KERNEL_MAX_BYTES + 2; i++)
                s[i] = 'a';
        assert_keel(cmdline_check_kernel_limits(s, CMDLINE_KERNEL_MAX_BYTES - 1, &bytes), KEEL_OK);
        assert_int_equal(bytes, CMDLINE_KERNEL_MAX_BYTES - 1);
        assert_keel(cmdline_check_kernel_limits(s, CMDLINE_KERNEL_MAX_BYTES, &bytes), KEEL_E_CMDLINE_TOO_LONG);
        assert_int_equal(bytes, CMDLINE_KERNEL_MAX_BYTES);
        /* Bytes, not units: U+00E9 is two bytes of UTF-8. */
        s[0] = 0xe9;
        assert_keel(cmdline_check_kernel_limits(s, CMDLINE_KERNEL_MAX_BYTES - 1, &bytes), KEEL_E_CMDLINE_TOO_LONG);
        assert_keel(cmdline_check_kernel_limits(NULL, 0, &bytes), KEEL_OK);
        assert_int_equal(bytes, 0);
        free(s);
}

static void test_output_bound_checked(void **state) {
        uint16_t loader[] = { 'a', ' ', 'b' }, uki[] = { 'r', 'o', 'o', 't', 'h', 'a', 's', 'h', '=', '1' };
        uint16_t out[32];
        size_t n;
        (void) state;

        assert_keel(cmdline_bind(loader, 3, uki, 10, CMDLINE_BIND_REPLACE, out, CMDLINE_BIND_MAX_UNITS(3, 10) - 1, &n,
                                 NULL),
                    KEEL_E_INVALID_ARGUMENT);
        assert_keel(cmdline_bind(loader, 3, uki, 10, CMDLINE_BIND_REPLACE, NULL, 100, &n, NULL),
                    KEEL_E_INVALID_ARGUMENT);
        assert_keel(cmdline_bind(loader, 3, uki, 10, (enum cmdline_bind_mode) 7, out, 100, &n, NULL),
                    KEEL_E_INVALID_ARGUMENT);
        assert_keel(cmdline_bind(NULL, 0, uki, 10, CMDLINE_BIND_REPLACE, out, CMDLINE_BIND_MAX_UNITS(0, 10), &n, NULL),
                    KEEL_OK);
        assert_int_equal(n, 10);
        assert_keel(cmdline_bind(loader, 3, NULL, 0, CMDLINE_BIND_REPLACE, out, CMDLINE_BIND_MAX_UNITS(3, 0), &n, NULL),
                    KEEL_OK);
        assert_int_equal(n, 3);
}

/* ---- Independent readers of /proc/cmdline ------------------------------ */

struct seen {
        char items[64][256];
        size_t n;
};

static void seen_add(struct seen *s, const char *word, size_t len) {
        if (s->n < 64) {
                size_t l = len < 255 ? len : 255;
                memcpy(s->items[s->n], word, l);
                s->items[s->n][l] = '\0';
                s->n++;
        } else
                s->n++;
}

/* key (len bytes) with '-' read as '_', as systemd compares keys. */
static bool key_is(const char *key, size_t len, const char *want) {
        if (len != strlen(want))
                return false;
        for (size_t i = 0; i < len; i++)
                if ((key[i] == '-' ? '_' : key[i]) != (want[i] == '-' ? '_' : want[i]))
                        return false;
        return true;
}

/* Is key (up to '=' or end) one a UKI that binds a root hash keeps for
 * itself, to a systemd in the initrd, where "rd." is stripped and '-'
 * equals '_'? The verity keys, and those that choose or mount over the root
 * and /usr file systems. */
static bool systemd_verity_key(const char *key, size_t len) {
        static const char *const exact[] = { "roothash", "usrhash", "root", "rootfstype", "rootflags", "mount.usr",
                                             "mount.usrfstype", "mount.usrflags", "systemd.mount-extra" };
        if (len >= 3 && memcmp(key, "rd.", 3) == 0) {
                key += 3;
                len -= 3;
        }
        for (size_t i = 0; i < ARRAY_SIZE(exact); i++)
                if (key_is(key, len, exact[i]))
                        return true;
        return len >= 14 && key_is(key, 14, "systemd.verity");
}

static void record_if_verity(struct seen *s, const char *word, size_t len, bool (*is_key)(const char *, size_t)) {
        size_t k = 0;
        while (k < len && word[k] != '=')
                k++;
        if (is_key(word, k))
                seen_add(s, word, len);
}

/* systemd's proc_cmdline: extract_first_word(EXTRACT_UNQUOTE|EXTRACT_RELAX|
 * EXTRACT_RETAIN_ESCAPE) over " \t\n\r", then the key before '='. */
static void systemd_view(const char *s, struct seen *ret) {
        char word[4096];
        size_t i = 0, n;

        for (;;) {
                char quote = 0;
                while (s[i] && strchr(" \t\n\r", s[i]))
                        i++;
                if (!s[i])
                        break;
                n = 0;
                for (; s[i]; i++) {
                        char c = s[i];
                        if (quote == 0 && strchr(" \t\n\r", c))
                                break;
                        if (c == '\\' && quote != '\'') {
                                word[n++] = c;
                                if (s[i + 1])
                                        word[n++] = s[++i];
                                continue;
                        }
                        if (quote == 0 && (c == '\'' || c == '"')) {
                                quote = c;
                                continue;
                        }
                        if (quote != 0 && c == quote) {
                                quote = 0;
                                continue;
                        }
                        word[n++] = c;
                }
                record_if_verity(ret, word, n, systemd_verity_key);
        }
}

static bool kernel_space(unsigned char c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

/* Linux's next_arg(): the parameter name after a leading quote is removed. */
static void kernel_view(const char *s, struct seen *ret) {
        size_t i = 0;

        for (;;) {
                size_t start;
                bool in_quote = false;
                while (s[i] && kernel_space((unsigned char) s[i]))
                        i++;
                if (!s[i])
                        break;
                start = i;
                if (s[i] == '"') {
                        start++;
                        i++;
                        in_quote = true;
                }
                for (; s[i] && (in_quote || !kernel_space((unsigned char) s[i])); i++)
                        if (s[i] == '"')
                                in_quote = !in_quote;
                record_if_verity(ret, s + start, i - start, systemd_verity_key);
        }
}

/* `for w in $(cat /proc/cmdline)` in a shell script. */
static void shell_view(const char *s, struct seen *ret) {
        size_t i = 0;

        for (;;) {
                size_t start;
                while (s[i] && strchr(" \t\n", s[i]))
                        i++;
                if (!s[i])
                        break;
                start = i;
                while (s[i] && !strchr(" \t\n", s[i]))
                        i++;
                record_if_verity(ret, s + start, i - start, systemd_verity_key);
        }
}

static void expect_same(const char *view, const struct seen *got, const struct seen *want, const char *loader,
                        const char *out) {
        bool same = got->n == want->n;
        for (size_t i = 0; same && i < got->n && i < 64; i++)
                same = strcmp(got->items[i], want->items[i]) == 0;
        if (!same)
                fail_msg("%s reader sees %zu verity words (want %zu; first '%s')\n  loader: '%s'\n  result: '%s'", view,
                         got->n, want->n, got->n ? got->items[0] : "", loader, out);
}

static void test_random_hostile_lines(void **state) {
        static const char *const pieces[] = {
                "roothash=", "usrhash=", "rd.", "systemd.verity", "_root_data=", "-root-hash=", "systemd.verity=0",
                "\"", "\"", "'", "\\", " ", " ", " ", "\t", "\n", "\r", "\v", "x", "a=", "=", "--", "-", "_", ".",
                "\xc3\xa0", "\xc2\xa0", "\xe2\x80\x83", "evil", "0123", "xroothash=", "\"roothash=e\"", "rd.usrhash=",
                "root=", "rootflags=", "mount.usr=", "systemd.mount-extra=", "rootwait", "initrd=", "dtb=", "initrd",
                "initrdmem=",
        };
        const char *uki = "console=ttyS0 roothash=00112233 usrhash=aabbccdd systemd.verity_root_options=panic "
                          "root=/dev/mapper/root";
        struct seen want_systemd = {}, want_kernel = {}, want_shell = {};
        uint64_t seed = 0x9e3779b97f4a7c15ull;
        char loader[2048];
        (void) state;

        systemd_view(uki, &want_systemd);
        kernel_view(uki, &want_kernel);
        shell_view(uki, &want_shell);
        assert_int_equal(want_systemd.n, 4);

        for (int iter = 0; iter < 30000; iter++) {
                size_t len = 0, n_pieces;
                struct seen got_systemd = {}, got_kernel = {}, got_shell = {};
                char *out;

                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                n_pieces = seed % 24;
                for (size_t k = 0; k < n_pieces; k++) {
                        const char *p;
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        p = pieces[seed % ARRAY_SIZE(pieces)];
                        memcpy(loader + len, p, strlen(p));
                        len += strlen(p);
                }
                loader[len] = '\0';
                assert_keel(bind(loader, len, uki, &out), KEEL_OK);
                assert_null(strchr(out, '\n'));
                /* Linux's EFI stub searches the whole text for these. */
                if (strstr(out, "initrd=") || strstr(out, "dtb="))
                        fail_msg("a file for the kernel's EFI stub to load survived\n  loader: '%s'\n  result: '%s'",
                                 loader, out);
                systemd_view(out, &got_systemd);
                kernel_view(out, &got_kernel);
                shell_view(out, &got_shell);
                expect_same("systemd", &got_systemd, &want_systemd, loader, out);
                expect_same("kernel", &got_kernel, &want_kernel, loader, out);
                expect_same("shell", &got_shell, &want_shell, loader, out);
                free(out);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_drops_verity_words),
                cmocka_unit_test(test_keeps_lookalikes),
                cmocka_unit_test(test_quoted_verity_words),
                cmocka_unit_test(test_non_ascii_boundaries),
                cmocka_unit_test(test_unbalanced_and_ambiguous_words),
                cmocka_unit_test(test_end_of_options),
                cmocka_unit_test(test_uki_without_verity),
                cmocka_unit_test(test_uki_word_order),
                cmocka_unit_test(test_embedded_nul),
                cmocka_unit_test(test_length_limit),
                cmocka_unit_test(test_drops_file_words),
                cmocka_unit_test(test_uki_without_cmdline),
                cmocka_unit_test(test_binds_mount_words),
                cmocka_unit_test(test_append_inserts_nothing),
                cmocka_unit_test(test_kernel_limits),
                cmocka_unit_test(test_output_bound_checked),
                cmocka_unit_test(test_random_hostile_lines),
        };
        return cmocka_run_group_tests_name("cmdline-verity", tests, NULL, NULL);
}
