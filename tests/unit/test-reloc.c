/* SPDX-License-Identifier: MIT */
/* Base relocations against the "file view equals memory view" rule
 * (common/pe.c: the table, its walk and where a fixup lands;
 * common/uki.c: uki_check_relocations()). A small image built from the
 * PE/COFF specification (tests/unit/pe-builder.h) gets one hostile table
 * at a time — fixups in UKI sections, at section edges, across two
 * sections, in the headers, on the table, of every type; blocks of bad
 * sizes; tables outside the image — each checked as a file and as the
 * firmware would have loaded it. The UKI section names are spelled out
 * here, from systemd's uki.h and keel's thin UKIs, not taken from keel. */
#include "keel-test.h"
#include "pe-builder.h"

#include "common/pe.h"
#include "common/uki.h"

#define KEEL_X64_PATH "build/keelx64.efi"
#define KEEL_AA64_PATH "build/keelaa64.efi"
#define SYSTEMD_STUB_PATH "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
#define SYSTEMD_BOOT_PATH "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

#define DIRECTORY_BASERELOC_OFFSET (TPE_OPT + PE_OPT_DATA_DIRECTORY + 5 * PE_DATA_DIRECTORY_SIZE)
#define TABLE_ROOM 64 /* bytes of the .reloc section the tests write tables into */

static struct pe_image pe;

/* A stub's code and data, its relocation table, then the section a test
 * aims at (named per test). */
enum { TEXT, DATA, RELOC, TARGET, N_SECTIONS };

static const char *const uki_names[] = {
        ".linux", ".osrel", ".cmdline", ".initrd", ".ucode",   ".splash", ".dtb",
        ".uname", ".sbat",  ".pcrsig",  ".pcrpkey", ".profile", ".tlinux", ".tinitrd",
};

static uint32_t va(const struct test_pe *t, unsigned i) {
        return read_le32(tpe_section_header(t, i) + SH_VIRTUAL_ADDRESS);
}

static uint32_t raw(const struct test_pe *t, unsigned i) {
        return read_le32(tpe_section_header(t, i) + SH_RAW_OFFSET);
}

static uint32_t end(const struct test_pe *t, unsigned i) {
        return va(t, i) + read_le32(tpe_section_header(t, i) + SH_VIRTUAL_SIZE);
}

/* Writes n bytes of table into .reloc and points the directory at them. */
static void set_table(struct test_pe *t, const uint8_t *table, uint32_t n) {
        assert_true(n <= TABLE_ROOM && TABLE_ROOM <= tpe_content_size(RELOC));
        memset(t->data + raw(t, RELOC), 0, TABLE_ROOM);
        memcpy(t->data + raw(t, RELOC), table, n);
        tpe_set_directory(t, PE_DIRECTORY_BASERELOC, va(t, RELOC), n);
}

/* One 12-byte block (as keel's and systemd-stub 252's .reloc): a fixup of
 * this type at rva, then an ABSOLUTE padding entry. */
static void set_fixup(struct test_pe *t, unsigned type, uint32_t rva) {
        uint8_t table[12] = {};

        write_le32(table, rva & ~0xfffu);
        write_le32(table + 4, sizeof(table));
        write_le16(table + 8, (uint16_t) (type << 12 | (rva & 0xfff)));
        set_table(t, table, sizeof(table));
}

static struct test_pe build(const char *target_name) {
        struct test_pe t = tpe_build(PE_SPEC(N_SECTIONS));

        tpe_set_name(&t, TEXT, ".text");
        tpe_set_name(&t, DATA, ".data");
        tpe_set_name(&t, RELOC, ".reloc");
        tpe_set_name(&t, TARGET, target_name);
        write_le32(tpe_section_header(&t, TEXT) + SH_CHARACTERISTICS,
                   PE_SCN_CNT_CODE | PE_SCN_MEM_EXECUTE | PE_SCN_MEM_READ);
        set_fixup(&t, PE_RELOC_ABSOLUTE, va(&t, TEXT)); /* padding only, as keel's own */
        return t;
}

