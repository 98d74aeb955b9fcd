/* SPDX-License-Identifier: MIT */
#include "pe-load.h"
#include "error.h"

#define PE_FH_CHARACTERISTICS 18 /* in the COFF file header */
#define PE_OPT_IMAGE_BASE 24
#define PE_OPT_DLL_CHARACTERISTICS 70
#define PE_SH_POINTER_TO_RELOCATIONS 24 /* in a section header */
#define PE_SH_NUMBER_OF_RELOCATIONS 32

static bool is_code(const struct pe_section *s) {
        return (s->characteristics & (PE_SCN_MEM_EXECUTE | PE_SCN_CNT_CODE)) != 0;
}

/* Where keel's loader relocates: the image it builds (NULL to check only). */
struct relocation_target {
        uint32_t size_of_image;
        uint8_t *dest;
        uint64_t delta;
};

/* Only DIR64 exists on x86_64 and aarch64 images. */
static int relocate(const struct pe_fixup *fixup, void *userdata) {
        const struct relocation_target *t = userdata;

        if (fixup->type != PE_RELOC_DIR64)
                return KEEL_E_PE_LOAD_RELOC_UNSUPPORTED;
        if (!range_fits(t->size_of_image, fixup->rva, fixup->size))
                return KEEL_E_PE_LOAD_RELOC_OUTSIDE_IMAGE;
        if (t->dest)
                write_le64(t->dest + fixup->rva, read_le64(t->dest + fixup->rva) + t->delta);
        return KEEL_OK;
}

/* The table is read from the file, never from the image being built: a
 * fixup that lands on the table does not change what is applied next. */
static int walk_relocations(const struct pe_image *pe, const struct pe_load_info *info, const uint8_t *file,
                            uint8_t *dest, uint64_t delta) {
        const struct pe_relocations table = {
                .data = file + info->reloc_file_offset,
                .rva = info->reloc_rva,
                .size = info->reloc_size,
        };
        struct relocation_target target = { .size_of_image = pe->size_of_image, .dest = dest, .delta = delta };

        return pe_walk_relocations(&table, relocate, &target);
}

static int check_relocation_table(const struct pe_image *pe, const void *buf, size_t len, struct pe_load_info *info) {
        struct pe_relocations table;
        int r = pe_find_relocations(pe, buf, len, PE_VIEW_FILE, &table);

        if (r != KEEL_OK || table.size == 0)
                return r;
        info->reloc_rva = table.rva;
        info->reloc_size = table.size;
        info->reloc_file_offset = (uint32_t) (table.data - (const uint8_t *) buf);
        return walk_relocations(pe, info, buf, NULL, 0);
}

static int check_sections(const struct pe_image *pe, const void *buf, struct pe_load_info *info) {
        const uint8_t *table = (const uint8_t *) buf + pe->section_table_offset;
        bool entry_ok = false;

        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                const uint8_t *h = table + i * PE_SECTION_HEADER_SIZE;

                /* Object-file relocations have no meaning in an image; a
                 * loader that ignored them would run other code than the
                 * one the signature's author saw. */
                if (read_le32(h + PE_SH_POINTER_TO_RELOCATIONS) != 0 || read_le16(h + PE_SH_NUMBER_OF_RELOCATIONS) != 0)
                        return KEEL_E_PE_LOAD_COFF_RELOCATIONS;
                if (info->nx_compat && is_code(s) && (s->characteristics & PE_SCN_MEM_WRITE))
                        return KEEL_E_PE_LOAD_WX_SECTION;
                if (is_code(s) && info->entry_point >= s->virtual_address &&
                    info->entry_point - s->virtual_address < pe_section_file_size(s))
                        entry_ok = true;
        }
        /* In an executable section's initialised bytes: not in the headers,
         * in data or in zero-filled memory. */
        return entry_ok ? KEEL_OK : KEEL_E_PE_LOAD_BAD_ENTRY_POINT;
}

