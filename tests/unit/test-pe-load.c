/* SPDX-License-Identifier: MIT */
/* keel's own PE loader (common/pe-load.c) against a small image built from
 * the PE/COFF specification (tests/unit/pe-builder.h) and against the real
 * kernels, then against one lie at a time in the headers and in the base
 * relocation table. The expected bytes after loading are computed here from
 * the file, not taken from the loader. */
#include "keel-test.h"
#include "pe-builder.h"

#include <glob.h>
#include <unistd.h>

#include "common/pe-load.h"

#define SH_POINTER_TO_RELOCATIONS 24
#define SH_NUMBER_OF_RELOCATIONS 32
#define OPT_IMAGE_BASE 24
#define OPT_DLL_CHARACTERISTICS 70

static struct pe_image pe;

enum { CODE, DATA, RELOC, N_SECTIONS };

static uint32_t va(const struct test_pe *t, unsigned i) {
        return read_le32(tpe_section_header(t, i) + SH_VIRTUAL_ADDRESS);
}

static uint32_t raw(const struct test_pe *t, unsigned i) {
        return read_le32(tpe_section_header(t, i) + SH_RAW_OFFSET);
}

static void set_characteristics(struct test_pe *t, unsigned i, uint32_t c) {
        write_le32(tpe_section_header(t, i) + SH_CHARACTERISTICS, c);
}

/* Writes a relocation table of n bytes into the .reloc section and points
 * the directory at it. */
static void set_relocs(struct test_pe *t, const uint8_t *table, uint32_t n) {
        assert_true(n <= tpe_content_size(RELOC));
        memset(t->data + raw(t, RELOC), 0, tpe_content_size(RELOC));
        memcpy(t->data + raw(t, RELOC), table, n);
        tpe_set_directory(t, PE_DIRECTORY_BASERELOC, va(t, RELOC), n);
}

/* A kernel-like image: code (the entry point), writable data, and a
 * relocation block with two DIR64 entries into the data and two ABSOLUTE
 * paddings. */
static struct test_pe build_image(void) {
        struct test_pe t = tpe_build(PE_SPEC(N_SECTIONS));
        uint8_t table[16];

        set_characteristics(&t, CODE, PE_SCN_CNT_CODE | PE_SCN_MEM_EXECUTE | PE_SCN_MEM_READ);
        set_characteristics(&t, DATA, PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ | PE_SCN_MEM_WRITE);
        write_le32(table, va(&t, DATA));
        write_le32(table + 4, sizeof(table));
        write_le16(table + 8, (PE_RELOC_DIR64 << 12) | 0x000);
        write_le16(table + 10, (PE_RELOC_DIR64 << 12) | 0x010);
        write_le16(table + 12, 0);
        write_le16(table + 14, 0);
        set_relocs(&t, table, sizeof(table));
        return t;
}

static int check(const struct test_pe *t, struct pe_load_info *info) {
        uint8_t *copy = exact_copy(t->data, t->size);
        int r = pe_parse_headers(copy, t->size, &pe);
        if (r == KEEL_OK)
                r = pe_load_check(&pe, copy, t->size, PE_MACHINE_X86_64, info);
        free(copy);
        return r;
}

