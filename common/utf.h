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

/* Text from the ESP (entry titles, versions, file names) for a UEFI text
 * console, whose OutputString() takes UCS-2 and acts on control
 * characters: decodes at most len bytes of UTF-8 (stopping at a NUL) into at
 * most out_units units, one unit per character. Malformed sequences, C0
 * and C1 control characters, DEL and characters outside the BMP (which
 * UCS-2 cannot hold) become U+FFFD; a tab becomes a space. Writes no NUL;
 * returns the units written and sets *ret_consumed to the bytes used, so
 * that a caller with a small buffer can go on where it stopped. */
size_t utf8_to_console(const char *s, size_t len, uint16_t *out, size_t out_units, size_t *ret_consumed);

/* Number of units before the first NUL, looking at no more than max units. */
size_t utf16_strnlen(const uint16_t *s, size_t max);
