/* SPDX-License-Identifier: MIT */
#include "pe.h"
#include "error.h"

#define PE_OFFSET_LFANEW 0x3c
#define PE_RELOC_BLOCK_HEADER_SIZE 8
#define PE_MAX_HEADER_OFFSET \
        (UINT32_MAX - (4 + PE_FILE_HEADER_SIZE + UINT16_MAX + PE_MAX_SECTIONS * PE_SECTION_HEADER_SIZE))

static int parse_section_header(const uint8_t *h, struct pe_section *ret) {
        memcpy(ret->name, h, PE_SECTION_NAME_MAX);
        ret->name[PE_SECTION_NAME_MAX] = '\0';
        ret->virtual_size = read_le32(h + 8);
        ret->virtual_address = read_le32(h + 12);
        ret->raw_size = read_le32(h + 16);
        ret->raw_offset = read_le32(h + 20);
        ret->characteristics = read_le32(h + 36);

        if (ret->virtual_size > UINT32_MAX - ret->virtual_address)
                return KEEL_E_PE_SECTION_SIZE_OVERFLOW;
        if (ret->raw_size > UINT32_MAX - ret->raw_offset)
                return KEEL_E_PE_SECTION_SIZE_OVERFLOW;
        return KEEL_OK;
}

static bool ranges_overlap(uint64_t a_start, uint64_t a_size, uint64_t b_start, uint64_t b_size) {
        if (a_size == 0 || b_size == 0)
                return false;
        return a_start < b_start + b_size && b_start < a_start + a_size;
}

uint32_t pe_section_memory_size(const struct pe_section *s) {
        return s->virtual_size != 0 ? s->virtual_size : s->raw_size;
}

/* Every check works on what the firmware puts in memory, not on what a tool
 * reading the file would show. A section with raw data but VirtualSize 0 is
 * where the two part: EDK II copies its SizeOfRawData bytes to its
 * VirtualAddress (over another section's bytes if it wants), while every
 * reader of the file sees an empty section. Such an image is refused
 * outright. Sections must also come in ascending address order, as the PE
 * specification requires of images: a loader that copies all of a
 * section's raw data (the file-alignment padding past VirtualSize too)
 * then still has each section's own bytes written last. */
static int check_sections_in_memory(const struct pe_image *pe) {
        uint64_t previous_end = 0;

        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                uint32_t size = pe_section_memory_size(s);

                if (s->virtual_size == 0 && s->raw_size > 0)
                        return KEEL_E_PE_SECTION_HIDDEN_DATA;
                if (size == 0)
                        continue;
                if (s->virtual_address < pe->size_of_headers)
                        return KEEL_E_PE_SECTION_BELOW_HEADERS;
                if (!range_fits(pe->size_of_image, s->virtual_address, size))
                        return KEEL_E_PE_SECTION_OUTSIDE_IMAGE;
                for (size_t j = 0; j < i; j++) {
                        const struct pe_section *o = &pe->sections[j];
                        if (ranges_overlap(s->virtual_address, size, o->virtual_address, pe_section_memory_size(o)))
                                return KEEL_E_PE_SECTION_OVERLAP;
                }
        }
        /* Only once no two sections overlap: that is the more telling error. */
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                uint32_t size = pe_section_memory_size(s);

                if (size == 0)
                        continue;
                if (s->virtual_address < previous_end)
                        return KEEL_E_PE_SECTIONS_NOT_ASCENDING;
                previous_end = (uint64_t) s->virtual_address + size;
        }
        return KEEL_OK;
}

