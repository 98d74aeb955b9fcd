/* SPDX-License-Identifier: MIT */
/* Boot counters in entry file names (common/bootcount.c) and the entry IDs
 * they give (common/entries.c). The expected IDs and counters are what
 * `bootctl --esp-path=DIR list --json=short` (systemd 252.39) printed for
 * files of exactly these names when the test was written (id, triesLeft,
 * triesDone; "refused" where bootctl logged "Failed to parse tries counter"
 * or "Invalid loader entry name" and left the entry out). Parsing runs on
 * exact-size heap copies so AddressSanitizer sees any read past the name. */
#include "keel-test.h"

#include "common/utf.h"

#include "common/bootcount-move.h"
#include "common/bootcount.h"
#include "common/entries.h"

#define NONE BOOTCOUNT_UNKNOWN

struct vector {
        const char *filename;
        const char *id; /* NULL: bootctl refused the entry */
        int64_t left, done;
};

/* bootctl 252 on \loader\entries\<filename> (each with "linux /vmlinuz"). */
static const struct vector type1[] = {
        { "a+0.conf", "a.conf", 0, NONE },
        { "b+3-.conf", "b+3-.conf", NONE, NONE },
        { "c+-1.conf", "c+-1.conf", NONE, NONE },
        { "d+99999999999.conf", NULL, 0, 0 },
        { "e+007-0012.conf", "e.conf", 7, 12 },
        { "f+3.EFI.conf", "f+3.EFI.conf", NONE, NONE },
        { "g+1+2.conf", "g+1.conf", 2, NONE },
        { "h+2147483647.conf", "h.conf", 2147483647, NONE },
        { "i+2147483648.conf", NULL, 0, 0 },
        { "j+2147483647-2147483647.conf", "j.conf", 2147483647, 2147483647 },
        { "k+1-2147483648.conf", NULL, 0, 0 },
        { "l+2-3x.conf", "l+2-3x.conf", NONE, NONE },
        { "m++2.conf", "m+.conf", 2, NONE },
        { "n+.conf", "n+.conf", NONE, NONE },
        { "o+3-4.conf", "o.conf", 3, 4 },
        { "p+1+2-3.conf", "p+1.conf", 2, 3 },
        { "q+5-.conf", "q+5-.conf", NONE, NONE },
        { "+3.conf", ".conf", 3, NONE },
        { "r+00000000000000000000001.conf", "r.conf", 1, NONE },
        { "s+1-00000000000000000002.conf", "s.conf", 1, 2 },
        { "t+4294967296.conf", NULL, 0, 0 },
        { "u+18446744073709551617.conf", NULL, 0, 0 },
        { "v+-.conf", "v+-.conf", NONE, NONE },
        { "w+1-2-3.conf", "w+1-2-3.conf", NONE, NONE },
        { "x+1.2+3.conf", "x+1.2.conf", 3, NONE },
        { "y+ 3.conf", NULL, 0, 0 },
        { "z+3 .conf", NULL, 0, 0 },
        { "aa+1-2+3-4.conf", "aa+1-2.conf", 3, 4 },
        { "bb+3.conf.conf", "bb+3.conf.conf", NONE, NONE },
        { "cc+0-0.conf", "cc.conf", 0, 0 },
        { "dd+1-0.conf", "dd.conf", 1, 0 },
        { "ee+0002147483647.conf", "ee.conf", 2147483647, NONE },
        { "ff+3-02147483648.conf", NULL, 0, 0 },
        { "gg+-.conf", "gg+-.conf", NONE, NONE },
        { "hh+x3.conf", "hh+x3.conf", NONE, NONE },
        { "ii+3+.conf", "ii+3+.conf", NONE, NONE },
};

/* bootctl 252 on \EFI\Linux\<filename> (keel UKIs): the extension's case
 * does not matter and is kept in the ID. */
static const struct vector type2[] = {
        { "up+3.EFI", "up.EFI", 3, NONE },
        { "mix+1.Efi", "mix.Efi", 1, NONE },
        { "lo+2-1.efi", "lo.efi", 2, 1 },
        { "z+0.efi", "z.efi", 0, NONE },
        { "plain.EFI", "plain.EFI", NONE, NONE },
};

