/* SPDX-License-Identifier: MIT */
/* Authenticode: the hashed regions of valid and hostile PE files, the
 * certificate-table walker, the image hash against a plain implementation of
 * the specification's steps, signing (file layout, checksum, the signature
 * verifying) and the PKCS#7 verifier against damaged and foreign blobs. */
#include <fcntl.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "keel-test.h"
#include "pe-builder.h"

#include "common/authenticode.h"
#include "host-tools/sign/authenticode.h"
#include "host-tools/pe/pe-checksum.h"
#include "host-tools/sign/pe-sign.h"

static struct authenticode_layout layout;

static int lay(const struct test_pe *t) {
        uint8_t *copy = exact_copy(t->data, t->size);
        int r = authenticode_layout(copy, t->size, t->size, &layout);
        free(copy);
        return r;
}

static uint32_t checksum_offset(const struct test_pe *t) {
        return t->opt + PE_OPT_CHECKSUM;
}

static uint32_t cert_dir_offset(const struct test_pe *t) {
        return t->opt + PE_OPT_DATA_DIRECTORY + PE_DIRECTORY_SECURITY * PE_DATA_DIRECTORY_SIZE;
}

static void assert_region(size_t i, uint64_t offset, uint64_t size) {
        assert_true(i < layout.n_regions);
        assert_int_equal(layout.regions[i].offset, offset);
        assert_int_equal(layout.regions[i].size, size);
}

/* ---- layout: valid images ------------------------------------------------ */

static void test_layout_unsigned(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(3));
        (void) state;

        assert_keel(lay(&t), KEEL_OK);
        assert_int_equal(layout.checksum_offset, checksum_offset(&t));
        assert_int_equal(layout.cert_dir_offset, cert_dir_offset(&t));
        assert_int_equal(layout.image_end, t.size);
        assert_int_equal(layout.cert_table_offset, 0);
        assert_int_equal(layout.cert_table_size, 0);
        assert_int_equal(layout.n_regions, 3 + 3);
        assert_region(0, 0, checksum_offset(&t));
        assert_region(1, checksum_offset(&t) + 4, cert_dir_offset(&t) - checksum_offset(&t) - 4);
        assert_region(2, cert_dir_offset(&t) + 8, t.headers - cert_dir_offset(&t) - 8);
        for (unsigned i = 0; i < 3; i++)
                assert_region(3 + i, read_le32(tpe_section_header(&t, i) + SH_RAW_OFFSET),
                              read_le32(tpe_section_header(&t, i) + SH_RAW_SIZE));
        assert_true(layout.in_file_order);
        tpe_free(&t);
}

/* Bytes after the last section are hashed from SUM_OF_BYTES_HASHED on. */
static void test_layout_trailing_data(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        size_t size = t.size;
        (void) state;

        tpe_append(&t, "trailing!", 9);
        assert_keel(lay(&t), KEEL_OK);
        assert_int_equal(layout.image_end, size + 9);
        assert_int_equal(layout.n_regions, 3 + 2 + 1);
        assert_region(5, size, 9);
        assert_true(layout.in_file_order);
        tpe_free(&t);
}

/* A signed image: the table ends the file and is left out; data between the
 * sections and the table is trailing data. */
static void test_layout_signed(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        uint8_t table[24] = { 24, 0, 0, 0, 0x00, 0x02, 0x02, 0x00 };
        size_t size = t.size;
        (void) state;

        tpe_append(&t, "\0\0\0\0\0\0\0\0", 8);
        tpe_append(&t, table, sizeof(table));
        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, (uint32_t) size + 8, sizeof(table));
        assert_keel(lay(&t), KEEL_OK);
        assert_int_equal(layout.cert_table_offset, size + 8);
        assert_int_equal(layout.cert_table_size, sizeof(table));
        assert_int_equal(layout.image_end, size + 8);
        assert_region(layout.n_regions - 1, size, 8);
        tpe_free(&t);
}