static void test_load_and_relocate(void **state) {
        struct test_pe t = build_image();
        const uint64_t image_base = 0x140000000ull, load = 0x7f2000ull;
        struct pe_load_info info;
        uint8_t *dest;
        (void) state;

        write_le64(tpe_opt(&t) + OPT_IMAGE_BASE, image_base);
        assert_keel(check(&t, &info), KEEL_OK);
        assert_int_equal(info.image_base, image_base);
        assert_int_equal(info.size_of_image, t.image_size);
        assert_int_equal(info.alignment, 0x1000);
        assert_int_equal(info.entry_point, va(&t, CODE));
        assert_int_equal(info.reloc_rva, va(&t, RELOC));
        assert_int_equal(info.reloc_size, 16);
        assert_int_equal(info.reloc_file_offset, raw(&t, RELOC));
        assert_false(info.nx_compat);

        dest = malloc(t.image_size);
        memset(dest, 0xcc, t.image_size);
        assert_keel(pe_load_copy(&pe, &info, t.data, t.size, dest, t.image_size, load), KEEL_OK);
        assert_memory_equal(dest, t.data, t.headers);
        for (uint32_t b = t.headers; b < va(&t, CODE); b++)
                assert_int_equal(dest[b], 0);
        for (unsigned i = 0; i < N_SECTIONS; i++) {
                uint32_t size = tpe_content_size(i), end = i + 1 < N_SECTIONS ? va(&t, i + 1) : t.image_size;
                uint32_t patched[2] = { 0, 0x10 };

                for (uint32_t j = 0; j < size; j++) {
                        uint8_t want = t.data[raw(&t, i) + j];
                        if (i == DATA)
                                for (unsigned k = 0; k < 2; k++)
                                        if (j >= patched[k] && j < patched[k] + 8) {
                                                /* The file's 64-bit value plus load - ImageBase (mod 2^64). */
                                                uint64_t v = read_le64(t.data + raw(&t, i) + patched[k]) + (load - image_base);
                                                want = (uint8_t) (v >> (8 * (j - patched[k])));
                                        }
                        assert_int_equal(dest[va(&t, i) + j], want);
                }
                /* Past VirtualSize (the file-alignment padding): zero. */
                for (uint32_t j = va(&t, i) + size; j < end; j++)
                        assert_int_equal(dest[j], 0);
        }

        /* Loaded at its ImageBase, nothing changes. */
        assert_keel(pe_load_copy(&pe, &info, t.data, t.size, dest, t.image_size, image_base), KEEL_OK);
        for (unsigned i = 0; i < N_SECTIONS; i++)
                assert_memory_equal(dest + va(&t, i), t.data + raw(&t, i), tpe_content_size(i));

        /* A destination smaller than SizeOfImage is refused. */
        assert_keel(pe_load_copy(&pe, &info, t.data, t.size, dest, t.image_size - 1, load), KEEL_E_INVALID_ARGUMENT);
        free(dest);
        tpe_free(&t);
}

static void test_no_relocations(void **state) {
        struct test_pe t = build_image();
        struct pe_load_info info;
        uint8_t *dest;
        (void) state;

        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, 0, 0);
        assert_keel(check(&t, &info), KEEL_OK);
        assert_int_equal(info.reloc_size, 0);
        dest = malloc(t.image_size);
        assert_keel(pe_load_copy(&pe, &info, t.data, t.size, dest, t.image_size, 0x123000), KEEL_OK);
        for (unsigned i = 0; i < N_SECTIONS; i++)
                assert_memory_equal(dest + va(&t, i), t.data + raw(&t, i), tpe_content_size(i));
        free(dest);
        tpe_free(&t);

        /* Fewer than six data directories: no relocation directory at all. */
        struct pe_spec spec = PE_SPEC(1);
        spec.n_dirs = 5;
        t = tpe_build(spec);
        set_characteristics(&t, 0, PE_SCN_CNT_CODE | PE_SCN_MEM_EXECUTE | PE_SCN_MEM_READ);
        assert_keel(check(&t, &info), KEEL_OK);
        assert_int_equal(info.reloc_size, 0);
        tpe_free(&t);
}

static void test_protections(void **state) {
        struct test_pe t = build_image();
        struct pe_load_range ranges[PE_MAX_SECTIONS + 1];
        struct pe_load_info info;
        (void) state;

        assert_keel(check(&t, &info), KEEL_OK);
        assert_int_equal(pe_load_protections(&pe, &info, ranges), 0); /* not NX_COMPAT */

        write_le16(tpe_opt(&t) + OPT_DLL_CHARACTERISTICS, PE_DLL_NX_COMPAT);
        assert_keel(check(&t, &info), KEEL_OK);
        assert_true(info.nx_compat);
        assert_int_equal(pe_load_protections(&pe, &info, ranges), 1 + N_SECTIONS);
        assert_int_equal(ranges[0].rva, 0);
        assert_int_equal(ranges[0].size, 0x1000);
        assert_int_equal(ranges[0].protection, PE_PROTECT_READ_ONLY);
        assert_int_equal(ranges[1 + CODE].protection, PE_PROTECT_READ_EXEC);
        assert_int_equal(ranges[1 + DATA].protection, PE_PROTECT_READ_WRITE);
        assert_int_equal(ranges[1 + RELOC].protection, PE_PROTECT_READ_ONLY);
        for (unsigned i = 0; i < N_SECTIONS; i++) {
                assert_int_equal(ranges[1 + i].rva, va(&t, i));
                assert_int_equal(ranges[1 + i].size, 0x1000);
        }

        /* A section not on a page boundary: pages would hold two kinds. */
        write_le32(tpe_opt(&t) + PE_OPT_SECTION_ALIGNMENT, 0x200);
        write_le32(tpe_section_header(&t, RELOC) + SH_VIRTUAL_ADDRESS, va(&t, RELOC) - 0x200);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, va(&t, RELOC), 16);
        assert_keel(check(&t, &info), KEEL_OK);
        assert_int_equal(info.alignment, 0x1000); /* never below a page */
        assert_int_equal(pe_load_protections(&pe, &info, ranges), 0);

        /* W^X asked for, but a section is writable and executable. */
        tpe_free(&t);
        t = build_image();
        write_le16(tpe_opt(&t) + OPT_DLL_CHARACTERISTICS, PE_DLL_NX_COMPAT);
        set_characteristics(&t, CODE, PE_SCN_CNT_CODE | PE_SCN_MEM_EXECUTE | PE_SCN_MEM_READ | PE_SCN_MEM_WRITE);
        assert_keel(check(&t, &info), KEEL_E_PE_LOAD_WX_SECTION);
        write_le16(tpe_opt(&t) + OPT_DLL_CHARACTERISTICS, 0);
        assert_keel(check(&t, &info), KEEL_OK);
        tpe_free(&t);
}

