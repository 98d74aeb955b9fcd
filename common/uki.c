/* SPDX-License-Identifier: MIT */
#include "uki.h"
#include "error.h"
#include "osrel.h"

/* Indexed by enum uki_section, which is already the canonical PCR 11 order. */
static const char *const section_names[_UKI_SECTION_MAX] = {
        [UKI_SECTION_LINUX] = ".linux",   [UKI_SECTION_OSREL] = ".osrel",   [UKI_SECTION_CMDLINE] = ".cmdline",
        [UKI_SECTION_INITRD] = ".initrd", [UKI_SECTION_UCODE] = ".ucode",   [UKI_SECTION_SPLASH] = ".splash",
        [UKI_SECTION_DTB] = ".dtb",       [UKI_SECTION_UNAME] = ".uname",   [UKI_SECTION_SBAT] = ".sbat",
        [UKI_SECTION_PCRSIG] = ".pcrsig", [UKI_SECTION_PCRPKEY] = ".pcrpkey", [UKI_SECTION_PROFILE] = ".profile",
        [UKI_SECTION_TLINUX] = ".tlinux", [UKI_SECTION_TINITRD] = ".tinitrd",
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

static bool is_profile(const struct pe_section *s) {
        return strcmp(s->name, section_names[UKI_SECTION_PROFILE]) == 0;
}

/* The well-known sections among pe->sections[from..to) into ret (overriding
 * what is there); a name twice in the range is refused. */
static int find_in_range(const struct pe_image *pe, size_t from, size_t to, struct uki_sections *ret) {
        const struct pe_section *seen[_UKI_SECTION_MAX] = {};

        for (size_t i = from; i < to; i++) {
                const struct pe_section *s = &pe->sections[i];
                for (size_t k = 0; k < _UKI_SECTION_MAX; k++) {
                        if (strcmp(s->name, section_names[k]) != 0)
                                continue;
                        if (seen[k])
                                return KEEL_E_UKI_DUPLICATE_SECTION;
                        seen[k] = s;
                        ret->section[k] = s;
                }
        }
        return KEEL_OK;
}

bool uki_image_has_kernel(const struct pe_image *pe) {
        return pe_find_section(pe, uki_section_name(UKI_SECTION_LINUX)) ||
               pe_find_section(pe, uki_section_name(UKI_SECTION_TLINUX));
}

unsigned uki_count_profiles(const struct pe_image *pe) {
        unsigned n = 0;

        for (size_t i = 0; i < pe->number_of_sections; i++)
                n += is_profile(&pe->sections[i]);
        return n;
}

int uki_find_profile_sections(const struct pe_image *pe, unsigned profile, struct uki_sections *ret) {
        size_t first = pe->number_of_sections, start = 0, end;
        unsigned seen = 0;
        int r;

        memset(ret, 0, sizeof(*ret));
        for (size_t i = 0; i < pe->number_of_sections; i++)
                if (is_profile(&pe->sections[i])) {
                        if (first == pe->number_of_sections)
                                first = i;
                        if (seen++ == profile) {
                                start = i;
                                break;
                        }
                }
        /* The base: everything before the first .profile. */
        r = find_in_range(pe, 0, first, ret);
        if (r != KEEL_OK)
                return r;
        if (seen <= profile) {
                /* No .profile at all: profile 0 is the base alone. */
                if (profile == 0 && first == pe->number_of_sections)
                        goto check;
                return KEEL_E_UKI_NO_SUCH_PROFILE;
        }
        for (end = start + 1; end < pe->number_of_sections && !is_profile(&pe->sections[end]); end++)
                ;
        r = find_in_range(pe, start, end, ret);
        if (r != KEEL_OK)
                return r;
check:
        /* A thin UKI's .linux with no bytes is only the mark that makes
         * bootctl list it: no kernel of its own. */
        if (ret->section[UKI_SECTION_TLINUX] && ret->section[UKI_SECTION_LINUX] &&
            ret->section[UKI_SECTION_LINUX]->virtual_size == 0 && ret->section[UKI_SECTION_LINUX]->raw_size == 0)
                ret->section[UKI_SECTION_LINUX] = NULL;
        if (ret->section[UKI_SECTION_LINUX] && ret->section[UKI_SECTION_TLINUX])
                return KEEL_E_UKI_THIN_AND_FAT_LINUX;
        if (ret->section[UKI_SECTION_INITRD] && ret->section[UKI_SECTION_TINITRD])
                return KEEL_E_UKI_THIN_AND_FAT_INITRD;
        return KEEL_OK;
}

int uki_find_sections(const struct pe_image *pe, struct uki_sections *ret) {
        return uki_find_profile_sections(pe, 0, ret);
}

bool uki_parse_profile_prefix(const uint16_t *s, size_t units, unsigned *ret_profile, size_t *ret_skip) {
        uint64_t v = 0;
        size_t i = 1;

        *ret_profile = 0;
        *ret_skip = 0;
        if (units < 2 || s[0] != '@')
                return false;
        for (; i < units && s[i] >= '0' && s[i] <= '9'; i++) {
                v = v * 10 + (s[i] - '0');
                if (v > 0xffffffffu)
                        return false;
        }
        if (i == 1)
                return false;
        if (i < units && s[i] == ' ')
                i++;
        else if (i < units && s[i] != 0)
                return false;
        *ret_profile = (unsigned) v;
        *ret_skip = i;
        return true;
}

int uki_profile_info(const void *text, size_t len, char id[UKI_PROFILE_VALUE_MAX], char title[UKI_PROFILE_VALUE_MAX]) {
        bool found;
        int r;

        id[0] = title[0] = '\0';
        r = osrel_get(text, len, "ID", id, UKI_PROFILE_VALUE_MAX, &found);
        if (r == KEEL_OK)
                r = osrel_get(text, len, "TITLE", title, UKI_PROFILE_VALUE_MAX, &found);
        if (r != KEEL_OK)
                id[0] = title[0] = '\0';
        return r;
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

static bool has_uki_section_name(const struct pe_section *s) {
        for (size_t k = 0; k < _UKI_SECTION_MAX; k++)
                if (strcmp(s->name, section_names[k]) == 0)
                        return true;
        return false;
}

struct relocation_check {
        const struct pe_image *pe;
        const struct pe_relocations *table;
};

static int check_fixup(const struct pe_fixup *fixup, void *userdata) {
        const struct relocation_check *c = userdata;
        const struct pe_section *s;
        int r = pe_fixup_section(c->pe, c->table, fixup, &s);

        if (r != KEEL_OK)
                return r;
        return has_uki_section_name(s) ? KEEL_E_UKI_RELOC_CHANGES_SECTION : KEEL_OK;
}

int uki_check_relocations(const struct pe_image *pe, const void *image, size_t len, enum pe_view view) {
        struct pe_relocations table;
        struct relocation_check c = { .pe = pe, .table = &table };
        int r = pe_find_relocations(pe, image, len, view, &table);

        if (r != KEEL_OK)
                return r;
        return pe_walk_relocations(&table, check_fixup, &c);
}

int uki_check_image_file(const void *file, size_t len) {
        struct pe_image pe;
        struct uki_sections sections;
        int r = pe_parse_headers(file, len, &pe);

        if (r == KEEL_OK)
                r = uki_find_sections(&pe, &sections);
        if (r == KEEL_OK)
                r = uki_check_file_view(&sections, file, len);
        if (r == KEEL_OK)
                r = uki_check_relocations(&pe, file, len, PE_VIEW_FILE);
        return r;
}