/* Sections are hashed by PointerToRawData, not in section-table order. */
static void test_layout_sorted_by_raw_offset(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(3));
        uint8_t h0[PE_SECTION_HEADER_SIZE], h2[PE_SECTION_HEADER_SIZE];
        uint32_t raw0, raw2;
        (void) state;

        /* Swap the file positions of sections 0 and 2 (same raw sizes). */
        memcpy(h0, tpe_section_header(&t, 0), sizeof(h0));
        memcpy(h2, tpe_section_header(&t, 2), sizeof(h2));
        raw0 = read_le32(h0 + SH_RAW_OFFSET);
        raw2 = read_le32(h2 + SH_RAW_OFFSET);
        write_le32(tpe_section_header(&t, 0) + SH_RAW_OFFSET, raw2);
        write_le32(tpe_section_header(&t, 2) + SH_RAW_OFFSET, raw0);
        assert_keel(lay(&t), KEEL_OK);
        assert_region(3, raw0, 0x200);
        assert_region(4, read_le32(tpe_section_header(&t, 1) + SH_RAW_OFFSET), 0x200);
        assert_region(5, raw2, 0x200);
        assert_true(layout.in_file_order);
        tpe_free(&t);
}

/* A gap between sections: the specification's trailing data starts at
 * SUM_OF_BYTES_HASHED and so re-reads section bytes; the regions are then
 * not in file order. */
static void test_layout_gap(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        size_t size = t.size;
        (void) state;

        tpe_append(&t, (uint8_t[0x200]) { 0 }, 0x200);
        write_le32(tpe_section_header(&t, 0) + SH_RAW_OFFSET, t.headers + 0x200);
        memmove(t.data + t.headers + 0x200, t.data + t.headers, 0x200);
        assert_keel(lay(&t), KEEL_OK);
        assert_int_equal(layout.image_end, size + 0x200);
        assert_region(3, t.headers + 0x200, 0x200);
        assert_region(4, t.headers + 0x200, 0x200); /* from SUM = headers + 0x200 to EOF */
        assert_false(layout.in_file_order);
        tpe_free(&t);
}

static void test_layout_zero_size_directory_is_unsigned(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, 0xffffff00u, 0);
        assert_keel(lay(&t), KEEL_OK);
        assert_int_equal(layout.cert_table_size, 0);
        assert_int_equal(layout.image_end, t.size);
        tpe_free(&t);
}

/* ---- layout: hostile images ------------------------------------------------ */

static void expect_layout_error(struct test_pe *t, int expected) {
        assert_keel(lay(t), expected);
        tpe_free(t);
}

static void test_layout_cert_table_past_eof(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;
        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, (uint32_t) t.size, 8);
        expect_layout_error(&t, KEEL_E_PE_CERT_TABLE_OUTSIDE_FILE);
}

static void test_layout_cert_table_size_past_eof(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;
        tpe_append(&t, (uint8_t[16]) { 16 }, 16);
        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, (uint32_t) t.size - 16, 17);
        expect_layout_error(&t, KEEL_E_PE_CERT_TABLE_OUTSIDE_FILE);
}

/* offset + size wraps around 32 bits. */
static void test_layout_cert_table_wraps(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;
        tpe_append(&t, (uint8_t[16]) { 16 }, 16);
        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, (uint32_t) t.size - 16, UINT32_MAX - 8);
        expect_layout_error(&t, KEEL_E_PE_CERT_TABLE_OUTSIDE_FILE);
}

static void test_layout_cert_table_in_headers(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;
        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, 0, (uint32_t) t.size);
        expect_layout_error(&t, KEEL_E_PE_CERT_TABLE_OVERLAPS_IMAGE);
}

static void test_layout_cert_table_over_section(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        uint32_t last = read_le32(tpe_section_header(&t, 1) + SH_RAW_OFFSET);
        (void) state;
        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, last + 8, (uint32_t) t.size - last - 8);
        expect_layout_error(&t, KEEL_E_PE_CERT_TABLE_OVERLAPS_IMAGE);
}

static void test_layout_cert_table_not_last(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        size_t size = t.size;
        (void) state;
        tpe_append(&t, (uint8_t[32]) { 16 }, 32);
        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, (uint32_t) size, 16);
        expect_layout_error(&t, KEEL_E_PE_CERT_TABLE_NOT_AT_END);
}

static void test_layout_no_security_directory(void **state) {
        struct pe_spec spec = PE_SPEC(1);
        struct test_pe t;
        (void) state;
        spec.n_dirs = PE_DIRECTORY_SECURITY; /* entries 0..3 only */
        t = tpe_build(spec);
        expect_layout_error(&t, KEEL_E_PE_NO_CERT_DIRECTORY);
}

static void test_layout_not_pe(void **state) {
        static const char text[] = "this is not a PE image, just some text that is long enough for a DOS header";
        (void) state;
        assert_keel(authenticode_layout(text, sizeof(text), sizeof(text), &layout), KEEL_E_PE_BAD_DOS_MAGIC);
}

