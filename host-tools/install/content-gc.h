/* SPDX-License-Identifier: MIT */
/* Content files of thin UKIs nothing references any more. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "host-tools/install/esp-writer.h"
#include "common/thin.h"

/* "<64 lower-case hex>.linux" or ".initrd": the names keel install gives
 * content files; nothing else in the content directory is ever removed. */
bool content_file_name_is_keels(const char *name);

/* The content paths ("/EFI/keel/content/<name>", as refs name them) that
 * entries on the volumes (NULL ones skipped) may start: the .tlinux and
 * .tinitrd refs of every profile of every UKI in \EFI\Linux, and of every
 * file a Type #1 entry in \loader\entries names as `linux` or `efi` (a thin
 * UKI started that way, e.g. a rescue UKI). A Type #1 target that is no PE
 * image names nothing. Returns -1 (after a warning; ret empty) when a UKI
 * in \EFI\Linux, an entry file or a target that is a PE image cannot be
 * read: it might name any file. */
struct content_references {
        char (*paths)[THIN_PATH_MAX + 1];
        size_t n, cap;
};
int content_references_collect(const char *const *volumes, size_t n_volumes, struct content_references *ret);
/* Whether a path is among them (ignoring case, as FAT does). */
bool content_references_contain(const struct content_references *refs, const char *path);
void content_references_done(struct content_references *refs);

/* Removes every keel content file in content_dir (relative to the volume w
 * writes) that no entry on any of the volumes names (see
 * content_references_collect(); w's own volume must be among them). When
 * what an entry names cannot be known, nothing is removed. removed(name,
 * userdata) is called for each file removed. */
int content_gc(struct esp_writer *w, const char *const *volumes, size_t n_volumes, const char *content_dir,
               void (*removed)(const char *name, void *userdata), void *userdata);
