/* SPDX-License-Identifier: MIT */
/* Reading an ESP (or XBOOTLDR) tree on the host the way firmware sees it:
 * FAT is case-insensitive, so path components are matched ignoring case. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/entries.h"

/* Resolves "loader/entries" under root, ignoring case per component.
 * Returns a malloc'd path or NULL when it does not exist. */
char *esp_path_nocase(const char *root, const char *relative);

/* Discovers all Type #1 and Type #2 entries below root into l, reading only
 * what the loader reads (entry files; UKI headers, .osrel and .cmdline).
 * Entries for an architecture other than l's (entry_list_set_architecture)
 * are left out, as the loader of that architecture leaves them out. */
void esp_discover_entries(struct entry_list *l, const char *root, enum entry_source source);

/* The same without looking at the files Type #1 entries name, so that
 * entries the loader would hide for a missing file are listed too (for
 * `keel entries --check`). */
void esp_discover_entries_unchecked(struct entry_list *l, const char *root, enum entry_source source);

/* Reads loader.conf below root into c (defaults when absent). */
void esp_read_loader_conf(struct loader_config *c, const char *root);

/* Reads a UKI's headers and .osrel/.cmdline sections; NULL/0 when absent.
 * Returns 0, or -1 (with a warning printed) when the file is not a UKI for
 * the machine a new entry list is for (the loader's own). */
int esp_read_uki_metadata(const char *path, char **ret_osrel, size_t *ret_osrel_len, char **ret_cmdline,
                          size_t *ret_cmdline_len);
