/* SPDX-License-Identifier: MIT */
/* The PE headers of an image file on a volume, read without reading the
 * whole file (the loader looks at UKIs that are tens of MiB). */
#pragma once

#include "efi.h"
#include "../common/pe.h"

/* PE headers nearly always fit in the first 4 KiB; a longer section table
 * is read on a second try, up to PE_FILE_HEADERS_MAX bytes. */
#define PE_FILE_HEADERS_FIRST (4u * 1024)
#define PE_FILE_HEADERS_MAX (64u * 1024)

/* Parses the headers of an open file of file_size bytes, checks its section
 * layout against the file and the machine type. head must have room for
 * PE_FILE_HEADERS_MAX bytes. Returns a KEEL_E_* code for a bad image; a
 * firmware read error is KEEL_E_INVALID_ARGUMENT with *ret_err set (else
 * *ret_err is EFI_SUCCESS). */
int pe_file_read_headers(EFI_FILE *f, uint64_t file_size, uint8_t *head, struct pe_image *ret_pe,
                         EFI_STATUS *ret_err);

/* Whether the file at path is a plain EFI kernel: a PE image for this
 * machine that keel can read and that is not a UKI (no .linux or .tlinux in
 * any profile: uki_image_has_kernel(); no doubled well-known section). Only such a kernel may be given a Type #1 entry's
 * initrds: a UKI boots with its own signed .initrd, and an image keel cannot
 * read could be anything. EFI_SUCCESS with *ret_plain set; an error when the
 * file cannot be read. */
EFI_STATUS pe_file_is_plain_kernel(EFI_FILE *root, const CHAR16 *path, bool *ret_plain);