static void test_bad_headers(void **state) {
        struct test_pe t;
        struct pe_load_info info;
        (void) state;

        t = build_image();
        write_le16(t.data + TPE_FILE_HEADER + FH_MACHINE, PE_MACHINE_AARCH64);
        assert_keel(check(&t, &info), KEEL_E_PE_WRONG_MACHINE);
        tpe_free(&t);

        t = build_image();
        write_le16(tpe_opt(&t) + PE_OPT_SUBSYSTEM, 11); /* boot service driver */
        assert_keel(check(&t, &info), KEEL_E_PE_LOAD_NOT_EFI_APPLICATION);
        tpe_free(&t);

        t = build_image();
        write_le32(tpe_opt(&t) + PE_OPT_SIZE_OF_IMAGE, t.image_size - 0x1000);
        assert_keel(check(&t, &info), KEEL_E_PE_SECTION_OUTSIDE_IMAGE);
        write_le32(tpe_opt(&t) + PE_OPT_SIZE_OF_IMAGE, PE_LOAD_MAX_IMAGE_SIZE + 0x1000);
        assert_keel(check(&t, &info), KEEL_E_PE_LOAD_IMAGE_TOO_LARGE);
        write_le32(tpe_opt(&t) + PE_OPT_SIZE_OF_IMAGE, PE_LOAD_MAX_IMAGE_SIZE);
        assert_keel(check(&t, &info), KEEL_OK);
        tpe_free(&t);

        t = build_image();
        write_le32(tpe_opt(&t) + PE_OPT_SECTION_ALIGNMENT, 4u << 20);
        assert_keel(check(&t, &info), KEEL_E_PE_LOAD_BAD_ALIGNMENT);
        write_le32(tpe_opt(&t) + PE_OPT_SECTION_ALIGNMENT, 64u << 10);
        assert_keel(check(&t, &info), KEEL_OK);
        assert_int_equal(info.alignment, 64u << 10);
        tpe_free(&t);

        t = build_image();
        write_le16(t.data + TPE_FILE_HEADER + FH_CHARACTERISTICS, 0x0207);
        assert_keel(check(&t, &info), KEEL_E_PE_LOAD_RELOCS_STRIPPED);
        tpe_free(&t);

        t = build_image();
        write_le32(tpe_section_header(&t, DATA) + SH_POINTER_TO_RELOCATIONS, raw(&t, DATA));
        assert_keel(check(&t, &info), KEEL_E_PE_LOAD_COFF_RELOCATIONS);
        write_le32(tpe_section_header(&t, DATA) + SH_POINTER_TO_RELOCATIONS, 0);
        write_le16(tpe_section_header(&t, DATA) + SH_NUMBER_OF_RELOCATIONS, 1);
        assert_keel(check(&t, &info), KEEL_E_PE_LOAD_COFF_RELOCATIONS);
        tpe_free(&t);

        /* A section's raw data past the end of the file. */
        t = build_image();
        write_le32(tpe_section_header(&t, RELOC) + SH_RAW_SIZE, 0x10000);
        assert_keel(check(&t, &info), KEEL_E_PE_SECTION_OUTSIDE_FILE);
        tpe_free(&t);
}