/* The check on the file, from a heap block of exactly its size. */
static int check_file(const struct test_pe *t) {
        uint8_t *copy = exact_copy(t->data, t->size);
        int r = pe_parse_headers(copy, t->size, &pe);

        if (r == KEEL_OK)
                r = uki_check_relocations(&pe, copy, t->size, PE_VIEW_FILE);
        free(copy);
        return r;
}

/* The image as the firmware loads it, before it relocates: headers, then
 * each section's initialised bytes at its address, zeros elsewhere. */
static uint8_t *load(const struct test_pe *t) {
        struct pe_image p;
        uint8_t *image;

        assert_keel(pe_parse_headers(t->data, t->size, &p), KEEL_OK);
        image = calloc(1, p.size_of_image);
        assert_non_null(image);
        memcpy(image, t->data, p.size_of_headers);
        for (size_t i = 0; i < p.number_of_sections; i++) {
                const struct pe_section *s = &p.sections[i];
                memcpy(image + s->virtual_address, t->data + s->raw_offset, pe_section_file_size(s));
        }
        return image;
}

static int check_memory(const struct test_pe *t) {
        uint8_t *image = load(t);
        int r = pe_parse_headers(image, t->image_size, &pe);

        if (r == KEEL_OK)
                r = uki_check_relocations(&pe, image, t->image_size, PE_VIEW_MEMORY);
        free(image);
        return r;
}

/* The same verdict both ways: the file and the loaded image hold the same
 * table. */
#define assert_both(t, expected)                                                                    \
        do {                                                                                        \
                assert_keel(check_file(t), expected);                                               \
                assert_keel(check_memory(t), expected);                                             \
        } while (0)

static const struct {
        unsigned type;
        uint32_t width;
} known_types[] = {
        { PE_RELOC_HIGH, 2 },
        { PE_RELOC_LOW, 2 },
        { PE_RELOC_HIGHLOW, 4 },
        { PE_RELOC_DIR64, 8 },
};

/* ---- what stubs have ---------------------------------------------------- */

static void test_no_table(void **state) {
        struct test_pe t = build(".rodata");
        struct pe_spec spec = PE_SPEC(1);
        (void) state;

        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, 0, 0);
        assert_both(&t, KEEL_OK);
        /* An address but no size: no table either (EDK II's reading). */
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, va(&t, RELOC), 0);
        assert_both(&t, KEEL_OK);
        tpe_free(&t);

        /* Fewer than six data directories: no relocation directory at all. */
        spec.n_dirs = 5;
        t = tpe_build(spec);
        assert_both(&t, KEEL_OK);
        tpe_free(&t);
}

/* Fixups of every known type in the stub's own code, data and any other
 * section keel does not read: at the first byte and ending at the last. */
static void test_own_code_and_data(void **state) {
        const unsigned sections[] = { TEXT, DATA, TARGET };
        struct test_pe t = build(".rodata");
        (void) state;

        assert_both(&t, KEEL_OK);
        for (size_t i = 0; i < ARRAY_SIZE(known_types); i++)
                for (size_t k = 0; k < ARRAY_SIZE(sections); k++) {
                        set_fixup(&t, known_types[i].type, va(&t, sections[k]));
                        assert_both(&t, KEEL_OK);
                        set_fixup(&t, known_types[i].type, end(&t, sections[k]) - known_types[i].width);
                        assert_both(&t, KEEL_OK);
                }
        tpe_free(&t);
}

/* Several blocks, several entries, padding with any offset: all in .text
 * and .data. */