static void test_layout_truncated(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        uint8_t *copy;
        (void) state;

        /* Headers intact, the last section cut short. */
        copy = exact_copy(t.data, t.size - 1);
        assert_keel(authenticode_layout(copy, t.size - 1, t.size - 1, &layout), KEEL_E_PE_SECTION_OUTSIDE_FILE);
        free(copy);
        /* Cut inside the section table. */
        copy = exact_copy(t.data, t.table + 10);
        assert_keel(authenticode_layout(copy, t.table + 10, t.table + 10, &layout), KEEL_E_PE_SECTION_TABLE_TRUNCATED);
        free(copy);
        tpe_free(&t);
}

/* ---- certificate table --------------------------------------------------------- */

static struct win_certificate entries[WIN_CERT_MAX_ENTRIES];
static size_t n_entries;

static int parse_table(const uint8_t *table, size_t size) {
        uint8_t *copy = exact_copy(table, size);
        int r = win_certificate_parse(copy, size, entries, ARRAY_SIZE(entries), &n_entries);
        /* Entries point into the copy: check them before it goes. */
        for (size_t i = 0; r == KEEL_OK && i < n_entries; i++) {
                assert_true(entries[i].data >= copy && entries[i].data + entries[i].data_size <= copy + size);
                entries[i].data = table + (entries[i].data - copy);
        }
        free(copy);
        return r;
}

