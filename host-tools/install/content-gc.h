/* SPDX-License-Identifier: MIT */
/* Content files of thin UKIs nothing references any more. */
#pragma once

#include <stdbool.h>

#include "host-tools/install/esp-writer.h"

/* "<64 lower-case hex>.linux" or ".initrd": the names keel install gives
 * content files; nothing else in the content directory is ever removed. */
bool content_file_name_is_keels(const char *name);

/* Removes every keel content file in content_dir (relative to the volume)
 * that no UKI in entries_dir names. When any UKI there cannot be read, it
 * might name any of them: nothing is removed then. removed(name, userdata)
 * is called for each file removed. */
int content_gc(struct esp_writer *w, const char *entries_dir, const char *content_dir,
               void (*removed)(const char *name, void *userdata), void *userdata);