static void test_many_blocks(void **state) {
        struct test_pe t = build(".rodata");
        uint8_t table[32] = {};
        (void) state;

        write_le32(table, va(&t, TEXT));
        write_le32(table + 4, 16);
        write_le16(table + 8, PE_RELOC_DIR64 << 12 | 0x000);
        write_le16(table + 10, PE_RELOC_DIR64 << 12 | 0x0f8);
        write_le16(table + 12, PE_RELOC_ABSOLUTE << 12 | 0xabc);
        write_le16(table + 14, PE_RELOC_HIGHLOW << 12 | 0x010);
        write_le32(table + 16, va(&t, DATA));
        write_le32(table + 20, 12);
        write_le16(table + 24, PE_RELOC_LOW << 12 | 0x020);
        write_le16(table + 26, PE_RELOC_HIGH << 12 | 0x022);
        set_table(&t, table, 28);
        assert_both(&t, KEEL_OK);
        /* The same table with its last fixup moved into the target. */
        tpe_set_name(&t, TARGET, ".cmdline");
        write_le32(table + 16, va(&t, TARGET));
        set_table(&t, table, 28);
        assert_both(&t, KEEL_E_UKI_RELOC_CHANGES_SECTION);
        tpe_free(&t);
}

/* systemd-stub 252's table: one block of two ABSOLUTE entries whose page
 * (0x374a) lies between its headers and its first section. Padding changes
 * nothing, wherever its block points. */
static void test_padding_anywhere(void **state) {
        const uint32_t pages[] = { 0, 0x374a, 0x7fffff00, 0xfffff000, UINT32_MAX };
        struct test_pe t = build(".cmdline");
        uint8_t table[12] = {};
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(pages); i++) {
                write_le32(table, pages[i]);
                write_le32(table + 4, sizeof(table));
                write_le16(table + 8, 0x0fff);
                write_le16(table + 10, 0);
                set_table(&t, table, sizeof(table));
                assert_both(&t, KEEL_OK);
        }
        tpe_free(&t);
}

/* ---- UKI sections ------------------------------------------------------- */

/* Any byte of any well-known section, by every known type. */
static void test_uki_sections(void **state) {
        (void) state;

        for (size_t n = 0; n < ARRAY_SIZE(uki_names); n++) {
                struct test_pe t = build(uki_names[n]);

                for (size_t i = 0; i < ARRAY_SIZE(known_types); i++) {
                        uint32_t w = known_types[i].width;

                        set_fixup(&t, known_types[i].type, va(&t, TARGET));
                        assert_both(&t, KEEL_E_UKI_RELOC_CHANGES_SECTION);
                        set_fixup(&t, known_types[i].type, va(&t, TARGET) + 45);
                        assert_both(&t, KEEL_E_UKI_RELOC_CHANGES_SECTION);
                        set_fixup(&t, known_types[i].type, end(&t, TARGET) - w);
                        assert_both(&t, KEEL_E_UKI_RELOC_CHANGES_SECTION);
                }
                tpe_free(&t);
        }
}

/* Names that only look like UKI sections are the stub's own. */
static void test_near_names(void **state) {
        const char *names[] = { ".cmdlin", ".linux2", ".Linux", ".sdmagic", ".rodata", "cmdline", ".data" };
        (void) state;

        for (size_t n = 0; n < ARRAY_SIZE(names); n++) {
                struct test_pe t = build(names[n]);
                set_fixup(&t, PE_RELOC_DIR64, va(&t, TARGET));
                assert_both(&t, KEEL_OK);
                tpe_free(&t);
        }
}

