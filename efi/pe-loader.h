/* SPDX-License-Identifier: MIT */
/* keel's own loader for a PE image it already trusts (the UKI's kernel,
 * covered by the UKI's signature): common/pe-load.c does the checks and the
 * copy; this file gets the memory from the firmware, protects it through
 * EFI_MEMORY_ATTRIBUTE_PROTOCOL when the firmware has it and the image asks
 * for W^X (NX_COMPAT), and calls the entry point. No LoadImage(): the
 * firmware neither verifies nor measures the image again, and nothing but
 * these bytes runs. */
#pragma once

#include "efi.h"
#include "../common/pe-load.h"

struct pe_loaded {
        EFI_PHYSICAL_ADDRESS base; /* the image in memory, aligned as it asks */
        UINTN pages;
        uint32_t size_of_image;
        uint32_t entry_point;
        void *memattr;             /* the protocol, when protections were applied */
        size_t n_ranges;
        struct pe_load_range ranges[PE_MAX_SECTIONS + 1];
};

/* Allocates the image's memory (EfiLoaderCode), builds the image there
 * (pe_load_copy()) and protects it. buf must have passed pe_load_check()
 * with info. On failure nothing stays allocated. */
EFI_STATUS pe_loader_load(const struct pe_image *pe, const struct pe_load_info *info, const void *buf, size_t len,
                          struct pe_loaded *ret);

/* Runs the image on keel's own image handle, its LoadedImage protocol
 * describing the kernel for the duration of the call (ImageBase, ImageSize,
 * FilePath, LoadOptions = options), and puts the protocol back when the
 * image returns or leaves through Exit() on that handle (efi/exit-guard.h).
 * Returns what the entry point returned or the status it passed to Exit(). */
EFI_STATUS pe_loader_start(EFI_HANDLE image, const struct pe_loaded *l, const CHAR16 *options);

/* Gives the memory back (writable and not executable again first: the
 * firmware may fill freed pages). */
void pe_loader_free(struct pe_loaded *l);
