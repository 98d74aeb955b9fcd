/* SPDX-License-Identifier: MIT */
/* Thin UKI references (common/thin.c): hostile section texts, the path
 * rule, format round trips, the content check; uki_find_sections() on thin
 * and mixed images; measure_uki_events() of a thin UKI equal to those of its
 * fat twin; the refs the host reads from a file of any shape
 * (thin_refs_of_file()). Content hashes are computed with OpenSSL here, not
 * with keel's SHA-256. */
#include "keel-test.h"
#include "pe-builder.h"

#include <openssl/evp.h>
#include <unistd.h>

#include "common/measure.h"
#include "common/thin.h"
#include "common/uki.h"
#include "host-tools/uki/thin-content.h"

#define HASH_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int parse_str(const char *text, struct thin_ref *ref) {
        size_t len = strlen(text);
        uint8_t *exact = exact_copy(text, len);
        int r = thin_ref_parse(exact, len, ref);
        free(exact);
        return r;
}

static void test_parse_good(void **state _unused_) {
        struct thin_ref ref;

        assert_keel(parse_str(HASH_A " 12345 /EFI/keel/content/x.linux\n", &ref), KEEL_OK);
        assert_int_equal(ref.size, 12345);
        assert_string_equal(ref.path, "/EFI/keel/content/x.linux");
        assert_int_equal(ref.sha256[0], 0x01);
        assert_int_equal(ref.sha256[31], 0xef);
        /* No final newline is fine too; the largest size; one-character names. */
        assert_keel(parse_str(HASH_A " 1073741824 /a", &ref), KEEL_OK);
        assert_int_equal(ref.size, THIN_CONTENT_MAX);
        assert_keel(parse_str(HASH_A " 1 /a/b_c-D.9/...x", &ref), KEEL_OK);
        assert_string_equal(ref.path, "/a/b_c-D.9/...x");
}

static void test_parse_bad_hash(void **state _unused_) {
        struct thin_ref ref;

        assert_keel(parse_str("", &ref), KEEL_E_THIN_BAD_HASH);
        assert_keel(parse_str("\n", &ref), KEEL_E_THIN_BAD_HASH);
        assert_keel(parse_str("0123456789abcdef", &ref), KEEL_E_THIN_BAD_HASH);
        /* 63 and 65 digits. */
        assert_keel(parse_str("123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 1 /a", &ref),
                    KEEL_E_THIN_BAD_HASH);
        assert_keel(parse_str(HASH_A "0 1 /a", &ref), KEEL_E_THIN_BAD_HASH);
        assert_keel(parse_str("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef 1 /a", &ref),
                    KEEL_E_THIN_BAD_HASH);
        assert_keel(parse_str("g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 1 /a", &ref),
                    KEEL_E_THIN_BAD_HASH);
        assert_keel(parse_str(HASH_A "\t1 /a", &ref), KEEL_E_THIN_BAD_HASH);
        assert_keel(parse_str(HASH_A, &ref), KEEL_E_THIN_BAD_HASH);
}

static void test_parse_bad_size(void **state _unused_) {
        struct thin_ref ref;

        assert_keel(parse_str(HASH_A " ", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A "  1 /a", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " 0 /a", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " 01 /a", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " 00 /a", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " 1073741825 /a", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " 9999999999 /a", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " 18446744073709551617 /a", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " 99999999999999999999999999 /a", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " -1 /a", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " +1 /a", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " 12", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " 12\n", &ref), KEEL_E_THIN_BAD_SIZE);
        assert_keel(parse_str(HASH_A " 0x10 /a", &ref), KEEL_E_THIN_BAD_SIZE);
}

static void test_parse_bad_path(void **state _unused_) {
        static const char *const bad[] = {
                HASH_A " 1 ",
                HASH_A " 1 \n",
                HASH_A " 1 /",
                HASH_A " 1 a/b",
                HASH_A " 1 EFI",
                HASH_A " 1 //a",
                HASH_A " 1 /a//b",
                HASH_A " 1 /a/",
                HASH_A " 1 /..",
                HASH_A " 1 /a/../b",
                HASH_A " 1 /./a",
                HASH_A " 1 /a/.",
        };
        struct thin_ref ref;
        char long_path[THIN_REF_TEXT_MAX + 64];

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                assert_keel(parse_str(bad[i], &ref), KEEL_E_THIN_BAD_PATH);
        /* 255 bytes is the limit, 256 is too long. */
        snprintf(long_path, sizeof(long_path), HASH_A " 7 /");
        memset(long_path + strlen(long_path), 'x', THIN_PATH_MAX - 1);
        long_path[64 + 3 + 1 + THIN_PATH_MAX] = '\0';
        assert_keel(parse_str(long_path, &ref), KEEL_OK);
        assert_int_equal(strlen(ref.path), THIN_PATH_MAX);
        strcat(long_path, "x");
        assert_keel(parse_str(long_path, &ref), KEEL_E_THIN_BAD_PATH);
}