static void test_table_two_entries(void **state) {
        uint8_t t[40] = {};
        (void) state;

        write_le32(t, 13);                    /* 5 data bytes, padded to 16 */
        write_le16(t + 4, WIN_CERT_REVISION_2_0);
        write_le16(t + 6, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        memcpy(t + 8, "abcde", 5);
        write_le32(t + 16, 20);               /* 12 data bytes, last: padding left out */
        write_le16(t + 20, WIN_CERT_REVISION_1_0);
        write_le16(t + 22, WIN_CERT_TYPE_EFI_GUID);
        memcpy(t + 24, "0123456789ab", 12);
        assert_keel(parse_table(t, 36), KEEL_OK);
        assert_int_equal(n_entries, 2);
        assert_int_equal(entries[0].offset, 0);
        assert_int_equal(entries[0].data_size, 5);
        assert_memory_equal(entries[0].data, "abcde", 5);
        assert_int_equal(entries[0].type, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        assert_int_equal(entries[1].offset, 16);
        assert_int_equal(entries[1].revision, WIN_CERT_REVISION_1_0);
        assert_int_equal(entries[1].type, WIN_CERT_TYPE_EFI_GUID);
        assert_int_equal(entries[1].data_size, 12);
        /* The same with the last padding present. */
        assert_keel(parse_table(t, 40), KEEL_OK);
        assert_int_equal(n_entries, 2);
}

static void test_table_empty(void **state) {
        (void) state;
        assert_keel(parse_table((const uint8_t *) "", 0), KEEL_OK);
        assert_int_equal(n_entries, 0);
}

static void test_table_truncated_header(void **state) {
        uint8_t t[8] = { 8, 0, 0, 0, 0, 2, 2, 0 };
        (void) state;
        assert_keel(parse_table(t, 7), KEEL_E_WIN_CERT_TRUNCATED);
        /* A complete 8-byte entry, then 3 stray bytes. */
        uint8_t u[11] = { 8, 0, 0, 0, 0, 2, 2, 0, 1, 2, 3 };
        assert_keel(parse_table(u, 11), KEEL_E_WIN_CERT_TRUNCATED);
}

static void test_table_bad_lengths(void **state) {
        uint8_t t[16] = {};
        (void) state;

        write_le32(t, 0);                     /* would never advance */
        assert_keel(parse_table(t, 16), KEEL_E_WIN_CERT_BAD_LENGTH);
        write_le32(t, 7);                     /* shorter than its header */
        assert_keel(parse_table(t, 16), KEEL_E_WIN_CERT_BAD_LENGTH);
        write_le32(t, 17);                    /* past the table */
        assert_keel(parse_table(t, 16), KEEL_E_WIN_CERT_BAD_LENGTH);
        write_le32(t, UINT32_MAX);            /* would wrap when padded */
        assert_keel(parse_table(t, 16), KEEL_E_WIN_CERT_BAD_LENGTH);
        write_le32(t, 8);                     /* fine, but the next one is zero */
        assert_keel(parse_table(t, 16), KEEL_E_WIN_CERT_BAD_LENGTH);
}

static void test_table_too_many(void **state) {
        uint8_t t[8 * (WIN_CERT_MAX_ENTRIES + 1)];
        (void) state;

        for (size_t i = 0; i < WIN_CERT_MAX_ENTRIES + 1; i++) {
                write_le32(t + 8 * i, 8);
                write_le16(t + 8 * i + 4, WIN_CERT_REVISION_2_0);
                write_le16(t + 8 * i + 6, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        }
        assert_keel(parse_table(t, sizeof(t) - 8), KEEL_OK);
        assert_int_equal(n_entries, WIN_CERT_MAX_ENTRIES);
        assert_keel(parse_table(t, sizeof(t)), KEEL_E_WIN_CERT_TOO_MANY);
}

/* ---- image hash ------------------------------------------------------------------ */

/* The specification's steps, written out plainly: concatenate the header
 * without CheckSum and the directory entry, the sections sorted by
 * PointerToRawData, and FILE_SIZE - (table + SUM_OF_BYTES_HASHED) bytes from
 * SUM_OF_BYTES_HASHED; hash the lot at once. */
static void reference_digest(const struct test_pe *t, uint32_t table_size, uint8_t out[32]) {
        uint8_t *buf = malloc(t->size), *p = buf;
        uint32_t ck = checksum_offset(t), dir = cert_dir_offset(t), sum = t->headers;
        unsigned order[PE_MAX_SECTIONS], n = 0;

        memcpy(p, t->data, ck);
        p += ck;
        memcpy(p, t->data + ck + 4, dir - ck - 4);
        p += dir - ck - 4;
        memcpy(p, t->data + dir + 8, t->headers - dir - 8);
        p += t->headers - dir - 8;
        for (unsigned i = 0; i < t->n_sections; i++) {
                unsigned j = n++;
                while (j > 0 && read_le32(tpe_section_header(t, order[j - 1]) + SH_RAW_OFFSET) >
                                        read_le32(tpe_section_header(t, i) + SH_RAW_OFFSET)) {
                        order[j] = order[j - 1];
                        j--;
                }
                order[j] = i;
        }
        for (unsigned k = 0; k < n; k++) {
                const uint8_t *h = tpe_section_header(t, order[k]);
                memcpy(p, t->data + read_le32(h + SH_RAW_OFFSET), read_le32(h + SH_RAW_SIZE));
                p += read_le32(h + SH_RAW_SIZE);
                sum += read_le32(h + SH_RAW_SIZE);
        }
        if (t->size > (size_t) sum + table_size) {
                memcpy(p, t->data + sum, t->size - table_size - sum);
                p += t->size - table_size - sum;
        }
        assert_int_equal(EVP_Digest(buf, (size_t) (p - buf), out, NULL, EVP_sha256(), NULL), 1);
        free(buf);
}

static void check_digest(const struct test_pe *t, uint32_t table_size) {
        uint8_t got[32], expected[32];
        struct pe_checksum c;

        assert_keel(lay(t), KEEL_OK);
        reference_digest(t, table_size, expected);
        assert_int_equal(authenticode_hash(t->data, &layout, 0, got, NULL), 0);
        assert_memory_equal(got, expected, 32);
        assert_int_equal(authenticode_hash(t->data, &layout, 0, got, &c), 0);
        assert_memory_equal(got, expected, 32);
        assert_int_equal(c.length, layout.image_end);

        /* Read from a file instead of memory: the same digest and sum. */
        {
                FILE *f = tmpfile();
                struct pe_checksum c2;
                assert_non_null(f);
                assert_int_equal(fwrite(t->data, 1, t->size, f), t->size);
                assert_int_equal(fflush(f), 0);
                assert_int_equal(authenticode_hash_fd(fileno(f), &layout, 0, got, &c2), 0);
                assert_memory_equal(got, expected, 32);
                assert_int_equal(pe_checksum_final(&c2), pe_checksum_final(&c));
                fclose(f);
        }
}

static void test_hash_matches_reference(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(5));
        (void) state;

        check_digest(&t, 0);
        tpe_append(&t, "some trailing bytes", 19);
        check_digest(&t, 0);
        tpe_free(&t);
}

/* Larger than one hashing chunk, sections listed out of file order. */
static void test_hash_large_sections(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        uint32_t big = 600 * 1024, raw = t.headers;
        uint8_t *p;
        (void) state;

        p = realloc(t.data, t.headers + 2 * big + 3);
        assert_non_null(p);
        t.data = p;
        for (size_t i = t.headers; i < t.headers + 2 * big + 3; i++)
                t.data[i] = (uint8_t) (i * 7 + (i >> 9));
        t.size = t.headers + 2 * big + 3;
        /* Section 1 first in the file, section 0 second, 3 trailing bytes. */
        write_le32(tpe_section_header(&t, 1) + SH_RAW_OFFSET, raw);
        write_le32(tpe_section_header(&t, 1) + SH_RAW_SIZE, big);
        write_le32(tpe_section_header(&t, 0) + SH_RAW_OFFSET, raw + big);
        write_le32(tpe_section_header(&t, 0) + SH_RAW_SIZE, big);
        check_digest(&t, 0);
        assert_true(layout.in_file_order);
        tpe_free(&t);
}

static void test_hash_gap(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        tpe_append(&t, (uint8_t[0x200]) { 1, 2, 3 }, 0x200);
        write_le32(tpe_section_header(&t, 0) + SH_RAW_OFFSET, t.headers + 0x200);
        check_digest(&t, 0);
        assert_false(layout.in_file_order);
        tpe_free(&t);
}

/* The checksum the hash pass collects leaves CheckSum and the directory entry
 * out: whatever they hold, the sum is that of the file with them zeroed. */
static void test_hash_checksum_ignores_fields(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        uint8_t digest[32];
        struct pe_checksum c;
        uint32_t expected;
        (void) state;

        tpe_append(&t, "abc", 3);
        write_le32(t.data + checksum_offset(&t), 0xdeadbeef);
        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, 0x12345678, 0);
        assert_keel(lay(&t), KEEL_OK);
        assert_int_equal(authenticode_hash(t.data, &layout, 5, digest, &c), 0);
        write_le32(t.data + checksum_offset(&t), 0);
        write_le32(t.data + cert_dir_offset(&t), 0);
        tpe_append(&t, "\0\0\0\0\0", 5);
        expected = pe_checksum_buffer(t.data, t.size, SIZE_MAX);
        assert_int_equal(pe_checksum_final(&c), expected);
        tpe_free(&t);
}

/* ---- signing and verifying -------------------------------------------------------- */

static struct signer signer, other;
static char tmpdir[] = "/tmp/keel-test-authenticode.XXXXXX";

static X509 *self_signed(EVP_PKEY *key, const char *cn) {
        X509 *x = X509_new();
        X509_NAME *name = X509_get_subject_name(x);

        X509_set_version(x, X509_VERSION_3);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) cn, -1, -1, 0);
        X509_set_issuer_name(x, name);
        X509_set_pubkey(x, key);
        assert_true(X509_sign(x, key, EVP_sha256()) > 0);
        return x;
}

