/* SPDX-License-Identifier: MIT */
/* The PE reader against valid images and against every way the headers of a
 * hostile image can lie. Each hostile case corrupts one field of an otherwise
 * valid image and expects the error that names that field. */
#include "keel-test.h"
#include "pe-builder.h"

#include "common/pe.h"
#include "common/uki.h"

#define KEEL_EFI_PATH "build/keelx64.efi"
#define SYSTEMD_STUB_PATH "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
#define SYSTEMD_BOOT_PATH "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

static struct pe_image pe;

/* Parses the first len bytes of t from a heap block of exactly len bytes. */
static int parse_prefix(const struct test_pe *t, size_t len) {
        uint8_t *copy = exact_copy(t->data, len);
        int r = pe_parse_headers(copy, len, &pe);
        free(copy);
        return r;
}

static int parse(const struct test_pe *t) {
        return parse_prefix(t, t->size);
}

static void set_lfanew(struct test_pe *t, uint32_t v) {
        write_le32(t->data + 0x3c, v);
}

static void set_opt32(struct test_pe *t, unsigned offset, uint32_t v) {
        write_le32(tpe_opt(t) + offset, v);
}

static void set_section32(struct test_pe *t, unsigned i, unsigned field, uint32_t v) {
        write_le32(tpe_section_header(t, i) + field, v);
}

static uint32_t section32(const struct test_pe *t, unsigned i, unsigned field) {
        return read_le32(tpe_section_header(t, i) + field);
}

/* ---- valid images ------------------------------------------------------ */

static void test_valid_minimal(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        assert_keel(parse(&t), KEEL_OK);
        assert_int_equal(pe.machine, PE_MACHINE_X86_64);
        assert_int_equal(pe.number_of_sections, 1);
        assert_int_equal(pe.pe_offset, TPE_LFANEW);
        assert_int_equal(pe.optional_header_offset, TPE_OPT);
        assert_int_equal(pe.section_table_offset, t.table);
        assert_int_equal(pe.section_alignment, 0x1000);
        assert_int_equal(pe.file_alignment, 0x200);
        assert_int_equal(pe.size_of_headers, 0x200);
        assert_int_equal(pe.size_of_image, 0x2000);
        assert_int_equal(pe.entry_point, 0x1000);
        assert_int_equal(pe.subsystem, 10);
        assert_int_equal(pe.number_of_data_directories, 16);
        assert_int_equal(pe.data_directory_offset, TPE_OPT + PE_OPT_DATA_DIRECTORY);
        assert_string_equal(pe.sections[0].name, ".s0");
        assert_int_equal(pe.sections[0].virtual_size, 0x100);
        assert_int_equal(pe.sections[0].virtual_address, 0x1000);
        assert_int_equal(pe.sections[0].raw_size, 0x200);
        assert_int_equal(pe.sections[0].raw_offset, 0x200);
        assert_int_equal(pe.sections[0].characteristics, PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ);
        assert_int_equal(pe_section_file_size(&pe.sections[0]), 0x100);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_OK);
        assert_keel(pe_check_memory_layout(&pe, pe.size_of_image), KEEL_OK);
        assert_keel(pe_check_machine(&pe, PE_MACHINE_X86_64), KEEL_OK);
        tpe_free(&t);
}

/* The headers alone are enough to parse; the file layout check then needs
 * the real file size. */
static void test_valid_headers_only(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(3));
        (void) state;

        assert_keel(parse_prefix(&t, t.headers), KEEL_OK);
        assert_int_equal(pe.number_of_sections, 3);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.headers), KEEL_E_PE_SECTION_OUTSIDE_FILE);
        tpe_free(&t);
}

/* An image as the firmware lays it out in memory: every section at its
 * VirtualAddress, the buffer SizeOfImage long. */
static void test_valid_loaded_image(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(4));
        uint8_t *mem;
        (void) state;

        mem = calloc(1, t.image_size);
        assert_non_null(mem);
        memcpy(mem, t.data, t.headers);
        for (unsigned i = 0; i < 4; i++)
                memcpy(mem + section32(&t, i, SH_VIRTUAL_ADDRESS), t.data + section32(&t, i, SH_RAW_OFFSET),
                       section32(&t, i, SH_VIRTUAL_SIZE));
        assert_keel(pe_parse_headers(mem, t.image_size, &pe), KEEL_OK);
        assert_keel(pe_check_memory_layout(&pe, t.image_size), KEEL_OK);
        assert_int_equal(mem[pe.sections[3].virtual_address + 5], tpe_content_byte(3, 5));
        free(mem);
        tpe_free(&t);
}

/* ---- DOS header and signature ----------------------------------------- */

static void test_empty_buffer(void **state) {
        (void) state;
        assert_keel(pe_parse_headers("", 0, &pe), KEEL_E_PE_TRUNCATED_DOS_HEADER);
        assert_keel(pe_parse_headers(NULL, 0, &pe), KEEL_E_INVALID_ARGUMENT);
        assert_keel(pe_parse_headers("MZ", 2, NULL), KEEL_E_INVALID_ARGUMENT);
}

static void test_truncated_dos_header(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        assert_keel(parse_prefix(&t, 1), KEEL_E_PE_TRUNCATED_DOS_HEADER);
        assert_keel(parse_prefix(&t, PE_DOS_HEADER_SIZE - 1), KEEL_E_PE_TRUNCATED_DOS_HEADER);
        /* A whole DOS header gets past this check (and fails on e_lfanew). */
        assert_keel(parse_prefix(&t, PE_DOS_HEADER_SIZE), KEEL_E_PE_BAD_LFANEW);
        tpe_free(&t);
}

