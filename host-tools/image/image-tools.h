/* SPDX-License-Identifier: MIT */
/* The real tools `keel image` drives (mkfs.erofs, mksquashfs, sfdisk,
 * mkfs.vfat, mtools), run without a shell and without root. */
#pragma once

#include <stddef.h>

/* The tool's full path (PATH, then /usr/sbin and /sbin, where Debian keeps
 * mkfs.vfat and sfdisk), or NULL after one log line naming the package. */
const char *image_tool_find(const char *name, const char *package);

/* Runs argv (argv[0] as found by image_tool_find) with stdin_text on its
 * standard input (or /dev/null), its output discarded and its standard error
 * kept: a failure is logged as one line with the tool's last words. */
int image_tool_run(const char *const *argv, const char *stdin_text);
