/* SPDX-License-Identifier: MIT */
/* Device tree header checks (common/fdt.c) against libfdt, the library
 * QEMU, U-Boot and Linux's EFI stub use, loaded here at run time
 * (libfdt.so.1, installed with QEMU): keel must never accept a blob that
 * libfdt's fdt_check_header() refuses or whose totalsize exceeds the bytes
 * given, and a whole, well-formed blob must pass both (and libfdt's full
 * structure walk). Every input is an exact-size heap copy, so
 * AddressSanitizer catches a read past it. */
#include "keel-test.h"

#include <dlfcn.h>

#include "common/fdt.h"

static int (*libfdt_check_header)(const void *fdt);
static int (*libfdt_check_full)(const void *fdt, size_t bufsize);

static void load_libfdt(void) {
        void *h = dlopen("libfdt.so.1", RTLD_NOW);

        if (!h)
                return;
        libfdt_check_header = (int (*)(const void *)) dlsym(h, "fdt_check_header");
        libfdt_check_full = (int (*)(const void *, size_t)) dlsym(h, "fdt_check_full");
}

static void put_be32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24);
        p[1] = (uint8_t) (v >> 16);
        p[2] = (uint8_t) (v >> 8);
        p[3] = (uint8_t) v;
}

/* A minimal v17 tree: header, an empty reservation map, the root node with
 * one property ("model" = "k"), and the strings block. */
static size_t make_tree(uint8_t *out) {
        const uint32_t off_rsv = 40, off_struct = 56;
        uint8_t *s = out + off_struct;
        size_t n = 0, size_struct, off_strings, total;

        memset(out, 0, 256);
        put_be32(s + n, 1), n += 4;                     /* FDT_BEGIN_NODE "" */
        n += 4;                                         /* name "" padded */
        put_be32(s + n, 3), n += 4;                     /* FDT_PROP */
        put_be32(s + n, 2), n += 4;                     /* len */
        put_be32(s + n, 0), n += 4;                     /* nameoff */
        memcpy(s + n, "k", 2), n += 4;                  /* value, padded */
        put_be32(s + n, 2), n += 4;                     /* FDT_END_NODE */
        put_be32(s + n, 9), n += 4;                     /* FDT_END */
        size_struct = n;
        off_strings = off_struct + size_struct;
        memcpy(out + off_strings, "model", 6);
        total = off_strings + 6;
        put_be32(out + 0, FDT_MAGIC);
        put_be32(out + 4, (uint32_t) total);
        put_be32(out + 8, off_struct);
        put_be32(out + 12, (uint32_t) off_strings);
        put_be32(out + 16, off_rsv);
        put_be32(out + 20, 17);
        put_be32(out + 24, 16);
        put_be32(out + 28, 0);
        put_be32(out + 32, 6);
        put_be32(out + 36, (uint32_t) size_struct);
        return total;
}

static int check_copy(const uint8_t *data, size_t size, size_t *total) {
        uint8_t *copy;
        int r;

        if (size == 0)
                return fdt_check(data, 0, total);
        copy = exact_copy(data, size);
        r = fdt_check(copy, size, total);

        /* What keel accepts, libfdt accepts, and it fits the bytes given. */
        if (r == KEEL_OK) {
                assert_true(*total <= size);
                if (libfdt_check_header && size >= FDT_HEADER_SIZE)
                        assert_int_equal(libfdt_check_header(copy), 0);
        } else
                assert_int_equal(*total, 0);
        free(copy);
        return r;
}

static void test_whole_tree(void **state) {
        uint8_t tree[256];
        size_t n = make_tree(tree), total;

        (void) state;
        load_libfdt();
        if (!libfdt_check_header)
                print_message("libfdt.so.1 not found: checking without the peer\n");
        assert_keel(check_copy(tree, n, &total), KEEL_OK);
        assert_int_equal(total, n);
        if (libfdt_check_full)
                assert_int_equal(libfdt_check_full(tree, n), 0);
        /* Bytes after totalsize are not part of it (a PE section's padding). */
        assert_keel(check_copy(tree, n + 100 > sizeof(tree) ? sizeof(tree) : n + 100, &total), KEEL_OK);
        assert_int_equal(total, n);
}

static void test_truncated(void **state) {
        uint8_t tree[256];
        size_t n = make_tree(tree), total;

        (void) state;
        for (size_t len = 0; len < n; len++)
                assert_keel(check_copy(tree, len, &total), KEEL_E_FDT_TRUNCATED);
        assert_keel(fdt_check(NULL, 100, &total), KEEL_E_FDT_TRUNCATED);
}

static void test_bad_headers(void **state) {
        uint8_t tree[256], bad[256];
        size_t n = make_tree(tree), total;
        static const struct {
                size_t offset;
                uint32_t value;
        } cases[] = {
                { 0, 0xedfe0dd0 },      /* magic, byte-swapped */
                { 4, 39 },              /* totalsize below the header */
                { 4, 0xffffffff },      /* totalsize that would wrap */
                { 8, 0 },               /* structure block inside the header */
                { 8, 58 },              /* structure block unaligned */
                { 8, 0xfffffffc },      /* structure block past the end */
                { 12, 0xffffffff },     /* strings past the end */
                { 16, 44 },             /* reservation map unaligned */
                { 16, 0 },              /* reservation map inside the header */
                { 20, 15 },             /* version too old */
                { 24, 17 },             /* last_comp_version too new for a v16 reader */
                { 32, 0xfffffff0 },     /* strings size wraps */
                { 36, 0 },              /* empty structure block (no FDT_END) */
                { 36, 0x7fffffff },     /* structure size past the end */
        };

        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                memcpy(bad, tree, sizeof(bad));
                put_be32(bad + cases[i].offset, cases[i].value);
                assert_keel(check_copy(bad, n, &total), KEEL_E_FDT_BAD_HEADER);
        }
        /* totalsize above the limit, even with a buffer that long claimed. */
        memcpy(bad, tree, sizeof(bad));
        put_be32(bad + 4, FDT_MAX_SIZE + 1);
        assert_keel(fdt_check(bad, SIZE_MAX, &total), KEEL_E_FDT_BAD_HEADER);
        /* totalsize beyond the bytes given. */
        put_be32(bad + 4, (uint32_t) n + 1);
        assert_keel(check_copy(bad, n, &total), KEEL_E_FDT_TRUNCATED);
}

/* Every single-byte change of the header: keel's answer never contradicts
 * libfdt's (accepted by keel => accepted by libfdt, inside the buffer). */
static void test_every_header_byte(void **state) {
        uint8_t tree[256], bad[256];
        size_t n = make_tree(tree), total;
        unsigned long accepted = 0;

        (void) state;
        for (size_t i = 0; i < FDT_HEADER_SIZE; i++)
                for (unsigned v = 0; v < 256; v++) {
                        memcpy(bad, tree, sizeof(bad));
                        bad[i] = (uint8_t) v;
                        if (check_copy(bad, n, &total) == KEEL_OK)
                                accepted++;
                }
        /* The unchanged value of each byte at least. */
        assert_true(accepted >= FDT_HEADER_SIZE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_whole_tree),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_bad_headers),
                cmocka_unit_test(test_every_header_byte),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