static int parse_optional_header(const uint8_t *b, size_t len, struct pe_image *pe) {
        const uint8_t *opt;

        if (pe->optional_header_size < PE32_PLUS_OPTIONAL_HEADER_FIXED_SIZE)
                return KEEL_E_PE_BAD_OPTIONAL_HEADER_SIZE;
        if (!range_fits(len, pe->optional_header_offset, pe->optional_header_size))
                return KEEL_E_PE_TRUNCATED_OPTIONAL_HEADER;

        opt = b + pe->optional_header_offset;
        if (read_le16(opt) != 0x20b)
                return KEEL_E_PE_NOT_PE32_PLUS;

        pe->entry_point = read_le32(opt + PE_OPT_ENTRY_POINT);
        pe->section_alignment = read_le32(opt + PE_OPT_SECTION_ALIGNMENT);
        pe->file_alignment = read_le32(opt + PE_OPT_FILE_ALIGNMENT);
        pe->size_of_image = read_le32(opt + PE_OPT_SIZE_OF_IMAGE);
        pe->size_of_headers = read_le32(opt + PE_OPT_SIZE_OF_HEADERS);
        pe->subsystem = read_le16(opt + PE_OPT_SUBSYSTEM);
        pe->number_of_data_directories = read_le32(opt + PE_OPT_NUMBER_OF_RVA_AND_SIZES);
        pe->data_directory_offset = pe->optional_header_offset + PE_OPT_DATA_DIRECTORY;

        if (pe->number_of_data_directories > (uint32_t) (pe->optional_header_size - PE_OPT_DATA_DIRECTORY) / PE_DATA_DIRECTORY_SIZE)
                return KEEL_E_PE_BAD_OPTIONAL_HEADER_SIZE;
        if (!is_power_of_two(pe->file_alignment) || !is_power_of_two(pe->section_alignment) ||
            pe->section_alignment < pe->file_alignment)
                return KEEL_E_PE_BAD_ALIGNMENT;
        return KEEL_OK;
}

int pe_parse_headers(const void *buf, size_t len, struct pe_image *ret) {
        const uint8_t *b = buf;
        const uint8_t *fh;
        uint32_t pe_offset, table_size;
        int r;

        if (!buf || !ret)
                return KEEL_E_INVALID_ARGUMENT;
        memset(ret, 0, sizeof(*ret));

        if (len < PE_DOS_HEADER_SIZE)
                return KEEL_E_PE_TRUNCATED_DOS_HEADER;
        if (b[0] != 'M' || b[1] != 'Z')
                return KEEL_E_PE_BAD_DOS_MAGIC;

        pe_offset = read_le32(b + PE_OFFSET_LFANEW);
        /* The bound keeps every offset derived below inside 32 bits. */
        if (pe_offset < PE_DOS_HEADER_SIZE || pe_offset > PE_MAX_HEADER_OFFSET || !range_fits(len, pe_offset, 4))
                return KEEL_E_PE_BAD_LFANEW;
        if (memcmp(b + pe_offset, "PE\0\0", 4) != 0)
                return KEEL_E_PE_BAD_SIGNATURE;
        if (!range_fits(len, pe_offset + 4, PE_FILE_HEADER_SIZE))
                return KEEL_E_PE_TRUNCATED_FILE_HEADER;

        fh = b + pe_offset + 4;
        ret->pe_offset = pe_offset;
        ret->machine = read_le16(fh);
        ret->number_of_sections = read_le16(fh + 2);
        ret->optional_header_size = read_le16(fh + 16);
        ret->optional_header_offset = pe_offset + 4 + PE_FILE_HEADER_SIZE;
        ret->section_table_offset = ret->optional_header_offset + ret->optional_header_size;

        r = parse_optional_header(b, len, ret);
        if (r != KEEL_OK)
                return r;

        if (ret->number_of_sections == 0)
                return KEEL_E_PE_NO_SECTIONS;
        if (ret->number_of_sections > PE_MAX_SECTIONS)
                return KEEL_E_PE_TOO_MANY_SECTIONS;

        table_size = (uint32_t) ret->number_of_sections * PE_SECTION_HEADER_SIZE;
        if (!range_fits(len, ret->section_table_offset, table_size))
                return KEEL_E_PE_SECTION_TABLE_TRUNCATED;
        if (ret->size_of_headers < ret->section_table_offset + table_size || ret->size_of_headers > ret->size_of_image)
                return KEEL_E_PE_BAD_HEADERS_SIZE;

        for (size_t i = 0; i < ret->number_of_sections; i++) {
                r = parse_section_header(b + ret->section_table_offset + i * PE_SECTION_HEADER_SIZE, &ret->sections[i]);
                if (r != KEEL_OK)
                        return r;
        }

        return check_sections_in_memory(ret);
}