static void test_bad_dos_magic(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        memcpy(t.data, "ZM", 2);
        assert_keel(parse(&t), KEEL_E_PE_BAD_DOS_MAGIC);
        memcpy(t.data, "M\0", 2);
        assert_keel(parse(&t), KEEL_E_PE_BAD_DOS_MAGIC);
        memcpy(t.data, "\x7f" "ELF", 4);
        assert_keel(parse(&t), KEEL_E_PE_BAD_DOS_MAGIC);
        tpe_free(&t);
}

static void test_bad_lfanew(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        /* Past the end of the file, or too close to it for "PE\0\0". */
        set_lfanew(&t, (uint32_t) t.size);
        assert_keel(parse(&t), KEEL_E_PE_BAD_LFANEW);
        set_lfanew(&t, (uint32_t) t.size - 3);
        assert_keel(parse(&t), KEEL_E_PE_BAD_LFANEW);
        set_lfanew(&t, 0x7fffffff);
        assert_keel(parse(&t), KEEL_E_PE_BAD_LFANEW);
        /* Values that overflow when the header sizes are added to them. */
        set_lfanew(&t, 0xfffffff0);
        assert_keel(parse(&t), KEEL_E_PE_BAD_LFANEW);
        set_lfanew(&t, 0xffffffff);
        assert_keel(parse(&t), KEEL_E_PE_BAD_LFANEW);
        /* Inside the DOS header itself. */
        set_lfanew(&t, PE_DOS_HEADER_SIZE - 1);
        assert_keel(parse(&t), KEEL_E_PE_BAD_LFANEW);
        set_lfanew(&t, 0x3c);
        assert_keel(parse(&t), KEEL_E_PE_BAD_LFANEW);
        set_lfanew(&t, 0);
        assert_keel(parse(&t), KEEL_E_PE_BAD_LFANEW);
        tpe_free(&t);

        /* The last four bytes of the file hold a signature, but no file header
         * follows it. */
        t = tpe_build(PE_SPEC(1));
        memcpy(t.data + t.size - 4, "PE\0\0", 4);
        set_lfanew(&t, (uint32_t) t.size - 4);
        assert_keel(parse(&t), KEEL_E_PE_TRUNCATED_FILE_HEADER);
        tpe_free(&t);
}

static void test_bad_signature(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        memcpy(t.data + TPE_LFANEW, "PE\0\1", 4);
        assert_keel(parse(&t), KEEL_E_PE_BAD_SIGNATURE);
        memcpy(t.data + TPE_LFANEW, "NE\0\0", 4);
        assert_keel(parse(&t), KEEL_E_PE_BAD_SIGNATURE);
        memcpy(t.data + TPE_LFANEW, "pe\0\0", 4);
        assert_keel(parse(&t), KEEL_E_PE_BAD_SIGNATURE);
        tpe_free(&t);
}

static void test_truncated_file_header(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        assert_keel(parse_prefix(&t, TPE_FILE_HEADER), KEEL_E_PE_TRUNCATED_FILE_HEADER);
        assert_keel(parse_prefix(&t, TPE_FILE_HEADER + PE_FILE_HEADER_SIZE - 1), KEEL_E_PE_TRUNCATED_FILE_HEADER);
        assert_keel(parse_prefix(&t, TPE_FILE_HEADER + PE_FILE_HEADER_SIZE), KEEL_E_PE_TRUNCATED_OPTIONAL_HEADER);
        tpe_free(&t);
}

/* ---- optional header ---------------------------------------------------- */

static void test_truncated_optional_header(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        assert_keel(parse_prefix(&t, TPE_OPT + 2), KEEL_E_PE_TRUNCATED_OPTIONAL_HEADER);
        assert_keel(parse_prefix(&t, t.table - 1), KEEL_E_PE_TRUNCATED_OPTIONAL_HEADER);
        /* A SizeOfOptionalHeader larger than the whole file. */
        write_le16(t.data + TPE_FILE_HEADER + FH_SIZE_OF_OPTIONAL_HEADER, 0xffff);
        assert_keel(parse(&t), KEEL_E_PE_TRUNCATED_OPTIONAL_HEADER);
        tpe_free(&t);
}

static void test_not_pe32_plus(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        (void) state;

        write_le16(tpe_opt(&t), 0x10b); /* PE32 */
        assert_keel(parse(&t), KEEL_E_PE_NOT_PE32_PLUS);
        write_le16(tpe_opt(&t), 0x107); /* ROM image */
        assert_keel(parse(&t), KEEL_E_PE_NOT_PE32_PLUS);
        write_le16(tpe_opt(&t), 0x0000);
        assert_keel(parse(&t), KEEL_E_PE_NOT_PE32_PLUS);
        tpe_free(&t);
}

