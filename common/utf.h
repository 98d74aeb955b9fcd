/* SPDX-License-Identifier: MIT */
/* UTF-8 <-> UTF-16 conversion for command lines and EFI variables. */
#pragma once

#include "util.h"

/* Decodes at most len bytes of UTF-8 (stopping early at a NUL) into UTF-16
 * code units. Malformed sequences become U+FFFD. out must have room for
 * len + 1 units; the result is NUL-terminated. Returns the number of units
 * written, not counting the NUL. */
size_t utf8_to_utf16(const char *s, size_t len, uint16_t *out);

/* Encodes at most len UTF-16 units (stopping early at a NUL) as UTF-8.
 * Unpaired surrogates become U+FFFD. out must have room for 3 * len + 1
 * bytes; the result is NUL-terminated. Returns the bytes written, not
 * counting the NUL. */
size_t utf16_to_utf8(const uint16_t *s, size_t len, char *out);

/* Number of units before the first NUL, looking at no more than max units. */
size_t utf16_strnlen(const uint16_t *s, size_t max);