/* A profile's own sections (after a .profile) are measured too. */
static void test_profile_sections(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(6));
        const char *names[] = { ".text", ".reloc", ".cmdline", ".profile", ".cmdline", ".profile" };
        uint8_t table[12] = {};
        (void) state;

        for (unsigned i = 0; i < 6; i++)
                tpe_set_name(&t, i, names[i]);
        write_le32(table + 4, sizeof(table));
        for (unsigned i = 2; i < 6; i++) {
                write_le32(table, va(&t, i));
                write_le16(table + 8, PE_RELOC_DIR64 << 12 | 0x8);
                memset(t.data + raw(&t, 1), 0, sizeof(table));
                memcpy(t.data + raw(&t, 1), table, sizeof(table));
                tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, va(&t, 1), sizeof(table));
                assert_both(&t, KEEL_E_UKI_RELOC_CHANGES_SECTION);
        }
        write_le32(table, va(&t, 0));
        memcpy(t.data + raw(&t, 1), table, sizeof(table));
        assert_both(&t, KEEL_OK);
        tpe_free(&t);
}

/* ---- where a fixup may not be -------------------------------------------- */

static void test_headers(void **state) {
        struct test_pe t = build(".rodata");
        (void) state;

        set_fixup(&t, PE_RELOC_DIR64, 0);
        assert_both(&t, KEEL_E_PE_RELOC_IN_HEADERS);
        set_fixup(&t, PE_RELOC_HIGH, 0x3c); /* e_lfanew */
        assert_both(&t, KEEL_E_PE_RELOC_IN_HEADERS);
        /* The relocation directory: in memory it would name another table. */
        set_fixup(&t, PE_RELOC_DIR64, DIRECTORY_BASERELOC_OFFSET);
        assert_both(&t, KEEL_E_PE_RELOC_IN_HEADERS);
        set_fixup(&t, PE_RELOC_HIGHLOW, t.table + TARGET * PE_SECTION_HEADER_SIZE + SH_VIRTUAL_ADDRESS);
        assert_both(&t, KEEL_E_PE_RELOC_IN_HEADERS);
        set_fixup(&t, PE_RELOC_DIR64, t.headers - 8);
        assert_both(&t, KEEL_E_PE_RELOC_IN_HEADERS);
        set_fixup(&t, PE_RELOC_DIR64, t.headers - 1); /* the last header byte and the gap after it */
        assert_both(&t, KEEL_E_PE_RELOC_IN_HEADERS);
        set_fixup(&t, PE_RELOC_LOW, t.headers); /* the gap between the headers and .text */
        assert_both(&t, KEEL_E_PE_RELOC_OUTSIDE_SECTIONS);
        tpe_free(&t);
}

static void test_section_edges(void **state) {
        struct test_pe t = build(".rodata");
        (void) state;

        assert_true(end(&t, TEXT) + 8 <= va(&t, DATA)); /* a gap after .text */
        for (size_t i = 0; i < ARRAY_SIZE(known_types); i++) {
                uint32_t w = known_types[i].width;
                unsigned type = known_types[i].type;

                /* One byte past the end, one byte before the start. */
                set_fixup(&t, type, end(&t, TEXT) - w + 1);
                assert_both(&t, KEEL_E_PE_RELOC_STRADDLES_SECTIONS);
                set_fixup(&t, type, va(&t, DATA) - 1);
                assert_both(&t, KEEL_E_PE_RELOC_STRADDLES_SECTIONS);
                /* Wholly in the gaps, after the last section, past the image. */
                set_fixup(&t, type, end(&t, TEXT));
                assert_both(&t, KEEL_E_PE_RELOC_OUTSIDE_SECTIONS);
                set_fixup(&t, type, va(&t, DATA) - w);
                assert_both(&t, KEEL_E_PE_RELOC_OUTSIDE_SECTIONS);
                set_fixup(&t, type, end(&t, TARGET));
                assert_both(&t, KEEL_E_PE_RELOC_OUTSIDE_SECTIONS);
                set_fixup(&t, type, t.image_size);
                assert_both(&t, KEEL_E_PE_RELOC_OUTSIDE_SECTIONS);
                set_fixup(&t, type, UINT32_MAX);
                assert_both(&t, KEEL_E_PE_RELOC_OUTSIDE_SECTIONS);
        }
        /* Past the stub's image is where keel uki build appends .cmdline. */
        set_fixup(&t, PE_RELOC_DIR64, t.image_size + 0x45);
        assert_both(&t, KEEL_E_PE_RELOC_OUTSIDE_SECTIONS);
        tpe_free(&t);
}