static void test_bad_entry_point(void **state) {
        const uint32_t entries[] = { 0, 0x10, 0x1000 - 1 };
        struct pe_load_info info;
        struct test_pe t = build_image();
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(entries); i++) {
                write_le32(tpe_opt(&t) + PE_OPT_ENTRY_POINT, entries[i]);
                assert_keel(check(&t, &info), KEEL_E_PE_LOAD_BAD_ENTRY_POINT);
        }
        /* In data, in the code section's zero-filled tail, past the image. */
        write_le32(tpe_opt(&t) + PE_OPT_ENTRY_POINT, va(&t, DATA));
        assert_keel(check(&t, &info), KEEL_E_PE_LOAD_BAD_ENTRY_POINT);
        write_le32(tpe_opt(&t) + PE_OPT_ENTRY_POINT, va(&t, CODE) + tpe_content_size(CODE));
        assert_keel(check(&t, &info), KEEL_E_PE_LOAD_BAD_ENTRY_POINT);
        write_le32(tpe_opt(&t) + PE_OPT_ENTRY_POINT, UINT32_MAX);
        assert_keel(check(&t, &info), KEEL_E_PE_LOAD_BAD_ENTRY_POINT);
        /* The last byte of code is fine. */
        write_le32(tpe_opt(&t) + PE_OPT_ENTRY_POINT, va(&t, CODE) + tpe_content_size(CODE) - 1);
        assert_keel(check(&t, &info), KEEL_OK);
        tpe_free(&t);
}

static void expect_table(const uint8_t *table, uint32_t n, int expected) {
        struct test_pe t = build_image();
        struct pe_load_info info;

        set_relocs(&t, table, n);
        assert_keel(check(&t, &info), expected);
        tpe_free(&t);
}

static void test_bad_relocations(void **state) {
        struct test_pe t = build_image();
        uint32_t image_size = t.image_size, data = va(&t, DATA);
        struct pe_load_info info;
        uint8_t b[32] = {};
        (void) state;

        /* Types other than DIR64: HIGH, LOW and HIGHLOW, which keel's
         * loader does not apply, and HIGHADJ, the arm/risc-v ones and the
         * reserved ones, which nothing in keel knows. */
        const unsigned unsupported[] = { 1, 2, 3 }, unknown[] = { 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15 };
        for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
                write_le32(b, data);
                write_le32(b + 4, 12);
                write_le16(b + 8, (uint16_t) ((unsupported[i] << 12) | 8));
                expect_table(b, 12, KEEL_E_PE_LOAD_RELOC_UNSUPPORTED);
        }
        for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
                write_le32(b, data);
                write_le32(b + 4, 12);
                write_le16(b + 8, (uint16_t) ((unknown[i] << 12) | 8));
                expect_table(b, 12, KEEL_E_PE_RELOC_UNKNOWN_TYPE);
        }

        /* A DIR64 whose 8 bytes end past SizeOfImage, or whose page is far out. */
        write_le32(b, image_size - 0x1000);
        write_le32(b + 4, 12);
        write_le16(b + 8, (PE_RELOC_DIR64 << 12) | 0xff9);
        expect_table(b, 12, KEEL_E_PE_LOAD_RELOC_OUTSIDE_IMAGE);
        write_le16(b + 8, (PE_RELOC_DIR64 << 12) | 0xff8);
        expect_table(b, 12, KEEL_OK);
        write_le32(b, UINT32_MAX - 0x10);
        write_le16(b + 8, (PE_RELOC_DIR64 << 12) | 0xfff);
        expect_table(b, 12, KEEL_E_PE_LOAD_RELOC_OUTSIDE_IMAGE);

        /* Block sizes: below the header, odd, past the table, a short tail. */
        const uint32_t sizes[] = { 0, 4, 7, 13, 24 };
        for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
                memset(b, 0, sizeof(b));
                write_le32(b, data);
                write_le32(b + 4, sizes[i]);
                expect_table(b, 16, KEEL_E_PE_RELOC_BAD_BLOCK);
        }
        memset(b, 0, sizeof(b));
        write_le32(b, data);
        write_le32(b + 4, 8);
        expect_table(b, 12, KEEL_E_PE_RELOC_BAD_BLOCK); /* 4 bytes after the block */
        expect_table(b, 8, KEEL_OK);                         /* one empty block */

        /* The table outside any section's initialised data. */
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, va(&t, RELOC) + tpe_content_size(RELOC) - 8, 16);
        assert_keel(check(&t, &info), KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, 0x40, 16); /* in the headers */
        assert_keel(check(&t, &info), KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, va(&t, RELOC), UINT32_MAX);
        assert_keel(check(&t, &info), KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, UINT32_MAX - 4, 16);
        assert_keel(check(&t, &info), KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        tpe_free(&t);
}

