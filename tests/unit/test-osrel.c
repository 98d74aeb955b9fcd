/* SPDX-License-Identifier: MIT */
/* The os-release parser (common/osrel.c) and what a UKI's .osrel turns
 * into in the boot menu (entries_add_type2). The expected titles, versions
 * and sort keys are what `bootctl list --json=short` (systemd 252.39)
 * printed for keel UKIs carrying exactly these .osrel bytes when the test
 * was written. The few places where bootctl and systemd-boot 252 (the EFI
 * loader) disagree are marked; keel follows systemd-boot there. */
#include "keel-test.h"

#include "common/entries.h"
#include "common/osrel.h"

struct vector {
        const char *name;
        const char *osrel;
        const char *title, *version, *sort_key; /* bootctl's; NULL when absent */
};

/* From bootctl 252 (see the file comment). */
static const struct vector vectors[] = {
        { "plain", "ID=plain\nPRETTY_NAME=Plain OS\nVERSION_ID=1\n",
          "Plain OS", "1", "plain" },
        { "dq", "ID=dq\nPRETTY_NAME=\"Double Quoted\"\nVERSION_ID=\"2\"\n",
          "Double Quoted", "2", "dq" },
        { "sq", "ID=sq\nPRETTY_NAME='single \\\\ q $x'\nVERSION_ID=1\n",
          "single \\\\ q $x", "1", "sq" },
        { "esc", "ID=esc\nPRETTY_NAME=\"a\\\"b\\\\c\\$d\\`e\\xf\"\nVERSION_ID=1\n",
          "a\"b\\c$d`e\\xf", "1", "esc" },
        { "uesc", "ID=uesc\nPRETTY_NAME=a\\ b\\\"c  \nVERSION_ID=1\n",
          "a b\"c", "1", "uesc" },
        { "cont", "ID=cont\nPRETTY_NAME=abc\\\ndef\nVERSION_ID=1\n",
          "abcdef", "1", "cont" },
        { "dqcont", "ID=dqcont\nPRETTY_NAME=\"abc\\\ndef\"\nVERSION_ID=1\n",
          "abcdef", "1", "dqcont" },
        { "dqnl", "ID=dqnl\nPRETTY_NAME=\"two\nlines\"\nVERSION_ID=1\n",
          "two\nlines", "1", "dqnl" },
        { "comment", "ID=comm\n# PRETTY_NAME=commented\nVERSION_ID=1\n",
          "comm", "1", "comm" },
        { "semi", "ID=semi\n; PRETTY_NAME=hidden\nVERSION_ID=1\n",
          "semi", "1", "semi" },
        { "last", "ID=last\nPRETTY_NAME=one\nPRETTY_NAME=two\nVERSION_ID=1\n",
          "two", "1", "last" },
        { "lastempty", "ID=lastempty\nIMAGE_ID=img\nPRETTY_NAME=one\nPRETTY_NAME=\nVERSION_ID=1\n",
          "img", "1", "img" },
        { "emptyq", "ID=emptyq\nPRETTY_NAME=\"\"\nNAME=Named\nVERSION_ID=1\n",
          "Named", "1", "emptyq" },
        { "cr", "ID=crid\rPRETTY_NAME=CR title\rVERSION_ID=7\r",
          "CR title", "7", "crid" },
        { "crlf", "ID=crlf\r\nPRETTY_NAME=CRLF title \r\nVERSION_ID=8\r\n",
          "CRLF title", "8", "crlf" },
        { "midq", "ID=midq\nPRETTY_NAME=Foo\"Bar baz\" x\nVERSION_ID=1\n",
          "Foo\"Bar baz\" x", "1", "midq" },
        { "afterq", "ID=afterq\nPRETTY_NAME=\"Foo\" bar\nVERSION_ID=1\n",
          "Foobar", "1", "afterq" },
        { "concat", "ID=concat\nPRETTY_NAME=\"a\"'b'\"c\"\nVERSION_ID=1\n",
          "abc", "1", "concat" },
        { "spaces", "  ID = spaces  \n\tPRETTY_NAME =   Spaced  Out   \nVERSION_ID=1\n",
          "Spaced  Out", "1", "spaces" },
        { "oddkey", "ID=oddkey\nX-Y=\"\nPRETTY_NAME=inside a quoted value\n\"\nVERSION_ID=1\n",
          "oddkey", "1", "oddkey" },
        { "nokeyeq", "ID=nokeyeq\nPRETTY_NAME\nPRETTY_NAME x=no\nVERSION_ID=1\n",
          "nokeyeq", "1", "nokeyeq" },
        { "unterm", "ID=unterm\nVERSION_ID=1\nPRETTY_NAME=\"never closed\nNAME=x\n",
          "never closed\nNAME=x\n", "1", "unterm" },
        { "trailbs", "ID=trailbs\nVERSION_ID=1\nPRETTY_NAME=ends with \\",
          "ends with ", "1", "trailbs" },
        { "dqtrailbs", "ID=dqtrailbs\nVERSION_ID=1\nPRETTY_NAME=\"ends with \\",
          "ends with ", "1", "dqtrailbs" },
        { "bsspace", "ID=bsspace\nVERSION_ID=1\nPRETTY_NAME=x \\\n",
          "x ", "1", "bsspace" },
        { "vtab", "ID=vtab\nVERSION_ID=1\nPRETTY_NAME=v\x0b""\n",
          "v\x0b""", "1", "vtab" },
        { "nonl", "ID=nonl\nVERSION_ID=1\nPRETTY_NAME=No newline at end",
          "No newline at end", "1", "nonl" },
        { "eqeq", "ID=eqeq\nVERSION_ID=1\nPRETTY_NAME==a=b\n",
          "=a=b", "1", "eqeq" },
        { "imgver", "ID=imgver\nIMAGE_VERSION=9.9\nVERSION=24.05 (Uakari)\nVERSION_ID=1\nBUILD_ID=b\n",
          "imgver", "9.9", "imgver" },
        { "buildid", "ID=buildid\nBUILD_ID=2024-01\n",
          "buildid", "2024-01", "buildid" },
        { "imageid", "IMAGE_ID=imageonly\nID=x\n",
          "imageonly", NULL, "imageonly" },
        { "dollar", "ID=dollar\nVERSION_ID=1\nPRETTY_NAME=\"$HOME `x`\"\n",
          "$HOME `x`", "1", "dollar" },
        { "dqcr", "ID=dqcr\nVERSION_ID=1\nPRETTY_NAME=\"a\\\rb\"\n",
          "a\\\rb", "1", "dqcr" },
};