static int parse_exact(const char *name, size_t len, struct bootcount_name *n, uint8_t **ret_copy) {
        uint8_t *copy = exact_copy(name, len);
        *ret_copy = copy;
        return bootcount_parse(slice_from((const char *) copy, len), n);
}

static void check_parse(const struct vector *v) {
        struct bootcount_name n;
        char id[256];
        uint8_t *copy;
        int r = parse_exact(v->filename, strlen(v->filename), &n, &copy);

        if (!v->id) {
                /* Refused by bootctl: out-of-range counters are refused by
                 * the parser, the rest by the entry-name check. */
                if (r == KEEL_OK) {
                        assert_true(bootcount_id(&n, id, sizeof(id)));
                        assert_non_null(strchr(id, ' '));
                } else
                        assert_keel(r, KEEL_E_BOOTCOUNT_OUT_OF_RANGE);
                free(copy);
                return;
        }
        assert_keel(r, KEEL_OK);
        assert_true(bootcount_id(&n, id, sizeof(id)));
        if (strcmp(id, v->id) != 0 || n.tries_left != v->left || n.tries_done != v->done)
                fail_msg("%s: id '%s' left %lld done %lld; bootctl: '%s' %lld %lld", v->filename, id,
                         (long long) n.tries_left, (long long) n.tries_done, v->id, (long long) v->left,
                         (long long) v->done);
        free(copy);
}

static void test_parse_like_bootctl(void **state) {
        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(type1); i++)
                check_parse(&type1[i]);
        for (size_t i = 0; i < ARRAY_SIZE(type2); i++)
                check_parse(&type2[i]);
}

static void ignore_warning(void *userdata, const char *filename, const char *what) {
        (void) filename;
        (void) what;
        (*(unsigned *) userdata)++;
}

/* The same names through the entry list: refused where bootctl refuses,
 * with bootctl's ID and counters where it lists the entry. */
static void test_entries_like_bootctl(void **state) {
        static const char body[] = "title t\nlinux /vmlinuz\n";
        static const char osrel[] = "ID=t\nVERSION_ID=1\n";
        struct boot_entry storage[64];
        char arena[16384];
        struct entry_list l;
        unsigned warnings = 0;
        (void) state;

        entry_list_init(&l, storage, ARRAY_SIZE(storage), arena, sizeof(arena), ignore_warning, &warnings);
        for (size_t i = 0; i < ARRAY_SIZE(type1) + ARRAY_SIZE(type2); i++) {
                bool is_type1 = i < ARRAY_SIZE(type1);
                const struct vector *v = is_type1 ? &type1[i] : &type2[i - ARRAY_SIZE(type1)];
                struct slice name = slice_from_cstr(v->filename);
                size_t before = l.n_entries;
                bool added = is_type1 ? entries_add_type1(&l, ENTRY_SOURCE_ESP, name, body, sizeof(body) - 1)
                                      : entries_add_type2(&l, ENTRY_SOURCE_ESP, name, osrel, sizeof(osrel) - 1, NULL, 0);
                const struct boot_entry *e = &l.entries[before];

                if (!v->id) {
                        if (added || l.n_entries != before)
                                fail_msg("%s: added, but bootctl refuses it", v->filename);
                        continue;
                }
                if (!added || l.n_entries != before + 1)
                        fail_msg("%s: refused, but bootctl lists it as %s", v->filename, v->id);
                assert_string_equal(e->id, v->id);
                assert_string_equal(e->filename, v->filename);
                assert_int_equal(e->tries_left, v->left);
                assert_int_equal(e->tries_done, v->done);
        }
        /* One warning per refused name. */
        assert_int_equal(warnings, 8);
}

/* Names bootctl never sees as entries (no extension, only dots), by the
 * rule bootctl's parser states: the counter is the last '+' before the last
 * '.', followed by the digits, an optional '-' and digits, and that dot. */
