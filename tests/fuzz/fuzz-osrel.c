/* SPDX-License-Identifier: MIT */
/* os-release from arbitrary bytes, as read from a UKI's .osrel: osrel_get
 * with small and large buffers must agree with each other, never write past
 * out_size, and always leave a NUL-terminated value; then the same bytes
 * (and the bytes as the .cmdline) go through entries_add_type2. Output
 * buffers are heap blocks of exactly out_size bytes, so AddressSanitizer
 * catches any overrun. */
#include <stdlib.h>
#include <string.h>

#include "common/entries.h"
#include "common/error.h"
#include "common/osrel.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

static void lookup(const uint8_t *data, size_t size, const char *key) {
        static const size_t sizes[] = { 1, 2, 8, 513 };
        char *big = malloc(64 * 1024);
        bool big_found;
        int big_r;

        check(big != NULL);
        big_r = osrel_get(data, size, key, big, 64 * 1024, &big_found);
        check(big_r == KEEL_OK || big_r == KEEL_E_VALUE_TOO_LONG);
        check(strlen(big) < 64 * 1024);
        if (big_r != KEEL_OK)
                check(big[0] == '\0');
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
                char *out = malloc(sizes[i]);
                bool found;
                int r;

                check(out != NULL);
                r = osrel_get(data, size, key, out, sizes[i], &found);
                check(found == big_found);
                if (r == KEEL_OK) {
                        /* It fit: the same value as with the big buffer. */
                        check(big_r == KEEL_OK && strcmp(out, big) == 0);
                } else {
                        check(r == KEEL_E_VALUE_TOO_LONG && out[0] == '\0');
                        check(big_r != KEEL_OK || strlen(big) >= sizes[i] - 1);
                }
                free(out);
        }
        free(big);
}

static void add(const uint8_t *data, size_t size, const char *filename, const void *osrel, size_t osrel_len,
                const void *cmdline, size_t cmdline_len) {
        struct boot_entry storage[1];
        char *arena = malloc(4096);
        struct entry_list l;

        check(arena != NULL);
        entry_list_init(&l, storage, 1, arena, 4096, NULL, NULL);
        if (entries_add_type2(&l, ENTRY_SOURCE_ESP, slice_from_cstr(filename), osrel, osrel_len, cmdline, cmdline_len)) {
                const struct boot_entry *e = &l.entries[0];
                check(l.n_entries == 1 && l.arena_used <= 4096);
                check(e->title && e->title[0] != '\0' && strlen(e->title) <= 512);
                check(!e->version || (e->version[0] != '\0' && strlen(e->version) <= 512));
                check(!e->options || strlen(e->options) <= 8192);
                check(strcmp(e->id, "fuzz.efi") == 0 && e->tries_left == 2 && e->tries_done == 1);
        } else
                check(l.n_entries == 0 && l.arena_used == 0);
        (void) data;
        (void) size;
        free(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const keys[] = { "ID", "PRETTY_NAME", "VERSION_ID", "IMAGE_VERSION", "NAME" };

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                lookup(data, size, keys[i]);
        add(data, size, "fuzz+2-1.efi", data, size, NULL, 0);
        add(data, size, "fuzz+2-1.efi", "ID=x\n", 5, data, size);
        return 0;
}
