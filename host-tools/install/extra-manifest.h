/* SPDX-License-Identifier: MIT */
/* The extra files and entries `keel install --extra-file/--extra-entry`
 * puts on the ESP, and its record of them, \EFI\keel\extra-files: which
 * ESP paths may be asked for, and the record's format. Pure logic over
 * (buf, len), so that the record, read back from the ESP as untrusted
 * bytes, can be tested and fuzzed on its own.
 *
 * The record: text lines "SHA256 PATH\n" (64 lower-case hex digits, one
 * space, the ESP-relative path as it was asked for) for every file keel
 * wrote and still owns; '#' lines are comments. A path may appear with
 * more than one digest (an interrupted update records the old and the new
 * content). A later run removes a recorded file that is no longer asked
 * for only while it still has one of its recorded digests: a file the user
 * changed or put there is never removed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EXTRA_MANIFEST_PATH "EFI/keel/extra-files"
#define EXTRA_ENTRIES_DIR "loader/entries"
#define EXTRA_PATH_MAX 512              /* bytes of an ESP path */
#define EXTRA_NAME_MAX 255              /* bytes of one path component (FAT's long names) */
#define EXTRA_MANIFEST_MAX_RECORDS 4096
#define EXTRA_MANIFEST_MAX_SIZE (EXTRA_MANIFEST_MAX_RECORDS * (64 + 2 + EXTRA_PATH_MAX) + 4096)

struct extra_record {
        char path[EXTRA_PATH_MAX + 1];
        uint8_t sha256[32];
};

/* Whether path (NUL-terminated) may be an --extra-file destination: a
 * relative path of non-empty components, none "." or "..", without
 * backslashes, control characters or characters FAT cannot hold, no
 * component beginning with ' ' or ending in '.' or ' ' (FAT drops those, so
 * that two names would be one file), no temporary of keel's; and none of keel's own files
 * (ignoring case, as FAT does): \EFI\keel and all below, generation
 * entries in \EFI\Linux, \EFI\BOOT\BOOT*.EFI, \loader\loader.conf,
 * \loader\entries and all below (entries go through --extra-entry), nor a
 * directory keel needs (\EFI, \EFI\BOOT, \EFI\Linux, \loader). NULL, or a
 * static sentence saying what is wrong. */
const char *extra_file_path_problem(const char *path);

/* Whether name may be an --extra-entry: a plain file name (one component
 * as above, not hidden) ending in ".conf". NULL or what is wrong. */
const char *extra_entry_name_problem(const char *name);

/* Whether a path read from the record is one keel may have written: an
 * extra file's path or "loader/entries/NAME.conf". */
bool extra_recorded_path_ok(const char *path);

/* Parses the record: at most max records into ret (NUL-terminated paths,
 * each extra_recorded_path_ok()), in the record's order, duplicates
 * dropped. A line that is malformed, too long or beyond max is skipped and
 * reported through skipped(line number, why, userdata) (may be NULL).
 * Returns the number of records. */
size_t extra_manifest_parse(const void *buf, size_t len, struct extra_record *ret, size_t max,
                            void (*skipped)(unsigned line, const char *why, void *userdata), void *userdata);

/* The record's text for n records (sorted by path, then digest; duplicates
 * once), malloc'd (NUL-terminated, *ret_len without it). -1 when out of
 * memory or a path is not extra_recorded_path_ok(). */
int extra_manifest_format(const struct extra_record *records, size_t n, char **ret, size_t *ret_len);

/* Whether two ESP paths name the same file (FAT: ASCII case ignored). */
bool extra_same_path(const char *a, const char *b);