static void test_names_without_extension(void **state) {
        static const struct {
                const char *name;
                const char *stem, *extension;
                int64_t left, done;
        } cases[] = {
                { "foo+3", "foo+3", "", NONE, NONE },
                { "+3", "+3", "", NONE, NONE },
                { "", "", "", NONE, NONE },
                { ".", "", ".", NONE, NONE },
                { "...", "..", ".", NONE, NONE },
                { "+3.", "", ".", 3, NONE },
                { "a+1-2.", "a", ".", 1, 2 },
                { ".+3", "", ".+3", NONE, NONE },
                { "+.", "+", ".", NONE, NONE },
                { "x+3..conf", "x+3.", ".conf", NONE, NONE },
        };
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                struct bootcount_name n;
                uint8_t *copy;

                assert_keel(parse_exact(cases[i].name, strlen(cases[i].name), &n, &copy), KEEL_OK);
                if (n.stem.len != strlen(cases[i].stem) || memcmp(n.stem.ptr, cases[i].stem, n.stem.len) != 0 ||
                    n.extension.len != strlen(cases[i].extension) ||
                    memcmp(n.extension.ptr, cases[i].extension, n.extension.len) != 0 || n.tries_left != cases[i].left ||
                    n.tries_done != cases[i].done)
                        fail_msg("'%s': stem '%.*s' extension '%.*s' left %lld done %lld", cases[i].name, (int) n.stem.len,
                                 n.stem.ptr, (int) n.extension.len, n.extension.ptr, (long long) n.tries_left,
                                 (long long) n.tries_done);
                free(copy);
        }
}

static void expect_next(const char *filename, const char *expected) {
        struct bootcount_name n;
        char out[128];
        uint8_t *copy;

        assert_keel(parse_exact(filename, strlen(filename), &n, &copy), KEEL_OK);
        if (!expected) {
                assert_false(bootcount_next_name(&n, out, sizeof(out)));
                free(copy);
                return;
        }
        assert_true(bootcount_next_name(&n, out, sizeof(out)));
        assert_string_equal(out, expected);
        /* It fits in exactly strlen + 1 bytes, not one less. */
        assert_true(bootcount_next_name(&n, out, strlen(expected) + 1));
        assert_false(bootcount_next_name(&n, out, strlen(expected)));
        assert_false(bootcount_next_name(&n, out, 0));
        free(copy);
}

/* The rename before booting (Boot Loader Specification, automatic boot
 * assessment; systemd-boot 252 writes "%s+%u-%u%s"): LEFT-1 but never below
 * 0, DONE+1, a missing DONE counts as 0, DONE stops at INT_MAX. */
static void test_next_name(void **state) {
        (void) state;
        expect_next("a+3.conf", "a+2-1.conf");
        expect_next("a+3-0.conf", "a+2-1.conf");
        expect_next("a+1-5.conf", "a+0-6.conf");
        expect_next("a+0.conf", "a+0-1.conf");
        expect_next("a+0-7.conf", "a+0-8.conf");
        expect_next("e+007-0012.conf", "e+6-13.conf");
        expect_next("up+3.EFI", "up+2-1.EFI");
        expect_next("m++2.conf", "m++1-1.conf");
        expect_next("+3.conf", "+2-1.conf");
        expect_next("h+2147483647.conf", "h+2147483646-1.conf");
        expect_next("j+2147483647-2147483647.conf", "j+2147483646-2147483647.conf");
        expect_next("j+2147483647-2147483646.conf", "j+2147483646-2147483647.conf");
        expect_next("plain.conf", NULL);
        expect_next("b+3-.conf", NULL);
        expect_next("noext+3", NULL);
}

/* ---- a rename target that exists already ------------------------------------- */

struct dir {
        const char *names[BOOTCOUNT_PICK_MAX + 4];
        unsigned asked;
};

static bool dir_has(void *userdata, const char *name) {
        struct dir *d = userdata;

        d->asked++;
        for (size_t i = 0; i < ARRAY_SIZE(d->names) && d->names[i]; i++)
                if (strcmp(d->names[i], name) == 0)
                        return true;
        return false;
}

static void expect_pick(const char *filename, struct dir *d, int expected_r, const char *expected, unsigned expected_tries) {
        struct bootcount_name n;
        char out[128];
        unsigned tries = 99;
        uint8_t *copy;

        assert_keel(parse_exact(filename, strlen(filename), &n, &copy), KEEL_OK);
        assert_keel(bootcount_pick_next_name(&n, dir_has, d, out, sizeof(out), &tries), expected_r);
        if (expected_r == KEEL_OK && expected)
                assert_string_equal(out, expected);
        if (expected_r == KEEL_OK)
                assert_int_equal(tries, expected_tries);
        free(copy);
}

