/* SPDX-License-Identifier: MIT */
/* Which command line the stub hands to the kernel. */
#pragma once

#include "util.h"

enum cmdline_source {
        CMDLINE_SOURCE_NONE,   /* the kernel gets no command line */
        CMDLINE_SOURCE_UKI,    /* the UKI's own .cmdline */
        CMDLINE_SOURCE_LOADER, /* the LoadOptions the loader passed */
};

/* systemd-stub's rule: options from the loader win unless Secure Boot is on
 * and the UKI carries a .cmdline section — of any size: a signed UKI with an
 * empty .cmdline says "this kernel gets no command line", and how many
 * bytes a section header claims is no reason to hand the kernel to whoever
 * wrote the loader's entry. LoadOptions that do not start with a printable
 * UTF-16 character are firmware boot-option data, not a command line
 * (firmware passes such blobs to \EFI\BOOT\BOOTX64.EFI). */
enum cmdline_source cmdline_choose(bool secure_boot, bool uki_has_cmdline, size_t uki_cmdline_len,
                                   const void *load_options, size_t load_options_size);

/* x86's COMMAND_LINE_SIZE: Linux's EFI stub cuts a longer command line
 * (at the last unquoted space before the limit), which could cut off words
 * appended at the end. It also stops at the first NUL or newline. */
#define CMDLINE_KERNEL_MAX_BYTES 2048

/* Whether the kernel receives all of this command line: Linux's EFI stub
 * stops at the first NUL or newline and keeps fewer than
 * CMDLINE_KERNEL_MAX_BYTES bytes of UTF-8, so anything after a newline, or
 * past the limit, would be measured and signed but never reach the kernel.
 * s ends at its first NUL or after units. Returns KEEL_OK,
 * KEEL_E_CMDLINE_NEWLINE or KEEL_E_CMDLINE_TOO_LONG; *ret_bytes (may be
 * NULL) is the UTF-8 length the kernel would count. */
int cmdline_check_kernel_limits(const uint16_t *s, size_t units, size_t *ret_bytes);

/* KEEL_E_CMDLINE_LOADS_FILE when a word of s (up to its first NUL or
 * units) names a file for Linux's EFI stub to load ("initrd=", "initrdmem=",
 * "dtb=" anywhere in it), KEEL_OK otherwise. Such a file would be read from
 * the boot volume, covered by neither the UKI's signature nor PCR 11. */
int cmdline_check_no_file_words(const uint16_t *s, size_t units);

/* What cmdline_bind() may write, in UTF-16 units with the NUL. */
#define CMDLINE_BIND_MAX_UNITS(outside_units, uki_units) ((outside_units) + (uki_units) + 2)

/* How text from outside a UKI joins the kernel's command line. */
enum cmdline_bind_mode {
        /* It is the whole command line (a loader's LoadOptions, which replace
         * the UKI's .cmdline): the UKI's bound words are inserted into it. */
        CMDLINE_BIND_REPLACE,
        /* It is appended after a command line that has the UKI's words
         * already (an addon's .cmdline, SMBIOS's kernel-cmdline-extra). */
        CMDLINE_BIND_APPEND,
};

/* What of a command line from outside a UKI (the loader's, an addon's,
 * SMBIOS's) may reach the UKI's kernel, given the UKI's own .cmdline.
 *
 * Always dropped: every word that names a file for Linux's EFI stub to load
 * from the boot volume ("initrd=", "initrdmem=", "dtb=" anywhere in the
 * word, as the stub searches for them): neither the signature nor PCR 11
 * covers such a file.
 *
 * When the UKI has a .cmdline, it is bound: every word that anyone reading
 * /proc/cmdline could take for roothash=, usrhash= or systemd.verity*=
 * (also with the rd. prefix, quoted, or hidden after a space inside quotes
 * or after a non-ASCII character, which Linux's parser splits on) is
 * dropped; when the UKI's .cmdline has such a word (it binds a root or /usr
 * hash), so is every word that picks or mounts over the root or /usr file
 * system (root=, rootfstype=, rootflags=, mount.usr=, mount.usrfstype=,
 * mount.usrflags=, systemd.mount-extra=), since root=/dev/evil would mount
 * another file system and leave the verified one unused; and so is every
 * word the kernel's and systemd's parsers could split differently (an odd
 * number of double quotes, a single quote, a backslash, a control
 * character), since such a word could swallow what follows it. With
 * CMDLINE_BIND_REPLACE, the UKI's own words of those kinds are then
 * inserted, in their order, at the end (before a "--" that hands the rest to
 * init, when there is one). Words are joined by single spaces. A UKI without
 * a .cmdline binds nothing: the text is kept as it came unless a word had to
 * be dropped.
 *
 * Both inputs end at their first NUL or after their size in units. out must
 * have room for CMDLINE_BIND_MAX_UNITS(outside_units, uki_units) units; it is
 * NUL-terminated and *ret_units excludes the NUL; *ret_dropped (may be NULL)
 * counts the outside words dropped. Fails with KEEL_E_CMDLINE_TOO_LONG when
 * the UKI binds and the result, as Linux's EFI stub converts it to UTF-8,
 * would not fit in CMDLINE_KERNEL_MAX_BYTES (the kernel would cut off the
 * words inserted at the end). Never allocates. */
int cmdline_bind(const uint16_t *outside, size_t outside_units, const uint16_t *uki, size_t uki_units,
                 enum cmdline_bind_mode mode, uint16_t *out, size_t out_units, size_t *ret_units,
                 size_t *ret_dropped);
