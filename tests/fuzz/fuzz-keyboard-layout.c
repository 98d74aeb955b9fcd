/* SPDX-License-Identifier: MIT */
/* Firmware keyboard layouts from arbitrary bytes (firmware memory, which a
 * driver from the ESP may have written): no read outside them, and a tag
 * reported only when it is what the layout's first description string
 * starts with, computed here independently. */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/keyboard-layout.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char tag[KEYBOARD_LAYOUT_TAG_MAX + 1];
        uint8_t *copy = malloc(size ? size : 1);
        int r;

        check(copy != NULL);
        memcpy(copy, data, size);
        r = keyboard_layout_language(copy, size, tag);
        if (r == KEEL_OK) {
                size_t n = strlen(tag), offset = read_le32(copy + 18);
                const uint8_t *s = copy + offset + 2;

                check(n >= 1 && n <= KEYBOARD_LAYOUT_TAG_MAX && read_le16(copy) == size);
                check(offset + 2 + 2 * (n + 1) <= size && read_le16(copy + offset) != 0);
                for (size_t i = 0; i < n; i++)
                        check(read_le16(s + 2 * i) == (uint8_t) tag[i] && tag[i] != ' ');
                check(read_le16(s + 2 * n) == ' ');
        } else
                check(tag[0] == '\0');
        free(copy);
        return 0;
}