/* A relocation that overwrites the relocation table itself in memory does
 * not change what is applied next: the table is read from the file. */
static void test_relocation_hits_table(void **state) {
        struct test_pe t = build_image();
        struct pe_load_info info;
        uint8_t table[16], *dest;
        uint32_t reloc = va(&t, RELOC);
        (void) state;

        write_le32(table, reloc);
        write_le32(table + 4, 16);
        write_le16(table + 8, (PE_RELOC_DIR64 << 12) | 0x0); /* the block header itself */
        write_le16(table + 10, (PE_RELOC_DIR64 << 12) | 0x8); /* the entries */
        write_le16(table + 12, 0);
        write_le16(table + 14, 0);
        set_relocs(&t, table, sizeof(table));
        assert_keel(check(&t, &info), KEEL_OK);
        dest = malloc(t.image_size);
        assert_keel(pe_load_copy(&pe, &info, t.data, t.size, dest, t.image_size, 0x100000), KEEL_OK);
        assert_int_equal(read_le64(dest + reloc), read_le64(table) + 0x100000);
        assert_int_equal(read_le64(dest + reloc + 8), read_le64(table + 8) + 0x100000);
        free(dest);
        tpe_free(&t);
}

/* A real PE file: checks pass for its machine, and every section lands
 * where its header says. */
static void load_real(const char *path, uint16_t machine, bool want_relocs) {
        struct pe_load_info info;
        size_t size;
        uint8_t *file = slurp(path, &size), *dest;

        assert_non_null(file);
        assert_keel(pe_parse_headers(file, size, &pe), KEEL_OK);
        assert_keel(pe_load_check(&pe, file, size, machine, &info), KEEL_OK);
        assert_keel(pe_load_check(&pe, file, size, machine == PE_MACHINE_X86_64 ? PE_MACHINE_AARCH64 : PE_MACHINE_X86_64, &info),
                    KEEL_E_PE_WRONG_MACHINE);
        assert_keel(pe_load_check(&pe, file, size, machine, &info), KEEL_OK);
        assert_int_equal(info.reloc_size != 0, want_relocs);
        dest = malloc(info.size_of_image);
        assert_non_null(dest);
        assert_keel(pe_load_copy(&pe, &info, file, size, dest, info.size_of_image, info.image_base), KEEL_OK);
        assert_memory_equal(dest, file, pe.size_of_headers);
        for (size_t i = 0; i < pe.number_of_sections; i++) {
                const struct pe_section *s = &pe.sections[i];
                assert_memory_equal(dest + s->virtual_address, file + s->raw_offset, pe_section_file_size(s));
                for (uint32_t j = pe_section_file_size(s); j < s->virtual_size; j += 4093)
                        assert_int_equal(dest[s->virtual_address + j], 0);
        }
        free(dest);
        free(file);
}

static void test_real_images(void **state) {
        glob_t g;
        bool any = false;
        (void) state;

        if (access("build/keelx64.efi", R_OK) == 0) {
                load_real("build/keelx64.efi", PE_MACHINE_X86_64, true); /* gnu-efi's one padding block */
                any = true;
        }
        if (glob("/boot/vmlinuz-*-amd64", 0, NULL, &g) == 0) {
                for (size_t i = 0; i < g.gl_pathc; i++)
                        load_real(g.gl_pathv[i], PE_MACHINE_X86_64, false);
                any = true;
                globfree(&g);
        }
        if (glob("build/arm64/linux-image-*/boot/vmlinuz-*", 0, NULL, &g) == 0) {
                for (size_t i = 0; i < g.gl_pathc; i++)
                        load_real(g.gl_pathv[i], PE_MACHINE_AARCH64, false);
                any = true;
                globfree(&g);
        }
        if (!any) {
                printf("# no real PE images here, skipping\n");
                skip();
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_load_and_relocate),
                cmocka_unit_test(test_no_relocations),
                cmocka_unit_test(test_protections),
                cmocka_unit_test(test_bad_headers),
                cmocka_unit_test(test_bad_entry_point),
                cmocka_unit_test(test_bad_relocations),
                cmocka_unit_test(test_relocation_hits_table),
                cmocka_unit_test(test_real_images),
        };
        return cmocka_run_group_tests_name("pe-load", tests, NULL, NULL);
}