static void test_parse_trailing(void **state _unused_) {
        static const char *const bad[] = {
                HASH_A " 1 /a\n\n",
                HASH_A " 1 /a\nx",
                HASH_A " 1 /a ",
                HASH_A " 1 /a b",
                HASH_A " 1 /a\r\n",
                HASH_A " 1 /a\\b",
                HASH_A " 1 /a\xc3\xa9",
        };
        struct thin_ref ref;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                assert_keel(parse_str(bad[i], &ref), KEEL_E_THIN_TRAILING_DATA);
        /* A NUL inside or at the end (a C string would stop there; the section does not). */
        {
                static const char with_nul[] = HASH_A " 1 /a\0";
                static const char nul_inside[] = HASH_A " 1 /a\0/b";
                assert_keel(thin_ref_parse(with_nul, sizeof(with_nul) - 1, &ref), KEEL_E_THIN_TRAILING_DATA);
                assert_keel(thin_ref_parse(nul_inside, sizeof(nul_inside) - 1, &ref), KEEL_E_THIN_TRAILING_DATA);
        }
}

/* Every prefix of a valid text: never OK except the full text and the text without its newline. */
static void test_parse_truncated(void **state _unused_) {
        const char *text = HASH_A " 4096 /EFI/keel/content/k.linux\n";
        size_t len = strlen(text);
        struct thin_ref ref;

        for (size_t n = 0; n <= len; n++) {
                uint8_t *exact = exact_copy(text, n);
                int r = thin_ref_parse(exact, n, &ref);
                /* A prefix that ends inside the path is a shorter valid path. */
                bool path_prefix = n > 64 + 1 + 4 + 1 + 1 && text[n - 1] != '/';
                if (n == len || n == len - 1 || path_prefix)
                        assert_keel(r, KEEL_OK);
                else
                        assert_int_not_equal(r, KEEL_OK);
                free(exact);
        }
}

static void test_path_rule(void **state _unused_) {
        assert_true(thin_path_is_valid("/a", 2));
        assert_false(thin_path_is_valid("/a", 1));
        assert_false(thin_path_is_valid("", 0));
        assert_false(thin_path_is_valid("/a\0b", 4));
        assert_true(thin_path_is_valid("/..a", 4));
        assert_true(thin_path_is_valid("/a..", 4));
        assert_false(thin_path_is_valid("/a/..", 5));
        assert_false(thin_path_is_valid("\\a", 2));
}

static void test_format_round_trip(void **state _unused_) {
        struct thin_ref ref = { .size = 1234567 }, back;
        char buf[THIN_REF_TEXT_MAX];
        size_t n;

        for (size_t i = 0; i < THIN_SHA256_SIZE; i++)
                ref.sha256[i] = (uint8_t) (i * 37 + 5);
        strcpy(ref.path, "/EFI/keel/content/abc.initrd");
        n = thin_ref_format(&ref, buf, sizeof(buf));
        assert_int_equal(n, 64 + 1 + 7 + 1 + strlen(ref.path) + 1);
        assert_int_equal(buf[n - 1], '\n');
        assert_memory_equal(buf, "05", 2); /* lower case hex of byte 0 */
        assert_keel(thin_ref_parse(buf, n, &back), KEEL_OK);
        assert_memory_equal(&back, &ref, sizeof(ref) - sizeof(ref.path));
        assert_string_equal(back.path, ref.path);
        /* One byte short of room; exactly enough room. */
        assert_int_equal(thin_ref_format(&ref, buf, n - 1), 0);
        assert_int_equal(thin_ref_format(&ref, buf, n), n);

        /* The longest text fits THIN_REF_TEXT_MAX. */
        ref.size = THIN_CONTENT_MAX;
        ref.path[0] = '/';
        memset(ref.path + 1, 'z', THIN_PATH_MAX - 1);
        ref.path[THIN_PATH_MAX] = '\0';
        n = thin_ref_format(&ref, buf, sizeof(buf));
        assert_int_equal(n, THIN_REF_TEXT_MAX);
        assert_keel(thin_ref_parse(buf, n, &back), KEEL_OK);

        /* Refs parse would refuse are not written. */
        ref.size = 0;
        assert_int_equal(thin_ref_format(&ref, buf, sizeof(buf)), 0);
        ref.size = THIN_CONTENT_MAX + 1;
        assert_int_equal(thin_ref_format(&ref, buf, sizeof(buf)), 0);
        ref.size = 1;
        strcpy(ref.path, "/a/../b");
        assert_int_equal(thin_ref_format(&ref, buf, sizeof(buf)), 0);
        strcpy(ref.path, "relative");
        assert_int_equal(thin_ref_format(&ref, buf, sizeof(buf)), 0);
        memset(ref.path, 'a', sizeof(ref.path)); /* no NUL at all */
        ref.path[0] = '/';
        assert_int_equal(thin_ref_format(&ref, buf, sizeof(buf)), 0);
}