/* Two sections with no gap between them: a fixup across the boundary is
 * in neither wholly. */
static void test_straddles_two_sections(void **state) {
        const char *second[] = { ".data", ".cmdline" };
        (void) state;

        for (size_t n = 0; n < ARRAY_SIZE(second); n++) {
                struct test_pe t = build(".rodata");

                tpe_set_name(&t, DATA, second[n]);
                write_le32(tpe_section_header(&t, DATA) + SH_VIRTUAL_ADDRESS, end(&t, TEXT));
                assert_int_equal(va(&t, DATA), end(&t, TEXT));
                for (uint32_t back = 1; back < 8; back++) {
                        set_fixup(&t, PE_RELOC_DIR64, end(&t, TEXT) - back);
                        assert_both(&t, KEEL_E_PE_RELOC_STRADDLES_SECTIONS);
                }
                set_fixup(&t, PE_RELOC_HIGHLOW, end(&t, TEXT) - 2);
                assert_both(&t, KEEL_E_PE_RELOC_STRADDLES_SECTIONS);
                set_fixup(&t, PE_RELOC_HIGHLOW, end(&t, TEXT) - 4);
                assert_both(&t, KEEL_OK);
                set_fixup(&t, PE_RELOC_HIGHLOW, va(&t, DATA));
                assert_both(&t, n == 0 ? KEEL_OK : KEEL_E_UKI_RELOC_CHANGES_SECTION);
                tpe_free(&t);
        }
}

/* A fixup on the table would make it read, once applied, otherwise than
 * what the firmware applied; the rest of its section is plain data. */
static void test_table_itself(void **state) {
        struct test_pe t = build(".rodata");
        uint8_t table[16] = {};
        (void) state;

        write_le32(table, va(&t, RELOC));
        write_le32(table + 4, sizeof(table));
        write_le16(table + 8, PE_RELOC_DIR64 << 12 | 0x000); /* the block header */
        set_table(&t, table, sizeof(table));
        assert_both(&t, KEEL_E_PE_RELOC_CHANGES_TABLE);
        write_le16(table + 8, PE_RELOC_LOW << 12 | 0x00e); /* the last entry */
        set_table(&t, table, sizeof(table));
        assert_both(&t, KEEL_E_PE_RELOC_CHANGES_TABLE);
        write_le16(table + 8, PE_RELOC_DIR64 << 12 | 0x00f); /* its last byte and 7 after it */
        set_table(&t, table, sizeof(table));
        assert_both(&t, KEEL_E_PE_RELOC_CHANGES_TABLE);
        write_le16(table + 8, PE_RELOC_DIR64 << 12 | 0x010); /* right after it */
        set_table(&t, table, sizeof(table));
        assert_both(&t, KEEL_OK);
        tpe_free(&t);
}

/* ---- the table's own structure ------------------------------------------ */

static void test_bad_blocks(void **state) {
        const uint32_t sizes[] = { 0, 4, 7, 13, 24, UINT32_MAX };
        struct test_pe t = build(".rodata");
        uint8_t b[24] = {};
        (void) state;

        /* Below the header, odd, past the table. */
        for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
                memset(b, 0, sizeof(b));
                write_le32(b, va(&t, TEXT));
                write_le32(b + 4, sizes[i]);
                set_table(&t, b, 16);
                assert_both(&t, KEEL_E_PE_RELOC_BAD_BLOCK);
        }
        /* An empty block is fine; 4 bytes after it are no block. */
        memset(b, 0, sizeof(b));
        write_le32(b, va(&t, TEXT));
        write_le32(b + 4, 8);
        set_table(&t, b, 8);
        assert_both(&t, KEEL_OK);
        set_table(&t, b, 12);
        assert_both(&t, KEEL_E_PE_RELOC_BAD_BLOCK);
        set_table(&t, b, 2);
        assert_both(&t, KEEL_E_PE_RELOC_BAD_BLOCK);
        /* A second block that claims more than is left. */
        write_le32(b + 8, va(&t, DATA));
        write_le32(b + 12, 12);
        set_table(&t, b, 16);
        assert_both(&t, KEEL_E_PE_RELOC_BAD_BLOCK);
        set_table(&t, b, 20);
        assert_both(&t, KEEL_OK);
        tpe_free(&t);
}