static int setup_keys(void **state) {
        (void) state;
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/keel-test-authenticode.XXXXXX");
        signer.key = EVP_RSA_gen(2048);
        other.key = EVP_RSA_gen(2048);
        if (!signer.key || !other.key || !mkdtemp(tmpdir))
                return -1;
        signer.cert = self_signed(signer.key, "keel unit test");
        other.cert = self_signed(other.key, "someone else");
        return 0;
}

static int teardown_keys(void **state) {
        (void) state;
        signer_free(&signer);
        signer_free(&other);
        rmdir(tmpdir);
        return 0;
}

static char *tmp_path(const char *name) {
        static char path[2][256];
        static int which;
        which ^= 1;
        snprintf(path[which], sizeof(path[which]), "%s/%s", tmpdir, name);
        return path[which];
}

static void write_file(const char *path, const void *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, size), (ssize_t) size);
        close(fd);
}

/* Parses a signed file, checks its table and returns the verdict of its
 * signature number `which` against cert. */
static enum authenticode_verdict verify_file(const uint8_t *d, size_t n, size_t which, X509 *cert, size_t *ret_n) {
        struct authenticode_layout l;
        uint8_t digest[32];
        X509_STORE *store = authenticode_trust_store(&cert, 1);
        enum authenticode_verdict v;

        assert_non_null(store);
        assert_keel(authenticode_layout(d, n, n, &l), KEEL_OK);
        assert_true(l.cert_table_size > 0);
        assert_keel(win_certificate_parse(d + l.cert_table_offset, l.cert_table_size, entries, ARRAY_SIZE(entries),
                                          &n_entries),
                    KEEL_OK);
        if (ret_n)
                *ret_n = n_entries;
        assert_true(which < n_entries);
        assert_int_equal(authenticode_hash(d, &l, 0, digest, NULL), 0);
        v = authenticode_verify_blob(entries[which].data, entries[which].data_size, digest, store, NULL);
        X509_STORE_free(store);
        return v;
}