static void test_bad_optional_header_size(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(1));
        uint8_t *size_field = t.data + TPE_FILE_HEADER + FH_SIZE_OF_OPTIONAL_HEADER;
        (void) state;

        write_le16(size_field, PE32_PLUS_OPTIONAL_HEADER_FIXED_SIZE - 1);
        assert_keel(parse(&t), KEEL_E_PE_BAD_OPTIONAL_HEADER_SIZE);
        write_le16(size_field, 0);
        assert_keel(parse(&t), KEEL_E_PE_BAD_OPTIONAL_HEADER_SIZE);
        tpe_free(&t);

        /* More data directories than the optional header has room for. */
        t = tpe_build(PE_SPEC(1));
        set_opt32(&t, PE_OPT_NUMBER_OF_RVA_AND_SIZES, 17);
        assert_keel(parse(&t), KEEL_E_PE_BAD_OPTIONAL_HEADER_SIZE);
        set_opt32(&t, PE_OPT_NUMBER_OF_RVA_AND_SIZES, 0xffffffff);
        assert_keel(parse(&t), KEEL_E_PE_BAD_OPTIONAL_HEADER_SIZE);
        set_opt32(&t, PE_OPT_NUMBER_OF_RVA_AND_SIZES, 0x20000000); /* * 8 wraps to 0 in 32 bits */
        assert_keel(parse(&t), KEEL_E_PE_BAD_OPTIONAL_HEADER_SIZE);
        /* Fewer than there is room for is fine. */
        set_opt32(&t, PE_OPT_NUMBER_OF_RVA_AND_SIZES, 15);
        assert_keel(parse(&t), KEEL_OK);
        assert_int_equal(pe.number_of_data_directories, 15);
        tpe_free(&t);

        /* The smallest PE32+ optional header: no data directories at all. */
        t = tpe_build((struct pe_spec) { .n_sections = 1, .n_dirs = 0, .file_alignment = 0x200,
                                         .section_alignment = 0x1000, .machine = PE_MACHINE_X86_64 });
        assert_keel(parse(&t), KEEL_OK);
        assert_int_equal(pe.number_of_data_directories, 0);
        set_opt32(&t, PE_OPT_NUMBER_OF_RVA_AND_SIZES, 1);
        assert_keel(parse(&t), KEEL_E_PE_BAD_OPTIONAL_HEADER_SIZE);
        tpe_free(&t);
}

static void test_bad_alignment(void **state) {
        static const struct {
                uint32_t file_alignment, section_alignment;
        } bad[] = {
                { 0, 0x1000 },       /* zero */
                { 0x200, 0 },
                { 0, 0 },
                { 0x300, 0x1000 },   /* not a power of two */
                { 0x200, 0x1800 },
                { 0x201, 0x1000 },
                { 0x200, 0x100 },    /* sections aligned less strictly than the file */
                { 0x1000, 0x800 },
        };
        struct test_pe t = tpe_build(PE_SPEC(2));
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                set_opt32(&t, PE_OPT_FILE_ALIGNMENT, bad[i].file_alignment);
                set_opt32(&t, PE_OPT_SECTION_ALIGNMENT, bad[i].section_alignment);
                assert_keel(parse(&t), KEEL_E_PE_BAD_ALIGNMENT);
        }
        tpe_free(&t);

        /* Equal alignments are allowed (small images use 0x200 for both). */
        t = tpe_build((struct pe_spec) { .n_sections = 2, .n_dirs = 16, .file_alignment = 0x200,
                                         .section_alignment = 0x200, .machine = PE_MACHINE_X86_64 });
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_OK);
        tpe_free(&t);
}

/* ---- section table -------------------------------------------------------- */

static void test_no_sections(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(0));
        (void) state;

        assert_keel(parse(&t), KEEL_E_PE_NO_SECTIONS);
        tpe_free(&t);

        t = tpe_build(PE_SPEC(2));
        write_le16(t.data + TPE_FILE_HEADER + FH_NUMBER_OF_SECTIONS, 0);
        assert_keel(parse(&t), KEEL_E_PE_NO_SECTIONS);
        tpe_free(&t);
}

static void test_too_many_sections(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(PE_MAX_SECTIONS));
        (void) state;

        /* 96 is the limit and is accepted, every entry read. */
        assert_keel(parse(&t), KEEL_OK);
        assert_int_equal(pe.number_of_sections, 96);
        assert_string_equal(pe.sections[95].name, ".s95");
        assert_int_equal(pe.sections[95].raw_offset, section32(&t, 95, SH_RAW_OFFSET));
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_OK);

        write_le16(t.data + TPE_FILE_HEADER + FH_NUMBER_OF_SECTIONS, 97);
        assert_keel(parse(&t), KEEL_E_PE_TOO_MANY_SECTIONS);
        write_le16(t.data + TPE_FILE_HEADER + FH_NUMBER_OF_SECTIONS, 0xffff);
        assert_keel(parse(&t), KEEL_E_PE_TOO_MANY_SECTIONS);
        tpe_free(&t);
}

static void test_section_table_truncated(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        (void) state;

        /* The buffer ends one byte before the end of the table... */
        assert_keel(parse_prefix(&t, t.table + 2 * PE_SECTION_HEADER_SIZE - 1), KEEL_E_PE_SECTION_TABLE_TRUNCATED);
        /* ...or NumberOfSections claims more entries than the file holds. */
        write_le16(t.data + TPE_FILE_HEADER + FH_NUMBER_OF_SECTIONS, 90);
        assert_keel(parse_prefix(&t, t.headers), KEEL_E_PE_SECTION_TABLE_TRUNCATED);
        tpe_free(&t);
}