/* Types keel does not know — HIGHADJ (its value is in the next entry), the
 * machine-specific and the reserved ones — are refused even in .text:
 * there is no telling what they change. The first problem in table order
 * is the one reported. */
static void test_unknown_types(void **state) {
        const unsigned unknown[] = { 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15 };
        struct test_pe t = build(".cmdline");
        uint8_t table[12] = {};
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
                set_fixup(&t, unknown[i], va(&t, TEXT) + 0x10);
                assert_both(&t, KEEL_E_PE_RELOC_UNKNOWN_TYPE);
        }
        write_le32(table, va(&t, TARGET));
        write_le32(table + 4, sizeof(table));
        write_le16(table + 8, 5u << 12 | 0x10);
        write_le16(table + 10, PE_RELOC_DIR64 << 12 | 0x10);
        set_table(&t, table, sizeof(table));
        assert_both(&t, KEEL_E_PE_RELOC_UNKNOWN_TYPE);
        write_le16(table + 8, PE_RELOC_DIR64 << 12 | 0x10);
        write_le16(table + 10, 5u << 12 | 0x10);
        set_table(&t, table, sizeof(table));
        assert_both(&t, KEEL_E_UKI_RELOC_CHANGES_SECTION);
        tpe_free(&t);
}

static void test_table_outside(void **state) {
        struct test_pe t = build(".rodata");
        uint8_t *image;
        uint32_t reloc_raw_size;
        (void) state;

        /* In the headers, past the section's data, spanning into the gap,
         * huge, at the top of the address space. */
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, 0x40, 12);
        assert_both(&t, KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, end(&t, RELOC) - 8, 12);
        assert_both(&t, KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, end(&t, RELOC), 12);
        assert_both(&t, KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, va(&t, RELOC), UINT32_MAX);
        assert_both(&t, KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, UINT32_MAX - 4, 12);
        assert_both(&t, KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, t.image_size, 12);
        assert_both(&t, KEEL_E_PE_RELOC_TABLE_OUTSIDE);

        /* In the zero-filled part of a section (VirtualSize past its raw
         * data): the firmware would read zeros that the file does not have. */
        reloc_raw_size = read_le32(tpe_section_header(&t, RELOC) + SH_RAW_SIZE);
        write_le32(tpe_section_header(&t, RELOC) + SH_VIRTUAL_SIZE, reloc_raw_size + 0x100);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, va(&t, RELOC) + reloc_raw_size, 12);
        assert_both(&t, KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        /* The same 12 bytes at the end of its raw data are fine. */
        write_le32(t.data + raw(&t, RELOC) + reloc_raw_size - 12, va(&t, TEXT));
        write_le32(t.data + raw(&t, RELOC) + reloc_raw_size - 8, 12);
        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, va(&t, RELOC) + reloc_raw_size - 12, 12);
        assert_both(&t, KEEL_OK);

        /* A loaded image shorter than the table's end. */
        image = load(&t);
        assert_keel(pe_parse_headers(image, t.image_size, &pe), KEEL_OK);
        assert_keel(uki_check_relocations(&pe, image, va(&t, RELOC) + reloc_raw_size - 1, PE_VIEW_MEMORY),
                    KEEL_E_PE_RELOC_TABLE_OUTSIDE);
        assert_keel(uki_check_relocations(&pe, image, va(&t, RELOC) + reloc_raw_size, PE_VIEW_MEMORY), KEEL_OK);
        free(image);
        tpe_free(&t);
}