/* Signs an image with an odd size (padding needed) and an odd e_lfanew (the
 * directory entry and CheckSum straddle 16-bit words); the result must have
 * an aligned table at the end, the right checksum, and verify. */
static void test_sign_layout_checksum_verify(void **state) {
        struct pe_spec spec = PE_SPEC(2);
        struct test_pe t;
        uint8_t *d, expected[32];
        size_t n, unsigned_size;
        struct authenticode_layout l;
        (void) state;

        spec.header_slack = 8;
        t = tpe_build(spec);
        /* Move everything from the NT headers on one byte up. */
        memmove(t.data + TPE_LFANEW + 1, t.data + TPE_LFANEW, t.table + t.n_sections * PE_SECTION_HEADER_SIZE - TPE_LFANEW);
        write_le32(t.data + 0x3c, TPE_LFANEW + 1);
        t.opt++;
        t.table++;
        tpe_append(&t, "xyz", 3);
        unsigned_size = t.size;
        assert_keel(lay(&t), KEEL_OK);
        assert_int_equal(layout.cert_dir_offset % 2, 1);

        write_file(tmp_path("in.efi"), t.data, t.size);
        assert_int_equal(pe_sign_file(tmp_path("in.efi"), tmp_path("out.efi"), &signer, false), 0);
        d = slurp(tmp_path("out.efi"), &n);
        assert_non_null(d);

        assert_keel(authenticode_layout(d, n, n, &l), KEEL_OK);
        assert_int_equal(l.cert_table_offset, (unsigned_size + 7) & ~(size_t) 7);
        assert_int_equal(l.cert_table_offset % 8, 0);
        assert_int_equal(l.cert_table_size % 8, 0);
        assert_int_equal(l.cert_table_offset + l.cert_table_size, n);
        assert_memory_equal(d, t.data, checksum_offset(&t));       /* headers otherwise untouched */
        assert_memory_equal(d + l.cert_table_offset - 8, "xyz\0\0\0\0\0", 8); /* 5 bytes of padding */
        assert_int_equal(read_le32(d + checksum_offset(&t)), pe_checksum_buffer(d, n, checksum_offset(&t)));

        /* The padding counts as image data: the signed file's digest is the
         * unsigned one's with the zeros appended. */
        tpe_append(&t, "\0\0\0\0\0", 5);
        reference_digest(&t, 0, expected);
        {
                uint8_t got[32];
                assert_int_equal(authenticode_hash(d, &l, 0, got, NULL), 0);
                assert_memory_equal(got, expected, 32);
        }
        assert_int_equal(verify_file(d, n, 0, signer.cert, NULL), AUTHENTICODE_OK);
        assert_int_equal(verify_file(d, n, 0, other.cert, NULL), AUTHENTICODE_UNTRUSTED);

        /* Deterministic: signing again gives the same bytes. */
        assert_int_equal(pe_sign_file(tmp_path("in.efi"), tmp_path("again.efi"), &signer, false), 0);
        {
                size_t n2;
                uint8_t *d2 = slurp(tmp_path("again.efi"), &n2);
                assert_non_null(d2);
                assert_int_equal(n2, n);
                assert_memory_equal(d2, d, n);
                free(d2);
        }
        free(d);
        unlink(tmp_path("in.efi"));
        unlink(tmp_path("out.efi"));
        unlink(tmp_path("again.efi"));
        tpe_free(&t);
}