static void test_bad_size_of_headers(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        uint32_t table_end = t.table + 2 * PE_SECTION_HEADER_SIZE;
        (void) state;

        /* Smaller than the section table. */
        set_opt32(&t, PE_OPT_SIZE_OF_HEADERS, table_end - 1);
        assert_keel(parse(&t), KEEL_E_PE_BAD_HEADERS_SIZE);
        set_opt32(&t, PE_OPT_SIZE_OF_HEADERS, 0);
        assert_keel(parse(&t), KEEL_E_PE_BAD_HEADERS_SIZE);
        /* Exactly the end of the table is enough. */
        set_opt32(&t, PE_OPT_SIZE_OF_HEADERS, table_end);
        assert_keel(parse(&t), KEEL_OK);
        /* Larger than the image. */
        set_opt32(&t, PE_OPT_SIZE_OF_HEADERS, t.image_size + 1);
        assert_keel(parse(&t), KEEL_E_PE_BAD_HEADERS_SIZE);
        set_opt32(&t, PE_OPT_SIZE_OF_HEADERS, 0xffffffff);
        assert_keel(parse(&t), KEEL_E_PE_BAD_HEADERS_SIZE);
        tpe_free(&t);
}

static void test_section_below_headers(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        (void) state;

        set_section32(&t, 0, SH_VIRTUAL_ADDRESS, t.headers - 1);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_BELOW_HEADERS);
        set_section32(&t, 1, SH_VIRTUAL_ADDRESS, 0);
        set_section32(&t, 0, SH_VIRTUAL_ADDRESS, 0x1000);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_BELOW_HEADERS);
        /* Right after the headers is fine. */
        set_section32(&t, 0, SH_VIRTUAL_ADDRESS, t.headers);
        set_section32(&t, 1, SH_VIRTUAL_ADDRESS, 0x1000);
        assert_keel(parse(&t), KEEL_OK);
        tpe_free(&t);
}

static void test_sections_overlap_in_memory(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(3));
        uint32_t va0 = section32(&t, 0, SH_VIRTUAL_ADDRESS), size0 = section32(&t, 0, SH_VIRTUAL_SIZE);
        uint32_t va2 = section32(&t, 2, SH_VIRTUAL_ADDRESS);
        (void) state;

        /* Last byte of section 0 shared with section 1. */
        set_section32(&t, 1, SH_VIRTUAL_ADDRESS, va0 + size0 - 1);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_OVERLAP);
        /* Touching is not overlapping. */
        set_section32(&t, 1, SH_VIRTUAL_ADDRESS, va0 + size0);
        assert_keel(parse(&t), KEEL_OK);
        /* Same address as an earlier section, in either table order. */
        set_section32(&t, 2, SH_VIRTUAL_ADDRESS, va0);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_OVERLAP);
        set_section32(&t, 2, SH_VIRTUAL_ADDRESS, va2);
        set_section32(&t, 0, SH_VIRTUAL_ADDRESS, va2 + 0x10);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_OVERLAP);
        /* One section inside another. */
        set_section32(&t, 0, SH_VIRTUAL_ADDRESS, va0);
        set_section32(&t, 0, SH_VIRTUAL_SIZE, 0x3000);
        set_section32(&t, 1, SH_VIRTUAL_ADDRESS, va0 + 0x1000);
        set_section32(&t, 1, SH_VIRTUAL_SIZE, 0x10);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_OVERLAP);
        tpe_free(&t);
}

/* EDK II copies SizeOfRawData bytes of a section whose VirtualSize is 0 to
 * its VirtualAddress, while every reader of the file sees an empty section:
 * the attack that overwrote a signed .cmdline in memory. */
static void test_section_hidden_data(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(3));
        uint32_t va0 = section32(&t, 0, SH_VIRTUAL_ADDRESS);
        (void) state;

        set_section32(&t, 2, SH_VIRTUAL_SIZE, 0);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_HIDDEN_DATA);
        /* Placed over an earlier section: the same refusal, whatever the order. */
        set_section32(&t, 2, SH_VIRTUAL_ADDRESS, va0);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_HIDDEN_DATA);
        set_section32(&t, 0, SH_VIRTUAL_SIZE, 0);
        set_section32(&t, 2, SH_VIRTUAL_SIZE, 0x10);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_HIDDEN_DATA);
        tpe_free(&t);

        /* A section that is empty both in the file and in memory is harmless. */
        t = tpe_build(PE_SPEC(3));
        set_section32(&t, 1, SH_VIRTUAL_SIZE, 0);
        set_section32(&t, 1, SH_RAW_SIZE, 0);
        set_section32(&t, 1, SH_RAW_OFFSET, 0);
        assert_keel(parse(&t), KEEL_OK);
        assert_int_equal(pe_section_memory_size(&pe.sections[1]), 0);
        tpe_free(&t);
}

/* What a section occupies in memory is VirtualSize, also when its raw data
 * (padded to FileAlignment) is longer: systemd-boot 252 packs .sdmagic and
 * .sbat 0x40 bytes apart with 0x200 bytes of raw data each. */
static void test_section_memory_size(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        uint32_t va0 = section32(&t, 0, SH_VIRTUAL_ADDRESS), size0 = section32(&t, 0, SH_VIRTUAL_SIZE);
        (void) state;

        assert_true(section32(&t, 0, SH_RAW_SIZE) > size0);
        set_section32(&t, 1, SH_VIRTUAL_ADDRESS, va0 + size0);
        assert_keel(parse(&t), KEEL_OK);
        assert_int_equal(pe_section_memory_size(&pe.sections[0]), size0);
        /* More memory than file data: VirtualSize, zero-filled by the loader. */
        set_section32(&t, 0, SH_RAW_SIZE, 0x80);
        assert_keel(parse(&t), KEEL_OK);
        assert_int_equal(pe_section_memory_size(&pe.sections[0]), size0);
        tpe_free(&t);
}

/* Images list their sections in ascending address order (PE/COFF
 * specification); out of order, a loader that copies whole raw sections
 * could let padding of one overwrite the start of another. */
