/* SPDX-License-Identifier: MIT */
/* What makes a PE image a Unified Kernel Image: its well-known sections, in
 * the canonical order systemd-stub measures them into PCR 11. The stub, the
 * loader and `keel uki`/`keel pcr` all use this one list. */
#pragma once

#include "pe.h"

enum uki_section {
        UKI_SECTION_LINUX,
        UKI_SECTION_OSREL,
        UKI_SECTION_CMDLINE,
        UKI_SECTION_INITRD,
        UKI_SECTION_UCODE,
        UKI_SECTION_SPLASH,
        UKI_SECTION_DTB,
        UKI_SECTION_UNAME,
        UKI_SECTION_SBAT,
        UKI_SECTION_PCRSIG,
        UKI_SECTION_PCRPKEY,
        /* Multi-profile UKIs (systemd 257): each .profile starts a profile;
         * the sections after it, up to the next .profile, are that profile's
         * and override the base's (the sections before the first .profile).
         * Measured, in this place of the canonical order, as systemd-stub
         * 257 does (src/fundamental/uki.h). */
        UKI_SECTION_PROFILE,
        /* Thin UKIs (common/thin.h): references that stand for .linux and
         * .initrd. Not measured themselves; measure_uki_events() measures the
         * content they name in the place of .linux/.initrd. */
        UKI_SECTION_TLINUX,
        UKI_SECTION_TINITRD,
        _UKI_SECTION_MAX,
};

/* ".linux", ".osrel", ... */
const char *uki_section_name(enum uki_section section);

/* True for the sections measured into PCR 11 (all but .pcrsig, .tlinux and
 * .tinitrd; .profile is measured). */
bool uki_section_is_measured(enum uki_section section);

/* The well-known sections of an image, looked up once; absent ones are NULL
 * (and so is a .linux with no bytes beside .tlinux: a thin UKI carries one
 * so that bootctl 257+ lists it as a UKI). Fails with KEEL_E_UKI_DUPLICATE_SECTION when a well-known name appears twice
 * (a second copy could show one thing to a measurement and another to the
 * loader), KEEL_E_UKI_THIN_AND_FAT_LINUX / KEEL_E_UKI_THIN_AND_FAT_INITRD
 * when an image has both .linux and .tlinux, or .initrd and .tinitrd (which
 * one would boot?). */
struct uki_sections {
        const struct pe_section *section[_UKI_SECTION_MAX];
};

int uki_find_sections(const struct pe_image *pe, struct uki_sections *ret);

/* Profiles. A UKI without .profile has one profile, 0, made of all its
 * sections. Otherwise profile N (0-based) is the base sections overridden by
 * those between the (N+1)th .profile and the next .profile (systemd's
 * pe_locate_profile_sections()). uki_find_sections() is profile 0.
 * uki_find_profile_sections() fails with KEEL_E_UKI_NO_SUCH_PROFILE for a
 * profile beyond the last (profile 0 always exists), and with the errors of
 * uki_find_sections() for a base or a profile that has a well-known section
 * twice, or whose merged view has both .linux and .tlinux (.initrd and
 * .tinitrd). */
#define UKI_PROFILES_MAX 256 /* systemd's UNIFIED_PROFILES_MAX: profiles past it are not booted */
int uki_find_profile_sections(const struct pe_image *pe, unsigned profile, struct uki_sections *ret);

/* How many .profile sections the image has (0: a UKI without profiles). */
unsigned uki_count_profiles(const struct pe_image *pe);

/* An "@N" prefix of a command line in UTF-16 (the load options a loader
 * passes), as systemd-stub 257 reads it: '@', decimal digits (at most
 * UINT_MAX), then the end or exactly one space, which is dropped too. On a
 * match *ret_profile is N and *ret_skip the number of code units to drop;
 * otherwise false with *ret_profile 0 and *ret_skip 0 (the whole text is the
 * command line). units counts the code units before any NUL. */
bool uki_parse_profile_prefix(const uint16_t *s, size_t units, unsigned *ret_profile, size_t *ret_skip);

/* A .profile section's text (os-release format: ID=, TITLE=). The values
 * are written NUL-terminated to id/title ("" when absent); KEEL_E_VALUE_TOO_LONG
 * when one does not fit. */
#define UKI_PROFILE_VALUE_MAX 256
int uki_profile_info(const void *text, size_t len, char id[UKI_PROFILE_VALUE_MAX], char title[UKI_PROFILE_VALUE_MAX]);

/* A UKI carries its kernel (.linux) or names it (.tlinux): either way keel
 * runs as its stub. */
static inline bool uki_is_uki(const struct uki_sections *s) {
        return s->section[UKI_SECTION_LINUX] != NULL || s->section[UKI_SECTION_TLINUX] != NULL;
}

/* The rule for the whole image, whatever profile boots: an image with a
 * .linux or .tlinux section anywhere (in the base or in any profile) is a
 * UKI. keel runs as its stub then, and a loader must treat it as one (no
 * Type #1 `initrd` for it). */
bool uki_image_has_kernel(const struct pe_image *pe);

/* A UKI that names its kernel or its initrd on its volume (common/thin.h). */
static inline bool uki_is_thin(const struct uki_sections *s) {
        return s->section[UKI_SECTION_TLINUX] != NULL || s->section[UKI_SECTION_TINITRD] != NULL;
}

/* The file view of a UKI must show what the firmware loads. pe_parse_headers()
 * already refuses raw data with VirtualSize 0; this also refuses a .cmdline
 * with bytes other than zero between its VirtualSize and SizeOfRawData: the
 * firmware never loads them, but anyone reading the raw section (objdump -s,
 * a reviewer's script) would see a command line the kernel never gets.
 * file holds len bytes of the image file; pe_check_file_layout() passed. */
int uki_check_file_view(const struct uki_sections *sections, const void *file, size_t len);

/* Base relocations must not make the image the firmware runs differ from
 * the file either: the firmware adds (load address - ImageBase) to every
 * fixup's bytes, so one in .cmdline gives the kernel another command line
 * than the file shows, and one in .osrel another menu entry. Every fixup
 * must be placed as pe_fixup_section() allows, and change no byte of a
 * section with a well-known UKI name (.linux ... .sbat, .profile, of any
 * profile: KEEL_E_UKI_RELOC_CHANGES_SECTION). Every other section is the
 * stub's own code and data, which relocations are for (systemd-stub 253
 * and later, made PE by elf2efi, has them in its code and data; keel's and
 * systemd-stub 252's table is padding only). image holds len bytes: the
 * file (PE_VIEW_FILE) or the image as the firmware loaded it
 * (PE_VIEW_MEMORY: the stub's self-check, an addon). The same function for
 * the stub, the addons and every host tool that reads a UKI. */
int uki_check_relocations(const struct pe_image *pe, const void *image, size_t len, enum pe_view view);

/* pe_parse_headers(), uki_find_sections(), uki_check_file_view() and
 * uki_check_relocations() on a whole image file (pe_check_file_layout()
 * already passed): for the host tools that take any PE image, a UKI or
 * not. */
int uki_check_image_file(const void *file, size_t len);
