/* SPDX-License-Identifier: MIT */
/* os-release parser (the format of /etc/os-release and a UKI's .osrel):
 * KEY=VALUE lines, values unquoted, "double-quoted" (with \" \\ \$ \`
 * escapes) or 'single-quoted', '#' comments. Later assignments win. Read as
 * bootctl 252 reads it ('\n' and '\r' end lines, quotes count only at the
 * start of a value), except that the data ends at a NUL byte, as for
 * systemd-boot 252. */
#pragma once

#include "strutil.h"

/* Looks up key and writes its unquoted value to out (NUL-terminated).
 * Returns KEEL_OK with *ret_found set, or KEEL_E_VALUE_TOO_LONG when the
 * value does not fit in out_size bytes. */
int osrel_get(const void *buf, size_t len, const char *key, char *out, size_t out_size, bool *ret_found);