/* The counter must move on every boot. When the name to rename to exists
 * (another file: a leftover, a copy; before, the rename failed and keel
 * booted the entry uncounted, on every boot), the next free name is taken
 * and every name passed over counts as one more failed try: LEFT-k never
 * below 0, DONE+k never above INT_MAX. */
static void test_pick_next_free_name(void **state) {
        struct dir none = { .names = { NULL } };
        struct dir one = { .names = { "a+2-1.conf" } };
        struct dir two = { .names = { "a+2-1.conf", "a+1-2.conf" } };
        struct dir floor0 = { .names = { "b+0-5.conf" } };
        struct dir other_case = { .names = { "A+2-1.conf" } };
        (void) state;

        expect_pick("a+3.conf", &none, KEEL_OK, "a+2-1.conf", 1);
        assert_int_equal(none.asked, 1);
        expect_pick("a+3.conf", &one, KEEL_OK, "a+1-2.conf", 2);
        expect_pick("a+3-0.conf", &two, KEEL_OK, "a+0-3.conf", 3);
        expect_pick("b+1-4.conf", &floor0, KEEL_OK, "b+0-6.conf", 2);
        expect_pick("e+007-0012.conf", &none, KEEL_OK, "e+6-13.conf", 1);
        expect_pick("u+2.efi", &none, KEEL_OK, "u+1-1.efi", 1);
        /* The directory decides what "the same name" is (FAT ignores case:
         * the loader asks the firmware); here it compares exactly. */
        expect_pick("a+3.conf", &other_case, KEEL_OK, "a+2-1.conf", 1);
}

/* BOOTCOUNT_PICK_MAX names taken: no name is left, the try cannot be
 * counted (the loader then counts it as failed and does not start it). One
 * free name at the very end is still found. */
static void test_pick_all_taken(void **state) {
        static char names[BOOTCOUNT_PICK_MAX][32];
        struct dir full = { .asked = 0 }, last_free = { .asked = 0 };
        (void) state;

        for (unsigned k = 1; k <= BOOTCOUNT_PICK_MAX; k++) {
                snprintf(names[k - 1], sizeof(names[0]), "x+%u-%u.conf", 100 - k, k);
                full.names[k - 1] = names[k - 1];
                if (k < BOOTCOUNT_PICK_MAX)
                        last_free.names[k - 1] = names[k - 1];
        }
        expect_pick("x+100.conf", &full, KEEL_E_BOOTCOUNT_NO_FREE_NAME, NULL, 0);
        assert_int_equal(full.asked, BOOTCOUNT_PICK_MAX);
        expect_pick("x+100.conf", &last_free, KEEL_OK, names[BOOTCOUNT_PICK_MAX - 1], BOOTCOUNT_PICK_MAX);
}

/* At the limits: with 0 left and DONE at INT_MAX the counter cannot move
 * (nothing to rename, 0 tries, the directory is not even asked); one step
 * below, the only next name is asked about once, not 16 times. */
static void test_pick_limits(void **state) {
        struct dir none = { .names = { NULL } };
        struct dir top = { .names = { "k+0-2147483647.conf" } };
        struct bootcount_name n;
        char small[8];
        unsigned tries;
        uint8_t *copy;
        (void) state;

        expect_pick("j+0-2147483647.conf", &none, KEEL_OK, NULL, 0);
        assert_int_equal(none.asked, 0);
        expect_pick("k+0-2147483646.conf", &none, KEEL_OK, "k+0-2147483647.conf", 1);
        none.asked = 0;
        expect_pick("k+0-2147483646.conf", &top, KEEL_E_BOOTCOUNT_NO_FREE_NAME, NULL, 0);
        assert_int_equal(top.asked, 1);
        expect_pick("h+2147483647-2147483647.conf", &none, KEEL_OK, "h+2147483646-2147483647.conf", 1);

        assert_keel(parse_exact("plain.conf", 10, &n, &copy), KEEL_OK);
        assert_keel(bootcount_pick_next_name(&n, dir_has, &none, small, sizeof(small), &tries), KEEL_E_INVALID_ARGUMENT);
        free(copy);
        assert_keel(parse_exact("long+3.conf", 11, &n, &copy), KEEL_OK);
        assert_keel(bootcount_pick_next_name(&n, dir_has, &none, small, sizeof(small), &tries), KEEL_E_VALUE_TOO_LONG);
        free(copy);
}

