/* SPDX-License-Identifier: MIT */
#include "uki.h"
#include "error.h"

/* Indexed by enum uki_section, which is already the canonical PCR 11 order. */
static const char *const section_names[_UKI_SECTION_MAX] = {
        [UKI_SECTION_LINUX] = ".linux",   [UKI_SECTION_OSREL] = ".osrel",   [UKI_SECTION_CMDLINE] = ".cmdline",
        [UKI_SECTION_INITRD] = ".initrd", [UKI_SECTION_UCODE] = ".ucode",   [UKI_SECTION_SPLASH] = ".splash",
        [UKI_SECTION_DTB] = ".dtb",       [UKI_SECTION_UNAME] = ".uname",   [UKI_SECTION_SBAT] = ".sbat",
        [UKI_SECTION_PCRSIG] = ".pcrsig", [UKI_SECTION_PCRPKEY] = ".pcrpkey", [UKI_SECTION_TLINUX] = ".tlinux",
        [UKI_SECTION_TINITRD] = ".tinitrd",
};

const char *uki_section_name(enum uki_section section) {
        if ((unsigned) section >= _UKI_SECTION_MAX)
                return NULL;
        return section_names[section];
}

bool uki_section_is_measured(enum uki_section section) {
        return (unsigned) section < _UKI_SECTION_MAX && section != UKI_SECTION_PCRSIG &&
               section != UKI_SECTION_TLINUX && section != UKI_SECTION_TINITRD;
}

int uki_find_sections(const struct pe_image *pe, struct uki_sections *ret) {
        memset(ret, 0, sizeof(*ret));
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                for (size_t k = 0; k < _UKI_SECTION_MAX; k++) {
                        if (strcmp(s->name, section_names[k]) != 0)
                                continue;
                        if (ret->section[k])
                                return KEEL_E_UKI_DUPLICATE_SECTION;
                        ret->section[k] = s;
                }
        }
        if (ret->section[UKI_SECTION_LINUX] && ret->section[UKI_SECTION_TLINUX])
                return KEEL_E_UKI_THIN_AND_FAT_LINUX;
        if (ret->section[UKI_SECTION_INITRD] && ret->section[UKI_SECTION_TINITRD])
                return KEEL_E_UKI_THIN_AND_FAT_INITRD;
        return KEEL_OK;
}

int uki_check_file_view(const struct uki_sections *sections, const void *file, size_t len) {
        const struct pe_section *s = sections->section[UKI_SECTION_CMDLINE];
        const uint8_t *raw;

        if (!s || s->raw_size <= s->virtual_size)
                return KEEL_OK;
        if (!range_fits(len, s->raw_offset, s->raw_size))
                return KEEL_E_PE_SECTION_OUTSIDE_FILE;
        raw = (const uint8_t *) file + s->raw_offset;
        for (uint32_t i = s->virtual_size; i < s->raw_size; i++)
                if (raw[i] != 0)
                        return KEEL_E_UKI_CMDLINE_HIDDEN_TEXT;
        return KEEL_OK;
}

int uki_check_image_file(const void *file, size_t len) {
        struct pe_image pe;
        struct uki_sections sections;
        int r = pe_parse_headers(file, len, &pe);

        if (r == KEEL_OK)
                r = uki_find_sections(&pe, &sections);
        if (r == KEEL_OK)
                r = uki_check_file_view(&sections, file, len);
        return r;
}