int pe_check_file_layout(const struct pe_image *pe, uint64_t file_size) {
        if (pe->size_of_headers > file_size)
                return KEEL_E_PE_BAD_HEADERS_SIZE;

        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];

                if (s->raw_size == 0)
                        continue;
                if (!range_fits(file_size, s->raw_offset, s->raw_size))
                        return KEEL_E_PE_SECTION_OUTSIDE_FILE;
                if (s->raw_offset < pe->size_of_headers)
                        return KEEL_E_PE_SECTION_BELOW_HEADERS;
                for (size_t j = 0; j < i; j++) {
                        const struct pe_section *o = &pe->sections[j];
                        if (ranges_overlap(s->raw_offset, s->raw_size, o->raw_offset, o->raw_size))
                                return KEEL_E_PE_SECTION_OVERLAP;
                }
        }
        return KEEL_OK;
}

/* What the UEFI contract guarantees of a loaded image is that it covers the
 * headers and every section, not SizeOfImage: EDK II reports SizeOfImage as
 * ImageSize, U-Boot the end of the last section (the page rounding of its
 * allocation is not part of the image). Every section already lies inside
 * SizeOfImage (pe_parse_headers()), so checking each against image_size is
 * enough for anything that reads a section, a header or a data directory
 * through the loaded image. */
int pe_check_memory_layout(const struct pe_image *pe, uint64_t image_size) {
        if (pe->size_of_headers > image_size)
                return KEEL_E_PE_OUTSIDE_LOADED_IMAGE;
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                if (!range_fits(image_size, s->virtual_address, pe_section_memory_size(s)))
                        return KEEL_E_PE_OUTSIDE_LOADED_IMAGE;
        }
        return KEEL_OK;
}

int pe_check_machine(const struct pe_image *pe, uint16_t machine) {
        return pe->machine == machine ? KEEL_OK : KEEL_E_PE_WRONG_MACHINE;
}

uint64_t pe_section_data_end(const struct pe_image *pe) {
        uint64_t end = pe->size_of_headers;

        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                if (s->raw_size > 0 && (uint64_t) s->raw_offset + s->raw_size > end)
                        end = (uint64_t) s->raw_offset + s->raw_size;
        }
        return end;
}

const struct pe_section *pe_find_section(const struct pe_image *pe, const char *name) {
        for (size_t i = 0; i < pe->number_of_sections; i++)
                if (strncmp(pe->sections[i].name, name, PE_SECTION_NAME_MAX + 1) == 0)
                        return &pe->sections[i];
        return NULL;
}

int pe_data_directory(const struct pe_image *pe, const void *buf, size_t len, enum pe_data_directory index,
                      uint32_t *ret_address, uint32_t *ret_size) {
        uint32_t offset;

        if ((uint32_t) index >= pe->number_of_data_directories)
                return KEEL_E_PE_DATA_DIRECTORY_MISSING;
        offset = pe->data_directory_offset + (uint32_t) index * PE_DATA_DIRECTORY_SIZE;
        if (!range_fits(len, offset, PE_DATA_DIRECTORY_SIZE))
                return KEEL_E_PE_TRUNCATED_OPTIONAL_HEADER;
        *ret_address = read_le32((const uint8_t *) buf + offset);
        *ret_size = read_le32((const uint8_t *) buf + offset + 4);
        return KEEL_OK;
}

/* The section whose initialised (file-backed) bytes hold [rva, rva + size),
 * or NULL. */
static const struct pe_section *file_backed_section(const struct pe_image *pe, uint32_t rva, uint32_t size) {
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];

                if (rva >= s->virtual_address && range_fits(pe_section_file_size(s), rva - s->virtual_address, size))
                        return s;
        }
        return NULL;
}