static void test_sections_not_ascending(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(3));
        uint32_t va0 = section32(&t, 0, SH_VIRTUAL_ADDRESS), va1 = section32(&t, 1, SH_VIRTUAL_ADDRESS);
        (void) state;

        set_section32(&t, 0, SH_VIRTUAL_ADDRESS, va1);
        set_section32(&t, 1, SH_VIRTUAL_ADDRESS, va0);
        assert_keel(parse(&t), KEEL_E_PE_SECTIONS_NOT_ASCENDING);
        /* An empty section does not take part in the order. */
        set_section32(&t, 0, SH_VIRTUAL_ADDRESS, va0);
        set_section32(&t, 1, SH_VIRTUAL_SIZE, 0);
        set_section32(&t, 1, SH_RAW_SIZE, 0);
        set_section32(&t, 1, SH_RAW_OFFSET, 0);
        set_section32(&t, 1, SH_VIRTUAL_ADDRESS, t.headers);
        assert_keel(parse(&t), KEEL_OK);
        tpe_free(&t);
}

static void test_section_size_overflow(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        (void) state;

        /* VirtualAddress + VirtualSize does not fit in 32 bits... */
        set_section32(&t, 1, SH_VIRTUAL_ADDRESS, 0xfffff000);
        set_section32(&t, 1, SH_VIRTUAL_SIZE, 0x1000);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_SIZE_OVERFLOW);
        set_section32(&t, 1, SH_VIRTUAL_SIZE, 0xffffffff);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_SIZE_OVERFLOW);
        /* ...while ending exactly at 4 GiB - 1 does, and is simply outside the image. */
        set_section32(&t, 1, SH_VIRTUAL_SIZE, 0xfff);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_OUTSIDE_IMAGE);
        tpe_free(&t);

        /* PointerToRawData + SizeOfRawData does not fit in 32 bits. */
        t = tpe_build(PE_SPEC(2));
        set_section32(&t, 1, SH_RAW_OFFSET, 0xfffffe00);
        set_section32(&t, 1, SH_RAW_SIZE, 0x200);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_SIZE_OVERFLOW);
        set_section32(&t, 1, SH_RAW_OFFSET, 0x200);
        set_section32(&t, 1, SH_RAW_SIZE, 0xffffffff);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_SIZE_OVERFLOW);
        /* Without the overflow the headers parse; the data is past the end of the file. */
        set_section32(&t, 1, SH_RAW_OFFSET, 0xfffffe00);
        set_section32(&t, 1, SH_RAW_SIZE, 0x1ff);
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_E_PE_SECTION_OUTSIDE_FILE);
        assert_keel(pe_check_file_layout(&pe, UINT64_MAX), KEEL_OK);
        tpe_free(&t);
}

static void test_section_outside_image(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(3));
        uint32_t end = section32(&t, 2, SH_VIRTUAL_ADDRESS) + section32(&t, 2, SH_VIRTUAL_SIZE);
        (void) state;

        set_opt32(&t, PE_OPT_SIZE_OF_IMAGE, end - 1);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_OUTSIDE_IMAGE);
        set_opt32(&t, PE_OPT_SIZE_OF_IMAGE, end);
        assert_keel(parse(&t), KEEL_OK);
        /* A section starting beyond SizeOfImage. */
        set_section32(&t, 0, SH_VIRTUAL_ADDRESS, 0x100000);
        assert_keel(parse(&t), KEEL_E_PE_SECTION_OUTSIDE_IMAGE);
        tpe_free(&t);
}

/* ---- file layout ------------------------------------------------------------ */

static void test_file_layout_past_eof(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(3));
        (void) state;

        assert_keel(parse(&t), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.size - 1), KEEL_E_PE_SECTION_OUTSIDE_FILE);
        assert_keel(pe_check_file_layout(&pe, 0), KEEL_E_PE_BAD_HEADERS_SIZE);
        assert_keel(pe_check_file_layout(&pe, t.headers - 1), KEEL_E_PE_BAD_HEADERS_SIZE);
        /* A section in the middle that points past the end. */
        set_section32(&t, 1, SH_RAW_OFFSET, (uint32_t) t.size);
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_E_PE_SECTION_OUTSIDE_FILE);
        tpe_free(&t);
}

static void test_file_layout_below_headers(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        (void) state;

        set_section32(&t, 0, SH_RAW_OFFSET, t.headers - 0x10);
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_E_PE_SECTION_BELOW_HEADERS);
        set_section32(&t, 0, SH_RAW_OFFSET, 0);
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_E_PE_SECTION_BELOW_HEADERS);
        tpe_free(&t);
}

static void test_file_layout_overlap(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(3));
        uint32_t raw0 = section32(&t, 0, SH_RAW_OFFSET), size0 = section32(&t, 0, SH_RAW_SIZE);
        (void) state;

        set_section32(&t, 1, SH_RAW_OFFSET, raw0 + size0 - 1);
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.size + 0x1000), KEEL_E_PE_SECTION_OVERLAP);
        set_section32(&t, 1, SH_RAW_OFFSET, raw0 + size0);
        /* Two sections sharing the same bytes, found whatever the table order. */
        set_section32(&t, 2, SH_RAW_OFFSET, raw0);
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_E_PE_SECTION_OVERLAP);
        set_section32(&t, 2, SH_RAW_OFFSET, section32(&t, 1, SH_RAW_OFFSET) + 0x100);
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_E_PE_SECTION_OVERLAP);
        tpe_free(&t);
}

