/* SPDX-License-Identifier: MIT */
/* Boot#### values as efivarfs returns them (4 attribute bytes, then the
 * EFI_LOAD_OPTION): any bytes parse or fail with an error, never read past
 * the end; what parses as HD(GPT)/File with a printable ASCII path
 * re-encodes to a value that parses back to the same partition and path.
 * The same bytes also serve as a BootOrder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "host-tools/entries/efivars.h"
#include "host-tools/install/load-option.h"

static bool ascii_path(const uint16_t *path, char *out, size_t size) {
        size_t i;

        for (i = 0; path[i]; i++) {
                if (path[i] < 0x20 || path[i] > 0x7e || i + 1 >= size)
                        return false;
                out[i] = (char) path[i];
        }
        out[i] = 0;
        return true;
}

static void round_trip(const struct load_option *o) {
        static struct load_option again;
        uint8_t buf[4096];
        char path[LOAD_OPTION_MAX_STRING];
        int len;

        if (!o->has_partition || !ascii_path(o->path, path, sizeof(path)))
                return;
        len = load_option_encode(o->attributes, "keel", &o->partition, path, buf, sizeof(buf));
        if (len < 0)
                abort();
        if (load_option_parse(buf, (size_t) len, &again) != LOAD_OPTION_OK || !again.has_partition ||
            memcmp(&again.partition, &o->partition, sizeof(o->partition)) != 0 ||
            !load_option_matches(&again, o->partition.guid, path) || !load_option_matches(o, o->partition.guid, path))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct load_option o;
        uint8_t *copy, *order;
        size_t n;

        if (size < EFIVAR_ATTRIBUTES_SIZE)
                return 0;
        n = size - EFIVAR_ATTRIBUTES_SIZE;
        copy = malloc(n ? n : 1);
        memcpy(copy, data + EFIVAR_ATTRIBUTES_SIZE, n);
        if (load_option_parse(copy, n, &o) == LOAD_OPTION_OK)
                round_trip(&o);
        order = malloc(n + 2);
        (void) boot_order_put_first(copy, n, (uint16_t) (size & 0xffff), order);
        free(order);
        free(copy);
        return 0;
}