/* After `bless good` (counter gone) and `bad` (LEFT 0, DONE kept). */
static void test_format(void **state) {
        char out[64];
        (void) state;

        assert_true(bootcount_format(slice_from_cstr("x"), NONE, NONE, slice_from_cstr(".conf"), out, sizeof(out)));
        assert_string_equal(out, "x.conf");
        assert_true(bootcount_format(slice_from_cstr("x"), 0, 4, slice_from_cstr(".efi"), out, sizeof(out)));
        assert_string_equal(out, "x+0-4.efi");
        assert_true(bootcount_format(slice_from_cstr("x"), 2147483647, NONE, SLICE_EMPTY, out, sizeof(out)));
        assert_string_equal(out, "x+2147483647");
        assert_false(bootcount_format(slice_from_cstr("x"), 1, 2, slice_from_cstr(".conf"), out, 0));
        assert_false(bootcount_format(slice_from_cstr("x"), 1, 2, slice_from_cstr(".conf"), out, 10));
        assert_true(bootcount_format(slice_from_cstr("x"), 1, 2, slice_from_cstr(".conf"), out, 11));
        assert_string_equal(out, "x+1-2.conf");
}

/* 100 KB names: a counter of 100 000 digits is out of range without any
 * overflow (UBSan would abort), 100 000 leading zeros are still zeros, and
 * a name of 100 000 '+' has no counter. */
static void test_hostile_names(void **state) {
        size_t n = 100000;
        char *name = malloc(n + 16);
        struct bootcount_name b;
        uint8_t *copy;
        (void) state;

        assert_non_null(name);
        memcpy(name, "a+", 2);
        memset(name + 2, '9', n);
        memcpy(name + 2 + n, ".conf", 5);
        assert_keel(parse_exact(name, n + 7, &b, &copy), KEEL_E_BOOTCOUNT_OUT_OF_RANGE);
        free(copy);

        memset(name + 2, '0', n);
        name[n + 1] = '3';
        assert_keel(parse_exact(name, n + 7, &b, &copy), KEEL_OK);
        assert_int_equal(b.tries_left, 3);
        assert_int_equal(b.stem.len, 1);
        free(copy);

        memset(name, '+', n);
        memcpy(name + n, ".conf", 5);
        assert_keel(parse_exact(name, n + 5, &b, &copy), KEEL_OK);
        assert_int_equal(b.tries_left, NONE);
        assert_int_equal(b.stem.len, n);
        free(copy);

        /* A NUL in the middle is just a byte of the stem. */
        assert_keel(parse_exact("a\0b+4-1.conf", 12, &b, &copy), KEEL_OK);
        assert_int_equal(b.tries_left, 4);
        assert_int_equal(b.tries_done, 1);
        assert_int_equal(b.stem.len, 3);
        free(copy);
        free(name);
}

/* The path with the counter dropped from its file name, as UTF-8 (the
 * test strings are ASCII but for the marked cases). */
static void expect_stripped(const char *path, const char *expected) {
        uint16_t buf[512];
        char out[512];
        size_t n = utf8_to_utf16(path, strlen(path), buf), m;

        m = bootcount_strip_path16(buf, n);
        out[utf16_to_utf8(buf, m, out)] = '\0';
        if (strcmp(out, expected) != 0)
                fail_msg("'%s': got '%s', expected '%s'", path, out, expected);
}

/* The files beside a UKI are found by its ID's name through all its tries,
 * as systemd-stub 257+ finds "<name>.efi.extra.d". */