static void openssl_sha256(const void *data, size_t len, uint8_t out[32]) {
        unsigned n = 0;
        assert_int_equal(EVP_Digest(data, len, out, &n, EVP_sha256(), NULL), 1);
}

static void test_check_content(void **state _unused_) {
        uint8_t data[1000];
        struct thin_ref ref = { .size = sizeof(data) };

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t) (i * 7);
        openssl_sha256(data, sizeof(data), ref.sha256);
        strcpy(ref.path, "/k");
        assert_keel(thin_ref_check_content(&ref, data, sizeof(data)), KEEL_OK);
        assert_keel(thin_ref_check_content(&ref, data, sizeof(data) - 1), KEEL_E_THIN_SIZE_MISMATCH);
        data[999] ^= 1;
        assert_keel(thin_ref_check_content(&ref, data, sizeof(data)), KEEL_E_THIN_HASH_MISMATCH);
}

/* A PE whose sections are named as given; section `text_index` holds text
 * (VirtualSize = its length) instead of the builder's bytes. */
/* Section index holds text (VirtualSize: its length). */
static void set_text(struct test_pe *t, unsigned index, const char *text) {
        uint8_t *h = tpe_section_header(t, index);
        size_t len = strlen(text);
        uint32_t raw = read_le32(h + SH_RAW_OFFSET), raw_size = read_le32(h + SH_RAW_SIZE);

        assert_true(len <= raw_size);
        memset(t->data + raw, 0, raw_size);
        memcpy(t->data + raw, text, len);
        write_le32(h + SH_VIRTUAL_SIZE, (uint32_t) len);
}

static struct test_pe build(const char *const *names, unsigned n, int text_index, const char *text) {
        struct test_pe t = tpe_build(PE_SPEC(n));
        for (unsigned i = 0; i < n; i++)
                tpe_set_name(&t, i, names[i]);
        if (text_index >= 0)
                set_text(&t, (unsigned) text_index, text);
        return t;
}

static int find(const struct test_pe *t, struct pe_image *pe, struct uki_sections *u) {
        int r = pe_parse_headers(t->data, t->size, pe);
        return r == KEEL_OK ? uki_find_sections(pe, u) : r;
}

