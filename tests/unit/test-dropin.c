/* SPDX-License-Identifier: MIT */
/* Drop-in names (common/dropin.c) against systemd-stub's rules, the bounded
 * sorted list against qsort(strcmp) (ASCII names: code-unit order is byte
 * order), and the sidecar table (common/sidecar.c) against the strings in
 * systemd-stub 252's own EFI binary. */
#include "keel-test.h"
#include "common/dropin.h"
#include "common/sidecar.h"

#include <stdio.h>

#define STUB_252 "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

/* ASCII/Latin-1 literal to UTF-16 in a static buffer of n units. */
static const uint16_t *u16(const char *s) {
        static uint16_t buf[8][600];
        static int k;
        uint16_t *b = buf[k++ % 8];
        size_t i = 0;

        for (; s[i] && i < 599; i++)
                b[i] = (uint8_t) s[i];
        b[i] = 0;
        return b;
}

static enum dropin_verdict check(const char *name, const char *suffix, const char *exclude) {
        const uint16_t *n = u16(name), *s = u16(suffix), *e = exclude ? u16(exclude) : NULL;
        return dropin_check_name(n, 600, s, e);
}

static void test_names(void **state) {
        char long_name[300];
        uint16_t unterminated[8] = { 'a', '.', 'c', 'r', 'e', 'd', 'x', 'y' };
        (void) state;

        assert_int_equal(check("a.cred", ".cred", NULL), DROPIN_TAKE);
        assert_int_equal(check("A.CRED", ".cred", NULL), DROPIN_TAKE);       /* endswith_no_case */
        assert_int_equal(check("a..b.cred", ".cred", NULL), DROPIN_TAKE);    /* dots inside are a name */
        assert_int_equal(check(".cred", ".cred", NULL), DROPIN_OTHER);       /* hidden */
        assert_int_equal(check(".a.cred", ".cred", NULL), DROPIN_OTHER);
        assert_int_equal(check("..", ".cred", NULL), DROPIN_OTHER);
        assert_int_equal(check("a.cred.txt", ".cred", NULL), DROPIN_OTHER);
        assert_int_equal(check("cred", ".cred", NULL), DROPIN_OTHER);
        assert_int_equal(check("x.raw", ".raw", ".confext.raw"), DROPIN_TAKE);
        assert_int_equal(check("x.confext.raw", ".raw", ".confext.raw"), DROPIN_OTHER);
        assert_int_equal(check("x.CONFEXT.RAW", ".raw", ".confext.raw"), DROPIN_OTHER);
        assert_int_equal(check("x.confext.raw", ".confext.raw", NULL), DROPIN_TAKE);
        assert_int_equal(check("\xe9t\xe9.cred", ".cred", NULL), DROPIN_NOT_ASCII);
        assert_int_equal(check("\xe9t\xe9.txt", ".cred", NULL), DROPIN_OTHER);  /* not ours: no word */
        assert_int_equal(check("a/b.cred", ".cred", NULL), DROPIN_SEPARATOR);
        assert_int_equal(check("a\\b.cred", ".cred", NULL), DROPIN_SEPARATOR);
        assert_int_equal(check("a\x01.cred", ".cred", NULL), DROPIN_CONTROL);
        assert_int_equal(check("a\x7f.cred", ".cred", NULL), DROPIN_CONTROL);
        /* 255 characters are Linux's NAME_MAX: taken; 256 are not. */
        memset(long_name, 'a', sizeof(long_name));
        strcpy(long_name + 250, ".cred");
        assert_int_equal(strlen(long_name), 255);
        assert_int_equal(check(long_name, ".cred", NULL), DROPIN_TAKE);
        memset(long_name, 'a', sizeof(long_name));
        strcpy(long_name + 251, ".cred");
        assert_int_equal(check(long_name, ".cred", NULL), DROPIN_TOO_LONG);
        /* A name not terminated within its buffer, NULL, empty. */
        assert_int_equal(dropin_check_name(unterminated, 8, u16(".cred"), NULL), DROPIN_OTHER);
        assert_int_equal(dropin_check_name(unterminated, 6, u16(".cred"), NULL), DROPIN_OTHER);
        assert_int_equal(dropin_check_name(NULL, 10, u16(".cred"), NULL), DROPIN_OTHER);
        assert_int_equal(dropin_check_name(u16(""), 10, u16(".cred"), NULL), DROPIN_OTHER);
        assert_int_equal(dropin_check_name(u16("a.cred"), 0, u16(".cred"), NULL), DROPIN_OTHER);
        assert_string_equal(dropin_verdict_text(DROPIN_TAKE), "");
        assert_true(strlen(dropin_verdict_text(DROPIN_NOT_ASCII)) > 0);
}