/* The memory view reads the table at its address, not at its file offset. */
static void test_memory_view_reads_memory(void **state) {
        struct test_pe t = build(".cmdline");
        uint8_t *image, *copy;
        uint32_t entry;
        (void) state;

        set_fixup(&t, PE_RELOC_DIR64, va(&t, TEXT));
        image = load(&t);
        assert_keel(pe_parse_headers(image, t.image_size, &pe), KEEL_OK);
        assert_keel(uki_check_relocations(&pe, image, t.image_size, PE_VIEW_MEMORY), KEEL_OK);
        /* The loaded table's fixup moved into .cmdline: the file's is not. */
        entry = va(&t, RELOC);
        write_le32(image + entry, va(&t, TARGET));
        copy = exact_copy(image, t.image_size);
        assert_keel(uki_check_relocations(&pe, copy, t.image_size, PE_VIEW_MEMORY), KEEL_E_UKI_RELOC_CHANGES_SECTION);
        free(copy);
        free(image);
        assert_keel(check_file(&t), KEEL_OK);
        tpe_free(&t);
}

/* ---- the walk ------------------------------------------------------------ */

struct visits {
        struct pe_fixup seen[8];
        size_t n;
        size_t fail_at; /* return an error on this visit (SIZE_MAX: never) */
};

static int record(const struct pe_fixup *fixup, void *userdata) {
        struct visits *v = userdata;

        assert_true(v->n < ARRAY_SIZE(v->seen));
        v->seen[v->n] = *fixup;
        return v->n++ == v->fail_at ? KEEL_E_VALUE_TOO_LONG : KEEL_OK;
}

static void test_walk_order(void **state) {
        uint8_t table[24] = {};
        struct pe_relocations r = { .data = table, .rva = 0, .size = sizeof(table) };
        struct visits v = { .fail_at = SIZE_MAX };
        (void) state;

        write_le32(table, 0x5000);
        write_le32(table + 4, 16);
        write_le16(table + 8, PE_RELOC_DIR64 << 12 | 0x008);
        write_le16(table + 10, PE_RELOC_ABSOLUTE << 12 | 0x123);
        write_le16(table + 12, PE_RELOC_HIGHLOW << 12 | 0xffc);
        write_le16(table + 14, PE_RELOC_LOW << 12 | 0x000);
        /* A second block of 12 bytes where only 8 are left: the first one
         * is walked whole before the second is refused. */
        write_le32(table + 16, 0xfffff000);
        write_le32(table + 20, 12);
        assert_keel(pe_walk_relocations(&r, record, &v), KEEL_E_PE_RELOC_BAD_BLOCK);
        assert_int_equal(v.n, 3);

        /* An empty second block: the three fixups, in table order, padding
         * skipped. */
        write_le32(table + 20, 8);
        v = (struct visits) { .fail_at = SIZE_MAX };
        assert_keel(pe_walk_relocations(&r, record, &v), KEEL_OK);
        assert_int_equal(v.n, 3);
        assert_int_equal(v.seen[0].type, PE_RELOC_DIR64);
        assert_int_equal(v.seen[0].rva, 0x5008);
        assert_int_equal(v.seen[0].size, 8);
        assert_int_equal(v.seen[1].type, PE_RELOC_HIGHLOW);
        assert_int_equal(v.seen[1].rva, 0x5ffc);
        assert_int_equal(v.seen[1].size, 4);
        assert_int_equal(v.seen[2].type, PE_RELOC_LOW);
        assert_int_equal(v.seen[2].rva, 0x5000);
        assert_int_equal(v.seen[2].size, 2);

        /* The visitor's error stops the walk. */
        v = (struct visits) { .fail_at = 1 };
        assert_keel(pe_walk_relocations(&r, record, &v), KEEL_E_VALUE_TOO_LONG);
        assert_int_equal(v.n, 2);
}