int pe_find_relocations(const struct pe_image *pe, const void *buf, size_t len, enum pe_view view,
                        struct pe_relocations *ret) {
        const struct pe_section *s;
        uint32_t rva, size, at;
        int r;

        *ret = (struct pe_relocations) {};
        r = pe_data_directory(pe, buf, len, PE_DIRECTORY_BASERELOC, &rva, &size);
        if (r == KEEL_E_PE_DATA_DIRECTORY_MISSING || (r == KEEL_OK && size == 0))
                return KEEL_OK; /* nothing to relocate: the image runs wherever it is */
        if (r != KEEL_OK)
                return r;
        s = file_backed_section(pe, rva, size);
        if (!s)
                return KEEL_E_PE_RELOC_TABLE_OUTSIDE;
        /* No overflow: the table is inside the section's raw data, whose end
         * pe_parse_headers() checked. */
        at = view == PE_VIEW_FILE ? s->raw_offset + (rva - s->virtual_address) : rva;
        if (!range_fits(len, at, size))
                return KEEL_E_PE_RELOC_TABLE_OUTSIDE;
        *ret = (struct pe_relocations) { .data = (const uint8_t *) buf + at, .rva = rva, .size = size };
        return KEEL_OK;
}

static uint32_t fixup_size(unsigned type) {
        switch (type) {
        case PE_RELOC_HIGH:
        case PE_RELOC_LOW:
                return 2;
        case PE_RELOC_HIGHLOW:
                return 4;
        case PE_RELOC_DIR64:
                return 8;
        default:
                return 0;
        }
}

static int walk_block(const uint8_t *block, uint32_t block_size, pe_fixup_visitor visit, void *userdata) {
        uint32_t page_rva = read_le32(block);

        for (uint32_t e = PE_RELOC_BLOCK_HEADER_SIZE; e < block_size; e += 2) {
                uint16_t entry = read_le16(block + e);
                struct pe_fixup f = { .type = entry >> 12, .rva = (uint64_t) page_rva + (entry & 0xfff) };
                int r;

                if (f.type == PE_RELOC_ABSOLUTE)
                        continue;
                f.size = fixup_size(f.type);
                if (f.size == 0)
                        return KEEL_E_PE_RELOC_UNKNOWN_TYPE;
                r = visit(&f, userdata);
                if (r != KEEL_OK)
                        return r;
        }
        return KEEL_OK;
}

int pe_walk_relocations(const struct pe_relocations *table, pe_fixup_visitor visit, void *userdata) {
        uint32_t offset = 0;

        while (offset < table->size) {
                uint32_t remaining = table->size - offset, block_size;
                int r;

                if (remaining < PE_RELOC_BLOCK_HEADER_SIZE)
                        return KEEL_E_PE_RELOC_BAD_BLOCK;
                block_size = read_le32(table->data + offset + 4);
                if (block_size < PE_RELOC_BLOCK_HEADER_SIZE || block_size > remaining || block_size % 2 != 0)
                        return KEEL_E_PE_RELOC_BAD_BLOCK;
                r = walk_block(table->data + offset, block_size, visit, userdata);
                if (r != KEEL_OK)
                        return r;
                offset += block_size;
        }
        return KEEL_OK;
}

int pe_fixup_section(const struct pe_image *pe, const struct pe_relocations *table, const struct pe_fixup *fixup,
                     const struct pe_section **ret) {
        /* rva < 2^32 + 2^12 and size <= 8: no overflow in 64 bits. */
        uint64_t start = fixup->rva, end = fixup->rva + fixup->size;

        *ret = NULL;
        if (start < pe->size_of_headers)
                return KEEL_E_PE_RELOC_IN_HEADERS;
        /* Sections do not overlap: the first one the fixup reaches is the
         * only one that can hold all of it. */
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                uint64_t s_start = s->virtual_address, s_end = s_start + pe_section_memory_size(s);

                if (!ranges_overlap(start, fixup->size, s_start, s_end - s_start))
                        continue;
                if (start < s_start || end > s_end)
                        return KEEL_E_PE_RELOC_STRADDLES_SECTIONS;
                if (ranges_overlap(start, fixup->size, table->rva, table->size))
                        return KEEL_E_PE_RELOC_CHANGES_TABLE;
                *ret = s;
                return KEEL_OK;
        }
        return KEEL_E_PE_RELOC_OUTSIDE_SECTIONS;
}