static unsigned warnings;

static void count_warning(void *userdata, const char *filename, const char *what) {
        (void) userdata;
        (void) filename;
        (void) what;
        warnings++;
}

struct one_entry {
        struct boot_entry storage[2];
        char arena[8192];
        struct entry_list l;
};

/* entries_add_type2 on an exact-size copy of the .osrel bytes. */
static bool add_uki(struct one_entry *o, const char *filename, const void *osrel, size_t len) {
        uint8_t *copy = osrel ? exact_copy(osrel, len) : NULL;
        bool r;

        entry_list_init(&o->l, o->storage, ARRAY_SIZE(o->storage), o->arena, sizeof(o->arena), count_warning, NULL);
        r = entries_add_type2(&o->l, ENTRY_SOURCE_ESP, slice_from_cstr(filename), copy, len, NULL, 0);
        free(copy);
        return r;
}

static void expect_field(const char *what, const char *name, const char *actual, const char *expected) {
        if ((actual == NULL) != (expected == NULL) || (actual && strcmp(actual, expected) != 0))
                fail_msg("%s: %s is '%s', bootctl says '%s'", name, what, actual ? actual : "(none)",
                         expected ? expected : "(none)");
}

static void test_like_bootctl(void **state) {
        struct one_entry o;
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
                const struct vector *v = &vectors[i];
                char filename[64];

                snprintf(filename, sizeof(filename), "%s.efi", v->name);
                if (!add_uki(&o, filename, v->osrel, strlen(v->osrel)))
                        fail_msg("%s: refused, bootctl lists it", v->name);
                expect_field("title", v->name, o.l.entries[0].title, v->title);
                expect_field("version", v->name, o.l.entries[0].version, v->version);
                expect_field("sort-key", v->name, o.l.entries[0].sort_key, v->sort_key);
        }
}

