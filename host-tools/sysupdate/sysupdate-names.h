/* SPDX-License-Identifier: MIT */
/* The names keel gives an update: NAME_VERSION.root.raw, .verity.raw and
 * .efi in the source, partition labels NAME_VERSION (NAME_VERSION_verity)
 * and NAME_VERSION+LEFT-DONE.efi on the ESP. systemd-sysupdate finds the
 * version between the pattern's literal parts, so neither part may contain
 * what separates them ('_', '+', '/'), and both end up in .transfer files,
 * partition labels (36 UTF-16 characters) and file names. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SYSUPDATE_NAME_MAX 24
#define SYSUPDATE_VERSION_MAX 24

/* Letters, digits, '.' and '-', starting with a letter or digit. */
int sysupdate_check_name(const char *command, const char *name);
/* Letters, digits, '.', '-', '~' and '^', starting with a letter or digit. */
int sysupdate_check_version(const char *command, const char *version);

/* A GPT partition name holds 36 UTF-16 characters: NAME_VERSION_verity
 * must fit. */
#define SYSUPDATE_LABEL_MAX 36
int sysupdate_check_label(const char *command, const char *name, const char *version);

#define SYSUPDATE_URL_MAX 1024

/* A source URL as a .transfer file's Path= value: http://, https:// or
 * file:///; no space, control character, backslash or quote (the value is
 * one line of an INI file, and 257 unquotes); '%' doubled, because Path=
 * expands specifiers; trailing '/' dropped (sysupdate adds one before each
 * file name). ret must hold 2 * SYSUPDATE_URL_MAX + 1 bytes. */
int sysupdate_url_escape(const char *command, const char *url, char ret[2 * SYSUPDATE_URL_MAX + 1]);
