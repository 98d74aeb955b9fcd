/* SPDX-License-Identifier: MIT */
/* The names keel gives an update: NAME_VERSION.root.raw, .verity.raw and
 * .efi in the source, partition labels NAME_VERSION (NAME_VERSION_verity)
 * and NAME_VERSION+LEFT-DONE.efi on the ESP. systemd-sysupdate finds the
 * version between the pattern's literal parts, so neither part may contain
 * what separates them ('_', '+', '/'), and both end up in .transfer files,
 * partition labels (36 UTF-16 characters) and file names. */
#pragma once

#include <stdbool.h>

#define SYSUPDATE_NAME_MAX 24
#define SYSUPDATE_VERSION_MAX 24

/* Letters, digits, '.' and '-', starting with a letter or digit. */
int sysupdate_check_name(const char *command, const char *name);
/* Letters, digits, '.', '-', '~' and '^', starting with a letter or digit. */
int sysupdate_check_version(const char *command, const char *version);
