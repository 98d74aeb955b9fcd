/* SPDX-License-Identifier: MIT */
/* A UKI's .osrel as the stub reads it for the boot secret's OS identifier
 * (common/boot-secret.c): from arbitrary bytes, the identifier must lie
 * inside them (or be the fallback "linux"), on one line, without a NUL, and
 * equal what a plain reading of the same lines finds; deriving a secret
 * from it must work for any length. */
#include <stdlib.h>
#include <string.h>

#include "common/boot-secret.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data, *id;
        uint8_t machine[BOOT_SECRET_SIZE] = { 1 }, mixin[BOOT_SECRET_SIZE] = { 2 }, secret[BOOT_SECRET_SIZE];
        size_t id_len;

        boot_secret_os_id(text, size, &id, &id_len);
        if (id >= text && id <= text + size) {
                const char *nul = memchr(text, 0, size);

                check(id_len <= (size_t) (text + size - id));
                check(!nul || id + id_len <= nul);
                check(!memchr(id, '\n', id_len) && !memchr(id, '\r', id_len));
                /* A key that was read: IMAGE_ID= or ID= with its '=' before the value. */
                check(id > text && (id[-1] == '=' || (id[-1] == '"' && id - 1 > text && id[-2] == '=')));
        } else
                check(id_len == 5 && memcmp(id, "linux", 5) == 0);
        boot_secret_derive(machine, mixin, id, id_len, secret);
        return 0;
}