/* Uninitialized data (.bss) has no file data; PointerToRawData is then zero. */
static void test_file_layout_no_raw_data(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        (void) state;

        set_section32(&t, 1, SH_RAW_OFFSET, 0);
        set_section32(&t, 1, SH_RAW_SIZE, 0);
        assert_keel(parse(&t), KEEL_OK);
        assert_int_equal(pe_section_file_size(&pe.sections[1]), 0);
        assert_keel(pe_check_file_layout(&pe, t.size), KEEL_OK);
        tpe_free(&t);
}

/* The loaded image must cover the headers and every section: EDK II's
 * ImageSize is SizeOfImage, U-Boot's the end of the last section (issue 24:
 * keel refused to run under U-Boot). */
static void test_memory_layout(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        uint32_t last_end;
        (void) state;

        assert_keel(parse(&t), KEEL_OK);
        last_end = pe.sections[1].virtual_address + pe.sections[1].virtual_size;
        assert_true(last_end < t.image_size);
        assert_keel(pe_check_memory_layout(&pe, t.image_size), KEEL_OK);
        assert_keel(pe_check_memory_layout(&pe, UINT64_MAX), KEEL_OK);
        assert_keel(pe_check_memory_layout(&pe, last_end), KEEL_OK);
        assert_keel(pe_check_memory_layout(&pe, last_end - 1), KEEL_E_PE_OUTSIDE_LOADED_IMAGE);
        assert_keel(pe_check_memory_layout(&pe, pe.sections[0].virtual_address), KEEL_E_PE_OUTSIDE_LOADED_IMAGE);
        assert_keel(pe_check_memory_layout(&pe, pe.size_of_headers - 1), KEEL_E_PE_OUTSIDE_LOADED_IMAGE);
        assert_keel(pe_check_memory_layout(&pe, 0), KEEL_E_PE_OUTSIDE_LOADED_IMAGE);
        tpe_free(&t);
}

static void test_machine(void **state) {
        static const uint16_t machines[] = { PE_MACHINE_AARCH64, PE_MACHINE_I386, PE_MACHINE_ARM, PE_MACHINE_RISCV64 };
        struct test_pe t;
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(machines); i++) {
                struct pe_spec spec = PE_SPEC(1);
                spec.machine = machines[i];
                t = tpe_build(spec);
                assert_keel(parse(&t), KEEL_OK);
                assert_int_equal(pe.machine, machines[i]);
                assert_keel(pe_check_machine(&pe, machines[i]), KEEL_OK);
                assert_keel(pe_check_machine(&pe, PE_MACHINE_X86_64), KEEL_E_PE_WRONG_MACHINE);
                tpe_free(&t);
        }
}

/* ---- lookups ------------------------------------------------------------------- */

static void test_find_section(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(5));
        (void) state;

        tpe_set_name(&t, 1, ".linux");
        tpe_set_name(&t, 2, ".pcrpkey"); /* eight characters, no NUL in the header */
        tpe_set_name(&t, 3, ".dup");
        tpe_set_name(&t, 4, ".dup");
        assert_keel(parse(&t), KEEL_OK);

        assert_ptr_equal(pe_find_section(&pe, ".linux"), &pe.sections[1]);
        assert_ptr_equal(pe_find_section(&pe, ".s0"), &pe.sections[0]);
        assert_ptr_equal(pe_find_section(&pe, ".pcrpkey"), &pe.sections[2]);
        assert_int_equal(strlen(pe.sections[2].name), 8);
        /* The first of two sections with one name. */
        assert_ptr_equal(pe_find_section(&pe, ".dup"), &pe.sections[3]);
        /* Only exact names match. */
        assert_null(pe_find_section(&pe, ".linu"));
        assert_null(pe_find_section(&pe, ".linuxx"));
        assert_null(pe_find_section(&pe, ".pcrpkeyX"));
        assert_null(pe_find_section(&pe, ".LINUX"));
        assert_null(pe_find_section(&pe, ""));
        assert_null(pe_find_section(&pe, ".initrd"));
        tpe_free(&t);
}