/* Signing a signed image adds an entry; --replace keeps only the new one. */
static void test_sign_twice_and_replace(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        uint8_t *d;
        size_t n, count;
        (void) state;

        write_file(tmp_path("in.efi"), t.data, t.size);
        assert_int_equal(pe_sign_file(tmp_path("in.efi"), tmp_path("one.efi"), &signer, false), 0);
        assert_int_equal(pe_sign_file(tmp_path("one.efi"), tmp_path("two.efi"), &other, false), 0);
        d = slurp(tmp_path("two.efi"), &n);
        assert_int_equal(verify_file(d, n, 0, signer.cert, &count), AUTHENTICODE_OK);
        assert_int_equal(count, 2);
        assert_int_equal(verify_file(d, n, 1, other.cert, NULL), AUTHENTICODE_OK);
        assert_int_equal(verify_file(d, n, 1, signer.cert, NULL), AUTHENTICODE_UNTRUSTED);
        free(d);

        assert_int_equal(pe_sign_file(tmp_path("two.efi"), tmp_path("three.efi"), &other, true), 0);
        d = slurp(tmp_path("three.efi"), &n);
        assert_int_equal(verify_file(d, n, 0, other.cert, &count), AUTHENTICODE_OK);
        assert_int_equal(count, 1);
        free(d);

        /* A flipped byte in a section breaks the digest. */
        d = slurp(tmp_path("one.efi"), &n);
        d[t.headers + 3] ^= 1;
        assert_int_equal(verify_file(d, n, 0, signer.cert, NULL), AUTHENTICODE_DIGEST_MISMATCH);
        free(d);
        unlink(tmp_path("in.efi"));
        unlink(tmp_path("one.efi"));
        unlink(tmp_path("two.efi"));
        unlink(tmp_path("three.efi"));
        tpe_free(&t);
}

/* Nothing is written when the input cannot be signed. */
static void test_sign_bad_input_leaves_nothing(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        write_file(tmp_path("text.efi"), "hello, not a PE", 15);
        assert_int_equal(pe_sign_file(tmp_path("text.efi"), tmp_path("out.efi"), &signer, false), -1);
        assert_int_equal(access(tmp_path("out.efi"), F_OK), -1);
        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, (uint32_t) t.size + 8, 8);
        write_file(tmp_path("badtable.efi"), t.data, t.size);
        assert_int_equal(pe_sign_file(tmp_path("badtable.efi"), tmp_path("out.efi"), &signer, false), -1);
        assert_int_equal(access(tmp_path("out.efi"), F_OK), -1);
        unlink(tmp_path("text.efi"));
        unlink(tmp_path("badtable.efi"));
        tpe_free(&t);
}

/* ---- the PKCS#7 verifier against hostile blobs ---------------------------------- */

static uint8_t *sig;
static size_t sig_size;
static uint8_t sig_digest[32];
static X509_STORE *store;

static int setup_blob(void **state) {
        if (setup_keys(state) < 0)
                return -1;
        for (size_t i = 0; i < 32; i++)
                sig_digest[i] = (uint8_t) (i * 9 + 1);
        if (authenticode_sign_digest(sig_digest, signer.key, signer.cert, &sig, &sig_size) < 0)
                return -1;
        store = authenticode_trust_store(&signer.cert, 1);
        return store ? 0 : -1;
}

static int teardown_blob(void **state) {
        OPENSSL_free(sig);
        X509_STORE_free(store);
        return teardown_keys(state);
}

static enum authenticode_verdict verify_copy(const uint8_t *der, size_t size, const uint8_t digest[32]) {
        uint8_t *copy = exact_copy(der, size);
        char *who = NULL;
        enum authenticode_verdict v = authenticode_verify_blob(copy, size, digest, store, &who);
        OPENSSL_free(who);
        free(copy);
        return v;
}

static void test_blob_valid(void **state) {
        char *who = NULL;
        (void) state;
        assert_int_equal(authenticode_verify_blob(sig, sig_size, sig_digest, store, &who), AUTHENTICODE_OK);
        assert_non_null(who);
        assert_string_equal(who, "/CN=keel unit test");
        OPENSSL_free(who);
}

static void test_blob_wrong_digest(void **state) {
        uint8_t d[32];
        (void) state;
        memcpy(d, sig_digest, 32);
        d[31] ^= 0x80;
        assert_int_equal(verify_copy(sig, sig_size, d), AUTHENTICODE_DIGEST_MISMATCH);
}

/* Every prefix of a valid blob is rejected without reading past it. */
static void test_blob_every_truncation(void **state) {
        (void) state;
        for (size_t n = 0; n < sig_size; n++)
                assert_int_not_equal(verify_copy(sig, n, sig_digest), AUTHENTICODE_OK);
}

/* Flipping any single byte never yields a valid signature: not in the
 * signed parts, and not in the fields PKCS#7 leaves unsigned but
 * Authenticode fixes (versions, algorithm identifiers). */
static void test_blob_every_flip(void **state) {
        uint8_t *copy = malloc(sig_size);
        (void) state;
        assert_non_null(copy);
        for (size_t i = 0; i < sig_size; i++) {
                memcpy(copy, sig, sig_size);
                copy[i] ^= 0x01;
                if (verify_copy(copy, sig_size, sig_digest) == AUTHENTICODE_OK) {
                        free(copy);
                        fail_msg("flipping byte %zu of %zu still verifies", i, sig_size);
                }
        }
        free(copy);
}

