/* SPDX-License-Identifier: MIT */
#include "keyboard-layout.h"
#include "error.h"

static bool is_tag_char(uint16_t c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

int keyboard_layout_language(const void *layout, size_t size, char ret[static KEYBOARD_LAYOUT_TAG_MAX + 1]) {
        const uint8_t *p = layout;
        const uint8_t *strings;
        size_t offset, left, n;

        ret[0] = '\0';
        if (!layout || size < KEYBOARD_LAYOUT_HEADER_SIZE)
                return KEEL_E_KBD_LAYOUT_SHORT;
        if (read_le16(p) != size)
                return KEEL_E_KBD_LAYOUT_LENGTH;
        offset = read_le32(p + 18);
        if (offset > size || size - offset < KEYBOARD_LAYOUT_BUNDLE_HEADER_SIZE)
                return KEEL_E_KBD_LAYOUT_OFFSET;
        if (read_le16(p + offset) == 0)
                return KEEL_E_KBD_LAYOUT_NO_STRINGS;
        strings = p + offset + KEYBOARD_LAYOUT_BUNDLE_HEADER_SIZE;
        left = (size - offset - KEYBOARD_LAYOUT_BUNDLE_HEADER_SIZE) / 2;
        for (n = 0; n < left && read_le16(strings + 2 * n) != ' '; n++) {
                uint16_t c = read_le16(strings + 2 * n);
                if (!is_tag_char(c) || n == KEYBOARD_LAYOUT_TAG_MAX) {
                        ret[0] = '\0';
                        return KEEL_E_KBD_LAYOUT_BAD_TAG;
                }
                ret[n] = (char) c;
        }
        if (n == left) {
                ret[0] = '\0';
                return KEEL_E_KBD_LAYOUT_UNTERMINATED;
        }
        if (n == 0)
                return KEEL_E_KBD_LAYOUT_EMPTY_TAG;
        ret[n] = '\0';
        return KEEL_OK;
}
