/* SPDX-License-Identifier: MIT */
#pragma once

#include "boot.h"
#include "../common/sidecar.h"
#include "../efi/initrd.h"

/* The companion files of a Type #1 `uki` entry (`extra` lines, systemd
 * 261), as systemd-boot 262 hands them over: per kind (credentials, system
 * and configuration extensions) one cpio archive of the files in the order
 * of the lines, measured whole into its PCR (12 or 13) with systemd-boot's
 * description, and offered to the UKI as an initrd on
 * LINUX_EFI_INITRD_MEDIA_GUID, which its stub merges into /.extra. A file
 * that is missing, a directory, empty, too large, of another kind or with a
 * name that is not printable ASCII is skipped with one console line. */
struct companions {
        struct initrd_piece archives[ENTRY_EXTRA_KINDS];
        size_t n_archives;
};

/* Packs and measures what there is of e's extras on root; never fails the boot. */
void companions_pack(EFI_FILE *root, const struct boot_entry *e, struct companions *ret);
void companions_free(struct companions *c);