static void test_data_directory(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        uint32_t address = 0xdead, size = 0xbeef;
        uint8_t *copy;
        (void) state;

        tpe_set_directory(&t, PE_DIRECTORY_BASERELOC, 0x1234, 0x56);
        tpe_set_directory(&t, PE_DIRECTORY_SECURITY, 0x4000, 0x800);
        tpe_set_directory(&t, 15, 0x77, 0x88);
        assert_keel(parse(&t), KEEL_OK);

        assert_keel(pe_data_directory(&pe, t.data, t.size, PE_DIRECTORY_BASERELOC, &address, &size), KEEL_OK);
        assert_int_equal(address, 0x1234);
        assert_int_equal(size, 0x56);
        assert_keel(pe_data_directory(&pe, t.data, t.size, PE_DIRECTORY_SECURITY, &address, &size), KEEL_OK);
        assert_int_equal(address, 0x4000);
        assert_int_equal(size, 0x800);
        assert_keel(pe_data_directory(&pe, t.data, t.size, 15, &address, &size), KEEL_OK);
        assert_int_equal(address, 0x77);
        assert_int_equal(size, 0x88);
        assert_keel(pe_data_directory(&pe, t.data, t.size, PE_DIRECTORY_EXPORT, &address, &size), KEEL_OK);
        assert_int_equal(address, 0);
        assert_int_equal(size, 0);

        /* Past NumberOfRvaAndSizes: missing, and the outputs are left alone. */
        address = size = 0xdead;
        assert_keel(pe_data_directory(&pe, t.data, t.size, PE_DIRECTORY_MAX, &address, &size),
                    KEEL_E_PE_DATA_DIRECTORY_MISSING);
        assert_keel(pe_data_directory(&pe, t.data, t.size, (enum pe_data_directory) 0xffffffffu, &address, &size),
                    KEEL_E_PE_DATA_DIRECTORY_MISSING);
        assert_int_equal(address, 0xdead);

        /* A buffer that ends inside the entry asked for. */
        copy = exact_copy(t.data, pe.data_directory_offset + PE_DIRECTORY_BASERELOC * PE_DATA_DIRECTORY_SIZE + 7);
        assert_keel(pe_data_directory(&pe, copy, pe.data_directory_offset + PE_DIRECTORY_BASERELOC * 8 + 7,
                                      PE_DIRECTORY_BASERELOC, &address, &size),
                    KEEL_E_PE_TRUNCATED_OPTIONAL_HEADER);
        free(copy);

        set_opt32(&t, PE_OPT_NUMBER_OF_RVA_AND_SIZES, PE_DIRECTORY_SECURITY);
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(pe_data_directory(&pe, t.data, t.size, PE_DIRECTORY_SECURITY, &address, &size),
                    KEEL_E_PE_DATA_DIRECTORY_MISSING);
        assert_keel(pe_data_directory(&pe, t.data, t.size, PE_DIRECTORY_EXCEPTION, &address, &size), KEEL_OK);
        tpe_free(&t);
}

static void test_uki_find_sections(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(6));
        struct uki_sections u;
        (void) state;

        tpe_set_name(&t, 0, ".sbat");
        tpe_set_name(&t, 1, ".osrel");
        tpe_set_name(&t, 2, ".cmdline");
        tpe_set_name(&t, 3, ".linux2");  /* not .linux */
        tpe_set_name(&t, 4, ".linux");
        tpe_set_name(&t, 5, ".pcrpkey");
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(uki_find_sections(&pe, &u), KEEL_OK);
        assert_true(uki_is_uki(&u));
        assert_ptr_equal(u.section[UKI_SECTION_SBAT], &pe.sections[0]);
        assert_ptr_equal(u.section[UKI_SECTION_OSREL], &pe.sections[1]);
        assert_ptr_equal(u.section[UKI_SECTION_CMDLINE], &pe.sections[2]);
        assert_ptr_equal(u.section[UKI_SECTION_LINUX], &pe.sections[4]);
        assert_ptr_equal(u.section[UKI_SECTION_PCRPKEY], &pe.sections[5]);
        assert_null(u.section[UKI_SECTION_INITRD]);
        assert_null(u.section[UKI_SECTION_UNAME]);
        assert_null(u.section[UKI_SECTION_PCRSIG]);

        /* No .linux: a plain PE image, not an error. */
        tpe_set_name(&t, 4, ".text");
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(uki_find_sections(&pe, &u), KEEL_OK);
        assert_false(uki_is_uki(&u));
        assert_non_null(u.section[UKI_SECTION_CMDLINE]);

        /* A second copy of a well-known section. */
        tpe_set_name(&t, 3, ".linux");
        tpe_set_name(&t, 4, ".linux");
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(uki_find_sections(&pe, &u), KEEL_E_UKI_DUPLICATE_SECTION);
        tpe_set_name(&t, 3, ".s3");
        tpe_set_name(&t, 5, ".cmdline");
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(uki_find_sections(&pe, &u), KEEL_E_UKI_DUPLICATE_SECTION);
        tpe_free(&t);

        /* Unknown sections may repeat. */
        t = tpe_build(PE_SPEC(3));
        tpe_set_name(&t, 0, ".data");
        tpe_set_name(&t, 1, ".data");
        tpe_set_name(&t, 2, ".linux");
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(uki_find_sections(&pe, &u), KEEL_OK);
        assert_ptr_equal(u.section[UKI_SECTION_LINUX], &pe.sections[2]);
        tpe_free(&t);
}

/* ---- real binaries ---------------------------------------------------------------- */

static void test_real_keel_efi(void **state) {
        struct uki_sections u;
        const struct pe_section *sbat, *reloc;
        uint32_t address, size;
        size_t file_size;
        uint8_t *file = slurp(KEEL_EFI_PATH, &file_size);
        (void) state;

        if (!file) {
                printf("# %s not built, skipping\n", KEEL_EFI_PATH);
                skip();
        }
        assert_keel(pe_parse_headers(file, file_size, &pe), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, file_size), KEEL_OK);
        assert_keel(pe_check_machine(&pe, PE_MACHINE_X86_64), KEEL_OK);
        assert_int_equal(pe.subsystem, 10); /* EFI application */
        assert_keel(uki_find_sections(&pe, &u), KEEL_OK);
        assert_false(uki_is_uki(&u));

        sbat = pe_find_section(&pe, ".sbat");
        assert_non_null(sbat);
        assert_ptr_equal(u.section[UKI_SECTION_SBAT], sbat);
        assert_true(pe_section_file_size(sbat) > 7);
        assert_memory_equal(file + sbat->raw_offset, "sbat,1,", 7);

        /* The relocation directory points at the .reloc section. */
        reloc = pe_find_section(&pe, ".reloc");
        assert_non_null(reloc);
        assert_keel(pe_data_directory(&pe, file, file_size, PE_DIRECTORY_BASERELOC, &address, &size), KEEL_OK);
        assert_int_equal(address, reloc->virtual_address);
        assert_int_equal(size, reloc->virtual_size);
        free(file);
}