static void test_compare(void **state) {
        (void) state;
        assert_true(dropin_name_compare(u16("B"), u16("a")) < 0);  /* code units, not case-folded */
        assert_true(dropin_name_compare(u16("a"), u16("ab")) < 0);
        assert_true(dropin_name_compare(u16("ab"), u16("a")) > 0);
        assert_int_equal(dropin_name_compare(u16("x.cred"), u16("x.cred")), 0);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* N names in a shuffled order into a list of at most M: the first M of
 * qsort(strcmp), and exactly N - M drops. */
static void run_sorted(size_t n_names, size_t max, unsigned seed) {
        char **ascii = calloc(n_names, sizeof(*ascii));
        uint16_t **wide = calloc(n_names, sizeof(*wide));
        const uint16_t **kept = calloc(max + 1, sizeof(*kept));
        size_t n = 0, drops = 0;

        assert_true(ascii && wide && kept);
        srand(seed);
        for (size_t i = 0; i < n_names; i++) {
                char tmp[32];
                size_t len;
                snprintf(tmp, sizeof(tmp), "%c%u.cred", "aBc_Z0"[rand() % 6], (unsigned) (rand() % 1000));
                len = strlen(tmp);
                ascii[i] = strdup(tmp);
                wide[i] = calloc(len + 1, sizeof(uint16_t));
                for (size_t j = 0; j < len; j++)
                        wide[i][j] = (uint8_t) tmp[j];
        }
        for (size_t i = 0; i < n_names; i++) {
                const uint16_t *dropped;
                bool taken = dropin_keep_sorted(kept, &n, max, wide[i], &dropped);
                if (!taken || dropped)
                        drops++;
                assert_true(taken || dropped == wide[i]);
                assert_true(n <= max);
        }
        assert_int_equal(n, n_names < max ? n_names : max);
        assert_int_equal(drops, n_names - n);
        qsort(ascii, n_names, sizeof(*ascii), cmp_str);
        for (size_t i = 0; i < n; i++) {
                char got[32];
                size_t j = 0;
                for (; kept[i][j]; j++)
                        got[j] = (char) kept[i][j];
                got[j] = 0;
                assert_string_equal(got, ascii[i]);
        }
        for (size_t i = 0; i < n_names; i++) {
                free(ascii[i]);
                free(wide[i]);
        }
        free(ascii);
        free(wide);
        free(kept);
}

static void test_keep_sorted(void **state) {
        const uint16_t *dropped, *list[1];
        size_t n = 0;
        (void) state;

        run_sorted(10, 128, 1);
        run_sorted(1000, 16, 2);
        run_sorted(10000, 128, 3);
        run_sorted(300, 1, 4);
        assert_false(dropin_keep_sorted(list, &n, 0, u16("a"), &dropped));
        assert_int_equal(n, 0);
        assert_non_null(dropped);
}

/* Every string a kind uses for 252's kinds is in systemd-stub 252's binary:
 * targets and directories as ASCII, descriptions and suffixes as UTF-16. */
static bool binary_has(const uint8_t *bin, size_t size, const void *needle, size_t len) {
        for (size_t i = 0; i + len <= size; i++)
                if (memcmp(bin + i, needle, len) == 0)
                        return true;
        return false;
}

static bool binary_has_utf16(const uint8_t *bin, size_t size, const char *s) {
        uint8_t w[256];
        size_t n = strlen(s);
        for (size_t i = 0; i < n; i++) {
                w[2 * i] = (uint8_t) s[i];
                w[2 * i + 1] = 0;
        }
        return binary_has(bin, size, w, 2 * n);
}

static void test_kinds_are_systemd_stubs(void **state) {
        size_t size;
        uint8_t *bin = slurp(STUB_252, &size);
        (void) state;

        if (!bin) {
                printf("# %s not installed, skipping\n", STUB_252);
                skip();
        }
        /* 252 knows the first three kinds (credentials, global credentials, sysexts). */
        for (size_t i = 0; i < 3; i++) {
                const struct sidecar_kind *k = &sidecar_kinds[i];
                assert_true(binary_has(bin, size, k->target, strlen(k->target) + 1));
                assert_true(binary_has_utf16(bin, size, k->description));
                assert_true(binary_has_utf16(bin, size, k->suffix));
                if (k->dir)
                        assert_true(binary_has_utf16(bin, size, k->dir));
        }
        assert_int_equal(sidecar_kinds[0].pcr, 12);
        assert_int_equal(sidecar_kinds[2].pcr, 13);
        free(bin);
}

static void test_size_limits(void **state) {
        const struct sidecar_kind *cred = &sidecar_kinds[0], *ext = &sidecar_kinds[2];
        (void) state;

        assert_true(sidecar_size_fits(cred, SIDECAR_CREDENTIAL_SIZE_MAX, 0));
        assert_false(sidecar_size_fits(cred, SIDECAR_CREDENTIAL_SIZE_MAX + 1, 0));
        assert_true(sidecar_size_fits(ext, SIDECAR_EXTENSION_SIZE_MAX, 0));
        assert_false(sidecar_size_fits(ext, SIDECAR_EXTENSION_SIZE_MAX + 1ull, 0));
        assert_false(sidecar_size_fits(ext, 1, SIDECAR_TOTAL_SIZE_MAX));
        assert_true(sidecar_size_fits(ext, 1, SIDECAR_TOTAL_SIZE_MAX - 1));
        assert_false(sidecar_size_fits(ext, 2, SIDECAR_TOTAL_SIZE_MAX - 1));
        assert_false(sidecar_size_fits(ext, UINT64_MAX, 0));
        assert_false(sidecar_size_fits(ext, 1, UINT64_MAX));
        assert_true(sidecar_size_fits(ext, 0, SIDECAR_TOTAL_SIZE_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_compare),
                cmocka_unit_test(test_keep_sorted),
                cmocka_unit_test(test_kinds_are_systemd_stubs),
                cmocka_unit_test(test_size_limits),
        };
        return cmocka_run_group_tests_name("dropin", tests, NULL, NULL);
}
