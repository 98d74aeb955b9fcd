/* SPDX-License-Identifier: MIT */
/* UKI addons (systemd-stub 254+, .ucode/.initrd in 257): PE images without
 * a kernel whose .cmdline is appended to the UKI's command line and whose
 * .dtb, .ucode and .initrd go to the kernel with the UKI's. What the stub
 * (stub/addons.c) and `keel pcr predict --addon` share: which addons are
 * used, how their command lines are joined, and the event tags their
 * measurements into PCR 12 carry (systemd's src/boot/measure.h IDs). */
#pragma once

#include "uki.h"

/* TCG_PCClientTaggedEvent IDs systemd-stub logs addon blobs with. */
#define ADDON_DEVICETREE_EVENT_TAG_ID UINT32_C(0x6c46f751)
#define ADDON_INITRD_EVENT_TAG_ID UINT32_C(0x49dffe0f)
#define ADDON_UCODE_EVENT_TAG_ID UINT32_C(0xdac08e1a)

/* Whether an addon with these sections may be used by a UKI whose .uname
 * is uki_uname[0..uki_uname_len) (NULL: the UKI has none): not when it has
 * a kernel (.linux or .tlinux: KEEL_E_ADDON_IS_UKI), nor when both have a
 * .uname and they differ (KEEL_E_ADDON_UNAME_MISMATCH; compared as
 * systemd-stub does: as strings, up to the addon's section size), nor when
 * it has none of .cmdline, .dtb, .initrd, .ucode (KEEL_E_ADDON_EMPTY).
 * addon_uname[0..addon_uname_len) is the addon's .uname section (NULL:
 * none). */
int addon_check(const struct uki_sections *addon, const char *addon_uname, size_t addon_uname_len,
                const char *uki_uname, size_t uki_uname_len);

/* systemd-stub's mangle_stub_cmdline(): control characters, DEL and space
 * become spaces, leading and trailing ones are dropped (inner runs are
 * kept). s is NUL-terminated and changed in place; returns its new length. */
size_t addon_cmdline_mangle(uint16_t *s);

/* Units addon_cmdline_join() may need for one more section of n bytes. */
#define ADDON_CMDLINE_JOIN_UNITS(joined_units, n) ((joined_units) + (n) + 2)

/* Appends an addon's .cmdline (UTF-8, section[0..n), up to a NUL) to the
 * joined command line of the addons before it, as systemd-stub does: the
 * section converted to UTF-16 and mangled, after one space unless joined is
 * empty (even when this one mangles to nothing: the final mangle trims
 * that). joined holds *joined_units units and a NUL, and has room for
 * ADDON_CMDLINE_JOIN_UNITS(*joined_units, n) units. */
void addon_cmdline_join(uint16_t *joined, size_t *joined_units, const char *section, size_t n);
