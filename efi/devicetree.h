/* SPDX-License-Identifier: MIT */
/* Handing a device tree to the kernel: the blob is copied to pages of its
 * own, EFI_DT_FIXUP_PROTOCOL (when the firmware has it) applies the
 * firmware's fixups and memory reservations to it, and it is installed as
 * the EFI_DTB_TABLE configuration table, where Linux's EFI stub looks for
 * it. Used by the stub for a UKI's .dtb and by the loader for a Type #1
 * entry's `devicetree`. Unlike systemd-boot/-stub 252, a firmware without a
 * device tree of its own (ACPI only, such as AAVMF) gets one too, as in
 * systemd 254 and later. */
#pragma once

#include "efi.h"

struct devicetree_state {
        EFI_PHYSICAL_ADDRESS addr;
        UINTN pages;
        void *orig;             /* the table before ours (NULL: there was none) */
        bool installed;
};

/* Checks the blob's header (common/fdt.h) and installs its totalsize bytes.
 * On failure nothing is installed and state holds nothing; says why on the
 * console. */
EFI_STATUS devicetree_install(struct devicetree_state *state, const void *dtb, size_t size);

/* Puts the firmware's own table (or none) back and frees ours: for a kernel
 * that did not boot, so that the next entry does not inherit the tree. */
void devicetree_restore(struct devicetree_state *state);