static void test_strip_path(void **state) {
        (void) state;
        expect_stripped("\\EFI\\Linux\\os+3.efi", "\\EFI\\Linux\\os.efi");
        expect_stripped("\\EFI\\Linux\\os+2-1.efi", "\\EFI\\Linux\\os.efi");
        expect_stripped("\\EFI\\Linux\\os+0-3.efi", "\\EFI\\Linux\\os.efi");
        expect_stripped("\\EFI\\Linux\\os.efi", "\\EFI\\Linux\\os.efi");
        /* BLS: the last '+' before the last '.'; the ID keeps earlier ones. */
        expect_stripped("\\EFI\\Linux\\my+os+3.efi", "\\EFI\\Linux\\my+os.efi");
        expect_stripped("\\a+1\\os.efi", "\\a+1\\os.efi");
        expect_stripped("\\a+1\\os+1.efi", "\\a+1\\os.efi");
        /* Not counters: letters, a sign, nothing after '+', no extension, INT_MAX + 1. */
        expect_stripped("os+x.efi", "os+x.efi");
        expect_stripped("os+3-.efi", "os+3-.efi");
        expect_stripped("os+.efi", "os+.efi");
        expect_stripped("os+3", "os+3");
        expect_stripped("os+2147483648.efi", "os+2147483648.efi");
        expect_stripped("os+2147483647-2147483647.efi", "os.efi");
        /* Non-ASCII letters stay what they are. */
        expect_stripped("\\EFI\\Linux\\\xc3\xa9t\xc3\xa9+3.efi", "\\EFI\\Linux\\\xc3\xa9t\xc3\xa9.efi");
        expect_stripped("", "");
        expect_stripped("\\", "\\");
}

/* A move record (the loader's count by copy where the firmware cannot
 * rename, common/bootcount-move.h), parsed from an exact-size heap copy. */
static int parse_record(const char *text, struct bootcount_move *ret) {
        size_t len = strlen(text);
        char *copy = malloc(len ? len : 1);
        int r;

        assert_non_null(copy);
        memcpy(copy, text, len);
        r = bootcount_move_parse(copy, len, ret);
        free(copy);
        return r;
}

static void test_move_record_round_trip(void **state) {
        char record[BOOTCOUNT_MOVE_RECORD_MAX];
        size_t len;
        struct bootcount_move m;
        (void) state;

        assert_keel(bootcount_move_format("keeltest-2+3.efi", "keeltest-2+2-1.efi", record, sizeof(record), &len),
                    KEEL_OK);
        assert_int_equal(len, strlen("keel-bootcount-move 1\nkeeltest-2+3.efi\nkeeltest-2+2-1.efi\n"));
        assert_memory_equal(record, "keel-bootcount-move 1\nkeeltest-2+3.efi\nkeeltest-2+2-1.efi\n", len);
        assert_keel(bootcount_move_parse(record, len, &m), KEEL_OK);
        assert_true(slice_eq(m.from, "keeltest-2+3.efi"));
        assert_true(slice_eq(m.to, "keeltest-2+2-1.efi"));
        /* One byte short of the buffer it needs. */
        assert_keel(bootcount_move_format("keeltest-2+3.efi", "keeltest-2+2-1.efi", record, len - 1, &len),
                    KEEL_E_VALUE_TOO_LONG);
        assert_keel(bootcount_move_format("a+1-2.conf", "a+0-3.conf", record, sizeof(record), &len), KEEL_OK);
        /* The writer refuses what the reader would. */
        assert_keel(bootcount_move_format("a.conf", "a+0-3.conf", record, sizeof(record), &len),
                    KEEL_E_BOOTCOUNT_MOVE_NOT_ONE_ENTRY);
        assert_keel(bootcount_move_format("x/a+1.conf", "x/a+0-1.conf", record, sizeof(record), &len),
                    KEEL_E_BOOTCOUNT_MOVE_BAD_NAME);
}

/* Every record the ESP may hold instead of keel's: the loader must never
 * delete anything else than a counted copy of the same entry in the same
 * directory. */
