/* SPDX-License-Identifier: MIT */
/* File access on the ESP (or XBOOTLDR) through the firmware's
 * SimpleFileSystem. Paths are UTF-16 with '\' separators, relative to the
 * volume root. */
#pragma once

#include "efi.h"

/* The root directory of the file system on a device handle. */
EFI_STATUS file_open_volume(EFI_HANDLE device, EFI_FILE **ret_root);

/* Reads a whole file of at most max bytes into a fresh buffer with a NUL
 * appended (not counted). EFI_BAD_BUFFER_SIZE when the file is larger. */
EFI_STATUS file_read_all(EFI_FILE *root, const CHAR16 *path, size_t max, void **ret_data, size_t *ret_size);

/* Reads exactly size bytes at offset of an open file. */
EFI_STATUS file_read_at(EFI_FILE *f, uint64_t offset, void *buf, size_t size);

/* The size of an open file. */
EFI_STATUS file_size(EFI_FILE *f, uint64_t *ret_size);

bool file_exists(EFI_FILE *root, const CHAR16 *path);

/* Whether path is a directory, and its size in bytes. */
EFI_STATUS file_stat(EFI_FILE *root, const CHAR16 *path, bool *ret_is_directory, uint64_t *ret_size);

/* Whether a file has the read-only attribute (systemd 262: such an entry
 * is not counted, such a random seed not used). */
EFI_STATUS file_read_only(EFI_FILE *root, const CHAR16 *path, bool *ret_read_only);

/* Whether the volume says it is read-only; false when it cannot tell. */
bool file_volume_read_only(EFI_FILE *root);

/* Directory iteration: returns the next entry (caller frees), NULL at the
 * end. Directories and "." entries are included; filter on Attribute. */
EFI_STATUS dir_next(EFI_FILE *dir, EFI_FILE_INFO **ret_info);

/* Renames a file inside its directory (new_name has no path) and flushes. */
EFI_STATUS file_rename(EFI_FILE *root, const CHAR16 *path, const CHAR16 *new_name);

/* Writes a new file of exactly these bytes and flushes it; refuses
 * (EFI_ACCESS_DENIED) when the file exists, and leaves nothing behind when
 * writing fails. */
EFI_STATUS file_create(EFI_FILE *root, const CHAR16 *path, const void *data, size_t size);

/* Deletes a file. */
EFI_STATUS file_delete(EFI_FILE *root, const CHAR16 *path);

/* A path from an entry file ("/vmlinuz-6.1", UTF-8, '/' or '\') as a UTF-16
 * volume path with a leading '\' (caller frees). */
CHAR16 *path_from_entry(const char *path);