/* The signature value is the blob's last element: damaging it leaves a
 * well-formed blob whose signature fails. */
static void test_blob_bad_signature(void **state) {
        uint8_t *copy = exact_copy(sig, sig_size);
        (void) state;
        copy[sig_size - 1] ^= 0x01;
        assert_int_equal(verify_copy(copy, sig_size, sig_digest), AUTHENTICODE_BAD_SIGNATURE);
        free(copy);
}

/* A valid PKCS#7 signature over plain data is not Authenticode. */
static void test_blob_not_indirect_data(void **state) {
        BIO *in = BIO_new_mem_buf("hello", 5);
        PKCS7 *p7 = PKCS7_sign(signer.cert, signer.key, NULL, in, PKCS7_BINARY);
        uint8_t *der = NULL;
        int n;
        (void) state;

        assert_non_null(p7);
        n = i2d_PKCS7(p7, &der);
        assert_true(n > 0);
        assert_int_equal(verify_copy(der, (size_t) n, sig_digest), AUTHENTICODE_MALFORMED);
        OPENSSL_free(der);
        PKCS7_free(p7);
        BIO_free(in);
}

static void test_blob_garbage(void **state) {
        static const uint8_t junk[][8] = {
                { 0x30, 0x80, 0, 0, 0, 0, 0, 0 },             /* indefinite length, never closed */
                { 0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0, 0 }, /* 4 GiB SEQUENCE */
                { 0x06, 0x03, 0x2a, 0x03, 0x04, 0, 0, 0 },    /* an OID, not a SEQUENCE */
                { 0 },
        };
        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(junk); i++)
                assert_int_equal(verify_copy(junk[i], sizeof(junk[i]), sig_digest), AUTHENTICODE_MALFORMED);
}

int main(void) {
        const struct CMUnitTest layout_tests[] = {
                cmocka_unit_test(test_layout_unsigned),
                cmocka_unit_test(test_layout_trailing_data),
                cmocka_unit_test(test_layout_signed),
                cmocka_unit_test(test_layout_sorted_by_raw_offset),
                cmocka_unit_test(test_layout_gap),
                cmocka_unit_test(test_layout_zero_size_directory_is_unsigned),
                cmocka_unit_test(test_layout_cert_table_past_eof),
                cmocka_unit_test(test_layout_cert_table_size_past_eof),
                cmocka_unit_test(test_layout_cert_table_wraps),
                cmocka_unit_test(test_layout_cert_table_in_headers),
                cmocka_unit_test(test_layout_cert_table_over_section),
                cmocka_unit_test(test_layout_cert_table_not_last),
                cmocka_unit_test(test_layout_no_security_directory),
                cmocka_unit_test(test_layout_not_pe),
                cmocka_unit_test(test_layout_truncated),
                cmocka_unit_test(test_table_two_entries),
                cmocka_unit_test(test_table_empty),
                cmocka_unit_test(test_table_truncated_header),
                cmocka_unit_test(test_table_bad_lengths),
                cmocka_unit_test(test_table_too_many),
                cmocka_unit_test(test_hash_matches_reference),
                cmocka_unit_test(test_hash_large_sections),
                cmocka_unit_test(test_hash_gap),
                cmocka_unit_test(test_hash_checksum_ignores_fields),
        };
        const struct CMUnitTest sign_tests[] = {
                cmocka_unit_test(test_sign_layout_checksum_verify),
                cmocka_unit_test(test_sign_twice_and_replace),
                cmocka_unit_test(test_sign_bad_input_leaves_nothing),
        };
        const struct CMUnitTest blob_tests[] = {
                cmocka_unit_test(test_blob_valid),
                cmocka_unit_test(test_blob_wrong_digest),
                cmocka_unit_test(test_blob_every_truncation),
                cmocka_unit_test(test_blob_every_flip),
                cmocka_unit_test(test_blob_bad_signature),
                cmocka_unit_test(test_blob_not_indirect_data),
                cmocka_unit_test(test_blob_garbage),
        };
        int failed = cmocka_run_group_tests_name("authenticode layout, table, hash", layout_tests, NULL, NULL);
        failed += cmocka_run_group_tests_name("authenticode signing", sign_tests, setup_keys, teardown_keys);
        failed += cmocka_run_group_tests_name("authenticode verifier", blob_tests, setup_blob, teardown_blob);
        return failed;
}