static void test_real_systemd_stub(void **state) {
        struct uki_sections u;
        const struct pe_section *sbat;
        size_t file_size;
        uint8_t *file = slurp(SYSTEMD_STUB_PATH, &file_size);
        (void) state;

        if (!file) {
                printf("# %s not installed, skipping\n", SYSTEMD_STUB_PATH);
                skip();
        }
        assert_keel(pe_parse_headers(file, file_size, &pe), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, file_size), KEEL_OK);
        assert_keel(pe_check_machine(&pe, PE_MACHINE_X86_64), KEEL_OK);
        assert_keel(uki_find_sections(&pe, &u), KEEL_OK);
        assert_false(uki_is_uki(&u));
        assert_non_null(pe_find_section(&pe, ".text"));
        assert_non_null(pe_find_section(&pe, ".sdmagic"));
        sbat = u.section[UKI_SECTION_SBAT];
        assert_non_null(sbat);
        assert_memory_equal(file + sbat->raw_offset, "sbat,1,", 7);
        free(file);
}

/* Text in a .cmdline's file-alignment padding is never loaded; a UKI that
 * has some shows readers of the raw section a command line the kernel never
 * gets. */
static void test_uki_cmdline_hidden_text(void **state) {
        struct test_pe t = tpe_build(PE_SPEC(2));
        struct uki_sections u;
        uint32_t raw1, vs1;
        (void) state;

        tpe_set_name(&t, 0, ".linux");
        tpe_set_name(&t, 1, ".cmdline");
        raw1 = section32(&t, 1, SH_RAW_OFFSET);
        vs1 = section32(&t, 1, SH_VIRTUAL_SIZE);
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(uki_find_sections(&pe, &u), KEEL_OK);
        assert_keel(uki_check_file_view(&u, t.data, t.size), KEEL_OK);
        t.data[raw1 + vs1] = 'x';
        assert_keel(uki_check_file_view(&u, t.data, t.size), KEEL_E_UKI_CMDLINE_HIDDEN_TEXT);
        t.data[raw1 + vs1] = 0;
        t.data[raw1 + section32(&t, 1, SH_RAW_SIZE) - 1] = ' ';
        assert_keel(uki_check_file_view(&u, t.data, t.size), KEEL_E_UKI_CMDLINE_HIDDEN_TEXT);
        /* The same bytes in another section's padding are no one's command line. */
        tpe_set_name(&t, 1, ".data");
        assert_keel(parse(&t), KEEL_OK);
        assert_keel(uki_find_sections(&pe, &u), KEEL_OK);
        assert_keel(uki_check_file_view(&u, t.data, t.size), KEEL_OK);
        tpe_free(&t);
}

/* systemd-boot 252 has sections whose raw data (0x200 bytes) is longer than
 * the distance to the next section (0x40): the firmware loads VirtualSize
 * bytes, so this is a valid image and keel must keep accepting it. */
static void test_real_systemd_boot(void **state) {
        size_t file_size;
        uint8_t *file = slurp(SYSTEMD_BOOT_PATH, &file_size);
        (void) state;

        if (!file) {
                printf("# %s not installed, skipping\n", SYSTEMD_BOOT_PATH);
                skip();
        }
        assert_keel(pe_parse_headers(file, file_size, &pe), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, file_size), KEEL_OK);
        free(file);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid_minimal),
                cmocka_unit_test(test_valid_headers_only),
                cmocka_unit_test(test_valid_loaded_image),
                cmocka_unit_test(test_empty_buffer),
                cmocka_unit_test(test_truncated_dos_header),
                cmocka_unit_test(test_bad_dos_magic),
                cmocka_unit_test(test_bad_lfanew),
                cmocka_unit_test(test_bad_signature),
                cmocka_unit_test(test_truncated_file_header),
                cmocka_unit_test(test_truncated_optional_header),
                cmocka_unit_test(test_not_pe32_plus),
                cmocka_unit_test(test_bad_optional_header_size),
                cmocka_unit_test(test_bad_alignment),
                cmocka_unit_test(test_no_sections),
                cmocka_unit_test(test_too_many_sections),
                cmocka_unit_test(test_section_table_truncated),
                cmocka_unit_test(test_bad_size_of_headers),
                cmocka_unit_test(test_section_below_headers),
                cmocka_unit_test(test_sections_overlap_in_memory),
                cmocka_unit_test(test_section_hidden_data),
                cmocka_unit_test(test_section_memory_size),
                cmocka_unit_test(test_sections_not_ascending),
                cmocka_unit_test(test_section_size_overflow),
                cmocka_unit_test(test_section_outside_image),
                cmocka_unit_test(test_file_layout_past_eof),
                cmocka_unit_test(test_file_layout_below_headers),
                cmocka_unit_test(test_file_layout_overlap),
                cmocka_unit_test(test_file_layout_no_raw_data),
                cmocka_unit_test(test_memory_layout),
                cmocka_unit_test(test_machine),
                cmocka_unit_test(test_find_section),
                cmocka_unit_test(test_data_directory),
                cmocka_unit_test(test_uki_find_sections),
                cmocka_unit_test(test_real_keel_efi),
                cmocka_unit_test(test_real_systemd_stub),
                cmocka_unit_test(test_real_systemd_boot),
                cmocka_unit_test(test_uki_cmdline_hidden_text),
        };
        return cmocka_run_group_tests_name("pe", tests, NULL, NULL);
}