static void test_find_sections(void **state _unused_) {
        static const char *const thin[] = { ".osrel", ".tlinux", ".tinitrd" };
        static const char *const both_linux[] = { ".linux", ".tlinux" };
        static const char *const both_initrd[] = { ".tlinux", ".initrd", ".tinitrd" };
        static const char *const fat_linux_thin_initrd[] = { ".linux", ".tinitrd" };
        static const char *const only_tinitrd[] = { ".osrel", ".tinitrd" };
        struct pe_image pe;
        struct uki_sections u;
        struct test_pe t;

        t = build(thin, 3, -1, NULL);
        assert_keel(find(&t, &pe, &u), KEEL_OK);
        assert_true(uki_is_uki(&u));
        assert_true(uki_is_thin(&u));
        assert_null(u.section[UKI_SECTION_LINUX]);
        assert_ptr_equal(u.section[UKI_SECTION_TLINUX], &pe.sections[1]);
        assert_ptr_equal(u.section[UKI_SECTION_TINITRD], &pe.sections[2]);
        assert_false(uki_section_is_measured(UKI_SECTION_TLINUX));
        assert_false(uki_section_is_measured(UKI_SECTION_TINITRD));
        assert_string_equal(uki_section_name(UKI_SECTION_TLINUX), ".tlinux");
        assert_string_equal(uki_section_name(UKI_SECTION_TINITRD), ".tinitrd");
        tpe_free(&t);

        t = build(both_linux, 2, -1, NULL);
        assert_keel(find(&t, &pe, &u), KEEL_E_UKI_THIN_AND_FAT_LINUX);
        tpe_free(&t);
        t = build(both_initrd, 3, -1, NULL);
        assert_keel(find(&t, &pe, &u), KEEL_E_UKI_THIN_AND_FAT_INITRD);
        tpe_free(&t);

        t = build(fat_linux_thin_initrd, 2, -1, NULL);
        assert_keel(find(&t, &pe, &u), KEEL_OK);
        assert_true(uki_is_uki(&u) && uki_is_thin(&u));
        tpe_free(&t);

        /* A .tinitrd alone makes no UKI: there is no kernel. */
        t = build(only_tinitrd, 2, -1, NULL);
        assert_keel(find(&t, &pe, &u), KEEL_OK);
        assert_false(uki_is_uki(&u));
        tpe_free(&t);
}

static void assert_same_events(const struct measure_event *a, size_t na, const struct measure_event *b, size_t nb) {
        assert_int_equal(na, nb);
        for (size_t i = 0; i < na; i++) {
                assert_int_equal(a[i].pcr, b[i].pcr);
                assert_int_equal(a[i].section, b[i].section);
                assert_string_equal(a[i].description, b[i].description);
                assert_int_equal(a[i].size + a[i].zero_tail, b[i].size + b[i].zero_tail);
                assert_int_equal(a[i].zero_tail, 0);
                assert_int_equal(b[i].zero_tail, 0);
                assert_memory_equal(a[i].data, b[i].data, a[i].size);
        }
}

/* The content as the fat twin's section `index` holds it. */
static uint8_t *twin_bytes(unsigned index) {
        uint8_t *p = malloc(tpe_content_size(index));
        assert_non_null(p);
        for (uint32_t j = 0; j < tpe_content_size(index); j++)
                p[j] = tpe_content_byte(index, j);
        return p;
}

static void ref_text(const uint8_t *data, size_t size, const char *path, char *out, size_t out_size) {
        struct thin_ref ref = { .size = size };
        size_t n;

        openssl_sha256(data, size, ref.sha256);
        strcpy(ref.path, path);
        n = thin_ref_format(&ref, out, out_size - 1);
        assert_int_not_equal(n, 0);
        out[n] = '\0';
}

