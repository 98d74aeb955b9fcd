/* SPDX-License-Identifier: MIT */
/* The firmware's current keyboard layout (UEFI 2.10 §34.8.10, the HII
 * database's GetKeyboardLayout()) as systemd 262 reports it to the OS in
 * LoaderKeyboardLayout: the language tag (RFC 4646, "de-DE") in front of
 * the first description string. The layout comes from firmware memory a
 * driver from the ESP may have written, so every field is checked against
 * the bytes the firmware said it returned. */
#pragma once

#include "util.h"

/* EFI_HII_KEYBOARD_LAYOUT (packed): LayoutLength (2), Guid (16),
 * LayoutDescriptorStringOffset (4), DescriptorCount (1). */
#define KEYBOARD_LAYOUT_HEADER_SIZE 23
/* EFI_DESCRIPTION_STRING_BUNDLE: DescriptionCount (2), then UTF-16 strings. */
#define KEYBOARD_LAYOUT_BUNDLE_HEADER_SIZE 2
/* RFC 5646 tags longer than this do not name keyboard layouts. */
#define KEYBOARD_LAYOUT_TAG_MAX 35

/* Copies the first description string's language tag of the layout (size
 * bytes, as GetKeyboardLayout() returned them) to ret (NUL-terminated, at
 * most KEYBOARD_LAYOUT_TAG_MAX characters). The checks are systemd 262's
 * (LayoutLength = size, the bundle inside, one string or more, a tag ended
 * by a space and not empty) and one more: the tag is ASCII letters, digits
 * and '-', as RFC 5646 writes it, so that the variable holds nothing else. */
int keyboard_layout_language(const void *layout, size_t size, char ret[static KEYBOARD_LAYOUT_TAG_MAX + 1]);