/* The page and the offset add up in 64 bits. */
static void test_walk_high_rva(void **state) {
        uint8_t table[12] = {};
        struct pe_relocations r = { .data = table, .rva = 0, .size = sizeof(table) };
        struct visits v = { .fail_at = SIZE_MAX };
        (void) state;

        write_le32(table, UINT32_MAX);
        write_le32(table + 4, sizeof(table));
        write_le16(table + 8, PE_RELOC_HIGH << 12 | 0xfff);
        assert_keel(pe_walk_relocations(&r, record, &v), KEEL_OK);
        assert_int_equal(v.n, 1);
        assert_true(v.seen[0].rva == (uint64_t) UINT32_MAX + 0xfff);
}

/* ---- real binaries --------------------------------------------------------- */

static void check_real(const char *path) {
        size_t size;
        uint8_t *file = slurp(path, &size), *image;
        struct pe_relocations table;

        if (!file) {
                printf("# %s not here, skipping it\n", path);
                return;
        }
        assert_keel(pe_parse_headers(file, size, &pe), KEEL_OK);
        assert_keel(pe_find_relocations(&pe, file, size, PE_VIEW_FILE, &table), KEEL_OK);
        assert_int_equal(table.size, 12); /* gnu-efi's block: two ABSOLUTE entries */
        assert_keel(uki_check_relocations(&pe, file, size, PE_VIEW_FILE), KEEL_OK);
        assert_keel(uki_check_image_file(file, size), KEEL_OK);

        image = calloc(1, pe.size_of_image);
        assert_non_null(image);
        memcpy(image, file, pe.size_of_headers);
        for (size_t i = 0; i < pe.number_of_sections; i++)
                memcpy(image + pe.sections[i].virtual_address, file + pe.sections[i].raw_offset,
                       pe_section_file_size(&pe.sections[i]));
        assert_keel(uki_check_relocations(&pe, image, pe.size_of_image, PE_VIEW_MEMORY), KEEL_OK);
        free(image);
        free(file);
}

static void test_real_stubs(void **state) {
        (void) state;

        check_real(KEEL_X64_PATH);
        check_real(KEEL_AA64_PATH);
        check_real(SYSTEMD_STUB_PATH);
        check_real(SYSTEMD_BOOT_PATH);
}

/* The host tools' one check includes the relocations. */
static void test_image_file_check(void **state) {
        struct test_pe t = build(".cmdline");
        (void) state;

        assert_keel(uki_check_image_file(t.data, t.size), KEEL_OK);
        set_fixup(&t, PE_RELOC_DIR64, va(&t, TARGET) + 45);
        assert_keel(uki_check_image_file(t.data, t.size), KEEL_E_UKI_RELOC_CHANGES_SECTION);
        tpe_free(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_table),
                cmocka_unit_test(test_own_code_and_data),
                cmocka_unit_test(test_many_blocks),
                cmocka_unit_test(test_padding_anywhere),
                cmocka_unit_test(test_uki_sections),
                cmocka_unit_test(test_near_names),
                cmocka_unit_test(test_profile_sections),
                cmocka_unit_test(test_headers),
                cmocka_unit_test(test_section_edges),
                cmocka_unit_test(test_straddles_two_sections),
                cmocka_unit_test(test_table_itself),
                cmocka_unit_test(test_bad_blocks),
                cmocka_unit_test(test_unknown_types),
                cmocka_unit_test(test_table_outside),
                cmocka_unit_test(test_memory_view_reads_memory),
                cmocka_unit_test(test_walk_order),
                cmocka_unit_test(test_walk_high_rva),
                cmocka_unit_test(test_real_stubs),
                cmocka_unit_test(test_image_file_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