static void test_move_record_hostile(void **state) {
        static const struct {
                const char *text;
                int error;
        } cases[] = {
                { "", KEEL_E_BOOTCOUNT_MOVE_MALFORMED },
                { "keel-bootcount-move 1\n", KEEL_E_BOOTCOUNT_MOVE_MALFORMED },
                { "keel-bootcount-move 1\na+3.efi\n", KEEL_E_BOOTCOUNT_MOVE_MALFORMED },
                { "keel-bootcount-move 1\na+3.efi\na+2-1.efi", KEEL_E_BOOTCOUNT_MOVE_MALFORMED },
                { "keel-bootcount-move 1\na+3.efi\na+2-1.efi\n\n", KEEL_E_BOOTCOUNT_MOVE_MALFORMED },
                { "keel-bootcount-move 2\na+3.efi\na+2-1.efi\n", KEEL_E_BOOTCOUNT_MOVE_MALFORMED },
                { "keel-bootcount-move 1 \na+3.efi\na+2-1.efi\n", KEEL_E_BOOTCOUNT_MOVE_MALFORMED },
                { "keel-bootcount-move 1\r\na+3.efi\na+2-1.efi\n", KEEL_E_BOOTCOUNT_MOVE_MALFORMED },
                { "keel-bootcount-move 1\n\na+2-1.efi\n", KEEL_E_BOOTCOUNT_MOVE_BAD_NAME },
                { "keel-bootcount-move 1\na+3.efi\n\n", KEEL_E_BOOTCOUNT_MOVE_BAD_NAME },
                { "keel-bootcount-move 1\n..\\x+3.efi\n..\\x+2-1.efi\n", KEEL_E_BOOTCOUNT_MOVE_BAD_NAME },
                { "keel-bootcount-move 1\na+3.efi\n../a+2-1.efi\n", KEEL_E_BOOTCOUNT_MOVE_BAD_NAME },
                { "keel-bootcount-move 1\na+3.efi\r\na+2-1.efi\n", KEEL_E_BOOTCOUNT_MOVE_BAD_NAME },
                { "keel-bootcount-move 1\na+3.efi\na+2-1.efi\x7f\n", KEEL_E_BOOTCOUNT_MOVE_BAD_NAME },
                { "keel-bootcount-move 1\n.\n..\n", KEEL_E_BOOTCOUNT_MOVE_BAD_NAME },
                /* Not two counted names of one entry. */
                { "keel-bootcount-move 1\na.efi\na+2-1.efi\n", KEEL_E_BOOTCOUNT_MOVE_NOT_ONE_ENTRY },
                { "keel-bootcount-move 1\na+3.efi\nb+2-1.efi\n", KEEL_E_BOOTCOUNT_MOVE_NOT_ONE_ENTRY },
                { "keel-bootcount-move 1\na+3.efi\na+2-1.conf\n", KEEL_E_BOOTCOUNT_MOVE_NOT_ONE_ENTRY },
                { "keel-bootcount-move 1\na+3.efi\na+3.efi\n", KEEL_E_BOOTCOUNT_MOVE_NOT_ONE_ENTRY },
                { "keel-bootcount-move 1\na+3.efi\nloader.conf\n", KEEL_E_BOOTCOUNT_MOVE_NOT_ONE_ENTRY },
                { "keel-bootcount-move 1\na+3.efi\na+99999999999.efi\n", KEEL_E_BOOTCOUNT_MOVE_NOT_ONE_ENTRY },
        };
        struct bootcount_move m;
        char big[BOOTCOUNT_MOVE_RECORD_MAX + 64];
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                int r = parse_record(cases[i].text, &m);
                if (r != cases[i].error)
                        fail_msg("record %zu: %s, expected %s", i, keel_strerror(r), keel_strerror(cases[i].error));
        }
        /* A name longer than FAT allows, and a record longer than keel writes. */
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        memcpy(big, "keel-bootcount-move 1\n", 22);
        memcpy(big + 22 + 256, "+3.efi\na+2-1.efi\n", 18);
        big[22 + 256 + 18] = '\0';
        assert_keel(parse_record(big, &m), KEEL_E_BOOTCOUNT_MOVE_BAD_NAME);
        memset(big + 22, 'a', sizeof(big) - 23);
        big[sizeof(big) - 2] = '\n';
        assert_keel(parse_record(big, &m), KEEL_E_BOOTCOUNT_MOVE_MALFORMED);
        assert_keel(bootcount_move_parse(NULL, 0, &m), KEEL_E_INVALID_ARGUMENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_like_bootctl),
                cmocka_unit_test(test_entries_like_bootctl),
                cmocka_unit_test(test_names_without_extension),
                cmocka_unit_test(test_next_name),
                cmocka_unit_test(test_pick_next_free_name),
                cmocka_unit_test(test_pick_all_taken),
                cmocka_unit_test(test_pick_limits),
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_hostile_names),
                cmocka_unit_test(test_strip_path),
                cmocka_unit_test(test_move_record_round_trip),
                cmocka_unit_test(test_move_record_hostile),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