static void test_measure_like_fat_twin(void **state _unused_) {
        /* Section 1 of each: the twin's .linux bytes are the content; section 3 likewise .initrd. */
        static const char *const fat[] = { ".cmdline", ".linux", ".osrel", ".initrd" };
        static const char *const thin[] = { ".cmdline", ".tlinux", ".osrel", ".initrd" };
        static const char *const thin2[] = { ".cmdline", ".tlinux", ".osrel", ".tinitrd" };
        struct measure_event fe[MEASURE_UKI_EVENTS_MAX], te[MEASURE_UKI_EVENTS_MAX];
        size_t fn = 0, tn = 0;
        uint8_t *kernel = twin_bytes(1), *initrd = twin_bytes(3);
        char linux_ref[THIN_REF_TEXT_MAX + 1], initrd_ref[THIN_REF_TEXT_MAX + 1];
        struct measure_thin_content content = { .linux_data = kernel, .linux_size = tpe_content_size(1) };
        struct pe_image fpe, tpe;
        struct uki_sections fu, tu;
        struct test_pe f, t;

        ref_text(kernel, tpe_content_size(1), "/EFI/keel/content/k.linux", linux_ref, sizeof(linux_ref));
        ref_text(initrd, tpe_content_size(3), "/EFI/keel/content/i.initrd", initrd_ref, sizeof(initrd_ref));

        f = build(fat, 4, -1, NULL);
        assert_keel(find(&f, &fpe, &fu), KEEL_OK);
        assert_keel(measure_uki_events(&fu, f.data, f.size, MEASURE_LAYOUT_FILE, NULL, fe, &fn), KEEL_OK);
        assert_int_equal(fn, 8);

        /* .tlinux: the same events, in the same places. */
        t = build(thin, 4, 1, linux_ref);
        assert_keel(find(&t, &tpe, &tu), KEEL_OK);
        assert_keel(measure_uki_events(&tu, t.data, t.size, MEASURE_LAYOUT_FILE, &content, te, &tn), KEEL_OK);
        assert_same_events(fe, fn, te, tn);
        assert_string_equal(te[0].description, ".linux");
        assert_ptr_equal(te[1].data, kernel);
        /* Without the content; with content of another size. */
        assert_keel(measure_uki_events(&tu, t.data, t.size, MEASURE_LAYOUT_FILE, NULL, te, &tn),
                    KEEL_E_THIN_NO_CONTENT);
        assert_int_equal(tn, 0);
        content.linux_size--;
        assert_keel(measure_uki_events(&tu, t.data, t.size, MEASURE_LAYOUT_FILE, &content, te, &tn),
                    KEEL_E_THIN_SIZE_MISMATCH);
        content.linux_size++;
        /* Only initrd content given for a UKI that names a kernel. */
        {
                struct measure_thin_content only_initrd = { .initrd_data = initrd, .initrd_size = 1 };
                assert_keel(measure_uki_events(&tu, t.data, t.size, MEASURE_LAYOUT_FILE, &only_initrd, te, &tn),
                            KEEL_E_THIN_NO_CONTENT);
        }
        tpe_free(&t);

        /* .tlinux and .tinitrd (the one text builder writes section 1; section 3 by hand). */
        t = build(thin2, 4, 1, linux_ref);
        {
                uint8_t *h = tpe_section_header(&t, 3);
                uint32_t raw = read_le32(h + SH_RAW_OFFSET), raw_size = read_le32(h + SH_RAW_SIZE);
                memset(t.data + raw, 0, raw_size);
                memcpy(t.data + raw, initrd_ref, strlen(initrd_ref));
                write_le32(h + SH_VIRTUAL_SIZE, (uint32_t) strlen(initrd_ref));
        }
        assert_keel(find(&t, &tpe, &tu), KEEL_OK);
        assert_keel(measure_uki_events(&tu, t.data, t.size, MEASURE_LAYOUT_FILE, &content, te, &tn),
                    KEEL_E_THIN_NO_CONTENT);
        content.initrd_data = initrd;
        content.initrd_size = tpe_content_size(3);
        assert_keel(measure_uki_events(&tu, t.data, t.size, MEASURE_LAYOUT_FILE, &content, te, &tn), KEEL_OK);
        assert_same_events(fe, fn, te, tn);
        tpe_free(&t);

        /* A broken ref is refused with its parse error, even with content given. */
        t = build(thin, 4, 1, "not a ref");
        assert_keel(find(&t, &tpe, &tu), KEEL_OK);
        assert_keel(measure_uki_events(&tu, t.data, t.size, MEASURE_LAYOUT_FILE, &content, te, &tn),
                    KEEL_E_THIN_BAD_HASH);
        tpe_free(&t);

        /* A ref whose VirtualSize runs past its file bytes (zero fill = NULs). */
        t = build(thin, 4, 1, linux_ref);
        write_le32(tpe_section_header(&t, 1) + SH_VIRTUAL_SIZE, read_le32(tpe_section_header(&t, 1) + SH_RAW_SIZE) + 1);
        assert_keel(find(&t, &tpe, &tu), KEEL_OK);
        assert_keel(measure_uki_events(&tu, t.data, t.size, MEASURE_LAYOUT_FILE, &content, te, &tn),
                    KEEL_E_THIN_TRAILING_DATA);
        tpe_free(&t);

        tpe_free(&f);
        free(kernel);
        free(initrd);
}

#define REF_A HASH_A " 16 /EFI/keel/content/a.linux\n"
#define REF_B HASH_A " 20 /EFI/keel/content/b.linux\n"
#define REF_I HASH_A " 4 /EFI/keel/content/i.initrd\n"

/* thin_refs_of_file() (host-tools/uki/thin-content.c) on the file holding
 * size bytes of data: what keel install's GC and `keel entries --check`
 * take for the content a file names. */
