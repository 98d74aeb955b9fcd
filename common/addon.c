/* SPDX-License-Identifier: MIT */
#include "addon.h"
#include "error.h"
#include "utf.h"

/* The length of a C string that ends at its NUL or after n bytes. */
static size_t bounded_strlen(const char *s, size_t n) {
        size_t i = 0;

        while (i < n && s[i] != 0)
                i++;
        return i;
}

int addon_check(const struct uki_sections *addon, const char *addon_uname, size_t addon_uname_len,
                const char *uki_uname, size_t uki_uname_len) {
        if (addon->section[UKI_SECTION_LINUX] || addon->section[UKI_SECTION_TLINUX])
                return KEEL_E_ADDON_IS_UKI;
        /* systemd-stub: strncmp(uki, addon, addon's size) with the UKI's
         * .uname as a C string; a NUL in either ends it. */
        if (uki_uname && addon_uname) {
                size_t a = bounded_strlen(addon_uname, addon_uname_len);
                size_t u = bounded_strlen(uki_uname, uki_uname_len);

                /* Equal up to addon_uname_len bytes: the same text, or both
                 * longer than the section and equal over it. */
                if (a < addon_uname_len ? (a != u || memcmp(addon_uname, uki_uname, a) != 0)
                                        : (u < a || memcmp(addon_uname, uki_uname, a) != 0))
                        return KEEL_E_ADDON_UNAME_MISMATCH;
        }
        if (!addon->section[UKI_SECTION_CMDLINE] && !addon->section[UKI_SECTION_DTB] &&
            !addon->section[UKI_SECTION_INITRD] && !addon->section[UKI_SECTION_UCODE])
                return KEEL_E_ADDON_EMPTY;
        return KEEL_OK;
}

static bool is_mangled_space(uint16_t c) {
        return c <= 0x20 || c == 0x7f;
}

size_t addon_cmdline_mangle(uint16_t *s) {
        size_t in = 0, out = 0, end = 0;

        while (s[in] != 0 && is_mangled_space(s[in]))
                in++;
        for (; s[in] != 0; in++) {
                if (is_mangled_space(s[in])) {
                        s[out++] = ' ';
                        continue;
                }
                s[out++] = s[in];
                end = out; /* just past the last non-space */
        }
        s[end] = 0;
        return end;
}

void addon_cmdline_join(uint16_t *joined, size_t *joined_units, const char *section, size_t n) {
        size_t at = *joined_units;

        if (at > 0)
                joined[at++] = ' ';
        utf8_to_utf16(section, bounded_strlen(section, n), joined + at);
        *joined_units = at + addon_cmdline_mangle(joined + at);
        joined[*joined_units] = 0;
}