static void check_value(const char *osrel, size_t len, const char *key, size_t out_size, int expected_r,
                         bool expected_found, const char *expected) {
        uint8_t *copy = exact_copy(osrel, len);
        char *out = malloc(out_size ? out_size : 1);
        bool found = !expected_found;

        assert_non_null(out);
        assert_keel(osrel_get(copy, len, key, out, out_size, &found), expected_r);
        if (expected_r == KEEL_OK)
                assert_int_equal(found, expected_found);
        if (expected)
                assert_string_equal(out, expected);
        free(out);
        free(copy);
}

#define VALUE(text, key, expected) check_value(text, sizeof(text) - 1, key, 64, KEEL_OK, true, expected)
#define ABSENT(text, key) check_value(text, sizeof(text) - 1, key, 64, KEEL_OK, false, "")

/* Behaviour the vectors above rest on, one rule at a time. */
static void test_rules(void **state) {
        (void) state;
        /* Keys match whole: no prefixes, no case folding. */
        VALUE("IDX=1\nID=2\n", "ID", "2");
        ABSENT("ID=1\n", "I");
        ABSENT("id=1\n", "ID");
        /* The last assignment wins, an empty one too. */
        VALUE("ID=a\nID=b\nID=c", "ID", "c");
        VALUE("ID=a\nID=\n", "ID", "");
        /* No trailing newline; CR, CRLF and LF line ends. */
        VALUE("A=1\nID=x", "ID", "x");
        VALUE("A=1\rID=x\rB=2", "ID", "x");
        VALUE("A=1\r\nID=x\r\nB=2\r\n", "ID", "x");
        /* Comments only at the start of a line. */
        ABSENT("# ID=x\n", "ID");
        ABSENT("   ;ID=x\n", "ID");
        VALUE("ID=x # not a comment\n", "ID", "x # not a comment");
        /* Empty input and whitespace only. */
        ABSENT("", "ID");
        ABSENT(" \n\r\t\n", "ID");
        /* A line without '=' assigns nothing, whatever its key. */
        ABSENT("ID\nID x\n", "ID");
}

/* Where the two systemd 252 parsers disagree, keel follows systemd-boot,
 * which is what actually boots the entry. */
static void test_peer_disagreements(void **state) {
        struct one_entry o;
        static const char nul[] = "ID=nulid\nPRETTY_NAME=first\0PRETTY_NAME=second\nVERSION_ID=8\n";
        static const char comment[] = "ID=cmtbs\nVERSION_ID=1\n# comment \\\nPRETTY_NAME=after comment\n";
        static const char utf8[] = "ID=badutf\nPRETTY_NAME=x\xffy\nVERSION_ID=1\n";
        (void) state;

        /* A NUL byte: bootctl ignores the whole UKI ("Section contains
         * embedded NUL byte"); systemd-boot reads up to it. */
        assert_true(add_uki(&o, "nul.efi", nul, sizeof(nul) - 1));
        assert_string_equal(o.l.entries[0].title, "first");
        assert_null(o.l.entries[0].version);
        assert_string_equal(o.l.entries[0].sort_key, "nulid");

        /* A comment ending in a backslash: bootctl continues the comment on
         * the next line (its title would be "cmtbs"); systemd-boot does not. */
        assert_true(add_uki(&o, "cmtbs.efi", comment, sizeof(comment) - 1));
        assert_string_equal(o.l.entries[0].title, "after comment");

        /* Invalid UTF-8: bootctl refuses the UKI ("Invalid argument");
         * systemd-boot shows the bytes. */
        assert_true(add_uki(&o, "badutf.efi", utf8, sizeof(utf8) - 1));
        assert_string_equal(o.l.entries[0].title, "x\xffy");
}

/* Values longer than the buffer: an error, never a truncated value. The
 * entry list then refuses the UKI rather than show a cut title (fields are
 * limited to 512 bytes). */