static int refs_of(const void *data, size_t size, struct thin_file_refs *ret) {
        char dir[] = "/tmp/keel-test-thin.XXXXXX", path[64], why[256] = "";
        FILE *f;
        int r;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/uki.efi", dir);
        f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, size, f), size);
        fclose(f);
        r = thin_refs_of_file(path, ret, why, sizeof(why));
        if (r < 0) {
                assert_true(why[0] != '\0');
                assert_int_equal(ret->n, 0);
                assert_null(ret->refs);
        }
        unlink(path);
        rmdir(dir);
        return r;
}

static void test_refs_of_file(void **state _unused_) {
        static const char *const fat[] = { ".osrel", ".linux" };
        static const char *const thin[] = { ".tlinux", ".osrel", ".tinitrd" };
        static const char *const profiles[] = { ".tlinux", ".profile", ".profile", ".tlinux" };
        static const char *const both[] = { ".linux", ".tlinux" };
        struct thin_file_refs r;
        struct test_pe t;

        /* No PE image (text, nothing): names nothing, no error. */
        assert_int_equal(refs_of("#!/bin/sh\n", 10, &r), 0);
        assert_false(r.is_pe);
        assert_int_equal(r.n, 0);
        assert_int_equal(refs_of("", 0, &r), 0);
        assert_false(r.is_pe);

        /* A fat UKI (or a plain kernel): a PE image that names nothing. */
        t = build(fat, 2, -1, NULL);
        assert_int_equal(refs_of(t.data, t.size, &r), 0);
        assert_true(r.is_pe);
        assert_int_equal(r.n, 0);
        tpe_free(&t);

        t = build(thin, 3, 0, REF_A);
        set_text(&t, 2, REF_I);
        assert_int_equal(refs_of(t.data, t.size, &r), 0);
        assert_true(r.is_pe);
        assert_int_equal(r.n, 2);
        assert_string_equal(r.refs[0].ref.path, "/EFI/keel/content/a.linux");
        assert_int_equal(r.refs[0].ref.size, 16);
        assert_false(r.refs[0].initrd);
        assert_string_equal(r.refs[1].ref.path, "/EFI/keel/content/i.initrd");
        assert_true(r.refs[1].initrd);
        assert_int_equal(r.refs[0].profile + r.refs[1].profile, 0);
        thin_file_refs_done(&r);

        /* A broken ref: what it names cannot be known. */
        set_text(&t, 2, HASH_A " 4 /EFI/../i.initrd\n");
        assert_int_equal(refs_of(t.data, t.size, &r), -1);
        tpe_free(&t);

        /* Profile 0 boots the base's kernel, profile 1 its own: both named. */
        t = build(profiles, 4, 0, REF_A);
        set_text(&t, 1, "ID=zero\n");
        set_text(&t, 2, "ID=one\n");
        set_text(&t, 3, REF_B);
        assert_int_equal(refs_of(t.data, t.size, &r), 0);
        assert_int_equal(r.n, 2);
        assert_string_equal(r.refs[0].ref.path, "/EFI/keel/content/a.linux");
        assert_int_equal(r.refs[0].profile, 0);
        assert_string_equal(r.refs[1].ref.path, "/EFI/keel/content/b.linux");
        assert_int_equal(r.refs[1].profile, 1);
        thin_file_refs_done(&r);
        tpe_free(&t);

        /* .linux and .tlinux: no one knows which boots. */
        t = build(both, 2, 1, REF_A);
        assert_int_equal(refs_of(t.data, t.size, &r), -1);
        tpe_free(&t);

        /* Cut inside the .tlinux text (headers whole: a PE image): its ref
         * cannot be read, so what it names cannot be known. */
        t = build(thin, 3, 0, REF_A);
        set_text(&t, 2, REF_I);
        assert_int_equal(refs_of(t.data, read_le32(tpe_section_header(&t, 0) + SH_RAW_OFFSET) + 10, &r), -1);
        tpe_free(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_good),
                cmocka_unit_test(test_parse_bad_hash),
                cmocka_unit_test(test_parse_bad_size),
                cmocka_unit_test(test_parse_bad_path),
                cmocka_unit_test(test_parse_trailing),
                cmocka_unit_test(test_parse_truncated),
                cmocka_unit_test(test_path_rule),
                cmocka_unit_test(test_format_round_trip),
                cmocka_unit_test(test_check_content),
                cmocka_unit_test(test_find_sections),
                cmocka_unit_test(test_measure_like_fat_twin),
                cmocka_unit_test(test_refs_of_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