int pe_load_check(const struct pe_image *pe, const void *buf, size_t len, uint16_t machine,
                  struct pe_load_info *ret) {
        const uint8_t *b = buf;
        struct pe_load_info info = {};
        uint16_t characteristics;
        int r;

        if (!pe || !buf || !ret)
                return KEEL_E_INVALID_ARGUMENT;
        r = pe_check_file_layout(pe, len);
        if (r != KEEL_OK)
                return r;
        r = pe_check_machine(pe, machine);
        if (r != KEEL_OK)
                return r;
        if (pe->subsystem != PE_SUBSYSTEM_EFI_APPLICATION)
                return KEEL_E_PE_LOAD_NOT_EFI_APPLICATION;
        if (pe->size_of_image == 0 || pe->size_of_image > PE_LOAD_MAX_IMAGE_SIZE)
                return KEEL_E_PE_LOAD_IMAGE_TOO_LARGE;
        if (pe->section_alignment > PE_LOAD_MAX_ALIGNMENT)
                return KEEL_E_PE_LOAD_BAD_ALIGNMENT;

        /* pe_parse_headers() checked that the file and optional headers are
         * in buf; the fields read here are inside the fixed part. */
        characteristics = read_le16(b + pe->pe_offset + 4 + PE_FH_CHARACTERISTICS);
        if (characteristics & PE_FILE_RELOCS_STRIPPED)
                return KEEL_E_PE_LOAD_RELOCS_STRIPPED;
        info.image_base = read_le64(b + pe->optional_header_offset + PE_OPT_IMAGE_BASE);
        info.nx_compat = (read_le16(b + pe->optional_header_offset + PE_OPT_DLL_CHARACTERISTICS) & PE_DLL_NX_COMPAT) != 0;
        info.size_of_image = pe->size_of_image;
        info.alignment = pe->section_alignment < PE_LOAD_PAGE_SIZE ? PE_LOAD_PAGE_SIZE : pe->section_alignment;
        info.entry_point = pe->entry_point;

        r = check_sections(pe, buf, &info);
        if (r != KEEL_OK)
                return r;
        r = check_relocation_table(pe, buf, len, &info);
        if (r != KEEL_OK)
                return r;
        *ret = info;
        return KEEL_OK;
}

int pe_load_copy(const struct pe_image *pe, const struct pe_load_info *info, const void *buf, size_t len,
                 void *dest, size_t dest_size, uint64_t load_address) {
        const uint8_t *b = buf;
        uint8_t *d = dest;
        int r;

        if (!pe || !info || !buf || !dest || dest_size < info->size_of_image || info->size_of_image != pe->size_of_image)
                return KEEL_E_INVALID_ARGUMENT;
        /* The same checks again on this very buffer: the copy below trusts them. */
        r = pe_check_file_layout(pe, len);
        if (r != KEEL_OK)
                return r;
        if (info->reloc_size != 0) {
                if (!range_fits(len, info->reloc_file_offset, info->reloc_size))
                        return KEEL_E_PE_RELOC_TABLE_OUTSIDE;
                r = walk_relocations(pe, info, b, NULL, 0);
                if (r != KEEL_OK)
                        return r;
        }

        /* Memory past a section's initialised data (its .bss) is zero, and
         * so is every gap the image does not describe. */
        memset(d, 0, info->size_of_image);
        memcpy(d, b, pe->size_of_headers);
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];

                /* Raw data past VirtualSize is file-alignment padding: not copied. */
                memcpy(d + s->virtual_address, b + s->raw_offset, pe_section_file_size(s));
        }
        if (info->reloc_size != 0)
                return walk_relocations(pe, info, b, d, load_address - info->image_base);
        return KEEL_OK;
}

static uint32_t pages_up(uint32_t size) {
        /* size <= PE_LOAD_MAX_IMAGE_SIZE: no overflow. */
        return (size + PE_LOAD_PAGE_SIZE - 1) & ~(PE_LOAD_PAGE_SIZE - 1);
}

size_t pe_load_protections(const struct pe_image *pe, const struct pe_load_info *info,
                           struct pe_load_range ret[PE_MAX_SECTIONS + 1]) {
        size_t n = 0;

        if (!info->nx_compat || info->size_of_image > PE_LOAD_MAX_IMAGE_SIZE)
                return 0;
        for (size_t i = 0; i < pe->number_of_sections; i++)
                if (pe_section_memory_size(&pe->sections[i]) != 0 &&
                    pe->sections[i].virtual_address % PE_LOAD_PAGE_SIZE != 0)
                        return 0;

        /* Sections are in ascending order, start at or after the headers
         * and on page boundaries, and do not overlap: rounding each end up
         * to a page never reaches into the next one. */
        ret[n++] = (struct pe_load_range) { 0, pages_up(pe->size_of_headers), PE_PROTECT_READ_ONLY };
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                uint32_t size = pe_section_memory_size(s);

                if (size == 0)
                        continue;
                ret[n++] = (struct pe_load_range) {
                        .rva = s->virtual_address,
                        .size = pages_up(size),
                        .protection = is_code(s) ? PE_PROTECT_READ_EXEC
                                      : (s->characteristics & PE_SCN_MEM_WRITE) ? PE_PROTECT_READ_WRITE
                                                                                : PE_PROTECT_READ_ONLY,
                };
        }
        return n;
}