static void test_too_long(void **state) {
        size_t n = 100000;
        char *text = malloc(n + 64);
        struct one_entry o;
        size_t len;
        (void) state;

        assert_non_null(text);
        /* A 100 KB line: too long for the key asked for ... */
        len = (size_t) sprintf(text, "ID=long\nPRETTY_NAME=");
        memset(text + len, 'x', n);
        len += n;
        len += (size_t) sprintf(text + len, "\nVERSION_ID=3\n");
        check_value(text, len, "PRETTY_NAME", 513, KEEL_E_VALUE_TOO_LONG, true, "");
        /* ... harmless for the others. */
        check_value(text, len, "VERSION_ID", 513, KEEL_OK, true, "3");
        check_value(text, len, "ID", 513, KEEL_OK, true, "long");
        warnings = 0;
        assert_false(add_uki(&o, "long.efi", text, len));
        assert_int_equal(o.l.n_entries, 0);
        assert_int_equal(o.l.arena_used, 0);
        assert_int_equal(warnings, 1);

        /* 512 bytes fit, 513 do not. */
        len = (size_t) sprintf(text, "PRETTY_NAME=\"");
        memset(text + len, 'y', 512);
        len += 512;
        text[len++] = '"';
        assert_true(add_uki(&o, "fits.efi", text, len));
        assert_int_equal(strlen(o.l.entries[0].title), 512);
        len = (size_t) sprintf(text, "PRETTY_NAME=\"");
        memset(text + len, 'y', 513);
        len += 513;
        text[len++] = '"';
        assert_false(add_uki(&o, "toolong.efi", text, len));
        /* The same for the version. */
        len = (size_t) sprintf(text, "ID=v\nVERSION_ID=");
        memset(text + len, '1', 513);
        len += 513;
        assert_false(add_uki(&o, "longversion.efi", text, len));

        /* A value that was too long and then reassigned short is fine, and
         * the other way round it is too long. */
        VALUE("ID=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nID=ok\n", "ID", "ok");
        check_value("ID=ok\nID=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 86, "ID", 64,
                     KEEL_E_VALUE_TOO_LONG, true, "");
        /* Exactly out_size - 1 bytes fit; trailing blanks that are not part
         * of the value do not count. */
        check_value("ID=abc        \n", 15, "ID", 4, KEEL_OK, true, "abc");
        check_value("ID=\"abc \"", 9, "ID", 4, KEEL_E_VALUE_TOO_LONG, true, "");
        check_value("ID=abc", 6, "ID", 4, KEEL_OK, true, "abc");
        check_value("ID=abcd", 7, "ID", 4, KEEL_E_VALUE_TOO_LONG, true, "");
        check_value("ID=", 3, "ID", 1, KEEL_OK, true, "");
        check_value("ID=a", 4, "ID", 0, KEEL_E_INVALID_ARGUMENT, true, NULL);
        free(text);
}

/* A UKI without a usable os-release is not an entry. */
static void test_no_os(void **state) {
        struct one_entry o;
        static const char empty[] = "";
        static const char only_version[] = "VERSION_ID=1\nBUILD_ID=2\n";
        static const char empty_names[] = "PRETTY_NAME=\nIMAGE_ID=\"\"\nNAME=''\nID=\n";
        (void) state;

        warnings = 0;
        assert_false(add_uki(&o, "none.efi", NULL, 0));
        assert_false(add_uki(&o, "empty.efi", empty, 0));
        assert_false(add_uki(&o, "version.efi", only_version, sizeof(only_version) - 1));
        assert_false(add_uki(&o, "emptynames.efi", empty_names, sizeof(empty_names) - 1));
        assert_int_equal(warnings, 4);
        assert_int_equal(o.l.n_entries, 0);
}

/* Random bytes: no crash, no read past the buffer, and the value written
 * is NUL-terminated inside out. */
static void test_random_bytes(void **state) {
        static const char alphabet[] = "ID=\"'\\\n\r# \tPRETTY_NAME;x\0\xff";
        uint32_t seed = 12345;
        (void) state;

        for (int round = 0; round < 2000; round++) {
                size_t len = (size_t) round % 300;
                char *buf = malloc(len ? len : 1);
                char out[32];
                bool found;

                for (size_t i = 0; i < len; i++) {
                        seed = seed * 1103515245 + 12345;
                        buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
                }
                memset(out, 'Z', sizeof(out));
                if (osrel_get(buf, len, "ID", out, sizeof(out), &found) == KEEL_OK)
                        assert_true(strlen(out) < sizeof(out));
                else
                        assert_string_equal(out, "");
                free(buf);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_like_bootctl),
                cmocka_unit_test(test_rules),
                cmocka_unit_test(test_peer_disagreements),
                cmocka_unit_test(test_too_long),
                cmocka_unit_test(test_no_os),
                cmocka_unit_test(test_random_bytes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
