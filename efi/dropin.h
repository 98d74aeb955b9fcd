/* SPDX-License-Identifier: MIT */
/* Drop-in files on the image's own volume, as systemd-stub finds them: the
 * files of one directory (\loader\credentials, \loader\addons, ..., or the
 * UKI's own "<path>.efi.extra.d") whose names end in a suffix, in a stable
 * order (sorted by name as UTF-16 code units), so that what is measured does
 * not depend on the firmware's directory order. Every byte here is
 * unauthenticated: names are filtered before anything is read. Shared by
 * the stub's credentials and extensions (stub/sidecar.c) and its addons
 * (stub/addons.c). */
#pragma once

#include "efi.h"

struct dropin_list {
        EFI_HANDLE device;   /* the volume */
        CHAR16 *dir;         /* the directory's volume path, "\..." */
        CHAR16 **names;      /* file names (no path), sorted */
        size_t n_names;
};

/* Lists regular files in directory path of image's volume, or with path
 * NULL in the image's own "<FilePath>.extra.d". Kept only: ASCII names of at
 * most 255 characters, not starting with '.', without '\' or '/', ending in
 * suffix (case-insensitive) but not in exclude_suffix (NULL: none). At most
 * max_names are kept (the rest skipped with one console line). A missing
 * directory (or a volume without a file system) gives an empty list and
 * EFI_SUCCESS. Caller frees with dropin_list_free(), also on failure. */
EFI_STATUS dropin_list(EFI_LOADED_IMAGE *image, const CHAR16 *path, const CHAR16 *suffix,
                       const CHAR16 *exclude_suffix, size_t max_names, struct dropin_list *ret);

/* Reads file i whole (at most max_size bytes, else EFI_BAD_BUFFER_SIZE) into
 * a fresh buffer (caller frees). */
EFI_STATUS dropin_read(const struct dropin_list *l, size_t i, size_t max_size, void **ret_data, size_t *ret_size);

/* The volume path of file i ("\dir\name", caller frees), e.g. for a device
 * path to LoadImage() it. */
CHAR16 *dropin_path(const struct dropin_list *l, size_t i);

void dropin_list_free(struct dropin_list *l);
